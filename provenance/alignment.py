"""Align a quotation with the passage of a source it quotes, and say how the two differ.

Quotations in news stories are rarely verbatim. Editors mark some changes and leave others
unmarked; the aligner accepts the marked ones and reports everything:

- **editorial brackets**: a bracketed word standing for a name ("[Kusa] said" for "he said"),
  a bracketed expansion after an abbreviation ("the GOB [Government of Brazil]"), "[sic]",
  and letters changed inside a word ("[T]he", "(T)his", "fail(ing)"). A parenthesis in the
  quote may also be the editor's ("the USG (U.S. government)"): it is matched when the
  original has it, else accepted as an insertion.
- **ellipses** ("...", "…", ". . .", "[...]"): any stretch of the original left out.
- **quote marks** of any kind, nested or not, and punctuation: ignored, as is letter case
  (cables are written in capitals).
- **spelling variants of names** ("Soliman"/"Suleiman", "Qadhafi"/"Gaddafi"): matched, and
  reported as a spelling difference.
- **line and page breaks in the original**: words broken at a line end ("juris- diction") are
  joined, and lines of page furniture (running headers, page numbers, a cable's page line)
  inside the quoted passage are skipped without counting as an omission.

Anything else (a changed word, words added, words left out without an ellipsis) is a
misquote: still aligned when most of the quote matches, and reported as a difference with
``editorial: false``. The alignment is a small dynamic programme over quote items and the
words of a window of the original (semi-global: the whole quote, any stretch of the source).
"""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass, field
from functools import lru_cache

from .compiled import core
from .similarity import STOP_WORDS, fold

METHOD = "align-0.2"  # 0.2: an added small word fixing a slip of the original is editorial

#: Words a quoting source may add to mend an evident slip of the original.
SLIP_WORDS = frozenset("of the a an to in on at for and by is was be".split())

MIN_MATCHED_WORDS = 4
MIN_MATCHED_SHARE = 0.75
MIN_VERBATIM_RUN = 5
MAX_BRACKET_WORDS = 8  # original words one bracketed insertion may stand for
MAX_ELLIPSIS_WORDS = 400  # original words one ellipsis may stand for

_EXACT, _VARIANT, _CHANGED, _ADDED, _OMITTED, _FURNITURE = 1.0, 0.6, -0.95, -1.0, -0.8, -0.02
_BRACKET, _ELLIPSIS, _SOFT_SKIP = -0.15, -0.05, -0.15

_WORD = re.compile(r"\d+(?:[.,]\d+)+|\w+(?:['’]\w+)*")
_STANDS_IN = frozenset(
    "he she it they him her them his hers its their theirs this that these those we us our".split()
)
_ELLIPSIS_MARK = r"\[\s*(?:\.\s?){3}\s*\]|\[\s*…\s*\]|\(\s*(?:\.\s?){3}\s*\)|(?:\.\s?){2}\.|…"
_QUOTE_ITEM = re.compile(
    rf"(?P<ellipsis>{_ELLIPSIS_MARK})"
    r"|(?P<inword>\w+[\[(]\w{1,12}[\])]\w*|[\[(]\w{1,12}[\])]\w+)"  # [T]he (T)his fail(ing)
    r"|(?P<bracket>\[[^\[\]]{1,120}\])"
    r"|(?P<paren>\([^()]{1,80}\))"
    r"|(?P<word>\d+(?:[.,]\d+)+|\w+(?:['’]\w+)*)"
)


@lru_cache(maxsize=500_000)
def key(word: str) -> str:
    """The comparison form of one word: folded, apostrophes and separators dropped."""
    return _SEPARATORS.sub("", fold(word))


_SEPARATORS = re.compile(r"['.,]")


@lru_cache(maxsize=64)
def text_keys(text: str) -> list[tuple[str, int]]:
    """Every word of a text as (key, start offset)."""
    folded = text.casefold()
    if len(folded) != len(text):  # "ß" -> "ss": offsets would shift, fold word by word
        return [(key(m.group(0)), m.start()) for m in _WORD.finditer(text)]
    if core is not None:
        return core.word_keys(folded, _word_key)
    return _word_keys(folded)


def _word_keys(folded: str) -> list[tuple[str, int]]:
    """:func:`text_keys` of case-folded text (the pure twin of ``core.word_keys``)."""
    matches = list(_WORD.finditer(folded))  # fold once, not word by word
    words = [m[0] for m in matches]
    if not (folded.isascii() and all(map(str.isalnum, words))):
        # only a word with an accent, an apostrophe or a separator needs more
        words = [w if w.isalnum() and w.isascii() else _word_key(w) for w in words]
    return list(zip(words, [m.start() for m in matches], strict=True))


def _word_key(word: str) -> str:
    """:func:`key` of a word of already case-folded text."""
    if not word.isascii():
        return key(word)
    if "'" in word or "." in word or "," in word:
        return _SEPARATORS.sub("", word)
    return word


# --- the quote ---------------------------------------------------------------------------


@dataclass
class Item:
    kind: str  # word | bracket | ellipsis
    start: int  # offsets into the quote text
    end: int
    keys: tuple[str, ...] = ()  # accepted forms of a word (with and without bracketed letters)
    name: bool = False  # capitalised inside the sentence: a name, spelling may vary
    bracketed: bool = False  # a word with bracketed letters
    soft_end: int | None = None  # for the first word of a parenthesis: index after it


def quote_items(quote: str) -> list[Item]:
    """The quote as a sequence of words, bracketed insertions and ellipses."""
    items: list[Item] = []
    for match in _QUOTE_ITEM.finditer(quote):
        kind = match.lastgroup
        start, end = match.span()
        if kind == "ellipsis":
            items.append(Item("ellipsis", start, end))
        elif kind == "bracket":
            items.append(Item("bracket", start, end))
        elif kind == "inword":
            raw = match.group(0)
            with_letters = re.sub(r"[\[\]()]", "", raw)
            without = re.sub(r"[\[(]\w*[\])]", "", raw)
            keys = tuple(dict.fromkeys(k for k in (key(with_letters), key(without)) if k))
            items.append(Item("word", start, end, keys, bracketed=True))
        elif kind == "paren":
            inner = [m for m in re.finditer(r"\d+(?:[.,]\d+)+|\w+(?:['’]\w+)*", match.group(0))]
            first = len(items)
            for word in inner:
                w_start, w_end = start + word.start(), start + word.end()
                items.append(Item("word", w_start, w_end, (key(word.group(0)),)))
            if len(items) > first:
                items[first].soft_end = len(items)
        else:
            word = match.group(0)
            before = quote[:start].rstrip()
            sentence_start = not before or before[-1] in ".!?:;\"“‘'"
            name = word[:1].isupper() and not sentence_start and not word.isupper()
            items.append(Item("word", start, end, (key(word),), name=name))
    return items


# --- the original ------------------------------------------------------------------------


@dataclass
class Token:
    key: str
    start: int
    end: int
    furniture: bool = False
    broken: bool = False  # ends with a hyphen at a line break: may join the next word
    new_block: bool = False  # a blank line (a new paragraph or page) comes before it


_FURNITURE_LINE = re.compile(
    r"^\s*(?:[-–—]?\s*(?:page\s+)?\d{1,4}(?:\s*(?:of|/)\s*\d{1,4})?\s*[-–—]?"
    r"|[A-Z][A-Z .'-]{1,30}\s\d{6,8}\s+\d{3}(?:\.\d)?\s+OF\s+\d{3}"
    r"|.{0,80}\b(?:page|p\.)\s*\d{1,4}(?:\s*(?:of|/)\s*\d{1,4})?)\s*$",
    re.I,
)


def furniture_lines(text: str, page_breaks: list[int] | None = None) -> list[tuple[int, int]]:
    """Spans of lines that are page furniture: page numbers, cable page lines, short lines
    repeated through the document (running heads), short lines next to a page break."""
    lines = []
    pos = 0
    for line in text.split("\n"):
        lines.append((pos, pos + len(line), line.strip()))
        pos += len(line) + 1
    counts = Counter(s for _, _, s in lines if s and len(s.split()) <= 12)
    breaks = sorted(page_breaks or [])
    spans = []
    for start, end, stripped in lines:
        if not stripped or len(stripped.split()) > 12:
            continue
        near_break = any(abs(b - start) <= 2 or abs(b - end) <= 2 for b in breaks)
        if _FURNITURE_LINE.match(stripped) or counts[stripped] >= 2 or near_break:
            if _FURNITURE_LINE.match(stripped) or counts[stripped] >= 2:
                spans.append((start, end))
            elif near_break and len(stripped.split()) <= 8 and not stripped.endswith("."):
                spans.append((start, end))
    return spans


_BROKEN = re.compile(r"-[ \t]*\n?[ \t]*\w")  # a word broken at a line end: "inter-\nnational"


def tokens(text: str, start: int, end: int, furniture: list[tuple[int, int]] = ()) -> list[Token]:
    """The words of ``text[start:end]`` with their offsets and furniture flags."""
    out: list[Token] = []
    spans = [f for f in furniture if f[1] > start and f[0] < end]
    previous_end = start
    for match in _WORD.finditer(text, start, end):
        a, b = match.span()
        token = Token(key(match.group(0)), a, b)
        token.new_block = "\n\n" in text[previous_end:a]
        previous_end = b
        token.furniture = any(f0 <= a < f1 for f0, f1 in spans)
        if text[b : b + 1] == "-":
            following = text[b : b + 4]
            token.broken = bool(_BROKEN.match(following)) and (
                "\n" in following or following[1:2] == " "
            )
        out.append(token)
    return out


# --- alignment ---------------------------------------------------------------------------


@dataclass
class Alignment:
    start: int  # span of the original (offsets into the source text)
    end: int
    score: float  # fidelity: 1.0 for a verbatim quote
    matched: int
    words: int
    differences: list[dict] = field(default_factory=list)

    @property
    def misquoted(self) -> bool:
        return any(not d["editorial"] for d in self.differences)


@lru_cache(maxsize=100_000)
def _variant(a: str, b: str, name: bool) -> bool:
    """Spelling variants of a name: transliterations ("Soliman", "Suleiman") or a slip."""
    if not name or len(a) < 3 or len(b) < 3 or a[0].isdigit() or b[0].isdigit():
        return False
    from rapidfuzz.distance import JaroWinkler, Levenshtein  # only once quotes are aligned

    similarity = JaroWinkler.similarity(a, b)
    skeleton = _skeleton(a)
    if skeleton == _skeleton(b) and (len(skeleton) >= 3 or similarity >= 0.75):
        return True
    return similarity >= 0.88 or (len(a) >= 6 and Levenshtein.distance(a, b) == 1)


_SKELETON_RULES = [
    (re.compile(pattern), repl)
    for pattern, repl in [
        (r"(?<=\w)h", ""),  # dh, kh, gh, th: the h of a digraph
        (r"[qgc]", "k"),
        (r"ph", "f"),
        (r"[aeiouyw']", ""),
        (r"(\w)\1+", r"\1"),
    ]
]


def _skeleton(word: str) -> str:
    """A transliteration key: consonants only, digraphs and doubled letters folded."""
    for pattern, repl in _SKELETON_RULES:
        word = pattern.sub(repl, word)
    return word


def align(quote: str, text: str, window: tuple[int, int], furniture=()) -> Alignment | None:
    """The best alignment of the whole quote with a stretch of ``text[window]``, or None."""
    items = quote_items(quote)
    words = [i for i in items if i.kind == "word"]
    if len(words) < MIN_MATCHED_WORDS:
        return None
    toks = tokens(text, window[0], window[1], furniture)
    if not toks:
        return None
    verbatim = _verbatim(items, toks)
    if verbatim is not None:
        return verbatim
    present = {t.key for t in toks}
    possible = sum(1 for w in words if set(w.keys) & present or w.name)
    if possible < max(MIN_MATCHED_WORDS, MIN_MATCHED_SHARE * len(words)) and possible < 5:
        return None  # too few of the quote's words are here for any alignment to pass
    steps = _align_steps(items, toks) if core is None else _compiled_steps(items, toks)
    if steps is None:
        return None
    return _result(quote, text, items, toks, steps)


#: Item kinds as the compiled programme reads them (see :func:`_align_steps`).
_KIND_CODES = {"word": ord("w"), "bracket": ord("b"), "ellipsis": ord("e")}
_COSTS = (_EXACT, _VARIANT, _CHANGED, _ADDED, _OMITTED, _FURNITURE, _BRACKET, _ELLIPSIS, _SOFT_SKIP)


def _compiled_steps(items: list[Item], toks: list[Token]) -> list[tuple] | None:
    """:func:`_align_steps` by the compiled core (the same steps)."""
    assert core is not None
    return core.align_steps(
        bytes(_KIND_CODES.get(it.kind, 0) for it in items),
        [-1 if it.soft_end is None else it.soft_end for it in items],
        bytes(1 if it.name else 0 for it in items),
        [it.keys for it in items],
        [t.key for t in toks],
        bytes(
            t.furniture | t.new_block << 1 | t.broken << 2 | (t.key in _STANDS_IN) << 3
            for t in toks
        ),
        _variant,
        _COSTS,
        MAX_ELLIPSIS_WORDS,
        MAX_BRACKET_WORDS,
    )


def _align_steps(items: list[Item], toks: list[Token]) -> list[tuple] | None:
    """The steps ``(kind, i, j, next i, next j)`` of the best alignment of the quote's items
    with the window's tokens, first step first, or None (``_core.align_steps`` in C)."""
    n, m = len(items), len(toks)
    neg = float("-inf")
    score = [[neg] * (m + 1) for _ in range(n + 1)]
    back: list[list[tuple | None]] = [[None] * (m + 1) for _ in range(n + 1)]
    score[0] = [0.0] * (m + 1)

    def offer(i: int, j: int, value: float, step: tuple) -> None:
        if value > score[i][j]:
            score[i][j] = value
            back[i][j] = step

    for i in range(n + 1):
        row = score[i]
        item = items[i] if i < n else None
        if item is not None and item.kind == "ellipsis":
            best, best_j = neg, -1
            for j in range(m + 1):
                if row[j] > best:
                    best, best_j = row[j], j
                if best > neg and j - best_j <= MAX_ELLIPSIS_WORDS:
                    offer(i + 1, j, best + _ELLIPSIS, ("ellipsis", i, best_j))
        for j in range(m + 1):
            value = row[j]
            if value == neg:
                continue
            if 0 < i < n and j < m:  # an original word the quote leaves out
                cost = _FURNITURE if toks[j].furniture else _OMITTED
                offer(i, j + 1, value + cost, ("omit", i, j))
            if item is None:
                continue
            if item.kind == "word":
                if item.soft_end is not None:
                    offer(item.soft_end, j, value + _SOFT_SKIP, ("soft", i, j))
                if j < m:
                    tk = toks[j].key
                    if tk in item.keys:
                        offer(i + 1, j + 1, value + _EXACT, ("match", i, j))
                    elif item.name and _variant(item.keys[0], tk, True):
                        offer(i + 1, j + 1, value + _VARIANT, ("variant", i, j))
                    else:
                        # a word of another paragraph is not what the quote changed
                        cost = _CHANGED - (1.0 if toks[j].new_block else 0.0)
                        offer(i + 1, j + 1, value + cost, ("change", i, j))
                    if toks[j].broken and j + 1 < m and tk + toks[j + 1].key in item.keys:
                        offer(i + 1, j + 2, value + _EXACT, ("join", i, j))
                offer(i + 1, j, value + _ADDED, ("add", i, j))
            elif item.kind == "bracket":
                for k in range(0, min(MAX_BRACKET_WORDS, m - j) + 1):
                    # A bracket most often stands for a pronoun: "[Kusa] said" for "He said".
                    bonus = (
                        0.1
                        if 0 < k <= 2 and all(t.key in _STANDS_IN for t in toks[j : j + k])
                        else 0.0
                    )
                    offer(i + 1, j + k, value + _BRACKET - 0.01 * k + bonus, ("bracket", i, j))
    end_j = max(range(m + 1), key=lambda j: score[n][j])
    if score[n][end_j] == neg:
        return None
    steps = []
    i, j = n, end_j
    while i > 0:
        step = back[i][j]
        if step is None:
            return None
        kind, pi, pj = step
        steps.append((kind, pi, pj, i, j))
        i, j = pi, pj
    steps.reverse()
    return steps


def _verbatim(items: list[Item], toks: list[Token]) -> Alignment | None:
    """The quote word for word (case and punctuation aside): found without the programme."""
    if any(it.kind != "word" or it.bracketed or it.soft_end is not None for it in items):
        return None
    keys = [it.keys[0] for it in items]
    first = keys[0]
    for j, token in enumerate(toks):
        if token.key == first and [t.key for t in toks[j : j + len(keys)]] == keys:
            last = toks[j + len(keys) - 1]
            return Alignment(token.start, last.end, 1.0, len(keys), len(keys), [])
    return None


def _result(quote, text, items, toks, steps) -> Alignment | None:
    consumed = [
        (pj, j)
        for kind, _, pj, _, j in steps
        if kind in ("match", "variant", "join", "change") or (kind == "bracket" and j > pj)
    ]
    if not consumed:
        return None
    span_start = toks[consumed[0][0]].start
    span_end = toks[consumed[-1][1] - 1].end
    words = sum(1 for it in items if it.kind == "word")
    matched = sum(1 for s in steps if s[0] in ("match", "join"))
    variants = sum(1 for s in steps if s[0] == "variant")
    soft_words = 0
    omitted = 0
    differences: list[dict] = []

    def diff(kind, q0, q1, o0, o1, editorial, note=None):
        entry = {
            "type": kind,
            "quote": quote[q0:q1] if q1 > q0 else "",
            "original": text[o0:o1] if o1 > o0 else "",
            "quote_start": q0,
            "quote_end": q1,
            "original_start": o0,
            "original_end": o1,
            "editorial": editorial,
        }
        if note:
            entry["note"] = note
        last = differences[-1] if differences else None
        if (
            last
            and last["type"] == kind
            and not editorial
            and last["quote_end"] <= q0 + 1
            and kind in ("changed", "added", "omitted")
        ):
            last["quote_end"] = max(last["quote_end"], q1)
            last["original_end"] = max(last["original_end"], o1)
            last["original_start"] = min(last["original_start"], o0)
            last["quote"] = quote[last["quote_start"] : last["quote_end"]]
            last["original"] = text[last["original_start"] : last["original_end"]]
            return
        differences.append(entry)

    def at(j):  # offset in the original where token j starts (or the span end)
        return toks[j].start if j < len(toks) else span_end

    for number, (kind, pi, pj, i, j) in enumerate(steps):
        item = items[pi]
        if kind == "variant":
            diff("spelling", item.start, item.end, toks[pj].start, toks[pj].end, True)
        elif kind == "match" and item.bracketed and toks[pj].key != item.keys[0]:
            diff("bracket", item.start, item.end, toks[pj].start, toks[pj].end, True)
        elif kind == "change":
            diff("changed", item.start, item.end, toks[pj].start, toks[pj].end, False)
        elif kind == "add":
            # One small word the original evidently lacks ("the head the mission" quoted as
            # "the head of the mission"): the quoting source fixed a slip, an editorial change.
            # A changed number or name is never this.
            slip = fold(quote[item.start : item.end]) in SLIP_WORDS and _fixes_slip(steps, number)
            diff(
                "added", item.start, item.end, at(pj), at(pj), slip, "slip fixed" if slip else None
            )
        elif kind == "omit":
            if not toks[pj].furniture:
                omitted += 1
                q = item.start
                diff("omitted", q, q, toks[pj].start, toks[pj].end, False)
        elif kind == "bracket":
            o0, o1 = (at(pj), toks[j - 1].end) if j > pj else (at(pj), at(pj))
            inner = quote[item.start + 1 : item.end - 1].strip().lower()
            note = "sic" if inner == "sic" else ("expansion" if j == pj else "substitution")
            diff("bracket", item.start, item.end, o0, o1, True, note)
        elif kind == "ellipsis":
            o0, o1 = (at(pj), toks[j - 1].end) if j > pj else (at(pj), at(pj))
            diff("ellipsis", item.start, item.end, o0, o1, True)
        elif kind == "soft":
            last = items[i - 1]
            soft_words += i - pi
            q0 = quote.rfind("(", 0, item.start + 1)
            q1 = quote.find(")", last.end - 1) + 1 or last.end
            diff("bracket", q0, q1, at(pj), at(pj), True, "insertion")
    considered = words - soft_words
    good = matched + 0.9 * variants
    misquote_runs = sum(1 for d in differences if not d["editorial"])
    if misquote_runs > max(1, considered // 8):
        return None
    if matched + variants < max(MIN_MATCHED_WORDS, MIN_MATCHED_SHARE * considered):
        # Less than three quarters found: still this passage when the rest is one change and
        # the quote shares a long verbatim stretch with it ("... the full tender within a
        # month" for "... the full tender").
        if misquote_runs > 1 or _longest_run(steps) < MIN_VERBATIM_RUN:
            return None
    fidelity = good / (considered + omitted) if considered + omitted else 0.0
    if misquote_runs == 0:
        fidelity = max(fidelity, 0.99 if differences else 1.0)
    return Alignment(
        start=span_start,
        end=span_end,
        score=round(min(1.0, fidelity), 4),
        matched=matched + variants,
        words=considered,
        differences=differences,
    )


def _longest_run(steps) -> int:
    longest = current = 0
    for step in steps:
        current = current + 1 if step[0] in ("match", "join") else 0
        longest = max(longest, current)
    return longest


@lru_cache(maxsize=64)
def _folded(text: str) -> str:
    folded = text.casefold()
    return folded if len(folded) == len(text) else text.lower()


def find_windows(quote: str, text: str, limit: int = 3) -> list[tuple[int, int]]:
    """Stretches of ``text`` where the quote's distinctive words gather, in the same order and
    spacing as in the quote: where to run :func:`align`. Each word is looked for with one
    regular-expression scan of the text, so a long text is never split into words here."""
    items = quote_items(quote)
    word_items = [it for it in items if it.kind == "word"]
    if not word_items:
        return []
    folded_quote = _folded(quote)
    wanted: dict[str, int] = {}
    for it in word_items:
        word = folded_quote[it.start : it.end]
        if len(word) >= 3 and not it.name and not it.bracketed and key(word) not in STOP_WORDS:
            if re.fullmatch(r"\w+", word):
                wanted.setdefault(word, it.start)
    if len(wanted) < 2:
        wanted = {}
        for it in word_items:
            word = folded_quote[it.start : it.end]
            if re.fullmatch(r"\w+", word):
                wanted.setdefault(word, it.start)
    folded = _folded(text)
    needed = max(2, min(4, len(wanted) // 3))
    present = [(w, o) for w, o in list(wanted.items())[:12] if w in folded]
    if len(present) < needed:
        return []
    votes: dict[tuple[int, int], set[str]] = {}
    for word, offset in present:
        position = folded.find(word)
        while position >= 0:
            end = position + len(word)
            if (position == 0 or not folded[position - 1].isalnum()) and (
                end == len(folded) or not folded[end].isalnum()
            ):
                implied = position - offset
                for grid in (0, 1):  # two grids, half a bucket apart: no cluster is cut in two
                    bucket = (grid, (implied + 60 * grid) // 120)
                    votes.setdefault(bucket, set()).add(word)
            position = folded.find(word, end)
    if not votes:
        return []
    ellipses = sum(1 for it in items if it.kind == "ellipsis")
    brackets = sum(1 for it in items if it.kind == "bracket")
    reach = ellipses * MAX_ELLIPSIS_WORDS * 6 + brackets * MAX_BRACKET_WORDS * 8
    windows: list[tuple[int, int]] = []
    for (grid, bucket), found in sorted(votes.items(), key=lambda kv: (-len(kv[1]), kv[0])):
        if len(found) < needed or len(windows) >= limit:
            break
        anchor = bucket * 120 - 60 * grid
        start = max(0, anchor - 200 - reach)
        end = min(len(text), anchor + int(len(quote) * 1.3) + 320 + reach)
        if any(s < end and start < e for s, e in windows):
            continue
        windows.append((start, end))
    return windows


def locate(quote: str, text: str, furniture=()) -> Alignment | None:
    """The best alignment of ``quote`` anywhere in ``text``."""
    best = None
    for window in find_windows(quote, text):
        found = align(quote, text, window, furniture)
        if found and (best is None or found.score > best.score):
            best = found
    return best


def _fixes_slip(steps: list, number: int) -> bool:
    """Whether the word added at ``steps[number]`` is alone between two words matched word for
    word, as a word missing from the original is (not "for good" added, not next to a change)."""
    return 0 < number < len(steps) - 1 and all(
        steps[n][0] == "match" for n in (number - 1, number + 1)
    )
