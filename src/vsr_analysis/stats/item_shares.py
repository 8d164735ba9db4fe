"""Shares for a group of yes/no items (e.g. the barriers): overall, by group, and exploratory comparisons.

Municipalities are weighted (raking weights, Wilson intervals with Kish's effective n and the finite-population
correction); county authorities are shown beside them, unweighted, and never pooled with them.  Every function
takes ``label(item) -> str`` for the row names.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

import numpy as np
import pandas as pd

from vsr_analysis.stats.descriptives import compare_shares
from vsr_analysis.stats.multiplicity import bh
from vsr_analysis.stats.shares import share_by_group

__all__ = ["item_share_table", "item_shares_by_group", "item_comparisons"]


def item_share_table(
    resp: pd.DataFrame,
    counties: pd.DataFrame,
    items: Sequence[str],
    label: Callable[[str], str],
    population_size: int,
) -> pd.DataFrame:
    """One row per item: municipalities answering / naming it, weighted share with CI, unweighted share, and the
    county authorities' counts and share; sorted by the weighted share, largest first."""
    rows = []
    for b in items:
        m = share_by_group(resp, b, None, weight="weight", population_size=population_size).iloc[0]
        c = share_by_group(counties, b, None, weight=None).iloc[0] if len(counties) else None
        rows.append(
            {
                "barrier": label(b),
                "item": b,
                "municipalities answering": int(m["n"]),
                "municipalities naming it": int(m["n_yes"]),
                "share (weighted)": m["share"],
                "ci_low": m["ci_low"],
                "ci_high": m["ci_high"],
                "share (unweighted)": m["share_unweighted"],
                "county authorities answering": int(c["n"]) if c is not None else 0,
                "county authorities naming it": int(c["n_yes"]) if c is not None else 0,
                "share, regional authorities": c["share"] if c is not None else np.nan,
            }
        )
    return pd.DataFrame(rows).sort_values("share (weighted)", ascending=False).reset_index(drop=True)


def item_shares_by_group(
    resp: pd.DataFrame,
    frame: pd.DataFrame,
    items: Sequence[str],
    label: Callable[[str], str],
    group: str,
    *,
    order_by: str,
    population_size: int,
    total_label: str = "all municipalities",
) -> tuple[pd.DataFrame, list]:
    """Weighted share naming each item in each level of ``group`` (levels ordered by the smallest ``order_by`` in
    the frame; the finite-population correction uses the frame's count per level), plus the level order."""
    order = frame.groupby(group)[order_by].min().sort_values().index.tolist()
    group_population = frame[group].value_counts().to_dict()
    parts = []
    for b in items:
        t = share_by_group(
            resp,
            b,
            group,
            order=order,
            population_size=population_size,
            group_population=group_population,
            total_label=total_label,
        )
        t.insert(0, "barrier", label(b))
        parts.append(t)
    table = pd.concat(parts, ignore_index=True).rename(
        columns={"group": group.replace("_", " "), "n": "municipalities", "n_yes": "naming it"}
    )
    return table, order


def item_comparisons(
    resp: pd.DataFrame,
    counties: pd.DataFrame,
    items: Sequence[str],
    label: Callable[[str], str],
    *,
    split_column: str,
    split_at: float,
    fdr: float,
) -> pd.DataFrame:
    """Exploratory tests per item: municipalities below vs at-or-above ``split_at`` of ``split_column``
    (two-proportion z-test, weighted shares, Kish effective n) and county authorities vs municipalities
    (Fisher's exact test); Benjamini-Hochberg across all of them (``p_adjusted (BH)``, ``discovery``)."""
    small = resp[resp[split_column] < split_at]
    large = resp[resp[split_column] >= split_at]
    tests = []

    def row(b, comparison, g1, g2, r):
        return {
            "barrier": label(b),
            "comparison": comparison,
            "group 1": g1,
            "n 1": r["n_1"],
            "share 1": r["share_1"],
            "group 2": g2,
            "n 2": r["n_2"],
            "share 2": r["share_2"],
            "difference": r["difference"],
            "test": r["method"],
            "p_value": r["p_value"],
        }

    for b in items:
        r = compare_shares(small[b], large[b], small["weight"], large["weight"], method="z")
        comparison = f"below vs above the median ({split_at:,.0f} inhabitants)"
        tests.append(row(b, comparison, "below median", "above median", r))
        if len(counties):
            r = compare_shares(counties[b], resp[b], None, resp["weight"], method="fisher")
            tests.append(row(b, "county authorities vs municipalities", "county authorities", "municipalities", r))
    comparisons = pd.DataFrame(tests)
    adj = bh(comparisons["p_value"], alpha=fdr)
    comparisons["p_adjusted (BH)"] = adj["p_adjusted"].to_numpy()
    comparisons["discovery"] = np.where(adj["reject"].to_numpy(), "yes", "no")
    return comparisons
