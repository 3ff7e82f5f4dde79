"""Dates as a reader sees them: a year alone is shown as its year, never as a first of January.

A cable's partial extract dated only by its file name's year is stored as ``2004-01-01``
(time's arrow reads a bare first of January as a year alone, see ``provenance.moments``);
`who`, `sources`, `trace` and the published site show "2004".
"""

from __future__ import annotations

import pytest

from provenance.moments import shown

from .publishing import build_database, published

PARTIAL = (
    "This record is a partial extract of the original cable. The full text of the original"
    " cable is not available.\n\nC O N F I D E N T I A L ORVIK 000712\n\nSUBJECT: FERRIES\n"
    "\n1. (C) Fictional telegram written for the provenance test suite.\n\n2. (C) The Orvik"
    " ferry authority raised fares by 40 percent in March, costing commuters 12 million crowns"
    " a year, the harbour minister told the opposition leader.\nPENN\n"
)


@pytest.mark.parametrize(
    ("stored", "day", "full"),
    [
        ("2004-01-01", "2004", "2004"),
        ("2004-01-01T00:00:00Z", "2004", "2004"),
        ("2004-01-02", "2004-01-02", "2004-01-02"),
        ("2004-01-01T09:30:00Z", "2004-01-01", "2004-01-01T09:30:00Z"),
        ("2004-03-05T10:00:00+02:00", "2004-03-05", "2004-03-05T10:00:00+02:00"),
        (None, "undated", "undated"),
    ],
)
def test_a_year_alone_is_shown_as_its_year(stored, day, full):
    assert shown(stored) == day
    assert shown(stored, full=True) == full


@pytest.fixture
def extract(tmp_path):
    path = tmp_path / "04ORVIK712.txt"  # the year comes from the file's name alone
    path.write_text(PARTIAL, encoding="utf-8")
    return path


def test_who_and_sources_show_the_year_of_a_year_alone(run, run_json, extract):
    [added] = run_json("add", extract)
    assert run_json("show", added["source_id"])["published"] == "2004-01-01"  # as stored
    table = run("who", "the Orvik ferry authority raised fares by 40 percent").stdout
    assert "2004-01-01" not in table
    row = next(line for line in table.splitlines() if "04ORVIK712" in line)
    assert row.split()[1] == "2004"
    listing = run("sources").stdout
    assert "2004-01-01" not in listing
    assert "2004" in next(line for line in listing.splitlines() if "04ORVIK712" in line)


@pytest.mark.asyncio
async def test_the_site_shows_the_year_of_a_year_alone(tmp_path, extract):
    path = build_database(tmp_path / "site.db", extract)
    ds = published(path)
    html = (await ds.client.get("/site/-/source/1")).text
    line = html[html.index('<p class="source-line">') :]
    line = line[: line.index("</p>")]
    assert "published 2004 " in line + " " and "2004-01-01" not in line
