"""The analysis frame every notebook works on: register + survey + analysis columns + weights.

:func:`vsr_analysis.loading.load_frame` returns all 356 municipalities of the 2020 frame (respondents and non-respondents), so
that weights can be computed against the whole frame, plus the county authorities separately.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from vsr_analysis.data.survey_spec import parse_spec

#: Raking margins (pre-specified): size band, centrality class with classes 1-2 pooled (class 1 has only six
#: municipalities, too few to hold its own margin among respondents), and recent merger.
RAKING_MARGINS = ("size_band", "centrality_group", "merged_2017_2020")

#: The pre-specified rule when the respondents cannot meet every margin (a margin cell without respondents is
#: first merged with its neighbour; if raking still cannot converge, e.g. because a whole county with its own
#: mix of sizes and mergers is missing): margins are dropped one at a time in this order until raking converges.
#: Size band, along which response varies most, is dropped last; with no margin left every respondent gets the
#: same weight (frame / respondents).
MARGIN_DROP_ORDER = ("merged_2017_2020", "centrality_group", "size_band")


@dataclass
class AnalysisFrame:
    spec: str
    frame: pd.DataFrame  # all 356 municipalities
    counties: pd.DataFrame  # county-authority respondents
    synthetic: bool
    truth: dict | None = None
    weight_info: dict = field(default_factory=dict)

    @property
    def respondents(self) -> pd.DataFrame:
        return self.frame[self.frame["responded"]].copy()

    @property
    def confidential(self) -> bool:
        return not self.synthetic


def add_analysis_columns(frame: pd.DataFrame) -> pd.DataFrame:
    """Derived covariates with the names used by models, claims and the synthetic truth."""
    out = frame.copy()
    out["log_population"] = np.log(out["population_2021"].astype(float))
    out["centrality"] = out["centrality_score"].astype(float) / 100.0
    out["central"] = (out["centrality_class"] <= 2).astype(int)
    out["centrality_group"] = out["centrality_class"].clip(lower=2).astype(int)
    # The register's KS-network flag is renamed network_ks_register by data.frame.build_frame, because the
    # survey has its own self-reported item network_ks.
    ks = out["network_ks_register"] if "network_ks_register" in out else out["network_ks"]
    out["network_register"] = ((ks == 1) | (out["network_u4ssc"] == 1)).astype(int)
    median = float(out["population_2021"].median())
    out["above_median_population"] = (out["population_2021"] > median).astype(int)
    return out


def read_frame(spec: str, path: Path) -> AnalysisFrame:
    """Read the survey file ``path`` named by ``spec``, validate it and join it to the register (no weights: they
    are added by :func:`vsr_analysis.stats.frame_weights.add_weights`; :func:`vsr_analysis.loading.load_frame`
    makes the file, reads it and weights it)."""
    from vsr_analysis.data.frame import build_frame, county_rows
    from vsr_analysis.data.register import load_register
    from vsr_analysis.data.survey_file import load_survey

    parts = parse_spec(spec)
    survey = load_survey(path)
    register = load_register()
    frame = add_analysis_columns(build_frame(survey.data, register))
    counties = county_rows(survey.data)
    truth = None
    if parts["kind"] == "synthetic":
        truth_path = path.with_name(path.stem + ".truth.json")
        if truth_path.is_file():
            truth = json.loads(truth_path.read_text(encoding="utf-8"))
    return AnalysisFrame(spec=spec, frame=frame, counties=counties, synthetic=parts["kind"] == "synthetic", truth=truth)
