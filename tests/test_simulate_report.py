"""The operating-characteristics chapter's tables and sentences (simulate/report.py)."""

import pandas as pd

from vsr_analysis.simulate import report


def _oc():
    return pd.DataFrame(
        {
            "claim": ["F1", "F1", "F6"],
            "scenario": ["vsr-narrative", "null", "low-uptake"],
            "truth": ["holds", "fails", "fails"],
            "n_seeds": [100, 100, 100],
            "supported": [0.9, 0.02, 0.20],
            "not_supported": [0.0, 0.1, 0.5],
            "inconclusive": [0.1, 0.88, 0.30],
            "supported_se": [0.03, 0.014, 0.04],
            "supported_unadjusted": [0.95, 0.05, 0.25],
            "coverage": [0.95, 0.94, None],
        }
    )


def test_false_positive_lines_flag_a_rule_above_the_nominal_level():
    lines = report.false_positive_lines(_oc())
    assert len(lines) == 3  # two false claims and the summary
    assert "F1 under `null`" in lines[0] and "within the nominal 5 %" in lines[0]
    assert "F6 under `low-uptake`" in lines[1] and "above the nominal 5 %" in lines[1]
    assert lines[-1] == "1 rule(s) exceed the nominal level: F6 under low-uptake."


def test_no_false_claim_gives_no_lines_and_a_clean_run_says_so():
    assert report.false_positive_lines(_oc().iloc[:1]) == []
    clean = _oc().assign(supported=[0.9, 0.02, 0.03])
    assert report.false_positive_lines(clean)[-1].startswith("No rule says *supported*")


def test_verdict_table_is_in_percent_with_readable_headers():
    table = report.verdict_table(_oc())
    assert "supported (%)" in table.columns and "_" not in " ".join(table.columns)
    assert table.loc[table["scenario"] == "low-uptake", "supported (%)"].item() == 20.0


def test_written_tables_carry_the_simulated_label(tmp_path):
    path = report.write_labelled(tmp_path, "oc", _oc())
    header, first = path.read_text(encoding="utf-8").splitlines()[:2]
    assert header.startswith("data,") and first.startswith(report.SIMULATED_LABEL)


def test_a_stored_run_is_shown_only_while_this_code_makes_the_same_plan(tmp_path):
    import json

    from vsr_analysis.simulate import engine

    plan = engine.make_plan(["null"], 2, ["F8", "F4"], chunk_size=2, overrides={"permutations": 30})
    engine.simulate(plan, tmp_path, workers=0, progress=False)
    prov = json.loads((tmp_path / engine.PROVENANCE_FILE).read_text())
    assert report.stored_run_problem(prov) is None
    other_scenario = {**prov, "fingerprint": "0" * 64, "scenarios": {"null": "f" * 64}}
    assert "scenario file(s) null changed" in report.stored_run_problem(other_scenario)
    other_code = {**prov, "fingerprint": "0" * 64}
    assert "analysis code, claims.yml or run spec changed" in report.stored_run_problem(other_code)
    assert "cannot be made again" in report.stored_run_problem({**prov, "scenarios": {"no-such": "0"}})
