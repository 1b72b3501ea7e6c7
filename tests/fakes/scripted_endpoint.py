"""A scripted "model" for the endpoint path: mkt's own understanding, answering Chat Completions bodies.

``ScriptedEndpoint(settings, workspace)`` is a ``Responder`` for ``FakeOpenAIServer.respond_with``:
from each request body it receives (the messages and the ``tools`` the client sends) it decides
what a competent model would answer, using the project's understanding layer
(``agent.staged.understand`` / ``steps_for``, the campaign request) on the last user message, never
an eval's labels. Three kinds of request reach it:

- an agent turn (the body has ``tools``): the steps the staged policy would run for the message,
  mapped onto the tools offered (names and argument schemas as sent), called one per answer; once
  every step has a result (or an essential one failed), the answer relays the tool messages
  (``said``: headlines, copy and knowledge passages in full, errors as they came). Refusals,
  unknown customer ids and "export them" with nothing to export are answered in text, with the
  staged policy's own replies. A campaign the rules see (the planner is not a
  tool) becomes the planner's tool chain: segments, churn, CLV, audience, channels, ROI, knowledge.
- the campaign planner's goal (``response_format`` with a JSON schema): the goal the request's own
  words give (``read_request``; ``promotion`` when they give none).
- the copy writer's lines (no tools, no schema): an empty line, so every slot gets the brand's
  template line (the script writes no copy).

Earlier turns of the conversation (the history the client sends) are read again, in order, to
rebuild the follow-up memory (last customer, audience, copy request, campaign) the rules bind
follow-ups to; the tools' state of earlier turns (a selected audience, a channel plan) is not
rebuilt, so follow-ups that need it start from the request's own words.
"""

from __future__ import annotations

import dataclasses
import json
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from agent.campaign.request import CampaignRequest, read_request
from agent.catalog import default_tools
from agent.staged import (
    _campaign_record,
    _copy_args,
    _copy_followup,
    _each_customer,
    _other_questions,
    _replies,
    _unique,
    _unknown_ids,
    _with_audience,
    campaign_request,
    changed_campaign,
    steps_for,
    understand,
)
from agent.state import ConversationState
from agent.toolbox import ToolContext
from agent.understand.classifier import IntentGuesser
from agent.understand.intents import Intent, refusal_reason
from agent.understand.vocabulary import unknown_customers
from data.settings import Settings
from data.workspace import Workspace
from prompts import load_prompt
from tests.fakes.openai_tool_calls import ScriptedReply, ToolCallSpec, calls, text

Step = tuple[str, dict[str, Any]]
Body = Mapping[str, Any]
OPTIONAL = {"segment_customers", "search_knowledge"}  # the planner's steps whose failure is only a note
_UNTRUSTED = re.compile(r"</?untrusted-data[^>]*>\n?")
_DATA = re.compile(r"<untrusted-data[^>]*>\n?(.*?)\n?</untrusted-data>", re.S)
_REFUSED = re.compile(r"^(?:Not approved|User rejected)", re.M)


@dataclass(frozen=True)
class Plan:
    """What the script will do for a turn: tool steps, or (when ``say`` is set) an answer in text."""

    steps: tuple[Step, ...] = ()
    say: str | None = None
    optional: frozenset[str] = frozenset()


@dataclass(frozen=True)
class Done:
    """One tool call of the current turn and what came back."""

    name: str
    arguments: dict[str, Any]
    content: str

    @property
    def failed(self) -> bool:
        return self.content.startswith(("Error", "Not approved", "User rejected"))


def content_of(message: Mapping[str, Any]) -> str:
    """A message's text (a string, or a list of text parts)."""
    content = message.get("content")
    if isinstance(content, str):
        return content
    if isinstance(content, list):
        return "".join(str(p.get("text", "")) for p in content if isinstance(p, dict))
    return ""


def _corrections() -> tuple[str, ...]:
    """How the endpoint path's own correction messages start (they are not the person's words)."""
    prompt = load_prompt("endpoint")
    return (
        prompt.render("empty").strip()[:40],
        str(prompt.raw("ungrounded")).split("{numbers}")[0].strip()[:40],
    )


def turn_start(messages: Sequence[Mapping[str, Any]]) -> int:
    """Index of the current turn's user message (the last one that is not a correction); -1 if none."""
    marks = _corrections()
    for i in range(len(messages) - 1, -1, -1):
        m = messages[i]
        if m.get("role") == "user" and not content_of(m).strip().startswith(marks):
            return i
    return -1


def done_calls(messages: Sequence[Mapping[str, Any]]) -> list[Done]:
    """The tool calls made since the turn's user message, with their results, in order."""
    results = {str(m.get("tool_call_id")): content_of(m) for m in messages if m.get("role") == "tool"}
    out: list[Done] = []
    for m in messages:
        for call in m.get("tool_calls") or [] if m.get("role") == "assistant" else []:
            fn = call.get("function", {})
            try:
                arguments = json.loads(fn.get("arguments") or "{}")
            except json.JSONDecodeError:
                arguments = {}
            out.append(Done(str(fn.get("name")), arguments, results.get(str(call.get("id")), "")))
    return out


def offered(body: Body) -> dict[str, dict[str, Any]]:
    """Tool name -> its JSON schema of arguments, as the request offers them."""
    out: dict[str, dict[str, Any]] = {}
    for tool in body.get("tools") or []:
        fn = tool.get("function", {})
        out[str(fn.get("name"))] = dict(fn.get("parameters") or {})
    return out


def fit(step: Step, tools: Mapping[str, Mapping[str, Any]]) -> Step | None:
    """``step`` on the offered tool of its name: only the arguments its schema has, none left null."""
    name, args = step
    schema = tools.get(name)
    if schema is None:
        return None
    properties = schema.get("properties") or {}
    return name, {k: v for k, v in args.items() if k in properties and v is not None}


def said(done: Done) -> str:
    """How one tool result reads in the answer.

    Its headline (the "Result of ..." line), and its data when that is text to read (the copy,
    variant by variant) or knowledge passages, as a model relaying them would quote them; a JSON
    record is summed up by its headline. Errors as they came; a refused side effect says that
    nothing was written, as the endpoint's system prompt asks.
    """
    content = done.content.strip()
    if _REFUSED.search(content):
        return f"{content}\nNothing was written."
    if content.startswith("Error"):
        return content
    head = content.split("\n<untrusted-data", 1)[0].strip()
    block = _DATA.search(content)
    readable = block is not None and not block.group(1).lstrip().startswith(("{", "["))
    if readable or done.name == "search_knowledge":
        return _UNTRUSTED.sub("", content).strip()
    return head


def relay(done: Sequence[Done]) -> str:
    """The answer: what the tools said, one result after another."""
    parts = [said(d) for d in done]
    return "\n\n".join(p for p in parts if p) or "No tool gave a result."


def next_reply(plan: Plan, done: Sequence[Done], tools: Mapping[str, Mapping[str, Any]]) -> ScriptedReply:
    """The next assistant message: the next step's call, or the relayed answer once the plan is done.

    An essential step that failed ends the plan (its error is in the answer); an A/B readout of a
    campaign that was no A/B test is followed by that campaign's record, as the staged policy does.
    """
    if plan.say is not None:
        return text(plan.say)
    queue = [s for s in (fit(s, tools) for s in plan.steps) if s is not None]
    seen = 0
    while queue:
        step = queue.pop(0)
        if seen >= len(done):
            return calls(ToolCallSpec(step[0], step[1]))
        result = done[seen]
        seen += 1
        if not result.failed or step[0] in plan.optional:
            continue
        campaign = step[1].get("campaign_id")
        record = fit(("search_knowledge", _campaign_record(str(campaign), "")), tools) if campaign else None
        if step[0] == "abtest_readout" and record is not None:
            queue.insert(0, record)
            continue
        break
    return text(relay(done))


def campaign_steps(request: CampaignRequest) -> list[Step]:
    """The campaign planner's tool chain for ``request`` (the planner itself is not a tool)."""
    percent = float(request.discount[:-1]) if request.discount and request.discount.endswith("%") else None
    steps: list[Step] = [("segment_customers", {})]
    if request.risk == "at_risk":
        steps.append(("score_churn", {}))
    steps += [
        ("calculate_clv", {}),
        ("select_audience", {"risk": request.risk, "value": request.value, "segments": request.segments}),
        (
            "select_channels",
            {
                "channels": request.channels or ["email", "sms", "push"],
                "budget": request.budget,
                "discount_percent": percent,
            },
        ),
        ("forecast_roi", {"discount_percent": percent, "budget": request.budget}),
        (
            "search_knowledge",
            {
                "query": f"{request.product or 'our products'} for {request.audience_phrase()}",
                "collections": ["products", "campaigns"],
                "k": 4,
            },
        ),
    ]
    return steps


class ScriptedEndpoint:
    """A ``Responder``: mkt's understanding standing in for a model behind an OpenAI-compatible endpoint."""

    def __init__(
        self, settings: Settings, workspace: Workspace, *, guess: IntentGuesser | None = None
    ) -> None:
        self.guess = guess
        self.base = ToolContext(
            settings=settings, workspace=workspace, tools={t.name: t for t in default_tools()}
        )
        self.plans: list[tuple[str, Intent | None, Plan]] = []  # (text, intent, plan) of each agent turn read

    def __call__(self, body: dict[str, Any]) -> ScriptedReply:
        """The assistant message for one Chat Completions request body."""
        messages: list[dict[str, Any]] = list(body.get("messages") or [])
        if body.get("tools"):
            return self.agent_turn(messages, offered(body))
        fmt = body.get("response_format") or {}
        if fmt.get("type") == "json_schema":
            return text(json.dumps(self.goal(messages)))
        return text("")  # a copy line: the script writes none, the brand's template line is used

    def goal(self, messages: Sequence[Mapping[str, Any]]) -> dict[str, str]:
        """The campaign planner's JSON: the goal the request's own words give."""
        user = next((content_of(m) for m in reversed(messages) if m.get("role") == "user"), "")
        line = next((ln for ln in user.splitlines() if ln.startswith("Request:")), user)
        return {"goal": read_request(line.removeprefix("Request:").strip()).goal}

    def agent_turn(
        self, messages: Sequence[Mapping[str, Any]], tools: Mapping[str, Mapping[str, Any]]
    ) -> ScriptedReply:
        """The next message of an agent turn: a tool call, or the answer."""
        start = turn_start(messages)
        if start < 0:
            return text("What would you like to know?")
        history = [m for m in messages[:start] if m.get("role") in ("user", "assistant")]
        context = dataclasses.replace(self.base, state=ConversationState(), calls=[], results={})
        for m in history:
            if m.get("role") == "user":
                self.plan(content_of(m), context)  # rebuilds the follow-up memory
        user = content_of(messages[start])
        plan = self.plan(user, context)
        done = done_calls(messages[start + 1 :])
        if not done:
            self.plans.append((user, None, plan))
        return next_reply(plan, done, tools)

    def plan(self, text_: str, context: ToolContext) -> Plan:  # noqa: C901 - the staged policy's branches
        """What the staged policy would do for ``text_`` (updating the follow-up memory as it does)."""
        memory = context.state.memory
        intent, slots, vocabulary = understand(text_, context, self.guess)
        if missing := unknown_customers(context.workspace, slots.customer_ids):
            known = [cid for cid in slots.customer_ids if cid not in missing]
            if not known or intent not in ("customer_profile", "clv", "recommend_products", "churn_risk"):
                return Plan(say=_unknown_ids(missing))
            slots.customer_ids = known
        if slots.customer_ids:
            memory.customer_id = slots.customer_ids[0]
        if intent is None:
            return Plan(say="I am not sure which figures you need; could you say what to look at?")
        if intent == "export" and not slots.audience_stated and context.state.audience is None:
            if memory.audience is None:
                return Plan(say=_replies()["no_audience"])
            slots = _with_audience(slots, memory.audience)
        if intent == "refusal":
            reason = refusal_reason(text_) or "contact"
            return Plan(say=_replies()["refusal" if reason == "contact" else f"refusal_{reason}"])
        if intent in ("campaign", "campaign_followup"):
            if intent == "campaign" or memory.campaign is None:
                request = campaign_request(text_, slots)
            else:
                request = changed_campaign(memory.campaign, text_, slots)
            memory.campaign = request
            return Plan(steps=tuple(campaign_steps(request)), optional=frozenset(OPTIONAL))
        if intent == "copy":
            args = _copy_args(text_, slots)
            self._remember_copy(context, args)
            return Plan(steps=(("write_copy", args),))
        if intent == "copy_followup":
            args = _copy_followup(text_, slots, context)
            self._remember_copy(context, args)
            return Plan(steps=(("write_copy", args),))
        steps = [s for one in _each_customer(intent, slots) for s in steps_for(intent, text_, one, context)]
        others = _other_questions(text_, intent, slots, vocabulary, context)
        return Plan(steps=tuple(_unique([*steps, *others])))

    @staticmethod
    def _remember_copy(context: ToolContext, args: dict[str, Any]) -> None:
        memory = context.state.memory
        memory.copy_args[str(args["channel"])] = dict(args)
        memory.last_copy_channel = str(args["channel"])
