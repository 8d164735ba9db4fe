"""Load a user's survey file and check it against the codebook and the register (joining it to the 2020 frame
is :mod:`vsr_analysis.data.frame`).

A survey file has one header row of item names (see ``data/codebook.yml``) and one row per responding unit.
Accepted formats:

* CSV in UTF-8, UTF-8 with BOM, Windows-1252 or latin-1 (tried in that order; the one used is recorded in
  :attr:`SurveyData.encoding`), delimited by comma, semicolon or tab (sniffed from the header line; an Excel
  ``sep=;`` first line is honoured), with a decimal comma allowed (``3,0`` is the code 3);
* XLSX or OpenDocument ``.ods`` (the first sheet, or the sheet named by ``sheet``);
* SPSS ``.sav``/``.zsav`` and Stata ``.dta`` (pyreadstat): the file's value labels must agree with the
  codebook's labels (``label_mismatch`` names the item, the code and both labels), and the values it declares
  missing (SPSS user-missing values and ranges, Stata ``.a``-``.z``) load as missing, counted in
  :attr:`SurveyData.declared_missing_counts`.

Any other format is refused (``unsupported_format``, saying what is read and how to convert; ``encrypted`` for
a password-protected workbook).  Answers may be codes or the codebook's labels of them, in English or Norwegian
(case, whitespace and a trailing period aside); an unknown text is ``unknown_label`` with the nearest labels.
A column map (:mod:`vsr_analysis.data.survey_map`) renames a tool's columns, ignores its metadata columns and
recodes its codes before the checks.

Blank cells are "not answered".  Declared missing codes of the codebook (99 = "vet ikke / don't know") load as
missing values.  ``knr`` stays a string; a 3-digit numeric code (a lost leading zero, e.g. ``301``) gets its zero
back (``0301``) with a warning.  A 2013-2019 municipality code is mapped to its 2020 successor with a warning; a
code whose area was split between several 2020 municipalities (``split_knr``) or an unknown code is an error.
County authorities have ``unit_type=county`` and the 2-digit 2020 county code as ``knr``.

Every problem in the file is collected and reported at once in a :class:`SurveyValidationError`; each
:class:`Problem` names the file, the row, the column and a ``kind``:

``empty_file``, ``bad_encoding``, ``unreadable``, ``unknown_sheet``, ``unknown_item``, ``duplicate_item``,
``missing_required_item``, ``ragged_row``, ``non_numeric``, ``out_of_range``, ``unknown_label``,
``label_mismatch``, ``unsupported_format``, ``encrypted``, ``bad_unit_type``, ``missing_knr``, ``unknown_knr``,
``split_knr``, ``duplicate_knr``, ``wrong_sheet`` (the first sheet of a workbook of several lacks the survey's
columns and no sheet was named: the sheets are listed and ``--sheet`` suggested).

**Row numbers** are 1-based and count the header as row 1 when it is the first line: for a CSV file the row is
the line number in the file where the record starts (blank lines are counted, so the number is the one an editor
shows); for an XLSX or ODS file it is the sheet's row number; for SPSS and Stata files, which have no header
row, it is the case number (1 = the first case).  ``row`` is ``None`` for problems with the whole file (and for
header problems of SPSS/Stata files).  A column renamed by a map is named as ``<file's name> (<item>)``.

The input file is opened read-only once, its bytes are hashed (:attr:`SurveyData.sha256`) and parsed in memory;
nothing is ever written next to it or anywhere else.
"""

from __future__ import annotations

import csv
import difflib
import hashlib
import io
import re
import warnings as _warnings
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

from vsr_analysis.data.codebook import Codebook, Item, load_codebook
from vsr_analysis.data.survey_labels import codebook_labels, label_agrees, label_index, normalise
from vsr_analysis.data.survey_map import SurveyMap, load_map
from vsr_analysis.data.survey_readers import FORMATS_READ, detect_format, read_ods, read_stat
from vsr_analysis.data.survey_table import (
    Problem,
    SurveyTable,
    cell_text,
    column_letter,
    is_blank_row,
    short_message,
)

__all__ = [
    "PROBLEM_KINDS",
    "COUNTY_CODES_2020",
    "Problem",
    "SurveyValidationError",
    "RegisterUnavailableError",
    "SurveyData",
    "load_survey",
]

PROBLEM_KINDS = (
    "empty_file",
    "bad_encoding",
    "unreadable",
    "unknown_sheet",
    "unknown_item",
    "duplicate_item",
    "missing_required_item",
    "ragged_row",
    "non_numeric",
    "out_of_range",
    "unknown_label",
    "label_mismatch",
    "unsupported_format",
    "encrypted",
    "bad_unit_type",
    "missing_knr",
    "unknown_knr",
    "split_knr",
    "duplicate_knr",
    "wrong_sheet",
)

#: The 11 county authorities of 2020 (code -> name); used when the register module offers no list.
COUNTY_CODES_2020: dict[str, str] = {
    "03": "Oslo",
    "11": "Rogaland",
    "15": "Møre og Romsdal",
    "18": "Nordland",
    "30": "Viken",
    "34": "Innlandet",
    "38": "Vestfold og Telemark",
    "42": "Agder",
    "46": "Vestland",
    "50": "Trøndelag",
    "54": "Troms og Finnmark",
}

# Pre-2020 county codes, only to give a helpful hint (they are not mapped silently).
_OLD_COUNTY_HINT = {
    "01": ("Østfold", "30"),
    "02": ("Akershus", "30"),
    "06": ("Buskerud", "30"),
    "04": ("Hedmark", "34"),
    "05": ("Oppland", "34"),
    "07": ("Vestfold", "38"),
    "08": ("Telemark", "38"),
    "09": ("Aust-Agder", "42"),
    "10": ("Vest-Agder", "42"),
    "12": ("Hordaland", "46"),
    "14": ("Sogn og Fjordane", "46"),
    "16": ("Sør-Trøndelag", "50"),
    "17": ("Nord-Trøndelag", "50"),
    "19": ("Troms", "54"),
    "20": ("Finnmark", "54"),
}

_ZIP_MAGIC = b"PK\x03\x04"
_OLE_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"  # legacy .xls / other OLE2 documents
_NUMBER = re.compile(r"([+-]?)(\d+)(?:[.,](\d+))?")
_UTF8_MULTIBYTE = re.compile(rb"[\xc2-\xdf][\x80-\xbf]|[\xe0-\xef][\x80-\xbf]{2}|[\xf0-\xf4][\x80-\xbf]{3}")
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
_SEP_LINE = re.compile(r"sep=(.)\s*")


# --------------------------------------------------------------------------------------------------------------
# Problems and results
# --------------------------------------------------------------------------------------------------------------


#: Problems listed by the CLI before it summarises the rest by kind (``--all`` lists every one).
REPORT_LIMIT = 50


class SurveyValidationError(ValueError):
    """The survey file is invalid; ``.problems`` lists every problem found (all at once)."""

    def __init__(self, problems: Iterable[Problem], warnings: Iterable[str] = ()):
        self.problems: list[Problem] = _sorted_problems(problems)
        self.warnings: list[str] = list(warnings)
        super().__init__(self.report())

    def report(self, limit: int | None = None) -> str:
        """Every problem, one a line, then a summary; with ``limit``, only the first ``limit`` problems and a
        count of all problems by kind (a file with thousands of problems stays readable)."""
        shown = self.problems if limit is None else self.problems[:limit]
        lines = [str(p) for p in shown]
        n = len(self.problems)
        files = sorted({p.file for p in self.problems})
        if len(shown) < n:
            kinds: dict[str, int] = {}
            for problem in self.problems:
                kinds[problem.kind] = kinds.get(problem.kind, 0) + 1
            by_kind = ", ".join(
                f"{kind} {count}" for kind, count in sorted(kinds.items(), key=lambda kv: (-kv[1], kv[0]))
            )
            lines.append(
                f"… {n - len(shown)} more problem(s) not shown (use --all to list every one); by kind: {by_kind}"
            )
        lines.append(
            f"{n} problem{'s' if n != 1 else ''} in {', '.join(files) or 'the survey file'}; the file was not loaded."
        )
        return "\n".join(lines)

    def __str__(self) -> str:
        return self.report()


class RegisterUnavailableError(RuntimeError):
    """The register table or code history needed to check ``knr`` could not be loaded."""


@dataclass
class SurveyData:
    """A validated survey file.

    ``data`` has one row per responding unit (file order): ``knr`` (str, 2020 codes), ``unit_type``
    (``municipality``/``county``) and every integer item of the codebook as nullable ``Int64``.
    """

    data: pd.DataFrame
    warnings: list[str]
    sha256: str
    path: Path
    n_rows: int
    file_format: str = "csv"
    encoding: str | None = None
    delimiter: str | None = None
    sheet: str | None = None
    missing_code_counts: dict[str, int] = field(default_factory=dict)
    # values the file (SPSS/Stata user-missing) or the map (recoded to null) declares missing, per item
    declared_missing_counts: dict[str, int] = field(default_factory=dict)
    labels_converted: int = 0  # answer texts converted to their codes
    survey_map: SurveyMap | None = None

    @property
    def spec(self) -> str:
        """The survey spec string for parameters and the ledger: ``file:<name>:<sha256>`` (no path)."""
        return f"file:{self.path.name}:{self.sha256}"

    @property
    def n_municipalities(self) -> int:
        return int((self.data["unit_type"] == "municipality").sum())

    @property
    def n_counties(self) -> int:
        return int((self.data["unit_type"] == "county").sum())


def _sorted_problems(problems: Iterable[Problem]) -> list[Problem]:
    # File-level problems first, then by row; the order within a row (column order) is kept.
    return sorted(problems, key=lambda p: (p.row is not None, p.row or 0))


# --------------------------------------------------------------------------------------------------------------
# Reading the file into a table of text cells
# --------------------------------------------------------------------------------------------------------------


def _line_of_byte(raw: bytes, pos: int) -> int:
    head = raw[:pos]
    return head.count(b"\n") + head.count(b"\r") - head.count(b"\r\n") + 1


def _line_of_char(text: str, pos: int) -> int:
    head = text[:pos]
    return head.count("\n") + head.count("\r") - head.count("\r\n") + 1


def _decode(raw: bytes, file: str) -> tuple[str | None, str | None, list[Problem]]:
    """Bytes -> (text, encoding name, problems)."""
    if raw.startswith((b"\xff\xfe", b"\xfe\xff")):
        return (
            None,
            None,
            [
                Problem(
                    file,
                    None,
                    None,
                    "bad_encoding",
                    "the file is UTF-16/UTF-32 encoded; save it as CSV UTF-8 (or Windows-1252)",
                )
            ],
        )
    nul = raw.find(b"\x00")
    if nul >= 0:
        return (
            None,
            None,
            [
                Problem(
                    file,
                    _line_of_byte(raw, nul),
                    None,
                    "bad_encoding",
                    "the file contains NUL bytes: it is a binary file or UTF-16 without a BOM, not a CSV text file; "
                    f"vsr reads {FORMATS_READ}: save or export the file as one of these",
                )
            ],
        )
    try:
        text = raw.decode("utf-8-sig")
        encoding = "utf-8-sig" if raw.startswith(b"\xef\xbb\xbf") else "utf-8"
    except UnicodeDecodeError as exc:
        if _UTF8_MULTIBYTE.search(raw):
            byte = raw[exc.start]
            return (
                None,
                None,
                [
                    Problem(
                        file,
                        _line_of_byte(raw, exc.start),
                        None,
                        "bad_encoding",
                        f"mixed encodings: byte 0x{byte:02X} is not valid UTF-8, but other characters in the file are "
                        "UTF-8; save the whole file in one encoding (CSV UTF-8)",
                    )
                ],
            )
        try:
            text, encoding = raw.decode("cp1252"), "cp1252"
        except UnicodeDecodeError:
            text, encoding = raw.decode("latin-1"), "latin-1"
    text = text.rstrip("\x1a")  # a DOS end-of-file marker is harmless
    bad = _CONTROL.search(text)
    if bad:
        return (
            None,
            None,
            [
                Problem(
                    file,
                    _line_of_char(text, bad.start()),
                    None,
                    "bad_encoding",
                    f"control character U+{ord(bad.group()):04X} found: this is not a text (CSV) file",
                )
            ],
        )
    return text, encoding, []


def _sniff_delimiter(line: str) -> str:
    counts = {";": 0, ",": 0, "\t": 0}
    quoted = False
    for ch in line:
        if ch == '"':
            quoted = not quoted
        elif not quoted and ch in counts:
            counts[ch] += 1
    best = max(counts.values())
    if best == 0:
        return ","
    for d in (";", ",", "\t"):  # a tie prefers ';' (decimal-comma files)
        if counts[d] == best:
            return d
    return ","  # pragma: no cover


def _read_csv(raw: bytes, file: str, problems: list[Problem]) -> SurveyTable | None:
    text, encoding, probs = _decode(raw, file)
    problems.extend(probs)
    if text is None:
        return None
    if not text.strip():
        problems.append(Problem(file, None, None, "empty_file", "the file is empty"))
        return None

    first_end = len(text)
    for sep in ("\r", "\n"):
        k = text.find(sep)
        if k >= 0:
            first_end = min(first_end, k)
    first_line = text[:first_end]
    sep_line = _SEP_LINE.fullmatch(first_line.strip())
    delimiter = sep_line.group(1) if sep_line else None

    stream = io.StringIO(text, newline="")
    skip_first = False
    if delimiter is None:
        delimiter = _sniff_delimiter(first_line)
    else:
        skip_first = True

    reader = csv.reader(stream, delimiter=delimiter, quotechar='"', doublequote=True, strict=False)
    header: list[str] | None = None
    header_row = 0
    rows: list[tuple[int, list[str | None]]] = []
    prev_line = 0
    try:
        for record in reader:
            start = prev_line + 1
            prev_line = reader.line_num
            if skip_first:
                skip_first = False
                continue
            if is_blank_row(record):
                continue
            if header is None:
                header, header_row = record, start
            else:
                rows.append((start, list(record)))
    except csv.Error as exc:
        problems.append(Problem(file, prev_line + 1, None, "unreadable", f"the CSV cannot be parsed here: {exc}"))
        return None
    if header is None:
        problems.append(Problem(file, None, None, "empty_file", "the file has no header row"))
        return None
    return SurveyTable(
        header_row=header_row, header=header, rows=rows, fmt="csv", encoding=encoding, delimiter=delimiter
    )


def _read_xlsx(raw: bytes, file: str, sheet: str | None, problems: list[Problem]) -> SurveyTable | None:
    if raw.startswith(_OLE_MAGIC):
        problems.append(
            Problem(
                file,
                None,
                None,
                "unreadable",
                "this is a legacy Excel .xls (or other OLE) file; save it as .xlsx or CSV UTF-8",
            )
        )
        return None
    import openpyxl  # local: only needed for spreadsheets

    try:
        with _warnings.catch_warnings():
            _warnings.simplefilter("ignore")
            wb = openpyxl.load_workbook(io.BytesIO(raw), read_only=True, data_only=True)
            try:
                names = list(wb.sheetnames)
                worksheets = list(wb.worksheets)
                if sheet is None:
                    if not worksheets:
                        problems.append(Problem(file, None, None, "empty_file", "the workbook has no worksheet"))
                        return None
                    ws = worksheets[0]
                else:
                    if sheet not in names:
                        problems.append(
                            Problem(
                                file,
                                None,
                                None,
                                "unknown_sheet",
                                f"no sheet named {sheet!r}; the workbook has: {', '.join(map(repr, names)) or 'none'}",
                            )
                        )
                        return None
                    ws = wb[sheet]
                title = ws.title
                if hasattr(ws, "reset_dimensions"):
                    ws.reset_dimensions()  # do not trust the stored dimension tag
                all_rows = [
                    (i, [cell_text(v) for v in row]) for i, row in enumerate(ws.iter_rows(values_only=True), start=1)
                ]
                others: dict[str, list[str]] = {}
                if sheet is None:
                    for other in worksheets[1:]:
                        if hasattr(other, "reset_dimensions"):
                            other.reset_dimensions()
                        first: list[str | None] = []
                        for r in other.iter_rows(values_only=True):
                            cells = [cell_text(v) for v in r]
                            if not is_blank_row(cells):
                                first = cells
                                break
                        others[other.title] = [c or "" for c in first]
            finally:
                wb.close()
    except Exception as exc:  # openpyxl/zipfile/xml raise many kinds of errors on corrupt input
        problems.append(
            Problem(
                file,
                None,
                None,
                "unreadable",
                f"not a readable XLSX workbook ({type(exc).__name__}: {short_message(exc)})",
            )
        )
        return None

    header: list[str] | None = None
    header_row = 0
    rows: list[tuple[int, list[str | None]]] = []
    for i, cells in all_rows:
        if is_blank_row(cells):
            continue
        if header is None:
            header, header_row = [c or "" for c in cells], i
        else:
            rows.append((i, cells))
    if header is None:
        problems.append(Problem(file, None, None, "empty_file", f"sheet {title!r} is empty"))
        return None
    width = max([len(header)] + [len(c) for _, c in rows])
    header = header + [""] * (width - len(header))
    rows = [(i, c + [None] * (width - len(c))) for i, c in rows]
    return SurveyTable(header_row=header_row, header=header, rows=rows, fmt="xlsx", sheet=title, other_sheets=others)


def _wrong_sheet_problem(file: str, table: SurveyTable, cb: Codebook) -> Problem:
    """The first sheet of a workbook of several lacks the survey's columns: name the sheets, suggest ``--sheet``."""
    required = set(cb.required_items())
    names = [table.sheet or ""] + list(table.other_sheets)
    fits = [name for name, header in table.other_sheets.items() if required <= {h.strip() for h in header}]
    listed = ", ".join(map(repr, names))
    if fits:
        hint = f"sheet {fits[0]!r} has the survey's columns: rerun with --sheet {fits[0]!r}"
    else:
        hint = "no sheet has all the survey's required columns; name the data sheet with --sheet NAME"
    return Problem(
        file,
        None,
        None,
        "wrong_sheet",
        f"the first sheet {table.sheet!r} of this workbook of {len(names)} sheets ({listed}) lacks the survey's "
        f"required columns; {hint}",
    )


# --------------------------------------------------------------------------------------------------------------
# Register lookups
# --------------------------------------------------------------------------------------------------------------


def _norm_code(value: object, width: int = 4) -> str:
    text = str(value).strip()
    if text.endswith(".0") and text[:-2].isdigit():
        text = text[:-2]
    return text.zfill(width) if text.isdigit() and len(text) < width else text


@dataclass
class _Lookups:
    municipalities: dict[str, str]  # 2020 knr -> name
    counties: dict[str, str]  # 2020 county code -> name
    history: dict[str, tuple[str, list[tuple[str, str]], bool]]  # old knr -> (old name, [(new, name)], split)

    def resolve_old(self, code: str) -> tuple[str, list[tuple[str, str]], bool] | None:
        """Follow the code history from ``code`` to 2020 codes: (old name, [(2020 knr, name)], split?)."""
        if code not in self.history:
            return None
        old_name = self.history[code][0]
        targets: dict[str, str] = {}
        split = False
        todo, seen = [code], set()
        while todo:
            c = todo.pop()
            if c in seen:
                continue
            seen.add(c)
            name, news, is_split = self.history[c]
            split = split or is_split
            for new, _new_name in news:
                if new in self.municipalities:
                    targets[new] = self.municipalities[new]
                elif new in self.history and new not in seen:
                    todo.append(new)
        return old_name, sorted(targets.items()), split or len(targets) > 1


def _county_names() -> dict[str, str]:
    try:
        from vsr_analysis.data import register as _register

        fn = getattr(_register, "county_names_2020", None)
        if fn is None:
            return dict(COUNTY_CODES_2020)
        names = fn()
        if isinstance(names, Mapping):
            out = {_norm_code(k, 2): str(v) for k, v in names.items()}
        elif isinstance(names, pd.DataFrame) and names.shape[1] >= 2:
            out = {_norm_code(k, 2): str(v) for k, v in zip(names.iloc[:, 0], names.iloc[:, 1])}
        else:
            out = {_norm_code(k, 2): COUNTY_CODES_2020.get(_norm_code(k, 2), "") for k in names}
        return out or dict(COUNTY_CODES_2020)
    except Exception:
        return dict(COUNTY_CODES_2020)


def _lookups(register: pd.DataFrame | None, history: pd.DataFrame | None) -> _Lookups:
    if register is None or history is None:
        try:
            from vsr_analysis.data import register as _register
        except Exception as exc:
            raise RegisterUnavailableError(f"the register module cannot be imported: {exc}") from None
        try:
            if register is None:
                register = _register.load_register()
            if history is None:
                history = _register.load_knr_history()
        except Exception as exc:
            raise RegisterUnavailableError(
                f"the register table is not available ({short_message(exc)}); build it with `vsr register build`"
            ) from None
    for col in ("knr",):
        if col not in register.columns:
            raise RegisterUnavailableError("the register table has no 'knr' column")
    names = register["name"] if "name" in register.columns else [""] * len(register)
    municipalities = {_norm_code(k): str(n) for k, n in zip(register["knr"], names)}
    hist: dict[str, tuple[str, list[tuple[str, str]], bool]] = {}
    needed = {"old_knr", "new_knr"}
    if not needed <= set(history.columns):
        raise RegisterUnavailableError("the code history has no old_knr/new_knr columns")
    n = len(history)
    old_names = history["old_name"] if "old_name" in history.columns else [""] * n
    new_names = history["new_name"] if "new_name" in history.columns else [""] * n
    splits = history["split"] if "split" in history.columns else [0] * n
    for old, old_name, new, new_name, split in zip(
        history["old_knr"], old_names, history["new_knr"], new_names, splits
    ):
        old, new = _norm_code(old), _norm_code(new)
        if old == new:
            continue
        entry = hist.setdefault(old, (str(old_name), [], False))
        is_split = str(split).strip().lower() in {"1", "true", "1.0", "yes"}
        news = entry[1]
        if new not in [x for x, _ in news]:
            news.append((new, str(new_name)))
        hist[old] = (entry[0], news, entry[2] or is_split)
    return _Lookups(municipalities=municipalities, counties=_county_names_of(register), history=hist)


def _county_names_of(register: pd.DataFrame) -> dict[str, str]:
    """County code -> name from the register table in hand (the one the file is checked against); without the
    columns, or with a code named twice, :func:`_county_names` (which reads the register table from disk)."""
    if {"county_code", "county"} <= set(register.columns):
        pairs = register[["county_code", "county"]].drop_duplicates()
        if len(pairs) and not pairs["county_code"].duplicated().any():
            return {_norm_code(k, 2): str(v) for k, v in zip(pairs["county_code"], pairs["county"])}
    return _county_names()


# --------------------------------------------------------------------------------------------------------------
# Validation
# --------------------------------------------------------------------------------------------------------------


def _parse_code(text: str, item: Item) -> tuple[int | None, str | None, str | None]:
    """Cell text -> (code, problem kind, message).  Code None and kind None means a declared missing code."""
    m = _NUMBER.fullmatch(text)
    # the description of the allowed codes is built only for a message (it is the costly part of a valid cell)
    if not m:
        return None, "non_numeric", f"{text!r} is not a number; expected {item.describe_codes()}"
    sign, whole, frac = m.groups()
    if frac is not None and frac.strip("0"):
        return None, "out_of_range", f"{text!r} is not a whole number; expected {item.describe_codes()}"
    if len(whole.lstrip("0")) > 12:
        return None, "out_of_range", f"{text!r} is out of range; expected {item.describe_codes()}"
    value = int(sign + whole)
    if value in item.valid_codes:
        return value, None, None
    if value in item.missing_code_values:
        return None, None, None
    return None, "out_of_range", f"{text!r} is out of range; expected {item.describe_codes()}"


def _unit_type_map(item: Item | None) -> dict[str, str]:
    out = {"municipality": "municipality", "county": "county"}
    if item is None:
        return out
    for c in item.codes:
        for word in (str(c.code), c.en, c.nb, *c.aliases):
            out[word.strip().lower()] = str(c.code)
    return out


def _validate(
    table: SurveyTable,
    cb: Codebook,
    lk: _Lookups,
    file: str,
    problems: list[Problem],
    warns: list[str],
    smap: SurveyMap | None = None,
    counts: dict[str, dict[str, int]] | None = None,
) -> pd.DataFrame | None:
    """Check the table against the codebook; ``counts`` receives the missing codes of the codebook (``missing``),
    values the file or the map declares missing (``declared``) and answer texts converted to codes (``labels``)."""
    counts = counts if counts is not None else {}
    for key in ("missing", "declared", "labels"):
        counts.setdefault(key, {})
    hr = table.header_row
    header = [(h or "").replace("\ufeff", "").strip() for h in table.header]
    width = len(header)
    names = cb.item_names()

    # --- header -----------------------------------------------------------------------------------------------
    columns: dict[str, int] = {}
    for j, h in enumerate(header):
        if j in table.ignored:
            continue
        if not h:
            if any(j < len(cells) and cells[j] is not None and str(cells[j]).strip() for _, cells in table.rows):
                label = column_letter(j) if table.fmt == "xlsx" else str(j + 1)
                problems.append(
                    Problem(
                        file,
                        hr,
                        f"column {label}",
                        "unknown_item",
                        f"column {label} has no name in the header but holds data",
                    )
                )
            continue
        if h in columns:
            problems.append(
                Problem(
                    file,
                    hr,
                    h,
                    "duplicate_item",
                    f"column {h!r} appears more than once (columns {columns[h] + 1} and {j + 1})",
                )
            )
            continue
        if h not in cb:
            hint = ""
            lowered = {n.lower(): n for n in names}
            close = lowered.get(h.lower()) or next(iter(difflib.get_close_matches(h, names, n=1, cutoff=0.8)), None)
            if close:
                hint = f"; did you mean {close!r}?"
            else:
                label_of = _label_match(h, cb)
                hint = (
                    f"; it is the codebook's label of {label_of!r}: map it with --map"
                    if label_of
                    else "; map or ignore it with --map (`vsr map --init FILE` drafts a map)"
                )
            problems.append(Problem(file, hr, h, "unknown_item", f"{h!r} is not an item of the codebook{hint}"))
            continue
        columns[h] = j
    _check_value_labels(table, columns, cb, file, problems, warns)
    for name in cb.required_items():
        if name not in columns:
            problems.append(
                Problem(
                    file, hr, name, "missing_required_item", f"the required column {name!r} is missing from the header"
                )
            )
    if not table.rows:
        problems.append(Problem(file, None, None, "empty_file", "the file has a header row but no data rows"))

    # --- rows -------------------------------------------------------------------------------------------------
    int_items = [cb.item(n) for n in names if cb.item(n).is_integer]
    unit_item = cb.item("unit_type") if "unit_type" in cb else None
    unit_map = _unit_type_map(unit_item)
    missing_counts = counts["missing"]
    declared_counts = counts["declared"]
    label_counts = counts["labels"]
    out_knr: list[str | None] = []
    out_unit: list[str | None] = []
    out_items: dict[str, list[int | None]] = {it.name: [] for it in int_items}
    seen: dict[tuple[str, str], tuple[int, str]] = {}

    for r, cells in table.rows:
        if table.fmt == "csv" and len(cells) != width:
            hint = (
                " (a decimal comma in a comma-delimited file?)" if len(cells) > width and table.delimiter == "," else ""
            )
            problems.append(
                Problem(
                    file, r, None, "ragged_row", f"the row has {len(cells)} fields but the header has {width}{hint}"
                )
            )

        def cell(name: str) -> str | None:
            j = columns.get(name)
            if j is None or j >= len(cells) or cells[j] is None:  # noqa: B023
                return None
            text = str(cells[j]).strip()  # noqa: B023
            return text or None

        # unit type
        unit = "municipality"
        raw_unit = cell("unit_type")
        if raw_unit is not None and "unit_type" in columns:
            # an SPSS/Stata file may code the unit type as numbers with value labels (1 = kommune)
            raw_unit = table.value_labels.get(columns["unit_type"], {}).get(raw_unit, raw_unit).strip()
        if raw_unit is not None:
            mapped = unit_map.get(raw_unit.lower())
            if mapped is None:
                allowed = ", ".join(str(c.code) for c in unit_item.codes) if unit_item else "municipality, county"
                problems.append(
                    Problem(
                        file,
                        r,
                        "unit_type",
                        "bad_unit_type",
                        f"unit_type {raw_unit!r} is not one of {allowed}{table.cell_ref(columns['unit_type'], r)}",
                    )
                )
                unit = None
            else:
                unit = mapped
        out_unit.append(unit)

        # knr
        knr = None
        if "knr" in columns:
            knr = _check_knr(cell("knr"), unit, r, file, lk, problems, warns, table.cell_ref(columns["knr"], r))
        out_knr.append(knr)
        if knr is not None and unit is not None:
            key = (unit, knr)
            given = cell("knr") or ""
            if key in seen:
                first_row, first_given = seen[key]
                via = "" if given == knr and first_given == knr else " (after mapping codes to 2020)"
                what = "county code" if unit == "county" else "knr"
                problems.append(
                    Problem(
                        file,
                        r,
                        "knr",
                        "duplicate_knr",
                        f"{what} {knr} appears more than once: rows {first_row} and {r}{via}",
                    )
                )
            else:
                seen[key] = (r, given)

        # answers
        for it in int_items:
            text = cell(it.name)
            if text is None:
                out_items[it.name].append(None)
                continue
            j = columns[it.name]
            if table.user_missing(j, text):
                declared_counts[it.name] = declared_counts.get(it.name, 0) + 1
                out_items[it.name].append(None)
                continue
            if smap is not None:
                hit, code = smap.recoded(it.name, text)
                if hit and code is None:
                    declared_counts[it.name] = declared_counts.get(it.name, 0) + 1
                    out_items[it.name].append(None)
                    continue
                if hit:
                    text = str(code)
            value, kind, msg = _parse_code(text, it)
            if kind == "non_numeric" and _is_text(text):
                value, kind, msg = _parse_label(text, it)
                if kind is None:
                    label_counts[it.name] = label_counts.get(it.name, 0) + 1
            if kind is not None:
                problems.append(Problem(file, r, it.name, kind, msg + table.cell_ref(columns[it.name], r)))
            elif value is None:
                missing_counts[it.name] = missing_counts.get(it.name, 0) + 1
            out_items[it.name].append(value)

    for it in int_items:
        if it.name not in columns and not it.required:
            warns.append(f"the optional item {it.name!r} is not in the file; it loads as missing for every row")

    if problems:
        return None
    data = pd.DataFrame(
        {
            "knr": pd.array(out_knr, dtype="str"),
            "unit_type": pd.array(out_unit, dtype="str"),
            **{name: pd.array(values, dtype="Int64") for name, values in out_items.items()},
        }
    )
    return data


def _label_match(column: str, cb: Codebook) -> str | None:
    """The item whose codebook label or question (en or nb) ``column`` is, case and spacing aside."""
    key = normalise(column)
    for item in cb:
        for text in (*item.label.values(), *item.question.values()):
            if normalise(text) == key:
                return item.name
    return None


def _is_text(text: str) -> bool:
    """A cell that is words (an answer text), not a malformed number such as ``1e1``."""
    if not any(ch.isalpha() for ch in text):
        return False
    try:
        float(text)
    except ValueError:
        return True
    return False


def _parse_label(text: str, item: Item) -> tuple[int | None, str | None, str | None]:
    """An answer text -> (code, problem kind, message), as :func:`_parse_code`; the codebook's labels in either
    language are accepted (case, whitespace and a trailing period aside)."""
    index = label_index(item)
    code = index.code_of(text)
    if code is None:
        nearest = ", ".join(f"{label!r} = {c}" for label, c in index.nearest(text))
        return (
            None,
            "unknown_label",
            f"{text!r} is neither a code nor a codebook label of {item.name}; nearest labels: {nearest}",
        )
    if code in item.missing_code_values:
        return None, None, None
    return int(code), None, None


def _check_value_labels(
    table: SurveyTable, columns: dict[str, int], cb: Codebook, file: str, problems: list[Problem], warns: list[str]
) -> None:
    """A file's value labels (SPSS, Stata) must say what the codebook says each code means."""
    for name, j in columns.items():
        labels = table.value_labels.get(j)
        if not labels or not cb.item(name).is_integer:
            continue
        item = cb.item(name)
        for code_text, label in labels.items():
            try:
                number = float(code_text)
            except ValueError:
                continue  # a Stata missing letter (.a-.z): always missing, whatever its label says
            if not number.is_integer():
                continue
            code = int(number)
            agrees = label_agrees(item, code, label)
            if agrees is None:
                if not table.user_missing(j, code_text):
                    warns.append(
                        f"{name}: the file labels code {code} {label!r}, which is not a code of the codebook "
                        f"(expected {item.describe_codes()})"
                    )
                continue
            if not agrees:
                en, nb = codebook_labels(item, code)
                problems.append(
                    Problem(
                        file,
                        table.header_row,
                        name,
                        "label_mismatch",
                        f"the file labels code {code} {label!r}, but the codebook's label of {code} is {nb!r} ({en!r})",
                    )
                )


def _check_knr(
    text: str | None,
    unit: str | None,
    r: int,
    file: str,
    lk: _Lookups,
    problems: list[Problem],
    warns: list[str],
    ref: str,
) -> str | None:
    """Validate and harmonise one knr; returns the 2020 code or None (a problem was recorded)."""
    if text is None:
        problems.append(Problem(file, r, "knr", "missing_knr", f"knr is blank: every row needs a code{ref}"))
        return None
    if unit is None:
        return None  # the unit type is invalid; the knr cannot be checked
    code = text
    if code.endswith(".0") and code[:-2].isdigit():  # a number that went through a spreadsheet
        code = code[:-2]

    if unit == "county":
        counties = ", ".join(sorted(lk.counties))
        if code.isdigit() and len(code) == 1:
            warns.append(f"row {r}: county code {text!r} read as {code.zfill(2)!r} (leading zero restored)")
            code = code.zfill(2)
        if code in lk.counties:
            return code
        hint = ""
        if code in _OLD_COUNTY_HINT:
            old_name, new = _OLD_COUNTY_HINT[code]
            hint = f"; {code} was {old_name} before 2020, now {new} ({lk.counties.get(new, COUNTY_CODES_2020[new])})"
        elif len(code) == 4:
            hint = "; a 4-digit code is a municipality (set unit_type to municipality)"
        problems.append(
            Problem(
                file,
                r,
                "knr",
                "unknown_knr",
                f"unknown county code {text!r}: county authorities use a 2020 county code ({counties}){hint}{ref}",
            )
        )
        return None

    if not code.isdigit():
        problems.append(
            Problem(
                file, r, "knr", "unknown_knr", f"knr {text!r} is not a municipality number (4 digits, e.g. 0301){ref}"
            )
        )
        return None
    if len(code) == 3:
        warns.append(f"row {r}: knr {text!r} read as {code.zfill(4)!r} (leading zero restored)")
        code = code.zfill(4)
    if len(code) != 4:
        hint = ""
        if len(code) == 2 and code in lk.counties:
            hint = "; a 2-digit code is a county: set unit_type to county for county authorities"
        problems.append(
            Problem(file, r, "knr", "unknown_knr", f"knr {text!r} is not a 4-digit municipality number{hint}{ref}")
        )
        return None
    if code in lk.municipalities:
        return code
    old = lk.resolve_old(code)
    if old is None:
        problems.append(
            Problem(
                file,
                r,
                "knr",
                "unknown_knr",
                f"unknown knr {code}: neither a 2020 municipality nor a 2013-2019 code{ref}",
            )
        )
        return None
    old_name, targets, split = old
    label = f"{code} ({old_name})" if old_name else code
    if split:
        into = ", ".join(f"{k} {n}".strip() for k, n in targets) or "several municipalities"
        problems.append(
            Problem(
                file,
                r,
                "knr",
                "split_knr",
                f"knr {label} was split in 2020 between {into}; give the 2020 code of the part that answered{ref}",
            )
        )
        return None
    if not targets:
        problems.append(
            Problem(
                file,
                r,
                "knr",
                "unknown_knr",
                f"knr {label} is a 2013-2019 code without a 2020 successor in the register{ref}",
            )
        )
        return None
    new, new_name = targets[0]
    warns.append(f"row {r}: knr {label} is a 2013-2019 code; mapped to its 2020 successor {new} ({new_name})")
    return new


# --------------------------------------------------------------------------------------------------------------
# Public API
# --------------------------------------------------------------------------------------------------------------


def _read(
    raw: bytes, p: Path, file: str, sheet: str | None, problems: list[Problem], warns: list[str]
) -> SurveyTable | None:
    if not raw:
        problems.append(Problem(file, None, None, "empty_file", "the file is empty (0 bytes)"))
        return None
    fmt = detect_format(raw, p, file, problems)
    if fmt is None:
        return None
    if fmt in ("sav", "dta", "csv") and sheet is not None:
        warns.append(f"sheet {sheet!r} ignored: a {fmt.upper()} file has no sheets")
    if fmt == "xlsx":
        return _read_xlsx(raw, file, sheet, problems)
    if fmt == "ods":
        return read_ods(raw, file, sheet, problems)
    if fmt in ("sav", "dta"):
        return read_stat(raw, file, fmt, problems)
    try:
        return _read_csv(raw, file, problems)
    except Exception as exc:  # last resort: a parsing failure is a data problem, never a traceback
        problems.append(
            Problem(
                file,
                None,
                None,
                "unreadable",
                f"the file cannot be parsed as CSV ({type(exc).__name__}: {short_message(exc)})",
            )
        )
        return None


def read_table(path: str | Path, sheet: str | None = None) -> SurveyTable:
    """The file's header and cells as read (no validation); raises :class:`SurveyValidationError` when the file
    cannot be read at all (used by ``vsr map --init``)."""
    p = Path(path)
    with open(p, "rb") as fh:
        raw = fh.read()
    problems: list[Problem] = []
    warns: list[str] = []
    table = _read(raw, p, str(path), sheet, problems, warns)
    if table is None:
        raise SurveyValidationError(problems, warns)
    return table


def _apply_map(table: SurveyTable, smap: SurveyMap, warns: list[str]) -> None:
    """Rename the map's columns to their codebook items and mark the columns it ignores (in place)."""
    seen = set()
    for j, h in enumerate(table.header):
        name = (h or "").replace("\ufeff", "").strip()
        if name in smap.columns:
            seen.add(name)
            table.renamed[j] = name
            table.header[j] = smap.columns[name]
        elif name and smap.ignores(name):
            table.ignored.add(j)
    absent = [c for c in smap.columns if c not in seen]
    if absent:
        warns.append(f"map {smap.name}: column(s) {', '.join(map(repr, absent))} not in the file")


def load_survey(
    path: str | Path,
    sheet: str | None = None,
    *,
    survey_map: SurveyMap | str | Path | None = None,
    codebook: Codebook | None = None,
    register: pd.DataFrame | None = None,
    history: pd.DataFrame | None = None,
) -> SurveyData:
    """Load and validate a survey file (CSV, XLSX, ODS, SPSS .sav, Stata .dta); see the module docstring for formats
    and rules.  ``survey_map`` is a column map (:mod:`vsr_analysis.data.survey_map`) or the path of one.

    ``register`` (columns ``knr``, ``name``) and ``history`` (``old_knr, old_name, new_knr, new_name, split``)
    default to :func:`vsr_analysis.data.register.load_register` and :func:`~vsr_analysis.data.register.load_knr_history`.

    Returns a :class:`SurveyData`.  Raises :class:`SurveyValidationError` listing every problem (row numbers are
    1-based line numbers of the file, the header being row 1; sheet row numbers for XLSX and ODS; case numbers for
    SPSS and Stata), ``OSError`` if the path cannot be read (missing, a directory, no permission),
    :class:`~vsr_analysis.data.survey_map.MapError` for an unusable map and :class:`RegisterUnavailableError` or
    :class:`~vsr_analysis.data.codebook.CodebookError` when the project's own reference data are missing.
    """
    p = Path(path)
    file = str(path)
    cb = codebook if codebook is not None else load_codebook()
    smap = load_map(survey_map, cb) if survey_map is not None and not isinstance(survey_map, SurveyMap) else survey_map
    with open(p, "rb") as fh:  # read-only, once; everything else happens in memory
        raw = fh.read()
    digest = hashlib.sha256(raw).hexdigest()
    lk = _lookups(register, history)

    problems: list[Problem] = []
    warns: list[str] = []
    table = _read(raw, p, file, sheet, problems, warns)
    if table is None:
        raise SurveyValidationError(problems, warns)
    if smap is not None:
        _apply_map(table, smap, warns)

    counts: dict[str, dict[str, int]] = {"missing": {}, "declared": {}, "labels": {}}
    data = _validate(table, cb, lk, file, problems, warns, smap, counts)
    if table.renamed:  # name the file's own column beside the codebook item it was mapped to
        own = {table.header[j]: f"{orig} ({table.header[j]})" for j, orig in table.renamed.items()}
        problems = [
            Problem(q.file, q.row, own.get(q.column, q.column), q.kind, q.message) if q.column in own else q
            for q in problems
        ]
    if table.other_sheets and any(p.kind == "missing_required_item" for p in problems):
        problems.insert(0, _wrong_sheet_problem(file, table, cb))
    if problems or data is None:
        raise SurveyValidationError(problems, warns)
    return SurveyData(
        data=data,
        warnings=warns,
        sha256=digest,
        path=p,
        n_rows=len(table.rows),
        file_format=table.fmt,
        encoding=table.encoding,
        delimiter=table.delimiter,
        sheet=table.sheet,
        missing_code_counts=counts["missing"],
        declared_missing_counts=counts["declared"],
        labels_converted=sum(counts["labels"].values()),
        survey_map=smap,
    )
