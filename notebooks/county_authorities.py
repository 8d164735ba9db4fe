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
# # The county authorities
#
# The VSR covers the 356 municipalities **and the 11 county authorities** (fylkeskommuner) of 2021; the report
# says that "most municipalities and regional authorities have initiated the work", and F8 that the county
# authorities point to missing national support and guidance {cite}`ks2024`. This chapter describes the county
# authorities (`unit_type = county`) on the same items as the municipalities: where they are on the maturity
# ladder, which plans and processes hold the goals, and which barriers they name.
#
# **Methods suited to 11 units.** No model and no weights: every figure is a count *k* of the *n* county
# authorities that answered, with an exact Clopper–Pearson 95 % interval {cite}`clopper1934`. The county authorities
# are never pooled with the municipalities; the raked municipal share is shown beside them for comparison only,
# with Fisher's exact test on the counts as an exploratory comparison (no verdict rests on it).
#
# **The claims of the ledger about the county authorities are decided here**: every claim of `claims.yml` on the
# county authorities whose parameter set is this page, each the county half of a finding and its own claim (see
# *The claims about the county authorities* below, which states each one and how it is tested). They are
# exploratory, outside the Holm family and decided at the unadjusted level; the findings' own chapters test the
# municipal halves.
#
# **Disclosure.** On a confidential survey file every count goes through the disclosure engine with the chapter's
# other counts: no count of 1 or 2, none whose complement among the responding authorities is 0, 1 or 2 (a census
# of 11 must not say "all but one"), no zero of a yes/no item (it gives every authority the other answer), none that
# could be worked out from the others, and no share or interval from such a cell; suppressed cells read "..". With
# 11 units most cells fall under it; the chapter then says what it could not show, and the figure is drawn from the
# released tables only.

# %% tags=["parameters"]
survey = "synthetic:vsr-narrative:2021"
param_set = "county-authorities"
results_dir = None
frame_counties = 11
frame_size = 356
power_differences = [-0.1, 0.0, 0.2, 0.4]

# %%
from vsr_analysis.api import markdown, start

ctx = start(survey=survey, param_set=param_set, results_dir=results_dir)  # stamps every parameter

# %%
from vsr_analysis.api import (
    ITEM_COUNT_COLUMNS,
    STAGE_COUNT_COLUMNS,
    hidden_cells,
    hidden_note,
    load_codebook,
    stage_cells,
    stage_counts,
)
from vsr_analysis.api import county_report as cr

codebook = load_codebook()
stage_labels = codebook.maturity_labels("en")
labels = {i.name: i.label["en"].replace("Barrier: ", "") for i in codebook}
counties, resp = ctx.data.counties, ctx.respondents
confidential = ctx.data.confidential
markdown(f"{len(counties)} of the {frame_counties} county authorities are in the survey file.")
not_shown = []

# %% [markdown]
# ## Where they are on the maturity ladder
#
# One distribution (never cumulative counts side by side, whose differences would give hidden cells away).

# %%
stages = stage_counts(counties, stage_labels)
stages["municipal share (weighted)"] = cr.municipal_stage_shares(resp, stage_labels, frame_size)
ctx.table(
    "maturity",
    stages,
    "County authorities by maturity stage (counts, exact 95 % CI) beside the raked municipal share",
    count_columns=STAGE_COUNT_COLUMNS,
    cells=stage_cells(stages, counties),
)
shown_stages = ctx.released("maturity")
h = hidden_cells(shown_stages, STAGE_COUNT_COLUMNS, "stage name")
not_shown.append(("maturity distribution", h))
markdown(hidden_note(h, "maturity table") or "Every cell of the maturity table is shown.")

# %% [markdown]
# ## The goals in plans and processes

# %%
components = codebook.items_in_group("components")
plans, shown_plans = cr.publish_item_counts(
    ctx, "plans", counties, components, labels, resp,
    "County authorities with each component of the ladder (counts, exact 95 % CI) beside the raked municipal share",
)  # fmt: skip
h = hidden_cells(shown_plans, ITEM_COUNT_COLUMNS, "item")
not_shown.append(("plans and processes", h))
markdown(hidden_note(h, "plans table") or "Every cell of the plans table is shown.")

# %% [markdown]
# ## Barriers
#
# A claim about the county authorities that names a barrier is decided below from the same counts.

# %%
barriers = codebook.items_in_group("barriers")
bars, shown_bars = cr.publish_item_counts(
    ctx, "barriers", counties, barriers, labels, resp,
    "County authorities naming each barrier (counts, exact 95 % CI) beside the raked municipal share",
)  # fmt: skip
h = hidden_cells(shown_bars, ITEM_COUNT_COLUMNS, "item")
not_shown.append(("barriers", h))
markdown(cr.guidance_text(shown_bars, bars, labels["barrier_national_guidance"], h))

# %%
markdown(f"{ctx.ref('county_items')} sets each county share beside the municipal one.")
fig = cr.county_items_figure(shown_plans, shown_bars)
ctx.figure(
    fig,
    "county_items",
    alt="Two stacked panels of dot plots: the share of county authorities with each component of the ladder and naming each barrier, with exact 95 % intervals, and a vertical tick for the raked municipal share",
    caption="County authorities (diamonds, exact Clopper–Pearson 95 % intervals) and municipalities (ticks, "
    "raked share). Rows hidden by the disclosure rule are left out of the figure.",
)

# %% [markdown]
# ## The claims about the county authorities
#
# Each claim is stated with its hypothesis and test as `claims.yml` declares them, with what holds for it alone. A
# share against a level (`share_vs_threshold`) is decided by the exact one-sided binomial test with a
# Clopper–Pearson interval; "at least as often as the municipalities" (`share_noninferiority`) by a
# non-inferiority test with the margin its entry states.
#
# **Disclosure.** On a confidential file a claim whose count is a hidden cell of the barrier table gets no
# numbers at all (estimate, interval, p-value and reason would each give the count back): it is recorded as not
# estimable, with a reason that names the rule, and no number. The verdict itself is a statement about a count: with
# 11 county authorities, a *supported* "most county authorities name it" needs so many of them that those left over
# form a small cell, so on a confidential file that verdict is withheld too (the table's ".." already says the cell is small; nothing
# more is told).

# %%
from vsr_analysis.api import claim_prose, load_claims, share_design
from vsr_analysis.api import county_evidence as ce

claims_here = ce.county_claims(load_claims(), param_set)
for c in claims_here:
    markdown(f"**{c.id}** ({c.entry['finding']}). {c.entry['hypothesis'].strip()} {claim_prose(c.id)}")
design = share_design(ctx.data.frame, ctx.data.weight_info["margins"])
answering = ce.responding(counties)
evidences = {
    c.id: ce.county_evidence(ctx.data.frame, answering, c, design=design, alpha=ctx.alpha) for c in claims_here
}
if confidential:
    evidences = ce.protect(evidences, claims_here, ce.hidden_items(shown_bars, labels))
for c in claims_here:
    name = f"power_{c.id.lower().replace('-', '_')}"
    text, power, caption = cr.claim_power(
        ctx.data.frame, answering, c, evidences[c.id], design=design, alpha=ctx.alpha, differences=power_differences
    )
    markdown(text)
    ctx.table(name, power, caption, numbered=True)
    markdown(f"{ctx.ref(name, 'table')} gives the power of the {c.id} test.")
if ctx.synthetic and ctx.data.truth:  # simulated data: what the scenario's model makes true
    from vsr_analysis.api import truth_text

    markdown(truth_text(claims_here, ctx.data.truth["scenario"]))
ctx.evidence_of_claims(evidences)

# %% [markdown]
# ## What the simulation put in
#
# On the synthetic replica the county answers were drawn from stated probabilities: the table compares them with
# the counts above. Shown only for simulated data.

# %%
truth = (ctx.data.truth or {}).get("counties") if ctx.synthetic else None
if truth:
    ctx.table(
        "simulated_truth",
        cr.simulated_truth_table(truth, labels),
        "SIMULATED: the replica's county probabilities and the drawn counts",
        count_columns=["county authorities answering", "county authorities with it"],
    )
else:
    markdown("Not a simulated file: there is no truth to compare with.")

# %% [markdown]
# ## What this chapter could not show

# %%
markdown(cr.not_shown_text(not_shown, confidential))
