"""Resolve what the user gave (files, folders, URLs) into inputs, and read their bytes."""

from __future__ import annotations

import mimetypes
import os
import re
import time
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from urllib.parse import unquote, urlsplit

import httpx

from . import __version__
from .errors import InputError
from .ingest.base import Hint

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


@dataclass
class Limits:
    """Bounds on what one input may cost."""

    max_bytes: int = 100 * 1024 * 1024
    timeout: float = 30.0  # seconds for a whole fetch
    max_redirects: int = 10


@dataclass
class Item:
    """One input: a file path or a URL, with how the user named it."""

    input: str
    path: Path | None = None
    url: str | None = None


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


def now_iso() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds").replace("+00:00", "Z")


def _skipped(name: str) -> bool:
    return (
        name in SKIP_FILES
        or name.startswith("._")
        or name.startswith("~$")
        or name.startswith(".#")
        or name.endswith("~")
        or name.startswith(".")
    )


def iter_inputs(args: list[str]) -> Iterator[Item]:
    """Expand the arguments into inputs: folders recursively (sorted, cruft skipped), URLs as is."""
    for arg in args:
        if _SCHEME.match(arg) and not re.match(r"^[A-Za-z]:[\\/]", arg):
            yield Item(arg, url=arg)
            continue
        path = Path(arg)
        if path.is_dir():
            for root, dirs, files in os.walk(path, followlinks=False):
                dirs[:] = sorted(d for d in dirs if d not in SKIP_DIRS and not d.startswith("."))
                for name in sorted(files):
                    if not _skipped(name):
                        yield Item(str(Path(root, name)), path=Path(root, name))
        else:
            yield Item(arg, path=path)


def read_item(item: Item, limits: Limits) -> Fetched:
    """Read an input's bytes, or raise :class:`InputError` with a one-line reason."""
    if item.url is not None:
        return fetch_url(item.url, limits, item.input)
    assert item.path is not None
    path = item.path
    try:
        size = path.stat().st_size
        if size > limits.max_bytes:
            raise InputError(f"file is {size:,} bytes, over the limit of {limits.max_bytes:,}")
        with open(path, "rb") as fh:
            data = fh.read(limits.max_bytes + 1)
    except FileNotFoundError:
        raise InputError("no such file or folder") from None
    except PermissionError:
        raise InputError("permission denied") from None
    except IsADirectoryError:
        raise InputError("is a folder") from None
    except OSError as exc:
        raise InputError(f"cannot read: {exc.strerror or exc}") from None
    if len(data) > limits.max_bytes:
        raise InputError(f"file is over the limit of {limits.max_bytes:,} bytes")
    content_type = mimetypes.guess_type(path.name)[0]
    return Fetched(
        input=item.input,
        data=data,
        hint=Hint(name=path.name, content_type=content_type),
        retrieved=now_iso(),
    )


def fetch_url(url: str, limits: Limits, input_name: str | None = None) -> Fetched:
    """GET an http(s) URL with a timeout, a redirect cap and a size cap."""
    scheme = urlsplit(url).scheme.lower()
    if scheme not in ("http", "https"):
        raise InputError(f"refused URL scheme {scheme!r}: only http and https are fetched")
    deadline = time.monotonic() + limits.timeout
    timeout = httpx.Timeout(min(limits.timeout, 30.0), connect=min(limits.timeout, 10.0))
    headers = {"User-Agent": f"provenance/{__version__} (+archival capture)"}
    try:
        with (
            httpx.Client(
                follow_redirects=True,
                max_redirects=limits.max_redirects,
                timeout=timeout,
                headers=headers,
                trust_env=False,
            ) as client,
            client.stream("GET", url) as response,
        ):
            if response.status_code >= 400:
                raise InputError(f"HTTP {response.status_code} {response.reason_phrase}".strip())
            declared = response.headers.get("content-length")
            if declared and declared.isdigit() and int(declared) > limits.max_bytes:
                raise InputError(
                    f"response is {int(declared):,} bytes, over the limit of {limits.max_bytes:,}"
                )
            chunks, size = [], 0
            for chunk in response.iter_raw():
                size += len(chunk)
                if size > limits.max_bytes:
                    raise InputError(f"response is over the limit of {limits.max_bytes:,} bytes")
                if time.monotonic() > deadline:
                    raise InputError(f"fetch took longer than {limits.timeout:g} s")
                chunks.append(chunk)
            data = b"".join(chunks)
            encoding = response.headers.get("content-encoding", "").lower()
            if encoding in ("gzip", "deflate", "br", "zstd"):
                data = _decode_body(data, encoding, limits.max_bytes)
            final = str(response.url)
            content_type = response.headers.get("content-type", "").split(";")[0].strip() or None
            name = unquote(urlsplit(final).path.rstrip("/").rsplit("/", 1)[-1]) or None
            return Fetched(
                input=input_name or url,
                data=data,
                hint=Hint(name=name, url=final, content_type=content_type),
                retrieved=now_iso(),
                url=final,
                http_status=response.status_code,
                content_type=content_type,
            )
    except httpx.TooManyRedirects:
        raise InputError(f"more than {limits.max_redirects} redirects") from None
    except httpx.TimeoutException:
        raise InputError(f"no answer within {limits.timeout:g} s") from None
    except httpx.InvalidURL as exc:
        raise InputError(f"invalid URL: {exc}") from None
    except httpx.HTTPError as exc:
        raise InputError(f"could not fetch: {type(exc).__name__}: {exc}".rstrip(": ")) from None


def _decode_body(data: bytes, encoding: str, max_bytes: int) -> bytes:
    """Undo a content encoding without letting a small body expand without bound."""
    import zlib

    if encoding in ("gzip", "deflate"):
        wbits = 31 if encoding == "gzip" else zlib.MAX_WBITS
        decompressor = zlib.decompressobj(wbits)
        try:
            out = decompressor.decompress(data, max_bytes + 1)
        except zlib.error:
            if encoding == "deflate":
                decompressor = zlib.decompressobj(-zlib.MAX_WBITS)
                out = decompressor.decompress(data, max_bytes + 1)
            else:
                raise InputError("response body is not valid gzip") from None
        if len(out) > max_bytes:
            raise InputError(f"response expands past the limit of {max_bytes:,} bytes")
        return out
    raise InputError(f"unsupported content encoding {encoding!r}")
