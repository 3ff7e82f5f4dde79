"""PDF ingest: pages, running heads and page numbers, hyphenation, metadata, damaged files.

The PDFs are written by the tests themselves (invented reports, marked as fictional).
"""

import io

import pypdf
import pytest

from provenance import ingest
from provenance.errors import IngestError
from provenance.ingest.base import Hint

XMP = """<?xpacket begin="" id="W5M0MpCehiHzreSzNTczkc9d"?>
<x:xmpmeta xmlns:x="adobe:ns:meta/"><rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#">
<rdf:Description rdf:about="" xmlns:dc="http://purl.org/dc/elements/1.1/"
  xmlns:xmp="http://ns.adobe.com/xap/1.0/" xmlns:pdf="http://ns.adobe.com/pdf/1.3/">
<dc:title><rdf:Alt><rdf:li xml:lang="x-default">Harbour Dues Review 2011</rdf:li></rdf:Alt></dc:title>
<dc:creator><rdf:Seq><rdf:li>Orvik Port Authority</rdf:li></rdf:Seq></dc:creator>
<xmp:CreateDate>2011-09-14T10:00:00Z</xmp:CreateDate>
<pdf:Producer>Invented Writer 1.0</pdf:Producer>
</rdf:Description></rdf:RDF></x:xmpmeta>
<?xpacket end="w"?>"""


def _escape(text: str) -> str:
    return text.replace("\\", "\\\\").replace("(", "\\(").replace(")", "\\)")


def write_pdf(pages, info=None, xmp=None, xref=True) -> bytes:
    """A small PDF: each page a list of (y, text) lines in Helvetica of 10 points, or of
    (y, text, points) lines."""
    objects: list[bytes] = []

    def add(body: bytes) -> int:
        objects.append(body)
        return len(objects)

    catalog = add(b"")
    tree = add(b"")
    font = add(b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>")
    kids = []
    for lines in pages:
        ops = [b"BT /F1 10 Tf"]
        for y, text, *points in lines:
            size = f"/F1 {points[0]} Tf " if points else ""
            ops.append(f"{size}1 0 0 1 60 {y} Tm ({_escape(text)}) Tj".encode("latin-1"))
        ops.append(b"ET")
        stream = b"\n".join(ops)
        content = add(b"<< /Length %d >>\nstream\n%s\nendstream" % (len(stream), stream))
        kids.append(
            add(
                b"<< /Type /Page /Parent %d 0 R /MediaBox [0 0 595 842] "
                b"/Resources << /Font << /F1 %d 0 R >> >> /Contents %d 0 R >>"
                % (tree, font, content)
            )
        )
    metadata = b""
    if xmp:
        data = xmp.encode("utf-8")
        number = add(
            b"<< /Type /Metadata /Subtype /XML /Length %d >>\nstream\n%s\nendstream"
            % (len(data), data)
        )
        metadata = b" /Metadata %d 0 R" % number
    objects[catalog - 1] = b"<< /Type /Catalog /Pages %d 0 R%s >>" % (tree, metadata)
    objects[tree - 1] = b"<< /Type /Pages /Kids [%s] /Count %d >>" % (
        b" ".join(b"%d 0 R" % k for k in kids),
        len(kids),
    )
    info_ref = b""
    if info:
        entries = " ".join(f"/{k} ({_escape(v)})" for k, v in info.items())
        info_ref = b" /Info %d 0 R" % add(f"<< {entries} >>".encode("latin-1"))
    out = io.BytesIO()
    out.write(b"%PDF-1.4\n")
    offsets = []
    for number, body in enumerate(objects, 1):
        offsets.append(out.tell())
        out.write(b"%d 0 obj\n%s\nendobj\n" % (number, body))
    if xref:
        start = out.tell()
        out.write(b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1))
        for offset in offsets:
            out.write(b"%010d 00000 n \n" % offset)
        out.write(
            b"trailer\n<< /Size %d /Root %d 0 R%s >>\nstartxref\n%d\n%%%%EOF\n"
            % (len(objects) + 1, catalog, info_ref, start)
        )
    else:  # a trailer but no cross-reference table: the reader has to find the objects
        out.write(b"trailer\n<< /Root %d 0 R >>\n%%%%EOF\n" % catalog)
    return out.getvalue()


def report_pages():
    """Three pages of an invented report with a running head, a footer and page numbers."""
    bodies = [
        [
            "The port authority reviewed harbour dues for the first time since 2004.",
            "Dues for vessels over 90 metres rose by 12 percent, while dues for fish-",
            "ing boats were frozen for a further two years.",
        ],
        [
            "Revenue from dues reached 4.1 million crowns in 2010, the review found.",
            "This report is fictional, written for the provenance test suite.",
        ],
        [
            "The board will publish its decision on the northern berths in spring.",
        ],
    ]
    pages = []
    for number, body in enumerate(bodies, 1):
        lines = [(800, "Orvik Port Authority - Harbour Dues Review 2011")]
        lines += [(700 - 14 * i, text) for i, text in enumerate(body)]
        lines += [(40, f"Page {number} of 3")]
        pages.append(lines)
    return pages


@pytest.fixture
def report():
    data = write_pdf(
        report_pages(),
        info={"Title": "Old working title", "Author": "A. Clerk", "CreationDate": "D:20110901"},
        xmp=XMP,
    )
    return ingest.extract(data, Hint(name="review.pdf"))


def test_every_page_is_a_span_and_blocks_sit_inside_their_page(report):
    pages = [s for s in report.structure if s.kind == "page"]
    assert [p.number for p in pages] == [1, 2, 3]
    assert "4.1 million crowns" in report.text[pages[1].start : pages[1].end]
    for block in (s for s in report.structure if s.kind == "paragraph"):
        assert any(p.start <= block.start and block.end <= p.end for p in pages)


def test_running_header_and_page_numbers_are_dropped(report):
    assert "Harbour Dues Review 2011" not in report.text
    assert "Page 2 of 3" not in report.text


def test_words_hyphenated_across_lines_are_rejoined(report):
    assert "dues for fishing boats were frozen" in report.text


def test_xmp_metadata_comes_before_the_info_dictionary(report):
    assert report.title == "Harbour Dues Review 2011"
    assert report.author == "Orvik Port Authority"
    assert report.published.startswith("2011-09-14")
    assert report.producer == "Invented Writer 1.0"
    assert report.metadata["field_origins"]["title"] == "xmp:dc:title"
    assert report.page_count == 3


def test_info_dictionary_when_there_is_no_xmp():
    data = write_pdf(report_pages(), info={"Title": "Dues", "Author": "A. Clerk"})
    record = ingest.extract(data, Hint(name="dues.pdf"))
    assert (record.title, record.author) == ("Dues", "A. Clerk")
    assert record.metadata["field_origins"]["author"] == "info:Author"


def test_a_file_without_cross_reference_table_is_repaired():
    data = write_pdf(report_pages(), xref=False)
    record = ingest.extract(data, Hint(name="no-xref.pdf"))
    assert "4.1 million crowns" in record.text


def _encrypted(user_password: str) -> bytes:
    reader = pypdf.PdfReader(io.BytesIO(write_pdf(report_pages())))
    writer = pypdf.PdfWriter()
    for page in reader.pages:
        writer.add_page(page)
    writer.encrypt(user_password=user_password, owner_password="owner", algorithm="RC4-128")
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


def test_encrypted_with_an_empty_user_password_is_opened():
    record = ingest.extract(_encrypted(""), Hint(name="locked.pdf"))
    assert "4.1 million crowns" in record.text


def test_encrypted_with_a_password_fails_with_one_line():
    with pytest.raises(IngestError, match="encrypted and needs a password") as info:
        ingest.extract(_encrypted("secret"), Hint(name="locked.pdf"))
    assert "\n" not in str(info.value)


@pytest.mark.parametrize("cut", [200, 600])
def test_a_truncated_file_fails_with_one_line(cut):
    with pytest.raises(IngestError, match="pdf") as info:
        ingest.extract(write_pdf(report_pages())[:cut], Hint(name="cut.pdf"))
    assert "\n" not in str(info.value)


def test_a_page_without_text_fails_clearly():
    with pytest.raises(IngestError, match="no text layer"):
        ingest.extract(write_pdf([[]]), Hint(name="scan.pdf"))


def test_a_page_pdfium_cannot_load_fails_with_a_clear_error():
    from provenance import ingest
    from provenance.errors import IngestError
    from provenance.ingest.base import Hint

    data = b"%PDF-\n1\x00+\x00obj<<///Pages\x002\x00+\x00R>>2\x00+\x00obj<</Type/Pages>>trailer<</Root\x001\x00+\x00R>>"
    with pytest.raises(IngestError, match="pdf"):
        ingest.extract(data, Hint(name="page.html"))


def _cover(title_lines, info=None):
    """A report whose first page sets its title in large type above the body."""
    lines = [(790 - 30 * i, text, 24) for i, text in enumerate(title_lines)]
    lines += [
        (640, "The port authority reviewed harbour dues for the first time since 2004.", 10),
        (625, "Dues for vessels over 90 metres rose by 12 percent this year.", 10),
        (610, "This report is fictional, written for the provenance test suite.", 10),
    ]
    return write_pdf([lines], info=info)


@pytest.mark.parametrize(
    "declared",
    [
        None,
        "harbour-dues-2011",
        "Microsoft Word - Harbour dues final v3.docx",
        "Untitled-1",
        "Book1",
    ],
)
def test_a_report_without_a_real_title_is_titled_by_its_cover(declared):
    info = {"Title": declared} if declared else None
    record = ingest.extract(
        _cover(["Harbour Dues Review:", "the Northern Berths"], info),
        Hint(name="harbour-dues-2011.pdf"),
    )
    assert record.title == "Harbour Dues Review: the Northern Berths"
    assert record.metadata["field_origins"]["title"] == "page:1:largest-type"


def test_a_declared_title_is_kept_and_a_cover_in_one_size_gives_none():
    record = ingest.extract(
        _cover(["Harbour Dues Review"], {"Title": "Review of Harbour Dues, 2011"}),
        Hint(name="r.pdf"),
    )
    assert record.title == "Review of Harbour Dues, 2011"
    assert record.metadata["field_origins"]["title"] == "info:Title"
    plain = write_pdf([[(790, "Harbour Dues Review"), *report_pages()[0][1:]]])  # one size
    assert ingest.extract(plain, Hint(name="harbour-dues.pdf")).title == "harbour-dues"


@pytest.mark.parametrize("heading", ["Contents", "harbour_dues_2011.txt", "HD-2011/04(C)"])
def test_a_cover_heading_that_is_no_title_is_not_taken(heading):
    record = ingest.extract(_cover([heading]), Hint(name="harbour-dues-2011.pdf"))
    assert record.title == "harbour-dues-2011"


@pytest.mark.parametrize(
    ("declared", "title"),
    [("Untitled-1", "harbour-dues"), ("Book1", "harbour-dues"),
     ("Microsoft Word - Harbour dues final v3.docx", "Harbour dues final v3"),
     ("harbour_dues_2011_final.pdf", "harbour_dues_2011_final.pdf")],
)  # fmt: skip
def test_a_placeholder_title_without_a_cover_heading_falls_back(declared, title):
    plain = write_pdf([report_pages()[0]], info={"Title": declared})  # one size of type
    assert ingest.extract(plain, Hint(name="harbour-dues.pdf")).title == title


def test_a_document_whose_pages_all_hold_the_same_text_keeps_it():
    """Running heads are lines that edge most pages; when every line of every page does,
    they are the document's text (a notice printed on each page), not its furniture."""
    lines = [(700, "Notice of the harbour board of Velmora, an invented body."),
             (686, "The quay closes at noon on Tuesday for repairs.")]  # fmt: skip
    record = ingest.extract(write_pdf([lines, lines, lines]), Hint(name="notice.pdf"))
    assert record.text.count("The quay closes at noon on Tuesday for repairs.") == 3
