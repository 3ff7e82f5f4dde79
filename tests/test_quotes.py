"""Quotations traced to the exact span they quote, with their differences from the original.

The fixtures in tests/linking_fixtures/quotes are invented: a cable, a report (PDF) with a
sentence broken by a page number and a running head, a story quoting both with editorial
brackets, an ellipsis, nested quote marks, names spelled another way and three planted
misquotes, a blog with a look-alike passage, and a blog quoting the story's quotation.
``quotes-expected.json`` says what must be found.
"""

import json
import sqlite3
from pathlib import Path

import pytest

from provenance import alignment

HERE = Path(__file__).parent / "linking_fixtures"
QUOTES = HERE / "quotes"
EXPECTED = json.loads((HERE / "quotes-expected.json").read_text(encoding="utf-8"))["quotes"]
ORIGINALS_FIRST = sorted(p.name for p in QUOTES.iterdir())
STORIES_FIRST = [
    "03-story-tessaly-courier.html",
    "05-blog-tidings.txt",
    "04-blog-harbourwatch.txt",
    "01-cable-10TESSALY88.txt",
    "02-report-harbour-review.pdf",
]


def _traced(run_json, db_path, order):
    run_json("add", *[QUOTES / name for name in order])
    conn = sqlite3.connect(db_path)
    files = {
        source_id: Path(path).name
        for source_id, path in conn.execute("SELECT id, input FROM sources")
    }
    texts = dict(conn.execute("SELECT id, text FROM sources"))
    rows = conn.execute(
        "SELECT source_id, text, traced_source_id, traced_start, traced_end, traced_text,"
        " differences, trace_score FROM quotes"
    ).fetchall()
    links = conn.execute(
        "SELECT a.text, b.text, l.score FROM claim_links l JOIN claims a ON a.id = l.claim_id"
        " JOIN claims b ON b.id = l.other_claim_id WHERE l.relation = 'quotes'"
    ).fetchall()
    return files, texts, rows, links


@pytest.fixture(scope="module", params=["originals first", "stories first"])
def traced(request, tmp_path_factory):
    """The fixtures added in two orders: tracing works from both ends."""
    from click.testing import CliRunner

    from provenance.cli import cli

    db_path = tmp_path_factory.mktemp("quotes") / "quotes.db"
    order = ORIGINALS_FIRST if request.param == "originals first" else STORIES_FIRST
    runner = CliRunner()

    def run_json(*args):
        result = runner.invoke(cli, [*map(str, args), "--db", str(db_path), "--json"])
        assert result.exit_code == 0, result.output
        return json.loads(result.stdout)

    return _traced(run_json, db_path, order)


def _find(traced, case):
    files, texts, rows, _ = traced
    found = [r for r in rows if files[r[0]] == case["in"] and r[1].startswith(case["quote"])]
    assert len(found) == 1, f"quotation not extracted once: {case['quote']!r}"
    return files, texts, found[0]


@pytest.mark.parametrize("case", EXPECTED, ids=[c["case"] for c in EXPECTED])
def test_quotation_is_traced_to_the_span_it_quotes(traced, case):
    files, texts, row = _find(traced, case)
    _, _, traced_to, start, end, traced_text, _, _ = row
    if case["traced_to"] is None:
        assert traced_to is None, f"linked to a look-alike in {files.get(traced_to)}"
        return
    assert files.get(traced_to) == case["traced_to"]
    assert traced_text == case["original"]
    assert texts[traced_to][start:end] == traced_text  # offsets index the original's text layer


@pytest.mark.parametrize("case", [c for c in EXPECTED if c["traced_to"]], ids=lambda c: c["case"])
def test_differences_from_the_original_are_reported(traced, case):
    files, texts, row = _find(traced, case)
    source_id, quote, traced_to, _, _, _, differences, score = row
    differences = json.loads(differences)
    got = [(d["type"], d["quote"], d["original"], d["editorial"]) for d in differences]
    wanted = [(d["type"], d["quote"], d["original"], d["editorial"]) for d in case["differences"]]
    assert got == wanted
    assert any(not d["editorial"] for d in differences) == case["misquote"]
    assert (score < 0.99) == case["misquote"]
    for d in differences:  # offsets of each difference point at the words it names
        assert quote[d["quote_start"] : d["quote_end"]] == d["quote"]
        assert texts[traced_to][d["original_start"] : d["original_end"]] == d["original"]


def test_the_quoting_claim_is_linked_to_the_claim_it_quotes(traced):
    *_, links = traced
    pairs = [(a, b) for a, b, _ in links]
    assert any(
        "[Kadduri] said the harbour" in a and b.startswith("He said the harbour") for a, b in pairs
    )
    # a misquote links too, with its lower score
    assert any("45 percent" in a and "38 percent" in b and score < 1 for a, b, score in links)


@pytest.mark.parametrize(
    "quote, original, kinds",
    [
        ("[Omar] said the port would close", "He said the port would close", ["bracket"]),
        ("the GOB [Government of Brazil] will pay for it", "the GOB will pay for it", ["bracket"]),
        ("(T)he port was closed on Monday", "THE PORT WAS CLOSED ON MONDAY", []),
        (
            "the port . . . was closed on Monday",
            "the port of Varno was closed on Monday",
            ["ellipsis"],
        ),
        (
            "the port [...] was closed on Monday",
            "the port of Varno was closed on Monday",
            ["ellipsis"],
        ),
        (
            "Muammar al-Gaddafi was not at the meeting",
            "Muammar al-Qadhafi was not at the meeting",
            ["spelling"],
        ),
        ("the port was closed on Tuesday", "the port was closed on Monday", ["changed"]),
        ("the port was closed on Monday night", "the port was closed on Monday", ["added"]),
        ("the port was closed on Monday", "the port was abruptly closed on Monday", ["omitted"]),
        ("the USG (U.S. government) will pay for it", "the USG will pay for it", ["bracket"]),
        ("the figures we gave were ‘never honest’", 'the figures we gave were "never honest"', []),
    ],
)
def test_editorial_conventions(quote, original, kinds):
    found = alignment.locate(quote, original)
    assert found is not None
    assert [d["type"] for d in found.differences] == kinds
    editorial = {"bracket", "ellipsis", "spelling"}
    assert found.misquoted == any(k not in editorial for k in kinds)


def test_words_broken_at_a_line_end_are_joined():
    original = "THE NAVY HAS NOT AGREED TO THE JURIS-\nDICTION OF THE HARBOUR AUTHORITY"
    found = alignment.locate("the navy has not agreed to the jurisdiction of the harbour", original)
    assert found is not None and found.differences == []
    assert original[found.start : found.end].endswith("HARBOUR")


def test_page_furniture_inside_the_original_is_not_an_omission():
    original = (
        "Silt from the anchorage contained cadmium at levels\nPage 4 of 9\n"
        "three times the national limit in every sample."
    )
    furniture = alignment.furniture_lines(original)
    found = alignment.locate(
        "Silt from the anchorage contained cadmium at levels three times the national limit",
        original,
        furniture,
    )
    assert found is not None and found.differences == [] and found.score == 1.0


def test_a_passage_that_differs_in_many_words_is_not_the_original():
    original = "The minister said the harbour would close in May once the dredging was halted."
    quote = "the minister said the harbour will close for good in May after dredging"
    assert alignment.locate(quote, original) is None


TITLE_STORY = """<html><head><title>Patrol boats seen near the reef | The Coastline Courier</title>
<meta name="author" content="Ada Pell">
<meta property="article:published_time" content="2024-03-02T10:00:00Z"></head>
<body><article><h1>Patrol boats seen near the reef</h1>
<p>An invented story written for the provenance test suite.</p>
<p>Fishermen say patrol boats crossed into the northern fishing grounds twelve times.</p>
<p>The figure appears in a report titled "Fishing Fleet Incursions in the Gulf of Velmora" that
circulated among harbour officials this week.</p>
</article></body></html>"""


@pytest.mark.parametrize("story_first", [True, False], ids=["story-first", "report-first"])
def test_a_quoted_title_in_capitals_is_traced_whichever_arrives_first(
    run_json, db_path, tmp_path, story_first
):
    """A quotation of nothing but names (a title) is looked for by its names: the report it
    names is found when the story comes after it, as when it comes before."""
    from .conftest import ROOT

    story = tmp_path / "story.html"
    story.write_text(TITLE_STORY, encoding="utf-8")
    report = ROOT / "sources" / "01-meridian-report-gulf-incursions.pdf"
    for path in (story, report) if story_first else (report, story):
        run_json("add", path)
    conn = sqlite3.connect(db_path)
    [(traced, title)] = conn.execute(
        "SELECT q.traced_source_id, s.title FROM quotes q LEFT JOIN sources s"
        " ON s.id = q.traced_source_id WHERE q.text LIKE 'Fishing Fleet%'"
    ).fetchall()
    assert title == "Fishing Fleet Incursions in the Gulf of Velmora, 2007"
    [confidence] = conn.execute("SELECT confidence FROM citations").fetchone()
    assert confidence >= 0.9  # the traced title is evidence beside the title's words
