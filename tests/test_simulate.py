"""`vsr simulate` without Dask: streams, scenario statements, the registry, resume, aggregation, CLI errors."""

from __future__ import annotations

import json
import math

import numpy as np
import pandas as pd
import pytest

from vsr_analysis import cli
from vsr_analysis.claims.ledger import claim_evidence, decide, load_claims_spec
from vsr_analysis.claims.spec import load_claims
from vsr_analysis.simulate import engine, operating, streams
from vsr_analysis.simulate.registry import IMPLEMENTATIONS, analysis_for, claim_parameters
from vsr_analysis.simulate.replica_frame import analysis_frame
from vsr_analysis.simulate.truth import check_statements, model_truth, stated_truth
from vsr_analysis.synth import replica

# ------------------------------------------------------------------------------------------------ streams


def test_streams_are_fixed_per_scenario_and_seed():
    assert streams.replica_seed("null", 7) == streams.replica_seed("null", 7)
    assert streams.replica_seed("null", 7) != streams.replica_seed("vsr-narrative", 7)
    assert streams.replica_seed("null", 7) != streams.replica_seed("null", 8)
    assert streams.analysis_seed("null", 7, "F4") != streams.analysis_seed("null", 7, "F1")
    assert 0 <= streams.replica_seed("low-uptake", 1) < 2**32


# ------------------------------------------------------------------------------------- scenario statements


@pytest.mark.parametrize("scenario", replica.available_scenarios())
def _truth(claim, doc):
    """The model's truth of a claim, else the scenario's statement."""
    computed, _ = model_truth(claim, doc)
    return computed if computed is not None else stated_truth(doc, claim.id)


@pytest.mark.parametrize("scenario", replica.available_scenarios())
def test_every_scenario_statement_agrees_with_its_model(scenario):
    doc = replica.load_scenario(scenario)
    claims = load_claims()
    assert check_statements(scenario, doc, claims) == []
    truths = {c.id: _truth(c, doc) for c in claims.claims}
    assert all(t is not None for t in truths.values()), truths  # computed, or stated where nothing computes it


def test_the_model_computes_the_truth_of_every_claim_kind():
    doc = replica.load_scenario("vsr-narrative")
    assert all(model_truth(c, doc)[0] is not None for c in load_claims().claims)


def test_every_claim_is_false_in_some_scenario():
    claims = load_claims()
    false_somewhere = set()
    for scenario in replica.available_scenarios():
        doc = replica.load_scenario(scenario)
        false_somewhere |= {c.id for c in claims.claims if _truth(c, doc) is False}
    assert set(claims.ids) <= false_somewhere


def test_a_wrong_statement_is_caught():
    doc = replica.load_scenario("null")
    doc["claims"] = {**(doc.get("claims") or {}), "F1": {"holds": True, "reason": "x"}}  # zero coefficient: fails
    problems = check_statements("null", doc, load_claims())
    assert len(problems) == 1 and "claims.F1.holds is true" in problems[0] and "null.yml" in problems[0]


def test_f4_truth_follows_the_ceiling():
    f4 = load_claims()["F4"]
    for scenario, holds in (("vsr-narrative", True), ("size-ceiling", False)):
        assert model_truth(f4, replica.load_scenario(scenario))[0] is holds


def test_expected_share_of_a_declared_outcome_is_the_truth_jsons():
    """The share truths computed from a claim's declaration agree with the replica's own expectations."""
    from vsr_analysis.simulate.truth import expected_claim_share

    claims = load_claims()
    for scenario in ("vsr-narrative", "few-capacity-barriers"):
        doc = replica.load_scenario(scenario)
        _, truth = replica.generate(doc, 4)
        expected = truth["claims_expected"]
        assert expected_claim_share(claims["F6"], doc) == pytest.approx(expected["sdg_in_master_plan"], abs=1e-6)
        assert expected_claim_share(claims["F7"], doc) == pytest.approx(
            expected["stage_ge3_among_management"], abs=1e-6
        )
        f8_holds, f8_margin = model_truth(claims["F8"], doc)  # the ranking's margin, from the expected shares
        named = [expected[i] for i in claims["F8"].analysis["top"]]
        others = [expected[i] for i in claims["F8"].outcome.ranked if i not in claims["F8"].analysis["top"]]
        assert f8_margin == pytest.approx(min(named) - max(others), abs=1e-6) and f8_holds == (f8_margin > 0)
        assert expected_claim_share(claims["F2"], doc) == pytest.approx(expected["stage_ge1"], abs=1e-6)
        assert expected_claim_share(claims["F9"], doc) == pytest.approx(
            truth["measures_progress_share"]["expected_frame"], abs=1e-6
        )
        assert expected_claim_share(claims["F10"], doc) == pytest.approx(
            truth["barrier_shares"][claims["F10"].outcome.item]["expected_frame"], abs=1e-6
        )


def test_truth_json_carries_realised_frame_values():
    rows, truth = replica.generate("vsr-narrative", 5)
    assert truth["claims"]["F1"]["true_value"] == truth["coefficients"]["political_anchoring"]
    f10 = truth["claims"]["F10"]["true_value"]
    # the realised frame share includes non-respondents, so it differs from the respondents' share
    respondents = rows.loc[rows["unit_type"] == "municipality", "barrier_policy_coherence"].dropna().astype(int)
    assert 0 < f10 < 1 and abs(f10 - respondents.mean()) < 0.1
    assert f10 == pytest.approx(truth["barrier_shares"]["barrier_policy_coherence"]["realised_frame"], abs=1e-6)
    # F8's realised value is the ranking's margin in the frame: smallest named share minus largest other share
    shares = {k: v["realised_frame"] for k, v in truth["barrier_shares"].items()}
    named = ("barrier_capacity", "barrier_competence", "barrier_methods_tools", "barrier_political_ownership")
    margin = min(shares[i] for i in named) - max(v for k, v in shares.items() if k not in named)
    assert truth["claims"]["F8"]["true_value"] == pytest.approx(margin, abs=1e-5)
    assert truth["claims"]["F3"]["true_value"] is None


def test_pseudo_true_value_is_the_generating_coefficient_where_the_model_is_right():
    """Fitted to the model's expected frame, the F1 analysis model recovers the generating coefficient; a model of
    network membership without anchoring targets the larger total association, and zero under the null scenario."""
    from vsr_analysis.simulate.truth import pseudo_true_coefficient

    controls = ("log_population", "centrality", "merged_2017_2020")
    narrative = replica.load_scenario("vsr-narrative")
    f1 = pseudo_true_coefficient(narrative, "political_anchoring", (*controls, "network_member"), ("county_code",))
    assert f1 == pytest.approx(narrative["maturity"]["coefficients"]["political_anchoring"]["value"], abs=1e-6)
    f5 = pseudo_true_coefficient(narrative, "network_member", controls, ("county_code",))
    assert f5 > narrative["maturity"]["coefficients"]["network_member"]["value"]
    null = replica.load_scenario("null")
    assert pseudo_true_coefficient(null, "network_member", controls, ("county_code",)) == pytest.approx(0, abs=1e-8)


def test_malformed_claims_section_names_file_and_claim(tmp_path, monkeypatch):
    import shutil

    from vsr_analysis import paths

    root = tmp_path / "proj"
    shutil.copytree(paths.scenarios_dir(), root / "data" / "scenarios")
    monkeypatch.setenv("VSR_PROJECT_ROOT", str(root))
    path = root / "data" / "scenarios" / "null.yml"
    path.write_text(path.read_text() + "\n  F9:\n    holds: maybe\n    reason: x\n")
    with pytest.raises(replica.ScenarioError, match=r"null\.yml: claims\.F9\.holds must be true or false"):
        replica.load_scenario("null")


# ---------------------------------------------------------------------------------------------- registry

VERDICTS = {"supported", "not supported", "inconclusive"}


@pytest.fixture(scope="module")
def narrative_frame():
    return analysis_frame(replica.load_scenario("vsr-narrative"), 2021)


def test_replica_frame_matches_the_notebooks_frame(narrative_frame):
    """The in-memory frame equals what load_frame gives the notebooks for synthetic:vsr-narrative:2021."""
    from vsr_analysis.loading import load_frame

    nb = load_frame("synthetic:vsr-narrative:2021")
    pd.testing.assert_frame_equal(narrative_frame.frame, nb.frame)
    assert narrative_frame.weight_info == nb.weight_info


def test_registry_covers_the_confirmatory_claims():
    assert all(analysis_for(c) is not None for c in load_claims().claims)


def test_registry_maps_kinds_not_claim_ids():
    from vsr_analysis.claims.spec import ANALYSIS_KINDS

    assert set(IMPLEMENTATIONS) == set(ANALYSIS_KINDS)


@pytest.mark.parametrize("claim_id", load_claims().ids)
def test_registry_evidence_decides_like_the_ledger(narrative_frame, claim_id):
    spec = load_claims_spec()
    entry = next(c for c in spec["claims"] if c["id"] == claim_id)
    params = claim_parameters(entry, float(spec["alpha"]))
    if "permutations" in params:
        params["permutations"] = 200
    claim = load_claims()[claim_id]
    ev = analysis_for(claim)(narrative_frame, claim, params, 123)
    assert set(ev["primary"]) == {"estimate", "ci_low", "ci_high", "p_value"}
    if claim.population.units == "county_authorities":  # F8-county, F10-county: the county authorities answering
        assert 0 < ev["n"] <= len(narrative_frame.counties)
    else:
        assert ev["n"] > 50
    if entry["rule"] == "existence":  # F4: a count of validated counterexamples, no p-value of its own
        assert ev["primary"]["p_value"] is None and ev["primary"]["estimate"] >= 0
        assert 0 <= ev["rule_inputs"]["nca_p_value"] <= 1
    else:
        assert 0 <= ev["primary"]["p_value"] <= 1
    assert decide(entry, ev, float(spec["alpha"]), ev["primary"]["p_value"]).verdict in VERDICTS


#: every claim whose chapter records its own evidence (the components F3a-F3d read their parent's)
OWN_EVIDENCE = [c.id for c in load_claims().claims if c.analysis.get("part_of") is None]


@pytest.mark.slow
@pytest.mark.parametrize("claim_id", OWN_EVIDENCE)
def test_registry_gives_the_notebooks_evidence(narrative_frame, claim_id, built_book):
    """The registry and the executed chapter (the default build) agree on the primary result and rule inputs."""
    spec = load_claims_spec()
    entry = next(c for c in spec["claims"] if c["id"] == claim_id)
    params = claim_parameters(entry, float(spec["alpha"]))
    notebook = claim_evidence(built_book / "results", entry)  # a claim's own part where a chapter decides several
    assert notebook["survey"] == "synthetic:vsr-narrative:2021"
    claim = load_claims()[claim_id]
    ours = analysis_for(claim)(narrative_frame, claim, params, params.get("seed", 0))
    for key in ("estimate", "ci_low", "ci_high", "p_value"):
        a, b = notebook["primary"][key], ours["primary"][key]
        assert (a is None and b is None) or math.isclose(a, b, rel_tol=1e-8, abs_tol=1e-12), (key, a, b)
    assert notebook["n"] == ours["n"]
    for key, value in ours["rule_inputs"].items():
        assert _close(json.loads(json.dumps(value, default=float)), notebook["rule_inputs"][key]), key


def _close(a, b) -> bool:
    """Equal up to the 10 significant digits the evidence files keep, also inside nested dicts and lists."""
    if isinstance(a, dict) and isinstance(b, dict):
        return a.keys() == b.keys() and all(_close(a[k], b[k]) for k in a)
    if isinstance(a, list) and isinstance(b, list):
        return len(a) == len(b) and all(_close(x, y) for x, y in zip(a, b))
    if isinstance(a, (int, float)) and isinstance(b, (int, float)) and not isinstance(a, bool):
        return math.isclose(a, b, rel_tol=1e-8, abs_tol=1e-12)
    return a == b


def test_f1_parameters_come_from_the_template_and_runspec():
    spec = load_claims_spec()
    entries = {c["id"]: c for c in spec["claims"]}
    f1 = claim_parameters(entries["F1"], 0.05)
    f5 = claim_parameters(entries["F5"], 0.05)
    assert f1["term"] == "political_anchoring" and "term" not in f5  # F5 tests two parts (its own template)
    assert f5["controls"] == ["log_population", "centrality", "merged_2017_2020"] and f1["alpha"] == 0.05
    assert "survey" not in f1


# ----------------------------------------------------------------------------------- runs and checkpoints


@pytest.fixture(scope="module")
def small_plan():
    return engine.make_plan(["null"], 4, ["F8", "F4"], chunk_size=2, overrides={"permutations": 30})


def test_resume_computes_only_missing_chunks(small_plan, tmp_path):
    out = tmp_path / "run"
    first = engine.simulate(small_plan, out, workers=0, progress=False)
    assert (first.seeds_computed, first.chunks_computed) == (4, 2)
    reference = {n: (out / n).read_bytes() for n in (engine.PER_SEED_FILE, engine.OC_FILE)}
    chunks = sorted((out / engine.CHECKPOINT_DIR / "null").glob("*.json"))
    assert len(chunks) == 2
    # a killed run: one checkpoint never written, the per-seed output gone
    chunks[1].unlink()
    (out / engine.PER_SEED_FILE).unlink()
    again = engine.simulate(small_plan, out, workers=0, progress=False)
    assert (again.seeds_computed, again.chunks_computed) == (2, 1)
    # a truncated checkpoint (a crash while copying) is recomputed, never half counted
    text = chunks[0].read_text()
    chunks[0].write_text(text[: len(text) // 2])
    third = engine.simulate(small_plan, out, workers=0, progress=False)
    assert third.seeds_computed == 2
    for name, data in reference.items():
        assert (out / name).read_bytes() == data
    per_seed = pd.read_csv(out / engine.PER_SEED_FILE)
    assert sorted(per_seed["seed"].unique()) == [1, 2, 3, 4]
    assert len(per_seed) == 4 * 2 and not per_seed.duplicated(["seed", "claim"]).any()
    # nothing left to do
    assert engine.simulate(small_plan, out, workers=0, progress=False).seeds_computed == 0
    prov = json.loads((out / engine.PROVENANCE_FILE).read_text())
    assert prov["claims"]["F4"]["parameters"]["permutations"] == 30 and prov["simulated"] is True


def test_more_seeds_reuse_the_chunks_done(small_plan, tmp_path):
    out = tmp_path / "grow"
    engine.simulate(small_plan, out, workers=0, progress=False)
    bigger = engine.make_plan(["null"], 6, ["F8", "F4"], chunk_size=2, overrides={"permutations": 30})
    assert engine.simulate(bigger, out, workers=0, progress=False).seeds_computed == 2


def test_another_plan_in_the_same_folder_is_refused(small_plan, tmp_path):
    out = tmp_path / "other"
    engine.simulate(small_plan, out, workers=0, progress=False)
    other = engine.make_plan(["null"], 4, ["F8", "F4"], chunk_size=2, overrides={"permutations": 31})
    with pytest.raises(engine.SimulationError, match="other settings"):
        engine.simulate(other, out, workers=0, progress=False)


# ---------------------------------------------------------------------------------------------- aggregation


def test_operating_characteristics_from_records():
    rows = []
    for seed in range(1, 11):
        verdict = "supported" if seed <= 3 else ("not supported" if seed <= 9 else "inconclusive")
        rows.append(
            {
                "scenario": "s",
                "seed": seed,
                "claim": "F8",
                "truth": "fails",
                "true_value": 0.4,
                "verdict": verdict,
                "verdict_unadjusted": "supported" if seed <= 4 else "not supported",
                "estimate": 0.4,
                "ci_low": 0.35,
                "ci_high": 0.45 if seed != 10 else 0.39,
                "covered": seed != 10,
                "error": "",
            }
        )
    oc = operating.operating_characteristics(pd.DataFrame(rows)).iloc[0]
    assert (oc["supported"], oc["not_supported"], oc["inconclusive"]) == (0.3, 0.6, 0.1)
    assert math.isclose(oc["supported_se"], math.sqrt(0.3 * 0.7 / 10))
    assert oc["supported_unadjusted"] == 0.4 and oc["coverage"] == 0.9 and oc["n_coverage"] == 10
    text = operating.reading(oc)
    assert "F8 is false" in text and "wrongly *supported* in 30 %" in text and "covers the true value in 90 %" in text


def test_records_are_sorted_whatever_the_order_of_chunks():
    recs = [
        {"scenario": "b", "seed": 2, "claim": "F8"},
        {"scenario": "a", "seed": 2, "claim": "F8"},
        {"scenario": "a", "seed": 1, "claim": "F8"},
    ]
    table = engine.per_seed_table(recs)
    assert list(zip(table["scenario"], table["seed"])) == [("a", 1), ("a", 2), ("b", 2)]


# ------------------------------------------------------------------------------------------------------ CLI


def test_cli_unknown_scenario_and_claim_are_usage_errors(tmp_path, capsys):
    assert cli.main(["simulate", "--scenario", "nope", "--seeds", "1", "--out", str(tmp_path / "x")]) == 2
    assert "unknown scenario" in capsys.readouterr().err
    rc = cli.main(["simulate", "--scenario", "null", "--seeds", "1", "--claims", "F99", "--out", str(tmp_path / "y")])
    assert rc == 2 and "unknown claim" in capsys.readouterr().err
    assert not (tmp_path / "x").exists() and not (tmp_path / "y").exists()


def test_cli_runs_in_process(tmp_path, capsys):
    out = tmp_path / "cli"
    args = ["simulate", "--scenario", "few-capacity-barriers", "--seeds", "2", "--claims", "F8"]
    rc = cli.main([*args, "--workers", "0", "--out", str(out), "--quiet"])
    assert rc == 0, capsys.readouterr().err
    oc = pd.read_csv(out / engine.OC_FILE)
    assert list(oc["claim"]) == ["F8"] and oc["truth"].iloc[0] == "fails" and oc["n_seeds"].iloc[0] == 2
    assert np.isclose(oc[["supported", "not_supported", "inconclusive"]].sum(axis=1).iloc[0], 1.0)


# ------------------------------------------------------------------------------ truth labels by realisation


def test_share_claims_are_labelled_by_the_realised_frame_share():
    from vsr_analysis.simulate.truth import realised_holds

    spec = load_claims()
    assert realised_holds(spec["F6"], 0.51) is True and realised_holds(spec["F6"], 0.49) is False
    assert realised_holds(spec["F9"], 0.49) is True and realised_holds(spec["F9"], 0.51) is False
    spread = [0.05, 0.3, 0.3, 0.2, 0.1, 0.05]
    assert realised_holds(spec["F2"], 0.95, spread) is True
    narrow = [0.05, 0.9, 0.01, 0.01, 0.01, 0.02]
    assert realised_holds(spec["F2"], 0.95, narrow) is False  # started, but not spread over three stages
    assert realised_holds(spec["F2"], 0.95) is None
    assert realised_holds(spec["F1"], 0.7) is None  # not a share claim: the model's truth decides
    assert realised_holds(spec["F7"], None) is None


def test_run_seed_labels_each_seed_by_its_own_realisation():
    """unequal-response states F6 false (its expected frame share is below one half), but the realised frame
    share exceeds one half in some seeds: each seed is labelled by its own realised share, the statement stays in
    truth_stated."""
    plan = engine.make_plan(["unequal-response"], 1, ["F6", "F2"], chunk_size=1)
    doc = plan.scenario_docs["unequal-response"]
    recs = [r for seed in range(1, 9) for r in engine.run_seed(doc, seed, plan.claims, plan.alpha)]
    f6 = [r for r in recs if r["claim"] == "F6"]
    assert all(r["truth"] == ("holds" if r["true_value"] > 0.5 else "fails") for r in f6)
    assert {r["truth_stated"] for r in f6} == {"fails"}
    assert all(r["truth"] in ("holds", "fails") for r in recs if r["claim"] == "F2")
    oc = operating.operating_characteristics(engine.per_seed_table(recs))
    f6_rows = oc[oc["claim"] == "F6"]
    assert f6_rows["n_seeds"].sum() == 8 and set(f6_rows["truth"]) == {r["truth"] for r in f6}


def test_operating_characteristics_split_a_claim_by_realised_truth():
    rows = [
        {"scenario": "s", "seed": k, "claim": "F6", "truth": "holds" if k <= 6 else "fails", "true_value": 0.5,
         "verdict": "supported" if k in (1, 2, 3, 7) else "inconclusive", "verdict_unadjusted": "supported",
         "estimate": 0.5, "ci_low": 0.4, "ci_high": 0.6, "covered": True, "error": ""}
        for k in range(1, 11)
    ]  # fmt: skip
    oc = operating.operating_characteristics(pd.DataFrame(rows)).set_index("truth")
    assert oc.loc["holds", "n_seeds"] == 6 and oc.loc["holds", "supported"] == 0.5
    assert oc.loc["fails", "n_seeds"] == 4 and oc.loc["fails", "supported"] == 0.25
