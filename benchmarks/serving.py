"""`provenance serve` while `provenance add` writes 1,000 documents: every request answered?

    .venv/bin/python benchmarks/serving.py                  # 1,000 documents
    .venv/bin/python benchmarks/serving.py --documents 3000

Real processes on 127.0.0.1, as ``tests/test_serving.py`` runs them with 120 documents (this
reuses its helpers): one archive holding one telegram, `serve` on it (read-only, the default),
then `add` of a folder of short invented council notes while a client asks five pages in turn
(the sources table, a count of sources, the claims table, the search page, a source page)
until the add has finished. Prints the number of requests, how many were 5xx or anything but
200, stale reads (a count of sources lower than one served before it), the count served after
the add against the count stored, and the median and p90 time of each page.
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import httpx  # noqa: E402

from tests.test_serving import CLI, start_serving, stop, write_documents  # noqa: E402

PAGES = {
    "sources table": "/{name}/sources.json?_shape=array&_size=5&_sort_desc=id",
    "count of sources": "/{name}.json?sql=select+count(*)+as+n+from+sources&_shape=array",
    "claims table": "/{name}/claims.json?_size=5",
    "search page": "/{name}/-/search?q=council",
    "source page": "/{name}/-/source/1",
}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--documents", type=int, default=1000)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        db = Path(tmp) / "live.db"
        subprocess.run(
            [*CLI, "add", "--db", str(db), str(ROOT / "tests" / "fixtures" / "telegram.txt")],
            check=True,
            capture_output=True,
        )
        folder = write_documents(Path(tmp) / "notes", args.documents)
        server, base = start_serving(db)
        times: dict[str, list[float]] = {page: [] for page in PAGES}
        statuses: list[int] = []
        counts: list[int] = []
        started = time.monotonic()
        adder = subprocess.Popen(
            [*CLI, "add", "--db", str(db), str(folder)],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            start_new_session=True,
        )
        try:
            with httpx.Client(base_url=base, timeout=60) as client:
                while True:
                    finished = adder.poll() is not None
                    for page, path in PAGES.items():
                        begun = time.perf_counter()
                        response = client.get(path.format(name=db.stem))
                        times[page].append(time.perf_counter() - begun)
                        statuses.append(response.status_code)
                        if page == "count of sources" and response.status_code == 200:
                            counts.append(response.json()[0]["n"])
                    if finished:
                        break
                added = time.monotonic() - started
                served = client.get(PAGES["count of sources"].format(name=db.stem)).json()[0]["n"]
            code = adder.wait(timeout=60)
        finally:
            stop(adder)
            stop(server)
        import sqlite3

        with sqlite3.connect(db) as conn:
            stored = conn.execute("SELECT count(*) FROM sources").fetchone()[0]
    stale = sum(1 for a, b in zip(counts, counts[1:], strict=False) if b < a)
    print(
        f"add of {args.documents} documents (exit {code}) took {added:.0f} s while served:"
        f" {len(statuses)} requests, {sum(s >= 500 for s in statuses)} 5xx,"
        f" {sum(s != 200 for s in statuses)} not 200, {stale} stale reads;"
        f" after the add {served} sources served, {stored} stored"
    )
    for page, values in times.items():
        values.sort()
        print(
            f"  {page:<17} median {1000 * statistics.median(values):6.1f} ms"
            f"  p90 {1000 * values[int(0.9 * len(values))]:6.1f} ms  ({len(values)} requests)"
        )
    return 0 if code == 0 and all(s == 200 for s in statuses) and not stale else 1


if __name__ == "__main__":
    sys.exit(main())
