"""Clopper–Pearson intervals for a few units (the 11 county authorities), checked against R's binom.test."""

from __future__ import annotations

import numpy as np
import pytest

from vsr_analysis.stats.exact import clopper_pearson, exact_share

# Reference values from R 4.x: binom.test(k, 11)$conf.int (and conf.level = 0.9), printed with digits = 12.
R_BINOM_TEST_11 = {
    0: (0.0, 0.284914152918),
    3: (0.0602177341729, 0.6097425595724),
    7: (0.307904715012, 0.890736556181),
    11: (0.715085847082, 1.0),
}


@pytest.mark.parametrize("k", sorted(R_BINOM_TEST_11))
def test_clopper_pearson_matches_r_binom_test(k):
    iv = clopper_pearson(k, 11)
    assert iv.estimate == pytest.approx(k / 11)
    assert (iv.low, iv.high) == pytest.approx(R_BINOM_TEST_11[k], abs=1e-10)


def test_clopper_pearson_other_level_and_arrays():
    # R: binom.test(3, 11, conf.level = 0.9)$conf.int
    assert clopper_pearson(3, 11, level=0.9)[1:] == pytest.approx((0.078820045666, 0.564374188289), abs=1e-10)
    iv = clopper_pearson(np.array([0, 3, 7, 11]), np.array([11, 11, 11, 11]))
    assert iv.low == pytest.approx([R_BINOM_TEST_11[k][0] for k in (0, 3, 7, 11)], abs=1e-10)
    assert iv.high == pytest.approx([R_BINOM_TEST_11[k][1] for k in (0, 3, 7, 11)], abs=1e-10)


def test_clopper_pearson_is_wider_than_nothing_and_nan_without_units():
    iv = clopper_pearson(5, 10)
    assert iv.low < 0.5 < iv.high
    empty = clopper_pearson(0, 0)
    assert np.isnan(empty.estimate) and np.isnan(empty.low) and np.isnan(empty.high)


@pytest.mark.parametrize("k,n", [(-1, 5), (6, 5), (1.5, 5)])
def test_clopper_pearson_rejects_impossible_counts(k, n):
    with pytest.raises(ValueError):
        clopper_pearson(k, n)


def test_exact_share_counts_only_answered_values():
    r = exact_share([1, 0, np.nan, 1, 1, np.nan])
    assert (r["n"], r["k"]) == (4, 3)
    assert r["share"] == pytest.approx(0.75)
    assert (r["ci_low"], r["ci_high"]) == pytest.approx(clopper_pearson(3, 4)[1:])
    with pytest.raises(ValueError):
        exact_share([0, 2])
