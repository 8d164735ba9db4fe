"""Decision rules, Holm across the family, and the ledger's shape."""

import json

import pytest

from vsr_analysis.claims import ledger as claims
from vsr_analysis.claims.ledger import build_ledger, decide, load_claims_spec


def _claim(rule, **params):
    return {"id": "X", "rule": rule, "rule_parameters": params}


def _ev(estimate=None, p=None, low=None, high=None, **inputs):
    return {
        "primary": {"method": "m", "estimate": estimate, "ci_low": low, "ci_high": high, "p_value": p},
        "rule_inputs": inputs,
    }


@pytest.mark.parametrize(
    "estimate, p, equiv, expected",
    [
        (0.5, 0.01, None, "supported"),
        (-0.5, 0.01, None, "not supported"),
        (0.5, 0.20, None, "inconclusive"),
        (0.01, 0.80, 0.01, "not supported"),  # equivalence shown
        (0.01, 0.80, 0.30, "inconclusive"),
        (None, None, None, "inconclusive"),
    ],
)
def test_directional(estimate, p, equiv, expected):
    ev = _ev(estimate, p, equivalence_p=equiv)
    assert decide(_claim("directional", direction="positive"), ev, 0.05, p).verdict == expected


def test_directional_negative_direction():
    assert decide(_claim("directional", direction="negative"), _ev(-1.0, 0.001), 0.05, 0.001).verdict == "supported"


@pytest.mark.parametrize(
    "p, high, expected", [(0.001, 0.9, "supported"), (0.4, 0.45, "not supported"), (0.2, 0.6, "inconclusive")]
)
def test_share_above(p, high, expected):
    assert decide(_claim("share_above", threshold=0.5), _ev(0.55, p, 0.4, high), 0.05, p).verdict == expected


def test_share_above_and_spread_needs_both_parts():
    rule = _claim("share_above_and_spread", threshold=0.5, min_stages=3, min_stage_share=0.1)
    assert decide(rule, _ev(0.9, 0.001, 0.8, 0.95, stages_above_min_share=4), 0.05, 0.001).verdict == "supported"
    assert decide(rule, _ev(0.9, 0.001, 0.8, 0.95, stages_above_min_share=2), 0.05, 0.001).verdict == "not supported"


def _joint(p, components):
    return {"primary": {"p_value": p, "estimate": 10.0}, "rule_inputs": {"components": components}}


def test_joint_nonnegative():
    pos = {"a": {"estimate": 0.5, "p_value": 0.01}, "b": {"estimate": -0.1, "p_value": 0.6}}
    neg = {"a": {"estimate": 0.5, "p_value": 0.01}, "b": {"estimate": -0.4, "p_value": 0.01}}
    rule = _claim("joint_nonnegative")
    assert decide(rule, _joint(0.001, pos), 0.05, 0.001).verdict == "supported"
    assert decide(rule, _joint(0.001, neg), 0.05, 0.001).verdict == "not supported"
    assert decide(rule, _joint(0.30, pos), 0.05, 0.30).verdict == "inconclusive"


def _prereq(required, cases, threshold=5000.0, p=0.5):
    return {
        "primary": {"p_value": p},
        "rule_inputs": {"threshold": threshold, "required_x": required, "cases_below_threshold_at_top": cases},
    }


@pytest.mark.parametrize(
    "required, cases, p, expected",
    [
        (800.0, 5, 0.001, "supported"),  # small municipalities at the top, even with a (minimum-size) ceiling
        (800.0, 2, 0.5, "inconclusive"),  # too few cases
        (12000.0, 0, 0.001, "not supported"),  # significant ceiling at/above the threshold
        (12000.0, 0, 0.3, "inconclusive"),  # ceiling not significant
        (None, 0, None, "inconclusive"),  # nobody at the top
    ],
)
def test_not_prerequisite(required, cases, p, expected):
    rule = _claim("not_prerequisite", min_cases=3)
    assert decide(rule, _prereq(required, cases, p=p), 0.05, p).verdict == expected


def test_claims_spec_lists_f1_to_f10_with_known_rules():
    spec = load_claims_spec()
    ids = [c["id"] for c in spec["claims"]]
    assert ids == [f"F{i}" for i in range(1, 11)]
    for claim in spec["claims"]:
        assert claim["rule"] in claims.RULES
        for key in ("finding", "source", "hypothesis", "primary_test", "parameter_set"):
            assert claim.get(key), f"{claim['id']} lacks {key}"
    rec_ids = [r["id"] for r in spec["recommendations"]]
    assert rec_ids == [f"N{i}" for i in range(1, 6)] + [f"L{i}" for i in range(1, 9)]


def _write_evidence(results, pset, p, estimate=1.0, **inputs):
    d = results / pset
    d.mkdir(parents=True)
    (d / "evidence.json").write_text(
        json.dumps(
            {
                "claim": pset,
                "primary": {"method": "m", "estimate": estimate, "ci_low": 0.1, "ci_high": 2.0, "p_value": p},
                "n": 300,
                "rule_inputs": inputs,
            }
        )
    )


def test_ledger_applies_holm_across_the_family(tmp_path):
    spec = {
        "alpha": 0.05,
        "claims": [
            {"id": "A", "finding": "a", "hypothesis": "h", "rule": "directional", "parameter_set": "a"},
            {"id": "B", "finding": "b", "hypothesis": "h", "rule": "directional", "parameter_set": "b"},
            {
                "id": "C",
                "finding": "c",
                "hypothesis": "h",
                "rule": "directional",
                "parameter_set": "c",
                "confirmatory": False,
            },
            {"id": "D", "finding": "d", "hypothesis": "h", "rule": "directional", "parameter_set": "d"},
        ],
    }
    # Holm with m = 3 confirmatory p-values 0.001, 0.03, 0.04: adjusted 0.003, max(0.003, 2*0.03) = 0.06,
    # max(0.06, 1*0.04) = 0.06; only B stays below 0.05.
    _write_evidence(tmp_path, "a", 0.03)
    _write_evidence(tmp_path, "d", 0.04)
    _write_evidence(tmp_path, "b", 0.001)
    _write_evidence(tmp_path, "c", 0.03)  # exploratory: no adjustment
    ledger = {e["id"]: e for e in build_ledger(tmp_path, spec=spec)}
    assert ledger["A"]["verdict"] == "inconclusive"
    assert ledger["A"]["primary"]["p_value_adjusted"] == pytest.approx(0.06)
    assert ledger["D"]["primary"]["p_value_adjusted"] == pytest.approx(0.06)
    assert ledger["D"]["verdict"] == "inconclusive"
    assert ledger["B"]["verdict"] == "supported"
    assert ledger["C"]["verdict"] == "supported"
    for entry in ledger.values():
        assert set(entry) >= {"id", "finding", "hypothesis", "verdict", "primary", "n", "data"}
        assert entry["verdict"] in claims.VERDICTS
        assert set(entry["primary"]) >= {"method", "estimate", "ci_low", "ci_high", "p_value"}
        assert set(entry["data"]) == {"survey", "register"}


def test_missing_evidence_is_inconclusive_not_an_error(tmp_path):
    spec = {
        "alpha": 0.05,
        "claims": [{"id": "A", "finding": "a", "hypothesis": "h", "rule": "directional", "parameter_set": "a"}],
    }
    (entry,) = build_ledger(tmp_path, spec=spec)
    assert entry["verdict"] == "inconclusive"
    assert "not been executed" in entry["reason"]
