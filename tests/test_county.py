"""The county authorities: exact count tables, disclosure of 11 units, and the replica's county and F9/F10 truth."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from vsr_analysis.build.disclosure import SUPPRESSED, scan_results
from vsr_analysis.claims.share_reporting import publishable
from vsr_analysis.stats.county_tables import (
    ITEM_COUNT_COLUMNS,
    STAGE_COUNT_COLUMNS,
    describe_count,
    hidden_cells,
    hidden_note,
    item_counts,
    stage_counts,
)
from vsr_analysis.stats.exact import clopper_pearson
from vsr_analysis.synth import replica as synth
from vsr_analysis.synth.county import expected_county_shares

LABELS = {"a": "item a", "b": "item b", "c": "item c"}


def _counties():
    # 11 county authorities: a named by 7 of 10 answering, b by 2 of 11, c by 10 of 11 (complement 1)
    return pd.DataFrame(
        {
            "a": [1] * 7 + [0] * 3 + [np.nan],
            "b": [1] * 2 + [0] * 9,
            "c": [1] * 10 + [0],
            "maturity_stage": [0, 1, 3, 3, 3, 3, 4, 4, 4, 5, np.nan],
        }
    )


def _municipalities():
    # reference for Fisher below: 65 of 266 municipalities name a
    return pd.DataFrame({"a": [1] * 65 + [0] * 201, "b": [0] * 266, "c": [1] * 266, "weight": np.ones(266)})


def test_item_counts_are_counts_with_exact_intervals_and_fisher():
    t = item_counts(_counties(), ["a", "b", "c"], LABELS, municipalities=_municipalities())
    row = t.iloc[0]
    assert (row["county authorities answering"], row["county authorities with it"]) == (10, 7)
    assert row["county authorities without it"] == 3
    assert (row["ci_low (exact)"], row["ci_high (exact)"]) == pytest.approx(clopper_pearson(7, 10)[1:])
    # R: fisher.test(matrix(c(7, 3, 65, 201), 2))$p.value
    assert row["Fisher exact p (exploratory)"] == pytest.approx(0.00386999661243, rel=1e-8)
    assert row["municipal share (weighted)"] == pytest.approx(65 / 266)


def test_stage_counts_is_one_distribution_with_text_stage_labels():
    t = stage_counts(_counties(), {k: f"s{k}" for k in range(6)})
    assert t["county authorities"].tolist() == [1, 1, 0, 4, 3, 1]
    assert t["share"].sum() == pytest.approx(1.0)
    assert t["stage"].tolist() == [str(k) for k in range(6)]


def test_confidential_tables_hide_small_cells_and_their_complements():
    counties = _counties()
    items = item_counts(counties, ["a", "b", "c"], LABELS)
    shown = publishable(items, ITEM_COUNT_COLUMNS, confidential=True)
    by = shown.set_index("item")
    assert by.loc["item a", "county authorities with it"] == "7"  # 7 and 3: nothing to hide
    assert by.loc["item b", "county authorities with it"] == SUPPRESSED
    assert by.loc["item b", "county authorities without it"] == SUPPRESSED  # secondary: 11 - 9 would give 2
    assert by.loc["item c", "county authorities without it"] == SUPPRESSED  # the complement 1 is a small cell
    assert by.loc["item c", "county authorities with it"] == SUPPRESSED
    for col in ("county share", "ci_low (exact)", "ci_high (exact)"):
        assert by.loc["item b", col] == SUPPRESSED and by.loc["item c", col] == SUPPRESSED
    hidden = hidden_cells(shown, ITEM_COUNT_COLUMNS, "item")
    assert hidden["hidden"] == 4 and hidden["rows"] == ["item b", "item c"]
    assert "4 of 9 count cells" in hidden_note(hidden, "table")
    assert "not shown" in describe_count(by.reset_index().iloc[1], "name b")
    assert describe_count(by.reset_index().iloc[0], "name a").startswith("7 of 10 county authorities name a")
    stages = publishable(stage_counts(counties, {k: f"s{k}" for k in range(6)}), STAGE_COUNT_COLUMNS, True)
    assert (stages["county authorities"] == SUPPRESSED).sum() >= 3  # stages 0, 1 and 5 hold one each
    assert (
        hidden_note(
            hidden_cells(publishable(items.iloc[:1], ITEM_COUNT_COLUMNS, True), ITEM_COUNT_COLUMNS, "item"), "t"
        )
        == ""
    )


def test_published_county_tables_pass_the_result_scan(tmp_path):
    counties = _counties()
    for name, table, cols in [
        ("items", item_counts(counties, ["a", "b", "c"], LABELS), ITEM_COUNT_COLUMNS),
        ("stages", stage_counts(counties, {k: f"s{k}" for k in range(6)}), STAGE_COUNT_COLUMNS),
    ]:
        publishable(table, cols, True).to_csv(tmp_path / f"{name}.csv", index=False)
        table.to_csv(tmp_path / f"raw_{name}.csv", index=False)
    leaks = scan_results(tmp_path)
    assert leaks and all(leak.startswith("raw_") for leak in leaks)  # the scan sees the raw tables' small cells


def test_no_county_rows_gives_empty_counts():
    empty = _counties().iloc[0:0]
    t = item_counts(empty, ["a"], LABELS)
    assert t["county authorities answering"].iloc[0] == 0 and np.isnan(t["county share"].iloc[0])
    assert "no county authority answered" in describe_count(t.iloc[0], "name a")


# --- the replica ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize("scenario", synth.available_scenarios())
def test_every_scenario_carries_county_and_item_share_truth(scenario):
    rows, truth = synth.generate(scenario, 11)
    ct = truth["counties"]
    counties = rows[rows["unit_type"] == "county"]
    assert ct["n_respondents"] == len(counties) and ct["n_frame"] == 11
    for item in ("measures_progress", "barrier_national_guidance", "barrier_policy_coherence"):
        v = pd.to_numeric(counties[item], errors="coerce").dropna()
        assert ct["realised"][item] == {"answering": int(v.size), "with_it": int(v.sum())}
        assert 0 <= ct["expected_shares"][item] <= 1
    stages = pd.to_numeric(counties["maturity_stage"], errors="coerce").dropna()
    assert sum(ct["realised"]["maturity_stage"].values()) == stages.size
    sc = synth.load_scenario(scenario)
    assert (
        ct["expected_shares"]["barrier_national_guidance"] == sc["barriers"]["barrier_national_guidance"]["county_rate"]
    )
    for entry in (truth["measures_progress_share"], *truth["barrier_shares"].values()):
        assert 0 < entry["expected_frame"] < 1 and 0 < entry["realised_frame"] < 1
    assert set(truth["barrier_shares"]) == set(sc["barriers"])  # every barrier, none pooled with another
    # the model's F9 expectation is the frame mean of the replica's own expected marginal
    assert truth["measures_progress_share"]["expected_frame"] == pytest.approx(
        truth["expected_marginals"]["frame"]["measures_progress"], abs=1e-6
    )


def test_realised_frame_truth_is_near_its_expectation_over_seeds():
    got = [synth.generate("vsr-narrative", s)[1]["barrier_shares"]["barrier_policy_coherence"]["realised_frame"]
           for s in range(4)]  # fmt: skip
    exp = synth.generate("vsr-narrative", 0)[1]["barrier_shares"]["barrier_policy_coherence"]["expected_frame"]
    # a share of 356 independent draws: standard error below 0.027, so four seeds' mean is within 0.06
    assert abs(np.mean(got) - exp) < 0.06
    assert len(set(got)) > 1


def test_expected_county_shares_follow_the_ladder():
    sc = synth.load_scenario("vsr-narrative")
    e = expected_county_shares(sc)
    assert sum(e[f"stage_eq{k}"] for k in range(6)) == pytest.approx(1.0)
    assert e["sdg_in_planning_strategy"] >= e["sdg_in_master_plan"] >= e["sdg_in_budget"] >= e["measures_progress"]
    a, b = e["barrier_policy_coherence"], e["barrier_national_guidance"]
    assert e["either_state_barrier"] == pytest.approx(1 - (1 - a) * (1 - b), abs=1e-6)
