"""Templates are saved without outputs and without machine-specific metadata, whatever JupyterLab sends.

A template run by hand on the confidential survey file holds confidential output; saving it (Ctrl+S, or
JupyterLab's autosave) must not put that output into the tracked ``notebooks/X.ipynb``, and merely opening and
saving a template must not rewrite its kernel's display name or ``language_info``.  Three guards use
:func:`clean`:

* ``jupyter_server_config.py`` (used by ``make lab``) sets :func:`pre_save_hook` as the contents manager's
  pre-save hook: every save of ``notebooks/*.ipynb`` (and of its paired jupytext script ``notebooks/*.py``)
  through the Jupyter server is cleaned before it reaches the disk;
* ``.gitattributes`` names the git filter ``vsr-notebook`` for ``notebooks/*.ipynb``, whose ``clean`` command
  (``python -m vsr_analysis.build.clean_notebook``, registered by ``make setup``) cleans what git stages, for
  anyone saving templates with another editor;
* ``tests/test_clean_notebook.py`` saves an executed template through a real Jupyter server and checks that the
  tracked file is unchanged.

What is kept: the cells' sources, ids, ``tags`` and jupytext's cell metadata; the notebook's ``vsr`` metadata; the project's kernel
``python3`` with the display name and language the templates are committed with.
"""

from __future__ import annotations

import sys
from fnmatch import fnmatchcase

import nbformat

#: The kernelspec and language_info every template is committed with (display names differ between machines).
KERNELSPEC = {"display_name": "Python 3", "language": "python", "name": "python3"}
LANGUAGE_INFO = {"name": "python"}
NOTEBOOK_METADATA_KEPT = ("vsr",)
#: Cell metadata a front end writes as it runs or shows a cell (jupytext's own keys, e.g. lines_to_next_cell,
#: and tags are kept).
CELL_METADATA_DROPPED = ("execution", "ExecuteTime", "collapsed", "scrolled", "jupyter", "papermill", "trusted")
#: Paths (relative to the Jupyter server's root, the project) whose saves are cleaned.
TEMPLATE_PATTERNS = ("notebooks/*.ipynb",)
SCRIPT_PATTERNS = ("notebooks/*.py",)


def clean(nb) -> object:
    """Strip ``nb`` (a NotebookNode or dict) in place of outputs, execution counts and machine-specific
    metadata; returns it."""
    for cell in nb.get("cells", []):
        if cell.get("cell_type") == "code":
            cell["outputs"] = []
            cell["execution_count"] = None
        meta = cell.get("metadata", {})
        for key in list(meta):
            if key in CELL_METADATA_DROPPED:
                del meta[key]
    meta = nb.setdefault("metadata", {})
    kept = {key: meta[key] for key in NOTEBOOK_METADATA_KEPT if key in meta}
    meta.clear()
    meta["kernelspec"] = dict(KERNELSPEC)
    meta["language_info"] = dict(LANGUAGE_INFO)
    meta.update(kept)
    return nb


def _matches(path: str, patterns: tuple[str, ...]) -> bool:
    path = path.strip("/")
    return any(fnmatchcase(path, p) for p in patterns)


def pre_save_hook(model: dict, path: str, contents_manager=None, **kwargs) -> None:
    """Jupyter server ``ContentsManager.pre_save_hook``: clean saves of templates (and their paired scripts)."""
    if model.get("type") == "notebook" and _matches(path, TEMPLATE_PATTERNS) and model.get("content") is not None:
        clean(model["content"])
    elif (
        model.get("type") == "file"
        and model.get("format") == "text"
        and _matches(path, SCRIPT_PATTERNS)
        and isinstance(model.get("content"), str)
    ):
        import jupytext

        nb = jupytext.reads(model["content"], fmt="py:percent")
        model["content"] = jupytext.writes(clean(nb), fmt="py:percent")


def clean_text(text: str) -> str:
    """The text of a cleaned ``.ipynb`` (nbformat's own layout, as the server and jupytext write it)."""
    nb = nbformat.reads(text, as_version=nbformat.NO_CONVERT)
    return nbformat.writes(clean(nb)) + "\n"


def main() -> int:
    """Git ``clean`` filter: a notebook on stdin, the cleaned notebook on stdout (unparseable input unchanged)."""
    text = sys.stdin.buffer.read().decode("utf-8")
    try:
        out = clean_text(text)
    except Exception:  # not a notebook git can stage as one: leave it to git (and the tests) to notice
        out = text
    sys.stdout.buffer.write(out.encode("utf-8"))
    return 0


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
