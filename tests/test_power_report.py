"""Tests for vsr_analysis.stats.power_report: the power chapter's tables, curves and sentences on small inputs."""

from __future__ import annotations

import math
from types import SimpleNamespace

import numpy as np
import pandas as pd
import pytest

from vsr_analysis.stats import power_analytic as power
from vsr_analysis.stats import power_report as pr
from vsr_analysis.stats import power_simulated as design


def make_setup(n_share: int = 40, small_resp: int = 30, small_frame: int = 150, reps: int = 50) -> pr.PowerSetup:
    """A setup with stand-in designs (only ``.n`` is used by the tables) and real share rows."""
    rng = np.random.default_rng(1)
    rows = pd.DataFrame({"weight": rng.uniform(0.5, 1.5, n_share)})
    shares = {c: {"label": f"share {c}", "rows": rows, "N": 200.0} for c in ("F2", "F6", "F7", "F8")}
    claims = {c: {"primary_test": f"test of {c}", "rule_parameters": {}} for c in pr.CLAIM_ORDER}
    return pr.PowerSetup(
        claims=claims,
        confirmatory=list(pr.CLAIM_ORDER),
        alpha=0.05,
        reps=reps,
        seed=7,
        designs={c: SimpleNamespace(n=100 + i) for i, c in enumerate(pr.ORDINAL)},
        shares=shares,
        thresholds={"F2": 0.5, "F6": 0.5, "F7": 0.8, "F8": 0.5},
        n_frame=200,
        n_resp=n_share,
        cut=5000.0,
        small_resp=small_resp,
        small_frame=small_frame,
        top_stage=4,
        min_cases=3,
        existence="F4",
    )


def fake_curves(s: pr.PowerSetup) -> pd.DataFrame:
    """Curves whose power encodes claim, effect and level, so a table can be checked against them."""
    rows = []
    for i, c in enumerate(pr.CLAIM_ORDER):
        grid = pr.ORD_GRID if c in pr.ORDINAL else pr.SHARE_GRID if c in s.shares else pr.F4_GRID
        for e in grid:
            for j, lv in enumerate(s.levels):
                pw = min(1.0, float(e) * (4 - j) + 0.01 * i)
                rows.append({"claim": c, "effect": float(e), "level": lv, "power": pw, "ci_low": pw - 0.1,
                             "ci_high": pw + 0.1, "n_valid": 50, "n_failed": 1, "test alone": pw / 2,
                             "refitted singly": 2})  # fmt: skip
    return pd.DataFrame(rows)


def test_whole_rounds_counts_and_dashes_missing():
    assert pr.whole(None) == "–"
    assert pr.whole(float("nan")) == "–"
    assert pr.whole(2.6) == "3"
    assert pr.whole(12) == "12"


def test_holm_levels_and_setup_properties():
    s = make_setup()
    assert s.m_family == 8
    assert s.alpha_holm == pytest.approx(0.05 / 8)
    assert list(s.levels.values()) == [0.05, pytest.approx(0.00625)]
    assert list(s.levels)[1] == "α / 8 (Holm's most stringent)"


def test_ordinal_rejections_single_term_needs_positive_sign():
    sim = pd.DataFrame({"p_x": [0.01, 0.01, 0.2, 0.03], "est_x": [0.5, -0.5, 0.5, 0.1]})
    reject, p = pr.ordinal_rejections(sim, ["x"], {"a": 0.05, "b": 0.02}, alpha=0.05)
    assert reject["a"].tolist() == [True, False, False, True]
    assert reject["b"].tolist() == [True, False, False, False]
    assert p.tolist() == [0.01, 0.01, 0.2, 0.03]


def test_ordinal_rejections_of_f3_use_the_intersection_union_p():
    sim = pd.DataFrame(
        {
            "p_iut": [0.001, 0.04, 0.3, np.nan],
            "p_x": [0.001, 0.04, 0.3, np.nan],
            "est_x": [0.4, 0.4, -0.4, np.nan],
            "p_z": [0.0001, 0.001, 0.001, np.nan],
            "est_z": [0.1, 0.1, 0.1, np.nan],
        }
    )
    reject, p = pr.ordinal_rejections(sim, ["x", "z"], {"a": 0.05, "b": 0.01}, alpha=0.05)
    assert reject["a"].tolist() == [True, True, False, False]
    assert reject["b"].tolist() == [True, False, False, False]
    assert np.array_equal(p, sim["p_iut"].to_numpy(), equal_nan=True)


def test_share_curve_empty_domain_gives_missing_power():
    s = make_setup()
    s.shares["F7"] = {**s.shares["F7"], "rows": s.shares["F7"]["rows"].iloc[:0]}
    rows = pd.DataFrame(pr.share_curve(s, "F7", 2))
    assert len(rows) == len(pr.SHARE_GRID) * 2
    assert rows["power"].isna().all()
    assert (rows["n_valid"] == 0).all()


def test_share_curve_power_grows_with_the_effect_and_is_reproducible():
    s = make_setup(reps=200)
    rows = pd.DataFrame(pr.share_curve(s, "F2", 0))
    at_alpha = rows[rows["level"] == "α"].set_index("effect")["power"]
    assert at_alpha.loc[0.0] < 0.2
    assert at_alpha.loc[0.15] > at_alpha.loc[0.0]
    assert at_alpha.is_monotonic_increasing  # common random numbers: each frame holds the previous one's cases
    holm = rows[rows["level"] != "α"].set_index("effect")["power"]
    assert (holm <= at_alpha).all()
    again = pd.DataFrame(pr.share_curve(s, "F2", 0))
    pd.testing.assert_frame_equal(rows, again)


def test_f4_rows_are_the_binomial_tail():
    s = make_setup(small_resp=20)
    rows = pd.DataFrame(pr.f4_rows(s))
    q = 0.1
    pw = rows[np.isclose(rows["effect"], q)]["power"]
    assert len(pw) == 2
    assert pw.iloc[0] == pytest.approx(1 - sum(math.comb(20, k) * q**k * (1 - q) ** (20 - k) for k in range(3)))


def test_f4_share_for_power_hits_the_target_or_is_none():
    s = make_setup(small_resp=30)
    q80 = pr.f4_share_for_power(s, 0.8)
    assert design.prob_at_least(3, 30, q80) == pytest.approx(0.8, abs=1e-8)
    assert pr.f4_share_for_power(make_setup(small_resp=2)) is None


def test_f4_hypergeom_ends():
    s = make_setup(small_resp=30, small_frame=150)
    assert pr.f4_hypergeom(s, 0.0) == 0.0
    assert pr.f4_hypergeom(s, 1.0) == pytest.approx(1.0)
    assert 0 < pr.f4_hypergeom(s, 0.05) < 1


def test_design_table_rows_and_population_column():
    s = make_setup()
    t = pr.design_table(s)
    assert t["claim"].tolist() == list(pr.CLAIM_ORDER)
    f1, f2, f4 = (t.set_index("claim").loc[c] for c in ("F1", "F2", "F4"))
    assert f1["population for the correction"] == "–"
    assert f1["units in the test"] == 100
    assert f2["population for the correction"] == "200"
    assert f4["units in the test"] == 30 and f4["population for the correction"] == "150"
    assert "5,000" in f4["primary test"]


def test_power_table_reads_the_curves_at_the_stated_sizes():
    s = make_setup()
    curves = fake_curves(s)
    t = pr.power_table(s, curves)
    assert len(t) == 8 * 3
    row = t[(t["claim"] == "F3") & (t["effect"] == "medium")].iloc[0]
    expected = pr.at(curves, "F3", 0.5, "α")
    assert row["size"] == 0.5
    assert row["power at α = 0.05"] == expected["power"]
    assert row["power at α / 8 = 0.00625"] == pr.at(curves, "F3", 0.5, list(s.levels)[1])["power"]
    assert row["valid replicates"] == "50"
    assert t[t["claim"] == "F4"]["note"].str.contains("hypergeometric").all()
    assert (t[t["claim"] != "F4"]["note"] == "").all()


def test_size_check_table_is_at_zero_effect():
    s = make_setup()
    t = pr.size_check_table(s, fake_curves(s))
    assert t["claim"].tolist() == ["F1", "F3", "F5", "F2", "F6", "F7", "F8"]
    assert t["'supported' at α = 0.05"].tolist() == pytest.approx([0.01 * i for i in (0, 2, 4, 1, 5, 6, 7)])


def test_mdes_table_benchmarks_and_empty_groups():
    s = make_setup()
    resp = pd.DataFrame(
        {"network_member": [1, 0, 1, 0], "merged_2017_2020": [0, 0, 0, 0], "above_median_population": [1, 1, 0, 0]}
    )
    t = pr.mdes_table(s, resp)
    assert t.iloc[0, 3] == pytest.approx(power.mdes_two_groups(150, 150, 0.05, 0.8))
    assert t.iloc[1, 4] == pytest.approx(power.mdes_two_groups(30, 270, 0.05 / 8, 0.8))
    assert t.iloc[1, 3] > t.iloc[0, 3]
    merged = t[t["comparison"].str.startswith("merged")].iloc[0]
    assert merged["group 1"] == 0 and merged["group 2"] == 4 and np.isnan(merged.iloc[3])


def test_verdict_reading_and_fmt_cross():
    assert pr.verdict_reading(0.9, 0.95, 0.85).startswith("Even a small effect")
    assert pr.verdict_reading(0.9, 0.95, 0.5).startswith("A small effect")
    assert pr.verdict_reading(0.5, 0.9, 0.2).startswith("A medium effect")
    assert pr.verdict_reading(0.2, 0.5, 0.1).startswith("Even a medium effect could be missed")
    assert pr.fmt_cross(None, "F1") == "beyond the largest effect simulated"
    assert pr.fmt_cross(0.25, "F1") == "0.25 log-odds per SD"
    assert pr.fmt_cross(0.043, "F2") == "4.3 percentage points above the level"


def test_claim_lines_one_per_claim():
    s = make_setup()
    curves = fake_curves(s)
    lines = pr.claim_lines(s, curves, pr.power_table(s, curves), q80=0.07)
    assert [line[2:4] for line in lines] == list(pr.CLAIM_ORDER)
    assert "7.0%" in lines[3]


def test_fit_summary_counts_per_level():
    s = make_setup(reps=50)
    text = pr.fit_summary_text(s, fake_curves(s))
    n_ord_rows = len(pr.ORD_GRID) * len(pr.ORDINAL)
    n_all_rows = n_ord_rows + len(pr.SHARE_GRID) * 4 + len(pr.F4_GRID)
    assert f"Of the {50 * n_ord_rows:,} simulated model fits, {2 * n_all_rows}" in text
    assert f"; {n_ord_rows} could not be fitted" in text
