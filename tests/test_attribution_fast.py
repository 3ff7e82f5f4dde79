"""The array tagger gives the labels python-crfsuite gives for the same paragraphs."""

import random

import numpy as np
import pytest

from provenance import attribution

from .conftest import ROOT

FIXTURES = ROOT / "tests" / "attribution_fixtures"

NEWS = (
    "The port will stay closed until Friday, the harbour master, Amara Quell, said on Monday. "
    '"We cannot move a single ship," she told reporters. According to a report by the Tamsin '
    "River Authority, the dredging was halted after the gauge read 3.2 metres. Mr. Dahl, who "
    "spoke to the council, said that ‘nothing had changed’ since June. "
)
PARAGRAPHS = {
    "one sentence": "The minister said the talks would resume next week.",
    "telegram capitals": (
        "1. (C) THE FOREIGN MINISTER TOLD THE AMBASSADOR THAT THE GOVERNMENT WOULD NOT SIGN "
        "THE AGREEMENT BEFORE THE ELECTIONS, ACCORDING TO A SENIOR OFFICIAL."
    ),
    "straight quotes": '"We will not back down," Dahl said. "Not now, not ever."',
    "curly quotes": "“The harbour is safe,” said the director. “We checked it twice.”",
    "nested quotes": (
        "“He told me, ‘the cable was never sent,’ and I believed him,” the clerk said, "
        "adding that the embassy had 'no record' of it."
    ),
    "quote left open": "“The numbers do not add up, and everybody in this building knows it",
    "guillemets and dashes": "« Nous verrons » — the envoy said — was all he would offer.",
    "one token": "Yes",
    "one mark": "“",
    "long paragraph": NEWS * 12,
    "numbers and abbreviations": "Sen. Ted Cruz (R-Texas) said U.S. exports rose 4.5 % to $3,200.",
}


def crfsuite_labels(text: str, tokens: list[tuple[int, int]]) -> list[str]:
    return attribution.tag_paragraph_crfsuite(text, tokens)


@pytest.mark.parametrize("name", sorted(PARAGRAPHS))
def test_labels_equal_crfsuite_labels(name):
    text = PARAGRAPHS[name]
    tokens = attribution.tokenize(text)
    labels = attribution.tag_paragraph(text, tokens)
    assert len(labels) == len(tokens)
    assert labels == crfsuite_labels(text, tokens)


def test_empty_paragraphs_have_no_labels():
    assert attribution.tag_paragraph("", []) == []
    assert attribution.tag_paragraphs("", [[], []]) == [[], []]


def test_paragraphs_tagged_together_get_the_labels_they_get_alone():
    """A whole text at once (short, long and empty paragraphs side by side) gives each
    paragraph the labels crfsuite gives it alone."""
    text = "\n\n".join(PARAGRAPHS[name] for name in sorted(PARAGRAPHS))
    text += "\n\n" + NEWS * 40
    spans = attribution.paragraph_spans(text)
    paragraphs = [attribution.tokenize(text, a, b) for a, b in spans]
    paragraphs.insert(3, [])
    together = attribution.tag_paragraphs(text, paragraphs)
    assert [len(labels) for labels in together] == [len(p) for p in paragraphs]
    assert together == [crfsuite_labels(text, p) for p in paragraphs]
    assert any(label != "O" for labels in together for label in labels)


def test_fixture_texts_get_crfsuite_labels():
    for path in sorted(FIXTURES.glob("*.txt")):
        text = path.read_text(encoding="utf-8")
        paragraphs = [
            attribution.tokenize(text, a, b) for a, b in attribution.paragraph_spans(text)
        ]
        assert attribution.tag_paragraphs(text, paragraphs) == [
            crfsuite_labels(text, p) for p in paragraphs
        ]


def test_shuffled_words_get_crfsuite_labels():
    """Word salad from the fixtures (seeded): label sequences the model never saw whole."""
    vocabulary = attribution.tokenize(NEWS) + [(0, 0)]
    words = [NEWS[a:b] for a, b in vocabulary if b > a] + ['"', "“", "”", "said", "told", "."]
    rng = random.Random(7)
    for length in (2, 3, 17, 60, 250):
        text = " ".join(rng.choice(words) for _ in range(length))
        tokens = attribution.tokenize(text)
        assert attribution.tag_paragraph(text, tokens) == crfsuite_labels(text, tokens)


def test_state_scores_are_the_weights_of_the_feature_strings():
    """Each token's scores are the sum of the weights of the features ``token_features``
    gives it: the tables are derived from the same feature functions."""
    tagger = attribution._fast_tagger()
    text = PARAGRAPHS["nested quotes"] + " " + NEWS
    words = attribution._words_for_tagging(text, attribution.tokenize(text))
    scores = tagger.emissions([words])
    for token, features in enumerate(attribution.token_features(words)):
        expected = np.zeros(len(tagger.labels))
        for feature in features:
            if feature in tagger.attributes:
                expected += tagger.state[tagger.attributes[feature]]
        assert np.allclose(scores[token], expected, rtol=0, atol=1e-9)


def test_weights_read_from_the_model_match_crfsuite_info():
    tagger = attribution._fast_tagger()
    info = attribution._tagger().info()
    index = {label: i for i, label in enumerate(tagger.labels)}
    for (attribute, label), weight in info.state_features.items():
        assert tagger.state[tagger.attributes[attribute], index[label]] == pytest.approx(
            weight, abs=1e-6
        )
    for (first, second), weight in info.transitions.items():
        assert tagger.transition[index[first], index[second]] == pytest.approx(weight, abs=1e-6)


def test_attribute_names_read_from_the_model_are_crfsuites():
    tagger, model = attribution._load_tagger()
    info = tagger.info()
    names = attribution._read_attributes(model)
    assert {name: i for i, name in enumerate(names)} == {
        a: int(i) for a, i in info.attributes.items()
    }
    assert attribution._known_attributes() == {a for a, _ in info.state_features}


def test_word_cache_is_bounded():
    tagger = attribution._FastTagger(*attribution._load_tagger())
    tagger.MAX_WORDS = 50
    text = " ".join(f"word{i} said" for i in range(120))
    tokens = attribution.tokenize(text)
    words = attribution._words_for_tagging(text, tokens)
    for _ in range(3):
        assert tagger.tag([words[:80], words[80:]]) == [
            crfsuite_labels(text, tokens[:80]),
            crfsuite_labels(text, tokens[80:]),
        ]
        assert len(tagger.word_ids) <= tagger.MAX_WORDS + len(set(words))


def _raw_model() -> bytes:
    return attribution._resource(attribution.MODEL_FILE).read_bytes()


def _crfsuite_info(model: bytes):
    import pycrfsuite

    tagger = pycrfsuite.Tagger()
    tagger.open_inmemory(model)
    return tagger.info()


def test_a_decoding_bias_is_added_to_every_transition_into_its_label_and_nowhere_else():
    raw = _raw_model()
    before, after = (
        _crfsuite_info(raw),
        _crfsuite_info(attribution.with_decoding_bias(raw, {"B-C": 0.5, "I-C": -0.25})),
    )
    change = {pair: after.transitions[pair] - w for pair, w in before.transitions.items()}
    labels = {first for first, _ in change}
    assert {pair for pair, d in change.items() if d} == {
        (first, into) for first in labels for into in ("B-C", "I-C")
    }
    assert all(
        change[(first, into)] == pytest.approx(value)
        for first in labels
        for into, value in (("B-C", 0.5), ("I-C", -0.25))
    )
    assert after.state_features == before.state_features


def test_a_decoding_bias_for_a_label_the_model_lacks_is_refused():
    with pytest.raises(ValueError, match="B-X"):
        attribution.with_decoding_bias(_raw_model(), {"B-X": 1.0})


def test_both_taggers_read_the_cards_decoding_bias():
    bias = attribution.model_card()["decoding_bias"]
    tagger = attribution._fast_tagger()
    _, plain = attribution._read_weights(_raw_model(), len(tagger.labels), len(tagger.attributes))
    expected = plain.copy()
    for label, value in bias.items():
        expected[:, tagger.labels.index(label)] += value
    assert np.array_equal(tagger.transition, expected)
    crfsuite = attribution._tagger().info().transitions
    assert all(
        crfsuite[(first, second)] == pytest.approx(expected[i, j], abs=1e-6)
        for i, first in enumerate(tagger.labels)
        for j, second in enumerate(tagger.labels)
    )
