"""Issue 29, reason texts, notes and metadata: what a confidential build writes besides its numbers.

- a figure (SVG, text kept as text) carries the words it draws and nothing else (no metadata, title, description
  or comment), and the leak scan refuses one that does; a PNG with a text chunk other than a size is refused too;
- the suppression mark "<3" goes into value cells only, never into a label column (a stage, a threshold);
- a model's notes never name a dropped fixed-effect level (tested in test_models.py).
"""

from __future__ import annotations

import re

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import pandas as pd  # noqa: E402
import pytest  # noqa: E402
from PIL import Image, PngImagePlugin  # noqa: E402

from vsr_analysis import chapter  # noqa: E402
from vsr_analysis.build.disclosure import scan_png_metadata, scan_svg_figures  # noqa: E402
from vsr_analysis.stats.small_cells import SUPPRESSED, suppress_small_cells  # noqa: E402


def _bar_figure(label: str):
    fig, ax = plt.subplots(figsize=(5.4, 3))
    ax.bar([0, 1], [1, 10])
    ax.text(0, 1, label, fontsize=12)  # a data label: the count of a bar
    return fig


def test_saved_figure_carries_only_what_it_draws(tmp_path):
    chapter.display.session["scratch"] = None
    original, chapter.myst.markdown = chapter.myst.markdown, lambda text: None
    try:
        path = chapter.save_figure(_bar_figure("9"), tmp_path, "bars", "alt", "caption", "../../results/s/bars.svg")
    finally:
        chapter.myst.markdown = original
    assert path.suffix == ".svg"
    assert scan_svg_figures(tmp_path) == [] and scan_png_metadata(tmp_path) == []


def test_scan_refuses_an_svg_with_undrawn_words(tmp_path):
    fig = _bar_figure("72")
    fig.savefig(tmp_path / "plain.svg", format="svg")  # matplotlib's defaults: creator, date and format records
    plt.close(fig)
    leaks = scan_svg_figures(tmp_path)
    assert len(leaks) == 1 and "metadata" in leaks[0]
    text = (tmp_path / "plain.svg").read_text(encoding="utf-8")
    (tmp_path / "plain.svg").write_text(
        re.sub(r"<metadata>.*?</metadata>", "<!-- Oslo -->", text, flags=re.S), encoding="utf-8"
    )
    assert scan_svg_figures(tmp_path) and "comment" in scan_svg_figures(tmp_path)[0]


def test_scan_refuses_a_png_whose_metadata_carries_text(tmp_path):
    fig = _bar_figure("72")
    info = PngImagePlugin.PngInfo()
    info.add_text("vsr-smallest-text-pt", "12")
    info.add_text("vsr-smallest-text", "72")  # what save_figure wrote before issue 29
    fig.savefig(tmp_path / "old.png")
    plt.close(fig)
    with Image.open(tmp_path / "old.png") as im:
        im.save(tmp_path / "leaky.png", pnginfo=info)
    (tmp_path / "old.png").unlink()
    leaks = scan_png_metadata(tmp_path)
    assert len(leaks) == 1 and "vsr-smallest-text" in leaks[0]
    # a "size" that is not a number is text too
    with Image.open(tmp_path / "leaky.png") as im:
        bad = PngImagePlugin.PngInfo()
        bad.add_text("vsr-smallest-text-pt", "Oslo")
        im.save(tmp_path / "leaky.png", pnginfo=bad)
    assert scan_png_metadata(tmp_path)


@pytest.mark.parametrize("labels_given", [False, True])
def test_suppression_marks_value_cells_only(labels_given):
    # a stage distribution: the stage column is numeric but names the row; the share is derived from the count
    table = pd.DataFrame(
        {
            "stage": [0, 1, 2, 3, 4, 5],
            "municipalities": [0, 14, 40, 60, 30, 1],
            "share": [0.0, 0.08, 0.22, 0.33, 0.17, 0.01],
            "threshold": [1000.0, 2000.0, 5000.0, 10000.0, 20000.0, 50000.0],
        }
    )
    kwargs = {"label_columns": ["stage", "threshold"]} if labels_given else {}
    out = suppress_small_cells(table, ["municipalities"], **kwargs)
    assert out["stage"].tolist() == table["stage"].tolist()  # never "<3" in a label
    hidden = out["municipalities"] == SUPPRESSED
    assert hidden.sum() >= 2  # the 1 and, by secondary suppression, another cell of the column
    assert (out.loc[hidden, "share"] == SUPPRESSED).all()  # the share derived from a hidden count is hidden
    if labels_given:
        assert out["threshold"].tolist() == table["threshold"].tolist()
    # no column is both a label and a count
    with pytest.raises(ValueError, match="both a label and a count"):
        suppress_small_cells(table, ["municipalities"], label_columns=["municipalities"])


def test_upper_tail_shares_are_withheld_when_a_group_has_few_at_the_top():
    """F4: the weighted share at the top stages below the threshold, times the group's respondents, gave the one
    planted small municipality back; on a confidential run it is withheld with the contrast."""
    import numpy as np

    from vsr_analysis.claims.necessity_evidence import released_upper_tail, upper_tail_contrast

    rng = np.random.default_rng(3)
    stage = pd.Series(rng.integers(0, 4, size=120))  # nobody at stage 4 or 5 ...
    group = pd.Series((np.arange(120) < 60).astype(int))
    stage.iloc[:10] = 5  # ... except ten large municipalities
    stage.iloc[100] = 5  # and one small one: the planted answer
    contrast = upper_tail_contrast(stage, group, 4, weights=pd.Series(np.ones(120)), reps=50, seed=1)
    assert round(contrast["share_0"] * 60) == 1  # the attack works on the computed numbers
    table, published = released_upper_tail(contrast, stage, group, 4, confidential=True)
    assert set(table.iloc[:, 1]) == {".."} and "withheld" in published
    assert not any(str(v) for k, v in published.items() if k != "withheld" and v is not None)
    assert "small" not in published["withheld"] and "below" not in published["withheld"]  # no group named
    # synthetic runs publish everything; a group with enough at the top is published on a confidential run too
    assert released_upper_tail(contrast, stage, group, 4, confidential=False)[1] == contrast
    stage.iloc[101:104] = 5
    assert "withheld" not in released_upper_tail(contrast, stage, group, 4, confidential=True)[1]
