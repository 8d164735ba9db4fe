"""The truth of F9 (its proxy: measuring progress) and F10 under a scenario, for the replica's truth JSON.

Both claims are about a share of the frame's 356 municipalities, which the raked respondent share estimates:

* F9: the share measuring progress with indicators (``measures_progress`` = 1);
* F10: the share naming ``barrier_policy_coherence`` or ``barrier_national_guidance``.

``expected_frame`` is the generating model's expectation over the frame (mean over municipalities of each one's
probability; the barriers are drawn independently, so P(either) = 1 - (1 - p1)(1 - p2)); ``realised_frame`` is
the share among all 356 drawn municipalities, respondents or not, before item non-response: the finite-population
value the survey estimates.  Whether a claim holds is the comparison with the level in ``claims.yml``.
"""

from __future__ import annotations

import numpy as np


def f9_f10_truth(model, full: dict) -> dict:
    probs = model.item_probs()
    p_pc, p_ng = probs["barrier_policy_coherence"], probs["barrier_national_guidance"]
    p_either = 1 - (1 - p_pc) * (1 - p_ng)
    b = full["barriers"]
    either = np.asarray(b["barrier_policy_coherence"], bool) | np.asarray(b["barrier_national_guidance"], bool)
    return {
        "f9_measures_progress": {
            "estimand": "share of the 356 municipalities measuring progress with indicators (measures_progress = 1)",
            "expected_frame": round(float(probs["measures_progress"].mean()), 6),
            "realised_frame": round(float(np.mean(full["measures_progress"])), 6),
        },
        "f10_state_barrier": {
            "estimand": (
                "share of the 356 municipalities naming barrier_policy_coherence or barrier_national_guidance"
            ),
            "expected_frame": round(float(p_either.mean()), 6),
            "realised_frame": round(float(either.mean()), 6),
            "expected_frame_by_item": {
                "barrier_policy_coherence": round(float(p_pc.mean()), 6),
                "barrier_national_guidance": round(float(p_ng.mean()), 6),
            },
        },
    }
