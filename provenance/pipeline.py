"""The flow of ``provenance add``: resolve inputs, read, detect, extract, analyse, store.

:func:`prepare` is pure CPU work on one input's bytes (no database), so it can run in a worker;
:func:`add` reads, skips bytes already stored, prepares and stores one capture per transaction.
A failing input becomes a ``failures`` row and a result with status ``failed``; the batch goes on.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Iterator
from dataclasses import asdict, dataclass

import sqlite_utils

from . import ingest
from .analysis import MentionRecord, analyse
from .archive import sha256_hex
from .citations import claim_of, page_link_mentions
from .db import Prepared, find_capture, record_failure, store_prepared
from .errors import ProvenanceError
from .inputs import Fetched, Limits, iter_inputs, read_item

log = logging.getLogger(__name__)


@dataclass
class Result:
    """What happened to one document of one input: the contract of ``add --json``."""

    input: str
    status: str  # added | unchanged | failed
    source_id: int | None = None
    kind: str | None = None
    title: str | None = None
    error: str | None = None
    parent_id: int | None = None
    claims: int | None = None

    def as_dict(self) -> dict:
        return asdict(self)


def prepare(fetched: Fetched, raw_sha256: str | None = None) -> Prepared:
    """Extract and analyse one input's bytes (raises ProvenanceError on expected failures)."""
    raw_sha256 = raw_sha256 or sha256_hex(fetched.data)
    record = ingest.extract(fetched.data, fetched.hint)
    prepared = Prepared(fetched=fetched, raw_sha256=raw_sha256, record=record)
    links = _links(fetched, prepared.flatten())
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
        if links[position]:
            claim_of(links[position], [(c.start, c.end) for c in analysis.claims])
            analysis.mentions.extend(links[position])
        prepared.analyses.append(analysis)
    return prepared


def _links(fetched: Fetched, documents: list) -> list[list[MentionRecord]]:
    """Hyperlinks of an HTML page as mentions of the documents they point to."""
    if documents[0].kind != "html":
        return [[] for _ in documents]
    base = documents[0].canonical_url or documents[0].url or fetched.url
    return page_link_mentions(fetched.data, documents, base)


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
    """Add every input named by ``args``; yield one result per stored document."""
    limits = limits or Limits()
    for item in iter_inputs(list(args)):
        try:
            fetched = read_item(item, limits)
        except ProvenanceError as exc:
            yield _failed(db, item.input, exc)
            continue
        raw_sha256 = sha256_hex(fetched.data)
        existing = find_capture(db.conn, raw_sha256)
        if existing:
            yield from _results(item.input, "unchanged", existing)
            continue
        try:
            prepared = prepare(fetched, raw_sha256)
        except ProvenanceError as exc:
            yield _failed(db, item.input, exc, fetched.data, raw_sha256)
            continue
        except Exception as exc:  # a bug on one odd input must not end a batch of thousands
            log.exception("unexpected error on %s", item.input)
            error = ProvenanceError(f"internal error ({type(exc).__name__}): {exc}")
            yield _failed(db, item.input, error, fetched.data, raw_sha256)
            continue
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
            claims=s.claims if status == "added" else None,
        )
