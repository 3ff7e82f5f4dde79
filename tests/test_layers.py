"""The house's floors: the site and the read side load nothing of the write step."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

from .conftest import ROOT

#: Libraries only the write step needs (parsing, tagging, fetching, vectors).
WRITE_LIBRARIES = ("numpy", "httpx", "trafilatura", "pycrfsuite", "onnxruntime", "lxml", "pypdf")
#: The write step of the package itself.
WRITE_MODULES = (
    "provenance.ingest",
    "provenance.pipeline",
    "provenance.store",
    "provenance.analysis",
    "provenance.attribution",
    "provenance.claims",
    "provenance.linking",
    "provenance.inputs",
)


def loaded_after(statement: str) -> list[str]:
    """The modules a fresh interpreter holds after running ``statement``."""
    code = f"import json, sys\n{statement}\nprint(json.dumps(sorted(sys.modules)))"
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, cwd=ROOT
    )
    return json.loads(result.stdout)


def write_step_in(modules: list[str]) -> list[str]:
    return [
        name
        for name in modules
        if name.split(".")[0] in WRITE_LIBRARIES
        or any(name == m or name.startswith(m + ".") for m in WRITE_MODULES)
    ]


@pytest.mark.parametrize(
    "module",
    [
        "provenance.datasette",
        "provenance.evidence",
        "provenance.search",
        "provenance.reading",
        "provenance.cli",
    ],
)
def test_the_read_side_imports_nothing_of_the_write_step(module):
    assert write_step_in(loaded_after(f"import {module}")) == []


def test_the_plugin_found_by_its_entry_point_imports_nothing_of_the_write_step():
    statement = (
        "from importlib.metadata import entry_points\n"
        "[e.load() for e in entry_points(group='datasette') if e.value.startswith('provenance')]"
    )
    loaded = loaded_after(statement)
    assert "provenance.datasette" in loaded
    assert write_step_in(loaded) == []


def test_the_registry_loads_an_ingester_only_when_asked():
    loaded = loaded_after("import provenance.ingest")
    assert [m for m in loaded if m.startswith("provenance.ingest.")] == ["provenance.ingest.base"]


def test_the_import_graph_keeps_its_floors():
    result = subprocess.run(
        [sys.executable, "-m", "provenance.layers"], capture_output=True, text=True, cwd=ROOT
    )
    assert result.returncode == 0, result.stdout
    assert "storage:\n" in result.stdout and "no cycles" in result.stdout


def graph(imports: dict[str, dict[str, bool]]):
    from provenance.layers import Module, layer_of

    return {name: Module(name, layer_of(name), targets) for name, targets in imports.items()}


def test_storage_importing_the_write_step_is_a_violation():
    from provenance.layers import violations

    found = violations(graph({"db": {"store": False}, "store": {"db": True}}))
    assert found == ["db (storage) imports store (write): storage may import only base, storage"]


def test_the_site_importing_an_ingester_is_a_violation():
    from provenance.layers import violations

    found = violations(graph({"datasette.pages": {"ingest.html": True}, "ingest.html": {}}))
    assert len(found) == 1 and found[0].startswith("datasette.pages (site) imports ingest.html")


def test_a_cycle_of_imports_at_load_time_is_a_violation():
    from provenance.layers import violations

    found = violations(graph({"linking": {"works": True}, "works": {"linking": True}}))
    assert found == ["import cycle: linking -> works -> linking"]
    assert violations(graph({"linking": {"works": True}, "works": {"linking": False}})) == []


#: Libraries a text input never needs; importing them is start-up time `add` of one cable
#: would pay for nothing (pdfium and pypdf: PDFs; importlib.metadata: WARC's version string;
#: lxml: HTML pages and cable pages; sqlite-utils: its API over the archive, which the
#: commands do not use).
NOT_FOR_TEXT = ("pypdfium2", "pypdf", "warcio", "sqlite_utils", "importlib.metadata", "lxml")


def test_adding_a_cable_loads_nothing_it_does_not_need(tmp_path):
    # In one process (a batch's worker is a fork of the writer, so together they load what
    # this does): read, detect, extract, analyse, store.
    cable = ROOT / "tests" / "fixtures" / "telegram.txt"
    statement = (
        "from provenance.db import open_db\n"
        "from provenance import pipeline, store\n"
        "from provenance.archive import sha256_hex\n"
        "from provenance.inputs import Limits, iter_inputs, read_item\n"
        f"db = open_db({str(tmp_path / 'one.db')!r})\n"
        f"fetched = read_item(next(iter(iter_inputs([{str(cable)!r}], False))), Limits())\n"
        "prepared = pipeline.prepare(fetched, sha256_hex(fetched.data), Limits())\n"
        "status, stored = store.store_prepared(db.conn, prepared)\n"
        "assert status == 'added' and stored[0].claims, (status, stored)"
    )
    loaded = loaded_after(statement)
    assert "provenance.ingest.cable" in loaded and "provenance.ingest.pdf" in loaded
    assert [m for m in loaded if m.split(".")[0] in NOT_FOR_TEXT or m in NOT_FOR_TEXT] == []


def test_the_archive_offers_sqlite_utils_on_first_use(tmp_path):
    from provenance.db import open_db

    db = open_db(tmp_path / "one.db")
    assert "_migrations" in db.table_names()  # sqlite-utils' API, over the same connection
    assert db.utils.conn is db.conn
    assert [r["name"] for r in db["_migrations"].rows][:1] == [
        r[0] for r in db.conn.execute("SELECT name FROM _migrations ORDER BY rowid LIMIT 1")
    ]
