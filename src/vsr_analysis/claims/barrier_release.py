"""What each number of the barrier chapter's tables counts, for the disclosure engine (``Context.table(cells=...)``).

The barrier chapter publishes the same barrier counts three times: the overall table (municipalities and county authorities), the
table by size band with its "all municipalities" rows, and the comparisons (a county share beside n); the
ranking's pairwise table repeats the municipal weighted shares beside the number answering. Declaring
the cells lets the engine suppress them together within the chapter, and the build's audit across chapters.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from vsr_analysis.claims.group_release import INTERVAL, unit_ids, weights_of
from vsr_analysis.claims.share_reporting import as_numbers  # noqa: F401 (re-exported for the barrier template)

MUNICIPAL_DERIVED = ["share (weighted)", "ci_low", "ci_high", "share (unweighted)"]
COUNTY_DERIVED = ["share, regional authorities"]
#: a comparison row's values that give its county share away (the difference, the tests, the discovery flag)
COMPARISON_DERIVED = ["share 1", "difference", "p_value", "p_adjusted (BH)", "discovery"]


def overall_cells(overall: pd.DataFrame, resp: pd.DataFrame, counties: pd.DataFrame) -> list[dict]:
    """``item_share_table``: municipal counts and weighted share, county counts and share, per barrier."""
    muni, cty, weights = unit_ids(resp), unit_ids(counties), weights_of(resp)
    cells = []
    for row, item in zip(overall.index, overall["item"]):
        base = {"row": row, "item": item}
        cells += [
            {**base, "column": "municipalities answering", "levels": [0, 1], "members": muni},
            {**base, "column": "municipalities naming it", "levels": [1], "members": muni,
             "dependents": MUNICIPAL_DERIVED},
        ]  # fmt: skip
        # The weighted share, at the engine's coarse precision (``sdc.WEIGHTED_SHARE_DIGITS``): to six digits it
        # gave back how many of each weighting class named the barrier.
        if pd.notna(pd.to_numeric(pd.Series([overall.at[row, "share (weighted)"]]), errors="coerce").iloc[0]):
            cells.append({**base, "column": "share (weighted)", "kind": "share", "levels": [1], "members": muni,
                          "weights": weights, "rounded_with": INTERVAL, "dependents": INTERVAL})  # fmt: skip
        if cty:
            cells += [
                {**base, "column": "county authorities answering", "levels": [0, 1], "members": cty},
                {**base, "column": "county authorities naming it", "levels": [1], "members": cty,
                 "dependents": COUNTY_DERIVED},
                {**base, "column": "share, regional authorities", "kind": "share", "levels": [1], "members": cty,
                 "dependents": COUNTY_DERIVED},
            ]  # fmt: skip
    return cells


def by_group_cells(by_group: pd.DataFrame, resp: pd.DataFrame, items: list[str], label, group: str,
                   total_label: str = "all municipalities") -> list[dict]:  # fmt: skip
    """``item_shares_by_group``: per barrier and level of ``group`` (and the total rows), the respondents and the
    number naming it; the shares and intervals of a row go with its count."""
    column = group.replace("_", " ")
    by_label = {label(b): b for b in items}
    cells = []
    for row, barrier, level in zip(by_group.index, by_group["barrier"], by_group[column]):
        units = resp if level == total_label else resp[resp[group].astype(str) == str(level)]
        item, ids = by_label[barrier], unit_ids(units)
        cells += [
            {"row": row, "column": "municipalities", "item": item, "levels": [0, 1], "members": ids},
            {"row": row, "column": "naming it", "item": item, "levels": [1], "members": ids},
        ]
        if pd.notna(pd.to_numeric(pd.Series([by_group.at[row, "share"]]), errors="coerce").iloc[0]):
            cells.append({"row": row, "column": "share", "kind": "share", "item": item, "levels": [1], "members": ids,
                          "weights": weights_of(units), "rounded_with": INTERVAL, "dependents": INTERVAL})  # fmt: skip
    return cells


def comparison_cells(comparisons: pd.DataFrame, counties: pd.DataFrame, items: list[str], label) -> list[dict]:
    """``item_comparisons``: the county rows' n and share (the municipal rows are weighted shares of large groups)."""
    cty = unit_ids(counties)
    by_label = {label(b): b for b in items}
    cells = []
    for row, barrier, group in zip(comparisons.index, comparisons["barrier"], comparisons["group 1"]):
        if group != "county authorities":
            continue
        item, derived = by_label[barrier], COMPARISON_DERIVED
        cells += [
            {"row": row, "column": "n 1", "item": item, "levels": [0, 1], "members": cty, "dependents": derived},
            {"row": row, "column": "share 1", "kind": "share", "item": item, "levels": [1], "members": cty,
             "dependents": derived},
        ]  # fmt: skip
    return cells


#: a ranking row's values that two weighted shares give away (the difference, its interval, the tests)
RANKING_DERIVED = ["difference", "ci_low", "ci_high", "p_value", "p_opposite"]


def ranking_cells(table: pd.DataFrame, resp: pd.DataFrame) -> list[dict]:
    """``ranking_evidence``'s pairwise table: per pair the municipalities answering and the two weighted shares
    (items in the ``named`` and ``other`` columns); the difference, its interval and p-values go with the shares."""
    ids, weights = unit_ids(resp), weights_of(resp)
    cells = []
    for row, named, other in zip(table.index, table["named"], table["other"]):
        cells.append({"row": row, "column": "n", "item": named, "levels": [0, 1], "members": ids})
        for column, item in (("share named", named), ("share other", other)):
            if pd.notna(pd.to_numeric(pd.Series([table.at[row, column]]), errors="coerce").iloc[0]):
                cells.append({"row": row, "column": column, "item": item, "kind": "share", "levels": [1],
                              "members": ids, "weights": weights, "dependents": RANKING_DERIVED})  # fmt: skip
    return cells


#: a ranking row's values that depend on the two items' joint table (the paired variance), not only on their shares
RANKING_JOINT = ["ci_low", "ci_high", "p_value", "p_opposite"]


def joint_cells_small(data: pd.DataFrame, items, minimum: int = 3) -> bool:
    """Does a cell of the items' joint table (both, only one, only the other, neither) hold 1 to ``minimum`` - 1
    units among those answering all of them?"""
    x = np.column_stack([pd.to_numeric(data[i], errors="coerce").to_numpy(dtype=float) for i in items])
    x = x[np.isfinite(x).all(axis=1)]
    if not len(x):
        return False
    _, counts = np.unique(x, axis=0, return_counts=True)
    return bool(((counts > 0) & (counts < minimum)).any())


def hide_joint_values(table: pd.DataFrame, resp: pd.DataFrame, confidential: bool) -> pd.DataFrame:
    """On a confidential file, the ranking rows whose two items' joint table has a cell of 1 or 2 units lose their
    interval and p-values (``..``): the paired variance behind them is a function of that joint table, which the
    disclosure engine, reasoning item by item, cannot see (the rule the policy-coherence chapter's former "either" row had).  The shares and
    their difference depend on each item alone and stay."""
    if not confidential:
        return table
    out = table.copy()
    small = [joint_cells_small(resp, [a, b]) for a, b in zip(out["named"], out["other"])]
    out[RANKING_JOINT] = out[RANKING_JOINT].astype(object)
    out.loc[small, RANKING_JOINT] = ".."
    return out
