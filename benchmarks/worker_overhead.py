"""What running extraction in a worker process costs, against running it in the batch's process.

    .venv/bin/python benchmarks/worker_overhead.py [--cables 300] [--pages 40] [--runs 5]

`provenance add` runs each input's extraction and analysis in a worker process, so that a
time limit can stop a parser stuck in C code and a crash costs one input. This measures what
that costs: the same inputs (corpus cables as telegram text, and real web pages) prepared
in-process and through the worker, interleaved, several runs; it prints the median time per
input of each and their ratio, and the round trip of one prepared input through the worker
(pickling there and back, two context switches): the cost the worker adds, measured apart from
the extraction whose time varies with the machine's load. Reads ``../shared/corpus`` (or ``$PROVENANCE_CORPUS``); skips
with a message when it is not there.
"""

from __future__ import annotations

import argparse
import gzip
import json
import os
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from provenance.archive import sha256_hex  # noqa: E402
from provenance.errors import ProvenanceError  # noqa: E402
from provenance.inputs import Fetched, Limits, file_hint  # noqa: E402
from provenance.pipeline import _prepare_in_worker, prepare  # noqa: E402
from provenance.worker import Worker  # noqa: E402


def corpus_folder() -> Path:
    return Path(os.environ.get("PROVENANCE_CORPUS") or ROOT.parent / "shared" / "corpus")


def inputs(corpus: Path, cables: int, pages: int) -> list[Fetched]:
    found = []
    with gzip.open(corpus / "cables" / "cables.jsonl.gz", "rt", encoding="utf-8") as lines:
        for line in lines:
            cable = json.loads(line)
            data = (cable["routing_header"] + "\n\n" + cable["body"]).encode("utf-8")
            found.append(Fetched(f"{cable['reference_id']}.txt", data, file_hint("c.txt"), "-"))
            if len(found) >= cables:
                break
    for path in sorted((corpus / "html" / "trafilatura" / "pages").glob("*.html"))[:pages]:
        found.append(Fetched(path.name, path.read_bytes(), file_hint(path.name), "-"))
    return found


def inline(batch: list[Fetched], limits: Limits) -> float:
    started = time.perf_counter()
    for fetched in batch:
        try:
            prepare(fetched, sha256_hex(fetched.data), limits)
        except ProvenanceError:
            pass
    return time.perf_counter() - started


def in_worker(batch: list[Fetched], limits: Limits) -> float:
    with Worker(limits.max_memory) as worker:
        started = time.perf_counter()
        for fetched in batch:
            try:
                worker.run(
                    _prepare_in_worker, fetched, sha256_hex(fetched.data), limits, timeout=60
                )
            except ProvenanceError:
                pass
        return time.perf_counter() - started


def _echo(value: object) -> object:
    return value


def round_trip(batch: list[Fetched], limits: Limits, count: int = 300) -> list[float]:
    """Seconds to send one prepared input to the worker and get it back, ``count`` times."""
    prepared = None
    for fetched in batch:
        try:
            prepared = prepare(fetched, sha256_hex(fetched.data), limits)
            break
        except ProvenanceError:
            continue
    times = []
    with Worker(limits.max_memory) as worker:
        worker.run(_echo, prepared, timeout=60)
        for _ in range(count):
            started = time.perf_counter()
            worker.run(_echo, prepared, timeout=60)
            times.append(time.perf_counter() - started)
    return times


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--cables", type=int, default=300)
    parser.add_argument("--pages", type=int, default=40)
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()
    corpus = corpus_folder()
    if not (corpus / "cables" / "cables.jsonl.gz").exists():
        print(f"skipped: the corpus is not at {corpus} (set PROVENANCE_CORPUS)")
        return 0
    batch = inputs(corpus, args.cables, args.pages)
    limits = Limits()
    inline(batch[:20], limits)  # warm imports and caches
    times: dict[str, list[float]] = {"in-process": [], "worker": []}
    for run in range(args.runs):
        order = [("in-process", inline), ("worker", in_worker)]
        for name, fn in order if run % 2 == 0 else reversed(order):
            times[name].append(fn(batch, limits) / len(batch))
    base = statistics.median(times["in-process"])
    worker = statistics.median(times["worker"])
    print(f"{len(batch)} inputs ({args.cables} cables, {args.pages} web pages), {args.runs} runs")
    for name, values in times.items():
        runs = ", ".join(f"{v * 1000:.2f}" for v in values)
        print(f"{name:>10}: median {statistics.median(values) * 1000:.2f} ms per input ({runs})")
    trips = round_trip(batch, limits)
    paired = [w / i for w, i in zip(times["worker"], times["in-process"], strict=True)]
    print(
        f"worker / in-process: {worker / base:.2f}x of the medians "
        f"({(worker - base) * 1000:+.2f} ms per input); median of the runs' ratios "
        f"{statistics.median(paired):.2f}x"
    )
    print(
        f"round trip of one prepared input through the worker: median "
        f"{statistics.median(trips) * 1000:.2f} ms ({statistics.median(trips) / base:.1%} of an "
        "input's in-process time)"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
