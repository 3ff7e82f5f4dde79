"""`provenance add --accurate` against the default on the same cables, in the same rounds.

    .venv/bin/python benchmarks/accurate_add.py                  # 300 cables, 2 rounds, 1 worker
    .venv/bin/python benchmarks/accurate_add.py --limit 100 --rounds 3

Each round adds the first --limit cables of ../shared/corpus (written out as telegram text by
benchmarks/speed.py's preparation) into two fresh databases, one with `provenance add DIR
--workers N` and one with `--accurate` added, alternately. Prints wall seconds (median of
--rounds), the ratio, and what was stored: claims, their model versions, and how many of the
sentences each mode kept as claims. Skips with a message when the corpus or the accurate extra
is absent.
"""

from __future__ import annotations

import argparse
import sqlite3
import statistics
import sys
import tempfile
from pathlib import Path

import speed  # benchmarks/speed.py: the corpus and its preparation
from cluster import add  # one `provenance add` in its own process: wall and writer CPU


def stored(db: Path) -> dict:
    conn = sqlite3.connect(db)
    try:
        versions = dict(conn.execute("SELECT model_version, count(*) FROM claims GROUP BY 1"))
        sources = conn.execute("SELECT count(*) FROM sources").fetchone()[0]
    finally:
        conn.close()
    return {"sources": sources, "claims": sum(versions.values()), "versions": versions}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--limit", type=int, default=300, help="cables")
    parser.add_argument("--rounds", type=int, default=2)
    parser.add_argument("--workers", type=int, default=1)
    args = parser.parse_args()
    corpus = speed.corpus_dir()
    if corpus is None:
        print("skipped: ../shared/corpus not found (set PROVENANCE_CORPUS)", file=sys.stderr)
        return 0
    from provenance import semantic

    if not semantic.available():
        print(f"skipped: needs the accurate extra ({semantic.INSTALL_HINT})", file=sys.stderr)
        return 0
    cables = speed.prepare_cables(corpus)
    runs: dict[str, list[float]] = {"default": [], "accurate": []}
    found: dict[str, dict] = {}
    with tempfile.TemporaryDirectory(prefix="provenance-accurate-") as tmp:
        folder = Path(tmp) / "cables"
        folder.mkdir()
        for path in speed.files_of(cables)[: args.limit]:
            (folder / path.name).symlink_to(path)
        flags = {"default": (), "accurate": ("--accurate",)}
        for n in range(args.rounds):
            for mode, extra in flags.items():
                db = Path(tmp) / f"{mode}-{n}.db"
                runs[mode].append(
                    add(folder, db, "--workers", str(args.workers), *extra)["seconds"]
                )
                found[mode] = stored(db)
                db.unlink()
            print(f"round {n + 1}: default {runs['default'][-1]:.1f} s,"
                  f" accurate {runs['accurate'][-1]:.1f} s")  # fmt: skip
    default, accurate = (statistics.median(runs[m]) for m in ("default", "accurate"))
    print(f"\n{found['default']['sources']:,} cables, {args.workers} worker(s), medians of"
          f" {args.rounds} rounds: default {default:.1f} s, accurate {accurate:.1f} s"
          f" ({accurate / default:.2f}x)")  # fmt: skip
    for mode in ("default", "accurate"):
        print(f"  {mode:<9} {found[mode]['claims']:,} claims, model versions"
              f" {found[mode]['versions']}")  # fmt: skip
    return 0


if __name__ == "__main__":
    sys.exit(main())
