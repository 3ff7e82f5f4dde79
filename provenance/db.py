"""The database: open and migrate it, store one source atomically, record failures and events.

One ``.db`` file is a complete archive: raw bytes (``blobs``), text layers (``sources``), claims
and everything derived from them, and a hash-chained event log.
"""

from __future__ import annotations

import hashlib
import json
import os
import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import sqlite_utils

from . import __version__
from .analysis import Analysis
from .archive import store_blob, text_sha256
from .attribution import agent_key, agent_kind
from .errors import SourceNotFound
from .ingest.base import Extracted
from .inputs import Fetched, now_iso
from .migrations import apply_migrations

DEFAULT_DB = "provenance.db"


def default_path() -> str:
    """``$PROVENANCE_DB`` or ``./provenance.db``."""
    return os.environ.get("PROVENANCE_DB") or DEFAULT_DB


def open_db(path: str | Path | None = None, *, migrate: bool = True) -> sqlite_utils.Database:
    """Open (creating if needed) and migrate the database every command works on."""
    path = str(path or default_path())
    conn = sqlite3.connect(path, isolation_level=None, timeout=60, check_same_thread=False)
    conn.execute("PRAGMA busy_timeout = 60000")
    mode = conn.execute("PRAGMA journal_mode").fetchone()[0]
    if mode != "wal":
        conn.execute("PRAGMA journal_mode = WAL")
    conn.execute("PRAGMA synchronous = NORMAL")
    conn.execute("PRAGMA foreign_keys = ON")
    if migrate:
        apply_migrations(conn)
    return sqlite_utils.Database(conn)


@contextmanager
def transaction(conn: sqlite3.Connection) -> Iterator[sqlite3.Connection]:
    """BEGIN IMMEDIATE … COMMIT, rolled back on any exception."""
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
    """Append an event to the hash-chained log (inside the caller's transaction)."""
    row = conn.execute("SELECT hash FROM events ORDER BY id DESC LIMIT 1").fetchone()
    prev = row[0] if row else None
    event = {
        "at": now_iso(),
        "action": action,
        "source_id": source_id,
        "payload": payload,
        "tool_version": __version__,
    }
    digest = event_hash(prev, event)
    conn.execute(
        "INSERT INTO events (at, action, source_id, payload, prev_hash, hash, tool_version)"
        " VALUES (?, ?, ?, ?, ?, ?, ?)",
        (event["at"], action, source_id, canonical_json(payload), prev, digest, __version__),
    )
    return digest


# --- storing a source ---------------------------------------------------------------------


@dataclass
class Stored:
    """One stored document (a capture or one of its posts)."""

    source_id: int
    kind: str
    title: str | None
    parent_id: int | None = None
    claims: int = 0


@dataclass
class Prepared:
    """Everything computed from one input before it is written: the record tree and analyses."""

    fetched: Fetched
    raw_sha256: str
    record: Extracted
    analyses: list[Analysis | None] = field(default_factory=list)  # in flatten() order

    def flatten(self) -> list[Extracted]:
        """The record then its children: the order sources are stored in."""
        return [self.record, *self.record.children]


def find_capture(conn: sqlite3.Connection, raw_sha256: str) -> list[Stored]:
    """The documents already stored for these bytes (the capture first), or []."""
    top = conn.execute(
        "SELECT id, kind, title FROM sources WHERE raw_sha256 = ? AND parent_id IS NULL"
        " ORDER BY id LIMIT 1",
        (raw_sha256,),
    ).fetchone()
    if top is None:
        return []
    found = [Stored(top[0], top[1], top[2])]
    for row in conn.execute(
        "SELECT id, kind, title FROM sources WHERE parent_id = ? ORDER BY position, id", (top[0],)
    ):
        found.append(Stored(row[0], row[1], row[2], parent_id=top[0]))
    return found


def _insert_source(
    conn: sqlite3.Connection,
    record: Extracted,
    fetched: Fetched,
    raw_sha256: str,
    parent_id: int | None,
    position: int | None,
) -> int:
    columns = record.columns()
    columns.update(
        text=record.text,
        text_sha256=text_sha256(record.text),
        raw_sha256=raw_sha256,
        input=fetched.input,
        retrieved=fetched.retrieved,
        http_status=fetched.http_status if parent_id is None else None,
        content_type=fetched.content_type if parent_id is None else None,
        parent_id=parent_id,
        position=position,
        metadata=canonical_json(record.metadata) if record.metadata else None,
        tool_version=__version__,
        added=now_iso(),
    )
    if parent_id is None and fetched.url:
        columns["url"] = fetched.url
    names = list(columns)
    cursor = conn.execute(
        f"INSERT INTO sources ({', '.join(names)}) VALUES ({', '.join('?' for _ in names)})",
        [columns[n] for n in names],
    )
    source_id = cursor.lastrowid
    assert source_id is not None
    conn.execute(
        "INSERT INTO sources_fts (rowid, title, text) VALUES (?, ?, ?)",
        (source_id, record.title or "", record.text),
    )
    if record.structure:
        conn.executemany(
            "INSERT INTO structure (source_id, kind, number, label, start, end)"
            " VALUES (?, ?, ?, ?, ?, ?)",
            [(source_id, s.kind, s.number, s.label, s.start, s.end) for s in record.structure],
        )
    return source_id


def ensure_agent(conn: sqlite3.Connection, name: str) -> int | None:
    """The id of the agent a mention names (created on first sight), or None for no name."""
    key = agent_key(name)
    if not key:
        return None
    conn.execute(
        "INSERT INTO agents (name, key, kind) VALUES (?, ?, ?) ON CONFLICT(key) DO NOTHING",
        (name.strip(), key, agent_kind(name)),
    )
    return conn.execute("SELECT id FROM agents WHERE key = ?", (key,)).fetchone()[0]


def _insert_analysis(
    conn: sqlite3.Connection, source_id: int, text: str, analysis: Analysis
) -> list[int]:
    first = conn.execute("SELECT coalesce(max(id), 0) + 1 FROM claims").fetchone()[0]
    claim_ids = list(range(first, first + len(analysis.claims)))
    conn.executemany(
        "INSERT INTO claims (id, source_id, start, end, page, paragraph, text, prefix, suffix,"
        " score, kind, norm_key, model_version, tool_version)"
        " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        [
            (
                cid,
                source_id,
                c.start,
                c.end,
                c.page,
                c.paragraph,
                c.text,
                c.prefix,
                c.suffix,
                c.score,
                c.kind,
                c.norm_key,
                analysis.model_version,
                __version__,
            )
            for cid, c in zip(claim_ids, analysis.claims, strict=True)
        ],
    )
    if claim_ids:
        conn.execute(
            "INSERT INTO claims_fts (rowid, text) SELECT id, text FROM claims WHERE source_id = ?",
            (source_id,),
        )

    def claim_id(index: int | None) -> int | None:
        return None if index is None else claim_ids[index]

    rows = []
    for a in analysis.attributions:
        mention = text[a.mention[0] : a.mention[1]] if a.mention else None
        agent = getattr(a, "agent", None)
        agent_id = ensure_agent(conn, agent) if agent else None
        rows.append(
            (
                source_id,
                claim_id(a.claim),
                a.cue[0],
                a.cue[1],
                text[a.cue[0] : a.cue[1]],
                a.mention[0] if a.mention else None,
                a.mention[1] if a.mention else None,
                mention,
                a.content[0],
                a.content[1],
                text[a.content[0] : a.content[1]],
                agent_id,
                analysis.method,
                __version__,
            )
        )
    conn.executemany(
        "INSERT INTO attributions (source_id, claim_id, cue_start, cue_end, cue, mention_start,"
        " mention_end, mention, content_start, content_end, content, agent_id, method,"
        " tool_version) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        rows,
    )
    quote_rows = []
    for q in analysis.quotes:
        speaker = text[q.speaker[0] : q.speaker[1]] if q.speaker else None
        agent = getattr(q, "agent", None)
        quote_rows.append(
            (
                source_id,
                claim_id(q.claim),
                q.start,
                q.end,
                q.text,
                speaker,
                q.speaker[0] if q.speaker else None,
                q.speaker[1] if q.speaker else None,
                ensure_agent(conn, agent) if agent else None,
                analysis.method,
                __version__,
            )
        )
    conn.executemany(
        "INSERT INTO quotes (source_id, claim_id, start, end, text, speaker, speaker_start,"
        " speaker_end, speaker_agent_id, method, tool_version)"
        " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        quote_rows,
    )
    conn.executemany(
        "INSERT INTO citations (citing_source_id, claim_id, start, end, mention, kind, identifier,"
        " method, tool_version) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
        [
            (
                source_id,
                claim_id(m.claim),
                m.start,
                m.end,
                m.mention,
                m.kind,
                m.identifier,
                "identifier-0.1",
                __version__,
            )
            for m in analysis.mentions
        ],
    )
    return claim_ids


def store_prepared(conn: sqlite3.Connection, prepared: Prepared) -> tuple[str, list[Stored]]:
    """Store one input's documents whole or not at all.

    Returns ``("unchanged", …)`` when these bytes are already stored (checked inside the
    transaction, so two writers racing on the same bytes store them once), else ``("added", …)``.
    """
    from . import linking

    with transaction(conn):
        existing = find_capture(conn, prepared.raw_sha256)
        if existing:
            return "unchanged", existing
        store_blob(conn, prepared.fetched.data, prepared.raw_sha256)
        stored: list[Stored] = []
        parent_id = None
        for position, (record, analysis) in enumerate(
            zip(prepared.flatten(), prepared.analyses, strict=True)
        ):
            source_id = _insert_source(
                conn,
                record,
                prepared.fetched,
                prepared.raw_sha256,
                parent_id,
                None if parent_id is None else position,
            )
            item = Stored(source_id, record.kind, record.title, parent_id)
            if analysis is not None:
                claim_ids = _insert_analysis(conn, source_id, record.text, analysis)
                item.claims = len(claim_ids)
            if parent_id is None:
                parent_id = source_id
            stored.append(item)
        link_counts = linking.link_sources(conn, [s.source_id for s in stored])
        append_event(
            conn,
            "add",
            {
                "input": prepared.fetched.input,
                "raw_sha256": prepared.raw_sha256,
                "sources": [
                    {
                        "id": s.source_id,
                        "kind": s.kind,
                        "text_sha256": text_sha256(r.text),
                        "claims": s.claims,
                    }
                    for s, r in zip(stored, prepared.flatten(), strict=True)
                ],
                "links": link_counts,
            },
            source_id=stored[0].source_id,
        )
    return "added", stored


def record_failure(
    conn: sqlite3.Connection,
    input_name: str,
    error: BaseException,
    data: bytes | None = None,
    raw_sha256: str | None = None,
) -> None:
    """Record a failed input (and archive its bytes), unless the same failure is recorded."""
    message = str(error) or type(error).__name__
    with transaction(conn):
        if data is not None:
            raw_sha256 = store_blob(conn, data, raw_sha256)
        same = conn.execute(
            "SELECT 1 FROM failures WHERE input = ? AND raw_sha256 IS ? AND error = ?",
            (input_name, raw_sha256, message),
        ).fetchone()
        if same:
            return
        conn.execute(
            "INSERT INTO failures (input, raw_sha256, error_type, error, attempted, tool_version)"
            " VALUES (?, ?, ?, ?, ?, ?)",
            (input_name, raw_sha256, type(error).__name__, message, now_iso(), __version__),
        )
        append_event(
            conn, "fail", {"input": input_name, "raw_sha256": raw_sha256, "error": message}
        )


# --- reading ------------------------------------------------------------------------------

SOURCE_FIELDS = (
    "id",
    "kind",
    "title",
    "author",
    "publisher",
    "published",
    "url",
    "canonical_url",
    "raw_sha256",
    "text_sha256",
    "parent_id",
    "reference_id",
    "classification",
    "origin",
    "subject",
    "tags",
    "released",
    "page_count",
    "producer",
    "retrieved",
    "input",
    "http_status",
    "content_type",
    "extractor",
    "extractor_version",
    "tool_version",
)


def list_sources(db: sqlite_utils.Database) -> list[dict[str, Any]]:
    """Every source, in the order added."""
    return list(db.query(f"SELECT {', '.join(SOURCE_FIELDS)} FROM sources ORDER BY id"))


_CLAIMS_SQL = """
SELECT c.id, c.source_id, c.text, c.start, c.end, c.page, c.score, c.kind,
       (SELECT coalesce(g.name, a.mention) FROM attributions a
          LEFT JOIN agents g ON g.id = a.agent_id
          WHERE a.claim_id = c.id ORDER BY a.id LIMIT 1) AS attributed_to,
       (SELECT a.cue FROM attributions a WHERE a.claim_id = c.id ORDER BY a.id LIMIT 1) AS cue,
       c.model_version
FROM claims c
"""


def list_claims(db: sqlite_utils.Database, source_id: int | None = None) -> list[dict[str, Any]]:
    """Claims with the agent and cue their source attributes them to."""
    if source_id is None:
        return list(db.query(_CLAIMS_SQL + " ORDER BY c.id"))
    return list(db.query(_CLAIMS_SQL + " WHERE c.source_id = ? ORDER BY c.start", [source_id]))


def get_source(db: sqlite_utils.Database, source_id: int) -> dict[str, Any]:
    """One source with its text layer, claims, structure and children."""
    rows = list(
        db.query(
            f"SELECT {', '.join(SOURCE_FIELDS)}, text, metadata FROM sources WHERE id = ?",
            [source_id],
        )
    )
    if not rows:
        raise SourceNotFound(f"no source with id {source_id}")
    source = rows[0]
    source["metadata"] = json.loads(source["metadata"]) if source["metadata"] else {}
    source["claims"] = list_claims(db, source_id)
    source["attributions"] = list_attributions(db, source_id)
    source["quotes"] = list_quotes(db, source_id)
    source["children"] = [
        r["id"]
        for r in db.query(
            "SELECT id FROM sources WHERE parent_id = ? ORDER BY position", [source_id]
        )
    ]
    return source


def _span(start: int | None, end: int | None, text: str | None) -> dict[str, Any] | None:
    return None if start is None else {"start": start, "end": end, "text": text}


def list_attributions(db: sqlite_utils.Database, source_id: int) -> list[dict[str, Any]]:
    """A source's attributions: cue, source mention and content as spans of its text layer."""
    rows = db.query(
        "SELECT a.id, a.claim_id, a.cue_start, a.cue_end, a.cue, a.mention_start,"
        " a.mention_end, a.mention, a.content_start, a.content_end, a.content, s.text AS layer,"
        " g.name AS agent, a.method FROM attributions a JOIN sources s ON s.id = a.source_id"
        " LEFT JOIN agents g ON g.id = a.agent_id WHERE a.source_id = ? ORDER BY a.cue_start",
        [source_id],
    )
    out = []
    for r in rows:
        content = r["content"]
        if content is None and r["content_start"] is not None:  # rows stored before the column
            content = r["layer"][r["content_start"] : r["content_end"]]
        out.append(
            {
                "id": r["id"],
                "claim_id": r["claim_id"],
                "cue": _span(r["cue_start"], r["cue_end"], r["cue"]),
                "source": _span(r["mention_start"], r["mention_end"], r["mention"]),
                "content": _span(r["content_start"], r["content_end"], content),
                "agent": r["agent"],
                "method": r["method"],
            }
        )
    return out


def list_quotes(db: sqlite_utils.Database, source_id: int) -> list[dict[str, Any]]:
    """A source's direct quotations and who the source says spoke them."""
    return [
        {
            "id": r["id"],
            "claim_id": r["claim_id"],
            "start": r["start"],
            "end": r["end"],
            "text": r["text"],
            "speaker": r["agent"] or r["speaker"],
            "speaker_span": _span(r["speaker_start"], r["speaker_end"], r["speaker"]),
            "traced_source_id": r["traced_source_id"],
        }
        for r in db.query(
            "SELECT q.id, q.claim_id, q.start, q.end, q.text, q.speaker, q.speaker_start,"
            " q.speaker_end, g.name AS agent, q.traced_source_id FROM quotes q"
            " LEFT JOIN agents g ON g.id = q.speaker_agent_id WHERE q.source_id = ?"
            " ORDER BY q.start",
            [source_id],
        )
    ]
