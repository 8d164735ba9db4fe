"""The runner: failures are loud and harmless, reruns are incremental, provenance is stamped."""

from __future__ import annotations

import json
import os

import nbformat
import pytest

from conftest import copy_project, vsr
from vsr_analysis.claims.ledger import load_claims_spec


def _template(path, body: str, extra_params: str = ""):
    nb = nbformat.v4.new_notebook()
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    params = nbformat.v4.new_code_cell(
        'survey = "synthetic:vsr-narrative:2021"\nparam_set = "x"\nresults_dir = None\n' + extra_params
    )
    params.metadata["tags"] = ["parameters"]
    nb.cells = [params, nbformat.v4.new_code_cell(body)]
    nbformat.write(nb, path)


WRITE_TABLE = (
    "import pathlib\n"
    "p = pathlib.Path(results_dir); p.mkdir(parents=True, exist_ok=True)\n"
    "(p / 'table.csv').write_text(f'value\\n{value}\\n')\n"
    "if fail:\n    raise ValueError('deliberate failure for the test')\n"
)


@pytest.fixture
def mini(tmp_path):
    """A project copy whose run spec has two tiny notebooks (seconds, not minutes)."""
    root = copy_project(tmp_path / "project")
    for name in ("a", "b"):
        _template(root / "notebooks" / f"tiny_{name}.ipynb", WRITE_TABLE, "value = 1\nfail = False\n")
    (root / "runspec.yml").write_text(
        "defaults: {scenario: vsr-narrative, seed: 2021, timeout_seconds: 60}\n"
        "notebooks:\n"
        "- template: notebooks/tiny_a.ipynb\n  parameter_sets:\n  - name: tiny-a\n"
        "- template: notebooks/tiny_b.ipynb\n  parameter_sets:\n  - name: tiny-b\n    parameters: {value: 2}\n"
    )
    return root


def _outputs(root):
    return {
        str(p.relative_to(root)): p.read_bytes()
        for base in ("book/executed", "results")
        for p in sorted((root / base).rglob("*"))
        if p.is_file()
    }


@pytest.mark.slow
def test_run_writes_executed_notebooks_results_and_ledger(mini):
    proc = vsr("run", "--jobs", "2", root=mini)
    assert (mini / "book/executed/tiny-a.ipynb").is_file()
    assert (mini / "results/tiny-b/table.csv").read_text() == "value\n2\n"
    ledger = json.loads((mini / "results/claims.json").read_text())
    assert [e["id"] for e in ledger] == [c["id"] for c in load_claims_spec()["claims"]]
    assert all(e["data"]["survey"] == "synthetic:vsr-narrative:2021" for e in ledger)
    for page in ("claims.md", "recommendations.md", "colophon.md"):
        assert (mini / "book/generated" / page).is_file()
    assert "2 executed" in proc.stderr
    # the injected-parameters cell is hidden (expandable) in the book, other code cells collapsed
    nb = nbformat.read(mini / "book/executed/tiny-b.ipynb", as_version=4)
    injected = [c for c in nb.cells if "injected-parameters" in c.metadata.get("tags", [])]
    assert injected and "hide-cell" in injected[0].metadata["tags"]
    assert "value = 2" in injected[0].source


@pytest.mark.slow
def test_a_failing_cell_names_notebook_parameter_set_and_cell_and_keeps_good_outputs(mini):
    vsr("run", root=mini)
    before = _outputs(mini)
    spec = (mini / "runspec.yml").read_text().replace("parameters: {value: 2}", "parameters: {value: 3, fail: true}")
    (mini / "runspec.yml").write_text(spec)
    proc = vsr("run", root=mini, check=False)
    assert proc.returncode == 1
    assert "tiny_b.ipynb [tiny-b] failed at cell 2" in proc.stderr
    assert "deliberate failure for the test" in proc.stderr
    assert _outputs(mini) == before, "previous good outputs must stay untouched"
    assert not list((mini / "book").glob(".staging/*")), "staging must be cleaned up"


def test_wrong_parameter_is_a_usage_error_before_anything_runs(mini):
    spec = (mini / "runspec.yml").read_text().replace("parameters: {value: 2}", "parameters: {valu: 2}")
    (mini / "runspec.yml").write_text(spec)
    proc = vsr("run", root=mini, check=False)
    assert proc.returncode == 2
    assert "unknown parameter 'valu'" in proc.stderr
    assert not (mini / "book/executed").exists()


def test_unknown_scenario_and_missing_survey_are_usage_errors(mini):
    proc = vsr("run", "--scenario", "no-such", root=mini, check=False)
    assert proc.returncode == 2 and "unknown scenario 'no-such'" in proc.stderr
    proc = vsr("run", "--survey", str(mini / "missing.csv"), root=mini, check=False)
    assert proc.returncode == 2 and "not found" in proc.stderr


@pytest.mark.slow
def test_rerun_is_incremental_and_says_why(mini):
    vsr("run", root=mini)
    proc = vsr("run", root=mini)
    assert "reuse  tiny-a: inputs unchanged" in proc.stderr and "0 executed, 2 reused" in proc.stderr
    # parameter change -> only that notebook reruns
    (mini / "runspec.yml").write_text((mini / "runspec.yml").read_text().replace("{value: 2}", "{value: 5}"))
    proc = vsr("run", root=mini)
    assert "rerun  tiny-b: parameters changed" in proc.stderr and "reuse  tiny-a" in proc.stderr
    assert (mini / "results/tiny-b/table.csv").read_text() == "value\n5\n"
    # template change -> only that template's notebooks rerun
    nb = nbformat.read(mini / "notebooks/tiny_a.ipynb", as_version=4)
    nb.cells.append(nbformat.v4.new_code_cell("print('changed')"))
    nbformat.write(nb, mini / "notebooks/tiny_a.ipynb")
    proc = vsr("run", root=mini)
    assert "rerun  tiny-a: template changed" in proc.stderr and "reuse  tiny-b" in proc.stderr
    # input data change -> everything reruns
    codebook = mini / "data/codebook.yml"
    codebook.write_text(codebook.read_text() + "\n# touched\n")
    proc = vsr("run", root=mini)
    assert "rerun  tiny-a: input data changed" in proc.stderr and "rerun  tiny-b: input data changed" in proc.stderr
    # another scenario -> survey changed
    proc = vsr("run", "--seed", "7", root=mini)
    assert "survey changed" in proc.stderr
    # --force reruns everything
    proc = vsr("run", "--seed", "7", "--force", root=mini)
    assert "2 executed" in proc.stderr


@pytest.mark.slow
def test_only_runs_the_named_parameter_set(mini):
    vsr("run", root=mini)
    a_before = (mini / "book/executed/tiny-a.ipynb").read_bytes()
    proc = vsr("run", "--only", "tiny-b", "--force", root=mini)
    assert "1 executed, 1 reused" in proc.stderr
    assert (mini / "book/executed/tiny-a.ipynb").read_bytes() == a_before
    proc = vsr("run", "--only", "nope", root=mini, check=False)
    assert proc.returncode == 2 and "no parameter set named 'nope'" in proc.stderr


@pytest.mark.slow
def test_interrupted_run_recovers_by_itself(mini):
    vsr("run", root=mini)
    # simulate a run killed in the middle of the swap: the published folder moved aside, a staging folder left
    os.replace(mini / "results", mini / "results.previous")
    (mini / "book/.staging/run-dead").mkdir(parents=True)
    proc = vsr("run", root=mini)
    assert (mini / "results/claims.json").is_file()
    assert not (mini / "results.previous").exists() and not (mini / "book/.staging").exists()
    assert "0 executed, 2 reused" in proc.stderr


@pytest.mark.slow
def test_an_unwritable_output_area_fails_cleanly_and_keeps_good_outputs(mini):
    """A write failure (like a full disk or a read-only folder) is one clear error, and nothing is lost.

    The staging area is made unwritable by putting a file where its folder must go; unlike permission bits,
    this also stops root, who runs CI.
    """
    vsr("run", root=mini)
    before = _outputs(mini)
    (mini / "book/.staging").write_text("not a folder")
    proc = vsr("run", "--force", root=mini, check=False)
    assert proc.returncode == 1
    assert "could not write outputs" in proc.stderr and "Traceback" not in proc.stderr
    assert _outputs(mini) == before
    (mini / "book/.staging").unlink()
    proc = vsr("run", root=mini)  # the next run recovers by itself
    assert "0 executed, 2 reused" in proc.stderr


CANNOT_ESTIMATE = (
    "from vsr_analysis.chapter import start\n"
    "ctx = start(survey=survey, param_set=param_set, results_dir=results_dir, parameters={'claim': claim})\n"
    "ctx.stop_unless_estimable(3, 'an answer to everything')\n"
)


@pytest.mark.slow
def test_a_chapter_that_cannot_estimate_ends_its_page_and_records_an_inconclusive_claim(mini):
    """A valid file with too few answers for a model finishes the chapter in words, not as a failed run."""
    path = mini / "notebooks" / "tiny_b.ipynb"
    _template(path, CANNOT_ESTIMATE, 'claim = "F1"\nvalue = 1\n')
    nb = nbformat.read(path, as_version=4)
    nb.cells.append(nbformat.v4.new_code_cell("raise RuntimeError('this cell must never run')"))
    nbformat.write(nb, path)
    (mini / "notebooks" / "tiny_b.py").unlink(missing_ok=True)
    proc = vsr("run", root=mini)
    assert "failed" not in proc.stderr
    executed = nbformat.read(mini / "book/executed/tiny-b.ipynb", as_version=4)
    outputs = [o for c in executed.cells for o in c.get("outputs", [])]
    assert not [o for o in outputs if o.get("output_type") == "error"]
    assert "must never run" not in json.dumps(executed)
    assert any("Cannot be estimated" in json.dumps(o) for o in outputs)
    evidence = json.loads((mini / "results/tiny-b/evidence.json").read_text())
    assert evidence["primary"]["p_value"] is None and "needs at least 30" in evidence["not_estimable"]
    ledger = {e["id"]: e for e in json.loads((mini / "results/claims.json").read_text())}
    assert ledger["F1"]["verdict"] == "inconclusive"
