"""The read side: sources, claims, attributions and quotes as the CLI, the site and exports show them.

Reads only; imports storage and nothing of the write step (no analysis, ingesters or numpy).
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Iterator, Sequence
from typing import TYPE_CHECKING, Any, TypeAlias

from .errors import SourceNotFound

if TYPE_CHECKING:
    from .db import Archive

#: A connection, or the archive the commands open (its ``conn`` is read). Plain sqlite3 here:
#: sqlite-utils would load numpy, which the site never needs.
Readable: TypeAlias = "sqlite3.Connection | Archive"


def _query(db: Readable, sql: str, params: Sequence[Any] = ()) -> Iterator[dict[str, Any]]:
    """Rows as dicts of column name to value."""
    conn = db if isinstance(db, sqlite3.Connection) else db.conn
    cursor = conn.execute(sql, params)
    names = [d[0] for d in cursor.description]
    for row in cursor:
        yield dict(zip(names, row, strict=True))


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
    "capture",
    "previous_capture_id",
)


def list_sources(db: Readable) -> list[dict[str, Any]]:
    """Every source, in the order added."""
    return list(_query(db, f"SELECT {', '.join(SOURCE_FIELDS)} FROM sources ORDER BY id"))


# A claim's attribution as listed: the first that names a source (a bare cue says nothing of
# who), else the first; provenance.export picks the same one.
_CLAIMS_SQL = """
SELECT c.id, c.source_id, c.text, c.start, c.end, c.page, c.score, c.kind,
       (SELECT coalesce(g.name, a.mention) FROM attributions a
          LEFT JOIN agents g ON g.id = a.agent_id
          WHERE a.claim_id = c.id ORDER BY a.mention IS NULL, a.id LIMIT 1) AS attributed_to,
       (SELECT a.cue FROM attributions a WHERE a.claim_id = c.id
          ORDER BY a.mention IS NULL, a.id LIMIT 1) AS cue,
       c.model_version
FROM claims c
"""


def list_claims(db: Readable, source_id: int | None = None) -> list[dict[str, Any]]:
    """Claims with the agent and cue their source attributes them to."""
    if source_id is None:
        return list(_query(db, _CLAIMS_SQL + " ORDER BY c.id"))
    rows = list(_query(db, _CLAIMS_SQL + " WHERE c.source_id = ? ORDER BY c.start", [source_id]))
    if not rows and not list(_query(db, "SELECT 1 FROM sources WHERE id = ?", [source_id])):
        raise SourceNotFound(f"no source with id {source_id}")
    return rows


def get_source(db: Readable, source_id: int) -> dict[str, Any]:
    """One source with its text layer, claims, structure and children."""
    rows = list(
        _query(
            db,
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
        for r in _query(
            db, "SELECT id FROM sources WHERE parent_id = ? ORDER BY position", [source_id]
        )
    ]
    return source


def _span(start: int | None, end: int | None, text: str | None) -> dict[str, Any] | None:
    return None if start is None else {"start": start, "end": end, "text": text}


def list_attributions(db: Readable, source_id: int) -> list[dict[str, Any]]:
    """A source's attributions: cue, source mention and content as spans of its text layer."""
    rows = _query(
        db,
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


def list_quotes(db: Readable, source_id: int) -> list[dict[str, Any]]:
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
        for r in _query(
            db,
            "SELECT q.id, q.claim_id, q.start, q.end, q.text, q.speaker, q.speaker_start,"
            " q.speaker_end, g.name AS agent, q.traced_source_id FROM quotes q"
            " LEFT JOIN agents g ON g.id = q.speaker_agent_id WHERE q.source_id = ?"
            " ORDER BY q.start",
            [source_id],
        )
    ]
