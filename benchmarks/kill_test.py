"""Kill test: SIGKILL a `provenance add` of a few thousand documents at random moments.

    .venv/bin/python benchmarks/kill_test.py [--docs 3000] [--rounds 10] [--seed 7]

Reads diplomatic cables from the shared corpus (``../shared/corpus`` from the project root,
or ``$PROVENANCE_CORPUS``) and writes each one as telegram text into a temporary folder.
A clean add of the folder is timed first: it is the baseline, and the documents it stores
(or records as failed) are what every round must end with. Then, round after round, each on
a fresh database:

1. ``provenance add FOLDER`` is started and killed with SIGKILL at a random moment within
   the baseline's duration;
2. ``provenance verify`` must pass on what is left;
3. the same add is run again: it must complete, storing every document the baseline stored
   and recording the same failures, with no document stored twice;
4. ``provenance verify`` must pass again.

Prints one line per round and a summary; exits 1 if any round fails. Skips (exit 0) with a
message when the corpus is not there. Nothing is written inside the project.
"""

from __future__ import annotations

import argparse
import gzip
import json
import os
import random
import signal
import sqlite3
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
CLI = [sys.executable, "-c", 'import provenance.cli as c; getattr(c, "main", c.cli)()']


def corpus_folder() -> Path:
    return Path(os.environ.get("PROVENANCE_CORPUS") or ROOT.parent / "shared" / "corpus")


def write_cables(source: Path, folder: Path, count: int) -> int:
    """Write up to ``count`` cables as telegram text files; return how many were written."""
    written = 0
    with gzip.open(source, "rt", encoding="utf-8") as lines:
        for line in lines:
            cable = json.loads(line)
            name = "".join(c for c in cable["reference_id"] if c.isalnum()) or f"cable{written}"
            text = cable.get("routing_header", "") + "\n\n" + cable.get("body", "")
            (folder / f"{written:05d}-{name}.txt").write_text(text, encoding="utf-8")
            written += 1
            if written >= count:
                break
    return written


def state(db: Path) -> dict:
    """What a database holds: stored inputs, failed inputs, and duplicates (none allowed)."""
    conn = sqlite3.connect(db, timeout=60)
    try:
        stored = [r[0] for r in conn.execute("SELECT input FROM sources WHERE parent_id IS NULL")]
        failed = {r[0] for r in conn.execute("SELECT input FROM failures")}
        return {
            "stored": set(stored),
            "duplicates": len(stored) - len(set(stored)),
            "failed": failed,
        }
    finally:
        conn.close()


def verify(db: Path) -> tuple[bool, str]:
    completed = subprocess.run(
        [*CLI, "verify", "--db", str(db), "--json"], capture_output=True, text=True
    )
    try:
        report = json.loads(completed.stdout)
    except ValueError:
        return False, completed.stderr.strip()[-300:]
    problems = "; ".join(p["message"] for p in report["problems"][:3])
    return completed.returncode == 0 and report["ok"], problems


def add(folder: Path, db: Path) -> subprocess.Popen:
    return subprocess.Popen(
        [*CLI, "add", str(folder), "--db", str(db)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--docs", type=int, default=3000, help="documents in the batch")
    parser.add_argument("--rounds", type=int, default=10, help="kills in a row")
    parser.add_argument("--seed", type=int, default=7, help="seed of the kill moments")
    args = parser.parse_args()

    cables = corpus_folder() / "cables" / "cables.jsonl.gz"
    if not cables.exists():
        print(f"skipped: the corpus is not at {cables} (set PROVENANCE_CORPUS)")
        return 0
    rng = random.Random(args.seed)
    with tempfile.TemporaryDirectory(prefix="provenance-kill-") as work:
        folder = Path(work, "inbox")
        folder.mkdir()
        docs = write_cables(cables, folder, args.docs)
        print(f"{docs} cables from {cables}")

        baseline_db = Path(work, "baseline.db")
        started = time.monotonic()
        code = add(folder, baseline_db).wait()
        duration = time.monotonic() - started
        baseline = state(baseline_db)
        ok, problems = verify(baseline_db)
        print(
            f"baseline: {duration:.1f} s, {len(baseline['stored'])} stored, "
            f"{len(baseline['failed'])} failed, exit {code}, verify {'ok' if ok else problems}"
        )
        if not ok:
            return 1

        failures = 0
        for number in range(1, args.rounds + 1):
            db = Path(work, f"round-{number}.db")
            for attempt in range(3):
                for path in db.parent.glob(db.name + "*"):
                    path.unlink()
                moment = rng.uniform(0.02, 0.95) * duration / 2**attempt
                process = add(folder, db)
                time.sleep(moment)
                if process.poll() is None:
                    break
                process.wait()  # finished before the kill: try an earlier moment
            process.send_signal(signal.SIGKILL)
            process.wait()
            killed = state(db) if db.exists() else {"stored": set(), "failed": set()}
            after_kill, kill_problems = verify(db) if db.exists() else (True, "")
            rerun = add(folder, db).wait()
            done = state(db)
            complete = (
                done["stored"] == baseline["stored"]
                and done["failed"] == baseline["failed"]
                and done["duplicates"] == 0
            )
            after_rerun, rerun_problems = verify(db)
            passed = after_kill and complete and after_rerun
            failures += not passed
            print(
                f"round {number:2d}: killed at {moment:5.1f} s with {len(killed['stored']):5d} "
                f"stored; verify {'ok' if after_kill else 'FAILED ' + kill_problems}; "
                f"re-run exit {rerun}, {'complete' if complete else 'INCOMPLETE'} "
                f"({len(done['stored'])} stored, {len(done['failed'])} failed); "
                f"verify {'ok' if after_rerun else 'FAILED ' + rerun_problems}"
            )
        print(
            f"{args.rounds - failures}/{args.rounds} rounds passed: verify after SIGKILL, "
            "completion on re-run, verify after re-run"
        )
        return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
