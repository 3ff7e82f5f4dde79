"""Near-duplicates and paraphrases of claims, found through an index rather than by comparing pairs.

Every claim gets two representations:

- its **words**: case-folded, accents and page furniture removed ("TRIPOLI 00000495 002 OF 003",
  "Page 4 of 12"), a word broken across a line ("juris- diction") joined again. Word trigrams
  ("shingles") of these measure near-duplicates: a claim with a changed word or a line of page
  furniture inside still shares most of its shingles with the original.
- its **canonical terms**: content words only (stop words and reporting verbs such as "said" or
  "according to" dropped), number words read as numbers ("a dozen" -> 12, "2.4 million" ->
  2400000), common news synonyms folded together ("hurt", "injured", "wounded") and the rest
  stemmed with the Snowball English stemmer. Two claims stating the same fact in other words
  ("police said 12 officers were hurt in the clashes" and "a dozen officers were injured,
  according to police") share most of their canonical terms.

Candidates come from MinHash signatures of the canonical terms cut into bands (locality-
sensitive hashing): two claims whose term sets overlap a lot share at least one band key with
high probability, and the keys live in an indexed table (``claim_keys``; the keys are computed
in :mod:`provenance.minhash`, the only part that needs numpy). Candidates are then
verified with exact set measures by :func:`compare`. Nothing is downloaded or trained: the
synonym table below is the whole "model", written for this project.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from functools import cached_property, lru_cache

import snowballstemmer

from .compiled import core
from .text import normal_key

#: Thresholds of :func:`compare` (documented in its docstring).
NEAR_JACCARD = 0.5
NEAR_CONTAINMENT = 0.8
PARAPHRASE_DICE = 0.7
PARAPHRASE_CONTAINED = 0.85
MIN_CONTAINED_TERMS = 5
MIN_SHARED_TERMS = 3
MIN_TERMS = 3

# --- words -------------------------------------------------------------------------------

# Page furniture that can sit inside a sentence of a text layer: cable page headers
# ("TRIPOLI 00000495 002.2 OF 004"), page numbers ("Page 4 of 12", "- 4 -").
_PAGE_HEADER = r"\b[A-Z][A-Z ]{1,30}\s\d{6,8}\s+\d{3}(?:\.\d)?\s+OF\s+\d{3}\b"
_PAGE_NUMBER = r"\b[Pp]age\s+\d{1,4}(?:\s+of\s+\d{1,4})?\b|(?<!\w)-\s*\d{1,4}\s*-(?!\w)"
_FURNITURE = re.compile(f"{_PAGE_HEADER}|{_PAGE_NUMBER}")
# The header alternative tries a run of capitals at every word of capitals (most of a cable):
# it runs only where what its match must hold is found (the figures, "OF" and three more), the
# page numbers alone elsewhere, which is the same substitution where no header can match.
_HEADER_HINT = re.compile(r"\d{6}\s+\d{3}(?:\.\d)?\s+OF\s+\d{3}")
_PAGE_NUMBERS = re.compile(_PAGE_NUMBER)
_PAGE_NUMBER_HINT = re.compile(r"[Pp]age\s+\d|-\s*\d{1,4}\s*-")
_LINE_HYPHEN = re.compile(r"(\w)-[ \t]*\n[ \t]*(\w)")
_NUMBER = re.compile(r"(?<![\w.])\d{1,3}(?:,\d{3})+(?:\.\d+)?(?!\w)")
_US = re.compile(r"\bU\.\s?S\.(?:\s?A\.)?|\bUnited States(?: of America)?\b")
_WORD = re.compile(r"\d+(?:\.\d+)+|\w+(?:['’]\w+)*")


def fold(text: str) -> str:
    """Case-folded, without accents, with typographic apostrophes made plain."""
    if text.isascii():
        return text.casefold()
    text = unicodedata.normalize("NFKD", text)
    # Combining marks dropped: each distinct character asked once (a text has a few hundred),
    # not each character of a whole source.
    marks = {c: None for c in set(text) if unicodedata.combining(c)}
    if marks:
        text = text.translate(str.maketrans(marks))
    return text.casefold().replace("’", "'")


def words(text: str) -> list[str]:
    """The words of a text for comparison: folded, furniture removed, broken words rejoined."""
    if core is None:
        return _words(text)
    found = core.ascii_words(text, False)  # plain ASCII text, as most is: one pass in C
    if found is not None:
        return found
    text = _rewrite(text)
    plain = text if text.isascii() else _ascii_stand_ins(text)
    if plain is not None:  # the rewrites done: the U.S. one and the words
        return core.ascii_words(plain, True)
    return _fold_words(text)


_NON_ASCII = re.compile(r"[^\x00-\x7f]")


def _ascii_stand_ins(text: str) -> str | None:
    """``text`` with each character outside ASCII replaced by one that :func:`_fold_words`
    treats the same way (None when a character has none): the ¶ signs, curly quotes and dashes
    of text layers are what keeps most of them from the compiled core's ASCII path."""
    for char in set(_NON_ASCII.findall(text)):
        stand_in = _stand_in(char)
        if stand_in is None:
            return None
        text = text.replace(char, stand_in)  # a few characters: faster than str.translate
    return text


@lru_cache(maxsize=4096)
def _stand_in(char: str) -> str | None:
    """An ASCII character :func:`_fold_words` treats as it treats ``char``, or None. ``’`` is
    folded to ``'``. A character that no pattern of it can match (not a word character, not
    white space: only ever a separator between words) and that folding leaves as it is (no
    decomposition, not a combining mark, its own case fold) is treated as ``#`` is."""
    if char == "’":
        return "'"
    if char.isalnum() or char == "_" or char.isspace() or unicodedata.combining(char):
        return None
    if unicodedata.normalize("NFKD", char) != char or char.casefold() != char:
        return None
    return "#"


def _words(text: str) -> list[str]:
    """:func:`words` by its patterns: the pure twin of ``core.ascii_words``."""
    return _fold_words(_rewrite(text))


def _rewrite(text: str) -> str:
    """Broken words rejoined, page furniture blanked, thousands separators dropped."""
    # Each substitution only where its cheap precondition holds: most sentences need none.
    if "-" in text and "\n" in text:
        text = _LINE_HYPHEN.sub(r"\1\2", text)
    text = _strip_furniture(text)
    if "," in text:
        text = _NUMBER.sub(lambda m: m.group(0).replace(",", ""), text)
    return text


def _strip_furniture(text: str) -> str:
    """``_FURNITURE.sub(" ", text)``, trying its page-header alternative only where a header
    can match (see :data:`_HEADER_HINT`)."""
    if _HEADER_HINT.search(text):
        return _FURNITURE.sub(" ", text)
    if _PAGE_NUMBER_HINT.search(text):
        return _PAGE_NUMBERS.sub(" ", text)
    return text


def _fold_words(text: str) -> list[str]:
    """The words of a rewritten text: "U.S." and "United States" as "US", folded."""
    if "U." in text or "United States" in text:  # what _US needs
        text = _US.sub(" US ", text)
    return [w.replace("'", "") for w in _WORD.findall(fold(text))]


def shingles(tokens: Sequence[str], size: int = 3) -> set[tuple[str, ...]]:
    """Word n-grams (the words themselves when there are fewer than ``size``)."""
    if len(tokens) < size:
        return {(t,) for t in tokens}
    return set(zip(*(tokens[k:] for k in range(size)), strict=False))


# --- canonical terms ---------------------------------------------------------------------

STOP_WORDS = frozenset(
    """
    a about above after again against all am an and any are aren't as at be because been before
    being below between both but by can cannot could did do does doing down during each few for
    from further had has have having he her here hers herself him himself his how i if in into
    is it its itself just let me more most my myself nor of off on once only or other ought our
    ours ourselves out over own same she should so some such than that the their theirs them
    themselves then there these they this those through to too under until up very was we were
    what when where which while who whom why will with would you your yours yourself also
    yet still even ever per via upon amid among within without whether although though however
    thus since unless whose s t ll ve re d m o y
    about around approximately nearly almost roughly some least most more than over
    """.split()
) - {"not", "no", "nor", "against", "without"}
_STOP = STOP_WORDS
_NEGATION = frozenset(
    """
    not no never nor without none nobody nothing neither cannot cant dont doesnt didnt isnt
    arent wasnt werent wont wouldnt couldnt shouldnt hasnt havent hadnt mustnt neednt
    """.split()
)
# Reporting words: who said it is attribution, not the fact itself.
_REPORTING = frozenset(
    """
    said say says saying told tell tells telling according stated states statement added adds
    noted notes claimed claims reportedly reported reports reporting announced announces
    explained explains insisted insists acknowledged acknowledges confirmed confirms asserted
    asserts alleged alleges allegedly quoted quoting cited citing cite remarked commented
    """.split()
)
# Groups of words news writers use for one another; the first word names the group.
_SYNONYMS = """
injure: injured injuring injury injuries hurt hurting wound wounded wounding wounds harmed
kill: killed killing kills dead died die dies dying death deaths slain slay fatalities fatality perished
clash: clashes clashed fighting fights skirmish skirmishes confrontation confrontations
arrest: arrested arresting arrests detain detained detaining detention apprehended apprehend
protest: protests protested protesting protester protesters protestor protestors demonstration demonstrations demonstrator demonstrators rally rallies
increase: increased increases increasing rise rose risen rising grew grow grows growth climb climbed climbs jump jumped soared surge surged
decrease: decreased decreases decreasing decline declined declines declining fall fell fallen falling drop dropped dropping dropped shrank shrink cut cuts
begin: began begun begins beginning start started starts starting launch launched launches commence commenced
end: ended ends ending finish finished halt halted stop stopped
buy: bought buys buying purchase purchased purchases acquire acquired acquisition
build: built builds building construct constructed construction
meet: met meets meeting meetings talks
official: officials authorities authority
soldier: soldiers troops troop servicemen
leader: leaders head chief
president: presidents
large: big huge
small: little tiny
show: shows showed shown reveal reveals revealed indicate indicates indicated
plan: plans planned planning intend intends intended
refuse: refused refuses rejected reject rejects
percent: pct %
million: mn m
car: cars vehicle vehicles
people: persons individuals
"""


def _stemmer() -> snowballstemmer.stemmer:
    return snowballstemmer.stemmer("english")


@lru_cache(maxsize=200_000)
def _stem(word: str) -> str:
    return _STEMMER.stemWord(word)


_STEMMER = _stemmer()


def _synonym_table() -> dict[str, str]:
    table: dict[str, str] = {}
    for line in _SYNONYMS.strip().splitlines():
        head, _, rest = line.partition(":")
        canonical = _STEMMER.stemWord(head.strip())
        for word in [head, *rest.split()]:
            word = word.strip().rstrip("?")
            if word:
                table[word] = canonical
                table.setdefault(_STEMMER.stemWord(word), canonical)
    return table


_SYNONYM = _synonym_table()


def synonym_groups() -> dict[str, list[str]]:
    """The words of each synonym group as written, by the group's canonical term."""
    groups: dict[str, list[str]] = {}
    for line in _SYNONYMS.strip().splitlines():
        head, _, rest = line.partition(":")
        words = [w.strip() for w in [head, *rest.split()] if w.strip()]
        groups.setdefault(_SYNONYM[head.strip()], []).extend(dict.fromkeys(words))
    return groups


def stem(word: str) -> str:
    """The Snowball English stem of a folded word."""
    return _stem(word)


_UNITS = {
    "zero": 0, "one": 1, "two": 2, "three": 3, "four": 4, "five": 5, "six": 6, "seven": 7,
    "eight": 8, "nine": 9, "ten": 10, "eleven": 11, "twelve": 12, "thirteen": 13,
    "fourteen": 14, "fifteen": 15, "sixteen": 16, "seventeen": 17, "eighteen": 18,
    "nineteen": 19, "twenty": 20, "thirty": 30, "forty": 40, "fifty": 50, "sixty": 60,
    "seventy": 70, "eighty": 80, "ninety": 90, "dozen": 12,
}  # fmt: skip
_SCALES = {"hundred": 100, "thousand": 1000, "million": 1_000_000, "billion": 1_000_000_000}
_SCALES.update({"trillion": 10**12, "mn": 1_000_000, "bn": 1_000_000_000})


def _number(token: str) -> float | None:
    if token[:1].isdigit():
        # long digit strings are identifiers (serial numbers, phone numbers), not quantities
        return float(token) if len(token) <= 12 and token.replace(".", "", 1).isdigit() else None
    return _UNITS.get(token)


#: Tokens :func:`_read_numbers` must look at: number words, and "a"/"an" ("a dozen").
_NUMERIC_WORDS = frozenset(_UNITS) | {"a", "an"}


def _adds_to(current: float, unit: int) -> bool:
    if current >= 100 and current % 100 == 0:
        return unit < 100
    return current >= 20 and current % 10 == 0 and unit < 10


def _read_numbers(tokens: list[str]) -> list[str]:
    """Replace runs of number words and digits by one numeral: 'a dozen' -> '12'."""
    numeric = _NUMERIC_WORDS
    starts = [k for k, t in enumerate(tokens) if t in numeric or t[:1].isdigit()]
    if not starts:  # most sentences of a few words: nothing to read
        return list(tokens)
    out: list[str] = []
    i = 0
    for k in starts:
        if k < i:
            continue  # read already, as part of the number before it
        out += tokens[i:k]
        i = _read_number(tokens, k, out)
    out += tokens[i:]
    return out


def _read_number(tokens: list[str], i: int, out: list[str]) -> int:
    """Append the numeral of the number that may start at ``tokens[i]`` (the token itself when
    none does) to ``out``; return the index after what was read."""
    token = tokens[i]
    value = _number(token)
    if value is None and token in ("a", "an") and i + 1 < len(tokens):
        if tokens[i + 1] in ("dozen", "hundred", "thousand", "million", "billion"):
            value, token = 1.0, "1"
            if tokens[i + 1] == "dozen":
                value, i = 12.0, i + 1
    if value is None:
        out.append(token)
        return i + 1
    total, current = 0.0, value
    i += 1
    while i < len(tokens):
        nxt = tokens[i]
        if nxt in _SCALES:
            current = (current or 1) * _SCALES[nxt]
        elif nxt == "dozen":
            current = (current or 1) * 12
        elif nxt in _UNITS and _adds_to(current, _UNITS[nxt]):
            current += _UNITS[nxt]  # "twenty four", "two hundred fifty"
        elif nxt == "and" and i + 1 < len(tokens) and _number(tokens[i + 1]) is not None:
            pass
        else:
            break
        i += 1
    total += current
    out.append(f"{total:g}" if total != int(total) else str(int(total)))
    return i


def terms(text: str, tokens: list[str] | None = None) -> list[str]:
    """Canonical terms of a text, in order of first appearance (see the module docstring).
    ``tokens``: the text's :func:`words`, when already known."""
    tokens = _read_numbers(words(text) if tokens is None else tokens)
    found = dict.fromkeys(map(_TERMS.__getitem__, tokens))  # in order of first appearance
    found.pop(None, None)  # tokens that are not terms
    return list(found)


def _term(token: str) -> str | None:
    """The canonical term of one token (None: not a term)."""
    if token in _NEGATION:
        return "not"
    if token in _STOP or token in _REPORTING or len(token) < 2 and not token.isdigit():
        return None
    if token in ("per", "cent"):
        return None
    term = _SYNONYM.get(token)
    if term is None:
        term = token if token[0].isdigit() else _stem(token)
        term = _SYNONYM.get(term, term)
    return term


class _TermCache(dict):
    """:func:`_term` by token, remembered (a token's term depends on the token alone)."""

    LIMIT = 200_000

    def __missing__(self, token: str) -> str | None:
        term = _term(token)
        if len(self) < self.LIMIT:
            self[token] = term
        return term


_TERMS = _TermCache()


def numbers(term_list: Iterable[str]) -> frozenset[str]:
    return frozenset(t for t in term_list if t[:1].isdigit())


# --- features and comparison -------------------------------------------------------------


@dataclass
class Features:
    """What :func:`compare` needs about one text (kept small: many are cached)."""

    key: str
    words: tuple[str, ...]
    terms: frozenset[str]
    numbers: frozenset[str] = field(default_factory=frozenset)

    @cached_property
    def shingles(self) -> set[tuple[str, ...]]:
        """Computed once per object, on first comparison (workers never need them)."""
        return shingles(self.words)


def features(text: str, key: str | None = None) -> Features:
    """The words and canonical terms of a text (``key``: its normalised key)."""
    tokens = words(text)
    term_list = terms(text, tokens)
    return Features(
        key=key if key is not None else normal_key(text),
        words=tuple(tokens),
        terms=frozenset(term_list),
        numbers=numbers(term_list),
    )


@dataclass
class Match:
    relation: str  # same | near | paraphrase
    score: float
    details: dict


def compare(a: Features, b: Features) -> Match | None:
    """Whether two texts state the same claim, and how closely.

    - ``same``: the same normalised text (score 1).
    - ``near``: word-trigram Jaccard >= 0.5, or >= 0.8 of the smaller text's trigrams inside the
      larger (a sentence quoted inside a longer one, or with a line of furniture inside);
      score = the larger of Jaccard and 0.95 x containment.
    - ``paraphrase``: canonical-term Dice >= 0.7 with at least three terms shared and no
      number on one side contradicted by a different number on the other; score = 0.9 x Dice.
      Or: at least five terms shared, a figure among them, and >= 0.85 of the smaller set
      inside the larger (one claim states the other's figure and more); score = 0.8 x that
      share. Without a shared figure, containment mostly finds sentences about the same
      people rather than the same fact.

    ``details`` names the words found on only one side, so a changed figure shows; a near-
    duplicate whose figures contradict the other's ("12 officers" / "15 officers") carries
    ``conflict``: it is the same sentence, but not the same claim.
    """
    if a.key and a.key == b.key:
        return Match("same", 1.0, {})
    details: dict = {}
    conflict = bool((a.numbers - b.numbers) and (b.numbers - a.numbers))
    if conflict:
        details["conflict"] = {
            "here": sorted(a.numbers - b.numbers),
            "there": sorted(b.numbers - a.numbers),
        }
    a_shingles, b_shingles = a.shingles, b.shingles
    shared = len(a_shingles & b_shingles)
    if shared:
        union = len(a_shingles | b_shingles)
        jaccard = shared / union
        smaller = min(len(a_shingles), len(b_shingles))
        containment = shared / smaller if smaller >= 4 else 0.0
        if jaccard >= NEAR_JACCARD or containment >= NEAR_CONTAINMENT:
            score = max(jaccard, 0.95 * containment)
            details.update(_one_side_only(a, b))
            details.update(jaccard=round(jaccard, 3), containment=round(containment, 3))
            return Match("near", round(score, 4), details)
    common = a.terms & b.terms
    if len(common) < MIN_SHARED_TERMS or len(a.terms) < MIN_TERMS or len(b.terms) < MIN_TERMS:
        return None
    if conflict:
        return None  # "12 officers" and "15 officers" are different claims
    if ("not" in a.terms) != ("not" in b.terms):
        return None
    dice = 2 * len(common) / (len(a.terms) + len(b.terms))
    inside = len(common) / min(len(a.terms), len(b.terms))
    if dice >= PARAPHRASE_DICE:
        details.update(_one_side_only(a, b))
        details.update(dice=round(dice, 3), shared_terms=sorted(common)[:20])
        return Match("paraphrase", round(0.9 * dice, 4), details)
    if len(common) >= MIN_CONTAINED_TERMS and inside >= PARAPHRASE_CONTAINED and numbers(common):
        # "A report found that smugglers moved 300 tonnes through Varno in 2008" states
        # "Smugglers moved 300 tonnes through the port of Varno in 2008" and more.
        details.update(_one_side_only(a, b))
        details.update(contained=round(inside, 3), shared_terms=sorted(common)[:20])
        return Match("paraphrase", round(0.8 * inside, 4), details)
    return None


def _one_side_only(a: Features, b: Features) -> dict:
    here, there = set(a.words), set(b.words)
    only_a = [w for w in dict.fromkeys(a.words) if w not in there]
    only_b = [w for w in dict.fromkeys(b.words) if w not in here]
    return {"only_here": only_a[:12], "only_there": only_b[:12]} if only_a or only_b else {}
