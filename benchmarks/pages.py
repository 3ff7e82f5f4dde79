"""Speed of the published pages on a database of a million claims.

One command (from the project root):

    .venv/bin/python benchmarks/pages.py              # builds once (minutes), then times
    .venv/bin/python benchmarks/pages.py --claims 200000 --runs 5

Reads the real corpus at ``../shared/corpus`` (or ``$PROVENANCE_CORPUS``) and skips with a
message when it is absent. The database (``benchmarks/out/pages-<claims>.db``, reused until the
tool version changes) is built from the 125 raw 2008 Embassy Tripoli cable pages and the 19
WikiLeaks editorial pages that cite cables (and the project's sample PDF report), added with the library as ``provenance add`` adds
them; their sources, claims, attributions, quotations, citations and structure are then copied
(with every offset kept, so ``text[start:end] == claim`` still holds) until the claims table
holds ``--claims`` rows, each copied claim linked to its original, and the full-text indexes
are rebuilt.

Each page is requested through Datasette's client, published as ``provenance serve`` publishes
it (immutable, table counts cached, the project's configuration), and, for Datasette's own
pages, also through a Datasette with its default settings and no configuration (the database
opened mutable, as ``datasette file.db`` does). Rounds alternate the two; the table gives
medians of ``--runs`` rounds after a warm-up, the ratio of the defaults to the published site
for Datasette's pages, and for every page the ratio to the claim's own row page
(``/DB/claims/ID``, a primary-key lookup) measured in the same rounds.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import math
import os
import sqlite3
import statistics
import sys
import tempfile
import time
from pathlib import Path
from urllib.parse import quote_plus

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from datasette.app import Datasette  # noqa: E402

from provenance import __version__, pipeline  # noqa: E402
from provenance.datasette import datasette_kwargs  # noqa: E402
from provenance.datasette.serving import checkpoint, write_inspect_file  # noqa: E402
from provenance.db import open_db  # noqa: E402

OUT = ROOT / "benchmarks" / "out"

#: Tables copied, with the columns that hold ids of which table (offset per copy).
COPIED = {
    "sources": {"id": "sources", "parent_id": "sources"},
    "structure": {"id": "structure", "source_id": "sources"},
    "claims": {"id": "claims", "source_id": "sources"},
    "attributions": {
        "id": "attributions",
        "source_id": "sources",
        "claim_id": "claims",
        "cited_source_id": "sources",
    },
    "quotes": {
        "id": "quotes",
        "source_id": "sources",
        "claim_id": "claims",
        "traced_source_id": "sources",
    },
    "citations": {
        "id": "citations",
        "citing_source_id": "sources",
        "claim_id": "claims",
        "cited_source_id": "sources",
    },
    "claim_links": {"claim_id": "claims", "other_claim_id": "claims"},  # new ids
}


def corpus_dir() -> Path:
    return Path(os.environ.get("PROVENANCE_CORPUS") or ROOT.parent / "shared" / "corpus")


def build(path: Path, corpus: Path, claims_wanted: int) -> None:
    """Add the corpus pages, then copy their rows until there are ``claims_wanted`` claims."""
    building = path.with_suffix(".building")
    for stale in building.parent.glob(building.name + "*"):
        stale.unlink()
    db = open_db(building)
    inputs = sorted((corpus / "cables" / "html_08TRIPOLI").glob("*.html"))
    inputs += sorted((corpus / "cables" / "articles_citing_cables").glob("*.html"))
    # A PDF report (the project's sample), so that the page images and boxes are measured too.
    inputs += sorted((ROOT / "sources").glob("*.pdf"))
    started = time.perf_counter()
    results = list(pipeline.add(db, [str(p) for p in inputs]))
    added = sum(r.status == "added" for r in results)
    conn = db.conn
    base = conn.execute("SELECT count(*) FROM claims").fetchone()[0]
    print(f"added {added} documents ({base} claims) in {time.perf_counter() - started:.0f} s")
    stride = {
        t: conn.execute(f"SELECT coalesce(max(id), 0) FROM {t}").fetchone()[0] for t in COPIED
    }
    copies = max(0, math.ceil(claims_wanted / max(base, 1)) - 1)
    started = time.perf_counter()
    conn.execute("BEGIN")
    for k in range(1, copies + 1):
        for table, id_columns in COPIED.items():
            columns = [row[1] for row in conn.execute(f"PRAGMA table_info({table})")]
            if "id" not in id_columns:
                columns.remove("id")
            select = [
                f"{c} + {k * stride[id_columns[c]]}" if c in id_columns else f"[{c}]"
                for c in columns
            ]
            conn.execute(
                f"INSERT INTO {table} ({', '.join(f'[{c}]' for c in columns)})"
                f" SELECT {', '.join(select)} FROM {table} WHERE id <= {stride[table]}"
            )
        conn.execute(
            "INSERT INTO claim_links (claim_id, other_claim_id, relation, score, method,"
            " tool_version) SELECT id + ?, id, 'same', 1.0, 'benchmark-copy', ? FROM claims"
            " WHERE id <= ?",
            (k * stride["claims"], __version__, stride["claims"]),
        )
    conn.execute("COMMIT")
    print(f"copied {copies} times in {time.perf_counter() - started:.0f} s")
    started = time.perf_counter()
    conn.execute("INSERT INTO claims_fts (claims_fts) VALUES ('rebuild')")
    conn.execute("INSERT INTO sources_fts (sources_fts) VALUES ('rebuild')")
    print(f"full-text indexes rebuilt in {time.perf_counter() - started:.0f} s")
    conn.close()
    assert checkpoint(building)
    building.rename(path)


def pick(conn: sqlite3.Connection, last: bool = False) -> dict[str, str]:
    """Ids and words the pages are asked about: an original claim with a quote and links (the
    first one, or with ``last`` the one stored last), a news article that quotes a stored
    source, a cable that others quote, a page of a PDF with a claim on it, and the words of
    the claim as a reader would paste them."""
    order = "DESC" if last else "ASC"
    claim_id, source_id = (
        conn.execute(
            "SELECT c.id, c.source_id FROM claims c JOIN quotes q ON q.claim_id = c.id"
            f" WHERE q.traced_source_id IS NOT NULL ORDER BY c.id {order} LIMIT 1"
        ).fetchone()
        or conn.execute(f"SELECT id, source_id FROM claims ORDER BY id {order} LIMIT 1").fetchone()
    )
    reference = conn.execute(
        "SELECT s.reference_id FROM citations c JOIN sources s ON s.id = c.cited_source_id"
        " WHERE s.reference_id IS NOT NULL ORDER BY c.id LIMIT 1"
    ).fetchone()
    article = conn.execute(
        "SELECT q.source_id FROM quotes q JOIN sources s ON s.id = q.source_id"
        f" WHERE q.traced_source_id IS NOT NULL AND s.kind IN ('html', 'post')"
        f" ORDER BY q.id {order} LIMIT 1"
    ).fetchone()
    cable = (
        conn.execute(
            "SELECT q.traced_source_id FROM quotes q JOIN sources s ON s.id = q.traced_source_id"
            f" WHERE s.kind = 'cable' ORDER BY q.id {order} LIMIT 1"
        ).fetchone()
        or conn.execute(
            f"SELECT id FROM sources WHERE kind = 'cable' ORDER BY id {order} LIMIT 1"
        ).fetchone()
    )
    pdf = conn.execute(
        "SELECT c.source_id, c.page, c.id FROM sources s JOIN claims c ON c.source_id = s.id"
        f" WHERE s.kind = 'pdf' AND c.page IS NOT NULL ORDER BY s.id {order}, c.id LIMIT 1"
    ).fetchone()
    text = conn.execute("SELECT text FROM claims WHERE id = ?", (claim_id,)).fetchone()[0]
    return {
        "claim": str(claim_id),
        "source": str(source_id),
        "reference": reference[0] if reference else "08TRIPOLI120",
        "article": str(article[0] if article else source_id),
        "cable": str(cable[0]) if cable else str(source_id),
        "pdf": str(pdf[0]) if pdf else "",
        "pdf_page": str(pdf[1]) if pdf else "",
        "pdf_claim": str(pdf[2]) if pdf else "",
        "paste": " ".join(text.split()[:12]),
    }


def site_pages(db: str, ids: dict[str, str]) -> list[tuple[str, str]]:
    """(name, path) of the pages a fact-checker reads: the front door, the answer to a pasted
    claim, a news article's and a cable's source pages, a PDF page with a boxed claim and its
    image, and a claim page."""
    listing = [
        ("front door (/)", "/"),
        ("paste-a-claim answer", f"/{db}/-/search?q={quote_plus(ids['paste'])}"),
        ("news article source page", f"/{db}/-/source/{ids['article']}"),
        ("cable source page", f"/{db}/-/source/{ids['cable']}"),
        ("claim page", f"/{db}/-/claim/{ids['claim']}"),
    ]
    if ids.get("pdf"):
        page = f"/{db}/-/source/{ids['pdf']}/page/{ids['pdf_page']}"
        listing += [
            ("PDF page view, boxed claim", f"{page}?claim={ids['pdf_claim']}"),
            ("PDF page image (cached)", f"{page}.png"),
        ]
    return listing


def pages(db: str, ids: dict[str, str], word: str) -> list[tuple[str, str, bool]]:
    """(name, path, is one of Datasette's own pages)."""
    site = [(label, path, False) for label, path in site_pages(db, ids)]
    return site + [
        ("claim row page (baseline)", f"/{db}/claims/{ids['claim']}", True),
        ("index", "/", True),
        ("database", f"/{db}", True),
        ("claims table", f"/{db}/claims", True),
        ("claims table, search", f"/{db}/claims?_search={word}", True),
        ("sources table (facets)", f"/{db}/sources", True),
        ("attributions table (facets)", f"/{db}/attributions", True),
        ("source page", f"/{db}/-/source/{ids['source']}", False),
        ("search page", f"/{db}/-/search?q={word}", False),
        ("who_reported_first", f"/{db}/who_reported_first?text={word}", False),
        ("claims_citing_source", f"/{db}/claims_citing_source?source={ids['reference']}", False),
        ("unresolved_citations", f"/{db}/unresolved_citations", False),
        ("failed_ingests", f"/{db}/failed_ingests", False),
    ]


async def timed(ds: Datasette, path: str) -> tuple[float, int]:
    """Milliseconds to answer ``path``, and the bytes of the answer."""
    started = time.perf_counter()
    response = await ds.client.get(path)
    elapsed = time.perf_counter() - started
    if response.status_code != 200:
        raise RuntimeError(f"{path}: HTTP {response.status_code}")
    return elapsed * 1000, len(response.content)


def published_site(path: Path, inspect_file: Path, cache: Path) -> Datasette:
    """A Datasette as `provenance serve` publishes ``path``, its page images cached in
    ``cache``."""
    from provenance.datasette import pages as site
    from provenance.datasette.pdfpages import PageImages

    ds = Datasette(
        immutables=[str(path)],
        inspect_data=json.loads(inspect_file.read_text()),
        **datasette_kwargs(path.stem),
    )
    site._PAGE_IMAGES[ds] = PageImages(cache)
    return ds


async def measure(path: Path, inspect_file: Path, runs: int, word: str) -> None:
    name = path.stem
    cache = Path(tempfile.mkdtemp(prefix="provenance-bench-pages-"))
    published = published_site(path, inspect_file, cache)
    defaults = Datasette([str(path)])
    conn = sqlite3.connect(path)
    ids = pick(conn)
    claims, sources = (
        conn.execute(f"SELECT count(*) FROM {t}").fetchone()[0] for t in ("claims", "sources")
    )
    conn.close()
    listing = pages(name, ids, word)
    cold = {}
    for label, page, _ in listing:
        if label.startswith("PDF page"):  # the first request renders (boxes, image)
            cold[label] = (await timed(published, page))[0]
    times: dict[tuple[str, str], list[float]] = {}
    sizes: dict[str, int] = {}
    for round_number in range(runs + 1):  # round 0 warms caches and is not counted
        for label, page, own in listing:
            for which, ds in (("published", published), ("defaults", defaults)):
                if which == "defaults" and not own:
                    continue
                elapsed, size = await timed(ds, page)
                if which == "published":
                    sizes[label] = size
                if round_number:
                    times.setdefault((label, which), []).append(elapsed)
    print(f"\n{claims:,} claims, {sources:,} sources; medians of {runs} rounds (ms)\n")
    print(
        f"{'page':32} {'published':>10} {'KB':>8} {'defaults':>10} {'defaults/':>10}"
        f" {'/ row page':>10}"
    )
    print(f"{'':32} {'':>10} {'':>8} {'':>10} {'published':>10} {'':>10}")
    baseline = statistics.median(times[("claim row page (baseline)", "published")])
    for label, _, own in listing:
        mine = statistics.median(times[(label, "published")])
        theirs = statistics.median(times[(label, "defaults")]) if own else None
        print(
            f"{label:32} {mine:10.1f} {sizes[label] / 1024:8.1f} "
            + (f"{theirs:10.1f} {theirs / mine:10.1f}" if theirs else f"{'':>10} {'':>10}")
            + f" {mine / baseline:10.1f}"
        )
    for label, ms in cold.items():
        print(f"first request, {label}: {ms:.1f} ms (renders with pdfium)")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--claims", type=int, default=1_000_000, help="claims in the database")
    parser.add_argument("--runs", type=int, default=7, help="timed rounds (medians reported)")
    parser.add_argument("--word", default="Qadhafi", help="word the search pages look for")
    args = parser.parse_args()
    corpus = corpus_dir()
    if not (corpus / "cables" / "html_08TRIPOLI").is_dir():
        print(
            f"skipped: no corpus at {corpus} (its cables/html_08TRIPOLI is missing;"
            " set PROVENANCE_CORPUS)"
        )
        return
    OUT.mkdir(parents=True, exist_ok=True)
    (OUT / ".gitignore").write_text("*\n")
    path = OUT / f"pages{args.claims}v{__version__.replace('.', '_')}.db"
    if not path.exists():
        build(path, corpus, args.claims)
    # As `provenance serve` does: migrate, fold the log into the file, cache the counts.
    open_db(path).conn.close()
    assert checkpoint(path)
    inspect_file = path.with_suffix(".inspect.json")
    inspect_file.unlink(missing_ok=True)
    write_inspect_file(path, inspect_file)  # Datasette's inspect runs its own event loop
    asyncio.run(measure(path, inspect_file, args.runs, args.word))


if __name__ == "__main__":
    main()
