"""`provenance add`: whole-or-nothing storage, invariants, unchanged re-adds, failures, URLs."""

import json
import os
import shutil
import sqlite3

import pytest

from provenance.db import open_db

TABLES = [
    "sources",
    "claims",
    "attributions",
    "quotes",
    "citations",
    "claim_links",
    "events",
    "failures",
    "blobs",
    "agents",
    "structure",
]


def counts(db_path):
    conn = sqlite3.connect(db_path)
    try:
        return {t: conn.execute(f"SELECT count(*) FROM {t}").fetchone()[0] for t in TABLES}
    finally:
        conn.close()


def dump(db_path):
    conn = sqlite3.connect(db_path)
    try:
        return "\n".join(conn.iterdump())
    finally:
        conn.close()


@pytest.fixture
def folder(tmp_path, fixtures):
    """A folder of fixtures with VCS and OS cruft that must be skipped."""
    target = tmp_path / "inbox"
    # The top-level fixtures only: per-kind folders (fixtures/ingest/) have tests of their own.
    shutil.copytree(
        fixtures, target, ignore=lambda d, names: [n for n in names if d != str(fixtures)]
    )
    (target / ".git").mkdir()
    (target / ".git" / "HEAD").write_text("ref: refs/heads/main\n")
    (target / ".DS_Store").write_bytes(b"\x00\x01Bud1")
    (target / "sub").mkdir()
    (target / "sub" / "notes.txt").write_text("Field notes\n\nThe tide rose 2 metres on Tuesday.")
    return target


def test_add_folder_stores_every_document_and_skips_cruft(run_json, folder):
    results = run_json("add", folder)
    inputs = {r["input"] for r in results}
    assert not any(".git" in i or ".DS_Store" in i for i in inputs)
    assert {r["status"] for r in results} == {"added"}
    kinds = sorted(r["kind"] for r in results)
    assert kinds.count("post") == 3 and kinds.count("cable") == 2 and "pdf" in kinds
    assert any(r["input"].endswith("notes.txt") for r in results)


def test_every_claim_span_indexes_its_source_text(run_json, folder):
    run_json("add", folder)
    for source in run_json("sources"):
        shown = run_json("show", source["id"])
        for claim in shown["claims"]:
            assert shown["text"][claim["start"] : claim["end"]] == claim["text"]


def test_pdf_claims_know_the_page_that_holds_them(run_json, db_path, fixtures):
    [result] = run_json("add", fixtures / "report.pdf")
    conn = sqlite3.connect(db_path)
    pages = conn.execute(
        "SELECT number, start, end FROM structure WHERE source_id = ? AND kind = 'page'",
        (result["source_id"],),
    ).fetchall()
    claims = run_json("claims", "--source", result["source_id"])
    assert claims
    for claim in claims:
        assert claim["page"] is not None
        [(start, end)] = [(s, e) for n, s, e in pages if n == claim["page"]]
        assert start <= claim["start"] and claim["end"] <= end


def test_re_adding_identical_bytes_changes_nothing(run_json, folder, db_path):
    first = run_json("add", folder)
    before = dump(db_path)
    again = run_json("add", folder)
    assert {r["status"] for r in again} == {"unchanged"}
    assert [r["source_id"] for r in again] == [r["source_id"] for r in first]
    assert dump(db_path) == before


def test_same_bytes_under_another_name_are_unchanged(run_json, fixtures, tmp_path):
    copy = tmp_path / "copy-of-telegram.txt"
    copy.write_bytes((fixtures / "telegram.txt").read_bytes())
    [first] = run_json("add", fixtures / "telegram.txt")
    [second] = run_json("add", copy)
    assert second["status"] == "unchanged" and second["source_id"] == first["source_id"]


def test_a_failing_input_is_recorded_and_the_batch_goes_on(
    run, run_json, tmp_path, fixtures, db_path
):
    junk = tmp_path / "junk.html"
    junk.write_bytes(bytes(range(256)) * 20)
    result = run("add", junk, tmp_path / "missing.txt", fixtures / "telegram.txt", "--json")
    assert result.exit_code == 1
    results = json.loads(result.stdout)
    assert [r["status"] for r in results] == ["failed", "failed", "added"]
    assert "binary" in results[0]["error"] and "no such file" in results[1]["error"]
    assert "Traceback" not in result.output + result.stderr
    conn = sqlite3.connect(db_path)
    failures = conn.execute("SELECT input, error FROM failures ORDER BY id").fetchall()
    assert [f[0] for f in failures] == [str(junk), str(tmp_path / "missing.txt")]
    # the failed input's bytes are archived, so nothing the user gave is lost
    assert conn.execute("SELECT count(*) FROM blobs").fetchone()[0] == 2


def test_failure_prints_one_line(run, tmp_path):
    junk = tmp_path / "junk.html"
    junk.write_bytes(b"\x00" * 100)
    result = run("add", junk)
    assert result.exit_code == 1
    lines = [line for line in result.stderr.splitlines() if line.startswith("failed")]
    assert len(lines) == 1 and str(junk) in lines[0]


def test_the_database_in_the_folder_added_is_never_an_input(run, run_json, folder, monkeypatch):
    """`add .` where the archive lives: its database and journal files are passed over (each
    run would otherwise archive the whole database into itself), and named on their own they
    are refused."""
    monkeypatch.chdir(folder)
    first = run_json("add", ".", "--db", "archive.db")
    assert not [r for r in first if "archive.db" in r["input"]]
    (folder / "archive.db-journal").write_bytes(b"\x00" * 512)  # as a crash could leave
    again = run_json("add", ".", "--db", "archive.db")
    assert {r["status"] for r in again} == {"unchanged"}
    size = (folder / "archive.db").stat().st_size
    assert run_json("add", ".", "--db", "archive.db") == again
    assert (folder / "archive.db").stat().st_size == size
    result = run("add", "archive.db", "./archive.db-wal", "--db", "archive.db", "--json")
    assert result.exit_code == 1
    refused = json.loads(result.stdout)
    assert [r["status"] for r in refused] == ["failed", "failed"]
    assert all("database this command writes to" in r["error"] for r in refused)
    conn = sqlite3.connect(folder / "archive.db")
    assert (
        conn.execute("SELECT count(*) FROM failures WHERE raw_sha256 IS NOT NULL").fetchone()[0]
        == 0
    )  # nothing of the database was archived


def test_an_empty_name_is_refused_not_read_as_the_current_folder(run, folder, monkeypatch):
    monkeypatch.chdir(folder)
    result = run("add", "", "--db", str(folder.parent / "x.db"), "--json")
    assert result.exit_code == 1
    [failed] = json.loads(result.stdout)
    assert failed["status"] == "failed" and "empty name" in failed["error"]


def test_a_source_is_stored_whole_or_not_at_all(db_path, fixtures, monkeypatch):
    from provenance import linking, pipeline

    db = open_db(db_path)
    before = counts(db_path)

    def explode(conn, source_ids, memory=None):
        raise RuntimeError("disk on fire")

    monkeypatch.setattr(linking, "link_sources", explode)
    with pytest.raises(RuntimeError):
        list(pipeline.add(db, [str(fixtures / "archive-hentry.html")]))
    assert counts(db_path) == before


def test_add_url_records_final_url_status_type_and_time(run_json, web, fixtures, db_path):
    web.file("/story.html", (fixtures / "article.html").read_bytes())
    web.redirect("/old-link", "/story.html")
    [result] = run_json("add", web.url("/old-link"))
    assert result["status"] == "added" and result["kind"] == "html"
    row = (
        sqlite3.connect(db_path)
        .execute(
            "SELECT url, http_status, content_type, retrieved, input FROM sources WHERE id = ?",
            (result["source_id"],),
        )
        .fetchone()
    )
    assert row[0] == web.url("/story.html")
    assert row[1] == 200 and row[2] == "text/html" and row[3].endswith("Z")
    assert row[4] == web.url("/old-link")


@pytest.mark.parametrize(
    "path, error",
    [("/missing", "HTTP 404"), ("/loop", "redirects")],
)
def test_bad_urls_fail_with_a_reason(run, web, path, error):
    web.redirect("/loop", "/loop")
    result = run("add", web.url(path), "--json")
    assert result.exit_code == 1
    [failed] = json.loads(result.stdout)
    assert failed["status"] == "failed" and error in failed["error"]


@pytest.mark.parametrize("url", ["file:///etc/passwd", "ftp://example.org/file.txt"])
def test_other_url_schemes_are_refused(run, url):
    result = run("add", url, "--json")
    [failed] = json.loads(result.stdout)
    assert result.exit_code == 1 and "refused URL scheme" in failed["error"]


def test_size_cap_refuses_large_inputs(run, tmp_path):
    big = tmp_path / "big.txt"
    big.write_text("word " * 1000)
    result = run("add", big, "--max-bytes", "100", "--json")
    [failed] = json.loads(result.stdout)
    assert "over the limit" in failed["error"]


def test_every_derived_row_records_the_tool_version(run_json, folder, db_path):
    from provenance import __version__

    run_json("add", folder)
    conn = sqlite3.connect(db_path)
    derived = ["sources", "structure", "claims", "attributions", "agents", "quotes", "citations"]
    for table in [*derived, "claim_links", "claim_clusters", "events"]:
        versions = {r[0] for r in conn.execute(f"SELECT DISTINCT tool_version FROM {table}")}
        # links only exist when sources repeat each other; the rest are never empty here
        assert versions == {__version__} or (not versions and table not in derived), table
    assert conn.execute("SELECT count(*) FROM claims WHERE model_version IS NULL").fetchone() == (
        0,
    )


def test_a_name_that_is_not_utf8_never_shares_a_source_with_its_escape(run_json, tmp_path):
    """`bad\\xff.txt` spelt out and a name holding the byte 0xFF are printed alike; they are
    two files, so two sources, each unchanged when added again."""
    inbox = tmp_path / "in"
    inbox.mkdir()
    raw = inbox / os.fsdecode(b"bad\xff\xfename.txt")
    raw.write_text("The harbour authority said dredging will cost 40 percent more than planned.")
    spelt = inbox / "bad\\xff\\xfename.txt"
    spelt.write_text("The ministry said the port handled 12 million tonnes of cargo last year.")
    first = run_json("add", inbox)
    assert [r["status"] for r in first] == ["added", "added"]
    assert len({r["source_id"] for r in first}) == 2
    again = run_json("add", inbox)
    assert [r["status"] for r in again] == ["unchanged", "unchanged"]
    assert [r["source_id"] for r in again] == [r["source_id"] for r in first]
