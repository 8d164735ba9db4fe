"""The one cumulative-logit engine: a batch of fits equals the fits one at a time, and fixed slopes stay at 0."""

import numpy as np

from vsr_analysis.stats.cumulative_logit import fit_batch, fit_one


def _data(R=4, n=120, seed=3):
    rng = np.random.default_rng(seed)
    X = np.column_stack([rng.standard_normal(n), rng.binomial(1, 0.4, n)])
    latent = X @ np.array([0.8, -0.5]) + rng.logistic(size=(R, n))
    Y = np.searchsorted(np.array([-1.0, 0.0, 1.2]), latent)
    w = rng.uniform(0.5, 2.0, n)
    return X, Y, w


def test_batch_equals_single_fits():
    X, Y, w = _data()
    batch = fit_batch(X, Y, w, 4)
    for r in range(Y.shape[0]):
        one = fit_one(X, Y[r], 4, w)
        assert one.converged and batch.converged[r]
        np.testing.assert_allclose(batch.theta[r], one.theta, rtol=1e-10, atol=1e-12)
        np.testing.assert_allclose(batch.cov[r], one.cov, rtol=1e-8, atol=1e-14)
    assert batch.usable.all()


def test_fixed_slope_is_held_at_zero_with_zero_variance():
    X, Y, w = _data(R=2)
    fixed = np.array([[False, True], [False, False]])
    batch = fit_batch(X, Y, w, 4, fixed=fixed)
    assert batch.beta[0, 1] == 0.0 and batch.se[0, 1] == 0.0
    # holding the second slope at 0 is the same as leaving the column out
    alone = fit_one(X[:, :1], Y[0], 4, w)
    np.testing.assert_allclose(batch.theta[0, [0, 2, 3, 4]], alone.theta, rtol=1e-8, atol=1e-10)
    assert batch.beta[1, 1] != 0.0


def test_unobserved_level_is_flagged_not_usable():
    X, Y, w = _data(R=1)
    Y = np.where(Y == 1, 2, Y)  # level 1 never observed
    batch = fit_batch(X, Y, w, 4)
    assert not batch.all_levels[0] and not batch.usable[0]
