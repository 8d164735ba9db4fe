"""A chapter's output folder and figures: where its files go (``output_folder``, which also decides the mode of
the run), saving and showing a figure (``save_figure``), the plot theme, and the labels that mark results
computed on the synthetic replica."""

from __future__ import annotations

from pathlib import Path

import vsr_analysis.chapter.display as display
import vsr_analysis.chapter.myst as myst
from vsr_analysis import paths


def output_folder(param_set: str, results_dir: str | None) -> Path:
    """The folder a template writes its result files into, and the mode of the run.

    ``vsr run`` passes ``results_dir``; without it (a template run by hand) the folder is
    ``scratch/<param_set>/`` and a notice saying so is shown, so that an interactive run never touches the
    published ``results/``. Call it before anything else is shown: the notice must be the first output.
    """
    if results_dir:
        display.session["scratch"] = None
        folder = Path(results_dir)
    else:
        display.session["scratch"] = paths.scratch_dir()
        folder = paths.scratch_dir() / param_set
        shown = (
            folder.relative_to(paths.project_root()).as_posix()
            if folder.is_relative_to(paths.project_root())
            else folder
        )
        display.show(
            _markdown_object(
                f"> **Interactive run.** This notebook was not started by `vsr run`: its tables, figures and "
                f"evidence go to `{shown}/` (git-ignored scratch), never to the published `results/`, and "
                "the book and the claims ledger do not change. Publish with `vsr run`."
            )
        )
    folder.mkdir(parents=True, exist_ok=True)
    return folder


def _markdown_object(text: str):
    from IPython.display import Markdown

    return Markdown(text)


def save_figure(fig, folder: Path, name: str, alt: str, caption: str, link: str) -> Path:
    """Save ``fig`` as ``folder/<name>.svg`` and show it.

    For the book the figure is a numbered MyST ``{figure}`` directive pointing at ``link`` (the file's published
    place, ``../../results/<param_set>/<name>.svg``), named :func:`figure_label` so that the text can refer to
    it with ``{numref}``; in an interactive run the SVG itself is displayed (with ``alt`` as its text form) and
    the caption below it.

    The figure is first narrowed to at most ``figure_style.WIDTH`` inches as saved (:func:`fit_width`) and
    written by :func:`vsr_analysis.stats.figure_style.write_svg`: text stays text, and the file's size is the
    smallest at which its smallest text is ``figure_style.MIN_TEXT_PX`` CSS px, the least width the book shows
    it at (book/_static/vsr-figures.js; tests/test_browser_reader.py measures every text in the browser).
    """
    from vsr_analysis.stats.figure_style import fit_width, write_svg

    fit_width(fig)
    path = Path(folder) / f"{name}.svg"
    write_svg(fig, path)  # written atomically
    import matplotlib.pyplot as plt

    plt.close(fig)
    link = Path(link).with_suffix(".svg").as_posix()
    if display.session["scratch"] is None:
        parts = Path(link).parts
        label = myst.figure_label(parts[-2] if len(parts) > 1 else "", Path(link).stem)
        myst.markdown(f":::{{figure}} {link}\n:alt: {alt}\n:width: 100%\n:name: {label}\n\n{caption}\n:::")
    else:
        from IPython.display import display as ipython_display

        ipython_display(
            {"image/svg+xml": path.read_text(encoding="utf-8"), "text/plain": f"[figure {name}: {alt}]"}, raw=True
        )
        myst.markdown(f"*{caption}*")
    return path


SIMULATED_BANNER = (
    ":::{{admonition}} Simulated data\n:class: warning simulated-data\n"
    "The results on this page were computed on the **synthetic replica** (`{spec}`): survey answers "
    "SIMULATED by this project for the real 356 municipalities under a stated scenario. They show how the "
    "analysis works and what it would conclude under the scenario's assumptions. They say **nothing** about "
    "the real municipalities' answers to the 2021 survey. See {{doc}}`synthetic-replica`.\n:::"
)


#: The first column of every result table written on the synthetic replica.
SIMULATED_CSV_LABEL = "SIMULATED (synthetic replica {spec})"


def set_plot_theme() -> None:
    """One look for every chapter's figures (seaborn's whitegrid, the colour-blind palette, phone-sized fonts)."""
    from vsr_analysis.stats.figure_style import set_style

    set_style()
