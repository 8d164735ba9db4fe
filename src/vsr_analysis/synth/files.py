"""Replica files: the simulated survey CSV and its ``<stem>.truth.json``, written atomically, cached by
scenario, seed and generator (:func:`ensure`), and the ``synthetic:<scenario>:<seed>`` spec that names them."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pandas as pd

from vsr_analysis import __version__, paths
from vsr_analysis.paths import atomic_write
from vsr_analysis.synth.scenario import load_scenario
from vsr_analysis.synth.simulation import generate, generator_sha256


def to_csv_bytes(rows: pd.DataFrame) -> bytes:
    """UTF-8, comma, '\\n', integers as integers, blank for missing."""
    return rows.to_csv(index=False, lineterminator="\n", na_rep="").encode("utf-8")


def truth_path(csv_path: Path) -> Path:
    """``<stem>.truth.json`` beside the survey file."""
    csv_path = Path(csv_path)
    return csv_path.with_name(f"{csv_path.stem}.truth.json")


def default_path(scenario: str, seed: int) -> Path:
    return paths.synthetic_dir() / f"{scenario}-{seed}.csv"


def write(scenario: str, seed: int, out: str | os.PathLike | None = None, frame: pd.DataFrame | None = None) -> Path:
    """Generate and write the survey CSV and ``<stem>.truth.json`` (each atomically); return the CSV path."""
    sc = load_scenario(scenario) if isinstance(scenario, str) else scenario
    rows, truth = generate(sc, seed, frame)
    path = Path(out) if out is not None else default_path(sc["name"], seed)
    truth_bytes = (json.dumps(truth, indent=2, ensure_ascii=False, allow_nan=False) + "\n").encode("utf-8")
    # truth first: a CSV never exists without its truth
    atomic_write(truth_path(path), truth_bytes)
    atomic_write(path, to_csv_bytes(rows))
    return path


def read_truth(csv_path: str | os.PathLike) -> dict:
    return json.loads(truth_path(Path(csv_path)).read_text(encoding="utf-8"))


def ensure(scenario: str, seed: int) -> Path:
    """The default file of ``scenario``/``seed``: reused when it was made from the same scenario file(s),
    generator source and package version, otherwise (re)generated."""
    sc = load_scenario(scenario)
    path = default_path(scenario, seed)
    tpath = truth_path(path)
    if path.is_file() and tpath.is_file():
        try:
            truth = json.loads(tpath.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            truth = {}
        if (
            truth.get("scenario_sha256") == sc["_sha256"]
            and truth.get("package_version") == __version__
            and truth.get("generator_sha256") == generator_sha256()
            and truth.get("seed") == seed
        ):
            return path
    return write(sc, seed)


def parse_spec(spec: str) -> tuple[str, int]:
    """``"synthetic:<scenario>:<seed>"`` -> ``(scenario, seed)``; ``ValueError`` for anything else.

    The grammar of survey specs lives in ``data.survey_spec.parse_spec``; this adds that the spec must be synthetic and
    that the seed must fit numpy's seed range.
    """
    from vsr_analysis.data.survey_spec import SourceError
    from vsr_analysis.data.survey_spec import parse_spec as parse_survey_spec

    if not isinstance(spec, str):
        raise ValueError(f"survey spec must be a string like 'synthetic:vsr-narrative:2021', got {spec!r}")
    try:
        parts = parse_survey_spec(spec)
    except SourceError as exc:
        raise ValueError(str(exc)) from None
    if parts["kind"] != "synthetic":
        raise ValueError(f"survey spec {spec!r} is not of the form 'synthetic:<scenario>:<seed>'")
    seed = int(parts["seed"])
    if seed >= 2**32:
        raise ValueError(f"survey spec {spec!r}: seed must lie in 0 .. 2**32-1")
    return parts["scenario"], seed
