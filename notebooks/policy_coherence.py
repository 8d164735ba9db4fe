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
# # A sectorised state hinders coherent work
#
# **What the report says.** The 2024 KS presentation of the VSR survey has a slide "Manglende samstemt politikk"
# (lack of policy coherence): the state works in sectors, and the municipalities and county authorities, who must
# make the goals work together locally, meet it piece by piece {cite}`ks2024`.
#
# **How the instrument reads it.** The barrier question has an item for exactly this barrier: *a sectorised state /
# lack of policy coherence* (`barrier_policy_coherence`). *National support and guidance*
# (`barrier_national_guidance`) is another barrier of the same question (one of those F8's ranking compares); it is
# shown beside policy coherence as a description and never pooled with it for the verdict.
#
# **Hypothesis, primary test and decision rule (pre-specified in `claims.yml`, rule `share_above`).** More than one
# in four municipalities (raked to the frame of 356) name lack of policy coherence — one in four, not one in two,
# because the finding says the barrier exists, not that most name it. One-sided test that the raked share exceeds
# 0.25 (linearised raked share on the interval `claims.yml` declares for it, `analysis.variance`: the assumption-light
# one without a finite-population factor; Wilson interval at the design-effective n). The interval under missing at
# random (factor 1 − π̂ᵢ per unit) is a row of the robustness table, never the verdict.
# **Supported** when the test rejects at the (Holm-adjusted) level; **not supported** when the upper confidence
# limit lies below 0.25; otherwise **inconclusive**.
#
# **Municipalities and county authorities.** The 11 county authorities are described beside the municipalities —
# never pooled with them, never weighted, never in the verdict — as counts with exact Clopper–Pearson intervals
# {cite}`clopper1934`. Whether they name these barriers at least as often as the municipalities is a claim of its
# own (the county authorities' chapter). On a confidential file their small cells are suppressed.

# %% tags=["parameters"]
survey = "synthetic:vsr-narrative:2021"
param_set = "policy-coherence"
results_dir = None
claim = None  # the claim this parameter set decides; None: the claim whose parameter_set it is
frame_size = 356

# %%
from vsr_analysis.api import markdown, start

ctx = start(survey=survey, param_set=param_set, results_dir=results_dir)  # stamps every parameter
claim = ctx.parameters["claim"]

# %%
from vsr_analysis.api import (
    ITEMS,
    coherence_share_evidence,
    coherence_variants,
    county_reading,
    group_release,
    load_claims_spec,
    load_codebook,
    municipal_table,
    publish_item_counts,
    sensitivity_table,
    share_variance,
    state_barriers_figure,
)

spec = load_claims_spec()
alpha = float(spec["alpha"])
claim_entry = next(c for c in spec["claims"] if c["id"] == claim)
threshold = float(claim_entry["rule_parameters"]["threshold"])
item = claim_entry["outcome"]["item"]  # the claim's declared item (policy coherence)
items = [item, *(i for i in ITEMS if i != item)]  # described: the claim's item first, then national guidance
codebook = load_codebook()
labels = {i: codebook.item(i).label["en"].replace("Barrier: ", "") for i in items}
resp, counties = ctx.respondents, ctx.data.counties
markdown(
    f":::{{admonition}} Claim {claim}: {claim_entry['finding']}\n:class: important\n"
    f"**Hypothesis.** {claim_entry['hypothesis'].strip()}\n\n**Primary test.** {claim_entry['primary_test']}\n\n"
    f"**Described, not tested.** {claim_entry['descriptive']}.\n:::"
)

# %% [markdown]
# ## Primary test

# %%
variance = share_variance(claim_entry)  # the interval claims.yml declares the claim is decided on
ev = coherence_share_evidence(
    ctx.data.frame, threshold=threshold, item=item, margins=ctx.data.weight_info["margins"], variance=variance
)
t = ev["test"]
ctx.stop_unless_estimable(int(t["n"] or 0), "an answer on the barrier question", kind="count")
markdown(
    f"Raked share of municipalities naming {labels[item].lower()}: "
    f"**{t['estimate']:.3f}** (95 % CI {t['ci_low']:.3f} to {t['ci_high']:.3f}); one-sided p (share > "
    f"{threshold:g}) = **{t['p_value']:.3g}**; n = {t['n']} of {frame_size} municipalities."
)
truth = (ctx.data.truth or {}).get("claims", {}).get(claim, {}) if ctx.synthetic else {}
if truth.get("true_value") is not None:
    markdown(
        f"*Simulated data:* under the scenario the true share of the frame is {truth['true_value']:.3f}; the "
        f"claim is true in this simulation when it exceeds {threshold:g}."
    )

# %% [markdown]
# ## Municipalities and county authorities

# %%
muni = municipal_table(resp, labels, population_size=frame_size, items=items, design=ev["design"], variance=variance)
muni_counts = ["municipalities answering", "municipalities naming it"]
ctx.table(
    "municipalities",
    muni,
    "Municipalities naming each state-level barrier, each on its own (raked; 95 % intervals as in the primary test)",
    count_columns=muni_counts,
    cells=group_release.item_share_cells(muni, resp, answering=muni_counts[0], with_it=muni_counts[1], items=items),
)
muni = ctx.released("municipalities")  # the sentences and the figure show what was released
if len(counties):
    _, shown = publish_item_counts(
        ctx, "county_authorities", counties, items, labels, resp,
        "County authorities naming each state-level barrier (counts, exact 95 % CI; never pooled with municipalities)",
    )  # fmt: skip
    markdown(county_reading(shown))
else:
    shown = None
    markdown(
        "The survey file has no county-authority rows, so the comparison with the county authorities cannot be made."
    )

# %%
markdown(f"{ctx.ref('state_barriers')} puts the municipal and the county shares side by side.")
fig = state_barriers_figure(muni, shown, threshold)
ctx.figure(
    fig,
    "state_barriers",
    alt="Horizontal bars of the raked share of municipalities naming lack of policy coherence and lack of national support and guidance, with 95 % intervals; diamonds with exact intervals for the county authorities; a dashed line at the claim's level",
    caption="Municipalities (bars, raked, 95 % Wilson intervals) and county authorities (diamonds, exact "
    "Clopper–Pearson intervals; cells hidden by the disclosure rule are left out); dashed: the level in the claim.",
)

# %% [markdown]
# ## Robustness
#
# The primary result (assumption-light: no finite-population factor) beside the same share under missing at random
# (factor 1 − π̂ᵢ per unit), with the old global factor 1 − n/N, and unweighted;
# a conservative reading of item non-response (a municipality that skipped the barrier question counted as not
# naming the barrier). Each row shows the rule's decision at the unadjusted α.

# %%
robust = sensitivity_table(
    claim_entry,
    alpha,
    coherence_variants(ctx.data.frame, ev["design"], threshold, labels, item=item, variance=variance),
)
ctx.table("robustness", robust, "The decision rule under each variant (unadjusted α)", count_columns=["n"])

# %% [markdown]
# ## Verdict

# %%
evidence = ctx.evidence(
    claim=claim,
    primary=ev["primary"],
    n=ev["n"],
    rule_inputs=ev["rule_inputs"],
    sensitivity=robust.to_dict(orient="records"),
)
