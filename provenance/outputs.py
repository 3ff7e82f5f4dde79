"""Files the tool writes for the user: whole or not at all, never over what it reads."""

from __future__ import annotations

import os
import tempfile
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TextIO

from .errors import ProvenanceError

#: Files beside a SQLite database that belong to it.
DATABASE_COMPANIONS = ("", "-wal", "-shm", "-journal")


class OutputRefused(ProvenanceError):
    """An output path that would overwrite something the command reads."""


def _same_file(a: Path, b: Path) -> bool:
    try:
        return a.resolve() == b.resolve() or (a.exists() and b.exists() and a.samefile(b))
    except OSError:
        return False


def check_output(path: str | Path, protected: Iterable[str | Path]) -> Path:
    """Refuse ``path`` when it is (or links to) one of ``protected`` or a database's companions."""
    target = Path(path)
    for item in protected:
        for suffix in DATABASE_COMPANIONS:
            guarded = Path(str(item) + suffix)
            if _same_file(target, guarded):
                raise OutputRefused(
                    f"refusing to write {path}: it is {guarded}, which this command reads"
                )
    if target.is_dir():
        raise OutputRefused(f"refusing to write {path}: it is a folder")
    for suffix in DATABASE_COMPANIONS:
        name = str(target)
        if name.endswith(suffix) and _is_database(Path(name[: len(name) - len(suffix)])):
            what = "a SQLite database" if not suffix else f"the {suffix[1:]} file of one"
            raise OutputRefused(f"refusing to write {path}: it is {what} (an archive?)")
    return target


def _is_database(path: Path) -> bool:
    """Whether ``path`` is a SQLite database file (another archive, or any application's)."""
    try:
        with open(path, "rb") as handle:
            return handle.read(16) == b"SQLite format 3\x00"
    except OSError:
        return False


@contextmanager
def atomic_text_output(path: str | Path) -> Iterator[TextIO]:
    """A text file written beside ``path`` and renamed over it only when the block succeeds.

    A failure leaves ``path`` as it was (absent, or its earlier contents) and no stray file."""
    target = Path(path)
    folder = target.parent if str(target.parent) else Path(".")
    try:
        handle, temporary = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".part", dir=folder)
    except OSError as exc:
        reason = "no such folder" if isinstance(exc, FileNotFoundError) else exc.strerror or exc
        raise OutputRefused(f"cannot write {path}: {reason}") from exc
    try:
        # The mode a file the user makes would have (mkstemp's is 0600), or the one it had.
        try:
            mode = target.stat().st_mode & 0o7777
        except OSError:
            mask = os.umask(0)
            os.umask(mask)
            mode = 0o666 & ~mask
        os.chmod(temporary, mode)
        with os.fdopen(handle, "w", encoding="utf-8", newline="") as out:
            yield out
            out.flush()
            os.fsync(out.fileno())
        os.replace(temporary, target)
    except BaseException:
        try:
            os.unlink(temporary)
        except FileNotFoundError:
            pass
        raise
