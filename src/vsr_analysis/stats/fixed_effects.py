"""Which level of a fixed effect is the reference, chosen from the register before any answer is read.

The county fixed effects need a reference county. Sorting the codes would make Oslo (code 03) the reference:
a county of one municipality, whose single row is separated by construction and dropped from every ordinal fit,
so that the reference silently becomes whichever county sorts next. The reference is instead the county with
the most municipalities in the frame (Viken in 2020, 51 of 356), fixed from the register alone.

:func:`fit_ordinal` takes the first sorted level as the reference, so :func:`with_reference` recodes the column
with a sortable prefix (``"0:30"`` for the reference, ``"1:<code>"`` for the others); the recoded column
identifies the same groups, so only the reference (and the dummies' names) change.
"""

from __future__ import annotations

import pandas as pd


def largest_level(frame: pd.DataFrame, column: str) -> str:
    """The level of ``column`` with the most rows in ``frame`` (ties: the smallest code)."""
    counts = frame[column].astype(str).value_counts()
    top = counts[counts == counts.max()].index
    return str(sorted(top)[0])


def with_reference(data: pd.DataFrame, column: str, reference: str) -> pd.DataFrame:
    """A copy of ``data`` whose ``column`` sorts ``reference`` first (missing values stay missing)."""
    values = data[column]
    if str(reference) not in set(values.dropna().astype(str)):
        raise ValueError(f"reference level {reference!r} of {column!r} does not occur in the data")
    recoded = values.astype(str).map(lambda v: f"0:{v}" if v == str(reference) else f"1:{v}")
    return data.assign(**{column: recoded.where(values.notna())})
