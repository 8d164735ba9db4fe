"""The derived register tables of ``data/register/`` as every analysis reads them.

The files are made by ``vsr register build`` (:mod:`vsr_analysis.ssb.register_build`) from Statistics Norway's
raw exports; this module only knows their names, columns and types, so that an analysis never imports the
build code.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from pathlib import Path

import pandas as pd

from vsr_analysis import paths

REGISTER_FILE = "municipalities_2020.csv"
REGISTER_2024_FILE = "municipalities_2024.csv"
CODE_MAP_FILE = "knr_2020_2024.csv"
HISTORY_FILE = "knr_history_2013_2020.csv"
NETWORKS_FILE = "networks.csv"
README_FILE = "README.md"
MANIFEST_FILE = "MANIFEST.sha256"

REGISTER_COLUMNS: tuple[str, ...] = (
    "knr",
    "name",
    "county_code",
    "county",
    "population_2020",
    "population_2021",
    "centrality_score",
    "centrality_class",
    "merged_2017_2020",
    "n_pre_reform",
    "merged_from",
    "area_km2",
    "population_density",
    "size_band",
    "network_ks",
    "network_u4ssc",
    "knr_2024",
)
REGISTER_INT_COLUMNS = (
    "population_2020",
    "population_2021",
    "centrality_score",
    "centrality_class",
    "merged_2017_2020",
    "n_pre_reform",
    "network_ks",
    "network_u4ssc",
)
REGISTER_FLOAT_COLUMNS = ("area_km2", "population_density")
#: Columns that may be empty: ``merged_from`` is empty for a municipality that was not merged.
REGISTER_OPTIONAL_COLUMNS = ("merged_from",)

REGISTER_2024_COLUMNS: tuple[str, ...] = (
    "knr",
    "name",
    "county_code",
    "county",
    "population_2024",
    "centrality_score_2024version",
    "centrality_class_2024version",
)
HISTORY_COLUMNS = ("old_knr", "old_name", "new_knr", "new_name", "split")
CODE_MAP_COLUMNS = ("knr_2020", "knr_2024")
NETWORKS_COLUMNS = ("knr", "name", "network", "source")


# ---------------------------------------------------------------------------------------------------------
# Loaders
# ---------------------------------------------------------------------------------------------------------


def _read(path: Path, int_cols: Sequence[str] = (), float_cols: Sequence[str] = ()) -> pd.DataFrame:
    df = pd.read_csv(path, dtype=str, keep_default_na=False, encoding="utf-8")
    for c in int_cols:
        df[c] = df[c].astype("int64")
    for c in float_cols:
        df[c] = df[c].astype("float64")
    return df


def load_register(path: str | os.PathLike | None = None) -> pd.DataFrame:
    """The 2020 register (356 rows): ``knr``/``county_code`` as strings, counts and 0/1 flags as int64,
    ``area_km2``/``population_density`` as float64; ``merged_from`` is ``""`` when not merged."""
    path = paths.register_dir() / REGISTER_FILE if path is None else Path(path)
    return _read(path, REGISTER_INT_COLUMNS, REGISTER_FLOAT_COLUMNS)


def load_register_2024(path: str | os.PathLike | None = None) -> pd.DataFrame:
    """The 2024 structure (357 rows)."""
    path = paths.register_dir() / REGISTER_2024_FILE if path is None else Path(path)
    return _read(path, ("population_2024", "centrality_score_2024version", "centrality_class_2024version"))


def load_code_map_2020_2024(path: str | os.PathLike | None = None) -> pd.DataFrame:
    """``knr_2020, knr_2024`` pairs (a 2020 code split in 2024 has one row per successor)."""
    path = paths.register_dir() / CODE_MAP_FILE if path is None else Path(path)
    return _read(path)


def load_knr_history(path: str | os.PathLike | None = None) -> pd.DataFrame:
    """``old_knr, old_name, new_knr, new_name, split``: 2013-2019 codes that are not 2020 codes -> 2020 code(s)."""
    path = paths.register_dir() / HISTORY_FILE if path is None else Path(path)
    return _read(path, ("split",))


def load_networks(path: str | os.PathLike | None = None) -> pd.DataFrame:
    """``knr, name, network, source`` (``network`` is ``ks`` or ``u4ssc``)."""
    path = paths.register_dir() / NETWORKS_FILE if path is None else Path(path)
    return _read(path)


def county_names_2020(path: str | os.PathLike | None = None) -> dict[str, str]:
    """2-digit 2020 county code -> county name (11 counties: 03, 11, 15, 18, 30, 34, 38, 42, 46, 50, 54)."""
    reg = load_register(path)
    pairs = reg[["county_code", "county"]].drop_duplicates().sort_values("county_code")
    if pairs["county_code"].duplicated().any():
        raise ValueError("a county code has more than one name in the register")
    return dict(zip(pairs["county_code"], pairs["county"]))
