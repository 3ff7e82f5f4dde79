"""Train the accurate mode's check-worthiness head shipped in provenance/models/.

The accurate mode scores a sentence as the mean of two probabilities: the default scorer's
(``checkworthiness-lr-1``, n-gram TF-IDF, provenance/claims.py) and a class-balanced logistic
regression over the sentence's embedding by the shipped encoder (all-MiniLM-L6-v2, int8 ONNX,
``provenance/semantic.py``). This script fits that regression on every sentence of ClaimBuster
``train.json`` (utaresearch/claimbuster-spotter @ 332bba08, read from ../shared/corpus or
$PROVENANCE_CORPUS) and writes its 384 weights and intercept (``claims-accurate.npz``) with a
card naming the data, the encoder and the recipe (``claims-accurate.json``).

Recipe chosen by 5-fold cross-validation on the same data (``--sweep`` prints the grid:
C in {1, 4, 16} by blend weight in {0.3, 0.5, 0.7}, positive-class F1 in the folds of
``benchmarks/claims_accuracy.py``, which prints the chosen one beside the default and the
baseline).

    .venv/bin/pip install -e '.[train,accurate]'
    .venv/bin/python scripts/train_claims_accurate.py          # a few minutes (embeddings)
    .venv/bin/python scripts/train_claims_accurate.py --sweep  # the grid the recipe came from
"""

from __future__ import annotations

import argparse
import json
import sys
from importlib.metadata import version
from pathlib import Path

import numpy as np
from sklearn.linear_model import LogisticRegression

from provenance import semantic
from provenance.corpora import ROOT, claimbuster_path, read_claimbuster, sha256_files

VERSION = "checkworthiness-minilm-lr-1"
C = 4.0
#: Weight of the embedding head's probability in the blend with the default scorer's.
BLEND = 0.5
THRESHOLD = 0.5
CACHE = ROOT / "benchmarks" / "out"


def embeddings(texts: list[str]) -> np.ndarray:
    """The shipped encoder's embedding of each text, cached on disk under the encoder's and
    the texts' digests (about 100 s of CPU for ClaimBuster)."""
    import hashlib

    digest = semantic.model_card()["outputs_sha256"][semantic.ONNX_FILE][:16]
    texts_digest = hashlib.sha256("\n".join(texts).encode()).hexdigest()[:16]
    path = CACHE / f"embeddings-{digest}-{texts_digest}.npy"
    if path.exists():
        return np.load(path, allow_pickle=False)
    vectors = semantic.embed(texts)
    path.parent.mkdir(parents=True, exist_ok=True)
    np.save(path, vectors)
    return vectors


def fit(vectors: np.ndarray, labels: list[int]) -> dict[str, np.ndarray]:
    """The head's arrays (``coef``, ``intercept``) fitted on ``vectors``."""
    regression = LogisticRegression(C=C, class_weight="balanced", max_iter=5000)
    regression.fit(vectors, labels)
    return {
        "coef": regression.coef_[0].astype(np.float32),
        "intercept": np.array(regression.intercept_[0], dtype=np.float64),
    }


def sweep(texts: list[str], labels: list[int]) -> None:
    """5-fold F1 of the head alone and blended, over the grid of C and blend weights."""
    from sklearn.model_selection import StratifiedKFold
    from train_claims import fit as fit_default

    from provenance import claims

    vectors, y = embeddings(texts), np.array(labels)
    grid_c, grid_blend = (1.0, 4.0, 16.0), (0.3, 0.5, 0.7)
    default = np.zeros(len(texts))
    head = {c: np.zeros(len(texts)) for c in grid_c}
    for train, test in StratifiedKFold(5, shuffle=True, random_state=0).split(texts, labels):
        model = fit_default([texts[i] for i in train], [labels[i] for i in train])
        default[test] = claims.score_sentences([texts[i] for i in test], model)
        for c in grid_c:
            regression = LogisticRegression(C=c, class_weight="balanced", max_iter=5000)
            head[c][test] = regression.fit(vectors[train], y[train]).predict_proba(vectors[test])[
                :, 1
            ]

    def f1(scores: np.ndarray) -> float:
        predicted = scores >= THRESHOLD
        tp = int((predicted & (y == 1)).sum())
        return 2 * tp / (int(predicted.sum()) + int((y == 1).sum()))

    print(f"n-grams alone (the default's recipe): F1 {f1(default):.3f}")
    for c in grid_c:
        blended = "  ".join(
            f"blend {w}: {f1(w * head[c] + (1 - w) * default):.3f}" for w in grid_blend
        )
        print(f"C {c:>4}: head alone {f1(head[c]):.3f}  {blended}")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--out", type=Path, default=ROOT / "provenance" / "models")
    parser.add_argument("--sweep", action="store_true", help="print the grid; write nothing")
    args = parser.parse_args()
    if not claimbuster_path().exists():
        print(f"skipped: no ClaimBuster data at {claimbuster_path()}")
        return 0
    if not semantic.available():
        print(f"needs the accurate extra: {semantic.INSTALL_HINT}", file=sys.stderr)
        return 1
    texts, labels = read_claimbuster()
    if args.sweep:
        sweep(texts, labels)
        return 0
    arrays = fit(embeddings(texts), labels)
    args.out.mkdir(parents=True, exist_ok=True)
    np.savez(args.out / semantic.CLAIMS_HEAD_FILE, **arrays)
    card = {
        "version": VERSION,
        "description": "Accurate check-worthiness: the mean of the default scorer's probability"
        " and a logistic regression over the sentence's MiniLM embedding",
        "blend": BLEND,
        "threshold": THRESHOLD,
        "script": "scripts/train_claims_accurate.py",
        "encoder": semantic.MODEL_VERSION,
        "data": f"ClaimBuster train.json (utaresearch/claimbuster-spotter @ 332bba08),"
        f" {len(texts)} sentences, {sum(labels)} check-worthy",
        "data_sha256": sha256_files([claimbuster_path()]),
        "params": {"C": C, "class_weight": "balanced"},
        "scikit_learn": version("scikit-learn"),
        "licence": "weights derived from ClaimBuster train.json; the data's terms are those of"
        " its repository (utaresearch/claimbuster-spotter)",
        "accuracy": "see `python benchmarks/claims_accuracy.py --only checkworthiness`",
    }
    (args.out / semantic.CLAIMS_HEAD_CARD).write_text(json.dumps(card, indent=1) + "\n")
    print(f"wrote {args.out / semantic.CLAIMS_HEAD_FILE} ({VERSION})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
