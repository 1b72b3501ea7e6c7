"""A small BERT sentence encoder in plain torch, for short texts on the cold path.

Importing sentence-transformers (and with it transformers) takes about 3 s before the first
sentence is embedded; the staged policy's intent classifier embeds one short message per turn, so
``mkt ask`` paid that on every question. This reads a sentence-transformers folder of a BERT model
with mean pooling (the packaged all-MiniLM-L6-v2 is one) straight from its ``config.json``,
``tokenizer.json`` and ``model.safetensors``, and gives the same unit vectors (to about 1e-7) after
importing only torch, tokenizers and safetensors. Any other model folder is refused
(``UnsupportedModel``): callers then use sentence-transformers.
"""

from __future__ import annotations

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


class UnsupportedModel(ValueError):
    """The folder is not a BERT model with mean pooling that this encoder reproduces."""


class BertEncoder:
    """Unit sentence vectors of a BERT model with mean pooling, in plain torch (CPU, no gradients)."""

    def __init__(self, folder: str | Path, *, max_length: int = 256) -> None:
        import torch
        from safetensors.torch import load_file
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
        self.torch = torch
        self.heads = int(config["num_attention_heads"])
        self.layers = int(config["num_hidden_layers"])
        self.eps = float(config.get("layer_norm_eps", 1e-12))
        self.weights = load_file(str(root / "model.safetensors"))
        self.tokenizer = Tokenizer.from_file(str(root / "tokenizer.json"))
        self.tokenizer.enable_truncation(max_length)
        self.tokenizer.enable_padding(pad_id=int(config.get("pad_token_id", 0)))

    def __call__(self, texts: list[str]) -> NDArray[np.float32]:
        """One unit vector per text."""
        torch = self.torch
        encoded = self.tokenizer.encode_batch(texts)
        ids = torch.tensor([e.ids for e in encoded])
        mask = torch.tensor([e.attention_mask for e in encoded])
        types = torch.tensor([e.type_ids for e in encoded])
        with torch.inference_mode():
            hidden = self._embeddings(ids, types)
            bias = (1.0 - mask[:, None, None, :].float()) * torch.finfo(torch.float32).min
            for i in range(self.layers):
                hidden = self._layer(hidden, bias, f"encoder.layer.{i}.")
            summed = (hidden * mask[..., None]).sum(1)
            mean = summed / mask.sum(1, keepdim=True).clamp(min=1)
            vectors = torch.nn.functional.normalize(mean, dim=1)
        return np.asarray(vectors.numpy(), dtype=np.float32)

    def _w(self, name: str) -> Any:
        return self.weights[name]

    def _norm(self, x: Any, prefix: str) -> Any:
        size = x.shape[-1:]
        return self.torch.nn.functional.layer_norm(
            x, size, self._w(prefix + "weight"), self._w(prefix + "bias"), self.eps
        )

    def _linear(self, x: Any, prefix: str) -> Any:
        return self.torch.nn.functional.linear(x, self._w(prefix + "weight"), self._w(prefix + "bias"))

    def _embeddings(self, ids: Any, types: Any) -> Any:
        positions = self.torch.arange(ids.shape[1])[None, :]
        x = (
            self._w("embeddings.word_embeddings.weight")[ids]
            + self._w("embeddings.position_embeddings.weight")[positions]
            + self._w("embeddings.token_type_embeddings.weight")[types]
        )
        return self._norm(x, "embeddings.LayerNorm.")

    def _layer(self, x: Any, bias: Any, p: str) -> Any:
        torch = self.torch
        batch, length, width = x.shape
        size = width // self.heads

        def split(t: Any) -> Any:
            return t.view(batch, length, self.heads, size).transpose(1, 2)

        q = split(self._linear(x, p + "attention.self.query."))
        k = split(self._linear(x, p + "attention.self.key."))
        v = split(self._linear(x, p + "attention.self.value."))
        scores = q @ k.transpose(-1, -2) / math.sqrt(size) + bias
        context = (torch.softmax(scores, dim=-1) @ v).transpose(1, 2).reshape(batch, length, width)
        x = self._norm(
            x + self._linear(context, p + "attention.output.dense."), p + "attention.output.LayerNorm."
        )
        inner = torch.nn.functional.gelu(self._linear(x, p + "intermediate.dense."))
        return self._norm(x + self._linear(inner, p + "output.dense."), p + "output.LayerNorm.")


def _read(path: Path) -> dict[str, Any]:
    if not path.exists():
        raise UnsupportedModel(f"{path} is missing")
    data = json.loads(path.read_text(encoding="utf-8"))
    if not isinstance(data, dict):
        raise UnsupportedModel(f"{path} is not a JSON object")
    return data


def fast_encoder(settings: Settings) -> Callable[[Sequence[str]], NDArray[np.float64]] | None:
    """This encoder for the configured local embedding model, or None (an API, a hub id, another kind).

    The vectors equal sentence-transformers' for the same folder, so either may embed a text.
    """
    if settings.embedding_base_url:
        return None
    name = settings.embedding_model or PACKAGED_MODEL
    if name == PACKAGED_MODEL:
        try:
            folder = Path(packaged_model_dir())
        except ConfigError:
            return None
    elif Path(name).is_dir():
        folder = Path(name)
    else:
        return None
    try:
        encoder = BertEncoder(folder)
    except (UnsupportedModel, OSError, KeyError):
        return None
    return lambda texts: encoder(list(texts)).astype(np.float64)
