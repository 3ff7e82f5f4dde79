"""Bulk-ingest speed and scale on real material, with the machine's floor and a parse-only baseline.

One command (from the project root; medians of --rounds runs):

    .venv/bin/python benchmarks/speed.py                       # everything, about an hour
    .venv/bin/python benchmarks/speed.py --only cables --limit 1000 --rounds 3
    .venv/bin/python benchmarks/speed.py --only scale          # the million-claim checks

Reads ../shared/corpus (or $PROVENANCE_CORPUS; skips with a message when it is absent) and
prepares, under benchmarks/out/ (not in git):
  cables/      the 6,712 cables of cables/cables.jsonl.gz written out as telegram text files;
  html-10000/  the real pages of html/ replicated to --html-files files with varied bytes;
  pdf/         the PDF reports of pdf/reports.
Sections (--only, comma-separated):
  cables, html, pdf   for each round, in the same run: the floor (read + sha256 of the same
                      files), a parse-only baseline (lxml parse of HTML; pypdf text of PDFs;
                      decode + split of text), and `provenance add DIR --workers N --quiet` into a
                      fresh database, end to end (claims, attribution, linking and full-text
                      index included), with its peak memory (the sum over the process and its
                      workers, sampled) and the per-stage seconds the pipeline reports
                      ($PROVENANCE_PROFILE). --limit N takes the first N files of each corpus.
                      --baseline DIR runs an earlier source tree too, in the same rounds (code
                      "baseline"; e.g. `git archive REV provenance | tar -x -C DIR`, with the
                      compiled core built for it or copied when _core.c is unchanged).
  memory              peak memory (PSS, sampled by benchmarks/memory.py) of adds of 1,000 and
                      of all --html-files pages (with the largest --workers count), and its
                      slope over the second half of the full run.
  scale               a database of a million claims (built once by benchmarks/pages.py's
                      builder): a full-text search of a common word (the plugin's search page and
                      Datasette's claims table), a claim page and a source page, and the pages a
                      fact-checker reads (the front door, the answer to a pasted claim, a news
                      article's and a cable's source pages, a PDF page with a boxed claim and its
                      image, a claim page), each the median of 20 requests through Datasette as
                      `provenance serve` publishes it, with the bytes of each answer; and 100
                      cables added to a copy of it against the same 100 added to an empty
                      database (seconds per source, and the ratio).
  site                only the page timings and weights of the scale section:
                      .venv/bin/python benchmarks/speed.py --only site [--claims 200000]
"""

from __future__ import annotations

import argparse
import gzip
import hashlib
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

import memory  # benchmarks/memory.py: processes' memory, sampled

ROOT = Path(__file__).resolve().parent.parent
OUT = ROOT / "benchmarks" / "out"
PROVENANCE = [sys.executable, "-c", 'import provenance.cli as c; getattr(c, "main", c.cli)()']


def corpus_dir() -> Path | None:
    path = Path(os.environ.get("PROVENANCE_CORPUS") or ROOT.parent / "shared" / "corpus")
    return path if path.is_dir() else None


# --- preparing the inputs -----------------------------------------------------------------


def prepare_cables(corpus: Path) -> Path:
    target = OUT / "cables"
    marker = target / ".complete"
    if marker.exists():
        return target
    shutil.rmtree(target, ignore_errors=True)
    target.mkdir(parents=True)
    with gzip.open(corpus / "cables" / "cables.jsonl.gz", "rt", encoding="utf-8") as fh:
        for line in fh:
            cable = json.loads(line)
            text = cable["routing_header"].rstrip() + "\n\n" + cable["body"]
            (target / f"{cable['reference_id']}.txt").write_text(text, encoding="utf-8")
    marker.touch()
    return target


def prepare_html(corpus: Path, files: int) -> Path:
    """Real pages replicated to ``files`` files, each copy with its own bytes.

    A copy differs in a comment and in its <title> (a copy number), so every file is a new
    capture; the article text of copies of one page is the same, as with mirrored or syndicated
    pages in a real crawl.
    """
    target = OUT / f"html-{files}"
    marker = target / ".complete"
    if marker.exists():
        return target
    shutil.rmtree(target, ignore_errors=True)
    target.mkdir(parents=True)
    pages = sorted((corpus / "html" / "trafilatura" / "pages").glob("*.html"))
    pages += sorted((corpus / "html" / "readability" / "pages").glob("*/source.html"))
    originals = [p.read_bytes() for p in pages]
    for i in range(files):
        data = originals[i % len(originals)]
        copy = i // len(originals)
        if copy:
            tag = f" [{copy}]".encode()
            data = data.replace(b"</title>", tag + b"</title>", 1)
            data += f"\n<!-- mirror copy {copy} -->\n".encode()
        (target / f"page-{i:05d}.html").write_bytes(data)
    marker.touch()
    return target


def prepare_pdf(corpus: Path) -> Path:
    target = OUT / "pdf"
    target.mkdir(parents=True, exist_ok=True)
    for pdf in sorted((corpus / "pdf" / "reports").glob("*.pdf")):
        dest = target / pdf.name
        if not dest.exists():
            shutil.copyfile(pdf, dest)
    return target


def files_of(folder: Path) -> list[Path]:
    return sorted(p for p in folder.iterdir() if p.is_file() and not p.name.startswith("."))


# --- measurements -------------------------------------------------------------------------


def floor(paths: list[Path]) -> float:
    start = time.perf_counter()
    for path in paths:
        hashlib.sha256(path.read_bytes()).hexdigest()
    return time.perf_counter() - start


def parse_only(kind: str, paths: list[Path]) -> float:
    start = time.perf_counter()
    if kind == "html":
        import lxml.html

        for path in paths:
            tree = lxml.html.document_fromstring(path.read_bytes())
            tree.text_content()
    elif kind == "pdf":
        import io
        import logging

        import pypdf

        logging.getLogger("pypdf").setLevel(logging.ERROR)  # font warnings, one per page

        for path in paths:
            reader = pypdf.PdfReader(io.BytesIO(path.read_bytes()))
            for page in reader.pages:
                page.extract_text()
    else:
        for path in paths:
            path.read_bytes().decode("utf-8", "replace").split("\n\n")
    return time.perf_counter() - start


def reference(kind: str, paths: list[Path]) -> dict:
    """The reference pipeline (benchmarks/reference.py) on the same files, in a child process
    started the same way as `provenance add`: wall and CPU seconds (user + system)."""
    with tempfile.TemporaryDirectory(prefix="provenance-reference-") as tmp:
        listing = Path(tmp) / "files.txt"
        listing.write_text("\n".join(str(p) for p in paths))
        cmd = [sys.executable, str(ROOT / "benchmarks" / "reference.py"), kind]
        cmd += [str(Path(tmp) / "reference.db"), f"@{listing}"]
        start = time.perf_counter()
        proc = subprocess.Popen(cmd, stdout=subprocess.PIPE)
        out = proc.stdout.read() if proc.stdout else b""
        _, status, usage = os.wait4(proc.pid, 0)
        seconds = time.perf_counter() - start
        if os.waitstatus_to_exitcode(status):
            raise SystemExit(f"the reference pipeline failed on {kind}")
        result = json.loads(out)
        if result.get("parser") == "lxml":
            print(
                "  warning: the reference parses HTML with lxml, selectolax is not installed"
                " (pip install -e '.[train]'): its HTML ratios are not comparable with others",
                flush=True,
            )
        return {**result, "seconds": seconds, "cpu": usage.ru_utime + usage.ru_stime}


def ingest(
    target: Path | list[Path],
    workers: int,
    db: Path | None = None,
    pure: bool = False,
    tree: Path | None = None,
) -> dict:
    """Run `provenance add` in a child process (on a fresh database unless ``db`` is given):
    wall time, peak memory of the process tree, counts, stage times. ``tree``: run that
    source tree's code instead of the installed one (see --baseline)."""
    with tempfile.TemporaryDirectory(prefix="provenance-speed-") as tmp:
        db = db or Path(tmp) / "speed.db"
        profile = Path(tmp) / "profile.json"
        env = dict(
            os.environ, PROVENANCE_PROFILE=str(profile), PROVENANCE_PURE="1" if pure else "0"
        )
        if tree is not None:
            env["PYTHONPATH"] = str(tree)
        inputs = [str(p) for p in target] if isinstance(target, list) else [str(target)]
        cmd = [*PROVENANCE, "add", *inputs, "--db", str(db), "--quiet", "--workers", str(workers)]
        start = time.perf_counter()
        # Run outside the project: `-c` puts the working directory first on the path.
        proc = subprocess.Popen(
            cmd, env=env, cwd=tmp, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE
        )
        peak = [0]
        stop = threading.Event()

        def sample() -> None:
            while not stop.wait(0.2):
                peak[0] = max(peak[0], memory.tree_rss(proc.pid))

        sampler = threading.Thread(target=sample, daemon=True)
        sampler.start()
        stderr = proc.stderr.read().decode() if proc.stderr else ""
        _, status, usage = os.wait4(proc.pid, 0)
        seconds = time.perf_counter() - start
        stop.set()
        sampler.join()
        code = os.waitstatus_to_exitcode(status)
        import sqlite3

        conn = sqlite3.connect(db)
        sources = conn.execute("SELECT count(*) FROM sources").fetchone()[0]
        claims = conn.execute("SELECT count(*) FROM claims").fetchone()[0]
        failures = conn.execute("SELECT count(*) FROM failures").fetchone()[0]
        conn.close()
        stages = json.loads(profile.read_text()) if profile.exists() else {}
        return {
            "seconds": seconds,
            "cpu": usage.ru_utime + usage.ru_stime,  # with the workers it waited for
            "peak_mb": max(peak[0], usage.ru_maxrss * 1024) / 1e6,
            "sources": sources,
            "claims": claims,
            "failures": failures,
            "exit": code,
            "stderr_tail": stderr.strip().splitlines()[-1:] if stderr.strip() else [],
            "stages": stages,
        }


def median(values: list[float]) -> float:
    return statistics.median(values) if values else float("nan")


def paths_of(args: argparse.Namespace) -> list[str]:
    """Which code runs: "compiled" (the default install, with provenance._core) and/or "pure"
    (PROVENANCE_PURE=1: the pure-Python twins), and "baseline" (the --baseline tree) if given."""
    codes = [p for p in args.code.split(",") if p]
    return codes + ["baseline"] if args.baseline else codes


def workers_of(args: argparse.Namespace) -> list[int]:
    return [int(w) for w in args.workers.split(",")]


def run_corpora(folders: dict[str, Path], args: argparse.Namespace) -> list[dict]:
    workers = workers_of(args)
    results = []
    for name, folder in folders.items():
        paths = files_of(folder)
        target: Path | list[Path] = folder
        if args.limit and args.limit < len(paths):
            paths = paths[: args.limit]
            target = paths
        size = sum(p.stat().st_size for p in paths)
        rounds: dict[str, list] = {"floor": [], "parse": [], "reference": []}
        variants = [(w, code) for code in paths_of(args) for w in workers]
        runs: dict[tuple[int, str], list[dict]] = {v: [] for v in variants}
        for _ in range(args.rounds):
            # interleave baseline and candidate in each round: the machine is noisy
            rounds["floor"].append(floor(paths))
            rounds["parse"].append(parse_only(name, paths))
            rounds["reference"].append(reference(name, paths))
            for w, code in variants:
                tree = args.baseline if code == "baseline" else None
                runs[w, code].append(ingest(target, w, pure=code == "pure", tree=tree))
                seconds = runs[w, code][-1]["seconds"]
                print(f"  {name} workers={w} {code}: {seconds:.1f} s", file=sys.stderr)
        floor_s, parse_s = median(rounds["floor"]), median(rounds["parse"])
        reference_s = median([r["seconds"] for r in rounds["reference"]])
        reference_cpu = median([r["cpu"] for r in rounds["reference"]])
        for w, code in variants:
            seconds = median([r["seconds"] for r in runs[w, code]])
            # Ratios of the same round, then their median (the machine is noisy).
            x_wall = median(
                [
                    r["seconds"] / ref["seconds"]
                    for r, ref in zip(runs[w, code], rounds["reference"], strict=True)
                ]
            )
            x_cpu = median(
                [
                    r["cpu"] / ref["cpu"]
                    for r, ref in zip(runs[w, code], rounds["reference"], strict=True)
                ]
            )
            last = runs[w, code][-1]
            stage_names = sorted({k for r in runs[w, code] for k in r["stages"]})
            results.append({
                "corpus": name,
                "workers": w,
                "code": code,
                "files": len(paths),
                "mb": size / 1e6,
                "seconds": seconds,
                "docs_per_s": len(paths) / seconds,
                "mb_per_s": size / 1e6 / seconds,
                "claims_per_s": last["claims"] / seconds,
                "claims": last["claims"],
                "sources": last["sources"],
                "failures": last["failures"],
                "peak_mb": max(r["peak_mb"] for r in runs[w, code]),
                "floor_s": floor_s,
                "parse_s": parse_s,
                "x_floor": seconds / floor_s,
                "x_parse": seconds / parse_s,
                "cpu": median([r["cpu"] for r in runs[w, code]]),
                "reference_s": reference_s,
                "reference_cpu": reference_cpu,
                "reference_docs_per_s": len(paths) / reference_s,
                "x_reference": x_wall,
                "x_reference_cpu": x_cpu,
                "stages": {s: median([r["stages"].get(s, 0.0) for r in runs[w, code]])
                           for s in stage_names},
                "runs": [r["seconds"] for r in runs[w, code]],
            })  # fmt: skip
        for r in results:
            one = [o for o in results if o["corpus"] == name and o["workers"] == 1
                   and o["code"] == r["code"]]  # fmt: skip
            if r["corpus"] == name and one:
                r["speedup"] = one[0]["seconds"] / r["seconds"]
    return results


def print_corpora(results: list[dict], rounds: int) -> None:
    header = (f"{'corpus':<7}{'wk':>3} {'code':<9}{'files':>7}{'MB':>7}{'s':>8}{'docs/s':>8}{'MB/s':>7}"
              f"{'claims/s':>9}{'peak MB':>8}{'floor s':>8}{'parse s':>8}{'x floor':>8}"
              f"{'x parse':>8}{'speedup':>8}")  # fmt: skip
    print(
        f"\ningest: medians of {rounds} rounds (x floor, x parse: ingest time over the floor's"
        " and the parse-only baseline's time on the same files, same round)"
    )
    print(header)
    for r in results:
        print(f"{r['corpus']:<7}{r['workers']:>3} {r['code']:<9}{r['files']:>7}{r['mb']:>7.1f}{r['seconds']:>8.1f}"
              f"{r['docs_per_s']:>8.1f}{r['mb_per_s']:>7.2f}{r['claims_per_s']:>9.0f}"
              f"{r['peak_mb']:>8.0f}{r['floor_s']:>8.3f}{r['parse_s']:>8.2f}{r['x_floor']:>8.0f}"
              f"{r['x_parse']:>8.1f}{r.get('speedup', 1.0):>8.2f}")  # fmt: skip
    print(
        "\nagainst the reference pipeline (benchmarks/reference.py: read, hash, parse, split,"
        " store, full-text index; same files, same rounds; x: medians of each round's ratio)"
    )
    print(f"{'corpus':<7}{'wk':>3} {'code':<9}{'ref s':>8}{'ref CPU':>8}{'ref docs/s':>11}{'s':>8}{'CPU s':>8}"
          f"{'x wall':>8}{'x CPU':>8}")  # fmt: skip
    for r in results:
        print(f"{r['corpus']:<7}{r['workers']:>3} {r['code']:<9}{r['reference_s']:>8.2f}{r['reference_cpu']:>8.2f}"
              f"{r['reference_docs_per_s']:>11.0f}{r['seconds']:>8.1f}{r['cpu']:>8.1f}"
              f"{r['x_reference']:>8.1f}{r['x_reference_cpu']:>8.1f}")  # fmt: skip
    print(
        "\nper-stage seconds (median; extract, analyse and link-prepare run in the workers,"
        " read, hash, store, link and commit in the writer; link is part of store):"
    )
    for r in results:
        stages = "  ".join(f"{k} {v:.1f}" for k, v in r["stages"].items()) or "(not reported)"
        print(f"  {r['corpus']:<7}{r['workers']:>2} {r['code']:<9} {stages}")


def run_memory(folder: Path, workers: int) -> dict:
    """Peak memory (PSS, sampled by benchmarks/memory.py) of adds of 1,000 pages and of all of
    them (``workers`` workers), and its slope over the second half of the full run."""
    paths = files_of(folder)
    small = memory.measure(paths[:1000], workers, interval=5, echo=False)
    full = memory.measure(paths, workers, interval=30, echo=False)
    return {"files_small": 1000, "peak_small_mb": small["peak_mb"], "seconds_small":
            small["seconds"], "files_full": len(paths), "peak_full_mb": full["peak_mb"],
            "seconds_full": full["seconds"], "slope_full": full["slope_mb_per_1000"]}  # fmt: skip


def scale_database(corpus: Path, args: argparse.Namespace) -> tuple[Path, Path]:
    """The database of ``--claims`` claims (built once by benchmarks/pages.py's builder),
    migrated and checkpointed as `provenance serve` serves it, and its inspect file."""
    sys.path.insert(0, str(ROOT))
    sys.path.insert(0, str(ROOT / "benchmarks"))
    import pages  # benchmarks/pages.py: the builder of the million-claim database

    from provenance import __version__
    from provenance.datasette.serving import checkpoint, write_inspect_file
    from provenance.db import open_db

    OUT.mkdir(parents=True, exist_ok=True)
    path = OUT / f"pages{args.claims}v{__version__.replace('.', '_')}.db"
    if not path.exists():
        pages.build(path, corpus, args.claims)
    open_db(path).conn.close()  # migrate, as `provenance serve` does
    assert checkpoint(path)
    inspect_file = path.with_suffix(".inspect.json")
    inspect_file.unlink(missing_ok=True)
    write_inspect_file(path, inspect_file)
    return path, inspect_file


def run_site(corpus: Path, args: argparse.Namespace) -> dict:
    """Only the page timings of the scale section (no ingest rounds)."""
    import asyncio

    path, inspect_file = scale_database(corpus, args)
    return {
        "claims": sqlite3_count(path, "claims"),
        "pages": asyncio.run(_time_pages(path, inspect_file, args.word, args.requests)),
    }


def run_scale(corpus: Path, args: argparse.Namespace) -> dict:
    """The million-claim checks (see the module docstring)."""
    import asyncio

    path, inspect_file = scale_database(corpus, args)
    page_times = asyncio.run(_time_pages(path, inspect_file, args.word, args.requests))

    cables = files_of(prepare_cables(corpus))
    step = max(1, len(cables) // 100)
    hundred = cables[::step][:100]
    empty, big = [], []
    for _ in range(args.rounds):
        empty.append(ingest(hundred, 1))
        with tempfile.TemporaryDirectory(prefix="provenance-scale-", dir=OUT) as tmp:
            copy = Path(tmp) / "million.db"
            shutil.copyfile(path, copy)
            big.append(ingest(hundred, 1, db=copy))
        print(f"  100 sources: empty {empty[-1]['seconds']:.1f} s, million {big[-1]['seconds']:.1f} s",
              file=sys.stderr)  # fmt: skip
    claims = sqlite3_count(path, "claims")
    per_empty = median([r["seconds"] for r in empty]) / len(hundred)
    per_big = median([r["seconds"] for r in big]) / len(hundred)
    store_empty = median([r["stages"].get("store", 0) for r in empty]) / len(hundred)
    store_big = median([r["stages"].get("store", 0) for r in big]) / len(hundred)
    return {"claims": claims, "pages": page_times, "added": len(hundred),
            "per_source_empty_s": per_empty, "per_source_million_s": per_big,
            "ratio": per_big / per_empty, "store_per_source_empty_s": store_empty,
            "store_per_source_million_s": store_big,
            "store_ratio": store_big / store_empty if store_empty else float("nan")}  # fmt: skip


def print_pages(found: dict) -> None:
    for label, ms in found["ms"].items():
        print(f"  {label:<44}{ms:8.1f} ms {found['bytes'][label] / 1024:9.1f} KB")
    for label, ms in found["cold_ms"].items():
        print(f"  first request, {label}: {ms:.1f} ms (renders with pdfium)")


def sqlite3_count(path: Path, table: str) -> int:
    import sqlite3

    conn = sqlite3.connect(path)
    try:
        return conn.execute(f"SELECT count(*) FROM {table}").fetchone()[0]
    finally:
        conn.close()


async def _time_pages(path: Path, inspect_file: Path, word: str, requests: int) -> dict:
    import sqlite3
    import tempfile

    import pages  # benchmarks/pages.py: which pages are asked about, and the site as published

    name = path.stem
    ds = pages.published_site(path, inspect_file, Path(tempfile.mkdtemp(prefix="provenance-")))
    conn = sqlite3.connect(path)
    ids = pages.pick(conn, last=True)
    claim_id, source_id = ids["claim"], ids["source"]
    matches = conn.execute(
        "SELECT count(*) FROM claims_fts WHERE claims_fts MATCH ?", (f'"{word}"',)
    ).fetchone()[0]
    conn.close()
    listing = {
        f"search page (/-/search?q={word})": f"/{name}/-/search?q={word}",
        f"claims table search (?_search={word})": f"/{name}/claims?_search={word}",
        "claim page (/-/claim/ID)": f"/{name}/-/claim/{claim_id}",
        "source page (/-/source/ID)": f"/{name}/-/source/{source_id}",
        **dict(pages.site_pages(name, ids)),
    }
    cold = {}
    for label, page in listing.items():
        if label.startswith("PDF page"):  # the first request renders with pdfium
            cold[label] = (await pages.timed(ds, page))[0]
    times: dict[str, list[float]] = {label: [] for label in listing}
    sizes: dict[str, int] = {}
    for round_number in range(requests + 1):  # round 0 warms caches and is not counted
        for label, page in listing.items():
            elapsed, sizes[label] = await pages.timed(ds, page)
            if round_number:
                times[label].append(elapsed)
    return {"word": word, "matches": matches, "cold_ms": cold, "bytes": sizes,
            "ms": {label: median(values) for label, values in times.items()}}  # fmt: skip


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--only", default="cables,html,pdf,memory,scale",
                        help="sections: cables, html, pdf, memory, scale, site")  # fmt: skip
    parser.add_argument("--workers", default="1,2", help="worker counts to measure")
    parser.add_argument("--code", default="compiled",
                        help="compiled, pure or both (compiled,pure): with and without the"
                             " compiled core, in the same rounds")  # fmt: skip
    parser.add_argument(
        "--baseline",
        type=Path,
        help="an earlier source tree (e.g. from `git archive`, its compiled core"
        " built) run in the same rounds as code 'baseline'",
    )
    parser.add_argument("--limit", type=int, default=0, help="first N files of each corpus")
    parser.add_argument("--html-files", type=int, default=10_000)
    parser.add_argument("--claims", type=int, default=1_000_000, help="scale: claims")
    parser.add_argument("--word", default="said", help="scale: the common word searched")
    parser.add_argument("--requests", type=int, default=20, help="scale: requests per page")
    parser.add_argument("--json", metavar="FILE", help="also write the results as JSON")
    args = parser.parse_args()

    corpus = corpus_dir()
    if corpus is None:
        print("skipped: ../shared/corpus not found (set PROVENANCE_CORPUS)", file=sys.stderr)
        return 0
    sections = args.only.split(",")
    folders = {}
    for name in sections:
        if name == "cables":
            folders[name] = prepare_cables(corpus)
        elif name == "html":
            folders[name] = prepare_html(corpus, args.html_files)
        elif name == "pdf":
            folders[name] = prepare_pdf(corpus)
    report: dict = {}
    if folders:
        report["ingest"] = run_corpora(folders, args)
        print_corpora(report["ingest"], args.rounds)
    if "memory" in sections:
        report["memory"] = memory = run_memory(
            prepare_html(corpus, args.html_files), max(workers_of(args))
        )
        slope = memory["slope_full"]
        trend = "n/a" if slope is None else f"{slope:+.1f} MB per 1,000 pages"
        print(f"\nmemory ({max(workers_of(args))} workers; PSS of writer and workers summed): "
              f"{memory['files_small']:,} pages {memory['peak_small_mb']:.0f} MB "
              f"({memory['seconds_small']:.0f} s), {memory['files_full']:,} pages "
              f"{memory['peak_full_mb']:.0f} MB ({memory['seconds_full']:.0f} s), second-half "
              f"slope {trend} (benchmarks/memory.py prints every sample)")  # fmt: skip
    if "site" in sections:
        report["site"] = site = run_site(corpus, args)
        print(
            f"\nsite: {site['claims']:,} claims; medians of {args.requests} requests (ms),"
            " and the bytes of each answer"
        )
        print_pages(site["pages"])
    if "scale" in sections:
        report["scale"] = scale = run_scale(corpus, args)
        print(
            f"\nscale: {scale['claims']:,} claims; medians of {args.requests} requests (ms);"
            f" '{scale['pages']['word']}' matches {scale['pages']['matches']:,} claims"
        )
        print_pages(scale["pages"])
        print(
            f"  adding {scale['added']} cables, one worker, median of {args.rounds}: "
            f"{scale['per_source_empty_s'] * 1000:.0f} ms a source to an empty database, "
            f"{scale['per_source_million_s'] * 1000:.0f} ms to the million-claim one "
            f"(x{scale['ratio']:.2f}); store stage {scale['store_per_source_empty_s'] * 1000:.0f}"
            f" / {scale['store_per_source_million_s'] * 1000:.0f} ms (x{scale['store_ratio']:.2f})"
        )
    if args.json:
        Path(args.json).write_text(json.dumps(report, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
