"""F9 (its proxy, measuring progress) and F10: evidence functions, the share_below rule, the ledger and the recommendations page."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest

from vsr_analysis.build.generated_pages import recommendations_page
from vsr_analysis.claims import ledger
from vsr_analysis.claims.coherence_evidence import ITEMS, coherence_share_evidence, either_named, municipal_table
from vsr_analysis.claims.progress_evidence import progress_by_stage, progress_share_evidence, rung_shares
from vsr_analysis.claims.share_reporting import publishable, sensitivity_table, share_below_test
from vsr_analysis.claims.spec import share_variance
from vsr_analysis.stats.shares import share_test

SPEC = ledger.load_claims_spec()
CLAIMS = {c["id"]: c for c in SPEC["claims"]}


def _ones(n_yes: int, n: int) -> np.ndarray:
    return np.r_[np.ones(n_yes), np.zeros(n - n_yes)]


# --- the share_below rule -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "p,low,expected",
    [
        (0.001, 0.2, "supported"),
        (0.9, 0.55, "not supported"),
        (0.2, 0.45, "inconclusive"),
        (None, None, "inconclusive"),
    ],
)
def test_rule_share_below(p, low, expected):
    claim = {"rule": "share_below", "rule_parameters": {"threshold": 0.5}}
    ev = {"primary": {"estimate": 0.4, "ci_low": low, "ci_high": 0.6, "p_value": p}}
    assert ledger.decide(claim, ev, 0.05, p).verdict == expected


def test_f9_and_f10_are_prespecified_with_the_rules_the_issue_names():
    f9, f10 = CLAIMS["F9"], CLAIMS["F10"]
    assert f9["rule"] == "share_below" and f9["rule_parameters"]["threshold"] == 0.5
    assert "cannot test" in f9["untestable_part"] or "no verdict" in f9["untestable_part"]
    assert f10["rule"] == "share_above" and 0 < f10["rule_parameters"]["threshold"] < 0.5
    # F10 is the finding's own barrier, policy coherence alone: national guidance (another barrier) is not pooled in
    assert "barrier_policy_coherence" in f10["primary_test"] and "barrier_national_guidance" not in f10["primary_test"]
    assert f10["outcome"] == {"item": "barrier_policy_coherence", "label": f10["outcome"]["label"]}
    assert f9["confirmatory"] and f10["confirmatory"]


# --- share_below_test ---------------------------------------------------------------------------------------


def test_share_below_test_is_the_share_test_of_the_complement():
    rng = np.random.default_rng(3)
    x = (rng.random(200) < 0.3).astype(float)
    x[:5] = np.nan
    w = rng.uniform(0.5, 2.0, 200)
    below = share_below_test(x, w, 0.5, population_size=356)
    comp = share_test(np.where(np.isnan(x), np.nan, 1 - x), w, 0.5, population_size=356)
    ok = ~np.isnan(x)
    assert below["estimate"] == pytest.approx(np.average(x[ok], weights=w[ok]))
    assert below["estimate"] == pytest.approx(1 - comp["estimate"])
    assert (below["ci_low"], below["ci_high"]) == pytest.approx((1 - comp["ci_high"], 1 - comp["ci_low"]))
    assert below["p_value"] == pytest.approx(comp["p_value"])
    assert below["ci_low"] < below["estimate"] < below["ci_high"]
    assert below["n"] == 195 and below["threshold"] == 0.5


def test_share_below_test_direction():
    low = share_below_test(_ones(30, 100), None, 0.5)
    high = share_below_test(_ones(70, 100), None, 0.5)
    assert low["p_value"] < 0.001 < 0.999 < high["p_value"]
    assert share_below_test(np.array([np.nan, np.nan]), None, 0.5)["estimate"] is None


# --- F9 -----------------------------------------------------------------------------------------------------


def _respondents(measuring_share: float, n: int = 280, seed: int = 1) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    stage = rng.integers(0, 6, n)
    measures = (rng.random(n) < np.where(stage == 5, 0.95, measuring_share)).astype(float)
    df = pd.DataFrame(
        {"maturity_stage": stage.astype(float), "measures_progress": measures, "weight": rng.uniform(0.8, 1.6, n)}
    )
    for item, s in [
        ("sdg_in_planning_strategy", 2),
        ("sdg_in_master_plan", 3),
        ("sdg_in_budget", 4),
        ("sdg_in_management", 4),
    ]:
        df[item] = (stage >= s).astype(float)
    return df


def _as_frame(respondents: pd.DataFrame, frame_size: int = 356):
    """The analysis frame of ``respondents`` (non-respondents added with blank items) and a constant response
    propensity, for the evidence functions (no raking margins: the weights are the respondents' own)."""
    from vsr_analysis.stats.propensity import ResponsePropensity

    others = pd.DataFrame({"weight": np.zeros(frame_size - len(respondents))})
    frame = pd.concat([respondents.assign(responded=True), others.assign(responded=False)], ignore_index=True)
    prob = pd.Series(len(respondents) / frame_size, index=frame.index)
    return frame, {"margins": [], "propensity": ResponsePropensity(prob, prob, None, 0, "constant")}


@pytest.mark.parametrize("share,expected", [(0.1, "supported"), (0.9, "not supported")])
def test_f9_evidence_gives_the_rules_decision(share, expected):
    frame, design = _as_frame(_respondents(share))
    ev = progress_share_evidence(frame, threshold=0.5, **design, variance=share_variance(CLAIMS["F9"]))
    assert set(ev["primary"]) == {"method", "estimate", "ci_low", "ci_high", "p_value"}
    assert ev["n"] == 280
    assert ledger.decide(CLAIMS["F9"], ev, 0.05, ev["primary"]["p_value"]).verdict == expected


def test_progress_by_stage_and_rungs():
    resp = _respondents(0.1)
    by_stage = progress_by_stage(resp, sampling_fraction=280 / 356, stage_labels={k: f"s{k}" for k in range(6)})
    assert list(by_stage["stage"]) == [str(k) for k in range(6)]
    assert by_stage["municipalities"].sum() == 280
    assert by_stage["share"].iloc[5] > 0.8 > by_stage["share"].iloc[0]
    labels = {
        i: i
        for i in [
            "sdg_in_planning_strategy",
            "sdg_in_master_plan",
            "sdg_in_budget",
            "sdg_in_management",
            "measures_progress",
        ]
    }
    rungs = rung_shares(resp, population_size=356, labels=labels)
    assert list(rungs["item"]) == list(labels)  # the ladder's order
    assert rungs.loc[rungs["item"] == "sdg_in_planning_strategy", "rank (1 = most common)"].iloc[0] == 1
    assert rungs["stage that implies it"].tolist() == ["2", "3", "4", "4", "5"]


# --- F10 ----------------------------------------------------------------------------------------------------


def test_either_named_knows_when_it_cannot_know():
    df = pd.DataFrame(
        {
            "barrier_policy_coherence": [1, 0, 0, np.nan, np.nan, 1],
            "barrier_national_guidance": [0, 1, 0, 0, np.nan, np.nan],
        }
    )
    got = either_named(df)
    assert np.array_equal(got[[0, 1, 2, 5]], [1.0, 1.0, 0.0, 1.0])
    assert np.isnan(got[3]) and np.isnan(got[4])  # a 0 beside a blank, and two blanks: unknown


@pytest.mark.parametrize("rate,expected", [(0.4, "supported"), (0.05, "not supported")])
def test_f10_evidence_gives_the_rules_decision(rate, expected):
    rng = np.random.default_rng(7)
    n = 280
    df = pd.DataFrame(
        {
            "barrier_policy_coherence": (rng.random(n) < rate).astype(float),
            "barrier_national_guidance": (rng.random(n) < 0.3).astype(float),
            "weight": np.ones(n),
        }
    )
    frame, design = _as_frame(df)
    ev = coherence_share_evidence(frame, threshold=0.25, **design, variance=share_variance(CLAIMS["F10"]))
    assert ev["primary"]["estimate"] == pytest.approx(df["barrier_policy_coherence"].mean())
    assert ledger.decide(CLAIMS["F10"], ev, 0.05, ev["primary"]["p_value"]).verdict == expected
    # another barrier never carries the verdict: national guidance named by everyone leaves F10's evidence as it is
    everyone = frame.assign(barrier_national_guidance=1.0)
    assert (
        coherence_share_evidence(everyone, threshold=0.25, **design, variance=share_variance(CLAIMS["F10"]))["primary"]
        == ev["primary"]
    )
    table = municipal_table(df, {}, population_size=356)
    assert table["item"].tolist() == list(ITEMS)  # each barrier on its own row, no pooled "either" row
    assert table["share (weighted)"].iloc[0] == pytest.approx(ev["primary"]["estimate"])
    # with the evidence's design F10's row shows the primary interval itself
    resp = frame[frame["responded"].astype(bool)]
    primary_rows = municipal_table(
        resp, {}, population_size=356, design=ev["design"], variance=share_variance(CLAIMS["F10"])
    )
    own = primary_rows.iloc[0]
    assert (own["ci_low"], own["ci_high"]) == (ev["test"]["ci_low"], ev["test"]["ci_high"])


def test_sensitivity_table_and_publishable():
    t = share_below_test(_ones(30, 100), None, 0.5)
    robust = sensitivity_table(CLAIMS["F9"], 0.05, [("a", t), ("b", share_below_test(_ones(55, 100), None, 0.5))])
    assert robust["decision"].tolist() == ["supported", "inconclusive"]
    table = pd.DataFrame({"group": ["x", "y"], "n": [2, 40], "share": [0.5, 0.4]})
    assert publishable(table, ["n"], confidential=False).equals(table)
    shown = publishable(table, ["n"], confidential=True)
    assert shown["n"].tolist()[0] == "<3" and shown["share"].tolist()[0] == "<3"


# --- ledger and recommendations -----------------------------------------------------------------------------


def test_ledger_holds_f9_and_f10_with_computed_verdicts(tmp_path):
    for claim in SPEC["claims"]:
        d = tmp_path / claim["parameter_set"]
        d.mkdir(exist_ok=True)  # F3's components share F3's chapter and evidence
        p = 0.001 if claim["id"] in ("F9", "F10") else 0.5
        ev = {"primary": {"method": "m", "estimate": 0.3, "ci_low": 0.2, "ci_high": 0.4, "p_value": p}, "n": 200}
        ev["rule_inputs"] = {"threshold": 1.0, "required_x": 2.0, "cases_below_threshold_at_top": 0}
        (d / "evidence.json").write_text(json.dumps(ev))
    entries = {e["id"]: e for e in ledger.build_ledger(tmp_path)}
    assert entries["F9"]["verdict"] == "supported" and entries["F10"]["verdict"] == "supported"
    assert "untestable_part" in entries["F9"] and "untestable_part" not in entries["F10"]
    # both are in the Holm family (F4 is outside it; F3's components are adjusted at F3's place)
    family = [c for c in SPEC["claims"] if ledger.in_holm_family(c) and "evidence_part" not in c]
    assert entries["F9"]["primary"]["p_value_adjusted"] == pytest.approx(len(family) * 0.001)


def test_recommendations_link_the_new_verdicts():
    ledger_entries = [
        {"id": c["id"], "verdict": "supported", "parameter_set": c["parameter_set"]} for c in SPEC["claims"]
    ]
    page = recommendations_page(ledger_entries, SPEC["recommendations"], None)
    rows = {r.split("</td>")[0].removeprefix("<tr><td>"): r for r in page.splitlines() if r.startswith("<tr><td>")}
    assert "policy-coherence.html" in rows["N2"]
    assert "measuring-progress.html" in rows["N4"] and "county-authorities.html" in rows["N4"]
    assert "measuring-progress.html" in rows["L5"] or "policy-coherence.html" in rows["L5"]
    assert "measuring-progress.html" in rows["L8"]


def test_decide_functions_run_the_chapters_analysis_on_a_replica_file():
    """What an operating-characteristics simulation calls: a replica's respondents in, the rule's decision out."""
    from vsr_analysis.claims.coherence_evidence import coherence_variants
    from vsr_analysis.claims.progress_evidence import progress_variants
    from vsr_analysis.loading import load_frame
    from vsr_analysis.synth import replica

    replica.ensure("vsr-narrative", 2021)
    data = load_frame("synthetic:vsr-narrative:2021")
    margins = data.weight_info["margins"]
    v9, v10 = share_variance(CLAIMS["F9"]), share_variance(CLAIMS["F10"])  # as claims.yml declares
    ev9 = progress_share_evidence(data.frame, threshold=0.5, margins=margins, variance=v9)
    ev10 = coherence_share_evidence(data.frame, threshold=0.25, margins=margins, variance=v10)
    # the chapter's function and vsr simulate's (the declared share test) give the same evidence
    from vsr_analysis.claims.spec import load_claims
    from vsr_analysis.simulate.registry import share_vs_threshold

    sim = share_vs_threshold(data, load_claims()["F10"], {}, 0)
    assert sim["primary"] == {k: ev10["primary"][k] for k in sim["primary"]}
    d9 = ledger.decide(CLAIMS["F9"], ev9, 0.05, ev9["primary"]["p_value"])
    d10 = ledger.decide(CLAIMS["F10"], ev10, 0.05, ev10["primary"]["p_value"])
    # the robustness rows start with the primary itself (assumption-light, no finite-population factor); the
    # interval under missing at random (factor 1 - π̂ per unit) beside it is narrower
    rows9 = progress_variants(data.frame, ev9["design"], 0.5, variance=v9)
    rows10 = coherence_variants(data.frame, ev10["design"], 0.25, {}, variance=v10)
    for ev, rows in ((ev9, rows9), (ev10, rows10)):
        assert rows[0][1]["ci_low"] == ev["primary"]["ci_low"] and rows[0][1]["p_value"] == ev["primary"]["p_value"]
        assert rows[1][0].startswith("under missing at random")
        assert rows[1][1]["ci_high"] - rows[1][1]["ci_low"] < ev["primary"]["ci_high"] - ev["primary"]["ci_low"]
    truth = data.truth
    # the scenario makes both claims true (F9: frame share below 0.5; F10: above 0.25) and the rules say so
    assert truth["measures_progress_share"]["realised_frame"] < 0.5 and d9.verdict == "supported"
    assert truth["claims"]["F10"]["true_value"] > 0.25 and d10.verdict == "supported"
    assert ev9["primary"]["ci_low"] < truth["measures_progress_share"]["realised_frame"] < ev9["primary"]["ci_high"]
