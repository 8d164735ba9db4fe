"""Simulated power: what the survey's primary tests could detect, by Monte Carlo.

The power page ("Power and design analysis") simulates each confirmatory claim's primary test many times under
stated effect sizes, on the survey's *own* design: the responding municipalities' covariates, counties and
raking weights are kept as they are, only the outcome is drawn anew (power conditional on the design as fielded).

* :func:`ordinal_design` - the complete-case design matrix of a proportional-odds model exactly as
  :func:`vsr_analysis.stats.ordinal_model.fit_ordinal` builds it (covariates, then fixed-effect dummies with the
  first sorted level dropped; rows with a missing outcome, covariate, fixed effect or weight, or weight 0, left out).
* :func:`simulate_ordinal_tests` - draw proportional-odds outcomes for stated coefficients (common random
  numbers across effect sizes when the same ``errors`` are passed), fit all replicates at once with the one
  cumulative-logit engine (:func:`vsr_analysis.stats.cumulative_logit.fit_batch`, the engine ``fit_ordinal``
  uses), and return, per replicate, the estimate and two-sided Wald p-value of each tested term and the joint
  Wald p-value.  Per-replicate weights (0 drops a row) and slopes held at 0 reproduce ``fit_ordinal``'s dropping
  of a quasi-separated fixed-effect level; replicates that miss an outcome level or do not converge are refitted
  with ``fit_ordinal`` itself.
* :func:`share_pvalues` - the one-sided p-value of :func:`vsr_analysis.stats.shares.share_test` for many 0/1
  outcome vectors at once (same weights).
* :func:`prob_at_least` - exact binomial probability of at least ``k`` cases.
* :func:`rejection_summary` - a power estimate with its Monte Carlo Wilson interval; :func:`first_crossing`.
* :func:`simulate_power` - generic Monte Carlo power: simulate a data set, test it, count rejections.
* :func:`power_ordinal_effect` - simulated power of the HC0 Wald test of one proportional-odds coefficient for a
  covariate with a given distribution (not the fielded design).

Closed-form power is in :mod:`vsr_analysis.stats.power_analytic`.
Randomness only from the ``numpy.random.Generator`` passed in, or ``SeedSequence(seed)``.
"""

from __future__ import annotations

import warnings
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd
from scipy import special, stats

from vsr_analysis.stats.cumulative_logit import fit_batch
from vsr_analysis.stats.ordinal_model import fit_ordinal
from vsr_analysis.stats.shares import wilson

__all__ = [
    "OrdinalDesign",
    "ordinal_design",
    "cuts_for",
    "simulate_ordinal_tests",
    "draw_ordinal_outcomes",
    "fit_ordinal_tests",
    "term_alone",
    "sub_design",
    "simulate_component_iut",
    "simulate_marginal_iut",
    "share_pvalues",
    "prob_at_least",
    "rejection_summary",
    "first_crossing",
    "simulate_power",
    "power_ordinal_effect",
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
    unknown = [t for t in [*coefs, *test_terms] if t not in design.names]
    if unknown:
        raise KeyError(f"unknown term(s): {', '.join(unknown)}")
    Y = draw_ordinal_outcomes(design, coefs, baseline_probs=baseline_probs, errors=errors, reps=reps, rng=rng,
                              center=center)  # fmt: skip
    return fit_ordinal_tests(design, Y, len(cuts_for(baseline_probs)) + 1, test_terms)


def draw_ordinal_outcomes(
    design: OrdinalDesign,
    coefs: dict[str, float],
    *,
    baseline_probs: Sequence[float],
    errors: np.ndarray | None = None,
    reps: int | None = None,
    rng: np.random.Generator | None = None,
    center: bool = True,
) -> np.ndarray:
    """R x n proportional-odds outcomes on ``design`` (see :func:`simulate_ordinal_tests`)."""
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
    return np.searchsorted(cuts, eta[None, :] + errors)  # number of cut-points below the latent value


def fit_ordinal_tests(design: OrdinalDesign, Y: np.ndarray, J: int, test_terms: Sequence[str]) -> pd.DataFrame:
    """Fit every row of ``Y`` (R x n, levels 0..J-1) on ``design``: the result of :func:`simulate_ordinal_tests`."""
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
    fit = fit_batch(design.X, Y, W, J, fixed=fixed, max_iter=100)
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


def sub_design(design: OrdinalDesign, covariates: Sequence[str], fixed_effects: bool) -> OrdinalDesign:
    """The same rows and weights with only ``covariates`` (and the design's fixed effects if ``fixed_effects``)."""
    names = list(covariates)
    fes = list(design.fixed_effects) if fixed_effects else []
    names += [nm for nm in design.names if any(nm.startswith(f"{fe}[") for fe in fes)]
    idx = [design.names.index(nm) for nm in names]
    return OrdinalDesign(
        X=design.X[:, idx], names=names, w=design.w, covariates=list(covariates), fixed_effects=fes,
        weights=design.weights, rows=design.rows,
    )  # fmt: skip


def term_alone(design: OrdinalDesign, term: str) -> OrdinalDesign:
    """The same rows and weights with ``term`` as the only covariate and no fixed effects (a marginal model)."""
    return sub_design(design, [term], fixed_effects=False)


def simulate_component_iut(
    design: OrdinalDesign,
    coefs: dict[str, float],
    *,
    baseline_probs: Sequence[float],
    models: dict[str, Sequence[str]],
    fixed_effects: bool,
    errors: np.ndarray | None = None,
    reps: int | None = None,
    rng: np.random.Generator | None = None,
    center: bool = True,
) -> pd.DataFrame:
    """A conjunction's rule on simulated outcomes: each component in its own model, one-sided tests, the
    intersection-union p-value.

    Outcomes are drawn from the full ``design`` with ``coefs`` (every named term acting together); each replicate
    is then analysed as the ledger does: for each ``term -> controls`` of ``models``, a weighted
    proportional-odds model of the term and its controls (with the design's fixed effects if ``fixed_effects``),
    the one-sided Wald p-value for a positive coefficient, and ``p_iut`` the largest of them.  Every model uses
    the design's rows (complete for all its columns) and weights.  Returns ``est_<term>``, ``p_<term>``
    (one-sided), ``p_iut``, ``fallback`` and ``failed``.
    """
    Y = draw_ordinal_outcomes(design, coefs, baseline_probs=baseline_probs, errors=errors, reps=reps, rng=rng,
                              center=center)  # fmt: skip
    J = len(cuts_for(baseline_probs)) + 1
    out: dict[str, np.ndarray] = {}
    fallback = np.zeros(Y.shape[0], dtype=bool)
    failed = np.zeros(Y.shape[0], dtype=bool)
    for t, controls in models.items():
        sim = fit_ordinal_tests(sub_design(design, [t, *controls], fixed_effects), Y, J, [t])
        est, p2 = sim[f"est_{t}"].to_numpy(), sim[f"p_{t}"].to_numpy()
        out[f"est_{t}"] = est
        out[f"p_{t}"] = np.where(est > 0, p2 / 2, 1 - p2 / 2)
        fallback |= sim["fallback"].to_numpy()
        failed |= sim["failed"].to_numpy()
    p_iut = np.max(np.column_stack([out[f"p_{t}"] for t in models]), axis=1)
    out["p_iut"] = np.where(failed, np.nan, p_iut)
    out["fallback"] = fallback
    out["failed"] = failed
    return pd.DataFrame(out)


def simulate_marginal_iut(
    design: OrdinalDesign,
    coefs: dict[str, float],
    *,
    baseline_probs: Sequence[float],
    terms: Sequence[str],
    errors: np.ndarray | None = None,
    reps: int | None = None,
    rng: np.random.Generator | None = None,
    center: bool = True,
) -> pd.DataFrame:
    """F3's rule on simulated outcomes: each term alone, one-sided tests, the intersection-union p-value.

    :func:`simulate_component_iut` with every term alone and no fixed effects, as the ledger analyses F3
    (``claims.conjunction_evidence.f3_evidence``): each term alone in a weighted proportional-odds model without
    fixed effects (:func:`term_alone`, the design's rows and weights).
    """
    return simulate_component_iut(
        design, coefs, baseline_probs=baseline_probs, models={t: [] for t in terms}, fixed_effects=False,
        errors=errors, reps=reps, rng=rng, center=center,
    )  # fmt: skip


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


# ----------------------------------------------------------------------------------------------------------
# generic Monte Carlo power and a one-covariate ordinal model
# ----------------------------------------------------------------------------------------------------------


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
