"""The county authorities' chapter: sentences, tables and figure (claims.county_report, moved out of the template,
issue 25)."""

from __future__ import annotations

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd

from vsr_analysis.claims import county_report as cr


def _released(shares):
    n = len(shares)
    return pd.DataFrame(
        {
            "item": [f"Barrier {i}" for i in range(n)],
            "county authorities answering": [11 if s != ".." else ".." for s in shares],
            "county authorities with it": [round(11 * s) if s != ".." else ".." for s in shares],
            "county share": shares,
            "ci_low (exact)": [0.1 if s != ".." else ".." for s in shares],
            "ci_high (exact)": [0.9 if s != ".." else ".." for s in shares],
            "municipal share (weighted)": [0.4] * n,
        }
    )


def test_municipal_stage_shares_sum_to_one():
    resp = pd.DataFrame({"maturity_stage": [0, 1, 1, 2, 5], "weight": [1.0, 2.0, 1.0, 1.0, 1.0]})
    shares = cr.municipal_stage_shares(resp, {i: str(i) for i in range(6)}, 356)
    assert len(shares) == 6 and np.isclose(shares.sum(), 1) and np.isclose(shares[1], 0.5)


def test_guidance_text_names_the_most_named_barriers():
    shown = _released([6 / 11, 9 / 11, ".."])
    no_hidden = {"hidden": 0, "cells": 9, "rows": []}
    text = cr.guidance_text(shown, shown, "Barrier 0", no_hidden)
    assert text.startswith("6 of 11 county authorities name national support and guidance (exact 95 % CI 10% to 90%)")
    assert (
        "the municipal share is 40%. The barrier most often named by the county authorities among those shown: Barrier 1."
        in text
    )
    hidden = cr.guidance_text(shown, shown, "Barrier 2", {"hidden": 3, "cells": 9, "rows": ["Barrier 2"]})
    assert hidden.startswith("The number of county authorities name national support and guidance is not shown")
    assert "**Not shown:** 3 of 9 count cells of the barrier table" in hidden


def test_county_items_figure_has_two_panels():
    fig = cr.county_items_figure(_released([0.5, 0.2]), _released([0.3, "..", 0.9]))
    assert [ax.get_title() for ax in fig.axes[:2]] == ["Plans and processes", "Barriers named"]
    assert len(fig.axes[1].get_yticklabels()) == 3
    plt.close(fig)


def test_simulated_truth_table_and_not_shown_text():
    truth = {
        "expected_shares": {"a": 0.5, "b": 0.2},
        "realised": {"a": {"answering": 11, "with_it": 6}, "c": {"answering": 11, "with_it": 1}},
    }
    table = cr.simulated_truth_table(truth, {"a": "Item A"})
    assert table.to_dict("records") == [
        {
            "item": "Item A",
            "simulated probability": 0.5,
            "county authorities answering": 11,
            "county authorities with it": 6,
        }
    ]
    hidden = [("plans", {"hidden": 2, "cells": 10}), ("barriers", {"hidden": 0, "cells": 12})]
    assert cr.not_shown_text(hidden, True) == (
        "2 of 22 count cells are suppressed under the disclosure rule: plans: 2 of 10; barriers: 0 of 12. On a "
        "confidential file the counts hidden here are known to the file's owner only."
    )
    none = [("plans", {"hidden": 0, "cells": 10})]
    assert cr.not_shown_text(none, False) == (
        "0 of 10 count cells are suppressed under the disclosure rule. Synthetic data are exempt from the rule, so "
        "everything is shown."
    )


def test_publish_item_counts_declares_every_count_cell_and_returns_what_was_released():
    from vsr_analysis.stats.county_tables import ITEM_COUNT_COLUMNS

    class Ctx:  # the chapter context's two calls, recorded; "released" drops the last row as a rule might
        def table(self, name, table, caption, **kw):
            self.call = (name, table, caption, kw)

        def released(self, name):
            assert name == self.call[0]
            return self.call[1].iloc[:-1]

    counties = pd.DataFrame({"knr": ["03", "11", "46"], "a": [1, 0, 1], "b": [0, 0, 1]})
    munis = pd.DataFrame({"a": [1.0, 0.0], "b": [1.0, 1.0], "weight": [1.0, 1.0]})
    ctx = Ctx()
    full, shown = cr.publish_item_counts(ctx, "t", counties, ["a", "b"], {"a": "A", "b": "B"}, munis, "cap")
    name, table, caption, kw = ctx.call
    assert name == "t" and caption == "cap" and table is full and kw["count_columns"] == ITEM_COUNT_COLUMNS
    assert len(kw["cells"]) > 0 and len(shown) == len(full) - 1
