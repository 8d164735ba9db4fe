"""Tests for vsr_analysis.stats.power: analytic formulas against statsmodels/hand values, simulation sanity."""

from __future__ import annotations

import numpy as np
import pytest
from scipy import stats
from statsmodels.stats.power import NormalIndPower

from vsr_analysis.stats import power_analytic, power_simulated


def test_two_group_power_against_formula_and_statsmodels():
    z = stats.norm.ppf(0.975)
    for n1, n2, d in [(150, 150, 0.32), (30, 270, 0.54), (100, 50, 0.2)]:
        se = np.sqrt(1 / n1 + 1 / n2)
        expected = stats.norm.cdf(d / se - z) + stats.norm.cdf(-d / se - z)
        got = power_analytic.power_two_groups(n1, n2, d)
        assert got == pytest.approx(expected, rel=1e-12)
        sm = NormalIndPower().power(effect_size=d, nobs1=n1, alpha=0.05, ratio=n2 / n1)
        assert got == pytest.approx(sm, abs=1e-6)


def test_methods_md_design_figures():
    # methods.md: at alpha .05 and power .8 the MDES is about 0.32 for 150/150 and about 0.54 for 30/270
    assert power_analytic.mdes_two_groups(150, 150) == pytest.approx(0.32, abs=0.01)
    assert power_analytic.mdes_two_groups(30, 270) == pytest.approx(0.54, abs=0.01)
    # and power at those effects is about .8 (computed, within tolerance of the formula's target)
    assert power_analytic.power_two_groups(150, 150, power_analytic.mdes_two_groups(150, 150)) == pytest.approx(
        0.8, abs=1e-3
    )
    assert power_analytic.power_two_groups(150, 150, 0.32) == pytest.approx(0.8, abs=0.02)
    assert power_analytic.power_two_groups(30, 270, 0.54) == pytest.approx(0.8, abs=0.02)


def test_whitehead_formula():
    p = np.full(6, 1 / 6)
    var = 3 * (1 / 150 + 1 / 150) / (1 - np.sum(p**3))
    ncp = 0.5 / np.sqrt(var)
    z = stats.norm.ppf(0.975)
    expected = stats.norm.cdf(ncp - z) + stats.norm.cdf(-ncp - z)
    assert power_analytic.power_ordinal_whitehead(150, 150, 0.5, p) == pytest.approx(expected)
    assert power_analytic.power_ordinal_whitehead(150, 150, 0.0, p) == pytest.approx(0.05)


def test_simulate_power_generic():
    # a test that rejects with probability exactly 0.3 (p drawn uniform on [0, 1/6]∪... : use a known mixture)
    sim = lambda rng: rng.random()  # noqa: E731
    res = power_simulated.simulate_power(sim, lambda u: u < 0.3, reps=2000, seed=1)
    assert res["power"] == pytest.approx(0.3, abs=4 * np.sqrt(0.3 * 0.7 / 2000))
    assert res["ci_low"] < res["power"] < res["ci_high"]
    again = power_simulated.simulate_power(sim, lambda u: u < 0.3, reps=2000, seed=1)
    assert again == res
    # uniform p-values reject at rate alpha; failures are counted, not rejected
    res = power_simulated.simulate_power(lambda rng: rng.random(), lambda p: p, reps=1000, seed=2, alpha=0.1)
    assert res["power"] == pytest.approx(0.1, abs=0.04)

    def flaky(p):
        if p > 0.9:
            raise ValueError("no fit")
        return p

    res = power_simulated.simulate_power(lambda rng: rng.random(), flaky, reps=500, seed=3)
    assert res["n_failed"] + res["n_valid"] == 500 and res["n_failed"] > 0


def test_ordinal_simulation_agrees_with_whitehead():
    n, log_or = 200, 0.7
    sim = power_simulated.power_ordinal_effect(n, log_or, covariate="binary", reps=250, seed=5)
    # Whitehead needs the category shares averaged over the two groups: compute them under the model
    cuts = np.log(np.arange(1, 6) / (6 - np.arange(1, 6)))
    F0 = 1 / (1 + np.exp(-cuts))
    F1 = 1 / (1 + np.exp(-(cuts - log_or)))
    p0 = np.diff(np.concatenate([[0], F0, [1]]))
    p1 = np.diff(np.concatenate([[0], F1, [1]]))
    analytic = power_analytic.power_ordinal_whitehead(n / 2, n / 2, log_or, (p0 + p1) / 2)
    assert sim["n_failed"] == 0
    assert abs(sim["power"] - analytic) < 4 * np.sqrt(analytic * (1 - analytic) / 250) + 0.02


def test_ordinal_simulation_type_one_error():
    res = power_simulated.power_ordinal_effect(150, 0.0, reps=200, seed=9)
    assert res["power"] < 0.05 + 4 * np.sqrt(0.05 * 0.95 / 200)
    assert res["beta"] == 0.0 and res["n"] == 150
