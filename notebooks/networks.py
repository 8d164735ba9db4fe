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
# # Do networks and collaboration across levels of government go with further progress?
#
# **What the report says.** "Networks, knowledge-sharing and collaboration across levels of government play a
# huge role" (VSR 2021).
#
# **What the survey can test.** The sentence names three things together. The instrument measures two of them:
# the **kinds of SDG network** a municipality belongs to (the KS network, a regional or county network, an
# international network; counted 0–3, non-members 0) and **collaboration across levels of government** (whether
# it works with the county authority on the SDGs). **Knowledge sharing** has no item: that part is not tested and
# gets no verdict.
#
# **Primary tests (pre-specified in `claims.yml`).** Each measured part in its own weighted proportional-odds
# model of `maturity_stage` (raking weights, HC0 standard errors) with log population, centrality, a recent merger
# and county fixed effects (reference county: the one with most municipalities in the frame), one-sided Wald test
# of a positive coefficient. "Play a role" is read as more than "the large ones are in networks": each part is
# compared among municipalities of the same size, centrality, merger status and county. The number of kinds of
# network, not F3's membership indicator, is the network measure, so F5 and F3d are not one coefficient counted
# twice.
#
# **Decision rule (`intersection_union`).** F5 is **supported** only when both parts are: its p-value is the larger
# of the two one-sided p-values (no adjustment across the two). **Not supported** when either part is
# significantly negative or shown negligible (TOST against ± 0.2 log-odds; Bonferroni over the two parts).
# Otherwise **inconclusive**. F5 is one member of the Holm family. Both parts are associations: more mature
# municipalities may seek networks and the county out as much as the other way round.

# %% tags=["parameters"]
survey = "synthetic:vsr-narrative:2021"
param_set = "networks-and-collaboration"
results_dir = None
claim = None  # the claim this parameter set decides; None: the claim whose parameter_set it is
controls = ["log_population", "centrality", "merged_2017_2020"]
fixed_effects = ["county_code"]
top_stage = 4

# %%
from vsr_analysis.api import markdown, start

ctx = start(
    survey=survey,
    param_set=param_set,
    results_dir=results_dir,
    parameters=dict(claim=claim, controls=controls, fixed_effects=fixed_effects, top_stage=top_stage),
)
claim = ctx.parameters["claim"]

# %%
import matplotlib.pyplot as plt
import seaborn as sns

from vsr_analysis.api import conjunction_evidence as conj
from vsr_analysis.api import distribution_cells, legend_below, network_truth_table, with_large_reference, wrap
from vsr_analysis.api import network_evidence as nets
from vsr_analysis.api import term_effect_report as report

alpha, entry = ctx.alpha, ctx.claim
sesoi = float(entry["rule_parameters"]["sesoi_log_odds"])
markdown(
    f":::{{admonition}} Claim {entry['id']}: {entry['finding']}\n:class: important\n**Hypothesis.** "
    f"{entry['hypothesis'].strip()}\n\n**Primary test.** {entry['primary_test']}\n\n**Not tested.** "
    f"{entry['untestable_part'].strip()}\n:::"
)
resp, reference = with_large_reference(ctx.respondents, ctx.frame)
resp = nets.with_network_kinds(resp)
used = resp.dropna(subset=["maturity_stage", *controls])
markdown(
    f"{len(resp)} of {len(ctx.frame)} municipalities responded; {len(used)} have a maturity stage and every "
    f"covariate (reference county code {reference})."
)
ctx.stop_unless_estimable(len(used), "a maturity stage and every covariate")
ctx.stop_unless_varies(
    used,
    ["maturity_stage", "network_kinds", "cooperates_with_county", *controls],
    "the maturity stage, a network or cooperation item, or a covariate",
)

# %% [markdown]
# ## Maturity by the kinds of network and by cooperation with the county

# %%
for term, short in (("network_kinds", "kinds of network"), ("cooperates_with_county", "works with the county")):
    rows = used.dropna(subset=[term])
    tab = report.stage_by_level(rows, term, short, top_stage)
    _ = ctx.table(
        f"stages_by_{term}",
        tab,
        f"Maturity stages (weighted row %) by {short}",
        count_columns=["municipalities"],
        cells=distribution_cells(
            tab, short, report.stage_by_level_groups(rows, term), "maturity_stage", range(6), top_stage
        ),
    )

# %% [markdown]
# ## The two parts (the primary tests)

# %%
comp, kinds_evidence = nets.network_kinds_evidence(
    resp, controls=controls, fixed_effects=fixed_effects, sesoi=sesoi, alpha=alpha
)
_ = ctx.table(
    "components",
    comp.assign(term=comp["term"].map(nets.NETWORK_TERM_LABELS)),
    f"Each measured part of {claim}: "
    "coefficient (log-odds of a higher stage per kind of network, or for working with the county; weighted, "
    "HC0, size, centrality, merger and county fixed effects), 95 % CI, one-sided p-values and the "
    "equivalence (TOST) p-value",
    count_columns=["n"],
)
markdown(f"{ctx.ref('parts')} shows both coefficients with their 95 % intervals.")
fig, ax = plt.subplots(figsize=(5.4, 3.4))
conj.forest(
    ax,
    {"each part in its own model": comp},
    {k: wrap(v, 24) for k, v in nets.NETWORK_TERM_LABELS.items()},
    sns.color_palette("colorblind"),
)
ax.set_xlabel(wrap(ax.get_xlabel(), 36))
legend_below(ax)
ax.set_title(wrap(f"{claim}'s two measured parts: coefficients with 95 % intervals", 40))
ctx.figure(
    fig,
    "parts",
    alt=f"Forest plot of {claim}'s two coefficients (kinds of network, cooperation with the county) with 95 % intervals",
    caption="Coefficients (log-odds of a higher stage) with 95 % intervals, each part in its own weighted model "
    f"with size, centrality, merger and county fixed effects. {claim} needs both to the right of zero.",
)
markdown(
    f"The intersection–union p-value (the larger one-sided p) is **{comp['p_greater'].max():.3g}** "
    f"({nets.NETWORK_TERM_LABELS[comp.loc[comp['p_greater'].idxmax(), 'term']]}); the ledger adjusts it at {claim}'s place "
    "in the Holm family. Knowledge sharing is not measured and not part of the verdict."
)

# %% [markdown]
# ## Verdict

# %%
evidence = ctx.evidence(
    claim=claim,
    primary=kinds_evidence["primary"],
    n=kinds_evidence["n"],
    rule_inputs=kinds_evidence["rule_inputs"],
    parts=kinds_evidence["parts"],
)
if ctx.data.truth:
    cover = network_truth_table(comp, ctx.data.truth, controls, fixed_effects)
    _ = ctx.table(
        "truth_vs_estimate",
        cover.assign(term=cover["term"].map(nets.NETWORK_TERM_LABELS)),
        "Simulated data only: the value each part estimates in the simulation (pseudo-true coefficient), "
        "beside the estimates",
    )
