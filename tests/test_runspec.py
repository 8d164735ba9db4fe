"""The run spec is validated before anything runs: wrong parameters are one clear error."""

import nbformat
import pytest

from vsr_analysis import paths
from vsr_analysis.inputs.runspec import RunSpecError, load_runspec, template_parameters


def _template(path, source, kernel="python3"):
    nb = nbformat.v4.new_notebook()
    nb.metadata["kernelspec"] = {"name": kernel, "display_name": "Python 3", "language": "python"}
    cell = nbformat.v4.new_code_cell(source)
    cell.metadata["tags"] = ["parameters"]
    nb.cells = [cell, nbformat.v4.new_code_cell("print(survey)")]
    nbformat.write(nb, path)
    return path


@pytest.fixture
def project(tmp_path, monkeypatch):
    monkeypatch.setenv("VSR_PROJECT_ROOT", str(tmp_path))
    (tmp_path / "notebooks").mkdir()
    _template(
        tmp_path / "notebooks" / "t.ipynb",
        'survey = "synthetic:x:1"\nparam_set = "a"\nresults_dir = None\nthreshold = 5.0\nlabel = "x"\n',
    )
    return tmp_path


def _spec(root, body):
    path = root / "runspec.yml"
    path.write_text(body)
    return path


def test_the_project_runspec_is_valid():
    spec = load_runspec(paths.runspec_path())
    assert spec.names(), "the run spec lists no parameter sets"
    assert len(set(spec.names())) == len(spec.names())


def test_valid_spec(project):
    spec = load_runspec(
        _spec(
            project,
            "notebooks:\n- template: notebooks/t.ipynb\n  parameter_sets:\n"
            "  - name: a\n    parameters: {threshold: 10}\n",
        )
    )
    assert spec.get("a").parameters == {"threshold": 10}


@pytest.mark.parametrize(
    "body, message",
    [
        ("notebooks:\n- template: notebooks/missing.ipynb\n  parameter_sets: [{name: a}]\n", "does not exist"),
        (
            "notebooks:\n- template: notebooks/t.ipynb\n  parameter_sets: [{name: a, parameters: {thresh: 1}}]\n",
            "unknown parameter 'thresh'",
        ),
        (
            "notebooks:\n- template: notebooks/t.ipynb\n  parameter_sets: [{name: a, parameters: {threshold: high}}]\n",
            "has type str",
        ),
        ("notebooks:\n- template: notebooks/t.ipynb\n  parameter_sets: [{name: a}, {name: a}]\n", "duplicate"),
        ("notebooks:\n- template: notebooks/t.ipynb\n  parameter_sets: [{name: A b}]\n", "lower-case"),
        (
            "notebooks:\n- template: notebooks/t.ipynb\n  parameter_sets: [{name: a, parameters: {survey: x}}]\n",
            "set by the runner",
        ),
        ("defaults: {seed: -1}\nnotebooks: []\n", "seed"),
        ("notebooks: [\n", "not valid YAML"),
    ],
)
def test_invalid_specs_name_the_problem(project, body, message):
    with pytest.raises(RunSpecError, match=message) as info:
        load_runspec(_spec(project, body))
    assert "runspec.yml" in str(info.value) or "notebooks/" in str(info.value)


def test_template_needs_one_parameters_cell_and_python3(project):
    bad = _template(project / "notebooks" / "k.ipynb", 'survey = "x"', kernel="ir")
    with pytest.raises(RunSpecError, match="kernelspec"):
        template_parameters(bad)
    nb = nbformat.read(bad, as_version=4)
    nb.metadata["kernelspec"]["name"] = "python3"
    nb.cells[0].metadata["tags"] = []
    nbformat.write(nb, bad)
    with pytest.raises(RunSpecError, match="exactly one cell"):
        template_parameters(bad)


def test_templates_have_no_outputs_and_python3_kernel():
    for template in sorted(paths.notebooks_dir().glob("*.ipynb")):
        nb = nbformat.read(template, as_version=4)
        assert nb.metadata["kernelspec"]["name"] == "python3", template.name
        for cell in nb.cells:
            if cell.cell_type == "code":
                assert not cell.outputs, f"{template.name} has stored outputs"
                assert cell.execution_count is None, template.name
        template_parameters(template)  # exactly one parameters cell with literal defaults


def test_declared_allowed_values_are_enforced(project):
    nb = nbformat.read(project / "notebooks" / "t.ipynb", as_version=4)
    nb.metadata["vsr"] = {"parameters": {"threshold": {"min": 0, "max": 100}, "label": {"choices": ["x", "y"]}}}
    nbformat.write(nb, project / "notebooks" / "t.ipynb")
    base = "notebooks:\n- template: notebooks/t.ipynb\n  parameter_sets:\n  - name: a\n    parameters: {%s}\n"
    load_runspec(_spec(project, base % "threshold: 50, label: y"))
    with pytest.raises(RunSpecError, match="above the maximum 100"):
        load_runspec(_spec(project, base % "threshold: 500"))
    with pytest.raises(RunSpecError, match=r"'label' = 'z' is not one of \['x', 'y'\]"):
        load_runspec(_spec(project, base % "label: z"))


def test_project_templates_declare_allowed_values_for_claims():
    from vsr_analysis.inputs.runspec import template_schema

    for template in ("necessity", "who_came_furthest", "ordinal_effect", "share_claim"):
        schema = template_schema(paths.notebooks_dir() / f"{template}.ipynb")
        assert schema, f"{template} declares no allowed parameter values"
