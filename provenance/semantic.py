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
from collections.abc import Iterator, Sequence
from functools import cache
from importlib import resources
from pathlib import Path
from typing import Any

import numpy as np

from .compiled import core
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
#: The accurate mode's check-worthiness model: all-MiniLM-L6-v2 fine-tuned on ClaimBuster,
#: int8 ONNX, token ids to probability (``scripts/train_claims_finetuned.py``); its card.
CLAIMS_MODEL_FILE = "claims-minilm-ft-int8.onnx"
CLAIMS_CARD = "claims-accurate.json"


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


def _require_runtime(what: str) -> tuple[Any, Any]:
    runtime = _runtime()
    if runtime is None:
        raise ExtraNotInstalled(f"{what} needs the accurate extra: {INSTALL_HINT}")
    return runtime


def _session(graph: Path, threads: int) -> Any:
    """An onnxruntime session on ``graph`` (CUDA when present; ``threads`` 0: every core)."""
    onnxruntime = _require_runtime("the accurate mode")[0]
    if not graph.is_file():
        raise ExtraNotInstalled(f"the model {graph} is missing; reinstall: {INSTALL_HINT}")
    options = onnxruntime.SessionOptions()
    options.intra_op_num_threads = threads
    options.log_severity_level = 3  # CUDA-less machines would warn about the provider
    return onnxruntime.InferenceSession(
        str(graph), options, providers=providers(onnxruntime.get_available_providers())
    )


def _tokenizer(path: Path, max_tokens: int) -> Any:
    tokenizer = _require_runtime("the accurate mode")[1].Tokenizer.from_file(str(path))
    tokenizer.enable_truncation(max_tokens)
    tokenizer.no_padding()  # the shipped tokenizer.json pads to 128: texts run alone
    return tokenizer


def _run_alone(session: Any, tokenizer: Any, texts: Sequence[str]) -> Iterator[np.ndarray]:
    """The graph's first output for each text run alone (see :meth:`Encoder.embed`)."""
    for encoding in tokenizer.encode_batch(list(texts)):
        ids = np.array([encoding.ids], dtype=np.int64)
        yield session.run(None, {"input_ids": ids, "attention_mask": np.ones_like(ids)})[0][0]


class Encoder:
    """The ONNX sentence encoder with its tokenizer; embeds batches of texts."""

    def __init__(
        self, directory: str | Path | None = None, threads: int = 0, graph: str | Path | None = None
    ) -> None:
        """The shipped encoder, or the one in ``directory``; ``graph`` names another ONNX file
        with the same inputs and output (the fp32 export, to compare); ``threads`` 0 lets
        onnxruntime use every core."""
        _require_runtime("semantic matching")
        base = Path(directory) if directory else _model_dir()
        graph = Path(graph) if graph else base / ONNX_FILE
        self.version = MODEL_VERSION if graph == base / ONNX_FILE else graph.name
        self.session = _session(graph, threads)
        self.tokenizer = _tokenizer(base / TOKENIZER_FILE, MAX_TOKENS)
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
        for row, vector in enumerate(_run_alone(self.session, self.tokenizer, texts)):
            out[row] = vector
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


class ClaimScorer:
    """The fine-tuned check-worthiness graph: P(check-worthy) of each text, each run alone
    (as the encoder's texts, so that a sentence's score never depends on its neighbours)."""

    def __init__(self, directory: str | Path | None = None, threads: int = 0) -> None:
        _require_runtime("accurate check-worthiness")
        base = Path(directory) if directory else _model_dir()
        self.card = json.loads((base / CLAIMS_CARD).read_text(encoding="utf-8"))
        self.version: str = self.card["version"]
        self.session = _session(base / self.card["file"], threads)
        self.tokenizer = _tokenizer(base / self.card["tokenizer"], int(self.card["max_tokens"]))
        self.providers: list[str] = self.session.get_providers()

    def probabilities(self, texts: Sequence[str]) -> np.ndarray:
        """The fine-tuned model's probability for each text, in the order given."""
        out = np.zeros(len(texts), dtype=np.float64)
        for row, p in enumerate(_run_alone(self.session, self.tokenizer, texts)):
            out[row] = float(p)
        return out

    def checkworthiness(self, texts: Sequence[str], default_scores: Sequence[float]) -> list[float]:
        """The card's blend of the model's probability with the default scorer's."""
        if len(texts) != len(default_scores):
            raise ValueError(f"{len(default_scores)} default scores for {len(texts)} texts")
        weight = float(self.card["blend"])
        return [
            weight * float(p) + (1 - weight) * float(d)
            for p, d in zip(self.probabilities(texts), default_scores, strict=True)
        ]


@cache
def claim_scorer() -> ClaimScorer:
    """The shipped check-worthiness model, loaded once per process."""
    return ClaimScorer()


def checkworthiness(texts: Sequence[str], default_scores: Sequence[float]) -> list[float]:
    """Accurate check-worthiness: the fine-tuned model's probability blended (weight
    ``blend`` of the card) with the default scorer's (raises ExtraNotInstalled)."""
    return claim_scorer().checkworthiness(texts, default_scores)


# --- attribution tagging --------------------------------------------------------------------

#: The accurate mode's attribution tagger: all-MiniLM-L6-v2 fine-tuned on PolNeAR train to tag
#: source / cue / content tokens (``scripts/train_attribution_finetuned.py``); its card.
ATTRIBUTION_CARD = "attribution-accurate.json"
#: The tagger's outputs, in the graph's order: the word labels of the CRF (S source, C cue,
#: Q content), so that the CRF path's grouping turns either into attributions.
TAG_LABELS = ("O", "B-S", "I-S", "B-C", "I-C", "B-Q", "I-Q")


def word_pieces(tokenizer: Any, text: str, words: Sequence[tuple[int, int]]) -> list[list[int]]:
    """The word-piece ids of each word (character spans into ``text``) of one paragraph.

    The paragraph is encoded once; a piece belongs to the word holding its first character
    (BERT's pre-tokenizer splits at least as finely as :func:`provenance.attribution.tokenize`,
    so a piece never straddles two words). A word the tokenizer drops has no pieces.
    """
    if not words:
        return []
    first, last = words[0][0], words[-1][1]
    encoding = tokenizer.encode(text[first:last], add_special_tokens=False)
    out: list[list[int]] = [[] for _ in words]
    w = 0
    for piece, (start, _) in zip(encoding.ids, encoding.offsets, strict=True):
        start += first
        while w + 1 < len(words) and start >= words[w][1]:
            w += 1
        out[w].append(piece)
    return out


def chunks(
    text: str, words: Sequence[tuple[int, int]], pieces: Sequence[list[int]], limit: int
) -> list[tuple[int, int]]:
    """Word ranges ``(first, stop)`` of a paragraph that fit ``limit`` pieces each: whole
    sentences while they fit, a longer sentence cut between words."""
    sentences: list[tuple[int, int]] = []
    begin = 0
    for k, (a, b) in enumerate(words):
        if text[a:b] in (".", "!", "?") or k == len(words) - 1:
            sentences.append((begin, k + 1))
            begin = k + 1
    out: list[tuple[int, int]] = []
    start, size = 0, 0
    for s_first, s_stop in sentences:
        s_size = sum(min(len(pieces[k]), limit) for k in range(s_first, s_stop))
        if size and size + s_size > limit:
            out.append((start, s_first))
            start, size = s_first, 0
        if s_size <= limit:
            size += s_size
            continue
        for k in range(s_first, s_stop):  # one sentence longer than the limit
            n = min(len(pieces[k]), limit)
            if size and size + n > limit:
                out.append((start, k))
                start, size = k, 0
            size += n
    if start < len(words):
        out.append((start, len(words)))
    return out


def tagger_inputs(
    text: str,
    words: Sequence[tuple[int, int]],
    pieces: Sequence[list[int]],
    limit: int,
    cls: int,
    sep: int,
) -> list[tuple[int, int, list[int], list[int]]]:
    """``(first word, stop word, ids, positions)`` per chunk: the chunk's pieces between
    ``[CLS]`` and ``[SEP]`` and the position of each word's first piece (-1: no piece)."""
    out = []
    for first, stop in chunks(text, words, pieces, limit):
        ids, positions = [cls], []
        for k in range(first, stop):
            positions.append(len(ids) if pieces[k] else -1)
            ids.extend(pieces[k][:limit])
        ids.append(sep)
        out.append((first, stop, ids, positions))
    return out


def _transitions() -> tuple[np.ndarray, np.ndarray]:
    """Which label may follow which (``I-X`` only after ``B-X`` or ``I-X``) and open a chunk,
    as 0 / -inf additive scores."""
    n = len(TAG_LABELS)
    follow = np.zeros((n, n))
    first = np.zeros(n)
    for j, label in enumerate(TAG_LABELS):
        if label.startswith("I-"):
            first[j] = -np.inf
            for i, before in enumerate(TAG_LABELS):
                if before == "O" or before[2:] != label[2:]:
                    follow[i, j] = -np.inf
    return follow, first


_FOLLOW, _FIRST = _transitions()


def decode(scores: np.ndarray, bias: np.ndarray | None = None) -> list[int]:
    """The best label sequence (Viterbi) over (words, labels) scores under BIO's rules; on
    PolNeAR train's held-out articles it gave cue exact F1 +0.03 and source +0.02 over
    each word's best label alone. ``bias`` (one value per label of ``TAG_LABELS``) is added
    to every word's log-probabilities first (the card's ``decoding_bias``)."""
    if not len(scores):
        return []
    top = scores.max(axis=1, keepdims=True)
    log_p = scores - top - np.log(np.exp(scores - top).sum(axis=1, keepdims=True))
    if bias is not None:
        log_p = log_p + bias
    if core is not None:  # the same recursion, ties and all (see _core.c: viterbi)
        state = np.ascontiguousarray(log_p, dtype=np.float64)
        state[0] += _FIRST
        return core.viterbi(state, [len(state)], _FOLLOW)[0]
    best = _FIRST + log_p[0]
    back = np.zeros(scores.shape, dtype=np.int64)
    for t in range(1, len(scores)):
        candidates = best[:, None] + _FOLLOW
        back[t] = candidates.argmax(axis=0)
        best = candidates.max(axis=0) + log_p[t]
    path = [int(best.argmax())]
    for t in range(len(scores) - 1, 0, -1):
        path.append(int(back[t, path[-1]]))
    return path[::-1]


def labels_from_scores(
    scores: np.ndarray, positions: Sequence[int], bias: np.ndarray | None = None
) -> list[str]:
    """Each word's label from its first piece's scores (decoded together, :func:`decode`,
    with ``bias``); a word without pieces continues the word before it."""
    rows = [p for p in positions if p >= 0]
    decoded = iter(decode(scores[rows], bias))
    out: list[str] = []
    for p in positions:
        if p < 0:
            previous = out[-1] if out else "O"
            out.append("O" if previous == "O" else "I-" + previous[2:])
        else:
            out.append(TAG_LABELS[next(decoded)])
    return out


def decoding_bias(card: dict[str, Any]) -> np.ndarray | None:
    """The card's ``decoding_bias`` (label: value, the others 0) as one value per label of
    ``TAG_LABELS``; None when the card has none."""
    given = card.get("decoding_bias")
    if not given:
        return None
    unknown = set(given) - set(TAG_LABELS)
    if unknown:
        raise ValueError(f"decoding_bias names labels the tagger lacks: {sorted(unknown)}")
    return np.array([float(given.get(label, 0.0)) for label in TAG_LABELS])


class AttributionTagger:
    """The fine-tuned attribution tagger: labels the tokens of paragraphs as the CRF does
    (``tag_paragraphs``), so :func:`provenance.attribution.find_attributions` groups them the
    same way. Each chunk of at most ``max_tokens`` pieces runs alone (as the encoder's texts:
    a paragraph's labels never depend on the rest of the batch)."""

    def __init__(
        self, directory: str | Path | None = None, threads: int = 0, graph: str | Path | None = None
    ) -> None:
        """The shipped tagger, or the one in ``directory``; ``graph`` names another ONNX file
        with the same inputs and output (the fp32 export, to compare)."""
        _require_runtime("the accurate attribution tagger")
        base = Path(directory) if directory else _model_dir()
        self.card = json.loads((base / ATTRIBUTION_CARD).read_text(encoding="utf-8"))
        shipped = base / self.card["file"]
        graph = Path(graph) if graph else shipped
        self.version: str = self.card["version"] if graph == shipped else graph.name
        self.session = _session(graph, threads)
        self.tokenizer = _tokenizer(base / self.card["tokenizer"], int(self.card["max_tokens"]))
        self.tokenizer.no_truncation()  # paragraphs are cut into chunks between words instead
        self.providers: list[str] = self.session.get_providers()
        self.bias = decoding_bias(self.card)

    def scores(self, ids: list[int]) -> np.ndarray:
        """(pieces, labels) scores of one chunk's ids."""
        row = np.array([ids], dtype=np.int64)
        return self.session.run(None, {"input_ids": row, "attention_mask": np.ones_like(row)})[0][0]

    def tag_paragraphs(
        self, text: str, paragraphs: Sequence[Sequence[tuple[int, int]]]
    ) -> list[list[str]]:
        """Labels (``TAG_LABELS``) of the tokens of each paragraph."""
        limit = int(self.card["max_tokens"]) - 2
        cls, sep = self.tokenizer.token_to_id("[CLS]"), self.tokenizer.token_to_id("[SEP]")
        out = []
        for words in paragraphs:
            pieces = word_pieces(self.tokenizer, text, words)
            labels: list[str] = []
            for _, _, ids, positions in tagger_inputs(text, words, pieces, limit, cls, sep):
                labels += labels_from_scores(self.scores(ids), positions, self.bias)
            out.append(labels)
        return out


@cache
def attribution_tagger() -> AttributionTagger:
    """The shipped attribution tagger, loaded once per process (raises ExtraNotInstalled)."""
    return AttributionTagger()
