"""Reruns follow what a notebook reads (issue 25): a parameter set's fingerprint holds the claims.yml entries it
reads, its survey's scenario and the stored runs runspec.yml declares (``reads:``), so editing one claim reruns
that claim's chapter and the pages that summarise every claim, and nothing else.

The runner's plan (``runner.plan_runs``) is tested against the record a full default run leaves (every parameter
set's fingerprint, every executed notebook published), computed without executing anything: cheap in CPU.
"""

from __future__ import annotations

import re

import pytest

from conftest import copy_project
from vsr_analysis.build.runner import plan_runs
from vsr_analysis.data.survey_source import SurveySource
from vsr_analysis.inputs.fingerprint import RunState, fingerprint
from vsr_analysis.inputs.runspec import RunSpecError, load_runspec

#: The pages that summarise every claim or every scenario (``reads: [all_claims, all_scenarios, ...]``).
ALL_CLAIMS = {"weighting", "power-design", "operating-characteristics"}
ALL_SCENARIOS = ALL_CLAIMS | {"synthetic-replica"}


@pytest.fixture
def project(tmp_path, monkeypatch):
    root = copy_project(tmp_path / "project")
    monkeypatch.setenv("VSR_PROJECT_ROOT", str(root))
    return root


def _source(root):
    # the default survey; its file stands in for the replica (the fingerprint hashes whatever file it is)
    return SurveySource("synthetic", "synthetic:vsr-narrative:2021", "replica", root / "data/codebook.yml")


def _full_run(root, spec=None):
    """What a full default run records: every parameter set's fingerprint, every executed notebook published."""
    spec, source = spec or load_runspec(), _source(root)
    state, sums = RunState(), source.checksums()
    for pset in spec.parameter_sets:
        state.record(pset.name, fingerprint(pset, source.spec, sums))
    return spec, state, {f"executed/{p.output_name}" for p in spec.parameter_sets}


def _planned(root, spec, state, trusted) -> dict[str, str]:
    plan, _ = plan_runs(spec, _source(root), state, trusted)
    return {pset.name: reason for pset, _, reason in plan}


def _edit_hypothesis(root, claim_id: str) -> None:
    """Add a sentence to one claim's hypothesis (a folded block or a one-line value) in the copy's claims.yml."""
    path = root / "claims.yml"
    text = path.read_text(encoding="utf-8")
    block = re.search(rf"^  - id: {re.escape(claim_id)}\n(?:(?!  - id:).*\n)*?    hypothesis:(.*)\n", text, re.M)
    assert block, claim_id
    edit = "      Edited for the test.\n" if block.group(1).strip() == ">" else ""
    at = block.end() if edit else block.end(1)
    path.write_text(text[:at] + (edit or " Edited for the test.") + text[at:], encoding="utf-8")


def test_nothing_reruns_when_nothing_changed(project):
    spec, state, trusted = _full_run(project)
    assert _planned(project, spec, state, trusted) == {}


@pytest.mark.parametrize(
    ("claim_id", "chapters"),
    [
        ("F6", {"master-plan"}),
        ("F7", {"operationalised"}),  # the share template's second parameter set, named by its claim parameter
        ("F3b", {"who-came-furthest"}),  # a component: its conjunction's chapter
        ("F4", {"size-not-a-prerequisite", "centrality-not-a-prerequisite"}),  # and its secondary parameter set
        ("F10-county", {"county-authorities"}),  # one of the county chapter's two claims
    ],
)
def test_editing_one_claim_reruns_its_chapter_and_the_summary_pages(project, claim_id, chapters):
    spec, state, trusted = _full_run(project)
    _edit_hypothesis(project, claim_id)
    planned = _planned(project, spec, state, trusted)
    assert set(planned) == chapters | ALL_CLAIMS
    assert all(reason == "the claims.yml entries it reads changed" for reason in planned.values())


def test_what_every_chapter_reads_still_reruns_every_chapter(project):
    spec, state, trusted = _full_run(project)
    claims = (project / "claims.yml").read_text(encoding="utf-8")
    (project / "claims.yml").write_text(claims.replace("alpha: 0.05", "alpha: 0.04", 1), encoding="utf-8")
    assert set(_planned(project, spec, state, trusted)) == set(spec.names())
    (project / "claims.yml").write_text(claims, encoding="utf-8")
    codebook = project / "data/codebook.yml"
    codebook.write_text(codebook.read_text(encoding="utf-8") + "\n# touched\n", encoding="utf-8")
    planned = _planned(project, spec, state, trusted)
    assert set(planned) == set(spec.names()) and planned["master-plan"] == "input data changed"


def test_scenarios_and_stored_runs_rerun_only_their_readers(project):
    spec, state, trusted = _full_run(project)
    survey_scenario, other = project / "data/scenarios/vsr-narrative.yml", project / "data/scenarios/null.yml"
    other.write_text(other.read_text(encoding="utf-8") + "\n# touched\n", encoding="utf-8")
    assert set(_planned(project, spec, state, trusted)) == ALL_SCENARIOS
    spec, state, trusted = _full_run(project, spec)
    survey_scenario.write_text(survey_scenario.read_text(encoding="utf-8") + "\n# touched\n", encoding="utf-8")
    assert set(_planned(project, spec, state, trusted)) == set(spec.names())
    for stored, readers in (
        ("data/operating-characteristics/run.json", {"operating-characteristics"}),
        ("data/power-design/mde.csv", {"power-design"}),
        ("benchmarks/output/share_coverage.csv", {"weighting"}),
    ):
        spec, state, trusted = _full_run(project, spec)
        (project / stored).write_text((project / stored).read_text(encoding="utf-8") + "\n", encoding="utf-8")
        assert set(_planned(project, spec, state, trusted)) == readers, stored


def test_reads_must_name_what_a_page_can_read(project):
    runspec = project / "runspec.yml"
    text = runspec.read_text(encoding="utf-8")
    runspec.write_text(text.replace("reads: [all_scenarios]", "reads: [../elsewhere]", 1), encoding="utf-8")
    with pytest.raises(RunSpecError, match=r"'reads' entry '\.\./elsewhere' must be a path inside the project"):
        load_runspec()
    runspec.write_text(text.replace("reads: [all_scenarios]", "reads: all_scenarios", 1), encoding="utf-8")
    with pytest.raises(RunSpecError, match="'reads' must be a list"):
        load_runspec()


def test_a_chapter_without_a_claim_parameter_decides_the_claim_naming_its_parameter_set(project):
    spec = load_runspec()
    claims = {p.name: p.parameters.get("claim") for p in spec.parameter_sets}
    assert claims["master-plan"] == "F6" and claims["operationalised"] == "F7"
    assert claims["who-came-furthest"] == "F3" and claims["centrality-not-a-prerequisite"] == "F4"
    runspec = project / "runspec.yml"
    runspec.write_text(
        runspec.read_text(encoding="utf-8").replace("      - name: master-plan\n", "      - name: f6-elsewhere\n"),
        encoding="utf-8",
    )
    with pytest.raises(RunSpecError, match=r"f6-elsewhere.*no single claim of claims.yml names this parameter set"):
        load_runspec()


@pytest.mark.slow
def test_after_a_full_default_run_editing_one_claim_plans_its_chapter_and_the_summary_pages(
    built_book, tmp_path, monkeypatch
):
    """The same against the record a real full default run left (``built_book``): its inputs copied, the plan
    computed, nothing executed."""
    from vsr_analysis.build.verify import copy_inputs
    from vsr_analysis.loading import resolve_source

    monkeypatch.setenv("VSR_PROJECT_ROOT", str(built_book))
    source = resolve_source()  # the built project's replica file (cached there, not made again)
    state = RunState.load(built_book / "results" / ".runstate.json")
    trusted = {f"executed/{name}.ipynb" for name in state.fingerprints}
    root = copy_inputs(tmp_path / "project", built_book)
    monkeypatch.setenv("VSR_PROJECT_ROOT", str(root))
    spec = load_runspec()
    assert set(state.fingerprints) == set(spec.names())
    plan, _ = plan_runs(spec, source, state, trusted)
    assert [pset.name for pset, _, _ in plan] == []  # the run's own record: nothing to do
    _edit_hypothesis(root, "F6")
    plan, reused = plan_runs(spec, source, state, trusted)
    summaries = {p.name for p in spec.parameter_sets if p.reads_all_claims}
    assert summaries == ALL_CLAIMS & set(spec.names())
    assert {pset.name for pset, _, _ in plan} == {"master-plan"} | summaries
    assert {o.name for o in reused} == set(spec.names()) - {"master-plan"} - summaries


@pytest.mark.parametrize(
    ("claim_id", "chapters"),
    [("F7", {"operationalised"}), ("F10-county", {"county-authorities"})],
)
def test_editing_a_claims_prose_file_reruns_only_its_chapter(project, claim_id, chapters):
    """A prose file is what one claim's chapter says: its chapter reruns, and no page that only reads claims.yml."""
    from vsr_analysis.claims.prose import prose_path

    spec, state, trusted = _full_run(project)
    prose = prose_path(claim_id)
    prose.write_text(prose.read_text(encoding="utf-8") + "\nEdited for the test.\n", encoding="utf-8")
    planned = _planned(project, spec, state, trusted)
    assert planned == dict.fromkeys(chapters, "the claims.yml entries it reads changed")


def test_a_missing_prose_file_stops_the_run_spec_naming_the_claim(project):
    from vsr_analysis.claims.prose import claim_prose
    from vsr_analysis.claims.spec import ClaimSpecError

    (project / "book/prose/operationalised.md").unlink()
    with pytest.raises(RunSpecError, match=r"claims.yml: claim F7, prose: no file book/prose/operationalised.md"):
        load_runspec()
    with pytest.raises(ClaimSpecError, match=r"claim F7, prose: no file book/prose/operationalised.md"):
        claim_prose("F7")
