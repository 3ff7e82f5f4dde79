"""Defaults the command line shows in its help: the database path, the bounds on one input, the
export formats. Kept free of imports so that ``provenance --help`` loads nothing else.
"""

from __future__ import annotations

import os
from dataclasses import dataclass

DEFAULT_DB = "provenance.db"

#: The formats of ``provenance export`` (see :mod:`provenance.export`).
FORMATS = ("annotation", "prov", "claimreview", "csv")
#: Where ``provenance serve`` publishes the site; exports link back to it.
DEFAULT_BASE_URL = "http://127.0.0.1:8001"


def default_path() -> str:
    """``$PROVENANCE_DB`` or ``./provenance.db``."""
    return os.environ.get("PROVENANCE_DB") or DEFAULT_DB


@dataclass
class Limits:
    """Bounds on what one input may cost; each is a flag of ``provenance add``.

    The time limit covers everything done for one input (fetching, extraction, analysis): the
    work runs in a worker process that is killed when the time is up (see :mod:`.worker`).
    """

    max_bytes: int = 50 * 1024 * 1024  # bytes read, fetched or decompressed for one input
    timeout: float = 60.0  # seconds for one input, fetching and extraction included
    max_pages: int = 2000  # pages of one PDF
    max_memory: int = 2048 * 1024 * 1024  # bytes the extraction process may allocate
    max_redirects: int = 10
    #: Follow symbolic links inside a folder that point outside it (off: a recorded skip).
    follow_links: bool = False
    #: Score claims with the accurate mode's fine-tuned check-worthiness model (``add --accurate``).
    accurate: bool = False
