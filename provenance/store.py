"""The store step: write one prepared input whole or not at all, then link it.

Takes what the pipeline prepared (records, analyses, link hints) and gives stored sources: the
capture plan (added, unchanged, recaptured), the inserts, linking and re-anchoring, one event.
Only the pipeline (local or on a cluster) imports it; reads go through :mod:`provenance.reading`.
"""

from __future__ import annotations

import sqlite3
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any, NamedTuple

from . import __version__, captures, linking, profile
from .agents import agent_key, agent_kind
from .analysis import Analysis
from .archive import store_blob, text_sha256
from .db import append_event, canonical_json, digest_of_claims, now_iso, transaction
from .ingest.base import Extracted
from .inputs import Fetched
from .queries import rows_in


@dataclass
class Stored:
    """One stored document (a capture or one of its posts)."""

    source_id: int
    kind: str
    title: str | None
    parent_id: int | None = None
    claims: int = 0
    capture: int | None = None  # 1 for the first capture of a source, 2 for the next…
    previous_id: int | None = None  # the earlier capture this one re-captures
    anchors: dict[str, int] | None = None  # re-anchored claims of the earlier capture, by status


@dataclass
class Prepared:
    """Everything computed from one input before it is written: the record tree and analyses."""

    fetched: Fetched
    raw_sha256: str
    record: Extracted
    analyses: list[Analysis | None] = field(default_factory=list)  # in flatten() order
    timings: dict[str, float] = field(default_factory=dict)  # seconds per stage, for profiles
    link_hints: Any = None  # linking.LinkHints: linking work that needs no database

    def flatten(self) -> list[Extracted]:
        """The record then its children: the order sources are stored in."""
        return [self.record, *self.record.children]


def capture_tree(conn: sqlite3.Connection, top_id: int) -> list[Stored]:
    """A stored capture: its top-level document, then its posts."""
    top = conn.execute(
        "SELECT id, kind, title, capture, previous_capture_id FROM sources WHERE id = ?",
        (top_id,),
    ).fetchone()
    found = [Stored(top[0], top[1], top[2], capture=top[3], previous_id=top[4])]
    for row in conn.execute(
        "SELECT id, kind, title, capture, previous_capture_id FROM sources WHERE parent_id = ?"
        " ORDER BY position, id",
        (top_id,),
    ):
        found.append(Stored(row[0], row[1], row[2], top_id, capture=row[3], previous_id=row[4]))
    return found


def find_capture(conn: sqlite3.Connection, raw_sha256: str) -> list[Stored]:
    """The documents already stored for these bytes (the capture first), or []."""
    top = conn.execute(
        "SELECT id FROM sources WHERE raw_sha256 = ? AND parent_id IS NULL ORDER BY id LIMIT 1",
        (raw_sha256,),
    ).fetchone()
    return [] if top is None else capture_tree(conn, top[0])


class Capture(NamedTuple):
    """The latest stored capture of a path or URL."""

    source_id: int
    raw_sha256: str
    number: int  # 1 for the first capture, 2 for the next…


def latest_capture(conn: sqlite3.Connection, locator: str) -> Capture | None:
    """The latest capture of the source a path or URL names."""
    row = conn.execute(
        "SELECT id, raw_sha256, coalesce(capture, 1) FROM sources"
        " WHERE locator = ? AND parent_id IS NULL ORDER BY id DESC LIMIT 1",
        (locator,),
    ).fetchone()
    return None if row is None else Capture(*row)


def capture_plan(
    conn: sqlite3.Connection, locator: str | None, raw_sha256: str
) -> tuple[list[Stored], Capture | None]:
    """What adding these bytes from this path or URL means.

    Returns ``(stored, None)`` when nothing is to be written (the latest capture of this
    locator has these bytes, or the locator is new and the bytes are stored under another
    name), else ``([], previous)`` where ``previous`` is the capture to supersede or None.
    """
    previous = latest_capture(conn, locator) if locator else None
    if previous is not None:
        if previous.raw_sha256 == raw_sha256:
            return capture_tree(conn, previous.source_id), None
        return [], previous  # different bytes at the same place: a new capture
    return find_capture(conn, raw_sha256), None


def _recorded_status(record: Extracted) -> int | None:
    """The HTTP status a part of a capture was answered with (a WARC response record's)."""
    status = record.metadata.get("http_status")
    return status if isinstance(status, int) else None


def _recorded_type(record: Extracted) -> str | None:
    """The media type a part of a capture was served as (as a fetched URL's is stored)."""
    return (record.metadata.get("content_type") or "").split(";")[0].strip() or None


def _insert_source(
    conn: sqlite3.Connection,
    record: Extracted,
    fetched: Fetched,
    raw_sha256: str,
    parent_id: int | None,
    position: int | None,
    capture: int = 1,
    previous_id: int | None = None,
) -> int:
    columns = record.columns()
    columns.update(
        locator=fetched.locator if parent_id is None else None,
        capture=capture,
        previous_capture_id=previous_id,
        text=record.text,
        text_sha256=text_sha256(record.text),
        raw_sha256=raw_sha256,
        input=fetched.input,
        retrieved=record.retrieved or fetched.retrieved,
        http_status=fetched.http_status if parent_id is None else _recorded_status(record),
        content_type=fetched.content_type if parent_id is None else _recorded_type(record),
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
    # A work of its own until renditions are recognised (provenance.works); a new capture of
    # a path or URL stays in the work of the capture before it.
    conn.execute(
        "UPDATE sources SET work_id = coalesce((SELECT work_id FROM sources WHERE id = ?), id)"
        " WHERE id = ?",
        (previous_id, source_id),
    )
    conn.execute(
        "INSERT INTO sources_fts (rowid, title, text) VALUES (?, ?, ?)",
        (source_id, record.title or "", record.text),
    )
    if record.structure:
        conn.executemany(
            "INSERT INTO structure (source_id, kind, number, label, start, end, tool_version)"
            " VALUES (?, ?, ?, ?, ?, ?, ?)",
            [
                (source_id, s.kind, s.number, s.label, s.start, s.end, __version__)
                for s in record.structure
            ],
        )
    return source_id


def ensure_agent(conn: sqlite3.Connection, name: str) -> int | None:
    """The id of the agent a mention names (created on first sight), or None for no name."""
    return ensure_agents(conn, [name]).get(name)


@lru_cache(maxsize=50_000)
class AgentRow(NamedTuple):
    """An ``agents`` row as first inserted."""

    name: str
    key: str
    kind: str


def _agent_row(name: str) -> AgentRow | None:
    """The agent a name stands for, or None when it has no key."""
    key = agent_key(name)
    return AgentRow(name.strip(), key, agent_kind(name)) if key else None


def ensure_agents(conn: sqlite3.Connection, names: list[str]) -> dict[str, int]:
    """The ids of the agents these names stand for, created in order on first sight (names
    without a key are left out): two statements for a source, not two per name."""
    rows = {name: _agent_row(name) for name in dict.fromkeys(names)}
    keyed: dict[str, AgentRow] = {}
    for row in rows.values():
        if row is not None:
            keyed.setdefault(row.key, row)  # the name first seen, as one insert at a time kept
    if not keyed:
        return {}
    conn.executemany(
        "INSERT INTO agents (name, key, kind, tool_version) VALUES (?, ?, ?, ?)"
        " ON CONFLICT(key) DO NOTHING",
        [(*row, __version__) for row in keyed.values()],
    )
    ids = dict(rows_in(conn, "SELECT key, id FROM agents WHERE key IN ({marks})", keyed))
    return {name: ids[row.key] for name, row in rows.items() if row is not None}


def _insert_analysis(
    conn: sqlite3.Connection, source_id: int, text: str, analysis: Analysis
) -> list[int]:
    """Store a document's claims and what was found in them; returns the new claim ids."""
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

    agents = ensure_agents(
        conn,
        [
            agent
            for found in (analysis.attributions, analysis.quotes)
            for item in found
            if (agent := getattr(item, "agent", None))
        ],
    )
    rows = []
    for a in analysis.attributions:
        mention = text[a.mention[0] : a.mention[1]] if a.mention else None
        agent = getattr(a, "agent", None)
        agent_id = agents.get(agent) if agent else None
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
                getattr(a, "method", None) or analysis.method,  # a credit line's own rule
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
                agents.get(agent) if agent else None,
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


def store_prepared(
    conn: sqlite3.Connection, prepared: Prepared, memory: linking.LinkMemory | None = None
) -> tuple[str, list[Stored]]:
    """Store one input's documents whole or not at all.

    ``memory`` is what linking keeps from one capture to the next of a batch (see
    :class:`provenance.linking.LinkMemory`); without one, this capture is linked on its own.

    Returns ``("unchanged", …)`` when nothing is to be written (see :func:`capture_plan`;
    checked inside the transaction, so two writers racing on the same bytes store them once),
    ``("recaptured", …)`` when the bytes are a new capture of a source already stored from the
    same path or URL (its claims are re-anchored into the new text), else ``("added", …)``.
    """
    # Linking holds the new claims' band keys in ``memory`` until they are written: here,
    # unless the caller holds the transaction and the memory (a batch writes them before it
    # commits).
    write_keys = memory is None or not conn.in_transaction
    memory = memory or linking.LinkMemory()
    mark = memory.claim_keys_mark()
    try:
        with transaction(conn):
            existing, previous = capture_plan(conn, prepared.fetched.locator, prepared.raw_sha256)
            if existing:
                return "unchanged", existing
            store_blob(conn, prepared.fetched.data, prepared.raw_sha256)
            number = previous.number + 1 if previous else 1
            records = prepared.flatten()
            before = [None] * len(records)
            if previous:
                before = [
                    previous.source_id,
                    *captures.match_children(conn, previous.source_id, records[1:]),
                ]
            stored: list[Stored] = []
            raws: list[str] = []
            digests: list[str] = []
            parent_id = None
            for position, (record, analysis, previous_id) in enumerate(
                zip(records, prepared.analyses, before, strict=True)
            ):
                raw_sha256 = prepared.raw_sha256
                if record.raw is not None:  # a document with bytes of its own (a WARC record)
                    raw_sha256 = store_blob(conn, record.raw)
                raws.append(raw_sha256)
                source_id = _insert_source(
                    conn,
                    record,
                    prepared.fetched,
                    raw_sha256,
                    parent_id,
                    None if parent_id is None else position,
                    number,
                    previous_id,
                )
                item = Stored(
                    source_id, record.kind, record.title, parent_id, 0, number, previous_id
                )
                claim_rows: list[tuple] = []
                if analysis is not None:
                    claim_ids = _insert_analysis(conn, source_id, record.text, analysis)
                    item.claims = len(claim_ids)
                    claim_rows = [
                        (cid, c.start, c.end, c.text)
                        for cid, c in zip(claim_ids, analysis.claims, strict=True)
                    ]
                digests.append(digest_of_claims(claim_rows))  # as claims_digest reads them back
                if parent_id is None:
                    parent_id = source_id
                stored.append(item)
            with profile.stage("link"):
                ids = [s.source_id for s in stored]
                with memory.linking(ids, prepared.link_hints):
                    link_counts = linking.link_sources(conn, ids, memory)
                if write_keys:
                    memory.write_claim_keys(conn)
            payload: dict[str, Any] = {
                "input": prepared.fetched.input,
                "locator": prepared.fetched.locator,
                "raw_sha256": prepared.raw_sha256,
                "retrieved": prepared.fetched.retrieved,
                "capture": number,
                "sources": [
                    {
                        "id": s.source_id,
                        "kind": s.kind,
                        "raw_sha256": raw,
                        "text_sha256": text_sha256(r.text),
                        "claims": s.claims,
                        "claims_sha256": digest,
                    }
                    for s, r, raw, digest in zip(stored, records, raws, digests, strict=True)
                ],
                "links": link_counts,
            }
            if previous:
                by_status = captures.reanchor_capture(conn, previous.source_id, stored)
                stored[0].anchors = by_status
                payload["previous_id"] = previous.source_id
                payload["anchors"] = by_status
                payload["anchors_sha256"] = captures.anchors_digest(conn, stored[0].source_id)
            append_event(
                conn, "recapture" if previous else "add", payload, source_id=stored[0].source_id
            )
    except BaseException:
        memory.forget_uncommitted()  # the ids it was given are given out again
        memory.drop_claim_keys(mark)
        raise
    return ("recaptured" if previous else "added"), stored


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
