"""What a share chapter says about the assumptions behind its verdict, in words computed from the numbers.

* :func:`assumption_light_text` - the interval under missing at random (finite-population factor 1 − π̂ᵢ per unit)
  reported beside the assumption-light interval the share claims are decided on, and whether the rule's verdict on
  it differs (if so, that verdict would lean on response being missing at random given the register).
* :func:`tipping_text` - the tipping point of :func:`vsr_analysis.claims.share_evidence.share_tipping_point`: how
  strongly answering would have to depend on the outcome itself for the verdict to change.
"""

from __future__ import annotations

__all__ = ["TIPPING_CAPTION", "assumption_light_text", "show_tipping_point", "tipping_text"]

TIPPING_CAPTION = (
    "The decision rule when answering depends on the outcome: the share and its interval for each odds ratio of "
    "answering (with vs without the outcome; unadjusted α)"
)


def assumption_light_text(mar: dict | None) -> str:
    """One paragraph on ``ShareClaimAnalysis.mar``: the interval under missing at random reported beside the
    verdict, and whether the rule's verdict on it differs from the verdict on the interval the claim is decided on."""
    if not mar or mar["test"].get("ci_low") is None:
        return "*Interval under missing at random: no estimate.*"
    t = mar["test"]
    if mar.get("primary_variance") == "poisson":  # the claim is decided under missing at random: nothing beside it
        return (
            "The verdict rests on response being missing at random given the register (the claim's declared interval)."
        )
    text = (
        "**Under missing at random (reported, not the verdict).** The same raked share with each unit's variance "
        "term multiplied by 1 − π̂ᵢ (response as Poisson sampling with the estimated response probabilities), valid "
        f"only if response is missing at random given the register: 95 % CI {t['ci_low']:.3f} to {t['ci_high']:.3f}, "
        f"one-sided p = {t['p_value']:.3g}. The decision rule would give *{mar['decision']}* on it; on the "
        f"assumption-light interval the claim is decided on it gives *{mar['primary_decision']}* (both at the "
        "unadjusted α). "
    )
    if mar["decision"] == mar["primary_decision"]:
        return text + "The verdict does not depend on the finite-population factor."
    return text + (
        "The two differ: a verdict on the narrower interval would rest on response being missing at random given "
        "the register covariates of the propensity model, which the verdict does not assume."
    )


def _odds(x: float) -> str:
    return f"{x:.2f}"


def tipping_text(tp, outcome_label: str) -> str:
    """The tipping values of a :class:`~vsr_analysis.stats.tipping_point.TippingPoint` in words."""
    if tp is None:
        return "No estimate, so no tipping point."
    parts = [
        f"Without any dependence of answering on the outcome (odds ratio 1) the rule gives *{tp.verdict_at_one}* "
        "(unadjusted α)."
    ]
    if tp.tipping_above is not None:
        parts.append(
            f"It would give *{tp.verdict_above}* if municipalities with the outcome ({outcome_label}) had "
            f"{_odds(tp.tipping_above)} times the odds of answering of comparable municipalities without it."
        )
    else:
        parts.append("No odds ratio above 1, up to 100, changes it.")
    if tp.tipping_below is not None:
        parts.append(
            f"In the other direction it would give *{tp.verdict_below}* if they had {_odds(tp.tipping_below)} times "
            f"the odds (those without the outcome {_odds(1 / tp.tipping_below)} times the odds of those with it)."
        )
    else:
        parts.append("No odds ratio below 1, down to 1/100, changes it.")
    return " ".join(parts)


def show_tipping_point(tp, outcome_label: str, table) -> str:
    """Hand the tipping point's grid to ``table`` (a chapter's ``ctx.table``) as ``tipping_point`` and return
    :func:`tipping_text`."""
    if tp is not None:
        table("tipping_point", tp.table, TIPPING_CAPTION)
    return tipping_text(tp, outcome_label)
