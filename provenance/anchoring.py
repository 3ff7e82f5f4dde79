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
The two texts are aligned as a diff aligns them, strongest evidence first (see
:class:`_Alignment`): identical paragraphs in order, identical sentences in place or moved,
paragraphs that share them, and only then edited sentences paired by similarity, where no
look-alike competes for the same place. New text that is already the counterpart of other old
text is never a candidate, so a claim cannot land on its twin; when the evidence is ambiguous
or thin the claim is orphaned rather than guessed.

Pure functions over two texts: no database.
"""

from __future__ import annotations

import bisect
import re
from collections import Counter, defaultdict
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from difflib import SequenceMatcher

from .text import CONTEXT, paragraph_spans, sentence_spans

STATUSES = ("unchanged", "moved", "edited", "orphaned")
METHOD = "align-paragraphs-sentences-words-0.1"
#: Share of words (difflib ratio) an edited claim keeps with its old text to still be that claim.
EDIT_SIMILARITY = 0.5
#: Pairings closer than this to the runner-up are ambiguous and not made.
PAIR_MARGIN = 0.05
#: Characters of identical text plus agreeing context needed to accept a lone sentence (or
#: claim) found word for word away from its neighbours: short quotes need context to be trusted.
MIN_EVIDENCE = 24
#: Paragraphs or sentences longer than this many words together are not compared for pairing.
MAX_PAIR_WORDS = 8_000
#: Above this many candidate pairs, edited sentences are only sought near their old position,
#: so a page rewritten from top to bottom costs linear time, not quadratic.
MAX_PAIR_CANDIDATES = 4_000
#: How far (in sentences) an edited sentence is sought from its old position in that case.
NEARBY_SENTENCES = 25

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


#: A stretch with no line unique to both sides is diffed by difflib only up to this size
#: (old lines times new lines); beyond it nothing in the stretch is matched in place.
MAX_DIFFLIB_CELLS = 250_000


def _longest_increasing(pairs: list[tuple[int, int]]) -> list[tuple[int, int]]:
    """The longest run of ``pairs`` (sorted by their first item) increasing in the second."""
    tail_values: list[int] = []  # the smallest second item ending a run of each length
    tails: list[int] = []  # and the index in pairs of that pair
    before: list[int] = [-1] * len(pairs)
    for index, (_, j) in enumerate(pairs):
        k = bisect.bisect_left(tail_values, j)
        if k > 0:
            before[index] = tails[k - 1]
        if k == len(tails):
            tails.append(index)
            tail_values.append(j)
        else:
            tails[k], tail_values[k] = index, j
    run: list[tuple[int, int]] = []
    index = tails[-1] if tails else -1
    while index != -1:
        run.append(pairs[index])
        index = before[index]
    return run[::-1]


def _in_order_matches(a: Sequence[str], b: Sequence[str]) -> list[tuple[int, int]]:
    """Pairs ``(i, j)`` with ``a[i] == b[j]``, increasing in both: a longest common
    subsequence found as patience diff finds it (lines that occur once on each side anchor the
    alignment; the stretches between are aligned the same way, then by difflib when small).
    Near-linear on long texts where difflib alone is quadratic."""
    matches: list[tuple[int, int]] = []
    stack = [(0, len(a), 0, len(b))]
    while stack:
        alo, ahi, blo, bhi = stack.pop()
        if alo >= ahi or blo >= bhi:
            continue
        # Lines equal at both ends of the stretch match as they are.
        while alo < ahi and blo < bhi and a[alo] == b[blo]:
            matches.append((alo, blo))
            alo, blo = alo + 1, blo + 1
        while alo < ahi and blo < bhi and a[ahi - 1] == b[bhi - 1]:
            ahi, bhi = ahi - 1, bhi - 1
            matches.append((ahi, bhi))
        if alo >= ahi or blo >= bhi:
            continue
        count_a = Counter(a[alo:ahi])
        count_b = Counter(b[blo:bhi])
        where_b = {b[j]: j for j in range(blo, bhi) if count_b[b[j]] == 1}
        unique = [
            (i, where_b[a[i]]) for i in range(alo, ahi) if count_a[a[i]] == 1 and a[i] in where_b
        ]
        anchors = _longest_increasing(unique)
        if not anchors:
            if (ahi - alo) * (bhi - blo) <= MAX_DIFFLIB_CELLS:
                matcher = SequenceMatcher(None, a[alo:ahi], b[blo:bhi], autojunk=False)
                for i, j, size in matcher.get_matching_blocks():
                    matches.extend((alo + i + d, blo + j + d) for d in range(size))
            continue
        previous = (alo, blo)
        for i, j in anchors:
            stack.append((previous[0], i, previous[1], j))
            matches.append((i, j))
            previous = (i + 1, j + 1)
        stack.append((previous[0], ahi, previous[1], bhi))
    return sorted(matches)


def _pair_unambiguously(
    olds: dict[int, list[str]],
    news: dict[int, list[str]],
    threshold: float,
    allowed: Callable[[int, int], bool] | None = None,
) -> dict[int, int]:
    """Pair old items with new ones by word similarity, only where the pairing is clear.

    A pair is made when its score reaches ``threshold`` and beats every rival of either item
    (another new item for the old one, another old item for the new one) by ``PAIR_MARGIN``.
    Two look-alikes competing for one place leave it unpaired: no pairing rather than a guess.
    """
    scores: dict[tuple[int, int], float] = {}
    for i, a in olds.items():
        for j, b in news.items():
            if allowed is not None and not allowed(i, j):
                continue
            if len(a) + len(b) > MAX_PAIR_WORDS:
                continue
            matcher = SequenceMatcher(None, a, b, autojunk=False)
            if matcher.real_quick_ratio() < threshold or matcher.quick_ratio() < threshold:
                continue
            score = matcher.ratio()
            if score >= threshold:
                scores[(i, j)] = score
    by_old: dict[int, list[float]] = defaultdict(list)
    by_new: dict[int, list[float]] = defaultdict(list)
    for (i, j), score in scores.items():
        by_old[i].append(score)
        by_new[j].append(score)
    pairs: dict[int, int] = {}
    used: set[int] = set()
    for (i, j), score in sorted(scores.items(), key=lambda item: -item[1]):
        if i in pairs or j in used:
            continue
        rivals = sorted(by_old[i], reverse=True)[1:2] + sorted(by_new[j], reverse=True)[1:2]
        if any(score - rival < PAIR_MARGIN for rival in rivals):
            continue
        pairs[i] = j
        used.add(j)
    return pairs


class _Alignment:
    """Two texts aligned as a diff aligns them, strongest evidence first.

    1. Paragraphs: a longest-common-subsequence diff; identical paragraphs in the same order
       are unchanged. An identical paragraph found once elsewhere moved.
    2. Sentences of the paragraphs left over: identical sentences in the same order within a
       changed stretch stay in place; a long sentence found once elsewhere moved.
    3. Old and new paragraphs that share such sentences correspond (mutually, or not at all).
    4. Only then are the sentences still left over paired by similarity (edited), within a
       paragraph and the paragraph it corresponds to, or within the same changed stretch, and
       only where no look-alike competes for the same place; never into words that are
       another old sentence's, never from a sentence whose words are all still there.
    5. A short identical sentence left over is matched when a neighbour went next to it.

    ``fate`` maps an old sentence to the new sentence it became and how: ``equal``, ``moved``
    or ``edited``.
    """

    def __init__(self, old: str, new: str) -> None:
        self.old, self.new = old, new
        self.old_blocks = paragraph_spans(old) if old else []
        self.new_blocks = paragraph_spans(new) if new else []
        self.old_starts = [a for a, _ in self.old_blocks]
        self.new_starts = [a for a, _ in self.new_blocks]
        self.equal: dict[int, int] = {}  # old paragraph -> new paragraph, same text and order
        self.region_of_old: dict[int, int] = {}
        self.region_of_new: dict[int, int] = {}
        self._align_blocks()
        # Sentences of the paragraphs left over, in text order, and the paragraph of each.
        self.old_sentences: list[Span] = []
        self.new_sentences: list[Span] = []
        self.old_sentence_block: list[int] = []
        self.new_sentence_block: list[int] = []
        for i in sorted(self.region_of_old):
            for span in sentence_spans(old, *self.old_blocks[i]):
                self.old_sentences.append(span)
                self.old_sentence_block.append(i)
        for j in sorted(self.region_of_new):
            for span in sentence_spans(new, *self.new_blocks[j]):
                self.new_sentences.append(span)
                self.new_sentence_block.append(j)
        self.old_sentence_starts = [a for a, _ in self.old_sentences]
        self.fate: dict[int, tuple[int, str]] = {}
        self._move_blocks()
        self._match_sentences_in_place()
        self._match_moved_sentences()
        self._pair_edited_sentences()
        self._match_by_neighbours()
        self.accounted = sorted(
            [self.new_blocks[j] for j in self.equal.values()]
            + [self.new_sentences[n] for n, _ in self.fate.values()]
        )

    def _text(self, which: str, span: Span) -> str:
        return (self.old if which == "old" else self.new)[span[0] : span[1]]

    def _align_blocks(self) -> None:
        old_texts = [self._text("old", s) for s in self.old_blocks]
        new_texts = [self._text("new", s) for s in self.new_blocks]
        region, i0, j0 = 0, 0, 0
        for i, j in [*_in_order_matches(old_texts, new_texts), (len(old_texts), len(new_texts))]:
            if i > i0 or j > j0:  # the changed stretch before this match
                for k in range(i0, i):
                    self.region_of_old[k] = region
                for n in range(j0, j):
                    self.region_of_new[n] = region
                region += 1
            if i < len(old_texts):
                self.equal[i] = j
            i0, j0 = i + 1, j + 1

    def _sentences_of(self, which: str, block: int) -> list[int]:
        if not hasattr(self, "_by_block"):
            self._by_block: dict[tuple[str, int], list[int]] = defaultdict(list)
            for k, b in enumerate(self.old_sentence_block):
                self._by_block[("old", b)].append(k)
            for n, b in enumerate(self.new_sentence_block):
                self._by_block[("new", b)].append(n)
        return self._by_block.get((which, block), [])

    def _move_blocks(self) -> None:
        """Step 1: a changed paragraph found word for word, once, elsewhere."""
        old_texts = Counter(self._text("old", self.old_blocks[i]) for i in self.region_of_old)
        new_by_text: dict[str, list[int]] = defaultdict(list)
        for j in self.region_of_new:
            new_by_text[self._text("new", self.new_blocks[j])].append(j)
        for i in self.region_of_old:
            text = self._text("old", self.old_blocks[i])
            if old_texts[text] != 1 or len(new_by_text[text]) != 1:
                continue
            j = new_by_text[text][0]
            how = "moved" if self.region_of_old[i] != self.region_of_new[j] else "equal"
            olds, news = self._sentences_of("old", i), self._sentences_of("new", j)
            for k, n in zip(olds, news, strict=True):
                self.fate[k] = (n, how)

    def _targets(self) -> set[int]:
        return {n for n, _ in self.fate.values()}

    def _well_supported(self, k: int, n: int) -> bool:
        """Enough evidence that an identical old and new sentence are one: a long sentence, or
        agreeing words around a short one."""
        text_length = self.old_sentences[k][1] - self.old_sentences[k][0]
        if text_length >= MIN_EVIDENCE:
            return True
        old_block = self.old_blocks[self.old_sentence_block[k]]
        new_block = self.new_blocks[self.new_sentence_block[n]]
        agreed = _agreeing_context(
            _context(self.old, old_block, *self.old_sentences[k]),
            _context(self.new, new_block, *self.new_sentences[n]),
        )
        return agreed is not None and text_length + agreed >= MIN_EVIDENCE

    def _match_sentences_in_place(self) -> None:
        """Step 2a: identical sentences in the same order inside each changed stretch."""
        used = self._targets()
        regions: dict[int, tuple[list[int], list[int]]] = defaultdict(lambda: ([], []))
        for k, block in enumerate(self.old_sentence_block):
            if k not in self.fate:
                regions[self.region_of_old[block]][0].append(k)
        for n, block in enumerate(self.new_sentence_block):
            if n not in used:
                regions[self.region_of_new[block]][1].append(n)
        for olds, news in regions.values():
            if not olds or not news:
                continue
            pairs = _in_order_matches(
                [self._text("old", self.old_sentences[k]) for k in olds],
                [self._text("new", self.new_sentences[n]) for n in news],
            )
            matched = set(pairs)
            for i, j in pairs:
                # A run of two or more supports itself; a lone match must stand alone.
                in_run = (i - 1, j - 1) in matched or (i + 1, j + 1) in matched
                if in_run or self._well_supported(olds[i], news[j]):
                    self.fate[olds[i]] = (news[j], "equal")

    def _match_moved_sentences(self) -> None:
        """Step 2b: a long sentence found word for word, once, among the new sentences left."""
        used = self._targets()
        left_old = [k for k in range(len(self.old_sentences)) if k not in self.fate]
        left_new = [n for n in range(len(self.new_sentences)) if n not in used]
        old_count = Counter(self._text("old", self.old_sentences[k]) for k in left_old)
        new_by_text: dict[str, list[int]] = defaultdict(list)
        for n in left_new:
            new_by_text[self._text("new", self.new_sentences[n])].append(n)
        for k in left_old:
            text = self._text("old", self.old_sentences[k])
            if old_count[text] == 1 and len(new_by_text[text]) == 1:
                n = new_by_text[text][0]
                if self._well_supported(k, n):
                    self.fate[k] = (n, "moved")

    def _correspondence(self) -> dict[int, int]:
        """Step 3: old and new paragraphs that share identical sentences, mutually."""
        votes: Counter = Counter()
        for k, (n, _) in self.fate.items():
            votes[(self.old_sentence_block[k], self.new_sentence_block[n])] += 1
        best_new: dict[int, tuple[int, int | None]] = {}
        best_old: dict[int, tuple[int, int | None]] = {}
        for (i, j), count in votes.items():
            for best, key, other in ((best_new, i, j), (best_old, j, i)):
                current = best.get(key, (0, None))
                if count > current[0]:
                    best[key] = (count, other)
                elif count == current[0]:
                    best[key] = (count, None)  # a tie: no correspondence
        return {
            i: j
            for i, (_, j) in best_new.items()
            if j is not None and best_old.get(j, (0, None))[1] == i
        }

    def _pair_edited_sentences(self) -> None:
        """Step 4: the sentences left, paired by similarity where no look-alike competes."""
        corresponding = self._correspondence()
        corresponded_new = set(corresponding.values())
        used = self._targets()
        # New words identical to an old sentence are that sentence's, not an edit of another:
        # calling a claim edited into its twin's exact words is the look-alike failure.
        old_texts = {self.old[a:b] for a, b in sentence_spans(self.old)}
        used |= {
            n for n, span in enumerate(self.new_sentences) if self._text("new", span) in old_texts
        }
        # And an old sentence whose words are all still there was not edited into other ones.
        new_texts = {self.new[a:b] for a, b in sentence_spans(self.new)}
        settled = {
            k for k, span in enumerate(self.old_sentences) if self._text("old", span) in new_texts
        }
        pools: dict[tuple[str, int], tuple[list[int], list[int]]] = defaultdict(lambda: ([], []))
        for k, block in enumerate(self.old_sentence_block):
            if k in self.fate or k in settled:
                continue
            area = (
                ("paragraph", corresponding[block])
                if block in corresponding
                else ("stretch", self.region_of_old[block])
            )
            pools[area][0].append(k)
        for n, block in enumerate(self.new_sentence_block):
            if n in used:
                continue
            area = (
                ("paragraph", block)
                if block in corresponded_new
                else ("stretch", self.region_of_new[block])
            )
            pools[area][1].append(n)
        for olds, news in pools.values():
            if not olds or not news:
                continue
            allowed = None
            if len(olds) * len(news) > MAX_PAIR_CANDIDATES:
                scale = len(news) / len(olds)
                rank_old = {k: r for r, k in enumerate(olds)}
                rank_new = {n: r for r, n in enumerate(news)}

                def allowed(
                    k: int, n: int, a: dict = rank_old, b: dict = rank_new, s: float = scale
                ) -> bool:
                    return abs(a[k] * s - b[n]) <= NEARBY_SENTENCES

            pairs = _pair_unambiguously(
                {k: _words(self._text("old", self.old_sentences[k])) for k in olds},
                {n: _words(self._text("new", self.new_sentences[n])) for n in news},
                EDIT_SIMILARITY,
                allowed,
            )
            for k, n in pairs.items():
                self.fate[k] = (n, "edited")

    def _match_by_neighbours(self) -> None:
        """Step 5: an identical sentence too short to stand alone, next to a neighbour that
        went to the matching place (its sentence before or after, in the same paragraphs)."""
        used = self._targets()
        changed = True
        while changed:
            changed = False
            for k in range(len(self.old_sentences)):
                if k in self.fate:
                    continue
                text = self._text("old", self.old_sentences[k])
                for step in (-1, 1):
                    neighbour = self.fate.get(k + step)
                    if neighbour is None:
                        continue
                    n = neighbour[0] - step
                    if (
                        0 <= n < len(self.new_sentences)
                        and n not in used
                        and self._text("new", self.new_sentences[n]) == text
                        and self.old_sentence_block[k] == self.old_sentence_block[k + step]
                        and self.new_sentence_block[n] == self.new_sentence_block[n + step]
                    ):
                        how = "moved" if neighbour[1] == "moved" else "equal"
                        self.fate[k] = (n, how)
                        used.add(n)
                        changed = True
                        break

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

    def covered_sentences(self, start: int, end: int) -> list[int]:
        """The old sentences (of changed paragraphs) a span overlaps."""
        k = max(0, bisect.bisect_right(self.old_sentence_starts, start) - 1)
        found = []
        while k < len(self.old_sentences) and self.old_sentences[k][0] < end:
            if self.old_sentences[k][1] > start:
                found.append(k)
            k += 1
        return found

    def is_accounted(self, start: int, end: int) -> bool:
        """Whether new text overlaps a paragraph or sentence that old text became."""
        # The accounted spans do not overlap, so sorted by start they are sorted by end too.
        k = bisect.bisect_left(self.accounted, (end, end)) - 1
        while k >= 0 and self.accounted[k][1] > start:
            if self.accounted[k][0] < end:
                return True
            k -= 1
        return False


def _map_offset(old: str, new: str, old_span: Span, new_span: Span, offset: int, side: str) -> int:
    """Where an offset inside an old sentence falls in the new sentence it became."""
    a = _Tokens.of(old, [old_span])
    b = _Tokens.of(new, [new_span])
    if not a.words or not b.words:
        return new_span[0] if side == "start" else new_span[1]
    matcher = SequenceMatcher(None, a.words, b.words, autojunk=False)
    if side == "start":
        t = bisect.bisect_left(a.starts, offset)
        for tag, i1, i2, j1, _ in matcher.get_opcodes():
            if i1 <= t < i2 or (tag == "insert" and i1 == t):
                if tag == "equal":
                    return b.starts[j1 + t - i1]
                return b.starts[j1] if j1 < len(b.starts) else new_span[1]
        return new_span[1]
    t = bisect.bisect_right(a.ends, offset) - 1
    for tag, i1, i2, j1, j2 in matcher.get_opcodes():
        if i1 <= t < i2:
            if tag == "equal":
                return b.ends[j1 + t - i1]
            if tag == "replace":
                return b.ends[j2 - 1]
            return b.ends[j1 - 1] if j1 > 0 else new_span[0]
    return new_span[0]


def _through_sentences(alignment: _Alignment, claim: Claim) -> tuple[str, int, int] | None:
    """Follow a claim through the sentence alignment.

    Returns ``(how, start, end)``: ``how`` is ``equal`` or ``moved`` when the claim's words are
    all there unchanged, ``edited`` when its sentences were edited, or None when any of them is
    gone or they no longer follow one another.
    """
    covered = alignment.covered_sentences(claim.start, claim.end)
    if not covered or any(k not in alignment.fate for k in covered):
        return None
    targets = [alignment.fate[k][0] for k in covered]
    if targets != list(range(targets[0], targets[0] + len(targets))):
        return None
    first_old, last_old = alignment.old_sentences[covered[0]], alignment.old_sentences[covered[-1]]
    first_new, last_new = alignment.new_sentences[targets[0]], alignment.new_sentences[targets[-1]]
    hows = {alignment.fate[k][1] for k in covered}
    if claim.start == first_old[0]:
        start = first_new[0]
    elif alignment.fate[covered[0]][1] != "edited":
        start = first_new[0] + claim.start - first_old[0]
    else:
        start = _map_offset(
            alignment.old, alignment.new, first_old, first_new, claim.start, "start"
        )
    if claim.end == last_old[1]:
        end = last_new[1]
    elif alignment.fate[covered[-1]][1] != "edited":
        end = last_new[1] - (last_old[1] - claim.end)
    else:
        end = _map_offset(alignment.old, alignment.new, last_old, last_new, claim.end, "end")
    if end <= start:
        return None
    how = "moved" if "moved" in hows else "equal"
    if alignment.new[start:end] == claim.text:
        return how, start, end
    # The claim's words may all still be there inside a sentence that grew around them (a
    # full stop turned into a comma): then the claim itself is unchanged.
    area = alignment.new[first_new[0] : last_new[1]]
    found = area.find(claim.text)
    if found != -1 and area.find(claim.text, found + 1) == -1:
        return how, first_new[0] + found, first_new[0] + found + len(claim.text)
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
    """The one place in new text that no old sentence became holding the claim word for word,
    with agreeing context (inside the paragraph) and enough evidence; or None."""
    old_span = alignment.old_blocks[old_block] if old_block is not None else None
    old_context = _context(alignment.old, old_span, claim.start, claim.end)
    found = []
    position = alignment.new.find(claim.text)
    while position != -1:
        end = position + len(claim.text)
        j = alignment.new_block(position)
        if (
            j is not None
            and end <= alignment.new_blocks[j][1]
            and not alignment.is_accounted(position, end)
        ):
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
    if i is not None and claim.end <= alignment.old_blocks[i][1]:
        if i in alignment.equal:
            shift = alignment.new_blocks[alignment.equal[i]][0] - alignment.old_blocks[i][0]
            if new[claim.start + shift : claim.end + shift] == claim.text:
                return place("unchanged", claim.start + shift, claim.end + shift)
        found = _through_sentences(alignment, claim)
        if found is not None:
            how, start, end = found
            if how != "edited":
                return place("unchanged" if how == "equal" else "moved", start, end)
            if word_similarity(claim.text, new[start:end]) >= EDIT_SIMILARITY:
                return place("edited", start, end)
    position = _find_verbatim(alignment, claim, i)
    if position is not None:
        return place("moved", position, position + len(claim.text))
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
