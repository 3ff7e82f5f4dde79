"""`provenance verify`: tamper with every part of the archive and see each one named.

The database refuses in-place edits of blobs and events (triggers); a tamperer drops the
triggers first, as these tests do.
"""

import hashlib
import json
import sqlite3

import pytest

from provenance.db import canonical_json, event_hash


@pytest.fixture
def stored(run, run_json, fixtures, db_path, tmp_path):
    missing = tmp_path / "missing.txt"
    run("add", fixtures / "telegram.txt", fixtures / "article.html", missing)
    conn = sqlite3.connect(db_path, isolation_level=None)
    yield conn
    conn.close()


def untrigger(conn):
    """Drop the guard triggers, as someone holding the file would; returns their SQL."""
    rows = conn.execute("SELECT name, sql FROM sqlite_master WHERE type = 'trigger'").fetchall()
    for name, _ in rows:
        conn.execute(f"DROP TRIGGER {name}")
    return [sql for _, sql in rows]


def retrigger(conn, sqls):
    """Put the dropped guard triggers back, so that only the edit itself is left to find."""
    for sql in sqls:
        conn.execute(sql)


def verify_json(run, *args):
    result = run("verify", "--json", *args)
    return result.exit_code, json.loads(result.stdout)


def messages(report):
    return [p["message"] for p in report["problems"]]


def test_verify_passes_on_an_untouched_database(run_json, stored):
    report = run_json("verify")
    assert report["ok"] is True and report["problems"] == []
    assert report["checked"]["claims"] > 0 and report["checked"]["re-extracted"] == 2
    assert report["checked"]["events"] == 3  # two adds and one failure
    assert len(report["head"]) == 64


def test_blobs_and_events_refuse_in_place_edits(stored):
    with pytest.raises(sqlite3.IntegrityError, match="immutable"):
        stored.execute("UPDATE blobs SET content = x'00'")
    with pytest.raises(sqlite3.IntegrityError, match="append-only"):
        stored.execute("UPDATE events SET action = 'x'")
    with pytest.raises(sqlite3.IntegrityError, match="append-only"):
        stored.execute("DELETE FROM events")


def test_a_flipped_byte_in_a_blob_fails_and_names_the_source(run, stored):
    untrigger(stored)
    sha, content, source_id = stored.execute(
        "SELECT b.sha256, b.content, s.id FROM blobs b JOIN sources s ON s.raw_sha256 = b.sha256"
        " ORDER BY s.id LIMIT 1"
    ).fetchone()
    tampered = bytearray(content)
    tampered[10] ^= 0x01
    stored.execute("UPDATE blobs SET content = ? WHERE sha256 = ?", (bytes(tampered), sha))
    code, report = verify_json(run)
    assert code == 1
    assert any(p["check"] == "blob" and p["source_id"] == source_id for p in report["problems"])
    assert str(source_id) in report["sources"]


def test_an_edited_claim_fails_and_names_the_claim(run, stored):
    claim_id, source_id = stored.execute("SELECT id, source_id FROM claims LIMIT 1").fetchone()
    stored.execute("UPDATE claims SET text = 'Nothing happened.' WHERE id = ?", (claim_id,))
    code, report = verify_json(run)
    assert code == 1
    spans = [p for p in report["problems"] if p["check"] == "span"]
    assert [p["claim_id"] for p in spans] == [claim_id]
    assert any("claims differ" in m for m in report["sources"][str(source_id)])


def test_a_claim_moved_to_another_sentence_consistently_is_caught_by_the_log(run, stored):
    """Offsets and text edited together pass the span check; the log's claims hash does not."""
    claim_id, source_id = stored.execute(
        "SELECT id, source_id FROM claims ORDER BY id LIMIT 1"
    ).fetchone()
    text = stored.execute("SELECT text FROM sources WHERE id = ?", (source_id,)).fetchone()[0]
    stored.execute(
        "UPDATE claims SET start = 0, end = 10, text = ? WHERE id = ?", (text[:10], claim_id)
    )
    code, report = verify_json(run)
    assert code == 1
    assert not [p for p in report["problems"] if p["check"] == "span"]
    assert any(
        p["check"] == "events" and p["source_id"] == source_id and "claims differ" in p["message"]
        for p in report["problems"]
    )


def test_an_edited_text_layer_fails(run, stored):
    stored.execute("UPDATE sources SET text = text || ' ' WHERE id = 1")
    result = run("verify")
    assert result.exit_code == 1 and "source 1" in result.stderr
    assert "text layer does not match its text_sha256" in result.stderr


def test_a_replaced_text_layer_with_its_hash_recomputed_fails(run, stored):
    text = stored.execute("SELECT text FROM sources WHERE id = 1").fetchone()[0]
    forged = text.replace("a", "e", 1)
    digest = hashlib.sha256(forged.encode()).hexdigest()
    stored.execute("UPDATE sources SET text = ?, text_sha256 = ? WHERE id = 1", (forged, digest))
    code, report = verify_json(run)
    assert code == 1
    checks = {p["check"] for p in report["problems"] if p["source_id"] == 1}
    assert {"extraction", "events"} <= checks  # not reproducible from the bytes, not logged


def test_an_edited_event_fails(run, stored):
    untrigger(stored)
    stored.execute("UPDATE events SET payload = replace(payload, 'input', 'inpvt') WHERE id = 1")
    result = run("verify")
    assert result.exit_code == 1 and "event 1: contents do not match its hash" in result.stderr


def test_a_deleted_event_breaks_the_chain_at_the_next(run, stored):
    untrigger(stored)
    stored.execute("DELETE FROM events WHERE id = 2")
    code, report = verify_json(run)
    assert code == 1
    assert any(m.startswith("event 3: chain broken") for m in messages(report))


def test_a_deleted_last_event_leaves_its_record_unvouched(run, stored):
    untrigger(stored)
    last_id, action = stored.execute(
        "SELECT id, action FROM events ORDER BY id DESC LIMIT 1"
    ).fetchone()
    stored.execute("DELETE FROM events WHERE id = ?", (last_id,))
    code, report = verify_json(run)
    assert code == 1
    assert any("no event records it" in m for m in messages(report)), action


def test_reordered_events_fail(run, stored):
    untrigger(stored)
    stored.execute("UPDATE events SET id = 100 WHERE id = 1")
    stored.execute("UPDATE events SET id = 1 WHERE id = 2")
    stored.execute("UPDATE events SET id = 2 WHERE id = 100")
    code, report = verify_json(run)
    assert code == 1
    assert any(m.startswith("event 1: chain broken") for m in messages(report))


def test_a_rewritten_log_is_caught_by_the_published_head(run, stored):
    head = run("head").stdout.strip()
    assert run("verify", "--head", head).exit_code == 0
    guards = untrigger(stored)
    # Rewrite the whole chain consistently with a forged first event.
    rows = stored.execute(
        "SELECT id, at, action, source_id, payload, tool_version FROM events ORDER BY id"
    ).fetchall()
    prev = None
    for event_id, at, action, source_id, payload, version in rows:
        body = json.loads(payload)
        if event_id == 1:
            body["input"] = "somewhere-else.txt"
        event = {
            "at": at,
            "action": action,
            "source_id": source_id,
            "payload": body,
            "tool_version": version,
        }
        digest = event_hash(prev, event)
        stored.execute(
            "UPDATE events SET payload = ?, prev_hash = ?, hash = ? WHERE id = ?",
            (canonical_json(body), prev, digest, event_id),
        )
        prev = digest
    retrigger(stored, guards)
    assert run("verify").exit_code == 0  # a consistent rewrite: only the published head tells
    code, report = verify_json(run, "--head", head)
    assert code == 1
    assert any("published head" in m for m in messages(report))


def test_a_deleted_source_is_missing(run, stored):
    stored.execute("PRAGMA foreign_keys = OFF")
    source_id = stored.execute("SELECT id FROM sources ORDER BY id DESC LIMIT 1").fetchone()[0]
    for table in ("attributions", "quotes", "citations", "structure"):
        column = "citing_source_id" if table == "citations" else "source_id"
        stored.execute(f"DELETE FROM {table} WHERE {column} = ?", (source_id,))
    stored.execute(
        "DELETE FROM claim_links WHERE claim_id IN (SELECT id FROM claims WHERE source_id = ?)"
        " OR other_claim_id IN (SELECT id FROM claims WHERE source_id = ?)",
        (source_id, source_id),
    )
    stored.execute("DELETE FROM claims WHERE source_id = ?", (source_id,))
    stored.execute("DELETE FROM sources WHERE id = ?", (source_id,))
    code, report = verify_json(run)
    assert code == 1
    assert any(
        f"source {source_id}: recorded by event" in m and "missing" in m for m in messages(report)
    )


def test_a_deleted_failure_is_missing(run, stored):
    stored.execute("DELETE FROM failures")
    code, report = verify_json(run)
    assert code == 1
    assert any("missing from failures" in m for m in messages(report))


def test_a_newer_extractor_version_is_a_note_not_a_failure(run, stored, monkeypatch):
    from provenance.ingest import get_ingester

    telegram = type(get_ingester("telegram"))
    original = telegram.extract

    def changed(self, data, hint):
        record = original(self, data, hint)
        record.text += "\n\nA paragraph a newer version finds."
        record.extractor_version = "9.9.9"
        return record

    monkeypatch.setattr(telegram, "extract", changed)
    code, report = verify_json(run)
    assert code == 0 and report["ok"]
    assert report["checked"]["re-extraction skipped"] == 1
    assert any("9.9.9" in note and "not a failure" in note for note in report["notes"])


def test_the_same_extractor_version_giving_other_text_is_a_failure(run, stored, monkeypatch):
    from provenance.ingest import get_ingester

    telegram = type(get_ingester("telegram"))
    original = telegram.extract

    def drifted(self, data, hint):
        record = original(self, data, hint)
        record.text += "\n\nA paragraph the stored text does not have."
        return record

    monkeypatch.setattr(telegram, "extract", drifted)
    code, report = verify_json(run)
    assert code == 1
    assert [p["check"] for p in report["problems"]] == ["extraction"]


def test_text_report_groups_problems_by_source(run, stored):
    stored.execute("UPDATE sources SET text = text || ' ' WHERE id = 1")
    result = run("verify")
    lines = result.stderr.splitlines()
    assert lines[0] == "FAIL source 1" and all(line.startswith("  ") for line in lines[1:2])
    assert "Traceback" not in result.output + result.stderr


def test_head_prints_the_last_event_hash(run, run_json, stored):
    state = run_json("head")
    last = stored.execute("SELECT hash FROM events ORDER BY id DESC LIMIT 1").fetchone()[0]
    assert state["head"] == last and state["events"] == 3
    assert run("head").stdout.strip() == last


def test_a_published_head_is_read_whatever_its_case_and_spaces(run, run_json, stored):
    head = run_json("head")["head"]
    for given in (head.upper(), f"  {head}\n", f"sha256:{head}"):
        assert run("verify", "--head", given).exit_code == 0, given
    result = run("verify", "--head", head[:40])
    assert result.exit_code == 2 and "is not a SHA-256 hash" in result.stderr
    assert "not in the log" not in result.output + result.stderr  # no false alarm of tampering
