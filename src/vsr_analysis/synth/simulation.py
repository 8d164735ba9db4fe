"""One simulated survey of the synthetic replica: the draws of :mod:`vsr_analysis.synth.model` in a fixed order of
random streams, item non-response, the county authorities, and the truth the file was made from.

Same scenario and seed give the same rows and truth (byte-identical files, :mod:`vsr_analysis.synth.files`).
"""

from __future__ import annotations

import functools
import hashlib
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from scipy.special import expit, logit

from vsr_analysis import __version__, paths
from vsr_analysis.synth.claim_truth import claim_truth, expected_values
from vsr_analysis.synth.county import county_truth, generate_counties
from vsr_analysis.synth.model import (
    ScenarioModel,
    draw_admin,
    draw_components,
    draw_ordinal,
    draw_priorities,
    item_noise,
    register_frame,
    round10,
    size_dependent_missingness,
    stage_from_latent,
)
from vsr_analysis.synth.scenario import (
    BARRIER_ITEMS,
    COMPONENT_ITEMS,
    COVARIATES,
    NETWORK_ITEMS,
    PRIORITY_ITEMS,
    load_scenario,
    value_of,
)
from vsr_analysis.synth.share_truth import item_share_truth
from vsr_analysis.synth.targets import marginal_statistics

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


#: The generator's source files (in ``synth/``): everything that decides a replica file's bytes.  Not listed:
#: ``replica.py`` (re-exports only) and ``estimands.py`` (expectations the truth of ``vsr simulate`` reads;
#: nothing of a file).
GENERATOR_SOURCES = (
    "scenario.py",
    "model.py",
    "simulation.py",
    "targets.py",
    "files.py",
    "county.py",
    "share_truth.py",
    "claim_truth.py",
)


def generator_sha256() -> str:
    """sha256 of the generator's sources (:data:`GENERATOR_SOURCES`): a file made by another version of the
    generator is regenerated (:func:`vsr_analysis.synth.files.ensure`)."""
    here = Path(__file__).parent
    return hashlib.sha256(b"".join((here / name).read_bytes() for name in GENERATOR_SOURCES)).hexdigest()


_last_model: tuple = (None, None)


def _cached_model(sc: dict, frame: pd.DataFrame) -> ScenarioModel:
    """The scenario's model for this frame, built once while the same scenario text and frame contents are used.

    A simulation generates hundreds of seeds of one scenario on one frame; building the model (solving the stage
    thresholds, the expected item probabilities) gives the same model every time.  The key is the scenario's
    checksum and a hash of the frame's contents; a scenario without a checksum is never cached.
    """
    global _last_model
    if not sc.get("_sha256"):
        return ScenarioModel(sc, frame)
    frame_hash = hashlib.sha256(pd.util.hash_pandas_object(frame, index=True).to_numpy().tobytes()).hexdigest()
    key = (sc["_sha256"], frame_hash)
    cached_key, model = _last_model
    if cached_key != key:
        model = ScenarioModel(sc, frame)
        _last_model = (key, model)
    return model


def simulate_survey(
    sc: dict, seed: int, frame: pd.DataFrame, model: ScenarioModel | None = None, with_truth: bool = True
) -> tuple[pd.DataFrame, dict, ScenarioModel]:
    if not isinstance(seed, (int, np.integer)) or isinstance(seed, bool) or not 0 <= int(seed) < 2**32:
        raise ValueError(f"seed must be a whole number in 0 .. 2**32-1, got {seed!r}")
    seed = int(seed)
    model = model if model is not None else _cached_model(sc, frame)
    streams = dict(zip(_STREAMS, np.random.default_rng(seed).spawn(len(_STREAMS)), strict=True))
    n = len(frame)
    nw = sc["network"]

    # 1. unit response
    # (drawn first, so the streams are fixed; with a response coefficient on the stage it is compared after the stage)
    u_respond = streams["response"].random(n)
    responded = u_respond < model.p_respond

    # 2. networks
    g = streams["network"]
    u_member, u_regional, u_international = g.random(n), g.random(n), g.random(n)
    member = u_member < model.p_network
    p_regional = np.where(model.ks, value_of(nw["ks_listed_regional"]), value_of(nw["other_regional"]))
    regional = member & (u_regional < p_regional)
    p_int = expit(
        logit(value_of(nw["international_at_median"]))
        + value_of(nw["international_log_population"]) * (model.log_pop - model.ln_median)
    )
    international = member & (model.u4ssc | (u_international < p_int))
    ks_item = member & model.ks
    # a member reports at least one network: otherwise the regional one (the commonest kind)
    regional = regional | (member & ~ks_item & ~international)

    # 3. political anchoring
    eta_a = model.a_logpop * (model.log_pop - model.ln_median) + model.a_net * member
    political = 1 + draw_ordinal(streams["anchoring"], eta_a, model.anchoring_cuts)

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
    stage = stage_from_latent(latent, model.thresholds)
    stage = np.minimum(stage, model.max_stage)  # the ceiling, if any (max_stage = 5 otherwise)
    if model.p_respond_by_stage is not None:  # response not at random: it depends on the realised stage
        responded = u_respond < model.p_respond_by_stage[np.arange(n), stage]

    # 5. the other items
    comps = draw_components(streams["components"], stage, sc, latent, model.thresholds, model.max_stage)
    admin = draw_admin(streams["admin"], political, stage, sc)
    coop_cfg = sc["cooperation"]
    p_coop = expit(
        logit(value_of(coop_cfg["at_median_stage"]))
        + value_of(coop_cfg["regional_network"]) * regional
        + value_of(coop_cfg["stage"]) * (stage - 2.5)
    )
    cooperates = streams["cooperation"].random(n) < p_coop
    gb = streams["barriers"]
    barriers = {name: gb.random(n) < model.barrier_probs(name) for name in BARRIER_ITEMS}
    prios = draw_priorities(streams["priorities"], n, sc)

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
    counties, county_responded = generate_counties(streams["counties"], sc)

    # item non-response (MCAR, per question block), drawn for every row so the streams stay fixed
    rows = to_nullable(pd.concat([muni, counties], ignore_index=True))
    gi = streams["item_nonresponse"]
    inr = sc["item_nonresponse"]
    for block, items in NONRESPONSE_BLOCKS.items():
        rate = value_of(inr["maturity_stage"]) if block == "maturity_stage" else value_of(inr["other_blocks"])
        mask = gi.random(len(rows)) < rate
        for item in items:
            rows.loc[mask, item] = pd.NA
    size_dependent_missingness(gi, rows, inr, model, stage)
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


def to_nullable(df: pd.DataFrame) -> pd.DataFrame:
    out = {}
    for col in df.columns:
        if col in ("knr", "unit_type"):
            out[col] = df[col].astype("string")
        else:
            out[col] = df[col].astype("Int64")
    return pd.DataFrame(out)


def _truth(sc: dict, seed: int, model: ScenarioModel, out: pd.DataFrame, full: dict) -> dict:
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
            "target_rate": float(value_of(sc["response"]["target_rate"])),
            "expected_rate": round10(float(model.p_respond.mean())),
            "realised_rate": round10(n_muni / len(frame)),
            "n_frame": len(frame),
            "n_respondents": n_muni,
            "county_rate": float(value_of(sc["response"]["county_rate"])),
            "n_county_respondents": int((out["unit_type"] == "county").sum()),
            "ignorable_for_maturity_model": not model.g_stage,
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
            "inconsistency_rate": float(value_of(sc["components"]["inconsistency_rate"])),
            "lowest_stage": dict(COMPONENT_ITEMS),
        },
        "anchoring_cuts": [float(z) for z in model.anchoring_cuts],
        "expected_marginals": expected,
        "realised_marginals": {k: (None if v[0] is None else round(v[0], 6)) for k, v in realised.items()},
        "frame_median_population": model.median_population,
        "small_at_stage_ge4": {
            "definition": "respondents with population_2021 below the frame median and maturity_stage >= 4",
            "expected_count": round10(model.expected_count(small)),
            "knr": listed(small),
        },
        "small_peripheral_at_stage_ge4": {
            "definition": (
                "respondents below the frame median population and in SSB centrality class 5-6 "
                "(index below 670), at maturity_stage >= 4"
            ),
            "expected_count": round10(model.expected_count(small & peripheral)),
            "knr": listed(small & peripheral),
        },
    }
    if model.g_stage:  # response not at random (only then: the truth files of the other scenarios are unchanged)
        truth["response_model"]["maturity_stage"] = model.g_stage
        truth["response_model"]["formula"] += " + maturity_stage * stage (the realised maturity stage)"
    truth["claims"] = claim_truth(sc, model, full)  # what the scenario makes true for each claim
    truth["claims_expected"] = expected_values(model)  # the model quantities the claims are about
    if ceiling:
        truth["ceiling_violations"] = int((stage > model.max_stage).sum())  # always 0: a check, not a parameter
    truth["counties"] = county_truth(sc, out)
    truth.update(item_share_truth(model, full))
    return truth


def generate(scenario: str | dict, seed: int, frame: pd.DataFrame | None = None) -> tuple[pd.DataFrame, dict]:
    """Simulate one survey: (rows in the instrument's format, truth dict).

    ``scenario`` is a scenario name (or a dict from :func:`load_scenario`); ``frame`` defaults to
    :func:`vsr_analysis.data.register.load_register` (the real 2020 frame of 356 municipalities).  Rows are the
    responding municipalities sorted by ``knr``, then the responding county authorities; columns follow the
    codebook's order; items are nullable integers (``<NA>`` = item not answered).
    """
    sc = load_scenario(scenario) if isinstance(scenario, str) else scenario
    rows, truth, _ = simulate_survey(sc, seed, register_frame(frame))
    return rows[column_order()], truth


def response_probabilities(scenario: str | dict, frame: pd.DataFrame | None = None) -> pd.Series:
    """SIMULATED: every frame municipality's true probability of answering under the scenario, indexed by ``knr``.

    Known only in a simulation; the coverage benchmark's oracle weights respondents by it.
    """
    sc = load_scenario(scenario) if isinstance(scenario, str) else scenario
    fr = register_frame(frame)
    return pd.Series(_cached_model(sc, fr).p_respond, index=fr["knr"].astype(str).to_numpy(), name="p_respond")


def scenario_model(scenario: str | dict, frame: pd.DataFrame | None = None) -> ScenarioModel:
    """The calibrated generating model of ``scenario`` on ``frame`` (default: the 2020 register), built once while
    the same scenario and frame are used: what the truth of a claim is computed from (``synth.estimands``)."""
    sc = load_scenario(scenario) if isinstance(scenario, str) else scenario
    return _cached_model(sc, register_frame(frame))


def simulate_with_frame(scenario: str | dict, seeds, frame: pd.DataFrame | None = None):
    """SIMULATED DATA, for coverage studies: for each seed yield ``(seed, rows, complete)``.

    ``rows`` is what :func:`generate` returns for that seed (same values); ``complete`` holds every frame
    municipality's items *before* unit and item non-response, plus ``responded`` - the finite-population
    truth an interval should cover.  The calibrated model is built once for all seeds.
    """
    sc = load_scenario(scenario) if isinstance(scenario, str) else scenario
    fr = register_frame(frame)
    model = _cached_model(sc, fr)
    for seed in seeds:
        rows, full, _ = simulate_survey(sc, seed, fr, model=model, with_truth=False)
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
