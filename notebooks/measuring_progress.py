# ---
# jupyter:
#   jupytext:
#     text_representation:
#       extension: .py
#       format_name: percent
#       format_version: '1.3'
#       jupytext_version: 1.19.6
#   kernelspec:
#     display_name: Python 3
#     language: python
#     name: python3
# ---

# %% [markdown]
# # Tested on a proxy: do most municipalities not measure their progress?
#
# **What the report says.** "Although no good benchmarking is available, municipalities and regional authorities
# contribute substantially" (VSR 2021) — through their ordinary services.
#
# **What is tested, and what is not.** *Neither part of the finding gets a verdict.* *The sector contributes
# substantially* is a judgement about what municipal services achieve for the goals: no item of the survey
# instrument measures a contribution. *No good benchmark exists* is a statement about benchmarks, and no item asks
# about a benchmark or its quality. What the instrument can test is a **proxy** of the second part: the item
# `measures_progress` ("progress is followed up with indicators") says whether a municipality measures at all, and
# a benchmark needs measurement. The verdict of this chapter is on the proxy only — *most municipalities do not
# measure progress with indicators* — and it is not a verdict on the finding: measuring does not make a good
# benchmark, and a benchmark can be missing where municipalities measure.
#
# **Hypothesis, primary test and decision rule (pre-specified in `claims.yml`, rule `share_below`).** Fewer than
# half of the municipalities (raked to the frame of 356) measure progress with indicators. One-sided test that
# the raked share is below 0.5 — the share test of the other share chapters applied to the complement, on the
# interval `claims.yml` declares for it (`analysis.variance`: the assumption-light one, without a finite-population
# factor; the interval under missing at random is a row of the robustness table).
# **Supported** when the test rejects at the (Holm-adjusted) level; **not supported** when the lower confidence
# limit lies above 0.5; otherwise **inconclusive**.
#
# **Outside context, not a test.** The Nordic VSR 2024 (KS survey sent in December 2023) reports that 45 % of
# responding Norwegian municipalities measure progress {cite}`nordicvsr2024`. It was asked two and a half years later,
# with other questions, of those who chose to answer; it is drawn on the figure for orientation only.

# %% tags=["parameters"]
survey = "synthetic:vsr-narrative:2021"
param_set = "measuring-progress"
results_dir = None
claim = None  # the claim this parameter set decides; None: the claim whose parameter_set it is
frame_size = 356
outside_share = 0.45

# %%
from vsr_analysis.api import markdown, start

ctx = start(survey=survey, param_set=param_set, results_dir=results_dir)  # stamps every parameter
claim = ctx.parameters["claim"]

# %%
from vsr_analysis.api import (
    ITEM,
    group_release,
    ladder_figure,
    load_claims_spec,
    load_codebook,
    progress_by_stage,
    progress_groups,
    progress_share_evidence,
    progress_variants,
    rung_shares,
    sensitivity_table,
    share_variance,
)

spec = load_claims_spec()
alpha = float(spec["alpha"])
claim_entry = next(c for c in spec["claims"] if c["id"] == claim)
threshold = float(claim_entry["rule_parameters"]["threshold"])
codebook = load_codebook()
stage_labels = codebook.maturity_labels("en")
resp = ctx.respondents
markdown(
    f":::{{admonition}} Claim {claim}: {claim_entry['finding']}\n:class: important\n"
    f"**Not tested.** {claim_entry['untestable_part'].strip()}\n\n"
    f"**Hypothesis.** {claim_entry['hypothesis'].strip()}\n\n**Primary test.** {claim_entry['primary_test']}\n:::"
)

# %% [markdown]
# ## Primary test

# %%
variance = share_variance(claim_entry)  # the interval claims.yml declares the claim is decided on
ev = progress_share_evidence(
    ctx.data.frame, threshold=threshold, margins=ctx.data.weight_info["margins"], variance=variance
)
t = ev["test"]
ctx.stop_unless_estimable(int(t["n"] or 0), "an answer on measuring progress", kind="count")
markdown(
    f"Raked share of municipalities measuring progress with indicators: **{t['estimate']:.3f}** (95 % CI "
    f"{t['ci_low']:.3f} to {t['ci_high']:.3f}); one-sided p (share < {threshold:g}) = **{t['p_value']:.3g}**; "
    f"n = {t['n']} of {frame_size} municipalities. The Nordic VSR 2024's {outside_share:.0%} (outside context) "
    f"lies {'inside' if t['ci_low'] <= outside_share <= t['ci_high'] else 'outside'} this interval."
)
if ctx.synthetic and ctx.data.truth and "measures_progress_share" in ctx.data.truth:
    tr = ctx.data.truth["measures_progress_share"]
    markdown(
        f"*Simulated data:* under the scenario the true share of the frame is {tr['realised_frame']:.3f} "
        f"(model expectation {tr['expected_frame']:.3f}); the claim is true in this simulation when it is "
        f"below {threshold:g}."
    )

# %% [markdown]
# ## Where measuring progress sits on the ladder
#
# The ladder puts indicators at its top: stage 5 is "measuring and reporting", and the component items are
# implied in the order planning strategy (stage 2), master plan (3), budget and management (4), indicators (5).
# {numref}`Figure %s <fig-measuring-progress-ladder>` shows, at the top, how common each rung is (raked, 95 %
# Wilson intervals) and, below, the share measuring progress at each self-classified stage (domain intervals with
# the survey's sampling fraction).

# %%
labels = {i: codebook.item(i).label["en"] for i in codebook.items_in_group("components")}
rungs = rung_shares(resp, population_size=frame_size, labels=labels)
rung_counts = ["municipalities answering", "municipalities with it"]
ctx.table(
    "rungs",
    rungs,
    "How common is each rung of the ladder? (raked shares, 95 % Wilson CI)",
    count_columns=rung_counts,
    cells=group_release.item_share_cells(rungs, resp, answering=rung_counts[0], with_it=rung_counts[1]),
)
by_stage = progress_by_stage(resp, sampling_fraction=len(resp) / frame_size, stage_labels=stage_labels)
stage_counts = ["municipalities", "measuring"]
ctx.table(
    "measuring_by_stage",
    by_stage,
    "Share measuring progress at each maturity stage (weighted, 95 % Wilson CI)",
    count_columns=stage_counts,
    cells=group_release.binary_share_cells(
        by_stage, "stage", progress_groups(resp), ITEM, [1], [0, 1], yes="measuring"
    ),
)
rank = int(rungs.loc[rungs["item"] == ITEM, "rank (1 = most common)"].iloc[0])
markdown(
    f"Measuring progress is rung **{rank} of {len(rungs)}** by how common it is (1 = the most common); the "
    f"ladder puts it last (rung {len(rungs)})."
)

# %%
shown_r, shown_s = ctx.released("rungs"), ctx.released("measuring_by_stage")  # the figure shows what was released
fig = ladder_figure(shown_r, shown_s, item=ITEM, threshold=threshold, outside_share=outside_share)
ctx.figure(
    fig,
    "ladder",
    alt="Top: horizontal bars of the raked share of municipalities holding each rung of the maturity ladder, measuring progress highlighted; bottom: the share measuring progress at each maturity stage with 95 % intervals; dashed and dotted reference lines at the claim's level and at the Nordic 2024 figure",
    caption="Top: how common each rung is (measuring progress highlighted). Bottom: the share measuring "
    "progress at each self-classified stage. Dashed: the claim's level; dotted: the Nordic VSR 2024 "
    "figure, outside context only. Cells hidden by the disclosure rule are left out.",
)

# %% [markdown]
# ## Robustness
#
# The primary result (assumption-light: no finite-population factor) beside the same share under missing at random
# (factor 1 − π̂ᵢ per unit), with the old global factor 1 − n/N, and unweighted; a conservative reading of item non-response for this claim (a municipality that left
# the item blank counted as *measuring*); and the ladder's own top rung (self-classified stage 5, "measuring and
# reporting") instead of the item. Each row shows the rule's decision at the unadjusted α.

# %%
robust = sensitivity_table(
    claim_entry, alpha, progress_variants(ctx.data.frame, ev["design"], threshold, variance=variance)
)
ctx.table("robustness", robust, "The decision rule under each variant (unadjusted α)", count_columns=["n"])

# %% [markdown]
# ## Verdict (on the proxy only: most municipalities do not measure progress with indicators)
#
# The verdict below says whether fewer than half of the municipalities measure their progress. It is not a verdict
# on F9 as the report states it: neither the sector's contribution nor whether a good benchmark exists is tested.

# %%
evidence = ctx.evidence(
    claim=claim,
    primary=ev["primary"],
    n=ev["n"],
    rule_inputs=ev["rule_inputs"],
    sensitivity=robust.to_dict(orient="records"),
    untested="the sector contributes substantially; whether a good benchmark exists (only the proxy is tested)",
    ladder_rank=rank,
    outside_context={"nordic_vsr_2024_measuring": outside_share},
)
