"""Tests for vsr_analysis.stats.power_simulated: the vectorised design simulations agree with the single-fit code they mirror."""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
import pytest
from scipy import stats

from vsr_analysis.stats import power_simulated as design
from vsr_analysis.stats.cumulative_logit import fit_batch
from vsr_analysis.stats.ordinal_model import fit_ordinal
from vsr_analysis.stats.shares import share_test

COUNTIES = ["03", "11", "15", "18", "30"]


def make_frame(n: int = 160, seed: int = 3) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    county = rng.choice(COUNTIES[1:], size=n)
    county[0] = "03"  # a single-row county, like Oslo: quasi-separated whenever its row is at an end
    df = pd.DataFrame(
        {
            "x": rng.normal(0, 1, n),
            "z": rng.normal(2, 0.5, n),
            "member": rng.binomial(1, 0.4, n),
            "county_code": county,
            "weight": rng.uniform(0.6, 1.6, n),
            "maturity_stage": rng.integers(0, 6, n).astype(float),
        }
    )
    df.loc[5, "x"] = np.nan  # incomplete rows are left out
    df.loc[7, "maturity_stage"] = np.nan
    df.loc[9, "weight"] = 0.0
    return df


def test_ordinal_design_matches_fit_ordinal_rows_and_columns():
    df = make_frame()
    d = design.ordinal_design(df, ["x", "z", "member"], fixed_effects=["county_code"], weights="weight")
    fit = fit_ordinal(df, "maturity_stage", ["x", "z", "member"], weights="weight", fixed_effects=["county_code"])
    assert d.n == fit.n == len(df) - 3
    assert d.names == fit.terms
    assert d.sd("member") == pytest.approx(np.std(d.rows["member"].astype(float)))
    with pytest.raises(KeyError):
        design.ordinal_design(df, ["nope"])


def test_cuts_for_reproduce_probabilities():
    probs = [0.1, 0.2, 0.3, 0.2, 0.1, 0.1]
    cuts = design.cuts_for(probs)
    cdf = 1 / (1 + np.exp(-cuts))
    assert np.diff(np.concatenate([[0], cdf, [1]])) == pytest.approx(probs)
    with pytest.raises(ValueError):
        design.cuts_for([0.5, 0.0, 0.5])


def _single_fits(d, Y, terms):
    out = []
    for y in Y:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            f = fit_ordinal(
                d.rows.assign(_y=y), "_y", d.covariates, weights=d.weights, fixed_effects=d.fixed_effects or None
            )
        tab = f.coef_table().set_index("term")
        out.append(
            (tab.loc[terms, "estimate"].to_numpy(), tab.loc[terms, "p_value"].to_numpy(), f.wald(terms)["p_value"])
        )
    return out


def test_batch_fit_equals_fit_ordinal_including_separated_fixed_effects():
    df = make_frame()
    d = design.ordinal_design(df, ["x", "z", "member"], fixed_effects=["county_code"], weights="weight")
    rng = np.random.default_rng(11)
    errors = rng.logistic(size=(24, d.n))
    coefs = {"x": 0.6, "member": 0.4}
    res = design.simulate_ordinal_tests(d, coefs, baseline_probs=np.ones(6), test_terms=["x", "member"], errors=errors)
    assert not res["failed"].any()
    # reproduce the simulated outcomes and fit each with the single-fit code
    beta = np.zeros(len(d.names))
    beta[d.names.index("x")], beta[d.names.index("member")] = 0.6, 0.4
    eta = d.X @ beta
    eta = eta - np.average(eta, weights=d.w)
    Y = np.searchsorted(design.cuts_for(np.ones(6)), eta + errors)
    single_row = d.rows["county_code"].astype(str).to_numpy() == "03"
    ends = np.isin(Y[:, single_row][:, 0], [0, 5])
    assert ends.any() and (~ends).any()  # both the separated and the ordinary case are exercised
    for r, (est, p, pj) in enumerate(_single_fits(d, Y, ["x", "member"])):
        assert res.loc[r, ["est_x", "est_member"]].to_numpy(float) == pytest.approx(est, abs=1e-8)
        assert res.loc[r, ["p_x", "p_member"]].to_numpy(float) == pytest.approx(p, abs=1e-8)
        assert res.loc[r, "p_joint"] == pytest.approx(pj, abs=1e-8)


def test_marginal_iut_equals_the_ledgers_f3_analysis_of_each_replicate():
    """F3's power: outcomes drawn with every term acting, then each term alone (no fixed effects), one-sided;
    each replicate equals ``conjunction_evidence.marginal_component_tests`` on the same simulated stages."""
    from vsr_analysis.claims.conjunction_evidence import marginal_component_tests

    df = make_frame(seed=8)
    terms = ["x", "z", "member"]
    d = design.ordinal_design(df, terms, weights="weight")
    errors = np.random.default_rng(4).logistic(size=(12, d.n))
    coefs = {"x": 0.5, "z": 0.0, "member": -0.3}
    res = design.simulate_marginal_iut(d, coefs, baseline_probs=np.ones(6), terms=terms, errors=errors)
    assert not res["failed"].any()
    beta = np.array([coefs[t] for t in d.names])
    eta = d.X @ beta
    Y = np.searchsorted(design.cuts_for(np.ones(6)), eta - np.average(eta, weights=d.w) + errors)
    for r in range(len(Y)):
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            tab = marginal_component_tests(
                d.rows.assign(maturity_stage=Y[r]), terms, sesoi=0.2, alpha=0.05, weights="weight"
            ).set_index("term")
        for t in terms:
            assert res.loc[r, f"est_{t}"] == pytest.approx(tab.loc[t, "estimate"], abs=1e-7)
            assert res.loc[r, f"p_{t}"] == pytest.approx(tab.loc[t, "p_greater"], abs=1e-7)
        assert res.loc[r, "p_iut"] == pytest.approx(tab["p_greater"].max(), abs=1e-7)
    # the negative term makes the conjunction fail in (nearly) every replicate, the positive one carries itself
    assert (res["p_member"] > 0.5).mean() > 0.5 and (res["p_x"] < 0.05).mean() > 0.5


def test_component_iut_with_controls_and_fixed_effects_equals_single_fits():
    """F5's power: each part in its own model with controls and county fixed effects (a county separated in some
    replicates included), one-sided p of the part, the larger p; each replicate equals fit_ordinal's."""
    df = make_frame(seed=9)
    d = design.ordinal_design(df, ["x", "member", "z"], fixed_effects=["county_code"], weights="weight")
    errors = np.random.default_rng(6).logistic(size=(10, d.n))
    models = {"x": ["z"], "member": ["z"]}
    res = design.simulate_component_iut(
        d, {"x": 0.4, "member": 0.5}, baseline_probs=np.ones(6), models=models, fixed_effects=True, errors=errors
    )
    Y = design.draw_ordinal_outcomes(d, {"x": 0.4, "member": 0.5}, baseline_probs=np.ones(6), errors=errors)
    for r in range(len(Y)):
        one_sided = {}
        for t, controls in models.items():
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                f = fit_ordinal(
                    d.rows.assign(_y=Y[r]), "_y", [t, *controls], weights="weight", fixed_effects=["county_code"]
                )
            est, p2 = float(f.params[t]), float(f.coef_table().set_index("term").loc[t, "p_value"])
            one_sided[t] = p2 / 2 if est > 0 else 1 - p2 / 2
            assert res.loc[r, f"est_{t}"] == pytest.approx(est, abs=1e-7)
            assert res.loc[r, f"p_{t}"] == pytest.approx(one_sided[t], abs=1e-7)
        assert res.loc[r, "p_iut"] == pytest.approx(max(one_sided.values()), abs=1e-7)


def test_fit_batch_without_fixed_effects_matches_and_flags_missing_levels():
    df = make_frame(seed=5)
    d = design.ordinal_design(df, ["x", "z"], weights=None)
    rng = np.random.default_rng(2)
    Y = np.searchsorted(design.cuts_for(np.ones(6)), 0.8 * d.X[:, 0] + rng.logistic(size=(5, d.n)))
    Y[4][Y[4] == 2] = 3  # level 2 missing: not usable by the batch fit
    fit = fit_batch(d.X, Y, None, 6, max_iter=100)
    assert fit.usable[:4].all() and not fit.usable[4]
    for r in range(4):
        f = fit_ordinal(d.rows.assign(_y=Y[r]), "_y", ["x", "z"])
        assert fit.beta[r] == pytest.approx(f.params[["x", "z"]].to_numpy(), abs=1e-8)
        assert fit.se[r] == pytest.approx(f.bse[["x", "z"]].to_numpy(), abs=1e-8)


def test_simulate_ordinal_tests_falls_back_when_a_level_is_missing():
    df = make_frame(n=60, seed=8)
    d = design.ordinal_design(df, ["x"], weights="weight")
    rng = np.random.default_rng(4)
    # a heavily skewed baseline: the top level is often empty in 57 rows
    res = design.simulate_ordinal_tests(
        d, {"x": 0.3}, baseline_probs=[0.3, 0.3, 0.2, 0.1, 0.09, 0.01], test_terms=["x"], reps=30, rng=rng
    )
    assert res["fallback"].any()
    assert res.loc[~res["failed"], "p_x"].between(0, 1).all()
    again = design.simulate_ordinal_tests(
        d,
        {"x": 0.3},
        baseline_probs=[0.3, 0.3, 0.2, 0.1, 0.09, 0.01],
        test_terms=["x"],
        reps=30,
        rng=np.random.default_rng(4),
    )
    pd.testing.assert_frame_equal(res, again)
    with pytest.raises(ValueError):
        design.simulate_ordinal_tests(d, {"x": 0.3}, baseline_probs=np.ones(6), test_terms=["x"])
    with pytest.raises(KeyError):
        design.simulate_ordinal_tests(d, {"y": 0.3}, baseline_probs=np.ones(6), test_terms=["x"], reps=2, rng=rng)


def test_size_of_the_wald_test_under_the_null():
    df = make_frame(n=200, seed=9)
    d = design.ordinal_design(df, ["x", "member"], weights=None)
    res = design.simulate_ordinal_tests(
        d, {}, baseline_probs=np.ones(6), test_terms=["x"], reps=400, rng=np.random.default_rng(1)
    )
    rate = float((res["p_x"] < 0.05).mean())
    assert rate == pytest.approx(0.05, abs=4 * np.sqrt(0.05 * 0.95 / 400))


def test_share_pvalues_equal_share_test():
    rng = np.random.default_rng(0)
    n = 90
    w = rng.uniform(0.5, 2.0, n)
    Y = (rng.random((6, n)) < 0.55).astype(float)
    for N in (None, 356):
        got = design.share_pvalues(Y, w, 0.5, population_size=N)
        want = [share_test(y, w, 0.5, population_size=N)["p_value"] for y in Y]
        assert got == pytest.approx(want, rel=1e-12)
    assert design.share_pvalues(Y, None, 0.8) == pytest.approx([share_test(y, None, 0.8)["p_value"] for y in Y])


def test_prob_at_least_is_the_binomial_tail():
    n, q = 120, 0.03
    brute = sum(stats.binom.pmf(k, n, q) for k in range(3, n + 1))
    assert design.prob_at_least(3, n, q) == pytest.approx(brute, rel=1e-10)
    assert design.prob_at_least(3, n, 0.0) == 0.0
    assert design.prob_at_least(0, n, 0.3) == pytest.approx(1.0)


def test_rejection_summary_and_first_crossing():
    s = design.rejection_summary([True, False, True, True], failed=[False, False, False, True])
    assert s["power"] == pytest.approx(2 / 3) and s["n_valid"] == 3 and s["n_failed"] == 1
    assert s["ci_low"] < s["power"] < s["ci_high"]
    assert np.isnan(design.rejection_summary([True], failed=[True])["power"])
    assert design.first_crossing([0, 0.1, 0.2], [0.05, 0.6, 1.0]) == pytest.approx(0.15)
    assert design.first_crossing([0, 0.1], [0.05, 0.5]) is None
    assert design.first_crossing([0, 0.1], [0.9, 1.0]) == 0.0
