"""Re-anchoring on real news text: random edits whose right answer is known, and the time.

    .venv/bin/python benchmarks/reanchor_edits.py [--articles 300] [--edits 4] [--seed 7]

Reads the PolNeAR news articles of the shared corpus (``../shared/corpus`` from the project
root, or ``$PROVENANCE_CORPUS``). Each article's text layer is cut into paragraphs and
sentences; every sentence is a claim. A random sequence of edits is applied, of the kinds news
sites make and of the kinds that trap anchoring: a paragraph deleted or moved, a word changed in
a sentence, a sentence dropped or set apart in a paragraph of its own, a paragraph from another
article inserted, and a *twin*: a copy of one of the article's paragraphs with one word changed
in every sentence, inserted somewhere (the look-alike Hypothesis's anchoring was reported to
jump to). The edits keep track of where every sentence went, so each re-anchored claim is
checked:

- **wrong**: it landed on another sentence that is still there word for word, or left its own
  sentence although that is still there word for word, or is unchanged/moved but not word for
  word (look-alikes with identical text cannot be told apart and do not count);
- recall: sentences still there word for word that were found (unchanged or moved); sentences
  edited that were found as edited at their own place; deleted sentences left orphaned.

Prints the counts, the statuses, and the median and 95th-percentile time to re-anchor one
article; exits 1 if any claim was wrong. Skips with a message when the corpus is not there.
"""

from __future__ import annotations

import argparse
import os
import random
import re
import statistics
import sys
import time
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from provenance.anchoring import Claim, reanchor  # noqa: E402
from provenance.text import TextBuilder, paragraph_spans, sentence_spans  # noqa: E402

SWAPS = ["council", "ministry", "Tuesday", "seven", "denied", "confirmed", "officials", "2014"]


def corpus_folder() -> Path:
    return Path(os.environ.get("PROVENANCE_CORPUS") or ROOT.parent / "shared" / "corpus")


def article_paragraphs(path: Path) -> list[list[str]]:
    builder = TextBuilder()
    for block in re.split(r"\n\s*\n", path.read_text(encoding="utf-8")):
        builder.add(block)
    text = builder.text()
    return [
        [text[a:b] for a, b in sentence_spans(text, start, end)]
        for start, end in paragraph_spans(text)
    ]


def change_a_word(sentence: str, rng: random.Random) -> str:
    words = list(re.finditer(r"[A-Za-z]{4,}|\d+", sentence))
    if not words:
        return sentence + " Indeed."
    word = rng.choice(words)
    replacement = rng.choice([w for w in SWAPS if w != word.group()])
    return sentence[: word.start()] + replacement + sentence[word.end() :]


def edit(paragraphs, other, rng: random.Random, count: int, ids) -> tuple[list, set[int]]:
    """Apply ``count`` random edits; sentences are ``[id, text]``; returns the new document and
    the ids whose text was edited."""
    new = [[list(s) for s in p] for p in paragraphs]
    edited: set[int] = set()
    for _ in range(count):
        if not new:
            break
        p = rng.randrange(len(new))
        op = rng.choice(["delete", "move", "edit", "drop", "insert", "twin", "split"])
        if op == "delete":
            new.pop(p)
        elif op == "move":
            new.insert(rng.randrange(len(new)), new.pop(p))
        elif op == "edit":
            s = rng.randrange(len(new[p]))
            new[p][s][1] = change_a_word(new[p][s][1], rng)
            edited.add(new[p][s][0])
        elif op == "drop" and len(new[p]) > 1:
            new[p].pop(rng.randrange(len(new[p])))
        elif op == "insert" and other:
            new.insert(rng.randrange(len(new) + 1), [[next(ids), t] for t in rng.choice(other)])
        elif op == "twin":
            twin = [[next(ids), change_a_word(t, rng)] for _, t in new[p]]
            new.insert(rng.randrange(len(new) + 1), twin)
        elif op == "split" and len(new[p]) > 1:
            new.insert(rng.randrange(len(new) + 1), [new[p].pop(rng.randrange(len(new[p])))])
    return new, edited


def render(paragraphs) -> tuple[str, dict[int, tuple[int, int]]]:
    text, where = "", {}
    for p, paragraph in enumerate(paragraphs):
        if p:
            text += "\n\n"
        for s, (sid, sentence) in enumerate(paragraph):
            if s:
                text += " "
            where[sid] = (len(text), len(text) + len(sentence))
            text += sentence
    return text, where


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--articles", type=int, default=300)
    parser.add_argument("--edits", type=int, default=4, help="edits per article")
    parser.add_argument("--seed", type=int, default=7)
    args = parser.parse_args()
    folder = corpus_folder() / "attribution" / "polnear" / "data"
    paths = sorted(folder.glob("*/text/*.txt"))
    if not paths:
        print(f"skipped: the PolNeAR articles are not under {folder} (set PROVENANCE_CORPUS)")
        return 0
    rng = random.Random(args.seed)
    paths = rng.sample(paths, min(args.articles, len(paths)))
    articles = [article_paragraphs(p) for p in paths]
    tally: Counter = Counter()
    statuses: Counter = Counter()
    timings = []
    examples = []
    for number, paragraphs in enumerate(articles):
        ids = iter(range(10**9))
        old = [[[next(ids), s] for s in p] for p in paragraphs]
        other = articles[(number + 1) % len(articles)]
        new, edited = edit(old, other, rng, args.edits, ids)
        old_text, old_where = render(old)
        new_text, new_where = render(new)
        claims = [Claim(sid, a, b, old_text[a:b]) for sid, (a, b) in old_where.items()]
        started = time.perf_counter()
        anchors = reanchor(old_text, new_text, claims)
        timings.append(time.perf_counter() - started)
        owner = {span: sid for sid, span in new_where.items()}
        texts = {sid: old_text[a:b] for sid, (a, b) in old_where.items()}
        intact = {sid for sid in new_where if sid in old_where and sid not in edited}
        for anchor in anchors:
            sid = anchor.claim_id
            statuses[anchor.status] += 1
            tally["claims"] += 1
            if sid in intact:
                tally["intact"] += 1
            elif sid in new_where:
                tally["edited"] += 1
            else:
                tally["gone"] += 1
            if anchor.status == "orphaned":
                tally["orphaned gone" if sid not in new_where else "orphaned present"] += 1
                continue
            landed = owner.get((anchor.start, anchor.end))
            twin_text = landed is not None and texts.get(landed) == anchor.old_text
            wrong = None
            if landed in intact and landed != sid and not twin_text:
                wrong = f"landed on sentence {landed}, which is still there"
            elif sid in intact and landed != sid and not twin_text:
                wrong = "left its own sentence, which is still there"
            elif anchor.status in ("unchanged", "moved") and anchor.text != anchor.old_text:
                wrong = f"{anchor.status} with other words"
            if wrong:
                tally["wrong"] += 1
                examples.append(f"{paths[number].name}: claim {sid} {anchor.status}: {wrong}")
            elif sid in intact and anchor.status in ("unchanged", "moved"):
                tally["intact found"] += 1
            elif sid in edited and sid in new_where and landed == sid:
                tally["edited found"] += 1
    print(f"{len(articles)} articles, {args.edits} random edits each, {tally['claims']} claims")
    print("statuses: " + ", ".join(f"{s} {statuses[s]}" for s in sorted(statuses)))
    print(f"wrong place: {tally['wrong']}")
    for line in examples[:10]:
        print("  " + line)
    print(
        f"still there word for word: {tally['intact']}, found {tally['intact found']} "
        f"({tally['intact found'] / max(1, tally['intact']):.1%})"
    )
    print(
        f"edited: {tally['edited']}, found as edited at their place {tally['edited found']} "
        f"({tally['edited found'] / max(1, tally['edited']):.1%})"
    )
    print(
        f"gone: {tally['gone']}, orphaned {tally['orphaned gone']} "
        f"({tally['orphaned gone'] / max(1, tally['gone']):.1%})"
    )
    timings.sort()
    print(
        f"time to re-anchor one article: median {statistics.median(timings) * 1000:.1f} ms, "
        f"95th percentile {timings[int(len(timings) * 0.95)] * 1000:.1f} ms"
    )
    return 1 if tally["wrong"] else 0


if __name__ == "__main__":
    sys.exit(main())
