"""Credit lines: a paragraph that ends "Source - Harbour Gazette" comes from what it names.

Regional press digests, statistics and reprinted items credit each paragraph they summarise
this way; the paragraph's claims are attributed to the name (method ``credit-line-0.1``) and
the line itself is not a claim. A credit naming a cable by its short reference, and a cable
cited with its post's name cut short, resolve to that cable. Every text and cable here is
invented for the test suite.
"""

import sqlite3

import pytest

from provenance.analysis import analyse
from provenance.attribution import CREDIT_METHOD, find_credits
from provenance.citations import SHORT_POST_CONFIDENCE

DIGEST = (
    "Fisheries digest (invented for the provenance test suite)\n\n"
    "¶2. Varno Port Closes Its Northern Quay MAY 2009 - The port authority of Varno closed"
    " its northern quay to trawlers on Monday after inspectors found cracks in the pilings."
    " Repairs will cost about 4 million crowns and take until the autumn, the authority"
    " estimated. Source - Harbour Gazette (please contact the desk for the complete article)\n\n"
    "¶3. Salt Marsh Survey Counts Fewer Terns MAY 2009 - Volunteers counted 312 nesting pairs"
    " of terns on the Varno salt marsh this spring, down from 540 two years ago. Source:"
    " Northbay Statistics Office, Coastal Survey Trust\n\n"
    "¶4. A ferry line between Varno and Osterby will open in June with two crossings a day."
    " The operator expects 40,000 passengers in its first year.\n"
)


def credit_names(text):
    return [(c.name, text[c.mention[0] : c.mention[1]]) for c in find_credits(text) if not c.cable]


def test_a_credit_ending_a_paragraph_names_where_it_comes_from():
    credits = find_credits(DIGEST)
    assert [c.name for c in credits] == [
        "Harbour Gazette",
        "Northbay Statistics Office",
        "Coastal Survey Trust",
    ]
    gazette = credits[0]
    assert DIGEST[gazette.cue[0] : gazette.cue[1]] == "Source"
    paragraph = DIGEST[gazette.credited[0] : gazette.credited[1]]
    assert paragraph.startswith("¶2. Varno Port Closes")
    assert paragraph.endswith("the authority estimated.")
    assert DIGEST[gazette.line[0] : gazette.line[1]].startswith("Source - Harbour Gazette (")


@pytest.mark.parametrize(
    "text, names",
    [
        # after a sentence, in brackets, with a short note after the name
        (
            "Landings rose by a fifth in 2008 at the three harbours of the coast. (Source:"
            " Varno Harbour Board)\n",
            ["Varno Harbour Board"],
        ),
        (
            "The quay reopened in October after repairs costing 4 million crowns. Source -"
            " Harbour Gazette. Kindly shared by the consulate in Osterby\n",
            ["Harbour Gazette"],
        ),
        (
            "The ferry carried 41,000 passengers in its first year of service. Source - Public"
            " Affairs Office Varno based on a report in the Osterby Courier\n",
            ["Public Affairs Office Varno"],
        ),
        # a year ending the name
        (
            "Landings rose by a fifth at the three harbours of the coast. Source: Varno Harbour"
            " Board 2008.\n",
            ["Varno Harbour Board 2008"],
        ),
        # the outlet's web address after its name
        (
            "The quay reopened in October after repairs costing 4 million crowns. Source -"
            " Harbour Gazette http://www.harbour-gazette.example\n",
            ["Harbour Gazette"],
        ),
        # initials and small words inside a name
        (
            "Exports of cod fell for the third year running in 2008, to 12,000 tonnes. Source:"
            " U.S. Bureau of Fisheries and Ocean Statistics\n",
            ["U.S. Bureau of Fisheries and Ocean Statistics"],
        ),
        # a line standing alone credits no text (a chart's or a photograph's credit)
        ("Landings at the three harbours, 2004-2008\n\nSource: Varno Harbour Board\n", []),
        # prose after "Sources:" is no credit
        (
            "The trawlers left before dawn on each of the three days in question. Sources:"
            " Everyone in the harbour knows that the fleet left early and came back late.\n",
            [],
        ),
        # a name followed by more of the paragraph is no credit of it
        (
            "The quay reopened in October after repairs. Source - Harbour Gazette. The"
            " authority then raised the fees for every trawler using the northern quay, which"
            " the fleet's owners protested against in a letter to the council.\n",
            [],
        ),
        # a file code is no name
        (
            "The embassy reported the closure of the quay to the ministry on Monday. Source:"
            " HBLEXCLS.009143\n",
            [],
        ),
        # a title holding the word is no credit
        ("He wrote a history of the port called Finding the Source: The Varno Quays.\n", []),
    ],
)
def test_what_counts_as_a_credit_line(text, names):
    assert [name for name, _ in credit_names(text)] == names
    for name, written in credit_names(text):
        assert " ".join(written.split()) == name


def test_items_without_a_blank_line_between_them_are_credited_from_the_line_after():
    text = (
        "Varno closed its northern quay to trawlers on Monday. Source - Harbour Gazette\n"
        "Volunteers counted 312 nesting pairs of terns on the salt marsh. Source - Tern Watch\n"
    )
    (credit,) = find_credits(text)  # the first does not end its paragraph
    assert credit.name == "Tern Watch"
    assert text[credit.credited[0] : credit.credited[1]] == (
        "Volunteers counted 312 nesting pairs of terns on the salt marsh."
    )
    run_on = text.replace("\n", " ", 1)  # no line break to start after: no credit at all
    assert find_credits(run_on) == []


def test_numbered_items_run_together_are_each_credited():
    text = (
        "19. Quay Closes MAY 2009 - Varno closed its northern quay to trawlers on Monday."
        " Source - Harbour Gazette 20. Terns Decline MAY 2009 - Volunteers counted 312 nesting"
        " pairs of terns on the salt marsh. Source - Tern Watch (no link) 21. Ferry Opens JUNE"
        " 2009 - A ferry line between Varno and Osterby opened with two crossings a day.\n"
    )
    credits = find_credits(text)
    assert [c.name for c in credits] == ["Harbour Gazette", "Tern Watch"]
    gazette, terns = (text[c.credited[0] : c.credited[1]] for c in credits)
    assert gazette.startswith("19. Quay Closes") and gazette.endswith("on Monday.")
    assert terns.startswith("20. Terns Decline") and terns.endswith("on the salt marsh.")
    assert text[credits[1].line[0] : credits[1].line[1]] == "Source - Tern Watch (no link)"


def test_the_credited_paragraphs_claims_are_attributed_to_the_name():
    analysis = analyse(DIGEST, [])
    credited = [a for a in analysis.attributions if a.method == CREDIT_METHOD]
    by_agent: dict[str, list[str]] = {}
    for a in credited:
        claim = analysis.claims[a.claim]
        assert (a.content[0], a.content[1]) == (claim.start, claim.end)
        assert DIGEST[a.mention[0] : a.mention[1]] == a.agent
        by_agent.setdefault(a.agent, []).append(claim.text)
    gazette = by_agent["Harbour Gazette"]
    assert any("closed its northern quay" in t for t in gazette)
    assert any("Repairs will cost about 4 million crowns" in t for t in gazette)
    assert not any("terns" in t for t in gazette)
    terns = [t for t in by_agent["Northbay Statistics Office"] if "312 nesting pairs" in t]
    assert terns and terns == [
        t for t in by_agent["Coastal Survey Trust"] if "312 nesting pairs" in t
    ]
    # the paragraph without a credit is attributed to nobody by it
    assert not any("ferry" in t for texts in by_agent.values() for t in texts)
    # the credit line is no claim
    assert not any("Source" in c.text for c in analysis.claims)
    for c in analysis.claims:
        assert DIGEST[c.start : c.end] == c.text


def test_a_stored_credit_names_its_agent_and_method(run_json, tmp_path, db_path):
    path = tmp_path / "digest.txt"
    path.write_text(DIGEST, encoding="utf-8")
    run_json("add", path, "--workers", "1")
    conn = sqlite3.connect(db_path)
    rows = conn.execute(
        "SELECT g.name, a.method, a.cue, a.mention, c.text, a.content, a.tool_version"
        " FROM attributions a JOIN agents g ON g.id = a.agent_id"
        " JOIN claims c ON c.id = a.claim_id WHERE a.method = ?",
        (CREDIT_METHOD,),
    ).fetchall()
    assert {r[0] for r in rows} == {
        "Harbour Gazette",
        "Northbay Statistics Office",
        "Coastal Survey Trust",
    }
    for name, _method, cue, mention, claim, content, version in rows:
        assert cue == "Source" and mention == name and content == claim and version
    claims = [r[0] for r in conn.execute("SELECT text FROM claims")]
    assert not any(t.startswith("Source") for t in claims)


def test_claims_lists_the_credited_name_as_whom_it_is_attributed_to(run_json, tmp_path):
    path = tmp_path / "digest.txt"
    path.write_text(DIGEST, encoding="utf-8")
    run_json("add", path, "--workers", "1")
    claims = run_json("claims")
    quay = [c for c in claims if "closed its northern quay" in c["text"]]
    assert [(c["attributed_to"], c["cue"]) for c in quay] == [("Harbour Gazette", "Source")]
    ferry = [c for c in claims if "40,000 passengers" in c["text"]]
    assert ferry and ferry[0]["attributed_to"] is None


def telegram(post: str, serial: int, when: str, subject: str, *paragraphs: str) -> str:
    """An invented cable as telegram text (``when``: "291130Z JUL 08")."""
    body = "\n\n".join(f"{i}. (U) {p}" for i, p in enumerate(paragraphs, 1))
    return (
        f"VZCZCXRO{serial:04d}\nPP RUEHVL\nDE RUEHVL #{serial:04d}/01 2101130\nZNR UUUUU ZZH\n"
        f"P {when}\nFM AMEMBASSY {post}\nTO RUEHC/SECSTATE WASHDC PRIORITY 0502\n\n"
        f"UNCLAS {post} {serial:06d}\n\nSIPDIS\n\nE.O. 12958: N/A\nTAGS: ENRG ECON VL\n"
        f"SUBJECT: {subject}\n\n{body}\n\n"
        f"{len(paragraphs) + 1}. (U) This cable is an invented document written for the"
        " provenance test suite. The country, the places and the people named are fictional.\n"
        "HARROW\n"
    )


ORIGINAL = telegram(
    "PORT OF VELMA", 205, "291130Z JUL 08", "PORT OF VELMA: STATE OIL COMPANY OPENS A BIOFUELS ARM",
    "The state oil company of Velma launched a subsidiary on July 28 to run its biofuels"
    " plants, and plans to triple its ethanol exports by 2012, its chairman told Econoff.",
)  # fmt: skip
DIGEST_CABLE = telegram(
    "VELMORA", 1219, "121504Z SEP 08", "VELMORA: REGIONAL ENVIRONMENT DIGEST, AUGUST 2008",
    "Velma: Oil Company Launches Biofuels Subsidiary JULY 30, 2008 - The state oil company of"
    " Velma has launched a subsidiary to run its biofuels plants and plans to triple its"
    " ethanol exports by 2012. Source - PORT OF VEL 00000205",
    "Kestria: Drought Empties the Silos at Brenn AUG. 2, 2008 - The silos at Brenn hold less"
    " than forty thousand tonnes of wheat, a third of what the northern provinces need."
    " Source - Kestria Grain Bulletin",
)  # fmt: skip


def test_a_cable_credited_by_its_short_reference_is_a_citation_of_it():
    (credit,) = [c for c in find_credits(DIGEST_CABLE) if c.cable]
    assert credit.name == "PORT OF VEL 00000205"
    analysis = analyse(DIGEST_CABLE, [])
    (mention,) = [m for m in analysis.mentions if m.kind == "cable-ref"]
    assert (mention.start, mention.end) == credit.mention and mention.identifier is None
    cited = [a for a in analysis.attributions if a.mention == credit.mention]
    assert cited and all(a.agent is None and a.method == CREDIT_METHOD for a in cited)
    assert any("triple its ethanol exports" in analysis.claims[a.claim].text for a in cited)


@pytest.mark.parametrize("order", ["original first", "digest first"])
def test_the_credited_cable_is_where_the_digest_got_it(run_json, tmp_path, db_path, order):
    """The page header's short form of the post ("PORT OF VEL") names the cable as well as its
    reference id would: the citation and the item's claims point at it, in either order."""
    original, digest = tmp_path / "original.txt", tmp_path / "digest.txt"
    original.write_text(ORIGINAL, encoding="utf-8")
    digest.write_text(DIGEST_CABLE, encoding="utf-8")
    for path in [original, digest] if order == "original first" else [digest, original]:
        run_json("add", path, "--workers", "1")
    conn = sqlite3.connect(db_path)
    ids = dict(conn.execute("SELECT reference_id, id FROM sources"))
    cited = ids["08PORTOFVELMA205"]
    (row,) = conn.execute(
        "SELECT identifier, cited_source_id, confidence, evidence FROM citations"
        " WHERE mention = 'PORT OF VEL 00000205'"
    ).fetchall()
    assert row[:3] == ("08PORTOFVEL205", cited, SHORT_POST_CONFIDENCE)
    assert "cut short" in row[3]
    claims = conn.execute(
        "SELECT c.text FROM attributions a JOIN claims c ON c.id = a.claim_id"
        " WHERE a.cited_source_id = ? AND a.method = ?",
        (cited, CREDIT_METHOD),
    ).fetchall()
    assert any("triple its ethanol exports" in text for (text,) in claims)
    assert not any("Brenn" in text for (text,) in claims)


def test_a_short_post_name_fitting_two_cables_names_neither(run_json, tmp_path, db_path):
    other = telegram(
        "PORT OF VELNA", 205, "301130Z JUL 08", "PORT OF VELNA: HARBOUR DUES RAISED",
        "The harbour board of Velna raised the dues for trawlers by a fifth on July 29, its"
        " director told Econoff.",
    )  # fmt: skip
    for name, text in (("a", ORIGINAL), ("b", other), ("c", DIGEST_CABLE)):
        (tmp_path / f"{name}.txt").write_text(text, encoding="utf-8")
        run_json("add", tmp_path / f"{name}.txt", "--workers", "1")
    conn = sqlite3.connect(db_path)
    assert conn.execute(
        "SELECT cited_source_id FROM citations WHERE mention = 'PORT OF VEL 00000205'"
    ).fetchall() == [(None,)]


def test_a_ref_line_letter_is_no_post_name(run_json, tmp_path, db_path):
    """A REF line read as "B 205" names no post: not the one cable of serial 205 that year
    whose post begins with B."""
    stored = ORIGINAL.replace("PORT OF VELMA", "BRENN")
    citing = telegram(
        "KESTRIA", 311, "051130Z AUG 08", "KESTRIA: GRAIN TRADERS ASK FOR CREDIT",
        "The grain traders of the northern quay asked the treasury of Kestria on August 4 to"
        " guarantee their loans for wheat imports, their association told Econoff.",
    ).replace("SIPDIS\n", "SIPDIS\n\nREF: B 205\n")  # fmt: skip
    (tmp_path / "a.txt").write_text(stored, encoding="utf-8")
    (tmp_path / "b.txt").write_text(citing, encoding="utf-8")
    run_json("add", tmp_path / "a.txt", tmp_path / "b.txt", "--workers", "1")
    conn = sqlite3.connect(db_path)
    assert "08BRENN205" in {r for (r,) in conn.execute("SELECT reference_id FROM sources")}
    rows = conn.execute(
        "SELECT identifier, cited_source_id FROM citations WHERE kind = 'cable-ref'"
    ).fetchall()
    assert rows == [("08B205", None)]


def test_a_claim_is_listed_and_exported_with_the_attribution_naming_someone(
    run, run_json, tmp_path, db_path
):
    """A bare cue the tagger left without a source ("looking towards") says nothing of who:
    the credit naming the outlet is the one listed and exported, though stored after it."""
    path = tmp_path / "digest.txt"
    path.write_text(DIGEST, encoding="utf-8")
    run_json("add", path, "--workers", "1")
    conn = sqlite3.connect(db_path)
    claim_id, source_id, start, end = conn.execute(
        "SELECT id, source_id, start, end FROM claims WHERE text LIKE '%closed its northern quay%'"
    ).fetchone()
    with conn:
        conn.execute(
            "INSERT INTO attributions (id, source_id, claim_id, cue_start, cue_end, cue,"
            " content_start, content_end, content, method, tool_version)"
            " VALUES (0, ?, ?, ?, ?, 'closed', ?, ?, 'the quay', 'crf-polnear-3', 'test')",
            (source_id, claim_id, start + 50, start + 56, start, end),
        )
    (listed,) = [c for c in run_json("claims") if c["id"] == claim_id]
    assert (listed["attributed_to"], listed["cue"]) == ("Harbour Gazette", "Source")
    exported = run("export", "--format", "csv", ok=True).stdout
    (row,) = [line for line in exported.splitlines() if "closed its northern quay" in line]
    assert "Harbour Gazette" in row
    conn.execute("DELETE FROM attributions WHERE claim_id = ? AND id != 0", (claim_id,))
    conn.commit()
    (listed,) = [c for c in run_json("claims") if c["id"] == claim_id]
    assert (listed["attributed_to"], listed["cue"]) == (None, "closed")  # the only one left
