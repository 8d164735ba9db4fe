"""Issue 29: four unusual but valid survey files build as confidential runs, every chapter finished.

- no respondent from one county (Viken, the largest: raking cannot meet every margin; the pre-specified rule
  drops margins, and the county fixed effects take the largest county that has respondents as reference);
- every municipality a network member (F5's term does not vary: the chapter ends in words, inconclusive);
- a single respondent (every model chapter ends in words; nothing crashes);
- every municipality at one maturity stage (the models and NCA end in words).

Each file is a confidential run (``--survey``) in its own project copy; the build's reconstruction audit must
pass and the book must build. Slow: four whole runs.
"""

from __future__ import annotations

import json

import pandas as pd
import pytest
import yaml

from conftest import TEST_POWER_REPS, copy_project, vsr
from vsr_analysis.data.register import load_register

pytestmark = pytest.mark.slow


def _files(base: pd.DataFrame) -> dict[str, pd.DataFrame]:
    register = load_register()
    viken = set(register.loc[register["county_code"] == "30", "knr"])
    muni = base["unit_type"] == "municipality"
    all_network = base.copy()
    all_network.loc[muni, "network_member"] = "1"
    one_stage = base.copy()
    one_stage.loc[muni, "maturity_stage"] = "3"
    return {
        "no_county": base[~base["knr"].isin(viken)],
        "all_network": all_network,
        "one_respondent": base[muni].head(1),
        "one_stage": one_stage,
    }


@pytest.fixture(scope="module")
def replica(tmp_path_factory):
    root = copy_project(tmp_path_factory.mktemp("valid-base") / "project")
    out = root.parent / "replica.csv"
    vsr("synth", "--scenario", "vsr-narrative", "--seed", "5", "--out", str(out), root=root)
    return pd.read_csv(out, dtype=str, keep_default_na=False)


@pytest.mark.parametrize("case", ["no_county", "all_network", "one_respondent", "one_stage"])
def test_valid_file_builds_with_every_chapter_finished(replica, tmp_path, case):
    root = copy_project(tmp_path / "project", power_reps=TEST_POWER_REPS)
    secret = tmp_path / "private" / f"{case}.csv"
    secret.parent.mkdir()
    _files(replica)[case].to_csv(secret, index=False)
    assert vsr("validate", str(secret), root=root, check=False).returncode == 0
    run = vsr("run", "--jobs", "2", "--survey", str(secret), root=root, check=False)
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
    book = vsr("book", root=root, check=False)
    assert book.returncode == 0, book.stderr[-4000:]
