"""Train the attribution tagger shipped in provenance/models/attribution.crfsuite.

A linear-chain CRF (python-crfsuite) over the tokens of each paragraph, labelling source
mentions, cues and content spans (BIO), with the features of
``provenance.attribution.token_features`` (words, suffixes, shapes, word clusters, quote
state, distance to a reporting word). Trained on the PolNeAR *train* split only
(../shared/corpus/attribution/polnear, or $PROVENANCE_CORPUS); dev is for the harness.

    .venv/bin/pip install -e '.[train]'
    .venv/bin/python scripts/train_attribution.py            # about 10 minutes on one core
    .venv/bin/python scripts/train_attribution.py --out /tmp/model --c1 0.5
    .venv/bin/python scripts/train_attribution.py --out /tmp/fold0 --fold 0   # 4/5 of train

Writes the model and its card (attribution.json: data and its SHA-256, parameters, cue
lexicon, versions) into provenance/models/ unless --out is given.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import sys
import time
from collections import Counter
from importlib.metadata import version
from pathlib import Path

import pycrfsuite

from provenance import attribution
from provenance.corpora import ROOT, Article, corpus_dir, polnear_files, read_polnear, sha256_files
from provenance.text import paragraph_spans

_STOP = set(
    "the a an to of in that and on for it is was be has have had not with as by at he she they"
    " his her their this about".split()
)


def cue_lexicon(articles: list[Article], size: int = 300) -> list[str]:
    """The words most often inside cue spans (function words left out)."""
    counts: Counter[str] = Counter()
    for article in articles:
        for span in article.spans:
            if span.role == "Cue":
                for a, b in span.parts:
                    for m in attribution.TOKEN.finditer(article.text, a, b):
                        counts[attribution._key(m.group())] += 1
    return sorted(w for w, _ in counts.most_common(size) if w.isalpha() and w not in _STOP)


#: Written into the card as ``decoding_bias`` (added to every transition into a label when the
#: model is loaded: ``attribution.with_decoding_bias``); chosen for this recipe by 5-fold
#: cross-validation on train (``benchmarks/attribution_decoding.py --crf``). Fold models,
#: which that choice is made with, get none.
DECODING_BIAS: dict[str, float] = {"B-S": 0.25, "B-Q": 0.5, "I-C": -0.25}

#: Cross-validation folds of PolNeAR train (``--fold``): by article, so that the annotation
#: files of one article stay together.
FOLDS = 5


def fold_of(name: str) -> int:
    """The cross-validation fold of a PolNeAR article (stable: from its name's digest)."""
    return int(hashlib.sha256(name.encode("utf-8")).hexdigest(), 16) % FOLDS


def labelled_paragraphs(article: Article):
    """(tokens, BIO labels) for each paragraph of an article."""
    parts = sorted((a, b, attribution.ROLES[s.role]) for s in article.spans for a, b in s.parts)
    text = article.text
    for p_start, p_end in paragraph_spans(text):
        tokens = attribution.tokenize(text, p_start, p_end)
        labels = ["O"] * len(tokens)
        for a, b, role in parts:
            if b <= p_start or a >= p_end:
                continue
            first = True
            for k, (s, e) in enumerate(tokens):
                if s >= a and e <= b:
                    labels[k] = ("B-" if first else "I-") + role
                    first = False
        yield tokens, labels


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--out", type=Path, default=ROOT / "provenance" / "models")
    parser.add_argument("--c1", type=float, default=2.0, help="L1 penalty (sparser model)")
    parser.add_argument("--c2", type=float, default=0.01, help="L2 penalty")
    parser.add_argument("--iterations", type=int, default=300)
    parser.add_argument(
        "--fold",
        type=int,
        choices=range(FOLDS),
        help=f"leave out this fold of train's articles (one of {FOLDS}, fold_of) to measure on it",
    )
    args = parser.parse_args()
    if args.fold is not None and args.out == parser.get_default("out"):
        parser.error("--fold needs --out: a fold model must not replace the shipped one")
    files = polnear_files("train")
    if args.fold is not None:
        files = [f for f in files if fold_of(f.stem.rsplit("_", 1)[0]) != args.fold]
    if not files:
        sys.exit(f"PolNeAR not found under {corpus_dir()} (set PROVENANCE_CORPUS)")
    started = time.time()
    articles = read_polnear("train")
    if args.fold is not None:
        articles = [a for a in articles if fold_of(a.name) != args.fold]
    lexicon = cue_lexicon(articles)
    args.out.mkdir(parents=True, exist_ok=True)
    card_path = args.out / attribution.CARD_FILE
    card = {
        "method": attribution.METHOD,
        "description": "Linear-chain CRF tagging source, cue and content spans (BIO) per paragraph",
        "script": "scripts/train_attribution.py",
        "data": "PolNeAR v1.0.0 train split (networkdynamics/PolNeAR @ c3eee833), "
        f"{len(files)} annotation files"
        + (f" (fold {args.fold} of {FOLDS} left out)" if args.fold is not None else ""),
        "data_sha256": sha256_files(files),
        "params": {"c1": args.c1, "c2": args.c2, "max_iterations": args.iterations},
        "cue_lexicon": lexicon,
    }
    if args.fold is None and DECODING_BIAS:
        card["decoding_bias"] = DECODING_BIAS
    # The features read the lexicon from the card: write it before featurising.
    card_path.write_text(json.dumps(card, indent=1) + "\n", encoding="utf-8")
    attribution.use_models(args.out)
    trainer = pycrfsuite.Trainer(verbose=False)
    tokens_seen = 0
    for article in articles:
        for tokens, labels in labelled_paragraphs(article):
            if not tokens:
                continue
            words = attribution._words_for_tagging(article.text, tokens)
            trainer.append(attribution.token_features(words), labels)
            tokens_seen += len(tokens)
    featurised = time.time() - started
    trainer.set_params(
        {
            "c1": args.c1,
            "c2": args.c2,
            "max_iterations": args.iterations,
            "feature.possible_transitions": True,
        }
    )
    trainer.train(str(args.out / attribution.MODEL_FILE))
    tagger = pycrfsuite.Tagger()
    tagger.open(str(args.out / attribution.MODEL_FILE))
    card.update(
        {
            "tokens": tokens_seen,
            "active_features": len(tagger.info().state_features),
            "python_crfsuite": version("python-crfsuite"),
            "train_seconds": round(time.time() - started),
        }
    )
    card_path.write_text(json.dumps(card, indent=1) + "\n", encoding="utf-8")
    print(
        f"{len(articles)} articles, {tokens_seen} tokens, featurised in {featurised:.0f} s, "
        f"trained in {time.time() - started:.0f} s; {card['active_features']} features -> {args.out}"
    )


if __name__ == "__main__":
    main()
