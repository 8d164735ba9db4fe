"""The 2020 frame: every register municipality joined with its survey answers, and the county rows apart.

:func:`build_frame` takes a survey that :func:`vsr_analysis.data.survey_file.load_survey` has validated and the
register (:func:`vsr_analysis.data.register.load_register`); :func:`county_rows` picks the county authorities.
:mod:`vsr_analysis.data.analysis_frame` adds the analysis columns and weights on top.
"""

from __future__ import annotations

import pandas as pd

__all__ = ["build_frame", "county_rows"]


def county_rows(survey_df: pd.DataFrame) -> pd.DataFrame:
    """The county-authority rows of a loaded survey (``unit_type == "county"``), never pooled with municipalities."""
    if "unit_type" not in survey_df.columns:
        return survey_df.iloc[0:0].reset_index(drop=True)
    mask = (survey_df["unit_type"] == "county").fillna(False).astype(bool)
    return survey_df.loc[mask].reset_index(drop=True)


def build_frame(survey_df: pd.DataFrame, register_df: pd.DataFrame) -> pd.DataFrame:
    """The whole 2020 frame: every register municipality (respondent or not) with its survey answers.

    A left join of the register onto the survey's municipality rows on ``knr`` (register order kept), plus
    ``responded`` (bool).  County rows are left out (see :func:`county_rows`).  A register column whose name is
    also a survey item (``network_ks``: the public KS-network list vs. the self-reported answer) is renamed
    ``<name>_register`` so that the survey item keeps its codebook name.
    """
    if "knr" not in survey_df.columns or "knr" not in register_df.columns:
        raise ValueError("both the survey and the register need a 'knr' column")
    if "unit_type" in survey_df.columns:
        is_muni = survey_df["unit_type"].isna() | (survey_df["unit_type"] == "municipality")
        muni = survey_df.loc[is_muni.astype(bool)]
    else:
        muni = survey_df
    muni = muni.drop(columns=[c for c in ("unit_type",) if c in muni.columns])
    muni = muni.assign(knr=muni["knr"].astype("str"))
    dupes = sorted(set(muni.loc[muni["knr"].duplicated(), "knr"]))
    if dupes:
        raise ValueError(f"duplicate knr in the survey: {', '.join(dupes)}")
    reg = register_df.assign(knr=register_df["knr"].astype("str"))
    unknown = sorted(set(muni["knr"]) - set(reg["knr"]))
    if unknown:
        raise ValueError(f"survey knr not in the register (validate the file first): {', '.join(unknown)}")
    items = [c for c in muni.columns if c != "knr"]
    clash = {c: f"{c}_register" for c in items if c in reg.columns}
    reg = reg.rename(columns=clash)
    frame = reg.merge(muni, on="knr", how="left", validate="one_to_one", sort=False)
    frame["responded"] = frame["knr"].isin(set(muni["knr"])).astype(bool)
    return frame.reset_index(drop=True)
