"""What a scenario makes true, checked: the ``claims:`` statements of a scenario against its model.

A scenario *states* for each claim whether it holds (``data/scenarios/*.yml``, section ``claims``).  This module
recomputes the answer from the calibrated generating model (``synth.claim_truth.expected_values``) and the
claim's decision parameters in ``claims.yml``, so that a wrong statement is caught before any simulation is
scored against it.  The conditions, per rule:

* ``directional`` (F1: the coefficient of political anchoring; F5: network membership, whose total association
  also runs through political anchoring): holds when the effect is positive;
* ``share_above_and_spread`` (F2): the frame's expected share at stage >= 1 exceeds the threshold and enough
  stages hold the minimum share;
* ``joint_nonnegative`` (F3): no structural coefficient is negative and at least one is positive;
* ``not_prerequisite`` (F4): no ceiling keeps municipalities at or above the frame's median population below
  the top stage;
* ``share_above`` (F6, F7, F8): the frame's expected share exceeds the threshold.
"""

from __future__ import annotations

from vsr_analysis.synth.replica import PRIMARY_COVARIATES

_SHARE_VALUE = {"F6": "sdg_in_master_plan", "F7": "stage_ge3_among_management", "F8": "barrier_capacity"}


def model_says(claim_id: str, claim: dict, expected: dict) -> bool | None:
    """Whether the claim holds under the model's expected values (None: no rule for this claim here)."""
    rp = claim.get("rule_parameters", {}) or {}
    beta = expected["coefficients"]
    if claim_id == "F1":
        return beta["political_anchoring"] > 0
    if claim_id == "F5":
        direct = beta["network_member"]
        indirect = beta["political_anchoring"] * expected["network_on_political_anchoring"]
        return direct >= 0 and indirect >= 0 and (direct > 0 or indirect > 0)
    if claim_id == "F2":
        stages = sum(s >= float(rp["min_stage_share"]) for s in expected["stage_shares"])
        return expected["stage_ge1"] > float(rp["threshold"]) and stages >= int(rp["min_stages"])
    if claim_id == "F3":
        b = [beta[t] for t in PRIMARY_COVARIATES]
        return min(b) >= 0 and max(b) > 0
    if claim_id == "F4":
        cap = expected["ceiling_threshold"]
        return cap is None or cap < expected["median_population"]
    if claim_id in _SHARE_VALUE:
        return expected[_SHARE_VALUE[claim_id]] > float(rp["threshold"])
    return None


def check_statements(scenario: str, truth: dict, spec: dict) -> list[str]:
    """Problems with a scenario's ``claims:`` statements (empty list: every statement agrees with the model)."""
    problems = []
    expected = truth["claims_expected"]
    for claim in spec["claims"]:
        cid = claim["id"]
        stated = truth["claims"].get(cid, {}).get("holds")
        computed = model_says(cid, claim, expected)
        if stated is None or computed is None:
            continue
        if bool(stated) != bool(computed):
            problems.append(
                f"data/scenarios/{scenario}.yml: claims.{cid}.holds is {str(stated).lower()}, but the scenario's "
                f"model makes the claim {'hold' if computed else 'fail'}"
            )
    return problems


def truth_label(holds: bool | None) -> str:
    return "unstated" if holds is None else ("holds" if holds else "fails")
