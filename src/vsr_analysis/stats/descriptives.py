"""Descriptive building blocks for the claim chapters: shares by group, group comparisons,
agreement of two codings, the Guttman structure of the maturity ladder, and the item-based maturity score.

Every function takes plain columns of the analysis frame (``vsr_analysis.data.analysis_frame``) and returns a tidy
``DataFrame`` or a ``dict`` of plain numbers, so that notebooks stay thin and the logic is tested here.

(Shares by group with their intervals: :func:`vsr_analysis.stats.shares.share_by_group`.)
* :func:`compare_shares` - two groups' shares of a 0/1 item: a two-proportion z-test at the groups' effective
  sample sizes (weighted), or Fisher's exact test on the unweighted counts (small groups, e.g. 11 counties).
* :func:`agreement` - two 0/1 codings of the same units (e.g. a register list against self-report): the
  cross-table, the share agreeing and Cohen's kappa.
* :func:`guttman_scale` - is a set of 0/1 items cumulative (Guttman 1950)?  Coefficient of reproducibility
  with Goodenough-Edwards error counting, minimal marginal reproducibility and the coefficient of scalability
  (Menzel 1953).
* :func:`ladder_consistency` - does each unit hold the component items its self-classified stage implies?
* :func:`item_score` - the item-based maturity score (number of component items present).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np
import pandas as pd
from scipy import stats

from vsr_analysis.data.codebook import ladder_components

__all__ = [
    "as_float",
    "compare_shares",
    "agreement",
    "guttman_scale",
    "ladder_consistency",
    "item_score",
    "implied_item_count",
    "stages_with_min_share",
    "interval_errors",
    "LADDER_COMPONENTS",
    "COMPONENT_ITEMS",
]

#: The lowest stage whose description implies each of the five component items (from the codebook's
#: ``implied_from_stage``): the planning strategy (stage 2 "decided"), the master plan (stage 3 "in plans"),
#: budget and management (stage 4 "operationalised"), indicators (stage 5 "measuring and reporting").
LADDER_COMPONENTS: dict[str, int] = ladder_components()
#: The five component items in the order of the maturity ladder.
COMPONENT_ITEMS: tuple[str, ...] = tuple(LADDER_COMPONENTS)


def as_float(values) -> np.ndarray:
    """A column (nullable integer, boolean, float, list) as a float array with NaN for missing values."""
    s = pd.Series(values)
    if pd.api.types.is_bool_dtype(s.dtype):
        s = s.astype("Float64")
    return pd.to_numeric(s, errors="coerce").astype("Float64").to_numpy(dtype=float, na_value=np.nan)


def compare_shares(x1, x2, w1=None, w2=None, *, method: str = "z") -> dict:
    """Compare the share of 0/1 values in two independent groups (difference = group 1 - group 2).

    ``method="z"``: two-proportion z-test with the pooled share under H0, each group's (weighted) share and
    Kish effective n (``n_eff = (sum w)^2 / sum w^2``; equal to n without weights).  ``method="fisher"``:
    Fisher's exact test (two-sided) on the unweighted 2x2 counts; the reported shares are still the weighted
    ones.  Missing values are dropped.  Returns share_1, share_2, difference, n_1, n_2, yes_1, yes_2,
    statistic (z or the sample odds ratio) and a two-sided p_value (NaN when a group is empty or, for the
    z-test, when both groups are all 0 or all 1).
    """

    def clean(x, w):
        x = as_float(x)
        w = np.ones_like(x) if w is None else as_float(w)
        ok = np.isfinite(x) & np.isfinite(w) & (w > 0)
        return x[ok], w[ok]

    a, wa = clean(x1, w1)
    b, wb = clean(x2, w2)
    out = {
        "n_1": int(a.size),
        "n_2": int(b.size),
        "yes_1": int(a.sum()),
        "yes_2": int(b.sum()),
        "share_1": np.nan,
        "share_2": np.nan,
        "difference": np.nan,
        "statistic": np.nan,
        "p_value": np.nan,
        "method": "two-proportion z (effective n)" if method == "z" else "Fisher exact",
    }
    if a.size == 0 or b.size == 0:
        return out
    p1, p2 = float(wa @ a / wa.sum()), float(wb @ b / wb.sum())
    out.update(share_1=p1, share_2=p2, difference=p1 - p2)
    if method == "z":
        n1 = float(wa.sum() ** 2 / np.sum(wa**2))
        n2 = float(wb.sum() ** 2 / np.sum(wb**2))
        pooled = (p1 * n1 + p2 * n2) / (n1 + n2)
        se = np.sqrt(pooled * (1 - pooled) * (1 / n1 + 1 / n2))
        if se > 0:
            z = (p1 - p2) / se
            out.update(statistic=float(z), p_value=float(2 * stats.norm.sf(abs(z))))
    elif method == "fisher":
        table = [[out["yes_1"], out["n_1"] - out["yes_1"]], [out["yes_2"], out["n_2"] - out["yes_2"]]]
        res = stats.fisher_exact(table, alternative="two-sided")
        out.update(statistic=float(res.statistic), p_value=float(res.pvalue))
    else:
        raise ValueError("method must be 'z' or 'fisher'")
    return out


def agreement(a, b, labels: tuple[str, str] = ("a", "b")) -> dict:
    """Agreement of two 0/1 codings of the same units (pairs with a missing value are dropped).

    Returns ``table`` (2x2 counts, rows = ``labels[0]`` 0/1, columns = ``labels[1]`` 0/1), ``n``,
    ``agreement`` (share of units coded alike), ``kappa`` (Cohen 1960; NaN when chance agreement is 1),
    ``only_a`` and ``only_b`` (units coded 1 by one coding only).
    """
    x, y = as_float(a), as_float(b)
    if x.shape != y.shape:
        raise ValueError("the two codings differ in length")
    ok = np.isfinite(x) & np.isfinite(y)
    x, y = x[ok].astype(int), y[ok].astype(int)
    if np.any(~np.isin(x, [0, 1])) or np.any(~np.isin(y, [0, 1])):
        raise ValueError("codings must be 0/1")
    counts = np.array([[np.sum((x == i) & (y == j)) for j in (0, 1)] for i in (0, 1)])
    table = pd.DataFrame(counts, index=pd.Index([0, 1], name=labels[0]), columns=pd.Index([0, 1], name=labels[1]))
    n = int(counts.sum())
    if n == 0:
        return {"table": table, "n": 0, "agreement": np.nan, "kappa": np.nan, "only_a": 0, "only_b": 0}
    po = float(np.trace(counts) / n)
    pe = float((counts.sum(axis=1) @ counts.sum(axis=0)) / n**2)
    kappa = (po - pe) / (1 - pe) if pe < 1 else np.nan
    return {
        "table": table,
        "n": n,
        "agreement": po,
        "kappa": float(kappa),
        "only_a": int(counts[1, 0]),
        "only_b": int(counts[0, 1]),
    }


def guttman_scale(items: pd.DataFrame, order: Sequence[str] | None = None) -> dict:
    """Guttman scalogram statistics for 0/1 ``items`` (rows with any missing item are dropped).

    Items are ordered from the most to the least often present (``order`` overrides, e.g. the ladder's
    theoretical order).  A unit with total score s is *perfect* when it has exactly the first s items.
    Errors are counted as Goodenough-Edwards: the number of cells in which the observed pattern differs from
    the perfect pattern with the same score.

    Returns n, k, order, item_shares, errors, ``reproducibility`` (CR = 1 - errors / (n k); Guttman's
    benchmark 0.90), ``minimal_marginal_reproducibility`` (MMR = mean over items of max(p, 1 - p)),
    ``scalability`` (CS = (CR - MMR) / (1 - MMR); benchmark 0.60) and ``perfect_share`` (share of units with
    a perfect pattern).
    """
    cols = list(items.columns if order is None else order)
    mat = np.column_stack([as_float(items[c]) for c in cols]) if cols else np.zeros((len(items), 0))
    ok = np.all(np.isfinite(mat), axis=1)
    mat = mat[ok]
    if np.any(~np.isin(mat, [0.0, 1.0])):
        raise ValueError("items must be 0/1")
    n, k = mat.shape
    if n == 0 or k == 0:
        return {
            "n": int(n),
            "k": int(k),
            "order": cols,
            "item_shares": {},
            "errors": 0,
            "reproducibility": np.nan,
            "minimal_marginal_reproducibility": np.nan,
            "scalability": np.nan,
            "perfect_share": np.nan,
        }
    shares = mat.mean(axis=0)
    if order is None:
        idx = np.argsort(-shares, kind="mergesort")
        mat, shares, cols = mat[:, idx], shares[idx], [cols[i] for i in idx]
    score = mat.sum(axis=1).astype(int)
    ideal = (np.arange(k)[None, :] < score[:, None]).astype(float)
    err_per_unit = np.abs(mat - ideal).sum(axis=1)
    errors = int(err_per_unit.sum())
    cr = 1 - errors / (n * k)
    mmr = float(np.mean(np.maximum(shares, 1 - shares)))
    cs = (cr - mmr) / (1 - mmr) if mmr < 1 else np.nan
    return {
        "n": int(n),
        "k": int(k),
        "order": cols,
        "item_shares": dict(zip(cols, map(float, shares))),
        "errors": errors,
        "reproducibility": float(cr),
        "minimal_marginal_reproducibility": mmr,
        "scalability": float(cs),
        "perfect_share": float(np.mean(err_per_unit == 0)),
    }


def ladder_consistency(stage, items: pd.DataFrame, components: Mapping[str, int] | None = None) -> pd.DataFrame:
    """Per unit: does the self-classified ``stage`` agree with the component items?

    ``components`` maps each item to the lowest stage that implies it (default :data:`LADDER_COMPONENTS`).
    Columns: ``stage``, ``implied_present`` (every item the stage implies is 1), ``none_beyond`` (no item of
    a higher stage is 1) and ``consistent`` (both).  NaN where the stage or a needed item is missing.
    """
    components = dict(LADDER_COMPONENTS if components is None else components)
    st = as_float(stage)
    n = len(st)
    viol_imp, miss_imp = np.zeros(n, bool), np.zeros(n, bool)
    viol_bey, miss_bey = np.zeros(n, bool), np.zeros(n, bool)
    for c, lowest in components.items():
        v = as_float(items[c])
        need = st >= lowest  # the stage implies the item: it must be 1
        free = st < lowest  # the stage does not reach the item: it must be 0
        viol_imp |= need & (v == 0)
        miss_imp |= need & np.isnan(v)
        viol_bey |= free & (v == 1)
        miss_bey |= free & np.isnan(v)

    def verdict(viol, miss):
        out = np.where(viol, 0.0, np.where(miss, np.nan, 1.0))
        return np.where(np.isnan(st), np.nan, out)

    implied = verdict(viol_imp, miss_imp)
    beyond = verdict(viol_bey, miss_bey)
    consistent = verdict(viol_imp | viol_bey, miss_imp | miss_bey)
    return pd.DataFrame(
        {"stage": st, "implied_present": implied, "none_beyond": beyond, "consistent": consistent}, index=items.index
    )


def item_score(data: pd.DataFrame, items: Sequence[str] = COMPONENT_ITEMS) -> pd.Series:
    """Item-based maturity score: the number of component items equal to 1 (NaN if any item is missing)."""
    mat = np.column_stack([as_float(data[c]) for c in items])
    score = mat.sum(axis=1)  # NaN propagates
    return pd.Series(score, index=data.index, name="item_score")


def implied_item_count(stage, components: Mapping[str, int] | None = None) -> np.ndarray:
    """How many component items a unit at ``stage`` should hold by the ladder's descriptions.

    With :data:`LADDER_COMPONENTS`: stages 0-5 imply 0, 0, 1, 2, 4 and 5 items.  NaN where the stage is missing.
    """
    components = dict(LADDER_COMPONENTS if components is None else components)
    st = as_float(stage)
    lowest = np.array(sorted(components.values()), dtype=float)
    out = (lowest[None, :] <= st[:, None]).sum(axis=1).astype(float)
    return np.where(np.isnan(st), np.nan, out)


def stages_with_min_share(shares: Sequence[float], min_share: float) -> int:
    """How many levels hold at least ``min_share`` of the (weighted) units (tolerance 1e-12)."""
    s = np.asarray(list(shares), dtype=float)
    return int(np.sum(s >= float(min_share) - 1e-12))


def interval_errors(estimate, low, high, scale: float = 1.0) -> np.ndarray:
    """Error-bar lengths ``[[below], [above]]`` for matplotlib from an estimate and its interval.

    Clipped at 0 (a degenerate interval computed in floating point can lie a hair inside its estimate) and 0
    where a limit is missing.
    """
    est, lo, hi = (np.asarray(pd.Series(v).astype(float), dtype=float) for v in (estimate, low, high))
    below = np.nan_to_num(np.clip(est - lo, 0, None), nan=0.0)
    above = np.nan_to_num(np.clip(hi - est, 0, None), nan=0.0)
    return scale * np.vstack([below, above])
