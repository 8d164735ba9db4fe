"""Tests for vsr_analysis.stats.power_analytic: the closed-form power formulas against statsmodels/hand values."""

from __future__ import annotations

import numpy as np
import pytest
from scipy import stats
from statsmodels.stats.power import NormalIndPower

from vsr_analysis.stats import power_analytic


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
