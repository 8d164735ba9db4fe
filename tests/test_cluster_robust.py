"""County-clustered variances with few clusters: CR2 against R clubSandwich, ordinal CR0/CR1 against statsmodels."""

import warnings

import numpy as np
import pandas as pd
import pytest

from vsr_analysis.stats.cluster_robust import (
    cr2_linear,
    ordinal_cluster_cov,
    rows_used,
    wild_score_bootstrap,
)
from vsr_analysis.stats.fixed_effects import largest_level, with_reference
from vsr_analysis.stats.ordinal_model import fit_ordinal

COV = ["political_anchoring", "log_population", "centrality", "merged_2017_2020", "network_member"]


@pytest.fixture(scope="module")
def data():
    from vsr_analysis.loading import load_frame

    d = load_frame("synthetic:vsr-narrative:2021").respondents
    cols = ["maturity_stage", *COV, "county_code", "weight"]
    return d[cols].dropna().reset_index(drop=True)


def test_cr2_with_satterthwaite_df_equals_clubsandwich(data):
    # Reference: R 4, clubSandwich, on the same 254 complete cases (written to CSV from this fixture):
    #   d$county_code <- relevel(factor(d$county_code), ref = "30")
    #   f <- lm(maturity_stage ~ political_anchoring + log_population + centrality + merged_2017_2020 +
    #           network_member + county_code, data = d, weights = weight)
    #   coef_test(f, vcov = "CR2", cluster = d$county_code, test = "Satterthwaite")
    ref = {
        "political_anchoring": (0.273302126261, 0.0582195558642, 8.06146079270),
        "log_population": (0.234657375018, 0.1291553791172, 6.95954175126),
        "centrality": (0.137283562252, 0.1612406627949, 7.50819763921),
        "merged_2017_2020": (0.694810590556, 0.3355265421474, 6.85611730159),
        "network_member": (0.768293353337, 0.1630794309112, 7.57407214544),
    }
    assert len(data) == 254
    county = data["county_code"].astype(str)
    levels = sorted(set(county) - {"30"})
    X = np.column_stack(
        [np.ones(len(data)), data[COV].to_numpy(float)] + [(county == lv).to_numpy(float) for lv in levels]
    )
    tab = cr2_linear(
        X, data["maturity_stage"].to_numpy(float), county, data["weight"].to_numpy(), names=["c", *COV, *levels]
    )
    tab = tab.set_index("term")
    for term, (beta, se, df) in ref.items():
        assert tab.loc[term, "estimate"] == pytest.approx(beta, abs=1e-9)
        assert tab.loc[term, "se"] == pytest.approx(se, abs=1e-9)
        assert tab.loc[term, "df"] == pytest.approx(df, abs=1e-7)


@pytest.mark.parametrize("kind, correction", [("CR0", False), ("CR1", True)])
def test_ordinal_cluster_cov_equals_statsmodels(data, kind, correction):
    from statsmodels.miscmodels.ordinal_model import OrderedModel

    fit = fit_ordinal(data, "maturity_stage", COV)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        ref = OrderedModel(data["maturity_stage"], data[COV], distr="logit").fit(
            method="bfgs",
            disp=False,
            maxiter=2000,
            gtol=1e-10,
            cov_type="cluster",
            cov_kwds={"groups": pd.factorize(data["county_code"])[0], "use_correction": correction},
        )
    ours = np.sqrt(np.diag(ordinal_cluster_cov(fit, data["county_code"], kind).loc[COV, COV]))
    np.testing.assert_allclose(ours, np.asarray(ref.bse[: len(COV)]), rtol=1e-5)


def test_wild_score_bootstrap_is_reproducible_and_agrees_with_cr1(data):
    ranked = with_reference(data, "county_code", largest_level(data, "county_code"))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        fit = fit_ordinal(ranked, "maturity_stage", COV, weights="weight", fixed_effects=["county_code"])
    clusters = ranked.loc[rows_used(ranked, fit), "county_code"]
    out = wild_score_bootstrap(fit, clusters, "political_anchoring", reps=999, seed=3)
    assert out == wild_score_bootstrap(fit, clusters, "political_anchoring", reps=999, seed=3)
    se_cr1 = float(np.sqrt(ordinal_cluster_cov(fit, clusters, "CR1").loc["political_anchoring", "political_anchoring"]))
    assert out["se"] == pytest.approx(se_cr1)
    assert out["clusters"] == clusters.nunique() and 0 < out["p_value"] <= 1
    # a covariate unrelated to the outcome gets a large bootstrap p more often than not
    noise = ranked.assign(noise=np.random.default_rng(0).normal(size=len(ranked)))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        fit_n = fit_ordinal(noise, "maturity_stage", [*COV, "noise"], weights="weight", fixed_effects=["county_code"])
    assert wild_score_bootstrap(fit_n, clusters, "noise", reps=999, seed=3)["p_value"] > 0.05


def test_reference_county_is_the_largest_and_sorts_first():
    from vsr_analysis.data.register import load_register

    register = load_register()
    ref = largest_level(register, "county_code")
    assert register.loc[register["county_code"] == ref, "county"].iloc[0] == "Viken"
    recoded = with_reference(register, "county_code", ref)
    assert sorted(recoded["county_code"].unique())[0] == f"0:{ref}"
    assert recoded["county_code"].nunique() == register["county_code"].nunique()
    with pytest.raises(ValueError, match="does not occur"):
        with_reference(register, "county_code", "99")
