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
# # Most have started, and maturity varies greatly
#
# **What the report says.** "Most municipalities and regional authorities have initiated the work. There is,
# however, a large variation in maturity" (VSR 2021; VNR 2021 ch. 7).
#
# **Hypothesis (pre-specified in `claims.yml`).** More than half of the 356 municipalities (weighted to the
# frame) are at stage 1 or higher of the maturity ladder, and maturity is spread out: at least three of the six
# ladder stages each hold at least 10 % of municipalities.
#
# **Primary test and decision rule (`share_above_and_spread`).** A one-sided test that the raked share at
# stage ≥ 1 exceeds 0.5, on the interval `claims.yml` declares (`analysis.variance`): the raked share's
# linearisation without a finite-population factor, which does not rest on response being missing at random
# (the weighting page gives the estimator, {cite}`sarndal2005`). The same share with response treated as Poisson
# sampling with cross-validated response probabilities (factor 1 − π̂ᵢ per unit, valid under missing at random) is
# reported beside it, never as the verdict. The Wilson interval uses the design-effective sample size, adjusted for the degrees of freedom of the estimated design effect. The claim is **supported** when that test rejects at the
# (Holm-adjusted) level *and* at least three stages each hold ≥ 10 % of the weighted municipalities; **not
# supported** when the upper confidence limit of the share lies below 0.5 or fewer than three stages reach
# 10 %; otherwise **inconclusive**.
#
# **Support.** Ordinal dispersion measures (Leik's D; Blair and Lacy's 1 − l², both 0 = everyone at one stage,
# 1 = polarised between the ends) with bootstrap intervals; the self-classified stage against an item-based
# score built from the five component items; and the county authorities' stages, reported on their own and
# never pooled with the municipalities.

# %% tags=["parameters"]
survey = "synthetic:vsr-narrative:2021"
param_set = "maturity-variation"
results_dir = None
claim = None  # the claim this parameter set decides; None: the claim whose parameter_set it is
started_stage = 1
frame_size = 356
reps = 2000
seed = 2021

# %%
from vsr_analysis.api import markdown, start

ctx = start(survey=survey, param_set=param_set, results_dir=results_dir)  # stamps every parameter
claim = ctx.parameters["claim"]

# %%
import numpy as np

from vsr_analysis.api import as_float, as_numbers, load_codebook, share_figures, stage_release
from vsr_analysis.api import maturity_ladder as ml
from vsr_analysis.api import maturity_text as mt
from vsr_analysis.api import share_evidence as se

min_stage_share = float(ctx.claim["rule_parameters"]["min_stage_share"])
stage_labels = load_codebook().maturity_labels("en")
STAGES = list(range(6))

answered = ctx.respondents.dropna(subset=["maturity_stage"])
y, w = as_float(answered["maturity_stage"]), answered["weight"].to_numpy(dtype=float)
markdown(mt.respondents_text(len(ctx.respondents), len(ctx.frame), len(answered), ctx.data.weight_info))
ctx.stop_unless_estimable(len(answered), "a maturity stage", kind="count")

# %% [markdown]
# ## The weighted distribution of the maturity ladder

# %%
dist_table, dist = ml.stage_distribution_table(y, w, stage_labels, STAGES, frame_size)
ctx.table(
    "stage_distribution",
    dist_table,
    "Maturity stages of the responding municipalities: weighted shares with 95 % Wilson intervals "
    "(Kish effective n, finite-population correction)",
    count_columns=["municipalities"],
    numbered=True,
    cells=stage_release.distribution_cells(dist_table, answered),
)
shown = as_numbers(ctx.released("stage_distribution"), ["stage name"]).rename(columns={"share (weighted)": "share"})

# %%
markdown(f"{ctx.ref('stage_distribution', 'table')} lists the shares; {ctx.ref('stage_distribution')} draws them.")
fig = share_figures.stage_distribution_figure(shown, stage_labels, min_stage_share)  # the released numbers
_ = ctx.figure(
    fig,
    "stage_distribution",
    alt="Horizontal bar chart of the weighted share of municipalities at each maturity stage 0 to 5 with 95 % intervals and a dashed line at 10 %",
    caption="Weighted share of municipalities at each stage of the maturity ladder with 95 % Wilson "
    f"intervals; the dashed line marks the {min_stage_share:.0%} a stage must hold to count "
    "towards 'large variation'.",
)

# %% [markdown]
# ## Primary test: have most municipalities started?

# %%
from vsr_analysis.api import sensitivity_text, stages_with_min_share

occupied = stages_with_min_share(dist["share"], min_stage_share)
started = se.share_claim_analysis(
    ctx.frame,
    ctx.claim,
    ctx.alpha,
    item="maturity_stage",
    min_stage=started_stage,
    margins=ctx.data.weight_info["margins"],
    rule_inputs={"stages_above_min_share": occupied},
)
primary = started.primary
markdown(
    mt.primary_text(primary, ctx.claim, started_stage, occupied) + sensitivity_text.assumption_light_text(started.mar)
)

# %% [markdown]
# ## How spread out is maturity? Ordinal dispersion
#
# Leik's D = 2/(K−1) Σ min(F_k, 1 − F_k) and Blair and Lacy's 1 − l² = 4/(K−1) Σ F_k (1 − F_k), both over
# the six possible stages (K = 6) and the cumulative shares F_k; 0 means every municipality at the same stage,
# 1 means half at stage 0 and half at stage 5. Percentile bootstrap intervals (rows resampled with their weights).

# %%
dispersion = ml.dispersion_table(y, w, STAGES, reps=reps, seed=seed)
_ = ctx.table("dispersion", dispersion, "Ordinal dispersion of the maturity stage (0 = consensus, 1 = polarisation)")

# %% [markdown]
# ## Self-classification against the component items
#
# The five component items (planning strategy, master plan, budget, management system, indicators) give an
# item-based score from 0 to 5. The self-classified stage and the score measure the same idea in two ways and
# should agree closely if the ladder is read as intended; they are compared, not assumed equal. By the ladder's
# descriptions, stages 0–5 imply 0, 0, 1, 2, 4 and 5 of the items (stage 1 "exploring" needs no decision yet;
# stage 4 adds both budget and management).

# %%
both = ml.stage_and_score(answered, y, w)
ct_table = ml.stage_score_crosstab(both, stage_labels, STAGES)
ctx.table(
    "stage_vs_item_score",
    ct_table,
    "Self-classified stage (rows) against the item-based score (columns): numbers of municipalities",
    count_columns=[c for c in ct_table.columns if c.startswith("score")] + ["municipalities"],
)

agreement_summary, agree = ml.stage_score_agreement(both, answered, reps=reps, seed=seed)
ctx.table(
    "stage_vs_score_summary",
    agreement_summary,
    f"Agreement of the self-classified stage and the item-based score (n = {len(both)}; bootstrap 95 % CI)",
)
markdown(mt.agreement_text(agree))

# %%
markdown(f"{ctx.ref('stage_vs_score')} sets the two distributions side by side.")
fig = share_figures.stage_vs_score_figure(ml.stage_and_score_shares(both, STAGES))
_ = ctx.figure(
    fig,
    "stage_vs_score",
    alt="Grouped bar chart comparing the weighted distribution of the self-classified maturity stage with the item-based score from 0 to 5",
    caption="Weighted distributions of the self-classified stage and of the number of component items "
    "present, for municipalities that answered all of them.",
)

# %% [markdown]
# ## County authorities (reported separately)
#
# The county authorities answer the same ladder but are a different kind of unit (11 in 2020, all of them in
# the frame); they are never pooled with the municipalities and are not weighted.

# %%
counties = ctx.data.counties
if len(counties):
    county_table, cy = ml.county_stage_table(counties, stage_labels, STAGES)
    ctx.table(
        "county_stages",
        county_table,
        f"Maturity stages of the {int(np.isfinite(cy).sum())} responding county authorities (counts)",
        count_columns=["county authorities"],
        cells=stage_release.county_cells(county_table, counties),
    )
    if sentence := mt.county_started_text(cy, started_stage, ctx.synthetic):
        markdown(sentence)
else:
    markdown("No county authority is in this survey file.")

# %% [markdown]
# ## Robustness
#
# The decision rule applied to the unweighted shares, and to the item-based score in place of the
# self-classification (score ≥ 1 as "started"; the score's six levels for the spread). Only the weighted
# self-classification enters the ledger.

# %%
robust = mt.started_robustness(y, w, both, ctx.decide, ctx.claim, started_stage, frame_size, STAGES)
ctx.table(
    "robustness",
    robust,
    "The decision rule under each variant (unadjusted α)",
    count_columns=["n"],
    cells=stage_release.robustness_cells(robust, answered, started_stage, STAGES),
)
markdown(mt.robustness_text(as_numbers(ctx.released("robustness"), ["variant", "decision"]), started_stage, ctx.alpha))

# %% [markdown]
# ## Verdict

# %%
evidence = ctx.evidence(
    claim=claim,
    primary=mt.primary_record(primary, ctx.claim, started_stage),
    n=primary["n"],
    rule_inputs={"stages_above_min_share": occupied},
    sensitivity=robust.to_dict(orient="records"),
    stage_shares=mt.stage_shares(dist_table),
    dispersion=dispersion.to_dict(orient="records"),
    stage_vs_score=mt.agreement_record(agree, len(both)),
)
