"""Response-propensity weights: the check on raking that the methods checklist asks for.

Raking matches the frame on a few margins; a response-propensity model instead predicts each municipality's
chance of answering from its register characteristics (here: log population, centrality, merger and county) and
weights respondents by the inverse of that chance, scaled to the frame size (:func:`propensity_weights`).  If the two sets of weights agree
(high correlation, similar weighted estimates), the weighted results do not hinge on the weighting method.

:func:`response_propensity` estimates each unit's response probability with a cross-validated, regularised
logistic regression (:mod:`vsr_analysis.stats.penalised_logit`) for the variance of the raked shares
(:mod:`vsr_analysis.stats.calibration_variance`); :func:`calibration_check` shows whether those probabilities
are calibrated.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
import statsmodels.api as sm


def propensity_weights(
    frame: pd.DataFrame, respondent: str, covariates: list[str], fixed_effects: list[str] | None = None
) -> tuple[pd.Series, pd.Series]:
    """Inverse-propensity weights for respondents (NaN for non-respondents) and the fitted propensities.

    The propensities are those of :func:`response_propensity` (regularised logistic regression over the whole
    frame, so a county where nobody or everybody answered does not break the fit); weights are 1 / p for
    respondents, rescaled so that they sum to the number of frame units.
    """
    p = response_propensity(frame, respondent, covariates, fixed_effects).prob.rename("propensity")
    responded = frame[respondent].astype(bool)
    w = (1.0 / p.clip(lower=1e-9)).where(responded)
    w = w * (len(frame) / w.sum())
    return w.rename("propensity_weight"), p


def compare_weights(a: pd.Series, b: pd.Series) -> dict[str, float]:
    """Agreement of two weight vectors over the units both weight: correlation and ratio range."""
    both = pd.concat([a, b], axis=1).dropna()
    ratio = both.iloc[:, 0] / both.iloc[:, 1]
    return {
        "correlation": float(np.corrcoef(both.iloc[:, 0], both.iloc[:, 1])[0, 1]),
        "ratio_min": float(ratio.min()),
        "ratio_max": float(ratio.max()),
        "n": int(len(both)),
    }


# --- response propensities for the variance of the raked shares --------------------------------------------


#: Inverse L2 penalties tried by cross-validation (sklearn's C: the loss is C * sum of log-losses + |beta|^2 / 2).
PENALTY_GRID = np.logspace(-3, 3, 12)


@dataclass(frozen=True)
class ResponsePropensity:
    """Estimated response probabilities pi_i of every frame unit and the evidence that they are calibrated.

    ``prob``: fitted probabilities (the model refitted on all units at the chosen penalty); ``cv_prob``:
    out-of-fold predictions (each unit predicted by a model that did not see it), used for the calibration
    check; ``penalty_c``: the inverse L2 penalty chosen by cross-validation; ``folds``; ``method`` in words.
    """

    prob: pd.Series
    cv_prob: pd.Series
    penalty_c: float | None
    folds: int
    method: str


#: Standardised covariates are multiplied by this before the L2 penalty, so their coefficients are penalised
#: 1/100 as much as the fixed-effect dummies': the penalty shrinks the many county effects, not the few
#: register covariates that carry the response mechanism (shrinking those makes the propensities too flat).
COVARIATE_SCALE = 10.0


def _design_matrix(frame: pd.DataFrame, covariates: list[str], fixed_effects: list[str] | None) -> np.ndarray:
    X = frame[covariates].astype(float)
    X = COVARIATE_SCALE * (X - X.mean()) / X.std(ddof=0).replace(0.0, 1.0)
    for fe in fixed_effects or []:
        X = X.join(pd.get_dummies(frame[fe].astype(str), prefix=fe, dtype=float))
    return X.to_numpy(dtype=float)


def response_propensity(
    frame: pd.DataFrame,
    respondent: str,
    covariates: list[str],
    fixed_effects: list[str] | None = None,
    *,
    folds: int = 5,
    seed: int = 0,
) -> ResponsePropensity:
    """Response probabilities by cross-validated L2-regularised logistic regression.

    The penalty is chosen among the 12 values of :data:`PENALTY_GRID` by stratified ``folds``-fold
    cross-validated log-loss (scikit-learn's ``StratifiedKFold`` makes the folds; the fits are Newton's method in
    :mod:`vsr_analysis.stats.penalised_logit`, scikit-learn's ``LogisticRegressionCV`` objective, checked against
    it in tests/test_propensity.py).  County (or any ``fixed_effects``) dummies are all kept and shrunk, so a
    county where nobody (or everybody) answered gets a finite, pulled-in estimate instead of 0 or 1.  Covariates
    are standardised and scaled by :data:`COVARIATE_SCALE` (lightly penalised).
    When every unit (or none) answered there is nothing to fit: the probabilities are that constant (1 or 0)
    and ``method`` says so.  With fewer answering (or non-answering) units than ``folds``, the folds shrink;
    with fewer than two, the penalty is fixed at C = 1.
    """
    from scipy.special import expit
    from sklearn.model_selection import StratifiedKFold

    from vsr_analysis.stats.penalised_logit import cross_validated_logit, newton_logit

    y = np.asarray(frame[respondent].astype(bool).to_numpy(), dtype=int)
    idx = frame.index
    if y.min() == y.max():
        const = pd.Series(float(y[0]), index=idx, name="response_propensity")
        return ResponsePropensity(const, const.copy(), None, 0, "every unit answered" if y[0] else "no unit answered")
    X = _design_matrix(frame, covariates, fixed_effects)
    k = int(min(folds, np.bincount(y).min()))
    if k < 2:
        beta = newton_logit(X, y[None, :].astype(float), np.ones((1, y.size)), 1.0)[0]
        s = pd.Series(expit(beta[0] + X @ beta[1:]), index=idx, name="response_propensity")
        return ResponsePropensity(
            s, s.copy(), 1.0, 0, "L2 logistic regression, C = 1 (too few cases to cross-validate)"
        )
    cv = StratifiedKFold(n_splits=k, shuffle=True, random_state=seed)
    test_masks = np.zeros((k, 1, y.size), dtype=bool)
    for f, (_, test) in enumerate(cv.split(X, y)):
        test_masks[f, 0, test] = True
    fit = cross_validated_logit(X, y[None, :], test_masks, PENALTY_GRID)
    c = float(fit.penalty[0])
    return ResponsePropensity(
        pd.Series(fit.prob[0], index=idx, name="response_propensity"),
        pd.Series(fit.cv_prob[0], index=idx, name="response_propensity_cv"),
        c,
        k,
        f"L2 logistic regression, penalty chosen by {k}-fold cross-validated log-loss (C = {c:.3g})",
    )


def calibration_check(observed, predicted, groups: int = 5) -> tuple[pd.DataFrame, dict]:
    """Is a probability model calibrated?  Observed rate against mean prediction in ``groups`` quantile groups.

    Returns the table (group, units, mean predicted, observed rate) and a summary: Brier score of the
    predictions and of the constant overall rate (a useful model scores lower), and the calibration slope and
    intercept (logistic regression of the outcome on logit(prediction); 1 and 0 when calibrated).
    """
    y = np.asarray(pd.Series(observed).astype(float).to_numpy(), dtype=float)
    p = np.clip(np.asarray(pd.Series(predicted).astype(float).to_numpy(), dtype=float), 1e-9, 1 - 1e-9)
    ranks = pd.Series(p).rank(method="first").to_numpy()
    g = np.minimum((ranks - 1) * groups // len(p), groups - 1).astype(int) if len(p) else np.array([], int)
    table = (
        pd.DataFrame({"group": g + 1, "predicted": p, "observed": y})
        .groupby("group", as_index=False)
        .agg(units=("observed", "size"), mean_predicted=("predicted", "mean"), observed_rate=("observed", "mean"))
    )
    summary = {
        "brier": float(np.mean((y - p) ** 2)) if len(y) else float("nan"),
        "brier_constant": float(np.mean((y - y.mean()) ** 2)) if len(y) else float("nan"),
        "slope": float("nan"),
        "intercept": float("nan"),
    }
    if len(y) and 0 < y.mean() < 1:
        lp = np.log(p / (1 - p))
        try:
            fit = sm.GLM(y, sm.add_constant(lp, has_constant="add"), family=sm.families.Binomial()).fit()
            summary.update(intercept=float(fit.params[0]), slope=float(fit.params[1]))
        except Exception:  # noqa: BLE001 - a separable or degenerate fit leaves the slope undefined
            pass
    return table, summary
