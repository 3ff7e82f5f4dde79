"""Tamper with every published column of every published table: `verify` fails and names it.

The archive is built once with rows in every published table (a cable cited before it arrives,
so that a later source's arrival resolves an earlier citation; a recapture; a failure). Each
case drops the guard triggers, as someone holding the file would, edits one column of one row,
puts the triggers back, runs the checks and rolls the edit back.
"""

from __future__ import annotations

import shutil
import sqlite3
from pathlib import Path

import pytest
from click.testing import CliRunner

from provenance import binding
from provenance import verify as verify_mod
from provenance.cli import cli
from provenance.datasette.config import tables

ROOT = Path(__file__).parent.parent
FIXTURES = Path(__file__).parent / "fixtures"
CITATIONS = Path(__file__).parent / "linking_fixtures" / "citations"
STORY = CITATIONS / "04-story-orsova-post.html"


@pytest.fixture(scope="module")
def archive(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("tamper")
    db = folder / "archive.db"
    page = folder / "story.html"
    shutil.copy(FIXTURES / "captures" / "story-v1.html", page)
    runner = CliRunner()

    def add(*paths: Path) -> None:
        result = runner.invoke(cli, ["add", "--db", str(db), *map(str, paths)])
        assert result.exit_code in (0, 1), result.output

    add(STORY)  # cites cables that arrive later: their arrival resolves its citations
    add(*sorted(p for p in CITATIONS.iterdir() if p != STORY))
    add(ROOT / "sources", FIXTURES / "report.pdf", page, folder / "missing.txt")
    shutil.copy(FIXTURES / "captures" / "story-v2.html", page)
    add(page)
    return db


def copied(archive: Path, tmp_path: Path) -> sqlite3.Connection:
    """A connection to a copy of the archive (through SQLite: its WAL comes along)."""
    source = sqlite3.connect(archive)
    conn = sqlite3.connect(tmp_path / "copy.db", isolation_level=None)
    source.backup(conn)
    source.close()
    return conn


def published_tables(conn: sqlite3.Connection) -> dict[str, list[str]]:
    """Every table the site shows (not hidden, not a full-text index), with its columns."""
    hidden = {name for name, table in tables().items() if table.get("hidden")}
    rows = conn.execute(
        "SELECT name, sql FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'"
    ).fetchall()
    virtual = [n for n, sql in rows if sql.upper().startswith("CREATE VIRTUAL")]
    return {
        name: [r[1] for r in conn.execute(f"PRAGMA table_info({name})")]
        for name, _ in sorted(rows)
        if name not in hidden
        and name not in virtual
        and not any(name.startswith(v + "_") for v in virtual)
    }


def tampered(value: object, column: str) -> object:
    """A different value of the same type."""
    if value is None:
        return "x"
    if isinstance(value, bool | int):
        return value + 100_000 if column == "id" else value + 1
    if isinstance(value, float):
        return value + 0.5
    if isinstance(value, bytes):
        return value + b"x"
    return str(value) + "x"


def check(conn: sqlite3.Connection) -> verify_mod.Report:
    """Every check of verify but re-extraction (slow, and blind to edits of derived rows)."""
    report = verify_mod.Report()
    verify_mod.check_database(conn, report)
    verify_mod.check_blobs(conn, report)
    verify_mod.check_text_layers(conn, report)
    verify_mod.check_claim_spans(conn, report)
    verify_mod.check_anchors(conn, report)
    verify_mod.check_events(conn, report)
    verify_mod.check_event_bindings(conn, report)
    verify_mod.check_event_kinds(conn, report)
    verify_mod.check_rows(conn, report)
    verify_mod.check_fulltext(conn, report)
    verify_mod.check_schema(conn, report)
    return report


def cases(db: Path) -> list[tuple[str, str]]:
    conn = sqlite3.connect(db)
    try:
        return [(t, c) for t, cols in published_tables(conn).items() for c in cols]
    finally:
        conn.close()


def test_the_archive_has_rows_in_every_published_table_and_verifies(archive):
    conn = sqlite3.connect(archive, isolation_level=None)
    empty = [t for t in published_tables(conn) if not conn.execute(f"SELECT 1 FROM {t}").fetchone()]
    assert empty == []
    later = conn.execute(
        "SELECT count(*) FROM citations c WHERE c.cited_source_id > c.citing_source_id"
    ).fetchone()[0]
    assert later > 0  # a citation resolved by a source that arrived after it
    assert check(conn).problems == []
    conn.close()


def test_an_event_binds_each_row_it_changed_once(archive):
    # A source is inserted, then given its work, then its citations resolved by later
    # sources: rows changed more than once before one event are noted each time and bound once.
    conn = sqlite3.connect(archive)
    twice = conn.execute(
        "SELECT tbl, key, event_id FROM row_digests GROUP BY tbl, key, event_id HAVING count(*) > 1"
    ).fetchall()
    rebound = conn.execute(
        "SELECT count(*) FROM (SELECT tbl, key FROM row_digests GROUP BY tbl, key"
        " HAVING count(DISTINCT event_id) > 1)"
    ).fetchone()[0]
    conn.close()
    assert twice == []
    assert rebound > 0  # rows a later event changed again are bound again by that event


def test_every_published_column_is_bound(archive):
    """The tamper test: one edit per published column, each failing verify by name."""
    conn = sqlite3.connect(archive, isolation_level=None)
    conn.execute("PRAGMA foreign_keys = OFF")
    conn.execute("PRAGMA ignore_check_constraints = ON")
    published = cases(archive)
    missed = []
    for table, column in published:
        conn.execute("BEGIN")
        try:
            guards = conn.execute(
                "SELECT name, sql FROM sqlite_master WHERE type = 'trigger'"
            ).fetchall()
            for name, _ in guards:
                conn.execute(f"DROP TRIGGER {name}")
            row = conn.execute(
                f"SELECT rowid, {column} FROM {table} ORDER BY {column} IS NULL, rowid DESC LIMIT 1"
            ).fetchone()
            conn.execute(
                f"UPDATE {table} SET {column} = ? WHERE rowid = ?",
                (tampered(row[1], column), row[0]),
            )
            for _, sql in guards:
                conn.execute(sql)
            report = check(conn)
            named = [
                p.message
                for p in report.problems
                if (table in p.message and column in p.message)
                or (table == "events" and p.check == "events")
                or (table == "blobs" and p.check == "blob")
            ]
            if not named:
                missed.append((table, column, [p.message for p in report.problems]))
        finally:
            conn.execute("ROLLBACK")
    covered = len(published) - len(missed)
    print(f"\ncolumns covered / published: {covered} / {len(published)}")
    assert missed == [], "\n".join(map(str, missed))
    assert covered == len(published) > 150


def test_the_published_tables_are_the_covered_ones(archive):
    conn = sqlite3.connect(archive)
    published = set(published_tables(conn))
    covered = set(binding.covered_tables(conn))
    # events and blobs are bound by their own hashes; the rest by row digests
    assert published - covered == {"events", "blobs"}


def test_an_emptied_full_text_index_fails(archive, tmp_path):
    conn = copied(archive, tmp_path)
    conn.execute("INSERT INTO claims_fts (claims_fts) VALUES ('delete-all')")
    report = check(conn)
    assert [p.check for p in report.problems] == ["fulltext"]
    assert "claims_fts" in report.problems[0].message


@pytest.mark.parametrize(
    "edit",
    [
        "DELETE FROM attributions WHERE id = (SELECT max(id) FROM attributions)",
        "INSERT INTO claim_links (claim_id, other_claim_id, relation, score, method,"
        " tool_version) VALUES (1, 2, 'same', 1.0, 'forged', '0')",
        "DELETE FROM row_digests WHERE event_id = (SELECT max(event_id) FROM row_digests)",
        "DROP TABLE row_digests",
    ],
    ids=["deleted attribution", "forged link", "deleted digests", "dropped digests"],
)
def test_deleted_and_forged_rows_fail(archive, tmp_path, edit):
    conn = copied(archive, tmp_path)
    for (name,) in conn.execute("SELECT name FROM sqlite_master WHERE type = 'trigger'").fetchall():
        if name.startswith("row_digests"):
            conn.execute(f"DROP TRIGGER {name}")
    conn.execute(edit)
    report = check(conn)
    assert any(p.check in ("rows", "guards") for p in report.problems)


def test_a_missing_guard_trigger_is_a_failure(archive, tmp_path):
    conn = copied(archive, tmp_path)
    conn.execute("DROP TRIGGER blobs_are_immutable")
    report = check(conn)
    assert [p.check for p in report.problems] == ["guards", "schema"]  # and the schema's own
    assert "blobs_are_immutable" in report.problems[0].message


def test_an_archive_from_before_row_digests_is_bound_by_the_migration(tmp_path, monkeypatch):
    """Old archives stay verifiable: the binding migration binds what they hold, with an event
    of its own, and from then on an edit is caught like in a new archive."""
    from provenance import migrations

    db = tmp_path / "old.db"
    runner = CliRunner()
    with monkeypatch.context() as m:
        m.setattr(
            migrations,
            "MIGRATIONS",
            [(n, f) for n, f in migrations.MIGRATIONS if n not in binding.REBINDING_MIGRATIONS],
        )
        result = runner.invoke(cli, ["add", "--db", str(db), str(FIXTURES / "telegram.txt")])
        assert result.exit_code == 0, result.output
    old = sqlite3.connect(db, isolation_level=None)
    assert not binding.has_table(old, "row_digests")
    report = check(old)
    assert report.ok and any("predates" in n for n in report.notes)
    old.close()
    result = runner.invoke(cli, ["verify", "--db", str(db), "--json"])
    assert result.exit_code == 0, result.output
    conn = sqlite3.connect(db, isolation_level=None)
    actions = [r[0] for r in conn.execute("SELECT action FROM events ORDER BY id")]
    assert actions == ["add", "migrate", "migrate"]  # row digests, then their fixed parts
    conn.execute("UPDATE claims SET score = score / 2 WHERE id = 1")
    report = check(conn)
    assert [p.message for p in report.problems] == [
        "claims row 1: column score differs from what event 3 recorded"
    ]


@pytest.mark.parametrize(
    "edit",
    [
        "DROP VIEW latest_captures;; CREATE VIEW latest_captures AS"
        " SELECT id, 'forged' AS title, 1 AS captures FROM sources",
        "CREATE VIEW confession AS SELECT 'the cable was forged' AS claim",
        "CREATE TABLE claims_fts_extra (id INTEGER PRIMARY KEY, text TEXT)",
        "CREATE VIRTUAL TABLE notes USING fts5(text)",
        "DROP TABLE claims_fts",
        "CREATE TRIGGER planted AFTER INSERT ON sources BEGIN SELECT 1; END",
        "DROP INDEX idx_citations_claim_id",
    ],
    ids=["rewritten view", "added view", "table under an index's name", "added index",
         "dropped search index", "planted trigger", "dropped index"],
)  # fmt: skip
def test_a_schema_edit_fails(archive, tmp_path, edit):
    """The site serves views and searches full-text indexes: the schema is bound too."""
    conn = copied(archive, tmp_path)
    for statement in edit.split(";; "):
        conn.execute(statement)
    report = check(conn)
    assert [p.check for p in report.problems if p.check == "schema"], report.problems


def test_text_that_is_not_utf8_is_a_changed_column_not_a_crash(archive, tmp_path):
    conn = copied(archive, tmp_path)
    conn.execute("UPDATE sources SET author = CAST(X'FFFE41' AS TEXT) WHERE id = 1")
    conn.close()
    result = CliRunner().invoke(cli, ["verify", "--db", str(tmp_path / "copy.db")])
    assert result.exit_code == 1 and "sources row 1: column author differs" in result.output


@pytest.mark.parametrize("action", ["export", "note"])
def test_an_edit_bound_by_an_appended_event_of_another_kind_fails(archive, tmp_path, action):
    """Edit a source's metadata, then append an event through the library so that the edit is
    bound: the rows check passes, but an export (or an event of a kind the tool never writes)
    changes no published row, so verify fails, also against the head published before."""
    from provenance import db

    conn = copied(archive, tmp_path)
    head = conn.execute("SELECT hash FROM events ORDER BY id DESC LIMIT 1").fetchone()[0]
    conn.close()
    archive_copy = db.open_db(tmp_path / "copy.db")
    with db.transaction(archive_copy.conn):
        archive_copy.conn.execute("UPDATE sources SET author = 'Nobody' WHERE id = 1")
        db.append_event(archive_copy.conn, action, {"format": "csv"})
    archive_copy.conn.close()
    result = CliRunner().invoke(cli, ["verify", "--db", str(tmp_path / "copy.db"), "--head", head])
    assert result.exit_code == 1
    assert f"({action}) binds 1 sources row(s)" in result.output
