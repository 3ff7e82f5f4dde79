"""Row digests: the event log binds every row the archive publishes, column by column.

Every table of the archive is covered except those named in :data:`NOT_COVERED` (the log
itself, the digests, the archived bytes, which are keyed by their own hash, and the hidden
linking indexes, which are rebuilt from claims and never published). The covered tables and
their columns are read from the schema, so a table or column added by a later migration is
covered without a change here.

How rows are bound: on every connection that writes (:func:`install`), temporary triggers note
each row of a covered table that is inserted, updated or deleted. The next event appended to
the log (:func:`bind_touched`, called by ``db.append_event``) writes one ``row_digests`` entry
per noted row (its table, key, the SHA-256 of its canonical serialisation, or NULL when it was
deleted) tagged with that event's id, and the event's payload binds them all with
``{"rows": {"count": n, "sha256": ...}}``. So the event of a source binds every row made from
it, and a row that a later source's arrival changes (a citation resolved, a link made, a
cluster merged) is bound again by that later event. ``verify`` recomputes each event's digest
over its entries, and each row's digest against the latest entry for it.

The canonical serialisation of a row is the canonical JSON of its non-NULL columns by name
(BLOB values as their SHA-256), so adding a column (NULL in old rows) changes no digest. Each
entry also keeps four bytes per column of a hash of ``[name, value]``, in column order, which
is what lets ``verify`` name the column that changed; the decision itself rests on the full
SHA-256.

What a later event may change: an ``add`` or ``recapture`` binds again the rows of earlier
sources that it changed, but only some columns of some tables are ever changed that way (a
citation resolved, a quotation traced, works merged: see :data:`REBIND`); the text, metadata
and hashes of a source, a claim's span and text, who a statement is attributed to, never are.
So each entry also holds ``fixed``: the SHA-256 of the row's canonical serialisation without
the columns :data:`REBIND` lets a later event change (NULL where that would be the full
digest, or where the rule lets the whole row be replaced), and an event binds its entries with
``fixed`` too, naming the rule it computed them under (``{"rows": {..., "rule": id}}``).
``verify`` fails when a later add or recapture bound a row whose fixed part differs from what
the event before it bound, or deleted a row of a table later adds never delete: an earlier
source's row edited (by a planted trigger, say) and then bound by a legitimate ``add``.
"""

from __future__ import annotations

import hashlib
import json
import sqlite3
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from functools import cached_property
from typing import Any

from .compiled import core

#: Tables whose rows no digest covers, and why.
NOT_COVERED: dict[str, str] = {
    "events": "the hash-chained log itself",
    "row_digests": "the digests themselves, bound by each event's rows digest",
    "_migrations": "schema bookkeeping, not published",
    "blobs": "archived bytes, keyed by their own SHA-256 (verify rehashes them)",
    "claim_keys": "hidden linking index, rebuilt from claims",
    "quote_keys": "hidden linking index, rebuilt from quotes",
    "link_indexes": "hidden: the method of each linking index",
    "rendition_keys": "hidden rendition index (MinHash band keys), rebuilt from text layers",
}

#: The migration that creates ``row_digests``: applying it binds every row already stored.
BINDING_MIGRATION = "m012_row_digests"

#: Migrations whose event binds every row stored before them: the one that creates
#: ``row_digests``, and the one that adds their ``fixed`` digest (so that from then on every
#: row's fixed part is bound, whenever it was stored).
REBINDING_MIGRATIONS = (BINDING_MIGRATION, "m015_fixed_parts_of_row_digests")

#: The whole row: a later add may delete it, and SQLite gives a deleted row's id to the next
#: row inserted, so the row bound again under that key may differ in every column.
WHOLE_ROW = "*"


@dataclass(frozen=True)
class Rule:
    """What an ``add`` or ``recapture`` may change in rows that an earlier event bound:
    per table, the columns it may set (or :data:`WHOLE_ROW`), and the tables whose rows it may
    delete. A table or column not named may not be changed, which is what a column added by
    a later migration is until it is named here (the migration's own event binds what it
    wrote, whatever that is)."""

    rebind: dict[str, frozenset[str] | str]
    delete: frozenset[str] = frozenset()

    @cached_property
    def id(self) -> str:
        """What an event names the rule by (a digest of it)."""
        rebind = {t: c if c == WHOLE_ROW else sorted(c) for t, c in self.rebind.items()}
        body = json.dumps({"rebind": rebind, "delete": sorted(self.delete)}, sort_keys=True)
        return hashlib.sha256(body.encode("utf-8")).hexdigest()[:16]

    def columns(self, table: str) -> frozenset[str] | str:
        return self.rebind.get(table, frozenset())


#: What a later add or recapture changes in rows earlier events bound, read from the code
#: that writes them (linking.py, works.py, citations.py; store.py and captures.py change no
#: earlier row: a recapture is new rows, and is linked like an add). Nothing else of an
#: earlier source ever changes: its text, metadata and hashes, its structure, its claims (span,
#: text, selectors, score), what it attributes to whom and what it quotes, its anchors.
#:
#: A migration that adds a column to a table changes no fixed part (the column is NULL in
#: every row, and NULL columns are left out of digests); what the migration writes into it is
#: bound by its own ``migrate`` event, and a later add may then not change it unless it is
#: named here. Changing the rule: a column that later adds start to change in earlier rows
#: (say one a new migration adds, that linking then fills in for earlier sources) is named in
#: a new rule here; the rule it replaces stays in :data:`RULES` (events bound under it must
#: stay verifiable), and a migration binds every row of the tables whose rule changed again
#: (``UPDATE t SET rowid = rowid``: its ``migrate`` event binds their fixed parts under the
#: new rule). Entries bound under different rules for a table are not comparable, and verify
#: says so rather than guess.
REBIND = Rule(
    rebind={
        # works._merge: a new rendition merges works under the earliest-known one
        "sources": frozenset({"work_id"}),
        # linking._cluster: a new link merges clusters (the upsert sets cluster_id only)
        "claim_clusters": frozenset({"cluster_id"}),
        # citations._set/_unresolved: a stored citation resolved (or left unresolved, with
        # its evidence) by a source that arrives later, and how many stored documents fit a
        # description (citations: counted again as documents arrive); works._undo_links_within:
        # unresolved again when both are found to be renditions of one work
        "citations": frozenset(
            {"cited_source_id", "confidence", "method", "evidence", "tool_version", "fitting"}
        ),
        # citations._resolve_attributions: "according to the cable" points at the cable cited
        # (works._undo_links_within clears it between renditions)
        "attributions": frozenset({"cited_source_id"}),
        # linking._store_trace: a stored quotation traced into a source that arrives later (or
        # to a better original); works._undo_links_within clears a trace between renditions
        "quotes": frozenset(
            {
                "traced_source_id",
                "traced_start",
                "traced_end",
                "traced_text",
                "differences",
                "trace_score",
                "trace_method",
                "trace_tool_version",
                "trace_rule",
            }
        ),
        # linking._store_trace and works._undo_links_within delete links, and the next link
        # made may take a deleted one's id
        "claim_links": WHOLE_ROW,
    },
    delete=frozenset({"claim_links"}),
)

#: Every rule events have been bound under, by id (the current one, :data:`REBIND`, last).
RULES: dict[str, Rule] = {REBIND.id: REBIND}

#: Triggers that make the archive refuse in-place edits; verify fails when one is missing.
GUARD_TRIGGERS = (
    "events_are_append_only_update",
    "events_are_append_only_delete",
    "blobs_are_immutable",
    "row_digests_are_append_only_update",
    "row_digests_are_append_only_delete",
)

_TOUCHED = "_provenance_touched"


def has_table(conn: sqlite3.Connection, name: str) -> bool:
    return (
        conn.execute(
            "SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = ?", (name,)
        ).fetchone()
        is not None
    )


def covered_tables(conn: sqlite3.Connection) -> list[str]:
    """Every table whose rows are bound: all tables but :data:`NOT_COVERED`, full-text
    indexes (verify rebuilds those) and their shadow tables."""
    rows = conn.execute(
        "SELECT name, sql FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'"
        " ORDER BY name"
    ).fetchall()
    virtual = [name for name, sql in rows if (sql or "").upper().startswith("CREATE VIRTUAL")]
    return [
        name
        for name, _ in rows
        if name not in NOT_COVERED
        and name not in virtual
        and not any(name.startswith(v + "_") for v in virtual)
    ]


def _quote(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def column_names(conn: sqlite3.Connection, table: str) -> list[str]:
    """A table's columns in order (the order of an entry's four-byte column hashes)."""
    return [r[1] for r in conn.execute(f"PRAGMA table_info({_quote(table)})")]


def key_sql(conn: sqlite3.Connection, table: str, alias: str = "") -> str:
    """SQL for a row's key: its rowid, or for a WITHOUT ROWID table its primary key as JSON."""
    return _key_of(_primary_key(conn, table), alias)


def _primary_key(conn: sqlite3.Connection, table: str) -> list[str] | None:
    """None for a table with a rowid; else its primary key's columns, in key order."""
    try:
        conn.execute(f"SELECT rowid FROM {_quote(table)} LIMIT 0")
        return None
    except sqlite3.OperationalError:
        info = conn.execute(f"PRAGMA table_info({_quote(table)})")
        return [r[1] for r in sorted(info, key=lambda r: r[5]) if r[5]]


def _key_of(primary_key: list[str] | None, alias: str = "") -> str:
    prefix = f"{alias}." if alias else ""
    if primary_key is None:
        return f"{prefix}rowid"
    return "json_array(" + ", ".join(prefix + _quote(c) for c in primary_key) + ")"


def key_column(conn: sqlite3.Connection, table: str) -> str:
    """The name of what identifies a row: its INTEGER PRIMARY KEY column, else ``rowid`` (or
    the primary key columns of a WITHOUT ROWID table)."""
    info = list(conn.execute(f"PRAGMA table_info({_quote(table)})"))
    pk = [r for r in sorted(info, key=lambda r: r[5]) if r[5]]
    if len(pk) == 1 and str(pk[0][2]).upper() == "INTEGER":
        return pk[0][1]
    if key_sql(conn, table) == "rowid":
        return "rowid"
    return ", ".join(r[1] for r in pk)


def install(conn: sqlite3.Connection) -> None:
    """Note every change to a covered table on this connection (idempotent)."""
    conn.execute("PRAGMA recursive_triggers = ON")  # REPLACE's deletions fire delete triggers
    # No key and no check: a row changed twice before the next event is noted twice and read
    # once (bind_touched's DISTINCT). The unique key each trigger used to probe first was
    # searched by table name only from inside a trigger (a scan of the table's rows noted so
    # far), so a document's inserts cost more the more rows it had.
    conn.execute(f"CREATE TEMP TABLE IF NOT EXISTS {_TOUCHED} (tbl TEXT NOT NULL, key NOT NULL)")
    present = _trigger_names(conn)
    for table in covered_tables(conn):
        literal = "'" + table.replace("'", "''") + "'"
        primary_key: list[str] | None = None
        asked = False  # the table is asked for its key only when one of its triggers is missing
        for when, rows in (("INSERT", ("NEW",)), ("UPDATE", ("OLD", "NEW")), ("DELETE", ("OLD",))):
            trigger = f"_bind_{table}_{when.lower()}"
            if trigger in present:
                continue  # installed after an earlier migration (dropping a table drops it)
            if not asked:
                primary_key, asked = _primary_key(conn, table), True
            # A plain INSERT into a table with no unique constraint: an outer statement's
            # conflict clause (an upsert, OR IGNORE), which applies inside its triggers, has
            # nothing to act on.
            body = " ".join(
                f"INSERT INTO {_TOUCHED} (tbl, key) VALUES ({literal}, {_key_of(primary_key, row)});"
                for row in rows
            )
            conn.execute(
                f"CREATE TEMP TRIGGER IF NOT EXISTS {_quote(trigger)} AFTER {when}"
                f" ON main.{_quote(table)} BEGIN {body} END"
            )


def _trigger_names(conn: sqlite3.Connection) -> set[str]:
    rows = conn.execute("SELECT name FROM sqlite_temp_master WHERE type = 'trigger'").fetchall()
    return {r[0] for r in rows}


def _installed(conn: sqlite3.Connection) -> set[str]:
    try:
        rows = conn.execute(
            "SELECT tbl_name FROM sqlite_temp_master WHERE type = 'trigger' AND name LIKE '_bind_%'"
        ).fetchall()
    except sqlite3.OperationalError:
        return set()
    return {r[0] for r in rows}


def touch_all(conn: sqlite3.Connection, tables: list[str]) -> None:
    """Note every row of these tables as changed (to bind rows stored before binding)."""
    for table in tables:
        literal = "'" + table.replace("'", "''") + "'"
        conn.execute(
            f"INSERT INTO {_TOUCHED} (tbl, key)"
            f" SELECT {literal}, {key_sql(conn, table)} FROM {_quote(table)}"
        )


def after_migration(
    conn: sqlite3.Connection,
    name: str,
    append: Callable[[sqlite3.Connection, str, dict[str, Any]], Any],
) -> None:
    """Inside a migration's transaction: bind the rows it changed, and every row of a table it
    created, with a ``migrate`` event (the binding migration binds every row stored before
    it). Nothing is appended when nothing changed."""
    before = _installed(conn)
    install(conn)
    if not has_table(conn, "row_digests"):
        conn.execute(f"DELETE FROM {_TOUCHED}")  # bound as a whole by the binding migration
        return
    tables = covered_tables(conn)
    if name not in REBINDING_MIGRATIONS:
        tables = [t for t in tables if t not in before]
    touch_all(conn, tables)
    if conn.execute(f"SELECT 1 FROM {_TOUCHED} LIMIT 1").fetchone():
        append(conn, "migrate", {"migration": name})


def value_json(value: Any) -> Any:
    """A column value as canonical JSON holds it (BLOBs by their SHA-256)."""
    if isinstance(value, bytes | bytearray | memoryview):
        return {"sha256": hashlib.sha256(bytes(value)).hexdigest()}
    return value


def _canonical(value: Any) -> bytes:
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode(
        "utf-8"
    )


def row_digest(names: list[str], values: tuple) -> tuple[str, bytes]:
    """(SHA-256 of the row's canonical serialisation, four bytes per column naming them)."""
    if core is not None:
        return core.row_digest(names, values)
    row = {n: value_json(v) for n, v in zip(names, values, strict=True) if v is not None}
    columns = b"".join(
        hashlib.sha256(_canonical([n, value_json(v)])).digest()[:4]
        for n, v in zip(names, values, strict=True)
    )
    return hashlib.sha256(_canonical(row)).hexdigest(), columns


def current_rows(
    conn: sqlite3.Connection, table: str, keys: list | None = None
) -> Iterator[tuple[Any, list[str], tuple]]:
    """(key, column names, values) of a table's rows in key order, or of those ``keys``."""
    key = key_sql(conn, table)
    sql = f"SELECT {key} AS _key, * FROM {_quote(table)}"
    if keys is None:
        cursor = conn.execute(sql + " ORDER BY _key")
        names = [d[0] for d in cursor.description][1:]
        for row in cursor:
            yield row[0], names, row[1:]
        return
    for start in range(0, len(keys), 900):
        part = keys[start : start + 900]
        cursor = conn.execute(f"{sql} WHERE {key} IN ({','.join('?' * len(part))})", part)
        names = [d[0] for d in cursor.description][1:]
        for row in cursor:
            yield row[0], names, row[1:]


def fixed_digest(table: str, names: list[str], values: tuple, rule: Rule = REBIND) -> str | None:
    """The digest of a row without the columns ``rule`` lets a later event change; None where
    that is the full digest (no column may change) or where the whole row may be replaced."""
    free = rule.columns(table)
    if not free or free == WHOLE_ROW:
        return None
    # The canonical form row_digest hashes, without its column hashes (a third less time than
    # calling it on the kept columns, compiled core or not).
    row = {
        n: value_json(v)
        for n, v in zip(names, values, strict=True)
        if v is not None and n not in free
    }
    return hashlib.sha256(_canonical(row)).hexdigest()


def entries_digest(entries: list[tuple]) -> str:
    """The digest an event binds: over its entries (table, key, sha256), with ``fixed`` when
    the event names a rule, in (table, key) order."""
    ordered = sorted(entries, key=lambda e: (e[0], sort_key(e[1])))
    return hashlib.sha256(_canonical([list(e) for e in ordered])).hexdigest()


def sort_key(key: Any) -> tuple[int, Any]:
    return (0, key) if isinstance(key, int) else (1, str(key))


def bind_touched(conn: sqlite3.Connection, event_id: int) -> dict[str, Any] | None:
    """Write the digests of every row changed since the last event, tagged with ``event_id``;
    return what the event's payload binds them with (None when nothing changed)."""
    if not has_table(conn, "row_digests") or not _has_touched_table(conn):
        return None
    touched: dict[str, list] = {}
    for table, key in conn.execute(f"SELECT DISTINCT tbl, key FROM {_TOUCHED} ORDER BY tbl, key"):
        touched.setdefault(table, []).append(key)
    if not touched:
        return None
    with_fixed = has_fixed(conn)
    entries: list[tuple[str, Any, str | None, str | None, bytes | None]] = []
    for table, keys in touched.items():
        found = {}
        if has_table(conn, table):
            for key, names, values in current_rows(conn, table, keys):
                sha, columns = row_digest(names, values)
                fixed = fixed_digest(table, names, values) if with_fixed else None
                found[key] = (sha, fixed, columns)
        for key in keys:
            sha, fixed, columns = found.get(key, (None, None, None))
            entries.append((table, key, sha, fixed, columns))
    if with_fixed:
        conn.executemany(
            "INSERT INTO row_digests (tbl, key, event_id, sha256, fixed, columns)"
            " VALUES (?, ?, ?, ?, ?, ?)",
            [(t, k, event_id, s, f, c) for t, k, s, f, c in entries],
        )
    else:  # the binding migration, in an archive that predates fixed digests
        conn.executemany(
            "INSERT INTO row_digests (tbl, key, event_id, sha256, columns) VALUES (?, ?, ?, ?, ?)",
            [(t, k, event_id, s, c) for t, k, s, _, c in entries],
        )
    conn.execute(f"DELETE FROM {_TOUCHED}")
    if not with_fixed:
        return {"count": len(entries), "sha256": entries_digest([e[:3] for e in entries])}
    digest = entries_digest([e[:4] for e in entries])
    return {"count": len(entries), "sha256": digest, "rule": REBIND.id}


def has_fixed(conn: sqlite3.Connection) -> bool:
    """Whether ``row_digests`` holds fixed digests (added by a migration after it)."""
    return any(r[1] == "fixed" for r in conn.execute("PRAGMA table_info(row_digests)"))


def _has_touched_table(conn: sqlite3.Connection) -> bool:
    return (
        conn.execute(
            "SELECT 1 FROM sqlite_temp_master WHERE type = 'table' AND name = ?", (_TOUCHED,)
        ).fetchone()
        is not None
    )


def columns_between(names: list[str], before: bytes | None, after: bytes | None) -> list[str]:
    """The columns whose four-byte hashes differ between two entries of one row (a column
    added after the earlier entry counts as NULL there); [] when either has none."""
    if not before or not after:
        return []
    changed = []
    for i, name in enumerate(names):
        new = after[4 * i : 4 * i + 4]
        old = before[4 * i : 4 * i + 4] or row_digest([name], (None,))[1]
        if new and new != old:
            changed.append(name)
    return changed


def changed_columns(names: list[str], values: tuple, recorded: bytes | None) -> list[str]:
    """The columns whose value differs from the one recorded (by the four-byte hashes)."""
    if not recorded:
        return []
    _, now = row_digest(names, values)
    changed = []
    for i, name in enumerate(names):
        old = recorded[4 * i : 4 * i + 4]
        if not old:  # a column added after the row was bound
            if values[i] is not None:
                changed.append(name)
            continue
        if now[4 * i : 4 * i + 4] != old:
            changed.append(name)
    return changed
