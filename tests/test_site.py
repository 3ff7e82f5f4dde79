"""The fact-checker's site through Datasette's client: the front door, the source page as a
reading view, PDF pages as images with claims boxed, folded table and query furniture."""

from __future__ import annotations

import re
import sqlite3

import pytest

from provenance.datasette import pages
from provenance.datasette.pdfpages import PageImages, locate, png

from .conftest import FIXTURES, ROOT
from .publishing import TextLayers, build_database, published, query

pytestmark = pytest.mark.asyncio

PNG = b"\x89PNG\r\n\x1a\n"


@pytest.fixture(scope="module")
def demo(tmp_path_factory) -> sqlite3.Connection:
    path = tmp_path_factory.mktemp("site") / "demo.db"
    return build_database(path, ROOT / "sources", FIXTURES / "report.pdf")


@pytest.fixture
def ds(demo, tmp_path):
    datasette = published(demo)
    pages._PAGE_IMAGES[datasette] = PageImages(tmp_path / "page-cache")
    return datasette


def one(demo, sql, params=()):
    [(value,)] = query(demo, sql, params)
    return value


async def get(ds, path, status=200):
    response = await ds.client.get(path)
    assert response.status_code == status, (path, response.text[:500])
    return response


def article(demo) -> int:
    return one(demo, "SELECT id FROM sources WHERE publisher = 'The Harbour Ledger'")


def cable(demo) -> int:
    return one(demo, "SELECT id FROM sources WHERE reference_id = '08VELMORA112'")


def report(demo) -> int:
    return one(demo, "SELECT id FROM sources WHERE title LIKE 'Fishing Fleet Incursions%'")


# --- the front door -------------------------------------------------------------------------


async def test_the_front_door_says_what_the_archive_holds(ds, demo):
    html = (await get(ds, "/")).text
    kinds = dict(query(demo, "SELECT kind, count(*) FROM sources GROUP BY kind"))
    total = sum(kinds.values())
    assert f"This archive holds <strong>{total} sources</strong>" in html
    claims = one(demo, "SELECT count(*) FROM claims")
    assert f"<strong>{claims} claims</strong>" in html
    for kind, count in kinds.items():
        assert (
            f'href="/demo/sources?kind={kind}">{kind}</a> <span class="count">{count}</span>'
            in html
        )
    first, last = query(demo, "SELECT min(published), max(published) FROM sources")[0]
    assert f"<time>{first[:10]}</time> to <time>{last[:10]}</time>" in html
    latest = one(demo, "SELECT max(id) FROM sources")
    assert re.search(rf'Last added.*href="/demo/-/source/{latest}"', html)


async def test_the_front_door_asks_who_reported_a_claim(ds):
    html = (await get(ds, "/")).text
    form = re.search(r'<form class="ask" action="([^"]+)" method="get".*?</form>', html, re.S)
    assert form and form.group(1) == "/demo/-/search"
    assert re.search(r'<label for="ask-demo">Paste a claim — who reported it\?</label>', form[0])
    assert '<textarea id="ask-demo" name="q"' in form[0]
    assert re.search(r'<form class="provenance-search plain-search" action="/demo/-/search"', html)


async def test_the_origin_of_a_traced_quote_is_one_click_from_the_front_door(ds, demo):
    start, end = query(
        demo,
        "SELECT traced_start, traced_end FROM quotes WHERE traced_source_id = ?",
        (cable(demo),),
    )[0]
    html = (await get(ds, "/")).text
    assert (
        f'class="origin" href="/demo/-/source/{cable(demo)}?start={start}&amp;end={end}#selected"'
        in html
    )


async def test_claims_and_sources_come_first_and_bookkeeping_is_hidden(ds):
    database = (await get(ds, "/demo")).text
    listed = re.findall(r'<div class="db-table">\s*<h3><a href="[^"]+">(\w+)</a>', database)
    assert listed[:2] == ["claims", "sources"]
    assert not {"_migrations", "claim_keys", "quote_keys", "link_indexes"} & set(listed)
    assert "select * from claims" in database  # the SQL box no longer opens on _migrations


# --- the source page as a reading view ------------------------------------------------------


async def test_the_source_page_has_a_legend_of_roles(ds, demo):
    html = (await get(ds, f"/demo/-/source/{article(demo)}")).text
    legend = re.search(r'<section class="legend".*?</section>', html, re.S)[0]
    for label in (
        "quoted by others",
        "quotes another source",
        "attributed: cue and source marked",
        "check-worthy claim",
        "other text",
    ):
        assert label in legend


async def test_words_quoting_another_source_link_to_the_origin_passage(ds, demo):
    sid = article(demo)
    [(start, end, origin, traced_start, traced_end)] = query(
        demo,
        "SELECT start, end, traced_source_id, traced_start, traced_end FROM quotes"
        " WHERE source_id = ? AND traced_source_id = ?",
        (sid, cable(demo)),
    )
    page = TextLayers((await get(ds, f"/demo/-/source/{sid}")).text)
    [link] = [
        e for e in page.layers[0].elements if e.tag == "a" and "quotes-origin" in e.classes
        and e.attrs["data-origin"] == str(origin)
    ]  # fmt: skip
    assert (link.start, link.end) == (start, end)
    assert (
        link.attrs["href"]
        == f"/demo/-/source/{origin}?start={traced_start}&end={traced_end}#selected"
    )


async def test_claims_are_marked_check_worthy_or_reported_and_attributed(ds, demo):
    sid = article(demo)
    page = TextLayers((await get(ds, f"/demo/-/source/{sid}")).text)
    marks = {int(m.attrs["data-claim"]): m.classes for m in page.marks("claim")}
    scores = dict(query(demo, "SELECT id, score FROM claims WHERE source_id = ?", (sid,)))
    attributed = {
        c for (c,) in query(demo, "SELECT claim_id FROM attributions WHERE source_id = ?", (sid,))
    }
    for cid, classes in marks.items():
        assert ("checkworthy" in classes) == (scores[cid] >= 0.5)
        assert ("reported" in classes) == (scores[cid] < 0.5)
        assert ("attributed" in classes) == (cid in attributed)
    cues = query(
        demo,
        "SELECT cue_start, cue_end FROM attributions WHERE source_id = ? AND cue_start IS NOT NULL",
        (sid,),
    )
    shown = {(e.start, e.end) for e in page.layers[0].elements if "cue" in e.classes}
    assert set(cues) <= shown


async def test_the_passage_others_quote_is_marked_in_the_origin(ds, demo):
    sid = cable(demo)
    traced = set(
        query(
            demo, "SELECT traced_start, traced_end FROM quotes WHERE traced_source_id = ?", (sid,)
        )
    )
    page = TextLayers((await get(ds, f"/demo/-/source/{sid}")).text)
    marked = {
        (e.start, e.end)
        for layer in page.layers
        for e in layer.elements
        if "quoted-by" in e.classes
    }
    assert marked == traced
    html = (await get(ds, f"/demo/-/source/{sid}")).text
    aside = re.search(r'<section class="quoted-by-list".*?</section>', html, re.S)[0]
    assert aside.count(f'href="/demo/-/source/{article(demo)}"') == 1  # one entry per source


async def test_the_aside_lists_documents_quoted_and_cited_with_evidence(ds, demo):
    html = (await get(ds, f"/demo/-/source/{article(demo)}")).text
    quoted = re.search(r'<section class="quoted-documents".*?</section>', html, re.S)[0]
    assert f'href="/demo/-/source/{cable(demo)}"' in quoted
    cited = re.search(r'<section class="cited-documents".*?</section>', html, re.S)[0]
    assert "“A leaked 2008 State Department cable”" in cited
    assert (
        '<details class="evidence"><summary>evidence</summary>' in cited and "coreference" in cited
    )


async def test_an_unresolved_citation_says_why(ds, demo):
    html = (await get(ds, f"/demo/-/source/{cable(demo)}")).text
    cited = re.search(r'<section class="cited-documents".*?</section>', html, re.S)[0]
    assert re.search(
        r"not resolved</span>: <span class=\"why\">no stored source has the identifier 08VELMORA87",
        cited,
    )


async def test_a_deep_link_to_a_span_is_kept_with_roles(ds, demo):
    sid = cable(demo)
    start, end = query(
        demo, "SELECT traced_start, traced_end FROM quotes WHERE traced_source_id = ?", (sid,)
    )[0]
    page = TextLayers((await get(ds, f"/demo/-/source/{sid}?start={start}&end={end}")).text)
    [selected] = page.marks("selected")
    assert (selected.start, selected.end) == (start, end)


# --- PDF pages as images ----------------------------------------------------------------------


def pdf_claim(demo, page=2):
    return query(
        demo,
        "SELECT id, start, end, text FROM claims WHERE source_id = ? AND page = ? ORDER BY start",
        (report(demo), page),
    )[0]


async def test_a_pdf_page_shows_its_image_with_every_claim_boxed(ds, demo):
    sid = report(demo)
    claims = {
        c for (c,) in query(demo, "SELECT id FROM claims WHERE source_id = ? AND page = 2", (sid,))
    }
    cid = pdf_claim(demo)[0]
    html = (await get(ds, f"/demo/-/source/{sid}/page/2?claim={cid}")).text
    assert f'<img src="/demo/-/source/{sid}/page/2.png"' in html
    boxed = {int(c) for c in re.findall(r'<a class="claim-box[^"]*" [^>]*data-claim="(\d+)"', html)}
    assert boxed == claims
    assert re.search(
        rf'<a class="claim-box chosen" id="claim-box-{cid}" href="/demo/-/claim/{cid}"', html
    )
    text = one(demo, "SELECT text FROM sources WHERE id = ?", (sid,))
    [layer] = TextLayers(html).layers
    assert text[layer.start : layer.start + len(layer.text)] == layer.text


async def test_a_claim_printed_on_two_lines_gets_a_box_on_each(ds, demo):
    sid = report(demo)
    cid, *_ = pdf_claim(demo)  # "Most incursions took place at night ...": two printed lines
    found = (await get(ds, f"/demo/-/source/{sid}/page/2.json?claim={cid}")).json()
    [claim] = [c for c in found["claims"] if c["id"] == cid]
    assert len(claim["boxes"]) == 2
    tops = [float(re.search(r"top:([\d.]+)%", b)[1]) for b in claim["boxes"]]
    assert tops == sorted(tops) and all(0 < t < 100 for t in tops)


async def test_the_page_image_is_a_png_rendered_once_into_the_cache(ds, demo, tmp_path):
    sid = report(demo)
    first = await get(ds, f"/demo/-/source/{sid}/page/1.png")
    assert first.content[:8] == PNG and first.headers["content-type"] == "image/png"
    cached = list((tmp_path / "page-cache").glob("*.png"))
    assert len(cached) == 1 and cached[0].read_bytes() == first.content
    assert (await get(ds, f"/demo/-/source/{sid}/page/1.png")).content == first.content


async def test_the_page_image_is_served_without_a_writable_cache(demo, tmp_path):
    ds = published(demo)
    blocked = tmp_path / "not-a-folder"
    blocked.write_text("a file where the cache folder would be")
    pages._PAGE_IMAGES[ds] = PageImages(blocked / "cache")
    response = await get(ds, f"/demo/-/source/{report(demo)}/page/1.png")
    assert response.content[:8] == PNG


async def test_the_cache_keeps_to_its_size(tmp_path):
    cache = PageImages(tmp_path, max_bytes=2500)
    for page in range(1, 5):
        cache.store("a" * 64, page, b"x" * 1000)
    assert sum(p.stat().st_size for p in tmp_path.glob("*.png")) <= 2500


@pytest.mark.parametrize(
    "path, status",
    [("/page/3", 404), ("/page/0", 404), ("/page/3.png", 404)],
)
async def test_pages_a_pdf_does_not_have_are_not_found(ds, demo, path, status):
    await get(ds, f"/demo/-/source/{report(demo)}{path}", status=status)


async def test_only_pdfs_have_page_views(ds, demo):
    await get(ds, f"/demo/-/source/{article(demo)}/page/1", status=404)


async def test_the_claim_page_of_a_pdf_claim_links_to_its_page_view(ds, demo):
    cid = pdf_claim(demo)[0]
    html = (await get(ds, f"/demo/-/claim/{cid}")).text
    assert f'href="/demo/-/source/{report(demo)}/page/2?claim={cid}#claim-box-{cid}"' in html


async def test_words_are_found_across_line_breaks_and_hyphens():
    printed = "Fishing fleets were seen\r\nnear the banks. Inc-\r\nursions rose by 40 per cent."
    stored = "Fishing fleets were seen near the banks. Incursions rose by 40 per cent."
    claim = {"id": 1, "start": 41, "text": "Incursions rose by 40 per cent."}
    [(lo, hi)] = locate(printed, stored, [claim], 0).values()
    assert printed[lo:hi] == "Inc-\r\nursions rose by 40 per cent"


async def test_the_same_words_twice_are_found_at_the_same_occurrence():
    printed = "It rose.\r\nIt fell.\r\nIt rose."
    stored = "It rose. It fell. It rose."
    claim = {"id": 7, "start": 18, "text": "It rose."}
    [(lo, _)] = locate(printed, stored, [claim], 0).values()
    assert lo == printed.rindex("It rose")


async def test_png_writes_a_valid_image():
    import zlib

    image = png(bytes([255, 0, 0] * 4), 2, 2, 6, 3)
    assert image[:8] == PNG
    assert zlib.decompress(image[image.index(b"IDAT") + 4 : -16]) == b"\x00" + bytes(
        [255, 0, 0] * 2
    ) * 1 + b"\x00" + bytes([255, 0, 0] * 2)


# --- tables and stored queries --------------------------------------------------------------


async def test_column_descriptions_are_folded(ds):
    html = (await get(ds, "/demo/sources")).text
    details = re.search(r'<details class="provenance-columns">\s*<summary>(.*?)</summary>', html)
    assert details and "described columns" in details.group(1)
    assert "<dt>raw_sha256</dt>" in html


async def test_stored_queries_show_their_form_with_the_sql_folded(ds):
    html = (await get(ds, "/demo/who_reported_first")).text
    assert '<details class="provenance-sql">' in html
    assert 'name="text"' in html
    assert '<textarea id="sql-editor"' not in html and '<pre id="sql-query">' not in html


async def test_the_sources_table_pages_by_twenty_with_short_cells(ds, demo):
    rows = (await get(ds, "/demo/sources.json?_shape=array")).json()
    assert len(rows) == min(20, one(demo, "SELECT count(*) FROM sources"))


# --- search ---------------------------------------------------------------------------------


async def test_a_search_result_shows_where_its_quotation_comes_from(ds, demo):
    html = (await get(ds, "/demo/-/search?q=watch+them+on+radar")).text
    start, end = query(
        demo,
        "SELECT traced_start, traced_end FROM quotes WHERE traced_source_id = ?",
        (cable(demo),),
    )[0]
    assert (
        f'class="origin" href="/demo/-/source/{cable(demo)}?start={start}&amp;end={end}#selected"'
        in html
    )


async def test_the_front_door_of_a_live_database_counts_its_claims(demo):
    from datasette.app import Datasette

    from provenance.datasette import datasette_kwargs

    live = Datasette([str(demo)], **datasette_kwargs("demo"))  # mutable: no cached counts
    claims = one(demo, "SELECT count(*) FROM claims")
    assert f"<strong>{claims} claims</strong>" in (await get(live, "/")).text


# --- nothing of the archivist's machine -----------------------------------------------------


async def test_no_page_of_the_site_publishes_the_folders_it_was_added_from(ds, demo):
    """The demo archive was added from absolute paths: the site names each file, never its
    folders (nor the locator that keeps the absolute path for recaptures)."""
    folders = str(ROOT)
    inputs = [row[0] for row in query(demo, "SELECT input FROM sources WHERE input IS NOT NULL")]
    assert any(folders in value for value in inputs)  # what is stored still has them
    claims = [row[0] for row in query(demo, "SELECT id FROM claims ORDER BY id LIMIT 5")]
    paths = ["/", "/demo/-/search?q=boats", "/demo/-/search.json?q=boats"]
    for source_id in (article(demo), cable(demo), report(demo)):
        paths += [f"/demo/-/source/{source_id}", f"/demo/-/source/{source_id}.json"]
    paths += [f"/demo/-/claim/{claim_id}" for claim_id in claims]
    paths += [f"/demo/-/claim/{claims[0]}.json"]
    for path in paths:
        body = (await get(ds, path)).text
        assert folders not in body, path
    page = (await get(ds, f"/demo/-/source/{cable(demo)}")).text
    assert "<dt>Added from</dt><dd>02-cable-08VELMORA112.txt</dd>" in page
