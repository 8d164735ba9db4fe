"""The share chapter's words and records (claims.share_chapter, moved out of the template, issue 25)."""

from __future__ import annotations

from vsr_analysis.claims import share_chapter as sc
from vsr_analysis.claims.share_evidence import interval_words

ENTRY = {
    "finding": "Most do X",
    "source": "The report",
    "hypothesis": " More than half do X. ",
    "primary_test": "A one-sided test",
    "rule": "share_above",
    "analysis": {"kind": "share_vs_threshold", "variance": "assumption_light"},
}
PRIMARY = {"estimate": 0.61234, "ci_low": 0.5, "ci_high": 0.7, "p_value": 0.01234, "n": 200, "n_eff": 150.0}


def test_claim_box():
    box = sc.claim_box("C1", ENTRY, 0.5, 0.05)
    assert box.startswith(":::{admonition} Claim C1: Most do X\n:class: important\n**Source.** The report")
    assert "**Hypothesis.** More than half do X.\n\n" in box
    assert box.endswith("`share_above` with level 0.5, α = 0.05 (Holm-adjusted in the ledger).\n:::")


def test_outcome_words():
    assert sc.outcome_words("doing X", None, None, None) == ("doing X", "among all municipalities")
    assert sc.outcome_words("doing X", 3, "has_y", "Y holds") == (
        "at stage ≥ 3",
        "among the municipalities where Y holds",
    )


def test_primary_text_and_record():
    text = sc.primary_text(PRIMARY, "doing X", "among all municipalities", 0.5, ENTRY, "logit")
    assert text.startswith("Weighted share doing X among all municipalities: **0.612** (95 % CI 0.500 to 0.700)")
    assert "one-sided p (share > 0.5) = **0.0123**; n = 200" in text and text.endswith("response probabilities: logit.")
    none = sc.primary_text({**PRIMARY, "estimate": None, "note": "no answers"}, "x", "y", 0.5, ENTRY, "logit")
    assert none == "**No estimate.** No answers. The decision rule reads this as *inconclusive*."
    rec = sc.primary_record(PRIMARY, "doing X", "among all municipalities", 0.5, ENTRY)
    assert rec["method"] == (
        "one-sided test that the raked share doing X among all municipalities exceeds 0.5 "
        f"({interval_words(ENTRY)}; Wilson interval at the design-effective n)"
    )
    assert [rec[k] for k in ("estimate", "ci_low", "ci_high", "p_value")] == [0.61234, 0.5, 0.7, 0.01234]


def test_guttman_text_and_ladder_tables():
    text = sc.guttman_text({"ladder_order": {"reproducibility": 0.9123, "scalability": 0.654}, "consistent_share": 0.5})
    assert text.startswith("Reproducibility in the ladder's order: **CR = 0.912** (scalability CS = 0.65); 50.0%")
    assert [name for name, _, _ in sc.LADDER_TABLES.values()] == ["guttman", "rung_order", "ladder_consistency"]
