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
# # Barriers: capacity, competence, methods and tools, political ownership
#
# **What the report says.** The 2024 KS presentation of the VSR survey lists what holds municipalities back
# (slide "Visse barrierer hindrer fremgang"): lack of resource capacity, of competence on the goals, of methods and
# tools, and of political ownership are the largest barriers. The same slide's remark about the county authorities
# is a claim of its own (the county authorities' chapter), not part of F8.
#
# **Hypothesis (pre-specified in `claims.yml`).** The finding is a ranking: each of the four named barriers is
# named by more municipalities (weighted to the frame) than every other barrier the instrument asks about
# (national support and guidance, funding, a sectorised state / lack of policy coherence).
#
# **Primary test and decision rule (`share_ranking`).** Every named barrier against every other barrier: 4 × 3 = 12
# one-sided tests that the difference of the two raked shares, over the same respondents, is positive. A
# municipality names several barriers, so the two answers of one municipality go together: the variance of each
# difference is the linearised variance of the paired differences on the design of the share claims (response as
# Poisson sampling from the frame of 356 with cross-validated response probabilities, linearised for the raking;
# the weighting page gives the estimator, {cite}`sarndal2005`), with Student's t at the degrees of freedom of the
# difference's estimated design effect. The ranking needs all 12, so F8's p-value is the largest of the 12
# (intersection–union: no adjustment across them). **Supported** when it is below F8's Holm level; **not
# supported** when another barrier is named significantly more often than a named one (each such comparison
# Bonferroni-adjusted over the 12, then Holm); otherwise **inconclusive**.
#
# **Exploratory comparisons.** For every barrier: municipalities below against above the frame's median
# population (the definition of "big" in F4), and county authorities against municipalities. These are
# many tests on the same data, so their p-values are adjusted with Benjamini–Hochberg ({cite}`bh1995`); they
# describe patterns and never enter a verdict.

# %% tags=["parameters"]
survey = "synthetic:vsr-narrative:2021"
param_set = "largest-barriers"
results_dir = None
claim = None  # the claim this parameter set decides; None: the claim whose parameter_set it is
barrier_group = "barriers"
frame_size = 356
fdr = 0.05

# %%
from vsr_analysis.api import markdown, start

ctx = start(survey=survey, param_set=param_set, results_dir=results_dir)  # stamps every parameter
claim = ctx.parameters["claim"]

# %%
from vsr_analysis.api import barrier_release as br
from vsr_analysis.api import barrier_text as bt
from vsr_analysis.api import item_share_table, item_shares_by_group, load_codebook, ranking_evidence, share_figures
from vsr_analysis.api import share_evidence as se

top, ranked = list(ctx.claim["analysis"]["top"]), list(ctx.claim["outcome"]["ranked"])
codebook = load_codebook()
barriers = codebook.items_in_group(barrier_group)


def short(name):
    return codebook.item(name).label["en"].replace("Barrier: ", "")


frame = ctx.frame
resp = ctx.respondents
counties = ctx.data.counties
answered = resp[resp[barriers].notna().any(axis=1)]
markdown(
    f"{len(resp)} of {frame_size} municipalities responded; {len(answered)} answered the barrier question "
    f"(several barriers may be named). {len(counties)} county authorities responded; they are shown "
    "beside the municipalities, never pooled with them, and are not weighted."
)

# %% [markdown]
# ## How often is each barrier named?

# %%
overall = item_share_table(resp, counties, barriers, short, frame_size)
_ = ctx.table(
    "barrier_shares",
    overall,
    "Share of municipalities naming each barrier (weighted, 95 % Wilson CI) and of the regional (county) authorities (unweighted)",
    count_columns=bt.OVERALL_COUNTS,
    numbered=True,
    cells=br.overall_cells(overall, resp, counties),
)
shown = br.as_numbers(ctx.released("barrier_shares"), ["barrier", "item"])  # figures: what the table released

# %%
markdown(
    f"{ctx.ref('barrier_shares')} draws the shares of {ctx.ref('barrier_shares', 'table')}; the finding names "
    + ", ".join(short(i) for i in top)
    + " as the largest."
)
fig = share_figures.barrier_shares_figure(shown, None, counties=bool(len(counties)))
_ = ctx.figure(
    fig,
    "barrier_shares",
    alt="Horizontal bar chart of the weighted share of municipalities naming each barrier with 95 % intervals and diamonds for the county authorities' shares",
    caption="Weighted share of municipalities naming each barrier (bars, 95 % Wilson intervals) and the "
    "share of county authorities (diamonds).",
)

# %% [markdown]
# ## Primary test: is each named barrier named more often than every other barrier?

# %%
design = se.share_design(frame, ctx.data.weight_info["margins"])
pairs, ev = ranking_evidence(frame, top, ranked, design=design)
ctx.stop_unless_estimable(int(ev["n"]), "an answer on the barrier question", kind="count")
pairs = bt.ranking_rows(pairs, short)
pairs = br.hide_joint_values(pairs, resp, ctx.data.confidential)  # a small joint cell: no interval, no p shown
_ = ctx.table(
    "ranking",
    pairs,
    "Each named barrier against each other barrier: difference of the raked shares over "
    "the same respondents (95 % interval), one-sided p-value that the named one is named more often, and "
    "the opposite one",
    count_columns=["n"],
    numbered=True,
    cells=br.ranking_cells(pairs, resp),
)
shown_pairs = br.as_numbers(ctx.released("ranking"), ["named barrier", "other barrier", "named", "other"])
markdown(bt.weakest_comparison_text(shown_pairs, len(pairs), claim, ctx.ref("ranking", "table")))

# %% [markdown]
# ## By size band
#
# Weighted shares with Wilson intervals; the finite-population correction uses the register's number of
# municipalities in each band.

# %%
by_band, band_order = item_shares_by_group(
    resp, frame, barriers, short, "size_band", order_by="population_2021", population_size=frame_size
)
_ = ctx.table(
    "barriers_by_size_band",
    by_band,
    "Share naming each barrier by size band (weighted, 95 % Wilson CI)",
    count_columns=["municipalities", "naming it"],
    cells=br.by_group_cells(by_band, resp, barriers, short, "size_band"),
)
by_band = br.as_numbers(ctx.released("barriers_by_size_band"), ["barrier", "size band"])

# %%
heat = bt.heat_table(by_band, band_order, shown, counties=bool(len(counties)))
markdown(f"{ctx.ref('barrier_heatmap')} sets the size bands side by side.")
fig = share_figures.barrier_heatmap_figure(heat)
_ = ctx.figure(
    fig,
    "barrier_heatmap",
    alt="Heat map of the percentage naming each barrier (rows) in each size band, for all municipalities and for county authorities (columns), with the percentages written in the cells",
    caption="Percentage naming each barrier, by size band (weighted), for all municipalities (weighted) "
    "and for the county authorities (unweighted).",
)

# %% [markdown]
# ## Exploratory comparisons (Benjamini–Hochberg)
#
# For every barrier, two comparisons: municipalities **below against above the frame's median population**
# (two-proportion z-test with the groups' weighted shares and Kish effective sample sizes) and **county
# authorities against municipalities** (Fisher's exact test on the counts: the 11 county authorities are too
# few for a normal approximation; the municipal share shown is weighted). The false discovery rate is
# controlled at the stated level across all of these tests together.

# %%
from vsr_analysis.api import item_comparisons, ranking_robustness

median_pop = float(frame["population_2021"].median())
comparisons = item_comparisons(
    resp, counties, barriers, short, split_column="population_2021", split_at=median_pop, fdr=fdr
)
_ = ctx.table(
    "comparisons",
    comparisons,
    f"Exploratory comparisons of the barriers (Benjamini–Hochberg, false discovery rate {fdr:g})",
    count_columns=["n 1", "n 2"],
    cells=br.comparison_cells(comparisons, counties, barriers, short),
)
found = br.as_numbers(ctx.released("comparisons"), ["barrier", "comparison", "group 1", "group 2", "test", "discovery"])
found = found[found["discovery"] == "yes"]
markdown(bt.discoveries_text(found, len(comparisons), fdr))


# %% [markdown]
# ## Robustness
#
# The ranking test beside other variances (none, and the old global finite-population correction that treats the
# respondents as a simple random sample), unweighted shares, and a conservative reading of item non-response (a
# municipality that left the barrier question blank counted as naming no barrier).

# %%
robust = ranking_robustness(frame, ctx.claim, top, ranked, design, ctx.alpha)
_ = ctx.table("robustness", robust, "The decision rule under each variant (unadjusted α)", count_columns=["n"])
markdown(bt.robustness_text(robust, ctx.alpha))

# %% [markdown]
# ## Verdict

# %%
evidence = ctx.evidence(
    claim=claim,
    primary=ev["primary"],
    n=ev["n"],
    rule_inputs=ev["rule_inputs"],
    sensitivity=robust.to_dict(orient="records"),
    exploratory=bt.exploratory_summary(len(comparisons), found, fdr),
)
