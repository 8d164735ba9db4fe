"""The weighting chapter's words, tables and figure (claims.weighting_report, moved out of the template, issue 25)."""

from __future__ import annotations

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd

from vsr_analysis.claims import weighting_report as wr
from vsr_analysis.data.analysis_frame import RAKING_MARGINS

INFO = {
    "respondents": 200,
    "frame": 356,
    "design_effect": 1.2345,
    "effective_n": 162.2,
    "min_weight": 0.8,
    "max_weight": 3.456,
    "margins": list(RAKING_MARGINS),
}


def test_weights_text_and_margin_notes():
    assert wr.weights_text(INFO) == (
        "200 of 356 municipalities responded (56%). Design effect **1.234**, effective sample size **162**; weights "
        "range from 0.80 to 3.46."
    )
    assert wr.margin_notes(INFO) == []
    notes = wr.margin_notes({**INFO, "margins": ["county"], "dropped_margins": ["size_band"]})
    assert notes[0] == "*Margins used after merging cells without respondents: county.*"
    assert notes[1].endswith("size_band were dropped.*")


def test_weights_figure_and_calibration_text():
    fig = wr.weights_figure(pd.DataFrame({"weight": np.linspace(0.5, 3, 40)}))
    assert fig.axes[0].get_title() == "Distribution of the raking weights"
    plt.close(fig)
    cal = {"brier": 0.2, "brier_constant": 0.25, "slope": 0.95, "intercept": 0.01}
    assert wr.calibration_text("logit", np.array([0.2, 0.9]), cal) == (
        "Model: logit. Response probabilities range from 0.20 to 0.90. Out of fold: Brier score **0.2000** against "
        "0.2500 for a constant rate; calibration slope **0.95**, intercept 0.01."
    )


def test_response_quantiles():
    table = wr.response_quantiles({"a": pd.Series(np.linspace(0, 1, 101)), "b": pd.Series(np.ones(5))})
    assert list(table.columns) == ["quantile over the 356", "a", "b"]
    assert np.allclose(table["a"], wr.QUANTILES) and set(table["b"]) == {1.0}


def test_coverage_text_lists_cells_outside_the_band():
    coverage = pd.DataFrame(
        {
            "variance": ["poisson", "poisson", "oracle", "oracle"],
            "scenario": ["s1", "s2", "s1", "s2"],
            "claim": ["C1", "C1", "C1", "C1"],
            "coverage": [0.95, 0.90, 0.95, 0.92],
            "seeds": [1000, 1000, 1000, 1000],
            "bias": [0.0, -0.00001, 0.0, 0.0],
        }
    )
    lines = wr.coverage_text(coverage)
    assert lines[0].startswith("Intervals under missing at random: coverage from **0.900** to **0.950** over 1000")
    assert "1 of 2 claim × scenario cells" in lines[0]
    assert lines[1:] == [
        "- C1 under `s2`: under missing at random 0.900 (below the band); oracle 0.920 (also outside the band); bias "
        "of the estimate +0.0000."
    ]


def test_weighting_comparison_and_agreement_text():
    rng = np.random.default_rng(3)
    n = 120
    frame = pd.DataFrame(
        {
            "responded": rng.uniform(size=n) < 0.6,
            "log_population": rng.normal(9, 1, n),
            "centrality": rng.uniform(0, 1, n),
            "merged_2017_2020": rng.integers(0, 2, n),
            "county_code": rng.choice(["03", "11", "46"], n),
            "maturity_stage": rng.integers(0, 6, n).astype(float),
            "weight": rng.uniform(1, 2, n),
        }
    )
    table, agreement = wr.weighting_comparison(frame)
    assert list(table["weights"]) == ["unweighted", "raking", "response propensity"]
    assert table.loc[0, "design effect"] == 1.0
    assert wr.agreement_text(agreement).startswith("The two sets of weights correlate at r = **")
