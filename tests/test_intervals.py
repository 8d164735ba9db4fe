"""Tests for vsr_analysis.stats.intervals: Wilson, weighted shares, bootstrap and TOST."""

from __future__ import annotations

import numpy as np
import pytest
from scipy import stats
from statsmodels.stats.proportion import proportion_confint
from statsmodels.stats.weightstats import ttost_ind

from vsr_analysis.stats import intervals as iv
from vsr_analysis.stats import shares


def test_wilson_matches_statsmodels_and_hand_value():
    k = np.array([0, 1, 5, 17, 30, 150])
    n = np.array([10, 10, 20, 40, 30, 300])
    est, lo, hi = shares.wilson(k, n)
    slo, shi = proportion_confint(k, n, alpha=0.05, method="wilson")
    np.testing.assert_allclose(lo, slo, atol=1e-12)
    np.testing.assert_allclose(hi, shi, atol=1e-12)
    np.testing.assert_allclose(est, k / n)
    z2 = stats.norm.ppf(0.975) ** 2
    assert shares.wilson(0, 10).high == pytest.approx(z2 / (10 + z2))  # hand formula for k = 0
    assert shares.wilson(0, 10).low == 0.0
    r = shares.wilson(3, 12, level=0.9)
    assert isinstance(r.low, float)
    assert np.isnan(shares.wilson(0, 0).estimate)
    with pytest.raises(ValueError):
        shares.wilson(5, 3)


def test_weighted_share():
    x = np.array([1, 0, 1, 1, 0, 0, 1, 0, 1, 1])
    plain = shares.weighted_share(x)
    ref = shares.wilson(6, 10)
    assert (plain.estimate, plain.low, plain.high) == pytest.approx(tuple(ref))
    assert plain.n_eff == pytest.approx(10)
    w = np.array([1, 2, 1, 3, 1, 1, 2, 1, 1, 2], float)
    ws = shares.weighted_share(x, w)
    n_eff = w.sum() ** 2 / (w**2).sum()
    assert ws.estimate == pytest.approx((w * x).sum() / w.sum())
    assert ws.n_eff == pytest.approx(n_eff)
    ref = shares.wilson(ws.estimate * n_eff, n_eff)
    assert (ws.low, ws.high) == pytest.approx((ref.low, ref.high))
    fpc = shares.weighted_share(x, w, population_size=12)
    assert fpc.high - fpc.low < ws.high - ws.low
    # missing values and zero weights are dropped
    x2 = np.append(x, [np.nan, 1])
    w2 = np.append(w, [1.0, 0.0])
    assert shares.weighted_share(x2, w2).estimate == pytest.approx(ws.estimate)


def test_bootstrap_reproducible_and_vectorised_equals_loop():
    rng = np.random.default_rng(0)
    x = rng.normal(10, 2, 200)
    a = iv.bootstrap_ci(np.mean, [x], reps=500, seed=42)
    b = iv.bootstrap_ci(lambda v: v.mean(axis=-1), [x], reps=500, seed=42, vectorized=True)
    np.testing.assert_allclose(a.distribution, b.distribution)
    assert (a.low, a.high) == (b.low, b.high)
    c = iv.bootstrap_ci(np.mean, [x], reps=500, seed=42)
    assert a.low == c.low
    # close to the normal-theory interval for a mean
    big = iv.bootstrap_ci(lambda v: v.mean(axis=-1), [x], reps=4000, seed=1, vectorized=True)
    se = x.std(ddof=1) / np.sqrt(x.size)
    assert big.se == pytest.approx(se, rel=0.1)
    assert big.low == pytest.approx(x.mean() - 1.96 * se, abs=0.1)
    assert big.high == pytest.approx(x.mean() + 1.96 * se, abs=0.1)


def test_bootstrap_two_sample_unpaired():
    rng = np.random.default_rng(1)
    a = rng.normal(1.0, 1, 80)
    b = rng.normal(0.0, 1, 120)
    res = iv.bootstrap_ci(
        lambda u, v: u.mean(axis=-1) - v.mean(axis=-1), [a, b], reps=2000, seed=3, paired=False, vectorized=True
    )
    assert res.estimate == pytest.approx(a.mean() - b.mean())
    assert res.low < res.estimate < res.high
    se = np.sqrt(a.var(ddof=1) / a.size + b.var(ddof=1) / b.size)
    assert res.se == pytest.approx(se, rel=0.1)
    with pytest.raises(ValueError):
        iv.bootstrap_ci(lambda u, v: 0.0, [a, b], reps=10, seed=0, paired=True)


def test_tost_mean_diff_matches_statsmodels():
    rng = np.random.default_rng(2)
    a = rng.normal(0.0, 1, 150)
    b = rng.normal(0.05, 1.3, 150)
    ours = iv.tost_mean_diff(a, b, sesoi=0.3)
    p, lower, upper = ttost_ind(a, b, -0.3, 0.3, usevar="unequal")
    assert ours["p_value"] == pytest.approx(p, rel=1e-8)
    assert ours["p_lower"] == pytest.approx(lower[1], rel=1e-8)
    assert ours["p_upper"] == pytest.approx(upper[1], rel=1e-8)
    pooled = iv.tost_mean_diff(a, b, sesoi=(-0.3, 0.3), equal_var=True)
    p2, _, _ = ttost_ind(a, b, -0.3, 0.3, usevar="pooled")
    assert pooled["p_value"] == pytest.approx(p2, rel=1e-8)
    # equivalence <=> the 90% CI lies inside the bounds
    assert ours["equivalent"] == (ours["ci_low"] > -0.3 and ours["ci_high"] < 0.3)


def test_tost_proportions():
    res = iv.tost_proportions(150, 300, 155, 300, sesoi=0.1)
    se = np.sqrt(0.5 * 0.5 / 300 + (155 / 300) * (1 - 155 / 300) / 300)
    d = 0.5 - 155 / 300
    assert res["p_lower"] == pytest.approx(stats.norm.sf((d + 0.1) / se))
    assert res["p_upper"] == pytest.approx(stats.norm.cdf((d - 0.1) / se))
    assert res["p_value"] == pytest.approx(max(res["p_lower"], res["p_upper"]))
    assert res["equivalent"]
    small = iv.tost_proportions(5, 10, 5, 10, sesoi=0.1)
    assert not small["equivalent"]  # no difference, but far too little data to claim equivalence
    with pytest.raises(ValueError):
        iv.tost_from_estimate(0.0, 1.0, sesoi=(0.2, -0.2))
