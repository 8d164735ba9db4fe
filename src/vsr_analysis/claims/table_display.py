"""How a result table reads on a page: headers in words, yes/no, p-values and large numbers written out.

The CSV a reader downloads keeps the machine-readable column names and full-precision values (it is data to be
reused); only the HTML table of a chapter goes through :func:`display_frame`:

* column names in ``snake_case`` become words (``ci_low`` → "95 % CI, lower", ``p_value`` → "p",
  ``odds_ratio`` → "odds ratio"), with a few names spelled out in :data:`HEADER_WORDS`;
* ``True``/``False`` become "yes"/"no"; missing values (``pd.NA``, None) NaN, shown as "–"; infinities "∞";
* p-value columns read "< 0.001" below that level and have three decimals above it;
* whole numbers of 1,000 or more get thousands separators; other numbers ``digits`` decimals.
"""

from __future__ import annotations

import math
import re

import pandas as pd

__all__ = ["HEADER_WORDS", "header_words", "display_frame", "format_p"]

#: Column names that read better spelled out than with the underscores replaced.
HEADER_WORDS = {
    "ci_low": "95 % CI, lower",
    "ci_high": "95 % CI, upper",
    "p_value": "p",
    "p_values": "p",
    "p_adjusted": "p (adjusted)",
    "p_value_adjusted": "p (adjusted)",
    "p_one_sided": "p (one-sided)",
    "se": "SE",
    "n_eff": "effective n",
    "n_yes": "n answering yes",
    "df": "df",
    "chi2": "χ²",
    "effect_size_d": "effect size d",
    "or_ci_low": "odds ratio, 95 % CI lower",
    "or_ci_high": "odds ratio, 95 % CI upper",
    "mc_se": "Monte Carlo SE",
}

_P_COLUMN = re.compile(r"^(p|p[ _].*|.*[ _]p|p_value.*|.*p-value.*)$", re.IGNORECASE)


def header_words(name: object) -> str:
    """A column header in words: :data:`HEADER_WORDS` for the name (or its part before a bracket), else the
    name with underscores replaced by spaces."""
    text = str(name)
    if text in HEADER_WORDS:
        return HEADER_WORDS[text]
    head, sep, rest = text.partition(" (")
    if sep and head in HEADER_WORDS:
        return f"{HEADER_WORDS[head]} ({rest}"
    return text.replace("_", " ") if "_" in text and " " not in text.strip("_") else text


def format_p(value: float) -> str:
    """'< 0.001' below 0.001, else three decimals."""
    return "< 0.001" if value < 0.001 else f"{value:.3f}"


def _is_p_column(name: object) -> bool:
    return bool(_P_COLUMN.match(str(name)))


def _cell(value: object, digits: int, p_column: bool) -> object:
    if value is None or value is pd.NA or value is pd.NaT:
        return math.nan  # the table's missing mark ("–"), never "<NA>" or "None" on a page
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, int) and not isinstance(value, bool):
        return f"{value:,}"
    if isinstance(value, float):
        if math.isnan(value):
            return value  # shown as the table's missing mark
        if math.isinf(value):
            return "∞" if value > 0 else "−∞"  # never "inf"
        if p_column and 0.0 <= value <= 1.0:
            return format_p(value)
        if value.is_integer() and abs(value) >= 1000:
            return f"{int(value):,}"
        return f"{value:.{digits}f}"
    return value


def display_frame(table: pd.DataFrame, digits: int = 3) -> pd.DataFrame:
    """A copy of ``table`` for the page: headers in words, cells formatted as text (see the module docstring)."""
    shown = pd.DataFrame(index=table.index)
    for position, column in enumerate(table.columns):
        values = table.iloc[:, position]
        p_column = _is_p_column(column)
        cells = [_cell(v.item() if hasattr(v, "item") else v, digits, p_column) for v in values]
        shown[f"{position}"] = pd.Series(cells, index=table.index, dtype=object)
    shown.columns = [header_words(c) for c in table.columns]
    return shown
