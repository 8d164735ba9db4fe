"""What each number of the stage chapter's tables counts, for the disclosure engine (``Context.table(cells=...)``).

The stage distribution, its unweighted shares and cumulative column, the robustness table's n and unweighted
share at or above the "started" stage, and the county authorities' stages are linked: the issue-29 attack took
the robustness n and the visible stages to recompute the hidden top stage. Declared together they are suppressed
together in the chapter, and with the county chapter's stage table by the build's audit.
"""

from __future__ import annotations

import pandas as pd

from vsr_analysis.claims.group_release import unit_ids

#: the cumulative column gives a hidden row back by subtraction from its neighbour: hidden whole when any row is
CUMULATIVE = "share at or above (weighted)"


def distribution_cells(table: pd.DataFrame, answered: pd.DataFrame) -> list[dict]:
    """``stage_distribution_table``: the count and the unweighted share at each stage among those who answered."""
    ids = unit_ids(answered)
    cells = []
    for row, stage in zip(table.index, table["stage"]):
        base = {"row": row, "item": "maturity_stage", "levels": [int(stage)], "members": ids}
        cells += [
            {**base, "column": "municipalities", "hide_columns": [CUMULATIVE]},
            {**base, "column": "share (unweighted)", "kind": "share", "hide_columns": [CUMULATIVE]},
        ]
    return cells


def robustness_cells(table: pd.DataFrame, answered: pd.DataFrame, started_stage: int, stages) -> list[dict]:
    """``started_variants``: every row's n (the municipalities that answered) and the unweighted row's share at or
    above the started stage (an unweighted share with its n is a count)."""
    ids = unit_ids(answered)
    cells = []
    for row, variant in zip(table.index, table["variant"]):
        cells.append({"row": row, "column": "n", "item": "maturity_stage", "levels": list(stages), "members": ids})
        if "unweighted" in variant and "stage" in variant:
            cells.append({"row": row, "column": f"share ≥ {started_stage}", "kind": "share",
                          "item": "maturity_stage", "levels": [s for s in stages if s >= started_stage],
                          "members": ids})  # fmt: skip
    return cells


def county_cells(table: pd.DataFrame, counties: pd.DataFrame) -> list[dict]:
    """``county_stage_table``: the county authorities at each stage (the county chapter publishes the same)."""
    ids = unit_ids(counties)
    return [
        {"row": row, "column": "county authorities", "item": "maturity_stage", "levels": [int(stage)], "members": ids}
        for row, stage in zip(table.index, table["stage"])
    ]
