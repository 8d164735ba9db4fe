"""What a share chapter says about the assumptions behind its verdict, in words computed from the numbers.

* :func:`assumption_light_text` - the interval without the finite-population factor beside the primary, and
  whether the rule's verdict on it differs (if so, the verdict leans on response being missing at random given
  the register, through the estimated response probabilities π̂ᵢ).
* :func:`tipping_text` - the tipping point of :func:`vsr_analysis.claims.share_evidence.share_tipping_point`: how
  strongly answering would have to depend on the outcome itself for the verdict to change.
"""

from __future__ import annotations

__all__ = ["TIPPING_CAPTION", "assumption_light_text", "show_tipping_point", "tipping_text"]

TIPPING_CAPTION = (
    "The decision rule when answering depends on the outcome: the share and its interval for each odds ratio of "
    "answering (with vs without the outcome; unadjusted α)"
)


def assumption_light_text(no_fpc: dict | None) -> str:
    """One paragraph on ``ShareClaimAnalysis.no_fpc`` (the assumption-light interval and both decisions)."""
    if not no_fpc or no_fpc["test"].get("ci_low") is None:
        return "*Assumption-light interval: no estimate.*"
    t = no_fpc["test"]
    text = (
        "**Assumption-light interval.** The same raked share with its variance *not* multiplied by each unit's "
        "1 − π̂ᵢ (Poisson-sampling variance without the finite-population correction, so it does not rest on the "
        f"estimated response probabilities): 95 % CI {t['ci_low']:.3f} to {t['ci_high']:.3f}, one-sided p = "
        f"{t['p_value']:.3g}. The decision rule would give *{no_fpc['decision']}* on it; on the primary interval it "
        f"gives *{no_fpc['primary_decision']}* (both at the unadjusted α). "
    )
    if no_fpc["decision"] == no_fpc["primary_decision"]:
        return text + "The verdict does not depend on the finite-population factor."
    return text + (
        "The verdict therefore depends on the finite-population factor, i.e. on response being missing at random "
        "given the register covariates of the propensity model."
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
