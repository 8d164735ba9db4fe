"""papermill's command line as ``vsr run`` starts it for each notebook: ``python -m vsr_analysis.build.papermill_child``.

The same command as ``python -m papermill`` (same arguments, same behaviour); started through this package so
that its start-up skips what ``vsr_analysis/__init__.py`` leaves out (the IRI grammars jsonschema would compile,
about a CPU second per notebook).
"""

from __future__ import annotations

from papermill.cli import papermill

if __name__ == "__main__":
    papermill()
