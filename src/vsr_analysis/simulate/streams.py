"""Random streams of a simulation: one per (scenario, seed), independent of workers and chunking.

Everything random in a simulated seed comes from ``numpy.random.SeedSequence`` with entropy
``(scenario key, seed)``, where the scenario key is the first 8 bytes of sha256(scenario name):

* ``spawn_key (0,)`` gives the replica's seed, a 32-bit integer passed to ``synth.generate`` exactly as
  ``vsr synth --seed`` would (so ``vsr synth --scenario S --seed <replica_seed>`` writes the same survey file);
* ``spawn_key (1, crc32(claim id))`` gives the claim's analysis seed (the NCA permutations, bootstraps).

Different scenarios with the same seed number therefore get different, independent streams.
"""

from __future__ import annotations

import hashlib
import zlib

import numpy as np


def scenario_key(scenario: str) -> int:
    return int.from_bytes(hashlib.sha256(scenario.encode("utf-8")).digest()[:8], "little")


def _seed_sequence(scenario: str, seed: int, spawn_key: tuple[int, ...]) -> np.random.SeedSequence:
    return np.random.SeedSequence(entropy=[scenario_key(scenario), int(seed)], spawn_key=spawn_key)


def replica_seed(scenario: str, seed: int) -> int:
    """The ``vsr synth`` seed of simulation ``seed`` under ``scenario`` (0 .. 2**32-1)."""
    return int(_seed_sequence(scenario, seed, (0,)).generate_state(1, dtype=np.uint32)[0])


def analysis_seed(scenario: str, seed: int, claim: str) -> int:
    """The seed of claim ``claim``'s own random numbers (permutations, resamples) in this simulation."""
    key = (1, zlib.crc32(claim.encode("utf-8")))
    return int(_seed_sequence(scenario, seed, key).generate_state(1, dtype=np.uint32)[0])
