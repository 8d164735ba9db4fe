"""What a chapter says about one claim alone: the Markdown file its ``claims.yml`` entry names in ``prose``.

A template shared by every claim of an analysis kind keeps the words that hold for all of them; what holds for one
claim only (a caveat, how its outcome came to be defined) lives in that claim's prose file, so a new claim of the
kind gets the template's words and its own, never another claim's.
"""

from __future__ import annotations

from pathlib import Path

from vsr_analysis import paths
from vsr_analysis.claims.spec import ClaimSpecError, cached_claims


def prose_path(claim_id: str) -> Path | None:
    """The prose file of ``claim_id``, relative to the folder of ``claims.yml`` (None when its entry names none).

    Raises :class:`ClaimSpecError` naming the claim and the field when the entry names a file that is not there."""
    prose = cached_claims()[claim_id].prose
    if prose is None:
        return None
    path = paths.claims_spec_path().parent / prose
    if not path.is_file():
        raise ClaimSpecError(f"claims.yml: claim {claim_id}, prose: no file {prose} in {path.parent}")
    return path


def claim_prose(claim_id: str) -> str:
    """The Markdown of ``claim_id``'s prose file ('' when its entry names none)."""
    path = prose_path(claim_id)
    return "" if path is None else path.read_text(encoding="utf-8").strip()
