"""Tests for vsr_analysis.stats.specification_curve: the default grid, derived codings, running and summarising a curve."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from vsr_analysis.stats import specification_curve as sc


def make_frame(n: int = 300, seed: int = 2) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    pop = np.round(np.exp(rng.normal(8.6, 1.1, n)))
    cls = rng.integers(1, 7, n)
    score = np.clip(1000 - 120 * cls + rng.integers(-60, 60, n), 0, 1000)
    band = pd.cut(pop, [0, 2000, 5000, 10000, 20000, 1e8], labels=["under 2k", "2-5k", "5-10k", "10-20k", "20k+"])
    df = pd.DataFrame(
        {
            "population_2021": pop,
            "size_band": pd.Series(band).astype(str),
            "centrality_score": score,
            "centrality_class": cls,
            "merged_2017_2020": rng.binomial(1, 0.3, n),
            "network_member": rng.binomial(1, 0.3, n),
            "county_code": rng.choice(["03", "11", "15", "18", "30", "31"], n),
            "weight": rng.uniform(0.7, 1.5, n),
        }
    )
    df = sc.prepare_columns(df)
    eta = 0.8 * (df["log_population"] - 8.6) + 1.5 * (df["centrality"] - 0.6) + 0.4 * df["network_member"]
    df["maturity_stage"] = np.searchsorted([-2.0, -1.0, 0.0, 1.0, 2.0], (eta + rng.logistic(size=n)).to_numpy())
    return df


def test_prepare_columns_orientation():
    df = make_frame()
    assert np.allclose(df["centrality"], df["centrality_score"] / 100)
    assert ((df["central"] == 1) == (df["centrality_class"] <= 2)).all()
    assert (df["centrality_class_rev"] == 7 - df["centrality_class"]).all()
    # band rank increases with population
    med = df.groupby("size_band_rank")["population_2021"].median()
    assert med.is_monotonic_increasing and list(med.index) == [1, 2, 3, 4, 5]
    assert np.allclose(df["population_10k"], df["population_2021"] / 1e4)


def test_default_specs_grid():
    specs = sc.default_specs("size")
    assert len(specs) == 3 * 3 * 7 * 2 * 2 * 2
    prim = [s for s in specs if s["primary"]]
    assert len(prim) == 1
    p = prim[0]
    assert (p["model"], p["size"], p["centrality"], p["weights"], p["fixed_effects"]) == (
        "ordinal",
        "log_population",
        "centrality",
        "weight",
        ("county_code",),
    )
    assert set(p["controls"]) == {"merged_2017_2020", "network_member"}
    assert all(s["focal"] == s["size"] for s in specs)
    assert len({s["id"] for s in specs}) == len(specs)
    net = sc.default_specs("network_member", score_outcome="maturity_score")
    assert all("network_member" in s["controls"] for s in net)
    assert sum(s["primary"] for s in net) == 1
    assert any(s["outcome"] == "maturity_score" for s in net)


def test_curve_with_custom_fit_fn_and_summary():
    specs = [{"id": i, "x": i, "primary": i == 0} for i in range(6)]
    table = {
        0: (1.0, 0.2, 0.001),
        1: (0.5, 0.4, 0.2),
        2: (-0.3, 0.1, 0.01),
        3: (2.0, 0.5, 0.0001),
        4: None,
        5: (0.1, 1, 0.9),
    }

    def fit_fn(data, spec):
        res = table[spec["x"]]
        if res is None:
            raise ValueError("boom")
        return res

    curve = sc.specification_curve(pd.DataFrame(), specs, fit_fn)
    assert len(curve) == 6 and curve.loc[4, "error"].startswith("ValueError")
    assert np.isnan(curve.loc[4, "estimate"])
    assert curve.loc[0, "ci_low"] == pytest.approx(1.0 - 1.959964 * 0.2, abs=1e-5)
    assert curve["rank"].dropna().tolist() == [4, 3, 1, 5, 2]
    s = sc.summarise(curve, alpha=0.05)
    assert s["n_estimated"] == 5 and s["n_failed"] == 1
    assert s["share_same_sign"] == pytest.approx(4 / 5)
    assert s["share_significant_same"] == pytest.approx(2 / 5)
    assert s["share_significant_opposite"] == pytest.approx(1 / 5)
    with pytest.raises(ValueError):
        sc.summarise(curve.assign(primary=False))


def test_small_real_grid_runs():
    df = make_frame()
    specs = sc.default_specs(
        "size",
        cuts=(3,),
        size_codings=("log_population", "size_band_rank"),
        centrality_codings=("centrality", "central"),
        fixed_effect_options=((), ("county_code",)),
        weight_options=(None, "weight"),
        control_sets=(("merged_2017_2020", "network_member"),),
    )
    curve = sc.specification_curve(df, specs)
    assert len(curve) == 2 * 2 * 3 * 2 * 2
    assert (curve["error"] == "").all()
    assert set(curve["model"]) == {"ordinal", "logit", "ols"}
    summary = sc.summarise(curve, alpha=0.05)
    assert summary["primary_sign"] == 1
    assert summary["share_same_sign"] == 1.0
    assert summary["share_significant_same"] > 0.8
    # the primary row equals a direct fit
    from vsr_analysis.stats import ordinal_model as models

    fit = models.fit_ordinal(
        df,
        "maturity_stage",
        ["log_population", "centrality", "merged_2017_2020", "network_member"],
        weights="weight",
        fixed_effects=["county_code"],
    )
    prim = curve[curve["primary"]].iloc[0]
    assert prim["estimate"] == pytest.approx(fit.params["log_population"])
    assert prim["se"] == pytest.approx(fit.bse["log_population"])
