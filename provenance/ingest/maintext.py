"""Main text of an article page: the content without navigation, comments, share or related links.

The scoring follows the published algorithm of Mozilla's Readability (paragraphs score their
ancestors by length and commas; hidden, link-heavy and unlikely blocks are dropped; the best
candidate is joined with its siblings, then cleaned), implemented on an lxml tree. Measured on
real pages (``benchmarks/ingest_accuracy.py``), a few changes keep more of the article:

- when the best block is one section, table or list of a longer article, the pass climbs to
  the nearest ancestor that holds much more prose with few links;
- a lead paragraph standing before the body in a sibling block is kept;
- the page's headline (the heading that repeats the title) is kept as the first heading;
- a dateline inside a paragraph ("KOBE – A total of...") is text, not a byline to drop;
- inside the chosen article, blocks named as furniture (related, newsletter, ad, share...)
  are dropped even where a name such as "content-related-stories" spares them above.

Unlike a reader view it returns *blocks* (heading, paragraph, list item, quotation, table row,
caption, preformatted) in document order, so the text layer keeps the page's structure; image
alt text is never part of it. The tree given to :func:`extract_main_text` is modified.
"""

from __future__ import annotations

import copy
import re
from collections.abc import Iterator
from dataclasses import dataclass, field

import lxml.etree
from lxml.html import HtmlElement

# --- patterns (class and id names that say what a block is) ---------------------------------

_UNLIKELY = re.compile(
    r"-ad-|ai2html|banner|breadcrumbs|combx|comment|community|cover-wrap|disqus|extra|footer|"
    r"gdpr|header|legends|menu|related|remark|replies|rss|shoutbox|sidebar|skyscraper|social|"
    r"sponsor|supplemental|ad-break|agegate|pagination|pager|popup|yom-remote",
)
_MAYBE_CANDIDATE = re.compile(r"and|article|body|column|content|main|mathjax|shadow")
_POSITIVE = re.compile(
    r"article|body|content|entry|hentry|h-entry|main|page|pagination|post|text|blog|story"
)
_NEGATIVE = re.compile(
    r"-ad-|hidden|^hid$| hid$| hid |^hid |banner|combx|comment|com-|contact|footer|gdpr|"
    r"masthead|media|meta|outbrain|promo|related|scroll|share|shoutbox|sidebar|skyscraper|"
    r"sponsor|shopping|tags|widget",
)
_BYLINE = re.compile(r"byline|author|dateline|writtenby|p-author")
_SHARE = re.compile(r"(\b|_)(share|sharedaddy)(\b|_)")
_VIDEOS = re.compile(
    r"//(www\.)?((dailymotion|youtube|youtube-nocookie|player\.vimeo|v\.qq)\.com|"
    r"(archive|upload\.wikimedia)\.org|player\.twitch\.tv)",
    re.I,
)
_COMMA_CHARS = "\u002c\u060c\ufe50\ufe10\ufe11\u2e41\u2e34\u2e32\uff0c"


def _commas(text: str) -> int:
    """Commas in any script (str.count is much faster than a pattern)."""
    return sum(text.count(c) for c in _COMMA_CHARS)


_AD_WORDS = re.compile(
    r"^(ad(vertising|vertisement)?|pub(licité)?|werb(ung)?|广告|Реклама|Anuncio)$", re.I
)
_LOADING_WORDS = re.compile(r"^((loading|正在加载|Загрузка|chargement|cargando)(…|\.\.\.)?)$", re.I)
_SENTENCE_END = re.compile(r"\.( |$)")
_DISPLAY_NONE = re.compile(r"display\s*:\s*none", re.I)
_VISIBILITY_HIDDEN = re.compile(r"visibility\s*:\s*hidden", re.I)
_WS = re.compile(r"\s+")
_TOKENS = re.compile(r"\W+")

_UNLIKELY_ROLES = {
    "menu",
    "menubar",
    "complementary",
    "navigation",
    "alert",
    "alertdialog",
    "dialog",
}
_DIV_TO_P = {"blockquote", "dl", "div", "img", "ol", "p", "pre", "table", "ul"}
_KEEP_AS_IS = {"div", "article", "section", "p", "ol", "ul"}
_PHRASING = {
    "abbr",
    "audio",
    "b",
    "bdo",
    "br",
    "button",
    "cite",
    "code",
    "data",
    "datalist",
    "dfn",
    "em",
    "embed",
    "i",
    "img",
    "input",
    "kbd",
    "label",
    "mark",
    "math",
    "meter",
    "noscript",
    "object",
    "output",
    "progress",
    "q",
    "ruby",
    "samp",
    "script",
    "select",
    "small",
    "span",
    "strong",
    "sub",
    "sup",
    "textarea",
    "time",
    "var",
    "wbr",
}
_TAGS_TO_SCORE = {"section", "h2", "h3", "h4", "h5", "h6", "p", "td", "pre"}
_HEADINGS = {"h1", "h2", "h3", "h4", "h5", "h6"}
_EMPTY_IF_NO_TEXT = {"div", "section", "header", *_HEADINGS}
_TEXTISH = {"span", "li", "td", *_DIV_TO_P}
_DROP_ALWAYS = ("script", "noscript", "style", "template", "link", "meta")
_DROP_IN_ARTICLE = ("object", "embed", "footer", "link", "aside", "iframe", "input")
_DROP_IN_ARTICLE_2 = ("textarea", "select", "button")

CHAR_THRESHOLD = 500
TOP_CANDIDATES = 5
# Climb from the best block to an ancestor holding this much more prose (paragraph text with few
# links): the best block is often one section, table or list of a longer article.
CLIMB_RATIO = 1.5
CLIMB_MIN_CHARS = 300
CLIMB_MAX_LINK_DENSITY = 0.3
# Inside the chosen article, blocks named like these are furniture whatever else their names say
# (the reference algorithm spares "content-related-stories" because of "content").
_FURNITURE = re.compile(
    r"related|newsletter|subscri|promo|advert|ad-unit|ad-disclosure|(^|[\s_-])ads?([\s_-]|$)|"
    r"sponsor|share|social|comment|disqus|recommend|read-?more|more-stories|sign-?up|paywall|"
    r"cookie|gdpr|popup|modal|author-?bio|about-the-author|bio-?box|breadcrumb",
)


def _inside_sentence(el: HtmlElement) -> bool:
    """An inline element that runs on into its paragraph's text ("KOBE – A total of..."): a
    dateline is part of the report, not a byline to drop."""
    parent = el.getparent()
    return (
        el.tag in _PHRASING
        and parent is not None
        and parent.tag == "p"
        and len(inner_text(parent)) > len(inner_text(el)) + 40
    )


# Flags of one attempt: later attempts relax them when the first finds too little text.
STRIP_UNLIKELY = 1
WEIGHT_CLASSES = 2
CLEAN_CONDITIONALLY = 4


def inner_text(el: HtmlElement) -> str:
    """The element's text with runs of whitespace collapsed."""
    return " ".join(el.text_content().split())


def _match_string(el: HtmlElement) -> str:
    # Lower-cased once, so the patterns run without the (slower) ignore-case flag.
    return ((el.get("class") or "") + " " + (el.get("id") or "")).lower()


def visible(el: HtmlElement) -> bool:
    """Whether an element is shown (not display:none, visibility:hidden, hidden, aria-hidden)."""
    style = el.get("style")
    if style and (_DISPLAY_NONE.search(style) or _VISIBILITY_HIDDEN.search(style)):
        return False
    if el.get("hidden") is not None:
        return False
    if el.get("aria-hidden") == "true" and "fallback-image" not in (el.get("class") or ""):
        return False
    return True


def _drop(el: HtmlElement) -> None:
    """Remove an element, keeping the text that follows it."""
    if el.getparent() is not None:
        el.drop_tree()


def _next_node(node: HtmlElement, skip_children: bool = False) -> HtmlElement | None:
    if not skip_children and len(node):
        return node[0]
    sibling = node.getnext()
    if sibling is not None:
        return sibling
    parent = node.getparent()
    while parent is not None and parent.getnext() is None:
        parent = parent.getparent()
    return parent.getnext() if parent is not None else None


def _phrasing(el: HtmlElement) -> bool:
    tag = el.tag
    if tag in _PHRASING:
        return True
    return tag in ("a", "del", "ins") and all(_phrasing(child) for child in el)


def _single_child(el: HtmlElement, tag: str) -> bool:
    if len(el) != 1 or el[0].tag != tag:
        return False
    return not ((el.text and el.text.strip()) or (el[0].tail and el[0].tail.strip()))


def _has_block_child(el: HtmlElement) -> bool:
    for _ in el.iterdescendants(*_DIV_TO_P):
        return True
    return False


def _without_content(el: HtmlElement) -> bool:
    if any(piece.strip() for piece in el.itertext()):  # stops at the first text
        return False
    children = len(el)
    return children == 0 or children == sum(1 for _ in el.iterdescendants("br", "hr"))


def _ancestors(el: HtmlElement, depth: int = 0) -> list[HtmlElement]:
    found = []
    for ancestor in el.iterancestors():
        found.append(ancestor)
        if depth and len(found) == depth:
            break
    return found


def _has_ancestor(el: HtmlElement, tag: str, depth: int = 3, test=None) -> bool:
    for level, ancestor in enumerate(el.iterancestors(), 1):
        if depth > 0 and level > depth:
            return False
        if ancestor.tag == tag and (test is None or test(ancestor)):
            return True
    return False


def _link_density(el: HtmlElement) -> float:
    length = len(inner_text(el))
    if not length:
        return 0.0
    links = 0.0
    for a in el.iter("a"):
        href = a.get("href") or ""
        links += len(inner_text(a)) * (0.3 if href.startswith("#") and len(href) > 1 else 1.0)
    return links / length


def _text_density(el: HtmlElement, tags: set[str]) -> float:
    length = len(inner_text(el))
    if not length:
        return 0.0
    inner = sum(len(inner_text(child)) for child in el.iterdescendants(*tags))
    return inner / length


def text_similarity(a: str, b: str) -> float:
    """How much of ``b``'s wording is in ``a`` (1 = all of it), on lower-cased word tokens."""
    tokens_a = [t for t in _TOKENS.split(a.lower()) if t]
    tokens_b = [t for t in _TOKENS.split(b.lower()) if t]
    if not tokens_a or not tokens_b:
        return 0.0
    unique_b = [t for t in tokens_b if t not in tokens_a]
    return 1 - len(" ".join(unique_b)) / len(" ".join(tokens_b))


@dataclass
class MainText:
    """The outcome of main-text extraction."""

    blocks: list[tuple[str, str]] = field(default_factory=list)  # (kind, text) in page order
    byline: str | None = None
    method: str = "readability"


class _Attempt:
    """One pass over a copy of the page body with a given set of flags."""

    def __init__(self, flags: int, title: str | None) -> None:
        self.flags = flags
        self.title = title
        self.scores: dict[HtmlElement, float] = {}
        self.data_tables: set[HtmlElement] = set()
        self.byline: str | None = None
        self.title_heading: str | None = None
        self.prose: dict[HtmlElement, int] = {}
        # While candidates are compared the tree does not change: link text is summed once.
        self.link_chars: dict[HtmlElement, float] = {}
        self.lengths: dict[HtmlElement, int] = {}

    # --- scoring helpers ------------------------------------------------------------------

    def class_weight(self, el: HtmlElement) -> int:
        if not self.flags & WEIGHT_CLASSES:
            return 0
        weight = 0
        for value in (el.get("class"), el.get("id")):
            if value:
                value = value.lower()
                if _NEGATIVE.search(value):
                    weight -= 25
                if _POSITIVE.search(value):
                    weight += 25
        return weight

    def initialise(self, el: HtmlElement) -> None:
        tag = el.tag
        score = 0.0
        if tag == "div":
            score += 5
        elif tag in ("pre", "td", "blockquote"):
            score += 3
        elif tag in ("address", "ol", "ul", "dl", "dd", "dt", "li", "form"):
            score -= 3
        elif tag in _HEADINGS or tag == "th":
            score -= 5
        self.scores[el] = score + self.class_weight(el)

    def check_byline(self, el: HtmlElement, match: str) -> bool:
        if self.byline:
            return False
        if (
            el.get("rel") == "author"
            or "author" in (el.get("itemprop") or "")
            or (match != " " and _BYLINE.search(match))
        ) and not _inside_sentence(el):
            text = el.text_content().strip()
            if 0 < len(text) < 100:
                self.byline = _WS.sub(" ", text)
                return True
        return False

    def duplicates_title(self, el: HtmlElement) -> bool:
        if el.tag not in ("h1", "h2") or not self.title:
            return False
        return text_similarity(self.title, inner_text(el)) > 0.75

    # --- the pass -------------------------------------------------------------------------

    def prepare(self, page: HtmlElement) -> list[HtmlElement]:
        """Drop hidden and unlikely blocks, turn text-only divs into paragraphs; return the
        elements to score."""
        to_score: list[HtmlElement] = []
        remove_title_header = True
        node: HtmlElement | None = page
        while node is not None:
            tag = node.tag
            match = _match_string(node)
            if node is not page:
                if not visible(node):
                    node = self._remove_and_next(node)
                    continue
                if node.get("aria-modal") == "true" and node.get("role") == "dialog":
                    node = self._remove_and_next(node)
                    continue
                if self.check_byline(node, match):
                    node = self._remove_and_next(node)
                    continue
                if remove_title_header and self.duplicates_title(node):
                    remove_title_header = False
                    self.title_heading = inner_text(node)
                    node = self._remove_and_next(node)
                    continue
                if self.flags & STRIP_UNLIKELY:
                    if (
                        match != " "
                        and _UNLIKELY.search(match)
                        and not _MAYBE_CANDIDATE.search(match)
                        and tag not in ("body", "a")
                        and not _has_ancestor(node, "table", 0)
                        and not _has_ancestor(node, "code", 0)
                    ):
                        node = self._remove_and_next(node)
                        continue
                    if node.get("role") in _UNLIKELY_ROLES:
                        node = self._remove_and_next(node)
                        continue
                if tag in _EMPTY_IF_NO_TEXT and _without_content(node):
                    node = self._remove_and_next(node)
                    continue
            if tag in _TAGS_TO_SCORE:
                to_score.append(node)
            if tag == "div":
                _wrap_phrasing(node)
                if _single_child(node, "p") and _link_density(node) < 0.25:
                    child = node[0]
                    child.tail = node.tail
                    for name in ("class", "id"):  # keep what the wrapper said it was
                        if node.get(name) and not child.get(name):
                            child.set(name, node.get(name))
                    node.getparent().replace(node, child)
                    node = child
                    to_score.append(node)
                elif not _has_block_child(node):
                    node.tag = "p"
                    to_score.append(node)
            node = _next_node(node)
        return to_score

    @staticmethod
    def _remove_and_next(node: HtmlElement) -> HtmlElement | None:
        following = _next_node(node, skip_children=True)
        _drop(node)
        return following

    def length(self, el: HtmlElement) -> int:
        length = self.lengths.get(el)
        if length is None:
            length = self.lengths[el] = len(inner_text(el))
        return length

    def link_density(self, el: HtmlElement) -> float:
        """Share of the element's text inside links (in-page links count 0.3)."""
        length = self.length(el)
        return self.link_chars.get(el, 0.0) / length if length else 0.0

    def score(self, page: HtmlElement, to_score: list[HtmlElement]) -> list[HtmlElement]:
        for a in page.iter("a"):
            href = a.get("href") or ""
            chars = self.length(a) * (0.3 if href.startswith("#") and len(href) > 1 else 1.0)
            if chars:
                self.link_chars[a] = self.link_chars.get(a, 0.0) + chars
                for ancestor in a.iterancestors():
                    self.link_chars[ancestor] = self.link_chars.get(ancestor, 0.0) + chars
        candidates: list[HtmlElement] = []
        for el in to_score:
            parent = el.getparent()
            if parent is None:
                continue
            text = inner_text(el)
            if len(text) < 25:
                continue
            ancestors = _ancestors(el, 5)
            if not ancestors:
                continue
            content = 2 + _commas(text) + min(len(text) // 100, 3)
            for level, ancestor in enumerate(ancestors):
                if ancestor.getparent() is None:
                    continue  # <html> itself is never a candidate
                if ancestor not in self.scores:
                    self.initialise(ancestor)
                    candidates.append(ancestor)
                divider = 1 if level == 0 else 2 if level == 1 else level * 3
                self.scores[ancestor] += content / divider
            if el.tag in ("p", "pre") and self.link_density(el) < 0.25:
                self.prose[el] = self.prose.get(el, 0) + len(text)
                for ancestor in el.iterancestors():
                    self.prose[ancestor] = self.prose.get(ancestor, 0) + len(text)
        for candidate in candidates:
            self.scores[candidate] *= 1 - self.link_density(candidate)
        return candidates

    def top_candidate(self, page: HtmlElement, candidates: list[HtmlElement]):
        ranked = sorted(candidates, key=lambda c: -self.scores[c])[:TOP_CANDIDATES]
        top = ranked[0] if ranked else None
        if top is None or top.tag == "body":
            return None
        top_score = self.scores[top]
        alternatives = [
            set(_ancestors(c))
            for c in ranked[1:]
            if top_score and self.scores[c] / top_score >= 0.75
        ]
        if len(alternatives) >= 3:
            parent = top.getparent()
            while parent is not None and parent.tag != "body":
                if sum(parent in a for a in alternatives) >= 3:
                    top = parent
                    break
                parent = parent.getparent()
        if top not in self.scores:
            self.initialise(top)
        parent = top.getparent()
        last = self.scores[top]
        threshold = last / 3
        while parent is not None and parent.tag != "body":
            if parent not in self.scores:
                parent = parent.getparent()
                continue
            score = self.scores[parent]
            if score < threshold:
                break
            if score > last:
                top = parent
                break
            last = score
            parent = parent.getparent()
        parent = top.getparent()
        while parent is not None and parent.tag != "body" and len(parent) == 1:
            top = parent
            parent = top.getparent()
        top = self.climb(top)
        if top not in self.scores:
            self.initialise(top)
        return top

    def climb(self, top: HtmlElement) -> HtmlElement:
        """The nearest ancestor holding much more prose than ``top``, or ``top``."""
        own = self.prose.get(top, 0)
        for ancestor in top.iterancestors():
            if ancestor.tag in ("body", "html"):
                break
            more = self.prose.get(ancestor, 0)
            if (
                more >= CLIMB_RATIO * own + CLIMB_MIN_CHARS
                and self.link_density(ancestor) < CLIMB_MAX_LINK_DENSITY
            ):
                return ancestor
        return top

    def join_siblings(self, top: HtmlElement) -> list[HtmlElement]:
        """The top candidate and the siblings that belong to the article with it."""
        parent = top.getparent()
        if parent is None:
            return [top]
        top_score = self.scores[top]
        threshold = max(10.0, top_score * 0.2)
        top_class = top.get("class") or ""
        chosen = []
        before_top = True
        for sibling in parent:
            append = sibling is top
            if append:
                before_top = False
            if not append:
                bonus = top_score * 0.2 if top_class and sibling.get("class") == top_class else 0
                if sibling in self.scores and self.scores[sibling] + bonus >= threshold:
                    append = True
                elif (
                    before_top  # a lead paragraph kept apart from the body
                    and self.prose.get(sibling, 0) > 80
                    and self.prose.get(sibling, 0) > 0.5 * len(inner_text(sibling))
                    and self.link_density(sibling) < 0.25
                ):
                    append = True
                elif sibling.tag == "p":
                    text = inner_text(sibling)
                    density = self.link_density(sibling)
                    if len(text) > 80 and density < 0.25:
                        append = True
                    elif 0 < len(text) < 80 and density == 0 and _SENTENCE_END.search(text):
                        append = True
            if append:
                chosen.append(sibling)
        return chosen

    # --- cleaning the chosen content ------------------------------------------------------

    def mark_data_tables(self, root: HtmlElement) -> None:
        for table in root.iter("table"):
            if table.get("role") == "presentation" or table.get("datatable") == "0":
                continue
            if table.get("summary"):
                self.data_tables.add(table)
                continue
            caption = table.find("caption")
            if caption is not None and len(caption):
                self.data_tables.add(table)
                continue
            if any(True for _ in table.iterdescendants("col", "colgroup", "tfoot", "thead", "th")):
                self.data_tables.add(table)
                continue
            if any(True for _ in table.iterdescendants("table")):
                continue
            rows = table.findall(".//tr")
            columns = max(
                (len(row.findall("td")) + len(row.findall("th")) for row in rows), default=0
            )
            if len(rows) >= 10 or columns > 4 or len(rows) * columns > 10:
                self.data_tables.add(table)

    def clean_conditionally(self, root: HtmlElement, tag: str) -> None:
        if not self.flags & CLEAN_CONDITIONALLY:
            return
        for el in reversed(list(root.iter(tag))):
            if el is root or el.getparent() is None:
                continue
            if self._should_remove(el, tag):
                _drop(el)

    def _should_remove(self, el: HtmlElement, tag: str) -> bool:
        text = inner_text(el)
        is_list = tag in ("ul", "ol")
        if not is_list and text:
            list_length = sum(len(inner_text(li)) for li in el.iterdescendants("ul", "ol"))
            is_list = list_length / len(text) > 0.9
        if tag == "table" and el in self.data_tables:
            return False
        if _has_ancestor(el, "table", -1, lambda t: t in self.data_tables):
            return False
        if _has_ancestor(el, "code"):
            return False
        if any(t in self.data_tables for t in el.iter("table")):
            return False
        weight = self.class_weight(el)
        if weight < 0:
            return True
        if _commas(text) >= 10:
            return False
        paragraphs = sum(1 for _ in el.iter("p"))
        images = sum(1 for _ in el.iter("img"))
        items = sum(1 for _ in el.iter("li")) - 100
        inputs = sum(1 for _ in el.iter("input"))
        heading_density = _text_density(el, _HEADINGS)
        embeds = 0
        for embed in el.iter("object", "embed", "iframe"):
            if any(_VIDEOS.search(v) for v in embed.attrib.values()):
                return False
            if embed.tag == "object" and _VIDEOS.search(lxml.etree.tostring(embed, encoding=str)):
                return False
            embeds += 1
        if _AD_WORDS.match(text) or _LOADING_WORDS.match(text):
            return True
        length = len(text)
        density = _link_density(el)
        text_density = _text_density(el, _TEXTISH)
        in_figure = _has_ancestor(el, "figure")
        remove = (
            (not in_figure and images > 1 and paragraphs / images < 0.5)
            or (not is_list and items > paragraphs)
            or (inputs > paragraphs // 3)
            or (
                not is_list
                and not in_figure
                and heading_density < 0.9
                and length < 25
                and (images == 0 or images > 2)
                and density > 0
            )
            or (not is_list and weight < 25 and density > 0.2)
            or (weight >= 25 and density > 0.5)
            or ((embeds == 1 and length < 75) or embeds > 1)
            or (images == 0 and text_density == 0)
        )
        if is_list and remove:
            for child in el:
                if len(child) > 1:
                    return remove
            if images == sum(1 for _ in el.iter("li")):
                return False
        return remove

    def clean(self, article: HtmlElement) -> None:
        self.mark_data_tables(article)
        self.clean_conditionally(article, "form")
        self.clean_conditionally(article, "fieldset")
        for tag in _DROP_IN_ARTICLE:
            for el in list(article.iter(tag)):
                if tag in ("object", "embed", "iframe") and any(
                    _VIDEOS.search(v) for v in el.attrib.values()
                ):
                    continue
                _drop(el)
        for child in list(article):
            for el in list(child.iter()):
                if el.getparent() is None:
                    continue
                match = _match_string(el)
                if (
                    match != " "
                    and _SHARE.search(match)
                    and len(el.text_content()) < CHAR_THRESHOLD
                ):
                    _drop(el)
        for tag in _DROP_IN_ARTICLE_2:
            for el in list(article.iter(tag)):
                _drop(el)
        for el in list(article.iter("h1", "h2")):
            if self.class_weight(el) < 0:
                _drop(el)
        for tag in ("table", "ul", "div"):
            self.clean_conditionally(article, tag)
        total = len(inner_text(article)) or 1
        for el in list(article.iter()):
            if el is article or el.getparent() is None:
                continue
            match = _match_string(el)
            if match != " " and _FURNITURE.search(match) and len(inner_text(el)) < 0.3 * total:
                _drop(el)
        for el in list(article.iter("p")):
            if not any(True for _ in el.iter("img", "embed", "object", "iframe")) and not (
                el.text_content().strip()
            ):
                _drop(el)

    def run(self, page: HtmlElement) -> tuple[HtmlElement, int]:
        """The article element built by this attempt and the length of its text."""
        to_score = self.prepare(page)
        candidates = self.score(page, to_score)
        top = self.top_candidate(page, candidates)
        article = page.makeelement("div", {})
        if top is None:
            # Nothing stood out: the whole body is the article.
            article.text = page.text
            for child in list(page):
                article.append(child)
            self.scores[article] = 0
        else:
            for el in self.join_siblings(top):
                article.append(el)
                el.tail = None  # the text after a sibling is not part of it
                if el.tag not in _KEEP_AS_IS:
                    # cleaned as a div (as the reference algorithm does); its kind is kept
                    el.set("data-provenance-tag", el.tag)
                    el.tag = "div"
        self.lengths.clear()  # cleaning changes the tree
        self.link_chars.clear()
        self.clean(article)
        for el in article.iter():
            tag = el.attrib.pop("data-provenance-tag", None)
            if tag:
                el.tag = tag
        return article, len(inner_text(article))


def _wrap_phrasing(div: HtmlElement) -> None:
    """Put runs of inline content of a div into paragraphs, as a browser's reader view does."""
    paragraph: HtmlElement | None = None
    if div.text and div.text.strip():
        paragraph = div.makeelement("p", {})
        paragraph.text = div.text
        div.text = None
        div.insert(0, paragraph)
    for child in list(div):
        if child is paragraph:
            continue
        if _phrasing(child):
            if paragraph is not None:
                paragraph.append(child)  # the tail, inline text too, moves with it
            elif child.tag != "br" or (child.tail and child.tail.strip()):
                paragraph = div.makeelement("p", {})
                child.addprevious(paragraph)
                paragraph.append(child)
        else:
            paragraph = None
            if child.tail and child.tail.strip():
                paragraph = div.makeelement("p", {})
                paragraph.text = child.tail
                child.tail = None
                child.addnext(paragraph)


def _replace_brs(body: HtmlElement) -> None:
    """Two or more <br> in a row end a paragraph: turn the text after them into a <p>."""
    for br in list(body.iter("br")):
        if br.getparent() is None:
            continue
        replaced = False
        following = br.getnext()
        while following is not None and following.tag == "br" and not (br.tail and br.tail.strip()):
            replaced = True
            br.tail = (br.tail or "") + (following.tail or "")
            following.getparent().remove(following)
            following = br.getnext()
        if not replaced:
            continue
        paragraph = br.makeelement("p", {})
        paragraph.text = br.tail
        br.tail = None
        br.addprevious(paragraph)
        br.getparent().remove(br)
        sibling = paragraph.getnext()
        while sibling is not None:
            if sibling.tag == "br":
                after = sibling.getnext()
                if after is not None and after.tag == "br" and not (sibling.tail or "").strip():
                    break
            if not _phrasing(sibling):
                break
            following = sibling.getnext()
            paragraph.append(sibling)
            sibling = following
        parent = paragraph.getparent()
        if parent is not None and parent.tag == "p":
            parent.tag = "div"


def prepare_document(tree: HtmlElement) -> HtmlElement | None:
    """Drop scripts, styles and comments, turn <br><br> into paragraphs; return the body."""
    lxml.etree.strip_elements(
        tree, lxml.etree.Comment, lxml.etree.ProcessingInstruction, with_tail=False
    )
    for el in list(tree.iter(*_DROP_ALWAYS)):
        _drop(el)
    body = tree.find("body")
    if body is None:
        body = tree if tree.tag == "body" else None
    if body is None:
        return None
    _replace_brs(body)
    for el in body.iter("font"):
        el.tag = "span"
    return body


def extract_main_text(tree: HtmlElement, title: str | None = None) -> MainText:
    """The blocks of the page's main text (the tree is modified)."""
    body = prepare_document(tree)
    result = MainText()
    if body is None:
        return result
    flags = STRIP_UNLIKELY | WEIGHT_CLASSES | CLEAN_CONDITIONALLY
    attempts: list = []
    for relax in (0, STRIP_UNLIKELY, WEIGHT_CLASSES, CLEAN_CONDITIONALLY):
        flags &= ~relax
        attempt = _Attempt(flags, title)
        article, length = attempt.run(copy.deepcopy(body))
        attempts.append((length, article, attempt.byline, attempt.title_heading))
        if length >= CHAR_THRESHOLD:
            break
    length, article, byline, heading = max(attempts, key=lambda a: a[0])
    result.blocks = list(iter_blocks(article))
    if heading and not (result.blocks and result.blocks[0][1].strip() == heading):
        result.blocks.insert(0, ("heading", heading))
    result.byline = byline
    return result


# --- from an element tree to blocks --------------------------------------------------------

_BLOCK_TAGS = {
    "address",
    "article",
    "aside",
    "blockquote",
    "caption",
    "center",
    "dd",
    "details",
    "dialog",
    "div",
    "dl",
    "dt",
    "fieldset",
    "figcaption",
    "figure",
    "footer",
    "form",
    "h1",
    "h2",
    "h3",
    "h4",
    "h5",
    "h6",
    "header",
    "hgroup",
    "hr",
    "li",
    "main",
    "nav",
    "ol",
    "p",
    "pre",
    "section",
    "summary",
    "table",
    "tbody",
    "td",
    "tfoot",
    "th",
    "thead",
    "tr",
    "ul",
}
_SKIP_TEXT = {"script", "style", "noscript", "template", "svg", "math", "select", "option"}
_CELL_BLOCKS = ("p", "div", "ul", "ol", "table", "blockquote", "pre", "h1", "h2", "h3", "h4")


def _kind(tag: str, inherited: str) -> str:
    if tag in _HEADINGS:
        return "heading"
    if tag == "li" or tag == "dt" or tag == "dd":
        return "list-item" if inherited == "paragraph" else inherited
    if tag in ("figcaption", "caption"):
        return "caption"
    if tag == "pre":
        return "preformatted"
    if tag == "blockquote":
        return "quotation"
    return inherited


def iter_blocks(root: HtmlElement, kind: str = "paragraph") -> Iterator[tuple[str, str]]:
    """(kind, text) for each block of text under ``root``, in document order.

    Inline text is joined; block elements start a new block; ``<br>`` is a line break; source
    line breaks are only whitespace (except in ``<pre>``). A table row whose cells hold no
    blocks is one ``table-row`` block with its cells joined by `` | ``.
    """
    buffer: list[str] = []
    preformatted = kind == "preformatted"

    def flush() -> Iterator[tuple[str, str]]:
        text = "".join(buffer)
        buffer.clear()
        if text.strip():
            yield kind, text

    def add(text: str | None) -> None:
        if text:
            buffer.append(text if preformatted else _WS.sub(" ", text))

    def inline(node: HtmlElement) -> Iterator[tuple[str, str]]:
        add(node.text)
        for child in node:
            tag = child.tag
            if not isinstance(tag, str) or tag in _SKIP_TEXT:
                pass
            elif tag == "br":
                buffer.append("\n")
            elif tag in _BLOCK_TAGS:
                yield from flush()
                if tag == "tr" and not any(True for _ in child.iterdescendants(*_CELL_BLOCKS)):
                    cells = [inner_text(c) for c in child if c.tag in ("td", "th")]
                    row = " | ".join(c for c in cells if c)
                    if row:
                        yield "table-row", row
                else:
                    yield from iter_blocks(child, _kind(tag, kind))
            else:
                yield from inline(child)
            add(child.tail)

    yield from inline(root)
    yield from flush()
