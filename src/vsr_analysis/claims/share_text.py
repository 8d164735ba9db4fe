"""How a share claim's precision is said in a chapter's prose.

A share's primary interval is Wilson's at a design-effective n, n* = p(1 − p) / V (V the calibration variance,
widened for its degrees of freedom).  Where most of the frame answered, the per-unit factor 1 − π̂ makes V small
and n* can exceed the frame's 356 municipalities.  Written as a whole number such an n* may then equal a
respondent's population, which the disclosure scan on a confidential run cannot tell from a leak (and would
rightly refuse).  The prose therefore states the design effect n / n*, a ratio, which says the same thing: how
much more (above 1) or less (below 1) variable the estimate is than a simple random sample of the n respondents.
"""

from __future__ import annotations

import math

__all__ = ["design_effect_text"]


def design_effect_text(n: int, n_eff: float | None) -> str:
    """'design effect 0.412 (…)' for a share computed from ``n`` respondents at design-effective n ``n_eff``."""
    if n_eff is None or not n or math.isnan(n_eff):
        return "no design effect (no estimate)"
    if math.isinf(n_eff):
        return "design effect 0 (every municipality of the domain answered: no sampling error is left)"
    return (
        f"design effect {n / n_eff:.3g} (the variance relative to a simple random sample of the same "
        f"{n} respondents, small-sample correction included)"
    )
