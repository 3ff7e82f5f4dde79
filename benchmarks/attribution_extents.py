"""Extent rules for attribution cues and sources, learned from PolNeAR train's gold spans and
measured on both taggers without retraining either.

Each rule rewrites a paragraph's tagged segments before they are grouped into attributions
(both taggers share the grouping). The tables behind them count, in the gold spans, how often
a span goes on over the next word: for a pair of words (the span's last word, the next one),
or the next word alone when the pair was seen fewer than ``MIN_SEEN`` times.

- ``cue-trim-right θ`` / ``cue-trim-left θ``: drop a predicted cue's last (first) word while
  gold cues go on over it in fewer than θ of the cases ("said happily" → "said");
- ``cue-extend-right θ`` / ``cue-extend-left θ``: take in the next (previous) untagged word
  of the sentence while gold cues go on over it in at least θ ("called" → "called for");
- ``cue-lexicon θ``: drop a predicted cue none of whose words is inside a gold cue in θ of
  its occurrences in train (cue heads the annotators rarely mark);
- ``cue-add θ``: tag an untagged word that is inside a gold cue in at least θ of its (at
  least 20) occurrences as a one-word cue (cues the tagger missed);
- ``cue-merge``: join two cues of one sentence with at most three untagged words and no
  punctuation between them ("punctuated" … "saying");
- ``source-trim-right θ`` / ``source-trim-left θ``: as the cue trims, with the gold sources
  (titles, appositions, time words).

The default CRF is measured by 5-fold cross-validation on PolNeAR train: the fold models of
``benchmarks/attribution_decoding.py --crf`` (decoded with the shipped card's
``decoding_bias``), each fold's rules learned from the gold of the other four. The accurate
tagger was trained on all of train, so its rules are learned from all of train's gold and it
is measured on the two halves of PolNeAR dev (articles split by their name's sha256): a rule
would be chosen on one half and reported on the other. Its labels are cached under
``benchmarks/out`` (keyed by the graph's sha256).

    .venv/bin/python benchmarks/attribution_extents.py --folds benchmarks/out/crf-folds
"""

from __future__ import annotations

import argparse
import bisect
import hashlib
import os
import pickle
import sys
from collections import Counter
from collections.abc import Callable
from pathlib import Path

os.environ.setdefault("OMP_NUM_THREADS", "1")

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "scripts"))
sys.path.insert(0, str(ROOT / "benchmarks"))

from attribution_decoding import CACHE, CrossValidated  # noqa: E402
from claims_accuracy import _hull, attribution_scores  # noqa: E402

from provenance import attribution, corpora  # noqa: E402
from provenance.text import paragraph_spans  # noqa: E402

#: A pair of words seen fewer times than this falls back to the next word alone.
MIN_SEEN = 5
#: Punctuation a merged cue may not span.
_STOPS = frozenset(',.;:!?"“”')

Segment = tuple[str, int, int]


class Tables:
    """Counts from gold spans of one role: pairs and words a span goes on over or stops at,
    and (cues) how often each word is inside a span."""

    def __init__(self, articles: list[corpora.Article], role: str) -> None:
        self.go_on: Counter = Counter()  # ("r"|"l", inside word, next word) and ("r"|"l", word)
        self.stop: Counter = Counter()
        self.inside: Counter = Counter()
        self.seen: Counter = Counter()
        for article in articles:
            text = article.text
            tokens = attribution.tokenize(text)
            words = [attribution._key(text[a:b]) for a, b in tokens]
            self.seen.update(words)
            starts = [a for a, _ in tokens]
            spans = set()
            for gold in article.attributions:
                span = getattr(gold, role)
                if span is None:
                    continue
                a, b = _hull(text, span.parts)
                i = j = bisect.bisect_left(starts, a)
                while j < len(tokens) and tokens[j][1] <= b:
                    j += 1
                if j > i:
                    spans.add((i, j))
            for i, j in spans:
                self.inside.update(words[i:j])
                for k in range(i + 1, j):
                    self._count(self.go_on, "r", words[k - 1], words[k])
                    self._count(self.go_on, "l", words[j - 1 - (k - i)], words[j - 2 - (k - i)])
                if j < len(words):
                    self._count(self.stop, "r", words[j - 1], words[j])
                if i > 0:
                    self._count(self.stop, "l", words[i], words[i - 1])

    @staticmethod
    def _count(counter: Counter, side: str, inside: str, next_word: str) -> None:
        counter[(side, inside, next_word)] += 1
        counter[(side, next_word)] += 1

    def goes_on(self, side: str, inside: str, next_word: str) -> float | None:
        """Share of gold spans ending with ``inside`` that go on over ``next_word``."""
        for key in ((side, inside, next_word), (side, next_word)):
            seen = self.go_on[key] + self.stop[key]
            if seen >= MIN_SEEN:
                return self.go_on[key] / seen
        return None

    def cue_rate(self, word: str) -> float | None:
        return self.inside[word] / self.seen[word] if self.seen[word] >= MIN_SEEN else None


def _trim(span: list[int], words: list[str], tables: Tables, side: str, least: float) -> None:
    while span[1] - span[0] >= 2:
        if side == "r":
            share = tables.goes_on("r", words[span[1] - 2], words[span[1] - 1])
        else:
            share = tables.goes_on("l", words[span[0] + 1], words[span[0]])
        if share is None or share >= least:
            return
        span[1 if side == "r" else 0] += -1 if side == "r" else 1


def _extend(span, words, tables, side, least, free: Callable[[int], bool]) -> None:
    while True:
        k = span[1] if side == "r" else span[0] - 1
        if not free(k):
            return
        inside = words[span[1] - 1] if side == "r" else words[span[0]]
        share = tables.goes_on(side, inside, words[k])
        if share is None or share < least:
            return
        span[1 if side == "r" else 0] += 1 if side == "r" else -1


def apply_rule(
    text: str,
    tokens: list[tuple[int, int]],
    segs: list[Segment],
    rule: tuple[str, float],
    cues: Tables,
    sources: Tables,
) -> list[Segment]:
    """The segments of one paragraph rewritten by ``rule`` (name, threshold)."""
    name, least = rule
    words = [attribution._key(text[a:b]) for a, b in tokens]
    sentence = attribution._sentence_of([text[a:b] for a, b in tokens])
    tagged = [False] * len(words)
    for _, first, stop in segs:
        tagged[first:stop] = [True] * (stop - first)
    if name == "cue-add":
        added = [
            ("C", k, k + 1)
            for k, w in enumerate(words)
            if not tagged[k] and cues.seen[w] >= 20 and cues.inside[w] / cues.seen[w] >= least
        ]
        return sorted(segs + added, key=lambda s: s[1])
    if name == "cue-merge":
        out: list[Segment] = []
        for seg in segs:
            last = out[-1] if out else None
            if (
                seg[0] == "C"
                and last is not None
                and last[0] == "C"
                and 0 < seg[1] - last[2] <= 3
                and sentence[last[1]] == sentence[seg[1]]
                and not any(words[k] in _STOPS for k in range(last[2], seg[1]))
            ):
                out[-1] = ("C", last[1], seg[2])
            else:
                out.append(seg)
        return out
    role, _, action = name.partition("-")
    tables = cues if role == "cue" else sources
    out = []
    for seg in segs:
        if seg[0] != ("C" if role == "cue" else "S"):
            out.append(seg)
            continue
        span = [seg[1], seg[2]]
        if action.startswith("trim"):
            _trim(span, words, tables, "l" if action.endswith("left") else "r", least)
        elif action.startswith("extend"):
            this = sentence[seg[1]]

            def free(k: int, this: int = this) -> bool:
                return 0 <= k < len(words) and not tagged[k] and sentence[k] == this

            _extend(span, words, tables, "l" if action.endswith("left") else "r", least, free)
        elif action == "lexicon":
            rates = [cues.cue_rate(w) for w in words[span[0] : span[1]]]
            if all(r is not None and r < least for r in rates):
                continue
        out.append((seg[0], span[0], span[1]))
    return out


RULES: list[tuple[str, float]] = [
    ("cue-trim-right", 0.2),
    ("cue-trim-right", 0.35),
    ("cue-trim-left", 0.2),
    ("cue-extend-right", 0.8),
    ("cue-extend-right", 0.9),
    ("cue-extend-left", 0.8),
    ("cue-lexicon", 0.02),
    ("cue-lexicon", 0.05),
    ("cue-add", 0.9),
    ("cue-add", 0.8),
    ("cue-merge", 0.0),
    ("source-trim-right", 0.1),
    ("source-trim-right", 0.2),
    ("source-trim-left", 0.1),
]


#: Word pairs whose counts are printed: how consistently the annotators drew cue extents.
EXAMPLES = [
    ("said", "friday"),
    ("said", "in"),
    ("said", "on"),
    ("said", "of"),
    ("told", "reporters"),
    ("said", "that"),
    ("according", "to"),
    ("called", "for"),
]


def measure(
    articles: list[corpora.Article],
    labels: list[list[list[str]]],
    accurate: bool,
    rule: tuple[str, float] | None,
    tables: list[tuple[Tables, Tables]],
) -> dict[str, float]:
    """Source and cue exact and content overlap F1 over ``articles`` tagged ``labels``
    (one list per article), ``rule`` applied with the article's ``tables``."""
    given = iter(zip(labels, tables, strict=True))
    split = attribution._split_overlong_sources
    tag = attribution.tag_paragraphs

    class Given:
        def tag_paragraphs(self, _text: str, _paragraphs: list) -> list[list[str]]:
            return current[0]

    current: tuple = ([], None)

    def rewritten(text: str, tokens: list, segs: list[Segment]) -> list[Segment]:
        segs = split(text, tokens, segs)
        return apply_rule(text, tokens, segs, rule, *current[1]) if rule else segs

    def find(text: str) -> list:
        nonlocal current
        current = next(given)
        attribution._split_overlong_sources = rewritten
        attribution.tag_paragraphs = Given().tag_paragraphs
        try:
            # the accurate tagger's labels are grouped as find_attributions groups a tagger's
            return attribution.find_attributions(text, tagger=Given() if accurate else None)
        finally:
            attribution._split_overlong_sources = split
            attribution.tag_paragraphs = tag

    result = attribution_scores(articles, find)
    return {k: result[k][2] for k in ("source", "cue", "content_overlap")}


def half_of(name: str) -> int:
    """The half of PolNeAR dev an article is in."""
    return int(hashlib.sha256(name.encode("utf-8")).hexdigest(), 16) % 2


def accurate_dev_labels(articles: list[corpora.Article]) -> list[list[list[str]]] | None:
    from provenance import semantic

    if semantic._runtime() is None:
        print(f"accurate tagger skipped: {semantic.INSTALL_HINT}")
        return None
    tagger = semantic.AttributionTagger(threads=1)
    graph = semantic._model_dir() / tagger.card["file"]
    digest = hashlib.sha256(graph.read_bytes()).hexdigest()[:16]
    path = CACHE / f"attribution-dev-labels-{digest}-{tagger.version}.pkl"
    if path.exists():
        with path.open("rb") as f:
            return pickle.load(f)
    labels = []
    for article in articles:
        text = article.text
        paragraphs = [attribution.tokenize(text, a, b) for a, b in paragraph_spans(text)]
        labels.append(tagger.tag_paragraphs(text, paragraphs))
    CACHE.mkdir(parents=True, exist_ok=True)
    with path.open("wb") as f:
        pickle.dump(labels, f)
    return labels


def fmt(result: dict[str, float]) -> str:
    return f"S {result['source']:.4f} C {result['cue']:.4f} Q {result['content_overlap']:.4f}"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--folds", type=Path, default=CACHE / "crf-folds", help="the CRF's fold models"
    )
    parser.add_argument("--no-crf", action="store_true", help="only the accurate tagger")
    args = parser.parse_args()
    if not corpora.polnear_files("train"):
        print(f"skipped: no PolNeAR under {corpora.corpus_dir()}")
        return 0
    train = corpora.read_polnear("train")
    cues = Tables(train, "cue")
    print("train gold cues ending with the first word that go on over the second:")
    for inside, following in EXAMPLES:
        went = cues.go_on[("r", inside, following)]
        seen = went + cues.stop[("r", inside, following)]
        print(f"  {inside} + {following}: {went} of {seen}")
    rules: list = [None, *RULES]
    crf_rows: dict = {}
    if not args.no_crf:
        from train_attribution import FOLDS, fold_of

        data = CrossValidated(args.folds)
        labels = data.labels(attribution.model_card().get("decoding_bias") or {})
        by_fold = []
        for k in range(FOLDS):
            others = [a for a in train if fold_of(a.name) != k]
            by_fold.append((Tables(others, "cue"), Tables(others, "source")))
        tables = [by_fold[k] for k in data.folds]
        for rule in rules:
            crf_rows[rule] = measure(data.articles, labels, False, rule, tables)
            print(f"  CRF 5-fold CV  {rule or 'no rule'}: {fmt(crf_rows[rule])}", flush=True)
    dev = corpora.read_polnear("dev")
    accurate_labels = accurate_dev_labels(dev)
    halves: dict = {}
    if accurate_labels is not None:
        everything = (cues, Tables(train, "source"))
        for h in (0, 1):
            chosen = [k for k, a in enumerate(dev) if half_of(a.name) == h]
            articles = [dev[k] for k in chosen]
            given = [accurate_labels[k] for k in chosen]
            for rule in rules:
                result = measure(articles, given, True, rule, [everything] * len(chosen))
                halves[(h, rule)] = result
                print(
                    f"  accurate, dev half {h} ({len(chosen)} files)  {rule or 'no rule'}:"
                    f" {fmt(result)}",
                    flush=True,
                )
    print(
        "\nrule                        CRF 5-fold CV on train           accurate, dev halves 0 | 1"
    )
    for rule in rules:
        name = f"{rule[0]} {rule[1]:g}" if rule else "none"
        crf = fmt(crf_rows[rule]) if rule in crf_rows else ""
        acc = " | ".join(fmt(halves[(h, rule)]) for h in (0, 1) if (h, rule) in halves)
        print(f"{name:<27} {crf:<32} {acc}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
