"""From a text layer to claims, attributions, quotations and citation mentions.

Pure functions over one text layer and its structure, with no database: the result is plain
data that a worker process can compute and the single writer can store.
"""

from __future__ import annotations

import bisect
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

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
    agent: str | None = None  # the agent the mention names, pronouns and surnames resolved
    method: str | None = None  # how it was found, when not the analysis' tagger (a credit line)


@dataclass
class QuoteRecord:
    start: int
    end: int
    text: str
    speaker: tuple[int, int] | None
    claim: int | None
    agent: str | None = None  # the speaker's agent, resolved like an attribution's


@dataclass
class Analysis:
    claims: list[ClaimRecord] = field(default_factory=list)
    attributions: list[AttributionRecord] = field(default_factory=list)
    quotes: list[QuoteRecord] = field(default_factory=list)
    mentions: list[MentionRecord] = field(default_factory=list)
    sentences: int = 0
    model_version: str = field(default_factory=lambda: claims_mod.model().version)
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


def keep_as_claim(sentence: str, score: float, threshold: float, reported: bool) -> bool:
    """Whether a sentence is stored as a claim.

    Check-worthy sentences are (score at or above the threshold); so are sentences that quote
    someone or attribute a statement to a named source, and sentences that state a figure with
    its unit, whatever their score: who said what is what this tool is for, and the scorer,
    trained on debate transcripts, underrates reported speech ("We cannot move," Dahl said) and
    news-style measurements ("The gauge read 3.2 metres on Sunday"). Their score stays the
    scorer's, so readers can still filter on it; boilerplate and fragments of fewer than four
    words are never kept.
    """
    if score >= threshold:
        return True
    checkable = reported or claims_mod.states_figure(sentence)
    return checkable and claims_mod.rule_factor(sentence) >= 0.5 and len(sentence.split()) >= 4


def analyse(text: str, structure: list[Span], accurate: bool = False) -> Analysis:
    """Claims (with scores, kinds, pages, paragraphs), attributions, quotes and mentions.

    Every sentence is scored in one batch; attributions and quotes are found paragraph by
    paragraph (a quotation often runs over several sentences) and belong to the claim that
    holds their cue (or, failing that, the start of their content). ``accurate``: scores are
    the accurate mode's (:func:`provenance.semantic.checkworthiness`), attributions are
    tagged by its fine-tuned tagger (:func:`provenance.semantic.attribution_tagger`), and
    their model versions are recorded on the claims and on the attribution and quote rows.
    """
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
    threshold = claims_mod.model().threshold
    if accurate:
        from . import semantic  # the accurate extra: never imported by the default path

        scorer = semantic.claim_scorer()
        scores = scorer.checkworthiness(sentences, scores)
        threshold, result.model_version = float(scorer.card["threshold"]), scorer.version
    pages = _Locator([s for s in structure if s.kind == "page"])
    blocks = _Locator([s for s in structure if s.kind in _BLOCK_KINDS])
    sentence_starts = [a for a, _ in spans]

    def sentence_at(offset: int) -> int | None:
        i = bisect.bisect_right(sentence_starts, offset) - 1
        return i if i >= 0 and offset < spans[i][1] else None

    attributions = attribution_mod.find_attributions(text, accurate=accurate)
    if accurate:
        from . import semantic

        result.method = semantic.attribution_tagger().version
    quotes = attribution_mod.find_quotes(text)
    attribution_mod.attach_speakers(text, quotes, attributions)
    attributed: set[int] = set()  # sentences holding content attributed to a named source
    for a in attributions:
        if a.mention is None:
            continue
        for part in a.content_parts or [a.content]:
            first, last = sentence_at(part[0]), sentence_at(part[1] - 1)
            if first is not None:
                attributed.update(range(first, (last if last is not None else first) + 1))
    # A paragraph's credit line ("Source - EcoAmericas"): its sentences are attributed to what
    # it names, and the line itself is no claim.
    credits = attribution_mod.find_credits(text)
    credited: dict[int, list[attribution_mod.Credit]] = {}
    credit_lines: set[int] = set()
    for c in credits:  # the sentences starting in the paragraph, then in its credit line
        first = bisect.bisect_left(sentence_starts, c.credited[0])
        line = bisect.bisect_left(sentence_starts, c.credited[1])
        for i in range(first, line):
            credited.setdefault(i, []).append(c)
        credit_lines.update(
            range(
                bisect.bisect_left(sentence_starts, c.line[0]),
                bisect.bisect_left(sentence_starts, c.line[1]),
            )
        )
    attributed.update(credited)
    quoted: set[int] = set()  # sentences holding (part of) a direct quotation
    for q in quotes:
        first, last = sentence_at(q.start), sentence_at(q.end - 1)
        if first is not None:
            quoted.update(range(first, (last if last is not None else first) + 1))

    claim_index: dict[int, int] = {}
    for i, ((start, end), sentence, score) in enumerate(zip(spans, sentences, scores, strict=True)):
        if i in credit_lines or not keep_as_claim(
            sentence, score, threshold, i in attributed or i in quoted
        ):
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
                kind=claims_mod.claim_kind(sentence, i in attributed, i in quoted),
                norm_key=normal_key(sentence),
                page=page[1].number if page else None,
                paragraph=block[0] + 1 if block else None,
            )
        )

    def claim_of(*offsets: int) -> int | None:
        for offset in offsets:
            i = sentence_at(offset)
            if i is not None and i in claim_index:
                return claim_index[i]
        return None

    cues = {sentence_at(a.cue[0]) for a in attributions} - {None}
    for a in attributions:
        cue_sentence = sentence_at(a.cue[0])
        holds_content = cue_sentence is not None and any(
            sentence_at(p[0]) == cue_sentence or sentence_at(p[1] - 1) == cue_sentence
            for p in a.content_parts or [a.content]
        )
        claim = claim_of(a.cue[0]) if holds_content else claim_of(a.content[0])
        result.attributions.append(AttributionRecord(a.cue, a.mention, a.content, claim, a.agent))
        for i in _continuations(text, spans, a, cue_sentence, sentence_at, quoted, cues):
            if i in claim_index and claim_index[i] != claim:
                start, end = spans[i]
                result.attributions.append(
                    AttributionRecord(a.cue, a.mention, (start, end), claim_index[i], a.agent)
                )
    for i, found in credited.items():
        if i in claim_index:
            for c in found:
                result.attributions.append(
                    AttributionRecord(
                        c.cue, c.mention, spans[i], claim_index[i], None if c.cable else c.name,
                        attribution_mod.CREDIT_METHOD,
                    )
                )  # fmt: skip
    for c in credits:  # a cable credited: its short reference, resolved as a REF line's
        if c.cable:
            result.mentions.append(MentionRecord(*c.mention, c.name, "cable-ref", None))
    for q in quotes:
        result.quotes.append(
            QuoteRecord(
                q.start, q.end, text[q.start : q.end], q.speaker, claim_of(q.start), q.agent
            )
        )
    for mention in find_mentions(text):
        i = bisect.bisect_right(sentence_starts, mention.start) - 1
        if i >= 0 and mention.start < spans[i][1]:
            mention.claim = claim_index.get(i)
        result.mentions.append(mention)
    return result


def _continuations(
    text: str,
    spans: list[tuple[int, int]],
    attribution: Any,
    cue_sentence: int | None,
    sentence_at: Callable[[int], int | None],
    quoted: set[int],
    cues: set[int | None],
) -> list[int]:
    """The sentences after an attribution's cue that its cue governs: those its content runs
    into, then the quotations that follow in the same paragraph with no cue of their own
    ('the cable says. "..." "..."'). Each gets an attribution of its own, with the same cue
    and source, so that it is not left unattributed."""
    if attribution.mention is None or cue_sentence is None or cue_sentence not in quoted:
        return []
    last = sentence_at(attribution.content[1] - 1)
    found = list(range(cue_sentence + 1, (last if last is not None else cue_sentence) + 1))
    i = (found[-1] if found else cue_sentence) + 1
    while i < len(spans) and i in quoted and i not in cues:
        if "\n\n" in text[spans[i - 1][1] : spans[i][0]]:
            break  # a new paragraph: another voice, perhaps
        found.append(i)
        i += 1
    return [j for j in found if j not in cues]
