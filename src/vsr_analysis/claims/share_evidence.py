"""The share claims (F2, F6, F7, F8): outcome, primary test, robustness rows and decision, as plain functions.

A share claim says that the share of municipalities with some 0/1 outcome, over the whole frame or a domain,
exceeds a pre-specified level.  :func:`share_claim_analysis` does everything a chapter needs from an analysis
frame (all 356 municipalities with ``responded`` and raking ``weight``): the primary test
(:func:`vsr_analysis.stats.shares.calibrated_share_test`, response as Poisson sampling with propensities from
:func:`vsr_analysis.stats.propensity.response_propensity`), the robustness rows (without any finite-population
factor, with the old global one, unweighted, item left blank counted as no, stricter top, and for F7 a maturity
measure that does not contain the management item), each with the rule's decision, and notes in words for
whatever cannot be estimated.  It never raises on a valid survey file: an empty domain gives no estimate and an
*inconclusive* decision.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from vsr_analysis.claims.ledger import decide
from vsr_analysis.stats.calibration_variance import RakedDesign, raked_design
from vsr_analysis.stats.descriptives import as_float
from vsr_analysis.stats.propensity import ResponsePropensity, response_propensity
from vsr_analysis.stats.shares import calibrated_share_test

#: Register covariates of the response-propensity model (county enters as shrunk dummies).
PROPENSITY_COVARIATES = ["log_population", "centrality", "merged_2017_2020"]
PROPENSITY_FIXED_EFFECTS = ["county_code"]

#: The share claims' outcomes, as the run spec's parameter sets define them (tests check the two agree).
SHARE_CLAIMS: dict[str, dict] = {
    "F2": {"item": "maturity_stage", "min_stage": 1, "subset_item": None},
    "F6": {"item": "sdg_in_master_plan", "min_stage": None, "subset_item": None},
    "F7": {"item": "maturity_stage", "min_stage": 3, "subset_item": "sdg_in_management"},
    "F8": {"item": "barrier_capacity", "min_stage": None, "subset_item": None},
}

#: F7's check against a maturity measure without the management item: the ladder's stage-3 items (planning
#: strategy and master plan) are both present.
F7_ITEMS_WITHOUT_MANAGEMENT = ("sdg_in_planning_strategy", "sdg_in_master_plan")


def outcome(data: pd.DataFrame, item: str, min_stage: int | None = None) -> np.ndarray:
    """The 0/1 outcome (NaN where the item is not answered): ``item >= min_stage``, or the 0/1 item itself."""
    v = as_float(data[item])
    if min_stage is None:
        return v
    return np.where(np.isnan(v), np.nan, (v >= min_stage).astype(float))


def items_without_management(data: pd.DataFrame) -> np.ndarray:
    """1 when every item of :data:`F7_ITEMS_WITHOUT_MANAGEMENT` is present, 0 when one is absent, NaN else."""
    mat = np.column_stack([as_float(data[c]) for c in F7_ITEMS_WITHOUT_MANAGEMENT])
    out = np.all(mat == 1, axis=1).astype(float)
    out[np.any(np.isnan(mat), axis=1) & ~np.any(mat == 0, axis=1)] = np.nan
    return out


def domain_mask(data: pd.DataFrame, subset_item: str | None) -> np.ndarray:
    if not subset_item:
        return np.ones(len(data), dtype=bool)
    return as_float(data[subset_item]) == 1


def frame_propensity(frame: pd.DataFrame, seed: int = 0) -> ResponsePropensity:
    """Response propensities of every frame municipality (the primary model of the share claims)."""
    return response_propensity(frame, "responded", PROPENSITY_COVARIATES, PROPENSITY_FIXED_EFFECTS, seed=seed)


@dataclass
class ShareClaimAnalysis:
    """What a share chapter shows: the primary test, robustness rows (with decisions) and notes in words."""

    primary: dict
    robustness: pd.DataFrame
    domain: pd.DataFrame  # the respondents in the domain (with ``outcome``)
    notes: list[str] = field(default_factory=list)


def share_claim_analysis(
    frame: pd.DataFrame,
    claim_entry: dict,
    alpha: float,
    *,
    item: str,
    min_stage: int | None = None,
    subset_item: str | None = None,
    alt_min_stage: int | None = None,
    margins=None,
    propensity: ResponsePropensity | None = None,
) -> ShareClaimAnalysis:
    """Primary test and robustness rows of a share claim on an analysis frame (all units, ``responded``, ``weight``).

    ``margins`` default to the analysis frame's raking margins; ``propensity`` to :func:`frame_propensity`.
    The robustness rows' decisions use the unadjusted ``alpha`` (the ledger applies Holm to the primary).
    """
    from vsr_analysis.data.analysis_frame import RAKING_MARGINS

    threshold = float(claim_entry["rule_parameters"]["threshold"])
    propensity = propensity if propensity is not None else frame_propensity(frame)
    design = raked_design(frame, list(margins or RAKING_MARGINS), propensity.prob)
    resp = frame[frame["responded"].astype(bool)]
    y = outcome(resp, item, min_stage)
    dom = domain_mask(resp, subset_item)
    notes = []
    primary = calibrated_share_test(y, design, threshold, dom)
    if primary["note"]:
        notes.append(f"Primary test: {primary['note']}.")
    if propensity.folds == 0:
        notes.append(f"Response propensities: {propensity.method}.")

    def row(label, values, domain, variance="poisson", des: RakedDesign = design):
        t = calibrated_share_test(values, des, threshold, domain, variance=variance)
        d = decide(claim_entry, {"primary": t, "rule_inputs": {}}, alpha, t["p_value"])
        return {
            "variant": label,
            "n": t["n"],
            "share": t["estimate"],
            "ci_low": t["ci_low"],
            "ci_high": t["ci_high"],
            "p_value": t["p_value"],
            "decision": d.verdict,
        }

    unweighted = RakedDesign(np.ones(design.n), np.ones((design.n, 1)), design.response_prob, design.frame_size)
    rows = [
        row("primary: raked, response as Poisson sampling (1 − π̂ per unit)", y, dom),
        row("no finite-population factor (with-replacement linearisation)", y, dom, "with_replacement"),
        row(
            "global finite-population correction 1 − n/N (respondents as a simple random sample)", y, dom, "global_fpc"
        ),
        row("unweighted (no raking)", y, dom, des=unweighted),
        row("item left blank counted as no", np.nan_to_num(y, nan=0.0), dom),
    ]
    if alt_min_stage is not None:
        rows.append(row(f"stricter top: stage ≥ {alt_min_stage}", outcome(resp, item, alt_min_stage), dom))
    if subset_item == "sdg_in_management":
        rows.append(
            row(
                "maturity without the management item: planning strategy and master plan",
                items_without_management(resp),
                dom,
            )
        )
    robust = pd.DataFrame(rows)
    domain = resp.loc[dom].assign(outcome=y[dom])
    n_dom = int(np.isfinite(y[dom]).sum())
    if n_dom == 0:
        notes.append("No responding municipality is in the domain with an answer: the share cannot be estimated.")
    elif n_dom < 10:
        notes.append(f"Only {n_dom} municipalities are in the domain: the interval rests on very few answers.")
    return ShareClaimAnalysis(primary=primary, robustness=robust, domain=domain, notes=notes)
