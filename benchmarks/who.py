"""`who` as a ranked search: claims restated in other words, and the speed of a query at scale.

One command (from the project root):

    .venv/bin/python benchmarks/who.py                 # build once (minutes), then measure
    .venv/bin/python benchmarks/who.py --only quality  # the restated claims only
    .venv/bin/python benchmarks/who.py --only latency --runs 5

Reads the real corpus at ``../shared/corpus`` (or ``$PROVENANCE_CORPUS``) and skips with a
message when it is absent. Sections:

``quality``
    ``benchmarks/who_restated.json`` holds claims restated in other words, written for this
    project from sentences of the corpus's cables and of the WikiLeaks pages citing them, each
    with the sources that must come back (cable reference ids, or the file name of an article)
    and where the original sentence is. The set is split ``dev`` (tuned on) and ``test`` (not
    looked at while tuning); both are reported. The database holds every cable of
    ``cables.jsonl.gz`` (written out as WikiLeaks-style pages, as ``benchmarks/linking.py``
    writes them) and the 19 articles, added with the library (linking off: ``who`` reads only
    claims and the full-text index). It is built once into ``benchmarks/out/`` and reused
    until the tool version changes. For each restated claim: recall@5 (the share of its
    target sources among the sources of the first five works) and the reciprocal rank of the
    first target, for the ranked ``who`` and for the full-text-only ranking (the BM25 order
    of the same candidate query, one entry per source) from the same run.
``latency``
    ``who`` on the million-claim database that ``benchmarks/pages.py`` builds (the 125 Tripoli
    cable pages and the 19 articles, copied until there are a million claims; built once into
    ``benchmarks/out/pages1000000v<version>.db``, which ``benchmarks/speed.py --only scale``
    reuses): each restated claim of the set and single words, ``--runs`` rounds; median and
    p90 in milliseconds.
"""

from __future__ import annotations

import argparse
import json
import os
import sqlite3
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "benchmarks"))

from provenance import __version__, search  # noqa: E402

DEFAULT_WEIGHT = search.RESCORER_WEIGHT

OUT = ROOT / "benchmarks" / "out"
SET = ROOT / "benchmarks" / "who_restated.json"
VERSION = __version__.replace(".", "_")


def corpus_dir() -> Path | None:
    path = Path(os.environ.get("PROVENANCE_CORPUS") or ROOT.parent / "shared" / "corpus")
    return path if (path / "cables" / "cables.jsonl.gz").exists() else None


# --- the database of the cables ------------------------------------------------------------


def cables_db(corpus: Path, workers: int) -> Path:
    """Every cable and the 19 articles, added once (linking off) into benchmarks/out/."""
    import linking as harness  # benchmarks/linking.py: writes the cables out as pages

    path = OUT / f"who-cables-v{VERSION}.db"
    if path.exists():
        return path
    pages_dir = OUT / "cables-html"
    if not pages_dir.exists():
        harness.write_cables(corpus, pages_dir, "html")
    inputs = sorted(str(p) for p in pages_dir.iterdir())
    inputs += sorted(str(p) for p in (corpus / "cables" / "articles_citing_cables").glob("*.html"))
    building = path.with_suffix(".building")
    for stale in OUT.glob(building.name + "*"):
        stale.unlink()
    from provenance import pipeline
    from provenance.db import open_db

    started = time.perf_counter()
    db = open_db(building)
    counts: dict[str, int] = {}
    with harness.linking_off():
        for result in pipeline.add(db, inputs, workers=workers):
            counts[result.status] = counts.get(result.status, 0) + 1
    db.conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    db.conn.close()
    building.rename(path)
    print(f"built {path.name}: {counts} in {time.perf_counter() - started:.0f} s", file=sys.stderr)
    return path


# --- quality --------------------------------------------------------------------------------


def _source_keys(conn: sqlite3.Connection) -> dict[int, str]:
    """Each source's key in the set: its cable reference id, or ``article:<file name>``."""
    keys = {}
    for source_id, reference_id, input_name in conn.execute(
        "SELECT id, reference_id, input FROM sources"
    ):
        keys[source_id] = reference_id or f"article:{Path(input_name or '').name}"
    return keys


def _measure(ranked: list[list[str]], targets: set[str]) -> tuple[float, float]:
    """recall@5 and reciprocal rank of one ranking (a list of the source keys at each rank)."""
    top = {key for keys in ranked[:5] for key in keys}
    recall = len(targets & top) / len(targets)
    rank = next((i for i, keys in enumerate(ranked, 1) if targets & set(keys)), None)
    return recall, (1 / rank if rank else 0.0)


def _squash(text: str) -> str:
    return " ".join(text.replace("\u2019", "'").split()).casefold()


def _stored_as_claim(conn: sqlite3.Connection, source_id: int | None, item: dict) -> bool:
    """Whether the original sentence of an item is (inside) a stored claim: the claim
    detector stores check-worthy sentences only, and `who` searches claims."""
    starts = _squash(item["original"]["starts"])
    return any(
        starts in _squash(text)
        for (text,) in conn.execute("SELECT text FROM claims WHERE source_id = ?", (source_id,))
    )


def run_quality(db_path: Path, verbose: bool, rescorer=None, weights=()) -> dict:
    conn = sqlite3.connect(db_path)
    keys = _source_keys(conn)
    items = json.loads(SET.read_text(encoding="utf-8"))["items"]
    missing = sorted({t for item in items for t in item["targets"]} - set(keys.values()))
    if missing:
        print(f"targets not in the database: {missing}", file=sys.stderr)
    scores: dict[str, dict[str, list[tuple[float, float]]]] = {}
    ids = {key: source_id for source_id, key in keys.items()}
    unstored = []
    timings: list[float] = []
    cpu: list[float] = []
    for item in items:
        targets = set(item["targets"])
        if not _stored_as_claim(conn, ids.get(item["original"]["source"]), item):
            unstored.append(item["id"])
        started, started_cpu = time.perf_counter(), time.process_time()
        results = search.who(conn, item["restated"], limit=20)
        timings.append(time.perf_counter() - started)
        cpu.append(time.process_time() - started_cpu)
        ranked = [[keys[r["source_id"]] for r in w["renditions"]] for w in results]
        claim_ids = search.fulltext_ranking(conn, item["restated"])
        sources = conn.execute(
            f"SELECT id, source_id FROM claims WHERE id IN ({','.join('?' * len(claim_ids))})",
            claim_ids,
        ).fetchall()
        source_of = dict(sources)
        fulltext = list(dict.fromkeys(source_of[c] for c in claim_ids if c in source_of))
        measured = {
            "who": _measure(ranked, targets),
            "fulltext": _measure([[keys[s]] for s in fulltext], targets),
        }
        for weight in weights if rescorer is not None else ():
            search.RESCORER_WEIGHT = weight
            found = search.who(conn, item["restated"], limit=20, rescorer=rescorer)
            accurate = [[keys[r["source_id"]] for r in w["renditions"]] for w in found]
            measured[f"accurate {weight}"] = _measure(accurate, targets)
        search.RESCORER_WEIGHT = DEFAULT_WEIGHT
        names = [item["split"]]
        if item["id"] not in unstored:
            names.append(f"{item['split']}*")  # only those whose original is a stored claim
        for name in names:
            split = scores.setdefault(name, {})
            for ranking, value in measured.items():
                split.setdefault(ranking, []).append(value)
        if verbose and split["who"][-1][1] < 1:
            print(f"\n{item['id']} ({item['split']}) rr={split['who'][-1][1]:.2f}"
                  f" fulltext rr={split['fulltext'][-1][1]:.2f}: {item['restated']}")  # fmt: skip
            print(f"  wanted {sorted(targets)}")
            for w in results[:5]:
                print(f"  {w['rank']}. {w['relation']} {w['score']:.3f} {ranked[w['rank'] - 1]}"
                      f" {w['published'] or ''} | {w['text'][:150]}")  # fmt: skip
    conn.close()
    timings.sort()
    report = {
        "sources": len(keys),
        "claims": None,
        "splits": {},
        "not_a_claim": unstored,
        "median_ms": round(1000 * statistics.median(timings), 1),
        "p90_ms": round(1000 * timings[int(0.9 * len(timings))], 1),
        "cpu_median_ms": round(1000 * statistics.median(cpu), 1),
    }
    with sqlite3.connect(db_path) as c:
        report["claims"] = c.execute("SELECT count(*) FROM claims").fetchone()[0]
    for split, by in sorted(scores.items()):
        report["splits"][split] = {
            "claims": len(by["who"]),
            **{
                name: {
                    "recall_at_5": round(statistics.mean(r for r, _ in values), 3),
                    "mrr": round(statistics.mean(rr for _, rr in values), 3),
                }
                for name, values in by.items()
            },
        }
    return report


# --- latency -------------------------------------------------------------------------------


def million_db(corpus: Path, claims: int) -> Path:
    import pages  # benchmarks/pages.py: the builder of the million-claim database

    path = OUT / f"pages{claims}v{VERSION}.db"
    if not path.exists():
        pages.build(path, corpus, claims)
    return path


def run_latency(path: Path, runs: int, migrate: bool = True) -> dict:
    from provenance.db import open_db

    if migrate:  # as every command does (--as-built: read a database built before a migration)
        open_db(path).conn.close()
    conn = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
    items = json.loads(SET.read_text(encoding="utf-8"))["items"]
    queries = [item["restated"] for item in items] + SINGLE_WORDS
    for text in queries:  # warm the page cache
        search.who(conn, text)
    timings: list[float] = []
    cpu: list[float] = []  # this process's CPU time: what the query costs on a busy machine
    for _ in range(runs):
        for text in queries:
            started, started_cpu = time.perf_counter(), time.process_time()
            search.who(conn, text)
            timings.append(time.perf_counter() - started)
            cpu.append(time.process_time() - started_cpu)
    claims = conn.execute("SELECT count(*) FROM claims").fetchone()[0]
    distinct = conn.execute("SELECT count(DISTINCT norm_key) FROM claims").fetchone()[0]
    conn.close()
    timings.sort()
    cpu.sort()
    return {
        "load_average": round(os.getloadavg()[0], 1),
        "cpu_median_ms": round(1000 * statistics.median(cpu), 1),
        "cpu_p90_ms": round(1000 * cpu[int(0.9 * len(cpu))], 1),
        "claims": claims,
        "distinct": distinct,
        "queries": len(queries),
        "runs": runs,
        "median_ms": round(1000 * statistics.median(timings), 1),
        "p90_ms": round(1000 * timings[int(0.9 * len(timings))], 1),
        "max_ms": round(1000 * timings[-1], 1),
    }


SINGLE_WORDS = ["Derna", "Qadhafi", "Benghazi", "oil", "embassy"]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--only", nargs="*", default=["quality", "latency"],
                        choices=["quality", "latency"])  # fmt: skip
    parser.add_argument("--runs", type=int, default=5, help="latency: timed rounds")
    parser.add_argument("--claims", type=int, default=1_000_000, help="latency: claims")
    parser.add_argument("--workers", type=int, default=2, help="building: worker processes")
    parser.add_argument("--verbose", action="store_true", help="quality: print each miss")
    parser.add_argument("--json", action="store_true", help="print the report as JSON too")
    parser.add_argument("--as-built", action="store_true",
                        help="latency: read the million-claim database without migrating it"
                        " (who needs no later migration; binding a million rows takes long)")  # fmt: skip
    parser.add_argument("--accurate", nargs="*", type=float, metavar="WEIGHT",
                        help="quality: also rank with the accurate mode's sentence encoder"
                        " (who --accurate), at each blend WEIGHT given (default: the shipped"
                        " one)")  # fmt: skip
    args = parser.parse_args()
    corpus = corpus_dir()
    if corpus is None:
        print("skipped: no corpus at ../shared/corpus (set PROVENANCE_CORPUS)")
        return 0
    OUT.mkdir(parents=True, exist_ok=True)
    (OUT / ".gitignore").write_text("*\n")
    report = {}
    if "quality" in args.only:
        rescorer, weights = None, ()
        if args.accurate is not None:
            from provenance import semantic

            memo: dict = {}  # the candidates do not depend on the weight: encode them once

            def rescorer(query: str, texts: list[str]) -> list[float]:
                key = (query, tuple(texts))
                if key not in memo:
                    memo[key] = semantic.similarities(query, texts)
                return memo[key]

            weights = args.accurate or [DEFAULT_WEIGHT]
        report["quality"] = quality = run_quality(
            cables_db(corpus, args.workers), args.verbose, rescorer, weights
        )
        print(f"quality: {quality['sources']:,} sources ({quality['claims']:,} claims),"
              " restated claims of benchmarks/who_restated.json; who took"
              f" {quality['median_ms']} ms (median), {quality['p90_ms']} ms (p90),"
              f" CPU time {quality['cpu_median_ms']} ms (median)")  # fmt: skip
        print(f"  {'split':6} {'claims':>6}  {'ranked who':>22}  {'full-text only':>22}")
        if quality["not_a_claim"]:
            print(f"  original sentence not stored as a claim (found only by reading the sources' sentences):"
                  f" {len(quality['not_a_claim'])}: {' '.join(quality['not_a_claim'])};"
                  " dev* and test* leave those out")  # fmt: skip
        for split, s in quality["splits"].items():
            print(f"  {split:6} {s['claims']:6}  recall@5 {s['who']['recall_at_5']:.3f}"
                  f" MRR {s['who']['mrr']:.3f}  recall@5 {s['fulltext']['recall_at_5']:.3f}"
                  f" MRR {s['fulltext']['mrr']:.3f}")  # fmt: skip
            for name in (n for n in s if n.startswith("accurate")):
                print(f"  {'':6} {'':6}  {name}: recall@5 {s[name]['recall_at_5']:.3f}"
                      f" MRR {s[name]['mrr']:.3f}")  # fmt: skip
    if "latency" in args.only:
        report["latency"] = latency = run_latency(
            million_db(corpus, args.claims), args.runs, migrate=not args.as_built
        )
        print(f"latency: {latency['claims']:,} claims ({latency['distinct']:,} distinct texts),"
              f" {latency['queries']} queries x"
              f" {latency['runs']} runs: median {latency['median_ms']} ms,"
              f" p90 {latency['p90_ms']} ms, max {latency['max_ms']} ms; CPU time median"
              f" {latency['cpu_median_ms']} ms, p90 {latency['cpu_p90_ms']} ms"
              f" (load average {latency['load_average']} on {os.cpu_count()} CPUs)")  # fmt: skip
    if args.json:
        print(json.dumps(report, indent=2))
    return 0


if __name__ == "__main__":
    if sys.argv[1:2] == ["--build-only"]:  # used while developing: the database alone
        OUT.mkdir(parents=True, exist_ok=True)
        cables_db(corpus_dir(), int(sys.argv[2]) if len(sys.argv) > 2 else 1)
        sys.exit(0)
    sys.exit(main())
