"""A small Sphinx extension that fills the Reproduce page from the files it describes, at build time.

``book/reproduce.md`` holds two markers: ``<!-- vsr:bibtex -->`` becomes a BibTeX block made from
``CITATION.cff`` (the compendium and the references it lists), and ``<!-- vsr:timings -->`` becomes the
measured times of the README's *Performance* section (the rows of its tables that time a build or a fresh
clone), so that neither a citation nor a time is typed twice. Enabled in ``_config.yml`` under
``sphinx: extra_extensions``.
"""

from __future__ import annotations

import re
from pathlib import Path

from vsr_analysis.data.yaml_text import read_yaml

BIBTEX_MARK = "<!-- vsr:bibtex -->"
TIMINGS_MARK = "<!-- vsr:timings -->"
SIMULATE_MARK = "<!-- vsr:simulate-command -->"
#: README table rows (first cell) that time what a reader of the Reproduce page will run.
TIMING_ROWS = ("cold build", "no-op rebuild", "one-parameter change", "fresh clone", "`make check`", "`make test`")


def _authors(people: list[dict]) -> str:
    names = []
    for p in people or []:
        if p.get("name"):
            names.append("{" + p["name"] + "}")  # an entity: braces keep BibTeX from splitting it
        else:
            names.append(f"{p.get('family-names', '')}, {p.get('given-names', '')}".strip(", "))
    return " and ".join(names)


def _key(text: str, year) -> str:
    word = re.sub(r"[^a-z0-9]", "", text.lower().split(":")[0].split()[0]) or "ref"
    return f"{word}{year}"


def bibtex_from_cff(cff_path: Path) -> str:
    """BibTeX entries for the compendium (``@software``) and each ``references`` entry of ``CITATION.cff``."""
    cff = read_yaml(cff_path)
    year = str(cff.get("date-released", ""))[:4]
    fields = {
        "author": _authors(cff.get("authors")),
        "title": "{" + cff["title"] + "}",
        "year": year,
        "version": cff.get("version"),
        "url": cff.get("url") or cff.get("repository-code"),
        "license": cff.get("license"),
    }
    entries = [_entry("software", _key(cff["title"], year), fields)]
    kinds = {"report": "techreport", "data": "misc", "article": "article", "book": "book"}
    for ref in cff.get("references") or []:
        rfields = {
            "author": _authors(ref.get("authors")),
            "editor": _authors(ref.get("editors")) or None,
            "title": "{" + ref["title"] + "}",
            "year": ref.get("year"),
            "isbn": ref.get("isbn"),
            "institution": _authors(ref.get("authors")) if ref.get("type") == "report" else None,
            "howpublished": ref.get("license-url"),
        }
        entries.append(_entry(kinds.get(ref.get("type"), "misc"), _key(ref["title"], ref.get("year", "")), rfields))
    return "\n\n".join(entries)


def _entry(kind: str, key: str, fields: dict) -> str:
    body = ",\n".join(f"  {k} = {{{v}}}" for k, v in fields.items() if v not in (None, ""))
    return f"@{kind}{{{key},\n{body}\n}}"


def timings_from_readme(readme: Path) -> str:
    """The README's measured build and clone times, as a Markdown list with the date they were measured."""
    text = readme.read_text(encoding="utf-8")
    perf = text.split("## Performance", 1)[-1]
    lines = []
    pos = 0
    for block in re.split(r"\n(?=\|\s*measure\s*\|)", perf):
        start = perf.find(block, pos)
        pos = start + len(block)
        dates = re.findall(r"\d{4}-\d{2}-\d{2}", perf[max(0, start - 700) : start])
        date = dates[-1] if dates else None
        for row in re.findall(r"^\|(.+)\|\s*$", block, flags=re.M):
            cells = [c.strip() for c in row.split("|")]
            if len(cells) < 2 or not cells[0].startswith(TIMING_ROWS):
                continue
            lines.append(f"- {cells[0]}: **{cells[1]}**" + (f" (measured {date})" if date else ""))
    return "\n".join(lines) if lines else "(the README's Performance section has no measured times)"


def simulate_command(run_dir: Path) -> str:
    """The command that made the stored simulation run (from its provenance.json), as a shell block."""
    import json

    prov = run_dir / "provenance.json"
    if not prov.is_file():
        return "(no stored simulation run in `data/operating-characteristics/`)"
    cmd = json.loads(prov.read_text(encoding="utf-8")).get("command", "vsr simulate")
    return "```bash\n.venv/bin/" + cmd.replace(" --quiet", "") + "\n```"


def _fill(app, docname: str, source: list[str]) -> None:
    if not any(m in source[0] for m in (BIBTEX_MARK, TIMINGS_MARK, SIMULATE_MARK)):
        return
    root = Path(app.confdir)
    cff, readme = root / "CITATION.cff", root / "README.md"
    bib = (
        "```bibtex\n" + bibtex_from_cff(cff) + "\n```"
        if cff.is_file()
        else "(`CITATION.cff` is not in this copy of the project.)"
    )
    times = timings_from_readme(readme) if readme.is_file() else "(`README.md` is not in this copy of the project.)"
    source[0] = source[0].replace(SIMULATE_MARK, simulate_command(root / "data" / "operating-characteristics"))
    source[0] = source[0].replace(BIBTEX_MARK, bib)
    source[0] = source[0].replace(TIMINGS_MARK, times)


def setup(app):
    app.connect("source-read", _fill)
    return {"version": "1.0", "parallel_read_safe": True, "parallel_write_safe": True}
