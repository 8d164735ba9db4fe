"""Helpers that keep the claim notebooks thin: start, show tables and figures, record evidence.

A notebook's second cell is always::

    from vsr_analysis.api import start
    ctx = start(survey=survey, param_set=param_set, results_dir=results_dir, parameters=locals())

which loads the analysis frame, shows the provenance stamp and — on synthetic data — the simulated-data
banner, and returns a ``Context`` whose methods write result tables (CSV, disclosure-checked for real survey
files) and the claim's evidence for the ledger.

Two modes. Under ``vsr run`` papermill injects ``results_dir`` (a staging folder) and every output is MyST
markdown for the book. Run by hand (JupyterLab, nbclient; ``results_dir`` is None) a template is in
*interactive* mode: its files go to the git-ignored ``scratch/<param_set>/`` (never ``results/``), its first
output says so, figures are shown as images and MyST markup is turned into plain Markdown that JupyterLab
renders (``interactive_markdown``).

The package, a module per job (this ``__init__`` only re-exports their public names):

* ``context``: ``start``, ``Context`` (the claim, its evidence, ``CannotEstimate``), the stamped parameters and
  the provenance display;
* ``disclosure_policy``: what a confidential run may publish (``Context.table``, ``released``, ``figure``...);
* ``output``: ``output_folder`` (which also sets the mode of the run), ``save_figure``, the simulated-data
  banner and label, the plot theme;
* ``myst``: ``markdown``, ``interactive_markdown``, ``myst_table``, the labels of numbered figures and tables;
* ``display``: the mode of the run (``session``) and the notebook display the other modules show through.
"""

from vsr_analysis.chapter.context import CannotEstimate, Context, claim_of, show_provenance, stamped_parameters, start
from vsr_analysis.chapter.myst import (
    PUBLISHED_PREFIX,
    figure_label,
    interactive_markdown,
    markdown,
    myst_table,
    table_label,
)
from vsr_analysis.chapter.output import SIMULATED_BANNER, SIMULATED_CSV_LABEL, output_folder, save_figure

__all__ = [
    "PUBLISHED_PREFIX",
    "SIMULATED_BANNER",
    "SIMULATED_CSV_LABEL",
    "CannotEstimate",
    "Context",
    "claim_of",
    "figure_label",
    "interactive_markdown",
    "markdown",
    "myst_table",
    "output_folder",
    "save_figure",
    "show_provenance",
    "stamped_parameters",
    "start",
    "table_label",
]
