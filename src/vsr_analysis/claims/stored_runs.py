"""Stored simulation runs against ``claims.yml``: which claims a stored ``vsr simulate`` run lacks.

A page that shows a stored run (the operating characteristics, ``data/operating-characteristics/``) must not
quietly show fewer claims than ``claims.yml`` declares: a claim added since the run was made has no row there.
:func:`claims_lacking` names them from the run's provenance; the page says so (``simulate.report.load_run``) and
``vsr book`` prints a warning with :func:`refresh_command` (``build.book.stored_run_warnings``).
"""

from __future__ import annotations

import json
import shlex
from dataclasses import dataclass
from pathlib import Path

from vsr_analysis.claims.spec import ClaimsSpec, load_claims

#: The provenance file ``vsr simulate`` writes beside its tables (its ``claims`` lists the claims the run holds).
PROVENANCE_FILE = "provenance.json"


@dataclass(frozen=True)
class StoredRun:
    folder: Path
    provenance: dict

    @property
    def claims(self) -> tuple[str, ...]:
        return tuple(self.provenance.get("claims") or {})


def read_stored_run(folder: Path) -> StoredRun | None:
    """The stored run in ``folder`` (None: no provenance there, or one that cannot be read)."""
    path = Path(folder) / PROVENANCE_FILE
    if not path.is_file():
        return None
    try:
        provenance = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    return StoredRun(Path(folder), provenance if isinstance(provenance, dict) else {})


def claims_lacking(run: StoredRun, claims: ClaimsSpec | None = None) -> list[str]:
    """The claims of ``claims.yml`` (in its order) the stored run has no results for."""
    claims = claims if claims is not None else load_claims()
    held = set(run.claims)
    return [cid for cid in claims.ids if cid not in held]


def refresh_command(run: StoredRun, out: str) -> str:
    """The command that makes the run again for every claim: the recorded one without its ``--claims`` choice."""
    recorded = shlex.split(str(run.provenance.get("command") or ""))
    words, skip = [], False
    for word in recorded:
        if skip:
            skip = False
            continue
        if word == "--claims":
            skip = True
            continue
        if word.startswith("--claims="):
            continue
        words.append(word)
    if not words:
        scenarios = ",".join(run.provenance.get("scenarios") or {})
        seeds = (run.provenance.get("seeds") or {}).get("n", 1000)
        words = ["vsr", "simulate", "--scenario", scenarios, "--seeds", str(seeds), "--out", out]
    return shlex.join(words)


def lacking_text(run: StoredRun, lacking: list[str], out: str) -> str:
    """The page's warning (MyST admonition) that the stored run lacks ``lacking``."""
    return (
        f":::{{warning}}\nThe stored run in `{out}/` has no results for claim(s) **{', '.join(lacking)}** of "
        "`claims.yml` (added since it was made): this page shows nothing about them. Refresh the run with "
        f"`{refresh_command(run, out)}`, then `vsr run`.\n:::"
    )
