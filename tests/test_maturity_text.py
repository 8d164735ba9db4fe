"""F2's sentences, records and robustness variants (claims.maturity_text, moved out of the template, issue 25)."""

from __future__ import annotations

from types import SimpleNamespace

import numpy as np
import pandas as pd

from vsr_analysis.claims import maturity_text as mt
from vsr_analysis.claims.share_evidence import interval_words

ENTRY = {
    "rule_parameters": {"threshold": 0.5, "min_stages": 4, "min_stage_share": 0.1},
    "analysis": {"kind": "share_vs_threshold", "variance": "assumption_light"},
}
PRIMARY = {"estimate": 0.81234, "ci_low": 0.75, "ci_high": 0.86, "p_value": 1e-9, "n": 200, "n_eff": 160.0}


def test_texts():
    assert mt.respondents_text(210, 356, 200, {"design_effect": 1.23456, "effective_n": 162.4}) == (
        "210 of 356 municipalities responded and **200** classified themselves on the maturity ladder. The raking "
        "weights have a design effect of 1.235 (effective n 162)."
    )
    text = mt.primary_text(PRIMARY, ENTRY, 1, 5)
    assert text.startswith("Weighted share at stage ≥ 1: **0.812** (95 % CI 0.750 to 0.860;")
    assert "one-sided p (share > 0.5) = **1e-09**" in text
    assert text.endswith(
        "**5** of the six stages each hold at least 10% of the weighted municipalities (the rule needs 4).\n\n"
    )
    agree = {"rho": 0.8, "ci_low": 0.7, "ci_high": 0.9, "p": 1e-5, "exact": 0.4, "ladder_consistency": 0.3}
    assert mt.agreement_text(agree) == "Spearman's ρ = **0.80** (95 % bootstrap CI 0.70 to 0.90, p = 1e-05)."
    assert mt.agreement_record(agree, 150) == {
        "spearman": 0.8,
        "ci_low": 0.7,
        "ci_high": 0.9,
        "n": 150,
        "exact_agreement": 0.4,
        "ladder_consistency": 0.3,
    }


def test_county_sentence_withheld_when_it_would_give_answers_away():
    cy = np.array([1, 2, 3, 0, 0, 0, np.nan])
    assert mt.county_started_text(cy, 1, synthetic=False) == "3 of 6 county authorities are at stage ≥ 1."
    assert mt.county_started_text(np.array([1, 2, 3, 4, 0]), 1, synthetic=False) == ""  # 1 not started
    assert mt.county_started_text(np.array([1, 2, 3, 4, 0]), 1, synthetic=True).startswith("4 of 5")


def test_records_and_stage_shares():
    rec = mt.primary_record(PRIMARY, ENTRY, 1)
    assert rec["method"] == (
        f"one-sided test of the raked share at stage >= 1 > 0.5 ({interval_words(ENTRY)}; Wilson interval at the "
        "design-effective n)"
    )
    table = pd.DataFrame({"stage": [0, 1], "share (weighted)": [0.25, 0.75]})
    assert mt.stage_shares(table) == {0: 0.25, 1: 0.75}


def test_started_robustness_rows_and_decisions():
    rng = np.random.default_rng(1)
    y = rng.integers(0, 6, 80).astype(float)
    w = rng.uniform(1, 2, 80)
    both = pd.DataFrame({"score": rng.integers(0, 6, 80), "weight": w})
    seen = []

    def decide(test, inputs):
        seen.append(inputs)
        return SimpleNamespace(verdict="supported" if test["p_value"] < 0.05 else "inconclusive")

    out = mt.started_robustness(y, w, both, decide, ENTRY, 1, 356, list(range(6)))
    assert list(out["variant"]) == [
        "primary: self-classified stage, weighted",
        "self-classified stage, unweighted",
        "item-based score, weighted",
    ]
    assert all(set(i) == {"stages_above_min_share"} for i in seen) and len(seen) == 3
    assert set(out["decision"]) <= {"supported", "inconclusive"}
