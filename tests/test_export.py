"""`provenance export`: W3C Web Annotation, PROV-JSON, schema.org Claim and CSV."""

from __future__ import annotations

import base64
import copy
import csv
import io
import json

import jsonschema
import pytest
from prov.model import ProvDocument

from .conftest import FIXTURES, ROOT
from .publishing import build_database, query

ANNOTATION_SCHEMA = json.loads((ROOT / "schema" / "web-annotation.schema.json").read_text())
CLAIM_SCHEMA = json.loads((ROOT / "schema" / "claimreview.schema.json").read_text())


@pytest.fixture(scope="module")
def demo(tmp_path_factory):
    path = tmp_path_factory.mktemp("export") / "demo.db"
    return build_database(path, ROOT / "sources", FIXTURES)


@pytest.fixture
def export(run, demo):
    def invoke(fmt, *args):
        result = run("export", "--format", fmt, "--db", demo, *args)
        assert result.exit_code == 0, result.stderr
        return result.stdout

    return invoke


def errors(schema, document):
    validator = jsonschema.Draft202012Validator(schema)
    return [e.message for e in validator.iter_errors(document)]


def test_the_schemas_are_valid_json_schemas():
    jsonschema.Draft202012Validator.check_schema(ANNOTATION_SCHEMA)
    jsonschema.Draft202012Validator.check_schema(CLAIM_SCHEMA)


# --- Web Annotation -------------------------------------------------------------------------


def test_annotations_validate_against_the_web_annotation_schema(export):
    assert errors(ANNOTATION_SCHEMA, json.loads(export("annotation"))) == []


def test_there_is_one_annotation_per_claim(export, demo):
    collection = json.loads(export("annotation"))
    [(claims,)] = query(demo, "SELECT count(*) FROM claims")
    assert collection["total"] == claims == len(collection["first"]["items"])


def test_both_selectors_point_at_the_claim_in_the_text_layer(export, demo):
    texts = dict(query(demo, "SELECT id, text FROM sources"))
    claims = {cid: sid for cid, sid in query(demo, "SELECT id, source_id FROM claims")}
    for item in json.loads(export("annotation"))["first"]["items"]:
        quote, position = item["target"]["selector"]
        claim = int(item["id"].rsplit("/", 1)[1])
        text = texts[claims[claim]]
        assert quote["type"] == "TextQuoteSelector" and position["type"] == "TextPositionSelector"
        assert text[position["start"] : position["end"]] == quote["exact"]
        assert text[: position["start"]].endswith(quote["prefix"])
        assert text[position["end"] :].startswith(quote["suffix"])


def test_the_state_records_the_capture_date_and_the_archived_copy(export, demo):
    sid, url, retrieved, raw = query(
        demo,
        "SELECT id, url, retrieved, raw_sha256 FROM sources WHERE publisher = 'The Harbour Ledger'",
    )[0]
    collection = json.loads(export("annotation", "--source", sid))
    assert collection["id"] == f"http://127.0.0.1:8001/demo/-/source/{sid}"
    for item in collection["first"]["items"]:
        target = item["target"]
        assert target["source"] == url
        state = target["state"]
        assert state["type"] == "TimeState" and state["sourceDate"] == retrieved
        archived, named = state["cached"]
        assert archived == f"http://127.0.0.1:8001/demo/-/source/{sid}/original"
        digest = named.removeprefix("ni:///sha-256;")
        assert base64.urlsafe_b64decode(digest + "=").hex() == raw


def test_the_base_url_names_the_published_site(export):
    collection = json.loads(export("annotation", "--base-url", "https://claims.example.org/"))
    ids = [item["id"] for item in collection["first"]["items"]]
    assert ids and all(i.startswith("https://claims.example.org/demo/-/claim/") for i in ids)


def _first_annotation(export):
    collection = json.loads(export("annotation"))
    return collection, collection["first"]["items"][0]


@pytest.mark.parametrize(
    "break_it",
    [
        lambda a: a.pop("target"),
        lambda a: a.update(type="Note"),
        lambda a: a.update(motivation="liking"),
        lambda a: a.update(id="not an iri"),
        lambda a: a["target"]["selector"][1].update(start=-1),
        lambda a: a["target"]["selector"][1].pop("end"),
        lambda a: a["target"]["selector"][0].pop("exact"),
        lambda a: a["target"]["state"].update(sourceDateStart="2020-01-01T00:00:00Z"),
        lambda a: a["target"]["state"].update(sourceDate="yesterday"),
        lambda a: a["target"].pop("source"),
        lambda a: a["body"][0].pop("value"),
    ],
)
def test_the_schema_rejects_broken_annotations(export, break_it):
    collection, item = _first_annotation(export)
    broken = copy.deepcopy(collection)
    break_it(broken["first"]["items"][0])
    assert errors(ANNOTATION_SCHEMA, broken)


def test_a_single_annotation_needs_its_context(export):
    _, item = _first_annotation(export)
    assert errors(ANNOTATION_SCHEMA, item)
    assert errors(ANNOTATION_SCHEMA, {"@context": "http://www.w3.org/ns/anno.jsonld", **item}) == []


# --- PROV-JSON ------------------------------------------------------------------------------


@pytest.fixture
def prov_document(export):
    return ProvDocument.deserialize(content=export("prov"), format="json")


def records(document, kind):
    return [r for r in document.get_records() if r.get_type().localpart == kind]


def pairs(document, kind, prov_type=None):
    """(first, second) identifiers of the relations of a kind (and prov:type)."""
    return {
        (str(r.formal_attributes[0][1]), str(r.formal_attributes[1][1]))
        for r in records(document, kind)
        if prov_type is None or any(str(v) == prov_type for _, v in r.attributes)
    }


def test_prov_reads_back_with_the_prov_library(export):
    text = export("prov")
    document = ProvDocument.deserialize(content=text, format="json")
    again = ProvDocument.deserialize(content=document.serialize(format="json"), format="json")
    assert document == again


def test_every_claim_is_an_entity_derived_from_its_source(prov_document, demo):
    claims = dict(query(demo, "SELECT id, source_id FROM claims"))
    entities = {str(e.identifier) for e in records(prov_document, "Entity")}
    assert {f"claim:{cid}" for cid in claims} <= entities
    derived = pairs(prov_document, "Derivation")
    assert {(f"claim:{cid}", f"source:{sid}") for cid, sid in claims.items()} <= derived


def test_ingest_runs_are_activities_with_the_tool_version_as_agent(prov_document, demo):
    from provenance import __version__

    events = {eid for (eid,) in query(demo, "SELECT id FROM events WHERE action = 'add'")}
    activities = {str(a.identifier) for a in records(prov_document, "Activity")}
    assert activities == {f"event:{e}" for e in events}
    [tool] = [a for a in records(prov_document, "Agent") if str(a.identifier).startswith("pkg:")]
    assert str(tool.identifier) == f"pkg:provenance@{__version__}"
    associations = pairs(prov_document, "Association")
    assert associations == {(a, str(tool.identifier)) for a in activities}


def test_traced_quotes_are_quotations_of_their_original(prov_document, demo):
    traced = query(
        demo, "SELECT id, traced_source_id FROM quotes WHERE traced_source_id IS NOT NULL"
    )
    quotations = {
        (a, b)
        for a, b in pairs(prov_document, "Derivation", "prov:Quotation")
        if a.startswith("quote:")
    }
    assert traced and quotations == {(f"quote:{q}", f"source:{s}") for q, s in traced}


def test_resolved_citations_are_primary_sources(prov_document, demo):
    resolved = set(
        query(
            demo,
            "SELECT citing_source_id, cited_source_id FROM citations"
            " WHERE cited_source_id IS NOT NULL",
        )
    )
    primary = pairs(prov_document, "Derivation", "prov:PrimarySource")
    assert resolved and primary == {(f"source:{a}", f"source:{b}") for a, b in resolved}


def test_the_same_claim_in_two_sources_are_alternates(prov_document, demo):
    links = query(
        demo,
        "SELECT claim_id, other_claim_id FROM claim_links"
        " WHERE relation IN ('same', 'near', 'paraphrase')",
    )
    alternates = {
        frozenset(str(v) for _, v in r.formal_attributes)
        for r in records(prov_document, "Alternate")
    }
    assert links and alternates == {frozenset({f"claim:{a}", f"claim:{b}"}) for a, b in links}


def test_a_claim_quoting_another_is_quoted_from_it(prov_document, demo):
    links = query(
        demo, "SELECT claim_id, other_claim_id FROM claim_links WHERE relation = 'quotes'"
    )
    quoted = {
        (a, b)
        for a, b in pairs(prov_document, "Derivation", "prov:Quotation")
        if a.startswith("claim:")
    }
    assert links and quoted == {(f"claim:{a}", f"claim:{b}") for a, b in links}


def test_a_source_export_holds_that_source_only(export, demo):
    sid = query(demo, "SELECT id FROM sources WHERE reference_id = '08VELMORA112'")[0][0]
    document = ProvDocument.deserialize(content=export("prov", "--source", sid), format="json")
    claims = {cid for (cid,) in query(demo, "SELECT id FROM claims WHERE source_id = ?", (sid,))}
    exported = {
        int(str(e.identifier).split(":")[1])
        for e in records(document, "Entity")
        if str(e.identifier).startswith("claim:")
    }
    assert exported == claims


# --- schema.org Claim -----------------------------------------------------------------------


def test_claims_validate_against_the_claimreview_schema(export):
    assert errors(CLAIM_SCHEMA, json.loads(export("claimreview"))) == []


def test_appearances_are_listed_earliest_first(export, demo):
    [(post_claim, article_claim)] = query(
        demo,
        "SELECT l.claim_id, l.other_claim_id FROM claim_links l JOIN claims c ON c.id = l.claim_id"
        " JOIN sources s ON s.id = c.source_id WHERE s.kind = 'post' AND l.relation = 'same'",
    )
    graph = {item["@id"]: item for item in json.loads(export("claimreview"))["@graph"]}
    for cid in (post_claim, article_claim):
        item = graph[f"http://127.0.0.1:8001/demo/-/claim/{cid}"]
        types = [a["@type"] for a in item["appearance"]]
        assert types == ["Article", "BlogPosting"]
        assert item["firstAppearance"] == item["appearance"][0]
        assert item["firstAppearance"]["publisher"]["name"] == "The Harbour Ledger"


def test_a_claim_names_the_person_or_organisation_it_is_attributed_to(export, demo):
    first_agents = query(
        demo,
        "SELECT a.claim_id, g.name, g.kind FROM attributions a JOIN agents g ON g.id = a.agent_id"
        " WHERE a.id = (SELECT min(b.id) FROM attributions b WHERE b.claim_id = a.claim_id)",
    )
    graph = {item["@id"]: item for item in json.loads(export("claimreview"))["@graph"]}
    expected = {"person": "Person", "organisation": "Organization"}
    named = [(cid, name, kind) for cid, name, kind in first_agents if kind in expected]
    assert {kind for _, _, kind in named} == set(expected)
    for cid, name, kind in named:
        author = graph[f"http://127.0.0.1:8001/demo/-/claim/{cid}"]["author"]
        assert author == {"@type": expected[kind], "name": name}


def test_an_exported_claim_fits_a_fact_checkers_claimreview(export):
    claim = json.loads(export("claimreview"))["@graph"][0]
    review = {
        "@context": "https://schema.org",
        "@type": "ClaimReview",
        "claimReviewed": claim["text"],
        "itemReviewed": claim,
        "reviewRating": {"@type": "Rating", "alternateName": "Unproven"},
        "author": {"@type": "Organization", "name": "A fictional fact-checker"},
    }
    assert errors(CLAIM_SCHEMA, review) == []
    claim.pop("appearance")
    assert errors(CLAIM_SCHEMA, review)


# --- CSV and errors -------------------------------------------------------------------------


def test_csv_has_one_row_per_claim_with_its_source(export, demo):
    rows = list(csv.DictReader(io.StringIO(export("csv"))))
    stored = {cid: text for cid, text in query(demo, "SELECT id, text FROM claims")}
    assert {int(r["claim_id"]): r["text"] for r in rows} == stored
    cable = [r for r in rows if r["reference_id"] == "08VELMORA112"]
    assert cable and {r["source_kind"] for r in cable} == {"cable"}


def test_export_writes_to_a_file(run, demo, tmp_path):
    target = tmp_path / "claims.csv"
    result = run("export", "--format", "csv", "--db", demo, "-o", target)
    assert result.exit_code == 0 and target.read_text().startswith("claim_id,")
    assert "claims exported as csv" in result.stderr


def test_an_unknown_source_is_a_one_line_error(run, demo):
    result = run("export", "--format", "prov", "--db", demo, "--source", "99999")
    assert result.exit_code == 1
    assert result.stderr.strip() == "Error: no source with id 99999"


def test_an_export_is_an_event_of_the_log(run, run_json, tmp_path, db_path):
    import hashlib
    import sqlite3

    run_json("add", ROOT / "sources")
    out = tmp_path / "claims.csv"
    assert run("export", "--format", "csv", "-o", out).exit_code == 0
    conn = sqlite3.connect(db_path)
    action, payload = conn.execute(
        "SELECT action, payload FROM events ORDER BY id DESC LIMIT 1"
    ).fetchone()
    payload = json.loads(payload)
    assert action == "export" and payload["format"] == "csv"
    assert payload["sha256"] == hashlib.sha256(out.read_bytes()).hexdigest()
    assert run_json("verify")["ok"] is True


def _page(outlet: str, published: str) -> str:
    return (
        f"<html><head><title>Quay fees | {outlet} (invented outlet)</title>"
        f'<meta property="article:published_time" content="{published}"></head><body><article>'
        f"<h1>Quay fees at the {outlet}</h1><p>The {outlet} desk reported from the quay.</p>"
        "<p>The harbour authority raised mooring fees by 14 percent on Monday, according to a"
        " notice posted at the quay.</p></article></body></html>"
    )


@pytest.mark.parametrize(
    ("dates", "known"),
    [(("2024-05-02", "2024-05-02T09:00:00Z"), False), (("2024-05-01", "2024-05-02"), True)],
    ids=["same-day-one-without-time", "days-apart"],
)
def test_first_appearance_only_when_it_is_known(run, run_json, tmp_path, db_path, dates, known):
    """Two outlets of one day, one giving no time: which came first is not known, so the
    Claim names no firstAppearance (its appearances are both listed)."""
    for k, (outlet, published) in enumerate(zip(("Courier", "Gazette"), dates, strict=True)):
        page = tmp_path / f"{k}.html"
        page.write_text(_page(outlet, published), encoding="utf-8")
        run_json("add", page)
    result = run("export", "--format", "claimreview", "--db", db_path)
    assert result.exit_code == 0, result.stderr
    items = [i for i in json.loads(result.stdout)["@graph"] if i["text"].startswith("The harbour")]
    assert len(items) == 2  # the claim of each outlet, each with both appearances
    for item in items:
        assert len(item["appearance"]) == 2
        assert ("firstAppearance" in item) is known
    assert errors(CLAIM_SCHEMA, json.loads(result.stdout)) == []
