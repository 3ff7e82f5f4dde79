"""Pages holding many posts (tag, category, archive and home pages of blogs) split into posts.

A post is found by its markup family (WordPress ``article.post``/``.hentry``, microformats
``h-entry``, schema.org ``BlogPosting``, the ``<article>`` lists of Jekyll, Octopress and Hugo)
or, failing those, by structure: repeated sibling blocks that each hold a heading link and a
date. The largest group of sibling posts wins. A page that declares itself one article, or whose
own prose outweighs the group, is never split.

Each post keeps its title, URL, date, author, categories and tags, and its text blocks.
"""

from __future__ import annotations

import copy
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from urllib.parse import urljoin

from lxml.html import HtmlElement

from .dates import iso_date
from .maintext import inner_text, iter_blocks
from .metadata import json_ld, meta_values

_HEADINGS = ("h1", "h2", "h3", "h4", "h5", "h6")
# What marks a post element: <article>, a class hentry, h-entry or type-post (classes split at
# XML's whitespace, as XPath's normalize-space splits them), an itemtype naming BlogPosting.
_POST_CLASS = re.compile(r"(?:^|[ \t\r\n])(?:hentry|h-entry|type-post)(?:[ \t\r\n]|$)")


def post_elements(tree: HtmlElement) -> list[HtmlElement]:
    """The elements marked as posts, in document order, found in one walk of the tree (an
    XPath union of the same tests walks it once per test)."""
    import lxml.etree

    found = []
    for el in tree.iter(lxml.etree.Element):
        if el.tag == "article":
            found.append(el)
            continue
        names = el.get("class")
        if names and ("entry" in names or "type-post" in names) and _POST_CLASS.search(names):
            found.append(el)
            continue
        itemtype = el.get("itemtype")
        if itemtype and "BlogPosting" in itemtype:
            found.append(el)
    return found


_TITLE_CLASS = re.compile(r"(?:^|\s)(?:entry-title|p-name|post-title|article-title)(?:\s|$)")
_DATE_CLASS = re.compile(r"(?:^|[\s_-])(?:date|published|dt-published|entry-date|post-date|time)")
# Furniture of a post in a list: its header and footer lines, share and "read more" links.
_FURNITURE = re.compile(
    r"(?:^|[\s_-])(?:meta|byline|author|date|share|sharing|sharedaddy|social|tags|tags-links|"
    r"cat-links|categories|category|entry-footer|entry-meta|post-meta|comments?|comments-link|"
    r"more-link|read-more|edit-link|footer|navigation|pagination)(?:$|[\s_-])",
    re.I,
)
_LIST_NAMES = re.compile(
    r"archive|categor|(?:^|[\s_-])tag(?:$|[\s_-])|blog-index|post-list|posts-list|listing"
)
_LIST_TITLE = re.compile(
    r"^\s*(?:category|tag|tagged|archives?|posts? (?:in|about|tagged))\b", re.I
)
#: Paragraph text outside the posts beyond which a page is an article with teasers.
OWN_PROSE = 800
_SINGLE_BODY_CLASSES = {"single", "single-post", "post-template", "page-template", "single-format"}
_ARTICLE_LD = {"article", "newsarticle", "blogposting", "reportagenewsarticle", "report"}


@dataclass
class Post:
    """One post of a page holding many."""

    element: HtmlElement
    title: str | None = None
    url: str | None = None
    published: str | None = None
    author: str | None = None
    categories: list[str] = field(default_factory=list)
    tags: list[str] = field(default_factory=list)
    blocks: list[tuple[str, str]] = field(default_factory=list)


# --- is this one article? ------------------------------------------------------------------


def is_single_article(tree: HtmlElement) -> bool:
    """Signals that a page is one article, whatever lists of teasers it also holds."""
    values = meta_values(tree)
    og_type = values.get("og:type", ("", ""))[0].strip().lower()
    if og_type == "article":
        return True
    body_class = set(" ".join(tree.xpath("//body/@class")).split())
    if body_class & _SINGLE_BODY_CLASSES:
        return True
    articles = []
    for item in json_ld(tree):
        kinds = item.get("@type")
        kinds = kinds if isinstance(kinds, list) else [kinds]
        if any(str(k).lower() in _ARTICLE_LD for k in kinds):
            articles.append(item)
    return len(articles) == 1 and not tree.xpath("//*[@itemtype][contains(@itemtype,'Blog')]")


# --- headings and links --------------------------------------------------------------------


def _usable_link(href: str | None) -> bool:
    return bool(href and href.strip() and not href.strip().startswith(("#", "javascript:")))


def heading_link(heading: HtmlElement, post: HtmlElement) -> str | None:
    """The link of a post heading: inside it (``<h2><a>``) or around it (``<a><h1>``)."""
    for href in heading.xpath(".//a/@href"):
        if _usable_link(href):
            return href.strip()
    for ancestor in heading.iterancestors():
        if ancestor is post:
            break
        if ancestor.tag == "a" and _usable_link(ancestor.get("href")):
            return ancestor.get("href").strip()
    return None


def post_heading(el: HtmlElement) -> HtmlElement | None:
    """The heading that titles a post and links to it."""
    titled = [
        h
        for h in el.xpath(".//*[contains(@class, 'title') or contains(@class, 'p-name')]")
        if _TITLE_CLASS.search(h.get("class") or "")
    ]
    for heading in titled + list(el.iter(*_HEADINGS)):
        if heading_link(heading, el) and inner_text(heading):
            return heading
    return None


def heading_text(heading: HtmlElement) -> str | None:
    """A heading's text without dates inside it (an unclosed ``<h3>`` swallows the
    ``<time>`` after it)."""
    if not heading.xpath(".//time"):
        return inner_text(heading) or None
    trimmed = copy.deepcopy(heading)
    for node in trimmed.xpath(".//time"):
        node.drop_tree()
    return inner_text(trimmed) or None


def _short_date(node: HtmlElement) -> str | None:
    """A date that is all of an element's text ("March 3, 2015", "02/11/15" is not read)."""
    text = inner_text(node)
    return iso_date(text) if 6 <= len(text) <= 40 else None


def _has_date(el: HtmlElement) -> bool:
    if el.xpath(".//time | .//*[@datetime] | .//*[@itemprop='datePublished']"):
        return True
    return any(isinstance(node.tag, str) and _short_date(node) for node in el.iter())


# --- finding the group of posts --------------------------------------------------------------


def _groups(candidates: list[HtmlElement]) -> list[list[HtmlElement]]:
    by_parent: dict[HtmlElement, list[HtmlElement]] = {}
    for el in candidates:
        parent = el.getparent()
        if parent is not None:
            by_parent.setdefault(parent, []).append(el)
    return [group for group in by_parent.values() if len(group) >= 2]


_LINKED_HEADINGS = (
    "//*[self::h1 or self::h2 or self::h3 or self::h4 or self::h5 or self::h6]"
    "[.//a[@href] or ancestor::a[@href]]"
)


def _structural_candidates(tree: HtmlElement) -> list[HtmlElement]:
    """Repeated sibling blocks, each with a heading link and a date (lists of posts in markup
    of no known family). Found from the linked headings up, not by trying every element."""
    groups: dict[tuple[HtmlElement, str], list[HtmlElement]] = {}
    for heading in tree.xpath(_LINKED_HEADINGS):
        if not heading_link(heading, heading.getroottree().getroot()) or not inner_text(heading):
            continue
        node = heading
        for _ in range(6):
            parent = node.getparent()
            if parent is None or parent.tag in ("body", "html"):
                break
            if node.tag not in _HEADINGS and node.tag != "a":
                items = groups.setdefault((parent, node.tag), [])
                if node not in items:
                    items.append(node)
            node = parent
    found = []
    for (parent, tag), items in groups.items():
        if len(items) < 2:
            continue
        siblings = sum(1 for child in parent if child.tag == tag)
        posts = [item for item in items if _has_date(item)]
        if len(posts) >= 2 and len(posts) >= 0.6 * siblings:
            found.extend(posts)
    return found


_NOT_PROSE = {"nav", "footer", "aside", "header", "script", "style", "form", "noscript", "template"}


def _prose_outside(tree: HtmlElement, group: list[HtmlElement]) -> int:
    """Characters of running text on the page outside the posts (an article with teasers):
    text chunks of a sentence or more, in paragraphs or between ``<br>``s."""
    skip = set(group)
    total = 0
    stack = list(tree.iterchildren())
    while stack:
        el = stack.pop()
        if not isinstance(el.tag, str) or el in skip or el.tag in _NOT_PROSE:
            continue
        for chunk in (el.text, *(child.tail for child in el)):
            if chunk and len(chunk.strip()) >= 80:
                total += len(chunk.strip())
        stack.extend(el.iterchildren())
    return total


def _lists_posts(tree: HtmlElement, el: HtmlElement) -> bool:
    """Whether the page says it is a list of posts (an archive, category or tag page)."""
    for node in (*el.iterancestors(), *tree.xpath("//body")):
        names = " ".join(filter(None, (node.get("class"), node.get("id")))).lower()
        if _LIST_NAMES.search(names):
            return True
    for heading in tree.xpath("//h1 | //title"):
        if _LIST_TITLE.match(inner_text(heading)):
            return True
    return False


def _single_post(tree: HtmlElement, candidates: list[HtmlElement], base_url: str | None):
    """The one post of a list page that holds one (a category with a single post)."""
    outer = [el for el in candidates if not any(a in candidates for a in el.iterancestors())]
    inner = [el for el in candidates if el not in outer]
    for el in inner or outer:
        link = heading_link(post_heading(el), el)  # type: ignore[arg-type]
        if base_url and link and urljoin(base_url, link).rstrip("/") == base_url.rstrip("/"):
            continue  # the heading links to the page itself: an article
        if _lists_posts(tree, el):
            return [el]
    return []


def find_post_elements(tree: HtmlElement, base_url: str | None = None) -> list[HtmlElement]:
    """The post elements of a page holding many posts; empty for a single article."""
    if is_single_article(tree):
        return []
    candidates = [el for el in post_elements(tree) if post_heading(el) is not None]
    groups = _groups(candidates)
    if not groups:
        groups = _groups(_structural_candidates(tree))
    if not groups:
        return _single_post(tree, candidates, base_url) if len(candidates) <= 2 else []
    # The largest group; among equals, the outermost (posts, not parts of one post).
    group = max(groups, key=lambda g: (len(g), -len(list(g[0].iterancestors()))))
    sizes = [len(inner_text(el)) for el in group]
    if max(sizes) > 0.8 * sum(sizes) and max(sizes) > 2000:
        return []  # one long article with a few teasers beside it
    if _prose_outside(tree, group) > max(OWN_PROSE, sum(sizes)):
        return []  # the page's own text outweighs the list: an article with related posts
    return group


# --- the fields of one post -------------------------------------------------------------------


def _first_date(el: HtmlElement) -> str | None:
    for value in el.xpath(
        ".//*[contains(concat(' ', normalize-space(@class), ' '), ' dt-published ')]/@datetime"
        " | .//*[@itemprop='datePublished']/@content"
        " | .//*[@itemprop='datePublished']/@datetime"
        " | .//time/@datetime"
        " | .//abbr[contains(@class, 'published')]/@title"
    ):
        date = iso_date(str(value))
        if date:
            return date
    for node in el.xpath(".//time | .//*[@class]"):
        if node.tag == "time" or _DATE_CLASS.search(node.get("class") or ""):
            date = iso_date(inner_text(node))
            if date:
                return date
    for node in el.iter():
        if isinstance(node.tag, str) and (date := _short_date(node)):
            return date
    return None


def _clean_name(text: str) -> str | None:
    text = re.sub(r"^\s*(?:posted\s+|written\s+)?by\s+", "", text, flags=re.I).strip(" ,|·-–—")
    text = re.sub(r"\s*\(.*\)\s*$", "", text).strip()
    return text if text and len(text) <= 80 else None


def _first_author(el: HtmlElement) -> str | None:
    for xpath in (
        ".//*[contains(concat(' ', normalize-space(@class), ' '), ' p-author ')]",
        ".//*[@itemprop='author']//*[@itemprop='name']",
        ".//*[@itemprop='author']",
        ".//*[@rel='author']",
        ".//*[contains(concat(' ', normalize-space(@class), ' '), ' author ')]"
        "//*[contains(concat(' ', normalize-space(@class), ' '), ' fn ')]",
        ".//*[contains(concat(' ', normalize-space(@class), ' '), ' byline ')]",
        ".//*[contains(concat(' ', normalize-space(@class), ' '), ' author ')]",
    ):
        for node in el.xpath(xpath):
            name = _clean_name(inner_text(node))
            if name:
                return name
    return None


_CATEGORY_XPATH = (
    ".//a[contains(concat(' ', normalize-space(@rel), ' '), ' category ')]"
    " | .//*[contains(@class, 'cat-links')]//a"
    " | .//a[contains(concat(' ', normalize-space(@class), ' '), ' category ')]"
    " | .//*[contains(concat(' ', normalize-space(@class), ' '), ' categories ')]//a"
    " | .//*[contains(concat(' ', normalize-space(@class), ' '), ' p-category ')]"
    " | .//*[@itemprop='articleSection']"
)
_TAG_XPATH = (
    ".//a[contains(concat(' ', normalize-space(@rel), ' '), ' tag ')]"
    " | .//*[contains(@class, 'tags-links')]//a"
    " | .//*[contains(concat(' ', normalize-space(@class), ' '), ' tags ')]//a"
    " | .//*[@itemprop='keywords']"
)


def labels(el: HtmlElement) -> tuple[list[str], list[str]]:
    """The categories and the tags a post's markup gives it, each in order without repeats.

    An element is a category or a tag, never both (WordPress marks category links
    ``rel="category tag"``); a *name* may be both: a post tagged Libya in category Libya keeps
    its Libya tag.
    """
    category_elements = el.xpath(_CATEGORY_XPATH)
    seen = set(category_elements)
    tag_elements = [t for t in el.xpath(_TAG_XPATH) if t not in seen]
    return _names(category_elements), _names(tag_elements)


def _names(elements: list[HtmlElement]) -> list[str]:
    return list(dict.fromkeys(t for t in (inner_text(a) for a in elements) if t))


def page_labels(tree: HtmlElement) -> dict[str, tuple[list[str], str]]:
    """``{"categories": (names, origin), "tags": (names, origin)}`` of a page holding one
    article: from the markup of its one post element (as on the lists it appears in), else
    from its ``article:section`` and ``article:tag`` meta elements. Empty fields are left out."""
    elements = post_elements(tree)
    members = set(elements)
    outermost = [el for el in elements if not any(a in members for a in el.iterancestors())]
    if len(outermost) == 1:
        categories, tags = labels(outermost[0])
        if categories or tags:
            found = {"categories": (categories, "markup:post"), "tags": (tags, "markup:post")}
            return {name: value for name, value in found.items() if value[0]}
    found = {
        name: (_meta_list(tree, prop), f"meta[property={prop}]")
        for name, prop in (("categories", "article:section"), ("tags", "article:tag"))
    }
    return {name: value for name, value in found.items() if value[0]}


def _meta_list(tree: HtmlElement, prop: str) -> list[str]:
    values = (" ".join(v.split()) for v in tree.xpath(f"//meta[@property='{prop}']/@content"))
    return list(dict.fromkeys(v for v in values if v))


def _body_blocks(el: HtmlElement, heading: HtmlElement | None) -> Iterator[tuple[str, str]]:
    """The post's text without its title line, date, byline, tags and "read more" links."""
    body = copy.deepcopy(el)
    # Find the copy of the heading by its position in the element tree.
    if heading is not None:
        path = el.getroottree().getpath(heading)
        base = el.getroottree().getpath(el)
        relative = path[len(base) :]
        found = body.xpath("." + relative) if relative else []
        for node in found[:1]:
            node.drop_tree()
    for node in list(body.iter()):
        if node is body or not isinstance(node.tag, str) or node.getparent() is None:
            continue
        names = (node.get("class") or "") + " " + (node.get("id") or "")
        if (
            node.tag in ("header", "footer", "nav", "aside", "form", "time", "script", "style")
            or node.get("rel") in ("full-article", "bookmark")
            or (names.strip() and _FURNITURE.search(names) and len(inner_text(node)) < 300)
        ):
            node.drop_tree()
    yield from iter_blocks(body)


def read_post(el: HtmlElement, base_url: str | None) -> Post:
    """Title, URL, date, author, categories, tags and text blocks of one post element."""
    heading = post_heading(el)
    post = Post(element=el)
    if heading is not None:
        post.title = heading_text(heading)
        link = heading_link(heading, el)
        post.url = urljoin(base_url or "", link) if link else None
    post.published = _first_date(el)
    post.author = _first_author(el)
    post.categories, post.tags = labels(el)
    post.blocks = list(_body_blocks(el, heading))
    return post


def find_posts(tree: HtmlElement, base_url: str | None = None) -> list[Post]:
    """The posts of a page holding many posts, in page order; empty for a single article."""
    return [read_post(el, base_url) for el in find_post_elements(tree, base_url)]
