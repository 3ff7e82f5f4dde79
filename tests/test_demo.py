"""The shipped sample sources: the demo the README runs."""

import sqlite3

import pytest

from .conftest import ROOT


@pytest.fixture
def demo(run_json, db_path):
    results = run_json("add", ROOT / "sources")
    return results, sqlite3.connect(db_path)


def test_samples_cover_all_four_kinds(demo):
    results, _ = demo
    assert {r["kind"] for r in results} == {"pdf", "cable", "html", "post"}
    assert sum(r["kind"] == "post" for r in results) == 3


def test_samples_are_marked_as_invented(demo):
    _, conn = demo
    for (raw,) in conn.execute("SELECT content FROM blobs"):
        assert b"invented" in raw or b"fictional" in raw.lower()


def test_the_article_cites_the_cable_by_reference_id(demo):
    _, conn = demo
    cited = conn.execute(
        "SELECT s.reference_id FROM citations c JOIN sources s ON s.id = c.cited_source_id"
        " WHERE c.identifier = '08VELMORA112'"
    ).fetchall()
    assert cited == [("08VELMORA112",)]


def test_the_cables_quote_traces_to_the_report(demo):
    _, conn = demo
    traced = conn.execute(
        "SELECT s.kind FROM quotes q JOIN sources s ON s.id = q.traced_source_id"
        " WHERE q.text LIKE 'We watch them on radar%'"
    ).fetchall()
    assert ("cable",) in traced


def test_the_blog_repeats_a_claim_of_the_article(demo):
    _, conn = demo
    links = conn.execute(
        "SELECT a.kind, b.kind FROM claim_links l JOIN claims ca ON ca.id = l.claim_id"
        " JOIN claims cb ON cb.id = l.other_claim_id JOIN sources a ON a.id = ca.source_id"
        " JOIN sources b ON b.id = cb.source_id WHERE l.relation = 'same'"
    ).fetchall()
    assert ("post", "html") in links
