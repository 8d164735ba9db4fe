"""book/glossary terms linked at their first use on a page (vsr_analysis.build.sphinx_glossary), on a small
doctree; the built book is checked in the browser (tests/test_browser_reader.py)."""

from __future__ import annotations

import re
from types import SimpleNamespace

from docutils import nodes
from docutils.core import publish_doctree

from vsr_analysis.build import glossary, sphinx_glossary


def _app():
    builder = SimpleNamespace(get_relative_uri=lambda doc, target: "../glossary.html")
    return SimpleNamespace(builder=builder, env=SimpleNamespace(all_docs={"book/glossary": 0}))


def _links(doctree):
    return [(r.astext(), r["refuri"]) for r in doctree.findall(nodes.reference)]


def test_first_use_of_each_term_is_linked_and_later_uses_stay_plain(monkeypatch):
    monkeypatch.setattr(glossary, "in_book", lambda doc: True)
    doctree = publish_doctree(
        "Title with Holm\n===============\n\n"
        "The raking weights and ``Holm`` in code. Holm's correction, then raking again and Holm again.\n\n"
        "A `link about Holm <https://example.org>`_ and confidence intervals (HC0).\n"
    )
    sphinx_glossary.link_first_uses(_app(), doctree, "book/executed/x")
    links = _links(doctree)
    assert ("raking", "../glossary.html#term-Raking") in links
    assert ("Holm", "../glossary.html#term-Holm") in links
    assert ("confidence intervals", "../glossary.html#term-Confidence-interval") in links
    assert ("HC0", "../glossary.html#term-HC0") in links
    assert sum(1 for _, uri in links if uri.endswith("#term-Holm")) == 1  # once a page
    text = doctree.astext()
    assert "Title with Holm" in text and "raking again and Holm again" in text  # words kept, in order
    assert doctree.next_node(nodes.title).next_node(nodes.reference) is None  # headings are not uses


def test_an_earlier_glossary_link_counts_and_the_glossary_page_is_left_alone(monkeypatch):
    monkeypatch.setattr(glossary, "in_book", lambda doc: True)
    doctree = publish_doctree("`Holm <../glossary.html#term-Holm>`_ first, then Holm.\n")
    sphinx_glossary.link_first_uses(_app(), doctree, "book/methods/x")
    assert len(_links(doctree)) == 1
    page = publish_doctree("Holm and raking.\n")
    sphinx_glossary.link_first_uses(_app(), page, "book/glossary")
    assert _links(page) == []


def test_patterns_match_terms_as_readers_write_them():
    def uses(term, text):
        return bool(re.search(sphinx_glossary.term_pattern(term), text))

    assert uses("Raking", "no raking") and uses("Percentage point", "5 percentage points")
    assert uses("HC0", "(HC0 standard errors)") and not uses("HC0", "hc0")
    assert not uses("NCA", "NCA-like") and not uses("CR2", "CR20")


def test_raw_html_is_read_between_its_tags(monkeypatch):
    monkeypatch.setattr(glossary, "in_book", lambda doc: True)
    html = (
        '<table><tr><th><code>raking</code></th><td><a href="x.html">odds ratio</a></td>'
        "<td>odds ratio 1.5; raking</td></tr></table>"
    )
    doctree = nodes.document("", None)
    doctree += nodes.raw("", html, format="html")
    doctree += nodes.paragraph("", "", nodes.Text("Raking and odds ratios again."))
    sphinx_glossary.link_first_uses(_app(), doctree, "book/executed/x")
    out = doctree.next_node(nodes.raw).astext()
    assert "<code>raking</code>" in out and '<a href="x.html">odds ratio</a>' in out  # code and links: not uses
    assert '<a class="reference internal term-link" href="../glossary.html#term-Odds-ratio">odds ratio</a> 1.5' in out
    assert 'href="../glossary.html#term-Raking">raking</a></td>' in out
    assert _links(doctree) == []  # the paragraph's later uses stay plain
