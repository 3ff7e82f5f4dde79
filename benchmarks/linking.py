"""Linking harness: citations, near-duplicates, quote tracing, scale, and what Datasette shows.

One command (from the project root):

    .venv/bin/python benchmarks/linking.py            # everything, about 10 minutes
    .venv/bin/python benchmarks/linking.py --only quotes citations

Reads the real corpus at ``../shared/corpus`` (or ``$PROVENANCE_CORPUS``) and skips with a
message when it is absent; the quote-tracing part reads the project's own fixtures
(``tests/linking_fixtures/quotes``) and always runs. Work files go to ``benchmarks/out/`` (ignored by
git). Sections:

1. ``citations``: the 6,712 cables of ``cables.jsonl.gz`` are written out as WikiLeaks-style
   cable pages (their header fields verbatim, routing header and body as the two text blocks;
   ``--cables-as telegram`` writes plain telegram text instead) and added, then the 19 pages of
   ``articles_citing_cables``; resolved citations are compared with ``citations_index.json``
   as (page, cable id) pairs.
2. ``near``: the shared paragraphs of 09TRIPOLI495/496/497 are linked; sampled cable claims
   re-stated with one word changed, or with a page-break line inside, link to their original.
3. ``quotes``: the quote-tracing fixtures (brackets, ellipses, nested quote marks, name
   spellings, page furniture, planted misquotes, look-alike passages).
4. ``scale``: time and peak memory of adding (and linking) all cables, against the same
   build with linking switched off; ``who`` on that database; adding one more source.
5. ``datasette``: the ``claim_reports`` and ``quote_origins`` views on a claim, through
   Datasette's client.

Numbers are medians of ``--runs`` runs where a section repeats (the full build runs once per
configuration: it takes minutes).
"""

from __future__ import annotations

import argparse
import gzip
import html
import json
import os
import resource
import sqlite3
import statistics
import sys
import time
from contextlib import contextmanager
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from provenance import linking, pipeline  # noqa: E402
from provenance.db import open_db  # noqa: E402

OUT = ROOT / "benchmarks" / "out"
QUOTE_FIXTURES = ROOT / "tests" / "linking_fixtures" / "quotes"


def corpus_dir() -> Path | None:
    path = Path(os.environ.get("PROVENANCE_CORPUS") or ROOT.parent / "shared" / "corpus")
    return path if (path / "cables" / "cables.jsonl.gz").exists() else None


def peak_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


# --- writing the cables out --------------------------------------------------------------

_PAGE = """<?xml version='1.0' encoding='utf-8' ?>
<!DOCTYPE html PUBLIC "-//W3C//DTD XHTML 1.0 Transitional//EN" "http://www.w3.org/TR/xhtml1/DTD/xhtml1-transitional.dtd">
<html lang='en' xml:lang='en' xmlns='http://www.w3.org/1999/xhtml'>
<head><title>Cable Viewer</title></head>
<body><div class='main'><div class='pane big'>
<h3>Viewing cable {ref}</h3>
<table class='cable'>
<tr><th>Reference ID</th><th>Created</th><th>Released</th><th>Classification</th><th>Origin</th></tr>
<tr><td><a href='/cable/{ref}.html'>{ref}</a></td><td>{created}</td><td>{released}</td>
<td>{classification}</td><td>{origin}</td></tr>
</table>
<code><pre>{routing}</pre></code>
<code><pre>{body}</pre></code>
</div></div></body></html>
"""


def write_cables(corpus: Path, target: Path, form: str) -> list[dict]:
    """Write each cable of cables.jsonl.gz as a file; return the records."""
    target.mkdir(parents=True, exist_ok=True)
    records = []
    with gzip.open(corpus / "cables" / "cables.jsonl.gz", "rt", encoding="utf-8") as fh:
        for line in fh:
            cable = json.loads(line)
            records.append(cable)
            ref = cable["reference_id"]
            if form == "telegram":
                path = target / f"{ref}.txt"
                content = cable["routing_header"].rstrip("\n") + "\n\n" + cable["body"]
            else:
                path = target / f"{ref}.html"
                fields = {k: html.escape(cable.get(k) or "") for k in
                          ("created", "released", "classification", "origin")}  # fmt: skip
                content = _PAGE.format(
                    ref=html.escape(ref),
                    routing=html.escape(cable["routing_header"]),
                    body=html.escape(cable["body"]),
                    **fields,
                )
            path.write_text(content, encoding="utf-8")
    return records


@contextmanager
def linking_off():
    original = linking.link_sources
    linking.link_sources = lambda conn, ids: {}
    try:
        yield
    finally:
        linking.link_sources = original


class LinkTimer:
    """Time spent inside linking.link_sources, per call."""

    def __init__(self) -> None:
        self.calls: list[float] = []

    def __enter__(self):
        self.original = linking.link_sources

        def timed(conn, ids):
            start = time.perf_counter()
            try:
                return self.original(conn, ids)
            finally:
                self.calls.append(time.perf_counter() - start)

        linking.link_sources = timed
        return self

    def __exit__(self, *exc):
        linking.link_sources = self.original


def add_all(db_path: Path, inputs: list[str]) -> dict:
    db = open_db(db_path)
    counts: dict[str, int] = {}
    start = time.perf_counter()
    for result in pipeline.add(db, inputs):
        counts[result.status] = counts.get(result.status, 0) + 1
    elapsed = time.perf_counter() - start
    db.conn.close()
    return {"seconds": elapsed, "counts": counts}


def build(corpus: Path, form: str, with_linking: bool = True) -> tuple[Path, dict]:
    """A database of all the cables; returns its path and timings."""
    cables_dir = OUT / f"cables-{form}"
    if not cables_dir.exists():
        write_cables(corpus, cables_dir, form)
    db_path = OUT / f"cables-{form}{'' if with_linking else '-nolink'}.db"
    for suffix in ("", "-wal", "-shm"):
        Path(f"{db_path}{suffix}").unlink(missing_ok=True)
    files = sorted(str(p) for p in cables_dir.iterdir())
    rss_before = peak_rss_mb()
    if with_linking:
        with LinkTimer() as timer:
            report = add_all(db_path, files)
        report["link_seconds"] = sum(timer.calls)
        report["link_per_source_ms"] = {
            "median": 1000 * statistics.median(timer.calls),
            "p95": 1000 * sorted(timer.calls)[int(0.95 * len(timer.calls))],
            "max": 1000 * max(timer.calls),
            "median_last_500": 1000 * statistics.median(timer.calls[-500:]),
        }
    else:
        with linking_off():
            report = add_all(db_path, files)
    report["peak_rss_mb"] = max(rss_before, peak_rss_mb())
    conn = sqlite3.connect(db_path)
    report["claims"] = conn.execute("SELECT count(*) FROM claims").fetchone()[0]
    report["sources"] = conn.execute("SELECT count(*) FROM sources").fetchone()[0]
    report["links"] = dict(
        conn.execute("SELECT relation, count(*) FROM claim_links GROUP BY relation").fetchall()
    )
    report["db_mb"] = db_path.stat().st_size / 1e6
    conn.close()
    return db_path, report


# --- 1. citations ------------------------------------------------------------------------


def citations_section(corpus: Path, cables_db: Path) -> dict:
    articles = corpus / "cables" / "articles_citing_cables"
    gold = json.loads((articles / "citations_index.json").read_text())
    db_path = OUT / "citations.db"
    for suffix in ("", "-wal", "-shm"):
        Path(f"{db_path}{suffix}").unlink(missing_ok=True)
    source = sqlite3.connect(cables_db)
    target = sqlite3.connect(db_path)
    source.backup(target)
    source.close()
    target.close()
    pages = sorted(str(p) for p in articles.glob("*.html"))
    add_all(db_path, pages)
    conn = sqlite3.connect(db_path)
    predicted: dict[str, set[str]] = {}
    by_method: dict[str, set[tuple[str, str]]] = {}
    for page, reference_id, method in conn.execute(
        "SELECT s.input, t.reference_id, c.method FROM citations c"
        " JOIN sources s ON s.id = c.citing_source_id JOIN sources t ON t.id = c.cited_source_id"
        " WHERE s.kind IN ('html', 'post') AND t.reference_id IS NOT NULL"
    ):
        name = Path(page).name
        predicted.setdefault(name, set()).add(reference_id)
        by_method.setdefault(method, set()).add((name, reference_id))
    gold_pairs = {(p, c) for p, v in gold.items() for c in v["cited_cable_ids"]}
    pred_pairs = {(p, c) for p, v in predicted.items() for c in v}
    hits = gold_pairs & pred_pairs
    extra = sorted(pred_pairs - gold_pairs)
    missed = sorted(gold_pairs - pred_pairs)
    extra_evidence = []
    for page, ref in extra:
        row = conn.execute(
            "SELECT c.mention, c.method, c.confidence, c.evidence FROM citations c"
            " JOIN sources s ON s.id = c.citing_source_id JOIN sources t ON t.id = c.cited_source_id"
            " WHERE s.input LIKE ? AND t.reference_id = ? LIMIT 1",
            (f"%{page}", ref),
        ).fetchone()
        extra_evidence.append({"page": page, "cable": ref, "mention": row[0], "method": row[1],
                               "confidence": row[2], "evidence": json.loads(row[3] or "null")})  # fmt: skip
    unresolved = conn.execute(
        "SELECT count(*) FROM citations c JOIN sources s ON s.id = c.citing_source_id"
        " WHERE s.kind = 'html' AND c.cited_source_id IS NULL"
    ).fetchone()[0]
    conn.close()
    return {
        "gold_pairs": len(gold_pairs),
        "predicted_pairs": len(pred_pairs),
        "recall": round(len(hits) / len(gold_pairs), 4),
        "precision": round(len(hits) / len(pred_pairs), 4) if pred_pairs else 0.0,
        "pairs_by_method": {
            m: {"pairs": len(p), "in_index": len(p & gold_pairs)}
            for m, p in sorted(by_method.items())
        },
        "missed": missed,
        "not_in_index": extra_evidence,
        "unresolved_mentions_in_pages": unresolved,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--only", nargs="*", default=["citations", "near", "quotes", "scale", "datasette"]
    )
    parser.add_argument("--cables-as", choices=["page", "telegram"], default="page")
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--reuse", action="store_true", help="Reuse a built cables database.")
    args = parser.parse_args()
    OUT.mkdir(parents=True, exist_ok=True)
    report: dict = {}
    corpus = corpus_dir()
    needs_corpus = [s for s in args.only if s != "quotes"]
    if needs_corpus and corpus is None:
        print(
            "corpus not found at ../shared/corpus (set PROVENANCE_CORPUS): "
            f"skipping {', '.join(needs_corpus)}",
            file=sys.stderr,
        )
    cables_db = None
    if corpus is not None and needs_corpus:
        cables_db = OUT / f"cables-{args.cables_as}.db"
        if not (args.reuse and cables_db.exists()):
            cables_db, report["build"] = build(corpus, args.cables_as)
            print(json.dumps({"build": report["build"]}, indent=2))
    if corpus is not None and "citations" in args.only:
        report["citations"] = citations_section(corpus, cables_db)
        print(json.dumps({"citations": report["citations"]}, indent=2))


if __name__ == "__main__":
    main()
