"""A reprint cut short is a rendition of the story it reprints; stories that only share
boilerplate or a quoted paragraph are not.

The fixtures in tests/reprint_fixtures are invented, written for this suite: a story of the
fictional agency Northbay News Service (nine paragraphs), The Coastal Daily's reprint of its
first six (the last cut short) under the same headline, two short Coastal Daily stories by
one reporter that end in the paper's long boilerplate, and a comment of The Harbour Post
that quotes one paragraph of the agency's story.
"""

import json
import sqlite3
from pathlib import Path

import pytest

from provenance import works

REPRINTS = Path(__file__).parent / "reprint_fixtures"
WIRE = REPRINTS / "01-wire-northbay-news-service.html"
REPRINT = REPRINTS / "02-reprint-coastal-daily.html"
LIGHTHOUSE = REPRINTS / "03-coastal-daily-lighthouse.html"
FISH_MARKET = REPRINTS / "04-coastal-daily-fish-market.html"
COMMENT = REPRINTS / "05-harbour-post-comment.html"
HEADLINE = "Ferry crews walk out over new port fees"


def _works(run_json, db_path, *paths) -> dict[str, int]:
    """Each file's work, by file name."""
    ids = {Path(r["input"]).name: r["source_id"] for r in run_json("add", *paths)}
    work = dict(sqlite3.connect(db_path).execute("SELECT id, work_id FROM sources"))
    return {name: work[source_id] for name, source_id in ids.items()} | {"ids": ids}


def _variant(tmp_path, name: str, **changes: str) -> Path:
    """The Coastal Daily's reprint with some of its words changed."""
    text = REPRINT.read_text(encoding="utf-8")
    for old, new in changes.items():
        assert old in text
        text = text.replace(old, new)
    path = tmp_path / f"{name}.html"
    path.write_text(text, encoding="utf-8")
    return path


@pytest.mark.parametrize("reprint_first", [False, True])
def test_a_reprint_cut_short_is_one_work_with_the_story_it_reprints(
    run_json, db_path, reprint_first
):
    order = [REPRINT, WIRE] if reprint_first else [WIRE, REPRINT]
    found = _works(run_json, db_path, *order)
    wire, reprint = found["ids"][WIRE.name], found["ids"][REPRINT.name]
    assert found[WIRE.name] == found[REPRINT.name] == wire  # the agency's story came first
    method, details = (
        sqlite3.connect(db_path)
        .execute("SELECT method, details FROM renditions WHERE method = ?", (works.TRIMMED_METHOD,))
        .fetchone()
    )
    details = json.loads(details)
    assert details["trimmed"] == reprint
    assert details["kept"] < works.MIN_CONTAINMENT  # it holds two thirds of the agency's words
    assert set(details["signals"]) == {"same headline", "credit"}


@pytest.mark.parametrize(
    "changes, signal",
    [
        ({HEADLINE: "Island commuters stranded as ferry crews strike"}, "credit"),
        ({"(Northbay News Service)": "(Calder)"}, "same headline"),
        (
            {
                HEADLINE: "Island commuters stranded as ferry crews strike",
                "(Northbay News Service)": "(Calder)",
                '<meta property="article': '<meta name="author" content="Anja Pell">\n<meta'
                ' property="article',
            },
            "same byline",
        ),
    ],
    ids=["another headline, the agency credited", "the same headline, no credit", "a byline"],
)
def test_one_sign_that_it_is_the_same_story_is_enough(run_json, db_path, tmp_path, changes, signal):
    variant = _variant(tmp_path, "variant", **changes)
    found = _works(run_json, db_path, WIRE, variant)
    assert found[WIRE.name] == found[variant.name]
    details = sqlite3.connect(db_path).execute("SELECT details FROM renditions").fetchone()[0]
    assert signal in json.loads(details)["signals"]


def test_a_text_cut_short_with_nothing_else_saying_it_is_the_same_story_is_apart(
    run_json, db_path, tmp_path
):
    variant = _variant(
        tmp_path,
        "unsigned",
        **{
            HEADLINE: "Island commuters stranded as ferry crews strike",
            "(Northbay News Service)": "",
        },
    )
    found = _works(run_json, db_path, WIRE, variant)
    assert found[WIRE.name] != found[variant.name]


def test_a_text_cut_short_dated_before_the_story_is_not_its_reprint(run_json, db_path, tmp_path):
    variant = _variant(tmp_path, "earlier", **{"2012-03-05T14:00:00": "2012-03-04T14:00:00"})
    found = _works(run_json, db_path, WIRE, variant)
    assert found[WIRE.name] != found[variant.name]


def test_two_stories_of_one_outlet_that_end_in_the_same_boilerplate_are_apart(run_json, db_path):
    # one reporter's two stories, the shorter published after the longer: the shorter lies
    # in the longer at 0.84, the longer in the shorter at 0.68 (the paper's long
    # boilerplate), but they do not begin alike
    found = _works(run_json, db_path, LIGHTHOUSE, FISH_MARKET)
    assert found[LIGHTHOUSE.name] != found[FISH_MARKET.name]


def test_a_story_that_quotes_a_paragraph_of_another_is_not_its_reprint(run_json, db_path):
    found = _works(run_json, db_path, WIRE, REPRINT, COMMENT)
    assert found[COMMENT.name] not in (found[WIRE.name], found[REPRINT.name])
