"""Memory of `provenance add` over a run: sampled, per process, against documents done.

    .venv/bin/python benchmarks/memory.py --limit 2000 --workers 1,2
    .venv/bin/python benchmarks/memory.py --limit 4000 --workers 2 --interval 10
    .venv/bin/python benchmarks/memory.py --corpus cables --limit 2000

Runs `provenance add FILES --workers N --quiet` into a fresh database (the first --limit files
of benchmarks/out/html-10000, or of benchmarks/out/cables, prepared by benchmarks/speed.py) and
every --interval seconds reads the proportional set size (PSS, /proc/PID/smaps_rollup: a page
shared by k processes counts 1/k in each, so the sum over processes counts it once; the
resident set where smaps_rollup is missing) of the add process and of each of its children,
and the number of sources stored so far (the database is read alongside the writer). Prints
one line per sample, then the peak and the slope: MB per 1,000 documents, a least-squares fit
over the samples of the second half of the run (by documents done), so that the warm-up
(models loading, caches filling) does not count. A flat run has a slope near 0.
"""

from __future__ import annotations

import argparse
import json
import os
import sqlite3
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
OUT = ROOT / "benchmarks" / "out"
PROVENANCE = [sys.executable, "-c", 'import provenance.cli as c; getattr(c, "main", c.cli)()']
PAGE = os.sysconf("SC_PAGE_SIZE")


def _children() -> dict[int, list[int]]:
    """Parent pid → child pids, from /proc."""
    children: dict[int, list[int]] = {}
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/stat", "rb") as fh:
                parent = int(fh.read().rsplit(b")", 1)[1].split()[1])
        except (OSError, IndexError, ValueError):
            continue
        children.setdefault(parent, []).append(int(entry))
    return children


def process_tree(root: int) -> list[int]:
    """A process and all its descendants, the root first."""
    children = _children()
    tree, todo = [], [root]
    while todo:
        pid = todo.pop(0)
        tree.append(pid)
        todo += sorted(children.get(pid, []))
    return tree


def process_memory(pid: int) -> tuple[int, int] | None:
    """(PSS, RSS) bytes of one process; PSS is the RSS where smaps_rollup is missing."""
    rss = pss = None
    try:
        with open(f"/proc/{pid}/smaps_rollup") as fh:
            for line in fh:
                name, _, rest = line.partition(":")
                if name == "Rss":
                    rss = int(rest.split()[0]) * 1024
                elif name == "Pss":
                    pss = int(rest.split()[0]) * 1024
    except OSError:
        pass
    if rss is None:
        try:
            with open(f"/proc/{pid}/statm") as fh:
                rss = int(fh.read().split()[1]) * PAGE
        except (OSError, IndexError, ValueError):
            return None
    if not rss:
        return None  # exited (a zombie holds no memory)
    return (pss if pss is not None else rss), rss


def tree_rss(root: int) -> int:
    """Resident bytes of a process and its descendants, summed (cheap enough to sample often:
    statm, not smaps_rollup; shared pages count once per process)."""
    total = 0
    for pid in process_tree(root):
        try:
            with open(f"/proc/{pid}/statm") as fh:
                total += int(fh.read().split()[1]) * PAGE
        except (OSError, IndexError, ValueError):
            continue
    return total


def _sources(db: Path) -> int | None:
    return _count(db, "sources")


def _count(db: Path, table: str) -> int | None:
    if not db.exists():
        return None
    try:
        conn = sqlite3.connect(f"file:{db}?mode=ro", uri=True, timeout=1)
        try:
            return conn.execute(f"SELECT count(*) FROM {table}").fetchone()[0]
        finally:
            conn.close()
    except sqlite3.Error:
        return None  # not created yet, or busy: the next sample will tell


def slope(samples: list[dict]) -> float | None:
    """MB per 1,000 documents: least squares over the second half of the run (by documents)."""
    points = [(s["docs"], s["mb"]) for s in samples if s["docs"] is not None]
    if not points:
        return None
    half = points[-1][0] / 2
    points = [p for p in points if p[0] >= half]
    if len(points) < 2 or points[-1][0] == points[0][0]:
        return None
    n = len(points)
    mx = sum(x for x, _ in points) / n
    my = sum(y for _, y in points) / n
    sxx = sum((x - mx) ** 2 for x, _ in points)
    if not sxx:
        return None
    return sum((x - mx) * (y - my) for x, y in points) / sxx * 1000


def measure(paths: list[Path], workers: int, interval: float, echo: bool = True) -> dict:
    """Run one add of ``paths`` with ``workers`` workers; samples, peak and slope."""
    with tempfile.TemporaryDirectory(prefix="provenance-memory-") as tmp:
        db = Path(tmp) / "memory.db"
        cmd = [*PROVENANCE, "add", *map(str, paths), "--db", str(db), "--quiet"]
        cmd += ["--workers", str(workers)]
        started = time.perf_counter()
        errors = open(Path(tmp) / "stderr.txt", "w+")  # a pipe could fill and stall the add
        proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=errors)
        samples: list[dict] = []
        if echo:
            print(f"\n{len(paths):,} files, --workers {workers}: every {interval:g} s, MB PSS")
            print(f"{'s':>7}{'docs':>8}{'total':>8}{'writer':>8}  workers")
        try:
            _sample(proc, db, interval, samples, echo)
        finally:
            if proc.poll() is None:  # interrupted: do not leave the add running
                proc.kill()
        code = proc.wait()
        errors.seek(0)
        stderr = errors.read()
        errors.close()
        seconds = time.perf_counter() - started
        docs = _sources(db)
        failures = _count(db, "failures")
    result = {
        "files": len(paths),
        "workers": workers,
        "seconds": seconds,
        "exit": code,
        "docs": docs,
        "failures": failures,
        "worker_processes": len({pid for s in samples for pid in s["worker_pids"]}),
        "peak_mb": max((s["mb"] for s in samples), default=None),
        "peak_rss_mb": max((s["rss_mb"] for s in samples), default=None),
        "slope_mb_per_1000": slope(samples),
        "samples": samples,
    }
    if code and stderr.strip():
        result["stderr_tail"] = stderr.strip().splitlines()[-1]
    return result


def _sample(
    proc: subprocess.Popen, db: Path, interval: float, samples: list[dict], echo: bool
) -> None:
    started = time.perf_counter()
    while True:
        try:
            proc.wait(timeout=interval)  # returns at once when the add ends: its time is exact
            return
        except subprocess.TimeoutExpired:
            pass
        tree = [(pid, process_memory(pid)) for pid in process_tree(proc.pid)]
        tree = [(pid, m) for pid, m in tree if m is not None]
        if not tree or tree[0][0] != proc.pid:
            break
        sample = {
            "s": time.perf_counter() - started,
            "docs": _sources(db),
            "mb": sum(m[0] for _, m in tree) / 1e6,
            "rss_mb": sum(m[1] for _, m in tree) / 1e6,
            "writer_mb": tree[0][1][0] / 1e6,
            "workers_mb": [m[0] / 1e6 for _, m in tree[1:]],
            "worker_pids": [pid for pid, _ in tree[1:]],
        }
        samples.append(sample)
        if echo:
            docs = "-" if sample["docs"] is None else f"{sample['docs']:,}"
            each = " ".join(f"{mb:.0f}" for mb in sample["workers_mb"])
            print(f"{sample['s']:>7.0f}{docs:>8}{sample['mb']:>8.0f}"
                  f"{sample['writer_mb']:>8.0f}  {each}", flush=True)  # fmt: skip


def summary(r: dict) -> str:
    peak = "n/a" if r["peak_mb"] is None else f"{r['peak_mb']:.0f} MB"
    rate = r["slope_mb_per_1000"]
    trend = "n/a (too few samples)" if rate is None else f"{rate:+.1f} MB per 1,000 documents"
    return (f"{r['files']:,} files, --workers {r['workers']}: {r['docs'] or 0:,} documents in "
            f"{r['seconds']:.0f} s ({r['failures'] or 0} failed, {r['worker_processes']} worker "
            f"processes), peak {peak} PSS (resident sets summed "
            f"{r['peak_rss_mb'] or 0:.0f} MB), second-half slope {trend}")  # fmt: skip


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--corpus", choices=("html", "cables"), default="html")
    parser.add_argument("--folder", type=Path, help="another folder of inputs")
    parser.add_argument("--limit", type=int, default=0, help="first N files (default: all)")
    parser.add_argument("--workers", default="1,2", help="worker counts, comma-separated")
    parser.add_argument("--interval", type=float, default=5.0, help="seconds between samples")
    parser.add_argument("--json", metavar="FILE", help="also write the samples as JSON")
    args = parser.parse_args()

    folder = args.folder or OUT / ("html-10000" if args.corpus == "html" else "cables")
    if not folder.is_dir():
        print(f"skipped: {folder} not found (benchmarks/speed.py prepares it)", file=sys.stderr)
        return 0
    paths = sorted(p for p in folder.iterdir() if p.is_file() and not p.name.startswith("."))
    if args.limit:
        paths = paths[: args.limit]
    results = [measure(paths, int(w), args.interval) for w in args.workers.split(",")]
    print()
    for r in results:
        print(summary(r))
    if args.json:
        Path(args.json).write_text(json.dumps(results, indent=2))
    return 0 if all(r["exit"] == 0 for r in results) else 1


if __name__ == "__main__":
    sys.exit(main())
