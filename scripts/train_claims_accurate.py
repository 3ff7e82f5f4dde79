"""The previous accurate check-worthiness head, kept to compare: no longer shipped.

``checkworthiness-minilm-lr-1`` scored a sentence as the mean of two probabilities: the
default scorer's (``checkworthiness-lr-1``, n-gram TF-IDF, provenance/claims.py) and a
class-balanced logistic regression over the sentence's embedding by the shipped encoder
(all-MiniLM-L6-v2, int8 ONNX, ``provenance/semantic.py``), fitted on ClaimBuster
``train.json``. The accurate mode now uses a fine-tuned MiniLM instead
(``scripts/train_claims_finetuned.py``: 0.04 higher F1 in the same folds);
``benchmarks/claims_accuracy.py --only checkworthiness`` still prints this head beside it.

    .venv/bin/pip install -e '.[train,accurate]'
    .venv/bin/python scripts/train_claims_accurate.py   # the grid of C and blend weights
"""

from __future__ import annotations

import argparse
import sys

import numpy as np
from sklearn.linear_model import LogisticRegression

from provenance import semantic
from provenance.corpora import ROOT, claimbuster_path, read_claimbuster

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


def blend_head(
    head: dict[str, np.ndarray], vectors: np.ndarray, default_scores, weight: float
) -> list[float]:
    """The head's probability over each embedding, mixed (``weight``) with the default's."""
    coef, intercept = head["coef"].astype(np.float64), float(head["intercept"])
    probability = 1.0 / (1.0 + np.exp(-(vectors.astype(np.float64) @ coef + intercept)))
    return [
        (1 - weight) * float(d) + weight * float(h)
        for d, h in zip(default_scores, probability, strict=True)
    ]


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
    parser.parse_args()
    if not claimbuster_path().exists():
        print(f"skipped: no ClaimBuster data at {claimbuster_path()}")
        return 0
    if not semantic.available():
        print(f"needs the accurate extra: {semantic.INSTALL_HINT}", file=sys.stderr)
        return 1
    sweep(*read_claimbuster())
    return 0


if __name__ == "__main__":
    sys.exit(main())
