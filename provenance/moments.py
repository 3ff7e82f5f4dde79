"""Dates as time's arrow compares them.

Sources record dates as their pages state them (``2012-07-01T20:00:00-07:00``, ``2012-07-02``,
``2008-01-01`` for a year alone). Written in different time zones, two times compared as text
can run backwards: 20:00 on 1 July in California is 04:00 on 2 July in London. A time with its
UTC offset is therefore compared as the UTC time it names; a date, or a time without an offset
(its zone unknown), as written.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime

#: A time with its UTC offset, as :func:`moment_sql` recognises it too.
_TIMED = re.compile(r"\d{4}-\d\d-\d\dT\d\d:\d\d.*(?:[+-]\d\d:\d\d|Z)")


def instant(value: str | None) -> datetime | None:
    """The UTC time a date names, when it is a time with its UTC offset; else None."""
    if not value or not _TIMED.fullmatch(value):
        return None
    try:
        parsed = datetime.fromisoformat(value)
    except ValueError:
        return None
    return parsed.astimezone(UTC) if parsed.tzinfo is not None else None


def moment(value: str | None) -> str | None:
    """A date as it sorts in time: a time with its UTC offset as that UTC time
    (``2012-07-02T03:00:00``), anything else as written."""
    at = instant(value)
    return at.strftime("%Y-%m-%dT%H:%M:%S") if at is not None else value


def moment_sql(column: str) -> str:
    """:func:`moment` as an SQL expression over ``column`` (SQLite's ``strftime`` reads a time
    with its offset, or ``Z``, as the UTC time it names)."""
    return (
        f"CASE WHEN {column} GLOB '????-??-??T??:??*[+-]??:??' OR {column} GLOB '????-??-??T??:??*Z'"
        f" THEN strftime('%Y-%m-%dT%H:%M:%S', {column}) ELSE {column} END"
    )


#: ``sources.published`` in time's order (what ``ORDER BY`` takes where the column is unaliased).
PUBLISHED = moment_sql("published")
