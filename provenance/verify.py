"""Fixity and invariants: what ``provenance verify`` checks, and what it proves.

Checks, each named in the report:

- ``database``: SQLite's own ``quick_check`` and foreign keys (no row points at nothing);
- ``blob``: every archived blob hashes to its key;
- ``text``: every text layer hashes to its ``text_sha256``;
- ``extraction``: the recorded extractor, run again on the archived bytes, gives the same
  text layers (see :func:`check_extraction` for what happens when that extractor's version is
  no longer the installed one);
- ``span``: every claim is ``text[start:end]`` of its source, every PDF claim lies in its page,
  every re-anchored span holds the text recorded for it;
- ``events``: the log is an unbroken hash chain, and it vouches for what is stored: every
  source, its bytes, text and claims, every re-anchoring and every failure is recorded by an
  event whose hashes match;
- ``rows``: every row of every published table is as the latest event that bound it recorded
  it, and a row that a later add or re-capture bound again differs from what the event
  before bound only where :data:`provenance.binding.REBIND` lets a later source change it.

This proves integrity since capture: nothing in the database changed after it was written,
short of someone rewriting the whole log from the edit onwards, which the head hash published
elsewhere (``provenance head``, then ``verify --head HASH``) rules out. It does not prove
authenticity at origin: that a web page really said this when it was captured.
"""

from __future__ import annotations

import hashlib
import json
import sqlite3
from collections import Counter, defaultdict
from dataclasses import asdict, dataclass, field
from typing import Any

from . import binding
from .archive import load_blob, text_sha256
from .db import claims_digest, event_hash


@dataclass
class Problem:
    check: str
    message: str
    source_id: int | None = None
    claim_id: int | None = None
    event_id: int | None = None


@dataclass
class Report:
    checked: dict[str, int] = field(default_factory=dict)
    problems: list[Problem] = field(default_factory=list)
    #: What could not be checked and why (not failures): e.g. text layers made by an
    #: extractor version that is no longer installed.
    notes: list[str] = field(default_factory=list)
    head: str | None = None

    @property
    def ok(self) -> bool:
        return not self.problems

    def add(self, check: str, message: str, **ids: int | None) -> None:
        self.problems.append(Problem(check, message, **ids))

    def by_source(self) -> dict[str, list[str]]:
        """Problems grouped by the source they concern (``"-"`` for none)."""
        grouped: dict[str, list[str]] = defaultdict(list)
        for p in self.problems:
            grouped["-" if p.source_id is None else str(p.source_id)].append(
                f"{p.check}: {p.message}"
            )
        return dict(grouped)

    def as_dict(self) -> dict:
        return {
            "ok": self.ok,
            "checked": self.checked,
            "problems": [asdict(p) for p in self.problems],
            "sources": self.by_source(),
            "notes": self.notes,
            "head": self.head,
        }


def check_database(conn: sqlite3.Connection, report: Report) -> None:
    """SQLite's quick_check, and no row pointing at a row that is not there."""
    result = [r[0] for r in conn.execute("PRAGMA quick_check")]
    if result != ["ok"]:
        report.add("database", "; ".join(result[:5]))
    for table, rowid, parent, _ in conn.execute("PRAGMA foreign_key_check"):
        report.add("database", f"{table} row {rowid} points at a missing {parent} row")
    report.checked["database"] = 1


def check_blobs(conn: sqlite3.Connection, report: Report) -> None:
    """Every archived blob hashes to its key; name the sources it belongs to when it does not."""
    count = 0
    for sha, size, content in conn.execute("SELECT sha256, size, content FROM blobs"):
        count += 1
        if size != len(content):
            report.add("blob", f"archived bytes {sha[:12]}…: blobs column size differs from them")
        if hashlib.sha256(bytes(content)).hexdigest() != sha:
            ids = [
                r[0]
                for r in conn.execute(
                    "SELECT id FROM sources WHERE raw_sha256 = ? ORDER BY id", (sha,)
                )
            ]
            names = ", ".join(f"source {i}" for i in ids) or "no source"
            report.add(
                "blob",
                f"archived bytes {sha[:12]}… no longer match their sha256 ({names})",
                source_id=ids[0] if ids else None,
            )
    report.checked["blobs"] = count


def check_text_layers(conn: sqlite3.Connection, report: Report) -> None:
    """Every stored text layer hashes to its recorded text_sha256."""
    count = 0
    for source_id, text, digest in conn.execute("SELECT id, text, text_sha256 FROM sources"):
        count += 1
        if text_sha256(text) != digest:
            report.add(
                "text",
                f"source {source_id}: text layer does not match its text_sha256",
                source_id=source_id,
            )
    report.checked["sources"] = count


#: Seconds allowed to re-extract one capture (twice the default time limit of ``add``).
REEXTRACT_TIMEOUT = 120.0


def _reextract(name: str, data: bytes, hint: Any, cap: int) -> tuple[list[str], tuple[str, str]]:
    """In the worker: the text hashes the installed extractor gives, and its name and version."""
    from . import ingest
    from .inputs import unwrap

    inner, inner_hint, _ = unwrap(data, hint, cap)
    record = ingest.get_ingester(name).extract(inner, inner_hint)
    hashes = [text_sha256(r.text) for r in (record, *record.children)]
    return hashes, (record.extractor, record.extractor_version)


def check_extraction(conn: sqlite3.Connection, report: Report) -> None:
    """Re-run the recorded extractor on each capture's archived bytes; compare text hashes.

    Extractors change version as the tool evolves. When the installed extractor is the
    recorded version (the extractor name and version string, which names the parsing library's
    version too), a different text layer is a failure: the stored text does not come from the
    stored bytes. When the version differs, a different text layer proves nothing either way,
    so it is reported as a note, not a failure; the stored text is still bound to the bytes by
    the hashes in the event log, which are checked whatever the version. A capture whose text
    the newer version reproduces exactly counts as reproduced. Extraction runs in a worker
    process under a time limit, as in ``add``; a capture that cannot be re-extracted in time,
    or whose extractor crashes, is a note too (its bytes are checked by their hash).
    """
    from . import ingest
    from .errors import LimitExceeded, ProvenanceError
    from .inputs import Limits, recorded_hint
    from .worker import Worker, WorkerCrashed

    reproduced = skipped = 0
    rows = conn.execute(
        "SELECT id, raw_sha256, input, url, http_status, content_type, extractor,"
        " extractor_version, text_sha256, metadata FROM sources WHERE parent_id IS NULL"
        " ORDER BY id"
    ).fetchall()
    with Worker(Limits.max_memory) as worker:
        for (
            source_id,
            raw,
            input_name,
            url,
            http_status,
            content_type,
            extractor,
            version,
            digest,
            metadata,
        ) in rows:
            data = load_blob(conn, raw)
            if data is None:
                report.add(
                    "blob", f"source {source_id}: archived bytes missing", source_id=source_id
                )
                continue
            name = extractor.split("/")[0]
            try:
                ingest.get_ingester(name)
            except KeyError:
                skipped += 1
                report.notes.append(
                    f"source {source_id}: extractor {extractor} {version} is not installed; "
                    "its text layer was not re-extracted"
                )
                continue
            children = conn.execute(
                "SELECT text_sha256 FROM sources WHERE parent_id = ? ORDER BY position, id",
                (source_id,),
            ).fetchall()
            expected = [digest, *(c[0] for c in children)]
            meta = json.loads(metadata) if metadata else {}
            hint = recorded_hint(input_name, url, content_type, http_status is not None)
            cap = int(meta.get("uncompressed_bytes") or Limits.max_bytes)
            error = None
            got: list[str] = []
            got_version = None
            try:
                got, got_version = worker.run(
                    _reextract, name, data, hint, cap, timeout=REEXTRACT_TIMEOUT
                )
            except (LimitExceeded, WorkerCrashed) as exc:
                skipped += 1
                report.notes.append(f"source {source_id}: not re-extracted: {exc}")
                continue
            except ProvenanceError as exc:  # any failure to reproduce is reported, not raised
                error = str(exc)
            if got == expected:
                reproduced += 1
                continue
            got_version = tuple(got_version) if got_version else None
            if error is None and got_version != (extractor, version):
                skipped += 1
                report.notes.append(
                    f"source {source_id}: recorded extractor {extractor} {version}, installed "
                    f"{got_version[0]} {got_version[1]}: text layer not reproduced by this "
                    "version (not a failure; its hashes are checked against the event log)"
                )
                continue
            what = f"fails: {error}" if error else "gives a different text layer"
            report.add(
                "extraction",
                f"source {source_id}: re-running {extractor} {version} on the archived bytes "
                f"{what}",
                source_id=source_id,
            )
    report.checked["re-extracted"] = reproduced
    if skipped:
        report.checked["re-extraction skipped"] = skipped


def check_claim_spans(conn: sqlite3.Connection, report: Report) -> None:
    """``text[start:end] == claim`` for every claim; a paged claim lies inside its page."""
    count = 0
    texts: dict[int, str] = {}
    pages: dict[int, dict[int, tuple[int, int]]] = {}
    rows = conn.execute(
        "SELECT id, source_id, start, end, text, page FROM claims ORDER BY source_id"
    )
    for claim_id, source_id, start, end, claim, page in rows:
        count += 1
        if source_id not in texts:
            texts.clear()
            pages.clear()
            row = conn.execute("SELECT text FROM sources WHERE id = ?", (source_id,)).fetchone()
            texts[source_id] = row[0] if row else ""
            pages[source_id] = {
                n: (a, b)
                for n, a, b in conn.execute(
                    "SELECT number, start, end FROM structure WHERE source_id = ? AND kind = 'page'",
                    (source_id,),
                )
            }
        if texts[source_id][start:end] != claim:
            report.add(
                "span",
                f"claim {claim_id} of source {source_id}: text[{start}:{end}] differs "
                "from the claim",
                source_id=source_id,
                claim_id=claim_id,
            )
        elif page is not None:
            span = pages[source_id].get(page)
            if span is None or not (span[0] <= start and end <= span[1]):
                report.add(
                    "span",
                    f"claim {claim_id} of source {source_id}: not inside its page {page}",
                    source_id=source_id,
                    claim_id=claim_id,
                )
    report.checked["claims"] = count


def check_anchors(conn: sqlite3.Connection, report: Report) -> None:
    """Every re-anchored claim's new span holds the text recorded for it."""
    count = 0
    rows = conn.execute(
        "SELECT a.claim_id, a.to_source_id, a.status, a.start, a.end, a.text, s.text, c.text"
        " FROM claim_anchors a JOIN sources s ON s.id = a.to_source_id"
        " JOIN claims c ON c.id = a.claim_id ORDER BY a.id"
    )
    for claim_id, source_id, status, start, end, text, source_text, old in rows:
        count += 1
        if status == "orphaned":
            continue
        if start is None or end is None or source_text[start:end] != text:
            report.add(
                "span",
                f"claim {claim_id} re-anchored in source {source_id}: text[{start}:{end}] "
                "differs from the anchor",
                source_id=source_id,
                claim_id=claim_id,
            )
        elif status in ("unchanged", "moved") and text != old:
            report.add(
                "span",
                f"claim {claim_id} is {status} in source {source_id} but its text differs",
                source_id=source_id,
                claim_id=claim_id,
            )
    report.checked["anchors"] = count


def _event_rows(conn: sqlite3.Connection) -> list[tuple]:
    return conn.execute(
        "SELECT id, at, action, source_id, payload, prev_hash, hash, tool_version"
        " FROM events ORDER BY id"
    ).fetchall()


def check_events(conn: sqlite3.Connection, report: Report, head: str | None = None) -> None:
    """Each event's hash covers the previous hash and its own canonical JSON; an edited,
    deleted or reordered event breaks the chain at that event. With ``head`` (a hash published
    earlier), the chain must still hold that event."""
    prev = None
    count = 0
    found_head = False
    for event_id, at, action, source_id, payload, prev_hash, digest, version in _event_rows(conn):
        count += 1
        if event_id != count:  # the log is append-only: ids run 1, 2, 3… without gaps
            report.add(
                "events",
                f"event {event_id}: id out of sequence (expected {count}): renumbered or removed",
                source_id=source_id,
                event_id=event_id,
            )
        try:
            body = json.loads(payload)
        except ValueError:
            body = payload
        event = {
            "at": at,
            "action": action,
            "source_id": source_id,
            "payload": body,
            "tool_version": version,
        }
        if prev_hash != prev:
            report.add(
                "events",
                f"event {event_id}: chain broken (an event before it was removed, "
                "reordered or edited)",
                source_id=source_id,
                event_id=event_id,
            )
        elif event_hash(prev, event) != digest:
            report.add(
                "events",
                f"event {event_id}: contents do not match its hash (edited)",
                source_id=source_id,
                event_id=event_id,
            )
        if digest == head:
            found_head = True
        prev = digest
    report.checked["events"] = count
    report.head = prev
    if head and not found_head:
        report.add(
            "events",
            f"the published head {head[:16]}… is not in the log (events were removed or rewritten)",
        )
    triggers = {r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type = 'trigger'")}
    for name in binding.GUARD_TRIGGERS:
        table = conn.execute(
            "SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = ?",
            ("row_digests" if name.startswith("row_digests") else name.split("_")[0],),
        ).fetchone()
        if table and name not in triggers:
            report.add("guards", f"trigger {name} was dropped: the archive no longer refuses edits")


def check_event_bindings(conn: sqlite3.Connection, report: Report) -> None:
    """The log vouches for what is stored: each source's bytes, text and claims, each
    capture's re-anchored claims, and each failure, are recorded by an event that matches."""
    latest: dict[int, tuple[int, str | None, dict[str, Any]]] = {}
    anchors: dict[int, tuple[int, str]] = {}
    failures: Counter = Counter()
    failure_events: dict[tuple, list[int]] = defaultdict(list)
    for event_id, _, action, source_id, payload, *_ in _event_rows(conn):
        try:
            body = json.loads(payload)
        except ValueError:
            continue
        if not isinstance(body, dict):
            continue
        if action == "fail":
            key = (body.get("input"), body.get("raw_sha256"), body.get("error"))
            failures[key] += 1
            failure_events[key].append(event_id)
        for entry in body.get("sources") or []:
            if isinstance(entry, dict) and isinstance(entry.get("id"), int):
                latest[entry["id"]] = (event_id, body.get("raw_sha256"), entry)
        if body.get("anchors_sha256") and isinstance(source_id, int):
            anchors[source_id] = (event_id, body["anchors_sha256"])
    stored = conn.execute("SELECT id, raw_sha256, text_sha256 FROM sources ORDER BY id").fetchall()
    for source_id, raw, digest in stored:
        if source_id not in latest:
            report.add(
                "events",
                f"source {source_id}: no event records it (the log was cut, or the row was "
                "written outside the tool)",
                source_id=source_id,
            )
            continue
        event_id, event_raw, entry = latest.pop(source_id)
        # A document with bytes of its own (a WARC record) names them in its entry.
        event_raw = entry.get("raw_sha256", event_raw)
        if event_raw is not None and event_raw != raw:
            report.add(
                "events",
                f"source {source_id}: raw_sha256 differs from event {event_id}",
                source_id=source_id,
                event_id=event_id,
            )
        if entry.get("text_sha256") not in (None, digest):
            report.add(
                "events",
                f"source {source_id}: text_sha256 differs from event {event_id} "
                "(the text layer was replaced)",
                source_id=source_id,
                event_id=event_id,
            )
        if "claims_sha256" in entry and entry["claims_sha256"] != claims_digest(conn, source_id):
            report.add(
                "events",
                f"source {source_id}: its claims differ from those event {event_id} recorded "
                "(a claim was edited, added or removed)",
                source_id=source_id,
                event_id=event_id,
            )
    for source_id, (event_id, _, _) in sorted(latest.items()):
        report.add(
            "events",
            f"source {source_id}: recorded by event {event_id} but missing from the database",
            source_id=source_id,
            event_id=event_id,
        )
    from .captures import anchors_digest

    for source_id, (event_id, digest) in sorted(anchors.items()):
        if anchors_digest(conn, source_id) != digest:
            report.add(
                "events",
                f"source {source_id}: re-anchored claims differ from those event {event_id} "
                "recorded",
                source_id=source_id,
                event_id=event_id,
            )
    for failure_id, input_name, raw, error in conn.execute(
        "SELECT id, input, raw_sha256, error FROM failures ORDER BY id"
    ):
        key = (input_name, raw, error)
        if failures[key] > 0:
            failures[key] -= 1
        else:
            report.add("events", f"failure {failure_id} ({input_name}): no event records it")
    for key, left in failures.items():
        for event_id in failure_events[key][len(failure_events[key]) - left :]:
            report.add(
                "events",
                f"the failure of {key[0]} recorded by event {event_id} is missing from failures",
                event_id=event_id,
            )
    report.checked["bound to events"] = len(stored)


def _row_source(table: str, names: list[str], values: tuple) -> int | None:
    """The source a row belongs to, to group problems by source."""
    row = dict(zip(names, values, strict=True))
    value = (
        row.get("id") if table == "sources" else row.get("source_id", row.get("citing_source_id"))
    )
    return value if isinstance(value, int) else None


def check_rows(conn: sqlite3.Connection, report: Report) -> None:
    """Every row of every covered table is as the latest event that bound it recorded it,
    column by column, and every event's rows digest matches its ``row_digests`` entries.

    Names the table, the row and the columns that differ; a row no event bound, and a bound
    row that is gone, are failures too (see :mod:`provenance.binding`). A row that an add or
    re-capture bound again after an earlier event bound it must differ only where
    :data:`provenance.binding.REBIND` lets a later source change it (see :func:`_rebinding`)."""
    bound_events: dict[int, dict[str, Any]] = {}
    actions: dict[int, str] = {}
    for event_id, _, action, _, payload, *_ in _event_rows(conn):
        try:
            body = json.loads(payload)
        except ValueError:
            continue
        if isinstance(body, dict) and isinstance(body.get("rows"), dict):
            bound_events[event_id] = body["rows"]
            actions[event_id] = action
    if not binding.has_table(conn, "row_digests"):
        applied = (
            binding.has_table(conn, "_migrations")
            and conn.execute(
                "SELECT 1 FROM _migrations WHERE name = ?", (binding.BINDING_MIGRATION,)
            ).fetchone()
        )
        if bound_events or applied:
            report.add("rows", "the row_digests table is missing (dropped)")
        else:
            report.notes.append("rows are not bound column by column: the archive predates it")
        return

    # Each event's entries, against the digest the event binds (one event's entries in memory);
    # an event that names a rebinding rule binds each entry's fixed digest too.
    def check_event(event_id: int, found: list[tuple[str, Any, str | None, str | None]]) -> None:
        recorded = bound_events.get(event_id)
        if recorded is None:
            report.add(
                "rows",
                f"row_digests: {len(found)} entries name event {event_id}, which binds no rows "
                "(added outside the tool)",
                event_id=event_id,
            )
            return
        fields = 4 if "rule" in recorded else 3
        if recorded.get("count") != len(found) or recorded.get("sha256") != binding.entries_digest(
            [e[:fields] for e in found]
        ):
            report.add(
                "rows",
                f"row_digests: the entries of event {event_id} differ from the rows it binds "
                "(edited, added or removed)",
                event_id=event_id,
            )
        if "rule" in recorded and recorded["rule"] not in binding.RULES:
            report.add(
                "rows",
                f"event {event_id} binds its rows under the rebinding rule {recorded['rule']}, "
                "which this version does not know (written by a later version?)",
                event_id=event_id,
            )

    fixed = "fixed" if binding.has_fixed(conn) else "NULL"
    seen: set[int] = set()
    current: int | None = None
    found: list[tuple[str, Any, str | None, str | None]] = []
    for table, key, event_id, sha, fixed_sha in conn.execute(
        f"SELECT tbl, key, event_id, sha256, {fixed} FROM row_digests ORDER BY event_id"
    ):
        if event_id != current:
            if current is not None:
                check_event(current, found)
            current, found = event_id, []
            seen.add(event_id)
        found.append((table, key, sha, fixed_sha))
    if current is not None:
        check_event(current, found)
    for event_id in sorted(set(bound_events) - seen):
        check_event(event_id, [])
    events = {
        event_id: (actions[event_id], str(rows["rule"]) if "rule" in rows else None)
        for event_id, rows in bound_events.items()
    }
    count = 0
    for table in binding.covered_tables(conn):
        count += _check_table_rows(conn, report, table, events)
    report.checked["rows"] = count


#: What an event is to the rows check: its action, and the id of the rule its entries' fixed
#: digests were computed under (None for an event from before fixed digests).
Events = dict[int, tuple[str, str | None]]

#: The events whose entries the rebinding rule constrains; a migration may change anything.
REBINDING_ACTIONS = ("add", "recapture")


def _rebinding(
    table: str, names: list[str], before: tuple, after: tuple, events: Events
) -> tuple[str, int] | None:
    """What is wrong (message, event id) when the entry ``after`` binds a row again in a way
    its event could not have, ``before`` being the row's previous entry; None when it could.

    An add or re-capture may change, in a row an earlier event bound, only the columns the
    rule it was bound under names for the table (both entries' fixed digests must then be
    equal), and delete only rows of tables the rule lets it delete; a failure (or any kind of
    event but a migration) may change nothing of it. What the event binds of tables its kind
    never changes at all is :func:`check_event_kinds`' to report."""
    _, earlier, sha_before, fixed_before, columns_before = before
    key, later, sha_after, fixed_after, columns_after = after
    if later not in events or earlier not in events or sha_before is None:
        return None  # entries of no event are reported as such; a gone row may come back
    action, rule_id = events[later]
    allowed = BINDS.get(action, set())
    if action == "migrate" or (allowed is not None and table not in allowed):
        return None
    earlier_action, earlier_rule_id = events[earlier]
    if earlier_rule_id is None:
        return None  # bound before fixed parts: the migration that added them bound it again
    rule, earlier_rule = binding.RULES.get(rule_id or ""), binding.RULES.get(earlier_rule_id)
    if (rule_id is not None and rule is None) or earlier_rule is None:
        return None  # a rule this version does not know: reported with its event
    shown = key if isinstance(key, int) else str(key)
    bound = f"after event {earlier} ({earlier_action}) bound the row"
    if rule is None:
        return (
            f"{table} row {shown}: bound again by event {later} ({action}) without its fixed "
            f"part {bound} with it (written by a version of the tool from before fixed parts, "
            "or with the fixed column of row_digests taken away)",
            later,
        )
    free = rule.columns(table) if action in REBINDING_ACTIONS else frozenset()
    if sha_after is None:
        if action in REBINDING_ACTIONS and table in rule.delete:
            return None
        return (
            f"{table} row {shown}: deleted by event {later} ({action}) {bound}; "
            f"{_an(action)} never deletes {table} rows (an earlier source's row deleted, then "
            "bound by a later event)",
            later,
        )
    if free == binding.WHOLE_ROW:
        return None
    if free and earlier_rule.columns(table) != free:
        return (
            f"{table} row {shown}: bound again by event {later} ({action}) {bound} under "
            f"another rule for what a later event may change in {table} rows, and no "
            "migration bound it again in between",
            later,
        )
    if free:  # the fixed parts (NULL where a table's rule names no column: the full digest)
        if (fixed_after or sha_after) == (fixed_before or sha_before):
            return None
    elif sha_after == sha_before:
        return None
    changed = binding.columns_between(names, columns_before, columns_after)
    wrong = [c for c in changed if c not in free] or ["(one it may not change)"]
    may = f"changes only {', '.join(sorted(free))} of" if free else "changes no column of"
    return (
        f"{table} row {shown}: column {', '.join(wrong)} changed by event {later} ({action}) "
        f"{bound}; {_an(action)} {may} {table} rows that earlier events bound (an earlier "
        "source's row edited, then bound by a later event)",
        later,
    )


def _an(action: str) -> str:
    return f"an {action}" if action[:1] in "aeiou" else f"a {action}"


def _latest_digests(conn: sqlite3.Connection, table: str, events: Events):
    """(key, event id, sha256, columns, problems) of the latest entry for each row of a table,
    in key order, with what is wrong in how each entry before it was bound again (streamed:
    the table's digests are never all in memory)."""
    names = binding.column_names(conn, table)
    fixed = "fixed" if binding.has_fixed(conn) else "NULL"
    previous = None
    problems: list[tuple[str, int]] = []
    for entry in conn.execute(
        f"SELECT key, event_id, sha256, {fixed}, columns FROM row_digests WHERE tbl = ?"
        " ORDER BY key, event_id",
        (table,),
    ):
        if previous is not None:
            if previous[0] != entry[0]:
                yield (*previous[:3], previous[4], problems)
                problems = []
            elif problem := _rebinding(table, names, previous, entry, events):
                problems.append(problem)
        previous = entry
    if previous is not None:
        yield (*previous[:3], previous[4], problems)


def _check_table_rows(conn: sqlite3.Connection, report: Report, table: str, events: Events) -> int:
    """Merge a table's rows with their latest digests, both in key order; report differences."""
    key_name = binding.key_column(conn, table)
    digests = _latest_digests(conn, table, events)
    pending = next(digests, None)
    count = 0

    def rebound(problems: list[tuple[str, int]], source_id: int | None = None) -> None:
        for message, event_id in problems:
            report.add("rows", message, source_id=source_id, event_id=event_id)

    def gone(key: Any, event_id: int) -> None:
        report.add(
            "rows",
            f"{table} row {key}: recorded by event {event_id} but no row has "
            f"{key_name} {key} (deleted, or its {key_name} was changed)",
            event_id=event_id,
        )

    for key, names, values in binding.current_rows(conn, table):
        count += 1
        while pending is not None and binding.sort_key(pending[0]) < binding.sort_key(key):
            rebound(pending[4])
            if pending[2] is not None:
                gone(pending[0], pending[1])
            pending = next(digests, None)
        bound = None
        if pending is not None and pending[0] == key:
            bound, pending = pending, next(digests, None)
        shown = key if isinstance(key, int) else str(key)
        source_id = _row_source(table, names, values)
        if bound is not None:
            rebound(bound[4], source_id)
        if bound is None or bound[2] is None:
            report.add(
                "rows",
                f"{table} row {shown}: no event records a row with {key_name} {shown} "
                f"(written outside the tool, or its {key_name} was changed)",
                source_id=source_id,
            )
            continue
        _, event_id, sha, columns, _ = bound
        now, _ = binding.row_digest(names, values)
        if now != sha:
            changed = binding.changed_columns(names, values, columns) or ["(a column)"]
            report.add(
                "rows",
                f"{table} row {shown}: column {', '.join(changed)} differs from what "
                f"event {event_id} recorded",
                source_id=source_id,
                event_id=event_id,
            )
    while pending is not None:
        rebound(pending[4])
        if pending[2] is not None:
            gone(pending[0], pending[1])
        pending = next(digests, None)
    return count


def check_fulltext(conn: sqlite3.Connection, report: Report) -> None:
    """Rebuild each full-text index in memory and compare it with the stored one: an emptied
    or edited index (what search on the site answers from) is a failure."""
    count = 0
    rows = conn.execute(
        "SELECT name FROM sqlite_master WHERE type = 'table' AND sql LIKE 'CREATE VIRTUAL%fts5%'"
        " ORDER BY name"
    ).fetchall()
    for (name,) in rows:
        count += 1
        quoted = '"' + name.replace('"', '""') + '"'
        try:
            conn.execute(f"INSERT INTO {quoted} ({quoted}, rank) VALUES ('integrity-check', 1)")
        except sqlite3.DatabaseError as exc:
            report.add(
                "fulltext",
                f"{name}: the full-text index differs from the rows it indexes ({exc})",
            )
    report.checked["full-text indexes"] = count


#: What each kind of event may bind: adding and re-capturing change rows of any published
#: table (a new source links to, and resolves citations of, those before it), a migration
#: binds what it changed, a failure its own row; an export changes nothing.
BINDS: dict[str, set[str] | None] = {
    "add": None,
    "recapture": None,
    "migrate": None,
    "fail": {"failures"},
}


def check_event_kinds(conn: sqlite3.Connection, report: Report) -> None:
    """No event binds rows its kind cannot have changed: an edit bound by an ``export`` event
    appended after it (or by an event of a kind the tool never writes) fails, even when the
    log's head is the one published, since the edit sits in the log after it."""
    if not binding.has_table(conn, "row_digests"):
        return
    for event_id, action, table, rows in conn.execute(
        "SELECT e.id, e.action, r.tbl, count(*) FROM row_digests r JOIN events e"
        " ON e.id = r.event_id GROUP BY e.id, r.tbl ORDER BY e.id, r.tbl"
    ):
        allowed = BINDS.get(action, set())
        if allowed is not None and table not in allowed:
            report.add(
                "events",
                f"event {event_id} ({action}) binds {rows} {table} row(s), which {action} "
                "events never change (rows edited, then bound by an appended event)",
                event_id=event_id,
            )


def check_schema(conn: sqlite3.Connection, report: Report) -> None:
    """The archive's tables, views, indexes and triggers are exactly those its recorded
    migrations make: a view rewritten (the site serves views), a table or index added or
    dropped (a full-text index the site searches, a table of invented rows beside the
    published ones) or a trigger planted is a failure. Row digests bind rows; this binds the
    schema that serves them."""
    from .migrations import MIGRATIONS, apply_migrations

    done = {r[0] for r in conn.execute("SELECT name FROM _migrations")}
    fresh = sqlite3.connect(":memory:", isolation_level=None)
    try:
        apply_migrations(fresh, only=done)
        expected = _schema_objects(fresh)
    finally:
        fresh.close()
    found = _schema_objects(conn)
    for key in sorted(found.keys() | expected.keys()):
        kind, name = key
        if key not in expected:
            report.add("schema", f"{kind} {name} is not part of the archive's schema")
        elif key not in found:
            report.add("schema", f"{kind} {name} of the archive's schema is missing")
        elif found[key] != expected[key]:
            report.add("schema", f"{kind} {name} differs from the archive's schema")
    unknown = done - {name for name, _ in MIGRATIONS}
    if unknown:
        report.add("schema", f"migrations this version does not know: {', '.join(sorted(unknown))}")
    report.checked["schema objects"] = len(found)


def _schema_objects(conn: sqlite3.Connection) -> dict[tuple[str, str], str | None]:
    return {
        (kind, name): " ".join((sql or "").split())
        for kind, name, sql in conn.execute(
            "SELECT type, name, sql FROM sqlite_master WHERE name NOT LIKE 'sqlite_%'"
        )
    }


def verify(conn: sqlite3.Connection, head: str | None = None) -> Report:
    """Run every check and return the report (``head``: a published head hash to look for)."""
    report = Report()
    # Text that is not UTF-8 (bytes written into a TEXT column from outside) is read with
    # replacement characters, so that it is reported as a change rather than stopping verify.
    factory, conn.text_factory = conn.text_factory, _lenient_text
    try:
        return _verify(conn, report, head)
    finally:
        conn.text_factory = factory


def _lenient_text(value: bytes) -> str:
    try:
        return value.decode("utf-8")
    except UnicodeDecodeError:
        return value.decode("utf-8", "replace")


def _verify(conn: sqlite3.Connection, report: Report, head: str | None) -> Report:
    check_database(conn, report)
    check_blobs(conn, report)
    check_text_layers(conn, report)
    check_extraction(conn, report)
    check_claim_spans(conn, report)
    check_anchors(conn, report)
    check_events(conn, report, head)
    check_event_bindings(conn, report)
    check_event_kinds(conn, report)
    check_rows(conn, report)
    check_fulltext(conn, report)
    check_schema(conn, report)
    return report
