"""Attribution: who a source says said something (cue, source mention, content) and quotations.

This is a pattern-based first level: "according to X", "X said/says/told ...", "..., said X",
"the report says". Spans are offsets into the text layer.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass

METHOD = "patterns-0.1"

_VERBS = (
    "said|says|say|told|tells|tell|stated|states|reported|reports|confirmed|confirms|claimed|"
    "claims|added|adds|noted|notes|announced|announces|wrote|writes|warned|warns|insisted|"
    "insists|explained|explains|argued|argues|acknowledged|acknowledges|alleged|alleges|"
    "asserted|asserts|testified|estimated|estimates|concluded|concludes|found|finds|"
    "described|describes|recalled|denied|denies|believes|believed|suggested|suggests|"
    "revealed|reveals|admitted|admits|observed|commented|maintained|maintains|contended"
)
_VERB = re.compile(rf"\b(?:{_VERBS})\b")
_ACCORDING = re.compile(r"\b[Aa]ccording to\b")
# Words that end a source mention when walking back from the verb.
_STOP = {
    "that",
    "and",
    "but",
    "which",
    "who",
    "whom",
    "when",
    "while",
    "as",
    "because",
    "if",
    "where",
    "so",
    "then",
    "also",
    "he",
    "she",
    "they",
    "it",
    "we",
    "i",
    "you",
    "has",
    "have",
    "had",
    "is",
    "was",
    "were",
    "are",
    "will",
    "would",
    "could",
    "later",
    "previously",
    "recently",
    "once",
    "repeatedly",
    "publicly",
    "privately",
    "reportedly",
    "not",
    "never",
}
_PRONOUNS = {"he", "she", "they", "it", "we", "i", "you"}
_DETERMINERS = {"the", "a", "an", "this", "that", "these", "those", "its", "his", "her", "their"}
_MENTION_END = re.compile(
    r"[,;:.!?\"“”()\[\]]|\s(?:that|who|which|on|in|at|last|this|when|published|released|"
    r"issued|sent|dated|obtained|seen)\s"
)
_TOKEN = re.compile(r"[\w'’.&-]+")


@dataclass
class Attribution:
    cue: tuple[int, int]
    mention: tuple[int, int] | None
    content: tuple[int, int]


@dataclass
class Quote:
    start: int
    end: int
    speaker: tuple[int, int] | None = None


def _trim(text: str, start: int, end: int) -> tuple[int, int]:
    while start < end and (text[start].isspace() or text[start] in ",;:—–-"):
        start += 1
    while end > start and (text[end - 1].isspace() or text[end - 1] in ",;:—–-"):
        end -= 1
    return start, end


def _mention_before(text: str, lo: int, verb_start: int) -> tuple[int, int] | None:
    """The noun phrase right before a reporting verb, e.g. "a ministry spokesman"."""
    tokens = list(_TOKEN.finditer(text, lo, verb_start))
    chosen = []
    for token in reversed(tokens):
        between = text[token.end() : (chosen[0].start() if chosen else verb_start)]
        if re.search(r"[,;:\"“”()]", between):
            break
        word = token.group(0).lower()
        if word.endswith(".") and len(word) > 2 and word.count(".") == 1:
            break  # the end of the previous sentence
        if word in _STOP:
            if word in _PRONOUNS and not chosen:
                chosen.insert(0, token)
            break
        chosen.insert(0, token)
        if len(chosen) >= 8:
            break
    if not chosen:
        return None
    if len(chosen) == 1 and chosen[0].group(0).lower() in _DETERMINERS:
        return None
    start, end = chosen[0].start(), chosen[-1].end()
    phrase = text[start:end]
    if not (
        re.search(r"\b[A-Z]|\bx{4,}", phrase)
        or re.search(
            r"\b(?:officials?|sources?|spokes(?:man|woman|person)|report|cable|study|police|"
            r"diplomats?|ministry|government|analysts?|experts?|residents?|witnesses|he|she|they)\b",
            phrase,
            re.I,
        )
    ):
        return None
    return start, end


def _mention_after(text: str, start: int, hi: int) -> tuple[int, int] | None:
    match = _MENTION_END.search(text, start, hi)
    end = match.start() if match else hi
    start, end = _trim(text, start, end)
    if end <= start or len(text[start:end].split()) > 10:
        return None
    return start, end


def find_attributions(text: str, start: int, end: int) -> list[Attribution]:
    """Attributions inside the sentence ``text[start:end]``."""
    found: list[Attribution] = []
    for match in _ACCORDING.finditer(text, start, end):
        mention = _mention_after(text, match.end(), end)
        if mention is None:
            continue
        before = _trim(text, start, match.start())
        after = _trim(text, mention[1], end)
        content = before if before[1] - before[0] >= after[1] - after[0] else after
        content = (content[0], content[1] - (1 if text[content[1] - 1 : content[1]] == "." else 0))
        found.append(Attribution((match.start(), match.end()), mention, _trim(text, *content)))
    for match in _VERB.finditer(text, start, end):
        if any(a.cue[0] <= match.start() < a.content[1] and a.cue != (0, 0) for a in found):
            continue
        mention = _mention_before(text, start, match.start())
        if mention is not None:
            rest = match.end()
            told = re.match(
                r"\s+(?:reporters|journalists|the \w+|us|him|her|them)\b", text[rest:end]
            )
            if told and match.group(0).startswith("told"):
                rest += told.end()
            that = re.match(r"\s*,?\s*(?:that\b)?", text[rest:end])
            rest += that.end() if that else 0
            after = _trim(text, rest, end)
            before = _trim(text, start, mention[0])
            content = after if after[1] - after[0] >= before[1] - before[0] else before
        else:
            # Inverted: '"...," said the minister.' The verb follows a comma (or a closing
            # quote) and the mention runs to the end of the sentence or the next comma.
            if not re.search(r"[,—–][\"”’]?\s*$|[\"”]\s*$", text[start : match.start()]):
                continue
            inv = _mention_after(text, match.end(), end)
            before = _trim(text, start, match.start())
            if inv is None or before[1] - before[0] < 10:
                continue
            tail = text[inv[1] : end].strip()
            if tail and not re.match(r"^[,.;:!?]", tail):
                continue
            mention, content = inv, before
        if content[1] - content[0] < 8:
            continue
        found.append(Attribution((match.start(), match.end()), mention, content))
        break  # one attribution per sentence at this level
    return found


_QUOTE = re.compile(r"“[^”]{3,}?”|\"[^\"\n]{3,}?\"|‘[^’]{12,}?’(?!\w)")


def find_quotes(text: str, start: int, end: int) -> list[Quote]:
    """Direct quotations in ``text[start:end]``: spans inside the quote marks."""
    quotes = []
    for match in _QUOTE.finditer(text, start, end):
        inner = (match.start() + 1, match.end() - 1)
        inner = _trim(text, *inner)
        if len(text[inner[0] : inner[1]].split()) < 2:
            continue
        quotes.append(Quote(*inner))
    return quotes


_DETERMINER = re.compile(r"^(?:the|a|an|this|that|its|his|her|their)\s+", re.I)


def agent_key(name: str) -> str:
    """The key that makes the same agent one row across sources."""
    name = unicodedata.normalize("NFKC", name).casefold().replace("’", "'")
    name = _DETERMINER.sub("", name.strip())
    name = re.sub(r"'s\b", "", name)
    return " ".join(re.sub(r"[^\w\s]", " ", name).split())


def agent_kind(name: str) -> str:
    lowered = name.lower()
    if re.search(
        r"\b(?:report|cable|study|document|memo|letter|survey|paper|article|telegram)\b", lowered
    ):
        return "document"
    if re.search(
        r"\b(?:ministry|department|agency|police|government|institute|center|centre|office|"
        r"embassy|council|committee|university|company|group|officials?|army|forces|court|"
        r"commission|association|party|bank|union|organisation|organization)\b",
        lowered,
    ):
        return "organisation"
    if lowered in _PRONOUNS:
        return "pronoun"
    if re.fullmatch(r"(?:[A-Z][\w'’.-]+\s+){0,3}[A-Z][\w'’-]+", name.strip()):
        return "person"
    return "unknown"
