"""Getting a database ready to be served immutable: everything in the main file, counts cached.

Datasette opens an immutable database with SQLite's ``immutable=1``: no locks, no change
detection, and no look at the write-ahead log. So the log is folded into the main file first
(a checkpoint); when another process is writing and that cannot finish, the database is served
read-only instead.
"""

from __future__ import annotations

import sqlite3
from pathlib import Path


def checkpoint(path: Path) -> bool:
    """Fold the write-ahead log into the database file; False when a writer prevents it."""
    conn = sqlite3.connect(path, timeout=5)
    try:
        mode = conn.execute("PRAGMA journal_mode").fetchone()[0]
        if mode != "wal":
            return True
        busy, pages, done = conn.execute("PRAGMA wal_checkpoint(TRUNCATE)").fetchone()
        return busy == 0 and pages == done
    except sqlite3.OperationalError:
        return False
    finally:
        conn.close()


def write_inspect_file(path: Path, target: Path) -> Path:
    """Datasette's own inspect data (table counts, file hash) for an immutable database."""
    from datasette.cli import cli as datasette_cli

    datasette_cli.main(
        ["inspect", str(path), "--inspect-file", str(target)],
        prog_name="datasette",
        standalone_mode=False,
    )
    return target
