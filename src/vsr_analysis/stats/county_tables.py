"""The county authorities (``unit_type = county``): counts and exact intervals, never a model, never pooled.

There are 11 county authorities.  Every share is reported as a count k of the n that answered with a
Clopper–Pearson interval (:mod:`vsr_analysis.stats.exact`); the municipal figure beside it is the raked municipal
share, shown for comparison only.  Fisher's exact test on the unweighted counts is an exploratory comparison.

On a confidential file every count cell follows the disclosure rule (:mod:`vsr_analysis.build.disclosure`): the
tables carry the complement count ("without it") as a count column too, so that neither k nor n - k below 3 is
shown, and :func:`hidden_cells` says what could not be shown.  Nested counts (stage >= 1, >= 3, ...) are never
published next to each other, because their differences would give away the hidden cells: the maturity ladder is
shown as one distribution (:func:`stage_counts`).
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd

from vsr_analysis.stats.descriptives import as_float, compare_shares
from vsr_analysis.stats.exact import clopper_pearson, exact_share

ITEM_COUNT_COLUMNS = ["county authorities answering", "county authorities with it", "county authorities without it"]
STAGE_COUNT_COLUMNS = ["county authorities"]


def item_counts(
    counties: pd.DataFrame,
    items: Sequence[str],
    labels: dict[str, str],
    *,
    municipalities: pd.DataFrame | None = None,
    weight: str = "weight",
) -> pd.DataFrame:
    """One row per 0/1 item: counts with and without it, the share and its Clopper–Pearson interval.

    With ``municipalities`` (respondents with a ``weight`` column), the raked municipal share and Fisher's exact
    p-value (counties against municipalities, unweighted counts) are added.
    """
    rows = []
    for item in items:
        c = exact_share(as_float(counties[item]) if item in counties else np.array([]))
        row = {
            "item": labels.get(item, item),
            "county authorities answering": c["n"],
            "county authorities with it": c["k"],
            "county authorities without it": c["n"] - c["k"],
            "county share": c["share"],
            "ci_low (exact)": c["ci_low"],
            "ci_high (exact)": c["ci_high"],
        }
        if municipalities is not None:
            r = compare_shares(counties[item], municipalities[item], None, municipalities[weight], method="fisher")
            row["municipal share (weighted)"] = r["share_2"]
            row["Fisher exact p (exploratory)"] = r["p_value"]
        rows.append(row)
    return pd.DataFrame(rows)


#: How a published table marks a suppressed cell: "<3" (the per-table rule) or ".." (the disclosure engine).
SUPPRESSION_MARKS = frozenset({"<3", ".."})


def item_cells(table: pd.DataFrame, items: Sequence[str], counties: pd.DataFrame) -> list[dict]:
    """What each count of an ``item_counts`` table counts, for the disclosure engine (``Context.table(cells=)``):
    the county authorities answering (0 or 1), with it (1), without it (0), per item (rows in ``items`` order)."""
    members = counties["knr"].astype(str).tolist() if len(counties) else []
    cells = []
    for row, item in zip(table.index, items):
        for column, levels in zip(ITEM_COUNT_COLUMNS, ([0, 1], [1], [0])):
            cells.append({"row": row, "column": column, "item": item, "levels": levels, "members": members})
    return cells


def stage_cells(table: pd.DataFrame, counties: pd.DataFrame) -> list[dict]:
    """What each count of a ``stage_counts`` table counts: the county authorities at each stage."""
    members = counties["knr"].astype(str).tolist() if len(counties) else []
    return [
        {"row": row, "column": "county authorities", "item": "maturity_stage", "levels": [int(stage)],
         "members": members}
        for row, stage in zip(table.index, table["stage"])
    ]  # fmt: skip


def stage_counts(counties: pd.DataFrame, stage_labels: dict[int, str]) -> pd.DataFrame:
    """The county authorities' distribution over the maturity ladder: count and share at each stage (exact CI)."""
    stage = as_float(counties["maturity_stage"]) if len(counties) else np.array([])
    stage = stage[np.isfinite(stage)]
    n = int(stage.size)
    k = np.array([int((stage == s).sum()) for s in stage_labels])
    iv = clopper_pearson(k, np.full(len(k), n))
    return pd.DataFrame(
        {
            "stage": [str(k) for k in stage_labels],  # text: a label, not a value derived from a count
            "stage name": list(stage_labels.values()),
            "county authorities": k,
            "share": iv.estimate,
            "ci_low (exact)": iv.low,
            "ci_high (exact)": iv.high,
        }
    )


def hidden_cells(shown: pd.DataFrame, count_columns: Sequence[str], label_column: str) -> dict:
    """What a published table could not show: number of suppressed count cells and the rows they are in."""
    mask = shown[list(count_columns)].astype(str).isin(SUPPRESSION_MARKS)
    rows = shown.loc[mask.any(axis=1), label_column].astype(str).tolist()
    return {"hidden": int(mask.to_numpy().sum()), "cells": int(mask.size), "rows": rows}


def hidden_note(hidden: dict, what: str) -> str:
    """A sentence saying what the table could not show (empty when nothing was hidden)."""
    if not hidden["hidden"]:
        return ""
    return (
        f"**Not shown:** {hidden['hidden']} of {hidden['cells']} count cells of the {what} are suppressed by the "
        f"disclosure rule (a count of 1 or 2, or a cell from which one could be worked out), and with them the "
        f"shares and intervals of the rows concerned: {', '.join(hidden['rows'])}. With only 11 county authorities "
        "this is expected; the real file's owner can see these cells, a published page cannot."
    )


def describe_count(row: pd.Series, what: str) -> str:
    """'k of n county authorities ... (exact 95 % CI a–b)' from a *published* row, or why it is not shown."""
    k, n = row["county authorities with it"], row["county authorities answering"]
    if {str(k), str(n), str(row.get("county share"))} & SUPPRESSION_MARKS:
        return f"the number of county authorities {what} is not shown (a small cell under the disclosure rule)"
    k, n = int(float(k)), int(float(n))
    if n == 0:
        return f"no county authority answered, so nothing can be said about how many {what}"
    lo, hi = float(row["ci_low (exact)"]), float(row["ci_high (exact)"])
    return f"{k} of {n} county authorities {what} (exact 95 % CI {lo:.0%} to {hi:.0%})"
