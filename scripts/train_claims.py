"""Train the check-worthiness scorer shipped in provenance/models/claims.npz.

Logistic regression (class-balanced) over two TF-IDF blocks: word 1–2-grams and character
2–5-grams inside word bounds, both sublinear and L2-normalised. Trained on every sentence of
ClaimBuster ``train.json`` (utaresearch/claimbuster-spotter @ 332bba08, read from
../shared/corpus or $PROVENANCE_CORPUS). The weights are exported as plain arrays (vocabulary,
idf, coefficients) and checked against scikit-learn's own predictions before they are written.

    .venv/bin/pip install -e '.[train]'
    .venv/bin/python scripts/train_claims.py                 # about a minute
    .venv/bin/python scripts/train_claims.py --out /tmp/claims
"""

from __future__ import annotations

import argparse
import json
import sys
from importlib.metadata import version
from pathlib import Path

import numpy as np
import scipy.sparse as sp
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.linear_model import LogisticRegression

from provenance.claims import CARD_FILE, MODEL_FILE, ClaimModel
from provenance.corpora import ROOT, claimbuster_path, read_claimbuster, sha256_files

VERSION = "checkworthiness-lr-1"
PARAMS = {"C": 10.0, "word_ngrams": [1, 2], "char_wb_ngrams": [2, 5], "class_weight": "balanced"}
THRESHOLD = 0.5
TOKEN_PATTERN = r"(?u)\b\w+\b|[?!%$]"


def vectorizers() -> list[TfidfVectorizer]:
    return [
        TfidfVectorizer(ngram_range=(1, 2), sublinear_tf=True, token_pattern=TOKEN_PATTERN),
        TfidfVectorizer(analyzer="char_wb", ngram_range=(2, 5), sublinear_tf=True),
    ]


def fit(texts: list[str], labels: list[int]) -> ClaimModel:
    """Train on ``texts`` and return the exported model (what ships, and what CV measures)."""
    word, char = vectorizers()
    matrix = sp.hstack([word.fit_transform(texts), char.fit_transform(texts)]).tocsr()
    regression = LogisticRegression(C=PARAMS["C"], class_weight="balanced", max_iter=5000)
    regression.fit(matrix, labels)
    n_words = len(word.vocabulary_)
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
        "char_coef": coef[n_words:].astype(np.float32),
        "intercept": np.array(regression.intercept_[0], dtype=np.float64),
    }
    card = {"version": VERSION, "threshold": THRESHOLD}
    exported = ClaimModel(arrays, card)
    sample = texts[:300]
    expected = regression.predict_proba(
        sp.hstack([word.transform(sample), char.transform(sample)]).tocsr()
    )[:, 1]
    drift = float(np.max(np.abs(exported.probabilities(sample) - expected)))
    if drift > 1e-4:
        raise RuntimeError(f"exported model differs from scikit-learn's by {drift}")
    exported.arrays = arrays  # type: ignore[attr-defined]
    return exported


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--out", type=Path, default=ROOT / "provenance" / "models")
    args = parser.parse_args()
    if not claimbuster_path().exists():
        sys.exit(f"ClaimBuster data not found at {claimbuster_path()} (set PROVENANCE_CORPUS)")
    texts, labels = read_claimbuster()
    model = fit(texts, labels)
    args.out.mkdir(parents=True, exist_ok=True)
    np.savez_compressed(args.out / MODEL_FILE, **model.arrays)  # type: ignore[attr-defined]
    card = {
        "version": VERSION,
        "threshold": THRESHOLD,
        "description": "Check-worthiness: logistic regression over word and character n-gram "
        "TF-IDF; score = P(check-worthy factual claim)",
        "script": "scripts/train_claims.py",
        "data": "ClaimBuster train.json (utaresearch/claimbuster-spotter @ 332bba08), "
        f"{len(texts)} sentences, {sum(labels)} check-worthy",
        "data_sha256": sha256_files([claimbuster_path()]),
        "params": PARAMS,
        "scikit_learn": version("scikit-learn"),
        "features": {
            "words": len(model.arrays["word_vocab"]),
            "chars": len(model.arrays["char_vocab"]),
        },  # type: ignore[attr-defined]
        "accuracy": "see `python benchmarks/claims_accuracy.py`",
    }
    (args.out / CARD_FILE).write_text(json.dumps(card, indent=1) + "\n", encoding="utf-8")
    print(f"{len(texts)} sentences -> {args.out / MODEL_FILE} ({card['features']})")


if __name__ == "__main__":
    main()
