"""Analysis kind -> the primary analysis of a claim of that kind, through the package functions the chapters call.

``claims.yml`` declares each claim's analysis (``analysis.kind``), outcome and population
(:mod:`vsr_analysis.claims.spec`); :func:`analysis_for` picks the implementation by the kind, never by the
claim's id.  Each implementation is ``analysis(data, claim, params, seed) -> evidence`` where ``data`` is the
:class:`~vsr_analysis.data.analysis_frame.AnalysisFrame` a notebook gets from ``ctx``, ``claim`` the typed
:class:`~vsr_analysis.claims.spec.Claim`, ``params`` the notebook's parameters for the claim's parameter set
(template defaults overridden by ``runspec.yml``; see :func:`claim_parameters`: the controls, fixed effects and
permutations a chapter uses) and ``seed`` the claim's own analysis seed (:mod:`.streams`).  ``evidence`` has the
shape the notebooks hand to the ledger (``primary`` with ``estimate``, ``ci_low``, ``ci_high``, ``p_value``;
``rule_inputs``; ``n``), so ``claims.ledger.decide`` applies the pre-specified rule to it unchanged.  A component
of a conjunction (``analysis.part_of``) gets the part of its parent's evidence the ledger would read
(``claims.ledger.claim_evidence``).

Only the primary test and what the decision rule reads are computed: the descriptive tables, figures and
robustness rows of a chapter do not enter the verdict and are skipped.

Where a notebook still holds a step inline (the existence count's threshold: the frame's median unless the
parameter set names one; the spread of a share over the ladder's stages), the step is restated here in a line or
two and marked; the statistics themselves are never re-implemented.
"""

from __future__ import annotations

import warnings
from collections.abc import Callable
from typing import Any

import numpy as np

from vsr_analysis.claims import conjunction_evidence as conj
from vsr_analysis.claims import county_evidence, necessity_evidence
from vsr_analysis.claims import ranking_evidence as ranking
from vsr_analysis.claims import share_evidence as se
from vsr_analysis.claims.evidence import MIN_COUNT_UNITS, MIN_MODEL_UNITS
from vsr_analysis.claims.model_robustness import with_large_reference
from vsr_analysis.claims.network_evidence import network_kinds_evidence
from vsr_analysis.claims.spec import Claim
from vsr_analysis.data.analysis_frame import AnalysisFrame
from vsr_analysis.stats.descriptives import as_float, stages_with_min_share
from vsr_analysis.stats.dispersion import weighted_distribution
from vsr_analysis.stats.marginal_effects import ordinal_term_effect
from vsr_analysis.stats.nca import nca

Analysis = Callable[[AnalysisFrame, Claim, dict, int], dict]

_PRIMARY_KEYS = ("estimate", "ci_low", "ci_high", "p_value")


def _evidence(estimate, ci_low, ci_high, p_value, n, rule_inputs=None) -> dict:
    return {
        "primary": {"estimate": estimate, "ci_low": ci_low, "ci_high": ci_high, "p_value": p_value},
        "rule_inputs": rule_inputs or {},
        "n": int(n),
    }


def _from_notebook_evidence(primary: dict, n, rule_inputs: dict) -> dict:
    """The ledger's evidence from a package function's ``primary`` block (its ``method`` text left out)."""
    return _evidence(*(primary.get(k) for k in _PRIMARY_KEYS), n, rule_inputs)


def _require(n: int, minimum: int, what: str) -> None:
    """The chapters' ``stop_unless_estimable``: too few answers make the claim inconclusive (an error here, which
    ``vsr simulate`` records as an inconclusive verdict with its reason)."""
    if n < minimum:
        raise ValueError(f"only {n} responding municipalities have {what}; the analysis needs at least {minimum}")


def _municipalities(data: AnalysisFrame, claim: Claim):
    """The responding municipalities a model-based claim is about (its population's ``subgroup`` applied), with
    the large-county reference the chapters use."""
    if claim.population.units != "municipalities":
        raise ValueError(f"a {claim.analysis.kind} analysis of {claim.population.units} is not implemented")
    resp, _ = with_large_reference(data.respondents, data.frame)
    if claim.population.subgroup:
        resp = resp[as_float(resp[claim.population.subgroup]) == 1]
    return resp


def _sesoi(claim: Claim) -> float:
    return float(claim.rule_parameters["sesoi_log_odds"])


def ordinal_coefficient(data: AnalysisFrame, claim: Claim, params: dict, seed: int) -> dict:
    """The coefficient of ``analysis.term`` in the weighted proportional-odds model of the outcome with the
    chapter's controls and fixed effects (notebook ``ordinal_effect``): Wald p and the TOST p."""
    term, item = claim.analysis["term"], claim.outcome.item
    resp = _municipalities(data, claim)
    used = resp.dropna(subset=[item, term, *params["controls"]])
    _require(len(used), MIN_MODEL_UNITS, f"{item}, the term and every covariate")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        e = ordinal_term_effect(
            resp,
            term,
            params["controls"],
            weights="weight",
            fixed_effects=params["fixed_effects"],
            cut=params["top_stage"],
            sesoi=_sesoi(claim),
            alpha=float(params["alpha"]),
        )
    return _evidence(e.estimate, e.ci_low, e.ci_high, e.p_value, e.n, {"equivalence_p": e.equivalence_p})


#: The last conjunction computed: a conjunction and its components read one set of model fits per survey.
_CONJUNCTION_CACHE: dict[str, Any] = {}


def _conjunction(data: AnalysisFrame, claim: Claim, params: dict, sesoi: float) -> dict:
    """A conjunction's evidence as its chapter records it (``primary``, ``rule_inputs``, ``parts``, ``n``).

    Components ``group_comparison``: each term alone (marginal; ``conjunction_evidence.characteristics_evidence``).
    Components ``ordinal_coefficient``: each term in its own model with the chapter's controls and fixed effects
    (``network_evidence.network_kinds_evidence``).
    """
    terms = list(claim.analysis["terms"])
    components = claim.analysis["components"]
    key = (components, terms, list(params.get("controls", [])), list(params["fixed_effects"]), sesoi)
    key += (float(params["alpha"]),)
    if _CONJUNCTION_CACHE.get("data") is data and _CONJUNCTION_CACHE.get("key") == key:
        return _CONJUNCTION_CACHE["evidence"]
    resp = _municipalities(data, claim)
    item = claim.outcome.item
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        if components == "group_comparison":
            _require(len(resp.dropna(subset=[item, *terms])), MIN_MODEL_UNITS, f"{item} and every characteristic")
            _, ev = conj.characteristics_evidence(
                resp, terms, sesoi=sesoi, alpha=float(params["alpha"]), fixed_effects=params["fixed_effects"]
            )
        else:
            controls = params["controls"]
            _require(len(resp.dropna(subset=[item, *controls])), MIN_MODEL_UNITS, f"{item} and every covariate")
            _, ev = network_kinds_evidence(
                resp,
                terms=terms,
                controls=controls,
                fixed_effects=params["fixed_effects"],
                sesoi=sesoi,
                alpha=float(params["alpha"]),
            )
    _CONJUNCTION_CACHE.update(data=data, key=key, evidence=ev)
    return ev


def _parent(claim: Claim) -> Claim:
    from vsr_analysis.claims.spec import cached_claims

    return cached_claims()[claim.analysis["part_of"]]


def _conjunction_sesoi(claim: Claim) -> float:
    """A conjunction's SESOI: its own, else the one its components share (the chapter reads the components')."""
    if "sesoi_log_odds" in claim.rule_parameters:
        return _sesoi(claim)
    from vsr_analysis.claims.spec import cached_claims

    parts = {_sesoi(c) for c in cached_claims().claims if c.analysis.get("part_of") == claim.id}
    if len(parts) != 1:
        raise ValueError(f"claim {claim.id}: its components must share one sesoi_log_odds, found {sorted(parts)}")
    return parts.pop()


def conjunction(data: AnalysisFrame, claim: Claim, params: dict, seed: int) -> dict:
    """All components hold (intersection-union test: the largest of the one-sided p-values)."""
    ev = _conjunction(data, claim, params, _conjunction_sesoi(claim))
    return _from_notebook_evidence(ev["primary"], ev["n"], ev["rule_inputs"])


def group_comparison(data: AnalysisFrame, claim: Claim, params: dict, seed: int) -> dict:
    """A component of a conjunction (``analysis.part_of``): the part of the conjunction's evidence named by its
    ``term`` (one-sided Wald test of the characteristic alone)."""
    parent = _parent(claim)
    ev = _conjunction(data, parent, params, _conjunction_sesoi(parent))
    part = ev["parts"][claim.analysis["term"]]
    return _from_notebook_evidence(part["primary"], part["n"], part["rule_inputs"])


def existence_count(data: AnalysisFrame, claim: Claim, params: dict, seed: int) -> dict:
    """Validated counterexamples below the condition's threshold at the outcome's stage (notebook
    ``necessity``), with the NCA ceiling.

    The primary estimate is the count of validated counterexamples (no interval, no p-value of its own; the
    CE-FDH permutation p enters the rule as ``nca_p_value``).
    """
    condition = claim.analysis["condition"]
    threshold = params["threshold"]
    # inline in the notebook: the threshold is the frame's median unless the parameter set names one
    cut = float(data.frame[condition].median()) if threshold is None else float(threshold)
    resp = _municipalities(data, claim).dropna(subset=[claim.outcome.item, condition])
    _require(len(resp), MIN_COUNT_UNITS, f"{claim.outcome.item} and the condition")
    x_raw = resp[condition].astype(float).to_numpy()
    y = resp[claim.outcome.item].astype(float).to_numpy()
    x = np.log10(x_raw) if params["log_scale"] else x_raw
    ce = nca(x, y, ceiling="ce_fdh", permutations=int(params["permutations"]), seed=seed)
    ev = necessity_evidence.existence_evidence(
        resp,
        data.frame,
        condition,
        cut,
        claim.outcome.min_stage,
        log_scale=params["log_scale"],
        nca_result=ce,
        confidential=data.confidential,
    )
    inputs = ev.as_rule_inputs()
    return _evidence(inputs["validated_counterexamples"], None, None, None, ev.n, inputs)


def _spread_inputs(data: AnalysisFrame, claim: Claim) -> dict:
    """Inline in the notebook (restated): how many stages of ``analysis.spread_over`` hold the minimum share."""
    column = claim.analysis["spread_over"]
    answered = data.respondents.dropna(subset=[column])
    _require(len(answered), MIN_COUNT_UNITS, column)
    y = as_float(answered[column])
    w = answered["weight"].to_numpy(dtype=float)
    dist = weighted_distribution(y, w, levels=list(range(6)), population_size=len(data.frame))
    return {
        "stages_above_min_share": stages_with_min_share(dist["share"], float(claim.rule_parameters["min_stage_share"]))
    }


def share_vs_threshold(data: AnalysisFrame, claim: Claim, params: dict, seed: int) -> dict:
    """The share of the declared outcome among the claim's units against the rule's level
    (``share_evidence.declared_share_test``, the test the share chapters call), with the spread over the stages
    when the claim declares ``spread_over``.  On the municipalities the primary is the interval the claim declares it
    is decided on (``analysis.variance``, ``Claim.share_variance``), and the evidence also holds ``mar``: the same
    test under missing at random (finite-population factor 1 - pi_i per unit), reported beside the verdict, which
    ``vsr simulate`` decides too for its secondary columns."""
    inputs = _spread_inputs(data, claim) if claim.analysis.get("spread_over") else {}
    design = _share_inputs(data)["design"] if claim.population.units == "municipalities" else None
    t = se.declared_share_test(data.frame, claim, counties=_responding_counties(data), design=design)
    ev = _from_notebook_evidence(t, t.get("n", 0), inputs)
    if design is not None:  # the interval under missing at random, decided by the same rule (a secondary row)
        mar = se.declared_share_test(data.frame, claim, design=design, variance=se.MAR_VARIANCE)
        ev["mar"] = {k: mar.get(k) for k in _PRIMARY_KEYS}
    return ev


def share_noninferiority(data: AnalysisFrame, claim: Claim, params: dict, seed: int) -> dict:
    """The claim's units (the county authorities) have the outcome at least as often as the units it names in
    ``analysis.against`` (the municipalities, raked), less the rule's margin: the county chapter's
    ``county_evidence.noninferiority_evidence`` at the claims' alpha."""
    if claim.population.units != "county_authorities" or claim.analysis["against"] != "municipalities":
        raise ValueError(f"a non-inferiority analysis of {claim.population.units} is not implemented")
    ev = county_evidence.noninferiority_evidence(
        data.frame,
        _responding_counties(data),
        claim,
        design=_share_inputs(data)["design"],
        alpha=float(params["alpha"]),
    )
    if ev.get("not_estimable"):
        raise ValueError(ev["not_estimable"])
    return _from_notebook_evidence(ev["primary"], ev["n"], ev["rule_inputs"])


def share_ranking(data: AnalysisFrame, claim: Claim, params: dict, seed: int) -> dict:
    """Each item of ``analysis.top`` named more often than every other item of ``outcome.ranked``
    (``ranking_evidence.ranking_evidence``, the comparisons the ranking chapter calls), on the share claims' raked
    design."""
    if claim.population.units != "municipalities" or claim.population.subgroup:
        raise ValueError("a share_ranking analysis is implemented for all municipalities only")
    design = _share_inputs(data)["design"]
    _, ev = ranking.ranking_evidence(data.frame, claim.analysis["top"], claim.outcome.ranked, design=design)
    return _from_notebook_evidence(ev["primary"], ev["n"], ev["rule_inputs"])


def _responding_counties(data: AnalysisFrame):
    counties = data.counties
    if "responded" in counties:
        counties = counties[counties["responded"].astype(bool)]
    return counties


_last_share_inputs: tuple[Any, Any] = (None, None)


def _share_inputs(data: AnalysisFrame) -> dict:
    """The response propensities and the raked design of ``data``, built once per simulated survey.

    Every share claim on the municipalities uses the same response model and design (they depend only on the
    frame and its weights); the last frame's are kept and reused while the same frame object is analysed.
    """
    global _last_share_inputs
    frame, inputs = _last_share_inputs
    if frame is not data.frame:
        propensity = se.frame_propensity(data.frame)
        design = se.share_design(data.frame, data.weight_info["margins"], propensity)
        inputs = {"propensity": propensity, "design": design}
        _last_share_inputs = (data.frame, inputs)
    return inputs


#: Analysis kind (``analysis.kind`` in claims.yml) -> implementation.
IMPLEMENTATIONS: dict[str, Analysis] = {
    "ordinal_coefficient": ordinal_coefficient,
    "group_comparison": group_comparison,
    "conjunction": conjunction,
    "existence_count": existence_count,
    "share_vs_threshold": share_vs_threshold,
    "share_noninferiority": share_noninferiority,
    "share_ranking": share_ranking,
}


def analysis_for(claim: Claim) -> Analysis | None:
    """The implementation of ``claim``'s declared analysis kind (None: the kind has none; ``vsr simulate`` names
    the claim and refuses to pretend)."""
    return IMPLEMENTATIONS.get(claim.analysis.kind)


def claim_parameters(claim: dict, alpha: float, runspec: Any = None) -> dict:
    """The notebook parameters of ``claim``'s parameter set: template defaults, then the run spec's values."""
    from vsr_analysis.inputs.runspec import load_runspec, template_parameters

    runspec = runspec or load_runspec()
    pset = runspec.get(claim["parameter_set"])
    params = dict(template_parameters(pset.template))
    params.update(pset.parameters)
    for injected in ("survey", "param_set", "results_dir"):
        params.pop(injected, None)
    params["alpha"] = float(alpha)
    return params
