"""Necessary Condition Analysis (NCA): ceiling lines, effect size, permutation test, bottleneck table.

NCA asks whether a condition X is *necessary* (but not sufficient) for an outcome Y: if high Y needs high X,
the upper-left corner of the X-Y scatter plot is empty.  The border of that empty zone is the *ceiling line*,
and the size of the empty zone relative to the area where observations could lie is the *effect size*.

Definitions (Dul 2016, "Necessary Condition Analysis (NCA): Logic and methodology of 'necessary but not
sufficient' causality", *Organizational Research Methods* 19(1):10-52), implemented so that the numbers are
comparable with the R package ``NCA`` (Dul and Buijs; our own implementation, not a translation):

Scope
    The rectangle ``[x_min, x_max] x [y_min, y_max]`` where observations can lie.  By default the *empirical*
    scope (the observed ranges).  A theoretical ``scope=(x_min, x_max, y_min, y_max)`` may be given; as in the
    R package it is only ever widened to contain every observation (a warning says so) and ``None`` entries
    fall back to the empirical bound.  ``scope_area`` is the rectangle's area.
Corner
    Which corner is empty.  ``1`` upper-left ("high Y needs high X", the default), ``2`` upper-right ("high Y
    needs low X"), ``3`` lower-left ("low Y needs high X"), ``4`` lower-right ("low Y needs low X").  Corners
    2-4 are computed by mirroring X and/or Y (x -> -x, y -> -y), analysing corner 1, and mirroring back.
Peers
    The observations on the CE-FDH ceiling, found as in the R package: sort by X (then Y); an observation is a
    peer when its Y exceeds the Y of every observation with smaller X (within a group of equal X only the
    highest Y can be a peer), and exact duplicates of a peer are peers too (they weigh in CR-FDH's regression).
CE-FDH ("ceiling envelopment - free disposal hull")
    The non-decreasing step function through the peers: ``ceiling(x) = max{y_i : x_i <= x}``; left of the
    first peer (only possible with a theoretical scope) the ceiling is the scope's ``y_min``.  The *ceiling
    zone* is the area of the scope above the step function.  Every observation lies on or below it, so its
    ceiling accuracy is 1.
CR-FDH ("ceiling regression - free disposal hull")
    The ordinary-least-squares line through the CE-FDH peers (duplicates included).  Its ceiling zone is the
    area of the scope rectangle above the line, with the line clipped to the rectangle: where the line runs
    below ``y_min`` the whole column counts as empty, where it runs above ``y_max`` nothing does.  Some
    observations may lie above the line (more than ``1e-7`` above, as in the R package).  With fewer than two
    distinct peers there is no line and the ceiling zone is 0 (as in the R package).
Effect size
    ``d = ceiling_zone / scope_area``, between 0 and 1.  Benchmarks (Dul 2016): ``d < 0.1`` small,
    ``0.1 <= d < 0.3`` medium, ``0.3 <= d < 0.5`` large, ``d >= 0.5`` very large (:func:`effect_size_label`).
Ceiling accuracy
    Share of observations on or below the ceiling line (a fraction in [0, 1], the R package prints percent).
Permutation test (Dul, van der Laan & Kuik 2020, "A statistical significance test for Necessary Condition
Analysis", *Organizational Research Methods* 23(2):385-395)
    Under the null hypothesis X and Y are unrelated, so every re-pairing of the observed Y values with the
    observed X values is equally likely.  Y is permuted ``permutations`` times relative to X, the effect size
    is recomputed, and ``p = (#{d_perm >= d_obs} + 1) / (permutations + 1)`` (ties within 1e-10 count as
    "greater or equal").  The R package reports ``#{d_perm >= d_obs} / reps`` floored at ``1 / reps``; our
    formula includes the observed arrangement and is never 0.  Two exact samplers of the same null
    distribution, both seeded by ``numpy.random.default_rng(seed)``: for CE-FDH with an ordinal Y (at most 64
    distinct values, such as the maturity stage), the zone depends only on where, in X order, each Y level is
    first reached, and those first positions are drawn directly, one uniform number per level and permutation
    (see ``_ce_fdh_zones_by_level``), which is what makes 10,000 permutations cheap; otherwise one
    ``(reps, n)`` matrix per chunk (row ``r`` equals the ``r``-th call of ``rng.permutation(y)``), group maxima
    with ``np.maximum.reduceat``, running maxima with ``np.maximum.accumulate`` and row-wise area sums.
Bottleneck
    For an outcome level ``y``, the level of X required by the ceiling (:meth:`NCAResult.required_x`).
    CE-FDH: the X of the first peer whose Y reaches ``y``; CR-FDH: the X where the line reaches ``y``.
    ``NaN`` ("NN", not necessary) when the requirement is at or beyond the scope's low-X edge (no X level is
    needed); ``+inf`` ("NA", -inf for corners 2 and 4) when ``y`` lies above every observed outcome (CE-FDH)
    or the requirement lies beyond the scope's high-X edge (CR-FDH): no observed X level is known to suffice.
    Deviation from the R package's default display (``cutoff = 0``): a requirement equal to the scope's
    high-X edge is reported as that value, not as "NA".
"""

from __future__ import annotations

import math
import warnings
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

__all__ = [
    "CEILINGS",
    "CORNERS",
    "NCAResult",
    "bottleneck",
    "effect_size_label",
    "nca",
    "permutation_p_value",
]

#: Ceiling techniques implemented here.
CEILINGS = ("ce_fdh", "cr_fdh")
#: corner -> (mirror X, mirror Y); 1 upper-left, 2 upper-right, 3 lower-left, 4 lower-right empty.
CORNERS: dict[int, tuple[bool, bool]] = {1: (False, False), 2: (True, False), 3: (False, True), 4: (True, True)}

_EPS = 1e-10  # float comparisons of X/Y levels and of permuted vs observed effect sizes
_ABOVE_TOL = 1e-7  # an observation counts as above a CR-FDH line when more than this above it (R: 1e-7)
_CHUNK_ELEMENTS = 1 << 20  # permutation matrix elements per chunk (about 8 MB of float64)
# CE-FDH permutations are drawn level by level (reps x levels numbers instead of reps x n) when y has at most
# this many distinct values, as an ordinal outcome such as the maturity stage has; above it the matrix path.
_MAX_LEVEL_SAMPLER = 64


# --------------------------------------------------------------------------------------------------- result
@dataclass(frozen=True, eq=False)
class NCAResult:
    """The outcome of :func:`nca` for one condition X and outcome Y.

    Attributes
    ----------
    effect_size : float
        ``d = ceiling_zone / scope_area`` in [0, 1].
    ceiling_zone : float
        Area of the empty zone between the ceiling and the scope's empty corner.
    scope_area : float
        Area of the scope rectangle.
    scope : tuple
        ``(x_min, x_max, y_min, y_max)`` of the scope actually used (empirical, or widened theoretical).
    accuracy : float
        Share of observations on or below the ceiling (1.0 for CE-FDH).
    peers : numpy.ndarray
        ``(k, 2)`` array of the CE-FDH peers ``(x, y)`` in original units, duplicates included, ordered along
        the ceiling from the corner where X is not needed.  The CR-FDH line is fitted through these points.
    p_value : float or None
        Permutation p-value, ``None`` without permutations.
    permutations : int
        Number of permutations drawn (0 for none).
    ceiling : str
        ``"ce_fdh"`` or ``"cr_fdh"``.
    corner : int
        1-4, see the module docstring.
    n : int
        Number of complete (x, y) pairs analysed.
    n_dropped : int
        Number of pairs dropped because x or y was missing.
    slope, intercept : float or None
        The CR-FDH line ``y = intercept + slope * x`` in original units (``None`` for CE-FDH, or when there
        are fewer than two distinct peers).
    seed : int or None
        The seed of the permutation test, when an integer was given.
    permutation_effect_sizes : numpy.ndarray or None
        The effect sizes of the permuted data sets (the null distribution), in drawing order.
    """

    effect_size: float
    ceiling_zone: float
    scope_area: float
    scope: tuple[float, float, float, float]
    accuracy: float
    peers: np.ndarray
    p_value: float | None
    permutations: int
    ceiling: str
    corner: int
    n: int
    n_dropped: int = 0
    slope: float | None = None
    intercept: float | None = None
    seed: int | None = None
    permutation_effect_sizes: np.ndarray | None = field(default=None, repr=False)

    # -- helpers in mirrored ("corner 1") coordinates -------------------------------------------------------
    @property
    def _signs(self) -> tuple[float, float]:
        fx, fy = CORNERS[self.corner]
        return (-1.0 if fx else 1.0), (-1.0 if fy else 1.0)

    def _box(self) -> tuple[float, float, float, float]:
        sx, sy = self._signs
        x0, x1, y0, y1 = self.scope
        bx = (x0, x1) if sx > 0 else (-x1, -x0)
        by = (y0, y1) if sy > 0 else (-y1, -y0)
        return bx[0], bx[1], by[0], by[1]

    def _steps(self) -> tuple[np.ndarray, np.ndarray]:
        """Distinct peers in mirrored coordinates: strictly increasing x' and y'."""
        sx, sy = self._signs
        px = sx * self.peers[:, 0]
        py = sy * self.peers[:, 1]
        keep = np.r_[True, (px[1:] != px[:-1]) | (py[1:] != py[:-1])]
        return px[keep], py[keep]

    def _line(self) -> tuple[float, float] | None:
        """CR-FDH line (intercept, slope) in mirrored coordinates, or None."""
        if self.ceiling != "cr_fdh" or self.slope is None or self.intercept is None:
            return None
        sx, sy = self._signs
        return sy * self.intercept, sx * sy * self.slope

    # -- public API -----------------------------------------------------------------------------------------
    @property
    def effect_size_label(self) -> str:
        """Dul's (2016) verbal benchmark for :attr:`effect_size`."""
        return effect_size_label(self.effect_size)

    def ceiling_y(self, x: Any) -> Any:
        """The ceiling's Y value at ``x`` (scalar or array); NaN outside the scope's X range.

        CE-FDH: the step function through the peers (the scope's lower Y bound left of the first peer, which
        only happens with a theoretical scope).  CR-FDH: the regression line clipped to the scope's Y range
        (with fewer than two distinct peers, the CE-FDH step).  For corners 2-4 "lower/upper" are mirrored.
        """
        scalar = np.ndim(x) == 0
        xq = np.asarray(x, dtype=float)
        sx, sy = self._signs
        X0, X1, Y0, Y1 = self._box()
        xm = sx * xq
        line = self._line()
        if line is not None:
            a, b = line
            cm = np.clip(a + b * xm, Y0, Y1)
        else:
            px, py = self._steps()
            idx = np.searchsorted(px, xm + _EPS, side="right") - 1
            cm = np.where(idx >= 0, py[np.clip(idx, 0, None)], Y0)
        out = np.where((xm >= X0 - _EPS) & (xm <= X1 + _EPS), sy * cm, np.nan)
        return float(out) if scalar else out

    def required_x(self, y: Any) -> Any:
        """The bottleneck: the X level the ceiling requires for outcome level ``y`` (scalar or array).

        For corner 1 the minimum X needed to reach ``y`` (for corners 2/4 the maximum X allowed; for corners
        3/4 ``y`` is read as "an outcome this low").  ``NaN`` means "NN", not necessary: ``y`` is at or below
        the level the ceiling allows anywhere in the scope.  ``+inf`` (``-inf`` for corners 2 and 4) means
        "NA": ``y`` is above every observed outcome (CE-FDH) or the line reaches ``y`` only beyond the scope
        (CR-FDH).
        """
        scalar = np.ndim(y) == 0
        yq = np.asarray(y, dtype=float)
        sx, sy = self._signs
        X0, X1, Y0, Y1 = self._box()
        ym = sy * yq
        line = self._line()
        if line is not None:
            a, b = line
            xm = (ym - a) / b
            beyond = (xm > X1 + _EPS) | (ym > Y1 + _EPS)
        elif self.ceiling == "cr_fdh":
            # No line (a single distinct peer): as the R package, nothing is necessary.
            xm = np.full_like(ym, -np.inf)
            beyond = np.zeros(ym.shape, dtype=bool)
        else:
            px, py = self._steps()
            idx = np.searchsorted(py, ym - _EPS, side="left")
            beyond = idx >= len(py)
            xm = np.where(beyond, np.inf, px[np.clip(idx, 0, len(px) - 1)])
        not_needed = (xm < X0 + _EPS) & ~beyond
        out = np.where(beyond, sx * np.inf, np.where(not_needed, np.nan, sx * xm))
        out = np.where(np.isnan(yq), np.nan, out)
        return float(out) if scalar else out

    def as_dict(self) -> dict[str, Any]:
        """A JSON-serialisable summary (plain floats, ints, strings, lists, None; no null distribution)."""

        def f(v: float | None) -> float | None:
            return None if v is None else float(v)

        return {
            "ceiling": self.ceiling,
            "corner": int(self.corner),
            "n": int(self.n),
            "n_dropped": int(self.n_dropped),
            "scope": dict(zip(("x_min", "x_max", "y_min", "y_max"), (float(v) for v in self.scope))),
            "scope_area": float(self.scope_area),
            "ceiling_zone": float(self.ceiling_zone),
            "effect_size": float(self.effect_size),
            "effect_size_label": self.effect_size_label,
            "accuracy": float(self.accuracy),
            "slope": f(self.slope),
            "intercept": f(self.intercept),
            "peers": [[float(px), float(py)] for px, py in self.peers],
            "p_value": f(self.p_value),
            "permutations": int(self.permutations),
            "seed": None if self.seed is None else int(self.seed),
        }


# --------------------------------------------------------------------------------------------- small helpers
def effect_size_label(d: float) -> str:
    """Dul's (2016) benchmark for an NCA effect size: small (<0.1), medium (<0.3), large (<0.5), very large."""
    d = float(d)
    if math.isnan(d):
        raise ValueError("effect size is NaN")
    if d < 0.1:
        return "small"
    if d < 0.3:
        return "medium"
    if d < 0.5:
        return "large"
    return "very large"


def permutation_p_value(d_observed: float, d_permuted: Any) -> float:
    """``(#{d_perm >= d_obs} + 1) / (reps + 1)`` (Dul, van der Laan & Kuik 2020); ties within 1e-10 count."""
    perm = np.asarray(d_permuted, dtype=float).ravel()
    count = int(np.count_nonzero(perm >= float(d_observed) - _EPS))
    return (count + 1) / (perm.size + 1)


def _as_vector(values: Any, name: str) -> np.ndarray:
    try:
        if hasattr(values, "to_numpy"):
            arr = values.to_numpy(dtype=float, na_value=np.nan)
        else:
            arr = np.asarray(values, dtype=float)
    except (TypeError, ValueError) as exc:
        raise ValueError(f"{name} must be numeric: {exc}") from exc
    if arr.ndim != 1:
        raise ValueError(f"{name} must be one-dimensional, got shape {arr.shape}")
    return arr


def _check_choice(ceiling: str, corner: int) -> None:
    if ceiling not in CEILINGS:
        raise ValueError(f"unknown ceiling {ceiling!r}; choose one of {', '.join(CEILINGS)}")
    if isinstance(corner, bool) or corner not in CORNERS:
        raise ValueError(
            f"unknown corner {corner!r}; choose 1 (upper-left), 2 (upper-right), 3 (lower-left) or 4 (lower-right)"
        )


@dataclass(frozen=True)
class _Prepared:
    """Complete cases in mirrored coordinates, plus the X grouping shared by every permutation."""

    x: np.ndarray  # mirrored x, original (complete-case) order
    y: np.ndarray  # mirrored y, original order
    order: np.ndarray  # stable argsort of x
    xs: np.ndarray  # x[order]
    starts: np.ndarray  # index in xs where each distinct-x group starts
    group: np.ndarray  # group number of each sorted observation
    u: np.ndarray  # distinct x values, increasing
    box: tuple[float, float, float, float]  # mirrored scope (X0, X1, Y0, Y1)
    scope: tuple[float, float, float, float]  # scope in original units
    n_dropped: int


def _prepare(x: Any, y: Any, corner: int, scope: Sequence[float | None] | None) -> _Prepared:
    xa, ya = _as_vector(x, "x"), _as_vector(y, "y")
    if xa.shape != ya.shape:
        raise ValueError(f"x and y must have the same length, got {xa.size} and {ya.size}")
    keep = ~(np.isnan(xa) | np.isnan(ya))
    n_dropped = int(xa.size - keep.sum())
    xa, ya = xa[keep], ya[keep]
    if not (np.isfinite(xa).all() and np.isfinite(ya).all()):
        raise ValueError("x and y must be finite (infinite values found)")
    for name, arr in (("x", xa), ("y", ya)):
        distinct = np.unique(arr).size
        if distinct < 2:
            raise ValueError(
                f"NCA needs at least 2 distinct {name} values among the {xa.size} complete "
                f"(x, y) pairs, found {distinct} ({n_dropped} pairs dropped for missing values)"
            )
    emp = (float(xa.min()), float(xa.max()), float(ya.min()), float(ya.max()))
    if scope is None:
        theo = emp
    else:
        if len(scope) != 4:
            raise ValueError("scope must be (x_min, x_max, y_min, y_max)")
        given = [np.nan if v is None else float(v) for v in scope]
        xs_given = [v for v in given[:2] if not math.isnan(v)]
        ys_given = [v for v in given[2:] if not math.isnan(v)]
        theo = (min([emp[0], *xs_given]), max([emp[1], *xs_given]), min([emp[2], *ys_given]), max([emp[3], *ys_given]))
        if any(not math.isnan(g) and g != t for g, t in zip(given, theo)):
            warnings.warn("theoretical scope widened to include all observations", UserWarning, stacklevel=3)
    fx, fy = CORNERS[corner]
    xm = -xa if fx else xa
    ym = -ya if fy else ya
    bx = (-theo[1], -theo[0]) if fx else (theo[0], theo[1])
    by = (-theo[3], -theo[2]) if fy else (theo[2], theo[3])
    order = np.argsort(xm, kind="stable")
    xs = xm[order]
    new = np.r_[True, xs[1:] != xs[:-1]]
    starts = np.flatnonzero(new)
    return _Prepared(
        x=xm,
        y=ym,
        order=order,
        xs=xs,
        starts=starts,
        group=np.cumsum(new) - 1,
        u=xs[starts],
        box=(bx[0], bx[1], by[0], by[1]),
        scope=theo,
        n_dropped=n_dropped,
    )


# ------------------------------------------------------------------------------------------ vectorised core
def _ceiling_rows(prep: _Prepared, ys: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Per row of ``ys`` (y sorted by x, shape (r, n)): group maxima and the CE-FDH step (running maxima)."""
    # Without ties in x every observation is its own group and the group maxima are the values themselves.
    gmax = ys if prep.starts.size == ys.shape[1] else np.maximum.reduceat(ys, prep.starts, axis=1)
    return gmax, np.maximum.accumulate(gmax, axis=1)


def _ce_fdh_zone(prep: _Prepared, step: np.ndarray) -> np.ndarray:
    """Area of the scope above the step function ``step`` (values on the distinct x ``u``), per row."""
    X0, X1, Y0, Y1 = prep.box
    widths = np.diff(np.r_[prep.u, X1])
    # Row-wise sums (not a BLAS product) so a row's value does not depend on the chunk it was computed in.
    return (prep.u[0] - X0) * (Y1 - Y0) + ((Y1 - step) * widths).sum(axis=1)


def _peer_mask(prep: _Prepared, ys: np.ndarray, gmax: np.ndarray, step: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Boolean (r, n) mask of the peers (duplicates included) and the number of distinct peers per row."""
    prev = np.empty_like(step)
    prev[:, 0] = -np.inf
    prev[:, 1:] = step[:, :-1]
    record = gmax > prev  # the group's highest Y beats everything to its left
    mask = record[:, prep.group] & (ys == gmax[:, prep.group])
    return mask, record.sum(axis=1)


def _peer_lines(
    prep: _Prepared, ys: np.ndarray, mask: np.ndarray, distinct: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """OLS intercept and slope through each row's peers (NaN where fewer than two distinct peers)."""
    w = mask.astype(float)
    k = w.sum(axis=1)
    mx = (w * prep.xs).sum(axis=1) / k
    my = (w * ys).sum(axis=1) / k
    dx = prep.xs[None, :] - mx[:, None]
    sxx = (w * dx * dx).sum(axis=1)
    sxy = (w * dx * (ys - my[:, None])).sum(axis=1)
    with np.errstate(invalid="ignore", divide="ignore"):
        slope = np.where(distinct >= 2, sxy / sxx, np.nan)
    return my - slope * mx, slope


def _area_above_line(a: np.ndarray, b: np.ndarray, box: tuple[float, float, float, float]) -> np.ndarray:
    """Area of the box above the line ``y = a + b x`` clipped to the box, for slopes ``b > 0``.

    ``integral_{X0}^{X1} (Y1 - clip(a + b x, Y0, Y1)) dx``: the line is below Y0 left of ``xl`` and above
    Y1 right of ``xr``.
    """
    X0, X1, Y0, Y1 = box
    with np.errstate(invalid="ignore", divide="ignore"):
        xl = np.clip((Y0 - a) / b, X0, X1)
        xr = np.clip((Y1 - a) / b, X0, X1)
        under = Y0 * (xl - X0) + (xr - xl) * (a + b * 0.5 * (xl + xr)) + Y1 * (X1 - xr)
    return np.clip(Y1 * (X1 - X0) - under, 0.0, (X1 - X0) * (Y1 - Y0))


def _zones(prep: _Prepared, ceiling: str, ys: np.ndarray) -> np.ndarray:
    """Ceiling zone for each row of ``ys`` (y values sorted by x), vectorised over rows."""
    gmax, step = _ceiling_rows(prep, ys)
    if ceiling == "ce_fdh":
        return _ce_fdh_zone(prep, step)
    mask, distinct = _peer_mask(prep, ys, gmax, step)
    a, b = _peer_lines(prep, ys, mask, distinct)
    zone = _area_above_line(a, b, prep.box)
    return np.where(distinct >= 2, zone, 0.0)


# ------------------------------------------------------------------------------------------------ public API
def nca(
    x: Any,
    y: Any,
    ceiling: str = "ce_fdh",
    corner: int = 1,
    permutations: int = 0,
    seed: int | None = None,
    scope: Sequence[float | None] | None = None,
) -> NCAResult:
    """Necessary Condition Analysis of condition ``x`` for outcome ``y`` (Dul 2016; R package NCA).

    Parameters
    ----------
    x, y : array-like
        Condition and outcome, same length.  Pairs with a missing value in either are dropped (the count is
        ``n_dropped`` in the result).  At least two distinct values of each are required.
    ceiling : {"ce_fdh", "cr_fdh"}
        CE-FDH step function or CR-FDH regression line through the peers (see the module docstring).
    corner : {1, 2, 3, 4}
        The empty corner: 1 upper-left (high y needs high x), 2 upper-right (high y needs low x),
        3 lower-left, 4 lower-right.
    permutations : int
        Number of permutations for the significance test of Dul, van der Laan & Kuik (2020); 0 for none.
    seed : int or None
        Seed for ``numpy.random.default_rng``; pass one for reproducible p-values.
    scope : (x_min, x_max, y_min, y_max) or None
        Theoretical scope; ``None`` for the empirical scope.  Widened to include all observations.

    Returns
    -------
    NCAResult
    """
    _check_choice(ceiling, corner)
    if isinstance(permutations, bool) or int(permutations) != permutations or permutations < 0:
        raise ValueError(f"permutations must be a non-negative integer, got {permutations!r}")
    permutations = int(permutations)
    prep = _prepare(x, y, corner, scope)
    X0, X1, Y0, Y1 = prep.box
    area = (X1 - X0) * (Y1 - Y0)
    n = prep.x.size

    ys = prep.y[prep.order][None, :]
    gmax, step = _ceiling_rows(prep, ys)
    mask, distinct = _peer_mask(prep, ys, gmax, step)
    peer_idx = np.flatnonzero(mask[0])
    # Order peers as the R package does: by x, then y (mirrored coordinates).
    peer_idx = peer_idx[np.lexsort((ys[0, peer_idx], prep.xs[peer_idx]))]
    sx = -1.0 if CORNERS[corner][0] else 1.0
    sy = -1.0 if CORNERS[corner][1] else 1.0
    peers = np.column_stack([sx * prep.xs[peer_idx], sy * ys[0, peer_idx]])

    slope = intercept = None
    if ceiling == "ce_fdh":
        zone = float(_ce_fdh_zone(prep, step)[0])
        accuracy = 1.0
    else:
        a, b = _peer_lines(prep, ys, mask, distinct)
        if distinct[0] >= 2:
            zone = float(_area_above_line(a, b, prep.box)[0])
            above = int(np.count_nonzero(prep.y - (a[0] + b[0] * prep.x) > _ABOVE_TOL))
            accuracy = (n - above) / n
            slope, intercept = float(sx * sy * b[0]), float(sy * a[0])
        else:
            zone, accuracy = 0.0, 1.0
    d = zone / area

    p_value = None
    null = None
    if permutations > 0:
        null = _permutation_effects(prep, ceiling, permutations, seed) / area
        p_value = permutation_p_value(d, null)

    return NCAResult(
        effect_size=float(d),
        ceiling_zone=zone,
        scope_area=float(area),
        scope=prep.scope,
        accuracy=float(accuracy),
        peers=peers,
        p_value=p_value,
        permutations=permutations,
        ceiling=ceiling,
        corner=int(corner),
        n=int(n),
        n_dropped=prep.n_dropped,
        slope=slope,
        intercept=intercept,
        seed=int(seed) if isinstance(seed, (int, np.integer)) and not isinstance(seed, bool) else None,
        permutation_effect_sizes=null,
    )


def _min_rank_cdf(slots: int, count: int) -> np.ndarray:
    """CDF of the smallest of ``count`` distinct positions drawn uniformly from ``0 .. slots - 1``.

    ``P(min >= k) = C(slots - k, count) / C(slots, count)``, built by the ratio of consecutive terms
    ``(slots - k - count) / (slots - k)`` so that no binomial coefficient is formed.
    """
    k = np.arange(slots - count + 1)
    ratios = (slots - k - count) / (slots - k)
    survival = np.r_[1.0, np.cumprod(ratios)[:-1]]  # P(min >= k) for k = 0 .. slots - count
    cdf = 1.0 - np.r_[survival[1:], 0.0]  # P(min <= k)
    cdf[-1] = 1.0
    return cdf


def _ce_fdh_zones_by_level(prep: _Prepared, reps: int, rng: np.random.Generator) -> np.ndarray:
    """CE-FDH ceiling zones of ``reps`` random re-pairings of y with x, drawn level by level.

    The zone only depends, for each distinct y level ``v``, on the first position (in x order) of an
    observation with ``y >= v``: the area above the step function is the sum over level bands
    ``(v_prev, v]`` of the band's height times ``x_first(>= v) - X0``.  Under the null every arrangement of
    the y multiset over the x positions is equally likely, so these first positions can be drawn directly,
    top level first: the smallest position of the ``c`` observations of a level among the ``N`` positions not
    taken by higher levels is the minimum of ``c`` distinct uniform positions of ``0 .. N - 1``; below the
    first position of the higher levels every position is free, so ``first(>= v) = min(first(> v), that
    minimum)`` exactly.  The draws have the same distribution as zones of ``rng.permutation(y)`` rows, at a
    cost of ``reps x levels`` instead of ``reps x n``.
    """
    X0, X1, Y0, Y1 = prep.box
    levels, counts = np.unique(prep.y, return_counts=True)
    n = prep.y.size
    uniforms = rng.random((reps, levels.size))
    first = np.full(reps, n, dtype=np.int64)  # no observation above the top level: "position n"
    above = 0
    zone = np.full(reps, (Y1 - levels[-1]) * (X1 - X0))  # the band above the highest observed level
    edges = np.r_[prep.xs, X1]  # x of a first position; position n stands for the scope's right edge
    for j in range(levels.size - 1, -1, -1):
        slots = n - above
        cdf = _min_rank_cdf(slots, int(counts[j]))
        smallest = np.searchsorted(cdf, uniforms[:, j], side="left")
        first = np.minimum(first, smallest)
        lower = levels[j - 1] if j > 0 else Y0
        zone += (levels[j] - lower) * (edges[first] - X0)
        above += int(counts[j])
    return zone


def _permutation_effects(prep: _Prepared, ceiling: str, reps: int, seed: Any) -> np.ndarray:
    """Ceiling zones of ``reps`` permutations of y relative to x, in chunks of whole rows.

    CE-FDH with an ordinal y (at most ``_MAX_LEVEL_SAMPLER`` distinct values) draws each permutation's zone
    level by level (:func:`_ce_fdh_zones_by_level`, same distribution, no permutation matrix).  Otherwise row
    ``r`` is ``rng.permutation(y)`` for the ``r``-th draw of ``default_rng(seed)`` (``Generator.permuted``
    along rows consumes the stream row by row), so chunking does not change the result.
    """
    rng = np.random.default_rng(seed)
    n = prep.y.size
    if ceiling == "ce_fdh" and np.unique(prep.y).size <= _MAX_LEVEL_SAMPLER:
        return _ce_fdh_zones_by_level(prep, reps, rng)
    chunk = max(1, _CHUNK_ELEMENTS // n)
    out = np.empty(reps)
    for start in range(0, reps, chunk):
        r = min(chunk, reps - start)
        perm = np.tile(prep.y, (r, 1))
        rng.permuted(perm, axis=1, out=perm)
        out[start : start + r] = _zones(prep, ceiling, perm[:, prep.order])
    return out


def bottleneck(
    x: Any,
    y: Any,
    y_levels: Sequence[float],
    ceiling: str = "ce_fdh",
    corner: int = 1,
    scope: Sequence[float | None] | None = None,
) -> pd.DataFrame:
    """Bottleneck table: the X level required by the ceiling for each outcome level in ``y_levels``.

    Columns: ``y_level``; ``required_x`` (see :meth:`NCAResult.required_x`: NaN = "NN" not necessary,
    +/-inf = "NA" beyond the observed data); ``required_x_percentile``, the percentage (0-100) of observations
    whose X is below the requirement (above it for corners 2 and 4), as the R package's
    ``bottleneck.x = "percentile"`` option (NaN for NN/NA rows); and ``status`` ("NN", "NA" or "required").
    """
    res = nca(x, y, ceiling=ceiling, corner=corner, scope=scope)
    levels = np.asarray(list(y_levels), dtype=float)
    req = np.atleast_1d(res.required_x(levels)).astype(float)
    sx = -1.0 if CORNERS[corner][0] else 1.0
    xa, ya = _as_vector(x, "x"), _as_vector(y, "y")
    xc = xa[~(np.isnan(xa) | np.isnan(ya))]
    status = np.where(np.isnan(req), "NN", np.where(np.isinf(req), "NA", "required"))
    with np.errstate(invalid="ignore"):
        below = (sx * xc[None, :]) < (sx * req[:, None] - _EPS)
    pct = np.where(status == "required", 100.0 * below.mean(axis=1), np.nan)
    return pd.DataFrame(
        {"y_level": levels, "required_x": req, "required_x_percentile": pct, "status": pd.array(status, dtype="string")}
    )
