"""Every page its own title: the run spec's title of a parameter set becomes its executed notebook's heading.

Parameter sets that share a template (two share claims, the existence claim by size and by centrality) would otherwise
show the template's one heading, so previous/next links and search results would look like the same page.
Jupyter Book takes a notebook page's title from its first level-1 heading; the runner replaces that heading
(or adds one) after execution, so templates keep a heading that reads well when opened on their own.
"""

from __future__ import annotations

import nbformat


def set_page_title(nb: nbformat.NotebookNode, title: str) -> None:
    """Make ``# title`` the first level-1 heading of the notebook's first markdown cell (in place)."""
    heading = f"# {title}"
    for cell in nb.cells:
        if cell.cell_type != "markdown":
            continue
        lines = cell.source.splitlines()
        for i, line in enumerate(lines):
            if line.startswith("# "):
                lines[i] = heading
                cell.source = "\n".join(lines)
                return
        cell.source = heading + "\n\n" + cell.source
        return
    nb.cells.insert(0, nbformat.v4.new_markdown_cell(heading))
