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


# --- fields a telegram states in other forms ------------------------------------------------

PARTIAL = (
    "This record is a partial extract of the original cable. The full text of the original"
    " cable is not available.\n\n"
)
PARAGRAPHS = (
    "\n1. (C) The harbour minister met the opposition leader. Fictional telegram written for"
    " the provenance test suite.\n\n2. (C) Nothing was agreed.\nPENN\n"
)


def telegram(text: str):
    return ingest.extract(text.encode("utf-8"), Hint(name="cable.txt"))


NO_YEAR = PARTIAL + "C O N F I D E N T I A L ORVIK 000712\n\nSUBJECT: FERRIES\n" + PARAGRAPHS


def named(text: str, name: str):
    return ingest.extract(text.encode("utf-8"), Hint(name=name))


def test_a_partial_extract_takes_the_reference_id_its_file_is_named_by():
    record = named(NO_YEAR, "04ORVIK712.txt")
    assert (record.reference_id, record.published) == ("04ORVIK712", "2004-01-01")
    origins = record.metadata["field_origins"]
    assert (origins["reference_id"], origins["created"]) == ("file name", "file name:year")


@pytest.mark.parametrize(
    "name",
    ["cable.txt", "04ORVIK713.txt", "04LANTERNBAY712.txt", "x04ORVIK712.txt", "04orvik712.txt"],
    ids=["no-reference", "other-serial", "other-post", "prefixed", "lower-case"],
)
def test_a_file_name_that_names_another_cable_gives_nothing(name):
    record = named(NO_YEAR, name)
    assert (record.reference_id, record.published) == (None, None)


@pytest.mark.parametrize("name", ["04ORVIK712.txt", "05ORVIK712.txt", "05ORVIK713.txt"])
def test_a_file_name_never_overrides_what_the_text_states(name):
    dated = named(NO_YEAR.replace("SUBJECT:", "Cable dated:2005-02-07T22:12:00\nSUBJECT:"), name)
    assert (dated.reference_id, dated.published) == ("05ORVIK712", "2005-02-07T22:12")
    assert dated.metadata["field_origins"]["reference_id"] == "serial line"
    stated = named(
        "R 041731Z FEB 10\nFM AMEMBASSY ORVIK\nTO SECSTATE WASHDC 6294\n\n"
        "C O N F I D E N T I A L ORVIK 000048\n\nSUBJECT: FERRIES\n" + PARAGRAPHS,
        name.replace("712", "48"),
    )
    assert (stated.reference_id, stated.published) == ("10ORVIK48", "2010-02-04T17:31:00Z")


def test_a_partial_extract_reads_the_archive_header_row(fixtures):
    record = extract(fixtures, "telegram-partial-row.txt")
    assert (record.reference_id, record.published, record.classification, record.origin) == (
        "04ORVIK712",
        "2004-07-26",
        "CONFIDENTIAL",
        "Embassy Orvik",
    )
    assert set(record.metadata["field_origins"].values()) == {"header row"}


def test_a_subject_cut_short_is_read_whole_from_its_repetition(fixtures):
    record = extract(fixtures, "telegram-partial-row.txt")
    assert record.subject == 'ORVIK PRIME MINISTER SAYS THE FERRY DISPUTE IS "FINISHED BUSINESS"'


@pytest.mark.parametrize(
    "row",
    [
        "4321\n2004-07-26 05:05\n\n04ORVIK712\n\nEmbassy Orvik\n\nCONFIDENTIAL//NOFORN\n",
        "4321\t2004-07-26 05:05:00\t04ORVIK712\tEmbassy Orvik\tCONFIDENTIAL//NOFORN\t\t\n",
        '4321,7/26/2004 5:05,04ORVIK712,"Embassy Orvik",CONFIDENTIAL//NOFORN,04ORVIK700,"\n',
        "id: 4321\ndate: 7/26/2004 5:05\nrefid: 04ORVIK712\norigin: Embassy Orvik\n"
        "classification: CONFIDENTIAL//NOFORN\ndestination:\n",
        "4321  2004-07-26  04ORVIK712  Embassy Orvik  CONFIDENTIAL//NOFORN    \n",
    ],
    ids=["one-field-a-line", "tabs", "commas", "labelled", "spaces"],
)
def test_header_row_layouts(row):
    record = telegram(
        PARTIAL + row + "C O N F I D E N T I A L ORVIK 000712\n\nSUBJECT: FERRIES\n" + PARAGRAPHS
    )
    assert (record.reference_id, record.published, record.classification, record.origin) == (
        "04ORVIK712",
        "2004-07-26" if "  " in row else "2004-07-26T05:05",
        "CONFIDENTIAL//NOFORN",
        "Embassy Orvik",
    )


def test_a_header_row_with_date_and_reference_id_only():
    record = telegram(
        PARTIAL + "23064 11/19/2004 15:41 04ORVIK4944 C O N F I D E N T I A L ORVIK 004944\n"
        "SUBJECT: FERRIES\n" + PARAGRAPHS
    )
    assert (record.reference_id, record.published) == ("04ORVIK4944", "2004-11-19T15:41")
    assert record.classification == "CONFIDENTIAL"  # from the serial line


def test_a_header_row_of_another_cable_is_not_this_ones():
    record = telegram(
        "R 041731Z FEB 10\nFM AMEMBASSY ORVIK\nTO SECSTATE WASHDC 6294\n\n"
        "C O N F I D E N T I A L ORVIK 000048\n\nSUBJECT: FERRIES\n" + PARAGRAPHS + "\n"
        "121752\t2010-02-01 12:50:00\t10LANTERNBAY229\tConsulate Lantern Bay\tUNCLASSIFIED\t\n"
    )
    assert record.reference_id == "10ORVIK48"
    assert record.classification == "CONFIDENTIAL"
    assert record.metadata["field_origins"]["reference_id"] == "serial line"


def test_old_telegram_layout_with_lower_case_date_time_group(fixtures):
    record = extract(fixtures, "telegram-partial-page.txt")
    assert record.published == "2000-11-29T13:59:00Z"
    assert record.metadata["field_origins"]["created"] == "date-time group"


def test_a_page_banner_number_is_not_a_serial_line(fixtures):
    record = extract(fixtures, "telegram-partial-page.txt")  # "CONFIDENTIAL     PTQ1859"
    assert record.reference_id == "00ORVIK6677"
    assert record.classification == "CONFIDENTIAL"


def test_a_dated_line_when_no_date_time_group(fixtures):
    text = (fixtures / "ingest" / "telegram-partial-page.txt").read_text()
    record = telegram(text.replace("291359Z Nov 00", ""))
    assert record.published == "2000-11-29T13:59"
    assert record.metadata["field_origins"]["created"] == "stated date"


def test_a_routing_block_repeated_before_a_later_section():
    record = telegram(
        PARTIAL + "C O N F I D E N T I A L SECTION 01 OF 02 ORVIK 005461\n\n"
        "SUBJECT: FERRIES\n" + PARAGRAPHS + "\n/006W ------------------8A8E22 271459Z /38"
        " O 271459Z SEP 00 FM AMEMBASSY ORVIK TO SECSTATE WASHDC IMMEDIATE 7212\n"
        "C O N F I D E N T I A L SECTION 02 OF 02 ORVIK 005461\n\n3. (C) More.\n"
    )
    assert record.published == "2000-09-27T14:59:00Z"
    assert record.metadata["field_origins"]["created"] == "routing block"
    assert record.reference_id == "00ORVIK5461"


def test_a_page_line_names_post_and_serial_when_the_serial_line_is_lost():
    record = telegram(
        PARTIAL + "PAGE 01        ORVIK  05461  01 OF 02  271458Z\nP 271459Z SEP 00\n"
        "FM AMEMBASSY ORVIK\nTO SECSTATE WASHDC 7212\n\nSUBJECT: FERRIES\n" + PARAGRAPHS
    )
    assert record.reference_id == "00ORVIK5461"
    assert record.metadata["field_origins"]["reference_id"] == "PAGE line"


def test_a_declassification_date_is_not_a_date_of_sending():
    record = telegram(
        PARTIAL + "C O N F I D E N T I A L SECTION 01 OF 02 ORVIK 000632\n\nSIPDIS\n\n"
        "EO 12958 DECL: 09/21/10\nTAGS PGOV\nSUBJECT: FERRIES\n" + PARAGRAPHS
    )
    assert record.published is None
    assert record.reference_id is None  # its year is not stated
    assert record.metadata["serial"] == 632


@pytest.mark.parametrize(
    ("place", "origin"),
    [
        ("WELLINGTON", "Embassy Wellington"),
        ("SAO PAULO", "Consulate Sao Paulo"),
        ("USUN NEW YORK", "USUN New York"),
        ("KIEV", "Embassy Kyiv"),
        ("E F T O LONDON", "Embassy London"),
        ("BRUSSELS", None),  # the Embassy's and USEU's
        ("ORVIK", None),  # not a post of the list
    ],
)
def test_origin_from_the_post_the_serial_line_names(place, origin):
    record = telegram(
        PARTIAL + f"UNCLAS SECTION 01 OF 02 {place} 000632\n\nSUBJECT: FERRIES\n" + PARAGRAPHS
    )
    assert record.origin == origin
    if origin:
        assert record.metadata["field_origins"]["origin"] == "serial line post"


ROUTING = (
    "VZCZCXRO0230\nRR RUEHWEB\nDE RUEHOV #2725/01 1771213\nZNY CCCCC ZZH\nR 260754Z JUN 07\n"
    "FM AMEMBASSY PARIS\nTO SECSTATE WASHDC 1234\n\n"
)


def test_a_body_of_another_cable_does_not_classify_this_one():
    record = telegram(
        ROUTING + "S E C R E T SECTION 01 OF 04 MOSCOW 005154\n\nNOFORN\nSIPDIS\n\n"
        "SUBJECT: ARMS SALES\n" + PARAGRAPHS
    )
    assert record.reference_id == "07PARIS2725"
    assert record.classification == "CONFIDENTIAL"
    assert record.metadata["field_origins"]["classification"] == "ZNY line"


def test_a_body_of_another_cable_without_a_de_line_gives_no_reference_id():
    record = telegram(
        "R 272120Z FEB 09\nFM USINT HAVANA\nTO SECSTATE WASHDC 4178\n\n"
        "C O N F I D E N T I A L SECTION 01 OF 02 MOSCOW 000512\n\nSUBJECT: UNREST\n" + PARAGRAPHS
    )
    assert record.origin == "US Interests Section Havana"
    assert record.reference_id is None
    assert record.classification is None


def test_a_key_struck_twice_in_the_classification():
    record = telegram(
        "R 281125Z FEB 09\nFM AMCONSUL ORVIK\nTO SECSTATE WASHDC 7857\n\n"
        "SS E C R E T ORVIK 000041\n\nSUBJECT: SECURITY\n" + PARAGRAPHS
    )
    assert (record.reference_id, record.classification) == ("09ORVIK41", "SECRET")


def test_a_redacted_post_is_read_from_the_fm_line():
    record = telegram(
        "R 070012Z JAN 10\nFM AMCONSUL ORVIK\nTO SECSTATE WASHDC 8952\n\n"
        "SE C R E T SECTION 01 OF 02 XXXXXXXXXXXX 000004\n\nSUBJECT: BORDER\n" + PARAGRAPHS
    )
    assert (record.reference_id, record.classification) == ("10ORVIK4", "SECRET")


def test_a_from_line_names_the_sender():
    record = telegram(
        PARTIAL + "301931Z OCT 09\nFrom: AMCONSUL ORVIK\n\nUNCLAS ORVIK 001116\n\n"
        "SUBJECT: STATISTICS\n" + PARAGRAPHS
    )
    assert record.origin == "Consulate Orvik"


def test_a_foreign_minister_in_the_subject_is_not_a_sender():
    record = telegram(
        PARTIAL + "C O N F I D E N T I A L SECTION 01 OF 03 WELLINGTON 000660\n\n"
        "SUBJECT: AMBASSADOR'S MEETING WITH ACTING\nFM VIK\n\nREF: A. WELLINGTON 574\n" + PARAGRAPHS
    )
    assert record.origin == "Embassy Wellington"


def test_noforn_paragraph_markings_do_not_mark_the_whole_cable():
    record = telegram(
        ROUTING.replace("ZNY CCCCC", "ZNY SSSSS").replace("#2725", "#4650")
        + "S E C R E T PARIS 004650\n\nSIPDIS\n\nSUBJECT: HOSTAGES\n\n"
        "1. (S/NOFORN) Summary. Fictional telegram written for the provenance test suite.\n\n"
        "2. (S/NOFORN) More.\nPENN\n"
    )
    assert record.classification == "SECRET"
    assert [s.label for s in record.structure if s.kind == "marker"] == ["S/NOFORN"] * 2


def test_a_sensitive_caption_in_mixed_case():
    record = telegram(
        PARTIAL + "UNCLAS SECTION 01 OF 02 ORVIK 001453\n\nSIPDIS\n\nSensitive\n\n"
        "SUBJECT: ACQUITTAL\n" + PARAGRAPHS
    )
    assert record.classification == "UNCLASSIFIED//FOR OFFICIAL USE ONLY"


def test_a_header_row_run_into_the_routing_header_is_read_and_its_dtg_is_no_serial():
    record = telegram(
        "2008-12-02 14:39:00\t08ORVIK612\tEmbassy Orvik\tCONFIDENTIAL\t\tR 021439Z DEC 08\\\n"
        "FM AMEMBASSY ORVIK\\\nTO SECSTATE WASHDC 5485\\\n\tC O N F I D E N T I A L ORVIK 000612\n"
        "\nSUBJECT: FERRIES\n" + PARAGRAPHS
    )
    assert (record.reference_id, record.published) == ("08ORVIK612", "2008-12-02T14:39")


def test_no_origin_is_given_for_a_field_left_empty():
    record = telegram(
        PARTIAL
        + "PAGE 01        ORVIK  05461  01 OF 02  271458Z\n\nSUBJECT: FERRIES\n"
        + PARAGRAPHS
    )
    assert record.reference_id is None  # post and serial, but no year
    assert "reference_id" not in record.metadata.get("field_origins", {})


HEAD = "R 151250Z FEB 08\nFM AMEMBASSY ORVIK\nTO SECSTATE WASHDC 0101\n\nC O N F I D E N T I A L ORVIK 000248\n\n"


@pytest.mark.parametrize(
    "subject_lines, subject",
    [
        # furniture after a subject in capitals takes the post's name only
        (
            "SUBJECT: HARBOUR SECURITY AT ORVIK INTERNATIONAL PORT ORVIK 00000248  001.2 OF 003\n",
            "HARBOUR SECURITY AT ORVIK INTERNATIONAL PORT",
        ),
        # a subject over two lines, furniture run into the second
        (
            'SUBJECT: MINISTRY SAYS TIES "GREATLY\nCOMPLICATED" BY PORT RULING ORVIK 00000248 001.2'
            " OF 003 CLASSIFIED BY: Ambassador Ruth Penn. REASON: 1.4 (b)\n",
            'MINISTRY SAYS TIES "GREATLY COMPLICATED" BY PORT RULING',
        ),
        # furniture on a line of its own inside the subject never enters it
        (
            "SUBJECT: FERRY VISIT TO ORVIK\nORVIK 00000248  001.2 OF 002\nEXPECTED BY END OF APRIL\n",
            "FERRY VISIT TO ORVIK EXPECTED BY END OF APRIL",
        ),
        # a banner and a printed page header between the lines of a subject
        (
            "SUBJECT: MINISTER MEETS WITH ORVIK\n CONFIDENTIAL\nPAGE 02 ORVIK 00248 01 OF 03 151250Z"
            " OPPOSITION LEADER\n",
            "MINISTER MEETS WITH ORVIK OPPOSITION LEADER",
        ),
        # line-end backslashes of some captures are not words
        ("SUBJECT: PORT TALKS \\\n RESUME IN MAY \\\n \\\n", "PORT TALKS RESUME IN MAY"),
        # a classification word inside the subject is a word of it
        (
            "SUBJECT: REPORT ON SECRET DETENTION SITES\nREF: ORVIK 12\n",
            "REPORT ON SECRET DETENTION SITES",
        ),
        ("SUBJECT: LISTING UNDER E.O. 13382\n", "LISTING UNDER E.O. 13382"),
    ],
)
def test_a_subject_is_read_whole_to_the_next_header_line(subject_lines, subject):
    record = telegram(
        HEAD + subject_lines + "\nCLASSIFIED BY: Ambassador Ruth Penn.\n" + PARAGRAPHS
    )
    assert record.subject == subject
    assert "00000248" not in record.text


def test_a_later_statement_that_completes_the_subject_wins():
    record = telegram(
        HEAD + "SUBJECT: HARBOUR TALKS: MINISTERS\nSUBJECT: HARBOUR TALKS: MINISTERS MEET\n"
        "REF: ORVIK 12\n" + PARAGRAPHS
    )
    assert record.subject == "HARBOUR TALKS: MINISTERS MEET"


def test_furniture_in_the_text_takes_only_the_post_name():
    record = telegram(
        HEAD + "SUBJECT: PORTS\n\n1. (C) The delegation toured the ORVIK NORTH QUAY ORVIK 00000248"
        "  002.2 OF 003 and left.\n\n2. (C) Nothing was agreed.\nPENN\n"
    )
    assert "toured the ORVIK NORTH QUAY and left." in record.text


@pytest.mark.parametrize("filler", [" " * 60_000, " \n" * 30_000, "A " * 30_000])
def test_hostile_runs_after_a_subject_label_are_read_in_bounded_steps(filler):
    # Whitespace or capitals with no header line after them: the subject is cut at its line
    # limit, and no pattern backtracks over the run (this would not finish otherwise).
    record = telegram(HEAD + "SUBJECT: " + filler + "ORVIK 00000248 001.2 OF 003\n" + PARAGRAPHS)
    assert record.kind == "cable"
    assert len(record.subject or "") <= len(filler)
