"""Dates in the many shapes documents write them, turned into ISO 8601."""

from __future__ import annotations

import re
from datetime import datetime

_MONTHS = {
    m: i
    for i, names in enumerate(
        [
            ("jan", "january"),
            ("feb", "february"),
            ("mar", "march"),
            ("apr", "april"),
            ("may",),
            ("jun", "june"),
            ("jul", "july"),
            ("aug", "august"),
            ("sep", "sept", "september"),
            ("oct", "october"),
            ("nov", "november"),
            ("dec", "december"),
        ],
        1,
    )
    for m in names
}
_ISO = re.compile(
    r"(?P<y>(?:1[6-9]|20)\d\d)-(?P<m>[01]?\d)-(?P<d>[0-3]?\d)"
    r"(?:[T ](?P<H>[0-2]\d):(?P<M>[0-5]\d)(?::(?P<S>[0-5]\d)(?:\.\d+)?)?"
    r"(?P<tz>Z|[+-][0-2]\d:?[0-5]\d)?)?"
)
_DMY = re.compile(
    r"\b(?P<d>[0-3]?\d)(?:st|nd|rd|th)?\s+(?P<mon>[A-Za-z]{3,9})\.?,?\s+(?P<y>(?:1[6-9]|20)\d\d)\b"
)
_MDY = re.compile(
    r"\b(?P<mon>[A-Za-z]{3,9})\.?\s+(?P<d>[0-3]?\d)(?:st|nd|rd|th)?,?\s+(?P<y>(?:1[6-9]|20)\d\d)\b"
)
_SLASH = re.compile(r"\b(?P<y>(?:1[6-9]|20)\d\d)/(?P<m>[01]?\d)/(?P<d>[0-3]?\d)\b")
_COMPACT = re.compile(r"\b(?P<y>(?:19|20)\d\d)(?P<m>[01]\d)(?P<d>[0-3]\d)\b")


def _valid(y: int, m: int, d: int) -> bool:
    try:
        datetime(y, m, d)
    except ValueError:
        return False
    return True


def iso_date(value: str | None) -> str | None:
    """ISO 8601 date (or datetime, when a time is given) from a free-form date string."""
    if not value:
        return None
    value = value.strip()
    match = _ISO.search(value)
    if match:
        y, m, d = int(match["y"]), int(match["m"]), int(match["d"])
        if not _valid(y, m, d):
            return None
        date = f"{y:04d}-{m:02d}-{d:02d}"
        if match["H"] is not None:
            time = f"{match['H']}:{match['M']}:{match['S'] or '00'}"
            tz = match["tz"] or ""
            if tz and tz != "Z" and ":" not in tz:
                tz = f"{tz[:3]}:{tz[3:]}"
            return f"{date}T{time}{tz}"
        return date
    for pattern in (_DMY, _MDY):
        match = pattern.search(value)
        if match and match["mon"].lower() in _MONTHS:
            y, m, d = int(match["y"]), _MONTHS[match["mon"].lower()], int(match["d"])
            if _valid(y, m, d):
                return f"{y:04d}-{m:02d}-{d:02d}"
    for pattern in (_SLASH, _COMPACT):
        match = pattern.search(value)
        if match:
            y, m, d = int(match["y"]), int(match["m"]), int(match["d"])
            if _valid(y, m, d):
                return f"{y:04d}-{m:02d}-{d:02d}"
    return None


_COARSE = re.compile(r"^\s*(?P<y>(?:1[6-9]|20)\d\d)(?:-(?P<m>0[1-9]|1[0-2]))?\s*$")


def declared_date(value: str | None) -> tuple[str | None, str]:
    """A date a document declares, with its precision: ``day`` (as :func:`iso_date`, a time
    kept), or ``year`` or ``month`` for a value that is a year ("2011") or a month
    ("2011-03") alone, written as its first day (``2011-01-01``; a year alone is compared by
    its year, see ``provenance.works.time_rule``)."""
    found = iso_date(value)
    if found or not value:
        return found, "day"
    match = _COARSE.match(value)
    if not match:
        return None, "day"
    if match["m"]:
        return f"{match['y']}-{match['m']}-01", "month"
    return f"{match['y']}-01-01", "year"
