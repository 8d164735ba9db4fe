"""Multiple-testing corrections: Holm (confirmatory family) and Benjamini-Hochberg (exploratory grids).

Both take p-values as a list/array (labels 0..m-1), a ``dict`` or a ``pandas.Series`` (labels kept) and return a
``DataFrame`` indexed by the labels with columns ``p_value``, ``p_adjusted`` and ``reject``.  Missing p-values
(NaN/None) are left out of the family: they do not count in m, get ``p_adjusted`` NaN and ``reject`` False.

* Holm (1979), step-down: order the m p-values p(1) <= ... <= p(m); reject H(1), ..., H(j) while
  p(j) <= alpha / (m - j + 1), stopping at the first failure.  Adjusted p(j) = max_{i<=j} min(1, (m - i + 1) p(i)).
* Benjamini & Hochberg (1995), step-up: find the largest j with p(j) <= j alpha / m and reject H(1), ..., H(j).
  Adjusted p(j) = min_{i>=j} min(1, m p(i) / i).  Controls the false discovery rate under independence or
  positive dependence.

Benjamini-Hochberg is ``statsmodels.stats.multitest.multipletests(method="fdr_bh")`` on the non-missing p-values.
Holm is the two lines above in numpy: statsmodels' Holm branch calls ``gc.collect()`` on every call, which cost
about 0.2 s per call in a full process and made Holm the slowest step of ``vsr simulate`` (the ledger adjusts
every route of every claim, so it runs dozens of times per simulated survey).  The tests check both against
``multipletests`` and R's ``p.adjust``.  This module keeps the labels, leaves missing values out of the family
and checks the input.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np
import pandas as pd
from statsmodels.stats.multitest import multipletests

__all__ = ["holm", "bh", "adjust"]


def _as_series(pvalues: Mapping | Sequence[float] | pd.Series | np.ndarray) -> pd.Series:
    if isinstance(pvalues, pd.Series):
        s = pvalues.astype(float)
    elif isinstance(pvalues, Mapping):
        s = pd.Series({k: (np.nan if v is None else v) for k, v in pvalues.items()}, dtype=float)
    else:
        s = pd.Series([np.nan if v is None else v for v in pvalues], dtype=float)
    vals = s.to_numpy()
    ok = ~np.isnan(vals)
    if np.any((vals[ok] < 0) | (vals[ok] > 1)):
        raise ValueError("p-values must lie in [0, 1]")
    return s


def _check_alpha(alpha: float) -> None:
    if not 0 < alpha < 1:
        raise ValueError("alpha must be in (0, 1)")


def _result(s: pd.Series, adj: np.ndarray, rej: np.ndarray) -> pd.DataFrame:
    return pd.DataFrame({"p_value": s.to_numpy(), "p_adjusted": adj, "reject": rej}, index=s.index)


def _holm_step_down(p: np.ndarray, alpha: float) -> tuple[np.ndarray, np.ndarray]:
    """Holm-adjusted p-values and rejections of the non-missing p-values ``p`` (any order)."""
    m = p.size
    order = np.argsort(p, kind="stable")
    stepped = np.maximum.accumulate(np.minimum(1.0, (m - np.arange(m)) * p[order]))
    adjusted = np.empty(m)
    adjusted[order] = stepped
    # rejections by the step-down comparison itself (p(j) <= alpha / (m - j + 1) until the first failure), so that
    # a p-value on a boundary is decided exactly as the definition says, not through a rounded product
    passes = np.cumprod(p[order] <= alpha / (m - np.arange(m))).astype(bool)
    reject = np.empty(m, dtype=bool)
    reject[order] = passes
    return reject, adjusted


def _adjusted(pvalues, alpha: float, method: str) -> pd.DataFrame:
    """``multipletests`` on the non-missing p-values; missing ones get NaN and ``reject`` False."""
    _check_alpha(alpha)
    s = _as_series(pvalues)
    vals = s.to_numpy()
    idx = np.flatnonzero(~np.isnan(vals))
    adj = np.full(vals.size, np.nan)
    rej = np.zeros(vals.size, dtype=bool)
    if idx.size:
        if method == "holm":
            reject, corrected = _holm_step_down(vals[idx], alpha)
        else:
            reject, corrected, _, _ = multipletests(vals[idx], alpha=alpha, method=method)
        adj[idx] = corrected
        rej[idx] = reject
    return _result(s, adj, rej)


def holm(pvalues, alpha: float = 0.05) -> pd.DataFrame:
    """Holm's step-down adjustment (family-wise error rate); see the module docstring."""
    return _adjusted(pvalues, alpha, "holm")


def bh(pvalues, alpha: float = 0.05) -> pd.DataFrame:
    """Benjamini-Hochberg step-up adjustment (false discovery rate); see the module docstring."""
    return _adjusted(pvalues, alpha, "fdr_bh")


def adjust(pvalues, method: str = "holm", alpha: float = 0.05) -> pd.DataFrame:
    """Dispatch on ``method``: ``"holm"`` or ``"bh"`` (alias ``"fdr_bh"``)."""
    if method == "holm":
        return holm(pvalues, alpha)
    if method in ("bh", "fdr_bh"):
        return bh(pvalues, alpha)
    raise ValueError(f"unknown method {method!r}; use 'holm' or 'bh'")
