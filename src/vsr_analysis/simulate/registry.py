"""Claim id -> the claim's primary analysis, through the same package functions its notebook calls.

Each entry is ``analysis(data, claim, params, seed) -> evidence`` where ``data`` is the
:class:`~vsr_analysis.data.analysis_frame.AnalysisFrame` a notebook gets from ``ctx``, ``claim`` the claim's
entry in ``claims.yml``, ``params`` the notebook's parameters for the claim's parameter set (template defaults
overridden by ``runspec.yml``; see :func:`claim_parameters`) and ``seed`` the claim's own analysis seed
(:mod:`.streams`).  ``evidence`` has the shape the notebooks hand to the ledger (``primary`` with ``estimate``,
``ci_low``, ``ci_high``, ``p_value``; ``rule_inputs``; ``n``), so ``claims.ledger.decide`` applies the
pre-specified rule to it unchanged.  A component of a conjunction (F3a-F3d, ``evidence_part`` in claims.yml)
gets the part of its parent's evidence the ledger would read (``claims.ledger.claim_evidence``).

Only the primary test and what the decision rule reads are computed: the descriptive tables, figures and
robustness rows of a chapter do not enter the verdict and are skipped.

Where a notebook still holds a step inline (F4's threshold: the frame's median unless the parameter set names
one; F2's started share and stage spread), the step is restated here in a line or two and marked; the
statistics themselves are never re-implemented.
"""

from __future__ import annotations

import functools
import warnings
from collections.abc import Callable
from typing import Any

import numpy as np

from vsr_analysis.claims import conjunction_evidence as conj
from vsr_analysis.claims import necessity_evidence
from vsr_analysis.claims import share_evidence as se
from vsr_analysis.claims.coherence_evidence import f10_evidence
from vsr_analysis.claims.evidence import MIN_COUNT_UNITS, MIN_MODEL_UNITS
from vsr_analysis.claims.model_robustness import with_large_reference
from vsr_analysis.claims.network_evidence import f5_evidence
from vsr_analysis.claims.progress_evidence import f9_evidence
from vsr_analysis.data.analysis_frame import AnalysisFrame
from vsr_analysis.stats.descriptives import as_float, stages_with_min_share
from vsr_analysis.stats.dispersion import weighted_distribution
from vsr_analysis.stats.marginal_effects import ordinal_term_effect
from vsr_analysis.stats.nca import nca

Analysis = Callable[[AnalysisFrame, dict, dict, int], dict]

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


def ordinal_effect(data: AnalysisFrame, claim: dict, params: dict, seed: int) -> dict:
    """F1 (notebook ``f1_f5_ordinal_effect``): the term's coefficient, Wald p and the TOST p."""
    alpha = float(params["alpha"])
    sesoi = float(claim["rule_parameters"]["sesoi_log_odds"])
    resp, _ = with_large_reference(data.respondents, data.frame)
    used = resp.dropna(subset=["maturity_stage", params["term"], *params["controls"]])
    _require(len(used), MIN_MODEL_UNITS, "a maturity stage, the term and every covariate")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        e = ordinal_term_effect(
            resp,
            params["term"],
            params["controls"],
            weights="weight",
            fixed_effects=params["fixed_effects"],
            cut=params["top_stage"],
            sesoi=sesoi,
            alpha=alpha,
        )
    return _evidence(e.estimate, e.ci_low, e.ci_high, e.p_value, e.n, {"equivalence_p": e.equivalence_p})


def networks_and_collaboration(data: AnalysisFrame, claim: dict, params: dict, seed: int) -> dict:
    """F5 (notebook ``f5_networks``): ``network_evidence.f5_evidence``, the intersection-union test of the kinds
    of network and cooperation with the county authority, each in its own model with the controls."""
    resp, _ = with_large_reference(data.respondents, data.frame)
    _require(
        len(resp.dropna(subset=["maturity_stage", *params["controls"]])), MIN_MODEL_UNITS, "a stage and every covariate"
    )
    _, ev = f5_evidence(
        resp,
        controls=params["controls"],
        fixed_effects=params["fixed_effects"],
        sesoi=float(claim["rule_parameters"]["sesoi_log_odds"]),
        alpha=float(params["alpha"]),
    )
    return _from_notebook_evidence(ev["primary"], ev["n"], ev["rule_inputs"])


def maturity_spread(data: AnalysisFrame, claim: dict, params: dict, seed: int) -> dict:
    """F2 (notebook ``f2_maturity``): share started, and how many stages hold the minimum share.

    Inline in the notebook (restated): the stage shares; the share started is ``share_claim_analysis`` as the
    notebook calls it.
    """
    rp = claim["rule_parameters"]
    answered = data.respondents.dropna(subset=["maturity_stage"])
    _require(len(answered), MIN_COUNT_UNITS, "a maturity stage")
    y = as_float(answered["maturity_stage"])
    w = answered["weight"].to_numpy(dtype=float)
    frame_size = params["frame_size"]
    dist = weighted_distribution(y, w, levels=list(range(6)), population_size=frame_size)
    occupied = stages_with_min_share(dist["share"], float(rp["min_stage_share"]))
    inputs = {"stages_above_min_share": occupied}
    analysis = se.share_claim_analysis(
        data.frame,
        claim,
        float(params["alpha"]),
        item="maturity_stage",
        min_stage=params["started_stage"],
        margins=data.weight_info["margins"],
        rule_inputs=inputs,
        robustness=False,
        **_share_inputs(data),
    )
    return _from_notebook_evidence(analysis.primary, analysis.primary["n"], inputs)


#: The last F3 conjunction computed: F3 and its four components read one model fit per simulated survey.
_CONJUNCTION_CACHE: dict[str, Any] = {}


def _conjunction(data: AnalysisFrame, params: dict, sesoi: float) -> dict:
    """F3's evidence as the notebook records it (``primary``, ``rule_inputs``, ``parts``, ``n``):
    ``conjunction_evidence.f3_evidence``, each characteristic alone (marginal), as the chapter calls it."""
    terms = list(params["terms"])
    key = (terms, list(params["fixed_effects"]), sesoi, float(params["alpha"]))
    if _CONJUNCTION_CACHE.get("data") is data and _CONJUNCTION_CACHE.get("key") == key:
        return _CONJUNCTION_CACHE["evidence"]
    resp, _ = with_large_reference(data.respondents, data.frame)
    _require(
        len(resp.dropna(subset=["maturity_stage", *terms])), MIN_MODEL_UNITS, "a stage and all four characteristics"
    )
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        _, ev = conj.f3_evidence(
            resp, terms, sesoi=sesoi, alpha=float(params["alpha"]), fixed_effects=params["fixed_effects"]
        )
    _CONJUNCTION_CACHE.update(data=data, key=key, evidence=ev)
    return ev


def _f3_sesoi(claim: dict) -> float:
    """The notebook takes the SESOI from F3a's entry; F3 itself has no rule parameters."""
    rp = claim.get("rule_parameters") or {}
    if "sesoi_log_odds" in rp:
        return float(rp["sesoi_log_odds"])
    return _f3a_sesoi(*_claims_file_key())


def _claims_file_key() -> tuple[str, int]:
    from vsr_analysis import paths

    path = paths.claims_spec_path()
    return str(path), path.stat().st_mtime_ns


@functools.lru_cache(maxsize=4)
def _f3a_sesoi(path: str, mtime_ns: int) -> float:
    """F3a's SESOI, read once per version of claims.yml (parsing it for every simulated survey was slow)."""
    from vsr_analysis.claims.ledger import load_claims_spec

    spec = load_claims_spec()
    return float(next(c for c in spec["claims"] if c["id"] == "F3a")["rule_parameters"]["sesoi_log_odds"])


def joint_structure(data: AnalysisFrame, claim: dict, params: dict, seed: int) -> dict:
    """F3 (notebook ``f3_who_came_furthest``): intersection-union test of the four marginal one-sided tests."""
    ev = _conjunction(data, params, _f3_sesoi(claim))
    return _from_notebook_evidence(ev["primary"], ev["n"], ev["rule_inputs"])


def conjunction_component(data: AnalysisFrame, claim: dict, params: dict, seed: int) -> dict:
    """F3a-F3d (F3's chapter): the part of F3's evidence named by ``evidence_part`` (one-sided Wald test of the
    characteristic alone)."""
    ev = _conjunction(data, params, _f3_sesoi(claim))
    part = ev["parts"][claim["evidence_part"]]
    return _from_notebook_evidence(part["primary"], part["n"], part["rule_inputs"])


def not_prerequisite(data: AnalysisFrame, claim: dict, params: dict, seed: int) -> dict:
    """F4 (notebook ``f4_necessity``): validated counterexamples below the threshold, with the NCA ceiling.

    The primary estimate is the count of validated counterexamples (no interval, no p-value of its own; the
    CE-FDH permutation p enters the rule as ``nca_p_value``).
    """
    condition = params["condition"]
    threshold = params["threshold"]
    # inline in the notebook: the threshold is the frame's median unless the parameter set names one
    cut = float(data.frame[condition].median()) if threshold is None else float(threshold)
    resp = data.respondents.dropna(subset=["maturity_stage", condition])
    _require(len(resp), MIN_COUNT_UNITS, "a maturity stage and the condition")
    x_raw = resp[condition].astype(float).to_numpy()
    y = resp["maturity_stage"].astype(float).to_numpy()
    x = np.log10(x_raw) if params["log_scale"] else x_raw
    ce = nca(x, y, ceiling="ce_fdh", permutations=int(params["permutations"]), seed=seed)
    ev = necessity_evidence.existence_evidence(
        resp,
        data.frame,
        condition,
        cut,
        params["top_stage"],
        log_scale=params["log_scale"],
        nca_result=ce,
        confidential=data.confidential,
    )
    inputs = ev.as_rule_inputs()
    return _evidence(inputs["validated_counterexamples"], None, None, None, ev.n, inputs)


def share_claim(data: AnalysisFrame, claim: dict, params: dict, seed: int) -> dict:
    """F6, F7 (notebook ``share_claim``): the calibrated raked share of the outcome in its domain.

    ``share_evidence.share_claim_analysis`` as the notebook calls it, without the robustness rows (the verdict
    reads only the primary test).
    """
    analysis = se.share_claim_analysis(
        data.frame,
        claim,
        float(params["alpha"]),
        item=params["item"],
        min_stage=params["min_stage"],
        subset_item=params["subset_item"],
        alt_min_stage=params.get("alt_min_stage"),
        margins=data.weight_info["margins"],
        robustness=False,
        **_share_inputs(data),
    )
    return _from_notebook_evidence(analysis.primary, analysis.primary["n"], {})


_last_share_inputs: tuple[Any, Any] = (None, None)


def _share_inputs(data: AnalysisFrame) -> dict:
    """The response propensities and the raked design of ``data``, built once per simulated survey.

    F2 and F6-F10 use the same response model and design (they depend only on the frame and its weights); the
    last frame's are kept and reused while the same frame object is analysed.  Passed to the package functions as
    ``propensity`` and ``design``.
    """
    global _last_share_inputs
    frame, inputs = _last_share_inputs
    if frame is not data.frame:
        propensity = se.frame_propensity(data.frame)
        design = se.share_design(data.frame, data.weight_info["margins"], propensity)
        inputs = {"propensity": propensity, "design": design}
        _last_share_inputs = (data.frame, inputs)
    return inputs


def barrier_share(data: AnalysisFrame, claim: dict, params: dict, seed: int) -> dict:
    """F8 (notebook ``f8_barriers``): the calibrated raked share naming the primary barrier against the level."""
    analysis = se.share_claim_analysis(
        data.frame,
        claim,
        float(params["alpha"]),
        item=params["primary_item"],
        margins=data.weight_info["margins"],
        robustness=False,
        **_share_inputs(data),
    )
    return _from_notebook_evidence(analysis.primary, analysis.primary["n"], {})


def measuring_progress(data: AnalysisFrame, claim: dict, params: dict, seed: int) -> dict:
    """F9 (notebook ``f9_measuring_progress``): ``progress_evidence.f9_evidence``, share below the level."""
    threshold = float(claim["rule_parameters"]["threshold"])
    ev = f9_evidence(data.frame, threshold=threshold, margins=data.weight_info["margins"], **_share_inputs(data))
    return _from_notebook_evidence(ev["primary"], ev["n"], ev["rule_inputs"])


def state_barrier(data: AnalysisFrame, claim: dict, params: dict, seed: int) -> dict:
    """F10 (notebook ``f10_policy_coherence``): ``coherence_evidence.f10_evidence``, either barrier named."""
    threshold = float(claim["rule_parameters"]["threshold"])
    ev = f10_evidence(data.frame, threshold=threshold, margins=data.weight_info["margins"], **_share_inputs(data))
    return _from_notebook_evidence(ev["primary"], ev["n"], ev["rule_inputs"])


#: Claim id -> analysis.  A claim whose analysis is not (yet) a package function has no entry; ``vsr simulate``
#: names it and refuses to pretend.
ANALYSES: dict[str, Analysis] = {
    "F1": ordinal_effect,
    "F2": maturity_spread,
    "F3": joint_structure,
    "F3a": conjunction_component,
    "F3b": conjunction_component,
    "F3c": conjunction_component,
    "F3d": conjunction_component,
    "F4": not_prerequisite,
    "F5": networks_and_collaboration,
    "F6": share_claim,
    "F7": share_claim,
    "F8": barrier_share,
    "F9": measuring_progress,
    "F10": state_barrier,
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
