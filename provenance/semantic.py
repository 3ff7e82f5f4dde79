"""Sentence embeddings for semantic matching: the accurate mode's paraphrase comparison.

A claim restated in other words ("the minister resigned" / "the minister has stepped down")
shares few words with the original, so word sets and full-text ranks miss it; a sentence
encoder places both close together. The encoder is all-MiniLM-L6-v2, exported to ONNX with
mean pooling and L2 normalisation inside the graph and quantised to int8 by
``scripts/export_minilm.py``; the graph and the tokenizer ship in ``provenance/models/``
(``minilm.json`` is the card: sha256 of inputs and outputs, licence, measured agreement with
the original model). It runs with onnxruntime and the ``tokenizers`` fast tokenizer, installed
by the ``accurate`` extra; torch is never needed and nothing is downloaded.

    from provenance import semantic
    semantic.similarities("The minister resigned.", ["He stepped down as minister.", "Rain."])
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from functools import cache
from importlib import resources
from pathlib import Path
from typing import Any

import numpy as np

from .errors import ExtraNotInstalled

#: Recorded on what the encoder produces; the card of the shipped files says the same.
MODEL_VERSION = "minilm-l6-v2-onnx-int8-1"
ONNX_FILE = "minilm-l6-v2-int8.onnx"
TOKENIZER_FILE = "minilm-l6-v2-tokenizer.json"
CARD_FILE = "minilm.json"
DIMENSIONS = 384
#: The model's own limit (sentence-transformers' max_seq_length): longer text is truncated.
MAX_TOKENS = 256
INSTALL_HINT = "pip install 'provenance[accurate]'"
#: The accurate mode's check-worthiness head (``scripts/train_claims_accurate.py``).
CLAIMS_HEAD_FILE = "claims-accurate.npz"
CLAIMS_HEAD_CARD = "claims-accurate.json"


def _runtime() -> tuple[Any, Any] | None:
    try:
        import onnxruntime
        import tokenizers
    except ImportError:
        return None
    return onnxruntime, tokenizers


def _model_dir() -> Path:
    return Path(str(resources.files("provenance") / "models"))


def available() -> bool:
    """Whether the accurate extra is installed and the shipped encoder is present."""
    base = _model_dir()
    return (
        _runtime() is not None
        and (base / ONNX_FILE).is_file()
        and (base / TOKENIZER_FILE).is_file()
    )


def model_card() -> dict[str, Any]:
    """The card of the shipped encoder (how it was made, sha256s, licence, agreement)."""
    return json.loads((_model_dir() / CARD_FILE).read_text(encoding="utf-8"))


def providers(available_providers: Sequence[str]) -> list[str]:
    """onnxruntime providers to ask for: CUDA when this onnxruntime has it, the CPU always."""
    chosen = ["CUDAExecutionProvider"] if "CUDAExecutionProvider" in available_providers else []
    return [*chosen, "CPUExecutionProvider"]


class Encoder:
    """The ONNX sentence encoder with its tokenizer; embeds batches of texts."""

    def __init__(
        self, directory: str | Path | None = None, threads: int = 0, graph: str | Path | None = None
    ) -> None:
        """The shipped encoder, or the one in ``directory``; ``graph`` names another ONNX file
        with the same inputs and output (the fp32 export, to compare); ``threads`` 0 lets
        onnxruntime use every core."""
        runtime = _runtime()
        if runtime is None:
            raise ExtraNotInstalled(f"semantic matching needs the accurate extra: {INSTALL_HINT}")
        onnxruntime, tokenizers = runtime
        base = Path(directory) if directory else _model_dir()
        graph = Path(graph) if graph else base / ONNX_FILE
        if not graph.is_file():
            raise ExtraNotInstalled(
                f"the sentence encoder {graph} is missing; reinstall: {INSTALL_HINT}"
            )
        self.version = MODEL_VERSION if graph == base / ONNX_FILE else graph.name
        self.tokenizer = tokenizers.Tokenizer.from_file(str(base / TOKENIZER_FILE))
        self.tokenizer.enable_truncation(MAX_TOKENS)
        self.tokenizer.no_padding()  # the shipped tokenizer.json pads to 128: texts run alone
        options = onnxruntime.SessionOptions()
        options.intra_op_num_threads = threads
        options.log_severity_level = 3  # CUDA-less machines would warn about the provider
        self.session = onnxruntime.InferenceSession(
            str(graph),
            options,
            providers=providers(onnxruntime.get_available_providers()),
        )
        self.providers: list[str] = self.session.get_providers()

    def embed(self, texts: Sequence[str]) -> np.ndarray:
        """One L2-normalised 384-d row per text (float32), in the order given.

        Each text runs alone: int8 dynamic quantisation takes each activation's range over the
        whole batch, so in a batch a text's vector would move with its neighbours (cosine 0.988
        against the same text alone, measured); alone it is the same in every call, which
        stored or cached vectors need. Batches of 32 were only 5-20 % faster on one core.
        """
        out = np.zeros((len(texts), DIMENSIONS), dtype=np.float32)
        if not texts:
            return out
        run = self.session.run
        for row, encoding in enumerate(self.tokenizer.encode_batch(list(texts))):
            ids = np.array([encoding.ids], dtype=np.int64)
            mask = np.ones_like(ids)
            out[row] = run(None, {"input_ids": ids, "attention_mask": mask})[0][0]
        # The graph normalises already; again here so that rounding never leaves |v| != 1.
        norms = np.linalg.norm(out, axis=1, keepdims=True)
        return np.divide(out, norms, out=np.zeros_like(out), where=norms > 0)

    def similarities(self, query: str, texts: Sequence[str]) -> list[float]:
        """Cosine similarity of ``query`` to each text, in the order given."""
        if not texts:
            return []
        vectors = self.embed([query, *texts])
        return [float(s) for s in vectors[1:] @ vectors[0]]


@cache
def encoder() -> Encoder:
    """The shipped encoder, loaded once per process."""
    return Encoder()


def embed(texts: list[str]) -> np.ndarray:
    """L2-normalised sentence embeddings, one row per text (raises ExtraNotInstalled)."""
    return encoder().embed(texts)


def similarities(query: str, texts: list[str]) -> list[float]:
    """Cosine similarity of ``query`` to each text: the rescorer for ``who --accurate``."""
    return encoder().similarities(query, texts)


# --- check-worthiness -----------------------------------------------------------------------


@cache
def claims_head() -> tuple[np.ndarray, float, dict[str, Any]]:
    """The shipped check-worthiness head: its weights, intercept and card."""
    base = _model_dir()
    with np.load(base / CLAIMS_HEAD_FILE, allow_pickle=False) as arrays:
        coef, intercept = arrays["coef"].astype(np.float64), float(arrays["intercept"])
    card = json.loads((base / CLAIMS_HEAD_CARD).read_text(encoding="utf-8"))
    return coef, intercept, card


def blend_head(
    vectors: np.ndarray,
    coef: np.ndarray,
    intercept: float,
    default_scores: Sequence[float],
    weight: float,
) -> list[float]:
    """The head's probability over each embedding, mixed (``weight``) with the default's."""
    head = 1.0 / (1.0 + np.exp(-(vectors.astype(np.float64) @ coef + intercept)))
    return [
        (1 - weight) * float(d) + weight * float(h)
        for d, h in zip(default_scores, head, strict=True)
    ]


def checkworthiness(texts: Sequence[str], default_scores: Sequence[float]) -> list[float]:
    """Accurate check-worthiness: the mean (weight ``blend`` of the card) of the default
    scorer's probability and the head's probability over each text's embedding."""
    if len(texts) != len(default_scores):
        raise ValueError(f"{len(default_scores)} default scores for {len(texts)} texts")
    coef, intercept, card = claims_head()
    return blend_head(embed(list(texts)), coef, intercept, default_scores, float(card["blend"]))
