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
# # How often are the verdicts right?
#
# Every verdict in this book comes from a pre-specified decision rule applied to one survey. A rule is only as
# good as its behaviour when the claim is *false*: does it then say *not supported* (or at least *inconclusive*),
# or does it still say *supported*? This page answers that for every claim, by running each claim's primary
# analysis and decision rule on many **simulated** surveys whose truth is known.
#
# **How.** `vsr simulate` generates, for each scenario in `data/scenarios/` and each seed, the synthetic replica
# exactly as `vsr synth` does, loads it through the same validation and raking as every chapter, and runs each
# claim's primary test and decision rule through the same package functions the claim's chapter calls
# (`vsr_analysis.simulate.registry`). Each scenario states, for every claim, whether it makes the claim true
# (section `claims:` of its file); that statement is checked against the scenario's model before anything is
# scored. A share claim (F2, F6, F7, F9, F10) is then labelled seed by seed by what that simulated frame realised:
# its share among all 356 municipalities (respondents or not) against the rule's level (F8's ranking: each named
# barrier's realised share against every other's), the quantity the test and its
# interval target; so one scenario can give such a claim a "holds" row and a "fails" row, each over its own seeds.
# F3's components are scored against the coefficient each marginal model targets (its pseudo-true value), F5's
# parts likewise. The verdicts apply Holm's correction across the confirmatory claims, as the ledger does
# ({cite}`holm1979`). Where a claim's estimand has a true value (a coefficient, or a share of the 356
# municipalities of the frame), the page also shows how often the primary 95 % interval contains it.
#
# **Reading the numbers.** Each share is a Monte Carlo estimate over a finite number of simulated surveys; its
# Monte Carlo standard error is shown beside it. When a scenario makes a claim false, *supported* is a false
# positive and should come out at most at the nominal 5 % (less, with Holm's correction).
#
# Everything on this page is computed on SIMULATED data. It describes the decision rules, not the
# municipalities.

# %% tags=["parameters"]
survey = "synthetic:vsr-narrative:2021"
param_set = "operating-characteristics"
results_dir = None
scenarios = [
    "vsr-narrative",
    "null",
    "size-ceiling",
    "low-uptake",
    "few-capacity-barriers",
    "unequal-response",
    "size-dependent-missingness",
    "state-coherent",
    "measured-progress",
    "mature-answer-more",
    "mature-answer-less",
    "size-ceiling-borderline",
    "county-coherence-low",
]
seeds = 5
permutations = 1000
full_run = "data/operating-characteristics"

# %%
from vsr_analysis.api import markdown, oc_summary, operating, output_folder, report, save_figure

out_dir = output_folder(param_set, results_dir)
markdown(
    ":::{admonition} Simulated data\n:class: warning simulated-data\n"
    "Every number on this page comes from surveys SIMULATED by this project under stated scenarios. It shows "
    "how often the decision rules reach each verdict, not what the municipalities answered.\n:::"
)

# %% [markdown]
# ## Which run this page shows

# %%
oc, which_run = report.load_run(full_run, scenarios, seeds, permutations)
markdown(which_run)
report.write_labelled(out_dir, "operating_characteristics", oc)

# %% [markdown]
# ## Each claim in one row

# %%
oc_summary.show(oc)

# %% [markdown]
# ## The scenarios

# %%
scenario_table = report.scenario_table(oc)
report.write_labelled(out_dir, "scenarios", scenario_table)
report.show_table(
    scenario_table, "The scenarios of this run and the claims each makes false (the others it makes true)"
)

# %% [markdown]
# ## The share of each verdict, by claim and scenario
#
# {numref}`Figure %s <fig-operating-characteristics-verdict-shares>` gives, for each claim (row) and scenario
# (column), the share of simulated surveys in which the claim is supported; hatched cells are scenarios that make
# the claim false, where a high share is a false positive. The table below splits every cell into the three verdicts.

# %%
save_figure(
    report.verdict_shares_figure(oc),
    out_dir,
    "verdict_shares",
    "A grid with one row per claim and one column per scenario; each cell gives the percentage of simulated "
    "surveys in which the claim is supported, shaded by it; cells of scenarios that make the claim false are hatched",
    "Share of simulated surveys in which the claim is supported (Holm-adjusted, as in the ledger), per claim and "
    "scenario; hatched: the scenario makes the claim false.",
    f"../../results/{param_set}/verdict_shares.svg",
)

# %% tags=["hide-output"]
report.show_table(
    report.verdict_table(oc),
    "Verdicts over the simulated surveys, per claim and scenario (shares in %; MC SE of the supported share in "
    "percentage points)",
)

# %% [markdown]
# ## In plain words

# %% tags=["hide-output"]
markdown("\n".join(f"- {operating.reading(r)}" for _, r in oc.sort_values(["claim", "scenario"]).iterrows()))

# %% [markdown]
# ## False positives: *supported* when the claim is false
#
# Under every scenario that makes a claim false, how often does its rule still say *supported*? The nominal
# level is 5 %. A share is flagged when it lies above 5 % by more than two Monte Carlo standard errors.

# %%
lines = report.false_positive_lines(oc)
if lines:
    markdown("\n".join(lines[:-1]))
    markdown(lines[-1])

# %% [markdown]
# ## When answering depends on the answer (not at random)
#
# Every other scenario lets response depend only on register covariates that the propensity model contains, so
# there the share intervals' coverage confirms their own assumption (missing at random given the register). In the
# scenarios `mature-answer-more` and `mature-answer-less` the odds of answering also rise, or fall, with the
# maturity stage itself, which neither the propensity model nor the raking can see. Below, for each share claim, how
# often the primary interval (the one `claims.yml` declares the claim is decided on: the assumption-light interval,
# without a finite-population factor) and the interval under missing at random (the same share with the factor
# 1 − π̂ᵢ per unit, reported beside the verdict) then cover the frame's true share, and how often the claim would be
# supported on each.

# %%
lines = report.not_at_random_lines(oc)
markdown("\n".join(lines) if lines else "This run has no scenario in which answering depends on the answer.")
