"""The package pieces behind the F1/F3/F5 chapters: component tests, conjunction evidence, report helpers."""

import warnings

import numpy as np
import pandas as pd
import pytest

from vsr_analysis.claims import conjunction_evidence as conj
from vsr_analysis.claims import term_effect_report as report
from vsr_analysis.claims.ledger import decide, load_claims_spec

TERMS = ["merged_2017_2020", "log_population", "centrality", "network_member"]


@pytest.fixture(scope="module")
def resp():
    from vsr_analysis.claims.model_robustness import with_large_reference
    from vsr_analysis.loading import load_frame

    data = load_frame("synthetic:vsr-narrative:2021")
    return with_large_reference(data.respondents, data.frame)[0]


def test_component_tests_are_one_sided_and_complementary():
    est = pd.Series({"a": 0.5, "b": -0.1})
    se = pd.Series({"a": 0.2, "b": 0.2})
    tab = conj.component_tests(est, se, ["a", "b"], sesoi=0.2, alpha=0.05).set_index("term")
    np.testing.assert_allclose(tab["p_greater"] + tab["p_less"], 1.0)
    assert tab.loc["a", "p_greater"] == pytest.approx(0.00620966532, abs=1e-9)  # 1 - Phi(2.5)
    assert tab.loc["b", "p_greater"] > 0.5


def test_conjunction_evidence_takes_the_largest_p_and_bonferronis_the_union_routes():
    tab = pd.DataFrame(
        {"term": ["x", "y"], "claim": ["F3a", "F3b"], "estimate": [0.5, 0.1], "se": [0.1, 0.2], "ci_low": [0.3, -0.3],
         "ci_high": [0.7, 0.5], "p_greater": [0.001, 0.3], "p_less": [0.999, 0.7], "p_equivalence": [0.9, 0.02]}
    )  # fmt: skip
    ev = conj.conjunction_evidence(tab, 250, "m")
    assert ev["primary"]["p_value"] == 0.3 and ev["primary"]["weakest_component"] == "y"
    assert ev["rule_inputs"]["route_p_values"]["equivalence:y"] == pytest.approx(0.04)
    assert ev["parts"]["y"]["rule_inputs"]["route_p_values"]["equivalence"] == pytest.approx(0.02)
    spec = load_claims_spec()
    f3 = next(c for c in spec["claims"] if c["id"] == "F3")
    f3b = next(c for c in spec["claims"] if c["id"] == "F3b")
    # the conjunction: y is shown negligible (TOST 0.02, x2 for the union = 0.04 < 0.05) -> not supported
    assert decide(f3, ev, 0.05, ev["primary"]["p_value"]).verdict == "not supported"
    # the component on its own: negligible by equivalence
    assert decide(f3b, ev["parts"]["y"], 0.05, 0.3).verdict == "not supported"


def test_collinearity_matches_numpy_without_weights(resp):
    d = resp.dropna(subset=TERMS).assign(one=1.0)
    col = conj.collinearity(d, TERMS, weights="one")
    r = np.corrcoef(d["log_population"], d["centrality"])[0, 1]
    assert col["r_size_centrality"] == pytest.approx(r)
    assert all(v >= 1 for v in col["vif"].values())


def test_stage_by_level_rows_are_distributions(resp):
    used = resp.dropna(subset=["maturity_stage", "network_member"])
    tab = report.stage_by_level(used, "network_member", "membership", 4)
    assert tab["membership"].tolist() == ["no", "yes"]
    np.testing.assert_allclose(tab[[f"stage {s} (%)" for s in range(6)]].sum(axis=1), 100.0)
    assert tab["municipalities"].sum() == len(used)


def test_predicted_by_level_gives_a_distribution_per_level(resp):
    from vsr_analysis.stats.ordinal_model import fit_ordinal

    used = resp.dropna(subset=["maturity_stage", *TERMS])
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        fit = fit_ordinal(used, "maturity_stage", TERMS, weights="weight", fixed_effects=["county_code"])
    pred = report.predicted_by_level(fit, used, "network_member", "membership")
    np.testing.assert_allclose(pred.groupby("membership")["probability"].sum(), 1.0)
    top = pred[pred["stage"] >= 4].groupby("membership")["probability"].sum()
    assert top["yes"] > top["no"]  # members are more mature in this scenario (positive coefficient)


def test_cut_slopes_flags_a_separated_cut():
    rng = np.random.default_rng(0)
    n = 400
    x = rng.integers(0, 2, n).astype(float)
    stage = np.clip(np.round(2 + x + rng.normal(size=n)), 0, 5)
    stage[x == 1] = np.maximum(stage[x == 1], 1)  # every member is at stage >= 1: cut 1 is separated
    d = pd.DataFrame({"maturity_stage": stage, "x": x, "z": rng.normal(size=n), "weight": 1.0})
    cs = report.cut_slopes(d, d, "x", ["z"], [])
    assert 1 in cs["separated"] and 1 not in cs["good_cuts"]
    assert "separates the outcome" in report.cut_slopes_text(cs)


def test_decide_rows_applies_the_rule_and_leaves_the_linear_row_to_its_sign():
    from vsr_analysis.claims.model_robustness import decide_rows

    f1 = next(c for c in load_claims_spec()["claims"] if c["id"] == "F1")
    rows = [
        {"model": "primary", "estimate": 0.5, "se": 0.1, "p_value": 1e-6},
        {"model": "x", "estimate": 0.01, "se": 0.02, "p_value": 0.6},  # tight around zero: negligible
        {"model": "linear model of the stage", "estimate": -0.3, "se": 0.1, "p_value": 0.01},
    ]
    out = decide_rows(rows, f1, 0.05, sesoi=0.2)
    assert out["decision"].tolist() == ["supported", "not supported", "negative and significant"]


def test_marginal_component_tests_fit_each_characteristic_alone(resp):
    """F3's primary tests: each characteristic alone, weighted, HC0, no county fixed effects.

    Reference values from statsmodels (0.15.0), independently of the package's Newton engine: for each term,
    ``OrderedModel(y, d[[term]], distr="logit")`` on the respondents with a stage, the term and a positive
    weight; the weighted pseudo-log-likelihood ``sum(w * om.loglikeobs(theta))`` maximised with
    ``scipy.optimize.minimize(method="BFGS", gtol=1e-10)`` from ``om.fit(method="bfgs")``; HC0 = A^-1 B A^-1 with
    A = -``statsmodels.tools.numdiff.approx_hess`` of the weighted log-likelihood and B = sum of (w * score_obs)
    outer products. Data: ``load_frame("synthetic:vsr-narrative:2021").respondents``.
    """
    tab = conj.marginal_component_tests(resp, TERMS, sesoi=0.2, alpha=0.05).set_index("term")
    reference = {  # term: (n, estimate, HC0 standard error)
        "centrality": (275, 0.630769637875961, 0.07054306251294025),
        "network_member": (267, 1.782947298195402, 0.23526311451438153),
    }
    for term, (n, est, se) in reference.items():
        assert tab.loc[term, "n"] == n
        assert tab.loc[term, "estimate"] == pytest.approx(est, abs=1e-5)
        assert tab.loc[term, "se"] == pytest.approx(se, rel=1e-4)
    # not the joint model: entered together, the four coefficients differ
    from vsr_analysis.stats.ordinal_model import fit_ordinal

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        joint = fit_ordinal(resp, "maturity_stage", TERMS, weights="weight")
    assert abs(joint.params["centrality"] - tab.loc["centrality", "estimate"]) > 0.1


def test_f3_evidence_is_the_intersection_union_of_the_marginal_tests(resp):
    tab, ev = conj.characteristics_evidence(resp, TERMS, sesoi=0.2, alpha=0.05)
    assert ev["primary"]["p_value"] == tab["p_greater"].max()
    assert ev["n"] == tab["n"].min()
    assert set(ev["parts"]) == set(TERMS)
    for t in TERMS:
        part = ev["parts"][t]
        assert part["n"] == int(tab.set_index("term").loc[t, "n"])
        assert "alone" in part["primary"]["method"] and "no county fixed effects" in part["primary"]["method"]
    _, with_fe = conj.characteristics_evidence(resp, TERMS, sesoi=0.2, alpha=0.05, fixed_effects=["county_code"])
    assert "with county_code fixed effects" in with_fe["primary"]["method"]
    assert with_fe["primary"]["p_value"] != ev["primary"]["p_value"]
