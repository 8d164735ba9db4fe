"""Property-based: every valid survey file runs the share claims' analysis and decision rule without an exception.

Generated files (SIMULATED DATA) start from the replica's complete answers of all 356 municipalities and vary
the response pattern: everyone answering, 30 %, the 302-of-356 file that used to crash F7's table by size band,
a county where nobody answered, no small municipality at the top, everyone at stage 0, one item missing for
everyone.  Each file is written in the documented CSV format, validated by ``load_survey`` and weighted as
``load_frame`` does, then F2, F6, F7 and F8 are analysed with the package functions the chapters call.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from vsr_analysis.claims import share_evidence as se
from vsr_analysis.claims.ledger import VERDICTS, decide, load_claims_spec
from vsr_analysis.data.analysis_frame import AnalysisFrame, add_analysis_columns
from vsr_analysis.data.codebook import load_codebook
from vsr_analysis.data.frame import build_frame, county_rows
from vsr_analysis.data.register import load_register
from vsr_analysis.data.survey_file import load_survey
from vsr_analysis.stats.frame_weights import add_weights
from vsr_analysis.synth import replica

ITEMS_TO_BLANK = [None, "sdg_in_management", "maturity_stage", "barrier_capacity", "sdg_in_master_plan"]


@pytest.fixture(scope="module")
def base():
    register = load_register()
    (_, rows, complete), = replica.simulate_with_frame("vsr-narrative", [7], frame=register)  # fmt: skip
    counties = rows[rows["unit_type"].astype(str) == "county"]
    muni = complete.drop(columns=["responded"]).copy()
    return register, muni, counties


def _survey_file(tmp_path, register, muni, counties, *, seed, rate, n_respond, empty_county, no_small_top,
                 all_stage0, blank_item):  # fmt: skip
    rng = np.random.default_rng(seed)
    m = muni.copy()
    n = len(m) if n_respond is None else n_respond
    if rate is not None:
        n = max(1, round(rate * len(m)))
    keep = np.zeros(len(m), bool)
    keep[rng.choice(len(m), size=n, replace=False)] = True
    county_of = register.set_index("knr").loc[m["knr"].astype(str), "county_code"].to_numpy()
    if empty_county:
        keep &= county_of != rng.choice(sorted(set(county_of)))
    if no_small_top:
        pop = register.set_index("knr").loc[m["knr"].astype(str), "population_2021"].to_numpy()
        small = pop < np.median(register["population_2021"])
        m.loc[small & (m["maturity_stage"].to_numpy() >= 4), "maturity_stage"] = 3
    if all_stage0:
        m["maturity_stage"] = 0
    rows = pd.concat([m.loc[keep], counties], ignore_index=True)
    if blank_item:
        rows[blank_item] = pd.NA
    rows = replica.to_nullable(rows)[replica.column_order()]
    path = tmp_path / f"survey_{seed}.csv"
    path.write_bytes(replica.to_csv_bytes(rows))
    return path


def _analyse(path, register, spec, codebook):
    survey = load_survey(path)
    frame = add_analysis_columns(build_frame(survey.data, register))
    data = AnalysisFrame(spec="file:test:0", frame=frame, counties=county_rows(survey.data), synthetic=False)
    add_weights(data)
    frame = data.frame
    resp = frame[frame["responded"]]
    alpha = float(spec["alpha"])
    propensity = se.frame_propensity(frame)
    verdicts = {}
    outcomes = se.share_claim_outcomes()
    for claim in spec["claims"]:
        if claim["id"] not in outcomes:
            continue
        d = outcomes[claim["id"]]
        inputs = se.spread_rule_inputs(resp, claim["rule_parameters"].get("min_stage_share", 0.1))
        a = se.share_claim_analysis(frame, claim, alpha, **d, alt_min_stage=4 if claim["id"] == "F7" else None,
                                    margins=data.weight_info["margins"], propensity=propensity, rule_inputs=inputs)  # fmt: skip
        tables, notes = se.shares_by_groups(a.domain, frame, whole_frame=not d["subset_item"])
        assert set(tables) == {"size band", "centrality class"}
        assert set(a.robustness["decision"]) <= set(VERDICTS)
        verdicts[claim["id"]] = decide(
            claim, {"primary": a.primary, "rule_inputs": inputs}, alpha, a.primary["p_value"]
        )
    se.ladder_tables(resp, codebook)
    return verdicts


@pytest.mark.slow
@settings(max_examples=8, deadline=None, derandomize=True, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    seed=st.integers(0, 10_000),
    rate=st.sampled_from([None, 1.0, 0.3, 0.6]),
    empty_county=st.booleans(),
    no_small_top=st.booleans(),
    all_stage0=st.booleans(),
    blank_item=st.sampled_from(ITEMS_TO_BLANK),
)
@example(seed=1, rate=None, empty_county=False, no_small_top=False, all_stage0=False, blank_item=None)
@example(seed=2, rate=1.0, empty_county=False, no_small_top=True, all_stage0=False, blank_item=None)
@example(seed=3, rate=0.3, empty_county=True, no_small_top=False, all_stage0=True, blank_item="sdg_in_management")
def test_valid_files_never_crash_the_share_claims(tmp_path, base, seed, rate, empty_county, no_small_top,
                                                   all_stage0, blank_item):  # fmt: skip
    register, muni, counties = base
    path = _survey_file(tmp_path, register, muni, counties, seed=seed, rate=rate, n_respond=302,
                        empty_county=empty_county, no_small_top=no_small_top, all_stage0=all_stage0,
                        blank_item=blank_item)  # fmt: skip
    verdicts = _analyse(path, register, load_claims_spec(), load_codebook())
    assert set(verdicts) == set(se.share_claim_outcomes())
    assert all(v.verdict in VERDICTS for v in verdicts.values())
    if all_stage0:  # nobody has started: F2 cannot be supported
        assert verdicts["F2"].verdict != "supported"


def _one_at_top(path):
    """The planted-respondent case of issue 13: a single municipality at the top stage."""
    rows = pd.read_csv(path, dtype=str, keep_default_na=False)
    muni = rows["unit_type"] == "municipality"
    top = rows["maturity_stage"] == "5"
    rows.loc[muni & top, "maturity_stage"] = "4"
    rows.loc[rows.index[muni][0], "maturity_stage"] = "5"
    rows.to_csv(path, index=False)


@pytest.mark.slow
@settings(max_examples=6, deadline=None, derandomize=True, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    seed=st.integers(0, 10_000),
    rate=st.sampled_from([None, 1.0, 0.3]),
    empty_county=st.booleans(),
    no_small_top=st.booleans(),
    one_at_top=st.booleans(),
    blank_item=st.sampled_from(ITEMS_TO_BLANK),
)
@example(seed=5, rate=None, empty_county=False, no_small_top=False, one_at_top=True, blank_item=None)
@example(seed=6, rate=0.3, empty_county=True, no_small_top=True, one_at_top=False, blank_item="maturity_stage")
def test_valid_files_never_crash_any_claims_primary_analysis(tmp_path, base, seed, rate, empty_county, no_small_top,
                                                             one_at_top, blank_item):  # fmt: skip
    """Every claim's primary analysis, through the functions its chapter calls (simulate.registry), gives evidence
    the rule can decide on, for every valid file: no claim crashes on a file the validator accepts."""
    from vsr_analysis.claims.spec import load_claims
    from vsr_analysis.simulate.registry import analysis_for, claim_parameters

    register, muni, counties = base
    path = _survey_file(tmp_path, register, muni, counties, seed=seed, rate=rate, n_respond=302,
                        empty_county=empty_county, no_small_top=no_small_top, all_stage0=False,
                        blank_item=blank_item)  # fmt: skip
    if one_at_top:
        _one_at_top(path)
    survey = load_survey(path)
    frame = add_analysis_columns(build_frame(survey.data, register))
    data = AnalysisFrame(spec="file:test:0", frame=frame, counties=county_rows(survey.data), synthetic=False)
    add_weights(data)
    spec = load_claims_spec()
    alpha = float(spec["alpha"])
    refused = {}
    for claim in spec["claims"]:
        params = claim_parameters(claim, alpha)
        if "permutations" in params:
            params["permutations"] = 200
        try:
            typed = load_claims()[claim["id"]]
            evidence = analysis_for(typed)(data, typed, params, 1)
        except ValueError as exc:
            refused[claim["id"]] = str(exc)
            continue
        verdict = decide(claim, evidence, alpha, evidence["primary"]["p_value"]).verdict
        assert verdict in VERDICTS, (claim["id"], verdict)
    # The one exception: with no maturity answer at all, the maturity claims (F1-F5) cannot be estimated and say
    # so; their chapters end in words with the claim inconclusive (chapter.Context.stop_unless_estimable, tested in
    # test_runner.py), `vsr simulate` counts the raised error as inconclusive, and the share claims still decide.
    if blank_item == "maturity_stage":
        assert refused and all("needs at least" in m for m in refused.values()), refused
        assert not set(refused) & {"F6", "F7", "F8", "F9", "F10"}, refused
    else:
        assert refused == {}
