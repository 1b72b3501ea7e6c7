"""The campaign planner: request -> plan (model, under a JSON schema) -> tools -> ``CampaignBrief``.

A small local model cannot be trusted to chain eight tool calls, so the planner splits the work:
code reads what the text states outright (stated facts always win, and the audience only ever
follows the text), the model chooses the goal when the text leaves it open, under a JSON schema,
and code then runs the tools in their fixed order through the same ``run_tool`` as the agent loop:
same validation, same events, same trace. Each step is timed; a failing optional step (segments,
knowledge, copy) becomes a note, a failing essential one (audience, channels, ROI) ends the plan
with an answer that says what went wrong.
"""

from __future__ import annotations

import re
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

from pydantic import BaseModel, ValidationError

from agent.campaign.brief import (
    AudienceSummary,
    CampaignBrief,
    ChannelPlan,
    CopyCheck,
    CopyVariant,
    RoiForecast,
    StepTiming,
)
from agent.campaign.request import CampaignPlan, CampaignRequest, merge_plan
from agent.events import StepEvent, model_event
from agent.llm.structured import InvalidJSONAnswer, parse_json_answer
from agent.reply import Reply
from agent.toolbox import AgentTool, ToolContext, run_tool
from data.errors import MktError
from prompts import load_prompt
from tools.audience.fairness import audience_makeup
from tools.audience.models import FairnessReport
from tools.chat_model import ChatModel, Message

Emit = Callable[[StepEvent], None]
DEFAULT_CHANNELS = ["email", "sms", "push"]
BASE_ONLY_PLOTS = {"clv_distribution.png", "churn_risk.png"}
GOAL_WORDS = {
    "win_back": "win-back",
    "retention": "retention",
    "promotion": "promotion",
    "upsell": "upsell",
    "launch": "product launch",
    "reactivation": "reactivation",
}


class StepFailed(Exception):
    """An essential step failed; the message says why."""


class _Run:
    """The state of one planned campaign: tools by name, step timings, results, notes."""

    def __init__(self, tools: list[AgentTool], context: ToolContext, emit: Emit) -> None:
        self.tools = {t.name: t for t in tools}
        self.context = context
        self.emit = emit
        self.steps: list[StepTiming] = []
        self.notes: list[str] = []

    @property
    def called(self) -> list[str]:
        """Tools called so far, dependencies included, in order."""
        return [name for name, _ in self.context.calls]

    @contextmanager
    def step(self, name: str, detail: str = "") -> Iterator[list[str]]:
        """Time a step and report it as ``step`` events; the yielded list collects its detail."""
        self.emit(StepEvent("step", {"step": name, "status": "start", "detail": detail}))
        started = time.perf_counter()
        details: list[str] = []
        ok = True
        try:
            yield details
        except StepFailed as exc:
            ok = False
            details.append(str(exc))
            raise
        finally:
            seconds = round(time.perf_counter() - started, 2)
            text = "; ".join(details) or detail
            self.steps.append(StepTiming(step=name, seconds=seconds, detail=text, ok=ok))
            status = "done" if ok else "failed"
            self.emit(StepEvent("step", {"step": name, "status": status, "seconds": seconds, "detail": text}))

    def call(self, name: str, details: list[str], *, essential: bool = True, **args: Any) -> BaseModel | None:
        """Run tool ``name``; an error fails the step when ``essential``, else becomes a note."""
        call = run_tool(self.tools[name], args, self.context)
        if call.result is None:
            if essential:
                raise StepFailed(call.observation)
            self.notes.append(f"{name} skipped: {call.observation}")
            details.append("skipped")
            return None
        if call.headline:
            details.append(call.headline)
        return call.result


def plan_campaign(
    request: CampaignRequest,
    context: ToolContext,
    *,
    model: ChatModel,
    copy_variants: int = 2,
    previous: CampaignRequest | None = None,
) -> Reply:
    """Plan and run the campaign ``request`` asks for; the reply carries the brief (or why there is none).

    ``previous``: the conversation's last campaign request, when ``request`` changes it (a
    follow-up); then results that the change does not affect are reused, not recomputed.
    """
    run = _Run(list(context.tools.values()), context, context.on_event)
    backends: list[str] = []
    try:
        with run.step("plan") as details:
            if previous is None:
                request = _plan(model, request, run, backends)
            details.append(_plan_line(request))
        brief = _execute(request, run, copy_variants, previous)
    except StepFailed as exc:
        answer = f"I could not finish the campaign plan: {exc}\n" + "\n".join(
            f"- {s.step}: {s.detail} ({s.seconds:.1f} s)" for s in run.steps if s.ok
        )
        return Reply(
            text=answer, tool_calls=run.called, stop_reason="step failed", backend=_backend(backends)
        )
    for variant in brief.copy_variants:
        backends.append(variant.backend)
    brief.backend = _backend(backends)
    # The brief shows the audience against the base; the base-only CLV and churn plots stay on disk.
    brief.plots = [str(p) for p in context.plots if p.name not in BASE_ONLY_PLOTS]
    from agent.campaign.report import write_report

    brief.steps = run.steps
    report = write_report(brief, context.folder)
    context.state.brief = brief
    context.state.memory.campaign = request
    run.emit(StepEvent("brief", {"brief": brief.model_dump(mode="json"), "report": str(report)}))
    return Reply(
        text=brief.to_markdown(),
        brief=brief,
        plots=brief.plots,
        report=str(report),
        tool_calls=run.called,
        stop_reason="planned",
        backend=brief.backend,
    )


def _backend(names: list[str]) -> str:
    return ",".join(sorted({n for n in names if n}))


def _plan(model: ChatModel, request: CampaignRequest, run: _Run, backends: list[str]) -> CampaignRequest:
    """Fill the goal the text leaves open with the model's choice under a JSON schema."""
    if "goal" in request.stated:
        return request
    prompt = load_prompt("agent")
    facts = ", ".join(f"{k}={getattr(request, k)}" for k in request.stated) or "nothing"
    messages = [
        Message(role="system", content=prompt.render("plan_system")),
        Message(role="user", content=prompt.render("plan_user", request=request.text, facts=facts)),
    ]
    schema = CampaignPlan.model_json_schema()
    try:
        reply = model.chat(messages, max_tokens=60, json_schema=schema)
        backends.append(reply.backend)
        run.emit(model_event(reply))
        raw = reply.parsed if isinstance(reply.parsed, dict) else parse_json_answer(reply.text, schema)
        plan = CampaignPlan.model_validate(raw)
    except (MktError, InvalidJSONAnswer, ValidationError) as exc:
        run.notes.append(f"the model's plan was unusable ({_short(exc)}); used the request's own words")
        return request
    return merge_plan(request, plan)


def _short(exc: Exception) -> str:
    return re.sub(r"\s+", " ", str(exc))[:160]


def _plan_line(request: CampaignRequest) -> str:
    parts = [GOAL_WORDS[request.goal], request.audience_phrase()]
    if request.channels:
        parts.append(" + ".join(request.channels))
    if request.discount:
        parts.append(f"{request.discount} off {request.product or 'the offer'}")
    if request.budget is not None:
        parts.append(f"budget {request.budget:,.0f}")
    return ", ".join(parts)


def _discount_percent(discount: str | None) -> float | None:
    if discount and discount.endswith("%"):
        return float(discount[:-1])
    return None


def _audience_of(request: CampaignRequest) -> tuple[str, str, tuple[str, ...]]:
    return request.risk, request.value, tuple(request.segments)


def _offer_of(request: CampaignRequest) -> tuple[str | None, ...]:
    deadline = request.deadline.isoformat() if request.deadline else None
    return request.discount, request.product, request.code, deadline


def _execute(  # noqa: C901 - the plan's steps in order, each with its reuse rule
    request: CampaignRequest, run: _Run, copy_variants: int, previous: CampaignRequest | None
) -> CampaignBrief:
    channels = request.channels or DEFAULT_CHANNELS
    state = run.context.state
    same_audience = previous is not None and _audience_of(previous) == _audience_of(request)
    if state.segments is None:
        with run.step("segment customers") as d:
            run.call("segment_customers", d, essential=False)
    if request.risk == "at_risk" and state.churn is None:
        with run.step("score churn") as d:
            run.call("score_churn", d)
    if state.clv is None:
        with run.step("compute CLV") as d:
            run.call("calculate_clv", d)
    if same_audience and state.audience is not None:
        audience: BaseModel | None = state.audience.summary
    else:
        with run.step("select audience") as d:
            audience = run.call(
                "select_audience", d, risk=request.risk, value=request.value, segments=request.segments
            )
    with run.step("pick channels within budget") as d:
        mix = run.call(
            "select_channels",
            d,
            channels=channels,
            budget=request.budget,
            discount_percent=_discount_percent(request.discount),
        )
    with run.step("forecast ROI") as d:
        roi = run.call(
            "forecast_roi", d, discount_percent=_discount_percent(request.discount), budget=request.budget
        )
    assert isinstance(audience, AudienceSummary) and isinstance(roi, RoiForecast)
    plans: list[ChannelPlan] = list(getattr(mix, "channels", []))
    same_offer = previous is not None and _offer_of(previous) == _offer_of(request) and same_audience
    kept = list(state.brief.copy_variants) if same_offer and state.brief is not None else []
    sources = list(state.brief.context_sources) if same_offer and state.brief is not None else []
    if not same_offer:
        with run.step("retrieve brand and product context") as d:
            query = f"{request.product or 'our products'} for {request.audience_phrase()}"
            found = run.call(
                "search_knowledge",
                d,
                essential=False,
                query=query,
                collections=["products", "campaigns"],
                k=4,
            )
            for chunk in getattr(found, "chunks", []):
                sources.append(f"{chunk.collection}: {chunk.metadata.get('source', chunk.id)}")
    unreachable = [c for c in channels if c in audience.reachable and audience.reachable[c] == 0]
    if unreachable:
        run.notes.append(
            f"nobody in the audience has consented to {', '.join(unreachable)} (or no consent is recorded): "
            "those channels reach nobody until consent is loaded"
        )
    idle = [
        p.channel
        for p in plans
        if p.recipients == 0 and p.channel in channels and p.channel not in unreachable
    ]
    losing = [p.channel for p in plans if p.channel in idle and p.expected_value_per_message <= 0]
    beaten = [c for c in idle if c not in losing]
    if losing:
        run.notes.append(
            f"{', '.join(losing)} would not pay for this audience: the conversions a send causes are worth "
            "less than the discount and the send cost (see each channel's reason); nothing is sent on it, "
            "the copy is written anyway. A smaller discount, the budget options below, or the customers an "
            "uplift model finds persuadable (`mkt uplift train`, then `mkt audience --response persuadable`) may pay"
        )
    if beaten:
        run.notes.append(
            f"nobody was assigned to {', '.join(beaten)}: another channel pays more for every customer it "
            "reaches; the copy is written anyway"
        )
    variants = [v for v in kept if v.channel in channels]
    done = {v.channel for v in variants}
    for channel in [c for c in channels if c not in done] if copy_variants > 0 else []:
        args = {
            "channel": channel,
            "product": request.product or "our running gear",
            "discount": request.discount,
            "code": request.code,
            "deadline": request.deadline.isoformat() if request.deadline else None,
            "audience": audience.description,
            "variants": copy_variants,
        }
        run.context.state.memory.copy_args[channel] = args
        with run.step(f"write {channel} copy") as d:
            result = run.call("write_copy", d, essential=False, **args)
            for v in getattr(result, "variants", []):
                variants.append(_variant(channel, v))
    return CampaignBrief(
        fairness=_fairness(run.context),
        request=request.text,
        goal=GOAL_WORDS[request.goal],
        offer={
            k: str(v)
            for k, v in (
                ("discount", request.discount),
                ("product", request.product),
                ("code", request.code),
                ("deadline", request.deadline),
            )
            if v
        },
        audience=audience,
        channels=plans,
        roi=roi,
        control=state.control,
        budget_options=list(roi.budget_options),
        copy_variants=variants,
        context_sources=sources,
        engine=run.context.settings.engine,
        currency=run.context.settings.currency,
        notes=[*run.notes, *audience.notes, *getattr(mix, "notes", []), *roi.notes],
    )


def _variant(channel: str, variant: Any) -> CopyVariant:
    checks = [
        CopyCheck(
            name=r.metric, passed=r.passed, hard=r.hard, score=r.score, reason=r.reason, skipped=r.skipped
        )
        for r in variant.checks
    ]
    return CopyVariant(
        channel=channel,
        parts=dict(variant.parts),
        passed=variant.passed,
        checks=checks,
        facts_used=[f"{k}={v}" for k, v in variant.facts_used.items()],
        model=variant.model,
        backend=variant.backend,
        origin=variant.origin(),
    )


def _fairness(context: ToolContext) -> FairnessReport | None:
    """The audience's make-up on the customers table's sensitive attributes (None: there are none)."""
    selection = context.state.audience
    if selection is None or not selection.customer_ids:
        return None
    try:
        with context.workspace.connect(read_only=True) as con:
            report = audience_makeup(con, selection.customer_ids, sensitive=context.settings.sensitive)
    except MktError:
        return None  # no customers table in the workspace (e.g. Spark read the files directly)
    return report if report.attributes else None
