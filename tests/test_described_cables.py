"""A cable described by what it states (kind, year, post) and by what its passage reports.

The fixtures in tests/described_fixtures are invented, written for this suite: two cables of
2009 from the embassy in the fictional Velmora (a drought that emptied the silos at Brenn, and
an opposition congress), one of 2009 from the fictional Kestria (a wheat harvest), and a story
of 2011 by the fictional Osterlund Gazette that describes the first one as "A 2009 cable from
the U.S. embassy in Velmora" and retells what it says without quoting it. The project's
sample sources and tests/origins_fixtures are added first as the rest of an archive: how rare
a word is in the archive is what weighs it.
"""

import json
import shutil
import sqlite3
from pathlib import Path

import pytest

from provenance import citations

ROOT = Path(__file__).parent.parent
DESCRIBED = Path(__file__).parent / "described_fixtures"
DROUGHT = DESCRIBED / "01-cable-09VELMORA41.txt"
CONGRESS = DESCRIBED / "02-cable-09VELMORA57.txt"
HARVEST = DESCRIBED / "03-cable-09KESTRIA88.txt"
STORY = DESCRIBED / "04-story-osterlund-gazette.html"
DESCRIPTION = "A 2009 cable from the U.S. embassy in Velmora"


@pytest.fixture(scope="module")
def background(tmp_path_factory) -> Path:
    """An archive of the project's other invented sources, built once."""
    from click.testing import CliRunner

    from provenance.cli import cli

    path = tmp_path_factory.mktemp("background") / "background.db"
    inputs = [ROOT / "sources", ROOT / "tests" / "origins_fixtures"]
    result = CliRunner().invoke(cli, ["add", *map(str, inputs), "--db", str(path)])
    assert result.exit_code == 0, result.output
    sqlite3.connect(path).execute("PRAGMA wal_checkpoint(TRUNCATE)").connection.close()
    return path


@pytest.fixture
def archive(background, db_path) -> Path:
    shutil.copy(background, db_path)
    return db_path


def _added(run_json, *paths) -> dict[str, int]:
    return {Path(r["input"]).name: r["source_id"] for r in run_json("add", *paths)}


def _description(db_path, mention: str = DESCRIPTION) -> tuple[int | None, str | None, dict]:
    cited, method, evidence = (
        sqlite3.connect(db_path)
        .execute(
            "SELECT cited_source_id, method, evidence FROM citations WHERE mention = ?", (mention,)
        )
        .fetchone()
    )
    return cited, method, json.loads(evidence)


def test_a_cable_that_fits_the_description_and_holds_its_passage_is_the_one_described(
    run_json, archive
):
    ids = _added(run_json, DROUGHT, CONGRESS, HARVEST, STORY)
    cited, method, evidence = _description(archive)
    assert cited == ids[DROUGHT.name]
    assert method == citations.FIT_METHOD
    assert "content coverage" in evidence["signals"]
    assert evidence["score"] >= citations.MIN_COVERAGE  # the drought cable holds the passage
    assert evidence["runner_up"][0] == ids[CONGRESS.name]  # the other Velmora cable of 2009


def test_the_only_cable_that_fits_is_not_the_one_described_when_it_reports_something_else(
    run_json, archive
):
    _added(run_json, CONGRESS, HARVEST, STORY)  # the drought cable is not in the archive
    cited, _, evidence = _description(archive)
    assert cited is None
    assert evidence["unresolved"] == (
        "unresolved: 1 cable of 2009 from velmora fit; no quote evidence"
    )


def test_a_title_without_quotation_marks_names_the_cable(run_json, archive, tmp_path):
    story = tmp_path / "titled.html"
    story.write_text(
        "<html><head><meta charset='utf-8'><title>Silos</title></head><body><article>"
        "<p>This story is invented for the provenance test suite; the newspaper is fictional.</p>"
        "<p>In June 2009 the embassy sent a cable titled Drought Empties the Silos at Brenn to"
        " Washington, and nobody there read it.</p></article></body></html>",
        encoding="utf-8",
    )
    ids = _added(run_json, DROUGHT, CONGRESS, story)
    mention = "a cable titled Drought Empties the Silos at Brenn to Washington"
    cited, _, evidence = _description(archive, mention)
    assert cited == ids[DROUGHT.name]
    assert "title" in evidence["signals"]


# --- documents that arrive after the description -------------------------------------------

RECAP = DESCRIBED / "05-cable-09VELMORA66.txt"


def _telegram(folder: Path, serial: int, day: str, subject: str) -> Path:
    """A short invented cable of the Velmora embassy sent on ``day`` (``12 AUG 09``)."""
    path = folder / f"cable-{serial}.txt"
    path.write_text(
        f"P {day.split()[0]}0900Z {' '.join(day.split()[1:])}\nFM AMEMBASSY VELMORA\n"
        f"TO RUEHC/SECSTATE WASHDC PRIORITY 0600\n\nUNCLAS VELMORA {serial:06d}\n\n"
        f"SUBJECT: VELMORA: {subject}\n\n1. (U) An invented cable of the provenance test suite"
        f" about {subject.lower()}, numbered {serial}; the country is fictional.\n",
        encoding="utf-8",
    )
    return path


def _reason(db_path) -> tuple[str, list[int]]:
    cited, _, evidence = _description(db_path)
    assert cited is None
    return evidence["unresolved"], [c["source_id"] for c in evidence["candidates"]]


def _fitting(db_path) -> int | None:
    """The count kept up to date as documents arrive (``citations.fitting``)."""
    query = "SELECT fitting FROM citations WHERE mention = ?"
    return sqlite3.connect(db_path).execute(query, (DESCRIPTION,)).fetchone()[0]


def test_the_reason_of_an_unresolved_description_counts_the_cables_that_arrive_after_it(
    run_json, archive, tmp_path
):
    _added(run_json, STORY)
    assert _reason(archive)[0].startswith("unresolved: no stored cable of 2009 from velmora")
    first = _added(run_json, CONGRESS, HARVEST)  # a Velmora cable of 2009; one of Kestria
    reason, candidates = _reason(archive)
    assert reason == "unresolved: 1 cable of 2009 from velmora fit; no quote evidence"
    assert candidates == [first[CONGRESS.name]]
    subjects = ["PORT TAX", "RAILWAY BONDS", "FERRY STRIKE", "NEW CUSTOMS CHIEF"]
    later = [_telegram(tmp_path, 70 + i, f"1{i} AUG 09", s) for i, s in enumerate(subjects)]
    later.append(_telegram(tmp_path, 90, "14 JAN 10", "A CABLE OF 2010"))  # does not fit
    arrived = _added(run_json, *later)
    reason, candidates = _reason(archive)
    assert reason == "unresolved: 5 cables of 2009 from velmora fit; no quote evidence"
    assert candidates[0] == first[CONGRESS.name]
    assert set(candidates[1:]) == {arrived[p.name] for p in later[:4]}
    assert _fitting(archive) == 5


def test_a_description_is_resolved_when_the_cable_it_describes_arrives_after_it(run_json, archive):
    _added(run_json, CONGRESS, STORY)
    assert _description(archive)[0] is None
    ids = _added(run_json, DROUGHT)
    cited, method, _ = _description(archive)
    assert (cited, method) == (ids[DROUGHT.name], citations.FIT_METHOD)


def test_a_later_cable_that_reports_the_same_makes_the_description_doubtful_again(
    run_json, archive
):
    _added(run_json, DROUGHT, STORY)
    assert _description(archive)[0] is not None
    _added(run_json, RECAP)  # a Velmora cable of July 2009 that sums the drought cable up
    cited, method, evidence = _description(archive)
    assert cited is None and method == citations.DESCRIPTION_METHOD
    assert evidence["unresolved"].startswith("unresolved: 2 cables of 2009 from velmora fit")


def test_a_description_that_says_no_more_than_its_kind_is_not_counted_at_each_arrival(
    run_json, archive, tmp_path
):
    story = tmp_path / "vague.html"
    story.write_text(
        "<html><head><meta charset='utf-8'><title>Vague</title>"
        "<meta property='article:published_time' content='2011-05-02'></head><body><article>"
        "<p>This story is invented for the provenance test suite; the newspaper is fictional.</p>"
        "<p>A leaked State Department cable said the harbour was quiet.</p></article></body></html>",
        encoding="utf-8",
    )
    _added(run_json, story, DROUGHT, CONGRESS)
    mention = "A leaked State Department cable"
    _, _, evidence = _description(archive, mention)
    assert evidence["unresolved"] == (
        "unresolved: any stored cable fits (it states no date, post or author); no quote evidence"
    )
    query = "SELECT fitting FROM citations WHERE mention = ?"
    assert sqlite3.connect(archive).execute(query, (mention,)).fetchone()[0] is None
