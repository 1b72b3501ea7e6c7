"""The one small chat-model interface every backend implements, and its result types.

A backend is anything with ``name``, ``chat`` and ``stream`` (a ``typing.Protocol``, so the
OpenAI-compatible client, the local ``transformers`` model and the fallback composite are
interchangeable and callers never branch on the backend). Every answer is a ``ChatResult`` that
says which backend and model produced it, how many tokens it used and how long it took. A backend
may also answer many conversations at once (``BatchChatModel.chat_batch``); the ``chat_batch``
function uses that when it exists and falls back to one ``chat`` call per conversation.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from typing import Any, Literal, Protocol, TypedDict, runtime_checkable

from pydantic import BaseModel, Field

Role = Literal["system", "user", "assistant"]


class Message(TypedDict):
    """One chat message, exactly as sent to the model."""

    role: Role
    content: str


class ChatResult(BaseModel):
    """A complete answer from a chat model.

    Attributes:
        text: the answer.
        backend: which backend produced it (``openai`` or ``local``).
        model: the model name at that backend (endpoint model or local path / hub id).
        prompt_tokens: tokens in the prompt (as counted by the backend).
        completion_tokens: tokens generated.
        latency_s: seconds from the request to the last token.
        first_token_s: seconds to the first token, when streamed.
        fallback_reasons: why earlier backends/attempts failed, in order (empty when none did).
        parsed: the decoded JSON answer when a ``json_schema`` was given.
    """

    text: str
    backend: str
    model: str
    prompt_tokens: int = 0
    completion_tokens: int = 0
    latency_s: float = 0.0
    first_token_s: float | None = None
    fallback_reasons: list[str] = Field(default_factory=list)
    parsed: Any = None

    @property
    def tokens_per_s(self) -> float:
        """Generation speed (completion tokens per second of latency)."""
        return self.completion_tokens / self.latency_s if self.latency_s > 0 else 0.0


class ChatChunk(BaseModel):
    """One piece of a streamed answer; the last chunk has ``done`` set and carries the result."""

    text: str = ""
    done: bool = False
    result: ChatResult | None = None


@runtime_checkable
class ChatModel(Protocol):
    """A chat model: the OpenAI-compatible endpoint, the local model, or the fallback of both."""

    @property
    def name(self) -> str:
        """Short backend name recorded on every answer (``openai``, ``local``, ``fallback``)."""
        ...

    def chat(
        self,
        messages: Sequence[Message],
        *,
        max_tokens: int = 256,
        temperature: float = 0.0,
        json_schema: dict[str, Any] | None = None,
        stop: Sequence[str] | None = None,
    ) -> ChatResult:
        """Answer ``messages``; with ``json_schema`` the answer is JSON valid against it.

        ``stop``: strings that end the answer (not included in it), e.g. a newline for one line.
        """
        ...

    def stream(
        self,
        messages: Sequence[Message],
        *,
        max_tokens: int = 256,
        temperature: float = 0.0,
    ) -> Iterator[ChatChunk]:
        """Answer ``messages`` piece by piece; the final chunk carries the ``ChatResult``."""
        ...


@runtime_checkable
class BatchChatModel(Protocol):
    """A chat model that can answer several conversations in one call (one batched ``generate``)."""

    def chat_batch(
        self,
        conversations: Sequence[Sequence[Message]],
        *,
        max_tokens: int = 256,
        temperature: float = 0.0,
        stop: Sequence[str] | None = None,
    ) -> list[ChatResult]:
        """One answer per conversation, in order."""
        ...


def chat_batch(
    model: ChatModel,
    conversations: Sequence[Sequence[Message]],
    *,
    max_tokens: int = 256,
    temperature: float = 0.0,
    stop: Sequence[str] | None = None,
) -> list[ChatResult]:
    """One answer per conversation: in one call when the backend batches, else one call each."""
    if isinstance(model, BatchChatModel):
        return model.chat_batch(conversations, max_tokens=max_tokens, temperature=temperature, stop=stop)
    return [
        model.chat(list(c), max_tokens=max_tokens, temperature=temperature, stop=stop) for c in conversations
    ]


def collect(chunks: Iterator[ChatChunk]) -> ChatResult:
    """Drain a stream and return its final result (raises if the stream ended without one)."""
    result: ChatResult | None = None
    for chunk in chunks:
        if chunk.done:
            result = chunk.result
    if result is None:
        raise RuntimeError("stream ended without a final result")
    return result
