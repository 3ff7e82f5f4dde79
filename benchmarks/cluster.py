"""The same cables through the built-in pool and through a local Dask cluster, in the same run.

    .venv/bin/python benchmarks/cluster.py                      # 1,000 cables, 3 rounds
    .venv/bin/python benchmarks/cluster.py --limit 300 --rounds 3

Each round adds the first --limit cables of ../shared/corpus (written out as telegram text by
benchmarks/speed.py's preparation) into fresh databases, alternately with
`provenance add DIR --workers N` and with `provenance add DIR --cluster ADDR` on a scheduler
and N one-thread workers started as processes on 127.0.0.1 (provenance.cluster.local_processes;
started once before the rounds and warmed up by an add of a few cables). Prints wall seconds,
documents a second and the writer's CPU seconds (the `add` process alone: the cluster's
workers are other processes), medians of --rounds, and checks that the two databases hold
the same claims, attributions, quotes, citations and links.
Skips with a message when the corpus or the cluster extra is absent.
"""

from __future__ import annotations

import argparse
import os
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import speed  # benchmarks/speed.py: the corpus and its preparation

ROOT = Path(__file__).resolve().parent.parent
TABLES = ("claims", "attributions", "quotes", "citations", "claim_links")


def rows(db: Path) -> dict[str, list[tuple]]:
    """What must be identical: every row of the claim, link and citation tables."""
    conn = sqlite3.connect(db)
    try:
        return {t: conn.execute(f"SELECT * FROM {t} ORDER BY id").fetchall() for t in TABLES}
    finally:
        conn.close()


#: `provenance add`, writing its own CPU seconds (not its workers') to the file named by
#: $WRITER_CPU when it ends: the local pool's workers are its children, the cluster's are not.
ADD = (
    "import os, resource\n"
    "from provenance.cli import cli\n"
    "try:\n    cli()\nfinally:\n"
    "    u = resource.getrusage(resource.RUSAGE_SELF)\n"
    "    open(os.environ['WRITER_CPU'], 'w').write(str(u.ru_utime + u.ru_stime))\n"
)


def add(folder: Path, db: Path, *how: str) -> dict:
    """Wall seconds and the writer's CPU seconds of one `provenance add` into ``db``."""
    out = db.with_suffix(".cpu")
    # The folders hold links to the prepared cables, which add follows only when told to.
    cmd = [sys.executable, "-c", ADD, "add", str(folder), "--db", str(db), "--quiet",
           "--follow-links", *how]  # fmt: skip
    start = time.perf_counter()
    subprocess.run(
        cmd, check=True, stdout=subprocess.DEVNULL, env=dict(os.environ, WRITER_CPU=str(out))
    )
    seconds = time.perf_counter() - start
    return {"seconds": seconds, "writer_cpu": float(out.read_text())}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--limit", type=int, default=1000, help="cables")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--workers", type=int, default=2)
    args = parser.parse_args()
    corpus = speed.corpus_dir()
    if corpus is None:
        print("skipped: ../shared/corpus not found (set PROVENANCE_CORPUS)", file=sys.stderr)
        return 0
    try:
        import distributed  # noqa: F401
    except ImportError:
        print("skipped: needs the cluster extra (pip install -e '.[cluster]')", file=sys.stderr)
        return 0
    from provenance.cluster import local_processes

    cables = speed.prepare_cables(corpus)
    runs: dict[str, list[dict]] = {"pool": [], "dask": []}
    with tempfile.TemporaryDirectory(prefix="provenance-cluster-") as tmp:
        folder = Path(tmp) / "cables"
        folder.mkdir()
        for path in speed.files_of(cables)[: args.limit]:
            (folder / path.name).symlink_to(path)
        count = len(list(folder.iterdir()))
        with local_processes(Path(tmp) / "dask", workers=args.workers) as (address, _):
            # A cluster outlives batches: its workers' first input imports provenance and
            # loads the models (seconds), which a long-running cluster has done already.
            warm = Path(tmp) / "warm"
            warm.mkdir()
            for path in list(folder.iterdir())[: 2 * args.workers]:
                (warm / path.name).symlink_to(path.resolve())
            add(warm, Path(tmp) / "warm.db", "--cluster", address)
            for n in range(args.rounds):
                pool_db, dask_db = Path(tmp) / f"pool-{n}.db", Path(tmp) / f"dask-{n}.db"
                runs["pool"].append(add(folder, pool_db, "--workers", str(args.workers)))
                runs["dask"].append(add(folder, dask_db, "--cluster", address))
                same = rows(pool_db) == rows(dask_db)
                print(f"round {n + 1}: pool {runs['pool'][-1]['seconds']:.1f} s, dask "
                      f"{runs['dask'][-1]['seconds']:.1f} s, identical rows: {same}")  # fmt: skip
                if not same:
                    raise SystemExit("the cluster stored other rows than the pool")
                pool_db.unlink()
                dask_db.unlink()
    print(f"\n{count:,} cables, {args.workers} workers, medians of {args.rounds} rounds:")
    for name, label in (("pool", "built-in pool"), ("dask", "local Dask cluster")):
        seconds = statistics.median(r["seconds"] for r in runs[name])
        cpu = statistics.median(r["writer_cpu"] for r in runs[name])
        print(f"  {label:<20} {seconds:7.1f} s  {count / seconds:6.1f} docs/s"
              f"  writer CPU {cpu:6.1f} s ({count / cpu:5.0f} docs per writer CPU-second)")  # fmt: skip
    return 0


if __name__ == "__main__":
    sys.exit(main())
