"""Numbered schema migrations.

Each migration is a function decorated with ``@migration``; they run in the order they are
defined, once each, inside a transaction, and their names are recorded in ``_migrations``.
Never edit a migration that has been released: fix forward with a new one.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Callable
from datetime import UTC, datetime
from functools import cache
from importlib import resources

Migration = Callable[[sqlite3.Connection], None]
MIGRATIONS: list[tuple[str, Migration]] = []


def migration(fn: Migration) -> Migration:
    MIGRATIONS.append((fn.__name__, fn))
    return fn


def apply_migrations(
    conn: sqlite3.Connection,
    after: Callable[[sqlite3.Connection, str], None] | None = None,
    only: set[str] | None = None,
) -> list[str]:
    """Apply every migration not yet recorded (of ``only``, when given); return the names
    applied.

    ``after(conn, name)`` runs inside each migration's transaction once it has run (the
    database binds the rows a migration changed there, see ``provenance.binding``)."""
    if only is None and _created_whole(conn, after):
        return [name for name, _ in MIGRATIONS]
    conn.execute(
        "CREATE TABLE IF NOT EXISTS _migrations (name TEXT PRIMARY KEY, applied TEXT NOT NULL)"
    )
    done = {row[0] for row in conn.execute("SELECT name FROM _migrations")}
    applied = []
    for name, fn in MIGRATIONS:
        if name in done or (only is not None and name not in only):
            continue
        conn.execute("BEGIN IMMEDIATE")
        try:
            # Another process may have applied it while we waited for the lock.
            if conn.execute("SELECT 1 FROM _migrations WHERE name = ?", (name,)).fetchone():
                conn.execute("COMMIT")
                continue
            fn(conn)
            if after is not None:
                after(conn, name)
            conn.execute(
                "INSERT INTO _migrations (name, applied) VALUES (?, ?)",
                (name, datetime.now(UTC).isoformat(timespec="seconds")),
            )
            conn.execute("COMMIT")
        except BaseException:
            conn.execute("ROLLBACK")
            raise
        applied.append(name)
    return applied


#: The schema every migration makes, as SQL (``schema/schema.sql`` links to it), headed by
#: the names of the migrations that make it.
SNAPSHOT = "schema.sql"
_SNAPSHOT_HEAD = "-- migrations: "


def _created_whole(
    conn: sqlite3.Connection, after: Callable[[sqlite3.Connection, str], None] | None
) -> bool:
    """A new, empty database gets the schema all the migrations make in one transaction, from
    :data:`SNAPSHOT`, instead of migration after migration (a released migration adds columns
    one ``ALTER TABLE`` at a time, each re-reading the whole schema: most of the time a one-file
    ``add`` spent creating its archive). The same tables, indexes, views and triggers, and the
    same ``_migrations`` rows; ``after`` runs once, for the last migration. Used only when the
    snapshot was made by exactly this version's migrations; False (nothing done) otherwise,
    or when the database holds anything."""
    if conn.execute("SELECT 1 FROM sqlite_master LIMIT 1").fetchone():
        return False
    head, _, schema = _snapshot().partition("\n")
    names = [name for name, _ in MIGRATIONS]
    if head != _SNAPSHOT_HEAD + ",".join(names):
        return False
    conn.execute("BEGIN IMMEDIATE")
    try:
        # Another process may have created it while we waited for the lock.
        if conn.execute("SELECT 1 FROM sqlite_master LIMIT 1").fetchone():
            conn.execute("ROLLBACK")
            return False
        statement = ""
        for line in schema.splitlines(keepends=True):
            statement += line
            if sqlite3.complete_statement(statement):
                conn.execute(statement)
                statement = ""
        applied = datetime.now(UTC).isoformat(timespec="seconds")
        conn.executemany(
            "INSERT INTO _migrations (name, applied) VALUES (?, ?)", [(n, applied) for n in names]
        )
        if after is not None:
            after(conn, names[-1])
        conn.execute("COMMIT")
    except BaseException:
        conn.execute("ROLLBACK")
        raise
    return True


@cache
def _snapshot() -> str:
    return resources.files(__package__).joinpath(SNAPSHOT).read_text(encoding="utf-8")


def snapshot_sql(conn: sqlite3.Connection) -> str:
    """What :data:`SNAPSHOT` holds for a database migrated by this version."""
    names = [r[0] for r in conn.execute("SELECT name FROM _migrations ORDER BY rowid")]
    return _SNAPSHOT_HEAD + ",".join(names) + "\n" + schema_sql(conn)


def _run(conn: sqlite3.Connection, script: str) -> None:
    # executescript() would COMMIT our transaction first; run statement by statement instead.
    for statement in script.split(";\n"):
        if statement.strip():
            conn.execute(statement)


@migration
def m001_initial(conn: sqlite3.Connection) -> None:
    _run(
        conn,
        """
CREATE TABLE blobs (
    sha256 TEXT PRIMARY KEY,
    size INTEGER NOT NULL,
    content BLOB NOT NULL
);
CREATE TABLE sources (
    id INTEGER PRIMARY KEY,
    kind TEXT NOT NULL,
    title TEXT,
    author TEXT,
    publisher TEXT,
    published TEXT,
    modified TEXT,
    language TEXT,
    url TEXT,
    canonical_url TEXT,
    input TEXT,
    retrieved TEXT,
    http_status INTEGER,
    content_type TEXT,
    raw_sha256 TEXT NOT NULL REFERENCES blobs(sha256),
    text_sha256 TEXT NOT NULL,
    text TEXT NOT NULL,
    normalisation TEXT,
    parent_id INTEGER REFERENCES sources(id),
    parent_start INTEGER,
    parent_end INTEGER,
    position INTEGER,
    reference_id TEXT,
    classification TEXT,
    origin TEXT,
    subject TEXT,
    tags TEXT,
    released TEXT,
    page_count INTEGER,
    producer TEXT,
    metadata TEXT,
    extractor TEXT NOT NULL,
    extractor_version TEXT NOT NULL,
    tool_version TEXT NOT NULL,
    added TEXT NOT NULL
);
CREATE INDEX idx_sources_raw_sha256 ON sources (raw_sha256);
CREATE INDEX idx_sources_parent_id ON sources (parent_id);
CREATE INDEX idx_sources_reference_id ON sources (reference_id);
CREATE INDEX idx_sources_kind ON sources (kind);
CREATE INDEX idx_sources_published ON sources (published);
CREATE TABLE structure (
    id INTEGER PRIMARY KEY,
    source_id INTEGER NOT NULL REFERENCES sources(id),
    kind TEXT NOT NULL,
    number INTEGER,
    label TEXT,
    start INTEGER NOT NULL,
    end INTEGER NOT NULL
);
CREATE INDEX idx_structure_source_id ON structure (source_id);
CREATE TABLE agents (
    id INTEGER PRIMARY KEY,
    name TEXT NOT NULL,
    key TEXT NOT NULL UNIQUE,
    kind TEXT
);
CREATE TABLE claims (
    id INTEGER PRIMARY KEY,
    source_id INTEGER NOT NULL REFERENCES sources(id),
    start INTEGER NOT NULL,
    end INTEGER NOT NULL,
    page INTEGER,
    paragraph INTEGER,
    text TEXT NOT NULL,
    prefix TEXT,
    suffix TEXT,
    score REAL NOT NULL,
    kind TEXT,
    norm_key TEXT,
    model_version TEXT NOT NULL,
    tool_version TEXT NOT NULL
);
CREATE INDEX idx_claims_source_id ON claims (source_id);
CREATE INDEX idx_claims_norm_key ON claims (norm_key);
CREATE TABLE attributions (
    id INTEGER PRIMARY KEY,
    source_id INTEGER NOT NULL REFERENCES sources(id),
    claim_id INTEGER REFERENCES claims(id),
    cue_start INTEGER,
    cue_end INTEGER,
    cue TEXT,
    mention_start INTEGER,
    mention_end INTEGER,
    mention TEXT,
    content_start INTEGER,
    content_end INTEGER,
    agent_id INTEGER REFERENCES agents(id),
    cited_source_id INTEGER REFERENCES sources(id),
    method TEXT NOT NULL,
    tool_version TEXT NOT NULL
);
CREATE INDEX idx_attributions_source_id ON attributions (source_id);
CREATE INDEX idx_attributions_claim_id ON attributions (claim_id);
CREATE INDEX idx_attributions_agent_id ON attributions (agent_id);
CREATE INDEX idx_attributions_cited_source_id ON attributions (cited_source_id);
CREATE TABLE quotes (
    id INTEGER PRIMARY KEY,
    source_id INTEGER NOT NULL REFERENCES sources(id),
    claim_id INTEGER REFERENCES claims(id),
    start INTEGER NOT NULL,
    end INTEGER NOT NULL,
    text TEXT NOT NULL,
    speaker TEXT,
    speaker_agent_id INTEGER REFERENCES agents(id),
    traced_source_id INTEGER REFERENCES sources(id),
    traced_start INTEGER,
    traced_end INTEGER,
    traced_text TEXT,
    differences TEXT,
    trace_score REAL,
    method TEXT NOT NULL,
    tool_version TEXT NOT NULL
);
CREATE INDEX idx_quotes_source_id ON quotes (source_id);
CREATE INDEX idx_quotes_claim_id ON quotes (claim_id);
CREATE INDEX idx_quotes_traced_source_id ON quotes (traced_source_id);
CREATE INDEX idx_quotes_speaker_agent_id ON quotes (speaker_agent_id);
CREATE TABLE citations (
    id INTEGER PRIMARY KEY,
    citing_source_id INTEGER NOT NULL REFERENCES sources(id),
    claim_id INTEGER REFERENCES claims(id),
    start INTEGER,
    end INTEGER,
    mention TEXT NOT NULL,
    kind TEXT,
    identifier TEXT,
    cited_source_id INTEGER REFERENCES sources(id),
    confidence REAL,
    method TEXT NOT NULL,
    tool_version TEXT NOT NULL
);
CREATE INDEX idx_citations_citing_source_id ON citations (citing_source_id);
CREATE INDEX idx_citations_cited_source_id ON citations (cited_source_id);
CREATE INDEX idx_citations_identifier ON citations (identifier);
CREATE TABLE claim_links (
    id INTEGER PRIMARY KEY,
    claim_id INTEGER NOT NULL REFERENCES claims(id),
    other_claim_id INTEGER NOT NULL REFERENCES claims(id),
    relation TEXT NOT NULL,
    score REAL,
    method TEXT NOT NULL,
    tool_version TEXT NOT NULL,
    UNIQUE (claim_id, other_claim_id, relation)
);
CREATE INDEX idx_claim_links_other_claim_id ON claim_links (other_claim_id);
CREATE TABLE failures (
    id INTEGER PRIMARY KEY,
    input TEXT NOT NULL,
    raw_sha256 TEXT REFERENCES blobs(sha256),
    error_type TEXT NOT NULL,
    error TEXT NOT NULL,
    attempted TEXT NOT NULL,
    tool_version TEXT NOT NULL
);
CREATE INDEX idx_failures_input ON failures (input);
CREATE TABLE events (
    id INTEGER PRIMARY KEY,
    at TEXT NOT NULL,
    action TEXT NOT NULL,
    source_id INTEGER,
    payload TEXT NOT NULL,
    prev_hash TEXT,
    hash TEXT NOT NULL UNIQUE,
    tool_version TEXT NOT NULL
);
CREATE VIRTUAL TABLE [claims_fts] USING FTS5 (text, content=[claims]);
CREATE VIRTUAL TABLE [sources_fts] USING FTS5 (title, text, content=[sources])
""",
    )


@migration
def m002_publication_indexes(conn: sqlite3.Connection) -> None:
    """Indexes the published pages need so that none of them scans the claims table."""
    _run(
        conn,
        """
CREATE INDEX idx_claims_score ON claims (score);
CREATE INDEX idx_citations_claim_id ON citations (claim_id)
""",
    )


@migration
def m003_source_facet_indexes(conn: sqlite3.Connection) -> None:
    """Indexes for the facets of the published sources table, so that they read small indexes
    instead of every row (and text layer) of sources."""
    _run(
        conn,
        """
CREATE INDEX idx_sources_publisher ON sources (publisher);
CREATE INDEX idx_sources_classification ON sources (classification);
CREATE INDEX idx_sources_origin ON sources (origin)
""",
    )


@migration
def m004_captures_over_time_claim_anchors_append_only_log(conn: sqlite3.Connection) -> None:
    """Captures of the same source over time, claims re-anchored between them, and a log and
    an archive that refuse in-place edits."""
    _run(
        conn,
        """
ALTER TABLE sources ADD COLUMN locator TEXT;
ALTER TABLE sources ADD COLUMN capture INTEGER;
ALTER TABLE sources ADD COLUMN previous_capture_id INTEGER REFERENCES sources(id);
UPDATE sources SET capture = 1;
UPDATE sources SET locator = input
    WHERE parent_id IS NULL AND (http_status IS NOT NULL OR input LIKE '/%');
CREATE INDEX idx_sources_locator ON sources (locator);
CREATE INDEX idx_sources_previous_capture_id ON sources (previous_capture_id);
CREATE TABLE claim_anchors (
    id INTEGER PRIMARY KEY,
    claim_id INTEGER NOT NULL REFERENCES claims(id),
    from_source_id INTEGER NOT NULL REFERENCES sources(id),
    to_source_id INTEGER NOT NULL REFERENCES sources(id),
    status TEXT NOT NULL CHECK (status IN ('unchanged', 'moved', 'edited', 'orphaned')),
    start INTEGER,
    end INTEGER,
    text TEXT,
    new_claim_id INTEGER REFERENCES claims(id),
    similarity REAL,
    difference TEXT,
    method TEXT NOT NULL,
    tool_version TEXT NOT NULL,
    UNIQUE (claim_id, to_source_id)
);
CREATE INDEX idx_claim_anchors_to_source_id ON claim_anchors (to_source_id);
CREATE INDEX idx_claim_anchors_from_source_id ON claim_anchors (from_source_id);
CREATE INDEX idx_claim_anchors_new_claim_id ON claim_anchors (new_claim_id);
CREATE TRIGGER events_are_append_only_update BEFORE UPDATE ON events BEGIN SELECT RAISE(ABORT, 'events are append-only'); END;
CREATE TRIGGER events_are_append_only_delete BEFORE DELETE ON events BEGIN SELECT RAISE(ABORT, 'events are append-only'); END;
CREATE TRIGGER blobs_are_immutable BEFORE UPDATE ON blobs BEGIN SELECT RAISE(ABORT, 'archived bytes are immutable'); END
""",
    )


@migration
def m005_claim_linking_quote_tracing_citation_targets(conn: sqlite3.Connection) -> None:
    """Indexes and columns for cross-source linking (provenance.linking).

    ``claim_keys`` holds MinHash band keys of each claim's canonical terms, so that a new claim
    finds its near-duplicates and paraphrases by index lookups, never by comparing all pairs;
    ``quote_keys`` holds word-trigram keys of each quotation, so that a newly added source finds
    the stored quotations it is the original of. ``claim_clusters`` gives every linked claim the
    id of its cluster (the smallest claim id in it). Two views serve the published site:
    ``claim_reports`` (every other source reporting a claim) and ``quote_origins`` (where each
    quotation was traced to, with its differences from the original).
    """
    _run(
        conn,
        """
CREATE TABLE claim_keys (
    key INTEGER NOT NULL,
    claim_id INTEGER NOT NULL REFERENCES claims(id),
    PRIMARY KEY (key, claim_id)
) WITHOUT ROWID;
CREATE TABLE quote_keys (
    key INTEGER NOT NULL,
    quote_id INTEGER NOT NULL REFERENCES quotes(id),
    PRIMARY KEY (key, quote_id)
) WITHOUT ROWID;
CREATE TABLE link_indexes (
    name TEXT PRIMARY KEY,
    method TEXT NOT NULL,
    tool_version TEXT NOT NULL
);
CREATE TABLE claim_clusters (
    claim_id INTEGER PRIMARY KEY REFERENCES claims(id),
    cluster_id INTEGER NOT NULL REFERENCES claims(id),
    method TEXT NOT NULL,
    tool_version TEXT NOT NULL
);
CREATE INDEX idx_claim_clusters_cluster_id ON claim_clusters (cluster_id);
ALTER TABLE claim_links ADD COLUMN details TEXT;
ALTER TABLE quotes ADD COLUMN trace_method TEXT;
ALTER TABLE quotes ADD COLUMN trace_tool_version TEXT;
ALTER TABLE citations ADD COLUMN target_kind TEXT;
ALTER TABLE citations ADD COLUMN target_from TEXT;
ALTER TABLE citations ADD COLUMN target_to TEXT;
ALTER TABLE citations ADD COLUMN target_origin TEXT;
ALTER TABLE citations ADD COLUMN evidence TEXT;
ALTER TABLE citations ADD COLUMN target_identifier TEXT;
ALTER TABLE citations ADD COLUMN target_author TEXT;
CREATE INDEX idx_citations_unresolved_author ON citations (target_author)
    WHERE cited_source_id IS NULL AND target_author IS NOT NULL;
CREATE INDEX idx_citations_unresolved_target ON citations (target_kind, target_from)
    WHERE cited_source_id IS NULL;
CREATE INDEX idx_citations_target_identifier ON citations (target_identifier)
    WHERE target_identifier IS NOT NULL;
CREATE INDEX IF NOT EXISTS idx_citations_claim_id ON citations (claim_id);
CREATE INDEX idx_sources_url ON sources (url);
CREATE INDEX idx_sources_canonical_url ON sources (canonical_url);
CREATE VIEW claim_reports AS
SELECT mine.claim_id AS claim_id,
       other.claim_id AS other_claim_id,
       oc.source_id AS other_source_id,
       os.title AS other_title,
       os.kind AS other_kind,
       os.published AS other_published,
       oc.start AS other_start,
       oc.end AS other_end,
       oc.text AS other_text,
       coalesce(
           (SELECT l.relation FROM claim_links l WHERE l.claim_id = mine.claim_id
              AND l.other_claim_id = other.claim_id AND l.relation != 'quotes'),
           (SELECT l.relation FROM claim_links l WHERE l.claim_id = other.claim_id
              AND l.other_claim_id = mine.claim_id AND l.relation != 'quotes'),
           'cluster') AS relation,
       coalesce(
           (SELECT l.score FROM claim_links l WHERE l.claim_id = mine.claim_id
              AND l.other_claim_id = other.claim_id AND l.relation != 'quotes'),
           (SELECT l.score FROM claim_links l WHERE l.claim_id = other.claim_id
              AND l.other_claim_id = mine.claim_id AND l.relation != 'quotes')) AS score,
       mine.cluster_id AS cluster_id
FROM claim_clusters mine
JOIN claim_clusters other ON other.cluster_id = mine.cluster_id AND other.claim_id != mine.claim_id
JOIN claims mc ON mc.id = mine.claim_id
JOIN claims oc ON oc.id = other.claim_id
JOIN sources os ON os.id = oc.source_id
WHERE oc.source_id != mc.source_id;
CREATE VIEW quote_origins AS
SELECT q.id AS quote_id,
       q.claim_id AS claim_id,
       q.source_id AS source_id,
       q.text AS quote,
       q.speaker AS speaker,
       q.traced_source_id AS traced_source_id,
       ts.title AS traced_title,
       ts.kind AS traced_kind,
       ts.published AS traced_published,
       q.traced_start AS traced_start,
       q.traced_end AS traced_end,
       q.traced_text AS traced_text,
       q.trace_score AS trace_score,
       q.differences AS differences
FROM quotes q
JOIN sources ts ON ts.id = q.traced_source_id
""",
    )


@migration
def m006_attribution_content_and_quote_speaker_spans(conn: sqlite3.Connection) -> None:
    """The content text of each attribution, the span of each quote's speaker, and a view of
    attributions with their claim, spans and agent for browsing."""
    _run(
        conn,
        """
ALTER TABLE attributions ADD COLUMN content TEXT;
ALTER TABLE quotes ADD COLUMN speaker_start INTEGER;
ALTER TABLE quotes ADD COLUMN speaker_end INTEGER;
CREATE VIEW attribution_spans AS
SELECT a.id, a.source_id, a.claim_id, c.text AS claim,
       a.cue, a.cue_start, a.cue_end,
       a.mention AS source_mention, a.mention_start, a.mention_end,
       g.name AS agent, g.kind AS agent_kind,
       a.content, a.content_start, a.content_end,
       a.method, a.tool_version
FROM attributions a
LEFT JOIN claims c ON c.id = a.claim_id
LEFT JOIN agents g ON g.id = a.agent_id
""",
    )


@migration
def m007_cable_serial_index(conn: sqlite3.Connection) -> None:
    """Cables whose text states their post and serial number but no year (partial extracts)
    have no reference id; this index finds them by serial number when a citation names them
    ("05CAIRO4534" → the cable from CAIRO numbered 4534)."""
    _run(
        conn,
        """
CREATE INDEX sources_cable_serial ON sources (json_extract(metadata, '$.serial'))
    WHERE reference_id IS NULL AND kind = 'cable';
""",
    )


@migration
def m008_foreign_key_and_date_filter_indexes_at_scale(conn: sqlite3.Connection) -> None:
    """Indexes that keep pages and linking fast at a million claims: every foreign key has
    one (Datasette counts the rows pointing at a row on its row page), and a kind-and-date
    index for the citation resolver's "a cable sent on 3 March 2008" lookup, which without it
    walks every source of a kind (SQLite prefers the equality on kind to the date range)."""
    _run(
        conn,
        """
CREATE INDEX IF NOT EXISTS idx_claim_keys_claim_id ON claim_keys (claim_id);
CREATE INDEX IF NOT EXISTS idx_quote_keys_quote_id ON quote_keys (quote_id);
CREATE INDEX IF NOT EXISTS idx_failures_raw_sha256 ON failures (raw_sha256);
CREATE INDEX IF NOT EXISTS idx_sources_kind_published ON sources (kind, published)
""",
    )


@migration
def m009_tool_version_of_structure_and_agents(conn: sqlite3.Connection) -> None:
    """Structure spans and agents are derived rows too: they record the tool version that
    made them (rows stored before this migration leave it empty)."""
    _run(
        conn,
        """
ALTER TABLE structure ADD COLUMN tool_version TEXT;
ALTER TABLE agents ADD COLUMN tool_version TEXT
""",
    )


@migration
def m010_latest_captures_view(conn: sqlite3.Connection) -> None:
    """``latest_captures``: each source as it stands now, its latest capture only (a post of an
    archive page counts as latest when its page's capture is), with how many captures there
    are of its path or URL, so that a reader browsing sources sees each story once."""
    _run(
        conn,
        """
CREATE VIEW latest_captures AS
SELECT s.id, s.kind, s.title, s.author, s.publisher, s.published, s.url, s.input,
       s.retrieved, s.capture, s.parent_id, s.reference_id,
       CASE WHEN s.locator IS NULL THEN 1
            ELSE (SELECT count(*) FROM sources c WHERE c.locator = s.locator) END AS captures
FROM sources s
WHERE NOT EXISTS (SELECT 1 FROM sources n WHERE n.previous_capture_id = s.id)
  AND (s.parent_id IS NULL
       OR NOT EXISTS (SELECT 1 FROM sources n WHERE n.previous_capture_id = s.parent_id))
""",
    )


@migration
def m011_works_and_renditions(conn: sqlite3.Connection) -> None:
    """Works and their renditions (provenance.works).

    One work can reach the archive many times: captures of one path or URL, a plain-text copy
    of an HTML story, a reprint under another headline, a PDF and its HTML. ``sources.work_id``
    is the id of the work's earliest-known rendition (earliest published, then first stored;
    a source alone in its work has its own id). ``renditions`` holds the evidence that joined
    two sources in one work (method, score, tool version); ``rendition_keys`` the MinHash band
    keys of each text layer's word shingles, so that a new source finds its renditions by
    index lookups. ``works`` lists each source with its work and how many renditions the work
    has, for Datasette. Sources stored before this migration start as works of their own, a
    recapture joining the work of the capture before it."""
    _run(
        conn,
        """
ALTER TABLE sources ADD COLUMN work_id INTEGER REFERENCES sources(id);
CREATE TABLE renditions (
    id INTEGER PRIMARY KEY,
    source_id INTEGER NOT NULL REFERENCES sources(id),
    other_source_id INTEGER NOT NULL REFERENCES sources(id),
    method TEXT NOT NULL,
    score REAL,
    details TEXT,
    tool_version TEXT NOT NULL,
    UNIQUE (source_id, other_source_id)
);
CREATE INDEX idx_renditions_other_source_id ON renditions (other_source_id);
CREATE TABLE rendition_keys (
    key INTEGER NOT NULL,
    source_id INTEGER NOT NULL REFERENCES sources(id),
    PRIMARY KEY (key, source_id)
) WITHOUT ROWID;
CREATE INDEX idx_rendition_keys_source_id ON rendition_keys (source_id)
""",
    )
    work: dict[int, int] = {}
    for source_id, previous in conn.execute(
        "SELECT id, previous_capture_id FROM sources ORDER BY id"
    ).fetchall():
        work[source_id] = work.get(previous, source_id) if previous else source_id
    conn.executemany(
        "UPDATE sources SET work_id = ? WHERE id = ?", [(w, s) for s, w in work.items()]
    )
    _run(
        conn,
        """
CREATE INDEX idx_sources_work_id ON sources (work_id);
CREATE VIEW works AS
SELECT s.work_id AS work_id,
       w.title AS work_title,
       s.id AS source_id,
       s.title AS title,
       s.kind AS kind,
       s.published AS published,
       s.url AS url,
       s.input AS input,
       (SELECT count(*) FROM sources o WHERE o.work_id = s.work_id) AS renditions,
       r.other_source_id AS rendition_of,
       r.method AS method,
       r.score AS score,
       r.tool_version AS tool_version
FROM sources s
JOIN sources w ON w.id = s.work_id
LEFT JOIN renditions r ON r.source_id = s.id
""",
    )


@migration
def m011b_rules_of_quote_traces(conn: sqlite3.Connection) -> None:
    """The rule of time's arrow that let a quotation be traced to its original:
    ``earlier-published`` (both dated, the original first) or ``undated`` (a date unknown)."""
    _run(conn, "ALTER TABLE quotes ADD COLUMN trace_rule TEXT")


@migration
def m012_row_digests(conn: sqlite3.Connection) -> None:
    """The digest of every published row, tagged with the event that binds it (see
    ``provenance.binding``): with it the log vouches for every column of every row, not only
    for claims and text. Append-only, like the log. Rows stored before this migration are
    bound by the event it appends (``migrate``)."""
    _run(
        conn,
        """
CREATE TABLE row_digests (
    tbl TEXT NOT NULL,
    key NOT NULL,
    event_id INTEGER NOT NULL,
    sha256 TEXT,
    columns BLOB,
    PRIMARY KEY (tbl, key, event_id)
) WITHOUT ROWID;
CREATE INDEX idx_row_digests_event_id ON row_digests (event_id);
CREATE TRIGGER row_digests_are_append_only_update BEFORE UPDATE ON row_digests BEGIN SELECT RAISE(ABORT, 'row digests are append-only'); END;
CREATE TRIGGER row_digests_are_append_only_delete BEFORE DELETE ON row_digests BEGIN SELECT RAISE(ABORT, 'row digests are append-only'); END
""",
    )


@migration
def m013_claim_reports_in_time_order(conn: sqlite3.Connection) -> None:
    """``claim_reports`` gains ``other_moment``: the other source's date as the UTC time it
    names where it states a time with its offset (``provenance.moments``), else as stated.
    Sorting by ``other_published`` compares the dates as text, so a story of 20:00 in
    California (03:00 UTC the next day) sorted before one of 01:00 in London that day."""
    _run(
        conn,
        """
DROP VIEW claim_reports;
CREATE VIEW claim_reports AS
SELECT mine.claim_id AS claim_id,
       other.claim_id AS other_claim_id,
       oc.source_id AS other_source_id,
       os.title AS other_title,
       os.kind AS other_kind,
       os.published AS other_published,
       oc.start AS other_start,
       oc.end AS other_end,
       oc.text AS other_text,
       coalesce(
           (SELECT l.relation FROM claim_links l WHERE l.claim_id = mine.claim_id
              AND l.other_claim_id = other.claim_id AND l.relation != 'quotes'),
           (SELECT l.relation FROM claim_links l WHERE l.claim_id = other.claim_id
              AND l.other_claim_id = mine.claim_id AND l.relation != 'quotes'),
           'cluster') AS relation,
       coalesce(
           (SELECT l.score FROM claim_links l WHERE l.claim_id = mine.claim_id
              AND l.other_claim_id = other.claim_id AND l.relation != 'quotes'),
           (SELECT l.score FROM claim_links l WHERE l.claim_id = other.claim_id
              AND l.other_claim_id = mine.claim_id AND l.relation != 'quotes')) AS score,
       mine.cluster_id AS cluster_id,
       CASE WHEN os.published GLOB '????-??-??T??:??*[+-]??:??'
              OR os.published GLOB '????-??-??T??:??*Z'
            THEN strftime('%Y-%m-%dT%H:%M:%S', os.published)
            ELSE os.published END AS other_moment
FROM claim_clusters mine
JOIN claim_clusters other ON other.cluster_id = mine.cluster_id AND other.claim_id != mine.claim_id
JOIN claims mc ON mc.id = mine.claim_id
JOIN claims oc ON oc.id = other.claim_id
JOIN sources os ON os.id = oc.source_id
WHERE oc.source_id != mc.source_id
""",
    )


@migration
def m014_descriptions_counted_as_documents_arrive(conn: sqlite3.Connection) -> None:
    """``citations.fitting``: how many stored documents fit a description that nothing but
    what fits it decides, kept up to date as documents arrive (``provenance.citations``):
    the count in the reason of an unresolved one ("2 cables of 2008 fit"), below 100, and
    the fitting cables of one resolved by what fits it and the content of its passage
    (method ``description-fit-0.1``), which a cable arriving later can make doubtful. NULL
    for every other citation. Its partial index finds them by the kind and date of each new
    document. Unresolved descriptions stored before it get their count from their evidence."""
    _run(
        conn,
        """
ALTER TABLE citations ADD COLUMN fitting INTEGER;
CREATE INDEX idx_citations_fitting ON citations (target_kind, target_from)
    WHERE fitting IS NOT NULL;
UPDATE citations SET fitting = json_extract(evidence, '$.fitting')
    WHERE kind = 'description' AND cited_source_id IS NULL
    AND CASE WHEN json_valid(evidence) THEN
        json_extract(evidence, '$.unresolved') LIKE '%; no quote evidence'
        AND json_extract(evidence, '$.fitting') < 100 END
""",
    )


@migration
def m015_fixed_parts_of_row_digests(conn: sqlite3.Connection) -> None:
    """``row_digests.fixed``: the digest of each row without the columns a later source's
    arrival may change (a citation resolved, a quotation traced, works merged: the rule is
    ``provenance.binding.REBIND``), bound by the event with the rest of its entry. With it
    ``verify`` tells a row of an earlier source edited and then bound by a later add (its date
    or author, a claim's selectors, a quotation's span, whom a statement is attributed to)
    from what linking changes. Every row stored before this migration is bound again, with its
    fixed part, by the event it appends (``migrate``)."""
    _run(conn, "ALTER TABLE row_digests ADD COLUMN fixed TEXT")


@migration
def m016_claim_reports_first_reporter_order(conn: sqlite3.Connection) -> None:
    """``claim_reports`` gains ``other_order``, the key that sorts reports as ``who`` ranks
    them (``provenance.moments.order_key``): by the day (in UTC where a time states its
    offset), then, of one day, the reports that state their time first, by it, then the day
    alone. ``other_moment`` sorted as text put a day alone before the timed reports of that
    day, a first reporter no date shows. Undated reports have none (NULL)."""
    _run(
        conn,
        """
DROP VIEW claim_reports;
CREATE VIEW claim_reports AS
SELECT mine.claim_id AS claim_id,
       other.claim_id AS other_claim_id,
       oc.source_id AS other_source_id,
       os.title AS other_title,
       os.kind AS other_kind,
       os.published AS other_published,
       oc.start AS other_start,
       oc.end AS other_end,
       oc.text AS other_text,
       coalesce(
           (SELECT l.relation FROM claim_links l WHERE l.claim_id = mine.claim_id
              AND l.other_claim_id = other.claim_id AND l.relation != 'quotes'),
           (SELECT l.relation FROM claim_links l WHERE l.claim_id = other.claim_id
              AND l.other_claim_id = mine.claim_id AND l.relation != 'quotes'),
           'cluster') AS relation,
       coalesce(
           (SELECT l.score FROM claim_links l WHERE l.claim_id = mine.claim_id
              AND l.other_claim_id = other.claim_id AND l.relation != 'quotes'),
           (SELECT l.score FROM claim_links l WHERE l.claim_id = other.claim_id
              AND l.other_claim_id = mine.claim_id AND l.relation != 'quotes')) AS score,
       mine.cluster_id AS cluster_id,
       CASE WHEN os.published GLOB '????-??-??T??:??*[+-]??:??'
              OR os.published GLOB '????-??-??T??:??*Z'
            THEN strftime('%Y-%m-%dT%H:%M:%S', os.published)
            ELSE os.published END AS other_moment,
       CASE WHEN os.published GLOB '????-??-??T??:??*[+-]??:??'
              OR os.published GLOB '????-??-??T??:??*Z'
            THEN strftime('%Y-%m-%dT%H:%M:%S', os.published)
            ELSE substr(os.published, 1, 10) || '~' END AS other_order
FROM claim_clusters mine
JOIN claim_clusters other ON other.cluster_id = mine.cluster_id AND other.claim_id != mine.claim_id
JOIN claims mc ON mc.id = mine.claim_id
JOIN claims oc ON oc.id = other.claim_id
JOIN sources os ON os.id = oc.source_id
WHERE oc.source_id != mc.source_id
""",
    )


def schema_sql(conn: sqlite3.Connection) -> str:
    """The schema of a database as SQL, in a stable order (what ``schema/schema.sql`` holds)."""
    rows = conn.execute(
        "SELECT sql FROM sqlite_master WHERE sql IS NOT NULL AND name NOT LIKE 'sqlite_%'"
        " AND name NOT LIKE '%_fts_%' ORDER BY type = 'table' DESC, name"
    ).fetchall()
    return "".join(f"{sql};\n" for (sql,) in rows)


def migrated_in_memory() -> sqlite3.Connection:
    """An empty database migration by migration (never from the snapshot it is checked by)."""
    memory = sqlite3.connect(":memory:", isolation_level=None)
    apply_migrations(memory, only={name for name, _ in MIGRATIONS})
    return memory


if __name__ == "__main__":  # python -m provenance.migrations > provenance/schema.sql
    print(snapshot_sql(migrated_in_memory()), end="")
