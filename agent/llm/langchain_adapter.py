"""A thin LangChain ``BaseChatModel`` over our ``ChatModel``, for code that wants LangChain.

Our interface stays primary (the fallback, the call log and the JSON handling live there); this
adapter only converts messages and results, so LangChain runnables and agents can use whichever
backend ``build_chat_model`` picked. Tool calling is not bound here: for small local models the
agent asks for JSON actions under a schema instead (``json_schema``).
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from langchain_core.callbacks import CallbackManagerForLLMRun
from langchain_core.language_models.chat_models import BaseChatModel
from langchain_core.messages import AIMessage, AIMessageChunk, BaseMessage
from langchain_core.messages.ai import UsageMetadata
from langchain_core.outputs import ChatGeneration, ChatGenerationChunk
from langchain_core.outputs import ChatResult as LCChatResult
from pydantic import ConfigDict, Field

from tools.chat_model import ChatModel, ChatResult, Message

_ROLES = {"system": "system", "human": "user", "ai": "assistant"}


def to_messages(messages: list[BaseMessage]) -> list[Message]:
    """LangChain messages as ours (tool results become user turns that say so)."""
    out: list[Message] = []
    for message in messages:
        content = message.content if isinstance(message.content, str) else str(message.content)
        role = _ROLES.get(message.type)
        if role is None:
            out.append({"role": "user", "content": f"[{message.type} result] {content}"})
        else:
            out.append({"role": role, "content": content})  # type: ignore[typeddict-item]
    return out


def _metadata(result: ChatResult) -> tuple[dict[str, Any], UsageMetadata]:
    meta = {
        "backend": result.backend,
        "model_name": result.model,
        "latency_s": result.latency_s,
        "fallback_reasons": result.fallback_reasons,
    }
    usage = UsageMetadata(
        input_tokens=result.prompt_tokens,
        output_tokens=result.completion_tokens,
        total_tokens=result.prompt_tokens + result.completion_tokens,
    )
    return meta, usage


class LangChainChatModel(BaseChatModel):
    """LangChain chat model backed by an mkt ``ChatModel`` (endpoint, local or fallback)."""

    model_config = ConfigDict(arbitrary_types_allowed=True)

    chat_model: Any = Field(exclude=True, description="The mkt ChatModel answering the calls.")
    max_tokens: int = 256
    temperature: float = 0.0

    @property
    def _llm_type(self) -> str:
        return "mkt"

    def _backend(self) -> ChatModel:
        backend: ChatModel = self.chat_model
        return backend

    def _generate(
        self,
        messages: list[BaseMessage],
        stop: list[str] | None = None,
        run_manager: CallbackManagerForLLMRun | None = None,
        **kwargs: Any,
    ) -> LCChatResult:
        result = self._backend().chat(
            to_messages(messages),
            max_tokens=int(kwargs.get("max_tokens", self.max_tokens)),
            temperature=float(kwargs.get("temperature", self.temperature)),
            stop=stop,
        )
        meta, usage = _metadata(result)
        message = AIMessage(content=result.text, response_metadata=meta, usage_metadata=usage)
        return LCChatResult(generations=[ChatGeneration(message=message)])

    def _stream(
        self,
        messages: list[BaseMessage],
        stop: list[str] | None = None,
        run_manager: CallbackManagerForLLMRun | None = None,
        **kwargs: Any,
    ) -> Iterator[ChatGenerationChunk]:
        chunks = self._backend().stream(
            to_messages(messages),
            max_tokens=int(kwargs.get("max_tokens", self.max_tokens)),
            temperature=float(kwargs.get("temperature", self.temperature)),
        )
        for chunk in chunks:
            if chunk.result is not None:
                meta, usage = _metadata(chunk.result)
                yield ChatGenerationChunk(
                    message=AIMessageChunk(content="", response_metadata=meta, usage_metadata=usage)
                )
            elif chunk.text:
                if run_manager is not None:
                    run_manager.on_llm_new_token(chunk.text)
                yield ChatGenerationChunk(message=AIMessageChunk(content=chunk.text))
