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
from urllib.parse import quote_plus

from datasette import Forbidden, NotFound, Response
from datasette.database import QueryInterrupted

from .. import __version__, evidence, kinds, search
from .limits import read_limited
from .pdfpages import PAGE_WIDTH, PageImages, PageUnavailable
from .render import Span, highlight, marked_hits, safe_url

SEARCH_PAGE_SIZE = 20
#: Works listed under "Who reported this?" on the search page.
WHO_RESULTS = 10
_KNOWN: weakref.WeakKeyDictionary[Any, dict[str, bool]] = weakref.WeakKeyDictionary()
_PAGE_IMAGES: weakref.WeakKeyDictionary[Any, PageImages] = weakref.WeakKeyDictionary()


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

    def search(self, query: str | None = None) -> str:
        return f"{self.base}/-/search" + (f"?q={quote_plus(query)}" if query else "")

    def pdf_page(self, source_id: int, page: int, claim_id: int | None = None) -> str:
        url = f"{self.base}/-/source/{source_id}/page/{page}"
        return url + (f"?claim={claim_id}#claim-box-{claim_id}" if claim_id else "")

    def page_image(self, source_id: int, page: int) -> str:
        return f"{self.base}/-/source/{source_id}/page/{page}.png"

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


# --- the front door -----------------------------------------------------------------------


async def front_door(datasette: Any, request: Any) -> list[dict[str, Any]]:
    """For each provenance database the reader may view: what it holds, and its links."""
    actor = request.actor if request is not None else None
    found = []
    for name in datasette.databases:
        if name == "_internal" or not await is_provenance(datasette, name):
            continue
        if not await can_view(datasette, actor, name):
            continue
        db = datasette.get_database(name)
        summary = await read_limited(datasette, db, evidence.archive_summary)
        summary["claims"] = await _claim_count(db)
        found.append({"name": name, "links": Links(datasette, name), **summary})
    return found


async def _claim_count(db: Any) -> int | None:
    """How many claims: Datasette's cached count for an immutable database; for a live one, a
    count given 50 ms (none when it takes longer: a million claims are not counted per page)."""
    cached = db.cached_table_counts if not db.is_mutable else None
    if cached is not None:
        return cached.get("claims")
    try:
        result = await db.execute("SELECT count(*) FROM claims", custom_time_limit=50)
    except QueryInterrupted:
        return None
    return result.first()[0]


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
    roles = await read_limited(
        datasette, db, lambda conn: evidence.source_roles(conn, source["id"])
    )
    links = Links(datasette, db.name)
    selected = None
    start, end = _int_arg(request, "start"), _int_arg(request, "end")
    if start is not None and end is not None and 0 <= start < end <= len(source["text"]):
        selected = {"start": start, "end": end, "text": source["text"][start:end]}
    sections = []
    for section in source["sections"]:
        lo, hi = section["start"], section["end"]
        spans = claim_spans(source["claims"], links, lo, hi, roles)
        spans += role_spans(roles, links, source["id"], lo, hi)
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
            "roles": roles,
            "legend": legend(source["claims"], roles),
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


def _origin_quotes(roles: dict[str, Any] | None) -> list[dict]:
    """This source's quotations traced to another stored source."""
    if not roles:
        return []
    return [
        q
        for q in roles["quotes"]
        if q["traced_source_id"] is not None
        and q["traced_source_id"] != q["source_id"]
        and q["traced_start"] is not None
    ]


def _without(lo: int, hi: int, holes: list[tuple[int, int]]) -> list[tuple[int, int]]:
    """``[lo, hi)`` less the ``holes``, as ranges."""
    pieces, at = [], lo
    for a, b in sorted(holes):
        if b <= at or a >= hi:
            continue
        if a > at:
            pieces.append((at, a))
        at = max(at, b)
    if at < hi:
        pieces.append((at, hi))
    return pieces


def role_spans(roles: dict[str, Any], links: Links, source_id: int, lo: int, hi: int) -> list[Span]:
    """Quotations (linked to their origin), attribution cues and mentions, and the passages
    other sources quote, within ``[lo, hi)``."""
    spans: list[Span] = []
    traced = {q["id"] for q in _origin_quotes(roles)}

    def inside(a: int | None, b: int | None) -> bool:
        return a is not None and b is not None and b > lo and a < hi

    for q in roles["quotes"]:
        if not inside(q["start"], q["end"]):
            continue
        if q["id"] in traced:
            title = q["traced_title"] or f"source {q['traced_source_id']}"
            attrs = (
                ("class", "quotes-origin"),
                ("data-origin", str(q["traced_source_id"])),
                ("title", f"quotes {title}: open the passage"),
            )
            href = links.span(q["traced_source_id"], q["traced_start"], q["traced_end"])
            spans.append(Span(q["start"], q["end"], "a", attrs, rank=2, href=href))
        else:
            spans.append(Span(q["start"], q["end"], "span", (("class", "quote"),), rank=3))
    for a in roles["attributions"]:
        if inside(a["cue_start"], a["cue_end"]):
            spans.append(Span(a["cue_start"], a["cue_end"], "span", (("class", "cue"),), rank=3))
        if inside(a["mention_start"], a["mention_end"]):
            spans.append(
                Span(a["mention_start"], a["mention_end"], "span", (("class", "mention"),), rank=3)
            )
    seen = set()
    for q in roles["quoted_here"]:
        key = (q["traced_start"], q["traced_end"])
        if key in seen or not inside(*key) or q["source_id"] == source_id:
            continue
        seen.add(key)
        attrs = (("class", "quoted-by"), ("title", f"quoted by {q['title'] or 'another source'}"))
        spans.append(Span(key[0], key[1], "span", attrs, rank=3))
    return spans


def legend(claims: list[dict[str, Any]], roles: dict[str, Any]) -> list[dict[str, Any]]:
    """The roles a span of a source can have, with how many spans of this source have each."""
    threshold = roles["checkworthy"]
    passages = {(q["traced_start"], q["traced_end"]) for q in roles["quoted_here"]}
    return [
        {
            "role": "quoted-by",
            "label": "quoted by others",
            "sample": "quoted passage",
            "count": len(passages),
        },
        {
            "role": "quotes-origin",
            "label": "quotes another source (opens the origin)",
            "sample": "quoted words",
            "count": len(_origin_quotes(roles)),
        },
        {
            "role": "attributed",
            "label": "attributed: cue and source marked",
            "sample": "said",
            "count": len(roles["attributions"]),
        },
        {
            "role": "checkworthy",
            "label": f"check-worthy claim (score {threshold} or more)",
            "sample": "claim",
            "count": sum(c["score"] >= threshold for c in claims),
        },
        {
            "role": "reported",
            "label": "other stored sentence (attributed or quoting, below the score)",
            "sample": "sentence",
            "count": sum(c["score"] < threshold for c in claims),
        },
        {"role": "other", "label": "other text", "sample": "text", "count": None},
    ]


def claim_spans(
    claims: list[dict[str, Any]],
    links: Links,
    lo: int,
    hi: int,
    roles: dict[str, Any] | None = None,
) -> list[Span]:
    """A highlight linking to the claim page for each claim overlapping ``[lo, hi)``.

    With ``roles`` (from :func:`provenance.evidence.source_roles`), each highlight says whether
    the claim is check-worthy and attributed, and words that quote another source are left out
    of the claim's link: they link to their origin.
    """
    threshold = roles["checkworthy"] if roles else None
    attributed = {a["claim_id"] for a in roles["attributions"]} if roles else set()
    holes = [(q["start"], q["end"]) for q in _origin_quotes(roles)]
    spans = []
    for claim in claims:
        if claim["end"] <= lo or claim["start"] >= hi:
            continue
        classes = ["claim"]
        if threshold is not None:
            classes.append("checkworthy" if claim["score"] >= threshold else "reported")
        if claim["id"] in attributed:
            classes.append("attributed")
        attrs = (
            ("id", f"claim-{claim['id']}"),
            ("class", " ".join(classes)),
            ("data-claim", str(claim["id"])),
            ("data-start", str(claim["start"])),
            ("data-end", str(claim["end"])),
            ("title", f"claim {claim['id']} · score {claim['score']}"),
        )
        spans.append(Span(claim["start"], claim["end"], "mark", attrs, rank=1))
        for a, b in _without(claim["start"], claim["end"], holes):
            spans.append(Span(a, b, "a", (), rank=2, href=links.claim(claim["id"])))
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
    extension = kinds.kind(kind).extension
    if input_name:
        match = re.search(r"\.([A-Za-z0-9]{1,8})$", input_name.split("?")[0])
        if match:
            extension = match.group(1).lower()
    return f"source-{source_id}-{sha[:12]}.{extension}"


# --- a page of a PDF ----------------------------------------------------------------------


def page_images(datasette: Any) -> PageImages:
    """The page image cache of this Datasette (plugin settings ``page_cache_dir``/``_mb``)."""
    if datasette not in _PAGE_IMAGES:
        _PAGE_IMAGES[datasette] = PageImages.from_config(datasette.plugin_config("provenance"))
    return _PAGE_IMAGES[datasette]


async def _pdf_page(datasette: Any, request: Any) -> tuple[Any, dict[str, Any], Any]:
    db = await _database(datasette, request)
    source_id, number = int(request.url_vars["source_id"]), int(request.url_vars["page"])
    page = await read_limited(
        datasette, db, lambda conn: evidence.pdf_page(conn, source_id, number)
    )
    if page is None:
        raise NotFound(f"no page {number} of a PDF source {source_id}")

    async def original() -> bytes:
        data = await read_limited(
            datasette, db, lambda conn: evidence.blob(conn, page["raw_sha256"])
        )
        if data is None:
            raise NotFound(f"no archived bytes for source {source_id}")
        return data

    return db, page, original


async def page_image_view(datasette: Any, request: Any) -> Response:
    """A page of a PDF as a PNG image, rendered from the archived original and cached."""
    _, page, original = await _pdf_page(datasette, request)
    try:
        image = await page_images(datasette).image(page["raw_sha256"], page["page"], original)
    except PageUnavailable as exc:
        return Response.text(f"This page cannot be shown as an image: {exc}", status=503)
    etag = f'"{page["raw_sha256"]}-{page["page"]}-{PAGE_WIDTH}"'
    return Response(
        image,
        content_type="image/png",
        headers={
            "Cache-Control": "public, max-age=86400",
            "ETag": etag,
            "X-Content-Type-Options": "nosniff",
        },
    )


async def pdf_page_view(datasette: Any, request: Any) -> Response:
    """A page of a PDF: its image with each claim's words boxed, and its text beside it."""
    db, page, original = await _pdf_page(datasette, request)
    links = Links(datasette, db.name)
    section = page["section"]
    problem = None
    boxes: dict[int, list] = {}
    width, height = 595.0, 842.0
    try:
        found = await page_images(datasette).layout(
            page["raw_sha256"], page["page"], original, page["text"], page["claims"],
            section["start"],
        )  # fmt: skip
        boxes, width, height = found.boxes, found.width, found.height
    except PageUnavailable as exc:
        problem = str(exc)
    chosen = _int_arg(request, "claim")
    claims = []
    for claim in page["claims"]:
        claim["boxes"] = [b.style() for b in boxes.get(claim["id"], [])]
        claim["chosen"] = claim["id"] == chosen
        claims.append(claim)
    spans = claim_spans(page["claims"], links, section["start"], section["end"])
    for claim in page["claims"]:
        if claim["chosen"]:
            spans.append(Span(claim["start"], claim["end"], "span", (("class", "chosen"),), rank=0))
    if request.url_vars.get("format") == "json":
        return _json({k: v for k, v in page.items() if k != "raw_sha256"})
    return await _page(
        datasette,
        request,
        "provenance_pdf_page.html",
        {
            "database": db.name,
            "page": page,
            "claims": claims,
            "chosen": next((c for c in claims if c["chosen"]), None),
            "problem": problem,
            "aspect": f"{width:.2f} / {height:.2f}",
            "text_html": highlight(page["text"], spans, section["start"]),
            "links": links,
        },
    )


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
    page_link = None
    if claim["source"]["kind"] == "pdf" and claim.get("page"):
        page_link = links.pdf_page(claim["source"]["id"], claim["page"], claim["id"])
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
            "page_link": page_link,
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
    ids = [c["id"] for c in found["claims"]]
    origins = await read_limited(datasette, db, lambda conn: evidence.quote_origins(conn, ids))
    for claim in found["claims"]:
        claim["html"] = marked_hits(claim["marked"])
        claim["origins"] = origins.get(claim["id"], [])
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
