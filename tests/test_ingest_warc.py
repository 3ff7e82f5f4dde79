"""WARC captures: each HTML response a source with its URL, capture time and digest; bombs refused."""

import gzip
import hashlib
import io
import sqlite3
import urllib.request
import zlib

import pytest
from warcio.archiveiterator import ArchiveIterator
from warcio.capture_http import capture_http
from warcio.statusandheaders import StatusAndHeaders
from warcio.warcwriter import WARCWriter

from provenance import ingest
from provenance.errors import IngestError, UnsupportedInput
from provenance.ingest import warc
from provenance.ingest.base import Hint


@pytest.fixture
def capture(web, fixtures, tmp_path):
    """A WARC written by warcio while fetching a page (and an image) from the local server."""
    page = (fixtures / "article.html").read_bytes()
    web.file("/story.html", page)
    web.file("/logo.png", b"\x89PNG\r\n\x1a\n" + bytes(200), content_type="image/png")
    path = tmp_path / "capture.warc.gz"
    with capture_http(str(path)):
        urllib.request.urlopen(web.url("/story.html"), timeout=10).read()
        urllib.request.urlopen(web.url("/logo.png"), timeout=10).read()
    with open(path, "rb") as fh:
        response = next(r for r in ArchiveIterator(fh) if r.rec_type == "response")
        date = response.rec_headers.get_header("WARC-Date")
        digest = response.rec_headers.get_header("WARC-Payload-Digest")
    return {
        "path": path,
        "page": page,
        "url": web.url("/story.html"),
        "date": date,
        "digest": digest,
    }


def test_each_html_response_becomes_a_source_with_url_and_capture_time(run_json, capture):
    results = run_json("add", capture["path"])
    assert [r["kind"] for r in results] == ["warc", "html"]
    [page] = [r for r in results if r["kind"] == "html"]
    assert page["parent_id"] == results[0]["source_id"]
    shown = run_json("show", page["source_id"])
    assert shown["url"] == capture["url"]
    assert shown["retrieved"] == capture["date"]
    assert shown["metadata"]["warc_payload_digest"] == capture["digest"]
    assert shown["metadata"]["http_status"] == 200
    assert "footfall in the town centre fell by 31 percent" in shown["text"]
    assert shown["claims"]


def test_each_record_is_archived_under_its_own_hash(run_json, capture, db_path):
    results = run_json("add", capture["path"])
    page_id = next(r["source_id"] for r in results if r["kind"] == "html")
    conn = sqlite3.connect(db_path)
    raw = conn.execute("SELECT raw_sha256 FROM sources WHERE id = ?", (page_id,)).fetchone()[0]
    assert raw == hashlib.sha256(capture["page"]).hexdigest()
    blob = conn.execute("SELECT content FROM blobs WHERE sha256 = ?", (raw,)).fetchone()[0]
    assert bytes(blob) == capture["page"]
    assert run_json("verify")["ok"] is True


def test_re_adding_the_capture_is_unchanged(run_json, capture):
    first = run_json("add", capture["path"])
    again = run_json("add", capture["path"])
    assert {r["status"] for r in again} == {"unchanged"}
    assert [r["source_id"] for r in again] == [r["source_id"] for r in first]


def _warc_of(*responses: tuple[str, str, bytes]) -> bytes:
    """A WARC of 200 responses (URL, content type, payload)."""
    out = io.BytesIO()
    writer = WARCWriter(out, gzip=True)
    for url, content_type, payload in responses:
        headers = StatusAndHeaders("200 OK", [("Content-Type", content_type)], protocol="HTTP/1.1")
        writer.write_record(
            writer.create_warc_record(
                url, "response", payload=io.BytesIO(payload), http_headers=headers
            )
        )
    return out.getvalue()


def _warc_with(payload_record: bytes) -> bytes:
    return _warc_of(("http://example.invalid/a.png", "image/png", payload_record))


def test_plain_text_responses_are_sources_and_each_keeps_its_status_and_type(
    run_json, fixtures, tmp_path
):
    """A cable served as text/plain is read as the cable it is (it was dropped as "not an
    HTML or PDF response"); a robots.txt is no prose, so skipped with its reason; every page
    keeps the status and media type it was served with, as a fetched URL does."""
    path = tmp_path / "crawl.warc.gz"
    path.write_bytes(
        _warc_of(
            ("http://example.invalid/story.html", "text/html; charset=utf-8",
             (fixtures / "article.html").read_bytes()),
            ("http://example.invalid/cable.txt", "text/plain", (fixtures / "telegram.txt").read_bytes()),
            ("http://example.invalid/robots.txt", "text/plain", b"User-agent: *\nDisallow: /private/\n"),
        )
    )  # fmt: skip
    results = run_json("add", path)
    assert [r["kind"] for r in results] == ["warc", "html", "cable"]
    capture = run_json("show", results[0]["source_id"])
    assert [s["uri"] for s in capture["metadata"]["skipped"]] == [
        "http://example.invalid/robots.txt"
    ]
    for result, media in zip(results[1:], ("text/html", "text/plain"), strict=True):
        shown = run_json("show", result["source_id"])
        assert (shown["http_status"], shown["content_type"]) == (200, media)
        assert shown["claims"]


def test_a_capture_without_pages_fails_with_a_reason():
    with pytest.raises(IngestError, match="none of its 1 records"):
        ingest.extract(_warc_with(b"\x89PNG\r\n\x1a\n"), Hint(name="images.warc.gz"))


def bomb(megabytes: int) -> bytes:
    """A well-formed gzipped WARC record whose payload is megabytes of zeros."""
    size = megabytes * 1024 * 1024
    header = (
        "WARC/1.0\r\nWARC-Type: resource\r\nWARC-Target-URI: http://example.invalid/z\r\n"
        f"WARC-Record-ID: <urn:uuid:00000000-0000-0000-0000-000000000000>\r\n"
        f"WARC-Date: 2020-01-01T00:00:00Z\r\nContent-Length: {size}\r\n\r\n"
    ).encode()
    compressor = zlib.compressobj(9, zlib.DEFLATED, 31)
    zeros = bytes(1024 * 1024)
    parts = [compressor.compress(header)]
    parts += [compressor.compress(zeros) for _ in range(megabytes)]
    parts.append(compressor.compress(b"\r\n\r\n") + compressor.flush())
    return b"".join(parts)


def test_a_decompression_bomb_is_refused_without_inflating_it():
    data = bomb(64)
    assert len(data) < 200_000  # 64 MB of zeros in a small file
    with pytest.raises(IngestError, match="decompression bomb"):
        ingest.extract(data, Hint(name="bomb.warc.gz"))


def test_the_inflated_size_is_capped(monkeypatch):
    monkeypatch.setattr(warc, "MAX_INFLATED_BYTES", 4096)
    monkeypatch.setattr(warc, "MAX_RATIO", 10**6)
    data = gzip.compress(b"WARC/1.0\r\n" + b"x" * 10_000)
    with pytest.raises(IngestError, match="expands past the limit"):
        ingest.extract(data, Hint(name="big.warc.gz"))


def test_a_bomb_fails_as_one_line_and_the_batch_goes_on(run, tmp_path, fixtures):
    (tmp_path / "bomb.warc.gz").write_bytes(bomb(32))
    result = run("add", tmp_path / "bomb.warc.gz", fixtures / "telegram.txt")
    assert result.exit_code == 1
    failed = [ln for ln in result.stderr.splitlines() if ln.startswith("failed")]
    assert len(failed) == 1 and "decompression bomb" in failed[0]
    assert "1 added" in result.stderr


def test_gzip_that_is_not_a_warc_is_not_taken_for_one():
    with pytest.raises(UnsupportedInput):
        ingest.extract(gzip.compress(b"plain words " * 100), Hint(name="notes.txt.gz"))


def test_a_record_cut_inside_its_headers_is_reported_not_dropped_silently(fixtures):
    """An uncompressed WARC whose last record stops inside its WARC headers: the whole
    records are read and the capture says that its last bytes held no whole record."""
    out = io.BytesIO()
    writer = WARCWriter(out, gzip=False)
    for url in ("http://example.invalid/a.html", "http://example.invalid/b.html"):
        headers = StatusAndHeaders("200 OK", [("Content-Type", "text/html")], protocol="HTTP/1.1")
        writer.write_record(
            writer.create_warc_record(
                url,
                "response",
                payload=io.BytesIO((fixtures / "article.html").read_bytes()),
                http_headers=headers,
            )
        )
    data = out.getvalue()
    second = data.index(b"WARC/1.0", 10)
    for cut in (10, 150):  # inside the first header line, and further on
        record = ingest.extract(data[: second + cut], Hint(name="cut.warc"))
        assert len(record.children) == 1
        assert any("cut short" in s["error"] for s in record.metadata["skipped"]), cut
