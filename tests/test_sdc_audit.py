"""Issue 29: the disclosure engine over linked tables and the reconstruction audit (``stats.sdc``).

Each leak of the issue is planted in the synthetic replica (answers edited, respondents dropped: still a valid
file), the tables that leaked are recorded as the build released them, and then:

- with the engine switched off (the cells as published before: per-table suppression, zeros and margins shown),
  the audit must recover the planted answer or the suppressed count — the attacker's differencing works;
- with the engine on (primary + secondary suppression over the linked set), the audit recovers nothing, and the
  release still shows most cells (the engine does not pass by hiding everything).

The attacker knows the register and which municipalities responded (the conservative case).
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from vsr_analysis.data.register import load_register
from vsr_analysis.stats import sdc
from vsr_analysis.synth.simulation import generate

STAGES = [0, 1, 2, 3, 4, 5]
OSLO = "0301"


@pytest.fixture(scope="module")
def replica() -> pd.DataFrame:
    survey = generate("vsr-narrative", 5)[0]
    register = load_register().set_index("knr")
    muni = survey[survey["unit_type"] == "municipality"].set_index("knr")
    muni = muni.join(register[["county_code", "size_band", "centrality_class"]])
    assert OSLO in muni.index
    return muni


def _answers(frame: pd.DataFrame, items: list[str]) -> pd.DataFrame:
    return frame[items].astype(object).where(frame[items].notna(), None).map(lambda v: None if v is None else int(v))


def _old_rule(cells: list) -> None:
    """How a table was shown before the engine: 1-2 as "<3", one more cell of the table hidden when only one was
    (its mark says nothing: OPAQUE), everything else (zeros, margins, other tables) shown."""
    for c in cells:
        c.shown = sdc.SMALL if 0 < c.value < sdc.MIN_CELL else str(c.value)
    hidden = [c for c in cells if c.shown == sdc.SMALL]
    if len(hidden) == 1:
        others = [c for c in cells if c.shown != sdc.SMALL and c.value > 0]
        if others:
            min(others, key=lambda c: c.value).shown = sdc.OPAQUE


def _released_share(release: sdc.Release) -> float:
    return np.mean([c.released for c in release.cells])


# ---------------------------------------------------------------------------------------------------------------
# the leaks, planted
# ---------------------------------------------------------------------------------------------------------------


def _f2_differencing(replica):
    """F2: a respondent alone at the top stage; the stage distribution hides it, the robustness table's n at
    stage >= 1 and the total n do not (a cumulative column gives the same by subtraction)."""
    frame = replica.copy()
    frame.loc[frame["maturity_stage"] == 5, "maturity_stage"] = 4
    frame.loc[OSLO, "maturity_stage"] = 5
    release = sdc.Release(_answers(frame, ["maturity_stage"]), {"maturity_stage": STAGES})
    everyone = frame.index
    distribution = [release.count("f2 stages", f"stage {s}", "maturity_stage", [s], everyone) for s in STAGES]
    margins = [
        release.count("f2 robustness", "n at stage >= 1", "maturity_stage", STAGES[1:], everyone),
        release.count("f2 robustness", "n", "maturity_stage", STAGES, everyone),
    ]
    return release, distribution, margins


def _alone_in_class(replica):
    """F4: the only respondent of centrality class 1, at the top stage; the heat map by class shows zeros."""
    frame = replica[(replica["centrality_class"] != 1) | (replica.index == OSLO)].copy()
    frame.loc[OSLO, "maturity_stage"] = 5
    release = sdc.Release(_answers(frame, ["maturity_stage"]), {"maturity_stage": STAGES})
    rows = []
    for cls, group in frame.groupby("centrality_class"):
        rows.append([release.count("f4 heat map", f"class {cls} stage {s}", "maturity_stage", [s], group.index)
                     for s in STAGES])  # fmt: skip
    return release, rows


def _county_census():
    """The county authorities: a census of 11, every one with the SDGs in its planning strategy."""
    counties = pd.Index([f"{c:02d}" for c in (3, 11, 15, 18, 30, 34, 38, 42, 46, 50, 54)], name="knr")
    answers = pd.DataFrame({"sdg_in_planning_strategy": 1, "barrier_funding": 0}, index=counties).astype(object)
    answers.loc["46", "barrier_funding"] = 1  # one county authority alone names the barrier
    release = sdc.Release(answers, {"sdg_in_planning_strategy": [0, 1], "barrier_funding": [0, 1]})
    plan = [
        release.count("county", "planning strategy: with", "sdg_in_planning_strategy", [1], counties),
        release.count("county", "planning strategy: without", "sdg_in_planning_strategy", [0], counties),
    ]
    barrier = release.count("county", "barrier funding: naming", "barrier_funding", [1], counties)
    # F8's comparison table: the same count as a share of the 11 (it bypassed the county chapter's suppression)
    share = release.share("f8 comparison", "county authorities naming funding", "barrier_funding", [1], counties, 4)
    return release, plan, barrier, share


def _barrier_by_band(replica):
    """F8: barriers by size band, the only respondent of the largest band naming a barrier; the "all" column."""
    frame = replica.copy()
    big = frame["size_band"] == frame.loc[OSLO, "size_band"]
    frame.loc[big, "barrier_policy_coherence"] = 0
    frame.loc[OSLO, "barrier_policy_coherence"] = 1
    items = ["barrier_policy_coherence", "barrier_capacity"]
    release = sdc.Release(_answers(frame, items), dict.fromkeys(items, [0, 1]))
    table = {}
    for item in items:
        for band, group in frame.groupby("size_band"):
            table[(item, band)] = release.count("f8 by band", f"{item} {band}", item, [1], group.index)
        table[(item, "all")] = release.count("f8 by band", f"{item} all", item, [1], frame.index)
    return release, table, frame.loc[OSLO, "size_band"]


# ---------------------------------------------------------------------------------------------------------------
# engine off: the audit catches each leak
# ---------------------------------------------------------------------------------------------------------------


def test_audit_catches_differencing_with_the_robustness_margins(replica):
    release, distribution, margins = _f2_differencing(replica)
    _old_rule(distribution)
    for c in margins:
        c.shown = str(c.value)
    result = sdc.audit(release)
    assert ("f2 stages", "stage 5", 1) in result.recomputable, result.recomputable
    assert not result.passed


def test_audit_catches_zeros_around_a_respondent_alone_in_its_class(replica):
    release, rows = _alone_in_class(replica)
    for row in rows:
        _old_rule(row)
    result = sdc.audit(release)
    assert (OSLO, "maturity_stage", 5) in result.determined


def test_audit_catches_the_county_census_and_the_bypassing_share():
    release, plan, barrier, share = _county_census()
    release.publish_all()
    _old_rule([barrier])
    result = sdc.audit(release)
    determined = {(u, item) for u, item, _ in result.determined}
    # "11 with, 0 without" publishes every county authority's answer
    assert {(u, "sdg_in_planning_strategy") for u in release.answers.index} <= determined
    # 0.0909 of 11 recomputes the "<3" of the county chapter
    assert ("county", "barrier funding: naming", 1) in result.recomputable


def test_audit_catches_the_all_column_minus_the_other_bands(replica):
    release, table, band = _barrier_by_band(replica)
    for item in ("barrier_policy_coherence", "barrier_capacity"):
        for c in [c for (i, _), c in table.items() if i == item]:
            c.shown = str(c.value)
    planted = table[("barrier_policy_coherence", band)]
    planted.shown = sdc.SMALL
    table[("barrier_capacity", band)].shown = sdc.OPAQUE  # secondary hid a cell of another barrier
    result = sdc.audit(release)
    assert ("f8 by band", planted.label, 1) in result.recomputable


# ---------------------------------------------------------------------------------------------------------------
# engine on: nothing recovered, most cells still shown
# ---------------------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("case", ["f2", "class", "county", "bands"])
def test_engine_protects_every_planted_case(replica, case):
    if case == "f2":
        release = _f2_differencing(replica)[0]
    elif case == "class":
        release = _alone_in_class(replica)[0]
    elif case == "county":
        release = _county_census()[0]
    else:
        release = _barrier_by_band(replica)[0]
    result = release.protect()
    assert result.passed, (result.determined[:3], result.recomputable[:3])
    # an independent audit of what the engine released agrees (no state carried over from protect)
    again = sdc.audit(release, seed=11)
    assert again.passed
    report = release.report()
    assert set(report["shown"]) - {sdc.SMALL, sdc.HIDDEN} or case == "county"
    if case != "county":  # a census of 11 that all answer alike has little to release
        assert _released_share(release) >= 0.5, report


def test_engine_suppresses_linked_cells_not_just_the_small_one(replica):
    release, distribution, margins = _f2_differencing(replica)
    release.protect()
    hidden = [c for c in release.cells if not c.released]
    assert distribution[5] in hidden
    # the top stage's cell cannot be the only hidden number: the margins or another stage go with it
    assert len(hidden) >= 2
    assert any(c.reason.startswith("secondary") for c in hidden) or any(m in hidden for m in margins)


def test_class_rule_hides_a_weighted_share_that_pins_a_weighting_class():
    """Eight units in two weighting classes (weights 1 and 3, four each), three of them in the level: one of
    weight 1 and two of weight 3 give 7 / 16. No other split of three gives a share that rounds the same, so the
    share pins each class's count (a finer table than the count of 3): hidden by the engine, flagged by the audit
    when shown."""
    units = list("abcdefgh")
    answers = pd.DataFrame({"item": [1, 0, 0, 0, 1, 1, 0, 0]}, index=units, dtype=object)
    weights = pd.Series([1.0] * 4 + [3.0] * 4, index=units)
    release = sdc.Release(answers, {"item": [0, 1]}, allow_missing=False)
    cell = release.share("t", "share", "item", [1], units, digits=2, weights=weights)
    assert cell.count == 3 and cell.value == round(7 / 16, 2)
    assert sdc.pinned_classes(cell) == [1.0, 3.0]
    release.primary()
    assert cell.shown == sdc.HIDDEN and "weighting class" in cell.reason
    cell.shown = f"{cell.value:.2f}"  # shown anyway (a build without the rule): the audit says so
    cell.checked = None
    result = sdc.audit(release)
    assert not result.passed and result.pinned_classes == [("t", "share")]


def test_class_rule_releases_a_weighted_share_of_many_interchangeable_units():
    rng = np.random.default_rng(3)
    units = [f"u{i}" for i in range(60)]
    answers = pd.DataFrame({"item": rng.integers(0, 2, 60)}, index=units, dtype=object)
    weights = pd.Series(np.repeat([0.9, 1.1, 1.3], 20), index=units)
    release = sdc.Release(answers, {"item": [0, 1]}, allow_missing=False)
    cell = release.share("t", "share", "item", [1], units, digits=2, weights=weights)
    assert sdc.pinned_classes(cell) == []
    release.primary()
    assert cell.released


# ---------------------------------------------------------------------------------------------------------------
# speed without a change of outcome (issue 24): solutions carried between the rounds of secondary suppression
# ---------------------------------------------------------------------------------------------------------------


def _fresh_audits(monkeypatch) -> None:
    """``sdc.audit`` as it was before solutions were carried: every round starts from nothing."""
    plain = sdc.audit

    def fresh(release, seed=0, random_solutions=6, items=None, carry=None):
        return plain(release, seed=seed, random_solutions=random_solutions, items=items)

    monkeypatch.setattr(sdc, "audit", fresh)


@pytest.mark.parametrize("case", ["f2", "class", "bands"])
def test_secondary_suppression_hides_the_same_cells_with_carried_solutions(replica, case, monkeypatch):
    """Hiding a cell only removes constraints, so a round's solutions are solutions in the next: carrying them
    spares integer programs (234 s -> 89 s on the planted build) but must not change which cells are hidden."""
    make = {"f2": _f2_differencing, "class": _alone_in_class, "bands": _barrier_by_band}[case]
    carried = make(replica)[0]
    carried_result = carried.protect()
    with monkeypatch.context() as patch:
        _fresh_audits(patch)
        fresh = make(replica)[0]
        fresh_result = fresh.protect()
    assert carried_result.passed and fresh_result.passed
    assert [(c.shown, c.reason) for c in carried.cells] == [(c.shown, c.reason) for c in fresh.cells]
    assert any(c.reason.startswith("secondary") for c in carried.cells) or case == "class"


def test_an_audit_with_carried_solutions_finds_what_a_fresh_audit_finds(replica):
    """One release audited fresh and with the solutions of the audit before (with one more cell shown then):
    the same determined answers and recomputable counts, found with fewer integer programs."""
    release, rows = _alone_in_class(replica)
    for row in rows:
        _old_rule(row)
    carry: dict = {}
    before = sdc.audit(release, carry=carry)
    assert (OSLO, "maturity_stage", 5) in before.determined
    shown = [c for row in rows for c in row if c.released and c.value > 0]
    shown[0].shown = sdc.HIDDEN  # one cell hidden: constraints only removed, the carried solutions stay valid
    fresh = sdc.audit(release)
    with_carry = sdc.audit(release, carry=carry)
    assert sorted(with_carry.determined) == sorted(fresh.determined)
    assert sorted(with_carry.recomputable) == sorted(fresh.recomputable)
    assert with_carry.integer_programs < fresh.integer_programs
