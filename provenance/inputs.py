"""Resolve what the user gave (files, folders, URLs) into inputs, and read their bytes."""

from __future__ import annotations

import errno
import mimetypes
import os
import re
import stat
import time
import zlib
from collections.abc import Iterator
from dataclasses import dataclass, replace
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import quote, unquote, urlsplit, urlunsplit

from . import __version__
from .db import now_iso
from .defaults import Limits
from .errors import InputError, LimitExceeded, UnsupportedInput
from .ingest.base import Hint

if TYPE_CHECKING:
    import httpx

# Version control, OS and editor cruft skipped when walking folders.
SKIP_DIRS = {
    ".git",
    ".hg",
    ".svn",
    ".bzr",
    "CVS",
    "__pycache__",
    "__MACOSX",
    ".ipynb_checkpoints",
    ".Trash",
    ".Trashes",
    ".Spotlight-V100",
    ".fseventsd",
    "node_modules",
    ".venv",
}
SKIP_FILES = {".DS_Store", "Thumbs.db", "desktop.ini", "Icon\r", ".gitignore", ".gitattributes"}
_SCHEME = re.compile(r"^[A-Za-z][A-Za-z0-9+.-]*:")


_CONTROL_CHARS = re.compile(r"[\x00-\x1f\x7f\x85\u2028\u2029]")
GZIP_MAGIC = b"\x1f\x8b"
_GZIP_PIECE = 64 * 1024


@dataclass
class Item:
    """One input: a file path or a URL, with how the user named it."""

    input: str
    path: Path | None = None
    url: str | None = None
    refused: str | None = None  # why this entry is not read (recorded as its failure)

    @property
    def locator(self) -> str:
        """What identifies the source over time: the absolute path, or the URL as given.

        Adding the same locator again with different bytes makes a new capture of the same
        source. A URL's fragment is left out (it is never sent to the server).
        """
        if self.url is not None:
            try:
                parts = urlsplit(self.url)
            except ValueError:
                return self.url
            return urlunsplit(parts._replace(fragment=""))
        assert self.path is not None
        return path_locator(self.path)


@dataclass
class Fetched:
    """The bytes of one input and what was learnt while reading them."""

    input: str
    data: bytes
    hint: Hint
    retrieved: str
    url: str | None = None
    http_status: int | None = None
    content_type: str | None = None
    locator: str | None = None  # see Item.locator


def path_locator(path: str | os.PathLike[str]) -> str:
    """The locator of a file: its absolute path, or where :func:`display_name` would escape
    something in it (bytes that are not UTF-8, control characters), its bytes as a ``file:``
    URI, percent-encoded: an escape such as ``\\xff`` could also be the name's own characters,
    and two files must never share a locator."""
    absolute = os.path.abspath(path)
    if display_name(absolute) == absolute:
        return absolute
    return "file://" + quote(os.fsencode(absolute))


def display_name(name: str) -> str:
    """A file name or argument as one printable, storable line.

    Bytes that are not UTF-8 (kept by the OS as lone surrogates) become ``\\xNN`` and control
    characters (a newline in a file name) become escapes, so every failure stays one line and
    every name can be stored and printed as JSON.
    """
    try:
        name = name.encode("utf-8", "surrogateescape").decode("utf-8", "backslashreplace")
    except UnicodeEncodeError:
        name = name.encode("utf-8", "backslashreplace").decode("utf-8")
    return _CONTROL_CHARS.sub(lambda m: m.group(0).encode("unicode_escape").decode("ascii"), name)


def _skipped(name: str) -> bool:
    return (
        name in SKIP_FILES
        or name.startswith("._")
        or name.startswith("~$")
        or name.startswith(".#")
        or name.endswith("~")
        or name.startswith(".")
    )


def without_credentials(url: str) -> str:
    """The URL without ``user:password@``: credentials are never sent, stored or printed."""
    try:
        parts = urlsplit(url)
    except ValueError:
        return url
    if "@" not in parts.netloc:
        return url
    host = parts.netloc.rsplit("@", 1)[1]
    return urlunsplit(parts._replace(netloc=host))


def iter_inputs(
    args: list[str], follow_links: bool = False, archive: frozenset[str] = frozenset()
) -> Iterator[Item]:
    """Expand the arguments into inputs: folders recursively (sorted, cruft skipped), URLs as is
    (less any credentials in them).

    A folder is walked without leaving it: symbolic links to folders are never followed (no
    loops), a link to a file inside the folder is read as that file, and a link to anything
    outside it is an entry refused with its reason (read only with ``follow_links``). A
    subfolder that cannot be listed is an entry refused with its reason too: both become
    failure rows, never a silent skip. ``archive``: the real paths of the database being
    written and its companions (:func:`archive_files`): a folder's walk passes over them, and
    one named on its own is refused (stored, it would grow the archive by itself every run).
    An empty argument is refused, not read as the current folder.
    """
    for arg in args:
        if not arg:
            yield Item(repr(arg), refused="an empty name: not a file, folder or URL")
            continue
        if _SCHEME.match(arg) and not re.match(r"^[A-Za-z]:[\\/]", arg):
            url = without_credentials(arg)
            yield Item(display_name(url), url=url)
            continue
        path = Path(arg)
        if path.is_dir():
            yield from _walk(path, follow_links, archive)
        elif os.path.realpath(path) in archive:
            yield Item(display_name(arg), path=path, refused=_ARCHIVE_REFUSED)
        else:
            yield Item(display_name(arg), path=path)


_ARCHIVE_REFUSED = "the database this command writes to (or one of its journal files)"


def archive_files(database: str | os.PathLike[str] | None) -> frozenset[str]:
    """The real paths of a database file and its companions (``-wal``, ``-shm``,
    ``-journal``), whether they exist yet or not (none for an in-memory database)."""
    from .outputs import DATABASE_COMPANIONS

    if not database:
        return frozenset()
    real = os.path.realpath(database)
    return frozenset(real + suffix for suffix in DATABASE_COMPANIONS)


def _walk(
    folder: Path, follow_links: bool, archive: frozenset[str] = frozenset()
) -> Iterator[Item]:
    errors: list[OSError] = []
    inside = os.path.realpath(folder)
    for root, dirs, files in os.walk(folder, followlinks=False, onerror=errors.append):
        yield from _unlisted(folder, errors)
        dirs[:] = sorted(d for d in dirs if d not in SKIP_DIRS and not d.startswith("."))
        for name in sorted(files):
            if _skipped(name):
                continue
            found = Path(root, name)
            if archive and os.path.realpath(found) in archive:
                continue  # the archive being written is not one of its documents
            item = Item(display_name(str(found)), path=found)
            if found.is_symlink():
                try:
                    target = os.path.realpath(found, strict=True)
                except OSError as exc:  # a loop, or a link to nothing
                    item.refused = f"cannot read: {exc.strerror or exc}"
                    yield item
                    continue
                if os.path.commonpath([inside, target]) != inside and not follow_links:
                    item.refused = (
                        "a symbolic link to outside the folder, not followed "
                        "(--follow-links to read it)"
                    )
                else:
                    item.path = Path(target)
            yield item
    yield from _unlisted(folder, errors)


def _unlisted(folder: Path, errors: list[OSError]) -> Iterator[Item]:
    """Entries a walk could not list, as refused items."""
    for error in errors:
        where = Path(error.filename) if error.filename else folder
        reason = "permission denied" if isinstance(error, PermissionError) else error.strerror
        yield Item(
            display_name(str(where)),
            path=where,
            refused=f"cannot list the folder: {reason or error}",
        )
    errors.clear()


def read_item(item: Item, limits: Limits) -> Fetched:
    """Read an input's bytes, or raise :class:`InputError` with a one-line reason."""
    if item.url is not None:
        return fetch_url(item.url, limits, item.input)
    if item.refused:
        raise InputError(item.refused)
    assert item.path is not None
    path = item.path
    data = read_file(path, limits.max_bytes, follow_links=limits.follow_links)
    if len(data) > limits.max_bytes:
        raise LimitExceeded(f"file is over the limit of {limits.max_bytes:,} bytes")
    return Fetched(
        input=item.input,
        data=data,
        hint=file_hint(path.name),
        retrieved=now_iso(),
        locator=item.locator,
    )


def read_file(path: Path, max_bytes: int, follow_links: bool = False) -> bytes:
    """A file's bytes, opened once: a symbolic link as the last part of the path is refused
    (unless ``follow_links``), the open never waits (a FIFO swapped in for the file between a
    listing and the read cannot block it), and what was opened is checked to be a regular file
    before a byte is read. Reads at most ``max_bytes + 1`` bytes."""
    flags = os.O_RDONLY | os.O_NONBLOCK | getattr(os, "O_CLOEXEC", 0)
    if not follow_links:
        flags |= getattr(os, "O_NOFOLLOW", 0)
    try:
        fd = os.open(path, flags)
    except FileNotFoundError:
        raise InputError("no such file or folder") from None
    except PermissionError:
        raise InputError("permission denied") from None
    except IsADirectoryError:
        raise InputError("is a folder") from None
    except OSError as exc:
        if exc.errno == errno.ELOOP:
            raise InputError("a symbolic link, not followed (--follow-links to read it)") from None
        raise InputError(f"cannot read: {exc.strerror or exc}") from None
    try:
        info = os.fstat(fd)
        if stat.S_ISDIR(info.st_mode):
            raise InputError("is a folder")
        if not stat.S_ISREG(info.st_mode):
            # A pipe or a device would block or never end.
            raise InputError("not a regular file (a pipe, socket or device)")
        if info.st_size > max_bytes:
            raise LimitExceeded(f"file is {info.st_size:,} bytes, over the limit of {max_bytes:,}")
        os.set_blocking(fd, True)
        chunks, size = [], 0
        while size <= max_bytes:
            chunk = os.read(fd, min(1 << 20, max_bytes + 1 - size))
            if not chunk:
                break
            chunks.append(chunk)
            size += len(chunk)
        return b"".join(chunks)
    except OSError as exc:
        raise InputError(f"cannot read: {exc.strerror or exc}") from None
    finally:
        os.close(fd)


def file_hint(name: str) -> Hint:
    """What a file's name tells the ingesters."""
    name = display_name(name)
    return Hint(name=name, content_type=mimetypes.guess_type(name)[0])


def url_hint(url: str, content_type: str | None) -> Hint:
    """What a fetched URL tells the ingesters: its last path segment, the URL, the media type."""
    name = unquote(urlsplit(url).path.rstrip("/").rsplit("/", 1)[-1]) or None
    return Hint(name=name, url=url, content_type=content_type)


def recorded_hint(
    input_name: str | None, url: str | None, content_type: str | None, fetched: bool
) -> Hint:
    """The hint an input was extracted with, rebuilt from what its source row records."""
    if fetched and url:
        return url_hint(url, content_type)
    return file_hint(os.path.basename(input_name or ""))


def fetch_url(
    url: str, limits: Limits, input_name: str | None = None, budget: float | None = None
) -> Fetched:
    """GET an http(s) URL with a time budget, a redirect cap and a size cap (credentials in
    the URL, or in a redirect's, are dropped: never sent, never recorded)."""
    url = without_credentials(url)
    try:
        scheme = urlsplit(url).scheme.lower()
    except ValueError as exc:
        raise InputError(f"invalid URL: {exc}") from None
    if scheme not in ("http", "https"):
        raise InputError(f"refused URL scheme {scheme!r}: only http and https are fetched")
    import httpx  # imported here: adding files never needs it

    budget = limits.timeout if budget is None else max(0.1, budget)
    deadline = time.monotonic() + budget
    timeout = httpx.Timeout(min(budget, 30.0), connect=min(budget, 10.0))
    headers = {
        "User-Agent": f"provenance/{__version__} (+archival capture)",
        # Only encodings decoded here under the size cap (no br/zstd without their libraries).
        "Accept-Encoding": "gzip, deflate",
    }
    try:
        with (
            httpx.Client(
                follow_redirects=True,
                max_redirects=limits.max_redirects,
                timeout=timeout,
                headers=headers,
                trust_env=False,
                event_hooks={"request": [_without_authorization]},
            ) as client,
            client.stream("GET", url) as response,
        ):
            if response.status_code >= 400:
                raise InputError(f"HTTP {response.status_code} {response.reason_phrase}".strip())
            if response.status_code >= 300:  # a redirect httpx could not follow: not a document
                raise InputError(f"HTTP {response.status_code} without a Location to follow")
            declared = response.headers.get("content-length")
            if declared and declared.isdigit() and int(declared) > limits.max_bytes:
                raise LimitExceeded(
                    f"response is {int(declared):,} bytes, over the limit of {limits.max_bytes:,}"
                )
            chunks, size = [], 0
            for chunk in response.iter_raw():
                size += len(chunk)
                if size > limits.max_bytes:
                    raise LimitExceeded(f"response is over the limit of {limits.max_bytes:,} bytes")
                if time.monotonic() > deadline:
                    raise LimitExceeded(
                        f"fetch took longer than the time limit of {limits.timeout:g} s"
                    )
                chunks.append(chunk)
            data = b"".join(chunks)
            encoding = response.headers.get("content-encoding", "").lower()
            if encoding in ("gzip", "deflate", "br", "zstd"):
                data = _decode_body(data, encoding, limits.max_bytes)
            final = without_credentials(str(response.url))
            content_type = response.headers.get("content-type", "").split(";")[0].strip() or None
            return Fetched(
                input=input_name or url,
                data=data,
                hint=url_hint(final, content_type),
                retrieved=now_iso(),
                url=final,
                http_status=response.status_code,
                content_type=content_type,
                locator=Item(url, url=url).locator,
            )
    except httpx.TooManyRedirects:
        raise InputError(f"more than {limits.max_redirects} redirects") from None
    except httpx.TimeoutException:
        raise LimitExceeded(f"no answer within the time limit of {limits.timeout:g} s") from None
    except httpx.InvalidURL as exc:
        raise InputError(f"invalid URL: {exc}") from None
    except httpx.HTTPError as exc:
        raise InputError(f"could not fetch: {type(exc).__name__}: {exc}".rstrip(": ")) from None


def _without_authorization(request: httpx.Request) -> None:
    """Credentials a redirect's URL carries are not sent either."""
    request.headers.pop("Authorization", None)


def _decode_body(data: bytes, encoding: str, max_bytes: int) -> bytes:
    """Undo a content encoding without letting a small body expand without bound."""
    if encoding == "gzip":
        return gunzip(data, max_bytes, what="response")
    if encoding == "deflate":
        for wbits in (zlib.MAX_WBITS, -zlib.MAX_WBITS):  # zlib-wrapped, or raw as some send
            decompressor = zlib.decompressobj(wbits)
            try:
                out = decompressor.decompress(data, max_bytes + 1)
            except zlib.error:
                continue
            if len(out) > max_bytes or decompressor.unconsumed_tail:
                raise LimitExceeded(f"response expands past the limit of {max_bytes:,} bytes")
            return out
        raise InputError("response body is not valid deflate data")
    raise InputError(f"unsupported content encoding {encoding!r}")


# --- compressed files ---------------------------------------------------------------------


def gunzip(data: bytes, max_bytes: int, what: str = "gzip") -> bytes:
    """Decompress gzip data (every member) without ever holding more than ``max_bytes``.

    A compression bomb (a few kilobytes that expand to gigabytes) stops at the cap with
    :class:`LimitExceeded`, having decompressed no more than ``max_bytes + 1`` bytes. Time is
    linear in the input: each member is fed in bounded pieces, so no member's leftover is the
    whole rest of the file (thousands of tiny members would otherwise copy it thousands of
    times).
    """
    out = bytearray()
    view = memoryview(data)
    position = 0
    while position < len(data):
        decompressor = zlib.decompressobj(16 + zlib.MAX_WBITS)
        while not decompressor.eof:
            if decompressor.unconsumed_tail:
                piece = decompressor.unconsumed_tail
            elif position < len(data):
                piece = view[position : position + _GZIP_PIECE]
                position += len(piece)
            else:
                raise InputError(f"{what}: truncated gzip data")
            try:
                out += decompressor.decompress(piece, max_bytes + 1 - len(out))
            except zlib.error as exc:
                raise InputError(f"{what}: damaged gzip data ({exc})") from None
            if len(out) > max_bytes:
                raise LimitExceeded(f"{what}: expands past the limit of {max_bytes:,} bytes")
        position -= len(decompressor.unused_data)
        while position < len(data) and data[position] == 0:  # members may be padded
            position += 1
        if data[position : position + 2] != GZIP_MAGIC:
            break  # trailing bytes that are not another member are ignored, as gzip(1) does
    return bytes(out)


def _gzip_head(data: bytes, size: int = 64) -> bytes:
    try:
        return zlib.decompressobj(16 + zlib.MAX_WBITS).decompress(data[:4096], size)
    except zlib.error:
        return b""


#: A page saved as one file ("Save as: Webpage, Single File", ``.mhtml``/``.mht``): MIME
#: headers, then a multipart/related message whose root part is the page.
_MHTML_HEAD = re.compile(
    rb"(?:[\x21-\x39\x3b-\x7e]+:[^\r\n]*\r?\n(?:[ \t][^\r\n]*\r?\n)*)*?"
    rb"content-type:[ \t]*multipart/related\b",
    re.I,
)


def _unwrap_mhtml(data: bytes, hint: Hint) -> tuple[bytes, Hint, dict[str, Any]]:
    """The page inside a saved single-file page (MHTML): its root part decoded (quoted-
    printable, base64), named by its ``Content-Location``; the other parts (images, styles)
    are left, as a page's are when it is fetched."""
    import email
    import email.policy
    import email.utils

    message = email.message_from_bytes(data, policy=email.policy.compat32)
    parts = [p for p in message.walk() if not p.is_multipart()]
    start = str(email.utils.collapse_rfc2231_value(message.get_param("start") or "")).strip("<>")
    root = next(
        (p for p in parts if start and str(p.get("Content-ID", "")).strip("<>") == start), None
    )
    root = root or next((p for p in parts if p.get_content_type() in _MHTML_PAGE_TYPES), None)
    if root is None:
        raise UnsupportedInput("a saved page (MHTML) without an HTML part")
    page = root.get_payload(decode=True) or b""
    location = str(root.get("Content-Location") or message.get("Snapshot-Content-Location") or "")
    charset = root.get_content_charset()
    inner_hint = replace(
        hint,
        name=(hint.name or "page").rsplit(".", 1)[0] + ".html",
        content_type=root.get_content_type() + (f"; charset={charset}" if charset else ""),
    )
    container = {"container": "mhtml", "mhtml_parts": len(parts)}
    if location:
        container["saved_from"] = location
    return page, inner_hint, container


_MHTML_PAGE_TYPES = ("text/html", "application/xhtml+xml")


def unwrap(data: bytes, hint: Hint, max_bytes: int) -> tuple[bytes, Hint, dict[str, Any]]:
    """Decompress a gzip-compressed input (``report.html.gz``) under the size cap, or open a
    page saved as a single file (MHTML).

    Returns the bytes to extract, the hint for them (``.gz`` dropped from the name) and what
    to record about the container. Other bytes, and WARC files (their ingester reads
    ``.warc.gz`` record by record), come back unchanged.
    """
    if _MHTML_HEAD.match(data[:4096]):
        return _unwrap_mhtml(data, hint)
    if not data.startswith(GZIP_MAGIC) or _gzip_head(data).startswith(b"WARC/"):
        return data, hint, {}
    budget = hint.bytes_budget(max_bytes)
    inner = gunzip(data, budget.left)
    budget.charge(len(inner), "gzip")
    name = hint.name
    if name and name.lower().endswith((".gz", ".gzip")):
        name = name.rsplit(".", 1)[0]
    elif name and name.lower().endswith(".tgz"):
        name = name[:-4] + ".tar"
    inner_hint = replace(hint, name=name, content_type=mimetypes.guess_type(name or "")[0])
    return inner, inner_hint, {"compression": "gzip", "uncompressed_bytes": len(inner)}
