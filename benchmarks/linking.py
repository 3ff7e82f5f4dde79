"""Linking harness: citations, near-duplicates, quote tracing, scale, and what Datasette shows.

One command (from the project root):

    .venv/bin/python benchmarks/linking.py            # everything, about 15 minutes on 2 cores
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
import asyncio
import gzip
import html
import json
import os
import random
import resource
import sqlite3
import statistics
import sys
import time
import tracemalloc
from contextlib import contextmanager
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from provenance import linking, pipeline  # noqa: E402
from provenance.db import open_db  # noqa: E402

OUT = ROOT / "benchmarks" / "out"
QUOTE_FIXTURES = ROOT / "tests" / "linking_fixtures" / "quotes"


def set_out(path: Path) -> None:
    global OUT
    OUT = path


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
    linking.link_sources = lambda conn, ids, memory=None: {}
    try:
        yield
    finally:
        linking.link_sources = original


class LinkTimer:
    """Time spent inside linking.link_sources, per call."""

    def __init__(self) -> None:
        self.calls: list[float] = []
        self.sources: list[list[int]] = []

    def __enter__(self):
        self.original = linking.link_sources

        def timed(conn, ids, memory=None):
            start = time.perf_counter()
            try:
                return self.original(conn, ids, memory)
            finally:
                self.calls.append(time.perf_counter() - start)
                self.sources.append(list(ids))

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
    return {"seconds": round(elapsed, 2), "counts": counts}


def build(corpus: Path, form: str, with_linking: bool = True) -> tuple[Path, dict]:
    """A database of all the cables, built in a fresh process (so that its peak memory is its
    own); returns the database's path and the build's timings."""
    import multiprocessing
    from concurrent.futures import ProcessPoolExecutor

    # Not a multiprocessing.Pool: its daemonic process may not start add's worker processes.
    context = multiprocessing.get_context("spawn")
    with ProcessPoolExecutor(1, mp_context=context) as pool:
        return pool.submit(_build, corpus, form, with_linking, OUT).result()


def _build(corpus: Path, form: str, with_linking: bool, out: Path) -> tuple[Path, dict]:
    set_out(out)
    cables_dir = OUT / f"cables-{form}"
    if not cables_dir.exists():
        write_cables(corpus, cables_dir, form)
    db_path = OUT / f"cables-{form}{'' if with_linking else '-nolink'}.db"
    for suffix in ("", "-wal", "-shm"):
        Path(f"{db_path}{suffix}").unlink(missing_ok=True)
    files = sorted(str(p) for p in cables_dir.iterdir())
    if with_linking:
        with LinkTimer() as timer:
            report = add_all(db_path, files)
        report["link_seconds"] = round(sum(timer.calls), 1)
        report["link_per_source_ms"] = {
            "median": round(1000 * statistics.median(timer.calls), 1),
            "p95": round(1000 * sorted(timer.calls)[int(0.95 * len(timer.calls))], 1),
            "max": round(1000 * max(timer.calls), 1),
            "median_last_500": round(1000 * statistics.median(timer.calls[-500:]), 1),
        }
    else:
        with linking_off():
            report = add_all(db_path, files)
    report["peak_rss_mb"] = round(peak_rss_mb(), 1)
    conn = sqlite3.connect(db_path)
    if with_linking:
        slowest = sorted(zip(timer.calls, timer.sources, strict=True), reverse=True)[:3]
        report["slowest_to_link"] = [
            {
                "ms": round(1000 * seconds, 1),
                "source": conn.execute(
                    "SELECT reference_id FROM sources WHERE id = ?", (ids[0],)
                ).fetchone()[0],
                "claims": conn.execute(
                    f"SELECT count(*) FROM claims WHERE source_id IN ({','.join('?' * len(ids))})",
                    ids,
                ).fetchone()[0],
                "quotes": conn.execute(
                    f"SELECT count(*) FROM quotes WHERE source_id IN ({','.join('?' * len(ids))})",
                    ids,
                ).fetchone()[0],
            }
            for seconds, ids in slowest
        ]
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
    # A cable is scored by the file the harness wrote it to ({reference id}.txt or .html): a
    # partial extract whose text states no year has no reference id of its own.
    for page, reference_id, method in conn.execute(
        "SELECT s.input, coalesce(t.reference_id, t.input), c.method FROM citations c"
        " JOIN sources s ON s.id = c.citing_source_id JOIN sources t ON t.id = c.cited_source_id"
        " WHERE s.kind IN ('html', 'post') AND t.kind = 'cable'"
    ):
        reference_id = Path(reference_id).stem if "/" in reference_id else reference_id
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
            " WHERE s.input LIKE ? AND (t.reference_id = ? OR t.input LIKE ?) LIMIT 1",
            (f"%{page}", ref, f"%/{ref}.%"),
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


# --- 2. near-duplicates -------------------------------------------------------------------


def _copy_db(source: Path, target: Path) -> Path:
    for suffix in ("", "-wal", "-shm"):
        Path(f"{target}{suffix}").unlink(missing_ok=True)
    src, dst = sqlite3.connect(source), sqlite3.connect(target)
    src.backup(dst)
    src.close()
    dst.close()
    return target


def _related(conn: sqlite3.Connection, claim_id: int) -> set[int]:
    """A claim's links (both directions, not quotes) and the rest of its cluster."""
    related = {
        r[0]
        for r in conn.execute(
            "SELECT other_claim_id FROM claim_links WHERE claim_id = ? AND relation != 'quotes'"
            " UNION SELECT claim_id FROM claim_links WHERE other_claim_id = ?"
            " AND relation != 'quotes'",
            (claim_id, claim_id),
        )
    }
    cluster = conn.execute(
        "SELECT cluster_id FROM claim_clusters WHERE claim_id = ?", (claim_id,)
    ).fetchone()
    if cluster:
        related |= {
            r[0]
            for r in conn.execute(
                "SELECT claim_id FROM claim_clusters WHERE cluster_id = ?", (cluster[0],)
            )
        }
    return related - {claim_id}


def tripoli_series(conn: sqlite3.Connection) -> dict:
    """09TRIPOLI495/496/497 share their paragraphs: is every claim linked across the three?"""
    refs = ["09TRIPOLI495", "09TRIPOLI496", "09TRIPOLI497"]
    ids = {
        ref: conn.execute("SELECT id FROM sources WHERE reference_id = ?", (ref,)).fetchone()[0]
        for ref in refs
    }
    out = {}
    for ref in refs:
        claims = [
            r[0] for r in conn.execute("SELECT id FROM claims WHERE source_id = ?", (ids[ref],))
        ]
        for other in refs:
            if other == ref:
                continue
            theirs = {
                r[0]
                for r in conn.execute("SELECT id FROM claims WHERE source_id = ?", (ids[other],))
            }
            linked = sum(1 for c in claims if _related(conn, c) & theirs)
            out[f"{ref}->{other}"] = f"{linked}/{len(claims)}"
    return out


def shared_paragraphs(conn: sqlite3.Connection) -> dict:
    """Claims of paragraphs that recur word for word in another cable: linked to a copy?"""
    rows = conn.execute(
        "SELECT st.source_id, substr(s.text, st.start + 1, st.end - st.start) FROM structure st"
        " JOIN sources s ON s.id = st.source_id WHERE st.kind = 'paragraph'"
        " AND st.end - st.start > 200"
    ).fetchall()
    by_text: dict[str, set[int]] = {}
    for source_id, text in rows:
        by_text.setdefault(" ".join(text.split()).lower(), set()).add(source_id)
    shared = {t: ids for t, ids in by_text.items() if len(ids) > 1}
    total = linked = 0
    for text, ids in list(shared.items())[:400]:
        first = min(ids)
        for claim_id, claim_text in conn.execute(
            "SELECT id, text FROM claims WHERE source_id = ?", (first,)
        ).fetchall():
            if " ".join(claim_text.split()).lower() not in text:
                continue
            total += 1
            others = {
                r[0]
                for r in conn.execute(
                    f"SELECT id FROM claims WHERE source_id IN ({','.join('?' * (len(ids) - 1))})",
                    sorted(ids - {first}),
                )
            }
            linked += bool(_related(conn, claim_id) & others)
    return {
        "paragraphs_in_more_than_one_cable": len(shared),
        "claims_checked": total,
        "claims_linked_to_a_copy": linked,
        "recall": round(linked / total, 4) if total else None,
    }


_REPLACEMENTS = ["significant", "regional", "foreign", "several", "private", "senior", "public"]


def _mutate(text: str, how: str, rng: random.Random) -> str | None:
    words = text.split(" ")
    middle = [
        i
        for i, w in enumerate(words[2:-2], 2)
        if w.isalpha() and len(w) > 3 and w.lower() not in linking.similarity.STOP_WORDS
    ]
    if not middle:
        return None
    i = rng.choice(middle)
    if how == "changed word":
        new = rng.choice([r for r in _REPLACEMENTS if r != words[i].lower()])
        words[i] = new.upper() if words[i].isupper() else new
        return " ".join(words)
    if how == "cable page line inside":
        return " ".join(words[:i]) + "\nTRIPOLI 00000495 002 OF 003\n" + " ".join(words[i:])
    if how == "page number line inside":
        return " ".join(words[:i]) + "\nPage 2 of 7\n" + " ".join(words[i:])
    raise ValueError(how)


def near_section(cables_db: Path, samples: int = 300) -> dict:
    db_path = _copy_db(cables_db, OUT / "near.db")
    conn = sqlite3.connect(db_path)
    result: dict = {
        "tripoli_series": tripoli_series(conn),
        "shared_paragraphs": shared_paragraphs(conn),
    }
    rng = random.Random(20110203)
    pool = conn.execute(
        "SELECT c.id, c.text, c.norm_key FROM claims c JOIN sources s ON s.id = c.source_id"
        " WHERE s.kind = 'cable' AND length(c.text) BETWEEN 80 AND 400"
        " AND c.text NOT LIKE '%\n%' ORDER BY c.id"
    ).fetchall()
    chosen = rng.sample(pool, samples)
    conn.close()
    mutations = {}
    for how in ("changed word", "cable page line inside", "page number line inside"):
        variants = []
        for claim_id, text, key in chosen:
            changed = _mutate(text, how, rng)
            if changed:
                variants.append((claim_id, key, changed))
        path = OUT / f"variants-{how.replace(' ', '-')}.txt"
        path.write_text(
            "Variants of cable claims written by the linking harness\n\n"
            + "\n\n".join(v for _, _, v in variants),
            encoding="utf-8",
        )
        add_all(db_path, [str(path)])
        conn = sqlite3.connect(db_path)
        source_id = conn.execute("SELECT max(id) FROM sources").fetchone()[0]
        stored = {
            " ".join(t.split()): cid
            for cid, t in conn.execute(
                "SELECT id, text FROM claims WHERE source_id = ?", (source_id,)
            )
        }
        found = linked = 0
        relations: dict[str, int] = {}
        for original, key, changed in variants:
            claim = stored.get(" ".join(changed.split()))
            if claim is None:
                continue  # the claim scorer did not keep the variant as a claim
            found += 1
            copies = {
                r[0] for r in conn.execute("SELECT id FROM claims WHERE norm_key = ?", (key,))
            }
            related = _related(conn, claim)
            if related & (copies | _related(conn, original) | {original}):
                linked += 1
                for (relation,) in conn.execute(
                    "SELECT relation FROM claim_links WHERE claim_id = ? AND other_claim_id IN"
                    f" ({','.join('?' * len(copies))}) LIMIT 1",
                    (claim, *copies),
                ):
                    relations[relation] = relations.get(relation, 0) + 1
        mutations[how] = {
            "variants": len(variants),
            "stored_as_claims": found,
            "linked_to_original": linked,
            "recall": round(linked / found, 4) if found else None,
            "relations": relations,
        }
        conn.close()
    result["restated_claims"] = mutations
    return result


# --- 3. quote tracing on the project's fixtures --------------------------------------------


def quotes_section() -> dict:
    expected = json.loads((QUOTE_FIXTURES.parent / "quotes-expected.json").read_text())["quotes"]
    orders = {
        "originals first": sorted(QUOTE_FIXTURES.iterdir()),
        "stories first": sorted(
            QUOTE_FIXTURES.iterdir(),
            key=lambda p: ("story" not in p.name, "blog" not in p.name, p.name),
        ),
    }
    out = {}
    for label, files in orders.items():
        db_path = OUT / "quotes.db"
        for suffix in ("", "-wal", "-shm"):
            Path(f"{db_path}{suffix}").unlink(missing_ok=True)
        add_all(db_path, [str(f) for f in files])
        conn = sqlite3.connect(db_path)
        names = {i: Path(p).name for i, p in conn.execute("SELECT id, input FROM sources")}
        rows = conn.execute(
            "SELECT source_id, text, traced_source_id, traced_text, differences FROM quotes"
        ).fetchall()
        right_span = misquotes = misquotes_reported = lookalike_links = traced_cases = 0
        failures = []
        for case in expected:
            [row] = [
                r for r in rows if names[r[0]] == case["in"] and r[1].startswith(case["quote"])
            ]
            if case["traced_to"] is None:
                if row[2] is not None:
                    lookalike_links += 1
                    failures.append(case["case"])
                continue
            traced_cases += 1
            ok = names.get(row[2]) == case["traced_to"] and row[3] == case["original"]
            right_span += ok
            differences = json.loads(row[4] or "[]")
            got = [(d["type"], d["quote"], d["original"]) for d in differences]
            want = [(d["type"], d["quote"], d["original"]) for d in case["differences"]]
            if case["misquote"]:
                misquotes += 1
                misquotes_reported += ok and got == want
            if not ok or got != want:
                failures.append(case["case"])
        out[label] = {
            "quotes_traced_to_the_right_span": f"{right_span}/{traced_cases}",
            "planted_misquotes_reported_with_their_difference": f"{misquotes_reported}/{misquotes}",
            "quotes_linked_to_a_look_alike": lookalike_links,
            "failures": failures,
        }
        conn.close()
    return out


# --- 4. scale ------------------------------------------------------------------------------


def who_section(cables_db: Path, runs: int) -> dict:
    from provenance.search import who

    conn = sqlite3.connect(cables_db)
    rng = random.Random(7)
    texts = [
        r[0]
        for r in conn.execute(
            "SELECT text FROM claims WHERE length(text) BETWEEN 80 AND 300 ORDER BY id"
        ).fetchall()
    ]
    queries = rng.sample(texts, 20)
    # Memory in a pass of its own: tracing allocations slows the code it traces.
    tracemalloc.start()
    for text in queries:
        who(conn, text)
    peak_mb = tracemalloc.get_traced_memory()[1] / 1e6
    tracemalloc.stop()
    timings, found = [], 0
    for run in range(runs):
        for text in queries:
            t = time.perf_counter()
            rows = who(conn, text)
            timings.append(time.perf_counter() - t)
            if run == 0:
                found += any(
                    " ".join(x["text"].split()) == " ".join(text.split())
                    for r in rows
                    for x in r["renditions"]
                )
    conn.close()
    return {
        "queries": len(queries),
        "runs": runs,
        "median_ms": round(1000 * statistics.median(timings), 1),
        "p95_ms": round(1000 * sorted(timings)[int(0.95 * len(timings))], 1),
        "query_claim_found": f"{found}/{len(queries)}",
        "peak_python_memory_mb_during_queries": round(peak_mb, 1),
    }


def one_more_source(corpus: Path, cables_db: Path, runs: int) -> dict:
    """Add one more source to the database of all cables: the time linking takes, against the
    time storing it takes without linking (the same inputs, the same database, interleaved)."""
    articles = sorted((corpus / "cables" / "articles_citing_cables").glob("*.html"))[:runs]
    linked, unlinked, totals = [], [], []
    work = OUT / "one-more.db"
    for article in articles:
        for with_linking in (False, True):
            _copy_db(cables_db, work)
            if with_linking:
                with LinkTimer() as timer:
                    report = add_all(work, [str(article)])
                linked.append(sum(timer.calls))
                totals.append(report["seconds"])
            else:
                with linking_off():
                    report = add_all(work, [str(article)])
                unlinked.append(report["seconds"])
    return {
        "sources_added": len(articles),
        "median_link_ms": round(1000 * statistics.median(linked), 1),
        "max_link_ms": round(1000 * max(linked), 1),
        "median_add_ms_with_linking": round(1000 * statistics.median(totals), 1),
        "median_add_ms_without_linking": round(1000 * statistics.median(unlinked), 1),
        "ratio_with_to_without": round(statistics.median(totals) / statistics.median(unlinked), 2),
    }


# --- 5. what Datasette shows ----------------------------------------------------------------


def datasette_section(db_path: Path) -> dict:
    from datasette.app import Datasette

    from provenance.datasette import metadata

    conn = sqlite3.connect(db_path)
    claim = conn.execute(
        "SELECT cc.claim_id FROM claim_clusters cc JOIN claims c ON c.id = cc.claim_id"
        " JOIN sources s ON s.id = c.source_id WHERE s.kind = 'html'"
        " ORDER BY (SELECT count(*) FROM claim_clusters o WHERE o.cluster_id = cc.cluster_id) DESC"
        " LIMIT 1"
    ).fetchone()
    quote = conn.execute(
        "SELECT q.id FROM quotes q JOIN sources s ON s.id = q.source_id"
        " WHERE s.kind = 'html' AND q.traced_source_id IS NOT NULL ORDER BY q.id LIMIT 1"
    ).fetchone()
    conn.close()
    ds = Datasette([str(db_path)], metadata=metadata(db_path.stem))
    name = db_path.stem

    async def fetch(path):
        response = await ds.client.get(path)
        return response.status_code, response.json()

    out: dict = {}
    if claim:
        status, rows = asyncio.run(
            fetch(
                f"/{name}/claim_reports.json?claim_id={claim[0]}&_sort=other_published&_shape=array"
            )
        )
        dates = [r["other_published"] for r in rows]
        out["claim_reports"] = {
            "claim_id": claim[0],
            "status": status,
            "other_sources": len({r["other_source_id"] for r in rows}),
            "earliest_first": dates == sorted(dates, key=lambda d: (d is None, d or "")),
            "first_rows": [
                {k: r[k] for k in ("other_source_id", "other_published", "relation", "score")}
                for r in rows[:5]
            ],
        }
    if quote:
        status, rows = asyncio.run(
            fetch(f"/{name}/quote_origins.json?quote_id={quote[0]}&_shape=array")
        )
        out["quote_origins"] = {
            "quote_id": quote[0],
            "status": status,
            "rows": [
                {
                    k: r[k]
                    for k in (
                        "quote",
                        "traced_source_id",
                        "traced_title",
                        "traced_published",
                        "trace_score",
                    )
                }
                for r in rows
            ],
        }
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--only", nargs="*", default=["citations", "near", "quotes", "scale", "datasette"]
    )
    parser.add_argument("--cables-as", choices=["page", "telegram"], default="page")
    parser.add_argument("--runs", type=int, default=7)
    parser.add_argument("--reuse", action="store_true", help="Reuse a built cables database.")
    parser.add_argument(
        "--no-baseline",
        dest="baseline",
        action="store_false",
        help="Skip the build without linking that the scale section compares against.",
    )
    parser.add_argument("--out", type=Path, default=OUT, help="Where the work files go.")
    args = parser.parse_args()
    set_out(args.out)
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
    if corpus is not None and "near" in args.only:
        report["near"] = near_section(cables_db)
        print(json.dumps({"near": report["near"]}, indent=2))
    if "quotes" in args.only:
        report["quotes"] = quotes_section()
        print(json.dumps({"quotes": report["quotes"]}, indent=2))
    if corpus is not None and "scale" in args.only:
        scale: dict = {"build_with_linking": report.get("build")}
        if args.baseline:
            _, scale["build_without_linking"] = build(corpus, args.cables_as, with_linking=False)
            if scale["build_with_linking"]:
                scale["ratio_with_to_without"] = round(
                    scale["build_with_linking"]["seconds"]
                    / scale["build_without_linking"]["seconds"],
                    2,
                )
        scale["who"] = who_section(cables_db, args.runs)
        scale["one_more_source"] = one_more_source(corpus, cables_db, args.runs)
        report["scale"] = scale
        print(
            json.dumps(
                {"scale": {k: v for k, v in scale.items() if k != "build_with_linking"}}, indent=2
            )
        )
    if corpus is not None and "datasette" in args.only:
        citations_db = OUT / "citations.db"
        if not citations_db.exists():
            citations_section(corpus, cables_db)
        report["datasette"] = datasette_section(citations_db)
        print(json.dumps({"datasette": report["datasette"]}, indent=2))
    (OUT / "linking-report.json").write_text(json.dumps(report, indent=2))


if __name__ == "__main__":
    main()
