"""Fixity and invariants: blobs hash to their keys, spans hold their text, the event chain holds.

What this proves is integrity since capture (nothing changed in the database after it was
written), not authenticity at origin (that the page said this on the web).
"""

from __future__ import annotations

import hashlib
import json
import sqlite3
from dataclasses import asdict, dataclass, field

from .archive import text_sha256
from .db import event_hash


@dataclass
class Problem:
    check: str
    message: str
    source_id: int | None = None
    claim_id: int | None = None


@dataclass
class Report:
    checked: dict[str, int] = field(default_factory=dict)
    problems: list[Problem] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.problems

    def as_dict(self) -> dict:
        return {
            "ok": self.ok,
            "checked": self.checked,
            "problems": [asdict(p) for p in self.problems],
        }


def check_blobs(conn: sqlite3.Connection, report: Report) -> None:
    """Every archived blob hashes to its key; name the sources it belongs to when it does not."""
    count = 0
    for sha, content in conn.execute("SELECT sha256, content FROM blobs"):
        count += 1
        if hashlib.sha256(bytes(content)).hexdigest() != sha:
            ids = [
                r[0]
                for r in conn.execute(
                    "SELECT id FROM sources WHERE raw_sha256 = ? ORDER BY id", (sha,)
                )
            ]
            names = ", ".join(f"source {i}" for i in ids) or "no source"
            report.problems.append(
                Problem(
                    "blob",
                    f"archived bytes {sha[:12]}… no longer match their sha256 ({names})",
                    source_id=ids[0] if ids else None,
                )
            )
    report.checked["blobs"] = count


def check_text_layers(conn: sqlite3.Connection, report: Report) -> None:
    """Every stored text layer hashes to its recorded text_sha256."""
    count = 0
    for source_id, text, digest in conn.execute("SELECT id, text, text_sha256 FROM sources"):
        count += 1
        if text_sha256(text) != digest:
            report.problems.append(
                Problem(
                    "text",
                    f"source {source_id}: text layer does not match its text_sha256",
                    source_id=source_id,
                )
            )
    report.checked["sources"] = count


def check_claim_spans(conn: sqlite3.Connection, report: Report) -> None:
    """``text[start:end] == claim`` for every claim (Python code-point offsets)."""
    count = 0
    texts: dict[int, str] = {}
    rows = conn.execute("SELECT id, source_id, start, end, text FROM claims ORDER BY source_id")
    for claim_id, source_id, start, end, claim in rows:
        count += 1
        if source_id not in texts:
            texts.clear()
            row = conn.execute("SELECT text FROM sources WHERE id = ?", (source_id,)).fetchone()
            texts[source_id] = row[0] if row else ""
        if texts[source_id][start:end] != claim:
            report.problems.append(
                Problem(
                    "span",
                    f"claim {claim_id} of source {source_id}: text[{start}:{end}] differs "
                    "from the claim",
                    source_id=source_id,
                    claim_id=claim_id,
                )
            )
    report.checked["claims"] = count


def check_events(conn: sqlite3.Connection, report: Report) -> None:
    """Each event's hash covers the previous hash and its own canonical JSON."""
    prev = None
    count = 0
    for event_id, at, action, source_id, payload, prev_hash, digest, version in conn.execute(
        "SELECT id, at, action, source_id, payload, prev_hash, hash, tool_version"
        " FROM events ORDER BY id"
    ):
        count += 1
        event = {
            "at": at,
            "action": action,
            "source_id": source_id,
            "payload": json.loads(payload),
            "tool_version": version,
        }
        if prev_hash != prev:
            report.problems.append(
                Problem(
                    "events",
                    f"event {event_id}: chain broken (an event before it was removed, "
                    "reordered or edited)",
                    source_id=source_id,
                )
            )
        elif event_hash(prev, event) != digest:
            report.problems.append(
                Problem(
                    "events",
                    f"event {event_id}: contents do not match its hash",
                    source_id=source_id,
                )
            )
        prev = digest
    report.checked["events"] = count


def verify(conn: sqlite3.Connection) -> Report:
    """Run every check and return the report."""
    report = Report()
    for check in (check_blobs, check_text_layers, check_claim_spans, check_events):
        check(conn, report)
    return report
