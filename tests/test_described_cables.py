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
