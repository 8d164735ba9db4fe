"""The pieces of the term-effect chapter (one term's effect in the ordinal model), kept out of the template.

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
from vsr_analysis.stats.figure_style import WIDTH, legend_below, wrap
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


def stage_by_level_groups(used: pd.DataFrame, term: str) -> dict[str, pd.DataFrame]:
    """The respondents behind each row of :func:`stage_by_level`, keyed by the row's label (for the disclosure
    engine: ``group_release.distribution_cells``)."""
    levels = sorted(int(v) for v in used[term].dropna().unique())
    name = level_namer(levels)
    return {name(lv): used[as_float(used[term]) == lv] for lv in levels}


def stacked_bars(ax, crosstab: pd.DataFrame, term_short: str, stage_labels: dict, palette) -> None:
    cols = [f"stage {s} (%)" for s in range(6)]
    left = np.zeros(len(crosstab))
    for i, col in enumerate(cols):
        # a suppressed cell (NaN in a released table) draws no bar: the row then stops short of 100 %
        width = pd.to_numeric(crosstab[col], errors="coerce").fillna(0.0).to_numpy(dtype=float)
        ax.barh(crosstab[term_short].astype(str), width, left=left, color=palette[i], label=f"{i} {stage_labels[i]}")
        left += width
    ax.set_xlabel("Share of municipalities (%, weighted)")
    # below the bars, two columns: beside them it would double the figure's width
    # below the bars, in two columns: beside them the legend would double the figure's width
    legend_below(ax, ncol=2, title="Maturity stage")


def stage_by_term_figure(crosstab: pd.DataFrame, term_short: str, stage_labels: dict):
    """The weighted stage distribution at each level of the term as stacked horizontal bars."""
    import matplotlib.pyplot as plt
    import seaborn as sns

    fig, ax = plt.subplots(figsize=(WIDTH, 0.6 * len(crosstab) + 2.2))
    crosstab = crosstab.assign(**{term_short: crosstab[term_short].map(lambda v: wrap(v, 16))})
    stacked_bars(ax, crosstab, term_short, stage_labels, sns.color_palette("colorblind", 6))
    ax.set_ylabel(wrap(term_short.capitalize(), 24))
    ax.set_title(wrap(f"Maturity stage by {term_short}", 40))
    return fig


def predicted_stages_figure(pred: pd.DataFrame, term_short: str, stage_labels: dict):
    """Average predicted probability of each stage (rows) with the term at each level (bars of one colour each)."""
    import matplotlib.pyplot as plt
    import seaborn as sns

    fig, ax = plt.subplots(figsize=(WIDTH, 5.6))
    named = pred.assign(stage=pred["stage"].map(lambda s: f"{s} {wrap(stage_labels[s], 18)}"))
    sns.barplot(data=named, y="stage", x="probability", hue=term_short, palette="colorblind", ax=ax, orient="h")
    ax.set_xlabel("Average predicted probability")
    ax.set_ylabel("Maturity stage")
    legend_below(ax, title=wrap(term_short.capitalize(), 30))
    return fig


def robustness_figure(robust: pd.DataFrame, sesoi: float, palette, term_short: str):
    """:func:`robustness_plot` in a figure of its own, titled."""
    import matplotlib.pyplot as plt

    rows = int((robust["estimate"].notna() & ~robust["model"].str.startswith("linear model")).sum())
    fig, ax = plt.subplots(figsize=(WIDTH, 0.8 * rows + 1.6))
    ax.set_title(wrap(f"Coefficient of {term_short} under each specification", 40))
    robustness_plot(ax, robust, sesoi, palette)
    return fig


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
    ax.set_yticklabels([wrap(m, 24) for m in rr["model"]])
    ax.set_xlabel("Coefficient (log-odds of a higher stage),\n95 % CI")
    legend_below(ax)


LABELS = {
    "political_anchoring": "political anchoring (1–5)",
    "admin_anchoring": "administrative anchoring (1–5)",
    "network_member": "member of an SDG network (self-report)",
    "network_register": "on a public network list",
    "log_population": "ln(inhabitants 2021)",
    "centrality": "SSB centrality index / 100",
    "merged_2017_2020": "merged 2017–2020",
}


def cut_slopes_text(cs: dict) -> str:
    """Words for :func:`cut_slopes`: which cuts are separated, and the equal-slopes test."""
    text = []
    if cs["separated"]:
        text.append(
            f"At cut(s) {', '.join(map(str, cs['separated']))} the term separates the outcome, so no finite slope "
            "exists there; the equal-slopes test uses the other cuts."
        )
    if cs["test"] is not None:
        r = cs["test"]
        text.append(
            f"Equal-slopes test over cuts {', '.join(map(str, cs['good_cuts']))}: χ² = {r['chi2']:.2f} on "
            f"{int(r['df'])} df, p = {r['p_value']:.3f}; slopes from {r['min_estimate']:.3f} to {r['max_estimate']:.3f}."
        )
    return " ".join(text) or "Fewer than two cuts have a finite slope: no equal-slopes test."


def nca_of_term(used: pd.DataFrame, term: str, permutations: int, seed: int):
    """CE-FDH NCA of the term for the stage, and its bottleneck table (levels of the term required per stage)."""
    from vsr_analysis.stats.nca import bottleneck, nca

    x, y = as_float(used[term]), as_float(used["maturity_stage"])
    ce = nca(x, y, ceiling="ce_fdh", permutations=permutations, seed=seed)
    bn = bottleneck(x, y, [1, 2, 3, 4, 5], ceiling="ce_fdh")
    names = {"NN": "not necessary", "NA": "no observed level suffices"}
    bn["required"] = [names.get(s, f"{v:g}") for v, s in zip(bn["required_x"], bn["status"])]
    return ce, bn[["y_level", "required"]].rename(columns={"y_level": "maturity stage ≥"})


def register_agreement(used: pd.DataFrame, register_term: str, term: str) -> tuple[pd.DataFrame, str]:
    """Respondents by public network list x self-reported membership (counts), and the agreement in words."""
    from vsr_analysis.stats.descriptives import agreement

    ag = agreement(used[register_term], used[term], labels=("on a public list", "reports membership"))
    tab = ag["table"]
    cross = pd.DataFrame(
        {
            "public network list": ["not on a list", "on a list"],
            "reports no membership": tab[0].to_numpy(),
            "reports membership": tab[1].to_numpy(),
        }
    )
    return cross, f"Agreement: **{ag['agreement']:.1%}** of {ag['n']} respondents; Cohen's κ = **{ag['kappa']:.2f}**."


def robustness_table(
    data: pd.DataFrame,
    frame: pd.DataFrame,
    primary,
    *,
    term: str,
    controls: Sequence[str],
    fixed_effects: Sequence[str],
    sensitivity_controls: Sequence[str],
    register_term: str | None,
    claim: dict,
    alpha: float,
    sesoi: float,
    top_stage: int,
    imputations: int,
    bootstrap_reps: int,
    seed: int,
) -> pd.DataFrame:
    """The primary row and every robustness row, each with the rule's decision at the unadjusted level."""
    from vsr_analysis.claims.model_robustness import clustered_row, cr2_row, decide_rows, imputed_row
    from vsr_analysis.stats.marginal_effects import ordinal_term_effect

    variants = [("unweighted, county fixed effects", term, controls, None)]
    if sensitivity_controls:
        extra = ", ".join(LABELS.get(c, c) for c in sensitivity_controls)
        variants.append((f"also controlling for {extra}", term, [*controls, *sensitivity_controls], "weight"))
    if register_term:
        variants.append((f"term = {LABELS.get(register_term, register_term)}", register_term, controls, "weight"))
    rows = [primary.summary("primary: weighted, county fixed effects, HC0")]
    for label, t, c, w in variants:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            eff = ordinal_term_effect(
                data, t, c, weights=w, fixed_effects=fixed_effects, cut=top_stage, sesoi=sesoi, alpha=alpha
            )
        rows.append(eff.summary(label))
    rows.append(clustered_row(data, primary.fit, term, reps=bootstrap_reps, seed=seed))
    rows.append(cr2_row(data, term, controls))
    rows.append(imputed_row(data, frame, term, controls, fixed_effects, m=imputations, seed=seed)[0])
    cols = ["model", "term", "n", "estimate", "se", "ci_low", "ci_high", "p_value", "note", "decision"]
    return decide_rows(rows, claim, alpha, sesoi).reindex(columns=cols)


def robustness_sentences(robust: pd.DataFrame, alpha: float) -> list[str]:
    """Where a specification of :func:`robustness_table` disagrees with the primary row, in words.

    The linear CR2 row is on the stage scale, not log-odds: it is compared on decision and significance only.
    """
    from vsr_analysis.claims.robustness_text import disagreement_sentences

    linear = [m for m in robust["model"] if str(m).startswith("linear model")]
    return disagreement_sentences(
        robust, label="model", estimate="estimate", alpha=alpha, effect=True, other_scale=linear
    )
