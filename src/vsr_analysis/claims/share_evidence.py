"""The share claims: outcome, primary test, robustness rows and decision, as plain functions.

A share claim says that the share of municipalities with some 0/1 outcome, over the whole frame or a domain,
exceeds a pre-specified level.  :func:`share_claim_analysis` does everything a chapter needs from an analysis
frame (all 356 municipalities with ``responded`` and raking ``weight``): the primary test
(:func:`vsr_analysis.stats.shares.calibrated_share_test` with the variance the claim declares in ``claims.yml``,
``analysis.variance``: :func:`vsr_analysis.claims.spec.share_variance`), the interval under missing at random
beside it (response as Poisson sampling with propensities from
:func:`vsr_analysis.stats.propensity.response_propensity`, factor 1 - π̂ᵢ per unit, with the rule's decision on
it), the robustness rows (the other variance, the old global finite-population factor, unweighted, item left blank
counted as no, stricter top, and for a share within a domain a maturity measure that does not contain the management item), each with
the rule's decision, and notes in words for
whatever cannot be estimated.  It never raises on a valid survey file: an empty domain gives no estimate and an
*inconclusive* decision.  The claims :func:`share_claim_outcomes` lists (read from their declared outcome in
``claims.yml``) go through :func:`share_claim_analysis`; a claim on any of several items or below its level
(``progress_evidence``, ``coherence_evidence``) builds the same design with :func:`share_design` and takes its
variance rows from :func:`variance_variants`.  :func:`declared_share_test` is the primary test of any share claim
straight from its declaration (outcome, population, level), as ``vsr simulate`` runs it.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from vsr_analysis.claims.ledger import decide
from vsr_analysis.claims.spec import mar_variance, share_variance
from vsr_analysis.stats.calibration_variance import RakedDesign, raked_design
from vsr_analysis.stats.descriptives import as_float
from vsr_analysis.stats.propensity import ResponsePropensity, response_propensity
from vsr_analysis.stats.shares import calibrated_share_test

#: Register covariates of the response-propensity model (county enters as shrunk dummies).
PROPENSITY_COVARIATES = ["log_population", "centrality", "merged_2017_2020"]
PROPENSITY_FIXED_EFFECTS = ["county_code"]


def share_claim_outcomes(claims=None) -> dict[str, dict]:
    """The share claims :func:`share_claim_analysis` tests, from ``claims.yml``: claim id -> its declared outcome as
    that function's keywords (``item``, ``min_stage``, ``subset_item``).

    These are the share claims on all municipalities with one item whose share is tested against a level from
    above; a claim on any of several items or below a level has its own evidence function
    (``progress_evidence``, ``coherence_evidence``) built on :func:`declared_share_test`'s design.
    ``claims``: a :class:`~vsr_analysis.claims.spec.ClaimsSpec` (default: the project's ``claims.yml``).
    """
    from vsr_analysis.claims.spec import cached_claims

    claims = claims if claims is not None else cached_claims()
    return {
        c.id: {"item": c.outcome.item, "min_stage": c.outcome.min_stage, "subset_item": c.outcome.domain}
        for c in claims.of_kind("share_vs_threshold", units="municipalities")
        if not c.outcome.any_of and not c.population.subgroup and c.rule != "share_below"
    }


#: The management-domain share's check against a maturity measure without the management item: the ladder's stage-3 items (planning
#: strategy and master plan) are both present.
PLAN_ITEMS_WITHOUT_MANAGEMENT = ("sdg_in_planning_strategy", "sdg_in_master_plan")


def outcome(data: pd.DataFrame, item: str, min_stage: int | None = None) -> np.ndarray:
    """The 0/1 outcome (NaN where the item is not answered): ``item >= min_stage``, or the 0/1 item itself."""
    v = as_float(data[item])
    if min_stage is None:
        return v
    return np.where(np.isnan(v), np.nan, (v >= min_stage).astype(float))


def any_of_outcome(data: pd.DataFrame, items) -> np.ndarray:
    """1 where any of ``items`` is 1; 0 where all are answered 0; NaN otherwise (not answered, or unknown)."""
    items = list(items)
    x = np.column_stack([as_float(data[i]) for i in items]) if len(data) else np.empty((0, len(items)))
    any_yes = (x == 1).any(axis=1)
    all_no = (x == 0).all(axis=1)
    return np.where(any_yes, 1.0, np.where(all_no, 0.0, np.nan))


def claim_outcome(units: pd.DataFrame, spec_outcome) -> np.ndarray:
    """The 0/1 outcome a claim declares (``claims.spec.Outcome``) for every row of ``units``: ``any_of`` its items,
    else ``item`` (``>= min_stage`` when given).  NaN where it cannot be known."""
    if spec_outcome.any_of:
        return any_of_outcome(units, spec_outcome.any_of)
    return outcome(units, spec_outcome.item, spec_outcome.min_stage)


def claim_domain(units: pd.DataFrame, claim) -> tuple[np.ndarray, str | None]:
    """The domain of a share claim among ``units`` (its outcome's ``domain`` and its population's ``subgroup``, both
    0/1 columns) and the column whose being known counts as item response (None: none)."""
    columns = [c for c in (claim.outcome.domain, claim.population.subgroup) if c]
    mask = np.ones(len(units), dtype=bool)
    for column in columns:
        mask &= domain_mask(units, column)
    return mask, claim.outcome.domain


def items_without_management(data: pd.DataFrame) -> np.ndarray:
    """1 when every item of :data:`PLAN_ITEMS_WITHOUT_MANAGEMENT` is present, 0 when one is absent, NaN else."""
    mat = np.column_stack([as_float(data[c]) for c in PLAN_ITEMS_WITHOUT_MANAGEMENT])
    out = np.all(mat == 1, axis=1).astype(float)
    out[np.any(np.isnan(mat), axis=1) & ~np.any(mat == 0, axis=1)] = np.nan
    return out


def observed_mask(data: pd.DataFrame, y: np.ndarray, subset_item: str | None) -> np.ndarray:
    """Respondents whose outcome and (for a domain) domain membership are known: the item-response phase."""
    seen = np.isfinite(np.asarray(y, dtype=float))
    return seen & np.isfinite(as_float(data[subset_item])) if subset_item else seen


def domain_mask(data: pd.DataFrame, subset_item: str | None) -> np.ndarray:
    if not subset_item:
        return np.ones(len(data), dtype=bool)
    return as_float(data[subset_item]) == 1


def frame_propensity(frame: pd.DataFrame, seed: int = 0) -> ResponsePropensity:
    """Response propensities of every frame municipality (the primary model of the share claims)."""
    return response_propensity(frame, "responded", PROPENSITY_COVARIATES, PROPENSITY_FIXED_EFFECTS, seed=seed)


def share_design(frame: pd.DataFrame, margins=None, propensity: ResponsePropensity | None = None) -> RakedDesign:
    """The raked design of the share claims: the frame's raking weights and margins (``margins`` default to
    :data:`~vsr_analysis.data.analysis_frame.RAKING_MARGINS`) and the response propensities
    (:func:`frame_propensity` unless given)."""
    from vsr_analysis.data.analysis_frame import RAKING_MARGINS

    propensity = propensity if propensity is not None else frame_propensity(frame)
    return raked_design(frame, list(RAKING_MARGINS if margins is None else margins), propensity.prob)


#: The variance of the assumption-light interval: the same raked share and linearisation with no finite-population
#: factor (each unit's term not multiplied by 1 - π̂ᵢ), so it does not lean on the estimated response probabilities
#: being right (missing at random given the register).  Which interval decides a claim is declared in claims.yml
#: (``analysis.variance``, :func:`vsr_analysis.claims.spec.share_variance`), never chosen here.
NO_FPC_VARIANCE = "with_replacement"
#: The variance of the interval under missing at random (response as Poisson sampling, 1 - π̂ᵢ per unit).
MAR_VARIANCE = mar_variance()
MAR_LABEL = "under missing at random: raked, response as Poisson sampling (1 − π̂ per unit)"
#: How each variance's row is named in the robustness tables.
VARIANCE_LABELS = {
    NO_FPC_VARIANCE: "assumption-light: no finite-population factor (with-replacement linearisation)",
    MAR_VARIANCE: MAR_LABEL,
}


def interval_words(claim_entry) -> str:
    """The interval a share claim on the municipalities is decided on, in words (its declared ``analysis.variance``),
    for the evidence's ``method`` and the chapter's sentences."""
    variance = share_variance(claim_entry)
    if variance == NO_FPC_VARIANCE:
        return "linearised raked share without a finite-population factor (assumption-light)"
    return "linearised raked share, response as Poisson sampling with cross-validated propensities (missing at random)"


def variance_variants(design: RakedDesign, decision: str) -> list[tuple[str, RakedDesign, str]]:
    """The robustness rows every share claim shows about the variance and the weighting: (label, design,
    variance) for the primary (``decision``: the variance the claim is decided on, :func:`share_variance` of its
    entry), the other of the two variances, the old global finite-population factor, and unweighted."""
    unweighted = RakedDesign(np.ones(design.n), np.ones((design.n, 1)), design.response_prob, design.frame_size)
    other = [v for v in VARIANCE_LABELS if v != decision]
    return [
        (f"primary, {VARIANCE_LABELS.get(decision, decision)}", design, decision),
        *[(VARIANCE_LABELS[v], design, v) for v in other],
        ("global finite-population correction 1 − n/N (respondents as a simple random sample)", design, "global_fpc"),
        ("unweighted (no raking)", unweighted, decision),
    ]


@dataclass
class ShareClaimAnalysis:
    """What a share chapter shows: the primary test, robustness rows (with decisions) and notes in words."""

    primary: dict
    robustness: pd.DataFrame
    domain: pd.DataFrame  # the respondents in the domain (with ``outcome``)
    notes: list[str] = field(default_factory=list)
    #: the interval under missing at random (:data:`MAR_VARIANCE`, reported beside the verdict, never deciding it)
    #: and the rule's decision on it and on the primary (unadjusted α): ``{"test": calibrated_share_test(...),
    #: "decision": verdict, "primary_decision": verdict, "primary_variance": the claim's declared variance}``
    mar: dict | None = None


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
    rule_inputs: dict | None = None,
    design: RakedDesign | None = None,
    robustness: bool = True,
) -> ShareClaimAnalysis:
    """Primary test and robustness rows of a share claim on an analysis frame (all units, ``responded``, ``weight``).

    ``margins`` default to the analysis frame's raking margins; ``propensity`` to :func:`frame_propensity`.
    The robustness rows' decisions use the unadjusted ``alpha`` (the ledger applies Holm to the primary) and
    ``rule_inputs`` (whatever else the claim's rule reads, e.g. :func:`spread_rule_inputs`).  ``design``: the
    :func:`share_design` of this frame, margins and propensities when already built.  ``robustness=False`` skips the
    robustness rows (a simulation reads only the primary test; ``robustness`` is then empty).
    """
    threshold = float(claim_entry["rule_parameters"]["threshold"])
    variance = share_variance(claim_entry)
    if design is None:
        propensity = propensity if propensity is not None else frame_propensity(frame)
        design = share_design(frame, margins or None, propensity)
    resp = frame[frame["responded"].astype(bool)]
    y = outcome(resp, item, min_stage)
    dom = domain_mask(resp, subset_item)
    notes = []
    seen = observed_mask(resp, y, subset_item)
    primary = calibrated_share_test(y, design, threshold, dom, variance=variance, observed=seen)
    if primary["note"]:
        notes.append(f"Primary test: {primary['note']}.")
    if propensity is not None and propensity.folds == 0:
        notes.append(f"Response propensities: {propensity.method}.")

    def row(label, values, domain, var=variance, des: RakedDesign = design):
        t = calibrated_share_test(values, des, threshold, domain, variance=var, observed=seen)
        d = decide(claim_entry, {"primary": t, "rule_inputs": rule_inputs or {}}, alpha, t["p_value"])
        return {
            "variant": label,
            "n": t["n"],
            "share": t["estimate"],
            "ci_low": t["ci_low"],
            "ci_high": t["ci_high"],
            "p_value": t["p_value"],
            "decision": d.verdict,
        }

    rows = [row(label, y, dom, v, des) for label, des, v in variance_variants(design, variance)] if robustness else []
    if robustness:
        rows.append(row("item left blank counted as no", np.nan_to_num(y, nan=0.0), dom))
    if robustness and alt_min_stage is not None:
        rows.append(row(f"stricter top: stage ≥ {alt_min_stage}", outcome(resp, item, alt_min_stage), dom))
    if robustness and subset_item == "sdg_in_management":
        rows.append(
            row(
                "maturity without the management item: planning strategy and master plan",
                items_without_management(resp),
                dom,
            )
        )
    robust = pd.DataFrame(rows)
    mar = calibrated_share_test(y, design, threshold, dom, variance=MAR_VARIANCE, observed=seen)
    mar_row = {
        "test": mar,
        "primary_variance": variance,
        "decision": decide(
            claim_entry, {"primary": mar, "rule_inputs": rule_inputs or {}}, alpha, mar["p_value"]
        ).verdict,
        "primary_decision": decide(
            claim_entry, {"primary": primary, "rule_inputs": rule_inputs or {}}, alpha, primary["p_value"]
        ).verdict,
    }
    domain = resp.loc[dom].assign(outcome=y[dom])
    n_dom = int(np.isfinite(y[dom]).sum())
    if n_dom == 0:
        notes.append("No responding municipality is in the domain with an answer: the share cannot be estimated.")
    elif n_dom < 10:
        notes.append(f"Only {n_dom} municipalities are in the domain: the interval rests on very few answers.")
    return ShareClaimAnalysis(primary=primary, robustness=robust, domain=domain, notes=notes, mar=mar_row)


# --- descriptive tables of the share chapters --------------------------------------------------------------


def size_band_order(frame: pd.DataFrame) -> list:
    """Size bands from the smallest to the largest (by the smallest population in each)."""
    return frame.groupby("size_band")["population_2021"].min().sort_values().index.tolist()


CENTRALITY_NAMES = {1: "1 most central", 2: "2", 3: "3", 4: "4", 5: "5", 6: "6 least central"}


def shares_by_groups(domain: pd.DataFrame, frame: pd.DataFrame, whole_frame: bool) -> tuple[dict, list[str]]:
    """Weighted shares of ``outcome`` by size band and by centrality class (descriptive, Wilson at Kish's n).

    For groups of the whole frame (``whole_frame``) the finite-population correction uses the register's count
    of municipalities per group; for a domain none is applied.  Returns ``{"size band": table, "centrality
    class": table}`` and notes in words for groups that cannot be estimated or where every unit answered.
    """
    from vsr_analysis.stats.shares import share_by_group

    tables, notes = {}, []
    for label, col, order, names in (
        ("size band", "size_band", size_band_order(frame), None),
        ("centrality class", "centrality_class", [1, 2, 3, 4, 5, 6], CENTRALITY_NAMES),
    ):
        pop = frame[col].value_counts().to_dict() if whole_frame else None
        t = share_by_group(
            domain, "outcome", col, order=order, group_population=pop, population_size=len(frame) if whole_frame else None,
            total_label="all",
        )  # fmt: skip
        if names:
            t["group"] = [names.get(int(g), g) if str(g).isdigit() else g for g in t["group"]]
        empty = t.loc[t["n"] == 0, "group"].tolist()
        if empty:
            notes.append(f"By {label}: no answering municipality in {', '.join(map(str, empty))}; no share is shown.")
        tiny = t.loc[(t["n"] > 0) & (t["n"] < 5), "group"].tolist()
        if tiny:
            notes.append(f"By {label}: fewer than five answers in {', '.join(map(str, tiny))}; read those with care.")
        if whole_frame:
            census = [g for g, n in zip(t["group"], t["n"]) if n > 0 and n == pop.get(_key(g, order, names), -1)]
            if census:
                notes.append(
                    f"By {label}: every municipality of {', '.join(map(str, census))} answered; the interval has "
                    "zero width there (no sampling error, item non-response aside)."
                )
        tables[label] = t.rename(columns={"group": label, "n": "municipalities", "n_yes": "of them yes"})
    return tables, notes


def group_cells(tables: dict, domain: pd.DataFrame, item: str, min_stage: int | None, stages) -> dict[str, list]:
    """What each number of :func:`shares_by_groups`' tables counts, for the disclosure engine: per table, the
    domain's units of each row's group, their answers to ``item`` (at or above ``min_stage``) and the weighted share."""
    from vsr_analysis.claims.group_release import binary_share_cells

    levels = [s for s in stages if s >= min_stage] if min_stage is not None else [1]
    answered = list(stages) if min_stage is not None else [0, 1]
    out = {}
    for label, col, names in (
        ("size band", "size_band", None),
        ("centrality class", "centrality_class", CENTRALITY_NAMES),
    ):
        groups = {"all": domain}
        for g, units in domain.groupby(col):
            groups[names.get(int(g), g) if names else g] = units
        out[label] = binary_share_cells(tables[label], label, groups, item, levels, answered, yes="of them yes")
    return out


def _key(group, order, names):
    if names:
        for k, v in names.items():
            if v == group:
                return k
    return group


def ladder_tables(resp: pd.DataFrame, codebook) -> dict:
    """The ladder checks of the management-domain share: Guttman statistics, rung order and item-stage consistency (weighted), with a summary."""
    from vsr_analysis.stats.descriptives import COMPONENT_ITEMS, guttman_scale, ladder_consistency

    items = resp[list(COMPONENT_ITEMS)]
    keys = ("n", "errors", "reproducibility", "minimal_marginal_reproducibility", "scalability", "perfect_share")
    g_emp, g_lad = guttman_scale(items), guttman_scale(items, order=list(COMPONENT_ITEMS))
    gut = pd.DataFrame(
        [
            {"item order": "empirical (by how often each item is present)", **{k: g_emp[k] for k in keys},
             "order": " < ".join(g_emp["order"])},
            {"item order": "the ladder's order", **{k: g_lad[k] for k in keys}, "order": " < ".join(g_lad["order"])},
        ]
    )  # fmt: skip
    w = resp["weight"].to_numpy(dtype=float)
    steps = []
    for lower, higher in zip(COMPONENT_ITEMS[:-1], COMPONENT_ITEMS[1:]):
        sel = as_float(resp[higher]) == 1
        lo = as_float(resp[lower])[sel]
        ok = np.isfinite(lo)
        steps.append(
            {"higher rung": codebook.item(higher).label["en"], "lower rung": codebook.item(lower).label["en"],
             "municipalities with the higher rung": int(ok.sum()),
             "share also with the lower rung (weighted)": float(w[sel][ok] @ lo[ok] / w[sel][ok].sum())
             if ok.any() and w[sel][ok].sum() > 0 else np.nan}
        )  # fmt: skip
    cons = ladder_consistency(resp["maturity_stage"], items).assign(weight=w)
    labels = codebook.maturity_labels("en")
    rows = []
    for s in [*range(6), "all"]:
        sub = cons[cons["consistent"].notna() & ((cons["stage"] == s) if s != "all" else True)]
        row = {"stage": s, "stage name": labels[s] if s != "all" else "", "municipalities": len(sub)}
        for col, name in (
            ("implied_present", "items the stage implies are present"),
            ("none_beyond", "no item of a higher stage"),
            ("consistent", "consistent (both)"),
        ):
            row[name] = float(np.average(sub[col], weights=sub["weight"])) if sub["weight"].sum() > 0 else np.nan
        rows.append(row)  # fmt: skip
    consistency = pd.DataFrame(rows)
    summary = {
        "empirical": {k: g_emp[k] for k in (*keys, "order")},
        "ladder_order": {k: g_lad[k] for k in (*keys, "order")},
        "consistent_share": float(consistency.iloc[-1]["consistent (both)"]),
    }
    return {"guttman": gut, "rung_order": pd.DataFrame(steps), "consistency": consistency, "summary": summary}


def spread_rule_inputs(resp: pd.DataFrame, min_stage_share: float) -> dict:
    """The stage-share claim's second condition: how many stages each hold at least ``min_stage_share`` (weighted)."""
    from vsr_analysis.stats.descriptives import stages_with_min_share
    from vsr_analysis.stats.dispersion import weighted_distribution

    y = as_float(resp["maturity_stage"])
    ok = np.isfinite(y)
    if not ok.any():
        return {"stages_above_min_share": 0}
    dist = weighted_distribution(y[ok], resp["weight"].to_numpy(dtype=float)[ok], levels=list(range(6)))
    return {"stages_above_min_share": stages_with_min_share(dist["share"], min_stage_share)}


# --- the weighting page ------------------------------------------------------------------------------------


def margin_table(frame: pd.DataFrame, margins) -> pd.DataFrame:
    """Per raking margin and level: frame count, respondents, response rate and weighted respondents."""
    rows = []
    for margin in margins:
        for level, group in frame.groupby(margin, sort=True):
            r = group[group["responded"].astype(bool)]
            rows.append(
                {"margin": margin, "level": str(level), "frame (municipalities)": len(group), "respondents": len(r),
                 "response rate": len(r) / len(group), "weighted respondents": float(r["weight"].sum())}
            )  # fmt: skip
    columns = ["margin", "level", "frame (municipalities)", "respondents", "response rate", "weighted respondents"]
    return pd.DataFrame(rows, columns=columns)  # no margin left (equal weights): the columns, no rows


def variance_comparison(frame: pd.DataFrame, spec: dict, margins, propensity: ResponsePropensity) -> pd.DataFrame:
    """Each share claim's primary outcome under the three variances: estimate, SE, 95 % interval."""
    from vsr_analysis.stats.calibration_variance import VARIANCES

    design = raked_design(frame, list(margins), propensity.prob)
    resp = frame[frame["responded"].astype(bool)]
    names = {"poisson": "response as Poisson sampling (under missing at random)",
             "with_replacement": "no finite-population factor (assumption-light)", "global_fpc": "global 1 − n/N"}  # fmt: skip
    rows = []
    outcomes = share_claim_outcomes()
    for claim in spec["claims"]:
        if claim["id"] not in outcomes:
            continue
        d = outcomes[claim["id"]]
        y, dom = outcome(resp, d["item"], d["min_stage"]), domain_mask(resp, d["subset_item"])
        seen = observed_mask(resp, y, d["subset_item"])
        for v in VARIANCES:
            t = calibrated_share_test(y, design, float(claim["rule_parameters"]["threshold"]), dom, variance=v,
                                      observed=seen)  # fmt: skip
            rows.append({"claim": claim["id"], "variance": names[v], "n": t["n"], "share": t["estimate"],
                         "standard error": t["se"], "ci_low": t["ci_low"], "ci_high": t["ci_high"]})  # fmt: skip
    return pd.DataFrame(rows)


def read_coverage(path) -> pd.DataFrame | None:
    """The coverage benchmark's saved table (benchmarks/bench_share_coverage.py), or None if it is missing."""
    from pathlib import Path

    files = sorted(Path(path).parent.glob(Path(path).name))
    if not files:
        return None
    # keep_default_na=False: the scenario called "null" is a name, not a missing value
    return pd.concat([pd.read_csv(f, keep_default_na=False) for f in files], ignore_index=True)


#: The coverage benchmark's rows for the design effect's degrees of freedom: variance -> the df it uses.
DF_CONSTANT_ROWS = {"poisson": "1/Σs² (the rule)", "poisson_df2": "2/Σs²", "poisson_df3": "3/Σs²"}


def df_constant_summary(coverage: pd.DataFrame) -> pd.DataFrame:
    """Per degrees-of-freedom constant in the coverage table: lowest and highest coverage over the scenario x claim
    cells, with their cells, and how many cells lie in 0.93-0.97 (rows missing from the table are left out)."""
    rows = []
    for variance, label in DF_CONSTANT_ROWS.items():
        g = coverage[coverage["variance"] == variance]
        if g.empty:
            continue
        lo, hi = g.loc[g["coverage"].idxmin()], g.loc[g["coverage"].idxmax()]
        rows.append({
            "degrees of freedom": label,
            "cells": len(g),
            "cells in 0.93–0.97": int(g["coverage"].between(0.93, 0.97).sum()),
            "lowest": float(lo["coverage"]),
            "lowest at": f"{lo['claim']}, {lo['scenario']}",
            "highest": float(hi["coverage"]),
            "highest at": f"{hi['claim']}, {hi['scenario']}",
        })  # fmt: skip
    return pd.DataFrame(rows)


def declared_share_test(
    frame: pd.DataFrame,
    claim,
    *,
    counties: pd.DataFrame | None = None,
    design: RakedDesign | None = None,
    variance: str | None = None,
) -> dict:
    """The primary test of a share claim as ``claims.yml`` declares it (``claims.spec.Claim``: outcome, population,
    the rule's level and direction).

    On the municipalities: the raked share over the claim's domain (:func:`calibrated_share_test`; for
    ``share_below`` the test of the complement), ``design`` the frame's :func:`share_design` (built if not given).
    On the county authorities (``counties``: the responding ones): the exact binomial test with a Clopper-Pearson
    interval (``stats.exact.exact_share_test``), eleven units being too few for weighting or a linearisation.
    ``variance``: the linearisation's variance on the municipalities (default: the one the claim is decided on,
    ``claim.share_variance`` from ``analysis.variance``; :data:`MAR_VARIANCE` gives the interval under missing at
    random); ignored for the county authorities.
    """
    from vsr_analysis.claims.share_reporting import calibrated_below_test
    from vsr_analysis.stats.exact import exact_share_test

    below = claim.rule == "share_below"
    if claim.population.units == "county_authorities":
        units = counties if counties is not None else frame.iloc[0:0]
        y = claim_outcome(units, claim.outcome)
        dom, _ = claim_domain(units, claim)
        return exact_share_test(y[dom], claim.threshold, alternative="less" if below else "greater")
    design = design if design is not None else share_design(frame)
    variance = variance if variance is not None else claim.share_variance
    resp = frame[frame["responded"].astype(bool)]
    y = claim_outcome(resp, claim.outcome)
    dom, known = claim_domain(resp, claim)
    domain = None if dom.all() else dom
    if below:
        return calibrated_below_test(y, design, claim.threshold, domain, variance=variance)
    return calibrated_share_test(
        y, design, claim.threshold, domain, variance=variance, observed=observed_mask(resp, y, known)
    )


def share_tipping_point(analysis: ShareClaimAnalysis, claim_entry: dict, alpha: float, grid=None):
    """A share claim's tipping point (:func:`vsr_analysis.stats.tipping_point.tipping_point`): how strongly response
    would have to depend on the outcome itself for the rule's verdict (unadjusted ``alpha``, as the robustness rows)
    to change.  Uses the domain's answering respondents with their raking weights and the primary's
    design-effective n, so an odds ratio of 1 reproduces the primary.  None when the primary has no estimate."""
    from vsr_analysis.stats.tipping_point import DEFAULT_GRID, tipping_point

    primary = analysis.primary
    if primary.get("estimate") is None:
        return None
    units = analysis.domain[np.isfinite(analysis.domain["outcome"].to_numpy(dtype=float))]

    def verdict(test: dict) -> str:
        return decide(claim_entry, {"primary": test, "rule_inputs": {}}, alpha, test["p_value"]).verdict

    return tipping_point(
        units["outcome"], units["weight"], primary["n_eff"], float(claim_entry["rule_parameters"]["threshold"]),
        verdict, grid=DEFAULT_GRID if grid is None else grid,
    )  # fmt: skip
