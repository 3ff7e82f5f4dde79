"""The command-line contract other tools depend on."""

import os
import sqlite3

import pytest

ADD_KEYS = {"input", "status", "source_id", "kind", "title", "error"}
SOURCE_KEYS = {
    "id",
    "kind",
    "title",
    "author",
    "publisher",
    "published",
    "url",
    "raw_sha256",
    "text_sha256",
    "parent_id",
    "reference_id",
    "classification",
    "origin",
    "subject",
}
CLAIM_KEYS = {"id", "source_id", "text", "start", "end", "page", "score", "attributed_to", "cue"}


def test_add_json_contract(run_json, fixtures):
    results = run_json("add", fixtures / "archive-hentry.html")
    assert len(results) == 4  # the page and its three posts
    for result in results:
        assert ADD_KEYS <= set(result)
    assert results[0]["parent_id"] is None
    assert {r["parent_id"] for r in results[1:]} == {results[0]["source_id"]}


def test_sources_json_contract(run_json, fixtures):
    run_json("add", fixtures / "cable-page.html")
    [source] = run_json("sources")
    assert SOURCE_KEYS <= set(source)
    assert source["reference_id"] == "09KESTREL45"
    assert source["classification"] == "CONFIDENTIAL//NOFORN"
    assert len(source["raw_sha256"]) == 64 and len(source["text_sha256"]) == 64


def test_show_json_has_text_and_claims(run_json, fixtures):
    [added] = run_json("add", fixtures / "telegram.txt")
    shown = run_json("show", added["source_id"])
    assert SOURCE_KEYS <= set(shown)
    assert "farms have applied for emergency credit" in shown["text"]
    assert shown["claims"] and CLAIM_KEYS <= set(shown["claims"][0])


def test_show_unknown_source_is_a_one_line_error(run, db):
    result = run("show", "999")
    assert result.exit_code == 1
    assert result.stderr.strip() == "Error: no source with id 999"


def test_claims_json_carries_attribution(run_json, fixtures):
    run_json("add", fixtures / "article.html")
    claims = run_json("claims")
    assert all(CLAIM_KEYS <= set(c) for c in claims)
    by_text = {c["text"]: c for c in claims}
    okafor = next(c for t, c in by_text.items() if t.startswith("Council leader Ruth Okafor"))
    # attributed_to names the agent: titles and "a report by" left out, as in the agents table
    assert okafor["attributed_to"] == "Ruth Okafor" and okafor["cue"] == "told"
    report = next(c for t, c in by_text.items() if "2.4 million pounds" in t)
    assert report["cue"] == "according to"
    assert report["attributed_to"] == "the county council"


def test_claims_filtered_by_source(run_json, fixtures):
    [a] = run_json("add", fixtures / "telegram.txt")
    [b] = run_json("add", fixtures / "article.html")
    claims = run_json("claims", "--source", b["source_id"])
    assert claims and {c["source_id"] for c in claims} == {b["source_id"]}


def test_claims_of_an_unknown_source_is_a_one_line_error(run, run_json, fixtures):
    run_json("add", fixtures / "telegram.txt")
    result = run("claims", "--source", "999")
    assert result.exit_code == 1
    assert result.stderr.strip() == "Error: no source with id 999"


def test_who_needs_a_limit_of_one_or_more(run, run_json, fixtures):
    run_json("add", fixtures / "telegram.txt")
    result = run("who", "dredging", "--limit", "0")
    assert result.exit_code == 2 and "--limit" in result.stderr


def test_python_dash_m_runs_the_command_line(tmp_path):
    import subprocess
    import sys

    for module in ("provenance", "provenance.cli"):
        done = subprocess.run(
            [sys.executable, "-m", module, "--help"], capture_output=True, text=True, cwd=tmp_path
        )
        assert done.returncode == 0 and "Usage:" in done.stdout and "add" in done.stdout, module


def test_db_option_and_environment_variable(run, run_json, fixtures, tmp_path, monkeypatch):
    other = tmp_path / "other.db"
    run_json("add", fixtures / "telegram.txt", "--db", other)
    assert sqlite3.connect(other).execute("SELECT count(*) FROM sources").fetchone() == (1,)
    assert not os.path.exists(os.environ["PROVENANCE_DB"]) or run_json("sources") == []
    monkeypatch.setenv("PROVENANCE_DB", str(other))
    assert len(run_json("sources")) == 1


def test_database_is_wal_with_foreign_keys(run_json, fixtures, db_path):
    run_json("add", fixtures / "telegram.txt")
    conn = sqlite3.connect(db_path)
    assert conn.execute("PRAGMA journal_mode").fetchone() == ("wal",)
    fks = conn.execute("PRAGMA foreign_key_list(claims)").fetchall()
    assert any(fk[2] == "sources" and fk[3] == "source_id" for fk in fks)


def test_migrations_are_recorded_and_reopening_is_a_no_op(db_path):
    from provenance.db import open_db
    from provenance.migrations import MIGRATIONS, apply_migrations

    db = open_db(db_path)
    names = [r["name"] for r in db.query("SELECT name FROM _migrations ORDER BY rowid")]
    assert names == [name for name, _ in MIGRATIONS]
    assert apply_migrations(db.conn) == []


def test_schema_file_matches_the_migrations():
    from provenance.migrations import migrated_in_memory, snapshot_sql

    from .conftest import ROOT

    expected = snapshot_sql(migrated_in_memory())
    assert (ROOT / "provenance" / "schema.sql").read_text() == expected, (
        "regenerate with: python -m provenance.migrations > provenance/schema.sql"
    )
    assert (ROOT / "schema" / "schema.sql").read_text() == expected  # the readers' link to it


def _archive_as_built(conn) -> tuple:
    schema = sorted(conn.execute("SELECT type, name, tbl_name, sql FROM sqlite_master"))
    migrations = [r[0] for r in conn.execute("SELECT name FROM _migrations ORDER BY rowid")]
    events = conn.execute("SELECT count(*) FROM events").fetchone()[0]
    return schema, migrations, events


def test_a_new_archive_from_the_snapshot_is_the_migrated_one(tmp_path, monkeypatch):
    from provenance import migrations
    from provenance.db import open_db
    from provenance.verify import verify

    ran = []  # migrations' statements run: none when the snapshot makes the archive
    real_run = migrations._run
    monkeypatch.setattr(migrations, "_run", lambda conn, script: ran.append(script))
    snapshot = open_db(tmp_path / "snapshot.db").conn
    assert ran == []
    monkeypatch.setattr(migrations, "_run", real_run)
    steps = []  # one more migration: the snapshot was not made by this list, so not used
    monkeypatch.setattr(migrations, "MIGRATIONS", [*migrations.MIGRATIONS, ("m999", steps.append)])
    stepwise = open_db(tmp_path / "stepwise.db").conn
    assert len(steps) == 1
    monkeypatch.undo()
    stepwise.execute("DELETE FROM _migrations WHERE name = 'm999'")
    assert _archive_as_built(snapshot) == _archive_as_built(stepwise)
    assert verify(snapshot).ok


def test_text_tables_have_a_header_row_and_a_rule(run, run_json, fixtures):
    run_json("add", fixtures / "article.html")
    lines = run("claims", ok=True).stdout.splitlines()
    assert lines[0].split() == ["id", "source", "score", "attributed", "to", "text"]
    assert set(lines[1].replace(" ", "")) == {"-"}
    assert len(lines) == 2 + len(run_json("claims"))


def test_text_tables_fit_the_terminal_width(run, run_json, fixtures, monkeypatch):
    run_json("add", fixtures / "article.html")
    monkeypatch.setenv("COLUMNS", "80")
    lines = run("claims", ok=True).stdout.splitlines()
    assert max(len(line) for line in lines) <= 80
    assert any(line.endswith("…") for line in lines)  # long claims are cut, not wrapped


def test_piped_text_tables_keep_whole_values(run, run_json, fixtures):
    run_json("add", fixtures / "article.html")
    stdout = run("claims", ok=True).stdout
    assert all(claim["text"] in stdout for claim in run_json("claims"))


def test_show_lists_the_sources_claims(run, run_json, fixtures):
    [added] = run_json("add", fixtures / "telegram.txt")
    shown = run_json("show", added["source_id"])
    result = run("show", added["source_id"], ok=True)
    header = next(line for line in result.stdout.splitlines() if line.startswith("id  start"))
    assert header.split()[:3] == ["id", "start", "end"]
    assert f"{len(shown['claims'])} claims:" in result.stdout
    for claim in shown["claims"]:
        assert " ".join(claim["text"].split()) in result.stdout


def test_the_console_command_closes_the_archive_and_keeps_its_exit_code(fixtures, tmp_path):
    """`provenance` as installed (``cli.main``): what it added is in the database file alone
    (the write-ahead log folded in, no ``-wal`` or ``-shm`` left), its output is all there,
    and an input that fails still ends it with status 1."""
    import json
    import subprocess
    import sys

    command = [sys.executable, "-c", "from provenance.cli import main; main()"]
    db = tmp_path / "one.db"
    done = subprocess.run(
        [*command, "add", str(fixtures / "telegram.txt"), "--db", str(db), "--json"],
        capture_output=True,
        text=True,
    )
    assert done.returncode == 0, done.stderr
    [result] = json.loads(done.stdout)
    assert result["status"] == "added"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["one.db"]
    conn = sqlite3.connect(db)
    assert conn.execute("SELECT count(*) FROM sources").fetchone() == (1,)
    conn.close()
    failed = subprocess.run(
        [*command, "add", str(tmp_path / "missing.txt"), "--db", str(db)],
        capture_output=True,
        text=True,
    )
    assert failed.returncode == 1
    assert "missing.txt" in failed.stderr
    assert sorted(p.name for p in tmp_path.iterdir()) == ["one.db"]


def test_the_parsers_warnings_are_quiet_without_verbose(run, db):
    """pypdf and pdfminer.six warn about every odd font ("Could not get FontBBox ..."): a
    failure reaches the user as one line of its own, the warnings only with -v."""
    import logging

    run("sources", ok=True)
    for name in ("pypdf._reader", "pdfminer.pdffont", "trafilatura.core", "htmldate.core"):
        assert not logging.getLogger(name).isEnabledFor(logging.WARNING), name


@pytest.mark.parametrize(
    "command, what",
    [
        (["show"], "source"),
        (["diff"], "source"),
        (["trace"], "claim"),
        (["claims", "--source"], "source"),
        (["citations", "--source"], "source"),
        (["export", "--format", "csv", "--source"], "source"),
    ],
)
def test_an_id_too_large_for_sqlite_names_no_row_in_one_line(run, db, command, what):
    result = run(*command, str(2**64))
    assert result.exit_code == 1
    assert result.stderr.strip() == f"Error: no {what} with id {2**64}"


@pytest.mark.parametrize(
    ("message", "said"),
    [("database or disk is full", "the disk is full"), ("database is locked", "is busy")],
)
def test_a_full_disk_or_a_busy_archive_is_one_line(
    run, fixtures, tmp_path, monkeypatch, message, said
):
    import sqlite3

    from provenance import pipeline

    def refused(*args, **kwargs):
        raise sqlite3.OperationalError(message)
        yield  # a generator, as add is

    monkeypatch.setattr(pipeline, "add", refused)
    result = run("add", fixtures / "telegram.txt", "--db", tmp_path / "a.db")
    assert result.exit_code == 1
    assert said in result.stderr and result.stderr.count("\n") == 1
