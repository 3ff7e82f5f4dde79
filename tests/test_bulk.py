"""Bulk adds: linking prepared in the workers, many sources per commit, searches without
full counts. The documents are the project's invented fixtures."""

import sqlite3

import pytest
from datasette.app import Datasette

from provenance import alignment, linking, pipeline, store
from provenance.datasette import metadata
from provenance.db import open_db

from .conftest import FIXTURES, ROOT, query_rows
from .test_workers import content

LINKED = {
    "quotes": "SELECT id, claim_id, traced_source_id, traced_start, traced_end, trace_score,"
    " differences FROM quotes ORDER BY id",
    "claim_links": "SELECT claim_id, other_claim_id, relation, score, details FROM claim_links"
    " ORDER BY id",
    "claim_keys": "SELECT key, claim_id FROM claim_keys ORDER BY key, claim_id",
    "quote_keys": "SELECT key, quote_id FROM quote_keys ORDER BY key, quote_id",
    "citations": "SELECT id, cited_source_id, confidence, evidence FROM citations ORDER BY id",
}


def linked(path):
    return query_rows(path, LINKED)


def inputs():
    return [str(ROOT / "sources"), *sorted(str(p) for p in FIXTURES.iterdir() if p.is_file())]


def test_links_prepared_in_the_workers_are_the_links_the_writer_makes(tmp_path, monkeypatch):
    prepared, computed = tmp_path / "prepared.db", tmp_path / "computed.db"
    list(pipeline.add(open_db(prepared), inputs()))
    monkeypatch.setattr(pipeline, "prepare_links", lambda documents, analyses: None)
    list(pipeline.add(open_db(computed), inputs()))
    assert linked(prepared) == linked(computed)
    assert content(prepared) == content(computed)
    assert linked(prepared)["claim_links"]  # the fixtures do link


def test_prepared_hints_hold_every_linkable_claim_text(fixtures):
    from provenance.inputs import Item, Limits, read_item

    path = fixtures / "article.html"
    fetched = read_item(Item(str(path), path=path), Limits())
    prepared = pipeline.prepare(fetched)
    hints = prepared.link_hints
    texts = [
        c.text
        for a in prepared.analyses
        if a is not None
        for c in a.claims
        if c.norm_key and len(c.norm_key.split()) >= linking.MIN_LINK_WORDS
    ]
    assert texts and set(texts) <= set(hints.features) == set(hints.band_keys)
    assert len(hints.sources) == len(prepared.flatten())
    # A source's trigram keys, the one thing the writer reads of its words: each key once,
    # the keys the writer would compute from the stored text.
    for document, source in zip(prepared.flatten(), hints.sources, strict=True):
        expected = linking._text_trigram_keys(alignment.text_keys(document.text))
        assert source is not None and len(expected) > 10
        assert sorted(source.trigram_keys) == sorted(expected)


def _prepared(path):
    from provenance.inputs import Item, Limits, read_item

    return pipeline.prepare(read_item(Item(str(path), path=path), Limits()))


def _restated(tmp_path):
    """Two invented sources, the second restating the first's claim with a changed word."""
    claim = (
        "The harbour authority said dredging of the outer anchorage will cost 40 percent"
        " more than the ministry announced in January."
    )
    paths = []
    for name, text in (("original", claim), ("restated", claim.replace("will", "would"))):
        path = tmp_path / f"{name}.txt"
        path.write_text(f"{name} (invented for the provenance test suite)\n\n{text}", "utf-8")
        paths.append(path)
    return paths


def test_band_keys_are_written_at_the_commit_and_seen_before_it(tmp_path):
    """A batch holds its claims' band keys until it commits (written then in key order);
    meanwhile linking sees them: the same links and keys as sources stored one by one."""
    paths = _restated(tmp_path)
    alone = open_db(tmp_path / "alone.db")
    for path in paths:
        store.store_prepared(alone.conn, _prepared(path))  # no memory: a transaction each
    batch = open_db(tmp_path / "batch.db")
    memory = linking.LinkMemory()
    batch.conn.execute("BEGIN IMMEDIATE")
    for path in paths:
        store.store_prepared(batch.conn, _prepared(path), memory)
    assert batch.conn.execute("SELECT count(*) FROM claim_keys").fetchone() == (0,)
    held = sorted(memory.unwritten_keys)
    memory.write_claim_keys(batch.conn)
    batch.conn.execute("COMMIT")
    assert memory.unwritten_keys == [] and memory.unwritten_claims(held[0][0]) == []
    alone.conn.close()
    batch.conn.close()
    assert linked(tmp_path / "batch.db") == linked(tmp_path / "alone.db")
    assert held == linked(tmp_path / "batch.db")["claim_keys"]
    relations = query_rows(tmp_path / "batch.db", {"x": "SELECT relation FROM claim_links"})
    assert relations["x"] == [("near",)]  # the second found the first through unwritten keys


def test_band_keys_of_what_is_undone_are_never_written(tmp_path, monkeypatch):
    """Keys held for a store that is rolled back, or for a linking stage that failed and was
    undone, are dropped with it: what is written is what stands."""
    first, second = _restated(tmp_path)
    db = open_db(tmp_path / "undone.db")
    memory = linking.LinkMemory()
    db.conn.execute("BEGIN IMMEDIATE")
    store.store_prepared(db.conn, _prepared(first), memory)
    kept = list(memory.unwritten_keys)
    assert kept

    def fails(*args, **kwargs):
        raise RuntimeError("disk trouble")

    with monkeypatch.context() as patch:
        patch.setattr(store, "append_event", fails)  # after linking: the whole store undone
        with pytest.raises(RuntimeError):
            store.store_prepared(db.conn, _prepared(second), memory)
    assert memory.unwritten_keys == kept
    with monkeypatch.context() as patch:
        patch.setattr(linking, "_load_candidates", fails)  # the claims stage undone
        status, _ = store.store_prepared(db.conn, _prepared(second), memory)
    assert status == "added" and memory.unwritten_keys == kept
    memory.write_claim_keys(db.conn)
    db.conn.execute("COMMIT")
    written = db.conn.execute("SELECT key, claim_id FROM claim_keys ORDER BY 1, 2").fetchall()
    assert written == sorted(kept)
    assert db.conn.execute(
        "SELECT count(*) FROM claim_keys WHERE claim_id NOT IN (SELECT id FROM claims)"
    ).fetchone() == (0,)


def test_keys_held_for_a_transaction_that_is_gone_are_dropped(tmp_path):
    """Where SQLite rolled the batch's transaction back itself (a full disk, say), the band
    keys held for its claims are not written into the next one."""
    import time

    from provenance.inputs import Limits

    db = open_db(tmp_path / "gone.db")
    batch = pipeline._Batch(db, Limits(), [])
    batch.link_memory.add_claim_keys([(7, 1), (9, 1)])
    batch.began = time.monotonic()  # a transaction was begun, and is no more
    batch._commit()
    assert batch.link_memory.unwritten_keys == [] and batch.link_memory.unwritten_claims(7) == []


def test_what_an_add_reports_is_committed(tmp_path):
    path = tmp_path / "bulk.db"
    db = open_db(path)
    for result in pipeline.add(db, inputs()):
        if result.status != "added":
            continue
        other = sqlite3.connect(path)  # another connection sees only committed rows
        try:
            row = other.execute(
                "SELECT id FROM sources WHERE id = ?", (result.source_id,)
            ).fetchone()
        finally:
            other.close()
        assert row == (result.source_id,)


def _fail_on_call(monkeypatch, n: int) -> None:
    """Make storing the ``n``-th analysis of the run fail, as a full disk would."""
    from provenance import store as store_module

    real = store_module._insert_analysis
    calls = {"n": 0}

    def fail(conn, source_id, text, analysis):
        calls["n"] += 1
        if calls["n"] == n:
            raise RuntimeError("disk on fire")
        return real(conn, source_id, text, analysis)

    monkeypatch.setattr(store_module, "_insert_analysis", fail)


def test_a_failing_source_in_a_batch_leaves_the_others_stored(tmp_path, monkeypatch):
    _fail_on_call(monkeypatch, 3)
    path = tmp_path / "bulk.db"
    with pytest.raises(RuntimeError):
        list(pipeline.add(open_db(path), inputs()))
    conn = sqlite3.connect(path)
    claims_without_source = conn.execute(
        "SELECT count(*) FROM claims WHERE source_id NOT IN (SELECT id FROM sources)"
    ).fetchone()[0]
    stored = conn.execute("SELECT count(*) FROM sources").fetchone()[0]
    events = conn.execute("SELECT count(*) FROM events WHERE action = 'add'").fetchone()[0]
    conn.close()
    assert claims_without_source == 0
    assert stored >= 1 and events >= 1  # the sources before the failing one were committed


@pytest.mark.asyncio
async def test_a_table_search_is_shown_without_a_full_count(run_json, fixtures, db_path):
    run_json("add", fixtures)
    datasette = Datasette([str(db_path)], metadata=metadata(db_path.stem))
    searched = await datasette.client.get(f"/{db_path.stem}/claims.json?_search=nitrate")
    plain = await datasette.client.get(f"/{db_path.stem}/claims.json")
    assert searched.json()["rows"]
    assert searched.json()["filtered_table_rows_count"] is None
    assert plain.json()["filtered_table_rows_count"] > 0


def _batch_memories(monkeypatch) -> list[linking.LinkMemory]:
    """The link memories the batches of this test make, as they make them."""
    made: list[linking.LinkMemory] = []

    def make() -> linking.LinkMemory:
        made.append(linking.LinkMemory())
        return made[-1]

    monkeypatch.setattr(pipeline, "LinkMemory", make)
    return made


def test_what_the_writer_remembers_between_sources_does_not_change_links(tmp_path, monkeypatch):
    warm, cold = tmp_path / "warm.db", tmp_path / "cold.db"
    memories = _batch_memories(monkeypatch)
    list(pipeline.add(open_db(warm), inputs()))
    assert memories[-1].recent_features and memories[-1].furniture  # kept across sources
    monkeypatch.setattr(linking, "RECENT_FEATURES", 0)
    monkeypatch.setattr(linking, "RECENT_FURNITURE", 0)
    list(pipeline.add(open_db(cold), inputs()))
    assert not memories[-1].recent_features and not memories[-1].furniture
    assert linked(warm) == linked(cold)
    assert content(warm) == content(cold)


def test_a_rolled_back_source_is_forgotten_by_the_writer(tmp_path, monkeypatch):
    memories = _batch_memories(monkeypatch)
    _fail_on_call(monkeypatch, 4)
    with pytest.raises(RuntimeError):
        list(pipeline.add(open_db(tmp_path / "bulk.db"), inputs()))
    assert memories[-1].furniture == {}  # its id is given to the next source


def test_agents_made_together_are_the_agents_made_one_at_a_time(tmp_path):
    from provenance.store import ensure_agent, ensure_agents

    names = ["the Ministry of Water", "Ruth Okafor", "the ministry of water", "", "Dov Harlan"]
    one, together = open_db(tmp_path / "one.db").conn, open_db(tmp_path / "together.db").conn
    singly = {name: ensure_agent(one, name) for name in names}
    assert ensure_agents(together, names) == {n: i for n, i in singly.items() if i is not None}
    rows = "SELECT id, name, key, kind FROM agents ORDER BY id"
    assert one.execute(rows).fetchall() == together.execute(rows).fetchall()
