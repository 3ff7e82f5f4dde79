"""The writer on template text: adding a text whose paragraphs all repeat one sentence.

A text of N paragraphs, each the same sentence followed by twelve words drawn from a
vocabulary of twenty (seeded, so every run writes the same bytes), is added to an archive
that already holds another such text. Every claim then shares band keys with thousands of
stored claims; linking runs in the single writer, outside the per-input time limit, so its
cost on such input is what this measures: wall seconds, CPU seconds (the process and its
workers) and the largest resident set of the process tree's members, medians of --rounds.

    .venv/bin/python benchmarks/template_text.py --paragraphs 2000 --rounds 3
    .venv/bin/python benchmarks/template_text.py --baseline /tmp/provenance-base   # old and new

With --baseline DIR (a source tree of an earlier version, e.g. from `git archive`) each round
runs DIR's code (on PYTHONPATH) and this tree's code alternately, in fresh processes.
"""

from __future__ import annotations

import argparse
import os
import random
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SENTENCE = "Police said 12 officers were injured in the clashes on Tuesday. "
WORDS = (
    "alpha beta gamma delta epsilon zeta eta theta iota kappa lambda mu nu xi omicron pi rho"
    " sigma tau upsilon"
).split()


def write_texts(folder: Path, paragraphs: int) -> tuple[Path, Path]:
    rng = random.Random(1)
    paths = []
    for name in ("first", "second"):
        body = "\n\n".join(
            SENTENCE + " ".join(rng.choice(WORDS) for _ in range(12)) + f" {name}{i}."
            for i in range(paragraphs)
        )
        path = folder / f"{name}.txt"
        path.write_text(f"Template text written by benchmarks/template_text.py\n\n{body}\n")
        paths.append(path)
    return paths[0], paths[1]


def run(tree: Path, args: list[str], cwd: str) -> tuple[float, float, int]:
    """Wall seconds, CPU seconds (with children) and the largest RSS (KiB) of one command."""
    env = dict(os.environ, PYTHONPATH=str(tree))
    started = time.perf_counter()
    proc = subprocess.Popen(
        [sys.executable, "-m", "provenance", *args],
        env=env,
        cwd=cwd,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    _, status, usage = os.wait4(proc.pid, 0)
    wall = time.perf_counter() - started
    if os.waitstatus_to_exitcode(status) != 0:
        raise SystemExit(f"add failed: {proc.stderr.read().decode()[-500:]}")
    return wall, usage.ru_utime + usage.ru_stime, usage.ru_maxrss


def measure(tree: Path, first: Path, second: Path, folder: Path) -> tuple[float, float, int]:
    db = folder / f"archive-{time.monotonic_ns()}.db"
    run(tree, ["add", "-q", "--workers", "1", "--db", str(db), str(first)], str(folder))
    result = run(tree, ["add", "-q", "--workers", "1", "--db", str(db), str(second)], str(folder))
    for suffix in ("", "-wal", "-shm"):
        Path(f"{db}{suffix}").unlink(missing_ok=True)
    return result


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--paragraphs", type=int, default=2000)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--baseline", type=Path, help="an earlier source tree to run alongside")
    args = parser.parse_args()
    trees = {"this tree": ROOT}
    if args.baseline:
        trees = {"baseline": args.baseline.resolve(), "this tree": ROOT}
    results: dict[str, list[tuple[float, float, int]]] = {name: [] for name in trees}
    with tempfile.TemporaryDirectory(prefix="provenance-template-") as tmp:
        folder = Path(tmp)
        first, second = write_texts(folder, args.paragraphs)
        for _ in range(args.rounds):
            for name, tree in trees.items():
                results[name].append(measure(tree, first, second, folder))
    print(
        f"add of a {args.paragraphs:,}-paragraph template text to an archive holding another,"
        f" medians of {args.rounds} rounds:"
    )
    for name, rows in results.items():
        wall = statistics.median(r[0] for r in rows)
        cpu = statistics.median(r[1] for r in rows)
        rss = statistics.median(r[2] for r in rows) / 1024
        print(f"  {name:10s}  wall {wall:6.1f} s  CPU {cpu:6.1f} s  largest RSS {rss:6.0f} MB")
    return 0


if __name__ == "__main__":
    sys.exit(main())
