"""Power and design analysis: what the survey could detect.

* :func:`power_two_groups` / :func:`mdes_two_groups` - analytic (normal approximation) power for a standardised
  mean difference d between two groups of n1 and n2 and the minimum detectable effect: with
  se(d) = sqrt(1/n1 + 1/n2) and two-sided alpha, power = Phi(|d|/se - z_{1-alpha/2}) + Phi(-|d|/se - z_{1-alpha/2}).
  For 150/150 at alpha = .05 and power .8 the MDES is about 0.32, for 30/270 about 0.54 (methods.md).
* :func:`power_ordinal_whitehead` - analytic power for a two-group log odds ratio in a proportional-odds model
  (Whitehead 1993, *Statistics in Medicine* 12:2257-2271, as in Hmisc::popower):
  var(log OR) = 3 (1/n1 + 1/n2) / (1 - sum_k pbar_k^3), pbar the category shares averaged over the groups.
* :func:`simulate_power` - generic Monte Carlo power: simulate a data set, test it, count rejections.
* :func:`power_ordinal_effect` - simulated power of the HC0 Wald test of one proportional-odds coefficient
  (:func:`vsr_analysis.stats.ordinal_model.fit_ordinal`) for a covariate with a given distribution.

Randomness only from ``numpy.random.default_rng``/``SeedSequence`` with the seed passed in.
"""

from __future__ import annotations

import warnings
from collections.abc import Callable, Sequence
from typing import Any

import numpy as np
import pandas as pd
from scipy import special, stats

from vsr_analysis.stats.shares import wilson

__all__ = [
    "power_two_groups",
    "mdes_two_groups",
    "power_ordinal_whitehead",
    "simulate_power",
    "power_ordinal_effect",
]


def _zcrit(alpha: float, two_sided: bool) -> float:
    if not 0 < alpha < 1:
        raise ValueError("alpha must be in (0, 1)")
    return float(stats.norm.ppf(1 - alpha / 2 if two_sided else 1 - alpha))


def power_two_groups(n1: float, n2: float, d: float, alpha: float = 0.05, *, two_sided: bool = True) -> float:
    """Normal-approximation power for a standardised difference ``d`` between groups of ``n1`` and ``n2``.

    One-sided tests are in the direction of ``d``.  Slightly optimistic against the t-test for small groups.
    """
    if min(n1, n2) <= 0:
        raise ValueError("group sizes must be positive")
    ncp = abs(d) / np.sqrt(1 / n1 + 1 / n2)
    z = _zcrit(alpha, two_sided)
    power = stats.norm.cdf(ncp - z)
    if two_sided:
        power += stats.norm.cdf(-ncp - z)
    return float(power)


def mdes_two_groups(n1: float, n2: float, alpha: float = 0.05, power: float = 0.8, *, two_sided: bool = True) -> float:
    """Minimum detectable standardised difference (normal approximation, ignoring the far tail):
    (z_{1-alpha/2} + z_power) * sqrt(1/n1 + 1/n2)."""
    return float((_zcrit(alpha, two_sided) + stats.norm.ppf(power)) * np.sqrt(1 / n1 + 1 / n2))


def power_ordinal_whitehead(n1: float, n2: float, log_or: float, pbar: Sequence[float], alpha: float = 0.05) -> float:
    """Whitehead's (1993) approximate power for a two-group proportional-odds comparison (two-sided).

    ``pbar``: category probabilities averaged over the two groups (normalised to sum 1).
    """
    p = np.asarray(pbar, float)
    p = p / p.sum()
    var = 3.0 * (1 / n1 + 1 / n2) / (1 - np.sum(p**3))
    ncp = abs(log_or) / np.sqrt(var)
    z = _zcrit(alpha, True)
    return float(stats.norm.cdf(ncp - z) + stats.norm.cdf(-ncp - z))


def simulate_power(
    simulate_fn: Callable[[np.random.Generator], Any],
    test_fn: Callable[[Any], float | bool],
    reps: int = 500,
    seed: int = 0,
    alpha: float = 0.05,
    level: float = 0.95,
) -> dict[str, float | int]:
    """Monte Carlo power: share of ``reps`` simulated data sets in which the test rejects.

    ``simulate_fn(rng)`` returns one data set, drawing only from the ``numpy.random.Generator`` it is given
    (each replicate gets an independent child of ``SeedSequence(seed)``, so results do not depend on the order of
    evaluation).  ``test_fn(data)`` returns a p-value (reject when ``p < alpha``) or a bool (True = reject).
    Replicates where ``test_fn`` raises or returns NaN are counted in ``n_failed`` and left out of the power.

    Returns power, its Monte Carlo Wilson CI (``ci_low``/``ci_high``), mc_se, reps, n_valid, n_failed.
    """
    if reps < 1:
        raise ValueError("reps must be >= 1")
    children = np.random.SeedSequence(seed).spawn(reps)
    rejections = 0
    valid = 0
    failed = 0
    for child in children:
        data = simulate_fn(np.random.default_rng(child))
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                res = test_fn(data)
        except (ValueError, np.linalg.LinAlgError, FloatingPointError):
            failed += 1
            continue
        if isinstance(res, (bool, np.bool_)):
            reject = bool(res)
        else:
            pval = float(res)
            if not np.isfinite(pval):
                failed += 1
                continue
            reject = pval < alpha
        valid += 1
        rejections += int(reject)
    power = rejections / valid if valid else float("nan")
    iv = wilson(rejections, valid, level) if valid else None
    return {
        "power": power,
        "ci_low": iv.low if iv else float("nan"),
        "ci_high": iv.high if iv else float("nan"),
        "mc_se": float(np.sqrt(power * (1 - power) / valid)) if valid else float("nan"),
        "reps": reps,
        "n_valid": valid,
        "n_failed": failed,
    }


def _cuts_from_probs(probs: Sequence[float]) -> np.ndarray:
    p = np.asarray(probs, float)
    p = p / p.sum()
    return special.logit(np.clip(np.cumsum(p)[:-1], 1e-12, 1 - 1e-12))


def power_ordinal_effect(
    n: int,
    beta: float,
    *,
    baseline_probs: Sequence[float] | None = None,
    covariate: str | Callable[[np.random.Generator, int], np.ndarray] = "normal",
    p_binary: float = 0.5,
    alpha: float = 0.05,
    reps: int = 200,
    seed: int = 0,
) -> dict[str, float | int]:
    """Simulated power of the Wald test (HC0) of a proportional-odds coefficient ``beta``.

    Data: one covariate x (``"normal"`` = standard normal, so ``beta`` is per SD; ``"binary"`` = Bernoulli
    ``p_binary``; or a function ``(rng, n) -> x``), and Y = number of thresholds below ``beta * x + e`` with
    logistic e, where the thresholds reproduce ``baseline_probs`` at x = 0 (default: six equally likely levels
    0-5, like the maturity ladder).  Each replicate is fitted with :func:`vsr_analysis.stats.ordinal_model.fit_ordinal` and the
    coefficient's two-sided p-value compared with ``alpha``.  Other covariates are not modelled: their presence
    would change power through the residual variation and the correlation with x.
    """
    from vsr_analysis.stats.ordinal_model import fit_ordinal

    cuts = _cuts_from_probs(baseline_probs if baseline_probs is not None else np.ones(6))

    def draw_x(rng: np.random.Generator) -> np.ndarray:
        if callable(covariate):
            return np.asarray(covariate(rng, n), float)
        if covariate == "normal":
            return rng.standard_normal(n)
        if covariate == "binary":
            return rng.binomial(1, p_binary, n).astype(float)
        raise ValueError("covariate must be 'normal', 'binary' or a function")

    def simulate(rng: np.random.Generator) -> pd.DataFrame:
        x = draw_x(rng)
        latent = beta * x + rng.logistic(size=n)
        y = np.searchsorted(cuts, latent)  # number of thresholds below the latent value
        return pd.DataFrame({"y": y, "x": x})

    def test(df: pd.DataFrame) -> float:
        fit = fit_ordinal(df, "y", ["x"])
        if not fit.converged:
            return float("nan")
        return float(fit.coef_table()["p_value"].iloc[0])

    out = simulate_power(simulate, test, reps=reps, seed=seed, alpha=alpha)
    out.update({"n": n, "beta": beta})
    return out
