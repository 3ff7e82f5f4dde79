"""Where the time of a batch goes: seconds per stage, summed over the batch.

Stages run in the writing process (read, hash, store, link) or in workers (extract, analyse);
a worker's times travel back with what it prepared. ``provenance add`` writes the totals as
JSON to the file named by ``$PROVENANCE_PROFILE`` (the speed benchmark reads them).
"""

from __future__ import annotations

import json
import os
import time
from collections import defaultdict
from collections.abc import Iterable, Iterator
from contextlib import contextmanager

TIMES: dict[str, float] = defaultdict(float)


@contextmanager
def stage(name: str) -> Iterator[None]:
    """Add the time spent in the block to stage ``name``."""
    start = time.perf_counter()
    try:
        yield
    finally:
        TIMES[name] += time.perf_counter() - start


def add_times(times: dict[str, float]) -> None:
    for name, seconds in times.items():
        TIMES[name] += seconds


def write_if_asked(protected: Iterable[str | os.PathLike[str]] = ()) -> None:
    """Write the totals to ``$PROVENANCE_PROFILE`` when it is set: atomically, and never over
    one of ``protected`` (the database, the inputs)."""
    from .outputs import atomic_text_output, check_output

    path = os.environ.get("PROVENANCE_PROFILE")
    if path:
        totals = {k: round(v, 4) for k, v in sorted(TIMES.items())}
        with atomic_text_output(check_output(path, protected)) as fh:
            json.dump(totals, fh, indent=1)
