"""Cross-source links: citations resolved to sources, repeated claims, quotes traced to originals.

Called inside the transaction that stores a capture, with the ids of the documents just stored.
Every lookup goes through an index (reference ids, URLs, normalised claim keys, full-text search),
never a scan of all claims.
"""

from __future__ import annotations

import json
import re
import sqlite3

from . import __version__
from .text import normal_key

EXACT_METHOD = "exact-normalised-0.1"
QUOTE_METHOD = "verbatim-0.1"
CITATION_METHOD = "identifier-0.1"
MIN_LINK_WORDS = 5
MIN_QUOTE_WORDS = 4


def resolve_citations(conn: sqlite3.Connection, source_ids: list[int]) -> int:
    """Resolve citations by identifier, in both directions: the new sources' citations of
    stored documents, and stored citations of the new documents."""
    marks = ",".join("?" for _ in source_ids)
    resolved = 0
    rows = conn.execute(
        f"SELECT id, kind, identifier, citing_source_id FROM citations"
        f" WHERE citing_source_id IN ({marks}) AND cited_source_id IS NULL"
        f" AND identifier IS NOT NULL",
        source_ids,
    ).fetchall()
    for citation_id, kind, identifier, citing in rows:
        target = _lookup(conn, kind, identifier, citing)
        if target is not None:
            conn.execute(
                "UPDATE citations SET cited_source_id = ?, confidence = 1.0 WHERE id = ?",
                (target, citation_id),
            )
            resolved += 1
    for source_id, reference_id, url, canonical in conn.execute(
        f"SELECT id, reference_id, url, canonical_url FROM sources WHERE id IN ({marks})",
        source_ids,
    ).fetchall():
        for identifier in {i for i in (reference_id, url, canonical) if i}:
            cursor = conn.execute(
                "UPDATE citations SET cited_source_id = ?, confidence = 1.0"
                " WHERE identifier = ? AND cited_source_id IS NULL AND citing_source_id != ?",
                (source_id, identifier, source_id),
            )
            resolved += cursor.rowcount
    return resolved


def _lookup(conn: sqlite3.Connection, kind: str, identifier: str, citing: int) -> int | None:
    if kind in ("cable", "cable-ref"):
        sql = "SELECT id FROM sources WHERE reference_id = ? AND id != ? ORDER BY id LIMIT 1"
        row = conn.execute(sql, (identifier, citing)).fetchone()
    elif kind == "url":
        row = conn.execute(
            "SELECT id FROM sources WHERE (url = ? OR canonical_url = ?) AND id != ?"
            " ORDER BY parent_id IS NOT NULL DESC, id LIMIT 1",
            (identifier, identifier, citing),
        ).fetchone()
    else:
        row = None
    return row[0] if row else None


def link_repeated_claims(conn: sqlite3.Connection, source_ids: list[int]) -> int:
    """Link each new claim to stored claims of other captures with the same normalised text."""
    family = set(source_ids)  # the page and its posts: one capture
    marks = ",".join("?" for _ in source_ids)
    links = []
    for claim_id, key in conn.execute(
        f"SELECT id, norm_key FROM claims WHERE source_id IN ({marks})", source_ids
    ).fetchall():
        if not key or len(key.split()) < MIN_LINK_WORDS:
            continue
        for other_id, other_source in conn.execute(
            "SELECT id, source_id FROM claims WHERE norm_key = ? AND id != ?", (key, claim_id)
        ).fetchall():
            if other_source not in family:
                links.append((claim_id, other_id, "same", 1.0, EXACT_METHOD, __version__))
    conn.executemany(
        "INSERT OR IGNORE INTO claim_links (claim_id, other_claim_id, relation, score, method,"
        " tool_version) VALUES (?, ?, ?, ?, ?, ?)",
        links,
    )
    return len(links)


def _flexible_pattern(words: list[str]) -> re.Pattern[str]:
    # Words in order, anything that is not a word between them (punctuation, line breaks).
    return re.compile(r"\b" + r"\W+".join(re.escape(w) for w in words) + r"\b", re.IGNORECASE)


def trace_quotes(conn: sqlite3.Connection, source_ids: list[int]) -> int:
    """Find where each new quotation occurs, word for word, in another stored source."""
    family = set(source_ids)  # the page and its posts: one capture
    marks = ",".join("?" for _ in source_ids)
    traced = 0
    for quote_id, text in conn.execute(
        f"SELECT id, text FROM quotes WHERE source_id IN ({marks})", source_ids
    ).fetchall():
        words = re.findall(r"\w+", text)
        if len(words) < MIN_QUOTE_WORDS:
            continue
        phrase = " ".join(words[:12]).replace('"', "")
        try:
            candidates = conn.execute(
                "SELECT rowid FROM sources_fts WHERE sources_fts MATCH ? LIMIT 50",
                (f'text:"{phrase}"',),
            ).fetchall()
        except sqlite3.OperationalError:
            continue
        pattern = _flexible_pattern(words)
        best = None
        for (candidate,) in candidates:
            if candidate in family:
                continue
            row = conn.execute(
                "SELECT text, published, parent_id FROM sources WHERE id = ?", (candidate,)
            ).fetchone()
            match = pattern.search(row[0])
            if match is None:
                continue
            key = (row[2] is not None, row[1] or "9999", candidate)  # posts, earliest first
            if best is None or key < best[0]:
                best = (key, candidate, match)
        if best is None:
            continue
        _, target, match = best
        original = match.group(0)
        same = normal_key(original) == normal_key(text)
        differences = [] if same else [{"quote": text, "original": original}]
        conn.execute(
            "UPDATE quotes SET traced_source_id = ?, traced_start = ?, traced_end = ?,"
            " traced_text = ?, differences = ?, trace_score = ? WHERE id = ?",
            (
                target,
                match.start(),
                match.end(),
                original,
                json.dumps(differences),
                1.0 if not differences else 0.95,
                quote_id,
            ),
        )
        traced += 1
    return traced


def link_sources(conn: sqlite3.Connection, source_ids: list[int]) -> dict[str, int]:
    """All linking for the documents of one capture; returns counts by kind of link."""
    return {
        "citations_resolved": resolve_citations(conn, source_ids),
        "claims_linked": link_repeated_claims(conn, source_ids),
        "quotes_traced": trace_quotes(conn, source_ids),
    }
