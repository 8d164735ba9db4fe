"""Claim id -> the claim's primary analysis, through the same package functions its notebook calls.

Each entry is ``analysis(data, claim, params, seed) -> evidence`` where ``data`` is the
:class:`~vsr_analysis.data.analysis_frame.AnalysisFrame` a notebook gets from ``ctx``, ``claim`` the claim's
entry in ``claims.yml``, ``params`` the notebook's parameters for the claim's parameter set (template defaults
overridden by ``runspec.yml``; see :func:`claim_parameters`) and ``seed`` the claim's own analysis seed
(:mod:`.streams`).  ``evidence`` has the shape the notebooks hand to the ledger (``primary`` with ``estimate``,
``ci_low``, ``ci_high``, ``p_value``; ``rule_inputs``; ``n``), so ``claims.ledger.decide`` applies the
pre-specified rule to it unchanged.

Only the primary test and what the decision rule reads are computed: the descriptive tables, figures and
robustness rows of a chapter do not enter the verdict and are skipped.

Where a notebook still holds a step inline (the outcome and domain of the share template, the threshold of
F4), the step is restated here in a few lines and marked; the statistics themselves are never re-implemented.
"""

from __future__ import annotations

import warnings
from collections.abc import Callable
from typing import Any

import numpy as np

from vsr_analysis.claims import necessity_evidence
from vsr_analysis.data.analysis_frame import AnalysisFrame
from vsr_analysis.stats.descriptives import as_float, stages_with_min_share
from vsr_analysis.stats.dispersion import weighted_distribution
from vsr_analysis.stats.marginal_effects import ordinal_term_effect
from vsr_analysis.stats.nca import nca
from vsr_analysis.stats.ordinal_model import fit_ordinal
from vsr_analysis.stats.shares import share_test

Analysis = Callable[[AnalysisFrame, dict, dict, int], dict]


def _evidence(estimate, ci_low, ci_high, p_value, n, rule_inputs=None) -> dict:
    return {
        "primary": {"estimate": estimate, "ci_low": ci_low, "ci_high": ci_high, "p_value": p_value},
        "rule_inputs": rule_inputs or {},
        "n": int(n),
    }


def ordinal_effect(data: AnalysisFrame, claim: dict, params: dict, seed: int) -> dict:
    """F1, F5 (notebook ``f1_f5_ordinal_effect``): the term's coefficient, Wald p and the TOST p."""
    alpha = float(params["alpha"])
    sesoi = float(claim["rule_parameters"]["sesoi_log_odds"])
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        e = ordinal_term_effect(
            data.respondents,
            params["term"],
            params["controls"],
            weights="weight",
            fixed_effects=params["fixed_effects"],
            cut=params["top_stage"],
            sesoi=sesoi,
            alpha=alpha,
        )
    return _evidence(e.estimate, e.ci_low, e.ci_high, e.p_value, e.n, {"equivalence_p": e.equivalence_p})


def maturity_spread(data: AnalysisFrame, claim: dict, params: dict, seed: int) -> dict:
    """F2 (notebook ``f2_maturity``): share started, and how many stages hold the minimum share."""
    rp = claim["rule_parameters"]
    answered = data.respondents.dropna(subset=["maturity_stage"])
    y = as_float(answered["maturity_stage"])
    w = answered["weight"].to_numpy(dtype=float)
    frame_size = params["frame_size"]
    dist = weighted_distribution(y, w, levels=list(range(6)), population_size=frame_size)
    started = (y >= params["started_stage"]).astype(float)
    t = share_test(started, w, float(rp["threshold"]), population_size=frame_size)
    occupied = stages_with_min_share(dist["share"], float(rp["min_stage_share"]))
    return _evidence(
        t["estimate"], t["ci_low"], t["ci_high"], t["p_value"], t["n"], {"stages_above_min_share": occupied}
    )


def joint_structure(data: AnalysisFrame, claim: dict, params: dict, seed: int) -> dict:
    """F3 (notebook ``f3_who_came_furthest``): joint Wald test of the four coefficients, and their signs."""
    terms = list(params["terms"])
    resp = data.respondents.dropna(subset=["maturity_stage", *terms])
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        fit = fit_ordinal(resp, "maturity_stage", terms, weights="weight", fixed_effects=params["fixed_effects"])
    wald = fit.wald(terms)
    components = {
        t: {"estimate": float(fit.params[t]), "p_value": float(r.p_value)}
        for t, r in zip(terms, fit.coef_table().itertuples())
    }
    return _evidence(wald["chi2"], None, None, wald["p_value"], fit.n, {"components": components, "df": wald["df"]})


def not_prerequisite(data: AnalysisFrame, claim: dict, params: dict, seed: int) -> dict:
    """F4 (notebook ``f4_necessity``): NCA CE-FDH effect size with its permutation test, and the case count."""
    condition = params["condition"]
    threshold = params["threshold"]
    # inline in the notebook: the threshold is the frame's median unless the parameter set names one
    cut = float(data.frame[condition].median()) if threshold is None else float(threshold)
    resp = data.respondents.dropna(subset=["maturity_stage"])
    x_raw = resp[condition].astype(float).to_numpy()
    y = resp["maturity_stage"].astype(float).to_numpy()
    x = np.log10(x_raw) if params["log_scale"] else x_raw
    ce = nca(x, y, ceiling="ce_fdh", permutations=int(params["permutations"]), seed=seed)
    ev = necessity_evidence.evidence_for(x_raw, y, cut, params["top_stage"])
    return _evidence(ce.effect_size, None, None, ce.p_value, ev.n, ev.as_rule_inputs())


def share_claim(data: AnalysisFrame, claim: dict, params: dict, seed: int) -> dict:
    """F6, F7 (notebook ``share_claim``): the raked share of the outcome in its domain against the level.

    The outcome (item, or stage >= ``min_stage``), the domain (``subset_item`` = 1) and the domain's
    finite-population size are restated from the notebook, where they are inline.
    """
    resp = data.respondents
    item, min_stage, subset_item = params["item"], params["min_stage"], params["subset_item"]
    frame_size = params["frame_size"]
    v = as_float(resp[item])
    outcome = np.where(np.isnan(v), np.nan, (v >= min_stage).astype(float)) if min_stage is not None else v
    sub = resp.assign(outcome=outcome)
    if subset_item:
        sub = sub[as_float(sub[subset_item]) == 1]
    sub = sub[np.isfinite(sub["outcome"].to_numpy(dtype=float))]
    sampling_fraction = len(resp) / frame_size
    fpc = (len(sub) / sampling_fraction) if subset_item else frame_size
    t = share_test(sub["outcome"], sub["weight"], float(claim["rule_parameters"]["threshold"]), population_size=fpc)
    return _evidence(t["estimate"], t["ci_low"], t["ci_high"], t["p_value"], t["n"])


def barrier_share(data: AnalysisFrame, claim: dict, params: dict, seed: int) -> dict:
    """F8 (notebook ``f8_barriers``): the raked share naming the primary barrier against the level."""
    resp = data.respondents
    t = share_test(
        as_float(resp[params["primary_item"]]),
        resp["weight"].to_numpy(),
        float(claim["rule_parameters"]["threshold"]),
        population_size=params["frame_size"],
    )
    return _evidence(t["estimate"], t["ci_low"], t["ci_high"], t["p_value"], t["n"])


#: Claim id -> analysis.  A claim whose analysis is not (yet) a package function has no entry; ``vsr simulate``
#: names it and refuses to pretend.
ANALYSES: dict[str, Analysis] = {
    "F1": ordinal_effect,
    "F2": maturity_spread,
    "F3": joint_structure,
    "F4": not_prerequisite,
    "F5": ordinal_effect,
    "F6": share_claim,
    "F7": share_claim,
    "F8": barrier_share,
}


def claim_parameters(claim: dict, alpha: float, runspec: Any = None) -> dict:
    """The notebook parameters of ``claim``'s parameter set: template defaults, then the run spec's values."""
    from vsr_analysis.build.runspec import load_runspec, template_parameters

    runspec = runspec or load_runspec()
    pset = runspec.get(claim["parameter_set"])
    params = dict(template_parameters(pset.template))
    params.update(pset.parameters)
    for injected in ("survey", "param_set", "results_dir"):
        params.pop(injected, None)
    params["alpha"] = float(alpha)
    return params
