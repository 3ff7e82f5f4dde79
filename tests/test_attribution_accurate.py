"""The accurate mode's attribution tagger: MiniLM fine-tuned on PolNeAR, run with onnxruntime."""

import hashlib
import sqlite3

import pytest

from provenance import attribution, semantic
from provenance.errors import ExtraNotInstalled

from .conftest import ROOT

needs_extra = pytest.mark.skipif(
    semantic._runtime() is None,
    reason=f"needs the accurate extra ({semantic.INSTALL_HINT})",
)

STORY = ROOT / "tests" / "attribution_fixtures" / "harbour-story.txt"
REPORTED = (
    "The north pier will stay closed until the end of March, the harbour master, Amara Quell,"
    " told reporters on Tuesday.\n\n"
    '"We cannot let ships berth there while the cracks are repaired," Quell said.'
)


@pytest.fixture
def tokenizer():
    if semantic._runtime() is None:
        pytest.skip(f"needs the accurate extra ({semantic.INSTALL_HINT})")
    return semantic._tokenizer(semantic._model_dir() / semantic.TOKENIZER_FILE, 10_000)


def test_without_the_extra_the_accurate_tagger_names_the_extra(monkeypatch):
    monkeypatch.setattr(semantic, "_runtime", lambda: None)
    semantic.attribution_tagger.cache_clear()
    try:
        with pytest.raises(ExtraNotInstalled, match=r"pip install 'provenance\[accurate\]'"):
            attribution.find_attributions(REPORTED, accurate=True)
    finally:
        semantic.attribution_tagger.cache_clear()


def test_the_default_path_does_not_need_the_extra(monkeypatch):
    monkeypatch.setattr(semantic, "_runtime", lambda: None)
    assert attribution.find_attributions(REPORTED)


def test_every_word_gets_the_pieces_inside_it(tokenizer):
    text = "Officials in St. Louis said the U.S. budget’s cuts hurt."
    words = attribution.tokenize(text)
    pieces = semantic.word_pieces(tokenizer, text, words)
    assert len(pieces) == len(words) and all(pieces)
    assert [tokenizer.decode(p) for p in pieces][:3] == ["officials", "in", "st."]


def test_a_long_paragraph_is_cut_into_chunks_at_sentence_ends(tokenizer):
    sentence = "The port authority said the pier would close for repairs next week. "
    text = sentence * 12
    words = attribution.tokenize(text)
    pieces = semantic.word_pieces(tokenizer, text, words)
    chunks = semantic.chunks(text, words, pieces, 40)
    assert chunks[0][0] == 0 and chunks[-1][1] == len(words)
    assert all(a[1] == b[0] for a, b in zip(chunks, chunks[1:], strict=False))  # no gaps
    assert all(sum(len(pieces[k]) for k in range(*c)) <= 40 for c in chunks)
    assert all(text[words[stop - 1][0] : words[stop - 1][1]] == "." for _, stop in chunks)


def test_a_sentence_longer_than_a_chunk_is_cut_between_words(tokenizer):
    text = " ".join(["officials"] * 30) + " said."
    words = attribution.tokenize(text)
    pieces = semantic.word_pieces(tokenizer, text, words)
    chunks = semantic.chunks(text, words, pieces, 8)
    assert len(chunks) > 1 and chunks[-1][1] == len(words)
    assert all(sum(len(pieces[k]) for k in range(*c)) <= 8 for c in chunks)


def test_a_word_without_pieces_continues_the_label_before_it():
    scores = semantic.np.eye(len(semantic.TAG_LABELS))
    b_q, i_q = semantic.TAG_LABELS.index("B-Q"), semantic.TAG_LABELS.index("I-Q")
    assert semantic.labels_from_scores(scores, [b_q, -1, 0, -1]) == ["B-Q", "I-Q", "O", "O"]
    assert i_q == b_q + 1


def test_decoding_never_continues_a_span_that_was_not_opened():
    labels = list(semantic.TAG_LABELS)
    scores = semantic.np.full((3, len(labels)), -5.0)
    scores[0, labels.index("O")] = 5.0
    for row in (1, 2):  # each word alone would read I-C: a cue continued from nothing
        scores[row, labels.index("I-C")] = 1.0
        scores[row, labels.index("B-C")] = 0.5
    decoded = [labels[k] for k in semantic.decode(scores)]
    assert decoded == ["O", "B-C", "I-C"]


def test_a_decoding_bias_moves_a_close_call_and_leaves_a_clear_one():
    labels = list(semantic.TAG_LABELS)
    scores = semantic.np.full((3, len(labels)), -5.0)
    scores[:, labels.index("O")] = 0.0
    scores[1, labels.index("B-C")] = 0.4  # a cue start, by a little
    scores[2, labels.index("B-C")] = 3.0  # a cue start, by a lot
    plain = [labels[k] for k in semantic.decode(scores)]
    assert plain == ["O", "B-C", "B-C"]
    bias = semantic.decoding_bias({"decoding_bias": {"B-C": -1.0}})
    assert bias is not None and bias[labels.index("B-C")] == -1.0 and bias.sum() == -1.0
    assert [labels[k] for k in semantic.decode(scores, bias)] == ["O", "O", "B-C"]
    positions = [0, 1, -1, 2]  # the same through labels_from_scores, a piece-less word too
    assert semantic.labels_from_scores(scores, positions, bias) == ["O", "O", "O", "B-C"]


def test_a_card_without_a_decoding_bias_decodes_plainly_and_an_unknown_label_is_refused():
    assert semantic.decoding_bias({}) is None
    assert semantic.decoding_bias({"decoding_bias": {}}) is None
    with pytest.raises(ValueError, match="B-X"):
        semantic.decoding_bias({"decoding_bias": {"B-X": 1.0}})


@needs_extra
def test_the_shipped_tagger_decodes_with_its_cards_bias(monkeypatch):
    tagger = semantic.AttributionTagger(threads=1)
    given = tagger.card["decoding_bias"]
    assert tagger.bias is not None
    assert {semantic.TAG_LABELS[k]: v for k, v in enumerate(tagger.bias) if v} == given
    labels = list(semantic.TAG_LABELS)
    target, value = next(iter(given.items()))

    def scores(ids):  # every piece: O, and the biased label closer than the bias
        out = semantic.np.full((len(ids), len(labels)), -5.0)
        out[:, labels.index("O")] = 0.0
        out[:, labels.index(target)] = -value / 2
        return out

    monkeypatch.setattr(tagger, "scores", scores)
    paragraph = attribution.tokenize(REPORTED, 0, REPORTED.index("\n"))
    with_bias = tagger.tag_paragraphs(REPORTED, [paragraph])[0]
    tagger.bias = None
    plain = tagger.tag_paragraphs(REPORTED, [paragraph])[0]
    assert with_bias != plain
    # the bias takes the label's side when positive, the other side when negative
    assert (target in plain) == (value < 0) and (target in with_bias) == (value > 0)


@needs_extra
def test_the_card_names_the_graph_by_sha256_the_data_and_the_licences():
    tagger = semantic.attribution_tagger()
    card = tagger.card
    assert card["version"] == attribution.ACCURATE_METHOD == tagger.version
    assert card["script"] == "scripts/train_attribution_finetuned.py"
    assert "Apache-2.0" in card["licence"] and "PolNeAR" in card["licence"]
    assert "train" in card["data"] and len(card["data_sha256"]) == 64
    graph = semantic._model_dir() / card["file"]
    assert card["outputs_sha256"][card["file"]] == hashlib.sha256(graph.read_bytes()).hexdigest()


@needs_extra
def test_the_accurate_tagger_finds_cue_source_and_content_with_exact_offsets():
    found = attribution.find_attributions(REPORTED, accurate=True)
    said = [a for a in found if REPORTED[a.cue[0] : a.cue[1]] in ("told", "said")]
    assert len(said) == 2
    for a in said:
        for start, end in (a.cue, a.mention, a.content, *a.content_parts):
            span = REPORTED[start:end]
            assert span and span == span.strip()
    told, quoted = sorted(said, key=lambda a: a.cue[0])
    assert "Amara Quell" in REPORTED[told.mention[0] : told.mention[1]]
    assert "north pier will stay closed" in REPORTED[told.content[0] : told.content[1]]
    assert quoted.agent == "Amara Quell"
    assert "ships berth there" in REPORTED[quoted.content[0] : quoted.content[1]]


@needs_extra
def test_add_accurate_records_the_taggers_version_on_attribution_rows(run, tmp_path):
    default_db, accurate_db = tmp_path / "default.db", tmp_path / "accurate.db"
    run("add", "--db", default_db, STORY, ok=True)
    run("add", "--db", accurate_db, STORY, "--accurate", ok=True)
    with sqlite3.connect(accurate_db) as conn:
        text = conn.execute("SELECT text FROM sources").fetchone()[0]
        rows = conn.execute(
            "SELECT cue_start, cue_end, cue, content_start, content_end, content, method"
            " FROM attributions"
        ).fetchall()
    with sqlite3.connect(default_db) as conn:
        default_methods = {m for (m,) in conn.execute("SELECT method FROM attributions")}
    assert rows and {r[-1] for r in rows} == {attribution.ACCURATE_METHOD}
    assert default_methods == {attribution.METHOD}
    for cue_start, cue_end, cue, content_start, content_end, content, _ in rows:
        assert text[cue_start:cue_end] == cue and text[content_start:content_end] == content
    assert run("verify", "--db", accurate_db).exit_code == 0
