"""Figures the templates draw through package functions (issue 25: thin templates): each draws what it is given."""

from __future__ import annotations

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt
import pandas as pd

from vsr_analysis.claims.coherence_figures import county_reading, state_barriers_figure
from vsr_analysis.claims.progress_figures import ladder_figure


def test_ladder_figure_draws_released_rows_and_reference_lines():
    rungs = pd.DataFrame(
        {
            "item": ["a", "b"],
            "rung": ["Plan", "Indicators"],
            "stage that implies it": [2, 5],
            "share (weighted)": [0.8, ".."],
            "ci_low": [0.7, ".."],
            "ci_high": [0.9, ".."],
        }
    )
    by_stage = pd.DataFrame(
        {
            "stage": [1, 2],
            "stage name": ["one", "two"],
            "share": [0.2, 0.5],
            "ci_low": [0.1, 0.3],
            "ci_high": [0.3, 0.7],
        }
    )
    fig = ladder_figure(rungs, by_stage, item="b", threshold=0.5, outside_share=0.45)
    top, bottom = fig.axes[:2]
    assert [t.get_text() for t in top.get_yticklabels()] == ["Plan (stage 2)", "Indicators (stage 5)"]
    assert len(top.patches) == 2  # a bar per rung, the hidden one drawn as a gap (NaN)
    assert len(bottom.get_yticklabels()) == 2
    assert {line.get_linestyle() for line in bottom.get_lines() if len(set(line.get_xdata())) == 1} >= {"--", ":"}
    plt.close(fig)


def _county_table():
    return pd.DataFrame(
        {
            "item": ["Lack of policy coherence", "Lack of national guidance"],
            "county authorities answering": [11, ".."],
            "county authorities with it": [7, ".."],
            "county authorities without it": [4, ".."],
            "county share": [7 / 11, ".."],
            "ci_low (exact)": [0.31, ".."],
            "ci_high (exact)": [0.89, ".."],
            "municipal share (weighted)": [0.5, 0.6],
        }
    )


def test_county_reading_counts_only_released_rows_and_names_the_hidden_ones():
    text = county_reading(_county_table())
    assert text.startswith("County authorities: 7 of 11 county authorities name lack of policy coherence")
    assert "is not shown" in text  # the hidden row
    assert "In 1 of the 1 rows shown the county share is at least the municipal one" in text
    assert "**Not shown:** 3 of 6 count cells" in text and "Lack of national guidance" in text


def test_state_barriers_figure_with_and_without_counties():
    muni = pd.DataFrame(
        {
            "barrier": ["Lack of policy coherence", "Lack of national guidance"],
            "share (weighted)": [0.3, 0.6],
            "ci_low": [0.2, 0.5],
            "ci_high": [0.4, 0.7],
        }
    )
    fig = state_barriers_figure(muni, _county_table(), 0.25)
    ax = fig.axes[0]
    assert len(ax.patches) == 2
    assert [t.get_text() for t in ax.get_legend().get_texts()][-1] == "county authorities (exact CI)"
    plt.close(fig)
    fig = state_barriers_figure(muni, None, 0.25)
    assert "county authorities (exact CI)" not in [t.get_text() for t in fig.axes[0].get_legend().get_texts()]
    plt.close(fig)
