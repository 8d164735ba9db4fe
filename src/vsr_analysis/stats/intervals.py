"""Confidence intervals for shares, bootstrap percentile intervals and equivalence (TOST) tests.

(Shares and their intervals live in :mod:`vsr_analysis.stats.shares`.)

* :func:`bootstrap_ci` - nonparametric percentile bootstrap; resamples rows (jointly across arrays) or each
  array independently (two-sample contrasts); ``vectorized=True`` evaluates all replicates in one call.
* :func:`tost_proportions`, :func:`tost_mean_diff`, :func:`tost_from_estimate` - two one-sided tests for
  equivalence (Schuirmann 1987; Lakens 2017, *Social Psychological and Personality Science* 8(4):355-362): the
  claim "the difference lies inside (low, high)" is supported at level alpha when both one-sided tests reject,
  i.e. when ``p_value = max(p_lower, p_upper) < alpha`` - equivalently when the (1 - 2 alpha) CI lies inside the
  bounds.  The bounds are the smallest effect size of interest (SESOI), fixed in advance.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any, NamedTuple

import numpy as np
from scipy import stats

__all__ = [
    "Interval",
    "BootstrapResult",
    "bootstrap_ci",
    "tost_from_estimate",
    "tost_proportions",
    "tost_mean_diff",
]


class Interval(NamedTuple):
    estimate: Any
    low: Any
    high: Any


class BootstrapResult(NamedTuple):
    estimate: float
    low: float
    high: float
    se: float
    reps: int
    distribution: np.ndarray


def _z(level: float) -> float:
    if not 0 < level < 1:
        raise ValueError("level must be in (0, 1)")
    return float(stats.norm.ppf(0.5 + level / 2))


def bootstrap_ci(
    stat_fn: Callable[..., Any],
    arrays: Sequence[Sequence[float]] | np.ndarray,
    reps: int = 2000,
    seed: int | None = 0,
    level: float = 0.95,
    *,
    paired: bool = True,
    vectorized: bool = False,
    chunk: int = 1000,
) -> BootstrapResult:
    """Percentile bootstrap interval for ``stat_fn(*arrays)``.

    ``paired=True``: the arrays are columns of the same rows (equal length) and rows are resampled together.
    ``paired=False``: each array is resampled independently (e.g. a difference between two groups).
    ``vectorized=True``: ``stat_fn`` is called once per chunk with 2-D arrays of shape (replicates, n_i) and must
    return one value per replicate (reduce along ``axis=-1``); otherwise it is called once per replicate with 1-D
    arrays.  Randomness comes only from ``numpy.random.default_rng(seed)``.

    Returns ``BootstrapResult(estimate, low, high, se, reps, distribution)``: the statistic on the data, the
    percentile limits (``numpy.quantile``, linear interpolation), the bootstrap standard deviation, and all
    replicates.  Replicates giving NaN are dropped from the quantiles.
    """
    if isinstance(arrays, np.ndarray) and arrays.ndim == 1:
        arrays = [arrays]
    arrs = [np.asarray(a, float) for a in arrays]
    if not arrs:
        raise ValueError("no arrays")
    if paired and len({a.shape[0] for a in arrs}) != 1:
        raise ValueError("paired resampling needs arrays of equal length")
    if reps < 1:
        raise ValueError("reps must be >= 1")
    _z(level)
    rng = np.random.default_rng(seed)
    est = float(stat_fn(*arrs))
    out = np.empty(reps)
    done = 0
    while done < reps:
        m = min(chunk, reps - done)
        if paired:
            idx = rng.integers(0, arrs[0].shape[0], size=(m, arrs[0].shape[0]))
            samples = [a[idx] for a in arrs]
        else:
            samples = [a[rng.integers(0, a.shape[0], size=(m, a.shape[0]))] for a in arrs]
        if vectorized:
            vals = np.asarray(stat_fn(*samples), float).reshape(-1)
            if vals.size != m:
                raise ValueError("vectorized stat_fn must return one value per replicate")
            out[done : done + m] = vals
        else:
            for i in range(m):
                out[done + i] = float(stat_fn(*(s[i] for s in samples)))
        done += m
    good = out[np.isfinite(out)]
    a = (1 - level) / 2
    low, high = np.quantile(good, [a, 1 - a]) if good.size else (np.nan, np.nan)
    se = float(np.std(good, ddof=1)) if good.size > 1 else float("nan")
    return BootstrapResult(est, float(low), float(high), se, reps, out)


def _bounds(sesoi: float | tuple[float, float]) -> tuple[float, float]:
    if np.ndim(sesoi) == 0:
        s = abs(float(sesoi))
        if s == 0:
            raise ValueError("the SESOI must be non-zero")
        return -s, s
    low, high = (float(v) for v in sesoi)
    if not low < high:
        raise ValueError("equivalence bounds must satisfy low < high")
    return low, high


def tost_from_estimate(
    estimate: float,
    se: float,
    sesoi: float | tuple[float, float],
    alpha: float = 0.05,
    *,
    df: float | None = None,
) -> dict[str, float | bool]:
    """TOST for an estimate with standard error ``se`` against bounds ``(-sesoi, sesoi)`` or ``(low, high)``.

    z-tests, or t-tests with ``df`` degrees of freedom.  Returns estimate, se, low, high, p_lower (H0: diff <= low),
    p_upper (H0: diff >= high), p_value = max of the two, ci_low/ci_high of the (1 - 2 alpha) interval and
    ``equivalent`` (p_value < alpha).
    """
    low, high = _bounds(sesoi)
    dist = stats.norm if df is None else stats.t(df)
    t_low = (estimate - low) / se
    t_high = (estimate - high) / se
    p_lower = float(dist.sf(t_low))
    p_upper = float(dist.cdf(t_high))
    q = float(dist.ppf(1 - alpha))
    p = max(p_lower, p_upper)
    return {
        "estimate": float(estimate),
        "se": float(se),
        "low": low,
        "high": high,
        "p_lower": p_lower,
        "p_upper": p_upper,
        "p_value": p,
        "ci_low": float(estimate - q * se),
        "ci_high": float(estimate + q * se),
        "equivalent": bool(p < alpha),
        **({"df": float(df)} if df is not None else {}),
    }


def tost_proportions(
    k1: float, n1: float, k2: float, n2: float, sesoi: float | tuple[float, float], alpha: float = 0.05
) -> dict[str, float | bool]:
    """TOST for a difference of two independent proportions p1 - p2 (unpooled Wald z-tests, Lakens 2017).

    ``n1``/``n2`` may be effective sample sizes (then ``k = share * n_eff``).  The SESOI is on the
    probability scale (e.g. 0.10 = ten percentage points).
    """
    if min(n1, n2) <= 0:
        raise ValueError("n1 and n2 must be positive")
    p1, p2 = k1 / n1, k2 / n2
    se = float(np.sqrt(p1 * (1 - p1) / n1 + p2 * (1 - p2) / n2))
    if se == 0:
        raise ValueError("standard error is zero (both shares are 0 or 1)")
    out = tost_from_estimate(p1 - p2, se, sesoi, alpha)
    out.update({"p1": float(p1), "p2": float(p2)})
    return out


def tost_mean_diff(
    x1: Sequence[float],
    x2: Sequence[float],
    sesoi: float | tuple[float, float],
    alpha: float = 0.05,
    *,
    equal_var: bool = False,
) -> dict[str, float | bool]:
    """TOST for the difference of two independent means mean(x1) - mean(x2) (raw units).

    Welch's t-tests with Welch-Satterthwaite df by default (as Lakens 2017 recommends); ``equal_var=True`` uses
    the pooled-variance t-tests.  NaNs are dropped.
    """
    a = np.asarray(x1, float)
    b = np.asarray(x2, float)
    a, b = a[np.isfinite(a)], b[np.isfinite(b)]
    n1, n2 = a.size, b.size
    if min(n1, n2) < 2:
        raise ValueError("each group needs at least two values")
    v1, v2 = a.var(ddof=1), b.var(ddof=1)
    if equal_var:
        sp2 = ((n1 - 1) * v1 + (n2 - 1) * v2) / (n1 + n2 - 2)
        se = float(np.sqrt(sp2 * (1 / n1 + 1 / n2)))
        df = float(n1 + n2 - 2)
    else:
        se = float(np.sqrt(v1 / n1 + v2 / n2))
        df = float((v1 / n1 + v2 / n2) ** 2 / ((v1 / n1) ** 2 / (n1 - 1) + (v2 / n2) ** 2 / (n2 - 1)))
    out = tost_from_estimate(float(a.mean() - b.mean()), se, sesoi, alpha, df=df)
    out.update({"mean1": float(a.mean()), "mean2": float(b.mean())})
    return out
