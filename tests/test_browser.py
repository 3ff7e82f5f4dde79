"""What a person sees: Playwright driving the system Chromium against `provenance serve`.

The browser is Debian's /usr/bin/chromium (never a downloaded one), headless, without sandbox,
GPU or background networking; every request that does not go to the local server is refused
and counted. Outside CI the tests skip when Chromium or Playwright is missing; in CI
(``CI=true``) they must run. Screenshots go to ``$PROVENANCE_SCREENSHOT_DIR`` (default: the
test's temporary folder).
"""

from __future__ import annotations

import os
import re
import shutil
import socket
import sqlite3
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import urlsplit

import pytest

from .conftest import FIXTURES, ROOT, SCREENSHOTS
from .publishing import build_database

CHROMIUM = os.environ.get("PROVENANCE_CHROMIUM") or shutil.which("chromium") or "/usr/bin/chromium"
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking"]


#: How to run the browser tests, said with every skip (and once at the end of the run).
HOW_TO_RUN = (
    "to run them: apt-get install chromium (Debian's; or PROVENANCE_CHROMIUM=/path/to/chromium)"
    " and pip install -e '.[test]'; with CI=true a missing browser fails instead of skipping"
)


def _unavailable(reason: str) -> None:
    if os.environ.get("CI") == "true":
        pytest.fail(f"browser tests must run in CI: {reason}")
    pytest.skip(f"browser test skipped: {reason}; {HOW_TO_RUN}")


@pytest.fixture(scope="module")
def browser() -> Iterator[object]:
    if not Path(CHROMIUM).exists():
        _unavailable(f"no Chromium at {CHROMIUM}")
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        _unavailable("the playwright package is not installed")
    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(
            executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS
        )
        yield chromium
        chromium.close()


class Site:
    """`provenance serve` on a free local port, in its own process."""

    def __init__(self, db: Path) -> None:
        with socket.socket() as s:
            s.bind(("127.0.0.1", 0))
            self.port = s.getsockname()[1]
        self.origin = f"http://127.0.0.1:{self.port}"
        self.db = db
        env = {k: v for k, v in os.environ.items() if k != "PROVENANCE_DB"}
        self.log = db.with_suffix(".serve.log")
        with self.log.open("wb") as log:  # a file, not a pipe nobody reads while serving
            self.process = subprocess.Popen(
                [sys.executable, "-c", "from provenance.cli import main; main()", "serve"]
                + ["--db", str(db), "--port", str(self.port)],
                env=env,
                stdout=log,
                stderr=subprocess.STDOUT,
            )
        deadline = time.monotonic() + 120  # a loaded CI machine starts it slowly
        while True:
            try:
                urllib.request.urlopen(self.url("/-/versions.json"), timeout=1).close()
                break
            except OSError:
                if self.process.poll() is not None or time.monotonic() > deadline:
                    self.stop()
                    raise RuntimeError(
                        f"provenance serve did not start: {self.log.read_text()}"
                    ) from None
                time.sleep(0.1)

    def url(self, path: str) -> str:
        return self.origin + path

    def stop(self) -> None:
        self.process.terminate()
        try:
            self.process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()


@pytest.fixture(scope="module")
def demo_site(tmp_path_factory, browser) -> Iterator[Site]:
    db = build_database(tmp_path_factory.mktemp("demo") / "demo.db", ROOT / "sources")
    site = Site(db)
    yield site
    site.stop()


@pytest.fixture(scope="module")
def hostile_site(tmp_path_factory, browser) -> Iterator[Site]:
    db = build_database(
        tmp_path_factory.mktemp("hostile") / "hostile.db", FIXTURES / "hostile-page.html"
    )
    site = Site(db)
    yield site
    site.stop()


@pytest.fixture
def screenshots(tmp_path, request) -> Path:
    folder = Path(os.environ.get("PROVENANCE_SCREENSHOT_DIR") or tmp_path)
    folder.mkdir(parents=True, exist_ok=True)
    request.config.stash.setdefault(SCREENSHOTS, set()).add(str(folder))
    return folder


@pytest.fixture
def page(browser, request):
    """A page whose requests may only reach the local server; others are refused and kept."""
    context = browser.new_context(viewport={"width": 1200, "height": 900})
    refused: list[str] = []

    def only_local(route):
        if urlsplit(route.request.url).hostname == "127.0.0.1":
            route.continue_()
        else:
            refused.append(route.request.url)
            route.abort()

    context.route("**/*", only_local)
    context.set_default_timeout(10_000)
    tab = context.new_page()
    tab.refused = refused
    yield tab
    context.close()
    assert refused == [], f"the page tried to reach the network: {refused}"


# JS: where a highlight sits, counted in code points of the text layer it is shown in.
MEASURE = """
(mark) => {
  const layer = mark.closest('.text-layer');
  const range = document.createRange();
  range.setStart(layer, 0);
  range.setEnd(mark, 0);
  const before = Array.from(range.toString()).length;
  const start = Number(layer.dataset.start) + before;
  const box = mark.getBoundingClientRect();
  return {
    start: start,
    end: start + Array.from(mark.textContent).length,
    text: mark.textContent,
    layerStart: Number(layer.dataset.start),
    layerText: layer.textContent,
    visible: box.width > 0 && box.height > 0,
  };
}
"""


def stored_claim(db: Path, claim_id: int) -> tuple[int, int, str, str]:
    conn = sqlite3.connect(db)
    try:
        return conn.execute(
            "SELECT c.start, c.end, c.text, s.text FROM claims c"
            " JOIN sources s ON s.id = c.source_id WHERE c.id = ?",
            (claim_id,),
        ).fetchone()
    finally:
        conn.close()


def assert_highlight_at(found: dict, start: int, end: int, text: str, source_text: str) -> None:
    assert found["visible"], "the highlight is not visible"
    layer_end = found["layerStart"] + len(found["layerText"])
    assert source_text[found["layerStart"] : layer_end] == found["layerText"]
    assert (found["start"], found["end"]) == (start, end), "the highlight is misplaced"
    assert found["text"] == text == source_text[start:end]


def test_search_a_claim_follow_it_and_find_it_highlighted_in_its_source(
    page, demo_site, screenshots
):
    page.goto(demo_site.url("/"))
    page.get_by_role("link", name="demo", exact=True).click()
    page.get_by_role("link", name="Search claims and sources", exact=True).click()
    page.fill("form.provenance-search input[name=q]", "radar")
    page.press("form.provenance-search input[name=q]", "Enter")
    page.wait_for_selector(".claim-result")
    assert page.locator(".claim-result mark.hit").first.inner_text().lower() == "radar"
    page.locator(".claim-result a.claim-link").first.click()
    page.wait_for_url(re.compile(r"/demo/-/claim/\d+$"))
    claim_id = int(page.url.rsplit("/", 1)[1])
    start, end, text, source_text = stored_claim(demo_site.db, claim_id)

    found = page.eval_on_selector("mark#claim-highlight", MEASURE)
    assert_highlight_at(found, start, end, text, source_text)
    page.screenshot(path=str(screenshots / "claim-page.png"), full_page=True)

    page.click("a.in-source")
    page.wait_for_url(re.compile(rf"/demo/-/source/\d+#claim-{claim_id}$"))
    assert page.evaluate("document.querySelector(':target').id") == f"claim-{claim_id}"
    found = page.eval_on_selector(f"mark#claim-{claim_id}", MEASURE)
    assert_highlight_at(found, start, end, text, source_text)
    page.screenshot(path=str(screenshots / "claim-in-source.png"))
    for name in ("claim-page.png", "claim-in-source.png"):
        assert (screenshots / name).read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_every_claim_of_a_pdf_is_highlighted_on_its_page(page, demo_site):
    conn = sqlite3.connect(demo_site.db)
    [(source_id,)] = conn.execute("SELECT id FROM sources WHERE kind = 'pdf'").fetchall()
    claims = conn.execute(
        "SELECT id, start, end, text, page FROM claims WHERE source_id = ?", (source_id,)
    ).fetchall()
    [(source_text,)] = conn.execute("SELECT text FROM sources WHERE id = ?", (source_id,))
    conn.close()
    page.goto(demo_site.url(f"/demo/-/source/{source_id}"))
    for claim_id, start, end, text, number in claims:
        mark = f"section#page-{number} mark#claim-{claim_id}"
        assert_highlight_at(page.eval_on_selector(mark, MEASURE), start, end, text, source_text)


# --- injection ------------------------------------------------------------------------------

# JS: anything on the page that could run script the source brought with it.
DANGERS = """
() => {
  const found = [];
  for (const el of document.querySelectorAll('*')) {
    for (const attr of el.attributes) {
      const name = attr.name.toLowerCase();
      // Datasette has handlers of its own; every payload of the fixture names __pwned.
      if (name.startsWith('on') && attr.value.includes('__pwned')) {
        found.push(`${el.tagName} ${name}=${attr.value}`);
      }
      if (['href', 'src', 'action', 'formaction', 'xlink:href', 'data'].includes(name)
          && /^\\s*(javascript|vbscript|data):/i.test(attr.value)) {
        found.push(`${el.tagName} ${name}=${attr.value}`);
      }
    }
    if (el.tagName === 'SCRIPT' && el.textContent.includes('__pwned')) found.push('script');
    if (['IFRAME', 'OBJECT', 'EMBED'].includes(el.tagName)) found.push(el.tagName);
  }
  if (window.__pwned !== undefined) found.push(`ran: ${window.__pwned}`);
  return found;
}
"""

SKIP = re.compile(r"\.(json|csv|blob|db)$|/original$|^/-/static|_blob_column=|\.json\?|\.csv\?")


def crawl(page, site: Site, start_paths: list[str], limit: int = 200) -> list[str]:
    """Visit pages breadth first (one visit per path and query) and return them."""
    queue = list(start_paths)
    seen_paths: set[str] = set()
    visited: list[str] = []
    while queue and len(visited) < limit:
        target = queue.pop(0)
        parts = urlsplit(target)
        if target in visited or SKIP.search(parts.path) or SKIP.search(target):
            continue
        if parts.path in seen_paths and target not in start_paths:
            continue  # sort and facet variants of a page already seen
        seen_paths.add(parts.path)
        response = page.goto(site.url(target))
        assert response is not None and response.status < 500, (target, response)
        visited.append(target)
        assert page.evaluate(DANGERS) == [], target
        for href in page.eval_on_selector_all("a[href]", "els => els.map(a => a.href)"):
            link = urlsplit(href)
            if link.netloc == urlsplit(site.origin).netloc:
                queue.append(link.path + (f"?{link.query}" if link.query else ""))
    return visited


def test_nothing_a_source_carries_runs_in_the_published_site(page, hostile_site):
    dialogs: list[str] = []
    page.on("dialog", lambda dialog: (dialogs.append(dialog.message), dialog.dismiss()))
    reflected = "<script>window.__pwned='param'</script>\"><img src=x onerror=window.__pwned=1>"
    from urllib.parse import quote

    conn = sqlite3.connect(hostile_site.db)
    claims = [cid for (cid,) in conn.execute("SELECT id FROM claims")]
    tables = [
        name
        for (name,) in conn.execute(
            "SELECT name FROM sqlite_master WHERE type IN ('table', 'view')"
            " AND name NOT LIKE '%fts%' AND name NOT LIKE 'sqlite_%'"
            " AND name NOT LIKE '\\_%' ESCAPE '\\'"
        )
    ]
    conn.close()
    visited = crawl(
        page,
        hostile_site,
        [
            *(f"/hostile/{table}" for table in tables),  # hidden tables and views too
            "/",
            "/hostile/sources",
            "/hostile/claims",
            "/hostile/-/source/1",
            "/hostile/-/source/1?start=0&end=40",
            "/hostile/-/search?q=" + quote("pwned script"),
            "/hostile/-/search?q=" + quote(reflected),
            "/hostile/who_reported_first?text=" + quote("pwned"),
            "/hostile/who_reported_first?text=" + quote(reflected),
            "/hostile/claims_citing_source?source=1",
            "/hostile/claims?_search=pwned",
            "/hostile/sources?_search=pwned",
            "/hostile/quotes",
            "/hostile/attributions",
            "/hostile/agents",
            "/hostile/citations",
        ],
    )
    assert {f"/hostile/-/claim/{cid}" for cid in claims} <= set(visited)
    assert {f"/hostile/{table}" for table in tables} <= set(visited)
    assert {"/hostile/sources/1", "/hostile/claims/1"} <= set(visited)
    assert dialogs == []

    # The hostile markup is there, shown as text rather than dropped.
    page.goto(hostile_site.url("/hostile/-/source/1"))
    body = page.inner_text("body")
    assert '<script>window.__pwned="claim-script"</script>' in body
    assert "javascript:window.__pwned='canonical'" in body
    assert page.evaluate(DANGERS) == []


@pytest.mark.parametrize(
    "markup",
    [
        "<script>window.__pwned = 1</script>",
        '<img src="x" onerror="window.__pwned = 2">',
        '<b onmouseover="window.__pwned = 4">hover</b>',
        '<a href="javascript:window.__pwned = 3">link</a>',
        '<iframe src="about:blank"></iframe>',
    ],
)
def test_the_check_sees_injected_script(page, markup):
    page.set_content(f"<p>text</p>{markup}")
    assert page.evaluate(DANGERS) != []


def test_the_archived_original_downloads_without_running(page, hostile_site, tmp_path):
    page.goto(hostile_site.url("/hostile/-/source/1"))
    with page.expect_download() as download:
        page.click("a.download")
    saved = tmp_path / "original.html"
    download.value.save_as(saved)
    assert saved.read_bytes() == (FIXTURES / "hostile-page.html").read_bytes()
    assert page.evaluate(DANGERS) == []
    assert page.url == hostile_site.url("/hostile/-/source/1")


# --- the fact-checker's site ------------------------------------------------------------------

# JS: text in ``main`` whose colour contrasts less than 4.5:1 with its background (WCAG AA).
LOW_CONTRAST = """
() => {
  const rgba = (s) => (s.match(/[\\d.]+/g) || []).map(Number);
  const channel = (v) => { v /= 255; return v <= 0.03928 ? v / 12.92 : ((v + 0.055) / 1.055) ** 2.4; };
  const luminance = ([r, g, b]) => 0.2126 * channel(r) + 0.7152 * channel(g) + 0.0722 * channel(b);
  const over = (c, base) => {
    const a = c.length > 3 ? c[3] : 1;
    return [0, 1, 2].map((i) => c[i] * a + base[i] * (1 - a));
  };
  const background = (el) => {
    const layers = [];
    for (; el; el = el.parentElement) {
      const c = rgba(getComputedStyle(el).backgroundColor);
      if (c.length && (c.length < 4 || c[3] > 0)) layers.push(c);
      if (c.length && (c.length < 4 || c[3] === 1)) break;
    }
    return layers.reverse().reduce((base, c) => over(c, base), [255, 255, 255]);
  };
  const low = [];
  for (const el of document.querySelectorAll('main *')) {
    const own = Array.from(el.childNodes).some((n) => n.nodeType === 3 && n.textContent.trim());
    const box = el.getBoundingClientRect();
    if (!own || box.width === 0 || box.height === 0) continue;
    const style = getComputedStyle(el);
    const back = background(el);
    const fore = over(rgba(style.color), back);
    const [a, b] = [luminance(fore), luminance(back)].sort((x, y) => y - x);
    const ratio = (a + 0.05) / (b + 0.05);
    if (ratio < 4.5) low.push(`${el.tagName}.${el.className}: ${ratio.toFixed(2)}`);
  }
  return low;
}
"""

# JS: how much darker than the page the image is inside each box of a claim and in a strip of
# the same height just above the box (white space between paragraphs): drawn from the image.
INK_UNDER_BOXES = """
(claimId) => {
  const img = document.querySelector('.page-image img');
  const canvas = document.createElement('canvas');
  canvas.width = img.naturalWidth;
  canvas.height = img.naturalHeight;
  const ctx = canvas.getContext('2d');
  ctx.drawImage(img, 0, 0);
  const frame = img.getBoundingClientRect();
  const ink = (left, top, width, height) => {
    const sx = canvas.width / frame.width, sy = canvas.height / frame.height;
    const data = ctx.getImageData(
      Math.round(left * sx), Math.round(top * sy),
      Math.max(1, Math.round(width * sx)), Math.max(1, Math.round(height * sy))).data;
    let dark = 0;
    for (let i = 0; i < data.length; i += 4) if (data[i] + data[i + 1] + data[i + 2] < 384) dark++;
    return dark / (data.length / 4);
  };
  return Array.from(document.querySelectorAll(`a.claim-box[data-claim="${claimId}"]`)).map((box) => {
    const r = box.getBoundingClientRect();
    const left = r.left - frame.left, top = r.top - frame.top;
    return {
      inside: ink(left, top, r.width, r.height),
      above: top - r.height * 1.2 > 0 ? ink(left, top - r.height * 1.2, r.width, r.height * 0.5) : null,
      withinImage: r.left >= frame.left && r.right <= frame.right && r.top >= frame.top
        && r.bottom <= frame.bottom,
      visible: r.width > 0 && r.height > 0,
    };
  });
}
"""


def demo_ids(db: Path) -> dict[str, int]:
    conn = sqlite3.connect(db)
    try:
        one = lambda sql: conn.execute(sql).fetchone()[0]  # noqa: E731
        return {
            "article": one("SELECT id FROM sources WHERE publisher = 'The Harbour Ledger'"),
            "cable": one("SELECT id FROM sources WHERE reference_id = '08VELMORA112'"),
            "pdf": one("SELECT id FROM sources WHERE kind = 'pdf'"),
        }
    finally:
        conn.close()


def test_the_front_door_answers_a_pasted_claim_with_its_origin(page, demo_site, screenshots):
    page.goto(demo_site.url("/"))
    assert page.locator("main").count() == 1
    holds = page.locator(".holds").inner_text()
    assert re.search(r"This archive holds \d+ sources and \d+ claims, published from", holds)
    assert page.locator("ul.kinds li").count() >= 4  # html, post, cable, pdf
    origin = page.locator("ul.traced-quotes a.origin").first
    assert origin.is_visible()  # the origin of a traced quote: one click from here
    assert page.evaluate(LOW_CONTRAST) == []
    page.screenshot(path=str(screenshots / "home.png"), full_page=True)

    # Keyboard only: the box is reached in a few tabs, and Enter on its button asks.
    for _ in range(6):
        page.keyboard.press("Tab")
        if page.evaluate("document.activeElement.id") == "ask-demo":
            break
    assert page.evaluate("document.activeElement.id") == "ask-demo"
    assert page.get_by_label("Paste a claim — who reported it?").is_visible()
    page.keyboard.type("We watch them on radar and we cannot move")
    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.textContent") == "Who reported it?"
    page.keyboard.press("Enter")
    page.wait_for_url(re.compile(r"/demo/-/search\?q=We\+watch"))
    origin = page.locator(".claim-result a.origin").first
    assert "VELMORAN COAST GUARD" in origin.inner_text()
    assert page.evaluate(LOW_CONTRAST) == []
    page.screenshot(path=str(screenshots / "paste-a-claim.png"), full_page=True)

    origin.click()
    page.wait_for_url(re.compile(r"/demo/-/source/\d+\?start=\d+&end=\d+#selected"))
    assert page.locator("mark#selected").inner_text() == "We watch them on radar and we cannot move"


def test_a_news_article_reads_with_roles_a_legend_and_its_sources(page, demo_site, screenshots):
    ids = demo_ids(demo_site.db)
    page.goto(demo_site.url(f"/demo/-/source/{ids['article']}"))
    legend = page.locator("section.legend")
    assert legend.is_visible()
    for label in ("quoted by others", "quotes another source", "attributed", "check-worthy"):
        assert label in legend.inner_text()
    quoting = page.locator(f"a.quotes-origin[data-origin='{ids['cable']}']")
    assert quoting.inner_text() == "We watch them on radar and we cannot move"
    colours = page.evaluate(
        """() => ['a.quotes-origin', 'mark.claim.checkworthy', '.text-layer .cue']
            .map(s => getComputedStyle(document.querySelector(s)))
            .map(c => c.backgroundColor + c.fontWeight + c.fontStyle)"""
    )
    assert len(set(colours)) == 3  # each role looks different
    aside = page.locator("aside.reading-aside")
    assert "VELMORAN COAST GUARD OVERWHELMED" in aside.locator(".quoted-documents").inner_text()
    assert "A leaked 2008 State Department cable" in aside.locator(".cited-documents").inner_text()
    assert page.locator("main").count() == 1 and page.locator("aside").count() == 1
    assert str(ROOT) not in page.content()  # added from absolute paths: no folder shown
    assert "03-harbour-ledger-trawlers.html" in page.locator("section.about").inner_text()
    assert page.evaluate(LOW_CONTRAST) == []
    page.screenshot(path=str(screenshots / "news-article-source.png"), full_page=True)
    quoting.click()
    page.wait_for_url(re.compile(rf"/demo/-/source/{ids['cable']}\?start="))
    assert page.locator("mark#selected").inner_text() == "We watch them on radar and we cannot move"


def test_a_cable_shows_what_others_quote_and_what_it_cites(page, demo_site, screenshots):
    ids = demo_ids(demo_site.db)
    conn = sqlite3.connect(demo_site.db)
    [(start, end, text)] = conn.execute(
        "SELECT q.traced_start, q.traced_end, substr(s.text, q.traced_start + 1,"
        " q.traced_end - q.traced_start) FROM quotes q JOIN sources s ON s.id = q.traced_source_id"
        " WHERE q.traced_source_id = ? AND q.source_id = ?",
        (ids["cable"], ids["article"]),
    ).fetchall()
    [(quoting,)] = conn.execute(
        "SELECT count(DISTINCT source_id) FROM quotes WHERE traced_source_id = ?", (ids["cable"],)
    ).fetchall()
    conn.close()
    page.goto(demo_site.url(f"/demo/-/source/{ids['cable']}"))
    passages = [page.eval_on_selector_all(".text-layer .quoted-by", f"els => els.map({MEASURE})")][
        0
    ]
    [found] = [p for p in passages if (p["start"], p["end"]) == (start, end)]
    assert found["visible"] and found["text"] == text
    unresolved = page.locator(".cited-documents li.unresolved").first
    assert "no stored source has the identifier 08VELMORA87" in unresolved.inner_text()
    assert page.locator("section.quoted-by-list li").count() == quoting  # each source once
    assert page.evaluate(LOW_CONTRAST) == []
    page.screenshot(path=str(screenshots / "cable-source.png"), full_page=True)


def test_a_pdf_page_shows_the_claim_boxed_on_the_page_image(page, demo_site, screenshots):
    ids = demo_ids(demo_site.db)
    conn = sqlite3.connect(demo_site.db)
    [(claim_id, number, text)] = conn.execute(
        "SELECT id, page, text FROM claims WHERE source_id = ? AND text LIKE 'Fisheries Minister%'",
        (ids["pdf"],),
    ).fetchall()
    conn.close()
    page.goto(demo_site.url(f"/demo/-/source/{ids['pdf']}"))
    page.click(f"section#page-{number} a.page-view")
    page.wait_for_url(re.compile(rf"/demo/-/source/{ids['pdf']}/page/{number}$"))
    page.goto(demo_site.url(f"/demo/-/source/{ids['pdf']}/page/{number}?claim={claim_id}"))
    page.wait_for_function("document.querySelector('.page-image img').naturalWidth > 0")
    boxes = page.evaluate(INK_UNDER_BOXES, claim_id)
    assert len(boxes) == 2  # the claim is printed on two lines
    for box in boxes:
        assert box["visible"] and box["withinImage"]
        assert box["inside"] > 0.05  # print under the box
    assert boxes[0]["above"] < 0.01  # blank paper between the paragraph and the one before
    assert "chosen" in page.locator(f"#claim-box-{claim_id}").get_attribute("class")
    assert page.locator(".page-text .text-layer").inner_text().count(text) == 1
    assert page.locator(".page-text span.chosen").inner_text() == text
    assert page.evaluate(LOW_CONTRAST) == []
    page.screenshot(path=str(screenshots / "pdf-page-boxed-claim.png"), full_page=True)

    page.click(f"#claim-box-{claim_id}")
    page.wait_for_url(re.compile(rf"/demo/-/claim/{claim_id}$"))
    assert page.locator("a.on-page").is_visible()
    found = page.eval_on_selector("mark#claim-highlight", MEASURE)
    assert found["text"] == text
    assert page.evaluate(LOW_CONTRAST) == []
    page.screenshot(path=str(screenshots / "pdf-claim-page.png"), full_page=True)


ORIGINS = Path(__file__).parent / "origins_fixtures"


@pytest.fixture(scope="module")
def origins_site(tmp_path_factory, browser) -> Iterator[Site]:
    """The invented Velmora cables, a story that quotes one, its plain-text copy and a reprint."""
    db = build_database(
        tmp_path_factory.mktemp("origins") / "origins.db", *sorted(ORIGINS.iterdir())
    )
    site = Site(db)
    yield site
    site.stop()


def test_a_source_page_shows_its_renditions_and_the_evidence_of_each_citation(
    page, origins_site, screenshots
):
    conn = sqlite3.connect(origins_site.db)
    story, cable = (
        conn.execute("SELECT id FROM sources WHERE input LIKE ?", (f"%{name}",)).fetchone()[0]
        for name in ("03-story-harbour-ledger.html", "01-cable-08VELMORA12.txt")
    )
    page.goto(origins_site.url(f"/origins/-/source/{story}"))
    renditions = page.locator("ol.renditions li")
    assert renditions.count() == 3
    shown = renditions.all_inner_texts()
    assert any("Tidewater" in t or "took cut of night cargo" in t for t in shown)
    assert any("text" in t and "undated" in t for t in shown)

    described = page.locator("ul.citations li", has_text="Another cable from February 2008")
    assert described.locator("a.resolved").get_attribute("href").endswith(f"/source/{cable}")
    assert "quotation traced" in described.locator(".why").inner_text()
    unresolved = page.locator("ul.citations li", has_text="A leaked 2008 State Department cable")
    assert unresolved.locator(".unresolved").count() == 1
    assert unresolved.locator(".why").inner_text().startswith("unresolved:")
    page.screenshot(path=str(screenshots / "source-renditions.png"), full_page=True)


def test_a_claim_page_shows_the_resolved_document_of_its_description(page, origins_site):
    conn = sqlite3.connect(origins_site.db)
    claim, cable = conn.execute(
        "SELECT c.claim_id, c.cited_source_id FROM citations c JOIN sources s"
        " ON s.id = c.citing_source_id WHERE s.input LIKE '%03-story-harbour-ledger.html'"
        " AND c.mention LIKE 'Another cable from February 2008%'"
    ).fetchone()
    page.goto(origins_site.url(f"/origins/-/claim/{claim}"))
    chain = page.locator("ul.citation-chain li", has_text="Another cable from February 2008")
    assert chain.locator("a.resolved").first.get_attribute("href").endswith(f"/source/{cable}")
    assert "quotation traced" in chain.locator(".evidence").first.inner_text()
    assert page.locator("ol.renditions li").count() == 3
