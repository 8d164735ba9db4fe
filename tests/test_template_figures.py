"""Figures the templates draw through package functions (issue 25: thin templates): each draws what it is given."""

from __future__ import annotations

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt
import pandas as pd

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
