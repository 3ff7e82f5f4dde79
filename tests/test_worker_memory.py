"""Bulk adds load the models once before forking their workers and replace each worker after
a number of inputs; neither may change what is stored."""

import os

import pytest

from provenance import pipeline
from provenance.worker import FORKS, Worker

from .conftest import FIXTURES, ROOT, query_rows

needs_fork = pytest.mark.skipif(not FORKS, reason="workers share memory only when forked")


def test_a_worker_past_its_memory_share_is_replaced():
    with Worker(max_private=1) as worker:
        pids = [worker.run(os.getpid, timeout=30) for _ in range(3)]
    assert len(set(pids)) == 3


def test_without_a_memory_share_a_worker_stays():
    with Worker() as worker:
        pids = {worker.run(os.getpid, timeout=30) for _ in range(4)}
    assert len(pids) == 1


TABLES = {
    "sources": "SELECT id, kind, title, parent_id, raw_sha256, text_sha256 FROM sources",
    "claims": "SELECT id, source_id, start, end, text, score, kind FROM claims",
    "attributions": "SELECT id, claim_id, cue, mention, agent_id, method FROM attributions",
    "quotes": "SELECT id, claim_id, start, end, speaker_agent_id FROM quotes",
    "claim_links": "SELECT id, claim_id, other_claim_id, relation FROM claim_links",
}


def stored(path):
    return query_rows(path, {name: sql + " ORDER BY id" for name, sql in TABLES.items()})


@needs_fork
def test_preloading_and_replacing_workers_store_the_same(run, tmp_path, monkeypatch):
    inputs = [ROOT / "sources", *sorted(p for p in FIXTURES.iterdir() if p.is_file())]
    plain, bulk = tmp_path / "plain.db", tmp_path / "bulk.db"
    run("add", *inputs, "--db", plain, "--workers", "1", "--quiet")
    monkeypatch.setattr(pipeline, "PRELOAD_FROM", 3)
    monkeypatch.setattr(pipeline, "RESTART_ABOVE", 1)  # a fresh worker for every input
    loaded, preload = [], pipeline.preload

    def models_only(kinds=()):
        loaded.append(set(kinds))
        preload(())  # the models; the HTML libraries' tables take seconds to build

    monkeypatch.setattr(pipeline, "preload", models_only)
    run("add", *inputs, "--db", bulk, "--workers", "2", "--quiet")
    assert loaded and "html" in loaded[0]
    assert stored(bulk) == stored(plain)
    assert stored(plain)["claims"]


class _Process:
    """A stand-in for /proc: resident and private bytes set by the test."""

    def __init__(self, monkeypatch, resident: int, private: int) -> None:
        from provenance import worker

        self.resident, self.private, self.reads = resident, private, 0
        monkeypatch.setattr(worker, "resident_bytes", lambda: self.resident)
        monkeypatch.setattr(worker, "private_bytes", self._private)

    def _private(self) -> int:
        self.reads += 1
        return self.private


def _after_inputs(check, n: int) -> list[bool]:
    """For each of ``n`` inputs: whether the worker would be replaced."""
    return [check.due() and check.over() for _ in range(n)]


def test_private_memory_is_read_periodically_not_after_every_input(monkeypatch):
    from provenance.worker import MemoryCheck

    proc = _Process(monkeypatch, resident=150 << 20, private=20 << 20)
    check = MemoryCheck(80 << 20)
    assert _after_inputs(check, 2 * MemoryCheck.EVERY + 1) == [False] * (2 * MemoryCheck.EVERY + 1)
    assert proc.reads == 3  # the first input, then every EVERY inputs


def test_private_memory_past_the_limit_between_reads_is_caught_at_the_next(monkeypatch):
    from provenance.worker import MemoryCheck

    proc = _Process(monkeypatch, resident=150 << 20, private=20 << 20)
    check = MemoryCheck(80 << 20)
    _after_inputs(check, 1)
    proc.private = 90 << 20  # pages shared with the batch's process, written to in place
    replaced = _after_inputs(check, MemoryCheck.EVERY)
    assert replaced == [False] * (MemoryCheck.EVERY - 1) + [True]


def test_a_heap_that_grows_past_the_room_left_is_measured_at_once(monkeypatch):
    from provenance.worker import MemoryCheck

    proc = _Process(monkeypatch, resident=150 << 20, private=20 << 20)
    check = MemoryCheck(80 << 20)
    _after_inputs(check, 1)
    proc.resident += 70 << 20  # a large input: more than the 60 MB of room left
    proc.private += 70 << 20
    assert _after_inputs(check, 1) == [True]
