"""vsr simulate and the operating-characteristics chapter on the share claims' two intervals (the assumption-light
one they are decided on, without a finite-population factor, and the one under missing at random reported beside
it) and on the scenarios where response depends on the answer (SIMULATED data)."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd

from vsr_analysis.simulate import engine, operating, report


def test_run_seed_decides_share_claims_on_the_assumption_light_interval_and_records_the_mar_one():
    plan = engine.make_plan(["mature-answer-more"], 1, ["F6", "F7", "F1"], chunk_size=1)
    doc = plan.scenario_docs["mature-answer-more"]
    recs = [r for seed in (1, 2) for r in engine.run_seed(doc, seed, plan.claims, plan.alpha)]
    shares = [r for r in recs if r["claim"] in ("F6", "F7")]
    assert shares and all(r["verdict_mar"] in ("supported", "not supported", "inconclusive") for r in shares)
    for r in shares:
        # the same share; the primary (assumption-light) is the wider interval: the per-unit factor 1 - π̂ of the
        # interval under missing at random only ever shrinks the variance
        assert r["ci_low"] <= r["ci_low_mar"] <= r["estimate"] <= r["ci_high_mar"] <= r["ci_high"]
        assert r["covered_mar"] == (r["ci_low_mar"] <= r["true_value"] <= r["ci_high_mar"])
    f1 = [r for r in recs if r["claim"] == "F1"]
    assert all(r["verdict_mar"] is None and r["covered_mar"] is None for r in f1)
    table = engine.per_seed_table(recs)
    assert list(table.columns[: len(engine.PER_SEED_COLUMNS) - 4]) == list(engine.PER_SEED_COLUMNS[:-4])
    assert list(table.columns[-4:]) == ["verdict_mar", "ci_low_mar", "ci_high_mar", "covered_mar"]


def _records(mar: bool = True) -> pd.DataFrame:
    rows = []
    for seed in range(1, 11):
        row = {"scenario": "s", "seed": seed, "claim": "F6", "truth": "holds", "true_value": 0.55,
               "verdict": "supported", "verdict_unadjusted": "supported", "estimate": 0.6, "ci_low": 0.57,
               "ci_high": 0.63, "covered": False, "error": ""}  # fmt: skip
        if mar:
            row.update(verdict_mar="supported" if seed <= 4 else "inconclusive", covered_mar=seed != 1)
        rows.append(row)
    return pd.DataFrame(rows)


def test_operating_characteristics_of_the_interval_under_missing_at_random():
    oc = operating.operating_characteristics(_records()).iloc[0]
    assert oc["supported"] == 1.0 and oc["coverage"] == 0.0
    assert oc["supported_mar"] == 0.4 and oc["coverage_mar"] == 0.9 and oc["n_coverage_mar"] == 10
    assert math.isclose(oc["supported_mar_se"], math.sqrt(0.4 * 0.6 / 10))
    old = operating.operating_characteristics(_records(mar=False)).iloc[0]  # a run made before the columns
    assert np.isnan(old["supported_mar"]) and old["n_coverage_mar"] == 0
    # the new columns come after every existing one
    assert list(operating.operating_characteristics(_records()).columns[-5:]) == [
        "supported_mar", "supported_mar_se", "n_coverage_mar", "coverage_mar", "coverage_mar_se"
    ]  # fmt: skip


def _oc(cov_nmar: float) -> pd.DataFrame:
    rows = []
    for scenario, cov, light in (("vsr-narrative", 0.95, 1.0), ("mature-answer-more", cov_nmar, 0.9)):
        rows.append({"scenario": scenario, "claim": "F6", "truth": "holds", "n_seeds": 40, "supported": 0.5,
                     "n_coverage": 40, "coverage": cov, "supported_mar": 0.25, "n_coverage_mar": 40,
                     "coverage_mar": light})  # fmt: skip
    rows.append({"scenario": "vsr-narrative", "claim": "F1", "truth": "holds", "n_seeds": 40, "supported": 1.0,
                 "n_coverage": 40, "coverage": 0.9, "supported_mar": np.nan, "n_coverage_mar": 0,
                 "coverage_mar": np.nan})  # fmt: skip
    return pd.DataFrame(rows)


def test_not_at_random_lines_come_from_the_numbers():
    lines = report.not_at_random_lines(_oc(0.6))
    coefficient = report.response_stage_coefficient("mature-answer-more")
    assert coefficient > 0 and report.response_stage_coefficient("vsr-narrative") == 0
    assert len(lines) == 2  # F6 under the one not-at-random scenario, and the summary (F1 has no such interval)
    assert f"log-odds {coefficient:+g}" in lines[0]
    assert "covers the frame's true share in 60 %" in lines[0] and "against 95 %" in lines[0]
    assert (
        "under missing at random in 90 %" in lines[0] and "on the interval under missing at random in 25 %" in lines[0]
    )
    assert "35 percentage points below" in lines[1]
    assert report.not_at_random_lines(_oc(0.97))[-1].startswith("In no share claim")
    assert report.not_at_random_lines(_oc(0.6)[lambda d: d["scenario"] == "vsr-narrative"]) == []


# --- the decision: the assumption-light interval decides, the one under missing at random is only reported ---------

_MAR = {"estimate": 0.56, "ci_low": 0.51, "ci_high": 0.61, "p_value": 0.01, "n": 200, "n_eff": 150.0, "note": ""}
_LIGHT = {"estimate": 0.56, "ci_low": 0.47, "ci_high": 0.65, "p_value": 0.11, "n": 200, "n_eff": 90.0, "note": ""}


def _by_variance(variance):
    """The MAR interval (factor 1 - π̂ per unit) excludes F6's level 0.5; the assumption-light one does not."""
    return dict(_MAR if variance == "poisson" else _LIGHT)


def test_registry_says_inconclusive_when_only_the_mar_interval_excludes_the_level(monkeypatch):
    from types import SimpleNamespace

    from vsr_analysis.claims.ledger import decide, load_claims_spec
    from vsr_analysis.claims.spec import load_claims
    from vsr_analysis.simulate import registry

    claim = load_claims()["F6"]
    assert claim.share_variance == "with_replacement"  # declared in claims.yml: analysis.variance assumption_light
    monkeypatch.setattr(registry, "_share_inputs", lambda data: {"design": object()})
    monkeypatch.setattr(
        registry.se,
        "declared_share_test",
        lambda frame, c, *, counties=None, design=None, variance=None: _by_variance(variance or c.share_variance),
    )
    data = SimpleNamespace(frame=pd.DataFrame({"responded": [True]}), counties=pd.DataFrame())
    ev = registry.share_vs_threshold(data, claim, {}, 0)
    assert ev["primary"]["ci_low"] == _LIGHT["ci_low"] and ev["mar"]["ci_low"] == _MAR["ci_low"]
    entry = next(e for e in load_claims_spec()["claims"] if e["id"] == "F6")
    assert decide(entry, ev, 0.05, ev["primary"]["p_value"]).verdict == "inconclusive"
    # the same rule on the MAR row alone would have said supported: that row is reported, never the verdict
    assert decide(entry, dict(ev, primary=ev["mar"]), 0.05, ev["mar"]["p_value"]).verdict == "supported"


def test_the_chapters_analysis_records_the_assumption_light_decision(monkeypatch):
    from vsr_analysis.claims import share_evidence as se
    from vsr_analysis.claims.ledger import decide, load_claims_spec

    monkeypatch.setattr(
        se, "calibrated_share_test", lambda y, design, p0, dom=None, *, variance="poisson", observed=None: _by_variance(variance)
    )  # fmt: skip
    entry = next(e for e in load_claims_spec()["claims"] if e["id"] == "F6")
    frame = pd.DataFrame({"responded": [True, True, False], "sdg_in_master_plan": [1.0, 0.0, np.nan]})
    a = se.share_claim_analysis(frame, entry, 0.05, item="sdg_in_master_plan", design=object(), robustness=False)
    assert a.primary["ci_low"] == _LIGHT["ci_low"]
    assert a.mar["decision"] == "supported" and a.mar["primary_decision"] == "inconclusive"
    ev = {"primary": a.primary, "rule_inputs": {}, "n": a.primary["n"]}  # what the chapter hands to the ledger
    assert decide(entry, ev, 0.05, a.primary["p_value"]).verdict == "inconclusive"
