"""A GGUF model de-quantised once, kept as safetensors, so later processes load it in about a second.

``transformers`` reads a ``.gguf`` file by parsing its tokenizer and de-quantising every tensor,
which took 36 s for the packaged 135M model on the 2-core machine, in every process (each
``mkt copy``, ``mkt demo``, Slack worker). The first load writes the converted weights
(``model.safetensors``, never a pickle), the config and the tokenizer to
``<cache>/<file stem>-<size>-<mtime>-tf<transformers version>/``; later loads read that folder
(1.3 s, the same tensors bit for bit). The folder is written beside its final name and renamed,
so an interrupted conversion leaves nothing half-written behind.

The cache is ``MKT_MODEL_CACHE``, else ``$XDG_CACHE_HOME/mkt/models``, else ``~/.cache/mkt/models``;
``MKT_MODEL_CACHE=off`` turns it off.
"""

from __future__ import annotations

import copy
import logging
import os
import shutil
import tempfile
from pathlib import Path
from typing import Any

log = logging.getLogger(__name__)

_OFF = {"off", "0", "false", "no", ""}
_DONE = "converted.ok"


def cache_root() -> Path | None:
    """Where converted models are kept (``None`` when ``MKT_MODEL_CACHE`` turns the cache off)."""
    configured = os.environ.get("MKT_MODEL_CACHE")
    if configured is not None:
        return None if configured.strip().lower() in _OFF else Path(configured).expanduser()
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "mkt" / "models"


def converted_dir(gguf: Path) -> Path | None:
    """The cache folder for ``gguf`` (keyed by its name, size, mtime and the transformers version)."""
    import transformers

    root = cache_root()
    if root is None:
        return None
    stat = gguf.stat()
    return root / f"{gguf.stem}-{stat.st_size}-{int(stat.st_mtime)}-tf{transformers.__version__}"


def load_converted(folder: Path) -> tuple[Any, Any] | None:
    """(model, tokenizer) from a complete cache folder, or ``None`` when there is none."""
    if not (folder / _DONE).is_file():
        return None
    from transformers import AutoModelForCausalLM, AutoTokenizer

    try:
        tokenizer = AutoTokenizer.from_pretrained(str(folder))
        model = AutoModelForCausalLM.from_pretrained(str(folder))
    except (OSError, ValueError) as exc:  # a damaged cache: convert again
        log.warning("ignoring the converted model cache %s: %s", folder, exc)
        return None
    return model, tokenizer


def save_converted(folder: Path, model: Any, tokenizer: Any) -> bool:
    """Write ``model`` and ``tokenizer`` to ``folder`` atomically; False (logged) when it cannot."""
    from safetensors.torch import save_model

    try:
        folder.parent.mkdir(parents=True, exist_ok=True)
        staging = Path(tempfile.mkdtemp(prefix=f".{folder.name}-", dir=folder.parent))
    except OSError as exc:
        log.warning("could not cache the converted model in %s: %s", folder, exc)
        return False
    try:
        config = copy.deepcopy(model.config)
        if hasattr(config, "quantization_config"):
            delattr(config, "quantization_config")  # the weights are plain float tensors now
        config.save_pretrained(str(staging))
        model.generation_config.save_pretrained(str(staging))
        save_model(model, str(staging / "model.safetensors"))  # handles the tied embedding
        tokenizer.save_pretrained(str(staging))
        (staging / _DONE).write_text("ok\n")
    except OSError as exc:
        log.warning("could not cache the converted model in %s: %s", folder, exc)
        shutil.rmtree(staging, ignore_errors=True)
        return False
    try:
        staging.rename(folder)
    except OSError:  # another process finished first: keep its copy
        shutil.rmtree(staging, ignore_errors=True)
    return True
