"""Multiple imputation by chained equations (MICE) with predictive mean matching, and Rubin's rules.

Item non-response makes complete-case analysis drop every municipality that skipped one item. When skipping
depends on what is observed (size, stage), the complete cases are a biased subset. MICE (van Buuren &
Groothuis-Oudshoorn 2011) fills each missing item in turn from a regression on every other analysis column,
cycling until the draws settle, and does this ``m`` times with independent random draws, so that the spread
between the completed data sets carries the uncertainty about the missing answers.

Each incomplete column is imputed by *predictive mean matching* (PMM, Little 1988): a linear regression on the
other columns, with its coefficients drawn from their posterior (so the imputation is "proper"), predicts every
row; each missing row takes the observed value of one of the ``donors`` observed rows with the closest
prediction. PMM only ever imputes values that occur in the data, so a 1-5 Likert item stays on 1-5 and a 0/1
item stays 0/1 — it suits the ordinal and binary items of this survey without a separate model per type.

:func:`rubin` pools the ``m`` estimates: the mean estimate, the total variance ``T = W + (1 + 1/m) B`` (within-
and between-imputation variance) and Rubin's (1987) degrees of freedom.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd
from scipy import stats


def _design(frame: pd.DataFrame, columns: Sequence[str]) -> np.ndarray:
    return np.column_stack([np.ones(len(frame)), frame[list(columns)].to_numpy(dtype=float)])


def _pmm_draw(rng: np.random.Generator, X: np.ndarray, y: np.ndarray, observed: np.ndarray, donors: int) -> np.ndarray:
    Xo, yo = X[observed], y[observed]
    beta_hat, *_ = np.linalg.lstsq(Xo, yo, rcond=None)
    resid = yo - Xo @ beta_hat
    dof = max(len(yo) - X.shape[1], 1)
    sigma2 = float(resid @ resid) / rng.chisquare(dof)
    xtx_inv = np.linalg.pinv(Xo.T @ Xo)
    beta_star = rng.multivariate_normal(beta_hat, sigma2 * xtx_inv, method="svd")
    pred_obs = Xo @ beta_hat
    pred_mis = X[~observed] @ beta_star
    dist = np.abs(pred_mis[:, None] - pred_obs[None, :])
    k = min(donors, len(yo))
    nearest = np.argpartition(dist, k - 1, axis=1)[:, :k]
    pick = nearest[np.arange(len(pred_mis)), rng.integers(0, k, size=len(pred_mis))]
    return yo[pick]


def mice(
    data: pd.DataFrame,
    columns: Sequence[str],
    *,
    m: int = 20,
    iterations: int = 10,
    donors: int = 5,
    seed: int = 0,
) -> list[pd.DataFrame]:
    """``m`` completed copies of ``data`` in which the missing values of ``columns`` are imputed by PMM.

    Every column in ``columns`` is used as a predictor of the others (include the outcome and the complete
    covariates: the imputation model must condition on what the analysis conditions on).  Columns without
    missing values are predictors only.  A column that is missing in every row cannot be imputed and raises
    ``ValueError``.
    """
    columns = list(columns)
    work = data[columns].apply(pd.to_numeric, errors="coerce").astype(float)
    missing = work.isna()
    empty = [c for c in columns if missing[c].all()]
    if empty:
        raise ValueError(f"cannot impute column(s) with no observed value: {', '.join(empty)}")
    targets = [c for c in columns if missing[c].any()]
    rng = np.random.default_rng(seed)
    completed = []
    for _ in range(m):
        filled = work.copy()
        for c in targets:  # start from random draws of the observed values
            obs = work[c].dropna().to_numpy()
            filled.loc[missing[c], c] = rng.choice(obs, size=int(missing[c].sum()))
        for _ in range(iterations if targets else 0):
            for c in targets:
                others = [o for o in columns if o != c]
                X = _design(filled, others)
                observed = ~missing[c].to_numpy()
                filled.loc[missing[c], c] = _pmm_draw(rng, X, filled[c].to_numpy(), observed, donors)
        out = data.copy()
        for c in targets:
            out[c] = filled[c].to_numpy()
        completed.append(out)
    return completed


def rubin(estimates: Sequence[float], variances: Sequence[float], level: float = 0.95) -> dict:
    """Rubin's rules for one scalar: pooled estimate, SE, df, two-sided p and CI, fraction of missing information."""
    q = np.asarray(estimates, dtype=float)
    u = np.asarray(variances, dtype=float)
    m = len(q)
    if m < 2:
        raise ValueError("Rubin's rules need at least two completed data sets")
    qbar = float(q.mean())
    within = float(u.mean())
    between = float(q.var(ddof=1))
    total = within + (1 + 1 / m) * between
    r = (1 + 1 / m) * between / within if within > 0 else np.inf
    df = float((m - 1) * (1 + 1 / r) ** 2) if r > 0 else np.inf
    se = float(np.sqrt(total))
    t = qbar / se
    crit = stats.t.ppf(0.5 + level / 2, df)
    return {
        "estimate": qbar,
        "se": se,
        "df": df,
        "p_value": float(2 * stats.t.sf(abs(t), df)),
        "ci_low": qbar - crit * se,
        "ci_high": qbar + crit * se,
        "within": within,
        "between": between,
        "fmi": float((r + 2 / (df + 3)) / (r + 1)) if np.isfinite(df) else 0.0,
        "m": m,
    }
