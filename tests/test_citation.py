"""CITATION.cff is valid Citation File Format 1.2.0 and gives a citing researcher what they need.

The schema check is cffconvert's own ``cffconvert --validate``.  cffconvert 2.0.0 requires ``jsonschema<4``,
which JupyterLab's server cannot use (it needs ``jsonschema>=4.18``), so ``make setup`` installs it into a
virtual environment of its own, ``.venv/cffconvert`` (pinned there; see the Makefile), and these tests call its
command.
"""

from __future__ import annotations

import datetime as dt
import subprocess
import tomllib
from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[1]
CFFCONVERT = ROOT / ".venv" / "cffconvert" / "bin" / "cffconvert"

needs_cffconvert = pytest.mark.skipif(
    not CFFCONVERT.is_file(), reason=f"{CFFCONVERT} missing: `make setup` installs cffconvert there"
)


def _cff() -> dict:
    return yaml.safe_load((ROOT / "CITATION.cff").read_text(encoding="utf-8"))


def _validate(path: Path) -> subprocess.CompletedProcess:
    return subprocess.run([str(CFFCONVERT), "--validate", "-i", str(path)], capture_output=True, text=True, timeout=120)


@needs_cffconvert
def test_citation_file_is_valid_cff_1_2_0():
    proc = _validate(ROOT / "CITATION.cff")
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "valid according to schema version 1.2.0" in proc.stdout


@needs_cffconvert
def test_the_schema_check_catches_what_the_issue_found(tmp_path):
    """The check is not vacuous: the licence the file used to give its data reference fails it."""
    broken = _cff()
    broken["references"][-1]["license"] = "NLOD-2.0"
    path = tmp_path / "CITATION.cff"
    path.write_text(yaml.safe_dump(broken, sort_keys=False, allow_unicode=True), encoding="utf-8")
    proc = _validate(path)
    assert proc.returncode != 0
    assert "NLOD-2.0" in proc.stdout + proc.stderr


def test_citation_gives_what_a_citing_researcher_needs():
    cff = _cff()
    project = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]
    config = yaml.safe_load((ROOT / "_config.yml").read_text(encoding="utf-8"))
    assert cff["version"] == project["version"]
    assert cff["repository-code"] == config["repository"]["url"]
    dt.date.fromisoformat(str(cff["date-released"]))
    assert cff["license"] == project["license"]
    assert cff["authors"] and all(a.get("name") or a.get("family-names") for a in cff["authors"])
    assert cff["title"] and cff["abstract"]
