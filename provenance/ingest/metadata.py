"""Citation metadata of a web page, through a cascade of the places pages declare it.

Each field is filled by the first step that has a value, and remembers where it came from
(``json-ld:headline``, ``meta[og:title]``, ``h1``, ``htmldate``...). The steps, in order:
JSON-LD of an article type; ``<meta>`` (Dublin Core, OpenGraph and ``article:*``, Twitter,
Parse.ly, Highwire ``citation_*``, plain names); markup (``rel=author``, ``itemprop``,
microformats ``h-entry``/``h-card``, ``<time>``, bylines); the ``<title>`` element; and for
dates, htmldate's reading of the whole page. A step that fails is logged and skipped: metadata
never costs the body text.
"""

from __future__ import annotations

import html
import json
import logging
import re
import unicodedata
from dataclasses import dataclass, field
from urllib.parse import urljoin

from lxml.html import HtmlElement

from ..text import normalise_block
from .dates import declared_date, iso_date
from .maintext import text_similarity

log = logging.getLogger(__name__)

#: JSON-LD types whose headline, author and dates describe the page's article.
ARTICLE_TYPES = {
    t.lower()
    for t in (
        "Article AdvertiserContentArticle NewsArticle AnalysisNewsArticle AskPublicNewsArticle "
        "BackgroundNewsArticle OpinionNewsArticle ReportageNewsArticle ReviewNewsArticle Report "
        "SatiricalArticle ScholarlyArticle MedicalScholarlyArticle SocialMediaPosting "
        "BlogPosting LiveBlogPosting DiscussionForumPosting TechArticle APIReference "
        "WebPage ItemPage"
    ).split()
}
_PAGE_TYPES = {"webpage", "itempage"}  # used only when no article type is declared

# <meta property="dc:title og:title"> may name several properties at once.
_PROPERTY = re.compile(
    r"\s*(article|dc|dcterm|og|twitter)\s*:\s*"
    r"(author|creator|description|published_time|modified_time|title|site_name)\s*",
    re.I,
)
_NAME = re.compile(
    r"^\s*(?:(dc|dcterm|dcterms|og|twitter|parsely|weibo:(?:article|webpage))\s*[-.:]\s*)?"
    r"(author|creator|pub-date|description|title|site_name|publisher|date|language)\s*$",
    re.I,
)
_CDATA = re.compile(r"^\s*<!\[CDATA\[|\]\]>\s*$")
# Separators of a title's parts ("Story headline | Site name"), en and em dashes included as in
# Readability's current rules.
_TITLE_SEPARATORS = re.compile(r"\s[|\-–—\\/>»]\s")
_DOTS = re.compile(r"(\.\.\.|…)\s*$")
# A separator between a title's parts, or one left dangling at its end ("Site name -").
_PART_SEPARATOR = re.compile(r"\s[|\-–—\\/>»](?:\s|$)")
_HIERARCHICAL = re.compile(r"\s[\\/>»]\s")
_BY = re.compile(
    r"^\s*(?:(?:written|posted|published|reported|words|text|story|article)\s+)?(?:by|par|von|por|di)\b[:\s]*",
    re.I,
)
_NOT_A_NAME = re.compile(
    r"^(?:admin|administrator|username|no author|author|staff|unknown|null|none|"
    r"follow(?: author)?)$",
    re.I,
)
_GENERIC_TITLES = {"home", "homepage", "home page", "index", "untitled", "blog", "news", "page"}
# Parts of a title that name no page of their own ("About Us - Shabka", "Blog » Blog Archive").
_GENERIC_PARTS = _GENERIC_TITLES | {
    "about",
    "about us",
    "archive",
    "archives",
    "blog archive",
    "contact",
    "contact us",
    "welcome",
}

_DATE_XPATHS = (
    "//*[contains(concat(' ', normalize-space(@class), ' '), ' dt-published ')]/@datetime",
    "//*[@itemprop='datePublished']/@content",
    "//*[@itemprop='datePublished']/@datetime",
    "//time[@pubdate]/@datetime",
)


@dataclass
class PageMetadata:
    """Field values and, for each, where it came from."""

    values: dict[str, str] = field(default_factory=dict)
    origins: dict[str, str] = field(default_factory=dict)
    #: every title the page declares, by origin (kept so a reader can see the alternatives)
    titles: dict[str, str] = field(default_factory=dict)
    #: an organisation named as author: used only when no person is named anywhere
    fallback_author: str | None = None

    def fill(self, name: str, value: str | None, origin: str) -> bool:
        """Set a field if it is still empty; return whether it was set."""
        if name in self.values or not value:
            return False
        value = " ".join(value.split())
        if not value:
            return False
        self.values[name] = value
        self.origins[name] = origin
        return True

    def replace(self, name: str, value: str, origin: str) -> None:
        self.values[name] = value
        self.origins[name] = origin


# --- JSON-LD ----------------------------------------------------------------------------


def json_ld(tree: HtmlElement) -> list[dict]:
    """Every JSON-LD object in the page (``@graph`` members included)."""
    items: list[dict] = []
    for script in tree.xpath("//script[@type='application/ld+json']"):
        raw = _CDATA.sub("", script.text or "").strip()
        if not raw:
            continue
        try:
            data = json.loads(raw)
        except ValueError:
            try:  # pages put raw newlines and tabs inside strings
                data = json.loads(re.sub(r"[\r\n\t]+", " ", raw))
            except ValueError:
                log.info("unreadable JSON-LD block skipped")
                continue
        stack = data if isinstance(data, list) else [data]
        while stack:
            item = stack.pop(0)
            if isinstance(item, dict):
                graph = item.get("@graph")
                if isinstance(graph, list):
                    stack.extend(graph)
                items.append(item)
            elif isinstance(item, list):
                stack.extend(item)
    return items


def _types(item: dict) -> set[str]:
    value = item.get("@type")
    values = value if isinstance(value, list) else [value]
    return {str(v).lower() for v in values if v}


def ld_names(value: object, graph: dict[str, dict] | None = None) -> list[str]:
    """Names in a JSON-LD person/organisation value (a string, an object, a list, or an
    ``{"@id": ...}`` reference to another object of the page's graph)."""
    if isinstance(value, str):
        return [value.strip()] if value.strip() and not value.startswith("http") else []
    if isinstance(value, dict):
        if graph and set(value) <= {"@id", "@type"} and value.get("@id") in graph:
            value = graph[value["@id"]]
        name = value.get("name")
        if isinstance(name, str) and name.strip():
            return [name.strip()]
        given, family = value.get("givenName"), value.get("familyName")
        if isinstance(given, str) and isinstance(family, str):
            return [f"{given} {family}".strip()]
        return []
    if isinstance(value, list):
        return [n for v in value for n in ld_names(v, graph)]
    return []


def _organisations(value: object, graph: dict[str, dict]) -> bool:
    """Whether a JSON-LD author value names organisations only (a site, an agency)."""
    values = value if isinstance(value, list) else [value]
    kinds = set()
    for v in values:
        if isinstance(v, dict):
            if set(v) <= {"@id", "@type"} and v.get("@id") in graph:
                v = graph[v["@id"]]
            kinds |= _types(v) or {"?"}
        else:
            kinds.add("?")
    return bool(kinds) and kinds <= {"organization", "newsmediaorganization", "corporation"}


def _ld_text(value: object) -> str | None:
    if isinstance(value, list) and value:
        value = value[0]
    if isinstance(value, str):
        return html.unescape(value).strip() or None  # JSON-LD often carries HTML entities
    return None


def _from_json_ld(tree: HtmlElement, meta: PageMetadata) -> None:
    items = json_ld(tree)
    graph = {i["@id"]: i for i in items if isinstance(i.get("@id"), str)}
    articles = [i for i in items if _types(i) & (ARTICLE_TYPES - _PAGE_TYPES)]
    if not articles:
        articles = [i for i in items if _types(i) & _PAGE_TYPES]
    for item in articles:
        headline, name = _ld_text(item.get("headline")), _ld_text(item.get("name"))
        if headline:
            meta.titles.setdefault("json-ld:headline", headline)
        if name:
            meta.titles.setdefault("json-ld:name", name)
        if name and headline and name != headline:
            # One of them is often a description or a section name: the name, unless only the
            # headline resembles the document's own title.
            document = title_element(tree) or ""
            document = clean_document_title(document, tree) if document else ""
            name_fits = text_similarity(name, document) > 0.75
            headline_fits = text_similarity(headline, document) > 0.75
            if headline_fits and not name_fits:
                meta.fill("title", headline, "json-ld:headline")
            else:
                meta.fill("title", name, "json-ld:name")
        else:
            meta.fill("title", headline or name, "json-ld:" + ("headline" if headline else "name"))
        value = item.get("author") or item.get("creator")
        authors = ", ".join(dict.fromkeys(ld_names(value, graph)))
        if _organisations(value, graph):
            meta.fallback_author = meta.fallback_author or authors  # a byline may name a person
        else:
            meta.fill("author", authors, "json-ld:author")
        meta.fill(
            "publisher", ", ".join(ld_names(item.get("publisher"), graph)), "json-ld:publisher"
        )
        published, precision = declared_date(_ld_text(item.get("datePublished")))
        meta.fill("published", published, _with_precision("json-ld:datePublished", precision))
        meta.fill("modified", iso_date(_ld_text(item.get("dateModified"))), "json-ld:dateModified")
        meta.fill("language", _ld_text(item.get("inLanguage")), "json-ld:inLanguage")
        url = _ld_text(item.get("url"))
        if url and url.startswith("http"):
            meta.fill("canonical_url", url, "json-ld:url")
    for item in items:
        if _types(item) & {"website", "organization", "newsmediaorganization"}:
            meta.fill("publisher", _ld_text(item.get("name")), "json-ld:" + sorted(_types(item))[0])


# --- <meta> -----------------------------------------------------------------------------


def meta_values(tree: HtmlElement) -> dict[str, tuple[str, str]]:
    """``<meta>`` values by normalised key (``og:title``, ``dc:creator``, ``author``...), each
    with the attribute it was found under. A later occurrence of a key wins, as in Readability
    (so ``property="dc:creator"`` after ``name="dc.creator"`` is the one used)."""
    found: dict[str, tuple[str, str]] = {}
    for el in tree.iter("meta"):
        content = el.get("content")
        if not content or not content.strip():
            continue
        content = html.unescape(content.strip())  # pages escape entities twice (&amp;#8217;)
        prop = el.get("property")
        keys = []
        if prop:
            keys = [
                (re.sub(r"\s", "", m.group(0).lower()), f"meta[property={m.group(0).strip()}]")
                for m in _PROPERTY.finditer(prop)
            ]
        for attr in ("name", "itemprop", "property", "http-equiv"):
            name = el.get(attr)
            if name and not keys:
                key = re.sub(r"\s", "", name.lower())
                if _NAME.match(name):
                    key = key.replace(".", ":").replace("dcterms:", "dcterm:")
                keys.append((key, f"meta[{attr}={name.strip()}]"))
        for key, origin in keys:
            found[key] = (content, origin)
    return found


_META_CASCADE: tuple[tuple[str, tuple[str, ...]], ...] = (
    (
        "title",
        (
            "dc:title",
            "dcterm:title",
            "og:title",
            "weibo:article:title",
            "weibo:webpage:title",
            "title",
            "twitter:title",
            "parsely-title",
            "citation_title",
            "sailthru:title",
        ),
    ),
    (
        "author",
        (
            "dc:creator",
            "dcterm:creator",
            "author",
            "article:author",
            "parsely-author",
            "citation_author",
            "sailthru:author",
            "byl",
            "twitter:creator",
        ),
    ),
    (
        "publisher",
        ("og:site_name", "dc:publisher", "citation_publisher", "application-name", "publisher"),
    ),
    (
        "published",
        (
            "article:published_time",
            "parsely-pub-date",
            "citation_publication_date",
            "citation_date",
            "dc:date",
            "dcterm:date",
            "dcterm:created",
            "datepublished",
            "date",
            "pubdate",
            "publish-date",
            "publishdate",
            "sailthru:date",
            "og:published_time",
            "article:published",
        ),
    ),
    ("modified", ("article:modified_time", "og:updated_time", "datemodified", "last-modified")),
    ("canonical_url", ("og:url",)),
    ("language", ("og:locale", "dc:language", "content-language", "language")),
)


def _clean_author(value: str | None) -> str | None:
    if not value:
        return None
    value = " ".join(value.split())
    value = _BY.sub("", value).strip(" ,;|-–—·")
    if not value or value.startswith(("http://", "https://", "@")) or _NOT_A_NAME.match(value):
        return None
    if len(value) > 120 or not re.search(r"\w", value):
        return None
    return value


def _from_meta(tree: HtmlElement, meta: PageMetadata) -> None:
    values = meta_values(tree)
    for name, keys in _META_CASCADE:
        for key in keys:
            if key not in values:
                continue
            value, origin = values[key]
            if name == "title":
                meta.titles.setdefault(origin, value)
            if name == "author":
                value = _clean_author(value)  # article:author is often a profile URL
                if value and _same_name(value, meta.values.get("publisher")):
                    meta.fallback_author = meta.fallback_author or value
                    continue
            elif name in ("published", "modified"):
                value, precision = declared_date(value)
                origin = _with_precision(origin, precision)
            if meta.fill(name, value, origin):
                break


# --- markup -----------------------------------------------------------------------------


def _text(el: HtmlElement) -> str:
    return " ".join(el.text_content().split())


_BYLINE_XPATH = (
    "//*[@rel='author' or contains(@itemprop, 'author') or contains(@class, 'author')"
    " or contains(@class, 'byline') or contains(@class, 'writtenby') or contains(@id, 'author')"
    " or contains(@id, 'byline') or contains(@data-testid, 'byline')]"
)
# A class or id naming a byline ("byline", "article-author", "byline__name"), not merely
# containing the letters ("authorization").
_BYLINE_TOKEN = re.compile(r"(?:^|[-_\s])(?:byline|author|authors|writtenby|p-author)(?:$|[-_\s])")
_NOT_BYLINE_PLACE = re.compile(r"comment|respon|reply|replies|related|sidebar|widget|footer|nav")
_DATE_WORDS = re.compile(
    r"\b(?:updated|published|posted|on|at|am|pm|\d{1,4}|jan|feb|mar|apr|may|jun|jul|aug|sep|oct|"
    r"nov|dec)[a-z]*\b",
    re.I,
)


def _same_name(a: str | None, b: str | None) -> bool:
    def key(s: str) -> str:
        return " ".join(re.findall(r"\w+", s.casefold()))

    return bool(a and b) and key(a) == key(b)  # type: ignore[arg-type]


def _byline_element(el: HtmlElement) -> bool:
    if el.get("rel") == "author" or "author" in (el.get("itemprop") or ""):
        return True
    names = " ".join(filter(None, (el.get("class"), el.get("id"), el.get("data-testid"))))
    return bool(_BYLINE_TOKEN.search(names.lower()))


def _in_comments(el: HtmlElement) -> bool:
    for ancestor in el.iterancestors():
        names = ((ancestor.get("class") or "") + " " + (ancestor.get("id") or "")).lower()
        if ancestor.tag in ("footer", "nav", "aside") or _NOT_BYLINE_PLACE.search(names):
            return True
    return False


def byline_names(tree: HtmlElement) -> tuple[str, str] | None:
    """The first byline of the page in document order (``rel=author``, ``itemprop=author``,
    classes such as ``byline``, ``author``, ``p-author``), as (names, origin)."""
    for el in tree.xpath(_BYLINE_XPATH):
        if el.tag in ("body", "html", "article", "main", "meta", "link", "script", "style"):
            continue
        if not _byline_element(el) or _in_comments(el):
            continue
        named = el.xpath(".//*[@itemprop='name']")
        text = _text(named[0]) if named else _text(el)
        if not 0 < len(text) < 100:
            continue
        text = re.sub(r"^(?:follow|contact)\b\s*", "", text, flags=re.I)
        text = re.sub(r"\s+(?:says|wrote|writes)\s*:?\s*$", "", text, flags=re.I)
        name = _clean_author(text)
        if (
            not name
            or not re.search(r"[^\W\d_]", _DATE_WORDS.sub(" ", name))
            or re.search(r"\d{1,2}[:h]\d{2}|\b(?:19|20)\d\d\b", name)
        ):
            continue  # a date line, not a name
        if el.get("rel") == "author":
            which = "rel=author"
        elif "author" in (el.get("itemprop") or ""):
            which = "itemprop=author"
        else:
            which = "class"
        return name, "markup:" + which
    return None


def _from_markup(tree: HtmlElement, meta: PageMetadata, byline: str | None) -> None:
    if "author" not in meta.values:
        found = byline_names(tree)
        if found:
            meta.fill("author", *found)
        elif byline:
            meta.fill("author", _clean_author(byline), "markup:byline")
    if "author" not in meta.values and meta.fallback_author:
        meta.fill("author", meta.fallback_author, "json-ld:author")
    if "published" not in meta.values:
        for xpath in _DATE_XPATHS:
            for value in tree.xpath(xpath)[:1]:
                meta.fill("published", iso_date(str(value)), "markup:" + _xpath_name(xpath))


def _xpath_name(xpath: str) -> str:
    for marker in ("dt-published", "datePublished", "pubdate"):
        if marker in xpath:
            return marker
    return "markup"


# --- the title ---------------------------------------------------------------------------


def headings(tree: HtmlElement, tags: tuple[str, ...] = ("h1",)) -> list[str]:
    """Texts of the page's headings of these levels, in order."""
    found = []
    for el in tree.iter(*tags):
        text = _text(el)
        if text:
            found.append(text)
    return found


def title_element(tree: HtmlElement) -> str | None:
    for el in tree.iter("title"):
        text = normalise_block(el.text_content()).replace("\n", " ")
        return text or None
    return None


def clean_document_title(title: str, tree: HtmlElement) -> str:
    """The article's part of a ``<title>`` such as "Story headline | Site name" (the rules of
    Readability's ``_getArticleTitle``)."""
    original = current = title
    hierarchical = False

    def words(text: str) -> int:
        return len(text.split())

    separators = list(_TITLE_SEPARATORS.finditer(current))
    if separators:
        hierarchical = bool(re.search(r"\s[\\/>»]\s", current))
        current = original[: separators[-1].start()]
        if words(current) < 3:
            current = re.sub(r"^[^|\-–—\\/>»]*[|\-–—\\/>»]", "", original)
    elif ": " in current:
        if current.strip() not in [h.strip() for h in headings(tree, ("h1", "h2"))]:
            current = original[original.rfind(":") + 1 :]
            if words(current) < 3:
                current = original[original.find(":") + 1 :]
            elif words(original[: original.find(":")]) > 5:
                current = original
    elif len(current) > 150 or len(current) < 15:
        h1 = [el for el in tree.iter("h1")]
        if len(h1) == 1:
            current = _text(h1[0])
    current = " ".join(current.split())
    count = words(current)
    if count <= 4 and (
        not hierarchical or count != words(re.sub(r"[|\-–—\\/>»]+", "", original)) - 1
    ):
        current = original
    return current


def _title_key(text: str) -> str:
    """A title as compared with another: case, punctuation and spacing aside."""
    text = unicodedata.normalize("NFKC", text).casefold()
    return " ".join(re.sub(r"[^\w\s]", " ", text).split())


def _title_parts(title: str) -> list[str]:
    """The parts of a title between separators, empty ones kept ("Site -" has two)."""
    return [p.strip() for p in _PART_SEPARATOR.split(title)]


def _page_parts(title: str, site_keys: set[str]) -> list[str]:
    """The parts of a title that name neither the site nor a generic page ("About Us")."""
    return [
        p
        for p in _title_parts(title)
        if (key := _title_key(p)) and key not in site_keys and key not in _GENERIC_PARTS
    ]


def _first_heading(tree: HtmlElement, skip: set[str]) -> tuple[str, str] | None:
    """The first h1, else h2, naming neither the site nor a generic page, and where it was."""
    for tag in ("h1", "h2"):
        for heading in headings(tree, (tag,)):
            key = _title_key(heading)
            if key and key not in skip and key not in _GENERIC_PARTS:
                return heading, tag
    return None


def _repair_title(tree: HtmlElement, meta: PageMetadata) -> None:
    """Use the page's visible headline, or the headline part of the declared title, where the
    declared title is cut short, names only the site (or the site and a generic page such as
    "About Us"), is a breadcrumb from the site down, or carries the site's name beside the
    headline the page shows."""
    title = meta.values.get("title")
    if not title:
        return
    h1 = {_title_key(h): h for h in headings(tree) if _title_key(h)}
    stripped = _DOTS.sub("", title).strip()
    if stripped != title:
        for heading in h1.values():
            if heading.startswith(stripped) and len(heading) > len(stripped):
                meta.replace("title", heading, "h1")  # "…" cut the declared title short
                return
    site_keys = {_title_key(meta.values.get("publisher", ""))} - {""}
    document = meta.titles.get("title", "")
    crumbs = [p for p in _title_parts(document) if p]
    if len(crumbs) > 2 and _HIERARCHICAL.search(document) and _title_key(crumbs[0]) in h1:
        # "Site » Section » Page" with the site's name as the masthead: the page comes last
        if page := _page_parts(document, site_keys | {_title_key(crumbs[0])}):
            meta.replace("title", page[-1], "title")
            return
    key = _title_key(title)
    if key not in h1 and (
        key in site_keys
        or not _page_parts(title, site_keys)
        or _title_parts(title)[-1] == ""  # "National Rail Enquiries -": the page's part lost
    ):
        if found := _first_heading(tree, site_keys | {key}):
            meta.replace("title", *found)
        return
    separators = list(_PART_SEPARATOR.finditer(title))
    for separator in reversed(separators):
        # "Headline | Site" where the page shows "Headline": the title without the site's part
        headline = title[: separator.start()].strip()
        if _title_key(headline) in h1:
            origin = meta.origins.get("title", "title")
            meta.replace("title", headline, f"{origin} without its site part")
            return


def _with_precision(origin: str, precision: str) -> str:
    """A field origin, marked when the value was a year or a month alone ("...:year")."""
    return origin if precision == "day" else f"{origin}:{precision}"


def published_date(tree: HtmlElement, meta: PageMetadata, url: str | None) -> None:
    """The publication date: as the page declares it (JSON-LD, meta tags, markup), with its
    time and offset; else as htmldate reads the page (its markup and URL, then its text),
    or where the page declares a year or a month alone, the day htmldate finds in it.

    A date htmldate finds only in the running text counts where it stands alone, as a
    dateline does ("10. September 2017", "Posted on Apr 7, 2009"), not inside a sentence
    ("promised a ring road on February 3, 2009"): a page that states no date of its own
    stays undated rather than taking the first date its story mentions."""
    declared = meta.values.get("published")
    coarse = meta.origins.get("published", "").rsplit(":", 1)[-1]
    if declared and coarse not in ("year", "month"):
        return
    import htmldate  # imported here: only pages need it

    def find(extensive: bool) -> str | None:
        return htmldate.find_date(
            tree,
            original_date=True,
            url=url,
            outputformat="%Y-%m-%d",
            extensive_search=extensive,
        )

    try:
        found = find(False)
        if not found:
            found = find(True)
            if found and not _dateline(tree, found):
                found = None
    except (ValueError, TypeError, AttributeError) as exc:
        log.info("htmldate failed: %s", exc)
        return
    if not found:
        return
    if declared and not found.startswith(declared[: 4 if coarse == "year" else 7]):
        return  # another year or month than the page declares
    meta.replace("published", found, "htmldate")


#: Elements inside a line of text: a date in one belongs to the block around it.
_INLINE = frozenset(
    "a abbr b bdi br cite data em font i img mark q s small span strong sub sup time u wbr".split()
)


def _dateline(tree: HtmlElement, found: str) -> bool:
    """Whether ``found`` (YYYY-MM-DD) is written as a date of the page, not in a sentence: a
    short block of its own (a dateline, a byline with its date), an element whose class or
    id says it holds a date, or the head of a paragraph set off by a dash or colon, as a
    wire story's dateline is ("April 17, 2015 -- Imagine...")."""
    import htmldate

    def says(text: str) -> bool:
        page = f"<html><body><p>{html.escape(text)}</p></body></html>"
        return htmldate.find_date(page, extensive_search=True, outputformat="%Y-%m-%d") == found

    year = found[:4]
    lines: dict[HtmlElement, str] = {}  # each block's text, read once (a page may repeat a year)
    tried = 0
    for el in tree.iter():
        if not isinstance(el.tag, str) or el.tag in ("script", "style", "head", "title"):
            continue
        if year not in (el.text or "") and not any(year in (c.tail or "") for c in el):
            continue
        tried += 1
        if tried > DATELINE_TRIES:
            break
        named = " ".join(str(el.get(a, "")) for a in ("class", "id", "itemprop"))
        if _DATE_NAMED.search(named):
            own = " ".join(el.text_content().split()[:DATELINE_CHARS])
            if len(own) <= DATELINE_CHARS and says(own):
                return True
        block = el
        while block.tag in _INLINE and block.getparent() is not None:
            block = block.getparent()
        if block not in lines:
            lines[block] = " ".join(block.text_content().split())
        line = lines[block]
        if len(line) <= DATELINE_CHARS and says(line):
            return True
        head = _DATELINE_HEAD.match(line)
        if head and year in head.group(1) and says(head.group(1)):
            return True
    return False


#: The longest block read as a dateline ("Posted on 7 April 2009 by Anne Example, Staff").
DATELINE_CHARS = 60
#: Elements holding the year that are looked at, in document order (a dateline comes early).
DATELINE_TRIES = 200
_DATE_NAMED = re.compile(r"date|time|pub|posted", re.I)
#: The head of a paragraph up to the dash or colon that ends a dateline.
_DATELINE_HEAD = re.compile(r"^(.{6,40}?)\s*(?:--|\u2014|\u2013|:)\s")


# --- everything -------------------------------------------------------------------------


def page_metadata(
    tree: HtmlElement, url: str | None = None, byline: str | None = None
) -> PageMetadata:
    """Citation metadata of a parsed page (the tree is not modified)."""
    meta = PageMetadata()
    for step in (_from_json_ld, _from_meta):
        try:
            step(tree, meta)
        except (ValueError, TypeError, AttributeError, KeyError) as exc:
            log.info("metadata step %s failed: %s", step.__name__, exc)
    try:
        _from_markup(tree, meta, byline)
    except (ValueError, TypeError, AttributeError) as exc:
        log.info("metadata from markup failed: %s", exc)
    canonical = tree.xpath("//link[@rel='canonical']/@href")
    if canonical and canonical[0].strip():
        meta.values["canonical_url"] = urljoin(url or "", canonical[0].strip())
        meta.origins["canonical_url"] = "link[rel=canonical]"
    lang = tree.xpath("/html/@lang")
    if lang:
        meta.fill("language", lang[0], "html[lang]")
    document_title = title_element(tree)
    if document_title:
        meta.titles.setdefault("title", document_title)
        meta.fill("title", clean_document_title(document_title, tree), "title")
    elif h1 := headings(tree):
        meta.fill("title", h1[0], "h1")
    _repair_title(tree, meta)
    published_date(tree, meta, url)
    return meta
