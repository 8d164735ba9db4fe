"""Non-inferiority of a share of a few units (the county authorities) against an estimated share (the municipalities).

The hypothesis "group 1 has the property at least as often as group 2" is tested as non-inferiority with a stated
margin m: H0: p1 - p2 <= -m against H1: p1 - p2 > -m (Schuirmann's one-sided test turned into a confidence bound).
A two-sided test of p1 = p2 (Fisher's) cannot show this: not rejecting equality is not evidence of "as often".

The interval for the difference D = p1 - p2 is the MOVER interval (method of variance estimates recovery; Newcombe
1998's method 10 when both sides are Wilson intervals, Zou & Donner 2008 in general)::

    low  = D - sqrt((p1 - l1)^2 + (u2 - p2)^2)
    high = D + sqrt((u1 - p1)^2 + (p2 - l2)^2)

from each share's own interval (l, u) at the same level.  Group 1 (``k`` of ``n`` units answering, the county
authorities as Bernoulli draws) has the Wilson score interval; group 2 has the interval of its estimator, passed as
:class:`ShareInterval`: for the raked municipal share the Wilson interval at the design-effective sample size with
Korn & Graubard's degrees-of-freedom adjustment, the interval of the share chapters
(:func:`vsr_analysis.stats.shares.calibrated_share_test`).  With a plain binomial group 2 (``df`` None, effective n
= n) the interval is Newcombe's hybrid score interval, which statsmodels computes as
``confint_proportions_2indep(..., method="newcomb")`` (the tests compare the two).

At one-sided level a the test rejects H0 when the lower limit of the (1 - 2a) interval exceeds -m.  The p-value is
the a at which the lower limit equals -m (the interval inverted; found by root search, the limits being monotone
in the level).  The opposite one-sided test (H0: D >= -m, i.e. group 1 shown *less* often by more than the margin)
inverts the upper limit the same way.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
from scipy import optimize, stats

from vsr_analysis.stats.shares import wilson

#: The smallest one-sided level searched; a p-value below it is reported as this value.
P_FLOOR = 1e-12


@dataclass(frozen=True)
class ShareInterval:
    """A share estimate whose interval can be computed at any level.

    ``n_effective``: the effective sample size of a Wilson interval (``inf``: the share is known exactly, no
    sampling error); ``df``: degrees of freedom of the estimated design effect (Korn & Graubard 1998: the
    effective n is multiplied by (z / t_df)^2 at each level), None for none.
    """

    estimate: float
    n_effective: float
    df: float | None = None

    def interval(self, level: float) -> tuple[float, float]:
        p = float(self.estimate)
        if not math.isfinite(self.n_effective):
            return p, p
        n = float(self.n_effective)
        if self.df:
            z = float(stats.norm.ppf(0.5 + level / 2))
            n = n * (z / float(stats.t.ppf(0.5 + level / 2, self.df))) ** 2
        iv = wilson(p * n, n, level)
        return float(iv.low), float(iv.high)

    @classmethod
    def binomial(cls, k: int, n: int) -> ShareInterval:
        """k of n units as independent Bernoulli draws (Wilson's score interval)."""
        return cls(estimate=k / n, n_effective=float(n))

    @classmethod
    def from_calibrated_test(cls, test: dict, level: float = 0.95) -> ShareInterval:
        """The share of a :func:`~vsr_analysis.stats.shares.calibrated_share_test` result computed at ``level``.

        That result's ``n_eff`` already carries Korn & Graubard's factor at ``level``; it is taken off again so that
        the interval can be recomputed at any other level with the same design effect and degrees of freedom.
        """
        n_eff, df = test.get("n_eff"), test.get("df")
        if n_eff is None or test.get("estimate") is None:
            raise ValueError("the share test has no estimate")
        if df and math.isfinite(n_eff):
            z = float(stats.norm.ppf(0.5 + level / 2))
            n_eff = n_eff / (z / float(stats.t.ppf(0.5 + level / 2, df))) ** 2
        return cls(estimate=float(test["estimate"]), n_effective=float(n_eff), df=df)


def mover_difference(first: ShareInterval, second: ShareInterval, level: float) -> tuple[float, float, float]:
    """(D, low, high): the difference first - second and its MOVER interval at two-sided ``level``."""
    p1, p2 = first.estimate, second.estimate
    l1, u1 = first.interval(level)
    l2, u2 = second.interval(level)
    d = p1 - p2
    return d, d - math.hypot(p1 - l1, u2 - p2), d + math.hypot(u1 - p1, p2 - l2)


def _invert(bound, margin: float) -> float:
    """The one-sided level a at which ``bound(a)`` (the limit of the 1 - 2a interval) equals -margin."""
    g = lambda a: bound(a) + margin  # noqa: E731
    if g(P_FLOOR) > 0:  # the limit clears -margin even at the smallest level searched
        return P_FLOOR
    if g(0.5 - 1e-12) <= 0:
        return 0.5
    return float(optimize.brentq(g, P_FLOOR, 0.5 - 1e-12, xtol=1e-14, rtol=1e-12))


def noninferiority_test(first: ShareInterval, second: ShareInterval, margin: float, *, alpha: float = 0.05) -> dict:
    """Test that ``first``'s share is at least ``second``'s less ``margin`` (H1: D > -margin).

    Returns ``estimate`` (D), ``ci_low``/``ci_high`` (the MOVER interval at 1 - 2 ``alpha``, the interval whose lower
    limit the one-sided test at ``alpha`` reads), ``p_value`` (H0: D <= -margin), ``p_inferior`` (the opposite
    one-sided test, H0: D >= -margin), ``margin`` and ``level``.  The test on the side of -margin where the estimate
    lies is found by inverting that side's limit; the other one is reported as its complement (at least 0.5, where
    no verdict depends on its exact value).
    """
    if not 0 < margin < 1:
        raise ValueError("the margin must lie in (0, 1)")
    level = 1 - 2 * alpha
    d, low, high = mover_difference(first, second, level)

    def lower(a: float) -> float:
        return mover_difference(first, second, 1 - 2 * a)[1]

    def upper_negated(a: float) -> float:  # -high - 2 margin: clears -margin exactly when high < -margin
        return -mover_difference(first, second, 1 - 2 * a)[2] - 2 * margin

    # the test on the side the estimate lies on is found by inversion; the other side's p-value is its complement
    if d > -margin:
        p = _invert(lower, margin)
        p_inf = 1 - p
    elif d < -margin:
        p_inf = _invert(upper_negated, margin)
        p = 1 - p_inf
    else:
        p = p_inf = 0.5
    return {
        "estimate": float(d),
        "ci_low": float(low),
        "ci_high": float(high),
        "p_value": float(p),
        "p_inferior": float(p_inf),
        "margin": float(margin),
        "level": float(level),
    }


def smallest_count_shown(n: int, second: ShareInterval, margin: float, alpha: float) -> int | None:
    """The smallest count k of ``n`` answering units of group 1 for which the test shows non-inferiority at
    ``alpha`` against ``second`` as estimated (None: no count can)."""
    for k in range(n + 1):
        if noninferiority_test(ShareInterval.binomial(k, n), second, margin, alpha=alpha)["p_value"] < alpha:
            return k
    return None


def power(rate: float, n: int, second: ShareInterval, margin: float, alpha: float) -> float:
    """The chance that the test shows non-inferiority when each of ``n`` units of group 1 has the property with
    probability ``rate`` (binomial), group 2's estimate held as it is."""
    k = smallest_count_shown(n, second, margin, alpha)
    return 0.0 if k is None else float(stats.binom.sf(k - 1, n, rate))


def detectable(n: int, second: ShareInterval, margin: float, alpha: float, rates) -> list[dict]:
    """For each county rate in ``rates``: the power of the test (:func:`power`) with group 2 held as estimated."""
    rates = np.clip(np.asarray(list(rates), dtype=float), 0.0, 1.0)
    return [{"rate": float(r), "power": power(float(r), n, second, margin, alpha)} for r in rates]
