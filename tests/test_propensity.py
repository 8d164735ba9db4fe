"""Response-propensity weights recover a known response mechanism."""

import numpy as np
import pandas as pd

from vsr_analysis.stats.propensity import compare_weights, propensity_weights


def _frame(n=3000, seed=3):
    rng = np.random.default_rng(seed)
    x = rng.normal(size=n)
    p = 1 / (1 + np.exp(-(0.5 + 1.0 * x)))
    return pd.DataFrame({"x": x, "responded": rng.uniform(size=n) < p, "true_p": p})


def test_weights_sum_to_the_frame_and_track_the_true_propensity():
    frame = _frame()
    w, p = propensity_weights(frame, "responded", ["x"])
    assert w[~frame["responded"]].isna().all()
    assert np.isclose(w.sum(), len(frame))
    assert np.corrcoef(p, frame["true_p"])[0, 1] > 0.99


def test_weighting_removes_the_response_bias_in_a_mean():
    frame = _frame()
    w, _ = propensity_weights(frame, "responded", ["x"])
    resp = frame[frame["responded"]]
    naive = resp["x"].mean()
    weighted = np.average(resp["x"], weights=w[frame["responded"]])
    assert abs(weighted - frame["x"].mean()) < abs(naive - frame["x"].mean()) / 3


def test_compare_weights():
    a = pd.Series([1.0, 2.0, np.nan, 4.0])
    out = compare_weights(a, a * 2)
    assert out["correlation"] == 1.0 and out["ratio_min"] == 0.5 == out["ratio_max"] and out["n"] == 3


def test_response_propensity_is_calibrated_out_of_fold_and_close_to_the_unpenalised_fit():
    import statsmodels.api as sm

    from vsr_analysis.stats.propensity import calibration_check, response_propensity

    frame = _frame(n=1500, seed=5)
    rp = response_propensity(frame, "responded", ["x"], folds=5, seed=0)
    assert rp.folds == 5 and rp.penalty_c is not None
    table, summary = calibration_check(frame["responded"], rp.cv_prob)
    assert len(table) == 5 and table["units"].sum() == len(frame)
    assert summary["brier"] < summary["brier_constant"]  # the model predicts better than a constant rate
    assert 0.7 < summary["slope"] < 1.3
    # with 1,500 units the penalty matters little: close to the unpenalised maximum-likelihood fit (statsmodels)
    X = sm.add_constant(frame[["x"]])
    ml = sm.GLM(frame["responded"].astype(float), X, family=sm.families.Binomial()).fit().predict(X)
    assert np.max(np.abs(rp.prob.to_numpy() - ml.to_numpy())) < 0.02


def test_response_propensity_degenerate_patterns():
    from vsr_analysis.stats.propensity import response_propensity

    frame = _frame(n=60, seed=1).assign(county=lambda d: np.where(d["x"] > 1.2, "a", "b"))
    everyone = response_propensity(frame.assign(responded=True), "responded", ["x"])
    assert (everyone.prob == 1.0).all() and "every unit" in everyone.method
    nobody_in_a = frame.assign(responded=np.where(frame["county"] == "a", False, frame["responded"]))
    rp = response_propensity(nobody_in_a, "responded", ["x"], ["county"])
    assert rp.prob.between(0, 1).all() and rp.prob[frame["county"] == "a"].max() < 1
    one_miss = frame.assign(responded=True)
    one_miss.loc[0, "responded"] = False
    rp1 = response_propensity(one_miss, "responded", ["x"])
    assert rp1.folds == 0 and "too few" in rp1.method


def test_numpy_cross_validation_equals_scikit_learn_logistic_regression_cv():
    """The Newton fits of stats.penalised_logit against scikit-learn, the independent implementation, on a real
    frame (the register) with a simulated response pattern and county dummies (SIMULATED DATA)."""
    from sklearn.linear_model import LogisticRegression, LogisticRegressionCV
    from sklearn.model_selection import StratifiedKFold, cross_val_predict

    from vsr_analysis.claims.share_evidence import PROPENSITY_COVARIATES, PROPENSITY_FIXED_EFFECTS
    from vsr_analysis.data.analysis_frame import add_analysis_columns
    from vsr_analysis.data.frame import build_frame
    from vsr_analysis.data.register import load_register
    from vsr_analysis.stats.propensity import PENALTY_GRID, _design_matrix, response_propensity
    from vsr_analysis.synth import replica

    register = load_register()
    rows, _ = replica.generate("unequal-response", 11, register)
    frame = add_analysis_columns(build_frame(rows, register))
    ours = response_propensity(frame, "responded", PROPENSITY_COVARIATES, PROPENSITY_FIXED_EFFECTS, seed=0)

    X = _design_matrix(frame, PROPENSITY_COVARIATES, PROPENSITY_FIXED_EFFECTS)
    y = frame["responded"].astype(int).to_numpy()
    cv = StratifiedKFold(n_splits=5, shuffle=True, random_state=0)
    ref = LogisticRegressionCV(
        Cs=PENALTY_GRID, cv=cv, scoring="neg_log_loss", solver="newton-cholesky", tol=1e-10, max_iter=500,
        l1_ratios=(0.0,), use_legacy_attributes=False,
    ).fit(X, y)  # fmt: skip
    c = float(np.ravel(ref.C_)[0])
    assert ours.penalty_c == c
    assert np.max(np.abs(ours.prob.to_numpy() - ref.predict_proba(X)[:, 1])) < 1e-6
    ref_cv = cross_val_predict(
        LogisticRegression(C=c, solver="newton-cholesky", tol=1e-10), X, y, cv=cv, method="predict_proba"
    )[:, 1]
    assert np.max(np.abs(ours.cv_prob.to_numpy() - ref_cv)) < 1e-6
