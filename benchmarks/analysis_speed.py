"""Speed of ``provenance.analysis.analyse`` on cables: MB/s and cables/s on one core.

One command (from the project root):

    .venv/bin/python benchmarks/analysis_speed.py                # 1,000 cables, 3 rounds
    .venv/bin/python benchmarks/analysis_speed.py --cables 6712 --rounds 5

Reads ``cables/cables.jsonl.gz`` of the real corpus at ``../shared/corpus`` (or
``$PROVENANCE_CORPUS``), turns each telegram into its text layer with ``ingest.extract`` (not
timed), then times ``analyse(text, structure)`` over the first ``--cables`` text layers: CPU time
of this process, median of ``--rounds`` rounds. Printed beside it, measured in the same rounds:
sentence splitting alone (``text.sentence_spans``, the floor any analysis pays) and the stages
of analyse (scoring, attribution tagging, quotations) one by one, and the link preparation a
worker does after analysis (``linking.prepare_links``: features of the claims, word keys,
rendition keys; the analyses it reads are made before timing). MB are of the text layers
(UTF-8), the input of analyse.

The attribution tagger: ``--tagger crfsuite`` runs everything with python-crfsuite tagging
feature strings (the path before the array tagger) instead of the array tagger; the tagging
stage alone is printed for both in the same rounds. Two checks:

    .venv/bin/python benchmarks/analysis_speed.py --compare --cables 6712   # identical labels?
    .venv/bin/python benchmarks/analysis_speed.py --memory --cables 2000    # RSS, each tagger

``--compare`` tags every PolNeAR dev paragraph and every paragraph of the cables with both
taggers and counts the paragraphs whose labels differ (it must be 0), and prints the largest
difference between the array tagger's state scores and crfsuite's sum of feature weights, and
the paragraphs whose tokens (the compiled core's, when it is built) differ from the token
pattern's matches, the cable sentences whose scoring rules (checked by their literals) differ
from every pattern searched, and the cable texts whose word keys for quotation tracing
(``alignment.text_keys``) or whose comparison words (``similarity.words``, of each sentence and
each text) differ from the pure twin's (all must be 0).
``--memory`` analyses the cables in a fresh process per tagger and prints its RSS before and
after (the per-word caches are what differs).
"""

from __future__ import annotations

import argparse
import gzip
import json
import statistics
import subprocess
import sys
import time
import types
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from provenance import alignment, attribution, claims, corpora, ingest, linking, similarity  # noqa: E402
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


def crfsuite_paragraphs(text: str, paragraphs: list[list[tuple[int, int]]]) -> list[list[str]]:
    """``attribution.tag_paragraphs`` by python-crfsuite, one paragraph at a time."""
    return [attribution.tag_paragraph_crfsuite(text, tokens) for tokens in paragraphs]


ARRAY_TAGGER = attribution.tag_paragraphs


def use_tagger(name: str) -> None:
    attribution.tag_paragraphs = crfsuite_paragraphs if name == "crfsuite" else ARRAY_TAGGER


def paragraphs_of(text: str) -> list[list[tuple[int, int]]]:
    return [attribution.tokenize(text, a, b) for a, b in attribution.paragraph_spans(text)]


def compare(layers: list[tuple[str, list]]) -> None:
    """Labels of both taggers on PolNeAR dev and the cables; largest state-score gap."""
    import numpy as np

    # One text per article (an article annotated twice is read twice).
    texts = {"PolNeAR dev": list(dict.fromkeys(a.text for a in corpora.read_polnear("dev")))}
    if not texts["PolNeAR dev"]:
        print(f"[analysis_speed] PolNeAR dev not found under {corpora.corpus_dir()}")
    texts["cables"] = [text for text, _ in layers]
    sentences = [text[a:b] for text in texts["cables"] for a, b in sentence_spans(text)]
    ruled = sum(claims.rule_factor(s) != claims.rule_factor_by_the_patterns(s) for s in sentences)
    print(
        f"   cables: {len(sentences)} sentences; scoring rules that differ from the patterns': {ruled}"
    )
    worded = sum(similarity.words(s) != similarity._words(s) for s in sentences)
    worded += sum(similarity.words(t) != similarity._words(t) for t in texts["cables"])
    print(
        f"   cables: {len(sentences)} sentences and {len(texts['cables'])} texts; comparison"
        f" words that differ from the pure twin's: {worded}"
    )
    same_length = [t for t in texts["cables"] if len(t.casefold()) == len(t)]  # "ß": no twin
    keyed = sum(
        alignment.text_keys.__wrapped__(t) != alignment._word_keys(t.casefold())
        for t in same_length
    )
    print(
        f"   cables: {len(same_length)} texts; word keys that differ from the pure twin's: {keyed}"
    )
    tagger = attribution._fast_tagger()
    for name, corpus in texts.items():
        paragraphs = tokens = differ = split_apart = 0
        gap = 0.0
        for i, text in enumerate(corpus):
            spans = paragraphs_of(text)
            split_apart += sum(
                p != attribution._token_spans(text, a, b)
                for p, (a, b) in zip(spans, attribution.paragraph_spans(text), strict=True)
            )
            fast = ARRAY_TAGGER(text, spans)
            for p, labels in zip(spans, fast, strict=True):
                paragraphs += 1
                tokens += len(p)
                differ += labels != attribution.tag_paragraph_crfsuite(text, p)
            words = [attribution._words_for_tagging(text, p) for p in spans if p]
            if i < 200 and words:
                scores = tagger.emissions(words)
                reference = [
                    crfsuite_state_score(tagger, features)
                    for w in words
                    for features in attribution.token_features(w)
                ]
                gap = max(gap, float(np.abs(scores - np.array(reference)).max()))
        print(
            f"   {name}: {len(corpus)} texts, {paragraphs} paragraphs, {tokens} tokens;"
            f" paragraphs whose labels differ: {differ}; largest state-score difference"
            f" (first 200 texts): {gap:.2e}; paragraphs whose tokens differ from the"
            f" pattern's: {split_apart}"
        )


def crfsuite_state_score(tagger, features: list[str]) -> list[float]:
    """A token's state scores as crfsuite adds them: feature by feature, in order."""
    total = [0.0] * len(tagger.labels)
    for feature in features:
        index = tagger.attributes.get(feature)
        if index is None:
            continue
        for y, weight in enumerate(tagger.state[index].tolist()):
            total[y] += weight
    return total


def rss_mb() -> float:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def memory(args: argparse.Namespace) -> None:
    """RSS of a fresh process analysing the cables, once per tagger."""
    if args.tagger_process:
        use_tagger(args.tagger_process)
        layers = load(args.cables)
        loaded = rss_mb()
        for text, structure in layers:
            analyse(text, structure)
        caches = (
            f"{len(attribution._WORDS)} + {len(attribution._TAGGING_WORDS)} word records"
            if args.tagger_process == "crfsuite"
            else f"{len(attribution._fast_tagger().word_ids)} word vectors"
        )
        print(
            f"   {args.tagger_process:<9} {len(layers)} cables: RSS {loaded:.0f} MB after"
            f" loading, {rss_mb():.0f} MB after analyse() (+{rss_mb() - loaded:.0f} MB);"
            f" caches: {caches}"
        )
        return
    print(f"RSS of one process analysing {args.cables} cables (fresh process per tagger)")
    for tagger in ("crfsuite", "array"):
        command = [sys.executable, __file__, "--memory", "--cables", str(args.cables)]
        subprocess.run([*command, "--tagger-process", tagger], check=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--cables", type=int, default=1000, help="how many cables to analyse")
    parser.add_argument("--rounds", type=int, default=3, help="rounds (median reported)")
    parser.add_argument(
        "--tagger", choices=("array", "crfsuite"), default="array", help="attribution tagger"
    )
    parser.add_argument("--compare", action="store_true", help="labels of both taggers")
    parser.add_argument("--memory", action="store_true", help="RSS with each tagger")
    parser.add_argument("--tagger-process", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.memory:
        return memory(args)
    layers = load(args.cables)
    if not layers:
        print(
            f"[analysis_speed] skipped: no cables under {corpora.corpus_dir()} (set PROVENANCE_CORPUS)"
        )
        return
    if args.compare:
        print(f"Labels of the array tagger against python-crfsuite ({attribution.METHOD})")
        return compare(layers)
    use_tagger(args.tagger)
    paragraphs = [(text, paragraphs_of(text)) for text, _ in layers]
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

    sentences = [text[a:b] for text, _ in layers for a, b in sentence_spans(text)]

    def run_rules() -> None:
        for sentence in sentences:
            claims.rule_factor(sentence)

    def run_rules_by_patterns() -> None:
        for sentence in sentences:
            claims.rule_factor_by_the_patterns(sentence)

    documents = [
        types.SimpleNamespace(text=text, structure=structure) for text, structure in layers
    ]
    analyses = [analyse(text, structure) for text, structure in layers]  # not timed

    def run_link_preparation() -> None:
        for document, analysis in zip(documents, analyses, strict=True):
            linking.prepare_links([document], [analysis])

    def run_tokens() -> None:
        for text, _ in layers:
            paragraphs_of(text)

    def run_tokens_pure() -> None:
        for text, _ in layers:
            [attribution._token_spans(text, a, b) for a, b in attribution.paragraph_spans(text)]

    def run_array_tagging() -> None:
        for text, spans in paragraphs:
            ARRAY_TAGGER(text, spans)

    def run_crfsuite_tagging() -> None:
        for text, spans in paragraphs:
            crfsuite_paragraphs(text, spans)

    stages: dict[str, Callable[[], None]] = {
        "analyse()": run_analyse,
        "sentence_spans only (baseline)": run_split,
        "  sentences + scoring": run_scoring,
        "    scoring rules, by their literals": run_rules,
        "    scoring rules, every pattern": run_rules_by_patterns,
        "  attribution (find_attributions)": run_attribution,
        "    tokenising, as analyse() does": run_tokens,
        "    tokenising, the pattern (pure)": run_tokens_pure,
        "    tagging only, array tagger": run_array_tagging,
        "    tagging only, python-crfsuite": run_crfsuite_tagging,
        "  quotations (find_quotes)": run_quotes,
        "link preparation (prepare_links)": run_link_preparation,
    }
    for text, structure in layers[:20]:  # load the models before timing
        analyse(text, structure)
        ARRAY_TAGGER(text, paragraphs_of(text))
    seconds: dict[str, list[float]] = {k: [] for k in stages}
    for _ in range(args.rounds):
        for name, run in stages.items():
            started = time.process_time()
            run()
            seconds[name].append(time.process_time() - started)
    print(
        f"analyse() on {len(layers)} cable text layers ({mb:.1f} MB), CPU time of one process,"
        f" median of {args.rounds} rounds; methods {claims.model().version} / {attribution.METHOD};"
        f" analyse() tags with the {args.tagger} tagger"
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
