"""The compiled core and its pure-Python twins give the same values, and the same database.

``provenance._core`` (C, built by ``pip install``) replaces a few per-token and per-claim loops
(see provenance/compiled.py). Each function is checked against its twin on generated and real
text, and a mixed folder added with and without the core (``PROVENANCE_PURE=1``) must give
identical databases, apart from the clock.
"""

from __future__ import annotations

import hashlib
import os
import subprocess
import sys
from contextlib import contextmanager
from pathlib import Path

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from provenance import attribution, binding, claims, compiled, linking, minhash
from provenance.text import paragraph_spans

ROOT = Path(__file__).resolve().parent.parent
core = compiled.core

words = st.text(min_size=0, max_size=12)
#: Unicode text with upper, lower, title-case letters, digits of other scripts, marks and
#: surrogate-free symbols: what the shapes and hashes must agree on.
any_text = st.text(st.characters(blacklist_categories=("Cs",)), max_size=300)


def test_the_core_is_built_where_the_install_has_a_compiler():
    # The README's install builds it (gcc is on every machine the project runs on); the pure
    # path is chosen only when asked for.
    if os.environ.get("PROVENANCE_PURE", "") not in ("", "0"):
        assert core is None and "PROVENANCE_PURE" in compiled.describe()
    else:
        assert core is not None, compiled.describe()


needs_core = pytest.mark.skipif(core is None, reason="the pure path was asked for")


@needs_core
@settings(max_examples=300)
@given(any_text)
def test_blake2b64_is_hashlib_blake2b_of_8_bytes(text):
    expected = hashlib.blake2b(text.encode("utf-8"), digest_size=8).digest()
    assert core.blake2b64(text) == int.from_bytes(expected, "little")


@needs_core
@pytest.mark.parametrize("size", [0, 1, 127, 128, 129, 255, 256, 257, 1000])
def test_blake2b64_at_block_edges(size):
    text = "é" * (size // 2) + "x" * (size % 2)
    expected = hashlib.blake2b(text.encode("utf-8"), digest_size=8).digest()
    assert core.blake2b64(text) == int.from_bytes(expected, "little")


@needs_core
def test_a_lone_surrogate_fails_as_encoding_fails():
    with pytest.raises(UnicodeEncodeError):
        "\ud800".encode("utf-8")
    with pytest.raises(UnicodeEncodeError):
        core.blake2b64("a\ud800")
    with pytest.raises(UnicodeEncodeError):
        core.trigram_keys(["a", "\ud800", "b"])


def _pure_trigram_keys(keys: list[str]) -> set[int]:
    out = set()
    for i in range(len(keys) - 2):
        digest = hashlib.blake2b(" ".join(keys[i : i + 3]).encode("utf-8"), digest_size=8)
        out.add(int.from_bytes(digest.digest(), "little", signed=True))
    return out


@needs_core
@given(st.lists(words, max_size=30))
def test_trigram_keys_are_the_pure_ones(keys):
    assert core.trigram_keys(keys) == _pure_trigram_keys(keys)
    assert linking._text_trigram_keys([(k, 0) for k in keys]) == _pure_trigram_keys(keys)
    for i in range(len(keys) - 2):
        assert linking._trigram_key(tuple(keys[i : i + 3])) in _pure_trigram_keys(keys)


def test_minhash_permutations_are_the_seeded_draws():
    """The permutations written out in minhash.py are numpy's draws from their seed: the
    stored keys of every archive depend on them."""
    rng = np.random.default_rng(20110203)
    size = minhash.BANDS * minhash.ROWS
    multipliers = rng.integers(0, 1 << 63, size=size, dtype=np.uint64) * np.uint64(2) + 1
    assert minhash._A.tolist() == multipliers.tolist()
    assert minhash._B.tolist() == rng.integers(0, 1 << 63, size=size, dtype=np.uint64).tolist()
    assert minhash.band_keys([{"alpha", "beta", "gamma"}])[0][:2] == [
        -5877800008135083609,
        -1120861089746240165,
    ]


@needs_core
@given(st.lists(st.frozensets(words, max_size=25), max_size=12))
def test_band_keys_are_the_pure_ones(term_sets):
    compiled_keys = minhash.band_keys(term_sets)
    saved, minhash.core = minhash.core, None
    try:
        pure_keys = minhash.band_keys(term_sets)
    finally:
        minhash.core = saved
    assert compiled_keys == pure_keys
    assert [len(k) for k in compiled_keys] == [minhash.BANDS if s else 0 for s in term_sets]


def _pure_shape(word: str) -> str:
    saved, attribution.core = attribution.core, None
    try:
        return attribution._shape(word)
    finally:
        attribution.core = saved


@needs_core
@settings(max_examples=500)
@given(st.text(st.characters(blacklist_categories=("Cs",)), max_size=20))
def test_shape_is_the_pure_one(word):
    assert core.shape(word) == _pure_shape(word)


@needs_core
def test_shape_of_title_case_and_other_digits():
    for word in ["ǅemal", "Ⅻ", "١٢٣", "U.S.", "McDONALD's", "ΣΑΣ", "ß", "İstanbul", ""]:
        assert core.shape(word) == _pure_shape(word)


#: Pieces where the token pattern's alternatives meet: titles with and without their full stop
#: and a following space, dotted abbreviations, numbers with separators, hyphens, clitics of
#: both apostrophes, underscores, digits and spaces of other scripts, the end of a range.
_TOKEN_PIECES = st.sampled_from(
    [
        *attribution._TITLES.split("|"),
        "Mrs",
        "Sens",
        "mr",
        "MR",
        "U",
        "S",
        "e",
        "g",
        "Ⅻ",
        "١٢",
        "2008",
        "1,000",
        "3.5",
        "10:30",
        "x",
        "ß",
        "İ",
        "_",
        "a_b",
        ".",
        ",",
        ":",
        "-",
        "--",
        "'",
        "’",
        "s",
        "ll",
        "re",
        "ve",
        "d",
        "m",
        "t",
        "n",
        "sx",
        " ",
        "  ",
        "\n",
        "\u00a0",
        "\u2003",
        "\x1c",
        "\t",
        "“",
        "”",
        "!",
        "?",
        "(",
        "…",
    ]
)
token_text = st.one_of(
    st.lists(_TOKEN_PIECES, max_size=40).map("".join),
    st.text(st.characters(), max_size=120),  # lone surrogates included: the pattern takes them
)


def _pure_tokens(text: str, start: int, end: int) -> list[tuple[int, int]]:
    return attribution._token_spans(text, start, end)


@needs_core
@settings(max_examples=1500)
@given(token_text, st.data())
def test_tokens_are_the_patterns_matches(text, data):
    start = data.draw(st.integers(0, len(text)))
    end = data.draw(st.integers(start, len(text)))
    titles = attribution._TITLE_SET
    assert core.tokens(text, 0, len(text), titles) == _pure_tokens(text, 0, len(text))
    # a range: the end stands for the end of the text (lookahead and word boundary included)
    assert core.tokens(text, start, end, titles) == _pure_tokens(text, start, end)


@needs_core
def test_tokens_where_the_alternatives_meet():
    cases = [
        "Mr. Smith met Mrs. Jones and Mr.X in the U.S. on Jan. 5, at 10:30.",
        "Sen.\u00a0Kerry said the 1,000-strong force's 3.5% share wasn’t it; e.g. co-op's.",
        "the U.S.A. and U.S and A.B ’ll 'd 'dx ’tis rock'n'roll No. 5 No.5 Gen.",
        "١٢٫٣ ١٢,٣ Ⅻ.Ⅻ __init__ a-b-c- -a Mr.",
    ]
    titles = attribution._TITLE_SET
    for text in cases:
        for start, end in [(0, len(text)), (0, len(text) - 1), (3, len(text) - 2)]:
            assert core.tokens(text, start, end, titles) == _pure_tokens(text, start, end)
    assert attribution.tokenize("Mr. Smith's U.S. trip") == [
        (0, 3),
        (4, 9),
        (9, 11),
        (12, 16),
        (17, 21),
    ]


_KEY_PIECES = st.sampled_from(
    ["word", "it's", "don’t", "o'", "'s", "u.s.", "1,000", "3.5", "1.", ".5", "2,", "12,000.50",
     "a_b", "_", "é", "café", "naïve", "ﬁ", "١٢", "x²", "-", " ", "\n", ".", ",", "'", "’", "(",
     "[1]", "ok,", "e.g.", "Ⅻ"]
)  # fmt: skip
key_text = st.one_of(
    st.lists(_KEY_PIECES, max_size=30).map("".join),
    st.text(st.characters(), max_size=120),
)


@needs_core
@settings(max_examples=1000)
@given(key_text)
def test_word_keys_are_the_pure_ones(text):
    from provenance import alignment

    folded = text.casefold()
    assert core.word_keys(folded, alignment._word_key) == alignment._word_keys(folded)


_SIMILARITY_PIECES = st.sampled_from(
    ["U.S.", "U. S.", "U.S. A.", "U.S.A.", "U.SA.", "U.S", "XU.S.", "United States",
     "United States of America", "United States of Americans", "United Statesman", "the", "Page",
     "page 4", "Page\t12", "homepage 5", "- 4 -", "-12345-", "-1-", "123456", "12345", "1,000",
     "1,5", "a,b", "3.14", "1.2.3", "2.", "don't", "o'", "'s", "rock'n'roll", "_", "a_b", "-",
     "\n", " ", "\x1c", "\t", ".", ",", "(", "é", "’", "Ünited", "A.", "S.", "U", "of",
     "America", "inter-\nnational", "¶", "“", "”", "‘", "–", "—", "´", "…", "\u00a0", "ﬁ",
     "²", "ß", "\u0301", "•", "don’t", "U.S.’s", "¶1.", "\u2028"]
)  # fmt: skip
similarity_text = st.one_of(
    st.lists(_SIMILARITY_PIECES, max_size=24).map("".join),
    st.lists(_SIMILARITY_PIECES, max_size=24).map(" ".join),
    st.text(st.characters(max_codepoint=127), max_size=120),
    st.lists(st.one_of(_SIMILARITY_PIECES, st.text(max_size=3)), max_size=16).map("".join),
)


@needs_core
@settings(max_examples=1500)
@given(similarity_text)
def test_ascii_words_are_the_pure_ones_or_none(text):
    from provenance import similarity

    found = core.ascii_words(text, False)
    if found is not None:
        assert found == similarity._words(text)
    rewritten = similarity._rewrite(text)
    if rewritten.isascii():
        assert core.ascii_words(rewritten, True) == similarity._fold_words(rewritten)
    assert similarity.words(text) == similarity._words(text)


@needs_core
def test_words_of_text_layers_with_paragraph_signs_and_curly_quotes():
    from provenance import similarity

    text = "¶2. (C) The U.S.’s “offer” – 1,200 tonnes – was ´final´.\n¶3. Don’t."
    assert similarity._ascii_stand_ins(text) is None  # ´ decomposes: the patterns' path
    assert similarity.words(text) == similarity._words(text)
    text = text.replace("´", "")
    assert similarity._ascii_stand_ins(text) is not None
    assert similarity.words(text) == similarity._words(text) == [
        "2", "c", "the", "us", "s", "offer", "1200", "tonnes", "was", "final", "3", "dont"
    ]  # fmt: skip


@needs_core
def test_ascii_words_decline_what_they_do_not_rewrite():
    for text in ["inter-\nnational", "page 4 of 12", "1,000 troops", "café", "x 123456 y"]:
        assert core.ascii_words(text, False) is None
    assert core.ascii_words("café", True) is None
    assert core.ascii_words("The U.S. and the United States of America's", False) == [
        "the", "us", "and", "the", "us", "s"
    ]  # fmt: skip


def _viterbi_pure(state: np.ndarray, lengths: list[int], transition: np.ndarray) -> list:
    """The textbook recursion (crfsuite's tie rule: the first best label wins)."""
    out, row = [], 0
    size = transition.shape[0]
    for n in lengths:
        scores = list(state[row])
        back = []
        for t in range(1, n):
            step, links = [], []
            for y in range(size):
                values = [scores[x] + transition[x, y] for x in range(size)]
                best = values.index(max(values))
                links.append(best)
                step.append(values[best] + state[row + t, y])
            scores = step
            back.append(links)
        y = scores.index(max(scores))
        labels = [y]
        for links in reversed(back):
            y = links[y]
            labels.append(y)
        out.append(labels[::-1])
        row += n
    return out


@needs_core
@given(
    st.lists(st.integers(1, 9), min_size=1, max_size=6),
    st.integers(2, 7),
    st.integers(0, 2**32 - 1),
    st.booleans(),
)
def test_viterbi_is_crfsuites_recursion(lengths, size, seed, ties):
    rng = np.random.default_rng(seed)
    if ties:  # small integers: many equal paths, where the tie rule decides
        state = rng.integers(-2, 3, size=(sum(lengths), size)).astype(float)
        transition = rng.integers(-2, 3, size=(size, size)).astype(float)
    else:
        state = rng.normal(size=(sum(lengths), size))
        transition = rng.normal(size=(size, size))
    assert core.viterbi(state, lengths, transition) == _viterbi_pure(state, lengths, transition)


@needs_core
def test_viterbi_refuses_what_does_not_fit():
    with pytest.raises(ValueError):
        core.viterbi(np.zeros((3, 2)), [2], np.zeros((2, 2)))
    with pytest.raises(ValueError):
        core.viterbi(np.zeros((3, 2)), [3], np.zeros((3, 3)))
    with pytest.raises(ValueError):
        core.viterbi(np.zeros((3, 2), dtype=np.float32), [3], np.zeros((2, 2)))


#: Letters, digits of other scripts, underscores, Unicode spaces and the scorer's own symbols.
sentence_text = st.text(
    st.one_of(
        st.characters(blacklist_categories=("Cs",)),
        st.sampled_from(list("?!%$_ \t\n\u00a0\u2028\u3000\u0085\x1cİßK١Ⅻ")),
    ),
    max_size=120,
)


_MODELS: dict[bool, claims.ClaimModel] = {}


@contextmanager
def _scoring_path(compiled_path: bool):
    """The scorer runs the compiled core's loops, or (False) the pure-Python ones."""
    saved = claims.core
    claims.core = saved if compiled_path else None
    try:
        yield
    finally:
        claims.core = saved


def _scorer_rows(sentences, compiled_path: bool) -> list[bytes]:
    with _scoring_path(compiled_path):
        model = _MODELS.get(compiled_path) or _MODELS.setdefault(
            compiled_path, claims.ClaimModel.load()
        )
        model._char_cache.clear()  # the pure path's cache of n-gram ids starts empty
        rows = model._rows(sentences)
        return [bytes(r) for r in rows] + [model.decision(sentences).tobytes()]


@needs_core
@settings(max_examples=150, deadline=None)
@given(st.lists(sentence_text, max_size=8))
def test_the_scorers_features_are_the_pure_ones(sentences):
    assert _scorer_rows(sentences, True) == _scorer_rows(sentences, False)


def _shape(sentences, compiled_path: bool) -> bytes:
    with _scoring_path(compiled_path):
        return claims.shape_features(sentences).tobytes()


@needs_core
@settings(max_examples=150, deadline=None)
@given(st.lists(sentence_text, max_size=8))
def test_the_shape_counts_are_the_patterns(sentences):
    assert _shape(sentences, True) == _shape(sentences, False)


@needs_core
def test_the_shape_counts_of_lowering_and_other_digits():
    # "İ" lowers to "i" and a combining dot (not a word character): counted on the sentence
    # as written; "١٢" are decimal digits, "²" and "Ⅻ" are not (though they are \w).
    sentences = ["İstanbul 2008", "١٢ x² Ⅻ", "", "__ a_b -- 12,5%"]
    assert _shape(sentences, True) == _shape(sentences, False)
    assert claims.shape_features(sentences)[:, 2].tolist() == [0.4, 0.2, 0.0, 0.3]
    assert np.expm1(claims.shape_features(sentences)[:, 0]).round().tolist() == [2, 3, 0, 4]


def _rows_of(model, sentences, compiled_path: bool) -> list[bytes]:
    with _scoring_path(compiled_path):
        model._char_cache.clear()
        return [bytes(r) for r in model._rows(sentences)]


@needs_core
def test_the_cores_vocabularies_find_what_the_dicts_find():
    # A later duplicate takes the entry's place (as in a dict), an empty entry, characters
    # outside the basic plane, a bigram, padded n-grams and a word shorter than the n-grams.
    words = ["rose", "ölü", "rose", "", "𝔘nit", "rose 4", "%", "4"]
    chars = [" r", "ro", "se ", " 𝔘n", " a ", " ö", "ö", " ölü ", "lü"]
    arrays = {
        "word_vocab": np.array(words),
        "word_idf": np.ones(len(words)),
        "word_coef": np.linspace(-1, 1, len(words)),
        "char_vocab": np.array(chars),
        "char_idf": np.ones(len(chars)),
        "char_coef": np.linspace(1, -1, len(chars)),
        "intercept": np.array(0.0),
        "vec_words": np.array(["rose", "ölü", "rose"]),
        "vec_scores": np.array([0.1, 0.2, 0.3]),
    }
    model = claims.ClaimModel(arrays, {"version": "tiny", "threshold": 0.5})
    sentences = ["Rose 4 % a ÖLÜ 𝔘nit", "", "  ", "a", "rose rose? 𝔘NIT!"]
    compiled_rows = _rows_of(model, sentences, True)
    assert compiled_rows == _rows_of(model, sentences, False)
    first_word_ids = np.frombuffer(compiled_rows[1], dtype=np.int32).tolist()
    assert 2 in first_word_ids and 0 not in first_word_ids  # "rose" is the later entry
    assert {1, 4, 5, 6, 7} <= set(first_word_ids)


@needs_core
def test_the_scorers_features_on_real_sentences_and_a_full_cache(monkeypatch):
    from provenance.text import sentence_spans

    sentences = [t[a:b] for t in _texts() for a, b in sentence_spans(t)]
    assert len(sentences) > 80
    assert _scorer_rows(sentences, True) == _scorer_rows(sentences, False)
    monkeypatch.setattr(claims.ClaimModel, "CHAR_CACHE", 10)  # emptied again and again
    assert _scorer_rows(sentences, True) == _scorer_rows(sentences, False)


sqlite_values = st.one_of(
    st.none(),
    st.integers(-(2**63), 2**63 - 1),
    st.floats(allow_nan=True, allow_infinity=True),
    st.text(st.characters(blacklist_categories=("Cs",)), max_size=200),
    st.binary(max_size=300),
)


def _pure_row_digest(names, values):
    saved, binding.core = binding.core, None
    try:
        return binding.row_digest(names, values)
    finally:
        binding.core = saved


@needs_core
@settings(max_examples=400)
@given(st.dictionaries(st.text(min_size=1, max_size=8), sqlite_values, max_size=10))
def test_row_digests_are_the_pure_ones(row):
    names, values = list(row), tuple(row.values())
    assert core.row_digest(names, values) == _pure_row_digest(names, values)


@needs_core
def test_row_digests_of_escapes_blobs_and_odd_floats():
    rows = [
        (["a", "b", "c"], (1, "x", None)),
        (["z", "a"], ('é\u2028\x00\x1f"\\\n\t\x7f\b\f\r', 2.5)),
        (["k", "m"], (memoryview(b"abc"), bytearray(b""))),
        (["f", "g", "h", "i"], (float("nan"), float("inf"), -float("inf"), -0.0)),
        (["big", "small"], (2**63 - 1, -(2**63))),
        # long values go to hashlib's SHA-256, short ones to the core's own: both, and the
        # lengths around where one hands over to the other
        (["text", "blob"], ("é" * 3000 + "\n" * 7, bytes(range(256)) * 40)),
        *[(["t"], ("x" * k,)) for k in range(240, 262)],
        *[(["b"], (b"y" * k,)) for k in (255, 256, 257, 100_000)],
    ]
    for names, values in rows:
        assert core.row_digest(names, values) == _pure_row_digest(names, values)
    with pytest.raises(UnicodeEncodeError):
        core.row_digest(["a"], ("\ud800",))
    with pytest.raises(UnicodeEncodeError):
        _pure_row_digest(["a"], ("\ud800",))


def _texts() -> list[str]:
    from provenance import ingest
    from provenance.ingest.base import Hint

    texts = []
    for folder in (ROOT / "sources", ROOT / "tests" / "origins_fixtures"):
        for path in sorted(folder.iterdir()):
            record = ingest.extract(path.read_bytes(), Hint(name=path.name))
            texts += [record.text] + [child.text for child in record.children]
    return texts


@needs_core
def test_the_tagger_gives_the_pure_labels_and_vectors_on_real_text(monkeypatch):
    paragraphs_of = {
        text: [attribution.tokenize(text, start, end) for start, end in paragraph_spans(text)]
        for text in _texts()
    }
    results = {}
    for path in ("compiled", "pure"):
        if path == "pure":
            monkeypatch.setattr(attribution, "core", None)
        tagger = attribution._FastTagger(*attribution._load_tagger())
        monkeypatch.setattr(attribution, "_fast_tagger", lambda t=tagger: t)
        labels = [attribution.tag_paragraphs(t, p) for t, p in paragraphs_of.items()]
        results[path] = (labels, tagger.vectors[: len(tagger.keys)].copy())
    assert results["compiled"][0] == results["pure"][0]
    assert sum(len(p) for labels in results["pure"][0] for p in labels) > 1000
    assert np.array_equal(results["compiled"][1], results["pure"][1])


@needs_core
@settings(max_examples=200)
@given(st.integers(1, 40), st.integers(0, 2**32 - 1), st.booleans())
def test_the_accurate_taggers_decoding_is_the_pure_one(words, seed, biased):
    from provenance import semantic

    rng = np.random.default_rng(seed)
    labels = len(semantic.TAG_LABELS)
    # Rounded scores make ties, where both must keep the first best label.
    scores = np.round(rng.normal(0, 2, (words, labels)), 1)
    bias = np.round(rng.normal(0, 1, labels), 1) if biased else None
    compiled_path = semantic.decode(scores, bias)
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(semantic, "core", None)
        pure_path = semantic.decode(scores, bias)
    assert compiled_path == pure_path
    assert len(pure_path) == words and all(isinstance(k, int) for k in compiled_path)


def test_a_database_built_with_the_core_is_the_one_built_without(tmp_path):
    inputs = [str(ROOT / "sources"), str(ROOT / "tests" / "origins_fixtures")]
    databases = []
    for pure in ("0", "1"):
        db = tmp_path / f"pure-{pure}.db"
        env = {**os.environ, "PROVENANCE_PURE": pure}
        subprocess.run(
            [sys.executable, "-c", "from provenance.cli import main; main()", "add", *inputs]
            + ["--db", str(db), "--workers", "1", "-q"],
            check=True,
            cwd=ROOT,
            env=env,
        )
        databases.append(str(db))
    compare = subprocess.run(
        [sys.executable, str(ROOT / "scripts" / "same_database.py"), *databases],
        capture_output=True,
        text=True,
    )
    assert compare.returncode == 0, compare.stdout[-3000:]
    assert compare.stdout.startswith("same:")


# --- the quotation aligner's programme ----------------------------------------------------

_ORIGINAL_WORDS = st.sampled_from(
    "the port was closed on Monday he said they would pay for it GOB minister Qadhafi "
    "Gaddafi Suleiman Soliman 12 1,200 3.5 juris- diction inter- national of a an".split()
)
_QUOTE_EDITS = st.sampled_from(
    ["", "[Omar]", "[...]", "...", ". . .", "(U.S. government)", "[T]he", "fail(ing)", "[sic]",
     "never", "Gadhafi", "he", "they", "of"]
)  # fmt: skip


def _both_steps(quote: str, original: str) -> tuple:
    from provenance import alignment

    furniture = alignment.furniture_lines(original)
    items = alignment.quote_items(quote)
    toks = alignment.tokens(original, 0, len(original), furniture)
    return alignment._align_steps(items, toks), alignment._compiled_steps(items, toks)


@needs_core
@settings(max_examples=300, deadline=None)
@given(
    st.lists(_ORIGINAL_WORDS, min_size=1, max_size=40),
    st.lists(st.tuples(st.integers(0, 40), _QUOTE_EDITS), max_size=6),
    st.sampled_from([" ", "\n", "\n\n", "\nPage 4 of 9\n", " - 3 - "]),
    st.integers(0, 30),
    st.integers(0, 40),
)
def test_align_steps_are_the_programme_s(words, edits, gap, cut, length):
    # The compiled programme takes the same steps as the Python one, ties included, on
    # originals with page furniture, broken words and paragraph breaks, and quotes with every
    # editorial mark, changed, added and left-out words.
    original = " ".join(words[:cut]) + gap + " ".join(words[cut:])
    quoted = words[cut // 2 : cut // 2 + length] or words
    quoted = list(quoted)
    for at, edit in edits:
        if edit:
            quoted.insert(min(at, len(quoted)), edit)
        elif quoted:
            del quoted[min(at, len(quoted) - 1)]
    pure, fast = _both_steps(" ".join(quoted), original)
    assert fast == pure


@needs_core
def test_align_steps_on_the_project_s_quote_cases():
    originals = {
        "He said the port would close": "[Omar] said the port would close",
        "THE PORT WAS CLOSED ON MONDAY": "(T)he port was closed on Monday",
        "the port of Varno was closed on Monday": "the port . . . was closed on Monday",
        "Muammar al-Qadhafi was not at the meeting": "Muammar al-Gaddafi was not at the meeting",
        "THE NAVY HAS NOT AGREED TO THE JURIS-\nDICTION OF THE HARBOUR AUTHORITY": (
            "the navy has not agreed to the jurisdiction of the harbour"
        ),
        "the USG will pay for it": "the USG (U.S. government) will pay for it",
    }
    for original, quote in originals.items():
        pure, fast = _both_steps(quote, original)
        assert pure is not None and fast == pure
    text = (ROOT / "tests" / "fixtures" / "telegram.txt").read_text()
    sentence = next(s for s in text.split(".") if len(s.split()) > 12).strip()
    words = sentence.split()
    for quote in (
        " ".join(words),
        " ".join(words[:4] + ["..."] + words[7:]),
        " ".join(words[:3] + ["[they]"] + words[4:] + ["today"]),
    ):
        pure, fast = _both_steps(quote, text)
        assert fast == pure and pure is not None
