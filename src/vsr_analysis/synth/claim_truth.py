"""What a scenario makes true for each claim: the ``claims:`` section of a scenario file, and its truth values.

A scenario file may end with a ``claims:`` section that states, for every claim of ``claims.yml``, whether the
scenario makes it true::

    claims:
      <claim id>:
        holds: true
        reason: 55 % of the frame have the SDGs in the master plan (stage >= 3), above the claim's 0.5.

The statement is checked, not trusted: ``vsr_analysis.simulate.truth.check_statements`` computes the claim's
truth from its declaration in ``claims.yml`` and the scenario's model (``synth.estimands``) and compares.  This
module writes the statements into the replica's truth JSON for its readers, with :func:`expected_values` (the
frame's expected shares, the generating coefficients, the ceiling) and, for every seed, the *realised* value of
the estimand where one exists: the share among all 356 municipalities of the frame (respondents or not, before
item non-response).  Every claim on the municipalities gets its estimand and realised value from its declaration
in ``claims.yml`` (its outcome and analysis kind, :mod:`vsr_analysis.claims.spec`), never from its id.
``vsr simulate`` no longer reads these per-claim entries; it computes the same quantities from each
claim's declaration.
"""

from __future__ import annotations

from typing import Any

import numpy as np


def _municipal_claims() -> tuple:
    """The claims of ``claims.yml`` about the municipalities (the frame this replica's truth describes)."""
    from vsr_analysis.claims.spec import cached_claims

    return tuple(c for c in cached_claims().claims if c.population.units == "municipalities")


def _stage_words(claim: Any) -> str:
    o = claim.outcome
    return f"at {o.item} >= {o.min_stage}" if o.min_stage is not None else f"with {o.item} = 1"


def _estimand(claim: Any) -> str:
    """What the claim's primary estimate estimates, in words, from its declared analysis (written into the truth)."""
    kind, a, o = claim.analysis.kind, claim.analysis.parameters, claim.outcome
    if kind == "share_ranking":
        top = list(a["top"])
        others = [i for i in o.ranked if i not in top]
        return (
            f"smallest frame share of {', '.join(top)} minus the largest of {', '.join(others)} (the ranking "
            "holds when positive)"
        )
    if claim.is_share:
        if o.domain:
            return f"among the frame's municipalities with {o.domain} = 1, the share {_stage_words(claim)}"
        return f"share of the frame's 356 municipalities {_stage_words(claim)}"
    if kind == "ordinal_coefficient":
        return f"coefficient of {a['term']} in the proportional-odds model of {o.item} (generating model)"
    if kind == "group_comparison":
        return f"coefficient of {a['term']} alone in a weighted proportional-odds model (pseudo-true, marginal)"
    if kind == "conjunction":
        return (
            f"the coefficients of {', '.join(a['terms'])}, each in its own model (intersection-union test: all "
            "positive; no single true value)"
        )
    if kind == "existence_count":
        return (
            f"whether a {a['condition']} threshold at or above the frame median caps {o.item} below "
            f"{o.min_stage} (no single value)"
        )
    return "not described"


def _item_values(full: dict, item: str) -> np.ndarray | None:
    """The realised values of a 0/1 item for every frame municipality (None when the replica keeps none)."""
    if item in full["barriers"]:
        return np.asarray(full["barriers"][item], dtype=float)
    if item in full["components"]:
        return (np.asarray(full["components"][item]) == 1).astype(float)
    return None


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


def _share_among_management(stage_probs: np.ndarray, eps: float) -> float:
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
        "stage_ge3_among_management": round(_share_among_management(ps, eps), 6),
        **{item: round(float(probs[item].mean()), 6) for item in BARRIER_ITEMS},
        "ceiling_threshold": model.ceiling_threshold,
        "median_population": model.median_population,
    }


def _realised_share(claim: Any, full: dict) -> float | None:
    """A share claim's realised frame value: all municipalities, respondents or not, before item non-response."""
    o = claim.outcome
    stage = np.asarray(full["stage"])
    if claim.analysis.kind == "share_ranking":
        shares = {item: float(np.mean(_item_values(full, item))) for item in o.ranked}
        top = claim.analysis.parameters["top"]
        return min(shares[i] for i in top) - max(shares[i] for i in o.ranked if i not in top)
    if o.any_of:
        return None
    if o.min_stage is not None and o.item == "maturity_stage":
        hit = stage >= o.min_stage
    else:
        values = _item_values(full, o.item)
        if values is None:
            return None
        hit = values == 1
    if o.domain:
        inside = _item_values(full, o.domain)
        if inside is None:
            return None
        inside = inside == 1
        return float(np.mean(hit[inside])) if inside.any() else None
    return float(np.mean(hit))


def realised_values(full: dict) -> dict[str, float | None]:
    """Realised frame values (all municipalities, before item non-response) of the share claims' estimands, each
    computed from the claim's declared outcome and analysis."""
    claims = _municipal_claims()
    return {c.id: _realised_share(c, full) for c in claims if c.is_share or c.analysis.kind == "share_ranking"}


def claim_truth(sc: dict, model: Any, full: dict) -> dict[str, dict]:
    """The ``claims`` entry of the truth JSON: per claim the stated truth, the estimand and its true value."""
    statements = sc.get("claims") or {}
    claims = {c.id: c for c in _municipal_claims()}
    realised = realised_values(full)
    out: dict[str, dict] = {}
    for cid in sorted(set(claims) | set(statements)):
        st, claim = statements.get(cid, {}), claims.get(cid)
        if cid in realised:
            true_value = realised[cid]
        elif (
            claim is not None
            and claim.analysis.kind == "ordinal_coefficient"
            and claim.analysis.parameters.get("term") in model.beta
            and not model.ceiling
        ):
            # the analysis model is the generating model (county effects truly zero): the coefficient is the truth
            true_value = model.beta[claim.analysis.parameters["term"]]
        else:
            true_value = None
        out[cid] = {
            "holds": st.get("holds"),
            "reason": " ".join(str(st.get("reason", "not stated in the scenario")).split()),
            "estimand": "not described" if claim is None else _estimand(claim),
            "true_value": None if true_value is None else round(float(true_value), 10),
        }
        if claim is not None and claim.analysis.parameters.get("spread_over") == "maturity_stage":
            # the realised spread over the ladder (the rule's second condition), all 356 municipalities
            stage = np.asarray(full["stage"])
            out[cid]["realised_stage_shares"] = [round(float(np.mean(stage == k)), 10) for k in range(6)]
    return out
