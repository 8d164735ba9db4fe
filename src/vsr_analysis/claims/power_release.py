"""What the power-design chapter's numbers about the respondents' answers count, for the disclosure engine.

The chapter is about the design, but two of its tables carry answers: the standard deviation of a 0/1 survey item
among a model's units (``sqrt(p (1 - p))``: a file in which every municipality is a network member shows 0) and
the sizes of the two groups a survey item splits the respondents into (the minimum detectable differences). Declared
as cells, they are suppressed with the chapter's other numbers and audited with the whole build.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from vsr_analysis.claims.group_release import unit_ids
from vsr_analysis.data.codebook import load_codebook
from vsr_analysis.stats.power_report import ORDINAL

SD_COLUMN = "SD among the units in the test"


def _binary_items() -> set[str]:
    return {i.name for i in load_codebook() if i.codes and set(i.valid_codes) == {0, 1}}


def coefficient_cells(table: pd.DataFrame, s) -> list[dict]:
    """``coefficient_table``: the SD of a 0/1 survey item among the units of a claim's model, as the share of
    them answering 1 (the SD gives that share or its complement back); the row's per-unit values go with it."""
    binary = _binary_items()
    dependents = [c for c in table.columns if c not in ("claim", "characteristic", SD_COLUMN)]
    terms = [(c, t) for c, o in ORDINAL.items() for t in o["terms"]]
    cells = []
    for row, (claim, term) in zip(table.index, terms):
        if term not in binary or claim not in s.designs:
            continue
        units = s.designs[claim].rows
        x = pd.to_numeric(units[term], errors="coerce").to_numpy(dtype=float)
        cells.append({"row": row, "column": SD_COLUMN, "kind": "share", "item": term, "levels": [1],
                      "members": unit_ids(units), "value": float(np.mean(x == 1)) if len(x) else float("nan"),
                      "dependents": dependents})  # fmt: skip
    return cells


def mdes_cells(table: pd.DataFrame, resp: pd.DataFrame) -> list[dict]:
    """``mdes_table``: the two group sizes of a split by a 0/1 survey item (network membership); the minimum
    detectable differences of the row are derived from them."""
    binary = _binary_items()
    derived = [c for c in table.columns if str(c).startswith("MDES")]
    cells = []
    for row, label in zip(table.index, table["comparison"]):
        item = "network_member" if str(label).startswith("network members") else None
        if item not in binary:
            continue
        base = {"row": row, "item": item, "members": unit_ids(resp), "dependents": derived}
        cells += [{**base, "column": "group 1", "levels": [1]}, {**base, "column": "group 2", "levels": [0]}]
    return cells
