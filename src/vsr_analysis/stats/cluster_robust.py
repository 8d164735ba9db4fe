"""Cluster-robust variances for few clusters: CR1 and a wild cluster score bootstrap for the ordinal model,
CR2 with Bell-McCaffrey (Satterthwaite) degrees of freedom for the linear model.

The survey has eleven counties. Standard errors that treat municipalities as independent (HC0) ignore that
municipalities of one county share the county's support and networks; clustering by county allows for that,
but with eleven clusters the usual cluster-robust variance (CR1) is biased downwards and its normal reference
over-rejects (Cameron & Miller 2015). Two small-cluster remedies are offered as robustness rows:

* :func:`cr2_linear` — the bias-reduced linearisation CR2 of Bell & McCaffrey (2002) with the Satterthwaite
  degrees of freedom of Pustejovsky & Tipton (2018), for a weighted linear model of the stage (the working
  variance is the identity, as R's ``clubSandwich::vcovCR(type = "CR2")`` uses for a weighted ``lm``). Cluster fixed
  effects make the adjustment matrices singular; their symmetric pseudo-inverse square root is used, as
  ``clubSandwich`` does.
* :func:`wild_score_bootstrap` — for the proportional-odds model, the wild cluster bootstrap of the scores
  (Kline & Santos 2012) with Webb's six-point weights: each county's summed score is multiplied by a random
  weight, mapped to a coefficient draw through the inverse Hessian, and studentised; the p-value is the share of
  draws at least as extreme as the observed t. Unrestricted (no null imposed), so it is a robustness check,
  not a primary test.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd
from scipy import stats

from vsr_analysis.stats.cumulative_logit import fit_one

WEBB = np.array([-np.sqrt(1.5), -1.0, -np.sqrt(0.5), np.sqrt(0.5), 1.0, np.sqrt(1.5)])


def rows_used(data: pd.DataFrame, fit) -> pd.Index:
    """The index of the rows an :class:`~vsr_analysis.stats.ordinal_model.OrdinalFit` used (same order)."""
    cols = [fit.outcome, *fit.covariates, *fit.fixed_effects, *([fit.weights] if fit.weights else [])]
    mask = data[cols].notna().all(axis=1)
    if fit.weights:
        mask &= pd.to_numeric(data[fit.weights]) > 0
    for col, levels in fit.fe_levels.items():
        mask &= data[col].isin(levels)
    index = data.index[mask.to_numpy()]
    if len(index) != fit.n:
        raise ValueError(f"could not recover the {fit.n} rows of the fit ({len(index)} found)")
    return index


def _cluster_scores(fit, clusters) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(G x k cluster-summed weighted scores, inverse of minus the Hessian, cluster codes)."""
    # per-unit scores and the Hessian at the estimate, from the one cumulative-logit engine (a refit from the
    # converged fit's data returns them; it converges at once to the same estimate)
    levels = fit.params.size - fit._X.shape[1] + 1
    engine = fit_one(fit._X, fit._y, levels, fit._w)
    scores, hessian = engine.scores, engine.hessian
    weighted = scores * engine.w[:, None]
    codes, uniques = pd.factorize(np.asarray(clusters))
    if len(codes) != len(weighted):
        raise ValueError(f"{len(codes)} cluster labels for {len(weighted)} rows")
    summed = np.zeros((len(uniques), weighted.shape[1]))
    np.add.at(summed, codes, weighted)
    return summed, np.linalg.inv(-hessian), codes


def ordinal_cluster_cov(fit, clusters, kind: str = "CR1") -> pd.DataFrame:
    """Cluster-robust sandwich for an ordinal fit: CR0, or CR1 = CR0 x G/(G-1) x (n-1)/(n-k) (Stata's factor)."""
    summed, bread, _ = _cluster_scores(fit, clusters)
    cov = bread @ (summed.T @ summed) @ bread
    if kind == "CR1":
        g, n, k = summed.shape[0], fit.n, summed.shape[1]
        cov = cov * g / (g - 1) * (n - 1) / (n - k)
    elif kind != "CR0":
        raise ValueError("kind must be 'CR0' or 'CR1'")
    return pd.DataFrame(cov, index=fit.params.index, columns=fit.params.index)


def wild_score_bootstrap(fit, clusters, term: str, reps: int = 9999, seed: int = 0) -> dict:
    """Wild cluster score bootstrap (Webb weights) of one coefficient: CR1 SE, t, bootstrap p, t(G-1) p."""
    summed, bread, _ = _cluster_scores(fit, clusters)
    j = list(fit.params.index).index(term)
    c = summed @ bread[:, j]  # each cluster's contribution to the coefficient's linearisation
    g = len(c)
    factor = g / (g - 1) * (fit.n - 1) / (fit.n - summed.shape[1])
    se = float(np.sqrt(factor * np.sum(c**2)))
    t_obs = float(fit.params[term]) / se
    v = np.random.default_rng(seed).choice(WEBB, size=(reps, g))
    draws = v @ c
    se_star = np.sqrt(factor * (v**2) @ (c**2))
    t_star = draws / se_star
    p_boot = float((1 + np.sum(np.abs(t_star) >= abs(t_obs))) / (reps + 1))
    return {
        "estimate": float(fit.params[term]),
        "se": se,
        "t": t_obs,
        "p_value": p_boot,
        "p_t": float(2 * stats.t.sf(abs(t_obs), g - 1)),
        "clusters": g,
        "reps": reps,
    }


def _sym_power(m: np.ndarray, power: float, tol: float = 1e-12) -> np.ndarray:
    vals, vecs = np.linalg.eigh((m + m.T) / 2)
    keep = vals > tol * max(1.0, vals.max())
    out = np.zeros_like(vals)
    out[keep] = vals[keep] ** power
    return (vecs * out) @ vecs.T


def cr2_linear(
    X: np.ndarray, y: np.ndarray, clusters: Sequence, weights: np.ndarray | None = None, names=None
) -> pd.DataFrame:
    """Weighted least squares with CR2 standard errors and Satterthwaite (Bell-McCaffrey) degrees of freedom.

    ``X`` includes the constant and any fixed-effect dummies.  Returns term, estimate, se, df, t, p_value,
    ci_low, ci_high (95 %), with the t(df) reference distribution, as ``clubSandwich::coef_test(vcov = "CR2",
    test = "Satterthwaite")``.
    """
    X = np.asarray(X, float)
    y = np.asarray(y, float)
    n, k = X.shape
    w = np.ones(n) if weights is None else np.asarray(weights, float)
    codes, uniques = pd.factorize(np.asarray(clusters))
    M = np.linalg.inv(X.T @ (X * w[:, None]))
    beta = M @ (X.T @ (w * y))
    resid = y - X @ beta
    hat = X @ M @ (X * w[:, None]).T  # H = X M X'W
    i_minus_h = np.eye(n) - hat
    # Working variance: the identity (clubSandwich's default for a weighted lm; the weights are sampling
    # weights, not inverse variances), so B_g = (I - H)_g. (I - H)_g.' and A_g = B_g^{+1/2}.
    groups = [np.flatnonzero(codes == g) for g in range(len(uniques))]
    meat_terms = []
    p_vectors = []  # p_g (n x k): contributions of y to each coefficient's cluster-g term
    for idx in groups:
        xg, wg = X[idx], w[idx]
        rows = i_minus_h[idx]
        a = _sym_power(rows @ rows.T, -0.5)
        u = xg.T @ (wg * (a @ resid[idx]))  # X_g' W_g A_g e_g
        meat_terms.append(u)
        p_vectors.append(rows.T @ (a @ (wg[:, None] * xg)) @ M)
    meat = sum(np.outer(u, u) for u in meat_terms)
    cov = M @ meat @ M
    se = np.sqrt(np.diag(cov))
    df = np.empty(k)
    for j in range(k):
        P = np.column_stack([p[:, j] for p in p_vectors])  # n x G
        gram = P.T @ P  # (p_g' Phi p_h) with Phi = I
        df[j] = np.trace(gram) ** 2 / np.sum(gram**2)
    t = beta / se
    q = stats.t.ppf(0.975, df)
    return pd.DataFrame(
        {
            "term": list(names) if names is not None else [f"x{j}" for j in range(k)],
            "estimate": beta,
            "se": se,
            "df": df,
            "t": t,
            "p_value": 2 * stats.t.sf(np.abs(t), df),
            "ci_low": beta - q * se,
            "ci_high": beta + q * se,
        }
    )
