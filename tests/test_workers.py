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
