"""The plugin's pages: a source, a claim, search, and the download of a source's original bytes.

Each page reads through :mod:`provenance.evidence` on one of Datasette's read connections and
renders a template that extends Datasette's own ``base.html``. Everything taken from a source
is escaped by Jinja or by :mod:`provenance.datasette.render`; links are only made of http(s)
URLs.
"""

from __future__ import annotations

import json
import re
import weakref
from typing import Any

from datasette import Forbidden, NotFound, Response

from .. import __version__, evidence, search
from .limits import read_limited
from .render import Span, highlight, marked_hits, safe_url

SEARCH_PAGE_SIZE = 20
#: Works listed under "Who reported this?" on the search page.
WHO_RESULTS = 10
_KNOWN: weakref.WeakKeyDictionary[Any, dict[str, bool]] = weakref.WeakKeyDictionary()


async def is_provenance(datasette: Any, name: str) -> bool:
    """Whether Datasette's database ``name`` holds provenance tables (cached per instance)."""
    known = _KNOWN.setdefault(datasette, {})
    if name not in known:
        try:
            db = datasette.get_database(name)
        except KeyError:
            return False
        known[name] = await db.execute_fn(evidence.is_provenance_database)
    return known[name]


async def _database(datasette: Any, request: Any) -> Any:
    route = request.url_vars["database"]
    try:
        db = datasette.get_database(route=route)
    except KeyError:
        raise NotFound(f"no database {route}") from None
    if not await is_provenance(datasette, db.name):
        raise NotFound(f"{db.name} is not a provenance database")
    if not await can_view(datasette, request.actor, db.name):
        raise Forbidden("you may not view this database")
    return db


async def can_view(datasette: Any, actor: Any, database: str) -> bool:
    """Whether ``actor`` may view the sources and claims tables of ``database``."""
    tables = ("sources", "claims")
    if hasattr(datasette, "allowed"):  # Datasette 1.0
        from datasette.resources import TableResource

        for table in tables:
            resource = TableResource(database, table)
            if not await datasette.allowed(action="view-table", resource=resource, actor=actor):
                return False
        return True
    for table in tables:  # Datasette 0.65
        visible, _ = await datasette.check_visibility(
            actor,
            permissions=[
                ("view-table", (database, table)),
                ("view-database", database),
                "view-instance",
            ],
        )
        if not visible:
            return False
    return True


class Links:
    """URLs of the plugin's pages and of Datasette's row pages, for one database."""

    def __init__(self, datasette: Any, database: str) -> None:
        self.base = datasette.urls.database(database)
        self.urls = datasette.urls
        self.database = database

    def source(self, source_id: int, anchor: str | None = None) -> str:
        return f"{self.base}/-/source/{source_id}" + (f"#{anchor}" if anchor else "")

    def span(self, source_id: int, start: int, end: int) -> str:
        return f"{self.base}/-/source/{source_id}?start={start}&end={end}#selected"

    def original(self, source_id: int) -> str:
        return f"{self.base}/-/source/{source_id}/original"

    def claim(self, claim_id: int) -> str:
        return f"{self.base}/-/claim/{claim_id}"

    def search(self) -> str:
        return f"{self.base}/-/search"

    def row(self, table: str, pk: Any) -> str:
        return self.urls.row(self.database, table, str(pk))

    def table(self, table: str) -> str:
        return self.urls.table(self.database, table)


def _json(data: Any) -> Response:
    return Response(
        json.dumps(data, ensure_ascii=False, default=str),
        content_type="application/json; charset=utf-8",
    )


async def _page(datasette: Any, request: Any, template: str, context: dict[str, Any]) -> Response:
    context = {"provenance_version": __version__, **context}
    html = await datasette.render_template(template, context, request=request)
    return Response.html(html)


# --- source -------------------------------------------------------------------------------


def _int_arg(request: Any, name: str) -> int | None:
    value = request.args.get(name)
    return int(value) if value is not None and re.fullmatch(r"\d{1,12}", value) else None


async def _read(datasette: Any, request: Any, what: str, fetch: Any) -> tuple[Any, dict]:
    """The database and ``fetch(conn, id)`` for the id in the URL, or 404."""
    db = await _database(datasette, request)
    ident = int(request.url_vars[f"{what}_id"])
    found = await read_limited(datasette, db, lambda conn: fetch(conn, ident))
    if found is None:
        raise NotFound(f"no {what} {ident}")
    return db, found


async def source_view(datasette: Any, request: Any) -> Response:
    db, source = await _read(datasette, request, "source", evidence.source_page)
    if request.url_vars.get("format") == "json":
        return _json(source)
    links = Links(datasette, db.name)
    selected = None
    start, end = _int_arg(request, "start"), _int_arg(request, "end")
    if start is not None and end is not None and 0 <= start < end <= len(source["text"]):
        selected = {"start": start, "end": end, "text": source["text"][start:end]}
    sections = []
    for section in source["sections"]:
        lo, hi = section["start"], section["end"]
        spans = claim_spans(source["claims"], links, lo, hi)
        if selected:
            spans.append(
                Span(
                    selected["start"],
                    selected["end"],
                    "mark",
                    (("id", "selected"), ("class", "selected")),
                    rank=0,
                )
            )
        sections.append(
            {
                **section,
                "html": highlight(source["text"][lo:hi], spans, lo),
                "claims": [c for c in source["claims"] if lo <= c["start"] < hi],
            }
        )
    return await _page(
        datasette,
        request,
        "provenance_source.html",
        {
            "database": db.name,
            "source": source,
            "sections": sections,
            "selected": selected,
            "links": links,
            "source_url": safe_url(source.get("url")),
            "canonical_url": safe_url(source.get("canonical_url")),
            "metadata_json": json.dumps(source["metadata"], ensure_ascii=False, indent=2)
            if source["metadata"]
            else None,
        },
    )


def claim_spans(claims: list[dict[str, Any]], links: Links, lo: int, hi: int) -> list[Span]:
    """A highlight linking to the claim page for each claim overlapping ``[lo, hi)``."""
    spans = []
    for claim in claims:
        if claim["end"] <= lo or claim["start"] >= hi:
            continue
        attrs = (
            ("id", f"claim-{claim['id']}"),
            ("class", "claim"),
            ("data-claim", str(claim["id"])),
            ("data-start", str(claim["start"])),
            ("data-end", str(claim["end"])),
            ("title", f"claim {claim['id']} · score {claim['score']}"),
        )
        spans.append(Span(claim["start"], claim["end"], "mark", attrs, rank=1))
        spans.append(
            Span(claim["start"], claim["end"], "a", (), rank=2, href=links.claim(claim["id"]))
        )
    return spans


async def original_view(datasette: Any, request: Any) -> Response:
    """The archived original bytes, always as a download: never rendered by the browser."""
    db = await _database(datasette, request)
    source_id = int(request.url_vars["source_id"])

    def read(conn: Any) -> tuple[str, str, str | None, bytes] | None:
        row = conn.execute(
            "SELECT s.raw_sha256, s.kind, s.input, b.content FROM sources s"
            " JOIN blobs b ON b.sha256 = s.raw_sha256 WHERE s.id = ?",
            (source_id,),
        ).fetchone()
        return None if row is None else (row[0], row[1], row[2], bytes(row[3]))

    found = await read_limited(datasette, db, read)
    if found is None:
        raise NotFound(f"no archived bytes for source {source_id}")
    sha, kind, input_name, content = found
    return Response(
        content,
        content_type="application/octet-stream",
        headers={
            "Content-Disposition": f'attachment; filename="{download_name(source_id, sha, kind, input_name)}"',
            "X-Content-Type-Options": "nosniff",
            "Content-Security-Policy": "default-src 'none'; sandbox",
            "ETag": f'"{sha}"',
        },
    )


def download_name(source_id: int, sha: str, kind: str, input_name: str | None) -> str:
    """A safe file name for a download: id, hash prefix and an extension from the input."""
    extension = {"pdf": "pdf", "html": "html", "post": "html"}.get(kind, "txt")
    if input_name:
        match = re.search(r"\.([A-Za-z0-9]{1,8})$", input_name.split("?")[0])
        if match:
            extension = match.group(1).lower()
    return f"source-{source_id}-{sha[:12]}.{extension}"


# --- claim --------------------------------------------------------------------------------


async def claim_view(datasette: Any, request: Any) -> Response:
    db, claim = await _read(datasette, request, "claim", evidence.claim_page)
    if request.url_vars.get("format") == "json":
        return _json(claim)
    links = Links(datasette, db.name)
    context = claim["context"]
    spans = [
        Span(
            claim["start"],
            claim["end"],
            "mark",
            (
                ("id", "claim-highlight"),
                ("class", "claim current"),
                ("data-claim", str(claim["id"])),
                ("data-start", str(claim["start"])),
                ("data-end", str(claim["end"])),
            ),
            rank=0,
        )
    ]
    for a in claim["attributions"]:
        if a["cue_start"] is not None:
            spans.append(Span(a["cue_start"], a["cue_end"], "span", (("class", "cue"),), rank=2))
        if a["mention_start"] is not None:
            spans.append(
                Span(a["mention_start"], a["mention_end"], "span", (("class", "mention"),), rank=2)
            )
    for q in claim["quotes"]:
        spans.append(Span(q["start"], q["end"], "span", (("class", "quote"),), rank=1))
        traced = q["traced_context"]
        if traced:
            q["traced_html"] = highlight(
                traced["text"],
                [Span(q["traced_start"], q["traced_end"], "mark", (("class", "traced"),))],
                traced["start"],
            )
            q["traced_link"] = links.span(q["traced_source_id"], q["traced_start"], q["traced_end"])
    for report in claim["reports"]:
        report["safe_url"] = safe_url(report.get("url"))
    return await _page(
        datasette,
        request,
        "provenance_claim.html",
        {
            "database": db.name,
            "claim": claim,
            "source": claim["source"],
            "context_html": highlight(context["text"], spans, context["start"]),
            "links": links,
            "source_url": safe_url(claim["source"].get("url")),
        },
    )


# --- search -------------------------------------------------------------------------------


async def search_view(datasette: Any, request: Any) -> Response:
    db = await _database(datasette, request)
    query = (request.args.get("q") or "").strip()[:500]
    page = max(1, min(_int_arg(request, "page") or 1, 50))
    offset = (page - 1) * SEARCH_PAGE_SIZE
    found = await read_limited(
        datasette, db, lambda conn: evidence.search(conn, query, SEARCH_PAGE_SIZE, offset)
    )
    # "Who reported this?" for a pasted claim: the same ranked search as `provenance who`.
    found["who"] = (
        await read_limited(datasette, db, lambda conn: search.who(conn, query, WHO_RESULTS))
        if query and page == 1
        else []
    )
    if request.url_vars.get("format") == "json":
        return _json(found)
    links = Links(datasette, db.name)
    for claim in found["claims"]:
        claim["html"] = marked_hits(claim["marked"])
    for source in found["sources"]:
        source["title_html"] = marked_hits(source["marked_title"]) if source["title"] else None
        source["snippet_html"] = marked_hits(source["snippet"])
    return await _page(
        datasette,
        request,
        "provenance_search.html",
        {
            "database": db.name,
            "query": query,
            "found": found,
            "rank_window": evidence.RANK_WINDOW,
            "page": page,
            "links": links,
        },
    )
