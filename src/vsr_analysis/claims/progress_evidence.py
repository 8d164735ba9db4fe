"""F9, second half: "no good benchmark exists", read through whether municipalities measure progress.

The first half of F9 ("the sector contributes substantially through its ordinary services") is a judgement about
the sector's contribution that no item of the instrument measures; only the second half is tested.  Its
pre-specified reading (``claims.yml``): most municipalities do not follow their SDG work up with indicators
(``measures_progress`` = 0), so no common yardstick exists from which a benchmark could be built.

* :func:`f9_evidence` - the primary test (raked share measuring progress below the level) as ledger evidence.
* :func:`progress_by_stage` - the share measuring progress at each stage of the ladder.
* :func:`rung_shares` - the weighted share holding each component item, in the ladder's order, with the
  empirical rank of each rung (1 = the most common), to show where measuring progress sits.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from vsr_analysis.claims.share_reporting import decide_share_claim, primary_result, share_below_test
from vsr_analysis.stats.descriptives import LADDER_COMPONENTS, as_float
from vsr_analysis.stats.shares import share_by_group

ITEM = "measures_progress"


def f9_evidence(
    respondents: pd.DataFrame, *, threshold: float, population_size: int, weight: str | None = "weight"
) -> dict:
    """Evidence for F9: the raked share with ``measures_progress`` = 1 and the one-sided test share < threshold."""
    x = as_float(respondents[ITEM])
    w = None if weight is None else respondents[weight].to_numpy(dtype=float)
    t = share_below_test(x, w, threshold, population_size=population_size)
    method = (
        f"one-sided test that the raked share measuring progress with indicators is below {threshold:g} "
        f"(share test on the complement, finite-population correction N = {population_size})"
    )
    return {
        "primary": primary_result(t, method),
        "n": int(t.get("n", 0)),
        "rule_inputs": {"threshold": float(threshold), "n_eff": t.get("n_eff")},
        "test": t,
    }


def progress_by_stage(
    respondents: pd.DataFrame, *, sampling_fraction: float, stage_labels: dict[int, str], weight: str = "weight"
) -> pd.DataFrame:
    """Weighted share measuring progress at each maturity stage (Wilson; domain finite-population correction)."""
    data = respondents[np.isfinite(as_float(respondents["maturity_stage"]))]
    stages = list(range(len(stage_labels)))
    data = data.assign(stage=as_float(data["maturity_stage"]).astype(int))
    t = share_by_group(
        data, ITEM, "stage", weight=weight, order=stages, sampling_fraction=sampling_fraction, total_label=None
    )
    t.insert(1, "stage name", [stage_labels[s] for s in stages])
    return t.rename(columns={"group": "stage", "n": "municipalities", "n_yes": "measuring"})


def rung_shares(
    respondents: pd.DataFrame, *, population_size: int, labels: dict[str, str], weight: str = "weight"
) -> pd.DataFrame:
    """Weighted share holding each component item (the ladder's rungs), in the ladder's order, with its rank."""
    rows = []
    for item, stage in LADDER_COMPONENTS.items():
        r = share_by_group(respondents, item, None, weight=weight, population_size=population_size).iloc[0]
        rows.append(
            {
                "rung": labels[item],
                "item": item,
                "stage that implies it": str(stage),  # text: a label, never suppressed as a derived value
                "municipalities answering": int(r["n"]),
                "municipalities with it": int(r["n_yes"]),
                "share (weighted)": r["share"],
                "ci_low": r["ci_low"],
                "ci_high": r["ci_high"],
            }
        )
    out = pd.DataFrame(rows)
    out["rank (1 = most common)"] = out["share (weighted)"].rank(ascending=False, method="min").astype(int)
    return out


def decide_f9(respondents: pd.DataFrame, spec: dict | None = None, *, population_size: int = 356):
    """Evidence and the rule's decision (unadjusted level) for F9, with the level from ``claims.yml``.

    What a simulation of the rule's operating characteristics calls per replicate: the same code as the chapter.
    """
    return decide_share_claim("F9", f9_evidence, respondents, spec, population_size=population_size)
