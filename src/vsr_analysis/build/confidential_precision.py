"""The ledger and the evidence files of a confidential run, published at the precision of its tables.

The ledger decides every claim from the evidence at full precision (a verdict never depends on rounding). What a
confidential run then *publishes* of those numbers (``results/claims.json``, ``results/<set>/evidence.json``) goes
out like its tables (``stats.sdc.coarsen``): shares and their intervals in whole percent points, other statistics at
three significant digits. A weighted share to full precision pins how many units of each weighting class gave the
answer (``stats.sdc.WEIGHTED_SHARE_DIGITS``), and a p-value or an interval bound is a function of the same sums.

The full-precision evidence stays private (``<stage>/private/evidence/<set>.json``, kept in ``.vsr-release``
after a publish), so a later run that reuses a chapter (``--only``) decides from the same numbers as the first.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path

from vsr_analysis import paths
from vsr_analysis.stats.sdc import coarse_number

ESTIMATE_KEYS = ("estimate", "ci_low", "ci_high")
EVIDENCE = "evidence"


def coarsen_json(obj, share_estimate: bool = False, key: str = ""):
    """``obj`` (parsed JSON) with every float rounded: shares (a key naming a share, or an estimate and its
    interval when ``share_estimate``) to whole percent points, other floats to three significant digits.
    Integers, text and booleans are left as they are."""
    if isinstance(obj, dict):
        return {k: coarsen_json(v, share_estimate, str(k)) for k, v in obj.items()}
    if isinstance(obj, list):
        return [coarsen_json(v, share_estimate, key) for v in obj]
    if isinstance(obj, float):
        name = key.lower()  # an interval bound is a share's only beside a share estimate
        share = "share" in name or "%" in name or (share_estimate and name in ESTIMATE_KEYS)
        return coarse_number(obj, share)
    return obj


def keep_private_evidence(results_dir: Path, param_set: str) -> None:
    """A chapter of a confidential run: its evidence at full precision, beside the disclosure records."""
    folder = results_dir.parent.parent / "private" / EVIDENCE
    folder.mkdir(parents=True, exist_ok=True)
    shutil.copy2(results_dir / "evidence.json", folder / f"{param_set}.json")


def restore_full_evidence(stage: Path, reused: list[str]) -> list[str]:
    """Before the ledger: the reused chapters' evidence at full precision, from the previous confidential run's
    private copy. Returns the reused chapters without one (decided from their published, coarse evidence)."""
    kept = paths.project_root() / ".vsr-release" / EVIDENCE
    missing = []
    for name in reused:
        source, target = kept / f"{name}.json", stage / "results" / name / "evidence.json"
        if source.is_file() and target.parent.is_dir():
            shutil.copy2(source, target)
        elif target.is_file():
            missing.append(name)
    return missing


def coarsen_published(stage: Path, ledger: list[dict], spec) -> list[dict]:
    """After the ledger: every ``results/<set>/evidence.json`` rewritten at the published precision; returns the
    ledger entries likewise (the caller writes ``claims.json`` and the pages from them). ``spec``: the typed claims
    (``claims.spec.ClaimsSpec``); a claim whose estimate is a share or a difference of shares has its estimate and
    interval in percent points."""
    share_ids = {c.id for c in spec.claims if c.on_share_scale}
    share_sets = {c.parameter_set for c in spec.claims if c.on_share_scale}
    for path in sorted((stage / "results").glob("*/evidence.json")):
        data = json.loads(path.read_text(encoding="utf-8"))
        paths.atomic_write(
            path, json.dumps(coarsen_json(data, path.parent.name in share_sets), indent=2, ensure_ascii=False) + "\n"
        )
    return [coarsen_json(e, e["id"] in share_ids) for e in ledger]


def keep_evidence(stage: Path) -> None:
    """After a publish: keep the full-precision evidence for later runs that reuse its chapters."""
    private = stage / "private" / EVIDENCE
    if not private.is_dir():
        return
    kept = paths.project_root() / ".vsr-release" / EVIDENCE
    kept.mkdir(parents=True, exist_ok=True)
    for path in private.glob("*.json"):
        shutil.copy2(path, kept / path.name)
