"""Re-anchoring claims into a later capture: the regression cases, and their invariants.

The cases in ``fixtures/anchoring/cases.json`` were written for this project after the
failures reported against Hypothesis's anchoring: near-identical twin paragraphs, the same
quote with the same prefix and another suffix, very short quotes, moved paragraphs. Each says
which statuses are right and, when the claim is not orphaned, the paragraph and text it must
land on: a claim anchored anywhere else is a claim silently moved to the wrong place.
"""

import json

import pytest

from provenance.anchoring import Claim, reanchor, word_difference

from .conftest import FIXTURES

CASES = json.loads((FIXTURES / "anchoring" / "cases.json").read_text())["cases"]


def paragraph_starts(paragraphs):
    starts, offset = [], 0
    for paragraph in paragraphs:
        starts.append(offset)
        offset += len(paragraph) + 2
    return starts


def run_case(case):
    old, new = "\n\n".join(case["old"]), "\n\n".join(case["new"])
    text = case["claim"]["text"]
    start = -1
    for _ in range(case["claim"].get("occurrence", 0) + 1):
        start = old.index(text, start + 1)
    [anchor] = reanchor(old, new, [Claim(1, start, start + len(text), text)])
    return new, anchor


def wrong_place(case, new, anchor):
    """Why an anchor is wrong, or None when it is right."""
    expect = case["expect"]
    if anchor.status not in expect["accept"]:
        return f"status {anchor.status}, expected one of {expect['accept']}"
    if anchor.status == "orphaned":
        return None
    starts = paragraph_starts(case["new"])
    paragraph = max(i for i, s in enumerate(starts) if s <= anchor.start)
    if paragraph != expect["paragraph"]:
        return f"anchored in paragraph {paragraph}, expected {expect['paragraph']}"
    if anchor.text != expect["text"] or new[anchor.start : anchor.end] != anchor.text:
        return f"anchored on {anchor.text!r}"
    return None


@pytest.mark.parametrize("case", CASES, ids=[c["name"] for c in CASES])
def test_regression_case(case):
    new, anchor = run_case(case)
    assert wrong_place(case, new, anchor) is None, case["why"]


def test_no_claim_is_silently_re_anchored_to_the_wrong_place():
    wrong = {}
    for case in CASES:
        new, anchor = run_case(case)
        reason = wrong_place(case, new, anchor)
        if reason and anchor.status != "orphaned":
            wrong[case["name"]] = reason
    assert wrong == {}


def test_the_cases_cover_every_status():
    statuses = {run_case(case)[1].status for case in CASES}
    assert statuses == {"unchanged", "moved", "edited", "orphaned"}


def test_an_edited_claim_carries_its_new_span_and_difference():
    case = next(c for c in CASES if c["name"] == "twin-annotated-edited")
    new, anchor = run_case(case)
    assert anchor.status == "edited"
    assert new[anchor.start : anchor.end] == anchor.text
    assert anchor.difference == [{"op": "replace", "old": "12", "new": "9"}]
    assert 0.5 <= anchor.similarity < 1


def test_a_text_re_anchored_into_itself_is_unchanged_at_the_same_offsets():
    case = CASES[0]
    old = "\n\n".join(case["old"])
    claims = [
        Claim(i, s, s + len(t), t) for i, (s, t) in enumerate([(0, old[:20]), (90, old[90:140])])
    ]
    anchors = reanchor(old, old, claims)
    assert [(a.status, a.start, a.end) for a in anchors] == [
        ("unchanged", c.start, c.end) for c in claims
    ]


def test_every_claim_of_an_emptied_text_is_orphaned():
    old = "\n\n".join(CASES[0]["old"])
    anchors = reanchor(old, "", [Claim(1, 0, 10, old[:10])])
    assert [a.status for a in anchors] == ["orphaned"]


def test_word_difference_names_insertions_and_deletions():
    assert word_difference("The port is safe.", "The old port is not safe.") == [
        {"op": "insert", "old": "", "new": "old"},
        {"op": "insert", "old": "", "new": "not"},
    ]
    assert word_difference("It cost 4 million crowns.", "It cost crowns.") == [
        {"op": "delete", "old": "4 million", "new": ""}
    ]
