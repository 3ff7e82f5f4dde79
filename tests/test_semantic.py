"""Semantic matching (the accurate extra): the shipped sentence encoder and what it promises."""

import hashlib
import json
import re

import numpy as np
import pytest

from provenance import semantic
from provenance.errors import ExtraNotInstalled, ProvenanceError

from .conftest import FIXTURES

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


# --- the accurate check-worthiness model -------------------------------------------------


def test_the_claims_card_names_its_base_data_recipe_and_files_by_sha256():
    card = json.loads((semantic._model_dir() / semantic.CLAIMS_CARD).read_text())
    assert card["version"] == "checkworthiness-minilm-ft-1"
    assert card["model"] == semantic.model_card()["model"] and "Apache-2.0" in card["licence"]
    assert card["inputs_sha256"] == semantic.model_card()["inputs_sha256"]
    assert re.fullmatch(r"[0-9a-f]{64}", card["data_sha256"])
    assert (semantic._model_dir().parent.parent / card["script"].split()[0]).is_file()
    digest = hashlib.sha256((semantic._model_dir() / card["file"]).read_bytes()).hexdigest()
    assert (
        card["file"] == semantic.CLAIMS_MODEL_FILE
        and card["outputs_sha256"][card["file"]] == digest
    )
    assert card["tokenizer"] == semantic.TOKENIZER_FILE  # the encoder's: shipped once
    assert 0 <= card["blend"] <= 1 and 0 < card["threshold"] < 1


@needs_extra
def test_accurate_checkworthiness_blends_the_default_score_with_the_model():
    from provenance import claims

    texts = [CLAIM, "Thank you all for coming tonight.", *UNRELATED]
    default = claims.score_sentences(texts, claims.model())
    blended = semantic.checkworthiness(texts, default)
    scorer = semantic.claim_scorer()
    weight = scorer.card["blend"]
    for d, b, p in zip(default, blended, scorer.probabilities(texts), strict=True):
        assert b == pytest.approx(weight * p + (1 - weight) * d)
    assert blended[0] > scorer.card["threshold"] > blended[1]  # a factual claim, a pleasantry
    with pytest.raises(ValueError, match="default scores"):
        semantic.checkworthiness(texts, default[:1])


@needs_extra
def test_a_sentence_scores_the_same_alone_or_among_longer_ones():
    scorer = semantic.claim_scorer()
    (alone,) = scorer.probabilities([CLAIM])
    among = scorer.probabilities([UNRELATED[0] * 4, CLAIM])[1]
    assert among == alone


@needs_extra
def test_no_texts_give_no_probabilities():
    assert semantic.claim_scorer().probabilities([]).shape == (0,)


@needs_extra
def test_score_accurate_marks_claims_by_the_blended_score(run, tmp_path):
    from provenance import claims

    path = tmp_path / "remarks.txt"
    path.write_text(f"{CLAIM} Thank you all for coming tonight. {UNRELATED[0]}\n")
    default = json.loads(run("score", path, "--json", ok=True).stdout)
    accurate = json.loads(run("score", path, "--json", "--accurate", ok=True).stdout)
    assert [(s["start"], s["end"]) for s in accurate] == [(s["start"], s["end"]) for s in default]
    expected = semantic.checkworthiness(
        [s["text"] for s in default], claims.score_sentences([s["text"] for s in default])
    )
    threshold = semantic.claim_scorer().card["threshold"]
    for sentence, p in zip(accurate, expected, strict=True):
        assert sentence["score"] == pytest.approx(p, abs=1e-4)
        assert sentence["is_claim"] == (p >= threshold)


def test_score_accurate_without_the_extra_is_one_line_naming_it(run, tmp_path, monkeypatch):
    path = tmp_path / "remarks.txt"
    path.write_text(f"{CLAIM}\n")
    monkeypatch.setattr(semantic, "_runtime", lambda: None)
    semantic.claim_scorer.cache_clear()
    result = run("score", path, "--accurate")
    semantic.claim_scorer.cache_clear()
    assert result.exit_code == 1 and result.stdout == ""
    assert result.stderr.count("\n") == 1 and semantic.INSTALL_HINT in result.stderr


@needs_extra
def test_add_accurate_stores_the_accurate_scores_with_their_model_version(run, tmp_path):
    import sqlite3

    from provenance import claims

    source = FIXTURES / "telegram.txt"
    default_db, accurate_db = tmp_path / "default.db", tmp_path / "accurate.db"
    run("add", "--db", default_db, source, ok=True)
    run("add", "--db", accurate_db, source, "--accurate", ok=True)
    version = semantic.claim_scorer().version
    with sqlite3.connect(accurate_db) as conn:
        stored = conn.execute("SELECT text, score, model_version FROM claims").fetchall()
    with sqlite3.connect(default_db) as conn:
        versions = {v for (v,) in conn.execute("SELECT model_version FROM claims")}
    assert stored and {v for _, _, v in stored} == {version}
    assert versions == {claims.model().version} != {version}
    texts = [t for t, _, _ in stored]
    expected = semantic.checkworthiness(texts, claims.score_sentences(texts))
    for (_, score, _), p in zip(stored, expected, strict=True):  # stored to 4 places
        assert score == pytest.approx(p, abs=1e-4)
    assert run("verify", "--db", accurate_db).exit_code == 0


def test_add_accurate_without_the_extra_stores_nothing(run, tmp_path, monkeypatch):
    db = tmp_path / "archive.db"
    monkeypatch.setattr(semantic, "_runtime", lambda: None)
    semantic.claim_scorer.cache_clear()
    result = run("add", "--db", db, FIXTURES / "telegram.txt", "--accurate")
    semantic.claim_scorer.cache_clear()
    assert result.exit_code == 1 and result.stderr.count("\n") == 1
    assert semantic.INSTALL_HINT in result.stderr
    assert not db.exists()
