"""F8's sentences and tables assembled by claims.barrier_text (moved out of the template, issue 25)."""

from __future__ import annotations

import numpy as np
import pandas as pd

from vsr_analysis.claims import barrier_text as bt


def test_ranking_rows_names_the_barriers_first_and_drops_the_key():
    pairs = pd.DataFrame({"pair": ["a-b"], "named": ["a"], "other": ["b"], "difference": [0.1], "p_value": [0.01]})
    out = bt.ranking_rows(pairs, str.upper)
    assert list(out.columns) == ["named barrier", "other barrier", "named", "other", "difference", "p_value"]
    assert out.iloc[0][["named barrier", "other barrier"]].tolist() == ["A", "B"]


def test_weakest_comparison_text_takes_the_largest_p_or_says_none():
    shown = pd.DataFrame(
        {
            "named barrier": ["X", "X"],
            "other barrier": ["Y", "Z"],
            "difference": [0.2, 0.05],
            "ci_low": [0.1, -0.01],
            "ci_high": [0.3, 0.11],
            "p_value": [0.001, 0.04],
        }
    )
    text = bt.weakest_comparison_text(shown, 2, "C1", "Table 2")
    assert text.startswith("Table 2 shows the 2 comparisons. The weakest is **X** against **Z**: difference 0.050")
    assert "p = **0.04**, C1's p-value" in text
    hidden = shown.assign(p_value=np.nan)
    assert bt.weakest_comparison_text(hidden, 2, "C1", "Table 2").endswith("No comparison could be shown.")


def test_heat_table_orders_rows_as_released_and_adds_counties():
    by_band = pd.DataFrame(
        {
            "barrier": ["p", "p", "q", "q"],
            "size band": ["small", "all municipalities"] * 2,
            "share": [0.1, 0.2, 0.3, 0.4],
        }
    )
    shown = pd.DataFrame({"barrier": ["q", "p"], "share, regional authorities": [0.5, 0.6]})
    heat = bt.heat_table(by_band, ["small"], shown, counties=True)
    assert list(heat.index) == ["q", "p"] and list(heat.columns) == [
        "small",
        "all municipalities",
        "county authorities",
    ]
    assert heat.loc["p", "county authorities"] == 0.6
    assert "county authorities" not in bt.heat_table(by_band, ["small"], shown, counties=False)


def test_discoveries_text_and_summary():
    found = pd.DataFrame({"barrier": ["p"], "comparison": ["small vs large"], "share 1": [0.25], "share 2": [0.5]})
    assert bt.discoveries_text(found, 8, 0.05) == (
        "**1** of 8 comparisons are discoveries at a false discovery rate of 0.05: p (small vs large: 25% vs 50%)."
        " These are exploratory and do not enter any verdict."
    )
    assert bt.discoveries_text(found.iloc[:0], 8, 0.05).startswith("**0** of 8 comparisons are discoveries")
    assert bt.exploratory_summary(8, found, 0.05) == {
        "method": "Benjamini-Hochberg at FDR 0.05",
        "tests": 8,
        "discoveries": 1,
    }
