"""Crash and concurrency safety: SIGKILL mid-batch, two writers at once, serving during a write.

Each test runs `provenance add` in child processes, as a user would; the documents are
invented field notes generated here.
"""

from __future__ import annotations

import asyncio
import json
import os
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pytest

from provenance.db import open_db

ADD = [sys.executable, "-c", "from provenance.cli import main; main()"]


def write_notes(folder: Path, first: int, count: int) -> list[Path]:
    """Invented field notes, each with two check-worthy sentences."""
    folder.mkdir(parents=True, exist_ok=True)
    paths = []
    for n in range(first, first + count):
        path = folder / f"note-{n:05d}.txt"
        path.write_text(
            f"Field note {n} from the invented harbour of Port Velmora\n\n"
            f"The harbour master said {n} trawlers returned to port on Tuesday. "
            f"Officials counted {n * 3} tonnes of fish landed at the north quay in March, "
            f"according to the board.\n\nA third paragraph, number {n}, about the weather."
        )
        paths.append(path)
    return paths


def count(db_path: Path, sql: str) -> int:
    conn = sqlite3.connect(db_path, timeout=30)
    try:
        return conn.execute(sql).fetchone()[0]
    except sqlite3.OperationalError:
        return 0  # not created yet
    finally:
        conn.close()


def cli(*args: str | Path, timeout: float = 300) -> subprocess.CompletedProcess:
    return subprocess.run([*ADD, *map(str, args)], capture_output=True, text=True, timeout=timeout)


def verify(db_path: Path) -> None:
    from provenance.verify import verify as run_verify

    db = open_db(db_path)
    try:
        report = run_verify(db.conn)
    finally:
        db.conn.close()
    assert report.ok, report.problems


def test_sigkill_mid_batch_leaves_a_verifiable_database_and_a_rerun_completes(tmp_path):
    inbox = tmp_path / "inbox"
    write_notes(inbox, 0, 120)
    db_path = tmp_path / "kill.db"
    process = subprocess.Popen(
        [*ADD, "add", str(inbox), "--db", str(db_path)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        deadline = time.monotonic() + 120
        while count(db_path, "SELECT count(*) FROM sources") < 20:
            assert process.poll() is None, "the add finished before it could be killed"
            assert time.monotonic() < deadline
            time.sleep(0.02)
    finally:
        process.send_signal(signal.SIGKILL)
        process.wait()
    stored = count(db_path, "SELECT count(*) FROM sources")
    assert 20 <= stored < 120
    verify(db_path)
    rerun = cli("add", inbox, "--db", db_path, "--json")
    assert rerun.returncode == 0, rerun.stderr
    statuses = [r["status"] for r in json.loads(rerun.stdout)]
    assert statuses.count("unchanged") == stored and statuses.count("added") == 120 - stored
    assert count(db_path, "SELECT count(*) FROM sources") == 120
    assert count(db_path, "SELECT count(*) FROM events") == 120
    verify(db_path)


def test_two_adds_writing_at_once_both_finish(tmp_path):
    write_notes(tmp_path / "a", 0, 80)
    write_notes(tmp_path / "b", 60, 80)  # 20 documents with the same bytes as in a/
    db_path = tmp_path / "both.db"
    open_db(db_path).conn.close()
    processes = [
        subprocess.Popen(
            [*ADD, "add", str(tmp_path / name), "--db", str(db_path), "--json"],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for name in ("a", "b")
    ]
    outputs = [p.communicate(timeout=300) for p in processes]
    for process, (_, err) in zip(processes, outputs, strict=True):
        assert process.returncode == 0, err
    results = [r for out, _ in outputs for r in json.loads(out)]
    assert len(results) == 160
    added = [r for r in results if r["status"] == "added"]
    assert len(added) == 140  # every distinct document stored once, by one writer or the other
    assert count(db_path, "SELECT count(*) FROM sources") == 140
    assert count(db_path, "SELECT count(DISTINCT raw_sha256) FROM sources") == 140
    verify(db_path)


@pytest.mark.asyncio
async def test_serve_keeps_answering_while_an_add_writes(tmp_path):
    from datasette.app import Datasette

    from provenance.datasette import metadata

    write_notes(tmp_path / "first", 0, 5)
    write_notes(tmp_path / "inbox", 5, 100)
    db_path = tmp_path / "served.db"
    from provenance import pipeline

    db = open_db(db_path)
    assert {r.status for r in pipeline.add(db, [str(tmp_path / "first")])} == {"added"}
    db.conn.close()
    datasette = Datasette([str(db_path)], metadata=metadata(db_path.stem))
    process = subprocess.Popen(
        [*ADD, "add", str(tmp_path / "inbox"), "--db", str(db_path)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    answered, counts = 0, []
    try:
        while process.poll() is None:
            response = await datasette.client.get(
                f"/{db_path.stem}/sources.json?_shape=array&_size=1&_sort_desc=id"
            )
            assert response.status_code == 200
            rows = response.json()
            counts.append(rows[0]["id"] if rows else 0)
            search = await datasette.client.get(
                f"/{db_path.stem}/claims.json?_search=trawlers&_size=1"
            )
            assert search.status_code == 200
            answered += 1
            await asyncio.sleep(0.05)
    finally:
        if process.poll() is None:
            process.kill()
        process.wait()
    assert process.returncode == 0
    assert answered >= 3 and counts[-1] > counts[0]  # it answered while the add was writing


def test_a_worker_that_dies_is_a_failure_and_the_batch_goes_on(tmp_path, monkeypatch):
    """A parser that crashes the interpreter (a segfault in C code) costs one input."""
    from provenance import pipeline
    from provenance.ingest.plaintext import PlainTextIngester

    notes = write_notes(tmp_path / "inbox", 0, 3)
    original = PlainTextIngester.extract

    def crash_on_the_second(self, data, hint):
        if hint.name == notes[1].name:
            os.kill(os.getpid(), signal.SIGSEGV)
        return original(self, data, hint)

    monkeypatch.setattr(PlainTextIngester, "extract", crash_on_the_second)
    db = open_db(tmp_path / "crash.db")
    results = list(pipeline.add(db, [str(tmp_path / "inbox")]))
    assert [r.status for r in results] == ["added", "failed", "added"]
    assert "the extraction process died (killed by signal 11)" in results[1].error


def test_an_extraction_that_hangs_is_stopped_at_the_time_limit(tmp_path, monkeypatch):
    """A parser that never returns (in C code no signal reaches, say) costs its time limit."""
    from provenance import pipeline
    from provenance.ingest.plaintext import PlainTextIngester
    from provenance.inputs import Limits

    notes = write_notes(tmp_path / "inbox", 0, 3)
    original = PlainTextIngester.extract

    def hang_on_the_first(self, data, hint):
        if hint.name == notes[0].name:
            signal.pthread_sigmask(signal.SIG_BLOCK, {signal.SIGTERM, signal.SIGINT})
            time.sleep(3600)
        return original(self, data, hint)

    monkeypatch.setattr(PlainTextIngester, "extract", hang_on_the_first)
    db = open_db(tmp_path / "hang.db")
    results = list(pipeline.add(db, [str(tmp_path / "inbox")], Limits(timeout=1)))
    assert [r.status for r in results] == ["failed", "added", "added"]
    assert results[0].error == "took longer than the time limit of 1 s"
