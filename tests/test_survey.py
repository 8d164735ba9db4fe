"""The survey loader: the malformed-file corpus (tests/corpus/expected.yml), values, the frame and `vsr validate`."""

from __future__ import annotations

import argparse
import hashlib
import importlib.util
import os
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest
import yaml

from vsr_analysis import paths
from vsr_analysis.cli import main as vsr_main
from vsr_analysis.cli.validate import cli_validate
from vsr_analysis.data.codebook import load_codebook
from vsr_analysis.data.frame import build_frame, county_rows
from vsr_analysis.data.survey_file import (
    PROBLEM_KINDS,
    Problem,
    SurveyValidationError,
    load_survey,
)

CORPUS = Path(__file__).resolve().parent / "corpus"
EXPECTED = yaml.safe_load((CORPUS / "expected.yml").read_text(encoding="utf-8"))["cases"]
VSR = Path(sys.executable).with_name("vsr")

REGISTER_FILES = [paths.register_dir() / "municipalities_2020.csv", paths.register_dir() / "knr_history_2013_2020.csv"]
HAVE_REGISTER = all(p.is_file() for p in REGISTER_FILES)
needs_register = pytest.mark.skipif(not HAVE_REGISTER, reason="data/register/ has not been built yet")

# A small stand-in for the register, used only where data/register/ is absent: every code the corpus uses.
_FIXTURE_REGISTER = [
    ("0301", "Oslo", "03"),
    ("1103", "Stavanger", "11"),
    ("1507", "Ålesund", "15"),
    ("1806", "Narvik", "18"),
    ("1875", "Hamarøy", "18"),
    ("3024", "Bærum", "30"),
    ("4601", "Bergen", "46"),
    ("5001", "Trondheim", "50"),
    ("5055", "Heim", "50"),
    ("5056", "Hitra", "50"),
    ("5059", "Orkland", "50"),
    ("5401", "Tromsø", "54"),
]
_FIXTURE_HISTORY = [
    ("0219", "Bærum", "3024", "Bærum", 0),
    ("1201", "Bergen", "4601", "Bergen", 0),
    ("1850", "Tysfjord", "1806", "Narvik", 1),
    ("1850", "Tysfjord", "1875", "Hamarøy", 1),
    ("5012", "Snillfjord", "5055", "Heim", 1),
    ("5012", "Snillfjord", "5056", "Hitra", 1),
    ("5012", "Snillfjord", "5059", "Orkland", 1),
    ("1613", "Snillfjord", "5055", "Heim", 1),
    ("1613", "Snillfjord", "5056", "Hitra", 1),
    ("1613", "Snillfjord", "5059", "Orkland", 1),
]


@pytest.fixture(scope="module")
def register() -> pd.DataFrame:
    if HAVE_REGISTER:
        from vsr_analysis.data.register import load_register

        return load_register()
    return pd.DataFrame(_FIXTURE_REGISTER, columns=["knr", "name", "county_code"]).assign(network_ks=0)


@pytest.fixture(scope="module")
def history() -> pd.DataFrame:
    if HAVE_REGISTER:
        from vsr_analysis.data.register import load_knr_history

        return load_knr_history()
    return pd.DataFrame(_FIXTURE_HISTORY, columns=["old_knr", "old_name", "new_knr", "new_name", "split"])


@pytest.fixture(scope="module")
def load(register, history):
    def _load(path, sheet=None):
        return load_survey(path, sheet, register=register, history=history)

    return _load


def _key(p: dict) -> tuple:
    return (p["row"] is not None, p["row"] or 0, str(p["column"]), p["kind"])


def _case_id(case: dict) -> str:
    return case["file"] + (f"[{case['sheet']}]" if case.get("sheet") else "")


# --------------------------------------------------------------------------------------------------------------
# The corpus
# --------------------------------------------------------------------------------------------------------------


def test_corpus_is_big_enough():
    files = {c["file"] for c in EXPECTED}
    assert len(files) >= 15
    assert sum(1 for c in EXPECTED if c["problems"]) >= 15
    for name in files:
        assert (CORPUS / name).is_file(), name
    kinds = {p["kind"] for c in EXPECTED for p in c["problems"]}
    assert kinds == set(PROBLEM_KINDS), set(PROBLEM_KINDS) ^ kinds  # every kind is exercised


@pytest.mark.parametrize("case", EXPECTED, ids=_case_id)
def test_corpus_file_gives_exactly_the_expected_report(case, load, tmp_path):
    path = CORPUS / case["file"]
    before_bytes = path.read_bytes()
    before_stat = os.stat(path)
    before_listing = sorted(os.listdir(CORPUS))

    warnings: list[str]
    try:
        result = load(path, case.get("sheet"))
    except SurveyValidationError as exc:
        got = [{"row": p.row, "column": p.column, "kind": p.kind} for p in exc.problems]
        assert sorted(got, key=_key) == sorted(case["problems"], key=_key), str(exc)
        # the report lists every problem, one "file:row:column: message" line each, in file order
        lines = str(exc).splitlines()
        assert lines[:-1] == [str(p) for p in exc.problems]
        assert lines[-1].startswith(f"{len(exc.problems)} problem")
        assert [p.row or 0 for p in exc.problems] == sorted(p.row or 0 for p in exc.problems)
        for p in exc.problems:
            assert p.kind in PROBLEM_KINDS and p.file == str(path) and p.message
        warnings = exc.warnings
    else:
        assert case["problems"] == [], f"expected problems {case['problems']}, the file loaded"
        warnings = result.warnings
        data = result.data
        assert result.n_municipalities == case["n_municipalities"]
        assert result.n_counties == case["n_counties"]
        assert result.sha256 == hashlib.sha256(before_bytes).hexdigest()
        assert result.n_rows == len(data)
        for key, attr in (("encoding", "encoding"), ("delimiter", "delimiter"), ("sheet_used", "sheet")):
            if key in case:
                assert getattr(result, attr) == case[key]
        if "knr" in case:
            assert data["knr"].tolist() == case["knr"]
        assert str(data["knr"].dtype) == "str"
        assert data.columns[:2].tolist() == ["knr", "unit_type"]
        for name in load_codebook().answer_items():
            assert str(data[name].dtype) == "Int64", name
        assert "name" not in data.columns  # names never sit next to answers
    assert len(warnings) == len(case["warnings"]), warnings
    for text, warning in zip(case["warnings"], warnings):
        assert text in warning

    # the input is never modified, and nothing is written beside it
    assert path.read_bytes() == before_bytes
    after = os.stat(path)
    assert (after.st_mtime_ns, after.st_size) == (before_stat.st_mtime_ns, before_stat.st_size)
    assert sorted(os.listdir(CORPUS)) == before_listing


def test_corpus_generator_reproduces_the_committed_files(tmp_path):
    spec = importlib.util.spec_from_file_location("make_corpus", CORPUS / "make_corpus.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    written = module.write(tmp_path)
    assert written
    for p in written:
        assert p.read_bytes() == (CORPUS / p.name).read_bytes(), f"{p.name} differs: rerun make_corpus.py"


# --------------------------------------------------------------------------------------------------------------
# Values
# --------------------------------------------------------------------------------------------------------------


def test_values_missing_codes_and_decimal_comma(load):
    r = load(CORPUS / "valid_comma_utf8.csv")
    assert r.data["knr"].tolist() == ["0301", "1103", "4601", "5001"]
    assert r.data["maturity_stage"].isna().tolist() == [False, True, False, False]  # 99 = vet ikke
    assert r.missing_code_counts == {"maturity_stage": 1}
    assert (r.data["unit_type"] == "municipality").all()
    assert r.spec == f"file:valid_comma_utf8.csv:{r.sha256}"

    r = load(CORPUS / "valid_semicolon_decimal_comma_cp1252.csv")
    assert r.data["maturity_stage"].tolist() == [3, 1, 2]  # "3,0" -> 3
    assert r.data["political_anchoring"].iloc[0] == 4  # "4,00" -> 4
    assert r.data["admin_anchoring"].iloc[1] == 2  # " 2 " -> 2


def test_xlsx_values_and_blank_cells(load):
    r = load(CORPUS / "valid.xlsx")
    assert r.data["knr"].tolist() == ["0301", "4601", "46", "5001"]
    assert r.data["unit_type"].tolist() == ["municipality", "municipality", "county", "municipality"]
    assert r.data["maturity_stage"].iloc[1] == 3  # 3.0 in the sheet
    assert pd.isna(r.data["political_anchoring"].iloc[3])  # blank cell
    assert r.file_format == "xlsx" and r.encoding is None


def test_sheet_option_is_ignored_for_csv_with_a_warning(load):
    r = load(CORPUS / "valid_comma_utf8.csv", "Ark1")
    assert len(r.warnings) == 1 and "ignored" in r.warnings[0]


def test_problem_str_and_error_report():
    p = Problem("f.csv", 3, "knr", "unknown_knr", "unknown knr 9998")
    assert str(p) == "f.csv:3:knr: unknown knr 9998"
    assert str(Problem("f.csv", None, None, "empty_file", "empty")) == "f.csv: empty"
    err = SurveyValidationError([p, Problem("f.csv", None, None, "empty_file", "empty")])
    assert [x.kind for x in err.problems] == ["empty_file", "unknown_knr"]
    assert str(err).splitlines() == [
        "f.csv: empty",
        "f.csv:3:knr: unknown knr 9998",
        "2 problems in f.csv; the file was not loaded.",
    ]


def test_missing_path_and_directory_raise_oserror(load, tmp_path):
    with pytest.raises(FileNotFoundError):
        load(tmp_path / "absent.csv")
    with pytest.raises(IsADirectoryError):
        load(tmp_path)


# --------------------------------------------------------------------------------------------------------------
# The frame
# --------------------------------------------------------------------------------------------------------------


def test_build_frame_keeps_every_municipality(load, register):
    survey = load(CORPUS / "county_rows.csv").data
    frame = build_frame(survey, register)
    assert len(frame) == len(register)
    assert frame["knr"].tolist() == register["knr"].astype(str).tolist()  # register order
    assert frame["responded"].dtype == bool
    assert sorted(frame.loc[frame["responded"], "knr"]) == ["0301", "1806", "5001"]
    assert frame.loc[~frame["responded"], "maturity_stage"].isna().all()
    assert str(frame["maturity_stage"].dtype) == "Int64"
    assert "unit_type" not in frame.columns
    items = set(load_codebook().answer_items())
    for col in register.columns:  # register columns kept; a clash with a survey item gets _register
        assert (f"{col}_register" if col in items else col) in frame.columns, col
    assert "network_ks_register" in frame.columns and "network_ks" in frame.columns
    assert frame["network_ks_register"].tolist() == register["network_ks"].tolist()
    assert frame.loc[frame["knr"] == "0301", "network_ks"].iloc[0] == survey.loc[0, "network_ks"]
    oslo = frame.set_index("knr").loc["0301"]
    assert oslo["maturity_stage"] == survey.set_index("knr").loc["0301", "maturity_stage"]

    counties = county_rows(survey)
    assert counties["knr"].tolist() == ["03", "46"]
    assert (counties["unit_type"] == "county").all()
    assert county_rows(survey.drop(columns="unit_type")).empty


@needs_register
def test_build_frame_on_the_real_register(load, register):
    assert len(register) == 356
    frame = build_frame(load(CORPUS / "valid_bom_crlf.csv").data, register)
    assert len(frame) == 356 and frame["responded"].sum() == 4 and frame["knr"].is_unique


def test_build_frame_rejects_unvalidated_input(register):
    bad = pd.DataFrame({"knr": ["9998"], "maturity_stage": pd.array([1], dtype="Int64")})
    with pytest.raises(ValueError, match="9998"):
        build_frame(bad, register)
    dup = pd.DataFrame({"knr": ["0301", "0301"], "maturity_stage": pd.array([1, 2], dtype="Int64")})
    with pytest.raises(ValueError, match="duplicate"):
        build_frame(dup, register)


# --------------------------------------------------------------------------------------------------------------
# vsr validate
# --------------------------------------------------------------------------------------------------------------


@needs_register
@pytest.mark.parametrize("case", EXPECTED, ids=_case_id)
def test_cli_validate_exit_code_for_every_corpus_file(case, capsys):
    argv = ["validate", str(CORPUS / case["file"])] + (["--sheet", case["sheet"]] if case.get("sheet") else [])
    code = vsr_main(argv)
    out, err = capsys.readouterr()
    assert "Traceback" not in out + err
    if case["problems"]:
        assert code == 1
        assert len([ln for ln in err.splitlines() if ln.startswith(str(CORPUS))]) == len(case["problems"])
    else:
        assert code == 0, err
        n = len(case["warnings"])
        assert out.splitlines()[0] == (
            f"OK: {case['n_municipalities']} municipalities, {case['n_counties']} "
            f"county authorities; {n} warning{'s' if n != 1 else ''}"
        )
        assert sum(ln.startswith("warning: ") for ln in out.splitlines()) == n


def test_cli_validate_usage_errors(tmp_path, capsys):
    assert cli_validate(argparse.Namespace(path=str(tmp_path / "absent.csv"), sheet=None)) == 2
    assert "no such file" in capsys.readouterr().err
    assert cli_validate(argparse.Namespace(path=str(tmp_path), sheet=None)) == 2
    assert "directory" in capsys.readouterr().err


def _run(*args: str) -> subprocess.CompletedProcess:
    assert VSR.is_file(), f"{VSR} missing: install the package into the venv"
    return subprocess.run([str(VSR), *args], capture_output=True, text=True, timeout=120)


@needs_register
def test_vsr_validate_subprocess_exit_codes(tmp_path):
    ok = _run("validate", str(CORPUS / "old_codes_mapped.csv"))
    assert ok.returncode == 0, ok.stderr
    assert ok.stdout.splitlines()[0] == "OK: 3 municipalities, 0 county authorities; 3 warnings"
    assert "mapped to its 2020 successor 3024" in ok.stdout

    for name in ("many_problems.csv", "corrupt.xlsx", "garbage.bin", "split_knr.csv"):
        bad = _run("validate", str(CORPUS / name))
        assert bad.returncode == 1, (name, bad.stdout, bad.stderr)
        assert f"{CORPUS / name}" in bad.stderr and "the file was not loaded" in bad.stderr
        assert "Traceback" not in bad.stdout + bad.stderr

    sheet = _run("validate", str(CORPUS / "valid.xlsx"), "--sheet", "Ark1")
    assert sheet.returncode == 1 and "no sheet named 'Ark1'" in sheet.stderr

    for args in (("validate", str(tmp_path / "absent.csv")), ("validate", str(tmp_path))):
        usage = _run(*args)
        assert usage.returncode == 2 and "Traceback" not in usage.stderr
    assert os.listdir(tmp_path) == []


@pytest.mark.skipif(hasattr(os, "geteuid") and os.geteuid() == 0, reason="root can read any file")
def test_cli_validate_unreadable_file_is_a_usage_error(tmp_path, capsys):
    p = tmp_path / "secret.csv"
    p.write_text("knr\n0301\n", encoding="utf-8")
    p.chmod(0)
    try:
        assert cli_validate(argparse.Namespace(path=str(p), sheet=None)) == 2
        assert "cannot read" in capsys.readouterr().err
    finally:
        p.chmod(0o600)


def test_private_folder_is_git_ignored():
    root = paths.project_root()
    if not (root / ".git").exists():
        pytest.skip("not a git checkout")
    probe = ["data/private/vsr2021.xlsx", "data/private/cache/x.parquet", "data/private/README.md"]
    try:
        done = subprocess.run(
            ["git", "check-ignore", "--no-index", "-v", *probe], cwd=root, capture_output=True, text=True, timeout=30
        )
    except FileNotFoundError:
        pytest.skip("git is not installed")
    ignored = set()
    for line in done.stdout.splitlines():  # "<source>:<line>:<pattern>\t<path>"; "!pattern" = re-included
        rule, path = line.rsplit("\t", 1)
        if not rule.split(":", 2)[-1].startswith("!"):
            ignored.add(path)
    assert ignored == {"data/private/vsr2021.xlsx", "data/private/cache/x.parquet"}, done.stdout
    assert (root / "data" / "private" / "README.md").is_file()
