"""Train the check-worthiness scorer shipped in provenance/models/claims.npz.

Logistic regression (class-balanced) over two TF-IDF blocks: word 1–2-grams and character
2–5-grams inside word bounds, both sublinear and L2-normalised. Trained on every sentence of
ClaimBuster ``train.json`` (utaresearch/claimbuster-spotter @ 332bba08, read from
../shared/corpus or $PROVENANCE_CORPUS). The weights are exported as plain arrays (vocabulary,
idf, coefficients) and checked against scikit-learn's own predictions before they are written.

With ``--word-vectors`` (the default when the accurate extra is installed) a third block joins
them: the mean of the sentence's word vectors, each word's vector being the accurate mode's
sentence encoder (all-MiniLM-L6-v2, ``provenance/semantic.py``) applied to the word alone, for
the whole words of that model's vocabulary. Only one score per word ships (the regression's
weights folded into each vector); the default install never runs the encoder. With
``--shape`` (the default) a fourth: each sentence's length and figures
(``provenance.claims.shape_features``), which rows scaled to length one lose. Both together
are the shipped ``checkworthiness-lr-3``.

    .venv/bin/pip install -e '.[train]'
    .venv/bin/python scripts/train_claims.py                 # about two minutes
    .venv/bin/python scripts/train_claims.py --out /tmp/claims --no-word-vectors
    .venv/bin/python scripts/train_claims.py --sweep   # the grid the recipe was chosen on
    .venv/bin/python scripts/train_claims.py --thresholds   # and its threshold
"""

from __future__ import annotations

import argparse
import json
import re
import sys
from dataclasses import dataclass
from functools import cache
from importlib.metadata import version
from pathlib import Path

import numpy as np
import scipy.sparse as sp
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.linear_model import LogisticRegression

from provenance.claims import (
    CARD_FILE,
    MODEL_FILE,
    ClaimModel,
    pack_vocabularies,
    shape_features,
)
from provenance.corpora import ROOT, claimbuster_path, read_claimbuster, sha256_files

VERSION = "checkworthiness-lr-1"
VERSION_WITH_VECTORS = "checkworthiness-lr-wordvec-2"
#: The shipped recipe: n-grams, word scores and the shape block (claims.shape_features).
VERSION_WITH_SHAPE = "checkworthiness-lr-3"
#: The shape block without word scores (trained where the accurate extra is not installed).
VERSION_SHAPE_ONLY = "checkworthiness-lr-shape-3"
PARAMS = {"C": 10.0, "word_ngrams": [1, 2], "char_wb_ngrams": [2, 5], "class_weight": "balanced"}
#: Weight of the mean-word-vector block beside the two L2-normalised TF-IDF blocks (5-fold
#: ClaimBuster F1 with scale 1: 0.760, 3: 0.765, 6: 0.764, 12: 0.757; n-grams alone 0.758).
VECTOR_SCALE = 3.0
#: With the shape block beside it: chosen by ``--sweep`` on two other 5-fold splits of the
#: same sentences (StratifiedKFold seeds 1 and 2; the benchmark's folds are seed 0).
VECTOR_SCALE_WITH_SHAPE = 2.0
#: What ``--sweep`` tries: (word-score scale, C) with the shape block.
SWEEP = ((2.0, 10.0), (3.0, 10.0), (4.0, 10.0), (3.0, 5.0), (3.0, 20.0))
THRESHOLD = 0.5
TOKEN_PATTERN = r"(?u)\b\w+\b|[?!%$]"
_TOKEN = re.compile(TOKEN_PATTERN)


@dataclass
class WordVectors:
    """Vectors of a word list, in the order of ``words``."""

    words: list[str]
    vectors: np.ndarray
    source: str


#: Where the word vectors are kept between runs (ignored by git): computing them takes minutes.
CACHE = ROOT / "benchmarks" / "out"


@cache
def minilm_word_vectors() -> WordVectors:
    """Each whole word (two letters or more) of the sentence encoder's vocabulary, encoded
    alone by the shipped encoder (21,719 words; a few minutes of CPU, then cached on disk
    under the encoder's sha256)."""
    from provenance import semantic

    digest = semantic.model_card()["outputs_sha256"][semantic.ONNX_FILE][:16]
    path = CACHE / f"word-vectors-{digest}.npz"
    source = f"{semantic.MODEL_VERSION}, words alone"
    if path.exists():
        with np.load(path, allow_pickle=False) as cached:
            return WordVectors(cached["words"].tolist(), cached["vectors"], source)
    encoder = semantic.encoder()
    words = sorted(
        w for w in encoder.tokenizer.get_vocab() if re.fullmatch(r"[a-z][a-z']*[a-z]", w)
    )
    vectors = encoder.embed(words)
    path.parent.mkdir(parents=True, exist_ok=True)
    np.savez(path, words=np.array(words, dtype=str), vectors=vectors)
    return WordVectors(words, vectors, source)


def mean_vectors(texts: list[str], table: WordVectors) -> np.ndarray:
    """Per text: the mean vector of its tokens that the table has (zeros for none)."""
    index = {w: i for i, w in enumerate(table.words)}
    out = np.zeros((len(texts), table.vectors.shape[1]))
    for row, text in enumerate(texts):
        ids = [k for k in map(index.get, _TOKEN.findall(text.lower())) if k is not None]
        if ids:
            out[row] = table.vectors[ids].mean(axis=0)
    return out


def vectorizers() -> list[TfidfVectorizer]:
    return [
        TfidfVectorizer(ngram_range=(1, 2), sublinear_tf=True, token_pattern=TOKEN_PATTERN),
        TfidfVectorizer(analyzer="char_wb", ngram_range=(2, 5), sublinear_tf=True),
    ]


def semantic_sha256() -> str:
    """The SHA-256 of the encoder graph the word vectors come from (its card records it)."""
    from provenance import semantic

    return semantic.model_card()["outputs_sha256"][semantic.ONNX_FILE]


def recipe_version(vectors: bool, shape: bool) -> str:
    if shape:
        return VERSION_WITH_SHAPE if vectors else VERSION_SHAPE_ONLY
    return VERSION_WITH_VECTORS if vectors else VERSION


def fit(
    texts: list[str],
    labels: list[int],
    vectors: WordVectors | None = None,
    shape: bool = False,
    scale: float | None = None,
    c: float = PARAMS["C"],
) -> ClaimModel:
    """Train on ``texts`` and return the exported model (what ships, and what CV measures);
    with ``vectors``, the mean word vector of each sentence is a third block of features; with
    ``shape``, each sentence's length and figures (``claims.shape_features``) a fourth. With
    neither it is ``checkworthiness-lr-1``'s recipe (the accurate mode's blends use it)."""
    word, char = vectorizers()
    if scale is None:
        scale = VECTOR_SCALE_WITH_SHAPE if shape else VECTOR_SCALE

    def blocks_of(batch: list[str], fitting: bool) -> list:
        out = [
            word.fit_transform(batch) if fitting else word.transform(batch),
            char.fit_transform(batch) if fitting else char.transform(batch),
        ]
        if vectors is not None:
            out.append(sp.csr_matrix(scale * mean_vectors(batch, vectors)))
        if shape:
            out.append(sp.csr_matrix(shape_features(batch)))
        return out

    blocks = blocks_of(texts, True)
    matrix = sp.hstack(blocks).tocsr()
    regression = LogisticRegression(C=c, class_weight="balanced", max_iter=5000)
    regression.fit(matrix, labels)
    n_words = len(word.vocabulary_)
    n_chars = len(char.vocabulary_)
    coef = regression.coef_[0]

    def vocab(vectorizer: TfidfVectorizer) -> np.ndarray:
        terms = sorted(vectorizer.vocabulary_, key=vectorizer.vocabulary_.__getitem__)
        return np.array(terms, dtype=str)

    arrays = {
        "word_vocab": vocab(word),
        "word_idf": word.idf_.astype(np.float32),
        "word_coef": coef[:n_words].astype(np.float32),
        "char_vocab": vocab(char),
        "char_idf": char.idf_.astype(np.float32),
        "char_coef": coef[n_words : n_words + n_chars].astype(np.float32),
        "intercept": np.array(regression.intercept_[0], dtype=np.float64),
    }
    end = n_words + n_chars
    if vectors is not None:
        # w · mean(v) = mean(w · v): one score per word replaces the vectors.
        size = vectors.vectors.shape[1]
        folded = scale * vectors.vectors @ coef[end : end + size]
        arrays["vec_words"] = np.array(vectors.words, dtype=str)
        arrays["vec_scores"] = folded.astype(np.float32)
        end += size
    if shape:
        arrays["shape_coef"] = coef[end : end + 3].astype(np.float64)
    card = {"version": recipe_version(vectors is not None, shape), "threshold": THRESHOLD}
    exported = ClaimModel(arrays, card)
    sample = texts[:300]
    expected = regression.predict_proba(sp.hstack(blocks_of(sample, False)).tocsr())[:, 1]
    drift = float(np.max(np.abs(exported.probabilities(sample) - expected)))
    if drift > 1e-4:
        raise RuntimeError(f"exported model differs from scikit-learn's by {drift}")
    exported.arrays = arrays  # type: ignore[attr-defined]
    return exported


def sweep(seeds: tuple[int, ...] = (1, 2)) -> None:
    """Positive-class F1 of the shipped recipe's variants (:data:`SWEEP`, and no word scores)
    over 5-fold splits of ClaimBuster other than the benchmark's (seed 0), pooled per split;
    prints each split's F1 and their mean. Writes nothing."""
    from sklearn.model_selection import StratifiedKFold

    texts, labels = read_claimbuster()
    y = np.asarray(labels)
    vectors = minilm_word_vectors()
    grid: list[tuple[str, dict]] = [("n-grams + shape", {"shape": True})]
    grid += [
        (
            f"word scores x{scale:g} + shape, C {c:g}",
            {"vectors": vectors, "shape": True, "scale": scale, "c": c},
        )
        for scale, c in SWEEP
    ]
    for name, kwargs in grid:
        found = []
        for seed in seeds:
            scores = np.zeros(len(texts))
            for train, test in StratifiedKFold(5, shuffle=True, random_state=seed).split(texts, y):
                model = fit([texts[i] for i in train], y[train].tolist(), **kwargs)
                scores[test] = model.probabilities([texts[i] for i in test])
            predicted = scores >= THRESHOLD
            found.append(2 * int((predicted & (y == 1)).sum()) / int(predicted.sum() + y.sum()))
        each = " ".join(f"{f:.4f}" for f in found)
        print(f"{name:<34} F1 {each}   mean {np.mean(found):.4f}", flush=True)


#: The thresholds ``--thresholds`` tries on the shipped recipe's out-of-fold probabilities.
THRESHOLDS = tuple(round(0.3 + 0.025 * i, 3) for i in range(17))


def threshold_sweep(seeds: tuple[int, ...] = (1, 2)) -> None:
    """Positive-class F1 of the shipped recipe at each of :data:`THRESHOLDS`, from the
    out-of-fold probabilities of 5-fold splits other than the benchmark's (as :func:`sweep`);
    prints each threshold's F1 per split and their mean, best last. Writes nothing."""
    from sklearn.model_selection import StratifiedKFold

    texts, labels = read_claimbuster()
    y = np.asarray(labels)
    vectors = minilm_word_vectors()
    by_seed = []
    for seed in seeds:
        scores = np.zeros(len(texts))
        for train, test in StratifiedKFold(5, shuffle=True, random_state=seed).split(texts, y):
            model = fit([texts[i] for i in train], y[train].tolist(), vectors, shape=True)
            scores[test] = model.probabilities([texts[i] for i in test])
        by_seed.append(scores)
    means = {}
    for threshold in THRESHOLDS:
        found = []
        for scores in by_seed:
            predicted = scores >= threshold
            found.append(2 * int((predicted & (y == 1)).sum()) / int(predicted.sum() + y.sum()))
        means[threshold] = float(np.mean(found))
        each = " ".join(f"{f:.4f}" for f in found)
        print(f"threshold {threshold:.3f}  F1 {each}   mean {means[threshold]:.4f}", flush=True)
    best = max(means, key=means.__getitem__)
    print(
        f"best threshold {best:.3f} (mean F1 {means[best]:.4f}; {THRESHOLD} gives "
        f"{means[THRESHOLD]:.4f})"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--sweep", action="store_true", help="print the grid the shipped recipe was chosen on"
    )
    parser.add_argument(
        "--thresholds",
        action="store_true",
        help="print the shipped recipe's F1 at each threshold (what the threshold was chosen on)",
    )
    parser.add_argument("--out", type=Path, default=ROOT / "provenance" / "models")
    parser.add_argument(
        "--shape",
        action=argparse.BooleanOptionalAction,
        default=True,
        help="the shape block: each sentence's length and figures (default: on)",
    )
    parser.add_argument(
        "--word-vectors",
        action=argparse.BooleanOptionalAction,
        default=None,
        help="the word-vector block (default: when the accurate extra is installed)",
    )
    args = parser.parse_args()
    if not claimbuster_path().exists():
        sys.exit(f"ClaimBuster data not found at {claimbuster_path()} (set PROVENANCE_CORPUS)")
    if args.sweep:
        sweep()
        return
    if args.thresholds:
        threshold_sweep()
        return
    if args.word_vectors is None:
        from provenance import semantic

        args.word_vectors = semantic.available()
    texts, labels = read_claimbuster()
    vectors = minilm_word_vectors() if args.word_vectors else None
    model = fit(texts, labels, vectors, args.shape)
    args.out.mkdir(parents=True, exist_ok=True)
    np.savez_compressed(args.out / MODEL_FILE, **pack_vocabularies(model.arrays))  # type: ignore[attr-defined]
    card = {
        "version": model.version,
        "threshold": THRESHOLD,
        "description": "Check-worthiness: logistic regression over word and character n-gram "
        "TF-IDF"
        + (" and the mean word vector (folded to one score per word)" if vectors else "")
        + (" and each sentence's length and figures" if args.shape else "")
        + "; score = P(check-worthy factual claim)",
        "script": "scripts/train_claims.py",
        "data": "ClaimBuster train.json (utaresearch/claimbuster-spotter @ 332bba08), "
        f"{len(texts)} sentences, {sum(labels)} check-worthy",
        "data_sha256": sha256_files([claimbuster_path()]),
        "params": PARAMS,
        "scikit_learn": version("scikit-learn"),
        "features": {
            "words": len(model.arrays["word_vocab"]),
            "chars": len(model.arrays["char_vocab"]),
            "word_scores": len(vectors.words) if vectors else 0,
        },  # type: ignore[attr-defined]
        "word_vectors": {
            "source": vectors.source,
            "encoder_sha256": semantic_sha256(),
            "scale": VECTOR_SCALE_WITH_SHAPE if args.shape else VECTOR_SCALE,
        }
        if vectors
        else None,
        "shape": {
            "features": ["log(1 + words)", "has a digit", "digits (10 or more: 1) / 10"],
            "function": "provenance.claims.shape_features",
        }
        if args.shape
        else None,
        "accuracy": "see `python benchmarks/claims_accuracy.py`",
    }
    (args.out / CARD_FILE).write_text(json.dumps(card, indent=1) + "\n", encoding="utf-8")
    print(f"{len(texts)} sentences -> {args.out / MODEL_FILE} ({card['features']})")


if __name__ == "__main__":
    main()
