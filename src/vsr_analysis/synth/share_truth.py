"""The truth of the progress-measuring share and of the barrier claims under a scenario, for the replica's truth
JSON.

Both are about shares of the frame's 356 municipalities, which the raked respondent shares estimate:

* ``measures_progress_share``: the share measuring progress with indicators (``measures_progress`` = 1);
* ``barrier_shares``: for every barrier item of the instrument, the share naming it.  Which barrier a claim is
  about (a share of one barrier, a ranking of the barriers) is declared in ``claims.yml`` and read by
  ``synth.claim_truth``; nothing here is keyed by a claim.

``expected_frame`` is the generating model's expectation over the frame (mean over municipalities of each one's
probability); ``realised_frame`` is the share among all 356 drawn municipalities, respondents or not, before item
non-response: the finite-population value the survey estimates.
"""

from __future__ import annotations

import numpy as np

from vsr_analysis.synth.scenario import BARRIER_ITEMS


def barrier_truth(model, full: dict) -> dict:
    """Per barrier item: its expected and realised frame share."""
    probs = model.item_probs()
    return {
        item: {
            "expected_frame": round(float(np.mean(probs[item])), 6),
            "realised_frame": round(float(np.mean(np.asarray(full["barriers"][item], dtype=float))), 6),
        }
        for item in BARRIER_ITEMS
    }


def item_share_truth(model, full: dict) -> dict:
    """The progress-measuring share and every barrier's (``barrier_shares``), as written into the truth JSON."""
    probs = model.item_probs()
    return {
        "measures_progress_share": {
            "estimand": "share of the 356 municipalities measuring progress with indicators (measures_progress = 1)",
            "expected_frame": round(float(probs["measures_progress"].mean()), 6),
            "realised_frame": round(float(np.mean(full["measures_progress"])), 6),
        },
        "barrier_shares": barrier_truth(model, full),
    }
