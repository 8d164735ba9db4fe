"""The chapter helpers refuse unit-level output on a confidential run, so a new chapter cannot forget (issue 13)."""

from __future__ import annotations

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402
import pytest  # noqa: E402

from vsr_analysis.build.disclosure import (  # noqa: E402
    DisclosureError,
    identifying_values,
    numbers_in_text,
    safe_register_value,
    scan_numbers,
)
from vsr_analysis.chapter import Context  # noqa: E402
from vsr_analysis.data.analysis_frame import AnalysisFrame  # noqa: E402
from vsr_analysis.data.register import load_register  # noqa: E402


def _frame() -> pd.DataFrame:
    frame = load_register().copy()
    frame["responded"] = True
    rng = np.random.default_rng(1)
    frame["maturity_stage"] = rng.integers(0, 5, size=len(frame))
    frame.loc[frame["knr"] == "0301", "maturity_stage"] = 5  # Oslo alone at the top stage
    return frame


def _context(tmp_path, confidential: bool) -> Context:
    frame = _frame()
    data = AnalysisFrame(
        spec="file:x.csv:" + "0" * 64 if confidential else "synthetic:vsr-narrative:2021",
        frame=frame,
        counties=pd.DataFrame(),
        synthetic=not confidential,
    )
    return Context(data, "test", tmp_path / "results", {})


@pytest.fixture(autouse=True)
def _no_display(monkeypatch):
    monkeypatch.setattr("vsr_analysis.chapter.display.show", lambda obj: None)


def _scatter(frame):
    fig, ax = plt.subplots()
    ax.scatter(frame["population_2021"], frame["maturity_stage"] + 0.1)
    return fig


def test_a_scatter_of_units_at_their_population_is_refused_on_a_confidential_run(tmp_path):
    ctx = _context(tmp_path, confidential=True)
    with pytest.raises(DisclosureError, match="figure 'scatter' is unit-level.*x axis"):
        ctx.figure(_scatter(ctx.frame), "scatter", "alt", "caption")
    assert not (tmp_path / "results/scatter.svg").exists()
    # on a log axis of log population too
    fig, ax = plt.subplots()
    ax.plot(np.log(ctx.frame["population_2021"]), ctx.frame["maturity_stage"], "o")
    with pytest.raises(DisclosureError, match="line markers"):
        ctx.figure(fig, "logscatter", "alt", "caption")


def test_the_same_scatter_is_allowed_on_simulated_data_and_estimate_plots_everywhere(tmp_path):
    ctx = _context(tmp_path, confidential=False)
    ctx.figure(_scatter(ctx.frame), "scatter", "alt", "caption")
    assert (tmp_path / "results/scatter.svg").is_file()
    conf = _context(tmp_path / "c", confidential=True)
    fig, ax = plt.subplots()
    ax.errorbar([0.1, 0.4], [1, 2], xerr=[0.05, 0.1], fmt="o")  # estimates with intervals: not unit-level
    ax.plot(np.linspace(1000, 700000, 300), np.linspace(0, 5, 300))  # a curve on a grid
    conf.figure(fig, "estimates", "alt", "caption")
    assert (tmp_path / "c/results/estimates.svg").is_file()


def test_binned_counts_figure_suppresses_the_planted_unique_answer(tmp_path):
    ctx = _context(tmp_path, confidential=True)
    table = ctx.binned_counts_figure(
        "binned",
        ctx.frame["population_2021"],
        ctx.frame["maturity_stage"],
        x_edges=[0, 5_000, 20_000, np.inf],
        x_label="population",
        y_label="stage",
        y_levels=range(6),
        alt="alt",
        caption="caption",
    )
    top = table[table["stage"] == 5]
    assert "1" not in set(top.drop(columns="stage").astype(str).iloc[0])  # Oslo's lone answer is not a count
    assert "<3" in set(top.drop(columns="stage").astype(str).iloc[0])
    written = pd.read_csv(tmp_path / "results/binned.csv", dtype=str)
    assert not written.drop(columns="stage").isin(["1", "2"]).any().any()
    assert (tmp_path / "results/binned.svg").is_file()


def test_a_table_with_a_single_units_population_or_its_name_is_refused(tmp_path):
    ctx = _context(tmp_path, confidential=True)
    oslo = int(ctx.frame.loc[ctx.frame["knr"] == "0301", "population_2021"].iloc[0])
    bottleneck = pd.DataFrame({"stage": [4, 5], "required size": [0, oslo]})
    with pytest.raises(DisclosureError, match="required size.*single respondent's register value"):
        ctx.table("bottleneck", bottleneck, "caption")
    with pytest.raises(DisclosureError, match="names municipalities"):
        ctx.table("top", pd.DataFrame({"municipality": ["Bergen", "Tromsø"], "stage": [5, 5]}), "caption")
    assert not (tmp_path / "results/bottleneck.csv").exists()
    # a banded value passes
    banded = pd.DataFrame({"stage": [5], "required size": [ctx.register_value(oslo)]})
    ctx.table("bottleneck", banded, "caption")
    assert pd.read_csv(tmp_path / "results/bottleneck.csv")["required size"].tolist() == ["≥50,000"]


def test_register_values_are_reported_as_bands_of_at_least_three_units():
    register = load_register()["population_2021"]
    smallest = float(register.min())
    assert (register == smallest).sum() == 1
    band = safe_register_value(smallest, register)
    assert band == "<2,000"
    assert safe_register_value(float(register.max()), register).startswith("≥")
    # a value at least three municipalities share could be shown as it is
    values = pd.Series([1234, 1234, 1234, 5000])
    assert safe_register_value(1234, values) == "1,234"


def test_published_numbers_equal_to_one_respondents_population_are_found():
    frame = _frame()
    identifying = identifying_values(frame)
    oslo = float(frame.loc[frame["knr"] == "0301", "population_2021"].iloc[0])
    assert oslo in identifying
    assert numbers_in_text(f"requires {oslo:,.0f} inhabitants; 0.1518; 2021; sha 1518abc") == [oslo, 2021.0]
    reason = f"the top stage requires a population of at least {oslo:,.0f}"
    assert scan_numbers([reason], "claims.json", identifying) != []
    assert scan_numbers(["356 municipalities in 2021, 5,000 resamples"], "x", identifying) == []


def test_a_figure_that_labels_municipalities_is_refused(tmp_path):
    ctx = _context(tmp_path, confidential=True)
    fig, ax = plt.subplots()
    ax.bar([0, 1], [3, 4])
    ax.annotate("Bergen", (1, 4))
    with pytest.raises(DisclosureError, match="municipality name 'Bergen'"):
        ctx.figure(fig, "labelled", "alt", "caption")
