"""Writing a file the tool produces (an export, a profile) without ever damaging another.

A file is written whole or not at all: into a temporary file beside it, flushed to disk, then
renamed over the target. The target may not be the database (or its write-ahead log), an
archived blob or an input being read: those are named as ``protected`` and refused with a
one-line error before anything is written.
"""

from __future__ import annotations

import os
import tempfile
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import TextIO

from .errors import ProvenanceError


class OutputError(ProvenanceError):
    """An output file that must not, or cannot, be written."""


def _same(a: Path, b: Path) -> bool:
    try:
        return os.path.samefile(a, b)
    except OSError:
        return os.path.abspath(a) == os.path.abspath(b)


def database_files(path: str | Path) -> list[Path]:
    """The database's own files: the file and its write-ahead log and shared memory."""
    path = Path(path)
    return [path, Path(f"{path}-wal"), Path(f"{path}-shm"), Path(f"{path}-journal")]


def check_output(target: str | Path, protected: Iterable[str | Path] = ()) -> Path:
    """The target as a path, or :class:`OutputError` when it is one of ``protected``."""
    target = Path(target)
    for path in protected:
        if _same(target, Path(path)):
            raise OutputError(f"refusing to write to {target}: it is {path}, which is read here")
    if target.is_dir():
        raise OutputError(f"refusing to write to {target}: it is a folder")
    return target


def write_text_atomically(
    target: str | Path,
    write: Callable[[TextIO], object],
    protected: Iterable[str | Path] = (),
) -> Path:
    """Call ``write(fh)`` on a temporary file beside ``target``, then rename it over it."""
    target = check_output(target, protected)
    folder = target.parent if str(target.parent) else Path(".")
    fd, temporary = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".tmp", dir=folder)
    try:
        with os.fdopen(fd, "w", encoding="utf-8", newline="") as fh:
            write(fh)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(temporary, target)
    except BaseException:
        try:
            os.unlink(temporary)
        except FileNotFoundError:
            pass
        raise
    return target
