"""Design analysis by simulation, vectorised: what power the survey's primary tests had.

The power page ("Power and design analysis") simulates each confirmatory claim's primary test many times under
stated effect sizes, on the survey's *own* design: the responding municipalities' covariates, counties and
raking weights are kept as they are, only the outcome is drawn anew (power conditional on the design as fielded).

* :func:`ordinal_design` - the complete-case design matrix of a proportional-odds model exactly as
  :func:`vsr_analysis.stats.ordinal_model.fit_ordinal` builds it (covariates, then fixed-effect dummies with the first sorted
  level dropped; rows with a missing outcome, covariate, fixed effect or weight, or weight 0, left out).
* :func:`fit_po_batch` - the same cumulative-logit maximum-likelihood fit (Newton with step halving, weighted
  pseudo-likelihood, HC0 sandwich covariance) as ``fit_ordinal``, for many outcome vectors at once.  It gives the
  same estimates and standard errors (tests pin this); per-replicate weights (0 drops a row) and slopes held at 0
  reproduce ``fit_ordinal``'s dropping of a quasi-separated fixed-effect level.  Replicates it cannot handle the
  same way (an outcome level not observed, no convergence) are flagged and refitted with ``fit_ordinal`` itself.
* :func:`simulate_ordinal_tests` - draw proportional-odds outcomes for stated coefficients (common random
  numbers across effect sizes when the same ``errors`` are passed) and return, per replicate, the estimate and
  two-sided Wald p-value of each tested term and the joint Wald p-value.
* :func:`share_pvalues` - the one-sided p-value of :func:`vsr_analysis.stats.shares.share_test` for many 0/1 outcome
  vectors at once (same weights).
* :func:`prob_at_least` - exact binomial probability of at least ``k`` cases.
* :func:`rejection_summary` - a power estimate with its Monte Carlo Wilson interval.

Randomness only from the ``numpy.random.Generator`` passed in.
"""

from __future__ import annotations

import warnings
from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np
import pandas as pd
from scipy import special, stats

from vsr_analysis.stats.shares import wilson

__all__ = [
    "OrdinalDesign",
    "ordinal_design",
    "cuts_for",
    "fit_po_batch",
    "simulate_ordinal_tests",
    "share_pvalues",
    "prob_at_least",
    "rejection_summary",
    "first_crossing",
]


# ----------------------------------------------------------------------------------------------------------
# proportional-odds designs
# ----------------------------------------------------------------------------------------------------------


@dataclass
class OrdinalDesign:
    """Complete-case design of a proportional-odds model: ``X`` (n x p, named ``names``), weights ``w``."""

    X: np.ndarray
    names: list[str]
    w: np.ndarray
    covariates: list[str]
    fixed_effects: list[str]
    weights: str | None
    rows: pd.DataFrame = field(repr=False)  # the complete-case rows (for the fit_ordinal fall-back)

    @property
    def n(self) -> int:
        return int(self.X.shape[0])

    def sd(self, term: str) -> float:
        """Standard deviation (population, ddof=0) of a covariate in the design's rows."""
        return float(np.std(self.X[:, self.names.index(term)]))


def ordinal_design(
    data: pd.DataFrame,
    covariates: Sequence[str],
    *,
    fixed_effects: Sequence[str] | None = None,
    weights: str | None = None,
    outcome: str | None = "maturity_stage",
) -> OrdinalDesign:
    """The rows and columns ``fit_ordinal(data, outcome, covariates, weights=..., fixed_effects=...)`` would use.

    ``outcome``: rows where it is missing are left out (the primary test's n); ``None`` keeps them.
    Fixed-effect separation is a property of the *simulated* outcome and is handled per replicate.
    """
    covariates = list(covariates)
    fes = list(fixed_effects or [])
    used = covariates + fes + ([weights] if weights else []) + ([outcome] if outcome else [])
    missing = [c for c in used if c not in data.columns]
    if missing:
        raise KeyError(f"column(s) not in data: {', '.join(missing)}")
    mask = np.ones(len(data), dtype=bool)
    for c in used:
        mask &= data[c].notna().to_numpy()
    if weights:
        mask &= pd.to_numeric(data[weights]).astype(float).to_numpy() > 0
    rows = data.loc[mask].copy()
    if len(rows) == 0:
        raise ValueError("no complete rows")
    cols = [pd.to_numeric(rows[c]).astype(float).to_numpy() for c in covariates]
    names = list(covariates)
    for col in fes:
        vals = rows[col].astype(str).to_numpy()
        levels = sorted(set(vals))
        for lev in levels[1:]:
            cols.append((vals == lev).astype(float))
            names.append(f"{col}[{lev}]")
    X = np.column_stack(cols)
    w = pd.to_numeric(rows[weights]).astype(float).to_numpy() if weights else np.ones(len(rows))
    return OrdinalDesign(X=X, names=names, w=w, covariates=covariates, fixed_effects=fes, weights=weights, rows=rows)


def cuts_for(probs: Sequence[float]) -> np.ndarray:
    """Thresholds zeta_1 < ... < zeta_{J-1} that give category probabilities ``probs`` at linear predictor 0."""
    p = np.asarray(probs, float)
    if np.any(p <= 0):
        raise ValueError("every category needs a positive probability")
    p = p / p.sum()
    return special.logit(np.cumsum(p)[:-1])


@dataclass
class BatchFit:
    theta: np.ndarray  # R x k: (beta, cuts)
    cov: np.ndarray  # R x k x k HC0 sandwich
    converged: np.ndarray  # R bool
    usable: np.ndarray  # R bool: every outcome level observed among the weighted rows, converged
    p: int  # number of slopes

    @property
    def beta(self) -> np.ndarray:
        return self.theta[:, : self.p]

    @property
    def se(self) -> np.ndarray:
        return np.sqrt(np.clip(np.diagonal(self.cov, axis1=1, axis2=2)[:, : self.p], 0, None))


def fit_po_batch(
    X: np.ndarray,
    Y: np.ndarray,
    w: np.ndarray | None = None,
    J: int | None = None,
    *,
    fixed: np.ndarray | None = None,
    max_iter: int = 100,
    tol: float = 1e-10,
) -> BatchFit:
    """Fit ``logit P(Y <= k) = zeta_k - x'beta`` for each row of ``Y`` (R x n codes 0..J-1) on one design ``X``.

    Same algorithm and convergence criterion as ``models._CumLogit.fit``: Newton steps from beta = 0 and
    cut-points at the logits of the weighted cumulative shares, halved until the log-likelihood does not fall
    and the cut-points stay ordered; HC0 sandwich covariance.  ``w``: weights, one per row of ``X`` or R x n
    (a row with weight 0 is left out).  ``fixed``: optional R x p bool, slopes held at 0 in a replicate (a
    dropped dummy; its variance is reported as 0).  ``usable`` is False for replicates that miss an outcome level
    among their weighted rows or did not converge (fit those with ``fit_ordinal``).
    """
    X = np.asarray(X, float)
    Y = np.atleast_2d(np.asarray(Y, int))
    R, n = Y.shape
    p = X.shape[1]
    J = int(J if J is not None else Y.max() + 1)
    nc = J - 1
    k = p + nc
    W = np.ones((R, n)) if w is None else np.broadcast_to(np.asarray(w, float), (R, n)).copy()
    free = np.ones((R, k), dtype=bool)
    if fixed is not None:
        free[:, :p] = ~np.asarray(fixed, dtype=bool)

    onehot = (Y[..., None] == np.arange(J)).astype(float)  # R x n x J
    counts = np.einsum("rnj,rn->rj", onehot, W)  # weighted counts
    all_levels = (np.einsum("rnj,rn->rj", onehot, (W > 0).astype(float)) > 0).all(axis=1)
    shares = counts / W.sum(axis=1, keepdims=True)
    cum = np.clip(np.cumsum(shares, axis=1)[:, :-1], 1e-4, 1 - 1e-4)
    cuts0 = special.logit(cum)
    cuts0 = np.maximum.accumulate(cuts0 + np.arange(nc) * 1e-6, axis=1)
    theta = np.concatenate([np.zeros((R, p)), cuts0], axis=1)

    Eu = onehot[:, :, :nc]  # upper threshold index y (if y < J - 1)
    El = onehot[:, :, 1:]  # lower threshold index y - 1 (if y > 0)
    negX = np.broadcast_to(-X, (R, n, p))
    Da = np.concatenate([negX, Eu], axis=2)
    Db = np.concatenate([negX, El], axis=2)
    yi = Y + 1

    def ab(th, idx):
        eta = th[:, :p] @ X.T
        m = len(idx)
        ext = np.concatenate([np.full((m, 1), -np.inf), th[:, p:], np.full((m, 1), np.inf)], axis=1)
        a = np.take_along_axis(ext, yi[idx], axis=1) - eta
        b = np.take_along_axis(ext, Y[idx], axis=1) - eta
        return a, b

    def prob(a, b):
        with np.errstate(invalid="ignore"):
            pr = np.where(b > 0, special.expit(-b) - special.expit(-a), special.expit(a) - special.expit(b))
        return np.maximum(pr, 1e-300)

    def loglik(th, idx):
        a, b = ab(th, idx)
        return np.einsum("rn,rn->r", np.log(prob(a, b)), W[idx])

    def derivs(th, idx):
        a, b = ab(th, idx)
        P = prob(a, b)
        Fa = special.expit(a)
        fa = Fa * (1 - Fa)
        fpa = fa * (1 - 2 * Fa)
        Fb = special.expit(b)
        fb = Fb * (1 - Fb)
        fpb = fb * (1 - 2 * Fb)
        Wi = W[idx]
        da, db = Da[idx], Db[idx]
        S = (fa / P)[..., None] * da - (fb / P)[..., None] * db
        Sw = S * Wi[..., None]
        H = (
            np.matmul((da * (Wi * fpa / P)[..., None]).transpose(0, 2, 1), da)
            - np.matmul((db * (Wi * fpb / P)[..., None]).transpose(0, 2, 1), db)
            - np.matmul(Sw.transpose(0, 2, 1), S)
        )
        ll = np.einsum("rn,rn->r", np.log(P), Wi)
        g = Sw.sum(axis=1)
        # parameters held fixed: zero gradient, unit curvature (so their Newton step is 0)
        fr = free[idx]
        g = np.where(fr, g, 0.0)
        mask = fr[:, :, None] & fr[:, None, :]
        H = np.where(mask, H, 0.0)
        H = H - np.einsum("ri,ij->rij", (~fr).astype(float), np.eye(k))
        return ll, S, g, H

    all_idx = np.arange(R)
    ll, S, g, H = derivs(theta, all_idx)
    active = np.ones(R, dtype=bool)
    converged = np.zeros(R, dtype=bool)
    for _ in range(max_iter):
        if not active.any():
            break
        idx = np.flatnonzero(active)
        A = -H[idx]
        try:
            step = np.linalg.solve(A, g[idx][..., None])[..., 0]
        except np.linalg.LinAlgError:
            step = np.stack([np.linalg.lstsq(A[i], g[idx][i], rcond=None)[0] for i in range(len(idx))])
        decrement = np.einsum("ri,ri->r", g[idx], step)
        t = np.ones(len(idx))
        accepted = np.zeros(len(idx), dtype=bool)
        cand = theta[idx].copy()
        for _halving in range(45):
            pending = ~accepted & (t > 1e-12)
            if not pending.any():
                break
            sub = np.flatnonzero(pending)
            trial = theta[idx[sub]] + t[sub, None] * step[sub]
            ordered = np.all(np.diff(trial[:, p:], axis=1) > 0, axis=1) & np.all(np.isfinite(trial), axis=1)
            ll_c = np.full(len(sub), -np.inf)
            if ordered.any():
                ll_c[ordered] = loglik(trial[ordered], idx[sub[ordered]])
            ll_old = ll[idx[sub]]
            ok = ordered & (ll_c >= ll_old - 1e-12 * np.maximum(1.0, np.abs(ll_old)))
            cand[sub[ok]] = trial[ok]
            accepted[sub[ok]] = True
            t[sub[~ok]] /= 2
        # replicates whose step could not be accepted stop (not converged), as in the single fit
        active[idx[~accepted]] = False
        moved = idx[accepted]
        if moved.size == 0:
            break
        theta[moved] = cand[accepted]
        ll[moved], S[moved], g[moved], H[moved] = derivs(theta[moved], moved)
        tstep = t[accepted, None] * step[accepted]
        dec = decrement[accepted]
        done = (np.max(np.abs(tstep), axis=1) < tol) | (dec < 1e-20 * np.maximum(1.0, np.abs(ll[moved])))
        converged[moved[done]] = True
        active[moved[done]] = False

    A = -H
    try:
        Ainv = np.linalg.inv(A)
    except np.linalg.LinAlgError:
        Ainv = np.linalg.pinv(A)
    Sw2 = S * (W**2)[..., None]
    B = np.matmul(Sw2.transpose(0, 2, 1), S)
    B = np.where(free[:, :, None] & free[:, None, :], B, 0.0)
    cov = Ainv @ B @ Ainv
    cov = (cov + np.swapaxes(cov, 1, 2)) / 2
    return BatchFit(theta=theta, cov=cov, converged=converged, usable=converged & all_levels, p=p)


def simulate_ordinal_tests(
    design: OrdinalDesign,
    coefs: dict[str, float],
    *,
    baseline_probs: Sequence[float],
    test_terms: Sequence[str],
    errors: np.ndarray | None = None,
    reps: int | None = None,
    rng: np.random.Generator | None = None,
    center: bool = True,
) -> pd.DataFrame:
    """Simulate the primary test of a proportional-odds coefficient (or of several, jointly) ``reps`` times.

    Outcome: Y = number of cut-points below ``x'beta + e`` (e logistic), beta = ``coefs`` (terms not named are
    0, fixed effects included), cut-points from ``baseline_probs`` at the design's average covariate values
    (``center``).  ``errors`` (R x n logistic draws) may be given so that several effect sizes share the same
    random numbers; otherwise ``reps`` draws come from ``rng``.

    Returns one row per replicate: ``est_<term>``, ``p_<term>`` (two-sided Wald, HC0) for each tested term,
    ``p_joint`` (joint Wald, df = number of tested terms), ``fallback`` (fitted with ``fit_ordinal``) and
    ``failed`` (no usable fit).  The fit is weighted with the design's weights, like the primary test.
    """
    from vsr_analysis.stats.ordinal_model import fit_ordinal

    unknown = [t for t in [*coefs, *test_terms] if t not in design.names]
    if unknown:
        raise KeyError(f"unknown term(s): {', '.join(unknown)}")
    if errors is None:
        if reps is None or rng is None:
            raise ValueError("give errors, or reps and rng")
        errors = rng.logistic(size=(reps, design.n))
    errors = np.asarray(errors, float)
    if errors.shape[1] != design.n:
        raise ValueError("errors must have one column per design row")
    beta = np.zeros(len(design.names))
    for t, b in coefs.items():
        beta[design.names.index(t)] = float(b)
    eta = design.X @ beta
    if center:
        eta = eta - np.average(eta, weights=design.w)
    cuts = cuts_for(baseline_probs)
    J = len(cuts) + 1
    Y = np.searchsorted(cuts, eta[None, :] + errors)  # number of cut-points below the latent value

    # A fixed-effect level whose rows are all at the lowest or all at the highest level is quasi-separated:
    # fit_ordinal drops it with its rows.  Here: weight 0 for its rows and its dummy held at 0 (for the reference
    # level, another level's dummy is held at 0 instead - the same model with another reference level).
    R = Y.shape[0]
    W = np.broadcast_to(design.w, (R, design.n)).copy()
    fixed = np.zeros((R, len(design.names)), dtype=bool)
    low = (Y == 0).astype(float)
    high = (Y == J - 1).astype(float)
    for fe in design.fixed_effects:
        cols = [i for i, nm in enumerate(design.names) if nm.startswith(f"{fe}[")]
        ref = 1.0 - design.X[:, cols].sum(axis=1) if cols else np.ones(design.n)
        members = [ref, *(design.X[:, c] for c in cols)]
        sep = np.zeros((R, len(members)), dtype=bool)
        for j, g in enumerate(members):
            size = g.sum()
            if size > 0:
                sep[:, j] = (low @ g == size) | (high @ g == size)
        for j, g in enumerate(members):
            rows_g = g > 0
            for r in np.flatnonzero(sep[:, j]):
                W[r, rows_g] = 0.0
                if j > 0:
                    fixed[r, cols[j - 1]] = True
                else:
                    spare = [cols[m - 1] for m in range(1, len(members)) if not sep[r, m]]
                    if spare:
                        fixed[r, spare[0]] = True
    fit = fit_po_batch(design.X, Y, W, J, fixed=fixed)
    usable = fit.usable.copy()

    ti = [design.names.index(t) for t in test_terms]
    est = fit.beta[:, ti]
    se = fit.se[:, ti]
    with np.errstate(divide="ignore", invalid="ignore"):
        pvals = 2 * stats.norm.sf(np.abs(est / se))
    V = fit.cov[:, ti][:, :, ti]
    p_joint = np.full(Y.shape[0], np.nan)
    for r in np.flatnonzero(usable):
        try:
            chi2 = float(est[r] @ np.linalg.solve(V[r], est[r]))
            p_joint[r] = stats.chi2.sf(chi2, len(ti))
        except np.linalg.LinAlgError:
            usable[r] = False

    fallback = ~usable
    failed = np.zeros(Y.shape[0], dtype=bool)
    for r in np.flatnonzero(fallback):
        df = design.rows.assign(_y_sim=Y[r])
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                f = fit_ordinal(
                    df, "_y_sim", design.covariates, weights=design.weights, fixed_effects=design.fixed_effects or None
                )
            if not f.converged:
                raise ValueError("not converged")
            tab = f.coef_table().set_index("term")
            est[r] = tab.loc[list(test_terms), "estimate"].to_numpy()
            pvals[r] = tab.loc[list(test_terms), "p_value"].to_numpy()
            p_joint[r] = f.wald(list(test_terms))["p_value"]
        except (ValueError, KeyError, np.linalg.LinAlgError):
            failed[r] = True
            est[r] = np.nan
            pvals[r] = np.nan
            p_joint[r] = np.nan
    out = {}
    for j, t in enumerate(test_terms):
        out[f"est_{t}"] = est[:, j]
        out[f"p_{t}"] = pvals[:, j]
    out["p_joint"] = p_joint
    out["fallback"] = fallback
    out["failed"] = failed
    return pd.DataFrame(out)


# ----------------------------------------------------------------------------------------------------------
# shares, counts, summaries
# ----------------------------------------------------------------------------------------------------------


def share_pvalues(
    Y: np.ndarray, w: np.ndarray | None, threshold: float, *, population_size: float | None = None
) -> np.ndarray:
    """One-sided p-values of ``share_test`` (share > threshold) for each row of ``Y`` (R x n, 0/1), same weights.

    z = (p_hat - p0) / sqrt(p0 (1 - p0) / n_eff) with Kish's n_eff, divided by (1 - n/N) when ``population_size``
    N is given; p = 1 - Phi(z).
    """
    Y = np.atleast_2d(np.asarray(Y, float))
    n = Y.shape[1]
    w = np.ones(n) if w is None else np.asarray(w, float)
    est = Y @ w / w.sum()
    n_eff = w.sum() ** 2 / np.sum(w**2)
    if population_size:
        n_eff = n_eff / max(1e-9, 1 - n / population_size)
    p0 = float(threshold)
    z = (est - p0) / np.sqrt(p0 * (1 - p0) / n_eff)
    return stats.norm.sf(z)


def prob_at_least(k: int, n: int, q: float | np.ndarray) -> np.ndarray | float:
    """Exact P(X >= k) for X ~ Binomial(n, q)."""
    return stats.binom.sf(k - 1, n, q)


def rejection_summary(
    reject: Sequence[bool] | np.ndarray, failed: Sequence[bool] | np.ndarray | None = None, level: float = 0.95
) -> dict[str, float | int]:
    """Share of valid replicates that reject, with a Wilson Monte Carlo interval; failed replicates left out."""
    reject = np.asarray(reject, dtype=bool)
    failed = np.zeros_like(reject) if failed is None else np.asarray(failed, dtype=bool)
    valid = int((~failed).sum())
    k = int((reject & ~failed).sum())
    if valid == 0:
        return {
            "power": float("nan"),
            "ci_low": float("nan"),
            "ci_high": float("nan"),
            "n_valid": 0,
            "n_failed": int(failed.sum()),
        }
    iv = wilson(k, valid, level)
    return {
        "power": k / valid,
        "ci_low": float(iv.low),
        "ci_high": float(iv.high),
        "n_valid": valid,
        "n_failed": int(failed.sum()),
    }


def first_crossing(x: Sequence[float], power: Sequence[float], target: float = 0.8) -> float | None:
    """Smallest x at which a (roughly increasing) power curve reaches ``target``, by linear interpolation
    between grid points; ``None`` when it never does."""
    x = np.asarray(x, float)
    pw = np.asarray(power, float)
    order = np.argsort(x)
    x, pw = x[order], pw[order]
    hit = np.flatnonzero(pw >= target)
    if hit.size == 0:
        return None
    i = int(hit[0])
    if i == 0:
        return float(x[0])
    x0, x1, p0, p1 = x[i - 1], x[i], pw[i - 1], pw[i]
    return float(x0 + (target - p0) * (x1 - x0) / (p1 - p0)) if p1 > p0 else float(x1)
