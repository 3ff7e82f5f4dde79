"""The text layer: normalisation, structure spans, sentence spans."""

import pytest

from provenance.text import TextBuilder, normal_key, normalise, selector, sentence_spans


@pytest.mark.parametrize(
    "raw",
    [
        "  A\u00a0line\r\nwith   spaces \r\n\r\n\r\n\r\nNext\tpara ",
        "Caf\u0065\u0301 au lait\u200b",
        "one\n\n\n\ntwo\n \n \nthree",
    ],
)
def test_normalise_is_idempotent(raw):
    once = normalise(raw)
    assert normalise(once) == once


def test_normalise_collapses_whitespace_and_composes_characters():
    assert normalise("Caf\u0065\u0301  au\u00a0lait\r\n\r\n\r\nok") == "Café au lait\n\nok"


def test_builder_records_exact_block_spans():
    builder = TextBuilder()
    builder.add("  Heading  ", "heading")
    builder.add("")  # empty blocks are dropped
    builder.add("First   paragraph.\nSecond line.")
    text = builder.text()
    heading, para = builder.structure
    assert text[heading.start : heading.end] == "Heading"
    assert text[para.start : para.end] == "First paragraph.\nSecond line."
    assert heading.kind == "heading" and para.kind == "paragraph"


def _sentences(text):
    return [text[a:b] for a, b in sentence_spans(text)]


def test_sentences_survive_abbreviations_and_initials():
    text = (
        "Gen. Sami Odeh met U.S. officials on Jan. 5 in Washington. "
        "John F. Kennedy was mentioned. Dr. Li agreed."
    )
    assert _sentences(text) == [
        "Gen. Sami Odeh met U.S. officials on Jan. 5 in Washington.",
        "John F. Kennedy was mentioned.",
        "Dr. Li agreed.",
    ]


def test_sentences_end_inside_closing_quotes():
    text = '"We cannot move," he said. "It is over." The ministry declined to comment.'
    assert _sentences(text) == [
        '"We cannot move," he said.',
        '"It is over."',
        "The ministry declined to comment.",
    ]


def test_decimals_do_not_split_and_headings_stand_alone():
    text = "Prices rose 2.4 percent in May.\n\nA heading without a full stop\n\nNext one."
    assert _sentences(text) == [
        "Prices rose 2.4 percent in May.",
        "A heading without a full stop",
        "Next one.",
    ]


def test_sentence_offsets_index_the_text():
    text = "  First one.  Second one!\n\nThird?"
    for start, end in sentence_spans(text):
        assert text[start:end] == text[start:end].strip()
        assert text[start:end]


def test_selector_gives_quote_and_position():
    text = "abc The claim here. def"
    sel = selector(text, 4, 19, context=3)
    assert sel == {
        "exact": "The claim here.",
        "prefix": "bc ",
        "suffix": " de",
        "start": 4,
        "end": 19,
    }


def test_normal_key_ignores_case_punctuation_and_quote_style():
    assert normal_key("The minister’s “plan”, he said.") == normal_key(
        "the minister's plan he said"
    )


@pytest.mark.parametrize(
    "text, expected",
    [
        (
            "The talks moved to the U.S. The ministry said nothing.",
            ["The talks moved to the U.S.", "The ministry said nothing."],
        ),
        (
            "They met at 3 p.m. on Friday with U.S. Army officers.",
            ["They met at 3 p.m. on Friday with U.S. Army officers."],
        ),
        (
            "The deal went to Acme Corp. But the board objected.",
            ["The deal went to Acme Corp.", "But the board objected."],
        ),
        (
            "Col. Ines Varga and Lt. Gen. Oskar Brandt (R-Fla.) arrived.",
            ["Col. Ines Varga and Lt. Gen. Oskar Brandt (R-Fla.) arrived."],
        ),
        ("See No. 5 in the annex. It is short.", ["See No. 5 in the annex.", "It is short."]),
        ("He waited... Then he left.", ["He waited...", "Then he left."]),
    ],
)
def test_sentences_after_abbreviations(text, expected):
    assert _sentences(text) == expected


def test_dashes_do_not_split_and_questions_in_quotes_do_not_end_a_sentence():
    text = "The port closed — but only for a week. “Why now?” the mayor asked. It reopened."
    assert _sentences(text) == [
        "The port closed — but only for a week.",
        "“Why now?” the mayor asked.",
        "It reopened.",
    ]


def test_list_items_and_lines_after_a_colon_stand_alone():
    text = (
        "The plan has three steps:\n1. Dredge the channel.\n2. Rebuild the quay\n- Reopen the port"
    )
    assert _sentences(text) == [
        "The plan has three steps:",
        "1. Dredge the channel.",
        "2. Rebuild the quay",
        "- Reopen the port",
    ]


def test_a_quotation_of_several_sentences_is_cut_at_each():
    text = "“We were told it would take three months. It took eight,” said the baker."
    assert _sentences(text) == [
        "“We were told it would take three months.",
        "It took eight,” said the baker.",
    ]
