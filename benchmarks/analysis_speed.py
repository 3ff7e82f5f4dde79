"""Speed of ``provenance.analysis.analyse`` on cables: MB/s and cables/s on one core.

One command (from the project root):

    .venv/bin/python benchmarks/analysis_speed.py                # 1,000 cables, 3 rounds
    .venv/bin/python benchmarks/analysis_speed.py --cables 6712 --rounds 5

Reads ``cables/cables.jsonl.gz`` of the real corpus at ``../shared/corpus`` (or
``$PROVENANCE_CORPUS``), turns each telegram into its text layer with ``ingest.extract`` (not
timed), then times ``analyse(text, structure)`` over the first ``--cables`` text layers: CPU time
of this process, median of ``--rounds`` rounds. Printed beside it, measured in the same rounds:
sentence splitting alone (``text.sentence_spans``, the floor any analysis pays) and the stages
of analyse (scoring, attribution tagging, quotations) one by one. MB are of the text layers
(UTF-8), the input of analyse.
"""

from __future__ import annotations

import argparse
import gzip
import json
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from provenance import attribution, claims, corpora, ingest  # noqa: E402
from provenance.analysis import analyse  # noqa: E402
from provenance.ingest.base import Hint  # noqa: E402
from provenance.text import sentence_spans  # noqa: E402


def load(limit: int) -> list[tuple[str, list]]:
    path = corpora.corpus_dir() / "cables" / "cables.jsonl.gz"
    if not path.exists():
        return []
    layers = []
    with gzip.open(path, "rt", encoding="utf-8") as fh:
        for line in fh:
            row = json.loads(line)
            data = (row["routing_header"] + "\n\n" + row["body"]).encode("utf-8")
            try:
                record = ingest.extract(data, Hint(name="cable.txt"))
            except Exception:  # noqa: BLE001 - a cable that fails to ingest is not analysed
                continue
            layers.append((record.text, record.structure))
            if len(layers) >= limit:
                break
    return layers


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--cables", type=int, default=1000, help="how many cables to analyse")
    parser.add_argument("--rounds", type=int, default=3, help="rounds (median reported)")
    args = parser.parse_args()
    layers = load(args.cables)
    if not layers:
        print(
            f"[analysis_speed] skipped: no cables under {corpora.corpus_dir()} (set PROVENANCE_CORPUS)"
        )
        return
    mb = sum(len(t.encode("utf-8")) for t, _ in layers) / 1e6

    def run_analyse() -> None:
        for text, structure in layers:
            analyse(text, structure)

    def run_split() -> None:
        for text, _ in layers:
            sentence_spans(text)

    def run_scoring() -> None:
        for text, _ in layers:
            claims.score_sentences([text[a:b] for a, b in sentence_spans(text)])

    def run_attribution() -> None:
        for text, _ in layers:
            attribution.find_attributions(text)

    def run_quotes() -> None:
        for text, _ in layers:
            attribution.find_quotes(text)

    stages: dict[str, Callable[[], None]] = {
        "analyse()": run_analyse,
        "sentence_spans only (baseline)": run_split,
        "  sentences + scoring": run_scoring,
        "  attribution (find_attributions)": run_attribution,
        "  quotations (find_quotes)": run_quotes,
    }
    for text, structure in layers[:20]:  # load the models before timing
        analyse(text, structure)
    seconds: dict[str, list[float]] = {k: [] for k in stages}
    for _ in range(args.rounds):
        for name, run in stages.items():
            started = time.process_time()
            run()
            seconds[name].append(time.process_time() - started)
    print(
        f"analyse() on {len(layers)} cable text layers ({mb:.1f} MB), CPU time of one process,"
        f" median of {args.rounds} rounds; methods {claims.model().version} / {attribution.METHOD}"
    )
    split = statistics.median(seconds["sentence_spans only (baseline)"])
    for name, values in seconds.items():
        s = statistics.median(values)
        print(
            f"   {name:<36} {mb / s:>7.2f} MB/s  {len(layers) / s:>8.0f} cables/s"
            f"   {s / split:>6.1f} x sentence_spans"
        )


if __name__ == "__main__":
    main()
