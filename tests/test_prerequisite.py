"""F4's evidence: upper-tail contrast, item-based stage, the necessity multiverse, validated small units at the top."""

import numpy as np
import pandas as pd
import pytest

from vsr_analysis.claims.necessity_evidence import (
    item_based_stage,
    necessity_multiverse,
    upper_tail_contrast,
)


def test_upper_tail_contrast_with_bootstrap_interval():
    y = np.r_[np.full(50, 5.0), np.full(50, 1.0), np.full(20, 5.0), np.full(80, 1.0)]
    g = np.r_[np.ones(100), np.zeros(100)]
    out = upper_tail_contrast(y, g, 4, reps=500, seed=1)
    assert out["estimate"] == pytest.approx(0.5 - 0.2)
    assert out["ci_low"] < 0.3 < out["ci_high"]
    assert out == upper_tail_contrast(y, g, 4, reps=500, seed=1)  # seeded: reproducible


def test_item_based_stage_counts_yes_answers_and_keeps_missing():
    frame = pd.DataFrame(
        {
            "sdg_in_planning_strategy": [1, 1],
            "sdg_in_master_plan": [1, None],
            "sdg_in_budget": [0, 1],
            "sdg_in_management": [1, 1],
            "measures_progress": [0, 1],
        }
    )
    score = item_based_stage(frame)
    assert score.iloc[0] == 3 and np.isnan(score.iloc[1])


@pytest.mark.parametrize("scenario", ["vsr-narrative", "size-ceiling"])
def test_multiverse_follows_the_scenario(scenario):
    from vsr_analysis.loading import load_frame

    data = load_frame(f"synthetic:{scenario}:2021")
    m = necessity_multiverse(data.respondents, data.frame, permutations=200, seed=1)
    assert len(m) == 2 * 2 * 3 * 2 * 3
    at_median = m[m["threshold"] == "median"]["decision"]
    if scenario == "vsr-narrative":
        assert (at_median == "supported").all()
    else:  # the scenario's true ceiling (10,000) lies above the median: big *is* required there
        assert (at_median == "not supported").mean() > 0.8


def _units():
    return pd.DataFrame(
        {
            "maturity_stage": [4, 4, 5, 5, 4, 2],
            "sdg_in_budget": [1, 0, 0, 0, 0, 1],
            "sdg_in_management": [0, 1, 0, 0, 0, 1],
            "measures_progress": [0, 0, 1, 0, 1, 1],
            "population_2021": [1200.0, 1500.0, 2500.0, 3000.0, 4000.0, 900.0],
        }
    )


def test_only_stages_confirmed_by_the_ladder_items_count():
    from vsr_analysis.claims.necessity_evidence import confirmed_at_top

    ok = confirmed_at_top(_units(), 4).tolist()
    # stage 4 needs budget or management; stage 5 needs measuring progress; stage 2 is not at the top
    assert ok == [True, True, True, False, False, False]
    assert confirmed_at_top(_units(), 5).tolist() == [False, False, True, False, False, False]


def test_band_of_reports_the_register_band_not_the_value():
    from vsr_analysis.claims.necessity_evidence import band_of
    from vsr_analysis.data.register import load_register

    register = load_register()
    assert band_of(1518.0, register, "population_2021", "size_band") == "size band <2,000"
    assert band_of(10306.0, register, "population_2021", "size_band") == "size band 10,000–19,999"


def test_existence_evidence_uses_the_nca_bottleneck_and_masks_on_confidential_runs():
    from vsr_analysis.claims.necessity_evidence import existence_evidence
    from vsr_analysis.data.register import load_register
    from vsr_analysis.stats.nca import nca

    units = _units()
    x = np.log10(units["population_2021"].to_numpy())
    y = units["maturity_stage"].to_numpy(dtype=float)
    res = nca(x, y, ceiling="ce_fdh")
    frame = load_register()
    ev = existence_evidence(
        units, frame, "population_2021", 5000.0, 4, log_scale=True, nca_result=res, confidential=False
    )
    assert ev.claimed_counterexamples == 5 and ev.validated_counterexamples == 3
    assert ev.required_x == pytest.approx(1200.0) and not ev.required_at_or_above_threshold
    safe = existence_evidence(
        units, frame, "population_2021", 5000.0, 4, log_scale=True, nca_result=res, confidential=True
    )
    inputs = safe.as_rule_inputs()
    assert inputs["required_x"] is None and inputs["required_label"] == "size band <2,000"
    assert inputs["validated_counterexamples"] == 3
    few = existence_evidence(
        units, frame, "population_2021", 2000.0, 4, log_scale=True, nca_result=res, confidential=True
    )
    assert few.as_rule_inputs()["validated_counterexamples"] == "<3"


def test_bottleneck_table_shows_bands_and_no_percentile_when_confidential():
    from vsr_analysis.claims.necessity_evidence import bottleneck_table
    from vsr_analysis.data.register import load_register

    units = _units()
    x = np.log10(units["population_2021"].to_numpy())
    y = units["maturity_stage"].to_numpy(dtype=float)
    labels = {i: f"s{i}" for i in range(6)}
    open_ = bottleneck_table(
        x, y, load_register(), "population_2021", log_scale=True, confidential=False, labels=labels
    )
    safe = bottleneck_table(x, y, load_register(), "population_2021", log_scale=True, confidential=True, labels=labels)
    assert "1,200" in open_["required (CE-FDH)"].tolist()
    assert not any("1,200" in v for v in safe["required (CE-FDH)"]) and "share of respondents below it (%)" not in safe


def test_binned_counts_cover_every_band_and_stage():
    from vsr_analysis.claims.necessity_evidence import binned_counts

    units = _units().assign(size_band=["a", "a", "b", "b", "b", "a"])
    tab = binned_counts(units, "size_band", ["a", "b", "c"])
    assert tab["band"].tolist() == ["a", "b", "c"]
    assert tab.loc[0, "stage 4"] == 2 and tab.loc[2].drop("band").sum() == 0


def test_decide_under_variants_applies_the_claims_rule():
    from vsr_analysis.claims.ledger import load_claims_spec
    from vsr_analysis.claims.necessity_evidence import decide_under_variants

    claim = next(c for c in load_claims_spec()["claims"] if c["id"] == "F4")
    variants = [
        {"label": {"v": 1}, "rule_inputs": {"validated_counterexamples": 4}, "show": ["validated_counterexamples"]},
        {
            "label": {"v": 2},
            "rule_inputs": {
                "validated_counterexamples": 0,
                "nca_p_value": 0.001,
                "required_at_or_above_threshold": True,
            },
        },
    ]
    out = decide_under_variants(claim, 0.05, variants)
    assert out["decision"].tolist() == ["supported", "not supported"]
