"""The ordinal-effect chapter's sentences and records (``notebooks/ordinal_effect``), beside the tables and
figures of :mod:`vsr_analysis.claims.term_effect_report`.

The model is :func:`vsr_analysis.stats.marginal_effects.ordinal_term_effect` (shared with ``vsr simulate``); these
functions only word, tabulate and record what it returns.
"""

from __future__ import annotations

import pandas as pd

from vsr_analysis.claims.term_effect_report import LABELS
from vsr_analysis.stats.nca import effect_size_label

#: The template parameters that ``term_effect_report.robustness_table`` takes as they are.
ROBUSTNESS_PARAMETERS = (
    "term",
    "controls",
    "fixed_effects",
    "sensitivity_controls",
    "register_term",
    "top_stage",
    "imputations",
    "bootstrap_reps",
    "seed",
)


def robustness_settings(parameters: dict) -> dict:
    """The keyword arguments of ``robustness_table`` that are the chapter's parameters, from its namespace."""
    return {name: parameters[name] for name in ROBUSTNESS_PARAMETERS}


def respondents_text(n_resp: int, n_frame: int, n_used: int, term_short: str, term_label: str, reference: str) -> str:
    """Who responded and who enters the model, with the reference county and the term in words."""
    return (
        f"{n_resp} of {n_frame} municipalities responded; **{n_used}** answered the maturity question "
        f"and the {term_short} item and have every covariate, and enter the model (reference county code "
        f"{reference}). Term: **{term_label}**."
    )


def coefficient_table(fit) -> pd.DataFrame:
    """The fitted model's coefficients with each covariate named in words (``term_effect_report.LABELS``)."""
    coef = fit.coef_table()
    coef.insert(1, "covariate", coef["term"].map(lambda t: LABELS.get(t, t)))
    return coef


def coefficient_text(primary, term_short: str, sesoi: float, alpha: float, table_ref: str) -> str:
    """The term's coefficient, odds ratio and the equivalence (TOST) test in words."""
    return (
        f"In {table_ref} the coefficient of **{term_short}** is **{primary.estimate:.3f}** (95 % CI {primary.ci_low:.3f} to "
        f"{primary.ci_high:.3f}; two-sided Wald p = **{primary.p_value:.4f}**), an odds ratio of "
        f"**{primary.odds_ratio:.2f}** ({primary.or_ci_low:.2f} to {primary.or_ci_high:.2f}). n = {primary.n}. "
        f"TOST against ± {sesoi:g} log-odds: p = **{primary.equivalence_p:.4f}** "
        f"({'negligible effect shown' if primary.equivalence_p < alpha else 'equivalence not shown'})."
    )


def predicted_top(pred: pd.DataFrame, term_short: str, top_stage: int) -> pd.DataFrame:
    """The average predicted probability of stage ≥ ``top_stage`` at each level of the term (from
    ``term_effect_report.predicted_by_level``)."""
    return (
        pred[pred["stage"] >= top_stage]
        .groupby(term_short, sort=False)["probability"]
        .sum()
        .rename(f"P(stage ≥ {top_stage})")
        .reset_index()
    )


def nca_text(ce, term_short: str) -> str:
    """The NCA effect size and permutation p of the term, and how to read a small one."""
    return (
        f"NCA effect size d = **{ce.effect_size:.3f}** ({effect_size_label(ce.effect_size)}), permutation p = "
        f"**{ce.p_value:.4f}**. A small d means municipalities at every level of {term_short} reach the higher "
        "stages: it may help on average without being a prerequisite."
    )


def primary_record(primary, term: str, controls, reference: str) -> dict:
    """The ledger's ``primary``: the method in words, the coefficient, its interval and the two-sided Wald p."""
    return {
        "method": f"weighted proportional-odds model, coefficient of {term}, HC0 two-sided Wald test "
        f"(controls: {', '.join(controls)}; county fixed effects, reference county {reference})",
        "estimate": primary.estimate,
        "ci_low": primary.ci_low,
        "ci_high": primary.ci_high,
        "p_value": primary.p_value,
    }


def ame_record(primary, top_stage: int) -> dict:
    """What the evidence file records of the average marginal effect on P(stage ≥ ``top_stage``)."""
    return {
        "cut": top_stage,
        "estimate": primary.ame,
        "ci_low": primary.ame_ci_low,
        "ci_high": primary.ame_ci_high,
        "p_value": primary.ame_p_value,
    }


def nca_record(ce, permutations: int) -> dict:
    """What the evidence file records of the NCA of the term."""
    return {
        "ceiling": "ce_fdh",
        "effect_size": ce.effect_size,
        "effect_size_label": effect_size_label(ce.effect_size),
        "p_value": ce.p_value,
        "permutations": permutations,
    }


def figure_words(name: str, term_short: str) -> dict[str, str]:
    """The alt text and caption of the chapter's figure ``name`` (``stage_by_term``, ``predicted_stages``,
    ``robustness``), for ``ctx.figure(fig, name, **figure_words(name, term_short))``."""
    words = {
        "stage_by_term": (
            f"Stacked horizontal bars: for each level of {term_short}, the weighted share of municipalities at each maturity stage 0 to 5",
            f"Weighted distribution of the maturity ladder at each level of {term_short} (unadjusted).",
        ),
        "predicted_stages": (
            f"Grouped bars: average predicted probability of each maturity stage, one bar per level of {term_short}",
            f"Predictions of the weighted model with {term_short} set to each level, other covariates as observed.",
        ),
        "robustness": (
            f"Dot plot with confidence intervals of the coefficient of {term_short} for each ordinal specification, with the band of negligible effects shaded",
            "Estimates with 95 % confidence intervals (ordinal models; the linear CR2 row is on another scale and "
            "only in the table); the shaded band is the pre-specified range of negligible effects.",
        ),
    }
    alt, caption = words[name]
    return {"alt": alt, "caption": caption}


def effect_records(primary, *, top_stage: int, sesoi: float, ce, permutations: int) -> dict:
    """What the evidence file records beside the ledger's inputs, in this order: the odds ratio, the average marginal
    effect, the equivalence test and the NCA of the term."""
    return {
        "odds_ratio": {"estimate": primary.odds_ratio, "ci_low": primary.or_ci_low, "ci_high": primary.or_ci_high},
        "average_marginal_effect": ame_record(primary, top_stage),
        "equivalence": {"sesoi_log_odds": sesoi, "p_value": primary.equivalence_p},
        "nca": nca_record(ce, permutations),
    }
