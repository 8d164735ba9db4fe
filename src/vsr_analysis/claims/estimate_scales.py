"""What the primary estimate of each decision rule measures, on what scale, and whether the verdict uses a p-value.

The claims page puts a share, a log-odds coefficient, a test statistic and an NCA effect size in one column;
this table tells the reader which is which. Every rule in :data:`vsr_analysis.claims.ledger.RULES` must have
an entry (a test checks it), so a new rule cannot reach the book without saying what its number means.
"""

from __future__ import annotations

from typing import NamedTuple


class EstimateScale(NamedTuple):
    measures: str  # what the number is, in words
    scale: str  # its range or unit and what "no effect" is
    uses_p_value: bool  # does the verdict depend on the primary p-value?


SCALES: dict[str, EstimateScale] = {
    "directional": EstimateScale(
        "coefficient of the proportional-odds model", "log-odds; 0 = no association, exp(b) = odds ratio", True
    ),
    "share_above": EstimateScale("weighted share of the 356 municipalities", "proportion, 0 to 1", True),
    "one_sided": EstimateScale(
        "coefficient of one component in the proportional-odds model", "log-odds; 0 = no association", True
    ),
    "intersection_union": EstimateScale(
        "coefficient of the weakest component (largest one-sided p)", "log-odds; 0 = no association", True
    ),
    "existence": EstimateScale(
        "number of validated counterexamples below the threshold", "count of municipalities", False
    ),
    "share_below": EstimateScale("weighted share of the 356 municipalities", "proportion, 0 to 1", True),
    "share_above_and_spread": EstimateScale(
        "weighted share of the 356 municipalities at stage 1 or higher", "proportion, 0 to 1", True
    ),
    "noninferior": EstimateScale(
        "share of the county authorities minus the raked share of the municipalities",
        "difference of proportions, -1 to 1; 0 = as often",
        True,
    ),
    "share_ranking": EstimateScale(
        "smallest difference between a named item's weighted share and another item's (same respondents)",
        "difference of proportions, -1 to 1; 0 = named as often, positive = the named item leads",
        True,
    ),
}


def scale_for(rule: str) -> EstimateScale:
    """The entry for ``rule``; a ``KeyError`` names the rule that lacks one."""
    try:
        return SCALES[rule]
    except KeyError:
        raise KeyError(f"decision rule {rule!r} has no entry in claims/estimate_scales.py") from None
