"""A chat model built on its first use: turns that need no model never pay for loading one."""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator, Sequence
from typing import Any

from tools.chat_model import ChatChunk, ChatModel, ChatResult, Message


class LazyChatModel:
    """Stands in for the model ``build`` makes, building it (once, thread-safely) when first called."""

    def __init__(self, build: Callable[[], ChatModel]) -> None:
        self._build = build
        self._model: ChatModel | None = None
        self._lock = threading.Lock()

    @property
    def built(self) -> bool:
        """Whether the model has been built."""
        return self._model is not None

    def get(self) -> ChatModel:
        """The model, built now if it was not yet."""
        with self._lock:
            if self._model is None:
                self._model = self._build()
            return self._model

    @property
    def name(self) -> str:
        """The backend name of the built model."""
        return self.get().name

    def chat(self, messages: Sequence[Message], **kwargs: Any) -> ChatResult:
        """``chat`` of the built model."""
        return self.get().chat(messages, **kwargs)

    def stream(self, messages: Sequence[Message], **kwargs: Any) -> Iterator[ChatChunk]:
        """``stream`` of the built model."""
        return self.get().stream(messages, **kwargs)

    def __getattr__(self, attribute: str) -> Any:
        """Anything else the built model offers (e.g. batched generation)."""
        if attribute.startswith("_"):
            raise AttributeError(attribute)
        return getattr(self.get(), attribute)
