"""stats.item_shares: the F8 tables of a group of yes/no items, checked on small hand-made data."""

import numpy as np
import pandas as pd
import pytest
from scipy import stats

from vsr_analysis.stats.item_shares import item_comparisons, item_share_table, item_shares_by_group


@pytest.fixture
def data():
    resp = pd.DataFrame(
        {
            "a": [1, 1, 1, 0, 1, 1, 0, 1, np.nan, 1],
            "b": [0, 0, 1, 0, 0, 1, 0, 0, 0, 0],
            "weight": [1.0] * 10,
            "band": ["small"] * 5 + ["large"] * 5,
            "pop": [100, 200, 300, 400, 500, 1000, 2000, 3000, 4000, 5000],
        }
    )
    counties = pd.DataFrame({"a": [1, 0, 0], "b": [1, 1, 1]})
    return resp, counties


def test_share_table_counts_and_order(data):
    resp, counties = data
    t = item_share_table(resp, counties, ["b", "a"], str.upper, population_size=1000)
    assert list(t["barrier"]) == ["A", "B"]  # sorted by weighted share, largest first
    a = t.iloc[0]
    assert a["municipalities answering"] == 9 and a["municipalities naming it"] == 7
    assert a["share (weighted)"] == pytest.approx(7 / 9) and a["share (unweighted)"] == pytest.approx(7 / 9)
    assert a["ci_low"] < 7 / 9 < a["ci_high"]
    assert a["county authorities naming it"] == 1 and a["share, regional authorities"] == pytest.approx(1 / 3)
    no_counties = item_share_table(resp, counties.iloc[0:0], ["a"], str, population_size=1000)
    assert np.isnan(no_counties.loc[0, "share, regional authorities"])


def test_shares_by_group_orders_levels_by_size(data):
    resp, _ = data
    frame = resp.assign(band=resp["band"])
    table, order = item_shares_by_group(resp, frame, ["b"], str, "band", order_by="pop", population_size=1000)
    assert order == ["small", "large"]
    assert list(table["band"]) == ["small", "large", "all municipalities"]
    assert list(table["naming it"]) == [1, 1, 2]


def test_comparisons_fisher_matches_scipy_and_bh_columns(data):
    resp, counties = data
    c = item_comparisons(resp, counties, ["b"], str, split_column="pop", split_at=1000, fdr=0.05)
    assert list(c["comparison"].str.startswith("below vs above")) == [True, False]
    fisher = c.iloc[1]
    # counties 3 of 3 vs municipalities 2 of 10 (counts), two-sided Fisher
    assert fisher["p_value"] == pytest.approx(stats.fisher_exact([[3, 0], [2, 8]])[1])
    assert (c["p_adjusted (BH)"] >= c["p_value"]).all()
    assert set(c["discovery"]) <= {"yes", "no"}
