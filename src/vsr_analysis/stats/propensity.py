"""Response-propensity weights: the check on raking that the methods checklist asks for.

Raking matches the frame on a few margins; a response-propensity model instead predicts each municipality's
chance of answering from its register characteristics (here: log population, centrality, merger and county) and
weights respondents by the inverse of that chance, scaled to the frame size.  If the two sets of weights agree
(high correlation, similar weighted estimates), the weighted results do not hinge on the weighting method.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import statsmodels.api as sm


def propensity_weights(
    frame: pd.DataFrame, respondent: str, covariates: list[str], fixed_effects: list[str] | None = None
) -> tuple[pd.Series, pd.Series]:
    """Inverse-propensity weights for respondents (NaN for non-respondents) and the fitted propensities.

    A logistic regression of ``respondent`` on ``covariates`` (plus dummies of ``fixed_effects``) over the whole
    frame; weights are 1 / p for respondents, rescaled so that they sum to the number of frame units.
    """
    X = frame[covariates].astype(float)
    for fe in fixed_effects or []:
        X = X.join(pd.get_dummies(frame[fe].astype(str), prefix=fe, drop_first=True, dtype=float))
    X = sm.add_constant(X, has_constant="add")
    y = frame[respondent].astype(float)
    fit = sm.GLM(y, X, family=sm.families.Binomial()).fit()
    p = pd.Series(fit.predict(X), index=frame.index, name="propensity")
    responded = frame[respondent].astype(bool)
    w = (1.0 / p).where(responded)
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
