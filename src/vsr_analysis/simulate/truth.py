"""What a scenario makes true for each claim, computed from the claim's declaration and the scenario's model.

Each claim declares in ``claims.yml`` its outcome, population and analysis kind (:mod:`vsr_analysis.claims.spec`);
:func:`model_truth` computes from the scenario's calibrated generating model whether the claim holds and the value
its primary estimate estimates, by the analysis kind (never by the claim's id):

* ``share_vs_threshold``: the expected share of the declared outcome among the declared units
  (``synth.estimands.expected_share``) against the rule's level (above, or below for ``share_below``), and for a
  claim with ``spread_over`` enough stages holding the minimum share;
* ``ordinal_coefficient``: the sign the rule names (positive unless ``direction: negative``) of the pseudo-true
  coefficient of the term in the chapter's model (:func:`pseudo_true_coefficient`; the generating coefficient
  when the parameters are not known);
* ``group_comparison``: the *marginal* coefficient of the characteristic alone is positive (:func:`marginal_truth`,
  the estimand of the group comparison the finding states, not the generating model's partial coefficient);
* ``conjunction``: every component holds;
* ``share_noninferiority``: the expected share of the outcome among the claim's units (the county authorities'
  ``county_rate``) minus its expected share among the units of ``analysis.against`` exceeds minus the rule's
  ``margin`` (the model-based estimand of the test: county answers are Bernoulli draws at ``county_rate``);
* ``share_ranking``: each item of ``analysis.top`` has a larger expected frame share than every other item of the
  outcome's ``ranked`` (the value: the smallest of those differences);
* ``existence_count``: no ceiling keeps the units below the frame's median of the condition under the outcome's
  stage (the model's ceiling is on population, so another condition gets no computed truth).

A scenario's ``claims:`` section (``data/scenarios/*.yml``) may state a truth; it is checked against the computed one
(:func:`check_statements`) before any simulation is scored, and used only where nothing can be computed.  Each
seed of a share claim on the municipalities is labelled by its *realised* frame share (:func:`realised_value`), and
each seed of a ranking claim by its realised frame shares (the smallest difference between a top item and another).
"""

from __future__ import annotations

import functools
import json
import warnings

import numpy as np
import pandas as pd

from vsr_analysis.claims.share_evidence import claim_domain, claim_outcome
from vsr_analysis.claims.spec import Claim, ClaimsSpec
from vsr_analysis.synth import estimands, replica

#: Controls and fixed effects of a coefficient's model when the chapter's parameters are not given (the ordinal-coefficient
#: chapters: size, centrality, merger, county fixed effects).
DEFAULT_CONTROLS = ("log_population", "centrality", "merged_2017_2020")
DEFAULT_FIXED_EFFECTS = ("county_code",)
#: Terms whose pseudo-true coefficient needs the network items drawn (:func:`_network_rows`).
NETWORK_TERMS = ("network_kinds", "cooperates_with_county")


def stated_truth(doc: dict, claim_id: str) -> bool | None:
    """The scenario's ``claims:`` statement about a claim (None: not stated)."""
    return ((doc.get("claims") or {}).get(claim_id) or {}).get("holds")


def _direction(claim: Claim) -> float:
    return -1.0 if claim.rule_parameters.get("direction") == "negative" else 1.0


def _coefficient(doc: dict, term: str, params: dict | None) -> float | None:
    """The value the chapter's estimate of ``term`` converges to (its controls and fixed effects from ``params``)."""
    controls = tuple(c for c in (params or {}).get("controls", DEFAULT_CONTROLS) if c != term)
    fixed = tuple((params or {}).get("fixed_effects", DEFAULT_FIXED_EFFECTS))
    if term in NETWORK_TERMS:
        return pseudo_true_network_term(doc, term, controls, fixed)
    if params is None:
        return estimands.generating_coefficients(doc).get(term)
    return pseudo_true_coefficient(doc, term, controls, fixed)


def model_truth(claim: Claim, doc: dict, params: dict | None = None) -> tuple[bool | None, float | None]:
    """(whether ``claim`` holds under scenario ``doc``'s model, the value its primary estimate estimates); None where
    the model does not decide it.  ``params``: the chapter's parameters (controls and fixed effects of a model)."""
    kind = claim.analysis.kind
    if kind == "share_vs_threshold":
        value = expected_claim_share(claim, doc)
        if value is None:
            return None, None
        holds = value < claim.threshold if claim.rule == "share_below" else value > claim.threshold
        if claim.analysis.get("spread_over"):
            shares = estimands.expected_stage_shares(doc, claim.population.units)
            holds = holds and _spread_holds(claim, shares)
        return bool(holds), value
    if kind == "share_noninferiority":
        value = expected_difference(claim, doc)
        if value is None:
            return None, None
        return bool(value > -float(claim.rule_parameters["margin"])), value
    if claim.population.units != "municipalities" or claim.population.subgroup:
        return None, None  # the models' truths are computed on all municipalities only
    if kind == "share_ranking":
        shares = {i: estimands.expected_share(doc, item=i) for i in claim.outcome.ranked}
        if any(v is None for v in shares.values()):
            return None, None
        value = ranking_margin(claim, shares)
        return bool(value > 0), value
    if kind == "ordinal_coefficient":
        value = _coefficient(doc, claim.analysis["term"], params)
        return (None, None) if value is None else (bool(_direction(claim) * value > 0), value)
    if kind == "group_comparison":
        value = marginal_truth(doc, [claim.analysis["term"]])[claim.analysis["term"]]
        return bool(value > 0), value
    if kind == "conjunction":
        terms = list(claim.analysis["terms"])
        if claim.analysis["components"] == "group_comparison":
            values = marginal_truth(doc, terms)
        else:
            values = {t: _coefficient(doc, t, params) for t in terms}
        if any(v is None for v in values.values()):
            return None, None
        return all(v > 0 for v in values.values()), None
    if kind == "existence_count":
        if claim.analysis["condition"] != "population_2021" or claim.outcome.min_stage is None:
            return None, None
        cap, median = estimands.stage_ceiling(doc, claim.outcome.min_stage)
        return cap is None or cap < median, None
    return None, None


def ranking_margin(claim: Claim, shares: dict) -> float:
    """A ranking claim's margin: the smallest share of an item of ``analysis.top`` minus the largest share of the
    other items of ``outcome.ranked`` (positive: the ranking holds)."""
    top = list(claim.analysis["top"])
    return float(min(shares[i] for i in top) - max(shares[i] for i in claim.outcome.ranked if i not in top))


def expected_claim_share(claim: Claim, doc: dict) -> float | None:
    """The expected share of a share claim's declared outcome among its units under the scenario's model."""
    if claim.population.subgroup:
        return None
    o = claim.outcome
    return estimands.expected_share(
        doc, item=o.item, min_stage=o.min_stage, any_of=o.any_of, domain=o.domain, units=claim.population.units
    )


def expected_difference(claim: Claim, doc: dict) -> float | None:
    """A non-inferiority claim: the expected share of its outcome among its units minus that among the units it is
    compared with (``analysis.against``), under the scenario's model (None: not computable)."""
    if claim.population.subgroup:
        return None
    o = claim.outcome
    shares = [
        estimands.expected_share(doc, item=o.item, min_stage=o.min_stage, any_of=o.any_of, domain=o.domain, units=u)
        for u in (claim.population.units, claim.analysis["against"])
    ]
    return None if None in shares else round(shares[0] - shares[1], 6)


def truth_text(claims, scenario: str) -> str:
    """Simulated data only (the county chapter): whether each claim holds under the scenario's model and the value
    its estimate targets (:func:`model_truth`), in words; empty when the model decides none of them."""
    doc = replica.load_scenario(scenario)
    parts = []
    for c in claims:
        holds, value = model_truth(c, doc)
        if holds is not None and value is not None:
            parts.append(f"{c.id} {'holds' if holds else 'fails'} (the value its estimate targets: {value:.2f})")
    return ("*Simulated data:* under the scenario's model " + "; ".join(parts) + ".") if parts else ""


def _spread_holds(claim: Claim, stage_shares) -> bool:
    rp = claim.rule_parameters
    occupied = sum(float(x) >= float(rp["min_stage_share"]) for x in stage_shares)
    return occupied >= int(rp["min_stages"])


def check_statements(scenario: str, doc: dict, claims: ClaimsSpec, params: dict | None = None) -> list[str]:
    """Problems with a scenario's ``claims:`` statements (empty list: every statement agrees with the model).
    ``params``: claim id -> the chapter's parameters, where known."""
    problems = []
    for claim in claims.claims:
        stated = stated_truth(doc, claim.id)
        if stated is None:
            continue
        computed, _ = model_truth(claim, doc, (params or {}).get(claim.id))
        if computed is None:
            continue
        if bool(stated) != bool(computed):
            problems.append(
                f"data/scenarios/{scenario}.yml: claims.{claim.id}.holds is {str(stated).lower()}, but the "
                f"scenario's model makes the claim {'hold' if computed else 'fail'}"
            )
    return problems


def realised_value(claim: Claim, complete: pd.DataFrame) -> tuple[float | None, list[float] | None]:
    """A share claim on the municipalities in one simulated frame: its realised share among all frame municipalities
    (``complete``: respondents or not, before item non-response) and, for ``spread_over``, the realised share at each
    stage.  A ranking claim on the municipalities: its realised margin (:func:`ranking_margin` of the frame's shares,
    each item's share among the units that answered it) and None.  (None, None) for any other claim."""
    if claim.analysis.kind == "share_ranking" and claim.population.units == "municipalities":
        shares = {}
        for item in claim.outcome.ranked:
            v = np.asarray(complete[item], dtype=float)
            v = v[np.isfinite(v)]
            if not v.size:
                return None, None
            shares[item] = float(v.mean())
        return ranking_margin(claim, shares), None
    if not claim.is_share or claim.population.units != "municipalities":
        return None, None
    y = claim_outcome(complete, claim.outcome)
    dom, _ = claim_domain(complete, claim)
    values = y[dom & np.isfinite(y)]
    share = float(values.mean()) if values.size else None
    spread = None
    column = claim.analysis.get("spread_over")
    if column:
        stage = np.asarray(complete[column], dtype=float)
        spread = [float(np.mean(stage == k)) for k in range(replica.N_STAGES)]
    return share, spread


def realised_holds(claim: Claim, true_value: float | None, stage_shares=None) -> bool | None:
    """Whether a share claim holds in one simulated frame: its realised share (``true_value``) against the rule's
    level, and for a claim with ``spread_over`` the realised stage shares against the spread condition.  A ranking
    claim holds when its realised margin (:func:`ranking_margin`) is positive.

    None for a claim that is not a share of the frame, or when the seed has no realised value (the model's or the
    scenario's truth is used instead).  This is the quantity the share tests and their intervals target, so a seed
    whose realised share falls on the other side of the level than the scenario's expectation is labelled by
    what it realised.
    """
    if claim.analysis.kind == "share_ranking" and true_value is not None:
        return bool(true_value > 0)
    if not claim.is_share or true_value is None:
        return None
    threshold = claim.threshold
    if claim.rule == "share_below":
        return bool(true_value < threshold)
    above = bool(true_value > threshold)
    if claim.analysis.get("spread_over"):
        if stage_shares is None:
            return None
        return above and _spread_holds(claim, stage_shares)
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
    model = replica.ScenarioModel(sc, replica.register_frame(register))
    n = len(model.frame)
    probs = replica.ordered_probs(model.atom_eta, model.thresholds)  # (n, 2, 5, 6)
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
    function the chapters use.  Where the analysis model is the generating model (the anchoring coefficient without a ceiling) this is
    the generating coefficient; where it is not (the network claim leaves out political anchoring, which membership raises; a
    ceiling censors the stages) it is the *pseudo-true* value the estimator targets.  The raking weights
    reproduce the frame on its margins, so the frame-level fit is the estimand (up to the raking's
    approximation of the response model).
    """
    doc = {k: v for k, v in scenario.items() if not k.startswith("_")}
    scenario_json = json.dumps(doc, sort_keys=True, default=str)
    return _pseudo_true(scenario["_sha256"], scenario_json, term, tuple(controls), tuple(fixed_effects))


@functools.lru_cache(maxsize=16)
def _network_rows(scenario_sha: str, scenario_json: str) -> pd.DataFrame:
    """:func:`_expected_rows` expanded by the network claim's items, each combination weighted by its probability under the model.

    As the replica draws them (``synth.simulation``): a member belongs to the KS network if the register lists it;
    to a regional network with probability ``ks_listed_regional`` / ``other_regional``; to an international one
    if U4SSC-listed, else with the size-dependent ``international`` probability; a member with no kind drawn
    reports the regional one.  Cooperation with the county: logit = logit(``at_median_stage``) +
    ``regional_network`` * regional + ``stage`` * (stage - 2.5).  Non-members have no kind.
    """
    from scipy.special import expit, logit

    from vsr_analysis.simulate.replica_frame import reference_data

    sc = json.loads(scenario_json)
    model = replica.ScenarioModel(sc, replica.register_frame(reference_data()[0]))
    nw, coop, v = sc["network"], sc["cooperation"], replica.value_of
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


def pseudo_true_network_term(
    scenario: dict, term: str, controls: tuple[str, ...], fixed_effects: tuple[str, ...]
) -> float:
    """:func:`pseudo_true_coefficient` for the network claim's parts (``network_kinds``, ``cooperates_with_county``)."""
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
    """A conjunction's group comparisons: the pseudo-true coefficient of each characteristic alone (the model they fit:
    ``claims.conjunction_evidence.marginal_component_tests``), by term."""
    return {t: pseudo_true_coefficient(scenario, t, (), tuple(fixed_effects)) for t in terms}


def marginal_truth_table(components: pd.DataFrame, truth_json: dict, fixed_effects=()) -> pd.DataFrame:
    """Simulated data only: each group comparison's estimate beside the value it estimates in the simulation.

    ``truth_json`` is the replica's truth JSON (its ``scenario`` names the scenario file, whose hash must match).
    """
    scenario = replica.load_scenario(truth_json["scenario"])
    if scenario["_sha256"] != truth_json.get("scenario_sha256"):
        raise ValueError(f"scenario {truth_json['scenario']!r} changed since the survey was simulated")
    truth = marginal_truth(scenario, list(components["term"]), fixed_effects)
    out = components.assign(truth=components["term"].map(truth))[["term", "truth", "estimate", "ci_low", "ci_high"]]
    out["covered by 95 % CI"] = (out["ci_low"] <= out["truth"]) & (out["truth"] <= out["ci_high"])
    return out


def network_truth(
    scenario: dict, controls=DEFAULT_CONTROLS, fixed_effects=DEFAULT_FIXED_EFFECTS, terms=NETWORK_TERMS
) -> dict[str, float]:
    """A conjunction of network terms: the pseudo-true coefficient of each in its own model (the estimands of its
    tests)."""
    return {t: pseudo_true_network_term(scenario, t, tuple(controls), tuple(fixed_effects)) for t in terms}


def network_truth_table(components: pd.DataFrame, truth_json: dict, controls, fixed_effects) -> pd.DataFrame:
    """Simulated data only: each network part's estimate beside the value it estimates in the simulation."""
    scenario = replica.load_scenario(truth_json["scenario"])
    if scenario["_sha256"] != truth_json.get("scenario_sha256"):
        raise ValueError(f"scenario {truth_json['scenario']!r} changed since the survey was simulated")
    truth = network_truth(scenario, tuple(controls), tuple(fixed_effects), tuple(components["term"]))
    out = components.assign(truth=components["term"].map(truth))[["term", "truth", "estimate", "ci_low", "ci_high"]]
    out["covered by 95 % CI"] = (out["ci_low"] <= out["truth"]) & (out["truth"] <= out["ci_high"])
    return out
