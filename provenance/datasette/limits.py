"""Bounds on what one request to the published site may cost.

Datasette bounds the SQL it runs for its own pages (``sql_time_limit_ms``); the plugin's pages
run their queries through :func:`read_limited`, under the same limit. Every connection
Datasette opens is hardened by :func:`harden`: ``fts3_tokenizer()`` (which returns a native
pointer and accepts one) is replaced by a function that refuses, and no single string or blob
a query builds may pass :data:`MAX_VALUE_BYTES` (``zeroblob``, ``printf`` and
``group_concat`` cannot make one value hold the memory of the server).
"""

from __future__ import annotations

import sqlite3
from collections.abc import Callable
from typing import Any, TypeVar

from datasette.utils import sqlite_timelimit
from datasette.utils.asgi import BadRequest

T = TypeVar("T")

#: The largest string or blob one query may build (the largest text layer is well under it).
MAX_VALUE_BYTES = 64 * 1024 * 1024
DEFAULT_TIME_LIMIT_MS = 1000


def _refuse(*args: Any) -> None:
    raise sqlite3.OperationalError("fts3_tokenizer() is disabled on the published site")


def harden(conn: sqlite3.Connection) -> None:
    """Make a served connection refuse fts3_tokenizer and cap the size of any one value."""
    for arguments in (1, 2):
        conn.create_function("fts3_tokenizer", arguments, _refuse)
    if hasattr(conn, "setlimit"):
        conn.setlimit(sqlite3.SQLITE_LIMIT_LENGTH, MAX_VALUE_BYTES)


def time_limit_ms(datasette: Any) -> int:
    try:
        return int(datasette.setting("sql_time_limit_ms") or DEFAULT_TIME_LIMIT_MS)
    except (KeyError, TypeError, ValueError):
        return DEFAULT_TIME_LIMIT_MS


async def read_limited(datasette: Any, db: Any, fn: Callable[[sqlite3.Connection], T]) -> T:
    """``fn(conn)`` on a read connection, interrupted past the site's SQL time limit (a 400
    saying so, as Datasette answers for its own queries)."""
    limit = time_limit_ms(datasette)

    def run(conn: sqlite3.Connection) -> T:
        with sqlite_timelimit(conn, limit):
            return fn(conn)

    try:
        return await db.execute_fn(run)
    except sqlite3.OperationalError as exc:
        if "interrupted" in str(exc):
            raise BadRequest(f"the page took longer than the time limit of {limit} ms") from None
        raise
