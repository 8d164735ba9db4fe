"""The synthetic replica in one name: re-exports the modules that make it, for callers of ``synth.replica``.

A scenario YAML becomes a simulated survey file for the real 356 municipalities plus its truth, in four steps,
one module each (each imports only those above it):

- :mod:`~vsr_analysis.synth.scenario`: scenario files read, merged and validated; the replica's vocabulary;
- :mod:`~vsr_analysis.synth.model`: the generating model calibrated on the register frame, and its draws
  (county authorities: :mod:`~vsr_analysis.synth.county`);
- :mod:`~vsr_analysis.synth.targets`: marginal shares, the scenario's targets and the true coefficients
  against a generated file;
- :mod:`~vsr_analysis.synth.simulation`: one simulated survey (rows and truth) from a scenario and a seed;
- :mod:`~vsr_analysis.synth.files`: the CSV and truth JSON written, cached and named by a survey spec
  (``vsr synth`` is :mod:`vsr_analysis.cli.synth`).

This module holds no code of its own: new code imports from the module that does the job.
"""

from __future__ import annotations

from vsr_analysis.synth.files import default_path, ensure, parse_spec, read_truth, to_csv_bytes, truth_path, write
from vsr_analysis.synth.model import ScenarioModel, covariates, item_noise, ordered_probs, register_frame, solve_cuts
from vsr_analysis.synth.scenario import (
    BARRIER_ITEMS,
    COMPONENT_ITEMS,
    COUNTY_CODES,
    COVARIATES,
    KS_NETWORK_COUNTIES,
    N_STAGES,
    NETWORK_ITEMS,
    PRIMARY_COVARIATES,
    PRIORITY_ITEMS,
    ScenarioError,
    assumptions_table,
    available_scenarios,
    fmt_value,
    load_scenario,
    sources_table,
    value_of,
)
from vsr_analysis.synth.simulation import (
    GENERATED_ITEMS,
    GENERATOR_SOURCES,
    NONRESPONSE_BLOCKS,
    column_order,
    generate,
    generator_sha256,
    response_probabilities,
    simulate_survey,
    simulate_with_frame,
    to_nullable,
)
from vsr_analysis.synth.targets import marginal_statistics, targets_table, truth_vs_estimates

__all__ = [
    "default_path",
    "ensure",
    "parse_spec",
    "read_truth",
    "to_csv_bytes",
    "truth_path",
    "write",
    "register_frame",
    "ScenarioModel",
    "ordered_probs",
    "solve_cuts",
    "covariates",
    "item_noise",
    "BARRIER_ITEMS",
    "COMPONENT_ITEMS",
    "COUNTY_CODES",
    "COVARIATES",
    "KS_NETWORK_COUNTIES",
    "N_STAGES",
    "NETWORK_ITEMS",
    "PRIMARY_COVARIATES",
    "PRIORITY_ITEMS",
    "ScenarioError",
    "fmt_value",
    "value_of",
    "assumptions_table",
    "available_scenarios",
    "load_scenario",
    "sources_table",
    "GENERATED_ITEMS",
    "GENERATOR_SOURCES",
    "NONRESPONSE_BLOCKS",
    "simulate_survey",
    "to_nullable",
    "column_order",
    "generate",
    "generator_sha256",
    "response_probabilities",
    "simulate_with_frame",
    "marginal_statistics",
    "targets_table",
    "truth_vs_estimates",
]
