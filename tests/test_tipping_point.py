"""The tipping-point sensitivity analysis of the share claims (stats.tipping_point) and the assumption-light
interval beside the primary (no finite-population factor)."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest
from scipy.stats import norm

from vsr_analysis.claims import share_evidence as se
from vsr_analysis.claims.ledger import load_claims_spec
from vsr_analysis.stats.calibration_variance import raked_design
from vsr_analysis.stats.raking import rake
from vsr_analysis.stats.shares import calibrated_share_test
from vsr_analysis.stats.tipping_point import adjusted_share, adjusted_test, tipping_point

FIXTURE = "tests/fixtures/raked_share_design.csv"  # the default synthetic replica (vsr-narrative, seed 2021)
MARGINS = ["size_band", "centrality_group", "merged_2017_2020"]


def test_adjusted_share_by_hand():
    y, w = [1, 1, 0, 0], [2.0, 3.0, 1.0, 4.0]
    # the weighting imputes to the 6 non-respondents (excess weights 1, 2, 0, 3) the share (1 + 2) / 6 = 0.5
    mar = adjusted_share(y, w, 1.0)
    assert mar["nonrespondent_share_mar"] == 0.5 and mar["nonrespondents"] == 6.0
    assert mar["estimate"] == (2 + 3) / 10
    # odds ratio 3: the non-respondents' odds are 1/3 of 1, so their share 0.25; the share (2 + 6 * 0.25) / 10
    three = adjusted_share(y, w, 3.0)
    assert three["nonrespondent_share"] == pytest.approx(0.25)
    assert three["estimate"] == pytest.approx(0.35)
    with pytest.raises(ValueError):
        adjusted_share(y, w, 0.0)


def test_the_share_falls_as_the_odds_ratio_rises():
    rng = np.random.default_rng(5)
    y, w = rng.integers(0, 2, 200), 1 + rng.exponential(0.5, 200)
    shares = [adjusted_share(y, w, r)["estimate"] for r in (0.25, 0.5, 1.0, 2.0, 4.0)]
    assert all(a > b for a, b in zip(shares, shares[1:]))


@pytest.fixture(scope="module")
def f7():
    """F7 on the default replica: the chapter's analysis (primary, assumption-light interval, tipping point)."""
    from vsr_analysis.loading import load_frame

    spec = load_claims_spec()
    entry = next(c for c in spec["claims"] if c["id"] == "F7")
    data = load_frame("synthetic:vsr-narrative:2021")
    alpha = float(spec["alpha"])
    a = se.share_claim_analysis(data.frame, entry, alpha, item="maturity_stage", min_stage=3,
                                subset_item="sdg_in_management", margins=data.weight_info["margins"])  # fmt: skip
    return entry, alpha, a


def test_an_odds_ratio_of_one_reproduces_the_primary(f7):
    entry, alpha, a = f7
    tp = se.share_tipping_point(a, entry, alpha)
    one = tp.table[tp.table["odds ratio of answering (with vs without)"] == 1.0].iloc[0]
    for ours, primary in (("share", "estimate"), ("ci_low", "ci_low"), ("ci_high", "ci_high"), ("p_value", "p_value")):
        assert one[ours] == pytest.approx(a.primary[primary], rel=1e-12, abs=1e-14), ours
    assert tp.verdict_at_one == a.mar["primary_decision"]


@pytest.fixture(scope="module")
def f7_mar():
    """F7 on the default replica as if claims.yml decided it under missing at random (analysis.variance:
    missing_at_random): the narrower interval supports it there, so its tipping point is finite (on the declared
    assumption-light interval F7 is inconclusive on this replica at the unadjusted α)."""
    import copy

    from vsr_analysis.loading import load_frame

    spec = load_claims_spec()
    entry = copy.deepcopy(next(c for c in spec["claims"] if c["id"] == "F7"))
    entry["analysis"]["variance"] = "missing_at_random"
    data = load_frame("synthetic:vsr-narrative:2021")
    alpha = float(spec["alpha"])
    a = se.share_claim_analysis(data.frame, entry, alpha, item="maturity_stage", min_stage=3,
                                subset_item="sdg_in_management", margins=data.weight_info["margins"])  # fmt: skip
    return entry, alpha, a


def test_the_tipping_value_moves_the_bound_across_the_threshold(f7_mar):
    entry, alpha, a = f7_mar
    tp = se.share_tipping_point(a, entry, alpha)
    assert tp.verdict_at_one == "supported" and tp.tipping_above is not None and tp.verdict_above != "supported"
    units = a.domain[np.isfinite(a.domain["outcome"].to_numpy(dtype=float))]
    y, w, n_eff = units["outcome"], units["weight"], a.primary["n_eff"]
    p0 = float(entry["rule_parameters"]["threshold"])
    below = adjusted_test(y, w, tp.tipping_above * (1 - 1e-6), n_eff, p0)
    above = adjusted_test(y, w, tp.tipping_above * (1 + 1e-6), n_eff, p0)
    assert below["p_value"] < alpha <= above["p_value"]
    # independently, in closed form: the share at which p = alpha, and the odds ratio that gives it
    crit = p0 + norm.ppf(1 - alpha) * math.sqrt(p0 * (1 - p0) / n_eff)
    yy, ww = y.to_numpy(dtype=float), w.to_numpy(dtype=float)
    m = float((ww - 1).sum())
    q_mar = float((ww - 1) @ yy) / m
    q_crit = (crit * ww.sum() - yy.sum()) / m
    odds_ratio = (q_mar / (1 - q_mar)) / (q_crit / (1 - q_crit))
    assert tp.tipping_above == pytest.approx(odds_ratio, rel=1e-6)


def test_tipping_point_on_either_side():
    # a share just above the level: a small odds ratio above 1 makes it inconclusive; none below 1 changes it
    y, w = np.r_[np.ones(70), np.zeros(30)], np.full(100, 3.0)

    def verdict(t):
        return "supported" if t["p_value"] < 0.05 else "inconclusive"

    tp = tipping_point(y, w, 100.0, 0.6, verdict)
    assert tp.verdict_at_one == "supported" and tp.tipping_below is None
    assert 1 < tp.tipping_above < 4 and tp.verdict_above == "inconclusive"
    decisions = tp.table.set_index("odds ratio of answering (with vs without)")["decision"]
    assert (decisions[decisions.index < tp.tipping_above] == "supported").all()
    assert (decisions[decisions.index > tp.tipping_above] == "inconclusive").all()


# --- the assumption-light interval: the raked share's linearisation without the finite-population factor -------

# Reference, computed with R 4.2 and survey (Debian r-cran-survey) from the fixture (the call in
# tests/test_calibration_variance.py, rerun for this test on 2026-12-07):
#   f <- read.csv(FIXTURE, colClasses = c(knr = "character")); factor() the three margins
#   r <- f[f$responded == 1, ]; r$y <- r$sdg_in_master_plan; r$top3 <- as.numeric(r$maturity_stage >= 3)
#   d <- svydesign(ids = ~1, data = r, weights = ~1)
#   pt <- colSums(model.matrix(~ size_band + centrality_group + merged_2017_2020, f))
#   cal <- calibrate(d, ~ size_band + centrality_group + merged_2017_2020, population = pt,
#                    calfun = "raking", epsilon = 1e-12, maxit = 500)
#   svymean(~y, cal, na.rm = TRUE); svymean(~top3, subset(cal, sdg_in_management == 1), na.rm = TRUE)
R_MASTER_PLAN = (0.4977794319483611, 0.0277703872048748)
R_F7_DOMAIN = (0.8616866086379510, 0.0389790126817521)


def _wilson_by_hand(p: float, n: float, z: float) -> tuple[float, float]:
    centre = (p + z * z / (2 * n)) / (1 + z * z / n)
    half = z / (1 + z * z / n) * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n))
    return centre - half, centre + half


@pytest.mark.parametrize("which", ["master_plan", "f7"])
def test_assumption_light_interval_is_wilson_at_r_surveys_variance(which):
    f = pd.read_csv(FIXTURE, dtype={"knr": str})
    f["responded"] = f["responded"].astype(bool)
    f["weight"] = rake(f, "responded", MARGINS).fillna(0.0)
    design = raked_design(f, MARGINS)
    r = f[f["responded"]]
    if which == "master_plan":
        y, dom, (p_r, se_r), p0 = r["sdg_in_master_plan"], None, R_MASTER_PLAN, 0.5
    else:
        y = (r["maturity_stage"] >= 3).astype(float).where(r["maturity_stage"].notna())
        dom, (p_r, se_r), p0 = (r["sdg_in_management"] == 1).to_numpy(), R_F7_DOMAIN, 0.8
    t = calibrated_share_test(y, design, p0, dom, variance=se.NO_FPC_VARIANCE)
    n_star = p_r * (1 - p_r) / se_r**2  # the design-effective n from R's SE, no degrees-of-freedom adjustment
    low, high = _wilson_by_hand(p_r, n_star, norm.ppf(0.975))
    assert t["estimate"] == pytest.approx(p_r, abs=1e-9)
    assert (t["ci_low"], t["ci_high"]) == pytest.approx((low, high), abs=1e-7)
    assert t["p_value"] == pytest.approx(norm.sf((p_r - p0) / math.sqrt(p0 * (1 - p0) / n_star)), rel=1e-6)


def test_the_chapter_decides_on_the_assumption_light_row_and_shows_the_mar_row(f7):
    entry, alpha, a = f7
    row = a.robustness[a.robustness["variant"].str.startswith("under missing at random")].iloc[0]
    assert (row["ci_low"], row["ci_high"]) == (a.mar["test"]["ci_low"], a.mar["test"]["ci_high"])
    assert row["decision"] == a.mar["decision"]
    # the primary is the assumption-light interval claims.yml declares (analysis.variance), the first row
    first = a.robustness.iloc[0]
    assert first["variant"].startswith("primary, assumption-light")
    assert (first["ci_low"], first["ci_high"]) == (a.primary["ci_low"], a.primary["ci_high"])
    assert a.mar["primary_variance"] == se.NO_FPC_VARIANCE
    # wider than the interval under missing at random: the per-unit factor 1 - π̂ only ever shrinks the variance
    assert a.mar["test"]["ci_high"] - a.mar["test"]["ci_low"] < a.primary["ci_high"] - a.primary["ci_low"]
