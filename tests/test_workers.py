"""Parallel ingest: several worker processes, one writer, the same database as one worker."""

import json

import pytest

from .conftest import FIXTURES, ROOT, query_rows

CONTENT = {
    "sources": "SELECT id, kind, title, parent_id, raw_sha256, text_sha256, reference_id"
    " FROM sources ORDER BY id",
    "claims": "SELECT id, source_id, start, end, text, score, kind FROM claims ORDER BY id",
    "attributions": "SELECT claim_id, cue, mention, agent_id FROM attributions ORDER BY id",
    "citations": "SELECT citing_source_id, identifier, cited_source_id FROM citations ORDER BY id",
    "claim_links": "SELECT claim_id, other_claim_id, relation FROM claim_links ORDER BY id",
    "failures": "SELECT input, error FROM failures ORDER BY id",
}


def content(path):
    return query_rows(path, CONTENT)


@pytest.fixture
def inputs(tmp_path):
    junk = tmp_path / "junk.html"
    junk.write_bytes(bytes(range(256)) * 20)
    return [ROOT / "sources", junk, *sorted(p for p in FIXTURES.iterdir() if p.is_file())]


def test_several_workers_store_what_one_worker_stores(run, tmp_path, inputs):
    one, three = tmp_path / "one.db", tmp_path / "three.db"
    first = run("add", *inputs, "--db", one, "--workers", "1", "--json")
    second = run("add", *inputs, "--db", three, "--workers", "3", "--json")
    assert first.exit_code == second.exit_code == 1  # the junk file fails in both
    assert json.loads(first.stdout) == json.loads(second.stdout)
    assert content(one) == content(three)


def test_results_come_back_in_input_order(run_json, inputs):
    results = run_json("add", *inputs[:1], "--workers", "4")
    ids = [r["source_id"] for r in results]
    assert ids == sorted(ids)


def test_urls_are_fetched_by_the_workers(run_json, web):
    for n in range(5):
        body = (
            (FIXTURES / "article.html")
            .read_bytes()
            .replace(b"2.4 million", f"{n}.4 million".encode())
        )
        web.file(f"/story-{n}.html", body)
    urls = [web.url(f"/story-{n}.html") for n in range(5)]
    results = run_json("add", *urls, "--workers", "2")
    assert [r["input"] for r in results] == urls
    assert {r["status"] for r in results} == {"added"}


def test_quiet_prints_nothing_but_failures(run, tmp_path):
    junk = tmp_path / "junk.html"
    junk.write_bytes(b"\x00" * 64)
    result = run("add", FIXTURES / "telegram.txt", junk, "--quiet")
    assert result.exit_code == 1
    assert result.stdout == ""
    assert [line for line in result.stderr.splitlines() if line] == [
        f"failed     {junk}: not a document this tool can read (binary data)"
    ]


def test_profile_names_the_stages(run, tmp_path, monkeypatch):
    profile = tmp_path / "profile.json"
    monkeypatch.setenv("PROVENANCE_PROFILE", str(profile))
    assert run("add", FIXTURES / "telegram.txt", "--quiet").exit_code == 0
    stages = json.loads(profile.read_text())
    assert {"read", "hash", "extract", "analyse", "store", "link"} <= set(stages)


# --- a worker holds its next input while it runs one ------------------------------------------


def _echo_after(seconds, value):
    import time

    time.sleep(seconds)
    return value


def test_calls_submitted_behind_a_running_one_are_answered_in_order_from_when_it_answered():
    import os
    import time

    from provenance.worker import Worker

    with Worker() as worker:
        submitted = time.monotonic()
        worker.submit(_echo_after, 0.5, "first")
        worker.submit(os.getpid)
        assert worker.pending == 2
        assert worker.collect() == "first"
        # The second call's time runs from when the worker began it, not from when it was sent.
        assert worker.since is not None and worker.since >= submitted + 0.5
        assert isinstance(worker.collect(), int)
        assert worker.pending == 0 and worker.since is None


def test_a_large_input_sent_behind_one_with_a_large_answer_does_not_block_either_side():
    """The pipe holds a fraction of a megabyte: a call sent behind a running one must not wait
    in the batch's process for the worker, which waits for the batch to take its answer."""
    import threading

    from provenance.worker import Worker

    big = b"x" * (8 << 20)
    answers = []
    with Worker() as worker:

        def batch():
            worker.submit(_echo_after, 0.2, big)
            worker.submit(_echo_after, 0.0, big)
            answers.extend(worker.collect() for _ in range(2))

        thread = threading.Thread(target=batch, daemon=True)
        thread.start()
        thread.join(60)
        assert not thread.is_alive(), "the batch and its worker blocked each other"
    assert answers == [big, big]


def test_calls_behind_a_stopped_worker_go_to_its_successor():
    import os
    import time

    from provenance.errors import LimitExceeded
    from provenance.worker import Worker

    with Worker() as worker:  # killed at its time limit: what waited behind runs in a new one
        worker.submit(time.sleep, 60)
        worker.submit(os.getpid)
        hung = worker._process.pid
        time.sleep(0.2)
        assert isinstance(worker.timed_out(0.2), LimitExceeded)
        assert worker.pending == 1
        assert worker.collect() not in (hung, None)
    with Worker(max_private=1) as worker:  # replaced after every input for its memory
        for _ in range(3):
            worker.submit(os.getpid)
        pids = [worker.collect() for _ in range(3)]
    assert len(set(pids)) == 3


def test_an_input_waiting_behind_another_gets_its_whole_time_limit(tmp_path, monkeypatch):
    """Each input has the limit from when a worker begins it: two inputs of 1.2 s each under a
    2 s limit both pass with one worker, though the second was handed out with the first."""
    import time

    from provenance import pipeline
    from provenance.db import open_db
    from provenance.ingest.plaintext import PlainTextIngester
    from provenance.inputs import Limits

    inbox = tmp_path / "inbox"
    inbox.mkdir()
    for n in range(2):
        (inbox / f"note-{n}.txt").write_text(
            f"Invented note {n}. The harbour master said {n + 4} trawlers returned on Tuesday."
        )
    original = PlainTextIngester.extract

    def slow(self, data, hint):
        time.sleep(1.2)
        return original(self, data, hint)

    monkeypatch.setattr(PlainTextIngester, "extract", slow)
    db = open_db(tmp_path / "slow.db")
    results = list(pipeline.add(db, [str(inbox)], Limits(timeout=2), workers=1))
    assert [r.status for r in results] == ["added", "added"], [r.error for r in results]
