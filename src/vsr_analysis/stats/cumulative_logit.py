"""The one cumulative-logit engine: damped Newton maximum likelihood for many outcome vectors at once.

Model (the convention of ``statsmodels``' ``OrderedModel`` and R's ``MASS::polr``), for codes y in 0..J-1:

    logit P(Y <= k | x) = zeta_k - x'beta,        k = 1, ..., J-1,

no constant, increasing thresholds ``zeta``.  :func:`fit_batch` fits it to each row of an outcome matrix ``Y``
(R x n) on one design ``X`` (n x p) with weights (one per row of ``X``, or R x n; weight 0 leaves a row out):
Newton steps from beta = 0 and thresholds at the logits of the weighted cumulative shares, halved until the
(weighted) log-likelihood does not fall and the thresholds stay ordered; analytic score and Hessian; HC0
sandwich covariance ``A^-1 B A^-1`` with ``A`` minus the Hessian and ``B = sum_i w_i^2 s_i s_i'``.  The
log-likelihood is concave for the logistic link (Pratt 1981), so this converges to the unique maximum when one
exists.  Slopes can be held at 0 per replicate (``fixed``; their variance is reported as 0).

:func:`fit_one` is the same for a single outcome vector; the public model API
(:mod:`vsr_analysis.stats.ordinal_model`) fits through this module.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy import special

__all__ = ["BatchFit", "SingleFit", "fit_batch", "fit_one", "start_values"]


@dataclass
class BatchFit:
    """Fits of R outcome vectors: ``theta`` R x k = (beta, thresholds), ``cov`` R x k x k (HC0 sandwich)."""

    theta: np.ndarray
    cov: np.ndarray
    loglik: np.ndarray  # R
    scores: np.ndarray  # R x n x k per-observation scores (unweighted)
    hessian: np.ndarray  # R x k x k Hessian of the weighted log-likelihood
    weights: np.ndarray  # R x n
    converged: np.ndarray  # R bool
    n_iter: np.ndarray  # R int
    all_levels: np.ndarray  # R bool: every outcome level observed among the rows with positive weight
    p: int  # number of slopes

    @property
    def usable(self) -> np.ndarray:
        """Converged and every outcome level observed."""
        return self.converged & self.all_levels

    @property
    def beta(self) -> np.ndarray:
        return self.theta[:, : self.p]

    @property
    def se(self) -> np.ndarray:
        return np.sqrt(np.clip(np.diagonal(self.cov, axis1=1, axis2=2)[:, : self.p], 0, None))


@dataclass
class SingleFit:
    """One fit: ``theta`` (beta, thresholds), HC0 ``cov``, ``scores`` (n x k, unweighted), ``hessian``, ``w``."""

    theta: np.ndarray
    loglik: float
    scores: np.ndarray
    hessian: np.ndarray
    converged: bool
    n_iter: int
    cov: np.ndarray
    w: np.ndarray

    @property
    def k(self) -> int:
        return self.theta.size


def _cell_probability(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """F(a) - F(b) for the logistic F, computed on the accurate side."""
    with np.errstate(invalid="ignore"):
        p = np.where(b > 0, special.expit(-b) - special.expit(-a), special.expit(a) - special.expit(b))
    return np.maximum(p, 1e-300)


def _density_pieces(z: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Logistic density f = F(1-F) and its derivative f' = f(1-2F), +-inf allowed."""
    F = special.expit(z)
    f = F * (1.0 - F)
    return f, f * (1.0 - 2.0 * F)


def start_values(Y: np.ndarray, W: np.ndarray, p: int, J: int) -> np.ndarray:
    """beta = 0 and thresholds at the logits of the weighted cumulative outcome shares (R x (p + J - 1))."""
    onehot = (Y[..., None] == np.arange(J)).astype(float)
    shares = np.einsum("rnj,rn->rj", onehot, W) / W.sum(axis=1, keepdims=True)
    cum = np.clip(np.cumsum(shares, axis=1)[:, :-1], 1e-4, 1 - 1e-4)
    cuts = special.logit(cum)
    cuts = np.maximum.accumulate(cuts + np.arange(J - 1) * 1e-6, axis=1)
    return np.concatenate([np.zeros((Y.shape[0], p)), cuts], axis=1)


def fit_batch(
    X: np.ndarray,
    Y: np.ndarray,
    w: np.ndarray | None = None,
    J: int | None = None,
    *,
    fixed: np.ndarray | None = None,
    max_iter: int = 200,
    tol: float = 1e-10,
) -> BatchFit:
    """Fit ``logit P(Y <= k) = zeta_k - x'beta`` to each row of ``Y`` (R x n codes 0..J-1) on the design ``X``.

    ``w``: weights, one per row of ``X`` or R x n (0 leaves a row out).  ``fixed``: optional R x p bool, slopes
    held at 0 in a replicate.  A replicate stops (not converged) when no halved step keeps the log-likelihood
    from falling; it converges when the step is below ``tol`` or the Newton decrement is negligible.
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
    all_levels = (np.einsum("rnj,rn->rj", onehot, (W > 0).astype(float)) > 0).all(axis=1)
    theta = start_values(Y, W, p, J)

    negX = np.broadcast_to(-X, (R, n, p))
    Da = np.concatenate([negX, onehot[:, :, :nc]], axis=2)  # d(upper bound)/d theta (threshold y if y < J-1)
    Db = np.concatenate([negX, onehot[:, :, 1:]], axis=2)  # d(lower bound)/d theta (threshold y-1 if y > 0)
    yi = Y + 1

    def bounds(th: np.ndarray, idx: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        eta = th[:, :p] @ X.T
        m = len(idx)
        ext = np.concatenate([np.full((m, 1), -np.inf), th[:, p:], np.full((m, 1), np.inf)], axis=1)
        return np.take_along_axis(ext, yi[idx], axis=1) - eta, np.take_along_axis(ext, Y[idx], axis=1) - eta

    def loglik(th: np.ndarray, idx: np.ndarray) -> np.ndarray:
        a, b = bounds(th, idx)
        return np.sum(W[idx] * np.log(_cell_probability(a, b)), axis=1)

    def derivs(th: np.ndarray, idx: np.ndarray):
        a, b = bounds(th, idx)
        P = _cell_probability(a, b)
        fa, fpa = _density_pieces(a)
        fb, fpb = _density_pieces(b)
        Wi = W[idx]
        da, db = Da[idx], Db[idx]
        S = (fa / P)[..., None] * da - (fb / P)[..., None] * db
        daT, dbT, ST = da.transpose(0, 2, 1), db.transpose(0, 2, 1), S.transpose(0, 2, 1)
        H = daT @ (da * (Wi * fpa / P)[..., None]) - dbT @ (db * (Wi * fpb / P)[..., None]) - ST @ (S * Wi[..., None])
        ll = np.sum(Wi * np.log(P), axis=1)
        g = (ST @ Wi[..., None])[..., 0]
        if fixed is not None:  # parameters held fixed: zero gradient, unit curvature (their Newton step is 0)
            fr = free[idx]
            g = np.where(fr, g, 0.0)
            H = np.where(fr[:, :, None] & fr[:, None, :], H, 0.0)
            H = H - np.einsum("ri,ij->rij", (~fr).astype(float), np.eye(k))
        return ll, S, g, H

    all_idx = np.arange(R)
    ll, S, g, H = derivs(theta, all_idx)
    active = np.ones(R, dtype=bool)
    converged = np.zeros(R, dtype=bool)
    n_iter = np.zeros(R, dtype=int)
    for it in range(1, max_iter + 1):
        if not active.any():
            break
        idx = np.flatnonzero(active)
        n_iter[idx] = it
        A = -H[idx]
        try:
            step = np.linalg.solve(A, g[idx][..., None])[..., 0]
        except np.linalg.LinAlgError:
            step = np.stack([_solve_or_lstsq(A[i], g[idx][i]) for i in range(len(idx))])
        decrement = np.einsum("ri,ri->r", g[idx], step)
        t = np.ones(len(idx))
        accepted = np.zeros(len(idx), dtype=bool)
        cand = theta[idx].copy()
        while True:
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
        active[idx[~accepted]] = False  # no acceptable step: stop, not converged
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
        Ainv = np.stack([_inv_or_pinv(a) for a in A])
    B = S.transpose(0, 2, 1) @ (S * (W**2)[..., None])
    if fixed is not None:
        B = np.where(free[:, :, None] & free[:, None, :], B, 0.0)
    cov = Ainv @ B @ Ainv
    cov = (cov + np.swapaxes(cov, 1, 2)) / 2
    return BatchFit(
        theta=theta,
        cov=cov,
        loglik=ll,
        scores=S,
        hessian=H,
        weights=W,
        converged=converged,
        n_iter=n_iter,
        all_levels=all_levels,
        p=p,
    )


def _solve_or_lstsq(A: np.ndarray, g: np.ndarray) -> np.ndarray:
    try:
        return np.linalg.solve(A, g)
    except np.linalg.LinAlgError:
        return np.linalg.lstsq(A, g, rcond=None)[0]


def _inv_or_pinv(A: np.ndarray) -> np.ndarray:
    try:
        return np.linalg.inv(A)
    except np.linalg.LinAlgError:
        return np.linalg.pinv(A)


def fit_one(X: np.ndarray, y: np.ndarray, J: int, w: np.ndarray | None = None, *, max_iter: int = 200) -> SingleFit:
    """:func:`fit_batch` for a single outcome vector ``y`` (codes 0..J-1)."""
    res = fit_batch(X, np.asarray(y, int)[None, :], None if w is None else np.asarray(w, float), J, max_iter=max_iter)
    return SingleFit(
        theta=res.theta[0],
        loglik=float(res.loglik[0]),
        scores=res.scores[0],
        hessian=res.hessian[0],
        converged=bool(res.converged[0]),
        n_iter=int(res.n_iter[0]),
        cov=res.cov[0],
        w=res.weights[0],
    )
