"""The claims page says what each number measures, hides p-values a verdict does not use, and labels simulation."""

import re
from types import SimpleNamespace

import pytest

from vsr_analysis.build import generated_pages
from vsr_analysis.claims.estimate_scales import SCALES, scale_for
from vsr_analysis.claims.ledger import RULES, load_claims_spec


def test_every_decision_rule_says_what_its_estimate_measures():
    assert set(RULES) <= set(SCALES), f"rules without a scale: {sorted(set(RULES) - set(SCALES))}"
    for claim in load_claims_spec()["claims"]:
        assert scale_for(claim["rule"]).measures


def test_unknown_rule_is_named_in_the_error():
    with pytest.raises(KeyError, match="no_such_rule"):
        scale_for("no_such_rule")


def _entry(rule: str, **primary) -> dict:
    base = {
        "method": "m",
        "estimate": 0.61,
        "ci_low": 0.55,
        "ci_high": 0.67,
        "p_value": 0.0123,
        "p_value_adjusted": 0.0246,
    }
    base.update(primary)
    return {
        "id": "X1",
        "finding": "f",
        "verdict": "supported",
        "reason": "r",
        "n": 100,
        "rule": rule,
        "parameter_set": "x1",
        "primary": base,
    }


def _row(page: str) -> str:
    return re.search(r"<tbody>\n(.*?)\n</tbody>", page, flags=re.S).group(1)


def test_claims_page_names_the_scale_and_shows_p_only_where_the_verdict_uses_it():
    synthetic = SimpleNamespace(kind="synthetic", spec="synthetic:vsr-narrative:2021")
    with_p = _row(generated_pages.claims_page([_entry("share_above")], synthetic))
    assert "61 % [55 %, 67 %]" in with_p and "of the 356 municipalities" in with_p and "0.012" in with_p
    no_p_rules = [r for r, s in SCALES.items() if not s.uses_p_value]
    assert no_p_rules, "expected at least one rule whose verdict uses no p-value"
    without_p = _row(generated_pages.claims_page([_entry(no_p_rules[0])], synthetic))
    assert "0.012" not in without_p and "0.025" not in without_p
    # the cell says the p-value is not used and, under it, why (not "p-value" again under the p-value column)
    assert '>not used<span class="scale">the verdict rests on a count</span>' in without_p
    if no_p_rules[0] == "existence":  # the count and its unit read once: "12" over "municipalities below ..."
        assert "municipalities municipalities" not in without_p


def test_badges_say_simulated_on_the_replica_and_not_on_a_real_file():
    synthetic = SimpleNamespace(kind="synthetic", spec="synthetic:null:1")
    real = SimpleNamespace(kind="file", spec="file:x.csv:" + "0" * 64)
    assert "simulated" in generated_pages.badge("supported", True)
    assert "simulated" in _row(generated_pages.claims_page([_entry("share_above")], synthetic))
    assert "simulated" not in _row(generated_pages.claims_page([_entry("share_above")], real))
