"""The maturity-spread chapter (``notebooks/maturity_variation``): its sentences, the robustness variants of the
stage-share rule, and what the evidence file records beside the ledger's inputs.

The statistics are :mod:`vsr_analysis.stats.maturity_ladder` and ``share_evidence.share_claim_analysis``; these
functions only assemble and word what they return.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import numpy as np
import pandas as pd

from vsr_analysis.claims.robustness_text import disagreement_sentences
from vsr_analysis.claims.share_evidence import interval_words
from vsr_analysis.claims.share_text import design_effect_text
from vsr_analysis.stats.maturity_ladder import started_variants


def respondents_text(n_resp: int, n_frame: int, n_answered: int, weight_info: dict) -> str:
    """How many responded and placed themselves on the ladder, and the raking weights' design effect."""
    return (
        f"{n_resp} of {n_frame} municipalities responded and **{n_answered}** classified themselves on the "
        f"maturity ladder. The raking weights have a design effect of {weight_info['design_effect']:.3f} (effective n "
        f"{weight_info['effective_n']:.0f})."
    )


def primary_text(primary: dict, claim_entry: dict, started_stage: int, occupied: int) -> str:
    """The primary test (share at stage ≥ ``started_stage`` against the rule's ``threshold``) and the number of
    stages ``occupied`` by at least the rule's ``min_stage_share`` (of the ``min_stages`` the rule needs)."""
    rp = claim_entry["rule_parameters"]
    threshold, min_stages, min_stage_share = float(rp["threshold"]), int(rp["min_stages"]), float(rp["min_stage_share"])
    return (
        f"Weighted share at stage ≥ {started_stage}: **{primary['estimate']:.3f}** (95 % CI "
        f"{primary['ci_low']:.3f} to {primary['ci_high']:.3f}; {design_effect_text(primary['n'], primary['n_eff'])}; "
        f"{interval_words(claim_entry)}); one-sided p (share > {threshold:g}) = **{primary['p_value']:.3g}**.\n\n"
        f"**{occupied}** of the six stages each hold at least {min_stage_share:.0%} of the weighted municipalities "
        f"(the rule needs {min_stages}).\n\n"
    )


def agreement_text(agree: dict) -> str:
    """Spearman's ρ of the self-classified stage and the item-based score, with its bootstrap interval."""
    return (
        f"Spearman's ρ = **{agree['rho']:.2f}** (95 % bootstrap CI {agree['ci_low']:.2f} to {agree['ci_high']:.2f}, "
        f"p = {agree['p']:.2g})."
    )


def county_started_text(cy: np.ndarray, started_stage: int, synthetic: bool) -> str:
    """ "k of n county authorities are at stage ≥ s", or "" when k or n − k is below 3 on a real file (a sentence
    such as "11 of 11" would give every authority's answer)."""
    k_started, k_all = int((cy >= started_stage).sum()), int(np.isfinite(cy).sum())
    if synthetic or min(k_started, k_all - k_started) >= 3:
        return f"{k_started} of {k_all} county authorities are at stage ≥ {started_stage}."
    return ""


def started_robustness(
    y: np.ndarray,
    w: np.ndarray,
    both: pd.DataFrame,
    decide: Callable[[dict, dict], Any],
    claim_entry: dict,
    started_stage: int,
    population_size: int,
    stages: Sequence[int],
) -> pd.DataFrame:
    """The rule under the primary (self-classified stage, weighted), unweighted, and on the item-based score of
    ``both`` (``stage_and_score``), by ``maturity_ladder.started_variants`` at the rule's ``threshold`` and
    ``min_stage_share``; ``decide(test, rule_inputs)`` is the chapter's ``ctx.decide`` (its ``.verdict`` is a row's
    decision, with ``k`` stages holding the share as ``stages_above_min_share``)."""
    rp = claim_entry["rule_parameters"]
    variants = [
        ("primary: self-classified stage, weighted", y, w),
        ("self-classified stage, unweighted", y, None),
        ("item-based score, weighted", both["score"].to_numpy(), both["weight"].to_numpy()),
    ]
    return started_variants(
        variants,
        lambda t, k: decide(t, {"stages_above_min_share": k}).verdict,
        started_stage=started_stage,
        threshold=float(rp["threshold"]),
        population_size=population_size,
        min_stage_share=float(rp["min_stage_share"]),
        stages=stages,
    )


def robustness_text(released: pd.DataFrame, started_stage: int, alpha: float) -> str:
    """The variants whose decision differs from the primary's, in words (from the released robustness table)."""
    return " ".join(disagreement_sentences(released, label="variant", estimate=f"share ≥ {started_stage}", alpha=alpha))


def primary_record(primary: dict, claim_entry: dict, started_stage: int) -> dict:
    """The ledger's ``primary``: the method in words (against the rule's ``threshold``), estimate, interval and
    one-sided p."""
    threshold = float(claim_entry["rule_parameters"]["threshold"])
    return {
        "method": f"one-sided test of the raked share at stage >= {started_stage} > {threshold:g} "
        f"({interval_words(claim_entry)}; Wilson interval at the design-effective n)",
        "estimate": primary["estimate"],
        "ci_low": primary["ci_low"],
        "ci_high": primary["ci_high"],
        "p_value": primary["p_value"],
    }


def agreement_record(agree: dict, n: int) -> dict:
    """What the evidence file records of the stage-score agreement."""
    return {
        "spearman": agree["rho"],
        "ci_low": agree["ci_low"],
        "ci_high": agree["ci_high"],
        "n": n,
        "exact_agreement": agree["exact"],
        "ladder_consistency": agree["ladder_consistency"],
    }


def stage_shares(dist_table: pd.DataFrame) -> dict[int, float]:
    """Stage -> weighted share, from ``stage_distribution_table``'s table."""
    return {int(s): float(v) for s, v in zip(dist_table["stage"], dist_table["share (weighted)"])}
