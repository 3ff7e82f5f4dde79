"""Captures of the same source over time: lineage, claims re-anchored, and the diff.

Adding a path or URL again with different bytes stores a new capture: a ``sources`` row with
its own blob, hashes, retrieval time, text layer and claims, whose ``previous_capture_id``
points at the capture it supersedes and whose ``capture`` counts them (1, 2, …). Rows of
earlier captures are never rewritten: each capture's claims stay anchored in the exact text
they were cut from, so every invariant holds for every capture. What became of each earlier
claim in the new text is a ``claim_anchors`` row (see :mod:`provenance.anchoring`).
"""

from __future__ import annotations

import hashlib
import json
import sqlite3
from collections.abc import Sequence
from typing import Any

from . import __version__
from .anchoring import METHOD, Anchor, Claim, counts, reanchor
from .errors import ProvenanceError, SourceNotFound
from .ingest.base import Extracted


class NothingToCompare(ProvenanceError):
    """A source with a single capture has no earlier capture to compare with."""


def match_children(
    conn: sqlite3.Connection, previous_id: int, records: Sequence[Extracted]
) -> list[int | None]:
    """For each post of a new capture, the post of the previous capture it continues, if any.

    Posts are matched by URL, then by title, then by identical text, each post at most once;
    never by position (an archive page shifts its posts when a new one is published).
    """
    rows = conn.execute(
        "SELECT id, url, title, text_sha256 FROM sources WHERE parent_id = ? ORDER BY position",
        (previous_id,),
    ).fetchall()
    from .archive import text_sha256

    matched: list[int | None] = [None] * len(records)
    used: set[int] = set()
    keys = (
        (lambda r: r.url, 1),
        (lambda r: r.title, 2),
        (lambda r: text_sha256(r.text), 3),
    )
    for key, column in keys:
        for index, record in enumerate(records):
            value = key(record)
            if matched[index] is not None or not value:
                continue
            candidates = [row[0] for row in rows if row[column] == value and row[0] not in used]
            if len(candidates) == 1:
                matched[index] = candidates[0]
                used.add(candidates[0])
    return matched


def _claims(conn: sqlite3.Connection, source_id: int) -> list[Claim]:
    return [
        Claim(*row)
        for row in conn.execute(
            "SELECT id, start, end, text FROM claims WHERE source_id = ? ORDER BY start, id",
            (source_id,),
        )
    ]


def _new_claim_id(claims: list[Claim], anchor: Anchor) -> int | None:
    """The claim of the new capture at the anchor's span (exact, else the most overlap)."""
    if anchor.start is None or anchor.end is None:
        return None
    best, best_overlap = None, 0
    for claim in claims:
        if (claim.start, claim.end) == (anchor.start, anchor.end):
            return claim.id
        overlap = min(claim.end, anchor.end) - max(claim.start, anchor.start)
        if overlap > best_overlap:
            best, best_overlap = claim.id, overlap
    return best


def store_anchors(
    conn: sqlite3.Connection, old_id: int, new_id: int | None, capture_id: int
) -> list[Anchor]:
    """Re-anchor the claims of source ``old_id`` into source ``new_id`` and store the result.

    ``new_id`` is None for a post that is no longer on the page: its claims are orphaned in
    the new capture ``capture_id``.
    """
    old_claims = _claims(conn, old_id)
    if not old_claims:
        return []
    old_text = conn.execute("SELECT text FROM sources WHERE id = ?", (old_id,)).fetchone()[0]
    new_text, new_claims = "", []
    if new_id is not None:
        new_text = conn.execute("SELECT text FROM sources WHERE id = ?", (new_id,)).fetchone()[0]
        new_claims = _claims(conn, new_id)
    anchors = reanchor(old_text, new_text, old_claims)
    conn.executemany(
        "INSERT INTO claim_anchors (claim_id, from_source_id, to_source_id, status, start, end,"
        " text, new_claim_id, similarity, difference, method, tool_version)"
        " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        [
            (
                a.claim_id,
                old_id,
                new_id if new_id is not None else capture_id,
                a.status,
                a.start,
                a.end,
                a.text,
                _new_claim_id(new_claims, a),
                a.similarity,
                json.dumps(a.difference, ensure_ascii=False) if a.difference is not None else None,
                METHOD,
                __version__,
            )
            for a in anchors
        ],
    )
    return anchors


def reanchor_capture(conn: sqlite3.Connection, previous_id: int, stored: Sequence) -> dict:
    """Re-anchor every claim of the previous capture (its posts' too) into the new capture."""
    anchors: list[Anchor] = []
    new_top = stored[0].source_id
    anchors += store_anchors(conn, previous_id, new_top, new_top)
    continued = {s.previous_id: s.source_id for s in stored[1:] if s.previous_id is not None}
    for (child_id,) in conn.execute(
        "SELECT id FROM sources WHERE parent_id = ? ORDER BY position", (previous_id,)
    ).fetchall():
        anchors += store_anchors(conn, child_id, continued.get(child_id), new_top)
    return counts(anchors)


def anchors_digest(conn: sqlite3.Connection, capture_id: int) -> str:
    """SHA-256 over the anchors stored for a capture (recorded in its ``recapture`` event)."""
    rows = conn.execute(
        "SELECT a.claim_id, a.status, a.start, a.end, a.text FROM claim_anchors a"
        " JOIN sources s ON s.id = a.to_source_id"
        " WHERE s.id = ? OR s.parent_id = ? ORDER BY a.claim_id",
        (capture_id, capture_id),
    ).fetchall()
    body = json.dumps([list(r) for r in rows], ensure_ascii=False, separators=(",", ":"))
    return hashlib.sha256(body.encode("utf-8")).hexdigest()


def lineage(conn: sqlite3.Connection, source_id: int) -> list[int]:
    """Every capture of the source ``source_id`` is a capture of, oldest first."""
    row = conn.execute(
        "SELECT id, previous_capture_id FROM sources WHERE id = ?", (source_id,)
    ).fetchone()
    if row is None:
        raise SourceNotFound(f"no source with id {source_id}")
    first, seen = row[0], {row[0]}
    while row and row[1] is not None and row[1] not in seen:
        row = conn.execute(
            "SELECT id, previous_capture_id FROM sources WHERE id = ?", (row[1],)
        ).fetchone()
        if row:
            first = row[0]
            seen.add(row[0])
    chain = [first]
    while True:
        after = conn.execute(
            "SELECT id FROM sources WHERE previous_capture_id = ? ORDER BY id LIMIT 1",
            (chain[-1],),
        ).fetchone()
        if after is None or after[0] in chain:
            return chain
        chain.append(after[0])


_CAPTURE_FIELDS = (
    "id",
    "capture",
    "retrieved",
    "raw_sha256",
    "text_sha256",
    "input",
    "url",
    "http_status",
    "title",
)


def _capture(conn: sqlite3.Connection, source_id: int) -> dict[str, Any]:
    row = conn.execute(
        f"SELECT {', '.join(_CAPTURE_FIELDS)} FROM sources WHERE id = ?", (source_id,)
    ).fetchone()
    capture = dict(zip(_CAPTURE_FIELDS, row, strict=True))
    capture["source_id"] = capture.pop("id")
    return capture


def diff(conn: sqlite3.Connection, source_id: int) -> dict[str, Any]:
    """What changed between the last two captures of a source, claim by claim.

    ``{"captures": [earlier, later], "claims": [{"claim_id", "status", "old", "new"}…],
    "new_claims": […], "counts": {status: n}}``; ``new`` is null for an orphaned claim, and an
    edited claim also carries ``similarity`` and ``difference`` (word by word). For an archive
    page the claims of its posts are included, each with its ``source_id``.
    """
    chain = lineage(conn, source_id)
    if len(chain) < 2:
        raise NothingToCompare(f"source {source_id} has one capture: nothing to compare")
    earlier, later = chain[-2], chain[-1]
    family = [later] + [
        r[0] for r in conn.execute("SELECT id FROM sources WHERE parent_id = ?", (later,))
    ]
    marks = ",".join("?" for _ in family)
    rows = conn.execute(
        "SELECT a.claim_id, a.status, c.start, c.end, c.text, a.start, a.end, a.text,"
        " a.similarity, a.difference, a.from_source_id, a.to_source_id, a.new_claim_id"
        " FROM claim_anchors a JOIN claims c ON c.id = a.claim_id"
        f" WHERE a.to_source_id IN ({marks}) ORDER BY a.from_source_id, c.start, a.claim_id",
        family,
    ).fetchall()
    claims = []
    reached = set()
    for row in rows:
        anchor = Anchor(
            row[0], row[1], row[2], row[3], row[4], row[5], row[6], row[7], row[8],
            json.loads(row[9]) if row[9] else None,
        )  # fmt: skip
        item = anchor.as_dict()
        item["source_id"] = row[10]
        item["new_source_id"] = row[11] if anchor.status != "orphaned" else None
        item["new_claim_id"] = row[12]
        if row[12] is not None:
            reached.add(row[12])
        claims.append(item)
    new_claims = [
        {"claim_id": r[0], "source_id": r[1], "start": r[2], "end": r[3], "text": r[4]}
        for r in conn.execute(
            f"SELECT id, source_id, start, end, text FROM claims WHERE source_id IN ({marks})"
            " ORDER BY source_id, start",
            family,
        )
        if r[0] not in reached
    ]
    by_status = dict.fromkeys(("unchanged", "moved", "edited", "orphaned"), 0)
    for item in claims:
        by_status[item["status"]] += 1
    return {
        "source_id": source_id,
        "captures": [_capture(conn, earlier), _capture(conn, later)],
        "claims": claims,
        "new_claims": new_claims,
        "counts": by_status,
    }
