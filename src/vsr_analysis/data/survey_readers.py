"""Recognising a survey file's format, and reading the binary formats a survey tool or data archive hands out.

:func:`detect_format` looks at the file's first bytes (and its suffix where the bytes are not enough) and
returns ``csv``, ``xlsx``, ``ods``, ``sav`` or ``dta``, or records why the file is refused: a format the loader
does not read (``unsupported_format``, saying which formats it reads and how to convert) or an encrypted,
password-protected Excel workbook (``encrypted``).

:func:`read_stat` reads SPSS ``.sav``/``.zsav`` and Stata ``.dta`` with pyreadstat, keeping the file's value
labels and user-missing declarations (SPSS missing values and ranges; Stata's ``.a``-``.z``) for the validation
to check against the codebook; :func:`read_ods` reads an OpenDocument spreadsheet with pandas' ODF reader.
Both return the same table of text cells as the CSV and XLSX readers, so that every format is validated by the
same code.  Rows of ``.sav``/``.dta`` files are case numbers (1 = the first case); they have no header row.
"""

from __future__ import annotations

import io
import math
from pathlib import Path

from vsr_analysis.data.survey_table import Problem, SurveyTable, cell_text, is_blank_row, short_message

#: What the loader reads, as every refusal states it.
FORMATS_READ = "CSV (.csv, .txt), Excel (.xlsx, .xlsm), OpenDocument (.ods), SPSS (.sav, .zsav) and Stata (.dta) files"

_ZIP_MAGIC = b"PK\x03\x04"
_OLE_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
_ODS_MIMETYPE = b"mimetypeapplication/vnd.oasis.opendocument.spreadsheet"
# The stream an encrypted Office Open XML document keeps its package in (MS-OFFCRYPTO), as a UTF-16 name in the
# compound file's directory.
_ENCRYPTED_PACKAGE = "EncryptedPackage".encode("utf-16-le")

# Formats recognised in order to refuse them with advice: suffix -> (what it is, how to convert it).
_UNSUPPORTED_SUFFIXES = {
    ".xls": ("legacy Excel (.xls)", "open it in Excel or LibreOffice and save it as .xlsx or CSV UTF-8"),
    ".sas7bdat": ("SAS (.sas7bdat)", "export it from SAS with PROC EXPORT as CSV or as a Stata .dta file"),
    ".xpt": ("SAS transport (.xpt)", "export it from SAS with PROC EXPORT as CSV or as a Stata .dta file"),
    ".por": ("SPSS portable (.por)", "open it in SPSS or PSPP and save it as .sav"),
    ".rds": ("R (.rds)", "write it from R with haven::write_sav() or write.csv()"),
    ".rdata": ("R (.RData)", "write it from R with haven::write_sav() or write.csv()"),
    ".parquet": ("Parquet", "write it as CSV (e.g. pandas.read_parquet(...).to_csv(...))"),
    ".feather": ("Feather", "write it as CSV (e.g. pandas.read_feather(...).to_csv(...))"),
    ".json": ("JSON", "export the survey as CSV or Excel from the survey tool"),
    ".numbers": ("Apple Numbers", "export it from Numbers as .xlsx or CSV"),
    ".pdf": ("PDF", "export the survey's data (not a report) as CSV, Excel or SPSS from the survey tool"),
    ".docx": ("Word", "export the survey's data as CSV, Excel or SPSS from the survey tool"),
    ".zip": ("ZIP archive", "unpack it and give the survey file inside"),
    ".gz": ("gzip archive", "unpack it and give the survey file inside"),
}
_UNSUPPORTED_MAGIC = (
    (b"%PDF", ".pdf"),
    (b"PAR1", ".parquet"),
    (b"\x1f\x8b", ".gz"),
)


def _unsupported(file: str, suffix: str, problems: list[Problem]) -> None:
    what, how = _UNSUPPORTED_SUFFIXES[suffix]
    problems.append(
        Problem(
            file,
            None,
            None,
            "unsupported_format",
            f"{what} files are not read; vsr reads {FORMATS_READ}: {how}",
        )
    )


def detect_format(raw: bytes, path: Path, file: str, problems: list[Problem]) -> str | None:
    """The reader for ``raw`` (``csv``, ``xlsx``, ``ods``, ``sav``, ``dta``), or None after recording a refusal."""
    suffix = path.suffix.lower()
    if raw.startswith(_OLE_MAGIC):
        if _ENCRYPTED_PACKAGE in raw:
            problems.append(
                Problem(
                    file,
                    None,
                    None,
                    "encrypted",
                    "the workbook is encrypted (password-protected) and cannot be read: open it in Excel, remove "
                    "the password (File > Info > Protect Workbook > Encrypt with Password, clear it) and save it "
                    "as .xlsx, or save it as CSV UTF-8",
                )
            )
        else:
            _unsupported(file, ".xls", problems)
        return None
    if raw.startswith((b"$FL2", b"$FL3")):
        return "sav"
    if raw.startswith(b"<stata_dta>") or (suffix == ".dta" and raw[:1] in (b"\x71", b"\x72", b"\x73")):
        return "dta"
    if suffix in (".sav", ".zsav", ".dta"):
        kind = "Stata" if suffix == ".dta" else "SPSS"
        problems.append(
            Problem(
                file,
                None,
                None,
                "unreadable",
                f"the file is named {suffix} but is not a {kind} data file (its first bytes are not a {kind} "
                f"header); vsr reads {FORMATS_READ}",
            )
        )
        return None
    if raw.startswith(_ZIP_MAGIC):
        if raw[30 : 30 + len(_ODS_MIMETYPE)] == _ODS_MIMETYPE or suffix == ".ods":
            return "ods"
        if suffix in _UNSUPPORTED_SUFFIXES:
            _unsupported(file, suffix, problems)
            return None
        return "xlsx"
    for magic, magic_suffix in _UNSUPPORTED_MAGIC:
        if raw.startswith(magic):
            _unsupported(file, magic_suffix, problems)
            return None
    if suffix in _UNSUPPORTED_SUFFIXES:
        _unsupported(file, suffix, problems)
        return None
    if suffix in (".xlsx", ".xlsm", ".ods"):
        return "ods" if suffix == ".ods" else "xlsx"
    return "csv"


# --------------------------------------------------------------------------------------------------------------
# SPSS and Stata
# --------------------------------------------------------------------------------------------------------------


def _code_text(value: object) -> str | None:
    if value is None:
        return None
    if isinstance(value, float) and math.isnan(value):
        return None
    if hasattr(value, "item") and not isinstance(value, str):  # numpy scalar
        value = value.item()
        if isinstance(value, float) and math.isnan(value):
            return None
    return cell_text(value)


def read_stat(raw: bytes, file: str, fmt: str, problems: list[Problem]) -> SurveyTable | None:
    """An SPSS (``sav``) or Stata (``dta``) file -> table of text cells with its value labels and user missing."""
    import pyreadstat  # local: only needed for these formats

    reader = pyreadstat.read_sav if fmt == "sav" else pyreadstat.read_dta
    try:
        frame, meta = reader(io.BytesIO(raw), user_missing=True, disable_datetime_conversion=True)
    except Exception as exc:  # pyreadstat raises its own ReadstatError / PyreadstatError on corrupt input
        kind = "SPSS" if fmt == "sav" else "Stata"
        problems.append(
            Problem(
                file,
                None,
                None,
                "unreadable",
                f"not a readable {kind} file ({type(exc).__name__}: {short_message(exc)})",
            )
        )
        return None
    header = [str(c) for c in frame.columns]
    if not header:
        problems.append(Problem(file, None, None, "empty_file", "the file has no variables"))
        return None
    columns = [frame[c].tolist() for c in frame.columns]
    rows = [(i + 1, [_code_text(col[i]) for col in columns]) for i in range(len(frame))]
    value_labels: dict[int, dict[str, str]] = {}
    for j, name in enumerate(header):
        labels = (meta.variable_value_labels or {}).get(name)
        if labels:
            value_labels[j] = {t: str(label) for code, label in labels.items() if (t := _code_text(code)) is not None}
    ranges: dict[int, list[tuple[float, float]]] = {}
    letters: dict[int, frozenset[str]] = {}
    for j, name in enumerate(header):
        for spec in (getattr(meta, "missing_ranges", None) or {}).get(name, []):
            lo, hi = spec.get("lo"), spec.get("hi")
            if isinstance(lo, (int, float)) and isinstance(hi, (int, float)):
                ranges.setdefault(j, []).append((float(lo), float(hi)))
            elif isinstance(lo, str):  # a string variable's discrete missing value
                letters[j] = letters.get(j, frozenset()) | {lo}
        user = (getattr(meta, "missing_user_values", None) or {}).get(name)
        if user:
            letters[j] = letters.get(j, frozenset()) | {str(v) for v in user}
    return SurveyTable(
        header_row=None,
        header=header,
        rows=[(r, cells) for r, cells in rows if any(c is not None and c.strip() for c in cells)],
        fmt=fmt,
        value_labels=value_labels,
        missing_ranges=ranges,
        missing_letters=letters,
    )


# --------------------------------------------------------------------------------------------------------------
# OpenDocument spreadsheets
# --------------------------------------------------------------------------------------------------------------


def read_ods(raw: bytes, file: str, sheet: str | None, problems: list[Problem]) -> SurveyTable | None:
    """An OpenDocument spreadsheet (first sheet, or ``sheet``) -> table of text cells with sheet row numbers."""
    import pandas as pd

    try:
        book = pd.ExcelFile(io.BytesIO(raw), engine="odf")
        names = [str(n) for n in book.sheet_names]
        if sheet is not None and sheet not in names:
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
        if not names:
            problems.append(Problem(file, None, None, "empty_file", "the workbook has no sheet"))
            return None
        title = sheet if sheet is not None else names[0]
        frame = pd.read_excel(book, sheet_name=title, header=None, dtype=object)
    except Exception as exc:  # odfpy / zipfile / xml errors on corrupt input
        problems.append(
            Problem(
                file,
                None,
                None,
                "unreadable",
                f"not a readable OpenDocument spreadsheet ({type(exc).__name__}: {short_message(exc)})",
            )
        )
        return None
    all_rows = [
        (i + 1, [cell_text(None if _isna(v) else v) for v in values])
        for i, values in enumerate(frame.itertuples(index=False, name=None))
    ]
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
    return SurveyTable(header_row=header_row, header=header, rows=rows, fmt="ods", sheet=title)


def _isna(value: object) -> bool:
    return value is None or (isinstance(value, float) and math.isnan(value))
