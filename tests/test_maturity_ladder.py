"""stats.maturity_ladder: the F2 tables, checked on small hand-made data."""

import numpy as np
import pandas as pd
import pytest

from vsr_analysis.stats.descriptives import COMPONENT_ITEMS
from vsr_analysis.stats.maturity_ladder import (
    county_stage_table,
    dispersion_table,
    stage_and_score,
    stage_distribution_table,
    stage_score_crosstab,
    started_variants,
)

STAGES = list(range(6))
LABELS = {k: f"s{k}" for k in STAGES}


def test_stage_distribution_counts_and_shares():
    y = np.array([0, 1, 1, 2, 5, 5, 5, np.nan])
    table, _ = stage_distribution_table(y, None, LABELS, STAGES, population_size=100)
    assert list(table["municipalities"]) == [1, 2, 1, 0, 0, 3]
    assert table["share (weighted)"].sum() == pytest.approx(1.0)
    assert table.loc[5, "share at or above (weighted)"] == pytest.approx(3 / 7)


def test_dispersion_extremes():
    y = np.array([0.0] * 10 + [5.0] * 10)
    d = dispersion_table(y, np.ones(20), STAGES, reps=50, seed=1).set_index("measure")
    assert d.loc["Leik's D", "weighted"] == pytest.approx(1.0)  # half at each end: polarisation
    assert d.loc["Leik's D", "if uniform over the six stages"] < 1.0


def test_stage_score_crosstab_and_counties():
    answered = pd.DataFrame({c: [1, 0, 1] for c in COMPONENT_ITEMS}).assign(maturity_stage=[5, 0, 4])
    both = stage_and_score(answered, np.array([5.0, 0.0, 4.0]), np.ones(3))
    assert list(both["score"]) == [5, 0, 5]
    ct = stage_score_crosstab(both, LABELS, STAGES)
    assert ct.loc[5, "score 5"] == 1 and ct.loc[4, "score 5"] == 1 and ct["municipalities"].sum() == 3
    table, cy = county_stage_table(pd.DataFrame({"maturity_stage": [1, 1, None]}), LABELS, STAGES)
    assert list(table["county authorities"]) == [0, 2, 0, 0, 0, 0] and np.isnan(cy[2])


def test_started_variants_passes_test_and_stage_count_to_decide():
    y = np.array([0, 1, 2, 3, 4, 5] * 5, dtype=float)
    seen = []
    out = started_variants(
        [("all", y, None)],
        lambda t, k: seen.append((t["estimate"], k)) or "x",
        started_stage=1,
        threshold=0.5,
        population_size=1000,
        min_stage_share=0.1,
        stages=STAGES,
    )
    assert seen == [(pytest.approx(5 / 6), 6)] and out.loc[0, "decision"] == "x"
