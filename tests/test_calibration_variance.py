"""The raked share's linearisation variance against R's survey package, and its finite-population factors."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from vsr_analysis.stats.calibration_variance import (
    calibration_constraints,
    design_effect_df,
    linearised_share,
    margin_matrix,
    raked_design,
)
from vsr_analysis.stats.raking import rake
from vsr_analysis.stats.shares import calibrated_share_test

FIXTURE = "tests/fixtures/raked_share_design.csv"  # the default synthetic replica (vsr-narrative, seed 2021)
MARGINS = ["size_band", "centrality_group", "merged_2017_2020"]

# Reference, computed once with R 4 and survey (Debian r-cran-survey) from the fixture:
#   f <- read.csv(FIXTURE, colClasses = c(knr = "character")); factor() the three margins
#   r <- f[f$responded == 1, ]; r$y <- r$sdg_in_master_plan; r$top3 <- as.numeric(r$maturity_stage >= 3)
#   d <- svydesign(ids = ~1, data = r, weights = ~1)
#   pt <- colSums(model.matrix(~ size_band + centrality_group + merged_2017_2020, f))
#   cal <- calibrate(d, ~ size_band + centrality_group + merged_2017_2020, population = pt,
#                    calfun = "raking", epsilon = 1e-12, maxit = 500)
#   svymean(~y, cal, na.rm = TRUE); svymean(~top3, subset(cal, sdg_in_management == 1), na.rm = TRUE)
R_MASTER_PLAN = (0.497779431948361, 0.0277703872048748)
R_F7_DOMAIN = (0.861686608637951, 0.0389790126817521)
# survey::rake() on the same margins (maxit = 500, epsilon = 1e-12) gives the same weights, but its variance
# projects the residuals with 10 fixed sweeps of alternating margin means instead of solving the least squares
# exactly, so its SEs differ in the 6th-7th digit:
R_RAKE_SE = (0.0277703955822938, 0.0389774334803427)


@pytest.fixture(scope="module")
def frame():
    f = pd.read_csv(FIXTURE, dtype={"knr": str})
    f["responded"] = f["responded"].astype(bool)
    f["weight"] = rake(f, "responded", MARGINS).fillna(0.0)
    return f


def test_without_finite_population_factor_equals_r_survey(frame):
    design = raked_design(frame, MARGINS)
    r = frame[frame["responded"]]
    a = linearised_share(r["sdg_in_master_plan"], design, variance="with_replacement")
    assert a["estimate"] == pytest.approx(R_MASTER_PLAN[0], abs=1e-9)
    assert a["se"] == pytest.approx(R_MASTER_PLAN[1], abs=1e-6)
    assert a["se"] == pytest.approx(R_MASTER_PLAN[1], abs=1e-9)  # in fact to 1e-9
    top3 = (r["maturity_stage"] >= 3).astype(float).where(r["maturity_stage"].notna())
    b = linearised_share(top3, design, r["sdg_in_management"] == 1, variance="with_replacement")
    assert b["estimate"] == pytest.approx(R_F7_DOMAIN[0], abs=1e-9)
    assert b["se"] == pytest.approx(R_F7_DOMAIN[1], abs=1e-6)
    assert abs(a["se"] - R_RAKE_SE[0]) < 1e-5 and abs(b["se"] - R_RAKE_SE[1]) < 1e-5


def test_poisson_factor_shrinks_with_response_probability(frame):
    r = frame[frame["responded"]]
    y = r["sdg_in_master_plan"]
    free = linearised_share(y, raked_design(frame, MARGINS), variance="with_replacement")
    pi = np.where(frame["responded"], 0.75, 0.5)
    everyone = np.ones(len(r), bool)
    pois = linearised_share(y, raked_design(frame, MARGINS, pi), variance="poisson", observed=everyone)
    # with the same pi for every respondent the factor is 1 - pi for every unit: SE scales by sqrt(0.25), and
    # the primary divides by n - q (q calibration constraints) where R survey divides by n - 1
    n = int(frame["responded"].sum())
    q = calibration_constraints(raked_design(frame, MARGINS, pi))
    dof = np.sqrt((n - 1) / (n - q))
    assert pois["se"] == pytest.approx(free["se"] * 0.5 * dof, rel=1e-12)
    # item non-response is a further phase: the factor becomes 1 - pi * rho, rho = share answering the item
    rho = float(np.isfinite(y.astype(float)).mean())
    assert rho < 1
    item = linearised_share(y, raked_design(frame, MARGINS, pi), variance="poisson")
    assert item["se"] == pytest.approx(free["se"] * np.sqrt(1 - 0.75 * rho) * dof, rel=1e-12)
    certain = linearised_share(
        y, raked_design(frame, MARGINS, np.ones(len(frame))), variance="poisson", observed=everyone
    )
    assert certain["se"] == 0.0
    glob = linearised_share(y, raked_design(frame, MARGINS), variance="global_fpc")
    f = r.shape[0] / len(frame)
    assert glob["se"] == pytest.approx(free["se"] * np.sqrt(1 - f), rel=1e-12)


def test_calibrated_share_test_degenerate_cases(frame):
    design = raked_design(frame, MARGINS, np.full(len(frame), 0.8))
    n = design.n
    everyone = calibrated_share_test(np.ones(n), design, 0.5)
    assert everyone["estimate"] == 1.0 and everyone["ci_high"] == pytest.approx(1.0) and everyone["ci_low"] < 0.99
    assert everyone["p_value"] < 0.05 and "same answer" in everyone["note"]
    nobody = calibrated_share_test(np.ones(n), design, 0.5, np.zeros(n, bool))
    assert nobody["estimate"] is None and nobody["p_value"] is None and "cannot be estimated" in nobody["note"]
    sure = raked_design(frame, MARGINS, np.ones(len(frame)))
    x = np.r_[np.ones(n // 2), np.zeros(n - n // 2)]
    exact = calibrated_share_test(x, sure, 0.3)
    assert exact["ci_low"] == exact["ci_high"] == exact["estimate"] and exact["p_value"] == 0.0


def test_margin_matrix_has_one_column_per_cell(frame):
    m = margin_matrix(frame, [("size_band", "merged_2017_2020"), "centrality_group"])
    cells = frame.groupby(["size_band", "merged_2017_2020"]).ngroups + frame["centrality_group"].nunique()
    assert m.shape == (len(frame), cells)
    assert np.allclose(m.sum(axis=1), 2.0)


def test_calibration_constraints_count_independent_margin_cells(frame):
    design = raked_design(frame, MARGINS)
    r = frame[frame["responded"]]
    # one intercept plus (levels - 1) per margin, when every level has a respondent
    expected = 1 + sum(r[m].nunique() - 1 for m in MARGINS)
    assert calibration_constraints(design) == expected
    assert calibration_constraints(raked_design(frame, [])) == 1


def test_degrees_of_freedom_fall_when_one_respondent_carries_the_variance(frame):
    r = frame[frame["responded"]]
    y = r["sdg_in_master_plan"]
    pi = np.where(frame["responded"], 0.7, 0.5)
    everyone = np.ones(len(r), bool)
    even = linearised_share(y, raked_design(frame, MARGINS, pi), variance="poisson", observed=everyone)
    n, q = len(r), calibration_constraints(raked_design(frame, MARGINS, pi))
    assert 30 < even["df"] <= n - q
    # one respondent with a hundred times the weight dominates the sum of squares
    heavy = frame.copy()
    heavy.loc[heavy.index[heavy["responded"]][0], "weight"] *= 100
    skew = linearised_share(y, raked_design(heavy, MARGINS, pi), variance="poisson", observed=everyone)
    assert skew["df"] < 5
    assert linearised_share(y, raked_design(frame, MARGINS), variance="with_replacement")["df"] is None


def test_design_effect_df_by_hand():
    # shares of V (0.5, 0.25, 0.25) against shares of V_srs (1/3 each): sum of squared differences
    # (1/6)^2 + 2 (1/12)^2 = 1/24, so df = 24 (below the cap)
    assert design_effect_df(np.array([2.0, 1.0, 1.0]), np.array([1.0, 1.0, 1.0]), 100) == pytest.approx(24.0)
    assert design_effect_df(np.array([2.0, 1.0, 1.0]), np.array([1.0, 1.0, 1.0]), 10) == 10.0
    # proportional shares: the design effect is known, df is the cap
    assert design_effect_df(np.array([0.2, 0.0, 0.6]), np.array([1.0, 0.0, 3.0]), 50) == 50.0


def test_a_rare_answer_with_equal_weights_costs_no_degrees_of_freedom():
    """With equal weights and factors the design effect is 1 whatever the answers: Wilson's score form already
    carries the uncertainty of a rare answer, so the interval is not widened for it (the old plug-in gave df of
    about 3 x the number of rare answers here)."""
    n = 200
    frame = pd.DataFrame({"responded": np.r_[np.ones(n, bool), np.zeros(40, bool)], "weight": 240 / n})
    y = np.zeros(n)
    y[:3] = 1  # three of 200 say yes
    design = raked_design(frame, [], np.full(len(frame), 0.8))
    lin = linearised_share(y, design)
    assert lin["df"] == n - calibration_constraints(design)
    # one of the three "yes" respondents with ten times the weight: now the design effect is unsure
    heavy = frame.copy()
    heavy.loc[0, "weight"] *= 10
    assert linearised_share(y, raked_design(heavy, [], np.full(len(frame), 0.8)))["df"] < 10


def test_interval_uses_the_degrees_of_freedom_adjusted_effective_n(frame):
    """Korn & Graubard (1998): n* (z / t_df)^2; the interval widens as df falls and equals the plain one as df grows."""
    from scipy import stats

    r = frame[frame["responded"]]
    y = r["sdg_in_master_plan"].astype(float)
    design = raked_design(frame, MARGINS, np.where(frame["responded"], 0.7, 0.5))
    lin = linearised_share(y, design)
    t = calibrated_share_test(y, design, 0.5)
    n_star = lin["estimate"] * (1 - lin["estimate"]) / lin["se"] ** 2
    ratio = (stats.norm.ppf(0.975) / stats.t.ppf(0.975, lin["df"])) ** 2
    assert t["df"] == lin["df"] and t["n_eff"] == pytest.approx(n_star * ratio, rel=1e-12)
    assert ratio < 1
    plain = calibrated_share_test(y, design, 0.5, variance="with_replacement")
    assert plain["df"] is None
