"""Scenarios where the share claims' assumptions fail: response not at random (a response coefficient on the
maturity stage) and a borderline size ceiling for F4.  SIMULATED data throughout."""

from __future__ import annotations

import copy
import math

import numpy as np
import pytest

from vsr_analysis.claims.spec import load_claims
from vsr_analysis.simulate.truth import model_truth
from vsr_analysis.synth import replica
from vsr_analysis.synth.estimands import stage_ceiling
from vsr_analysis.synth.simulation import scenario_model

NMAR = ("mature-answer-more", "mature-answer-less")


@pytest.fixture(scope="module")
def register():
    return replica.register_frame(None)


def _with_stage_coefficient(name: str, value: float) -> dict:
    doc = copy.deepcopy(replica.load_scenario(name))
    doc["_sha256"] = None  # not cached under the file's checksum
    doc["response"]["maturity_stage"] = {"value": value, "reason": "test", "sources": ["assumption"]}
    return doc


def test_a_zero_stage_coefficient_changes_no_draw(register):
    plain_rows, plain_truth = replica.generate("vsr-narrative", 7, frame=register)
    zero_rows, zero_truth = replica.generate(_with_stage_coefficient("vsr-narrative", 0.0), 7, frame=register)
    assert plain_rows.equals(zero_rows)
    assert plain_truth["response_model"] == zero_truth["response_model"]
    assert "maturity_stage" not in plain_truth["response_model"]


@pytest.mark.parametrize("name", NMAR)
def test_stage_dependent_response_keeps_the_frame_and_the_response_rate(name, register):
    doc = replica.load_scenario(name)
    model = scenario_model(name, register)
    narrative = scenario_model("vsr-narrative", register)
    assert model.g_stage == doc["response"]["maturity_stage"]["value"] != 0
    # the frame is vsr-narrative's: same thresholds, same stage probabilities, so the same frame shares
    np.testing.assert_array_equal(model.thresholds, narrative.thresholds)
    np.testing.assert_allclose(model.stage_probs, narrative.stage_probs)
    # the intercept is solved so that the expected frame response rate is the target
    assert model.p_respond.mean() == pytest.approx(doc["response"]["target_rate"]["value"], abs=1e-9)
    np.testing.assert_allclose(model.p_respond, (model.stage_probs * model.p_respond_by_stage).sum(axis=1))
    # the odds of answering change by exp(g) per stage, within every municipality
    odds = model.p_respond_by_stage / (1 - model.p_respond_by_stage)
    np.testing.assert_allclose(odds[:, 1:] / odds[:, :-1], math.exp(model.g_stage))


def test_the_two_directions_move_the_respondents_apart(register):
    top = {
        name: scenario_model(name, register).expected_marginals()["respondents"]["stage_ge4"]
        for name in ("mature-answer-less", "vsr-narrative", "mature-answer-more")
    }
    assert top["mature-answer-less"] < top["vsr-narrative"] < top["mature-answer-more"]


@pytest.mark.parametrize("name", NMAR)
def test_respondents_expected_shares_match_simulated_respondents(name, register):
    """The expected respondent shares (response jointly with the stage and the items) against 30 simulated
    surveys pooled: a computation that ignored the dependence would miss by several standard errors."""
    model = scenario_model(name, register)
    expected = model.expected_marginals()["respondents"]
    mar = {k: float((model.p_respond * v).sum() / model.p_respond.sum()) for k, v in model.item_probs().items()}
    pooled: dict[str, list] = {"stage_ge4": [], "sdg_in_master_plan": [], "sdg_in_management": []}
    for _, rows, _ in replica.simulate_with_frame(name, range(1, 31), frame=register):
        muni = rows[rows["unit_type"] == "municipality"]
        pooled["stage_ge4"] += list((muni["maturity_stage"].dropna().astype(int) >= 4).astype(float))
        for item in ("sdg_in_master_plan", "sdg_in_management"):
            pooled[item] += list(muni[item].dropna().astype(float))
    for key, values in pooled.items():
        real, n, exp = float(np.mean(values)), len(values), expected[key]
        se = math.sqrt(exp * (1 - exp) / n)  # units answer independently, so 30 surveys pool as one sample
        assert abs(real - exp) <= 3 * se, (key, real, exp)
        if key == "stage_ge4":  # ignoring the dependence would be detectably wrong
            assert abs(exp - mar[key]) > 3 * se, key


def test_borderline_ceiling_lies_below_the_median_so_f4_holds(register):
    doc = replica.load_scenario("size-ceiling-borderline")
    cap, median = stage_ceiling(doc, 4)
    assert cap is not None and cap < median
    assert model_truth(load_claims()["F4"], doc)[0] is True
    model = scenario_model("size-ceiling-borderline", register)
    between = (model.population >= cap) & (model.population < median)
    assert between.any()  # counterexamples are possible ...
    narrative = scenario_model("vsr-narrative", register)
    small = model.population < median
    # ... but rare: far fewer expected than without the ceiling, and none below the ceiling
    assert model.expected_count(small) < narrative.expected_count(small) / 2
    assert model.expected_count(model.population < cap) == 0
