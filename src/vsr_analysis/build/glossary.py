"""Plain words for what reaches the reader: glossary links at first use, and labels for variable names.

``book/glossary.md`` defines the terms (a MyST ``{glossary}``); :data:`TERMS` lists the ones generated text
links to (a test checks that each is defined there). A :class:`TermLinker` belongs to one page: the first time
the page uses a term it gets a link to the glossary, later uses are plain words.
"""

from __future__ import annotations

import html
import re
import unicodedata
from pathlib import Path

from vsr_analysis import paths
from vsr_analysis.data.yaml_text import read_yaml

#: Terms of book/glossary.md that generated text links to (exactly as written there).
TERMS = (
    "Average marginal effect",
    "Bell–McCaffrey",
    "CE-FDH",
    "Confidence interval",
    "CR2",
    "Design effect",
    "FPC",
    "HC0",
    "Holm",
    "Inconclusive",
    "IUT",
    "Log-odds",
    "NCA",
    "Odds ratio",
    "Operating characteristics",
    "Percentage point",
    "PMM",
    "Proportional-odds model",
    "Raking",
    "SESOI",
    "TOST",
    "Wald test",
    "Wilson interval",
)

#: Variable names of the data as a reader should read them (label, and the unit an odds ratio refers to).
PLAIN_LABELS: dict[str, str] = {
    "political_anchoring": "political priority of the SDG work (1–5 scale)",
    "merged_2017_2020": "merged 2017–2020",
    "log_population": "population",
    "centrality": "SSB centrality index",
    "centrality_score": "SSB centrality index",
    "network_member": "member of an SDG network",
    "network_kinds": "kinds of SDG network (0–3)",
    "cooperates_with_county": "works with the county authority on the SDGs",
    "maturity_stage": "maturity stage (0–5)",
    "population_2021": "inhabitants (1 Jan 2021)",
    "sdg_in_master_plan": "the SDGs in the master plan's social element",
    "sdg_in_management": "the SDGs in the management system",
    "barrier_capacity": "lack of resource capacity named as a barrier",
    "barrier_policy_coherence": "lack of policy coherence named as a barrier",
    "barrier_national_guidance": "missing national support and guidance named as a barrier",
    "measures_progress": "follows its SDG work up with indicators",
}


def plain(text: str | None) -> str:
    """``text`` with every variable name of :data:`PLAIN_LABELS` replaced by its label (longest names first);
    ``None`` (a chapter that recorded no method) becomes an empty string."""
    if text is None:
        return ""
    for name in sorted(PLAIN_LABELS, key=len, reverse=True):
        text = re.sub(rf"`?\b{re.escape(name)}\b`?", PLAIN_LABELS[name], text)
    return text


def anchor(term: str) -> str:
    """The HTML id Sphinx gives a glossary term (``term-`` + the term as an identifier, case kept)."""
    ascii_ = unicodedata.normalize("NFKD", f"term-{term}").encode("ascii", "ignore").decode("ascii")
    return re.sub(r"(^[-0-9._]+)|([^A-Za-z0-9._]+)", "-", ascii_).strip("-")


def glossary_terms(path: Path | None = None) -> list[str]:
    """The terms defined in book/glossary.md (unindented lines inside the ``{glossary}`` block)."""
    path = path or paths.project_root() / "book" / "glossary.md"
    block = re.search(r"```\{glossary\}\n(.*?)\n```", path.read_text(encoding="utf-8"), flags=re.S)
    if block is None:
        return []
    return [line.strip() for line in block.group(1).splitlines() if line.strip() and not line.startswith(" ")]


def in_book(doc: str, toc: Path | None = None) -> bool:
    """Is the page ``doc`` (e.g. ``book/glossary``) in the book's table of contents (``_toc.yml``)?"""

    toc = toc or paths.project_root() / "_toc.yml"
    if not toc.is_file():
        return False

    def files(node) -> list[str]:
        if isinstance(node, dict):
            own = [str(node["file"])] if "file" in node else []
            return own + [f for v in node.values() for f in files(v)]
        if isinstance(node, list):
            return [f for v in node for f in files(v)]
        return []

    data = read_yaml(toc) or {}
    return doc in {*files(data), str(data.get("root", ""))}


class TermLinker:
    """Links each glossary term at its first use on one page; ``href_prefix`` is the page's way to the book root."""

    def __init__(self, href_prefix: str = "../"):
        self.href_prefix = href_prefix
        self.used: set[str] = set()
        # a book built from a trimmed _toc.yml may leave the glossary out: then the words stay plain
        self.enabled = in_book("book/glossary")

    def _first(self, term: str) -> bool:
        if term not in TERMS:
            raise KeyError(f"{term!r} is not in vsr_analysis.build.glossary.TERMS")
        first = term not in self.used
        self.used.add(term)
        return first

    def md(self, term: str, text: str | None = None) -> str:
        """MyST: ``{term}`text <Term>``` the first time on this page, the bare words after."""
        text = text or term
        return f"{{term}}`{text} <{term}>`" if self._first(term) and self.enabled else text

    def html(self, term: str, text: str | None = None) -> str:
        """Raw HTML: a link to the term's glossary entry the first time on this page, the bare words after."""
        text = html.escape(text or term)
        if not self._first(term) or not self.enabled:
            return text
        return f'<a class="term-link" href="{self.href_prefix}glossary.html#{anchor(term)}">{text}</a>'
