"""Weighted shares with a one-sided test against a pre-specified level (F2, F6, F7, F8)."""

from __future__ import annotations

import math

import numpy as np
from scipy.stats import norm

from vsr_analysis.stats.intervals import weighted_share


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
