"""Web captures: a WARC file (plain or gzip) whose HTML and PDF responses become sources.

Each response record is extracted by the ingester its payload fits, and keeps its original URL
(``WARC-Target-URI``), its capture time (``WARC-Date``), the record's id and digests, and the
HTTP status and content type; its payload is archived under its own SHA-256. The WARC itself is
the capture holding them.

Decompression is bounded: the gzip members are inflated by this module (not by the reader) with
a cap on the total output and on the expansion ratio, so a small file cannot expand without
bound; each payload is read up to a size cap.
"""

from __future__ import annotations

import io
import logging
import zlib
from collections.abc import Iterator
from urllib.parse import unquote, urlsplit

from ..errors import IngestError, UnsupportedInput
from . import extract as extract_document
from . import get_ingester, register
from .base import Budget, Extracted, Hint, Ingester

log = logging.getLogger(__name__)

#: Bounds on what one WARC may cost once inflated.
MAX_INFLATED_BYTES = 1024 * 1024 * 1024
MAX_RATIO = 100  # inflated bytes per compressed byte, beyond a first megabyte
RATIO_SLACK = 1024 * 1024
MAX_PAYLOAD_BYTES = 50 * 1024 * 1024
_CHUNK = 64 * 1024
_DOCUMENT_TYPES = ("text/html", "application/xhtml+xml", "application/pdf", "text/plain")
_KINDS = {"html", "cable", "pdf", "text"}


def _warcio_version() -> str:
    from importlib.metadata import version  # ~0.02 s to import: not at detection

    return version("warcio")


def _gzip_chunks(data: bytes, budget: Budget) -> Iterator[bytes]:
    """Inflate every gzip member of ``data``, refusing to go past the caps and the input's
    budget of decompressed bytes."""
    position = 0
    produced = 0
    while position < len(data):
        inflater = zlib.decompressobj(31)
        while not inflater.eof:
            if inflater.unconsumed_tail:
                chunk = inflater.decompress(inflater.unconsumed_tail, _CHUNK)
            else:
                if position >= len(data):
                    raise IngestError("warc: the gzip stream is truncated")
                piece = data[position : position + _CHUNK]
                position += len(piece)
                try:
                    chunk = inflater.decompress(piece, _CHUNK)
                except zlib.error as exc:
                    raise IngestError(f"warc: damaged gzip data ({exc})") from exc
            produced += len(chunk)
            if produced > MAX_INFLATED_BYTES:
                raise IngestError(
                    f"warc: expands past the limit of {MAX_INFLATED_BYTES:,} bytes (refused)"
                )
            budget.charge(len(chunk), "warc")
            if produced > MAX_RATIO * position + RATIO_SLACK:
                raise IngestError(
                    f"warc: expands more than {MAX_RATIO} times its size (a decompression bomb?)"
                )
            if chunk:
                yield chunk
        position -= len(inflater.unused_data)
        if not data[position:].strip(b"\0\r\n\t "):
            break


class _ChunkReader(io.RawIOBase):
    """A file object over an iterator of byte chunks."""

    def __init__(self, chunks: Iterator[bytes]) -> None:
        self._chunks = chunks
        self._buffer = b""

    def readable(self) -> bool:
        return True

    def readinto(self, target) -> int:  # type: ignore[override]
        while not self._buffer:
            try:
                self._buffer = next(self._chunks)
            except StopIteration:
                return 0
        size = min(len(target), len(self._buffer))
        target[:size] = self._buffer[:size]
        self._buffer = self._buffer[size:]
        return size


def warc_stream(data: bytes, budget: Budget | None = None) -> io.BufferedReader:
    """An uncompressed, bounded stream of the WARC records in ``data``."""
    if data[:2] == b"\x1f\x8b":
        budget = budget or Budget(MAX_INFLATED_BYTES)
        return io.BufferedReader(_ChunkReader(_gzip_chunks(data, budget)), buffer_size=_CHUNK)
    return io.BufferedReader(io.BytesIO(data), buffer_size=_CHUNK)


def _is_document(content_type: str, payload: bytes) -> bool:
    media = content_type.split(";")[0].strip().lower()
    if media:
        return media in _DOCUMENT_TYPES
    head = payload[:1024].lstrip().lower()
    return head.startswith((b"<!doctype html", b"<html", b"%pdf-"))


def _record_hint(uri: str, content_type: str) -> Hint:
    name = unquote(urlsplit(uri).path.rstrip("/").rsplit("/", 1)[-1]) or None
    return Hint(name=name, url=uri, content_type=content_type.split(";")[0].strip() or None)


def _read_payload(record, budget: Budget) -> bytes:
    """A record's payload, at most ``MAX_PAYLOAD_BYTES + 1`` bytes. Bytes a Content-Encoding
    inflates are charged to the input's budget as they are read (the others are bytes of the
    input, or of its inflated stream, already counted)."""
    encoded = (record.http_headers.get_header("Content-Encoding") or "").strip().lower()
    inflates = encoded not in ("", "identity")
    stream = record.content_stream()
    chunks, size = [], 0
    while size <= MAX_PAYLOAD_BYTES:
        chunk = stream.read(min(_CHUNK, MAX_PAYLOAD_BYTES + 1 - size))
        if not chunk:
            break
        if inflates:
            budget.charge(len(chunk), "warc: a record's Content-Encoding")
        chunks.append(chunk)
        size += len(chunk)
    return b"".join(chunks)


def _missing_bytes(record) -> int:
    """How many bytes of its declared length a record's block lacks (0 when whole)."""
    left = getattr(record.raw_stream, "limit", 0)
    if not left:
        return 0
    # Read what is left of the block: a whole record has nothing more; a cut one ends early.
    while record.raw_stream.read(_CHUNK):
        pass
    return max(0, getattr(record.raw_stream, "limit", 0))


@register
class WarcIngester(Ingester):
    name = "warc"
    version = "0.2.0"  # 0.2: records cut short are reported
    media_types = ("application/warc",)
    extensions = ("warc", "gz")

    def preload(self) -> None:
        get_ingester("html").preload()  # the pages a capture holds

    def match(self, data: bytes, hint: Hint) -> float:
        if data.startswith(b"WARC/"):
            return 1.0
        if data[:2] == b"\x1f\x8b":
            try:
                head = zlib.decompressobj(31).decompress(data[:4096], 64)
            except zlib.error:
                return 0.0
            return 1.0 if head.startswith(b"WARC/") else 0.0
        return 0.0

    def extract(self, data: bytes, hint: Hint) -> Extracted:
        children: list[Extracted] = []
        skipped: list[dict[str, str]] = []
        records = 0
        budget = hint.bytes_budget(MAX_INFLATED_BYTES)
        from warcio.archiveiterator import ArchiveIterator  # imported here: few inputs are WARC
        from warcio.exceptions import ArchiveLoadFailed

        try:
            iterator = ArchiveIterator(warc_stream(data, budget))
            end = 0  # where the last whole record ends (in an uncompressed file)
            for record in iterator:
                records += 1
                child = self._response(record, skipped, budget)
                if child is not None:
                    children.append(child)
                iterator.read_to_end(record)
                end = iterator.get_record_offset() + iterator.get_record_length()
            # warcio ends quietly at a record cut inside its headers: say what was not read
            # (an uncompressed file; a cut gzip member is refused above).
            tail = data[end:] if not data.startswith(b"\x1f\x8b") else b""
            if tail.strip(b"\0\r\n\t "):
                skipped.append(
                    {
                        "uri": "",
                        "error": f"the last {len(tail):,} bytes hold no whole record"
                        " (the file is cut short?)",
                    }
                )
        except IngestError:
            raise
        except (ArchiveLoadFailed, ValueError, OSError, EOFError, AttributeError) as exc:
            # (warcio raises AttributeError on a record whose headers stop midway)
            reason = " ".join(str(exc).split())  # warcio's messages hold CR LF: one line
            raise IngestError(f"warc: damaged after {records} records ({reason})") from exc
        if not children:
            raise IngestError(
                f"warc: none of its {records} records is an HTML, PDF or text response"
            )
        record = Extracted(
            kind="warc",
            text="",
            extractor="warc",
            extractor_version=f"{self.version}+warcio-{_warcio_version()}",
            title=(hint.name or "WARC capture") + f" ({len(children)} pages)",
            url=hint.url,
            children=children,
        )
        record.metadata["records"] = records
        if skipped:
            record.metadata["skipped"] = skipped[:100]
        return record

    def _response(self, record, skipped: list[dict[str, str]], budget: Budget) -> Extracted | None:
        if not record.rec_type:
            skipped.append({"uri": "", "error": "a record without its WARC headers (cut short?)"})
            return None
        if record.rec_type != "response" or record.http_headers is None:
            return None
        headers = record.rec_headers
        uri = headers.get_header("WARC-Target-URI") or ""
        status = record.http_headers.get_statuscode() or ""
        content_type = record.http_headers.get_header("Content-Type") or ""
        payload = _read_payload(record, budget)
        missing = _missing_bytes(record)
        if len(payload) > MAX_PAYLOAD_BYTES:
            skipped.append({"uri": uri, "error": "payload over the size limit"})
            return None
        if not status.startswith("2"):
            skipped.append({"uri": uri, "error": f"HTTP status {status or 'missing'}"})
            return None
        if not _is_document(content_type, payload):
            media = content_type.split(";")[0].strip() or "no content type"
            skipped.append({"uri": uri, "error": f"not an HTML, PDF or text response ({media})"})
            return None
        try:
            document = extract_document(payload, _record_hint(uri, content_type))
        except UnsupportedInput as exc:
            skipped.append({"uri": uri, "error": str(exc)})
            return None
        except IngestError as exc:
            skipped.append({"uri": uri, "error": str(exc)})
            return None
        if document.kind not in _KINDS:
            return None
        if document.children:
            # Posts of an archive page inside a capture stay in the page's text layer.
            document.metadata["posts_in_text"] = len(document.children)
            document.children = []
        if missing:
            # The record declares more bytes than the file holds (cut, or lying about its
            # length): what it holds is stored, and says so.
            document.metadata["truncated"] = (
                f"the record declares {missing:,} bytes more than the file holds"
            )
        document.url = uri or document.url
        document.retrieved = headers.get_header("WARC-Date")
        document.raw = payload
        document.metadata.update(
            {
                "warc_record_id": headers.get_header("WARC-Record-ID"),
                "warc_date": headers.get_header("WARC-Date"),
                "warc_payload_digest": headers.get_header("WARC-Payload-Digest"),
                "warc_block_digest": headers.get_header("WARC-Block-Digest"),
                "http_status": int(status) if status.isdigit() else status,
                "content_type": content_type or None,
            }
        )
        return document
