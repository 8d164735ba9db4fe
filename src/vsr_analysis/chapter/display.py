"""Where a chapter's output is shown, and in which mode the run is.

``session["scratch"]`` is the scratch root of an interactive run (a template run by hand) and None when papermill
runs the template for the book (``vsr run``); ``output.output_folder`` sets it. ``show`` puts an object into the
notebook, ``show_html`` an HTML fragment. The other modules of the package call these, and ``myst.markdown``,
through their module (``display.show(...)``), so that replacing one of them replaces every use.
"""

from __future__ import annotations

from pathlib import Path

#: The scratch root of the current interactive run, or None when papermill runs the template for the book.
session: dict[str, Path | None] = {"scratch": None}


def show(obj) -> None:
    from IPython.display import display

    display(obj)


def show_html(text: str) -> None:
    from IPython.display import HTML

    show(HTML(text))
