"""Figures sized for a phone (stats/figure_style.py) and the numbered figures and tables of chapter/."""

from __future__ import annotations

import re

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
import pandas as pd  # noqa: E402

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


def _svg_size(path):
    """(width in CSS px, viewBox width in user units = points, every text's font size in user units)."""
    text = path.read_text(encoding="utf-8")
    root = re.search(r"<svg\b[^>]*>", text)[0]
    width = float(re.search(r'\bwidth="([\d.]+)px"', root)[1])
    view = float(re.search(r'viewBox="0 0 ([\d.]+)', root)[1])
    sizes = [float(s) for s in re.findall(r"<text[^>]*font-size: ([\d.]+)px", text)]
    return width, view, sizes


def test_save_figure_narrows_the_figure_and_sizes_the_svg_for_readable_text(tmp_path):
    fig, ax = _labelled_figure(width=9.0)
    ax.text(0, 0, "note", fontsize=12.5)
    chapter.display.session["scratch"] = None
    shown = []
    original = chapter.myst.markdown
    chapter.myst.markdown = shown.append
    try:
        path = chapter.save_figure(fig, tmp_path, "bars", "alt", "caption", "../../results/f0-set/bars.png")
    finally:
        chapter.myst.markdown = original
    assert path.suffix == ".svg" and "../../results/f0-set/bars.svg" in shown[0]
    width, view, sizes = _svg_size(path)
    assert view / 72 <= figure_style.WIDTH + 0.02, view  # narrowed to a phone's panel width (points)
    assert "note" in path.read_text(encoding="utf-8")  # text stays text
    # at the file's own width its smallest text is MIN_TEXT_PX CSS px: text in user units x px per unit
    assert min(sizes) == 12.0
    assert figure_style.MIN_TEXT_PX <= min(sizes) * width / view < figure_style.MIN_TEXT_PX + 0.05
    assert width == int(width)  # whole px: what a browser reports as the image's own width
    assert ":name: fig-f0-set-bars" in shown[0]


def test_svg_figures_are_byte_identical_run_to_run_and_carry_no_metadata(tmp_path):
    texts = []
    for i in range(2):
        fig, _ = _labelled_figure()
        figure_style.write_svg(fig, tmp_path / f"{i}.svg")
        plt.close(fig)
        texts.append((tmp_path / f"{i}.svg").read_text(encoding="utf-8"))
    assert texts[0] == texts[1]
    assert "<metadata" not in texts[0] and "<!--" not in texts[0] and "Matplotlib v" not in texts[0]


def test_text_clipped_out_of_view_is_not_written(tmp_path):
    fig, ax = _labelled_figure()
    ax.set_xlim(0, 4)
    ax.text(100, 0, "hidden-label", clip_on=True)  # outside the data area: no renderer shows it
    ax.text(1, 0, "shown-label", clip_on=True)
    figure_style.write_svg(fig, tmp_path / "c.svg")
    plt.close(fig)
    text = (tmp_path / "c.svg").read_text(encoding="utf-8")
    assert "shown-label" in text and "hidden-label" not in text


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
