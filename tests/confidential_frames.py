"""A survey file as a confidential run's chapters see it: the analysis frame of a (changed) replica, weighted, with
``synthetic=False`` so that every disclosure rule applies. Shared by the disclosure tests."""

from __future__ import annotations

import pandas as pd

from vsr_analysis.data.analysis_frame import AnalysisFrame, add_analysis_columns
from vsr_analysis.data.frame import build_frame, county_rows
from vsr_analysis.data.register import load_register
from vsr_analysis.stats.frame_weights import add_weights


def confidential_frame(survey: pd.DataFrame, name: str = "planted.csv") -> AnalysisFrame:
    data = AnalysisFrame(
        spec=f"file:{name}:0", frame=add_analysis_columns(build_frame(survey, load_register())),
        counties=county_rows(survey), synthetic=False,
    )  # fmt: skip
    add_weights(data)
    return data
