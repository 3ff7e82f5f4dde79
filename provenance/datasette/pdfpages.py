"""PDF pages as images, with the words of a claim boxed on them.

A page is rendered with pdfium (pypdfium2) from the archived original bytes when a reader asks
for it, never when a source is added: a published archive is served read-only (often immutable),
so the images go to a cache folder of bounded size outside the database (the plugin setting
``page_cache_dir``, by default a folder in the system's temporary directory), keyed by the
original's SHA-256, the page and the width. A folder that cannot be written only means no
cache. Rendering is bounded: the original's size, the page's size in points, the image's
width and pixel count, one render at a time (pdfium is not thread-safe) and a time limit on
the wait.

Where a claim sits on the page comes from pdfium's text page: the stored claim's letters and
digits are looked for among the page's letters and digits (the text layer was cleaned from the
same text: joined lines, removed hyphens and running heads), at the same occurrence as in the
stored page text, and the rectangles of the matched characters are the box.
"""

from __future__ import annotations

import asyncio
import hashlib
import os
import re
import struct
import tempfile
import threading
import zlib
from collections import OrderedDict
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

#: Width of a rendered page in pixels, and the most pixels an image may have.
PAGE_WIDTH = 900
MAX_PIXELS = 4_000_000
#: Originals larger than this are not rendered (pdfium reads the whole file).
MAX_PDF_BYTES = 64 * 1024 * 1024
#: Pages larger than this in points on a side (A0 is 2384) are not rendered.
MAX_PAGE_POINTS = 5000
#: Seconds a request waits for a render before giving up.
RENDER_SECONDS = 15.0
#: Bytes of images kept in the cache folder; the least recently used go first.
CACHE_BYTES = 256 * 1024 * 1024

# pdfium keeps process-wide state and is not thread-safe: every call goes through this lock,
# whichever Datasette instance asks.
_PDFIUM = threading.Lock()


class PageUnavailable(Exception):
    """The page cannot be shown as an image (too large, damaged, or out of range)."""


@dataclass(frozen=True)
class Box:
    """A rectangle on a page, as fractions of the page's width and height from its top left."""

    left: float
    top: float
    width: float
    height: float

    def style(self) -> str:
        return (
            f"left:{self.left * 100:.3f}%;top:{self.top * 100:.3f}%;"
            f"width:{self.width * 100:.3f}%;height:{self.height * 100:.3f}%"
        )


@dataclass
class PageLayout:
    """A page's size in points and the boxes of the claims found on it."""

    width: float
    height: float
    boxes: dict[int, list[Box]] = field(default_factory=dict)


def _letters(text: str) -> tuple[str, list[int]]:
    """The letters and digits of ``text`` lowercased, and the index in ``text`` of each."""
    kept, where = [], []
    for i, char in enumerate(text):
        if char.isalnum():
            kept.append(char.lower())
            where.append(i)
    return "".join(kept), where


def _nth(haystack: str, needle: str, n: int) -> int:
    at = -1
    for _ in range(n + 1):
        at = haystack.find(needle, at + 1)
        if at < 0:
            return -1
    return at


def locate(page_text: str, stored_page: str, claims: list[dict[str, Any]], offset: int) -> dict:
    """Character ranges of pdfium's ``page_text`` holding each claim (by id).

    ``stored_page`` is the stored text layer of the page, starting at ``offset`` of the text
    layer; a claim's text is matched at the same occurrence as where it stands in it.
    """
    letters, where = _letters(page_text)
    stored_letters, _ = _letters(stored_page)
    found: dict[int, tuple[int, int]] = {}
    for claim in claims:
        needle, _ = _letters(claim["text"])
        if not needle:
            continue
        before, _ = _letters(stored_page[: max(0, claim["start"] - offset)])
        occurrence = 0
        at = stored_letters.find(needle)
        while 0 <= at < len(before):
            occurrence += 1
            at = stored_letters.find(needle, at + 1)
        at = _nth(letters, needle, occurrence)
        if at < 0:
            at = letters.find(needle)
        if at < 0:
            continue
        found[claim["id"]] = (where[at], where[at + len(needle) - 1] + 1)
    return found


def _open(data: bytes) -> Any:
    import pypdfium2 as pdfium

    if len(data) > MAX_PDF_BYTES:
        raise PageUnavailable(f"the original is over {MAX_PDF_BYTES // 2**20} MB")
    try:
        return pdfium.PdfDocument(data)
    except pdfium.PdfiumError as exc:
        raise PageUnavailable(f"pdfium cannot open the original ({exc})") from None


def _page(document: Any, number: int) -> Any:
    if not 1 <= number <= len(document):
        raise PageUnavailable(f"the original has no page {number}")
    page = document[number - 1]
    width, height = page.get_size()
    if not (0 < width <= MAX_PAGE_POINTS and 0 < height <= MAX_PAGE_POINTS):
        raise PageUnavailable(f"page {number} is {width:.0f} × {height:.0f} points")
    return page


def layout(
    data: bytes, number: int, stored_page: str, claims: list[dict[str, Any]], offset: int
) -> PageLayout:
    """The page's size and the boxes over each claim's words (claims not found have none)."""
    with _PDFIUM:
        document = _open(data)
        try:
            page = _page(document, number)
            width, height = page.get_size()
            textpage = page.get_textpage()
            count = textpage.count_chars()
            text = textpage.get_text_range(0, count) if count > 0 else ""
            result = PageLayout(width, height)
            for claim_id, (lo, hi) in locate(text, stored_page, claims, offset).items():
                boxes = []
                for i in range(textpage.count_rects(lo, hi - lo)):
                    left, bottom, right, top = textpage.get_rect(i)
                    boxes.append(
                        Box(
                            max(0.0, left / width),
                            max(0.0, (height - top) / height),
                            (right - left) / width,
                            (top - bottom) / height,
                        )
                    )
                result.boxes[claim_id] = boxes
            return result
        finally:
            document.close()


def render_png(data: bytes, number: int, width: int = PAGE_WIDTH) -> bytes:
    """Page ``number`` (from 1) of the PDF ``data`` as a PNG ``width`` pixels wide."""
    with _PDFIUM:
        document = _open(data)
        try:
            page = _page(document, number)
            points_w, points_h = page.get_size()
            scale = width / points_w
            if points_w * points_h * scale * scale > MAX_PIXELS:
                scale = (MAX_PIXELS / (points_w * points_h)) ** 0.5
            bitmap = page.render(scale=scale, rev_byteorder=True, may_draw_forms=False)
            rgb = bytes(bitmap.buffer)
            return png(rgb, bitmap.width, bitmap.height, bitmap.stride, bitmap.n_channels)
        finally:
            document.close()


def png(pixels: bytes, width: int, height: int, stride: int, channels: int) -> bytes:
    """A PNG file of 8-bit RGB(A) or grey rows (``stride`` bytes apart)."""
    colour = {1: 0, 3: 2, 4: 6}[channels]
    raw = b"".join(
        b"\x00" + pixels[y * stride : y * stride + width * channels] for y in range(height)
    )

    def chunk(kind: bytes, body: bytes) -> bytes:
        return (
            struct.pack(">I", len(body))
            + kind
            + body
            + struct.pack(">I", zlib.crc32(kind + body) & 0xFFFFFFFF)
        )

    header = struct.pack(">IIBBBBB", width, height, 8, colour, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + chunk(b"IDAT", zlib.compress(raw, 6))
        + chunk(b"IEND", b"")
    )


class PageImages:
    """Rendered pages in a folder of bounded size, and page layouts in a small memory cache."""

    def __init__(self, folder: Path | None, max_bytes: int = CACHE_BYTES) -> None:
        self.folder = folder
        self.max_bytes = max_bytes
        self.layouts: OrderedDict[tuple, PageLayout] = OrderedDict()
        self.layout_lock = threading.Lock()

    @classmethod
    def from_config(cls, config: dict[str, Any] | None) -> PageImages:
        config = config or {}
        folder = config.get("page_cache_dir")
        path = (
            Path(folder)
            if folder
            else Path(tempfile.gettempdir()) / f"provenance-pages-{os.getuid()}"
        )
        megabytes = config.get("page_cache_mb")
        return cls(path, int(megabytes) * 2**20 if megabytes else CACHE_BYTES)

    def _path(self, sha256: str, number: int, width: int) -> Path | None:
        if self.folder is None or not re.fullmatch(r"[0-9a-f]{64}", sha256):
            return None
        return self.folder / f"{sha256}-p{number}-w{width}.png"

    def cached(self, sha256: str, number: int, width: int = PAGE_WIDTH) -> bytes | None:
        path = self._path(sha256, number, width)
        try:
            data = path.read_bytes() if path else None
            if path:
                os.utime(path)  # least recently used goes first
            return data
        except OSError:
            return None

    def store(self, sha256: str, number: int, image: bytes, width: int = PAGE_WIDTH) -> None:
        path = self._path(sha256, number, width)
        if path is None:
            return
        try:
            path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
            partial = path.with_suffix(f".{os.getpid()}.{threading.get_ident()}.part")
            partial.write_bytes(image)
            partial.replace(path)
            self._evict()
        except OSError:
            return  # a read-only place: serve without caching

    def _evict(self) -> None:
        if self.folder is None:
            return
        files = []
        for path in self.folder.glob("*.png"):
            try:
                stat = path.stat()
            except OSError:
                continue
            files.append((stat.st_mtime, stat.st_size, path))
        total = sum(size for _, size, _ in files)
        for _, size, path in sorted(files):
            if total <= self.max_bytes:
                break
            path.unlink(missing_ok=True)
            total -= size

    async def image(self, sha256: str, number: int, data: Any) -> bytes:
        """The PNG of a page, from the cache or rendered (``data()`` gives the original)."""
        image = self.cached(sha256, number)
        if image is not None:
            return image
        original = await data()
        image = await _bounded(render_png, original, number)
        self.store(sha256, number, image)
        return image

    async def layout(
        self,
        sha256: str,
        number: int,
        data: Any,
        stored_page: str,
        claims: list[dict[str, Any]],
        offset: int,
    ) -> PageLayout:
        key = (
            sha256,
            number,
            hashlib.sha256(
                repr([(c["id"], c["start"], c["text"]) for c in claims]).encode()
            ).hexdigest(),
        )
        with self.layout_lock:
            if key in self.layouts:
                self.layouts.move_to_end(key)
                return self.layouts[key]
        original = await data()
        found = await _bounded(layout, original, number, stored_page, claims, offset)
        with self.layout_lock:
            self.layouts[key] = found
            while len(self.layouts) > 256:
                self.layouts.popitem(last=False)
        return found


async def _bounded(fn: Any, *args: Any) -> Any:
    try:
        return await asyncio.wait_for(asyncio.to_thread(fn, *args), RENDER_SECONDS)
    except TimeoutError:
        raise PageUnavailable(f"rendering took over {RENDER_SECONDS:.0f} seconds") from None
