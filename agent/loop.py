"""The tool-calling loop: the model proposes one JSON action at a time, code runs and checks it.

Every model reply must be a JSON action ``{"tool": NAME, "arguments": {...}}`` (or the tool
``final_answer``), asked for under a JSON schema so small local models stay on the rails.
Arguments are validated by the tool's pydantic model; validation and tool errors go back to the
model as the observation, a bounded number of times. Caps on model calls, tool calls and wall
time, and a repeated identical call, end the loop; it then answers from what the tools found,
so every run ends with a useful answer.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

from pydantic import BaseModel, Field, ValidationError

from agent.llm.base import ChatModel, ChatResult, Message
from agent.llm.structured import InvalidJSONAnswer, parse_json_answer
from agent.pii import redact, redact_value
from agent.toolbox import AgentTool, ToolContext
from data.errors import MktError, ModelAPIError

FINAL = "final_answer"


class Limits(BaseModel):
    """Caps that bound every run of the loop."""

    max_model_calls: int = Field(default=8, ge=1)
    max_tool_calls: int = Field(default=8, ge=0)
    max_seconds: float = Field(default=300.0, gt=0)
    max_errors: int = Field(default=3, ge=0, description="Invalid replies / failed calls tolerated.")
    max_tokens: int = Field(default=200, gt=0)


@dataclass
class StepEvent:
    """Something that happened in the loop, for display and for the trace."""

    kind: str  # model | tool_call | tool_result | tool_error | invalid | stop | answer
    data: dict[str, Any]


@dataclass
class LoopResult:
    """The answer and everything that led to it."""

    answer: str
    stop_reason: str
    tool_calls: list[tuple[str, dict[str, Any]]] = field(default_factory=list)
    results: dict[str, BaseModel] = field(default_factory=dict)
    backends: list[str] = field(default_factory=list)
    tokens: int = 0


def action_schema(tools: Sequence[AgentTool]) -> dict[str, Any]:
    """The JSON schema every reply must satisfy."""
    return {
        "type": "object",
        "properties": {
            "tool": {"type": "string", "enum": [t.name for t in tools] + [FINAL]},
            "arguments": {"type": "object"},
        },
        "required": ["tool", "arguments"],
    }


class AgentLoop:
    """Runs one user turn through model and tools under ``limits``."""

    def __init__(
        self,
        model: ChatModel,
        tools: Sequence[AgentTool],
        context: ToolContext,
        *,
        limits: Limits | None = None,
        on_event: Callable[[StepEvent], None] | None = None,
    ) -> None:
        self.model = model
        self.tools = {t.name: t for t in tools}
        self.context = context
        self.limits = limits or Limits()
        self.on_event = on_event or (lambda _e: None)
        self.schema = action_schema(list(tools))

    def run(self, messages: list[Message]) -> LoopResult:
        """Continue the conversation ``messages`` (system prompt first) until an answer."""
        convo = [Message(role=m["role"], content=redact(m["content"])) for m in messages]
        out = LoopResult(answer="", stop_reason="")
        seen: set[str] = set()
        errors = 0
        start = time.monotonic()
        for _ in range(self.limits.max_model_calls):
            if time.monotonic() - start > self.limits.max_seconds:
                return self._finish(out, "time limit reached")
            try:
                reply = self.model.chat(convo, max_tokens=self.limits.max_tokens, json_schema=self.schema)
            except ModelAPIError as exc:
                return self._finish(out, f"the language model failed ({exc})")
            self._account(out, reply)
            try:
                action = (
                    reply.parsed
                    if isinstance(reply.parsed, dict)
                    else parse_json_answer(reply.text, self.schema)
                )
            except InvalidJSONAnswer as exc:
                errors += 1
                self._emit("invalid", reason=str(exc), text=reply.text[:300])
                if errors > self.limits.max_errors:
                    return self._finish(out, "too many invalid replies")
                convo += self._feedback(reply.text, f"Invalid action: {exc}. Reply with one JSON action.")
                continue
            name, args = str(action["tool"]), dict(action.get("arguments") or {})
            if name == FINAL:
                text = str(args.get("answer") or args.get("text") or "").strip()
                if text:
                    out.answer, out.stop_reason = text, "answered"
                    self._emit("answer", text=text)
                    return out
                return self._finish(out, "the model gave an empty answer")
            key = json.dumps([name, args], sort_keys=True, default=str)
            if key in seen:
                return self._finish(out, f"repeated identical call to {name}")
            seen.add(key)
            if len(out.tool_calls) >= self.limits.max_tool_calls:
                return self._finish(out, "tool-call limit reached")
            observation, ok = self._call(name, args, out)
            if not ok:
                errors += 1
                if errors > self.limits.max_errors:
                    return self._finish(out, "too many failed tool calls")
            convo += self._feedback(json.dumps(action), observation)
        return self._finish(out, "model-call limit reached")

    def _call(self, name: str, args: dict[str, Any], out: LoopResult) -> tuple[str, bool]:
        tool = self.tools.get(name)
        if tool is None:
            self._emit("tool_error", tool=name, error="unknown tool")
            return f"Error: there is no tool {name!r}. Tools: {', '.join(self.tools)}.", False
        try:
            parsed = tool.args_model.model_validate(args)
        except ValidationError as exc:
            problems = "; ".join(
                f"{'.'.join(map(str, e['loc'])) or 'arguments'}: {e['msg']}" for e in exc.errors()
            )
            self._emit("tool_error", tool=name, error=problems)
            return f"Error: invalid arguments for {name}: {problems}. Fix them and call again.", False
        out.tool_calls.append((name, parsed.model_dump(mode="json")))
        self._emit("tool_call", tool=name, arguments=parsed.model_dump(mode="json"))
        started = time.monotonic()
        try:
            result = tool.run(parsed, self.context)
        except MktError as exc:  # bad arguments for this data, missing data: the model can adapt
            self._emit("tool_error", tool=name, error=str(exc))
            return f"Error from {name}: {exc}", False
        out.results[name] = result
        self.context.results[name] = result
        payload = redact_value(result.model_dump(mode="json"))
        self._emit("tool_result", tool=name, seconds=round(time.monotonic() - started, 3), result=payload)
        return f"Result of {name}: {json.dumps(payload, default=str)[:2000]}", True

    def _feedback(self, assistant_text: str, observation: str) -> list[Message]:
        return [
            Message(role="assistant", content=assistant_text),
            Message(role="user", content=redact(observation)),
        ]

    def _account(self, out: LoopResult, reply: ChatResult) -> None:
        out.backends.append(reply.backend)
        out.tokens += reply.prompt_tokens + reply.completion_tokens
        self._emit(
            "model",
            backend=reply.backend,
            model=reply.model,
            latency_s=round(reply.latency_s, 3),
            tokens=reply.prompt_tokens + reply.completion_tokens,
        )

    def _finish(self, out: LoopResult, reason: str) -> LoopResult:
        out.stop_reason = reason
        out.answer = summarize_results(out, reason)
        self._emit("stop", reason=reason)
        self._emit("answer", text=out.answer)
        return out

    def _emit(self, kind: str, **data: Any) -> None:
        self.on_event(StepEvent(kind=kind, data=data))


def summarize_results(out: LoopResult, reason: str) -> str:
    """An answer written in code from the tool results, when the model did not give one."""
    if not out.results:
        return (
            f"I could not complete this request ({reason}) and no tool produced a result. "
            "Try rephrasing, or run a command directly (`mkt --help`)."
        )
    lines = [f"Here is what I found ({reason}, so this summary is written from the tool results):"]
    for name, result in out.results.items():
        summary = getattr(result, "summary", None)
        text = (
            summary() if callable(summary) else json.dumps(result.model_dump(mode="json"), default=str)[:400]
        )
        lines.append(f"- {name}: {text}")
    return "\n".join(lines)
