"""Operating characteristics of the decision rules: ``vsr simulate``.

For each scenario x seed the synthetic replica is generated exactly as ``vsr synth`` does, loaded through the
same validation and weighting as every notebook, and each selected claim's primary analysis and decision rule
are run through the same package functions the claim notebooks call (:mod:`.registry`).  The seeds run in
chunks on Dask's distributed scheduler (:mod:`.engine`), with a checkpoint per chunk; :mod:`.operating`
turns the per-seed verdicts into the share of each verdict, the coverage of the primary interval and their
Monte Carlo standard errors.

Modules: :mod:`.streams` (random streams per scenario and seed), :mod:`.replica_frame` (survey -> analysis
frame in memory), :mod:`.registry` (analysis kind -> implementation), :mod:`.truth` (what a scenario makes true, from each
claim's declaration in ``claims.yml``),
:mod:`.engine` (chunks, checkpoints, Dask), :mod:`.operating` (aggregation); the command is
:mod:`vsr_analysis.cli.simulate`.
"""
