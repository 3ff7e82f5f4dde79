"""CPU time of the single writer of a bulk add: storing and linking prepared inputs.

`provenance add --workers N` extracts and analyses in workers and stores in one process; with
two workers the three compete for two cores, so every CPU-second of the writer counts. This
prepares the first --limit files of a corpus once (in this process, as a worker would: the
prepared records are cached in the temporary directory, one file per version of the code and
corpus),
then stores them into a fresh database per round, committing every 200 inputs and keeping one
linking memory (furniture of stored sources, features of recent claims) as a bulk add does, and
reading each record back from its pickle as the batch receives it from a worker (timed),
and prints the writer's CPU seconds (process time, less disturbed by other jobs than
wall time), wall seconds and the link stage's seconds, medians of --rounds.

    .venv/bin/python benchmarks/writer_speed.py --only cables,html --limit 300 --rounds 3
    .venv/bin/python benchmarks/writer_speed.py --baseline ../main   # old and new, interleaved
    .venv/bin/python benchmarks/writer_speed.py --unbound   # what binding rows costs the writer
    .venv/bin/python benchmarks/writer_speed.py --commit-every 10   # a bulk add's commits
    .venv/bin/python benchmarks/writer_speed.py --only cables --budget   # what two cores allow

With --baseline DIR each round runs the baseline tree's code (DIR on PYTHONPATH) and this
tree's code alternately, in fresh processes, and prints both and their ratio. With --unbound
the second run is this tree with the row-binding triggers dropped (no row is noted, so no
digest is computed or stored: an archive ``verify`` would fail), to show what binding every
published row (provenance.binding) costs the writer.

With --budget it measures, in the same rounds, what bounds issue 16's two speed bars on this
machine: the reference pipeline on the same files (benchmarks/reference.py, as speed.py runs
it), the CPU a worker spends preparing the inputs (reading, extraction, analysis, link
preparation, in one process), and the writer's CPU storing them three ways: as a bulk add
does; with linking left out (no claim, quotation, citation or rendition is linked: a floor,
not a usable archive); and with linking and the row-binding triggers left out. From those it
prints the least wall time one worker and two workers can take on the machine's cores (one
worker beside the writer takes at least the longer of the two; two workers and the writer on
two cores at least half their summed CPU) as multiples of the reference, and the same for a
split that moved all linking into the workers.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import pickle
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
OUT = ROOT / "benchmarks" / "out"
FOLDERS = {"cables": "cables", "html": "html-10000"}


def prepared_inputs(corpus: str, limit: int) -> list[bytes]:
    """The prepared records (pickled) of the first ``limit`` files, cached per code tree."""
    import provenance
    from provenance.inputs import Limits, iter_inputs, read_item
    from provenance.pipeline import prepare

    code = hashlib.sha256()
    for path in sorted(Path(provenance.__file__).resolve().parent.rglob("*.py")):
        code.update(path.read_bytes())
    cache = Path(tempfile.gettempdir()) / "provenance-writer-speed"
    cache = cache / f"{corpus}-{limit}-{code.hexdigest()[:16]}.pickle"
    if cache.exists():
        return pickle.loads(cache.read_bytes())
    folder = OUT / FOLDERS[corpus]
    if not folder.is_dir():
        raise SystemExit(f"{folder} not found: run benchmarks/speed.py --only {corpus} once")
    # the files benchmarks/speed.py takes
    files = sorted(str(p) for p in folder.iterdir() if p.is_file() and p.name[0] != ".")
    files = files[:limit]
    limits = Limits()
    records = [
        pickle.dumps(prepare(read_item(item, limits), None, limits)) for item in iter_inputs(files)
    ]
    cache.parent.mkdir(parents=True, exist_ok=True)
    cache.write_bytes(pickle.dumps(records))
    return records


def store_round(
    records: list[bytes], unbound: bool = False, every: int = 0, link: bool = True
) -> dict:
    """Store the prepared inputs into a fresh database as a bulk add's writer does, committing
    every ``every`` inputs (0: the pipeline's COMMIT_EVERY; with ``unbound``, without the
    triggers that note each changed row for its digest; without ``link``, with no linking: a
    floor of what the writer must do, not an archive anyone could use)."""
    from provenance import linking, pipeline, profile
    from provenance.db import open_db
    from provenance.store import store_prepared

    if not link:  # this process runs one round: the change ends with it
        linking.link_sources = lambda conn, source_ids, memory=None: {}

    with tempfile.TemporaryDirectory(prefix="provenance-writer-") as tmp:
        conn = open_db(Path(tmp) / "writer.db").conn
        if unbound:
            triggers = conn.execute(
                "SELECT name FROM sqlite_temp_master WHERE type = 'trigger' AND name LIKE '_bind_%'"
            ).fetchall()
            assert triggers, "this tree binds no rows"
            for (name,) in triggers:
                conn.execute(f'DROP TRIGGER temp."{name}"')
        cache = getattr(pipeline, "WRITER_CACHE_KIB", None)
        if cache:  # as pipeline.add sets it, where the tree has it
            conn.execute(f"PRAGMA cache_size = -{cache}")
        profile.TIMES.clear()
        # what linking keeps from one capture to the next, as a bulk add's batch holds it
        memory = linking.LinkMemory() if hasattr(linking, "LinkMemory") else None
        # where the tree holds the claims' band keys until the commit, they are written then
        write_keys = getattr(memory, "write_claim_keys", lambda conn: None)
        every = every or pipeline.COMMIT_EVERY
        cpu, wall = time.process_time(), time.perf_counter()
        for i, record in enumerate(records):
            prepared = pickle.loads(record)  # as the batch receives it from a worker
            if i % every == 0:
                if conn.in_transaction:
                    write_keys(conn)
                    conn.execute("COMMIT")
                conn.execute("BEGIN IMMEDIATE")
            store_prepared(conn, prepared, memory) if memory else store_prepared(conn, prepared)
        write_keys(conn)
        conn.execute("COMMIT")
        result = {
            "cpu": time.process_time() - cpu,
            "wall": time.perf_counter() - wall,
            "link": profile.TIMES.get("link", 0.0),
        }
        conn.close()
    return result


def prepare_round(corpus: str, limit: int) -> dict:
    """The CPU seconds one process takes to read and prepare the inputs, as a worker does."""
    from provenance.inputs import Limits, iter_inputs, read_item
    from provenance.pipeline import prepare

    limits = Limits()
    files = sorted(str(p) for p in (OUT / FOLDERS[corpus]).iterdir() if p.name[0] != ".")
    prepare(read_item(next(iter(iter_inputs(files[:1]))), limits), None, limits)  # models
    cpu, wall = time.process_time(), time.perf_counter()
    for item in iter_inputs(files[:limit]):
        pickle.dumps(prepare(read_item(item, limits), None, limits))  # as a worker sends it
    return {"cpu": time.process_time() - cpu, "wall": time.perf_counter() - wall}


def one_round(
    corpus: str,
    limit: int,
    python_path: str | None,
    unbound: bool = False,
    every: int = 0,
    link: bool = True,
    prepare: bool = False,
) -> dict:
    """One round in a fresh process (with ``python_path`` first on the path, if given)."""
    env = dict(os.environ)
    if python_path:
        env["PYTHONPATH"] = python_path
    cmd = [sys.executable, __file__, "--round", corpus, "--limit", str(limit)]
    cmd += ["--unbound"] if unbound else []
    cmd += ["--commit-every", str(every)] if every else []
    cmd += ["--no-link"] if not link else []
    cmd += ["--prepare"] if prepare else []
    out = subprocess.run(cmd, env=env, check=True, capture_output=True, text=True).stdout
    return json.loads(out.strip().splitlines()[-1])


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--only", default="cables,html")
    parser.add_argument("--limit", type=int, default=300)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--baseline", help="another tree of the project, run alternately")
    parser.add_argument(
        "--unbound", action="store_true", help="also this tree without the row-binding triggers"
    )
    parser.add_argument(
        "--commit-every",
        type=int,
        default=0,
        help="inputs per commit (default: the pipeline's COMMIT_EVERY; a bulk add of cables"
        " also commits every half second, about every ten cables)",
    )
    parser.add_argument(
        "--budget",
        action="store_true",
        help="the reference, the workers' CPU and the writer's with and without linking and"
        " binding, in the same rounds, and the least wall times they allow on this machine",
    )
    parser.add_argument("--round", help=argparse.SUPPRESS)
    parser.add_argument("--no-link", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--prepare", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.round:
        if args.prepare:
            print(json.dumps(prepare_round(args.round, args.limit)))
            return 0
        records = prepared_inputs(args.round, args.limit)
        print(json.dumps(store_round(records, args.unbound, args.commit_every, not args.no_link)))
        return 0
    if args.budget:
        return budget(args)
    if args.baseline and args.unbound:
        parser.error("--baseline or --unbound, not both")
    trees: dict[str, tuple[str | None, bool]] = {"this": (None, False)}
    if args.baseline:
        trees = {
            "baseline": (str(Path(args.baseline).resolve()), False),
            "this": (str(ROOT), False),
        }
    if args.unbound:
        trees["unbound"] = (None, True)
    every = args.commit_every or "COMMIT_EVERY"
    print(
        f"writer: {args.limit} inputs a corpus, a commit every {every} inputs,"
        f" medians of {args.rounds} rounds (seconds)"
    )
    for corpus in args.only.split(","):
        runs: dict[str, list[dict]] = {name: [] for name in trees}
        for _ in range(args.rounds):
            for name, (path, unbound) in trees.items():  # interleaved: the machine is shared
                runs[name].append(one_round(corpus, args.limit, path, unbound, args.commit_every))
        medians = {}
        for name, rounds in runs.items():
            medians[name] = {k: statistics.median(r[k] for r in rounds) for k in rounds[0]}
            cpu = ", ".join(f"{r['cpu']:.2f}" for r in rounds)
            m = medians[name]
            print(
                f"  {corpus:<7}{name:<9} cpu {m['cpu']:6.2f}  wall {m['wall']:6.2f}"
                f"  link {m['link']:6.2f}   (cpu of each round: {cpu})"
            )
        for other in ("baseline", "unbound"):
            if other in medians:
                b, t = medians[other], medians["this"]
                print(
                    f"  {corpus:<7}this/{other}: cpu x{t['cpu'] / b['cpu']:.2f}, wall"
                    f" x{t['wall'] / b['wall']:.2f}, link x{t['link'] / b['link']:.2f}"
                )
    return 0


def budget(args: argparse.Namespace) -> int:
    """What the reference, the workers and the writer cost in the same rounds, and the least
    wall time one and two workers can take with them on this machine's cores."""
    sys.path.insert(0, str(ROOT / "benchmarks"))
    from speed import reference

    cores = os.cpu_count() or 1
    every = args.commit_every or 10  # a bulk add of cables commits about every ten inputs
    print(
        f"budget: {args.limit} inputs a corpus, {cores} cores, a commit every {every} inputs,"
        f" medians of {args.rounds} rounds (CPU seconds; the reference's wall and CPU)"
    )
    for corpus in args.only.split(","):
        prepared_inputs(corpus, args.limit)  # cached before the rounds
        files = sorted(p for p in (OUT / FOLDERS[corpus]).iterdir() if p.name[0] != ".")
        parts: dict[str, list[float]] = {
            k: [] for k in ("reference", "reference cpu", "worker", "writer", "no link",
                            "no link, unbound")
        }  # fmt: skip
        for _ in range(args.rounds):
            ref = reference(corpus, files[: args.limit])
            parts["reference"].append(ref["seconds"])
            parts["reference cpu"].append(ref["cpu"])
            parts["worker"].append(one_round(corpus, args.limit, None, prepare=True)["cpu"])
            for name, unbound, link in (
                ("writer", False, True),
                ("no link", False, False),
                ("no link, unbound", True, False),
            ):
                run = one_round(corpus, args.limit, None, unbound, every, link)
                parts[name].append(run["cpu"])
        m = {k: statistics.median(v) for k, v in parts.items()}
        for name, values in parts.items():
            each = ", ".join(f"{v:.2f}" for v in values)
            print(f"  {corpus:<7}{name:<18}{m[name]:7.2f}   ({each})")
        ref = m["reference"]
        linking = m["writer"] - m["no link"]
        for label, w, s in (
            ("as built", m["worker"], m["writer"]),
            ("linking in the workers", m["worker"] + linking, m["no link"]),
        ):
            one = max(w, s)  # one worker and the writer: each on a core at best
            two = max(s, w / 2, (w + s) / min(cores, 3))
            print(
                f"  {corpus:<7}{label}: worker {w:.2f}, writer {s:.2f}; one worker at least"
                f" {one:.2f} s ({one / ref:.1f}x the reference), two at least {two:.2f} s"
                f" ({two / ref:.1f}x), so two workers at most {one / two:.2f}x one"
            )
    return 0


if __name__ == "__main__":
    sys.exit(main())
