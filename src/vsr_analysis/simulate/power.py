"""Design-based power of every claim's rule: the smallest true effect it detects with 80 % power.

The *design* is a survey as fielded (an :class:`~vsr_analysis.data.analysis_frame.AnalysisFrame`): its responding
municipalities with their register covariates, counties, answers to the covariate items, item non-response and
raking weights are all kept.  Only the claim's outcome is drawn anew, under a stated effect on a grid, and the
claim's primary analysis (:func:`vsr_analysis.simulate.registry.analysis_for`, the package functions its chapter
calls) and decision rule (:func:`vsr_analysis.claims.ledger.decide`) are run on the result, at α and at Holm's most
stringent level (α divided by the size of the Holm family, :func:`vsr_analysis.claims.ledger.in_holm_family`):
a claim's real Holm level lies between the two.

How the outcome is drawn is one *knob* per analysis kind (:data:`KNOBS`; a kind whose units change how its outcome
is drawn has one per kind and units, keyed ``(kind, units)``), never per claim:

* ``share_vs_threshold``: the true share of the declared outcome in the claim's frame (its domain: respondents'
  own membership, non-respondents' drawn from a logistic fit of membership on size and centrality).  The frame's units get exactly that
  share (rounded to a whole unit) with a logistic pattern over size and centrality fitted to the observed answers;
  the respondents' answers are set to their draws where they answered (a stage outcome moves to the nearest stage
  consistent with the draw).
* ``ordinal_coefficient`` / ``group_comparison``: the coefficient (log-odds per standard deviation) of the term in
  a proportional-odds draw of the outcome whose cut-points give the observed weighted stage distribution at the
  average unit; nothing else acts.
* ``conjunction``: every component term at the same coefficient per SD, drawn jointly.
* ``existence_count``: the probability that a responding unit below the condition's threshold is at the top stage
  with the ladder's items confirming it (the others are kept below the top stage).
* ``share_vs_threshold`` on the county authorities: the chance that an authority names the item (each responding
  authority that answered it names it independently with that probability: the exact test's own model).
* ``share_noninferiority`` (the county authorities against the municipalities): the difference of the county
  authorities' chance of naming the item minus the municipalities' frame share; the municipalities are drawn at
  the raked share the fielded survey estimates (as a share claim's outcome is), the county authorities as above.

Claims outside the Holm family (``confirmatory: false``, decided at the unadjusted α) get a curve and an MDE at α
only (``holm_adjusted`` false).

Every draw comes from its own stream, ``SeedSequence([key(design), seed, rep], spawn_key=(crc32(claim),))``, and
the same stream is used at every grid point (common random numbers), so curves are smooth and the tables are
identical whatever the number of workers.  Tasks (a claim x a chunk of replicates) run on the Dask cluster of
``vsr simulate`` (:func:`vsr_analysis.simulate.engine.dask_client`) or, with ``workers=0``, in this process.

:func:`crossing` turns a curve into the minimum detectable effect (monotone, linear interpolation between the grid
points around 0.8) with its Monte Carlo standard error (the power's binomial SE divided by the curve's slope).
"""

from __future__ import annotations

import hashlib
import json
import math
import time
import warnings
import zlib
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from pathlib import Path

import numpy as np
import pandas as pd
from scipy.optimize import brentq
from scipy.special import expit, logit

from vsr_analysis.claims.ledger import decide, in_holm_family
from vsr_analysis.claims.share_evidence import claim_domain, claim_outcome
from vsr_analysis.claims.spec import Claim
from vsr_analysis.data.analysis_frame import AnalysisFrame
from vsr_analysis.simulate.engine import run_on_dask
from vsr_analysis.simulate.registry import analysis_for
from vsr_analysis.simulate.streams import scenario_key

TARGET_POWER = 0.8
LEVELS = ("alpha", "holm")
CURVE_FILE = "power_curves.csv"
MDE_FILE = "mde.csv"
PROVENANCE_FILE = "provenance.json"
#: The default stored table: the default synthetic survey's design.
STORED_DIR = "data/power-design"
DEFAULT_SURVEY = "synthetic:vsr-narrative:2021"
DEFAULT_REPS = 200
#: NCA permutations in the existence count's analysis: its "supported" route reads no p-value, so the
#: permutations change nothing power measures (recorded in the provenance).
EXISTENCE_PERMUTATIONS = 0


# --------------------------------------------------------------------------------------------------------
# Knobs: how each analysis kind's outcome is drawn under a stated effect


@dataclass(frozen=True)
class Knob:
    """What the effect is for an analysis kind, its grid, and how one survey is drawn at one effect."""

    effect: str  # the effect in words (table column "effect scale")
    grid: Callable[[Claim], list[float]]  # effect values, from none to large
    null: Callable[[Claim], float]  # the effect at which the claim is exactly false (size check)
    draw: Callable[[AnalysisFrame, Claim, float, np.random.Generator], dict[str, np.ndarray]]


def _direction(claim: Claim) -> int:
    """+1 when the claim says "more/above", -1 when it says "fewer/below" or a negative effect."""
    if claim.rule == "share_below" or claim.rule_parameters.get("direction") == "negative":
        return -1
    return 1


SHARE_OFFSETS = (0.0, 0.01, 0.02, 0.03, 0.04, 0.05, 0.06, 0.08, 0.12)
SD_COEFFICIENTS = (0.0, 0.05, 0.1, 0.15, 0.2, 0.25, 0.3, 0.4, 0.5, 0.7, 1.0)
EXISTENCE_PROBABILITIES = (0.0, 0.005, 0.01, 0.015, 0.02, 0.03, 0.04, 0.05, 0.08)


def _share_grid(claim: Claim) -> list[float]:
    t, d = float(claim.threshold), _direction(claim)
    return [round(t + d * o, 6) for o in SHARE_OFFSETS if 0.0 < t + d * o < 1.0]


def _as_float(series) -> np.ndarray:
    return pd.to_numeric(series, errors="coerce").to_numpy(dtype=float)


def _logistic_index(frame: pd.DataFrame, y_resp: np.ndarray, resp: np.ndarray) -> np.ndarray:
    """A logistic linear predictor (intercept included) over standardised log population and centrality for every
    frame unit, fitted to the respondents' 0/1 ``y_resp`` (NaN: not used); a constant at the observed rate when it
    cannot be fitted.  The covariate pattern a drawn share or domain keeps."""
    x = np.column_stack([_as_float(frame["log_population"]), _as_float(frame["centrality"])])
    x = (x - x.mean(axis=0)) / np.where(x.std(axis=0) > 0, x.std(axis=0), 1.0)
    ok = np.isfinite(y_resp)
    rate = float(np.clip(np.mean(y_resp[ok]), 0.01, 0.99)) if ok.any() else 0.5
    if ok.sum() < 10 or len(np.unique(y_resp[ok])) < 2:
        return np.full(len(frame), float(logit(rate)))
    import statsmodels.api as sm

    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            fit = sm.Logit(y_resp[ok], sm.add_constant(x[resp][ok])).fit(disp=0, maxiter=50)
        beta = np.clip(np.asarray(fit.params, dtype=float), -5, 5)
    except Exception:  # noqa: BLE001 - separation or a singular fit: no pattern
        return np.full(len(frame), float(logit(rate)))
    return beta[0] + x @ beta[1:]


def _exact_share(p: np.ndarray, share: float, rng: np.random.Generator) -> np.ndarray:
    """0/1 draws with probabilities ``p`` (Bernoulli), then units flipped (chosen by ``p``) until exactly
    round(share * n) are 1: the frame holds the stated share."""
    y = (rng.random(len(p)) < p).astype(float)
    k = int(round(share * len(p)))
    ones = int(y.sum())
    if ones > k:
        idx = np.flatnonzero(y == 1)
        w = 1.0 - p[idx] + 1e-9
        y[rng.choice(idx, ones - k, replace=False, p=w / w.sum())] = 0.0
    elif ones < k:
        idx = np.flatnonzero(y == 0)
        w = p[idx] + 1e-9
        y[rng.choice(idx, k - ones, replace=False, p=w / w.sum())] = 1.0
    return y


def _set_outcome(resp: pd.DataFrame, claim: Claim, y: np.ndarray) -> dict[str, np.ndarray]:
    """The respondents' item columns that give the declared outcome ``y`` where it was known (NaN stays NaN): the
    0/1 item itself, the nearest stage consistent with ``y`` for a ``min_stage`` outcome, for ``any_of`` all
    items 0 (no) or the first item 1 when none was (yes)."""
    known = np.isfinite(claim_outcome(resp, claim.outcome))
    out = {}
    if claim.outcome.any_of:
        items = list(claim.outcome.any_of)
        cols = {i: _as_float(resp[i]) for i in items}
        already = np.zeros(len(resp), dtype=bool)
        for i in items:
            already |= cols[i] == 1
        for j, i in enumerate(items):
            v = cols[i].copy()
            v[known & (y == 0)] = 0.0
            if j == 0:
                v[known & (y == 1) & ~already] = 1.0
            out[i] = v
        return out
    item = claim.outcome.item
    v = _as_float(resp[item]).copy()
    if claim.outcome.min_stage is None:
        v[known] = y[known]
    else:
        k = int(claim.outcome.min_stage)
        v[known & (y == 1)] = np.maximum(v[known & (y == 1)], k)
        v[known & (y == 0)] = np.minimum(v[known & (y == 0)], k - 1)
    out[item] = v
    return out


def _draw_share(data: AnalysisFrame, claim: Claim, share: float, rng: np.random.Generator) -> dict:
    if claim.population.units != "municipalities":
        raise ValueError(f"no power knob for a share of {claim.population.units}")
    frame = data.frame
    resp = frame["responded"].astype(bool).to_numpy()
    units = frame[resp]
    y_obs = claim_outcome(units, claim.outcome)
    dom_resp, known_col = claim_domain(units, claim)
    in_domain = np.ones(len(frame), dtype=bool)
    u = rng.random(int((~resp).sum()))  # drawn whatever the domain: the same stream length for every claim
    if not dom_resp.all():  # the respondents' own membership; the others' drawn with its size/centrality pattern
        known = np.isfinite(_as_float(units[known_col])) if known_col else np.ones(len(units), dtype=bool)
        p_dom = expit(_logistic_index(frame, np.where(known, dom_resp.astype(float), np.nan), resp))
        in_domain[resp] = dom_resp
        in_domain[~resp] = u < p_dom[~resp]
    eta = _logistic_index(frame, np.where(dom_resp, y_obs, np.nan), resp)[in_domain]
    eta = eta - eta.mean()
    shift = brentq(lambda d: float(np.mean(expit(eta + d))) - share, -30, 30) if 0 < share < 1 else 0.0
    y_dom = _exact_share(expit(eta + shift), share, rng)
    y_frame = np.full(len(frame), np.nan)
    y_frame[in_domain] = y_dom
    y_resp = y_frame[resp]
    y_resp = np.where(np.isfinite(y_resp), y_resp, y_obs)  # outside the domain: answers as observed
    return _set_outcome(units, claim, y_resp)


def _term_values(resp: pd.DataFrame, term: str) -> np.ndarray:
    """A model term's values among the respondents (a term built by its chapter, such as the network claim's count of network
    kinds, from the function that builds it)."""
    if term not in resp.columns:
        from vsr_analysis.claims.network_evidence import with_network_kinds

        resp = with_network_kinds(resp)
    return _as_float(resp[term])


def _terms(claim: Claim) -> list[str]:
    a = claim.analysis
    return list(a.get("terms")) if a.get("terms") is not None else [a["term"]]


def _draw_ordinal(data: AnalysisFrame, claim: Claim, beta_sd: float, rng: np.random.Generator) -> dict:
    """Proportional-odds draw: ``beta_sd`` per weighted SD of each term (all terms of a conjunction together);
    cut-points from the observed weighted distribution of the outcome; missing answers stay missing."""
    resp = data.frame[data.frame["responded"].astype(bool)]
    item = claim.outcome.item
    y_obs = _as_float(resp[item])
    w = resp["weight"].to_numpy(dtype=float)
    known = np.isfinite(y_obs)
    levels = np.arange(int(np.nanmax(y_obs)) + 1) if known.any() else np.arange(1)
    shares = np.array([np.sum(w[known] * (y_obs[known] == k)) for k in levels]) / np.sum(w[known])
    cum = np.clip(np.cumsum(shares)[:-1], 1e-4, 1 - 1e-4)
    cuts = logit(cum)
    eta = np.zeros(len(resp))
    for term in _terms(claim):
        x = _term_values(resp, term)
        ok = np.isfinite(x)
        mean = np.sum(w[ok] * x[ok]) / np.sum(w[ok])
        sd = math.sqrt(np.sum(w[ok] * (x[ok] - mean) ** 2) / np.sum(w[ok]))
        eta += np.where(ok, (x - mean) / (sd if sd > 0 else 1.0), 0.0)
    eta *= _direction(claim) * beta_sd
    u = rng.random(len(resp))
    below = expit(cuts[None, :] - eta[:, None])  # P(Y <= k), k = 0 .. K-1
    y = (u[:, None] > below).sum(axis=1).astype(float)
    return {item: np.where(known, y, np.nan)}


def _draw_existence(data: AnalysisFrame, claim: Claim, q: float, rng: np.random.Generator) -> dict:
    """Each responding unit below the condition's threshold (the frame's median, as the registry's analysis
    takes it) is at the top stage, confirmed by the ladder's stage-4 item, with probability ``q``; the others below
    the threshold are kept below the top stage; units above it keep their answers."""
    from vsr_analysis.claims.necessity_evidence import LADDER_CONFIRMATION

    condition, top = claim.analysis["condition"], int(claim.outcome.min_stage)
    resp = data.frame[data.frame["responded"].astype(bool)]
    cut = float(data.frame[condition].median())
    stage = _as_float(resp["maturity_stage"]).copy()
    small = (_as_float(resp[condition]) < cut) & np.isfinite(stage)
    at_top = small & (rng.random(len(resp)) < q)
    stage[small & ~at_top] = np.minimum(stage[small & ~at_top], top - 1)
    stage[at_top] = top
    confirm = sorted(LADDER_CONFIRMATION[top])[0]
    item = _as_float(resp[confirm]).copy()
    item[at_top] = 1.0
    return {"maturity_stage": stage, confirm: item}


#: Leads of the ranked-first items over the others (share points) on a ranking claim's grid.
RANKING_LEADS = (0.0, 0.02, 0.04, 0.06, 0.08, 0.10, 0.12, 0.16, 0.20)


def _draw_ranking(data: AnalysisFrame, claim: Claim, lead: float, rng: np.random.Generator) -> dict:
    """A ranking claim at a uniform ``lead``: every item of ``analysis.top`` has the frame share 0.5 + lead / 2, every
    other item of ``outcome.ranked`` 0.5 - lead / 2, each item drawn as a share claim's outcome is (its size and
    centrality pattern kept), independently of the others.  Shares around one half give a difference its largest
    variance, so the lead detected here is the survey's least favourable case (the real items lie at 0.2-0.65)."""
    top = set(claim.analysis["top"])
    out: dict[str, np.ndarray] = {}
    for item in claim.outcome.ranked:
        single = replace(claim, outcome=replace(claim.outcome, item=item, ranked=()))
        share = 0.5 + lead / 2 if item in top else 0.5 - lead / 2
        out.update(_draw_share(data, single, share, rng))
    return out


def _coefficient_grid(claim: Claim) -> list[float]:
    return list(SD_COEFFICIENTS)


#: A draw's key whose value holds the county authorities' columns (``{item: values}``, one per county row).
COUNTY_COLUMNS = "county_authorities"
#: Chances of naming the item above (below) a county share claim's level: eleven units need a large effect.
COUNTY_SHARE_OFFSETS = (0.0, 0.05, 0.10, 0.15, 0.20, 0.25, 0.30, 0.35, 0.40, 0.45, 0.49)
#: County-minus-municipality differences, added to the non-inferiority margin's boundary (-margin is the null).
NONINFERIORITY_STEPS = (0.0, 0.05, 0.10, 0.15, 0.20, 0.25, 0.30, 0.40, 0.50, 0.60)


def _county_share_grid(claim: Claim) -> list[float]:
    t, d = float(claim.threshold), _direction(claim)
    return [round(t + d * o, 6) for o in COUNTY_SHARE_OFFSETS if 0.0 < t + d * o < 1.0]


def _noninferiority_grid(claim: Claim) -> list[float]:
    return [round(-float(claim.rule_parameters["margin"]) + s, 6) for s in NONINFERIORITY_STEPS]


def _draw_county_items(data: AnalysisFrame, claim: Claim, chance: float, rng: np.random.Generator) -> dict:
    """The county authorities' item columns: every authority that answered names the outcome with probability
    ``chance``, independently (Bernoulli draws, the county tests' inference model); one not answering stays so."""
    counties = data.counties
    y_obs = claim_outcome(counties, claim.outcome) if len(counties) else np.array([], dtype=float)
    u = rng.random(len(counties))
    y = np.where(np.isfinite(y_obs), (u < float(np.clip(chance, 0.0, 1.0))).astype(float), np.nan)
    return _set_outcome(counties, claim, y)


def _draw_county_share(data: AnalysisFrame, claim: Claim, chance: float, rng: np.random.Generator) -> dict:
    return {COUNTY_COLUMNS: _draw_county_items(data, claim, chance, rng)}


def _as_municipal(claim: Claim) -> Claim:
    """The municipal side of a county claim compared with the municipalities (its outcome on the municipalities)."""
    return replace(claim, population=replace(claim.population, units="municipalities", subgroup=None))


def _fielded_share(data: AnalysisFrame, claim: Claim) -> float:
    """The raked share of ``claim``'s outcome among the responding municipalities of the fielded survey."""
    resp = data.respondents
    y = claim_outcome(resp, claim.outcome)
    dom, _ = claim_domain(resp, claim)
    ok = np.isfinite(y) & dom
    w = resp["weight"].to_numpy(dtype=float)[ok]
    return float(np.sum(w * y[ok]) / np.sum(w)) if ok.any() and np.sum(w) > 0 else 0.5


def _draw_noninferiority(data: AnalysisFrame, claim: Claim, difference: float, rng: np.random.Generator) -> dict:
    """The municipalities at their fielded raked share (drawn as a share claim's outcome, so the municipal side
    varies as it would), the county authorities at that share plus ``difference`` (clipped to 0-1)."""
    if claim.population.units != "county_authorities" or claim.analysis["against"] != "municipalities":
        raise ValueError(f"no power knob for a non-inferiority claim on {claim.population.units}")
    municipal = _as_municipal(claim)
    share = _fielded_share(data, municipal)
    out = _draw_share(data, municipal, share, rng)
    out[COUNTY_COLUMNS] = _draw_county_items(data, claim, share + difference, rng)
    return out


#: Analysis kind -> its effect knob.  A new kind plugs in here with one entry.
KNOBS: dict[str | tuple[str, str], Knob] = {
    "share_vs_threshold": Knob(
        "true share of the outcome in the frame", _share_grid, lambda c: float(c.threshold), _draw_share
    ),
    "ordinal_coefficient": Knob("log-odds per SD of the term", _coefficient_grid, lambda c: 0.0, _draw_ordinal),
    "group_comparison": Knob("log-odds per SD of the term", _coefficient_grid, lambda c: 0.0, _draw_ordinal),
    "conjunction": Knob("log-odds per SD of every component's term", _coefficient_grid, lambda c: 0.0, _draw_ordinal),
    "share_ranking": Knob(
        "lead of every ranked-first item's frame share over every other item's (both around one half)",
        lambda c: list(RANKING_LEADS),
        lambda c: 0.0,
        _draw_ranking,
    ),
    "existence_count": Knob(
        "probability a unit below the threshold is at the top stage, confirmed",
        lambda c: list(EXISTENCE_PROBABILITIES),
        lambda c: 0.0,
        _draw_existence,
    ),
    ("share_vs_threshold", "county_authorities"): Knob(
        "probability that a county authority names the item",
        _county_share_grid,
        lambda c: float(c.threshold),
        _draw_county_share,
    ),  # fmt: skip
    "share_noninferiority": Knob(
        "difference: county authorities' probability of naming the item minus the municipalities' share",
        _noninferiority_grid,
        lambda c: -float(c.rule_parameters["margin"]),
        _draw_noninferiority,
    ),
}


def knob_for(claim: Claim) -> Knob | None:
    """The effect knob of ``claim``'s analysis kind on its units (``(kind, units)`` when the units have their own,
    else the kind's; a share kind's own knob is for the municipalities).  None: power is not computed for it; the
    table says so."""
    kind, units = claim.analysis.kind, claim.population.units
    if (kind, units) in KNOBS:
        return KNOBS[(kind, units)]
    knob = KNOBS.get(kind)
    if knob is not None and claim.is_share and units != "municipalities":
        return None
    return knob


# --------------------------------------------------------------------------------------------------------
# One evaluation, one task


def holm_levels(spec: dict) -> dict[str, float]:
    """α and Holm's most stringent level α / m (m: the claims in the Holm family of ``spec``)."""
    alpha = float(spec.get("alpha", 0.05))
    m = sum(in_holm_family(c) for c in spec["claims"])
    return {"alpha": alpha, "holm": alpha / max(m, 1), "family_size": m}


def drawn_survey(data: AnalysisFrame, columns: dict[str, np.ndarray]) -> AnalysisFrame:
    """``data`` with the respondents' ``columns`` replaced (a new frame and a new AnalysisFrame: the registry's
    per-survey caches see a new survey); ``columns[COUNTY_COLUMNS]``, if any, replaces county authorities' columns."""
    columns = dict(columns)
    county = columns.pop(COUNTY_COLUMNS, None)
    frame = data.frame.copy()
    resp = frame["responded"].astype(bool).to_numpy()
    for col, values in columns.items():
        full = _as_float(frame[col]).copy()
        full[resp] = values
        frame[col] = full
    counties = data.counties
    if county:
        counties = counties.copy()
        for col, values in county.items():
            counties[col] = values
    return replace(data, frame=frame, counties=counties)


def evaluate(data: AnalysisFrame, claim: Claim, params: dict, effect: float, rng, levels: dict, seed: int) -> dict:
    """One drawn survey at ``effect``: the registry's analysis and the ledger's rule at α and at Holm's bound."""
    knob = knob_for(claim)
    drawn = drawn_survey(data, knob.draw(data, claim, effect, rng))
    try:
        ev = analysis_for(claim)(drawn, claim, params, seed)
    except Exception:  # noqa: BLE001 - a failed analysis is an inconclusive verdict, as in vsr simulate
        return {level: False for level in LEVELS}
    p = ev["primary"]["p_value"]
    p = None if p is None or not np.isfinite(float(p)) else float(p)
    entry = claim.as_dict()
    return {level: decide(entry, ev, levels[level], p).verdict == "supported" for level in LEVELS}


def rep_stream(design_key: str, seed: int, claim_id: str, rep: int) -> np.random.Generator:
    """The random stream of replicate ``rep`` of ``claim_id`` (the same at every grid point)."""
    ss = np.random.SeedSequence(
        entropy=[scenario_key(design_key), int(seed), int(rep)], spawn_key=(zlib.crc32(claim_id.encode("utf-8")),)
    )
    return np.random.default_rng(ss)


def run_task(task: dict) -> dict:
    """A chunk of replicates of one claim at every grid point (the unit of work sent to a Dask worker)."""
    cpu = time.process_time()
    claim, data = task["claim"], task["data"]
    rows = []
    for effect in task["grid"]:
        hits = {level: 0 for level in LEVELS}
        for rep in task["reps"]:
            rng = rep_stream(task["design_key"], task["seed"], claim.id, rep)
            out = evaluate(data, claim, task["params"], effect, rng, task["levels"], task["analysis_seed"] + rep)
            for level in LEVELS:
                hits[level] += int(out[level])
        rows.append({"claim": claim.id, "effect": effect, "reps": len(task["reps"]), **hits})
    return {
        "rows": rows,
        "cpu_seconds": time.process_time() - cpu,
        "evaluations": len(task["grid"]) * len(task["reps"]),
    }


# --------------------------------------------------------------------------------------------------------
# Crossing


def crossing(effects: Sequence[float], power: Sequence[float], reps: int, target: float = TARGET_POWER) -> dict:
    """The smallest effect with power ``target`` on a grid (``effects`` ordered from none to large; for a share
    below a level they decrease): the running maximum of the power makes the curve monotone, and the crossing is
    interpolated linearly between the two grid points around ``target``.  Its Monte Carlo SE is the binomial SE of
    the power at the target divided by the slope there.  ``mde`` None: the grid's largest effect has less power
    (``beyond_grid``), or the grid's first point already has it (``below_grid``)."""
    e = np.asarray(effects, dtype=float)
    p = np.maximum.accumulate(np.asarray(power, dtype=float))
    if p[-1] < target:
        return {"mde": None, "mde_se": None, "status": "beyond_grid"}
    i = int(np.argmax(p >= target))
    if i == 0:
        return {"mde": float(e[0]), "mde_se": None, "status": "below_grid"}
    slope = (p[i] - p[i - 1]) / (e[i] - e[i - 1])
    mde = float(e[i - 1] + (target - p[i - 1]) / slope)
    se = math.sqrt(target * (1 - target) / reps) / abs(slope)
    return {"mde": mde, "mde_se": float(se), "status": "interpolated"}


# --------------------------------------------------------------------------------------------------------
# The plan and the whole computation


@dataclass
class PowerPlan:
    survey: str  # the design's survey spec
    claims: tuple  # (Claim, params) of every claim with a knob
    skipped: dict  # claim id -> why no power is computed
    reps: int
    seed: int
    levels: dict
    chunk: int = 50

    def grid(self, claim: Claim) -> list[float]:
        return knob_for(claim).grid(claim)

    def fingerprint(self, design_sha256: str | None) -> str:
        """sha256 of everything that changes the table: the design, the claims and parameters, the grids, levels,
        replicates, seed and the code the computation imports."""
        from vsr_analysis import __version__
        from vsr_analysis.inputs.fingerprint import PACKAGE_DIR, import_closure

        code = hashlib.sha256()
        for path in import_closure(["vsr_analysis.simulate.power"]):
            code.update(str(path.relative_to(PACKAGE_DIR)).encode())
            code.update(path.read_bytes())
        payload = {
            "survey": self.survey,
            "design_sha256": design_sha256,
            "claims": [{"id": c.id, "entry": c.as_dict(), "params": p, "grid": self.grid(c)} for c, p in self.claims],
            "skipped": self.skipped,
            "reps": self.reps,
            "seed": self.seed,
            "levels": self.levels,
            "code": code.hexdigest(),
            "version": __version__,
        }
        text = json.dumps(payload, sort_keys=True, default=str)
        return hashlib.sha256(text.encode("utf-8")).hexdigest()


def make_plan(
    survey: str = DEFAULT_SURVEY, reps: int = DEFAULT_REPS, seed: int = 2021, claims: Sequence[str] | None = None
) -> PowerPlan:
    """Every claim of ``claims.yml`` (or those named), confirmatory or decided on its own at α, with its registered
    analysis, the notebook parameters of its chapter and its kind's knob; the others listed with the reason."""
    from vsr_analysis.claims.ledger import load_claims_spec
    from vsr_analysis.claims.spec import load_claims
    from vsr_analysis.inputs.runspec import load_runspec
    from vsr_analysis.simulate.registry import claim_parameters

    spec, typed = load_claims_spec(), load_claims()
    levels = holm_levels(spec)
    runspec = load_runspec()
    chosen, skipped = [], {}
    for entry in spec["claims"]:
        if claims and entry["id"] not in claims:
            continue
        claim = typed[entry["id"]]
        if analysis_for(claim) is None:
            skipped[claim.id] = "no registered analysis"
        elif knob_for(claim) is None:
            skipped[claim.id] = f"no power knob for a {claim.analysis.kind} claim on {claim.population.units}"
        else:
            params = claim_parameters(entry, levels["alpha"], runspec)
            if "permutations" in params:
                params["permutations"] = EXISTENCE_PERMUTATIONS
            chosen.append((claim, params))
    return PowerPlan(survey, tuple(chosen), skipped, int(reps), int(seed), levels)


def tasks_of(plan: PowerPlan, data: AnalysisFrame) -> list[dict]:
    out = []
    for claim, params in plan.claims:
        for start in range(0, plan.reps, plan.chunk):
            out.append(
                {
                    "claim": claim,
                    "params": params,
                    "data": data,
                    "grid": plan.grid(claim),
                    "reps": list(range(start, min(plan.reps, start + plan.chunk))),
                    "levels": plan.levels,
                    "design_key": plan.survey,
                    "seed": plan.seed,
                    "analysis_seed": zlib.crc32(claim.id.encode("utf-8")),
                }
            )
    return out


@dataclass
class PowerResult:
    curves: pd.DataFrame  # claim, kind, effect, reps, power_alpha, power_holm, se_alpha, se_holm
    mde: pd.DataFrame  # one row per claim
    cpu_seconds: float
    wall_seconds: float
    evaluations: int


def compute(
    plan: PowerPlan, data: AnalysisFrame, *, workers: int | None = 0, scheduler: str | None = None
) -> PowerResult:
    """The power curves and MDEs of ``plan`` at ``data``'s design."""
    start = time.monotonic()
    rows, cpu, evals = [], 0.0, 0
    for result in run_on_dask(run_task, tasks_of(plan, data), workers, scheduler):
        rows += result["rows"]
        cpu += result["cpu_seconds"]
        evals += result["evaluations"]
    raw = pd.DataFrame(rows).groupby(["claim", "effect"], sort=False, as_index=False)[["reps", *LEVELS]].sum()
    return PowerResult(
        *tables(plan, raw, data), cpu_seconds=cpu, wall_seconds=time.monotonic() - start, evaluations=evals
    )


def tables(plan: PowerPlan, raw: pd.DataFrame, data: AnalysisFrame) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Curves (one row per claim x effect, in claims.yml and grid order) and the MDE table (one row per
    claim; with ``term_sd``, the weighted SD of a single term, for an MDE per unit of it)."""
    curves, mdes = [], []
    sds = term_sds(plan, data)
    for claim, _ in plan.claims:
        grid = plan.grid(claim)
        sub = raw[raw["claim"] == claim.id].set_index("effect").reindex(grid)
        knob = knob_for(claim)
        for effect, r in sub.iterrows():
            row = {"claim": claim.id, "kind": claim.analysis.kind, "effect": effect, "reps": int(r["reps"])}
            for level in LEVELS:
                pw = r[level] / r["reps"]
                row[f"power_{level}"] = pw
                row[f"se_{level}"] = math.sqrt(pw * (1 - pw) / r["reps"])
            curves.append(row)
        null = knob.null(claim)
        m = {
            "claim": claim.id,
            "kind": claim.analysis.kind,
            "effect_scale": knob.effect,
            "null_effect": null,
            # outside the Holm family: a claim with multiplicity none, or an exploratory one (decided at α)
            "holm_adjusted": claim.confirmatory and claim.as_dict().get("multiplicity", "holm") != "none",
            "confirmatory": claim.confirmatory,
        }
        for level in LEVELS:
            pw = (sub[level] / sub["reps"]).to_numpy(dtype=float)
            c = crossing(grid, pw, plan.reps)
            m[f"mde_{level}"], m[f"mde_se_{level}"], m[f"status_{level}"] = c["mde"], c["mde_se"], c["status"]
            m[f"size_{level}"] = float(pw[0]) if grid[0] == null else None
        m["term_sd"] = sds.get(claim.id)
        mdes.append(m)
    for cid, why in plan.skipped.items():
        mdes.append({"claim": cid, "kind": None, "effect_scale": why})
    return pd.DataFrame(curves), pd.DataFrame(mdes)


def term_sds(plan: PowerPlan, data: AnalysisFrame) -> dict[str, float]:
    """The weighted SD of each single-term claim's term among the respondents (to state an MDE per unit)."""
    sds = {}
    resp = data.respondents
    w = resp["weight"].to_numpy(dtype=float)
    for claim, _ in plan.claims:
        terms = _terms(claim) if claim.analysis.kind in ("ordinal_coefficient", "group_comparison") else []
        if len(terms) == 1:
            x = _term_values(resp, terms[0])
            ok = np.isfinite(x)
            mean = np.sum(w[ok] * x[ok]) / np.sum(w[ok])
            sds[claim.id] = float(math.sqrt(np.sum(w[ok] * (x[ok] - mean) ** 2) / np.sum(w[ok])))
    return sds


# --------------------------------------------------------------------------------------------------------
# The stored table


def design_sha256(data: AnalysisFrame) -> str:
    """sha256 of what the design consists of: the frame's columns the draws and analyses read."""
    text = data.frame.to_csv(index=False, lineterminator="\n")
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def write_stored(out: Path, plan: PowerPlan, data: AnalysisFrame, result: PowerResult, command: str | None) -> None:
    from vsr_analysis.claims.evidence import json_ready
    from vsr_analysis.inputs.provenance import git_state, package_versions
    from vsr_analysis.paths import atomic_write

    out.mkdir(parents=True, exist_ok=True)
    label = "SIMULATED (vsr simulate --power)"
    for name, table in ((CURVE_FILE, result.curves), (MDE_FILE, result.mde)):
        atomic_write(
            out / name,
            table.assign(data=label)[["data", *table.columns]].to_csv(
                index=False, lineterminator="\n", float_format="%.10g"
            ),
        )
    prov = {
        "simulated": True,
        "warning": "SIMULATED DATA: power of the decision rules at a survey's design, outcomes drawn under stated effects.",
        "command": command or "vsr_analysis.simulate.power.compute(...)",
        "git": git_state(),
        "package_versions": package_versions(
            ("vsr-analysis", "numpy", "scipy", "pandas", "statsmodels", "dask", "distributed")
        ),
        "survey": plan.survey,
        "design_sha256": design_sha256(data),
        "fingerprint": plan.fingerprint(design_sha256(data)),
        "reps": plan.reps,
        "seed": plan.seed,
        "levels": plan.levels,
        "target_power": TARGET_POWER,
        "existence_permutations": EXISTENCE_PERMUTATIONS,
        "claims_without_power": plan.skipped,
        "random_streams": "numpy SeedSequence([sha256(survey spec)[:8], seed, replicate], spawn_key=(crc32(claim),)); the same stream at every grid point",
        "evaluations": result.evaluations,
        "cpu_seconds_per_evaluation": round(result.cpu_seconds / max(result.evaluations, 1), 4),
        "cpu_seconds": round(result.cpu_seconds, 1),
        "wall_seconds": round(result.wall_seconds, 1),
    }
    atomic_write(out / PROVENANCE_FILE, json.dumps(json_ready(prov), indent=2, ensure_ascii=False) + "\n")


def stored_problem(folder: Path, data: AnalysisFrame) -> str | None:
    """Why the stored table in ``folder`` is not what this code would compute at ``data``'s design (None: it is)."""
    prov_path = folder / PROVENANCE_FILE
    if not prov_path.is_file() or not (folder / MDE_FILE).is_file():
        return f"there is no stored power table in {folder}"
    prov = json.loads(prov_path.read_text(encoding="utf-8"))
    if prov.get("survey") != data.spec:
        return f"it was computed at the design of {prov.get('survey')}, not {data.spec}"
    plan = make_plan(prov["survey"], prov["reps"], prov["seed"])
    sha = design_sha256(data)
    if sha != prov.get("design_sha256"):
        return "the survey's design (its frame) differs from the one it was computed at"
    if plan.fingerprint(sha) != prov.get("fingerprint"):
        return "the rules, claims.yml, run spec or power code changed since it was made"
    return None


def read_table(path: Path) -> pd.DataFrame:
    table = pd.read_csv(path, dtype={"claim": str})
    return table.drop(columns=["data"], errors="ignore")
