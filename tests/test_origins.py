"""Where they got it: works and renditions, time's arrow, descriptions resolved by evidence,
agents that follow the story, and ``trace`` reading the stored traces (issue 13).

The fixtures in tests/origins_fixtures are invented, written for this suite: two cables of
February 2008 from an embassy in the fictional Velmora, a story of 2011 by the fictional Harbour
Ledger that quotes the first one, a plain-text copy of that story, and a reprint of it under
another headline by the fictional Tidewater Courier.
"""

import json
import sqlite3
from pathlib import Path

import pytest

from provenance import alignment, linking, works
from provenance.agents import agent_name, is_date

ORIGINS = Path(__file__).parent / "origins_fixtures"
CABLE = ORIGINS / "01-cable-08VELMORA12.txt"
OTHER_CABLE = ORIGINS / "02-cable-08VELMORA30.txt"
STORY = ORIGINS / "03-story-harbour-ledger.html"
COPY = ORIGINS / "04-story-harbour-ledger-copy.txt"
REPRINT = ORIGINS / "05-reprint-tidewater-courier.html"
ORDERS = {
    "cables first": [CABLE, OTHER_CABLE, STORY, COPY, REPRINT],
    "copy first": [COPY, CABLE, STORY, OTHER_CABLE, REPRINT],
    "cables last": [REPRINT, COPY, STORY, CABLE, OTHER_CABLE],
}


@pytest.fixture(params=list(ORDERS))
def added(request, run_json, db_path) -> dict[str, int]:
    """The fixtures added in each order; their source ids by file name."""
    rows = run_json("add", *ORDERS[request.param])
    return {Path(r["input"]).name: r["source_id"] for r in rows}


def _conn(db_path) -> sqlite3.Connection:
    return sqlite3.connect(db_path)


def test_a_story_its_plain_text_copy_and_its_reprint_are_one_work(added, db_path):
    conn = _conn(db_path)
    story, copy, reprint = (added[p.name] for p in (STORY, COPY, REPRINT))
    work = dict(conn.execute("SELECT id, work_id FROM sources"))
    # the earliest-known rendition names the work: the story, published before the reprint
    assert work[story] == work[copy] == work[reprint] == story
    assert work[added[CABLE.name]] == added[CABLE.name]  # a cable is a work of its own
    methods = {r[0] for r in conn.execute("SELECT method FROM renditions")}
    assert methods == {works.METHOD}


def test_renditions_never_cite_quote_or_repeat_each_other(added, db_path):
    conn = _conn(db_path)
    mine = [added[p.name] for p in (STORY, COPY, REPRINT)]
    marks = ",".join("?" * len(mine))
    assert not conn.execute(
        f"SELECT 1 FROM citations WHERE citing_source_id IN ({marks})"
        f" AND cited_source_id IN ({marks})",
        mine * 2,
    ).fetchall()
    assert not conn.execute(
        f"SELECT 1 FROM quotes WHERE source_id IN ({marks}) AND traced_source_id IN ({marks})",
        mine * 2,
    ).fetchall()
    assert not conn.execute(
        f"SELECT 1 FROM claim_links l JOIN claims a ON a.id = l.claim_id"
        f" JOIN claims b ON b.id = l.other_claim_id"
        f" WHERE a.source_id IN ({marks}) AND b.source_id IN ({marks})",
        mine * 2,
    ).fetchall()


def test_a_cable_never_quotes_a_later_story(added, db_path):
    # The cable puts the traders' words in quotation marks; the 2011 story and its copies
    # repeat them, but a 2008 cable cannot have taken them from a 2011 story.
    conn = _conn(db_path)
    traced = conn.execute(
        "SELECT traced_source_id FROM quotes WHERE source_id = ? AND traced_source_id IS NOT NULL",
        (added[CABLE.name],),
    ).fetchall()
    assert traced == []


def test_quotations_are_traced_to_the_earlier_cable_with_the_rule_that_decided(added, db_path):
    conn = _conn(db_path)
    rules = dict(
        conn.execute(
            "SELECT source_id, group_concat(DISTINCT trace_rule) FROM quotes"
            " WHERE traced_source_id = ? GROUP BY source_id",
            (added[CABLE.name],),
        )
    )
    assert rules[added[STORY.name]] == works.EARLIER_RULE
    assert rules[added[REPRINT.name]] == works.EARLIER_RULE
    # the undated copy is dated by its work once the story is known
    assert rules[added[COPY.name]] in (works.EARLIER_RULE, works.UNDATED_RULE)


def test_times_arrow():
    assert works.time_rule("2011-03-02T09:00:00Z", "2008-02-14") == works.EARLIER_RULE
    assert works.time_rule("2008-02-14", "2011-03-02") is None
    assert works.time_rule(None, "2011-03-02") == works.UNDATED_RULE
    assert works.time_rule("2008-01-01", "2008-06-30") == works.EARLIER_RULE  # a year alone


def test_times_arrow_reads_times_in_their_zones():
    """20:00 on 1 July in California is 04:00 on 2 July in London, and a story of 09:00 is not
    drawn from one of 15:00 the same day; a date without a time (or a time without its zone)
    still allows the same day."""
    london, california = "2012-07-02T01:00:00+01:00", "2012-07-01T20:00:00-07:00"
    assert works.time_rule(california, london) == works.EARLIER_RULE
    assert works.time_rule(london, california) is None
    assert works.time_rule("2012-05-01T09:00:00Z", "2012-05-01T15:00:00Z") is None
    assert (
        works.time_rule("2012-05-01T15:00:00+00:00", "2012-05-01T09:00:00Z") == works.EARLIER_RULE
    )
    assert works.time_rule("2012-05-01", "2012-05-01T15:00:00Z") == works.EARLIER_RULE
    assert works.time_rule("2012-05-01T09:00:00", "2012-05-01T15:00:00") == works.EARLIER_RULE
    assert works.time_rule("2012-07-02", california) == works.EARLIER_RULE  # 2 July in UTC


def _dated_story(outlet: str, published: str, headline: str) -> str:
    return f"""<!DOCTYPE html><html lang="en"><head><meta charset="utf-8"><title>{headline}</title>
<script type="application/ld+json">{{"@type": "NewsArticle", "headline": "{headline}",
"datePublished": "{published}", "publisher": {{"@type": "Organization", "name": "{outlet}"}}}}
</script></head><body><article><h1>{headline}</h1>
<p>This is an invented story written for the provenance test suite; {outlet} is fictional.</p>
<p>The defence minister of Velmora said on Sunday: "We will not send a single soldier across
the river until the talks have failed." Officials in the capital confirmed the position.</p>
<p>{outlet} reported that talks between the two delegations would resume on Tuesday.</p>
</article></body></html>"""


def test_times_in_other_zones_never_make_the_later_story_the_origin(run_json, tmp_path, db_path):
    """The London story (00:00 UTC) is first; the California one (03:00 UTC the next day, but
    dated 1 July where it was written) quotes the same words later."""
    london = tmp_path / "london.html"
    london.write_text(
        _dated_story(
            "The Thames Ledger", "2012-07-02T01:00:00+01:00", "Minister rules out crossing"
        )
    )
    california = tmp_path / "california.html"
    california.write_text(
        _dated_story("The Bay Courier", "2012-07-01T20:00:00-07:00", "No troops across the river")
    )
    ids = {Path(r["input"]).name: r["source_id"] for r in run_json("add", london, california)}
    found = run_json(
        "who", "we will not send a single soldier across the river until the talks have failed"
    )
    sources = [row["source_id"] for row in found]
    assert sources.index(ids["london.html"]) < sources.index(ids["california.html"])
    traced = (
        _conn(db_path)
        .execute(
            "SELECT source_id, traced_source_id FROM quotes WHERE traced_source_id IS NOT NULL"
        )
        .fetchall()
    )
    assert (ids["california.html"], ids["london.html"]) in traced  # the later quotes the first
    assert (ids["london.html"], ids["california.html"]) not in traced
    [(first_claim,)] = _conn(db_path).execute(
        "SELECT id FROM claims WHERE source_id = ? AND text LIKE '%single soldier%'",
        (ids["london.html"],),
    )
    steps = [(s["relation"], s["source_id"]) for s in run_json("trace", first_claim)]
    assert ("repeats", ids["california.html"]) not in steps  # not from a story written later
    from datasette.utils import escape_fts

    from provenance.datasette.config import queries

    conn = _conn(db_path)
    conn.create_function("escape_fts", 1, escape_fts)  # as Datasette registers it
    site = conn.execute(
        queries()["who_reported_first"]["sql"], {"text": "soldier across the river"}
    )
    first = [row[3] for row in site]  # the stored query of the site: source ids, first first
    assert first.index(ids["london.html"]) < first.index(ids["california.html"])
    from provenance import evidence  # the appearances of a claim (the ClaimReview export)

    [(claim_id,)] = conn.execute(
        "SELECT id FROM claims WHERE source_id = ? AND text LIKE '%single soldier%'",
        (ids["california.html"],),
    ).fetchall()
    reports = [r["source_id"] for r in evidence.reports(conn, claim_id)]
    assert reports.index(ids["london.html"]) < reports.index(ids["california.html"])
    view = conn.execute(  # the site's view, sorted as its description says
        "SELECT other_source_id FROM claim_reports WHERE other_text LIKE '%single soldier%'"
        " ORDER BY other_moment"
    ).fetchall()
    assert [r[0] for r in view][:1] == [ids["london.html"]]


@pytest.mark.parametrize("reprint_first", [True, False])
def test_a_work_is_filed_under_its_earliest_rendition_by_the_moment(
    run_json, tmp_path, db_path, reprint_first
):
    """The original (01:00 on 11 May in Berlin, 23:00 UTC on the 10th) and a reprint dated the
    10th in Chicago but two hours later: the work is the original's, whatever the order."""
    original = tmp_path / "original.html"
    original.write_text(
        _dated_story("The Spree Ledger", "2011-05-11T01:00:00+02:00", "Minister rules out crossing")
    )
    reprint = tmp_path / "reprint.html"
    reprint.write_text(
        _dated_story(
            "The Lakeside Gazette", "2011-05-10T20:00:00-05:00", "Minister rules out crossing"
        )
    )
    order = [reprint, original] if reprint_first else [original, reprint]
    ids = {Path(r["input"]).name: r["source_id"] for r in run_json("add", *order)}
    works = dict(_conn(db_path).execute("SELECT id, work_id FROM sources"))
    assert works[ids["reprint.html"]] == works[ids["original.html"]] == ids["original.html"]


@pytest.mark.parametrize("copy_first", [True, False])
def test_quotes_trace_alike_whichever_is_added_first(run_json, tmp_path, copy_first):
    """An undated text copy of a story quotes the cable's words; the cable itself quotes the
    harbour police. Added in either order, in two commands: the copy's quotations trace to the
    cable, and the cable's to nothing (an undated copy that also only quotes the words is not
    where the cable got them)."""
    copy, cable = ORIGINS / "04-story-harbour-ledger-copy.txt", ORIGINS / "01-cable-08VELMORA12.txt"
    db = tmp_path / "order.db"
    for path in [copy, cable] if copy_first else [cable, copy]:
        run_json("add", path, "--db", db)
    conn = _conn(db)
    kinds = dict(conn.execute("SELECT id, kind FROM sources"))
    traced = {
        (kinds[quoting], text, kinds.get(origin))
        for quoting, text, origin in conn.execute(
            "SELECT source_id, text, traced_source_id FROM quotes"
        )
    }
    assert {k for k in traced if k[0] == "text"} == {
        (k[0], k[1], "cable") for k in traced if k[0] == "text"
    }
    assert len([k for k in traced if k[0] == "text"]) == 3
    assert {k[2] for k in traced if k[0] == "cable"} == {None}


def _loops(pairs: set[tuple[int, int]]) -> list[int]:
    """The sources from which following traced quotations leads back to themselves."""
    after: dict[int, set[int]] = {}
    for quoting, traced in pairs:
        after.setdefault(quoting, set()).add(traced)
    looping = []
    for start in after:
        seen, todo = set(), list(after[start])
        while todo:
            here = todo.pop()
            if here == start:
                looping.append(start)
                break
            if here not in seen:
                seen.add(here)
                todo += after.get(here, ())
    return looping


@pytest.mark.parametrize("order", [(0, 1, 2), (2, 1, 0), (1, 2, 0)])
def test_stories_of_the_same_day_are_never_each_others_origin(run_json, tmp_path, db_path, order):
    """Three stories of the same day (no times) quote the minister's words: time's arrow allows
    each to draw on the others, but the traced quotations never lead in a circle, in whatever
    order they are added, and the first added is the one the others are traced to."""
    outlets = ["The Thames Ledger", "The Bay Courier", "The Harbour Post"]
    paths = []
    for position in order:
        path = tmp_path / f"story{position}.html"
        path.write_text(_dated_story(outlets[position], "2012-07-02", f"Crossing {position}"))
        paths.append(path)
    ids = [r["source_id"] for r in run_json("add", *paths)]
    assert len(ids) == 3
    pairs = set(
        _conn(db_path).execute(
            "SELECT source_id, traced_source_id FROM quotes WHERE traced_source_id IS NOT NULL"
        )
    )
    assert {(ids[1], ids[0]), (ids[2], ids[0])} <= pairs  # the later repeat the first stored
    assert _loops(pairs) == []
    links = set(
        _conn(db_path).execute(
            "SELECT c.source_id, o.source_id FROM claim_links l JOIN claims c ON c.id = l.claim_id"
            " JOIN claims o ON o.id = l.other_claim_id WHERE l.relation = 'quotes'"
        )
    )
    assert _loops(links) == []


@pytest.mark.parametrize(
    "value",
    ["2012-07-01T20:00:00-07:00", "2012-07-02T01:00:00+01:00", "2012-05-01T09:00:00.250Z",
     "2012-07-01T20:00-07:00", "2012-05-01", "2008", "2012-05-01T09:00:00", None, "", "soon",
     "2012-07-01 20:00:00-07:00", "2012-07-01T20:00:00+0100", "2012-07-01T20:00:00z"],
)  # fmt: skip
def test_dates_sort_alike_in_python_and_in_sql(value):
    from provenance.moments import moment, moment_sql

    sql = _conn(":memory:").execute(f"SELECT {moment_sql('x')} FROM (SELECT ? AS x)", (value,))
    assert sql.fetchone()[0] == moment(value)


def _citation(conn, source_id: int, mention: str) -> tuple[int | None, dict]:
    cited, evidence = conn.execute(
        "SELECT cited_source_id, evidence FROM citations WHERE citing_source_id = ?"
        " AND mention LIKE ?",
        (source_id, mention + "%"),
    ).fetchone()
    return cited, json.loads(evidence)


def test_a_description_is_resolved_by_the_quotations_that_follow_it(added, db_path):
    conn = _conn(db_path)
    for name in (STORY.name, REPRINT.name):
        cited, evidence = _citation(conn, added[name], "Another cable from February 2008")
        assert cited == added[CABLE.name]
        assert "quotation traced" in evidence["signals"]
        assert evidence["candidates"][0]["source_id"] == cited


def test_an_unresolved_description_stores_its_candidates_and_why(added, db_path):
    conn = _conn(db_path)
    cited, evidence = _citation(conn, added[REPRINT.name], "A leaked 2008 State Department cable")
    assert cited is None
    assert evidence["unresolved"].startswith("unresolved:")
    assert {c["source_id"] for c in evidence["candidates"]} <= {
        added[CABLE.name],
        added[OTHER_CABLE.name],
    }
    assert evidence["candidates"]


def test_every_citation_has_evidence(added, db_path):
    conn = _conn(db_path)
    assert not conn.execute("SELECT mention FROM citations WHERE evidence IS NULL").fetchall()


def test_the_cable_points_at_the_document_it_refers_back_to(added, db_path):
    conn = _conn(db_path)
    cited = conn.execute(
        "SELECT cited_source_id FROM attributions WHERE source_id = ? AND mention = 'the cable'",
        (added[STORY.name],),
    ).fetchone()[0]
    assert cited == added[CABLE.name]


def test_a_date_is_never_an_agent(added, db_path):
    names = {r[0] for r in _conn(db_path).execute("SELECT name FROM agents")}
    assert not any(is_date(n) for n in names)
    assert "February 2008" not in names


@pytest.mark.parametrize(
    "mention", ["February 2008", "Saturday", "the 18 February 2009", "last week", "2008"]
)
def test_dates_name_no_agent(mention):
    assert is_date(mention) and agent_name(mention) == ""


@pytest.mark.parametrize("mention", ["Theresa May", "May", "the cable", "Anton Revel"])
def test_names_are_not_dates(mention):
    assert not is_date(mention)


def test_trace_shows_the_stored_quote_trace(added, db_path):
    conn = _conn(db_path)
    story = added[STORY.name]
    for quote_start, quote_end, traced in conn.execute(
        "SELECT start, end, traced_source_id FROM quotes WHERE source_id = ?"
        " AND traced_source_id IS NOT NULL",
        (story,),
    ).fetchall():
        claim = conn.execute(
            "SELECT id FROM claims WHERE source_id = ? AND start < ? AND end > ?",
            (story, quote_end, quote_start),
        ).fetchone()
        if claim is None:
            continue
        steps = linking.trace(conn, claim[0])
        assert any(s["relation"] == "quotes" and s["source_id"] == traced for s in steps)
        assert not any(s["relation"] == "repeats" for s in steps)


def test_quotations_that_continue_after_the_cue_carry_its_attribution(added, db_path):
    conn = _conn(db_path)
    story = added[STORY.name]
    carried = conn.execute(
        "SELECT c.text, a.cited_source_id FROM attributions a JOIN claims c ON c.id = a.claim_id"
        " WHERE a.source_id = ? AND a.mention = 'the cable' ORDER BY c.start",
        (story,),
    ).fetchall()
    texts = [t for t, _ in carried]
    assert any(t.startswith('"He collects a tithe') for t in texts)
    assert any(t.startswith("The harbour police") for t in texts)
    assert {cited for _, cited in carried} == {added[CABLE.name]}


ORIGINAL = "The envoy said that the head the mission met the minister and signed 12 contracts."


def test_fixing_an_evident_slip_of_the_original_is_editorial():
    found = alignment.locate("the head of the mission met the minister", ORIGINAL, [])
    assert found is not None and not found.misquoted
    [added] = found.differences
    assert added["type"] == "added" and added["editorial"] and added["note"] == "slip fixed"


@pytest.mark.parametrize("changed", ["signed 15 contracts", "the head of the embassy met"])
def test_a_changed_number_or_name_is_still_a_misquote(changed):
    quote = {
        "signed 15 contracts": "the head of the mission met the minister and signed 15 contracts",
        "the head of the embassy met": "the head of the embassy met the minister and signed 12",
    }[changed]
    found = alignment.locate(quote, ORIGINAL, [])
    assert found is not None and found.misquoted


REFERS_BACK = """<html><head><title>Night cargo - The Quayside Gazette</title>
<meta property="article:published_time" content="2011-05-10T08:00:00+00:00"></head><body>
<article><h1>Night cargo</h1>
<p>This story is invented for the provenance test suite; the newspaper is fictional.</p>
<p>A cable sent from Velmora in February 2008 worried about the northern quay.</p>
<p>Traders have complained about the quay for years, and the port authority has not replied.</p>
<p>The grain traders, says the cable, posted on a leaks website, told diplomats that the
harbour police "have not opened a single container since the autumn."</p>
</article></body></html>"""


def test_the_sentences_that_refer_back_bring_their_quotations_as_evidence(
    run_json, db_path, tmp_path
):
    story = tmp_path / "quayside-gazette.html"
    story.write_text(REFERS_BACK, encoding="utf-8")
    rows = run_json("add", CABLE, OTHER_CABLE, story)
    ids = {Path(r["input"]).name: r["source_id"] for r in rows}
    cited, evidence = _citation(_conn(db_path), ids[story.name], "A cable sent from Velmora")
    assert cited == ids[CABLE.name]
    assert "quotation traced" in evidence["signals"]
