"""The simulation model of the synthetic replica: a scenario calibrated on the register frame, and its draws.

The real 2021 survey file is confidential, so the book's default build runs on a *simulated* survey file with a
known generating model.  Everything simulated here is an assumption stated, with its reason and sources, in a
scenario file ``data/scenarios/<name>.yml`` (:mod:`vsr_analysis.synth.scenario`); the register covariates
(population, centrality, merger, the KS network list) are the real ones from
:func:`vsr_analysis.data.register.load_register`.

Generating model (one draw per municipality of the frame, respondent or not, so the random streams do not
depend on who responds):

1. **Unit non-response.**  ``logit P(respond) = a + g1*log_population + g2*centrality``.  The intercept ``a`` is
   found numerically (deterministically) so that the *expected* response rate over the frame equals the
   scenario's target.  Non-response depends only on register covariates that are also in the maturity
   model, so it is ignorable for that model: the coefficients of the ordinal model fitted on respondents are
   the true ones (selection on the covariates does not change the conditional distribution of the outcome).
   A scenario may add ``response.maturity_stage``, log-odds of answering per maturity stage: response then
   depends on the answer itself (not at random).  The stage thresholds are still solved with the register-only
   response model, so the frame is the one the scenario would have without it; the intercept is solved again
   so that the expected response rate, over each municipality's stage probabilities, is the target
   (``ScenarioModel._solve_stage_dependent_response``).  The response uniforms are drawn first as always and
   compared with P(respond | realised stage) once the stage is drawn, so a coefficient of 0 (the default)
   changes no random draw.
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

:class:`ScenarioModel` holds every number solved from the scenario and the frame; the functions below it draw the items
from it.  One simulated survey is put together in :mod:`vsr_analysis.synth.simulation`.
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
from scipy.optimize import brentq
from scipy.special import expit, logit

from vsr_analysis.synth.scenario import (
    BARRIER_ITEMS,
    COMPONENT_ITEMS,
    COVARIATES,
    N_STAGES,
    ceiling_steps,
    value_of,
)

# ---------------------------------------------------------------------------------------------------------
# The frame and the calibrated model


def register_frame(frame: pd.DataFrame | None) -> pd.DataFrame:
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


def round10(x: float) -> float:
    """Round solved parameters to 10 significant digits: the value used is the value reported."""
    return float(f"{x:.10g}")


def ordered_probs(eta: np.ndarray, cuts: np.ndarray) -> np.ndarray:
    """P(Y = k) for an ordered logit with P(Y <= k) = F(cut_k - eta); shape eta.shape + (len(cuts)+1,)."""
    cum = expit(cuts - eta[..., None])
    cum = np.concatenate([np.zeros(eta.shape + (1,)), cum, np.ones(eta.shape + (1,))], axis=-1)
    return np.diff(cum, axis=-1)


def solve_cuts(eta: np.ndarray, weights: np.ndarray, target: list[float]) -> np.ndarray:
    """Cut-points with sum(weights * P(Y <= k)) / sum(weights) = cumulative target (weights broadcast to eta)."""
    total = weights.sum()
    cum_target = np.cumsum(target)[:-1]
    cuts = []
    for c in cum_target:

        def gap(z: float, c: float = c) -> float:
            return float((weights * expit(z - eta)).sum() / total - c)

        cuts.append(round10(brentq(gap, -60.0, 60.0, xtol=1e-13, rtol=1e-13, maxiter=500)))
    return np.array(cuts)


class ScenarioModel:
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
        self.g_logpop, self.g_cent = float(value_of(r["log_population"])), float(value_of(r["centrality"]))
        slope = self.g_logpop * self.log_pop + self.g_cent * self.centrality
        target = float(value_of(r["target_rate"]))
        self.response_intercept = round10(
            brentq(lambda a: float(expit(a + slope).mean() - target), -80, 80, xtol=1e-13, rtol=1e-13, maxiter=500)
        )
        self.p_respond = expit(self.response_intercept + slope)

        # 2. network membership
        nw = sc["network"]
        p_other = expit(
            logit(value_of(nw["other_at_median"]))
            + value_of(nw["other_log_population"]) * (self.log_pop - self.ln_median)
        )
        self.p_network = np.where(self.ks, float(value_of(nw["ks_listed_member"])), p_other)

        # 3. political anchoring: cuts calibrated on the frame to the stated marginal distribution
        an = sc["anchoring"]
        self.a_logpop, self.a_net = (
            float(value_of(an["political_log_population"])),
            float(value_of(an["political_network"])),
        )
        eta_a = self.a_logpop * (self.log_pop - self.ln_median)[:, None] + self.a_net * np.array([0.0, 1.0])[None, :]
        w_net = np.stack([1 - self.p_network, self.p_network], axis=1)  # (n, 2)
        self.anchoring_cuts = solve_cuts(eta_a, w_net, value_of(an["political_distribution"]))
        p_anch = ordered_probs(eta_a, self.anchoring_cuts)  # (n, 2, 5)

        # 4. maturity: atoms over (network 0/1) x (anchoring 1..5) per municipality
        co = sc["maturity"]["coefficients"]
        self.beta = {k: float(value_of(co[k])) for k in COVARIATES}
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
        self.thresholds = solve_cuts(
            self.atom_eta, self.atom_w * self.p_respond[:, None, None], value_of(sc["maturity"]["stage_distribution"])
        )
        # ceiling: the highest stage each municipality can reach (5 = no ceiling)
        self.ceiling = ceiling_steps(value_of(sc["maturity"]["ceiling"]))
        self.max_stage = np.full(n, N_STAGES - 1)
        for step in self.ceiling:
            below = self.population < step["population_below"]
            self.max_stage = np.where(below, np.minimum(self.max_stage, step["max_stage"]), self.max_stage)
        # the population below which stage >= 4 cannot be reached (the threshold the existence claim is about), if any
        top = [st["population_below"] for st in self.ceiling if st["max_stage"] <= 3]
        self.ceiling_threshold = max(top) if top else None
        self.stage_probs = self._stage_probs()

        # 1b. response not at random (optional): log-odds per maturity stage on top of the register slope
        self.g_stage = response_stage_coefficient(sc)
        self.p_respond_by_stage = None  # (n, 6): P(respond | stage = k), only when g_stage != 0
        if self.g_stage:
            self._solve_stage_dependent_response(slope, target)

    def _solve_stage_dependent_response(self, slope: np.ndarray, target: float) -> None:
        """Response that depends on the (realised) maturity stage itself: logit P(respond | stage = k) =
        a + slope + g_stage * k.  The thresholds were solved above with the register-only response model of the
        same slopes, so the frame's stage distribution (and every frame share a claim is about) is the one the
        scenario would have with ``g_stage = 0``; only who answers changes.  The intercept ``a`` is solved again
        so that the expected frame response rate, summed over each municipality's stage probabilities, is the
        target.  ``p_respond`` becomes each municipality's marginal response probability."""
        k = np.arange(N_STAGES)[None, :]

        def rate(a: float) -> float:
            return float((self.stage_probs * expit(a + slope[:, None] + self.g_stage * k)).sum(axis=1).mean())

        self.response_intercept = round10(
            brentq(lambda a: rate(a) - target, -80, 80, xtol=1e-13, rtol=1e-13, maxiter=500)
        )
        self.p_respond_by_stage = expit(self.response_intercept + slope[:, None] + self.g_stage * k)
        self.p_respond = (self.stage_probs * self.p_respond_by_stage).sum(axis=1)

    def respond_at_top(self, min_stage: int) -> np.ndarray:
        """Per municipality: P(it responds and is at stage >= ``min_stage``)."""
        if self.p_respond_by_stage is None:
            return self.p_respond * self.stage_probs[:, min_stage:].sum(axis=1)
        return (self.p_respond_by_stage * self.stage_probs)[:, min_stage:].sum(axis=1)

    def _stage_probs(self) -> np.ndarray:
        """P(stage = k) per municipality (n, 6), integrated over network and anchoring, ceiling applied."""
        p = (self.atom_w[..., None] * ordered_probs(self.atom_eta, self.thresholds)).sum(axis=(1, 2))
        # censoring: the mass above a municipality's maximum stage piles up at that stage
        k = np.arange(N_STAGES)[None, :]
        cap = self.max_stage[:, None]
        above = np.where(k > cap, p, 0.0).sum(axis=1, keepdims=True)
        return np.where(k > cap, 0.0, p) + np.where(k == cap, above, 0.0)

    # expected per-municipality probabilities of the items, for expected marginals
    def item_probs(self) -> dict[str, np.ndarray]:
        """Per-municipality probability of every item (computed once per model: the truth of every seed uses it)."""
        if getattr(self, "_item_probs", None) is None:
            self._item_probs = self._compute_item_probs()
        return dict(self._item_probs)

    def _compute_item_probs(self) -> dict[str, np.ndarray]:
        sc, ps = self.sc, self.stage_probs
        eps = float(value_of(sc["components"]["inconsistency_rate"]))
        q4 = float(value_of(sc["components"]["measures_progress_at_stage_4"]))
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

    def _noisy_item_probs(
        self, lowest: int, noise: float, nodes: int = 48, respond: np.ndarray | None = None
    ) -> tuple[np.ndarray, np.ndarray]:
        """P(item present) and P(stage 4 and item absent) per municipality when the item has its own noise.

        The item is present when latent + noise * e > zeta_{lowest-1} (e standard logistic, independent of the
        latent's error u) and the ceiling allows the stage; integrated over u and e by midpoint quantile nodes.
        ``respond`` (n, 6), P(respond | stage): the same probabilities jointly with responding.
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
        if respond is not None:
            w = w * respond[np.arange(len(respond))[:, None, None, None], st]
        present = (w * p_item).sum(axis=(1, 2, 3))
        stage4_without = (w * (st == 4) * (1 - p_item)).sum(axis=(1, 2, 3))
        return present, stage4_without

    def barrier_probs(self, name: str) -> np.ndarray:
        b = self.sc["barriers"][name]
        return expit(logit(b["rate_at_median"]) + b["log_population"] * (self.log_pop - self.ln_median))

    def expected_marginals(self) -> dict[str, dict[str, float]]:
        probs = self.item_probs()
        if self.p_respond_by_stage is not None:
            joint = self._respondent_item_probs(probs)
            total = self.p_respond.sum()
            respondents = {k: round(float(joint[k].sum() / total), 6) for k in probs}
        else:
            w = self.p_respond / self.p_respond.sum()
            respondents = {k: round(float((w * v).sum()), 6) for k, v in probs.items()}
        return {"respondents": respondents, "frame": {k: round(float(v.mean()), 6) for k, v in probs.items()}}

    def _respondent_item_probs(self, probs: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
        """Response depending on the stage: per municipality P(item and respond).  Exact for the stage items, the
        ladder's component items and the barriers (drawn from size alone); for network membership, which the stage
        depends on, P(item) * P(respond) (an approximation that ignores their correlation within a municipality)."""
        ps, pr = self.stage_probs, self.p_respond_by_stage
        joint = {k: v * self.p_respond for k, v in probs.items()}
        for k in range(1, N_STAGES):
            joint[f"stage_ge{k}"] = (pr * ps)[:, k:].sum(axis=1)
        for k in range(N_STAGES):
            joint[f"stage_eq{k}"] = pr[:, k] * ps[:, k]
        eps = float(value_of(self.sc["components"]["inconsistency_rate"]))
        q4 = float(value_of(self.sc["components"]["measures_progress_at_stage_4"]))
        noise = item_noise(self.sc)
        for item, lowest in COMPONENT_ITEMS.items():
            if noise:
                base, stage4_without = self._noisy_item_probs(lowest, noise, respond=pr)
            else:
                base, stage4_without = (pr * ps)[:, lowest:].sum(axis=1), pr[:, 4] * ps[:, 4]
            if item == "measures_progress":
                base = base + q4 * stage4_without
            joint[item] = base * (1 - eps) + (self.p_respond - base) * eps
        return joint

    def expected_count(self, mask: np.ndarray, min_stage: int = 4) -> float:
        """Expected number of *responding* municipalities in ``mask`` at stage >= min_stage."""
        return float(self.respond_at_top(min_stage)[mask].sum())


# ---------------------------------------------------------------------------------------------------------
# Draws


def stage_from_latent(latent: np.ndarray, thresholds: np.ndarray) -> np.ndarray:
    # stage k when zeta_{k-1} < y* <= zeta_k  <=>  k = #{j: zeta_j < y*}
    return (latent[:, None] > thresholds[None, :]).sum(axis=1)


def draw_ordinal(rng: np.random.Generator, eta: np.ndarray, cuts: np.ndarray) -> np.ndarray:
    return stage_from_latent(eta + rng.logistic(size=eta.shape), np.asarray(cuts, dtype=float))


def response_stage_coefficient(sc: dict) -> float:
    """The log-odds of answering per maturity stage (``response.maturity_stage``; 0, the default: response depends
    on the register alone, missing at random given the propensity model's covariates)."""
    item = sc["response"].get("maturity_stage")
    return float(value_of(item)) if item else 0.0


def item_noise(sc: dict) -> float:
    """The scale of each component item's own logistic noise around the latent maturity (0: none)."""
    item = sc["components"].get("item_noise")
    return float(value_of(item)) if item else 0.0


def draw_components(
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
    eps = float(value_of(sc["components"]["inconsistency_rate"]))
    q4 = float(value_of(sc["components"]["measures_progress_at_stage_4"]))
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


def draw_admin(rng: np.random.Generator, political: np.ndarray, stage: np.ndarray, sc: dict) -> np.ndarray:
    an = sc["anchoring"]
    eta = value_of(an["admin_political"]) * (political - 3.0) + value_of(an["admin_stage"]) * (stage - 2.5)
    return 1 + draw_ordinal(rng, eta.astype(float), np.array(value_of(an["admin_cuts"]), dtype=float))


def draw_priorities(rng: np.random.Generator, n: int, sc: dict) -> np.ndarray:
    weights = sc["priorities"]["weights"]["value"]
    logw = np.log(np.array([weights[g] for g in range(1, 18)], dtype=float))
    # Gumbel top-3: three distinct goals, drawn without replacement with probability proportional to weight
    keys = logw[None, :] + rng.gumbel(size=(n, 17))
    return np.argsort(-keys, axis=1, kind="stable")[:, :3] + 1


def size_dependent_missingness(gi: np.random.Generator, rows: pd.DataFrame, inr: dict, model, stage) -> None:
    """Optional (``item_nonresponse.size_dependent``): items skipped more often by small, less mature units.

    ``value``: ``items`` (names), ``rate_at_median`` (probability at the median size and stage 2.5),
    ``log_population`` and ``stage`` (log-odds slopes).  Missing at random given size and stage, which are
    observed, so complete-case estimates are biased when the stage or size matters and multiple imputation that
    conditions on them is not.  Drawn after every other stream, so scenarios without it are unchanged.
    """
    if "size_dependent" not in inr:
        return
    cfg = value_of(inr["size_dependent"])
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
