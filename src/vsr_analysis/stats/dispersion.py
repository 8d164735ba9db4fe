"""Describing an ordinal distribution (e.g. ``maturity_stage`` 0-5): shares with CIs and dispersion measures.

Dispersion measures (both 0 = every unit in one category, "consensus"; 1 = half in each extreme category,
"polarisation"), computed from the cumulative shares F_1, ..., F_{K-1} over the K ordered *possible* levels
(pass ``levels`` so that empty categories count; by default only the observed values are used):

* **Leik's D** (Leik 1966, *Pacific Sociological Review* 9(2):85-90):
  D = 2 / (K - 1) * sum_k min(F_k, 1 - F_k).  Matches ``agrmt::Leik`` in R (its example gives 0.287).
* **Blair-Lacy l^2 dispersion** (Blair & Lacy 2000, *Sociological Methods & Research* 28(3):251-280):
  1 - l^2 with l^2 = sum_k (F_k - 1/2)^2 / ((K - 1) / 4) the normed concentration; equivalently
  4 / (K - 1) * sum_k F_k (1 - F_k), which is Berry & Mielke's IOV.  ``blair_lacy(..., measure="l")`` gives
  the non-squared version 1 - l with l = sqrt(sum (F_k - 1/2)^2) / sqrt((K - 1)/4).

Weighted versions use weighted shares.  :func:`dispersion_ci` adds a percentile bootstrap interval (rows
resampled with their weights; the weights are not re-estimated in each replicate).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
import pandas as pd

from vsr_analysis.stats.intervals import BootstrapResult, bootstrap_ci
from vsr_analysis.stats.shares import weighted_share

__all__ = [
    "frequencies",
    "leik_d",
    "blair_lacy",
    "leik_d_from_shares",
    "blair_lacy_from_shares",
    "weighted_distribution",
    "dispersion_ci",
]


def _codes(y, w, levels) -> tuple[np.ndarray, np.ndarray, list[Any]]:
    ys = pd.Series(y).reset_index(drop=True)
    ws = pd.Series(np.ones(len(ys)) if w is None else np.asarray(w, float)).reset_index(drop=True)
    if len(ws) != len(ys):
        raise ValueError("y and w differ in length")
    ok = ys.notna().to_numpy() & np.isfinite(ws.to_numpy()) & (ws.to_numpy() > 0)
    ys, ws = ys[ok], ws[ok]
    if levels is None:
        levels = sorted(ys.unique().tolist())
    levels = list(levels)
    lookup = {lv: i for i, lv in enumerate(levels)}
    try:
        codes = np.array([lookup[v] for v in ys.tolist()], dtype=int)
    except KeyError as exc:
        raise ValueError(f"value {exc.args[0]!r} is not among the levels {levels}") from None
    return codes, ws.to_numpy(float), levels


def frequencies(y, w=None, levels: Sequence[Any] | None = None) -> pd.Series:
    """(Weighted) count per level, indexed by ``levels`` (missing y or weights dropped)."""
    codes, wa, levels = _codes(y, w, levels)
    return pd.Series(np.bincount(codes, weights=wa, minlength=len(levels)), index=levels, name="frequency")


def _cum(shares: np.ndarray) -> np.ndarray:
    s = np.asarray(shares, float)
    tot = s.sum(axis=-1, keepdims=True)
    F = np.cumsum(s / tot, axis=-1)
    return F[..., :-1]


def leik_d_from_shares(freq) -> np.ndarray | float:
    """Leik's D from a frequency (or share) vector over K ordered levels; last axis = levels (vectorised)."""
    f = np.asarray(freq, float)
    K = f.shape[-1]
    if K < 2:
        return 0.0 if f.ndim == 1 else np.zeros(f.shape[:-1])
    F = _cum(f)
    d = 2.0 / (K - 1) * np.sum(np.minimum(F, 1 - F), axis=-1)
    return float(d) if np.ndim(d) == 0 else d


def blair_lacy_from_shares(freq, measure: str = "l2") -> np.ndarray | float:
    """Blair-Lacy dispersion from a frequency vector: ``"l2"`` -> 1 - l^2 (= IOV), ``"l"`` -> 1 - l."""
    f = np.asarray(freq, float)
    K = f.shape[-1]
    if K < 2:
        return 0.0 if f.ndim == 1 else np.zeros(f.shape[:-1])
    F = _cum(f)
    ss = np.sum((F - 0.5) ** 2, axis=-1) / ((K - 1) / 4.0)
    if measure == "l2":
        d = 1.0 - ss
    elif measure == "l":
        d = 1.0 - np.sqrt(ss)
    else:
        raise ValueError("measure must be 'l2' or 'l'")
    return float(d) if np.ndim(d) == 0 else d


def leik_d(y, w=None, levels: Sequence[Any] | None = None) -> float:
    """Leik's ordinal dispersion D of the values ``y`` (optionally weighted by ``w``) over ``levels``."""
    return leik_d_from_shares(frequencies(y, w, levels).to_numpy())


def blair_lacy(y, w=None, levels: Sequence[Any] | None = None, measure: str = "l2") -> float:
    """Blair-Lacy ordinal dispersion (1 - l^2 by default) of ``y`` (optionally weighted) over ``levels``."""
    return blair_lacy_from_shares(frequencies(y, w, levels).to_numpy(), measure)


def weighted_distribution(
    y, w=None, levels: Sequence[Any] | None = None, level: float = 0.95, *, population_size: int | None = None
) -> pd.DataFrame:
    """Share of each level with a Wilson interval at Kish's effective n (see ``shares.weighted_share``).

    Columns: level, n (unweighted count), weighted_count, share, ci_low, ci_high, cum_share (share at or below
    the level), share_at_or_above.  ``population_size`` applies the finite-population correction.
    """
    codes, wa, levels = _codes(y, w, levels)
    rows = []
    wsum = wa.sum()
    for i, lv in enumerate(levels):
        ind = (codes == i).astype(float)
        ws = weighted_share(ind, wa, level, population_size=population_size)
        rows.append(
            {
                "level": lv,
                "n": int(ind.sum()),
                "weighted_count": float(wa @ ind),
                "share": ws.estimate,
                "ci_low": ws.low,
                "ci_high": ws.high,
            }
        )
    out = pd.DataFrame(rows)
    shares = out["weighted_count"].to_numpy() / wsum if wsum > 0 else np.full(len(levels), np.nan)
    out["cum_share"] = np.cumsum(shares)
    out["share_at_or_above"] = np.cumsum(shares[::-1])[::-1]
    return out


def dispersion_ci(
    y,
    w=None,
    levels: Sequence[Any] | None = None,
    *,
    measure: str = "leik",
    reps: int = 2000,
    seed: int | None = 0,
    level: float = 0.95,
) -> BootstrapResult:
    """Percentile bootstrap interval for a dispersion measure (``"leik"``, ``"l2"`` or ``"l"``), vectorised."""
    codes, wa, levels = _codes(y, w, levels)
    K = len(levels)

    def fn(c, ww):
        c2 = np.atleast_2d(c).astype(int)
        w2 = np.atleast_2d(ww)
        m = c2.shape[0]
        flat = (c2 + K * np.arange(m)[:, None]).ravel()
        freq = np.bincount(flat, weights=w2.ravel(), minlength=m * K).reshape(m, K)
        vals = leik_d_from_shares(freq) if measure == "leik" else blair_lacy_from_shares(freq, measure)
        return np.asarray(vals).reshape(-1) if np.ndim(c) == 2 else float(np.asarray(vals).reshape(-1)[0])

    if measure not in ("leik", "l2", "l"):
        raise ValueError("measure must be 'leik', 'l2' or 'l'")
    return bootstrap_ci(fn, [codes.astype(float), wa], reps=reps, seed=seed, level=level, vectorized=True)
