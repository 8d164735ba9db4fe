"""Is being "big" (or "central") a prerequisite for the top maturity stages?  The F4 evidence.

The report's F4 is a claim about *necessity*: "being 'big and strong' is not a prerequisite for success".
It is tested in two complementary ways, both pre-specified in ``claims.yml``:

* Necessary Condition Analysis (``necessity.nca``): is the upper-left corner of the X-stage scatter empty,
  and if so, what minimum X does the CE-FDH ceiling require for the top stages (the bottleneck)?
* The direct evidence: how many units below the "big" threshold reach the top stages.  One clear case
  falsifies strict necessity; the decision rule asks for at least three.

This module computes those inputs; ``claims.rule_not_prerequisite`` turns them into a verdict.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from vsr_analysis.stats.descriptives import COMPONENT_ITEMS
from vsr_analysis.stats.nca import effect_size_label, nca


@dataclass
class PrerequisiteEvidence:
    threshold: float
    top_stage: int
    required_x: float | None  # minimum X (original units) the CE-FDH ceiling requires for top_stage
    cases_below_threshold_at_top: int
    n_below_threshold: int
    n: int
    minimum_size_condition: bool  # the ceiling binds, but only below the threshold

    def as_rule_inputs(self) -> dict:
        return {
            "threshold": self.threshold,
            "top_stage": self.top_stage,
            "required_x": self.required_x,
            "cases_below_threshold_at_top": self.cases_below_threshold_at_top,
            "n_below_threshold": self.n_below_threshold,
            "minimum_size_condition": self.minimum_size_condition,
        }


def required_for_stage(x: np.ndarray, y: np.ndarray, stage: float) -> float | None:
    """Minimum X the CE-FDH ceiling requires for outcome >= ``stage`` (original units).

    ``None`` when no observed unit reaches the stage (nothing can be said), the smallest observed X when
    the ceiling does not bind at that stage (any observed X suffices).
    """
    x = np.asarray(x, dtype=float)
    y = np.asarray(y, dtype=float)
    ok = ~(np.isnan(x) | np.isnan(y))
    x, y = x[ok], y[ok]
    reaching = y >= stage
    if not reaching.any():
        return None
    # CE-FDH is the running maximum of Y over X: the first X at which the ceiling reaches `stage` is the
    # smallest X among units at or above the stage.
    return float(x[reaching].min())


def evidence_for(x, y, threshold: float, top_stage: int = 4) -> PrerequisiteEvidence:
    """The decision inputs for "X above ``threshold`` is not a prerequisite for Y >= ``top_stage``"."""
    x = np.asarray(x, dtype=float)
    y = np.asarray(y, dtype=float)
    ok = ~(np.isnan(x) | np.isnan(y))
    x, y = x[ok], y[ok]
    required = required_for_stage(x, y, top_stage)
    below = x < threshold
    cases = int(np.sum(below & (y >= top_stage)))
    binds = required is not None and required > x.min()
    return PrerequisiteEvidence(
        threshold=float(threshold),
        top_stage=int(top_stage),
        required_x=required,
        cases_below_threshold_at_top=cases,
        n_below_threshold=int(below.sum()),
        n=int(len(x)),
        minimum_size_condition=bool(binds and required < threshold),
    )


def upper_tail_contrast(
    y, group, top_stage: int, weights=None, reps: int = 2000, seed: int = 0, level: float = 0.95
) -> dict:
    """Difference in P(Y >= top_stage) between ``group`` == 1 and == 0, with a percentile bootstrap CI.

    Resampling is stratified by group (each group resampled within itself) and vectorised: one
    ``(reps, n_group)`` index matrix per group.  Weights, when given, are resampled with their units.
    """
    y = np.asarray(y, dtype=float)
    g = np.asarray(group, dtype=int)
    w = np.ones_like(y) if weights is None else np.asarray(weights, dtype=float)
    ok = ~np.isnan(y)
    y, g, w = y[ok], g[ok], w[ok]
    top = (y >= top_stage).astype(float)
    rng = np.random.default_rng(seed)
    shares, boot = {}, {}
    for value in (0, 1):
        t, ww = top[g == value], w[g == value]
        if len(t) == 0:
            return {"estimate": None, "ci_low": None, "ci_high": None, "share_1": None, "share_0": None}
        shares[value] = float(np.sum(t * ww) / np.sum(ww))
        idx = rng.integers(0, len(t), size=(reps, len(t)))
        boot[value] = np.sum(t[idx] * ww[idx], axis=1) / np.sum(ww[idx], axis=1)
    diff = boot[1] - boot[0]
    alpha = 1 - level
    return {
        "estimate": shares[1] - shares[0],
        "ci_low": float(np.quantile(diff, alpha / 2)),
        "ci_high": float(np.quantile(diff, 1 - alpha / 2)),
        "share_1": shares[1],
        "share_0": shares[0],
        "reps": reps,
    }


def nca_table(x, y, permutations: int, seed: int) -> pd.DataFrame:
    """CE-FDH and CR-FDH side by side: effect size, its label, permutation p, accuracy, scope."""
    rows = []
    for ceiling in ("ce_fdh", "cr_fdh"):
        res = nca(x, y, ceiling=ceiling, permutations=permutations, seed=seed)
        rows.append(
            {
                "ceiling": ceiling.upper().replace("_", "-"),
                "effect_size_d": res.effect_size,
                "size": effect_size_label(res.effect_size),
                "p_value": res.p_value,
                "permutations": res.permutations,
                "ceiling_accuracy": res.accuracy,
                "scope_x": f"{res.scope[0]:.3g} – {res.scope[1]:.3g}",
                "scope_y": f"{res.scope[2]:g} – {res.scope[3]:g}",
                "n": res.n,
            }
        )
    return pd.DataFrame(rows)


def item_based_stage(frame: pd.DataFrame) -> pd.Series:
    """An alternative maturity measure: the number of the five component items answered yes (0-5).

    Missing when any component item is missing, so the score never counts an unanswered item as "no".
    """
    items = frame[list(COMPONENT_ITEMS)].astype("Float64")
    return items.sum(axis=1, skipna=False).astype(float)


def necessity_multiverse(
    respondents: pd.DataFrame, frame: pd.DataFrame, *, permutations: int = 2000, seed: int = 0
) -> pd.DataFrame:
    """The F4 decision under every reasonable way of asking it (a specification curve for necessity).

    Varies the outcome (self-classified stage / item-based score), the definition of the top (>= 4 / = 5), the
    size coding NCA sees (log10 population / population / rank), the ceiling (CE-FDH / CR-FDH) and the
    threshold for "big" (frame median / 10,000 / 20,000).  Returns one row per specification with the NCA
    effect size and permutation p, the required size, the count of small units at the top and the decision
    of the pre-specified rule (at the unadjusted level).
    """
    from vsr_analysis.claims.ledger import decide, load_claims_spec

    spec = load_claims_spec()
    claim = next(c for c in spec["claims"] if c["id"] == "F4")
    alpha = float(spec["alpha"])
    outcomes = {
        "self-classified stage": respondents["maturity_stage"].astype(float),
        "item-based score": item_based_stage(respondents),
    }
    pop = respondents["population_2021"].astype(float)
    codings = {"log10 population": np.log10(pop), "population": pop, "population rank": pop.rank()}
    thresholds = {"median": float(frame["population_2021"].median()), "10,000": 10_000.0, "20,000": 20_000.0}
    rows = []
    for out_name, y_all in outcomes.items():
        ok = y_all.notna().to_numpy()
        y = y_all.to_numpy()[ok]
        for top in (4, 5):
            for cod_name, x_all in codings.items():
                x = np.asarray(x_all, dtype=float)[ok]
                for ceiling in ("ce_fdh", "cr_fdh"):
                    res = nca(x, y, ceiling=ceiling, permutations=permutations, seed=seed)
                    for t_name, t in thresholds.items():
                        ev = evidence_for(pop.to_numpy()[ok], y, t, top)
                        d = decide(
                            claim,
                            {"primary": {"p_value": res.p_value}, "rule_inputs": ev.as_rule_inputs()},
                            alpha,
                            res.p_value,
                        )
                        rows.append(
                            {
                                "outcome": out_name,
                                "top": f"≥ {top}" if top < 5 else "= 5",
                                "size coding": cod_name,
                                "ceiling": ceiling.upper().replace("_", "-"),
                                "threshold": t_name,
                                "effect size d": res.effect_size,
                                "p": res.p_value,
                                "required size": ev.required_x,
                                "small at the top": ev.cases_below_threshold_at_top,
                                "decision": d.verdict,
                            }
                        )
    return pd.DataFrame(rows)
