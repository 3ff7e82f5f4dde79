"""The flow of ``provenance add``: resolve inputs, read, detect, extract, analyse, store.

:func:`prepare` is pure CPU work on one input's bytes (no database), so it runs in a worker
process (:mod:`provenance.worker`) that is killed when the input's time limit is up; URLs are
fetched there too. :func:`add` reads, skips bytes already stored, prepares and stores one
capture per transaction. A failing input becomes a ``failures`` row and a result with status
``failed``; the batch goes on.
"""

from __future__ import annotations

import gc
import time
from collections import deque
from collections.abc import Iterable, Iterator
from dataclasses import asdict, dataclass, replace
from itertools import chain, islice
from multiprocessing.connection import wait
from typing import TYPE_CHECKING, Any

from . import attribution, claims, ingest, kinds, profile
from .analysis import MentionRecord, analyse
from .archive import sha256_hex
from .citations import claim_of, page_link_mentions
from .errors import NotProse, ProvenanceError
from .ingest.base import Budget, Extracted, Hint
from .inputs import (
    Fetched,
    Item,
    Limits,
    archive_files,
    fetch_url,
    iter_inputs,
    read_item,
    unwrap,
)
from .linking import LinkMemory, prepare_links
from .store import Prepared, capture_plan, record_failure, store_prepared
from .worker import FORKS, Worker

if TYPE_CHECKING:
    from .db import Archive


@dataclass
class Result:
    """What happened to one document of one input: the contract of ``add --json``."""

    input: str
    status: str  # added | recaptured | unchanged | skipped | failed
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
    cap = max_bytes or hint.max_bytes or Limits.max_bytes
    # One budget of decompressed bytes for every layer of this input (see ingest.base.Budget).
    hint = replace(hint, max_bytes=cap, budget=Budget(cap))
    data, hint, container = unwrap(data, hint, cap)
    record = ingest.extract(data, hint)
    if container:
        record.metadata.update(container)
    return record


def _date_cable_refs(analysis: Any, published: str | None) -> None:
    """Give the cables a text names by short reference ("Source - BRASILIA 1514") their
    reference ids, the year read from the document's date as a REF line's is; one that cannot
    be dated is left out."""
    refs = [m for m in analysis.mentions if m.kind == "cable-ref" and m.identifier is None]
    if not refs:
        return
    from .ingest.cable import ref_identifier

    for m in refs:
        m.identifier = ref_identifier(m.mention, published)
    analysis.mentions = [m for m in analysis.mentions if m.identifier is not None]


def prepare(
    fetched: Fetched, raw_sha256: str | None = None, limits: Limits | None = None
) -> Prepared:
    """Extract and analyse one input's bytes (raises ProvenanceError on expected failures)."""
    limits = limits or Limits()
    raw_sha256 = raw_sha256 or sha256_hex(fetched.data)
    hint = replace(fetched.hint, max_pages=limits.max_pages, max_bytes=limits.max_bytes)
    started = time.perf_counter()
    record = extract_record(fetched.data, hint, limits.max_bytes)
    extracted = time.perf_counter()
    prepared = Prepared(fetched=fetched, raw_sha256=raw_sha256, record=record)
    links = _links(fetched, prepared.flatten())
    for position, document in enumerate(prepared.flatten()):
        if position == 0 and document.children:
            prepared.analyses.append(None)  # claims are cut from the posts, not the page
            continue
        analysis = analyse(document.text, document.structure, accurate=limits.accurate)
        _date_cable_refs(analysis, document.published)
        for named in document.mentions:
            analysis.mentions.append(
                MentionRecord(None, None, named.text, named.kind, named.identifier)
            )
        if links[position]:
            claim_of(links[position], [(c.start, c.end) for c in analysis.claims])
            analysis.mentions.extend(links[position])
        prepared.analyses.append(analysis)
    analysed = time.perf_counter()
    prepared.link_hints = prepare_links(prepared.flatten(), prepared.analyses)
    prepared.timings = {
        "extract": extracted - started,
        "analyse": analysed - extracted,
        "link-prepare": time.perf_counter() - analysed,
    }
    return prepared


def _prepare_in_worker(fetched: Fetched, raw_sha256: str, limits: Limits) -> Prepared:
    """:func:`prepare`, returning the record without echoing the input's bytes back."""
    prepared = prepare(fetched, raw_sha256, limits)
    prepared.fetched = replace(fetched, data=b"")
    return prepared


def _links(fetched: Fetched, documents: list) -> list[list[MentionRecord]]:
    """Hyperlinks of an HTML page as mentions of the documents they point to; of a web
    capture, those of each page it holds (each against its own address)."""
    top = kinds.kind(documents[0].kind)
    if top.links_are_mentions:
        base = documents[0].canonical_url or documents[0].url or fetched.url
        return page_link_mentions(documents, base)
    found: list[list[MentionRecord]] = [[] for _ in documents]
    if top.holds_pages:
        for index, page in enumerate(documents[1:], 1):
            if kinds.kind(page.kind).links_are_mentions:
                found[index] = page_link_mentions([page], page.canonical_url or page.url)[0]
    return found


def preload(ingesters: Iterable[str] = ()) -> None:
    """Load now, in this process, what each worker would otherwise load for itself on first
    use: the claim and attribution models, and what the named ingesters build lazily (see
    :meth:`provenance.ingest.base.Ingester.preload`). Workers forked afterwards share these
    pages with this process instead of each holding a copy.
    """
    claims.model()
    attribution.load_models()
    for name in sorted(set(ingesters)):
        ingest.get_ingester(name).preload()
    gc.collect()  # what loading left behind, before workers inherit it (see worker.Worker)


def _failed(
    db: Archive,
    input_name: str,
    error: BaseException,
    data: bytes | None = None,
    raw_sha256: str | None = None,
) -> Result:
    record_failure(db.conn, input_name, error, data, raw_sha256)
    # Text that is not prose is recorded like a failure, with its reason, but is not one.
    status = "skipped" if isinstance(error, NotProse) else "failed"
    return Result(input=input_name, status=status, error=str(error) or type(error).__name__)


def add(
    db: Archive,
    args: Iterable[str],
    limits: Limits | None = None,
    workers: int = 1,
    cluster: str | None = None,
    as_text: bool = False,
) -> Iterator[Result]:
    """Add every input named by ``args``; yield one result per stored document.

    Inputs are fetched, extracted and analysed in ``workers`` worker processes, or on the
    Dask cluster whose scheduler is at ``cluster`` (see :mod:`provenance.cluster`); this
    process is the single writer and stores them in input order, so the database is the same
    whatever the number of workers. Each input gets ``limits.timeout`` seconds for fetching,
    extraction and analysis together, from the moment a worker takes it; a worker past its
    time is killed. At most a few inputs per worker are held in memory at once. Text that is
    not prose is skipped (a ``failures`` row and a ``skipped`` result) unless ``as_text``.
    """
    limits = limits or Limits()
    db.conn.execute(f"PRAGMA cache_size = -{WRITER_CACHE_KIB}")
    archive = archive_files(db.conn.execute("PRAGMA database_list").fetchone()[2])
    if cluster is not None:
        from .cluster import ClusterBatch, connect

        with connect(cluster) as client:
            batch = ClusterBatch(db, limits, client, as_text)
            yield from batch.run(iter_inputs(list(args), limits.follow_links, archive))
        return
    # A forked worker past RESTART_ABOVE starts again from this process: a fresh copy shares
    # the models loaded here (see preload), and its memory does not grow with the batch.
    max_private = RESTART_ABOVE if FORKS else None
    pool = [Worker(limits.max_memory, max_private) for _ in range(max(1, workers))]
    try:
        batch = _Batch(db, limits, pool, as_text)
        yield from batch.run(iter_inputs(list(args), limits.follow_links, archive))
    finally:
        for worker in pool:
            worker.close()


@dataclass
class _Job:
    """One input on its way through a batch."""

    item: Item
    fetched: Fetched | None = None
    raw_sha256: str | None = None
    deadline: float | None = None  # set when a worker first takes it
    prepared: Prepared | None = None
    results: list[Result] | None = None  # unchanged: known without a worker
    error: ProvenanceError | None = None

    @property
    def done(self) -> bool:
        return self.prepared is not None or self.results is not None or self.error is not None


#: The writer's page cache (KiB; SQLite's default is 2 MiB). Linking inserts and looks up
#: random keys in ``claim_keys`` and ``quote_keys`` for every source; with the default cache
#: those B-tree pages are read again and spilled to the WAL within one commit group, which
#: took about a tenth of the writer's CPU time on 300 cables or pages. 8 MiB keeps most of
#: that gain; 32 MiB took a little more and added its size to the peak memory of a bulk add.
WRITER_CACHE_KIB = 8_192

#: A bulk add commits after this many results or this many seconds, whichever comes first.
#: Each source is still stored whole or not at all (a savepoint each); one commit for many
#: sources saves the per-commit cost (WAL frames, a new full-text index segment each time).
COMMIT_EVERY = 200
COMMIT_SECONDS = 0.5
#: A batch of at least this many inputs loads the models before its workers start
#: (:func:`preload`); a smaller one leaves it to the workers, on first use.
PRELOAD_FROM = 100
#: Jobs a worker holds at once: the one it runs and the next, which it starts as soon as it
#: answers, instead of waiting for the writer to finish storing and hand it out.
AHEAD = 2
#: A forked worker that holds more than this many bytes of its own (its caches, the pages it
#: copied from this process, a heap left at the high-water mark of a large input) is replaced
#: by a fresh fork after its input. HTML pages reach it after about 50 inputs; a fork costs
#: milliseconds, refilling the caches under a second.
RESTART_ABOVE = 80 * 1024 * 1024


class _Batch:
    """Schedules jobs on the workers and stores finished ones in input order.

    Stored sources are committed in groups (see :data:`COMMIT_EVERY`); their results are
    yielded once committed, so whatever was reported is in the database."""

    def __init__(
        self, db: Archive, limits: Limits, pool: list[Worker], as_text: bool = False
    ) -> None:
        self.db, self.limits, self.pool, self.as_text = db, limits, pool, as_text
        self.busy: dict[Any, deque[_Job]] = {}  # worker -> its jobs, the running one first
        self.window: deque[_Job] = deque()
        self.pending: list[Result] = []  # stored, not yet committed
        self.began: float | None = None  # when the open transaction began
        self.bulk = self.preloaded = False
        self.link_memory = LinkMemory()  # linking's memory from capture to capture

    def run(self, items: Iterator[Item]) -> Iterator[Result]:
        ahead = list(islice(items, PRELOAD_FROM))
        self.bulk = FORKS and len(ahead) >= PRELOAD_FROM
        items = chain(ahead, items)
        try:
            yield from self._run(items)
        finally:
            self._commit()
        yield from self._flush()

    @property
    def slots(self) -> int:
        """How many inputs are worked on at once."""
        return len(self.pool)

    def _run(self, items: Iterator[Item]) -> Iterator[Result]:
        exhausted = False
        most = 2 * self.slots + 2  # bytes in flight stay bounded
        while True:
            while not exhausted and len(self.window) < most:
                item = next(items, None)
                if item is None:
                    exhausted = True
                    break
                job = _Job(item)
                self.window.append(job)
                if item.url is None:
                    self._read(job)
            if self.bulk and not self.preloaded:
                self.preloaded = True
                preload(self._ingesters())
            self._dispatch()
            while self.window and self.window[0].done:
                if self.began is None:
                    self.db.conn.execute("BEGIN IMMEDIATE")
                    self.began = time.monotonic()
                self.pending.extend(self._finish(self.window.popleft()))
                if len(self.pending) >= COMMIT_EVERY:
                    break
            if self.began is not None and (
                len(self.pending) >= COMMIT_EVERY
                or time.monotonic() - self.began >= COMMIT_SECONDS
                or not self.busy
            ):
                self._commit()
                yield from self._flush()
            if exhausted and not self.window:
                return
            if self.busy:
                self._wait()

    def _ingesters(self) -> set[str]:
        """The ingesters of the inputs read so far (the first ones of the batch)."""
        names = set()
        for job in self.window:
            if job.fetched is not None:
                try:
                    names.add(ingest.detect(job.fetched.data, job.fetched.hint).name)
                except ProvenanceError:
                    pass
        return names

    def _commit(self) -> None:
        if self.began is not None:
            self.began = None
            if self.db.conn.in_transaction:
                with profile.stage("commit"):
                    self.link_memory.write_claim_keys(self.db.conn)
                    self.db.conn.execute("COMMIT")
            else:  # SQLite rolled the transaction back itself: its claims are gone
                self.link_memory.drop_claim_keys(0)

    def _flush(self) -> Iterator[Result]:
        pending, self.pending = self.pending, []
        yield from pending

    def _read(self, job: _Job) -> None:
        with profile.stage("read"):
            try:
                fetched = read_item(job.item, self.limits)
            except ProvenanceError as exc:
                job.error = exc
                return
        self._fetched(job, fetched)

    def _fetched(self, job: _Job, fetched: Fetched) -> None:
        if self.as_text:
            fetched = replace(fetched, hint=replace(fetched.hint, as_text=True))
        with profile.stage("hash"):
            job.fetched, job.raw_sha256 = fetched, sha256_hex(fetched.data)
        existing, _ = capture_plan(self.db.conn, fetched.locator, job.raw_sha256)
        if existing:
            job.results = list(_results(job.item.input, "unchanged", existing))

    def _dispatch(self) -> None:
        taken = {id(job) for jobs in self.busy.values() for job in jobs}
        for job in self.window:
            if job.done or id(job) in taken:
                continue
            worker = self._worker_for(job)
            if worker is None:
                continue
            jobs = self.busy.setdefault(worker, deque())
            if job.fetched is None:  # a URL: fetched in the worker, under the input's time
                job.deadline = job.deadline or time.monotonic() + self.limits.timeout
                remaining = job.deadline - time.monotonic()
                worker.submit(fetch_url, job.item.url, self.limits, job.item.input, remaining - 0.5)
            else:
                worker.submit(_prepare_in_worker, job.fetched, job.raw_sha256, self.limits)
            jobs.append(job)
            self._timed(worker)

    def _worker_for(self, job: _Job) -> Worker | None:
        """An idle worker; else, for an input whose time has not begun (not a URL, nor one
        fetched already), a worker that has a single job: the input waits behind it."""
        idle = [w for w in self.pool if not self.busy.get(w)]
        if idle:
            return idle[-1]
        if job.deadline is not None or job.fetched is None:
            return None
        return next((w for w in self.pool if len(self.busy[w]) < AHEAD), None)

    def _timed(self, worker: Worker) -> None:
        """The worker's running job has its time limit from when the worker began it."""
        jobs = self.busy[worker]
        if not jobs:
            del self.busy[worker]
        elif jobs[0].deadline is None:
            assert worker.since is not None
            jobs[0].deadline = worker.since + self.limits.timeout

    def _wait(self) -> None:
        soonest = min(jobs[0].deadline for jobs in self.busy.values())
        if self.began is not None:  # wake up in time to commit what is stored
            soonest = min(soonest, self.began + COMMIT_SECONDS)
        workers = {worker.connection: worker for worker in self.busy}
        ready = wait(list(workers), timeout=max(0.0, soonest - time.monotonic()))
        for connection in ready:
            worker = workers[connection]
            job = self.busy[worker].popleft()
            try:
                outcome = worker.collect()
            except ProvenanceError as exc:
                job.error = exc
            else:
                self._collected(job, outcome)
            self._timed(worker)
        now = time.monotonic()
        for worker, jobs in list(self.busy.items()):
            if now >= jobs[0].deadline:
                job = jobs.popleft()
                job.error = worker.timed_out(self.limits.timeout)
                self._timed(worker)

    def _collected(self, job: _Job, outcome: Any) -> None:
        """A worker's answer: the bytes of a URL it fetched, or what it prepared."""
        if job.fetched is None:
            self._fetched(job, outcome)
        else:
            outcome.fetched = job.fetched
            profile.add_times(outcome.timings)
            job.prepared = outcome

    def _finish(self, job: _Job) -> Iterator[Result]:
        if job.error is not None:
            data = job.fetched.data if job.fetched is not None else None
            yield _failed(self.db, job.item.input, job.error, data, job.raw_sha256)
        elif job.results is not None:
            yield from job.results
        else:
            assert job.prepared is not None
            with profile.stage("store"):
                status, stored = store_prepared(self.db.conn, job.prepared, self.link_memory)
            yield from _results(job.item.input, status, stored)


def _results(input_name: str, status: str, stored: list) -> Iterator[Result]:
    for s in stored:
        yield Result(
            input=input_name,
            # A post that is new on a recaptured archive page continues no earlier post.
            status="added" if status == "recaptured" and s.previous_id is None else status,
            source_id=s.source_id,
            kind=s.kind,
            title=s.title,
            parent_id=s.parent_id,
            claims=s.claims if status in ("added", "recaptured") else None,
            capture=s.capture,
            previous_id=s.previous_id,
            anchors=s.anchors,
        )
