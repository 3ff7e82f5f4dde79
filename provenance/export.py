"""Exports in the formats the field reads: W3C Web Annotation, PROV-JSON, schema.org Claim, CSV.

- ``annotation``: a W3C Web Annotation collection (JSON-LD), one annotation per claim, targeting
  the claim's source with a TextQuoteSelector and a TextPositionSelector (code points of the
  stored text layer) and a TimeState with the capture date and links to the archived copy.
- ``prov``: a PROV-JSON document (written with the ``prov`` library): captures, sources,
  claims and quotations as entities, ingest runs as activities associated with the tool
  version that ran them, derivations, quotations, attributions and primary sources as relations.
- ``claimreview``: schema.org ``Claim`` items (what a ClaimReview's ``itemReviewed`` holds)
  with every ``appearance`` of the claim and its ``firstAppearance``.
- ``csv``: one row per claim with its source's citation fields and attribution.

Identifiers are the addresses of the published site (``provenance serve``): pass the address
the database is published at as ``base_url``. Archived bytes are also named by content with
RFC 6920 ``ni:`` URIs, which stay valid wherever the archive is served.
"""

from __future__ import annotations

import base64
import csv
import hashlib
import json
import sqlite3
from collections.abc import Iterable, Iterator
from typing import Any, TextIO

from . import evidence, kinds
from .db import record_event
from .defaults import DEFAULT_BASE_URL, FORMATS
from .errors import ProvenanceError, SourceNotFound

WEB_ANNOTATION_CONTEXT = "http://www.w3.org/ns/anno.jsonld"
SCHEMA_ORG_CONTEXT = "https://schema.org"

_CLAIM_SQL = """
SELECT c.id, c.source_id, c.start, c.end, c.page, c.text, c.prefix, c.suffix, c.score, c.kind,
       c.model_version, c.tool_version,
       (SELECT a.id FROM attributions a WHERE a.claim_id = c.id
          ORDER BY a.mention IS NULL, a.id LIMIT 1) AS attribution_id
FROM claims c
"""
# A claim's attribution as listed and exported: the first that names a source (a bare cue says
# nothing of who), else the first (provenance.reading lists claims the same way).
_SOURCE_COLUMNS = (
    "id, kind, title, author, publisher, published, retrieved, added, url, canonical_url, input,"
    " content_type, reference_id, classification, parent_id, raw_sha256, text_sha256, tool_version"
)


class ExportError(ProvenanceError):
    """An export cannot be made as asked (unknown format)."""


class Identifiers:
    """IRIs of the published site's pages for one database, and content-addressed names."""

    def __init__(self, base_url: str, database: str) -> None:
        from datasette.utils import tilde_encode

        self.root = f"{base_url.rstrip('/')}/{tilde_encode(database)}"

    def claim(self, claim_id: int) -> str:
        return f"{self.root}/-/claim/{claim_id}"

    def source(self, source_id: int) -> str:
        return f"{self.root}/-/source/{source_id}"

    def original(self, source_id: int) -> str:
        return f"{self.root}/-/source/{source_id}/original"

    def prefix(self, page: str) -> str:
        """The IRI prefix of one kind of page: ``-/claim/``, ``-/source/`` or a table's rows."""
        return f"{self.root}/{page}/"


def ni_uri(sha256_hex: str) -> str:
    """The RFC 6920 named-information URI of content with this SHA-256."""
    digest = base64.urlsafe_b64encode(bytes.fromhex(sha256_hex)).rstrip(b"=").decode("ascii")
    return f"ni:///sha-256;{digest}"


#: Relations of claim_links that make two claims one claim (see provenance.linking).
SAME_CLAIM = ("same", "near", "paraphrase")


def export(
    conn: sqlite3.Connection,
    fmt: str,
    out: TextIO,
    *,
    source_id: int | None = None,
    base_url: str = DEFAULT_BASE_URL,
    database: str = "provenance",
) -> int:
    """Write the claims (of one source, or all) in format ``fmt`` to ``out``; return the count.

    The export is an event of the log: its format, scope, count and the SHA-256 of what was
    written, so a published file can be matched to the state of the archive it came from.
    """
    writers = {
        "annotation": write_annotations,
        "prov": write_prov,
        "claimreview": write_claims_schema_org,
        "csv": write_csv,
    }
    if fmt not in writers:
        raise ExportError(f"unknown export format {fmt!r}: use one of {', '.join(FORMATS)}")
    if (
        source_id is not None
        and not conn.execute("SELECT 1 FROM sources WHERE id = ?", (source_id,)).fetchone()
    ):
        raise SourceNotFound(f"no source with id {source_id}")
    hashed = _HashingWriter(out)
    count = writers[fmt](conn, hashed, Identifiers(base_url, database), source_id)
    record_event(
        conn,
        "export",
        {"format": fmt, "source_id": source_id, "claims": count, "sha256": hashed.hexdigest()},
        source_id=source_id,
    )
    return count


class _HashingWriter:
    """A text stream that passes writes through and hashes them (UTF-8)."""

    def __init__(self, out: TextIO) -> None:
        self._out = out
        self._hash = hashlib.sha256()

    def write(self, text: str) -> int:
        self._hash.update(text.encode("utf-8"))
        return self._out.write(text)

    def __getattr__(self, name: str) -> Any:  # csv and json writers may ask for more
        return getattr(self._out, name)

    def hexdigest(self) -> str:
        return self._hash.hexdigest()


# --- reading ------------------------------------------------------------------------------


def iter_claims(conn: sqlite3.Connection, source_id: int | None) -> Iterator[dict[str, Any]]:
    """Claims in id order (of one source, or all), streamed."""
    if source_id is None:
        cursor = conn.execute(_CLAIM_SQL + " ORDER BY c.id")
    else:
        cursor = conn.execute(_CLAIM_SQL + " WHERE c.source_id = ? ORDER BY c.start", (source_id,))
    names = [d[0] for d in cursor.description]
    for row in cursor:
        yield dict(zip(names, row, strict=True))


def count_claims(conn: sqlite3.Connection, source_id: int | None) -> int:
    if source_id is None:
        return conn.execute("SELECT count(*) FROM claims").fetchone()[0]
    row = conn.execute("SELECT count(*) FROM claims WHERE source_id = ?", (source_id,)).fetchone()
    return row[0]


class Sources:
    """Source rows by id, read once each."""

    def __init__(self, conn: sqlite3.Connection) -> None:
        self.conn = conn
        self.cache: dict[int, dict[str, Any]] = {}

    def get(self, source_id: int) -> dict[str, Any]:
        if source_id not in self.cache:
            if len(self.cache) > 10_000:
                self.cache.clear()
            self.cache[source_id] = evidence.one(
                self.conn, f"SELECT {_SOURCE_COLUMNS} FROM sources WHERE id = ?", (source_id,)
            ) or {"id": source_id}
        return self.cache[source_id]


def attribution(conn: sqlite3.Connection, attribution_id: int | None) -> dict[str, Any] | None:
    if attribution_id is None:
        return None
    return evidence.one(
        conn,
        "SELECT a.cue, a.mention, a.agent_id, g.name AS agent_name, g.kind AS agent_kind"
        " FROM attributions a LEFT JOIN agents g ON g.id = a.agent_id WHERE a.id = ?",
        (attribution_id,),
    )


def _http(url: str | None) -> str | None:
    return url if url and url.lower().startswith(("http://", "https://")) else None


def _stream_json(out: TextIO, envelope: dict[str, Any], items: Iterable[dict[str, Any]]) -> None:
    """Write ``envelope`` as JSON with the list marked ``_ITEMS`` streamed from ``items``."""
    marker = "__provenance_items__"
    head, tail = json.dumps(envelope, ensure_ascii=False, indent=2).split(f'"{marker}"')
    out.write(head + "[")
    for i, item in enumerate(items):
        out.write(("," if i else "") + "\n" + json.dumps(item, ensure_ascii=False))
    out.write("\n]" + tail + "\n")


# --- W3C Web Annotation ---------------------------------------------------------------------


def annotation(
    claim: dict[str, Any],
    source: dict[str, Any],
    attributed: dict[str, Any] | None,
    ids: Identifiers,
) -> dict[str, Any]:
    """One claim as a W3C Web Annotation (without @context: it sits in a collection)."""
    body: list[dict[str, Any]] = [
        {"type": "TextualBody", "purpose": "tagging", "value": "check-worthy claim"},
    ]
    if claim["kind"]:
        body.append({"type": "TextualBody", "purpose": "classifying", "value": claim["kind"]})
    if attributed and attributed.get("mention"):
        who = attributed.get("agent_name") or attributed["mention"]
        body.append(
            {
                "type": "TextualBody",
                "purpose": "describing",
                "format": "text/plain",
                "value": f"The source attributes this to {who} (cue: {attributed['cue']}).",
            }
        )
    cached = [ids.original(source["id"])]
    if source.get("raw_sha256"):
        cached.append(ni_uri(source["raw_sha256"]))
    state: dict[str, Any] = {"type": "TimeState", "cached": cached}
    if source.get("retrieved"):
        state["sourceDate"] = source["retrieved"]
    return {
        "id": ids.claim(claim["id"]),
        "type": "Annotation",
        "motivation": "highlighting",
        "created": source.get("added") or source.get("retrieved"),
        "generator": {"type": "Software", "name": f"provenance {claim['tool_version']}"},
        "body": body,
        "target": {
            "type": "SpecificResource",
            "source": _http(source.get("url"))
            or _http(source.get("canonical_url"))
            or ids.source(source["id"]),
            "selector": [
                {
                    "type": "TextQuoteSelector",
                    "exact": claim["text"],
                    "prefix": claim["prefix"] or "",
                    "suffix": claim["suffix"] or "",
                },
                {"type": "TextPositionSelector", "start": claim["start"], "end": claim["end"]},
            ],
            "state": state,
        },
    }


def write_annotations(
    conn: sqlite3.Connection, out: TextIO, ids: Identifiers, source_id: int | None
) -> int:
    sources = Sources(conn)
    total = count_claims(conn, source_id)
    count = 0

    def items() -> Iterator[dict[str, Any]]:
        nonlocal count
        for claim in iter_claims(conn, source_id):
            count += 1
            yield annotation(
                claim,
                sources.get(claim["source_id"]),
                attribution(conn, claim["attribution_id"]),
                ids,
            )

    scope = ids.source(source_id) if source_id is not None else f"{ids.root}/claims"
    _stream_json(
        out,
        {
            "@context": WEB_ANNOTATION_CONTEXT,
            "id": scope,
            "type": "AnnotationCollection",
            "label": "Check-worthy claims with their exact spans, from provenance",
            "total": total,
            "first": {
                "type": "AnnotationPage",
                "startIndex": 0,
                "items": "__provenance_items__",
            },
        },
        items(),
    )
    return count


# --- schema.org Claim (for ClaimReview) ------------------------------------------------------

_AGENT_TYPES = {"person": "Person", "organisation": "Organization"}


def creative_work(report: dict[str, Any], ids: Identifiers) -> dict[str, Any]:
    """A source as a schema.org CreativeWork: where and when a claim appeared."""
    work: dict[str, Any] = {
        "@type": kinds.kind(report.get("kind")).schema_type,
        "url": _http(report.get("url"))
        or _http(report.get("canonical_url"))
        or ids.source(report["source_id"]),
        "archivedAt": ids.source(report["source_id"]),
    }
    if report.get("title"):
        work["name"] = report["title"]
    if report.get("published"):
        work["datePublished"] = report["published"]
    if report.get("author"):
        work["author"] = {"@type": "Person", "name": report["author"]}
    if report.get("publisher"):
        work["publisher"] = {"@type": "Organization", "name": report["publisher"]}
    if report.get("reference_id"):
        work["identifier"] = report["reference_id"]
    return work


def schema_org_claim(
    conn: sqlite3.Connection, claim: dict[str, Any], ids: Identifiers
) -> dict[str, Any]:
    """One claim as a schema.org Claim with every appearance, earliest first, and its
    ``firstAppearance`` when that is known (not when the first are of one day and some do
    not give their time, nor when the first is undated beside others)."""
    reports = evidence.reports(conn, claim["id"])
    appearances = [creative_work(r, ids) for r in reports]
    item: dict[str, Any] = {
        "@type": "Claim",
        "@id": ids.claim(claim["id"]),
        "url": ids.claim(claim["id"]),
        "text": claim["text"],
        "appearance": appearances,
    }
    if len(reports) == 1 or reports[0]["first"] == "first":
        item["firstAppearance"] = appearances[0]
    if claim["kind"]:
        item["keywords"] = claim["kind"]
    attributed = attribution(conn, claim["attribution_id"])
    if attributed and attributed.get("agent_kind") in _AGENT_TYPES:
        item["author"] = {
            "@type": _AGENT_TYPES[attributed["agent_kind"]],
            "name": attributed.get("agent_name") or attributed["mention"],
        }
    return item


def write_claims_schema_org(
    conn: sqlite3.Connection, out: TextIO, ids: Identifiers, source_id: int | None
) -> int:
    count = 0

    def items() -> Iterator[dict[str, Any]]:
        nonlocal count
        for claim in iter_claims(conn, source_id):
            count += 1
            yield schema_org_claim(conn, claim, ids)

    _stream_json(out, {"@context": SCHEMA_ORG_CONTEXT, "@graph": "__provenance_items__"}, items())
    return count


# --- CSV ------------------------------------------------------------------------------------

CSV_COLUMNS = (
    "claim_id",
    "claim_url",
    "text",
    "score",
    "kind",
    "start",
    "end",
    "page",
    "attributed_to",
    "cue",
    "source_id",
    "source_url",
    "source_kind",
    "source_title",
    "author",
    "publisher",
    "published",
    "retrieved",
    "reference_id",
    "raw_sha256",
    "text_sha256",
)


#: What a spreadsheet evaluates a cell starting with (OWASP, "CSV Injection").
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def spreadsheet_safe(value: Any) -> Any:
    """A CSV cell no spreadsheet evaluates: text starting like a formula gets a ``'`` first
    (OWASP's rule); numbers and everything else are left as they are."""
    if isinstance(value, str) and value.startswith(_FORMULA_START):
        return "'" + value
    return value


class _SafeWriter(csv.DictWriter):
    def writerow(self, rowdict: Any) -> Any:
        return super().writerow({k: spreadsheet_safe(v) for k, v in rowdict.items()})


def write_csv(
    conn: sqlite3.Connection, out: TextIO, ids: Identifiers, source_id: int | None
) -> int:
    sources = Sources(conn)
    writer = _SafeWriter(out, CSV_COLUMNS, lineterminator="\n")
    writer.writeheader()
    count = 0
    for claim in iter_claims(conn, source_id):
        source = sources.get(claim["source_id"])
        attributed = attribution(conn, claim["attribution_id"]) or {}
        writer.writerow(
            {
                "claim_id": claim["id"],
                "claim_url": ids.claim(claim["id"]),
                "text": claim["text"],
                "score": claim["score"],
                "kind": claim["kind"],
                "start": claim["start"],
                "end": claim["end"],
                "page": claim["page"],
                "attributed_to": attributed.get("agent_name") or attributed.get("mention"),
                "cue": attributed.get("cue"),
                "source_id": claim["source_id"],
                "source_url": source.get("url") or source.get("canonical_url"),
                "source_kind": source.get("kind"),
                "source_title": source.get("title"),
                "author": source.get("author"),
                "publisher": source.get("publisher"),
                "published": source.get("published"),
                "retrieved": source.get("retrieved"),
                "reference_id": source.get("reference_id"),
                "raw_sha256": source.get("raw_sha256"),
                "text_sha256": source.get("text_sha256"),
            }
        )
        count += 1
    return count


# --- PROV-JSON ------------------------------------------------------------------------------


def write_prov(
    conn: sqlite3.Connection, out: TextIO, ids: Identifiers, source_id: int | None
) -> int:
    document, count = prov_document(conn, ids, source_id)
    out.write(document.serialize(format="json", indent=2))
    out.write("\n")
    return count


def prov_document(
    conn: sqlite3.Connection, ids: Identifiers, source_id: int | None = None
) -> tuple[Any, int]:
    """The PROV document of the claims (of one source, or all) and where they come from."""
    from prov.model import PROV, ProvDocument

    doc = ProvDocument()
    source_ns = doc.add_namespace("source", ids.prefix("-/source"))
    claim_ns = doc.add_namespace("claim", ids.prefix("-/claim"))
    quote_ns = doc.add_namespace("quote", ids.prefix("quotes"))
    agent_ns = doc.add_namespace("agent", ids.prefix("agents"))
    event_ns = doc.add_namespace("event", ids.prefix("events"))
    ni_ns = doc.add_namespace("ni", "ni:///sha-256;")
    pkg_ns = doc.add_namespace("pkg", "pkg:pypi/")
    schema = doc.add_namespace("schema", "https://schema.org/")
    doc.add_namespace("oa", "http://www.w3.org/ns/oa#")
    dcterms = doc.add_namespace("dcterms", "http://purl.org/dc/terms/")
    sources = Sources(conn)
    declared: set[Any] = set()

    def capture(sha: str) -> Any:
        return ni_ns[ni_uri(sha).split(";", 1)[1]]

    def tool(version: str) -> Any:
        identifier = pkg_ns[f"provenance@{version}"]
        if identifier not in declared:
            declared.add(identifier)
            doc.agent(
                identifier,
                {"prov:type": PROV["SoftwareAgent"], "prov:label": f"provenance {version}"},
            )
        return identifier

    def named_agent(agent_id: int, name: str | None, kind: str | None) -> Any:
        identifier = agent_ns[str(agent_id)]
        if identifier not in declared:
            declared.add(identifier)
            attributes: dict[str, Any] = {"prov:label": name or f"agent {agent_id}"}
            if kind in _AGENT_TYPES:
                attributes["prov:type"] = PROV[_AGENT_TYPES[kind]]
            doc.agent(identifier, attributes)
        return identifier

    def source_entity(sid: int, full: bool = True) -> Any:
        """A source as an entity; ``full`` adds the capture and parent it was derived from."""
        identifier = source_ns[str(sid)]
        if (identifier, full) in declared or (identifier, True) in declared:
            return identifier
        row = sources.get(sid)
        if (identifier, False) not in declared:
            attributes: dict[str, Any] = {"prov:type": schema["CreativeWork"]}
            for column, term in (
                ("title", "prov:label"),
                ("kind", "dcterms:type"),
                ("author", "schema:author"),
                ("publisher", "schema:publisher"),
                ("published", "schema:datePublished"),
                ("reference_id", "schema:identifier"),
                ("text_sha256", "schema:sha256"),
            ):
                if row.get(column):
                    attributes[term] = row[column]
            if _http(row.get("url")):
                attributes["prov:location"] = row["url"]
            doc.entity(identifier, attributes)
        declared.add((identifier, full))
        if full and row.get("raw_sha256"):
            raw = capture(row["raw_sha256"])
            if raw not in declared:
                declared.add(raw)
                raw_attributes: dict[str, Any] = {"prov:label": row.get("input") or "capture"}
                if row.get("content_type"):
                    raw_attributes["dcterms:format"] = row["content_type"]
                doc.entity(raw, raw_attributes)
            doc.wasDerivedFrom(identifier, raw, generated_by.get(sid))
            if sid in generated_by:
                doc.wasGeneratedBy(identifier, generated_by[sid])
            if row.get("parent_id"):
                doc.wasDerivedFrom(identifier, source_entity(row["parent_id"], full=False))
        return identifier

    # Ingest runs: one activity per "add" event, associated with the tool version that ran it.
    generated_by: dict[int, Any] = {}
    for event in evidence.rows(
        conn, "SELECT id, at, payload, tool_version FROM events WHERE action = 'add' ORDER BY id"
    ):
        payload = json.loads(event["payload"])
        stored = [s["id"] for s in payload.get("sources", [])]
        if source_id is not None and source_id not in stored:
            continue
        activity = doc.activity(
            event_ns[str(event["id"])],
            event["at"],
            event["at"],
            {"prov:type": dcterms["Event"], "prov:label": f"provenance add {payload.get('input')}"},
        )
        doc.wasAssociatedWith(activity, tool(event["tool_version"]))
        if payload.get("raw_sha256"):
            doc.used(activity, capture(payload["raw_sha256"]))
        for sid in stored:
            generated_by[sid] = activity

    count = 0
    linked: set[tuple[int, int, str]] = set()
    for claim in iter_claims(conn, source_id):
        count += 1
        source = source_entity(claim["source_id"])
        activity = generated_by.get(claim["source_id"])
        identifier = claim_ns[str(claim["id"])]
        attributes: dict[str, Any] = {
            "prov:type": schema["Claim"],
            "prov:value": claim["text"],
            "oa:start": claim["start"],
            "oa:end": claim["end"],
            "schema:version": claim["model_version"],
        }
        if claim["page"] is not None:
            attributes["schema:pagination"] = claim["page"]
        doc.entity(identifier, attributes)
        doc.wasDerivedFrom(identifier, source, activity)
        if activity is not None:
            doc.wasGeneratedBy(identifier, activity)
        for a in evidence.rows(
            conn,
            "SELECT a.cue, a.mention, a.agent_id, g.name, g.kind FROM attributions a"
            " JOIN agents g ON g.id = a.agent_id WHERE a.claim_id = ?",
            (claim["id"],),
        ):
            doc.wasAttributedTo(
                identifier,
                named_agent(a["agent_id"], a["name"], a["kind"]),
                other_attributes={"prov:label": f"{a['cue']}: {a['mention']}"},
            )
        for q in evidence.rows(conn, "SELECT * FROM quotes WHERE claim_id = ?", (claim["id"],)):
            quote = quote_ns[str(q["id"])]
            doc.entity(
                quote,
                {
                    "prov:type": schema["Quotation"],
                    "prov:value": q["text"],
                    "oa:start": q["start"],
                    "oa:end": q["end"],
                },
            )
            doc.wasDerivedFrom(identifier, quote)
            if q["speaker_agent_id"] is not None:
                doc.wasAttributedTo(quote, named_agent(q["speaker_agent_id"], q["speaker"], None))
            if q["traced_source_id"] is not None:
                span = None
                if q["traced_start"] is not None:
                    span = {"oa:start": q["traced_start"], "oa:end": q["traced_end"]}
                doc.wasQuotedFrom(
                    quote, source_entity(q["traced_source_id"], full=False), other_attributes=span
                )
        for link in evidence.rows(
            conn,
            "SELECT claim_id AS a, other_claim_id AS b, relation FROM claim_links WHERE claim_id = ?"
            " UNION ALL SELECT claim_id, other_claim_id, relation FROM claim_links"
            " WHERE other_claim_id = ?",
            (claim["id"], claim["id"]),
        ):
            key = (min(link["a"], link["b"]), max(link["a"], link["b"]), link["relation"])
            if key in linked:
                continue
            linked.add(key)
            a, b = claim_ns[str(link["a"])], claim_ns[str(link["b"])]
            if link["relation"] in SAME_CLAIM:
                doc.alternateOf(a, b)  # one claim, in these words and in others
            elif link["relation"] == "quotes":
                doc.wasQuotedFrom(a, b)  # claim_id quotes words of other_claim_id
            else:
                doc.wasInfluencedBy(a, b, other_attributes={"dcterms:type": link["relation"]})

    # Citations resolved to a stored source: the citing source has it as a primary source.
    where = "" if source_id is None else " AND citing_source_id = ?"
    for c in evidence.rows(
        conn,
        "SELECT citing_source_id, cited_source_id, mention FROM citations"
        f" WHERE cited_source_id IS NOT NULL{where} ORDER BY id",
        () if source_id is None else (source_id,),
    ):
        doc.hadPrimarySource(
            source_entity(c["citing_source_id"]),
            source_entity(c["cited_source_id"], full=False),
            other_attributes={"prov:label": c["mention"]},
        )
    return doc, count
