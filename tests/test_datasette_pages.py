"""The published site through Datasette's client: the plugin's pages and the stored queries.

The database is built from the project's own files (the sample sources and the test fixtures)
and served as `provenance serve` serves it: immutable, with cached counts.
"""

from __future__ import annotations

import hashlib
import re
import sqlite3

import pytest
from datasette import hookimpl
from datasette.utils import escape_fts

from .conftest import FIXTURES, ROOT
from .publishing import TextLayers, build_database, published, query

pytestmark = pytest.mark.asyncio


@pytest.fixture(scope="module")
def demo(tmp_path_factory) -> sqlite3.Connection:
    path = tmp_path_factory.mktemp("publish") / "demo.db"
    return build_database(path, ROOT / "sources", FIXTURES)


@pytest.fixture
def ds(demo):
    return published(demo)


def one(demo, sql, params=()):
    [(value,)] = query(demo, sql, params)
    return value


def source_id(demo, **where):
    column, value = next(iter(where.items()))
    return one(demo, f"SELECT id FROM sources WHERE {column} = ?", (value,))


def claim_id(demo, starting):
    return one(demo, "SELECT id FROM claims WHERE text LIKE ?", (starting + "%",))


async def facet_results(ds, path):
    """Facet results of a table page (1.0 asks for them with _extra and nests them)."""
    data = (await get(ds, path + "?_extra=facet_results")).json()["facet_results"]
    return data.get("results", data)


async def get(ds, path, status=200):
    response = await ds.client.get(path)
    assert response.status_code == status, (path, response.text[:500])
    return response


# --- source page ----------------------------------------------------------------------------


async def test_source_page_shows_metadata_hashes_and_a_download(ds, demo):
    sid = source_id(demo, publisher="The Harbour Ledger")
    raw, text_hash = query(
        demo, "SELECT raw_sha256, text_sha256 FROM sources WHERE id = ?", (sid,)
    )[0]
    html = (await get(ds, f"/demo/-/source/{sid}")).text
    assert "Leaked cable: coast guard &#34;cannot move&#34; against foreign trawlers" in html
    assert "The Harbour Ledger" in html and "Ines Calder" in html
    assert raw in html and text_hash in html
    assert f'href="/demo/-/source/{sid}/original"' in html
    assert (
        'href="https://harbourledger.example/2011/02/03/leaked-cable-coast-guard-trawlers/"' in html
    )


async def test_source_page_highlights_every_claim_at_its_offsets(ds, demo):
    sid = source_id(demo, publisher="The Harbour Ledger")
    text = one(demo, "SELECT text FROM sources WHERE id = ?", (sid,))
    claims = query(demo, "SELECT id, start, end FROM claims WHERE source_id = ?", (sid,))
    page = TextLayers((await get(ds, f"/demo/-/source/{sid}")).text)
    [layer] = page.layers
    assert layer.text == text  # the container holds the text layer, character for character
    marks = {int(m.attrs["data-claim"]): (m.start, m.end) for m in page.marks("claim")}
    assert marks == {cid: (start, end) for cid, start, end in claims}
    links = [e for e in layer.elements if e.tag == "a" and "quotes-origin" not in e.classes]
    assert {e.attrs["href"] for e in links} == {f"/demo/-/claim/{cid}" for cid, _, _ in claims}


async def test_pdf_source_page_groups_claims_by_page(ds, demo):
    sid = one(demo, "SELECT id FROM sources WHERE title LIKE 'Fishing Fleet Incursions%'")
    pages = dict(query(demo, "SELECT id, page FROM claims WHERE source_id = ?", (sid,)))
    html = (await get(ds, f"/demo/-/source/{sid}")).text
    assert '<section class="text-section" id="page-1">' in html and "<h3>Page 2 " in html
    page = TextLayers(html)
    assert len(page.layers) == 2
    for number, layer in enumerate(page.layers, 1):
        on_page = {int(m.attrs["data-claim"]) for m in layer.elements if m.tag == "mark"}
        assert on_page == {cid for cid, p in pages.items() if p == number}
    text = one(demo, "SELECT text FROM sources WHERE id = ?", (sid,))
    for layer in page.layers:
        assert text[layer.start : layer.start + len(layer.text)] == layer.text


async def test_a_deep_link_highlights_any_span_of_a_source(ds, demo):
    sid = source_id(demo, reference_id="08VELMORA112")
    text = one(demo, "SELECT text FROM sources WHERE id = ?", (sid,))
    start = text.index("We watch them on radar")
    end = start + len("We watch them on radar")
    page = TextLayers((await get(ds, f"/demo/-/source/{sid}?start={start}&end={end}")).text)
    [selected] = [m for m in page.marks("selected")]
    assert (selected.start, selected.end) == (start, end)
    assert selected.attrs["id"] == "selected"


async def test_the_original_is_downloaded_never_rendered(ds, demo):
    sid = source_id(demo, publisher="The Harbour Ledger")
    response = await get(ds, f"/demo/-/source/{sid}/original")
    original = (ROOT / "sources" / "03-harbour-ledger-trawlers.html").read_bytes()
    assert response.content == original
    assert response.headers["content-type"] == "application/octet-stream"
    assert response.headers["content-disposition"].startswith("attachment;")
    assert response.headers["x-content-type-options"] == "nosniff"
    assert "sandbox" in response.headers["content-security-policy"]
    assert response.headers["etag"] == f'"{hashlib.sha256(original).hexdigest()}"'


async def test_a_post_links_to_the_archive_page_it_was_captured_on(ds, demo):
    post = one(demo, "SELECT id FROM sources WHERE title = 'Two cutters, no fuel'")
    parent = one(demo, "SELECT parent_id FROM sources WHERE id = ?", (post,))
    html = (await get(ds, f"/demo/-/source/{post}")).text
    assert f'<a href="/demo/-/source/{parent}">fisheries | Tidewatch</a>' in html
    parent_html = (await get(ds, f"/demo/-/source/{parent}")).text
    assert f'href="/demo/-/source/{post}"' in parent_html


# --- claim page -----------------------------------------------------------------------------


async def test_claim_page_shows_the_claim_highlighted_in_its_context(ds, demo):
    cid = claim_id(demo, '"We watch them on radar and we cannot move," the coast guard')
    sid, start, end = query(demo, "SELECT source_id, start, end FROM claims WHERE id = ?", (cid,))[
        0
    ]
    text = one(demo, "SELECT text FROM sources WHERE id = ?", (sid,))
    page = TextLayers((await get(ds, f"/demo/-/claim/{cid}")).text)
    context = page.layers[0]
    assert text[context.start : context.start + len(context.text)] == context.text
    assert len(context.text) > end - start  # more than the claim: its context
    [highlight] = [m for m in page.marks("claim") if m.attrs.get("id") == "claim-highlight"]
    assert (highlight.start, highlight.end) == (start, end)


async def test_claim_page_shows_attribution_cue_mention_and_agent(ds, demo):
    cid = claim_id(demo, "Council leader Ruth Okafor told reporters")
    html = (await get(ds, f"/demo/-/claim/{cid}")).text
    agent = one(demo, "SELECT agent_id FROM attributions WHERE claim_id = ?", (cid,))
    assert '<span class="cue">told</span>' in html
    assert '<span class="mention">Council leader Ruth Okafor</span>' in html
    assert f'<a href="/demo/agents/{agent}">Ruth Okafor</a>' in html


async def test_claim_page_shows_where_its_quote_was_traced(ds, demo):
    cid = claim_id(demo, '"We watch them on radar and we cannot move," the coast guard')
    cable = source_id(demo, reference_id="08VELMORA112")
    traced_start, traced_end = query(
        demo, "SELECT traced_start, traced_end FROM quotes WHERE claim_id = ?", (cid,)
    )[0]
    response = await get(ds, f"/demo/-/claim/{cid}")
    assert (
        f'href="/demo/-/source/{cable}?start={traced_start}&amp;end={traced_end}#selected"'
        in response.text
    )
    page = TextLayers(response.text)
    [traced] = page.marks("traced")
    assert (traced.start, traced.end) == (traced_start, traced_end)
    assert "Word for word as in the traced passage" in response.text


async def test_claim_page_lists_every_source_reporting_it_earliest_first(ds, demo):
    [(article_claim, post_claim)] = query(
        demo,
        "SELECT l.other_claim_id, l.claim_id FROM claim_links l"
        " JOIN claims c ON c.id = l.claim_id JOIN sources s ON s.id = c.source_id"
        " WHERE s.kind = 'post' AND l.relation = 'same'",
    )
    for cid in (article_claim, post_claim):  # claim_links are read in both directions
        data = (await get(ds, f"/demo/-/claim/{cid}.json")).json()
        reports = [(r["claim_id"], r["published"]) for r in data["reports"]]
        ids = [c for c, _ in reports]
        assert ids.index(article_claim) < ids.index(post_claim)  # the article came first
        dates = [p for _, p in reports if p]
        assert dates == sorted(dates)
        assert [r["claim_id"] for r in data["reports"] if r["this"]] == [cid]
    html = (await get(ds, f"/demo/-/claim/{post_claim}")).text
    assert f'href="/demo/-/claim/{article_claim}"' in html


async def test_claim_page_follows_the_citation_chain(ds, demo):
    cid = one(demo, "SELECT claim_id FROM citations WHERE identifier = '08VELMORA112'")
    cable = source_id(demo, reference_id="08VELMORA112")
    chain = (await get(ds, f"/demo/-/claim/{cid}.json")).json()["citations"]
    steps = [(c["depth"], c["identifier"], c["cited_source_id"]) for c in chain]
    assert (1, "08VELMORA112", cable) in steps
    # the cable's REF line: a document not in the archive, one step further
    assert (2, "08VELMORA87", None) in steps
    assert [d for d, _, _ in steps] == sorted(d for d, _, _ in steps)
    html = (await get(ds, f"/demo/-/claim/{cid}")).text
    assert "not resolved to a stored source" in html


async def test_claim_page_works_without_attribution_quotes_citations_or_links(tmp_path):
    path = build_database(tmp_path / "bare.db", FIXTURES / "telegram.txt")
    conn = sqlite3.connect(path)
    with conn:
        for table in ("claim_links", "quotes", "citations", "attributions"):
            conn.execute(f"DELETE FROM {table}")
    conn.close()
    cid = one(path, "SELECT min(id) FROM claims")
    html = (await get(published(path), f"/bare/-/claim/{cid}")).text
    assert "No other stored source reports this claim" in html
    assert "No direct quotations" in html and "cites no document" in html


@pytest.mark.parametrize(
    "path",
    ["/demo/-/claim/999999", "/demo/-/source/999999", "/demo/-/source/999999/original"],
)
async def test_unknown_ids_are_not_found(ds, path):
    await get(ds, path, status=404)


async def test_pages_respect_who_may_view_the_database(demo):
    from datasette.app import Datasette

    locked = Datasette([str(demo)], metadata={"databases": {"demo": {"allow": {"id": "editor"}}}})
    cid = claim_id(demo, '"We watch them on radar and we cannot move," the coast guard')
    for path in [f"/demo/-/claim/{cid}", "/demo/-/source/1", "/demo/-/source/1/original"]:
        await get(locked, path, status=403)
    await get(locked, "/demo/-/search?q=radar", status=403)
    assert "/demo/-/search" not in (await get(locked, "/")).text


async def test_pages_only_serve_provenance_databases(tmp_path):
    from datasette.app import Datasette

    other = tmp_path / "other.db"
    sqlite3.connect(other).execute("CREATE TABLE claims (id INTEGER PRIMARY KEY)")
    datasette = Datasette([str(other)])
    await get(datasette, "/other/-/claim/1", status=404)
    await get(datasette, "/other/-/search?q=x", status=404)


# --- search ---------------------------------------------------------------------------------


async def test_search_finds_claims_and_sources_with_hits_marked(ds, demo):
    html = (await get(ds, "/demo/-/search?q=radar")).text
    cid = claim_id(demo, '"We watch them on radar and we cannot move," the coast guard')
    assert f'href="/demo/-/claim/{cid}"' in html
    assert '<mark class="hit">radar</mark>' in html
    cable = source_id(demo, reference_id="08VELMORA112")
    assert f'href="/demo/-/source/{cable}"' in html


async def test_search_results_are_ranked_and_complete(ds, demo):
    pages = []
    while not pages or pages[-1]["more_claims"]:
        url = f"/demo/-/search.json?q=coast+guard&page={len(pages) + 1}"
        pages.append((await get(ds, url)).json())
    ranks = [c["rank"] for found in pages for c in found["claims"]]
    assert ranks == sorted(ranks)  # bm25: lower is better, across pages too
    expected = {
        cid
        for cid, text in query(demo, "SELECT id, text FROM claims")
        if re.search(r"\bcoast\b", text, re.I) and re.search(r"\bguard", text, re.I)
    }
    assert len(expected) > len(pages[0]["claims"]) or len(pages) == 1
    ids = [c["id"] for found in pages for c in found["claims"]]
    assert len(ids) == len(set(ids)) and set(ids) == expected
    assert pages[0]["claims_total"] == len(expected)


async def test_a_common_word_is_ranked_among_the_matches_added_last(ds, demo, monkeypatch):
    from provenance import evidence

    monkeypatch.setattr(evidence, "RANK_WINDOW", 3)
    matching = sorted(
        cid for cid, text in query(demo, "SELECT id, text FROM claims") if "coast" in text.lower()
    )
    found = (await get(ds, "/demo/-/search.json?q=coast")).json()
    assert found["claims_total"] == len(matching) > 3 and found["claims_windowed"]
    assert {c["id"] for c in found["claims"]} == set(matching[-3:])
    html = (await get(ds, "/demo/-/search?q=coast")).text
    assert "Ranked among the 3 claims added last" in html


@pytest.mark.parametrize(
    "q",
    ['"', "AND OR NOT (", "*", "near(", "'; DROP TABLE claims; --", "fuel\x00", "\x00", '"a\x00b"'],
)
async def test_search_takes_any_text(ds, q):
    response = await ds.client.get("/demo/-/search", params={"q": q})
    assert response.status_code == 200
    response = await ds.client.get("/demo/-/search.json", params={"q": q})
    assert response.status_code == 200


# --- stored queries -------------------------------------------------------------------------


async def test_who_reported_first_lists_the_earliest_report_first(ds, demo):
    rows = (await get(ds, "/demo/who_reported_first.json?text=watch+radar&_shape=array")).json()
    assert [r["kind"] for r in rows][:2] == ["cable", "html"]
    dates = [r["published"] for r in rows if r["published"]]
    assert dates == sorted(dates)


async def test_who_reported_first_includes_linked_claims(ds, demo):
    rows = (
        await get(ds, "/demo/who_reported_first.json?_shape=array&text=all+but+given+up+patrolling")
    ).json()
    assert {r["kind"] for r in rows} >= {"html", "post"}


async def test_claims_that_cite_a_source_by_id_or_reference(ds, demo):
    cable = source_id(demo, reference_id="08VELMORA112")
    by_ref = (
        await get(ds, "/demo/claims_citing_source.json?source=08VELMORA112&_shape=array")
    ).json()
    by_id = (await get(ds, f"/demo/claims_citing_source.json?source={cable}&_shape=array")).json()
    assert by_ref == by_id
    # cited by its reference id, quoted, and named by "according to the cable"
    assert {r["how"] for r in by_ref} == {"citation", "quotation", "attribution"}
    article = source_id(demo, publisher="The Harbour Ledger")
    assert article in {r["source_id"] for r in by_ref}


async def test_unresolved_citations_lists_mentions_without_a_source(ds, demo):
    rows = (await get(ds, "/demo/unresolved_citations.json?_shape=array")).json()
    assert "08VELMORA87" in {r["identifier"] for r in rows}
    assert "08VELMORA112" not in {r["identifier"] for r in rows}


async def test_failed_ingests_lists_failures(tmp_path, fixtures):
    from provenance import pipeline
    from provenance.db import open_db

    junk = tmp_path / "junk.html"
    junk.write_bytes(b"\x00\x01" * 64)
    db = open_db(tmp_path / "withfailure.db")
    list(pipeline.add(db, [str(junk), str(fixtures / "telegram.txt")]))
    db.conn.close()
    rows = (
        await get(
            published(tmp_path / "withfailure.db"), "/withfailure/failed_ingests.json?_shape=array"
        )
    ).json()
    assert [r["input"] for r in rows] == [str(junk)] and "binary" in rows[0]["error"]


@pytest.mark.parametrize(
    "name, title, parameter",
    [
        ("who_reported_first", "Who reported this first?", "text"),
        ("claims_citing_source", "Claims that cite a source", "source"),
        ("unresolved_citations", "Unresolved citations", None),
        ("failed_ingests", "Failed ingests", None),
    ],
)
async def test_stored_queries_have_titles_and_parameter_forms(ds, name, title, parameter):
    html = (await get(ds, f"/demo/{name}")).text
    assert "<h1" in html and title in html
    if parameter:
        assert f'name="{parameter}"' in html


# --- configuration --------------------------------------------------------------------------


async def test_sources_are_faceted_by_kind_publisher_year_and_classification(ds):
    facets = await facet_results(ds, "/demo/sources.json")
    assert {"kind", "publisher", "classification"} <= set(facets)
    years = {f["value"]: f["count"] for f in facets["published (year)"]["results"]}
    assert years["2008"] >= 2 and "2011" in years


async def test_selecting_a_year_filters_sources(ds, demo):
    facets = await facet_results(ds, "/demo/sources.json")
    [year_2008] = [f for f in facets["published (year)"]["results"] if f["value"] == "2008"]
    rows = (await get(ds, "/demo/sources.json?published__startswith=2008&_shape=array")).json()
    assert len(rows) == year_2008["count"] and all(r["published"].startswith("2008") for r in rows)


async def test_attributions_are_faceted_by_agent(ds):
    facets = await facet_results(ds, "/demo/attributions.json")
    assert facets["agent_id"]["results"] and facets["agent_id"]["results"][0]["label"]


async def test_claims_sort_only_by_indexed_columns(ds):
    await get(ds, "/demo/claims?_sort_desc=score")
    refused = await ds.client.get("/demo/claims?_sort=text")
    assert refused.status_code >= 400 and "Cannot sort table by text" in refused.text


async def test_table_cells_link_to_claim_and_source_pages(ds, demo):
    cid = claim_id(demo, '"We watch them on radar and we cannot move," the coast guard')
    claims = (await get(ds, "/demo/claims?_search=radar")).text
    assert f'<a href="/demo/-/claim/{cid}">' in claims
    sid = source_id(demo, reference_id="08VELMORA112")
    sources = (await get(ds, "/demo/sources?_search=radar")).text
    assert f'<a href="/demo/-/source/{sid}">VELMORAN COAST GUARD' in sources
    rows = (await get(ds, "/demo/who_reported_first?text=radar")).text
    assert f'<a href="/demo/-/claim/{cid}">{cid}</a>' in rows


async def test_navigation_menu_and_database_page_lead_to_search(ds):
    home = (await get(ds, "/")).text
    assert 'href="/demo/-/search"' in home
    database = (await get(ds, "/demo")).text
    assert 'href="demo/-/search"' in database or 'href="/demo/-/search"' in database


async def test_the_plugin_is_registered_by_its_entry_point(ds):
    plugins = (await get(ds, "/-/plugins.json")).json()
    [plugin] = [p for p in plugins if p["name"] == "provenance"]
    assert {"register_routes", "render_cell", "menu_links"} <= set(plugin["hooks"])
    css = await get(ds, "/-/static-plugins/provenance/provenance.css")
    assert "mark.claim" in css.text


async def test_the_published_database_is_immutable(ds):
    databases = (await get(ds, "/-/databases.json")).json()
    databases = databases["databases"] if isinstance(databases, dict) else databases  # 1.0
    assert [d["is_mutable"] for d in databases if d["name"] == "demo"] == [False]


# --- no page scans the claims table ---------------------------------------------------------

_CLAIMS_ALIAS = re.compile(
    r"\b(?:from|join)\s+\[?claims\]?(?:\s+(?:as\s+)?(?!where|join|left|inner|on|order|group|limit|union)(\w+))?",
    re.I,
)


class SqlTracer:
    """Records every statement Datasette's connections run (a prepare_connection hook)."""

    def __init__(self) -> None:
        self.statements: list[str] = []

    @hookimpl
    def prepare_connection(self, conn):
        conn.set_trace_callback(self.statements.append)


def full_scans_of_claims(path, statements):
    """Statements whose plan reads every row of claims (a bounded ordered scan is fine)."""
    conn = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
    conn.create_function("escape_fts", 1, escape_fts)
    offending = []
    for sql in set(statements):
        if not re.match(r"\s*(select|with)\b", sql, re.I) or not _CLAIMS_ALIAS.search(sql):
            continue
        names = {"claims"} | {m for m in _CLAIMS_ALIAS.findall(sql) if m}
        plan = [row[3] for row in conn.execute("EXPLAIN QUERY PLAN " + sql)]
        scans = [
            line for line in plan if re.match(r"SCAN (\w+)", line) and line.split()[1] in names
        ]
        bounded = re.search(r"\blimit\b", sql, re.I) and not any("TEMP B-TREE" in p for p in plan)
        aggregate = re.search(r"count\(|group by", sql, re.I)
        if scans and (aggregate or not bounded):
            offending.append((sql, plan))
    conn.close()
    return offending


async def test_no_page_scans_the_claims_table(ds, demo):
    from datasette.plugins import pm

    cid = claim_id(demo, '"We watch them on radar and we cannot move," the coast guard')
    sid = source_id(demo, publisher="The Harbour Ledger")
    pdf = one(demo, "SELECT id FROM sources WHERE title LIKE 'Fishing Fleet Incursions%'")
    pages = [
        "/",
        f"/demo/-/source/{pdf}/page/2?claim={cid}",
        "/demo",
        "/demo/claims",
        "/demo/claims?_search=radar",
        "/demo/claims?_sort=score",
        f"/demo/claims?source_id={sid}",
        f"/demo/claims/{cid}",
        "/demo/sources",
        "/demo/attributions",
        "/demo/quotes",
        "/demo/claim_links",
        f"/demo/-/source/{sid}",
        f"/demo/-/claim/{cid}",
        "/demo/-/search?q=coast+guard",
        "/demo/who_reported_first?text=radar",
        "/demo/claims_citing_source?source=08VELMORA112",
        "/demo/unresolved_citations",
        "/demo/failed_ingests",
    ]
    tracer = SqlTracer()
    pm.register(tracer, name="test-sql-tracer")
    try:
        for path in pages:
            await get(ds, path)
    finally:
        pm.unregister(name="test-sql-tracer")
    assert any("claims_fts MATCH" in s for s in tracer.statements)  # the search page ran
    assert full_scans_of_claims(demo, tracer.statements) == []


async def test_the_scan_check_catches_a_full_scan(demo):
    assert full_scans_of_claims(demo, ["select count(*) from claims"])
    assert full_scans_of_claims(demo, ["select * from claims c order by c.text limit 5"])
    assert not full_scans_of_claims(demo, ["select * from claims where source_id = 3"])
