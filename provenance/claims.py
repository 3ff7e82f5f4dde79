"""Check-worthy claim detection: score sentences as factual claims, and name their kind.

The scorer is a logistic regression over word (1–2) and character (2–5, inside word bounds)
n-gram TF-IDF features, trained on ClaimBuster by ``scripts/train_claims.py``. Its weights ship
as plain arrays (``provenance/models/claims.npz``, vocabulary + idf + coefficients) with a card
(``claims.json``: data, version, measured accuracy), and inference is numpy over a whole batch
of sentences, so no pickled scikit-learn object is ever loaded.

A third block, when the model has one, is a table of one score per word (``vec_words``,
``vec_scores``): the regression's weights on the mean of the sentence's word vectors, folded
into each word's vector beforehand, so that at run time the block is the mean of the scores of
the sentence's words that are in the table (a dot product is linear in the mean). The word
vectors are the accurate mode's sentence encoder applied to each word alone; they are used by
the training script only, and no vector ships. A fourth (``shape_coef``) weighs three numbers
of each sentence that the normalised TF-IDF rows lose: its length and its figures
(:func:`shape_features`).

A few documented rules then lower what the debate-trained model has never seen: page
boilerplate ("Subscribe to our newsletter"), questions (headings such as "What happens next?")
and text too short to assert anything.
"""

from __future__ import annotations

import json
import math
import re
from array import array
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass
from functools import cache, cached_property
from importlib import resources
from pathlib import Path
from typing import Any

import numpy as np

from .compiled import core
from .text import sentence_spans

MODEL_FILE = "claims.npz"
CARD_FILE = "claims.json"

# --- the model ----------------------------------------------------------------------------

_WORD = re.compile(r"(?u)\b\w+\b|[?!%$]")


def word_ngrams(sentence: str) -> list[str]:
    """Lower-cased word unigrams and bigrams (the model's word features)."""
    tokens = _WORD.findall(sentence.lower())
    return tokens + [f"{a} {b}" for a, b in zip(tokens, tokens[1:], strict=False)]


def char_ngrams(word: str, low: int = 2, high: int = 5) -> list[str]:
    """Character n-grams of one word padded with spaces, as scikit-learn's ``char_wb``."""
    padded = f" {word} "
    size = len(padded)
    grams: list[str] = []
    for n in range(low, high + 1):
        if size <= n:  # the word is shorter than n: itself once, no longer n-grams either
            grams.append(padded)
            break
        grams += [padded[i : i + n] for i in range(size - n + 1)]
    return grams


#: Vocabularies ship as their entries' UTF-8 joined by newlines, under the array's name with
#: this suffix (:func:`pack_vocabularies`): numpy's fixed-width unicode arrays are four bytes
#: a character padded to the longest entry (7.9 MB for the word vocabulary), inflated and
#: converted at every process's start.
PACKED = "_utf8"


def pack_vocabularies(arrays: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
    """The model's arrays as they are saved: each unicode array (a vocabulary) as the UTF-8 of
    its entries joined by newlines, under its name + :data:`PACKED`."""
    out = {}
    for name, values in arrays.items():
        if values.dtype.kind != "U":
            out[name] = values
            continue
        entries = values.tolist()
        if any("\n" in entry for entry in entries):
            raise ValueError(f"{name}: an entry holds a newline")
        out[name + PACKED] = np.frombuffer("\n".join(entries).encode("utf-8"), dtype=np.uint8)
    return out


def _vocabulary_text(arrays: dict[str, np.ndarray], name: str) -> str:
    """A vocabulary's entries joined by newlines, packed (:func:`pack_vocabularies`) or as a
    unicode array (KeyError when the model has neither)."""
    packed = arrays.get(name + PACKED)
    if packed is not None:
        return packed.tobytes().decode("utf-8")
    entries = arrays[name].tolist()
    if any("\n" in entry for entry in entries):
        raise ValueError(f"{name}: an entry holds a newline")
    return "\n".join(entries)


def _entries(text: str) -> list[str]:
    return text.split("\n") if text else []


def _index(vocab: list[str]) -> dict[str, int]:
    """Each entry of a vocabulary → its position."""
    return dict(zip(vocab, range(len(vocab)), strict=True))


#: What :func:`shape_features` counts: words (runs of word characters) and digits.
_SHAPE_WORD = re.compile(r"\w+")
_DIGIT = re.compile(r"\d")


def shape_features(sentences: Sequence[str]) -> np.ndarray:
    """Per sentence, what the TF-IDF blocks (each row scaled to length one) cannot tell: how
    long it is (the log of one plus its words), whether it holds a figure, and how many digits
    (ten or more count as one). The scorer's fourth block, when the model has one."""
    if core is not None:
        counts = np.frombuffer(core.shape_counts(sentences), dtype=np.int32)
        words, figures = counts[0::2].tolist(), counts[1::2].tolist()
    else:
        words = [len(_SHAPE_WORD.findall(sentence)) for sentence in sentences]
        figures = [len(_DIGIT.findall(sentence)) for sentence in sentences]
    rows = [
        (math.log1p(count), float(digits > 0), min(digits, 10) / 10)
        for count, digits in zip(words, figures, strict=True)
    ]
    return np.array(rows, dtype=np.float64).reshape(len(rows), 3)


class ClaimModel:
    """The exported logistic regression, scoring batches of sentences with numpy."""

    def __init__(self, arrays: dict[str, np.ndarray], card: dict[str, Any]) -> None:
        self.card = card
        self.version: str = card["version"]
        self.threshold: float = float(card["threshold"])
        # The vocabularies as text: the compiled core builds its tables from them, the
        # pure-Python path its dicts (:attr:`_words`, :attr:`_chars`, :attr:`_vec`), each once.
        has_vec = "vec_words" in arrays or "vec_words" + PACKED in arrays
        self._texts: dict[str, str | None] = {
            "words": _vocabulary_text(arrays, "word_vocab"),
            "chars": _vocabulary_text(arrays, "char_vocab"),
            "vec": _vocabulary_text(arrays, "vec_words") if has_vec else None,
        }
        self._tables: tuple | None = None
        self._word_idf = arrays["word_idf"].astype(np.float64)
        self._char_idf = arrays["char_idf"].astype(np.float64)
        self._word_coef = arrays["word_coef"].astype(np.float64)
        self._char_coef = arrays["char_coef"].astype(np.float64)
        self._intercept = float(arrays["intercept"])
        self._char_cache: dict[str, array] = {}
        if has_vec:
            self._vec_scores = arrays["vec_scores"].astype(np.float64)
        shape = arrays.get("shape_coef")
        self._shape: np.ndarray | None = None if shape is None else shape.astype(np.float64)

    @cached_property
    def _words(self) -> dict[str, int]:
        return _index(_entries(self._texts["words"] or ""))

    @cached_property
    def _chars(self) -> dict[str, int]:
        return _index(_entries(self._texts["chars"] or ""))

    @cached_property
    def _vec(self) -> dict[str, int] | None:
        text = self._texts["vec"]
        return None if text is None else _index(_entries(text))

    @classmethod
    def load(cls, directory: str | Path | None = None) -> ClaimModel:
        """The shipped model, or the one in ``directory``."""
        base = Path(directory) if directory else resources.files("provenance") / "models"
        with (base / MODEL_FILE).open("rb") as fh:
            arrays = dict(np.load(fh, allow_pickle=False))
        card = json.loads((base / CARD_FILE).read_text(encoding="utf-8"))
        return cls(arrays, card)

    def _char_ids(self, word: str) -> array:
        get = self._chars.get
        ids = array("i", [k for k in map(get, char_ngrams(word)) if k is not None])
        if len(self._char_cache) > self.CHAR_CACHE:
            self._char_cache.clear()
        self._char_cache[word] = ids
        return ids

    @staticmethod
    def _tfidf_dot(
        ends: array, cols: array, n: int, idf: np.ndarray, coef: np.ndarray
    ) -> np.ndarray:
        """Per row: (L2-normalised sublinear TF-IDF vector) · coef.

        ``cols`` holds the feature ids of every row in turn; ``ends[i]`` is where row i's end.
        """
        if not cols:
            return np.zeros(n)
        size = len(idf)
        dtype = np.int32 if n * size < 2**31 else np.int64
        lengths = np.diff(np.frombuffer(ends, dtype=np.int32), prepend=0)
        keys = np.repeat(np.arange(n, dtype=dtype) * size, lengths)
        keys += np.frombuffer(cols, dtype=np.int32)
        keys.sort()
        # Runs of equal keys: the count of one feature in one sentence.
        starts = np.flatnonzero(np.concatenate(([True], keys[1:] != keys[:-1])))
        counts = np.diff(np.append(starts, len(keys)))
        row, col = np.divmod(keys[starts], size)
        value = (np.log(counts) + 1.0) * idf[col]
        norm = np.sqrt(np.bincount(row, weights=value * value, minlength=n))
        dot = np.bincount(row, weights=value * coef[col], minlength=n)
        return np.divide(dot, norm, out=np.zeros(n), where=norm > 0)

    #: Words whose character n-gram ids are kept (the cache starts afresh past it).
    CHAR_CACHE = 200_000

    def _rows(self, sentences: Sequence[str]) -> tuple:
        """The feature ids of each sentence: (word ends, word ids, char ends, char ids, vector
        ends, vector ids), each an int32 buffer; ``ends[i]`` is where sentence i's ids end."""
        if core is not None:
            if self._tables is None:
                vec = self._texts["vec"]
                self._tables = (
                    core.vocabulary(self._texts["words"]),
                    core.vocabulary(self._texts["chars"]),
                    None if vec is None else core.vocabulary(vec),
                )
            return core.scorer_ids(sentences, *self._tables)
        get_word = self._words.get
        char_cache = self._char_cache
        char_ids = self._char_ids
        get_vec = self._vec.get if self._vec is not None else None
        findall = _WORD.findall
        w_cols, w_ends = array("i"), array("i")
        c_cols, c_ends = array("i"), array("i")
        v_cols, v_ends = array("i"), array("i")
        for sentence in sentences:
            lowered = sentence.lower()
            tokens = findall(lowered)
            grams = tokens + [f"{a} {b}" for a, b in zip(tokens, tokens[1:], strict=False)]
            w_cols.extend([k for k in map(get_word, grams) if k is not None])
            w_ends.append(len(w_cols))
            if get_vec is not None:
                v_cols.extend([k for k in map(get_vec, tokens) if k is not None])
                v_ends.append(len(v_cols))
            for word in lowered.split():
                ids = char_cache.get(word)
                c_cols.extend(ids if ids is not None else char_ids(word))
            c_ends.append(len(c_cols))
        return w_ends, w_cols, c_ends, c_cols, v_ends, v_cols

    def decision(self, sentences: Sequence[str]) -> np.ndarray:
        """The model's log-odds for each sentence."""
        w_ends, w_cols, c_ends, c_cols, v_ends, v_cols = self._rows(sentences)
        n = len(sentences)
        decision = (
            self._tfidf_dot(w_ends, w_cols, n, self._word_idf, self._word_coef)
            + self._tfidf_dot(c_ends, c_cols, n, self._char_idf, self._char_coef)
            + self._intercept
        )
        if self._texts["vec"] is not None and v_cols:
            decision += self._mean_word_score(v_ends, v_cols, n)
        if self._shape is not None and n:
            decision += shape_features(sentences) @ self._shape
        return decision

    def _mean_word_score(self, ends: array, cols: array, n: int) -> np.ndarray:
        """Per row: the mean score of the row's words that the word table has (0 for none)."""
        lengths = np.diff(np.frombuffer(ends, dtype=np.int32), prepend=0)
        rows = np.repeat(np.arange(n), lengths)
        total = np.bincount(
            rows, weights=self._vec_scores[np.frombuffer(cols, dtype=np.int32)], minlength=n
        )
        return np.divide(total, lengths, out=np.zeros(n), where=lengths > 0)

    def probabilities(self, sentences: Sequence[str]) -> np.ndarray:
        """The model's probability that each sentence is a check-worthy claim."""
        return 1.0 / (1.0 + np.exp(-self.decision(sentences)))


@cache
def model() -> ClaimModel:
    """The shipped model, loaded once per process."""
    return ClaimModel.load()


def __getattr__(name: str) -> Any:
    # MODEL_VERSION and THRESHOLD come from the shipped model's card, read on first use.
    if name == "MODEL_VERSION":
        return model().version
    if name == "THRESHOLD":
        return model().threshold
    raise AttributeError(name)


# --- rules for what the debates never showed the model -------------------------------------

_BOILERPLATE = re.compile(
    r"\b(?:cookies?|subscribe|newsletter|sign up|log ?in|click here|share (?:this|on)|"
    r"follow us|all rights reserved|read more|advertisement|terms of (?:use|service)|"
    r"privacy policy|related articles?|comments? \(\d+\)|\d+ comments|copyright)\b|©",
    re.I,
)
#: Telegram furniture that a cable's header detection can leave in the text layer: routing
#: codes ("LOG-00 NP-00 AID-00"), E.O. and TAGS lines, classification authority, a date-time
#: group, the embassy's "Visit ... Classified Website" (or "Web Site") line. True sentences,
#: never claims.
_TELEGRAM_FURNITURE = re.compile(
    r"(?:\b[A-Z]{2,6}-0\d\b[\s,]+){3}|\bE\.\s?O\.\s?1[23]\d{3}\b|\bTAGS:|"
    r"\b\d{6}Z\s+[A-Z]{3}\s+\d{2}\b|"
    r"(?i:\bClassified\s+by\b.{0,160}?\breasons?\s+1\.\d|\bClassified\s+Web\s?site\b|"
    # a cable's clearance line: "This cable was coordinated with Embassy Brasilia."
    r"\bThis\s+(?:cable|message|telegram)\s+(?:was|has\s+been)\s+"
    r"(?:cleared|coordinated|(?:co-?)?drafted|prepared)\b)"
)
#: Page furniture of news sites and blogs that states a date and nothing else: a post's
#: dateline ("Posted on April 29, 2022") or the signature line of an embedded tweet.
_DATELINE = re.compile(
    r"^\W*(?:(?:posted|published|updated|last updated|first published)(?:\s+(?:on|at))?\s+"
    r"\S+(?:\s+\S+){0,6}|.{0,60}\(@\w{1,15}\)\s+\S+(?:\s+\S+){0,2})\W*$",
    re.I | re.S,
)
#: A word of two letters or more (numbers and symbols alone are chart axes, tables, counters).
_LETTERS = re.compile(r"[^\W\d_]{2}")
_QUESTION = re.compile(r"\?[\"'’”»)\]]*$")
_WORDS = re.compile(r"\w+")


#: Literals without which :data:`_BOILERPLATE` cannot match a sentence of ASCII characters,
#: lower-cased (for ASCII text re.IGNORECASE is exactly lower-casing; "©" is not ASCII).
_BOILERPLATE_NEEDS = (
    "cookie", "subscribe", "newsletter", "sign up", "log", "click here", "share ", "follow us",
    "all rights reserved", "read more", "advertisement", "terms of ", "privacy policy",
    "related article", "comment", "copyright",
)  # fmt: skip
#: The same for :data:`_TELEGRAM_FURNITURE`: routing codes have "-0", the E.O. line "E.", the
#: tags line "TAGS:", a date-time group "Z"; lower-cased, the classification lines have
#: "classified" and the clearance line "this cable", "this message" or "this telegram".
_TELEGRAM_NEEDS = ("-0", "E.", "TAGS:", "Z")
_TELEGRAM_NEEDS_LOWER = ("classified", "this cable", "this message", "this telegram")


def _furniture(sentence: str) -> bool:
    """Whether the boilerplate or telegram pattern finds something in the sentence. The
    patterns are searched only where a literal each needs is present (for ASCII sentences,
    most of a corpus; any other is searched): the same answer, for a fraction of the time."""
    if sentence.isascii():
        low = sentence.lower()
        boilerplate = any(literal in low for literal in _BOILERPLATE_NEEDS)
        telegram = any(literal in low for literal in _TELEGRAM_NEEDS_LOWER) or any(
            literal in sentence for literal in _TELEGRAM_NEEDS
        )
    else:
        boilerplate = telegram = True
    return bool(
        (boilerplate and _BOILERPLATE.search(sentence))
        or (telegram and _TELEGRAM_FURNITURE.search(sentence))
    )


def _every_pattern(sentence: str) -> bool:
    return bool(_BOILERPLATE.search(sentence) or _TELEGRAM_FURNITURE.search(sentence))


def rule_factor(sentence: str, furniture: Callable[[str], bool] = _furniture) -> float:
    """How much the rules lower a sentence's score (1.0: not at all). ``furniture``: how the
    boilerplate and telegram patterns are asked (see :func:`rule_factor_by_the_patterns`)."""
    factor = 1.0
    if furniture(sentence) or _DATELINE.match(sentence) or not _LETTERS.search(sentence):
        factor *= 0.1
    if _QUESTION.search(sentence.rstrip()):
        factor *= 0.5
    words = 0
    for _ in _WORDS.finditer(sentence):  # fewer than four words is all that is asked
        words += 1
        if words == 4:
            break
    if words < 4:
        factor *= 0.3
    return factor


def rule_factor_by_the_patterns(sentence: str) -> float:
    """:func:`rule_factor` with both patterns searched in every sentence: the reference its
    literal checks must agree with (tests, ``benchmarks/analysis_speed.py``)."""
    return rule_factor(sentence, _every_pattern)


def score_sentences(sentences: Sequence[str], scorer: ClaimModel | None = None) -> list[float]:
    """Check-worthiness of each sentence, between 0 and 1, scored as one batch."""
    if not sentences:
        return []
    probabilities = (scorer or model()).probabilities(sentences)
    return [float(p) * rule_factor(s) for p, s in zip(probabilities, sentences, strict=True)]


def is_claim(score: float, scorer: ClaimModel | None = None) -> bool:
    return score >= (scorer or model()).threshold


# --- scoring text that is not stored ------------------------------------------------------


@dataclass
class ScoredSentence:
    """One sentence of a scored text: the contract of ``provenance score --json``."""

    text: str
    start: int
    end: int
    score: float
    is_claim: bool

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


_LINE = re.compile(r"[^\n]+")


def sentence_spans_of(text: str, lines: bool = False) -> list[tuple[int, int]]:
    """The sentences of a text (or, with ``lines``, its non-blank lines, stripped)."""
    if not lines:
        return sentence_spans(text)
    spans = []
    for match in _LINE.finditer(text):
        start, end = match.span()
        while start < end and text[start].isspace():
            start += 1
        while end > start and text[end - 1].isspace():
            end -= 1
        if end > start:
            spans.append((start, end))
    return spans


def score_text(
    text: str, lines: bool = False, scorer: ClaimModel | None = None
) -> list[ScoredSentence]:
    """Cut a text into sentences (or lines) and score each; offsets index ``text`` as given."""
    scorer = scorer or model()
    spans = sentence_spans_of(text, lines)
    sentences = [text[a:b] for a, b in spans]
    scores = score_sentences(sentences, scorer)
    return [
        ScoredSentence(s, a, b, round(p, 4), p >= scorer.threshold)
        for (a, b), s, p in zip(spans, sentences, scores, strict=True)
    ]


# --- kinds --------------------------------------------------------------------------------

_STATISTIC = re.compile(
    r"\d[\d,.]*\s*(?:%|percent|per cent|million|billion|trillion|thousand)|"
    r"[$£€¥]\s?\d|\b\d{1,3}(?:,\d{3})+\b|\b\d+(?:\.\d+)?\s*(?:km|kilometres|kilometers|miles|"
    r"metres|meters|feet|kg|kilograms|tons|tonnes|litres|liters|barrels|hectares|acres|degrees|"
    r"dinar|dollars|euros|pounds|crowns|people|deaths|cases|officers|troops|farms|votes|jobs)\b",
    re.I,
)
_PAST = re.compile(r"\b\w{3,}ed\b|\b(?:was|were|had|did|began|took|went|met|made|sent|held)\b")
_DATE = re.compile(
    r"\b(?:January|February|March|April|May|June|July|August|September|October|November|"
    r"December|Monday|Tuesday|Wednesday|Thursday|Friday|Saturday|Sunday|(?:19|20)\d\d)\b"
)
_QUOTED = re.compile(r"[\"“][^\"”]{12,}[\"”]")

#: The kinds a reader can filter claims on.
KINDS = ("statistic", "quotation", "attributed", "event", "statement")


#: A count of something: a number (not a year) followed by the lowercase noun it counts
#: ("150 residents", "3.2 metres", "12 officers").
_COUNT = re.compile(
    r"\b(?!(?:1[6-9]|20)\d\d\b)\d[\d,.]*\s+"
    r"(?!(?:and|or|to|the|a|an|in|on|at|of|by|for|from|with|is|was|were|are)\b)[a-z]{3,}"
)


def states_figure(sentence: str) -> bool:
    """Whether a sentence states a figure: an amount with its unit ("3.2 metres", "40
    percent", "$5") or a count ("150 residents")."""
    return _STATISTIC.search(sentence) is not None or _COUNT.search(sentence) is not None


def claim_kind(sentence: str, attributed: bool, quoted: bool | None = None) -> str:
    """statistic (numbers with units), quotation (holds a direct quote), attributed (a
    statement the source attributes to someone), event (dated or in the past), statement."""
    if _STATISTIC.search(sentence):
        return "statistic"
    if quoted if quoted is not None else _QUOTED.search(sentence):
        return "quotation"
    if attributed:
        return "attributed"
    if _DATE.search(sentence) or _PAST.search(sentence):
        return "event"
    return "statement"
