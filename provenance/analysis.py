"""From a text layer to claims, attributions, quotations and citation mentions.

Pure functions over one text layer and its structure, with no database: the result is plain
data that a worker process can compute and the single writer can store.
"""

from __future__ import annotations

import bisect
from dataclasses import dataclass, field

from . import attribution as attribution_mod
from . import claims as claims_mod
from .citations import MentionRecord, find_mentions
from .text import CONTEXT, Span, normal_key, sentence_spans

_BLOCK_KINDS = {"paragraph", "heading", "list-item", "quotation", "table-row"}


@dataclass
class ClaimRecord:
    start: int
    end: int
    text: str
    prefix: str
    suffix: str
    score: float
    kind: str
    norm_key: str
    page: int | None = None
    paragraph: int | None = None


@dataclass
class AttributionRecord:
    cue: tuple[int, int]
    mention: tuple[int, int] | None
    content: tuple[int, int]
    claim: int | None  # index into Analysis.claims


@dataclass
class QuoteRecord:
    start: int
    end: int
    text: str
    speaker: tuple[int, int] | None
    claim: int | None


@dataclass
class Analysis:
    claims: list[ClaimRecord] = field(default_factory=list)
    attributions: list[AttributionRecord] = field(default_factory=list)
    quotes: list[QuoteRecord] = field(default_factory=list)
    mentions: list[MentionRecord] = field(default_factory=list)
    sentences: int = 0
    model_version: str = claims_mod.MODEL_VERSION
    method: str = attribution_mod.METHOD


class _Locator:
    """Which page / paragraph an offset falls in."""

    def __init__(self, spans: list[Span]) -> None:
        self.spans = sorted(spans, key=lambda s: s.start)
        self.starts = [s.start for s in self.spans]

    def find(self, offset: int) -> tuple[int, Span] | None:
        i = bisect.bisect_right(self.starts, offset) - 1
        if i >= 0 and self.spans[i].start <= offset < self.spans[i].end:
            return i, self.spans[i]
        return None


def analyse(text: str, structure: list[Span]) -> Analysis:
    """Claims (with scores, kinds, pages, paragraphs), attributions, quotes and mentions."""
    result = Analysis()
    markers = _Locator([m for m in structure if m.kind == "marker"])
    spans = []
    for start, end in sentence_spans(text):
        # Paragraph markings ("2.(S/NF)") are structure, not part of any claim.
        found = markers.find(start)
        if found:
            start = found[1].end
            while start < end and text[start].isspace():
                start += 1
        if end > start:
            spans.append((start, end))
    result.sentences = len(spans)
    sentences = [text[a:b] for a, b in spans]
    scores = claims_mod.score_sentences(sentences)
    pages = _Locator([s for s in structure if s.kind == "page"])
    blocks = _Locator([s for s in structure if s.kind in _BLOCK_KINDS])

    attributions_by_sentence = [attribution_mod.find_attributions(text, a, b) for a, b in spans]
    claim_index: dict[int, int] = {}
    for i, ((start, end), sentence, score) in enumerate(zip(spans, sentences, scores, strict=True)):
        if score < claims_mod.THRESHOLD:
            continue
        page = pages.find(start)
        block = blocks.find(start)
        claim_index[i] = len(result.claims)
        result.claims.append(
            ClaimRecord(
                start=start,
                end=end,
                text=sentence,
                prefix=text[max(0, start - CONTEXT) : start],
                suffix=text[end : end + CONTEXT],
                score=round(score, 4),
                kind=claims_mod.claim_kind(sentence, bool(attributions_by_sentence[i])),
                norm_key=normal_key(sentence),
                page=page[1].number if page else None,
                paragraph=block[0] + 1 if block else None,
            )
        )
    for i, found in enumerate(attributions_by_sentence):
        for a in found:
            result.attributions.append(
                AttributionRecord(a.cue, a.mention, a.content, claim_index.get(i))
            )
    sentence_starts = [a for a, _ in spans]
    for i, (start, end) in enumerate(spans):
        for q in attribution_mod.find_quotes(text, start, end):
            speaker = None
            for a in attributions_by_sentence[i]:
                if a.mention and not (q.start <= a.mention[0] < q.end):
                    speaker = a.mention
                    break
            result.quotes.append(
                QuoteRecord(q.start, q.end, text[q.start : q.end], speaker, claim_index.get(i))
            )
    for mention in find_mentions(text):
        i = bisect.bisect_right(sentence_starts, mention.start) - 1
        if i >= 0 and mention.start < spans[i][1]:
            mention.claim = claim_index.get(i)
        result.mentions.append(mention)
    return result
