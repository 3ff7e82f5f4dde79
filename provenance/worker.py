"""Run fetching and extraction in a child process, under a time limit and a memory limit.

Extraction runs third-party parsers on bytes from anywhere. A pathological page can keep a
parser busy inside C code where no signal reaches it, exhaust memory, or crash the interpreter;
none of that may hang or end a batch. So the work for one input runs in a worker process that
the batch kills when the input's time is up, whose address space is capped, and which is
started again after a crash. The worker never touches the database: it is given bytes (or a
URL) and returns plain data, and the batch's own process does all the writing.
"""

from __future__ import annotations

import faulthandler
import gc
import logging
import multiprocessing
import os
import signal
import sys
import threading
import time
import traceback
from collections import deque
from collections.abc import Callable
from multiprocessing.connection import Connection
from multiprocessing.reduction import ForkingPickler
from typing import Any

from . import errors
from .errors import LimitExceeded, ProvenanceError

log = logging.getLogger(__name__)

# fork is cheap and keeps whatever the parent imported; elsewhere fork is unsafe or missing.
_START_METHOD = "fork" if sys.platform.startswith("linux") else "spawn"
#: Whether workers start as copies of the batch's process, sharing the pages it has loaded.
FORKS = _START_METHOD == "fork"


class WorkerCrashed(ProvenanceError):
    """The worker process died while working on an input (a crash in a parser, or killed)."""


def _die_with_parent() -> None:
    """Ask Linux to kill this process when the parent dies (a SIGKILLed batch leaves no orphan)."""
    if not sys.platform.startswith("linux"):
        return
    try:
        import ctypes

        libc = ctypes.CDLL(None, use_errno=True)
        libc.prctl(1, signal.SIGKILL)  # PR_SET_PDEATHSIG
    except (OSError, AttributeError):
        pass


#: How much lower a worker's scheduling priority is than the batch's process (``nice``).
NICENESS = 5


def _yield_to_the_writer() -> None:
    """Lower this process's priority: the batch's single writer is what every worker's
    results wait for, so where workers and writer share the cores it goes first (a worker
    that holds its next input would otherwise take the writer's time while it stores)."""
    try:
        os.nice(NICENESS)
    except (AttributeError, OSError):
        pass


def _cap_memory(max_memory: int | None) -> None:
    """Cap the address space at what the process uses now plus ``max_memory`` bytes."""
    if not max_memory:
        return
    try:
        import resource

        with open("/proc/self/statm") as fh:
            current = int(fh.read().split()[0]) * os.sysconf("SC_PAGE_SIZE")
        _, hard = resource.getrlimit(resource.RLIMIT_AS)
        limit = current + max_memory
        if hard != resource.RLIM_INFINITY:
            limit = min(limit, hard)
        resource.setrlimit(resource.RLIMIT_AS, (limit, hard))
    except (ImportError, OSError, ValueError):
        pass  # not Linux: the time limit still bounds the work


def _release_memory() -> Callable[[], object]:
    """A function that hands the C allocator's free pages back to the system (glibc's
    ``malloc_trim``), or one that does nothing where there is none."""
    try:
        import ctypes

        trim = ctypes.CDLL(None).malloc_trim
    except (OSError, AttributeError):
        return lambda: None
    return lambda: trim(0)


def private_bytes() -> int:
    """Memory this process holds that no other does (0 where /proc cannot tell)."""
    total = 0
    try:
        with open("/proc/self/smaps_rollup") as fh:
            for line in fh:
                if line.startswith(("Private_Clean:", "Private_Dirty:")):
                    total += int(line.split()[1]) * 1024
    except (OSError, ValueError, IndexError):
        return 0
    return total


def resident_bytes() -> int:
    """This process's resident size (0 where /proc cannot tell): cheap, unlike
    :func:`private_bytes`, but it counts pages shared with other processes too."""
    try:
        with open("/proc/self/statm") as fh:
            return int(fh.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")
    except (OSError, ValueError, IndexError):
        return 0


class MemoryCheck:
    """Whether a worker holds more than ``limit`` bytes of its own, asked after each input
    but measured (``/proc/self/smaps_rollup``, milliseconds for a process this size: 6-7 % of
    a worker's time on cables when read after every input) only when it may have changed
    enough to matter:

    - when the resident size grew by more than the room left at the last measure (a large
      input's heap: new pages are resident pages, so private memory cannot grow faster), and
    - every :attr:`EVERY` inputs otherwise, for what the resident size does not show: pages
      shared with the batch's process that this copy writes to become its own in place.
    """

    EVERY = 16

    def __init__(self, limit: int) -> None:
        self.limit = limit
        self.since = 0
        self.resident = 0  # at the last measure
        self.private = 0

    def due(self) -> bool:
        """Whether to measure now (counts one input)."""
        self.since += 1
        grown = resident_bytes() - self.resident
        return self.since >= self.EVERY or grown > self.limit - self.private

    def over(self) -> bool:
        """Measure: whether the private bytes are past the limit."""
        self.since = 0
        self.resident, self.private = resident_bytes(), private_bytes()
        return self.private > self.limit


def _serve(
    conn: Connection,
    parent_end: Connection | None,
    max_memory: int | None,
    max_private: int | None = None,
) -> None:
    """The worker's loop: run each (function, args) it is sent and send back the outcome."""
    if parent_end is not None:
        parent_end.close()  # a forked child holds a copy: without this it never sees EOF
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C is the batch's to handle
    faulthandler.disable()  # a crash here is reported by the batch, in one line
    _die_with_parent()
    _yield_to_the_writer()
    _cap_memory(max_memory)
    release = _release_memory()
    check = MemoryCheck(max_private) if max_private else None
    while True:
        try:
            message = conn.recv()
        except (EOFError, OSError):
            return
        fn, args = message
        del message
        # After running out of memory the worker exits once it has answered, and a fresh
        # one takes the next input.
        restart = False
        try:
            reply: tuple[str, Any, bool] = ("ok", fn(*args), False)
        except ProvenanceError as exc:
            reply = ("error", (type(exc).__name__, str(exc), None), False)
        except MemoryError:
            mb = (max_memory or 0) // (1024 * 1024)
            message = f"needed more than the memory limit of {mb:,} MB"
            reply = ("error", ("LimitExceeded", message, None), True)
        except RecursionError:
            reply = ("error", ("IngestError", "document nested too deeply to process", None), False)
        except Exception as exc:  # a bug on one odd input must not end a batch of thousands
            reply = ("error", (type(exc).__name__, str(exc), traceback.format_exc()), False)
        del fn, args
        restart = reply[2]
        if check is not None and not restart and check.due():
            release()
            if check.over():
                # What this copy accumulated (caches, pages copied from the batch's process,
                # a heap left fragmented) is past its share: a fresh copy takes the next input.
                restart = True
                reply = (reply[0], reply[1], True)
        # When it answered: a call sent behind this one starts now (time.monotonic() is the
        # system's clock, the same in the batch's process).
        try:
            conn.send((*reply, time.monotonic()))
        except (MemoryError, ValueError, TypeError, AttributeError, RecursionError) as exc:
            detail = f"its result could not be returned: {type(exc).__name__}: {exc}"
            conn.send(("error", ("ProvenanceError", detail, None), True, time.monotonic()))
            restart = True
        except OSError:
            return
        if restart:
            return
        # A large input leaves the heap at its high-water mark; what it freed goes back now,
        # or each worker keeps the largest input's worth of memory to the end of the batch.
        release()


def _rebuild(name: str, message: str, details: str | None) -> ProvenanceError:
    cls = getattr(errors, name, None)
    if isinstance(cls, type) and issubclass(cls, ProvenanceError):
        return cls(message)
    if details:
        log.info("worker traceback:\n%s", details)
    return ProvenanceError(f"internal error ({name}): {message}")


class Worker:
    """One child process that runs functions for the batch, each under a time limit.

    Use as a context manager. The process starts on first use and again after a time-out or
    a crash, so one bad input costs one restart; with ``max_private``, also once the process
    holds more than that many bytes of its own, so that what it accumulates (caches, pages
    copied from this process, a heap left fragmented by large inputs) stays bounded however
    long the batch.

    Calls may be submitted while one runs: they wait in the pipe, in order, and each starts
    when the one before is answered (:attr:`since`), so the worker goes on to the next input
    while the batch is busy storing the last. Calls that a stopped process never read (it
    timed out, crashed or restarted) are sent again to its successor.
    """

    def __init__(self, max_memory: int | None = None, max_private: int | None = None) -> None:
        self.max_memory = max_memory
        self.max_private = max_private
        self._process: Any = None
        self._conn: Connection | None = None
        # The calls not yet answered, oldest first: the pickled call while it waits in the
        # pipe (to send again if the process stops before reading it), None once it runs.
        self._sent: deque[bytes | None] = deque()
        self._sender: threading.Thread | None = None  # sending the calls behind the first
        #: When the oldest call not yet answered began to run (``time.monotonic()``).
        self.since: float | None = None

    def __enter__(self) -> Worker:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def _start(self) -> None:
        context = multiprocessing.get_context(_START_METHOD)
        parent_end, child_end = context.Pipe()
        inherited = parent_end if _START_METHOD == "fork" else None
        process = context.Process(
            target=_serve,
            args=(child_end, inherited, self.max_memory, self.max_private),
            daemon=True,
            name="provenance-worker",
        )
        if FORKS:
            # The child's collector would scan every object it inherits, writing into each
            # and so copying the page it sits on; frozen objects are never scanned. This
            # process unfreezes them once the child is started, so that its own cyclic
            # garbage is still collected however many workers a long batch starts.
            gc.collect(1)
            gc.freeze()
        try:
            process.start()
        finally:
            if FORKS:
                gc.unfreeze()
        child_end.close()
        self._process, self._conn = process, parent_end

    def _stop(self, kill: bool) -> int | None:
        process, conn = self._process, self._conn
        self._process, self._conn = None, None
        if conn is not None:
            conn.close()
        if process is None:
            return None
        if kill:
            process.kill()
        process.join(2)
        if process.is_alive():
            process.kill()
            process.join()
        if self._sender is not None:  # the process is gone: its pipe no longer blocks a send
            self._sender.join()
            self._sender = None
        return process.exitcode

    def close(self) -> None:
        """Stop the worker (it exits when its end of the pipe closes)."""
        self._stop(kill=False)

    @property
    def connection(self) -> Connection | None:
        """The pipe to wait on while a job runs (for :func:`multiprocessing.connection.wait`)."""
        return self._conn

    @property
    def pending(self) -> int:
        """How many calls are submitted and not yet collected."""
        return len(self._sent)

    def submit(self, fn: Callable[..., Any], *args: Any) -> None:
        """Send ``fn(*args)`` to the worker without waiting (collect it with :meth:`collect`);
        behind the calls not yet answered, if any."""
        message = bytes(ForkingPickler.dumps((fn, args)))
        if self._process is None:
            self._start()
        self._submit(message)

    def _submit(self, message: bytes) -> None:
        if not self._sent:
            self._sent.append(None)
            self.since = time.monotonic()
            self._send(message)
        else:
            self._sent.append(message)
            self._send_behind(message)

    def _send(self, message: bytes) -> None:
        assert self._conn is not None
        try:
            self._conn.send_bytes(message)
        except (OSError, EOFError):
            pass  # the worker is gone; collect() says how

    def _send_behind(self, message: bytes) -> None:
        """Send a call while the worker runs another: from a thread, since the pipe takes a
        large input only as fast as the worker reads it, and it reads it only once it has
        answered. The thread writes through its own copy of the pipe's descriptor, so the
        batch may close (and the system reuse) this one meanwhile."""
        assert self._conn is not None
        conn = Connection(os.dup(self._conn.fileno()))
        before = self._sender

        def send() -> None:
            with conn:
                if before is not None:
                    before.join()  # the calls reach the worker in the order submitted
                try:
                    conn.send_bytes(message)
                except OSError:
                    pass  # the worker stopped before reading it: it is sent again

        self._sender = threading.Thread(target=send, name="provenance-send", daemon=True)
        self._sender.start()

    def _answered(self, restarted: bool, finished: float | None = None) -> None:
        """The oldest call is answered. The next, if any, started when the worker answered
        (``finished``); or, when the process stopped (``restarted``) before reading the calls
        behind it, they go to a fresh one and start now."""
        self._sent.popleft()
        self.since = None
        if not self._sent:
            return
        if not restarted:
            self._sent[0] = None  # running: a copy of its input is no longer needed
            self.since = finished
            return
        waiting = [m for m in self._sent if m is not None]
        self._sent.clear()
        self._start()
        for message in waiting:
            self._submit(message)

    def timed_out(self, limit: float) -> LimitExceeded:
        """Kill the worker busy past its time; the error to report for that input."""
        self._stop(kill=True)
        self._answered(restarted=True)
        return LimitExceeded(f"took longer than the time limit of {limit:g} s")

    def collect(self) -> Any:
        """The outcome of the oldest call not yet collected; its ProvenanceErrors are raised
        here."""
        assert self._conn is not None
        try:
            kind, value, restart, finished = self._conn.recv()
        except (EOFError, OSError):
            code = self._stop(kill=True)
            self._answered(restarted=True)
            how = f"killed by signal {-code}" if code and code < 0 else f"exit status {code}"
            raise WorkerCrashed(f"the extraction process died ({how})") from None
        except Exception as exc:  # a result that cannot be unpickled here
            self._stop(kill=True)
            self._answered(restarted=True)
            raise ProvenanceError(f"internal error ({type(exc).__name__}): {exc}") from None
        if restart:
            self._stop(kill=False)
        self._answered(restart, finished)
        if kind == "ok":
            return value
        raise _rebuild(*value)

    def run(
        self, fn: Callable[..., Any], *args: Any, timeout: float, limit: float | None = None
    ) -> Any:
        """``fn(*args)`` in the worker; its ProvenanceErrors are raised here.

        Raises :class:`LimitExceeded` when it takes longer than ``timeout`` seconds (the worker
        is killed; ``limit`` is the configured limit the message names) and
        :class:`WorkerCrashed` when the worker dies.
        """
        limit = timeout if limit is None else limit
        if timeout <= 0:
            raise LimitExceeded(f"took longer than the time limit of {limit:g} s")
        self.submit(fn, *args)
        assert self._conn is not None
        try:
            ready = self._conn.poll(timeout)
        except (OSError, EOFError):
            ready = True  # the worker is gone; collect() says how
        if not ready:
            raise self.timed_out(limit)
        return self.collect()
