"""Figures sized for a phone (stats/figure_style.py) and the numbered figures and tables of chapter.py."""

from __future__ import annotations

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
import pandas as pd  # noqa: E402
from PIL import Image  # noqa: E402

from vsr_analysis import chapter  # noqa: E402
from vsr_analysis.stats import figure_style  # noqa: E402


def _labelled_figure(width: float = 7.0):
    figure_style.set_style()
    fig, ax = plt.subplots(figsize=(width, 3))
    ax.barh(range(3), [1, 2, 3])
    ax.set_yticks(range(3), [figure_style.wrap("a long category name that needs two lines", 18)] * 3)
    return fig, ax


def test_smallest_text_finds_the_smallest_drawn_text_and_skips_switched_off_axes():
    fig, ax = _labelled_figure()
    ax.text(0.5, 0.5, "tiny", fontsize=7)
    assert figure_style.smallest_text(fig) == (7.0, "tiny")
    off = fig.add_axes((0.1, 0.1, 0.2, 0.2))
    off.set_xticks([0, 1], ["a", "b"], fontsize=5)
    off.axis("off")  # its tick labels are not drawn
    assert figure_style.smallest_text(fig)[0] == 7.0
    plt.close(fig)


def test_the_style_has_no_text_below_the_smallest_size():
    fig, ax = _labelled_figure()
    ax.set_title("title")
    ax.set_xlabel("x")
    ax.legend(["bars"])
    assert figure_style.smallest_text(fig)[0] >= figure_style.SMALLEST_PT
    plt.close(fig)


def test_save_figure_narrows_the_figure_and_records_its_smallest_text(tmp_path):
    fig, ax = _labelled_figure(width=9.0)
    ax.text(0, 0, "note", fontsize=12.5)
    chapter._session["scratch"] = None
    shown = []
    original = chapter.markdown
    chapter.markdown = shown.append
    try:
        path = chapter.save_figure(fig, tmp_path, "bars", "alt", "caption", "../../results/f0-set/bars.png")
    finally:
        chapter.markdown = original
    with Image.open(path) as im:
        inches = im.width / im.info["dpi"][0]
        assert float(im.info["vsr-smallest-text-pt"]) == 12.0
        # a size only: no text chunk carries the text of a label (on a real survey file that can be data)
        assert set(im.text) == {"vsr-smallest-text-pt"}, im.text
    assert inches <= figure_style.WIDTH + 0.02, inches
    assert ":name: fig-f0-set-bars" in shown[0]


def test_legend_below_keeps_an_existing_legends_entries_and_title():
    fig, ax = plt.subplots()
    ax.plot([0, 1], [0, 1], label="line")
    ax.legend(title="kind")
    legend = figure_style.legend_below(ax)
    assert [t.get_text() for t in legend.get_texts()] == ["line"]
    assert legend.get_title().get_text() == "kind"
    fig.canvas.draw()
    assert legend.get_window_extent().y1 < ax.get_window_extent().y0  # below the axes, over no data
    plt.close(fig)


def test_numbered_table_escapes_cells_and_right_aligns_numbers():
    shown = pd.DataFrame({"group": ["a|b", "*c*"], "p": ["< 0.001", "0.5"]})
    text = chapter.myst_table(shown, "Caption", "tbl-x-y", numeric=[1])
    lines = text.splitlines()
    assert lines[:3] == [":::{table} Caption", ":name: tbl-x-y", ":class: result-table"]
    assert "|:---|---:|" in lines
    assert r"| a\|b | \< 0\.001 |" in lines
    assert r"| \*c\* | 0\.5 |" in lines
    assert chapter.table_label("f2-x", "stage_distribution") == "tbl-f2-x-stage-distribution"


def test_references_read_as_words_in_an_interactive_run():
    text = "See {numref}`Figure %s <fig-a-b>` and {numref}`Table %s <tbl-a-c>`."
    assert chapter.interactive_markdown(text) == "See the figure and the table."
