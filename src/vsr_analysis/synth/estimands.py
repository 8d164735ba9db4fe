"""Expected shares under a scenario's generating model, for any declared outcome (no claim is named here).

A share claim declares its outcome in ``claims.yml`` (an item, ``item >= min_stage``, any of several items, a
domain); ``vsr_analysis.simulate.truth`` passes those fields here and compares the expectation with the claim's
level.  The expectation is over the frame: the mean over municipalities of each one's probability under the
model (``synth.model``), or for the county authorities the generating probability of one county authority
(``synth.county.expected_county_shares``).  An outcome this module cannot compute from the model gets ``None``
(the claim's truth is then the scenario's statement, if any).
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from vsr_analysis.synth.county import expected_county_shares
from vsr_analysis.synth.scenario import BARRIER_ITEMS, COMPONENT_ITEMS, N_STAGES, load_scenario
from vsr_analysis.synth.simulation import scenario_model

STAGE_ITEM = "maturity_stage"


_MODELS: dict[str, object] = {}


def _model(sc: dict):
    """The scenario's model on the 2020 register, kept per scenario checksum (the truth of every seed reads it)."""
    key = sc.get("_sha256")
    if key is None:
        return scenario_model(sc)
    if key not in _MODELS:
        if len(_MODELS) >= 16:
            _MODELS.clear()
        _MODELS[key] = scenario_model(sc)
    return _MODELS[key]


def _stage_probs(model) -> np.ndarray:
    return np.asarray(model.stage_probs, dtype=float)


def _unit_probability(probs: dict, item: str | None, min_stage: int | None, any_of: Sequence[str]):
    """Per-unit probability of the outcome (None when the model does not give it)."""
    if any_of:
        # the barriers are drawn independently of each other (synth.simulation), so P(any) = 1 - prod(1 - p)
        if not all(i in BARRIER_ITEMS and i in probs for i in any_of):
            return None
        return 1 - np.prod([1 - np.asarray(probs[i], dtype=float) for i in any_of], axis=0)
    if item == STAGE_ITEM:
        if min_stage is None or not 0 <= min_stage < N_STAGES:
            return None
        key = f"stage_ge{min_stage}"
        return np.asarray(probs[key], dtype=float) if min_stage > 0 else np.ones_like(probs["stage_ge1"])
    if item in probs and min_stage is None:
        return np.asarray(probs[item], dtype=float)
    return None


def expected_share(
    scenario: str | dict,
    *,
    item: str | None = None,
    min_stage: int | None = None,
    any_of: Sequence[str] = (),
    domain: str | None = None,
    units: str = "municipalities",
) -> float | None:
    """The expected share of the outcome among ``units`` under ``scenario`` (None: not computable from the model).

    A ``domain`` (share among the units with a component item of the ladder) is supported for an outcome on the
    stage: the item is present with probability 1 - e from its lowest stage on and e below (e the inconsistency
    rate), as the generator draws it without item noise; the share is P(outcome and domain) / P(domain) summed
    over the frame.
    """
    sc = load_scenario(scenario) if isinstance(scenario, str) else scenario
    if units == "county_authorities":
        return _expected_county(sc, item, min_stage, any_of, domain)
    model = _model(sc)
    probs = model.item_probs()
    if domain is None:
        p = _unit_probability(probs, item, min_stage, any_of)
        return None if p is None else round(float(np.mean(p)), 6)
    if item != STAGE_ITEM or min_stage is None or domain not in COMPONENT_ITEMS or domain == "measures_progress":
        return None
    ps = _stage_probs(model)
    eps = float(sc["components"]["inconsistency_rate"]["value"])
    stages = np.arange(N_STAGES)
    p_domain = np.where(stages >= COMPONENT_ITEMS[domain], 1 - eps, eps)
    both = (ps * p_domain * (stages >= min_stage)).sum()
    return round(float(both / (ps * p_domain).sum()), 6)


def _expected_county(sc: dict, item, min_stage, any_of, domain) -> float | None:
    shares = expected_county_shares(sc)
    if domain is not None:
        return None
    if any_of:
        if not all(i in BARRIER_ITEMS for i in any_of):
            return None
        return round(float(1 - np.prod([1 - shares[i] for i in any_of])), 6)
    if item == STAGE_ITEM and min_stage is not None:
        return round(float(sum(shares[f"stage_eq{k}"] for k in range(min_stage, N_STAGES))), 6)
    if item in shares and min_stage is None:
        return shares[item]
    return None


def expected_stage_shares(scenario: str | dict, units: str = "municipalities") -> list[float]:
    """The expected share at each stage of the ladder among ``units``."""
    sc = load_scenario(scenario) if isinstance(scenario, str) else scenario
    if units == "county_authorities":
        shares = expected_county_shares(sc)
        return [shares[f"stage_eq{k}"] for k in range(N_STAGES)]
    return [round(float(s), 6) for s in _stage_probs(_model(sc)).mean(axis=0)]


def generating_coefficients(scenario: str | dict) -> dict[str, float]:
    """The coefficients of the model that draws the stages, by covariate."""
    sc = load_scenario(scenario) if isinstance(scenario, str) else scenario
    return dict(_model(sc).beta)


def stage_ceiling(scenario: str | dict, min_stage: int) -> tuple[float | None, float]:
    """(the population below which no municipality reaches ``min_stage``, None when no ceiling stops it; the frame's
    median population)."""
    sc = load_scenario(scenario) if isinstance(scenario, str) else scenario
    model = _model(sc)
    caps = [step["population_below"] for step in model.ceiling if step["max_stage"] < min_stage]
    return (max(caps) if caps else None), float(model.median_population)
