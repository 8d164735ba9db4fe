"""vsr-analysis: test the claims of Norway's Voluntary Subnational Review (KS 2021) with statistics.

The package holds every piece of logic that is repeated or tested; the notebooks in ``notebooks/`` only
tell the story and call into it.  Module map (one job each):

``paths``        every path, resolved from the project root
``register``     Statistics Norway register table: parse raw exports, build, check, load
``codebook``     the survey instrument (items, codes, maturity ladder)
``survey``       load and validate a user's survey file; join it to the register frame
``synth``        the synthetic replica (scenarios -> survey file + true parameters)
``weights``      raking to the frame's margins, design effect
``models``       ordinal / logit models with robust SEs and marginal effects
``necessity``    Necessary Condition Analysis (NCA)
``multiplicity`` Holm and Benjamini-Hochberg
``claims``       the claims ledger: decision rules -> verdicts
``disclosure``   small-cell suppression and the leak scan
``runner``       run spec -> papermill executions -> results ledger
``provenance``   commit, checksums and versions stamped into every output
``cli``          the ``vsr`` command
"""

__version__ = "0.1.0"
