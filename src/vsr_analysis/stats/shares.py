"""Shares of 0/1 answers with their intervals: the one path every share in the compendium takes.

* :func:`wilson` - Wilson score interval for k successes out of n (vectorised; n may be an effective size).
* :func:`weighted_share` - a weighted share with a Wilson interval at Kish's effective sample size
  n_eff = (sum w)^2 / sum w^2, optionally with a simple-random-sample finite-population correction (cf. Korn &
  Graubard 1998).  Descriptive rows (shares by group) use it.
* :func:`share_by_group` - :func:`weighted_share` per level of a grouping column, with counts.
* :func:`share_test` - the Kish effective-n score test of share > level (fast, for power simulations).
* :func:`calibrated_share_test` - the claims' primary test: the raked share with the linearisation variance of
  :mod:`vsr_analysis.stats.calibration_variance` (response as Poisson sampling with estimated propensities),
  a Wilson interval at the design-effective n = p (1 - p) / V, adjusted for the degrees of freedom of V, and
  the score test at that n.
* :func:`paired_difference_test` - the difference of two raked shares over the same respondents (two items of
  one multi-select question) with its paired linearisation variance and a one-sided test that it is positive.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from typing import NamedTuple

import numpy as np
import pandas as pd
from scipy import stats
from scipy.stats import norm

from vsr_analysis.stats.calibration_variance import RakedDesign, linearised_difference, linearised_share
from vsr_analysis.stats.descriptives import as_float
from vsr_analysis.stats.intervals import Interval

__all__ = [
    "WeightedShare",
    "wilson",
    "weighted_share",
    "share_by_group",
    "share_test",
    "calibrated_share_test",
    "paired_difference_test",
]


def _z(level: float) -> float:
    if not 0 < level < 1:
        raise ValueError("level must be in (0, 1)")
    return float(stats.norm.ppf(0.5 + level / 2))


class WeightedShare(NamedTuple):
    estimate: float
    low: float
    high: float
    n: int
    n_eff: float


def wilson(k, n, level: float = 0.95) -> Interval:
    """Wilson score interval for a proportion k/n.

    ``k`` and ``n`` may be arrays (broadcast) and ``n`` need not be an integer (effective sample sizes).  Where
    ``n == 0`` everything is NaN.  Returns ``Interval(estimate, low, high)`` of floats or arrays.
    """
    z = _z(level)
    k_arr = np.asarray(k, float)
    n_arr = np.asarray(n, float)
    # k = share * n_eff in floating point may exceed n (or fall below 0) by a rounding error: clip that
    tol = 1e-9 * np.maximum(n_arr, 1.0)
    if np.any(k_arr < -tol) or np.any(k_arr > n_arr + tol):
        raise ValueError("need 0 <= k <= n")
    k_arr = np.clip(k_arr, 0.0, np.maximum(n_arr, 0.0))
    with np.errstate(divide="ignore", invalid="ignore"):
        p = np.where(n_arr > 0, k_arr / n_arr, np.nan)
        z2n = z * z / n_arr
        centre = (p + z2n / 2) / (1 + z2n)
        half = z / (1 + z2n) * np.sqrt(p * (1 - p) / n_arr + z * z / (4 * n_arr * n_arr))
    low = np.clip(centre - half, 0, 1)
    high = np.clip(centre + half, 0, 1)
    if np.ndim(p) == 0:
        return Interval(float(p), float(low), float(high))
    return Interval(p, low, high)


def weighted_share(
    x: Sequence[float] | pd.Series,
    w: Sequence[float] | pd.Series | None = None,
    level: float = 0.95,
    *,
    population_size: int | None = None,
) -> WeightedShare:
    """Weighted share of ``x`` (0/1 or bool) with a Wilson interval at Kish's effective n.

    estimate = sum(w x) / sum(w); the interval is ``wilson(estimate * n_eff, n_eff)`` with
    n_eff = (sum w)^2 / sum w^2.  With ``population_size`` N, a finite-population correction is applied by using
    n_eff / (1 - n/N) (n = number of units used) - appropriate when the units are a large part of a finite frame.
    Pairs where ``x`` or ``w`` is missing, or ``w == 0``, are dropped.  Without weights this is the plain Wilson
    interval.
    """
    xa = np.asarray(pd.Series(x).astype(float).to_numpy(), float)
    wa = np.ones_like(xa) if w is None else np.asarray(pd.Series(w).astype(float).to_numpy(), float)
    if xa.shape != wa.shape:
        raise ValueError("x and w differ in length")
    ok = np.isfinite(xa) & np.isfinite(wa) & (wa > 0)
    xa, wa = xa[ok], wa[ok]
    if np.any((xa != 0) & (xa != 1)):
        raise ValueError("x must be 0/1")
    if np.any(wa < 0):
        raise ValueError("weights must be non-negative")
    n = int(xa.size)
    if n == 0:
        return WeightedShare(float("nan"), float("nan"), float("nan"), 0, 0.0)
    p = float(min(1.0, max(0.0, wa @ xa / wa.sum())))  # a rounding error can push w.x / sum w past 1
    n_eff = float(wa.sum() ** 2 / np.sum(wa**2))
    n_use = n_eff
    if population_size is not None:
        f = n / population_size
        if not 0 < f <= 1:
            raise ValueError("population_size must be >= the number of units")
        n_use = n_eff / (1 - f) if f < 1 else np.inf
    if np.isinf(n_use):
        return WeightedShare(p, p, p, n, n_eff)
    iv = wilson(p * n_use, n_use, level)
    return WeightedShare(p, iv.low, iv.high, n, n_eff)


def share_by_group(
    data: pd.DataFrame,
    item: str,
    by: str | None = None,
    *,
    weight: str | None = "weight",
    level: float = 0.95,
    population_size: float | None = None,
    order: Sequence | None = None,
    total_label: str | None = "all",
    group_population: Mapping | None = None,
    sampling_fraction: float | None = None,
) -> pd.DataFrame:
    """Share of ``item`` == 1 per level of ``by`` (and over all rows), weighted, with a Wilson interval.

    Columns: ``group``, ``n`` (units answering the item), ``n_yes`` (of them with item = 1, unweighted),
    ``share`` (weighted with ``weight``; unweighted when ``weight`` is None), ``ci_low``, ``ci_high`` (Wilson at
    Kish's effective n), ``share_unweighted``.  ``population_size`` applies a finite-population correction to
    the *total* row, ``group_population`` (group -> number of units in the frame, e.g. the register's count
    of municipalities per size band) to the group rows.  For a *domain* whose population size is unknown (e.g.
    the municipalities with the SDGs in their management system), ``sampling_fraction`` f = n / N of the whole
    survey gives every row the finite-population correction of a simple random sample, population n_row / f
    (ignored for rows that ``population_size`` or ``group_population`` cover).  ``order`` fixes the order of
    the groups (default: sorted).  Rows with a missing item are left out.
    """
    x = as_float(data[item])
    w = np.ones(len(data)) if weight is None else as_float(data[weight])
    keys = [None] if by is None else list(order if order is not None else sorted(data[by].dropna().unique()))
    rows = []

    def row(label, mask, fpc):
        xm, wm = x[mask], w[mask]
        ok = np.isfinite(xm) & np.isfinite(wm) & (wm > 0)
        xm, wm = xm[ok], wm[ok]
        n = int(xm.size)
        if n == 0:
            return {
                "group": label,
                "n": 0,
                "n_yes": 0,
                "share": np.nan,
                "ci_low": np.nan,
                "ci_high": np.nan,
                "share_unweighted": np.nan,
            }
        if not fpc and sampling_fraction:
            if not 0 < sampling_fraction <= 1:
                raise ValueError("sampling_fraction must be in (0, 1]")
            fpc = n / sampling_fraction
        ws = weighted_share(xm, wm, level, population_size=fpc if fpc and fpc >= n else None)
        return {
            "group": label,
            "n": n,
            "n_yes": int(xm.sum()),
            "share": ws.estimate,
            "ci_low": ws.low,
            "ci_high": ws.high,
            "share_unweighted": float(xm.mean()),
        }

    if by is not None:
        g = data[by].to_numpy(dtype=object)
        for key in keys:
            fpc = None if group_population is None else group_population.get(key)
            rows.append(row(str(key), np.asarray(g == key, dtype=bool), fpc))
    if by is None or total_label is not None:
        rows.append(row(total_label or "all", np.ones(len(data), dtype=bool), population_size))
    return pd.DataFrame(rows)


def share_test(x, w=None, threshold: float = 0.5, *, population_size: int | None = None, level: float = 0.95) -> dict:
    """Weighted share of ``x`` (0/1) with a Wilson CI and a one-sided test of share > ``threshold``.

    The test is the score test at the Kish effective sample size (with the finite-population correction when
    ``population_size`` is given), the same n the Wilson interval uses:
    z = (p - p0) / sqrt(p0 (1 - p0) / n_eff), p-value = 1 - Phi(z).
    """
    x = np.asarray(x, dtype=float)
    w = np.ones_like(x) if w is None else np.asarray(w, dtype=float)
    ok = ~(np.isnan(x) | np.isnan(w)) & (w > 0)
    x, w = x[ok], w[ok]
    if len(x) == 0:
        return {"estimate": None, "ci_low": None, "ci_high": None, "p_value": None, "n": 0, "n_eff": 0.0}
    ws = weighted_share(x, w, level, population_size=population_size)
    n_eff = float(w.sum() ** 2 / np.sum(w**2))
    if population_size:
        n_eff = n_eff / max(1e-9, 1 - len(x) / population_size)
    p0 = float(threshold)
    z = (ws.estimate - p0) / math.sqrt(p0 * (1 - p0) / n_eff)
    return {
        "estimate": float(ws.estimate),
        "ci_low": float(ws.low),
        "ci_high": float(ws.high),
        "p_value": float(norm.sf(z)),
        "z": float(z),
        "n": int(len(x)),
        "n_eff": n_eff,
        "threshold": p0,
    }


def calibrated_share_test(
    y,
    design: RakedDesign,
    threshold: float,
    domain=None,
    *,
    variance: str = "poisson",
    level: float = 0.95,
    observed=None,
) -> dict:
    """Raked share of ``y`` over ``domain`` with the linearisation variance, a Wilson interval and a one-sided test.

    The Wilson interval and the score test (share > ``threshold``) use the design-effective sample size
    n* = p (1 - p) / V, i.e. the variance V of :func:`~vsr_analysis.stats.calibration_variance.linearised_share`
    (``variance`` = ``"poisson"``, ``"with_replacement"`` or ``"global_fpc"``): z = (p - p0) / sqrt(p0 (1 - p0)
    / n*), p-value = 1 - Phi(z).  For the primary (``"poisson"``) n* is first multiplied by (z / t_df)^2, with
    df the degrees of freedom of the estimated design effect
    (:func:`~vsr_analysis.stats.calibration_variance.design_effect_df`; Korn & Graubard 1998's degrees-of-
    freedom-adjusted effective sample size): when a few heavily weighted respondents carry the variance, the
    interval widens; with comparable respondents it barely changes, however rare the answer.  ``df`` is
    returned (None for the other variances).  When p is 0 or 1 the linearised variance is 0 and says nothing; n* is then
    Kish's effective n of the domain.  When V = 0 for 0 < p < 1 (every unit certain to answer) the share is
    known exactly: the interval has zero width and the p-value is 0 or 1.  ``observed`` (respondents whose
    answer and domain membership are known) sets the item-response rate of the Poisson factor.  ``note`` says so;
    ``estimate`` is None when the domain is empty.
    """
    lin = linearised_share(y, design, domain, variance=variance, observed=observed)
    out = {
        "estimate": lin["estimate"],
        "ci_low": None,
        "ci_high": None,
        "p_value": None,
        "z": None,
        "se": lin["se"],
        "n": lin["n"],
        "n_yes": lin["n_yes"],
        "n_eff": None,
        "threshold": float(threshold),
        "variance": variance,
        "df": None,
        "note": "",
    }
    p, p0 = lin["estimate"], float(threshold)
    if p is None:
        out["note"] = "no unit in the domain answered the item: the share cannot be estimated"
        return out
    n_eff = lin["n_effective"]
    if n_eff is None and 0 < p < 1:  # V = 0: nothing left to chance
        out.update(ci_low=p, ci_high=p, n_eff=math.inf, p_value=0.0 if p > p0 else 1.0)
        out["note"] = "every unit was certain to answer: the share is known exactly (item non-response aside)"
        return out
    if n_eff is None:
        ya = np.asarray(pd.Series(y).astype(float).to_numpy(), dtype=float)
        dom = np.ones(design.n, bool) if domain is None else np.asarray(pd.Series(domain).fillna(False).astype(bool))
        w = design.weights[dom & np.isfinite(ya)]
        n_eff = float(w.sum() ** 2 / np.sum(w**2))
        out["note"] = f"every unit in the domain has the same answer (share {p:g}): interval from Kish's effective n"
    if lin.get("df") and math.isfinite(n_eff):
        # Korn & Graubard (1998): the degrees-of-freedom-adjusted effective n, n* (z / t_df)^2, so that the
        # interval and the test carry the uncertainty of the design effect
        n_eff = n_eff * (_z(level) / float(stats.t.ppf(0.5 + level / 2, lin["df"]))) ** 2
        out["df"] = lin["df"]
    iv = wilson(p * n_eff, n_eff, level)
    z = (p - p0) / math.sqrt(p0 * (1 - p0) / n_eff) if 0 < p0 < 1 else math.copysign(math.inf, p - p0)
    out.update(ci_low=float(iv.low), ci_high=float(iv.high), n_eff=float(n_eff), z=float(z), p_value=float(norm.sf(z)))
    return out


def paired_difference_test(
    y_a,
    y_b,
    design: RakedDesign,
    domain=None,
    *,
    variance: str = "poisson",
    level: float = 0.95,
    observed=None,
) -> dict:
    """One-sided test that the raked share of ``y_a`` exceeds that of ``y_b`` over the same respondents.

    The difference d = p_a - p_b and its SE come from
    :func:`~vsr_analysis.stats.calibration_variance.linearised_difference` (the paired linearisation on the
    share claims' raked design, so the covariance of the two answers of one unit is accounted for).  The test is
    t = d / SE against Student's t with the degrees of freedom of the difference's estimated design effect
    (``df``; the normal distribution for the variances without one), the same degrees of freedom the share tests
    use for their interval; the interval is d ± t_df SE at ``level``.  ``p_value`` is P(T >= t) (H0: d <= 0) and
    ``p_opposite`` P(T <= t) (H0: d >= 0).  With SE = 0 (every unit certain to answer, or no unit differing) the
    difference is known: p_value is 0 when d > 0 and 1 otherwise.  ``estimate`` is None when no unit answered
    both items.
    """
    lin = linearised_difference(y_a, y_b, design, domain, variance=variance, observed=observed)
    out = {
        "estimate": lin["estimate"],
        "share_a": lin["share_a"],
        "share_b": lin["share_b"],
        "se": lin["se"],
        "ci_low": None,
        "ci_high": None,
        "t": None,
        "df": lin["df"],
        "p_value": None,
        "p_opposite": None,
        "n": lin["n"],
        "variance": variance,
    }
    d, se = lin["estimate"], lin["se"]
    if d is None:
        return out
    if not se:
        out.update(ci_low=d, ci_high=d, p_value=0.0 if d > 0 else 1.0, p_opposite=0.0 if d < 0 else 1.0)
        return out
    dist = stats.t(lin["df"]) if lin["df"] else stats.norm()
    t = d / se
    half = float(dist.ppf(0.5 + level / 2)) * se
    out.update(
        ci_low=float(d - half),
        ci_high=float(d + half),
        t=float(t),
        p_value=float(dist.sf(t)),
        p_opposite=float(dist.cdf(t)),
    )
    return out
