"""What happens during a turn, as events: for display (chat, Slack, ``--json``) and for the trace."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from tools.chat_model import ChatResult


@dataclass
class StepEvent:
    """Something that happened in a turn."""

    kind: str  # model | route | tool_call | approval | tool_result | tool_error | invalid | step | stop | answer
    data: dict[str, Any]


EventHandler = Callable[[StepEvent], None]


def model_event(reply: ChatResult) -> StepEvent:
    """The ``model`` event of one model answer: backend, model, latency and tokens."""
    return StepEvent(
        "model",
        {
            "backend": reply.backend,
            "model": reply.model,
            "latency_s": round(reply.latency_s, 3),
            "tokens": reply.prompt_tokens + reply.completion_tokens,
        },
    )
