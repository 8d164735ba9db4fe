"""The tables, figure and sentences of the book's chapter "How often are the verdicts right?".

The chapter template only chooses the run (a stored full run or a small one made at build time) and calls these
functions, so that what the page says is tested code. Every table written here carries the simulated label in its
first column, as every result table of a synthetic run does.
"""

from __future__ import annotations

import json
import tempfile
from pathlib import Path

import numpy as np
import pandas as pd

from vsr_analysis import paths
from vsr_analysis.claims import stored_runs
from vsr_analysis.claims.evidence import write_table
from vsr_analysis.claims.spec import cached_claims
from vsr_analysis.simulate import engine, operating
from vsr_analysis.synth import replica

SIMULATED_LABEL = "SIMULATED (vsr simulate)"
VERDICT_COLUMNS = ("supported", "not_supported", "inconclusive")


def show_table(df: pd.DataFrame, caption: str, digits: int = 1) -> None:
    """An HTML table with its caption, styled like the claim chapters' tables."""
    from IPython.display import HTML, display

    from vsr_analysis.claims.table_display import display_frame

    body = display_frame(df, digits).to_html(index=False, classes="result-table", border=0, na_rep="–")
    display(HTML(f'<p class="table-caption"><strong>{caption}</strong></p>{body}'))


def write_labelled(folder: Path, name: str, table: pd.DataFrame) -> Path:
    """Write ``table`` with the simulated label as its first column."""
    return write_table(folder, name, table.assign(data=SIMULATED_LABEL)[["data", *table.columns]])


def stored_run_problem(prov: dict) -> str | None:
    """Why the stored run with provenance ``prov`` is not what this build's code would make, or None when it is.

    The plan of the stored run (its scenarios, claims and parameters) is made again from the current scenario
    files, ``claims.yml``, run spec and simulation code; its fingerprint must equal the stored one.
    """
    claims = list(prov.get("claims") or {})
    overrides = {}
    for entry in (prov.get("claims") or {}).values():
        if "permutations" in (entry.get("parameters") or {}):
            overrides["permutations"] = entry["parameters"]["permutations"]
    try:
        plan = engine.make_plan(list(prov["scenarios"]), 1, claims or None, overrides=overrides, check_models=False)
    except (engine.SimulationError, KeyError) as exc:
        return f"its plan cannot be made again ({exc})"
    if plan.fingerprint() != prov.get("fingerprint"):
        changed = [s for s in plan.scenarios if plan.scenario_docs[s]["_sha256"] != prov["scenarios"].get(s)]
        what = f"scenario file(s) {', '.join(changed)}" if changed else "the analysis code, claims.yml or run spec"
        return f"{what} changed since it was made"
    return None


def load_run(full_run: str, scenarios: list[str], seeds: int, permutations: int) -> tuple[pd.DataFrame, str]:
    """The operating characteristics of the stored full run if it is current, else of a small run made now.

    Returns the table and a paragraph saying which run it is (command, commit, seeds; or the Monte Carlo error
    of the small run, and why a stored run was not used).
    """
    full = paths.project_root() / full_run
    stale = ""
    if (full / engine.OC_FILE).is_file() and (full / engine.PROVENANCE_FILE).is_file():
        prov = json.loads((full / engine.PROVENANCE_FILE).read_text(encoding="utf-8"))
        problem = stored_run_problem(prov)
        if problem is None:
            oc = operating.read_table(full / engine.OC_FILE)
            commit = (prov.get("git") or {}).get("commit") or "unknown"
            run = stored_runs.StoredRun(full, prov)
            lacking = stored_runs.claims_lacking(run)
            return oc, (
                f"This page shows the **stored full run** in `{full_run}/`, made by `{prov['command']}` at commit "
                f"`{commit[:12]}` with {prov['seeds']['n']:,} seeds per scenario (seeds {prov['seeds']['first']} "
                f"to {prov['seeds']['last']}). The build checked that this code, these scenario files and "
                "`claims.yml` make the same simulation plan (same fingerprint), so the stored run is what this "
                f"version computes. Its provenance (package versions, scenario checksums, the claims' parameters) "
                f"is in `{full_run}/{engine.PROVENANCE_FILE}`."
                + (f"\n\n{stored_runs.lacking_text(run, lacking, full_run)}" if lacking else "")
            )
        stale = (
            f" A stored run of {prov['seeds']['n']:,} seeds per scenario is in `{full_run}/`, but {problem}, so "
            "it is not shown: it describes other rules than this build's."
        )
    plan = engine.make_plan(scenarios, seeds, chunk_size=seeds, overrides={"permutations": permutations})
    with tempfile.TemporaryDirectory() as tmp:
        engine.simulate(plan, tmp, workers=0, progress=False)
        oc = operating.read_table(Path(tmp) / engine.OC_FILE)
    worst = float(np.sqrt(0.25 / seeds))
    existence = " and ".join(c.id for c in cached_claims().of_kind("existence_count"))
    return oc, (
        f"This page shows a **small pre-specified run** made while the book was built: seeds 1 to {seeds} of each "
        f"of the {len(scenarios)} scenarios, with {permutations:,} NCA permutations for {existence} (its chapter uses "
        "10,000; fewer permutations only coarsen the permutation p-value). With "
        f"{seeds} seeds a share has a Monte Carlo standard error of up to {100 * worst:.0f} percentage points, so "
        f"this run shows the pattern, not precise error rates.{stale} A full run "
        f"(`vsr simulate --scenario {','.join(scenarios)} --seeds 1000 --out {full_run}`) replaces it here once "
        f"its output is in `{full_run}/` (then `vsr run`)."
    )


def scenario_table(oc: pd.DataFrame) -> pd.DataFrame:
    """One row per scenario of the run: what it makes true and which claims it makes false."""
    rows = []
    for name in oc["scenario"].unique():
        sc = replica.load_scenario(name)
        stated = sc.get("claims") or {}
        rows.append(
            {
                "scenario": name,
                "what it makes true": " ".join(str(sc["title"]).split()),
                "claims it makes false": ", ".join(k for k, v in stated.items() if v.get("holds") is False) or "none",
            }
        )
    return pd.DataFrame(rows)


def verdict_shares_figure(oc: pd.DataFrame):
    """The share of simulated surveys in which each claim (rows) is supported under each scenario (columns), as a
    grid with the percentage in every cell; hatched cells are scenarios that make the claim false (there a high
    share is a false positive).  One compact panel stays readable on a phone, where 14 panels of bars would not."""
    import matplotlib.pyplot as plt
    from matplotlib.patches import Patch, Rectangle

    from vsr_analysis.stats.figure_style import WIDTH, legend_below, set_style, wrap

    set_style()
    claims = list(dict.fromkeys(oc["claim"]))
    scenarios = list(dict.fromkeys(oc["scenario"]))
    # a share claim may have a "holds" and a "fails" row in one scenario (labels by realised share): the cell shows
    # the row that most of the scenario's seeds carry
    oc = oc.sort_values("n_seeds", kind="mergesort").drop_duplicates(["claim", "scenario"], keep="last")
    grid = oc.pivot(index="claim", columns="scenario", values="supported").reindex(index=claims, columns=scenarios)
    truth = oc.pivot(index="claim", columns="scenario", values="truth").reindex(index=claims, columns=scenarios)
    fig, ax = plt.subplots(figsize=(WIDTH, 0.42 * len(claims) + 1.0))
    ax.imshow(100 * grid.to_numpy(dtype=float), cmap="Blues", vmin=0, vmax=130, aspect="auto")
    for i in range(len(claims)):
        for j in range(len(scenarios)):
            value = grid.iat[i, j]
            if value == value:
                ax.text(j, i, f"{100 * value:.0f}", ha="center", va="center")
            if truth.iat[i, j] == "fails":
                ax.add_patch(Rectangle((j - 0.5, i - 0.5), 1, 1, fill=False, hatch="///", edgecolor="#d55e00", lw=0))
    ax.set_xticks(range(len(scenarios)), [wrap(str(s).replace("-", " "), 14) for s in scenarios], rotation=90)
    ax.set_yticks(range(len(claims)), claims)
    ax.tick_params(axis="x", top=True, labeltop=True, bottom=False, labelbottom=False)
    ax.grid(False)
    ax.set_ylabel("Claim")
    ax.set_title("Scenario", fontsize=plt.rcParams["axes.labelsize"])
    ax.set_xlabel("Supported in % of simulated surveys")
    false = Patch(facecolor="white", hatch="///", edgecolor="#d55e00", label="the scenario makes the claim false")
    legend_below(ax, handles=[false])
    return fig


def verdict_table(oc: pd.DataFrame) -> pd.DataFrame:
    """The operating characteristics in percent, with readable column names, sorted by claim and truth."""
    table = oc.assign(
        supported=100 * oc["supported"],
        mc_se=100 * oc["supported_se"],
        not_supported=100 * oc["not_supported"],
        inconclusive=100 * oc["inconclusive"],
        coverage=100 * oc["coverage"],
        supported_mar=100 * _column(oc, "supported_mar"),
        coverage_mar=100 * _column(oc, "coverage_mar"),
    )[
        [
            "claim",
            "scenario",
            "truth",
            "n_seeds",
            "supported",
            "mc_se",
            "not_supported",
            "inconclusive",
            "coverage",
            "supported_mar",
            "coverage_mar",
        ]
    ]
    table = table.rename(
        columns={
            "n_seeds": "simulated surveys",
            "supported": "supported (%)",
            "mc_se": "± MC SE (pp)",
            "not_supported": "not supported (%)",
            "inconclusive": "inconclusive (%)",
            "coverage": "95 % interval covers the truth (%)",
            "supported_mar": "supported, interval under missing at random (%)",
            "coverage_mar": "interval under missing at random covers the truth (%)",
        }
    )
    return table.sort_values(["claim", "truth", "scenario"], kind="mergesort")


def false_positive_lines(oc: pd.DataFrame, nominal: float = 0.05) -> list[str]:
    """For each claim a scenario makes false: how often the rule still says *supported*, against the nominal level.

    A share is flagged when it exceeds ``nominal`` by more than two Monte Carlo standard errors; the last line
    sums up.
    """
    false = oc[oc["truth"] == "fails"].copy()
    if false.empty:
        return []
    false["flag"] = (false["supported"] - nominal) > 2 * false["supported_se"].clip(lower=1e-12)
    lines = []
    for _, r in false.iterrows():
        verdict = (
            f"**above the nominal {100 * nominal:g} %**" if r["flag"] else f"within the nominal {100 * nominal:g} %"
        )
        lines.append(
            f"- {r['claim']} under `{r['scenario']}`: *supported* in {100 * r['supported']:.1f} % "
            f"(± {100 * r['supported_se']:.1f}) of {int(r['n_seeds'])} surveys, {verdict}; without Holm's "
            f"correction {100 * r['supported_unadjusted']:.1f} %."
        )
    flagged = false[false["flag"]]
    lines.append(
        "No rule says *supported* for a false claim more often than the nominal level allows, within Monte Carlo error."
        if flagged.empty
        else f"{len(flagged)} rule(s) exceed the nominal level: "
        + ", ".join(flagged["claim"] + " under " + flagged["scenario"])
        + "."
    )
    return lines


def _column(oc: pd.DataFrame, name: str) -> pd.Series:
    """A column of the operating characteristics, NaN when the run predates it."""
    return oc[name] if name in oc else pd.Series(np.nan, index=oc.index)


def response_stage_coefficient(scenario: str) -> float:
    """The scenario's log-odds of answering per maturity stage (0: response depends on the register alone)."""
    from vsr_analysis.synth.model import response_stage_coefficient as coefficient

    return coefficient(replica.load_scenario(scenario))


def _pooled(rows: pd.DataFrame, value: str, n: str) -> tuple[float, int]:
    """A share pooled over a claim's truth rows of one scenario (weighted by their seeds)."""
    rows = rows[rows[n] > 0] if n in rows else rows.iloc[0:0]
    total = int(rows[n].sum()) if len(rows) else 0
    if not total:
        return float("nan"), 0
    return float((rows[value] * rows[n]).sum() / total), total


def not_at_random_lines(oc: pd.DataFrame) -> list[str]:
    """What response that depends on the maturity stage itself does to the share claims' intervals, in words.

    The scenarios with a response coefficient on the stage (``response.maturity_stage``) against the run's other
    scenarios, whose response depends on the register alone: per share claim with an interval, the primary's and
    coverage of the frame's realised share and how often the claim is supported, on the primary (the interval the claim
    is decided on, ``claims.yml``: ``analysis.variance``) and on the interval under missing at random (factor
    1 - pi_i per unit) reported beside it.
    Empty when the run has no such scenario.  Every figure comes from ``oc``."""
    scenarios = list(dict.fromkeys(oc["scenario"]))
    coefficient = {s: response_stage_coefficient(s) for s in scenarios}
    nmar = [s for s in scenarios if coefficient[s]]
    mar = [s for s in scenarios if not coefficient[s]]
    if not nmar:
        return []
    have = oc[oc["n_coverage"] > 0]
    if "n_coverage_mar" in oc:
        have = have[have["n_coverage_mar"] > 0]
    claims = list(dict.fromkeys(have["claim"]))
    lines, drops = [], []
    for claim in claims:
        rows = have[have["claim"] == claim]
        base = [_pooled(rows[rows["scenario"] == s], "coverage", "n_coverage") for s in mar]
        base = [c for c, n in base if n]
        for s in nmar:
            part = rows[rows["scenario"] == s]
            cov, n = _pooled(part, "coverage", "n_coverage")
            if not n:
                continue
            cov_mar, _ = _pooled(part, "coverage_mar", "n_coverage_mar")
            sup, _ = _pooled(part.assign(n=part["n_seeds"]), "supported", "n")
            sup_mar, _ = _pooled(part.assign(n=part["n_seeds"]), "supported_mar", "n")
            se = 100 * float(np.sqrt(cov * (1 - cov) / n))
            span = f"{100 * min(base):.0f}" if base and min(base) == max(base) else ""
            if base and not span:
                span = f"{100 * min(base):.0f}-{100 * max(base):.0f}"
            against = (
                f", against {span} % under the scenarios where response depends on the register alone" if base else ""
            )
            lines.append(
                f"- {claim} under `{s}` (log-odds {coefficient[s]:+g} of answering per stage): the primary 95 % "
                f"interval covers the frame's true share in {100 * cov:.0f} % (± {se:.1f}) of {n} surveys{against}; "
                f"the interval under missing at random in {100 * cov_mar:.0f} %. *Supported* in {100 * sup:.0f} % of "
                f"the surveys, on the interval under missing at random in {100 * sup_mar:.0f} %."
            )
            if base:
                drops.append((min(base) - cov, claim, s, cov))
    if drops:
        drop, claim, s, cov = max(drops)
        lines.append(
            f"The largest loss of coverage is {claim}'s under `{s}`: {100 * cov:.0f} %, "
            f"{100 * drop:.0f} percentage points below the lowest under response that depends on the register alone."
            if drop > 0
            else "In no share claim does the primary interval cover less often than under the scenarios where "
            "response depends on the register alone."
        )
    return lines
