"""Attribution (cue, source, content), agents and quotations, from the library to the CLI."""

import json
import sqlite3

import pytest
from datasette.app import Datasette

from provenance import attribution
from provenance.agents import agent_key, agent_name
from provenance.attribution import find_attributions, find_quotes, resolve_agents

from .conftest import ROOT

FIXTURES = ROOT / "tests" / "attribution_fixtures"
STORY = FIXTURES / "harbour-story.txt"
CABLE = FIXTURES / "harbour-cable.txt"


def spans(text, found):
    return [
        (
            text[a.cue[0] : a.cue[1]],
            text[a.mention[0] : a.mention[1]] if a.mention else None,
            text[a.content[0] : a.content[1]],
        )
        for a in found
    ]


@pytest.mark.parametrize(
    "text, cue, source, content",
    [
        (
            "The dredging of the harbour was halted on Tuesday, according to a report by the "
            "Tamsin River Authority.",
            "according to",
            "a report by the Tamsin River Authority",
            "The dredging of the harbour was halted on Tuesday",
        ),
        (
            "Port director Amara Quell said that 40 percent of the channel had silted up.",
            "said",
            "Port director Amara Quell",
            "40 percent of the channel had silted up",
        ),
        (
            "The channel had silted up since 2019, the country's foreign minister told reporters.",
            "told",
            "the country's foreign minister",
            "The channel had silted up since 2019",
        ),
        (
            "The town council voted on Tuesday night to ask the national audit office to review "
            "the contract, a council spokeswoman said.",
            "said",
            "a council spokeswoman",
            "The town council voted on Tuesday night to ask the national audit office",
        ),
    ],
)
def test_cue_source_and_content_spans(text, cue, source, content):
    [(got_cue, got_source, got_content)] = spans(text, find_attributions(text))
    assert got_cue.startswith(cue)
    assert got_source == source
    assert content in got_content


def test_every_span_indexes_the_text():
    text = STORY.read_text(encoding="utf-8")
    found = find_attributions(text)
    assert len(found) >= 4
    for a in found:
        for start, end in [a.cue, a.content, *a.content_parts, *([a.mention] if a.mention else [])]:
            assert 0 <= start < end <= len(text)
            assert text[start:end] == text[start:end].strip()


def test_no_attribution_in_plain_statements():
    text = "The quay is four hundred metres long. It was built in 1908 of granite."
    assert find_attributions(text) == []


@pytest.mark.parametrize(
    "mention, name",
    [
        ("a report by the county council", "the county council"),
        ("Sen. Ines Varga (R-Fla.)", "Ines Varga"),
        ("Council leader Ruth Okafor", "Ruth Okafor"),
        ("the authority's chief engineer, Dov Harlan", "Dov Harlan"),
        ("West Point's Combating Terrorism Center", "West Point's Combating Terrorism Center"),
        ("the country's foreign minister", "the country's foreign minister"),
        ("Fisheries Minister Adela Brun", "Adela Brun"),
        ("C) Coast guard commander Captain Iver Dahl", "Iver Dahl"),
        (
            "a report by the Meridian Institute for Maritime Studies released in March",
            "the Meridian Institute for Maritime Studies",
        ),
        (
            "the Meridian Institute for Maritime Studies, which",
            "the Meridian Institute for Maritime Studies",
        ),
    ],
)
def test_agent_names(mention, name):
    assert agent_name(mention) == name


def test_of_a_mention_in_parts_the_agent_is_the_part_next_to_the_cue():
    assert agent_name("the cable, the embassy", before_cue=True) == "the embassy"
    assert agent_name("the cable, the coast guard", before_cue=False) == "the cable"


def test_agent_keys_make_the_same_agent_one_key():
    assert agent_key("The Tamsin River Authority") == agent_key("Tamsin River Authority’s")
    assert agent_key("Mr. Dov Harlan") == agent_key("Dov Harlan") == "dov harlan"


def test_pronouns_and_surnames_resolve_to_the_name_used_before():
    text = (
        "Port director Amara Quell said the channel had silted up. "
        "Quell told reporters that the trawlers could not enter. "
        "She said the work would resume in May."
    )
    found = find_attributions(text)
    assert [a.agent for a in found] == ["Amara Quell"] * 3


def test_an_unresolved_pronoun_names_no_agent():
    found = [attribution.Attribution((10, 14), (0, 2), (15, 30))]
    resolve_agents("He         said the quay was old.", found)
    assert found[0].agent is None


# --- quotations ---------------------------------------------------------------------------


def quotes(text):
    return [text[q.start : q.end] for q in find_quotes(text)]


@pytest.mark.parametrize(
    "text, expected",
    [
        ('"We cannot bring the trawlers in," Quell said.', ["We cannot bring the trawlers in"]),
        ("“We cannot bring the trawlers in,” Quell said.", ["We cannot bring the trawlers in"]),
        (
            "“The harbour is ‘finished’ as a port,” the cable says, “unless dredging resumes.”",
            ["The harbour is ‘finished’ as a port", "unless dredging resumes."],
        ),
        (
            "The mayor called it ‘a very sad day for the town’ on Monday.",
            ["a very sad day for the town"],
        ),
        ("Quell’s boats and the union’s offices were closed.", []),
        ("The so-called “deal” fell apart.", []),
        (
            "He said: “We will stay here until the port reopens",
            ["We will stay here until the port reopens"],
        ),
    ],
)
def test_quotes(text, expected):
    assert quotes(text) == expected


def test_a_quote_split_by_the_cable_says_has_the_cable_as_speaker_in_both_parts():
    text = CABLE.read_text(encoding="utf-8")
    found = find_attributions(text)
    qs = find_quotes(text)
    attribution.attach_speakers(text, qs, found)
    split = [
        q for q in qs if "harbour is" in text[q.start : q.end] or "unless" in text[q.start : q.end]
    ]
    assert len(split) == 2
    assert {text[q.speaker[0] : q.speaker[1]] for q in split} == {"the cable"}


# --- stored, shown, published -------------------------------------------------------------


@pytest.fixture
def story(run_json):
    [added] = run_json("add", STORY)
    return run_json("show", added["source_id"])


def test_show_json_carries_attributions_and_quotes(story):
    text = story["text"]
    assert story["attributions"] and story["quotes"]
    for a in story["attributions"]:
        assert set(a) >= {"cue", "source", "content", "agent", "claim_id"}
        for role in ("cue", "source", "content"):
            span = a[role]
            if span is not None:
                assert text[span["start"] : span["end"]] == span["text"]
    for q in story["quotes"]:
        assert set(q) >= {"start", "end", "text", "speaker"}
        assert text[q["start"] : q["end"]] == q["text"]
    by_cue = {a["cue"]["text"]: a for a in story["attributions"]}
    assert by_cue["according to"]["agent"] == "the Tamsin River Authority"
    assert any(q["speaker"] == "Amara Quell" for q in story["quotes"])


def test_attributions_belong_to_the_claims_that_hold_them(story):
    claims = {c["id"]: c for c in story["claims"]}
    linked = [a for a in story["attributions"] if a["claim_id"] is not None]
    assert linked
    for a in linked:
        claim = claims[a["claim_id"]]
        assert claim["start"] <= a["cue"]["start"] < claim["end"] or (
            claim["start"] <= a["content"]["start"] < claim["end"]
        )


def test_claims_json_carries_attribution_and_kind(run_json, story):
    rows = run_json("claims", "--source", story["id"])
    quell = next(c for c in rows if c["text"].startswith("Port director Amara Quell"))
    assert quell["attributed_to"] == "Amara Quell" and quell["cue"] == "said"
    assert quell["kind"] == "statistic"
    texts = [c["text"] for c in rows]
    assert not any(t.startswith(("What happens", "Subscribe")) for t in texts)


def test_the_same_agent_is_one_row_across_sources(run_json, db_path):
    run_json("add", STORY)
    run_json("add", CABLE)
    conn = sqlite3.connect(db_path)
    rows = conn.execute(
        "SELECT g.name, count(DISTINCT a.source_id) FROM attributions a"
        " JOIN agents g ON g.id = a.agent_id GROUP BY g.id"
    ).fetchall()
    assert ("Amara Quell", 2) in rows
    assert conn.execute("SELECT count(*) FROM agents WHERE key = 'amara quell'").fetchone() == (1,)


def test_every_attribution_and_quote_records_its_method(run_json, db_path):
    run_json("add", STORY)
    conn = sqlite3.connect(db_path)
    for table in ("attributions", "quotes"):
        assert {r[0] for r in conn.execute(f"SELECT DISTINCT method FROM {table}")} == {
            attribution.METHOD
        }


@pytest.mark.asyncio
async def test_attribution_spans_are_browsable_in_datasette(run_json, db_path):
    run_json("add", STORY)
    ds = Datasette([str(db_path)])
    response = await ds.client.get(f"/{db_path.stem}/attribution_spans.json?_shape=array")
    assert response.status_code == 200
    rows = response.json()
    assert rows and {"cue", "source_mention", "content", "agent", "claim"} <= set(rows[0])
    page = await ds.client.get(f"/{db_path.stem}/attributions?_sort=id")
    assert page.status_code == 200 and "content_start" in page.text
    quotes = await ds.client.get(f"/{db_path.stem}/quotes.json?_shape=array")
    assert {"speaker", "speaker_start", "speaker_end"} <= set(quotes.json()[0])


def test_tagging_features_leave_out_only_what_the_model_ignores():
    """Tagging builds only the features the model has weights for: fewer features, the same
    labels as the full set the tagger was trained on."""
    text = STORY.read_text(encoding="utf-8") + "\n\n" + CABLE.read_text(encoding="utf-8")
    tagger = attribution._tagger()
    known = attribution._known_attributes()
    dropped = 0
    for start, end in attribution.paragraph_spans(text):
        words = attribution._words_for_tagging(text, attribution.tokenize(text, start, end))
        full = attribution.token_features(words)
        pruned = attribution.token_features(words, tagging=True)
        for p, f_all in zip(pruned, full, strict=True):
            assert set(p) == {f for f in f_all if f in known}
        assert tagger.tag(pruned) == tagger.tag(full)
        dropped += sum(len(f) for f in full) - sum(len(p) for p in pruned)
    assert dropped > 0


def test_word_clusters_give_each_words_three_clusters_from_the_shipped_table():
    import json

    data = json.loads(attribution._resource(attribution.CLUSTERS_FILE).read_text(encoding="utf-8"))
    clusters = attribution.word_clusters()
    assert len(clusters) == len(data["vocab"]) > 10_000
    for i in (0, 1, len(data["vocab"]) // 2, len(data["vocab"]) - 1):
        word = data["vocab"][i]
        assert clusters.get(word) == tuple(data["clusters"][str(k)][i] for k in data["sizes"])
    assert clusters.get("no-such-word-in-any-vocabulary") is None
    with pytest.raises(ValueError):
        attribution.WordClusters(["a", "b"], [[1, 2], [3]])


#: Attributions the shipped CRF finds with its card's decoding bias (``decoding_bias``:
#: more spans opened, shorter cues) and misses, or finds with a longer cue, without it.
WITH_THE_DECODING_BIAS = [
    (
        "Officials at the port authority believe the channel will reopen by the end of the month.",
        "believe",
    ),
    (
        "Officials at the port authority expect the channel to reopen by the end of the month.",
        "expect",
    ),
    ("The council blamed the storm for the damage to the quay.", "blamed"),
    ("Amara Quell accused the ministry of hiding the cost of the dredging.", "accused"),
]


@pytest.fixture
def without_decoding_bias(tmp_path):
    """The shipped CRF with a card that has no decoding bias."""
    card = dict(attribution.model_card())
    del card["decoding_bias"]
    (tmp_path / attribution.CARD_FILE).write_text(json.dumps(card), encoding="utf-8")
    attribution.use_models(tmp_path)
    yield
    attribution.use_models(None)


def _cues(text):
    return [text[a.cue[0] : a.cue[1]] for a in find_attributions(text)]


@pytest.mark.parametrize("text, cue", WITH_THE_DECODING_BIAS)
def test_cues_of_belief_and_blame_are_found(text, cue):
    assert _cues(text) == [cue]


@pytest.mark.parametrize("text, cue", WITH_THE_DECODING_BIAS)
def test_without_the_decoding_bias_those_cues_are_missed(text, cue, without_decoding_bias):
    assert cue not in _cues(text)
