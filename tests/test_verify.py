"""`provenance verify`: fixity of blobs, text layers and spans, and the event chain."""

import json
import sqlite3

import pytest


@pytest.fixture
def stored(run_json, fixtures, db_path):
    run_json("add", fixtures / "telegram.txt", fixtures / "article.html")
    return sqlite3.connect(db_path, isolation_level=None)


def test_verify_passes_on_an_untouched_database(run_json, stored):
    report = run_json("verify")
    assert report["ok"] is True and report["checked"]["claims"] > 0


def test_a_flipped_byte_in_a_blob_fails_and_names_the_source(run, stored):
    sha, content, source_id = stored.execute(
        "SELECT b.sha256, b.content, s.id FROM blobs b JOIN sources s ON s.raw_sha256 = b.sha256"
        " ORDER BY s.id LIMIT 1"
    ).fetchone()
    tampered = bytearray(content)
    tampered[10] ^= 0x01
    stored.execute("UPDATE blobs SET content = ? WHERE sha256 = ?", (bytes(tampered), sha))
    result = run("verify")
    assert result.exit_code == 1
    assert f"source {source_id}" in result.stderr


def test_an_edited_claim_fails(run, stored):
    claim_id = stored.execute("SELECT id FROM claims LIMIT 1").fetchone()[0]
    stored.execute("UPDATE claims SET text = 'Nothing happened.' WHERE id = ?", (claim_id,))
    result = run("verify", "--json")
    assert result.exit_code == 1
    problems = json.loads(result.stdout)["problems"]
    assert [p["claim_id"] for p in problems] == [claim_id]


def test_an_edited_text_layer_fails(run, stored):
    stored.execute("UPDATE sources SET text = text || ' ' WHERE id = 1")
    result = run("verify")
    assert result.exit_code == 1 and "source 1" in result.stderr


def test_an_edited_event_fails(run, stored):
    stored.execute("UPDATE events SET payload = replace(payload, 'input', 'inpvt') WHERE id = 1")
    result = run("verify")
    assert result.exit_code == 1 and "event 1" in result.stderr
