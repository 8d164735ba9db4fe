"""The synthetic replica: scenario YAML -> a simulated survey file for the real 356 municipalities + its truth.

The real 2021 survey file is confidential, so the book's default build runs on a *simulated* survey file with a
known generating model.  Everything simulated here is an assumption stated, with its reason and sources, in a
scenario file ``data/scenarios/<name>.yml``; the register covariates (population, centrality, merger, the KS
network list) are the real ones from :func:`vsr_analysis.data.register.load_register`.

Generating model (one draw per municipality of the frame, respondent or not, so the random streams do not
depend on who responds):

1. **Unit non-response.**  ``logit P(respond) = a + g1*log_population + g2*centrality``.  The intercept ``a`` is
   found numerically (deterministically) so that the *expected* response rate over the frame equals the
   scenario's target.  Non-response depends only on register covariates that are also in the maturity
   model, so it is ignorable for that model: the coefficients of the ordinal model fitted on respondents are
   the true ones (selection on the covariates does not change the conditional distribution of the outcome).
2. **Network membership** from the real KS network list (listed -> member with high probability) plus other
   municipalities with a probability rising with size; the three network items are made consistent with it.
3. **Political anchoring** (Likert 1-5) from an ordered logit in size and network membership, cut-points
   calibrated to a stated marginal distribution.
4. **Latent maturity** ``y* = x'beta + e``, ``e ~ Logistic(0, 1)``, with ``x`` = (``log_population`` = ln
   population_2021, ``centrality`` = centrality_score/100, ``merged_2017_2020``, ``network_member``,
   ``political_anchoring``); stage ``k`` when ``zeta_k-1 < y* <= zeta_k``, i.e. ``P(Y <= k) = F(zeta_k - x'beta)``
   (no intercept; the convention of ``statsmodels`` ``OrderedModel`` and R ``MASS::polr``).  The thresholds
   are found numerically so that the expected stage distribution among respondents equals the scenario's
   stated distribution.  An optional ceiling censors the stage of municipalities below a population threshold.
5. Component items, administrative anchoring, cooperation with the county, barriers and priority goals from
   the stage and the register, then item non-response (missing completely at random, stated rates).
6. Eleven county-authority rows (``unit_type=county``) from their own stated distributions
   (:mod:`vsr_analysis.synth.county`, which also writes their truth).

An optional ceiling (``maturity.ceiling``: one ``{population_below, max_stage}`` step or a list of steps) caps
the stage of municipalities below a population threshold; the thresholds are still solved on the *uncensored*
latent, so a ceiling moves the would-be top stages of small municipalities down to ``max_stage``.

Same scenario and seed give a byte-identical CSV and truth JSON; :func:`ensure` regenerates a file only when
the scenario file(s), this module's source or the package version changed.
"""

from __future__ import annotations

import argparse
import copy
import functools
import hashlib
import json
import math
import os
import sys
import tempfile
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import yaml
from scipy.optimize import brentq
from scipy.special import expit, logit

from vsr_analysis import __version__, paths
from vsr_analysis.data.codebook import ladder_components
from vsr_analysis.synth.claim_truth import claim_truth, expected_values, validate_statements

# ---------------------------------------------------------------------------------------------------------
# Fixed vocabulary

#: Covariates of the latent maturity model, by the column names the analysis frame uses.
COVARIATES: tuple[str, ...] = (
    "log_population",
    "centrality",
    "merged_2017_2020",
    "network_member",
    "political_anchoring",
)
#: The four structural covariates of the primary F3 model (``political_anchoring`` is F1's).
PRIMARY_COVARIATES: tuple[str, ...] = COVARIATES[:4]
N_STAGES = 6  # maturity_stage 0..5
COMPONENT_ITEMS: dict[str, int] = ladder_components()  # item -> lowest stage at which the ladder implies it
BARRIER_ITEMS: tuple[str, ...] = (
    "barrier_capacity",
    "barrier_competence",
    "barrier_methods_tools",
    "barrier_political_ownership",
    "barrier_national_guidance",
    "barrier_funding",
    "barrier_policy_coherence",
)
NETWORK_ITEMS: tuple[str, ...] = ("network_member", "network_ks", "network_regional", "network_international")
PRIORITY_ITEMS: tuple[str, ...] = ("priority_sdg_1", "priority_sdg_2", "priority_sdg_3")
#: The 11 county authorities of 2020-2023 by their 2-digit county code (Oslo is both municipality and county).
COUNTY_CODES: tuple[str, ...] = ("03", "11", "15", "18", "30", "34", "38", "42", "46", "50", "54")
#: County authorities in the KS sustainability network (Møre og Romsdal, Viken, Trøndelag; naturpress.no 2020).
KS_NETWORK_COUNTIES: frozenset[str] = frozenset({"15", "30", "50"})

#: Items this generator writes (the CSV's columns follow the codebook's order).
GENERATED_ITEMS: tuple[str, ...] = (
    "knr",
    "unit_type",
    "maturity_stage",
    *COMPONENT_ITEMS,
    "political_anchoring",
    "admin_anchoring",
    *NETWORK_ITEMS,
    "cooperates_with_county",
    *BARRIER_ITEMS,
    *PRIORITY_ITEMS,
)

#: Item non-response is drawn per question block: a skipped question leaves all its items blank.
NONRESPONSE_BLOCKS: dict[str, tuple[str, ...]] = {
    "maturity_stage": ("maturity_stage",),
    **{item: (item,) for item in COMPONENT_ITEMS},
    "political_anchoring": ("political_anchoring",),
    "admin_anchoring": ("admin_anchoring",),
    "networks": NETWORK_ITEMS,
    "cooperates_with_county": ("cooperates_with_county",),
    "barriers": BARRIER_ITEMS,
    "priorities": PRIORITY_ITEMS,
}

# Random streams, spawned from default_rng(seed) in this fixed order (append only, never reorder).
_STREAMS = (
    "response",
    "network",
    "anchoring",
    "maturity",
    "components",
    "admin",
    "cooperation",
    "barriers",
    "priorities",
    "item_nonresponse",
    "counties",
)

_REQUIRED_SECTIONS = (
    "name",
    "title",
    "summary",
    "sources",
    "response",
    "network",
    "anchoring",
    "maturity",
    "components",
    "cooperation",
    "barriers",
    "priorities",
    "item_nonresponse",
    "counties",
    "targets",
)
_ASSUMPTION_KEYS: dict[str, tuple[str, ...]] = {
    "response": ("target_rate", "log_population", "centrality", "county_rate"),
    "network": (
        "ks_listed_member",
        "other_at_median",
        "other_log_population",
        "ks_listed_regional",
        "other_regional",
        "international_at_median",
        "international_log_population",
    ),
    "anchoring": (
        "political_distribution",
        "political_log_population",
        "political_network",
        "admin_political",
        "admin_stage",
        "admin_cuts",
    ),
    "components": ("inconsistency_rate", "measures_progress_at_stage_4"),
    "cooperation": ("at_median_stage", "regional_network", "stage"),
    "item_nonresponse": ("maturity_stage", "other_blocks"),
    "counties": ("stage_distribution", "political_distribution", "international", "cooperates_with_county"),
}
#: Optional assumptions a scenario may state (validated like the required ones when present); without
#: them the replica behaves as before.
_OPTIONAL_ASSUMPTION_KEYS: dict[str, tuple[str, ...]] = {
    "item_nonresponse": ("size_dependent",),
    "components": ("item_noise",),
}
_PROBABILITIES = {  # assumption values that must be probabilities in [0, 1]
    "response": ("target_rate", "county_rate"),
    "network": (
        "ks_listed_member",
        "other_at_median",
        "ks_listed_regional",
        "other_regional",
        "international_at_median",
    ),
    "components": ("inconsistency_rate", "measures_progress_at_stage_4"),
    "cooperation": ("at_median_stage",),
    "item_nonresponse": ("maturity_stage", "other_blocks"),
    "counties": ("international",),
}
_TARGET_KINDS = ("share", "response_rate", "count_at_top")
_TARGET_KEYS = {
    "share": {"kind", "statistic", "low", "high", "reason", "sources"},
    "response_rate": {"kind", "low", "high", "reason", "sources"},
    "count_at_top": {"kind", "population_below", "min_stage", "min", "max", "reason", "sources"},
}


class ScenarioError(ValueError):
    """A scenario file is missing, unknown or malformed (the message names the file and key)."""


# ---------------------------------------------------------------------------------------------------------
# Scenarios


def available_scenarios() -> list[str]:
    """Names of the scenario files in ``data/scenarios/``."""
    return sorted(p.stem for p in paths.scenarios_dir().glob("*.yml"))


def _deep_merge(base: dict, override: dict) -> dict:
    out = copy.deepcopy(base)
    for key, value in override.items():
        # an assumption or target (a mapping with a reason) is replaced as a whole; sections are merged
        if isinstance(value, dict) and isinstance(out.get(key), dict) and "reason" not in value:
            out[key] = _deep_merge(out[key], value)
        else:
            out[key] = copy.deepcopy(value)
    return out


def _read_yaml(name: str, chain: tuple[str, ...] = ()) -> tuple[dict, list[bytes]]:
    path = paths.scenarios_dir() / f"{name}.yml"
    if not path.is_file():
        available = available_scenarios()
        raise ScenarioError(f"unknown scenario {name!r}; available scenarios: {', '.join(available) or 'none'}")
    if name in chain:
        raise ScenarioError(f"{path}: circular 'extends' ({' -> '.join((*chain, name))})")
    raw = path.read_bytes()
    try:
        doc = yaml.safe_load(raw)
    except yaml.YAMLError as exc:
        raise ScenarioError(f"{path}: not valid YAML: {exc}") from None
    if not isinstance(doc, dict):
        raise ScenarioError(f"{path}: the top level must be a mapping")
    blobs = [raw]
    parent = doc.pop("extends", None)
    if parent is not None:
        base, parent_blobs = _read_yaml(str(parent), (*chain, name))
        doc = _deep_merge(base, doc)
        blobs = parent_blobs + blobs
    return doc, blobs


def _check_assumption(where: str, item: Any, sources: dict, need_value: bool = True) -> None:
    if not isinstance(item, dict):
        raise ScenarioError(f"{where}: expected a mapping with value, reason and sources")
    if need_value and "value" not in item:
        raise ScenarioError(f"{where}: missing 'value'")
    reason = item.get("reason")
    if not isinstance(reason, str) or not reason.strip():
        raise ScenarioError(f"{where}: every assumption needs a non-empty 'reason'")
    srcs = item.get("sources")
    if not isinstance(srcs, list) or not srcs:
        raise ScenarioError(f"{where}: every assumption needs a non-empty list of 'sources'")
    unknown = [s for s in srcs if s not in sources]
    if unknown:
        raise ScenarioError(f"{where}: unknown source id(s) {unknown}; declare them under 'sources'")


def _check_distribution(where: str, values: Any, length: int) -> None:
    if not isinstance(values, list) or len(values) != length:
        raise ScenarioError(f"{where}: expected a list of {length} probabilities")
    if any(not isinstance(v, (int, float)) or v < 0 for v in values) or abs(sum(values) - 1) > 1e-9:
        raise ScenarioError(f"{where}: probabilities must be >= 0 and sum to 1 (sum {sum(values)!r})")


def _validate(doc: dict, file: str) -> None:
    missing = [k for k in _REQUIRED_SECTIONS if k not in doc]
    if missing:
        raise ScenarioError(f"{file}: missing top-level key(s) {missing}")
    unknown = sorted(set(doc) - set(_REQUIRED_SECTIONS) - {"claims"})  # claims: optional, see claim_truth
    if unknown:
        raise ScenarioError(f"{file}: unknown top-level key(s) {unknown}")
    sources = doc["sources"]
    if not isinstance(sources, dict) or not sources:
        raise ScenarioError(f"{file}: 'sources' must map source ids to citations")
    for section, keys in _ASSUMPTION_KEYS.items():
        block = doc[section]
        if not isinstance(block, dict):
            raise ScenarioError(f"{file}: '{section}' must be a mapping")
        for key in keys:
            if key not in block:
                raise ScenarioError(f"{file}: missing '{section}.{key}'")
            _check_assumption(f"{file}: {section}.{key}", block[key], sources)
        optional = [k for k in _OPTIONAL_ASSUMPTION_KEYS.get(section, ()) if k in block]
        for key in optional:
            _check_assumption(f"{file}: {section}.{key}", block[key], sources)
        unknown = sorted(set(block) - set(keys) - set(optional))
        if unknown:
            raise ScenarioError(f"{file}: unknown key(s) in '{section}': {unknown}")
        for key in (*keys, *optional):
            value = block[key]["value"]
            if key in _PROBABILITIES.get(section, ()):
                if not isinstance(value, (int, float)) or isinstance(value, bool) or not 0 <= value <= 1:
                    raise ScenarioError(f"{file}: {section}.{key}.value must be a probability in [0, 1]")
            elif isinstance(value, (int, float)) and not math.isfinite(value):
                raise ScenarioError(f"{file}: {section}.{key}.value must be finite")
    if not 0 < doc["response"]["target_rate"]["value"] < 1:
        raise ScenarioError(f"{file}: response.target_rate.value must lie strictly between 0 and 1")
    maturity = doc["maturity"]
    for key in ("coefficients", "stage_distribution", "ceiling"):
        if key not in maturity:
            raise ScenarioError(f"{file}: missing 'maturity.{key}'")
    if set(maturity) - {"coefficients", "stage_distribution", "ceiling"}:
        raise ScenarioError(
            f"{file}: unknown key(s) in 'maturity': "
            f"{sorted(set(maturity) - {'coefficients', 'stage_distribution', 'ceiling'})}"
        )
    coefs = maturity["coefficients"]
    if not isinstance(coefs, dict) or set(coefs) != set(COVARIATES):
        raise ScenarioError(f"{file}: maturity.coefficients must have exactly {list(COVARIATES)}")
    for name in COVARIATES:
        _check_assumption(f"{file}: maturity.coefficients.{name}", coefs[name], sources)
        if not isinstance(coefs[name]["value"], (int, float)):
            raise ScenarioError(f"{file}: maturity.coefficients.{name}.value must be a number")
    _check_assumption(f"{file}: maturity.stage_distribution", maturity["stage_distribution"], sources)
    _check_distribution(f"{file}: maturity.stage_distribution", maturity["stage_distribution"]["value"], N_STAGES)
    _check_assumption(f"{file}: maturity.ceiling", maturity["ceiling"], sources)
    try:
        _ceiling_steps(maturity["ceiling"]["value"])
    except ValueError as exc:
        raise ScenarioError(f"{file}: maturity.ceiling.value: {exc}") from None
    for section, key, length in (
        ("anchoring", "political_distribution", 5),
        ("counties", "stage_distribution", N_STAGES),
        ("counties", "political_distribution", 5),
    ):
        _check_distribution(f"{file}: {section}.{key}", doc[section][key]["value"], length)
    cuts = doc["anchoring"]["admin_cuts"]["value"]
    if not isinstance(cuts, list) or len(cuts) != 4 or sorted(cuts) != cuts:
        raise ScenarioError(f"{file}: anchoring.admin_cuts.value must be 4 increasing numbers")
    barriers = doc["barriers"]
    if not isinstance(barriers, dict) or set(barriers) != set(BARRIER_ITEMS):
        raise ScenarioError(f"{file}: 'barriers' must have exactly {list(BARRIER_ITEMS)}")
    for name in BARRIER_ITEMS:
        _check_assumption(f"{file}: barriers.{name}", barriers[name], sources, need_value=False)
        for key in ("rate_at_median", "log_population", "county_rate"):
            if not isinstance(barriers[name].get(key), (int, float)):
                raise ScenarioError(f"{file}: barriers.{name}.{key} must be a number")
    _check_assumption(f"{file}: priorities.weights", doc["priorities"].get("weights"), sources)
    weights = doc["priorities"]["weights"]["value"]
    if not isinstance(weights, dict) or sorted(weights) != list(range(1, 18)) or min(weights.values()) <= 0:
        raise ScenarioError(f"{file}: priorities.weights.value must give a positive weight to each goal 1..17")
    targets = doc["targets"]
    if not isinstance(targets, dict) or not targets:
        raise ScenarioError(f"{file}: 'targets' must be a non-empty mapping")
    for name, target in targets.items():
        _check_assumption(f"{file}: targets.{name}", target, sources, need_value=False)
        if target.get("kind") not in _TARGET_KINDS:
            raise ScenarioError(f"{file}: targets.{name}.kind must be one of {_TARGET_KINDS}")
        extra = sorted(set(target) - _TARGET_KEYS[target["kind"]])
        if extra:
            raise ScenarioError(f"{file}: unknown key(s) in targets.{name}: {extra}")
        if target["kind"] in ("share", "response_rate"):
            if not (0 <= target.get("low", -1) <= target.get("high", -1) <= 1):
                raise ScenarioError(f"{file}: targets.{name} needs 0 <= low <= high <= 1")
            if target["kind"] == "share" and target.get("statistic") not in _SHARE_STATISTICS:
                raise ScenarioError(f"{file}: targets.{name}.statistic must be one of {sorted(_SHARE_STATISTICS)}")
        else:  # count_at_top
            below = target.get("population_below")
            if below != "median" and not isinstance(below, int):
                raise ScenarioError(f"{file}: targets.{name}.population_below must be 'median' or an integer")
            if target.get("min_stage") not in range(1, N_STAGES):
                raise ScenarioError(f"{file}: targets.{name}.min_stage must be 1..5")
            if not any(isinstance(target.get(b), int) for b in ("min", "max")):
                raise ScenarioError(f"{file}: targets.{name} needs an integer 'min' and/or 'max' (expected count)")


def _ceiling_steps(value: Any) -> list[dict[str, int]]:
    """``null`` | ``{population_below, max_stage}`` | a list of those -> list of steps (sorted by threshold)."""
    if value is None:
        return []
    steps = value if isinstance(value, list) else [value]
    out = []
    for step in steps:
        if (
            not isinstance(step, dict)
            or set(step) != {"population_below", "max_stage"}
            or not isinstance(step["population_below"], int)
            or isinstance(step["population_below"], bool)
            or step["max_stage"] not in range(N_STAGES - 1)
        ):
            raise ValueError("expected null, {population_below: <int>, max_stage: <0..4>}, or a list of them")
        out.append({"population_below": int(step["population_below"]), "max_stage": int(step["max_stage"])})
    return sorted(out, key=lambda st: (st["population_below"], st["max_stage"]))


def load_scenario(name: str) -> dict:
    """Load and validate ``data/scenarios/<name>.yml`` (following ``extends``).

    Raises :class:`ScenarioError` (a ``ValueError``) for an unknown name, listing the available scenarios, and
    for a malformed file, naming the file and the key.  The returned dict carries ``_sha256``: a checksum of
    the scenario file and the files it extends.
    """
    if not isinstance(name, str) or not name:
        raise ScenarioError(f"scenario name must be a non-empty string, got {name!r}")
    doc, blobs = _read_yaml(name)
    file = str(paths.scenarios_dir() / f"{name}.yml")
    if doc.get("name") != name:
        raise ScenarioError(f"{file}: 'name' is {doc.get('name')!r}, expected {name!r} (the file's stem)")
    _validate(doc, file)
    try:
        validate_statements(doc, file)
    except ValueError as exc:
        raise ScenarioError(str(exc)) from None
    digest = hashlib.sha256()
    for blob in blobs:
        digest.update(hashlib.sha256(blob).digest())
    doc["_sha256"] = digest.hexdigest()
    return doc


def _v(item: dict) -> Any:
    return item["value"]


def assumptions_table(scenario: str | dict) -> pd.DataFrame:
    """Every assumption of a scenario as rows: section, assumption, value, reason, sources (ids, see
    :func:`sources_table`)."""
    sc = load_scenario(scenario) if isinstance(scenario, str) else scenario
    rows = []

    def add(section: str, key: str, item: dict, value: Any = None) -> None:
        value = item.get("value") if value is None else value
        rows.append(
            {
                "section": section,
                "assumption": key,
                "value": _fmt(value),
                "reason": " ".join(item["reason"].split()),
                "sources": ", ".join(item["sources"]),
            }
        )

    for section in ("response", "network", "anchoring"):
        for key in _ASSUMPTION_KEYS[section]:
            add(section, key, sc[section][key])
    for key in COVARIATES:
        add("maturity coefficient", key, sc["maturity"]["coefficients"][key])
    add("maturity", "stage_distribution (respondents)", sc["maturity"]["stage_distribution"])
    add("maturity", "ceiling", sc["maturity"]["ceiling"])
    for section in ("components", "cooperation"):
        for key in (*_ASSUMPTION_KEYS[section], *_OPTIONAL_ASSUMPTION_KEYS.get(section, ())):
            if key in sc[section]:
                add(section, key, sc[section][key])
    for key in BARRIER_ITEMS:
        b = sc["barriers"][key]
        add(
            "barriers",
            key,
            b,
            {
                "rate_at_median": b["rate_at_median"],
                "log_population": b["log_population"],
                "county_rate": b["county_rate"],
            },
        )
    add("priorities", "weights", sc["priorities"]["weights"])
    for section in ("item_nonresponse", "counties"):
        for key in _ASSUMPTION_KEYS[section]:
            add(section, key, sc[section][key])
    return pd.DataFrame(rows)


def sources_table(scenario: str | dict) -> pd.DataFrame:
    """The scenario's source ids with their citations."""
    sc = load_scenario(scenario) if isinstance(scenario, str) else scenario
    return pd.DataFrame([{"source": k, "citation": " ".join(str(v).split())} for k, v in sc["sources"].items()])


def _fmt(value: Any) -> str:
    if value is None:
        return "none"
    if isinstance(value, dict):
        return ", ".join(f"{k}: {_fmt(v)}" for k, v in value.items())
    if isinstance(value, list):
        return "[" + ", ".join(_fmt(v) for v in value) + "]"
    if isinstance(value, float):
        return f"{value:g}"
    return str(value)


# ---------------------------------------------------------------------------------------------------------
# Survey spec


def parse_spec(spec: str) -> tuple[str, int]:
    """``"synthetic:<scenario>:<seed>"`` -> ``(scenario, seed)``; ``ValueError`` for anything else.

    The grammar of survey specs lives in ``data.survey_spec.parse_spec``; this adds that the spec must be synthetic and
    that the seed must fit numpy's seed range.
    """
    from vsr_analysis.data.survey_spec import SourceError
    from vsr_analysis.data.survey_spec import parse_spec as parse_survey_spec

    if not isinstance(spec, str):
        raise ValueError(f"survey spec must be a string like 'synthetic:vsr-narrative:2021', got {spec!r}")
    try:
        parts = parse_survey_spec(spec)
    except SourceError as exc:
        raise ValueError(str(exc)) from None
    if parts["kind"] != "synthetic":
        raise ValueError(f"survey spec {spec!r} is not of the form 'synthetic:<scenario>:<seed>'")
    seed = int(parts["seed"])
    if seed >= 2**32:
        raise ValueError(f"survey spec {spec!r}: seed must lie in 0 .. 2**32-1")
    return parts["scenario"], seed


# ---------------------------------------------------------------------------------------------------------
# The frame and the calibrated model


def _frame(frame: pd.DataFrame | None) -> pd.DataFrame:
    if frame is None:
        from vsr_analysis.data.register import load_register

        frame = load_register()
    need = [
        "knr",
        "county_code",
        "population_2021",
        "centrality_score",
        "centrality_class",
        "merged_2017_2020",
        "network_ks",
        "network_u4ssc",
    ]
    missing = [c for c in need if c not in frame.columns]
    if missing:
        raise ValueError(f"register frame lacks column(s) {missing}")
    out = frame[need].copy()
    out["knr"] = out["knr"].astype(str)
    out = out.sort_values("knr", kind="mergesort").reset_index(drop=True)
    if out["knr"].duplicated().any():
        raise ValueError("register frame has duplicate knr")
    return out


def covariates(frame: pd.DataFrame) -> pd.DataFrame:
    """The register part of the model's covariates, exactly as the analysis defines them."""
    return pd.DataFrame(
        {
            "log_population": np.log(frame["population_2021"].to_numpy(dtype=float)),
            "centrality": frame["centrality_score"].to_numpy(dtype=float) / 100.0,
            "merged_2017_2020": frame["merged_2017_2020"].astype(int).to_numpy(dtype=float),
        }
    )


def _round(x: float) -> float:
    """Round solved parameters to 10 significant digits: the value used is the value reported."""
    return float(f"{x:.10g}")


def _ordered_probs(eta: np.ndarray, cuts: np.ndarray) -> np.ndarray:
    """P(Y = k) for an ordered logit with P(Y <= k) = F(cut_k - eta); shape eta.shape + (len(cuts)+1,)."""
    cum = expit(cuts - eta[..., None])
    cum = np.concatenate([np.zeros(eta.shape + (1,)), cum, np.ones(eta.shape + (1,))], axis=-1)
    return np.diff(cum, axis=-1)


def _solve_cuts(eta: np.ndarray, weights: np.ndarray, target: list[float]) -> np.ndarray:
    """Cut-points with sum(weights * P(Y <= k)) / sum(weights) = cumulative target (weights broadcast to eta)."""
    total = weights.sum()
    cum_target = np.cumsum(target)[:-1]
    cuts = []
    for c in cum_target:

        def gap(z: float, c: float = c) -> float:
            return float((weights * expit(z - eta)).sum() / total - c)

        cuts.append(_round(brentq(gap, -60.0, 60.0, xtol=1e-13, rtol=1e-13, maxiter=500)))
    return np.array(cuts)


class _Model:
    """The scenario's generating model calibrated on a frame: every solved number lives here."""

    def __init__(self, sc: dict, frame: pd.DataFrame):
        self.sc = sc
        self.frame = frame
        x = covariates(frame)
        self.log_pop = x["log_population"].to_numpy()
        self.centrality = x["centrality"].to_numpy()
        self.merged = x["merged_2017_2020"].to_numpy()
        self.population = frame["population_2021"].to_numpy(dtype=float)
        self.median_population = float(np.median(self.population))
        self.ln_median = math.log(self.median_population)
        self.ks = frame["network_ks"].astype(int).to_numpy() == 1
        self.u4ssc = frame["network_u4ssc"].astype(int).to_numpy() == 1
        n = len(frame)

        # 1. response: solve the intercept so the expected frame response rate is the target
        r = sc["response"]
        self.g_logpop, self.g_cent = float(_v(r["log_population"])), float(_v(r["centrality"]))
        slope = self.g_logpop * self.log_pop + self.g_cent * self.centrality
        target = float(_v(r["target_rate"]))
        self.response_intercept = _round(
            brentq(lambda a: float(expit(a + slope).mean() - target), -80, 80, xtol=1e-13, rtol=1e-13, maxiter=500)
        )
        self.p_respond = expit(self.response_intercept + slope)

        # 2. network membership
        nw = sc["network"]
        p_other = expit(
            logit(_v(nw["other_at_median"])) + _v(nw["other_log_population"]) * (self.log_pop - self.ln_median)
        )
        self.p_network = np.where(self.ks, float(_v(nw["ks_listed_member"])), p_other)

        # 3. political anchoring: cuts calibrated on the frame to the stated marginal distribution
        an = sc["anchoring"]
        self.a_logpop, self.a_net = float(_v(an["political_log_population"])), float(_v(an["political_network"]))
        eta_a = self.a_logpop * (self.log_pop - self.ln_median)[:, None] + self.a_net * np.array([0.0, 1.0])[None, :]
        w_net = np.stack([1 - self.p_network, self.p_network], axis=1)  # (n, 2)
        self.anchoring_cuts = _solve_cuts(eta_a, w_net, _v(an["political_distribution"]))
        p_anch = _ordered_probs(eta_a, self.anchoring_cuts)  # (n, 2, 5)

        # 4. maturity: atoms over (network 0/1) x (anchoring 1..5) per municipality
        co = sc["maturity"]["coefficients"]
        self.beta = {k: float(_v(co[k])) for k in COVARIATES}
        base = (
            self.beta["log_population"] * self.log_pop
            + self.beta["centrality"] * self.centrality
            + self.beta["merged_2017_2020"] * self.merged
        )
        self.atom_eta = (
            base[:, None, None]
            + self.beta["network_member"] * np.array([0.0, 1.0])[None, :, None]
            + self.beta["political_anchoring"] * np.arange(1, 6)[None, None, :]
        )  # (n, 2, 5)
        self.atom_w = w_net[:, :, None] * p_anch  # (n, 2, 5), sums to 1 per municipality
        # thresholds calibrated on the uncensored latent, among respondents (weights = response probability)
        self.thresholds = _solve_cuts(
            self.atom_eta, self.atom_w * self.p_respond[:, None, None], _v(sc["maturity"]["stage_distribution"])
        )
        # ceiling: the highest stage each municipality can reach (5 = no ceiling)
        self.ceiling = _ceiling_steps(_v(sc["maturity"]["ceiling"]))
        self.max_stage = np.full(n, N_STAGES - 1)
        for step in self.ceiling:
            below = self.population < step["population_below"]
            self.max_stage = np.where(below, np.minimum(self.max_stage, step["max_stage"]), self.max_stage)
        # the population below which stage >= 4 cannot be reached (the F4-relevant threshold), if any
        top = [st["population_below"] for st in self.ceiling if st["max_stage"] <= 3]
        self.ceiling_threshold = max(top) if top else None
        self.stage_probs = self._stage_probs()

    def _stage_probs(self) -> np.ndarray:
        """P(stage = k) per municipality (n, 6), integrated over network and anchoring, ceiling applied."""
        p = (self.atom_w[..., None] * _ordered_probs(self.atom_eta, self.thresholds)).sum(axis=(1, 2))
        # censoring: the mass above a municipality's maximum stage piles up at that stage
        k = np.arange(N_STAGES)[None, :]
        cap = self.max_stage[:, None]
        above = np.where(k > cap, p, 0.0).sum(axis=1, keepdims=True)
        return np.where(k > cap, 0.0, p) + np.where(k == cap, above, 0.0)

    # expected per-municipality probabilities of the items, for expected marginals
    def item_probs(self) -> dict[str, np.ndarray]:
        sc, ps = self.sc, self.stage_probs
        eps = float(_v(sc["components"]["inconsistency_rate"]))
        q4 = float(_v(sc["components"]["measures_progress_at_stage_4"]))
        out: dict[str, np.ndarray] = {}
        for k in range(1, N_STAGES):
            out[f"stage_ge{k}"] = ps[:, k:].sum(axis=1)
        for k in range(N_STAGES):
            out[f"stage_eq{k}"] = ps[:, k]
        noise = item_noise(sc)
        for item, lowest in COMPONENT_ITEMS.items():
            if noise:
                base, stage4_without = self._noisy_item_probs(lowest, noise)
            else:
                base, stage4_without = ps[:, lowest:].sum(axis=1), ps[:, 4]
            if item == "measures_progress":
                base = base + q4 * stage4_without
            out[item] = base * (1 - eps) + (1 - base) * eps
        out["network_member"] = self.p_network
        for name in BARRIER_ITEMS:
            out[name] = self.barrier_probs(name)
        return out

    def _noisy_item_probs(self, lowest: int, noise: float, nodes: int = 48) -> tuple[np.ndarray, np.ndarray]:
        """P(item present) and P(stage 4 and item absent) per municipality when the item has its own noise.

        The item is present when latent + noise * e > zeta_{lowest-1} (e standard logistic, independent of the
        latent's error u) and the ceiling allows the stage; integrated over u and e by midpoint quantile nodes.
        """
        q = (np.arange(nodes) + 0.5) / nodes
        nodes_l = np.log(q / (1 - q))  # logistic quantiles
        zeta = self.thresholds
        lat = self.atom_eta[..., None] + nodes_l  # (n, 2, 5, K): latent at each node of u
        st = (lat[..., None] > zeta).sum(axis=-1)  # stage at each node (uncensored)
        st = np.minimum(st, self.max_stage[:, None, None, None])
        allowed = (lowest <= self.max_stage)[:, None, None, None]
        # P(item | u) = P(e > (zeta - latent) / noise) = F((latent - zeta) / noise)
        p_item = expit((lat - zeta[lowest - 1]) / noise) * allowed
        w = self.atom_w[..., None] / nodes
        present = (w * p_item).sum(axis=(1, 2, 3))
        stage4_without = (w * (st == 4) * (1 - p_item)).sum(axis=(1, 2, 3))
        return present, stage4_without

    def barrier_probs(self, name: str) -> np.ndarray:
        b = self.sc["barriers"][name]
        return expit(logit(b["rate_at_median"]) + b["log_population"] * (self.log_pop - self.ln_median))

    def expected_marginals(self) -> dict[str, dict[str, float]]:
        probs = self.item_probs()
        w = self.p_respond / self.p_respond.sum()
        return {
            "respondents": {k: round(float((w * v).sum()), 6) for k, v in probs.items()},
            "frame": {k: round(float(v.mean()), 6) for k, v in probs.items()},
        }

    def expected_count(self, mask: np.ndarray, min_stage: int = 4) -> float:
        """Expected number of *responding* municipalities in ``mask`` at stage >= min_stage."""
        return float((self.p_respond * self.stage_probs[:, min_stage:].sum(axis=1))[mask].sum())


# ---------------------------------------------------------------------------------------------------------
# Generation


def _stage_from_latent(latent: np.ndarray, thresholds: np.ndarray) -> np.ndarray:
    # stage k when zeta_{k-1} < y* <= zeta_k  <=>  k = #{j: zeta_j < y*}
    return (latent[:, None] > thresholds[None, :]).sum(axis=1)


def _draw_ordinal(rng: np.random.Generator, eta: np.ndarray, cuts: np.ndarray) -> np.ndarray:
    return _stage_from_latent(eta + rng.logistic(size=eta.shape), np.asarray(cuts, dtype=float))


def item_noise(sc: dict) -> float:
    """The scale of each component item's own logistic noise around the latent maturity (0: none)."""
    item = sc["components"].get("item_noise")
    return float(_v(item)) if item else 0.0


def _components(
    rng: np.random.Generator,
    stage: np.ndarray,
    sc: dict,
    latent: np.ndarray | None = None,
    thresholds: np.ndarray | None = None,
    max_stage: np.ndarray | None = None,
) -> dict[str, np.ndarray]:
    """Component items: by the stage (the ladder's definition), or - when the scenario sets ``item_noise`` and
    the latent is given - each from the latent maturity plus its own noise, so that an item can disagree with
    the self-classified stage for a reason of its own; then flipped with the inconsistency rate."""
    eps = float(_v(sc["components"]["inconsistency_rate"]))
    q4 = float(_v(sc["components"]["measures_progress_at_stage_4"]))
    n = len(stage)
    u_extra = rng.random(n)
    flips = rng.random((n, len(COMPONENT_ITEMS))) < eps
    noise = item_noise(sc) if latent is not None else 0.0
    own = rng.logistic(size=(n, len(COMPONENT_ITEMS))) if noise else None
    out = {}
    for j, (item, lowest) in enumerate(COMPONENT_ITEMS.items()):
        base = stage >= lowest
        if own is not None:
            base = (latent + noise * own[:, j] > thresholds[lowest - 1]) & (lowest <= max_stage)
        if item == "measures_progress":
            base = base | ((stage == 4) & (u_extra < q4))
        out[item] = (base ^ flips[:, j]).astype(int)
    return out


def _admin(rng: np.random.Generator, political: np.ndarray, stage: np.ndarray, sc: dict) -> np.ndarray:
    an = sc["anchoring"]
    eta = _v(an["admin_political"]) * (political - 3.0) + _v(an["admin_stage"]) * (stage - 2.5)
    return 1 + _draw_ordinal(rng, eta.astype(float), np.array(_v(an["admin_cuts"]), dtype=float))


def _priorities(rng: np.random.Generator, n: int, sc: dict) -> np.ndarray:
    weights = sc["priorities"]["weights"]["value"]
    logw = np.log(np.array([weights[g] for g in range(1, 18)], dtype=float))
    # Gumbel top-3: three distinct goals, drawn without replacement with probability proportional to weight
    keys = logw[None, :] + rng.gumbel(size=(n, 17))
    return np.argsort(-keys, axis=1, kind="stable")[:, :3] + 1


def _size_dependent_missingness(gi: np.random.Generator, rows: pd.DataFrame, inr: dict, model, stage) -> None:
    """Optional (``item_nonresponse.size_dependent``): items skipped more often by small, less mature units.

    ``value``: ``items`` (names), ``rate_at_median`` (probability at the median size and stage 2.5),
    ``log_population`` and ``stage`` (log-odds slopes).  Missing at random given size and stage, which are
    observed, so complete-case estimates are biased when the stage or size matters and multiple imputation that
    conditions on them is not.  Drawn after every other stream, so scenarios without it are unchanged.
    """
    if "size_dependent" not in inr:
        return
    cfg = _v(inr["size_dependent"])
    n_muni = len(stage)
    eta = (
        logit(float(cfg["rate_at_median"]))
        + float(cfg["log_population"]) * (model.log_pop - model.ln_median)
        + float(cfg["stage"]) * (stage - 2.5)
    )
    p = np.concatenate([expit(eta), np.zeros(len(rows) - n_muni)])
    mask = gi.random(len(rows)) < p
    for item in cfg["items"]:
        rows.loc[mask, item] = pd.NA


def _generate(
    sc: dict, seed: int, frame: pd.DataFrame, model: _Model | None = None, with_truth: bool = True
) -> tuple[pd.DataFrame, dict, _Model]:
    if not isinstance(seed, (int, np.integer)) or isinstance(seed, bool) or not 0 <= int(seed) < 2**32:
        raise ValueError(f"seed must be a whole number in 0 .. 2**32-1, got {seed!r}")
    seed = int(seed)
    model = model if model is not None else _Model(sc, frame)
    streams = dict(zip(_STREAMS, np.random.default_rng(seed).spawn(len(_STREAMS)), strict=True))
    n = len(frame)
    nw = sc["network"]

    # 1. unit response
    responded = streams["response"].random(n) < model.p_respond

    # 2. networks
    g = streams["network"]
    u_member, u_regional, u_international = g.random(n), g.random(n), g.random(n)
    member = u_member < model.p_network
    p_regional = np.where(model.ks, _v(nw["ks_listed_regional"]), _v(nw["other_regional"]))
    regional = member & (u_regional < p_regional)
    p_int = expit(
        logit(_v(nw["international_at_median"]))
        + _v(nw["international_log_population"]) * (model.log_pop - model.ln_median)
    )
    international = member & (model.u4ssc | (u_international < p_int))
    ks_item = member & model.ks
    # a member reports at least one network: otherwise the regional one (the commonest kind)
    regional = regional | (member & ~ks_item & ~international)

    # 3. political anchoring
    eta_a = model.a_logpop * (model.log_pop - model.ln_median) + model.a_net * member
    political = 1 + _draw_ordinal(streams["anchoring"], eta_a, model.anchoring_cuts)

    # 4. maturity
    x = {
        "log_population": model.log_pop,
        "centrality": model.centrality,
        "merged_2017_2020": model.merged,
        "network_member": member.astype(float),
        "political_anchoring": political.astype(float),
    }
    eta = sum(model.beta[k] * x[k] for k in COVARIATES)
    latent = eta + streams["maturity"].logistic(size=n)
    stage = _stage_from_latent(latent, model.thresholds)
    stage = np.minimum(stage, model.max_stage)  # the ceiling, if any (max_stage = 5 otherwise)

    # 5. the other items
    comps = _components(streams["components"], stage, sc, latent, model.thresholds, model.max_stage)
    admin = _admin(streams["admin"], political, stage, sc)
    coop_cfg = sc["cooperation"]
    p_coop = expit(
        logit(_v(coop_cfg["at_median_stage"]))
        + _v(coop_cfg["regional_network"]) * regional
        + _v(coop_cfg["stage"]) * (stage - 2.5)
    )
    cooperates = streams["cooperation"].random(n) < p_coop
    gb = streams["barriers"]
    barriers = {name: gb.random(n) < model.barrier_probs(name) for name in BARRIER_ITEMS}
    prios = _priorities(streams["priorities"], n, sc)

    muni = pd.DataFrame(
        {
            "knr": frame["knr"].to_numpy(),
            "unit_type": "municipality",
            "maturity_stage": stage,
            **comps,
            "political_anchoring": political,
            "admin_anchoring": admin,
            "network_member": member.astype(int),
            "network_ks": ks_item.astype(int),
            "network_regional": regional.astype(int),
            "network_international": international.astype(int),
            "cooperates_with_county": cooperates.astype(int),
            **{k: v.astype(int) for k, v in barriers.items()},
            **{name: prios[:, j] for j, name in enumerate(PRIORITY_ITEMS)},
        }
    )

    # 6. county authorities (synth/county.py)
    from vsr_analysis.synth.county import generate_counties

    counties, county_responded = generate_counties(streams["counties"], sc)

    # item non-response (MCAR, per question block), drawn for every row so the streams stay fixed
    rows = _to_nullable(pd.concat([muni, counties], ignore_index=True))
    gi = streams["item_nonresponse"]
    inr = sc["item_nonresponse"]
    for block, items in NONRESPONSE_BLOCKS.items():
        rate = _v(inr["maturity_stage"]) if block == "maturity_stage" else _v(inr["other_blocks"])
        mask = gi.random(len(rows)) < rate
        for item in items:
            rows.loc[mask, item] = pd.NA
    _size_dependent_missingness(gi, rows, inr, model, stage)
    # "works with the county authority" does not apply to a county authority: not asked
    rows.loc[(rows["unit_type"] == "county").to_numpy(), "cooperates_with_county"] = pd.NA
    keep = np.concatenate([responded, county_responded])
    out = rows.loc[keep].reset_index(drop=True)

    full = {"stage": stage, "responded": responded, "member": member, "political": political, "latent": latent}
    full.update(
        measures_progress=comps["measures_progress"], components=comps, barriers=barriers
    )  # components: for claim_truth
    if not with_truth:  # simulate_with_frame: the complete items of every frame municipality instead
        return out, {"municipalities": muni, "responded": responded}, model
    truth = _truth(sc, seed, model, out, full)
    return out, truth, model


def _to_nullable(df: pd.DataFrame) -> pd.DataFrame:
    out = {}
    for col in df.columns:
        if col in ("knr", "unit_type"):
            out[col] = df[col].astype("string")
        else:
            out[col] = df[col].astype("Int64")
    return pd.DataFrame(out)


def _truth(sc: dict, seed: int, model: _Model, out: pd.DataFrame, full: dict) -> dict:
    frame = model.frame
    stage = full["stage"]
    responded = full["responded"]
    small = model.population < model.median_population
    peripheral = frame["centrality_class"].astype(int).to_numpy() >= 5  # SSB centrality classes 5-6 (score < 670)
    muni_rows = out[out["unit_type"] == "municipality"]
    observed_stage = muni_rows.set_index("knr")["maturity_stage"]

    def listed(mask: np.ndarray) -> list[str]:
        knr = frame["knr"].to_numpy()[mask & responded & (stage >= 4)]
        return [k for k in knr if not pd.isna(observed_stage.get(k, pd.NA))]

    ceiling = model.ceiling
    n_muni = int(responded.sum())
    expected = model.expected_marginals()
    realised = marginal_statistics(out)
    truth = {
        "scenario": sc["name"],
        "seed": seed,
        "package_version": __version__,
        "scenario_sha256": sc["_sha256"],
        "generator_sha256": generator_sha256(),
        "simulated": True,
        "warning": "SIMULATED DATA: says nothing about real municipalities' answers.",
        "model": {
            "family": "ordered logit (proportional odds), logistic latent error",
            "convention": (
                "P(Y <= k) = F(zeta_k - x'beta), F logistic, no intercept (statsmodels OrderedModel, R MASS::polr)"
            ),
            "covariates": {
                "log_population": "ln(population_2021)",
                "centrality": "centrality_score / 100 (SSB index 2020)",
                "merged_2017_2020": "register: formed by a merger 2017-2020 (0/1)",
                "network_member": "survey item network_member (0/1)",
                "political_anchoring": "survey item political_anchoring (Likert 1-5, used as a number)",
            },
        },
        "coefficients": {k: model.beta[k] for k in COVARIATES},
        "thresholds": {f"{k}/{k + 1}": float(z) for k, z in enumerate(model.thresholds)},
        "ceiling": ceiling or None,
        "ceiling_threshold": model.ceiling_threshold,
        "response_model": {
            "formula": (
                "logit P(respond) = intercept + log_population * ln(population_2021) "
                "+ centrality * centrality_score / 100"
            ),
            "intercept": model.response_intercept,
            "log_population": model.g_logpop,
            "centrality": model.g_cent,
            "target_rate": float(_v(sc["response"]["target_rate"])),
            "expected_rate": _round(float(model.p_respond.mean())),
            "realised_rate": _round(n_muni / len(frame)),
            "n_frame": len(frame),
            "n_respondents": n_muni,
            "county_rate": float(_v(sc["response"]["county_rate"])),
            "n_county_respondents": int((out["unit_type"] == "county").sum()),
            "ignorable_for_maturity_model": True,
        },
        "component_items": {
            "model": (
                "item present when latent + item_noise * e > the threshold of the item's lowest stage (e standard "
                "logistic, one per item), then flipped with probability inconsistency_rate"
                if item_noise(sc)
                else "item present when the stage reaches the item's lowest stage, then flipped with probability "
                "inconsistency_rate"
            ),
            "item_noise": item_noise(sc),
            "inconsistency_rate": float(_v(sc["components"]["inconsistency_rate"])),
            "lowest_stage": dict(COMPONENT_ITEMS),
        },
        "anchoring_cuts": [float(z) for z in model.anchoring_cuts],
        "expected_marginals": expected,
        "realised_marginals": {k: (None if v[0] is None else round(v[0], 6)) for k, v in realised.items()},
        "frame_median_population": model.median_population,
        "small_at_stage_ge4": {
            "definition": "respondents with population_2021 below the frame median and maturity_stage >= 4",
            "expected_count": _round(model.expected_count(small)),
            "knr": listed(small),
        },
        "small_peripheral_at_stage_ge4": {
            "definition": (
                "respondents below the frame median population and in SSB centrality class 5-6 "
                "(index below 670), at maturity_stage >= 4"
            ),
            "expected_count": _round(model.expected_count(small & peripheral)),
            "knr": listed(small & peripheral),
        },
    }
    truth["claims"] = claim_truth(sc, model, full)  # what the scenario makes true for each claim
    truth["claims_expected"] = expected_values(model)  # the model quantities the claims are about
    if ceiling:
        truth["ceiling_violations"] = int((stage > model.max_stage).sum())  # always 0: a check, not a parameter
    from vsr_analysis.synth.county import county_truth
    from vsr_analysis.synth.share_truth import f9_f10_truth

    truth["counties"] = county_truth(sc, out)
    truth.update(f9_f10_truth(model, full))
    return truth


def marginal_statistics(survey: pd.DataFrame) -> dict[str, tuple[float | None, int]]:
    """Shares among responding *municipalities* (non-missing answers): name -> (estimate, n)."""
    m = survey[survey["unit_type"].astype(str) == "municipality"] if "unit_type" in survey else survey
    out: dict[str, tuple[float | None, int]] = {}
    for name, (col, fn) in _SHARE_STATISTICS.items():
        if col not in m:
            continue
        values = m[col].dropna().astype(int).to_numpy()
        out[name] = (float(fn(values).mean()) if len(values) else None, int(len(values)))
    return out


_SHARE_STATISTICS: dict[str, tuple[str, Any]] = {
    **{f"stage_ge{k}": ("maturity_stage", (lambda v, k=k: v >= k)) for k in range(1, N_STAGES)},
    **{f"stage_eq{k}": ("maturity_stage", (lambda v, k=k: v == k)) for k in range(N_STAGES)},
    **{item: (item, (lambda v: v == 1)) for item in (*COMPONENT_ITEMS, "network_member", *BARRIER_ITEMS)},
}


def targets_table(
    scenario: str | dict, rows: pd.DataFrame, truth: dict, frame: pd.DataFrame | None = None, alpha: float = 0.01
) -> pd.DataFrame:
    """The scenario's targets against one generated file.

    For each target: the stated range (``low``-``high``; ``min``/``max`` for counts), the model's ``expected``
    value, the ``realised`` value in ``rows`` and its ``n``, and ``margin``: the sampling margin
    ``z * SE`` with the binomial SE ``sqrt(p (1 - p) / n)`` at the nearest point of the target range (for counts
    the Poisson-binomial SD of the count from the model).  ``z`` is two-sided with a Bonferroni split of
    ``alpha`` over the targets.  ``within`` = the realised value lies in the range widened by the margin;
    ``expected_within`` = the model's expected value lies in the (unwidened) range, a calibration check.
    """
    from scipy.stats import norm

    sc = load_scenario(scenario) if isinstance(scenario, str) else scenario
    fr = _frame(frame)
    model = _Model(sc, fr)
    targets = sc["targets"]
    z = float(norm.ppf(1 - alpha / (2 * len(targets))))
    stats = marginal_statistics(rows)
    muni = rows[rows["unit_type"].astype(str) == "municipality"]
    pop = dict(zip(fr["knr"], model.population))
    out = []
    for name, t in targets.items():
        kind = t["kind"]
        rec: dict[str, Any] = {"target": name, "kind": kind, "statistic": t.get("statistic", kind)}
        if kind in ("share", "response_rate"):
            if kind == "share":
                realised, n = stats[t["statistic"]]
                expected = truth["expected_marginals"]["respondents"][t["statistic"]]
            else:
                rm = truth["response_model"]
                realised, n, expected = rm["realised_rate"], rm["n_frame"], rm["expected_rate"]
            p_star = min(max(realised, t["low"]), t["high"])
            margin = z * math.sqrt(p_star * (1 - p_star) / n) if n else float("inf")
            rec.update(
                low=t["low"],
                high=t["high"],
                expected=expected,
                realised=realised,
                n=n,
                margin=margin,
                within=t["low"] - margin <= realised <= t["high"] + margin,
                expected_within=t["low"] <= expected <= t["high"],
            )
        else:
            below = model.median_population if t["population_below"] == "median" else t["population_below"]
            mask = model.population < below
            p_top = model.p_respond * model.stage_probs[:, t["min_stage"] :].sum(axis=1)
            expected = float(p_top[mask].sum())
            sd = float(math.sqrt((p_top * (1 - p_top))[mask].sum()))
            stage = muni["maturity_stage"]
            realised = int(
                sum(
                    1
                    for k, st in zip(muni["knr"], stage)
                    if not pd.isna(st) and int(st) >= t["min_stage"] and pop[str(k)] < below
                )
            )
            lo, hi = t.get("min"), t.get("max")
            margin = z * sd
            ok = (lo is None or realised >= lo - margin) and (hi is None or realised <= hi + margin)
            rec.update(
                low=lo,
                high=hi,
                expected=round(expected, 6),
                realised=realised,
                n=int(mask.sum()),
                margin=margin,
                within=bool(ok),
                expected_within=(lo is None or expected >= lo) and (hi is None or expected <= hi),
            )
        rec["reason"] = " ".join(t["reason"].split())
        rec["sources"] = ", ".join(t["sources"])
        out.append(rec)
    return pd.DataFrame(out)


def truth_vs_estimates(fit: Any, truth: dict, terms: Sequence[str] | None = None) -> pd.DataFrame:
    """A fitted ordinal model's coefficients next to the true ones: term, truth, estimate, se, CI, covered."""
    table = fit.coef_table().set_index("term")
    terms = [t for t in (terms or COVARIATES) if t in table.index]
    rows = []
    for term in terms:
        true = truth["coefficients"][term]
        r = table.loc[term]
        rows.append(
            {
                "term": term,
                "truth": true,
                "estimate": float(r["estimate"]),
                "se": float(r["se"]),
                "ci_low": float(r["ci_low"]),
                "ci_high": float(r["ci_high"]),
                "covered": bool(r["ci_low"] <= true <= r["ci_high"]),
            }
        )
    return pd.DataFrame(rows)


def generate(scenario: str | dict, seed: int, frame: pd.DataFrame | None = None) -> tuple[pd.DataFrame, dict]:
    """Simulate one survey: (rows in the instrument's format, truth dict).

    ``scenario`` is a scenario name (or a dict from :func:`load_scenario`); ``frame`` defaults to
    :func:`vsr_analysis.data.register.load_register` (the real 2020 frame of 356 municipalities).  Rows are the
    responding municipalities sorted by ``knr``, then the responding county authorities; columns follow the
    codebook's order; items are nullable integers (``<NA>`` = item not answered).
    """
    sc = load_scenario(scenario) if isinstance(scenario, str) else scenario
    rows, truth, _ = _generate(sc, seed, _frame(frame))
    return rows[column_order()], truth


def simulate_with_frame(scenario: str | dict, seeds, frame: pd.DataFrame | None = None):
    """SIMULATED DATA, for coverage studies: for each seed yield ``(seed, rows, complete)``.

    ``rows`` is what :func:`generate` returns for that seed (same values); ``complete`` holds every frame
    municipality's items *before* unit and item non-response, plus ``responded`` - the finite-population
    truth an interval should cover.  The calibrated model is built once for all seeds.
    """
    sc = load_scenario(scenario) if isinstance(scenario, str) else scenario
    fr = _frame(frame)
    model = _Model(sc, fr)
    for seed in seeds:
        rows, full, _ = _generate(sc, seed, fr, model=model, with_truth=False)
        complete = full["municipalities"].assign(responded=full["responded"])
        yield int(seed), rows[column_order()], complete


def column_order() -> list[str]:
    """The generated items in the codebook's order (items the codebook lacks would be a contract break)."""
    path = paths.codebook_path()
    try:
        st = path.stat()
        key = (str(path), st.st_mtime_ns, st.st_size)
    except OSError:
        key = (str(path), None, None)
    return list(_column_order_cached(key))


@functools.lru_cache(maxsize=4)
def _column_order_cached(key: tuple) -> tuple[str, ...]:
    from vsr_analysis.data.codebook import load_codebook

    names = _codebook_item_names(load_codebook())
    missing = [i for i in GENERATED_ITEMS if i not in names]
    if missing:
        raise RuntimeError(f"codebook lacks item(s) the synthetic replica writes: {missing}")
    return tuple(n for n in names if n in GENERATED_ITEMS)


def _codebook_item_names(codebook: Any) -> list[str]:
    items = getattr(codebook, "items", None)
    if items is None and isinstance(codebook, dict):
        items = codebook.get("items")
    if isinstance(items, dict):
        return list(items)
    names = []
    for item in items or []:
        name = getattr(item, "name", None)
        if name is None and isinstance(item, dict):
            name = item.get("name")
        names.append(name)
    return names


# ---------------------------------------------------------------------------------------------------------
# Files


def to_csv_bytes(rows: pd.DataFrame) -> bytes:
    """UTF-8, comma, '\\n', integers as integers, blank for missing."""
    return rows.to_csv(index=False, lineterminator="\n", na_rep="").encode("utf-8")


def _atomic_write(path: Path, data: bytes) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
        os.replace(tmp, path)
    except BaseException:
        try:
            os.unlink(tmp)
        except FileNotFoundError:
            pass
        raise


def truth_path(csv_path: Path) -> Path:
    """``<stem>.truth.json`` beside the survey file."""
    csv_path = Path(csv_path)
    return csv_path.with_name(f"{csv_path.stem}.truth.json")


def default_path(scenario: str, seed: int) -> Path:
    return paths.synthetic_dir() / f"{scenario}-{seed}.csv"


def write(scenario: str, seed: int, out: str | os.PathLike | None = None, frame: pd.DataFrame | None = None) -> Path:
    """Generate and write the survey CSV and ``<stem>.truth.json`` (each atomically); return the CSV path."""
    sc = load_scenario(scenario) if isinstance(scenario, str) else scenario
    rows, truth = generate(sc, seed, frame)
    path = Path(out) if out is not None else default_path(sc["name"], seed)
    truth_bytes = (json.dumps(truth, indent=2, ensure_ascii=False, allow_nan=False) + "\n").encode("utf-8")
    # truth first: a CSV never exists without its truth
    _atomic_write(truth_path(path), truth_bytes)
    _atomic_write(path, to_csv_bytes(rows))
    return path


def read_truth(csv_path: str | os.PathLike) -> dict:
    return json.loads(truth_path(Path(csv_path)).read_text(encoding="utf-8"))


GENERATOR_SOURCES = ("replica.py", "county.py", "share_truth.py")


def generator_sha256() -> str:
    """sha256 of the generator's sources (this module and the synth modules it calls): a file made by another
    version of the generator is regenerated."""
    here = Path(__file__).parent
    return hashlib.sha256(b"".join((here / name).read_bytes() for name in GENERATOR_SOURCES)).hexdigest()


def ensure(scenario: str, seed: int) -> Path:
    """The default file of ``scenario``/``seed``: reused when it was made from the same scenario file(s),
    generator source and package version, otherwise (re)generated."""
    sc = load_scenario(scenario)
    path = default_path(scenario, seed)
    tpath = truth_path(path)
    if path.is_file() and tpath.is_file():
        try:
            truth = json.loads(tpath.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            truth = {}
        if (
            truth.get("scenario_sha256") == sc["_sha256"]
            and truth.get("package_version") == __version__
            and truth.get("generator_sha256") == generator_sha256()
            and truth.get("seed") == seed
        ):
            return path
    return write(sc, seed)


def cli_synth(args: argparse.Namespace) -> int:
    """``vsr synth``: 0 written, 1 invalid data (register/scenario file), 2 usage (unknown scenario)."""
    scenario = getattr(args, "scenario", None) or "vsr-narrative"
    seed = getattr(args, "seed", None)
    seed = 2021 if seed is None else seed
    if scenario not in available_scenarios():
        print(
            f"vsr synth: error: unknown scenario {scenario!r}; available scenarios: "
            f"{', '.join(available_scenarios()) or 'none'}",
            file=sys.stderr,
        )
        return 2
    try:
        path = write(scenario, seed, getattr(args, "out", None))
    except ScenarioError as exc:
        print(f"vsr synth: error: {exc}", file=sys.stderr)
        return 1
    except ValueError as exc:
        print(f"vsr synth: error: {exc}", file=sys.stderr)
        return 1
    truth = read_truth(path)
    rm = truth["response_model"]
    print(
        f"wrote {path} ({rm['n_respondents']} of {rm['n_frame']} municipalities, "
        f"{rm['n_county_respondents']} county authorities; SIMULATED DATA)"
    )
    print(f"wrote {truth_path(path)} (true parameters)")
    return 0
