"""One simulated survey as the notebooks see it: generate, validate, join to the register, weight.

``analysis_frame(scenario, replica_seed)`` follows ``loading.load_frame`` step by step, without the
file cache in ``data/synthetic/``: ``synth.generate`` -> the CSV bytes ``vsr synth`` would write ->
``data.survey_file.load_survey`` (the full validation) -> ``build_frame`` -> ``add_analysis_columns`` ->
``add_weights``.  The CSV goes through a private temporary folder of the process, so the survey the analyses
see is exactly the file ``vsr synth --scenario S --seed N`` writes.
"""

from __future__ import annotations

import atexit
import functools
import os
import shutil
import tempfile
from pathlib import Path

import pandas as pd

from vsr_analysis.data.analysis_frame import AnalysisFrame, add_analysis_columns
from vsr_analysis.data.frame import build_frame, county_rows
from vsr_analysis.data.survey_file import load_survey
from vsr_analysis.stats.frame_weights import add_weights
from vsr_analysis.synth import replica


@functools.lru_cache(maxsize=1)
def reference_data() -> tuple[pd.DataFrame, object, pd.DataFrame]:
    """Register, codebook and code history, read once per process."""
    from vsr_analysis.data.codebook import load_codebook
    from vsr_analysis.data.register import load_knr_history, load_register

    return load_register(), load_codebook(), load_knr_history()


@functools.lru_cache(maxsize=1)
def _scratch() -> Path:
    path = Path(tempfile.mkdtemp(prefix="vsr-simulate-"))
    atexit.register(shutil.rmtree, path, True)
    return path


def _frame_of_rows(scenario: dict, seed: int, rows: pd.DataFrame, truth: dict | None = None) -> AnalysisFrame:
    """The weighted analysis frame of one replica's survey ``rows``: written as the CSV bytes ``vsr synth`` writes,
    read back with the full validation (``load_survey``), joined to the register, weighted."""
    register, codebook, history = reference_data()
    path = _scratch() / f"{scenario['name']}-{seed}-{os.getpid()}.csv"
    path.write_bytes(replica.to_csv_bytes(rows))
    try:
        survey = load_survey(path, codebook=codebook, register=register, history=history)
    finally:
        path.unlink(missing_ok=True)
    frame = add_analysis_columns(build_frame(survey.data, register))
    data = AnalysisFrame(
        spec=f"synthetic:{scenario['name']}:{seed}",
        frame=frame,
        counties=county_rows(survey.data),
        synthetic=True,
        truth=truth,
    )
    add_weights(data)
    return data


def analysis_frame(scenario: dict, seed: int) -> AnalysisFrame:
    """The analysis frame of ``synthetic:<scenario>:<seed>``, built as ``load_frame`` builds it."""
    rows, truth = replica.generate(scenario, seed, reference_data()[0])
    return _frame_of_rows(scenario, seed, rows, truth)


def simulated_survey(scenario: dict, seed: int) -> tuple[AnalysisFrame, pd.DataFrame]:
    """The analysis frame of ``synthetic:<scenario>:<seed>`` (as :func:`analysis_frame`, without the truth JSON) and
    every frame municipality's items before unit and item non-response (``synth.simulate_with_frame``): what the
    truth of a claim on one simulated frame is computed from."""
    ((_, rows, complete),) = list(replica.simulate_with_frame(scenario, [seed], reference_data()[0]))
    return _frame_of_rows(scenario, seed, rows), complete
