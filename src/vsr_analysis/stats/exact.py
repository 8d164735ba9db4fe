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

__all__ = ["clopper_pearson", "exact_share", "exact_share_test"]


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


def exact_share_test(values, threshold: float, *, alternative: str = "greater", level: float = 0.95) -> dict:
    """One-sided exact binomial test of the share of 1s among the answered 0/1 ``values`` against ``threshold``.

    ``alternative`` "greater" tests share > threshold (p = P(K >= k) under the threshold), "less" share <
    threshold (p = P(K <= k)).  The interval is Clopper–Pearson's.  For a handful of units (the 11 county
    authorities) where no weighting or linearisation is warranted.  ``p_value`` is None when nothing is answered.
    """
    if alternative not in ("greater", "less"):
        raise ValueError("alternative must be 'greater' or 'less'")
    s = exact_share(values, level)
    n, k = s["n"], s["k"]
    if n == 0:
        p = None
    elif alternative == "greater":
        p = float(stats.binom.sf(k - 1, n, float(threshold)))
    else:
        p = float(stats.binom.cdf(k, n, float(threshold)))
    return {
        "estimate": None if n == 0 else float(s["share"]),
        "ci_low": None if n == 0 else float(s["ci_low"]),
        "ci_high": None if n == 0 else float(s["ci_high"]),
        "p_value": p,
        "n": n,
        "n_yes": k,
        "threshold": float(threshold),
    }
