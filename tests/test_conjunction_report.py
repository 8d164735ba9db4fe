"""F3's words and figure assembled by claims.conjunction_report (moved out of the template, issue 25)."""

from __future__ import annotations

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt
import pandas as pd

from vsr_analysis.claims import conjunction_report as report

TERMS = list(report.CHARACTERISTIC_WORDS)
PARTS = {t: {"id": f"C{i}"} for i, t in enumerate(TERMS, 1)}


def _comp(p):
    return pd.DataFrame(
        {"term": TERMS, "estimate": [0.5] * 4, "ci_low": [0.1] * 4, "ci_high": [0.9] * 4, "p_greater": p}
    )


def test_component_labels_prefix_the_component_ids():
    labels = report.component_labels(PARTS)
    assert labels["log_population"] == "C1 large: log population"
    assert set(labels) == set(TERMS)


def test_components_text_names_carriers_and_the_largest_p():
    labels = report.component_labels(PARTS)
    text = report.components_text(_comp([0.01, 0.2, 0.03, 0.04]), labels, 0.05, "C0")
    assert "carry the claim are: **C1 large: log population, C3 merged 2017–2020, C4 member" in text
    assert "is **0.2** (C2 central: centrality (index / 100)); the ledger adjusts it at C0's place" in text
    assert "are: **none**" in report.components_text(_comp([0.5] * 4), labels, 0.05, "C0")


def test_collinearity_text():
    text = report.collinearity_text({"r_size_centrality": 0.71, "vif": {"log_population": 2.04, "centrality": 1.96}})
    assert "correlation of log population and centrality is **0.71**" in text
    assert "factors are 2.0 and 2.0." in text


def test_forest_figure_draws_both_tables():
    fig = report.forest_figure(_comp([0.01] * 4), _comp([0.2] * 4), report.component_labels(PARTS), "C0", ["r", "b"])
    ax = fig.axes[0]
    assert [t.get_text() for t in ax.get_legend().get_texts()] == [
        "each alone (primary)",
        "all four with county FE (explanation)",
    ]
    assert ax.get_title().startswith("C0's components")
    plt.close(fig)
