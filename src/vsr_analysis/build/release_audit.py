"""The reconstruction audit at the end of every confidential ``vsr run``, before anything is published.

Every chapter that releases count tables through the disclosure engine (``Context.table(..., cells=...)``)
records its cells — what each number counts, over which units, and how it was shown — in
``<stage>/private/<parameter set>.json``, outside the published folders. Here the cells of *all* chapters are
put together (the same count in two chapters, a margin in one and its cells in another are linked only here),
and ``stats.sdc.audit`` checks, with one integer program per open question, that no respondent's answer to any
item is determined by the released numbers and the register, and that no suppressed count can be recomputed.

A failed audit stops the run: nothing is published. A passed one writes ``results/disclosure-audit.json`` and
``results/disclosure-audit.md`` beside the book: what was checked, how many constraints and unknowns, how many
integer programs, and which cells were suppressed for which reason (table and cell labels only: never a unit).
The records of chapters reused from the previous run are kept in ``.vsr-release/`` (git-ignored, never published)
so that a run with ``--only`` audits the whole book too.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path

from vsr_analysis import paths

RECORDS = ".vsr-release"
REPORT = "disclosure-audit"


class AuditFailed(RuntimeError):
    """The released numbers determine a respondent's answer or a suppressed count."""


def _levels(records: list[dict]) -> dict:
    from vsr_analysis.data.codebook import load_codebook

    codebook = load_codebook()
    items = sorted({r["item"] for r in records})
    return {i: sorted(codebook.item(i).valid_codes) for i in items}


def load_records(stage: Path, reused: list[str]) -> tuple[list[dict], list[str], list[str]]:
    """The cells of this run's chapters and of the reused ones, each table named ``<parameter set>/<table>`` (two
    chapters may both have a table called ``by_size``); the parameter sets found and those missing."""
    records, found, missing = [], [], []
    private = stage / "private"
    sources = [(p.stem, p) for p in sorted(private.glob("*.json")) if p.name != FORCED] if private.is_dir() else []
    kept = paths.project_root() / RECORDS
    sources += [(name, kept / f"{name}.json") for name in reused]
    for name, path in sources:
        if not path.is_file():
            missing.append(name)
            continue
        records += [{**r, "table": f"{name}/{r['table']}"} for r in json.loads(path.read_text(encoding="utf-8"))]
        found.append(name)
    return records, found, missing


#: The last audit run in this process and the records it audited (their canonical JSON's hash): the runner's
#: protection across chapters audits the whole run, and when that passes, the final audit would repeat the same
#: integer programs on the same cells (minutes on a confidential build).
_LAST_AUDIT: dict = {}


def _audit(records: list[dict]):
    """``sdc.audit`` of ``records`` (the release they describe), reused when the same records were just audited."""
    import hashlib

    from vsr_analysis.stats import sdc

    key = hashlib.sha256(json.dumps(records, sort_keys=True, default=str).encode("utf-8")).hexdigest()
    if _LAST_AUDIT.get("key") == key:
        return _LAST_AUDIT["release"], _LAST_AUDIT["result"]
    release = sdc.Release.from_records(records, _levels(records))
    result = sdc.audit(release)
    _LAST_AUDIT.clear()
    _LAST_AUDIT.update(key=key, release=release, result=result)
    return release, result


FORCED = "forced.json"


def forced_hidden(results_dir: Path, param_set: str) -> dict[tuple[str, str], str]:
    """The (table, cell) pairs of ``param_set`` that protection across chapters hides, each with its reason
    (``protect_across_chapters``), read by ``Context.table`` on a confidential run; empty outside a run's stage."""
    path = results_dir.parent.parent / "private" / FORCED
    if not path.is_file():
        return {}
    forced = json.loads(path.read_text(encoding="utf-8"))
    return {(t, c): reason for t, c, reason in forced.get(param_set, [])}


ACROSS = "secondary, across chapters: would let another chapter's number be recomputed"


def protect_across_chapters(stage: Path, reused: list[str] | None = None) -> dict[str, list[tuple[str, str]]]:
    """Secondary suppression over the linked set of the whole run.

    Each chapter protects its tables together with its own earlier tables; a count in one chapter can still be
    worked out from another's (one chapter's count at stage >= 4 in a size band minus another's band x stage 4 cell). Here every
    cell the run's chapters released is a candidate at once: while the released numbers of all chapters determine
    an answer or pin a suppressed count, one more cell is hidden (``Release.secondary``). Returns the newly hidden
    cells per parameter set; those chapters are then run again. ``<stage>/private/forced.json`` gets, for each of
    them, *every* cell the whole-run solution hides in it (with its reason), not only the new ones: a chapter run
    again with only the new ones hidden would protect its tables on its own once more and could choose other
    cells (a margin instead of a share), undoing what the solution relied on and costing another round.
    An empty result means the run passes as it is."""
    from vsr_analysis.stats import sdc

    records, _, _ = load_records(stage, reused or [])
    if not records:
        return {}
    _, first = _audit(records)
    if first.passed:
        return {}  # the usual case: the chapters' own protection was enough
    release = sdc.Release.from_records(records, _levels(records))  # a fresh copy: secondary suppression edits it
    failing = (
        {i for _, i, _ in first.determined}
        | {c.item for c in release.cells if (c.table, c.label) in {(t, lab) for t, lab, _ in first.recomputable}}
        | {c.item for c in release.cells if (c.table, c.label) in set(first.pinned_classes)}
    )
    for cell in release.cells:
        if cell.released and cell.item in failing:
            cell.frozen = False  # a candidate for hiding, whatever chapter released it
            if isinstance(cell, sdc.CountCell):
                cell.value = int(float(cell.shown))
    before = [c.released for c in release.cells]
    release.secondary()
    forced: dict[str, list[tuple[str, str]]] = {}
    for cell, was in zip(release.cells, before):
        if was and not cell.released:
            name, table = cell.table.split("/", 1)
            forced.setdefault(name, []).append((table, cell.label))
    if forced:
        path = stage / "private" / FORCED
        known = json.loads(path.read_text(encoding="utf-8")) if path.is_file() else {}
        for name in forced:
            hidden = {(t, c): reason for t, c, reason in known.get(name, [])}
            for cell in release.cells:
                chapter, table = cell.table.split("/", 1)
                if chapter == name and not cell.released:
                    reason = ACROSS if (table, cell.label) in forced[name] else cell.reason
                    hidden.setdefault((table, cell.label), reason)
            known[name] = sorted([t, c, reason] for (t, c), reason in hidden.items())
        paths.atomic_write(path, json.dumps(known, indent=1, sort_keys=True) + "\n")
    return forced


def audit_stage(stage: Path, reused: list[str] | None = None) -> dict:
    """Audit every released cell of the staged run; write the report into ``stage/results``; raise AuditFailed."""
    from vsr_analysis.stats import sdc

    records, found, missing = load_records(stage, reused or [])
    report = {"chapters audited": found, "chapters without records": missing, "cells": len(records)}
    if records:
        release, result = _audit(records)
        report.update(
            items=result.items,
            unknowns=result.unknowns,
            constraints=result.constraints,
            integer_programs=result.integer_programs,
            seconds=round(result.seconds, 2),
            determined_answers=len(result.determined),
            recomputable_counts=len(result.recomputable),
            weighted_shares_pinning_a_class=len(result.pinned_classes),
            by_item=result.by_item,
            suppressed=[
                {"table": r["table"], "cell": r["cell"], "reason": r["reason"]}
                for r in records
                if r["shown"] in (sdc.HIDDEN, sdc.SMALL, sdc.OPAQUE)
            ],
        )
        if not result.passed:
            tables = sorted({c.table for c in release.cells if c.item in {i for _, i, _ in result.determined}})
            tables += sorted({t for t, _, _ in result.recomputable})
            tables += sorted({t for t, _ in result.pinned_classes})
            raise AuditFailed(
                f"the reconstruction audit found {len(result.determined)} answer(s) determined, "
                f"{len(result.recomputable)} suppressed count(s) recomputable and {len(result.pinned_classes)} "
                "weighted share(s) pinning a weighting class's count in the released numbers (tables: "
                f"{', '.join(dict.fromkeys(tables))}; items with a determined answer: "
                f"{', '.join(sorted({i for _, i, _ in result.determined})) or 'none'}; recomputable cells: "
                f"{'; '.join(f'{t} / {c}' for t, c, _ in result.recomputable) or 'none'}); nothing was published"
            )
    results = stage / "results"
    (results / f"{REPORT}.json").write_text(json.dumps(report, indent=1, sort_keys=True) + "\n", encoding="utf-8")
    (results / f"{REPORT}.md").write_text(_markdown(report), encoding="utf-8")
    return report


def _markdown(report: dict) -> str:
    lines = [
        "# Disclosure audit of this confidential run",
        "",
        f"Cells released through the disclosure engine: {report['cells']} "
        f"(chapters: {', '.join(report['chapters audited']) or 'none'}).",
    ]
    if report.get("chapters without records"):
        lines.append(
            f"Reused chapters without a record (not audited): {', '.join(report['chapters without records'])}."
        )
    if report["cells"]:
        lines += [
            f"Unknowns (respondent x item x answer): {report['unknowns']}; constraints: {report['constraints']}; "
            f"integer programs solved: {report['integer_programs']} in {report['seconds']} s.",
            f"Answers determined: {report['determined_answers']}; suppressed counts recomputable: "
            f"{report['recomputable_counts']}; weighted shares that pin how many of a weighting class answered: "
            f"{report.get('weighted_shares_pinning_a_class', 0)}.",
            "",
            "| table | cell | reason suppressed |",
            "|---|---|---|",
            *(f"| {s['table']} | {s['cell']} | {s['reason']} |" for s in report["suppressed"]),
        ]
    return "\n".join(lines) + "\n"


def keep_records(stage: Path) -> None:
    """After a publish: keep this run's records for later runs that reuse its chapters (``--only``)."""
    kept = paths.project_root() / RECORDS
    private = stage / "private"
    if not private.is_dir():
        return
    kept.mkdir(exist_ok=True)
    for path in private.glob("*.json"):
        if path.name != FORCED:
            shutil.copy2(path, kept / path.name)
