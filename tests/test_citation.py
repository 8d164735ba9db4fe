"""CITATION.cff is valid Citation File Format 1.2.0 and gives a citing researcher what they need.

The schema check is cffconvert's: ``tests/fixtures/cff/schema-1.2.0.json`` is the file
``cffconvert/schemas/1.2.0/schema.json`` of the cffconvert 2.0.0 wheel on PyPI, byte for byte (its sha256 is
checked below; the schema is the Citation File Format project's, CC BY 4.0), and ``cffconvert --validate`` does
what this test does: load the YAML and validate it with jsonschema against that schema.  cffconvert itself is
not a test dependency because it requires ``jsonschema<4``, which JupyterLab's server cannot use (it needs
``jsonschema>=4.18``); installing both would leave a conflicting environment.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import tomllib
from pathlib import Path

import jsonschema
import yaml

ROOT = Path(__file__).resolve().parents[1]
SCHEMA = ROOT / "tests" / "fixtures" / "cff" / "schema-1.2.0.json"
#: sha256 of cffconvert-2.0.0-py3-none-any.whl!cffconvert/schemas/1.2.0/schema.json
SCHEMA_SHA256 = "0b8d22140da702d766df318dcff3a91af2f39521298dcf36d76315fd99cc169b"


def _cff() -> dict:
    return yaml.safe_load((ROOT / "CITATION.cff").read_text(encoding="utf-8"))


def test_schema_is_cffconverts_own():
    assert hashlib.sha256(SCHEMA.read_bytes()).hexdigest() == SCHEMA_SHA256


def test_citation_file_is_valid_cff_1_2_0():
    schema = json.loads(SCHEMA.read_text(encoding="utf-8"))
    validator = jsonschema.Draft7Validator(schema, format_checker=jsonschema.FormatChecker())
    errors = sorted(validator.iter_errors(_cff()), key=lambda e: list(e.absolute_path))
    assert errors == [], "\n".join(f"{list(e.absolute_path)}: {e.message}" for e in errors)


def test_the_schema_check_catches_what_the_issue_found():
    """The check is not vacuous: the licence the file used to give its data reference fails it."""
    schema = json.loads(SCHEMA.read_text(encoding="utf-8"))
    broken = _cff()
    broken["references"][-1]["license"] = "NLOD-2.0"
    assert not jsonschema.Draft7Validator(schema).is_valid(broken)


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
