"""HTML pages: main text without boilerplate, citation metadata, and pages of posts split up.

The page is decoded (charset detection that copes with lying declarations) and parsed once with
lxml. Metadata comes from :mod:`.metadata`, posts from :mod:`.posts`, main text from
:mod:`.maintext` and trafilatura, combined per page by :mod:`.combine` (the record notes which,
and why, under ``metadata["main_text"]``).
"""

from __future__ import annotations

import logging
import re
from functools import cache
from typing import TYPE_CHECKING

from ..errors import IngestError
from ..text import Span, TextBuilder
from . import register
from .base import Extracted, Hint, Ingester
from .combine import Blocks, combine
from .decode import declared_charset, decode, looks_binary

# lxml and the page modules (main text, metadata, posts) are imported by the functions that
# read a page: detection loads every ingester, and a cable or a PDF would otherwise pay about
# 0.03 s of start-up for them.
if TYPE_CHECKING:
    import lxml.etree
    from lxml.html import HtmlElement

    from .posts import Post

log = logging.getLogger(__name__)

_MARKUP = re.compile(rb"<(!doctype\s+html|html|head|body|p|div|article|title|meta)[\s>]", re.I)
#: A news feed: its root element (after a byte order mark, the XML declaration, comments and
#: processing instructions) is RSS's, Atom's or RSS 1.0's. Its items read as one page would run
#: their titles, links and dates together into sentences.
_FEED = re.compile(
    rb"(?:\xef\xbb\xbf)?\s*(?:<\?[^>]*\?>\s*|<!--.*?-->\s*)*<(?:rss|feed|rdf:RDF)[\s>]",
    re.I | re.S,
)
_SKIP_TAGS = {"script", "style", "noscript", "template", "svg", "nav", "form", "button", "iframe"}


@cache
def _libraries() -> str:
    """The versions of the libraries that shape the text layer and metadata of a page (read
    when a page is extracted: a cable or a PDF never imports them)."""
    import htmldate
    import trafilatura

    return f"+trafilatura-{trafilatura.__version__}+htmldate-{htmldate.__version__}"


@cache
def _parser() -> lxml.html.HTMLParser:
    """libxml2 cuts a text node past 10 MB, silently, unless told the tree may be huge; the
    other bounds on an input (bytes, time, memory) are the tool's own.

    lxml.html picks each element's class by calling a Python method every time an element is
    touched, and extraction touches every element many times; the same classes are picked
    here by lxml's own lookup by tag name, in C."""
    import lxml.etree
    import lxml.html

    parser = lxml.html.HTMLParser(huge_tree=True)
    lookup = lxml.etree.ElementNamespaceClassLookup(
        lxml.etree.ElementDefaultClassLookup(
            element=lxml.html.HtmlElement,
            comment=lxml.html.HtmlComment,
            pi=lxml.html.HtmlProcessingInstruction,
            entity=lxml.html.HtmlEntity,
        )
    )
    by_tag = lookup.get_namespace(None)
    for tag, element_class in lxml.html.HtmlElementClassLookup._default_element_classes.items():
        by_tag[tag] = element_class  # <form>, <input>, <select>, <textarea>, <label>
    parser.set_element_class_lookup(lookup)
    return parser


def parse_html(markup: str) -> HtmlElement:
    """Parse markup into an lxml tree, or raise IngestError."""
    import lxml.etree
    import lxml.html

    # lxml refuses str with an encoding declaration; strip the XML prolog first.
    markup = re.sub(r"^\s*<\?xml[^>]*\?>", "", markup)
    try:
        tree = lxml.html.document_fromstring(markup, parser=_parser())
    except (lxml.etree.ParserError, ValueError) as exc:
        raise IngestError(f"html: could not parse markup: {exc}") from exc
    return tree


_LINK_SKIP_ANCESTORS = {"nav", "footer", "header", "aside", "form", "script", "style"}
_LINK_BOILERPLATE = re.compile(
    r"\b(?:nav|navigation|menu|breadcrumb|footer|header|sidebar|share|social|comment|related|"
    r"pagination|pager|subscribe|newsletter|cookie)\b",
    re.I,
)


def page_anchors(tree: HtmlElement) -> list[tuple[str, str]]:
    """``(href, anchor text)`` of the page's links, in order, leaving out in-page, script,
    mail and phone links and links inside navigation, headers, footers, sidebars, forms and
    share, comment or related-link boxes."""
    found = []
    # Whether an element is or sits inside one of those boxes, known for each element looked
    # at: a page's links share most of their ancestors, each is tested once.
    boxed: dict[HtmlElement, bool] = {}
    for anchor in tree.iter("a"):
        href = (anchor.get("href") or "").strip()
        if not href or href.startswith(("#", "javascript:", "mailto:", "tel:")):
            continue
        if not _in_box(anchor, boxed):
            found.append((href, anchor.text_content() or ""))
    return found


def _in_box(element: HtmlElement, boxed: dict[HtmlElement, bool]) -> bool:
    """Whether ``element`` or an ancestor is navigation, a footer, a share box (as
    :func:`page_anchors` says); ``boxed`` keeps the answer for every element walked through."""
    walked = []
    node: HtmlElement | None = element
    answer = False
    while node is not None:
        known = boxed.get(node)
        if known is not None:
            answer = known
            break
        walked.append(node)
        if node.tag in _LINK_SKIP_ANCESTORS or _LINK_BOILERPLATE.search(
            f"{node.get('class', '')} {node.get('id', '')}"
        ):
            answer = True
            break
        node = node.getparent()
    for node in walked:
        boxed[node] = answer
    return answer


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


def _trafilatura_blocks(tree: HtmlElement) -> list[tuple[str, str]]:
    """Blocks of trafilatura's main text (hidden elements dropped first, as a reader sees it)."""
    import lxml.etree

    from .maintext import visible

    # Only an element with one of the attributes visible() reads can be hidden.
    for el in tree.xpath("//*[@style or @hidden or @aria-hidden]"):
        if el.getparent() is not None and not visible(el):
            el.drop_tree()
    import trafilatura

    try:
        doc = trafilatura.bare_extraction(
            tree, with_metadata=False, include_comments=False, include_tables=True
        )
    except (ValueError, TypeError, AttributeError, lxml.etree.LxmlError) as exc:
        log.info("trafilatura failed: %s", exc)
        return []
    if doc is None or doc.body is None:
        return []
    blocks: list[tuple[str, str]] = []
    for el in doc.body:
        if el.tag == "head":
            blocks.append(("heading", _etree_text(el)))
        elif el.tag == "list":
            blocks.extend(("list-item", _etree_text(item)) for item in el.iter("item"))
        elif el.tag == "quote":
            blocks.append(("quotation", _etree_text(el)))
        elif el.tag == "table":
            for row in el.iter("row"):
                cells = [_etree_text(c) for c in row if c.tag == "cell"]
                blocks.append(("table-row", " | ".join(c for c in cells if c)))
        elif el.tag != "graphic":
            blocks.append(("paragraph", _etree_text(el)))
    return [(kind, text) for kind, text in blocks if text]


def main_text_candidates(data: bytes, url: str | None = None) -> tuple[Blocks, Blocks] | None:
    """The two main texts :func:`.combine.combine` chooses from, as the ingester computes them
    (ours, trafilatura's); None for a page of posts (benchmarks tune the rule with these)."""
    from .maintext import extract_main_text
    from .metadata import page_metadata
    from .posts import find_posts

    markup, _ = decode(data, declared_charset(data))
    tree = parse_html(markup)
    if find_posts(tree, url):
        return None
    title = page_metadata(tree, url).values.get("title")
    ours = extract_main_text(tree, title).blocks
    return ours, _trafilatura_blocks(parse_html(markup))


def _etree_text(el: lxml.etree._Element) -> str:
    return " ".join("".join(el.itertext()).split())


def _shift(spans: list[Span], offset: int, start: int, end: int) -> list[Span]:
    return [
        Span(s.kind, s.start - offset, s.end - offset, s.number, s.label)
        for s in spans
        if start <= s.start and s.end <= end
    ]


@cache
def preload_tables() -> None:
    """Build the tables trafilatura and htmldate build lazily: justext's stoplists of every
    language (about 25 MB) and dateparser's locales (about 40 MB and 4 s, the first time a
    page's date string reaches it)."""
    try:
        from htmldate.extractors import get_external_parser
        from justext.core import define_stoplist
        from trafilatura import external

        define_stoplist(external.JT_STOPLIST or external.jt_stoplist_init())
        # A string no locale reads makes dateparser load every locale.
        get_external_parser().get_date_data("provenance preload")
    except Exception as exc:  # another version of the libraries: workers load their own
        log.debug("could not preload the HTML libraries' tables: %s", exc)


@register
class HtmlIngester(Ingester):
    name = "html"
    version = (
        "0.4.0"  # 0.4: charset detection by chardet; declared dates kept, no date from a sentence
    )
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

    def skip_reason(self, data: bytes, hint: Hint) -> str | None:
        if _FEED.match(data[:4096]):
            return "an RSS or Atom feed, not a page (add the pages its items link to)"
        return None

    def preload(self) -> None:
        from . import maintext, metadata, posts  # noqa: F401 (before a batch's workers fork)

        _parser()
        preload_tables()

    def extract(self, data: bytes, hint: Hint) -> Extracted:
        from .metadata import page_metadata
        from .posts import find_posts, page_labels

        markup, encoding = decode(data, declared_charset(data))
        tree = parse_html(markup)
        anchors = page_anchors(tree)  # before the main-text pass prunes the tree
        meta = page_metadata(tree, hint.url)
        base_url = meta.values.get("canonical_url") or hint.url
        posts = find_posts(tree, base_url)
        if posts:
            for field in ("published", "author"):
                if meta.origins.get(field, "").startswith(("markup:", "htmldate", "meta[itemprop")):
                    del meta.values[field]  # a post's date or author (microdata), not the page's
            record = self._archive_page(posts)
        else:
            found = page_labels(tree)  # before the main-text pass prunes the tree
            record = self._article_page(tree, meta.values.get("title"), markup)
            if "tags" in found:
                meta.fill("tags", ", ".join(found["tags"][0]), found["tags"][1])
            if "categories" in found:
                record.metadata["categories"] = found["categories"][0]
                meta.origins["categories"] = found["categories"][1]
            if "author" not in meta.values:
                byline = record.metadata.pop("byline", None)
                if not meta.fill("author", byline, "markup:byline"):
                    from trafilatura.metadata import extract_author

                    meta.fill("author", extract_author(tree), "trafilatura:author")
        for field, value in meta.values.items():
            if getattr(record, field, None) is None:
                setattr(record, field, value)
        record.url = hint.url or record.canonical_url
        record.metadata["field_origins"] = {
            k: v
            for k, v in meta.origins.items()
            if getattr(record, k, record.metadata.get(k)) is not None
        }
        if len(meta.titles) > 1:
            record.metadata["titles"] = meta.titles
        record.metadata["encoding"] = encoding
        record.anchors = anchors
        for child in record.children:
            child.publisher = child.publisher or record.publisher
            child.language = child.language or record.language
        return record

    def _article_page(self, tree: HtmlElement, title: str | None, markup: str) -> Extracted:
        from .maintext import extract_main_text

        main = extract_main_text(tree, title)
        # A fresh tree: the main-text pass dropped <noscript>, which on pages that render
        # with scripts holds the article.
        chosen = combine(main.blocks, _trafilatura_blocks(parse_html(markup)))
        blocks = chosen.blocks
        extractor = "html/trafilatura" if chosen.method == "trafilatura" else f"html/{main.method}"
        builder = TextBuilder()
        for kind, text in blocks:
            builder.add(text, kind)
        record = Extracted(
            kind="html",
            text=builder.text(),
            extractor=extractor,
            extractor_version=self.version + _libraries(),
            structure=builder.structure,
        )
        if main.byline:
            record.metadata["byline"] = main.byline
        record.metadata["main_text"] = {"method": chosen.method, **chosen.signals}
        return record

    def _archive_page(self, posts: list[Post]) -> Extracted:
        builder = TextBuilder()
        spans = []
        for number, post in enumerate(posts, 1):
            start = builder.next_start()
            first = builder.length
            if post.title:
                builder.add(post.title, "heading")
            for kind, text in post.blocks:
                builder.add(text, kind)
            if builder.length == first:
                continue
            spans.append((builder.mark("post", start, number, post.title), post))
        text = builder.text()
        version = self.version + _libraries()
        record = Extracted(
            kind="html",
            text=text,
            extractor="html/posts",
            extractor_version=version,
            structure=builder.structure,
        )
        record.metadata["posts"] = len(spans)
        for span, post in spans:
            child = Extracted(
                kind="post",
                text=text[span.start : span.end],
                extractor="html/posts",
                extractor_version=version,
                parent_start=span.start,
                parent_end=span.end,
                structure=_shift(
                    [s for s in builder.structure if s.kind != "post"],
                    span.start,
                    span.start,
                    span.end,
                ),
                title=post.title,
                url=post.url,
                published=post.published,
                author=post.author,
                tags=", ".join(post.tags) or None,
            )
            if post.categories:
                child.metadata["categories"] = post.categories
            record.children.append(child)
        return record
