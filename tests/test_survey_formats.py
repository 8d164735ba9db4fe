"""The survey file as it comes: the replica written as SPSS, Stata, an Excel labels export and ODS loads exactly as
its CSV does (through a column map where the names differ); refusals and unknown labels word for word."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import numpy as np
import pandas as pd
import pyreadstat
import pytest

from conftest import copy_project, vsr
from vsr_analysis.cli import main as vsr_main
from vsr_analysis.data.codebook import load_codebook
from vsr_analysis.data.survey_file import SurveyValidationError, load_survey
from vsr_analysis.data.survey_map import MapError, load_map
from vsr_analysis.synth.files import write as write_replica

CB = load_codebook()
INT_ITEMS = [it.name for it in CB if it.is_integer]
MISSING_ITEMS = [it.name for it in CB if it.missing_codes]  # items with a "don't know" (99)
TOOL_COLUMNS = ["Respondent ID", "Status", "Start date", "End date"]


@pytest.fixture(scope="module")
def replica(tmp_path_factory) -> tuple[Path, pd.DataFrame]:
    """The replica as `vsr synth` writes it (CSV) and its rows as text (knr kept as written)."""
    folder = tmp_path_factory.mktemp("replica")
    path = write_replica("vsr-narrative", 2021, folder / "replica.csv")
    rows = pd.read_csv(path, dtype=str, keep_default_na=False)
    return path, rows


@pytest.fixture(scope="module")
def reference(replica):
    return load_survey(replica[0])


def _numeric(rows: pd.DataFrame) -> pd.DataFrame:
    out = rows.copy()
    for name in INT_ITEMS:
        out[name] = pd.to_numeric(out[name].replace("", np.nan)).astype("float64")
    return out


def _value_labels(lang: str = "nb") -> dict[str, dict[int, str]]:
    labels = {}
    for name in INT_ITEMS:
        item = CB.item(name)
        labels[name] = {int(c.code): c.label(lang) for c in (*item.codes, *item.missing_codes)}
    return labels


def _same_frame(got, reference) -> None:
    pd.testing.assert_frame_equal(got.data, reference.data)


# --------------------------------------------------------------------------------------------------------------
# SPSS and Stata with value labels and user-missing codes
# --------------------------------------------------------------------------------------------------------------


def test_spss_file_with_value_labels_and_user_missing_loads_as_the_csv(replica, reference, tmp_path):
    _, rows = replica
    frame = _numeric(rows)
    blanks = {name: int(frame[name].isna().sum()) for name in MISSING_ITEMS}
    for name in MISSING_ITEMS:  # a "don't know" where the CSV has a blank, declared user-missing in the file
        frame[name] = frame[name].fillna(99.0)
    path = tmp_path / "replica.sav"
    pyreadstat.write_sav(
        frame,
        path,
        variable_value_labels=_value_labels("nb"),
        missing_ranges={name: [99] for name in MISSING_ITEMS},
    )
    got = load_survey(path)
    assert got.file_format == "sav"
    _same_frame(got, reference)
    assert got.declared_missing_counts == {k: v for k, v in blanks.items() if v}
    assert sum(blanks.values()) > 0  # the replica has blanks, so the user-missing path was exercised


def test_spss_unit_type_coded_as_numbers_with_value_labels(replica, reference, tmp_path):
    _, rows = replica
    frame = _numeric(rows)
    frame["unit_type"] = frame["unit_type"].map({"municipality": 1.0, "county": 2.0})
    path = tmp_path / "coded_units.sav"
    pyreadstat.write_sav(
        frame, path, variable_value_labels={**_value_labels("nb"), "unit_type": {1: "kommune", 2: "fylkeskommune"}}
    )
    got = load_survey(path)
    _same_frame(got, reference)
    assert got.n_counties == reference.n_counties > 0


def test_run_map_without_survey_is_a_usage_error(capsys):
    assert vsr_main(["run", "--map", "survey_map.yml"]) == 2
    assert "--map needs --survey" in capsys.readouterr().err


def test_stata_file_with_value_labels_and_missing_letters_loads_as_the_csv(replica, reference, tmp_path):
    _, rows = replica
    frame = _numeric(rows).astype({name: object for name in MISSING_ITEMS})
    blanks = {}
    for name in MISSING_ITEMS:  # Stata's extended missing value .a = "vet ikke"
        blanks[name] = int(frame[name].isna().sum())
        frame[name] = [("a" if pd.isna(v) else v) for v in frame[name]]
    labels = _value_labels("en")
    for name in MISSING_ITEMS:
        labels[name] = {**{k: v for k, v in labels[name].items() if k != 99}, "a": "don't know"}
    path = tmp_path / "replica.dta"
    pyreadstat.write_dta(
        frame,
        path,
        variable_value_labels=labels,
        missing_user_values={name: ["a"] for name in MISSING_ITEMS},
    )
    got = load_survey(path)
    assert got.file_format == "dta"
    _same_frame(got, reference)
    assert got.declared_missing_counts == {k: v for k, v in blanks.items() if v}


def test_a_value_label_that_disagrees_with_the_codebook_is_an_error_naming_item_code_and_both_labels(replica, tmp_path):
    _, rows = replica
    labels = _value_labels("nb")
    labels["political_anchoring"][2] = "delvis enig"  # the codebook's 4, given to 2
    path = tmp_path / "wrong_labels.sav"
    pyreadstat.write_sav(_numeric(rows), path, variable_value_labels=labels)
    with pytest.raises(SurveyValidationError) as info:
        load_survey(path)
    assert [str(p) for p in info.value.problems] == [
        f"{path}:political_anchoring: the file labels code 2 'delvis enig', but the codebook's label of 2 is "
        "'delvis uenig' ('disagree')"
    ]
    assert info.value.problems[0].kind == "label_mismatch"


# --------------------------------------------------------------------------------------------------------------
# An Excel labels export with a survey tool's columns and names, through a map
# --------------------------------------------------------------------------------------------------------------


def _labels_export(rows: pd.DataFrame) -> pd.DataFrame:
    """The replica as a survey tool exports it by default: answer texts (nb), the items' Norwegian labels as
    headers (two columns under the tool's own names), the tool's metadata columns first."""
    out = {}
    n = len(rows)
    out["Respondent ID"] = [f"R{1000 + i}" for i in range(n)]
    out["Status"] = ["Fullført"] * n
    out["Start date"] = ["2021-03-01 09:00"] * n
    out["End date"] = ["2021-03-01 09:20"] * n
    out["Kommunenr"] = rows["knr"]
    out["Q2 Enhet"] = rows["unit_type"].map({"municipality": "kommune", "county": "fylkeskommune"})
    for name in INT_ITEMS:
        labels = CB.item(name).code_labels("nb")
        texts = [labels[int(v)] if v != "" else None for v in rows[name]]
        # case, surrounding whitespace and a trailing period as hand-typed or exported answers have them
        texts = [
            t if t is None or i % 3 == 0 else (f"  {t.upper()} " if i % 3 == 1 else f"{t.capitalize()}.")
            for i, t in enumerate(texts)
        ]
        out[CB.item(name).label["nb"]] = texts
    return pd.DataFrame(out)


@pytest.fixture(scope="module")
def labels_xlsx(replica, tmp_path_factory) -> Path:
    path = tmp_path_factory.mktemp("export") / "eksport.xlsx"
    _labels_export(replica[1]).to_excel(path, index=False, sheet_name="Svar")
    return path


def test_map_init_drafts_a_map_and_marks_what_it_could_not_match(labels_xlsx, tmp_path, capsys):
    out = tmp_path / "survey_map.yml"
    before = labels_xlsx.read_bytes()
    assert vsr_main(["map", "--init", str(labels_xlsx), "--out", str(out)]) == 0
    assert labels_xlsx.read_bytes() == before
    said = capsys.readouterr().out
    assert "2 NOT MATCHED ('Kommunenr', 'Q2 Enhet')" in said
    text = out.read_text(encoding="utf-8")
    assert '"Kommunenr": null  # NOT MATCHED' in text
    assert '"Q2 Enhet": null  # NOT MATCHED' in text
    for col in TOOL_COLUMNS:
        assert f'  - "{col}"  # a survey tool\'s own column' in text
    assert '"Politisk forankring": political_anchoring  # codebook label' in text
    assert "# Required codebook items no column was matched to: knr" in text
    # the draft as it stands is refused until the unmatched columns are settled
    with pytest.raises(MapError, match="'Kommunenr' is not mapped"):
        load_map(out)
    # a second --init does not overwrite the map
    assert vsr_main(["map", "--init", str(labels_xlsx), "--out", str(out)]) == 2
    assert out.read_text(encoding="utf-8") == text


def _finished_map(labels_xlsx: Path, folder: Path) -> Path:
    out = folder / "survey_map.yml"
    assert vsr_main(["map", "--init", str(labels_xlsx), "--out", str(out)]) == 0
    text = out.read_text(encoding="utf-8")
    text = text.replace('"Kommunenr": null', '"Kommunenr": knr').replace('"Q2 Enhet": null', '"Q2 Enhet": unit_type')
    out.write_text(text, encoding="utf-8")
    return out


def test_excel_labels_export_through_the_map_loads_as_the_csv(labels_xlsx, reference, tmp_path):
    smap = _finished_map(labels_xlsx, tmp_path)
    got = load_survey(labels_xlsx, survey_map=smap)
    _same_frame(got, reference)
    answered = int(reference.data[INT_ITEMS].notna().sum().sum())
    assert got.labels_converted == answered


def test_without_the_map_the_export_is_refused_with_a_hint(labels_xlsx):
    with pytest.raises(SurveyValidationError) as info:
        load_survey(labels_xlsx)
    kinds = {p.kind for p in info.value.problems}
    assert kinds == {"unknown_item", "missing_required_item"}
    said = {p.column: p.message for p in info.value.problems if p.kind == "unknown_item"}
    assert said["Status"] == (
        "'Status' is not an item of the codebook; map or ignore it with --map (`vsr map --init FILE` drafts a map)"
    )
    assert said["Politisk forankring"] == (
        "'Politisk forankring' is not an item of the codebook; it is the codebook's label of 'political_anchoring': "
        "map it with --map"
    )


def test_map_recode_and_ignore_patterns(replica, reference, tmp_path):
    _, rows = replica
    export = rows.rename(columns={"maturity_stage": "Q1"})
    export.insert(0, "Svar-tidspunkt 1", "x")
    export.insert(0, "Svar-tidspunkt 2", "y")
    # the tool codes "vet ikke" as 6 and "ikke relevant" as -1; both are missing for the codebook
    export["Q1"] = export["Q1"].where(export["Q1"] != "", "6")
    path = tmp_path / "tool.csv"
    export.to_csv(path, index=False)
    smap = tmp_path / "map.yml"
    smap.write_text(
        'columns:\n  Q1: maturity_stage\nignore: ["Svar-tidspunkt *"]\nrecode:\n  maturity_stage: {6: 99, -1: null}\n',
        encoding="utf-8",
    )
    got = load_survey(path, survey_map=smap)
    _same_frame(got, reference)
    assert got.missing_code_counts == {"maturity_stage": int(reference.data["maturity_stage"].isna().sum())}


def test_map_errors_name_the_map_and_the_entry(tmp_path):
    smap = tmp_path / "map.yml"
    smap.write_text("columns:\n  Q1: maturity_stag\n", encoding="utf-8")
    with pytest.raises(MapError) as info:
        load_map(smap)
    assert (
        str(info.value)
        == f"{smap}: columns: 'Q1' -> 'maturity_stag' is not an item of the codebook; did you mean 'maturity_stage'?"
    )
    smap.write_text("recode:\n  political_anchoring: {6: 7}\n", encoding="utf-8")
    with pytest.raises(MapError) as info:
        load_map(smap)
    assert str(info.value) == (
        f"{smap}: recode: political_anchoring: 6 -> 7 is not a code of political_anchoring "
        "(expected 1-5 (or 99 = don't know), or null for missing)"
    )


def test_unknown_answer_text_names_row_column_and_nearest_labels(replica, tmp_path):
    _, rows = replica
    export = rows.copy()
    export.loc[4, "political_anchoring"] = "Litt enig"
    path = tmp_path / "texts.csv"
    export.to_csv(path, index=False)
    with pytest.raises(SurveyValidationError) as info:
        load_survey(path)
    assert [str(p) for p in info.value.problems] == [
        f"{path}:6:political_anchoring: 'Litt enig' is neither a code nor a codebook label of political_anchoring; "
        "nearest labels: 'helt enig' = 5, 'helt uenig' = 1, 'delvis enig' = 4"
    ]
    assert info.value.problems[0].kind == "unknown_label"


# --------------------------------------------------------------------------------------------------------------
# OpenDocument
# --------------------------------------------------------------------------------------------------------------


def test_ods_file_with_english_labels_loads_as_the_csv(replica, reference, tmp_path):
    _, rows = replica
    export = rows.copy()
    for name in INT_ITEMS:
        labels = CB.item(name).code_labels("en")
        export[name] = [labels[int(v)] if v != "" else None for v in export[name]]
    path = tmp_path / "replica.ods"
    export.to_excel(path, index=False, engine="odf")
    got = load_survey(path)
    assert got.file_format == "ods"
    _same_frame(got, reference)


# --------------------------------------------------------------------------------------------------------------
# Refusals, word for word, through the command
# --------------------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "content", "message"),
    [
        (
            "survey.sas7bdat",
            bytes(64),
            "SAS (.sas7bdat) files are not read; vsr reads CSV (.csv, .txt), Excel (.xlsx, .xlsm), OpenDocument "
            "(.ods), SPSS (.sav, .zsav) and Stata (.dta) files: export it from SAS with PROC EXPORT as CSV or as a "
            "Stata .dta file",
        ),
        (
            "survey.parquet",
            b"PAR1" + bytes(60),
            "Parquet files are not read; vsr reads CSV (.csv, .txt), Excel (.xlsx, .xlsm), OpenDocument (.ods), "
            "SPSS (.sav, .zsav) and Stata (.dta) files: write it as CSV (e.g. pandas.read_parquet(...).to_csv(...))",
        ),
        (
            "locked.xlsx",
            b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + bytes(504) + "EncryptedPackage".encode("utf-16-le"),
            "the workbook is encrypted (password-protected) and cannot be read: open it in Excel, remove the "
            "password (File > Info > Protect Workbook > Encrypt with Password, clear it) and save it as .xlsx, or "
            "save it as CSV UTF-8",
        ),
        (
            "binary.dat",
            b"\x00\x01\x02",
            "the file contains NUL bytes: it is a binary file or UTF-16 without a BOM, not a CSV text file; vsr reads "
            "CSV (.csv, .txt), Excel (.xlsx, .xlsm), OpenDocument (.ods), SPSS (.sav, .zsav) and Stata (.dta) "
            "files: save or export the file as one of these",
        ),
    ],
)
def test_unsupported_and_encrypted_files_are_refused_word_for_word(name, content, message, tmp_path, capsys):
    path = tmp_path / name
    path.write_bytes(content)
    before = sorted(tmp_path.iterdir())
    assert vsr_main(["validate", str(path)]) == 1
    err = capsys.readouterr().err.splitlines()
    row = ":1" if name == "binary.dat" else ""
    assert err[0] == f"{path}{row}: {message}"
    assert sorted(tmp_path.iterdir()) == before and path.read_bytes() == content


def test_validate_with_map_reports_the_map_and_a_bad_map_is_a_usage_error(labels_xlsx, tmp_path, capsys):
    smap = _finished_map(labels_xlsx, tmp_path)
    assert vsr_main(["validate", str(labels_xlsx), "--map", str(smap)]) == 0
    out = capsys.readouterr().out
    assert f"map survey_map.yml: sha256 {load_map(smap).sha256}" in out
    assert "answer texts converted to their codebook codes:" in out
    assert vsr_main(["validate", str(labels_xlsx), "--map", str(tmp_path / "nope.yml")]) == 2
    assert "map file not found" in capsys.readouterr().err


# --------------------------------------------------------------------------------------------------------------
# The ledger: one parameter set run on the CSV and on the mapped labels export
# --------------------------------------------------------------------------------------------------------------


@pytest.mark.slow
def test_ledger_of_the_mapped_export_equals_the_csvs(replica, labels_xlsx, tmp_path):
    csv = tmp_path / "replica.csv"
    shutil.copy(replica[0], csv)
    smap = _finished_map(labels_xlsx, tmp_path)
    ledgers = []
    for i, args in enumerate((["--survey", str(csv)], ["--survey", str(labels_xlsx), "--map", str(smap)])):
        # a project copy whose run spec holds the one share claim F6 (seconds, not the whole book)
        root = copy_project(tmp_path / f"project{i}")
        (root / "runspec.yml").write_text(
            "defaults: {scenario: vsr-narrative, seed: 2021, timeout_seconds: 900}\n"
            "notebooks:\n- template: notebooks/share_claim.ipynb\n  section: findings\n"
            "  parameter_sets:\n  - name: master-plan\n    title: F6\n",
            encoding="utf-8",
        )
        vsr("run", "--only", "master-plan", "--jobs", "1", *args, root=root)
        ledgers.append(json.loads((root / "results" / "claims.json").read_text(encoding="utf-8")))
    by_csv, by_export = ledgers
    data = [entry.pop("data") for entry in by_export]
    for entry in by_csv:
        entry.pop("data")
    assert by_export == by_csv
    f6 = next(e for e in by_csv if e["parameter_set"] == "master-plan")
    assert f6["verdict"] in ("supported", "not supported", "inconclusive") and f6["n"] > 0
    assert {d["survey_map_sha256"] for d in data} == {load_map(smap).sha256}
    assert {d["survey_file_sha256"] for d in data} == {load_survey(labels_xlsx, survey_map=smap).sha256}
