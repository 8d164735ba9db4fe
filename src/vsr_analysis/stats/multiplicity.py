"""Multiple-testing corrections: Holm (confirmatory family) and Benjamini-Hochberg (exploratory grids).

Both take p-values as a list/array (labels 0..m-1), a ``dict`` or a ``pandas.Series`` (labels kept) and return a
``DataFrame`` indexed by the labels with columns ``p_value``, ``p_adjusted`` and ``reject``.  Missing p-values
(NaN/None) are left out of the family: they do not count in m, get ``p_adjusted`` NaN and ``reject`` False.

* Holm (1979), step-down: order the m p-values p(1) <= ... <= p(m); reject H(1), ..., H(j) while
  p(j) <= alpha / (m - j + 1), stopping at the first failure.  Adjusted p(j) = max_{i<=j} min(1, (m - i + 1) p(i)).
* Benjamini & Hochberg (1995), step-up: find the largest j with p(j) <= j alpha / m and reject H(1), ..., H(j).
  Adjusted p(j) = min_{i>=j} min(1, m p(i) / i).  Controls the false discovery rate under independence or
  positive dependence.

The rejections come from the step rules themselves, and agree with ``p_adjusted <= alpha``.  Both agree with
``statsmodels.stats.multitest.multipletests(method="holm" / "fdr_bh")`` (tested).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np
import pandas as pd

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


def _family(pvalues, alpha: float):
    """The labelled p-values, the order of the non-missing ones (ascending, stable) and empty result arrays."""
    _check_alpha(alpha)
    s = _as_series(pvalues)
    vals = s.to_numpy()
    idx = np.flatnonzero(~np.isnan(vals))
    order = idx[np.argsort(vals[idx], kind="mergesort")]
    return s, vals[order], order, np.full(vals.size, np.nan), np.zeros(vals.size, dtype=bool)


def holm(pvalues, alpha: float = 0.05) -> pd.DataFrame:
    """Holm's step-down adjustment (family-wise error rate); see the module docstring."""
    s, p_sorted, order, adj, rej = _family(pvalues, alpha)
    m = order.size
    if m == 0:
        return _result(s, adj, rej)
    mult = m - np.arange(m)  # m, m-1, ..., 1
    adj_sorted = np.minimum(1.0, np.maximum.accumulate(mult * p_sorted))
    passed = p_sorted <= alpha / mult
    n_rej = m if passed.all() else int(np.argmin(passed))  # first failure stops the procedure
    adj[order] = adj_sorted
    rej[order[:n_rej]] = True
    return _result(s, adj, rej)


def bh(pvalues, alpha: float = 0.05) -> pd.DataFrame:
    """Benjamini-Hochberg step-up adjustment (false discovery rate); see the module docstring."""
    s, p_sorted, order, adj, rej = _family(pvalues, alpha)
    m = order.size
    if m == 0:
        return _result(s, adj, rej)
    rank = np.arange(1, m + 1)
    adj_sorted = np.minimum(1.0, np.minimum.accumulate((m * p_sorted / rank)[::-1])[::-1])
    passed = np.flatnonzero(p_sorted <= rank * alpha / m)
    n_rej = int(passed[-1]) + 1 if passed.size else 0  # the largest j passing, and all below it
    adj[order] = adj_sorted
    rej[order[:n_rej]] = True
    return _result(s, adj, rej)


def adjust(pvalues, method: str = "holm", alpha: float = 0.05) -> pd.DataFrame:
    """Dispatch on ``method``: ``"holm"`` or ``"bh"`` (alias ``"fdr_bh"``)."""
    if method == "holm":
        return holm(pvalues, alpha)
    if method in ("bh", "fdr_bh"):
        return bh(pvalues, alpha)
    raise ValueError(f"unknown method {method!r}; use 'holm' or 'bh'")
