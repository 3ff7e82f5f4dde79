"""The same batch on a Dask distributed cluster: workers there prepare, this process writes.

``provenance add --cluster tcp://HOST:PORT`` sends each input to an existing Dask cluster
(``pip install 'provenance[cluster]'`` here and on every worker, the same version):

- Files are read here and travel as bytes, so the workers need not share a file system; URLs
  are fetched on a worker, and their bytes come back to be hashed, checked against what is
  already stored and stored.
- On the worker the work runs as it does in the local pool: in a child process of the Dask
  worker (:class:`provenance.worker.Worker`), killed when the input's time is up, its address
  space capped. A Dask worker that runs as a daemon (under a nanny, Dask's default) may not
  start processes: there the work runs in the worker's own thread, without the hard limits.
- This process is the one writer: results are stored in input order whatever order the
  cluster finishes them in, exactly as :func:`provenance.pipeline.add` stores the local
  pool's, so both give the same database. A worker lost mid-batch has its inputs run again
  elsewhere by the scheduler; each input's result is collected once, so nothing is stored
  twice. An input whose workers keep dying fails with a one-line error, like a crash locally.
"""

from __future__ import annotations

import logging
import multiprocessing
import os
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Any

from . import __version__
from .errors import ProvenanceError
from .inputs import Limits, fetch_url
from .pipeline import COMMIT_SECONDS, _Batch, _Job, _prepare_in_worker
from .worker import FORKS, Worker, _rebuild

if TYPE_CHECKING:
    from .db import Archive

log = logging.getLogger(__name__)

#: Inputs larger than this are scattered to the cluster ahead of their task instead of being
#: packed into it (Dask warns about task graphs of many megabytes).
SCATTER_FROM = 1024 * 1024
#: Seconds to wait for the scheduler to answer when connecting.
CONNECT_TIMEOUT = 10
#: A forked extraction process on a worker is replaced past this many private bytes, as in
#: the local pool (:data:`provenance.pipeline.RESTART_ABOVE`).
RESTART_ABOVE = 80 * 1024 * 1024

MISSING = "the Dask executor needs the cluster extra: pip install 'provenance[cluster]'"


@contextmanager
def connect(address: str) -> Iterator[Any]:
    """A Dask client of the scheduler at ``address``, closed on leaving."""
    try:
        from distributed import Client
    except ImportError:
        raise ProvenanceError(MISSING) from None
    try:
        client = Client(address, timeout=CONNECT_TIMEOUT, set_as_default=False)
    except (OSError, TimeoutError, ValueError) as exc:
        detail = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
        raise ProvenanceError(f"cannot reach the Dask scheduler at {address}: {detail}") from None
    try:
        try:
            client.wait_for_workers(1, timeout=CONNECT_TIMEOUT)
        except TimeoutError:
            raise ProvenanceError(
                f"the Dask scheduler at {address} has no workers (waited {CONNECT_TIMEOUT} s)"
            ) from None
        yield client
    finally:
        client.close()


@contextmanager
def local_processes(
    folder: Path, workers: int = 2, timeout: float = 120
) -> Iterator[tuple[str, dict[str, subprocess.Popen]]]:
    """A Dask scheduler and ``workers`` one-thread workers on 127.0.0.1 only, each its own
    process (``dask scheduler``, ``dask worker --no-nanny``), logging to ``folder/dask.log``:
    for tests and benchmarks. Yields the scheduler's address and each worker's process by
    the worker's address; stops them all on leaving."""
    try:
        from distributed import Client
    except ImportError:
        raise ProvenanceError(MISSING) from None
    folder.mkdir(parents=True, exist_ok=True)
    scheduler_file, log = folder / "scheduler.json", folder / "dask.log"
    scheduler_file.unlink(missing_ok=True)
    started: list[subprocess.Popen] = []

    def start(program: str, *args: str) -> subprocess.Popen:
        with open(log, "ab") as fh:
            process = subprocess.Popen(
                [sys.executable, "-m", f"distributed.cli.dask_{program}", *args],
                stdout=fh,
                stderr=subprocess.STDOUT,
            )
        started.append(process)
        return process

    local = ["--host", "127.0.0.1", "--no-dashboard", "--scheduler-file", str(scheduler_file)]
    try:
        scheduler = start("scheduler", "--port", "0", *local)
        deadline = time.monotonic() + timeout
        while not scheduler_file.exists():
            if time.monotonic() > deadline or scheduler.poll() is not None:
                raise ProvenanceError(f"the Dask scheduler did not start (see {log})")
            time.sleep(0.1)
        for n in range(workers):
            start(
                "worker", *local, "--nthreads", "1", "--no-nanny", "--name", f"w{n}",
                "--local-directory", str(folder / f"w{n}"), "--death-timeout", "60",
            )  # fmt: skip
        with Client(scheduler_file=str(scheduler_file), timeout=timeout) as client:
            if workers:
                client.wait_for_workers(workers, timeout=timeout)
            address = client.scheduler.address
            pids = client.run(os.getpid)
        by_pid = {process.pid: process for process in started}
        yield address, {worker: by_pid[pid] for worker, pid in pids.items()}
    finally:
        for process in reversed(started):
            process.terminate()
        for process in started:
            try:
                process.wait(20)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()


# --- on a Dask worker ---------------------------------------------------------------------

#: Each thread of a Dask worker keeps its own extraction process between inputs (starting
#: one costs a fork, loading the models into it about a second).
_here = threading.local()
_preload_lock = threading.Lock()
_preloaded = False


def _worker_here(max_memory: int | None) -> Worker:
    worker = getattr(_here, "worker", None)
    if worker is None or worker.max_memory != max_memory:
        if worker is not None:
            worker.close()
        worker = _here.worker = Worker(max_memory, RESTART_ABOVE if FORKS else None)
    return worker


def _preload_once() -> None:
    """Load the models into the Dask worker's process once, before it forks extraction
    processes, so that they share them (see :func:`provenance.pipeline.preload`)."""
    global _preloaded
    with _preload_lock:
        if not _preloaded:
            from .pipeline import preload

            preload()
            _preloaded = True


def run_on_worker(version: str, fn: Any, args: tuple, limits: Limits, timeout: float) -> tuple:
    """Run on a Dask worker: ``fn(*args)`` under the input's limits.

    Returns ``("ok", value)`` or ``("error", name, message)``: an input's expected failure is
    an answer, not a failed task, so the scheduler does not run it again.
    """
    if version != __version__:
        return (
            "error",
            "ProvenanceError",
            f"the Dask worker runs provenance {__version__}, this writer {version}",
        )
    if multiprocessing.current_process().daemon:
        return _run_in_thread(fn, args)
    _preload_once()
    try:
        value = _worker_here(limits.max_memory).run(
            fn, *args, timeout=timeout, limit=limits.timeout
        )
    except ProvenanceError as exc:
        return ("error", type(exc).__name__, str(exc))
    return ("ok", value)


def _run_in_thread(fn: Any, args: tuple) -> tuple:
    """``fn(*args)`` in this thread: a daemonic Dask worker cannot start a process."""
    try:
        return ("ok", fn(*args))
    except ProvenanceError as exc:
        return ("error", type(exc).__name__, str(exc))
    except RecursionError:
        return ("error", "IngestError", "document nested too deeply to process")
    except Exception as exc:  # a bug on one odd input must not end a batch of thousands
        return ("error", type(exc).__name__, str(exc))


def fetch_on_worker(url: str, limits: Limits, input_name: str, budget: float) -> tuple:
    """:func:`provenance.inputs.fetch_url`, and the seconds it took (the input's time runs on)."""
    started = time.monotonic()
    fetched = fetch_url(url, limits, input_name, budget)
    return fetched, time.monotonic() - started


# --- the writer's side --------------------------------------------------------------------


class ClusterBatch(_Batch):
    """A batch whose inputs are prepared on a Dask cluster and stored here, in input order."""

    def __init__(self, db: Archive, limits: Limits, client: Any, as_text: bool = False) -> None:
        super().__init__(db, limits, pool=[], as_text=as_text)
        self.client = client
        self.busy: dict[Any, _Job] = {}  # type: ignore[assignment]  # future -> its job
        self.started: dict[int, float] = {}  # id(job) -> seconds its fetch took
        self.preloaded = True  # the models are loaded on the workers, not here

    @property
    def slots(self) -> int:
        threads = sum(self.client.nthreads().values())
        return max(1, threads)

    def _dispatch(self) -> None:
        waiting = {id(job) for job in self.busy.values()}
        for job in self.window:
            if job.done or id(job) in waiting:
                continue
            if job.fetched is None:  # a URL: fetched on a worker, under the input's time
                args: tuple = (job.item.url, self.limits, job.item.input, self.limits.timeout - 0.5)
                future = self._submit(fetch_on_worker, args, self.limits.timeout)
            else:
                fetched: Any = job.fetched
                if len(job.fetched.data) > SCATTER_FROM:
                    fetched = self.client.scatter(job.fetched, hash=False)
                args = (fetched, job.raw_sha256, self.limits)
                remaining = self.limits.timeout - self.started.pop(id(job), 0.0)
                future = self._submit(_prepare_in_worker, args, remaining)
            self.busy[future] = job

    def _submit(self, fn: Any, args: tuple, timeout: float) -> Any:
        return self.client.submit(
            run_on_worker, __version__, fn, args, self.limits, timeout, pure=False
        )

    def _wait(self) -> None:
        from distributed import wait

        timeout = 1.0
        if self.began is not None:  # wake up in time to commit what is stored
            timeout = max(0.0, min(timeout, self.began + COMMIT_SECONDS - time.monotonic()))
        try:
            with self.client.as_current():
                wait(list(self.busy), timeout=timeout, return_when="FIRST_COMPLETED")
        except TimeoutError:
            return
        for future in [f for f in self.busy if f.done()]:
            job = self.busy.pop(future)
            try:
                answer = future.result()
            except Exception as exc:  # the task itself failed: its workers kept dying
                job.error = _task_error(exc)
                continue
            finally:
                future.release()
            if answer[0] != "ok":
                job.error = _rebuild(answer[1], answer[2], None)
            elif job.fetched is None:
                fetched, seconds = answer[1]
                self.started[id(job)] = seconds
                self._fetched(job, fetched)
            else:
                self._collected(job, answer[1])


def _task_error(exc: BaseException) -> ProvenanceError:
    """The one-line error of an input whose task the cluster could not finish."""
    if type(exc).__name__ == "KilledWorker":
        return ProvenanceError("the Dask workers running this input kept dying")
    message = str(exc).splitlines()[0] if str(exc) else ""
    return ProvenanceError(
        f"the cluster could not run this input ({type(exc).__name__}: {message})"
    )
