"""Issue 29: four unusual but valid survey files build as confidential runs, every chapter finished.

- no respondent from one county (Viken, the largest: raking cannot meet every margin; the pre-specified rule
  drops margins, and the county fixed effects take the largest county that has respondents as reference);
- every municipality a network member (F5's term does not vary: the chapter ends in words, inconclusive);
- a single respondent (every model chapter ends in words; nothing crashes);
- every municipality at one maturity stage (the models and NCA end in words).

Each file is a confidential run (``--survey``) in its own project copy; the build's reconstruction audit must
pass and the book must build. Slow: whole runs. To save two whole runs (issue 24), the first two cases are one
file: without Viken's respondents *and* with every municipality a network member (``unusual_valid_file`` in
tests/conftest.py). The two touch different parts (the raking margins and the county reference; F5's network
term), so each still shows its property. That file is also the one of the planted-respondent build
(``planted_build``: Oslo, not in Viken, alone at the top stage), whose confidential run and book these two
tests read. The builds are made once per test run, whatever the number of xdist workers (``shared_once``).
"""

from __future__ import annotations

import json

import pandas as pd
import pytest
import yaml

from conftest import TEST_POWER_REPS, copy_project, vsr
from shared_build import shared_once

pytestmark = pytest.mark.slow

#: The file each case is built from: two orthogonal edge cases share one file, the planted build's.
BUILD_OF = {
    "no_county": "planted",
    "all_network": "planted",
    "one_respondent": "one_respondent",
    "one_stage": "one_stage",
}


def _files(base: pd.DataFrame) -> dict[str, pd.DataFrame]:
    muni = base["unit_type"] == "municipality"
    one_stage = base.copy()
    one_stage.loc[muni, "maturity_stage"] = "3"
    return {
        "one_respondent": base[muni].head(1),
        "one_stage": one_stage,
    }


def _replica(tmp_path_factory) -> pd.DataFrame:
    def build(folder):
        root = copy_project(folder / "project")
        out = folder / "replica.csv"
        vsr("synth", "--scenario", "vsr-narrative", "--seed", "5", "--out", str(out), root=root)
        return out

    return pd.read_csv(shared_once(tmp_path_factory, "valid-replica", build), dtype=str, keep_default_na=False)


@pytest.fixture(scope="session")
def valid_build(tmp_path_factory):
    """``valid_build(name, request)``: the confidential build of the valid file ``name``, made once per test run
    (``request``: the test's, which asks for the planted build when ``name`` is "planted")."""
    cache: dict = {}

    def get(name: str, request):
        if name == "planted":  # the planted build's file and run (tests/conftest.py)
            root, run, _, _, book = request.getfixturevalue("planted_build")
            if name not in cache:
                secret = root.parent / "private" / "planted.csv"
                cache[name] = vsr("validate", str(secret), root=root, check=False)
            return root, cache[name], run, book
        if name not in cache:

            def build(folder):
                files = _files(_replica(tmp_path_factory))
                root = copy_project(folder / "project", power_reps=TEST_POWER_REPS)
                secret = folder / "private" / f"{name}.csv"
                secret.parent.mkdir()
                files[name].to_csv(secret, index=False)
                validate = vsr("validate", str(secret), root=root, check=False)
                run = vsr("run", "--jobs", "2", "--survey", str(secret), root=root, check=False)
                book = vsr("book", root=root, check=False) if run.returncode == 0 else None
                return root, validate, run, book

            cache[name] = shared_once(tmp_path_factory, f"valid-{name}", build)
        return cache[name]

    return get


@pytest.mark.parametrize("case", ["no_county", "all_network", "one_respondent", "one_stage"])
def test_valid_file_builds_with_every_chapter_finished(valid_build, case, request):
    root, validate, run, book = valid_build(BUILD_OF[case], request)
    assert validate.returncode == 0
    assert run.returncode == 0, run.stderr[-5000:]
    spec = yaml.safe_load((root / "runspec.yml").read_text())
    names = [p["name"] for nb in spec["notebooks"] for p in nb["parameter_sets"]]
    for name in names:
        assert (root / "book" / "executed" / f"{name}.ipynb").is_file(), name
    # every claim has a computed verdict; those that could not be estimated say why, in words
    for entry in json.loads((root / "results" / "claims.json").read_text()):
        assert entry["verdict"] in ("supported", "not supported", "inconclusive"), entry["id"]
        assert "its notebook has not been executed" not in str(entry.get("reason")), entry["id"]
    audit = json.loads((root / "results" / "disclosure-audit.json").read_text())
    assert audit.get("determined_answers", 0) == 0 and audit.get("recomputable_counts", 0) == 0
    if case == "no_county":
        weighting = (root / "book" / "executed" / "weighting.ipynb").read_text()
        assert "pre-specified rule" in weighting
    assert book.returncode == 0, book.stderr[-4000:]
