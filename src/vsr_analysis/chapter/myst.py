"""MyST, the markup a chapter prints for the book: showing it (``markdown``), turning it into the plain
Markdown JupyterLab renders in an interactive run (``interactive_markdown``), the labels of numbered figures and
tables, and numbered tables (``myst_table``)."""

from __future__ import annotations

import os
import re
from pathlib import Path

import pandas as pd

import vsr_analysis.chapter.display as display

_FENCE = re.compile(r"^:::\{(?P<name>[a-z][a-z-]*)\}[ \t]*(?P<arg>.*)$")
_OPTION = re.compile(r"^:(?P<key>[a-z-]+):[ \t]*(?P<value>.*)$")
_ROLE = re.compile(r"\{(?P<role>[a-z][a-z:-]*)\}`(?P<body>[^`]*)`")
_TARGET = re.compile(r"^(?P<text>.*?)\s*<(?P<target>[^<>]+)>$", re.S)
#: How the book links to a published result file from book/executed/<page>.
PUBLISHED_PREFIX = "../../results/"


def markdown(text: str) -> None:
    """Show MyST markdown (rendered by the book: admonitions and roles work; the book has no math renderer, it is offline).

    In an interactive run the MyST markup is first turned into plain Markdown (``interactive_markdown``)."""
    from IPython.display import Markdown

    if display.session["scratch"] is not None:
        text = interactive_markdown(text, _link_root())
    display.show(Markdown(text))


def _link_root() -> str:
    """The scratch root as a link relative to the kernel's working folder (JupyterLab: the notebook's folder)."""
    root = display.session["scratch"]
    try:
        return Path(os.path.relpath(root, Path.cwd())).as_posix()
    except ValueError:  # another drive on Windows
        return root.as_posix()


def _local(target: str, link_root: str) -> str:
    if target.startswith(PUBLISHED_PREFIX):
        return f"{link_root}/{target[len(PUBLISHED_PREFIX) :]}"
    return target


def _role(match: re.Match, link_root: str) -> str:
    role, body = match["role"], match["body"]
    parts = _TARGET.match(body)
    text, target = (parts["text"], parts["target"]) if parts else (body, body)
    if role == "download":
        return f"[{text or target}]({_local(target, link_root)})"
    if role == "numref":  # a numbered figure or table of the book: in JupyterLab it is the one on the page
        return "the " + ("table" if target.startswith("tbl-") else "figure")
    if role == "cite":
        return "[" + "; ".join(k.strip() for k in body.split(",")) + "]"
    return text or target  # {doc}, {ref}, {term}, ...: the words, without the book's cross-reference


def interactive_markdown(text: str, link_root: str = "scratch") -> str:
    """Turn the MyST the templates print for the book into Markdown that JupyterLab renders.

    Admonitions (``:::{note}``, ``:::{admonition} Title``) become block quotes with a bold title, a
    ``:::{figure}`` becomes an image with its caption, ``{download}`` roles become links (a link to the
    published ``../../results/...`` is pointed at ``link_root``, the scratch folder), ``{cite}`` shows its
    keys in brackets and other roles (``{doc}``, ``{ref}``, ...) keep their words.
    """
    lines = text.split("\n")
    out: list[str] = []
    i = 0
    while i < len(lines):
        fence = _FENCE.match(lines[i])
        if not fence:
            out.append(_ROLE.sub(lambda m: _role(m, link_root), lines[i]))
            i += 1
            continue
        name, arg = fence["name"], fence["arg"].strip()
        options: dict[str, str] = {}
        body: list[str] = []
        i += 1
        while i < len(lines) and _OPTION.match(lines[i]):
            option = _OPTION.match(lines[i])
            options[option["key"]] = option["value"]
            i += 1
        while i < len(lines) and lines[i].strip() != ":::":
            body.append(_ROLE.sub(lambda m: _role(m, link_root), lines[i]))
            i += 1
        i += 1  # the closing fence
        while body and not body[0].strip():
            body.pop(0)
        if name == "figure":
            out.append(f"![{options.get('alt', '')}]({_local(arg, link_root)})")
            out.extend(["", *(f"*{ln}*" if ln.strip() else ln for ln in body)])
            continue
        title = _ROLE.sub(lambda m: _role(m, link_root), arg) if name == "admonition" else name.capitalize()
        out.append(f"> **{title}**")
        out.append(">")
        out.extend(f"> {ln}".rstrip() for ln in body)
    return "\n".join(out)


def figure_label(param_set: str, name: str) -> str:
    """The book-wide label of a figure (``{numref}`` target): unique because its file is."""
    return "fig-" + re.sub(r"[^a-z0-9]+", "-", f"{param_set}-{name}".lower()).strip("-")


def table_label(param_set: str, name: str) -> str:
    """The book-wide label of a numbered table (``{numref}`` target)."""
    return "tbl-" + figure_label(param_set, name)[len("fig-") :]


_MARKDOWN_PUNCTUATION = re.compile(r"([!-/:-@\[-`{-~])")


def myst_table(shown: pd.DataFrame, caption: str, label: str, numeric=()) -> str:
    """``shown`` (cells already formatted for reading) as a numbered MyST ``{table}``: a pipe table whose cells
    are escaped (every ASCII punctuation mark, so that no cell turns into markup); the columns at the positions
    ``numeric`` are right-aligned."""

    def cell(value) -> str:
        text = "–" if value is None or (isinstance(value, float) and value != value) else str(value)
        return _MARKDOWN_PUNCTUATION.sub(r"\\\1", " ".join(text.split()))

    numeric = set(numeric)
    head = "| " + " | ".join(cell(c) for c in shown.columns) + " |"
    rule = "|" + "|".join("---:" if i in numeric else ":---" for i in range(len(shown.columns))) + "|"
    rows = ["| " + " | ".join(cell(v) for v in row) + " |" for row in shown.itertuples(index=False)]
    return "\n".join(
        [f":::{{table}} {caption}", f":name: {label}", ":class: result-table", "", head, rule, *rows, ":::"]
    )
