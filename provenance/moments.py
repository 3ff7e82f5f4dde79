"""Dates as time's arrow compares them.

Sources record dates as their pages state them (``2012-07-01T20:00:00-07:00``, ``2012-07-02``,
``2008-01-01`` for a year alone). Written in different time zones, two times compared as text
can run backwards: 20:00 on 1 July in California is 04:00 on 2 July in London. A time with its
UTC offset is therefore compared as the UTC time it names; a date, or a time without an offset
(its zone unknown), as written.

Time's arrow (:func:`time_rule`) lets a source draw on one of the same day when a time is
missing, since a day alone says nothing of the hour; for the same reason "who reported first"
(:func:`order_key`, :func:`first_reporters`) calls two sources of one day tied unless both
state their times.
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


def order_key(value: str | None) -> tuple[bool, str, bool, str]:
    """A date as it sorts for "who came first": undated last; then by the day (in UTC where a
    time states its offset); within a day, the times with their offset first, by the moment
    they name, then the rest (a day alone, or a time in an unknown zone). A day alone cannot
    be put before or after a time of that day (:func:`strictly_earlier`): the source that
    states its time goes first because it states it, and :func:`first_reporters` says who
    is tied."""
    at = moment(value)
    if not at:
        return (True, "", True, "")
    return (False, at[:10], instant(value) is None, at)


def order_sql(column: str) -> str:
    """:func:`order_key` as the terms of an SQL ``ORDER BY`` over ``column``."""
    at = moment_sql(column)
    timed = f"({column} GLOB '????-??-??T??:??*[+-]??:??' OR {column} GLOB '????-??-??T??:??*Z')"
    return f"{column} IS NULL, substr({at}, 1, 10), NOT {timed}, {at}"


def first_reporters(dates: list[str | None]) -> list[str]:
    """For dates in :func:`order_key` order, whether each one's source is the first to report:
    ``first`` when it is known to come before every other, ``tied`` when no date says which
    of it and another came first (the same day, a time missing), ``later`` when another is
    known to come before it, ``undated`` when it has no date."""
    marks, may_be_first = [], []
    for value in dates:
        if not value:
            marks.append("undated")
        elif any(strictly_earlier(first, value) for first in may_be_first):
            marks.append("later")  # sorted so, what comes before it comes before one of these
        else:
            marks.append("tied")
            may_be_first.append(value)
    if len(may_be_first) == 1:
        marks[marks.index("tied")] = "first"
    return marks


#: ``sources.published`` in time's order (what ``ORDER BY`` takes where the column is unaliased).
PUBLISHED = moment_sql("published")


EARLIER_RULE = "earlier-published"
UNDATED_RULE = "undated"


def time_rule(later: str | None, earlier: str | None) -> str | None:
    """The rule of time's arrow that lets a source published ``later`` quote, repeat or cite
    one published ``earlier``: ``earlier-published`` when both dates are known and in that
    order (by the moment when both are times with their UTC offsets, else the same day
    allowed; by year for a date that is a year alone), ``undated`` when a date is unknown, None when the arrow
    forbids it (the "original" was published after the source that would draw on it)."""
    if not later or not earlier:
        return UNDATED_RULE
    # A bare first of January is most often a year alone (a date read from "in 2008"):
    # such a date is compared by its year only.
    if _year_only(later) or _year_only(earlier):
        return EARLIER_RULE if earlier[:4] <= later[:4] else None
    # Two times with their UTC offsets: by the moments they name, whatever their time zones
    # (a story of 09:00 is not drawn from one of 15:00 the same day). Else by the day, in UTC
    # where a time says its offset.
    first, then = instant(earlier), instant(later)
    if first is not None and then is not None:
        return EARLIER_RULE if first <= then else None
    return EARLIER_RULE if (moment(earlier) or "")[:10] <= (moment(later) or "")[:10] else None


def strictly_earlier(earlier: str | None, later: str | None) -> bool:
    """Whether a date is known to come before another: time's arrow lets ``later`` draw on
    ``earlier`` and not the other way (so not the same day without times, nor the same year
    where one is a year alone)."""
    return bool(earlier and later) and (
        time_rule(later, earlier) == EARLIER_RULE and time_rule(earlier, later) is None
    )


def _year_only(value: str) -> bool:
    return value[4:] in ("-01-01", "-01-01T00:00:00", "-01-01T00:00:00Z")


def shown(value: str | None, full: bool = False) -> str:
    """A stored date as a reader should see it: a year alone as its year ("2008", never "2008-01-01":
    a cable's partial extract dated by its file name's year, a report that gives only its
    year), else its day (``full``: the value as stored); "undated" for none."""
    if not value:
        return "undated"
    if _year_only(value):
        return value[:4]
    return value if full else value[:10]
