"""The design-based power engine (`vsr simulate --power`, vsr_analysis.simulate.power): outcomes drawn at a stated
effect on a fielded survey's design, analysed by the registry's analysis and decided by the ledger's rule."""

from __future__ import annotations

import math

import numpy as np
import pytest

from vsr_analysis.claims.ledger import load_claims_spec
from vsr_analysis.claims.spec import load_claims
from vsr_analysis.simulate import power
from vsr_analysis.simulate.registry import claim_parameters
from vsr_analysis.simulate.replica_frame import analysis_frame
from vsr_analysis.synth import replica


@pytest.fixture(scope="module")
def design():
    return analysis_frame(replica.load_scenario("vsr-narrative"), 2021)


def _first(kind: str, rule: str | None = None):
    """The first confirmatory claim of claims.yml of an analysis kind (never a claim chosen by its id)."""
    spec = load_claims_spec()
    for c in load_claims().claims:
        if c.analysis.kind == kind and c.confirmatory and (rule is None or c.rule == rule):
            entry = next(e for e in spec["claims"] if e["id"] == c.id)
            return c, claim_parameters(entry, float(spec.get("alpha", 0.05)))
    pytest.skip(f"claims.yml has no {kind} claim")


def _rate(data, claim, params, effect, reps, level="alpha"):
    levels = power.holm_levels(load_claims_spec())
    hits = 0
    for rep in range(reps):
        rng = power.rep_stream("test", 1, claim.id, rep)
        hits += power.evaluate(data, claim, params, effect, rng, levels, rep)[level]
    return hits / reps


def _declared_under(claim, variance: str):
    """``claim`` as if claims.yml decided it on ``variance`` (``analysis.variance``), parsed by the spec loader."""
    from vsr_analysis.claims.spec import parse_claim

    entry = claim.as_dict()
    entry["analysis"]["variance"] = variance
    return parse_claim(entry)


def test_a_share_exactly_at_its_level_is_supported_at_most_alpha_of_the_time(design):
    # The declared (assumption-light) interval holds its level; the interval under missing at random, which uses
    # the finite-population factor, is about exact at it; the declared one, wider, is conservative (its price).
    claim, params = _first("share_vs_threshold", "share_above")
    alpha = power.holm_levels(load_claims_spec())["alpha"]
    reps = 300
    at_level = power.KNOBS[claim.analysis.kind].null(claim)
    se = math.sqrt(alpha * (1 - alpha) / reps)
    declared = _rate(design, claim, params, at_level, reps)
    assert declared <= alpha + 3 * se  # the rule holds its level on this design (within Monte Carlo error)
    mar = _rate(design, _declared_under(claim, "missing_at_random"), params, at_level, reps)
    assert mar >= max(0.0, alpha - 3 * se)  # ... the MAR interval is not far more conservative than α
    assert mar <= alpha + 3 * se and declared <= mar  # and the declared interval is never the less cautious one


def test_the_drawn_frame_holds_the_stated_share(design):
    claim, _ = _first("share_vs_threshold", "share_above")
    share = float(claim.threshold) + 0.03
    cols = power.KNOBS["share_vs_threshold"].draw(design, claim, share, power.rep_stream("t", 1, claim.id, 0))
    drawn = power.drawn_survey(design, cols)
    from vsr_analysis.claims.share_evidence import claim_outcome

    resp = drawn.respondents
    y = claim_outcome(resp, claim.outcome)
    before = claim_outcome(design.respondents, claim.outcome)
    assert np.array_equal(np.isnan(y), np.isnan(before))  # item non-response kept as fielded
    assert abs(np.nanmean(y) - share) < 0.08  # the respondents carry (about) the frame's share


def test_power_grows_with_the_coefficient_and_is_about_zero_without_it(design):
    claim, params = _first("ordinal_coefficient")
    none, strong = _rate(design, claim, params, 0.0, 30), _rate(design, claim, params, 0.8, 30)
    assert strong >= 0.8 and none <= 0.2 and strong > none


def test_an_existence_count_needs_small_municipalities_at_the_top(design):
    claim, params = _first("existence_count")
    params = {**params, "permutations": 0}
    assert _rate(design, claim, params, 0.0, 5) == 0.0  # no small municipality at the top: never supported
    assert _rate(design, claim, params, 0.2, 5) == 1.0  # one in five small ones at the top: always


def test_crossing_interpolates_on_a_toy_grid():
    c = power.crossing([0.0, 0.1, 0.2, 0.3], [0.05, 0.4, 0.7, 0.9], reps=100)
    assert c["status"] == "interpolated" and c["mde"] == pytest.approx(0.25)
    assert c["mde_se"] == pytest.approx(math.sqrt(0.8 * 0.2 / 100) / 2.0)
    # a dip (Monte Carlo noise) does not move the crossing back: the running maximum is used
    assert power.crossing([0, 1, 2, 3], [0.1, 0.5, 0.45, 0.9], reps=50)["mde"] == pytest.approx(2 + 0.3 / 0.4)
    # a share below a level: the effects decrease, the crossing lies between them
    below = power.crossing([0.5, 0.49, 0.48], [0.05, 0.6, 0.95], reps=100)
    assert below["mde"] == pytest.approx(0.49 - 0.01 * 0.2 / 0.35)
    assert power.crossing([0, 1], [0.1, 0.5], reps=10) == {"mde": None, "mde_se": None, "status": "beyond_grid"}


def test_the_plan_has_one_row_per_claim_of_claims_yml():
    plan = power.make_plan(reps=2)
    every = [c.id for c in load_claims().claims]  # confirmatory or not: exploratory claims get an MDE at α
    planned = [c.id for c, _ in plan.claims]
    assert planned + list(plan.skipped) == [c for c in every if c in planned or c in plan.skipped]
    assert set(planned) | set(plan.skipped) == set(every)
    levels = plan.levels
    assert levels["holm"] == pytest.approx(levels["alpha"] / levels["family_size"])
    for c, params in plan.claims:
        assert c.analysis.kind in power.KNOBS
        if "permutations" in params:
            assert params["permutations"] == power.EXISTENCE_PERMUTATIONS


def test_a_task_is_reproducible_and_its_tables_have_every_claim(design):
    plan = power.make_plan(reps=2)
    plan = power.PowerPlan(plan.survey, tuple(x for x in plan.claims if x[0].is_share)[:2], {}, 2, 1, plan.levels)
    tasks = power.tasks_of(plan, design)
    assert power.run_task(tasks[0])["rows"] == power.run_task(tasks[0])["rows"]
    result = power.compute(plan, design, workers=0)
    assert list(result.mde["claim"]) == [c.id for c, _ in plan.claims]
    assert set(result.curves["claim"]) == set(result.mde["claim"])
    for c, _ in plan.claims:
        assert list(result.curves[result.curves["claim"] == c.id]["effect"]) == plan.grid(c)


def test_mde_phrases_say_share_or_coefficient_and_holm():
    from vsr_analysis.claims.power_statement import mde_phrase

    share = {"kind": "share_vs_threshold", "effect_scale": "true share of the outcome in the frame",
             "null_effect": 0.5, "mde_alpha": 0.532, "mde_holm": 0.545, "status_alpha": "interpolated",
             "status_holm": "interpolated", "holm_adjusted": True}  # fmt: skip
    text = mde_phrase(share)
    assert "53.2 %" in text and "54.5 %" in text and "50.0 %" in text and "Holm" in text
    coef = {"kind": "ordinal_coefficient", "effect_scale": "log-odds per SD of the term", "mde_alpha": 0.3,
            "mde_holm": 0.4, "term_sd": 0.5, "status_alpha": "interpolated", "holm_adjusted": True}  # fmt: skip
    assert "log-odds per SD of the term: 0.30 at α" in mde_phrase(coef) and "0.60 per unit" in mde_phrase(coef)
    count = {**coef, "kind": "existence_count", "holm_adjusted": False}
    assert "no Holm level" in mde_phrase(count)
    assert "not within the effects simulated" in mde_phrase({**coef, "status_alpha": "beyond_grid"})


def test_the_stored_table_is_written_labelled_and_refused_when_it_is_not_this_plans(design, tmp_path):
    import json

    full = power.make_plan(reps=2)
    plan = power.PowerPlan(full.survey, tuple(x for x in full.claims if x[0].is_share)[:1], {}, 2, 1, full.levels)
    result = power.compute(plan, design, workers=0)
    power.write_stored(tmp_path, plan, design, result, "vsr simulate --power (test)")
    prov = json.loads((tmp_path / power.PROVENANCE_FILE).read_text(encoding="utf-8"))
    assert prov["simulated"] is True and prov["fingerprint"] == plan.fingerprint(power.design_sha256(design))
    assert prov["evaluations"] == result.evaluations and prov["cpu_seconds_per_evaluation"] > 0
    mde = (tmp_path / power.MDE_FILE).read_text(encoding="utf-8").splitlines()
    assert mde[0].startswith("data,claim") and all(line.startswith("SIMULATED") for line in mde[1:])
    assert list(power.read_table(tmp_path / power.MDE_FILE)["claim"]) == list(result.mde["claim"])
    # a table of another plan (here: one claim of all) is not what this code would compute for the page
    assert "changed" in power.stored_problem(tmp_path, design)
    other = type(design)(**{**design.__dict__, "spec": "synthetic:vsr-narrative:7"})
    assert "design of synthetic:vsr-narrative:2021" in power.stored_problem(tmp_path, other)
    assert "no stored power table" in power.stored_problem(tmp_path / "nowhere", design)


def test_simulate_without_its_arguments_is_a_usage_error(capsys):
    from vsr_analysis import cli

    assert cli.main(["simulate", "--seeds", "1"]) == 2
    assert "--scenario, --out" in capsys.readouterr().err


def test_a_local_dask_cluster_gives_the_same_power_tables_as_one_process(design):
    # the power run reaches its workers through the engine's one Dask runner (simulate.engine.run_on_dask)
    full = power.make_plan(reps=2)
    plan = power.PowerPlan(full.survey, tuple(x for x in full.claims if x[0].is_share)[:1], {}, 2, 1, full.levels)
    here = power.compute(plan, design, workers=0)
    cluster = power.compute(plan, design, workers=1)
    assert here.curves.equals(cluster.curves) and here.mde.equals(cluster.mde)
    assert cluster.evaluations == here.evaluations > 0


def _county_claims():
    """The claims of claims.yml on the county authorities with a power knob, by declaration (never by id)."""
    spec = load_claims_spec()
    out = []
    for c in load_claims().claims:
        if c.population.units == "county_authorities" and power.knob_for(c) is not None:
            entry = next(e for e in spec["claims"] if e["id"] == c.id)
            out.append((c, claim_parameters(entry, float(spec.get("alpha", 0.05)))))
    return out


def test_the_county_claims_have_knobs_and_monotone_power_curves(design):
    kinds = {c.analysis.kind for c, _ in _county_claims()}
    assert kinds == {"share_vs_threshold", "share_noninferiority"}  # both county kinds of claims.yml have a knob
    plan = power.make_plan(reps=2)
    assert {c.id for c, _ in _county_claims()} <= {c.id for c, _ in plan.claims}
    for claim, params in _county_claims():
        knob = power.knob_for(claim)
        grid = knob.grid(claim)
        assert grid[0] == knob.null(claim) and grid == sorted(grid)
        points = [grid[0], grid[len(grid) // 2], grid[-1]]
        rates = [_rate(design, claim, params, e, 8) for e in points]
        # common random numbers: a larger effect never turns a replicate's "supported" into anything else
        assert rates == sorted(rates), (claim.id, rates)
        assert rates[0] <= 0.25 and rates[-1] >= 0.75, (claim.id, rates)


def test_an_exploratory_claims_mde_is_stated_at_alpha_only():
    from vsr_analysis.claims.power_statement import mde_phrase

    row = {"claim": "X", "kind": "share_vs_threshold", "effect_scale": "probability that a county authority names the item",
           "null_effect": 0.5, "holm_adjusted": False, "confirmatory": False, "mde_alpha": 0.95, "status_alpha": "interpolated"}  # fmt: skip
    text = mde_phrase(row)
    assert "95.0 % at α" in text and "exploratory" in text and "Holm's most stringent" not in text
    diff = {**row, "effect_scale": "difference: county authorities' probability of naming the item minus the "
            "municipalities' share", "mde_alpha": 0.233}  # fmt: skip
    assert "23.3 percentage points at α" in mde_phrase(diff)
