"""A Sphinx extension that links each glossary term at its first use on every page of the book.

Generated text links the terms it writes (``glossary.TermLinker``), but a term also reaches the reader through
hand-written pages and the prose of the chapters.  After Sphinx has resolved a page (``doctree-resolved``), this
extension walks its text in reading order and turns the first use of each term of ``glossary.TERMS`` into a link
to the term's entry in ``book/glossary`` — unless that first use already is such a link.  Raw HTML (a
chapter's pandas tables, the claims page) is read as the words between its tags.  Uses inside code, section
titles and other links are not "uses" (a link cannot hold a link); the glossary itself and the bibliography are
left alone.  Acronyms and names match as written, other terms also with a lower-case first
letter ("raking" for *Raking*).  A book without the glossary in its table of contents is left as it is.

The browser test tests/test_browser_reader.py checks the result on every page (:func:`term_pattern` is shared).

Enabled in ``_config.yml`` under ``sphinx: extra_extensions``.
"""

from __future__ import annotations

import re

from docutils import nodes

from vsr_analysis.build.glossary import TERMS, anchor

GLOSSARY_DOC = "book/glossary"
#: Pages whose words are not uses of a term: the glossary itself and the list of references.
SKIPPED_DOCS = frozenset({GLOSSARY_DOC, "book/references"})
#: Nodes whose text is not a use (code, titles of sections, raw HTML, the glossary's own terms) or cannot hold a
#: link (a link).
NOT_PROSE = (nodes.FixedTextElement, nodes.literal, nodes.raw, nodes.reference, nodes.term, nodes.comment)


def term_pattern(term: str) -> str:
    """A regular expression for a use of ``term`` (JavaScript-compatible: the browser test uses it too).

    Acronyms and names (a capital after the first letter: "HC0", "Bell–McCaffrey") match as written; other
    terms also with a lower-case first letter and in the plural ("confidence intervals")."""
    if any(c.isupper() for c in term[1:]):
        return rf"(?<![\w-]){re.escape(term)}(?![\w-])"
    return rf"(?<![\w-])[{term[0]}{term[0].lower()}]{re.escape(term[1:])}s?(?![\w-])"


#: HTML elements whose words are not uses (the same as NOT_PROSE and section titles, for raw HTML such as a
#: chapter's pandas tables or the claims page).
_SKIPPED_HTML = frozenset({"a", "code", "pre", "script", "style", "h1", "h2", "h3", "h4", "h5", "h6", "dt"})
_TAG = re.compile(r"(<[^>]*>)")
_TAG_NAME = re.compile(r"<\s*(/?)\s*([A-Za-z][A-Za-z0-9]*)")
_TERM_HREF = re.compile(r"""href\s*=\s*["'][^"']*#(term-[^"']+)["']""")


class _Page:
    """The terms still to be linked on one page, in reading order."""

    def __init__(self, uri: str):
        self.uri = uri
        self.pending = {term: re.compile(term_pattern(term)) for term in TERMS}
        self.by_anchor = {anchor(term): term for term in TERMS}

    def seen_link(self, target: str) -> None:
        """A glossary link met in reading order: its term's first use is linked already."""
        if "#term-" in target or target.startswith("term-"):
            self.pending.pop(self.by_anchor.get(target.rsplit("#", 1)[-1], ""), None)

    def split(self, source: str) -> list[tuple[str, str | None]]:
        """``source`` as pieces ``(words, term or None)``: the first use of each pending term marked."""
        hits = sorted(
            ((m.start(), m.end(), term) for term, rx in self.pending.items() if (m := rx.search(source))),
            key=lambda h: h[0],
        )
        pieces, at = [], 0
        for start, end, term in hits:
            if start < at:
                continue  # overlaps a term marked in this text already; it is looked for again later
            del self.pending[term]
            pieces += [(source[at:start], None), (source[start:end], term)]
            at = end
        return [p for p in [*pieces, (source[at:], None)] if p[0]]

    def link_text(self, text: nodes.Text) -> None:
        pieces = self.split(text.astext())
        if not any(term for _, term in pieces):
            return
        new = []
        for words, term in pieces:
            if term is None:
                new.append(nodes.Text(words))
            else:
                ref = nodes.reference("", "", internal=True, refuri=f"{self.uri}#{anchor(term)}", classes=["term-link"])
                ref += nodes.Text(words)
                new.append(ref)
        text.parent.replace(text, new)

    def link_html(self, raw: nodes.raw) -> None:
        out, depth, changed = [], 0, False
        for part in _TAG.split(raw.astext()):
            tag = _TAG_NAME.match(part) if part.startswith("<") else None
            if tag:
                name = tag[2].lower()
                if name == "a" and not tag[1] and (href := _TERM_HREF.search(part)):
                    self.seen_link(href[1])
                if name in _SKIPPED_HTML and not part.rstrip(">").endswith("/"):
                    depth = max(depth - 1, 0) if tag[1] else depth + 1
                out.append(part)
                continue
            if depth or part.startswith("<"):
                out.append(part)
                continue
            for words, term in self.split(part):
                if term is None:
                    out.append(words)
                else:
                    changed = True
                    out.append(f'<a class="reference internal term-link" href="{self.uri}#{anchor(term)}">{words}</a>')
        if changed:
            raw.parent.replace(raw, nodes.raw("", "".join(out), format=raw.get("format", "html")))


def _inside_prose(node) -> bool:
    parent = node.parent
    while parent is not None:
        if isinstance(parent, NOT_PROSE):
            return False
        if isinstance(parent, (nodes.title, nodes.subtitle)) and isinstance(
            parent.parent, (nodes.section, nodes.document)
        ):
            return False
        parent = parent.parent
    return True


def _in_reading_order(node) -> bool:
    return isinstance(node, (nodes.Text, nodes.reference)) or (
        isinstance(node, nodes.raw) and "html" in node.get("format", "").split()
    )


def link_first_uses(app, doctree, docname: str) -> None:
    from vsr_analysis.build.glossary import in_book

    if docname in SKIPPED_DOCS or GLOSSARY_DOC not in app.env.all_docs or not in_book(GLOSSARY_DOC):
        return
    page = _Page(app.builder.get_relative_uri(docname, GLOSSARY_DOC))
    for node in list(doctree.findall(_in_reading_order)):
        if not page.pending:
            break
        if isinstance(node, nodes.reference):
            page.seen_link(node.get("refuri", "") or node.get("refid", ""))
        elif isinstance(node, nodes.raw):
            if _inside_prose(node):
                page.link_html(node)
        elif _inside_prose(node):
            page.link_text(node)


def setup(app):
    app.connect("doctree-resolved", link_first_uses)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
