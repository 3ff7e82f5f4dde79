"""CheckThat! 2019 leave-one-debate-out MAP with heads trained on the debates themselves.

The accurate scorer is trained on ClaimBuster; `benchmarks/claims_accuracy.py --finetuned`
scores each CheckThat! 2019 debate with it (MAP 0.249 against the issue's 0.28). This asks how
far a cheap head trained on the other debates gets, without fine-tuning the encoder once per
debate (nineteen trainings, hours of CPU here): a class-balanced logistic regression, fitted on
18 debates and scored on the 19th, over

- ``scores``: the fine-tuned model's and the default scorer's logits, whether the line is
  the transcript's own (``SYSTEM``) or an audience question (``QUESTION``), the sentence's
  length;
- ``+ context``: the fine-tuned logits of the lines before and after, whether the speaker
  continues, the position in and the length of the speaker's turn;
- ``+ embeddings``: the shipped sentence encoder's 384 dimensions as well.

    .venv/bin/python benchmarks/checkthat_heads.py      # 2.5 minutes on 2 cores, 1.5 once cached

Needs the corpus (``../shared/corpus`` or ``$PROVENANCE_CORPUS``), scikit-learn
(``pip install -e '.[train]'``), the accurate extra (the encoder) and the fine-tuned model's
debate scores that ``scripts/train_claims_finetuned.py --checkthat`` leaves in
``benchmarks/out/finetune-checkthat-*.npz`` (or ``--scores PATH``). Embeddings are cached in
``benchmarks/out``. Prints the MAP of each head beside the shipped blend's, from the same run.
"""

from __future__ import annotations

import argparse
import statistics
import sys
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))

from claims_accuracy import _key, average_precision, ours_model  # noqa: E402

from provenance import corpora, semantic  # noqa: E402

OUT = Path(__file__).resolve().parent / "out"
ROLES = ("SYSTEM", "QUESTION")  # lines of the transcript or the audience, not a speaker's


def logit(p: np.ndarray) -> np.ndarray:
    p = np.clip(p, 1e-4, 1 - 1e-4)
    return np.log(p / (1 - p))


def turn_features(lines) -> np.ndarray:
    """Per line: the speaker continues from the line before; its position in the speaker's
    turn (capped at 10) and the turn's length (capped at 20), scaled to [0, 1]."""
    rows = []
    i = 0
    while i < len(lines):
        j = i
        while (
            j + 1 < len(lines)
            and lines[j + 1].speaker == lines[i].speaker
            and lines[j + 1].debate == lines[i].debate
        ):
            j += 1
        for k in range(i, j + 1):
            rows.append((float(k > i), min(k - i, 10) / 10, min(j - i + 1, 20) / 20))
        i = j + 1
    return np.array(rows)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--scores", help="the fine-tuned model's debate scores (.npz)")
    args = parser.parse_args()
    if not corpora.checkthat2019_path().exists() or not corpora.claimbuster_path().exists():
        print(f"skipped: the corpus is not at {corpora.checkthat2019_path().parent}")
        return 0
    try:
        from sklearn.linear_model import LogisticRegression
    except ImportError:
        print("skipped: needs scikit-learn (pip install -e '.[train]')")
        return 0
    if not semantic.available():
        print(f"skipped: the sentence encoder needs {semantic.INSTALL_HINT}")
        return 0
    found = [Path(args.scores)] if args.scores else sorted(OUT.glob("finetune-checkthat-*.npz"))
    if not found or not found[-1].exists():
        print("skipped: run scripts/train_claims_finetuned.py --checkthat first (or --scores)")
        return 0

    texts, labels = corpora.read_claimbuster()
    lines = corpora.read_checkthat2019()
    in_debates = {_key(line.text) for line in lines}
    keep = [i for i, t in enumerate(texts) if _key(t) not in in_debates]
    with np.load(found[-1]) as z:
        if z["kept"].tolist() != keep or len(z["int8"]) != len(lines):
            raise SystemExit(f"{found[-1]} was trained on other sentences")
        tuned, weight = z["int8"], float(z["blend"])
    score, _ = ours_model([texts[i] for i in keep], [labels[i] for i in keep], False)
    default = np.array(score([line.text for line in lines]))
    cache = OUT / f"checkthat-embeddings-{semantic.MODEL_VERSION}.npy"
    if cache.exists():
        vectors = np.load(cache)
    else:
        vectors = np.asarray(semantic.embed([line.text for line in lines]))
        OUT.mkdir(exist_ok=True)
        np.save(cache, vectors)

    gold = np.array([line.label for line in lines])
    debate = np.array([line.debate for line in lines])
    names = sorted(set(debate.tolist()))
    shipped = weight * tuned + (1 - weight) * default

    def mean_ap(scores_of) -> float:
        return statistics.mean(
            average_precision(gold[debate == n].tolist(), scores_of(n).tolist()) for n in names
        )

    def loo(features: np.ndarray, c: float) -> float:
        def held_out(name: str) -> np.ndarray:
            train, test = debate != name, debate == name
            head = LogisticRegression(C=c, class_weight="balanced", max_iter=2000)
            head.fit(features[train], gold[train])
            return head.predict_proba(features[test])[:, 1]

        return mean_ap(held_out)

    tuned_logit = logit(tuned)
    scores = np.c_[
        tuned_logit,
        logit(default),
        [line.speaker in ROLES for line in lines],
        [min(len(line.text.split()), 40) / 40 for line in lines],
    ]
    context = np.c_[
        scores, np.r_[0, tuned_logit[:-1]], np.r_[tuned_logit[1:], 0], turn_features(lines)
    ]
    print(f"CheckThat! 2019, {len(names)} debates, {len(lines)} lines, leave-one-debate-out MAP")
    blend_map = mean_ap(lambda n: shipped[debate == n])
    print(f"  shipped blend (fine-tuned on ClaimBuster, weight {weight}): {blend_map:.3f}")
    for name, features, grid in (
        ("scores", scores, (0.1, 1.0)),
        ("+ context", context, (0.1, 1.0)),
        ("+ embeddings", np.c_[vectors, context], (0.03, 0.1)),
    ):
        for c in grid:
            print(f"  head on the other debates, {name:<13} C {c:<5} {loo(features, c):.3f}")
    print("  (target >= 0.28)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
