"""The barrier-ranking chapter's tables and sentences, assembled from the analyses' tables and from what the chapter
released.

The chapter calls these between ``ctx.table`` and ``ctx.released``: every number written here comes from a
released table (".." read as missing by ``barrier_release.as_numbers``), so nothing the disclosure rule hid is told.
"""

from __future__ import annotations

from collections.abc import Callable

import pandas as pd

from vsr_analysis.claims.robustness_text import disagreement_sentences

#: The count columns of the table of shares (``stats.item_shares.item_share_table``).
OVERALL_COUNTS = [
    "municipalities answering",
    "municipalities naming it",
    "county authorities answering",
    "county authorities naming it",
]


def ranking_rows(pairs: pd.DataFrame, short: Callable[[str], str]) -> pd.DataFrame:
    """The pairwise table of ``ranking_evidence`` with the two barriers named in words first (``short`` gives an
    item's label) and the ``pair`` key dropped."""
    pairs = pairs.assign(**{"named barrier": pairs["named"].map(short), "other barrier": pairs["other"].map(short)})
    return pairs[["named barrier", "other barrier", *pairs.columns[:-2]]].drop(columns="pair")


def weakest_comparison_text(shown_pairs: pd.DataFrame, n_pairs: int, claim: str, table_ref: str) -> str:
    """The sentence on the weakest released comparison (largest one-sided p), or that none could be shown."""
    has_p = shown_pairs["p_value"].notna().any()
    worst = shown_pairs.loc[shown_pairs["p_value"].idxmax()] if has_p else None
    return f"{table_ref} shows the {n_pairs} comparisons. " + (
        f"The weakest is **{worst['named barrier']}** against **{worst['other barrier']}**: difference "
        f"{worst['difference']:.3f} (95 % CI {worst['ci_low']:.3f} to {worst['ci_high']:.3f}), one-sided p = "
        f"**{worst['p_value']:.3g}**, {claim}'s p-value before the Holm adjustment across the claims."
        if worst is not None
        else "No comparison could be shown."
    )


def heat_table(by_band: pd.DataFrame, band_order: list[str], shown: pd.DataFrame, counties: bool) -> pd.DataFrame:
    """Barrier x size band shares (and all municipalities, and the county authorities when ``counties``), rows in
    the order of the released table of shares ``shown``."""
    heat = by_band.pivot(index="barrier", columns="size band", values="share")[band_order + ["all municipalities"]]
    if counties:
        heat["county authorities"] = shown.set_index("barrier")["share, regional authorities"]
    return heat.loc[shown["barrier"]]


def discoveries_text(found: pd.DataFrame, n_tests: int, fdr: float) -> str:
    """How many of ``n_tests`` exploratory comparisons are discoveries, each named with its two shares
    (``found``: the released rows with ``discovery == "yes"``)."""
    listed = "; ".join(
        f"{r['barrier']} ({r['comparison']}: {r['share 1']:.0%} vs {r['share 2']:.0%})" for _, r in found.iterrows()
    )
    return (
        f"**{len(found)}** of {n_tests} comparisons are discoveries at a false discovery rate of {fdr:g}"
        + (": " + listed + "." if len(found) else ".")
        + " These are exploratory and do not enter any verdict."
    )


def robustness_text(robust: pd.DataFrame, alpha: float) -> str:
    """The sentences on the variants of the ranking test whose decision differs from the primary one (the
    robustness table of ``ranking_evidence.ranking_robustness``)."""
    return " ".join(
        disagreement_sentences(
            robust, label="variant", estimate="smallest difference", alpha=alpha, p_value="largest p"
        )
    )


def exploratory_summary(n_tests: int, found: pd.DataFrame, fdr: float) -> dict:
    """What the evidence file records of the exploratory comparisons: method, number of tests and discoveries."""
    return {"method": f"Benjamini-Hochberg at FDR {fdr:g}", "tests": n_tests, "discoveries": int(len(found))}
