"""Semantic matching (the accurate extra): the shipped sentence encoder and what it promises."""

import hashlib

import numpy as np
import pytest

from provenance import semantic
from provenance.errors import ExtraNotInstalled, ProvenanceError

needs_extra = pytest.mark.skipif(
    not semantic.available(),
    reason=f"needs the accurate extra ({semantic.INSTALL_HINT})",
)

CLAIM = "Police said 12 officers were hurt in the clashes on Saturday."
RESTATED = "A dozen policemen were injured during Saturday's fighting, according to the police."
UNRELATED = [
    "The central bank raised its main interest rate by half a point.",
    "Tickets for the harbour festival go on sale next week.",
    "The embassy's new visa office opens in March.",
]


def test_without_the_extra_the_error_names_the_extra_to_install(monkeypatch):
    monkeypatch.setattr(semantic, "_runtime", lambda: None)
    assert not semantic.available()
    with pytest.raises(ExtraNotInstalled, match=r"pip install 'provenance\[accurate\]'"):
        semantic.Encoder()


def test_the_missing_extra_is_an_expected_failure_of_the_tool():
    assert issubclass(ExtraNotInstalled, ProvenanceError)


@pytest.mark.parametrize(
    ("found", "chosen"),
    [
        (["CPUExecutionProvider"], ["CPUExecutionProvider"]),
        (
            ["CUDAExecutionProvider", "CPUExecutionProvider"],
            ["CUDAExecutionProvider", "CPUExecutionProvider"],
        ),
        (["TensorrtExecutionProvider", "CPUExecutionProvider"], ["CPUExecutionProvider"]),
    ],
)
def test_cuda_is_used_when_onnxruntime_has_it_and_the_cpu_always(found, chosen):
    assert semantic.providers(found) == chosen


@needs_extra
def test_the_card_names_the_shipped_files_by_sha256_and_the_licence():
    card = semantic.model_card()
    assert card["version"] == semantic.MODEL_VERSION
    assert "Apache-2.0" in card["licence"] and card["script"] == "scripts/export_minilm.py"
    base = semantic._model_dir()
    for name in (semantic.ONNX_FILE, semantic.TOKENIZER_FILE):
        digest = hashlib.sha256((base / name).read_bytes()).hexdigest()
        assert card["outputs_sha256"][name] == digest


@needs_extra
def test_embeddings_are_unit_vectors_one_row_per_text():
    vectors = semantic.embed([CLAIM, RESTATED, *UNRELATED])
    assert vectors.shape == (5, semantic.DIMENSIONS)
    assert np.allclose(np.linalg.norm(vectors, axis=1), 1.0, atol=1e-5)


@needs_extra
def test_no_texts_give_no_rows_and_no_scores():
    assert semantic.embed([]).shape == (0, semantic.DIMENSIONS)
    assert semantic.similarities(CLAIM, []) == []


@needs_extra
def test_a_text_embeds_the_same_alone_or_in_a_batch_of_longer_texts():
    alone = semantic.embed([CLAIM])[0]
    batched = semantic.embed([UNRELATED[0] * 4, CLAIM, RESTATED])[1]
    assert float(alone @ batched) > 0.999


@needs_extra
def test_a_restated_claim_scores_above_unrelated_sentences():
    scores = semantic.similarities(CLAIM, [*UNRELATED, RESTATED])
    assert scores[-1] == max(scores)
    assert scores[-1] - max(scores[:-1]) > 0.2


@needs_extra
def test_a_text_is_most_similar_to_itself():
    (score,) = semantic.similarities(CLAIM, [CLAIM])
    assert score == pytest.approx(1.0, abs=1e-4)


@needs_extra
def test_text_past_the_token_limit_is_truncated_not_refused():
    long_text = " ".join([CLAIM] * 60)  # far more than MAX_TOKENS word pieces
    (score,) = semantic.similarities(CLAIM, [long_text])
    assert score > 0.5
