"""Tipping-point sensitivity of a weighted share to response that depends on the answer itself (not at random).

The share claims' primary estimate is a raked share: each respondent i stands for itself and for ``w_i - 1``
non-respondents like it, so the weighting *imputes* to the non-respondents the share

    q_MAR = sum (w_i - 1) y_i / sum (w_i - 1)

of the respondents' answers (missing at random given the raking margins).  A pattern-mixture (delta-adjustment)
sensitivity analysis asks what happens if the non-respondents differ from that: suppose units *with* the outcome
have ``odds_ratio`` times the odds of answering of comparable units without it.  Then, by Bayes' rule with the
response odds tilted by a constant factor (an exponential-tilting selection model, cf. Rotnitzky, Robins & Scharfstein
1998; the delta-adjustment of tipping-point analyses, Ratitch, O'Kelly & Tosiello 2013), the non-respondents' odds of
the outcome are the imputed odds divided by ``odds_ratio``:

    q(OR) = q_MAR / (q_MAR + (1 - q_MAR) OR)          (logit q(OR) = logit q_MAR - log OR)

and the share becomes ``p(OR) = (sum y_i + sum (w_i - 1) q(OR)) / sum w_i``.  ``odds_ratio = 1`` gives back the
raked share exactly; above 1 (the outcome makes answering more likely) the share falls, below 1 it rises.  The
interval and the one-sided test are those of the primary at the primary's design-effective sample size ``n_eff``
(a Wilson interval and the score test at n_eff, as :func:`vsr_analysis.stats.shares.calibrated_share_test`
computes them), moved to ``p(OR)``: the adjustment shifts the estimate, not its sampling variability.

The *tipping point* is the odds ratio at which the rule's verdict first differs from its verdict at 1, found on
either side of 1 by bisection on log OR (the verdict is monotone in OR because p(OR) is).  What the verdict is
comes from a callable, so this module knows nothing about the claims' rules.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy.stats import norm

__all__ = ["DEFAULT_GRID", "TippingPoint", "adjusted_share", "adjusted_test", "tipping_point"]

#: Odds ratios of answering (units with the outcome vs without) shown in the table.
DEFAULT_GRID: tuple[float, ...] = (1 / 4, 1 / 3, 1 / 2, 2 / 3, 1.0, 1.5, 2.0, 3.0, 4.0)
#: The widest odds ratios searched for a tipping point (beyond them: "no plausible odds ratio changes it").
SEARCH_RANGE: tuple[float, float] = (1 / 100, 100.0)


def _clean(y, w) -> tuple[np.ndarray, np.ndarray]:
    y = np.asarray(pd.Series(y).astype(float).to_numpy(), dtype=float)
    w = np.asarray(pd.Series(w).astype(float).to_numpy(), dtype=float)
    if y.shape != w.shape:
        raise ValueError("y and w differ in length")
    ok = np.isfinite(y) & np.isfinite(w) & (w > 0)
    y, w = y[ok], w[ok]
    if np.any((y != 0) & (y != 1)):
        raise ValueError("y must be 0/1")
    return y, w


def adjusted_share(y, w, odds_ratio: float) -> dict:
    """The delta-adjusted share: ``estimate`` p(OR), ``nonrespondent_share_mar`` (what the weighting imputes to the
    non-respondents), ``nonrespondent_share`` q(OR) and ``nonrespondents`` (sum of w_i - 1).  Units with a missing
    answer or weight are left out, as the primary does."""
    if not odds_ratio > 0 or not math.isfinite(odds_ratio):
        raise ValueError("odds_ratio must be a positive number")
    y, w = _clean(y, w)
    if y.size == 0:
        return {"estimate": None, "nonrespondent_share_mar": None, "nonrespondent_share": None, "nonrespondents": 0.0}
    excess = w - 1.0
    m = float(excess.sum())
    estimate_mar = float(w @ y / w.sum())
    if m <= 0:  # no one stands in for non-respondents: nothing to adjust
        return {"estimate": estimate_mar, "nonrespondent_share_mar": None, "nonrespondent_share": None,
                "nonrespondents": m}  # fmt: skip
    q_mar = min(1.0, max(0.0, float(excess @ y / m)))
    q = q_mar / (q_mar + (1.0 - q_mar) * odds_ratio) if 0 < q_mar < 1 else q_mar
    estimate = (float(y.sum()) + m * q) / float(w.sum())
    if odds_ratio == 1.0:
        estimate = estimate_mar  # the same number, not one a rounding error away
    return {"estimate": min(1.0, max(0.0, estimate)), "nonrespondent_share_mar": q_mar, "nonrespondent_share": q,
            "nonrespondents": m}  # fmt: skip


def adjusted_test(y, w, odds_ratio: float, n_eff: float, threshold: float, level: float = 0.95) -> dict:
    """p(OR) with the primary's Wilson interval and one-sided score test (share > ``threshold``) at ``n_eff``."""
    from vsr_analysis.stats.shares import wilson

    adj = adjusted_share(y, w, odds_ratio)
    p, p0 = adj["estimate"], float(threshold)
    out = {"odds_ratio": float(odds_ratio), **adj, "ci_low": None, "ci_high": None, "z": None, "p_value": None}
    if p is None:
        return out
    if n_eff is None or not math.isfinite(n_eff):  # the primary knew the share exactly
        return dict(out, ci_low=p, ci_high=p, p_value=0.0 if p > p0 else 1.0)
    iv = wilson(p * n_eff, n_eff, level)
    z = (p - p0) / math.sqrt(p0 * (1 - p0) / n_eff) if 0 < p0 < 1 else math.copysign(math.inf, p - p0)
    return dict(out, ci_low=float(iv.low), ci_high=float(iv.high), z=float(z), p_value=float(norm.sf(z)))


@dataclass
class TippingPoint:
    """The verdict over a grid of odds ratios and the tipping values on either side of 1 (None: none within
    :data:`SEARCH_RANGE`).  ``verdict_at_one`` is the verdict without adjustment (the primary's)."""

    table: pd.DataFrame
    verdict_at_one: str
    tipping_above: float | None  # the smallest OR > 1 at which the verdict differs from verdict_at_one
    verdict_above: str | None  # ... and the verdict it gives there
    tipping_below: float | None  # the largest OR < 1 at which the verdict differs
    verdict_below: str | None


def _tip(
    verdict_of: Callable[[float], str], at_one: str, far: float, steps: int = 60
) -> tuple[float | None, str | None]:
    """Bisection on log OR between 1 and ``far`` for the first OR whose verdict differs from ``at_one``."""
    if verdict_of(far) == at_one:
        return None, None
    lo, hi = 0.0, math.log(far)  # verdict(exp(lo)) == at_one, verdict(exp(hi)) differs
    for _ in range(steps):
        mid = (lo + hi) / 2
        if verdict_of(math.exp(mid)) == at_one:
            lo = mid
        else:
            hi = mid
    return math.exp(hi), verdict_of(math.exp(hi))


def tipping_point(
    y,
    w,
    n_eff: float,
    threshold: float,
    verdict: Callable[[dict], str],
    grid: Sequence[float] = DEFAULT_GRID,
    level: float = 0.95,
) -> TippingPoint:
    """The verdict ``verdict(test)`` of :func:`adjusted_test` over ``grid`` and the tipping odds ratios.

    ``verdict`` maps a test result (``estimate``, ``ci_low``, ``ci_high``, ``p_value``) to the rule's verdict, e.g.
    ``lambda t: claims.ledger.decide(entry, {"primary": t, "rule_inputs": {}}, alpha, t["p_value"]).verdict``.
    """

    def test(odds_ratio: float) -> dict:
        return adjusted_test(y, w, odds_ratio, n_eff, threshold, level)

    def verdict_of(odds_ratio: float) -> str:
        return verdict(test(odds_ratio))

    rows = []
    for odds_ratio in sorted(set(float(g) for g in grid) | {1.0}):
        t = test(odds_ratio)
        rows.append({"odds ratio of answering (with vs without)": odds_ratio,
                     "non-respondents' share": t["nonrespondent_share"], "share": t["estimate"],
                     "ci_low": t["ci_low"], "ci_high": t["ci_high"], "p_value": t["p_value"],
                     "decision": verdict(t)})  # fmt: skip
    at_one = verdict_of(1.0)
    above, v_above = _tip(verdict_of, at_one, SEARCH_RANGE[1])
    below, v_below = _tip(verdict_of, at_one, SEARCH_RANGE[0])
    return TippingPoint(pd.DataFrame(rows), at_one, above, v_above, below, v_below)
