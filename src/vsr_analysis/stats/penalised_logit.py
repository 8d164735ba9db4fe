"""L2-penalised logistic regression by Newton's method, for one or many outcomes at once, and its cross-validation.

The response-propensity model (:mod:`vsr_analysis.stats.propensity`) minimises, for a penalty weight c,

    c * sum_i m_i * logloss(y_i, expit(b0 + x_i' b)) + |b|^2 / 2        (the intercept b0 is not penalised)

which is scikit-learn's ``LogisticRegression(C=c)`` objective.  Fitting it here in numpy, instead of through
``LogisticRegressionCV``, removes scikit-learn's per-call validation, which cost about half a second per
simulated survey (12 penalties x 5 folds); tests/test_propensity.py checks the result against scikit-learn.
Outcomes are stacked in rows, so the operating-characteristics benchmark fits many simulated response patterns
in one call.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy.special import expit

__all__ = ["CrossValidatedLogit", "cross_validated_logit", "newton_logit"]


def newton_logit(
    X: np.ndarray, Y: np.ndarray, M: np.ndarray, c: float, start: np.ndarray | None = None, iters: int = 50
) -> np.ndarray:
    """Penalised logistic fits of the rows of ``Y`` (S, n) on ``X`` (n, p, no intercept column).

    ``M`` (S, n) holds 0/1 training masks (the held-out units of a fold get 0).  Returns the coefficients
    (S, p + 1), intercept first.  ``start`` warm-starts Newton's method (e.g. the fit at the previous penalty).
    """
    S, n = Y.shape
    Xt = np.hstack([np.ones((n, 1)), X])
    p1 = Xt.shape[1]
    beta = np.zeros((S, p1)) if start is None else np.array(start, dtype=float, copy=True)
    pen = np.eye(p1)
    pen[0, 0] = 0.0
    for _ in range(iters):
        mu = expit(beta @ Xt.T)
        grad = c * ((M * (mu - Y)) @ Xt) + beta @ pen
        curv = c * M * mu * (1 - mu) + 1e-12
        H = (Xt.T[None, :, :] * curv[:, None, :]) @ Xt + pen
        step = np.linalg.solve(H, grad[..., None])[..., 0]
        beta -= step
        if np.max(np.abs(step)) < 1e-10:
            break
    return beta


@dataclass(frozen=True)
class CrossValidatedLogit:
    """Fitted probabilities at the chosen penalty (refit on all units), out-of-fold ones, and the choice.

    Arrays are (S, n); ``penalty`` (S,) is the chosen c of each outcome row.
    """

    prob: np.ndarray
    cv_prob: np.ndarray
    penalty: np.ndarray


def cross_validated_logit(X: np.ndarray, Y: np.ndarray, test_masks: np.ndarray, grid) -> CrossValidatedLogit:
    """Choose the penalty of each row of ``Y`` by mean held-out log-loss over the folds, then refit on all units.

    ``test_masks`` (k, S, n) marks each fold's held-out units; ``grid`` lists the penalties c (ties go to the
    first, as in scikit-learn).  The out-of-fold probabilities are those of the fold fits at the chosen c.
    """
    Y = np.asarray(Y, dtype=float)
    grid = np.asarray(grid, dtype=float)
    k, S, n = test_masks.shape
    Xt = np.hstack([np.ones((n, 1)), X])
    scores = np.zeros((grid.size, S))
    held_out = np.zeros((grid.size, S, n))
    for f in range(k):
        beta = None
        train = (~test_masks[f]).astype(float)
        for j in np.argsort(grid):  # from the strongest penalty up: each fit warm-starts the next
            beta = newton_logit(X, Y, train, grid[j], start=beta)
            mu = np.clip(expit(beta @ Xt.T), 1e-15, 1 - 1e-15)
            loglik = Y * np.log(mu) + (1 - Y) * np.log(1 - mu)
            scores[j] += (loglik * test_masks[f]).sum(axis=1) / test_masks[f].sum(axis=1)
            held_out[j][test_masks[f]] = mu[test_masks[f]]
    best = np.argmax(scores, axis=0)
    prob = np.empty((S, n))
    for j in np.unique(best):
        rows = best == j
        beta = newton_logit(X, Y[rows], np.ones((int(rows.sum()), n)), grid[j])
        prob[rows] = expit(beta @ Xt.T)
    cv_prob = held_out[best, np.arange(S)]
    return CrossValidatedLogit(prob, cv_prob, grid[best])
