"""Who reported first when a source gives its day but not its time.

A day alone says nothing of the hour: a story dated 2 July cannot be put before or after one
of 09:00 that day. "Who reported first" calls them tied and says so; a source that states its
time goes first among them because it states it; stories of one day that all give their
times are ordered by them. The stories below are invented for this suite; the outlets (The
Thames Ledger, The Bay Courier, The Harbour Post) are fictional.
"""

import sqlite3
from pathlib import Path

import pytest

from provenance import moments

SENTENCE = (
    "At least 40 crossings between Velmora and Kestria were cancelled in June because the"
    " ferry crews could not pay for fuel."
)
OUTLETS = ["The Thames Ledger", "The Bay Courier", "The Harbour Post"]


#: More of the same story, so that two outlets' pages of it are renditions of one work.
MORE = (
    "The harbour board of Brenn said the repairs to the north quay would take at least three"
    " weeks, and that the ferry company had been told in March. Traders on the island said"
    " they would bring goods over on fishing boats until the ferry runs again, and the"
    " ministry promised to pay the fishermen for the fuel. The last closure of the harbour,"
    " in the winter of 2009, lasted five weeks and left the island short of bread and milk."
)


def _story(folder: Path, outlet: str, published: str, more: str = "") -> Path:
    path = folder / f"{outlet.split()[-1].lower()}.html"
    path.write_text(
        f"""<!DOCTYPE html><html lang="en"><head><meta charset="utf-8">
<title>Ferry to stop - {outlet}</title>
<meta property="og:site_name" content="{outlet}">
<meta property="article:published_time" content="{published}"></head>
<body><article><h1>Ferry to stop, {outlet} learns</h1>
<p>This is an invented story written for the provenance test suite; {outlet} is fictional.</p>
<p>{SENTENCE}</p>
<p>Passengers of {outlet} wrote in to ask when it would run again.</p>
<p>{more}</p>
</article></body></html>""",
        encoding="utf-8",
    )
    return path


def _add(run_json, tmp_path, dates: list[str]) -> list[int]:
    """The stories of the three outlets, dated so, added in that order; their source ids."""
    paths = [_story(tmp_path, o, d) for o, d in zip(OUTLETS, dates, strict=False)]
    return [r["source_id"] for r in run_json("add", *paths)]


def _who(run_json) -> list[tuple[int, str]]:
    return [(r["source_id"], r.get("first")) for r in run_json("who", SENTENCE)]


def test_a_story_with_a_day_alone_is_tied_with_a_story_of_that_day_that_gives_its_time(
    run_json, tmp_path
):
    day_only, timed = _add(run_json, tmp_path, ["2012-07-02", "2012-07-02T09:00:00Z"])
    # the story that states its time leads; neither is known to be first
    assert _who(run_json) == [(timed, "tied"), (day_only, "tied")]


def test_stories_of_one_day_that_give_their_times_are_ordered_by_them(run_json, tmp_path):
    later, earlier = _add(run_json, tmp_path, ["2012-07-02T15:00:00Z", "2012-07-02T09:00:00Z"])
    assert _who(run_json) == [(earlier, "first"), (later, "later")]


def test_a_day_alone_before_the_day_of_a_time_is_first(run_json, tmp_path):
    timed, day_only = _add(run_json, tmp_path, ["2012-07-02T09:00:00Z", "2012-07-01"])
    assert _who(run_json) == [(day_only, "first"), (timed, "later")]


def test_the_text_output_says_which_came_first_is_not_known(run, run_json, tmp_path):
    _add(run_json, tmp_path, ["2012-07-02", "2012-07-02T09:00:00Z"])
    out = run("who", SENTENCE, ok=True).stdout
    assert "ranks 1 and 2 may each be the first" in out
    shown = run("who", SENTENCE, "--limit", "1", ok=True).stdout
    assert "rank 1 may not be the first" in shown and "ranks" not in shown


def test_trace_repeats_the_story_known_to_be_earlier_and_names_the_one_that_may_be(
    run_json, tmp_path, db_path
):
    # the claim of 15:00 repeats the story of 09:00; the story dated 2 July alone may have
    # come before either, or after both
    day_only, morning, afternoon = _add(
        run_json, tmp_path, ["2012-07-02", "2012-07-02T09:00:00Z", "2012-07-02T15:00:00Z"]
    )
    [(claim,)] = sqlite3.connect(db_path).execute(
        "SELECT id FROM claims WHERE source_id = ? AND text = ?", (afternoon, SENTENCE)
    )
    [_, step] = run_json("trace", claim)
    assert (step["relation"], step["source_id"]) == ("repeats", morning)
    assert [t["source_id"] for t in step["tied"]] == [day_only]


@pytest.mark.parametrize("day_only_first", [True, False])
def test_a_work_is_filed_under_the_rendition_that_gives_its_time_of_that_day(
    run_json, tmp_path, db_path, day_only_first
):
    dates = ["2011-05-10", "2011-05-10T14:00:00Z"]
    paths = [_story(tmp_path, o, d, MORE) for o, d in zip(OUTLETS, dates, strict=False)]
    order = paths if day_only_first else paths[::-1]
    ids = {Path(r["input"]).name: r["source_id"] for r in run_json("add", *order)}
    work = dict(sqlite3.connect(db_path).execute("SELECT id, work_id FROM sources"))
    day_only, timed = (ids[p.name] for p in paths)
    assert work[day_only] == work[timed] == timed


@pytest.mark.parametrize(
    "dates, marks",
    [
        (["2012-07-02T09:00:00Z", "2012-07-02"], ["tied", "tied"]),
        (["2012-07-02T09:00:00Z", "2012-07-02T15:00:00Z", "2012-07-02"], ["tied", "later", "tied"]),
        (["2012-07-01", "2012-07-02T09:00:00Z", None], ["first", "later", "undated"]),
        (["2012-07-02", "2012-07-02"], ["tied", "tied"]),
        ([None], ["undated"]),
    ],
)
def test_first_reporters(dates, marks):
    assert sorted(dates, key=moments.order_key) == dates
    assert moments.first_reporters(dates) == marks


def test_the_order_in_sql_is_the_order_in_python():
    values = ["2012-07-02", "2012-07-02T09:00:00Z", "2012-07-02T15:00:00+02:00", None,
              "2012-07-01T23:30:00-05:00", "2012-07-02T12:00:00", "2012-07-01"]  # fmt: skip
    conn = sqlite3.connect(":memory:")
    conn.execute("CREATE TABLE t (published)")
    conn.executemany("INSERT INTO t VALUES (?)", [(v,) for v in values])
    order = moments.order_sql("published")
    in_sql = [r[0] for r in conn.execute(f"SELECT published FROM t ORDER BY {order}")]
    assert in_sql == sorted(values, key=moments.order_key)


def test_claim_reports_sort_a_day_alone_after_the_timed_reports_of_that_day(tmp_path, db_path):
    """The view's ``other_order`` sorts as ``who`` ranks: of one day, the reports that state
    their time first (``other_moment`` as text put the day alone first)."""
    from provenance import pipeline
    from provenance.db import open_db

    claim = (
        "<p>The harbour authority raised mooring fees by 14 percent on Monday, according to"
        " a notice posted at the quay.</p>"
    )
    pages = {
        "daily.html": ("The Daily (invented)", "2024-05-06"),
        "wire.html": ("The Wire (invented)", "2024-05-06T09:00:00+02:00"),
        "weekly.html": ("The Weekly (invented)", "2024-05-05T23:30:00Z"),
    }
    for name, (outlet, published) in pages.items():
        (tmp_path / name).write_text(
            f"<html><head><title>Fees | {outlet}</title><meta property="
            f'"article:published_time" content="{published}"></head><body><article>'
            f"<h1>Fees at the quay</h1><p>{outlet} reports from the town quay.</p>{claim}"
            "</article></body></html>",
            encoding="utf-8",
        )
    db = open_db(db_path)
    list(pipeline.add(db, [str(tmp_path / name) for name in pages]))
    conn = db.conn
    [claim_id] = [
        r[0]
        for r in conn.execute(
            "SELECT c.id FROM claims c JOIN sources s ON s.id = c.source_id"
            " WHERE c.text LIKE 'The harbour authority%' AND s.title LIKE '%Daily%'"
        )
    ]
    rows = conn.execute(
        "SELECT other_title FROM claim_reports WHERE claim_id = ? ORDER BY other_order",
        (claim_id,),
    ).fetchall()
    assert [r[0] for r in rows] == ["Fees | The Weekly (invented)", "Fees | The Wire (invented)"]
    rows = conn.execute(
        "SELECT other_title FROM claim_reports WHERE claim_id IN (SELECT c.id FROM claims c"
        " JOIN sources s ON s.id = c.source_id WHERE s.title LIKE '%Weekly%'"
        " AND c.text LIKE 'The harbour%') ORDER BY other_order"
    ).fetchall()
    # 07:00 UTC on the 6th (the Wire) before the 6th with no time (the Daily)
    assert [r[0] for r in rows] == ["Fees | The Wire (invented)", "Fees | The Daily (invented)"]
