"""Issue 29: a chapter's tables through the disclosure engine (``Context.table(cells=...)``), the records they leave
for the build's audit, and the audit at the end of a run (``build.release_audit.audit_stage``).

The county authorities' census is the case: every authority with the SDGs in its planning strategy, one alone
naming a barrier. With the engine switched off (``VSR_SDC_ENGINE=off``: the per-table rule of earlier builds) the
build's audit recovers every planted answer and refuses; with it on, the audit passes and the released tables carry
".." in value cells only.
"""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest

from confidential_frames import confidential_frame
from vsr_analysis import chapter
from vsr_analysis.build.release_audit import AuditFailed, audit_stage
from vsr_analysis.data.analysis_frame import AnalysisFrame
from vsr_analysis.data.codebook import load_codebook
from vsr_analysis.data.register import load_register
from vsr_analysis.stats import sdc
from vsr_analysis.stats.county_tables import item_cells, item_counts, stage_cells, stage_counts
from vsr_analysis.synth.simulation import generate

PLANTED_BARRIER = "46"


@pytest.fixture(scope="module")
def planted() -> AnalysisFrame:
    survey = generate("vsr-narrative", 5)[0]
    county = survey["unit_type"] == "county"
    assert county.sum() >= 9
    survey.loc[county, "sdg_in_planning_strategy"] = 1  # "11 with, 0 without"
    survey.loc[county, "barrier_funding"] = 0
    survey.loc[county & (survey["knr"] == PLANTED_BARRIER), "barrier_funding"] = 1  # alone naming it
    return confidential_frame(survey, "planted.csv")


def _chapter(data, tmp_path, monkeypatch, engine: str, param_set: str = "county-authorities") -> chapter.Context:
    monkeypatch.setattr(chapter.myst, "markdown", lambda text: None)
    monkeypatch.setattr(chapter.display, "show_html", lambda text: None)
    monkeypatch.setitem(chapter.display.session, "scratch", None)
    if engine == "off":
        monkeypatch.setenv("VSR_SDC_ENGINE", "off")
    else:
        monkeypatch.delenv("VSR_SDC_ENGINE", raising=False)
    stage = tmp_path / "stage"
    (stage / "results").mkdir(parents=True, exist_ok=True)
    return chapter.Context(data, param_set, stage / "results" / param_set, {})


def _publish_county_tables(ctx: chapter.Context) -> None:
    codebook = load_codebook()
    counties = ctx.data.counties
    labels = {i.name: i.name for i in codebook}
    stages = stage_counts(counties, codebook.maturity_labels("en"))
    ctx.table("maturity", stages, "stages", count_columns=["county authorities"], cells=stage_cells(stages, counties))
    for name, items in (("plans", codebook.items_in_group("components")), ("barriers", ["barrier_funding"])):
        table = item_counts(counties, items, labels, municipalities=ctx.respondents)
        ctx.table(name, table, name, count_columns=None, cells=item_cells(table, items, counties))


def test_engine_on_releases_what_the_audit_passes(planted, tmp_path, monkeypatch):
    ctx = _chapter(planted, tmp_path, monkeypatch, "on")
    _publish_county_tables(ctx)
    plans = ctx.released("plans")
    row = plans[plans["item"] == "sdg_in_planning_strategy"].iloc[0]
    assert row["county authorities with it"] == sdc.HIDDEN and row["county authorities without it"] == sdc.HIDDEN
    assert row["county share"] == sdc.HIDDEN  # derived from a hidden count
    assert row["item"] == "sdg_in_planning_strategy"  # the label is never overwritten
    bars = ctx.released("barriers")
    assert bars.iloc[0]["county authorities with it"] == sdc.HIDDEN
    # the written CSV is the released table
    written = pd.read_csv(ctx.results_dir / "plans.csv", dtype=str)
    assert (written["county authorities with it"].fillna("") == plans["county authorities with it"].astype(str)).all()
    stage = ctx.results_dir.parent.parent
    records = json.loads((stage / "private" / "county-authorities.json").read_text())
    assert {r["table"] for r in records} == {"maturity", "plans", "barriers"}
    report = audit_stage(stage)
    assert report["determined_answers"] == 0 and report["recomputable_counts"] == 0
    assert report["constraints"] > 0 and report["integer_programs"] > 0
    text = (stage / "results" / "disclosure-audit.md").read_text()
    assert PLANTED_BARRIER not in text.split("|") and "Answers determined: 0" in text
    # the report names tables and reasons, never a unit
    published = (stage / "results" / "disclosure-audit.json").read_text()
    for knr in planted.counties["knr"]:
        assert f'"{knr}"' not in published


def test_engine_off_the_build_audit_recovers_the_census_and_refuses(planted, tmp_path, monkeypatch):
    ctx = _chapter(planted, tmp_path, monkeypatch, "off")
    _publish_county_tables(ctx)
    plans = ctx.released("plans")
    row = plans[plans["item"] == "sdg_in_planning_strategy"].iloc[0]
    assert str(row["county authorities without it"]) == "0"  # the per-table rule shows the zero
    stage = ctx.results_dir.parent.parent
    records = json.loads((stage / "private" / "county-authorities.json").read_text())
    release = sdc.Release.from_records(records, {r["item"]: [0, 1, 2, 3, 4, 5] for r in records})
    release.levels.update({i: [0, 1, None] for i in release.levels if i != "maturity_stage"})
    result = sdc.audit(release)
    determined = {(u, item) for u, item, _ in result.determined}
    assert {(k, "sdg_in_planning_strategy") for k in planted.counties["knr"]} <= determined
    with pytest.raises(AuditFailed, match="answer"):
        audit_stage(stage)
    assert not (stage / "results" / "disclosure-audit.json").exists()  # nothing written for publication


@pytest.fixture(scope="module")
def alone_in_band() -> AnalysisFrame:
    """Oslo the only respondent of the largest size band, at the top stage (F4's heat map by size band)."""
    survey = generate("vsr-narrative", 5)[0]
    register = load_register().set_index("knr")
    band = survey["knr"].map(register["size_band"])
    top_band = register.loc["0301", "size_band"]
    survey = survey[(band != top_band) | (survey["knr"] == "0301")].copy()
    survey = survey[survey["maturity_stage"].notna() | (survey["unit_type"] == "county")]  # every one answered
    survey.loc[survey["knr"] == "0301", "maturity_stage"] = 5
    return confidential_frame(survey, "planted.csv")


@pytest.mark.parametrize("engine", ["on", "off"])
def test_f4_heat_map_is_drawn_from_the_released_table(alone_in_band, tmp_path, monkeypatch, engine):
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    from vsr_analysis.claims import necessity_figures

    ctx = _chapter(alone_in_band, tmp_path, monkeypatch, engine)
    resp = ctx.respondents
    # the chapter says how many answered the maturity question: a released margin
    answered = pd.DataFrame({"municipalities answering": [int(resp["maturity_stage"].notna().sum())]})
    every = resp["knr"].astype(str).tolist()
    margin = [{"row": 0, "column": "municipalities answering", "item": "maturity_stage", "levels": list(range(6)),
               "members": every}]  # fmt: skip
    ctx.table("answered", answered, "answered", cells=margin, show=False)
    assert str(ctx.released("answered").iloc[0, 0]) == str(len(every))  # a margin of everyone is shown
    binned, cells = necessity_figures.binned_release(resp, ctx.frame, "population_2021")
    ctx.table("binned_counts", binned, "binned", cells=cells, show=False)
    released = ctx.released("binned_counts")
    fig, ax = plt.subplots()
    necessity_figures.necessity_figure(
        ax, resp, ctx.frame, "population_2021", "inhabitants", 5000.0, log_scale=True, ce=None, cr=None, seed=1,
        palette=None, confidential=True, released=released,
    )  # fmt: skip
    # every number the figure writes is the released table's, cell by cell (bands on x, stages on y)
    stages = [c for c in released.columns if c.startswith("stage ")]
    drawn = {(round(t.get_position()[0]), round(t.get_position()[1])): t.get_text() for t in ax.texts}
    expected = {(i, j): str(released[s].iloc[i]) for i in range(len(released)) for j, s in enumerate(stages)}
    assert drawn == expected
    plt.close(fig)
    stage = ctx.results_dir.parent.parent
    if engine == "on":
        top = released[released["band"] == alone_in_band.frame.set_index("knr").loc["0301", "size_band"]].iloc[0]
        assert all(top[s] == sdc.HIDDEN for s in stages)  # a band of one: nothing of it is shown
        assert audit_stage(stage)["determined_answers"] == 0
    else:
        with pytest.raises(AuditFailed):
            audit_stage(stage)  # the zeros of the band give Oslo's stage away
        records = json.loads((stage / "private" / "county-authorities.json").read_text())
        release = sdc.Release.from_records(records, {"maturity_stage": [0, 1, 2, 3, 4, 5]})
        assert ("0301", "maturity_stage", 5) in sdc.audit(release).determined


@pytest.fixture(scope="module")
def f8_planted() -> AnalysisFrame:
    """F8's leaks: one county authority alone naming a barrier (the comparison table bypassed the county chapter's
    suppression), and Oslo the only municipality of the largest size band naming it ("all" minus the bands)."""
    survey = generate("vsr-narrative", 5)[0]
    register = load_register().set_index("knr")
    item = "barrier_policy_coherence"
    county = survey["unit_type"] == "county"
    survey.loc[county, item] = 0
    survey.loc[county & (survey["knr"] == PLANTED_BARRIER), item] = 1
    top = survey["knr"].map(register["size_band"]) == register.loc["0301", "size_band"]
    survey.loc[top & ~county, item] = 0
    survey.loc[survey["knr"] == "0301", item] = 1
    return confidential_frame(survey, "planted.csv")


def _f8_tables(ctx):
    from vsr_analysis.claims import barrier_release as br
    from vsr_analysis.stats.item_shares import item_comparisons, item_share_table, item_shares_by_group

    resp, counties, frame = ctx.respondents, ctx.data.counties, ctx.frame
    barriers = load_codebook().items_in_group("barriers")

    def short(b):
        return b

    overall = item_share_table(resp, counties, barriers, short, len(frame))
    ctx.table("barrier_shares", overall, "o", count_columns=["municipalities answering", "municipalities naming it",
              "county authorities answering", "county authorities naming it"],
              cells=br.overall_cells(overall, resp, counties), show=False)  # fmt: skip
    by_band, _ = item_shares_by_group(resp, frame, barriers, short, "size_band", order_by="population_2021",
                                      population_size=len(frame))  # fmt: skip
    ctx.table("barriers_by_size_band", by_band, "b", count_columns=["municipalities", "naming it"],
              cells=br.by_group_cells(by_band, resp, barriers, short, "size_band"), show=False)  # fmt: skip
    comparisons = item_comparisons(resp, counties, barriers, short, split_column="population_2021",
                                   split_at=float(frame["population_2021"].median()), fdr=0.1)  # fmt: skip
    ctx.table("comparisons", comparisons, "c", count_columns=["n 1", "n 2"],
              cells=br.comparison_cells(comparisons, counties, barriers, short), show=False)  # fmt: skip
    return overall, by_band, comparisons


def test_f8_tables_through_the_engine(f8_planted, tmp_path, monkeypatch):
    from vsr_analysis.claims import barrier_release as br

    ctx = _chapter(f8_planted, tmp_path, monkeypatch, "on")
    overall, by_band, comparisons = _f8_tables(ctx)
    item = "barrier_policy_coherence"
    shares = ctx.released("barrier_shares").set_index("item").loc[item]
    assert shares["county authorities naming it"] == sdc.HIDDEN
    assert shares["share, regional authorities"] == sdc.HIDDEN  # F8's bypass closed
    assert shares["share (weighted)"] != sdc.HIDDEN  # the municipal result is not lost with it
    comp = ctx.released("comparisons")
    county_row = comp[(comp["barrier"] == item) & (comp["group 1"] == "county authorities")].iloc[0]
    assert county_row["share 1"] == sdc.HIDDEN and county_row["p_value"] == sdc.HIDDEN
    # the figures' data: exactly the released numbers (NaN where the table hides a value)
    shown = br.as_numbers(ctx.released("barrier_shares"), ["barrier", "item"])
    released = ctx.released("barrier_shares")
    for col in ("share (weighted)", "share, regional authorities"):
        hidden = released[col].astype(str) == sdc.HIDDEN
        assert shown.loc[hidden, col].isna().all()
        # released at the engine's coarse precision (whole percent points), never at the computed one
        expected = overall.loc[~hidden, col].astype(float).round(sdc.WEIGHTED_SHARE_DIGITS)
        assert (shown.loc[~hidden, col].astype(float) == expected).all()
    weighted = overall["share (weighted)"].astype(float)
    assert (shown["share (weighted)"].astype(float) != weighted).any()  # not the six-digit shares
    report = audit_stage(ctx.results_dir.parent.parent)
    assert report["determined_answers"] == 0 and report["recomputable_counts"] == 0


def test_f8_ranking_table_through_the_engine(f8_planted, tmp_path, monkeypatch):
    """F8's pairwise ranking table beside the chapter's other tables: its weighted shares are released at the
    engine's coarse precision, and the build's audit finds nothing it gives away."""
    from vsr_analysis.claims import barrier_release as br
    from vsr_analysis.claims.ranking_evidence import ranking_evidence
    from vsr_analysis.claims.share_evidence import share_design
    from vsr_analysis.claims.spec import load_claims

    ctx = _chapter(f8_planted, tmp_path, monkeypatch, "on")
    _f8_tables(ctx)
    f8 = load_claims()["F8"]
    design = share_design(ctx.frame, ctx.data.weight_info["margins"])
    pairs, ev = ranking_evidence(ctx.frame, f8.analysis["top"], f8.outcome.ranked, design=design)
    ctx.table("ranking", pairs, "r", count_columns=["n"], cells=br.ranking_cells(pairs, ctx.respondents), show=False)
    released = br.as_numbers(ctx.released("ranking"), ["named", "other", "pair"])
    assert len(released) == 12
    shown = released["share named"].dropna().astype(float)
    assert (shown == shown.round(sdc.WEIGHTED_SHARE_DIGITS)).all()  # never the six-digit shares
    report = audit_stage(ctx.results_dir.parent.parent)
    assert report["determined_answers"] == 0 and report["recomputable_counts"] == 0


def test_f8_tables_without_the_engine_leak(f8_planted, tmp_path, monkeypatch):
    ctx = _chapter(f8_planted, tmp_path, monkeypatch, "off")
    _f8_tables(ctx)
    with pytest.raises(AuditFailed):
        audit_stage(ctx.results_dir.parent.parent)


@pytest.fixture(scope="module")
def alone_at_top() -> AnalysisFrame:
    """F2: Oslo alone at the top stage (the robustness n minus the visible stages gave it back)."""
    survey = generate("vsr-narrative", 5)[0]
    muni = survey["unit_type"] == "municipality"
    survey.loc[muni & (survey["maturity_stage"] == 5), "maturity_stage"] = 4
    survey.loc[survey["knr"] == "0301", "maturity_stage"] = 5
    return confidential_frame(survey, "planted.csv")


def _f2_tables(ctx):
    from vsr_analysis.claims import stage_release
    from vsr_analysis.stats.descriptives import as_float
    from vsr_analysis.stats.maturity_ladder import stage_distribution_table, started_variants

    stages = list(range(6))
    answered = ctx.respondents.dropna(subset=["maturity_stage"])
    y, w = as_float(answered["maturity_stage"]), answered["weight"].to_numpy(dtype=float)
    labels = load_codebook().maturity_labels("en")
    dist_table, _ = stage_distribution_table(y, w, labels, stages, len(ctx.frame))
    ctx.table("stage_distribution", dist_table, "d", count_columns=["municipalities"],
              cells=stage_release.distribution_cells(dist_table, answered), show=False)  # fmt: skip
    robust = started_variants([("primary", y, w), ("self-classified stage, unweighted", y, None)],
                              lambda t, k: "inconclusive", started_stage=1, threshold=0.5,
                              population_size=len(ctx.frame), min_stage_share=0.1, stages=stages)  # fmt: skip
    ctx.table("robustness", robust, "r", count_columns=["n"],
              cells=stage_release.robustness_cells(robust, answered, 1, stages), show=False)  # fmt: skip
    return dist_table


@pytest.mark.parametrize("engine", ["on", "off"])
def test_f2_distribution_and_robustness(alone_at_top, tmp_path, monkeypatch, engine):
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    from vsr_analysis.claims import share_figures
    from vsr_analysis.claims.barrier_release import as_numbers
    from vsr_analysis.claims.stage_release import CUMULATIVE

    ctx = _chapter(alone_at_top, tmp_path, monkeypatch, engine)
    _f2_tables(ctx)
    stage = ctx.results_dir.parent.parent
    if engine == "off":
        with pytest.raises(AuditFailed, match="recomputable"):
            audit_stage(stage)
        return
    released = ctx.released("stage_distribution")
    top = released[released["stage"] == 5].iloc[0]
    assert top["municipalities"] == sdc.HIDDEN and top["share (weighted)"] == sdc.HIDDEN
    assert (released[CUMULATIVE] == sdc.HIDDEN).all()  # the cumulative column would give the row back
    assert released["stage"].tolist() == list(range(6))  # labels untouched
    assert audit_stage(stage)["recomputable_counts"] == 0
    # the figure draws exactly the released weighted shares: no bar where the table hides one
    shown = as_numbers(released, ["stage name"]).rename(columns={"share (weighted)": "share"})
    fig = share_figures.stage_distribution_figure(shown, load_codebook().maturity_labels("en"), 0.1)
    bars = [p.get_width() for p in fig.axes[0].patches]
    expected = list(100 * shown["share"])
    assert len(bars) == len(expected)
    for bar, value in zip(bars, expected):
        assert (np.isnan(bar) and np.isnan(value)) or bar == pytest.approx(value)
    plt.close(fig)


def test_chapters_protected_apart_pass_the_build_audit_together(tmp_path, monkeypatch):
    """The file without any respondent of Viken: F4's two heat maps (by size band, by centrality class) and F2's
    stage distribution, each protected in its own chapter, failed the build's audit together (a hidden heat-map
    cell = F2's stage total minus the other bands). Each heat map is now protected with the margins the other
    chapters publish assumed known."""
    from vsr_analysis.claims import necessity_figures

    survey = generate("vsr-narrative", 5)[0]
    register = load_register()
    survey = survey[~survey["knr"].isin(set(register.loc[register["county_code"] == "30", "knr"]))]
    data = confidential_frame(survey, "no-county.csv")
    _f2_tables(_chapter(data, tmp_path, monkeypatch, "on", "maturity-variation"))
    for name, condition in (("size-not-a-prerequisite", "population_2021"), ("f4-central", "centrality_score")):
        ctx = _chapter(data, tmp_path, monkeypatch, "on", name)
        resp = ctx.respondents.dropna(subset=["maturity_stage"])
        binned, cells = necessity_figures.binned_release(resp, ctx.frame, condition)
        ctx.table("binned_counts", binned, "binned", cells=cells, show=False)
    report = audit_stage(tmp_path / "stage")
    assert len(report["chapters audited"]) == 3
    assert report["determined_answers"] == 0 and report["recomputable_counts"] == 0


def test_f8_tables_of_a_single_respondent_file(tmp_path, monkeypatch):
    """One respondent: a count column's uncovered cell of 1 is hidden with its row's derived values (no crash
    on a float column), and the audit passes."""
    survey = generate("vsr-narrative", 5)[0]
    survey = survey[survey["unit_type"] == "municipality"].head(1)
    data = confidential_frame(survey, "one.csv")
    ctx = _chapter(data, tmp_path, monkeypatch, "on", "largest-barriers")
    _f8_tables(ctx)
    comp = ctx.released("comparisons")
    ones = pd.to_numeric(comp[["n 1", "n 2"]].stack(), errors="coerce")
    assert not ((ones > 0) & (ones < 3)).any()  # no count of one or two is published
    report = audit_stage(ctx.results_dir.parent.parent)
    assert report["determined_answers"] == 0 and report["recomputable_counts"] == 0


def _f1_crosstab(ctx, term: str, term_short: str):
    from vsr_analysis.claims import group_release
    from vsr_analysis.claims import term_effect_report as report

    used = ctx.respondents.dropna(subset=["maturity_stage", term])
    crosstab = report.stage_by_level(used, term, term_short, 4)
    ctx.table("stage_by_term", crosstab, "x", count_columns=["municipalities"], show=False,
              cells=group_release.distribution_cells(crosstab, term_short, report.stage_by_level_groups(used, term),
                                                     "maturity_stage", range(6), 4))  # fmt: skip
    return crosstab


@pytest.mark.parametrize("engine", ["on", "off"])
def test_f1_crosstab_beside_f2_passes_the_build_audit(alone_at_top, tmp_path, monkeypatch, engine):
    """Oslo alone at the top stage: F1's weighted stage distribution by a term (row percentages, now weighted
    share cells at the engine's precision) and F2's stage distribution, each chapter protected on its own, pass
    the build's audit together; with the engine off, the build's audit catches F1's table on its own."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    from vsr_analysis.claims import term_effect_report as report
    from vsr_analysis.claims.share_reporting import as_numbers

    if engine == "on":
        _f2_tables(_chapter(alone_at_top, tmp_path, monkeypatch, engine, "maturity-variation"))
    ctx = _chapter(alone_at_top, tmp_path, monkeypatch, engine, "political-ownership")
    crosstab = _f1_crosstab(ctx, "political_anchoring", "political anchoring")
    stage = tmp_path / "stage"
    if engine == "off":  # F1's table alone, by the per-table rule: the audit catches it
        with pytest.raises(AuditFailed):
            audit_stage(stage)
        return
    released = ctx.released("stage_by_term")
    top = pd.to_numeric(released["stage 5 (%)"], errors="coerce")
    oslo_row = crosstab["stage 5 (%)"].astype(float) > 0
    assert oslo_row.sum() == 1 and top[oslo_row].isna().all()  # the one row with Oslo's stage hides it
    shown = top.dropna()
    assert (shown == shown.round(sdc.WEIGHTED_SHARE_DIGITS - 2)).all()  # whole percent points
    report_ = audit_stage(stage)
    assert report_["determined_answers"] == 0 and report_["recomputable_counts"] == 0
    # the figure draws the released row percentages: Oslo's row has no stage-5 bar
    fig = report.stage_by_term_figure(as_numbers(released, ["political anchoring"]), "political anchoring",
                                      load_codebook().maturity_labels("en"))  # fmt: skip
    widths = np.array([p.get_width() for p in fig.axes[0].patches]).reshape(6, len(released))
    assert widths[5][oslo_row.to_numpy()].sum() == 0
    plt.close(fig)


def test_power_design_hides_what_an_all_members_file_would_show(tmp_path, monkeypatch):
    """Every responding municipality a network member: the SD of membership among the respondents is 0, which would
    tell every answer. The power chapter's MDE table as released keeps no SD of a term (only MDEs of simulated
    outcomes), the MDE sentences no per-unit conversion, and the audit passes."""
    from vsr_analysis.claims.spec import load_claims
    from vsr_analysis.simulate import power, power_page

    survey = generate("vsr-narrative", 5)[0]
    survey.loc[survey["unit_type"] == "municipality", "network_member"] = 1
    data = confidential_frame(survey, "all-members.csv")
    ctx = _chapter(data, tmp_path, monkeypatch, "on", "power-design")
    plan = power.make_plan(data.spec, reps=1)
    member = [(c, p) for c, p in plan.claims if c.analysis.get("term") == "network_member"]
    assert member, "claims.yml has a claim on the network_member term"
    assert power.term_sds(power.PowerPlan(plan.survey, tuple(member), {}, 1, 1, plan.levels), data) == {
        member[0][0].id: 0.0
    }
    mde = power.compute(power.PowerPlan(plan.survey, tuple(member), {}, 1, 1, plan.levels), data, workers=0).mde
    shown = power_page.releasable(mde, data.confidential)
    assert "term_sd" in mde.columns and "term_sd" not in shown.columns
    assert load_claims()[member[0][0].id].analysis.kind in power.KNOBS
    ctx.table("mde", shown, "m", show=False)
    assert "term_sd" not in ctx.released("mde").columns
    assert all("per unit" not in power_page.mde_phrase(r) for r in shown.to_dict("records"))
    report_ = audit_stage(tmp_path / "stage")  # raises AuditFailed on a disclosure
    assert report_["cells"] == 0  # the chapter releases no count of answers for the audit to attack


def test_f7_management_figure_is_drawn_from_its_released_table(alone_at_top, tmp_path, monkeypatch):
    """F7's stages of the municipalities with the SDGs in their management system: the figure was drawn from the
    respondents themselves; now from the released table, Oslo's lone top stage hidden in both."""
    import matplotlib

    matplotlib.use("Agg")
    import copy

    import matplotlib.pyplot as plt

    from vsr_analysis.claims import share_figures

    data = copy.deepcopy(alone_at_top)  # the fixture is shared by the module's tests
    data.frame.loc[data.frame["knr"] == "0301", "sdg_in_management"] = 1
    ctx = _chapter(data, tmp_path, monkeypatch, "on", "f7-management")
    table = share_figures.management_by_stage_table(ctx.respondents, load_codebook().maturity_labels("en"))
    ctx.table("management_by_stage", table, "m", count_columns=["municipalities"], show=False,
              cells=share_figures.management_by_stage_cells(table, ctx.respondents),
              label_columns=["stage", "stage name"])  # fmt: skip
    released = ctx.released("management_by_stage")
    top = released[released["stage"] == 5].iloc[0]
    assert top["municipalities"] == sdc.HIDDEN and top["share (weighted)"] == sdc.HIDDEN
    fig = share_figures.management_by_stage_figure(released)
    bars = [p.get_width() for p in fig.axes[0].patches]
    expected = 100 * pd.to_numeric(released["share (weighted)"], errors="coerce")
    assert len(bars) == len(expected)
    for bar, value in zip(bars, expected):
        assert (np.isnan(bar) and np.isnan(value)) or bar == pytest.approx(value)
    plt.close(fig)
    report_ = audit_stage(tmp_path / "stage")
    assert report_["determined_answers"] == 0 and report_["recomputable_counts"] == 0


def _top_share_by_band(ctx):
    """A share claim's tables by size band and centrality class for 'at stage >= 4' among all respondents."""
    from vsr_analysis.claims import share_evidence as se
    from vsr_analysis.stats.descriptives import as_float

    resp = ctx.respondents.dropna(subset=["maturity_stage"])
    domain = resp.assign(outcome=(as_float(resp["maturity_stage"]) >= 4).astype(float))
    tables, _ = se.shares_by_groups(domain, ctx.frame, whole_frame=True)
    cells = se.group_cells(tables, domain, "maturity_stage", 4, list(range(6)))
    for label, table in tables.items():
        ctx.table(f"by_{label.replace(' ', '_')}", table, label, count_columns=["municipalities", "of them yes"],
                  cells=cells[label], show=False)  # fmt: skip


@pytest.mark.slow  # about a minute: secondary suppression over two chapters' tables, both run twice
def test_protection_across_chapters_closes_what_no_chapter_sees(alone_at_top, tmp_path, monkeypatch):
    """Oslo alone at the top stage. F4's heat map (respondents by size band x stage) and a share claim's count at
    stage >= 4 by size band are each safe in their own chapter; together, the band's count at >= 4 minus its
    stage-4 cell gives Oslo's stage back. The build's audit catches it; protection across chapters names the
    cells to hide, the two chapters run again with them hidden, and the audit passes."""
    from vsr_analysis.build.release_audit import protect_across_chapters
    from vsr_analysis.claims import necessity_figures

    def chapters():
        ctx = _chapter(alone_at_top, tmp_path, monkeypatch, "on", "size-not-a-prerequisite")
        resp = ctx.respondents.dropna(subset=["maturity_stage"])
        binned, cells = necessity_figures.binned_release(resp, ctx.frame, "population_2021")
        ctx.table("binned_counts", binned, "binned", cells=cells, show=False)
        _top_share_by_band(_chapter(alone_at_top, tmp_path, monkeypatch, "on", "operationalised"))

    chapters()
    stage = tmp_path / "stage"
    with pytest.raises(AuditFailed):
        audit_stage(stage)
    forced = protect_across_chapters(stage)
    assert forced and set(forced) <= {"size-not-a-prerequisite", "operationalised"}
    assert (stage / "private" / "forced.json").is_file()
    # a chapter to run again gets every cell the whole-run solution hides in it, its own ones with their reasons,
    # so that its own protection cannot pick other cells on the rerun (which cost two more rounds on the planted
    # build)
    known = json.loads((stage / "private" / "forced.json").read_text())
    first = {p.stem: json.loads(p.read_text()) for p in (stage / "private").glob("*.json") if p.stem != "forced"}
    for name in forced:
        own = {(r["table"], r["cell"]): r["reason"] for r in first[name] if r["shown"] == sdc.HIDDEN}
        kept = {(t, c): reason for t, c, reason in known[name]}
        assert {k: kept.get(k) for k in own} == own
        assert set(forced[name]) <= set(kept) and all(kept.values())
    hidden = {(name, cell) for name, cells in forced.items() for cell in cells}
    rounds = 0
    for _ in range(3):  # as the runner does: run again with the cells hidden, until nothing more is needed
        chapters()  # Context.table reads the cells to hide
        rounds += 1
        more = protect_across_chapters(stage)
        if not more:
            break
        hidden |= {(name, cell) for name, cells in more.items() for cell in cells}
    assert rounds == 1  # the rerun releases what the whole-run solution decided: nothing more to hide
    assert protect_across_chapters(stage) == {}  # nothing more to hide
    report_ = audit_stage(stage)
    assert report_["determined_answers"] == 0 and report_["recomputable_counts"] == 0
    records = {p.stem: json.loads(p.read_text()) for p in (stage / "private").glob("*.json") if p.stem != "forced"}
    for name, table_cell in hidden:
        shown = [r["shown"] for r in records[name] if (r["table"], r["cell"]) == tuple(table_cell)]
        assert shown == [sdc.HIDDEN]
