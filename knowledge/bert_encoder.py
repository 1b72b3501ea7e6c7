"""A small BERT sentence encoder in plain numpy, for short texts on the cold path.

Importing sentence-transformers (and with it transformers) takes about 3 s before the first
sentence is embedded; the staged policy's intent classifier embeds one short message per turn, so
``mkt ask`` paid that on every question. This reads a sentence-transformers folder of a BERT model
with mean pooling (the packaged all-MiniLM-L6-v2 is one) straight from its ``config.json``,
``tokenizer.json`` and ``model.safetensors``, and gives the same unit vectors (to about 1e-6) after
importing only numpy, tokenizers and safetensors: no torch, whose import alone took 1.9 s. Any
other model folder is refused (``UnsupportedModel``): callers then use sentence-transformers.
On bulk work (hundreds of texts) sentence-transformers is faster once loaded; this is for a few.
"""

from __future__ import annotations

import functools
import json
import math
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import numpy as np
from numpy.typing import NDArray

from data.errors import ConfigError
from data.settings import Settings
from knowledge.packaged import PACKAGED_MODEL, packaged_model_dir

BATCH = 32


class UnsupportedModel(ValueError):
    """The folder is not a BERT model with mean pooling that this encoder reproduces."""


class BertEncoder:
    """Unit sentence vectors of a BERT model with mean pooling, in numpy (float32, CPU)."""

    def __init__(self, folder: str | Path, *, max_length: int = 256) -> None:
        from safetensors.numpy import load_file
        from tokenizers import Tokenizer

        root = Path(folder)
        config = _read(root / "config.json")
        pooling = _read(root / "1_Pooling" / "config.json")
        if config.get("model_type") != "bert" or not pooling.get("pooling_mode_mean_tokens"):
            raise UnsupportedModel(f"{root} is not a BERT model with mean pooling")
        if any(pooling.get(k) for k in ("pooling_mode_cls_token", "pooling_mode_max_tokens")):
            raise UnsupportedModel(f"{root} pools otherwise than by the mean")
        if (
            config.get("hidden_act") != "gelu"
            or config.get("position_embedding_type", "absolute") != "absolute"
        ):
            raise UnsupportedModel(f"{root}: activation or position embedding not supported")
        self.heads = int(config["num_attention_heads"])
        self.layers = int(config["num_hidden_layers"])
        self.eps = float(config.get("layer_norm_eps", 1e-12))
        weights = load_file(str(root / "model.safetensors"))
        self.weights = {k.removeprefix("bert."): v.astype(np.float32) for k, v in weights.items()}
        self.tokenizer = Tokenizer.from_file(str(root / "tokenizer.json"))
        self.counter = Tokenizer.from_file(str(root / "tokenizer.json"))
        self.counter.no_truncation()  # counts: the file may set padding or truncation of its own
        self.counter.no_padding()
        self.tokenizer.enable_truncation(max_length)
        self.tokenizer.enable_padding(pad_id=int(config.get("pad_token_id", 0)))

    def __call__(self, texts: list[str]) -> NDArray[np.float32]:
        """One unit vector per text, in the order given.

        Texts are embedded in batches of ``BATCH`` by token length, so a batch pads to its own
        longest text: one padded batch of the intent classifier's 235 examples took 8.8 s, sorted
        batches 2.8 s.
        """
        width = self._w("embeddings.word_embeddings.weight").shape[1]
        lengths = self.count_tokens(texts)  # one batched pass; special tokens add the same 2 to every text
        order = sorted(range(len(texts)), key=lengths.__getitem__)
        out = np.empty((len(texts), width), dtype=np.float32)
        for start in range(0, len(order), BATCH):
            rows = order[start : start + BATCH]
            out[rows] = self._batch([texts[i] for i in rows])
        return out

    def _batch(self, texts: list[str]) -> NDArray[np.float32]:
        encoded = self.tokenizer.encode_batch(texts)
        ids = np.array([e.ids for e in encoded], dtype=np.int64)
        mask = np.array([e.attention_mask for e in encoded], dtype=np.float32)
        types = np.array([e.type_ids for e in encoded], dtype=np.int64)
        hidden = self._embeddings(ids, types)
        bias = (1.0 - mask[:, None, None, :]) * np.finfo(np.float32).min
        for i in range(self.layers):
            hidden = self._layer(hidden, bias, f"encoder.layer.{i}.")
        mean = (hidden * mask[..., None]).sum(1) / np.maximum(mask.sum(1, keepdims=True), 1.0)
        norms = np.maximum(np.linalg.norm(mean, axis=1, keepdims=True), 1e-12)
        return np.asarray(mean / norms, dtype=np.float32)

    def count_tokens(self, texts: list[str]) -> list[int]:
        """Tokens per text without special tokens or truncation (as the tokenizer alone counts them)."""
        return [len(e.ids) for e in self.counter.encode_batch(texts, add_special_tokens=False)]

    def _w(self, name: str) -> NDArray[np.float32]:
        return self.weights[name]

    def _norm(self, x: NDArray[np.float32], prefix: str) -> NDArray[np.float32]:
        centred = x - x.mean(-1, keepdims=True)
        scaled = centred / np.sqrt((centred * centred).mean(-1, keepdims=True) + self.eps)
        return np.asarray(scaled * self._w(prefix + "weight") + self._w(prefix + "bias"), dtype=np.float32)

    def _linear(self, x: NDArray[np.float32], prefix: str) -> NDArray[np.float32]:
        weight = self._w(prefix + "weight")  # 2-D, so numpy hands the product to BLAS in one call
        flat = x.reshape(-1, x.shape[-1]) @ weight.T + self._w(prefix + "bias")
        return flat.reshape(*x.shape[:-1], weight.shape[0])

    def _embeddings(self, ids: NDArray[np.int64], types: NDArray[np.int64]) -> NDArray[np.float32]:
        x = (
            self._w("embeddings.word_embeddings.weight")[ids]
            + self._w("embeddings.position_embeddings.weight")[None, : ids.shape[1]]
            + self._w("embeddings.token_type_embeddings.weight")[types]
        )
        return self._norm(x, "embeddings.LayerNorm.")

    def _layer(self, x: NDArray[np.float32], bias: NDArray[np.float32], p: str) -> NDArray[np.float32]:
        batch, length, width = x.shape
        size = width // self.heads

        def split(t: NDArray[np.float32]) -> NDArray[np.float32]:
            return t.reshape(batch, length, self.heads, size).transpose(0, 2, 1, 3)

        q = split(self._linear(x, p + "attention.self.query."))
        k = split(self._linear(x, p + "attention.self.key."))
        v = split(self._linear(x, p + "attention.self.value."))
        scores = q @ k.transpose(0, 1, 3, 2) / np.float32(math.sqrt(size)) + bias
        scores = np.exp(scores - scores.max(-1, keepdims=True))
        weights = scores / scores.sum(-1, keepdims=True)
        context = (weights @ v).transpose(0, 2, 1, 3).reshape(batch, length, width)
        x = self._norm(
            x + self._linear(context, p + "attention.output.dense."), p + "attention.output.LayerNorm."
        )
        inner = _gelu(self._linear(x, p + "intermediate.dense."))
        return self._norm(x + self._linear(inner, p + "output.dense."), p + "output.LayerNorm.")


def _gelu(x: NDArray[np.float32]) -> NDArray[np.float32]:
    """Exact (erf) GELU, as BERT's ``gelu``; erf by Abramowitz & Stegun 7.1.26 (error < 1.5e-7)."""
    z = np.abs(x) / np.float32(math.sqrt(2.0))
    t = 1.0 / (1.0 + np.float32(0.3275911) * z)
    poly = t * (0.254829592 + t * (-0.284496736 + t * (1.421413741 + t * (-1.453152027 + t * 1.061405429))))
    erf = np.sign(x) * (1.0 - poly * np.exp(-z * z))
    return np.asarray(0.5 * x * (1.0 + erf), dtype=np.float32)


def _read(path: Path) -> dict[str, Any]:
    if not path.exists():
        raise UnsupportedModel(f"{path} is missing")
    data = json.loads(path.read_text(encoding="utf-8"))
    if not isinstance(data, dict):
        raise UnsupportedModel(f"{path} is not a JSON object")
    return data


@functools.lru_cache(maxsize=4)
def encoder_for(model: str) -> BertEncoder | None:
    """This encoder for a model name (the packaged one or a local folder), once per process; else None.

    None for a hub id, a missing folder or a model this encoder does not reproduce.
    """
    if model == PACKAGED_MODEL:
        try:
            folder = Path(packaged_model_dir())
        except ConfigError:
            return None
    elif Path(model).is_dir():
        folder = Path(model)
    else:
        return None
    try:
        return BertEncoder(folder)
    except (UnsupportedModel, OSError, KeyError):
        return None


def fast_encoder(settings: Settings) -> Callable[[Sequence[str]], NDArray[np.float64]] | None:
    """This encoder for the configured local embedding model, or None (an API, a hub id, another kind).

    The vectors equal sentence-transformers' for the same folder, so either may embed a text.
    """
    if settings.embedding_base_url:
        return None
    encoder = encoder_for(settings.embedding_model or PACKAGED_MODEL)
    if encoder is None:
        return None
    return lambda texts: encoder(list(texts)).astype(np.float64)
