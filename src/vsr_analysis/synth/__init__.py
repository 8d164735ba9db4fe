"""The synthetic replica: a scenario file -> a simulated survey file for the real municipalities + its truth.

``scenario`` (read and validate ``data/scenarios/*.yml``) -> ``model`` (the generating model calibrated on the
register, and its draws; ``county`` for the county authorities) -> ``targets`` (a file against the scenario's
targets and true coefficients) -> ``simulation`` (one survey and its truth; ``claim_truth`` and ``share_truth``
for what each claim's truth is) -> ``files`` (CSV + truth JSON, cached).  ``replica`` re-exports all of them under
one name; ``vsr synth`` is :mod:`vsr_analysis.cli.synth`.
"""
