-- migrations: m001_initial,m002_publication_indexes,m003_source_facet_indexes,m004_captures_over_time_claim_anchors_append_only_log,m005_claim_linking_quote_tracing_citation_targets,m006_attribution_content_and_quote_speaker_spans,m007_cable_serial_index,m008_foreign_key_and_date_filter_indexes_at_scale,m009_tool_version_of_structure_and_agents,m010_latest_captures_view,m011_works_and_renditions,m011b_rules_of_quote_traces,m012_row_digests,m013_claim_reports_in_time_order,m014_descriptions_counted_as_documents_arrive,m015_fixed_parts_of_row_digests,m016_claim_reports_first_reporter_order
CREATE TABLE _migrations (name TEXT PRIMARY KEY, applied TEXT NOT NULL);
CREATE TABLE agents (
    id INTEGER PRIMARY KEY,
    name TEXT NOT NULL,
    key TEXT NOT NULL UNIQUE,
    kind TEXT
, tool_version TEXT);
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
, content TEXT);
CREATE TABLE blobs (
    sha256 TEXT PRIMARY KEY,
    size INTEGER NOT NULL,
    content BLOB NOT NULL
);
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
, target_kind TEXT, target_from TEXT, target_to TEXT, target_origin TEXT, evidence TEXT, target_identifier TEXT, target_author TEXT, fitting INTEGER);
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
CREATE TABLE claim_clusters (
    claim_id INTEGER PRIMARY KEY REFERENCES claims(id),
    cluster_id INTEGER NOT NULL REFERENCES claims(id),
    method TEXT NOT NULL,
    tool_version TEXT NOT NULL
);
CREATE TABLE claim_keys (
    key INTEGER NOT NULL,
    claim_id INTEGER NOT NULL REFERENCES claims(id),
    PRIMARY KEY (key, claim_id)
) WITHOUT ROWID;
CREATE TABLE claim_links (
    id INTEGER PRIMARY KEY,
    claim_id INTEGER NOT NULL REFERENCES claims(id),
    other_claim_id INTEGER NOT NULL REFERENCES claims(id),
    relation TEXT NOT NULL,
    score REAL,
    method TEXT NOT NULL,
    tool_version TEXT NOT NULL, details TEXT,
    UNIQUE (claim_id, other_claim_id, relation)
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
CREATE VIRTUAL TABLE [claims_fts] USING FTS5 (text, content=[claims]);
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
CREATE TABLE failures (
    id INTEGER PRIMARY KEY,
    input TEXT NOT NULL,
    raw_sha256 TEXT REFERENCES blobs(sha256),
    error_type TEXT NOT NULL,
    error TEXT NOT NULL,
    attempted TEXT NOT NULL,
    tool_version TEXT NOT NULL
);
CREATE TABLE link_indexes (
    name TEXT PRIMARY KEY,
    method TEXT NOT NULL,
    tool_version TEXT NOT NULL
);
CREATE TABLE quote_keys (
    key INTEGER NOT NULL,
    quote_id INTEGER NOT NULL REFERENCES quotes(id),
    PRIMARY KEY (key, quote_id)
) WITHOUT ROWID;
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
, trace_method TEXT, trace_tool_version TEXT, speaker_start INTEGER, speaker_end INTEGER, trace_rule TEXT);
CREATE TABLE rendition_keys (
    key INTEGER NOT NULL,
    source_id INTEGER NOT NULL REFERENCES sources(id),
    PRIMARY KEY (key, source_id)
) WITHOUT ROWID;
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
CREATE TABLE row_digests (
    tbl TEXT NOT NULL,
    key NOT NULL,
    event_id INTEGER NOT NULL,
    sha256 TEXT,
    columns BLOB, fixed TEXT,
    PRIMARY KEY (tbl, key, event_id)
) WITHOUT ROWID;
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
, locator TEXT, capture INTEGER, previous_capture_id INTEGER REFERENCES sources(id), work_id INTEGER REFERENCES sources(id));
CREATE VIRTUAL TABLE [sources_fts] USING FTS5 (title, text, content=[sources]);
CREATE TABLE structure (
    id INTEGER PRIMARY KEY,
    source_id INTEGER NOT NULL REFERENCES sources(id),
    kind TEXT NOT NULL,
    number INTEGER,
    label TEXT,
    start INTEGER NOT NULL,
    end INTEGER NOT NULL
, tool_version TEXT);
CREATE VIEW attribution_spans AS
SELECT a.id, a.source_id, a.claim_id, c.text AS claim,
       a.cue, a.cue_start, a.cue_end,
       a.mention AS source_mention, a.mention_start, a.mention_end,
       g.name AS agent, g.kind AS agent_kind,
       a.content, a.content_start, a.content_end,
       a.method, a.tool_version
FROM attributions a
LEFT JOIN claims c ON c.id = a.claim_id
LEFT JOIN agents g ON g.id = a.agent_id;
CREATE TRIGGER blobs_are_immutable BEFORE UPDATE ON blobs BEGIN SELECT RAISE(ABORT, 'archived bytes are immutable'); END;
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
WHERE oc.source_id != mc.source_id;
CREATE TRIGGER events_are_append_only_delete BEFORE DELETE ON events BEGIN SELECT RAISE(ABORT, 'events are append-only'); END;
CREATE TRIGGER events_are_append_only_update BEFORE UPDATE ON events BEGIN SELECT RAISE(ABORT, 'events are append-only'); END;
CREATE INDEX idx_attributions_agent_id ON attributions (agent_id);
CREATE INDEX idx_attributions_cited_source_id ON attributions (cited_source_id);
CREATE INDEX idx_attributions_claim_id ON attributions (claim_id);
CREATE INDEX idx_attributions_source_id ON attributions (source_id);
CREATE INDEX idx_citations_cited_source_id ON citations (cited_source_id);
CREATE INDEX idx_citations_citing_source_id ON citations (citing_source_id);
CREATE INDEX idx_citations_claim_id ON citations (claim_id)
;
CREATE INDEX idx_citations_fitting ON citations (target_kind, target_from)
    WHERE fitting IS NOT NULL;
CREATE INDEX idx_citations_identifier ON citations (identifier);
CREATE INDEX idx_citations_target_identifier ON citations (target_identifier)
    WHERE target_identifier IS NOT NULL;
CREATE INDEX idx_citations_unresolved_author ON citations (target_author)
    WHERE cited_source_id IS NULL AND target_author IS NOT NULL;
CREATE INDEX idx_citations_unresolved_target ON citations (target_kind, target_from)
    WHERE cited_source_id IS NULL;
CREATE INDEX idx_claim_anchors_from_source_id ON claim_anchors (from_source_id);
CREATE INDEX idx_claim_anchors_new_claim_id ON claim_anchors (new_claim_id);
CREATE INDEX idx_claim_anchors_to_source_id ON claim_anchors (to_source_id);
CREATE INDEX idx_claim_clusters_cluster_id ON claim_clusters (cluster_id);
CREATE INDEX idx_claim_keys_claim_id ON claim_keys (claim_id);
CREATE INDEX idx_claim_links_other_claim_id ON claim_links (other_claim_id);
CREATE INDEX idx_claims_norm_key ON claims (norm_key);
CREATE INDEX idx_claims_score ON claims (score);
CREATE INDEX idx_claims_source_id ON claims (source_id);
CREATE INDEX idx_failures_input ON failures (input);
CREATE INDEX idx_failures_raw_sha256 ON failures (raw_sha256);
CREATE INDEX idx_quote_keys_quote_id ON quote_keys (quote_id);
CREATE INDEX idx_quotes_claim_id ON quotes (claim_id);
CREATE INDEX idx_quotes_source_id ON quotes (source_id);
CREATE INDEX idx_quotes_speaker_agent_id ON quotes (speaker_agent_id);
CREATE INDEX idx_quotes_traced_source_id ON quotes (traced_source_id);
CREATE INDEX idx_rendition_keys_source_id ON rendition_keys (source_id)
;
CREATE INDEX idx_renditions_other_source_id ON renditions (other_source_id);
CREATE INDEX idx_row_digests_event_id ON row_digests (event_id);
CREATE INDEX idx_sources_canonical_url ON sources (canonical_url);
CREATE INDEX idx_sources_classification ON sources (classification);
CREATE INDEX idx_sources_kind ON sources (kind);
CREATE INDEX idx_sources_kind_published ON sources (kind, published)
;
CREATE INDEX idx_sources_locator ON sources (locator);
CREATE INDEX idx_sources_origin ON sources (origin)
;
CREATE INDEX idx_sources_parent_id ON sources (parent_id);
CREATE INDEX idx_sources_previous_capture_id ON sources (previous_capture_id);
CREATE INDEX idx_sources_published ON sources (published);
CREATE INDEX idx_sources_publisher ON sources (publisher);
CREATE INDEX idx_sources_raw_sha256 ON sources (raw_sha256);
CREATE INDEX idx_sources_reference_id ON sources (reference_id);
CREATE INDEX idx_sources_url ON sources (url);
CREATE INDEX idx_sources_work_id ON sources (work_id);
CREATE INDEX idx_structure_source_id ON structure (source_id);
CREATE VIEW latest_captures AS
SELECT s.id, s.kind, s.title, s.author, s.publisher, s.published, s.url, s.input,
       s.retrieved, s.capture, s.parent_id, s.reference_id,
       CASE WHEN s.locator IS NULL THEN 1
            ELSE (SELECT count(*) FROM sources c WHERE c.locator = s.locator) END AS captures
FROM sources s
WHERE NOT EXISTS (SELECT 1 FROM sources n WHERE n.previous_capture_id = s.id)
  AND (s.parent_id IS NULL
       OR NOT EXISTS (SELECT 1 FROM sources n WHERE n.previous_capture_id = s.parent_id));
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
JOIN sources ts ON ts.id = q.traced_source_id;
CREATE TRIGGER row_digests_are_append_only_delete BEFORE DELETE ON row_digests BEGIN SELECT RAISE(ABORT, 'row digests are append-only'); END;
CREATE TRIGGER row_digests_are_append_only_update BEFORE UPDATE ON row_digests BEGIN SELECT RAISE(ABORT, 'row digests are append-only'); END;
CREATE INDEX sources_cable_serial ON sources (json_extract(metadata, '$.serial'))
    WHERE reference_id IS NULL AND kind = 'cable';
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
LEFT JOIN renditions r ON r.source_id = s.id;
