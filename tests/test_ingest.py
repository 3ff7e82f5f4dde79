"""Ingesters: kind detection from bytes, main text, metadata, posts, cables, PDFs."""

import pytest

from provenance import ingest
from provenance.errors import IngestError, UnsupportedInput
from provenance.ingest.base import Hint


def extract(fixtures, name, as_name=None):
    return ingest.extract((fixtures / name).read_bytes(), Hint(name=as_name or name))


@pytest.mark.parametrize(
    "fixture, misleading_name, kind",
    [
        ("article.html", "article.txt", "html"),
        ("report.pdf", "report.bin", "pdf"),
        ("cable-page.html", "page.html", "cable"),
        ("telegram.txt", "notes.html", "cable"),
    ],
)
def test_kind_comes_from_the_bytes_not_the_name(fixtures, fixture, misleading_name, kind):
    assert extract(fixtures, fixture, misleading_name).kind == kind


def test_binary_junk_is_refused_with_a_reason():
    with pytest.raises(UnsupportedInput, match="binary"):
        ingest.extract(bytes(range(256)) * 40, Hint(name="junk.html"))


def test_empty_input_is_refused():
    with pytest.raises(UnsupportedInput, match="empty"):
        ingest.extract(b"  \n", Hint(name="empty.txt"))


def test_html_main_text_keeps_the_article(fixtures):
    text = extract(fixtures, "article.html").text
    assert "footfall in the town centre fell by 31 percent" in text
    assert "single largest shock to the local economy" in text  # blockquote kept


@pytest.mark.parametrize(
    "boilerplate",
    [
        "NAVIGATION-MARKER",
        "COOKIE-MARKER",
        "SHARE-MARKER",
        "COMMENT-MARKER",
        "FOOTER-MARKER",
        "Traffic chaos on the bypass",
    ],
)
def test_html_main_text_drops_boilerplate(fixtures, boilerplate):
    assert boilerplate not in extract(fixtures, "article.html").text


def test_html_metadata(fixtures):
    record = extract(fixtures, "article.html")
    assert record.title == "Bridge closure cost the valley 2.4 million, council finds"
    assert record.author == "Priya Anand"
    assert record.publisher == "The Fenwick Courier"
    assert record.published.startswith("2019-06-11")
    assert record.canonical_url == "https://courier.example/2019/06/11/bridge-closure-cost/"


def test_single_article_with_teaser_cards_is_not_split(fixtures):
    assert extract(fixtures, "article.html").children == []


@pytest.mark.parametrize("fixture", ["archive-hentry.html"])
def test_archive_page_becomes_one_child_per_post(fixtures, fixture):
    record = extract(fixtures, fixture)
    titles = [c.title for c in record.children]
    assert titles == ["Counting fish at the weir", "The flood meeting", "Winter levels"]
    assert [c.published for c in record.children] == ["2012-04-18", "2012-03-02", "2012-01-20"]
    assert [c.author for c in record.children] == ["Ada Moss", "Ben Ruiz", "Ada Moss"]
    assert record.children[1].url == "/2012/03/02/flood-meeting/"
    for child in record.children:
        assert child.kind == "post"
        assert record.text[child.parent_start : child.parent_end] == child.text


def test_archive_page_does_not_take_a_posts_date_or_author(fixtures):
    record = extract(fixtures, "archive-hentry.html")
    assert record.published is None and record.author is None


def test_wikileaks_cable_page_fields(fixtures):
    record = extract(fixtures, "cable-page.html")
    assert record.reference_id == "09KESTREL45"
    assert record.published == "2009-03-04T10:22"
    assert record.released == "2011-02-01T12:00"
    assert record.classification == "CONFIDENTIAL//NOFORN"
    assert record.origin == "Embassy Kestrel"
    assert record.subject == "HARBOUR AUTHORITY DISPUTES DREDGING FIGURES"
    assert record.metadata["refs"] == [{"mention": "09 KESTREL 12", "identifier": "09KESTREL12"}]


def test_cable_text_layer_leaves_out_headers_and_page_furniture(fixtures):
    text = extract(fixtures, "cable-page.html").text
    assert "00000045" not in text  # "KESTREL 00000045 002.2 OF 002"
    assert "E.O. 12958" not in text and "Classified By" not in text
    assert "publish the full tender" in text


def test_cable_paragraph_markings_are_structure(fixtures):
    record = extract(fixtures, "cable-page.html")
    paragraphs = [s for s in record.structure if s.kind == "paragraph" and s.label]
    assert [(s.number, s.label) for s in paragraphs] == [(1, "C"), (2, "C/NF"), (3, "U")]


def test_plain_telegram_fields(fixtures):
    record = extract(fixtures, "telegram.txt")
    assert record.kind == "cable"
    assert record.reference_id == "07LANTERNBAY301"
    assert record.published.startswith("2007-06-01")
    assert record.classification == "UNCLASSIFIED//FOR OFFICIAL USE ONLY"
    assert record.origin == "Consulate Lantern Bay"
    assert record.subject == "GRAIN HARVEST FORECAST CUT BY A FIFTH"
    assert record.tags == "ECON EAGR LB"


def test_pdf_pages_and_metadata(fixtures):
    record = extract(fixtures, "report.pdf")
    assert record.page_count == 2
    assert record.title == "Water Quality in the Lower Tamsin, 2009"
    assert record.author == "Tamsin River Survey"
    assert record.published == "2009-11-02T12:00:00"
    pages = [s for s in record.structure if s.kind == "page"]
    assert [p.number for p in pages] == [1, 2]
    assert "nitrate" in record.text[pages[0].start : pages[0].end]
    assert "Fish counts at the weir" in record.text[pages[1].start : pages[1].end]


def test_truncated_pdf_fails_with_a_clear_error(fixtures):
    data = (fixtures / "report.pdf").read_bytes()[:300]
    with pytest.raises(IngestError, match="pdf"):
        ingest.extract(data, Hint(name="cut.pdf"))


def test_plain_text_is_a_source(tmp_path):
    record = ingest.extract(b"Field notes\n\nThe tide rose 2 metres.", Hint(name="notes.txt"))
    assert record.kind == "text"
    assert record.title == "Field notes"


def test_utf8_page_with_windows_1252_bytes_decodes_both():
    page = (
        "<html><head><meta charset='utf-8'><title>Caf\u00e9</title></head><body>"
        "<p>The caf\u00e9 in Mo\u00efra said prices rose 12 percent this year.</p>"
    ).encode()
    page += b"<p>\x93Quoted\x94 by the owner, who said sales fell 8 percent last year.</p></body></html>"
    record = ingest.extract(page, Hint(name="mixed.html"))
    assert "café in Moïra" in record.text and "“Quoted”" in record.text


# Invented sentences, each in a legacy code page and declaring no charset: detection must
# give back the text exactly (a curly apostrophe in Windows-1252 is no Baltic "Æ", an "è" in
# Latin-1 no Czech "č", a Polish "ł" no "³", and a Western "à" no Cyrillic "а").
LEGACY_TEXTS = [
    ("The harbour board\u2019s figures don\u2019t add up, the mayor said \u2013 again.", "cp1252"),
    ("Le ministre a d\u00e9clar\u00e9 apr\u00e8s la r\u00e9union que la d\u00e9cision \u00e9tait"
     " d\u00e9finitive et que l'\u00e9t\u00e9 serait consacr\u00e9 \u00e0 la r\u00e9forme.",
     "latin-1"),
    ("El ministro se\u00f1al\u00f3 que la situaci\u00f3n econ\u00f3mica hab\u00eda mejorado"
     " despu\u00e9s de la reuni\u00f3n del pr\u00f3ximo a\u00f1o.", "latin-1"),
    ("O ministro disse que a situa\u00e7\u00e3o econ\u00f4mica melhorou ap\u00f3s a reuni\u00e3o"
     " e que a popula\u00e7\u00e3o n\u00e3o ser\u00e1 afetada.", "latin-1"),
    ("Il ministro ha dichiarato che la citt\u00e0 \u00e8 pronta e che la novit\u00e0"
     " sar\u00e0 annunciata pi\u00f9 tardi.", "latin-1"),
    ("Minister powiedzia\u0142 po spotkaniu, \u017ce decyzja jest ostateczna, a rz\u0105d"
     " zajmie si\u0119 reform\u0105 bud\u017cetu w przysz\u0142ym roku.", "cp1250"),
    ("Ministr po sch\u016fzce \u0159ekl, \u017ee rozhodnut\u00ed je kone\u010dn\u00e9 a \u017ee"
     " vl\u00e1da se p\u0159\u00ed\u0161t\u00ed rok bude zab\u00fdvat reformou rozpo\u010dtu.",
     "cp1250"),
    ("\u041c\u0438\u043d\u0438\u0441\u0442\u0440 \u0437\u0430\u044f\u0432\u0438\u043b, \u0447"
     "\u0442\u043e \u0440\u0435\u0448\u0435\u043d\u0438\u0435 \u043e\u043a\u043e\u043d\u0447"
     "\u0430\u0442\u0435\u043b\u044c\u043d\u043e\u0435 \u0438 \u0447\u0442\u043e \u043f\u0440"
     "\u0430\u0432\u0438\u0442\u0435\u043b\u044c\u0441\u0442\u0432\u043e \u0437\u0430\u0439"
     "\u043c\u0451\u0442\u0441\u044f \u0431\u044e\u0434\u0436\u0435\u0442\u043e\u043c.", "cp1251"),
]  # fmt: skip


@pytest.mark.parametrize(("text", "encoding"), LEGACY_TEXTS)
def test_text_in_a_legacy_code_page_is_read_as_written(text, encoding):
    data = f"Notes\n\n{text}\n".encode(encoding)
    record = ingest.extract(data, Hint(name="notes.txt"))
    assert text in record.text
    assert data.decode(record.metadata["encoding"]) == f"Notes\n\n{text}\n"


def test_a_guess_that_mixes_scripts_in_a_word_gives_way_to_the_next():
    from provenance.ingest.decode import _mixed_script_words

    assert _mixed_script_words("la citt\u0430 \u0438 pronta") == 1  # Cyrillic а after Latin
    assert _mixed_script_words("la citt\u00e0 \u00e8 pronta, Stra\u00dfe, \u1ea1i") == 0
    assert _mixed_script_words("\u041c\u0438\u043d\u0438\u0441\u0442\u0440 Smith") == 0
