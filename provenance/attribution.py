"""Attribution: who a source says said something (cue, source mention, content) and quotations.

A linear-chain CRF (python-crfsuite) tags every token of a paragraph as part of a source
mention, a cue or a content span, trained on PolNeAR (``scripts/train_attribution.py``; the
model and its card ship in ``provenance/models``). Tagged segments are then grouped into
attributions around their cue, and the source mentions are resolved to agents: pronouns to
the last named source before them, surnames to the full name used earlier in the text, titles
and determiners dropped, so that the same agent is one row across sources.

Quotations are found by their marks (straight and curly, nested single quotes, quotes left open
at the end of a paragraph) and take the speaker of the attribution whose content holds them.

All spans are Python code-point offsets into the text layer.
"""

from __future__ import annotations

import bisect
import json
import re
import struct
from dataclasses import dataclass, field
from functools import cache
from importlib import resources
from pathlib import Path
from typing import Any

import numpy as np

from .agents import (
    MARKING_AT,
    NAME,
    PERSONAL_PRONOUNS,
    PRONOUNS,
    agent_kind,
    agent_name,
)
from .compiled import core
from .text import paragraph_spans

#: Recorded on every attribution and quote row (``attributions.method``): the tagger's version.
METHOD = "crf-polnear-3"
#: The same with the accurate mode's tagger (``find_attributions(accurate=True)``); the card
#: ``provenance/models/attribution-accurate.json`` says the same.
ACCURATE_METHOD = "attribution-minilm-ft-3"
MODEL_FILE = "attribution.crfsuite"
CARD_FILE = "attribution.json"
CLUSTERS_FILE = "word_clusters.json"

# --- tokens -------------------------------------------------------------------------------

_TITLES = (
    "Mr|Mrs|Ms|Dr|Sen|Sens|Rep|Reps|Gov|Gen|Lt|Col|Maj|Capt|Sgt|Adm|Cmdr|Rev|Prof|St|Jr|Sr|"
    "Ft|Mt|No|Jan|Feb|Mar|Apr|Aug|Sept|Sep|Oct|Nov|Dec|Corp|Inc|Co|Ltd|Bros|vs|etc|Ariz|Calif|"
    "Fla|Ill|Mass|Mich|Minn|Wis|Tenn|Tex|Va|Ky|Pa|Md|Conn|Colo|Nev|Ore|Okla|Ala|Ga|La|Wash"
)
#: Tokens: dotted abbreviations, titles with their full stop, words (hyphens inside), clitics
#: ("’s", "n’t" splits as "n" + "’t"), and any other single character.
TOKEN = re.compile(
    rf"(?:[A-Za-z]\.){{2,}}|(?:{_TITLES})\.(?=\s)|\d+(?:[.,:]\d+)+|\w+(?:-\w+)*|"
    r"['’](?:s|ll|re|ve|d|m|t)\b|\S"
)

ROLES = {"Source": "S", "Cue": "C", "Content": "Q"}
_OPEN_QUOTES = frozenset("“«")
_CLOSE_QUOTES = frozenset("”»")
_SENTENCE_END = frozenset(".!?")


_TITLE_SET = frozenset(_TITLES.split("|"))


def tokenize(text: str, start: int = 0, end: int | None = None) -> list[tuple[int, int]]:
    """Token spans of ``text[start:end]``: :data:`TOKEN`'s matches (scanned by the compiled
    core when it is there, a tenth of the time)."""
    end = len(text) if end is None else end
    if core is not None:
        return core.tokens(text, start, end, _TITLE_SET)
    return _token_spans(text, start, end)


def _token_spans(text: str, start: int, end: int) -> list[tuple[int, int]]:
    """The pure twin of ``core.tokens``: the regular expression itself."""
    return [m.span() for m in TOKEN.finditer(text, start, end)]


# --- the model ----------------------------------------------------------------------------


_model_dir: Path | None = None  # None: the models shipped in the package


def use_models(directory: str | Path | None) -> None:
    """Read the tagger, its card and the word clusters from ``directory`` when they are there
    (a freshly trained model), else from the package; None goes back to the shipped ones."""
    global _model_dir
    _model_dir = None if directory is None else Path(directory)
    for fn in (
        word_clusters,
        model_card,
        _lexicon,
        _known_attributes,
        _attribute_names,
        _tagger,
        _load_tagger,
        _fast_tagger,
    ):
        fn.cache_clear()
    _WORDS.clear()
    _TAGGING_WORDS.clear()


def _resource(name: str) -> Any:
    if _model_dir is not None and (_model_dir / name).exists():
        return _model_dir / name
    return resources.files("provenance").joinpath("models", name)


class WordClusters:
    """Word → (64-, 256-, 1024-way cluster) by :meth:`get`: each tuple is made when its word
    is looked up (once per distinct word: the word's record is cached), not all 39,528 of
    them each time a process loads the table."""

    def __init__(self, vocab: list[str], columns: list[list[int]]) -> None:
        if any(len(column) != len(vocab) for column in columns):
            raise ValueError("word clusters: a column of the wrong length")
        self._index = dict(zip(vocab, range(len(vocab)), strict=True))
        self._columns = columns

    def get(self, word: str) -> tuple[int, ...] | None:
        i = self._index.get(word)
        return None if i is None else tuple(column[i] for column in self._columns)

    def __len__(self) -> int:
        return len(self._index)


@cache
def word_clusters() -> WordClusters:
    """The word clusters learned by ``scripts/build_word_clusters.py``."""
    data = json.loads(_resource(CLUSTERS_FILE).read_text(encoding="utf-8"))
    return WordClusters(data["vocab"], [data["clusters"][str(k)] for k in data["sizes"]])


@cache
def model_card() -> dict[str, Any]:
    """What the shipped tagger was trained on and how (data and its SHA-256, parameters)."""
    return json.loads(_resource(CARD_FILE).read_text(encoding="utf-8"))


@cache
def _lexicon() -> frozenset[str]:
    return frozenset(model_card()["cue_lexicon"])


@cache
def _tagger():
    return _load_tagger()[0]


@cache
def _load_tagger() -> tuple[Any, bytes]:
    import pycrfsuite

    # crfsuite reads the model in place: the bytes must live as long as the tagger.
    data = _resource(MODEL_FILE).read_bytes()
    bias = model_card().get("decoding_bias")
    if bias:
        data = with_decoding_bias(data, bias)
    tagger = pycrfsuite.Tagger()
    tagger.open_inmemory(data)
    return tagger, data


_FEATURE = np.dtype([("type", "<u4"), ("src", "<u4"), ("dst", "<u4"), ("weight", "<f8")])


def _feature_chunk(model: bytes | bytearray) -> tuple[int, int]:
    """Offset and count of a crfsuite CRF1d model's features (see ``_read_weights``)."""
    if model[:4] != b"lCRF" or model[8:12] != b"FOMC":
        raise ValueError("not a crfsuite CRF1d model")
    (offset,) = struct.unpack_from("<I", model, 28)
    if model[offset : offset + 4] != b"FEAT":
        raise ValueError("crfsuite model without a feature chunk")
    (count,) = struct.unpack_from("<I", model, offset + 8)
    return offset + 12, count


def with_decoding_bias(model: bytes, bias: dict[str, float]) -> bytes:
    """The model's bytes with ``bias[label]`` added to the weight of every transition into
    ``label`` (the card's ``decoding_bias``): that label scores ``bias`` more on every token
    but a paragraph's first, so Viterbi opens more (``B-``) or continues more (``I-``) spans
    of its role, or fewer where the bias is negative.

    Written into the weights, not added at decoding, so that python-crfsuite and the array
    tagger read one model and give the same labels. Chosen by cross-validation on PolNeAR
    train (``benchmarks/attribution_decoding.py --crf``).
    """
    names = _read_dictionary(model, 32)  # the label dictionary: header field nine
    unknown = set(bias) - set(names)
    if unknown:
        raise ValueError(f"decoding_bias names labels the tagger lacks: {sorted(unknown)}")
    data = bytearray(model)
    offset, count = _feature_chunk(data)
    features = np.frombuffer(data, dtype=_FEATURE, count=count, offset=offset)
    for label, value in bias.items():
        into = (features["type"] == 1) & (features["dst"] == names.index(label))
        if into.sum() != len(names):
            raise ValueError(f"the model lacks some transitions into {label}")
        features["weight"][into] += float(value)
    return bytes(data)


def load_models() -> None:
    """Load the tagger, the features it knows and the word clusters now, not on first use
    (a batch does it before its workers start, so that they share one copy)."""
    word_clusters()
    _known_attributes()
    _fast_tagger()  # its weight tables: a worker replaced mid-batch need not build them again


def _shape(word: str) -> str:
    if core is not None:
        return core.shape(word)
    out = []
    for ch in word:
        c = "X" if ch.isupper() else "x" if ch.islower() else "d" if ch.isdigit() else ch
        if len(out) < 2 or out[-1] != c or out[-2] != c:
            out.append(c)
    return "".join(out)[:5]


def _key(word: str) -> str:
    return word.lower().replace("’", "'")


def _word_features(word: str, key: str, cluster: tuple[int, int, int] | None) -> tuple[str, ...]:
    features = ["w=" + key, "s3=" + key[-3:], "sh=" + _shape(word)]
    if word[:1].isupper():
        features.append("T")
    if key in _lexicon():
        features.append("LEX")
    if cluster:
        features += [f"k64={cluster[0]}", f"k256={cluster[1]}", f"k1k={cluster[2]}"]
    return tuple(features)


def _context_features(
    word: str, key: str, cluster: tuple[int, int, int] | None, offset: int
) -> tuple[str, ...]:
    """Features of a word seen from the token ``offset`` places away from it."""
    features = [f"{offset}={key}"]
    if cluster:
        features.append(f"{offset}k256={cluster[1]}")
    if offset in (-1, 1):
        features.append(f"{offset}sh={_shape(word)}")
        if cluster:
            features.append(f"{offset}k64={cluster[0]}")
        if key in _lexicon():
            features.append(f"{offset}LEX")
    return tuple(features)


#: word → (key, its own features, its features seen from 2 and 1 tokens after it, from 1 and 2
#: tokens before it, whether it is a reporting word): computed once per distinct word.
_WORDS: dict[str, tuple] = {}
#: The same records for tagging, holding only the features the shipped model has weights for.
_TAGGING_WORDS: dict[str, tuple] = {}
#: What a token at the edge of a paragraph sees where a neighbour would be (the "word" two
#: before, one before, one after, two after the paragraph): one feature each.
_EDGES = ("-2=<>", "-1=<>", "1=<>", "2=<>")
#: Prefixes of the features of the word pair before a token and the pair after it.
_PAIR_BEFORE, _PAIR_AFTER = "b-=", "b+="


def _word_record(word: str) -> tuple:
    """The record ``_WORDS`` holds for ``word`` (see there), not cached."""
    key = _key(word)
    cluster = word_clusters().get(key)
    return (
        key,
        _word_features(word, key, cluster),
        _context_features(word, key, cluster, -2),
        _context_features(word, key, cluster, -1),
        _context_features(word, key, cluster, 1),
        _context_features(word, key, cluster, 2),
        key in _lexicon(),
    )


def _word(word: str) -> tuple:
    record = _word_record(word)
    if len(_WORDS) > 200_000:
        _WORDS.clear()
    _WORDS[word] = record
    return record


def _tagging_word(word: str) -> tuple:
    known = _known_attributes()
    full = _WORDS.get(word) or _word(word)
    record = (full[0], *(tuple(f for f in part if f in known) for part in full[1:6]), full[6])
    if len(_TAGGING_WORDS) > 200_000:
        _TAGGING_WORDS.clear()
    _TAGGING_WORDS[word] = record
    return record


@cache
def _known_attributes() -> frozenset[str]:
    """The features the shipped model has a weight for; the tagger ignores any other, so
    leaving them out gives the same labels for less work."""
    return frozenset(_attribute_names())


@cache
def _attribute_names() -> list[str]:
    """The shipped model's attribute names by id (read once for the tagger and the filter)."""
    return _read_attributes(_load_tagger()[1])


def _read_attributes(model: bytes) -> list[str]:
    """A crfsuite model's attribute names by id, read from its attribute dictionary.

    ``Tagger.info()`` gives the same names (and ``state_features`` no others: crfsuite keeps
    only attributes with a weight) by dumping the whole model as text and parsing it, which
    took about 0.15 s of every process's start, twice. The dictionary is a CQDB chunk
    (crfsuite's ``cqdb.c``) at the offset in the model header's tenth field: ``CQDB``, its
    size, flags, byte order, the number of ids and the offset of the backward array, whose
    entry for an id is the offset of a record (id, key size, the key and a NUL).
    """
    return _read_dictionary(model, 36)


def _read_dictionary(model: bytes, field: int) -> list[str]:
    """The names by id of the CQDB dictionary whose offset is the model header's ``field``
    (byte offset: 32 the labels, 36 the attributes); see ``_read_attributes``."""
    (offset,) = struct.unpack_from("<I", model, field)
    if model[offset : offset + 4] != b"CQDB":
        raise ValueError("crfsuite model without that dictionary")
    count, backward = struct.unpack_from("<II", model, offset + 16)
    refs = np.frombuffer(model, dtype="<u4", count=count, offset=offset + backward)
    starts = refs.astype(np.int64) + (offset + 8)
    raw = np.frombuffer(model, dtype=np.uint8)
    sizes = sum(raw[starts - 4 + k].astype(np.int64) << (8 * k) for k in range(4))
    ends = starts + sizes - 1  # the key size counts its NUL
    return [model[a:b].decode("utf-8") for a, b in zip(starts.tolist(), ends.tolist(), strict=True)]


def _pairs(keys: list[str]) -> list[str]:
    """The word pairs around the tokens of a paragraph: token ``i`` has the pair ``i`` before
    it and the pair ``i + 1`` after it (``<>`` stands beyond the paragraph's edges)."""
    pairs = ["<>|" + keys[0]] + [f"{x}|{y}" for x, y in zip(keys, keys[1:], strict=False)]
    pairs.append(keys[-1] + "|<>")
    return pairs


# A token's position features (quote state, distances to a reporting word, first and last
# token of the paragraph and sentence), packed into one small integer per token.
_AT_QM, _AT_INQ, _AT_PFIRST, _AT_SFIRST, _AT_SLAST = 1, 2, 4, 8, 16
_LEFT_SHIFT, _RIGHT_SHIFT = 5, 8
#: How many position codes there are (distances run from 0 to 6: three bits each).
POSITION_CODES = 1 << 11


def _position_codes(words: list[str], reporting: Any, lengths: list[int]) -> Any:
    """The position code of each token (``_position_features`` spells a code out as
    features) of paragraphs laid end to end: ``words`` of them all, ``reporting`` whether
    each is a reporting word (a boolean array), ``lengths`` the paragraphs' token counts."""
    n = len(words)
    token = np.arange(n)
    paragraph_starts = np.cumsum([0] + lengths[:-1])
    paragraph = np.zeros(n, dtype=np.intp)
    paragraph[paragraph_starts[1:]] = 1
    paragraph = np.cumsum(paragraph)
    last_token = np.cumsum(lengths) - 1
    # A sentence starts with a paragraph, and after a sentence end followed (in the same
    # paragraph) by a capital or an opening quote.
    opens = np.zeros(n + 1, dtype=bool)
    opens[paragraph_starts] = True
    for i in [i for i, w in enumerate(words) if w in _SENTENCE_END]:
        if i + 1 < n and not opens[i + 1]:
            following = words[i + 1]
            opens[i + 1] = following[:1].isupper() or following in '"“'
    opens[n] = True
    sentence = np.cumsum(opens[:n])  # numbers that differ between paragraphs too
    # Distance to the nearest reporting word on each side, within the sentence, at most 6.
    before = np.maximum.accumulate(np.where(reporting, token, -1))
    before = np.concatenate(([-1], before[:-1]))
    left = np.where(
        (before >= 0) & (sentence[before] == sentence), np.minimum(token - before, 6), 0
    )
    after = np.minimum.accumulate(np.where(reporting, token, n)[::-1])[::-1]
    after = np.concatenate((after[1:], [n]))
    seen = np.minimum(after, n - 1)
    right = np.where((after < n) & (sentence[seen] == sentence), np.minimum(after - token, 6), 0)
    codes = left << _LEFT_SHIFT | right << _RIGHT_SHIFT
    codes[opens[:n]] |= _AT_SFIRST
    codes[opens[1:]] |= _AT_SLAST
    codes[paragraph_starts] |= _AT_PFIRST
    codes[last_token] |= _AT_SLAST
    # Quote state: a straight mark opens or closes by alternation, curly ones by direction;
    # a paragraph starts outside quotes. A mark is inside if the quote was open before it.
    marks = [i for i, w in enumerate(words) if w in _QUOTE_MARKS]
    if marks:
        inside_after = []
        current, inside = -1, False
        for i, where in zip(marks, paragraph[marks].tolist(), strict=True):
            if where != current:
                current, inside = where, False
            w = words[i]
            code = 0
            if w in _QM:
                code |= _AT_QM
            if inside:
                code |= _AT_INQ
            if w in _OPEN_QUOTES or (w == '"' and not inside):
                inside = True
            elif w in _CLOSE_QUOTES or w == '"':
                inside = False
            inside_after.append(inside)
            codes[i] |= code
        mark_at = np.array(marks)
        last_mark = np.searchsorted(mark_at, token, "right") - 1
        open_after = np.array(inside_after)[last_mark] & (last_mark >= 0)
        is_mark = np.zeros(n, dtype=bool)
        is_mark[mark_at] = True
        within = paragraph[mark_at[last_mark]] == paragraph
        codes[open_after & within & ~is_mark] |= _AT_INQ
    return codes


def _position_features(code: int) -> tuple[str, ...]:
    """The features a position code stands for, in the order tokens carry them."""
    features = []
    if code & _AT_QM:
        features.append("QM")
    if code & _AT_INQ:
        features.append("INQ")
    left, right = code >> _LEFT_SHIFT & 7, code >> _RIGHT_SHIFT & 7
    if left:
        features.append(f"LL={left}")
    if right:
        features.append(f"LR={right}")
    if code & _AT_PFIRST:
        features.append("PFIRST")
    if code & _AT_SFIRST:
        features.append("SFIRST")
    if code & _AT_SLAST:
        features.append("SLAST")
    return tuple(features)


_POSITION_FEATURES = [_position_features(code) for code in range(POSITION_CODES)]


def token_features(words: list[str], tagging: bool = False) -> list[list[str]]:
    """CRF features of each token of one paragraph (shared by training and tagging).

    With ``tagging``, only the features the shipped model knows (the labels are the same).
    """
    n = len(words)
    if not n:
        return []
    if tagging:
        get, make = _TAGGING_WORDS.get, _tagging_word
    else:
        get, make = _WORDS.get, _word
    records = [get(w) or make(w) for w in words]
    codes = _position_codes(words, [r[6] for r in records], [n]).tolist()
    # Each token's features as one concatenation of the tuples its word and its neighbours'
    # words carry, then the pairs around it and its position features.
    pad_l2, pad_l1, pad_r1, pad_r2 = ((edge,) for edge in _EDGES)
    own = [r[1] for r in records]
    from_after2 = [pad_l2, pad_l2] + [r[2] for r in records[:-2]]
    from_after1 = [pad_l1] + [r[3] for r in records[:-1]]
    from_before1 = [r[4] for r in records[1:]] + [pad_r1]
    from_before2 = [r[5] for r in records[2:]] + [pad_r2, pad_r2]
    pairs = _pairs([r[0] for r in records])
    before = [_PAIR_BEFORE + p for p in pairs[:-1]]
    after = [_PAIR_AFTER + p for p in pairs[1:]]
    if tagging:
        known = _known_attributes()
        before = [f if f in known else "" for f in before]
        after = [f if f in known else "" for f in after]
    out = []
    for i in range(n):
        f = [
            *own[i],
            *from_after2[i],
            *from_after1[i],
            *from_before1[i],
            *from_before2[i],
        ]
        if before[i]:
            f.append(before[i])
        if after[i]:
            f.append(after[i])
        f.extend(_POSITION_FEATURES[codes[i]])
        out.append(f)
    return out


_QUOTE_MARKS = frozenset('"“”«»')
_QM = frozenset('"“”')


_UPPER = re.compile(r"[A-Z]")
_LOWER = re.compile(r"[a-z]")


def _words_for_tagging(text: str, tokens: list[tuple[int, int]]) -> list[str]:
    words = [text[a:b] for a, b in tokens]
    if tokens:
        paragraph = text[tokens[0][0] : tokens[-1][1]]
        upper = len(_UPPER.findall(paragraph))
        if upper > 20 and upper > 3 * len(_LOWER.findall(paragraph)):
            # Telegram capitals ("THE MINISTER SAID THAT"): tag as sentence case.
            words = [w.capitalize() if w.isupper() else w for w in words]
    return words


def tag_paragraph(text: str, tokens: list[tuple[int, int]]) -> list[str]:
    """BIO labels (``B-S``, ``I-C``, ``O`` …) for the tokens of one paragraph."""
    return tag_paragraphs(text, [tokens])[0]


def tag_paragraphs(text: str, paragraphs: list[list[tuple[int, int]]]) -> list[list[str]]:
    """BIO labels for the tokens of each paragraph: the labels python-crfsuite gives for
    ``token_features``, computed from the model's weights in a few array operations for all
    the paragraphs at once (see ``_FastTagger``)."""
    return _fast_tagger().tag(
        [_words_for_tagging(text, tokens) if tokens else [] for tokens in paragraphs]
    )


def tag_paragraph_crfsuite(text: str, tokens: list[tuple[int, int]]) -> list[str]:
    """The labels of ``tag_paragraph`` from python-crfsuite itself, for feature strings: the
    reference the fast path is measured and tested against."""
    if not tokens:
        return []
    return _tagger().tag(token_features(_words_for_tagging(text, tokens), tagging=True))


def _read_weights(model: bytes, num_labels: int, num_attributes: int):
    """The exact weights of a crfsuite model: ``(state, transition)`` arrays, ``state[a, y]``
    for attribute id ``a`` and label id ``y``, ``transition[x, y]`` from label ``x`` to ``y``.

    Read from the model's feature chunk (crfsuite's ``crf1d_model.c``: a 48-byte header whose
    eighth field is the chunk's offset; the chunk is ``FEAT``, its size, the number of
    features, then per feature its type, source and destination as uint32 and its weight as a
    float64, little-endian), because ``Tagger.info()`` prints weights to six decimals only.
    """
    offset, count = _feature_chunk(model)
    features = np.frombuffer(model, dtype=_FEATURE, count=count, offset=offset)
    state = np.zeros((num_attributes, num_labels))
    transition = np.zeros((num_labels, num_labels))
    is_state = features["type"] == 0
    sf, tf = features[is_state], features[~is_state]
    state[sf["src"], sf["dst"]] = sf["weight"]
    transition[tf["src"], tf["dst"]] = tf["weight"]
    return state, transition


class _FastTagger:
    """Viterbi decoding of the shipped linear-chain CRF without building feature strings.

    Every feature of ``token_features`` is a property of one word seen from a fixed offset
    (its own features, and what the tokens 2 and 1 after and 1 and 2 before it see of it), a
    pair of neighbouring words, or a position feature (quote state, distance to a reporting
    word, first or last token). A token's state score for each label is the sum of the weights
    of its features, so it is the sum of: five per-word vectors (one per offset, computed once
    per distinct word from the same feature functions and cached), the vectors of the pairs
    before and after it, and the vector of its position code. The Viterbi recursion is
    crfsuite's (``crf1dc_viterbi``: the first label of the highest score wins), run on all the
    paragraphs of a text at once, longest first.

    Scores equal crfsuite's up to the order of floating-point additions (a few units in the
    last place); ``benchmarks/analysis_speed.py --compare`` checks the labels on real text.
    """

    #: Distinct words whose vectors are kept; the cache starts afresh when a text begins
    #: with more (a row is 5 × labels float64: 280 bytes for 7 labels, 28 MB in all). 2,000
    #: cables hold about 66,000 distinct words.
    MAX_WORDS = 100_000

    def __init__(self, tagger: Any, model: bytes, names: list[str] | None = None) -> None:
        self.labels: list[str] = list(tagger.labels())
        names = _read_attributes(model) if names is None else names
        self.attributes: dict[str, int] = {a: i for i, a in enumerate(names)}
        size = len(self.labels)
        state, self.transition = _read_weights(model, size, len(self.attributes))
        # One zero row at the end: the weights of a feature the model does not know.
        self.state = np.vstack([state, np.zeros((1, size))])
        self.unknown = len(self.attributes)
        # Word pairs the model has weights for: pair → row of ``pair_before``/``pair_after``
        # (row 0: no weight).
        pairs: dict[str, int] = {}
        for name in self.attributes:
            if name.startswith((_PAIR_BEFORE, _PAIR_AFTER)):
                pairs.setdefault(name[len(_PAIR_BEFORE) :], len(pairs) + 1)
        self.pairs = pairs
        get, unknown = self.attributes.get, self.unknown
        self.pair_before = self.state[[unknown] + [get(_PAIR_BEFORE + p, unknown) for p in pairs]]
        self.pair_after = self.state[[unknown] + [get(_PAIR_AFTER + p, unknown) for p in pairs]]
        if core is not None:
            self.positions = np.zeros((POSITION_CODES, size))
            for code in range(POSITION_CODES):
                features = _POSITION_FEATURES[code]
                core.sum_features(
                    self.attributes, unknown, self.state, features, self.positions, code
                )
        else:
            self.positions = np.array(
                [self._sum(_POSITION_FEATURES[c]) for c in range(POSITION_CODES)]
            )
        # Per-word vectors: row 0 is the edge of a paragraph (it has no features of its own).
        self.vectors = np.zeros((1024, 5, size))
        self.vectors[0, 1:] = [self._weight(edge) for edge in _EDGES]
        self.word_ids: dict[str, int] = {}
        self.keys: list[str] = [""]
        self.reporting = np.zeros(len(self.vectors), dtype=bool)

    def _weight(self, feature: str):
        return self.state[self.attributes.get(feature, self.unknown)]

    def _sum(self, features: tuple[str, ...]):
        get, unknown = self.attributes.get, self.unknown
        rows = [get(f, unknown) for f in features]
        return self.state[rows].sum(axis=0)  # adds row after row, as crfsuite does

    def _add_word(self, word: str) -> int:
        record = _word_record(word)
        index = len(self.keys)
        if index == len(self.vectors):
            # Double up to the bound, then a quarter at a time (only a text that brings more
            # new words than the bound leaves room for gets there).
            capacity = min(2 * index, self.MAX_WORDS + 1)
            if capacity <= index:
                capacity = index + index // 4
            grown = np.zeros((capacity, *self.vectors.shape[1:]))
            grown[:index] = self.vectors
            self.vectors = grown
            self.reporting = np.concatenate((self.reporting, np.zeros(capacity - index, bool)))
        if core is not None:
            row = self.vectors[index]
            attributes, unknown, state = self.attributes, self.unknown, self.state
            for offset, part in enumerate(record[1:6]):
                core.sum_features(attributes, unknown, state, part, row, offset)
        else:
            self.vectors[index] = [self._sum(part) for part in record[1:6]]
        self.reporting[index] = record[6]
        self.keys.append(record[0])
        self.word_ids[word] = index
        return index

    def emissions(self, paragraphs: list[list[str]]):
        """The state scores of the tokens of the non-empty paragraphs, one after another:
        an array of (tokens, labels)."""
        if len(self.word_ids) > self.MAX_WORDS:
            self.word_ids.clear()
            del self.keys[1:]
        word_ids, add = self.word_ids, self._add_word
        keys, pair_get = self.keys, self.pairs.get
        words: list[str] = []
        padded: list[int] = [0, 0]  # word ids, two edge rows around each paragraph
        pair_ids: list[int] = []  # per paragraph, its n + 1 pairs
        lengths: list[int] = []
        for paragraph in paragraphs:
            if not paragraph:
                continue
            ids = [word_ids.get(w) or add(w) for w in paragraph]
            pair_ids += [pair_get(p, 0) for p in _pairs([keys[i] for i in ids])]
            padded += ids
            padded += (0, 0, 0, 0)
            words += paragraph
            lengths.append(len(paragraph))
        ids = np.array(padded[:-2])
        vectors = self.vectors
        own = ids[2:-2]
        real = own > 0
        scores = (
            vectors[own, 0]
            + vectors[ids[:-4], 1]
            + vectors[ids[1:-3], 2]
            + vectors[ids[3:-1], 3]
            + vectors[ids[4:], 4]
        )[real]
        # A paragraph of n tokens has n + 1 pairs: token i has pair i before it, i + 1 after.
        pair_at = np.array(pair_ids)
        last_pair = np.cumsum(np.array(lengths) + 1) - 1
        has_after = np.ones(len(pair_at), dtype=bool)
        has_after[last_pair] = False
        scores += self.pair_before[pair_at[has_after]]
        has_before = np.ones(len(pair_at), dtype=bool)
        has_before[last_pair - np.array(lengths)] = False
        scores += self.pair_after[pair_at[has_before]]
        scores += self.positions[_position_codes(words, self.reporting[own[real]], lengths)]
        return scores

    def tag(self, paragraphs: list[list[str]]) -> list[list[str]]:
        """The labels of the words of each paragraph."""
        lengths = [len(words) for words in paragraphs]
        if not any(lengths):
            return [[] for _ in paragraphs]
        return self.decode(self.emissions(paragraphs), lengths)

    def decode(self, scores: Any, lengths: list[int]) -> list[list[str]]:
        """The labels of paragraphs of ``lengths`` tokens (some not empty) from their state
        scores (``emissions``) and the model's transitions."""
        if core is not None:
            names = self.labels
            decoded = iter(core.viterbi(scores, [n for n in lengths if n], self.transition))
            return [[names[y] for y in next(decoded)] if n else [] for n in lengths]
        size = len(self.labels)
        # The paragraphs run side by side, longest first, so that those still running at
        # step t are the first running[t]; state[t, i]: the state scores of token t of the
        # i-th paragraph in that order.
        kept = [i for i, n in enumerate(lengths) if n]
        order = sorted(range(len(kept)), key=lambda i: -lengths[kept[i]])
        count = len(order)
        sizes = np.array([lengths[i] for i in kept])
        steps = int(sizes.max())
        rank = np.empty(count, dtype=np.intp)
        rank[order] = np.arange(count)
        step = np.arange(len(scores)) - np.repeat(np.cumsum(sizes) - sizes, sizes)
        state = np.zeros((steps, count, size))
        state[step, np.repeat(rank, sizes)] = scores
        running = np.searchsorted(-sizes[order], -np.arange(steps + 1), "left").tolist()
        # crfsuite's recursion (crf1dc_viterbi): the best previous label x of each label y
        # maximises score[x] + transition[x, y], the first one on a tie; then y's state
        # score is added. paths[i, y, x] holds those sums, so that argmax runs on the last
        # axis, and the maximum is read at the argmax (a max along an axis of 7 is slow).
        incoming = self.transition.T.copy()
        back = np.zeros((steps, count * size), dtype=np.intp)
        score = state[0].copy()
        paths = np.empty((count, size, size))
        flat = paths.reshape(-1)
        offsets = np.arange(count * size) * size
        add, argmax, take = np.add, np.argmax, np.take
        for t in range(1, steps):
            k = running[t]
            cells = k * size
            add(score[:k, None, :], incoming, out=paths[:k])
            best = argmax(paths[:k].reshape(cells, size), axis=1, out=back[t, :cells])
            add(take(flat, offsets[:cells] + best).reshape(k, size), state[t, :k], out=score[:k])
        last = score.argmax(axis=1).tolist()
        names = self.labels
        out: list[list[str]] = [[] for _ in lengths]
        for i, n, r in zip(kept, sizes.tolist(), rank.tolist(), strict=True):
            y = last[r]
            labels = [y]
            for links in back[n - 1 : 0 : -1, r * size : (r + 1) * size].tolist():
                y = links[y]
                labels.append(y)
            out[i] = [names[y] for y in reversed(labels)]
        return out


@cache
def _fast_tagger() -> _FastTagger:
    return _FastTagger(*_load_tagger(), _attribute_names())


# --- from labels to attributions ----------------------------------------------------------


@dataclass
class Attribution:
    """One attributed statement: its cue, the source mention (None when unnamed), the content."""

    cue: tuple[int, int]
    mention: tuple[int, int] | None
    content: tuple[int, int]
    #: The content's pieces when the cue and source interrupt it ('"A," he said, "B."').
    content_parts: list[tuple[int, int]] = field(default_factory=list)
    #: The agent the mention names, after resolving pronouns and short names (None if unnamed).
    agent: str | None = None
    #: Where the agent's name is read from, when not the mention itself ("Amara Quell, the
    #: port director,": the tagger's mention is the apposition, the name opens the sentence).
    naming: tuple[int, int] | None = None


@dataclass
class Quote:
    start: int
    end: int
    speaker: tuple[int, int] | None = None
    agent: str | None = None


def segments(tokens: list[tuple[int, int]], labels: list[str]) -> list[tuple[str, int, int]]:
    """``(role, first_token, last_token + 1)`` for each run of one role in a label sequence."""
    out: list[tuple[str, int, int]] = []
    current: list | None = None
    for i, label in enumerate(labels):
        if label == "O":
            if current:
                out.append(tuple(current))  # type: ignore[arg-type]
                current = None
            continue
        prefix, role = label.split("-", 1)
        if prefix == "B" or current is None or current[0] != role:
            if current:
                out.append(tuple(current))  # type: ignore[arg-type]
            current = [role, i, i + 1]
        else:
            current[2] = i + 1
    if current:
        out.append(tuple(current))  # type: ignore[arg-type]
    return out


#: Longest source mention (in tokens) kept whole when it runs into its cue.
_LONGEST_SOURCE = 8


def _split_overlong_sources(
    text: str, tokens: list[tuple[int, int]], segs: list[tuple[str, int, int]]
) -> list[tuple[str, int, int]]:
    """Repair a source the tagger ran over the clause before it: "[The council voted to ask
    the audit office to review the contract, a council spokeswoman] said" is content, a comma,
    then the source. The words after the last comma stay the source; those before become
    content."""
    out: list[tuple[str, int, int]] = []
    for i, seg in enumerate(segs):
        role, first, stop = seg
        cue_next = i + 1 < len(segs) and segs[i + 1][0] == "C" and segs[i + 1][1] == stop
        if role == "S" and cue_next and stop - first > _LONGEST_SOURCE:
            commas = [k for k in range(first, stop) if text[tokens[k][0] : tokens[k][1]] == ","]
            if commas and 1 <= stop - commas[-1] - 1 <= _LONGEST_SOURCE and commas[-1] > first:
                out.append(("Q", first, commas[-1]))
                out.append(("S", commas[-1] + 1, stop))
                continue
        out.append(seg)
    return out


def _sentence_of(tokens_text: list[str]) -> list[int]:
    ids = []
    s = 0
    for i, w in enumerate(tokens_text):
        ids.append(s)
        if w in _SENTENCE_END and i + 1 < len(tokens_text):
            s += 1
    return ids


def group(
    text: str, tokens: list[tuple[int, int]], labels: list[str], share_sources: bool = False
) -> list[tuple]:
    """Group tagged segments into ``(cue, source or None, content parts, naming span)``
    around each cue (the naming span is the source, or the name that opens its sentence when
    the source is that name's apposition: it is what the agent is read from).

    A source or content segment joins the nearest cue, preferring one in its own sentence;
    a cue keeps the nearest source only; a cue without content is dropped. With
    ``share_sources`` (the accurate tagger's labels), a cue left without a source takes the
    nearest source of its sentence that went to another cue (measured on PolNeAR train's
    held-out articles: source exact F1 +0.01, cue unchanged; the CRF path keeps its rules).
    """
    segs = _split_overlong_sources(text, tokens, segments(tokens, labels))
    cues = [s for s in segs if s[0] == "C"]
    if not cues:
        return []
    sentence = _sentence_of([text[a:b] for a, b in tokens])

    cue_starts = [c[1] for c in cues]

    def nearest(seg: tuple[str, int, int]) -> tuple[int, int]:
        # The cues on either side of the segment (or around it): the one in the segment's
        # sentence if there is one, else the closer. Looking at two neighbours keeps this
        # linear in long paragraphs.
        k = bisect.bisect_left(cue_starts, seg[1])
        best = None
        for j in (k - 1, k):
            if not 0 <= j < len(cues):
                continue
            cue = cues[j]
            if seg[2] <= cue[1]:
                gap = cue[1] - seg[2]
            elif seg[1] >= cue[2]:
                gap = seg[1] - cue[2]
            else:
                gap = 0
            other_sentence = (
                sentence[seg[1]] != sentence[cue[1]] and sentence[seg[2] - 1] != sentence[cue[1]]
            )
            rank = (other_sentence, gap)
            if best is None or rank < best[0]:
                best = (rank, j)
        assert best is not None
        return best[1], best[0][1]

    sources: dict[int, tuple[int, tuple[str, int, int]]] = {}
    contents: dict[int, list[tuple[str, int, int]]] = {}
    for seg in segs:
        if seg[0] == "C":
            continue
        k, gap = nearest(seg)
        if seg[0] == "S":
            if k not in sources or gap < sources[k][0]:
                sources[k] = (gap, seg)
        else:
            contents.setdefault(k, []).append(seg)
    out = []
    for k, cue in enumerate(cues):
        source = sources.get(k)
        parts = contents.get(k)
        if source is None and share_sources:
            source = _shared_source(segs, cue, sentence)
        if source is None:
            found = _source_by_position(text, tokens, sentence, cue)
            source = (0, found) if found else None
        if not parts and source is not None:
            inferred = _content_by_position(text, tokens, sentence, cue, source[1])
            parts = [inferred] if inferred else None
        if not parts:
            continue
        cue_span = (tokens[cue[1]][0], tokens[cue[2] - 1][1])
        source_span = (tokens[source[1][1]][0], tokens[source[1][2] - 1][1]) if source else None
        content = [(tokens[p[1]][0], tokens[p[2] - 1][1]) for p in parts]
        naming = _with_leading_name(text, tokens, sentence, source[1]) if source else None
        naming_span = (tokens[naming[1]][0], tokens[naming[2] - 1][1]) if naming else None
        out.append((cue_span, source_span, content, naming_span))
    return out


def _shared_source(
    segs: list[tuple[str, int, int]], cue: tuple[str, int, int], sentence: list[int]
) -> tuple[int, tuple[str, int, int]] | None:
    """The nearest source segment in the cue's sentence, whichever cue it went to ("Quell
    said … and added …": one source, two cues)."""
    best = None
    for seg in segs:
        if seg[0] != "S" or sentence[seg[1]] != sentence[cue[1]]:
            continue
        # tokens between them (segments of one labelling never overlap)
        gap = cue[1] - seg[2] if seg[2] <= cue[1] else seg[1] - cue[2]
        if best is None or gap < best[0]:
            best = (gap, seg)
    return best


def _with_leading_name(
    text: str, tokens: list[tuple[int, int]], sentence: list[int], seg: tuple[str, int, int]
) -> tuple[str, int, int]:
    """A source the tagger started at an apposition ("Amara Quell, [the port director,] told")
    extended back over the name that opens the sentence."""
    start = seg[1]
    if start < 2 or text[tokens[start - 1][0] : tokens[start - 1][1]] != ",":
        return seg
    first = start - 1
    while first > 0 and sentence[first - 1] == sentence[start] and start - first <= 5:
        word = text[tokens[first - 1][0] : tokens[first - 1][1]]
        if not word[:1].isupper():
            return seg
        first -= 1
    if first == start - 1 or (first > 0 and sentence[first - 1] == sentence[start]):
        return seg  # no name, or the name does not open the sentence
    return (seg[0], first, seg[2])


#: Cues that always report speech: when the tagger finds one alone, the words next to it are
#: taken as its source ("Quell told reporters that …", "according to the ministry, …").
SPEECH_CUES = frozenset(
    "said says say told tells added adds wrote writes stated states announced reported "
    "confirmed explained noted argued insisted warned according".split()
)
_SUBJECT_PRONOUNS = frozenset("he she they we i it".split())


def _source_by_position(
    text: str, tokens: list[tuple[int, int]], sentence: list[int], cue: tuple[str, int, int]
) -> tuple[str, int, int] | None:
    words = [text[a:b] for a, b in tokens]
    if words[cue[1]].lower() not in SPEECH_CUES:
        return None
    this = sentence[cue[1]]
    if words[cue[1]].lower() == "according":
        start = end = cue[2]
        while end < len(tokens) and sentence[end] == this and words[end] not in ',.;:!?”"':
            end += 1
        return ("S", start, end) if 0 < end - start <= 8 else None
    end = cue[1]
    start = end
    if start > 0 and words[start - 1].lower() in _SUBJECT_PRONOUNS:
        return ("S", start - 1, end)
    if start > 0 and words[start - 1] == ",":
        # "The authority's chief engineer, Dov Harlan, said …": the subject with its apposition.
        first = start - 1
        while first > 0 and sentence[first - 1] == this and start - first <= 10:
            first -= 1
        if (
            sentence[first] == this
            and 2 <= start - 1 - first <= 9
            and "," in words[first : start - 1]
        ):
            if any(w[:1].isupper() for w in words[first + 1 : start - 1]):
                return ("S", first, start - 1)
        return None
    while (
        start > 0
        and sentence[start - 1] == this
        and end - start < 4
        and (words[start - 1][:1].isupper() or words[start - 1] in ("Mr.", "Mrs.", "Ms.", "Dr."))
    ):
        start -= 1
    if start < end and words[start] not in ("The", "A", "An"):
        return ("S", start, end)
    return None


_OBJECTS = frozenset("reporters journalists us him her them me the a an of that".split())


def _content_by_position(
    text: str,
    tokens: list[tuple[int, int]],
    sentence: list[int],
    cue: tuple[str, int, int],
    source: tuple[str, int, int],
) -> tuple[str, int, int] | None:
    """The content of a cue the tagger gave a source but no content, from where they stand:
    the clause before them ("…, according to the report") or after them ("X said that …")."""
    this = sentence[cue[1]]
    first = min(cue[1], source[1])
    last = max(cue[2], source[2])
    start = first
    while start > 0 and sentence[start - 1] == this:
        start -= 1
    end = last
    while end < len(tokens) and sentence[end] == this:
        end += 1
    words = [text[a:b] for a, b in tokens]
    if first - start >= 3 and words[first - 1] in (",", "”", '"', "—", "–"):
        stop = first - 1
        while stop > start and words[stop - 1] in (",", "”", '"'):
            stop -= 1
        return ("Q", start, stop) if stop > start else None
    after = last
    while after < end and words[after].lower() in _OBJECTS and after - last < 2:
        after += 1
    stop = end
    while stop > after and words[stop - 1] in (".", "!", "?", '"', "”"):
        stop -= 1
    return ("Q", after, stop) if stop - after >= 3 else None


def _trim(text: str, start: int, end: int, chars: str = ",;:—–- ") -> tuple[int, int]:
    while start < end and (text[start].isspace() or text[start] in chars):
        start += 1
    while end > start and (text[end - 1].isspace() or text[end - 1] in chars):
        end -= 1
    return start, end


def find_attributions(
    text: str,
    start: int = 0,
    end: int | None = None,
    accurate: bool = False,
    tagger: Any = None,
) -> list[Attribution]:
    """Attributions in ``text[start:end]``, paragraph by paragraph, agents resolved.

    The tokens are labelled by the CRF, or with ``accurate`` by the accurate mode's
    fine-tuned MiniLM (:func:`provenance.semantic.attribution_tagger`, ``ACCURATE_METHOD``;
    raises ExtraNotInstalled without the extra); ``tagger``, any object with that
    ``tag_paragraphs``, replaces both (a model being trained or compared). Grouping, trimming
    and agents are the same whichever labels the tokens.
    """
    if tagger is None and accurate:
        from . import semantic  # the accurate extra: never imported by the default path

        tagger = semantic.attribution_tagger()
    found = []
    paragraphs = [tokenize(text, a, b) for a, b in paragraph_spans(text, start, end)]
    labelled = (tagger.tag_paragraphs if tagger is not None else tag_paragraphs)(text, paragraphs)
    for tokens, labels in zip(paragraphs, labelled, strict=True):
        for cue, source, parts, naming in group(text, tokens, labels, tagger is not None):
            parts = [_trim(text, a, b) for a, b in parts]
            parts = [p for p in parts if p[1] > p[0]]
            if not parts:
                continue
            content = (parts[0][0], parts[-1][1])
            if source is not None:
                source = _trim(text, *source)
                marking = MARKING_AT.match(text, *source)
                if marking and marking.end() < source[1]:
                    source = (marking.end(), source[1])
                if text[cue[0] : cue[1]].lower() == "according to" and source[0] >= cue[1]:
                    comma = text.find(",", source[0], source[1])
                    if comma > source[0]:  # "according to the cable, the coast guard …"
                        source = _trim(text, source[0], comma)
            found.append(Attribution(cue, source, content, parts, naming=naming))
    resolve_agents(text, found)
    return found


#: How many named agents back a pronoun or a surname looks for its antecedent.
_LOOK_BACK = 50


def resolve_agents(text: str, attributions: list[Attribution]) -> None:
    """Name the agent of each attribution, in text order.

    A pronoun ("he", "who", "they") takes the agent of the last named source before it (a
    personal pronoun only a person's); a bare surname or "Mr. Trump" takes the full name used
    earlier in the same text ("Donald Trump"). Unresolved pronouns name no agent.
    """
    named: list[str] = []  # agents named so far, most recent last
    for a in sorted(attributions, key=lambda a: a.cue[0]):
        if a.mention is None:
            continue
        naming = a.naming or a.mention
        mention = text[naming[0] : naming[1]]
        bare = mention.strip().lower()
        recent = named[-_LOOK_BACK:]
        if bare in PRONOUNS:
            personal = bare in PERSONAL_PRONOUNS
            a.agent = next(
                (n for n in reversed(recent) if not personal or agent_kind(n) == "person"), None
            )
            continue
        name = agent_name(mention, before_cue=naming[0] < a.cue[0])
        if not name:
            continue
        if NAME.fullmatch(name) and " " not in name:
            # A surname alone: the fuller name that ends with it, if one was used before.
            fuller = next(
                (n for n in reversed(recent) if n.endswith(" " + name) and NAME.fullmatch(n)),
                None,
            )
            name = fuller or name
        a.agent = name
        named.append(name)


# --- quotations ---------------------------------------------------------------------------

_DOUBLE = re.compile(r"[\"“”«»]")


def _quote_spans(text: str, start: int, end: int) -> list[tuple[int, int]]:
    """Spans (marks excluded) of the double-quoted passages of one paragraph.

    Curly marks pair by direction, straight marks by alternation; a quote left open at the end
    of a paragraph runs to its end (the convention for quotes that go on into the next one).
    """
    spans = []
    open_at = None
    for match in _DOUBLE.finditer(text, start, end):
        mark = match.group()
        pos = match.start()
        if open_at is None:
            if mark in "”»":
                continue  # a stray closing mark
            open_at = pos
        elif mark in "“«":
            open_at = pos  # an opening mark while open: the previous one was stray
        else:
            spans.append((open_at + 1, pos))
            open_at = None
    if open_at is not None and end - open_at > 20:
        spans.append((open_at + 1, end))
    return spans


_SINGLE = re.compile(
    r"(?<![\w’'])‘(?=\w)(?P<curly>[^‘’\n]{0,400}?\w[.,!?]?)’(?![\w’])"
    r"|(?<![\w’'])'(?=\w)(?P<straight>[^'\n]{0,400}?\w[.,!?]?)'(?![\w’])"
)


def _single_quote_spans(text: str, start: int, end: int) -> list[tuple[int, int]]:
    """Single-quoted passages (‘…’ or '…'), not mistaking apostrophes ("Trump’s") for marks."""
    return [
        m.span("curly") if m.group("curly") is not None else m.span("straight")
        for m in _SINGLE.finditer(text, start, end)
    ]


def find_quotes(text: str, start: int = 0, end: int | None = None) -> list[Quote]:
    """Direct quotations of ``text[start:end]``: spans inside the quote marks.

    Single-quoted passages count only outside double quotes (inside they are nested quotes,
    part of the outer one). Passages of fewer than two words ("scare quotes") are left out.
    """
    quotes = []
    for p_start, p_end in paragraph_spans(text, start, end):
        doubles = _quote_spans(text, p_start, p_end)  # in order, not overlapping
        double_starts = [a for a, _ in doubles]

        def nested(offset: int, doubles=doubles, double_starts=double_starts) -> bool:
            i = bisect.bisect_right(double_starts, offset) - 1
            return i >= 0 and offset < doubles[i][1]

        singles = [s for s in _single_quote_spans(text, p_start, p_end) if not nested(s[0])]
        for a, b in sorted(doubles + singles):
            a, b = _trim(text, a, b, chars=" ,;:")  # the comma of "…,” she said" is not quoted
            if len(text[a:b].split()) >= 2:
                quotes.append(Quote(a, b))
    return quotes


# --- credit lines -------------------------------------------------------------------------

#: What a credit line's attributions record as their method (their cue and source are read by
#: these rules, not tagged by the model).
CREDIT_METHOD = "credit-line-0.1"

#: A credit that ends a paragraph, after its last sentence: "... of coca growers. Source -
#: EcoAmericas (please contact L. Stoner for complete article)", "... in 2004. (Source: KLPD
#: National Police Force)". Regional press digests, statistics and reprinted items credit
#: what they summarise this way; the paragraph's sentences come from what it names.
_CREDIT = re.compile(
    r"(?<=[.!?\"”’')\]])[ \t]+(?P<open>\()?(?P<cue>Sources?|SOURCES?)[ \t]*[-–—:][ \t]*(?=[A-Z])"
)
_CREDIT_TOKEN = re.compile(r"[^\s()]+")
#: Small words inside a name ("Bureau of Economic Analysis", "O Estado de S. Paulo").
_CREDIT_JOINS = frozenset(
    {"of", "de", "do", "da", "das", "dos", "del", "la", "for", "the", "and", "&"}
)
#: What may follow the name in the same paragraph: a note in brackets, a second name, its web
#: address, "based on ..." or "Kindly shared by ...": a few words, not another sentence of the
#: paragraph.
_CREDIT_TAIL_WORDS = 12
#: How far a credit's tail may run (a note in brackets, a web address, a few words) to the
#: end of its paragraph.
_CREDIT_REACH = 600
_CREDIT_NOTE = re.compile(r"[ \t]*\([^()\n]*\)")
#: A numbered item that begins on a credit's line: digest items run together ("... Source -
#: Yahoo 20. Brazil Wants Help ..."); the credit's line ends there and the next item begins.
_NEXT_ITEM = re.compile(r"[ \t]+((?:¶[ \t]*)?\d{1,3}\.[ \t]+)(?=[A-Z])")
_CREDIT_MORE = re.compile(r"(?:,[ \t]*(?:and[ \t]+)?|;[ \t]*)(?=[A-Z])")
_CREDIT_TAIL_START = re.compile(r"[.,;:]|(?:based on|via|from|citing)\b|https?://|www\.", re.I)
#: A cable's short reference ("BRASILIA 1514", a page header's "RIO DE JAN 00000205"): the
#: document the paragraph comes from. A file code ("CBLEXCLS.009143") is neither.
_CREDIT_CABLE = re.compile(r"[A-Z][A-Z ]{2,} \d+")
_CREDIT_CODE = re.compile(r"[A-Za-z][^\s\d]*\d|\d[^\s]*[A-Za-z]")


@dataclass
class Credit:
    """A paragraph's credit line: its cue ("Source"), the name credited and its span, the
    span of the paragraph it credits (before the line) and the line's span."""

    cue: tuple[int, int]
    mention: tuple[int, int]
    name: str
    credited: tuple[int, int]
    line: tuple[int, int]
    #: The name is a cable's short reference ("Source - RIO DE JAN 00000205"): the paragraph
    #: comes from that cable, a citation to resolve, not an agent.
    cable: bool = False


def _credit_name(text: str, pos: int, end: int) -> tuple[int, int] | None:
    """The span of the name that starts at ``pos``: capitalised words (and the small words
    between them), up to a bracket, a lower-case word or the punctuation ending it."""
    last: tuple[int, int] | None = None
    words = 0
    for m in _CREDIT_TOKEN.finditer(text, pos, end):
        if text[pos : m.start()].strip() or "\n" in text[pos : m.start()] or words >= 8:
            break
        token = m.group()
        word = token.rstrip(".,;:")
        initial = token.endswith(".") and (len(word) == 1 or "." in word)  # "S.", "U.S."
        if word.isdigit() and _NEXT_ITEM.match(text, pos, end):
            break  # "20. Brazil ...": the next item's number, not the name's
        if word and (word[0].isupper() or word.isdigit()):
            last, words = (last[0] if last else m.start(), m.start() + len(word)), words + 1
        elif word not in _CREDIT_JOINS or last is None:
            break
        pos = m.end()
        if token != word and not initial:
            break  # "News." or "PROCOMER,": the name ends here
    return last


def _credit_names(text: str, pos: int, end: int) -> tuple[list[tuple[int, int]], int]:
    """The names a credit gives from ``pos`` ("PROCOMER, BCCR and FAO"), and where they end."""
    names: list[tuple[int, int]] = []
    while (span := _credit_name(text, pos, end)) is not None:
        names.append(span)
        pos = span[1]
        more = _CREDIT_MORE.match(text, pos, end)
        if more is None:
            break
        pos = more.end()
    return names, pos


def find_credits(text: str) -> list[Credit]:
    """Credit lines that end a paragraph, or an item of it that runs on to the next, and name
    where its sentences come from (see :data:`_CREDIT`). A line standing alone (a chart's
    "Source: Reuters") credits no text."""
    found = []
    for p_start, p_end in paragraph_spans(text):
        start = p_start  # where the stretch the next credit would credit begins
        for m in _CREDIT.finditer(text, p_start, p_end):
            names, pos = _credit_names(text, m.end(), p_end)
            note = _CREDIT_NOTE.match(text, pos, p_end)  # "(please contact ...)"
            pos = note.end() if note else pos
            item = _NEXT_ITEM.match(text, pos, p_end)
            if item is not None:  # "Source - Yahoo 20. Brazil Wants Help ...": the next item
                line_end, following = item.start(), item.start(1)
            else:
                line_end = following = p_end
                tail = text[pos : min(p_end, pos + _CREDIT_REACH)].strip()
                if p_end - pos > _CREDIT_REACH or (
                    tail.strip(".)")
                    and (
                        not _CREDIT_TAIL_START.match(tail) or len(tail.split()) > _CREDIT_TAIL_WORDS
                    )
                ):
                    names = []  # more of the paragraph follows: no credit of it
            if not names or len(text[max(start, m.start() - 200) : m.start()].split()) < 4:
                # Credits nothing; what follows it on its line is no item of its own.
                newline = text.find("\n", m.end(), p_end)
                if newline < 0:
                    break  # the rest of the paragraph is this line: nothing more to credit
                start = newline + 1
                continue
            cue = (m.start("cue"), m.end("cue"))
            line = (m.start("open") if m.group("open") else cue[0], line_end)
            credited = (start, start + len(text[start : m.start()].rstrip()))
            for a, b in names:
                name = " ".join(text[a:b].split())
                cable = bool(_CREDIT_CABLE.fullmatch(name))
                if _CREDIT_CODE.search(name) and not cable:
                    continue
                found.append(Credit(cue, (a, b), name, credited, line, cable))
            start = following
    return found


def attach_speakers(text: str, quotes: list[Quote], attributions: list[Attribution]) -> None:
    """Give each quote the source of the attribution whose content holds it; failing that,
    of the attribution whose cue is closest in the same paragraph."""
    named = [a for a in attributions if a.mention is not None]
    if not named or not quotes:
        return
    starts = [a for a, _ in paragraph_spans(text)]

    def paragraph(offset: int) -> int:
        return bisect.bisect_right(starts, offset) - 1

    by_paragraph: dict[int, list[Attribution]] = {}
    for a in named:
        by_paragraph.setdefault(paragraph(a.cue[0]), []).append(a)
    for q in quotes:
        here = paragraph(q.start)
        best = None
        for where in (here, here - 1, here + 1):
            for a in by_paragraph.get(where, ()):
                if any(p0 < q.end and q.start < p1 for p0, p1 in a.content_parts or [a.content]):
                    best = (0, a)
                    break
                if where == here:
                    gap = min(abs(a.cue[0] - q.end), abs(q.start - a.cue[1])) + 1
                    if best is None or gap < best[0]:
                        best = (gap, a)
            if best is not None and best[0] == 0:
                break
        if best is not None:
            q.speaker = best[1].mention
            q.agent = best[1].agent
