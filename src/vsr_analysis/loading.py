"""Where a run's survey comes from, made available and loaded: the one module that composes ``data`` (reading and
validating), ``synth`` (making a synthetic replica on demand) and ``stats`` (the raking weights).

Generating the replica is a step before loading, not hidden in ``data``'s read path: :func:`survey_data_path`
makes a ``synthetic:`` spec's file if needed (``synth.files.ensure``), :func:`load_frame` then reads it with
``data.analysis_frame.read_frame`` and weights it with ``stats.frame_weights.add_weights``.
"""

from __future__ import annotations

from pathlib import Path

from vsr_analysis.data.analysis_frame import AnalysisFrame, read_frame
from vsr_analysis.data.survey_source import (
    SurveySource,
    cached_file_path,
    check_scenario,
    resolve_file_source,
    synthetic_source,
)
from vsr_analysis.data.survey_spec import parse_spec


def resolve_source(
    survey: str | None = None,
    scenario: str = "vsr-narrative",
    seed: int = 2021,
    sheet: str | None = None,
    report_limit: int | None = None,
    survey_map: str | Path | None = None,
) -> SurveySource:
    """Validate the survey source before anything runs and make its data file available: the synthetic replica
    ``scenario``/``seed`` (generated if needed) when ``survey`` is None, else the user's file
    (:func:`vsr_analysis.data.survey_source.resolve_file_source`, which documents the errors)."""
    if survey is None:
        check_scenario(scenario)
        from vsr_analysis.synth.files import ensure

        return synthetic_source(scenario, seed, ensure(scenario, seed))
    return resolve_file_source(survey, sheet, report_limit=report_limit, survey_map=survey_map)


def survey_data_path(spec: str) -> Path:
    """The file that holds the survey rows for a spec (generating the synthetic replica if needed)."""
    parts = parse_spec(spec)
    if parts["kind"] == "synthetic":
        from vsr_analysis.synth.files import ensure

        return ensure(parts["scenario"], int(parts["seed"]))
    return cached_file_path(spec)


def load_frame(spec: str, *, weights: bool = True) -> AnalysisFrame:
    """Load the survey named by ``spec``, validate it, join it to the register, add weights."""
    data = read_frame(spec, survey_data_path(spec))
    if weights:
        from vsr_analysis.stats.frame_weights import add_weights

        add_weights(data)
    return data
