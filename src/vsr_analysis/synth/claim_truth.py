"""What a scenario makes true for each claim: the ``claims:`` section of a scenario file, and its truth values.

A scenario file may end with a ``claims:`` section that states, for every claim of ``claims.yml``, whether the
scenario makes it true::

    claims:
      F6:
        holds: true
        reason: 55 % of the frame have the SDGs in the master plan (stage >= 3), above the claim's 0.5.

The statement is checked, not trusted: ``vsr_analysis.simulate.truth.check_statements`` computes the claim's
truth from its declaration in ``claims.yml`` and the scenario's model (``synth.estimands``) and compares.  This
module writes the statements into the replica's truth JSON for its readers, with :func:`expected_values` (the
frame's expected shares, the generating coefficients, the ceiling) and, for every seed, the *realised* value of
the estimand where one exists: the share among all 356 municipalities of the frame (respondents or not, before
item non-response).  The claims about the barrier items (a share of one barrier, a ranking of the barriers) get
their estimand and realised value from their declaration in ``claims.yml`` (:func:`barrier_declarations`), not from
their id.  ``vsr simulate`` no longer reads these per-claim entries; it computes the same quantities from each
claim's declaration.
"""

from __future__ import annotations

import functools
from typing import Any

import numpy as np
import yaml

from vsr_analysis import paths

#: What each claim's primary estimate estimates, in words (written into the truth JSON).
ESTIMANDS: dict[str, str] = {
    "F1": "coefficient of political_anchoring in the proportional-odds model of maturity_stage (generating model)",
    "F2": "share of the frame's 356 municipalities at maturity_stage >= 1",
    "F3": "the four marginal coefficients (intersection-union test: all four positive; no single true value)",
    "F3a": "coefficient of merged_2017_2020 alone in a weighted proportional-odds model (pseudo-true, marginal)",
    "F3b": "coefficient of log_population alone in a weighted proportional-odds model (pseudo-true, marginal)",
    "F3c": "coefficient of centrality alone in a weighted proportional-odds model (pseudo-true, marginal)",
    "F3d": "coefficient of network_member alone in a weighted proportional-odds model (pseudo-true, marginal)",
    "F4": "whether a population threshold at or above the frame median caps the stage below 4 (no single value)",
    "F5": (
        "both parts positive: the coefficients of network_kinds and of cooperates_with_county, each in its own "
        "model with size, centrality, merger and county (pseudo-true; see vsr_analysis.simulate.truth.f5_truth)"
    ),
    "F6": "share of the frame's 356 municipalities with sdg_in_master_plan = 1",
    "F7": "among the frame's municipalities with sdg_in_management = 1, the share at maturity_stage >= 3",
    "F9": "share of the frame's 356 municipalities with measures_progress = 1 (synth.share_truth)",
}


@functools.lru_cache(maxsize=4)
def _declarations(path: str, mtime_ns: int) -> dict[str, dict]:
    doc = yaml.safe_load(open(path, encoding="utf-8").read())
    return {c["id"]: c for c in doc.get("claims", []) if isinstance(c, dict) and "id" in c}


def barrier_declarations() -> dict[str, dict]:
    """The claims of ``claims.yml`` about the barrier items on the municipalities, read from their declaration
    (``claims.spec`` gives the typed view; ``synth`` reads the file itself): claim id -> ``{"item": ...}`` for a
    share of one barrier item, or ``{"top": [...], "ranked": [...]}`` for a ranking of the barriers."""
    from vsr_analysis.synth.scenario import BARRIER_ITEMS  # scenario imports this module

    path = paths.claims_spec_path()
    out = {}
    for cid, c in _declarations(str(path), path.stat().st_mtime_ns).items():
        outcome, analysis = c.get("outcome") or {}, c.get("analysis") or {}
        if (c.get("population") or {}).get("units") != "municipalities" or (c.get("population") or {}).get("subgroup"):
            continue
        if analysis.get("kind") == "share_ranking" and set(outcome.get("ranked") or []) <= set(BARRIER_ITEMS):
            out[cid] = {"top": list(analysis["top"]), "ranked": list(outcome["ranked"])}
        elif outcome.get("item") in BARRIER_ITEMS and not outcome.get("domain"):
            out[cid] = {"item": outcome["item"]}
    return out


def _barrier_estimand(decl: dict) -> str:
    if "item" in decl:
        return f"share of the frame's 356 municipalities naming {decl['item']}"
    others = [i for i in decl["ranked"] if i not in decl["top"]]
    return (
        f"smallest frame share of {', '.join(decl['top'])} minus the largest of {', '.join(others)} (the ranking "
        "holds when positive)"
    )


def _barrier_value(decl: dict, shares: dict[str, float]) -> float:
    if "item" in decl:
        return shares[decl["item"]]
    top = decl["top"]
    return min(shares[i] for i in top) - max(shares[i] for i in decl["ranked"] if i not in top)


class ClaimStatementError(ValueError):
    """A scenario's ``claims:`` section is malformed (the message names the file and claim)."""


def validate_statements(doc: dict, file: str) -> None:
    """Check the optional ``claims:`` section: ``{<id>: {holds: bool, reason: str}}``."""
    section = doc.get("claims")
    if section is None:
        return
    if not isinstance(section, dict):
        raise ClaimStatementError(f"{file}: 'claims' must map claim ids to {{holds, reason}}")
    for cid, entry in section.items():
        if not isinstance(entry, dict) or set(entry) - {"holds", "reason"}:
            raise ClaimStatementError(f"{file}: claims.{cid} must be a mapping with 'holds' and 'reason' only")
        if not isinstance(entry.get("holds"), bool):
            raise ClaimStatementError(f"{file}: claims.{cid}.holds must be true or false")
        reason = entry.get("reason")
        if not isinstance(reason, str) or not reason.strip():
            raise ClaimStatementError(f"{file}: claims.{cid} needs a non-empty 'reason'")


def _f7_share(stage_probs: np.ndarray, eps: float) -> float:
    """Expected frame share at stage >= 3 among units with sdg_in_management = 1 (present from stage 4)."""
    p_mgmt = stage_probs[:, 4:].sum(axis=1) * (1 - eps) + stage_probs[:, :4].sum(axis=1) * eps
    p_both = stage_probs[:, 4:].sum(axis=1) * (1 - eps) + stage_probs[:, 3] * eps
    return float(p_both.sum() / p_mgmt.sum())


def expected_values(model: Any) -> dict[str, Any]:
    """The model quantities the claims are about (frame-level expectations, generating coefficients, ceiling)."""
    sc = model.sc
    ps = model.stage_probs
    eps = float(sc["components"]["inconsistency_rate"]["value"])
    probs = model.item_probs()
    stage_shares = ps.mean(axis=0)
    from vsr_analysis.synth.scenario import BARRIER_ITEMS  # scenario imports this module

    return {
        "coefficients": dict(model.beta),
        "network_on_political_anchoring": float(model.a_net),
        "stage_shares": [round(float(s), 6) for s in stage_shares],
        "stage_ge1": round(float(probs["stage_ge1"].mean()), 6),
        "sdg_in_master_plan": round(float(probs["sdg_in_master_plan"].mean()), 6),
        "stage_ge3_among_management": round(_f7_share(ps, eps), 6),
        **{item: round(float(probs[item].mean()), 6) for item in BARRIER_ITEMS},
        "ceiling_threshold": model.ceiling_threshold,
        "median_population": model.median_population,
    }


def realised_values(full: dict) -> dict[str, float | None]:
    """Realised frame values (all municipalities, before item non-response) of the share claims' estimands; the
    barrier claims' from their declaration (:func:`barrier_declarations`)."""
    from vsr_analysis.synth.scenario import BARRIER_ITEMS  # scenario imports this module

    stage = np.asarray(full["stage"])
    mgmt = np.asarray(full["components"]["sdg_in_management"]) == 1
    shares = {item: float(np.mean(np.asarray(full["barriers"][item], dtype=float))) for item in BARRIER_ITEMS}
    return {
        "F2": float(np.mean(stage >= 1)),
        "F6": float(np.mean(np.asarray(full["components"]["sdg_in_master_plan"]) == 1)),
        "F7": float(np.mean(stage[mgmt] >= 3)) if mgmt.any() else None,
        **{cid: _barrier_value(d, shares) for cid, d in barrier_declarations().items()},
    }


def claim_truth(sc: dict, model: Any, full: dict) -> dict[str, dict]:
    """The ``claims`` entry of the truth JSON: per claim the stated truth, the estimand and its true value."""
    statements = sc.get("claims") or {}
    realised = realised_values(full)
    out: dict[str, dict] = {}
    estimands = {**ESTIMANDS, **{cid: _barrier_estimand(d) for cid, d in barrier_declarations().items()}}
    for cid in sorted(set(estimands) | set(statements)):
        st = statements.get(cid, {})
        if cid in realised:
            true_value = realised[cid]
        elif cid == "F1" and not model.ceiling:
            # the analysis model is the generating model (county effects truly zero): the coefficient is the truth
            true_value = model.beta["political_anchoring"]
        else:
            true_value = None
        out[cid] = {
            "holds": st.get("holds"),
            "reason": " ".join(str(st.get("reason", "not stated in the scenario")).split()),
            "estimand": estimands.get(cid, "not described"),
            "true_value": None if true_value is None else round(float(true_value), 10),
        }
        if cid == "F2":  # the realised spread over the ladder (F2's second condition), all 356 municipalities
            stage = np.asarray(full["stage"])
            out[cid]["realised_stage_shares"] = [round(float(np.mean(stage == k)), 10) for k in range(6)]
    return out
