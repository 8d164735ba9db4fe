"""Checksums of the input data: the committed files every analysis reads, hashed with sha256.

Used for the survey specification of a user's file, the run fingerprints, the ledger and the provenance stamp.
"""

from __future__ import annotations

import hashlib
from pathlib import Path

from vsr_analysis import paths

__all__ = ["sha256_file", "input_files", "data_checksums"]


def sha256_file(path: str | Path, chunk: int = 1 << 20) -> str:
    """The sha256 hex digest of a file's bytes."""
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        while block := handle.read(chunk):
            digest.update(block)
    return digest.hexdigest()


def input_files() -> list[Path]:
    """The committed data files the analyses read: register tables, codebook, scenarios, specs, and the stored
    simulation and benchmark results the operating-characteristics and weighting chapters show."""
    files: list[Path] = []
    for folder, pattern in (
        (paths.register_dir(), "*.csv"),
        (paths.scenarios_dir(), "*.yml"),
        # stored simulation results that chapters show: a new stored run reruns the chapters that read it
        (paths.stored_simulation_dir(), "*"),
        (paths.benchmark_output_dir(), "*.csv"),
    ):
        if folder.is_dir():
            files.extend(sorted(p for p in folder.glob(pattern) if p.is_file() and not p.name.startswith(".")))
    for single in (paths.codebook_path(), paths.claims_spec_path(), paths.runspec_path()):
        if single.is_file():
            files.append(single)
    return files


def data_checksums(extra: list[Path] | None = None) -> dict[str, str]:
    """sha256 of each input file, keyed by its path relative to the project root."""
    root = paths.project_root()
    out = {}
    for path in [*input_files(), *(extra or [])]:
        path = Path(path)
        key = str(path.relative_to(root)) if path.is_relative_to(root) else path.name
        out[key] = sha256_file(path)
    return out
