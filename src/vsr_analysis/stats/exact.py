"""Exact (Clopper–Pearson) intervals for counts of a few units, such as the 11 county authorities.

With 11 units a normal or Wilson approximation has no footing and no model is fitted: a share is reported as
the count k of n with the Clopper–Pearson interval, the beta-quantile inversion of the binomial test
(Clopper & Pearson 1934): low = Beta(a/2; k, n-k+1), high = Beta(1-a/2; k+1, n-k), with low = 0 when k = 0 and
high = 1 when k = n.  It is the interval R's ``binom.test`` reports, and it covers at least the nominal level.
"""

from __future__ import annotations

import numpy as np
from scipy import stats

from vsr_analysis.stats.intervals import Interval

__all__ = ["clopper_pearson", "exact_share"]


def clopper_pearson(k, n, level: float = 0.95) -> Interval:
    """Clopper–Pearson interval for k successes of n (scalars or arrays); NaN where n == 0."""
    if not 0 < level < 1:
        raise ValueError("level must be in (0, 1)")
    k_arr = np.asarray(k, dtype=float)
    n_arr = np.asarray(n, dtype=float)
    if np.any(k_arr < 0) or np.any(k_arr > n_arr) or np.any(k_arr != np.round(k_arr)):
        raise ValueError("need whole counts with 0 <= k <= n")
    a = 1 - level
    with np.errstate(divide="ignore", invalid="ignore"):
        est = np.where(n_arr > 0, k_arr / n_arr, np.nan)
        low = np.where(k_arr > 0, stats.beta.ppf(a / 2, k_arr, n_arr - k_arr + 1), 0.0)
        high = np.where(k_arr < n_arr, stats.beta.ppf(1 - a / 2, k_arr + 1, n_arr - k_arr), 1.0)
    low = np.where(n_arr > 0, low, np.nan)
    high = np.where(n_arr > 0, high, np.nan)
    if np.ndim(est) == 0:
        return Interval(float(est), float(low), float(high))
    return Interval(est, low, high)


def exact_share(values, level: float = 0.95) -> dict:
    """Count, share and Clopper–Pearson interval of the 1s among the answered (non-missing) 0/1 values."""
    x = np.asarray(values, dtype=float)
    x = x[np.isfinite(x)]
    if np.any((x != 0) & (x != 1)):
        raise ValueError("values must be 0/1")
    n, k = int(x.size), int(x.sum())
    iv = clopper_pearson(k, n, level)
    return {"n": n, "k": k, "share": iv.estimate, "ci_low": iv.low, "ci_high": iv.high}
