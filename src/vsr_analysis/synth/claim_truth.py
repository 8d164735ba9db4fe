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
item non-response).  ``vsr simulate`` no longer reads these per-claim entries; it computes the same quantities
from each claim's declaration.
"""

from __future__ import annotations

from typing import Any

import numpy as np

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
    "F8": "share of the frame's 356 municipalities naming barrier_capacity",
    "F9": "share of the frame's 356 municipalities with measures_progress = 1 (synth.share_truth)",
    "F10": "share of the frame's 356 municipalities naming either state-level barrier (synth.share_truth)",
}


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
    return {
        "coefficients": dict(model.beta),
        "network_on_political_anchoring": float(model.a_net),
        "stage_shares": [round(float(s), 6) for s in stage_shares],
        "stage_ge1": round(float(probs["stage_ge1"].mean()), 6),
        "sdg_in_master_plan": round(float(probs["sdg_in_master_plan"].mean()), 6),
        "stage_ge3_among_management": round(_f7_share(ps, eps), 6),
        "barrier_capacity": round(float(probs["barrier_capacity"].mean()), 6),
        "ceiling_threshold": model.ceiling_threshold,
        "median_population": model.median_population,
    }


def realised_values(full: dict) -> dict[str, float | None]:
    """Realised frame values (all municipalities, before item non-response) of the share claims' estimands."""
    stage = np.asarray(full["stage"])
    mgmt = np.asarray(full["components"]["sdg_in_management"]) == 1
    return {
        "F2": float(np.mean(stage >= 1)),
        "F6": float(np.mean(np.asarray(full["components"]["sdg_in_master_plan"]) == 1)),
        "F7": float(np.mean(stage[mgmt] >= 3)) if mgmt.any() else None,
        "F8": float(np.mean(np.asarray(full["barriers"]["barrier_capacity"]))),
    }


def claim_truth(sc: dict, model: Any, full: dict) -> dict[str, dict]:
    """The ``claims`` entry of the truth JSON: per claim the stated truth, the estimand and its true value."""
    statements = sc.get("claims") or {}
    realised = realised_values(full)
    out: dict[str, dict] = {}
    for cid in sorted(set(ESTIMANDS) | set(statements)):
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
            "estimand": ESTIMANDS.get(cid, "not described"),
            "true_value": None if true_value is None else round(float(true_value), 10),
        }
        if cid == "F2":  # the realised spread over the ladder (F2's second condition), all 356 municipalities
            stage = np.asarray(full["stage"])
            out[cid]["realised_stage_shares"] = [round(float(np.mean(stage == k)), 10) for k in range(6)]
    return out
