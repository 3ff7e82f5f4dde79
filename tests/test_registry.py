"""The ingester registry: modules loaded on first use, explicit priority, a kind added in one line."""

from __future__ import annotations

import sys
import textwrap

import pytest

from provenance import ingest, kinds
from provenance.ingest.base import Hint

#: A whole ingester module for a made-up kind: the "ledger", a text file that names its title
#: on a first line "LEDGER: …" and another ledger as "SEE LEDGER 2019-7".
TOY_MODULE = textwrap.dedent(
    """
    from provenance.ingest import register
    from provenance.ingest.base import Extracted, Hint, Ingester, Mention
    from provenance.text import TextBuilder


    @register
    class LedgerIngester(Ingester):
        name = "ledger"
        version = "0.0.1"
        extensions = ("ledger",)

        def match(self, data: bytes, hint: Hint) -> float:
            return 1.0 if data.startswith(b"LEDGER: ") else 0.0

        def extract(self, data: bytes, hint: Hint) -> Extracted:
            head, _, body = data.decode("utf-8").partition("\\n")
            builder = TextBuilder()
            for paragraph in body.split("\\n\\n"):
                builder.add(paragraph)
            return Extracted(
                kind="ledger",
                text=builder.text(),
                extractor=self.name,
                extractor_version=self.version,
                title=head.removeprefix("LEDGER: ").strip(),
                structure=builder.structure,
                mentions=[Mention("SEE LEDGER 2019-7", "cable-ref", "2019-7")],
            )
    """
)

LEDGER = (
    b"LEDGER: Harbour fees 2020\n"
    b"The harbour authority said it collected 4.2 million in fees in 2020.\n\n"
    b"Officials said the fees rose by a third after the new quay opened.\n"
)


@pytest.fixture
def ledger_kind(tmp_path, monkeypatch):
    """The toy module on the path and its one line in the registry; gone after the test."""
    (tmp_path / "toy_ledger.py").write_text(TOY_MODULE, encoding="utf-8")
    monkeypatch.syspath_prepend(str(tmp_path))
    line = kinds.Registered(
        "toy_ledger", ("ledger",), {"ledger": kinds.Kind("Dataset", "ledger", described_as=None)}
    )
    monkeypatch.setattr(kinds, "REGISTRY", [*kinds.REGISTRY, line])
    yield line
    ingest._REGISTRY[:] = [i for i in ingest._REGISTRY if i.name != "ledger"]
    ingest._loaded.discard("toy_ledger")
    sys.modules.pop("toy_ledger", None)


def test_ingesters_are_asked_in_the_registry_order():
    names = [i.name for i in ingest.ingesters()]
    listed = [name for line in kinds.REGISTRY for name in line.ingesters]
    assert names == listed


def test_equal_scores_go_to_the_ingester_listed_first():
    # An HTML cable page is also HTML; the cable-page ingester is listed before the HTML one.
    page = b"<html><body><table class='cable'><tr><td>x</td></tr></table><pre>x</pre></body></html>"
    assert ingest.detect(page, Hint(name="page.html")).name == "cable-page"


def test_a_kind_unknown_to_the_registry_has_the_defaults():
    assert kinds.kind("no-such-kind") == kinds.Kind()
    assert kinds.kind("pdf").schema_type == "Report"


def test_a_new_kind_is_one_module_and_one_registry_line(ledger_kind, tmp_path, run_json, db):
    path = tmp_path / "fees.ledger"
    path.write_bytes(LEDGER)
    [result] = run_json("add", path, "--workers", "1")
    assert result["status"] == "added"
    source = db.conn.execute(
        "SELECT id, kind, title, extractor FROM sources WHERE id = ?", (result["source_id"],)
    ).fetchone()
    assert source[1:] == ("ledger", "Harbour fees 2020", "ledger")
    claims = db.conn.execute("SELECT count(*) FROM claims WHERE source_id = ?", (source[0],))
    assert claims.fetchone()[0] >= 1
    mention = db.conn.execute(
        "SELECT mention, kind, identifier FROM citations WHERE citing_source_id = ?",
        (source[0],),
    ).fetchall()
    assert ("SEE LEDGER 2019-7", "cable-ref", "2019-7") in mention
    assert kinds.kind("ledger").schema_type == "Dataset"
