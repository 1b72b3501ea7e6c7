"""A semantic router for small local models: which tool a question needs, by embedding similarity.

The packaged 135M model picks the wrong tool for most questions when it chooses among a dozen
names, so for the local backend the first tool is the one whose description and example
questions (``prompts/agent.yaml``: ``tool_examples``) are closest to the question; the model then
fills the arguments and writes the answer. Arguments a question states outright (an id, the
question itself as a search query) are taken from it, not generated.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import numpy as np
from numpy.typing import NDArray

from agent.toolbox import AgentTool
from prompts import load_prompt

Embed = Callable[[Sequence[str]], NDArray[np.float64]]
_ID = re.compile(r"\b(?:CU\d{3,}|C\d{3,}|[A-Z]{1,4}-?\d{3,})\b")


class ToolRouter:
    """Ranks tools for a question by cosine similarity to their descriptions and examples."""

    def __init__(self, tools: Sequence[AgentTool], embed: Embed, *, cache_dir: Path | None = None) -> None:
        """Embed every tool's description and examples (read from ``cache_dir`` when cached there)."""
        examples: dict[str, list[str]] = dict(load_prompt("agent").raw("tool_examples"))
        self.tools = list(tools)
        self.embed = embed
        texts: list[str] = []
        self.owner: list[int] = []
        for i, tool in enumerate(self.tools):
            for text in [tool.description, *examples.get(tool.name, [])]:
                texts.append(text)
                self.owner.append(i)
        self.vectors = cached_vectors(texts, embed, cache_dir)

    def rank(self, question: str) -> list[tuple[AgentTool, float]]:
        """Tools, best first, with the similarity of their closest example."""
        sims = self.vectors @ unit(self.embed([question]))[0]
        best: dict[int, float] = {}
        for owner, sim in zip(self.owner, sims.tolist(), strict=True):
            best[owner] = max(best.get(owner, -1.0), sim)
        order = sorted(best, key=lambda i: -best[i])
        return [(self.tools[i], best[i]) for i in order]


def stated_arguments(tool: AgentTool, question: str) -> dict[str, Any]:
    """Required arguments the question states: ids found in it; the question itself as a query."""
    schema = tool.arguments_schema()
    found: dict[str, Any] = {}
    for name in schema.get("required", []):
        if name == "query":
            found[name] = question
        elif name.endswith("_id") and (match := _ID.search(question)):
            found[name] = match.group(0)
    return found


def cached_vectors(texts: list[str], embed: Embed, cache_dir: Path | None) -> NDArray[np.float64]:
    """Unit vectors of ``texts``: from ``cache_dir/router-<hash>.npy`` when the same texts were embedded.

    The hash covers the texts and the embedding of a probe sentence, so a changed example or a
    different embedding model never reads a stale cache.
    """
    if cache_dir is None:
        return unit(embed(texts))
    probe = np.asarray(embed(["router cache probe"]), dtype=np.float64).round(4).tobytes()
    key = hashlib.sha256(json.dumps(texts).encode() + probe).hexdigest()[:16]
    path = cache_dir / f"router-{key}.npy"
    if path.exists():
        try:
            vectors: NDArray[np.float64] = np.load(path, allow_pickle=False)
            if vectors.shape[0] == len(texts):
                return vectors
        except (OSError, ValueError):
            pass  # unreadable: embed again and overwrite
    vectors = unit(embed(texts))
    cache_dir.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(path.name + ".tmp.npy")
    np.save(tmp, vectors, allow_pickle=False)
    tmp.replace(path)
    return vectors


def unit(matrix: NDArray[np.float64]) -> NDArray[np.float64]:
    """Each row scaled to length 1 (zero rows stay zero)."""
    matrix = np.asarray(matrix, dtype=np.float64)
    norms = np.linalg.norm(matrix, axis=1, keepdims=True)
    return matrix / np.where(norms == 0, 1.0, norms)
