"""Tests for vsr_analysis.stats.ordinal_model: the ordinal model against statsmodels, weights, fixed effects, AMEs, PO check."""

from __future__ import annotations

import json
import re
import warnings

import numpy as np
import pandas as pd
import pytest
import statsmodels.api as sm
from scipy import special
from statsmodels.miscmodels.ordinal_model import OrderedModel

from vsr_analysis.stats import ordinal_model as models

COVS = ["log_population", "centrality", "merged_2017_2020", "network_member"]
TRUE = {"log_population": 0.7, "centrality": 1.5, "merged_2017_2020": 0.5, "network_member": 0.6}
CUTS = np.array([4.0, 5.0, 6.0, 7.0, 8.0])  # on the scale of eta below
COUNTIES = ["03", "11", "15", "18", "30", "31", "32", "33", "34", "39", "40"]


def make_frame(n: int = 300, seed: int = 1) -> pd.DataFrame:
    """Synthetic analysis frame following the proportional-odds model with known parameters."""
    rng = np.random.default_rng(seed)
    df = pd.DataFrame(
        {
            "log_population": rng.normal(8.7, 1.1, n),
            "centrality": rng.uniform(0.3, 1.0, n),
            "merged_2017_2020": rng.binomial(1, 0.3, n),
            "network_member": rng.binomial(1, 0.3, n),
            "county_code": rng.choice(COUNTIES, n),
            "weight": rng.uniform(0.6, 1.8, n),
        }
    )
    eta = sum(TRUE[c] * df[c] for c in COVS)
    latent = eta + rng.logistic(size=n)
    df["maturity_stage"] = np.searchsorted(CUTS, latent.to_numpy())
    return df


@pytest.fixture(scope="module")
def frame() -> pd.DataFrame:
    return make_frame()


@pytest.fixture(scope="module")
def fit(frame):
    return models.fit_ordinal(frame, "maturity_stage", COVS)


def test_matches_statsmodels_ordered_model(frame, fit):
    om = OrderedModel(frame["maturity_stage"], frame[COVS], distr="logit")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        res = om.fit(method="bfgs", disp=False, maxiter=5000, gtol=1e-10, cov_type="HC0")
    np.testing.assert_allclose(fit.params[COVS].to_numpy(), res.params[COVS].to_numpy(), atol=1e-5)
    thresholds = om.transform_threshold_params(res.params.to_numpy())[1:-1]
    np.testing.assert_allclose(fit.thresholds.to_numpy(), thresholds, atol=1e-5)
    assert list(fit.thresholds.index) == ["0|1", "1|2", "2|3", "3|4", "4|5"]
    # HC0 sandwich for the slopes is invariant to the threshold parameterisation
    np.testing.assert_allclose(fit.bse[COVS].to_numpy(), res.bse[COVS].to_numpy(), rtol=1e-4)
    assert fit.loglik == pytest.approx(res.llf, abs=1e-7)
    # predictions agree too
    np.testing.assert_allclose(
        fit.predict_proba(frame.head(10)).to_numpy(), res.predict(frame[COVS].head(10)), atol=1e-6
    )


def test_basic_attributes(fit, frame):
    assert fit.converged
    assert fit.n == len(frame)
    assert fit.outcome_levels == [0, 1, 2, 3, 4, 5]
    assert list(fit.params.index[:4]) == COVS
    ct = fit.coef_table()
    assert list(ct.columns) == ["term", "estimate", "se", "z", "p_value", "ci_low", "ci_high", "odds_ratio"]
    assert list(ct["term"]) == COVS
    np.testing.assert_allclose(ct["odds_ratio"], np.exp(ct["estimate"]))
    assert (ct["ci_low"] < ct["estimate"]).all() and (ct["estimate"] < ct["ci_high"]).all()
    json.dumps(fit.to_dict())  # serialisable


def test_parameter_recovery_large_sample():
    df = make_frame(n=3000, seed=7)
    f = models.fit_ordinal(df, "maturity_stage", COVS)
    ct = f.coef_table().set_index("term")
    for term, beta in TRUE.items():
        assert abs(ct.loc[term, "estimate"] - beta) < 4 * ct.loc[term, "se"]
    np.testing.assert_allclose(f.thresholds.to_numpy(), CUTS, atol=4 * f.bse.iloc[4:].max())


def test_integer_weights_equal_replication(frame):
    rng = np.random.default_rng(5)
    df = frame.assign(fw=rng.integers(1, 4, len(frame)))
    fw = models.fit_ordinal(df, "maturity_stage", COVS, weights="fw")
    rep = df.loc[df.index.repeat(df["fw"])].reset_index(drop=True)
    fr = models.fit_ordinal(rep, "maturity_stage", COVS)
    np.testing.assert_allclose(fw.params.to_numpy(), fr.params.to_numpy(), atol=1e-8)
    assert fw.n == len(df)


def test_weighted_invariant_to_weight_scale(frame):
    a = models.fit_ordinal(frame, "maturity_stage", COVS, weights="weight")
    b = models.fit_ordinal(frame.assign(weight=frame["weight"] * 3.7), "maturity_stage", COVS, weights="weight")
    np.testing.assert_allclose(a.params.to_numpy(), b.params.to_numpy(), atol=1e-9)
    np.testing.assert_allclose(a.cov.to_numpy(), b.cov.to_numpy(), rtol=1e-7, atol=1e-12)


def test_weighted_sandwich_matches_glm_for_binary(frame):
    # a two-level outcome makes the cumulative engine a logit: compare with GLM(var_weights) HC0
    tab = models.fit_binary_logit(frame, "maturity_stage", COVS, cut=3, weights="weight").set_index("term")
    X = sm.add_constant(frame[COVS])
    y = (frame["maturity_stage"] >= 3).astype(int)
    g = sm.GLM(y, X, family=sm.families.Binomial(), var_weights=frame["weight"]).fit(cov_type="HC0")
    np.testing.assert_allclose(tab.loc[COVS, "estimate"], g.params[COVS], atol=1e-7)
    np.testing.assert_allclose(tab.loc["Intercept", "estimate"], g.params["const"], atol=1e-7)
    np.testing.assert_allclose(tab.loc[COVS, "se"], g.bse[COVS], rtol=1e-6)
    un = models.fit_binary_logit(frame, "maturity_stage", COVS, cut=3).set_index("term")
    lo = sm.Logit(y, X).fit(disp=0, cov_type="HC0")
    np.testing.assert_allclose(un.loc[COVS, "se"], lo.bse[COVS], rtol=1e-6)


def test_missing_rows_dropped(frame):
    df = frame.copy()
    df.loc[df.index[:7], "centrality"] = np.nan
    df.loc[df.index[5:10], "maturity_stage"] = np.nan
    f = models.fit_ordinal(df, "maturity_stage", COVS)
    assert f.n == len(df) - 10
    # and equals a fit on the complete cases
    g = models.fit_ordinal(df.dropna(subset=["centrality", "maturity_stage"]), "maturity_stage", COVS)
    np.testing.assert_allclose(f.params.to_numpy(), g.params.to_numpy(), atol=1e-10)


def test_fixed_effects_dummies_and_separation(frame):
    f = models.fit_ordinal(frame, "maturity_stage", COVS, fixed_effects=["county_code"])
    assert [t for t in f.terms if t.startswith("county_code[")] == [f"county_code[{c}]" for c in COUNTIES[1:]]
    assert list(f.coef_table()["term"]) == COVS
    assert len(f.coef_table(include_fixed_effects=True)) == 4 + 10
    # a county whose municipalities are all at the top stage is separated: dropped with a warning
    df = frame.copy()
    df.loc[df["county_code"] == "40", "maturity_stage"] = 5
    with pytest.warns(models.ModelWarning, match="county_code") as caught:
        g = models.fit_ordinal(df, "maturity_stage", COVS, fixed_effects=["county_code"])
    assert "county_code[40]" not in g.params.index
    # neither the note nor the warning names the dropped level or its number of rows: on a real file a level can
    # be one unit, and "dropped: every row at the highest level" would publish its answer
    dropped_rows = str(int((df["county_code"] == "40").sum()))
    for text in [*g.notes, *(str(w.message) for w in caught)]:
        assert "40" not in text and not re.search(rf"\b{dropped_rows}\b", text), text
    assert g.n == int((df["county_code"] != "40").sum())
    assert g.converged
    # prediction for a dropped level is refused
    with pytest.raises(ValueError, match="not in the fit"):
        g.predict_proba(df[df["county_code"] == "40"].head(2))


def test_bad_covariates_raise(frame):
    with pytest.raises(ValueError, match="no variation"):
        models.fit_ordinal(frame.assign(const=1.0), "maturity_stage", COVS + ["const"])
    with pytest.raises(ValueError, match="collinear"):
        models.fit_ordinal(frame.assign(dup=2 * frame["centrality"] + 1), "maturity_stage", COVS + ["dup"])
    with pytest.raises(KeyError):
        models.fit_ordinal(frame, "maturity_stage", ["nope"])


def test_wald(fit):
    one = fit.wald(["centrality"])
    z = fit.coef_table().set_index("term").loc["centrality", "z"]
    assert one["chi2"] == pytest.approx(z**2)
    assert one["df"] == 1
    joint = fit.wald(COVS)
    b = fit.params[COVS].to_numpy()
    V = fit.cov.loc[COVS, COVS].to_numpy()
    assert joint["chi2"] == pytest.approx(float(b @ np.linalg.inv(V) @ b))
    assert joint["df"] == 4 and 0 <= joint["p_value"] < 1e-6


def test_predict_proba(fit, frame):
    P = fit.predict_proba(frame.head(20))
    assert list(P.columns) == fit.outcome_levels
    np.testing.assert_allclose(P.sum(axis=1), 1.0)
    ge4 = fit.predict_ge(frame.head(20), 4)
    np.testing.assert_allclose(ge4, P[[4, 5]].sum(axis=1))
    nd = frame.head(3).copy()
    nd.loc[nd.index[0], "centrality"] = np.nan
    assert fit.predict_proba(nd).iloc[0].isna().all()


def test_ame_matches_finite_differences(fit, frame):
    tab = fit.ame(4).set_index("term")
    assert list(tab["kind"]) == ["derivative", "derivative", "discrete", "discrete"]
    h = 1e-5
    for term in ["log_population", "centrality"]:
        up = fit.predict_ge(frame.assign(**{term: frame[term] + h}), 4).mean()
        dn = fit.predict_ge(frame.assign(**{term: frame[term] - h}), 4).mean()
        assert tab.loc[term, "estimate"] == pytest.approx((up - dn) / (2 * h), rel=1e-6)
    for term in ["merged_2017_2020", "network_member"]:
        d = fit.predict_ge(frame.assign(**{term: 1}), 4).mean() - fit.predict_ge(frame.assign(**{term: 0}), 4).mean()
        assert tab.loc[term, "estimate"] == pytest.approx(d, rel=1e-9)
    assert (tab["se"] > 0).all() and (tab["ci_low"] < tab["estimate"]).all()
    # delta-method SE for a continuous AME: compare with an analytic gradient
    p = len(fit.terms)
    theta = fit.params.to_numpy()
    X = fit._X
    eta = X @ theta[:p]
    c = theta[p + 3]  # threshold 3|4
    F = special.expit(eta - c)
    f = F * (1 - F)
    fp = f * (1 - 2 * F)
    j = 1  # centrality
    g = np.zeros(theta.size)
    g[:p] = theta[j] * (fp[:, None] * X).mean(axis=0)
    g[j] += f.mean()
    g[p + 3] = -theta[j] * fp.mean()
    se = float(np.sqrt(g @ fit.cov.to_numpy() @ g))
    assert tab.loc["centrality", "se"] == pytest.approx(se, rel=1e-5)
    with pytest.raises(ValueError):
        fit.ame(0)


def test_weighted_ame_uses_weights(frame):
    f = models.fit_ordinal(frame, "maturity_stage", COVS, weights="weight")
    tab = f.ame(4, terms=["network_member"]).set_index("term")
    w = frame["weight"] / frame["weight"].sum()
    d = f.predict_ge(frame.assign(network_member=1), 4) - f.predict_ge(frame.assign(network_member=0), 4)
    assert tab.loc["network_member", "estimate"] == pytest.approx(float((w * d).sum()), rel=1e-9)


def test_cumulative_logits_consistent_with_binary_fits(frame):
    res = models.fit_cumulative_logits(frame, "maturity_stage", COVS)
    assert res.cuts == [1, 2, 3, 4, 5]
    assert set(res.table.columns) >= {"cut", "term", "estimate", "se", "ci_low", "ci_high"}
    for cut in (2, 4):
        b = models.fit_binary_logit(frame, "maturity_stage", COVS, cut=cut).set_index("term")
        t = res.table[res.table["cut"] == cut].set_index("term")
        np.testing.assert_allclose(t.loc[COVS, "estimate"], b.loc[COVS, "estimate"], atol=1e-10)
        np.testing.assert_allclose(t.loc[COVS, "se"], b.loc[COVS, "se"], rtol=1e-10)
    es = res.equal_slopes.set_index("term")
    assert list(es.index) == COVS
    assert (es["df"] == 4).all()
    # data generated under proportional odds: no strong evidence against it
    assert res.global_test["df"] == 16
    assert res.global_test["p_value"] > 0.001
    np.testing.assert_allclose(es["range"], es["max_estimate"] - es["min_estimate"])


def test_equal_slopes_test_detects_non_proportional_odds():
    rng = np.random.default_rng(11)
    n = 1500
    x = rng.binomial(1, 0.5, n).astype(float)
    # group x=1 is much more dispersed: its odds of Y>=k are lower at low cuts and higher at high cuts
    latent = rng.logistic(size=n) * np.where(x == 1, 3.0, 1.0)
    df = pd.DataFrame({"x": x, "z": rng.normal(size=n), "y": np.searchsorted([-2.0, -0.7, 0.7, 2.0], latent)})
    res = models.fit_cumulative_logits(df, "y", ["x", "z"])
    es = res.equal_slopes.set_index("term")
    assert es.loc["x", "p_value"] < 1e-6
    assert es.loc["z", "p_value"] > 0.001
    ests = res.table[res.table["term"] == "x"].set_index("cut")["estimate"]
    assert ests.iloc[0] < 0 < ests.iloc[-1]


def test_fit_ols_matches_statsmodels(frame):
    tab = models.fit_ols(frame, "maturity_stage", COVS, weights="weight").set_index("term")
    X = sm.add_constant(frame[COVS])
    r = sm.WLS(frame["maturity_stage"].astype(float), X, weights=frame["weight"]).fit(cov_type="HC3")
    np.testing.assert_allclose(tab.loc[COVS, "estimate"], r.params[COVS], atol=1e-10)
    np.testing.assert_allclose(tab.loc[COVS, "se"], r.bse[COVS], rtol=1e-10)
    fe = models.fit_ols(frame, "maturity_stage", COVS, fixed_effects=["county_code"])
    assert list(fe["term"]) == ["Intercept"] + COVS


def test_binary_logit_requires_binary(frame):
    with pytest.raises(ValueError, match="0/1"):
        models.fit_binary_logit(frame, "maturity_stage", COVS)
    tab = models.fit_binary_logit(frame.assign(top=(frame["maturity_stage"] >= 4).astype(int)), "top", COVS)
    tab2 = models.fit_binary_logit(frame, "maturity_stage", COVS, cut=4)
    np.testing.assert_allclose(tab["estimate"], tab2["estimate"])


def test_a_top_cut_with_one_unit_is_left_out_of_the_equal_slopes_test_not_a_crash(frame):
    """A valid file may have one unit at the top stage (issue 12, the planted respondent of issue 13)."""
    one_at_top = frame.copy()
    top = one_at_top["maturity_stage"].max()
    one_at_top.loc[one_at_top["maturity_stage"] == top, "maturity_stage"] = top - 1
    one_at_top.loc[one_at_top.index[0], "maturity_stage"] = top
    with pytest.warns(models.ModelWarning):
        res = models.fit_cumulative_logits(one_at_top, "maturity_stage", COVS, weights="weight")
    assert any(f"cut {top}:" in note and "left out" in note for note in res.notes)
    es = res.equal_slopes.set_index("term")
    assert (es["df"] == len(res.cuts) - 2).all()  # the other cuts are still tested against each other
    assert np.isfinite(es["chi2"]).all()
