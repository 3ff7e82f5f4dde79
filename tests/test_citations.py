"""Mentions of other documents, and their resolution to stored sources.

The fixtures in tests/linking_fixtures/citations are invented: two 2008 cables of one embassy
(April and October), a report of a research centre (November 2008, PDF), and a story that
cites them by reference id, by hyperlink and by description.
"""

import json
import re
import sqlite3
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from provenance import citations
from provenance.citations import find_mentions, parse_target

CITATIONS = Path(__file__).parent / "linking_fixtures" / "citations"
STORY = CITATIONS / "04-story-orsova-post.html"
ALL = sorted(p for p in CITATIONS.iterdir())
CITATION_KEYS = {"citing_source_id", "mention", "start", "end", "cited_source_id", "confidence"}


def resolved(db_path) -> dict[str, str | None]:
    """Each mention of the story and the file of the source it was resolved to."""
    conn = sqlite3.connect(db_path)
    return {
        mention: Path(path).name if path else None
        for mention, path in conn.execute(
            "SELECT c.mention, t.input FROM citations c JOIN sources s ON s.id = c.citing_source_id"
            " LEFT JOIN sources t ON t.id = c.cited_source_id WHERE s.input LIKE '%story%'"
        )
    }


@pytest.mark.parametrize("order", ["cited first", "story first"])
def test_citations_resolve_in_both_directions(run_json, db_path, order):
    inputs = ALL if order == "cited first" else [STORY, *[p for p in ALL if p != STORY]]
    run_json("add", *inputs)
    found = resolved(db_path)
    assert found["08VARNO41"] == "01-cable-08VARNO41.txt"  # a reference id
    assert found["a second cable"] == "02-cable-08VARNO97.txt"  # a hyperlink naming the cable
    # descriptions, matched by kind, date, author and the quotations around them
    assert found["An embassy cable sent that spring"] == "01-cable-08VARNO41.txt"
    report = next(m for m in found if m.startswith("A report by Harlow Academy"))
    assert found[report] == "03-report-varno-smuggling.pdf"


def test_a_description_with_no_single_good_candidate_stays_unresolved(run_json, db_path):
    run_json("add", *ALL)
    # two 2008 cables fit "a leaked 2008 State Department cable" and nothing says which
    assert resolved(db_path)["A leaked 2008 State Department cable"] is None


def test_citations_json_contract(run_json):
    [story] = [r for r in run_json("add", *ALL) if r["input"].endswith("story-orsova-post.html")]
    rows = run_json("citations", "--source", story["source_id"])
    assert rows and all(CITATION_KEYS <= set(r) for r in rows)
    assert {r["citing_source_id"] for r in rows} == {story["source_id"]}
    shown = run_json("show", story["source_id"])
    for row in rows:
        assert shown["text"][row["start"] : row["end"]] == row["mention"]
        assert (row["cited_source_id"] is None) == (row["confidence"] is None)


def test_unresolved_filter(run_json):
    run_json("add", *ALL)
    rows = run_json("citations", "--unresolved")
    assert rows and all(r["cited_source_id"] is None for r in rows)


def test_a_link_resolves_by_url(run_json, web, db_path):
    report = (CITATIONS / "03-report-varno-smuggling.pdf").read_bytes()
    web.file("/ccs/varno-2008.pdf", report, "application/pdf")
    story = STORY.read_text().replace("REPORT_URL", web.url("/ccs/varno-2008.pdf"))
    web.file("/2009/06/15/varno.html", story.encode())
    run_json("add", web.url("/2009/06/15/varno.html"))  # the story first: it waits for the report
    run_json("add", web.url("/ccs/varno-2008.pdf"))
    conn = sqlite3.connect(db_path)
    kind, confidence, cited = conn.execute(
        "SELECT c.kind, c.confidence, t.kind FROM citations c JOIN sources t ON t.id = c.cited_source_id"
        " WHERE c.mention = 'the academy''s website'"
    ).fetchone()
    assert (kind, confidence, cited) == ("link", 1.0, "pdf")


def test_evidence_says_what_decided(run_json, db_path):
    run_json("add", *ALL)
    conn = sqlite3.connect(db_path)
    evidence = json.loads(
        conn.execute(
            "SELECT evidence FROM citations WHERE mention = 'An embassy cable sent that spring'"
        ).fetchone()[0]
    )
    assert "quotation traced" in evidence["signals"]
    assert evidence["constraints"]["date_from"] == "2008-03-01"


def test_attribution_to_a_document_points_at_it(run_json, db_path):
    from .conftest import ROOT

    run_json("add", ROOT / "sources")
    conn = sqlite3.connect(db_path)
    rows = conn.execute(
        "SELECT s.kind FROM attributions a JOIN sources s ON s.id = a.cited_source_id"
        " WHERE a.mention = 'the cable'"
    ).fetchall()
    assert rows and {r[0] for r in rows} == {"cable"}


# --- finding mentions --------------------------------------------------------------------


@pytest.mark.parametrize(
    "text, mention",
    [
        ("A leaked 2008 State Department cable shows it.", "A leaked 2008 State Department cable"),
        ("An October 2005 cable demonstrates the concern.", "An October 2005 cable"),
        ("In one cable, from 2008, officials ask for help.", "one cable, from 2008"),
        ("An embassy cable sent that spring said so.", "An embassy cable sent that spring"),
        (
            "A report by West Harbour's Centre for Maritime Law released later that year found it.",
            "A report by West Harbour's Centre for Maritime Law released later that year",
        ),
        (
            "A cable from the U.S. embassy in Bogota dated February 12, 2010 obtained by reporters, shows it.",
            "A cable from the U.S. embassy in Bogota dated February 12, 2010 obtained by reporters",
        ),
    ],
)
def test_descriptions_of_documents_are_mentions(text, mention):
    found = [m.mention for m in find_mentions(text) if m.kind == "description"]
    assert found == [mention]


@pytest.mark.parametrize(
    "text",
    [
        "According to the cable, the port was closed.",  # an anaphor: attribution handles it
        "Cables from the embassy describe the port.",  # plural: many documents
        "The report says the port was closed.",
    ],
)
def test_bare_or_plural_references_are_not_descriptions(text):
    assert [m for m in find_mentions(text) if m.kind == "description"] == []


def test_identifiers_are_mentions():
    text = "See 08TRIPOLI120, https://example.org/a/report.pdf and doi 10.1234/abc.567."
    kinds = {m.kind: m.identifier for m in find_mentions(text)}
    assert kinds == {
        "cable": "08TRIPOLI120",
        "url": "https://example.org/a/report.pdf",
        "doi": "10.1234/abc.567",
    }


@pytest.mark.parametrize(
    "text, expected",
    [
        ("a 2009 cable", {"kinds": ("cable",), "date_from": "2009-01-01", "date_to": "2009-12-31"}),
        ("the January 2008 cable", {"date_from": "2008-01-01", "date_to": "2008-01-31"}),
        ("the cable dated 30 July 2009", {"date_from": "2009-07-29", "date_to": "2009-07-31"}),
        (
            "In March 2008 the port closed. An embassy cable sent that spring",
            {"date_from": "2008-03-01", "date_to": "2008-05-31"},
        ),
        ("a cable from the U.S. embassy in Bogota", {"origin": "bogota"}),
        ("A cable sent by the US embassy in Tripoli in October 2007", {"origin": "tripoli"}),
        ("A cable from the U.S. Embassy in Tripoli in October 2007", {"origin": "tripoli"}),
        ("A 2008 cable from the U.S. Embassy in Tripoli", {"origin": "tripoli"}),
        ("a cable from the Embassy in Tripoli", {"origin": "tripoli"}),
        ("a cable sent from the US embassy in Tripoli", {"origin": "tripoli"}),
        ("a cable from the Tripoli embassy", {"origin": "tripoli"}),
        (
            "a report by the Centre for Coastal Security",
            {"author": "Centre for Coastal Security", "kinds": None},
        ),
        ("a telegram released by WikiLeaks in 2011", {"date_from": None}),  # the leak's date
        (
            "a cable titled VELMORA: NEW RULES FOR THE NORTHERN QUAY",
            {"title": "VELMORA: NEW RULES FOR THE NORTHERN QUAY", "bare_title": True},
        ),
        (
            "a report entitled Smuggling in the Port of Varno",
            {"title": "Smuggling in the Port of Varno"},
        ),
        (
            'a report titled "Smuggling in Varno"',
            {"title": "Smuggling in Varno", "bare_title": False},
        ),
        ("a cable titled Velmora", {"title": None}),  # one word: not told from the sentence
    ],
)
def test_what_a_description_says(text, expected):
    start = max(text.rfind(". ") + 2, 0) if ". " in text else 0
    target = parse_target(text, start, len(text))
    for key, value in expected.items():
        assert getattr(target, key) == value, key


def test_mention_patterns_live_in_citations():
    from provenance import analysis

    assert analysis.find_mentions is citations.find_mentions


def _page(tmp_path, name, body, head=""):
    path = tmp_path / f"{name}.html"
    path.write_text(
        f"<html><head><meta charset='utf-8'><title>{name}</title>{head}"
        "<meta property='og:type' content='article'></head><body><article>"
        "<p>Invented page written for the provenance test suite; everything in it is fictional.</p>"
        f"{body}</article></body></html>",
        encoding="utf-8",
    )
    return path


def test_a_doi_resolves_to_the_source_it_names(run_json, tmp_path, db_path):
    paper = _page(
        tmp_path,
        "paper",
        "<h1>Silt and cadmium in the outer anchorage</h1><p>We sampled 40 loads of silt in 2009.</p>",
        "<link rel='canonical' href='https://doi.org/10.5555/varno.2009.17'>",
    )
    story = _page(
        tmp_path, "story", "<p>The study (doi:10.5555/varno.2009.17) sampled 40 loads of silt.</p>"
    )
    run_json("add", story, paper)
    conn = sqlite3.connect(db_path)
    kind, cited = conn.execute(
        "SELECT c.kind, t.input FROM citations c JOIN sources t ON t.id = c.cited_source_id"
        " WHERE c.identifier = '10.5555/varno.2009.17'"
    ).fetchone()
    assert kind == "doi" and cited.endswith("paper.html")


def test_a_report_title_resolves(run_json, tmp_path, db_path):
    story = _page(
        tmp_path,
        "story",
        '<p>The academy published a report titled "Smuggling through the Port of Varno, 2008" '
        "that nobody in the ministry read.</p>",
    )
    run_json("add", CITATIONS / "03-report-varno-smuggling.pdf", story)
    found = {
        m: c
        for m, c in sqlite3.connect(db_path).execute(
            "SELECT mention, cited_source_id FROM citations WHERE kind = 'description'"
        )
    }
    [(mention, cited)] = found.items()
    assert "Smuggling through the Port of Varno" in mention and cited == 1


PARTIAL_CABLE = """This record is a partial extract of the original cable. The full text of the
original cable is not available.

C O N F I D E N T I A L VARNO 000231

SIPDIS

E.O. 12958: DECL: 06/02/2019
TAGS: PGOV OV
SUBJECT: ORSOVA: AN INVENTED CABLE FOR THE TEST SUITE

1. (C) The harbour master of Varno resigned on May 30 after a dispute over scanner contracts.
"""


@pytest.mark.parametrize("order", ["cable first", "story first"])
def test_a_cable_that_states_no_year_resolves_by_post_and_serial(
    run_json, tmp_path, db_path, order
):
    cable = tmp_path / "partial.txt"
    cable.write_text(PARTIAL_CABLE, encoding="utf-8")
    story = _page(
        tmp_path,
        "story",
        "<p>A cable, 09VARNO231, said the harbour master resigned after a dispute. Another,"
        " 09VARNO232, is not stored.</p>",
    )
    stored = run_json("add", *([cable, story] if order == "cable first" else [story, cable]))
    [cable_row] = [r for r in stored if r["input"].endswith("partial.txt")]
    conn = sqlite3.connect(db_path)
    assert conn.execute(
        "SELECT reference_id FROM sources WHERE id = ?", (cable_row["source_id"],)
    ).fetchone() == (None,)  # the text states no year, so no reference id is made up
    found = dict(conn.execute("SELECT identifier, cited_source_id FROM citations"))
    assert found["09VARNO231"] == cable_row["source_id"]
    assert found["09VARNO232"] is None
    [(confidence, evidence)] = conn.execute(
        "SELECT confidence, evidence FROM citations WHERE identifier = '09VARNO231'"
    )
    assert confidence < 1 and json.loads(evidence)["matched"] == "post and serial number"


def _harbour_notes(version: str) -> bytes:
    """An invented harbour authority notice; its figure changes between versions."""
    figure = {"v1": "forty", "v2": "sixty"}[version]
    return f"""<!doctype html><html><head><title>Invented notice: Quay works</title></head>
<body><article><h1>Quay works</h1>
<p>The fictional Orsova harbour authority closed the north quay on 3 March for repairs to
the sea wall, which storms damaged in February.</p>
<p>Repairs will take {figure} days, the authority said, and ferries will use the south quay
until the works are finished.</p>
<p>Fishing boats may still land their catch at the north quay before seven in the morning.</p>
</article></body></html>""".encode()


def _story_citing(url: str, published: str | None) -> bytes:
    date = f'<meta property="article:published_time" content="{published}">' if published else ""
    return f"""<!doctype html><html><head><title>Invented story: Ferries move</title>{date}</head>
<body><article><h1>Ferries move to the south quay</h1>
<p>Ferries to the islands now leave from the south quay of the fictional port of Orsova,
according to <a href="{url}">the harbour authority's notice</a>.</p>
<p>The north quay is closed while storm damage to the sea wall is repaired, the notice says,
and the ferry company has added a bus from the station to the south quay.</p>
<p>Passengers said the new boarding point was further from the town centre.</p>
</article></body></html>""".encode()


@pytest.mark.parametrize("published, capture", [(None, 2), ("2001-05-01", 1)])
def test_a_link_resolves_to_the_capture_the_citing_source_could_have_seen(
    run_json, web, db_path, published, capture
):
    notice = web.url("/notices/quay-works.html")
    web.file("/notices/quay-works.html", _harbour_notes("v1"))
    [first] = run_json("add", notice)
    web.file("/notices/quay-works.html", _harbour_notes("v2"))
    [second] = run_json("add", notice)
    assert (first["capture"], second["capture"]) == (1, 2)
    web.file("/stories/ferries.html", _story_citing(notice, published))
    run_json("add", web.url("/stories/ferries.html"))
    conn = sqlite3.connect(db_path)
    (cited,) = conn.execute(
        "SELECT s.capture FROM citations c JOIN sources s ON s.id = c.cited_source_id"
        " WHERE c.mention = 'the harbour authority''s notice'"
    ).fetchone()
    # Undated, the story was retrieved after both captures: it saw the latest. Dated before
    # any capture, the earliest is the closest the archive holds.
    assert cited == capture


_ANCHOR_CHARS = st.sampled_from(
    ["a", "b", "ab", "É", " ", "\n", "\u00a0", "\u2009", "(", ")", "’", "-", "9"]
)


@settings(max_examples=500, deadline=None)
@given(
    st.lists(_ANCHOR_CHARS, max_size=40).map("".join),
    st.lists(_ANCHOR_CHARS, min_size=1, max_size=8).map("".join),
    st.integers(0, 6),
)
def test_anchor_words_are_found_where_the_pattern_finds_them(text, anchor, start):
    # An anchor's words are looked for with any whitespace (Unicode's too) or none between
    # them, from the cursor on: the first span a regular expression of them would find.
    words = re.findall(r"\w+(?:['’]\w+)*|[^\w\s]", anchor)
    if not words:
        return
    expected = re.compile(r"\s*".join(re.escape(w) for w in words)).search(text, start)
    assert citations.find_words(text, words, start) == (expected and expected.span())


def test_a_link_mention_spans_its_anchor_text_across_a_line_break():
    text = "Read the\nState Department's  statement of\u00a0Monday, and more."
    found = citations.link_mentions(
        [("https://example.org/a", "State Department's statement of Monday")], text, None
    )
    assert [(m.start, m.end, m.mention) for m in found] == [
        (9, 48, "State Department's  statement of\u00a0Monday")
    ]
    assert text[found[0].start : found[0].end] == found[0].mention


def test_a_link_to_the_page_itself_is_no_citation(run_json, tmp_path, db_path):
    """The headline links to the story's own address (with a fragment, another scheme and a
    trailing slash); the story also links to another outlet's page. Only that one is cited."""
    page = tmp_path / "story.html"
    page.write_text(
        """<!DOCTYPE html><html lang="en"><head><meta charset="utf-8">
<title>Harbour dues frozen</title>
<link rel="canonical" href="https://ledger.example/2012/harbour-dues">
</head><body><article>
<h1><a href="http://ledger.example/2012/harbour-dues/#top">Harbour dues frozen</a></h1>
<p>This is an invented story written for the provenance test suite.</p>
<p>The port authority froze dues for fishing boats, <a href="https://courier.example/dues">the
Bay Courier reported</a> on Monday, and said revenue rose 12 percent last year.</p>
<p><a href="https://ledger.example/2012/harbour-dues">Share this story</a> with a friend.</p>
</article></body></html>"""
    )
    run_json("add", page)
    rows = sqlite3.connect(db_path).execute("SELECT identifier FROM citations").fetchall()
    assert ("https://courier.example/dues",) in rows
    assert not [r for r in rows if "ledger.example" in (r[0] or "")]


LINKING_STORY = (
    '<html><head><title>What the cable says | Courier (invented outlet)</title><meta property="'
    'article:published_time" content="2011-05-02T08:00:00Z"></head><body><article>'
    "<h1>What the cable says</h1><p>An invented story for the provenance tests about the"
    ' harbour and its fleet of trawlers.</p><p>According to <a href="{link}">a cable from'
    " the embassy</a>, the fleet was seized in March, officials said.</p></article></body>"
    "</html>"
)


@pytest.mark.parametrize("crawled", [False, True], ids=["page", "page-in-a-crawl"])
@pytest.mark.parametrize(
    "link",
    [
        "https://wikileaks.org/plusd/cables/08VELMORA112_a.html",
        "https://wikileaks.org/cable/2008/03/08VELMORA112.html",
    ],
    ids=["plusd", "cablegate"],
)
def test_a_link_to_a_cable_cites_it_in_a_page_and_in_a_crawl(
    run_json, db_path, tmp_path, crawled, link
):
    """A hyperlink to the cable's page at WikiLeaks (PlusD's "_a" copy or Cablegate's) cites
    the cable, in a page added alone and in a page of a web capture alike."""
    from .test_captures import _warc

    page = LINKING_STORY.format(link=link).encode()
    if crawled:
        story = _warc(
            tmp_path / "crawl.warc.gz",
            ("https://courier.example/cable", "2011-05-02T09:00:00Z", page),
        )
    else:
        story = tmp_path / "story.html"
        story.write_bytes(page)
    from .conftest import ROOT

    run_json("add", ROOT / "sources" / "02-cable-08VELMORA112.txt", story)
    conn = sqlite3.connect(db_path)
    rows = conn.execute(
        "SELECT s.reference_id, c.confidence FROM citations c JOIN sources s"
        " ON s.id = c.cited_source_id WHERE c.kind = 'link'"
    ).fetchall()
    assert rows == [("08VELMORA112", 0.9)]
