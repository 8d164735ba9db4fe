"""The share chapter's words and records (``notebooks/share_claim``): the claim's box, the primary test in a
sentence and as the ledger's ``primary``, and the ladder checks' tables with their captions.

The analysis is :func:`vsr_analysis.claims.share_evidence.share_claim_analysis` (shared with ``vsr simulate``);
these functions only say and record what it found, so every share claim's chapter says it the same way.
"""

from __future__ import annotations

from vsr_analysis.claims.share_evidence import interval_words
from vsr_analysis.claims.share_text import design_effect_text

#: The ladder checks' tables (``share_evidence.ladder_tables`` key -> published name, caption, count columns).
LADDER_TABLES = {
    "guttman": ("guttman", "Guttman scalogram statistics of the five component items", ["n"]),
    "rung_order": (
        "rung_order",
        "Is each rung reached through the one below? Share of municipalities with a rung that also have the previous one",
        ["municipalities with the higher rung"],
    ),
    "consistency": (
        "ladder_consistency",
        "Do the component items match the self-classified stage? (weighted shares)",
        ["municipalities"],
    ),
}


def claim_box(claim: str, entry: dict, threshold: float, alpha: float) -> str:
    """The MyST box that opens a share claim's chapter: finding, source, hypothesis, primary test and rule."""
    return (
        f":::{{admonition}} Claim {claim}: {entry['finding']}\n:class: important\n"
        f"**Source.** {entry['source']}\n\n"
        f"**Hypothesis.** {entry['hypothesis'].strip()}\n\n"
        f"**Primary test.** {entry['primary_test']}\n\n"
        f"**Decision rule.** `{entry['rule']}` with level {threshold:g}, α = {alpha:g} (Holm-adjusted in the ledger).\n:::"
    )


def outcome_words(item_label: str, min_stage: int | None, subset_item: str | None, subset_label: str | None):
    """(the outcome, the domain) in words: "at stage ≥ k" or the item's label; all municipalities or a subset."""
    outcome = f"at stage ≥ {min_stage}" if min_stage is not None else item_label
    domain = f"among the municipalities where {subset_label}" if subset_item else "among all municipalities"
    return outcome, domain


def primary_text(
    primary: dict, outcome: str, domain: str, threshold: float, entry: dict, propensity_method: str
) -> str:
    """The primary test in a sentence (or why there is no estimate: the rule then reads *inconclusive*)."""
    if primary["estimate"] is None:
        return f"**No estimate.** {primary['note'].capitalize()}. The decision rule reads this as *inconclusive*."
    return (
        f"Weighted share {outcome} {domain}: **{primary['estimate']:.3f}** (95 % CI "
        f"{primary['ci_low']:.3f} to {primary['ci_high']:.3f}); one-sided p (share > {threshold:g}) = "
        f"**{primary['p_value']:.3g}**; n = {primary['n']}, {design_effect_text(primary['n'], primary['n_eff'])}; "
        f"{interval_words(entry)}; response probabilities: {propensity_method}."
    )


def primary_record(primary: dict, outcome: str, domain: str, threshold: float, entry: dict) -> dict:
    """The ledger's ``primary`` of a share claim: the method in words, estimate, interval and one-sided p."""
    return {
        "method": f"one-sided test that the raked share {outcome} {domain} exceeds {threshold:g} "
        f"({interval_words(entry)}; Wilson interval at the design-effective n)",
        "estimate": primary["estimate"],
        "ci_low": primary["ci_low"],
        "ci_high": primary["ci_high"],
        "p_value": primary["p_value"],
    }


def guttman_text(summary: dict) -> str:
    """The ladder's reproducibility and scalability in its own order, and the share consistent with their stage."""
    lad = summary["ladder_order"]
    return (
        f"Reproducibility in the ladder's order: **CR = {lad['reproducibility']:.3f}** (scalability "
        f"CS = {lad['scalability']:.2f}); {summary['consistent_share']:.1%} of the municipalities "
        "hold exactly the items their stage implies."
    )
