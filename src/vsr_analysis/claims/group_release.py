"""What each number of a by-group table counts, for the disclosure engine (``Context.table(cells=...)``).

Two shapes recur across the chapters: a 0/1 outcome's share by group (by size band and centrality class,
by stage, the state-level barriers) and the distribution of the maturity stage by the levels of a term.
Each row publishes a group's size, counts and a *weighted* share; declared here, the engine suppresses them together
with the chapter's other tables, publishes the weighted shares at its coarse precision (with their intervals), and
the build's audit takes every one of them as a constraint on the respondents' answers.

A group is a set of unit ids (``members``); the engine assumes the attacker knows who is in it. For a domain claim
(a share among the municipalities with some answer) that is the safe side: the domain's membership is itself an
answer, and taking it as known gives the attacker more than the tables do.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import pandas as pd

#: the interval columns of a share, published at the share's precision (or hidden with it)
INTERVAL = ["ci_low", "ci_high"]


def unit_ids(units: pd.DataFrame) -> list[str]:
    return units["knr"].astype(str).tolist() if len(units) else []


def weights_of(units: pd.DataFrame) -> dict[str, float]:
    return dict(zip(unit_ids(units), units["weight"].astype(float))) if len(units) else {}


def binary_share_cells(
    table: pd.DataFrame,
    label_column: str,
    groups: Mapping[object, pd.DataFrame],
    item: str,
    levels: Sequence,
    answered_levels: Sequence,
    *,
    count: str = "municipalities",
    yes: str | None = "of them yes",
    share: str = "share",
    unweighted: str | None = "share_unweighted",
    interval: Sequence[str] = tuple(INTERVAL),
) -> list[dict]:
    """A ``share_by_group`` table: per row (its ``label_column`` value a key of ``groups``, the units answering),
    the units answering, those with ``item`` in ``levels``, the weighted share and the unweighted share."""
    cells = []
    present = [c for c in interval if c in table.columns]
    for row, label in zip(table.index, table[label_column]):
        units = groups.get(label)
        if units is None:
            continue
        ids = unit_ids(units)
        base = {"row": row, "item": item, "members": ids}
        cells.append({**base, "column": count, "levels": list(answered_levels)})
        # the row's shares and interval are derived from its count of "yes": hidden with it (the weighted share
        # times the group's weight would give a hidden count back within a unit or two)
        derived = [c for c in (share, unweighted, *present) if c is not None and c in table.columns]
        if yes is not None and yes in table.columns:
            cells.append({**base, "column": yes, "levels": list(levels), "dependents": derived})
        if pd.notna(pd.to_numeric(pd.Series([table.at[row, share]]), errors="coerce").iloc[0]):
            cells.append({**base, "column": share, "kind": "share", "levels": list(levels),
                          "weights": weights_of(units), "rounded_with": present})  # fmt: skip
        if unweighted is not None and unweighted in table.columns:
            cells.append({**base, "column": unweighted, "kind": "share", "levels": list(levels)})
    return cells


def distribution_cells(
    table: pd.DataFrame,
    label_column: str,
    groups: Mapping[object, pd.DataFrame],
    item: str,
    stages: Sequence[int],
    top_stage: int | None = None,
    *,
    count: str = "municipalities",
) -> list[dict]:
    """A ``stage_by_level`` table: per row the units and the weighted percentage at each stage (and at or above
    ``top_stage``), each a weighted share in percent."""
    cells = []
    for row, label in zip(table.index, table[label_column]):
        units = groups.get(label)
        if units is None:
            continue
        ids, weights = unit_ids(units), weights_of(units)
        base = {"row": row, "item": item, "members": ids}
        cells.append({**base, "column": count, "levels": list(stages)})
        columns = [(f"stage {s} (%)", [s]) for s in stages]
        if top_stage is not None:
            columns.append((f"stage ≥ {top_stage} (%)", [s for s in stages if s >= top_stage]))
        for column, levels in columns:
            if column in table.columns:
                cells.append({**base, "column": column, "kind": "share", "levels": levels, "weights": weights,
                              "scale": 100})  # fmt: skip
    return cells


def item_share_cells(
    table: pd.DataFrame,
    units: pd.DataFrame,
    *,
    answering: str,
    with_it: str,
    share: str = "share (weighted)",
    item_column: str = "item",
    answered_levels: Sequence = (0, 1),
    levels: Sequence = (1,),
    items: Sequence[str] | None = None,
) -> list[dict]:
    """A table with one row per 0/1 item over the same units (the progress rungs, the barrier items): each row's units
    answering, those with the item, and the weighted share. Rows whose item is not a survey item (a derived
    "either" row) are left to the caller; ``items`` limits the rows declared."""
    ids, weights = unit_ids(units), weights_of(units)
    present = [c for c in INTERVAL if c in table.columns]
    cells = []
    for row, item in zip(table.index, table[item_column]):
        if items is not None and item not in items:
            continue
        base = {"row": row, "item": item, "members": ids}
        cells += [
            {**base, "column": answering, "levels": list(answered_levels)},
            {**base, "column": with_it, "levels": list(levels)},
        ]
        if pd.notna(pd.to_numeric(pd.Series([table.at[row, share]]), errors="coerce").iloc[0]):
            cells.append({**base, "column": share, "kind": "share", "levels": list(levels), "weights": weights,
                          "rounded_with": present})  # fmt: skip
    return cells
