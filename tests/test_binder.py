"""Binder: environment.yml as repo2docker reads it, and the book's launch buttons (static checks only).

repo2docker builds a Binder image from a root-level environment.yml unless a binder/ or .binder/ folder
overrides it. When a pip requirement is local (``-e .``), it copies the whole repository in before creating the
environment ("stage the whole repo prior to installation", jupyterhub/repo2docker, buildpacks/conda,
``_should_preassemble_env``), so the package can be installed from the checkout. It must be an *editable*
install: ``vsr_analysis.paths`` finds the project (data, notebooks, run spec) from the package's own location.
"""

import re
import tomllib

import yaml

from conftest import ROOT

PIN = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]*(\[[a-z,]+\])?==[0-9][0-9A-Za-z.+!-]*$")


def _env():
    return yaml.safe_load((ROOT / "environment.yml").read_text(encoding="utf-8"))


def _pip(env):
    return next(d["pip"] for d in env["dependencies"] if isinstance(d, dict) and "pip" in d)


def _is_local(line: str) -> bool:
    """What repo2docker counts as a local pip requirement (a path, -r/-c files, file:// URLs)."""
    line = line.split("#", 1)[0].strip()
    if line.startswith(("-r", "-c", "--requirement", "--constraint")) or "file://" in line:
        return True
    if line.startswith("-"):
        parts = line.split(None, 1)
        line = parts[1] if len(parts) == 2 else ""
    return line.startswith((".", "/", "~"))


def test_environment_file_parses_and_names_conda_forge_only():
    env = _env()
    assert isinstance(env, dict) and env["name"] == "vsr-analysis"
    assert env["channels"] == ["conda-forge"]
    assert not (ROOT / "binder").exists() and not (ROOT / ".binder").exists(), "would override environment.yml"


def test_every_package_is_pinned():
    env = _env()
    conda = [d for d in env["dependencies"] if isinstance(d, str)]
    requires = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["requires-python"]
    assert "python=3.11" in conda and "3.11" in requires
    # `pip` is the installer that reads the list below, not a package of the analysis.
    assert set(conda) == {"python=3.11", "pip"}, conda
    # -r requirements.lock: every transitive pin (tests/test_environment.py checks the lock's lines)
    unpinned = [line for line in _pip(env) if line not in ("-e .", "-r requirements.lock") and not PIN.match(line)]
    assert unpinned == [], f"not pinned exactly: {unpinned}"


def test_the_package_is_installed_editable_from_the_repository_itself():
    pip = _pip(_env())
    local = [line for line in pip if _is_local(line)]
    assert local == ["-r requirements.lock", "-e ."], (
        f"the only local requirements must be the lock and the repository, got {local}"
    )
    assert pip[-1] == "-e .", "the package goes in last, after its pinned dependencies"
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    assert project["name"] == "vsr-analysis" and "vsr" in project["scripts"]


def test_no_path_of_a_machine_in_the_environment_file():
    text = (ROOT / "environment.yml").read_text(encoding="utf-8")
    body = "\n".join(line.split("#", 1)[0] for line in text.splitlines())
    assert not re.search(r"(^|\s)(/|~|[A-Za-z]:\\)|file:|\.\./", body), "environment.yml names a local path"


def test_launch_buttons_open_templates_in_jupyterlab_on_binder():
    config = yaml.safe_load((ROOT / "_config.yml").read_text(encoding="utf-8"))
    launch = config["launch_buttons"]
    assert launch["binderhub_url"].startswith("https://") and launch["notebook_interface"] == "jupyterlab"
    assert launch["thebe"] is False, "thebe would load code from a CDN"
    assert re.match(r"^https://github\.com/[^/]+/[^/]+$", config["repository"]["url"])
    from vsr_analysis.build.sphinx_launch import launch_path

    assert launch_path("book/executed/centrality-not-a-prerequisite") == "notebooks/necessity.ipynb"
    assert launch_path("book/reproduce") is None
    assert (ROOT / launch_path("book/executed/networks-and-collaboration")).is_file()
