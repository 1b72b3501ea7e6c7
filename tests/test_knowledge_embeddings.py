"""The embedding function: offline local model, chromadb registration and rebuild, API backend."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import chromadb
import numpy as np
import pytest
from chromadb.config import Settings as ChromaSettings
from chromadb.utils.embedding_functions import known_embedding_functions

from data.errors import ModelAPIError
from data.settings import load_settings
from knowledge.embeddings import MktEmbeddingFunction, get_embedding_function


@pytest.fixture(scope="module")
def local_ef() -> MktEmbeddingFunction:
    return get_embedding_function(load_settings(home=Path("unused")))


def test_packaged_model_embeds_offline_with_384_normalised_dims(local_ef: MktEmbeddingFunction) -> None:
    vectors = np.asarray(local_ef(["waterproof trail running shoe", "shoe for wet trails", "protein shake"]))
    assert vectors.shape == (3, 384)
    assert np.allclose(np.linalg.norm(vectors, axis=1), 1.0, atol=1e-5)
    similar, unrelated = vectors[0] @ vectors[1], vectors[0] @ vectors[2]
    assert similar > unrelated + 0.2


def test_embedding_matches_sentence_transformers_directly(local_ef: MktEmbeddingFunction) -> None:
    texts = [f"product {i}: light running jacket" for i in range(70)]  # more than one batch
    ours = local_ef.embed(texts)
    direct = local_ef.sentence_transformer().encode(texts, normalize_embeddings=True)
    assert np.allclose(ours, direct, atol=1e-5)


def test_token_count_uses_the_model_tokenizer(local_ef: MktEmbeddingFunction) -> None:
    tokenizer = local_ef.sentence_transformer().tokenizer
    counts = local_ef.count_tokens(["hello world", "", "unsubscribe"])
    assert counts[:2] == [2, 0]
    assert counts[2] == len(tokenizer.tokenize("unsubscribe")) > 1  # WordPiece sub-words, not words


def test_stored_collection_rebuilds_the_embedding_function(
    tmp_path: Path, local_ef: MktEmbeddingFunction
) -> None:
    assert known_embedding_functions["mkt_embedding"] is MktEmbeddingFunction
    settings = ChromaSettings(anonymized_telemetry=False)
    client = chromadb.PersistentClient(path=str(tmp_path / "db"), settings=settings)
    coll = client.create_collection("brand", embedding_function=local_ef)  # type: ignore[arg-type]
    coll.add(ids=["a", "b"], documents=["Reply STOP to opt out", "carbon plated race shoe"])
    del client, coll

    reopened = chromadb.PersistentClient(path=str(tmp_path / "db"), settings=settings)
    coll = reopened.get_collection("brand")  # no embedding function given: rebuilt from config
    config = coll.configuration_json["embedding_function"]
    assert config["name"] == "mkt_embedding"
    assert config["config"]["model"] == local_ef.model
    found = coll.query(query_texts=["how do customers opt out of texts"], n_results=1)
    assert found["ids"] == [["a"]]


class _FakeEmbeddings(BaseHTTPRequestHandler):
    """Speaks the OpenAI ``POST /v1/embeddings`` protocol with deterministic vectors."""

    seen: list[dict[str, object]] = []

    def do_POST(self) -> None:  # noqa: N802 - http.server naming
        body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
        type(self).seen.append({"path": self.path, "auth": self.headers.get("Authorization"), **body})
        if body["model"] == "missing-model":
            self._send(404, {"error": {"message": "model not found", "type": "invalid_request_error"}})
            return
        data = [
            {"object": "embedding", "index": i, "embedding": [float(len(t)), 1.0, float(i)]}
            for i, t in enumerate(body["input"])
        ]
        self._send(200, {"object": "list", "data": data, "model": body["model"], "usage": {}})

    def _send(self, status: int, payload: dict[str, object]) -> None:
        raw = json.dumps(payload).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(raw)))
        self.end_headers()
        self.wfile.write(raw)

    def log_message(self, format: str, *args: object) -> None:
        return


@pytest.fixture()
def embeddings_server() -> Iterator[str]:
    server = ThreadingHTTPServer(("127.0.0.1", 0), _FakeEmbeddings)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    _FakeEmbeddings.seen = []
    yield f"http://127.0.0.1:{server.server_address[1]}/v1"
    server.shutdown()
    server.server_close()


def test_openai_compatible_endpoint_backend(embeddings_server: str, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("OPENAI_API_KEY", "sk-test-secret")
    settings = load_settings(embedding_base_url=embeddings_server, embedding_api_model="embed-small")
    ef = get_embedding_function(settings)
    vectors = np.asarray(ef(["abc", "abcdef"]))
    assert vectors.shape == (2, 3)
    assert np.allclose(np.linalg.norm(vectors, axis=1), 1.0)
    assert _FakeEmbeddings.seen[0]["model"] == "embed-small"
    assert _FakeEmbeddings.seen[0]["auth"] == "Bearer sk-test-secret"
    assert "sk-test-secret" not in json.dumps(ef.get_config())
    rebuilt = MktEmbeddingFunction.build_from_config(ef.get_config())
    assert np.allclose(np.asarray(rebuilt(["abc"])), vectors[:1])
    assert ef.count_tokens(["12345678"]) == [2]  # documented estimate: ceil(chars / 4)


def test_endpoint_errors_become_model_api_errors(embeddings_server: str) -> None:
    ef = MktEmbeddingFunction(base_url=embeddings_server, api_model="missing-model", api_key="x")
    with pytest.raises(ModelAPIError, match="embeddings endpoint .* failed"):
        ef(["hello"])


def test_the_numpy_encoder_gives_sentence_transformers_vectors() -> None:
    """The intent classifier's cold-path encoder equals the packaged model's vectors (to 1e-6)."""
    from knowledge.bert_encoder import BertEncoder, UnsupportedModel, fast_encoder
    from knowledge.embeddings import get_embedding_function, packaged_model_dir

    settings = load_settings()
    texts = ["how many customers do we have?", "Which channel works best for champions?", "ok", "x " * 300]
    fast = fast_encoder(settings)
    assert fast is not None
    expected = get_embedding_function(settings).embed(texts)
    assert np.abs(fast(texts) - expected).max() < 1e-6
    assert fast_encoder(load_settings(embedding_base_url="http://127.0.0.1:9/v1")) is None  # an API: not this
    with pytest.raises(UnsupportedModel):
        BertEncoder(Path(packaged_model_dir()).parent)  # not a model folder


def test_a_few_texts_are_embedded_and_counted_without_sentence_transformers_with_the_same_results(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """A query (up to FEW_TEXTS texts, torch not loaded) takes the numpy encoder: same vectors and counts."""
    import knowledge.embeddings
    from knowledge.embeddings import FEW_TEXTS, MktEmbeddingFunction

    monkeypatch.setattr(knowledge.embeddings, "_torch_loaded", lambda: False)

    texts = ["what's our returns policy?", "Ridgeback 3 drop", "x " * 300]
    few = MktEmbeddingFunction().embed(texts)
    bulk = MktEmbeddingFunction(batch_size=FEW_TEXTS + 1).embed(texts * FEW_TEXTS)[: len(texts)]
    assert few.shape == (3, 384) and np.abs(few - bulk).max() < 1e-6
    st = MktEmbeddingFunction().sentence_transformer().tokenizer
    expected = [len(ids) for ids in st(texts, add_special_tokens=False)["input_ids"]]
    assert MktEmbeddingFunction().count_tokens(texts) == expected and expected[2] == 300
