"""`who TEXT` as a ranked search (provenance.search): paraphrases found, ranking, works,
earliest first, single words, --min-score, --json, the rescorer hook and the search page.

Every page here is of an invented outlet, written for the test suite; all of it is fictional.
"""

import sqlite3

import pytest
from datasette.app import Datasette

from provenance import search

from .test_linking import page

QUERY = "The fishermen arrested at Varno came mostly from the northern islands"
RESULT_KEYS = {
    "rank",
    "first",
    "work_id",
    "relation",
    "score",
    "source_id",
    "reference_id",
    "title",
    "kind",
    "published",
    "claim_id",
    "text",
    "start",
    "end",
    "shared",
    "renditions",
}


@pytest.fixture
def archive(run_json, tmp_path, db_path):
    """Four invented outlets: two state the claim in other words, one repeats it, one only
    mentions the port. Added out of date order."""
    run_json(
        "add",
        page(
            tmp_path,
            "island-courier",
            "2010-06-01",
            "Most of the fishermen held in Varno in the spring came from the northern islands,"
            " according to the coast guard.",
            title="Island Courier (invented)",
        ),
        page(
            tmp_path,
            "harbour-gazette",
            "2009-05-12",
            "Many of the fishermen detained at Varno last spring were young men from the"
            " northern islands, the coast guard said.",
            title="Harbour Gazette (invented)",
        ),
        page(
            tmp_path,
            "port-weekly",
            "2011-02-03",
            "The harbour master said Varno will reopen its fish market to traders in June.",
            title="Port Weekly (invented)",
        ),
        page(
            tmp_path,
            "gazette-reprint",
            "2012-01-20",
            "Many of the fishermen detained at Varno last spring were young men from the"
            " northern islands, the coast guard said.",
            title="Coastal Digest reprint (invented)",
        ),
    )
    return db_path


def titles(results):
    return [r["title"] for r in results]


def test_a_claim_in_other_words_finds_the_sources_stating_it(run_json, archive):
    results = run_json("who", QUERY)
    stating = [r for r in results if r["relation"] in ("same", "paraphrase")]
    assert {r["title"] for r in stating} == {
        "Harbour Gazette (invented)",
        "Island Courier (invented)",
        "Coastal Digest reprint (invented)",
    }


def test_those_stating_it_come_earliest_first_then_related_ones(run_json, archive):
    results = run_json("who", QUERY)
    assert titles(results) == [
        "Harbour Gazette (invented)",
        "Island Courier (invented)",
        "Coastal Digest reprint (invented)",
        "Port Weekly (invented)",
    ]
    assert [r["relation"] for r in results][-1] == "related"
    assert [r["rank"] for r in results] == [1, 2, 3, 4]


def test_a_related_claim_scores_under_those_stating_it(run_json, archive):
    results = run_json("who", QUERY)
    related = [r["score"] for r in results if r["relation"] == "related"]
    stating = [r["score"] for r in results if r["relation"] != "related"]
    assert related and max(related) < min(stating)


def test_the_same_wording_is_same_and_scores_highest(run_json, archive):
    wording = "Many of the fishermen detained at Varno last spring were young men from the northern islands."
    results = run_json("who", wording)
    assert results[0]["relation"] == "same"
    assert results[0]["score"] == max(r["score"] for r in results)


def test_renditions_of_one_work_are_listed_once_with_both_sources(run_json, archive):
    conn = sqlite3.connect(archive)
    if "work_id" not in {r[1] for r in conn.execute("PRAGMA table_info(sources)")}:
        # Before the works-and-renditions migration (issue 13, part A) the column is absent:
        # add it here as that migration does, so that the grouping is tested either way.
        conn.execute("ALTER TABLE sources ADD COLUMN work_id INTEGER")
    ids = dict(conn.execute("SELECT title, id FROM sources"))
    original = ids["Harbour Gazette (invented)"]
    conn.execute(
        "UPDATE sources SET work_id = ? WHERE id IN (?, ?)",
        (original, original, ids["Coastal Digest reprint (invented)"]),
    )
    conn.commit()
    conn.close()
    results = run_json("who", QUERY)
    works = [r for r in results if r["work_id"] == original]
    assert len(works) == 1
    assert [r["title"] for r in works[0]["renditions"]] == [
        "Harbour Gazette (invented)",
        "Coastal Digest reprint (invented)",
    ]
    assert "Coastal Digest reprint (invented)" not in titles(results)


def test_a_single_word_finds_the_claims_mentioning_it(run_json, archive):
    results = run_json("who", "Varno")
    assert len(results) == 4
    assert all("Varno" in r["text"] for r in results)
    assert {r["relation"] for r in results} == {"related"}


def test_min_score_leaves_out_weaker_results(run_json, archive):
    everything = run_json("who", QUERY)
    cut = sorted(r["score"] for r in everything)[1]
    kept = run_json("who", QUERY, "--min-score", str(cut))
    assert kept and all(r["score"] >= cut for r in kept)
    assert len(kept) < len(everything)


def test_limit_counts_works(run_json, archive):
    assert titles(run_json("who", QUERY, "--limit", "2")) == titles(run_json("who", QUERY))[:2]


def test_json_gives_each_work_with_its_renditions(run_json, archive):
    results = run_json("who", QUERY)
    assert results and all(set(r) == RESULT_KEYS for r in results)
    for result in results:
        assert result["relation"] in {"same", "paraphrase", "related"}
        assert 0 < result["score"] <= 1
        lead = result["renditions"][0]
        assert (lead["source_id"], lead["claim_id"]) == (result["source_id"], result["claim_id"])
        shown = run_json("show", lead["source_id"])
        assert shown["text"][lead["start"] : lead["end"]] == lead["text"]


def test_no_result_says_so(run, archive):
    result = run("who", "The mayor opened a new library on Friday.")
    assert result.exit_code == 0
    assert result.stdout == ""
    assert "no stored claim states or mentions this" in result.stderr


def test_text_output_lists_rank_relation_and_source(run, archive):
    result = run("who", QUERY, ok=True)
    header, rule, first = result.stdout.splitlines()[:3]
    assert header.split() == ["rank", "published", "relation", "score", "claim", "source", "text"]
    assert set(rule.replace(" ", "")) == {"-"}
    assert first.split()[0] == "1" and "2009-05-12" in first and "paraphrase" in first


def test_a_rescorer_blends_its_scores_in_but_keeps_the_same_wording(archive):
    conn = sqlite3.connect(archive)
    seen = {}

    def rescorer(query: str, texts: list[str]) -> list[float]:
        seen["query"], seen["texts"] = query, texts
        return [1.0 if "fish market" in t else 0.0 for t in texts]

    def market(results):
        return next(r for r in results if "fish market" in r["text"])

    rescored = search.who(conn, QUERY, rescorer=rescorer)
    assert seen["query"] == QUERY and seen["texts"]
    lexical = search.who(conn, QUERY)
    blended = (1 - search.RESCORER_WEIGHT) * market(lexical)["score"] + search.RESCORER_WEIGHT
    assert market(rescored)["score"] == pytest.approx(blended, abs=1e-4)
    assert market(rescored)["rank"] < market(lexical)["rank"]
    same = search.who(conn, "Many of the fishermen detained at Varno last spring were young men.")
    assert same[0]["relation"] == "same"


def test_a_rescorer_giving_the_wrong_number_of_scores_is_an_error(archive):
    conn = sqlite3.connect(archive)
    with pytest.raises(ValueError, match="scores for"):
        search.who(conn, QUERY, rescorer=lambda q, texts: [0.5])


def test_accurate_blends_the_sentence_encoder_into_the_best_candidates(run_json, archive):
    from provenance import semantic

    if not semantic.available():
        pytest.skip(f"needs the accurate extra ({semantic.INSTALL_HINT})")
    lexical = {r["claim_id"]: r for r in run_json("who", QUERY)}
    accurate = run_json("who", QUERY, "--accurate")
    assert {r["claim_id"] for r in accurate} == set(lexical)
    for result in accurate:
        before = lexical[result["claim_id"]]
        if before["relation"] == "same":
            assert result["score"] == before["score"]
            continue
        [cosine] = semantic.similarities(QUERY, [result["text"]])
        blended = (1 - search.RESCORER_WEIGHT) * before["score"] + search.RESCORER_WEIGHT * cosine
        assert result["score"] == pytest.approx(blended, abs=1e-3)
    market = next(r for r in accurate if "fish market" in r["text"])
    stating = [r for r in accurate if r["relation"] != "related"]
    assert market["relation"] == "related" and all(r["score"] > market["score"] for r in stating)


def test_accurate_without_the_extra_is_one_line_naming_it(run, archive, monkeypatch):
    from provenance import semantic

    monkeypatch.setattr(semantic, "_runtime", lambda: None)
    semantic.encoder.cache_clear()
    result = run("who", QUERY, "--accurate")
    semantic.encoder.cache_clear()
    assert result.exit_code == 1 and result.stdout == ""
    assert result.stderr.count("\n") == 1
    assert "pip install 'provenance[accurate]'" in result.stderr


def test_a_sentence_not_kept_as_a_claim_is_found_in_its_source_text(archive):
    conn = sqlite3.connect(archive)
    stating = search.who(conn, QUERY)
    gazette = next(r for r in stating if r["title"] == "Harbour Gazette (invented)")
    # As if the claim detector had not kept the sentences that state it:
    gone = [r["claim_id"] for w in stating for r in w["renditions"] if r["relation"] != "related"]
    conn.execute(f"DELETE FROM claims WHERE id IN ({','.join('?' * len(gone))})", gone)
    conn.commit()
    found = search.who(conn, QUERY)
    by_title = {r["title"]: r for r in found}
    assert {"Harbour Gazette (invented)", "Island Courier (invented)"} <= set(by_title)
    sentence = by_title["Harbour Gazette (invented)"]
    assert sentence["claim_id"] is None and sentence["relation"] == "paraphrase"
    [text] = conn.execute(
        "SELECT text FROM sources WHERE id = ?", (sentence["source_id"],)
    ).fetchone()
    assert text[sentence["start"] : sentence["end"]] == sentence["text"] == gazette["text"]
    assert found[0]["title"] == "Harbour Gazette (invented)"  # still earliest first


@pytest.mark.asyncio
async def test_the_search_page_links_a_sentence_not_kept_as_a_claim_to_its_passage(archive):
    conn = sqlite3.connect(archive)
    stating = search.who(conn, QUERY)
    gone = [r["claim_id"] for w in stating for r in w["renditions"] if r["relation"] != "related"]
    conn.execute(f"DELETE FROM claims WHERE id IN ({','.join('?' * len(gone))})", gone)
    conn.commit()
    [first] = search.who(conn, QUERY, 1)
    ds = Datasette([str(archive)])
    html = (await ds.client.get(f"/{archive.stem}/-/search", params={"q": QUERY})).text
    passage = f"/{archive.stem}/-/source/{first['source_id']}?start={first['start']}&amp;end={first['end']}"
    assert f'class="sentence-link" href="{passage}' in html
    assert "/-/claim/None" not in html


def test_sentences_are_read_only_when_no_stored_claim_states_it(archive, monkeypatch):
    conn = sqlite3.connect(archive)
    read = []
    original = search.sentence_spans
    monkeypatch.setattr(search, "sentence_spans", lambda text: read.append(1) or original(text))
    assert search.who(conn, QUERY)[0]["claim_id"] is not None
    assert read == []


# --- the search page ------------------------------------------------------------------------


@pytest.mark.asyncio
async def test_the_search_page_answers_who_reported_a_pasted_claim(archive):
    ds = Datasette([str(archive)])
    name = archive.stem
    found = (await ds.client.get(f"/{name}/-/search.json", params={"q": QUERY})).json()
    conn = sqlite3.connect(archive)
    expected = search.who(conn, QUERY, 10)
    assert [w["claim_id"] for w in found["who"]] == [w["claim_id"] for w in expected]
    html = (await ds.client.get(f"/{name}/-/search", params={"q": QUERY})).text
    assert "Who reported this?" in html
    assert html.index("Harbour Gazette") < html.index("Island Courier")
    assert f'href="/{name}/-/claim/{expected[0]["claim_id"]}"' in html
