"""No Python repr on a page: the value of a cell's last expression that is only a path object is dropped.

A chapter cell that ends with ``write_table(...)`` (or anything returning a ``pathlib.Path``) shows
``PosixPath('../results/…')`` under the cell: noise to a reader, and a path of the build. After the ledger is
built the runner calls :func:`drop_path_reprs` on every executed notebook (Sphinx-free post-processing, like
the verdict cards); outputs with anything besides such a repr are kept.
"""

from __future__ import annotations

import re
from pathlib import Path

import nbformat

_PATH_REPR = re.compile(r"^(Posix|Windows|Pure\w*)?Path\(.*\)$", re.S)


def is_path_repr(output: dict) -> bool:
    if output.get("output_type") != "execute_result":
        return False
    data = output.get("data", {})
    text = data.get("text/plain", "")
    text = "".join(text) if isinstance(text, list) else text
    return set(data) == {"text/plain"} and bool(_PATH_REPR.match(text.strip()))


def drop_path_reprs(executed_dir: Path) -> list[str]:
    """Remove path reprs from every notebook of ``executed_dir``; returns the notebooks changed."""
    changed = []
    for path in sorted(executed_dir.glob("*.ipynb")):
        nb = nbformat.read(path, as_version=4)
        dropped = 0
        for cell in nb.cells:
            if cell.cell_type != "code":
                continue
            kept = [o for o in cell.get("outputs", []) if not is_path_repr(o)]
            dropped += len(cell.outputs) - len(kept)
            cell.outputs = kept
        if dropped:
            nbformat.write(nb, path)
            changed.append(path.stem)
    return changed
