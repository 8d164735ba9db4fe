"""The maturity ladder as a distribution: shares per stage, dispersion, and agreement with the component items.

Used by the chapter of the stage-share claim.  ``y`` is the self-classified stage (floats, NaN = missing), ``w`` the raking weights;
``labels`` maps stage code -> short name (``Codebook.maturity_labels``); ``stages`` are the possible codes (0-5).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence

import numpy as np
import pandas as pd
from scipy import stats

from vsr_analysis.stats.descriptives import (
    COMPONENT_ITEMS,
    as_float,
    implied_item_count,
    item_score,
    ladder_consistency,
    stages_with_min_share,
)
from vsr_analysis.stats.dispersion import blair_lacy, dispersion_ci, leik_d, weighted_distribution
from vsr_analysis.stats.intervals import bootstrap_ci
from vsr_analysis.stats.shares import share_test

__all__ = [
    "stage_distribution_table",
    "dispersion_table",
    "stage_and_score",
    "stage_score_crosstab",
    "stage_score_agreement",
    "county_stage_table",
    "stage_and_score_shares",
    "started_variants",
]


def stage_distribution_table(
    y: np.ndarray, w: np.ndarray, labels: Mapping[int, str], stages: Sequence[int], population_size: int
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Per stage: count, weighted share with Wilson CI (Kish n, finite-population correction), unweighted share,
    weighted share at or above; and the weighted distribution itself (``weighted_distribution``)."""
    dist = weighted_distribution(y, w, levels=stages, population_size=population_size)
    dist_unw = weighted_distribution(y, None, levels=stages, population_size=population_size)
    table = pd.DataFrame(
        {
            "stage": dist["level"].astype(int),
            "stage name": [labels[int(s)] for s in dist["level"]],
            "municipalities": dist["n"].astype(int),
            "share (weighted)": dist["share"],
            "ci_low": dist["ci_low"],
            "ci_high": dist["ci_high"],
            "share (unweighted)": dist_unw["share"],
            "share at or above (weighted)": dist["share_at_or_above"],
        }
    )
    return table, dist


def dispersion_table(y: np.ndarray, w: np.ndarray, stages: Sequence[int], *, reps: int, seed: int) -> pd.DataFrame:
    """Leik's D and Blair-Lacy 1 - l^2: weighted with percentile bootstrap CI, unweighted, and their value for a
    uniform distribution over the stages (reference point; 0 = all at one stage)."""
    rows = []
    uniform = np.repeat(list(stages), 10)
    for label, measure, fn in [("Leik's D", "leik", leik_d), ("Blair–Lacy 1 − l²", "l2", blair_lacy)]:
        ci = dispersion_ci(y, w, levels=stages, measure=measure, reps=reps, seed=seed)
        rows.append(
            {
                "measure": label,
                "weighted": ci.estimate,
                "ci_low": ci.low,
                "ci_high": ci.high,
                "unweighted": fn(y, None, levels=stages),
            }
        )
    for row, fn in zip(rows, (leik_d, blair_lacy)):
        row["if uniform over the six stages"] = fn(uniform, None, levels=stages)
    return pd.DataFrame(rows)


def stage_and_score(answered: pd.DataFrame, y: np.ndarray, w: np.ndarray) -> pd.DataFrame:
    """Rows with both the self-classified ``stage`` and the item-based ``score`` (0-5), and their ``weight``."""
    score = item_score(answered, COMPONENT_ITEMS)
    return pd.DataFrame({"stage": y, "score": score.to_numpy(), "weight": w}).dropna()


def stage_score_crosstab(both: pd.DataFrame, labels: Mapping[int, str], stages: Sequence[int]) -> pd.DataFrame:
    """Counts of self-classified stage (rows) by item-based score (columns ``score k``), with row totals."""
    ct = pd.crosstab(both["stage"].astype(int), both["score"].astype(int)).reindex(
        index=stages, columns=stages, fill_value=0
    )
    table = ct.copy()
    table.columns = [f"score {c}" for c in ct.columns]
    table.insert(0, "self-classified stage", [f"{s} {labels[s]}" for s in ct.index])
    table["municipalities"] = ct.sum(axis=1).to_numpy()
    return table


def stage_score_agreement(
    both: pd.DataFrame, answered: pd.DataFrame, *, reps: int, seed: int
) -> tuple[pd.DataFrame, dict[str, float]]:
    """Spearman's rho (bootstrap CI), the shares whose score equals / is within one of the number of items the
    stage implies, and the share whose items match their stage exactly; plus the same in a dict (``rho``, ``p``,
    ``ci_low``, ``ci_high``, ``exact``, ``within_one``, ``ladder_consistency``)."""
    rho, p_rho = stats.spearmanr(both["stage"], both["score"])
    boot = bootstrap_ci(
        lambda a, b: stats.spearmanr(a, b)[0],
        [both["stage"].to_numpy(), both["score"].to_numpy()],
        reps=reps,
        seed=seed,
    )
    implied = implied_item_count(both["stage"])
    exact = float(np.mean(implied == both["score"].to_numpy()))
    within1 = float(np.mean(np.abs(implied - both["score"].to_numpy()) <= 1))
    cons = ladder_consistency(answered["maturity_stage"], answered[list(COMPONENT_ITEMS)])
    cons_share = float(np.nanmean(cons["consistent"]))
    nan = np.nan
    table = pd.DataFrame(
        [
            {"statistic": "Spearman correlation (unweighted)", "value": rho, "ci_low": boot.low, "ci_high": boot.high},
            {
                "statistic": "share whose score equals the number of items the stage implies",
                "value": exact,
                "ci_low": nan,
                "ci_high": nan,
            },
            {
                "statistic": "share whose score is within one item of it",
                "value": within1,
                "ci_low": nan,
                "ci_high": nan,
            },
            {
                "statistic": "share whose items match their stage exactly (ladder consistency)",
                "value": cons_share,
                "ci_low": nan,
                "ci_high": nan,
            },
        ]
    )
    summary = {"rho": rho, "p": p_rho, "ci_low": boot.low, "ci_high": boot.high, "exact": exact}
    return table, {**summary, "within_one": within1, "ladder_consistency": cons_share}


def county_stage_table(
    counties: pd.DataFrame, labels: Mapping[int, str], stages: Sequence[int]
) -> tuple[pd.DataFrame, np.ndarray]:
    """Counts of county authorities per stage (unweighted, never pooled with municipalities) and their stages."""
    cy = as_float(counties["maturity_stage"])
    counts = pd.Series(cy[np.isfinite(cy)].astype(int)).value_counts().reindex(stages, fill_value=0)
    table = pd.DataFrame(
        {"stage": list(stages), "stage name": [labels[s] for s in stages], "county authorities": counts.to_numpy()}
    )
    return table, cy


def stage_and_score_shares(both: pd.DataFrame, stages: Sequence[int]) -> pd.DataFrame:
    """Long table (level, share in %, measure) of the weighted distributions of the stage and of the score."""
    score_dist = weighted_distribution(both["score"], both["weight"], levels=stages)
    stage_dist = weighted_distribution(both["stage"], both["weight"], levels=stages)
    return pd.concat(
        [
            pd.DataFrame({"level": stages, "share": 100 * stage_dist["share"], "measure": "self-classified stage"}),
            pd.DataFrame({"level": stages, "share": 100 * score_dist["share"], "measure": "item-based score"}),
        ]
    )


def started_variants(
    variants: Sequence[tuple[str, np.ndarray, np.ndarray | None]],
    decide: Callable[[dict, int], str],
    *,
    started_stage: int,
    threshold: float,
    population_size: int,
    min_stage_share: float,
    stages: Sequence[int],
) -> pd.DataFrame:
    """The stage-share claim's rule inputs under each variant ``(label, stages, weights)``: the one-sided share test of stage >=
    ``started_stage`` against ``threshold`` and the number of stages holding ``min_stage_share``; ``decide(test,
    k)`` gives the verdict of the row."""
    rows = []
    for label, values, weights in variants:
        started = (np.asarray(values) >= started_stage).astype(float)
        t = share_test(started, weights, threshold, population_size=population_size)
        k = stages_with_min_share(weighted_distribution(values, weights, levels=stages)["share"], min_stage_share)
        rows.append(
            {
                "variant": label,
                "n": t["n"],
                f"share ≥ {started_stage}": t["estimate"],
                "ci_low": t["ci_low"],
                "ci_high": t["ci_high"],
                "p_value": t["p_value"],
                "stages ≥ 10 %": k,
                "decision": decide(t, k),
            }
        )
    return pd.DataFrame(rows)
