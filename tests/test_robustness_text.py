"""Sentences on robustness rows that disagree with the primary result (claims/robustness_text.py)."""

import pandas as pd

from vsr_analysis.claims.robustness_text import disagreement_sentences, p_text


def _table(rows):
    return pd.DataFrame(rows, columns=["model", "estimate", "p_value", "decision"])


def test_each_kind_of_disagreement_is_named_with_its_numbers():
    table = _table(
        [
            ("primary", 0.40, 0.001, "supported"),
            ("unweighted", 0.38, 0.002, "supported"),
            ("with a control", 0.15, 0.09, "inconclusive"),
            ("register measure", -0.05, 0.7, "inconclusive"),
            ("wide", 0.95, 0.0001, "supported"),
        ]
    )
    lines = disagreement_sentences(table, label="model", estimate="estimate", alpha=0.05, effect=True)
    assert len(lines) == 3  # "unweighted" agrees
    control, register, wide = lines
    assert control.startswith("Under *with a control*")
    assert "**inconclusive** (primary: **supported**)" in control
    assert "loses significance at α = 0.05 (p = 0.090; primary p = 0.001)" in control
    assert "less than half the primary one (0.150 against 0.400)" in control
    assert "changes sign (-0.050 against 0.400)" in register
    assert "more than twice the primary one (0.950 against 0.400)" in wide and "decision" not in wide


def test_shares_are_not_read_as_effects_and_agreement_is_said_once():
    table = pd.DataFrame(
        {"variant": ["primary", "unweighted"], "share": [0.60, 0.25], "p_value": [0.2, 0.3], "decision": ["x", "x"]}
    )
    (line,) = disagreement_sentences(table, label="variant", estimate="share", alpha=0.05)
    assert line.startswith("Every one of the 1 robustness rows agrees") and "factor of two" not in line
    assert disagreement_sentences(table.iloc[:1], label="variant", estimate="share", alpha=0.05) == []


def test_p_text():
    assert p_text(0.0004) == "p < 0.001" and p_text(0.0123) == "p = 0.012"


def test_a_row_on_another_scale_is_compared_on_significance_only():
    table = _table(
        [
            ("primary", 0.40, 0.001, "supported"),
            ("linear model", 0.05, 0.2, "positive, not significant"),
        ]
    )
    (line,) = disagreement_sentences(
        table, label="model", estimate="estimate", alpha=0.05, effect=True, other_scale=["linear model"]
    )
    assert "loses significance" in line and "half" not in line and "rule would say" not in line
