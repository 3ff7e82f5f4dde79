"""Files the commands write never replace what they read, and are whole or absent."""

from __future__ import annotations

import hashlib
import os
import shutil

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
