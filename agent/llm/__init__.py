"""Language-model backends behind one small interface, and the factory that picks them.

``build_chat_model(settings)`` gives the model the rest of mkt talks to: the OpenAI-compatible
endpoint with the local model as fallback when ``MKT_LLM_BASE_URL`` is set, else the local model.

Importing ``agent.llm`` (or a light submodule such as ``agent.llm.calllog``) loads no backend:
each name is imported on first use, so a turn that needs no model never pays for the ``openai``
client or ``transformers``.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from data.lazy import lazy_attributes

if TYPE_CHECKING:
    from agent.llm.breaker import CircuitBreaker
    from agent.llm.calllog import NULL_LOG, CallLog
    from agent.llm.deadline import Deadline, DeadlineExceeded, current_deadline, turn_budget
    from agent.llm.errors import BackendError
    from agent.llm.factory import build_chat_model, build_local_model
    from agent.llm.fallback import FallbackChatModel, RetryPolicy
    from agent.llm.local_backend import LocalChatModel
    from agent.llm.openai_backend import OpenAIChatModel
    from tools.chat_model import ChatChunk, ChatModel, ChatResult, Message, collect

_WHERE: dict[str, str] = {
    "BackendError": "agent.llm.errors",
    "CallLog": "agent.llm.calllog",
    "ChatChunk": "tools.chat_model",
    "ChatModel": "tools.chat_model",
    "ChatResult": "tools.chat_model",
    "CircuitBreaker": "agent.llm.breaker",
    "Deadline": "agent.llm.deadline",
    "DeadlineExceeded": "agent.llm.deadline",
    "FallbackChatModel": "agent.llm.fallback",
    "LocalChatModel": "agent.llm.local_backend",
    "Message": "tools.chat_model",
    "NULL_LOG": "agent.llm.calllog",
    "OpenAIChatModel": "agent.llm.openai_backend",
    "RetryPolicy": "agent.llm.fallback",
    "build_chat_model": "agent.llm.factory",
    "build_local_model": "agent.llm.factory",
    "collect": "tools.chat_model",
    "current_deadline": "agent.llm.deadline",
    "turn_budget": "agent.llm.deadline",
}

__all__ = [
    "BackendError",
    "CallLog",
    "ChatChunk",
    "ChatModel",
    "ChatResult",
    "CircuitBreaker",
    "Deadline",
    "DeadlineExceeded",
    "FallbackChatModel",
    "LocalChatModel",
    "Message",
    "NULL_LOG",
    "OpenAIChatModel",
    "RetryPolicy",
    "build_chat_model",
    "build_local_model",
    "collect",
    "current_deadline",
    "turn_budget",
]


__getattr__ = lazy_attributes(__name__, _WHERE)
