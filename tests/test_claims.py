"""Check-worthiness: the shipped model, its rules, claim kinds and `provenance score`."""

import json
import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from provenance import claims
from provenance.claims import ClaimModel, char_ngrams, score_sentences, score_text

STATEMENTS = [
    "Unemployment in the valley fell to 4.1 percent in 2019, the lowest rate since 1969.",
    "The council spent 2.4 million pounds on the bridge repairs last year.",
    "Farm exports to the north doubled between 2010 and 2015.",
]
NOT_CLAIMS = [
    "Subscribe to our newsletter for daily harbour news.",
    "What happens to the trawler fleet now?",
    "I think this is a wonderful town and we should be proud of it.",
    "Thank you all for coming tonight.",
]


def test_the_shipped_model_loads_from_plain_arrays_and_names_its_version():
    model = claims.model()
    assert model.version == claims.MODEL_VERSION and model.version
    assert 0 < model.threshold < 1
    assert "ClaimBuster" in model.card["data"] and model.card["script"]


def test_factual_statements_score_above_boilerplate_questions_and_opinion():
    scores = score_sentences(STATEMENTS + NOT_CLAIMS)
    statements, others = scores[: len(STATEMENTS)], scores[len(STATEMENTS) :]
    assert min(statements) > max(others)
    assert all(claims.is_claim(s) for s in statements)
    assert not any(claims.is_claim(s) for s in others)


def test_a_batch_scores_each_sentence_as_alone():
    batch = score_sentences(STATEMENTS + NOT_CLAIMS)
    one_by_one = [score_sentences([s])[0] for s in STATEMENTS + NOT_CLAIMS]
    assert np.allclose(batch, one_by_one)


def test_repeated_words_count_once_each_but_still_count():
    model = claims.model()
    once, twice = model.decision(["The port closed.", "The port closed. The port closed."])
    assert once != twice


def test_char_ngrams_pad_the_word_and_stop_at_its_length():
    assert char_ngrams("ab") == [" a", "ab", "b ", " ab", "ab ", " ab "]


def test_an_empty_batch_scores_nothing():
    assert score_sentences([]) == []


def test_a_model_from_other_arrays_gives_other_scores(tmp_path):
    # Flipping every coefficient must flip every decision: inference reads the arrays.
    model = claims.model()
    arrays = {
        "word_vocab": np.array(list(model._words)),
        "word_idf": model._word_idf,
        "word_coef": -model._word_coef,
        "char_vocab": np.array(list(model._chars)),
        "char_idf": model._char_idf,
        "char_coef": -model._char_coef,
        "intercept": np.array(-model._intercept),
    }
    if model._vec is not None:
        arrays["vec_words"] = np.array(list(model._vec))
        arrays["vec_scores"] = -model._vec_scores
    if model._shape is not None:
        arrays["shape_coef"] = -model._shape
    np.savez(tmp_path / claims.MODEL_FILE, **arrays)
    (tmp_path / claims.CARD_FILE).write_text(json.dumps({"version": "flipped", "threshold": 0.5}))
    flipped = ClaimModel.load(tmp_path)
    assert flipped.version == "flipped"
    assert np.allclose(flipped.decision(STATEMENTS), -model.decision(STATEMENTS))


def test_shape_features_count_words_and_figures():
    rows = claims.shape_features(["Exports rose 4.5 percent in 2019.", "No figures here", ""])
    assert rows.shape == (3, 3)
    # \w+ runs: Exports, rose, 4, 5, percent, in, 2019; digits: 4, 5, 2, 0, 1, 9
    assert rows[0].tolist() == pytest.approx([math.log(8), 1.0, 0.6])
    assert rows[1].tolist() == pytest.approx([math.log(4), 0.0, 0.0])
    assert rows[2].tolist() == [0.0, 0.0, 0.0]
    assert claims.shape_features(["1" * 25])[0].tolist() == pytest.approx([math.log(2), 1, 1])
    assert claims.shape_features([]).shape == (0, 3)


def test_the_shape_block_adds_its_weights_times_the_features():
    sentences = ["Exports rose 4 percent.", "Exports rose.", "Nothing known here at all today."]
    plain = _tiny_model(None)
    coef = np.array([0.5, -1.0, 2.0])
    shaped = _tiny_model(None, shape=coef)
    added = shaped.decision(sentences) - plain.decision(sentences)
    assert added.tolist() == pytest.approx((claims.shape_features(sentences) @ coef).tolist())
    assert len(set(np.round(added, 9).tolist())) == 3


def test_the_shipped_scorer_has_its_blocks():
    model = claims.model()
    card = model.card
    assert model.version == card["version"]
    assert (model._vec is not None) == (card.get("word_vectors") is not None)
    assert (model._shape is not None) == (card.get("shape") is not None)
    if model._vec is not None:
        assert len(model._vec) == card["features"]["word_scores"]


def test_packed_vocabularies_are_the_same_model(tmp_path):
    """The shipped file holds its vocabularies packed as UTF-8 lines: saved that way, a
    model with words of every script (and an empty vocabulary) loads the same entries and
    scores as from numpy's unicode arrays."""
    words = {"rose": 0.5, "percent": -1.0, "Zürich": 2.0, "東京": 0.25, "naïve": 1.5}
    arrays = {
        "word_vocab": np.array(list(words)),
        "word_idf": np.ones(5),
        "word_coef": np.array([0.5, 1.0, 0.1, 0.2, 0.3]),
        "char_vocab": np.array([], dtype=str),
        "char_idf": np.ones(0),
        "char_coef": np.zeros(0),
        "intercept": np.array(-0.25),
    }
    packed = claims.pack_vocabularies(arrays)
    assert "word_vocab" not in packed and packed["word_vocab_utf8"].dtype == np.uint8
    np.savez_compressed(tmp_path / claims.MODEL_FILE, **packed)
    (tmp_path / claims.CARD_FILE).write_text(json.dumps({"version": "packed", "threshold": 0.5}))
    loaded = ClaimModel.load(tmp_path)
    assert list(loaded._words) == list(words) and loaded._chars == {}
    plain = ClaimModel(arrays, {"version": "plain", "threshold": 0.5})
    sentences = ["Zürich rose 4 percent.", "東京 naïve", "Nothing known."]
    assert loaded.decision(sentences).tolist() == plain.decision(sentences).tolist()
    assert len(set(plain.decision(sentences).tolist())) == 3  # the words count
    with pytest.raises(ValueError, match="newline"):
        claims.pack_vocabularies({"word_vocab": np.array(["two\nlines"])})


def _tiny_model(words: dict[str, float] | None, shape: np.ndarray | None = None) -> ClaimModel:
    arrays = {
        "word_vocab": np.array(["rose", "percent"]),
        "word_idf": np.ones(2),
        "word_coef": np.array([0.5, 1.0]),
        "char_vocab": np.array([" r"]),
        "char_idf": np.ones(1),
        "char_coef": np.zeros(1),
        "intercept": np.array(-0.25),
    }
    if words is not None:
        arrays["vec_words"] = np.array(list(words))
        arrays["vec_scores"] = np.array(list(words.values()))
    if shape is not None:
        arrays["shape_coef"] = shape
    return ClaimModel(arrays, {"version": "tiny", "threshold": 0.5})


def test_the_word_table_adds_the_mean_score_of_the_words_it_has():
    sentences = ["Exports rose 4 percent.", "Exports exports rose.", "Nothing known here."]
    plain = _tiny_model(None).decision(sentences)
    with_table = _tiny_model({"exports": 0.6, "rose": -0.2}).decision(sentences)
    # the words the table has, repeats counted: (0.6 - 0.2) / 2, (0.6 + 0.6 - 0.2) / 3, none
    assert np.allclose(with_table - plain, [0.2, 1.0 / 3, 0.0])


@pytest.mark.parametrize(
    "sentence, kind",
    [
        ("Exports rose by 12 percent in March.", "statistic"),
        ("The mayor said “we will rebuild the quay before winter” at the meeting.", "quotation"),
        ("The quay collapsed in 2008.", "event"),
        ("The quay is the heart of the town.", "statement"),
    ],
)
def test_claim_kinds(sentence, kind):
    assert claims.claim_kind(sentence, attributed=False) == kind


def test_attributed_kind_needs_an_attribution():
    assert claims.claim_kind("The quay is old, the mayor says.", attributed=True) == "attributed"


# --- `provenance score` -------------------------------------------------------------------

TRANSCRIPT = (
    "Thank you all for coming tonight. Unemployment in the valley fell to 4.1 percent in "
    "2019, the lowest rate since 1969.\n\nWhat happens to the trawler fleet now?"
)


def test_score_json_contract_and_offsets(run, tmp_path):
    path = tmp_path / "transcript.txt"
    path.write_text(TRANSCRIPT, encoding="utf-8")
    result = run("score", path, "--json")
    assert result.exit_code == 0, result.stderr
    rows = json.loads(result.stdout)
    assert [set(r) for r in rows] == [{"text", "start", "end", "score", "is_claim"}] * 3
    for row in rows:
        assert TRANSCRIPT[row["start"] : row["end"]] == row["text"]
    assert [r["is_claim"] for r in rows] == [False, True, False]


def test_score_reads_standard_input_and_lines(tmp_path):
    from click.testing import CliRunner

    from provenance.cli import cli

    text = "The quay collapsed in 2008 after a storm. Two boats sank\nThank you.\n\n"
    result = CliRunner().invoke(cli, ["score", "-", "--lines", "--json"], input=text)
    rows = json.loads(result.stdout)
    assert [r["text"] for r in rows] == [
        "The quay collapsed in 2008 after a storm. Two boats sank",
        "Thank you.",
    ]
    assert [text[r["start"] : r["end"]] for r in rows] == [r["text"] for r in rows]


def test_score_stores_nothing(run, tmp_path, db_path):
    path = tmp_path / "t.txt"
    path.write_text(TRANSCRIPT, encoding="utf-8")
    result = run("score", path)
    assert result.exit_code == 0 and "claim" in result.stdout
    assert not db_path.exists()


def test_score_of_a_missing_file_is_one_line(run, tmp_path):
    result = run("score", tmp_path / "missing.txt")
    assert result.exit_code == 2
    assert "Traceback" not in result.output + result.stderr
    assert "does not exist" in result.stderr or "No such file" in result.stderr


def test_score_reads_a_page_or_a_pdf_as_add_does(run, run_json, fixtures):
    """Not the markup or the PDF's bytes: the text layer `add` stores, offsets into it."""
    for name in ("article.html", "report.pdf"):
        rows = json.loads(run("score", fixtures / name, "--json", ok=True).stdout)
        [added] = run_json("add", fixtures / name)
        text = run_json("show", added["source_id"])["text"]
        assert rows and all(text[r["start"] : r["end"]] == r["text"] for r in rows), name
        assert not any("<" in r["text"] or "%PDF" in r["text"] for r in rows)


def test_score_refuses_binary_data_in_one_line(run, tmp_path):
    junk = tmp_path / "junk.bin"
    junk.write_bytes(bytes(range(256)) * 8)
    result = run("score", junk)
    assert result.exit_code == 1
    assert result.stderr.strip() == f"Error: {junk}: binary data, not a text this tool can read"


def test_score_text_library_call_matches_the_cli_offsets():
    scored = score_text(TRANSCRIPT)
    assert [s.text for s in scored] == [TRANSCRIPT[s.start : s.end] for s in scored]


def test_a_measurement_or_reported_statement_is_kept_whatever_its_score():
    from provenance.analysis import keep_as_claim

    gauge = "The gauge at Pell Lock read 3.2 metres on Sunday, half a metre above the average."
    assert claims.states_figure(gauge)
    assert claims.states_figure("About 150 residents attended the meeting.")
    assert not claims.states_figure("The meeting was held on 28 April 2012 in the hall.")
    assert keep_as_claim(gauge, 0.0, 0.5, reported=False)
    assert keep_as_claim("The mayor went to the fair, she said.", 0.0, 0.5, reported=True)
    for sentence in NOT_CLAIMS:
        assert not keep_as_claim(sentence, 0.0, 0.5, reported=False)
    assert not keep_as_claim("Read more: 3 metres", 0.0, 0.5, reported=False)


# Lines of telegram furniture as they reach the text layer of invented cables when the header
# is not where the ingester looks for it.
TELEGRAM_FURNITURE = [
    "INFO LOG-00 NP-00 AID-00 ACQ-00 CIAE-00 INL-00 DS-00 EAP-00 EB-00 FAAE-00",
    "EMBASSY NORTHPORT MESSAGE NO. 12/04 E.O. 12958: DECL: 07/02/14 TAGS: PREL PHUM XX",
    "CLASSIFIED BY CDA HAROLD QUILL FOR REASONS 1.5 (B) AND (D).",
    "O 161036Z DEC 04 FM AMEMBASSY NORTHPORT TO SECSTATE WASHDC IMMEDIATE 0037",
    "Visit Embassy Northport's Classified Website: http://www.example.invalid/northport",
    "Visit Northport's Classified Web Site at http://www.example.invalid/p/northport",
    "This cable was coordinated with Embassy Lanternbay.",
    "THIS CABLE HAS BEEN CLEARED BY U/S QUILL.",
    "This message was co-drafted with USAID Northport.",
]


@pytest.mark.parametrize("line", TELEGRAM_FURNITURE)
def test_telegram_furniture_left_in_a_text_layer_is_never_a_claim(line):
    from provenance.analysis import keep_as_claim

    (score,) = score_sentences([line])
    assert claims.rule_factor(line) < 0.5
    assert not keep_as_claim(line, score, claims.model().threshold, reported=False)


def test_aircraft_and_statistics_are_not_mistaken_for_routing_codes():
    sentence = "The squadron flew B-52, F-16, F-15 and A-10 aircraft over the port in 2004."
    assert claims.rule_factor(sentence) == 1.0
    assert claims.rule_factor(STATEMENTS[0]) == 1.0


@pytest.mark.parametrize(
    "fragment",
    [
        "Posted on April 29, 2022",
        "Updated at 10:42 a.m. ET on March 3, 2021",
        "— Harbour Watch (@harbourwatch) January 24, 2020",
        "0\n2\n4\n6",
        "12 | 14.5 | 19",
    ],
)
def test_datelines_tweet_signatures_and_bare_numbers_are_never_claims(fragment):
    from provenance.analysis import keep_as_claim

    (score,) = score_sentences([fragment])
    assert not keep_as_claim(fragment, score, claims.model().threshold, reported=False)


def test_a_sentence_that_opens_like_a_dateline_but_states_a_fact_stays_a_claim():
    sentence = (
        "Published on the city's website on May 2, the audit found 40 percent of bridges unsafe."
    )
    assert claims.rule_factor(sentence) == 1.0
    # where a cable got what it says is no clearance line
    sentence = "This cable is based upon information gathered by the Econ section in Northport."
    assert claims.rule_factor(sentence) == 1.0


_RULE_PIECES = st.sampled_from(
    [
        "Cookies", "COOKIE", "sign up", "Log in", "login", "click HERE", "share this", "Share on",
        "follow us", "All Rights Reserved", "read more", "terms of use", "Terms of Service",
        "privacy policy", "related articles", "comments (12)", "12 comments", "Copyright", "©",
        "LOG-00", "NP-00", "AID-00", "B-52", "E.O. 12958", "E. O.12958", "TAGS:", "TAGS",
        "161036Z DEC 04", "161036Z", "Classified by", "CLASSIFIED BY", "reasons 1.4", "REASON 1.5",
        "Classified Website", "Classified Web Site", "claſſified", "ſubſcribe", "Ｚ", "the", "minister", "said", "?",
        "This cable", "THIS MESSAGE", "this telegram", "was", "has been", "cleared", "COORDINATED",
        "co-drafted", "prepared", "ThiS cAble",
        " ", ", ", "\n", "(b)", "1", "2004", ".", "’",
    ]
)  # fmt: skip


@settings(max_examples=600, deadline=None)
@given(
    st.one_of(
        st.lists(_RULE_PIECES, max_size=16).map(" ".join),
        st.lists(_RULE_PIECES, max_size=16).map("".join),
        st.text(max_size=120),
    )
)
def test_the_rules_checked_by_their_literals_are_the_patterns_rules(sentence):
    assert claims.rule_factor(sentence) == claims.rule_factor_by_the_patterns(sentence)


def test_the_rules_on_the_furniture_and_statements_above():
    for sentence in [*TELEGRAM_FURNITURE, *STATEMENTS]:
        assert claims.rule_factor(sentence) == claims.rule_factor_by_the_patterns(sentence)
