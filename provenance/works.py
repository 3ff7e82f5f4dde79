"""Works and their renditions: one work that reached the archive more than once.

A story can arrive as its HTML page and as a plain-text copy, as a reprint under another
headline, as a PDF and its HTML version, or as several captures of one path or URL. These
are **renditions** of one **work**: their text layers are nearly the same whatever their
titles. A work does not cite, quote, repeat or stand as the primary source of itself, so
every cross-source link (:mod:`provenance.linking`, :mod:`provenance.citations`) leaves out
the documents of the same work (:func:`family`).

Recognition (:func:`recognise_renditions`) runs first among the linking stages of a new
capture. The text layer's word 5-grams are hashed into MinHash band keys
(``rendition_keys``), and so are those of its lede (:func:`lede_shingles`), so candidates
come from index lookups; each candidate is then verified exactly: the shingles of either
text must lie in the other's at :data:`MIN_CONTAINMENT` or more, both ways (an archive page
holds its post, but the post does not hold the page: they are not renditions).

A reprint cut short (an agency's story that a paper prints in part, "Northbay News Service"
at its head) holds only part of the original, so it is verified one way (:func:`trimmed`):
the shorter text lies in the longer at :data:`MIN_CONTAINMENT`, keeps at least
:data:`MIN_TRIMMED_SHARE` of it, begins with the longer's lede, is not dated before it, and
something says they are one story: the same headline, the same byline, or a credit (the
longer's outlet, or the same agency, named in the shorter). Two stories of one outlet that
end in the same long boilerplate do not begin alike; a story that quotes a paragraph of
another holds little of it.

Captures of one page that reached the archive apart (two web captures of one URL, in one WARC
or two, or a page fetched and the same address in a capture) are one work whatever their text
became in between (:func:`same_address`, ``URL_METHOD``): fetched from the same address (URL,
compared without scheme, fragment, default port or trailing slash). An address a page only
declares (its canonical URL, a post's permalink) joins two pages under the same headline too:
a post shown in part on an archive page and its own page, never a post and the page it is on.

``sources.work_id`` is the id of the work's earliest-known rendition (earliest published,
then first stored); ``renditions`` keeps the evidence of each join.
"""

from __future__ import annotations

import json
import re
import sqlite3
from collections import defaultdict
from collections.abc import Iterable
from urllib.parse import urlsplit

from . import __version__, kinds, minhash, similarity
from .moments import EARLIER_RULE as EARLIER_RULE
from .moments import UNDATED_RULE as UNDATED_RULE
from .moments import order_key, order_sql, strictly_earlier, time_rule
from .queries import rows_in

METHOD = "word5-shingle-containment-0.1"
CAPTURE_METHOD = "same-locator-0.1"
URL_METHOD = "same-url-0.1"
#: Kinds whose documents are whole pages, each with its own address (a web capture's records);
#: the posts of other pages (an archive, a blog's tag page) may share the page's address.
CAPTURE_CONTAINERS = kinds.page_holders()
_CONTAINERS_SQL = ",".join(repr(k) for k in CAPTURE_CONTAINERS)  # in NOT IN (...)
TRIMMED_METHOD = "trimmed-reprint-0.1"
SHINGLE_WORDS = 5
MIN_WORDS = 40  # shorter text layers are too small to tell a copy from a shared paragraph
MIN_CONTAINMENT = 0.8  # of either text's shingles found in the other, both ways
MAX_CANDIDATES = 8  # verified per new source, the most band keys shared first
MIN_TRIMMED_SHARE = 0.5  # of the longer text's shingles a reprint cut short keeps
LEDE_WORDS = 20  # the lede is the first paragraph of at least this many words...
LEDE_MAX_WORDS = 60  # ...up to this many of them


def text_shingles(text: str) -> set[str]:
    """The word 5-grams of a text layer (case, accents and punctuation folded)."""
    words = similarity.words(text)
    if len(words) < MIN_WORDS:
        return set()
    return set(map(" ".join, zip(*(words[k:] for k in range(SHINGLE_WORDS)), strict=False)))


def lede_shingles(text: str) -> set[str]:
    """The word 5-grams of a text's lede: the first paragraph of :data:`LEDE_WORDS` words or
    more (a headline, a byline or a dateline line is shorter), its first
    :data:`LEDE_MAX_WORDS` words. A reprint cut short keeps it."""
    for paragraph in text.split("\n\n"):
        words = similarity.words(paragraph)
        if len(words) >= LEDE_WORDS:
            words = words[:LEDE_MAX_WORDS]
            return set(map(" ".join, zip(*(words[k:] for k in range(SHINGLE_WORDS)), strict=False)))
    return set()


def rendition_keys(text: str) -> list[int]:
    """The band keys a text layer is found by in ``rendition_keys``, its own and its lede's
    ([] when it is too short to be compared): computed where the text is prepared, so the
    writer need not."""
    shingles = text_shingles(text)
    if not shingles:
        return []
    lede = lede_shingles(text)
    keys = minhash.band_keys([shingles, lede] if lede else [shingles])
    return list(dict.fromkeys(k for band in keys for k in band))


def containment(a: set[str], b: set[str]) -> tuple[float, float]:
    """How much of ``a`` is in ``b``, and of ``b`` in ``a``."""
    if not a or not b:
        return 0.0, 0.0
    shared = len(a & b)
    return shared / len(a), shared / len(b)


def _marks(values: Iterable) -> str:
    return ",".join("?" for _ in values)


def family(conn: sqlite3.Connection, source_ids: Iterable[int]) -> set[int]:
    """Every document that must not be another outlet for these sources: their captures (the
    archive page and its posts, every capture of the same path or URL), every rendition of
    their works, and the posts of all of those. The other records of a web capture are not
    among them: a crawl holds the pages of many outlets, each a document of its own."""
    members = set(source_ids)
    if not members:
        return members
    members |= {
        r[0]
        for r in rows_in(
            conn,
            "SELECT s.parent_id FROM sources s JOIN sources p ON p.id = s.parent_id"
            f" WHERE s.id IN ({{marks}}) AND p.kind NOT IN ({_CONTAINERS_SQL})",
            list(members),
        )
    }
    locators = [
        r[0]
        for r in rows_in(
            conn,
            "SELECT DISTINCT locator FROM sources WHERE id IN ({marks}) AND locator IS NOT NULL",
            list(members),
        )
    ]
    if locators:
        members |= {
            r[0]
            for r in rows_in(conn, "SELECT id FROM sources WHERE locator IN ({marks})", locators)
        }
    works = {
        r[0]
        for r in rows_in(
            conn,
            "SELECT DISTINCT work_id FROM sources WHERE id IN ({marks}) AND work_id IS NOT NULL",
            list(members),
        )
    }
    if works:
        members |= {
            r[0] for r in rows_in(conn, "SELECT id FROM sources WHERE work_id IN ({marks})", works)
        }
    members |= {
        r[0]
        for r in rows_in(
            conn,
            "SELECT c.id FROM sources c JOIN sources p ON p.id = c.parent_id"
            f" WHERE c.parent_id IN ({{marks}}) AND p.kind NOT IN ({_CONTAINERS_SQL})",
            list(members),
        )
    }
    return members


def same_work(conn: sqlite3.Connection, a: int, b: int) -> bool:
    """Whether two sources are renditions of one work (or captures of one document)."""
    return b in family(conn, [a])


def recognise_renditions(
    conn: sqlite3.Connection, source_ids: list[int], prepared: dict[int, list[int]] | None = None
) -> int:
    """Join each new source to the works it is a rendition of; return how many joins.

    ``prepared``: the :func:`rendition_keys` of some of these sources, computed beforehand (the
    same values; the rest are computed here)."""
    joined = 0
    new = set(source_ids)
    for source_id in source_ids:
        row = conn.execute(
            "SELECT text, previous_capture_id FROM sources WHERE id = ?", (source_id,)
        ).fetchone()
        if row is None:
            continue
        text, previous = row
        if previous is not None:
            _record(conn, source_id, previous, CAPTURE_METHOD, 1.0, {"previous_capture": True})
            _merge(conn, [source_id, previous])
        for other, details in same_address(conn, source_id):
            _record(conn, source_id, other, URL_METHOD, 1.0, details)
            _merge(conn, [source_id, other])
            joined += 1
        mine: set[str] | None = None
        if prepared is not None and source_id in prepared:
            keys = prepared[source_id]
        else:
            keys = rendition_keys(text or "")
        if not keys:
            continue
        conn.executemany(
            "INSERT OR IGNORE INTO rendition_keys (key, source_id) VALUES (?, ?)",
            [(k, source_id) for k in keys],
        )
        own = family(conn, [source_id]) - (new - {source_id}) | {source_id}
        # the posts of one page are documents of one capture, never renditions of each other
        own |= _capture_of(conn, source_id)
        lede = lede_shingles(text or "")
        lede_keys = set(minhash.band_keys([lede])[0]) if lede else set()
        shared: dict[int, int] = defaultdict(int)
        beyond_lede: set[int] = set()  # sharing a key of the whole text, not only of the lede
        for key, other in rows_in(
            conn, "SELECT key, source_id FROM rendition_keys WHERE key IN ({marks})", keys
        ):
            if other not in own:
                shared[other] += 1
                if key not in lede_keys:
                    beyond_lede.add(other)
        ranked = sorted(shared, key=lambda o: (-shared[o], o))[:MAX_CANDIDATES]
        if ranked and mine is None:
            mine = text_shingles(text or "")
        me = _document(conn, source_id) if ranked else {}
        for other in ranked:
            their = _document(conn, other)
            if other not in beyond_lede and not _one_story(me, their):
                continue  # the same lede and nothing else: a reprint cut short, or nothing
            theirs = text_shingles(their["text"])
            here, there = containment(mine or set(), theirs)
            method, details = METHOD, {"contained_here": round(here, 4),
                                       "contained_there": round(there, 4)}  # fmt: skip
            if min(here, there) < MIN_CONTAINMENT:
                cut = trimmed(me, mine or set(), their, theirs)
                if cut is None:
                    continue
                method, details = TRIMMED_METHOD, {**details, **cut}
            _record(conn, source_id, other, method, round(min(here, there), 4), details)
            _merge(conn, [source_id, other])
            joined += 1
    return joined


def address(url: str) -> str:
    """A URL as compared for identity: host in lower case; no scheme, fragment, default port
    or trailing slash (a page's own links, its captures: :mod:`provenance.citations` too)."""
    try:
        parts = urlsplit(url.strip())
    except ValueError:
        return url.strip()
    if not parts.netloc:
        return url.strip()
    host = parts.netloc.lower().removesuffix(":80").removesuffix(":443")
    query = f"?{parts.query}" if parts.query else ""
    return f"{host}{parts.path.rstrip('/')}{query}"


def _spellings(url: str) -> set[str]:
    """Stored forms of a URL that :func:`_address` takes as the same, for index lookups: with
    either scheme, the host as written or in lower case, with or without its default port,
    with or without a trailing slash (a host written with other capitals is not found)."""
    try:
        parts = urlsplit(url.strip())
    except ValueError:
        return {url.strip()}
    if not parts.netloc:
        return {url.strip()}
    host = parts.netloc.removesuffix(":80").removesuffix(":443")
    path = parts.path.rstrip("/")
    query = f"?{parts.query}" if parts.query else ""
    forms = set()
    for scheme in ("http", "https"):
        for name in {host, host.lower()}:
            ports = (name, f"{name}:{80 if scheme == 'http' else 443}")
            for netloc in ports:
                for tail in {path, path + "/"}:
                    forms.add(f"{scheme}://{netloc}{tail}{query}")
    return forms


def _page(conn: sqlite3.Connection, source_id: int) -> tuple | None:
    """What :func:`_own_addresses` reads of a source: its URL, canonical URL and locator, and
    its parent's kind."""
    return conn.execute(
        "SELECT s.url, s.canonical_url, s.locator, p.kind FROM sources s"
        " LEFT JOIN sources p ON p.id = s.parent_id WHERE s.id = ?",
        (source_id,),
    ).fetchone()


def _own_addresses(row: tuple | None) -> dict[str, bool]:
    """The addresses of a page (its :func:`_page` row), its URL and canonical URL, each with
    whether the page was fetched from it (a web capture's record, a page added by its URL)
    rather than declared (a canonical URL, a post's permalink or, lacking one, its page's)."""
    if row is None:
        return {}
    url, canonical, locator, parent_kind = row
    fetched = parent_kind in CAPTURE_CONTAINERS or (
        parent_kind is None and (locator or "").startswith(("http://", "https://"))
    )
    mine: dict[str, bool] = {}
    if canonical:
        mine[address(canonical)] = False
    if url:
        mine[address(url)] = fetched
    mine.pop("", None)
    return mine


def same_address(conn: sqlite3.Connection, source_id: int) -> list[tuple[int, dict]]:
    """Other stored pages with the same address as this one (its other captures), outside its
    work, with what joins them: (id, details) each. Fetched from one address, two pages are
    captures of it whatever their text became; an address a page only declares (a canonical
    URL, which some sites set to their front page on every page; a post's permalink) joins
    them only under the same headline."""
    row = _page(conn, source_id)
    mine = _own_addresses(row)
    if not mine:
        return []
    forms = sorted({f for v in row[:2] if v for f in _spellings(v)})
    marks = _marks(forms)
    candidates = {
        r[0]
        for r in conn.execute(
            f"SELECT id FROM sources WHERE url IN ({marks}) OR canonical_url IN ({marks})",
            [*forms, *forms],
        )
    } - family(conn, [source_id])
    found = []
    title = None
    for other in sorted(candidates):
        theirs = _own_addresses(_page(conn, other))
        shared = sorted(set(mine) & set(theirs))
        if not shared:
            continue
        fetched = [a for a in shared if mine[a] and theirs[a]]
        if fetched:
            found.append((other, {"address": fetched[0], "by": "fetched"}))
            continue
        if title is None:
            title = _headline(_document(conn, source_id)["title"])
        if title and title == _headline(_document(conn, other)["title"]):
            found.append((other, {"address": shared[0], "by": "headline"}))
    return found


def _document(conn: sqlite3.Connection, source_id: int) -> dict:
    row = conn.execute(
        "SELECT text, title, author, publisher, published FROM sources WHERE id = ?", (source_id,)
    ).fetchone()
    names = ("text", "title", "author", "publisher", "published")
    return dict(zip(names, row or (None,) * 5, strict=True)) | {"id": source_id}


def trimmed(a: dict, a_shingles: set[str], b: dict, b_shingles: set[str]) -> dict | None:
    """Whether one of two documents (``_document`` rows, with their :func:`text_shingles`) is
    a reprint of the other cut short, and the evidence: the shorter lies in the longer at
    :data:`MIN_CONTAINMENT`, keeps :data:`MIN_TRIMMED_SHARE` of it and begins with its lede;
    it is not dated before the longer; and something says they are one story
    (:func:`one_story_signals`). None otherwise."""
    if len(a_shingles) > len(b_shingles):
        a, a_shingles, b, b_shingles = b, b_shingles, a, a_shingles
    inside, kept = containment(a_shingles, b_shingles)
    if inside < MIN_CONTAINMENT or kept < MIN_TRIMMED_SHARE:
        return None
    lede = lede_shingles(a["text"] or "")
    begins = len(lede & b_shingles) / len(lede) if lede else 0.0
    if begins < MIN_CONTAINMENT:
        return None  # they do not begin alike: shared boilerplate, or a quoted passage
    if strictly_earlier(a["published"], b["published"]):
        return None  # cut short before the longer was published: not a reprint of it
    signals = one_story_signals(a, b)
    if not signals:
        return None
    return {"trimmed": a["id"], "kept": round(kept, 4), "lede": round(begins, 4),
            "signals": signals}  # fmt: skip


def _one_story(a: dict, b: dict) -> bool:
    return bool(one_story_signals(a, b) or one_story_signals(b, a))


#: An agency credited in a text: "(Northbay News Service)", "Northbay Press Agency".
_AGENCY = re.compile(
    r"\b(?:[A-Z][\w'’&.-]*\s+){1,4}(?:News\s+Service|News\s+Agency|Press\s+Agency|"
    r"Press\s+Association|Wire\s+Service|Newswire)\b"
)


def one_story_signals(shorter: dict, longer: dict) -> list[str]:
    """What says two documents are one story, besides their words: the same headline, the
    same byline, the longer's outlet named in the shorter (a credit), or the same agency
    named in both."""
    signals = []
    if _headline(shorter["title"]) and _headline(shorter["title"]) == _headline(longer["title"]):
        signals.append("same headline")
    if shorter["author"] and similarity.fold(shorter["author"]) == similarity.fold(
        longer["author"] or ""
    ):
        signals.append("same byline")
    text = " ".join(similarity.words(shorter["text"] or ""))
    outlet = " ".join(similarity.words(longer["publisher"] or ""))
    if len(outlet) >= 6 and f" {outlet} " in f" {text} ":
        signals.append("credit")
    else:
        agencies = {" ".join(similarity.words(m)) for m in _AGENCY.findall(shorter["text"] or "")}
        theirs = {" ".join(similarity.words(m)) for m in _AGENCY.findall(longer["text"] or "")}
        if agencies & theirs:
            signals.append("agency credit")
    return signals


def _headline(title: str | None) -> str:
    """A title as compared for a reprint: its words, without the outlet's name after a dash
    or a bar ("Ferry crews walk out - The Coastal Daily")."""
    title = title or ""
    for mark in (" | ", " - ", " – ", " — "):
        head, _, tail = title.rpartition(mark)
        if head and len(tail.split()) <= 6:
            title = head
    return " ".join(similarity.words(title))


def _capture_of(conn: sqlite3.Connection, source_id: int) -> set[int]:
    """The page a source is a post of, and the page's posts (a web capture's records are
    pages of their own: not one another's)."""
    row = conn.execute(
        "SELECT s.parent_id, p.kind FROM sources s LEFT JOIN sources p ON p.id = s.parent_id"
        " WHERE s.id = ?",
        (source_id,),
    ).fetchone()
    top = row[0] if row and row[0] and row[1] not in CAPTURE_CONTAINERS else source_id
    return {top} | {
        r[0] for r in conn.execute("SELECT id FROM sources WHERE parent_id = ?", (top,))
    }


def _record(
    conn: sqlite3.Connection, source_id: int, other: int, method: str, score: float, details: dict
) -> None:
    conn.execute(
        "INSERT OR REPLACE INTO renditions (source_id, other_source_id, method, score, details,"
        " tool_version) VALUES (?, ?, ?, ?, ?, ?)",
        (source_id, other, method, score, json.dumps(details), __version__),
    )


def _merge(conn: sqlite3.Connection, source_ids: list[int]) -> int:
    """Put these sources' works together under the earliest-known rendition; return its id."""
    works = {
        r[0]
        for r in rows_in(
            conn, "SELECT coalesce(work_id, id) FROM sources WHERE id IN ({marks})", source_ids
        )
    }
    order = sorted(works)
    members = conn.execute(
        f"SELECT id, published FROM sources WHERE work_id IN ({_marks(order)})"
        f" OR id IN ({_marks(order)})",
        (*order, *order),
    ).fetchall()
    # The earliest by the moment it names (a time with its offset in UTC), not the local day;
    # of one day, a source that states its time before one that does not (order_key).
    first = min(members, key=lambda r: (order_key(r[1]), r[0]))[0]
    conn.execute(
        f"UPDATE sources SET work_id = ? WHERE work_id IN ({_marks(works)}) OR id IN"
        f" ({_marks(works)})",
        (first, *works, *works),
    )
    _undo_links_within(conn, first)
    return first


def _undo_links_within(conn: sqlite3.Connection, work_id: int) -> None:
    """Links made before two sources were known to be one work, or before an undated one
    took its work's date, that now break the rules: claim links, quote traces, citations
    and attributions between renditions, and quote traces against time's arrow."""
    ids = [r[0] for r in conn.execute("SELECT id FROM sources WHERE work_id = ?", (work_id,))]
    members = sorted(family(conn, ids))
    marks = _marks(members)
    claims = f"SELECT id FROM claims WHERE source_id IN ({marks})"
    conn.execute(
        f"DELETE FROM claim_links WHERE claim_id IN ({claims}) AND other_claim_id IN ({claims})",
        (*members, *members),
    )
    stale = [
        r[0]
        for r in conn.execute(
            f"SELECT id FROM quotes WHERE source_id IN ({marks}) AND traced_source_id IN ({marks})",
            (*members, *members),
        )
    ]
    for quote_id, quoting, traced in conn.execute(
        f"SELECT id, source_id, traced_source_id FROM quotes WHERE traced_source_id IS NOT NULL"
        f" AND (source_id IN ({marks}) OR traced_source_id IN ({marks}))",
        (*members, *members),
    ).fetchall():
        if time_rule(dated(conn, quoting), dated(conn, traced)) is None:
            stale.append(quote_id)
    for quote_id in set(stale):
        conn.execute(
            "UPDATE quotes SET traced_source_id = NULL, traced_start = NULL, traced_end = NULL,"
            " traced_text = NULL, differences = NULL, trace_score = NULL, trace_rule = NULL,"
            " trace_tool_version = ? WHERE id = ?",
            (__version__, quote_id),
        )
        conn.execute(
            "DELETE FROM claim_links WHERE relation = 'quotes'"
            " AND json_extract(details, '$.quote_id') = ?",
            (quote_id,),
        )
    reason = json.dumps(
        {"unresolved": "unresolved: the candidate is a rendition of the citing work"}
    )
    conn.execute(
        f"UPDATE citations SET cited_source_id = NULL, confidence = NULL, evidence = ?,"
        f" tool_version = ? WHERE citing_source_id IN ({marks}) AND cited_source_id IN ({marks})",
        (reason, __version__, *members, *members),
    )
    conn.execute(
        f"UPDATE attributions SET cited_source_id = NULL WHERE source_id IN ({marks})"
        f" AND cited_source_id IN ({marks})",
        (*members, *members),
    )


def renditions_of(conn: sqlite3.Connection, source_id: int) -> list[dict]:
    """The other renditions of a source's work, earliest first, with the evidence of each."""
    row = conn.execute("SELECT work_id FROM sources WHERE id = ?", (source_id,)).fetchone()
    if row is None or row[0] is None:
        return []
    out = []
    for other, title, kind, published, url in conn.execute(
        "SELECT id, title, kind, published, url FROM sources WHERE work_id = ? AND id != ?"
        f" ORDER BY {order_sql('published')}, id",
        (row[0], source_id),
    ):
        evidence = conn.execute(
            "SELECT method, score, details FROM renditions WHERE (source_id = ? AND"
            " other_source_id = ?) OR (source_id = ? AND other_source_id = ?) LIMIT 1",
            (source_id, other, other, source_id),
        ).fetchone()
        out.append(
            {
                "source_id": other,
                "title": title,
                "kind": kind,
                "published": published,
                "url": url,
                "work_id": row[0],
                "method": evidence[0] if evidence else "same work",
                "score": evidence[1] if evidence else None,
            }
        )
    return out


#: A source's date for time's arrow: its own, else its work's (the earliest-known rendition's):
#: an undated plain-text copy of a 2011 story is not older than the story. ``{s}`` is the
#: alias of the sources table in the query.
DATED = "coalesce({s}.published, (SELECT w.published FROM sources w WHERE w.id = {s}.work_id))"


def dated(conn: sqlite3.Connection, source_id: int) -> str | None:
    """A source's date for time's arrow (see :data:`DATED`)."""
    row = conn.execute(
        f"SELECT {DATED.format(s='s')} FROM sources s WHERE s.id = ?", (source_id,)
    ).fetchone()
    return row[0] if row else None
