"""Write the malformed-survey corpus of tests/corpus/ and its expected.yml (run: python tests/corpus/make_corpus.py).

Every file is written from the literal content below (no randomness except a fixed-seed byte string), and the
XLSX files get fixed zip timestamps, so running this again reproduces the committed files byte for byte
(tests/test_survey.py checks that).  The expected problems of each case are written here by hand, next to the
file that should cause them: ``row`` is the 1-based line (CSV) or sheet row (XLSX) with the header as row 1,
``None`` for problems with the whole file.

    python tests/corpus/make_corpus.py [--out DIR]
"""

from __future__ import annotations

import argparse
import io
import random
import re
import zipfile
from pathlib import Path

import yaml

HERE = Path(__file__).resolve().parent

# The instrument's items (../shared/reference/instrument.md), in order, without the optional unit_type.
ITEMS = [
    "knr",
    "maturity_stage",
    "sdg_in_planning_strategy",
    "sdg_in_master_plan",
    "sdg_in_budget",
    "sdg_in_management",
    "measures_progress",
    "political_anchoring",
    "admin_anchoring",
    "network_member",
    "network_ks",
    "network_regional",
    "network_international",
    "cooperates_with_county",
    "barrier_capacity",
    "barrier_competence",
    "barrier_methods_tools",
    "barrier_political_ownership",
    "barrier_national_guidance",
    "barrier_funding",
    "barrier_policy_coherence",
    "priority_sdg_1",
    "priority_sdg_2",
    "priority_sdg_3",
]


def answers(knr: str, k: int, **override: object) -> dict[str, object]:
    """A valid, deterministic row of answers; ``k`` varies the values."""
    row: dict[str, object] = {
        "knr": knr,
        "maturity_stage": k % 6,
        "political_anchoring": 1 + k % 5,
        "admin_anchoring": 1 + (k + 2) % 5,
        "priority_sdg_1": 1 + k % 17,
        "priority_sdg_2": 1 + (k + 5) % 17,
        "priority_sdg_3": 1 + (k + 11) % 17,
    }
    for i, name in enumerate(ITEMS):
        if name not in row:
            row[name] = (k + i) % 2
    row.update(override)
    return row


def csv_text(header: list[str], rows: list[dict[str, object]], sep: str = ",", eol: str = "\n") -> str:
    lines = [sep.join(header)]
    for r in rows:
        lines.append(sep.join("" if r.get(h) is None else str(r.get(h)) for h in header))
    return eol.join(lines) + eol


def fixed_zip(data: bytes) -> bytes:
    """Rewrite a zip (an XLSX) with fixed timestamps and order so that it is byte-reproducible."""
    src = zipfile.ZipFile(io.BytesIO(data))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", compression=zipfile.ZIP_DEFLATED) as dst:
        for info in src.infolist():
            zi = zipfile.ZipInfo(info.filename, date_time=(2021, 1, 1, 0, 0, 0))
            zi.compress_type = zipfile.ZIP_DEFLATED
            zi.external_attr = 0o600 << 16
            content = src.read(info.filename)
            if info.filename == "docProps/core.xml":  # openpyxl stamps the save time into 'modified'
                content = re.sub(rb"(<dcterms:modified[^>]*>)[^<]*", rb"\g<1>2021-01-01T00:00:00Z", content)
            dst.writestr(zi, content)
    return out.getvalue()


def xlsx_bytes(sheets: list[tuple[str, list[list[object]]]]) -> bytes:
    import datetime as dt

    import openpyxl

    wb = openpyxl.Workbook()
    wb.remove(wb.active)
    for title, rows in sheets:
        ws = wb.create_sheet(title)
        for r in rows:
            ws.append(r)
    stamp = dt.datetime(2021, 1, 1)
    wb.properties.created = stamp
    wb.properties.modified = stamp
    wb.properties.creator = "vsr-analysis corpus"
    buf = io.BytesIO()
    wb.save(buf)
    return fixed_zip(buf.getvalue())


def P(row, column, kind):  # noqa: N802 - short on purpose: one expected problem
    return {"row": row, "column": column, "kind": kind}


def build() -> tuple[dict[str, bytes], list[dict]]:
    files: dict[str, bytes] = {}
    cases: list[dict] = []

    def add(name, content, what, problems=(), warnings=(), **extra):
        if content is not None:
            files[name] = content if isinstance(content, bytes) else content.encode("utf-8")
        case = {"file": name, "what": what, "problems": list(problems), "warnings": list(warnings)}
        case.update(extra)
        cases.append(case)

    base = [answers("0301", 1), answers("1103", 2, maturity_stage=99), answers("4601", 3), answers("5001", 4)]

    # --- valid files ------------------------------------------------------------------------------------------
    add(
        "valid_comma_utf8.csv",
        csv_text(ITEMS, base),
        "valid: comma, UTF-8, 99 = don't know in maturity_stage",
        n_municipalities=4,
        n_counties=0,
        encoding="utf-8",
        delimiter=",",
    )
    add(
        "valid_bom_crlf.csv",
        b"\xef\xbb\xbf"
        + csv_text(["unit_type"] + ITEMS, base + [answers("46", 5, unit_type="county")], eol="\r\n").encode("utf-8"),
        "valid: UTF-8 with BOM, CRLF line ends, one county authority",
        n_municipalities=4,
        n_counties=1,
        encoding="utf-8-sig",
        delimiter=",",
    )
    rows = [
        answers("3024", 6, name="Bærum", maturity_stage="3,0", political_anchoring="4,00"),
        answers("5401", 7, name="Tromsø - Romsa - Tromssa", admin_anchoring=" 2 "),
        answers("1507", 8, name="Ålesund"),
    ]
    add(
        "valid_semicolon_decimal_comma_cp1252.csv",
        csv_text(["name"] + ITEMS, rows, sep=";").encode("cp1252"),
        "valid: Windows-1252 with æøå in the name column, ';' delimiter, decimal comma 3,0",
        n_municipalities=3,
        n_counties=0,
        encoding="cp1252",
        delimiter=";",
    )
    rows = [answers("0219", 9), answers("1201", 10), answers("301", 11)]
    add(
        "old_codes_mapped.csv",
        csv_text(ITEMS, rows),
        "valid with warnings: 2013-2019 codes mapped (0219 Bærum -> 3024, 1201 Bergen -> 4601), 301 -> 0301",
        warnings=["row 2: knr 0219", "row 3: knr 1201", "row 4: knr '301' read as '0301'"],
        n_municipalities=3,
        n_counties=0,
        knr=["3024", "4601", "0301"],
    )
    rows = [
        answers("0301", 12),
        answers("03", 13, unit_type="county"),
        answers("46", 14, unit_type="fylkeskommune"),
        answers("1806", 15, unit_type=""),
        answers("5001", 16, unit_type="Kommune"),
    ]
    add(
        "county_rows.csv",
        csv_text(["unit_type"] + ITEMS, rows),
        "valid: county authorities (unit_type county / fylkeskommune) beside municipalities (blank / Kommune)",
        n_municipalities=3,
        n_counties=2,
    )
    cols = ["name"] + ITEMS
    body = csv_text(
        cols,
        [answers("1103", 18, name='"Stavanger\nkommune"'), answers("5001", 19, name="", maturity_stage=6)],
        sep=";",
    ).split("\n", 1)[1]
    text = "sep=;\n" + csv_text(cols, [answers("0301", 17, name="Oslo")], sep=";") + "\n;;\n" + body
    add(
        "sep_line_blank_lines_multiline.csv",
        text,
        "Excel 'sep=;' first line, a blank line and a line of empty fields, a quoted name spanning lines 6-7: "
        "row numbers are file line numbers (header on line 2), so maturity 6 is reported on line 8",
        problems=[P(8, "maturity_stage", "out_of_range")],
    )

    # --- encodings and unreadable files ------------------------------------------------------------------------
    good = csv_text(
        ["name"] + ITEMS,
        [answers("5401", 20, name="Tromsø"), answers("1103", 21, name="Stavanger"), answers("3024", 22, name="BÆRUM")],
    )
    raw = good.encode("utf-8").replace("BÆRUM".encode(), "BÆRUM".encode("latin-1"))
    add(
        "bad_encoding_mixed.csv",
        raw,
        "UTF-8 file with one latin-1 byte (Æ) on line 4",
        problems=[P(4, None, "bad_encoding")],
    )
    add(
        "utf16.csv",
        csv_text(ITEMS, base).encode("utf-16"),
        "UTF-16 with BOM (Excel 'Unicode text')",
        problems=[P(None, None, "bad_encoding")],
    )
    add(
        "control_chars.csv",
        csv_text(ITEMS, base).replace("1103", "11\x0103"),
        "a control character (U+0001) on line 3",
        problems=[P(3, None, "bad_encoding")],
    )
    garbage = b"\x89PNG\r\n\x1a\n" + b"\x00\x00\x00\rIHDR" + random.Random(2021).randbytes(400)
    add(
        "garbage.bin",
        garbage,
        "binary garbage (a PNG-like header; first NUL byte on line 3)",
        problems=[P(3, None, "bad_encoding")],
    )
    add("empty.csv", b"", "zero bytes", problems=[P(None, None, "empty_file")])
    add(
        "whitespace_only.csv",
        b"\xef\xbb\xbf \r\n\r\n",
        "a BOM and blank lines only",
        problems=[P(None, None, "empty_file")],
    )
    add("header_only.csv", csv_text(ITEMS, []), "a header and no data rows", problems=[P(None, None, "empty_file")])

    # --- header problems ----------------------------------------------------------------------------------------
    header = [
        "kommentar" if h == "measures_progress" else "sdg_in_budjet" if h == "sdg_in_budget" else h for h in ITEMS
    ]
    rows = [dict(r, kommentar="ok", sdg_in_budjet=1) for r in base]
    add(
        "unknown_item.csv",
        csv_text(header, rows),
        "unknown columns 'sdg_in_budjet' (misspelt) and 'kommentar'; so sdg_in_budget and measures_progress are missing",
        problems=[
            P(1, "sdg_in_budjet", "unknown_item"),
            P(1, "kommentar", "unknown_item"),
            P(1, "sdg_in_budget", "missing_required_item"),
            P(1, "measures_progress", "missing_required_item"),
        ],
    )
    add(
        "missing_maturity_stage.csv",
        csv_text([h for h in ITEMS if h != "maturity_stage"], base),
        "no maturity_stage column",
        problems=[P(1, "maturity_stage", "missing_required_item")],
    )
    add(
        "duplicate_header.csv",
        csv_text(ITEMS + ["maturity_stage"], base),
        "maturity_stage twice in the header",
        problems=[P(1, "maturity_stage", "duplicate_item")],
    )
    text = csv_text(ITEMS + [""], [dict(base[0], **{"": "x"})] + base[1:])
    add(
        "unnamed_column_with_data.csv",
        text,
        "a trailing column without a name: empty cells are ignored, a value in it is an error",
        problems=[P(1, "column 25", "unknown_item")],
    )

    # --- value problems -----------------------------------------------------------------------------------------
    rows = [
        answers("0301", 30, maturity_stage=7),
        answers("1103", 31, political_anchoring=0, sdg_in_budget=99),
        answers("4601", 32, admin_anchoring=2.5),
        answers("5001", 33, priority_sdg_1=18, barrier_funding=2),
        answers("1806", 34, maturity_stage=-1, political_anchoring=99),
    ]
    add(
        "out_of_range.csv",
        csv_text(ITEMS, rows),
        "maturity 7 and -1, Likert 0, binary 99 (no missing code there), 2.5, SDG 18, binary 2; "
        "Likert 99 is a declared missing code and fine",
        problems=[
            P(2, "maturity_stage", "out_of_range"),
            P(3, "sdg_in_budget", "out_of_range"),
            P(3, "political_anchoring", "out_of_range"),
            P(4, "admin_anchoring", "out_of_range"),
            P(5, "barrier_funding", "out_of_range"),
            P(5, "priority_sdg_1", "out_of_range"),
            P(6, "maturity_stage", "out_of_range"),
        ],
    )
    rows = [
        answers("0301", 35),
        answers("1103", 36, political_anchoring="tre"),
        answers("4601", 37, network_member="ja", maturity_stage="vet ikke"),
        answers("5001", 38, priority_sdg_2="1e1"),
    ]
    add(
        "non_numeric.csv",
        csv_text(ITEMS, rows),
        "'tre' (a word, no codebook label), 'ja' and 'vet ikke' (codebook labels: read as 1 and missing), '1e1'",
        problems=[
            P(3, "political_anchoring", "unknown_label"),
            P(5, "priority_sdg_2", "non_numeric"),
        ],
    )
    rows = [answers("4601", 40), answers("0301", 41), answers("1103", 42), answers("4601", 43), answers("1201", 44)]
    add(
        "duplicate_knr.csv",
        csv_text(ITEMS, rows),
        "4601 on rows 2 and 5; 1201 (Bergen before 2020) on row 6 maps to 4601 too",
        problems=[P(5, "knr", "duplicate_knr"), P(6, "knr", "duplicate_knr")],
        warnings=["row 6: knr 1201"],
    )
    rows = [
        answers("0301", 45),
        answers("9998", 46),
        answers("abcd", 47),
        answers("12345", 48),
        answers("46", 49),
        answers("", 50),
    ]
    add(
        "unknown_knr.csv",
        csv_text(ITEMS, rows),
        "9998, 'abcd', 12345, a county code 46 without unit_type, and a blank knr",
        problems=[
            P(3, "knr", "unknown_knr"),
            P(4, "knr", "unknown_knr"),
            P(5, "knr", "unknown_knr"),
            P(6, "knr", "unknown_knr"),
            P(7, "knr", "missing_knr"),
        ],
    )
    rows = [answers("1850", 51), answers("0301", 52), answers("5012", 53), answers("1613", 54)]
    add(
        "split_knr.csv",
        csv_text(ITEMS, rows),
        "1850 Tysfjord (split 2020 into Narvik and Hamarøy), 5012 and 1613 Snillfjord (split into Heim, Hitra, Orkland)",
        problems=[P(2, "knr", "split_knr"), P(4, "knr", "split_knr"), P(5, "knr", "split_knr")],
    )
    rows = [
        answers("0301", 55, unit_type="bydel"),
        answers("12", 56, unit_type="county"),
        answers("4601", 57, unit_type="county"),
        answers("46", 58, unit_type="county"),
        answers("46", 59, unit_type="fylke"),
    ]
    add(
        "bad_county.csv",
        csv_text(["unit_type"] + ITEMS, rows),
        "unit_type 'bydel'; county code 12 (Hordaland before 2020); a 4-digit code as a county; county 46 twice",
        problems=[
            P(2, "unit_type", "bad_unit_type"),
            P(3, "knr", "unknown_knr"),
            P(4, "knr", "unknown_knr"),
            P(6, "knr", "duplicate_knr"),
        ],
    )
    rows = [answers("0301", 60), answers("1103", 61, priority_sdg_3="3,0"), answers("4601", 62), answers("5001", 63)]
    text = csv_text(ITEMS, rows).splitlines(keepends=True)
    text[4] = text[4].rsplit(",", 2)[0] + "\n"  # row 5 lacks its last two fields
    add(
        "ragged_rows.csv",
        "".join(text),
        "row 3 has an unquoted decimal comma (one field too many), row 5 two fields too few",
        problems=[P(3, None, "ragged_row"), P(5, None, "ragged_row")],
    )
    header = ["kommune"] + ITEMS[1:]
    rows = [
        answers("0301", 64, kommune="0301"),
        answers("1850", 65, maturity_stage=8, kommune="1850"),
        answers("0301", 66, kommune="0301", political_anchoring="fire"),
    ]
    add(
        "many_problems.csv",
        csv_text(header + ["maturity_stage"], rows, sep=";"),
        "several kinds at once: unknown item, missing knr column, duplicate column, out of range, non-numeric",
        problems=[
            P(1, "kommune", "unknown_item"),
            P(1, "maturity_stage", "duplicate_item"),
            P(1, "knr", "missing_required_item"),
            P(3, "maturity_stage", "out_of_range"),
            P(4, "political_anchoring", "unknown_label"),
        ],
    )

    # --- XLSX ---------------------------------------------------------------------------------------------------
    def sheet_rows(header, rows):
        return [header] + [[r.get(h) for h in header] for r in rows]

    header = ["unit_type"] + ITEMS
    rows = [
        answers(301, 70),
        answers(4601, 71, maturity_stage=3.0),
        answers(46, 72, unit_type="county"),
        answers("5001", 73, political_anchoring=None),
    ]
    valid_xlsx = xlsx_bytes([("Svar", sheet_rows(header, rows)), ("Notater", [["notes"], ["not survey data"]])])
    add(
        "valid.xlsx",
        valid_xlsx,
        "valid XLSX, first sheet 'Svar'; knr as numbers (301 -> 0301 with a warning)",
        warnings=["row 2: knr '301' read as '0301'"],
        n_municipalities=3,
        n_counties=1,
        sheet_used="Svar",
    )
    add(
        "valid.xlsx",
        None,
        "the same workbook, sheet named explicitly",
        sheet="Svar",
        warnings=["row 2: knr '301' read as '0301'"],
        n_municipalities=3,
        n_counties=1,
        sheet_used="Svar",
    )
    add("valid.xlsx", None, "a sheet that does not exist", sheet="Ark1", problems=[P(None, None, "unknown_sheet")])
    add(
        "valid.xlsx",
        None,
        "the notes sheet: no survey columns",
        sheet="Notater",
        problems=[P(1, "notes", "unknown_item")] + [P(1, h, "missing_required_item") for h in ITEMS],
    )
    add(
        "notes_first.xlsx",
        xlsx_bytes([("Notater", [["notes"], ["read me first"]]), ("Svar", sheet_rows(header, rows))]),
        "the data on the second sheet, none named: the sheets are named and --sheet suggested",
        problems=[P(None, None, "wrong_sheet"), P(1, "notes", "unknown_item")]
        + [P(1, h, "missing_required_item") for h in ITEMS],
    )
    add(
        "notes_first.xlsx",
        None,
        "the same workbook with --sheet Svar: valid",
        sheet="Svar",
        warnings=["row 2: knr '301' read as '0301'"],
        n_municipalities=3,
        n_counties=1,
        sheet_used="Svar",
    )
    rows = [
        answers(301, 74),
        answers(1103, 75, maturity_stage=7),
        answers(4601, 76, political_anchoring="tre"),
        answers(5001, 77, admin_anchoring=2.5),
        answers(9998, 78),
        {},
        answers(1103, 79, sdg_in_budget=True),
    ]
    add(
        "bad_values.xlsx",
        xlsx_bytes([("Sheet1", [[None], *sheet_rows(ITEMS, rows)])]),
        "header on sheet row 2 (row 1 empty); 7, 'tre', 2.5, 9998, an empty row 8, then 1103 again with TRUE",
        problems=[
            P(4, "maturity_stage", "out_of_range"),
            P(5, "political_anchoring", "unknown_label"),
            P(6, "admin_anchoring", "out_of_range"),
            P(7, "knr", "unknown_knr"),
            P(9, "knr", "duplicate_knr"),
            P(9, "sdg_in_budget", "unknown_label"),
        ],
        warnings=["row 3: knr '301' read as '0301'"],
    )
    add(
        "corrupt.xlsx",
        valid_xlsx[: len(valid_xlsx) // 2],
        "an XLSX cut in half",
        problems=[P(None, None, "unreadable")],
    )
    add("not_really.xlsx", csv_text(ITEMS, base), "a CSV text file named .xlsx", problems=[P(None, None, "unreadable")])
    add(
        "legacy.xls",
        b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + bytes(504),
        "a legacy .xls (OLE2) header",
        problems=[P(None, None, "unsupported_format")],
    )
    # an encrypted Office document is a compound (OLE2) file whose package sits in an 'EncryptedPackage' stream
    # (MS-OFFCRYPTO); this stand-in has the header and that directory entry name, which is what the loader reads
    add(
        "encrypted.xlsx",
        b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + bytes(504) + "EncryptedPackage".encode("utf-16-le") + bytes(32),
        "a password-protected workbook (an OLE2 file with an EncryptedPackage stream)",
        problems=[P(None, None, "encrypted")],
    )
    add(
        "survey.sas7bdat",
        bytes(range(32)) * 4,
        "a SAS data set, a format the loader refuses with advice",
        problems=[P(None, None, "unsupported_format")],
    )
    add(
        "label_mismatch.sav",
        sav_bytes(
            [answers("0301", 3), answers("1103", 4, maturity_stage=99), answers("4601", 5)],
            labels={"maturity_stage": {3: "i planene", 4: "helt enig", 99: "vet ikke"}},
            missing={"maturity_stage": [99]},
        ),
        "SPSS file whose value label of maturity_stage 4 is 'helt enig' (the codebook: 'operasjonalisert'); "
        "99 declared user-missing",
        problems=[P(None, "maturity_stage", "label_mismatch")],
    )
    return files, cases


def sav_bytes(rows: list[dict[str, object]], labels: dict, missing: dict) -> bytes:
    """An SPSS .sav of ``rows`` with value labels and user-missing values (pyreadstat), with a fixed creation
    date and time in the header so that the bytes are reproducible."""
    import tempfile

    import pandas as pd
    import pyreadstat

    frame = pd.DataFrame(rows, columns=ITEMS).astype({c: "float64" for c in ITEMS if c != "knr"})
    frame["knr"] = frame["knr"].astype(str)
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "x.sav"
        pyreadstat.write_sav(frame, path, variable_value_labels=labels, missing_ranges=missing)
        data = bytearray(path.read_bytes())
    data[92:109] = b"01 Jan 2100:00:00"  # creation date (9 bytes) and time (8 bytes) of the SPSS header
    return bytes(data)


def write(out: Path) -> list[Path]:
    files, cases = build()
    out.mkdir(parents=True, exist_ok=True)
    written = []
    for name, content in files.items():
        (out / name).write_bytes(content)
        written.append(out / name)
    head = (
        "# Expected result of loading each corpus file: written by make_corpus.py, do not edit by hand.\n"
        "# problems: exactly these (row, column, kind), all reported at once; row = 1-based file line\n"
        "# (CSV) or sheet row (XLSX) counting the header as row 1; null = the whole file.\n"
        "# warnings: exactly this many warnings, the i-th containing the i-th text.\n"
    )
    body = yaml.safe_dump({"cases": cases}, allow_unicode=True, sort_keys=False, width=120)
    (out / "expected.yml").write_text(head + body, encoding="utf-8")
    written.append(out / "expected.yml")
    return written


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=HERE)
    args = parser.parse_args()
    for p in write(args.out):
        print(p)


if __name__ == "__main__":
    main()
