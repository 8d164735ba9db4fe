"""The synthetic replica page's tables, sentences and figure (claims.replica_report, moved out of the template,
issue 25)."""

from __future__ import annotations

import matplotlib

matplotlib.use("Agg")

from types import SimpleNamespace

import matplotlib.pyplot as plt
import pandas as pd

from vsr_analysis.claims import replica_report as rr

TRUTH = {
    "frame_median_population": 4567.0,
    "small_at_stage_ge4": {"knr": ["0101", "0202"], "expected_count": 3.25},
    "small_peripheral_at_stage_ge4": {"knr": ["0202"], "expected_count": 1.05},
    "thresholds": {"1|2": -1.0, "2|3": 0.5},
}
FRAME = pd.DataFrame(
    {
        "knr": ["0101", "0202", "0303", "0404"],
        "name": ["A", "B", "C", "D"],
        "population_2021": [1000, 2000, 50000, 90000],
        "centrality_class": [4, 6, 1, 2],
        "maturity_stage": [4, 5, 2, None],
        "size_band": ["small", "small", "large", "large"],
    }
)


def test_scenario_and_small_at_top_texts():
    sc = {"title": "The story", "summary": " one\n two "}
    rm = {
        "n_respondents": 200,
        "n_frame": 356,
        "realised_rate": 0.5618,
        "expected_rate": 0.55,
        "n_county_respondents": 9,
    }
    assert rr.scenario_text("s", 7, sc, rm).startswith(
        "**Scenario `s`, seed 7: The story.** one two\n\nThe file has 200"
    )
    assert rr.small_at_top_text(TRUTH) == (
        "Median population of the frame: 4,567. Expected number of responding municipalities below it at stage ≥ 4 "
        "under this scenario: 3.2; in this file: 2 (of which 1 peripheral; expected 1.1)."
    )


def test_tables():
    scen = {
        "a": {"title": "A", "maturity": {"coefficients": {"x": {"value": 0.5}}, "ceiling": {"value": None}}},
        "b": {"title": "B", "maturity": {"coefficients": {"x": {"value": 0.0}}, "ceiling": {"value": 5000}}},
    }
    table = rr.scenarios_table(scen, "b", lambda v: f"{v:,}")
    assert table["ceiling"].tolist() == ["none", "5,000"] and table["shown here"].tolist() == ["", "yes"]
    targets = pd.DataFrame({c: [1] for c in rr.TARGET_COLUMNS + ["extra"]})
    assert "target low / min" in rr.targets_shown(targets).columns and "extra" not in rr.targets_shown(targets)
    stats_ = {"stage_ge1": [0.9], "sdg_in_master_plan": [0.3], "measures_progress": [0.4]}
    facts = rr.published_facts(stats_, {"realised_rate": 0.6}, 10)
    assert len(facts) == 6 and facts["synthetic value"].tolist() == ["90%", "30%", "90%", "40%", "60%", "10"]
    fit = SimpleNamespace(thresholds=pd.Series([-0.9, 0.4, 9.9]))
    assert rr.thresholds_table(TRUTH, fit)["estimate"].tolist() == [-0.9, 0.4]
    top = rr.small_at_top(FRAME, TRUTH)
    assert top["municipality"].tolist() == ["A", "B"] and top["peripheral (class 5–6)"].tolist() == ["", "yes"]


def test_stage_by_band_figure():
    labels = {k: f"stage {k}" for k in range(6)}
    fig, caption = rr.stage_by_band_figure(FRAME, FRAME, labels, "s", 7)
    assert caption.endswith("(n per band: small 2, large 1).")
    assert fig.axes[0].get_title() == "SIMULATED: maturity stage by size band\n(scenario s, seed 7)"
    plt.close(fig)
