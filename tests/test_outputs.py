"""Files the commands write never replace what they read, and are whole or absent."""

from __future__ import annotations

import hashlib
import os
import shutil
import sqlite3
from pathlib import Path

import pytest

from provenance.outputs import OutputRefused, atomic_text_output, check_output

from .conftest import FIXTURES, ROOT
from .publishing import build_database


@pytest.fixture(scope="module")
def archive(tmp_path_factory):
    path = tmp_path_factory.mktemp("outputs") / "archive.db"
    return build_database(path, ROOT / "sources", FIXTURES)


@pytest.fixture
def copy_of(archive, tmp_path):
    target = tmp_path / "archive.db"
    shutil.copy(archive, target)
    return target


def digest(path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


@pytest.mark.parametrize("fmt", ["csv", "annotation", "prov", "claimreview"])
def test_export_refuses_to_write_over_its_database(run, copy_of, fmt):
    before = digest(copy_of)
    result = run("export", "--format", fmt, "--db", copy_of, "-o", copy_of)
    assert result.exit_code == 1
    assert result.stderr.count("\n") == 1 and "refusing to write" in result.stderr
    assert digest(copy_of) == before
    assert run("verify", "--db", copy_of).exit_code == 0


@pytest.mark.parametrize("suffix", ["-wal", "-shm", "-journal"])
def test_export_refuses_the_databases_companion_files(run, copy_of, suffix):
    result = run("export", "--format", "csv", "--db", copy_of, "-o", f"{copy_of}{suffix}")
    assert result.exit_code == 1 and "refusing to write" in result.stderr


@pytest.mark.parametrize("suffix", ["", "-wal"])
def test_export_refuses_to_write_over_another_database(run, copy_of, tmp_path, suffix):
    other = tmp_path / "other.db"
    shutil.copy(copy_of, other)
    target = Path(f"{other}{suffix}")
    if suffix:
        target.write_bytes(b"wal frames")
    before = digest(target)
    result = run("export", "--format", "csv", "--db", copy_of, "-o", target)
    assert result.exit_code == 1 and "refusing to write" in result.stderr
    assert result.stderr.count("\n") == 1 and digest(target) == before


def test_export_refuses_a_link_to_its_database(run, copy_of, tmp_path):
    link = tmp_path / "claims.csv"
    link.symlink_to(copy_of)
    before = digest(copy_of)
    result = run("export", "--format", "csv", "--db", copy_of, "-o", link)
    assert result.exit_code == 1 and "refusing to write" in result.stderr
    assert digest(copy_of) == before


def test_export_refuses_the_database_named_another_way(run, copy_of, monkeypatch):
    monkeypatch.chdir(copy_of.parent)
    result = run("export", "--format", "csv", "--db", copy_of, "-o", "./sub/../archive.db")
    assert result.exit_code == 1 and "refusing to write" in result.stderr


def test_a_failed_export_leaves_the_earlier_file_and_no_stray(run, copy_of, tmp_path):
    target = tmp_path / "claims.csv"
    target.write_text("earlier export\n")
    result = run("export", "--format", "csv", "--db", copy_of, "--source", "99999", "-o", target)
    assert result.exit_code == 1
    assert target.read_text() == "earlier export\n"
    assert not [p for p in tmp_path.iterdir() if p.name.endswith(".part")]


def test_atomic_output_is_renamed_only_when_whole(tmp_path):
    target = tmp_path / "out.txt"
    with pytest.raises(RuntimeError):
        with atomic_text_output(target) as out:
            out.write("half")
            raise RuntimeError("interrupted")
    assert not target.exists() and list(tmp_path.iterdir()) == []
    with atomic_text_output(target) as out:
        out.write("whole")
    assert target.read_text() == "whole"


def test_export_refuses_to_write_over_a_file_the_archive_was_read_from(run, tmp_path):
    inputs = tmp_path / "inputs"
    shutil.copytree(ROOT / "sources", inputs)
    db = tmp_path / "a.db"
    run("add", inputs, "--db", db, "--quiet")
    cable = next(inputs.glob("*.txt"))
    before = digest(cable)
    (tmp_path / "link.txt").symlink_to(cable)
    for target in (cable, tmp_path / "link.txt"):
        result = run("export", "--format", "csv", "--db", db, "-o", target)
        assert result.exit_code == 1 and "the archive holds a source read from it" in result.stderr
        assert result.stderr.count("\n") == 1
    assert digest(cable) == before
    result = run("export", "--format", "csv", "--db", db, "-o", tmp_path / "claims.csv")
    assert result.exit_code == 0


def test_export_into_a_missing_folder_is_a_one_line_error(run, copy_of, tmp_path):
    result = run("export", "--format", "csv", "--db", copy_of, "-o", tmp_path / "no" / "x.csv")
    assert result.exit_code == 1
    assert (
        result.stderr.strip() == f"Error: cannot write {tmp_path / 'no' / 'x.csv'}: no such folder"
    )


def test_an_exported_file_has_the_mode_of_a_file_the_user_makes(tmp_path):
    mask = os.umask(0o022)
    try:
        with atomic_text_output(tmp_path / "new.csv") as out:
            out.write("x")
        assert (tmp_path / "new.csv").stat().st_mode & 0o777 == 0o644
        (tmp_path / "kept.csv").write_text("old")
        (tmp_path / "kept.csv").chmod(0o640)
        with atomic_text_output(tmp_path / "kept.csv") as out:
            out.write("new")
        assert (tmp_path / "kept.csv").stat().st_mode & 0o777 == 0o640
    finally:
        os.umask(mask)


@pytest.mark.parametrize("command", [["sources"], ["verify"], ["claims"], ["add", "{fixture}"]])
def test_another_applications_database_is_refused_untouched(run, tmp_path, command):
    other = tmp_path / "other.db"
    conn = sqlite3.connect(other)
    conn.execute("CREATE TABLE notes (x)")
    conn.commit()
    conn.close()
    before = digest(other)
    args = [a.replace("{fixture}", str(FIXTURES / "telegram.txt")) for a in command]
    result = run(*args, "--db", other)
    assert result.exit_code == 1
    assert (
        result.stderr.strip()
        == f"Error: {other} holds another database (tables notes), not an archive"
    )
    assert digest(other) == before and sorted(os.listdir(tmp_path)) == ["other.db"]


@pytest.mark.parametrize("command", [["sources"], ["verify"], ["who", "a claim"]])
def test_read_only_commands_refuse_an_empty_database_file(run, tmp_path, command):
    empty = tmp_path / "empty.db"
    empty.touch()
    result = run(*command, "--db", empty)
    assert result.exit_code == 1
    assert (
        result.stderr.strip()
        == f"Error: no archive in {empty} (it is empty): run `provenance add` first"
    )
    assert empty.stat().st_size == 0


def test_serve_refuses_an_empty_database_file(tmp_path):
    import subprocess
    import sys

    empty = tmp_path / "empty.db"
    empty.touch()
    done = subprocess.run(
        [sys.executable, "-m", "provenance", "serve", "--db", str(empty), "--port", "0"],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 1
    assert (
        done.stderr.strip()
        == f"Error: no archive in {empty} (it is empty): run `provenance add` first"
    )
    assert sorted(os.listdir(tmp_path)) == ["empty.db"] and empty.stat().st_size == 0


def test_check_output_refuses_a_folder(tmp_path):
    with pytest.raises(OutputRefused):
        check_output(tmp_path, [tmp_path / "x.db"])


@pytest.mark.parametrize(
    "command",
    [
        ["verify"],
        ["sources"],
        ["show", "1"],
        ["claims"],
        ["who", "a claim"],
        ["trace", "1"],
        ["citations"],
        ["head"],
        ["diff", "1"],
        ["export", "--format", "csv"],
    ],
)
def test_read_only_commands_refuse_a_missing_database(run, tmp_path, command):
    missing = tmp_path / "typo.db"
    result = run(*command, "--db", missing)
    assert result.exit_code == 1
    assert result.stderr.strip() == f"Error: no database at {missing}: run `provenance add` first"
    assert not missing.exists() and not os.listdir(tmp_path)
