"""The endpoint agent's own middleware: redaction, model events and the call log, output checks.

LangChain's prebuilt middleware does the rest (call limits, human-in-the-loop, fallback);
``build_middleware`` puts them all in order. Hooks that share a turn's bookkeeping write to one
``TurnState``.

- ``RedactPII``: customer emails and phone numbers are replaced in every message (and the system
  prompt) before a model sees it (``agent.pii``).
- ``Observe``: every model attempt becomes a ``model`` (or ``model_error``) event and one call-log
  record of the messages exactly as sent; a failure, a garbage answer (control bytes, ``}}{{``)
  or an OpenAI stream cut before its end becomes ``ModelAPIError``, which the fallback middleware
  (outside it) answers with the next model. Each backend has a circuit breaker: after repeated
  failures it is skipped for a cool-down, across turns. A call to an unknown tool is a ``tool_error`` event.
- ``CheckOutput``: malformed tool calls go back to the model as tool errors that say what was
  wrong; an empty answer, or one that states numbers no tool gave, is sent back once; past the
  turn's time limit the run ends.
"""

from __future__ import annotations

import json
import time
import uuid
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from typing import Any, TypeVar

import openai
from langchain.agents.middleware import (
    AgentMiddleware,
    AgentState,
    HumanInTheLoopMiddleware,
    InterruptOnConfig,
    ModelCallLimitMiddleware,
    ModelFallbackMiddleware,
    ModelRequest,
    ModelResponse,
    ToolCallLimitMiddleware,
    hook_config,
)
from langchain.agents.middleware.types import ExtendedModelResponse, ToolCallRequest
from langchain_core.language_models.chat_models import BaseChatModel
from langchain_core.messages import (
    AIMessage,
    AnyMessage,
    BaseMessage,
    HumanMessage,
    ToolCall,
    ToolMessage,
    convert_to_openai_messages,
)
from langchain_core.tools import BaseTool
from langgraph.errors import GraphBubbleUp
from langgraph.runtime import Runtime
from langgraph.types import Command
from pydantic import BaseModel, ValidationError

from agent.endpoint.models import backend_name
from agent.endpoint.transport import AnswerTooLarge
from agent.events import StepEvent
from agent.llm.breaker import BreakerBoard
from agent.llm.calllog import CallLog
from agent.llm.errors import from_openai
from agent.llm.sanity import garbage_reason
from agent.loop import Limits, ungrounded_numbers
from agent.pii import redact, redact_value
from agent.toolbox import AgentTool, ToolContext
from data.errors import MktError, ModelAPIError
from prompts import load_prompt

CHECK_ID = "mkt-check-"  # id prefix of the messages this module writes to the model (not evidence)
EventSink = Callable[[StepEvent], None]
ModelHandler = Callable[[ModelRequest[Any]], ModelResponse[Any]]
ModelResult = ModelResponse[Any] | AIMessage | ExtendedModelResponse[Any]
ToolHandler = Callable[[ToolCallRequest], ToolMessage | Command[Any]]


@dataclass
class TurnState:
    """One turn's bookkeeping, shared by the middleware and the policy."""

    emit: EventSink
    results: Callable[[], Sequence[BaseModel]]
    limits: Limits
    started: float = field(default_factory=time.monotonic)
    backends: list[str] = field(default_factory=list)
    tokens: int = 0
    corrections: int = 0
    stop_reason: str = ""


M = TypeVar("M", bound=BaseMessage)


def _redact_message(message: M) -> M:
    content = message.content
    clean = redact(content) if isinstance(content, str) else redact_value(content)
    update: dict[str, Any] = {"content": clean}
    if isinstance(message, AIMessage) and message.tool_calls:
        update["tool_calls"] = [{**c, "args": redact_value(c["args"])} for c in message.tool_calls]
    return message.model_copy(update=update)


class RedactPII(AgentMiddleware[AgentState[Any], None, Any]):
    """Customer emails and phone numbers never reach a model."""

    def wrap_model_call(self, request: ModelRequest[Any], handler: ModelHandler) -> ModelResult:
        """Redact the system prompt and every message, then call the model."""
        system = request.system_message
        return handler(
            request.override(
                messages=[_redact_message(m) for m in request.messages],
                system_message=_redact_message(system) if system is not None else None,
            )
        )


def _answer_of(response: ModelResult) -> AIMessage | None:
    if isinstance(response, AIMessage):
        return response
    inner = response.model_response if isinstance(response, ExtendedModelResponse) else response
    return next((m for m in reversed(inner.result) if isinstance(m, AIMessage)), None)


def _as_model_error(exc: Exception, model: BaseChatModel) -> ModelAPIError:
    if isinstance(exc, ModelAPIError):
        return exc
    cap = next((e for e in _chain(exc) if isinstance(e, AnswerTooLarge)), None)
    if cap is not None:  # the SDK reports it as a connection error; say what happened
        return ModelAPIError(f"{backend_name(model)} failed: {cap}")
    if isinstance(exc, openai.OpenAIError):
        return from_openai(exc, base_url=str(getattr(model, "openai_api_base", None) or "(default)"))
    return ModelAPIError(f"{backend_name(model)} failed: {type(exc).__name__}: {exc}")


def _unusable(answer: AIMessage) -> str | None:
    """Why an answer cannot be taken: garbage text, or an OpenAI stream cut before its end."""
    garbage = garbage_reason(answer.text) if answer.text else None
    if garbage is not None:
        return f"sent a garbage completion ({garbage})"
    meta = answer.response_metadata
    if meta.get("model_provider") == "openai" and not meta.get("finish_reason"):
        return "sent an answer that stopped before its end (no finish reason)"
    return None


def _chain(exc: BaseException) -> Iterator[BaseException]:
    """``exc`` and the exceptions it was raised from or during."""
    seen: set[int] = set()
    link: BaseException | None = exc
    while link is not None and id(link) not in seen:
        seen.add(id(link))
        yield link
        link = link.__cause__ or link.__context__


class Observe(AgentMiddleware[AgentState[Any], None, Any]):
    """Events and the call log for every model attempt; model failures as ``ModelAPIError``."""

    def __init__(self, turn: TurnState, call_log: CallLog, breakers: BreakerBoard) -> None:
        super().__init__()
        self.turn = turn
        self.call_log = call_log
        self.breakers = breakers

    def wrap_model_call(self, request: ModelRequest[Any], handler: ModelHandler) -> ModelResult:
        """Time one model attempt, log what was sent and what came back, emit the event."""
        backend = backend_name(request.model)
        breaker = self.breakers[backend]
        if not breaker.allow():
            skipped = ModelAPIError(
                f"{backend} skipped for {breaker.retry_in():.0f} s after {breaker.failures} consecutive failures"
            )
            self.turn.emit(
                StepEvent("model_error", {"backend": backend, "error": str(skipped), "skipped": True})
            )
            raise skipped
        sent: list[BaseMessage] = [request.system_message] if request.system_message else []
        sent += request.messages
        record: dict[str, Any] = {
            "backend": backend,
            "request": {
                "messages": convert_to_openai_messages(sent),
                "tools": [t.name if isinstance(t, BaseTool) else t.get("name") for t in request.tools],
            },
        }
        started = time.perf_counter()
        try:
            response = handler(request)
            answer = _answer_of(response)
            unusable = _unusable(answer) if answer is not None else None
            if unusable is not None:
                raise ModelAPIError(f"{backend} {unusable}")
        except GraphBubbleUp:
            raise
        except Exception as exc:  # any chat model's failure: the fallback middleware decides
            breaker.failure()
            error = _as_model_error(exc, request.model)
            latency = round(time.perf_counter() - started, 4)
            self.call_log.record(**record, latency_s=latency, outcome="error", error=str(error))
            self.turn.emit(StepEvent("model_error", {"backend": backend, "error": str(error)}))
            raise error from exc
        breaker.success()
        latency = round(time.perf_counter() - started, 4)
        usage = answer.usage_metadata if answer is not None else None
        tokens = int(usage["total_tokens"]) if usage else 0
        self.turn.backends.append(backend)
        self.turn.tokens += tokens
        self.call_log.record(
            **record,
            latency_s=latency,
            outcome="ok",
            usage=dict(usage) if usage else None,
            reply=convert_to_openai_messages(answer) if answer is not None else None,
        )
        model = str(getattr(request.model, "model_name", "") or backend)
        self.turn.emit(
            StepEvent("model", {"backend": backend, "model": model, "latency_s": latency, "tokens": tokens})
        )
        return response

    def wrap_tool_call(self, request: ToolCallRequest, handler: ToolHandler) -> ToolMessage | Command[Any]:
        """A call to a tool that does not exist is reported (the tool node tells the model)."""
        if request.tool is None:
            name = request.tool_call["name"]
            self.turn.emit(StepEvent("tool_error", {"tool": name, "error": "unknown tool"}))
        return handler(request)


def _last_ai(state: AgentState[Any]) -> tuple[AIMessage | None, list[AnyMessage]]:
    """The latest model message and the messages before it."""
    messages = list(state["messages"])
    for i in range(len(messages) - 1, -1, -1):
        message = messages[i]
        if isinstance(message, AIMessage):
            return message, messages[:i]
    return None, messages


def evidence(messages: Sequence[AnyMessage]) -> list[str]:
    """The texts an answer's numbers may come from: the conversation and tool results, not our checks."""
    return [m.text for m in messages if not (m.id or "").startswith(CHECK_ID)]


class CheckOutput(AgentMiddleware[AgentState[Any], None, Any]):
    """Invalid model output goes back to the model; the turn's time limit ends the run."""

    def __init__(self, turn: TurnState) -> None:
        super().__init__()
        self.turn = turn
        self.prompt = load_prompt("endpoint")

    @hook_config(can_jump_to=["end"])
    def before_model(self, state: AgentState[Any], runtime: Runtime[None]) -> dict[str, Any] | None:
        """End the run once the turn has taken longer than ``limits.max_seconds``."""
        if time.monotonic() - self.turn.started > self.turn.limits.max_seconds:
            self.turn.stop_reason = "time limit reached"
            return {"jump_to": "end"}
        return None

    @hook_config(can_jump_to=["model"])
    def after_model(self, state: AgentState[Any], runtime: Runtime[None]) -> dict[str, Any] | None:
        """Malformed tool calls become tool errors; an ungrounded answer is asked again once."""
        message, before = _last_ai(state)
        if message is None:
            return None
        if message.invalid_tool_calls:
            errors: list[AnyMessage] = []
            for call in message.invalid_tool_calls:
                name, error = call.get("name") or "unknown", call.get("error") or "the arguments are not JSON"
                self.turn.emit(StepEvent("invalid", {"reason": f"{name}: {error}", "text": call.get("args")}))
                if call.get("id"):
                    text = self.prompt.render("invalid_call", name=name, error=error)
                    errors.append(ToolMessage(text, name=name, tool_call_id=call["id"], status="error"))
            return {"messages": errors, **({} if message.tool_calls else {"jump_to": "model"})}
        if message.tool_calls or self.turn.corrections >= 1:
            return None
        if not message.text.strip():
            return self._ask_again("empty", "the model gave an empty answer")
        invented = ungrounded_numbers(message.text, self.turn.results(), evidence(before))
        if not invented:
            return None
        listed = ", ".join(dict.fromkeys(invented[:5]))
        return self._ask_again("ungrounded", f"numbers not in any tool result: {listed}", numbers=listed)

    def _ask_again(self, key: str, reason: str, **values: str) -> dict[str, Any]:
        """Send the answer back once, with the prompt ``key`` saying what was wrong."""
        self.turn.corrections += 1
        self.turn.emit(StepEvent("invalid", {"reason": reason}))
        correction = HumanMessage(self.prompt.render(key, **values), id=f"{CHECK_ID}{uuid.uuid4().hex}")
        return {"messages": [correction], "jump_to": "model"}


def approval_config(tool: AgentTool, context: ToolContext) -> InterruptOnConfig:
    """Interrupt before ``tool`` runs with valid arguments and met preconditions; describe the action."""

    def valid(request: ToolCallRequest) -> bool:
        try:
            parsed = tool.args_model.model_validate(request.tool_call["args"])
            if tool.check is not None:
                tool.check(parsed, context)
        except (ValidationError, MktError):
            return False  # run_tool reports the invalid call to the model; nothing to approve
        return True

    def describe(tool_call: ToolCall, state: AgentState[Any], runtime: Runtime[Any]) -> str:
        try:
            return tool.describe(tool.args_model.model_validate(tool_call["args"]), context)
        except ValidationError:  # only when ``when`` was not consulted: run_tool rejects the arguments
            return f"{tool.name} {json.dumps(tool_call['args'], default=str)}"

    return InterruptOnConfig(allowed_decisions=["approve", "reject"], description=describe, when=valid)


def build_middleware(
    tools: Sequence[AgentTool],
    turn: TurnState,
    call_log: CallLog,
    context: ToolContext,
    breakers: BreakerBoard,
    fallbacks: Sequence[BaseChatModel] = (),
) -> list[AgentMiddleware[Any, Any, Any]]:
    """The turn's middleware, outermost first.

    Limits count per turn (each turn is its own thread): past ``max_model_calls`` the run stops
    (``ModelCallLimitExceededError``); past ``max_tool_calls`` further calls are refused with a
    tool error and the model answers with what it has.
    """
    gated = {t.name: approval_config(t, context) for t in tools if t.side_effect}
    middleware: list[AgentMiddleware[Any, Any, Any]] = [
        ModelCallLimitMiddleware(thread_limit=turn.limits.max_model_calls, exit_behavior="error"),
        ToolCallLimitMiddleware(thread_limit=turn.limits.max_tool_calls, exit_behavior="continue"),
        CheckOutput(turn),
    ]
    if gated:
        middleware.append(HumanInTheLoopMiddleware(interrupt_on=dict(gated)))
    middleware.append(RedactPII())
    if fallbacks:
        middleware.append(ModelFallbackMiddleware(*fallbacks))
    middleware.append(Observe(turn, call_log, breakers))
    return middleware
