"""Re-anchoring claims into a later capture of the same source.

News sites edit stories after publication, often silently. When a page is captured again, each
claim of the earlier capture is looked for in the new text and given an explicit status:

- ``unchanged``: the same words in the same place in the order of the text (the offsets shift
  when text before the claim changed);
- ``moved``: the same words in a paragraph that moved elsewhere, or a sentence found word for
  word elsewhere with the same words either side of it;
- ``edited``: the words changed in place (or in a paragraph that moved); the new span and a
  word-level difference are given;
- ``orphaned``: nothing in the new text can be shown to be this claim.

The bar is Hypothesis's most reported anchoring failure: an annotation silently moved to a
look-alike passage. So a claim is never re-anchored by searching for the most similar text.
Positions come from aligning the two texts: paragraphs first (a longest-common-subsequence
diff), then paragraphs that moved or were edited, paired only when the pairing is unambiguous,
then words inside each pair or changed region. New text that is already the counterpart of
another old paragraph is never a candidate, so a claim cannot land on its twin; when the
evidence is ambiguous the claim is orphaned rather than guessed.

Pure functions over two texts: no database.
"""

from __future__ import annotations

import bisect
import re
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field
from difflib import SequenceMatcher

from .text import CONTEXT, paragraph_spans, sentence_spans

STATUSES = ("unchanged", "moved", "edited", "orphaned")
METHOD = "align-paragraphs-words-0.1"
#: Share of words (difflib ratio) an edited claim keeps with its old text to still be that claim.
EDIT_SIMILARITY = 0.5
#: Share of words a moved-and-edited paragraph keeps with its old text to be paired with it.
PAIR_SIMILARITY = 0.75
#: Pairings closer than this to the runner-up are ambiguous and not made.
PAIR_MARGIN = 0.05
#: Characters of identical claim text plus identical context needed to accept a lone sentence
#: found word for word outside its own paragraph (short quotes need context to be trusted).
MIN_EVIDENCE = 24
#: Above this many words a changed region is not aligned word by word (its claims may still be
#: found word for word, with their context).
MAX_ALIGN_TOKENS = 40_000
#: Above this many candidate pairs, moved-and-edited paragraphs are only sought nearby.
MAX_PAIR_CANDIDATES = 4_000

_TOKEN = re.compile(r"\w+|[^\w\s]")

Span = tuple[int, int]


@dataclass
class Claim:
    """A claim of the earlier capture: its id and its span in the earlier text."""

    id: int
    start: int
    end: int
    text: str


@dataclass
class Anchor:
    """What became of one claim in the later text."""

    claim_id: int
    status: str
    old_start: int
    old_end: int
    old_text: str
    start: int | None = None
    end: int | None = None
    text: str | None = None
    similarity: float | None = None
    difference: list[dict[str, str]] | None = None

    def as_dict(self) -> dict:
        """The shape ``provenance diff --json`` prints for a claim."""
        new = None
        if self.status != "orphaned":
            new = {"start": self.start, "end": self.end, "text": self.text}
        result = {
            "claim_id": self.claim_id,
            "status": self.status,
            "old": {"start": self.old_start, "end": self.old_end, "text": self.old_text},
            "new": new,
        }
        if self.status == "edited":
            result["similarity"] = self.similarity
            result["difference"] = self.difference
        return result


@dataclass
class _Tokens:
    starts: list[int] = field(default_factory=list)
    ends: list[int] = field(default_factory=list)
    words: list[str] = field(default_factory=list)

    @classmethod
    def of(cls, text: str, spans: Sequence[Span]) -> _Tokens:
        tokens = cls()
        for a, b in spans:
            for match in _TOKEN.finditer(text, a, b):
                tokens.starts.append(match.start())
                tokens.ends.append(match.end())
                tokens.words.append(match.group())
        return tokens

    def inside(self, start: int, end: int) -> tuple[int, int]:
        """Indices [first, last) of the tokens inside ``[start, end)``."""
        first = bisect.bisect_left(self.starts, start)
        last = bisect.bisect_right(self.ends, end, lo=first)
        return first, last


def _words(text: str) -> list[str]:
    return _TOKEN.findall(text)


def word_similarity(a: str, b: str) -> float:
    """Share of words two texts have in common, in order (difflib's ratio over words)."""
    return round(SequenceMatcher(None, _words(a), _words(b), autojunk=False).ratio(), 4)


def word_difference(old: str, new: str) -> list[dict[str, str]]:
    """What changed from ``old`` to ``new``, word by word: ``{"op", "old", "new"}`` items."""
    a, b = _Tokens.of(old, [(0, len(old))]), _Tokens.of(new, [(0, len(new))])
    changes = []
    matcher = SequenceMatcher(None, a.words, b.words, autojunk=False)
    for tag, i1, i2, j1, j2 in matcher.get_opcodes():
        if tag == "equal":
            continue
        changes.append(
            {
                "op": tag,
                "old": old[a.starts[i1] : a.ends[i2 - 1]] if i2 > i1 else "",
                "new": new[b.starts[j1] : b.ends[j2 - 1]] if j2 > j1 else "",
            }
        )
    return changes


class _Alignment:
    """The paragraph-level alignment of two texts, and word-level alignments made on demand."""

    def __init__(self, old: str, new: str) -> None:
        self.old, self.new = old, new
        self.old_blocks = paragraph_spans(old) if old else []
        self.new_blocks = paragraph_spans(new) if new else []
        self.old_starts = [a for a, _ in self.old_blocks]
        self.equal: dict[int, int] = {}  # old block -> new block, same text, same order
        self.pairs: dict[int, int] = {}  # old block -> new block it moved or was edited into
        self.region_of_old: dict[int, int] = {}
        self.region_of_new: dict[int, int] = {}
        self.regions: list[tuple[list[int], list[int]]] = []  # changed stretches: (olds, news)
        self._word_cache: dict[tuple, tuple[_Tokens, _Tokens, list] | None] = {}
        self._sentences: dict[int, list[Span]] = {}
        self._align_blocks()
        self._pair_blocks()
        paired_new = set(self.pairs.values())
        self.claimed_new = set(self.equal.values()) | paired_new
        self.new_starts = [a for a, _ in self.new_blocks]

    def _text(self, which: str, span: Span) -> str:
        return (self.old if which == "old" else self.new)[span[0] : span[1]]

    def _align_blocks(self) -> None:
        old_texts = [self._text("old", s) for s in self.old_blocks]
        new_texts = [self._text("new", s) for s in self.new_blocks]
        matcher = SequenceMatcher(None, old_texts, new_texts, autojunk=False)
        for tag, i1, i2, j1, j2 in matcher.get_opcodes():
            if tag == "equal":
                for k in range(i2 - i1):
                    self.equal[i1 + k] = j1 + k
                continue
            region = len(self.regions)
            self.regions.append((list(range(i1, i2)), list(range(j1, j2))))
            for i in range(i1, i2):
                self.region_of_old[i] = region
            for j in range(j1, j2):
                self.region_of_new[j] = region

    def _pair_blocks(self) -> None:
        """Pair changed old paragraphs with changed new ones: identical text first (a paragraph
        that moved), then near-identical text when the pairing is unambiguous."""
        free_old = [i for i in self.region_of_old]
        free_new = [j for j in self.region_of_new]
        by_text: dict[str, list[int]] = defaultdict(list)
        for j in free_new:
            by_text[self._text("new", self.new_blocks[j])].append(j)
        used: set[int] = set()
        for i in free_old:
            for j in by_text.get(self._text("old", self.old_blocks[i]), []):
                if j not in used:
                    self.pairs[i] = j
                    used.add(j)
                    break
        rest_old = [i for i in free_old if i not in self.pairs]
        rest_new = [j for j in free_new if j not in used]
        if not rest_old or not rest_new:
            return
        nearby_only = len(rest_old) * len(rest_new) > MAX_PAIR_CANDIDATES
        old_words = {i: _words(self._text("old", self.old_blocks[i])) for i in rest_old}
        new_words = {j: _words(self._text("new", self.new_blocks[j])) for j in rest_new}
        scores: dict[tuple[int, int], float] = {}
        for i in rest_old:
            for j in rest_new:
                if nearby_only and self.region_of_old[i] != self.region_of_new[j]:
                    continue
                if len(old_words[i]) + len(new_words[j]) > 2 * MAX_ALIGN_TOKENS // 10:
                    continue
                matcher = SequenceMatcher(None, old_words[i], new_words[j], autojunk=False)
                if matcher.real_quick_ratio() < PAIR_SIMILARITY:
                    continue
                if matcher.quick_ratio() < PAIR_SIMILARITY:
                    continue
                score = matcher.ratio()
                if score >= PAIR_SIMILARITY:
                    scores[(i, j)] = score
        best_for_old: dict[int, list[float]] = defaultdict(list)
        best_for_new: dict[int, list[float]] = defaultdict(list)
        for (i, j), score in scores.items():
            best_for_old[i].append(score)
            best_for_new[j].append(score)
        for (i, j), score in sorted(scores.items(), key=lambda item: -item[1]):
            if i in self.pairs or j in used:
                continue
            rivals = (
                sorted(best_for_old[i], reverse=True)[1:2]
                + sorted(best_for_new[j], reverse=True)[1:2]
            )
            if any(score - rival < PAIR_MARGIN for rival in rivals):
                continue  # a twin scores as well: no pairing rather than a guess
            self.pairs[i] = j
            used.add(j)

    # --- per claim -----------------------------------------------------------------------

    def old_block(self, offset: int) -> int | None:
        i = bisect.bisect_right(self.old_starts, offset) - 1
        if i >= 0 and self.old_blocks[i][0] <= offset < self.old_blocks[i][1]:
            return i
        return None

    def new_block(self, offset: int) -> int | None:
        j = bisect.bisect_right(self.new_starts, offset) - 1
        if j >= 0 and self.new_blocks[j][0] <= offset < self.new_blocks[j][1]:
            return j
        return None

    def words(self, olds: list[int], news: list[int]) -> tuple[_Tokens, _Tokens, list] | None:
        """Word-level alignment of some old paragraphs with some new ones (cached)."""
        key = (tuple(olds), tuple(news))
        if key not in self._word_cache:
            a = _Tokens.of(self.old, [self.old_blocks[i] for i in olds])
            b = _Tokens.of(self.new, [self.new_blocks[j] for j in news])
            if not a.words or not b.words or max(len(a.words), len(b.words)) > MAX_ALIGN_TOKENS:
                self._word_cache[key] = None
            else:
                matcher = SequenceMatcher(
                    None, a.words, b.words, autojunk=len(b.words) > MAX_ALIGN_TOKENS // 4
                )
                self._word_cache[key] = (a, b, matcher.get_opcodes())
        return self._word_cache[key]

    def is_whole_sentences(self, block: int, start: int, end: int) -> bool:
        if block not in self._sentences:
            a, b = self.old_blocks[block]
            self._sentences[block] = sentence_spans(self.old, a, b)
        spans = self._sentences[block]
        return any(s == start for s, _ in spans) and any(e == end for _, e in spans)


def _map_through(
    alignment: _Alignment, olds: list[int], news: list[int], claim: Claim, old_block: int
) -> tuple[str, int, int] | None:
    """Follow a claim through the word alignment of ``olds`` with ``news``.

    Returns ``("intact", start, end)`` when its words are all there unchanged and together,
    ``("edited", start, end)`` for the span its words went to, or None when they all went.
    """
    aligned = alignment.words(olds, news)
    if aligned is None:
        return None
    a, b, opcodes = aligned
    k1, k2 = a.inside(claim.start, claim.end)
    if k1 >= k2:
        return None
    mapped: list[int] = []
    intact = True
    for tag, i1, i2, j1, j2 in opcodes:
        if tag == "insert":
            if k1 < i1 < k2:
                mapped.extend(range(j1, j2))  # words added inside the claim
                intact = False
            continue
        lo, hi = max(i1, k1), min(i2, k2)
        if lo >= hi:
            continue
        if tag == "equal":
            mapped.extend(j1 + (k - i1) for k in range(lo, hi))
        else:
            intact = False
            if tag == "replace":
                width, span = i2 - i1, j2 - j1
                first = j1 + (lo - i1) * span // width
                last = j1 + -(-(hi - i1) * span // width)
                mapped.extend(range(first, max(last, first + 1)))
    if not mapped:
        return None
    start, end = b.starts[min(mapped)], b.ends[max(mapped)]
    if intact and alignment.new[start:end] == claim.text:
        return "intact", start, end
    if alignment.is_whole_sentences(old_block, claim.start, claim.end):
        # The claim was a sentence: its new span is the sentence(s) its words went to.
        for j in {alignment.new_block(start), alignment.new_block(end - 1)} - {None}:
            assert j is not None
            for s, e in sentence_spans(alignment.new, *alignment.new_blocks[j]):
                if s <= start < e:
                    start = s
                if s < end <= e:
                    end = e
    if alignment.new[start:end] == claim.text:
        return "intact", start, end
    return "edited", start, end


def _context(text: str, block: Span | None, start: int, end: int) -> tuple[str, str]:
    """The words either side of a span, inside its paragraph only."""
    lo, hi = block if block is not None else (0, len(text))
    return text[max(lo, start - CONTEXT) : start], text[end : min(hi, end + CONTEXT)]


def _agreeing_context(old: tuple[str, str], new: tuple[str, str]) -> int | None:
    """How many characters of context agree, or None when a side contradicts.

    A side agrees when it is identical, or when either text has a paragraph boundary there (a
    paragraph split or joined is no evidence against the claim). A different word is.
    """
    agreed = 0
    for a, b in zip(old, new, strict=True):
        if a == b:
            agreed += len(a)
        elif a and b:
            return None
    return agreed


def _find_verbatim(alignment: _Alignment, claim: Claim, old_block: int | None) -> int | None:
    """The one place in new, unclaimed text holding the claim word for word with agreeing
    context (inside the paragraph) and enough evidence, or None."""
    old_span = alignment.old_blocks[old_block] if old_block is not None else None
    old_context = _context(alignment.old, old_span, claim.start, claim.end)
    found = []
    position = alignment.new.find(claim.text)
    while position != -1:
        end = position + len(claim.text)
        j = alignment.new_block(position)
        if j is not None and j not in alignment.claimed_new and end <= alignment.new_blocks[j][1]:
            context = _context(alignment.new, alignment.new_blocks[j], position, end)
            agreed = _agreeing_context(old_context, context)
            if agreed is not None and len(claim.text) + agreed >= MIN_EVIDENCE:
                found.append(position)
        position = alignment.new.find(claim.text, position + 1)
    return found[0] if len(found) == 1 else None


def _anchor(alignment: _Alignment, claim: Claim) -> Anchor:
    anchor = Anchor(claim.id, "orphaned", claim.start, claim.end, claim.text)
    new = alignment.new

    def place(status: str, start: int, end: int) -> Anchor:
        anchor.status, anchor.start, anchor.end, anchor.text = status, start, end, new[start:end]
        if status == "edited":
            anchor.similarity = word_similarity(claim.text, anchor.text)
            anchor.difference = word_difference(claim.text, anchor.text)
        return anchor

    i = alignment.old_block(claim.start)
    whole = i is not None and claim.end <= alignment.old_blocks[i][1]
    if i is not None and whole:
        if i in alignment.equal:
            j = alignment.equal[i]
            shift = alignment.new_blocks[j][0] - alignment.old_blocks[i][0]
            if new[claim.start + shift : claim.end + shift] == claim.text:
                return place("unchanged", claim.start + shift, claim.end + shift)
        if i in alignment.pairs:
            j = alignment.pairs[i]
            in_place = alignment.region_of_old.get(i) == alignment.region_of_new.get(j)
            olds, news = [i], [j]
        elif i in alignment.region_of_old:
            in_place = True
            olds, news = alignment.regions[alignment.region_of_old[i]]
            olds = [o for o in olds if o not in alignment.pairs]
            news = [n for n in news if n not in alignment.claimed_new]
        else:
            olds, news, in_place = [], [], True
        if olds and news:
            found = _map_through(alignment, olds, news, claim, i)
            if found is not None:
                kind, start, end = found
                if kind == "intact":
                    return place("unchanged" if in_place else "moved", start, end)
                if word_similarity(claim.text, new[start:end]) >= EDIT_SIMILARITY:
                    return place("edited", start, end)
    position = _find_verbatim(alignment, claim, i)
    if position is not None:
        j = alignment.new_block(position)
        same_region = (
            i is not None
            and j is not None
            and alignment.region_of_old.get(i, -1) == alignment.region_of_new.get(j, -2)
        )
        return place("unchanged" if same_region else "moved", position, position + len(claim.text))
    return anchor


def reanchor(old_text: str, new_text: str, claims: Sequence[Claim]) -> list[Anchor]:
    """What became of each claim of ``old_text`` in ``new_text``, in the order given.

    Invariants: a claim that is not orphaned has ``new_text[start:end] == text``; an unchanged
    or moved claim has exactly its old text; re-anchoring a text into itself leaves every
    claim unchanged at its own offsets.
    """
    alignment = _Alignment(old_text, new_text)
    return [_anchor(alignment, claim) for claim in claims]


def counts(anchors: Sequence[Anchor]) -> dict[str, int]:
    """How many anchors have each status (every status named, zeros included)."""
    result = dict.fromkeys(STATUSES, 0)
    for anchor in anchors:
        result[anchor.status] += 1
    return result
