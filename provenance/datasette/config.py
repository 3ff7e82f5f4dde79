"""The one place the published configuration comes from.

Titles, descriptions, column descriptions, label columns, facets, sortable columns, full-text
search, stored queries and settings for a provenance database published with Datasette.
:func:`datasette_kwargs` turns them into arguments for ``Datasette(...)`` and
:func:`serve_arguments` into a ``datasette serve`` command line, on the 0.65 series (everything
in metadata) and on 1.0 (stored queries in the configuration).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from datasette.utils import tilde_encode

from .. import __version__
from ..moments import order_sql

#: Datasette settings: no facet suggestions (800 ms a page at a million claims), bounded facets.
SETTINGS: dict[str, Any] = {
    "suggest_facets": False,
    "facet_time_limit_ms": 200,
    "sql_time_limit_ms": 1000,
    "default_page_size": 50,
    # A source's whole text layer in every cell made the sources table 120,000 px tall.
    "truncate_cells_html": 200,
}

#: Tables a reader has no use for: bookkeeping of migrations and of the linking indexes.
HIDDEN_TABLES = (
    "_migrations",
    "claim_keys",
    "quote_keys",
    "link_indexes",
    "rendition_keys",
    "row_digests",
)

#: Claims are only sortable by indexed columns: sorting a million rows otherwise sorts them all.
CLAIM_SORTABLE = ["id", "score", "source_id"]

_SQL_WHO_REPORTED_FIRST = f"""
with bound as (
  -- rank at most the 10,000 matches added last: BM25 over every match of a common word is slow
  select coalesce((
    select rowid from claims_fts
    where trim(:text, ' "') != '' and claims_fts match escape_fts(:text)
    order by rowid desc limit 1 offset 9999
  ), 0) as floor
),
hits as (
  select rowid from claims_fts
  where trim(:text, ' "') != '' and claims_fts match escape_fts(:text)
    and rowid >= (select floor from bound)
  order by rank limit 200
),
matched as (
  select rowid as id from hits
  union select l.other_claim_id from claim_links l join hits h on l.claim_id = h.rowid
  union select l.claim_id from claim_links l join hits h on l.other_claim_id = h.rowid
)
select s.published, s.publisher, s.title as source, c.source_id, c.id as claim_id,
  c.text as claim, s.kind, s.url
from matched m join claims c on c.id = m.id join sources s on s.id = c.source_id
order by {order_sql("s.published")}, s.retrieved, c.id
limit 100
""".strip()

_SQL_CLAIMS_CITING_SOURCE = """
with target as (
  select id from sources where id = :source or reference_id = :source
),
found as (
select 'citation' as how, c.claim_id, cl.text as claim, c.citing_source_id as source_id,
  s.title as source, s.published, c.mention as evidence
from citations c join sources s on s.id = c.citing_source_id
  left join claims cl on cl.id = c.claim_id
where c.cited_source_id in (select id from target)
union all
select 'attribution', a.claim_id, cl.text, a.source_id, s.title, s.published, a.mention
from attributions a join sources s on s.id = a.source_id left join claims cl on cl.id = a.claim_id
where a.cited_source_id in (select id from target)
union all
select 'quotation', q.claim_id, cl.text, q.source_id, s.title, s.published, q.text
from quotes q join sources s on s.id = q.source_id left join claims cl on cl.id = q.claim_id
where q.traced_source_id in (select id from target)
)
select * from found
order by published is null, published, claim_id
limit 500
""".strip()

_SQL_UNRESOLVED_CITATIONS = """
select c.id, c.mention, c.kind, c.identifier, c.citing_source_id as source_id,
  s.title as source, c.claim_id, cl.text as claim
from citations c join sources s on s.id = c.citing_source_id
  left join claims cl on cl.id = c.claim_id
where c.cited_source_id is null
order by c.id desc
limit 200
""".strip()

_SQL_FAILED_INGESTS = """
select id, attempted, input, error_type, error, raw_sha256, tool_version
from failures
order by id desc
limit 1000
""".strip()


def queries() -> dict[str, dict[str, Any]]:
    """The stored queries, with their parameters."""
    return {
        "who_reported_first": {
            "title": "Who reported this first?",
            "description": "The 200 claims that match some words best (and the claims linked "
            "to them), earliest publication first. Give several words of the claim: when more "
            "than 10,000 claims match, only the 10,000 added last are considered.",
            "sql": _SQL_WHO_REPORTED_FIRST,
            "params": ["text"],
            "hide_sql": True,
        },
        "claims_citing_source": {
            "title": "Claims that cite a source",
            "description": "Claims whose citation, attribution or quotation resolves to a "
            "source, given its id or its cable reference id (e.g. 08VELMORA112).",
            "sql": _SQL_CLAIMS_CITING_SOURCE,
            "params": ["source"],
            "hide_sql": True,
        },
        "unresolved_citations": {
            "title": "Unresolved citations",
            "description": "The 200 latest mentions of documents (cable ids, URLs, DOIs, "
            "reports) that no stored source matches yet; the citations table filtered on "
            "cited_source_id__isnull=1 pages through all of them.",
            "sql": _SQL_UNRESOLVED_CITATIONS,
            "hide_sql": True,
        },
        "failed_ingests": {
            "title": "Failed ingests",
            "description": "Inputs that could not be stored, and why; latest first.",
            "sql": _SQL_FAILED_INGESTS,
            "hide_sql": True,
        },
    }


def tables() -> dict[str, dict[str, Any]]:
    """Per-table metadata and configuration."""
    return {
        "sources": {
            "title": "Sources",
            "description": "Every captured document: pages, posts, cables, reports. A post of "
            "an archive page points at that page as its parent.",
            "label_column": "title",
            "sort_desc": "id",
            "size": 20,
            "facets": ["kind", "publisher", {"year": "published"}, "classification", "origin"],
            "fts_table": "sources_fts",
            "searchmode": "escaped",
            "columns": {
                "kind": "html, post, cable, pdf or text",
                "title": "Title of the document",
                "author": "Author or byline",
                "publisher": "Outlet, site or issuing body",
                "published": "Publication or creation date (ISO 8601)",
                "url": "Where it was published (final URL for fetched inputs)",
                "canonical_url": "The canonical URL the page declares",
                "input": "The file or URL it was added from",
                "retrieved": "When it was captured (UTC)",
                "http_status": "HTTP status of the capture",
                "raw_sha256": "SHA-256 of the archived original bytes (see blobs)",
                "text_sha256": "SHA-256 of the text layer that claim offsets point into",
                "text": "The normalised text layer",
                "normalisation": "How the text layer was normalised from the extracted text",
                "parent_id": "For a post: the archive page it was captured on",
                "parent_start": "Offset of the post in its parent's text layer",
                "reference_id": "Cable reference id, e.g. 08TRIPOLI120",
                "locator": "The path or URL this source was captured from: captures of one "
                "locator are versions of one source",
                "capture": "Which capture of its locator this is (1 for the first)",
                "previous_capture_id": "The capture this one replaces, when re-captured",
                "classification": "Cable classification marking",
                "origin": "Cable origin (embassy or office)",
                "subject": "Cable subject line",
                "tags": "Cable TAGS line",
                "page_count": "Number of PDF pages",
                "producer": "PDF producer",
                "extractor": "Ingester that produced the text layer",
                "extractor_version": "Version of that ingester",
                "tool_version": "Version of provenance that stored the row",
            },
        },
        "claims": {
            "title": "Claims",
            "description": "Sentences scored as check-worthy factual claims, each with the exact "
            "span of its source's text layer it was cut from. Open a claim's text for its "
            "context, attribution, quotations and other reports.",
            "label_column": "text",
            "sortable_columns": CLAIM_SORTABLE,
            "fts_table": "claims_fts",
            "searchmode": "escaped",
            "columns": {
                "source_id": "The source whose text layer holds the claim",
                "start": "Offset of the first character in the source's text layer",
                "end": "Offset after the last character (text = source.text[start:end])",
                "page": "PDF page number, when paged",
                "paragraph": "Number of the block (paragraph, heading, list item) holding it",
                "text": "The claim, exactly as in the text layer",
                "prefix": "Up to 32 characters before the claim",
                "suffix": "Up to 32 characters after the claim",
                "score": "Check-worthiness between 0 and 1",
                "kind": "statistic, quotation, attributed, event or statement",
                "norm_key": "Normalised text used to match the same claim across sources",
                "model_version": "Version of the scorer that produced the score",
                "tool_version": "Version of provenance that stored the row",
            },
        },
        "attributions": {
            "title": "Attributions",
            "description": "Who a source says made a statement: the cue, the named source and "
            "the content, as spans of the source's text layer.",
            "facets": ["agent_id"],
            "columns": {
                "cue": "The attribution cue (said, according to, told …)",
                "mention": "How the source names who said it",
                "agent_id": "The agent that mention was resolved to",
                "content": "What the source says was stated (the content span's text)",
                "cited_source_id": "The stored document the statement is attributed to, if any",
                "method": "Method and version that found the attribution",
            },
        },
        "attribution_spans": {
            "title": "Attribution spans",
            "description": "Every attribution with its claim, cue, source mention, agent and "
            "content, each with its offsets into the source's text layer.",
            "facets": ["agent_kind"],
            "columns": {
                "source_mention": "How the source names who said it",
                "agent": "The agent that mention was resolved to",
                "content": "What the source says was stated",
            },
        },
        "agents": {
            "title": "Agents",
            "description": "People, organisations and documents that claims are attributed to.",
            "label_column": "name",
            "facets": ["kind"],
        },
        "quotes": {
            "title": "Quotations",
            "description": "Direct quotes, their speaker, and where they were traced.",
            "label_column": "text",
            "facets": ["speaker_agent_id"],
            "columns": {
                "speaker": "Who the text says spoke the quotation",
                "speaker_start": "Offset of the speaker's mention in the text layer",
                "traced_source_id": "The stored source the quotation was found in",
                "traced_start": "Offset of the quoted passage in that source's text layer",
                "traced_end": "Offset after the quoted passage",
                "differences": "How the quotation differs from the passage (JSON)",
            },
        },
        "citations": {
            "title": "Citations",
            "description": "Mentions of other documents, resolved to a stored source when one fits.",
            "label_column": "mention",
            "facets": ["kind"],
            "columns": {
                "identifier": "Normalised identifier: cable reference id, URL, DOI",
                "cited_source_id": "The stored source the mention was resolved to",
                "confidence": "Confidence of the resolution between 0 and 1",
                "evidence": "What decided it (JSON): signals, candidates and scores, the rule of "
                "time's arrow; for an unresolved mention, its candidates and why",
                "fitting": "For a description that only what fits it decides: how many stored "
                "documents fit it, kept up to date as documents arrive (else null)",
            },
        },
        "claim_links": {
            "title": "Claim links",
            "description": "The same claim in several sources.",
            "facets": ["relation", "method"],
        },
        "structure": {"title": "Structure", "description": "Pages, paragraphs, headings, posts."},
        "claim_clusters": {
            "title": "Claim clusters",
            "description": "Every linked claim with the id of its cluster (the smallest claim id "
            "of the group): one claim, as reported by several sources.",
        },
        "claim_reports": {
            "title": "Who reported a claim",
            "description": "For a claim, every other claim of its cluster with its source, date, "
            "relation and score. Sort by other_order for the first reporter, as provenance who "
            "ranks them: by the day (in UTC where a time states its offset), then, of one day, "
            "the reports that state their time first; other_moment is the date in UTC.",
        },
        "quote_origins": {
            "title": "Where quotations come from",
            "description": "Each traced quotation with the passage it quotes and its differences "
            "from the original (bracket, ellipsis and spelling are editorial; changed, added and "
            "omitted make a misquote).",
        },
        "works": {
            "title": "Works and their renditions",
            "description": "Each source with its work: the id of the work's earliest-known "
            "rendition (a plain-text copy, a reprint under another headline, a PDF and its HTML, "
            "the captures of one address are one work) and the evidence that joined it.",
            "facets": ["kind", "method"],
            "columns": {
                "work_id": "The work's earliest-known rendition",
                "renditions": "How many stored sources are renditions of this work",
                "rendition_of": "The source this one was recognised as a rendition of",
                "score": "Share of word 5-grams found in the other text (the smaller way round)",
            },
        },
        "renditions": {
            "title": "Rendition evidence",
            "description": "Why two sources were taken for one work: the method, its score and "
            "the tool version.",
        },
        **{name: {"hidden": True} for name in HIDDEN_TABLES},
        "latest_captures": {
            "title": "Sources as they stand now",
            "description": "Each source once: the latest capture of every path or URL (and the "
            "posts of the latest capture of an archive page), with how many captures there are.",
            "facets": ["kind", "publisher"],
            "columns": {
                "capture": "Which capture of its path or URL this is (1 = first)",
                "captures": "How many captures of this path or URL are stored",
            },
        },
        "claim_anchors": {
            "title": "Claims across captures",
            "description": "When a source is captured again, where each claim of the earlier "
            "capture stands in the new text: unchanged, moved, edited (with the new span and the "
            "difference) or orphaned.",
            "facets": ["status"],
            "columns": {
                "claim_id": "The claim in the earlier capture",
                "from_source_id": "The earlier capture",
                "to_source_id": "The new capture",
                "start": "Start of the re-anchored span in the new capture's text layer",
                "end": "End of the re-anchored span (null when orphaned)",
                "new_claim_id": "The claim of the new capture at that span, if any",
                "difference": "Word-level difference for an edited claim",
            },
        },
        "failures": {
            "title": "Failed ingests",
            "description": "Inputs that could not be stored, and why.",
            "label_column": "input",
            "sort_desc": "id",
        },
        "events": {
            "title": "Event log",
            "description": "Append-only, hash-chained log of everything added.",
            "sort_desc": "id",
        },
        "blobs": {
            "title": "Archived bytes",
            "description": "The original bytes of every capture, by SHA-256. Downloads are "
            "served as attachments, never rendered.",
        },
    }


def metadata(database: str = "provenance") -> dict[str, Any]:
    """Everything for database ``database`` in one dict, as Datasette 0.65 reads metadata."""
    route = tilde_encode(database)
    return {
        "title": "provenance",
        "description": "Who reported a claim, exactly where, and where they got it from.",
        "about": f"provenance {__version__}",
        "databases": {
            database: {
                "title": "Claims and sources",
                "description_html": (
                    "Every claim with the exact span of the source it was cut from. "
                    f'<a href="{route}/-/search">Search claims and sources</a>.'
                ),
                "tables": tables(),
                "queries": queries(),
            }
        },
    }


def takes_config() -> bool:
    """Whether this Datasette reads table options and stored queries from a config (1.0)."""
    from datasette.version import __version__ as datasette_version

    return int(datasette_version.split(".")[0]) >= 1


def split(database: str) -> tuple[dict[str, Any], dict[str, Any] | None]:
    """(metadata, config) for this Datasette: config is None on 0.65, where metadata holds all."""
    meta = metadata(database)
    if not takes_config():
        return meta, None
    options = meta["databases"][database]
    config_tables = {}
    for name, table in options["tables"].items():
        moved = {
            k: table.pop(k) for k in list(table) if k not in ("title", "description", "columns")
        }
        if moved:
            config_tables[name] = moved
    config = {"databases": {database: {"tables": config_tables, "queries": options.pop("queries")}}}
    return meta, config


def datasette_kwargs(database: str) -> dict[str, Any]:
    """Keyword arguments for ``Datasette(...)`` publishing database ``database``."""
    meta, config = split(database)
    kwargs: dict[str, Any] = {"metadata": meta, "settings": dict(SETTINGS)}
    if config is not None:
        kwargs["config"] = config
    return kwargs


def serve_arguments(
    path: Path, folder: Path, *, immutable: bool, inspect_file: Path | None = None
) -> list[str]:
    """A ``datasette serve`` command line for ``path``, writing its JSON files into ``folder``."""
    meta, config = split(path.stem)
    metadata_file = folder / "metadata.json"
    metadata_file.write_text(json.dumps(meta))
    args = ["serve", *(["-i"] if immutable else []), str(path), "--metadata", str(metadata_file)]
    if config is not None:
        config_file = folder / "datasette.json"
        config_file.write_text(json.dumps(config))
        args += ["--config", str(config_file)]
    if inspect_file is not None:
        args += ["--inspect-file", str(inspect_file)]
    for name, value in SETTINGS.items():
        args += [
            "--setting",
            name,
            ("on" if value else "off") if isinstance(value, bool) else str(value),
        ]
    return args
