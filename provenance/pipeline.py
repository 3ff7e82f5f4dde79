"""The flow of ``provenance add``: resolve inputs, read, detect, extract, analyse, store.

:func:`prepare` is pure CPU work on one input's bytes (no database), so it runs in a worker
process (:mod:`provenance.worker`) that is killed when the input's time limit is up; URLs are
fetched there too. :func:`add` reads, skips bytes already stored, prepares and stores one
capture per transaction. A failing input becomes a ``failures`` row and a result with status
``failed``; the batch goes on.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Iterable, Iterator
from dataclasses import asdict, dataclass, replace

import sqlite_utils

from . import ingest
from .analysis import MentionRecord, analyse
from .archive import sha256_hex
from .db import Prepared, capture_plan, record_failure, store_prepared
from .errors import ProvenanceError
from .ingest.base import Extracted, Hint
from .inputs import Fetched, Limits, fetch_url, iter_inputs, read_item, unwrap
from .worker import Worker

log = logging.getLogger(__name__)


@dataclass
class Result:
    """What happened to one document of one input: the contract of ``add --json``."""

    input: str
    status: str  # added | recaptured | unchanged | failed
    source_id: int | None = None
    kind: str | None = None
    title: str | None = None
    error: str | None = None
    parent_id: int | None = None
    claims: int | None = None
    capture: int | None = None  # which capture of the source this is (1 = first)
    previous_id: int | None = None  # for a re-capture: the capture it supersedes
    anchors: dict | None = None  # for a re-capture: earlier claims by re-anchoring status

    def as_dict(self) -> dict:
        return asdict(self)


def extract_record(data: bytes, hint: Hint, max_bytes: int | None = None) -> Extracted:
    """Bytes to a record: decompress a ``.gz`` under the cap, then detect and extract.

    ``provenance verify`` calls this too, to re-run the recorded extractor on archived bytes.
    """
    data, hint, container = unwrap(data, hint, max_bytes or Limits.max_bytes)
    record = ingest.extract(data, hint)
    if container:
        record.metadata.update(container)
    return record


def prepare(
    fetched: Fetched, raw_sha256: str | None = None, limits: Limits | None = None
) -> Prepared:
    """Extract and analyse one input's bytes (raises ProvenanceError on expected failures)."""
    limits = limits or Limits()
    raw_sha256 = raw_sha256 or sha256_hex(fetched.data)
    hint = replace(fetched.hint, max_pages=limits.max_pages, max_bytes=limits.max_bytes)
    record = extract_record(fetched.data, hint, limits.max_bytes)
    prepared = Prepared(fetched=fetched, raw_sha256=raw_sha256, record=record)
    for position, document in enumerate(prepared.flatten()):
        if position == 0 and document.children:
            prepared.analyses.append(None)  # claims are cut from the posts, not the page
            continue
        analysis = analyse(document.text, document.structure)
        for ref in document.metadata.get("refs", []):
            if ref.get("identifier"):
                analysis.mentions.append(
                    MentionRecord(None, None, ref["mention"], "cable-ref", ref["identifier"])
                )
        prepared.analyses.append(analysis)
    return prepared


def _prepare_in_worker(fetched: Fetched, raw_sha256: str, limits: Limits) -> Prepared:
    """:func:`prepare`, returning the record without echoing the input's bytes back."""
    prepared = prepare(fetched, raw_sha256, limits)
    prepared.fetched = replace(fetched, data=b"")
    return prepared


def _failed(
    db: sqlite_utils.Database,
    input_name: str,
    error: BaseException,
    data: bytes | None = None,
    raw_sha256: str | None = None,
) -> Result:
    record_failure(db.conn, input_name, error, data, raw_sha256)
    return Result(input=input_name, status="failed", error=str(error) or type(error).__name__)


def add(
    db: sqlite_utils.Database, args: Iterable[str], limits: Limits | None = None
) -> Iterator[Result]:
    """Add every input named by ``args``; yield one result per stored document.

    Each input gets ``limits.timeout`` seconds for fetching, extraction and analysis together,
    in a worker process that is killed when the time is up.
    """
    limits = limits or Limits()
    with Worker(limits.max_memory) as worker:
        yield from _add(db, args, limits, worker)


def _add(
    db: sqlite_utils.Database, args: Iterable[str], limits: Limits, worker: Worker
) -> Iterator[Result]:
    for item in iter_inputs(list(args)):
        deadline = time.monotonic() + limits.timeout

        def remaining(deadline: float = deadline) -> float:
            return deadline - time.monotonic()

        try:
            if item.url is not None:
                fetched = worker.run(
                    fetch_url,
                    item.url,
                    limits,
                    item.input,
                    remaining() - 0.5,  # the fetch's own deadline says why it stopped
                    timeout=remaining(),
                    limit=limits.timeout,
                )
            else:
                fetched = read_item(item, limits)
        except ProvenanceError as exc:
            yield _failed(db, item.input, exc)
            continue
        raw_sha256 = sha256_hex(fetched.data)
        existing, _ = capture_plan(db.conn, fetched.locator, raw_sha256)
        if existing:
            yield from _results(item.input, "unchanged", existing)
            continue
        try:
            prepared = worker.run(
                _prepare_in_worker, fetched, raw_sha256, limits, timeout=remaining(),
                limit=limits.timeout,
            )  # fmt: skip
        except ProvenanceError as exc:
            yield _failed(db, item.input, exc, fetched.data, raw_sha256)
            continue
        prepared.fetched = fetched
        status, stored = store_prepared(db.conn, prepared)
        yield from _results(item.input, status, stored)


def _results(input_name: str, status: str, stored: list) -> Iterator[Result]:
    for s in stored:
        yield Result(
            input=input_name,
            status=status,
            source_id=s.source_id,
            kind=s.kind,
            title=s.title,
            parent_id=s.parent_id,
            claims=s.claims if status in ("added", "recaptured") else None,
            capture=s.capture,
            previous_id=s.previous_id,
            anchors=s.anchors,
        )
