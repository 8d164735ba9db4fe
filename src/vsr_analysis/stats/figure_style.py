"""One look for every figure of the book, sized to be read on a phone.

A figure is shown at the width of the text column: about 358 CSS px on a 390 px phone, 700–800 px in a desktop
browser.  Text of ``s`` points on a figure ``w`` inches wide is then ``s / 72 * column / w`` px high, so a figure
that stays readable on a phone is narrow and has large text: :data:`WIDTH` inches for one panel (panels of a
multi-panel figure are stacked, not set side by side) and no text below :data:`SMALLEST_PT` points.  At that
size 12 pt text is about 10.6 px on the phone and 20 px on the desktop (where the body text is 16 px).

:func:`smallest_text` reports the smallest text a figure draws; ``chapter.save_figure`` writes it into the PNG,
and the browser test (tests/test_browser.py) turns it into displayed pixels on every page.
"""

from __future__ import annotations

import textwrap

#: The smallest font size (points) any text of a figure may have.
SMALLEST_PT = 12.0

#: Width (inches) of a one-panel figure.
WIDTH = 5.4

#: Font sizes (points) for seaborn's theme: nothing below SMALLEST_PT.
RC = {
    "font.size": SMALLEST_PT,
    "axes.titlesize": 13.0,
    "axes.labelsize": SMALLEST_PT,
    "xtick.labelsize": SMALLEST_PT,
    "ytick.labelsize": SMALLEST_PT,
    "legend.fontsize": SMALLEST_PT,
    "legend.title_fontsize": SMALLEST_PT,
    "figure.titlesize": 13.0,
}


def set_style() -> None:
    """Seaborn's whitegrid with the colour-blind palette and the book's font sizes."""
    import seaborn as sns

    sns.set_theme(style="whitegrid", palette="colorblind", rc=RC)


def wrap(text: object, width: int = 16) -> str:
    """A category name broken into lines of at most ``width`` characters (long tick labels do not overlap)."""
    return textwrap.fill(str(text), width=width, break_long_words=False, break_on_hyphens=False)


def smallest_text(fig) -> tuple[float, str]:
    """``(size in points, text)`` of the smallest visible, non-empty text the figure draws ((inf, "") if none)."""
    from matplotlib.text import Text

    hidden = set()  # tick labels of axes switched off (ax.axis("off")) are not drawn
    for ax in fig.axes:
        if not (ax.get_visible() and ax.axison):
            hidden.update(id(t) for axis in (ax.xaxis, ax.yaxis) for t in axis.findobj(Text))
    texts = [
        t
        for t in fig.findobj(Text)
        if t.get_visible() and t.get_text().strip() and id(t) not in hidden
        and (t.axes is None or t.axes.get_visible())
    ]  # fmt: skip
    if not texts:
        return float("inf"), ""
    t = min(texts, key=lambda t: t.get_fontsize())
    return float(t.get_fontsize()), t.get_text()


def legend_below(ax, ncol: int = 1, **kwargs):
    """The axes' legend under its tick labels and axis label, where it covers no data.

    Placed from the drawn extent of the axes' labels, so call it after the labels are set and after any
    ``tight_layout`` (figures with a layout engine use ``fig.legend(loc="outside lower center")`` instead).  An
    existing legend (seaborn's, say) is moved with its entries and title."""
    old = ax.get_legend()
    if old is not None:
        kwargs.setdefault("handles", old.legend_handles)
        kwargs.setdefault("labels", [t.get_text() for t in old.get_texts()])
        if old.get_title().get_text():
            kwargs.setdefault("title", old.get_title().get_text())
        old.remove()
    fig = ax.figure
    extent = ax.get_tightbbox(fig.canvas.get_renderer())
    bottom = ax.transAxes.inverted().transform((0, extent.y0))[1]
    kwargs.setdefault("frameon", False)
    return ax.legend(loc="upper center", bbox_to_anchor=(0.5, bottom - 0.02), ncol=ncol, **kwargs)


def fit_width(fig, width: float = WIDTH, rounds: int = 20) -> None:
    """Narrow the figure until what is saved with ``bbox_inches="tight"`` is at most ``width`` inches wide.

    Tick labels, legends and titles keep their size in points; only the axes give up room.  Called by
    ``chapter.save_figure`` for every figure, so that long labels cannot widen a figure past a phone's column."""
    import matplotlib.pyplot as plt

    pad = 2 * float(plt.rcParams["savefig.pad_inches"])  # savefig adds it on each side of the tight box
    for _ in range(rounds):
        saved = fig.get_tightbbox(fig.canvas.get_renderer()).width + pad  # inches
        if saved <= width + 0.01:
            return
        w, h = fig.get_size_inches()
        fig.set_size_inches(max(w - (saved - width), 1.5), h)
