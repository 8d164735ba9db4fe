"""Benchmark: the NCA permutation test (10,000 permutations, 356 units), CE-FDH and CR-FDH.

A script, not a test: ``.venv/bin/python benchmarks/bench_nca.py`` prints the median wall time of 5 runs of
``vsr_analysis.stats.nca.nca(x, y, ceiling, permutations=10000, seed=...)`` on synthetic data shaped like the
survey frame (356 municipalities, log-normal population as X, an ordinal maturity stage 0-5 as Y, so X is
continuous and Y heavily tied).  Target (issue 8): under 1 second.  :func:`run` returns the figures for
``benchmarks/run_benchmarks.py``.
"""

from __future__ import annotations

import statistics
import time

import numpy as np

from vsr_analysis.stats.nca import nca

UNITS = 356
PERMUTATIONS = 10_000
REPEATS = 5


def synthetic_frame(n: int = UNITS, seed: int = 2020) -> tuple[np.ndarray, np.ndarray]:
    """Population-like X and an ordinal 0-5 outcome with a soft ceiling in X."""
    rng = np.random.default_rng(seed)
    population = np.round(rng.lognormal(mean=8.6, sigma=1.1, size=n))
    ceiling = np.clip((np.log(population) - 6.0) * 1.2, 0, 5)
    stage = np.floor(ceiling * rng.uniform(0.2, 1.0, size=n) + rng.uniform(0, 1, size=n))
    return population, np.clip(stage, 0, 5)


def time_nca(ceiling: str, repeats: int = REPEATS, permutations: int = PERMUTATIONS) -> dict[str, float]:
    """Median and minimum seconds of ``repeats`` runs, plus the effect size and p-value of the last run."""
    x, y = synthetic_frame()
    nca(x, y, ceiling, permutations=100, seed=0)  # warm-up (imports, allocator)
    times = []
    for rep in range(repeats):
        start = time.perf_counter()
        res = nca(x, y, ceiling, permutations=permutations, seed=rep)
        times.append(time.perf_counter() - start)
    return {
        "median_s": statistics.median(times),
        "min_s": min(times),
        "effect_size": res.effect_size,
        "p_value": float(res.p_value),
    }


def run() -> dict[str, dict[str, float]]:
    return {ceiling: time_nca(ceiling) for ceiling in ("ce_fdh", "cr_fdh")}


def main() -> int:
    print(f"NCA permutation test: {PERMUTATIONS:,} permutations, {UNITS} units, median of {REPEATS} runs")
    for ceiling, fig in run().items():
        verdict = "ok" if fig["median_s"] < 1.0 else "SLOWER THAN TARGET"
        print(
            f"  {ceiling}: {fig['median_s']:.3f} s (min {fig['min_s']:.3f} s; target < 1 s: {verdict}); "
            f"d = {fig['effect_size']:.3f}, p = {fig['p_value']:.4f}"
        )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
