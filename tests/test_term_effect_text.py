"""The ordinal-effect chapter's sentences and records (claims.term_effect_text, moved out of the template, issue 25)."""

from __future__ import annotations

from types import SimpleNamespace

import pandas as pd

from vsr_analysis.claims import term_effect_text as tt

PRIMARY = SimpleNamespace(
    estimate=0.5123,
    ci_low=0.1,
    ci_high=0.9,
    p_value=0.01234,
    odds_ratio=1.67,
    or_ci_low=1.1,
    or_ci_high=2.46,
    n=180,
    equivalence_p=0.6,
    ame=0.08,
    ame_ci_low=0.01,
    ame_ci_high=0.15,
    ame_p_value=0.02,
)
CE = SimpleNamespace(effect_size=0.05, p_value=0.4)


def test_robustness_settings_pick_the_parameters():
    namespace = {name: i for i, name in enumerate(tt.ROBUSTNESS_PARAMETERS)} | {"claim": "C1", "other": 1}
    assert tt.robustness_settings(namespace) == {name: i for i, name in enumerate(tt.ROBUSTNESS_PARAMETERS)}


def test_sentences():
    assert tt.respondents_text(200, 356, 150, "ownership", "political ownership", "03").startswith(
        "200 of 356 municipalities responded; **150** answered the maturity question and the ownership item"
    )
    text = tt.coefficient_text(PRIMARY, "ownership", 0.5, 0.05, "Table 3")
    assert text.startswith("In Table 3 the coefficient of **ownership** is **0.512** (95 % CI 0.100 to 0.900;")
    assert text.endswith("TOST against ± 0.5 log-odds: p = **0.6000** (equivalence not shown).")
    assert "d = **0.050** (" in tt.nca_text(CE, "ownership")


def test_tables():
    fit = SimpleNamespace(coef_table=lambda: pd.DataFrame({"term": ["log_population", "zz"], "estimate": [1.0, 2.0]}))
    coef = tt.coefficient_table(fit)
    assert list(coef.columns) == ["term", "covariate", "estimate"] and coef.loc[1, "covariate"] == "zz"
    pred = pd.DataFrame({"own": ["no", "no", "yes", "yes"], "stage": [3, 4, 4, 5], "probability": [0.5, 0.2, 0.3, 0.1]})
    top = tt.predicted_top(pred, "own", 4)
    assert top.to_dict("records") == [{"own": "no", "P(stage ≥ 4)": 0.2}, {"own": "yes", "P(stage ≥ 4)": 0.4}]


def test_records_and_figure_words():
    assert tt.primary_record(PRIMARY, "own", ["a", "b"], "03")["method"].endswith(
        "(controls: a, b; county fixed effects, reference county 03)"
    )
    records = tt.effect_records(PRIMARY, top_stage=4, sesoi=0.5, ce=CE, permutations=99)
    assert list(records) == ["odds_ratio", "average_marginal_effect", "equivalence", "nca"]
    assert records["average_marginal_effect"]["cut"] == 4 and records["nca"]["permutations"] == 99
    for name in ("stage_by_term", "predicted_stages", "robustness"):
        words = tt.figure_words(name, "ownership")
        assert set(words) == {"alt", "caption"} and words["alt"]
