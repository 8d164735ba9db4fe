"""F4's sentences, records, upper-tail contrast and figure (claims.necessity_text, moved out of the template, issue 25)."""

from __future__ import annotations

import matplotlib

matplotlib.use("Agg")

from types import SimpleNamespace

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd

from vsr_analysis.claims import necessity_text as nt
from vsr_analysis.stats.nca import nca

CE = SimpleNamespace(effect_size=0.123456, p_value=0.01234)
EV = SimpleNamespace(required_label="4,000 inhabitants", required_at_or_above_threshold=False)


def _resp(n=60, seed=1):
    rng = np.random.default_rng(seed)
    return pd.DataFrame(
        {
            "population_2021": rng.lognormal(9, 1, n),
            "maturity_stage": rng.integers(0, 6, n).astype(float),
            "weight": rng.uniform(1, 2, n),
        }
    )


def test_sentences_and_captions():
    assert nt.threshold_text(12345.6, "inhabitants", "the median", 200, 356) == (
        "The threshold for this analysis is **12,346 inhabitants** (the median). 200 of 356 municipalities answered "
        "the maturity question."
    )
    inputs = {"n_below_threshold": 90, "claimed_counterexamples": 7, "validated_counterexamples": 5}
    assert nt.counterexamples_text(inputs, 4).startswith(
        "Of the 90 responding municipalities below the threshold, **7**"
    )
    assert (
        nt.bottleneck_caption("inhabitants", False)
        == "Bottleneck table: the inhabitants the CE-FDH ceiling requires for each stage"
    )
    assert nt.bottleneck_caption("inhabitants", True).endswith(
        "(register bands: an exact value would be one municipality's)"
    )
    text = nt.nca_text(CE, 10000, EV, 4)
    assert "d = **0.123** (" in text and "p = **0.0123** (10,000 permutations)" in text
    assert text.endswith("**4,000 inhabitants** for stage ≥ 4 (below the threshold).")
    assert (
        nt.upper_tail_text({"withheld": "withheld: a small cell"})
        == "*The upper-tail contrast is withheld: a small cell.*"
    )
    assert nt.upper_tail_text({"estimate": 0.1, "ci_low": -0.05, "ci_high": 0.25}).startswith(
        "Upper-tail contrast (above − below): **0.100**, 95 % bootstrap CI [-0.050, 0.250]."
    )


def test_records_and_summaries():
    inputs = {"validated_counterexamples": 5}
    assert nt.primary_record(inputs, 4)["estimate"] == 5 and nt.primary_record(inputs, 4)["p_value"] is None
    rec = nt.nca_record(CE, log_scale=True, permutations=100, required_label="x")
    assert rec["x_scale"] == "log10" and rec["required_for_top"] == "x" and rec["effect_size"] == CE.effect_size
    sens = pd.DataFrame(
        {"decision": ["supported", "supported", "inconclusive", "supported"], "primary": [False, True, False, False]}
    )
    assert nt.agreement_text(sens) == "The primary decision is reached under **75%** of the 4 definitions."
    curve = pd.DataFrame(
        {
            "outcome": ["a"] * 4,
            "top": [4] * 4,
            "threshold": ["m"] * 4,
            "decision": ["supported"] * 3 + ["not supported"],
        }
    )
    summary = nt.multiverse_summary(curve)
    assert summary.loc[0, "supported"] == 3 and summary.loc[0, "not supported"] == 1
    assert nt.multiverse_text(curve, "f4-x").startswith("75% of the 4 specifications reach *supported*, 25% *not")
    assert "<../../results/f4-x/necessity_multiverse.csv>`" in nt.multiverse_text(curve, "f4-x")


def test_upper_tail_and_scatter_figure():
    resp = _resp()
    cut = float(resp["population_2021"].median())
    table, contrast = nt.upper_tail(resp, "population_2021", cut, 4, confidential=False, seed=1)
    assert isinstance(table, pd.DataFrame) and "estimate" in contrast
    x, y = np.log10(resp["population_2021"].to_numpy()), resp["maturity_stage"].to_numpy()
    ce = nca(x, y, ceiling="ce_fdh")
    fig, alt, caption = nt.scatter_figure(
        resp, resp, "population_2021", "inhabitants", cut, log_scale=True, x=x, y=y, ce=ce, seed=1, released=None
    )
    assert fig.axes[0].get_title() == "Maturity stage against inhabitants" and alt and caption
    plt.close(fig)
