"""The text layer: normalisation, structure spans, sentence spans and W3C-style selectors.

Every offset the tool stores is a Python code-point offset into a normalised text layer built
here. Ingesters build the layer block by block with :class:`TextBuilder`, so structure spans
(pages, paragraphs, headings, posts) are exact by construction.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass

#: Recorded on every source: how its text layer was normalised from the extracted text.
NORMALISATION = "nfc;newlines=lf;spaces=collapse;lines=strip;blank-lines<=1;v1"

# Runs of spaces to collapse; a lone ASCII space is left alone (it would be replaced by itself,
# and most spaces are lone: skipping them makes normalising several times faster).
_SPACE_CHARS = re.compile(
    r"[\t\u00a0\u1680\u2000-\u200a\u202f\u205f\u3000\f\v][ \t\u00a0\u1680\u2000-\u200a\u202f\u205f\u3000\f\v]*"
    r"| [ \t\u00a0\u1680\u2000-\u200a\u202f\u205f\u3000\f\v]+"
)
_ZERO_WIDTH = re.compile(r"[\u200b\u200c\u200d\u2060\ufeff\u00ad]")
_CONTROL = re.compile(r"[\x00-\x08\x0e-\x1f\x7f]")
_BLANK_LINES = re.compile(r"\n{3,}")


def normalise(text: str) -> str:
    """Normalise a piece of text: NFC, LF newlines, single spaces, stripped lines.

    Idempotent: ``normalise(normalise(s)) == normalise(s)``. Paragraphs stay separated by one
    blank line; runs of blank lines collapse to one.
    """
    text = text.replace("\r\n", "\n").replace("\r", "\n").replace("\u2028", "\n")
    text = text.replace("\u2029", "\n\n")
    text = _ZERO_WIDTH.sub("", text)
    text = _CONTROL.sub("", text)
    text = unicodedata.normalize("NFC", text)
    text = _SPACE_CHARS.sub(" ", text)
    text = "\n".join(line.strip() for line in text.split("\n"))
    text = _BLANK_LINES.sub("\n\n", text)
    return text.strip()


def normalise_block(text: str) -> str:
    """Normalise one block (a paragraph or heading): like :func:`normalise`, no blank lines."""
    return re.sub(r"\n+", "\n", normalise(text))


@dataclass
class Span:
    """A structural span of the text layer: a page, paragraph, heading, post, quotation block."""

    kind: str
    start: int
    end: int
    number: int | None = None
    label: str | None = None


class TextBuilder:
    """Build a normalised text layer from blocks, recording a structure span for each block."""

    def __init__(self) -> None:
        self._parts: list[str] = []
        self._length = 0
        self.structure: list[Span] = []

    @property
    def length(self) -> int:
        return self._length

    def add(
        self,
        text: str,
        kind: str = "paragraph",
        number: int | None = None,
        label: str | None = None,
        separator: str = "\n\n",
    ) -> Span | None:
        """Append a block (normalised here); return its span, or None when it is empty."""
        block = normalise_block(text)
        if not block:
            return None
        if self._parts:
            self._parts.append(separator)
            self._length += len(separator)
        start = self._length
        self._parts.append(block)
        self._length += len(block)
        span = Span(kind, start, self._length, number, label)
        self.structure.append(span)
        return span

    def mark(self, kind: str, start: int, number: int | None = None, label: str | None = None):
        """Record a span from ``start`` to the current end (a page, a post) and return it."""
        span = Span(kind, start, self._length, number, label)
        self.structure.append(span)
        return span

    def next_start(self) -> int:
        """Where the next non-empty block will start."""
        return self._length + (2 if self._parts else 0)

    def text(self) -> str:
        return "".join(self._parts)


# --- sentences ---------------------------------------------------------------------------

# Abbreviations after which a full stop does not end a sentence (lower case, without the dot).
ABBREVIATIONS = frozenset(
    """
    mr mrs ms dr prof rev sr jr st mt ft messrs mme mlle hon pres gov sen rep reps sens amb
    gen lt col maj capt cpt cmdr cdr adm sgt cpl pvt brig supt insp det fr sec secs dept
    jan feb mar apr jun jul aug sep sept oct nov dec mon tue tues wed thu thur thurs fri sat sun
    no nos vol vols p pp para paras fig figs ed eds est approx inc ltd co corp bros assn univ
    ave blvd rd hwy etc vs v al cf e.g i.e ibid op cit ca viz
    ala ariz ark calif colo conn del fla ga ill ind kan ky la md mass mich minn miss mo mont
    neb nev okla ore pa tenn tex va vt wash wis wyo
    """.split()
)

#: Abbreviations that can also close a sentence ("... of Acme Corp. The company said"): after
#: these, and after dotted abbreviations ("U.S.", "p.m."), a word that usually opens a sentence
#: starts a new one. Titles ("Mr.", "Gen.", "Sen.") are always followed by a name instead.
SENTENCE_FINAL_ABBREVIATIONS = frozenset("inc ltd co corp bros etc jr sr al est approx".split())

#: Words that usually open a sentence, for telling "in the U.S. The talks" (two sentences)
#: from "the U.S. Senate" (one).
SENTENCE_STARTERS = frozenset(
    """
    The A An He She It They We I You His Her Its Their Our My Your This That These Those There
    Here But And Or So Yet Still Then Now However Meanwhile Also Instead Although Though While
    When Where Why How What Who Which If As After Before Since Because Until Unless In On At
    For From With By Of To Some Many Most Much All Both Each Every Few Several No Not One Two
    Three Mr Mrs Ms Dr Asked Despite During Over Under
    """.split()
)

_BOUNDARY = re.compile(
    r"""
    (?P<end>[.!?…]+[\"'’”»)\]]*)      # terminal punctuation, then closing quotes or brackets
    (?P<space>\s+)
    (?=[\"'“‘«(\[]?[A-Z0-9À-ÖØ-Þ¶])   # next sentence starts with a capital, digit or quote
    |
    (?P<line>[ \t]*\n\s*)             # a line break before a list item, or after a colon
    (?=(?:[-•*–—▪◦‣]|\(?\d{1,3}[.)]|\(?[a-z][.)])\s)
    |
    (?<=:)(?P<colon>[ \t]*\n\s*)(?=\S)
    """,
    re.VERBOSE,
)
_WORD_BEFORE = re.compile(r"([A-Za-z][A-Za-z.]*)$")
_WORD_AFTER = re.compile(r"[\"'“‘«(\[]?([A-Za-z]+)")
_LIST_NUMBER = re.compile(r"(?:^|\n)[ \t]*\(?(?:\d{1,3}|[A-Za-z])$")
_PARAGRAPH = re.compile(r"\n\s*\n")


def _is_abbreviation(text: str, dot: int) -> bool:
    """Whether the full stop at ``dot`` closes an abbreviation or an initial, not a sentence."""
    match = _WORD_BEFORE.search(text, max(0, dot - 20), dot)
    if not match:
        return False
    word = match.group(1)
    if len(word) == 1 and word.isupper():
        return True  # an initial: "John F. Kennedy"
    if "." in word:
        return True  # "U.S." "e.g." "Ph.D": dotted abbreviations
    return word.lower() in ABBREVIATIONS


def _abbreviation_ends_sentence(text: str, dot: int, next_start: int) -> bool:
    """After an abbreviation that may close a sentence, whether the next word opens one."""
    word = _WORD_BEFORE.search(text, max(0, dot - 20), dot).group(1)  # type: ignore[union-attr]
    initial = len(word) == 1
    if not ("." in word or initial or word.lower() in SENTENCE_FINAL_ABBREVIATIONS):
        return False
    following = _WORD_AFTER.match(text, next_start)
    if not following:
        return False
    starter = following.group(1)
    if initial and starter in ("A", "I"):
        return False  # "John A. Smith", "Henry I. Adams"
    return starter in SENTENCE_STARTERS


def paragraph_spans(text: str, start: int = 0, end: int | None = None) -> list[tuple[int, int]]:
    """Spans of the paragraphs (blocks separated by blank lines) of ``text[start:end]``."""
    end = len(text) if end is None else end
    spans = []
    pos = start
    for match in _PARAGRAPH.finditer(text, start, end):
        spans.append((pos, match.start()))
        pos = match.end()
    spans.append((pos, end))
    return [_strip(text, a, b) for a, b in spans if text[a:b].strip()]


def _strip(text: str, start: int, end: int) -> tuple[int, int]:
    while start < end and text[start].isspace():
        start += 1
    while end > start and text[end - 1].isspace():
        end -= 1
    return start, end


def sentence_spans(text: str, start: int = 0, end: int | None = None) -> list[tuple[int, int]]:
    """Sentence spans of ``text[start:end]`` as offsets into ``text``.

    Paragraph breaks always end a sentence, so headings without final punctuation stand alone;
    so do line breaks before a list item (``-``, ``•``, ``1.``, ``a)``) and after a colon.
    Inside a paragraph a sentence ends at ``.``, ``!``, ``?`` or ``…`` (with any closing quotes
    or brackets) followed by whitespace and a capital, a digit or an opening quote, unless the
    full stop closes an abbreviation or an initial ("Gen.", "U.S.", "John F. Kennedy"). After
    an abbreviation that can also close a sentence ("U.S.", "p.m.", "Corp."), a word that
    usually opens one ("The", "He", "But") starts a new sentence. Dashes never split.
    """
    spans = []
    for p_start, p_end in paragraph_spans(text, start, end):
        pos = p_start
        for match in _BOUNDARY.finditer(text, p_start, p_end):
            end_punct = match.group("end")
            if end_punct is None:  # a line break before a list item or after a colon
                boundary = match.start()
            else:
                if end_punct.startswith(".") and len(end_punct.rstrip("\"'’”»)]")) == 1:
                    dot = match.start("end")
                    if _LIST_NUMBER.search(text[max(p_start, dot - 8) : dot]):
                        continue  # "1. Build the wall": a list item's number
                    if _is_abbreviation(text, dot) and not _abbreviation_ends_sentence(
                        text, dot, match.end()
                    ):
                        continue
                boundary = match.end("end")
            if boundary > pos:
                spans.append(_strip(text, pos, boundary))
            pos = match.end()
        if pos < p_end:
            spans.append(_strip(text, pos, p_end))
    return [(a, b) for a, b in spans if b > a]


# --- selectors ---------------------------------------------------------------------------

CONTEXT = 32


def selector(text: str, start: int, end: int, context: int = CONTEXT) -> dict[str, object]:
    """A W3C TextQuote + TextPosition selector for ``text[start:end]``."""
    return {
        "exact": text[start:end],
        "prefix": text[max(0, start - context) : start],
        "suffix": text[end : end + context],
        "start": start,
        "end": end,
    }


_KEY_DROP = re.compile(r"[^\w\s]")


def normal_key(text: str) -> str:
    """A comparison key: case-folded words without punctuation, single spaces."""
    text = unicodedata.normalize("NFKC", text).casefold()
    text = text.replace("’", "'")
    return " ".join(_KEY_DROP.sub(" ", text).split())
