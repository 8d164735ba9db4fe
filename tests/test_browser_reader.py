# ruff: noqa: F811  (the fixtures server and browser come from test_browser)
"""Issue 27 in a real Chromium at 390 px (a phone) and 1280 px: verdicts first, tables that fit or scroll visibly.

Uses the built book, server and browser of test_browser.py. Screenshots of the claims page and the F3 chapter
at both widths are saved in test-artifacts/reader/; every figure's measured text sizes in
test-artifacts/figure-text.csv and each figure as a phone shows it in test-artifacts/phone-figures/.
"""

from __future__ import annotations

import json
import re
from urllib.parse import urljoin

import pytest

from test_browser import ARTIFACTS, browser, server, toc_pages  # noqa: F401  (fixtures)
from vsr_analysis.build.claims_glance import is_component
from vsr_analysis.build.glossary import TERMS, anchor
from vsr_analysis.build.sphinx_glossary import SKIPPED_DOCS, term_pattern
from vsr_analysis.stats.figure_style import MIN_TEXT_PX

pytestmark = [pytest.mark.browser, pytest.mark.slow]

WIDTHS = {"phone": {"width": 390, "height": 844}, "desktop": {"width": 1280, "height": 900}}

#: Every table of the article: its width, its scroll box's width, whether the box says it is wide, the cue before
#: it and whether its first cell stays in place (position: sticky).
TABLES_JS = """() => [...document.querySelectorAll('.bd-article table')].filter(t => t.offsetParent !== null)
  .map(t => {
    const box = t.closest('.table-scroll');
    const first = t.querySelector('tbody tr td, tbody tr th, tr td, tr th');
    const cue = box && box.previousElementSibling;
    return {cls: t.className, width: t.scrollWidth, box: box ? box.clientWidth : null,
            wide: box ? box.classList.contains('is-wide') : false,
            cue: !!(cue && cue.classList.contains('scroll-cue') && cue.offsetParent !== null),
            sticky: first ? getComputedStyle(first).position : null,
            cards: getComputedStyle(t).display === 'block' && t.classList.contains('glance-table')};
  })"""


def _pages(built_book, names):
    return [rel for rel in toc_pages(built_book) if any(rel.endswith(f"/{n}.html") for n in names)]


def _finding_chapters(built_book) -> dict[str, list[str]]:
    """parameter set → the claim ids decided in it, in ledger order, of every chapter with a verdict (secondary
    analyses included; the county chapter decides two claims, each with its own card)."""
    ledger = json.loads((built_book / "results/claims.json").read_text())
    out: dict[str, list[str]] = {}
    for e in ledger:
        if is_component(e["id"]):
            continue
        out.setdefault(e["parameter_set"], []).append(e["id"])
        for s in e.get("secondary", []):
            out.setdefault(s["parameter_set"], [e["id"]])
    return out


def _every_page(browser, server, built_book, viewports: dict, problems: list):
    """(label, viewport, page path, page) for every page of the book at each viewport, the page loaded; a page
    wider than the screen is noted in ``problems`` on the way (both page-wide tests check it)."""
    for label, viewport in viewports.items():
        context = browser.new_context(viewport=viewport)
        page = context.new_page()
        try:
            for rel in toc_pages(built_book):
                page.goto(urljoin(server, rel), wait_until="load")
                overflow = page.evaluate("document.documentElement.scrollWidth - document.documentElement.clientWidth")
                if overflow > 0:
                    problems.append(f"{label} {rel}: page {overflow} px wider than the screen")
                yield label, viewport, rel, page
        finally:
            context.close()


def test_every_page_fits_and_every_wide_table_scrolls_with_a_cue_and_a_sticky_first_column(built_book, server, browser):
    problems = []
    for label, _, rel, page in _every_page(browser, server, built_book, WIDTHS, problems):
        for t in page.evaluate(TABLES_JS):
            if t["cards"]:
                continue  # the claims table as one card per finding
            if t["box"] is None:
                problems.append(f"{label} {rel}: table {t['cls']!r} outside a scroll box")
            elif t["width"] > t["box"] + 1 and not (t["wide"] and t["cue"] and t["sticky"] == "sticky"):
                problems.append(f"{label} {rel}: table {t['cls']!r} overflows without cue and sticky column")
    assert not problems, "\n".join(problems)


def test_verdict_card_is_on_the_first_screen_of_every_finding_chapter(built_book, server, browser):
    chapters = _finding_chapters(built_book)
    assert len(chapters) >= 10
    problems = []
    for label, viewport in WIDTHS.items():
        context = browser.new_context(viewport=viewport)
        page = context.new_page()
        try:
            for pset, ids in chapters.items():
                page.goto(urljoin(server, f"book/executed/{pset}.html"), wait_until="load")
                cards = page.query_selector_all(".verdict-card")
                if len(cards) != len(ids):  # one card per claim the chapter decides
                    problems.append(f"{label} {pset}: {len(cards)} verdict cards for {len(ids)} claim(s)")
                    continue
                top = page.evaluate("e => e.getBoundingClientRect().top + window.scrollY", cards[0])
                if top >= viewport["height"]:
                    problems.append(f"{label} {pset}: verdict card starts at {top:.0f} px")
                for cid, card in zip(ids, cards):
                    text = card.inner_text()
                    if cid not in text or "verdict:" not in text or "Estimate" not in text:
                        problems.append(f"{label} {pset}: {cid}'s card lacks the claim, verdict or estimate")
                    elif "[" in text.split("Estimate", 1)[1].split("\n", 1)[0] and "95 %" not in text:
                        problems.append(f"{label} {pset}: an interval without its level")
        finally:
            context.close()
    assert not problems, "\n".join(problems)


def test_no_python_repr_in_any_rendered_page(built_book, server, browser):
    bad = re.compile(r"PosixPath\(|WindowsPath\(|<NA>|(?<![\w.-])-?inf(?![\w-])|\bnan\b|\bNaT\b|dtype[:=]")
    problems = []
    context = browser.new_context(viewport=WIDTHS["desktop"])
    page = context.new_page()
    try:
        for rel in toc_pages(built_book):
            page.goto(urljoin(server, rel), wait_until="load")
            # what a reader sees: the article without its (hidden) code cells
            text = page.evaluate(
                """() => { const a = document.querySelector('.bd-article').cloneNode(true);
                a.querySelectorAll('.cell_input, details, script, style').forEach(e => e.remove());
                return a.innerText; }"""
            )
            for m in bad.finditer(text):
                problems.append(f"{rel}: …{text[max(0, m.start() - 40) : m.end() + 20]!r}")
    finally:
        context.close()
    assert not problems, "\n".join(problems[:30])


def test_claims_page_lists_ten_findings_with_chances_units_and_links(built_book, server, browser):
    ledger = json.loads((built_book / "results/claims.json").read_text())
    findings = [e["id"] for e in ledger if not is_component(e["id"])]
    # the report's ten findings; F8's and F10's county halves are claims of their own (F8-county, F10-county)
    assert len({re.match(r"F\d+", f).group(0) for f in findings}) == 10
    folder = ARTIFACTS / "reader"
    folder.mkdir(parents=True, exist_ok=True)
    for label, viewport in WIDTHS.items():
        context = browser.new_context(viewport=viewport)
        page = context.new_page()
        try:
            page.goto(urljoin(server, "book/generated/claims.html"), wait_until="load")
            rows = page.eval_on_selector_all(
                "table.glance-table tr.finding",
                """rows => rows.map(r => ({id: r.querySelector('a.claim-link').textContent,
                    visible: r.getBoundingClientRect().width > 0,
                    cells: [...r.querySelectorAll('td')].map(td => td.innerText)}))""",
            )
            assert [r["id"] for r in rows] == findings
            assert all(r["visible"] for r in rows)
            for r in rows:
                estimate, p, when_true, when_false = r["cells"][2], r["cells"][3], r["cells"][4], r["cells"][5]
                assert re.search(r"odds ratio|%|percentage points|municipalities", estimate), (r["id"], estimate)
                assert not re.search(r"\de-?\d", p), (r["id"], p)  # no 8.8e-130
                assert re.search(r"\d %|–", when_true) and "simulated surveys" in when_true + when_false
            page.screenshot(path=str(folder / f"claims-{label}.png"), full_page=True)
            # each claim's own row of the operating-characteristics page
            hrefs = page.eval_on_selector_all("a.oc-link", "els => els.map(e => e.href)")
            assert len(hrefs) == len(ledger)
            page.goto(hrefs[0], wait_until="load")
            anchor = hrefs[0].split("#", 1)[1]
            assert page.query_selector(f"tr#{anchor}") is not None
            # glossary links land on a defined term
            page.goto(urljoin(server, "book/generated/claims.html"), wait_until="load")
            terms = page.eval_on_selector_all(".bd-article a[href*='glossary.html#']", "els => els.map(e => e.href)")
            assert terms
            for href in set(terms):
                page.goto(href, wait_until="load")
                assert page.query_selector(f"[id='{href.split('#', 1)[1]}']") is not None, href
            page.goto(urljoin(server, "book/executed/who-came-furthest.html"), wait_until="load")
            page.screenshot(path=str(folder / f"f3-chapter-{label}.png"), full_page=False)
        finally:
            context.close()
    for name in ("claims-phone", "claims-desktop", "f3-chapter-phone", "f3-chapter-desktop"):
        assert (folder / f"{name}.png").stat().st_size > 10_000


#: Every figure of the article, measured as the reader sees it: the SVG file is read again (same origin) and drawn
#: inline at exactly the size the page shows its image, and each visible <text> element's size on screen is its
#: font size (user units) times the scale of its transformation to the screen (getScreenCTM: the SVG's scaling to
#: the displayed width and any rotation or scaling of its own).  Also: the figure's box and whether a figure wider
#: than its box has a visible cue.
FIGURES_JS = """async () => {
  const out = [];
  for (const img of [...document.querySelectorAll('.bd-article figure img')]) {
    const rect = img.getBoundingClientRect();
    const box = img.closest('.figure-scroll');
    const cue = box && box.previousElementSibling;
    const fig = {src: img.getAttribute('src'), width: rect.width, natural: img.naturalWidth,
                 box: box ? box.clientWidth : null, scrolls: box ? box.scrollWidth > box.clientWidth + 1 : false,
                 cue: !!(cue && cue.classList.contains('scroll-cue') && cue.offsetParent !== null),
                 texts: 0, smallest: null, smallest_text: null};
    out.push(fig);
    if (!/\\.svg$/.test(new URL(img.src).pathname)) continue;
    const doc = new DOMParser().parseFromString(await (await fetch(img.src)).text(), 'image/svg+xml');
    const svg = document.importNode(doc.documentElement, true);
    svg.setAttribute('width', rect.width + 'px');
    svg.setAttribute('height', rect.height + 'px');
    svg.style.position = 'absolute'; svg.style.left = '0'; svg.style.top = '0';
    document.body.appendChild(svg);
    for (const t of svg.querySelectorAll('text')) {
      const style = getComputedStyle(t);
      const shown = t.getBoundingClientRect();
      if (!t.textContent.trim() || style.display === 'none' || style.visibility === 'hidden'
          || shown.width === 0 || shown.height === 0) continue;
      const m = t.getScreenCTM();
      const px = parseFloat(style.fontSize) * Math.hypot(m.a, m.b);
      fig.texts += 1;
      if (fig.smallest === null || px < fig.smallest) { fig.smallest = px; fig.smallest_text = t.textContent; }
    }
    svg.remove();
  }
  return out;
}"""


#: A narrower phone (360 px, common among Android phones), where a figure at its readable width is wider than
#: the column: it must scroll in its own box with a cue, its text still at least MIN_TEXT_PX.
NARROW = {"phone-360": {"width": 360, "height": 780}}


def test_figure_text_is_at_least_11_css_px_at_390_and_1280_px(built_book, server, browser):
    """Every figure on every page is an SVG whose every visible text is at least MIN_TEXT_PX CSS px on screen at
    390 and 1280 px, and on a 360 px phone (measured in Chromium, see FIGURES_JS); a figure wider than the
    phone's column scrolls in its own box with a visible cue and the page itself never overflows."""
    import pandas as pd

    rows, problems = [], []
    shots = ARTIFACTS / "phone-figures"
    shots.mkdir(parents=True, exist_ok=True)
    for label, _, rel, page in _every_page(browser, server, built_book, {**WIDTHS, **NARROW}, problems):
        figures = page.evaluate(FIGURES_JS)
        for fig in figures:
            rows.append({"page": rel, "viewport": label, **fig})
            name = f"{label} {rel}: {fig['src'].rsplit('/', 1)[-1]}"
            if not fig["src"].endswith(".svg"):
                problems.append(f"{name} is not an SVG: its text cannot be measured")
            elif not fig["texts"]:
                problems.append(f"{name} shows no text")
            elif fig["smallest"] < MIN_TEXT_PX - 1e-6:
                problems.append(
                    f"{name} shows {fig['smallest_text']!r} at {fig['smallest']:.2f} px, below {MIN_TEXT_PX}"
                )
            if fig["scrolls"] and not fig["cue"]:
                problems.append(f"{name} is wider than its box without a scroll cue")
        if label == "phone":  # each figure as a phone shows it, with its caption, to look at
            for i, figure in enumerate(page.locator(".bd-article figure").all()):
                figure.screenshot(path=str(shots / f"{rel.replace('/', '_')}-{i + 1}.png"))
    ARTIFACTS.mkdir(exist_ok=True)
    pd.DataFrame(rows).to_csv(ARTIFACTS / "figure-text.csv", index=False)
    assert {r["viewport"] for r in rows} == set(WIDTHS) | set(NARROW), "no figure found on any page"
    assert len({r["page"] for r in rows}) >= 5, "figures found on fewer than five pages"
    # on the narrower phone the figures keep their readable width and scroll (the cue is checked above)
    assert any(r["scrolls"] for r in rows if r["viewport"] in NARROW), "no figure scrolls on a 360 px phone"
    assert not problems, "figure text too small or hidden:\n" + "\n".join(problems)


#: The first use of each glossary term on the open page, in reading order: text outside code, section headings
#: and links other than glossary links (the same "use" as vsr_analysis.build.sphinx_glossary; a link to a term's
#: entry is a use of it whatever its words, "CI" say), and whether that use is a link to the term's glossary entry.
FIRST_USES_JS = """(terms) => {
  const skip = '.cell_input, script, style, pre, code, h1, h2, h3, h4, h5, h6, dt, .headerlink';
  const walker = document.createTreeWalker(document.querySelector('.bd-article'), NodeFilter.SHOW_TEXT);
  const found = {};
  let n;
  while ((n = walker.nextNode())) {
    const el = n.parentElement;
    if (!el || el.closest(skip)) continue;
    const a = el.closest('a');
    const href = a ? (a.getAttribute('href') || '') : '';
    if (a && !href.includes('#term-')) continue;  // words of another link: not a use
    for (const [term, , id] of terms) {  // a glossary link is a use of its term, whatever its words ("CI")
      if (a && !(term in found) && href.endsWith('glossary.html#' + id)) found[term] = {linked: true, context: ''};
    }
    for (const [term, pattern, id] of terms) {
      if (term in found) continue;
      const m = new RegExp(pattern).exec(n.textContent);
      if (!m) continue;
      found[term] = {linked: !!a && href.includes('glossary.html#' + id),
                     context: n.textContent.slice(Math.max(0, m.index - 40), m.index + 40)};
    }
  }
  return found;
}"""


def test_each_glossary_term_is_linked_at_its_first_use_on_every_page(built_book, server, browser):
    terms = [[t, term_pattern(t), anchor(t)] for t in TERMS]
    problems, uses = [], 0
    context = browser.new_context(viewport=WIDTHS["desktop"])
    page = context.new_page()
    try:
        for rel in toc_pages(built_book):
            if rel.removesuffix(".html") in SKIPPED_DOCS:
                continue
            page.goto(urljoin(server, rel), wait_until="load")
            for term, use in page.evaluate(FIRST_USES_JS, terms).items():
                uses += 1
                if not use["linked"]:
                    problems.append(f"{rel}: first use of {term!r} not linked: …{use['context']}…")
    finally:
        context.close()
    assert uses >= 50, f"only {uses} uses of glossary terms found"
    assert not problems, "\n".join(problems)
