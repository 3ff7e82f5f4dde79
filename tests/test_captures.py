"""Captures over time: adding a path or URL again with other bytes, re-anchoring, `diff`."""

import json
import shutil
import sqlite3

import pytest

from .conftest import FIXTURES

V1 = (FIXTURES / "captures" / "story-v1.html").read_bytes()
V2 = (FIXTURES / "captures" / "story-v2.html").read_bytes()


@pytest.fixture
def story(tmp_path):
    path = tmp_path / "inbox" / "story.html"
    path.parent.mkdir()
    path.write_bytes(V1)
    return path


@pytest.fixture
def recaptured(run_json, story):
    [first] = run_json("add", story)
    story.write_bytes(V2)
    [second] = run_json("add", story)
    return first, second


def test_a_changed_file_is_a_new_capture_of_the_same_source(recaptured, db_path):
    first, second = recaptured
    assert first["status"] == "added" and first["capture"] == 1
    assert second["status"] == "recaptured" and second["capture"] == 2
    assert second["previous_id"] == first["source_id"]
    assert second["source_id"] != first["source_id"]
    assert sum(second["anchors"].values()) == first["claims"]
    conn = sqlite3.connect(db_path)
    rows = conn.execute(
        "SELECT raw_sha256, text_sha256, retrieved, locator FROM sources ORDER BY id"
    ).fetchall()
    assert rows[0][0] != rows[1][0] and rows[0][1] != rows[1][1]  # each its own hashes
    assert rows[0][3] == rows[1][3]  # one source: the same locator
    assert conn.execute("SELECT count(*) FROM blobs").fetchone() == (2,)
    assert [r[0] for r in conn.execute("SELECT action FROM events ORDER BY id")] == [
        "add",
        "recapture",
    ]


def test_latest_captures_lists_each_source_once_as_it_stands_now(recaptured, run_json, db_path):
    first, second = recaptured
    conn = sqlite3.connect(db_path)
    rows = conn.execute("SELECT id, capture, captures FROM latest_captures").fetchall()
    assert rows == [(second["source_id"], 2, 2)]
    assert conn.execute("SELECT count(*) FROM sources").fetchone() == (2,)


def test_diff_shows_each_claim_of_the_earlier_capture(recaptured, run_json):
    first, second = recaptured
    result = run_json("diff", second["source_id"])
    assert [c["source_id"] for c in result["captures"]] == [
        first["source_id"],
        second["source_id"],
    ]
    assert {"capture", "retrieved", "raw_sha256", "text_sha256"} <= set(result["captures"][0])
    by_text = {c["old"]["text"]: c for c in result["claims"]}
    for claim in result["claims"]:
        assert {"claim_id", "status", "old", "new"} <= set(claim)
        assert set(claim["old"]) == {"start", "end", "text"}
    march = by_text["Officials said the channel was deepened to 12 metres in March."]
    assert march["status"] == "edited"
    assert march["new"]["text"] == "Officials said the channel was deepened to 9 metres in March."
    assert march["difference"] == [{"op": "replace", "old": "12", "new": "9"}]
    april = by_text["Officials said the channel was deepened to 12 metres in April."]
    assert april["status"] == "unchanged"
    chairman = next(c for t, c in by_text.items() if t.startswith("Board chairman"))
    assert chairman["status"] == "moved"
    fleet = next(c for t, c in by_text.items() if t.startswith("The fleet of 40"))
    assert fleet["status"] == "orphaned" and fleet["new"] is None
    assert any("audit office" in c["text"] for c in result["new_claims"])


def test_diff_spans_index_both_captures(recaptured, run_json):
    first, second = recaptured
    old_text = run_json("show", first["source_id"])["text"]
    new_text = run_json("show", second["source_id"])["text"]
    for claim in run_json("diff", first["source_id"])["claims"]:
        old = claim["old"]
        assert old_text[old["start"] : old["end"]] == old["text"]
        if claim["new"] is not None:
            new = claim["new"]
            assert new_text[new["start"] : new["end"]] == new["text"]


def test_diff_text_output_names_statuses(recaptured, run):
    result = run("diff", recaptured[1]["source_id"])
    assert result.exit_code == 0
    assert "edited" in result.stdout and "orphaned" in result.stdout
    assert "12 -> 9" in result.stdout


def test_diff_of_a_single_capture_is_a_one_line_error(run_json, run, story):
    [added] = run_json("add", story)
    result = run("diff", added["source_id"])
    assert result.exit_code == 1
    assert (
        result.stderr.strip()
        == f"Error: source {added['source_id']} has one capture: nothing to compare"
    )


def test_re_adding_the_latest_bytes_is_unchanged(recaptured, run_json, story, db_path):
    [again] = run_json("add", story)
    assert again["status"] == "unchanged" and again["source_id"] == recaptured[1]["source_id"]


def test_bytes_reverting_to_an_earlier_capture_are_a_new_capture(recaptured, run_json, story):
    story.write_bytes(V1)
    [third] = run_json("add", story)
    assert third["status"] == "recaptured" and third["capture"] == 3
    assert third["previous_id"] == recaptured[1]["source_id"]


def test_the_same_file_named_another_way_is_the_same_source(run_json, story, monkeypatch):
    [first] = run_json("add", story)
    story.write_bytes(V2)
    monkeypatch.chdir(story.parent)
    [second] = run_json("add", "./story.html")
    assert second["status"] == "recaptured" and second["previous_id"] == first["source_id"]


def test_verify_passes_after_recaptures_and_catches_an_edited_anchor(recaptured, run, db_path):
    assert run("verify").exit_code == 0
    conn = sqlite3.connect(db_path, isolation_level=None)
    conn.execute("UPDATE claim_anchors SET status = 'unchanged' WHERE status = 'orphaned'")
    result = run("verify", "--json")
    assert result.exit_code == 1
    problems = json.loads(result.stdout)["problems"]
    assert any("re-anchored" in p["message"] for p in problems)


def test_a_changed_url_is_recaptured(web, run_json, db_path):
    pages = {"body": V1}

    def send(req):
        req.send_response(200)
        req.send_header("Content-Type", "text/html; charset=utf-8")
        req.send_header("Content-Length", str(len(pages["body"])))
        req.end_headers()
        req.wfile.write(pages["body"])

    web.route("/story", send)
    [first] = run_json("add", web.url("/story"))
    pages["body"] = V2
    [second] = run_json("add", web.url("/story#comments"))  # the fragment is not the source
    assert second["status"] == "recaptured" and second["previous_id"] == first["source_id"]
    statuses = {c["status"] for c in run_json("diff", first["source_id"])["claims"]}
    assert statuses == {"unchanged", "moved", "edited", "orphaned"}


def test_an_archive_page_recaptured_re_anchors_each_post(run_json, tmp_path, db_path):
    page = tmp_path / "rivers.html"
    shutil.copy(FIXTURES / "archive-hentry.html", page)
    first = run_json("add", page)
    markup = page.read_text()
    # A new post on top, the oldest post dropped, a figure edited in the middle one.
    start = markup.index('<div class="h-entry">', markup.index("Winter levels") - 300)
    end = markup.index("</main>")
    new_post = (
        '<div class="h-entry">\n  <h2 class="p-name"><a class="u-url" href="/2012/05/01/'
        'otters/">Otters return</a></h2>\n  <div class="e-content">\n    <p>Otters were '
        "seen at the weir on 28 April for the first time since 1990, the river trust said."
        "</p>\n  </div>\n</div>\n"
    )
    markup = markup[:start] + markup[end:]
    markup = markup.replace("<main>\n", "<main>\n" + new_post)
    markup = markup.replace("About 150 residents", "About 170 residents")
    page.write_text(markup)
    second = run_json("add", page)
    assert second[0]["status"] == "recaptured"
    posts = {r["title"]: r for r in second[1:]}
    old_posts = {r["title"]: r for r in first[1:]}
    assert posts["The flood meeting"]["previous_id"] == old_posts["The flood meeting"]["source_id"]
    assert posts["Otters return"]["previous_id"] is None
    assert posts["Otters return"]["status"] == "added"  # new on the page: no earlier capture
    assert posts["The flood meeting"]["status"] == second[0]["status"] == "recaptured"
    result = run_json("diff", second[0]["source_id"])
    by_source = {}
    for claim in result["claims"]:
        by_source.setdefault(claim["source_id"], set()).add(claim["status"])
    assert by_source[old_posts["Winter levels"]["source_id"]] == {"orphaned"}
    assert "edited" in by_source[old_posts["The flood meeting"]["source_id"]]
    assert any("Otters" in c["text"] for c in result["new_claims"])
    # Sources as they stand now: the new capture of the page and its posts, none of the old.
    conn = sqlite3.connect(db_path)
    latest = {r[0]: r[1:] for r in conn.execute("SELECT id, title, capture FROM latest_captures")}
    now = {second[0]["source_id"]} | {r["source_id"] for r in second[1:]}
    assert set(latest) == now
    assert "Winter levels" not in {title for title, _ in latest.values()}


def test_captures_of_one_source_are_not_other_outlets_reporting_it(
    recaptured, run_json, tmp_path, db_path
):
    first, second = recaptured
    conn = sqlite3.connect(db_path)

    def links_between(a, b):
        return conn.execute(
            "SELECT count(*) FROM claim_links l JOIN claims x ON x.id = l.claim_id"
            " JOIN claims y ON y.id = l.other_claim_id"
            " WHERE (x.source_id = ? AND y.source_id = ?) OR (x.source_id = ? AND y.source_id = ?)",
            (a, b, b, a),
        ).fetchone()[0]

    assert links_between(first["source_id"], second["source_id"]) == 0
    # a syndicated copy of the story (other bytes, another place) is a rendition of the same
    # work (issue 13): one work, never another outlet repeating itself
    copy = tmp_path / "elsewhere" / "copy.html"
    copy.parent.mkdir()
    copy.write_bytes(V2.replace(b"</body>", b"<!-- syndicated --></body>"))
    [third] = run_json("add", copy)
    assert third["status"] == "added"
    assert links_between(third["source_id"], second["source_id"]) == 0
    works = dict(conn.execute("SELECT id, work_id FROM sources WHERE parent_id IS NULL"))
    assert works[third["source_id"]] == works[second["source_id"]] == works[first["source_id"]]


# --- web captures of one address: one work (issue 13's works) ------------------------------

# The story as the outlet updated it later: a new headline and lede, a paragraph added and one
# dropped. Too changed for the text rules to take the two for one work, at one address.
UPDATED = (
    V1.replace(b"Velmora harbour deepening cost doubles", b"Audit sought over Velmora channel")
    .replace(
        b"The harbour board of Port Velmora said on Monday that deepening the north channel"
        b" would cost 8 million crowns, twice the estimate it published in January.",
        b"The town council of Port Velmora asked the national audit office on Tuesday night to"
        b" review the contract for deepening the north channel, whose cost has doubled.",
    )
    .replace(
        b"<p>The fleet of 40 trawlers",
        b"<p>A council spokeswoman said the audit office would reply within a month and that"
        b" the board had agreed to open its accounts to the auditors.</p>\n<p>The fleet of 40"
        b" trawlers",
    )
    .replace(
        b"<p>Board chairman Tomas Reyes said the overrun was caused by silt from the spring"
        b" floods.</p>\n",
        b"",
    )
)


def _warc(path, *captures):
    """A WARC of HTML responses: (URL, WARC-Date, payload) each."""
    import io

    from warcio.statusandheaders import StatusAndHeaders
    from warcio.warcwriter import WARCWriter

    with open(path, "wb") as fh:
        writer = WARCWriter(fh, gzip=True)
        for url, date, payload in captures:
            headers = StatusAndHeaders(
                "200 OK", [("Content-Type", "text/html; charset=utf-8")], protocol="HTTP/1.1"
            )
            writer.write_record(
                writer.create_warc_record(
                    url,
                    "response",
                    payload=io.BytesIO(payload),
                    http_headers=headers,
                    warc_headers_dict={"WARC-Date": date},
                )
            )
    return path


def _pages(results):
    return [r for r in results if r["kind"] == "html"]


def _work(db_path, source_id):
    conn = sqlite3.connect(db_path)
    return conn.execute("SELECT work_id FROM sources WHERE id = ?", (source_id,)).fetchone()[0]


def _links_between(db_path, a, b):
    conn = sqlite3.connect(db_path)
    return conn.execute(
        "SELECT count(*) FROM claim_links l JOIN claims x ON x.id = l.claim_id"
        " JOIN claims y ON y.id = l.other_claim_id WHERE x.source_id = ? AND y.source_id = ?",
        (a, b),
    ).fetchone()[0]


def test_web_captures_of_one_address_are_one_work_whatever_their_text_became(
    run_json, tmp_path, db_path
):
    url = "https://tide.example/news/harbour-cost"
    one = _warc(tmp_path / "may3.warc.gz", (url, "2021-05-03T10:00:00Z", V1))
    two = _warc(tmp_path / "may5.warc.gz", (url, "2021-05-05T10:00:00Z", UPDATED))
    [first] = _pages(run_json("add", one))
    [second] = _pages(run_json("add", two))
    assert _work(db_path, first["source_id"]) == _work(db_path, second["source_id"])
    conn = sqlite3.connect(db_path)
    [(method, details)] = conn.execute(
        "SELECT method, details FROM renditions WHERE source_id = ?", (second["source_id"],)
    ).fetchall()
    assert method == "same-url-0.1"
    assert json.loads(details) == {"address": "tide.example/news/harbour-cost", "by": "fetched"}
    # the page is not another outlet repeating itself, and it is reported once
    assert _links_between(db_path, second["source_id"], first["source_id"]) == 0
    [work] = run_json("who", "the channel was deepened to 12 metres in March")
    assert work["source_id"] == first["source_id"]  # the earlier capture answers
    assert {r["source_id"] for r in work["renditions"]} == {
        first["source_id"],
        second["source_id"],
    }
    assert run_json("verify")["ok"] is True


def test_the_same_texts_at_other_addresses_stay_two_works(run_json, tmp_path, db_path):
    """What joins the captures above is their address: the text rules alone do not."""
    one = _warc(tmp_path / "a.warc.gz", ("https://tide.example/a", "2021-05-03T10:00:00Z", V1))
    two = _warc(tmp_path / "b.warc.gz", ("https://tide.example/b", "2021-05-05T10:00:00Z", UPDATED))
    [first] = _pages(run_json("add", one))
    [second] = _pages(run_json("add", two))
    assert _work(db_path, first["source_id"]) != _work(db_path, second["source_id"])


def test_two_captures_of_one_address_in_one_warc_are_one_work(run_json, tmp_path, db_path):
    both = _warc(
        tmp_path / "crawl.warc.gz",
        ("https://tide.example/news/harbour-cost", "2021-05-03T10:00:00Z", V1),
        ("https://tide.example/news/harbour-cost", "2021-05-05T10:00:00Z", UPDATED),
    )
    first, second = _pages(run_json("add", both))
    assert _work(db_path, first["source_id"]) == _work(db_path, second["source_id"])
    assert _links_between(db_path, second["source_id"], first["source_id"]) == 0


def test_an_address_written_another_way_is_the_same_page(run_json, tmp_path, db_path):
    one = _warc(
        tmp_path / "a.warc.gz", ("http://tide.example/news/cost", "2021-05-03T10:00:00Z", V1)
    )
    two = _warc(
        tmp_path / "b.warc.gz",
        ("https://tide.example:443/news/cost/#comments", "2021-05-05T10:00:00Z", UPDATED),
    )
    [first] = _pages(run_json("add", one))
    [second] = _pages(run_json("add", two))
    assert _work(db_path, first["source_id"]) == _work(db_path, second["source_id"])
    other = _warc(
        tmp_path / "c.warc.gz",
        (
            "https://tide.example/news/cost?page=2",
            "2021-05-06T10:00:00Z",
            (FIXTURES / "article.html").read_bytes(),  # another story
        ),
    )
    [third] = _pages(run_json("add", other))  # another query: another page
    assert _work(db_path, third["source_id"]) != _work(db_path, first["source_id"])


def test_a_post_with_only_its_page_address_is_no_capture_of_the_page(run_json, tmp_path, db_path):
    """A post whose link leads back to its page (no permalink of its own) has only the page's
    address: it is not a capture of the page captured elsewhere; the page is."""
    url = "https://stillwater.example/category/rivers/"
    page = (FIXTURES / "archive-hentry.html").read_bytes()
    page = page.replace(b"<head>", f'<head><link rel="canonical" href="{url}">'.encode(), 1)
    first_link = page.index(b'class="u-url" href="') + len(b'class="u-url" href="')
    page = page[:first_link] + b"/category/rivers/" + page[page.index(b'"', first_link) :]
    saved = tmp_path / "rivers.html"
    saved.write_bytes(page)
    stored = run_json("add", saved)
    conn = sqlite3.connect(db_path)
    at_page = [
        r["source_id"]
        for r in stored[1:]
        if conn.execute("SELECT url FROM sources WHERE id = ?", (r["source_id"],)).fetchone()[0]
        == url
    ]
    assert len(at_page) == 1  # the post that links to its page
    [record] = _pages(
        run_json("add", _warc(tmp_path / "c.warc.gz", (url, "2012-05-09T10:00:00Z", page)))
    )
    assert _work(db_path, record["source_id"]) == _work(db_path, stored[0]["source_id"])
    assert _work(db_path, at_page[0]) != _work(db_path, record["source_id"])


def _outlet_page(outlet: str, day: int) -> bytes:
    return (
        f"<html><head><title>Harbour fees | {outlet} (invented outlet)</title>"
        f'<meta property="article:published_time" content="2024-05-0{day}T08:00:00Z"></head>'
        f"<body><article><h1>Harbour fees at the {outlet}</h1>"
        f"<p>The {outlet} desk reported on the town quay this week.</p>"
        "<p>The harbour authority raised mooring fees by 14 percent on Monday, according to"
        " a notice posted at the quay.</p>"
        f"<p>Readers of the {outlet} wrote in about it.</p></article></body></html>"
    ).encode()


def test_pages_of_several_outlets_in_one_crawl_are_linked_to_one_another(
    run_json, tmp_path, db_path
):
    """A crawl holds the pages of many outlets: each is another outlet for the others."""
    crawl = _warc(
        tmp_path / "crawl.warc.gz",
        ("https://courier.example/fees", "2024-05-04T10:00:00Z", _outlet_page("Courier", 2)),
        ("https://gazette.example/quay", "2024-05-04T10:01:00Z", _outlet_page("Gazette", 3)),
    )
    courier, gazette = _pages(run_json("add", crawl))
    assert _work(db_path, courier["source_id"]) != _work(db_path, gazette["source_id"])
    conn = sqlite3.connect(db_path)
    links = conn.execute(
        "SELECT x.source_id, y.source_id, l.relation FROM claim_links l"
        " JOIN claims x ON x.id = l.claim_id JOIN claims y ON y.id = l.other_claim_id"
        " WHERE x.text LIKE 'The harbour authority%'"
    ).fetchall()
    # linked once, the later page to the earlier, as two pages added one after another are
    assert links == [(gazette["source_id"], courier["source_id"], "same")]
    works = run_json("who", "the harbour authority raised mooring fees by 14 percent")
    assert [w["source_id"] for w in works] == [courier["source_id"], gazette["source_id"]]
    assert works[0]["first"] == "first"


def test_one_story_twice_in_one_crawl_is_one_work(run_json, tmp_path, db_path):
    """A syndicated story at two addresses of one crawl: one work, as when added apart."""
    crawl = _warc(
        tmp_path / "crawl.warc.gz",
        ("https://tide.example/news/cost", "2021-05-03T10:00:00Z", V1),
        ("https://wire.example/velmora-cost", "2021-05-03T11:00:00Z", V1 + b"<!-- wire -->"),
    )
    first, second = _pages(run_json("add", crawl))
    assert _work(db_path, first["source_id"]) == _work(db_path, second["source_id"])
    assert _links_between(db_path, second["source_id"], first["source_id"]) == 0


def _story_page(title: str, canonical: str, body: str) -> str:
    return (
        f'<html><head><title>{title} - The Velmora Tide</title><link rel="canonical"'
        f' href="{canonical}"><meta property="article:published_time"'
        f' content="2021-05-03T09:00:00Z"></head><body><article><h1>{title}</h1>{body}'
        "</article></body></html>"
    )


def test_a_canonical_address_every_page_declares_does_not_make_one_work(
    run_json, tmp_path, db_path
):
    """Some sites give every page their front page as canonical URL: a declared address joins
    pages only under one headline."""
    front = "https://tide.example/"
    one = tmp_path / "harbour.html"
    one.write_text(_story_page("Velmora harbour cost doubles", front, V1.decode()), "utf-8")
    two = tmp_path / "ferries.html"
    other = (FIXTURES / "article.html").read_text(encoding="utf-8")
    two.write_text(_story_page("Ferry strike ends", front, other), "utf-8")
    [first], [second] = run_json("add", one), run_json("add", two)
    assert _work(db_path, first["source_id"]) != _work(db_path, second["source_id"])


def test_a_post_in_part_on_an_archive_page_and_its_own_page_are_one_work(
    run_json, tmp_path, db_path
):
    """An archive page shows a post in part under its permalink; the post's own page declares
    that address and the same headline: one work, though the excerpt holds little of it."""
    archive = (FIXTURES / "archive-hentry.html").read_text(encoding="utf-8")
    archive = archive.replace(
        "<head>", '<head><link rel="canonical" href="https://stillwater.example/rivers/">', 1
    )
    (tmp_path / "rivers.html").write_text(archive, encoding="utf-8")
    page = tmp_path / "weir-counts.html"
    more = "".join(
        f"<p>On day {k} of the count the volunteers logged the river level, the water"
        f" temperature and {20 + k} fish passing the new pass at the weir.</p>"
        for k in range(1, 12)
    )
    page.write_text(
        "<html><head><title>Counting fish at the weir - Stillwater Notes</title><link"
        ' rel="canonical" href="https://stillwater.example/2012/04/18/weir-counts/"></head>'
        "<body><article><h1>Counting fish at the weir</h1><p>Volunteers counted 412 sea trout"
        " passing the weir in the first week of April, the highest count since records began"
        f" in 1994.</p>{more}</article></body></html>",
        encoding="utf-8",
    )
    stored = run_json("add", tmp_path / "rivers.html")
    [own] = run_json("add", page)
    conn = sqlite3.connect(db_path)
    post = next(
        r["source_id"]
        for r in stored[1:]
        if conn.execute("SELECT title FROM sources WHERE id = ?", (r["source_id"],)).fetchone()[0]
        == "Counting fish at the weir"
    )
    assert _work(db_path, own["source_id"]) == _work(db_path, post)
    [(details,)] = conn.execute(
        "SELECT details FROM renditions WHERE source_id = ? AND other_source_id = ?",
        (own["source_id"], post),
    ).fetchall()
    assert json.loads(details)["by"] == "headline"
    others = [r["source_id"] for r in stored[1:] if r["source_id"] != post]
    assert all(_work(db_path, o) != _work(db_path, own["source_id"]) for o in others)
