"""Cables: header fields read where a telegram states them, a clean text layer, REF citations."""

import sqlite3

import pytest

from provenance import ingest
from provenance.ingest.base import Hint


def extract(fixtures, name):
    path = fixtures / "ingest" / name
    return ingest.extract(path.read_bytes(), Hint(name=name))


@pytest.fixture
def cable(fixtures):
    return extract(fixtures, "telegram-noforn.txt")


def test_header_fields_of_a_telegram(cable):
    assert cable.kind == "cable"
    assert cable.reference_id == "09ORVIK230"
    assert cable.published == "2009-03-12T08:15:00Z"
    assert cable.classification == "SECRET//NOFORN"
    assert cable.origin == "Embassy Orvik"
    assert (
        cable.subject == "ORVIK: MINISTER CONCEDES PIPELINE DEAL WILL SLIP, BLAMES FINANCE MINISTRY"
    )
    assert cable.tags == "PREL PGOV ENRG OV"


def test_signer_and_classified_by(cable):
    assert cable.author == "PENN"
    assert cable.metadata["classified_by"].startswith("Ambassador Ruth Penn")


def test_each_field_says_where_it_was_read(cable):
    assert cable.metadata["field_origins"] == {
        "created": "date-time group",
        "origin": "FM line",
        "classification": "serial line",
        "reference_id": "serial line",
    }


def test_ref_lines_become_cable_identifiers(cable):
    assert cable.metadata["refs"] == [
        {"mention": "ORVIK 212", "identifier": "09ORVIK212"},
        {"mention": "08 STATE 14502", "identifier": "08STATE14502"},
    ]


@pytest.mark.parametrize(
    "furniture",
    [
        "ORVIK 00000230",  # page furniture
        "VZCZCXRO0230",  # routing header
        "SECTION 01 OF 02",  # serial line
        "END SUMMARY",
        "END COMMENT",
        "E.O. 12958",
        "Classified By",
        "\nSECRET\n",  # a page's classification banner
        "PENN",  # the signature
    ],
)
def test_furniture_and_markers_stay_out_of_the_text_layer(cable, furniture):
    assert furniture not in cable.text


def test_numbered_paragraphs_carry_their_markings(cable):
    marked = [(s.number, s.label) for s in cable.structure if s.kind == "paragraph" and s.number]
    assert marked == [(1, "S/NF"), (2, "C"), (3, "S/NF")]
    markers = [cable.text[s.start : s.end] for s in cable.structure if s.kind == "marker"]
    assert markers == ["1. (S/NF)", "2. (C)", "3. (S/NF)"]


def test_text_is_unwrapped_paragraphs(cable):
    assert "told the Ambassador on March 11 that the pipeline agreement" in cable.text


def test_a_partial_extract_in_lower_case_with_glued_fields(fixtures):
    record = extract(fixtures, "telegram-partial.txt")
    assert record.kind == "cable"
    assert record.reference_id == "05ORVIK112"
    assert record.published == "2005-05-23T14:26"
    assert record.classification == "CONFIDENTIAL"
    assert record.subject == "harbour strike ends after ten days"
    assert record.origin is None  # not stated in the text: not guessed
    assert record.metadata["field_origins"]["created"] == "stated date"


def test_ref_citations_resolve_to_the_stored_cable(run_json, fixtures, db_path):
    [earlier] = run_json("add", fixtures / "ingest" / "telegram-212.txt")
    [later] = run_json("add", fixtures / "ingest" / "telegram-noforn.txt")
    rows = (
        sqlite3.connect(db_path)
        .execute(
            "SELECT identifier, cited_source_id FROM citations WHERE citing_source_id = ?"
            " AND kind = 'cable-ref' ORDER BY identifier",
            (later["source_id"],),
        )
        .fetchall()
    )
    assert rows == [("08STATE14502", None), ("09ORVIK212", earlier["source_id"])]


@pytest.mark.parametrize(
    "repeated",
    ["PAGE 02", "182017Z", "SECTION 02 OF 02", "E.O. 12356", "SUBJ:", "5288", "SIPDIS"],
)
def test_headers_repeated_before_a_later_section_stay_out(fixtures, repeated):
    record = extract(fixtures, "telegram-sections.txt")
    assert repeated not in record.text


def test_a_sectioned_telegram_keeps_all_its_paragraphs(fixtures):
    record = extract(fixtures, "telegram-sections.txt")
    numbers = [s.number for s in record.structure if s.kind == "paragraph" and s.number]
    assert numbers == [1, 2, 3]
    assert record.reference_id == "90LANTERNBAY97" and record.author == "VALE"
