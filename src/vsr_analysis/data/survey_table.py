"""The table every survey reader produces (header, rows of text cells, and what a format adds), the
:class:`Problem` every check reports, and the small helpers the readers share.

Kept apart from :mod:`vsr_analysis.data.survey_file` (validation) so that the format readers
(:mod:`vsr_analysis.data.survey_readers`) and the validation import it without importing each other.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field


@dataclass(frozen=True)
class Problem:
    """One problem in a survey file.  ``row`` is 1-based with the header as row 1 (see the module docstring)."""

    file: str
    row: int | None
    column: str | None
    kind: str
    message: str

    def __str__(self) -> str:
        where = _one_line(self.file)
        if self.row is not None:
            where += f":{self.row}"
        if self.column is not None:
            where += f":{_one_line(self.column)}"
        return f"{where}: {_one_line(self.message)}"


_LINE_BREAKS = {ord(c): repr(c)[1:-1] for c in "\n\r\t\v\f\x1c\x1d\x1e\x85\u2028\u2029"}


def _one_line(text: str) -> str:
    """Escape line breaks so that a report line never splits (a header cell may hold a quoted newline)."""
    return str(text).translate(_LINE_BREAKS)


@dataclass
class SurveyTable:
    header_row: int | None  # None: the format has no header row (SPSS, Stata: rows are case numbers)
    header: list[str]
    rows: list[tuple[int, list[str | None]]]  # (row number, cells); fully blank rows already dropped
    fmt: str
    encoding: str | None = None
    delimiter: str | None = None
    sheet: str | None = None
    # SPSS/Stata: column index -> {code text: the file's value label}, declared user-missing ranges and
    # Stata's missing letters (.a-.z), and each variable's label
    value_labels: dict[int, dict[str, str]] = field(default_factory=dict)
    missing_ranges: dict[int, list[tuple[float, float]]] = field(default_factory=dict)
    missing_letters: dict[int, frozenset[str]] = field(default_factory=dict)
    column_labels: dict[int, str] = field(default_factory=dict)
    # a column map: column index -> the file's own name (renamed columns), and columns to leave out
    renamed: dict[int, str] = field(default_factory=dict)
    ignored: set[int] = field(default_factory=set)
    #: the other sheets of a workbook and their first non-blank row (read when no sheet was named)
    other_sheets: dict[str, list[str]] = field(default_factory=dict)

    def cell_ref(self, j: int, row: int) -> str:
        if self.fmt in ("xlsx", "ods"):
            return f" (cell {column_letter(j)}{row})"
        return ""

    def user_missing(self, j: int, text: str) -> bool:
        """Is ``text`` a missing value the file itself declares for column ``j`` (SPSS/Stata)?"""
        if text in self.missing_letters.get(j, ()):
            return True
        ranges = self.missing_ranges.get(j)
        if not ranges:
            return False
        try:
            value = float(text)
        except ValueError:
            return False
        return any(lo <= value <= hi for lo, hi in ranges)


def column_letter(j: int) -> str:
    """0-based column index -> spreadsheet letters (0 -> A, 26 -> AA)."""
    letters = ""
    n = j + 1
    while n:
        n, rem = divmod(n - 1, 26)
        letters = chr(65 + rem) + letters
    return letters


def is_blank_row(cells: Sequence[str | None]) -> bool:
    return all(c is None or not str(c).strip() for c in cells)


def cell_text(value: object) -> str | None:
    if value is None:
        return None
    if isinstance(value, bool):
        return "TRUE" if value else "FALSE"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        if value.is_integer() and abs(value) < 1e18:
            return str(int(value))
        return repr(value)
    if hasattr(value, "isoformat"):
        return value.isoformat()
    return str(value)


def short_message(exc: BaseException, limit: int = 160) -> str:
    text = " ".join(str(exc).split()) or "no details"
    return text if len(text) <= limit else text[: limit - 3] + "..."
