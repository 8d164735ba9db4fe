"""How a notebook hands its results to the ledger and the book.

Tables are written as CSV (fixed float format, '\n' line endings) and the evidence for a claim as JSON, both
under the parameter set's results folder that the runner passes in as ``results_dir``.  Writes are atomic
(temporary file, then rename) so that an interrupted kernel never leaves half a file.  When the survey is a
confidential file, every table passes the disclosure check before it is written.
"""

from __future__ import annotations

import json
import math
from pathlib import Path

import numpy as np
import pandas as pd

from vsr_analysis.paths import atomic_write

FLOAT_FORMAT = "%.6g"


def json_ready(value):
    """Convert numpy/pandas scalars and containers to JSON-ready Python values (NaN -> None).

    Floats are rounded to 10 significant digits so that the files are stable byte for byte.
    """
    if isinstance(value, dict):
        return {str(k): json_ready(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [json_ready(v) for v in value]
    if isinstance(value, (np.integer,)):
        return int(value)
    if isinstance(value, (np.floating, float)):
        value = float(value)
        return None if math.isnan(value) or math.isinf(value) else float(f"{value:.10g}")
    if isinstance(value, np.bool_):
        return bool(value)
    if value is pd.NA or value is pd.NaT:
        return None
    return value


def table_to_csv(table: pd.DataFrame) -> str:
    return table.to_csv(index=False, lineterminator="\n", float_format=FLOAT_FORMAT)


#: The fewest municipalities a chapter's model (ordinal coefficients, group comparisons, conjunctions) is fitted on; with fewer the claim is inconclusive and
#: the chapter says why (``chapter.Context.stop_unless_estimable``).  A maturity model has up to 17 parameters.
MIN_MODEL_UNITS = 30
#: The fewest answers the stage-share claim's share and stage distribution and the existence claim's count and ceiling are computed from.
MIN_COUNT_UNITS = 10


def write_table(results_dir: str | Path, name: str, table: pd.DataFrame) -> Path:
    """Write one result table as ``<results_dir>/<name>.csv`` and return its path."""
    path = Path(results_dir) / f"{name}.csv"
    atomic_write(path, table_to_csv(table))
    return path


def record_evidence(
    results_dir: str | Path,
    *,
    claim: str,
    survey: str,
    primary: dict,
    n: int,
    rule_inputs: dict | None = None,
    sensitivity: list | None = None,
    **extra,
) -> Path:
    """Write the evidence the ledger needs to decide ``claim`` (``evidence.json``).

    ``primary`` holds ``method``, ``estimate``, ``ci_low``, ``ci_high`` and ``p_value`` of the pre-specified
    primary test; ``rule_inputs`` whatever else the claim's decision rule reads (see ``claims.ledger``).
    """
    missing = {"method", "estimate", "ci_low", "ci_high", "p_value"} - set(primary)
    if missing:
        raise ValueError(f"primary result for {claim} lacks {sorted(missing)}")
    payload = {
        "claim": claim,
        "survey": survey,
        "primary": primary,
        "n": int(n),
        "rule_inputs": rule_inputs or {},
        "sensitivity": sensitivity or [],
        **extra,
    }
    path = Path(results_dir) / "evidence.json"
    atomic_write(path, json.dumps(json_ready(payload), indent=2, ensure_ascii=False) + "\n")
    return path


def record_parts_evidence(results_dir: str | Path, *, claims: list[str], survey: str, parts: dict[str, dict]) -> Path:
    """Write the evidence of several claims one chapter decides (``evidence.json``): ``parts`` maps each claim's
    ``evidence_part`` (claims.yml) to its evidence (``primary`` with the keys of :func:`record_evidence`, ``n``,
    ``rule_inputs``, optionally ``not_estimable``); the ledger reads each claim's part
    (``claims.ledger.claim_evidence``)."""
    for name, ev in parts.items():
        missing = {"method", "estimate", "ci_low", "ci_high", "p_value"} - set(ev.get("primary", {}))
        if missing:
            raise ValueError(f"primary result of part {name} lacks {sorted(missing)}")
    payload = {"claims": list(claims), "survey": survey, "parts": parts}
    path = Path(results_dir) / "evidence.json"
    atomic_write(path, json.dumps(json_ready(payload), indent=2, ensure_ascii=False) + "\n")
    return path
