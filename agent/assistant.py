"""The assistant every interface talks to: one turn in, one reply out, events as it works.

``Assistant.respond(session, text)`` is what ``mkt chat``, ``mkt ask``, ``mkt demo``, the Slack
bot and the agent eval call. A campaign request ("plan a win-back campaign ... email and SMS, 15%
off ..., budget 2,000") runs the campaign planner (the model fills a plan under a JSON schema,
code checks it against the request and runs the tools) and answers with a ``CampaignBrief``; any
other message goes to the tool-calling ``AgentLoop``. Either way the conversation is remembered in
the ``Session`` and every event is appended to its trace.
"""

from __future__ import annotations

import threading
import time
from collections import OrderedDict
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeGuard, cast

from agent.campaign.request import CampaignRequest, looks_like_campaign, read_request
from agent.events import EventHandler, StepEvent
from agent.llm.calllog import CallLog, calls_logged_to
from agent.llm.deadline import turn_budget
from agent.llm.lazy import LazyChatModel
from agent.loop import AgentLoop, Limits
from agent.pii import redact
from agent.reply import Reply
from agent.router import ToolRouter
from agent.session import Session
from agent.staged import StagedPolicy
from agent.state import ConversationState
from agent.toolbox import AgentTool, ToolContext
from data.settings import Settings
from data.workspace import Workspace
from prompts import load_prompt, render
from tools.chat_model import ChatModel, Message

if TYPE_CHECKING:
    from langchain_core.language_models.chat_models import BaseChatModel

    from agent.endpoint import EndpointPolicy
    from agent.understand.classifier import IntentClassifier

Approver = Callable[[str], bool]


def deny(_action: str) -> bool:
    """The default approver: side effects are refused unless someone approves them."""
    return False


def build_intent_classifier(settings: Settings, workspace: Workspace) -> IntentClassifier:
    """The staged policy's intent classifier for these settings, its embeddings cached in the workspace.

    The packaged model runs in plain torch (~1.4 s to load instead of ~4.5 s via
    sentence-transformers, on every `mkt ask`; the same vectors); any other model through the
    knowledge base's embedding function.
    """
    from agent.understand.classifier import IntentClassifier
    from knowledge.bert_encoder import fast_encoder
    from knowledge.embeddings import get_embedding_function

    embed = fast_encoder(settings)
    if embed is None:
        embed = get_embedding_function(settings).embed
    return IntentClassifier(embed, cache_dir=workspace.models_dir)


class Assistant:
    """The agent: a chat model, the tools and the workspace, shared by every interface.

    Thread-safe for concurrent turns in different sessions (the Slack bot runs one per thread);
    the model is built on first use unless given. ``copy_variants`` per channel in a campaign brief
    (0 skips the copy step, e.g. for fast agent evals). ``staged``: pick the tool, then its
    arguments, in two constrained calls (default: when the packaged local model answers).
    """

    def __init__(
        self,
        settings: Settings,
        workspace: Workspace,
        *,
        model: ChatModel | BaseChatModel | None = None,
        tools: Sequence[AgentTool] | None = None,
        limits: Limits | None = None,
        copy_variants: int = 2,
        staged: bool | None = None,
    ) -> None:
        self.settings = settings
        self.copy_variants = copy_variants
        self._chat: BaseChatModel | None = None
        self._model: ChatModel | None = None
        if _is_langchain(model):
            self._chat = model
        elif model is not None:
            self._model = cast("ChatModel", model)
        self._router: ToolRouter | None = None
        self._classifier: IntentClassifier | None = None
        self._lock = threading.Lock()
        self.workspace = workspace
        self._lazy = LazyChatModel(self._build_model)
        self._endpoint: EndpointPolicy | None = None
        self.staged = self._policy_is_staged(model) if staged is None else staged
        self._tools = list(tools) if tools is not None else None
        self.limits = limits or Limits()
        self._states: OrderedDict[str, ConversationState] = OrderedDict()

    @property
    def tools(self) -> list[AgentTool]:
        """The tools the agent may call."""
        if self._tools is None:
            from agent.catalog import default_tools

            self._tools = default_tools()
        return self._tools

    def router(self) -> ToolRouter:
        """The embedding router of staged (local-model) turns, built on first use."""
        with self._lock:
            if self._router is None:
                from knowledge.embeddings import get_embedding_function

                embed = get_embedding_function(self.settings).embed
                self._router = ToolRouter(self.tools, embed, cache_dir=self.workspace.models_dir)
            return self._router

    @property
    def model(self) -> ChatModel:
        """The chat model, built from settings on first use (each turn's calls go to its session's log)."""
        return self._model if self._model is not None else self._lazy

    def _policy_is_staged(self, model: object) -> bool:
        """Staged (code plans, the model writes copy) for the packaged local model; else the model plans."""
        if model is None:
            return not self.settings.llm_base_url
        return self._chat is None and getattr(model, "name", "") == "local"

    def _call_log(self) -> CallLog:
        return CallLog(self.workspace.runs_dir / "llm_calls.jsonl", secrets=[self.settings.api_key])

    def _build_model(self) -> ChatModel:
        if self._chat is not None:
            from agent.endpoint import LangChainBackend

            return LangChainBackend(self._chat, call_log=self._call_log())
        from agent.llm import build_chat_model

        return build_chat_model(self.settings, call_log=self._call_log())

    def endpoint(self) -> EndpointPolicy | None:
        """The native tool-calling policy, for a LangChain chat model or a configured endpoint (else None)."""
        if self.staged or (self._chat is None and self._model is not None):
            return None  # staged, or a plain ChatModel (e.g. scripted): the JSON-action loop
        with self._lock:
            if self._endpoint is None:
                from agent.endpoint import EndpointPolicy, fallback_chat_models, openai_chat_model

                chat = self._chat if self._chat is not None else openai_chat_model(self.settings)
                self._endpoint = EndpointPolicy(
                    chat,
                    self.tools,
                    fallbacks=fallback_chat_models(self.settings) if self._chat is None else [],
                    limits=self.limits,
                    call_log=self._call_log(),
                    currency=self.settings.currency,
                )
            return self._endpoint

    def state(self, session: Session) -> ConversationState:
        """The typed results kept for ``session``'s conversation (the most recent sessions only)."""
        with self._lock:
            state = self._states.pop(session.id, None) or ConversationState.load(session.folder)
            self._states[session.id] = state
            while len(self._states) > _KEPT_STATES:
                self._states.popitem(last=False)
            return state

    def respond(
        self,
        session: Session,
        text: str,
        *,
        on_event: EventHandler | None = None,
        approve: Approver = deny,
    ) -> Reply:
        """Answer ``text`` in ``session``: remembers the turn, traces every event, never raises MktError."""
        started = time.monotonic()
        session.turns += 1
        session.trace("user", content=redact(text))

        def emit(event: StepEvent) -> None:
            session.trace(event.kind, **event.data)
            if on_event is not None:
                on_event(event)

        emit(StepEvent("turn", {"session": session.id, "turn": session.turns}))

        context = ToolContext(
            settings=self.settings,
            workspace=self.workspace,
            approve=approve,
            state=self.state(session),
            tools={t.name: t for t in self.tools},
            on_event=emit,
            model=self.model,
            output_dir=self.workspace.runs_dir / "turns" / f"{session.id}-{session.turns}",
        )
        with calls_logged_to(session.llm_log_file), turn_budget(self.limits.max_seconds):
            if self.staged:
                reply = self._staged(session).respond(text, context)
            elif (request := self._planned(text, context)) is not None:
                from agent.campaign.planner import plan_campaign  # see StagedPolicy._campaign

                reply = plan_campaign(request, context, model=self.model, copy_variants=self.copy_variants)
            else:
                reply = self._converse(session, text, context)
                failed = reply.stop_reason.removeprefix(_ENDPOINT_FAILED)
                if failed != reply.stop_reason:
                    emit(StepEvent("fallback", {"reason": reply.stop_reason, "policy": "staged"}))
                    reply = self._staged(session).respond(text, context)
                    note = load_prompt("agent").raw("replies")["endpoint_failed"]
                    reply.text += "\n\n" + render(note, {"reason": failed.strip(" ()")})
        context.state.save(session.folder)
        reply.seconds = round(time.monotonic() - started, 3)
        session.add("user", redact(text))
        session.add("assistant", reply.text)
        session.save()
        session.trace("reply", text=reply.text, seconds=reply.seconds, backend=reply.backend)
        return reply

    def _planned(self, text: str, context: ToolContext) -> CampaignRequest | None:
        """The campaign the planner answers ``text`` with, or None (a question for the model).

        On the endpoint path the rules decide and read it (``agent.endpoint.route``); the JSON-action
        loop keeps the campaign regex and ``read_request``.
        """
        if self.endpoint() is not None:
            from agent.endpoint.route import planned_campaign

            return planned_campaign(text, context)
        return read_request(text) if looks_like_campaign(text) else None

    def _staged(self, session: Session) -> StagedPolicy:
        return StagedPolicy(
            self.model,
            copy_variants=self.copy_variants,
            fallback=lambda question, ctx: self._converse(session, question, ctx, local=True),
            guess=lambda question: self.intent_classifier()(question),
        )

    def intent_classifier(self) -> IntentClassifier:
        """The staged policy's intent classifier, built on first use (its embeddings cached on disk)."""
        with self._lock:
            if self._classifier is None:
                self._classifier = build_intent_classifier(self.settings, self.workspace)
            return self._classifier

    def _converse(self, session: Session, text: str, context: ToolContext, *, local: bool = False) -> Reply:
        """A question: the endpoint policy when there is one (and not ``local``), else the tool loop."""
        history = session.messages[-2 * _MEMORY_TURNS :]
        endpoint = None if local else self.endpoint()
        if endpoint is not None:
            result = endpoint.run([*history, Message(role="user", content=text)], context, context.on_event)
        else:
            staged = local or self.staged
            prompt = load_prompt("agent")
            system = prompt.render(
                "system", tools="\n".join(t.signature() for t in self.tools), currency=self.settings.currency
            )
            loop = AgentLoop(
                self.model,
                self.tools,
                context,
                limits=self.limits,
                answer_prompt=prompt.render("answer"),
                staged=staged,
                router=self.router() if staged else None,
            )
            messages = [Message(role="system", content=system), *history, Message(role="user", content=text)]
            result = loop.run(messages)
        return Reply(
            text=result.answer,
            plots=[str(p) for p in context.plots],
            tool_calls=[name for name, _ in context.calls],
            stop_reason=result.stop_reason,
            backend=",".join(sorted(set(result.backends))),
        )


_MEMORY_TURNS = 6
_ENDPOINT_FAILED = "the language model failed"  # how the endpoint policy's stop reason starts
_KEPT_STATES = 64


def _is_langchain(model: object) -> TypeGuard[BaseChatModel]:
    """A LangChain chat model (told apart without importing LangChain: it binds tools and is invoked)."""
    return model is not None and hasattr(model, "bind_tools") and hasattr(model, "invoke")


def plots_in(reply: Reply) -> list[Path]:
    """The reply's plot files that exist."""
    return [Path(p) for p in reply.plots if Path(p).exists()]


def event_summary(event: StepEvent) -> dict[str, Any]:
    """An event as one JSON-able dict (``mkt ask --json`` prints one per line)."""
    return {"event": event.kind, **event.data}
