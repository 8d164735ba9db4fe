"""What a scenario makes true, checked: the ``claims:`` statements of a scenario against its model.

A scenario *states* for each claim whether it holds (``data/scenarios/*.yml``, section ``claims``).  This module
recomputes the answer from the calibrated generating model (``synth.claim_truth.expected_values``) and the
claim's decision parameters in ``claims.yml``, so that a wrong statement is caught before any simulation is
scored against it.  The conditions, per rule:

* ``directional`` (F1: the coefficient of political anchoring): holds when the effect is positive;
* F5 (``intersection_union`` of two parts): the pseudo-true coefficients of the number of kinds of network and
  of cooperation with the county, each in its own model with F1's controls and county fixed effects
  (:func:`f5_truth`), are both positive;
* ``share_above_and_spread`` (F2): the frame's expected share at stage >= 1 exceeds the threshold and enough
  stages hold the minimum share;
* ``intersection_union`` (F3): all four marginal coefficients are positive (the conjunction of F3a-F3d);
* ``one_sided`` (F3a-F3d, the ``evidence_part`` of each): that characteristic's *marginal* coefficient is
  positive: the pseudo-true coefficient of the characteristic alone in the weighted proportional-odds model F3's
  tests fit (:func:`marginal_truth`, no county fixed effects), the estimand of the group comparison the finding
  states, not the generating model's partial coefficient;
* ``existence`` (F4): no ceiling keeps municipalities below the frame's median population under the top stage;
* ``share_above`` (F6, F7, F8, F10) and ``share_below`` (F9): the frame's expected share is above (below) the
  threshold.  For F9 and F10 the expected share is the one the replica writes into its truth JSON
  (``synth.share_truth``: ``f9_measures_progress`` and ``f10_state_barrier``, ``expected_frame``).
"""

from __future__ import annotations

import functools
import json
import warnings

import numpy as np
import pandas as pd

from vsr_analysis.synth import replica
from vsr_analysis.synth.scenario import PRIMARY_COVARIATES

#: F5's measured parts and the model each is estimated in (``claims.network_evidence.f5_evidence`` as the
#: chapter calls it: the controls of F1 without network membership, county fixed effects).
F5_PARTS = ("network_kinds", "cooperates_with_county")
F5_CONTROLS = ("log_population", "centrality", "merged_2017_2020")
F5_FIXED_EFFECTS = ("county_code",)

#: F3's four characteristics (its components' ``evidence_part``), and the fixed effects of their models (none).
F3_TERMS = ("merged_2017_2020", "log_population", "centrality", "network_member")
F3_FIXED_EFFECTS: tuple[str, ...] = ()

_SHARE_VALUE = {"F6": "sdg_in_master_plan", "F7": "stage_ge3_among_management", "F8": "barrier_capacity"}
#: Claims whose expected frame share the replica computes in ``synth.share_truth`` (a top-level truth entry).
SHARE_TRUTH = {"F9": "f9_measures_progress", "F10": "f10_state_barrier"}


def expected_for_claims(truth: dict) -> dict:
    """The model quantities every claim is about: ``claims_expected`` plus the share_truth entries (F9, F10)."""
    out = dict(truth["claims_expected"])
    for key in SHARE_TRUTH.values():
        if key in truth:
            out[key] = truth[key]["expected_frame"]
    return out


def model_says(claim_id: str, claim: dict, expected: dict) -> bool | None:
    """Whether the claim holds under the model's expected values (None: no rule for this claim here)."""
    rp = claim.get("rule_parameters", {}) or {}
    beta = expected["coefficients"]
    if claim_id == "F1":
        return beta["political_anchoring"] > 0
    if claim_id == "F5":
        f5 = expected.get("f5_parts")
        return None if f5 is None else all(value > 0 for value in f5.values())
    if claim_id == "F2":
        stages = sum(s >= float(rp["min_stage_share"]) for s in expected["stage_shares"])
        return expected["stage_ge1"] > float(rp["threshold"]) and stages >= int(rp["min_stages"])
    marginal = expected.get("marginal_coefficients")
    if claim_id == "F3":
        return None if marginal is None else all(marginal[t] > 0 for t in PRIMARY_COVARIATES)
    if claim.get("rule") == "one_sided" and claim.get("evidence_part") in beta:
        return None if marginal is None else marginal[claim["evidence_part"]] > 0
    if claim_id == "F4":
        cap = expected["ceiling_threshold"]
        return cap is None or cap < expected["median_population"]
    if claim_id in _SHARE_VALUE:
        return expected[_SHARE_VALUE[claim_id]] > float(rp["threshold"])
    if claim_id in SHARE_TRUTH and SHARE_TRUTH[claim_id] in expected:
        share = expected[SHARE_TRUTH[claim_id]]
        below = claim.get("rule") == "share_below"
        return share < float(rp["threshold"]) if below else share > float(rp["threshold"])
    return None


def check_statements(scenario: str, truth: dict, spec: dict) -> list[str]:
    """Problems with a scenario's ``claims:`` statements (empty list: every statement agrees with the model)."""
    problems = []
    expected = expected_for_claims(truth)
    doc = replica.load_scenario(scenario)
    if doc["_sha256"] == truth.get("scenario_sha256"):  # the F3 components' estimands (pseudo-true, marginal)
        expected["marginal_coefficients"] = marginal_truth(doc, F3_TERMS, F3_FIXED_EFFECTS)
        expected["f5_parts"] = f5_truth(doc)
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


#: Rules whose claim is about a share of the frame: each seed is labelled by that seed's realised frame share.
SHARE_RULES = ("share_above", "share_below", "share_above_and_spread")


def realised_holds(claim: dict, true_value: float | None, claim_truth: dict) -> bool | None:
    """Whether a share claim holds in one simulated frame: its realised share (all 356 municipalities,
    respondents or not, before item non-response; ``true_value``) against the rule's level, and for F2 the
    realised stage shares (``claim_truth["realised_stage_shares"]``) against the spread condition.

    None for a claim that is not about a share, or when the seed has no realised value (the scenario's
    statement is used instead).  This is the quantity the share tests and their intervals target, so a seed
    whose realised share falls on the other side of the level than the scenario's expectation is labelled by
    what it realised.
    """
    rule = claim.get("rule")
    if rule not in SHARE_RULES or true_value is None:
        return None
    rp = claim.get("rule_parameters") or {}
    threshold = float(rp["threshold"])
    if rule == "share_below":
        return bool(true_value < threshold)
    above = bool(true_value > threshold)
    if rule == "share_above_and_spread":
        shares = claim_truth.get("realised_stage_shares")
        if shares is None:
            return None
        occupied = sum(float(x) >= float(rp["min_stage_share"]) for x in shares)
        return above and occupied >= int(rp["min_stages"])
    return above


def truth_label(holds: bool | None) -> str:
    return "unstated" if holds is None else ("holds" if holds else "fails")


# --------------------------------------------------------------------------------------------------------
# Pseudo-true coefficients of the ordinal-effect claims


@functools.lru_cache(maxsize=32)
def _expected_rows(scenario_sha: str, scenario_json: str) -> pd.DataFrame:
    """Every municipality x network x anchoring x stage, weighted by its probability under the model.

    The weights of one municipality sum to 1: the frame as an infinitely repeated survey without non-response
    (item non-response is completely at random and so ignorable).
    """
    from vsr_analysis.data.analysis_frame import add_analysis_columns
    from vsr_analysis.simulate.replica_frame import reference_data

    sc = json.loads(scenario_json)
    register = reference_data()[0]
    model = replica._Model(sc, replica._frame(register))
    n = len(model.frame)
    probs = replica._ordered_probs(model.atom_eta, model.thresholds)  # (n, 2, 5, 6)
    k = np.arange(replica.N_STAGES)
    cap = model.max_stage[:, None, None, None]
    above = np.where(k > cap, probs, 0.0).sum(axis=-1, keepdims=True)
    probs = np.where(k > cap, 0.0, probs) + np.where(k == cap, above, 0.0)  # the ceiling, as in _stage_probs
    weight = model.atom_w[..., None] * probs
    idx = np.indices((n, 2, 5, replica.N_STAGES)).reshape(4, -1)
    base = add_analysis_columns(register.assign(network_ks_register=register["network_ks"]))
    base = base.sort_values("knr", kind="mergesort").reset_index(drop=True)
    rows = base.iloc[idx[0]][["log_population", "centrality", "merged_2017_2020", "county_code"]]
    return rows.assign(
        unit=idx[0],
        network_member=idx[1].astype(float),
        political_anchoring=(idx[2] + 1).astype(float),
        maturity_stage=idx[3],
        weight=weight.reshape(-1),
    ).reset_index(drop=True)


def pseudo_true_coefficient(scenario: dict, term: str, controls: tuple[str, ...], fixed_effects: tuple[str, ...]):
    """The value the weighted proportional-odds estimate of ``term`` converges to under ``scenario``.

    The analysis model fitted to the model's expected frame (:func:`_expected_rows`) with the same package
    function the chapters use.  Where the analysis model is the generating model (F1 without a ceiling) this is
    the generating coefficient; where it is not (F5 leaves out political anchoring, which membership raises; a
    ceiling censors the stages) it is the *pseudo-true* value the estimator targets.  The raking weights
    reproduce the frame on its margins, so the frame-level fit is the estimand (up to the raking's
    approximation of the response model).
    """
    doc = {k: v for k, v in scenario.items() if not k.startswith("_")}
    scenario_json = json.dumps(doc, sort_keys=True, default=str)
    return _pseudo_true(scenario["_sha256"], scenario_json, term, tuple(controls), tuple(fixed_effects))


@functools.lru_cache(maxsize=16)
def _network_rows(scenario_sha: str, scenario_json: str) -> pd.DataFrame:
    """:func:`_expected_rows` expanded by F5's items, each combination weighted by its probability under the model.

    As the replica draws them (``synth.simulation``): a member belongs to the KS network if the register lists it;
    to a regional network with probability ``ks_listed_regional`` / ``other_regional``; to an international one
    if U4SSC-listed, else with the size-dependent ``international`` probability; a member with no kind drawn
    reports the regional one.  Cooperation with the county: logit = logit(``at_median_stage``) +
    ``regional_network`` * regional + ``stage`` * (stage - 2.5).  Non-members have no kind.
    """
    from scipy.special import expit, logit

    from vsr_analysis.simulate.replica_frame import reference_data

    sc = json.loads(scenario_json)
    model = replica._Model(sc, replica._frame(reference_data()[0]))
    nw, coop, v = sc["network"], sc["cooperation"], replica._v
    p_reg = np.where(model.ks, v(nw["ks_listed_regional"]), v(nw["other_regional"]))
    p_int = np.where(
        model.u4ssc,
        1.0,
        expit(
            logit(v(nw["international_at_median"]))
            + v(nw["international_log_population"]) * (model.log_pop - model.ln_median)
        ),
    )
    rows = _expected_rows(scenario_sha, scenario_json)
    u = rows["unit"].to_numpy()
    member = rows["network_member"].to_numpy() == 1
    stage = rows["maturity_stage"].to_numpy().astype(float)
    ks = member & model.ks[u]
    parts = []
    for reg_draw in (False, True):
        for intl_draw in (False, True):
            p_kind = np.where(reg_draw, p_reg[u], 1 - p_reg[u]) * np.where(intl_draw, p_int[u], 1 - p_int[u])
            w_kind = np.where(member, p_kind, float(not reg_draw and not intl_draw))  # non-members: no kind
            intl = member & intl_draw
            regional = member & (reg_draw | (~ks & ~intl))
            p_coop = expit(
                logit(v(coop["at_median_stage"]))
                + v(coop["regional_network"]) * regional
                + v(coop["stage"]) * (stage - 2.5)
            )
            for c in (0, 1):
                parts.append(
                    rows.assign(
                        network_kinds=ks.astype(float) + regional + intl,
                        cooperates_with_county=float(c),
                        weight=rows["weight"].to_numpy() * w_kind * (p_coop if c else 1 - p_coop),
                    )
                )
    out = pd.concat(parts, ignore_index=True)
    return out[out["weight"] > 0].reset_index(drop=True)


def pseudo_true_f5(scenario: dict, term: str, controls: tuple[str, ...], fixed_effects: tuple[str, ...]) -> float:
    """:func:`pseudo_true_coefficient` for F5's parts (``network_kinds``, ``cooperates_with_county``)."""
    doc = {k: v for k, v in scenario.items() if not k.startswith("_")}
    scenario_json = json.dumps(doc, sort_keys=True, default=str)
    return _pseudo_true(scenario["_sha256"], scenario_json, term, tuple(controls), tuple(fixed_effects), rows="network")


@functools.lru_cache(maxsize=64)
def _pseudo_true(
    scenario_sha: str,
    scenario_json: str,
    term: str,
    controls: tuple[str, ...],
    fixed_effects: tuple[str, ...],
    rows: str = "base",
) -> float:
    """:func:`pseudo_true_coefficient`, computed once per scenario and model (it does not depend on the seed)."""
    from vsr_analysis.stats.ordinal_model import fit_ordinal

    make = _network_rows if rows == "network" else _expected_rows
    rows = make(scenario_sha, scenario_json)
    # rows that differ only in a variable the model leaves out are one row with their weights summed
    used = ["unit", term, *controls, *fixed_effects, "maturity_stage"]
    rows = rows.groupby(used, sort=True, observed=True)["weight"].sum().reset_index()
    rows = rows[rows["weight"] > 0]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        fit = fit_ordinal(
            rows, "maturity_stage", [term, *controls], weights="weight", fixed_effects=list(fixed_effects)
        )
    return round(float(fit.params[term]), 10) + 0.0  # + 0.0: no negative zero in the files


def marginal_truth(scenario: dict, terms, fixed_effects=()) -> dict[str, float]:
    """F3's components: the pseudo-true coefficient of each characteristic alone (the model F3's tests fit:
    ``claims.conjunction_evidence.marginal_component_tests``), by term."""
    return {t: pseudo_true_coefficient(scenario, t, (), tuple(fixed_effects)) for t in terms}


def marginal_truth_table(components: pd.DataFrame, truth_json: dict, fixed_effects=()) -> pd.DataFrame:
    """Simulated data only: each F3 component's estimate beside the value it estimates in the simulation.

    ``truth_json`` is the replica's truth JSON (its ``scenario`` names the scenario file, whose hash must match).
    """
    scenario = replica.load_scenario(truth_json["scenario"])
    if scenario["_sha256"] != truth_json.get("scenario_sha256"):
        raise ValueError(f"scenario {truth_json['scenario']!r} changed since the survey was simulated")
    truth = marginal_truth(scenario, list(components["term"]), fixed_effects)
    out = components.assign(truth=components["term"].map(truth))[["term", "truth", "estimate", "ci_low", "ci_high"]]
    out["covered by 95 % CI"] = (out["ci_low"] <= out["truth"]) & (out["truth"] <= out["ci_high"])
    return out


def f5_truth(scenario: dict, controls=F5_CONTROLS, fixed_effects=F5_FIXED_EFFECTS) -> dict[str, float]:
    """F5's parts: the pseudo-true coefficient of each in its own model (the estimands of F5's two tests)."""
    return {t: pseudo_true_f5(scenario, t, tuple(controls), tuple(fixed_effects)) for t in F5_PARTS}


def f5_truth_table(components: pd.DataFrame, truth_json: dict, controls, fixed_effects) -> pd.DataFrame:
    """Simulated data only: each F5 part's estimate beside the value it estimates in the simulation."""
    scenario = replica.load_scenario(truth_json["scenario"])
    if scenario["_sha256"] != truth_json.get("scenario_sha256"):
        raise ValueError(f"scenario {truth_json['scenario']!r} changed since the survey was simulated")
    truth = f5_truth(scenario, tuple(controls), tuple(fixed_effects))
    out = components.assign(truth=components["term"].map(truth))[["term", "truth", "estimate", "ci_low", "ci_high"]]
    out["covered by 95 % CI"] = (out["ci_low"] <= out["truth"]) & (out["truth"] <= out["ci_high"])
    return out
