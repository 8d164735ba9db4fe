"""Is being "big" (or "central") a prerequisite for the top maturity stages?  The existence claim's evidence.

The report's finding is a claim about *necessity*: "being 'big and strong' is not a prerequisite for success".
It is tested in two complementary ways, both pre-specified in ``claims.yml``:

* Necessary Condition Analysis (``necessity.nca``): is the upper-left corner of the X-stage scatter empty,
  and if so, what minimum X does the CE-FDH ceiling require for the top stages (the bottleneck)?
* The direct evidence: how many units below the "big" threshold reach the top stages.  One clear case
  falsifies strict necessity; the decision rule asks for at least three.

This module computes those inputs; ``claims.ledger.rule_existence`` turns them into a verdict.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from vsr_analysis.stats.descriptives import COMPONENT_ITEMS
from vsr_analysis.stats.nca import effect_size_label, nca


def upper_tail_contrast(
    y, group, top_stage: int, weights=None, reps: int = 2000, seed: int = 0, level: float = 0.95
) -> dict:
    """Difference in P(Y >= top_stage) between ``group`` == 1 and == 0, with a percentile bootstrap CI.

    Resampling is stratified by group (each group resampled within itself) and vectorised: one
    ``(reps, n_group)`` index matrix per group.  Weights, when given, are resampled with their units.
    """
    y = np.asarray(y, dtype=float)
    g = np.asarray(group, dtype=int)
    w = np.ones_like(y) if weights is None else np.asarray(weights, dtype=float)
    ok = ~np.isnan(y)
    y, g, w = y[ok], g[ok], w[ok]
    top = (y >= top_stage).astype(float)
    rng = np.random.default_rng(seed)
    shares, boot = {}, {}
    for value in (0, 1):
        t, ww = top[g == value], w[g == value]
        if len(t) == 0:
            return {"estimate": None, "ci_low": None, "ci_high": None, "share_1": None, "share_0": None}
        shares[value] = float(np.sum(t * ww) / np.sum(ww))
        idx = rng.integers(0, len(t), size=(reps, len(t)))
        boot[value] = np.sum(t[idx] * ww[idx], axis=1) / np.sum(ww[idx], axis=1)
    diff = boot[1] - boot[0]
    alpha = 1 - level
    return {
        "estimate": shares[1] - shares[0],
        "ci_low": float(np.quantile(diff, alpha / 2)),
        "ci_high": float(np.quantile(diff, 1 - alpha / 2)),
        "share_1": shares[1],
        "share_0": shares[0],
        "reps": reps,
    }


def nca_table(x, y, permutations: int, seed: int, confidential: bool = False) -> pd.DataFrame:
    """CE-FDH and CR-FDH side by side: effect size, its label, permutation p, accuracy, scope.

    On a confidential run the X scope (the smallest and largest respondent's value) is left out.
    """
    rows = []
    for ceiling in ("ce_fdh", "cr_fdh"):
        res = nca(x, y, ceiling=ceiling, permutations=permutations, seed=seed)
        rows.append(
            {
                "ceiling": ceiling.upper().replace("_", "-"),
                "effect_size_d": res.effect_size,
                "size": effect_size_label(res.effect_size),
                "p_value": res.p_value,
                "permutations": res.permutations,
                "ceiling_accuracy": res.accuracy,
                "scope_x": f"{res.scope[0]:.3g} – {res.scope[1]:.3g}",
                "scope_y": f"{res.scope[2]:g} – {res.scope[3]:g}",
                "n": res.n,
            }
        )
    out = pd.DataFrame(rows)
    return out.drop(columns=["scope_x"]) if confidential else out


def item_based_stage(frame: pd.DataFrame) -> pd.Series:
    """An alternative maturity measure: the number of the five component items answered yes (0-5).

    Missing when any component item is missing, so the score never counts an unanswered item as "no".
    """
    items = frame[list(COMPONENT_ITEMS)].astype("Float64")
    return items.sum(axis=1, skipna=False).astype(float)


def population_existence_claim() -> str:
    """The id of the claim on the municipalities whose analysis is an existence count with population as its
    condition (the claim the specification curve varies), read from its declaration in ``claims.yml``."""
    from vsr_analysis.claims.spec import cached_claims

    found = [
        c.id
        for c in cached_claims().of_kind("existence_count", units="municipalities")
        if c.analysis.parameters["condition"] == "population_2021"
    ]
    if len(found) != 1:
        raise LookupError(f"claims.yml: expected one existence claim on population_2021, found {found or 'none'}")
    return found[0]


def necessity_multiverse(
    respondents: pd.DataFrame,
    frame: pd.DataFrame,
    *,
    permutations: int = 2000,
    seed: int = 0,
    confidential: bool = False,
    claim_id: str | None = None,
) -> pd.DataFrame:
    """The decision of the existence claim on population (``claim_id``; by default the claim of ``claims.yml``
    whose analysis is an existence count with population as its condition, :func:`population_existence_claim`)
    under every reasonable way of asking it (a specification curve for necessity).

    Varies the outcome (self-classified stage / item-based score), the definition of the top (>= 4 / = 5), the
    size coding NCA sees (log10 population / population / rank), the ceiling (CE-FDH / CR-FDH) and the
    threshold for "big" (frame median / 10,000 / 20,000).  Returns one row per specification with the NCA
    effect size and permutation p, the required size (a size band on a confidential run), the count of
    validated counterexamples and the decision of the pre-specified ``existence`` rule (unadjusted).  For the
    item-based score the items themselves are the confirmation, so every case counts as validated.
    """
    from vsr_analysis.claims.ledger import decide, load_claims_spec
    from vsr_analysis.stats.nca import bottleneck

    spec = load_claims_spec()
    claim_id = claim_id or population_existence_claim()
    claim = next(c for c in spec["claims"] if c["id"] == claim_id)
    alpha = float(spec["alpha"])
    outcomes = {
        "self-classified stage": respondents["maturity_stage"].astype(float),
        "item-based score": item_based_stage(respondents),
    }
    pop_all = respondents["population_2021"].astype(float)
    thresholds = {"median": float(frame["population_2021"].median()), "10,000": 10_000.0, "20,000": 20_000.0}
    rows = []
    for out_name, y_all in outcomes.items():
        ok = y_all.notna().to_numpy()
        y = y_all.to_numpy()[ok]
        pop = pop_all.to_numpy()[ok]
        units = respondents.loc[ok]
        codings = {
            "log10 population": np.log10(pop),
            "population": pop,
            "population rank": pd.Series(pop).rank().to_numpy(),
        }
        for top in (4, 5):
            confirmed = confirmed_at_top(units, top).to_numpy() if out_name.startswith("self") else (y >= top)
            for cod_name, x in codings.items():
                for ceiling in ("ce_fdh", "cr_fdh"):
                    res = nca(x, y, ceiling=ceiling, permutations=permutations, seed=seed)
                    row = bottleneck(x, y, [top], ceiling=ceiling).iloc[0]
                    status, req = str(row["status"]), float(row["required_x"])
                    # the required X back in inhabitants: the smallest respondent at or above it on the coding
                    req_pop = float(pop[x >= req - 1e-9].min()) if status == "required" else None
                    for t_name, t in thresholds.items():
                        validated = int(np.sum((pop < t) & confirmed))
                        at_or_above = status == "NA" or (status == "required" and req_pop >= t)
                        if status == "NN":
                            label = "no minimum"
                        elif status == "NA":
                            label = "beyond the data"
                        else:
                            label = (
                                band_of(req_pop, frame, "population_2021", "size_band")
                                if confidential
                                else f"{req_pop:,.0f}"
                            )
                        inputs = {
                            "validated_counterexamples": validated,
                            "nca_p_value": res.p_value,
                            "required_at_or_above_threshold": at_or_above,
                            "required_label": label,
                        }
                        d = decide(claim, {"primary": {"p_value": None}, "rule_inputs": inputs}, alpha, None)
                        rows.append(
                            {
                                "outcome": out_name,
                                "top": f"≥ {top}" if top < 5 else "= 5",
                                "size coding": cod_name,
                                "ceiling": ceiling.upper().replace("_", "-"),
                                "threshold": t_name,
                                "effect size d": res.effect_size,
                                "p": res.p_value,
                                "required size": label,
                                "validated small at the top": validated,
                                "decision": d.verdict,
                            }
                        )
    return pd.DataFrame(rows)


def band_order(frame: pd.DataFrame, band_column: str, condition: str) -> list:
    """The register's bands from the lowest to the highest value of ``condition``."""
    return list(frame.groupby(band_column, observed=True)[condition].min().sort_values().index)


# --- The existence claim: validated counterexamples, bands for confidential runs ---------------------------

#: The items the maturity ladder requires for a self-classified stage (data/codebook.yml): stage 4
#: (operationalised) needs the SDGs in the budget *or* the management system, stage 5 (measuring and reporting)
#: needs progress to be measured.  A self-classification they do not confirm is not counted as a counterexample.
LADDER_CONFIRMATION = {4: ("sdg_in_budget", "sdg_in_management"), 5: ("measures_progress",)}

#: Band columns used to report a required X on a confidential run (a band, never one unit's register value).
BAND_COLUMNS = {"population_2021": "size_band", "centrality_score": "centrality_class"}


def confirmed_at_top(units: pd.DataFrame, top_stage: int) -> pd.Series:
    """True where a unit's self-classified stage is >= ``top_stage`` *and* the ladder's items confirm it.

    Stage 4 is confirmed by ``sdg_in_budget`` = 1 or ``sdg_in_management`` = 1, stage 5 by ``measures_progress``
    = 1 (:data:`LADDER_CONFIRMATION`).  A missing item does not confirm.
    """
    stage = pd.to_numeric(units["maturity_stage"], errors="coerce")
    ok = pd.Series(False, index=units.index)
    for level, items in LADDER_CONFIRMATION.items():
        yes = pd.Series(False, index=units.index)
        for item in items:
            yes |= pd.to_numeric(units[item], errors="coerce").eq(1).fillna(False).astype(bool)
        ok |= (stage == level).fillna(False).astype(bool) & yes
    return ok & (stage >= top_stage).fillna(False).astype(bool)


def band_of(value: float, frame: pd.DataFrame, condition: str, band_column: str) -> str:
    """The band (e.g. size band) of the register that contains ``value`` of ``condition``.

    The label is a register category shared by many units, so it can be published on a confidential run where
    the exact value (one unit's register population) would tell that unit's answer.
    """
    if value is None or not np.isfinite(value):
        return "—"
    ranges = frame.groupby(band_column, observed=True)[condition].agg(["min", "max", "size"])
    inside = ranges[(ranges["min"] <= value) & (ranges["max"] >= value)]
    if len(inside):
        label = inside.index[0]
    else:  # between two bands: the one whose lower bound is nearest below
        below = ranges[ranges["min"] <= value]
        label = below["min"].idxmax() if len(below) else ranges["min"].idxmin()
    prefix = "size band" if band_column == "size_band" else band_column.replace("_", " ")
    return f"{prefix} {label}"


@dataclass
class ExistenceEvidence:
    """The inputs of the ``existence`` rule, already safe to publish when ``confidential``."""

    threshold: float
    top_stage: int
    claimed_counterexamples: int  # below the threshold, self-classified stage >= top_stage
    validated_counterexamples: int  # ... and confirmed by the ladder's items
    n_below_threshold: int
    n: int
    nca_effect_size: float
    nca_p_value: float | None
    required_status: str  # "required" (the ceiling binds), "NN" (not necessary), "NA" (nobody reaches the stage)
    required_x: float | None  # original units; None on a confidential run
    required_label: str  # a number (synthetic) or a register band (confidential)
    required_at_or_above_threshold: bool
    confidential: bool

    def masked_count(self, value: int):
        """Counts of 1-2 are shown as "<3" on a confidential run (the disclosure rule's smallest cell)."""
        from vsr_analysis.stats.small_cells import MIN_CELL, SUPPRESSED

        return SUPPRESSED if self.confidential and 0 < value < MIN_CELL else int(value)

    def as_rule_inputs(self) -> dict:
        return {
            "threshold": self.threshold,
            "top_stage": self.top_stage,
            "claimed_counterexamples": self.masked_count(self.claimed_counterexamples),
            "validated_counterexamples": self.masked_count(self.validated_counterexamples),
            "n_below_threshold": self.masked_count(self.n_below_threshold),
            "nca_effect_size": self.nca_effect_size,
            "nca_p_value": self.nca_p_value,
            "required_status": self.required_status,
            "required_x": self.required_x,
            "required_label": self.required_label,
            "required_at_or_above_threshold": self.required_at_or_above_threshold,
        }


def required_for_top(x, y, top_stage: int, ceiling: str = "ce_fdh") -> tuple[str, float]:
    """The bottleneck for ``top_stage`` from :func:`vsr_analysis.stats.nca.bottleneck` (on the analysis scale)."""
    from vsr_analysis.stats.nca import bottleneck

    row = bottleneck(x, y, [top_stage], ceiling=ceiling).iloc[0]
    return str(row["status"]), float(row["required_x"])


def existence_evidence(
    respondents: pd.DataFrame,
    frame: pd.DataFrame,
    condition: str,
    threshold: float,
    top_stage: int,
    *,
    log_scale: bool,
    nca_result,
    confidential: bool,
) -> ExistenceEvidence:
    """The existence claim's evidence: validated counterexamples below ``threshold``, and the NCA bottleneck for ``top_stage``.

    ``nca_result`` is the CE-FDH :class:`~vsr_analysis.stats.nca.NCAResult` of the chapter (X on the analysis
    scale, log10 when ``log_scale``); the bottleneck is computed by the NCA module and reported back in the
    condition's units — as a register band on a confidential run.
    """
    units = respondents.dropna(subset=["maturity_stage", condition])
    x_raw = units[condition].astype(float).to_numpy()
    y = units["maturity_stage"].astype(float).to_numpy()
    below = x_raw < threshold
    claimed = below & (y >= top_stage)
    validated = below & confirmed_at_top(units, top_stage).to_numpy()
    x = np.log10(x_raw) if log_scale else x_raw
    status, req = required_for_top(x, y, top_stage)
    req_raw = None if status != "required" else float(10**req if log_scale else req)
    if status == "NN":
        at_or_above, label = False, "no minimum (the ceiling does not bind)"
    elif status == "NA":
        at_or_above, label = True, "more than any respondent has (nobody reaches the stage)"
    else:
        at_or_above = bool(req_raw >= threshold)
        band = BAND_COLUMNS.get(condition)
        label = band_of(req_raw, frame, condition, band) if confidential and band else f"{req_raw:,.0f}"
    return ExistenceEvidence(
        threshold=float(threshold),
        top_stage=int(top_stage),
        claimed_counterexamples=int(claimed.sum()),
        validated_counterexamples=int(validated.sum()),
        n_below_threshold=int(below.sum()),
        n=int(len(units)),
        nca_effect_size=float(nca_result.effect_size),
        nca_p_value=None if nca_result.p_value is None else float(nca_result.p_value),
        required_status=status,
        required_x=None if confidential else req_raw,
        required_label=label,
        required_at_or_above_threshold=at_or_above,
        confidential=bool(confidential),
    )


def bottleneck_table(x, y, frame: pd.DataFrame, condition: str, *, log_scale: bool, confidential: bool, labels: dict):
    """Bottleneck table for stages 1-5 with required X in the condition's units, banded on a confidential run."""
    from vsr_analysis.stats.nca import bottleneck

    bn = bottleneck(x, y, [1, 2, 3, 4, 5], ceiling="ce_fdh")
    band = BAND_COLUMNS.get(condition)
    shown = []
    for v, status in zip(bn["required_x"], bn["status"]):
        if status == "NN":
            shown.append("not necessary")
        elif status == "NA":
            shown.append("no observed level suffices")
        else:
            raw = float(10**v if log_scale else v)
            shown.append(band_of(raw, frame, condition, band) if confidential and band else f"{raw:,.0f}")
    out = pd.DataFrame(
        {
            "maturity stage ≥": bn["y_level"].astype(int),
            "stage name": [labels[int(v)] for v in bn["y_level"]],
            "required (CE-FDH)": shown,
        }
    )
    if not confidential:  # a percentile of respondents pins down the peer on a confidential run
        out["share of respondents below it (%)"] = bn["required_x_percentile"].to_numpy()
    return out


def binned_counts(respondents: pd.DataFrame, band_column: str, band_order: list, stages=range(6)) -> pd.DataFrame:
    """Respondents by band x stage (counts), the figure's data on a confidential run (suppressed by the caller)."""
    stage = pd.to_numeric(respondents["maturity_stage"], errors="coerce")
    tab = pd.crosstab(respondents[band_column], stage).reindex(index=band_order, columns=list(stages), fill_value=0)
    tab.columns = [f"stage {int(c)}" for c in tab.columns]
    return tab.reset_index().rename(columns={band_column: "band"})


def decide_under_variants(claim: dict, alpha: float, variants: list[dict]) -> pd.DataFrame:
    """Apply a claim's pre-specified rule to each variant's rule inputs (a sensitivity table).

    Each variant is ``{"label": {...columns...}, "rule_inputs": {...}, "estimate": ..., "p_value": ...}``; the
    result has the label columns, the rule inputs named in ``show`` and the decision at the unadjusted level.
    """
    from vsr_analysis.claims.ledger import decide

    rows = []
    for v in variants:
        ev = {"primary": {"estimate": v.get("estimate"), "p_value": v.get("p_value")}, "rule_inputs": v["rule_inputs"]}
        d = decide(claim, ev, alpha, v.get("p_value"))
        rows.append({**v["label"], **{k: v["rule_inputs"].get(k) for k in v.get("show", [])}, "decision": d.verdict})
    return pd.DataFrame(rows)


def small_at_top_table(respondents: pd.DataFrame, condition: str, threshold: float, top_stage: int, *, synthetic: bool):
    """Units below the threshold at the top stages: listed with their confirming items on simulated data,
    counted by register band (claimed / validated) otherwise.  Returns (table, caption, count columns)."""
    small_top = respondents[(respondents[condition] < threshold) & (respondents["maturity_stage"] >= top_stage)]
    small_top = small_top.assign(validated=confirmed_at_top(small_top, top_stage))
    if synthetic:
        cols = [
            "knr",
            "name",
            condition,
            "maturity_stage",
            *sorted({i for v in LADDER_CONFIRMATION.values() for i in v}),
            "validated",
        ]
        caption = "Municipalities below the threshold at the top stages, with the items that confirm the stage (simulated data: listed)"
        return small_top[cols].sort_values(condition), caption, None
    band = BAND_COLUMNS.get(condition, "size_band")
    counts = small_top.groupby(band).agg(claimed=("validated", "size"), validated=("validated", "sum")).reset_index()
    return (
        counts,
        "Municipalities below the threshold at the top stages, by band (small cells suppressed)",
        ["claimed", "validated"],
    )


def existence_sensitivity(
    respondents, frame, condition, threshold, others, top_stage, *, log_scale, nca_result, confidential, claim, alpha
) -> pd.DataFrame:
    """The existence rule under each threshold (primary and ``others``) and each top (``top_stage`` and 5)."""
    variants = []
    for top in sorted({top_stage, 5}):
        for t in [threshold, *others]:
            ev = existence_evidence(respondents, frame, condition, float(t), top, log_scale=log_scale,
                                    nca_result=nca_result, confidential=confidential)  # fmt: skip
            label = {
                "threshold": float(t),
                "top stages": f"≥ {top}",
                "primary": bool(t == threshold and top == top_stage),
            }
            # raw counts in the table: the caller's disclosure control (ctx.table count_columns) suppresses 1-2
            label.update(claimed_counterexamples=ev.claimed_counterexamples,
                         validated_counterexamples=ev.validated_counterexamples, required_label=ev.required_label)  # fmt: skip
            variants.append({"label": label, "rule_inputs": ev.as_rule_inputs()})
    return decide_under_variants(claim, alpha, variants)


def released_upper_tail(contrast: dict, stage, group, top_stage: int, confidential: bool) -> tuple[pd.DataFrame, dict]:
    """The upper-tail table and the contrast as they may be published.

    A weighted share with its group's size known is a count in disguise (share x respondents gave "1" back): on a
    confidential run, when fewer than ``MIN_CELL`` respondents of either group are at the top stages, or fewer than
    that are not, both shares, the contrast and its interval are withheld (the reason names the rule, not the group).
    """
    from vsr_analysis.stats.small_cells import MIN_CELL

    top = pd.to_numeric(pd.Series(stage), errors="coerce") >= top_stage
    group = pd.Series(group, index=top.index)
    small = any(min(int(top[group == g].sum()), int((~top[group == g]).sum())) < MIN_CELL for g in (0, 1))
    withheld = confidential and small
    shares = ["..", ".."] if withheld else [contrast["share_1"], contrast["share_0"]]
    table = pd.DataFrame(
        {"group": ["at or above the threshold", "below the threshold"], f"share at stage ≥ {top_stage}": shares}
    )
    if withheld:
        rule = f"fewer than {MIN_CELL} respondents of a group are (or are not) at the top stages"
        return table, {"withheld": f"not published on a confidential file: {rule}"}
    return table, dict(contrast)
