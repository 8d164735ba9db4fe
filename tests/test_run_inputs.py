"""Survey sources and arguments of `vsr run` (issue 13): structured specs, --sheet, folders, exit codes, long
problem lists; and builds that do not depend on the folder they were made in."""

from __future__ import annotations

import json
import re

import nbformat
import pandas as pd
import pytest
import yaml

from conftest import copy_project, vsr
from test_runner import _template
from vsr_analysis.data.survey_spec import SourceError, SurveySpec, parse_spec

START = (
    "from vsr_analysis.chapter import start\n"
    "ctx = start(survey=survey, param_set=param_set, results_dir=results_dir, parameters=locals())\n"
    "ctx.table('n', __import__('pandas').DataFrame({'respondents': [len(ctx.respondents)]}), 'n')\n"
)


@pytest.fixture
def chapter_mini(tmp_path):
    """One tiny chapter that loads the analysis frame through chapter.start, as every real chapter does."""
    root = copy_project(tmp_path / "project")
    _template(root / "notebooks" / "tiny_start.ipynb", START)
    (root / "runspec.yml").write_text(
        "defaults: {scenario: vsr-narrative, seed: 2021, timeout_seconds: 300}\n"
        "notebooks:\n- template: notebooks/tiny_start.ipynb\n  parameter_sets:\n  - name: tiny-start\n"
    )
    survey = tmp_path / "kommune:2021.csv"
    vsr("synth", "--seed", "3", "--out", str(survey), root=root)
    return root, survey


def test_spec_round_trips_a_file_name_with_colons():
    spec = SurveySpec.file("kommune:2021:v2.csv", "ab" * 32)
    assert SurveySpec.parse(str(spec)) == spec
    assert parse_spec(str(spec))["name"] == "kommune:2021:v2.csv"
    assert SurveySpec.parse("synthetic:vsr-narrative:2021") == SurveySpec.synthetic("vsr-narrative", 2021)
    with pytest.raises(SourceError):
        SurveySpec.parse("file:x.csv:nothex")


@pytest.mark.slow
def test_a_file_named_with_a_colon_runs(chapter_mini):
    root, survey = chapter_mini
    assert vsr("validate", str(survey), root=root).returncode == 0
    vsr("run", "--survey", str(survey), root=root)
    ledger = json.loads((root / "results/claims.json").read_text())
    assert all(e["data"]["survey"].startswith("file:kommune:2021.csv:") for e in ledger)
    n = pd.read_csv(root / "results/tiny-start/n.csv")["respondents"].iloc[0]
    assert n == len(pd.read_csv(survey, dtype=str).query("unit_type == 'municipality'"))


def test_a_folder_as_survey_and_sheet_without_survey_are_clear_usage_errors(chapter_mini, tmp_path):
    root, _ = chapter_mini
    proc = vsr("run", "--survey", str(tmp_path), root=root, check=False)
    assert proc.returncode == 2 and "is a folder, not a survey file" in proc.stderr
    proc = vsr("run", "--sheet", "x", root=root, check=False)
    assert proc.returncode == 2 and "--sheet needs --survey" in proc.stderr


@pytest.mark.slow
def test_run_picks_the_named_xlsx_sheet(chapter_mini, tmp_path):
    root, survey = chapter_mini
    book = tmp_path / "survey.xlsx"
    data = pd.read_csv(survey, dtype=str, keep_default_na=False)
    with pd.ExcelWriter(book) as writer:
        pd.DataFrame({"notes": ["not the data"]}).to_excel(writer, sheet_name="readme", index=False)
        data.to_excel(writer, sheet_name="answers", index=False)
    proc = vsr("run", "--survey", str(book), root=root, check=False)
    assert proc.returncode == 1  # the first sheet is not a survey
    vsr("run", "--survey", str(book), "--sheet", "answers", root=root)
    ledger = json.loads((root / "results/claims.json").read_text())
    assert ledger[0]["data"]["survey"].startswith("file:survey.xlsx (sheet answers):")


def test_invalid_data_exits_1_and_thousands_of_problems_are_summarised(chapter_mini, tmp_path):
    root, survey = chapter_mini
    bad = pd.read_csv(survey, dtype=str, keep_default_na=False)
    for col in bad.columns[2:40]:
        bad[col] = "not a code"
    path = tmp_path / "bad.csv"
    bad.to_csv(path, index=False)
    for command in (("validate", str(path)), ("run", "--survey", str(path))):
        proc = vsr(*command, root=root, check=False)
        assert proc.returncode == 1, proc.stderr
        problem_lines = [ln for ln in proc.stderr.splitlines() if ln.startswith(f"{path}:")]
        assert len(problem_lines) == 50
        assert "more problem(s) not shown (use --all to list every one); by kind:" in proc.stderr
        everything = vsr(*command, "--all", root=root, check=False)
        assert len([ln for ln in everything.stderr.splitlines() if ln.startswith(f"{path}:")]) > 1000
    assert not (root / "results").exists()


def _cell_outputs(notebook):
    """Each cell's source and outputs; the provenance stamp's execution time differs by design and is masked."""
    nb = nbformat.read(notebook, as_version=4)
    outputs = [(c.get("source"), c.get("outputs")) for c in nb.cells]
    return re.sub(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\+00:00", "<time>", json.dumps(outputs, sort_keys=True))


@pytest.mark.slow
def test_two_builds_in_two_folders_give_identical_outputs_and_no_machine_paths(tmp_path):
    spec = yaml.safe_load(copy_project(tmp_path / "spec-source").joinpath("runspec.yml").read_text())
    keep = {"maturity-variation", "largest-barriers"}
    for entry in spec["notebooks"]:
        entry["parameter_sets"] = [p for p in entry["parameter_sets"] if p["name"] in keep]
    spec["notebooks"] = [e for e in spec["notebooks"] if e["parameter_sets"]]
    roots = []
    for where in ("one/project", "another/deeper/folder/project"):
        root = copy_project(tmp_path / where)
        (root / "runspec.yml").write_text(yaml.safe_dump(spec, sort_keys=False))
        vsr("run", "--jobs", "2", root=root)
        roots.append(root)
    a, b = roots
    for notebook in sorted((a / "book/executed").glob("*.ipynb")):
        assert _cell_outputs(notebook) == _cell_outputs(b / "book/executed" / notebook.name), notebook.name
    files_a = sorted(p.relative_to(a) for p in (a / "results").rglob("*") if p.is_file())
    assert files_a == sorted(p.relative_to(b) for p in (b / "results").rglob("*") if p.is_file())
    for rel in files_a:
        if rel.name not in {".manifest.json", ".run-id", ".runstate.json"}:
            assert (a / rel).read_bytes() == (b / rel).read_bytes(), rel
    for root in roots:
        for base in ("book/executed", "book/generated", "results"):
            for path in (root / base).rglob("*"):
                if path.is_file() and path.suffix in {".ipynb", ".md", ".csv", ".json"}:
                    text = path.read_text(encoding="utf-8", errors="replace")
                    assert str(root) not in text and str(tmp_path) not in text, f"{path} names a build folder"


def test_a_project_copy_leaves_out_outputs_caches_and_simulation_checkpoints(tmp_path):
    """``copy_inputs`` (every test project, ``vsr verify``): the inputs, never the git-ignored checkpoints of a
    stored simulation run, the synthetic cache or private files."""
    from vsr_analysis.build.verify import copy_inputs

    source = tmp_path / "source"
    stored = source / "data" / "operating-characteristics"
    (stored / "checkpoints" / "null").mkdir(parents=True)
    (stored / "checkpoints" / "null" / "seeds-000001-000010.json").write_text("{}")
    (stored / "operating_characteristics.csv").write_text("claim\n")
    (source / "data" / "synthetic").mkdir()
    (source / "data" / "synthetic" / "cached.csv").write_text("x\n")
    (source / "data" / "private").mkdir()
    (source / "data" / "private" / "survey.csv").write_text("x\n")
    copy = copy_inputs(tmp_path / "copy", source)
    assert (copy / "data" / "operating-characteristics" / "operating_characteristics.csv").is_file()
    assert not (copy / "data" / "operating-characteristics" / "checkpoints").exists()
    assert not (copy / "data" / "synthetic").exists() and not (copy / "data" / "private").exists()
