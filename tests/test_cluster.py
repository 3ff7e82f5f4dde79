"""Adding on a Dask cluster: a real scheduler and workers on 127.0.0.1, each its own process.

The cluster prepares, this process writes: the database must be the one the local pool
makes, and a worker killed mid-batch must cost nothing but time.
"""

from __future__ import annotations

import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from provenance import pipeline
from provenance.cluster import local_processes
from provenance.db import open_db

from .conftest import FIXTURES, ROOT, query_rows

distributed = pytest.importorskip(
    "distributed", reason="the Dask tests need the cluster extra: pip install -e '.[cluster]'"
)

#: The rows two runs must share, times and ids of events left out.
DUMP = {
    "sources": "SELECT id, kind, title, parent_id, position, url, raw_sha256, text_sha256,"
    " reference_id FROM sources ORDER BY id",
    "claims": "SELECT * FROM claims ORDER BY id",
    "attributions": "SELECT * FROM attributions ORDER BY id",
    "quotes": "SELECT * FROM quotes ORDER BY id",
    "citations": "SELECT * FROM citations ORDER BY id",
    "claim_links": "SELECT * FROM claim_links ORDER BY id",
    "claim_keys": "SELECT key, claim_id FROM claim_keys ORDER BY key, claim_id",
    "agents": "SELECT * FROM agents ORDER BY id",
    "failures": "SELECT input, error FROM failures ORDER BY id",
    "blobs": "SELECT sha256 FROM blobs ORDER BY sha256",
}


def dump(path: Path) -> dict[str, list[tuple]]:
    return query_rows(path, DUMP)


@pytest.fixture(scope="module")
def cluster(tmp_path_factory) -> Iterator[str]:
    with local_processes(tmp_path_factory.mktemp("dask")) as (address, _):
        yield address


@pytest.fixture
def mixed(tmp_path, web) -> list[str]:
    """Cables, pages, a PDF, an archive page of posts, a URL, and a file that fails."""
    junk = tmp_path / "junk.html"
    junk.write_bytes(bytes(range(256)) * 20)
    web.file("/story.html", (FIXTURES / "article.html").read_bytes())
    files = sorted(str(p) for p in FIXTURES.iterdir() if p.is_file())
    return [str(ROOT / "sources"), *files, str(junk), web.url("/story.html")]


def test_a_cluster_stores_what_the_local_pool_stores(run, tmp_path, cluster, mixed):
    local, dask = tmp_path / "local.db", tmp_path / "dask.db"
    first = run("add", *mixed, "--db", local, "--workers", "2", "--json")
    second = run("add", *mixed, "--db", dask, "--cluster", cluster, "--json")
    assert first.exit_code == second.exit_code == 1  # the junk file fails in both
    assert first.stdout == second.stdout
    assert dump(local) == dump(dask)
    assert dump(dask)["claim_links"] and dump(dask)["citations"]  # the inputs do link


def test_adding_again_on_a_cluster_changes_nothing(run_json, cluster, mixed):
    run_json("add", *mixed, "--cluster", cluster, exit_code=1)
    again = run_json("add", *mixed, "--executor", "dask", "--cluster", cluster, exit_code=1)
    assert {r["status"] for r in again} == {"unchanged", "failed"}


def test_a_worker_killed_mid_batch_costs_nothing_but_time(tmp_path):
    cables = tmp_path / "cables"
    cables.mkdir()
    text = (FIXTURES / "telegram.txt").read_text()
    for n in range(24):  # distinct bytes, so every one is stored
        (cables / f"cable-{n:02}.txt").write_text(text.replace("000301", f"000{301 + n}"))
    local = tmp_path / "local.db"
    list(pipeline.add(open_db(local), [str(cables)], workers=2))

    with local_processes(tmp_path / "dask") as (address, workers):
        victim_address, victim = next(iter(workers.items()))
        killed = threading.Event()

        def kill_when_busy() -> None:
            with distributed.Client(address, timeout=30) as watcher:
                deadline = time.monotonic() + 120
                while not watcher.processing().get(victim_address):
                    if time.monotonic() > deadline:
                        return
                    time.sleep(0.01)
            victim.kill()  # with an input of its own in hand
            victim.wait()
            killed.set()

        killer = threading.Thread(target=kill_when_busy)
        killer.start()
        try:
            results = list(
                pipeline.add(open_db(tmp_path / "dask.db"), [str(cables)], cluster=address)
            )
        finally:
            killer.join()
    assert killed.is_set(), "the worker never took an input"
    assert victim.returncode != 0
    assert [r.status for r in results] == ["added"] * 24
    assert len({r.source_id for r in results}) == 24
    assert dump(local) == dump(tmp_path / "dask.db")


def test_an_unreachable_scheduler_is_one_line(run, tmp_path):
    result = run("add", FIXTURES / "telegram.txt", "--cluster", "tcp://127.0.0.1:9")
    assert result.exit_code == 1
    assert "cannot reach the Dask scheduler at tcp://127.0.0.1:9" in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1


def test_a_scheduler_without_workers_is_one_line(run, tmp_path):
    with local_processes(tmp_path / "dask", workers=0) as (address, _):
        result = run("add", FIXTURES / "telegram.txt", "--cluster", address)
    assert result.exit_code == 1
    assert f"the Dask scheduler at {address} has no workers" in result.stderr


def test_without_the_extra_the_error_names_it(run, monkeypatch):
    monkeypatch.setitem(sys.modules, "distributed", None)  # as if it were not installed
    result = run("add", FIXTURES / "telegram.txt", "--cluster", "tcp://127.0.0.1:9")
    assert result.exit_code == 1
    assert "pip install 'provenance[cluster]'" in result.stderr


def test_workers_under_a_nanny_run_inputs_in_their_thread_and_store_the_same(tmp_path):
    """Dask's default workers are daemons, which may not start extraction processes."""
    inputs = [str(FIXTURES / name) for name in ("telegram.txt", "article.html", "report.pdf")]
    local, dask = tmp_path / "local.db", tmp_path / "dask.db"
    list(pipeline.add(open_db(local), inputs, workers=2))
    with distributed.LocalCluster(
        n_workers=1,
        threads_per_worker=1,
        processes=True,
        host="127.0.0.1",
        dashboard_address="127.0.0.1:0",
        local_directory=str(tmp_path / "dask"),
    ) as cluster:
        results = list(pipeline.add(open_db(dask), inputs, cluster=cluster.scheduler_address))
    assert [r.status for r in results] == ["added"] * 3
    assert dump(local) == dump(dask)
