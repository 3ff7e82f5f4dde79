"""`who TEXT`: a ranked search for the stored claims that state a claim given in other words.

Read side only (the command line, the published site and the benchmarks call it; it writes
nothing). Three steps, each bounded however large the archive:

1. **Candidates** from the full-text index over claims (``claims_fts``). The query is an OR of
   the text's content words, each widened to its other forms (its Snowball stem with the
   usual endings: "identified" also looks for "identify", "identifies", "identifying") and to
   the words of its synonym group ("hurt" also looks for "injured", "wounded"), so a
   paraphrase that shares only part of the wording is found.
   How many claims hold each word is counted (up to :data:`COUNT_CAP`); the rarest words go
   into the query first, and the most common are left out once the claims they would bring
   exceed :data:`MATCH_BUDGET`, so that BM25 never ranks a large share of a million claims.
   Claims with the same normalised key are added through their index.
2. **Re-ranking** by the paraphrase comparison of :mod:`provenance.similarity`: canonical terms
   (stemmed, synonyms folded, number words read as numbers) shared with the query, each
   weighted by the rarity of its word in the archive (inverse document frequency), a penalty
   for a contradicted figure or a negation on one side only, and the near-duplicate and
   paraphrase tests of :func:`provenance.similarity.compare`. An optional ``rescorer`` (a
   semantic model) is blended in: see :data:`Rescorer`.
3. **Works**: results are grouped by work (``sources.work_id`` where the archive records
   renditions of one work, otherwise each source is its own work): each work once, with the
   renditions in which a claim matched. Works that state the claim (``same`` or
   ``paraphrase``) come first, the earliest published first (undated last), so the first
   reporter leads; works that only share words with it (``related``) follow, best score first.

:func:`who` is the one function every reader calls; :func:`fulltext_ranking` is the first step
alone, kept public so that the benchmark can print the full-text-only ranking beside it.
"""

from __future__ import annotations

import math
import re
import sqlite3
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from . import similarity
from .moments import first_reporters, order_key
from .queries import rows_in
from .text import normal_key, sentence_spans

#: ``rescorer(query, texts) -> scores``: one similarity in [0, 1] per candidate text (a
#: semantic model's cosine similarity, say). Called once per query with the best
#: :data:`RESCORE_TOP` candidates of the lexical ranking; its score is blended with the
#: lexical one (weight :data:`RESCORER_WEIGHT`) and may raise a ``related`` result to
#: ``paraphrase`` (blended score >= :data:`PARAPHRASE_SCORE`). It never lowers ``same``.
Rescorer = Callable[[str, list[str]], list[float]]

#: Claims a word is counted in at most: beyond it the word is "common" whatever its count.
COUNT_CAP = 5_000
#: Claims the candidate query may match in all (summed over its words, rarest first).
MATCH_BUDGET = 12_000
#: Claims taken from the full-text ranking and compared with the query.
CANDIDATES = 100
#: Words of the query used (the rarest first) when it is long.
MAX_QUERY_WORDS = 16
#: Synonyms of one word looked for in the index.
MAX_SYNONYMS = 12
#: A result states the claim in other words when at least this share of the query's
#: (rarity-weighted) terms is in it, with at least :data:`MIN_SHARED` terms shared.
PARAPHRASE_COVERAGE = 0.6
MIN_SHARED = 3
#: Blended score above which a rescored result is a paraphrase.
PARAPHRASE_SCORE = 0.6
RESCORER_WEIGHT = 0.5
#: The lexical score: the share of the query's weighted terms found in the claim, times a
#: factor from PRECISION_FLOOR (none of the claim's other terms in the query) to 1 (all).
#: (Blending in the BM25 relevance of the full-text step was tried: no better on dev.)
PRECISION_FLOOR = 0.5
RESCORE_TOP = 50
#: Relations in the order a work's best rendition is chosen.
RELATIONS = ("same", "paraphrase", "related")
#: When no stored claim states the query, the full texts of this many sources are read
#: sentence by sentence: the claim detector keeps check-worthy sentences only, and a sentence
#: it left out may still state the claim (see ``_sentence_hits``).
SENTENCE_SOURCES = 10
#: The rarest query words whose OR finds those sources when none holds the two rarest.
SENTENCE_WORDS = 4
#: ... asked only when those words are in at most this many claims together.
SENTENCE_BUDGET = 2_000


@dataclass
class _Word:
    """One content word of the query and how the index is asked for it."""

    term: str  # its canonical term (what the comparison counts)
    match: str  # its FTS5 expression
    claims: int = 0  # how many claims hold it (at most COUNT_CAP)


@dataclass
class _Query:
    text: str
    features: similarity.Features
    words: list[_Word]
    terms: frozenset[str]  # canonical terms, query-time groups folded in
    weights: dict[str, float] = field(default_factory=dict)  # canonical term -> idf


@dataclass
class Hit:
    """One stored claim compared with the query."""

    claim_id: int
    score: float
    relation: str  # same | paraphrase | related
    shared: list[str]


# --- the query ----------------------------------------------------------------------------


#: More groups of words news writers use for one another, read at query time only: the
#: stored link keys of :mod:`provenance.similarity` are computed from its own table, which
#: these could join once those keys are rebuilt. The first word names the group (its
#: canonical term is the one :func:`provenance.similarity.terms` gives it).
_MORE_SYNONYMS = """
decrease: reduce reduced reduces reducing reduction reductions
propose: proposed proposes proposal proposals suggest suggested suggests suggestion suggestions
aid: assistance
difficult: hard
seize: seized seizes seizing seizure seizures capture captured confiscate confiscated
document: documents papers
prison: jail jailed imprison imprisoned imprisonment
country: nation nations countries
company: companies firm firms
border: borders frontier
worry: worried worries concern concerns concerned
us: america american americans usg
"""


def _more_synonyms() -> tuple[dict[str, str], dict[str, list[str]]]:
    fold: dict[str, str] = {}
    groups: dict[str, list[str]] = {}
    for line in _MORE_SYNONYMS.strip().splitlines():
        head, _, rest = line.partition(":")
        [canonical] = similarity.terms(head.strip()) or [head.strip()]
        for word in [head.strip(), *rest.split()]:
            for term in similarity.terms(word, [word]):
                fold[term] = canonical
            groups.setdefault(canonical, []).append(word)
    return fold, groups


_FOLD, _MORE_GROUPS = _more_synonyms()


def _fold(terms: frozenset[str]) -> frozenset[str]:
    """Canonical terms with the query-time groups folded in."""
    return frozenset(_FOLD.get(t, t) for t in terms)


def _synonym_words() -> dict[str, list[str]]:
    groups = {
        term: [w for w in words if re.fullmatch(r"[a-z]{3,}", w)]
        for term, words in similarity.synonym_groups().items()
    }
    for term, words in _MORE_GROUPS.items():
        groups.setdefault(_FOLD.get(term, term), []).extend(words)
    return groups


_SYNONYM_WORDS = _synonym_words()


#: Endings put back on a stem to look for the word's other forms. Whole terms, not prefix
#: queries: FTS5 without a prefix index merges the whole doclist of every term a prefix
#: covers (60 ms for "libyan"* at a million claims), while an OR of terms is read lazily.
#: Forms that no text holds cost one b-tree probe each.
_ENDINGS = ("", "s", "es", "e", "ed", "ing", "ion", "ions", "ation", "y", "ies", "ied", "al",
            "er", "ers", "ment", "n", "ns", "an", "ans", "ian", "ians")  # fmt: skip


def _forms(word: str) -> list[str]:
    """A word and the forms sharing its stem ("identified": identifies, identifying...)."""
    stem = similarity.stem(word)
    forms = dict.fromkeys([word])
    if len(stem) >= 3:
        forms.update(dict.fromkeys(stem + ending for ending in _ENDINGS))
    return list(forms)


def _word_match(word: str, term: str) -> str:
    """The FTS5 expression for one query word: its forms, and its synonyms as written."""
    alternatives = dict.fromkeys(_forms(word))
    for other in _SYNONYM_WORDS.get(term, [])[:MAX_SYNONYMS]:
        alternatives.setdefault(other)
    return "(" + " OR ".join(f'"{a}"' for a in alternatives) + ")"


def _query(text: str) -> _Query:
    features = similarity.features(text, normal_key(text))
    words: dict[str, _Word] = {}
    for word in features.words:
        if not re.fullmatch(r"[a-z0-9]+", word) or word in similarity.STOP_WORDS:
            continue
        terms = similarity.terms(word, [word])
        if not terms or terms[0] == "not":
            continue
        term = _FOLD.get(terms[0], terms[0])
        if term not in words and len(words) < MAX_QUERY_WORDS * 2:
            words[term] = _Word(term, _word_match(word, term))
    return _Query(text, features, list(words.values()), _fold(features.terms))


def _count(conn: sqlite3.Connection, match: str) -> int:
    try:
        return conn.execute(
            "SELECT count(*) FROM (SELECT 1 FROM claims_fts WHERE claims_fts MATCH ? LIMIT ?)",
            (match, COUNT_CAP),
        ).fetchone()[0]
    except sqlite3.OperationalError:
        return 0


def _weigh(conn: sqlite3.Connection, query: _Query) -> None:
    """Count each word's claims and weigh each canonical term by its rarity."""
    total = conn.execute("SELECT coalesce(max(id), 0) FROM claims").fetchone()[0]
    for word in query.words:
        word.claims = _count(conn, word.match)
        query.weights[word.term] = math.log((total + 1) / (word.claims + 0.5)) + 1.0
    known = [query.weights[w.term] for w in query.words if w.claims]
    usual = sum(known) / len(known) if known else 1.0
    for word in query.words:
        if not word.claims:
            # The user's own word, in no stored claim: it tells no candidate from another,
            # and weighing it as the rarest would sink every paraphrase under the threshold.
            query.weights[word.term] = usual
    top = max(known, default=1.0)
    for term in query.terms:
        # terms the index was not asked about (figures): as telling as the rarest word
        query.weights.setdefault(term, top)
    if "not" in query.weights:
        query.weights["not"] = min(known, default=1.0)  # a polarity, checked on its own


def _match_expression(query: _Query) -> tuple[str | None, bool]:
    """The candidate query (an OR of the rarest words) and whether BM25 may rank it."""
    found = sorted((w for w in query.words if w.claims), key=lambda w: (w.claims, w.term))
    chosen: list[_Word] = []
    budget = 0
    for word in found[:MAX_QUERY_WORDS]:
        if chosen and (budget + word.claims > MATCH_BUDGET or word.claims >= COUNT_CAP):
            break
        chosen.append(word)
        budget += word.claims
    if not chosen:
        return None, False
    # A word counted up to the cap may be in any number of claims: not ranked then.
    ranked = budget <= MATCH_BUDGET and all(w.claims < COUNT_CAP for w in chosen)
    return " OR ".join(w.match for w in chosen), ranked


# --- step 1: full-text candidates ----------------------------------------------------------


def _candidates(conn: sqlite3.Connection, query: _Query, limit: int) -> list[int]:
    """Candidate claim ids: exact repeats, then the full-text matches, best BM25 first."""
    expression, ranked = _match_expression(query)
    found = [
        r[0]
        for r in conn.execute(
            "SELECT id FROM claims WHERE norm_key = ? LIMIT ?", (query.features.key, limit)
        )
    ]
    if expression:
        order = "ORDER BY rank" if ranked else ""
        try:
            found += [
                r[0]
                for r in conn.execute(
                    f"SELECT rowid FROM claims_fts WHERE claims_fts MATCH ? {order} LIMIT ?",
                    (expression, limit),
                )
            ]
        except sqlite3.OperationalError:
            pass
    return list(dict.fromkeys(found))


def fulltext_ranking(conn: sqlite3.Connection, text: str, limit: int = CANDIDATES) -> list[int]:
    """Claim ids of the full-text step alone, best BM25 first (exact repeats first)."""
    query = _query(text)
    _weigh(conn, query)
    return _candidates(conn, query, limit)


# --- step 2: re-ranking --------------------------------------------------------------------


def _kin(a: str, b: str) -> bool:
    """Whether two terms are one word and its derived form ("libya", "libyan")."""
    short, long = (a, b) if len(a) <= len(b) else (b, a)
    return len(short) >= 4 and len(long) - len(short) <= 3 and long.startswith(short)


def compare(query: _Query, claim: similarity.Features) -> Hit:
    """How closely one stored claim states the query (``claim_id`` left 0)."""
    terms = query.terms
    theirs = _fold(claim.terms)
    shared = terms & theirs
    # "Libyan" states "Libya", "Russians" "Russia": a term one is the start of the other
    shared |= {t for t in terms - theirs if any(_kin(t, o) for o in theirs)}
    total = sum(query.weights.get(t, 1.0) for t in terms) or 1.0
    coverage = sum(query.weights.get(t, 1.0) for t in shared) / total
    precision = min(1.0, len(shared) / len(theirs)) if theirs else 0.0
    score = coverage * (PRECISION_FLOOR + (1 - PRECISION_FLOOR) * precision)
    conflict = bool(
        (query.features.numbers - claim.numbers) and (claim.numbers - query.features.numbers)
    )
    negated = ("not" in terms) != ("not" in theirs)
    if conflict:
        score *= 0.5  # "15 officers" does not state "12 officers"
    if negated:
        score *= 0.7
    relation = "related"
    match = similarity.compare(query.features, claim)
    if match is not None and "conflict" not in match.details:
        if match.relation in ("same", "near"):
            relation, score = "same", max(score, match.score)
        else:
            relation, score = "paraphrase", max(score, match.score)
    elif (
        not conflict
        and not negated
        and coverage >= PARAPHRASE_COVERAGE
        and len(shared) >= MIN_SHARED
        and len(terms) >= similarity.MIN_TERMS
    ):
        relation = "paraphrase"
    return Hit(0, round(score, 4), relation, sorted(shared))


# --- step 3: works -------------------------------------------------------------------------


#: The fields of a result row (a stored claim, or a sentence with ``claim_id`` None).
_ROW_FIELDS = ("claim_id", "source_id", "text", "start", "end", "title", "kind", "published",
               "reference_id", "work_id")  # fmt: skip


def _work_column(conn: sqlite3.Connection) -> str:
    """``COALESCE(s.work_id, s.id)`` where sources record their work, else ``s.id``."""
    columns = {r[1] for r in conn.execute("PRAGMA table_info(sources)")}
    return "COALESCE(s.work_id, s.id)" if "work_id" in columns else "s.id"


def _date_key(row: dict[str, Any]) -> tuple:
    # times in other zones by the moment they name; of one day, those that state their time
    return (*order_key(row["published"]), row["source_id"], row["start"])


def who(
    conn: sqlite3.Connection,
    text: str,
    limit: int = 20,
    min_score: float = 0.0,
    rescorer: Rescorer | None = None,
) -> list[dict[str, Any]]:
    """The works whose stored claims state ``text`` (or share its telling words), ranked.

    One dict per work: ``rank``, ``work_id``, ``relation`` (``same``: the same wording, or
    nearly; ``paraphrase``: the same fact in other words; ``related``: shares its rarer words
    but does not state it), ``score`` (0–1), and the fields of its representative rendition
    (the earliest published that states it, else the best scoring): ``source_id``,
    ``reference_id``, ``title``, ``kind``, ``published``, ``claim_id``, ``text``, ``start``,
    ``end`` (``text`` is ``source.text[start:end]``), ``shared`` (canonical terms in common);
    when no stored claim states it, sentences of stored texts that do are results too, with
    ``claim_id`` None (see :data:`SENTENCE_SOURCES`);
    ``renditions`` lists every source of the work with a matching claim (the representative
    first), each with the same fields and its own ``relation`` and ``score``.

    Works that state it come first, earliest published first; related works follow, best
    score first. At most ``limit`` works, none scoring under ``min_score``. ``rescorer``:
    see :data:`Rescorer`.
    """
    if not text.strip():
        return []
    query = _query(text)
    _weigh(conn, query)
    ids = _candidates(conn, query, CANDIDATES)
    if not ids:
        return []
    work = _work_column(conn)
    rows = {
        r[0]: dict(zip(_ROW_FIELDS, r, strict=True))
        for r in rows_in(
            conn,
            "SELECT c.id, c.source_id, c.text, c.start, c.end, s.title, s.kind, s.published,"
            f" s.reference_id, {work} FROM claims c JOIN sources s ON s.id = c.source_id"
            " WHERE c.id IN ({marks})",
            ids,
        )
    }  # fmt: skip
    seen: dict[str, Hit] = {}  # copies of one sentence are compared once
    hits: list[Hit] = []
    for cid in ids:
        row = rows.get(cid)
        if row is None:
            continue
        hit = seen.get(row["text"])
        if hit is None:
            features = similarity.features(row["text"])
            hit = seen[row["text"]] = compare(query, features)
        hits.append(Hit(cid, hit.score, hit.relation, hit.shared))
    if all(h.relation == "related" for h in hits):
        _sentence_hits(conn, query, work, hits, rows)
    if rescorer is not None:
        _rescore(query.text, hits, rows, rescorer)
    return _works(hits, rows, limit, min_score)


def _sentence_hits(
    conn: sqlite3.Connection, query: _Query, work: str, hits: list[Hit], rows: dict[int, dict]
) -> None:
    """Sentences of stored texts that state the query though not stored as claims, added to
    ``hits`` and ``rows`` under negative keys (their ``claim_id`` is None; ``start`` and
    ``end`` index the source's text). Only sentences holding at least :data:`MIN_SHARED` of
    the query's words (or their forms) are compared; only those that state it are kept."""
    rarest = sorted((w for w in query.words if w.claims), key=lambda w: (w.claims, w.term))
    if not rarest:
        return
    # The sources holding the two rarest words, best BM25 first (a short list to rank on a
    # large archive); when they are few, also those holding any of the four rarest.
    sources: list[int] = []
    for expression in (
        " AND ".join(f"({w.match})" for w in rarest[:2]),
        " OR ".join(w.match for w in rarest[:SENTENCE_WORDS]),
    ):
        try:
            sources += [
                r[0]
                for r in conn.execute(
                    "SELECT rowid FROM sources_fts WHERE sources_fts MATCH ? ORDER BY rank LIMIT ?",
                    (f"text : ({expression})", SENTENCE_SOURCES),
                )
            ]
        except sqlite3.OperationalError:
            return
        sources = list(dict.fromkeys(sources))[:SENTENCE_SOURCES]
        # The OR is ranked over every source holding one of the words: asked only when the
        # AND found few and those words are in few claims (the budget of the claims' query).
        if (
            len(sources) >= SENTENCE_SOURCES
            or sum(w.claims for w in rarest[:SENTENCE_WORDS]) > SENTENCE_BUDGET
        ):
            break
    words = re.compile(
        r"\b(" + "|".join(sorted(map(re.escape, query.terms), key=len, reverse=True)) + r")",
        re.I,
    )
    key = min([0, *rows])  # sentences go under keys below every claim id
    for source_id in sources:
        found = conn.execute(
            "SELECT s.text, s.title, s.kind, s.published, s.reference_id, "
            f"{work} FROM sources s WHERE s.id = ?",
            (source_id,),
        ).fetchone()
        if found is None or not found[0]:
            continue
        text = found[0]
        for start, end in sentence_spans(text):
            sentence = text[start:end]
            if len({m.lower() for m in words.findall(sentence)}) < MIN_SHARED:
                continue
            hit = compare(query, similarity.features(sentence))
            if hit.relation == "related":
                continue
            key -= 1
            values = (None, source_id, sentence, start, end, *found[1:])
            rows[key] = dict(zip(_ROW_FIELDS, values, strict=True))
            hits.append(Hit(key, hit.score, hit.relation, hit.shared))


def _rescore(text: str, hits: list[Hit], rows: dict[int, dict], rescorer: Rescorer) -> None:
    top = sorted(hits, key=lambda h: -h.score)[:RESCORE_TOP]
    if not top:
        return
    scores = rescorer(text, [rows[h.claim_id]["text"] for h in top])
    if len(scores) != len(top):
        raise ValueError(f"the rescorer gave {len(scores)} scores for {len(top)} texts")
    for hit, semantic in zip(top, scores, strict=True):
        blended = (1 - RESCORER_WEIGHT) * hit.score + RESCORER_WEIGHT * float(semantic)
        if hit.relation == "same":
            continue
        hit.score = round(blended, 4)
        hit.relation = "paraphrase" if blended >= PARAPHRASE_SCORE else "related"


def _works(
    hits: list[Hit], rows: dict[int, dict], limit: int, min_score: float
) -> list[dict[str, Any]]:
    works: dict[int, dict[int, dict[str, Any]]] = {}  # work -> source -> its best claim
    for hit in hits:
        if hit.score < min_score or hit.score <= 0:
            continue
        row = {**rows[hit.claim_id], "relation": hit.relation, "score": hit.score,
               "shared": hit.shared}  # fmt: skip
        sources = works.setdefault(row["work_id"], {})
        best = sources.get(row["source_id"])
        if best is None or _better(row, best):
            sources[row["source_id"]] = row
    out = []
    for work_id, sources in works.items():
        renditions = list(sources.values())
        relation = min((r["relation"] for r in renditions), key=RELATIONS.index)
        if relation == "related":
            renditions.sort(key=lambda r: (-r["score"], *_date_key(r)))
        else:
            renditions.sort(key=lambda r: (r["relation"] == "related", *_date_key(r)))
        lead = renditions[0]
        out.append({
            "work_id": work_id,
            **{k: v for k, v in lead.items() if k != "work_id"},
            "relation": relation,
            "score": max(r["score"] for r in renditions),
            "renditions": [{k: v for k, v in r.items() if k != "work_id"} for r in renditions],
        })  # fmt: skip
    stating = sorted((w for w in out if w["relation"] != "related"), key=_date_key)
    for result, mark in zip(
        stating, first_reporters([w["published"] for w in stating]), strict=True
    ):
        result["first"] = mark
    related = sorted(
        (w for w in out if w["relation"] == "related"), key=lambda w: (-w["score"], *_date_key(w))
    )
    for result in related:
        result["first"] = None  # it does not state it
    ranked = (stating + related)[:limit]
    for i, result in enumerate(ranked, 1):
        result["rank"] = i
    return ranked


def _better(row: dict[str, Any], best: dict[str, Any]) -> bool:
    """Whether ``row`` is a better claim of its source than ``best``: a closer relation, then
    a higher score, then the earlier in the text."""
    a = (RELATIONS.index(row["relation"]), -row["score"], row["start"])
    b = (RELATIONS.index(best["relation"]), -best["score"], best["start"])
    return a < b
