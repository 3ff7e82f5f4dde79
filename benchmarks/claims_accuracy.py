"""Accuracy and speed of claims and attribution: check-worthiness, attribution spans, sentence
spans, what `provenance claims` carries, and sentences per second.

One command (from the project root, after ``.venv/bin/pip install -e '.[train]'``):

    .venv/bin/python benchmarks/claims_accuracy.py            # everything, about 4 minutes
    .venv/bin/python benchmarks/claims_accuracy.py --only attribution,sentences,speed

Reads the real corpus at ``../shared/corpus`` (or ``$PROVENANCE_CORPUS``) and skips a section
with a message when its data is absent.

1. Check-worthiness. F1 of the positive class, 5-fold stratified cross-validation (shuffled,
   seed 0) on ClaimBuster ``train.json``: the shipped recipe (``scripts/train_claims.py``,
   retrained on each fold's training part, scored with the shipped rules) beside the baseline
   of the issue (word 1–2-gram + character 2–5-gram TF-IDF, logistic regression, C=1,
   class-balanced) in the same folds. MAP over the 19 debates of CheckThat! 2019 task 1
   training data, leave-one-debate-out: each debate is ranked by a model that never saw its
   lines (ours: trained on ClaimBuster without any sentence that occurs in a CheckThat! debate;
   baseline: trained on the other 18 debates).
2. Attribution on PolNeAR dev with the shipped tagger (trained on PolNeAR train only). Matching
   rules: every span is trimmed of surrounding whitespace and ``, ; : — – -`` (a span that is
   only such marks, like the cue ":" of a transcript, keeps them); a discontinuous
   cue or source counts as the span from its first to its last character. *Cue exact*: a
   predicted cue equals a gold cue (each gold cue matched at most once). *Source exact*: a
   predicted attribution's source equals the source of a gold attribution whose cue overlaps the
   predicted cue (attributions without a source on either side do not count). *Content
   overlap*: word tokens (``\\w+``) inside predicted content spans against word tokens inside
   gold content spans, P = shared / predicted, R = shared / gold (BBC Citron's overlap measure).
   Exact content and overlap cue/source figures are printed beside them for context. With
   ``--accurate`` the accurate mode's tagger (MiniLM fine-tuned on PolNeAR train,
   ``scripts/train_attribution_finetuned.py``; its labels grouped as the CRF's) is measured
   the same way and printed beside the CRF with its bars (source and cue exact F1 >= 0.78,
   content overlap F1 >= 0.85), with the sentences per second of both on the dev texts:

       .venv/bin/python benchmarks/claims_accuracy.py --only attribution --accurate
3. Sentence spans. Of the PolNeAR dev gold content spans that lie inside one sentence (judged
   by pysbd on the span's own text with its double quote marks blanked out, so that a quoted
   passage of several sentences counts as several), the share that our sentence spans cut.
4. What ``provenance claims --json`` carries: the PolNeAR dev texts added to a scratch
   database with the library, then the share of claims with ``attributed_to`` and ``cue``.
5. Speed: sentences per second (CPU time of this process, one core) for segmentation, scoring,
   attribution and quotations on the PolNeAR train and dev texts; medians of ``--runs`` rounds,
   interleaved with the same stages of the foundation (heuristic scorer, pattern attribution,
   read from git history) as the baseline.
6. Accurate mode beside the default (needs ``pip install -e '.[accurate]'``): sentences per
   second of the default's claim scoring, of the accurate mode's (the fine-tuned model and the
   default's, blended) and of its sentence embeddings on the same sentences (one thread); the int8 encoder's agreement with the original model (from its
   card); and ``benchmarks/semantic_rerank.py``: restated cable claims found among the
   full-text candidates by bm25 alone, by the default's canonical terms, and by embeddings.

Section 1 prints the shipped recipe with and without its word-score block (training it needs
the accurate extra), each beside the baseline of the same folds, and the previous accurate
head (a logistic regression over MiniLM embeddings). With ``--finetuned`` it adds the accurate
mode, MiniLM fine-tuned in the same folds (``scripts/train_claims_finetuned.py``; its int8
graph scores the test sentences, blended with the n-gram scores of the same fold as the
shipped model's card says). Fine-tuning takes about 15 minutes a fold on one core (and as
long for CheckThat!); the script's own ``--folds all --checkthat`` leaves the same results in
``benchmarks/out``, which this reads instead of training again:

    .venv/bin/python benchmarks/claims_accuracy.py --only checkworthiness --finetuned
"""

from __future__ import annotations

import argparse
import re
import statistics
import subprocess
import sys
import tempfile
import time
import types
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "scripts"))
sys.path.insert(0, str(ROOT / "benchmarks"))

from provenance import attribution, claims, corpora  # noqa: E402
from provenance.text import sentence_spans  # noqa: E402

SECTIONS = ("checkworthiness", "attribution", "sentences", "claims", "speed", "accurate")
#: The foundation commit whose scorer and attribution patterns are the speed baseline.
FOUNDATION = "550fbb1"
_TRIM = ",;:—–- \t\n"


def skip(section: str, path: Path) -> None:
    print(f"[{section}] skipped: {path} not found (set PROVENANCE_CORPUS)")


# --- 1. check-worthiness ------------------------------------------------------------------


def baseline_model(texts: list[str], labels: list[int]):
    """The issue's baseline: word + character n-gram TF-IDF, logistic regression."""
    from sklearn.feature_extraction.text import TfidfVectorizer
    from sklearn.linear_model import LogisticRegression
    from sklearn.pipeline import make_pipeline, make_union

    pipe = make_pipeline(
        make_union(
            TfidfVectorizer(ngram_range=(1, 2), sublinear_tf=True),
            TfidfVectorizer(analyzer="char_wb", ngram_range=(2, 5), sublinear_tf=True),
        ),
        LogisticRegression(C=1.0, class_weight="balanced", max_iter=5000),
    )
    pipe.fit(texts, labels)
    return lambda batch: pipe.predict_proba(batch)[:, 1]


def ours_model(
    texts: list[str], labels: list[int], word_vectors: bool = False, shape: bool = False
):
    """A scorer of ``scripts/train_claims.py``'s recipe fitted on these sentences: n-grams
    (``checkworthiness-lr-1``), with word scores, with the shape block, or both (the shipped
    ``checkworthiness-lr-3``)."""
    from train_claims import fit, minilm_word_vectors

    model = fit(texts, labels, minilm_word_vectors() if word_vectors else None, shape)
    return lambda batch: claims.score_sentences(batch, model), model.threshold


def prf(tp: int, fp: int, fn: int) -> tuple[float, float, float]:
    p = tp / (tp + fp) if tp + fp else 0.0
    r = tp / (tp + fn) if tp + fn else 0.0
    return p, r, (2 * p * r / (p + r) if p + r else 0.0)


def positive_f1(labels: list[int], scores: list[float], threshold: float):
    tp = sum(1 for y, s in zip(labels, scores, strict=True) if y and s >= threshold)
    fp = sum(1 for y, s in zip(labels, scores, strict=True) if not y and s >= threshold)
    fn = sum(1 for y, s in zip(labels, scores, strict=True) if y and s < threshold)
    return prf(tp, fp, fn)


def average_precision(labels: list[int], scores: list[float]) -> float:
    ranked = sorted(zip(scores, labels, strict=True), key=lambda t: -t[0])
    hits, total = 0, 0.0
    for k, (_, y) in enumerate(ranked, 1):
        if y:
            hits += 1
            total += hits / k
    return total / hits if hits else 0.0


def _key(text: str) -> str:
    return " ".join(re.findall(r"\w+", text.lower()))


def checkworthiness(finetuned: bool = False) -> None:
    if not corpora.claimbuster_path().exists():
        return skip("checkworthiness", corpora.claimbuster_path())
    try:
        from sklearn.model_selection import StratifiedKFold
    except ImportError:
        print("[checkworthiness] skipped: needs scikit-learn (pip install -e '.[train]')")
        return

    from provenance import semantic

    texts, labels = corpora.read_claimbuster()
    folds = list(StratifiedKFold(5, shuffle=True, random_state=0).split(texts, labels))
    # The recipe with and without the word-score block (which needs the accurate extra at
    # training time only) and the shape block, and the baseline, in the same folds: keys are
    # (word scores, shape); (True, True) is the shipped recipe.
    if semantic.available():
        variants = [(False, False), (True, False), (False, True), (True, True)]
    else:
        variants = [(False, False), (False, True)]
    ours = {v: [0.0] * len(texts) for v in variants}
    base = [0.0] * len(texts)
    threshold = 0.5
    started = time.time()
    lr_head = lr_head_recipe(texts) if semantic.available() else None
    lr_head_scores = [0.0] * len(texts)
    tuned = FinetunedRecipe() if finetuned else None
    tuned_scores = [0.0] * len(texts)
    for k, (train, test) in enumerate(folds):
        tr_x = [texts[i] for i in train]
        tr_y = [labels[i] for i in train]
        te_x = [texts[i] for i in test]
        for variant in variants:
            score, threshold = ours_model(tr_x, tr_y, *variant)
            for i, s in zip(test, score(te_x), strict=True):
                ours[variant][i] = s
        defaults = [ours[False, False][i] for i in test]  # the accurate modes blend n-grams alone
        if lr_head is not None:
            blended = lr_head(list(train), tr_y, list(test), defaults)
            for i, s in zip(test, blended, strict=True):
                lr_head_scores[i] = s
        if tuned is not None:
            for i, s in zip(test, tuned.fold(k, test, defaults), strict=True):
                tuned_scores[i] = s
        for i, s in zip(test, baseline_model(tr_x, tr_y)(te_x), strict=True):
            base[i] = s
    bp, br, bf = positive_f1(labels, base, 0.5)
    print(f"\n1. Check-worthiness ({time.time() - started:.0f} s)")
    print(f"   ClaimBuster train.json, {len(texts)} sentences, 5-fold CV, positive class:")
    names = {
        (False, False): "n-grams (lr-1)",
        (True, False): "+ word scores",
        (False, True): "+ shape",
        (True, True): "+ word scores + shape",
    }
    card = claims.model().card
    shipped = (card.get("word_vectors") is not None, card.get("shape") is not None)
    for variant in variants:
        p, r, f = positive_f1(labels, ours[variant], threshold)
        print(
            f"   ours, {names[variant]:<22} P {p:.3f}  R {r:.3f}  F1 {f:.3f}"
            f"   ours/baseline {f / bf:.3f}"
            + (f"   (shipped: {claims.MODEL_VERSION})" if variant == shipped else "")
        )
    if lr_head is not None:
        p, r, f = positive_f1(labels, lr_head_scores, LR_HEAD_THRESHOLD)
        print(
            f"   {'n-grams + MiniLM LR head':<28} P {p:.3f}  R {r:.3f}  F1 {f:.3f}"
            f"   /baseline {f / bf:.3f}   (checkworthiness-minilm-lr-1, no longer shipped)"
        )
    if tuned is not None:
        p, r, f = positive_f1(labels, tuned_scores, tuned.threshold)
        print(
            f"   {'accurate, fine-tuned MiniLM':<28} P {p:.3f}  R {r:.3f}  F1 {f:.3f}"
            f"   accurate/baseline {f / bf:.3f}   (target >= 0.82; int8 graph, {tuned.note})"
        )
    elif not finetuned:
        print("   (accurate mode, the fine-tuned MiniLM: add --finetuned)")
    print(f"   {'baseline':<28} P {bp:.3f}  R {br:.3f}  F1 {bf:.3f}   (target: ours >= 0.77)")
    if not semantic.available():
        print(f"   (word scores skipped: training them needs {semantic.INSTALL_HINT})")

    if not corpora.checkthat2019_path().exists():
        return skip("checkworthiness", corpora.checkthat2019_path())
    lines = corpora.read_checkthat2019()
    debates = list(corpora.by_debate(lines))
    in_debates = {_key(line.text) for line in lines}
    keep = [i for i, t in enumerate(texts) if _key(t) not in in_debates]
    kept_texts, kept_labels = [texts[i] for i in keep], [labels[i] for i in keep]
    # The shipped recipe where this install can train it (word scores need the accurate extra).
    fitted = shipped if shipped in variants else (False, False)
    score, _ = ours_model(kept_texts, kept_labels, *fitted)
    # The accurate modes' blends take the n-gram recipe, as in the folds above.
    plain = ours_model(kept_texts, kept_labels)[0] if fitted != (False, False) else score
    ours_ap, base_ap = [], []
    for name, held_out in debates:
        batch = [line.text for line in held_out]
        gold = [line.label for line in held_out]
        ours_ap.append(average_precision(gold, score(batch)))
        others = [line for other, ls in debates if other != name for line in ls]
        base_score = baseline_model([x.text for x in others], [x.label for x in others])
        base_ap.append(average_precision(gold, list(base_score(batch))))
    m, bm = statistics.mean(ours_ap), statistics.mean(base_ap)
    print(f"   CheckThat! 2019 task 1 training data, {len(debates)} debates, leave-one-debate-out:")
    print(
        f"   ours      MAP {m:.3f}   (target >= 0.28; ClaimBuster minus {len(texts) - len(keep)}"
        f" sentences that occur in the debates; {names[fitted]}"
        + (
            f", the shipped {claims.MODEL_VERSION})"
            if fitted == shipped
            else ", not the shipped recipe)"
        )
    )
    if lr_head is not None:
        head = lr_head(keep, [labels[i] for i in keep], None, None)
        head_ap = []
        for _, held_out in debates:
            batch = [line.text for line in held_out]
            gold = [line.label for line in held_out]
            head_ap.append(average_precision(gold, head(batch, plain(batch))))
        print(f"   LR head   MAP {statistics.mean(head_ap):.3f}   (checkworthiness-minilm-lr-1)")
    if tuned is not None:
        debate_scores, weight = tuned.debates(keep, lines)
        position = {id(line): k for k, line in enumerate(lines)}
        tuned_ap = []
        for _, held_out in debates:
            rows = [position[id(line)] for line in held_out]
            defaults = plain([line.text for line in held_out])
            blended = blend([debate_scores[k] for k in rows], defaults, weight)
            tuned_ap.append(average_precision([line.label for line in held_out], blended))
        print(
            f"   accurate  MAP {statistics.mean(tuned_ap):.3f}   (target >= 0.28; fine-tuned"
            f" MiniLM on the same {len(keep)} sentences, int8 graph)"
        )
    print(f"   baseline  MAP {bm:.3f}   ours/baseline {m / bm:.3f}")


LR_HEAD_THRESHOLD = 0.5


def lr_head_recipe(texts: list[str]):
    """The previous accurate head's recipe (scripts/train_claims_accurate.py), for
    comparison: a logistic regression over ClaimBuster's embeddings by the shipped encoder,
    its probability blended with the default's. ``fit(train_ids, labels, test_ids,
    default_scores)`` returns the blended scores of ``test_ids``; with ``test_ids`` None it
    returns a scorer of new texts ``(batch, default_scores) -> blended``."""
    from train_claims_accurate import BLEND, blend_head, embeddings, fit

    from provenance import semantic

    vectors = embeddings(texts)

    def run(train_ids, train_labels, test_ids, default_scores):
        head = fit(vectors[train_ids], train_labels)
        if test_ids is not None:
            return blend_head(head, vectors[test_ids], default_scores, BLEND)
        return lambda batch, scores: blend_head(head, semantic.embed(batch), scores, BLEND)

    return run


def blend(model: list[float], defaults: list[float], weight: float) -> list[float]:
    """The accurate mode's score: ``weight`` of the model's probability, the rest the
    default's (as provenance.semantic.ClaimScorer.checkworthiness)."""
    return [weight * m + (1 - weight) * d for m, d in zip(model, defaults, strict=True)]


class FinetunedRecipe:
    """The accurate mode's recipe (scripts/train_claims_finetuned.py) in the benchmark's
    folds: each fold's model is fine-tuned on the other four (about 15 minutes of one core,
    or read from benchmarks/out where that script or an earlier run left the same recipe's
    result) and scored with its int8 ONNX graph, each sentence alone, as it ships."""

    def __init__(self) -> None:
        import train_claims_finetuned as recipe

        self.recipe = recipe
        self.threshold = recipe.THRESHOLD
        self.note = f"recipe of {recipe.VERSION}"

    def fold(self, k: int, test, defaults: list[float]) -> list[float]:
        """Blended scores of fold ``k``'s test sentences, from a model that never saw them."""
        result = self.recipe.fold_scores(k)
        if result["test"].tolist() != list(test):
            raise RuntimeError(f"fold {k + 1} of the cached result is not this fold")
        return blend(result["int8"].tolist(), defaults, float(result["blend"]))

    def debates(self, keep: list[int], lines) -> tuple[list[float], float]:
        """The probability of every debate line from a model trained on ``keep``, and the
        blend weight that model chose."""
        result = self.recipe.checkthat_scores()
        if result["kept"].tolist() != keep or len(result["int8"]) != len(lines):
            raise RuntimeError("the cached CheckThat! result was trained on other sentences")
        return result["int8"].tolist(), float(result["blend"])


# --- 2. attribution -----------------------------------------------------------------------


def _hull(text: str, parts: list[tuple[int, int]]) -> tuple[int, int]:
    """First to last character of a span, trimmed of whitespace and edge punctuation (a cue
    that is only punctuation, "TRUMP: …", keeps its mark)."""
    start, end = parts[0][0], parts[-1][1]
    a, b = start, end
    while a < b and text[a] in _TRIM:
        a += 1
    while b > a and text[b - 1] in _TRIM:
        b -= 1
    if a == b:
        a, b = start, end
        while a < b and text[a].isspace():
            a += 1
        while b > a and text[b - 1].isspace():
            b -= 1
    return a, b


def _words(text: str, parts: list[tuple[int, int]]) -> set[int]:
    """Start offsets of the word tokens inside some spans."""
    return {m.start() for a, b in parts for m in re.compile(r"\w+").finditer(text, a, b)}


def _overlaps(x: tuple[int, int], y: tuple[int, int]) -> bool:
    return x[0] < y[1] and y[0] < x[1]


def attribution_scores(
    articles: list[corpora.Article], find: Callable[[str], list] = attribution.find_attributions
) -> dict[str, tuple[float, float, float]]:
    """(P, R, F1) of each measure over the articles, attributions found by ``find``."""
    counts = {k: [0, 0, 0] for k in ("cue", "source", "content_exact")}
    overlap = {k: [0, 0, 0] for k in ("cue", "source", "content")}  # shared, predicted, gold
    for art in articles:
        text = art.text
        gold = [g for g in art.attributions if g.cue is not None]
        predicted = find(text)
        gold_cues = [_hull(text, g.cue.parts) for g in gold]  # type: ignore[union-attr]
        pred_cues = [_hull(text, [p.cue]) for p in predicted]
        # cue exact
        unmatched = list(gold_cues)
        for c in pred_cues:
            if c in unmatched:
                unmatched.remove(c)
                counts["cue"][0] += 1
            else:
                counts["cue"][1] += 1
        counts["cue"][2] += len(unmatched)
        # source exact (paired by overlapping cue)
        gold_src = [
            (gc, _hull(text, g.source.parts))
            for g, gc in zip(gold, gold_cues, strict=True)
            if g.source is not None
        ]
        pred_src = [
            (pc, _hull(text, [p.mention]))
            for p, pc in zip(predicted, pred_cues, strict=True)
            if p.mention
        ]
        used: set[int] = set()
        for pc, ps in pred_src:
            hit = next(
                (
                    k
                    for k, (gc, gs) in enumerate(gold_src)
                    if k not in used and gs == ps and _overlaps(gc, pc)
                ),
                None,
            )
            if hit is None:
                counts["source"][1] += 1
            else:
                used.add(hit)
                counts["source"][0] += 1
        counts["source"][2] += len(gold_src) - len(used)
        # content exact (each part, paired by overlapping cue) for context
        gold_parts = [
            (gc, _hull(text, [p]))
            for g, gc in zip(gold, gold_cues, strict=True)
            if g.content
            for p in g.content.parts
        ]
        pred_parts = [
            (pc, _hull(text, [p]))
            for a, pc in zip(predicted, pred_cues, strict=True)
            for p in a.content_parts
        ]
        used = set()
        for pc, pp in pred_parts:
            hit = next(
                (
                    k
                    for k, (gc, gp) in enumerate(gold_parts)
                    if k not in used and gp == pp and _overlaps(gc, pc)
                ),
                None,
            )
            if hit is None:
                counts["content_exact"][1] += 1
            else:
                used.add(hit)
                counts["content_exact"][0] += 1
        counts["content_exact"][2] += len(gold_parts) - len(used)
        # word overlap per role
        roles = {
            "cue": ([s.parts for s in art.spans if s.role == "Cue"], [[p.cue] for p in predicted]),
            "source": (
                [s.parts for s in art.spans if s.role == "Source"],
                [[p.mention] for p in predicted if p.mention],
            ),
            "content": (
                [s.parts for s in art.spans if s.role == "Content"],
                [p.content_parts for p in predicted],
            ),
        }
        for role, (gold_spans, pred_spans) in roles.items():
            g_words = (
                set().union(*[_words(text, parts) for parts in gold_spans]) if gold_spans else set()
            )
            p_words = (
                set().union(*[_words(text, parts) for parts in pred_spans]) if pred_spans else set()
            )
            overlap[role][0] += len(g_words & p_words)
            overlap[role][1] += len(p_words)
            overlap[role][2] += len(g_words)
    out = {k: prf(tp, fp, fn) for k, (tp, fp, fn) in counts.items()}
    for role, (shared, pred, gold_n) in overlap.items():
        p = shared / pred if pred else 0.0
        r = shared / gold_n if gold_n else 0.0
        out[f"{role}_overlap"] = (p, r, 2 * p * r / (p + r) if p + r else 0.0)
    return out


#: The accurate tagger's bars (issue 15): PolNeAR dev, these measures.
ACCURATE_ATTRIBUTION_BARS = {"source": 0.78, "cue": 0.78, "content_overlap": 0.85}


def _sentences_per_second(texts: list[str], find: Callable[[str], list]) -> float:
    """Sentences per second of ``find`` over the texts (CPU time of this process)."""
    sentences = sum(len(sentence_spans(t)) for t in texts)
    started = time.process_time()
    for text in texts:
        find(text)
    return sentences / (time.process_time() - started)


def attribution_section(accurate: bool = False) -> None:
    if not corpora.polnear_files("dev"):
        return skip("attribution", corpora.corpus_dir() / "attribution" / "polnear")
    started = time.time()
    dev = corpora.read_polnear("dev")
    scores = attribution_scores(dev)
    card = attribution.model_card()
    print(
        f"\n2. Attribution, PolNeAR dev ({len(dev)} annotated articles; tagger {card['method']},"
        f" trained on PolNeAR train only; {time.time() - started:.0f} s)"
    )
    rows = [
        ("source exact", "source", ">= 0.80"),
        ("cue exact", "cue", ">= 0.80"),
        ("content overlap", "content_overlap", ">= 0.80"),
        ("source overlap", "source_overlap", ""),
        ("cue overlap", "cue_overlap", ""),
        ("content exact", "content_exact", ""),
    ]
    if not accurate:
        for label, key, target in rows:
            p, r, f = scores[key]
            print(
                f"   {label:<16} P {p:.3f}  R {r:.3f}  F1 {f:.3f}"
                f"   {('target ' + target) if target else ''}"
            )
        print("   (the accurate mode's tagger beside it: add --accurate)")
        return
    from provenance import semantic

    if semantic._runtime() is None:
        print(f"   accurate tagger skipped: {semantic.INSTALL_HINT}")
        return
    tagger = semantic.AttributionTagger(threads=1)  # one core, as the CRF's figures

    def find_accurate(text: str) -> list:
        return attribution.find_attributions(text, tagger=tagger)

    started = time.time()
    accurate_scores = attribution_scores(dev, find_accurate)
    print(
        f"   beside the accurate mode's tagger {tagger.version} ({tagger.card['file']}, MiniLM"
        f" fine-tuned on PolNeAR train only; {time.time() - started:.0f} s), grouped as the CRF's:"
    )
    print(f"   {'':<16} {'default (CRF)':^27}   {'accurate':^27}   bar (accurate)")
    for label, key, _ in rows:
        p, r, f = scores[key]
        ap, ar, af = accurate_scores[key]
        bar = ACCURATE_ATTRIBUTION_BARS.get(key)
        verdict = f">= {bar:.2f} {'met' if af >= bar else 'missed'}" if bar else ""
        print(
            f"   {label:<16} P {p:.3f} R {r:.3f} F1 {f:.3f}   P {ap:.3f} R {ar:.3f} F1 {af:.3f}"
            f"   {verdict}"
        )
    texts = [a.text for a in dev]
    default_rate = _sentences_per_second(texts, attribution.find_attributions)
    accurate_rate = _sentences_per_second(texts, find_accurate)
    print(
        f"   speed on the dev texts, one thread, CPU time: default {default_rate:.0f},"
        f" accurate {accurate_rate:.0f} sentences/s"
    )
    held = tagger.card.get("held_out", {})
    if held:
        print(
            f"   int8 against fp32 on the {tagger.card['recipe']['holdout']:.0%} of train held"
            f" out (mean of the three F1): fp32 {held['fp32']['mean']:.3f},"
            f" int8 {held['int8']['mean']:.3f}; shipped {held['shipped']}"
            " (from the card, scripts/train_attribution_finetuned.py)"
        )


# --- 3. sentence spans --------------------------------------------------------------------


def sentences_section() -> None:
    if not corpora.polnear_files("dev"):
        return skip("sentences", corpora.corpus_dir() / "attribution" / "polnear")
    import bisect

    try:
        import pysbd
    except ImportError:
        print("[sentences] skipped: needs pysbd (pip install -e '.[train]')")
        return

    segmenter = pysbd.Segmenter(language="en", clean=False)
    one_sentence = cut = 0
    in_paragraph = cut_any = 0
    examples = []
    for art in corpora.read_polnear("dev"):
        text = art.text
        spans = sentence_spans(text)
        starts = [a for a, _ in spans]

        def inside(a: int, b: int, spans=spans, starts=starts) -> bool:
            i = bisect.bisect_right(starts, a) - 1
            return i >= 0 and spans[i][0] <= a and b <= spans[i][1]

        for span in art.spans:
            if span.role != "Content":
                continue
            for a, b in span.parts:
                while a < b and text[a].isspace():
                    a += 1
                while b > a and text[b - 1].isspace():
                    b -= 1
                if b <= a or "\n" in text[a:b]:
                    continue
                in_paragraph += 1
                cut_any += not inside(a, b)
                plain = re.sub(r"[\"“”«»]", " ", text[a:b])
                if len(segmenter.segment(plain)) == 1:
                    one_sentence += 1
                    if not inside(a, b):
                        cut += 1
                        examples.append(text[a:b])
    print("\n3. Sentence spans, PolNeAR dev gold content spans")
    print(
        f"   inside one sentence: {one_sentence}, cut by our sentence spans: {cut}"
        f" ({100 * cut / one_sentence:.2f} %)   target <= 3 %"
    )
    print(
        f"   (all content spans within a paragraph, several sentences included: {in_paragraph},"
        f" not inside one of our sentences: {cut_any} = {100 * cut_any / in_paragraph:.1f} %)"
    )
    for example in examples[:3]:
        print(f"   cut: {example[:110]!r}")


# --- 4. what `provenance claims --json` carries ---------------------------------------------


def claims_section() -> None:
    if not corpora.polnear_files("dev"):
        return skip("claims", corpora.corpus_dir() / "attribution" / "polnear")
    from provenance import pipeline
    from provenance.db import open_db
    from provenance.reading import list_claims

    base = corpora.corpus_dir() / "attribution" / "polnear" / "data" / "dev" / "text"
    with tempfile.TemporaryDirectory() as folder:
        db = open_db(Path(folder) / "claims.db")
        list(pipeline.add(db, [str(base)]))
        rows = list_claims(db)
        attributed = [r for r in rows if r["attributed_to"] and r["cue"]]
        conn = db.conn
        count = conn.execute("SELECT count(*) FROM attribution_spans").fetchone()[0]
        quotes = conn.execute("SELECT count(*), count(speaker_agent_id) FROM quotes").fetchone()
        agents = conn.execute("SELECT count(*) FROM agents").fetchone()[0]
        sample = next(
            (
                r
                for r in attributed
                if len(r["text"]) < 140 and r["cue"].split()[0].lower() in attribution.SPEECH_CUES
            ),
            None,
        )
    print(
        f"\n4. `provenance claims --json` on the {len(list(base.glob('*.txt')))} PolNeAR dev texts"
    )
    print(
        f"   {len(rows)} claims, {len(attributed)} with attributed_to and cue"
        f" ({100 * len(attributed) / max(1, len(rows)):.0f} %); {count} rows in the"
        f" attribution_spans view, {quotes[0]} quotes ({quotes[1]} with a speaker), {agents} agents"
    )
    if sample:
        print(f"   e.g. {sample['attributed_to']!r} / {sample['cue']!r}: {sample['text']!r}")


# --- 5. speed -----------------------------------------------------------------------------


def foundation_modules() -> types.SimpleNamespace | None:
    """The foundation's text, claims and attribution modules, read from git history."""
    modules = {}
    for name in ("text", "claims", "attribution"):
        try:
            source = subprocess.run(
                ["git", "show", f"{FOUNDATION}:provenance/{name}.py"],
                cwd=ROOT,
                capture_output=True,
                text=True,
                check=True,
            ).stdout
        except (OSError, subprocess.CalledProcessError):
            return None
        module = types.ModuleType(f"foundation_{name}")
        module.__dict__["__name__"] = f"foundation_{name}"
        sys.modules[module.__name__] = module
        exec(compile(source, f"{FOUNDATION}:provenance/{name}.py", "exec"), module.__dict__)
        modules[name] = module
    return types.SimpleNamespace(**modules)


def run_ours(texts: list[str]) -> int:
    n = 0
    for text in texts:
        spans = sentence_spans(text)
        claims.score_sentences([text[a:b] for a, b in spans])
        found = attribution.find_attributions(text)
        quotes = attribution.find_quotes(text)
        attribution.attach_speakers(text, quotes, found)
        n += len(spans)
    return n


def stage_runner(stage: str) -> Callable[[list[str]], int]:
    def run(texts: list[str]) -> int:
        n = 0
        for text in texts:
            spans = sentence_spans(text)
            n += len(spans)
            if stage == "scoring":
                claims.score_sentences([text[a:b] for a, b in spans])
            elif stage == "attribution":
                attribution.find_attributions(text)
                attribution.find_quotes(text)
        return n

    return run


def baseline_runner(old: types.SimpleNamespace) -> Callable[[list[str]], int]:
    def run(texts: list[str]) -> int:
        n = 0
        for text in texts:
            spans = old.text.sentence_spans(text)
            old.claims.score_sentences([text[a:b] for a, b in spans])
            for a, b in spans:
                old.attribution.find_attributions(text, a, b)
                old.attribution.find_quotes(text, a, b)
            n += len(spans)
        return n

    return run


def speed_section(runs: int) -> None:
    files = corpora.polnear_files("train")
    if not files:
        return skip("speed", corpora.corpus_dir() / "attribution" / "polnear")
    base = corpora.corpus_dir() / "attribution" / "polnear" / "data"
    texts = [p.read_text(encoding="utf-8") for p in sorted(base.glob("*/text/*.txt"))]
    old = foundation_modules()
    runners: dict[str, Callable[[list[str]], int]] = {
        "segmentation + scoring + attribution": run_ours,
        "  segmentation only": stage_runner("segmentation"),
        "  segmentation + scoring": stage_runner("scoring"),
        "  segmentation + attribution": stage_runner("attribution"),
    }
    if old is not None:
        runners["foundation (heuristics), same stages"] = baseline_runner(old)
    run_ours(texts[:20])  # load the models before timing
    rates: dict[str, list[float]] = {k: [] for k in runners}
    for _ in range(runs):
        for name, runner in runners.items():
            started = time.process_time()
            n = runner(texts)
            rates[name].append(n / (time.process_time() - started))
    print(
        f"\n5. Speed, {len(texts)} PolNeAR texts, {n} sentences, CPU time of one process,"
        f" median of {runs} rounds"
    )
    ours = statistics.median(rates["segmentation + scoring + attribution"])
    for name, values in rates.items():
        print(f"   {name:<38} {statistics.median(values):>8.0f} sentences/s")
    print("   target >= 2,000 sentences/s for segmentation + scoring + attribution")
    if old is not None:
        foundation = statistics.median(rates["foundation (heuristics), same stages"])
        print(f"   ours / foundation: {ours / foundation:.2f}")
    else:
        print(f"   (foundation baseline skipped: commit {FOUNDATION} not in this repository)")


# --- 6. accurate mode beside the default --------------------------------------------------


def accurate_section(runs: int) -> None:
    from provenance import semantic

    if not semantic.available():
        print(f"\n6. Accurate mode skipped: {semantic.INSTALL_HINT}")
        return
    files = corpora.polnear_files("dev")
    if not files:
        return skip("accurate", corpora.corpus_dir() / "attribution" / "polnear")
    base = corpora.corpus_dir() / "attribution" / "polnear" / "data" / "dev" / "text"
    sentences = []
    for path in sorted(base.glob("*.txt")):
        text = path.read_text(encoding="utf-8")
        sentences += [text[a:b] for a, b in sentence_spans(text)]
    sentences = sentences[:600]
    encoder = semantic.Encoder(threads=1)  # one core, as the default's figures
    encoder.embed(sentences[:8])
    scorer = semantic.ClaimScorer(threads=1)
    rates: dict[str, list[float]] = {
        "default: claim scoring": [],
        "accurate: claim scoring": [],
        "accurate: embeddings": [],
    }
    for _ in range(runs):
        started = time.process_time()
        claims.score_sentences(sentences)
        rates["default: claim scoring"].append(len(sentences) / (time.process_time() - started))
        started = time.process_time()
        scorer.checkworthiness(sentences, claims.score_sentences(sentences))  # both models
        rates["accurate: claim scoring"].append(len(sentences) / (time.process_time() - started))
        started = time.process_time()
        encoder.embed(sentences)
        rates["accurate: embeddings"].append(len(sentences) / (time.process_time() - started))
    card = semantic.model_card()
    print(
        f"\n6. Accurate mode beside the default ({scorer.version}, {semantic.MODEL_VERSION},"
        f" {', '.join(encoder.providers)})"
    )
    print(
        f"   speed on {len(sentences)} PolNeAR dev sentences, one thread, CPU time,"
        f" median of {runs} rounds:"
    )
    for name, values in rates.items():
        print(f"   {name:<28} {statistics.median(values):>8.0f} sentences/s")
    agreement = card["agreement"]
    print(
        f"   int8 against the original model on {agreement['sentences']} corpus sentences:"
        f" cosine mean {agreement['int8_vs_torch_cosine_mean']}"
        f" (min {agreement['int8_vs_torch_cosine_min']}); from scripts/export_minilm.py"
    )
    import semantic_rerank

    if not semantic_rerank.cables_path().exists():
        return skip("accurate", semantic_rerank.cables_path())
    started = time.time()
    index = semantic_rerank.build_index(semantic_rerank.cables_path())
    cases = semantic_rerank.load_cases(index)
    print(
        "   `who` candidates re-ranked, restated cable claims"
        f" (benchmarks/data/restated_claims.json; index built in {time.time() - started:.0f} s):"
    )
    semantic_rerank.report(cases)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--only", default=",".join(SECTIONS), help=f"comma-separated: {SECTIONS}")
    parser.add_argument("--runs", type=int, default=5, help="speed rounds (median reported)")
    parser.add_argument(
        "--finetuned",
        action="store_true",
        help="check-worthiness: also the fine-tuned accurate mode (needs the finetune extra;"
        " about 80 minutes of one core unless scripts/train_claims_finetuned.py left its folds)",
    )
    parser.add_argument(
        "--accurate",
        action="store_true",
        help="attribution: also the accurate mode's fine-tuned tagger, side by side with the"
        " default (needs the accurate extra)",
    )
    args = parser.parse_args()
    only = set(args.only.split(","))
    print(f"corpus: {corpora.corpus_dir()}")
    if "checkworthiness" in only:
        checkworthiness(args.finetuned)
    if "attribution" in only:
        attribution_section(args.accurate)
    if "sentences" in only:
        sentences_section()
    if "claims" in only:
        claims_section()
    if "speed" in only:
        speed_section(args.runs)
    if "accurate" in only:
        accurate_section(min(args.runs, 3))


if __name__ == "__main__":
    main()
