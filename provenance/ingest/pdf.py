"""PDF reports: text per page (pypdf), every span knowing its page, document metadata."""

from __future__ import annotations

import io
import logging
import re

import pypdf
from pypdf.errors import DependencyError, PdfReadError, PyPdfError

from ..errors import IngestError, LimitExceeded
from ..text import TextBuilder
from . import register
from .base import Extracted, Hint, Ingester

log = logging.getLogger(__name__)
_PDF_DATE = re.compile(r"D:(\d{4})(\d{2})?(\d{2})?(\d{2})?(\d{2})?(\d{2})?")


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


def _info(reader: pypdf.PdfReader, key: str) -> str | None:
    try:
        value = (reader.metadata or {}).get(key)
    except (PyPdfError, ValueError, TypeError, KeyError):
        return None
    text = str(value).strip() if value is not None else ""
    return text or None


@register
class PdfIngester(Ingester):
    name = "pdf"
    version = "0.1.0"
    media_types = ("application/pdf",)
    extensions = ("pdf",)

    def match(self, data: bytes, hint: Hint) -> float:
        return 1.0 if b"%PDF-" in data[:1024] else 0.0

    def extract(self, data: bytes, hint: Hint) -> Extracted:
        try:
            reader = pypdf.PdfReader(io.BytesIO(data))
            if reader.is_encrypted:
                try:
                    if not reader.decrypt(""):
                        raise IngestError("pdf: encrypted and needs a password")
                except (DependencyError, NotImplementedError) as exc:
                    raise IngestError(f"pdf: encrypted with an unsupported method: {exc}") from exc
            builder = TextBuilder()
            page_count = len(reader.pages)
            if hint.max_pages is not None and page_count > hint.max_pages:
                raise LimitExceeded(f"pdf: {page_count:,} pages, over the limit of {hint.max_pages:,}")
            for number, page in enumerate(reader.pages, 1):
                try:
                    text = page.extract_text() or ""
                except (PyPdfError, ValueError, TypeError, KeyError, ZeroDivisionError) as exc:
                    log.info("pdf: page %d has no readable text: %s", number, exc)
                    continue
                start = builder.next_start()
                added = [builder.add(block) for block in re.split(r"\n[ \t]*\n", text)]
                if any(added):
                    builder.mark("page", start, number)
        except IngestError:
            raise
        except (PdfReadError, PyPdfError, DependencyError) as exc:
            raise IngestError(f"pdf: unreadable or damaged file: {exc}") from exc
        text = builder.text()
        if not text.strip():
            raise IngestError("pdf: no text layer (a scanned document without OCR?)")
        title = _info(reader, "/Title")
        return Extracted(
            kind="pdf",
            text=text,
            extractor="pdf/pypdf",
            extractor_version=f"{self.version}+pypdf-{pypdf.__version__}",
            title=title or (hint.name.rsplit(".", 1)[0] if hint.name else None),
            author=_info(reader, "/Author"),
            published=pdf_date(_info(reader, "/CreationDate")),
            modified=pdf_date(_info(reader, "/ModDate")),
            producer=_info(reader, "/Producer"),
            page_count=page_count,
            url=hint.url,
            structure=builder.structure,
            metadata={"creator": _info(reader, "/Creator"), "subject": _info(reader, "/Subject")},
        )
