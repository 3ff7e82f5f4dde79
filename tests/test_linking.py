"""Claims linked across sources (exact, near-duplicate, paraphrase), `who`, `trace`, the views
Datasette shows, and linking through indexes only."""

import json
import sqlite3
import subprocess
import sys

import pytest
from datasette.app import Datasette
from hypothesis import given, settings
from hypothesis import strategies as st

from provenance import minhash, similarity

from .conftest import ROOT

CLAIM = "The harbour authority said dredging of the outer anchorage will cost 40 percent more than the ministry announced in January."


def page(tmp_path, name, published, *paragraphs, title=None):
    """A news page of an invented outlet, with a publication date."""
    body = "".join(f"<p>{p}</p>" for p in paragraphs)
    html = (
        f"<html><head><meta charset='utf-8'><title>{title or name}</title>"
        f"<meta property='og:type' content='article'>"
        f"<meta property='article:published_time' content='{published}'></head>"
        f"<body><article><h1>{title or name}</h1>"
        f"<p>Invented page written for the provenance test suite; everything in it is fictional.</p>"
        f"{body}</article></body></html>"
    )
    path = tmp_path / f"{name}.html"
    path.write_text(html, encoding="utf-8")
    return path


def text_source(tmp_path, name, *paragraphs):
    path = tmp_path / f"{name}.txt"
    path.write_text(
        "\n\n".join([f"{name} (invented for the provenance test suite)", *paragraphs]),
        encoding="utf-8",
    )
    return path


def links(db_path):
    conn = sqlite3.connect(db_path)
    return conn.execute(
        "SELECT a.text, b.text, l.relation, l.score, l.details FROM claim_links l"
        " JOIN claims a ON a.id = l.claim_id JOIN claims b ON b.id = l.other_claim_id"
        " WHERE l.relation != 'quotes'"
    ).fetchall()


def linked(db_path, first_words, other_words):
    return [
        (relation, score)
        for a, b, relation, score, _ in links(db_path)
        if (first_words in a and other_words in b) or (first_words in b and other_words in a)
    ]


# --- claim links -------------------------------------------------------------------------


@pytest.mark.parametrize(
    "variant, relation",
    [
        (CLAIM, "same"),
        (CLAIM.replace("will cost", "would cost"), "near"),
        (
            CLAIM.replace(
                "outer anchorage will", "outer anchorage\nVARNO 00000041 002 OF 003\nwill"
            ),
            "near",
        ),
        (CLAIM.replace("outer anchorage will", "outer anchorage\nPage 2 of 7\nwill"), "near"),
    ],
    ids=["exact repeat", "changed word", "cable page line inside", "page number inside"],
)
def test_a_restated_claim_links_to_the_original(run_json, tmp_path, db_path, variant, relation):
    run_json("add", text_source(tmp_path, "original", CLAIM))
    run_json("add", text_source(tmp_path, "restated", variant))
    found = linked(db_path, "dredging of the outer anchorage", "dredging of the outer anchorage")
    assert found and found[0][0] == relation


def test_a_paraphrase_links(run_json, tmp_path, db_path):
    run_json(
        "add",
        text_source(
            tmp_path, "wire", "Police said 12 officers were hurt in the clashes on Saturday."
        ),
    )
    run_json(
        "add",
        text_source(
            tmp_path,
            "paper",
            "A dozen officers were injured in Saturday's clashes, according to police.",
        ),
    )
    assert [r for r, _ in linked(db_path, "12 officers", "A dozen officers")] == ["paraphrase"]


def test_a_different_figure_is_not_the_same_claim(run_json, tmp_path, db_path):
    run_json(
        "add",
        text_source(
            tmp_path, "wire", "Police said 12 officers were hurt in the clashes on Saturday."
        ),
    )
    run_json(
        "add",
        text_source(
            tmp_path, "paper", "Police said 15 officers were hurt in the clashes on Saturday."
        ),
    )
    found = [
        (relation, json.loads(details or "{}"))
        for a, b, relation, _, details in links(db_path)
        if "officers" in a and "officers" in b
    ]
    # textually a near-duplicate, but its figure contradicts: flagged, and never clustered
    assert found and all(details.get("conflict") for _, details in found)
    conn = sqlite3.connect(db_path)
    assert conn.execute("SELECT count(*) FROM claim_clusters").fetchone() == (0,)


def test_unrelated_claims_do_not_link(run_json, tmp_path, db_path):
    run_json("add", text_source(tmp_path, "a", CLAIM))
    run_json(
        "add",
        text_source(
            tmp_path, "b", "The fish market in Port Oriel closed early on three days last week."
        ),
    )
    assert links(db_path) == []


def test_clusters_gather_one_claim_across_sources(run_json, tmp_path, db_path):
    run_json("add", text_source(tmp_path, "a", CLAIM))
    run_json("add", text_source(tmp_path, "b", CLAIM))
    run_json("add", text_source(tmp_path, "c", CLAIM.replace("will cost", "would cost")))
    conn = sqlite3.connect(db_path)
    clusters = conn.execute(
        "SELECT cluster_id, count(*) FROM claim_clusters GROUP BY cluster_id"
    ).fetchall()
    assert len(clusters) == 1 and clusters[0][1] == 3
    smallest = conn.execute("SELECT min(claim_id) FROM claim_clusters").fetchone()[0]
    assert clusters[0][0] == smallest
    from provenance.linking import cluster

    members = [r[0] for r in conn.execute("SELECT claim_id FROM claim_clusters ORDER BY claim_id")]
    assert cluster(conn, members[-1]) == members


def test_claim_keys_are_the_same_in_every_process():
    """Band keys are stored: they must not depend on Python's per-process hash seed."""
    code = (
        "from provenance import minhash, similarity;"
        "print(minhash.band_keys([similarity.terms('Police said 12 officers were hurt.')]))"
    )
    outputs = {
        subprocess.run(
            [sys.executable, "-c", code],
            capture_output=True,
            text=True,
            check=True,
            env={"PYTHONHASHSEED": seed, "PATH": ""},
            cwd=ROOT,
        ).stdout
        for seed in ("1", "2")
    }
    assert len(outputs) == 1 and len(json.loads(outputs.pop())[0]) == minhash.BANDS


@pytest.mark.parametrize(
    "text, wanted",
    [
        ("a dozen officers", {"12", "offic"}),
        ("two hundred and fifty people", {"250", "peopl"}),
        ("2.4 million pounds", {"2400000", "pound"}),
        ("1,200 troops were wounded", {"1200", "soldier", "injur"}),
        ("Police said they were not hurt", {"polic", "not", "injur"}),
    ],
)
def test_canonical_terms(text, wanted):
    assert set(similarity.terms(text)) == wanted


#: Pieces of text around page furniture: a cable's page header, page numbers, capitals and
#: figures that nearly make one.
FURNITURE_PIECES = st.sampled_from(
    ["TRIPOLI", "LA PAZ", " ", "\n", "00000495", "1234567", "123456789", "002", "002.2", "OF",
     "of", "004", "Page", "page", "4", "12", "-", " - 3 -", "said", "X", "a-", ".", "OF 004"]
)  # fmt: skip


@settings(max_examples=800, deadline=None)
@given(
    st.lists(FURNITURE_PIECES, max_size=14).map(" ".join), st.lists(FURNITURE_PIECES).map("".join)
)
def test_furniture_is_stripped_as_by_the_one_pattern(spaced, joined):
    for text in (spaced, joined, f"{spaced} TRIPOLI 00000495 002 OF 004 {joined}"):
        assert similarity._strip_furniture(text) == similarity._FURNITURE.sub(" ", text)


# --- who ---------------------------------------------------------------------------------

WHO_KEYS = {
    "source_id",
    "title",
    "kind",
    "published",
    "claim_id",
    "text",
    "start",
    "end",
    "relation",
    "score",
}


@pytest.fixture
def reported(run_json, tmp_path):
    run_json(
        "add",
        page(
            tmp_path,
            "later",
            "2012-05-02",
            "A dozen officers were injured in Saturday's clashes, according to police.",
        ),
        page(
            tmp_path,
            "first",
            "2011-03-01",
            "Police said 12 officers were hurt in the clashes on Saturday.",
        ),
        page(
            tmp_path,
            "middle",
            "2011-09-30",
            "Police said 12 officers were hurt in the clashes on Saturday night.",
        ),
        page(
            tmp_path,
            "other",
            "2010-01-01",
            "The harbour will reopen in March after the dredging is finished.",
        ),
    )


def test_who_lists_every_source_stating_it_earliest_first(run_json, reported):
    rows = run_json("who", "police said 12 officers were hurt in the clashes")
    assert rows and all(WHO_KEYS <= set(r) for r in rows)
    assert [r["title"] for r in rows] == ["first", "middle", "later"]
    assert [r["published"][:10] for r in rows] == sorted(r["published"][:10] for r in rows)
    assert {r["relation"] for r in rows} <= {"same", "paraphrase"}


def test_who_spans_index_the_source_text(run_json, reported):
    for row in run_json("who", "a dozen officers were injured, according to police"):
        shown = run_json("show", row["source_id"])
        assert shown["text"][row["start"] : row["end"]] == row["text"]


def test_who_finds_nothing_for_an_unreported_claim(run, reported):
    result = run("who", "The mayor opened a new library on Friday.", "--json")
    assert result.exit_code == 0 and json.loads(result.stdout) == []


# --- trace -------------------------------------------------------------------------------

TRACE_KEYS = {
    "source_id",
    "title",
    "published",
    "start",
    "end",
    "text",
    "relation",
    "score",
    "differences",
}


@pytest.fixture
def samples(run_json, db_path):
    run_json("add", ROOT / "sources")
    return sqlite3.connect(db_path)


def _claim(conn, like):
    return conn.execute("SELECT id FROM claims WHERE text LIKE ?", (like,)).fetchone()[0]


def test_trace_follows_a_quote_and_an_attribution_to_the_primary_sources(run_json, samples):
    claim = _claim(samples, 'According to the cable, the coast guard "lacks the fuel%')
    steps = run_json("trace", claim)
    assert all(TRACE_KEYS <= set(s) for s in steps)
    assert steps[0]["relation"] == "claim" and steps[0]["claim_id"] == claim
    kinds = {
        s["relation"]: samples.execute(
            "SELECT kind FROM sources WHERE id = ?", (s["source_id"],)
        ).fetchone()[0]
        for s in steps[1:]
    }
    assert kinds.get("quotes") == "pdf"  # the words come from the report itself
    assert kinds.get("attributes to") == "cable"  # the story says it got them from the cable
    quoted = next(s for s in steps if s["relation"] == "quotes")
    assert (
        quoted["text"].startswith("The coast guard lacks the fuel")
        or "lacks the fuel" in quoted["text"]
    )
    assert quoted["differences"] == []


def test_trace_steps_point_at_exact_spans(run_json, samples):
    claim = _claim(samples, "In the cable, the embassy reports that Captain Iver Dahl%")
    steps = run_json("trace", claim)
    assert [s["relation"] for s in steps][:2] == ["claim", "quotes"]
    for step in steps:
        if step["start"] is not None:
            shown = run_json("show", step["source_id"])
            assert shown["text"][step["start"] : step["end"]] == step["text"]


def test_trace_of_an_unknown_claim_is_a_one_line_error(run, db):
    result = run("trace", "999")
    assert result.exit_code == 1 and result.stderr.strip() == "Error: no claim with id 999"


# --- what Datasette shows ----------------------------------------------------------------


@pytest.mark.asyncio
async def test_claim_reports_view_lists_other_sources_earliest_first(
    run_json, tmp_path, db_path, reported
):
    from provenance.datasette import metadata

    conn = sqlite3.connect(db_path)
    claim = _claim(conn, "Police said 12 officers were hurt in the clashes on Saturday.")
    ds = Datasette([str(db_path)], metadata=metadata(db_path.stem))
    response = await ds.client.get(
        f"/{db_path.stem}/claim_reports.json?claim_id={claim}&_sort=other_moment&_shape=array"
    )
    rows = response.json()
    assert [r["other_published"][:10] for r in rows] == ["2011-09-30", "2012-05-02"]
    assert {r["relation"] for r in rows} <= {"same", "near", "paraphrase", "cluster"}


@pytest.mark.asyncio
async def test_quote_origins_view_shows_where_a_quote_comes_from(run_json, samples, db_path):
    from provenance.datasette import metadata

    ds = Datasette([str(db_path)], metadata=metadata(db_path.stem))
    response = await ds.client.get(f"/{db_path.stem}/quote_origins.json?_shape=array")
    rows = {r["quote"]: r for r in response.json()}
    origin = rows["We watch them on radar and we cannot move"]
    assert origin["traced_kind"] == "cable" and origin["traced_text"] == origin["quote"]


# --- indexes only ------------------------------------------------------------------------

_LINKING_TABLES = (
    "claims",
    "claim_keys",
    "claim_links",
    "claim_clusters",
    "quotes",
    "quote_keys",
    "citations",
    "attributions",
)


def test_linking_a_new_source_never_scans_a_whole_table(run_json, db_path, fixtures, tmp_path):
    """Every query linking runs is answered through an index (what keeps it fast at a
    million claims); checked with SQLite's query plans."""
    from provenance import pipeline
    from provenance.db import open_db

    run_json("add", ROOT / "sources", fixtures)
    db = open_db(db_path)
    statements: list[str] = []
    db.conn.set_trace_callback(statements.append)
    list(
        pipeline.add(
            db,
            [
                str(
                    page(
                        tmp_path,
                        "late",
                        "2013-01-01",
                        CLAIM,
                        '"We watch them on radar and we cannot move," he said.',
                    )
                )
            ],
        )
    )
    db.conn.set_trace_callback(None)
    scans = []
    for sql in statements:
        if not sql.lstrip().upper().startswith(("SELECT", "UPDATE", "DELETE")):
            continue
        for row in db.conn.execute(f"EXPLAIN QUERY PLAN {sql}"):
            detail = row[-1]
            if detail.startswith("SCAN ") and detail.split()[1] in _LINKING_TABLES:
                if "USING" not in detail:
                    scans.append((detail, sql[:160]))
    assert scans == []


def test_a_failing_linking_stage_does_not_lose_the_source(run_json, tmp_path, db_path, monkeypatch):
    from provenance import linking

    def broken(conn, source_ids, memory=None):
        conn.execute(
            "INSERT INTO claim_clusters (claim_id, cluster_id, method, tool_version) SELECT id, id, 'x', 'x' FROM claims"
        )
        raise ValueError("odd input")

    monkeypatch.setattr(linking, "trace_quotes", broken)
    [added] = run_json("add", text_source(tmp_path, "a", CLAIM))
    assert added["status"] == "added"
    conn = sqlite3.connect(db_path)
    assert conn.execute("SELECT count(*) FROM claim_clusters").fetchone() == (0,)  # undone
    payload = json.loads(conn.execute("SELECT payload FROM events ORDER BY id DESC").fetchone()[0])
    assert payload["links"]["errors"] == {"quotes_traced": "ValueError: odd input"}


def test_who_finds_every_sample_source_reporting_the_laid_up_boats(run_json, samples):
    rows = run_json(
        "who", "at least 40 local boats were laid up because crews could not pay for fuel"
    )
    kinds = [
        samples.execute("SELECT kind FROM sources WHERE id = ?", (r["source_id"],)).fetchone()[0]
        for r in rows
        if r["relation"] != "related"
    ]
    # the report first (2008), then the blog post (2010), then the news story (2011)
    assert kinds == ["pdf", "post", "html"]


def test_a_claim_held_by_many_is_still_linked_to_the_earliest(
    run_json, tmp_path, db_path, monkeypatch
):
    """Band keys held by more stored claims than the cap count only the earliest holders: a new
    restatement still links to them (the cap bounds the writer's work on template text)."""
    from provenance import linking

    monkeypatch.setattr(linking, "MAX_KEY_POSTINGS", 1)
    sentence = "The harbour board of Velmora said that {} fishing boats were seized near the quay on Tuesday."
    paths = []
    for i, number in enumerate(["forty", "forty", "forty", "40"]):
        path = tmp_path / f"note{i}.txt"
        path.write_text(
            f"Note {i}\n\nInvented for the provenance test suite. " + sentence.format(number) + "\n"
        )
        paths.append(path)
    ids = [run_json("add", p)[0]["source_id"] for p in paths]
    conn = sqlite3.connect(db_path)
    linked = {
        (a, b)
        for a, b in conn.execute(
            "SELECT c.source_id, o.source_id FROM claim_links l JOIN claims c ON c.id = l.claim_id"
            " JOIN claims o ON o.id = l.other_claim_id"
        )
    }
    assert (ids[3], ids[0]) in linked  # the last, restated with a figure, to the first
