"""PDF reports: text per page, every span inside its page, and document metadata.

Text comes from pdfium (pypdfium2: fast, and it repairs files without a cross-reference
table). When pdfium's text looks wrong (glyphs it could not map to Unicode, or letters that read
like a shifted code page, as fonts without a usable ``ToUnicode`` map give) the document is read
again with pdfminer.six, which knows the Adobe CJK CMaps, and the better reading is kept.

Each page's lines are cleaned before they join the text layer: running headers and footers
(lines repeated at the top or bottom of most pages) and page numbers are dropped, words hyphenated
across line ends are re-joined, and wrapped lines become paragraphs. Metadata comes from XMP
(pypdf) and the Info dictionary, XMP first, each field recording its origin.
"""

from __future__ import annotations

import io
import logging
import re
import unicodedata
import zlib
from collections import Counter
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from ..errors import IngestError, LimitExceeded
from ..text import TextBuilder
from . import register
from .base import Extracted, Hint, Ingester

# pypdfium2 (and pypdf) are imported by the functions that read a PDF: detection loads every
# ingester, and a text or HTML input would otherwise pay ~0.03 s of start-up for them.
if TYPE_CHECKING:
    import pypdfium2 as pdfium

log = logging.getLogger(__name__)
_PDF_DATE = re.compile(r"D:(\d{4})(\d{2})?(\d{2})?(\d{2})?(\d{2})?(\d{2})?")
_PAGE_NUMBER = re.compile(
    r"^\W*(?:page|p\.|seite|pagina|página)?\s*(?:\d{1,4}|[ivxlc]{1,6})"
    r"(?:\s*(?:of|/|von|de)\s*\d{1,4})?\W*$",
    re.I,
)
_BULLET = re.compile(r"^\s*(?:[•●▪◦‣∙·*–-]|\(?\d{1,3}[.)]|\(?[a-z][.)])\s+")
_SENTENCE_END = re.compile(r"[.!?:;\"”’)]\s*$")
_SHIFTED = re.compile(r"[a-z][A-Z]{3,}")  # "QtSURVWĜHGN": a font read through the wrong map
#: Above this share of doubtful characters, or below this many characters, pdfminer reads too.
DOUBT = 0.002
SHORT = 2000
#: Up to this many lines at the top and bottom of a page are checked for running heads.
EDGE_LINES = 3


def pdf_date(value: object) -> str | None:
    """ISO 8601 from a PDF date string such as ``D:20080215121200+01'00'``."""
    match = _PDF_DATE.match(str(value or ""))
    if not match:
        return None
    y, mo, d, h, mi, s = match.groups()
    if not mo or not d:
        return y
    if h is None:
        return f"{y}-{mo}-{d}"
    return f"{y}-{mo}-{d}T{h}:{mi or '00'}:{s or '00'}"


@dataclass
class Reading:
    """The text of each page as one engine read it."""

    engine: str
    pages: list[str] = field(default_factory=list)
    unmapped: int = 0  # glyphs the engine could not map to Unicode
    heading: str | None = None  # the first page's text in its largest type (see _heading)

    def chars(self) -> int:
        return sum(1 for page in self.pages for c in page if not c.isspace())

    def doubt(self) -> float:
        """How much of the text looks mis-mapped (0 = none)."""
        text = "".join(self.pages).replace("\ufffe", "")  # pdfium's soft hyphens are fine
        letters = sum(1 for c in text if not c.isspace()) or 1
        # Odd characters count inside words only: a private-use bullet at a line's start is
        # how Word's Symbol font writes "•", not a mis-mapped glyph.
        odd = sum(
            1
            for i, c in enumerate(text)
            if (
                unicodedata.category(c) in ("Co", "Cn", "Cc")
                and c not in "\n\r\t\f"
                or "\u3400" <= c <= "\u4dbf"  # CJK extension A: rare, typical of a wrong CMap
                or "\u02b0" <= c <= "\u02ff"  # modifier letters standing in for punctuation
                or c == "\ufffd"
            )
            and (text[i - 1 : i].isalnum() or text[i + 1 : i + 2].isalnum())
        )
        shifted = sum(len(m.group(0)) for m in _SHIFTED.finditer(text))
        return (odd + shifted + 5 * self.unmapped) / letters


def _read_with_pdfium(document: pdfium.PdfDocument) -> Reading:
    import pypdfium2.raw as pdfium_raw

    reading = Reading("pdfium")
    for index in range(len(document)):
        page = document[index]
        textpage = page.get_textpage()
        try:
            count = textpage.count_chars()
            reading.pages.append(textpage.get_text_range() if count else "")
            sized = []
            for i in range(count):
                code = pdfium_raw.FPDFText_GetUnicode(textpage, i)
                if code == 0:
                    reading.unmapped += 1
                if index == 0 and count <= HEADING_CHARS:
                    sized.append((chr(code), pdfium_raw.FPDFText_GetFontSize(textpage, i)))
            if index == 0:
                reading.heading = _heading(sized)
        finally:
            textpage.close()
            page.close()
    return reading


#: A first page with more characters than this is not searched for a heading (a page of
#: running text, a form or a table; and the per-character calls would add up).
HEADING_CHARS = 20_000


def _heading(chars: list[tuple[str, float]]) -> str | None:
    """The first run of a page's text set in its largest type, when that type stands out: a
    report's or paper's title on its cover or first page. None where the page has one size
    of type (many PDFs give every glyph the size 1 and scale it by the text matrix), where
    the largest type is barely larger than the body's, where the sizes are many (scanned
    pages with a text layer), or where the run is not a plausible title."""
    sizes = Counter(round(size * 2) / 2 for c, size in chars if c.isalpha())
    if len(sizes) < 2 or len(sizes) > 16:
        return None
    body = sizes.most_common(1)[0][0]
    largest = max((size for size, n in sizes.items() if n >= 3), default=None)
    if not largest or largest < 1.25 * body:
        return None
    words: list[str] = []
    word: list[str] = []
    started = False
    for c, size in chars:
        if c.isspace() or c in "\x00\ufffe\x02" or size == 0:
            if word:
                words.append("".join(word))
                word = []
            continue
        if round(size * 2) / 2 >= 0.9 * largest:
            word.append(c)
            started = True
        elif started:
            break
    if word:
        words.append("".join(word))
    title = " ".join(words).strip(" :;,.-\u2013\u2014")
    letters = sum(c.isalpha() for c in title)
    if not (3 <= letters and len(title) <= 200 and len(words) <= 30):
        return None
    if any(unicodedata.category(c) in ("Co", "Cn", "Cc") or c == "\ufffd" for c in title):
        return None
    if placeholder_title(title, None) or _SECTION.match(title):
        return None  # a file name, a form's code or a section's heading set large
    return title


#: Headings that open a section, not a document.
_SECTION = re.compile(
    r"^(?:(?:table of )?contents|abstract|summary|executive summary|introduction|preface"
    r"|foreword|index|appendix(?: [a-z\d]+)?|chapter \w+|acknowledge?ments)$",
    re.I,
)


#: A document title that says nothing of the document: what an office suite writes when its
#: author left the field empty (the file's name, "Untitled", "Microsoft Word - x.docx").
_OFFICE_PREFIX = re.compile(r"^microsoft (?:word|powerpoint|excel) - ", re.I)
_FILE_NAME = re.compile(
    r"\.(?:docx?|pptx?|xlsx?|rtf|odt|odp|pdf|pages|indd|qxd|tex|txt|html?)$", re.I
)
_GENERIC = re.compile(
    r"^(?:untitled|document|doc|title|presentation|powerpoint presentation|slide|pdf"
    r"|new document|microsoft word document|book|sheet)[\s\d_-]*$",
    re.I,
)


def placeholder_title(title: str, stem: str | None) -> bool:
    """Whether a PDF's declared title is a file name or a placeholder, not a title."""
    bare = _OFFICE_PREFIX.sub("", title.strip())
    if _FILE_NAME.search(bare) or _GENERIC.match(bare):
        return True
    if stem and _squash(bare) == _squash(stem):
        return True
    return " " not in bare and bool(re.search(r"[-_]", bare))


def _squash(value: str) -> str:
    return re.sub(r"[\W_]+", "", value).casefold()


def _title(values: dict, origins: dict, reading: Reading, hint: Hint) -> str | None:
    """The declared title, unless it is a placeholder (:func:`placeholder_title`); then the
    first page's heading; then the file's name for a generic placeholder ("Untitled"), the
    document's name for an office suite's ("Microsoft Word - name.docx"), the declared
    title, or the file's name."""
    stem = hint.name.rsplit(".", 1)[0] if hint.name else None
    declared = values.get("title")
    if declared and not placeholder_title(declared, stem):
        return declared
    if reading.heading:
        origins["title"] = "page:1:largest-type"
        values["title"] = reading.heading
        return reading.heading
    if declared and stem and _GENERIC.match(_OFFICE_PREFIX.sub("", declared.strip())):
        values.pop("title")  # "Untitled", "Book1": the file's name says more
        return stem
    if declared and _OFFICE_PREFIX.match(declared.strip()):
        return _FILE_NAME.sub("", _OFFICE_PREFIX.sub("", declared.strip())) or declared
    return declared or stem


def _read_with_pdfminer(data: bytes) -> Reading | None:
    from pdfminer.high_level import extract_text
    from pdfminer.pdfparser import PDFSyntaxError

    try:
        text = extract_text(io.BytesIO(data))
    except (PDFSyntaxError, ValueError, TypeError, KeyError, IndexError, AttributeError) as exc:
        log.info("pdfminer could not read the file either: %s", exc)
        return None
    except Exception as exc:  # pdfminer raises its own types for damaged files
        log.info("pdfminer failed: %s", exc)
        return None
    pages = text.split("\f")
    if pages and not pages[-1].strip():
        pages.pop()
    return Reading("pdfminer", pages)


# --- cleaning a page's lines --------------------------------------------------------------


def _lines(page: str) -> list[str]:
    page = page.replace("\r\n", "\n").replace("\r", "\n")
    page = page.replace("\ufffe\n", "").replace("\ufffe", "")  # pdfium's soft hyphen
    page = page.replace("\u00ad\n", "").replace("\u00ad", "")
    return page.split("\n")


def _edge_key(line: str) -> str:
    return re.sub(r"\d+", "#", " ".join(line.lower().split()))


def _running_lines(pages: list[list[str]]) -> set[str]:
    """Keys of lines that head or foot most pages (running headers and footers)."""
    with_text = [p for p in pages if any(ln.strip() for ln in p)]
    if len(with_text) < 2:
        return set()
    counts: Counter[str] = Counter()
    for lines in with_text:
        body = [ln for ln in lines if ln.strip()]
        edges = {_edge_key(ln) for ln in body[:EDGE_LINES] + body[-EDGE_LINES:]}
        counts.update(k for k in edges if k)
    # On a short document a running head must edge every page; on a long one, most of them.
    threshold = len(with_text) if len(with_text) < 4 else max(3, len(with_text) // 2)
    return {key for key, n in counts.items() if n >= threshold}


def _strip_edges(lines: list[str], running: set[str]) -> list[str]:
    body = [ln for ln in lines if ln.strip()]
    if not body:
        return []
    drop = set()
    for index in list(range(min(EDGE_LINES, len(body)))) + list(
        range(max(0, len(body) - EDGE_LINES), len(body))
    ):
        line = body[index]
        if _edge_key(line) in running or _PAGE_NUMBER.match(line.strip()):
            drop.add(index)
    return [ln for i, ln in enumerate(body) if i not in drop]


def _dehyphenate(left: str, right: str, vocabulary: set[str]) -> str | None:
    """Join a word split as "infor-" / "mation", or None when the hyphen is a real one."""
    head = re.search(r"(\w+)-$", left)
    tail = re.match(r"([a-zäöüßàâçéèêëîïôûùüÿñæœ]\w*)", right)
    if not head or not tail:
        return None
    joined = head.group(1) + tail.group(1)
    hyphenated = f"{head.group(1)}-{tail.group(1)}".lower()
    if hyphenated in vocabulary and joined.lower() not in vocabulary:
        return None  # "well-known" written with its hyphen elsewhere in the document
    return left[:-1] + right


def _is_heading(previous: str, line: str, width: int) -> bool:
    """A short capitalised line without closing punctuation, before a capitalised line: a
    heading such as "Findings", which must not run into the paragraph after it."""
    return (
        len(previous) < 0.6 * width
        and len(previous.split()) <= 8
        and previous[:1].isupper()
        and line[:1].isupper()
        and not previous.endswith(("-", ",", ";", ":", "and", "or", "the", "of"))
        and not _SENTENCE_END.search(previous)
    )


def _paragraphs(lines: list[str], vocabulary: set[str]) -> list[str]:
    """Wrapped lines joined into paragraphs."""
    if not lines:
        return []
    width = sorted(len(ln.strip()) for ln in lines)[int(len(lines) * 0.8)] if lines else 0
    paragraphs: list[str] = []
    current = previous = ""
    for raw in lines:
        line = " ".join(raw.split())
        if not line:
            continue
        if current:
            # A short line ending a sentence ends its paragraph; so does a bullet after it.
            ends = bool(_SENTENCE_END.search(previous)) and (
                len(previous) < 0.8 * width or _is_heading(line, "A", width)
            )
            if ends or _BULLET.match(line) or _is_heading(previous, line, width):
                paragraphs.append(current)
                current = ""
        if not current:
            current = previous = line
            continue
        joined = _dehyphenate(current, line, vocabulary)
        current = joined if joined is not None else current + " " + line
        previous = line
    if current:
        paragraphs.append(current)
    return paragraphs


def _vocabulary(pages: list[list[str]]) -> set[str]:
    words: set[str] = set()
    for lines in pages:
        for line in lines:
            words.update(w.lower() for w in re.findall(r"\w+(?:-\w+)*", line))
    return words


def clean_pages(raw_pages: list[str]) -> list[list[str]]:
    """Each page as paragraphs, without running heads, footers and page numbers."""
    pages = [_lines(p) for p in raw_pages]
    running = _running_lines(pages)
    stripped = [_strip_edges(p, running) for p in pages]
    if running and not any(stripped):
        # Every line "runs" when every page holds the same text (a form repeated, a one-line
        # notice on each page): that text is the document, not its furniture.
        stripped = [_strip_edges(p, set()) for p in pages]
    vocabulary = _vocabulary(stripped)
    return [_paragraphs(p, vocabulary) for p in stripped]


# --- metadata -----------------------------------------------------------------------------


def _info_value(value: object) -> str | None:
    text = str(value).strip() if value is not None else ""
    return text or None


def _metadata(data: bytes, document: pdfium.PdfDocument) -> tuple[dict, dict, list[str]]:
    """Title, author, dates, producer... from XMP then the Info dictionary, with origins; and
    the printed page labels."""
    values: dict[str, str] = {}
    origins: dict[str, str] = {}
    labels: list[str] = []

    def fill(name: str, value: str | None, origin: str) -> None:
        if value and name not in values:
            values[name] = value
            origins[name] = origin

    import pypdf  # imported here: a text input never needs it
    import pypdfium2 as pdfium
    from pypdf.errors import DependencyError, PyPdfError

    try:
        reader = pypdf.PdfReader(io.BytesIO(data), strict=False)
        if reader.is_encrypted:
            reader.decrypt("")
        xmp = reader.xmp_metadata
        if xmp is not None:
            titles = xmp.dc_title or {}
            fill(
                "title",
                _info_value(titles.get("x-default") or next(iter(titles.values()), None)),
                "xmp:dc:title",
            )
            fill("author", ", ".join(xmp.dc_creator or []) or None, "xmp:dc:creator")
            created = xmp.xmp_create_date
            fill("published", created.isoformat() if created else None, "xmp:CreateDate")
            modified = xmp.xmp_modify_date
            fill("modified", modified.isoformat() if modified else None, "xmp:ModifyDate")
            fill("producer", _info_value(xmp.pdf_producer), "xmp:pdf:Producer")
            fill("creator", _info_value(xmp.xmp_creator_tool), "xmp:CreatorTool")
        labels = list(reader.page_labels)
    except (PyPdfError, DependencyError, ValueError, TypeError, KeyError, AttributeError) as exc:
        log.info("pdf: no XMP metadata or page labels read: %s", exc)
    except Exception as exc:  # pypdf on a damaged file; pdfium has already read it
        log.info("pdf: pypdf failed on metadata: %s", exc)
    try:
        info = document.get_metadata_dict(skip_empty=True)
    except pdfium.PdfiumError as exc:
        log.info("pdf: no Info dictionary: %s", exc)
        info = {}
    fill("title", _info_value(info.get("Title")), "info:Title")
    fill("author", _info_value(info.get("Author")), "info:Author")
    fill("published", pdf_date(info.get("CreationDate")), "info:CreationDate")
    fill("modified", pdf_date(info.get("ModDate")), "info:ModDate")
    fill("producer", _info_value(info.get("Producer")), "info:Producer")
    fill("creator", _info_value(info.get("Creator")), "info:Creator")
    fill("subject", _info_value(info.get("Subject")), "info:Subject")
    return values, origins, labels


_STREAM = re.compile(rb"stream\r?\n")
_IMAGE_DICT = re.compile(rb"/Subtype\s*/Image")
_FLATE_DICT = re.compile(rb"/FlateDecode")


def check_stream_sizes(data: bytes, limit: int) -> None:
    """Refuse a PDF whose compressed content and object streams inflate past ``limit`` bytes.

    pdfium inflates a stream whole; a 100 KB stream that expands to 100 MB would be held in
    memory. Each Flate stream is inflated here with a budget instead (images are skipped: they
    are never turned into text, and scanned reports legitimately hold large ones).
    """
    total = 0
    for match in _STREAM.finditer(data):
        dictionary = data[max(0, match.start() - 1024) : match.start()]
        dictionary = dictionary[dictionary.rfind(b"<<") :]
        if not _FLATE_DICT.search(dictionary) or _IMAGE_DICT.search(dictionary):
            continue
        inflater = zlib.decompressobj()
        body = data[match.end() : match.end() + 64 * 1024 * 1024]
        try:
            pending = body
            while pending and not inflater.eof:
                out = inflater.decompress(pending, limit - total + 1)
                total += len(out)
                if total > limit:
                    raise LimitExceeded(f"pdf: streams expand past the limit of {limit:,} bytes")
                pending = inflater.unconsumed_tail
        except zlib.error:
            continue  # a damaged stream: pdfium reports it, or skips it, on its own terms


def _open(data: bytes) -> pdfium.PdfDocument:
    import pypdfium2 as pdfium

    try:
        return pdfium.PdfDocument(data)  # an empty user password is tried by pdfium itself
    except pdfium.PdfiumError as exc:
        message = str(exc).lower()
        if "password" in message:
            raise IngestError("pdf: encrypted and needs a password") from exc
        if "security" in message:
            raise IngestError("pdf: encrypted with an unsupported security handler") from exc
        raise IngestError(f"pdf: unreadable or damaged file ({exc})") from exc


@register
class PdfIngester(Ingester):
    name = "pdf"
    version = "0.3.0"  # 0.3: titles from the first page; pages all alike keep their text
    media_types = ("application/pdf",)
    extensions = ("pdf",)

    def match(self, data: bytes, hint: Hint) -> float:
        return 1.0 if b"%PDF-" in data[:1024] else 0.0

    def preload(self) -> None:
        import pypdf  # noqa: F401 (loaded before a batch's workers start, to be shared)
        import pypdfium2  # noqa: F401

    def extract(self, data: bytes, hint: Hint) -> Extracted:
        import pypdfium2 as pdfium
        import pypdfium2.version as pdfium_version

        if hint.max_bytes is not None:
            check_stream_sizes(data, hint.max_bytes)
        document = _open(data)
        try:
            page_count = len(document)
            if hint.max_pages is not None and page_count > hint.max_pages:
                raise LimitExceeded(
                    f"pdf: {page_count:,} pages, over the limit of {hint.max_pages:,}"
                )
            reading = _read_with_pdfium(document)
            # pdfium's heading, unless its glyphs look mis-mapped (then pdfminer may read
            # the pages better, but it gives no sizes of type).
            doubt = reading.doubt()
            heading = reading.heading if doubt <= DOUBT else None
            if doubt > DOUBT or reading.chars() < SHORT:
                # A second reading: pdfminer maps fonts pdfium cannot, and on a short document
                # it costs little (pdfium drops glyphs it cannot map without a trace).
                other = _read_with_pdfminer(data)
                if other is not None and len(other.pages) == page_count:
                    other_doubt = other.doubt()
                    if other_doubt < doubt or (
                        other_doubt <= doubt and other.chars() > reading.chars()
                    ):
                        reading = other
            reading.heading = heading
            values, origins, labels = _metadata(data, document)
        except pdfium.PdfiumError as exc:
            raise IngestError(f"pdf: unreadable or damaged page ({exc})") from exc
        finally:
            document.close()
        builder = TextBuilder()
        for number, paragraphs in enumerate(clean_pages(reading.pages), 1):
            start = builder.next_start()
            added = [builder.add(p, "paragraph") for p in paragraphs]
            if any(added):
                label = labels[number - 1] if len(labels) == page_count else None
                builder.mark("page", start, number, label if label != str(number) else None)
        text = builder.text()
        if not text.strip():
            raise IngestError("pdf: no text layer (a scanned document without OCR?)")
        from pypdf import __version__ as pypdf_version

        version = f"{self.version}+pypdfium2-{pdfium_version.PYPDFIUM_INFO}+pypdf-{pypdf_version}"
        if reading.engine == "pdfminer":
            from pdfminer import __version__ as pdfminer_version

            version += f"+pdfminer-{pdfminer_version}"
        title = _title(values, origins, reading, hint)
        metadata = {
            "field_origins": {k: v for k, v in origins.items() if k in values},
            "engine": reading.engine,
        }
        for key in ("creator", "subject"):
            if key in values:
                metadata[key] = values[key]
        return Extracted(
            kind="pdf",
            text=text,
            extractor=f"pdf/{reading.engine}",
            extractor_version=version,
            title=title,
            author=values.get("author"),
            published=values.get("published"),
            modified=values.get("modified"),
            producer=values.get("producer"),
            page_count=page_count,
            url=hint.url,
            structure=builder.structure,
            metadata=metadata,
        )
