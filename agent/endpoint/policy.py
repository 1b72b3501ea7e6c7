"""One turn on a LangChain chat model with native tool calling (``langchain.agents.create_agent``).

The model plans freely: it calls the tools (several at once if it likes) with arguments bound
from their pydantic schemas, reads the results and writes the answer. Code keeps the guarantees:
every call goes through ``run_tool`` (validation, approval, redaction, trace), middleware bounds
model and tool calls and time, redacts what the model reads, falls back to the next model when
one fails (a model that keeps failing is skipped for a cool-down, ``breakers``, kept across turns),
and sends invalid output back to the model. A side effect interrupts the run
(LangGraph human-in-the-loop); the policy asks ``context.approve`` (the terminal confirm, the
Slack buttons, ``--yes``) and resumes with the decision.

The result is the tool loop's ``LoopResult``: answer, stop reason, tool calls, results, backends.
"""

from __future__ import annotations

import threading
import uuid
from collections.abc import Callable, Sequence
from typing import Any

from langchain.agents import create_agent
from langchain.agents.middleware.model_call_limit import ModelCallLimitExceededError
from langchain_core.language_models.chat_models import BaseChatModel
from langchain_core.messages import (
    AIMessage,
    AIMessageChunk,
    AnyMessage,
    BaseMessage,
    HumanMessage,
    SystemMessage,
)
from langchain_core.runnables import RunnableConfig
from langgraph.checkpoint.memory import InMemorySaver
from langgraph.errors import GraphRecursionError
from langgraph.types import Command, Interrupt
from pydantic import ValidationError

from agent.endpoint.middleware import TurnState, build_middleware, evidence
from agent.endpoint.tools import Ledger, to_langchain
from agent.events import StepEvent
from agent.llm.breaker import BreakerBoard
from agent.llm.calllog import NULL_LOG, CallLog
from agent.llm.sanity import printable
from agent.loop import Limits, LoopResult, summarize_results, ungrounded_numbers
from agent.toolbox import AgentTool, ToolContext
from data.errors import ModelAPIError
from prompts import load_prompt
from tools.chat_model import Message

_ROLES: dict[str, type[BaseMessage]] = {"system": SystemMessage, "user": HumanMessage, "assistant": AIMessage}


class EndpointPolicy:
    """Runs turns on ``model`` (any LangChain chat model that binds tools), ``fallbacks`` after it."""

    def __init__(
        self,
        model: BaseChatModel,
        tools: Sequence[AgentTool],
        *,
        fallbacks: Sequence[BaseChatModel] = (),
        limits: Limits | None = None,
        call_log: CallLog = NULL_LOG,
        currency: str = "USD",
        breakers: BreakerBoard | None = None,
    ) -> None:
        self.model = model
        self.breakers = breakers or BreakerBoard()
        self.tools = list(tools)
        self.fallbacks = list(fallbacks)
        self.limits = limits or Limits()
        self.call_log = call_log
        self.system_prompt = load_prompt("endpoint").render("system", currency=currency)

    def run(
        self,
        conversation: Sequence[Message],
        context: ToolContext,
        on_event: Callable[[StepEvent], None] | None = None,
    ) -> LoopResult:
        """Answer the last user message of ``conversation`` (earlier turns first; no system prompt needed).

        A leading system message replaces the policy's own prompt (``prompts/endpoint.yaml``).
        """
        emit = _serialized(on_event or (lambda _e: None))
        out = LoopResult(answer="", stop_reason="")
        turn = TurnState(emit=emit, results=lambda: list(context.results.values()), limits=self.limits)
        ledger = Ledger(approve=context.approve)
        graph = create_agent(
            self.model,
            to_langchain(self.tools, context, emit, ledger),
            system_prompt=self._system(conversation),
            middleware=build_middleware(
                self.tools, turn, self.call_log, context, self.breakers, self.fallbacks
            ),
            checkpointer=InMemorySaver(),
        )
        config: RunnableConfig = {
            "configurable": {"thread_id": uuid.uuid4().hex},
            # Each model call is about eight graph steps (middleware hooks, model, tools): the call
            # limit, not this, is what normally ends a long turn.
            "recursion_limit": 12 * self.limits.max_model_calls + 20,
        }
        messages = [_ROLES[m["role"]](content=m["content"]) for m in conversation if m["role"] != "system"]
        payload: dict[str, Any] | Command[Any] = {"messages": messages}
        try:
            while True:
                interrupts = self._stream(graph, payload, config, emit)
                if not interrupts:
                    break
                payload = Command(resume={i.id: self._decide(i, ledger, context, emit) for i in interrupts})
        except ModelCallLimitExceededError:
            turn.stop_reason = "model-call limit reached"
        except GraphRecursionError:
            turn.stop_reason = "step limit reached"
        except ModelAPIError as exc:
            turn.stop_reason = f"the language model failed ({exc})"
        final: list[AnyMessage] = list(graph.get_state(config).values.get("messages", []))
        out.results = dict(context.results)
        out.tool_calls = ledger.in_order(_requested(final))
        out.backends, out.tokens = turn.backends, turn.tokens
        return self._finish(out, turn, final, emit)

    def _system(self, conversation: Sequence[Message]) -> str:
        if conversation and conversation[0]["role"] == "system":
            return conversation[0]["content"]
        return self.system_prompt

    def _stream(
        self,
        graph: Any,
        payload: dict[str, Any] | Command[Any],
        config: RunnableConfig,
        emit: Callable[[StepEvent], None],
    ) -> list[Interrupt]:
        """Run the graph until it ends or pauses; streamed answer text becomes ``token`` events.

        Tokens are shown before the answer is checked, so control bytes (terminal escapes) are
        dropped from them here; a garbage answer is then rejected whole (``middleware.Observe``).
        """
        interrupts: list[Interrupt] = []
        for mode, chunk in graph.stream(payload, config, stream_mode=["updates", "messages"]):
            if mode == "messages":
                message, meta = chunk
                if (
                    isinstance(message, AIMessageChunk)
                    and meta.get("langgraph_node") == "model"
                    and message.text
                ):
                    emit(StepEvent("token", {"text": printable(message.text)}))
            elif isinstance(chunk, dict) and "__interrupt__" in chunk:
                interrupts.extend(chunk["__interrupt__"])
        return interrupts

    def _decide(
        self, interrupt: Interrupt, ledger: Ledger, context: ToolContext, emit: Callable[[StepEvent], None]
    ) -> dict[str, Any]:
        """Ask the person about each gated call; approved ones are granted to run_tool's check."""
        prompt = load_prompt("endpoint")
        decisions: list[dict[str, Any]] = []
        for request in interrupt.value["action_requests"]:
            action = str(request.get("description") or request["name"])
            if context.approve(action):
                ledger.grant(action)
                decisions.append({"type": "approve"})
                continue
            name = str(request["name"])
            arguments = _validated(next(t for t in self.tools if t.name == name), request["args"])
            with ledger.lock:
                ledger.record(name, request["args"], arguments)
            emit(StepEvent("tool_call", {"tool": name, "arguments": arguments or request["args"]}))
            emit(StepEvent("approval", {"tool": name, "action": action, "approved": False}))
            decisions.append({"type": "reject", "message": prompt.render("refused", action=action).strip()})
        return {"decisions": decisions}

    def _finish(
        self, out: LoopResult, turn: TurnState, final: list[AnyMessage], emit: Callable[[StepEvent], None]
    ) -> LoopResult:
        last = final[-1] if final else None
        text = last.text.strip() if isinstance(last, AIMessage) and not last.tool_calls else ""
        reason = turn.stop_reason or ("" if text else "the model gave an empty answer")
        shown = reason
        if not reason:
            invented = ungrounded_numbers(text, out.results.values(), evidence(final[:-1]))
            if invented:
                listed = ", ".join(dict.fromkeys(invented[:5]))
                shown = "the model's answer stated numbers no tool gave"
                reason = f"{shown}: {listed}"
        if reason:
            out.stop_reason, out.answer = reason, summarize_results(out, shown)
            emit(StepEvent("stop", {"reason": reason}))
        else:
            out.stop_reason, out.answer = "answered", text
        emit(StepEvent("answer", {"text": out.answer}))
        return out


def _validated(tool: AgentTool, args: dict[str, Any]) -> dict[str, Any] | None:
    try:
        return tool.args_model.model_validate(args).model_dump(mode="json")
    except ValidationError:
        return None


def _requested(messages: Sequence[AnyMessage]) -> list[tuple[str, dict[str, Any]]]:
    """Every tool call the model asked for, in order."""
    return [(c["name"], c["args"]) for m in messages if isinstance(m, AIMessage) for c in m.tool_calls]


def _serialized(on_event: Callable[[StepEvent], None]) -> Callable[[StepEvent], None]:
    """``on_event`` called by one thread at a time (tools and models report from worker threads)."""
    lock = threading.Lock()

    def emit(event: StepEvent) -> None:
        with lock:
            on_event(event)

    return emit
