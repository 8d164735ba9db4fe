"""Multiple imputation (MICE with PMM), Rubin's rules, and the replica's size-dependent item non-response."""

import numpy as np
import pandas as pd
import pytest

from vsr_analysis.stats.imputation import mice, rubin


def test_rubin_equals_r_mitools():
    # Reference: R mitools 2.4,
    #   MIcombine(results = list(1.0, 1.4, 0.8, 1.2), variances = list(0.04, 0.05, 0.03, 0.045))
    #   coef 1.1; vcov 0.124583333333; df 6.705075
    out = rubin([1.0, 1.4, 0.8, 1.2], [0.04, 0.05, 0.03, 0.045])
    assert out["estimate"] == pytest.approx(1.1)
    assert out["se"] ** 2 == pytest.approx(0.124583333333, abs=1e-11)
    assert out["df"] == pytest.approx(6.705075, abs=1e-6)
    with pytest.raises(ValueError):
        rubin([1.0], [0.1])


def _toy(seed=0, n=300):
    rng = np.random.default_rng(seed)
    size = rng.normal(size=n)
    likert = np.clip(np.round(3 + size + rng.normal(size=n)), 1, 5)
    member = (rng.random(n) < 1 / (1 + np.exp(-size))).astype(float)
    df = pd.DataFrame({"size": size, "likert": likert, "member": member})
    df.loc[rng.random(n) < 0.3, "likert"] = np.nan
    df.loc[rng.random(n) < 0.3, "member"] = np.nan
    return df


def test_mice_fills_with_observed_values_only_and_is_reproducible():
    df = _toy()
    sets = mice(df, ["size", "likert", "member"], m=3, iterations=3, seed=4)
    assert len(sets) == 3
    for s in sets:
        assert s.notna().all().all()
        assert set(s["likert"].unique()) <= {1.0, 2.0, 3.0, 4.0, 5.0}
        assert set(s["member"].unique()) <= {0.0, 1.0}
        pd.testing.assert_series_equal(s["size"], df["size"])  # complete columns untouched
        observed = df["likert"].notna()
        pd.testing.assert_series_equal(s.loc[observed, "likert"], df.loc[observed, "likert"])
    again = mice(df, ["size", "likert", "member"], m=3, iterations=3, seed=4)
    pd.testing.assert_frame_equal(sets[1], again[1])
    assert not sets[0].equals(sets[1])  # independent draws


def test_mice_refuses_a_column_with_no_observed_value():
    df = _toy().assign(likert=np.nan)
    with pytest.raises(ValueError, match="likert"):
        mice(df, ["size", "likert"], m=2)


def test_size_dependent_missingness_biases_complete_cases_and_mice_corrects():
    from vsr_analysis.data.register import load_register
    from vsr_analysis.synth import replica

    register = load_register()[["knr", "population_2021"]]
    items = ["political_anchoring", "network_member", "network_ks", "network_regional", "network_international"]
    full, _ = replica.generate("vsr-narrative", 2021)
    gappy, _ = replica.generate("size-dependent-missingness", 2021)
    # the option touches only its items: every other column is the default scenario's, value for value
    pd.testing.assert_frame_equal(full.drop(columns=items), gappy.drop(columns=items))
    muni = gappy[gappy["unit_type"] == "municipality"].merge(register, on="knr")
    muni["log_population"] = np.log(muni["population_2021"])
    small = muni["population_2021"] < muni["population_2021"].median()
    assert muni.loc[small, "network_member"].isna().mean() > 2 * muni.loc[~small, "network_member"].isna().mean()
    truth = full.loc[full["unit_type"] == "municipality", "network_member"].mean()
    complete_case = muni["network_member"].mean()
    cols = ["maturity_stage", "political_anchoring", "network_member", "log_population", "admin_anchoring"]
    imputed = np.mean([s["network_member"].mean() for s in mice(muni, cols, m=20, seed=1)])
    # small and less mature municipalities skip the item, so complete cases overstate membership; MICE,
    # conditioning on size and stage, recovers most of the gap
    assert complete_case - truth > 0.05
    assert abs(imputed - truth) < 0.5 * abs(complete_case - truth)
