"""What a later source may change in the rows of earlier ones, and `verify` holding it to that.

A later `add` legitimately binds again rows of earlier sources (it resolves their citations,
traces their quotations, merges works and clusters). Someone holding the file can plant a
trigger that edits an earlier source's rows while an archivist's `add` runs, so that the add
binds the edit, then drop the trigger: `verify` must fail, even against a head published
before the add, naming the table, the row, the column and both events.
"""

from __future__ import annotations

import json
import re
import sqlite3
from pathlib import Path

import pytest
from click.testing import CliRunner

from provenance import binding
from provenance.cli import cli

TESTS = Path(__file__).parent
FIXTURES = TESTS / "fixtures"
QUOTES = TESTS / "linking_fixtures" / "quotes"
CITATIONS = TESTS / "linking_fixtures" / "citations"
ORIGINS = TESTS / "origins_fixtures"


def invoke(*args: object) -> tuple[int, str]:
    result = CliRunner().invoke(cli, [str(a) for a in args])
    return result.exit_code, result.output


def add(db: Path, *inputs: object) -> None:
    code, output = invoke("add", "--db", db, *inputs)
    assert code in (0, 1), output


def head(db: Path) -> str:
    code, output = invoke("head", "--db", db)
    assert code == 0, output
    return output.split()[0]


def verify(db: Path, *args: object) -> dict:
    code, output = invoke("verify", "--db", db, "--json", *args)
    report = json.loads(output)
    assert code == (0 if report["ok"] else 1)
    return report


def messages(report: dict) -> list[str]:
    return [p["message"] for p in report["problems"]]


def copy(db: Path, to: Path) -> Path:
    """A copy of the archive (through SQLite: its WAL comes along)."""
    source = sqlite3.connect(db)
    target = sqlite3.connect(to)
    source.backup(target)
    source.close()
    target.close()
    return to


def plant(db: Path, table: str, edit: str) -> None:
    """What someone holding the file does: a trigger that runs ``edit`` on the archivist's
    connection when the next add inserts into ``table``."""
    conn = sqlite3.connect(db, isolation_level=None)
    conn.execute(f"CREATE TRIGGER planted AFTER INSERT ON {table} BEGIN {edit}; END")
    conn.close()


def unplant(db: Path) -> None:
    conn = sqlite3.connect(db, isolation_level=None)
    conn.execute("DROP TRIGGER planted")
    conn.close()


@pytest.fixture(scope="module")
def base(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A cable, a story quoting it (quotations traced, attributions, citations resolved), a
    failure."""
    db = tmp_path_factory.mktemp("rebinding") / "base.db"
    add(db, QUOTES / "01-cable-10TESSALY88.txt")
    add(db, QUOTES / "03-story-tessaly-courier.html", db.parent / "missing.txt")
    assert verify(db)["ok"]
    return db


EDITS = [
    ("sources", 1, "published", "UPDATE sources SET published = '1999-01-01' WHERE id = 1"),
    ("sources", 1, "author", "UPDATE sources SET author = 'Nobody' WHERE id = 1"),
    ("claims", 1, "prefix", "UPDATE claims SET prefix = 'forged ' WHERE id = 1"),
    ("claims", 2, "paragraph", "UPDATE claims SET paragraph = paragraph + 5 WHERE id = 2"),
    ("quotes", 1, "start, end", "UPDATE quotes SET start = start + 4, end = end + 4 WHERE id = 1"),
    ("attributions", 1, "agent_id", "UPDATE attributions SET agent_id = 2 WHERE id = 1"),
    ("citations", 1, "mention", "UPDATE citations SET mention = 'a forged cable' WHERE id = 1"),
]


@pytest.mark.parametrize("table, key, columns, edit", EDITS, ids=[e[2] for e in EDITS])
@pytest.mark.parametrize("published", [True, False], ids=["--head", "no head"])
def test_an_earlier_row_edited_during_a_later_add_fails(
    base, tmp_path, table, key, columns, edit, published
):
    db = copy(base, tmp_path / "archive.db")
    before = head(db)
    plant(db, "sources", edit)
    add(db, FIXTURES / "article.html")
    unplant(db)
    report = verify(db, *(["--head", before] if published else []))
    assert len(report["problems"]) == 1, messages(report)
    message = messages(report)[0]
    assert message.startswith(f"{table} row {key}: column {columns} changed by event 4 (add)")
    assert re.search(r"after event \d \(add\) bound the row", message)


def test_an_earlier_row_deleted_during_a_later_add_fails(base, tmp_path):
    db = copy(base, tmp_path / "archive.db")
    before = head(db)
    plant(db, "sources", "DELETE FROM attributions WHERE id = 3")
    add(db, FIXTURES / "article.html")
    unplant(db)
    report = verify(db, "--head", before)
    assert [p["check"] for p in report["problems"]] == ["rows"]
    assert messages(report)[0].startswith(
        "attributions row 3: deleted by event 4 (add) after event 1 (add) bound the row; "
        "an add never deletes attributions rows"
    )


def test_an_earlier_failure_edited_by_a_later_failure_fails(base, tmp_path):
    db = copy(base, tmp_path / "archive.db")
    before = head(db)
    plant(db, "failures", "UPDATE failures SET error_type = 'Forged' WHERE id = 1")
    add(db, tmp_path / "also-missing.txt")
    unplant(db)
    report = verify(db, "--head", before)
    assert messages(report) == [
        "failures row 1: column error_type changed by event 4 (fail) after event 3 (fail) bound "
        "the row; a fail changes no column of failures rows that earlier events bound (an "
        "earlier source's row edited, then bound by a later event)"
    ]


def test_rewriting_the_earlier_entry_does_not_hide_the_edit(base, tmp_path):
    """The entry an event bound is bound with its fixed part: making the earlier entry look
    like the later one breaks the earlier event's digest, which the published head holds."""
    db = copy(base, tmp_path / "archive.db")
    before = head(db)
    plant(db, "sources", "UPDATE sources SET published = '1999-01-01' WHERE id = 1")
    add(db, FIXTURES / "article.html")
    unplant(db)
    conn = sqlite3.connect(db, isolation_level=None)
    conn.execute("DROP TRIGGER row_digests_are_append_only_update")
    conn.execute(
        "UPDATE row_digests SET (fixed, columns) = (SELECT fixed, columns FROM row_digests"
        " WHERE tbl = 'sources' AND key = 1 AND event_id = 4)"
        " WHERE tbl = 'sources' AND key = 1 AND event_id < 4"
    )
    conn.execute(
        "CREATE TRIGGER row_digests_are_append_only_update BEFORE UPDATE ON row_digests"
        " BEGIN SELECT RAISE(ABORT, 'row digests are append-only'); END"
    )
    conn.close()
    report = verify(db, "--head", before)
    assert any(
        re.match(r"row_digests: the entries of event \d differ from the rows it binds", m)
        for m in messages(report)
    ), messages(report)


def test_an_add_that_binds_an_earlier_row_without_its_fixed_part_fails(base, tmp_path, monkeypatch):
    """An add written as if row_digests had no fixed parts (a tool from before them, or the
    column taken away for the add and put back) cannot vouch for an earlier row's fixed part."""
    db = copy(base, tmp_path / "archive.db")
    before = head(db)
    plant(db, "sources", "UPDATE sources SET published = '1999-01-01' WHERE id = 1")
    with monkeypatch.context() as m:
        m.setattr(binding, "has_fixed", lambda conn: False)
        add(db, FIXTURES / "article.html")
    unplant(db)
    report = verify(db, "--head", before)
    assert any(
        re.match(r"sources row 1: bound again by event 4 \(add\) without its fixed part", m)
        for m in messages(report)
    ), messages(report)


def rebound_columns(db: Path) -> dict[str, set[str]]:
    """The columns that adds and re-captures changed in rows an earlier event bound, by table
    (``<deleted>`` for rows they deleted)."""
    conn = sqlite3.connect(db)
    actions = dict(conn.execute("SELECT id, action FROM events"))
    found: dict[str, set[str]] = {}
    for table in binding.covered_tables(conn):
        names = binding.column_names(conn, table)
        previous = None
        for key, event_id, sha, columns in conn.execute(
            "SELECT key, event_id, sha256, columns FROM row_digests WHERE tbl = ?"
            " ORDER BY key, event_id",
            (table,),
        ):
            if (
                previous is not None
                and previous[0] == key
                and previous[2] is not None
                and actions[event_id] in ("add", "recapture")
            ):
                changed = (
                    {"<deleted>"}
                    if sha is None
                    else set(binding.columns_between(names, previous[3], columns))
                )
                found.setdefault(table, set()).update(changed)
            previous = (key, event_id, sha, columns)
    conn.close()
    return found


def allowed(table: str) -> set[str]:
    """What the rule lets a later add change in a table whose rows it does not replace whole."""
    deleted = {"<deleted>"} if table in binding.REBIND.delete else set()
    return set(binding.REBIND.columns(table)) | deleted


def added_one_at_a_time(db: Path, inputs: list[Path]) -> dict[str, set[str]]:
    """Add each input in turn; verify against the head after the first (it must pass); return
    what later events changed in rows earlier ones bound, checked to be what the rule allows."""
    add(db, inputs[0])
    first = head(db)
    for path in inputs[1:]:
        add(db, path)
    report = verify(db, "--head", first)
    assert report["ok"], messages(report)
    changed = rebound_columns(db)
    for table, columns in changed.items():
        if binding.REBIND.columns(table) != binding.WHOLE_ROW:
            assert columns <= allowed(table), table
    return changed


def test_later_sources_change_earlier_rows_only_where_the_rule_lets_them(tmp_path):
    """Sources added one at a time, latest first: each later (older) one resolves citations of
    those before it, is the original their quotations are traced to, joins and heads their
    works, and links their claims; all of it verifies against the first head."""
    db = tmp_path / "archive.db"
    inputs = [
        *sorted(ORIGINS.iterdir(), reverse=True),
        *sorted(QUOTES.iterdir(), reverse=True),
        *sorted(CITATIONS.iterdir(), reverse=True),
    ]
    changed = added_one_at_a_time(db, inputs)
    assert "work_id" in changed["sources"]  # an earlier-published rendition heads the work
    assert "cited_source_id" in changed["citations"]  # a citation resolved by a later source
    assert "cited_source_id" in changed["attributions"]  # "the cable" points at it
    assert "traced_source_id" in changed["quotes"]  # a quotation traced into a later source
    assert "<deleted>" in changed["claim_links"]  # a link between renditions undone


def test_descriptions_counted_again_and_reprints_joined_later_verify(tmp_path):
    """A story's description counted (and resolved) again as the cables it may describe
    arrive one at a time, and an agency story whose cut-short reprint came first: the
    citation's count and the reprint's work change in rows earlier events bound, as the rule
    lets them, and verify against the first head."""
    db = tmp_path / "archive.db"
    described = sorted((TESTS / "described_fixtures").iterdir())
    stories = [p for p in described if "story" in p.name]
    inputs = [
        *stories,
        *[p for p in described if p not in stories],
        *sorted((TESTS / "reprint_fixtures").iterdir(), reverse=True),
    ]
    changed = added_one_at_a_time(db, inputs)
    assert "fitting" in changed["citations"]  # the count of fitting cables updated
    assert "work_id" in changed["sources"]  # the reprint joined the agency story's work


def test_a_url_captured_again_verifies_and_an_edit_during_it_fails(web, tmp_path):
    db = tmp_path / "archive.db"
    url = web.url("/story.html")
    web.file("/story.html", (FIXTURES / "captures" / "story-v1.html").read_bytes())
    add(db, url)
    first = head(db)
    add(db, QUOTES / "01-cable-10TESSALY88.txt")
    web.file("/story.html", (FIXTURES / "captures" / "story-v2.html").read_bytes())
    attacked = copy(db, tmp_path / "attacked.db")
    add(db, url)
    conn = sqlite3.connect(db)
    assert [r[0] for r in conn.execute("SELECT action FROM events ORDER BY id")] == [
        "add",
        "add",
        "recapture",
    ]
    conn.close()
    assert verify(db, "--head", first)["ok"]

    plant(attacked, "sources", "UPDATE sources SET retrieved = '2001-01-01T00:00:00Z' WHERE id = 1")
    add(attacked, url)
    unplant(attacked)
    report = verify(attacked, "--head", first)
    assert len(report["problems"]) == 1, messages(report)
    assert messages(report)[0].startswith(
        "sources row 1: column retrieved changed by event 3 (recapture) after event 1 (add)"
    )


def test_an_archive_from_before_fixed_parts_is_bound_by_their_migration(tmp_path, monkeypatch):
    """An archive written before fixed parts: their migration binds every row again with one,
    later sources resolve its citations as before, and an edit bound by a later add fails."""
    from provenance import migrations

    db = tmp_path / "old.db"
    with monkeypatch.context() as m:
        m.setattr(
            migrations,
            "MIGRATIONS",
            [(n, f) for n, f in migrations.MIGRATIONS if n != "m015_fixed_parts_of_row_digests"],
        )
        add(db, CITATIONS / "04-story-orsova-post.html")
    old = sqlite3.connect(db)
    assert not binding.has_fixed(old)
    old.close()
    first = head(db)
    add(db, CITATIONS / "01-cable-08VARNO41.txt")  # resolves the story's citations
    conn = sqlite3.connect(db)
    assert [r[0] for r in conn.execute("SELECT action FROM events ORDER BY id")] == [
        "add",
        "migrate",
        "add",
    ]
    assert conn.execute(
        "SELECT count(*) FROM citations WHERE citing_source_id = 1 AND cited_source_id = 2"
    ).fetchone()[0]
    conn.close()
    assert verify(db, "--head", first)["ok"]

    plant(db, "sources", "UPDATE claims SET score = 0 WHERE id = 1")
    add(db, CITATIONS / "02-cable-08VARNO97.txt")
    unplant(db)
    report = verify(db, "--head", first)
    assert messages(report) and messages(report)[0].startswith(
        "claims row 1: column score changed by event 4 (add) after event 2 (migrate)"
    ), messages(report)


def test_the_rule_names_tables_and_columns_of_the_schema():
    from provenance.migrations import apply_migrations

    conn = sqlite3.connect(":memory:", isolation_level=None)
    apply_migrations(conn)
    covered = set(binding.covered_tables(conn))
    for table, columns in binding.REBIND.rebind.items():
        assert table in covered
        if columns != binding.WHOLE_ROW:
            assert columns <= set(binding.column_names(conn, table)), table
    assert binding.REBIND.delete <= covered
    assert binding.RULES[binding.REBIND.id] is binding.REBIND
