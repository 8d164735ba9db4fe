"""Property-based tests: whatever bytes a user brings, the loader either returns validated data or raises
SurveyValidationError, never anything else, never modifies the file and never writes a file."""

from __future__ import annotations

import io
import os
import tempfile
from pathlib import Path

import pandas as pd
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from vsr_analysis.data.codebook import load_codebook
from vsr_analysis.data.survey_file import PROBLEM_KINDS, SurveyData, SurveyValidationError, load_survey

CB = load_codebook()
ITEMS = CB.answer_items()
CORPUS = Path(__file__).resolve().parent / "corpus"

# A tiny register and code history so that the properties do not depend on data/register/.
REGISTER = pd.DataFrame(
    {
        "knr": ["0301", "1103", "3024", "4601", "5001"],
        "name": ["Oslo", "Stavanger", "Bærum", "Bergen", "Trondheim"],
        "county_code": ["03", "11", "30", "46", "50"],
    }
)
HISTORY = pd.DataFrame(
    {
        "old_knr": ["0219", "1201", "1850", "1850"],
        "old_name": ["Bærum", "Bergen", "Tysfjord", "Tysfjord"],
        "new_knr": ["3024", "4601", "5001", "4601"],
        "new_name": ["Bærum", "Bergen", "x", "y"],
        "split": [0, 0, 1, 1],
    }
)

# Moderate by default so the suite stays fast; VSR_FUZZ_EXAMPLES=5000 fuzzes longer.
EXAMPLES = int(os.environ.get("VSR_FUZZ_EXAMPLES", "150"))
SETTINGS = settings(max_examples=EXAMPLES, deadline=None, suppress_health_check=[HealthCheck.too_slow])


def _load_in_fresh_dir(content: bytes, name: str, sheet: str | None = None):
    """Write ``content`` to a new folder, load it, and check the file and folder are untouched."""
    with tempfile.TemporaryDirectory() as d:
        path = Path(d) / name
        path.write_bytes(content)
        stat = os.stat(path)
        try:
            result = load_survey(path, sheet, codebook=CB, register=REGISTER, history=HISTORY)
        except SurveyValidationError as exc:
            result = exc
        assert os.listdir(d) == [name], "the loader wrote a file"
        assert path.read_bytes() == content
        assert os.stat(path).st_mtime_ns == stat.st_mtime_ns
    if isinstance(result, SurveyValidationError):
        assert result.problems, "an error without problems"
        for p in result.problems:
            assert p.kind in PROBLEM_KINDS and p.message and p.file.endswith(name)
            assert p.row is None or p.row >= 1
        text = str(result)
        assert len(text.splitlines()) == len(result.problems) + 1  # one line per problem + summary
    else:
        assert isinstance(result, SurveyData)
        _check_valid(result)
    return result


def _check_valid(result: SurveyData) -> None:
    data = result.data
    assert len(data) == result.n_rows >= 1
    muni = data[data["unit_type"] == "municipality"]
    assert set(muni["knr"]) <= set(REGISTER["knr"])
    assert muni["knr"].is_unique
    for name in ITEMS:
        assert str(data[name].dtype) == "Int64"
        values = set(data[name].dropna().tolist())
        assert values <= CB.item(name).valid_codes, name


@SETTINGS
@given(content=st.binary(max_size=3000), name=st.sampled_from(["s.csv", "s.xlsx", "s.txt", "s"]))
def test_random_bytes_never_crash(content, name):
    _load_in_fresh_dir(content, name)


CELL = st.one_of(
    st.sampled_from(
        [
            "",
            " ",
            "0",
            "1",
            "2",
            "3",
            "5",
            "7",
            "99",
            "-1",
            "2.5",
            "3,0",
            "1e3",
            "tre",
            "vet ikke",
            "0301",
            "301",
            "3024",
            "0219",
            "1850",
            "9998",
            "46",
            "county",
            "kommune",
            "bydel",
            '"',
            '""',
            "\u00e6\u00f8\u00e5",
            "\u00a0",
            "9" * 30,
            "\r",
            "\n",
        ]
    ),
    st.text(alphabet=st.characters(blacklist_categories=("Cs",)), max_size=8),
)
HEADER = st.lists(
    st.sampled_from(["knr", "unit_type", "name", *ITEMS, "kommentar", "", "KNR", "knr "]), min_size=0, max_size=30
)


@st.composite
def csv_like(draw) -> bytes:
    header = draw(HEADER)
    width = max(1, len(header))
    rows = draw(st.lists(st.lists(CELL, min_size=0, max_size=width + 2), max_size=8))
    sep = draw(st.sampled_from([",", ";", "\t", "|"]))
    eol = draw(st.sampled_from(["\n", "\r\n", "\r"]))
    text = eol.join(sep.join(r) for r in [header, *rows])
    encoding = draw(st.sampled_from(["utf-8", "utf-8-sig", "cp1252", "latin-1", "utf-16"]))
    return text.encode(encoding, errors="replace")


@SETTINGS
@given(content=csv_like())
def test_random_csv_like_text_never_crashes(content):
    _load_in_fresh_dir(content, "survey.csv")


@settings(max_examples=max(20, EXAMPLES // 3), deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=st.data())
def test_damaged_xlsx_never_crashes(data):
    raw = bytearray((CORPUS / "valid.xlsx").read_bytes())
    n = data.draw(st.integers(min_value=1, max_value=8))
    for _ in range(n):
        pos = data.draw(st.integers(min_value=0, max_value=len(raw) - 1))
        raw[pos] = data.draw(st.integers(min_value=0, max_value=255))
    cut = data.draw(st.integers(min_value=0, max_value=len(raw)))
    sheet = data.draw(st.sampled_from([None, "Svar", "Notater", "x"]))
    _load_in_fresh_dir(bytes(raw[:cut] if data.draw(st.booleans()) else raw), "s.xlsx", sheet)


# --- valid files round-trip, whatever the dialect ------------------------------------------------------------


@st.composite
def valid_survey(draw):
    knrs = draw(st.lists(st.sampled_from(list(REGISTER["knr"])), min_size=1, max_size=5, unique=True))
    rows = []
    for knr in knrs:
        row = {"knr": knr}
        for name in ITEMS:
            item = CB.item(name)
            choices = sorted(item.valid_codes) + sorted(item.missing_code_values) + [None]
            row[name] = draw(st.sampled_from(choices))
        rows.append(row)
    return rows


@settings(max_examples=max(20, EXAMPLES * 2 // 3), deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    rows=valid_survey(),
    sep=st.sampled_from([",", ";", "\t"]),
    decimal_comma=st.booleans(),
    encoding=st.sampled_from(["utf-8", "utf-8-sig", "cp1252"]),
    eol=st.sampled_from(["\n", "\r\n"]),
    strip_zero=st.booleans(),
    as_xlsx=st.booleans(),
)
def test_valid_files_round_trip(rows, sep, decimal_comma, encoding, eol, strip_zero, as_xlsx):
    header = ["knr", *ITEMS]

    def cell(name, value):
        if value is None:
            return ""
        if name == "knr":
            return value.lstrip("0") if strip_zero and value.startswith("0") else value
        return f"{value},0" if decimal_comma and sep == ";" else str(value)

    if as_xlsx:
        import openpyxl

        wb = openpyxl.Workbook()
        ws = wb.active
        ws.append(header)
        for r in rows:
            ws.append([int(r["knr"]) if strip_zero else r["knr"], *(r[n] for n in ITEMS)])
        buf = io.BytesIO()
        wb.save(buf)
        content, name = buf.getvalue(), "s.xlsx"
    else:
        lines = [sep.join(header)] + [sep.join(cell(h, r[h]) for h in header) for r in rows]
        content, name = (eol.join(lines) + eol).encode(encoding), "s.csv"

    result = _load_in_fresh_dir(content, name)
    assert isinstance(result, SurveyData), str(result)
    assert result.data["knr"].tolist() == [r["knr"] for r in rows]
    for name_ in ITEMS:
        missing = CB.item(name_).missing_code_values
        expected = [None if (r[name_] is None or r[name_] in missing) else r[name_] for r in rows]
        got = [None if pd.isna(v) else int(v) for v in result.data[name_]]
        assert got == expected, name_
    zero_warnings = sum("leading zero" in w for w in result.warnings)
    assert zero_warnings == (sum(r["knr"].startswith("0") for r in rows) if strip_zero else 0)
