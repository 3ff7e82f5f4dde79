"""Whether two databases hold the same archive, apart from when it was made.

Compares the SQL dumps of two databases (``sqlite3 DB .dump``, or Python's ``iterdump`` where
the sqlite3 command is missing) line by line, after masking what depends on the clock: the
times inputs were read, stored and migrated, and the event hashes that chain over those times.
Everything else (texts, claims, spans, links, citations, agents, digests, ids, order) must be
equal. Build both from the same inputs, in the same order, from the same folder:

    provenance add sources/ tests/origins_fixtures/ --db before.db --workers 1
    # ... change the code ...
    provenance add sources/ tests/origins_fixtures/ --db after.db --workers 1
    python scripts/same_database.py before.db after.db

Exits 0 and prints "same" when they match, else prints the first differences and exits 1.
"""

from __future__ import annotations

import difflib
import re
import shutil
import sqlite3
import subprocess
import sys

#: Columns whose values are clock times of this run (masked wherever they appear).
CLOCK_COLUMNS = {
    "_migrations": ("applied",),
    "sources": ("retrieved", "added"),
    "events": ("at",),
    "failures": ("attempted",),
}
#: Columns derived from the clock times (the event chain's hashes cover each event's time).
DERIVED_COLUMNS = {"events": ("hash", "prev_hash")}
#: Digests of rows that hold clock times: an event's digest of the rows it binds, and the
#: stored digests of ``sources`` rows, whole and fixed part (the rows themselves are compared,
#: times masked).
DERIVED_DIGESTS = (
    re.compile(r'("rows":\{"count":\d+,(?:"rule":"[0-9a-f]+",)?"sha256":")[0-9a-f]{64}'),
    re.compile(
        r"^(INSERT INTO row_digests VALUES\('sources',\d+,\d+,)'[0-9a-f]+',X'[0-9a-f]+'"
        r"(?:,'[0-9a-f]+')?"
    ),
)


def dump(path: str) -> list[str]:
    if shutil.which("sqlite3"):
        out = subprocess.run(
            ["sqlite3", path, ".dump"], capture_output=True, text=True, check=True
        ).stdout
        return out.splitlines()
    with sqlite3.connect(path) as conn:
        return [line for chunk in conn.iterdump() for line in chunk.splitlines()]


def _columns(conn: sqlite3.Connection, table: str) -> set[str]:
    return {row[1] for row in conn.execute(f"PRAGMA table_info({table})")}


def clock_values(path: str) -> set[str]:
    """The values of the clock columns, and of the columns derived from them."""
    values: set[str] = set()
    with sqlite3.connect(path) as conn:
        for table, column in [
            (table, column)
            for named in (CLOCK_COLUMNS, DERIVED_COLUMNS)
            for table, columns in named.items()
            for column in columns
        ]:
            if column in _columns(conn, table):
                for (value,) in conn.execute(f"SELECT DISTINCT {column} FROM {table}"):
                    if isinstance(value, str) and value:
                        values.add(value)
    return values


#: What clock values look like (ISO times, SHA-256 hex): found by shape, then looked up, which
#: is much faster on a big dump than one alternation of thousands of literal values.
_SHAPES = re.compile(r"\d{4}-\d\d-\d\d[T ][0-9:.]+(?:Z|[+-]\d\d:?\d\d)?|[0-9a-f]{64}")


def masked(lines: list[str], values: set[str]) -> list[str]:
    shaped = {v for v in values if _SHAPES.fullmatch(v)}
    if shaped:

        def mask(match: re.Match) -> str:
            return "<clock>" if match.group(0) in shaped else match.group(0)

        lines = [_SHAPES.sub(mask, line) for line in lines]
    if values - shaped:
        others = sorted(values - shaped, key=len, reverse=True)
        clock = re.compile("|".join(re.escape(v) for v in others))
        lines = [clock.sub("<clock>", line) for line in lines]
    rows, source_digests = DERIVED_DIGESTS
    return [
        source_digests.sub(r"\1<digest of a row with clock times>", rows.sub(r"\1<digest>", line))
        for line in lines
    ]


def main(argv: list[str]) -> int:
    if len(argv) != 2:
        print(__doc__)
        return 2
    before, after = argv
    a = masked(dump(before), clock_values(before))
    b = masked(dump(after), clock_values(after))
    if a == b:
        print(f"same: {len(a)} lines of SQL dump equal once clock times are masked")
        return 0
    diff = list(difflib.unified_diff(a, b, before, after, lineterm="", n=0))
    changed = sum(1 for line in diff if line[:1] in "+-" and line[:3] not in ("+++", "---"))
    print(f"different: {changed} lines differ; the first ones:")
    for line in diff[:40]:
        print(line[:300])
    return 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
