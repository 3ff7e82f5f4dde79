"""Small helpers for SQL over many values."""

from __future__ import annotations

import sqlite3
from collections.abc import Iterable, Iterator
from typing import Any

#: Values bound per statement: under SQLite's lowest default limit of 999 variables.
CHUNK = 900


def rows_in(conn: sqlite3.Connection, sql: str, values: Iterable[Any]) -> Iterator[tuple]:
    """The rows of ``sql`` for all ``values``: its ``{marks}`` stands for the placeholders of
    an ``IN (...)`` list, run once per chunk of values so that any number of them can be
    bound."""
    values = list(values)
    for start in range(0, len(values), CHUNK):
        part = values[start : start + CHUNK]
        yield from conn.execute(sql.format(marks=",".join("?" * len(part))), part)
