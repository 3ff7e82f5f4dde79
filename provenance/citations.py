"""Mentions of other documents, and their resolution to the stored sources they name.

A **mention** is found in a text layer (:func:`find_mentions`) or in a page's hyperlinks
(:func:`link_mentions`) and stored as a ``citations`` row. Kinds:

- ``cable``: a cable reference id ("08TRIPOLI120"); ``cable-ref``: a REF line of a cable;
- ``url``: a URL written in the text; ``link``: a hyperlink of an HTML page, its anchor text
  ("click here", "An October 2005 cable") being the mention;
- ``doi``: a DOI;
- ``description``: a document described in words: "a leaked 2008 State Department cable",
  "an embassy cable sent that spring", "a report by West Point's Combating Terrorism Center
  released later that year".

:func:`resolve_citations` resolves them, in both directions (the new sources' mentions of
stored documents, and stored mentions of the new documents):

- identifiers by index lookups (reference id, URL, canonical URL; a cable id or DOI inside a
  URL), confidence 1.0 for an exact identifier, 0.9 for an id read from a URL;
- descriptions by what they say: the kind of document, its date ("2008", "January 2008",
  "30 July 2009", "that spring" read against the last year named before it), its origin
  ("from the US embassy in Bogota") and author ("by Ambassador Clifford Sobel"), its title,
  and content: quotations in the same passage traced to a source, claims of the passage
  linked to claims of a source, and full-text similarity among the few sources the
  constraints leave. A description is resolved only when one candidate is clearly best; the
  ``evidence`` column says what decided it, and ``confidence`` how clearly. Otherwise it stays
  unresolved: a wrong source is worse than none.

Attributions to a document ("according to the cable") point at the document the source
last cited of that kind (``attributions.cited_source_id``).
"""

from __future__ import annotations

import json
import math
import re
import sqlite3
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, timedelta
from urllib.parse import urljoin, urlsplit

from . import __version__, kinds, similarity, works
from .similarity import STOP_WORDS, fold

IDENTIFIER_METHOD = "identifier-0.3"  # 0.3: renditions and time's arrow excluded
LINK_METHOD = "link-0.1"
DESCRIPTION_METHOD = "description-0.2"  # 0.2: candidates and reason always stored
#: A description resolved by what it states and the content of its passage alone (see
#: :func:`_content_fit`): looked at again when another cable that fits it arrives.
FIT_METHOD = "description-fit-0.1"


@dataclass
class MentionRecord:
    """A mention of another document: a citation waiting to be resolved."""

    start: int | None
    end: int | None
    mention: str
    kind: str
    identifier: str | None
    claim: int | None = None


# --- finding mentions --------------------------------------------------------------------

_CABLE_ID = re.compile(r"\b(?:[0-9]{2})(?:[A-Z]{3,}[A-Z]*)\d{1,6}\b")
_URL = re.compile(r"\bhttps?://[^\s<>\"'()\[\]]+[^\s<>\"'()\[\].,;:!?…]")
_DOI = re.compile(r"\b10\.\d{4,9}/[^\s\"<>]+[^\s\"<>.,;:]")

_CABLE_NOUNS = {"cable", "telegram", "memo", "memorandum", "dispatch", "telex"}
_REPORT_NOUNS = {"report", "study", "paper", "assessment", "briefing", "survey", "review"}
_DOC_NOUN = re.compile(
    r"\b(?P<noun>cable|telegram|memo|memorandum|dispatch|telex|report|study|paper|assessment|"
    r"briefing|survey|review|document|white paper)\b(?!-)",
    re.I,
)
_DETERMINERS = {"a", "an", "one", "another", "the", "this", "that", "its", "their", "his", "her"}
_MODIFIERS = set(
    """
    leaked secret confidential classified unclassified sensitive diplomatic internal new recent
    previous earlier later subsequent separate second third first further detailed lengthy
    brief short long annual official government embassy consulate mission state department
    follow-up follow up final draft private public joint special key same other
    """.split()
)
_MONTHS = {
    name: number
    for number, names in enumerate(
        [
            ("january", "jan"),
            ("february", "feb"),
            ("march", "mar"),
            ("april", "apr"),
            ("may",),
            ("june", "jun"),
            ("july", "jul"),
            ("august", "aug"),
            ("september", "sep", "sept"),
            ("october", "oct"),
            ("november", "nov"),
            ("december", "dec"),
        ],
        1,
    )
    for name in names
}
_MONTH = r"(?:January|February|March|April|May|June|July|August|September|October|November|December|Jan|Feb|Mar|Apr|Jun|Jul|Aug|Sept?|Oct|Nov|Dec)\.?"
_YEAR = r"(?:19[4-9]\d|20[0-4]\d)"
_SEASONS = {
    "spring": (3, 5),
    "summer": (6, 8),
    "autumn": (9, 11),
    "fall": (9, 11),
    "winter": (12, 2),
}
# What may follow the noun: participial and prepositional phrases that describe the document.
_POST = re.compile(
    r"(?:\s*,?\s*(?:(?:sent|dated|written|dispatched|released|published|issued|signed|drafted|"
    r"transmitted|obtained|leaked|authored|prepared|from|by|of|on|in|titled|entitled|called|"
    r"headlined|numbered|marked)\b"
    r"(?:[^,.;:!?()\[\]“”\"]|\.(?=\w)|(?<=\b[A-Z])\.|,(?=\s*(?:1[89]|20)\d\d\b))*?"
    r"(?=,(?!\s*(?:1[89]|20)\d\d\b)|[;:!?()\[\]“”\"]|\.(?!\w)(?<!\b[A-Z]\.)|$|\s(?:shows?|says?|said|reveals?|revealed|notes?|noted|describes?|"
    r"details?|suggests?|warns?|claims?|reported|quotes?|quoted|states?|stated|adds?|explains?|"
    r"indicates?|contains?|found|finds|concluded|concludes|estimated|estimates|argued|argues|"
    r"recommended|recommends|documented|documents|listed|lists|urged|urges|warned|identified|"
    r"showed|called|calls|put|puts|gave|gives|cited|cites|described|"
    r"was|is|were|are|has|had|have|which|who|and|but|"
    r"that(?!\s+(?:year|spring|summer|autumn|fall|winter|month|week|day)\b))\b)))+",
)
_TITLE = re.compile(
    r"\s*[:,]?\s*(?:titled|entitled|called|headlined)?\s*[:,]?\s*[“\"‘']([^”\"’]{4,160})[”\"’]"
)


def find_mentions(text: str) -> list[MentionRecord]:
    """Mentions of other documents in a text: identifiers and descriptions."""
    found: list[MentionRecord] = []
    for kind, pattern in (("cable", _CABLE_ID), ("url", _URL), ("doi", _DOI)):
        for match in pattern.finditer(text):
            value, end = match.group(0), match.end()
            while value[-1] in ")]" and value.count(value[-1]) > value.count(
                "(["[")]".index(value[-1])]
            ):
                value, end = value[:-1], end - 1  # "(doi:10.1/x)": the bracket is the sentence's
            found.append(MentionRecord(match.start(), end, value, kind, value))
    taken = [(m.start or 0, m.end or 0) for m in found]
    for start, end in description_spans(text):
        if not any(a < end and start < b for a, b in taken):
            found.append(MentionRecord(start, end, text[start:end], "description", None))
    return found


_TOKEN_BACK = re.compile(r"([\w'’.-]+)\s*$")


def description_spans(text: str) -> list[tuple[int, int]]:
    """Spans of noun phrases that describe one document with at least one qualifier:
    "a leaked 2008 State Department cable", "the January 2008 cable", "an embassy cable sent
    that spring", "a report by the Combating Terrorism Center". Bare "the cable" (an anaphor)
    and plurals are left out."""
    spans = []
    for match in _DOC_NOUN.finditer(text):
        noun = match.group("noun").lower()
        pos = match.start()
        modifiers: list[str] = []
        determiner = None
        while len(modifiers) <= 7:
            back = _TOKEN_BACK.search(text, max(0, pos - 40), pos)
            if not back:
                break
            word = back.group(1)
            if text[back.end() : pos].count("\n"):
                break
            lowered = word.lower().rstrip(".")
            if lowered in _DETERMINERS:
                determiner = (back.start(1), lowered)
                break
            if not _is_modifier(word):
                break
            modifiers.insert(0, word)
            pos = back.start(1)
        if determiner is None:
            continue
        start = determiner[0]
        end = match.end()
        post = _POST.match(text, end)
        if post:
            end = post.end()
        title = _TITLE.match(text, end)
        if title and (noun in _REPORT_NOUNS or noun in _CABLE_NOUNS or noun == "document"):
            if text[end : title.start(1)].strip(" :,“\"‘'") in (
                "",
                "titled",
                "entitled",
                "called",
                "headlined",
            ):
                end = title.end()
        bare = _BARE_TITLE.search(text, match.end(), min(len(text), end + 300))
        if bare and bare.start() < end and not title:  # may hold a colon, which ends _POST
            end = max(end, bare.end())
        phrase = text[start:end]
        qualified = (
            bool(re.search(_YEAR, phrase))
            or bool(re.search(rf"\b{_MONTH}", phrase))
            or any(w.lower() in _MODIFIERS - {"same", "other"} for w in modifiers)
            or any(w[:1].isupper() for w in modifiers)
            or end > match.end()
        )
        if determiner[1] in ("the", "this", "that", "its", "their", "his", "her"):
            # a definite description needs a date, a title or an origin to say which one
            qualified = bool(
                re.search(_YEAR, phrase)
                or re.search(rf"\b{_MONTH}", phrase)
                or title
                or re.search(
                    r"\b(?:from|by|sent|dated|titled|entitled)\b", phrase[match.end() - start :]
                )
            )
        if qualified:
            spans.append((start, end))
    return spans


def _is_modifier(word: str) -> bool:
    lowered = word.lower().rstrip(".")
    if lowered in _MODIFIERS or re.fullmatch(_YEAR, word) or lowered in _MONTHS:
        return True
    if re.fullmatch(r"\d{1,2}(?:st|nd|rd|th)?", lowered):
        return True
    if word[:1].isupper() and lowered not in STOP_WORDS:
        return True  # "State Department", "Embassy", "U.S.", "West Point's"
    return bool(re.fullmatch(r"[a-z]+-[a-z]+", lowered))  # "follow-up", "year-end"


# --- hyperlinks of HTML pages -------------------------------------------------------------


def link_mentions(
    anchors: list[tuple[str, str]], text: str, base_url: str | None
) -> list[MentionRecord]:
    """Hyperlinks of an HTML page (``Extracted.anchors``) whose anchor text is in the text
    layer: each one a mention (``kind='link'``) of the document its URL names, spanning the
    anchor text."""
    found: list[MentionRecord] = []
    cursor = 0
    for href, anchor_text in anchors:
        url = urljoin(base_url, href) if base_url else href
        if urlsplit(url).scheme not in ("http", "https") and not _id_in_url(url):
            continue  # a relative link of a page without an address, naming no document
        words = re.findall(r"\w+(?:['’]\w+)*|[^\w\s]", anchor_text)
        if not words:
            continue
        span = find_words(text, words, cursor)
        if span is None:
            continue
        cursor = span[1]
        found.append(MentionRecord(span[0], span[1], text[span[0] : span[1]], "link", url))
    return found


def find_words(text: str, words: list[str], start: int = 0) -> tuple[int, int] | None:
    r"""The first span of ``text`` from ``start`` on that is ``words`` in order, with any
    whitespace (or none) between them: what ``re.search(r"\s*".join(map(re.escape, words)))``
    finds, without compiling a pattern per anchor (a page has hundreds). ``words`` hold no
    whitespace, so taking all the whitespace after a word is what the pattern does too."""
    first, rest = words[0], words[1:]
    at = text.find(first, start)
    while at >= 0:
        end = at + len(first)
        for word in rest:
            while end < len(text) and text[end].isspace():
                end += 1
            if not text.startswith(word, end):
                break
            end += len(word)
        else:
            return at, end
        at = text.find(first, at + 1)
    return None


def page_link_mentions(documents: list, base_url: str | None) -> list[list[MentionRecord]]:
    """Link mentions of an HTML capture, one list per document (the page, then its posts),
    with offsets into each document's own text layer. A link to the document itself (a
    headline linking to the story's own address, a post's title to its permalink) names no
    other document and is left out."""
    page = documents[0]
    found = link_mentions(page.anchors, page.text, base_url)
    per_document: list[list[MentionRecord]] = [[] for _ in documents]
    children = documents[1:]
    own = _addresses(page, base_url)
    for mention in found:
        if not children:
            if _address(mention.identifier) not in own:
                per_document[0].append(mention)
            continue
        for index, child in enumerate(children, 1):
            a, b = child.parent_start, child.parent_end
            if a is not None and b is not None and a <= mention.start and mention.end <= b:
                if _address(mention.identifier) in _addresses(child, None) | own:
                    break
                mention.start -= a
                mention.end -= a
                per_document[index].append(mention)
                break
    return per_document


def _addresses(document, base_url: str | None) -> set[str]:
    """The addresses a document is known by (its URL, canonical URL, the page's base)."""
    values = (getattr(document, "url", None), getattr(document, "canonical_url", None), base_url)
    return {_address(v) for v in values if v}


def _address(url: str | None) -> str:
    """A URL as compared for identity (:func:`provenance.works.address`); "" for none."""
    return works.address(url) if url else ""


def claim_of(mentions: list[MentionRecord], claim_spans: list[tuple[int, int]]) -> None:
    """Set each mention's claim to the index of the claim span holding it."""
    for mention in mentions:
        if mention.start is None:
            continue
        for index, (start, end) in enumerate(claim_spans):
            if start <= mention.start < end:
                mention.claim = index
                break


# --- constraints of a description ----------------------------------------------------------


@dataclass
class Target:
    """What a description says about the document it names."""

    kinds: tuple[str, ...] | None = None  # source kinds it may be
    date_from: str | None = None
    date_to: str | None = None
    precision: str | None = None  # day | month | season | year
    origin: str | None = None  # place or post named: "bogota", "cairo"
    author: str | None = None  # person or organisation named after "by"
    title: str | None = None
    bare_title: bool = False  # written without quotation marks: where it ends is a guess

    @property
    def kind_label(self) -> str | None:
        if self.kinds == kinds.kinds_described_as("cable"):
            return "cable"
        return "document" if self.kinds is None else "report"


_DAY_DATE = re.compile(
    rf"\b(?P<d1>[0-3]?\d)(?:st|nd|rd|th)?\s*(?:of\s+)?(?P<m1>{_MONTH}),?\s+(?P<y1>{_YEAR})\b"
    rf"|\b(?P<m2>{_MONTH})\s+(?P<d2>[0-3]?\d)(?:st|nd|rd|th)?,?\s+(?P<y2>{_YEAR})\b",
    re.I,
)
_MONTH_YEAR = re.compile(rf"\b(?P<m>{_MONTH})\s*(?:of\s+)?(?P<y>{_YEAR})\b", re.I)
_YEAR_RE = re.compile(rf"\b{_YEAR}\b")
_CONTEXT_YEAR = re.compile(
    r"\b(?:that|the same|the following|the previous)\s+(?P<unit>year|spring|summer|autumn|fall|winter|month)\b",
    re.I,
)
_SEASON_YEAR = re.compile(
    rf"\b(?P<s>spring|summer|autumn|fall|winter)\s+(?:of\s+)?(?P<y>{_YEAR})\b", re.I
)
_RELEASE_VERBS = re.compile(r"\b(?:released|published|leaked|obtained|made public|posted)\b", re.I)


def _month_number(name: str) -> int:
    return _MONTHS[name.lower().rstrip(".")]


def _month_range(year: int, first: int, last: int) -> tuple[str, str]:
    if last < first:  # winter: December to February of the next year
        return f"{year}-{first:02d}-01", _month_end(year + 1, last)
    return f"{year}-{first:02d}-01", _month_end(year, last)


def _month_end(year: int, month: int) -> str:
    nxt = date(year + (month == 12), month % 12 + 1, 1)
    return (nxt - timedelta(days=1)).isoformat()


def parse_target(text: str, start: int, end: int) -> Target:
    """The constraints a description at ``text[start:end]`` puts on the document it names."""
    phrase = text[start:end]
    noun = _DOC_NOUN.search(phrase)
    noun_word = noun.group("noun").lower() if noun else "document"
    target = Target()
    if noun_word in _CABLE_NOUNS:
        target.kinds = kinds.kinds_described_as("cable")
    elif re.search(r"\b(?:newspaper|magazine|website|blog|news)\b", phrase, re.I):
        target.kinds = kinds.kinds_described_as("report")
    # A date after "released/published by WikiLeaks" dates the leak, not a cable.
    dating = phrase
    if target.kinds == kinds.kinds_described_as("cable") and noun:
        release = _RELEASE_VERBS.search(phrase, noun.end())
        if release:
            dating = phrase[: release.start()]
    if m := _DAY_DATE.search(dating):
        day = int(m["d1"] or m["d2"])
        month = _month_number(m["m1"] or m["m2"])
        year = int(m["y1"] or m["y2"])
        try:
            value = date(year, month, day)
        except ValueError:
            value = None
        if value:
            target.date_from = (value - timedelta(days=1)).isoformat()
            target.date_to = (value + timedelta(days=1)).isoformat()
            target.precision = "day"
    if target.precision is None and (m := _MONTH_YEAR.search(dating)):
        year, month = int(m["y"]), _month_number(m["m"])
        target.date_from, target.date_to = _month_range(year, month, month)
        target.precision = "month"
    if target.precision is None and (m := _SEASON_YEAR.search(dating)):
        first, last = _SEASONS[m["s"].lower()]
        target.date_from, target.date_to = _month_range(int(m["y"]), first, last)
        target.precision = "season"
    if target.precision is None and (m := _CONTEXT_YEAR.search(dating)):
        year = _last_year_before(text, start)
        if year:
            unit = m["unit"].lower()
            if unit in _SEASONS:
                first, last = _SEASONS[unit]
                target.date_from, target.date_to = _month_range(year, first, last)
                target.precision = "season"
            else:
                target.date_from, target.date_to = f"{year}-01-01", f"{year}-12-31"
                target.precision = "year"
    if target.precision is None and (m := _YEAR_RE.search(dating)):
        year = int(m.group(0))
        target.date_from, target.date_to = f"{year}-01-01", f"{year}-12-31"
        target.precision = "year"
    # The first place named that is a post ("the U.S. embassy from Panama City": Panama City).
    # Matches may overlap (a lookahead): "by the US embassy in Tripoli" is first "US embassy",
    # which names no place, then "embassy in Tripoli".
    for origin in _ORIGIN.finditer(phrase):
        place = origin["a"] or origin["b"] or origin["c"]
        words = [w for w in re.findall(r"[\w’'.-]+", place) if w[:1].isupper()]
        place_key = fold(" ".join(words)).strip(" .")
        place_words = place_key.replace(".", "").split()
        if (
            place_key
            and not _NOT_PLACES.intersection(place_words)
            and not _MONTHS.keys() & set(place_words)  # "a cable from February 2008"
        ):
            target.origin = place_key
            break
    author = re.search(
        r"\bby\s+(?:the\s+)?(?P<by>[A-Z][\w’'.-]*"
        r"(?:\s+(?:(?:of|for|and|on|the|de|du|la|al)\s+)*[A-Z][\w’'.-]*){0,8})",
        phrase,
    )
    if author and not re.match(r"(?:Wiki[Ll]eaks|WikiLeaks)\b", author["by"]):
        named = author["by"].strip()
        # "by the U.S. embassy": a sender every cable has, not an author that narrows them
        if set(fold(named).replace(".", "").split()) - _NOT_PLACES - _SENDERS:
            target.author = named
    if title := _TITLE.search(phrase, noun.end() if noun else 0):
        target.title = title.group(1).strip()
    elif title := _BARE_TITLE.search(phrase, noun.end() if noun else 0):
        target.title = title["title"].strip()
        target.bare_title = True
    return target


# A title without quotation marks: "a cable titled Harbour Governor Hosts Dinner for Grain
# Traders", "entitled VELMORA: NEW BOND ISSUE": two capitalised words or more, short lower-case
# words between them ("for", "of"), up to the first other word.
_TITLE_WORD = r"[A-Z0-9](?:[\w’'&/-]|\.(?=\w))*:?"
_SMALL_WORD = r"(?:of|for|the|and|in|on|to|a|an|at|with|by|from|or|as)"
_BARE_TITLE = re.compile(
    rf"\b(?:titled|entitled|headlined)\s*:?\s+(?P<title>{_TITLE_WORD}"
    rf"(?:\s+(?:{_SMALL_WORD}\s+)*{_TITLE_WORD})+)"
)


# Words before "embassy" or after "from" that do not name a post.
_NOT_PLACES = {"us", "u", "s", "american", "the", "a", "an", "state", "washington", "department",
               "one", "another", "its", "their", "new", "leaked", "secret", "wikileaks",
               "embassy", "consulate", "mission", "post"}  # fmt: skip
_ORIGIN = re.compile(
    r"(?=\b(?i:embassy|consulate|mission|post)\s+(?:in|at|of|to)\s+"
    r"(?P<a>[A-Z][\w’'.-]+(?:\s+[A-Z][\w’'.-]+)?)"
    r"|\b(?P<b>[A-Z][\w’'.-]+(?:\s+[A-Z][\w’'.-]+)?)\s+(?i:embassy|consulate)\b"
    r"|\bfrom\s+(?:the\s+)?(?P<c>[A-Z][\w’'.-]+(?:\s+[A-Z][\w’'.-]+)?))"
)


# Words of a sender that every cable of a post shares.
_SENDERS = {"embassy", "consulate", "mission", "post", "us", "usg", "government"}


def _last_year_before(text: str, position: int) -> int | None:
    years = _YEAR_RE.findall(text, max(0, position - 3000), position)
    return int(years[-1]) if years else None


# --- resolution ---------------------------------------------------------------------------


def resolve_citations(conn: sqlite3.Connection, source_ids: list[int]) -> int:
    """Resolve identifiers and descriptions of and to these sources; return how many resolved."""
    resolved = _resolve_identifiers(conn, source_ids)
    revoked: set[int] = set()  # citing sources of descriptions resolved anew
    resolved += _resolve_descriptions(conn, source_ids, revoked)
    _resolve_attributions(conn, source_ids, revoked)
    return resolved


def _marks(values: Iterable) -> str:
    return ",".join("?" for _ in values)


#: A cable's reference id at the end of a URL's path: Cablegate's ".../08TRIPOLI154.html" and
#: PlusD's ".../plusd/cables/08TRIPOLI154_a.html" (a letter for the copy).
_URL_CABLE = re.compile(r"(?<![A-Za-z0-9])(\d{2}[A-Z]{3,}\d{1,6})(?:_[a-z])?(?:\.html?)?(?:[?#]|$)")
_URL_DOI = re.compile(r"\b(10\.\d{4,9}/\S+)$")


def _lookup(
    conn: sqlite3.Connection, kind: str, identifier: str, citing: int
) -> tuple[int, float] | None:
    """The source an identifier names, and how sure that is."""
    if kind in ("cable", "cable-ref"):
        row = conn.execute(
            "SELECT id FROM sources WHERE reference_id = ? AND id != ? ORDER BY id LIMIT 1",
            (identifier, citing),
        ).fetchone()
        if row:
            return row[0], 1.0
        found = _cable_by_short_post(conn, identifier, citing)
        if found is not None:
            return found, SHORT_POST_CONFIDENCE
        found = _cable_by_serial(conn, identifier, citing)
        return (found, SERIAL_CONFIDENCE) if found is not None else None
    if kind in ("url", "link", "doi"):
        candidates = [identifier]
        if kind == "doi":
            candidates += [f"https://doi.org/{identifier}", f"http://dx.doi.org/{identifier}"]
        for url in candidates:
            rows = conn.execute(
                "SELECT id, retrieved FROM sources WHERE url = ? AND id != ?"
                " UNION SELECT id, retrieved FROM sources WHERE canonical_url = ? AND id != ?"
                " ORDER BY id LIMIT 50",
                (url, citing, url, citing),
            ).fetchall()
            if rows:
                return _capture_seen_by(conn, rows, citing), 1.0
        if kind != "doi":
            path = urlsplit(identifier).path
            if m := _URL_CABLE.search(path.rsplit("/", 1)[-1]):
                found = _lookup(conn, "cable", m.group(1), citing)
                if found:
                    return found[0], 0.9
            if m := _URL_DOI.search(path.lstrip("/")):
                found = _lookup(conn, "doi", m.group(1), citing)
                if found:
                    return found[0], 0.9
    return None


def _capture_seen_by(conn: sqlite3.Connection, rows: list, citing: int) -> int:
    """Of the captures of a cited URL (``(id, retrieved)`` in id order), the one the citing
    source linked to as far as the archive can tell: the latest captured at or before the
    citing source was published (or, undated, retrieved); the earliest when all are later."""
    if len(rows) == 1:
        return rows[0][0]
    moment = conn.execute(
        "SELECT coalesce(published, retrieved, added) FROM sources WHERE id = ?", (citing,)
    ).fetchone()
    before = [
        (retrieved, source_id)
        for source_id, retrieved in rows
        if moment and moment[0] and retrieved and retrieved <= moment[0]
    ]
    return max(before)[1] if before else rows[0][0]


#: Confidence of a cable found by its post and serial number alone (its text states no year).
SERIAL_CONFIDENCE = 0.8
_CABLE_PARTS = re.compile(r"^(\d{2})([A-Z]+?)0*(\d{1,6})$")
#: Years a cable's two-digit prefix may stand for (the archive runs from 1966 to 2010).
_CABLE_YEARS = [f"{y % 100:02d}" for y in range(1966, 2011)]


#: Confidence of a cable found by its post's name cut short ("USUN 1254" for USUN NEW YORK,
#: a page header's "RIO DE JAN 00000205"): the one stored cable of that year and serial number
#: whose post's name begins so.
SHORT_POST_CONFIDENCE = 0.9


_SHORT_POST = "year, serial number and the post's name cut short"


def _short_post_identifiers(reference_id: str) -> list[str]:
    """The ids a cable is cited by with its post's name cut short to three letters or more
    ("08RIODEJANEIRO205": "08RIO205" ... "08RIODEJANEIR205")."""
    m = _CABLE_PARTS.match(reference_id)
    if not m:
        return []
    year, post, serial = m.group(1), m.group(2), int(m.group(3))
    return [f"{year}{post[:n]}{serial}" for n in range(3, len(post))]


def _cable_by_short_post(conn: sqlite3.Connection, identifier: str, citing: int) -> int | None:
    """The one stored cable of the year and serial number of ``identifier`` whose post's name
    begins with the name it gives (several such cables: none)."""
    m = _CABLE_PARTS.match(identifier)
    if not m:
        return None
    year, post, serial = m.group(1), m.group(2), int(m.group(3))
    if len(post) < 3:  # "B 123": a list's letter read as a post, no name at all
        return None
    shape = re.compile(rf"{year}{post}[A-Z]+0*{serial}")
    found: dict[str, int] = {}
    for source_id, reference_id in conn.execute(
        "SELECT id, reference_id FROM sources WHERE reference_id GLOB ? AND id != ? ORDER BY id",
        (f"{year}{post}[A-Z]*", citing),
    ):
        if shape.fullmatch(reference_id):
            found.setdefault(reference_id, source_id)  # its first stored, as an exact id finds
    return next(iter(found.values())) if len(found) == 1 else None


def _post_key(post: str | None) -> str:
    return re.sub(r"[^A-Z]", "", (post or "").upper())


def _cable_by_serial(conn: sqlite3.Connection, identifier: str, citing: int) -> int | None:
    """The one stored cable without a reference id whose text names the post and serial number
    of ``identifier`` ("05CAIRO4534": CAIRO, 4534) and whose year, if stated, agrees."""
    m = _CABLE_PARTS.match(identifier)
    if not m:
        return None
    year, post, serial = m.group(1), m.group(2), int(m.group(3))
    found = [
        source_id
        for source_id, their_post, published in conn.execute(
            "SELECT id, json_extract(metadata, '$.post'), published FROM sources"
            " WHERE reference_id IS NULL AND kind = 'cable'"
            " AND json_extract(metadata, '$.serial') = ? AND id != ?",
            (serial, citing),
        )
        if _post_key(their_post) == post and (not published or published[2:4] == year)
    ]
    return found[0] if len(found) == 1 else None


def _serial_identifiers(metadata: str | None, published: str | None) -> list[str]:
    """The reference ids a cable without one may be cited by: its post and serial number with
    each year it can be from."""
    try:
        fields = json.loads(metadata or "{}")
    except ValueError:
        return []
    post, serial = _post_key(fields.get("post")), fields.get("serial")
    if not post or not isinstance(serial, int):
        return []
    years = [published[2:4]] if published else _CABLE_YEARS
    return [f"{year}{post}{serial}" for year in years]


def _id_in_url(url: str) -> str | None:
    """A cable reference id or a DOI that a URL carries in its path."""
    path = urlsplit(url).path
    if m := _URL_CABLE.search(path.rsplit("/", 1)[-1]):
        return m.group(1)
    if m := _URL_DOI.search(path.lstrip("/")):
        return m.group(1)
    return None


def _method(kind: str) -> str:
    return LINK_METHOD if kind == "link" else IDENTIFIER_METHOD


def _resolve_identifiers(conn: sqlite3.Connection, source_ids: list[int]) -> int:
    marks = _marks(source_ids)
    resolved = 0
    rows = conn.execute(
        f"SELECT id, kind, identifier, citing_source_id FROM citations"
        f" WHERE citing_source_id IN ({marks}) AND cited_source_id IS NULL"
        f" AND identifier IS NOT NULL",
        source_ids,
    ).fetchall()
    for citation_id, kind, identifier, citing in rows:
        found = _lookup(conn, kind, identifier, citing)
        if found is not None:
            rule, reason = _admissible(conn, citing, found[0])
            if rule is None:
                _unresolved(conn, citation_id, {"unresolved": reason, "candidates": [found[0]],
                                                "identifier": identifier})  # fmt: skip
                continue
            evidence = {"identifier": identifier, "rule": rule}
            if kind in ("cable", "cable-ref") and found[1] == SERIAL_CONFIDENCE:
                evidence["matched"] = "post and serial number"
            elif kind in ("cable", "cable-ref") and found[1] == SHORT_POST_CONFIDENCE:
                evidence["matched"] = _SHORT_POST
            _set(conn, citation_id, found[0], found[1], _method(kind), evidence)
            resolved += 1
        else:
            _unresolved(
                conn,
                citation_id,
                {"unresolved": "unresolved: no stored document has this identifier",
                 "candidates": [], "identifier": identifier},
            )  # fmt: skip
            # Remember the id a URL carries, so the document can claim it when it arrives.
            inner = _id_in_url(identifier) if kind in ("link", "url") else None
            if inner:
                conn.execute(
                    "UPDATE citations SET target_identifier = ? WHERE id = ?", (inner, citation_id)
                )
    # Stored citations of the documents just added.
    for source_id, reference_id, url, canonical, kind, metadata, published in conn.execute(
        "SELECT id, reference_id, url, canonical_url, kind, metadata, published FROM sources"
        f" WHERE id IN ({marks})",
        source_ids,
    ).fetchall():
        identifiers = {i for i in (reference_id, url, canonical) if i}
        identifiers |= {i for i in (_id_in_url(url or ""), _id_in_url(canonical or "")) if i}
        if kind == "cable" and not reference_id:
            # Cited by a reference id its text cannot state: the one cable of that post and
            # serial number (checked as the forward lookup checks it).
            for identifier in _serial_identifiers(metadata, published):
                for citation_id, citing in conn.execute(
                    "SELECT id, citing_source_id FROM citations WHERE identifier = ?"
                    " AND cited_source_id IS NULL AND citing_source_id != ?",
                    (identifier, source_id),
                ).fetchall():
                    if _cable_by_serial(conn, identifier, citing) == source_id:
                        rule = _admissible(conn, citing, source_id)[0]
                        if rule is None:
                            continue
                        _set(
                            conn, citation_id, source_id, SERIAL_CONFIDENCE, IDENTIFIER_METHOD,
                            {"identifier": identifier, "matched": "post and serial number",
                             "rule": rule},
                        )  # fmt: skip
                        resolved += 1
        short = _short_post_identifiers(reference_id) if kind == "cable" and reference_id else []
        if short:
            # Cited with its post's name cut short ("RIO DE JAN 00000205"): checked as the
            # forward lookup checks it.
            for citation_id, citing, identifier in conn.execute(
                f"SELECT id, citing_source_id, identifier FROM citations WHERE identifier IN"
                f" ({_marks(short)}) AND cited_source_id IS NULL AND citing_source_id != ?"
                f" AND kind IN ('cable', 'cable-ref')",
                [*short, source_id],
            ).fetchall():
                if _cable_by_short_post(conn, identifier, citing) != source_id:
                    continue
                rule = _admissible(conn, citing, source_id)[0]
                if rule is None:
                    continue
                _set(
                    conn, citation_id, source_id, SHORT_POST_CONFIDENCE, IDENTIFIER_METHOD,
                    {"identifier": identifier, "matched": _SHORT_POST, "rule": rule},
                )  # fmt: skip
                resolved += 1
        for identifier in sorted(identifiers):
            for citation_id, kind, cited_as, exact in conn.execute(
                "SELECT id, kind, identifier, 1 FROM citations WHERE identifier = ?"
                " AND cited_source_id IS NULL AND citing_source_id != ?"
                " UNION ALL SELECT id, kind, identifier, 0 FROM citations"
                " WHERE target_identifier = ? AND cited_source_id IS NULL AND citing_source_id != ?",
                (identifier, source_id, identifier, source_id),
            ).fetchall():
                citing = conn.execute(
                    "SELECT citing_source_id FROM citations WHERE id = ?", (citation_id,)
                ).fetchone()[0]
                rule, reason = _admissible(conn, citing, source_id)
                if rule is None:
                    _unresolved(conn, citation_id, {"unresolved": reason,
                                                    "candidates": [source_id]})  # fmt: skip
                    continue
                confidence = 1.0 if exact else 0.9
                _set(
                    conn,
                    citation_id,
                    source_id,
                    confidence,
                    _method(kind),
                    {"identifier": cited_as, "rule": rule},
                )
                resolved += 1
    return resolved


def _admissible(conn: sqlite3.Connection, citing: int, cited: int) -> tuple[str | None, str]:
    """Whether ``citing`` can cite ``cited``: the rule of time's arrow that allows it
    (``earlier-published`` or ``undated``), or None and why not (another rendition of the
    same work, or a document published after the citing one)."""
    if cited in _family(conn, citing):
        return None, "unresolved: the only candidate is a rendition of the citing work"
    rule = works.time_rule(works.dated(conn, citing), works.dated(conn, cited))
    if rule is None:
        return None, "unresolved: the only candidate was published after the citing source"
    return rule, ""


def _unresolved(
    conn: sqlite3.Connection, citation_id: int, evidence: dict, fitting: int | None = None
) -> None:
    """Leave a citation unresolved with why (undoing a resolution a later arrival made
    doubtful); ``fitting``: the count of fitting documents to keep up to date, if any."""
    conn.execute(
        "UPDATE citations SET cited_source_id = NULL, confidence = NULL, evidence = ?,"
        " fitting = ?, tool_version = ? WHERE id = ?",
        (json.dumps(evidence), fitting, __version__, citation_id),
    )


def _set(
    conn,
    citation_id: int,
    source_id: int,
    confidence: float,
    method: str,
    evidence: dict,
    fitting: int | None = None,
):
    conn.execute(
        "UPDATE citations SET cited_source_id = ?, confidence = ?, method = ?, evidence = ?,"
        " fitting = ?, tool_version = ? WHERE id = ?",
        (source_id, round(confidence, 3), method, json.dumps(evidence), fitting, __version__,
         citation_id),
    )  # fmt: skip


# -- descriptions --


def _resolve_descriptions(
    conn: sqlite3.Connection, source_ids: list[int], revoked: set[int]
) -> int:
    marks = _marks(source_ids)
    texts: dict[int, str] = {}
    # New descriptions: read their constraints once.
    rows = conn.execute(
        f"SELECT c.id, c.citing_source_id, c.start, c.end FROM citations c"
        f" WHERE c.citing_source_id IN ({marks}) AND c.kind = 'description'"
        f" AND c.target_kind IS NULL AND c.start IS NOT NULL",
        source_ids,
    ).fetchall()
    for citation_id, citing, start, end in rows:
        text = texts.get(citing) or _text(conn, citing)
        texts[citing] = text
        target = parse_target(text, start, end)
        conn.execute(
            "UPDATE citations SET target_kind = ?, target_from = ?, target_to = ?,"
            " target_origin = ?, target_author = ?, method = ? WHERE id = ?",
            (target.kind_label, target.date_from, target.date_to, target.origin,
             author_key(target.author), DESCRIPTION_METHOD, citation_id),
        )  # fmt: skip
    # Descriptions to try: the new sources' own, and stored ones that the new sources now give
    # evidence for (a quotation traced into them, a claim linked) or that their date fits.
    todo: set[int] = {r[0] for r in rows}
    todo |= _descriptions_with_new_evidence(conn, source_ids)
    for source_id, kind, author, publisher in conn.execute(
        f"SELECT id, kind, author, publisher FROM sources WHERE id IN ({marks})", source_ids
    ).fetchall():
        names = [author] if kind == "cable" else [author, publisher]
        for key in {author_key(n) for n in names if n} - {None}:
            todo |= {
                r[0]
                for r in conn.execute(
                    "SELECT id FROM citations WHERE target_author = ? AND cited_source_id IS NULL"
                    " AND target_author IS NOT NULL AND citing_source_id != ?",
                    (key, source_id),
                )
            }
    for source_id, kind, published in conn.execute(
        f"SELECT id, kind, published FROM sources WHERE id IN ({marks}) AND published IS NOT NULL",
        source_ids,
    ).fetchall():
        label = "cable" if kind == "cable" else "report"
        day = published[:10]
        todo |= {
            r[0]
            for r in conn.execute(
                "SELECT id FROM citations WHERE cited_source_id IS NULL AND kind = 'description'"
                " AND target_kind IN (?, 'document') AND target_from BETWEEN date(?, '-3 days')"
                " AND ? AND target_to >= ? AND julianday(target_to) - julianday(target_from) <= 3"
                " AND citing_source_id != ?",
                (label, day, day, day, source_id),
            )
        }
    counted = _arrivals(conn, source_ids, todo)
    pending = sorted(todo)
    for _ in range(2):  # a second pass: a description may refer to one resolved after it
        pending = [c for c in pending if not _resolve_description(conn, c, texts, revoked)]
    for citation_id, (fitting, arrived) in counted.items():
        _count_arrivals(conn, citation_id, fitting, arrived)
    return len(todo) - len(pending)


#: The longest date range a description states (a year; "winter 2008" runs into 2009): a new
#: document's date is looked up among descriptions that begin at most this long before it.
MAX_TARGET_DAYS = 370


def _arrivals(conn: sqlite3.Connection, source_ids: list[int], todo: set[int]) -> dict:
    """Stored descriptions that nothing but what fits them decides (``citations.fitting`` is
    kept) and that a new source fits too. Those resolved by what fits them, or that the
    content of their passage may now decide (:func:`_content_fit`: fewer than
    :data:`MAX_FITS_COMPARED` fitted them), join ``todo`` to be resolved anew; for the
    others, returned with their count and evidence, only the count and the reason change
    (:func:`_count_arrivals`): an index lookup and a row each, so a bulk add of cables does
    not resolve every description again at each cable."""
    new = set(source_ids)
    counted: dict[int, tuple[int, list[int]]] = {}
    dated: dict[int, str | None] = {}
    targets: dict[int, Target] = {}
    for source_id, kind, published in conn.execute(
        f"SELECT id, kind, published FROM sources WHERE id IN ({_marks(source_ids)})", source_ids
    ).fetchall():
        labels = [
            label
            for label, what in (("cable", "cable"), ("report", "report"), ("document", None))
            if kind in kinds.kinds_described_as(what)
        ]
        if not labels:
            continue
        query = (
            "SELECT id, citing_source_id, cited_source_id, fitting,"
            " json_extract(evidence, '$.constraints') FROM citations"
            f" WHERE fitting IS NOT NULL AND target_kind IN ({_marks(labels)})"
        )
        rows = conn.execute(query + " AND target_from IS NULL", labels).fetchall()
        if published:
            day = published[:10]
            rows += conn.execute(
                query + " AND target_from BETWEEN date(?, ?) AND ? AND target_to >= ?",
                (*labels, day, f"-{MAX_TARGET_DAYS} days", day, day),
            ).fetchall()
        if not rows:
            continue
        info = _source_meta(conn, [source_id])[source_id]
        its_family = works.family(conn, [source_id])
        its_date = works.dated(conn, source_id)
        for citation_id, citing, cited, fitting, constraints in rows:
            if citing in new or citation_id in todo:
                continue
            if citation_id not in targets:
                targets[citation_id] = _stored_target(
                    {"constraints": json.loads(constraints or "{}")}
                )
            target = targets[citation_id]
            if citing not in dated:
                dated[citing] = works.dated(conn, citing)
            if (
                citing in its_family
                or not _fits(target, info)
                or info["kind"] not in (target.kinds or kinds.kinds_described_as())
                or works.time_rule(dated[citing], its_date) is None
            ):
                continue
            if cited is not None or (fitting < MAX_FITS_COMPARED and _names_a_post(target)):
                todo.add(citation_id)
            else:
                counted.setdefault(citation_id, (fitting, []))[1].append(source_id)
    return {c: arrived for c, arrived in counted.items() if c not in todo}


def _stored_target(evidence: dict) -> Target:
    """What a description says, as its evidence stored it (``constraints``)."""
    fields = {k: v for k, v in (evidence.get("constraints") or {}).items()
              if k in Target.__dataclass_fields__}  # fmt: skip
    if fields.get("kinds") is not None:
        fields["kinds"] = tuple(fields["kinds"])
    return Target(**fields)


def _count_arrivals(
    conn: sqlite3.Connection, citation_id: int, fitting: int, arrived: list[int]
) -> None:
    """Count documents that arrived and fit an unresolved description (``fitting`` of them
    before) in its reason."""
    row = conn.execute("SELECT evidence FROM citations WHERE id = ?", (citation_id,)).fetchone()
    found = json.loads(row[0] or "{}")
    count = fitting + len(arrived)
    candidates = found.get("candidates") or []
    candidates += [{"source_id": s, "score": 0.0, "signals": ["fits"]} for s in arrived]
    reason, kept = _fit_reason(count, _stored_target(found), count < MAX_FITTING)
    found.update(unresolved=reason, candidates=candidates[:MAX_STORED_CANDIDATES], fitting=count)
    _unresolved(conn, citation_id, found, kept)


def author_key(name: str | None) -> str | None:
    """A key that names an author however the words are ordered: "Harlow Academy's Centre for
    Coastal Security" and "Centre for Coastal Security, Harlow Academy" share one."""
    if not name:
        return None
    words = {
        w[:-1] if w.endswith("s") and w[:-1] + "'s" in fold(name) else w
        for w in re.findall(r"[a-z0-9]+", fold(name).replace("'s", ""))
    }
    words = {w for w in words if len(w) > 3 and w not in STOP_WORDS}
    return " ".join(sorted(words)) if len(words) >= 2 else None


def _descriptions_with_new_evidence(conn: sqlite3.Connection, source_ids: list[int]) -> set[int]:
    """Stored descriptions whose passages now quote, or state claims of, the new sources."""
    marks = _marks(source_ids)
    citing = {
        r[0]
        for r in conn.execute(
            f"SELECT DISTINCT source_id FROM quotes WHERE traced_source_id IN ({marks})"
            f" AND source_id NOT IN ({marks})",
            [*source_ids, *source_ids],
        )
    }
    citing |= {
        r[0]
        for r in conn.execute(
            f"SELECT DISTINCT oc.source_id FROM claims c JOIN claim_links l ON l.claim_id = c.id"
            f" JOIN claims oc ON oc.id = l.other_claim_id WHERE c.source_id IN ({marks})"
            f" AND l.relation != 'quotes'",
            source_ids,
        )
    } - set(source_ids)
    if not citing:
        return set()
    return {
        r[0]
        for r in conn.execute(
            # "+": look up by the citing source, not by the index of every unresolved citation
            f"SELECT id FROM citations WHERE citing_source_id IN ({_marks(citing)})"
            f" AND kind = 'description' AND (+cited_source_id IS NULL OR method = ?)",
            [*citing, FIT_METHOD],
        )
    }


def _text(conn: sqlite3.Connection, source_id: int) -> str:
    row = conn.execute("SELECT text FROM sources WHERE id = ?", (source_id,)).fetchone()
    return row[0] if row else ""


def _passage(text: str, start: int, end: int, others: list[int]) -> tuple[int, int]:
    """The passage a description introduces: from the start of its paragraph to the end of
    the next paragraph, cut at the next mention of another document."""
    para_start = text.rfind("\n\n", 0, start)
    para_start = 0 if para_start < 0 else para_start + 2
    para_end = text.find("\n\n", end)
    para_end = len(text) if para_end < 0 else para_end
    following = text.find("\n\n", para_end + 2)
    passage_end = len(text) if following < 0 else following
    if len(text[para_start:para_end].split()) > 60:
        passage_end = para_end  # a long paragraph: its own quotations suffice
    later = [o for o in others if end < o < passage_end]
    if later:
        passage_end = min(later)
    earlier = [o for o in others if para_start <= o < start]
    if earlier:
        sentence = max(text.rfind(". ", 0, start), text.rfind("\n", 0, start))
        para_start = max(para_start, sentence + 1)
    return para_start, passage_end


def _resolve_description(
    conn: sqlite3.Connection, citation_id: int, texts: dict, revoked: set[int]
) -> bool:
    """Resolve one description (again); ``revoked`` gains its citing source when it no longer
    cites the source it did (the attributions that followed it must follow again)."""
    citing, start, end, before = conn.execute(
        "SELECT citing_source_id, start, end, cited_source_id FROM citations WHERE id = ?",
        (citation_id,),
    ).fetchone()
    resolved = _decide_description(conn, citation_id, citing, start, end, texts)
    if not resolved:
        conn.execute(
            "UPDATE citations SET method = ? WHERE id = ? AND method = ?",
            (DESCRIPTION_METHOD, citation_id, FIT_METHOD),
        )
    if before is not None:
        after = conn.execute(
            "SELECT cited_source_id FROM citations WHERE id = ?", (citation_id,)
        ).fetchone()[0]
        if after != before:
            conn.execute(
                "UPDATE attributions SET cited_source_id = NULL WHERE source_id = ?"
                " AND cited_source_id = ?",
                (citing, before),
            )
            revoked.add(citing)
    return resolved


def _decide_description(
    conn: sqlite3.Connection, citation_id: int, citing: int, start: int, end: int, texts: dict
) -> bool:
    text = texts.get(citing) or _text(conn, citing)
    texts[citing] = text
    target = parse_target(text, start, end)
    family = _family(conn, citing)
    # A description next to an identifier names the same document: "in a cable from April
    # 2009 (09STATE40419)".
    sentence_start = max(text.rfind(". ", 0, start), text.rfind("\n", 0, start)) + 1
    sentence_end = min(
        [i for i in (text.find(". ", end), text.find("\n", end)) if i >= 0] or [len(text)]
    )
    beside = conn.execute(
        "SELECT cited_source_id, confidence, identifier FROM citations WHERE citing_source_id = ?"
        " AND id != ? AND kind != 'description' AND start >= ? AND end <= ?"
        " AND cited_source_id IS NOT NULL ORDER BY abs(start - ?) LIMIT 1",
        (citing, citation_id, sentence_start, sentence_end + 1, end),
    ).fetchone()
    if beside:
        evidence = {"beside_identifier": beside[2]}
        _set(conn, citation_id, beside[0], beside[1] * 0.95, DESCRIPTION_METHOD, evidence)
        return True
    others = [
        r[0]
        for r in conn.execute(
            "SELECT start FROM citations WHERE citing_source_id = ? AND id != ? AND start IS NOT NULL",
            (citing, citation_id),
        )
    ]
    lo, hi = _passage(text, start, end, others)
    hi = _refers_back(text, hi, target, others)
    scores: dict[int, float] = {}
    signals: dict[int, list[str]] = {}

    def add(source_id: int, value: float, why: str) -> None:
        if source_id in family:
            return
        scores[source_id] = scores.get(source_id, 0.0) + value
        signals.setdefault(source_id, []).append(why)

    paragraph_end = text.find("\n\n", end)
    paragraph_end = len(text) if paragraph_end < 0 else paragraph_end
    for traced, score, q_start in conn.execute(
        "SELECT traced_source_id, trace_score, start FROM quotes WHERE source_id = ?"
        " AND traced_source_id IS NOT NULL AND start >= ? AND start < ?",
        (citing, lo, hi),
    ):
        near = 1.0 if q_start < paragraph_end else 0.6  # the next paragraph counts less
        add(traced, 3.0 * (score or 0.0) * near, "quotation traced")
    for other_source, score in conn.execute(
        "SELECT oc.source_id, l.score FROM claims c"
        " JOIN claim_links l ON l.claim_id = c.id JOIN claims oc ON oc.id = l.other_claim_id"
        " WHERE c.source_id = ? AND c.start >= ? AND c.start < ? AND l.relation != 'quotes'"
        " UNION ALL SELECT oc.source_id, l.score FROM claims c"
        " JOIN claim_links l ON l.other_claim_id = c.id JOIN claims oc ON oc.id = l.claim_id"
        " WHERE c.source_id = ? AND c.start >= ? AND c.start < ? AND l.relation != 'quotes'",
        (citing, lo, hi, citing, lo, hi),
    ):
        add(other_source, 1.5 * (score or 0.0), "claim linked")
    if target.precision == "day" and target.date_from and target.date_to:
        allowed = target.kinds or kinds.kinds_described_as()
        for (source_id,) in conn.execute(
            "SELECT id FROM sources WHERE published >= ? AND published < ?"
            f" AND kind IN ({_marks(allowed)})",
            (target.date_from, _next_day(target.date_to), *allowed),
        ):
            add(source_id, 1.5, "date")
    if target.title:
        for source_id, _ in _titled(conn, target):
            add(source_id, 3.0, "title")
    if target.author:
        words = [w for w in re.findall(r"[a-z0-9]{3,}", fold(target.author)) if w not in STOP_WORDS]
        if words:
            query = " AND ".join(f'"{w}"' for w in words[:8])
            for source_id, _ in _fts_ids(conn, query, 20):
                add(source_id, 1.0, "author named")
    # "A leaked cable shows ... The cable, sent from Velmora in April 2008, ...": the next
    # mention, when definite, names the same document.
    following = conn.execute(
        "SELECT mention, cited_source_id FROM citations WHERE citing_source_id = ?"
        " AND start > ? AND start < ? AND id != ? ORDER BY start LIMIT 1",
        (citing, end, _next_paragraph_end(text, end), citation_id),
    ).fetchone()
    if following and following[1] is not None and re.match(r"(?i)(?:the|this)\b", following[0]):
        add(following[1], 2.0, "coreference")
    # Keep the candidates the description allows, and time's arrow.
    meta = _source_meta(conn, list(scores))
    citing_published = works.dated(conn, citing)
    for source_id in list(scores):
        info = meta.get(source_id)
        if (
            info is None
            or not _fits(target, info)
            or works.time_rule(citing_published, works.dated(conn, source_id)) is None
        ):
            scores.pop(source_id)
            continue  # no bonus for a source the description rules out
        if target.origin and _origin_matches(target.origin, info):
            scores[source_id] += 1.0
            signals[source_id].append("origin")
        if target.author and _author_matches(target.author, info):
            scores[source_id] += 2.5
            signals[source_id].append("author")
    if target.author and any("author" in signals[c] for c in scores):
        # Some candidate is by the author named: the others are not what is cited.
        scores = {c: v for c, v in scores.items() if "author" in signals[c]}
    if 1 < len(scores) <= 50:
        _content_signal(conn, text[lo:hi] + " " + (target.author or ""), scores, signals)
    ranked = sorted(scores.items(), key=lambda kv: (-kv[1], kv[0]))
    candidates = [
        {"source_id": c, "score": round(v, 3), "signals": signals[c]}
        for c, v in ranked[:MAX_STORED_CANDIDATES]
    ]
    constraints = {k: v for k, v in vars(target).items() if v}
    if not ranked:
        fitting, count, complete = _fitting(conn, target, family, citing_published)
        fit = _content_fit(conn, target, text[lo:start] + " " + text[end:hi], fitting, count,
                           family)  # fmt: skip
        if fit is not None:
            best, coverage = fit
            order = sorted(coverage.items(), key=lambda kv: (-kv[1], kv[0]))
            second = order[1][1] if len(order) > 1 else 0.0
            evidence = {
                "signals": ["fits", "origin", "content coverage"],
                "score": round(coverage[best], 3),
                "runner_up": [order[1][0], round(second, 3)] if len(order) > 1 else None,
                "fitting": count,
                "candidates": [
                    {"source_id": c, "score": round(v, 3), "signals": ["fits", "content coverage"]}
                    for c, v in order
                ],
                "constraints": constraints,
                "rule": works.time_rule(citing_published, works.dated(conn, best)),
            }
            confidence = FIT_CONFIDENCE * (1 - 0.5 * second / coverage[best])
            _set(conn, citation_id, best, confidence, FIT_METHOD, evidence, count)
            return True
        reason, kept = _fit_reason(count, target, complete)
        _unresolved(
            conn,
            citation_id,
            {
                "unresolved": reason,
                "candidates": [
                    {"source_id": c, "score": 0.0, "signals": ["fits"]} for c in fitting
                ],
                "fitting": count,
                "constraints": constraints,
            },
            kept,
        )
        return False
    best, best_score = ranked[0]
    second = ranked[1][1] if len(ranked) > 1 else 0.0
    if best_score < MIN_DESCRIPTION_SCORE or second > MAX_RUNNER_UP * best_score:
        why = (
            f"the best candidate scores {best_score:.2f}, under {MIN_DESCRIPTION_SCORE}"
            if best_score < MIN_DESCRIPTION_SCORE
            else f"{len(ranked)} candidates, the runner-up within {MAX_RUNNER_UP:.0%} of the best"
        )
        _unresolved(
            conn,
            citation_id,
            {"unresolved": f"unresolved: {why}", "candidates": candidates,
             "fitting": len(ranked), "constraints": constraints},
        )  # fmt: skip
        return False
    confidence = (1 - math.exp(-best_score / 2)) * (1 - 0.5 * second / best_score)
    evidence = {
        "signals": signals[best],
        "score": round(best_score, 3),
        "runner_up": [ranked[1][0], round(second, 3)] if len(ranked) > 1 else None,
        "candidates": candidates,
        "constraints": constraints,
        "rule": works.time_rule(citing_published, works.dated(conn, best)),
    }
    _set(conn, citation_id, best, confidence, DESCRIPTION_METHOD, evidence)
    return True


#: A description that names a cable's post and date, with no other evidence, resolves to the
#: cable when at most MAX_FITS_COMPARED stored cables fit it and exactly one of them holds
#: MIN_COVERAGE or more of the content of the passage around it (:func:`passage_coverage`).
#: Tuned on the cited cables of ``benchmarks/origins.py`` (its ``content_fit`` section): no
#: other cable of the cited one's post, of any year, held more than 0.60 of a passage.
MAX_FITS_COMPARED = 3
MIN_COVERAGE = 0.7
MIN_PASSAGE_WORDS = 12  # fewer telling words say too little about what the passage reports
MAX_PASSAGE_WORDS = 80  # weighed (one full-text count each); the first ones of the passage
IDF_SOURCES = 10_000  # the sources stored last that a word's rarity is counted in
FIT_CONFIDENCE = 0.7

#: A description resolves to its best candidate when that scores MIN_DESCRIPTION_SCORE or more
#: and the runner-up at most MAX_RUNNER_UP of it (calibrated by ``benchmarks/origins.py``).
MIN_DESCRIPTION_SCORE = 1.5
MAX_RUNNER_UP = 0.6
MAX_STORED_CANDIDATES = 10
#: Fitting sources counted for the reason of an unresolved description ("100+ cables of 2008
#: fit"), and sources read to count them: beyond, the count says "+" and is no longer kept.
MAX_FITTING = 100
MAX_FITTING_READ = 2000


def _fitting(
    conn: sqlite3.Connection,
    target: Target,
    family: set[int],
    citing_published: str | None,
) -> tuple[list[int], int, bool]:
    """Stored sources the description allows (its kind, dates, post and author) and time's
    arrow lets the citing source cite: a few of them, how many, and whether that count is
    exact: it is a lower bound when :data:`MAX_FITTING` fit, or when more than
    :data:`MAX_FITTING_READ` sources of that kind and period had to be read. The candidates
    of a description with no evidence."""
    allowed = target.kinds or kinds.kinds_described_as()
    sql = (
        f"SELECT id, {works.DATED.format(s='sources')}, kind, published, origin, author,"
        f" publisher, title FROM sources WHERE kind IN ({_marks(allowed)})"
    )
    params: list = list(allowed)
    if target.date_from and target.date_to:
        sql += " AND published >= ? AND published < ?"
        params += [target.date_from, _next_day(target.date_to)]
    sql += " ORDER BY published, id LIMIT ?"
    params.append(MAX_FITTING_READ + 1)
    found: list[int] = []
    rows = conn.execute(sql, params).fetchall()
    for source_id, dated, *fields in rows[:MAX_FITTING_READ]:
        info = dict(zip(("kind", "published", "origin", "author", "publisher", "title"), fields,
                        strict=True))  # fmt: skip
        if (
            source_id in family
            or works.time_rule(citing_published, dated) is None
            or not _fits(target, info)
        ):
            continue
        found.append(source_id)
        if len(found) >= MAX_FITTING:
            break
    complete = len(found) < MAX_FITTING and len(rows) <= MAX_FITTING_READ
    return found[:MAX_STORED_CANDIDATES], len(found), complete


def _content_fit(
    conn: sqlite3.Connection,
    target: Target,
    passage: str,
    fitting: list[int],
    count: int,
    family: set[int],
) -> tuple[int, dict[int, float]] | None:
    """The cable a description names when nothing else says which: the description states
    the kind, a date and the post; at most :data:`MAX_FITS_COMPARED` stored cables fit it, all
    of that post; and exactly one of them holds :data:`MIN_COVERAGE` of the passage's content.
    Returns that cable and the coverage of each fitting one, or None."""
    if not _names_a_post(target) or not 1 <= count <= MAX_FITS_COMPARED or len(fitting) != count:
        return None
    meta = _source_meta(conn, fitting)
    if not all(c in meta and _origin_matches(target.origin, meta[c]) for c in fitting):
        return None  # a cable of no stated post fits too: the post does not narrow it down
    coverage = passage_coverage(conn, passage, fitting, family)
    above = sorted(c for c, v in coverage.items() if v >= MIN_COVERAGE)
    if not above:
        return None
    # Renditions of one work (a cable and its corrected copy) are one document cited.
    works_above = {
        r[0] for r in conn.execute(
            f"SELECT coalesce(work_id, id) FROM sources WHERE id IN ({_marks(above)})", above
        )
    }  # fmt: skip
    if len(works_above) != 1:
        return None
    [work] = works_above
    return (work if work in above else above[0]), coverage


def _names_a_post(target: Target) -> bool:
    """Whether a description states what :func:`_content_fit` needs: a cable, its post, a
    date."""
    return target.kind_label == "cable" and bool(target.origin and target.date_from)


def passage_coverage(
    conn: sqlite3.Connection, passage: str, candidates: list[int], exclude: set[int]
) -> dict[int, float]:
    """How much of a passage's content each candidate's text holds (:func:`covered`, with the
    passage's :func:`passage_weights`); {} when the passage says too little to tell."""
    weights = passage_weights(conn, passage, exclude)
    if not weights:
        return {}
    return {c: covered(weights, _text(conn, c)) for c in candidates}


def passage_weights(conn: sqlite3.Connection, passage: str, exclude: set[int]) -> dict[str, float]:
    """The telling words of a passage (not stop words), each weighed by how rare it is in the
    archive: its inverse document frequency among the :data:`IDF_SOURCES` sources stored
    last (every source of a smaller archive), leaving out the ``exclude`` sources (the citing
    work, whose own words say nothing about the candidates). {} when the passage has fewer
    than :data:`MIN_PASSAGE_WORDS` such words."""
    words = list(dict.fromkeys(_telling_words(passage)))[:MAX_PASSAGE_WORDS]
    if len(words) < MIN_PASSAGE_WORDS:
        return {}
    last = conn.execute("SELECT max(id) FROM sources").fetchone()[0] or 0
    after = max(0, last - IDF_SOURCES)
    excluded = sorted(s for s in exclude if s > after)
    documents = max(1, last - after - len(excluded))
    weights = {}
    for word in words:
        found = _fts_count(conn, f'text : "{word}"', after, excluded)
        weights[word] = math.log((documents + 1) / (found + 1))
    return weights if sum(weights.values()) > 0 else {}


def covered(weights: dict[str, float], text: str) -> float:
    """The share of a passage's weighed words (:func:`passage_weights`) that a text holds."""
    theirs = set(_telling_words(text))
    return sum(w for word, w in weights.items() if word in theirs) / sum(weights.values())


def _telling_words(text: str) -> list[str]:
    """The words of a text that say what it is about: folded, no stop words, no words of one
    or two letters (numbers kept), no quotation marks (they end a full-text phrase)."""
    return [
        w.replace('"', "")
        for w in similarity.words(text)
        if w not in STOP_WORDS and (len(w) > 2 or w.isdigit()) and w.strip('"')
    ]


def _fts_count(conn: sqlite3.Connection, query: str, after: int, exclude: list[int]) -> int:
    """How many sources with an id above ``after``, but the ``exclude`` ones, match."""
    sql = "SELECT count(*) FROM sources_fts WHERE sources_fts MATCH ? AND rowid > ?"
    if exclude:
        sql += f" AND rowid NOT IN ({_marks(exclude)})"
    try:
        return conn.execute(sql, [query, after, *exclude]).fetchone()[0]
    except sqlite3.OperationalError:
        return 0


def _fit_reason(count: int, target: Target, complete: bool) -> tuple[str, int | None]:
    """Why a description that no evidence decides is unresolved, and the count of fitting
    documents to keep up to date as documents arrive (``citations.fitting``; None when it
    is not kept: a lower bound, or a description that says no more than its kind, which
    any document of that kind fits, so that its count would be the size of the archive)."""
    if count and not (target.date_from or target.origin or target.author):
        label = target.kind_label or "document"
        why = f"any stored {label} fits (it states no date, post or author)"
        return f"unresolved: {why}; no quote evidence", None
    reason = f"unresolved: {_fit_phrase(count, target, complete)}; no quote evidence"
    return reason, count if complete else None


def _fit_phrase(count: int, target: Target, complete: bool = True) -> str:
    label = target.kind_label or "document"
    plural = label if count == 1 else label + "s"
    period = ""
    if target.date_from and target.date_to:
        period = (
            f" of {target.date_from[:7]}"
            if target.precision == "month"
            else (
                f" of {target.date_from[:4]}"
                if target.precision == "year"
                else f" between {target.date_from} and {target.date_to}"
            )
        )
    if target.origin:
        period += f" from {target.origin}"
    if count == 0:
        return f"no stored {label}{period} fits"
    more = "" if complete else "+"
    return f"{count}{more} {plural}{period} fit"


_BACK_TO_CABLE = re.compile(
    r"\b(?i:the|this|that)\s+(?:same\s+)?(?:cable|telegram|memo|dispatch)\b"
)
_BACK_TO_REPORT = re.compile(
    r"\b(?i:the|this|that)\s+(?:same\s+)?(?:report|study|paper|assessment|document|review)\b"
)


def _refers_back(text: str, hi: int, target: Target, others: list[int]) -> int:
    """Where the sentences that refer back to a description end: the passage goes on over the
    following paragraphs that speak of "the cable" ("the report" for a report), up to the
    next mention of another document, so that their quotations count as evidence too."""
    pattern = (
        _BACK_TO_CABLE if target.kinds == kinds.kinds_described_as("cable") else _BACK_TO_REPORT
    )
    while hi < len(text) and not any(hi <= o < hi + 2 for o in others):
        following = text.find("\n\n", hi + 2)
        end = len(text) if following < 0 else following
        if any(hi <= o < end for o in others) or not pattern.search(text, hi, end):
            break
        hi = end
    return hi


def _next_paragraph_end(text: str, position: int) -> int:
    end = text.find("\n\n", position)
    if end < 0:
        return len(text)
    following = text.find("\n\n", end + 2)
    return len(text) if following < 0 else following


def _next_day(day: str) -> str:
    return (date.fromisoformat(day[:10]) + timedelta(days=1)).isoformat()


def _family(conn: sqlite3.Connection, source_id: int) -> set[int]:
    """A source, its capture (parent page, posts) and every rendition of its work: none of
    them is a document it cites (see :func:`provenance.works.family`)."""
    return works.family(conn, [source_id])


def _source_meta(conn: sqlite3.Connection, ids: list[int]) -> dict[int, dict]:
    if not ids:
        return {}
    return {
        r[0]: {
            "kind": r[1],
            "published": r[2],
            "origin": r[3],
            "author": r[4],
            "publisher": r[5],
            "title": r[6],
        }
        for r in conn.execute(
            f"SELECT id, kind, published, origin, author, publisher, title FROM sources"
            f" WHERE id IN ({_marks(ids)})",
            ids,
        )
    }


def _fits(target: Target, info: dict) -> bool:
    if target.kinds and info["kind"] not in target.kinds:
        return False
    published = (info["published"] or "")[:10]
    if target.date_from and published:
        if not (target.date_from <= published <= target.date_to):
            return False
    if target.origin and info["origin"] and not _origin_matches(target.origin, info):
        return False
    if target.author and _named_by(info) and not _author_matches(target.author, info):
        return False  # "a report by the Meridian Institute" is not a report by someone else
    return True


def _named_by(info: dict) -> str:
    # A cable's publisher is the State Department whoever wrote it: only its author counts.
    if info["kind"] == "cable":
        return info.get("author") or ""
    return " ".join(filter(None, (info.get("author"), info.get("publisher"))))


def _origin_matches(origin: str, info: dict) -> bool:
    have = fold(info.get("origin") or "")
    # "Panama City" is the post of "Embassy Panama": the word "city" names no other place
    words = [w for w in re.findall(r"\w+", origin) if len(w) > 2 and w != "city"]
    return bool(words) and all(w in have for w in words)


def _author_matches(author: str, info: dict) -> bool:
    have = fold(_named_by(info))
    words = [w for w in re.findall(r"\w+", fold(author)) if len(w) > 3 and w not in STOP_WORDS]
    return bool(words) and sum(w in have for w in words) >= max(1, len(words) // 2)


def _titled(conn: sqlite3.Connection, target: Target) -> list[tuple]:
    """Sources whose title holds the title a description gives. A title written without
    quotation marks may run on into the sentence ("titled Harbour Governor Hosts Dinner to
    Washington"): it is tried whole, then cut before each short word from the end."""
    title = target.title or ""
    tries = [title]
    if target.bare_title:
        words = title.split()
        tries += [
            " ".join(words[:i])
            for i in range(len(words) - 1, 1, -1)
            if re.fullmatch(_SMALL_WORD, words[i]) and not re.fullmatch(_SMALL_WORD, words[i - 1])
        ]
    for attempt in tries:
        found = _fts_ids(conn, f"title : {_phrase(attempt)}", 20)
        if found:
            return found
    return []


def _phrase(value: str) -> str:
    words = re.findall(r"\w+", fold(value))
    return '"' + " ".join(words) + '"'


def _fts_ids(
    conn: sqlite3.Connection, query: str, limit: int, only: Iterable[int] = ()
) -> list[tuple]:
    only = list(only)
    sql = "SELECT rowid, bm25(sources_fts) FROM sources_fts WHERE sources_fts MATCH ?"
    params: list = [query]
    if only:
        sql += f" AND rowid IN ({_marks(only)})"
        params += only
    sql += " ORDER BY bm25(sources_fts) LIMIT ?"
    params.append(limit)
    try:
        return conn.execute(sql, params).fetchall()
    except sqlite3.OperationalError:
        return []


def _content_signal(conn, passage: str, scores: dict, signals: dict) -> None:
    """Full-text similarity of the passage among the candidates: +1 for a clear winner."""
    words = [
        w for w in dict.fromkeys(re.findall(r"[a-z]{4,}", fold(passage))) if w not in STOP_WORDS
    ]
    if len(words) < 3:
        return
    query = " OR ".join(f'"{w}"' for w in words[:40])
    ranked = _fts_ids(conn, f"text : ({query})", 5, scores)
    if len(ranked) >= 1:
        top = ranked[0]
        runner = ranked[1][1] if len(ranked) > 1 else 0.0
        # bm25 is negative: more negative is better
        if len(ranked) == 1 or top[1] < 1.5 * runner:
            scores[top[0]] += 1.0
            signals[top[0]].append("content")


# -- attributions to documents --

_DOCUMENT_MENTION = re.compile(
    r"^(?:the|this|that)\s+(?:\w+\s+){0,3}?(?P<noun>cable|telegram|memo|memorandum|dispatch|report|study|document|paper|assessment)$",
    re.I,
)


def _resolve_attributions(
    conn: sqlite3.Connection, source_ids: list[int], also: Iterable[int] = ()
) -> None:
    """Point attributions such as "according to the cable" at the document last cited (in
    the sources that cite or are these sources, and the ``also`` citing sources)."""
    marks = _marks(source_ids)
    touched = {
        r[0]
        for r in conn.execute(
            f"SELECT DISTINCT citing_source_id FROM citations WHERE cited_source_id IN ({marks})"
            f" OR citing_source_id IN ({marks})",
            [*source_ids, *source_ids],
        )
    } | set(also)
    for citing in touched:
        cited = conn.execute(
            "SELECT c.start, c.cited_source_id, s.kind FROM citations c"
            " JOIN sources s ON s.id = c.cited_source_id WHERE c.citing_source_id = ?"
            " AND c.start IS NOT NULL ORDER BY c.start",
            (citing,),
        ).fetchall()
        if not cited:
            continue
        for attribution_id, mention, mention_start in conn.execute(
            "SELECT id, mention, mention_start FROM attributions WHERE source_id = ?"
            " AND mention IS NOT NULL AND +cited_source_id IS NULL",  # by source, see above
            (citing,),
        ).fetchall():
            m = _DOCUMENT_MENTION.match(mention.strip())
            if not m:
                target = next(
                    (c[1] for c in cited if c[0] <= mention_start < c[0] + len(mention) + 1), None
                )
            else:
                want_cable = m.group("noun").lower() in _CABLE_NOUNS
                before = [
                    c for c in cited if c[0] < mention_start and (c[2] == "cable") == want_cable
                ]
                target = before[-1][1] if before else None
            if target is not None:
                conn.execute(
                    "UPDATE attributions SET cited_source_id = ? WHERE id = ?",
                    (target, attribution_id),
                )


# --- reading ------------------------------------------------------------------------------


def list_citations(
    conn: sqlite3.Connection, source_id: int | None = None, unresolved: bool = False
) -> list[dict]:
    """Citations with their resolution: the contract of ``provenance citations --json``."""
    sql = (
        "SELECT c.id, c.citing_source_id, c.mention, c.kind, c.identifier, c.start, c.end,"
        " c.cited_source_id, s.title AS cited_title, s.reference_id AS cited_reference_id,"
        " c.confidence, c.method, c.evidence FROM citations c"
        " LEFT JOIN sources s ON s.id = c.cited_source_id"
    )
    where, params = [], []
    if source_id is not None:
        where.append("c.citing_source_id = ?")
        params.append(source_id)
    if unresolved:
        where.append("c.cited_source_id IS NULL")
    if where:
        sql += " WHERE " + " AND ".join(where)
    sql += " ORDER BY c.citing_source_id, c.start IS NULL, c.start, c.id"
    rows = []
    for row in conn.execute(sql, params):
        keys = ("id", "citing_source_id", "mention", "kind", "identifier", "start", "end",
                "cited_source_id", "cited_title", "cited_reference_id", "confidence", "method",
                "evidence")  # fmt: skip
        item = dict(zip(keys, row, strict=True))
        item["evidence"] = json.loads(item["evidence"]) if item["evidence"] else None
        rows.append(item)
    return rows
