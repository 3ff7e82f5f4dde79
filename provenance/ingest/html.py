"""HTML pages: main text without boilerplate, citation metadata, and archive pages split into posts."""

from __future__ import annotations

import json
import logging
import re
from collections.abc import Iterator
from urllib.parse import urljoin

import lxml.etree
import lxml.html
import trafilatura
from lxml.html import HtmlElement

from ..errors import IngestError
from ..text import TextBuilder, normalise_block
from . import register
from .base import Extracted, Hint, Ingester
from .dates import iso_date
from .decode import declared_charset, decode, looks_binary

log = logging.getLogger(__name__)

_MARKUP = re.compile(rb"<(!doctype\s+html|html|head|body|p|div|article|title|meta)[\s>]", re.I)
_BLOCK_TAGS = {"p", "h1", "h2", "h3", "h4", "h5", "h6", "li", "blockquote", "pre", "dd", "dt"}
_HEADINGS = {"h1", "h2", "h3", "h4", "h5", "h6"}
_SKIP_TAGS = {"script", "style", "noscript", "template", "svg", "nav", "form", "button", "iframe"}
_BOILERPLATE_CLASS = re.compile(
    r"\b(share|sharing|social|comment|comments|related|pagination|pager|nav|navigation|menu|"
    r"breadcrumb|subscribe|newsletter|cookie|sidebar|footer|header|meta|byline|tags|categories|"
    r"post-meta|entry-meta|entry-footer|advert|ad|promo)\b",
    re.I,
)
_POST_XPATH = (
    "//article"
    " | //*[contains(concat(' ', normalize-space(@class), ' '), ' hentry ')]"
    " | //*[contains(concat(' ', normalize-space(@class), ' '), ' h-entry ')]"
    " | //*[contains(@itemtype, 'BlogPosting')]"
)


def parse_html(markup: str) -> HtmlElement:
    """Parse markup into an lxml tree, or raise IngestError."""
    # lxml refuses str with an encoding declaration; strip the XML prolog first.
    markup = re.sub(r"^\s*<\?xml[^>]*\?>", "", markup)
    try:
        tree = lxml.html.document_fromstring(markup)
    except (lxml.etree.ParserError, ValueError) as exc:
        raise IngestError(f"html: could not parse markup: {exc}") from exc
    return tree


def text_of(el: HtmlElement) -> str:
    """The visible text of an element, with <br> as a line break and skipped tags left out."""
    parts: list[str] = []

    def walk(node: HtmlElement) -> None:
        tag = node.tag if isinstance(node.tag, str) else ""
        if tag in _SKIP_TAGS:
            return
        if tag in ("br", "lb"):
            parts.append("\n")
        elif node.text and tag:
            parts.append(node.text)
        for child in node:
            walk(child)
            if child.tail:
                parts.append(child.tail)

    walk(el)
    return "".join(parts)


# --- metadata cascade ---------------------------------------------------------------------


def _meta(tree: HtmlElement, *names: str) -> tuple[str | None, str | None]:
    for name in names:
        for attr in ("property", "name", "itemprop"):
            values = tree.xpath(f"//meta[@{attr}=$n]/@content", n=name)
            for value in values:
                if value and value.strip():
                    return value.strip(), f"meta[{attr}={name}]"
    return None, None


def _json_ld(tree: HtmlElement) -> list[dict]:
    items: list[dict] = []
    for script in tree.xpath("//script[@type='application/ld+json']"):
        try:
            data = json.loads(script.text or "")
        except ValueError:
            continue
        stack = data if isinstance(data, list) else [data]
        while stack:
            item = stack.pop(0)
            if isinstance(item, dict):
                if "@graph" in item and isinstance(item["@graph"], list):
                    stack.extend(item["@graph"])
                items.append(item)
            elif isinstance(item, list):
                stack.extend(item)
    return items


def _ld_name(value: object) -> str | None:
    if isinstance(value, str):
        return value.strip() or None
    if isinstance(value, dict):
        return _ld_name(value.get("name"))
    if isinstance(value, list):
        names = [n for n in (_ld_name(v) for v in value) if n]
        return ", ".join(dict.fromkeys(names)) or None
    return None


_ARTICLE_TYPES = {"article", "newsarticle", "blogposting", "reportagenewsarticle", "report"}


def page_metadata(tree: HtmlElement, url: str | None) -> tuple[dict[str, str], dict[str, str]]:
    """Citation metadata from JSON-LD, then OpenGraph/<meta>, then markup.

    Each step only fills fields that are still empty. Returns the values and, per field, where
    the value came from.
    """
    values: dict[str, str] = {}
    origins: dict[str, str] = {}

    def fill(field: str, value: str | None, origin: str | None) -> None:
        if value and field not in values:
            values[field] = value.strip()
            origins[field] = origin or "?"

    for item in _json_ld(tree):
        types = item.get("@type")
        types = [types] if isinstance(types, str) else (types or [])
        if not any(str(t).lower() in _ARTICLE_TYPES for t in types):
            continue
        fill("title", _ld_name(item.get("headline")) or _ld_name(item.get("name")), "json-ld")
        fill("author", _ld_name(item.get("author")), "json-ld")
        fill("publisher", _ld_name(item.get("publisher")), "json-ld")
        fill("published", iso_date(str(item.get("datePublished") or "")), "json-ld")
        fill("modified", iso_date(str(item.get("dateModified") or "")), "json-ld")

    for field, names in (
        ("title", ("og:title", "twitter:title", "citation_title", "dc.title")),
        ("author", ("author", "article:author", "citation_author", "dc.creator", "byl")),
        ("publisher", ("og:site_name", "citation_publisher", "dc.publisher", "application-name")),
        (
            "published",
            (
                "article:published_time",
                "citation_publication_date",
                "date",
                "dc.date",
                "pubdate",
                "publish-date",
                "datePublished",
            ),
        ),
        ("modified", ("article:modified_time", "og:updated_time", "dateModified")),
        ("canonical_url", ("og:url",)),
        ("language", ("og:locale", "dc.language", "language")),
    ):
        value, origin = _meta(tree, *names)
        if field in ("published", "modified"):
            value = iso_date(value or "")
        fill(field, value, origin)

    canonical = tree.xpath("//link[@rel='canonical']/@href")
    if canonical and canonical[0].strip():
        values["canonical_url"] = urljoin(url or "", canonical[0].strip())
        origins["canonical_url"] = "link[rel=canonical]"
    author_links = tree.xpath("//a[@rel='author']")
    if author_links:
        fill("author", normalise_block(text_of(author_links[0])), "a[rel=author]")
    times = tree.xpath("//time[@datetime]/@datetime")
    if times:
        fill("published", iso_date(times[0]), "time[datetime]")
    lang = tree.xpath("/html/@lang")
    if lang:
        fill("language", lang[0], "html[lang]")
    title = tree.xpath("//title")
    if title:
        fill("title", normalise_block(text_of(title[0])), "title")
    return values, origins


# --- main text ----------------------------------------------------------------------------


def _trafilatura_blocks(body: lxml.etree._Element) -> Iterator[tuple[str, str]]:
    """(kind, text) blocks from trafilatura's output tree."""
    for el in body:
        tag = el.tag
        if tag == "head":
            yield "heading", text_of(el)
        elif tag == "list":
            for item in el.iter("item"):
                yield "list-item", text_of(item)
        elif tag == "quote":
            paras = [p for p in el if p.tag == "p"]
            for p in paras or [el]:
                yield "quotation", text_of(p)
        elif tag == "table":
            for row in el.iter("row"):
                cells = [normalise_block(text_of(c)) for c in row if c.tag == "cell"]
                yield "table-row", " | ".join(c for c in cells if c)
        elif tag == "graphic":
            continue
        else:
            yield "paragraph", text_of(el)


def _is_boilerplate(el: HtmlElement, root: HtmlElement | None = None) -> bool:
    """Whether an element is or sits inside navigation, a footer, share links, comments..."""
    for node in (el, *el.iterancestors()):
        if node is root:
            return False
        if node.tag in ("nav", "footer", "aside", "header", "form"):
            return True
        if _BOILERPLATE_CLASS.search(node.get("class", "") + " " + node.get("id", "")):
            return True
    return False


def _markup_blocks(root: HtmlElement, skip: HtmlElement | None = None) -> Iterator[tuple[str, str]]:
    """(kind, text) blocks straight from the markup: the fallback when trafilatura gives up."""
    for el in root.iter(*_BLOCK_TAGS):
        if el is skip or any(a.tag in _BLOCK_TAGS or a is skip for a in el.iterancestors()):
            continue  # the outer block carries this text
        if _is_boilerplate(el, root):
            continue
        kind = (
            "heading"
            if el.tag in _HEADINGS
            else (
                "list-item"
                if el.tag == "li"
                else "quotation"
                if el.tag == "blockquote"
                else "paragraph"
            )
        )
        yield kind, text_of(el)


# --- archive pages holding many posts ----------------------------------------------------


def _outermost(elements: list[HtmlElement]) -> list[HtmlElement]:
    chosen = set(elements)
    return [el for el in elements if not any(a in chosen for a in el.iterancestors())]


def _heading_link(heading: HtmlElement, post: HtmlElement) -> str | None:
    """The link of a post heading: inside it (<h2><a>) or around it (<a><h1>)."""
    inside = heading.xpath(".//a[@href]/@href")
    if inside:
        return inside[0]
    for ancestor in heading.iterancestors():
        if ancestor is post:
            break
        if ancestor.tag == "a" and ancestor.get("href"):
            return ancestor.get("href")
    return None


def _post_heading(el: HtmlElement) -> HtmlElement | None:
    for heading in el.iter("h1", "h2", "h3", "h4"):
        if _heading_link(heading, el):
            return heading
    return None


def is_single_article(tree: HtmlElement) -> bool:
    """Signals that a page is one article, whatever lists of teasers it also holds."""
    og_type, _ = _meta(tree, "og:type")
    if og_type and og_type.strip().lower() == "article":
        return True
    body_class = " ".join(tree.xpath("//body/@class")).split()
    if "single" in body_class or "single-post" in body_class:
        return True
    articles = [
        item
        for item in _json_ld(tree)
        if str(item.get("@type", "")).lower() in ("article", "newsarticle", "reportagenewsarticle")
    ]
    return len(articles) == 1


def find_posts(tree: HtmlElement, metadata: dict[str, str]) -> list[HtmlElement]:
    """The post elements of an archive page; empty for a single article page."""
    if is_single_article(tree):
        return []
    candidates = [el for el in _outermost(tree.xpath(_POST_XPATH)) if _post_heading(el) is not None]
    if len(candidates) < 2:
        return []
    sizes = [len(normalise_block(text_of(el))) for el in candidates]
    substantial = [s for s in sizes if s >= 200]
    if len(substantial) < 2:
        return []  # cards of related links, not posts
    if max(sizes) > 0.8 * sum(sizes):
        return []  # one article with a few teasers beside it
    return candidates


def _post_fields(el: HtmlElement, base_url: str | None) -> dict[str, str | None]:
    heading = _post_heading(el)
    title = normalise_block(text_of(heading)) if heading is not None else None
    link = _heading_link(heading, el) if heading is not None else None
    date = None
    for value in el.xpath(".//time/@datetime | .//*[contains(@class,'published')]/@title"):
        date = iso_date(value)
        if date:
            break
    if date is None:
        for node in el.xpath(".//time | .//*[contains(@class,'date')]"):
            date = iso_date(text_of(node))
            if date:
                break
    author = None
    for node in el.xpath(
        ".//*[@rel='author'] | .//*[contains(@class,'author')] | .//*[contains(@class,'byline')]"
    ):
        author = normalise_block(text_of(node))
        author = re.sub(r"^(posted\s+)?by\s+", "", author, flags=re.I) or None
        if author:
            break
    tags = [
        normalise_block(text_of(a)) for a in el.xpath(".//a[@rel='tag' or @rel='category tag']")
    ]
    return {
        "title": title,
        "url": urljoin(base_url or "", link) if link else None,
        "published": date,
        "author": author,
        "tags": ", ".join(t for t in tags if t) or None,
    }


def _post_blocks(
    el: HtmlElement, heading: HtmlElement | None, title: str | None
) -> Iterator[tuple[str, str]]:
    """The post's title, then its body blocks (its heading may sit in a skipped <header>)."""
    if title:
        yield "heading", title
    yield from _markup_blocks(el, skip=heading)


@register
class HtmlIngester(Ingester):
    name = "html"
    version = "0.1.0"
    media_types = ("text/html", "application/xhtml+xml")
    extensions = ("html", "htm", "xhtml", "shtml")

    def match(self, data: bytes, hint: Hint) -> float:
        if looks_binary(data):
            return 0.0
        head = data[:4096]
        if _MARKUP.search(head):
            return 0.8
        if hint.extension in self.extensions or (hint.content_type or "").startswith("text/html"):
            return 0.3
        return 0.0

    def extract(self, data: bytes, hint: Hint) -> Extracted:
        markup, encoding = decode(data, declared_charset(data))
        tree = parse_html(markup)
        meta, origins = page_metadata(tree, hint.url)
        base_url = meta.get("canonical_url") or hint.url
        posts = find_posts(tree, meta)
        if posts:
            for field in ("published", "author"):
                if origins.get(field) in ("time[datetime]", "a[rel=author]"):
                    del meta[field]  # the first post's date or author, not the page's
            record = self._archive_page(tree, posts, base_url)
        else:
            record = self._article_page(tree, hint)
        for field, value in meta.items():
            current = getattr(record, field, None)
            if current is None:
                setattr(record, field, value)
            elif field in ("published", "modified") and value.startswith(current):
                setattr(record, field, value)  # the same date, with its time of day
                origins[field] = origins.get(field, "?")
        record.url = hint.url or record.canonical_url
        record.metadata.setdefault("field_origins", {}).update(
            {k: v for k, v in origins.items() if k in meta}
        )
        record.metadata["encoding"] = encoding
        for child in record.children:
            child.publisher = child.publisher or record.publisher
            child.language = child.language or record.language
        return record

    def _article_page(self, tree: HtmlElement, hint: Hint) -> Extracted:
        builder = TextBuilder()
        extractor = "trafilatura"
        doc = None
        try:
            doc = trafilatura.bare_extraction(
                tree,
                url=hint.url,
                with_metadata=True,
                include_comments=False,
                include_tables=True,
                include_images=False,
                favor_precision=False,
            )
        except (ValueError, TypeError, AttributeError, lxml.etree.LxmlError) as exc:
            log.info("trafilatura failed, using markup blocks: %s", exc)
        if doc is not None and doc.body is not None and len(doc.body):
            blocks = _trafilatura_blocks(doc.body)
        else:
            extractor = "markup-blocks"
            body = tree.find("body")
            blocks = _markup_blocks(body if body is not None else tree)
        for kind, text in blocks:
            builder.add(text, kind)
        record = Extracted(
            kind="html",
            text=builder.text(),
            extractor=f"html/{extractor}",
            extractor_version=f"{self.version}+trafilatura-{trafilatura.__version__}",
            structure=builder.structure,
        )
        if doc is not None:
            record.title = doc.title or None
            record.author = doc.author or None
            record.publisher = doc.sitename or None
            record.published = iso_date(doc.date or "")
            if doc.categories:
                record.metadata["categories"] = list(doc.categories)
            if doc.tags:
                record.tags = ", ".join(doc.tags)
            record.metadata.setdefault("field_origins", {}).update(
                {
                    f: "trafilatura"
                    for f in ("title", "author", "publisher", "published")
                    if getattr(record, f)
                }
            )
        return record

    def _archive_page(
        self, tree: HtmlElement, posts: list[HtmlElement], base_url: str | None
    ) -> Extracted:
        builder = TextBuilder()
        children = []
        for number, el in enumerate(posts, 1):
            heading = _post_heading(el)
            fields = _post_fields(el, base_url)
            start = builder.next_start()
            first = builder.length
            for kind, text in _post_blocks(el, heading, fields["title"]):
                builder.add(text, kind)
            if builder.length == first:
                continue
            span = builder.mark("post", start, number, fields["title"])
            children.append((span, fields))
        text = builder.text()
        record = Extracted(
            kind="html",
            text=text,
            extractor="html/posts",
            extractor_version=self.version,
            structure=builder.structure,
        )
        record.metadata["posts"] = len(children)
        for span, fields in children:
            child = Extracted(
                kind="post",
                text=text[span.start : span.end],
                extractor="html/posts",
                extractor_version=self.version,
                parent_start=span.start,
                parent_end=span.end,
                structure=[
                    type(s)(s.kind, s.start - span.start, s.end - span.start, s.number, s.label)
                    for s in builder.structure
                    if s.kind != "post" and span.start <= s.start and s.end <= span.end
                ],
                **fields,
            )
            record.children.append(child)
        return record
