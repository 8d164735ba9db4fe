"""Every template is kept twice, as the .ipynb papermill runs and a jupytext percent script reviewers diff.

The pair must hold the same cells (type, source, tags); `vsr run` refuses a template whose pair has drifted.
"""

import shutil

import jupytext
import pytest

from conftest import ROOT, copy_project
from vsr_analysis.inputs.pairing import pair_differences, pair_problem
from vsr_analysis.inputs.runspec import RunSpecError, load_runspec

TEMPLATES = sorted((ROOT / "notebooks").glob("*.ipynb"))


def test_every_template_has_a_text_pair_and_every_script_a_notebook():
    assert TEMPLATES
    scripts = sorted((ROOT / "notebooks").glob("*.py"))
    assert [p.stem for p in TEMPLATES] == [p.stem for p in scripts]


def test_jupytext_config_pairs_ipynb_with_percent_scripts():
    config = (ROOT / "notebooks" / "jupytext.toml").read_text()
    assert 'formats = "ipynb,py:percent"' in config


@pytest.mark.parametrize("template", TEMPLATES, ids=lambda p: p.stem)
def test_pair_is_in_sync(template):
    """Compared independently of pairing.py: the cells jupytext reads from both files are identical."""
    a, b = jupytext.read(template), jupytext.read(template.with_suffix(".py"))
    assert [c.cell_type for c in a.cells] == [c.cell_type for c in b.cells], template.name
    for number, (x, y) in enumerate(zip(a.cells, b.cells), start=1):
        assert x.source == y.source, f"{template.name} cell {number}: run `jupytext --sync` on the pair"
        assert x.metadata.get("tags", []) == y.metadata.get("tags", []), f"{template.name} cell {number} tags"
    assert pair_differences(template) == []


def _drifted_copy(tmp_path, edit):
    root = copy_project(tmp_path / "project")
    script = root / "notebooks" / "maturity_variation.py"
    script.write_text(edit(script.read_text(encoding="utf-8")), encoding="utf-8")
    return root


@pytest.mark.parametrize(
    "edit, expected",
    [
        (lambda s: s.replace("reps = ", "reps = 1 + ", 1), "differs in source"),
        (lambda s: s.replace('# %% tags=["parameters"]', "# %%", 1), "differs in tags"),
        (lambda s: s + "\n# %%\nprint('extra cell')\n", "cells"),
    ],
    ids=["source", "tags", "extra-cell"],
)
def test_a_drifted_pair_is_detected_and_the_run_spec_refuses_it(tmp_path, monkeypatch, edit, expected):
    root = _drifted_copy(tmp_path, edit)
    template = root / "notebooks" / "maturity_variation.ipynb"
    assert any(expected in line for line in pair_differences(template)), pair_differences(template)
    monkeypatch.setenv("VSR_PROJECT_ROOT", str(root))
    with pytest.raises(RunSpecError) as info:
        load_runspec(root / "runspec.yml")
    message = str(info.value)
    assert "maturity_variation.ipynb and maturity_variation.py are out of sync" in message
    assert "jupytext --sync notebooks/maturity_variation.py" in message


def test_vsr_run_refuses_a_drifted_pair_before_any_kernel_starts(tmp_path):
    from conftest import vsr

    root = _drifted_copy(tmp_path, lambda s: s.replace("reps = ", "reps = 1 + ", 1))
    proc = vsr("run", "--jobs", "1", root=root, check=False)
    assert proc.returncode == 2, proc.stderr
    assert "out of sync" in proc.stderr
    assert not (root / "book" / "executed").exists() and not (root / "results").exists()


def test_a_template_without_text_pair_is_not_refused_by_the_runner(tmp_path):
    """Run specs in tests may use throw-away templates; the pair rule for the project's own is tested above."""
    shutil.copy(TEMPLATES[0], tmp_path / "t.ipynb")
    assert pair_problem(tmp_path / "t.ipynb") is None
