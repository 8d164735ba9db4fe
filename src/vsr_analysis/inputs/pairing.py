"""Template pairs: ``notebooks/X.ipynb`` (what papermill runs) and ``notebooks/X.py`` (what reviewers diff).

``notebooks/jupytext.toml`` pairs every template with a jupytext percent script. The two must hold the same
cells (type, source and tags), otherwise the text a reviewer approved is not what ``vsr run`` executes. Saving
in JupyterLab (jupytext's contents manager) or ``jupytext --sync notebooks/X.py`` keeps them in step;
``load_runspec`` calls ``pair_problem`` and refuses a template whose pair has drifted.

Notebook-level metadata is not compared: ``metadata.vsr`` (the template's allowed parameter values) lives in
the ``.ipynb`` only, and jupytext keeps it there when it syncs from the script.
"""

from __future__ import annotations

from pathlib import Path

TEXT_SUFFIX = ".py"


def text_pair(template: Path) -> Path:
    """The percent-format script paired with ``template`` (it may not exist)."""
    return Path(template).with_suffix(TEXT_SUFFIX)


def _cells(path: Path) -> list[tuple[str, str, tuple[str, ...]]]:
    import jupytext

    notebook = jupytext.read(path)
    return [
        (cell.cell_type, cell.source.rstrip("\n"), tuple(sorted(cell.get("metadata", {}).get("tags", []))))
        for cell in notebook.cells
    ]


def _label(cell: tuple[str, str, tuple[str, ...]]) -> str:
    kind, source, tags = cell
    first = next((ln for ln in source.splitlines() if ln.strip()), "")
    return f"{kind} cell{' tagged ' + ','.join(tags) if tags else ''} {first[:60]!r}"


def pair_differences(template: Path) -> list[str]:
    """How ``template`` (.ipynb) and its text pair differ, one line per differing cell (empty: in sync).

    Cells are numbered from 1 as in JupyterLab. Raises FileNotFoundError when the text pair is missing.
    """
    template = Path(template)
    text = text_pair(template)
    if not text.is_file():
        raise FileNotFoundError(f"{text} (the text pair of {template.name}) does not exist")
    ipynb_cells, text_cells = _cells(template), _cells(text)
    problems = []
    for number, (a, b) in enumerate(zip(ipynb_cells, text_cells), start=1):
        if a == b:
            continue
        what = [name for name, x, y in zip(("type", "source", "tags"), a, b) if x != y]
        problems.append(f"cell {number} differs in {', '.join(what)}: {_label(a)} vs {_label(b)}")
    if len(ipynb_cells) != len(text_cells):
        problems.append(f"{template.name} has {len(ipynb_cells)} cells, {text.name} has {len(text_cells)}")
    return problems


def pair_problem(template: Path) -> str | None:
    """Why ``vsr run`` must refuse ``template``, or None (in sync, or no text pair beside it)."""
    template = Path(template)
    if not text_pair(template).is_file():
        return None
    problems = pair_differences(template)
    if not problems:
        return None
    shown = "; ".join(problems[:3]) + (f"; and {len(problems) - 3} more" if len(problems) > 3 else "")
    return (
        f"{template.name} and {text_pair(template).name} are out of sync ({shown}). "
        f"Run `jupytext --sync {text_pair(template).relative_to(template.parent.parent).as_posix()}` "
        "(the newer file wins) and review the diff before running."
    )
