"""Scenario files of the synthetic replica: ``data/scenarios/<name>.yml`` read, merged and validated.

A scenario states every assumption of the simulated survey (:mod:`vsr_analysis.synth.model`) with its value,
reason and sources, plus the targets a generated file is checked against.  ``extends`` merges a scenario onto
another.  Also here: the fixed vocabulary of the replica (covariates, stages, items) and the tables the
synthetic-replica chapter shows (:func:`assumptions_table`, :func:`sources_table`).
"""

from __future__ import annotations

import copy
import hashlib
import math
from typing import Any

import pandas as pd
import yaml

from vsr_analysis import paths
from vsr_analysis.data.codebook import ladder_components
from vsr_analysis.data.yaml_text import parse_yaml
from vsr_analysis.synth.claim_truth import validate_statements

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
#: The four structural covariates of the primary group-comparison model (``political_anchoring`` is the anchoring claim's).
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

# ---------------------------------------------------------------------------------------------------------
# What a scenario file holds

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
    "response": ("maturity_stage",),  # log-odds of answering per maturity stage: response not at random
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

#: Statistics a ``share`` target may name: name -> (column, which answers count).
SHARE_STATISTICS: dict[str, tuple[str, Any]] = {
    **{f"stage_ge{k}": ("maturity_stage", (lambda v, k=k: v >= k)) for k in range(1, N_STAGES)},
    **{f"stage_eq{k}": ("maturity_stage", (lambda v, k=k: v == k)) for k in range(N_STAGES)},
    **{item: (item, (lambda v: v == 1)) for item in (*COMPONENT_ITEMS, "network_member", *BARRIER_ITEMS)},
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
        doc = parse_yaml(raw)
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
        ceiling_steps(maturity["ceiling"]["value"])
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
            if target["kind"] == "share" and target.get("statistic") not in SHARE_STATISTICS:
                raise ScenarioError(f"{file}: targets.{name}.statistic must be one of {sorted(SHARE_STATISTICS)}")
        else:  # count_at_top
            below = target.get("population_below")
            if below != "median" and not isinstance(below, int):
                raise ScenarioError(f"{file}: targets.{name}.population_below must be 'median' or an integer")
            if target.get("min_stage") not in range(1, N_STAGES):
                raise ScenarioError(f"{file}: targets.{name}.min_stage must be 1..5")
            if not any(isinstance(target.get(b), int) for b in ("min", "max")):
                raise ScenarioError(f"{file}: targets.{name} needs an integer 'min' and/or 'max' (expected count)")


def ceiling_steps(value: Any) -> list[dict[str, int]]:
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


def value_of(item: dict) -> Any:
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
                "value": fmt_value(value),
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


def fmt_value(value: Any) -> str:
    if value is None:
        return "none"
    if isinstance(value, dict):
        return ", ".join(f"{k}: {fmt_value(v)}" for k, v in value.items())
    if isinstance(value, list):
        return "[" + ", ".join(fmt_value(v) for v in value) + "]"
    if isinstance(value, float):
        return f"{value:g}"
    return str(value)
