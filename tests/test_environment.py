"""environment.yml and pyproject.toml must pin the same direct dependencies."""

import tomllib

import yaml

from vsr_analysis import paths


def _pyproject_pins():
    data = tomllib.loads((paths.project_root() / "pyproject.toml").read_text())
    pins = list(data["project"]["dependencies"]) + list(data["project"]["optional-dependencies"]["test"])
    return {p.split("==")[0].lower(): p.split("==")[1] for p in pins}


def _environment_pins():
    env = yaml.safe_load((paths.project_root() / "environment.yml").read_text())
    pip = next(d["pip"] for d in env["dependencies"] if isinstance(d, dict) and "pip" in d)
    return {p.split("==")[0].lower(): p.split("==")[1] for p in pip if "==" in p}, pip, env


def test_every_dependency_is_pinned_exactly():
    data = tomllib.loads((paths.project_root() / "pyproject.toml").read_text())
    for dep in data["project"]["dependencies"]:
        assert "==" in dep, f"{dep} is not pinned"


def test_environment_matches_pyproject():
    env_pins, pip, env = _environment_pins()
    assert env_pins == _pyproject_pins()
    assert "-e ." in pip
    assert "python=3.11" in env["dependencies"]


def test_jupyter_book_is_1x():
    version = _pyproject_pins()["jupyter-book"]
    assert version.split(".")[0] == "1"
