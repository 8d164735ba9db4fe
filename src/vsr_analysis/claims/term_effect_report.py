"""The pieces of the F1/F5 chapter (one term's effect in the ordinal model), kept out of the template.

Each function returns a table or draws on a given axis; the template only strings them together and writes the
words around them.
"""

from __future__ import annotations

import warnings
from collections.abc import Sequence

import numpy as np
import pandas as pd

from vsr_analysis.stats.descriptives import as_float, interval_errors
from vsr_analysis.stats.dispersion import weighted_distribution
from vsr_analysis.stats.ordinal_model import fit_cumulative_logits


def claim_box(entry: dict, alpha: float, sesoi: float) -> str:
    """The claim as pre-specified in claims.yml, as a MyST admonition."""
    return (
        f":::{{admonition}} Claim {entry['id']}: {entry['finding']}\n:class: important\n"
        f"**Source.** {entry['source']}\n\n**Hypothesis.** {entry['hypothesis'].strip()}\n\n"
        f"**Primary test.** {entry['primary_test']}\n\n**Decision rule.** `{entry['rule']}`, direction "
        f"{entry['rule_parameters']['direction']}, smallest effect size of interest ± {sesoi:g} log-odds (TOST), "
        f"α = {alpha:g}; in the ledger every route (support, opposite sign, equivalence) is Holm-adjusted.\n:::"
    )


def level_namer(levels: Sequence[int]):
    return (lambda lv: {0: "no", 1: "yes"}[lv]) if list(levels) == [0, 1] else str


def stage_by_level(used: pd.DataFrame, term: str, term_short: str, top_stage: int) -> pd.DataFrame:
    """Weighted distribution of stages 0-5 (row %) at each observed level of ``term``, with counts."""
    levels = sorted(int(v) for v in used[term].dropna().unique())
    name = level_namer(levels)
    rows = []
    for lv in levels:
        sub = used[as_float(used[term]) == lv]
        dist = weighted_distribution(as_float(sub["maturity_stage"]), sub["weight"].to_numpy(), levels=list(range(6)))
        row = {term_short: name(lv), "municipalities": len(sub)}
        row.update({f"stage {int(r.level)} (%)": 100 * r.share for r in dist.itertuples()})
        row[f"stage ≥ {top_stage} (%)"] = 100 * float(dist.loc[dist["level"] >= top_stage, "share"].sum())
        rows.append(row)
    return pd.DataFrame(rows)


def stacked_bars(ax, crosstab: pd.DataFrame, term_short: str, stage_labels: dict, palette) -> None:
    cols = [f"stage {s} (%)" for s in range(6)]
    left = np.zeros(len(crosstab))
    for i, col in enumerate(cols):
        ax.barh(
            crosstab[term_short].astype(str), crosstab[col], left=left, color=palette[i], label=f"{i} {stage_labels[i]}"
        )
        left += crosstab[col].to_numpy(dtype=float)
    ax.set_xlabel("Share of municipalities (%, weighted)")
    ax.legend(title="Maturity stage", bbox_to_anchor=(1.02, 1), loc="upper left", fontsize=8)


def predicted_by_level(fit, used: pd.DataFrame, term: str, term_short: str) -> pd.DataFrame:
    """Average predicted probability of each stage with ``term`` set to each level (others as observed)."""
    levels = sorted(int(v) for v in used[term].dropna().unique())
    name = level_namer(levels)
    rows = used.copy()
    for col in fit.fixed_effects:  # levels dropped from the fit (separation) cannot be predicted
        rows = rows[rows[col].isin(fit.fe_levels[col])]
    out = []
    for lv in levels:
        probs = fit.predict_proba(rows.assign(**{term: float(lv)}))
        ok = probs.notna().all(axis=1).to_numpy()
        w = rows["weight"].to_numpy()[ok]
        avg = (probs[ok].to_numpy() * w[:, None]).sum(axis=0) / w.sum()
        out += [
            {term_short: name(lv), "stage": int(s), "probability": float(p)} for s, p in zip(fit.outcome_levels, avg)
        ]
    return pd.DataFrame(out)


def cut_slopes(data, used, term: str, controls: Sequence[str], fixed_effects: Sequence[str]) -> dict:
    """Slopes of ``term`` in separate logits of stage >= k, separated cuts flagged, and the equal-slopes test.

    A cut at which the term separates the outcome has no finite slope (the fit stops at a huge estimate with a
    zero or implausible SE): such cuts are shown and left out of the test.
    """
    covs = [term, *[c for c in controls if c != term]]

    def fit(cuts=None):
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            return fit_cumulative_logits(
                data, "maturity_stage", covs, cuts=cuts, weights="weight", fixed_effects=fixed_effects
            )

    slopes = fit().table.query("term == @term")
    sd = float(np.nanstd(as_float(used[term])))
    separated = (~slopes["converged"].astype(bool)) | (slopes["se"] <= 1e-8) | (slopes["estimate"].abs() * sd > 10)
    table = slopes[["cut", "estimate", "se", "ci_low", "ci_high", "p_value", "n"]].assign(
        note=np.where(separated, "separation: no finite slope", "")
    )
    good = slopes.loc[~separated, "cut"].tolist()
    test = fit(good).equal_slopes.query("term == @term") if len(good) >= 2 else pd.DataFrame()
    return {"table": table, "good_cuts": good, "separated": slopes.loc[separated, "cut"].tolist(),
            "test": None if test.empty else test.iloc[0]}  # fmt: skip


def robustness_plot(ax, robust: pd.DataFrame, sesoi: float, palette) -> None:
    rr = robust[robust["estimate"].notna() & ~robust["model"].str.startswith("linear model")].reset_index(drop=True)
    ypos = np.arange(len(rr))[::-1]
    ax.errorbar(rr["estimate"], ypos, xerr=interval_errors(rr["estimate"], rr["ci_low"], rr["ci_high"]),
                fmt="o", color=palette[0], capsize=3)  # fmt: skip
    ax.axvspan(-sesoi, sesoi, color=palette[7], alpha=0.25, label=f"negligible (± {sesoi:g})")
    ax.axvline(0, color="grey", lw=1)
    ax.set_yticks(ypos)
    ax.set_yticklabels(rr["model"], fontsize=8)
    ax.set_xlabel("Coefficient (log-odds of a higher stage), 95 % CI")
    ax.legend(loc="lower right", fontsize=8)
