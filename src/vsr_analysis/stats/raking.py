"""Non-response weights: raking respondents to the register frame's margins, and the design effect.

The register is known for every municipality of the frame (356 in 2020), so the respondents can be weighted to
reproduce the frame's counts on chosen margins, e.g. size band x centrality class (crossed) and recent merger::

    w = rake(frame, "responded", [("size_band", "centrality_class"), "merged_2017_2020"], trim=5.0)
    design_effect(w), effective_n(w)

Raking is iterative proportional fitting (Deming & Stephan 1940): cycle through the margins and scale the weights
of the respondents in each cell so that their weighted count equals the frame count of that cell, until every
margin is met to ``tol``.  The weights then sum to the frame size.

Empty cells: a margin cell that holds frame units but no respondent cannot be reproduced.  :func:`rake` raises a
``ValueError`` naming the cell; merge it with a neighbour first, e.g. with :func:`collapse_sparse`.
"""

from __future__ import annotations

import warnings
from collections.abc import Sequence
from typing import Any

import numpy as np
import pandas as pd

__all__ = ["RakingError", "rake", "collapse_sparse", "design_effect", "effective_n"]


class RakingError(ValueError):
    """Raking did not converge: the margins cannot all be met with the respondents' cells."""


def _margin_list(margins: Sequence[str | Sequence[str]]) -> list[tuple[str, ...]]:
    out = []
    for m in margins:
        out.append((m,) if isinstance(m, str) else tuple(m))
    if not out:
        raise ValueError("no margins given")
    return out


def _respondent_mask(frame: pd.DataFrame, respondent: str | Sequence[bool] | pd.Series) -> np.ndarray:
    if isinstance(respondent, str):
        if respondent not in frame.columns:
            raise KeyError(f"respondent column {respondent!r} not in frame")
        r = frame[respondent]
    elif isinstance(respondent, pd.Series):
        r = respondent.reindex(frame.index)
    else:
        r = pd.Series(np.asarray(respondent), index=frame.index)
    if r.isna().any():
        raise ValueError("respondent indicator has missing values")
    return np.array(r.astype(bool).to_numpy(), dtype=bool)


def _cell_ids(frame: pd.DataFrame, cols: tuple[str, ...]) -> tuple[np.ndarray, list[tuple[Any, ...]]]:
    missing = [c for c in cols if c not in frame.columns]
    if missing:
        raise KeyError(f"margin column(s) not in frame: {', '.join(missing)}")
    for c in cols:
        nmiss = int(frame[c].isna().sum())
        if nmiss:
            raise ValueError(f"margin column {c!r} has {nmiss} missing value(s) in the frame")
    grouped = frame.groupby(list(cols), sort=True, observed=True)
    ids = np.asarray(grouped.ngroup().to_numpy(), dtype=int)  # numbering follows the sorted group order
    labels = [k if isinstance(k, tuple) else (k,) for k in grouped.size().index]
    return ids, labels


def ipf(
    ids: list[np.ndarray], targets: list[np.ndarray], w0: np.ndarray, max_iter: int, tol: float
) -> tuple[np.ndarray, int, float]:
    w = w0.astype(float).copy()
    disc = np.inf
    for it in range(1, max_iter + 1):
        for cid, tgt in zip(ids, targets):
            cur = np.bincount(cid, weights=w, minlength=tgt.size)
            with np.errstate(divide="ignore", invalid="ignore"):
                ratio = np.where(cur > 0, tgt / cur, 1.0)
            w *= ratio[cid]
        disc = max(float(np.max(np.abs(np.bincount(c, weights=w, minlength=t.size) - t))) for c, t in zip(ids, targets))
        if disc < tol:
            return w, it, disc
    raise RakingError(
        f"raking did not converge in {max_iter} iterations (largest margin discrepancy {disc:.3g} units): the "
        "margins cannot all be met with the respondents' cells; collapse sparse categories or drop a margin"
    )


def rake(
    frame: pd.DataFrame,
    respondent: str | Sequence[bool] | pd.Series,
    margins: Sequence[str | Sequence[str]],
    *,
    base_weight: str | Sequence[float] | None = None,
    max_iter: int = 200,
    tol: float = 1e-10,
    trim: float | tuple[str, float] | None = None,
    max_trim_rounds: int = 50,
) -> pd.Series:
    """Raking weights that reproduce the full frame's counts on each margin.

    Parameters
    ----------
    frame : every unit of the population frame (respondents and non-respondents).
    respondent : name of a boolean column of ``frame``, or a boolean array/Series aligned with it.
    margins : list of column names (one-way margins) and/or tuples of column names (crossed margins), e.g.
        ``[("size_band", "centrality_class"), "merged_2017_2020"]``.  Targets are the frame's unit counts.
    base_weight : optional starting weights for respondents (column name or array aligned with ``frame``);
        default 1.
    max_iter, tol : IPF stops when every margin cell is within ``tol`` units of its frame count; otherwise
        :class:`RakingError` (a ``ValueError``) is raised.
    trim : ``None``; a number ``r >= 1`` (cap weights at ``r`` times the mean weight N/n, e.g. 5); or
        ``("ratio", r)`` or ``("quantile", q)`` (cap at the q-quantile of the untrimmed raked weights).  Capping
        and re-raking alternate until the weights respect the cap (within 0.1 %) after re-raking, so the margins
        stay exact; if ``max_trim_rounds`` is not enough a warning says so and the last raked weights are returned.

    Returns
    -------
    ``pandas.Series`` named ``"weight"`` aligned with ``frame.index``: the weight of each respondent and **NaN for
    non-respondents** (so that they cannot silently enter a weighted sum).  The respondents' weights sum to
    ``len(frame)``.  ``.attrs`` holds ``iterations``, ``max_discrepancy``, ``trim_cap`` and ``trim_rounds``.

    Raises ``ValueError`` naming the margin and cell when a frame cell has no respondent (suggesting
    :func:`collapse_sparse`), and :class:`RakingError` when IPF cannot meet all margins.
    """
    mlist = _margin_list(margins)
    resp = _respondent_mask(frame, respondent)
    if not resp.any():
        raise ValueError("no respondents")
    ids, targets = [], []
    for cols in mlist:
        cid_all, labels = _cell_ids(frame, cols)
        target = np.bincount(cid_all, minlength=len(labels)).astype(float)
        cid = cid_all[resp]
        have = np.bincount(cid, minlength=len(labels))
        empty = np.flatnonzero((have == 0) & (target > 0))
        if empty.size:
            cells = "; ".join(
                ", ".join(f"{c}={v!r}" for c, v in zip(cols, labels[i])) + f" ({int(target[i])} in frame)"
                for i in empty
            )
            raise ValueError(
                f"margin {' x '.join(cols)}: no respondent in cell(s) {cells}. Collapse the sparse categories "
                "(e.g. vsr_analysis.stats.raking.collapse_sparse) before raking."
            )
        ids.append(cid)
        targets.append(target)

    if base_weight is None:
        w0 = np.ones(int(resp.sum()))
    else:
        bw = (
            frame[base_weight]
            if isinstance(base_weight, str)
            else pd.Series(np.asarray(base_weight), index=frame.index)
        )
        w0 = pd.to_numeric(bw).astype(float).to_numpy()[resp]
        if np.any(~np.isfinite(w0)) or np.any(w0 <= 0):
            raise ValueError("base weights must be positive and finite for every respondent")

    w, iters, disc = ipf(ids, targets, w0, max_iter, tol)
    cap = None
    rounds = 0
    if trim is not None:
        kind, val = ("ratio", float(trim)) if not isinstance(trim, tuple) else (trim[0], float(trim[1]))
        if kind == "ratio":
            if val < 1:
                raise ValueError("trim ratio must be >= 1 (a multiple of the mean weight)")
            cap = float(val * len(frame) / resp.sum())
        elif kind == "quantile":
            if not 0 < val < 1:
                raise ValueError("trim quantile must be in (0, 1)")
            cap = float(np.quantile(w, val))
        else:
            raise ValueError("trim must be a number, ('ratio', r) or ('quantile', q)")
        while w.max() > cap * 1.001 and rounds < max_trim_rounds:
            rounds += 1
            w, it2, disc = ipf(ids, targets, np.minimum(w, cap), max_iter, tol)
            iters += it2
        if w.max() > cap * 1.001:
            warnings.warn(
                f"trimming: after {rounds} rounds the largest weight {w.max():.3g} still exceeds the cap {cap:.3g}; "
                "the margins are exact but the cap is not met",
                UserWarning,
                stacklevel=2,
            )
    out = pd.Series(np.nan, index=frame.index, name="weight", dtype=float)
    out[resp] = w
    out.attrs = {"iterations": iters, "max_discrepancy": disc, "trim_cap": cap, "trim_rounds": rounds}
    return out


def collapse_sparse(
    frame: pd.DataFrame,
    column: str,
    min_count: int,
    *,
    respondent: str | Sequence[bool] | pd.Series | None = None,
    within: str | None = None,
    order: Sequence[Any] | None = None,
) -> pd.Series:
    """Merge categories of ``column`` holding fewer than ``min_count`` units with an adjacent category.

    Counts are of respondents when ``respondent`` is given (the usual cause of an empty raking cell), else of all
    rows.  Categories are taken in ``order`` (default: sorted), i.e. treated as ordered; the sparsest category is
    merged with the smaller of its neighbours (ties: the lower one), and this repeats until every category
    reaches ``min_count`` or one is left.  With ``within=`` the collapsing is done separately inside each level of
    that column, which is what a crossed margin ``(within, column)`` needs.

    Returns a string Series aligned with ``frame`` whose labels join the merged categories with ``"+"``
    (``"1+2"``); rows with a missing ``column`` stay missing.
    """
    if column not in frame.columns:
        raise KeyError(f"column {column!r} not in frame")
    mask = np.ones(len(frame), bool) if respondent is None else _respondent_mask(frame, respondent)
    groups = [(None, np.ones(len(frame), dtype=bool))]
    if within is not None:
        groups = [(g, np.array((frame[within] == g).to_numpy(), dtype=bool)) for g in frame[within].dropna().unique()]
    vals = frame[column]
    out = pd.Series(pd.NA, index=frame.index, dtype="string")
    for _, gmask in groups:
        sub = vals[gmask]
        levels = list(order) if order is not None else sorted(sub.dropna().unique().tolist())
        levels = [lv for lv in levels if (sub == lv).any()]
        blocks = [[lv] for lv in levels]

        def count(block: list[Any]) -> int:
            return int(((sub.isin(block)).to_numpy() & mask[gmask]).sum())  # noqa: B023

        while len(blocks) > 1:
            counts = [count(b) for b in blocks]
            i = int(np.argmin(counts))
            if counts[i] >= min_count:
                break
            if i == 0:
                j = 1
            elif i == len(blocks) - 1:
                j = i - 1
            else:
                j = i - 1 if counts[i - 1] <= counts[i + 1] else i + 1
            lo, hi = min(i, j), max(i, j)
            blocks[lo : hi + 1] = [blocks[lo] + blocks[hi]]
        for b in blocks:
            label = "+".join(str(x) for x in b)
            sel = gmask & np.array(vals.isin(b).to_numpy(), dtype=bool)
            out[sel] = label
    return out


def _clean_weights(w: Sequence[float] | pd.Series) -> np.ndarray:
    arr = np.asarray(pd.Series(w, dtype=float).to_numpy() if not isinstance(w, np.ndarray) else w, dtype=float)
    arr = arr[np.isfinite(arr)]
    if np.any(arr < 0):
        raise ValueError("weights must be non-negative")
    return arr


def effective_n(w: Sequence[float] | pd.Series) -> float:
    """Kish's effective sample size (sum w)^2 / sum w^2 (NaN weights, i.e. non-respondents, ignored)."""
    arr = _clean_weights(w)
    s2 = float(np.sum(arr**2))
    return float(np.sum(arr) ** 2 / s2) if s2 > 0 else float("nan")


def design_effect(w: Sequence[float] | pd.Series) -> float:
    """Kish's design effect due to unequal weights, 1 + CV^2 = n sum w^2 / (sum w)^2 (CV with divisor n).

    Counts only units with a positive weight; NaN weights are ignored."""
    arr = _clean_weights(w)
    arr = arr[arr > 0]
    return float(arr.size / effective_n(arr)) if arr.size else float("nan")


def rake_collapsing_empty(
    frame: pd.DataFrame,
    respondent: str | Sequence[bool] | pd.Series,
    margins: Sequence[str],
    *,
    orders: dict[str, Sequence[Any]] | None = None,
    **kwargs: Any,
) -> tuple[pd.Series, list[str], pd.DataFrame]:
    """:func:`rake`, but a one-way margin with a frame cell no respondent falls into is collapsed first.

    Each such margin is replaced by :func:`collapse_sparse` (``min_count=1``, categories in ``orders[margin]``
    or sorted), so the empty cell is merged with its smaller neighbour; a margin left with one category drops
    out.  Returns the weights, the margin names actually used (``"<margin>_collapsed"`` where collapsed) and a
    frame of the collapsed columns (empty when nothing was collapsed).
    """
    resp = _respondent_mask(frame, respondent)
    used, extra = [], {}
    for m in margins:
        have = frame.loc[resp, m].value_counts()
        empty = [v for v in frame[m].dropna().unique() if have.get(v, 0) == 0]
        if not empty:
            used.append(m)
            continue
        col = collapse_sparse(frame, m, 1, respondent=resp, order=(orders or {}).get(m))
        if col.nunique() > 1:
            extra[f"{m}_collapsed"] = col
            used.append(f"{m}_collapsed")
    work = frame.assign(**extra) if extra else frame
    if not used:
        w = pd.Series(np.nan, index=frame.index, name="weight", dtype=float)
        w[resp] = len(frame) / resp.sum()
        return w, used, pd.DataFrame(extra, index=frame.index)
    return rake(work, resp, used, **kwargs), used, pd.DataFrame(extra, index=frame.index)
