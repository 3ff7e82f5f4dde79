"""Cross-source links: the same claim in other sources, quotations traced to the passage they
quote, citations resolved to the documents they name.

:func:`link_sources` runs inside the transaction that stores a capture (a page and its posts),
with the ids of the documents just stored. Every lookup goes through an index (normalised claim
keys, MinHash band keys in ``claim_keys``, quotation trigram keys in ``quote_keys``, reference
ids, URLs, full-text search), never a scan of all claims, so adding a source costs the same at
a hundred claims or a million.

What it writes:

``claim_links`` (one row per pair and relation)
    ``claim_id`` is the claim of the source linked later (the one being added, or the quoting
    claim); ``other_claim_id`` is the claim it was matched with. Relations:

    - ``same``: the same normalised text (score 1.0, method ``exact-normalised-0.1``);
    - ``near``: a near-duplicate: a changed word, page furniture inside, a sentence inside a
      longer one (score: word-trigram Jaccard or containment, see
      :func:`provenance.similarity.compare`);
    - ``paraphrase``: the same fact in other words (score: 0.9 x canonical-term Dice);
    - ``quotes``: ``claim_id`` quotes words of ``other_claim_id``, a claim of the original
      (score: the quotation's fidelity; ``details`` names the quote row).

    ``same``, ``near`` and ``paraphrase`` are symmetric: read them in both directions (the
    ``claim_reports`` view does). ``details`` is JSON: the words found on one side only, the
    measures. Each new claim is linked to at most :data:`MAX_LINKS_PER_CLAIM` others (the
    earliest published first); ``claim_clusters`` holds the whole group.
``claim_clusters``
    every linked claim with its cluster id (the smallest claim id of the group).
``quotes``
    ``traced_source_id``, ``traced_start``/``traced_end`` (offsets into that source's text),
    ``traced_text``, ``trace_score`` (fidelity, 1.0 = verbatim), ``trace_method`` and
    ``differences``: a JSON list of ``{type, quote, original, quote_start, quote_end,
    original_start, original_end, editorial, note?}`` where type is ``bracket``, ``ellipsis``,
    ``spelling`` (editorial: marked or tolerated changes) or ``changed``, ``added``,
    ``omitted`` (not editorial: a misquote). ``quote_start``/``quote_end`` are offsets into the
    quotation's text, ``original_start``/``original_end`` into the traced source's text.
    The original chosen is the primary one: a source where the words are not themselves
    inside quotation marks, then the most faithful, then the earliest published.
``citations``
    resolved by :func:`provenance.citations.resolve_citations`.

Two views serve the published site: ``claim_reports`` (for a claim, every other claim of its
cluster with its source, date, relation and score: sort on ``other_published`` for the first
reporter) and ``quote_origins`` (each traced quotation with its original and differences).
:func:`trace` answers the command line's ``trace``; ``who`` is :func:`provenance.search.who`.
"""

from __future__ import annotations

import hashlib
import heapq
import json
import logging
import marshal
import re
import sqlite3
from array import array
from collections import defaultdict
from collections.abc import Collection, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field, fields
from functools import lru_cache
from typing import Any

from . import __version__, alignment, citations, minhash, similarity, works
from .compiled import core
from .errors import ClaimNotFound
from .moments import order_key, order_sql, strictly_earlier
from .queries import rows_in
from .works import CAPTURE_CONTAINERS

log = logging.getLogger(__name__)

EXACT_METHOD = "exact-normalised-0.1"
QUOTE_METHOD = alignment.METHOD
CLUSTER_METHOD = "union-find-0.1"
MIN_LINK_WORDS = 5
MIN_QUOTE_WORDS = 4
MAX_CANDIDATES = 12  # claims verified per new claim, the most band keys shared first
#: Stored claims counted per band key (the earliest stored): a sentence repeated in thousands
#: of paragraphs (a template, a wire story reprinted everywhere) would otherwise count every
#: new claim against every old one holding it, quadratic in the writer's time and memory.
MAX_KEY_POSTINGS = 100
WEAK_CANDIDATES = 4  # claims sharing a single band key verified per new claim
MAX_LINKS_PER_CLAIM = 25
MAX_QUOTE_SOURCES = 6  # sources a quotation is aligned with
QUOTE_KEYS = 6  # trigram keys stored per quotation
CLUSTER_RELATIONS = ("same", "near", "paraphrase")
_RELATION_RANK = {"same": 0, "near": 1, "paraphrase": 2}


@dataclass
class SourceHints:
    """The per-text work of quote tracing for one new document, done before it is stored."""

    # _text_trigram_keys(alignment.text_keys(text)), as int64: all the writer needs of the
    # text's words (the words themselves, as many tuples as the text has words, were most of
    # what a cable's hints cost to pickle and read back)
    trigram_keys: array
    furniture: list[tuple[int, int]]  # alignment.furniture_lines(text, page breaks)
    rendition_keys: list[int] | None = None  # works.rendition_keys(text)


@dataclass
class LinkHints:
    """What linking a capture needs that depends on its own documents only.

    :func:`prepare_links` computes it where the text is analysed (a worker process, in
    parallel with other inputs); :func:`link_sources` then uses it instead of computing the
    same values again in the single writing process. Values are exactly those the writer
    would compute, so links do not depend on where they were prepared."""

    # By text: each linkable text's features, marshalled (_pack), and its MinHash band keys as
    # an array of int64: a few objects a text, not hundreds, to pickle in the worker and read
    # back in the writer (benchmarks/writer_speed.py times that reading).
    features: dict[str, bytes] = field(default_factory=dict)
    band_keys: dict[str, array] = field(default_factory=dict)
    sources: list[SourceHints | None] = field(default_factory=list)  # in flatten() order
    # Per document (flatten() order), the attributed contents of its claims by claim index.
    contents: list[dict[int, list[str]] | None] = field(default_factory=list)
    # By quotation text: its trigram keys and full-text query (see _quote_plan).
    quotes: dict[str, tuple[list[int], str | None] | None] = field(default_factory=dict)


def _claim_contents(analysis: Any) -> dict[int, list[str]]:
    """The attributed contents inside each claim of one analysis, by claim index (what
    :func:`_contents` reads back once they are stored)."""
    contents: dict[int, list[str]] = defaultdict(list)
    for a in analysis.attributions:
        if a.claim is None or not a.content:
            continue
        claim = analysis.claims[a.claim]
        content = _content_within(claim.start, claim.text, *a.content)
        if content is not None and content not in contents[a.claim]:
            contents[a.claim].append(content)
    return dict(contents)


def _content_within(claim_start: int, claim_text: str, start: int, end: int) -> str | None:
    """The attributed content at ``start:end`` when it lies inside the claim and is worth
    comparing on its own (four words or more, not the whole claim)."""
    if claim_start <= start < end <= claim_start + len(claim_text):
        content = claim_text[start - claim_start : end - claim_start]
        if len(content.split()) >= 4 and content != claim_text:
            return content
    return None


def _claim_texts(analysis: Any, contents: dict[int, list[str]]) -> list[str]:
    """The texts :func:`link_claims` compares for each linkable claim of one analysis: the
    claim and the attributed contents inside it."""
    out = []
    for index, claim in enumerate(analysis.claims):
        if claim.norm_key and len(claim.norm_key.split()) >= MIN_LINK_WORDS:
            out += [claim.text, *contents.get(index, ())]
    return out


def prepare_links(documents: list, analyses: list) -> LinkHints:
    """The linking work of one capture that needs no database (see :class:`LinkHints`)."""
    hints = LinkHints()
    features: dict[str, similarity.Features] = {}
    for document, analysis in zip(documents, analyses, strict=True):
        contents = None
        if analysis is not None:
            contents = _claim_contents(analysis)
            for text in _claim_texts(analysis, contents):
                if text not in features:
                    features[text] = similarity.features(text)
        hints.contents.append(contents)
        for quote in analysis.quotes if analysis is not None else ():
            if quote.text not in hints.quotes:
                hints.quotes[quote.text] = _quote_plan(quote.text)
        if not document.text:
            hints.sources.append(None)
            continue
        breaks = [s.start for s in document.structure or () if s.kind == "page"]
        hints.sources.append(
            SourceHints(
                trigram_keys=array("q", _text_trigram_keys(alignment.text_keys(document.text))),
                furniture=alignment.furniture_lines(document.text, breaks),
                rendition_keys=works.rendition_keys(document.text),
            )
        )
    texts = list(features)
    for text, keys in zip(
        texts, minhash.band_keys([features[t].terms for t in texts]), strict=True
    ):
        hints.features[text] = _pack(features[text])
        hints.band_keys[text] = array("q", keys)
    return hints


#: Prepared features of the claims of recently linked captures, marshalled (an eighth of
#: the memory of the objects, and read back in a tenth of the time computing them takes): a
#: new claim's candidates are mostly claims stored shortly before, whose features the workers
#: already computed. Keyed by text, so always right.
RECENT_FEATURES = 10_000
_FEATURE_FIELDS = [f.name for f in fields(similarity.Features)]

#: Furniture lines of stored sources, by id, with the text_sha256 they were computed from:
#: a source is a candidate original of many later quotations.
RECENT_FURNITURE = 20_000


@dataclass
class LinkMemory:
    """What linking keeps from one capture to the next: owned by the batch that stores them
    (one writer, one database) and passed down to :func:`link_sources`.

    ``hints`` and ``source_hints`` are those of the capture being linked (see
    :meth:`linking`); ``recent_features`` and ``furniture`` outlive it. The furniture is
    forgotten when a store is rolled back (:meth:`forget_uncommitted`), since the ids of the
    sources undone are given out again."""

    hints: LinkHints = field(default_factory=LinkHints)
    source_hints: dict[int, SourceHints] = field(default_factory=dict)
    #: The capture's documents in the order of ``hints`` (a web capture links them in groups).
    hinted: list[int] = field(default_factory=list)
    recent_features: dict[str, bytes] = field(default_factory=dict)
    furniture: dict[int, tuple[str, list[tuple[int, int]]]] = field(default_factory=dict)
    #: ``claim_keys`` rows of the claims linked in the open transaction, not yet written:
    #: see :meth:`write_claim_keys`.
    unwritten_keys: list[tuple[int, int]] = field(default_factory=list)
    _unwritten_by_key: dict[int, list[int]] = field(default_factory=dict)

    @contextmanager
    def linking(self, source_ids: list[int], hints: LinkHints | None) -> Iterator[LinkMemory]:
        """Let :func:`link_sources` use what :func:`prepare_links` computed for these
        documents (``source_ids`` in flatten() order) instead of computing it again."""
        if hints is not None:
            self.hints, self.hinted = hints, list(source_ids)
            self.source_hints = {
                sid: h for sid, h in zip(source_ids, hints.sources, strict=False) if h is not None
            }
        try:
            yield self
        finally:
            if hints is not None:
                self.remember_features(hints.features)
            self.hints, self.source_hints, self.hinted = LinkHints(), {}, []

    def keys(self) -> dict[int, list[int]]:
        """The rendition keys the workers computed for the sources being linked, by id."""
        return {
            sid: h.rendition_keys
            for sid, h in self.source_hints.items()
            if h.rendition_keys is not None
        }

    def remember_features(self, features: dict[str, bytes]) -> None:
        for text, packed in features.items():
            if text not in self.recent_features:
                self.recent_features[text] = packed
        while len(self.recent_features) > RECENT_FEATURES:
            del self.recent_features[next(iter(self.recent_features))]

    def remember_furniture(
        self, source_id: int, text_sha256: str | None, furniture: list[tuple[int, int]]
    ) -> None:
        if text_sha256 is None:
            return
        self.furniture[source_id] = (text_sha256, furniture)
        while len(self.furniture) > RECENT_FURNITURE:
            del self.furniture[next(iter(self.furniture))]

    def forget_uncommitted(self) -> None:
        """Drop what is remembered of stored sources by id (after a rollback)."""
        self.furniture.clear()

    # The band keys of new claims are held here until the transaction commits, then written
    # in key order at once. Written source by source, each source's few hundred random keys
    # touched most pages of the index, and every page first touched inside a source's
    # savepoint was copied to SQLite's statement journal (a temporary file), a large part of
    # the writer's work on a bulk add. Lookups see these rows as if they were stored.

    def add_claim_keys(self, rows: list[tuple[int, int]]) -> None:
        """Rows (key, claim_id) of claims just linked, to be written before the commit."""
        self.unwritten_keys += rows
        for key, claim_id in rows:
            self._unwritten_by_key.setdefault(key, []).append(claim_id)

    def unwritten_claims(self, key: int) -> list[int]:
        """The claims with band key ``key`` among those not yet written."""
        return self._unwritten_by_key.get(key, [])

    def claim_keys_mark(self) -> int:
        """Where the unwritten rows stand now: :meth:`drop_claim_keys` undoes what follows."""
        return len(self.unwritten_keys)

    def drop_claim_keys(self, mark: int) -> None:
        """Forget the rows added since ``mark`` (their savepoint was rolled back)."""
        if mark >= len(self.unwritten_keys):
            return
        del self.unwritten_keys[mark:]
        self._unwritten_by_key = {}
        for key, claim_id in self.unwritten_keys:
            self._unwritten_by_key.setdefault(key, []).append(claim_id)

    def write_claim_keys(self, conn: sqlite3.Connection) -> None:
        """Write the rows held (in key order) into ``claim_keys``; call before committing the
        transaction that stored their claims."""
        if self.unwritten_keys:
            conn.executemany(
                "INSERT OR IGNORE INTO claim_keys (key, claim_id) VALUES (?, ?)",
                sorted(self.unwritten_keys),
            )
        self.unwritten_keys, self._unwritten_by_key = [], {}


def link_sources(
    conn: sqlite3.Connection, source_ids: list[int], memory: LinkMemory | None = None
) -> dict[str, Any]:
    """All linking for the documents of one capture; returns counts by kind of link.

    ``memory``: what the batch keeps from capture to capture. With one, the new claims' band
    keys are held in it until the caller writes them (:meth:`LinkMemory.write_claim_keys`,
    before committing); without one, they are written here.

    Each stage runs in a savepoint: a stage that fails on some odd input is undone and named
    under ``errors`` (the event log keeps it), and the source is still stored with the links
    the other stages made. Links are derived data; the capture itself must not be lost."""
    _record_index_versions(conn)
    own = memory is None
    memory = memory or LinkMemory()
    counts: dict[str, Any] = {}
    groups = _linked_apart(conn, source_ids)
    claims_of: dict[int, set[int]] = defaultdict(set)
    if len(groups) > 1:  # each pair of the capture's claims is linked once, later to earlier
        sql = "SELECT id, source_id FROM claims WHERE source_id IN ({marks})"
        for claim_id, source_id in rows_in(conn, sql, source_ids):
            claims_of[source_id].add(claim_id)
    later = set().union(*claims_of.values())  # the claims of the groups not linked yet
    for group in groups:
        for source_id in group:
            later -= claims_of.get(source_id, set())
        for name, value in _link_stages(conn, group, memory, later).items():
            if name == "errors":
                counts.setdefault("errors", {}).update(value)
            else:
                counts[name] = counts.get(name, 0) + value
    if own:
        memory.write_claim_keys(conn)
    return counts


def _linked_apart(conn: sqlite3.Connection, source_ids: list[int]) -> list[list[int]]:
    """The documents of one capture in the groups linked one after another: each record of a
    web capture with its posts (a crawl holds the pages of many outlets, which state, quote
    and cite one another: each is linked to the records before it), else all at once."""
    parents = {
        r[0]: (r[1], r[2])
        for r in rows_in(
            conn,
            "SELECT s.id, s.parent_id, p.kind FROM sources s LEFT JOIN sources p"
            " ON p.id = s.parent_id WHERE s.id IN ({marks})",
            source_ids,
        )
    }
    records = {
        sid: [sid] for sid in source_ids if parents.get(sid, (None, None))[1] in CAPTURE_CONTAINERS
    }
    if len(records) < 2:
        return [source_ids]
    rest = []
    for sid in source_ids:
        if sid not in records:
            parent = parents.get(sid, (None, None))[0]
            (records[parent] if parent in records else rest).append(sid)
    return ([rest] if rest else []) + [records[sid] for sid in sorted(records)]


def _link_stages(
    conn: sqlite3.Connection, source_ids: list[int], memory: LinkMemory, later: set[int]
) -> dict[str, Any]:
    counts: dict[str, Any] = {}
    for name, stage in (
        ("renditions", lambda conn, ids: works.recognise_renditions(conn, ids, memory.keys())),
        ("claims_linked", lambda conn, ids: link_claims(conn, ids, memory, later)),
        ("quotes_traced", lambda conn, ids: trace_quotes(conn, ids, memory)),
        ("citations_resolved", lambda conn, ids: citations.resolve_citations(conn, ids)),
    ):
        conn.execute(f"SAVEPOINT {name}")
        mark = memory.claim_keys_mark()
        try:
            counts[name] = stage(conn, source_ids)
        except Exception as exc:  # recorded, and the rest goes on
            conn.execute(f"ROLLBACK TO {name}")
            memory.drop_claim_keys(mark)
            log.exception("linking stage %s failed for sources %s", name, source_ids)
            counts.setdefault("errors", {})[name] = f"{type(exc).__name__}: {exc}"
            counts[name] = 0
        conn.execute(f"RELEASE {name}")
    return counts


def _record_index_versions(conn: sqlite3.Connection) -> None:
    for name, method in (("claim_keys", minhash.METHOD), ("quote_keys", QUOTE_KEY_METHOD)):
        conn.execute(
            "INSERT INTO link_indexes (name, method, tool_version) VALUES (?, ?, ?)"
            " ON CONFLICT(name) DO NOTHING",
            (name, method, __version__),
        )


def _marks(values) -> str:
    return ",".join("?" for _ in values)


def _family(conn: sqlite3.Connection, source_ids: list[int]) -> set[int]:
    """The documents that are not other outlets for these sources: their captures and every
    rendition of their works (see :func:`provenance.works.family`). A page captured again,
    or its plain-text copy, is the same work, not another outlet repeating it."""
    return works.family(conn, source_ids)


def _pack(features: similarity.Features) -> bytes:
    """Features marshalled (their fields are strings, tuples and frozensets)."""
    return marshal.dumps(tuple(getattr(features, name) for name in _FEATURE_FIELDS))


def _features(text: str, memory: LinkMemory | None = None) -> similarity.Features:
    if memory is not None:
        packed = memory.hints.features.get(text) or memory.recent_features.get(text)
        if packed is not None:
            return similarity.Features(*marshal.loads(packed))
    return _cached_features(text)


#: Features of older stored claims computed here (what the workers did not prepare and the
#: marshalled recent ones do not hold): 2.5–4 KB each, so kept to a few thousand, lest the
#: writer's memory grow with the archive.
@lru_cache(maxsize=5_000)
def _cached_features(text: str) -> similarity.Features:
    return similarity.features(text)


def _band_keys(
    texts: list[str], features: list[similarity.Features], memory: LinkMemory
) -> list[list[int]]:
    """MinHash band keys of each text's terms: prepared ones, the rest computed in one batch."""
    out: list[list[int] | None] = [memory.hints.band_keys.get(t) for t in texts]
    missing = [i for i, k in enumerate(out) if k is None]
    if missing:
        for i, keys in zip(
            missing, minhash.band_keys([features[i].terms for i in missing]), strict=True
        ):
            out[i] = keys
    return out  # type: ignore[return-value]


# --- claims ------------------------------------------------------------------------------


@dataclass
class _Candidate:
    claim_id: int
    source_id: int
    text: str
    published: str | None
    family: int  # the capture it belongs to (its parent, or itself)
    start: int = 0
    contents: tuple[str, ...] = ()  # what its attributions say was said, inside the claim
    # Computed once per linking pass, however many new claims it is compared with.
    feature_list: list[similarity.Features] | None = field(default=None, repr=False)

    def features(self, memory: LinkMemory) -> list[similarity.Features]:
        if self.feature_list is None:
            self.feature_list = [_features(t, memory) for t in (self.text, *self.contents)]
        return self.feature_list


def _contents(conn: sqlite3.Connection, claims: dict[int, tuple[int, str]]) -> dict[int, list[str]]:
    """The attributed content of each claim ("P" in "X said that P"), when it is a part of it.

    Comparing contents as well as whole sentences links "A report by X found that smugglers
    moved 300 tonnes" with "Smugglers moved 300 tonnes, X estimates"."""
    found: dict[int, list[str]] = defaultdict(list)
    for cid, a, b in rows_in(
        conn,
        "SELECT claim_id, content_start, content_end FROM attributions"
        " WHERE claim_id IN ({marks}) AND content_start IS NOT NULL",
        claims,
    ):
        start, text = claims[cid]
        content = _content_within(start, text, a, b)
        if content is not None and content not in found[cid]:
            found[cid].append(content)
    return found


def _prepared_contents(
    source_ids: list[int], rows: list, memory: LinkMemory
) -> dict[int, list[str]] | None:
    """:func:`_contents` of the new claims from the prepared hints, or None without them.

    A document's claims have consecutive ids in the order of its analysis, so a claim's
    index is its id less the first id of its document."""
    if not source_ids or len(memory.hints.contents) != len(memory.hinted):
        return None
    position = {sid: i for i, sid in enumerate(memory.hinted)}
    if any(sid not in position for sid in source_ids):
        return None
    first: dict[int, int] = {}
    found: dict[int, list[str]] = {}
    for cid, _, _, _, sid in rows:  # in id order
        first.setdefault(sid, cid)
        prepared = memory.hints.contents[position[sid]]
        if prepared is None:
            return None
        texts = prepared.get(cid - first[sid])
        if texts:
            found[cid] = texts
    return found


def link_claims(
    conn: sqlite3.Connection,
    source_ids: list[int],
    memory: LinkMemory | None = None,
    later: Collection[int] = (),
) -> int:
    """Link each new claim to stored claims of other captures that state the same thing
    (``later``: claims of the same capture linked after these, which link to these then)."""
    family = _family(conn, source_ids)
    marks = _marks(source_ids)
    rows = conn.execute(
        f"SELECT id, text, norm_key, start, source_id FROM claims WHERE source_id IN ({marks})"
        " ORDER BY id",
        source_ids,
    ).fetchall()
    mine = {r[0] for r in rows} | set(later)
    usable = [r[:4] for r in rows if r[2] and len(r[2].split()) >= MIN_LINK_WORDS]
    own = memory is None  # then the new keys are written here, not held for the caller
    memory = memory or LinkMemory()
    contents = _prepared_contents(source_ids, rows, memory)
    if contents is None:
        contents = _contents(conn, {cid: (start, text) for cid, text, _, start in usable})
    rep_texts = {cid: [text, *contents.get(cid, ())] for cid, text, _, _ in usable}
    reps = {cid: [_features(t, memory) for t in texts] for cid, texts in rep_texts.items()}
    owners = [cid for cid, *_ in usable for _ in reps[cid]]
    keys = _band_keys(
        [t for cid, *_ in usable for t in rep_texts[cid]],
        [f for cid, *_ in usable for f in reps[cid]],
        memory,
    )
    key_rows = list(
        dict.fromkeys((k, cid) for cid, ks in zip(owners, keys, strict=True) for k in ks)
    )
    hits: dict[int, dict[int, int]] = defaultdict(lambda: defaultdict(int))
    by_key: dict[int, list[int]] = defaultdict(list)
    for k, cid in key_rows:
        by_key[k].append(cid)
    pending = bool(memory.unwritten_keys)  # rows of this transaction not yet written
    stored = set()
    postings: dict[int, list[int]] = defaultdict(list)
    for k, other in rows_in(
        conn, "SELECT key, claim_id FROM claim_keys WHERE key IN ({marks})", by_key
    ):
        if pending:
            stored.add((k, other))
        if other not in mine:
            postings[k].append(other)
    for k in by_key if pending else ():
        for other in memory.unwritten_claims(k):
            if other not in mine and (k, other) not in stored:
                postings[k].append(other)
    for k, others in postings.items():
        if len(others) > MAX_KEY_POSTINGS:
            # A key thousands of claims hold (a template sentence, a wire story's): the
            # earliest stored of them stand for the rest, which are linked to them already.
            others = sorted(others)[:MAX_KEY_POSTINGS]
        for cid in by_key[k]:
            counts = hits[cid]
            for other in others:
                counts[other] += 1
    repeats = _repeats(conn, {key for _, _, key, _ in usable})
    for cid, _, key, _ in usable:
        for other in [o for o in repeats.get(key, ()) if o != cid][:REPEATS]:
            if other not in mine:
                hits[cid][other] += 100  # an exact repeat comes first
    memory.add_claim_keys(key_rows)
    if own:
        memory.write_claim_keys(conn)
    ranked = {cid: _worth_verifying(hits[cid]) for cid in hits}
    candidates = _load_candidates(conn, {other for r in ranked.values() for other, _ in r})
    links = []
    for cid, *_ in usable:
        matches = []
        for other, _count in ranked.get(cid, ()):
            candidate = candidates.get(other)
            if candidate is None or candidate.source_id in family or candidate.family in family:
                continue
            match = _best_match(reps[cid], candidate.features(memory))
            if match is not None:
                matches.append((match, candidate))
        matches.sort(
            key=lambda mc: (
                _RELATION_RANK[mc[0].relation],
                *order_key(mc[1].published),  # times in other zones by their moment
                -mc[0].score,
                mc[1].claim_id,
            )
        )
        for match, candidate in matches[:MAX_LINKS_PER_CLAIM]:
            method = EXACT_METHOD if match.relation == "same" else minhash.METHOD
            links.append(
                (
                    cid,
                    candidate.claim_id,
                    match.relation,
                    match.score,
                    method,
                    __version__,
                    json.dumps(match.details) if match.details else None,
                )
            )
    conn.executemany(
        "INSERT OR IGNORE INTO claim_links (claim_id, other_claim_id, relation, score, method,"
        " tool_version, details) VALUES (?, ?, ?, ?, ?, ?, ?)",
        links,
    )
    _cluster(
        conn,
        [
            (a, b)
            for a, b, relation, _, _, _, details in links
            if relation in CLUSTER_RELATIONS and not (details and '"conflict"' in details)
        ],
    )
    return len(links)


#: Claims with the same normalised text looked at per new claim (the earliest first).
REPEATS = 200


def _repeats(conn: sqlite3.Connection, keys: set[str]) -> dict[str, list[int]]:
    """The ids of the first ``REPEATS + 1`` claims of each normalised text, in id order: one
    query per batch of keys, not one per claim (a claim's own id is dropped by the caller)."""
    out: dict[str, list[int]] = defaultdict(list)
    sql = (
        "SELECT norm_key, id FROM (SELECT norm_key, id, ROW_NUMBER() OVER"
        " (PARTITION BY norm_key ORDER BY id) AS n FROM claims WHERE norm_key IN ({marks}))"
        f" WHERE n <= {REPEATS + 1} ORDER BY norm_key, id"
    )
    for key, other in rows_in(conn, sql, sorted(keys)):
        out[key].append(other)
    return out


def _worth_verifying(counts: dict[int, int]) -> list[tuple[int, int]]:
    """The candidates to compare with: those sharing two band keys or more (the most first),
    and a few sharing one. One shared key in ten is what unrelated claims with a few common
    terms get; claims that overlap by half their terms share two or more most of the time."""
    # The few best of what may be thousands (a claim of a template sentence): no full sort.
    strong = heapq.nsmallest(MAX_CANDIDATES, ((-n, k) for k, n in counts.items() if n >= 2))
    weak = heapq.nsmallest(WEAK_CANDIDATES, (k for k, n in counts.items() if n == 1))
    return [(k, -n) for n, k in strong] + [(k, 1) for k in weak]


def _best_match(
    mine: list[similarity.Features], theirs: list[similarity.Features]
) -> similarity.Match | None:
    """The closest relation between any representation of one claim and of another."""
    best = None
    for a in mine:
        for b in theirs:
            match = similarity.compare(a, b)
            if match is None:
                continue
            if best is None or (_RELATION_RANK[match.relation], -match.score) < (
                _RELATION_RANK[best.relation],
                -best.score,
            ):
                best = match
    return best


def _load_candidates(conn: sqlite3.Connection, ids) -> dict[int, _Candidate]:
    ids = list(ids)
    found: dict[int, _Candidate] = {}
    for cid, source_id, text, published, parent, start in rows_in(
        conn,
        "SELECT c.id, c.source_id, c.text, s.published, s.parent_id, c.start FROM claims c"
        " JOIN sources s ON s.id = c.source_id WHERE c.id IN ({marks})",
        ids,
    ):
        found[cid] = _Candidate(cid, source_id, text, published, parent or source_id, start)
    contents = _contents(conn, {c.claim_id: (c.start, c.text) for c in found.values()})
    for cid, texts in contents.items():
        found[cid].contents = tuple(texts)
    return found


def _cluster(conn: sqlite3.Connection, pairs: list[tuple[int, int]]) -> None:
    """Merge the clusters of linked claims (union-find; the smallest claim id names a cluster)."""
    if not pairs:
        return
    nodes = {n for pair in pairs for n in pair}
    current: dict[int, int] = {}
    current.update(
        rows_in(
            conn,
            "SELECT claim_id, cluster_id FROM claim_clusters WHERE claim_id IN ({marks})",
            nodes,
        )
    )
    parent: dict[int, int] = {}

    def find(x: int) -> int:
        parent.setdefault(x, x)
        while parent[x] != x:
            parent[x] = parent[parent[x]]
            x = parent[x]
        return x

    def union(a: int, b: int) -> None:
        ra, rb = find(a), find(b)
        if ra != rb:
            parent[max(ra, rb)] = min(ra, rb)

    for a, b in pairs:
        union(a, b)
    for node, cluster in current.items():
        union(node, cluster)  # a stored cluster id is itself a claim id of that cluster
    groups: dict[int, set[int]] = defaultdict(set)
    for node in list(parent):
        groups[find(node)].add(node)
    for root, members in groups.items():
        old_clusters = {current[m] for m in members if m in current} - {root}
        for old in old_clusters:
            conn.execute(
                "UPDATE claim_clusters SET cluster_id = ? WHERE cluster_id = ?", (root, old)
            )
        conn.executemany(
            "INSERT INTO claim_clusters (claim_id, cluster_id, method, tool_version)"
            " VALUES (?, ?, ?, ?) ON CONFLICT(claim_id) DO UPDATE SET cluster_id = excluded.cluster_id",
            [(m, root, CLUSTER_METHOD, __version__) for m in members],
        )


# --- quotations --------------------------------------------------------------------------

QUOTE_KEY_METHOD = "word-trigrams-0.1"


def _trigram_key(words: tuple[str, ...]) -> int:
    if core is not None:
        return core.trigram_key(words)
    digest = hashlib.blake2b(" ".join(words).encode("utf-8"), digest_size=8).digest()
    return int.from_bytes(digest, "little", signed=True)


@lru_cache(maxsize=20_000)
def quote_keys(quote: str) -> list[int]:
    """Keys of a few word trigrams of a quotation, taken from its unbroken runs of words."""
    runs: list[list[str]] = [[]]
    for item in alignment.quote_items(quote):
        if item.kind == "word" and not item.bracketed and item.soft_end is None:
            runs[-1].append(item.keys[0])
        else:
            runs.append([])
    grams = [tuple(run[i : i + 3]) for run in runs for i in range(len(run) - 2)]
    grams = [g for g in grams if any(w not in similarity.STOP_WORDS for w in g)]
    if not grams:
        return []
    step = max(1, len(grams) // QUOTE_KEYS)
    return list(dict.fromkeys(_trigram_key(g) for g in grams[::step][:QUOTE_KEYS]))


def _text_trigram_keys(words: list[tuple[str, int]]) -> set[int]:
    keys = [k for k, _ in words]
    if core is not None:
        return core.trigram_keys(keys)
    return {_trigram_key(tuple(keys[i : i + 3])) for i in range(len(keys) - 2)}


@dataclass
class _Source:
    id: int
    text: str
    published: str | None
    family: int
    furniture: list[tuple[int, int]]
    _trigram_keys: Collection[int] | None = None

    @property
    def trigram_keys(self) -> Collection[int]:
        """The distinct keys of the text's word trigrams (see :func:`_text_trigram_keys`)."""
        if self._trigram_keys is None:
            self._trigram_keys = _text_trigram_keys(alignment.text_keys(self.text))
        return self._trigram_keys


class _Sources:
    """Source texts and furniture lines, loaded once per linking pass."""

    def __init__(self, conn: sqlite3.Connection, memory: LinkMemory) -> None:
        self.conn = conn
        self.memory = memory
        self.cache: dict[int, _Source] = {}

    def get(self, source_id: int) -> _Source | None:
        if source_id not in self.cache:
            row = self.conn.execute(
                f"SELECT text, {works.DATED.format(s='s')}, parent_id, text_sha256"
                " FROM sources s WHERE id = ?",
                (source_id,),
            ).fetchone()
            if row is None:
                return None
            prepared = self.memory.source_hints.get(source_id)
            if prepared is not None:
                self.cache[source_id] = _Source(
                    source_id, row[0], row[1], row[2] or source_id,
                    prepared.furniture, prepared.trigram_keys,
                )  # fmt: skip
                self.memory.remember_furniture(source_id, row[3], prepared.furniture)
                return self.cache[source_id]
            known = self.memory.furniture.get(source_id)
            if known is not None and known[0] == row[3]:
                furniture = known[1]
            else:
                breaks = [
                    r[0]
                    for r in self.conn.execute(
                        "SELECT start FROM structure WHERE source_id = ? AND kind = 'page'",
                        (source_id,),
                    )
                ]
                furniture = alignment.furniture_lines(row[0], breaks)
                self.memory.remember_furniture(source_id, row[3], furniture)
            self.cache[source_id] = _Source(
                source_id, row[0], row[1], row[2] or source_id, furniture
            )
        return self.cache[source_id]


def _fts_query(quote: str) -> str | None:
    """The full-text query that finds the sources a quotation may come from. Names are left
    out (a misspelt one would hide the original) unless the quotation is nearly all names, as
    a title quoted in capitals is ("Fishing Fleet Incursions in the Gulf")."""
    items = [
        (item.name, fold)
        for item in alignment.quote_items(quote)
        if item.kind == "word" and not item.bracketed
        for fold in [similarity.fold(quote[item.start : item.end])]
        if re.fullmatch(r"[a-z0-9]{3,}", fold) and fold not in similarity.STOP_WORDS
    ]
    words = list(dict.fromkeys(fold for name, fold in items if not name))
    if len(words) < 2:
        words = list(dict.fromkeys(fold for _, fold in items))
    if len(words) < 2:
        return None
    longest = sorted(words, key=lambda w: (-len(w), w))[:8]
    # Groups such that one changed or added word (a misquote) cannot hide the original:
    # two disjoint groups for a long quote, every group but one word for a short one.
    if len(longest) >= 6:
        groups = [longest[i::2] for i in range(2)]
    elif len(longest) >= 3:
        groups = [longest[:i] + longest[i + 1 :] for i in range(len(longest))]
    else:
        groups = [longest]
    clauses = ["(" + " AND ".join(f'"{w}"' for w in g) + ")" for g in groups if g]
    return "text : (" + " OR ".join(clauses) + ")"


@dataclass
class _Trace:
    source: _Source
    found: alignment.Alignment
    quoted_there: bool  # the words are inside quotation marks in that source too
    rule: str | None = None  # time's arrow: earlier-published | undated (works.time_rule)

    def rank(self) -> tuple:
        exactish = 0 if not self.found.misquoted else 1
        return (
            self.quoted_there,
            exactish,
            *order_key(self.source.published),
            -self.found.score,
            self.source.id,
        )


def _align_in(quote: str, source: _Source, quoting_published: str | None, conn) -> _Trace | None:
    """Where in ``source`` the quotation comes from, if it can: a source published after the
    one quoting (both dates known) is not where the words came from, and is not searched."""
    rule = works.time_rule(quoting_published, source.published)
    if rule is None:
        return None
    found = alignment.locate(quote, source.text, source.furniture)
    if found is None:
        return None
    quoted = conn.execute(
        "SELECT 1 FROM quotes WHERE source_id = ? AND start <= ? AND end >= ? LIMIT 1",
        (source.id, found.start + 1, found.end - 1),
    ).fetchone()
    if quoted and not source.published:
        # An undated source that itself only quotes the words is not where anyone got them:
        # nothing says it came first (a dated cable quoting the police is not drawn from an
        # undated copy of a story quoting the same words).
        return None
    return _Trace(source, found, bool(quoted), rule)


def _quote_plan(quote: str) -> tuple[list[int], str | None] | None:
    """A quotation's trigram keys and full-text query, or None when it is too short to trace
    (the part of tracing it that needs no database, done in the workers)."""
    if len(re.findall(r"\w+", quote)) < MIN_QUOTE_WORDS:
        return None
    return quote_keys(quote), _fts_query(quote)


def trace_quotes(
    conn: sqlite3.Connection, source_ids: list[int], memory: LinkMemory | None = None
) -> int:
    """Trace the new quotations to the sources they quote, and stored quotations to the new
    sources when those are their originals."""
    family = _family(conn, source_ids)
    memory = memory or LinkMemory()
    sources = _Sources(conn, memory)
    marks = _marks(source_ids)
    traced = 0
    quotes = conn.execute(
        f"SELECT q.id, q.text, q.claim_id, {works.DATED.format(s='s')} FROM quotes q"
        f" JOIN sources s ON s.id = q.source_id WHERE q.source_id IN ({marks}) ORDER BY q.id",
        source_ids,
    ).fetchall()
    key_rows = []
    for quote_id, text, claim_id, published in quotes:
        plan = memory.hints.quotes[text] if text in memory.hints.quotes else _quote_plan(text)
        if plan is None:
            continue
        keys, query = plan
        key_rows += [(k, quote_id) for k in keys]
        if query is None:
            continue
        try:
            candidates = conn.execute(
                "SELECT rowid FROM sources_fts WHERE sources_fts MATCH ? ORDER BY rank LIMIT ?",
                (query, MAX_QUOTE_SOURCES * 2),
            ).fetchall()
        except sqlite3.OperationalError:
            continue
        best: _Trace | None = None
        tried = 0
        for (candidate_id,) in candidates:
            source = sources.get(candidate_id)
            if source is None or source.id in family or source.family in family:
                continue
            tried += 1
            if tried > MAX_QUOTE_SOURCES:
                break
            trace = _align_in(text, source, published, conn)
            if trace and (best is None or trace.rank() < best.rank()):
                best = trace
        if best is not None:
            _store_trace(conn, quote_id, claim_id, best)
            traced += 1
    conn.executemany("INSERT OR IGNORE INTO quote_keys (key, quote_id) VALUES (?, ?)", key_rows)
    traced += _trace_into_new(conn, source_ids, family, sources)
    return traced


def _trace_into_new(conn, source_ids: list[int], family: set[int], sources: _Sources) -> int:
    """Stored quotations whose original is one of the new sources."""
    traced = 0
    for source_id in source_ids:
        source = sources.get(source_id)
        if source is None or not source.text:
            continue
        keys = list(source.trigram_keys)
        hits: dict[int, int] = defaultdict(int)
        for (quote_id,) in rows_in(
            conn, "SELECT quote_id FROM quote_keys WHERE key IN ({marks})", keys
        ):
            hits[quote_id] += 1
        ids = list(hits)
        if not ids:
            continue
        rows = conn.execute(
            f"SELECT q.id, q.text, q.claim_id, q.source_id, s.parent_id, {works.DATED.format(s='s')},"
            f" q.traced_source_id FROM quotes q JOIN sources s ON s.id = q.source_id"
            f" WHERE q.id IN ({_marks(ids)})",
            ids,
        ).fetchall()
        for quote_id, text, claim_id, quoting, parent, published, current in rows:
            if quoting in family or (parent or quoting) in family or current == source_id:
                continue
            if hits[quote_id] < min(2, len(quote_keys(text))):
                continue  # one shared trigram of a long quotation is chance
            trace = _align_in(text, source, published, conn)
            if trace is None or _traced_back(conn, quote_id, source_id, quoting, trace):
                continue
            if current is not None:
                existing = _current_trace(conn, quote_id, sources)
                if existing is not None and existing.rank() <= trace.rank():
                    continue
            _store_trace(conn, quote_id, claim_id, trace)
            traced += 1
    return traced


def _traced_back(conn, quote_id: int, source_id: int, quoting: int, trace: _Trace) -> bool:
    """Whether tracing the stored quotation ``quote_id`` (of source ``quoting``) into the new
    source would close a loop: the new source quotes the same words and its own quotation is
    already traced to them in ``quoting``. Time's arrow allows both directions between stories
    of the same day (or undated ones); each would then be the other's origin."""
    if not trace.quoted_there:
        return False  # the words stand unquoted there: an original, not a peer repeating them
    start, end = conn.execute("SELECT start, end FROM quotes WHERE id = ?", (quote_id,)).fetchone()
    back = conn.execute(
        "SELECT 1 FROM quotes WHERE source_id = ? AND traced_source_id = ?"
        " AND traced_start < ? AND traced_end > ? LIMIT 1",
        (source_id, quoting, end, start),
    ).fetchone()
    return back is not None


def _current_trace(conn, quote_id: int, sources: _Sources) -> _Trace | None:
    row = conn.execute(
        "SELECT traced_source_id, traced_start, traced_end, trace_score, differences"
        " FROM quotes WHERE id = ?",
        (quote_id,),
    ).fetchone()
    source = sources.get(row[0]) if row and row[0] else None
    if source is None:
        return None
    differences = json.loads(row[4] or "[]")
    found = alignment.Alignment(row[1], row[2], row[3] or 0.0, 0, 0, differences)
    quoted = conn.execute(
        "SELECT 1 FROM quotes WHERE source_id = ? AND start <= ? AND end >= ? LIMIT 1",
        (source.id, row[1] + 1, row[2] - 1),
    ).fetchone()
    return _Trace(source, found, bool(quoted))


def _store_trace(conn, quote_id: int, claim_id: int | None, trace: _Trace) -> None:
    found, source = trace.found, trace.source
    quote_start = conn.execute("SELECT start FROM quotes WHERE id = ?", (quote_id,)).fetchone()[0]
    conn.execute(
        "UPDATE quotes SET traced_source_id = ?, traced_start = ?, traced_end = ?,"
        " traced_text = ?, differences = ?, trace_score = ?, trace_method = ?,"
        " trace_tool_version = ?, trace_rule = ? WHERE id = ?",
        (
            source.id,
            found.start,
            found.end,
            source.text[found.start : found.end],
            json.dumps(found.differences, ensure_ascii=False),
            found.score,
            QUOTE_METHOD,
            __version__,
            trace.rule,
            quote_id,
        ),
    )
    if claim_id is None:
        return
    conn.execute(
        "DELETE FROM claim_links WHERE claim_id = ? AND relation = 'quotes'"
        " AND json_extract(details, '$.quote_id') = ?",
        (claim_id, quote_id),
    )
    originals = conn.execute(
        "SELECT id FROM claims WHERE source_id = ? AND start < ? AND end > ? ORDER BY start",
        (source.id, found.end, found.start),
    ).fetchall()
    details = json.dumps(
        {
            "quote_id": quote_id,
            "quote_start": quote_start,
            "misquote": found.misquoted,
            "rule": trace.rule,
        }
    )
    conn.executemany(
        "INSERT OR REPLACE INTO claim_links (claim_id, other_claim_id, relation, score, method,"
        " tool_version, details) VALUES (?, ?, 'quotes', ?, ?, ?, ?)",
        [(claim_id, o, found.score, QUOTE_METHOD, __version__, details) for (o,) in originals],
    )


# --- asking ------------------------------------------------------------------------------


def cluster(conn: sqlite3.Connection, claim_id: int) -> list[int]:
    """The claims in the cluster of ``claim_id`` (itself included), by id."""
    row = conn.execute(
        "SELECT cluster_id FROM claim_clusters WHERE claim_id = ?", (claim_id,)
    ).fetchone()
    if row is None:
        return [claim_id]
    return [
        r[0]
        for r in conn.execute(
            "SELECT claim_id FROM claim_clusters WHERE cluster_id = ? ORDER BY claim_id", (row[0],)
        )
    ]


MAX_TRACE_DEPTH = 6


def trace(conn: sqlite3.Connection, claim_id: int) -> list[dict[str, Any]]:
    """The chain from a claim to its primary source, one dict per step.

    The first step is the claim itself (relation ``claim``). Each further step is a passage of
    another source, reached by ``quotes`` (a quotation in the claim traced there, with its
    ``differences``), ``attributes to`` (the claim's attribution names that document),
    ``cites`` (the claim mentions that document) or ``repeats`` (the same claim, published
    earlier, when the claim says nothing of where it comes from). From each passage reached,
    the chain goes on from the claims found there, breadth first, to at most
    :data:`MAX_TRACE_DEPTH` steps deep; each source appears once.
    """
    row = conn.execute(
        "SELECT c.id, c.source_id, c.start, c.end, c.text, s.title, s.published"
        " FROM claims c JOIN sources s ON s.id = c.source_id WHERE c.id = ?",
        (claim_id,),
    ).fetchone()
    if row is None:
        raise ClaimNotFound(f"no claim with id {claim_id}")
    steps = [
        {
            "depth": 0,
            "from_claim_id": None,
            "claim_id": row[0],
            "source_id": row[1],
            "title": row[5],
            "published": row[6],
            "start": row[2],
            "end": row[3],
            "text": row[4],
            "relation": "claim",
            "score": None,
            "differences": None,
        }
    ]
    seen_sources = {row[1]}
    frontier = [(row[0], row[1], row[2], row[3], 0)]
    while frontier:
        claim, source_id, start, end, depth = frontier.pop(0)
        if depth >= MAX_TRACE_DEPTH:
            continue
        for step in _steps_from(conn, claim, source_id, start, end):
            if step["source_id"] in seen_sources:
                continue
            seen_sources.add(step["source_id"])
            step["depth"] = depth + 1
            step["from_claim_id"] = claim
            steps.append(step)
            for next_claim, a, b in conn.execute(
                "SELECT id, start, end FROM claims WHERE source_id = ? AND start < ? AND end > ?"
                " ORDER BY start LIMIT 3",
                (step["source_id"], step["end"], step["start"]),
            ).fetchall() or [(None, step["start"], step["end"])]:
                frontier.append((next_claim, step["source_id"], a, b, depth + 1))
    return steps


def _source_row(conn, source_id: int) -> tuple:
    return conn.execute(
        "SELECT title, published, text FROM sources WHERE id = ?", (source_id,)
    ).fetchone()


def _step(conn, source_id, start, end, relation, score, claim_id=None, differences=None):
    title, published, text = _source_row(conn, source_id)
    return {
        "claim_id": claim_id,
        "source_id": source_id,
        "title": title,
        "published": published,
        "start": start,
        "end": end,
        "text": text[start:end] if start is not None else None,
        "relation": relation,
        "score": score,
        "differences": differences,
    }


def _steps_from(conn, claim_id, source_id, start, end) -> list[dict]:
    steps = []
    # Quotations in the passage (a quotation may run on past the sentence that opens it),
    # traced to their originals: the stored traces, as the claim page shows them.
    for traced, t_start, t_end, score, differences, rule in conn.execute(
        "SELECT traced_source_id, traced_start, traced_end, trace_score, differences, trace_rule"
        " FROM quotes WHERE source_id = ? AND start < ? AND end > ?"
        " AND traced_source_id IS NOT NULL ORDER BY start",
        (source_id, end, start),
    ).fetchall():
        original = _claim_at(conn, traced, t_start, t_end)
        step = _step(
            conn,
            traced,
            t_start,
            t_end,
            "quotes",
            score,
            original,
            json.loads(differences or "[]"),
        )
        step["rule"] = rule  # time's arrow: earlier-published | undated
        steps.append(step)
    # The document the passage attributes its content to.
    for (cited,) in conn.execute(
        "SELECT DISTINCT cited_source_id FROM attributions WHERE source_id = ?"
        " AND cited_source_id IS NOT NULL AND (claim_id = ? OR"
        " (coalesce(mention_start, cue_start) >= ? AND coalesce(mention_start, cue_start) < ?))",
        (source_id, claim_id, start, end),
    ).fetchall():
        steps.append(_passage_step(conn, cited, claim_id, "attributes to", 1.0))
    # Documents the passage mentions.
    for cited, confidence in conn.execute(
        "SELECT cited_source_id, max(confidence) FROM citations WHERE citing_source_id = ?"
        " AND cited_source_id IS NOT NULL AND start >= ? AND start < ? GROUP BY cited_source_id",
        (source_id, start, end),
    ).fetchall():
        steps.append(_passage_step(conn, cited, claim_id, "cites", confidence))
    if not steps and claim_id is not None:
        step = _repeated_from(conn, claim_id, source_id)
        if step is not None:
            steps.append(step)
    return steps


#: Other sources stating a claim looked at for the one it repeats, the earliest first.
MAX_REPEATED = 50


def _repeated_from(conn, claim_id: int, source_id: int) -> dict | None:
    """Nothing said about where a claim comes from: the earliest other source stating it that
    is known to come before it (a source of the same day without a time is not). Sources
    that may have come first as well (of that day, a time missing) are named in ``tied``:
    which of them came first no date says."""
    published = conn.execute("SELECT published FROM sources WHERE id = ?", (source_id,)).fetchone()
    stating = conn.execute(
        "SELECT * FROM (SELECT c.id, c.source_id, c.start, c.end, l.relation, l.score,"
        " s.published FROM claim_links l JOIN claims c ON c.id = l.other_claim_id"
        " JOIN sources s ON s.id = c.source_id WHERE l.claim_id = ? AND l.relation != 'quotes'"
        " UNION SELECT c.id, c.source_id, c.start, c.end, l.relation, l.score, s.published"
        " FROM claim_links l JOIN claims c ON c.id = l.claim_id"
        " JOIN sources s ON s.id = c.source_id WHERE l.other_claim_id = ?"
        f" AND l.relation != 'quotes') ORDER BY {order_sql('published')} LIMIT ?",
        (claim_id, claim_id, MAX_REPEATED),
    ).fetchall()
    before = [row for row in stating if strictly_earlier(row[6], published[0])]
    if not before:
        return None
    other, o_source, o_start, o_end, _relation, score, o_published = before[0]
    step = _step(conn, o_source, o_start, o_end, "repeats", score, other)
    step["tied"] = [
        {"source_id": row[1], "claim_id": row[0], "published": row[6],
         "title": _source_row(conn, row[1])[0]}
        for row in stating
        if row[6] and row[1] != o_source and not strictly_earlier(o_published, row[6])
    ]  # fmt: skip
    return step


def _claim_at(conn, source_id: int, start: int, end: int) -> int | None:
    row = conn.execute(
        "SELECT id FROM claims WHERE source_id = ? AND start < ? AND end > ? ORDER BY start LIMIT 1",
        (source_id, end, start),
    ).fetchone()
    return row[0] if row else None


def _passage_step(conn, cited: int, claim_id: int | None, relation: str, score) -> dict:
    """A step into a cited document: the claim of it closest to the citing claim, if any."""
    if claim_id is not None:
        text = conn.execute("SELECT text FROM claims WHERE id = ?", (claim_id,)).fetchone()[0]
        mine = _features(text)
        best = None
        for cid, c_text, c_start, c_end in conn.execute(
            "SELECT id, text, start, end FROM claims WHERE source_id = ?", (cited,)
        ):
            theirs = _features(c_text)
            shared = len(mine.terms & theirs.terms)
            if shared >= 2 and (best is None or shared > best[0]):
                best = (shared, cid, c_start, c_end)
        if best is not None:
            return _step(conn, cited, best[2], best[3], relation, score, best[1])
    return _step(conn, cited, None, None, relation, score)
