"""Tests for vsr_analysis.stats.raking: raking reproduces the frame's margins; known answers; failures are clear."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest

from vsr_analysis.stats import raking as W

MARGINS = [("size_band", "centrality_class"), "merged_2017_2020"]


def make_frame(N: int = 356, seed: int = 0, rate: float = 0.85) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    fr = pd.DataFrame(
        {
            "size_band": rng.choice(["<2k", "2-5k", "5-10k", "10-20k", "20k+"], N),
            "centrality_class": rng.integers(1, 7, N),
            "merged_2017_2020": rng.binomial(1, 0.3, N),
        }
    )
    # response depends on the cells, so raking has something to correct
    p = rate - 0.1 * (fr["centrality_class"] > 4) + 0.05 * fr["merged_2017_2020"]
    fr["responded"] = rng.random(N) < p
    return fr


def margin_check(fr: pd.DataFrame, w: pd.Series, margins) -> float:
    worst = 0.0
    for m in margins:
        cols = [m] if isinstance(m, str) else list(m)
        target = fr.groupby(cols).size()
        got = w[fr["responded"]].groupby([fr.loc[fr["responded"], c] for c in cols]).sum()
        worst = max(worst, float((got.reindex(target.index) - target).abs().max()))
    return worst


def test_margins_reproduced_exactly():
    fr = make_frame()
    w = W.rake(fr, "responded", MARGINS)
    assert margin_check(fr, w, MARGINS) < 1e-8
    assert w.sum() == pytest.approx(len(fr), abs=1e-8)
    assert w[~fr["responded"]].isna().all()
    assert (w[fr["responded"]] > 0).all()
    assert w.name == "weight" and w.index.equals(fr.index)
    assert w.attrs["max_discrepancy"] < 1e-10


def test_hand_worked_two_by_two():
    # frame: A = a1 (6 units) / a2 (4); B = b1 (5) / b2 (5); respondents n11=2, n12=1, n21=1, n22=1.
    # Raking keeps the respondents' odds ratio (2*1)/(1*1) = 2: the a1b1 total t solves
    # t(t-1) / ((6-t)(5-t)) = 2, i.e. t^2 - 21 t + 60 = 0, t = (21 - sqrt(201)) / 2.
    fr = pd.DataFrame(
        {
            "A": ["a1"] * 6 + ["a2"] * 4,
            "B": ["b1", "b1", "b1", "b2", "b2", "b2", "b1", "b1", "b2", "b2"],
            "responded": [True, True, False, True, False, False, True, False, True, False],
        }
    )
    w = W.rake(fr, "responded", ["A", "B"])
    t = (21 - math.sqrt(201)) / 2
    expected = {0: t / 2, 1: t / 2, 3: 6 - t, 6: 5 - t, 8: t - 1}
    for i, v in expected.items():
        assert w[i] == pytest.approx(v, abs=1e-9)
    assert w.sum() == pytest.approx(10)


def test_one_margin_is_poststratification():
    fr = make_frame(seed=3)
    w = W.rake(fr, "responded", ["size_band"])
    N_h = fr.groupby("size_band").size()
    n_h = fr[fr["responded"]].groupby("size_band").size()
    expected = fr.loc[fr["responded"], "size_band"].map(N_h / n_h)
    np.testing.assert_allclose(w[fr["responded"]], expected, rtol=1e-12)


def test_weights_one_when_respondents_are_the_frame():
    fr = make_frame().assign(responded=True)
    w = W.rake(fr, "responded", MARGINS)
    np.testing.assert_allclose(w, 1.0, atol=1e-12)
    assert W.design_effect(w) == pytest.approx(1.0)
    assert W.effective_n(w) == pytest.approx(len(fr))


def test_base_weights_are_kept_within_cells():
    fr = make_frame(seed=4)
    rng = np.random.default_rng(1)
    fr["bw"] = rng.uniform(0.5, 2, len(fr))
    w = W.rake(fr, "responded", ["size_band"], base_weight="bw")
    r = fr["responded"]
    tot = fr[r].groupby("size_band")["bw"].sum()
    N_h = fr.groupby("size_band").size()
    expected = fr.loc[r, "bw"] * fr.loc[r, "size_band"].map(N_h / tot)
    np.testing.assert_allclose(w[r], expected, rtol=1e-12)


def test_empty_cell_names_the_cell_and_collapsing_fixes_it():
    fr = make_frame(seed=5)
    fr.loc[(fr["size_band"] == "20k+") & (fr["centrality_class"] == 1), "responded"] = False
    with pytest.raises(ValueError, match=r"size_band='20k\+', centrality_class=1.*collapse"):
        W.rake(fr, "responded", MARGINS)
    fr["centrality_collapsed"] = W.collapse_sparse(
        fr, "centrality_class", 1, respondent="responded", within="size_band"
    )
    assert set(fr.loc[fr["size_band"] == "20k+", "centrality_collapsed"]) >= {"1+2"}
    w = W.rake(fr, "responded", [("size_band", "centrality_collapsed"), "merged_2017_2020"])
    assert margin_check(fr, w, [("size_band", "centrality_collapsed"), "merged_2017_2020"]) < 1e-8


def test_collapse_sparse_merges_with_smaller_neighbour():
    fr = pd.DataFrame({"c": [1] * 10 + [2] * 1 + [3] * 4 + [4] * 20})
    out = W.collapse_sparse(fr, "c", 5)
    assert list(pd.unique(out)) == ["1", "2+3", "4"]
    assert W.collapse_sparse(fr, "c", 1).tolist() == fr["c"].astype(str).tolist()


def test_impossible_margins_raise_convergence_error():
    # respondents only in (a1, b1) and (a2, b2): weights of a1 must equal those of b1, but the frame has
    # 5 units in a1 and 3 in b1.
    fr = pd.DataFrame(
        {
            "A": ["a1"] * 5 + ["a2"] * 5,
            "B": ["b1", "b1", "b1", "b2", "b2", "b2", "b2", "b2", "b2", "b2"],
        }
    )
    fr["responded"] = [True, False, False, False, False, False, False, False, True, False]
    with pytest.raises(W.RakingError, match="did not converge"):
        W.rake(fr, "responded", ["A", "B"], max_iter=100)


def test_trimming_caps_weights_and_keeps_margins():
    one_way = ["size_band", "centrality_class", "merged_2017_2020"]
    fr = make_frame(seed=6, rate=0.5)
    w0 = W.rake(fr, "responded", one_way)
    mean_w = len(fr) / fr["responded"].sum()
    ratio = 0.9 * float(w0.max()) / mean_w
    w = W.rake(fr, "responded", one_way, trim=ratio)
    assert w.attrs["trim_rounds"] >= 1
    assert w.max() <= ratio * mean_w * 1.001
    assert margin_check(fr, w, one_way) < 1e-8
    wq = W.rake(fr, "responded", one_way, trim=("quantile", 0.99))
    assert margin_check(fr, wq, one_way) < 1e-8
    with pytest.raises(ValueError):
        W.rake(fr, "responded", one_way, trim=0.5)


def test_infeasible_trim_warns_but_keeps_margins():
    # with a crossed margin a cell's weights must average N_cell / n_cell: a lower cap cannot be met
    fr = make_frame(seed=6, rate=0.5)
    with pytest.warns(UserWarning, match="cap is not met"):
        w = W.rake(fr, "responded", MARGINS, trim=("quantile", 0.5), max_trim_rounds=5)
    assert margin_check(fr, w, MARGINS) < 1e-8


def test_design_effect_and_effective_n():
    w = np.array([1.0, 2.0, 3.0, 4.0, np.nan])
    n, s, s2 = 4, 10.0, 30.0
    assert W.effective_n(w) == pytest.approx(s**2 / s2)
    assert W.design_effect(w) == pytest.approx(n * s2 / s**2)
    x = w[:4]
    assert W.design_effect(w) == pytest.approx(1 + (x.std(ddof=0) / x.mean()) ** 2)
    assert W.design_effect(pd.Series([2.0] * 7)) == pytest.approx(1.0)
