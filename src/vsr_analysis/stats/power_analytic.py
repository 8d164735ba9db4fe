"""Analytic power: closed-form power and minimum detectable effects (no simulation).

* :func:`power_two_groups` - normal-approximation power for a standardised mean difference d between two groups
  of n1 and n2 (statsmodels' ``NormalIndPower``; this wrapper takes the two group sizes, checks them and puts
  one-sided tests in the direction of d): with se(d) = sqrt(1/n1 + 1/n2) and two-sided alpha,
  power = Phi(|d|/se - z_{1-alpha/2}) + Phi(-|d|/se - z_{1-alpha/2}).
* :func:`mdes_two_groups` - the minimum detectable effect in closed form, (z_{1-alpha/2} + z_power) * se,
  ignoring the far tail (``NormalIndPower.solve_power`` solves with it and differs in the sixth digit).
  For 150/150 at alpha = .05 and power .8 the MDES is about 0.32, for 30/270 about 0.54 (methods.md).
* :func:`power_ordinal_whitehead` - power for a two-group log odds ratio in a proportional-odds model
  (Whitehead 1993, *Statistics in Medicine* 12:2257-2271, as in Hmisc::popower):
  var(log OR) = 3 (1/n1 + 1/n2) / (1 - sum_k pbar_k^3), pbar the category shares averaged over the groups.

Simulated power (every claim's analysis on the fielded design) is in :mod:`vsr_analysis.simulate.power`.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
from scipy import stats
from statsmodels.stats.power import NormalIndPower

__all__ = [
    "power_two_groups",
    "mdes_two_groups",
    "power_ordinal_whitehead",
]


def _zcrit(alpha: float, two_sided: bool) -> float:
    if not 0 < alpha < 1:
        raise ValueError("alpha must be in (0, 1)")
    return float(stats.norm.ppf(1 - alpha / 2 if two_sided else 1 - alpha))


def power_two_groups(n1: float, n2: float, d: float, alpha: float = 0.05, *, two_sided: bool = True) -> float:
    """Normal-approximation power for a standardised difference ``d`` between groups of ``n1`` and ``n2``.

    One-sided tests are in the direction of ``d``.  Slightly optimistic against the t-test for small groups.
    """
    if min(n1, n2) <= 0:
        raise ValueError("group sizes must be positive")
    _zcrit(alpha, two_sided)  # checks alpha
    power = NormalIndPower().power(
        abs(d), nobs1=n1, alpha=alpha, ratio=n2 / n1, alternative="two-sided" if two_sided else "larger"
    )
    return float(power)


def mdes_two_groups(n1: float, n2: float, alpha: float = 0.05, power: float = 0.8, *, two_sided: bool = True) -> float:
    """Minimum detectable standardised difference (normal approximation, ignoring the far tail):
    (z_{1-alpha/2} + z_power) * sqrt(1/n1 + 1/n2)."""
    return float((_zcrit(alpha, two_sided) + stats.norm.ppf(power)) * np.sqrt(1 / n1 + 1 / n2))


def power_ordinal_whitehead(n1: float, n2: float, log_or: float, pbar: Sequence[float], alpha: float = 0.05) -> float:
    """Whitehead's (1993) approximate power for a two-group proportional-odds comparison (two-sided).

    ``pbar``: category probabilities averaged over the two groups (normalised to sum 1).
    """
    p = np.asarray(pbar, float)
    p = p / p.sum()
    var = 3.0 * (1 / n1 + 1 / n2) / (1 - np.sum(p**3))
    ncp = abs(log_or) / np.sqrt(var)
    z = _zcrit(alpha, True)
    return float(stats.norm.cdf(ncp - z) + stats.norm.cdf(-ncp - z))
