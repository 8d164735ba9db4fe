"""One look for every figure of the book, sized to be read on a phone.

A figure is shown at the width of the text column: about 340–360 CSS px on a 390 px phone, 700–800 px in a
desktop browser.  A figure that stays readable on a phone is narrow and has large text: :data:`WIDTH` inches for
one panel (panels of a multi-panel figure are stacked, not set side by side) and no text below
:data:`SMALLEST_PT` points.

Figures are written as SVG with their text kept as text (:func:`write_svg`).  The SVG's own size is the
smallest at which its smallest text is :data:`MIN_TEXT_PX` CSS px high; the book shows a figure at the column's
width but never narrower than that (book/_static/vsr-figures.js: on a narrow phone the figure scrolls sideways
with a cue instead of shrinking).  The browser test (tests/test_browser_reader.py) measures every text of every
figure on every page at 390 and 1280 px.
"""

from __future__ import annotations

import textwrap

from vsr_analysis.paths import atomic_write

#: The smallest font size (points) any text of a figure may have.
SMALLEST_PT = 12.0

#: The smallest figure text a reader is shown (CSS px), on a phone and on a desktop alike.
MIN_TEXT_PX = 11.0

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


#: What a saved SVG carries besides its drawing: nothing (no creator, date or format records), and element ids
#: salted with a constant, so that the same figure gives the same bytes on every run.
SVG_RC = {"svg.fonttype": "none", "svg.hashsalt": "vsr-analysis"}
SVG_METADATA = {"Creator": None, "Date": None, "Format": None, "Type": None}


def hide_clipped_text(fig) -> int:
    """Switch off every text drawn wholly outside its clipping box (an axes' data area, say): no renderer shows
    it, but an SVG that keeps text as text would still carry its words.  Returns how many were hidden."""
    from matplotlib.text import Text

    renderer = fig.canvas.get_renderer()
    hidden = 0
    for t in fig.findobj(Text):
        box = t.get_clip_box() if t.get_clip_on() else None
        if box is None or not (t.get_visible() and t.get_text().strip()):
            continue
        extent = t.get_window_extent(renderer)
        if extent.x1 < box.x0 or extent.x0 > box.x1 or extent.y1 < box.y0 or extent.y0 > box.y1:
            t.set_visible(False)
            hidden += 1
    return hidden


def write_svg(fig, path, min_text_px: float = MIN_TEXT_PX) -> int:
    """Write ``fig`` to ``path`` (atomically) as SVG with its text as text, sized so that its smallest text is ``min_text_px``
    CSS px (or a little more) at the file's own width; returns that width in whole CSS px.

    Matplotlib's SVG measures in points (one user unit per point, ``width="…pt"``); only the outer ``width`` and
    ``height`` change, to ``min_text_px / smallest`` CSS px per user unit (the width rounded up to a whole px),
    where ``smallest`` is the size in points of the smallest visible text (:func:`smallest_text`; a figure
    without text keeps its size)."""
    import io
    import math
    import re

    import matplotlib.pyplot as plt

    hide_clipped_text(fig)
    size, _ = smallest_text(fig)
    buffer = io.StringIO()
    with plt.rc_context(SVG_RC):
        fig.savefig(buffer, format="svg", bbox_inches="tight", metadata=SVG_METADATA)
    svg = buffer.getvalue()
    root = re.search(r"<svg\b[^>]*>", svg)
    view = re.search(r'viewBox="0 0 ([\d.]+) ([\d.]+)"', root[0])
    px_per_unit = min_text_px / size if size != float("inf") else 96 / 72
    # whole CSS px, rounded up (a browser reports an image's own width in whole px): never below min_text_px
    width = math.ceil(float(view[1]) * px_per_unit)
    height = float(view[2]) * width / float(view[1])
    head = re.sub(r'\bwidth="[^"]*"', f'width="{width}px"', root[0], count=1)
    head = re.sub(r'\bheight="[^"]*"', f'height="{height:.2f}px"', head, count=1)
    svg = svg[: root.start()] + head + svg[root.end() :]
    svg = re.sub(r"<!--.*?-->\s*", "", svg, flags=re.S)  # a comment is text no reader sees
    atomic_write(path, svg)  # a reader (the book build, a browser) never sees half a figure
    return width
