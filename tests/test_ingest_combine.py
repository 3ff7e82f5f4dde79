"""Main text from two extractors: the rule that trims, falls back or keeps ours."""

from hypothesis import given
from hypothesis import strategies as st

from provenance.ingest.combine import Rule, combine

ARTICLE = [
    ("heading", "Harbour fees rise for the first time in a decade"),
    ("paragraph", "The port authority of Orvik raised its fees on Monday, citing repairs."),
    ("paragraph", "Shipping firms said the rise would be passed on to their customers."),
    ("paragraph", "The authority said the money would go to the north quay and its cranes."),
]
FURNITURE = [
    ("paragraph", "Get the latest news straight to your phone with our app."),
    ("paragraph", "© 2031 Orvik Courier. All rights reserved."),
]


def test_blocks_after_the_shared_article_that_trafilatura_left_out_are_trimmed():
    chosen = combine(ARTICLE + FURNITURE, ARTICLE[1:])
    assert chosen.blocks == ARTICLE
    assert chosen.method == "readability"
    assert chosen.signals["trimmed_blocks"] == 2


def test_long_blocks_and_headings_stay_even_where_trafilatura_lacks_them():
    long_note = ("paragraph", "An editor's note that runs long. " * 20)
    chosen = combine([("heading", "Notes")] + ARTICLE + [long_note], ARTICLE[1:])
    assert chosen.blocks[0] == ("heading", "Notes") and chosen.blocks[-1] == long_note


def test_when_the_two_disagree_ours_stands():
    other = [("paragraph", "A different story about a football match in another town.")]
    chosen = combine(ARTICLE + FURNITURE, other)
    assert chosen.blocks == ARTICLE + FURNITURE
    assert chosen.signals["agreement"] < Rule().agree_at_least


def test_trafilatura_is_taken_whole_when_ours_found_little():
    theirs = [("paragraph", "A long article paragraph about the harbour. " * 40)]
    chosen = combine(ARTICLE[:1], theirs)
    assert (chosen.blocks, chosen.method) == (theirs, "trafilatura")


def test_a_rule_that_trims_nothing_keeps_ours_whole():
    rule = Rule(trim_head_below=0, trim_tail_below=0)
    assert combine(ARTICLE + FURNITURE, ARTICLE[1:], rule).blocks == ARTICLE + FURNITURE


@given(st.lists(st.sampled_from(["a", "b", "c", "d"]), max_size=12), st.integers(1, 3))
def test_word_ngrams_are_every_run_of_n_words(words, n):
    from provenance.ingest.combine import _grams

    assert _grams(words, n) == {tuple(words[i : i + n]) for i in range(len(words) - n + 1)}
