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
# scored. The verdicts apply Holm's correction across the confirmatory claims, as the ledger does
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
scenarios = ["vsr-narrative", "null", "size-ceiling", "low-uptake", "few-capacity-barriers"]
seeds = 10
permutations = 1000
full_run = "results/simulate"

# %%
import json
import tempfile
from pathlib import Path

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
import seaborn as sns
from vsr_analysis import paths
from vsr_analysis.chapter import markdown
from vsr_analysis.claims.evidence import write_table
from vsr_analysis.simulate import engine, operating
from vsr_analysis.synth import replica

out_dir = Path(results_dir) if results_dir else paths.results_dir() / param_set
out_dir.mkdir(parents=True, exist_ok=True)


def show_table(df, caption, digits=1):
    """An HTML table with its caption, like the claim chapters' tables."""
    from IPython.display import HTML, display
    body = df.to_html(index=False, classes="result-table", border=0, na_rep="–",
                      float_format=lambda v: f"{v:.{digits}f}")
    display(HTML(f'<p class="table-caption"><strong>{caption}</strong></p>{body}'))


markdown(
    ":::{admonition} Simulated data\n:class: warning simulated-data\n"
    "Every number on this page comes from surveys SIMULATED by this project under stated scenarios. It shows "
    "how often the decision rules reach each verdict, not what the municipalities answered.\n:::"
)

# %% [markdown]
# ## Which run this page shows

# %%
full = paths.project_root() / full_run
if (full / engine.OC_FILE).is_file() and (full / engine.PROVENANCE_FILE).is_file():
    oc = operating.read_table(full / engine.OC_FILE)
    prov = json.loads((full / engine.PROVENANCE_FILE).read_text(encoding="utf-8"))
    commit = (prov.get("git") or {}).get("commit") or "unknown"
    markdown(
        f"This page shows the **full run** stored in `{full_run}/`, made by `{prov['command']}` at commit "
        f"`{commit[:12]}` with {prov['seeds']['n']:,} seeds per scenario (seeds {prov['seeds']['first']} to "
        f"{prov['seeds']['last']}); its provenance (package versions, scenario checksums, the claims' parameters) "
        f"is in `{full_run}/{engine.PROVENANCE_FILE}`."
    )
else:
    plan = engine.make_plan(scenarios, seeds, chunk_size=seeds, overrides={"permutations": permutations})
    with tempfile.TemporaryDirectory() as tmp:
        engine.simulate(plan, tmp, workers=0, progress=False)
        oc = operating.read_table(Path(tmp) / engine.OC_FILE)
        prov = json.loads((Path(tmp) / engine.PROVENANCE_FILE).read_text(encoding="utf-8"))
    worst = float(np.sqrt(0.25 / seeds))
    markdown(
        f"This page shows a **small pre-specified run** made while the book was built: seeds 1 to {seeds} of each "
        f"of the {len(scenarios)} scenarios, with {permutations:,} NCA permutations for F4 (its chapter uses "
        "10,000; fewer permutations only coarsen the permutation p-value). With "
        f"{seeds} seeds a share has a Monte Carlo standard error of up to {100 * worst:.0f} percentage points, so "
        "this run shows the pattern, not precise error rates. A full run "
        f"(`vsr simulate --scenario {','.join(scenarios)} --seeds 1000 --out {full_run}`) replaces it here once "
        f"its output is in `{full_run}/` (then `vsr run --only {param_set} --force`)."
    )
write_table(out_dir, "operating_characteristics", oc)

# %% [markdown]
# ## The scenarios

# %%
rows = []
for name in oc["scenario"].unique():
    sc = replica.load_scenario(name)
    stated = sc.get("claims") or {}
    rows.append({
        "scenario": name,
        "what it makes true": " ".join(str(sc["title"]).split()),
        "claims it makes false": ", ".join(k for k, v in stated.items() if v.get("holds") is False) or "none",
    })
scen = pd.DataFrame(rows)
write_table(out_dir, "scenarios", scen)
show_table(scen, "The scenarios of this run and the claims each makes false (the others it makes true)")

# %% [markdown]
# ## The share of each verdict, by claim and scenario
#
# Each bar is one scenario; its segments are the shares of simulated surveys with each verdict. The label says
# whether the scenario makes the claim true or false.

# %%
sns.set_theme(style="whitegrid", palette="colorblind")
pal = sns.color_palette("colorblind")
colors = {"supported": pal[2], "not_supported": pal[3], "inconclusive": pal[7]}
claims = list(dict.fromkeys(oc["claim"]))
ncol = 4
nrow = int(np.ceil(len(claims) / ncol))
fig, axes = plt.subplots(nrow, ncol, figsize=(12, 2.9 * nrow), sharex=True)
for ax, claim in zip(np.ravel(axes), claims):
    sub = oc[oc["claim"] == claim].reset_index(drop=True)
    labels = [f"{s} ({t})" for s, t in zip(sub["scenario"], sub["truth"])]
    left = np.zeros(len(sub))
    for col, color in colors.items():
        ax.barh(labels, 100 * sub[col], left=left, color=color, label=col.replace("_", " "))
        left += 100 * sub[col].to_numpy()
    ax.set_title(claim)
    ax.tick_params(axis="y", labelsize=7)
    ax.set_xlim(0, 100)
for ax in np.ravel(axes)[len(claims):]:
    ax.axis("off")
for ax in np.ravel(axes)[-ncol:]:
    ax.set_xlabel("Share of simulated surveys (%)")
handles, labels = np.ravel(axes)[0].get_legend_handles_labels()
fig.tight_layout(rect=(0, 0, 1, 0.95))
fig.legend(handles, labels, loc="upper center", ncol=3, fontsize=9, frameon=False)
fig.savefig(out_dir / "verdict_shares.png", dpi=110, bbox_inches="tight", metadata={"Software": None})
plt.close(fig)
markdown(
    f":::{{figure}} ../../results/{param_set}/verdict_shares.png\n"
    ":alt: For each claim a panel of horizontal stacked bars, one per scenario, with the shares of supported, not "
    "supported and inconclusive verdicts over the simulated surveys\n:width: 100%\n\n"
    "Share of simulated surveys with each verdict (Holm-adjusted, as in the ledger), per claim and scenario; "
    "the scenario's truth for the claim is in brackets.\n:::"
)

# %%
table = oc.assign(
    supported=lambda t: 100 * t["supported"],
    **{"MC SE": lambda t: 100 * t["supported_se"]},
    not_supported=lambda t: 100 * t["not_supported"],
    inconclusive=lambda t: 100 * t["inconclusive"],
    coverage=lambda t: 100 * t["coverage"],
)[["claim", "scenario", "truth", "n_seeds", "supported", "MC SE", "not_supported", "inconclusive", "coverage"]]
table = table.rename(columns={
    "n_seeds": "simulated surveys", "supported": "supported (%)", "MC SE": "± MC SE (pp)",
    "not_supported": "not supported (%)", "inconclusive": "inconclusive (%)",
    "coverage": "95 % interval covers the truth (%)",
})
table = table.sort_values(["claim", "truth", "scenario"], kind="mergesort")
show_table(table, "Verdicts over the simulated surveys, per claim and scenario (shares in %; MC SE of the supported share in percentage points)")

# %% [markdown]
# ## In plain words

# %%
markdown("\n".join(f"- {operating.reading(r)}" for _, r in oc.sort_values(["claim", "scenario"]).iterrows()))

# %% [markdown]
# ## False positives: *supported* when the claim is false
#
# Under every scenario that makes a claim false, how often does its rule still say *supported*? The nominal
# level is 5 %. A share is flagged when it lies above 5 % by more than two Monte Carlo standard errors.

# %%
false = oc[oc["truth"] == "fails"].copy()
false["flag"] = (false["supported"] - 0.05) > 2 * false["supported_se"].clip(lower=1e-12)
if len(false):
    lines = []
    for _, r in false.iterrows():
        verdict = "**above the nominal 5 %**" if r["flag"] else "within the nominal 5 %"
        lines.append(
            f"- {r['claim']} under `{r['scenario']}`: *supported* in {100 * r['supported']:.1f} % "
            f"(± {100 * r['supported_se']:.1f}) of {int(r['n_seeds'])} surveys, {verdict}; without Holm's "
            f"correction {100 * r['supported_unadjusted']:.1f} %."
        )
    markdown("\n".join(lines))
    flagged = false[false["flag"]]
    markdown(
        "No rule says *supported* for a false claim more often than the nominal level allows, within Monte Carlo error."
        if flagged.empty
        else f"{len(flagged)} rule(s) exceed the nominal level: {', '.join(flagged['claim'] + ' under ' + flagged['scenario'])}."
    )
