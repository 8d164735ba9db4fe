"""The tables, figure and sentences of the book's chapter "Power and design analysis".

The chapter template states the parameters and calls these functions: :func:`setup` gathers the design of each
primary test (the respondents as fielded), :func:`power_curves` simulates or computes the probability of
"supported" over a grid of effects, and the ``*_table`` / ``*_text`` functions turn the curves into what the page
shows. The simulations themselves are in :mod:`vsr_analysis.stats.power_simulated`, the formulas in
:mod:`vsr_analysis.stats.power_analytic`.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy import optimize, stats

from vsr_analysis.stats import power_analytic as power
from vsr_analysis.stats import power_simulated as design
from vsr_analysis.stats.descriptives import as_float

#: The page's claims in the order of a claims.yml like the project's (a setup built from claims.yml orders its
#: claims as the file does: :attr:`PowerSetup.order`).
CLAIM_ORDER = ("F1", "F2", "F3", "F4", "F5", "F6", "F7", "F8")
ORD_GRID = np.round(np.r_[np.arange(0.0, 0.6001, 0.05), 0.7, 0.8, 1.0], 2)  # log-odds per SD of the characteristic
SHARE_GRID = np.round(np.arange(0.0, 0.15001, 0.01), 3)  # true share minus the rule's level
F4_GRID = np.round(np.arange(0.0, 0.15001, 0.0025), 4)  # true share at the top among small municipalities
SIZES = {"small": 0, "medium": 1, "large": 2}
ORD_SIZES = [0.2, 0.5, 0.8]
SHARE_SIZES = [0.05, 0.10, 0.15]
F4_SIZES = [0.02, 0.05, 0.10]
BASELINE = np.full(6, 1 / 6)  # maturity distribution at the average municipality (stated, not estimated)
SKEWED = np.array([0.10, 0.20, 0.25, 0.20, 0.15, 0.10])  # a skewed alternative, for the Whitehead cross-check
_CONTROLS = ["log_population", "centrality", "merged_2017_2020"]
ORDINAL = {
    "F1": {
        "label": "political anchoring",
        "terms": ["political_anchoring"],
        "covariates": ["political_anchoring", *_CONTROLS, "network_member"],
    },
    "F3": {
        "label": "merged, large, central and network-oriented: all four group comparisons",
        "terms": [*_CONTROLS, "network_member"],
        "covariates": [*_CONTROLS, "network_member"],
        "marginal": True,  # the ledger's rule: each characteristic alone, intersection-union (simulate_marginal_iut)
    },
    "F5": {
        "label": "kinds of network and cooperation with the county authority: both",
        "terms": ["network_kinds", "cooperates_with_county"],
        "covariates": ["network_kinds", "cooperates_with_county", *_CONTROLS],
        # the ledger's rule: each part in its own model with the controls and county FE, intersection-union
        "models": {"network_kinds": _CONTROLS, "cooperates_with_county": _CONTROLS},
    },
}
TERM_LABELS = {
    "political_anchoring": "political anchoring (1–5)",
    "log_population": "ln(inhabitants)",
    "centrality": "centrality index / 100",
    "merged_2017_2020": "merged 2017–2020 (0/1)",
    "network_member": "network member (0/1)",
    "network_kinds": "kinds of SDG network (0–3)",
    "cooperates_with_county": "works with the county authority (0/1)",
}
CURVE_COLUMNS = ["power", "ci_low", "ci_high", "n_valid", "n_failed"]


def whole(v) -> str:
    """A count for display: a whole number, or a dash where it does not apply."""
    return "–" if v is None or (isinstance(v, float) and np.isnan(v)) else f"{int(round(v))}"


def holm_levels(alpha: float, m_family: int) -> dict[str, float]:
    """The two levels power is shown at: α and Holm's most stringent step α / m."""
    return {"α": alpha, f"α / {m_family} (Holm's most stringent)": alpha / m_family}


@dataclass
class PowerSetup:
    """Everything the power chapter's computations need: the claims, the levels and each test's design."""

    claims: dict
    confirmatory: list
    alpha: float
    reps: int
    seed: int
    designs: dict
    shares: dict
    thresholds: dict
    n_frame: int
    n_resp: int
    cut: float
    small_resp: int
    small_frame: int
    top_stage: int
    min_cases: int
    existence: str | None = None  # the existence claim (rule ``existence``), whose power is exact

    @property
    def order(self) -> tuple[str, ...]:
        """The claims the page shows, in the order of ``claims``: model-based, share and existence claims."""
        return tuple(c for c in self.claims if c in ORDINAL or c in self.shares or c == self.existence)

    @property
    def m_family(self) -> int:
        return len(self.confirmatory)

    @property
    def alpha_holm(self) -> float:
        return self.alpha / self.m_family

    @property
    def levels(self) -> dict[str, float]:
        return holm_levels(self.alpha, self.m_family)


def setup(spec: dict, frame: pd.DataFrame, resp: pd.DataFrame, alpha: float, reps: int, seed: int) -> PowerSetup:
    """The design of every primary test on the responding municipalities, from the claims spec and the data."""
    claims = {c["id"]: c for c in spec["claims"]}
    # the Holm family as the ledger forms it (claims.ledger.in_holm_family): F3's components are decided at F3's
    # place and F4 rests on a count, so neither adds a member
    confirmatory = [
        c["id"] for c in spec["claims"] if c.get("confirmatory", True) and c.get("multiplicity", "holm") == "holm"
    ]
    n_frame, n_resp = len(frame), len(resp)
    sampling_fraction = n_resp / n_frame
    designs = {
        c: design.ordinal_design(
            resp, o["covariates"], fixed_effects=[] if o.get("marginal") else ["county_code"], weights="weight"
        )
        for c, o in ORDINAL.items()
    }
    shares = {c["id"]: share_design(c, resp, n_frame, sampling_fraction) for c in spec["claims"] if simulated_share(c)}
    existence = next((c["id"] for c in spec["claims"] if c.get("rule") == "existence"), None)
    answered = resp[np.isfinite(as_float(resp["maturity_stage"]))]
    cut = float(frame["population_2021"].median())
    return PowerSetup(
        claims=claims,
        confirmatory=confirmatory,
        alpha=alpha,
        reps=reps,
        seed=seed,
        designs=designs,
        shares=shares,
        thresholds={c: float(claims[c]["rule_parameters"]["threshold"]) for c in shares},
        n_frame=n_frame,
        n_resp=n_resp,
        cut=cut,
        small_resp=int((answered["population_2021"] < cut).sum()),
        small_frame=int((frame["population_2021"] < cut).sum()),
        top_stage=int(claims[existence]["rule_parameters"]["top_stage"]),
        min_cases=int(claims[existence]["rule_parameters"]["min_cases"]),
        existence=existence,
    )


def simulated_share(claim: dict) -> bool:
    """Whether the page simulates the claim as a share test: a share of one item among all municipalities against
    a level from above, as ``claims.yml`` declares it (``outcome``, ``population``, ``analysis``)."""
    outcome, population = claim.get("outcome") or {}, claim.get("population") or {}
    return (
        (claim.get("analysis") or {}).get("kind") == "share_vs_threshold"
        and population.get("units") == "municipalities"
        and not population.get("subgroup")
        and bool(outcome.get("item"))
        and claim.get("rule") != "share_below"
    )


def share_design(claim: dict, resp: pd.DataFrame, n_frame: int, sampling_fraction: float) -> dict:
    """A share claim's units in the test (respondents who answered the item, within the declared domain), the
    population for the correction (the frame, or the domain's size scaled by the sampling fraction) and its label
    (``outcome.label`` in claims.yml)."""
    outcome = claim["outcome"]
    known = np.isfinite(as_float(resp[outcome["item"]]))
    domain = outcome.get("domain")
    if domain:
        rows = resp[(as_float(resp[domain]) == 1) & known]
        size = len(rows) / sampling_fraction
    else:
        rows, size = resp[known], n_frame
    return {"label": outcome.get("label") or f"share with {outcome['item']}", "rows": rows, "N": size}


def intro_text(s: PowerSetup, spec_alpha: float) -> list[str]:
    """The paragraphs under the page's title: a warning if α differs from the ledger's, then the design in numbers."""
    out = []
    if spec_alpha != s.alpha:
        out.append(
            f":::{{warning}}\nThis page runs at α = {s.alpha:g}; the ledger pre-specifies α = {spec_alpha:g}.\n:::"
        )
    out.append(
        f"**{s.n_resp}** of the **{s.n_frame}** municipalities in the frame responded. The confirmatory family has "
        f"**{s.m_family}** claims ({', '.join(s.confirmatory)}), so the levels are α = **{s.alpha:g}** and, at "
        f"Holm's most stringent step, α / {s.m_family} = **{s.alpha_holm:.5f}**. Each simulated power rests on "
        f"**{s.reps}** replicates (seed {s.seed}); its Monte Carlo 95 % interval is shown beside it."
    )
    return out


def effect_table(top_stage: int) -> pd.DataFrame:
    """The stated small / medium / large effect of each primary test, with the reason for each."""
    rows = [
        (
            "F1, F5",
            "coefficient of the claim's characteristic in the proportional-odds model, in log-odds per standard "
            "deviation of the characteristic",
            ORD_SIZES,
            "Cohen's (1988) small / medium / large conventions 0.2 / 0.5 / 0.8, used on the log-odds scale per SD "
            "so that the 1–5 anchoring scale and the 0/1 membership are comparable (the ledger's smallest effect of "
            "interest, per unit of the term, is converted below)",
        ),
        (
            "F3",
            "a common coefficient for each of the four characteristics (log population, centrality, merger, "
            "network membership) in the model that draws the stages, in log-odds per SD of each",
            ORD_SIZES,
            "the same conventions, applied to all four at once; the stages are drawn with all four acting "
            "together, and each replicate is analysed as the ledger does: each characteristic alone (its marginal "
            "coefficient also carries what goes with it), one-sided tests, F3 supported when the largest p is "
            "below the level (intersection–union)",
        ),
        (
            "F2, F6, F7, F8",
            "true share minus the level in the decision rule (F2, F6, F8: 0.5; F7: 0.8)",
            SHARE_SIZES,
            "5 points above a majority is a bare majority (55 %); 10 and 15 points are a clear and a large one "
            "(60 %, 65 %; for F7 85 %, 90 %, 95 %)",
        ),
        (
            "F4",
            f"true share at stage ≥ {top_stage} among the municipalities below the frame's median population",
            F4_SIZES,
            "the rule needs at least three such municipalities; 2 %, 5 % and 10 % of the small municipalities at "
            "the top span 'very rare' to 'not unusual'",
        ),
    ]
    return pd.DataFrame(
        [
            {"claims": c, "effect measure": m, "small": z[0], "medium": z[1], "large": z[2], "why these sizes": why}
            for c, m, z, why in rows
        ]
    )


def design_table(s: PowerSetup) -> pd.DataFrame:
    """Each primary test as simulated: its units, the population for the correction and how power is computed."""
    rows = []
    for c in s.order:
        if c in ORDINAL or c in s.shares:
            units = s.designs[c].n if c in ORDINAL else len(s.shares[c]["rows"])
            pop = None if c in ORDINAL else round(s.shares[c]["N"])
            test, how = s.claims[c]["primary_test"], f"simulation, {s.reps} replicates"
        else:
            units, pop, how = s.small_resp, s.small_frame, "exact (binomial; hypergeometric beside it)"
            test = (
                f"supported branch of the rule: at least {s.min_cases} respondents below the median population "
                f"({s.cut:,.0f}) at stage ≥ {s.top_stage}"
            )
        rows.append(
            {
                "claim": c,
                "primary test": test,
                "units in the test": units,
                "population for the correction": pop,
                "how the power is computed": how,
            }
        )
    table = pd.DataFrame(rows)
    table["population for the correction"] = table["population for the correction"].map(whole)
    return table


def f3_rule_power(
    resp: pd.DataFrame,
    terms: list[str],
    effects: list[float],
    levels: dict[str, float],
    *,
    reps: int,
    seed: int,
    baseline: np.ndarray = BASELINE,
) -> pd.DataFrame:
    """F3's rule simulated on the fielded design: how often each component, and F3, would be supported.

    Stages are drawn with all four characteristics acting together at ``effect`` log-odds per SD each
    (:func:`~vsr_analysis.stats.power_simulated.simulate_marginal_iut`, common random numbers across effects);
    each replicate is analysed as the ledger does (each characteristic alone, no fixed effects, one-sided tests;
    F3 = the largest p).  One row per effect x level x (component or ``F3 (all four)``).
    """
    d = design.ordinal_design(resp, terms, fixed_effects=[], weights="weight")
    errors = np.random.default_rng([seed, 3]).logistic(size=(reps, d.n))
    rows = []
    for e in effects:
        sim = design.simulate_marginal_iut(
            d, {t: e / d.sd(t) for t in terms}, baseline_probs=baseline, terms=terms, errors=errors
        )
        failed = sim["failed"].to_numpy()
        for lv, a in levels.items():
            for name, p in [*((t, sim[f"p_{t}"]) for t in terms), ("F3 (all four)", sim["p_iut"])]:
                res = design.rejection_summary(p.to_numpy() < a, failed)
                rows.append({"effect per SD": float(e), "level": lv, "term": name, **res})
    return pd.DataFrame(rows)


def ordinal_rejections(sim: pd.DataFrame, terms: list[str], levels: dict, alpha: float) -> tuple[dict, np.ndarray]:
    """The rule's "supported" at each level, and the primary test's p-values, for simulated model fits.

    One term: p < level and a positive estimate. Several (F3, F5, from
    :func:`~.power_simulated.simulate_component_iut`): the intersection-union p (the largest one-sided p of the
    components) below the level.
    """
    if len(terms) == 1:
        p = sim[f"p_{terms[0]}"].to_numpy()
        positive = sim[f"est_{terms[0]}"].to_numpy() > 0
        return {lv: (p < a) & positive for lv, a in levels.items()}, p
    p = sim["p_iut"].to_numpy()
    return {lv: p < a for lv, a in levels.items()}, p


def ordinal_curve(s: PowerSetup, claim: str, k: int) -> list[dict]:
    """Rejections of the claim's rule at both levels over ORD_GRID, with common random numbers (stream k)."""
    o, d = ORDINAL[claim], s.designs[claim]
    errors = np.random.default_rng([s.seed, k]).logistic(size=(s.reps, d.n))
    out = []
    for e in ORD_GRID:
        coefs = {t: e / d.sd(t) for t in o["terms"]}
        if o.get("marginal"):
            sim = design.simulate_marginal_iut(d, coefs, baseline_probs=BASELINE, terms=o["terms"], errors=errors)
        elif o.get("models"):
            sim = design.simulate_component_iut(
                d, coefs, baseline_probs=BASELINE, models=o["models"], fixed_effects=True, errors=errors
            )
        else:
            sim = design.simulate_ordinal_tests(d, coefs, baseline_probs=BASELINE, test_terms=o["terms"], errors=errors)
        reject, p_test = ordinal_rejections(sim, o["terms"], s.levels, s.alpha)
        for lv, rj in reject.items():
            res = design.rejection_summary(rj, sim["failed"].to_numpy())
            alone = design.rejection_summary(p_test < s.levels[lv], sim["failed"].to_numpy())["power"]
            out.append(
                {
                    "claim": claim,
                    "effect": float(e),
                    "level": lv,
                    **res,
                    "test alone": alone,
                    "refitted singly": int(sim["fallback"].sum()),
                }
            )
    return out


def share_curve(s: PowerSetup, claim: str, k: int) -> list[dict]:
    """Rejections of the share test at both levels over SHARE_GRID: the frame holds exactly threshold + effect,
    the respondents are a random subset of it (stream 10 + k)."""
    sh, thr = s.shares[claim], s.thresholds[claim]
    w = sh["rows"]["weight"].to_numpy(float)
    n, N = len(w), int(round(sh["N"]))
    if n == 0:  # nobody in the test's domain: nothing to simulate
        return [
            {"claim": claim, "effect": float(dl), "level": lv, "power": np.nan, "ci_low": np.nan,
             "ci_high": np.nan, "n_valid": 0, "n_failed": 0, "test alone": np.nan, "refitted singly": 0}
            for dl in SHARE_GRID
            for lv in s.levels
        ]  # fmt: skip
    u = np.random.default_rng([s.seed, 10 + k]).random((s.reps, N))
    ranks = u.argsort(axis=1).argsort(axis=1)[:, :n]  # the respondents' places in a random order of the frame
    out = []
    for delta in SHARE_GRID:
        K = int(round(min(1.0, thr + delta) * N))  # the frame holds exactly this many with the outcome
        p = design.share_pvalues((ranks < K).astype(float), w, thr, population_size=sh["N"])
        for lv, a in s.levels.items():
            res = design.rejection_summary(p < a)
            out.append(
                {"claim": claim, "effect": float(delta), "level": lv, **res, "test alone": res["power"],
                 "refitted singly": 0}
            )  # fmt: skip
    return out


def f4_rows(s: PowerSetup) -> list[dict]:
    """F4's exact (binomial) probability of at least ``min_cases`` small respondents at the top, over F4_GRID."""
    f4_binom = design.prob_at_least(s.min_cases, s.small_resp, F4_GRID)
    return [
        {"claim": s.existence, "effect": float(q), "level": lv, "power": float(pb), "ci_low": np.nan, "ci_high": np.nan,
         "n_valid": np.nan, "n_failed": 0, "test alone": float(pb), "refitted singly": 0}
        for q, pb in zip(F4_GRID, f4_binom)
        for lv in s.levels
    ]  # fmt: skip


def f4_hypergeom(s: PowerSetup, q: float) -> float:
    """F4's probability if exactly the share q of the frame's small municipalities is at the top."""
    K = int(round(q * s.small_frame))
    return float(stats.hypergeom.sf(s.min_cases - 1, s.small_frame, K, s.small_resp))


def f4_share_for_power(s: PowerSetup, target: float = 0.8) -> float | None:
    """The share of small municipalities at the top at which F4's binomial probability reaches ``target``."""
    if s.small_resp < s.min_cases:
        return None
    return optimize.brentq(lambda q: design.prob_at_least(s.min_cases, s.small_resp, q) - target, 1e-6, 0.5)


def power_curves(s: PowerSetup) -> pd.DataFrame:
    """All power curves: the model-based tests, the share tests (simulated) and F4 (exact), at both levels."""
    ordinal = pd.DataFrame([r for k, c in enumerate(ORDINAL) for r in ordinal_curve(s, c, k)])
    shares = pd.DataFrame([r for k, c in enumerate(s.shares) for r in share_curve(s, c, k)])
    curves = pd.concat([ordinal, shares], ignore_index=True)
    return pd.concat([curves, pd.DataFrame(f4_rows(s))], ignore_index=True)


def coefficient_table(s: PowerSetup) -> pd.DataFrame:
    """What the stated sizes per SD mean per unit of each characteristic, beside the ledger's SESOI per SD."""
    rows = []
    for c, o in ORDINAL.items():
        d = s.designs[c]
        sesoi = s.claims[c].get("rule_parameters", {}).get("sesoi_log_odds")
        for t in o["terms"]:
            rows.append(
                {
                    "claim": c,
                    "characteristic": TERM_LABELS[t],
                    "SD among the units in the test": d.sd(t),
                    # a characteristic without variation among the units has no per-unit scale (not a number)
                    **{
                        f"coefficient per unit, {name} ({e:g}/SD)": e / d.sd(t) if d.sd(t) > 0 else np.nan
                        for name, e in zip(SIZES, ORD_SIZES)
                    },
                    "ledger's smallest effect of interest, per SD": (
                        float(sesoi) * d.sd(t) if sesoi is not None else np.nan
                    ),
                }
            )
    return pd.DataFrame(rows)


def f4_text(s: PowerSetup, q80: float | None) -> str:
    """The paragraph on how many small respondents F4 rests on."""
    return (
        f"{s.small_resp} responding municipalities answered the maturity question and have fewer inhabitants than "
        f"the frame's median ({s.cut:,.0f}); the frame has {s.small_frame} such municipalities. "
        + (
            f"Three or more of them reach stage ≥ {s.top_stage} with probability 0.8 once about "
            f"**{q80:.1%}** of them are there (binomial)."
            if q80 is not None
            else "Too few small municipalities responded for the rule's three cases."
        )
    )


def at(curves: pd.DataFrame, claim: str, effect: float, level: str) -> pd.Series:
    """The row of the power curves for one claim, effect and level."""
    row = curves[(curves["claim"] == claim) & np.isclose(curves["effect"], effect) & (curves["level"] == level)]
    return row.iloc[0]


def _sizes_and_scale(s: PowerSetup, c: str) -> tuple[list[float], str]:
    if c in ORDINAL:
        return ORD_SIZES, "log-odds per SD"
    if c in s.shares:
        return SHARE_SIZES, "share above the level"
    return F4_SIZES, f"share of small municipalities at stage ≥ {s.top_stage}"


def power_table(s: PowerSetup, curves: pd.DataFrame) -> pd.DataFrame:
    """Power at the stated sizes, at α and α / m, with Monte Carlo intervals; F4 exact with a hypergeometric note."""
    lv_a, lv_h = list(s.levels)
    m = s.m_family
    rows = []
    for c in s.order:
        sizes, unit = _sizes_and_scale(s, c)
        for name, e in zip(SIZES, sizes):
            a, h = at(curves, c, e, lv_a), at(curves, c, e, lv_h)
            row = {
                "claim": c,
                "effect": name,
                "size": e,
                "scale": unit,
                f"power at α = {s.alpha:g}": a["power"],
                "low (α)": a["ci_low"],
                "high (α)": a["ci_high"],
                f"power at α / {m} = {s.alpha_holm:.5f}": h["power"],
                f"low (α / {m})": h["ci_low"],
                f"high (α / {m})": h["ci_high"],
                "valid replicates": a["n_valid"],
                "note": "",
            }
            if c == s.existence:
                row["note"] = (
                    f"exact binomial; hypergeometric (exactly {round(e * s.small_frame)} of {s.small_frame} in the "
                    f"frame): {f4_hypergeom(s, e):.3f}; no p-value enters the supported branch"
                )
            rows.append(row)
    table = pd.DataFrame(rows)
    table["valid replicates"] = table["valid replicates"].map(whole)
    return table


def size_check_table(s: PowerSetup, curves: pd.DataFrame) -> pd.DataFrame:
    """Rejection rates at zero effect: the test alone and the rule's "supported", at both levels."""
    lv_a, lv_h = list(s.levels)
    m = s.m_family
    rows = []
    for c in [*ORDINAL, *s.shares]:
        a, h = at(curves, c, 0.0, lv_a), at(curves, c, 0.0, lv_h)
        rows.append(
            {
                "claim": c,
                f"test alone rejects at α = {s.alpha:g}": a["test alone"],
                f"'supported' at α = {s.alpha:g}": a["power"],
                "low (α)": a["ci_low"],
                "high (α)": a["ci_high"],
                f"test alone rejects at α / {m}": h["test alone"],
                f"'supported' at α / {m}": h["power"],
                "valid replicates": int(a["n_valid"]),
                "replicates refitted singly": int(a["refitted singly"]),
            }
        )
    return pd.DataFrame(rows)


def power_curves_figure(s: PowerSetup, curves: pd.DataFrame):
    """Three panels of power curves, stacked: model-based tests, share tests, F4; solid at α, dashed at α / m."""
    import matplotlib.pyplot as plt
    import seaborn as sns

    from vsr_analysis.stats.figure_style import WIDTH, legend_below, set_style, wrap

    set_style()
    lv_a, lv_h = list(s.levels)
    cb = sns.color_palette("colorblind", 8)
    palette = {"F1": cb[0], "F3": cb[2], "F5": cb[4], "F2": cb[1], "F6": cb[3], "F7": cb[6], "F8": cb[7], "F4": cb[5]}
    extra = sns.color_palette("dark", 8)  # a claim added since: a colour of its own
    palette.update({c: extra[k % 8] for k, c in enumerate(c for c in s.order if c not in palette)})
    fig, axes = plt.subplots(3, 1, figsize=(WIDTH, 15), sharey=True)
    panels = [
        (axes[0], list(ORDINAL), "Effect, log-odds per SD of the characteristic", "Model-based tests (F1, F3, F5)"),
        (axes[1], list(s.shares), "True share minus the rule's level", f"Share tests ({', '.join(s.shares)})"),
        (axes[2], [s.existence], f"True share of small municipalities at stage ≥ {s.top_stage}", f"{s.existence}: three small ones at the top"),
    ]  # fmt: skip
    for ax, ids, xlabel, title in panels:
        sub = curves[curves["claim"].isin(ids)]
        if ids == [s.existence]:
            sub = sub[sub["level"] == lv_a]
            sns.lineplot(data=sub, x="effect", y="power", hue="claim", palette=palette, ax=ax, lw=2)
            for q in F4_SIZES:
                ax.axvline(q, color="grey", lw=0.8, ls="--")
            ax.xaxis.set_major_formatter(plt.FuncFormatter(lambda v, _: f"{v:.0%}"))
        else:
            sns.lineplot(data=sub, x="effect", y="power", hue="claim", style="level", palette=palette, markers=True,
                         dashes={lv_a: "", lv_h: (4, 2)}, ax=ax, lw=1.6, markersize=4)  # fmt: skip
            for e in ORD_SIZES if ids == list(ORDINAL) else SHARE_SIZES:
                ax.axvline(e, color="grey", lw=0.8, ls="--")
        ax.axhline(0.8, color="grey", lw=1, ls=":")
        ax.set_xlabel(wrap(xlabel, 45))
        ax.set_title(title)
        ax.set_ylabel(wrap("Probability of 'supported' (power)", 22))
    axes[0].set_ylim(0, 1.02)
    fig.tight_layout(h_pad=9)
    for ax in axes:
        legend_below(ax, ncol=2)  # under each panel's axis label, where it hides no curve
    return fig


def split_of(resp: pd.DataFrame, col: str, label_1: str, label_0: str) -> tuple[str, int, int]:
    """A two-group split of the respondents by a 0/1 column: its label and the two group sizes."""
    v = as_float(resp[col])
    return (f"{label_1} / {label_0} (this survey)", int(np.sum(v == 1)), int(np.sum(v == 0)))


def mdes_table(s: PowerSetup, resp: pd.DataFrame) -> pd.DataFrame:
    """Minimum detectable standardised differences at power 0.8 for methods.md's benchmarks and this survey's
    splits, at α and α / m (NaN where a group is empty)."""
    splits = [
        ("150 / 150 (methods.md)", 150, 150),
        ("30 / 270 (methods.md)", 30, 270),
        split_of(resp, "network_member", "network members", "non-members"),
        split_of(resp, "merged_2017_2020", "merged 2017–2020", "not merged"),
        split_of(resp, "above_median_population", "above the median population", "below it"),
    ]

    def mdes(n1, n2, a):
        return power.mdes_two_groups(n1, n2, a, 0.8) if min(n1, n2) else np.nan

    return pd.DataFrame(
        [
            {
                "comparison": lab,
                "group 1": n1,
                "group 2": n2,
                f"MDES at α = {s.alpha:g}, power 0.8": mdes(n1, n2, s.alpha),
                f"MDES at α / {s.m_family}, power 0.8": mdes(n1, n2, s.alpha_holm),
            }
            for lab, n1, n2 in splits
        ]
    )


def mdes_text(s: PowerSetup, mdes: pd.DataFrame) -> str:
    """The sentence comparing the computed benchmarks with methods.md's."""
    return (
        f"Computed: **{mdes.iloc[0, 3]:.2f}** for 150/150 and **{mdes.iloc[1, 3]:.2f}** for 30/270 at α = "
        f"{s.alpha:g} (methods.md: about 0.32 and 0.54); at α / {s.m_family} they grow to {mdes.iloc[0, 4]:.2f} and "
        f"{mdes.iloc[1, 4]:.2f}."
    )


def network_groups(s: PowerSetup) -> tuple[int, int]:
    """Members and non-members of a network among the units of the F1 model (where membership is a control)."""
    d5 = s.designs["F1"]
    n1 = int(d5.rows["network_member"].astype(float).sum())
    return n1, d5.n - n1


def whitehead_table(s: PowerSetup, curves: pd.DataFrame) -> pd.DataFrame:
    """A two-group effect's power (network membership): the test with F1's controls, counties and weights, the
    bare two-group test simulated, and Whitehead's formula."""
    d5 = s.designs["F1"]
    n1, n0 = network_groups(s)
    bare = design.ordinal_design(d5.rows, ["network_member"])  # same rows, no controls, no weights
    bare_errors = np.random.default_rng([s.seed, 99]).logistic(size=(s.reps, bare.n))
    full_errors = np.random.default_rng([s.seed, 98]).logistic(size=(s.reps, d5.n))
    rows = []
    for name, e in zip(SIZES, ORD_SIZES):
        b = e / d5.sd("network_member")
        sim_bare = design.simulate_ordinal_tests(
            bare, {"network_member": b}, baseline_probs=BASELINE, test_terms=["network_member"], errors=bare_errors
        )
        sim_full = design.simulate_ordinal_tests(
            d5, {"network_member": b}, baseline_probs=BASELINE, test_terms=["network_member"], errors=full_errors
        )
        rows.append(
            {
                "effect": name,
                "log odds ratio member vs not": b,
                "simulated with controls, counties and weights": design.rejection_summary(
                    sim_full["p_network_member"] < s.alpha, sim_full["failed"]
                )["power"],
                "simulated, no controls or weights": design.rejection_summary(
                    sim_bare["p_network_member"] < s.alpha, sim_bare["failed"]
                )["power"],
                "Whitehead, uniform stages": power.power_ordinal_whitehead(n1, n0, b, BASELINE, s.alpha),
                "Whitehead, skewed stages (10/20/25/20/15/10 %)": power.power_ordinal_whitehead(
                    n1, n0, b, SKEWED, s.alpha
                ),
            }
        )
    return pd.DataFrame(rows)


def crossing(curves: pd.DataFrame, claim: str, level: str, target: float = 0.8) -> float | None:
    """The smallest effect at which the claim's power curve reaches ``target`` (None if it never does)."""
    sub = curves[(curves["claim"] == claim) & (curves["level"] == level)]
    return design.first_crossing(sub["effect"], sub["power"], target)


def fmt_cross(x: float | None, claim: str) -> str:
    """An effect at which power reaches 0.8, in the claim's own units."""
    if x is None:
        return "beyond the largest effect simulated"
    return f"{x:.2f} log-odds per SD" if claim in ORDINAL else f"{100 * x:.1f} percentage points above the level"


def verdict_reading(pa_small: float, pa_medium: float, ph_small: float) -> str:
    """What an 'inconclusive' verdict means given the power for small and medium effects."""
    if ph_small >= 0.8:
        return "Even a small effect would very likely have been found, after the full Holm correction."
    if pa_small >= 0.8:
        return "A small effect would likely be found at α, but could be missed after Holm's correction."
    if pa_medium >= 0.8:
        return (
            "A medium effect would very likely be found; a small one could well be missed, so an "
            "'inconclusive' verdict says little against a small effect."
        )
    return "Even a medium effect could be missed: an 'inconclusive' verdict here is weak evidence of absence."


def claim_lines(s: PowerSetup, curves: pd.DataFrame, table: pd.DataFrame, q80: float | None) -> list[str]:
    """One sentence per claim: its power at the stated sizes, where it reaches 0.8, and what that means."""
    lv_a, lv_h = list(s.levels)
    m = s.m_family
    lines = []
    for c in s.order:
        p = table[table["claim"] == c].set_index("effect")
        pa, ph = p[f"power at α = {s.alpha:g}"], p[f"power at α / {m} = {s.alpha_holm:.5f}"]
        if c == s.existence:
            text = (
                f"**F4** — with {s.small_resp} small respondents, three or more at stage ≥ {s.top_stage} would be "
                f"seen with probability {pa['small']:.2f}, {pa['medium']:.2f} and {pa['large']:.2f} if 2 %, 5 % or "
                f"10 % of small municipalities were there; 0.8 is reached at about "
                f"{'–' if q80 is None else f'{q80:.1%}'}. "
            )
            text += (
                "The rule would very likely find the three cases if at least that share of small municipalities "
                "were at the top; a rarer presence could go unseen, and then the verdict is 'inconclusive', not "
                "'not supported'."
                if q80 is not None
                else "Too few small municipalities answered for the rule to be met."
            )
            lines.append(text)
            continue
        n_units = s.designs[c].n if c in ORDINAL else len(s.shares[c]["rows"])
        if np.isnan(pa["small"]):
            lines.append(f"**{c}** — no responding municipality is in the test's domain, so it had no power at all.")
            continue
        x_a, x_h = crossing(curves, c, lv_a), crossing(curves, c, lv_h)
        what = ORDINAL[c]["label"] if c in ORDINAL else s.shares[c]["label"]
        text = (
            f"**{c}** ({what}; {n_units} municipalities) — power {pa['small']:.2f} / {pa['medium']:.2f} / "
            f"{pa['large']:.2f} for a small / medium / large effect at α = {s.alpha:g} ({ph['small']:.2f} / "
            f"{ph['medium']:.2f} / {ph['large']:.2f} at α / {m}); 80 % power from about "
            f"{fmt_cross(x_a, c)} at α and {fmt_cross(x_h, c)} at α / {m}. "
        )
        lines.append(text + verdict_reading(pa["small"], pa["medium"], ph["small"]))
    return lines


def fit_summary_text(s: PowerSetup, curves: pd.DataFrame) -> str:
    """How many simulated model fits were refitted singly or could not be fitted at all."""
    n_levels = len(s.levels)
    n_single = int(curves["refitted singly"].sum() / n_levels)
    n_model = s.reps * len(ORD_GRID) * len(ORDINAL)
    n_failed = int(curves.loc[curves["claim"].isin(list(ORDINAL)), "n_failed"].sum() / n_levels)
    return (
        f"Of the {n_model:,} simulated model fits, {n_single} fell outside what the vectorised fit handles (an "
        "outcome level never drawn, or no convergence) and were refitted with `fit_ordinal` itself; "
        f"{n_failed} could not be fitted at all and are left out of the power."
    )
