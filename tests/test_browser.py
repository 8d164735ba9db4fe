"""The book as readers use it: in a real (headless) Chromium, served from localhost.

Needs Debian's chromium at /usr/bin/chromium (`make test` installs it) and Playwright for Python; never
`playwright install`. Screenshots of the landing page and the F4 chapter are saved in test-artifacts/.
"""

from __future__ import annotations

import functools
import http.server
import re
import threading
from pathlib import Path
from urllib.parse import urljoin, urlparse

import pytest

from conftest import toc_files

CHROMIUM = Path("/usr/bin/chromium")
ARTIFACTS = Path(__file__).resolve().parents[1] / "test-artifacts"

pytestmark = [pytest.mark.browser, pytest.mark.slow]

if not CHROMIUM.exists():
    pytest.skip("Debian's chromium is not installed at /usr/bin/chromium (run `make browser`)", allow_module_level=True)
sync_api = pytest.importorskip("playwright.sync_api")


class _QuietHandler(http.server.SimpleHTTPRequestHandler):
    def log_message(self, *args):  # keep pytest output clean
        pass


@pytest.fixture(scope="module")
def server(built_book):
    html = built_book / "_build" / "html"
    handler = functools.partial(_QuietHandler, directory=str(html))
    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{httpd.server_address[1]}/"
    httpd.shutdown()


@pytest.fixture(scope="module")
def browser():
    with sync_api.sync_playwright() as pw:
        browser = pw.chromium.launch(
            executable_path=str(CHROMIUM),
            headless=True,
            args=[
                "--no-sandbox",
                "--disable-gpu",
                "--disable-quic",
                "--no-first-run",
                "--disable-background-networking",
                "--disable-component-update",
                "--disable-sync",
            ],
        )
        yield browser
        browser.close()


def toc_pages(root: Path) -> list[str]:
    return [f"{p}.html" for p in toc_files(root)]


class PageVisit:
    """Open a page, recording console errors, failed and off-host requests."""

    def __init__(self, browser, base: str):
        self.base = base
        self.context = browser.new_context(viewport={"width": 1280, "height": 900})
        self.page = self.context.new_page()
        self.errors: list[str] = []
        self.requests: list[str] = []
        self.page.on("console", lambda m: self.errors.append(m.text) if m.type == "error" else None)
        self.page.on("pageerror", lambda e: self.errors.append(str(e)))
        self.page.on("request", lambda r: self.requests.append(r.url))

    def open(self, rel: str):
        response = self.page.goto(urljoin(self.base, rel), wait_until="load")
        self.page.wait_for_load_state("networkidle")
        return response

    def close(self):
        self.context.close()


def test_every_toc_page_loads_cleanly_with_its_images_and_no_remote_requests(built_book, server, browser):
    problems = []
    visit = PageVisit(browser, server)
    try:
        for rel in toc_pages(built_book):
            visit.errors.clear()
            response = visit.open(rel)
            if response is None or response.status != 200:
                problems.append(f"{rel}: status {None if response is None else response.status}")
                continue
            if visit.errors:
                problems.append(f"{rel}: console errors {visit.errors}")
            broken = visit.page.evaluate(
                "Array.from(document.images).filter(i => !(i.complete && i.naturalWidth > 0)).map(i => i.src)"
            )
            if broken:
                problems.append(f"{rel}: images not loaded {broken}")
            missing_alt = visit.page.evaluate(
                "Array.from(document.querySelectorAll('main img')).filter(i => !i.alt).map(i => i.src)"
            )
            if missing_alt:
                problems.append(f"{rel}: images without alt text {missing_alt}")
        off_host = [
            u for u in visit.requests if not (u.startswith(server) or u.startswith(("data:", "blob:", "about:")))
        ]
        assert not off_host, f"requests left localhost: {sorted(set(off_host))[:10]}"
    finally:
        visit.close()
    assert not problems, "\n".join(problems)


def test_every_internal_link_resolves(built_book):
    """Every href and src on every page points at a file that exists in the built site."""
    html_root = (built_book / "_build" / "html").resolve()
    checked, bad = 0, []
    for page in sorted(html_root.rglob("*.html")):
        if page.relative_to(html_root).parts[0] in ("_static", "_sources"):
            continue  # the theme's Jinja macro files and page sources, not pages
        text = page.read_text(encoding="utf-8")
        for attr, ref in re.findall(r'(href|src)="([^"]+)"', text):
            if ref.startswith(("http:", "https:", "mailto:", "javascript:", "data:", "#")):
                continue
            path = urlparse(ref).path
            if not path:
                continue
            target = (html_root / path.lstrip("/")) if path.startswith("/") else (page.parent / path)
            target = target.resolve()
            if target.is_dir():
                target = target / "index.html"
            checked += 1
            if not target.is_file() or not target.is_relative_to(html_root):
                bad.append(f"{page.relative_to(html_root)}: {attr}={ref}")
    assert not bad, "broken internal links:\n" + "\n".join(sorted(set(bad))[:40])
    assert checked > 100


def test_verdict_table_links_to_each_chapter(built_book, server, browser):
    import json

    ledger = json.loads((built_book / "results/claims.json").read_text())
    visit = PageVisit(browser, server)
    try:
        visit.open("book/generated/claims.html")
        links = visit.page.eval_on_selector_all("a.claim-link", "els => els.map(e => [e.textContent, e.href])")
        assert [text for text, _ in links] == [e["id"] for e in ledger]
        for (_text, href), entry in zip(links, ledger):
            assert href.endswith(f"executed/{entry['parameter_set']}.html"), href
            response = visit.page.goto(href)
            assert response.status == 200
            assert entry["id"] in visit.page.title() or entry["id"] in visit.page.content()
    finally:
        visit.close()


def test_search_finds_prerequisite(server, browser):
    visit = PageVisit(browser, server)
    try:
        visit.open("search.html?q=prerequisite")
        visit.page.wait_for_selector("#search-results li", timeout=20000)
        hits = visit.page.eval_on_selector_all("#search-results li a", "els => els.map(e => e.href)")
        assert hits, "search found nothing for 'prerequisite'"
        assert any("size-not-a-prerequisite" in h or "necessity" in h or "index" in h for h in hits)
    finally:
        visit.close()


def test_screenshots_of_landing_page_and_f4(server, browser):
    ARTIFACTS.mkdir(exist_ok=True)
    visit = PageVisit(browser, server)
    try:
        for rel, name in (
            ("book/index.html", "landing.png"),
            ("book/executed/size-not-a-prerequisite.html", "f4-chapter.png"),
        ):
            visit.open(rel)
            visit.page.screenshot(path=str(ARTIFACTS / name), full_page=True)
            assert (ARTIFACTS / name).stat().st_size > 10_000
    finally:
        visit.close()


PHONE = {"width": 390, "height": 844}
DESKTOP = {"width": 1280, "height": 900}


def test_every_page_fits_a_phone_has_its_own_title_and_is_screenshotted(built_book, server, browser):
    """At 390 px no page scrolls sideways (wide tables scroll in their own box); no two pages share a title.

    Screenshots of every page at phone and desktop width go to test-artifacts/phone and test-artifacts/desktop
    (the first screen, one pixel per CSS pixel) and, for pages with figures, the whole page at phone width to
    test-artifacts/phone-full (JPEG). Full-page PNGs at twice the resolution and at both widths took 54 of this
    test's 67 s (issue 24).
    """
    wide, titles = [], {}
    for label, viewport in (("phone", PHONE), ("desktop", DESKTOP)):
        folder = ARTIFACTS / label
        folder.mkdir(parents=True, exist_ok=True)
        context = browser.new_context(viewport=viewport, device_scale_factor=2)
        page = context.new_page()
        try:
            for rel in toc_pages(built_book):
                page.goto(urljoin(server, rel), wait_until="load")
                overflow = page.evaluate("document.documentElement.scrollWidth - document.documentElement.clientWidth")
                if label == "phone":
                    if overflow > 0:
                        wide.append(f"{rel}: {overflow} px wider than the screen")
                    titles.setdefault(page.title(), []).append(rel)
                page.screenshot(path=str(folder / (rel.replace("/", "_") + ".png")), scale="css")
                if label == "phone" and page.evaluate("document.querySelectorAll('main figure img').length"):
                    full = ARTIFACTS / f"{label}-full"
                    full.mkdir(exist_ok=True)
                    page.screenshot(
                        path=str(full / (rel.replace("/", "_") + ".jpg")), full_page=True, scale="css", quality=85
                    )
        finally:
            context.close()
    assert not wide, "pages that scroll sideways at 390 px:\n" + "\n".join(wide)
    shared = {t: pages for t, pages in titles.items() if len(pages) > 1}
    assert not shared, f"pages sharing a title: {shared}"


def test_no_machine_path_in_any_published_file(built_book):
    """Pages, executed notebooks and downloads carry no path of the machine that built them."""
    html_root = built_book / "_build" / "html"
    machine = re.compile(r"(?<![\w.])/(?:tmp|home|root|work|Users|private|var/folders)/[\w.-]+")
    leaks = []
    for path in sorted(html_root.rglob("*")):
        if not path.is_file() or path.suffix not in {".html", ".ipynb", ".csv", ".json", ".md", ".txt", ".js"}:
            continue
        text = path.read_text(encoding="utf-8", errors="replace")
        if str(built_book) in text:
            leaks.append(f"{path.relative_to(html_root)}: contains the build folder {built_book}")
            continue
        found = machine.findall(text)
        if found:
            leaks.append(f"{path.relative_to(html_root)}: {found[:3]}")
    assert not leaks, "machine paths in published files:\n" + "\n".join(leaks[:30])


# Figure text (at least 11 CSS px at 390 and 1280 px, measured on every figure's SVG text): test_browser_reader.py.


def test_every_numbered_figure_and_table_is_referred_to_from_its_page(built_book):
    """Sphinx numbers figures and tables (numfig); each numbered one is linked from its page's text (``{numref}``)."""
    html_root = built_book / "_build" / "html"
    numbered = re.compile(
        r'<(?:figure|table)[^>]*\bid="(?P<id>[^"]+)"[^>]*>.*?<span class="caption-number">(?P<n>[^<]+)</span>',
        re.S,
    )
    unreferenced, found = [], 0
    for rel in toc_pages(built_book):
        text = (html_root / rel).read_text(encoding="utf-8")
        for match in numbered.finditer(text):
            found += 1
            if f'class="reference internal" href="#{match["id"]}"' not in text:  # not the caption's own "#" link
                unreferenced.append(f"{rel}: {match['n'].strip()} (#{match['id']})")
    assert found >= 20, f"only {found} numbered figures and tables in the book"
    assert not unreferenced, "numbered but never referred to from the text:\n" + "\n".join(unreferenced)
