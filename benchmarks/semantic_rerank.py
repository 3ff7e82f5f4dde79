"""Does semantic rescoring find a claim restated in other words? Full-text ranking against the
same full-text candidates re-ranked by a rescorer.

    .venv/bin/pip install -e '.[train,accurate]'
    .venv/bin/python benchmarks/semantic_rerank.py               # about a minute

The haystack is every sentence (``provenance.text.sentence_spans``) of the 6,712 cables in
``../shared/corpus/cables/cables.jsonl.gz`` in a SQLite FTS5 table. The needles are
``benchmarks/data/restated_claims.json``: claims of 2008 Embassy Tripoli cables restated in
other words, written for this project; the gold answer of each is the sentence of its cable
that holds ``original``. For each restated claim the candidates are what ``who`` asks the
full-text index for when not every word matches: its content words (stop words dropped) joined
with OR, best 100 by bm25. Those candidates are then ordered by

- ``full text``: bm25 alone (what a full-text search shows);
- ``terms dice``: the Dice overlap of canonical terms (``provenance.similarity``: stems,
  synonyms, numbers), the default mode's paraphrase measure, ties broken by bm25;
- ``embeddings``: cosine of the accurate mode's sentence embeddings (``provenance.semantic``),
  ties broken by bm25.

Recall@1, recall@5 and MRR over the cases (a gold sentence the full-text index does not return
among its 100 counts as a miss for every ordering; ``in candidates`` is that ceiling).
A rescorer has the shape of the ranked search's hook: ``(query, texts) -> scores``.
"""

from __future__ import annotations

import argparse
import gzip
import json
import re
import sqlite3
import sys
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from provenance import similarity  # noqa: E402
from provenance.corpora import corpus_dir  # noqa: E402
from provenance.text import sentence_spans  # noqa: E402

CASES = ROOT / "benchmarks" / "data" / "restated_claims.json"
CANDIDATES = 100
Rescorer = Callable[[str, list[str]], list[float]]


@dataclass
class Case:
    """One restated claim, the full-text candidates for it, and which of them is the original."""

    query: str
    candidates: list[str]  # in bm25 order, best first
    gold: int | None  # index into candidates; None when full text did not return it


def cables_path() -> Path:
    return corpus_dir() / "cables" / "cables.jsonl.gz"


def build_index(path: Path, only: str | None = None) -> sqlite3.Connection:
    """Every sentence of every cable (whitespace collapsed) in an in-memory FTS5 table."""
    conn = sqlite3.connect(":memory:")
    conn.execute("CREATE VIRTUAL TABLE sentences USING fts5(ref UNINDEXED, text)")
    rows = []
    with gzip.open(path, "rt", encoding="utf-8") as fh:
        for line in fh:
            cable = json.loads(line)
            if only and not cable["reference_id"].startswith(only):
                continue
            body = cable["body"]
            for a, b in sentence_spans(body):
                text = " ".join(body[a:b].split())
                if len(text) >= 20:
                    rows.append((cable["reference_id"], text))
    conn.executemany("INSERT INTO sentences (ref, text) VALUES (?, ?)", rows)
    return conn


def fts_query(text: str) -> str | None:
    """Content words joined with OR, as ``who`` asks the full-text index for paraphrases."""
    words = [w for w in dict.fromkeys(similarity.words(text)) if re.fullmatch(r"[a-z0-9]+", w)]
    words = [w for w in words if w not in similarity.STOP_WORDS]
    return " OR ".join(f'"{w}"' for w in words) if len(words) >= 2 else None


def load_cases(conn: sqlite3.Connection, path: Path = CASES) -> list[Case]:
    cases = []
    for item in json.loads(path.read_text(encoding="utf-8"))["cases"]:
        query = fts_query(item["restated"])
        found = (
            conn.execute(
                "SELECT ref, text FROM sentences WHERE sentences MATCH ? ORDER BY rank LIMIT ?",
                (query, CANDIDATES),
            ).fetchall()
            if query
            else []
        )
        original = " ".join(item["original"].split())
        gold = next(
            (
                i
                for i, (ref, text) in enumerate(found)
                if ref == item["reference_id"] and original in text
            ),
            None,
        )
        cases.append(Case(item["restated"], [text for _, text in found], gold))
    return cases


def rank_metrics(cases: Sequence[Case], rescorer: Rescorer | None = None) -> dict[str, float]:
    """Recall@1, recall@5 and MRR of the gold candidates, ordered by ``rescorer`` (bm25 order
    breaks its ties) or, without one, in full-text order."""
    at1 = at5 = rr = 0.0
    for case in cases:
        if case.gold is None:
            continue
        order = list(range(len(case.candidates)))
        if rescorer is not None:
            scores = rescorer(case.query, case.candidates)
            order.sort(key=lambda i: (-scores[i], i))
        rank = order.index(case.gold) + 1
        at1 += rank == 1
        at5 += rank <= 5
        rr += 1.0 / rank
    n = len(cases) or 1
    return {"recall@1": at1 / n, "recall@5": at5 / n, "mrr": rr / n}


def terms_dice(query: str, texts: list[str]) -> list[float]:
    """The default mode's paraphrase measure: Dice overlap of canonical terms."""
    mine = set(similarity.terms(query))
    out = []
    for text in texts:
        theirs = set(similarity.terms(text))
        total = len(mine) + len(theirs)
        out.append(2 * len(mine & theirs) / total if total else 0.0)
    return out


def rescorers(graph: Path | None = None) -> dict[str, Rescorer | None]:
    """The orderings compared: full text, the default's terms, and embeddings when installed
    (and those of another graph, such as the fp32 export, when ``graph`` names one)."""
    from provenance import semantic

    chosen: dict[str, Rescorer | None] = {"full text (bm25)": None, "terms dice": terms_dice}
    if semantic.available():
        chosen["embeddings (accurate)"] = semantic.similarities
        if graph is not None:
            chosen[f"embeddings, {graph.name}"] = semantic.Encoder(graph=graph).similarities
    return chosen


def report(cases: Sequence[Case], indent: str = "   ", graph: Path | None = None) -> None:
    """Print recall@1/@5 and MRR of each ordering over the same candidates, with its time."""
    from provenance import semantic

    found = sum(c.gold is not None for c in cases)
    print(
        f"{indent}{len(cases)} restated claims, gold among the {CANDIDATES} full-text"
        f" candidates: {found}"
    )
    for name, rescorer in rescorers(graph).items():
        started = time.process_time()
        m = rank_metrics(cases, rescorer)
        spent = time.process_time() - started
        print(
            f"{indent}{name:<32} recall@1 {m['recall@1']:.3f}  recall@5 {m['recall@5']:.3f}"
            f"  MRR {m['mrr']:.3f}   ({spent:.1f} s CPU)"
        )
    if not semantic.available():
        print(f"{indent}embeddings skipped: {semantic.INSTALL_HINT}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--only", help="index only cables whose id starts with this (faster)")
    parser.add_argument("--graph", type=Path, help="also rank with this ONNX graph (fp32 export)")
    args = parser.parse_args()
    if not cables_path().exists():
        print(f"skipped: {cables_path()} not found (set PROVENANCE_CORPUS)")
        return
    started = time.time()
    conn = build_index(cables_path(), args.only)
    count = conn.execute("SELECT count(*) FROM sentences").fetchone()[0]
    print(f"index: {count} cable sentences ({time.time() - started:.0f} s)")
    report(load_cases(conn), graph=args.graph)


if __name__ == "__main__":
    main()
