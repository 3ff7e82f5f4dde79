"""Datasette plugin hooks. Only hooks that exist on 0.65 and on the 1.0 alphas are used."""

from __future__ import annotations

import re
from typing import Any
from urllib.parse import parse_qsl

from datasette import hookimpl
from markupsafe import Markup, escape

from .facets import YearFacet
from .limits import harden
from .pages import (
    Links,
    can_view,
    claim_view,
    front_door,
    is_provenance,
    original_view,
    page_image_view,
    pdf_page_view,
    search_view,
    source_view,
)


def without_rich_tracebacks() -> None:
    """Datasette's default error page (0.65) prints the exception with rich whenever rich can
    be imported, outside an except block for the 404s Datasette raises itself; rich 14 and
    later raise there, so every such 404 became a 500. Without rich it prints a plain
    traceback for real errors and nothing for a 404; the page is the same."""
    try:
        from datasette import handle_exception as default_errors
    except ImportError:  # a Datasette without that module makes no such call
        return
    if getattr(default_errors, "rich", None) is not None:
        default_errors.rich = None


@hookimpl
def startup(datasette: Any) -> None:
    # At start-up, not on import: that module loads the whole of Datasette's app, which the
    # read side's imports must not (tests/test_layers.py).
    without_rich_tracebacks()


_DB = r"(?P<database>[^/]+)"
_JSON = r"(?:\.(?P<format>json))?"


@hookimpl
def register_routes() -> list[tuple[str, Any]]:
    return [
        (rf"^/{_DB}/-/source/(?P<source_id>\d{{1,12}}){_JSON}$", source_view),
        (rf"^/{_DB}/-/source/(?P<source_id>\d{{1,12}})/original$", original_view),
        (
            rf"^/{_DB}/-/source/(?P<source_id>\d{{1,12}})/page/(?P<page>\d{{1,6}})\.png$",
            page_image_view,
        ),
        (
            rf"^/{_DB}/-/source/(?P<source_id>\d{{1,12}})/page/(?P<page>\d{{1,6}}){_JSON}$",
            pdf_page_view,
        ),
        (rf"^/{_DB}/-/claim/(?P<claim_id>\d{{1,12}}){_JSON}$", claim_view),
        (rf"^/{_DB}/-/search{_JSON}$", search_view),
    ]


@hookimpl
def extra_template_vars(template: str, datasette: Any, request: Any) -> Any:
    if template != "index.html":
        return None

    async def archives() -> dict[str, Any]:
        return {"provenance_archives": await front_door(datasette, request)}

    return archives


@hookimpl
def prepare_connection(conn: Any) -> None:
    harden(conn)


@hookimpl
def prepare_jinja2_environment(env: Any) -> None:
    """``{{ date|when }}``: a stored date as a reader should see it (a year alone as its year;
    ``when(true)``: otherwise as stored), as the command line shows it."""
    from ..moments import shown

    env.filters["when"] = shown


@hookimpl
def register_facet_classes() -> list[type]:
    return [YearFacet]


@hookimpl
def extra_css_urls(datasette: Any) -> list[str]:
    return [datasette.urls.static_plugins("provenance", "provenance.css")]


@hookimpl
def menu_links(datasette: Any, actor: Any) -> Any:
    async def links() -> list[dict[str, str]]:
        found = []
        for name in datasette.databases:
            if (
                name != "_internal"
                and await is_provenance(datasette, name)
                and await can_view(datasette, actor, name)
            ):
                found.append(
                    {
                        "href": Links(datasette, name).search(),
                        "label": f"Search claims and sources ({name})",
                    }
                )
        return found

    return links


# Columns whose values open the plugin's pages: on table pages and in stored query results.
_PAGE_LINKS = {
    ("claims", "text"): ("claim", "id"),
    ("sources", "title"): ("source", "id"),
    (None, "claim_id"): ("claim", None),
    (None, "source_id"): ("source", None),
}


@hookimpl
def render_cell(
    row: Any, value: Any, column: str, table: str | None, database: str, datasette: Any
):
    target = _PAGE_LINKS.get((table, column)) or (
        _PAGE_LINKS.get((None, column)) if table is None else None
    )
    if target is None or value is None:
        return None
    page, key = target
    try:
        ident = row[key] if key else value
    except (KeyError, IndexError):
        return None
    if not isinstance(ident, int):
        return None

    async def link() -> Markup | None:
        if not await is_provenance(datasette, database):
            return None
        links = Links(datasette, database)
        href = links.claim(ident) if page == "claim" else links.source(ident)
        return Markup('<a href="{}">{}</a>').format(href, escape(value))

    return link


# A full-text search of a common word on a table page matches a large share of a million
# claims: Datasette's count of the matches (one row lookup per match) is what makes the page
# slow, not the page of rows. Search results on these tables are shown without it.
_SEARCHED_TABLE = re.compile(r"^/[^/]+/(?:claims|sources)(?:\.\w+)?$")


def _without_search_count(scope: dict) -> dict:
    if scope.get("type") != "http" or not _SEARCHED_TABLE.match(scope.get("path", "")):
        return scope
    query = scope.get("query_string", b"").decode("latin-1")
    keys = {k for k, _ in parse_qsl(query, keep_blank_values=True)}
    if not any(k.startswith("_search") and k != "_searchmode" for k in keys):
        return scope
    if "_nocount" in keys:
        return scope
    query = f"{query}&_nocount=1" if query else "_nocount=1"
    return {**scope, "query_string": query.encode("latin-1")}


@hookimpl
def asgi_wrapper(datasette: Any) -> Any:
    def wrap(app: Any) -> Any:
        async def add_nocount(scope: dict, receive: Any, send: Any) -> None:
            await app(_without_search_count(scope), receive, send)

        return add_nocount

    return wrap
