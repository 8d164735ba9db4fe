"""The synthetic replica's 11 county authorities (``unit_type = county``) and their truth.

County rows are drawn from the scenario's own ``counties`` section (stage and political-priority distributions,
an international-network probability) and the barriers' ``county_rate``; the component items follow the stage
exactly as for municipalities.  Nothing here depends on a covariate: with 11 units, the analysis describes them
with counts and exact intervals, and the truth is the generating probability of each item.

Called from :func:`vsr_analysis.synth.simulation.simulate_survey` with the ``counties`` random stream, so the draws (and
the bytes of a generated file) are those of the replica's own order.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from vsr_analysis.synth.model import draw_admin, draw_components, draw_priorities
from vsr_analysis.synth.scenario import (
    BARRIER_ITEMS,
    COMPONENT_ITEMS,
    COUNTY_CODES,
    KS_NETWORK_COUNTIES,
    N_STAGES,
    PRIORITY_ITEMS,
    value_of,
)


def generate_counties(rng: np.random.Generator, sc: dict) -> tuple[pd.DataFrame, np.ndarray]:
    """All 11 county rows (in ``COUNTY_CODES`` order) and which of them responded."""
    c = sc["counties"]
    m = len(COUNTY_CODES)
    responded = rng.random(m) < value_of(sc["response"]["county_rate"])
    stage = rng.choice(N_STAGES, size=m, p=value_of(c["stage_distribution"]))
    political = 1 + rng.choice(5, size=m, p=value_of(c["political_distribution"]))
    comps = draw_components(rng, stage, sc)
    admin = draw_admin(rng, political, stage, sc)
    ks = np.array([code in KS_NETWORK_COUNTIES for code in COUNTY_CODES])
    international = rng.random(m) < value_of(c["international"])
    barriers = {name: (rng.random(m) < sc["barriers"][name]["county_rate"]).astype(int) for name in BARRIER_ITEMS}
    prios = draw_priorities(rng, m, sc)
    rows = pd.DataFrame(
        {
            "knr": list(COUNTY_CODES),
            "unit_type": "county",
            "maturity_stage": stage,
            **comps,
            "political_anchoring": political,
            "admin_anchoring": admin,
            # county authorities run the regional networks, so every one is a member of one
            "network_member": 1,
            "network_ks": ks.astype(int),
            "network_regional": 1,
            "network_international": international.astype(int),
            "cooperates_with_county": 0,  # blanked later: does not apply to a county authority
            **barriers,
            **{name: prios[:, j] for j, name in enumerate(PRIORITY_ITEMS)},
        }
    )
    return rows, responded


def expected_county_shares(sc: dict) -> dict[str, float]:
    """P(item = 1) for a county authority under the scenario (before item non-response)."""
    dist = np.asarray(value_of(sc["counties"]["stage_distribution"]), dtype=float)
    eps = float(value_of(sc["components"]["inconsistency_rate"]))
    q4 = float(value_of(sc["components"]["measures_progress_at_stage_4"]))
    out = {f"stage_eq{k}": float(dist[k]) for k in range(N_STAGES)}
    for item, lowest in COMPONENT_ITEMS.items():
        base = float(dist[lowest:].sum()) + (q4 * float(dist[4]) if item == "measures_progress" else 0.0)
        out[item] = base * (1 - eps) + (1 - base) * eps
    for name in BARRIER_ITEMS:
        out[name] = float(sc["barriers"][name]["county_rate"])
    out["either_state_barrier"] = 1 - (1 - out["barrier_policy_coherence"]) * (1 - out["barrier_national_guidance"])
    return {k: round(v, 6) for k, v in out.items()}


def county_truth(sc: dict, out: pd.DataFrame) -> dict:
    """The county section of the truth JSON: generating probabilities and the realised counts of the file."""
    rows = out[out["unit_type"] == "county"]
    realised = {}
    for item in ("maturity_stage", *COMPONENT_ITEMS, *BARRIER_ITEMS):
        v = pd.to_numeric(rows[item], errors="coerce").dropna()
        if item == "maturity_stage":
            realised[item] = {str(k): int((v == k).sum()) for k in range(N_STAGES)}
        else:
            realised[item] = {"answering": int(v.size), "with_it": int(v.sum())}
    return {
        "definition": (
            "county authorities (unit_type = county): 11 in the frame, drawn from the scenario's counties section "
            "and the barriers' county_rate, independently of any covariate; expected_shares are P(item = 1) per "
            "county authority before item non-response; realised holds the counts in the generated file"
        ),
        "n_frame": len(COUNTY_CODES),
        "response_rate": float(value_of(sc["response"]["county_rate"])),
        "n_respondents": int(len(rows)),
        "expected_shares": expected_county_shares(sc),
        "realised": realised,
    }
