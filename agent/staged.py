"""The policy of the packaged small model: code understands, plans and answers; the model writes copy.

A 135M model cannot be trusted to choose among fifteen tools or to state numbers, so the turn's
structure is code: the message's intent and slots (``agent.understand``), the chain of tools the
intent needs, run in order through ``run_tool``, and an answer written from the tools' own
results. Follow-ups bind to the conversation's state: "make the SMS shorter" re-runs the last copy
request, "switch the channel to SMS" re-plans the last campaign reusing what did not change, and
"what should we offer them next" means the last customer named. A message no rule understands
goes to the tool-calling loop (embedding router, then the model under a schema).
"""

from __future__ import annotations

import functools
import re
from collections.abc import Callable
from typing import Any

from pydantic import BaseModel

from agent.campaign.request import CampaignRequest, read_request
from agent.events import StepEvent
from agent.reply import Reply
from agent.toolbox import ToolContext, run_tool
from agent.understand.classifier import IntentGuesser, resolve
from agent.understand.intents import (
    LANGUAGES,
    QUESTION_INTENTS,
    Intent,
    asks_record,
    asks_shorter,
    classify,
    clause_intent,
    clauses,
    knowledge_query,
    refusal_reason,
)
from agent.understand.slots import Slots, read_slots
from agent.understand.vocabulary import Vocabulary, unknown_customers
from knowledge.retrieval import RetrievalResult
from prompts import load_prompt
from tools.audience.models import AudienceParams
from tools.chat_model import ChatModel
from tools.copy.models import CopyResult

Step = tuple[str, dict[str, Any]]
_THOSE = re.compile(r"\b(?:those|these|that (?:group|list|audience|lot)|of them)\b", re.I)
_PRONOUN = re.compile(r"\b(?:them|their|they|this customer|that customer|him|her|his)\b", re.I)
_DOUBLE = re.compile(r"\bdoubl\w*\b", re.I)
_HALVE = re.compile(r"\bhal(?:f|ve)\w*\b", re.I)
_ADD = re.compile(r"\b(?:add|also|plus|as well|too|on top)\b", re.I)
_NEEDS_CATALOGUE = {"copy", "campaign", "copy_followup", "campaign_followup"}
_CUSTOMER_INTENTS: set[Intent | None] = {"customer_profile", "clv", "recommend_products", "churn_risk"}


class StagedPolicy:
    """Answers one turn for the packaged local model (see the module docstring)."""

    def __init__(
        self,
        model: ChatModel,
        *,
        copy_variants: int,
        fallback: Callable[[str, ToolContext], Reply],
        guess: IntentGuesser | None = None,
    ) -> None:
        self.model = model
        self.copy_variants = copy_variants
        self.fallback = fallback
        self.guess = guess

    def respond(self, text: str, context: ToolContext) -> Reply:
        """The reply to ``text``, with every tool call made through ``run_tool``."""
        memory = context.state.memory
        intent, slots, vocabulary = understand(text, context, self.guess)
        context.on_event(
            StepEvent(
                "understood",
                {"intent": intent or "unknown", "slots": slots.model_dump(exclude_defaults=True)},
            )
        )
        notes: list[str] = []
        if missing := unknown_customers(context.workspace, slots.customer_ids):
            known = [cid for cid in slots.customer_ids if cid not in missing]
            if not known or intent not in _CUSTOMER_INTENTS:
                return _answer(_unknown_ids(missing), context, "unknown customer id")
            notes.append(_unknown_ids(missing))  # "compare CU1 and CU9": answer for CU1, flag CU9
            slots.customer_ids = known
        if slots.customer_ids:
            memory.customer_id = slots.customer_ids[0]
        if intent is None:
            return self.fallback(text, context)
        if intent == "export" and not slots.audience_stated and context.state.audience is None:
            if memory.audience is None:
                return _answer(_replies()["no_audience"], context, "nothing to export")
            slots = _with_audience(slots, memory.audience)  # "export them": the population just discussed
        if intent == "refusal":
            reason = refusal_reason(text) or "contact"
            return _answer(
                _replies()["refusal" if reason == "contact" else f"refusal_{reason}"], context, "refused"
            )
        if intent == "campaign":
            return self._campaign(campaign_request(text, slots), context)
        if intent == "campaign_followup":
            assert memory.campaign is not None
            previous = memory.campaign
            return self._campaign(changed_campaign(previous, text, slots), context, previous)
        steps = [
            step for one in _each_customer(intent, slots) for step in steps_for(intent, text, one, context)
        ]
        others = _other_questions(text, intent, slots, vocabulary, context)
        return self._run_steps(_unique([*steps, *others]), context, notes)

    def _campaign(
        self, request: CampaignRequest, context: ToolContext, previous: CampaignRequest | None = None
    ) -> Reply:
        from agent.campaign.planner import plan_campaign  # pandas and duckdb: loaded with a campaign

        return plan_campaign(
            request, context, model=self.model, copy_variants=self.copy_variants, previous=previous
        )

    def _run_steps(self, steps: list[Step], context: ToolContext, notes: list[str] | None = None) -> Reply:
        lines: list[str] = list(notes or [])
        for name, args in steps:
            tool = context.tools[name]
            call = run_tool(tool, args, context)
            if call.result is None and name == "abtest_readout" and args.get("campaign_id"):
                # not an A/B test (one variant, or none sent): what the campaign was is in its record
                lines.append(call.observation.removeprefix("Error from abtest_readout: ") + ".")
                name, args = "search_knowledge", _campaign_record(str(args["campaign_id"]), "")
                tool = context.tools[name]
                call = run_tool(tool, args, context)
            if call.result is None:
                outcome = call.observation
                if tool.side_effect and "nothing was written" not in outcome:
                    outcome += " Nothing was written."
                return _answer("\n".join([*lines, outcome]), context, f"{name} did not run")
            if name == "write_copy":
                context.state.memory.copy_args[str(args["channel"])] = dict(call.arguments or args)
                context.state.memory.last_copy_channel = str(args["channel"])
            lines.append(answer_line(call.result, call.headline))
            if args.get("campaign_id") and isinstance(call.result, RetrievalResult):
                lines += _products_named(call.result, context)
        return _answer("\n".join(lines), context, "answered")


def understand(
    text: str, context: ToolContext, guess: IntentGuesser | None = None
) -> tuple[Intent | None, Slots, Vocabulary]:
    """The intent and slots of ``text``, bound to the conversation (its customer, its population).

    Also the workspace's vocabulary the slots were read with, so a turn reads it once.

    ``guess``: the intent classifier, consulted after the rules (``classifier.resolve``).
    """
    memory = context.state.memory
    guessed = functools.cache(lambda: guess(text)) if guess is not None else None  # at most once a turn

    def intent_of(slots: Slots) -> Intent | None:
        rule = classify(
            text, slots, after_copy=bool(memory.copy_args), after_campaign=memory.campaign is not None
        )
        if guessed is None or (rule == "customer_profile" and asks_record(text, slots)):
            return rule
        return resolve(rule, guessed, slots)

    vocabulary = Vocabulary.of(context.workspace)
    slots = read_slots(text, vocabulary)
    intent = intent_of(slots)
    if intent in _NEEDS_CATALOGUE:
        slots = read_slots(text, Vocabulary.of(context.workspace, context.knowledge()))
    if not slots.customer_ids and memory.customer_id and _PRONOUN.search(text):
        if intent is None or intent in _CUSTOMER_INTENTS:
            slots.customer_ids = [memory.customer_id]
    if memory.audience and not slots.audience_stated and _THOSE.search(text):
        slots = _with_audience(slots, memory.audience)  # "how many of those can we text?"
        intent = intent_of(slots)
    if slots.audience_stated:
        memory.audience = AudienceParams.model_validate(_audience_args(slots))
    elif intent == "churn_risk" and not slots.customer_ids:
        memory.audience = AudienceParams(risk="at_risk")
    return intent, slots, vocabulary


def _each_customer(intent: Intent, slots: Slots) -> list[Slots]:
    """One set of slots per customer named, for a customer question about several ("CLV of CU1 and CU2")."""
    if intent not in _CUSTOMER_INTENTS or len(slots.customer_ids) < 2:
        return [slots]
    return [slots.model_copy(update={"customer_ids": [cid]}) for cid in slots.customer_ids]


def _other_questions(
    text: str, intent: Intent, slots: Slots, vocabulary: Vocabulary, context: ToolContext
) -> list[Step]:
    """The steps of the other questions a message asks ("how many customers, and how many will churn?").

    Each clause is read on its own by the question rules; a clause about "them"/"they" keeps the
    customer the message names. Only a question turn gets them: a copy, campaign or export request
    is one request.
    """
    if intent not in QUESTION_INTENTS:
        return []
    parts = clauses(text)
    if len(parts) < 2:
        return []
    seen: set[Intent] = {intent}
    steps: list[Step] = []
    for clause in parts:
        own = read_slots(clause, vocabulary)
        if not own.customer_ids and slots.customer_ids and _PRONOUN.search(clause):
            own.customer_ids = slots.customer_ids[:1]
        found = clause_intent(clause, own)
        if found is None or found in seen or (found == "customer_profile" and not own.customer_ids):
            continue
        seen.add(found)
        steps += steps_for(found, clause, own, context)
    return steps


def _unique(steps: list[Step]) -> list[Step]:
    out: list[Step] = []
    for step in steps:
        if step not in out:
            out.append(step)
    return out


def _answer(text: str, context: ToolContext, stop_reason: str) -> Reply:
    context.on_event(StepEvent("answer", {"text": text}))
    return Reply(
        text=text,
        plots=[str(p) for p in context.plots],
        tool_calls=[name for name, _ in context.calls],
        stop_reason=stop_reason,
        backend="code",
    )


def _replies() -> dict[str, str]:
    return dict(load_prompt("agent").raw("replies"))


def _unknown_ids(missing: dict[str, list[str]]) -> str:
    lines = []
    for cid, near in missing.items():
        hint = f" Closest ids: {', '.join(near)}." if near else ""
        lines.append(f"I can't find a customer with id {cid}: it is unknown in this workspace.{hint}")
    return "\n".join(lines)


def answer_line(result: BaseModel, headline: str) -> str:
    """How one tool result reads in an answer: copy and passages in full, everything else its summary."""
    if isinstance(result, CopyResult):
        return copy_text(result)
    if isinstance(result, RetrievalResult):
        return "From the knowledge base:" + result.answer_text()
    return headline or result.model_dump_json()[:400]


def copy_text(result: CopyResult) -> str:
    """The copy itself, variant by variant, with its verdict (a failed variant is marked, never sendable)."""
    lines = [result.summary()]
    for i, variant in enumerate(result.variants, 1):
        verdict = "passed every check" if variant.passed else "NOT sendable: " + "; ".join(variant.failures)
        origin = f"; {variant.origin()}" if variant.origin() else ""
        lines.append(f"{result.channel} variant {i} ({verdict}{origin}):")
        lines += [f"  {part}: {value}" for part, value in variant.parts.items()]
    return "\n".join(lines)


def _with_audience(slots: Slots, audience: AudienceParams) -> Slots:
    """``slots`` with the audience of an earlier turn (risk, value, segments)."""
    return slots.model_copy(
        update={
            "risk": audience.risk == "at_risk",
            "value": audience.value == "high_value",
            "segments": list(audience.segments),
        }
    )


def _audience_args(slots: Slots) -> dict[str, Any]:
    return {
        "risk": "at_risk" if slots.risk or (slots.winback and not slots.segments) else "any",
        "value": "high_value" if slots.value else "any",
        "segments": slots.segments,
    }


def _best_channel(context: ToolContext) -> list[str]:
    plans = context.state.channel_plan or []
    used = [p for p in plans if p.recipients > 0]
    return [max(used, key=lambda p: p.recipients).channel] if used else []


def steps_for(intent: Intent, text: str, slots: Slots, context: ToolContext) -> list[Step]:  # noqa: C901
    """The tool chain an intent needs, with the arguments its slots give."""
    cid = slots.customer_ids[0] if slots.customer_ids else None
    state = context.state
    if intent == "summary":
        return [("workspace_summary", {})]
    if intent == "customer_profile" and cid:
        return [("customer_profile", {"customer_id": cid})]
    if intent == "churn_risk":
        return [("score_churn", {"customer_id": cid})]
    if intent in ("clv", "customer_profile"):
        return [("calculate_clv", {"customer_id": cid})]
    if intent == "segments":
        return [("segment_customers", {})]
    if intent == "audience":
        return [("select_audience", _audience_args(slots))]
    if intent == "channel_choice":
        chosen = {"channels": slots.channels} if len(slots.channels) > 1 else {}
        if slots.audience_stated:
            return [("select_audience", _audience_args(slots)), ("select_channels", chosen)]
        return [("select_channels", chosen)]
    if intent == "budget_roi":
        channels = slots.channels or _best_channel(context)
        plan: list[Step] = []
        if slots.audience_stated or state.audience is None:
            plan.append(("select_audience", _audience_args(slots)))
        plan.append(
            ("select_channels", {"budget": slots.budget, **({"channels": channels} if channels else {})})
        )
        return [*plan, ("forecast_roi", {"budget": slots.budget})]
    if intent == "recommend_products":
        if cid:
            return [("recommend_products", {"customer_id": cid})]
        return [("recommend_products", {"segment": slots.segments[0] if slots.segments else "champions"})]
    if intent == "feedback_insights":
        return [("feedback_insights", {})]
    if intent == "forecast_trends":
        return [("forecast_trends", {"by": "category"})]
    if intent == "abtest":
        return [("abtest_readout", {"campaign_id": slots.campaign_ids[0] if slots.campaign_ids else ""})]
    if intent == "knowledge" and slots.campaign_ids:  # "which code did C007 use?": that campaign's record
        return [("search_knowledge", _campaign_record(slots.campaign_ids[0], text))]
    if intent == "knowledge":
        return [("search_knowledge", {"query": knowledge_query(text)})]
    if intent == "export":
        export: Step = ("export_audience", {"name": slots.file_name})
        return [("select_audience", _audience_args(slots)), export] if slots.audience_stated else [export]
    if intent == "copy":
        return [("write_copy", _copy_args(text, slots))]
    if intent == "copy_followup":
        return [("write_copy", _copy_followup(text, slots, context))]
    return [("workspace_summary", {})]


def _products_named(result: RetrievalResult, context: ToolContext) -> list[str]:
    """The catalogue names of the products a campaign record gives only by id ("P103: Tempo Lite racer")."""
    ids = [str(c.metadata["product_id"]) for c in result.chunks if c.metadata.get("product_id")]
    if not ids:
        return []
    from knowledge.catalogue import product_names

    names = product_names(context.knowledge())
    return [f"Product {pid}: {names[pid]}" for pid in dict.fromkeys(ids) if pid in names]


def _campaign_record(campaign_id: str, text: str) -> dict[str, Any]:
    """A knowledge search for one past campaign's record (its channel, product, copy and results)."""
    query = text or f"campaign {campaign_id}"
    return {"query": query, "collections": ["campaigns"], "campaign_id": campaign_id, "k": 1}


def _copy_args(text: str, slots: Slots) -> dict[str, Any]:
    parsed = read_request(text)
    return {
        "channel": (slots.channels or ["email"])[0],
        "product": slots.product or parsed.product or "our range",
        "discount": slots.discount,
        "code": slots.code,
        "deadline": parsed.deadline.isoformat() if parsed.deadline else None,
        "audience": " and ".join(slots.segments),
        "variants": min(slots.count or 2, 3),
    }


def _copy_followup(text: str, slots: Slots, context: ToolContext) -> dict[str, Any]:
    memory = context.state.memory
    if not memory.copy_args and memory.campaign is not None:  # the brief's copy: "make the SMS shorter"
        return {**_campaign_copy_args(memory.campaign, slots), "shorter": asks_shorter(text)}
    last = memory.last_copy_channel or next(iter(memory.copy_args))
    channel = next((c for c in slots.channels if c in ("email", "sms", "push")), last)
    args = dict(memory.copy_args.get(channel) or memory.copy_args[last])
    args["channel"] = channel
    args["shorter"] = asks_shorter(text)
    if language := _language(text):
        args["language"] = language
    for key in ("discount", "code", "product"):
        if getattr(slots, key):
            args[key] = getattr(slots, key)
    return args


def _language(text: str) -> str | None:
    """The language a message asks the copy in ("in Spanish", "translate it to French")."""
    m = re.search(rf"\b(?:in|into|to)\s+({'|'.join(LANGUAGES)})\b", text, re.I)
    return LANGUAGES[m.group(1).lower()] if m else None


def _campaign_copy_args(campaign: CampaignRequest, slots: Slots) -> dict[str, Any]:
    """The copy request of a planned campaign's channel (the one the message names, else its first)."""
    writable = [c for c in (*slots.channels, *campaign.channels) if c in ("email", "sms", "push")]
    return {
        "channel": writable[0] if writable else "email",
        "product": slots.product or campaign.product or "our range",
        "discount": slots.discount or campaign.discount,
        "code": slots.code or campaign.code,
        "deadline": campaign.deadline.isoformat() if campaign.deadline else None,
        "audience": campaign.audience_phrase(),
        "variants": 2,
    }


def campaign_request(text: str, slots: Slots) -> CampaignRequest:
    """The campaign ``text`` asks for, with the audience, product and channels the slots read.

    ``read_request`` reads the text alone; the slots know segments by name and "our whales".
    """
    request = read_request(text)
    update: dict[str, Any] = {"segments": slots.segments}
    if slots.product:
        update["product"] = slots.product
    if slots.segments:  # a named segment is the audience; only explicit filters narrow it
        update["risk"] = "at_risk" if slots.risk else "any"
        update["value"] = "high_value" if slots.value else "any"
    else:  # the slots read more ways of naming an audience ("whales", "flight risks") than the request
        stated = [
            k for k, on in (("risk", slots.risk), ("value", slots.value)) if on and k not in request.stated
        ]
        if slots.risk:
            update["risk"] = "at_risk"
        if slots.value:
            update["value"] = "high_value"
        if stated:
            update["stated"] = [*request.stated, *stated]
    if request.budget is None and slots.budget is not None:
        update["budget"] = slots.budget
        update["stated"] = [*update.get("stated", request.stated), "budget"]
    return request.model_copy(update=update)


def _changed_channels(previous: list[str], text: str, slots: Slots) -> list[str]:
    """The channels after a follow-up.

    "swap SMS for push" and "drop SMS" edit the previous list, "add push" / "push as well" extend
    it, anything else ("switch to SMS") replaces it.
    """
    if slots.channels_dropped:
        kept = [c for c in previous if c not in slots.channels_dropped]
        return kept + [c for c in slots.channels if c not in kept]
    if _ADD.search(text):
        return previous + [c for c in slots.channels if c not in previous]
    return slots.channels


def changed_campaign(previous: CampaignRequest, text: str, slots: Slots) -> CampaignRequest:
    """The previous campaign with what the follow-up changes (offer, channels, budget, audience)."""
    update: dict[str, Any] = {"text": f"{previous.text} / {text}"}
    for key in ("discount", "code", "product"):
        if getattr(slots, key):
            update[key] = getattr(slots, key)
    if slots.channels or slots.channels_dropped:
        update["channels"] = _changed_channels(list(previous.channels), text, slots)
    if slots.budget is not None:
        update["budget"] = slots.budget
    elif previous.budget and _DOUBLE.search(text):
        update["budget"] = previous.budget * 2
    elif previous.budget and _HALVE.search(text):
        update["budget"] = previous.budget / 2
    if slots.audience_stated:
        update.update(
            risk="at_risk" if slots.risk or (slots.winback and not slots.segments) else "any",
            value="high_value" if slots.value else "any",
            segments=slots.segments,
        )
    return previous.model_copy(update=update)
