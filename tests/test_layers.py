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
