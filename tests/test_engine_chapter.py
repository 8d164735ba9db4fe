"""Issue 29: a chapter's tables through the disclosure engine (``Context.table(cells=...)``), the records they leave
for the build's audit, and the audit at the end of a run (``build.release_audit.audit_stage``).

The county authorities' census is the case: every authority with the SDGs in its planning strategy, one alone
naming a barrier. With the engine switched off (``VSR_SDC_ENGINE=off``: the per-table rule of earlier builds) the
build's audit recovers every planted answer and refuses; with it on, the audit passes and the released tables carry
".." in value cells only.
"""

from __future__ import annotations

import json

import pandas as pd
import pytest

from vsr_analysis import chapter
from vsr_analysis.build.release_audit import AuditFailed, audit_stage
from vsr_analysis.data.analysis_frame import AnalysisFrame, add_analysis_columns, add_weights
from vsr_analysis.data.codebook import load_codebook
from vsr_analysis.data.frame import build_frame, county_rows
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
    register = load_register()
    data = AnalysisFrame(
        spec="file:planted.csv:0", frame=add_analysis_columns(build_frame(survey, register)),
        counties=county_rows(survey), synthetic=False,
    )  # fmt: skip
    add_weights(data)
    return data


def _chapter(data, tmp_path, monkeypatch, engine: str) -> chapter.Context:
    monkeypatch.setattr(chapter, "markdown", lambda text: None)
    monkeypatch.setattr(chapter, "_display_html", lambda text: None)
    monkeypatch.setitem(chapter._session, "scratch", None)
    if engine == "off":
        monkeypatch.setenv("VSR_SDC_ENGINE", "off")
    else:
        monkeypatch.delenv("VSR_SDC_ENGINE", raising=False)
    stage = tmp_path / "stage"
    (stage / "results").mkdir(parents=True)
    return chapter.Context(data, "county-authorities", stage / "results" / "county-authorities", {})


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
