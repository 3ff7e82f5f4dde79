"""Storage, the ground floor: open and migrate the database, transactions, the event chain.

One ``.db`` file is a complete archive: raw bytes (``blobs``), text layers (``sources``), claims
and everything derived from them, and a hash-chained event log. This module imports nothing of
the package above it: storing a source is :mod:`provenance.store`, reading one
:mod:`provenance.reading`.
"""

from __future__ import annotations

import hashlib
import json
import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from functools import cached_property
from pathlib import Path
from typing import TYPE_CHECKING, Any

from . import __version__, binding
from .defaults import default_path
from .errors import NotAnArchive
from .migrations import apply_migrations

if TYPE_CHECKING:
    import sqlite_utils


def now_iso() -> str:
    """The current time in UTC, to the second, as stored (``2026-01-31T12:00:00Z``)."""
    return datetime.now(UTC).isoformat(timespec="seconds").replace("+00:00", "Z")


class Archive:
    """An open archive: its connection (``conn``, what the commands use), and sqlite-utils'
    :class:`~sqlite_utils.Database` API over the same connection on first use
    (``db.query(...)``, ``db["claims"].rows``, ``db.table_names()``).

    Importing sqlite-utils loads numpy, dateutil and pluggy and compiles its patterns: about
    0.15 s of CPU, an eighth of adding one cable, which a command that only needs the
    connection does not pay."""

    def __init__(self, conn: sqlite3.Connection) -> None:
        self.conn = conn

    @cached_property
    def utils(self) -> sqlite_utils.Database:
        import sqlite_utils

        return sqlite_utils.Database(self.conn)

    def __getattr__(self, name: str) -> Any:
        return getattr(self.utils, name)

    def __getitem__(self, table: str) -> Any:
        return self.utils[table]


def open_db(
    path: str | Path | None = None, *, migrate: bool = True, existing: bool = False
) -> Archive:
    """Open (creating if needed) and migrate the database every command works on;
    ``existing``: refuse a database file that holds no archive yet (an empty file)."""
    path = str(path or default_path())
    conn = sqlite3.connect(path, isolation_level=None, timeout=60, check_same_thread=False)
    conn.execute("PRAGMA busy_timeout = 60000")
    _refuse_other_databases(conn, path, existing)
    mode = conn.execute("PRAGMA journal_mode").fetchone()[0]
    if mode != "wal":
        conn.execute("PRAGMA journal_mode = WAL")
    conn.execute("PRAGMA synchronous = NORMAL")
    conn.execute("PRAGMA foreign_keys = ON")
    binding.install(conn)
    if migrate:
        apply_migrations(conn, after=_bind_migration)
    return Archive(conn)


def _refuse_other_databases(conn: sqlite3.Connection, path: str, existing: bool) -> None:
    """Raise :class:`NotAnArchive` (before anything is written) when the file holds tables but
    not an archive's: a command must not turn another application's database into one; with
    ``existing``, when it holds no table (a command that only reads must not make one)."""
    tables = [r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'")]
    if existing and not tables:
        conn.close()
        raise NotAnArchive(f"no archive in {path} (it is empty): run `provenance add` first")
    if tables and "_migrations" not in tables:
        conn.close()
        shown = ", ".join(sorted(tables)[:5]) + (", ..." if len(tables) > 5 else "")
        raise NotAnArchive(f"{path} holds another database (tables {shown}), not an archive")


def _bind_migration(conn: sqlite3.Connection, name: str) -> None:
    binding.after_migration(conn, name, append_event)


@contextmanager
def transaction(conn: sqlite3.Connection) -> Iterator[sqlite3.Connection]:
    """BEGIN IMMEDIATE … COMMIT, rolled back on any exception.

    Inside a transaction the caller already holds (a bulk add groups many sources in one),
    a savepoint instead: the block is still kept whole or undone whole."""
    if conn.in_transaction:
        conn.execute("SAVEPOINT block")
        try:
            yield conn
        except BaseException:
            conn.execute("ROLLBACK TO block")
            conn.execute("RELEASE block")
            raise
        conn.execute("RELEASE block")
        return
    conn.execute("BEGIN IMMEDIATE")
    try:
        yield conn
    except BaseException:
        conn.execute("ROLLBACK")
        raise
    conn.execute("COMMIT")


# --- events -------------------------------------------------------------------------------


def canonical_json(value: Any) -> str:
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False)


def event_hash(prev_hash: str | None, event: dict[str, Any]) -> str:
    """The hash of an event: covers the previous event's hash and the event's canonical JSON."""
    body = {"prev_hash": prev_hash, **event}
    return hashlib.sha256(canonical_json(body).encode("utf-8")).hexdigest()


def append_event(
    conn: sqlite3.Connection, action: str, payload: dict[str, Any], source_id: int | None = None
) -> str:
    """Append an event to the hash-chained log (inside the caller's transaction).

    The event binds every row changed on this connection since the last event (see
    :mod:`provenance.binding`): its payload gains ``rows``, the count and digest of them."""
    row = conn.execute("SELECT hash, id FROM events ORDER BY id DESC LIMIT 1").fetchone()
    prev = row[0] if row else None
    event_id = (row[1] if row else 0) + 1
    rows = binding.bind_touched(conn, event_id)
    if rows is not None:
        payload = {**payload, "rows": rows}
    event = {
        "at": now_iso(),
        "action": action,
        "source_id": source_id,
        "payload": payload,
        "tool_version": __version__,
    }
    digest = event_hash(prev, event)
    conn.execute(
        "INSERT INTO events (id, at, action, source_id, payload, prev_hash, hash, tool_version)"
        " VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
        (
            event_id,
            event["at"],
            action,
            source_id,
            canonical_json(payload),
            prev,
            digest,
            __version__,
        ),
    )
    return digest


def record_event(
    conn: sqlite3.Connection, action: str, payload: dict[str, Any], source_id: int | None = None
) -> str:
    """Append an event in a transaction of its own (for actions that write nothing else, such
    as an export); returns the new head hash."""
    with transaction(conn):
        return append_event(conn, action, payload, source_id)


def head(conn: sqlite3.Connection) -> dict[str, Any]:
    """The head of the event log: its hash (publish it elsewhere), the count and the time.

    A later ``provenance verify --head HASH`` proves the log still holds that event and
    everything before it, unchanged.
    """
    row = conn.execute("SELECT hash, at, id FROM events ORDER BY id DESC LIMIT 1").fetchone()
    count = conn.execute("SELECT count(*) FROM events").fetchone()[0]
    return {"head": row[0] if row else None, "events": count, "at": row[1] if row else None}


def claims_digest(conn: sqlite3.Connection, source_id: int) -> str:
    """SHA-256 over a source's claims (id, start, end, text), recorded in its event.

    With it the log vouches for the claims themselves, not only for the text they index: a
    claim moved to another sentence, with its offsets and text edited to match, is caught.
    """
    rows = conn.execute(
        "SELECT id, start, end, text FROM claims WHERE source_id = ? ORDER BY id", (source_id,)
    ).fetchall()
    return digest_of_claims(rows)


def digest_of_claims(rows: list) -> str:
    """:func:`claims_digest` of rows (id, start, end, text) in id order."""
    return hashlib.sha256(canonical_json([list(r) for r in rows]).encode("utf-8")).hexdigest()
