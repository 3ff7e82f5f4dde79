"""What the published pages and the exports show about sources and claims.

Read-only queries over one database connection: a source with its claims and structure, a
claim in its context with its attribution, quotations (and where they were traced), citation
chain and every other source that reports it (earliest first), and ranked full-text search.

Every query here goes through an index or the full-text index and is bounded, so none of them
scans the claims table; rows that the linking and attribution stages have not filled in (yet)
simply come back empty.
"""

from __future__ import annotations

import json
import re
import sqlite3
from collections.abc import Iterable, Sequence
from functools import cache
from importlib import resources
from typing import Any

from .moments import first_reporters, order_key, order_sql
from .reading import list_claims

#: Characters of context shown on each side of a claim or a traced quotation.
CONTEXT_CHARS = 400
#: How far the claim-link graph is followed, and how many linked claims are shown at most.
MAX_LINKED_CLAIMS = 200
#: How many hops a citation chain is followed.
MAX_CITATION_DEPTH = 4
#: Markers that FTS5 puts around matched terms; normalised text layers never hold them.
HIT_START, HIT_END = "\x02", "\x03"
#: At most this many matches are ranked: BM25 over every match of a common word costs
#: hundreds of milliseconds at a million claims. Beyond it, the most recently added are ranked.
RANK_WINDOW = 10_000


#: Sources in time's order (:func:`provenance.moments.order_key`, in SQL).
_ORDER_S_PUBLISHED = order_sql("s.published")


def rows(conn: sqlite3.Connection, sql: str, params: Sequence[Any] = ()) -> list[dict[str, Any]]:
    """Run a query and return plain dicts, whatever the connection's row factory is."""
    cursor = conn.execute(sql, params)
    names = [d[0] for d in cursor.description]
    return [dict(zip(names, row, strict=True)) for row in cursor.fetchall()]


def one(conn: sqlite3.Connection, sql: str, params: Sequence[Any] = ()) -> dict[str, Any] | None:
    found = rows(conn, sql, params)
    return found[0] if found else None


def is_provenance_database(conn: sqlite3.Connection) -> bool:
    """Whether a database holds this tool's tables."""
    names = {
        r[0]
        for r in conn.execute(
            "SELECT name FROM sqlite_master WHERE type = 'table' AND name IN ('sources', 'claims')"
        )
    }
    return names == {"sources", "claims"}


def date_key(row: dict[str, Any]) -> tuple:
    """Sort key putting the earliest publication first (by its moment: times in other zones
    by the UTC time they name; of one day, those that state their time first), undated
    documents last."""
    return (
        *order_key(row.get("published")),
        row.get("retrieved") or "",
        row.get("source_id") or 0,
    )


# --- sources ------------------------------------------------------------------------------


_URL = re.compile(r"[a-z][a-z0-9+.-]*://", re.I)


def published_input(value: str | None) -> str | None:
    """What the site shows of where a source was added from: a URL whole, a local path by its
    file name only (the folders of the archivist's machine are not published)."""
    if not value or _URL.match(value):
        return value
    return re.split(r"[/\\]", value.rstrip("/\\"))[-1] or value


def source_page(conn: sqlite3.Connection, source_id: int) -> dict[str, Any] | None:
    """A source with its text layer, claims (with attribution), sections, parent and children.
    Where it was read from is given as :func:`published_input`; its locator is left out."""
    source = one(conn, "SELECT * FROM sources WHERE id = ?", (source_id,))
    if source is None:
        return None
    source["input"] = published_input(source.get("input"))
    source.pop("locator", None)
    source["metadata"] = _json(source.get("metadata")) or {}
    source["claims"] = list_claims(conn, source_id)
    source["blob_size"] = (
        conn.execute("SELECT size FROM blobs WHERE sha256 = ?", (source["raw_sha256"],)).fetchone()
        or (None,)
    )[0]
    source["parent"] = (
        one(conn, "SELECT id, title, kind FROM sources WHERE id = ?", (source["parent_id"],))
        if source.get("parent_id")
        else None
    )
    source["children"] = rows(
        conn,
        "SELECT id, title, kind, published FROM sources WHERE parent_id = ? ORDER BY position, id",
        (source_id,),
    )
    pages = rows(
        conn,
        "SELECT number, start, end FROM structure WHERE source_id = ? AND kind = 'page'"
        " ORDER BY start",
        (source_id,),
    )
    source["sections"] = text_sections(len(source["text"]), pages)
    source["renditions"] = renditions(conn, source_id)
    source["cites"] = rows(
        conn,
        "SELECT c.id, c.claim_id, c.mention, c.kind, c.identifier, c.cited_source_id,"
        " c.confidence, c.method, c.evidence, s.title AS cited_title FROM citations c"
        " LEFT JOIN sources s ON s.id = c.cited_source_id"
        " WHERE c.citing_source_id = ? ORDER BY c.start, c.id",
        (source_id,),
    )
    for citation in source["cites"]:
        citation["evidence"] = _json(citation["evidence"])
        citation["why"] = why(citation["evidence"])
    source["cited_by"] = rows(
        conn,
        "SELECT c.id, c.claim_id, c.mention, c.citing_source_id, s.title AS citing_title,"
        " s.published FROM citations c JOIN sources s ON s.id = c.citing_source_id"
        f" WHERE c.cited_source_id = ? ORDER BY {_ORDER_S_PUBLISHED}, c.id LIMIT 500",
        (source_id,),
    )
    source["quoted_by"] = rows(
        conn,
        "SELECT q.id, q.claim_id, q.text, q.source_id, s.title AS quoting_title,"
        " q.traced_start, q.traced_end FROM quotes q JOIN sources s ON s.id = q.source_id"
        " WHERE q.traced_source_id = ? ORDER BY q.traced_start, q.id LIMIT 500",
        (source_id,),
    )
    return source


def text_sections(length: int, pages: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Consecutive ranges covering the whole text layer: one per page for paged documents."""
    if not pages:
        return [{"page": None, "start": 0, "end": length}]
    sections = []
    if pages[0]["start"] > 0:
        sections.append({"page": None, "start": 0, "end": pages[0]["start"]})
    for i, page in enumerate(pages):
        end = pages[i + 1]["start"] if i + 1 < len(pages) else length
        sections.append({"page": page["number"], "start": page["start"], "end": end})
    return sections


def source_roles(conn: sqlite3.Connection, source_id: int) -> dict[str, Any]:
    """What each span of a source does, from stored rows: its quotations (and where each was
    traced), its attributions (cue and source mention), the passages other sources quote, and
    the documents it quotes and cites (resolved with their evidence, unresolved with why)."""
    quotes = rows(
        conn,
        "SELECT q.id, q.source_id, q.claim_id, q.start, q.end, q.text, q.speaker,"
        " q.traced_source_id,"
        " q.traced_start, q.traced_end, q.trace_score, s.title AS traced_title,"
        " s.kind AS traced_kind, s.published AS traced_published,"
        " s.reference_id AS traced_reference_id FROM quotes q"
        " LEFT JOIN sources s ON s.id = q.traced_source_id"
        " WHERE q.source_id = ? ORDER BY q.start, q.id LIMIT 2000",
        (source_id,),
    )
    attributions = rows(
        conn,
        "SELECT a.id, a.claim_id, a.cue, a.cue_start, a.cue_end, a.mention, a.mention_start,"
        " a.mention_end, g.name AS agent_name FROM attributions a"
        " LEFT JOIN agents g ON g.id = a.agent_id WHERE a.source_id = ? ORDER BY a.id LIMIT 2000",
        (source_id,),
    )
    quoted_here = rows(
        conn,
        "SELECT q.id, q.source_id, q.claim_id, q.traced_start, q.traced_end, s.title, s.kind,"
        " s.published FROM quotes q JOIN sources s ON s.id = q.source_id"
        " WHERE q.traced_source_id = ? AND q.traced_start IS NOT NULL"
        " ORDER BY q.traced_start, q.id LIMIT 500",
        (source_id,),
    )
    quoted_documents: dict[int, dict[str, Any]] = {}
    for quote in quotes:
        origin = quote["traced_source_id"]
        if origin is None or origin == source_id:
            continue
        entry = quoted_documents.setdefault(
            origin,
            {
                "source_id": origin,
                "title": quote["traced_title"],
                "kind": quote["traced_kind"],
                "published": quote["traced_published"],
                "reference_id": quote["traced_reference_id"],
                "quotes": [],
            },
        )
        entry["quotes"].append(quote)
    cites = rows(
        conn,
        "SELECT c.id, c.claim_id, c.start, c.end, c.mention, c.kind, c.identifier,"
        " c.cited_source_id, c.confidence, c.method, c.evidence, c.target_kind, c.target_from,"
        " c.target_to, s.title AS cited_title, s.kind AS cited_kind,"
        " s.published AS cited_published FROM citations c"
        " LEFT JOIN sources s ON s.id = c.cited_source_id"
        " WHERE c.citing_source_id = ? ORDER BY c.start IS NULL, c.start, c.id LIMIT 500",
        (source_id,),
    )
    for cite in cites:
        cite["evidence"] = _json(cite["evidence"]) or {}
        cite["why"] = why(cite["evidence"])
    quoted_by: dict[int, dict[str, Any]] = {}
    for quote in quoted_here:
        entry = quoted_by.setdefault(
            quote["source_id"],
            {
                "source_id": quote["source_id"],
                "title": quote["title"],
                "kind": quote["kind"],
                "published": quote["published"],
                "quotes": [],
            },
        )
        entry["quotes"].append(quote)
    return {
        "quotes": quotes,
        "attributions": attributions,
        "quoted_here": quoted_here,
        "quoted_documents": sorted(quoted_documents.values(), key=date_key),
        "cites": cites,
        "quoted_by": sorted(quoted_by.values(), key=date_key),
        "checkworthy": checkworthy_threshold(),
    }


@cache
def checkworthy_threshold() -> float:
    """The score from which the shipped model calls a sentence check-worthy (its card says)."""
    card = resources.files("provenance.models").joinpath("claims.json").read_text()
    return float(json.loads(card)["threshold"])


def quote_origins(conn: sqlite3.Connection, claim_ids: Sequence[int]) -> dict[int, list[dict]]:
    """For each claim, the stored sources its quotations were traced to."""
    found: dict[int, list[dict[str, Any]]] = {}
    for chunk in _chunks(claim_ids, 500):
        for row in rows(
            conn,
            "SELECT q.claim_id, q.id AS quote_id, q.text, q.traced_source_id, q.traced_start,"
            " q.traced_end, s.title, s.kind, s.published, s.reference_id FROM quotes q"
            " JOIN sources s ON s.id = q.traced_source_id"
            f" WHERE q.claim_id IN ({','.join('?' for _ in chunk)})"
            " AND q.traced_source_id IS NOT NULL ORDER BY q.claim_id, q.start",
            chunk,
        ):
            found.setdefault(row["claim_id"], []).append(row)
    return found


# --- the archive as a whole ---------------------------------------------------------------


def archive_summary(conn: sqlite3.Connection, traced: int = 5) -> dict[str, Any]:
    """What the archive holds: sources by kind, the range of publication dates, the source
    added last and the quotations traced to their origin last. Index lookups only."""
    kinds = rows(
        conn, "SELECT kind, count(*) AS count FROM sources GROUP BY kind ORDER BY count DESC"
    )
    # Dates are ISO 8601 strings: the index on published gives the first and last year-led one.
    dated = "published >= '0001' AND published < ':'"
    first = conn.execute(
        f"SELECT published FROM sources WHERE {dated} ORDER BY published LIMIT 1"
    ).fetchone()
    last = conn.execute(
        f"SELECT published FROM sources WHERE {dated} ORDER BY published DESC LIMIT 1"
    ).fetchone()
    latest = one(
        conn,
        "SELECT id, kind, title, publisher, published, reference_id, added FROM sources"
        " ORDER BY id DESC LIMIT 1",
    )
    quotes = rows(
        conn,
        "SELECT q.id, q.claim_id, q.text, q.source_id, q.traced_source_id, q.traced_start,"
        " q.traced_end, s.title, s.kind, s.published, o.title AS origin_title,"
        " o.kind AS origin_kind, o.published AS origin_published,"
        " o.reference_id AS origin_reference_id FROM quotes q"
        " JOIN sources s ON s.id = q.source_id JOIN sources o ON o.id = q.traced_source_id"
        " WHERE q.traced_source_id IS NOT NULL AND q.traced_source_id != q.source_id"
        " ORDER BY q.id DESC LIMIT ?",
        (traced,),
    )
    return {
        "kinds": kinds,
        "sources": sum(k["count"] for k in kinds),
        "first_published": first[0] if first else None,
        "last_published": last[0] if last else None,
        "latest": latest,
        "traced_quotes": quotes,
    }


# --- pages of a PDF -----------------------------------------------------------------------


def pdf_page(conn: sqlite3.Connection, source_id: int, number: int) -> dict[str, Any] | None:
    """One page of a paged source: its text, its claims, and what its image is rendered from."""
    source = one(
        conn,
        "SELECT id, kind, title, publisher, published, raw_sha256, page_count FROM sources"
        " WHERE id = ?",
        (source_id,),
    )
    if source is None or not source["page_count"]:
        return None
    pages = rows(
        conn,
        "SELECT number, start, end FROM structure WHERE source_id = ? AND kind = 'page'"
        " ORDER BY start",
        (source_id,),
    )
    length = conn.execute("SELECT length(text) FROM sources WHERE id = ?", (source_id,)).fetchone()[
        0
    ]
    section = next(
        (s for s in text_sections(length, pages) if s["page"] == number),
        None,
    )
    if section is None:
        if not 1 <= number <= source["page_count"]:
            return None
        section = {"page": number, "start": 0, "end": 0}  # a page without text
    source["page"] = number
    source["section"] = section
    source["text"] = _substr(conn, "sources", "text", source_id, section["start"], section["end"])
    source["claims"] = rows(
        conn,
        "SELECT id, start, end, text, score, kind FROM claims WHERE source_id = ? AND page = ?"
        " ORDER BY start",
        (source_id, number),
    )
    return source


def blob(conn: sqlite3.Connection, sha256: str) -> bytes | None:
    """The archived bytes with this hash."""
    row = conn.execute("SELECT content FROM blobs WHERE sha256 = ?", (sha256,)).fetchone()
    return bytes(row[0]) if row else None


# --- claims -------------------------------------------------------------------------------


def claim_page(conn: sqlite3.Connection, claim_id: int) -> dict[str, Any] | None:
    """A claim in its context with attribution, quotations, citation chain and other reports."""
    claim = one(conn, "SELECT * FROM claims WHERE id = ?", (claim_id,))
    if claim is None:
        return None
    source_id = claim["source_id"]
    source = one(
        conn,
        "SELECT id, kind, title, author, publisher, published, retrieved, url, canonical_url,"
        " reference_id, classification, parent_id, raw_sha256, text_sha256, length(text) AS length"
        " FROM sources WHERE id = ?",
        (source_id,),
    )
    if source is None:
        return None
    claim["context"] = window(conn, source_id, claim["start"], claim["end"], CONTEXT_CHARS)
    claim["source"] = source
    claim["attributions"] = rows(
        conn,
        "SELECT a.*, g.name AS agent_name, g.kind AS agent_kind, s.title AS cited_title"
        " FROM attributions a LEFT JOIN agents g ON g.id = a.agent_id"
        " LEFT JOIN sources s ON s.id = a.cited_source_id WHERE a.claim_id = ? ORDER BY a.id",
        (claim_id,),
    )
    claim["quotes"] = claim_quotes(conn, claim_id)
    claim["citations"] = citation_chain(conn, claim_id)
    claim["renditions"] = renditions(conn, source_id)
    claim["reports"] = reports(conn, claim_id)
    return claim


def window(
    conn: sqlite3.Connection, source_id: int, start: int, end: int, chars: int
) -> dict[str, Any]:
    """``[start, end)`` of a source's text with up to ``chars`` characters around it.

    Where the window cuts into the text it is trimmed to whole paragraphs when a paragraph
    break is within reach, else to whole words. Returns ``start``, ``end`` and ``text``.
    """
    lo = max(0, start - chars)
    text = _substr(conn, "sources", "text", source_id, lo, end + chars)
    cut_at_end = len(text) == end + chars - lo
    head, tail = start - lo, end - lo
    if lo > 0:
        cut = text.find("\n\n", 0, head)
        cut = cut + 2 if cut >= 0 else text.find(" ", 0, head) + 1
        text, tail, lo = text[cut:], tail - cut, lo + cut
    if cut_at_end:
        cut = text.rfind("\n\n", tail)
        cut = cut if cut >= 0 else text.rfind(" ", tail)
        if cut >= tail:
            text = text[:cut]
    return {"start": lo, "end": lo + len(text), "text": text}


def claim_quotes(conn: sqlite3.Connection, claim_id: int) -> list[dict[str, Any]]:
    """A claim's quotations, each with the passage it was traced to (or no trace)."""
    quotes = rows(
        conn,
        "SELECT q.*, s.title AS traced_title, s.kind AS traced_kind, s.published AS traced_published"
        " FROM quotes q LEFT JOIN sources s ON s.id = q.traced_source_id"
        " WHERE q.claim_id = ? ORDER BY q.start, q.id",
        (claim_id,),
    )
    for quote in quotes:
        quote["differences"] = _json(quote.get("differences")) or []
        quote["traced_context"] = None
        if quote["traced_source_id"] is not None and quote["traced_start"] is not None:
            quote["traced_context"] = window(
                conn,
                quote["traced_source_id"],
                quote["traced_start"],
                quote["traced_end"] or quote["traced_start"],
                CONTEXT_CHARS // 2,
            )
    return quotes


def citation_chain(conn: sqlite3.Connection, claim_id: int) -> list[dict[str, Any]]:
    """What a claim cites, then what each cited source cites, a few hops deep, without cycles.

    Each entry has ``depth`` (1 for the claim's own citations), the mention, and the cited
    source when the citation was resolved.
    """
    first = rows(
        conn,
        "SELECT c.id, c.citing_source_id, c.mention, c.kind, c.identifier, c.cited_source_id,"
        " c.confidence, c.evidence, s.title AS cited_title, s.kind AS cited_kind,"
        " s.published AS cited_published FROM citations c"
        " LEFT JOIN sources s ON s.id = c.cited_source_id"
        " WHERE c.claim_id = ? ORDER BY c.start, c.id",
        (claim_id,),
    )
    first += rows(
        conn,
        "SELECT NULL AS id, a.source_id AS citing_source_id, a.mention, 'attribution' AS kind,"
        " NULL AS identifier, a.cited_source_id, NULL AS confidence, NULL AS evidence,"
        " s.title AS cited_title,"
        " s.kind AS cited_kind, s.published AS cited_published FROM attributions a"
        " JOIN sources s ON s.id = a.cited_source_id WHERE a.claim_id = ?"
        " AND a.cited_source_id IS NOT NULL",
        (claim_id,),
    )
    chain: list[dict[str, Any]] = []
    seen: set[int] = set()
    level = first
    for depth in range(1, MAX_CITATION_DEPTH + 1):
        following: list[dict[str, Any]] = []
        for citation in level:
            citation["depth"] = depth
            citation["evidence"] = _json(citation.get("evidence"))
            citation["why"] = why(citation["evidence"])
            chain.append(citation)
            cited = citation["cited_source_id"]
            if cited is None or cited in seen:
                continue
            seen.add(cited)
            following += rows(
                conn,
                "SELECT c.id, c.citing_source_id, c.mention, c.kind, c.identifier,"
                " c.cited_source_id, c.confidence, c.evidence, s.title AS cited_title,"
                " s.kind AS cited_kind,"
                " s.published AS cited_published FROM citations c"
                " LEFT JOIN sources s ON s.id = c.cited_source_id"
                " WHERE c.citing_source_id = ? ORDER BY c.start, c.id LIMIT 50",
                (cited,),
            )
        level = following
        if not level:
            break
    return chain


def renditions(conn: sqlite3.Connection, source_id: int) -> list[dict[str, Any]]:
    """Every rendition of a source's work (itself included), earliest first, each with the
    stored evidence that joined it to the work (``method``, ``score``) and whether it is the
    first (:func:`provenance.moments.first_reporters`)."""
    row = conn.execute("SELECT work_id FROM sources WHERE id = ?", (source_id,)).fetchone()
    if row is None or row[0] is None:
        return []
    found = rows(
        conn,
        "SELECT s.id, s.title, s.kind, s.published, s.url, s.input, s.work_id,"
        " (SELECT r.method FROM renditions r WHERE r.source_id = s.id ORDER BY r.score DESC"
        "  LIMIT 1) AS method,"
        " (SELECT max(r.score) FROM renditions r WHERE r.source_id = s.id) AS score"
        f" FROM sources s WHERE s.work_id = ? ORDER BY {_ORDER_S_PUBLISHED}, s.id"
        " LIMIT 200",
        (row[0],),
    )
    for item, mark in zip(found, first_reporters([i["published"] for i in found]), strict=True):
        item["this"] = item["id"] == source_id
        item["input"] = published_input(item["input"])
        item["first"] = mark  # first, tied (of one day, a time missing), later, undated
    return found if len(found) > 1 else []


def why(evidence: Any) -> str:
    """One line saying what decided a citation, from its stored evidence."""
    if not isinstance(evidence, dict):
        return ""
    if evidence.get("unresolved"):
        return str(evidence["unresolved"])
    parts = []
    if evidence.get("identifier"):
        parts.append(f"identifier {evidence['identifier']}")
    if evidence.get("beside_identifier"):
        parts.append(f"named beside {evidence['beside_identifier']}")
    signals = evidence.get("signals") or []
    if signals:
        counted = {s: signals.count(s) for s in dict.fromkeys(signals)}
        parts.append(", ".join(s if n == 1 else f"{s} ×{n}" for s, n in counted.items()))
    if evidence.get("score") is not None:
        parts.append(f"score {evidence['score']}")
    runner = evidence.get("runner_up")
    if runner:
        parts.append(f"runner-up source {runner[0]} at {runner[1]}")
    if evidence.get("rule"):
        parts.append(f"rule {evidence['rule']}")
    return " · ".join(parts)


def linked_claims(conn: sqlite3.Connection, claim_id: int) -> dict[int, dict[str, Any]]:
    """Claims reachable through claim_links (both directions), with the first link's relation."""
    found: dict[int, dict[str, Any]] = {}
    frontier = [claim_id]
    seen = {claim_id}
    while frontier and len(found) < MAX_LINKED_CLAIMS:
        marks = ",".join("?" for _ in frontier)
        links = rows(
            conn,
            f"SELECT claim_id AS a, other_claim_id AS b, relation, score, method FROM claim_links"
            f" WHERE claim_id IN ({marks}) UNION ALL"
            f" SELECT other_claim_id AS a, claim_id AS b, relation, score, method FROM claim_links"
            f" WHERE other_claim_id IN ({marks})",
            [*frontier, *frontier],
        )
        frontier = []
        for link in links:
            other = link["b"]
            if other in seen:
                continue
            seen.add(other)
            found[other] = {
                "relation": link["relation"],
                "score": link["score"],
                "method": link["method"],
                "via": link["a"],
            }
            frontier.append(other)
            if len(found) >= MAX_LINKED_CLAIMS:
                break
    return found


REPORT_COLUMNS = (
    "c.id AS claim_id, c.text, c.start, c.end, c.page, c.source_id, s.kind, s.title, s.author,"
    " s.publisher, s.published, s.retrieved, s.url, s.canonical_url, s.reference_id, s.parent_id,"
    " s.raw_sha256"
)


def reports(conn: sqlite3.Connection, claim_id: int) -> list[dict[str, Any]]:
    """Every source that reports a claim (this one included), earliest publication first;
    ``first`` says whether each is the first to report it (``first``, ``tied`` with another
    of the same day when a time is missing, ``later``, ``undated``)."""
    linked = linked_claims(conn, claim_id)
    ids = [claim_id, *linked]
    found = []
    for chunk in _chunks(ids, 500):
        found += rows(
            conn,
            f"SELECT {REPORT_COLUMNS} FROM claims c JOIN sources s ON s.id = c.source_id"
            f" WHERE c.id IN ({','.join('?' for _ in chunk)})",
            chunk,
        )
    for row in found:
        row["this"] = row["claim_id"] == claim_id
        row.update(linked.get(row["claim_id"], {"relation": None, "score": None, "method": None}))
    found.sort(key=date_key)
    for row, mark in zip(found, first_reporters([r["published"] for r in found]), strict=True):
        row["first"] = mark
    return found


# --- search -------------------------------------------------------------------------------

_FTS_TOKEN = re.compile(r'"[^"]*"|[^\s"]+')


def fts_query(query: str) -> str:
    """A user's words as an FTS5 query: each word (or "quoted phrase") as a literal phrase."""
    terms = []
    # A NUL ends an SQL string in SQLite's FTS5 query parser ("unterminated string"); the
    # tokenizer takes it as a space in the text, so the query does too.
    for token in _FTS_TOKEN.findall(query.replace("\x00", " ")):
        inner = token.strip('"').replace('"', "")
        if inner.strip():
            terms.append('"' + inner + '"')
    return " ".join(terms)


def search(
    conn: sqlite3.Connection, query: str, limit: int = 20, offset: int = 0
) -> dict[str, Any]:
    """Claims and sources matching ``query``, best first, with the matches marked.

    Matched terms are wrapped in :data:`HIT_START` / :data:`HIT_END` so that a page can escape
    the text first and mark the hits after. ``claims_total`` / ``sources_total`` count every
    match; when there are more than :data:`RANK_WINDOW`, the ranking covers the
    :data:`RANK_WINDOW` added last (``claims_windowed`` / ``sources_windowed`` say so).
    """
    match = fts_query(query)
    result: dict[str, Any] = {"query": query, "claims": [], "sources": []}
    for table in ("claims", "sources"):
        result[f"{table}_total"] = 0
        result[f"{table}_windowed"] = False
        result[f"more_{table}"] = False
    if not match:
        return result
    columns = {
        "claims": "c.id, c.source_id, c.text, c.score, c.kind, c.page,"
        f" highlight(claims_fts, 0, '{HIT_START}', '{HIT_END}') AS marked,"
        " s.title, s.kind AS source_kind, s.publisher, s.published",
        "sources": "s.id, s.kind, s.title, s.publisher, s.published, s.reference_id,"
        f" highlight(sources_fts, 0, '{HIT_START}', '{HIT_END}') AS marked_title,"
        f" snippet(sources_fts, 1, '{HIT_START}', '{HIT_END}', '…', 32) AS snippet",
    }
    joins = {
        "claims": "JOIN claims c ON c.id = claims_fts.rowid JOIN sources s ON s.id = c.source_id",
        "sources": "JOIN sources s ON s.id = sources_fts.rowid",
    }
    for table in ("claims", "sources"):
        fts = f"{table}_fts"
        total = conn.execute(f"SELECT count(*) FROM {fts} WHERE {fts} MATCH ?", (match,))
        result[f"{table}_total"] = total.fetchone()[0]
        floor = 0
        if result[f"{table}_total"] > RANK_WINDOW:
            floor = conn.execute(
                f"SELECT rowid FROM {fts} WHERE {fts} MATCH ? ORDER BY rowid DESC LIMIT 1 OFFSET ?",
                (match, RANK_WINDOW - 1),
            ).fetchone()[0]
            result[f"{table}_windowed"] = True
        found = rows(
            conn,
            f"SELECT {columns[table]}, {fts}.rank AS rank FROM {fts} {joins[table]}"
            f" WHERE {fts} MATCH ? AND {fts}.rowid >= ? ORDER BY {fts}.rank LIMIT ? OFFSET ?",
            (match, floor, limit + 1, offset),
        )
        result[f"more_{table}"] = len(found) > limit
        result[table] = found[:limit]
    return result


# --- helpers ------------------------------------------------------------------------------


def _substr(
    conn: sqlite3.Connection, table: str, column: str, row_id: int, start: int, end: int
) -> str:
    """``text[start:end]`` of one row, cut inside SQLite (its substr counts code points)."""
    row = conn.execute(
        f"SELECT substr({column}, ?, ?) FROM {table} WHERE id = ?",
        (start + 1, max(0, end - start), row_id),
    ).fetchone()
    return row[0] if row and row[0] is not None else ""


def _json(value: Any) -> Any:
    if not value:
        return None
    try:
        return json.loads(value)
    except (TypeError, ValueError):
        return None


def _chunks(items: Iterable[int], size: int) -> Iterable[list[int]]:
    chunk: list[int] = []
    for item in items:
        chunk.append(item)
        if len(chunk) == size:
            yield chunk
            chunk = []
    if chunk:
        yield chunk
