"""Ingest speed on real material, against trafilatura on the same pages in the same run.

    python benchmarks/ingest_speed.py [--rounds 5]

Reads ``../shared/corpus`` (or ``$PROVENANCE_CORPUS``); exits 0 with a message when it is
absent. Each round times, one after the other on the same bytes:

- HTML (the pages of ``html/trafilatura`` and ``html/readability``): ``ingest.extract`` (decode,
  parse, metadata, posts, main text), and the baseline ``trafilatura.bare_extraction`` with
  metadata, as the first version of the HTML ingester called it;
- cables: ``ingest.extract`` on the telegrams of ``cables/cables.jsonl.gz`` written out as text;
- PDFs: ``ingest.extract`` on ``pdf/reports``.

It prints the median and spread of the rounds in MB/s (pages/s for PDFs) of CPU time of this
process (one core), and the ratio of ours to the baseline; compare ratios, not absolutes.
"""

from __future__ import annotations

import argparse
import gzip
import json
import logging
import os
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from provenance import ingest  # noqa: E402
from provenance.errors import ProvenanceError  # noqa: E402
from provenance.ingest.base import Hint  # noqa: E402


def corpus_path() -> Path:
    return Path(os.environ.get("PROVENANCE_CORPUS") or ROOT.parent / "shared" / "corpus")


def timed(fn, items) -> float:
    """CPU seconds of this process (less disturbed than wall time on a shared machine)."""
    start = time.process_time()
    for item in items:
        try:
            fn(item)
        except ProvenanceError:
            pass
    return time.process_time() - start


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rounds", type=int, default=5)
    args = parser.parse_args()
    corpus = corpus_path()
    if not corpus.is_dir():
        print(f"corpus not found at {corpus} (set PROVENANCE_CORPUS): nothing measured")
        return 0
    logging.disable(logging.WARNING)
    import trafilatura

    pages = [p.read_bytes() for p in sorted((corpus / "html" / "trafilatura" / "pages").glob("*"))]
    pages += [
        (d / "source.html").read_bytes()
        for d in sorted((corpus / "html" / "readability" / "pages").iterdir())
    ]
    with gzip.open(corpus / "cables" / "cables.jsonl.gz", "rt", encoding="utf-8") as fh:
        cables = [
            (row["routing_header"] + "\n\n" + row["body"]).encode("utf-8")
            for row in map(json.loads, fh)
        ]
    pdfs = [p.read_bytes() for p in sorted((corpus / "pdf" / "reports").glob("*.pdf"))]
    pdf_pages = sum(ingest.extract(p, Hint(name="r.pdf")).page_count for p in pdfs)
    html_mb = sum(map(len, pages)) / 1e6
    cable_mb = sum(map(len, cables)) / 1e6

    def ours(data: bytes) -> None:
        ingest.extract(data, Hint(name="page.html"))

    def baseline(data: bytes) -> None:
        trafilatura.bare_extraction(data, with_metadata=True)

    def cable(data: bytes) -> None:
        ingest.extract(data, Hint(name="cable.txt"))

    def pdf(data: bytes) -> None:
        ingest.extract(data, Hint(name="report.pdf"))

    results: dict[str, list[float]] = {k: [] for k in ("ours", "baseline", "cables", "pdf")}
    for _ in range(args.rounds):
        results["ours"].append(html_mb / timed(ours, pages))
        results["baseline"].append(html_mb / timed(baseline, pages))
        results["cables"].append(cable_mb / timed(cable, cables))
        results["pdf"].append(pdf_pages / timed(pdf, pdfs))
    ratios = [o / b for o, b in zip(results["ours"], results["baseline"], strict=True)]

    def line(name: str, values: list[float], unit: str) -> None:
        print(
            f"{name:<52} median {statistics.median(values):7.2f} {unit}"
            f"   (min {min(values):.2f}, max {max(values):.2f})"
        )

    print(f"{len(pages)} HTML pages ({html_mb:.1f} MB), {len(cables)} cables ({cable_mb:.1f} MB),")
    print(f"{len(pdfs)} PDF reports ({pdf_pages} pages); {args.rounds} rounds, one core\n")
    line("HTML, ingest.extract", results["ours"], "MB/s")
    line("HTML, trafilatura.bare_extraction (baseline)", results["baseline"], "MB/s")
    line("HTML, ours / baseline", ratios, "x")
    line("cables (telegram text), ingest.extract", results["cables"], "MB/s")
    line("PDF reports, ingest.extract", results["pdf"], "pages/s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
