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
# # Power and design analysis: what could this survey detect?
#
# A verdict of *inconclusive* means little if the test never had a fair chance, and a *supported* verdict is more
# convincing when the test could also have failed. This page asks, for every claim in `claims.yml` (the exploratory
# county claims too, at α only),
# how large the true effect (for a share claim: how far the true share from the rule's level) must be for the
# claim's rule to say *supported* in 80 % of surveys of this design: its **minimum detectable effect** (MDE).
# Each finding chapter's verdict card and the claims page repeat the claim's MDE from this page.
#
# **The design is the survey as fielded.** The responding municipalities are kept as they are: their number,
# register characteristics, counties, answers to the covariate items, which items they left unanswered, and their
# raking weights. Only the claim's outcome is drawn anew, many times, under a stated effect, and each drawn survey
# is analysed by **the claim's own primary analysis** (the package function its chapter calls, found by the
# claim's analysis kind in `vsr_analysis.simulate.registry`) and decided by **the ledger's decision rule**. No test
# is implemented a second time for this page.
#
# **The effect, by analysis kind** (`vsr_analysis.simulate.power.KNOBS`):
#
# - *a share against a level*: the true share of the declared outcome in the claim's frame (its domain too); the
#   frame holds exactly that share, with the pattern over size and centrality the observed answers have, and the
#   respondents' answers are set to their draws;
# - *the coefficient of a term* (one term with controls, or one characteristic alone): its log-odds per standard
#   deviation in a proportional-odds draw of the maturity stage whose cut-points give the observed stage
#   distribution; nothing else acts;
# - *a conjunction*: every component's term at the same coefficient per SD, drawn together;
# - *a ranking of shares* (F8): every ranked-first item's frame share lies the same lead above every other item's,
#   the shares placed around one half (where a difference of two shares varies most, so the lead is the least
#   favourable case), each item drawn as a share claim's outcome is;
# - *an existence count*: the probability that a responding municipality below the size threshold is at the top
#   stage with the ladder's items confirming it;
# - *a share of the county authorities against a level* (exact binomial test): the probability that a county
#   authority names the item, each answering authority drawn independently with it;
# - *county authorities at least as often as municipalities* (non-inferiority): the county authorities' probability
#   of naming the item minus the municipalities' share; the municipalities drawn at the raked share the survey
#   estimates, the county authorities at that share plus the difference.
#
# A share claim on the municipalities is decided on the interval `claims.yml` declares (`analysis.variance`: the
# assumption-light one, without a finite-population factor), so its MDE is that rule's.
#
# **Levels.** The verdicts apply Holm's correction across the confirmatory family ({cite}`holm1979`); the
# exploratory county claims are decided at the unadjusted α and their MDE is given there only. A claim's
# Holm level lies between α and Holm's most stringent level (α divided by the size of the family), so the MDE is
# given at both ends. The same random numbers are used at every effect (common random numbers); the MDE is
# interpolated between the two simulated effects around 80 % power, with its Monte Carlo standard error.
#
# **Not a claim.** This page records no evidence and enters no verdict. The outcomes it draws are SIMULATED.

# %% tags=["parameters"]
survey = "synthetic:vsr-narrative:2021"
param_set = "power-design"
results_dir = None
reps = 40
seed = 2021

# %%
from vsr_analysis.api import markdown, start

ctx = start(survey=survey, param_set=param_set, results_dir=results_dir, parameters=dict(reps=reps, seed=seed))

# %%
from vsr_analysis.api import power_page

# the design is that of the fielded survey: with too few respondents for the models there is none to analyse
ctx.stop_unless_estimable(int(ctx.respondents["maturity_stage"].notna().sum()), "a maturity stage")
curves, mde, source = power_page.power_for(ctx.data, reps=reps, seed=seed)
markdown(source)

# %% [markdown]
# ## The minimum detectable effect of each rule

# %%
ctx.table(
    "mde",
    power_page.releasable(mde, ctx.data.confidential),
    "Minimum detectable effects (machine-readable)",
    show=False,
)
_ = ctx.table(
    "mde_summary",
    power_page.mde_display(mde),
    "Smallest effect each rule detects with 80 % "
    "power at this survey's design, at α and at Holm's most stringent level (± Monte Carlo SE); last "
    "column: how often the rule says supported when the claim is exactly false (SIMULATED)",
    numbered=True,
)
markdown(
    f"{ctx.ref('mde_summary', 'table')} in words:\n\n"
    + "\n".join(
        f"- **{r['claim']}**: {power_page.mde_phrase(r)}."
        for r in power_page.releasable(mde, ctx.data.confidential).to_dict("records")
    )
)

# %% [markdown]
# ### Do the rules hold their level?
#
# At no effect (for a share: the true share exactly at the rule's level) a one-sided rule should say *supported*
# in about α of the surveys, a conjunction far less often (all its components must be shown at once), and a
# two-sided rule with a stated sign in about α / 2. A rate well above α would mean a rule is too liberal on this
# design; the last column of the table above shows it for every claim.

# %% [markdown]
# ## Power curves

# %%
_ = ctx.figure(
    power_page.curves_figure(curves, mde),
    "power_curves",
    alt="Stacked panels of power curves, one per kind of effect: the probability that each claim's rule "
    "says supported against the size of the effect, solid at alpha and dashed at Holm's most "
    "stringent level, with a dotted line at power 0.8",
    caption="Probability that each rule says 'supported' on this survey's design (SIMULATED "
    "outcomes); solid: α; dashed: Holm's most stringent level (not for a rule outside the Holm "
    "family); dotted: power 0.8. Share claims are drawn against the distance of the true share "
    "from the rule's level.",
)
markdown(f"{ctx.ref('power_curves')} draws the curves the minimum detectable effects are read from.")
