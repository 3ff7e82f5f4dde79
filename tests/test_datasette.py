"""The published database, through Datasette's own client."""

import pytest
from datasette.app import Datasette

from provenance.datasette import metadata


@pytest.fixture
def datasette(run_json, fixtures, db_path):
    run_json("add", fixtures)
    return Datasette([str(db_path)], metadata=metadata(db_path.stem))


@pytest.mark.asyncio
async def test_claims_answer_a_full_text_search(datasette, db_path):
    response = await datasette.client.get(
        f"/{db_path.stem}/claims.json?_search=nitrate&_shape=array"
    )
    assert response.status_code == 200
    rows = response.json()
    assert rows and all("nitrate" in row["text"] for row in rows)


@pytest.mark.asyncio
async def test_sources_answer_a_full_text_search(datasette, db_path):
    response = await datasette.client.get(
        f"/{db_path.stem}/sources.json?_search=dredging&_shape=array"
    )
    assert [row["reference_id"] for row in response.json()] == ["09KESTREL45"]


@pytest.mark.asyncio
async def test_a_claim_row_links_to_its_source(datasette, db_path):
    response = await datasette.client.get(f"/{db_path.stem}/claims?_search=nitrate")
    assert response.status_code == 200
    assert f'<a href="/{db_path.stem}/sources/' in response.text
    assert "Water Quality in the Lower Tamsin, 2009" in response.text  # the label, not an id


@pytest.mark.asyncio
async def test_tables_carry_titles_and_facets(datasette, db_path):
    response = await datasette.client.get(f"/{db_path.stem}/sources")
    assert "Every captured document" in response.text
    facets = await datasette.client.get(
        f"/{db_path.stem}/sources.json?_facet=kind&_extra=facet_results"
    )
    results = facets.json()["facet_results"]
    results = results.get("results", results)  # Datasette 1.0 nests them
    values = {f["value"] for f in results["kind"]["results"]}
    assert {"cable", "pdf", "html", "post"} <= values


@pytest.mark.asyncio
async def test_latest_captures_are_published_with_their_title(datasette, db_path):
    response = await datasette.client.get(f"/{db_path.stem}/latest_captures")
    assert response.status_code == 200
    assert "Sources as they stand now" in response.text
    rows = await datasette.client.get(f"/{db_path.stem}/latest_captures.json?_shape=array")
    everything = await datasette.client.get(
        f"/{db_path.stem}/sources.json?_shape=array&_size=max&_col=id"
    )
    # Each fixture is captured once: every source stands as it is.
    assert {r["id"] for r in rows.json()} == {r["id"] for r in everything.json()}
    assert {r["captures"] for r in rows.json()} == {1}


@pytest.mark.asyncio
@pytest.mark.parametrize("started", [True, False])
async def test_malformed_plugin_addresses_are_not_found_even_with_rich(
    datasette, db_path, monkeypatch, started
):
    """Where rich 14 or later is installed (the accurate extra brings it), Datasette's default
    error page raised for its own 404s: the plugin takes rich out of that page."""
    from datasette import handle_exception as default_errors

    from provenance.datasette.hooks import without_rich_tracebacks

    class Console:
        def print_exception(self, **kwargs):
            raise ValueError("Value for 'trace' required if not called in except: block")

    class Rich:
        get_console = staticmethod(Console)

    monkeypatch.setattr(default_errors, "rich", Rich())
    if started:
        await datasette.invoke_startup()  # as serving does, on the first request
    else:
        without_rich_tracebacks()
    for path in ("-/claim/abc", "-/claim/1.5", "-/source/1/raw", "-/source/999", "no_table"):
        response = await datasette.client.get(f"/{db_path.stem}/{path}")
        assert response.status_code == 404, path
