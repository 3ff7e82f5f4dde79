"""`provenance serve` while `provenance add` writes: real processes, loopback only.

Served immutable, a database that is written to answers "database disk image is malformed"
(SQLite neither locks it nor reads its write-ahead log). `serve` is read-only by default and
immutable only when asked, and refuses to be immutable while a writer is active.
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest

CLI = [sys.executable, "-c", "from provenance.cli import main; main()"]
DOCUMENTS = 120


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def start_serving(db: Path, *flags: str) -> tuple[subprocess.Popen, str]:
    port = free_port()
    server = subprocess.Popen(
        [*CLI, "serve", "--db", str(db), "--port", str(port), *flags],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        start_new_session=True,
    )
    base = f"http://127.0.0.1:{port}"
    for _ in range(600):  # bounded: up to a minute for Datasette to start on a busy machine
        if server.poll() is not None:
            break
        try:
            if httpx.get(base + "/-/versions.json", timeout=2).status_code == 200:
                return server, base
        except httpx.HTTPError:
            pass
        time.sleep(0.1)
    stop(server)
    raise AssertionError(f"serve did not start: {server.stderr.read().decode()[-500:]}")


def stop(process: subprocess.Popen) -> None:
    if process.poll() is None:
        os.killpg(process.pid, signal.SIGTERM)
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait()


def write_documents(folder: Path, count: int) -> Path:
    folder.mkdir()
    for i in range(count):
        (folder / f"note-{i:04}.txt").write_text(
            f"Council report {i}\n\nThe council said on Monday that repairs to bridge {i} will "
            f"cost {i + 2} million dollars, according to a statement from the mayor's office.\n",
            encoding="utf-8",
        )
    return folder


@pytest.fixture
def archive(tmp_path, run, fixtures):
    db = tmp_path / "live.db"
    run("add", "--db", db, fixtures / "telegram.txt", ok=True)
    return db


def test_serve_under_a_concurrent_add_answers_every_request(archive, tmp_path):
    folder = write_documents(tmp_path / "notes", DOCUMENTS)
    server, base = start_serving(archive)
    adder = None
    statuses: list[int] = []
    counts: list[int] = []
    name = archive.stem
    paths = [
        f"/{name}/sources.json?_shape=array&_size=5&_sort_desc=id",
        f"/{name}.json?sql=select+count(*)+as+n+from+sources&_shape=array",
        f"/{name}/claims.json?_size=5",
        f"/{name}/-/search?q=council",
        f"/{name}/-/source/1",
    ]
    try:
        adder = subprocess.Popen(
            [*CLI, "add", "--db", str(archive), str(folder)],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            start_new_session=True,
        )
        with httpx.Client(base_url=base, timeout=30) as client:
            deadline = time.monotonic() + 600  # bounded, whatever the machine's load
            while time.monotonic() < deadline:
                finished = adder.poll() is not None
                for path in paths:
                    response = client.get(path)
                    statuses.append(response.status_code)
                    if "count(*)" in path and response.status_code == 200:
                        counts.append(response.json()[0]["n"])
                if finished:
                    break
        assert adder.wait(timeout=60) == 0
        with httpx.Client(base_url=base, timeout=30) as client:
            final = client.get(paths[1]).json()[0]["n"]
    finally:
        if adder is not None:
            stop(adder)
        stop(server)
    errors = [s for s in statuses if s >= 500]
    print(f"\n{len(statuses)} requests during the add, {len(errors)} 5xx, counts {counts[:3]}…")
    assert len(statuses) >= len(paths) * 2
    assert errors == []
    assert all(s == 200 for s in statuses)
    assert counts == sorted(counts)  # never a stale read after a newer one
    assert final == DOCUMENTS + 1  # what was committed is what is served


def test_serve_refuses_immutable_while_a_writer_holds_the_database(archive):
    import sqlite3

    writer = sqlite3.connect(archive, isolation_level=None)
    writer.execute("BEGIN IMMEDIATE")
    writer.execute("INSERT INTO blobs (sha256, size, content) VALUES ('x', 1, x'00')")
    try:
        result = subprocess.run(
            [*CLI, "serve", "--db", str(archive), "--immutable", "--port", str(free_port())],
            capture_output=True,
            text=True,
            timeout=120,
        )
    finally:
        writer.execute("ROLLBACK")
        writer.close()
    assert result.returncode == 1
    assert result.stderr.strip().splitlines()[-1].startswith("Error: ")
    assert "cannot be served immutable" in result.stderr


def test_serve_is_read_only_not_immutable_by_default(archive):
    server, base = start_serving(archive)
    try:
        databases = httpx.get(base + "/-/databases.json", timeout=30).json()
    finally:
        stop(server)
    databases = databases["databases"] if isinstance(databases, dict) else databases
    assert [d["is_mutable"] for d in databases if d["name"] == archive.stem] == [True]
