"""One main text from two extractors: the Readability-style pass and trafilatura.

The two fail differently. The Readability-style pass (:mod:`.maintext`) keeps more of an
article (lead paragraphs, captions, tables) but also more of what surrounds it (a byline box,
an author's note, a copyright line); trafilatura is cleaner at the edges and sometimes loses
a paragraph. Per page, from signals measured on the two results:

- when ours found little and trafilatura much more (``fallback_below``, ``fallback_ratio``),
  trafilatura's text is taken whole;
- when the two agree on the article (ours holds at least ``agree_at_least`` of trafilatura's
  wording), the blocks before the first and after the last block they share are page
  furniture unless trafilatura has them too: ours is trimmed there, short blocks only
  (``trim_head_below``, ``trim_tail_below`` characters); headings stay;
- otherwise ours stands.

The thresholds are chosen by ``benchmarks/ingest_accuracy.py``, which tunes them on one page
set of the corpus and reports them on the other, both ways; :data:`RULE` holds the values
tuned on ``html/trafilatura`` (whose gold snippets were written by people, independently of
either extractor).
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field

Blocks = list[tuple[str, str]]

_WORD = re.compile(r"\w+")


@dataclass(frozen=True)
class Rule:
    """The thresholds of the choice between the two main texts."""

    fallback_below: int = 1000
    fallback_ratio: float = 2.0
    agree_at_least: float = 0.5
    #: share of a block's word trigrams found in the other text for the block to be shared
    shared_at_least: float = 0.8
    trim_head_below: int = 200
    trim_tail_below: int = 400


#: Tuned on html/trafilatura (benchmarks/ingest_accuracy.py prints the tuning both ways).
RULE = Rule()


@dataclass
class Combined:
    """The chosen blocks, which extractor they come from, and the signals that chose them."""

    blocks: Blocks
    method: str  # readability | trafilatura
    signals: dict[str, float | int] = field(default_factory=dict)


def _length(blocks: Iterable[tuple[str, str]]) -> int:
    return sum(len(text) for _, text in blocks)


def _words(text: str) -> list[str]:
    return _WORD.findall(text.lower())


def _runs(words: list[str], n: int) -> Iterator[tuple[str, ...]]:
    """Every run of ``n`` consecutive words, in order (none when there are fewer words)."""
    return zip(*(words[k:] for k in range(n)), strict=False)


def _grams(words: list[str], n: int) -> set[tuple[str, ...]]:
    return set(_runs(words, n))


def _share_in(words: list[str], grams: set[tuple[str, ...]]) -> float:
    """Share of a text's word n-grams (trigrams, shorter for short texts) in ``grams``."""
    n = min(3, len(words))
    if not n:
        return 1.0
    own = list(_runs(words, n))
    return sum(g in grams for g in own) / len(own)


def combine(ours: Blocks, theirs: Blocks, rule: Rule = RULE) -> Combined:
    """The main text of a page from our blocks and trafilatura's (see the module's rule)."""
    ours_length, theirs_length = _length(ours), _length(theirs)
    signals: dict[str, float | int] = {
        "ours_chars": ours_length,
        "trafilatura_chars": theirs_length,
    }
    if ours_length < rule.fallback_below and theirs_length > rule.fallback_ratio * max(
        1, ours_length
    ):
        return Combined(list(theirs), "trafilatura", signals)
    if not theirs_length:
        return Combined(list(ours), "readability", signals)
    ours_words = _words("\n".join(text for _, text in ours))
    theirs_words = _words("\n".join(text for _, text in theirs))
    ours_trigrams = _grams(ours_words, 3)
    theirs_trigrams = _grams(theirs_words, 3)
    agreement = len(ours_trigrams & theirs_trigrams) / max(1, len(theirs_trigrams))
    signals["agreement"] = round(agreement, 3)
    if agreement < rule.agree_at_least:
        return Combined(list(ours), "readability", signals)
    theirs_grams = theirs_trigrams | _grams(theirs_words, 2) | _grams(theirs_words, 1)
    shared = [_share_in(_words(text), theirs_grams) >= rule.shared_at_least for _, text in ours]
    if not any(shared):
        return Combined(list(ours), "readability", signals)
    first = shared.index(True)
    last = len(shared) - 1 - shared[::-1].index(True)
    kept = []
    for i, ((kind, text), is_shared) in enumerate(zip(ours, shared, strict=True)):
        if not is_shared and kind != "heading":
            size = len(text.strip())
            if (i < first and size < rule.trim_head_below) or (
                i > last and size < rule.trim_tail_below
            ):
                continue
        kept.append((kind, text))
    signals["trimmed_blocks"] = len(ours) - len(kept)
    return Combined(kept, "readability", signals)
