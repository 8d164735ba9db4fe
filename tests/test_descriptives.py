"""Known-answer tests for vsr_analysis.stats.descriptives (shares by group, comparisons, agreement, Guttman)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from scipy import stats

from vsr_analysis.stats import descriptives as ds
from vsr_analysis.stats import shares
from vsr_analysis.stats.shares import weighted_share, wilson


def test_as_float_handles_nullable_and_missing():
    s = pd.Series([1, 0, None], dtype="Int64")
    out = ds.as_float(s)
    assert out[:2].tolist() == [1.0, 0.0] and np.isnan(out[2])
    assert ds.as_float(pd.Series([True, False])).tolist() == [1.0, 0.0]


def test_share_by_group_unweighted_equals_wilson():
    df = pd.DataFrame(
        {"x": pd.array([1, 1, 0, 1, 0, 0, None], dtype="Int64"), "g": ["a", "a", "a", "b", "b", "b", "b"]}
    )
    tab = shares.share_by_group(df, "x", "g", weight=None)
    assert tab["group"].tolist() == ["a", "b", "all"]
    assert tab["n"].tolist() == [3, 3, 6]
    assert tab["n_yes"].tolist() == [2, 1, 3]
    iv = wilson(2, 3)
    assert tab.loc[0, "share"] == pytest.approx(2 / 3)
    assert tab.loc[0, "ci_low"] == pytest.approx(iv.low) and tab.loc[0, "ci_high"] == pytest.approx(iv.high)


def test_share_by_group_weighted_and_fpc():
    df = pd.DataFrame({"x": [1, 0, 1, 1], "w": [2.0, 1.0, 1.0, 1.0], "g": [1, 1, 2, 2]})
    tab = shares.share_by_group(df, "x", "g", weight="w", population_size=10, group_population={1: 4})
    assert tab.loc[0, "share"] == pytest.approx(2 / 3)
    assert tab.loc[0, "share_unweighted"] == pytest.approx(0.5)
    ref = weighted_share(df["x"][:2], df["w"][:2], population_size=4)
    assert tab.loc[0, "ci_low"] == pytest.approx(ref.low)
    ref_all = weighted_share(df["x"], df["w"], population_size=10)
    assert tab.loc[2, "ci_high"] == pytest.approx(ref_all.high)


def test_compare_shares_z_matches_pooled_test():
    a = [1] * 30 + [0] * 20
    b = [1] * 15 + [0] * 35
    res = ds.compare_shares(a, b, method="z")
    p = 45 / 100
    z = (0.6 - 0.3) / np.sqrt(p * (1 - p) * (1 / 50 + 1 / 50))
    assert res["statistic"] == pytest.approx(z)
    assert res["p_value"] == pytest.approx(2 * stats.norm.sf(z))
    assert res["difference"] == pytest.approx(0.3)


def test_compare_shares_fisher():
    res = ds.compare_shares([1, 1, 1, 0], [0, 0, 0, 1, 0], method="fisher")
    ref = stats.fisher_exact([[3, 1], [1, 4]])
    assert res["p_value"] == pytest.approx(ref.pvalue)
    assert (res["yes_1"], res["n_1"], res["yes_2"], res["n_2"]) == (3, 4, 1, 5)


def test_compare_shares_empty_group_gives_nan():
    res = ds.compare_shares([1, 0], [], method="z")
    assert np.isnan(res["p_value"])


def test_agreement_and_kappa():
    a = [1, 1, 0, 0, 1, 0, None]
    b = [1, 0, 0, 0, 1, 1, 1]
    res = ds.agreement(a, b, labels=("register", "self"))
    assert res["n"] == 6
    assert res["table"].to_numpy().tolist() == [[2, 1], [1, 2]]
    assert res["agreement"] == pytest.approx(4 / 6)
    # po = 2/3, pe = 0.5 -> kappa = 1/3
    assert res["kappa"] == pytest.approx(1 / 3)
    assert (res["only_a"], res["only_b"]) == (1, 1)


def test_guttman_perfect_scale():
    items = pd.DataFrame({"a": [1, 1, 1, 0], "b": [1, 1, 0, 0], "c": [1, 0, 0, 0]})
    res = ds.guttman_scale(items)
    assert res["errors"] == 0 and res["reproducibility"] == 1.0 and res["perfect_share"] == 1.0
    assert res["order"] == ["a", "b", "c"]


def test_guttman_known_errors():
    # order by popularity: a (3/4), b (2/4), c (1/4).  Row [0,1,0] has score 1, ideal [1,0,0]: 2 errors.
    items = pd.DataFrame({"c": [1, 0, 0, 0], "b": [1, 1, 1, 0], "a": [1, 1, 0, 1]})
    res = ds.guttman_scale(items)
    assert res["order"] == ["a", "b", "c"] or res["order"] == ["b", "a", "c"]
    forced = ds.guttman_scale(items, order=["a", "b", "c"])
    # rows: [1,1,1] ok; [1,1,0] ok; [0,1,0] 2 errors; [1,0,0] ok
    assert forced["errors"] == 2
    assert forced["reproducibility"] == pytest.approx(1 - 2 / 12)
    mmr = np.mean([0.75, 0.75, 0.75])
    assert forced["minimal_marginal_reproducibility"] == pytest.approx(mmr)
    assert forced["scalability"] == pytest.approx((1 - 2 / 12 - mmr) / (1 - mmr))
    assert forced["perfect_share"] == pytest.approx(0.75)


def test_ladder_consistency():
    items = pd.DataFrame(
        {
            "sdg_in_planning_strategy": [0, 1, 1, 1, 0, 1],
            "sdg_in_master_plan": [0, 1, 0, 1, 0, None],
            "sdg_in_budget": [0, 0, 0, 1, 0, 0],
            "sdg_in_management": [0, 0, 0, 1, 1, 0],
            "measures_progress": [0, 0, 0, 0, 0, 0],
        },
        dtype="Int64",
    )
    stage = pd.Series([1, 3, 3, 4, 1, 3], dtype="Int64")
    out = ds.ladder_consistency(stage, items)
    assert out["consistent"].tolist()[:5] == [1.0, 1.0, 0.0, 1.0, 0.0]
    assert out.loc[2, "implied_present"] == 0.0 and out.loc[2, "none_beyond"] == 1.0
    assert out.loc[4, "implied_present"] == 1.0 and out.loc[4, "none_beyond"] == 0.0
    assert np.isnan(out.loc[5, "consistent"])


def test_item_score_and_stage_count():
    df = pd.DataFrame({c: [1, 0, None] for c in ds.COMPONENT_ITEMS}, dtype="Int64")
    sc = ds.item_score(df)
    assert sc.tolist()[:2] == [5.0, 0.0] and np.isnan(sc.iloc[2])
    assert ds.stages_with_min_share([0.05, 0.1, 0.3, 0.55], 0.10) == 3


def test_implied_item_count():
    out = ds.implied_item_count(pd.Series([0, 1, 2, 3, 4, 5, None], dtype="Int64"))
    assert out[:6].tolist() == [0, 0, 1, 2, 4, 5] and np.isnan(out[6])


def test_share_by_group_domain_fpc():
    df = pd.DataFrame({"x": [1, 0, 1, 1, 0, 1], "g": [1, 1, 1, 2, 2, 2]})
    tab = shares.share_by_group(df, "x", "g", weight=None, sampling_fraction=0.75)
    ref = weighted_share(df["x"][:3], None, population_size=4)
    assert tab.loc[0, "ci_low"] == pytest.approx(ref.low)
    ref_all = weighted_share(df["x"], None, population_size=8)
    assert tab.loc[2, "ci_high"] == pytest.approx(ref_all.high)


def test_interval_errors_clips():
    err = ds.interval_errors([1.0, 0.5], [1.0 + 1e-16, 0.4], [1.0, np.nan], scale=100)
    assert err.shape == (2, 2)
    assert err[0].tolist() == [0.0, pytest.approx(10.0)] and err[1].tolist() == [0.0, 0.0]
