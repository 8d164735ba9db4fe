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
    # no answers at all: neither part can be estimated, so the rule cannot say "not supported"
    nothing = {"primary": {"estimate": None, "ci_low": None, "ci_high": None, "p_value": None}, "rule_inputs": {}}
    assert decide(rule, nothing, 0.05, None).verdict == "inconclusive"


def test_claims_spec_lists_f1_to_f10_with_known_rules():
    spec = load_claims_spec()
    ids = [c["id"] for c in spec["claims"] if c["id"][-1].isdigit()]
    assert ids == [f"F{i}" for i in range(1, 11)]
    assert [c["id"] for c in spec["claims"] if c["id"].startswith("F3")] == ["F3", "F3a", "F3b", "F3c", "F3d"]


def _existence(validated, p=0.5, at_or_above=True):
    return {
        "primary": {"p_value": None, "estimate": validated},
        "rule_inputs": {
            "validated_counterexamples": validated,
            "nca_p_value": p,
            "required_at_or_above_threshold": at_or_above,
            "required_label": "size band 10,000–19,999",
        },
    }


@pytest.mark.parametrize(
    "validated, p, at_or_above, expected",
    [
        (5, 0.001, False, "supported"),  # validated counterexamples, whatever the ceiling says
        (3, 0.001, True, "supported"),
        (2, 0.5, False, "inconclusive"),  # too few
        ("<3", 0.001, True, "inconclusive"),  # a masked small count is never zero
        (0, 0.001, True, "not supported"),  # none, and a significant ceiling at/above the threshold
        (0, 0.001, False, "inconclusive"),  # ceiling below the threshold
        (0, 0.3, True, "inconclusive"),  # ceiling not significant
        (0, None, True, "inconclusive"),
    ],
)
def test_existence_rule(validated, p, at_or_above, expected):
    rule = _claim("existence", min_cases=3)
    decision = decide(rule, _existence(validated, p, at_or_above), 0.05, None)
    assert decision.verdict == expected
    assert "size band" in decision.reason


def _one_sided(p, opposite=None, equivalence=None, adjusted=None):
    inputs = {"route_p_values": {"opposite": opposite, "equivalence": equivalence}}
    if adjusted:
        inputs["route_p_adjusted"] = adjusted
    return {"primary": {"estimate": 0.3, "p_value": p}, "rule_inputs": inputs}


def test_one_sided_component_rule_and_adjusted_routes():
    rule = _claim("one_sided")
    assert decide(rule, _one_sided(0.01), 0.05, 0.01).verdict == "supported"
    assert decide(rule, _one_sided(0.9, opposite=0.01), 0.05, 0.9).verdict == "not supported"
    assert decide(rule, _one_sided(0.4, equivalence=0.02), 0.05, 0.4).verdict == "not supported"
    assert decide(rule, _one_sided(0.4, equivalence=0.2), 0.05, 0.4).verdict == "inconclusive"
    # the ledger's adjusted route p-value takes precedence over the raw one
    adj = _one_sided(0.9, opposite=0.01, adjusted={"opposite": 0.08, "equivalence": None})
    assert decide(rule, adj, 0.05, 0.9).verdict == "inconclusive"


def _iut(components, routes):
    p = max(c["p_value"] for c in components.values())
    return {"primary": {"p_value": p}, "rule_inputs": {"components": components, "route_p_values": routes}}, p


def test_intersection_union_needs_every_component():
    rule = _claim("intersection_union")
    all_in = {k: {"estimate": 0.5, "p_value": 0.01} for k in "abcd"}
    ev, p = _iut(all_in, {})
    assert decide(rule, ev, 0.05, p).verdict == "supported"
    one_out = {**all_in, "c": {"estimate": 0.1, "p_value": 0.3}}
    ev, p = _iut(one_out, {"opposite:c": 0.6, "equivalence:c": 0.4})
    d = decide(rule, ev, 0.05, p)
    assert d.verdict == "inconclusive" and "carried by: a, b, d" in d.reason and "not shown: c" in d.reason
    ev, p = _iut(one_out, {"opposite:c": 0.01})
    assert decide(rule, ev, 0.05, p).verdict == "not supported"
    ev, p = _iut(one_out, {"equivalence:c": 0.01})
    assert decide(rule, ev, 0.05, p).verdict == "not supported"


def test_family_adjuster_replaces_the_claims_p_in_the_holm_family():
    adjust = claims.family_adjuster({"A": 0.01, "B": 0.04, "C": 0.30}, 0.05)
    # A's place in a family of three: 0.01 -> 3 * 0.01
    assert adjust("A", 0.01) == pytest.approx(0.03)
    # an equivalence p of 0.02 taking A's place is adjusted the same way as A's own p would be
    assert adjust("A", 0.02) == pytest.approx(0.06)
    assert adjust("not-in-family", 0.02) == pytest.approx(0.02)


def test_claims_spec_lists_every_finding_and_f3s_components_with_known_rules():
    spec = load_claims_spec()
    ids = [c["id"] for c in spec["claims"]]
    assert ids == ["F1", "F2", "F3", "F3a", "F3b", "F3c", "F3d", "F4", "F5", "F6", "F7", "F8", "F9", "F10",
                   "F8-county", "F10-county"]  # fmt: skip
    assert not claims.in_holm_family(next(c for c in spec["claims"] if c["id"] == "F4"))
    for cid in ("F8-county", "F10-county"):  # the county halves: claims of their own, outside the Holm family
        claim = next(c for c in spec["claims"] if c["id"] == cid)
        assert not claims.in_holm_family(claim) and claim["population"]["units"] == "county_authorities"
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


def test_ledger_components_f4_outside_the_family_and_adjusted_routes(tmp_path):
    spec = {
        "alpha": 0.05,
        "claims": [
            {"id": "A", "finding": "a", "hypothesis": "h", "rule": "directional", "parameter_set": "a"},
            {"id": "J", "finding": "j", "hypothesis": "h", "rule": "intersection_union", "parameter_set": "j"},
            {
                "id": "Ja",
                "finding": "ja",
                "hypothesis": "h",
                "rule": "one_sided",
                "parameter_set": "j",
                "evidence_part": "x",
                "multiplicity": {"as": "J"},
            },
            {
                "id": "E",
                "finding": "e",
                "hypothesis": "h",
                "rule": "existence",
                "parameter_set": "e",
                "multiplicity": "none",
            },
        ],
    }
    # A: p = 0.001 but its equivalence route (raw 0.03) must pass the same Holm step as A's own p would
    _write_evidence(tmp_path, "a", 0.40, estimate=0.01, route_p_values={"equivalence": 0.03})
    comps = {"x": {"estimate": 0.5, "p_value": 0.2}, "y": {"estimate": 0.4, "p_value": 0.02}}
    _write_evidence(tmp_path, "j", 0.2, components=comps)
    ev = json.loads((tmp_path / "j/evidence.json").read_text())
    ev["parts"] = {"x": {"primary": {"estimate": 0.5, "p_value": 0.02}, "n": 300, "rule_inputs": {}}}
    (tmp_path / "j/evidence.json").write_text(json.dumps(ev))
    _write_evidence(tmp_path, "e", None, estimate=4, validated_counterexamples=4)
    ledger = {e["id"]: e for e in build_ledger(tmp_path, spec=spec)}
    # family {A: 0.40, J: 0.20}. A's equivalence p 0.03 taking A's place is the smallest of two: 2 * 0.03 = 0.06,
    # so the equivalence route is not taken although its raw p is below 0.05
    assert ledger["A"]["verdict"] == "inconclusive"
    assert ledger["J"]["verdict"] == "inconclusive" and ledger["J"]["primary"]["p_value_adjusted"] == pytest.approx(0.4)
    # the component is decided at J's place in the family: 0.02 -> 2 * 0.02
    assert ledger["Ja"]["primary"]["p_value_adjusted"] == pytest.approx(0.04)
    assert ledger["Ja"]["verdict"] == "supported" and ledger["Ja"]["chapter"].endswith("j.ipynb")
    assert ledger["E"]["verdict"] == "supported" and ledger["E"]["multiplicity"].startswith("outside the Holm")


def test_components_and_conjunction_never_disagree_in_the_ledger(tmp_path):
    """F3 is supported in the ledger exactly when all four components are (same Holm place, monotone adjustment)."""
    import numpy as np

    rng = np.random.default_rng(12)
    spec = {
        "alpha": 0.05,
        "claims": [
            {"id": "A", "finding": "a", "hypothesis": "h", "rule": "directional", "parameter_set": "a"},
            {"id": "J", "finding": "j", "hypothesis": "h", "rule": "intersection_union", "parameter_set": "j"},
            *[
                {"id": f"J{k}", "finding": k, "hypothesis": "h", "rule": "one_sided", "parameter_set": "j",
                 "evidence_part": k, "multiplicity": {"as": "J"}}
                for k in "wxyz"
            ],
        ],
    }  # fmt: skip
    agree = set()
    for trial in range(40):
        root = tmp_path / str(trial)
        ps = dict(zip("wxyz", 10 ** rng.uniform(-4, -0.5, size=4)))
        _write_evidence(root, "a", float(10 ** rng.uniform(-4, -1)))
        comps = {k: {"estimate": 0.5, "p_value": float(p)} for k, p in ps.items()}
        _write_evidence(root, "j", float(max(ps.values())), components=comps)
        ev = json.loads((root / "j/evidence.json").read_text())
        ev["parts"] = {
            k: {"primary": {"estimate": 0.5, "p_value": float(p)}, "n": 9, "rule_inputs": {}} for k, p in ps.items()
        }
        (root / "j/evidence.json").write_text(json.dumps(ev))
        ledger = {e["id"]: e["verdict"] for e in build_ledger(root, spec=spec)}
        all_parts = all(ledger[f"J{k}"] == "supported" for k in "wxyz")
        assert (ledger["J"] == "supported") == all_parts
        agree.add(ledger["J"])
    assert agree == {"supported", "inconclusive"}  # both outcomes occurred, so the check had teeth
