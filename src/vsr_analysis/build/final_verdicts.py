"""Each chapter states its claim's final verdict, the one in the ledger, beside the decision it computed.

A chapter can only decide at the unadjusted level: Holm's adjustment needs every claim's p-value, which exists
only when all chapters have run. After the ledger is built, the runner calls :func:`stamp_final_verdicts`,
which puts a "Final verdict" box right after each chapter's decision box (replacing the box of an earlier
run, so reused notebooks never show a stale verdict). The box is built from the ledger entry alone.
"""

from __future__ import annotations

import re
from pathlib import Path

import nbformat

TAG = "final-verdict"
_KIND = {"supported": "tip", "not supported": "danger", "inconclusive": "note"}


def readable_reason(entry: dict) -> str:
    from vsr_analysis.build.verdict_card import readable_reason as _readable

    return _readable(entry)


def final_verdict_markdown(entry: dict, *, secondary_of: str | None = None) -> str:
    """The admonition for one ledger entry (or a secondary analysis of one)."""
    verdict = entry["verdict"]
    if secondary_of:
        title = f"Final verdict of this secondary analysis of {secondary_of}: {verdict}"
        body = (
            f"In the ledger this analysis is reported beside {secondary_of}'s primary test and does not "
            "change its verdict; see {ref}`claims-at-a-glance`."
        )
    else:
        title = f"Final verdict for {entry['id']} (ledger): {verdict}"
        body = (
            f"{readable_reason(entry).rstrip('.')}. The decision above is this chapter's own, before the "
            "adjustment for testing several claims; the verdict card at the top of this page gives the final "
            "verdict with its estimate, what the rule needed and the one p-value the verdict uses, as on the "
            "claims page {ref}`claims-at-a-glance`."
        )
    return f":::{{admonition}} {title}\n:class: {_KIND.get(verdict, 'note')} verdict-box {TAG}\n{body}\n:::"


def _stamp(path: Path, text: str, claim_id: str) -> bool:
    nb = nbformat.read(path, as_version=4)
    # a component claim has no box of its own: its final verdict goes after its parent's box
    markers = [f"Decision for {claim_id}:"]
    parent = re.fullmatch(r"(F\d+)[a-z]", claim_id)
    if parent:
        markers.append(f"Decision for {parent.group(1)}:")
    position = None
    for marker in markers:
        for i, cell in enumerate(nb.cells):
            outputs = cell.get("outputs", []) if cell.cell_type == "code" else []
            if any(marker in str(out.get("data", {})) for out in outputs):
                position = i + 1
        if position is not None:
            break
    if position is not None:  # after the boxes already stamped there (components in ledger order)
        while position < len(nb.cells) and TAG in nb.cells[position].get("metadata", {}).get("tags", []):
            position += 1
    if position is None:
        return False
    cell = nbformat.v4.new_markdown_cell(text)
    cell.metadata["tags"] = [TAG]
    cell.id = f"{TAG}-{claim_id}".lower()
    nb.cells.insert(position, cell)
    nbformat.write(nb, path)
    return True


def drop_stamped_cells(executed_dir: Path, ledger: list[dict], tag: str) -> None:
    """Remove the cells tagged ``tag`` (stamped by an earlier run) from every chapter the ledger's claims and their
    secondary analyses are decided in, before this run stamps its own."""
    for param_set in {e["parameter_set"] for e in ledger} | {
        s["parameter_set"] for e in ledger for s in e.get("secondary", []) if s.get("parameter_set")
    }:
        path = executed_dir / f"{param_set}.ipynb"
        if path.is_file():
            nb = nbformat.read(path, as_version=4)
            kept = [c for c in nb.cells if tag not in c.get("metadata", {}).get("tags", [])]
            if len(kept) != len(nb.cells):
                nb.cells = kept
                nbformat.write(nb, path)


def stamp_final_verdicts(executed_dir: Path, ledger: list[dict]) -> list[str]:
    """Stamp every chapter of the ledger; returns the parameter sets whose decision box was not found."""
    missing = []
    drop_stamped_cells(executed_dir, ledger, TAG)  # boxes of an earlier run: a reused notebook never shows a stale one
    for entry in ledger:
        targets = [(entry["parameter_set"], final_verdict_markdown(entry), entry["id"])]
        targets += [
            (s["parameter_set"], final_verdict_markdown(s, secondary_of=entry["id"]), s.get("id", entry["id"]))
            for s in entry.get("secondary", [])
            if s.get("parameter_set")
        ]
        for param_set, text, claim_id in targets:
            path = executed_dir / f"{param_set}.ipynb"
            if not path.is_file() or not _stamp(path, text, claim_id):
                missing.append(param_set)
    return missing
