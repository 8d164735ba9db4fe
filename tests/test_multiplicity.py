"""Tests for vsr_analysis.stats.multiplicity: hand-worked Holm/BH examples and agreement with statsmodels."""

from __future__ import annotations

from unittest import mock

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from statsmodels.stats.multitest import multipletests

from vsr_analysis.stats.multiplicity import adjust, bh, holm


def test_holm_hand_worked():
    # sorted: .005 .01 .03 .04 ; multipliers 4 3 2 1 -> .02 .03 .06 .04 -> running max .02 .03 .06 .06
    res = holm([0.01, 0.04, 0.03, 0.005], alpha=0.05)
    np.testing.assert_allclose(res["p_adjusted"], [0.03, 0.06, 0.06, 0.02])
    # step-down: .005 <= .05/4 yes, .01 <= .05/3 yes, .03 <= .05/2 no -> stop
    assert res["reject"].tolist() == [True, False, False, True]


def test_bh_hand_worked():
    # sorted: .005 .01 .03 .04 ; m p / i = .02 .02 .04 .04 ; largest i with p(i) <= i alpha/m is 4
    res = bh([0.01, 0.04, 0.03, 0.005], alpha=0.05)
    np.testing.assert_allclose(res["p_adjusted"], [0.02, 0.04, 0.04, 0.02])
    assert res["reject"].all()
    # step-up rejects below a failing middle value: p(2)=.04 > 2*.05/3 but p(3)=.045 <= .05
    res = bh([0.001, 0.04, 0.045], alpha=0.05)
    assert res["reject"].all()
    assert not holm([0.001, 0.04, 0.045], alpha=0.05)["reject"].iloc[1]


# statsmodels' Holm branch calls gc.collect() on every call (~0.1 s); it has no effect on the result
no_gc = mock.patch("gc.collect", return_value=0)

pvals = st.lists(st.floats(min_value=0.0, max_value=1.0, allow_nan=False), min_size=1, max_size=25)


@settings(max_examples=150, deadline=None)
@given(pvals, st.sampled_from([0.01, 0.05, 0.1]))
def test_agrees_with_statsmodels(ps, alpha):
    ps = np.array(ps)
    for ours, method in ((holm, "holm"), (bh, "fdr_bh")):
        with no_gc:
            rej, adj, _, _ = multipletests(ps, alpha=alpha, method=method)
        res = ours(ps, alpha=alpha)
        np.testing.assert_allclose(res["p_adjusted"], adj, atol=1e-12)
        assert res["reject"].tolist() == rej.tolist()


def test_random_uniform_inputs_agree_with_statsmodels():
    rng = np.random.default_rng(0)
    for _ in range(200):
        m = int(rng.integers(1, 40))
        ps = rng.uniform(size=m) ** rng.uniform(0.5, 4)
        for ours, method in ((holm, "holm"), (bh, "fdr_bh")):
            with no_gc:
                rej, adj, _, _ = multipletests(ps, alpha=0.05, method=method)
            res = ours(ps, 0.05)
            np.testing.assert_allclose(res["p_adjusted"], adj, atol=1e-12)
            assert res["reject"].tolist() == rej.tolist()


def test_nan_excluded_and_labels_kept():
    d = {"F1": 0.01, "F2": None, "F3": 0.04, "F4": float("nan"), "F5": 0.002}
    res = holm(d, alpha=0.05)
    assert list(res.index) == list(d)
    assert res.loc[["F2", "F4"], "p_adjusted"].isna().all()
    assert not res.loc[["F2", "F4"], "reject"].any()
    # family size is 3, not 5
    np.testing.assert_allclose(res.loc[["F5", "F1", "F3"], "p_adjusted"], [0.006, 0.02, 0.04])
    s = pd.Series([0.03, np.nan, 0.01], index=["a", "b", "c"])
    r2 = bh(s)
    assert list(r2.index) == ["a", "b", "c"]
    np.testing.assert_allclose(r2.loc[["a", "c"], "p_adjusted"], [0.03, 0.02])
    assert bh([np.nan, np.nan])["reject"].sum() == 0


def test_bad_input():
    with pytest.raises(ValueError):
        holm([0.5, 1.2])
    with pytest.raises(ValueError):
        bh([0.5], alpha=0)
    with pytest.raises(ValueError):
        adjust([0.5], method="bonferroni")
    assert adjust([0.01, 0.02], method="fdr_bh")["reject"].all()


def test_agrees_with_r_p_adjust():
    # reference from R 4: p <- c(0.001, 0.012, 0.0305, 0.04, 0.2, 0.0125, 0.9)
    # p.adjust(p, "holm"); p.adjust(p, "BH")   (print(..., digits = 15))
    ps = {"a": 0.001, "b": 0.012, "c": 0.0305, "d": 0.04, "e": 0.2, "f": 0.0125, "g": 0.9}
    np.testing.assert_allclose(holm(ps)["p_adjusted"], [0.007, 0.072, 0.122, 0.122, 0.400, 0.072, 0.900], rtol=1e-12)
    r_bh = [0.007, 0.0291666666666667, 0.053375, 0.056, 0.2333333333333334, 0.0291666666666667, 0.9]
    np.testing.assert_allclose(bh(ps)["p_adjusted"], r_bh, rtol=1e-12)
    assert list(holm(ps)["reject"]) == [True, False, False, False, False, False, False]
