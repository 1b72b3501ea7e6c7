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
import re
import time
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

from pydantic import BaseModel, Field

from agent.events import StepEvent, model_event
from agent.llm.structured import InvalidJSONAnswer, parse_json_answer
from agent.pii import redact
from agent.router import ToolRouter, stated_arguments
from agent.toolbox import AgentTool, ToolContext, run_tool
from data.errors import ModelAPIError
from prompts import load_prompt
from tools.chat_model import ChatModel, ChatResult, Message

FINAL = "final_answer"


class Limits(BaseModel):
    """Caps that bound every run of the loop."""

    max_model_calls: int = Field(default=8, ge=1)
    max_tool_calls: int = Field(default=8, ge=0)
    max_seconds: float = Field(default=300.0, gt=0)
    max_errors: int = Field(default=3, ge=0, description="Invalid replies / failed calls tolerated.")
    max_tokens: int = Field(default=200, gt=0)


@dataclass
class LoopResult:
    """The answer and everything that led to it."""

    answer: str
    stop_reason: str
    tool_calls: list[tuple[str, dict[str, Any]]] = field(default_factory=list)
    results: dict[str, BaseModel] = field(default_factory=dict)
    backends: list[str] = field(default_factory=list)
    tokens: int = 0


def required_arguments_schema(tool: AgentTool, skip: set[str] | None = None) -> dict[str, Any] | None:
    """The schema of a tool's required arguments not in ``skip`` (None when none): what staged decoding fills."""
    full = tool.arguments_schema()
    required = [
        n for n in full.get("required", []) if n in full.get("properties", {}) and n not in (skip or set())
    ]
    if not required:
        return None
    properties = {name: full["properties"][name] for name in required}
    return {"type": "object", "properties": properties, "required": required}


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
        answer_prompt: str | None = None,
        staged: bool = False,
        router: ToolRouter | None = None,
    ) -> None:
        self.model = model
        self.tools = {t.name: t for t in tools}
        self.context = context
        if not context.tools:
            context.tools = self.tools
        self.limits = limits or Limits()
        if on_event is not None:
            context.on_event = on_event  # tool events (run_tool) and the loop's own go to one place
        self.on_event = context.on_event
        self.schema = action_schema(list(tools))
        self.answer_prompt = answer_prompt
        self.staged = staged
        self.router = router
        self.ranked: list[AgentTool] = []
        self.question = ""

    def run(self, messages: list[Message]) -> LoopResult:
        """Continue the conversation ``messages`` (system prompt first) until an answer."""
        convo = [Message(role=m["role"], content=redact(m["content"])) for m in messages]
        self.question = next((m["content"] for m in reversed(convo) if m["role"] == "user"), "")
        if self.router is not None and self.question:
            self.ranked = [t for t, _ in self.router.rank(self.question) if t.name in self.tools]
        out = LoopResult(answer="", stop_reason="")
        seen: set[str] = set()
        errors = 0
        start = time.monotonic()
        for _ in range(self.limits.max_model_calls):
            if time.monotonic() - start > self.limits.max_seconds:
                return self._finish(out, "time limit reached")
            try:
                action = self._next_action(convo, out)
            except ModelAPIError as exc:
                return self._finish(out, f"the language model failed ({exc})")
            except InvalidJSONAnswer as exc:
                errors += 1
                self._emit("invalid", reason=str(exc), text=exc.text[:300])
                if errors > self.limits.max_errors:
                    return self._finish(out, "too many invalid replies")
                convo += self._feedback(
                    exc.text, load_prompt("agent").render("invalid_action", error=str(exc))
                )
                continue
            name, args = str(action["tool"]), dict(action.get("arguments") or {})
            if name == FINAL:
                return self._final(args, convo, out)
            if (stopped := self._over_limits(name, args, out, seen)) is not None:
                return stopped
            observation, ok = self._call(name, args, out)
            tool = self.tools.get(name)
            if not ok and tool is not None and tool.side_effect:
                return self._outcome(out, observation)  # refused or failed: say so, do not carry on
            if not ok:
                errors += 1
                if errors > self.limits.max_errors:
                    return self._finish(out, "too many failed tool calls")
            convo += self._feedback(json.dumps(action), observation)
        return self._finish(out, "model-call limit reached")

    def _over_limits(
        self, name: str, args: dict[str, Any], out: LoopResult, seen: set[str]
    ) -> LoopResult | None:
        """The finished result when this call repeats an earlier one or passes the tool-call cap."""
        key = json.dumps([name, args], sort_keys=True, default=str)
        if key in seen:
            return self._finish(out, f"repeated identical call to {name}")
        seen.add(key)
        if len(out.tool_calls) >= self.limits.max_tool_calls:
            return self._finish(out, "tool-call limit reached")
        return None

    def _ask(self, messages: list[Message], schema: dict[str, Any], max_tokens: int, out: LoopResult) -> Any:
        reply = self.model.chat(messages, max_tokens=max_tokens, json_schema=schema)
        self._account(out, reply)
        if isinstance(reply.parsed, dict):
            return reply.parsed
        try:
            return parse_json_answer(reply.text, schema)
        except InvalidJSONAnswer as exc:
            exc.text = reply.text
            raise

    def _next_action(self, convo: list[Message], out: LoopResult) -> dict[str, Any]:
        """The model's next action: in one call, or (``staged``) the tool first, then its arguments.

        Staged decoding is for small local models: the tool is one constrained choice (the first
        one by the router when there is one, later ones among the router's top three), and the
        arguments the question does not state are generated under that tool's own schema.
        """
        if not self.staged:
            return dict(self._ask(convo, self.schema, self.limits.max_tokens, out))
        if out.results:  # a small model's prose invents numbers: the answer is the tool's own summary
            return {"tool": FINAL, "arguments": {"answer": summarize_results(out, "")}}
        if self.ranked and not out.tool_calls:
            name = self.ranked[0].name
            self._emit("route", tool=name)
        else:
            names = [t.name for t in self.ranked[:3]] if self.ranked else list(self.tools)
            schema = {
                "type": "object",
                "properties": {"tool": {"type": "string", "enum": names}},
                "required": ["tool"],
            }
            action = dict(self._ask(convo, schema, 16, out))
            if action.get("arguments"):
                return action
            name = str(action["tool"])
        tool = self.tools.get(name)
        if tool is None:
            return {"tool": name, "arguments": {}}
        stated = stated_arguments(tool, self.question)
        missing = required_arguments_schema(tool, skip=set(stated))
        if missing is None:
            return {"tool": name, "arguments": stated}
        ask = [
            *convo,
            Message(role="assistant", content=json.dumps({"tool": name})),
            Message(
                role="user",
                content=load_prompt("agent").render("arguments_of", tool=name, signature=tool.signature()),
            ),
        ]
        generated = dict(self._ask(ask, missing, self.limits.max_tokens, out))
        return {"tool": name, "arguments": {**stated, **generated}}

    def _call(self, name: str, args: dict[str, Any], out: LoopResult) -> tuple[str, bool]:
        tool = self.tools.get(name)
        if tool is None:
            self._emit("tool_error", tool=name, error="unknown tool")
            return f"Error: there is no tool {name!r}. Tools: {', '.join(self.tools)}.", False
        call = run_tool(tool, args, self.context)
        if call.arguments is not None:
            out.tool_calls.append((name, call.arguments))
        if call.result is not None:
            out.results[name] = call.result
        return call.observation, call.result is not None

    def _final(self, args: dict[str, Any], convo: list[Message], out: LoopResult) -> LoopResult:
        text = str(args.get("answer") or args.get("text") or "").strip()
        if not text and self.answer_prompt:
            text = self._stream_answer(convo, out)
        if not text:
            return self._finish(out, "the model gave an empty answer")
        invented = ungrounded_numbers(text, out.results.values(), [m["content"] for m in convo])
        if invented:
            listed = ", ".join(dict.fromkeys(invented[:5])) + (", ..." if len(invented) > 5 else "")
            self._emit("invalid", reason=f"numbers not in any tool result: {listed}", text=text)
            reason = "the model's answer stated numbers no tool gave"
            return self._finish(out, f"{reason}: {listed}", shown=reason)
        out.answer, out.stop_reason = with_side_effects(text, out.results, self.tools), "answered"
        self._emit("answer", text=text)
        return out

    def _stream_answer(self, convo: list[Message], out: LoopResult) -> str:
        """The answer in plain words, streamed token by token (``token`` events)."""
        assert self.answer_prompt is not None
        messages = [*convo, Message(role="user", content=self.answer_prompt)]
        parts: list[str] = []
        try:
            for chunk in self.model.stream(messages, max_tokens=self.limits.max_tokens):
                if chunk.done and chunk.result is not None:
                    self._account(out, chunk.result)
                elif chunk.text:
                    parts.append(chunk.text)
                    self._emit("token", text=chunk.text)
        except ModelAPIError as exc:
            self._emit("tool_error", tool="answer", error=str(exc))
            return ""
        return "".join(parts).strip()

    def _feedback(self, assistant_text: str, observation: str) -> list[Message]:
        return [
            Message(role="assistant", content=assistant_text),
            Message(role="user", content=redact(observation)),
        ]

    def _account(self, out: LoopResult, reply: ChatResult) -> None:
        out.backends.append(reply.backend)
        out.tokens += reply.prompt_tokens + reply.completion_tokens
        self.on_event(model_event(reply))

    def _outcome(self, out: LoopResult, observation: str) -> LoopResult:
        """End the turn on a side effect that did not happen, with its real outcome as the answer."""
        out.stop_reason = "side effect not carried out"
        out.answer = (
            observation if "nothing was written" in observation else f"{observation} Nothing was written."
        )
        self._emit("stop", reason=out.stop_reason)
        self._emit("answer", text=out.answer)
        return out

    def _finish(self, out: LoopResult, reason: str, shown: str | None = None) -> LoopResult:
        out.stop_reason = reason
        out.answer = summarize_results(out, shown or reason)
        self._emit("stop", reason=reason)
        self._emit("answer", text=out.answer)
        return out

    def _emit(self, kind: str, **data: Any) -> None:
        self.on_event(StepEvent(kind=kind, data=data))


_NUMBER = re.compile(r"(?<![\w.])\d[\d,]*(?:\.\d+)?")


def _numbers(text: str) -> list[tuple[str, float, int]]:
    found = []
    for match in _NUMBER.finditer(text):
        raw = match.group(0).rstrip(",")
        digits = raw.replace(",", "")
        decimals = len(digits.split(".")[1]) if "." in digits else 0
        found.append((raw, float(digits), decimals))
    return found


def ungrounded_numbers(text: str, results: Iterable[BaseModel], context: Iterable[str] = ()) -> list[str]:
    """Numbers in ``text`` that neither a tool result nor the conversation supports; small counts pass.

    A number is supported when a source rounds to it (or, times 100, to it as a percentage).
    ``context``: the messages of the conversation (the user's own numbers, earlier checked answers).
    """
    texts = [r.model_dump_json() for r in results] + list(context)
    sources = [value for t in texts for _, value, _ in _numbers(t)]
    bad = []
    for raw, value, decimals in _numbers(text):
        if value < 10 and decimals == 0:
            continue
        scale = 10**decimals
        if not any(
            abs(round(s, decimals) - value) * scale < 0.5 + 1e-9
            or abs(round(s * 100, decimals) - value) * scale < 0.5 + 1e-9
            for s in sources
        ):
            bad.append(raw)
    return bad


def with_side_effects(text: str, results: dict[str, BaseModel], tools: dict[str, AgentTool]) -> str:
    """``text`` with the real outcome of every side effect that ran (what was written, and where)."""
    lines = [text]
    for name, result in results.items():
        summary = getattr(result, "summary", None)
        if (
            name in tools
            and tools[name].side_effect
            and callable(summary)
            and (done := summary()) not in text
        ):
            lines.append(f"({done})")
    return "\n".join(lines)


def summarize_results(out: LoopResult, reason: str) -> str:
    """An answer written in code from the tool results, when the model did not give one."""
    if not out.results:
        return (
            f"I could not complete this request ({reason}) and no tool produced a result. "
            "Try rephrasing, or run a command directly (`mkt --help`)."
        )
    if reason:
        lines = [f"Here is what I found ({reason}, so this summary is written from the tool results):"]
    else:
        lines = ["Here is what the tools found:"]
    for name, result in out.results.items():
        describe = getattr(result, "answer_text", None) or getattr(result, "summary", None)
        text = (
            describe()
            if callable(describe)
            else json.dumps(result.model_dump(mode="json"), default=str)[:400]
        )
        lines.append(f"- {name}: {text}")
    return "\n".join(lines)
