"""F4 on a confidential file publishes no unit's answer: no unit points, no single unit's register value (issue 13).

A respondent is planted as the unique ceiling peer: the smallest municipality at the top stages, at stage 5,
confirmed by its items. On a synthetic run the chapter prints its exact population as the bottleneck; on a
confidential run that number must appear nowhere (executed notebook, result tables, evidence), the bottleneck is
a size band, and the figure is binned counts with small cells suppressed.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pandas as pd
import pytest

from conftest import copy_project, vsr

pytestmark = pytest.mark.slow


def _planted_file(root, out):
    from vsr_analysis.data.register import load_register

    vsr("synth", "--scenario", "vsr-narrative", "--seed", "7", "--out", str(out), root=root)
    survey = pd.read_csv(out, dtype={"knr": str})
    register = load_register().set_index("knr")
    muni = survey["unit_type"] == "municipality"
    pop = survey.loc[muni, "knr"].map(register["population_2021"])
    # the smallest responding municipality with a four-digit population becomes the unique top-stage peer
    four = pop[(pop >= 1000) & (pop < 2000)]
    target = four.idxmin()
    smaller_top = muni & (pop < 2000).reindex(survey.index, fill_value=False) & (survey["maturity_stage"] >= 4)
    survey.loc[smaller_top, "maturity_stage"] = 3
    survey.loc[target, ["maturity_stage", "measures_progress"]] = [5, 1]
    survey.to_csv(out, index=False)
    return int(pop[target])


def _papermill(root, survey_spec, results, out_nb):
    env = dict(os.environ, VSR_PROJECT_ROOT=str(root))
    cmd = [
        sys.executable,
        "-m",
        "vsr_analysis.build.papermill_child",  # python -m papermill, started lean (see that module)
        str(root / "notebooks/necessity.ipynb"),
        str(out_nb),
        "-k",
        "python3",
        "-p",
        "survey",
        survey_spec,
        "-p",
        "results_dir",
        str(results),
        "-p",
        "permutations",
        "200",
        "-p",
        "multiverse",
        "True",
        "--cwd",
        str(root),
        "--no-progress-bar",
    ]
    proc = subprocess.run(cmd, env=env, capture_output=True, text=True, timeout=900)
    assert proc.returncode == 0, proc.stderr[-3000:]


def test_f4_confidential_run_hides_the_planted_peer(tmp_path):
    root = copy_project(tmp_path / "project")
    secret = tmp_path / "private" / "kommuner_confidential.csv"
    secret.parent.mkdir()
    population = _planted_file(root, secret)
    env_root = dict(os.environ, VSR_PROJECT_ROOT=str(root))
    code = f"from vsr_analysis.loading import resolve_source; import sys; print(resolve_source({str(secret)!r}).spec)"
    spec = subprocess.run([sys.executable, "-c", code], env=env_root, capture_output=True, text=True, check=True)
    spec = spec.stdout.strip().splitlines()[-1]
    _papermill(root, spec, tmp_path / "results", tmp_path / "f4.ipynb")

    published = [(tmp_path / "f4.ipynb").read_text(encoding="utf-8")]
    published += [p.read_text(encoding="utf-8") for p in (tmp_path / "results").glob("*.csv")]
    published.append((tmp_path / "results/evidence.json").read_text(encoding="utf-8"))
    for text in published:
        assert f"{population:,}" not in text and f'"{population}"' not in text and f",{population}," not in text
    evidence = json.loads((tmp_path / "results/evidence.json").read_text(encoding="utf-8"))
    assert evidence["rule_inputs"]["required_x"] is None
    assert evidence["rule_inputs"]["required_label"].startswith("size band")
    bottleneck = pd.read_csv(tmp_path / "results/bottleneck.csv", dtype=str)
    # the planted unit is the stage-5 peer: its band is reported, never its population
    stage5 = bottleneck.loc[bottleneck["maturity stage ≥"] == "5", "required (CE-FDH)"].iloc[0]
    assert stage5 == "size band <2,000"
    outputs = json.dumps([c.get("outputs", []) for c in json.loads(published[0])["cells"]])
    assert "Respondents by band and stage" in outputs and "Each point is a responding municipality" not in outputs
