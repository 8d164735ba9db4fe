"""The GitHub Pages workflow builds with the README's command and deploys what `vsr book` writes.

It cannot run here (no GitHub runner); these checks keep it true to the project: it parses, builds with the
README's first command on Python 3.11, uploads `_build/html`, and deploys only from main.
"""

import re

import yaml

from vsr_analysis import paths

WORKFLOW = paths.project_root() / ".github" / "workflows" / "book.yml"


def _workflow() -> dict:
    data = yaml.safe_load(WORKFLOW.read_text(encoding="utf-8"))
    # YAML 1.1 reads the key `on` as the boolean True
    data["on"] = data.pop(True, data.get("on"))
    return data


def _readme_build_command() -> str:
    readme = (paths.project_root() / "README.md").read_text(encoding="utf-8")
    match = re.search(r"^(make \w+)\s+#.*build", readme, flags=re.M)
    assert match, "README names no build command"
    return match.group(1)


def test_workflow_parses_and_has_build_and_deploy_jobs():
    wf = _workflow()
    assert set(wf["jobs"]) == {"build", "deploy"}
    assert wf["jobs"]["deploy"]["needs"] == "build"
    assert "push" in wf["on"] and wf["on"]["push"]["branches"] == ["main"]


def test_workflow_runs_the_readme_build_command_on_python_311():
    steps = _workflow()["jobs"]["build"]["steps"]
    runs = [s["run"] for s in steps if "run" in s]
    assert any(r.split()[:2] == _readme_build_command().split() for r in runs), runs
    setup = next(s for s in steps if s.get("uses", "").startswith("actions/setup-python"))
    assert str(setup["with"]["python-version"]) == "3.11"


def test_workflow_uploads_the_book_and_deploys_only_from_main():
    wf = _workflow()
    upload = next(
        s for s in wf["jobs"]["build"]["steps"] if s.get("uses", "").startswith("actions/upload-pages-artifact")
    )
    assert upload["with"]["path"] == "_build/html"
    deploy = wf["jobs"]["deploy"]
    assert "refs/heads/main" in deploy["if"] and "pull_request" in deploy["if"]
    assert deploy["permissions"] == {"pages": "write", "id-token": "write"}
    assert any(s.get("uses", "").startswith("actions/deploy-pages") for s in deploy["steps"])


def test_every_action_is_pinned_to_a_major_version():
    for job in _workflow()["jobs"].values():
        for step in job["steps"]:
            if "uses" in step:
                assert re.fullmatch(r"[\w-]+/[\w-]+@v\d+", step["uses"]), step["uses"]


def test_reproduce_page_has_a_publish_section():
    text = (paths.project_root() / "book" / "reproduce.md").read_text(encoding="utf-8")
    assert "## Publish" in text and ".github/workflows/book.yml" in text
