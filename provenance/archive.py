"""Content-addressed storage of raw bytes inside the database (the archive)."""

from __future__ import annotations

import hashlib
import sqlite3


def sha256_hex(data: bytes) -> str:
    """Hex SHA-256 of bytes."""
    return hashlib.sha256(data).hexdigest()


def text_sha256(text: str) -> str:
    """Hex SHA-256 of a text layer, encoded as UTF-8."""
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def store_blob(conn: sqlite3.Connection, data: bytes, sha256: str | None = None) -> str:
    """Store bytes under their sha256 (insert-or-ignore) and return the hash."""
    digest = sha256 or sha256_hex(data)
    conn.execute(
        "INSERT OR IGNORE INTO blobs (sha256, size, content) VALUES (?, ?, ?)",
        (digest, len(data), data),
    )
    return digest


def load_blob(conn: sqlite3.Connection, sha256: str) -> bytes | None:
    """The archived bytes for a hash, or None."""
    row = conn.execute("SELECT content FROM blobs WHERE sha256 = ?", (sha256,)).fetchone()
    return None if row is None else bytes(row[0])
