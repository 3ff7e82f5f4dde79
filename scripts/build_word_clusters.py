"""Build the word clusters the attribution tagger uses as features.

Words that occur in the same contexts ("said", "told", "argued") fall in the same cluster, so
the tagger generalises to reporting verbs and titles it never saw in its training data.
Method: positive PMI of word pairs within two tokens of each other, reduced to 128 dimensions
(truncated SVD), then k-means at three granularities (64, 256 and 1,024 clusters).

Data (unlabelled text only, read from ../shared/corpus or $PROVENANCE_CORPUS): the PolNeAR
*train* article texts (not dev), the cablegate cable bodies, and the sentences of ClaimBuster
train.json, CheckThat! 2019 task 1 and CheckThat! 2020 task 5 training data.

    .venv/bin/pip install -e '.[train]'
    .venv/bin/python scripts/build_word_clusters.py   # writes provenance/models/word_clusters.json
"""

from __future__ import annotations

import csv
import gzip
import json
import sys
import time
from collections import Counter
from pathlib import Path

import numpy as np
import scipy.sparse as sp
from sklearn.cluster import MiniBatchKMeans
from sklearn.decomposition import TruncatedSVD

from provenance.attribution import TOKEN, _key
from provenance.corpora import ROOT, corpus_dir, sha256_files

SIZES = (64, 256, 1024)
MAX_VOCAB = 40_000
MIN_COUNT = 5


def sources() -> list[Path]:
    c = corpus_dir()
    return [
        *sorted((c / "attribution" / "polnear" / "data" / "train" / "text").glob("*.txt")),
        c / "cables" / "cables.jsonl.gz",
        c / "checkworthiness" / "claimbuster" / "train.json",
        c / "checkworthiness" / "clef2019" / "CT19-T1-Training.csv",
        c / "checkworthiness" / "clef2020" / "task5_train.tsv",
    ]


def texts(paths: list[Path]):
    for path in paths:
        if path.suffix == ".txt":
            yield path.read_text(encoding="utf-8")
        elif path.name.endswith(".jsonl.gz"):
            with gzip.open(path, "rt", encoding="utf-8") as fh:
                for line in fh:
                    yield json.loads(line)["body"]
        elif path.suffix == ".json":
            for row in json.loads(path.read_text(encoding="utf-8")):
                yield row["text"]
        else:
            delimiter = "\t" if path.suffix == ".tsv" else ","
            with path.open(encoding="utf-8", newline="") as fh:
                for row in csv.DictReader(
                    fh,
                    delimiter=delimiter,
                    quoting=csv.QUOTE_NONE if delimiter == "\t" else csv.QUOTE_MINIMAL,
                ):
                    yield row["text"]


def main() -> None:
    paths = sources()
    missing = [p for p in paths if not p.exists()]
    if missing:
        sys.exit(f"corpus not found: {missing[0]} (set PROVENANCE_CORPUS)")
    started = time.time()
    docs = [
        [_key(m.group()) for m in TOKEN.finditer(t) if m.group()[0].isalnum()] for t in texts(paths)
    ]
    counts = Counter(w for d in docs for w in d)
    vocab = [w for w, n in counts.most_common(MAX_VOCAB) if n >= MIN_COUNT]
    index = {w: i for i, w in enumerate(vocab)}
    size = len(vocab)
    rows, cols = [], []
    for doc in docs:
        ids = np.array([index.get(w, -1) for w in doc], dtype=np.int64)
        for offset in (1, 2):
            a, b = ids[:-offset], ids[offset:]
            keep = (a >= 0) & (b >= 0)
            rows.append(a[keep])
            cols.append(b[keep])
    r, c = np.concatenate(rows), np.concatenate(cols)
    pairs = sp.coo_matrix((np.ones(len(r)), (r, c)), shape=(size, size)).tocsr()
    pairs = (pairs + pairs.T).tocoo()
    total = pairs.sum()
    row_p = np.asarray(pairs.sum(axis=1)).ravel() / total
    col_p = row_p**0.75
    col_p /= col_p.sum()
    pmi = np.log(pairs.data / total / (row_p[pairs.row] * col_p[pairs.col]))
    keep = pmi > 0
    ppmi = sp.csr_matrix((pmi[keep], (pairs.row[keep], pairs.col[keep])), shape=(size, size))
    vectors = TruncatedSVD(128, random_state=0).fit_transform(ppmi)
    vectors /= np.linalg.norm(vectors, axis=1, keepdims=True) + 1e-9
    clusters = {
        str(k): MiniBatchKMeans(k, random_state=0, n_init=3, batch_size=4096)
        .fit_predict(vectors)
        .tolist()
        for k in SIZES
    }
    out = ROOT / "provenance" / "models" / "word_clusters.json"
    out.write_text(
        json.dumps(
            {
                "description": "Word clusters (PPMI + SVD + k-means) used as tagger features",
                "script": "scripts/build_word_clusters.py",
                "data": [str(p.relative_to(corpus_dir())) for p in paths if p.suffix != ".txt"]
                + ["attribution/polnear/data/train/text/*.txt"],
                "data_sha256": sha256_files(paths),
                "tokens": int(sum(counts.values())),
                "sizes": list(SIZES),
                "vocab": vocab,
                "clusters": clusters,
            },
            separators=(",", ":"),
        )
        + "\n",
        encoding="utf-8",
    )
    print(
        f"{len(vocab)} words, {sum(counts.values())} tokens, {time.time() - started:.0f} s -> {out}"
    )


if __name__ == "__main__":
    main()
