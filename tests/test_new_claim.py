"""Adding a claim is declaring it: a new share claim and a new claim on the county authorities, added to a copy of
the project by editing only claims.yml, runspec.yml and _toc.yml, are picked up by the registry of `vsr simulate`,
by the truth of every scenario and by the ledger (the walk-through of CONTRIBUTING.md, "Adding a claim")."""

from __future__ import annotations

import math

import pandas as pd
import pytest
import yaml

from conftest import copy_project, vsr
from vsr_analysis.claims.ledger import VERDICTS, build_ledger, decide, load_claims_spec
from vsr_analysis.claims.spec import load_claims
from vsr_analysis.simulate.registry import analysis_for, claim_parameters
from vsr_analysis.simulate.replica_frame import analysis_frame
from vsr_analysis.simulate.truth import model_truth
from vsr_analysis.synth import estimands, replica

#: A share claim on the municipalities (an item no claim is about yet) ...
NEW_SHARE = {
    "id": "N1",
    "finding": "Most municipalities have the SDGs in their planning strategy",
    "source": "a test: a new share finding",
    "hypothesis": "More than half of the municipalities (weighted) have the SDGs in the planning strategy.",
    "primary_test": "One-sided test that the raked share with sdg_in_planning_strategy = 1 exceeds 0.5.",
    "rule": "share_above",
    "rule_parameters": {"threshold": 0.5},
    "parameter_set": "n1-planning-strategy",
    "outcome": {"item": "sdg_in_planning_strategy"},
    "population": {"units": "municipalities"},
    "analysis": {"kind": "share_vs_threshold", "variance": "assumption_light"},
    "confirmatory": True,
}
#: ... and one on the 11 county authorities.
NEW_COUNTY = {
    "id": "N2",
    "finding": "Most county authorities miss national support and guidance",
    "source": "a test: a new county finding",
    "hypothesis": "More than half of the county authorities name missing national guidance as a main barrier.",
    "primary_test": "One-sided exact binomial test that the share naming barrier_national_guidance exceeds 0.5.",
    "rule": "share_above",
    "rule_parameters": {"threshold": 0.5},
    "parameter_set": "county-authorities",
    # the county chapter decides every county claim of its parameter set and records each under its part
    "evidence_part": "n2_national_guidance",
    "outcome": {"item": "barrier_national_guidance"},
    "population": {"units": "county_authorities"},
    "analysis": {"kind": "share_vs_threshold"},
    "confirmatory": False,
}
NEW_SET = {
    "name": "n1-planning-strategy",
    "title": "N1: the SDGs in the planning strategy",
    "parameters": {
        "claim": "N1",
        "item": "sdg_in_planning_strategy",
        "item_label": "the SDGs are in the planning strategy",
    },
}
SCENARIOS = ("vsr-narrative", "low-uptake", "state-coherent")


def _add_claims(root):
    """The three edits: the claims' entries, the new chapter's parameter set, its place in the book."""
    claims_path = root / "claims.yml"
    doc = yaml.safe_load(claims_path.read_text(encoding="utf-8"))
    doc["claims"] += [NEW_SHARE, NEW_COUNTY]
    claims_path.write_text(yaml.safe_dump(doc, sort_keys=False, allow_unicode=True), encoding="utf-8")
    run_path = root / "runspec.yml"
    run = yaml.safe_load(run_path.read_text(encoding="utf-8"))
    share = next(n for n in run["notebooks"] if n["template"] == "notebooks/share_claim.ipynb")
    share["parameter_sets"].append(NEW_SET)
    run_path.write_text(yaml.safe_dump(run, sort_keys=False, allow_unicode=True), encoding="utf-8")
    toc_path = root / "_toc.yml"
    toc = yaml.safe_load(toc_path.read_text(encoding="utf-8"))
    chapters = toc["parts"][0]["chapters"]
    chapters.insert(-1, {"file": f"book/executed/{NEW_SET['name']}", "title": NEW_SET["title"]})
    toc_path.write_text(yaml.safe_dump(toc, sort_keys=False, allow_unicode=True), encoding="utf-8")


@pytest.fixture(scope="module")
def project(tmp_path_factory):
    root = copy_project(tmp_path_factory.mktemp("new-claim") / "project")
    _add_claims(root)
    return root


@pytest.fixture
def in_project(project, monkeypatch):
    monkeypatch.setenv("VSR_PROJECT_ROOT", str(project))
    return project


def test_the_new_claims_are_typed_and_registered(in_project):
    claims = load_claims()
    assert claims["N1"].is_share and claims["N1"].population.units == "municipalities"
    assert claims["N2"].population.units == "county_authorities"
    assert analysis_for(claims["N1"]) is not None and analysis_for(claims["N2"]) is not None


def test_the_truth_of_the_new_claims_is_computed_from_their_declaration(in_project):
    claims = load_claims()
    truths = {s: (model_truth(claims["N1"], replica.load_scenario(s)), model_truth(claims["N2"], replica.load_scenario(s))) for s in SCENARIOS}  # fmt: skip
    for scenario, ((n1, v1), (n2, v2)) in truths.items():
        assert v1 == estimands.expected_share(scenario, item="sdg_in_planning_strategy")
        assert n1 is (v1 > 0.5)
        assert v2 == estimands.expected_share(scenario, item="barrier_national_guidance", units="county_authorities")
        assert n2 is (v2 > 0.5)
    # the scenarios differ in what they make true, so the simulation can count both kinds of error
    assert {truths[s][0][0] for s in SCENARIOS} == {True, False}
    assert {truths[s][1][0] for s in SCENARIOS} == {True, False}


def test_the_registry_gives_evidence_the_rule_decides(in_project):
    spec = load_claims_spec()
    claims = load_claims()
    data = analysis_frame(replica.load_scenario("vsr-narrative"), 2021)
    for cid in ("N1", "N2"):
        entry = next(c for c in spec["claims"] if c["id"] == cid)
        ev = analysis_for(claims[cid])(data, claims[cid], claim_parameters(entry, 0.05), 1)
        assert 0 <= ev["primary"]["p_value"] <= 1 and ev["primary"]["ci_low"] <= ev["primary"]["estimate"]
        assert decide(entry, ev, 0.05, ev["primary"]["p_value"]).verdict in VERDICTS
    county = data.counties["barrier_national_guidance"].dropna()
    n2 = analysis_for(claims["N2"])(data, claims["N2"], {}, 1)
    assert n2["n"] == len(county) <= 11 and math.isclose(n2["primary"]["estimate"], county.astype(float).mean())


STORED = "data/oc-of-the-new-claims"  # a stored run of the new claims only, in the project copy


def test_vsr_simulate_runs_and_scores_the_new_claims(project):
    out = project / STORED
    args = ["simulate", "--scenario", ",".join(SCENARIOS), "--seeds", "3", "--claims", "N1,N2", "--workers", "0"]
    vsr(*args, "--out", str(out), "--quiet", root=project)
    per_seed = pd.read_csv(out / "per_seed.csv")
    assert set(per_seed["claim"]) == {"N1", "N2"} and len(per_seed) == len(SCENARIOS) * 3 * 2
    assert set(per_seed["truth"]) == {"holds", "fails"}  # computed for every seed, never "unstated"
    assert set(per_seed["verdict"]) <= set(VERDICTS) and per_seed["error"].isna().all()
    n1 = per_seed[per_seed["claim"] == "N1"]
    assert ((n1["true_value"] > 0) & (n1["true_value"] < 1)).all()  # the realised frame share of the item
    assert (n1["truth"] == n1["true_value"].gt(0.5).map({True: "holds", False: "fails"})).all()
    oc = pd.read_csv(out / "operating_characteristics.csv")
    assert set(zip(oc["scenario"], oc["claim"])) == {(s, c) for s in SCENARIOS for c in ("N1", "N2")}


def test_the_ledger_lists_the_new_claims(project, tmp_path, monkeypatch):
    monkeypatch.setenv("VSR_PROJECT_ROOT", str(project))
    ledger = {e["id"]: e for e in build_ledger(tmp_path)}
    assert ledger["N1"]["chapter"] == "book/executed/n1-planning-strategy.ipynb"
    assert ledger["N2"]["verdict"] == "inconclusive" and ledger["N2"]["confirmatory"] is False


def test_a_chapter_for_an_undeclared_claim_is_refused(in_project):
    from vsr_analysis.inputs.runspec import RunSpecError, load_runspec

    path = in_project / "runspec.yml"
    text = path.read_text(encoding="utf-8")
    try:
        path.write_text(text.replace("claim: N1", "claim: N9"), encoding="utf-8")
        with pytest.raises(RunSpecError, match=r"n1-planning-strategy.*'claim' = 'N9' is not a claim of claims.yml"):
            load_runspec()
    finally:
        path.write_text(text, encoding="utf-8")


def test_the_power_page_plans_the_new_share_claim(in_project):
    """The power page's rows come from claims.yml's kinds: the new confirmatory share claim gets a row (after F8,
    in claims.yml's order), its kind's knob, a larger Holm family, and its power through the registry's analysis;
    the exploratory county claim gets a row at the unadjusted α only, outside the Holm family."""
    from vsr_analysis.claims.ledger import in_holm_family
    from vsr_analysis.simulate import power

    plan = power.make_plan(reps=2)
    ids = [c.id for c, _ in plan.claims]
    assert "N1" in ids and ids.index("N1") > ids.index("F8")
    assert "N2" in ids and "N2" not in plan.skipped  # exploratory: powered at α, its county kind has a knob
    n2 = next(e for e in load_claims_spec()["claims"] if e["id"] == "N2")
    assert not in_holm_family(n2)  # ... and it does not enlarge the Holm family (the next line counts it)
    assert plan.levels["family_size"] == sum(in_holm_family(c) for c in load_claims_spec()["claims"])
    n1, params = next((c, p) for c, p in plan.claims if c.id == "N1")
    assert power.KNOBS[n1.analysis.kind].null(n1) == 0.5 and plan.grid(n1)[0] == 0.5
    data = analysis_frame(replica.load_scenario("vsr-narrative"), 2021)
    result = power.compute(power.PowerPlan(plan.survey, ((n1, params),), {}, 3, 1, plan.levels), data, workers=0)
    curve = result.curves
    assert set(curve["claim"]) == {"N1"} and curve["power_alpha"].between(0, 1).all()
    assert list(result.mde["claim"]) == ["N1"]


def test_a_page_showing_a_stored_run_names_the_claims_it_lacks(in_project):
    """The stored run of N1 and N2 is current (same plan) but lacks every other claim: the page shows it and says
    which claims it lacks, with the command that refreshes it."""
    from vsr_analysis.simulate import report

    if not (in_project / STORED / "provenance.json").is_file():
        pytest.skip("needs the stored run of test_vsr_simulate_runs_and_scores_the_new_claims")
    oc, text = report.load_run(STORED, list(SCENARIOS), 2, 100)
    assert set(oc["claim"]) == {"N1", "N2"} and "stored full run" in text
    assert ":::{warning}" in text and f"no results for claim(s) **{', '.join(load_claims().ids[:-2])}**" in text
    assert f"--seeds 3 --workers 0 --out {in_project / STORED}" in text and "--claims" not in text.split("Refresh")[1]


def test_vsr_book_warns_about_a_stored_run_that_lacks_claims(in_project):
    from vsr_analysis.build.book import stored_run_warnings

    (warning,) = stored_run_warnings()
    assert "data/operating-characteristics/" in warning and "claim(s) N1, N2 of claims.yml" in warning
    assert "vsr simulate --scenario" in warning and "--out data/operating-characteristics" in warning
    proc = vsr("book", root=in_project, check=False)  # no run yet: the build itself stops, after the warning
    assert "vsr book: warning: the stored run in data/operating-characteristics/" in proc.stderr


@pytest.mark.slow
def test_vsr_run_only_and_vsr_book_show_the_new_claims(built_book, tmp_path):
    """On a copy of the default build: the new chapter runs with the pages that show the new claims, the ledger
    decides N1 from its evidence, and the book shows its page, the county page states N2, the claims page lists
    both and the power page plans N1. The new share page tells no other claim's story."""
    import json
    import re

    from conftest import TEST_POWER_REPS, copy_build, notebook_words, set_power_reps

    root = copy_build(built_book, tmp_path / "project")
    _add_claims(root)
    set_power_reps(root, TEST_POWER_REPS)  # claims.yml changed: the page simulates anew, at the tests' replicates
    vsr("run", *(f"--only={name}" for name in (NEW_SET["name"], "county-authorities", "power-design")), root=root)
    executed = root / "book" / "executed"
    words = notebook_words(executed / f"{NEW_SET['name']}.ipynb")
    assert "N1" in words and not re.search(r"\bF(10|[1-9])[a-d]?\b", words)  # its claim's words, no other's
    county = (executed / "county-authorities.ipynb").read_text(encoding="utf-8")
    assert f"**N2** ({NEW_COUNTY['finding']})" in county
    ledger = {e["id"]: e for e in json.loads((root / "results" / "claims.json").read_text(encoding="utf-8"))}
    assert ledger["N1"]["verdict"] in VERDICTS and ledger["N1"]["reason"] != "its notebook has not been executed"
    assert 0 < ledger["N1"]["primary"]["estimate"] < 1 and ledger["N1"]["n"] > 0
    proc = vsr("book", root=root)
    assert "has no results for claim(s) N1, N2" in proc.stderr  # the stored run predates them
    html = root / "_build" / "html" / "book"
    assert (html / "executed" / f"{NEW_SET['name']}.html").is_file()
    claims_page = (html / "generated" / "claims.html").read_text(encoding="utf-8")
    assert "N1" in claims_page and "N2" in claims_page
    power_page = (html / "executed" / "power-design.html").read_text(encoding="utf-8")
    assert "<strong>N1</strong>:" in power_page, "the power page states no MDE for N1"
