"""Tests for vsr_analysis.stats.dispersion: dispersion measures (known answers) and weighted distributions."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from vsr_analysis.stats import dispersion as ordinal
from vsr_analysis.stats import shares

AGRMT_V = [30, 40, 210, 130, 530, 50, 10]  # the example frequency vector of R's agrmt package


def test_leik_known_values():
    # cumulative shares .03 .07 .28 .41 .94 .99 -> min(F, 1-F) = .03 .07 .28 .41 .06 .01 -> 2 * .86 / 6
    assert ordinal.leik_d_from_shares(AGRMT_V) == pytest.approx(2 * 0.86 / 6)  # agrmt::Leik gives 0.287
    assert ordinal.leik_d_from_shares([0, 0, 10, 0, 0]) == 0.0  # consensus
    assert ordinal.leik_d_from_shares([5, 0, 0, 0, 5]) == pytest.approx(1.0)  # polarisation
    assert ordinal.leik_d_from_shares([1, 1]) == pytest.approx(1.0)
    # vectorised over rows
    np.testing.assert_allclose(ordinal.leik_d_from_shares(np.array([[0, 10, 0], [5, 0, 5]])), [0.0, 1.0])


def test_blair_lacy_known_values():
    # 1 - l^2 equals Berry-Mielke's IOV, 4/(K-1) sum F(1-F)
    F = np.cumsum(AGRMT_V)[:-1] / sum(AGRMT_V)
    iov = 4 / 6 * np.sum(F * (1 - F))
    assert ordinal.blair_lacy_from_shares(AGRMT_V) == pytest.approx(iov)
    # agrmt::BlairLacy reports the concentration l = 0.7728734 for this vector; our dispersion is 1 - l
    assert 1 - ordinal.blair_lacy_from_shares(AGRMT_V, "l") == pytest.approx(0.7728734, abs=1e-7)
    for m in ("l2", "l"):
        assert ordinal.blair_lacy_from_shares([0, 7, 0, 0], m) == pytest.approx(0.0)
        assert ordinal.blair_lacy_from_shares([3, 0, 0, 3], m) == pytest.approx(1.0)


def test_levels_matter_and_weights_act_like_counts():
    y = [2, 2, 3, 3, 3]
    # over the observed levels {2, 3} versus the full ladder 0..5
    assert ordinal.leik_d(y) == pytest.approx(ordinal.leik_d_from_shares([2, 3]))
    assert ordinal.leik_d(y, levels=range(6)) == pytest.approx(ordinal.leik_d_from_shares([0, 0, 2, 3, 0, 0]))
    w = [1, 3, 2, 1, 1]
    rep = [2, 2, 2, 2, 3, 3, 3, 3]
    assert ordinal.leik_d(y, w, range(6)) == pytest.approx(ordinal.leik_d(rep, levels=range(6)))
    assert ordinal.blair_lacy(y, w, range(6)) == pytest.approx(ordinal.blair_lacy(rep, levels=range(6)))
    with pytest.raises(ValueError, match="not among the levels"):
        ordinal.leik_d([1, 7], levels=range(6))


def test_weighted_distribution():
    rng = np.random.default_rng(0)
    y = pd.Series(rng.integers(1, 6, 300)).astype(float)
    y.iloc[:3] = np.nan
    w = rng.uniform(0.5, 2, 300)
    tab = ordinal.weighted_distribution(y, w, levels=range(6))
    assert list(tab["level"]) == list(range(6))
    assert tab["share"].sum() == pytest.approx(1.0)
    assert tab.loc[0, "n"] == 0 and tab.loc[0, "share"] == 0 and tab.loc[0, "ci_high"] > 0
    assert (tab["ci_low"] <= tab["share"]).all() and (tab["share"] <= tab["ci_high"]).all()
    assert tab["cum_share"].iloc[-1] == pytest.approx(1.0)
    assert tab["share_at_or_above"].iloc[0] == pytest.approx(1.0)
    assert tab["n"].sum() == 297
    # unweighted distribution = plain Wilson intervals
    plain = ordinal.weighted_distribution(y, None, levels=range(6))
    lo = shares.wilson(plain["n"].to_numpy(), 297).low
    np.testing.assert_allclose(plain["ci_low"], lo)


def test_dispersion_ci():
    rng = np.random.default_rng(1)
    y = rng.integers(0, 6, 250)
    w = rng.uniform(0.5, 2, 250)
    a = ordinal.dispersion_ci(y, w, range(6), reps=500, seed=3)
    b = ordinal.dispersion_ci(y, w, range(6), reps=500, seed=3)
    assert a.estimate == pytest.approx(ordinal.leik_d(y, w, range(6)))
    assert a.low < a.estimate < a.high and (a.low, a.high) == (b.low, b.high)
    c = ordinal.dispersion_ci(y, None, range(6), measure="l2", reps=300, seed=3)
    assert c.estimate == pytest.approx(ordinal.blair_lacy(y, levels=range(6)))
