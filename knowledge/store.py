"""Where the vectors live: an embedded Chroma store under the workspace, or a Chroma server.

``PersistentClient`` at ``<workspace>/chroma`` by default; ``HttpClient`` when ``MKT_CHROMA_URL``
is set (e.g. ``http://10.0.0.5:8000``). Every collection records which embedding model produced
its vectors and refuses queries or writes from another one, with a message saying what to do.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlparse

import chromadb
from chromadb.api import ClientAPI
from chromadb.api.models.Collection import Collection
from chromadb.config import Settings as ChromaSettings
from chromadb.errors import NotFoundError

from data.errors import ConfigError, ToolError
from data.settings import Settings, load_settings
from data.workspace import Workspace
from knowledge.embeddings import MktEmbeddingFunction, get_embedding_function

_NAME = re.compile(r"^[a-zA-Z0-9][a-zA-Z0-9._-]{1,510}[a-zA-Z0-9]$")
EMBEDDING_KEY = "mkt_embedding"
EF_SEARCH = 400
"""HNSW search breadth: recall@10 0.99 vs 0.84 at chroma's default 100 (benchmarks/bench_knowledge.py)."""


def _chroma_settings() -> ChromaSettings:
    return ChromaSettings(anonymized_telemetry=False, allow_reset=False)


def open_client(settings: Settings) -> ClientAPI:
    """A Chroma client: HTTP when ``chroma_url`` is set, else the workspace's embedded store."""
    if settings.chroma_url:
        url = urlparse(settings.chroma_url)
        if url.scheme not in ("http", "https") or not url.hostname:
            raise ConfigError(f"MKT_CHROMA_URL '{settings.chroma_url}' is not an http(s) URL")
        port = url.port or (443 if url.scheme == "https" else 8000)
        try:
            return chromadb.HttpClient(
                host=url.hostname, port=port, ssl=url.scheme == "https", settings=_chroma_settings()
            )
        except Exception as exc:  # chromadb raises plain ValueError/ConnectError here
            raise ConfigError(f"cannot reach the Chroma server at {settings.chroma_url}: {exc}") from exc
    path = Workspace.from_settings(settings).chroma_dir
    path.mkdir(parents=True, exist_ok=True)
    return chromadb.PersistentClient(path=str(path), settings=_chroma_settings())


def check_collection_name(name: str) -> str:
    """Chroma's naming rule (3-512 characters, letters, digits, ``._-``), as a clear error."""
    if not _NAME.match(name) or ".." in name:
        raise ToolError(
            f"'{name}' is not a valid collection name: use 3-512 letters, digits, '.', '_' or '-', "
            "starting and ending with a letter or digit"
        )
    return name


@dataclass
class KnowledgeStore:
    """A Chroma client together with the embedding function its collections use."""

    client: ClientAPI
    embedder: MktEmbeddingFunction
    location: str

    @classmethod
    def open(cls, settings: Settings | None = None) -> KnowledgeStore:
        """Open the store the settings name (embedded by default, server with ``MKT_CHROMA_URL``)."""
        settings = settings or load_settings()
        location = settings.chroma_url or str(Workspace.from_settings(settings).chroma_dir)
        return cls(open_client(settings), get_embedding_function(settings), location)

    def names(self) -> list[str]:
        """Names of the collections that exist."""
        return sorted(c.name for c in self.client.list_collections())

    def writable(self, name: str) -> Collection:
        """The collection ``name``, created (cosine space, ``EF_SEARCH``, this embedder) if missing."""
        check_collection_name(name)
        collection = self.client.get_or_create_collection(
            name,
            embedding_function=self.embedder,  # type: ignore[arg-type]
            metadata={EMBEDDING_KEY: self.embedder.identity},
            configuration={"hnsw": {"space": "cosine", "ef_search": EF_SEARCH}},
        )
        self._check_embedder(collection)
        return collection

    def readable(self, name: str) -> Collection:
        """The existing, non-empty collection ``name``; a clear ``ToolError`` otherwise."""
        check_collection_name(name)
        try:
            collection = self.client.get_collection(name, embedding_function=self.embedder)  # type: ignore[arg-type]
        except (NotFoundError, ValueError) as exc:
            if isinstance(exc, ValueError) and "does not exist" not in str(exc):
                raise ToolError(f"collection '{name}' cannot be opened: {exc}") from exc
            known = ", ".join(self.names()) or "none yet"
            raise ToolError(
                f"collection '{name}' does not exist in {self.location} (collections: {known}); "
                f"add documents with `mkt knowledge ingest PATH --collection {name}`"
            ) from exc
        self._check_embedder(collection)
        if collection.count() == 0:
            raise ToolError(
                f"collection '{name}' is empty: add documents with `mkt knowledge ingest PATH --collection {name}`"
            )
        return collection

    def counts(self) -> dict[str, int]:
        """Documents per collection."""
        return {
            name: self.client.get_collection(name, embedding_function=self.embedder).count()  # type: ignore[arg-type]
            for name in self.names()
        }

    def _check_embedder(self, collection: Collection) -> None:
        metadata: dict[str, Any] = dict(collection.metadata or {})
        stored = metadata.get(EMBEDDING_KEY)
        if stored is not None and stored != self.embedder.identity:
            raise ConfigError(
                f"collection '{collection.name}' was embedded with '{stored}' but the configured embedding "
                f"model is '{self.embedder.identity}': set MKT_EMBEDDING_MODEL / MKT_EMBEDDING_BASE_URL back, "
                "or delete the collection and ingest again"
            )
