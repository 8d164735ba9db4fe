"""The small-cell rule of statistical disclosure control, shared by every table a confidential run publishes.

No published cell may count fewer than ``MIN_CELL`` = 3 municipalities, and suppression is *secondary* too:
once a cell is hidden, enough other cells in its row are hidden that it cannot be recomputed from a total.
It lives in ``stats/`` because analyses that build their own tables (the county chapter, the existence chapter's binned counts,
the share tables) apply it before anything reaches a page; ``build/disclosure.py`` adds the leak scan and the
guards on figures and tables, and re-exports this rule.
"""

from __future__ import annotations

import pandas as pd

MIN_CELL = 3
SUPPRESSED = "<3"


def suppress_small_cells(
    table: pd.DataFrame,
    count_columns: list[str],
    min_cell: int = MIN_CELL,
    dependent_columns: list[str] | str | None = "numeric",
    label_columns: list[str] | None = None,
) -> pd.DataFrame:
    """Hide counts in ``count_columns`` below ``min_cell``, with secondary suppression within each row.

    Primary suppression: any count 1 .. min_cell-1 becomes ``"<3"`` (a zero is not disclosive and stays).
    Secondary suppression: when a row has exactly one suppressed cell among several count columns, the
    next-smallest count in that row is suppressed too, so the hidden value cannot be derived from a row total.
    Columns are treated the same way: a column with exactly one suppressed cell gets its next-smallest cell
    suppressed.  Values *derived* from a hidden count (a share, its interval) would give it away again, so in
    every row with a suppressed count the ``dependent_columns`` are hidden too — by default every other numeric
    column that is not a label.  The mark goes into value cells only: ``label_columns`` (by default the columns
    left of the first count column, e.g. a stage number or a threshold that names the row) are never overwritten.
    Returns a new table with the count and dependent columns as text.
    """
    out = table.copy()
    missing = [c for c in count_columns if c not in out.columns]
    if missing:
        raise KeyError(f"count columns not in table: {missing}")
    values = out[count_columns].apply(pd.to_numeric, errors="coerce")
    hide = (values > 0) & (values < min_cell)

    def secondary(mask: pd.DataFrame, axis: int) -> pd.DataFrame:
        mask = mask.copy()
        lines = mask.index if axis == 1 else mask.columns
        for line in lines:
            sel = mask.loc[line] if axis == 1 else mask[line]
            vals = values.loc[line] if axis == 1 else values[line]
            if sel.sum() == 1 and len(sel) > 1:
                candidates = vals[~sel & vals.notna() & (vals > 0)]
                if len(candidates):
                    other = candidates.idxmin()
                    if axis == 1:
                        mask.loc[line, other] = True
                    else:
                        mask.loc[other, line] = True
        return mask

    for _ in range(3):  # alternate rows and columns until stable (small tables: a few passes suffice)
        before = hide.to_numpy().sum()
        hide = secondary(hide, axis=1) if len(count_columns) > 1 else hide
        hide = secondary(hide, axis=0) if len(out) > 1 else hide
        if hide.to_numpy().sum() == before:
            break
    row_hidden = hide.any(axis=1)
    if label_columns is None:
        first = min(list(out.columns).index(c) for c in count_columns) if count_columns else 0
        label_columns = list(out.columns[:first])
    labels = set(label_columns)
    if labels & set(count_columns):
        raise ValueError(f"a column cannot be both a label and a count: {sorted(labels & set(count_columns))}")
    if dependent_columns == "numeric":
        dependent = [
            c
            for c in out.columns
            if c not in count_columns and c not in labels and pd.api.types.is_numeric_dtype(out[c])
        ]
    else:
        dependent = [c for c in (dependent_columns or []) if c not in count_columns and c not in labels]
    for col in dependent:
        if row_hidden.any():
            out[col] = [SUPPRESSED if h else v for v, h in zip(out[col].astype(object), row_hidden)]
    for col in count_columns:
        out[col] = [
            SUPPRESSED if h else ("" if pd.isna(v) else str(int(v)) if float(v).is_integer() else str(v))
            for v, h in zip(values[col], hide[col])
        ]
    return out
