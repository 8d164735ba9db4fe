"""Variance of a raked (calibrated) share when the respondents are what is left after non-response.

The survey was sent to every municipality of the frame, so there is no sampling; the only chance element is who
answered.  Following Särndal & Lundström (2005, *Estimation in Surveys with Nonresponse*, ch. 9-11), response
is treated as a second phase of Poisson sampling: unit i answers independently with probability pi_i, here
estimated from the register by :func:`vsr_analysis.stats.propensity.response_propensity`.  The raked share
(a ratio of two calibrated totals, possibly over a domain) is linearised (Taylor; Deville & Särndal 1992):

    z_i = d_i (y_i - p) / N_d          (d_i = 1 in the domain and answering the item, else 0; N_d = sum w d)
    e_i = z_i - x_i' B                 (residual on the raking margins' dummies x_i, B by least squares; base
                                        weights are 1, so ordinary least squares as in Deville & Särndal)
    u_i = w_i e_i                      (w_i: the raking weight)
    V   = n / (n - q) * sum_i f_i (u_i - mean u)^2

where q is the number of independent calibration constraints (:func:`calibration_constraints`; 11 for the three
margins of a typical survey): residuals of a q-parameter least-squares fit are smaller than the errors they
stand for, and dividing by n - q instead of n - 1 corrects for it as HC1 does in regression (MacKinnon & White
1985).  On the replica the plain n - 1 left the standard errors about 3 % too small; the rows that reproduce
R ``survey`` (``with_replacement``, ``global_fpc``) keep n - 1.

The per-unit factor ``f_i`` is

* ``1 - pi_i rho`` (``variance="poisson"``, the primary): a unit that was almost sure to answer adds almost no
  uncertainty; rho is the share of respondents who answered the item (item non-response as a further phase,
  missing at random; 1 without item non-response);
* ``1`` (``variance="with_replacement"``): no finite-population factor at all.  This equals R ``survey``'s
  linearisation SE of ``svymean`` on the same design calibrated with ``calibrate(..., calfun = "raking")``
  (tests/test_calibration_variance.py holds the reference);
* ``1 - n/N`` for every unit (``variance="global_fpc"``): the old simple-random-sample correction, kept only for
  comparison.

The primary also returns ``df`` (:func:`design_effect_df`), the degrees of freedom of the estimated design
effect V / V_srs, where V_srs is the variance a simple random sample of the domain's respondents would have.
The interval (:func:`vsr_analysis.stats.shares.calibrated_share_test`) is Wilson's at n* = p (1 - p) / V, and
Wilson's score form already carries the uncertainty that a simple random sample has (few units with the rarer
answer); what it cannot see is how unsure the design effect is.  That is small when the respondents' shares of
V are like their shares of V_srs and large when a few heavily weighted respondents carry V.  Korn & Graubard
(1998) turn such degrees of freedom into a wider interval.

What it assumes: response is independent between units given the register (Poisson), the propensity model is
right (or the raking margins explain the outcome, which makes the residuals small either way), and the raking
margins are fixed.  Item non-response is treated as a domain boundary (missing completely at random within the
domain).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from functools import cached_property

import numpy as np
import pandas as pd

__all__ = [
    "RakedDesign",
    "VARIANCES",
    "calibration_constraints",
    "design_effect_df",
    "margin_matrix",
    "raked_design",
    "linearised_share",
    "linearised_difference",
]

VARIANCES = ("poisson", "with_replacement", "global_fpc")


def margin_matrix(data: pd.DataFrame, margins: Sequence[str | Sequence[str]]) -> np.ndarray:
    """Dummy columns (one per cell) of each raking margin; crossed margins (tuples) get one per crossed cell."""
    blocks = []
    for m in margins:
        cols = [m] if isinstance(m, str) else list(m)
        key = data[cols].astype(str).agg("|".join, axis=1) if len(cols) > 1 else data[cols[0]].astype(str)
        blocks.append(pd.get_dummies(key, dtype=float).to_numpy())
    if not blocks:
        return np.ones((len(data), 1))
    return np.hstack(blocks)


@dataclass(frozen=True)
class RakedDesign:
    """What the variance needs about the respondents: raking weights, margin dummies, response propensities.

    All arrays are aligned with the respondents (rows of the frame with ``responded``), in frame order.
    ``response_prob`` may be None (then only ``with_replacement`` and ``global_fpc`` are available).
    """

    weights: np.ndarray
    margins: np.ndarray
    response_prob: np.ndarray | None
    frame_size: int

    @property
    def n(self) -> int:
        return int(self.weights.size)

    @cached_property
    def constraints(self) -> int:
        """q, computed once per design (:func:`calibration_constraints`): every share on it needs it."""
        if self.n < 2:
            return 1
        return int(min(np.linalg.matrix_rank(self.margins), self.n - 1))


def raked_design(
    frame: pd.DataFrame,
    margins: Sequence[str | Sequence[str]],
    response_prob: Sequence[float] | pd.Series | None = None,
    *,
    respondent: str = "responded",
    weight: str = "weight",
) -> RakedDesign:
    """Build the design from the analysis frame (all units; ``response_prob`` aligned with the frame or None)."""
    resp = np.asarray(frame[respondent].astype(bool).to_numpy(), dtype=bool)
    sub = frame.loc[resp]
    w = np.asarray(sub[weight].astype(float).to_numpy(), dtype=float)
    pi = None
    if response_prob is not None:
        pi = np.asarray(pd.Series(response_prob).astype(float).to_numpy(), dtype=float)
        if pi.size != len(frame):
            raise ValueError("response_prob must be aligned with the frame")
        pi = np.clip(pi[resp], 0.0, 1.0)
    return RakedDesign(w, margin_matrix(sub, margins), pi, int(len(frame)))


def calibration_constraints(design: RakedDesign) -> int:
    """q: the number of independent calibration constraints (rank of the margin dummies), at most n - 1.

    The residuals e_i come from a least-squares fit with q parameters, so their sum of squares is smaller than
    the errors' by about (n - q) / n; the primary variance divides by n - q instead of n - 1 (as HC1 does for a
    regression, MacKinnon & White 1985).
    """
    return design.constraints


def design_effect_df(terms: np.ndarray, srs_terms: np.ndarray, cap: float) -> float:
    """Degrees of freedom of the estimated design effect sum(terms) / sum(srs_terms), at most ``cap``.

    ``terms`` are the respondents' contributions a_i to V, ``srs_terms`` their contributions b_i to the variance
    of a simple random sample of the domain (b_i = (y_i - p)^2 in the domain, 0 outside).  With s_i = a_i / sum a
    - b_i / sum b (a respondent's share of V minus its share of V_srs), the design effect's relative variance is
    about c sum s_i^2 with c = 2 (kappa - 1) / kappa for residuals of kurtosis kappa, so df = 2 / that.  Theory
    gives 1 / c between 1/3 (normal residuals) and 1/2 (heavy tails); this takes df = 1 / sum s_i^2, i.e. c = 1,
    because the plug-in is optimistic where it matters: the seeds in which the heavily weighted respondents give
    the common answer have both a small V and a small sum s_i^2.  The coverage benchmark
    (benchmarks/bench_share_coverage.py) shows what 3 / sum s_i^2 and 2 / sum s_i^2 would give.  When every
    respondent's share of V equals its share of V_srs (equal weights and factors), the design effect is known
    and df = ``cap``.
    """
    a_total, b_total = float(np.sum(terms)), float(np.sum(srs_terms))
    if a_total <= 0 or b_total <= 0:
        return float(cap)
    spread = float(np.sum((terms / a_total - srs_terms / b_total) ** 2))
    return float(cap) if spread * cap <= 1 else 1.0 / spread


def _factor(design: RakedDesign, variance: str) -> np.ndarray:
    if variance == "poisson":
        if design.response_prob is None:
            raise ValueError("variance='poisson' needs response propensities")
        return 1.0 - design.response_prob
    if variance == "with_replacement":
        return np.ones(design.n)
    if variance == "global_fpc":
        return np.full(design.n, max(0.0, 1.0 - design.n / design.frame_size))
    raise ValueError(f"variance must be one of {', '.join(VARIANCES)}")


def linearised_share(
    y: Sequence[float] | pd.Series,
    design: RakedDesign,
    domain: Sequence[bool] | pd.Series | None = None,
    *,
    variance: str = "poisson",
    observed: Sequence[bool] | None = None,
) -> dict:
    """Raked share of ``y`` (0/1, NaN = item not answered) over ``domain`` (default: all respondents) and its SE.

    Returns ``estimate``, ``se``, ``n`` (units in the domain answering the item), ``n_yes``, ``variance``, ``df``
    (degrees of freedom of the design effect, :func:`design_effect_df`; primary only, else None) and
    ``n_effective`` = p (1 - p) / V (the sample size of a simple random sample with the same precision; None
    when the share is 0 or 1 or V = 0).  ``estimate`` is None when the domain is empty.
    """
    ya = np.asarray(pd.Series(y).astype(float).to_numpy(), dtype=float)
    if ya.size != design.n:
        raise ValueError("y must be aligned with the design's respondents")
    if np.any((np.isfinite(ya)) & (ya != 0) & (ya != 1)):
        raise ValueError("y must be 0/1")
    out = _linearised_mean(ya, design, domain, variance=variance, observed=observed)
    out["n_yes"] = int(np.nansum(np.where(out.pop("_used"), ya, 0.0)))
    return out


def linearised_difference(
    y_a: Sequence[float] | pd.Series,
    y_b: Sequence[float] | pd.Series,
    design: RakedDesign,
    domain: Sequence[bool] | pd.Series | None = None,
    *,
    variance: str = "poisson",
    observed: Sequence[bool] | None = None,
) -> dict:
    """Difference of two raked shares over the same respondents, p_a - p_b, and its linearisation SE.

    Both shares are taken over the units of ``domain`` that answered both items, so the difference is the raked
    mean of v_i = y_a,i - y_b,i (values -1, 0, 1) and its linearised variable is the difference of the two shares'
    linearised variables: the covariance of the paired answers enters through the per-unit v_i, with the same
    raking residuals, finite-population factors and n - q divisor as :func:`linearised_share`.  Returns
    ``estimate``, ``se``, ``n`` (units answering both), ``df`` (:func:`design_effect_df` of the difference's
    design effect; primary only), ``share_a``, ``share_b`` and ``variance``.
    """
    a = np.asarray(pd.Series(y_a).astype(float).to_numpy(), dtype=float)
    b = np.asarray(pd.Series(y_b).astype(float).to_numpy(), dtype=float)
    if a.size != design.n or b.size != design.n:
        raise ValueError("y_a and y_b must be aligned with the design's respondents")
    both = np.isfinite(a) & np.isfinite(b)
    if np.any(both & (((a != 0) & (a != 1)) | ((b != 0) & (b != 1)))):
        raise ValueError("y_a and y_b must be 0/1")
    v = np.where(both, a - b, np.nan)
    out = _linearised_mean(v, design, domain, variance=variance, observed=observed)
    used = out.pop("_used")
    out.pop("n_effective", None)
    w = design.weights
    total = float(w[used].sum()) if used.any() else 0.0
    out["share_a"] = float(w[used] @ a[used] / total) if total > 0 else None
    out["share_b"] = float(w[used] @ b[used] / total) if total > 0 else None
    return out


def _linearised_mean(
    ya: np.ndarray,
    design: RakedDesign,
    domain,
    *,
    variance: str,
    observed,
) -> dict:
    """The raked mean of ``ya`` (NaN: not answered) over ``domain`` and its linearisation variance (module text).

    The one implementation behind :func:`linearised_share` (0/1 values) and :func:`linearised_difference`
    (values -1, 0, 1).  ``_used`` is the mask of the units the mean is taken over.
    """
    dom = np.ones(design.n, bool) if domain is None else np.asarray(pd.Series(domain).fillna(False).astype(bool))
    d = dom & np.isfinite(ya)
    out = {
        "estimate": None,
        "se": None,
        "n": int(d.sum()),
        "n_yes": 0,
        "variance": variance,
        "n_effective": None,
        "df": None,
        "_used": d,
    }
    w = design.weights
    if not d.any() or w[d].sum() <= 0:
        return out
    yy = np.where(d, ya, 0.0)
    nd = float(w[d].sum())
    lo, hi = float(np.min(yy[d])), float(np.max(yy[d]))
    p = float(min(max(hi, 0.0), max(min(lo, 0.0), (w * yy).sum() / nd)))  # a rounding error can pass the range
    z = np.where(d, (yy - p) / nd, 0.0)
    b = np.linalg.lstsq(design.margins, z, rcond=None)[0]
    u = w * (z - design.margins @ b)
    n = design.n
    f = _factor(design, variance)
    if variance == "poisson":
        # item non-response as a further phase: the item is answered with probability pi_i * rho, rho = the
        # share of respondents whose answer (and domain membership) is known
        seen = np.isfinite(ya) if observed is None else np.asarray(observed, dtype=bool)
        f = 1.0 - design.response_prob * float(seen.mean())
    terms = f * (u - u.mean()) ** 2
    # the rows that reproduce R survey keep its n / (n - 1); the primary divides by n - q (see the module text)
    q = calibration_constraints(design) if variance == "poisson" else 1
    v = float(n / (n - q) * np.sum(terms)) if n > q else 0.0
    out.update(estimate=p, se=float(np.sqrt(max(v, 0.0))))
    if variance == "poisson" and np.sum(terms**2) > 0:
        out["df"] = design_effect_df(terms, np.where(d, (yy - p) ** 2, 0.0), n - q)
    if v > 0 and 0 < p < 1:
        out["n_effective"] = float(p * (1 - p) / v)
    return out
