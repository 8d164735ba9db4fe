"""The necessity chapter (``notebooks/necessity``): its sentences, captions, the upper-tail contrast as released, the
figure, and what the evidence file records beside the ledger's inputs.

The analyses are :mod:`vsr_analysis.claims.necessity_evidence` (shared with ``vsr simulate``) and
:mod:`vsr_analysis.claims.necessity_figures`; these functions only assemble and word what they return.
"""

from __future__ import annotations

import matplotlib.pyplot as plt
import pandas as pd
import seaborn as sns

from vsr_analysis.claims import necessity_evidence as prerequisite
from vsr_analysis.claims import necessity_figures
from vsr_analysis.stats.figure_style import wrap
from vsr_analysis.stats.nca import effect_size_label, nca


def threshold_text(cut: float, condition_label: str, threshold_label: str, n_resp: int, n_frame: int) -> str:
    """The threshold of the analysis and how many municipalities answered the maturity question."""
    return (
        f"The threshold for this analysis is **{cut:,.0f} {condition_label}** ({threshold_label}). "
        f"{n_resp} of {n_frame} municipalities answered the maturity question."
    )


def counterexamples_text(inputs: dict, top_stage: int) -> str:
    """The claimed and the validated counterexamples below the threshold (the rule's inputs)."""
    return (
        f"Of the {inputs['n_below_threshold']} responding municipalities below the threshold, "
        f"**{inputs['claimed_counterexamples']}** classify themselves at stage {top_stage} or higher, and "
        f"**{inputs['validated_counterexamples']}** of them are confirmed by the ladder's items "
        "(validated counterexamples)."
    )


def bottleneck_caption(condition_label: str, confidential: bool) -> str:
    """The bottleneck table's caption (register bands on a confidential run)."""
    return (
        "Bottleneck table: the " + condition_label + " the CE-FDH ceiling requires "
        "for each stage" + (" (register bands: an exact value would be one municipality's)" if confidential else "")
    )


def nca_text(ce, permutations: int, ev, top_stage: int) -> str:
    """The CE-FDH effect size and permutation p, and what the ceiling requires for the top stages."""
    return (
        f"CE-FDH effect size d = **{ce.effect_size:.3f}** ({effect_size_label(ce.effect_size)}), permutation "
        f"p = **{ce.p_value:.4f}** ({permutations:,} permutations); the ceiling requires **{ev.required_label}** "
        f"for stage ≥ {top_stage} ({'at or above' if ev.required_at_or_above_threshold else 'below'} the threshold)."
    )


def upper_tail(
    resp: pd.DataFrame, condition: str, cut: float, top_stage: int, *, confidential: bool, seed: int
) -> tuple[pd.DataFrame, dict]:
    """The weighted share at the top stages above against below the threshold (bootstrap CI, 2000 replicates), as
    ``necessity_evidence.released_upper_tail`` releases it: (table, contrast)."""
    group = (resp[condition] >= cut).astype(int)
    contrast = prerequisite.upper_tail_contrast(
        resp["maturity_stage"], group, top_stage, weights=resp["weight"], reps=2000, seed=seed
    )
    return prerequisite.released_upper_tail(contrast, resp["maturity_stage"], group, top_stage, confidential)


def upper_tail_text(contrast: dict) -> str:
    """The upper-tail contrast in words, or why it is withheld."""
    if "withheld" in contrast:
        return f"*The upper-tail contrast is {contrast['withheld']}.*"
    return (
        f"Upper-tail contrast (above − below): **{contrast['estimate']:.3f}**, 95 % bootstrap CI "
        f"[{contrast['ci_low']:.3f}, {contrast['ci_high']:.3f}]. A positive difference is compatible with the "
        "finding of {doc}`who-came-furthest` (bigger municipalities are more often at the top); it does not "
        "make size *necessary*."
    )


def scatter_figure(
    resp: pd.DataFrame,
    frame: pd.DataFrame,
    condition: str,
    condition_label: str,
    cut: float,
    *,
    log_scale: bool,
    x,
    y,
    ce,
    seed: int,
    released: pd.DataFrame | None,
) -> tuple[plt.Figure, str, str]:
    """The stage against the condition with the CE-FDH and CR-FDH ceilings (simulated data), or the released
    binned counts (``released``, a confidential run): (figure, alt text, caption)."""
    fig, ax = plt.subplots(figsize=(5.4, 5.0))
    alt, caption = necessity_figures.necessity_figure(
        ax,
        resp,
        frame,
        condition,
        condition_label,
        cut,
        log_scale=log_scale,
        ce=ce,
        cr=nca(x, y, ceiling="cr_fdh"),
        seed=seed,
        palette=sns.color_palette("colorblind"),
        confidential=released is not None,
        released=released,
    )
    ax.set_title(wrap("Maturity stage against " + condition_label, 40))
    return fig, alt, caption


def agreement_text(sens: pd.DataFrame) -> str:
    """Under how many of the sensitivity definitions the primary decision is reached."""
    agree = (sens["decision"] == sens.loc[sens["primary"], "decision"].iloc[0]).mean()
    return f"The primary decision is reached under **{agree:.0%}** of the {len(sens)} definitions."


def multiverse_summary(curve: pd.DataFrame) -> pd.DataFrame:
    """Decisions counted by outcome, top and threshold (``necessity_multiverse``'s specifications)."""
    return curve.groupby(["outcome", "top", "threshold"])["decision"].value_counts().unstack(fill_value=0).reset_index()


def multiverse_text(curve: pd.DataFrame, param_set: str) -> str:
    """The share of specifications reaching each decision, with the download link of all of them."""
    return (
        f"{(curve['decision'] == 'supported').mean():.0%} of the {len(curve)} specifications reach *supported*, "
        f"{(curve['decision'] == 'not supported').mean():.0%} *not supported*. "
        f"{{download}}`All {len(curve)} specifications (CSV) <../../results/{param_set}/necessity_multiverse.csv>`"
    )


def primary_record(inputs: dict, top_stage: int) -> dict:
    """The ledger's ``primary``: the count of validated counterexamples (no interval, no p-value)."""
    return {
        "method": f"count of validated counterexamples below the threshold at stage ≥ {top_stage} "
        "(self-classification confirmed by the ladder's items)",
        "estimate": inputs["validated_counterexamples"],
        "ci_low": None,
        "ci_high": None,
        "p_value": None,
    }


def nca_record(ce, *, log_scale: bool, permutations: int, required_label: str) -> dict:
    """What the evidence file records of the CE-FDH analysis."""
    return {
        "ceiling": "ce_fdh",
        "x_scale": "log10" if log_scale else "linear",
        "effect_size": ce.effect_size,
        "effect_size_label": effect_size_label(ce.effect_size),
        "p_value": ce.p_value,
        "permutations": permutations,
        "required_for_top": required_label,
    }
