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
from typing import Any

from agent.campaign.planner import plan_campaign
from agent.campaign.request import looks_like_campaign, read_request
from agent.events import EventHandler, StepEvent
from agent.llm.calllog import CallLog, calls_logged_to
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
from prompts import load_prompt
from tools.chat_model import ChatModel, Message

Approver = Callable[[str], bool]


def deny(_action: str) -> bool:
    """The default approver: side effects are refused unless someone approves them."""
    return False


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
        model: ChatModel | None = None,
        tools: Sequence[AgentTool] | None = None,
        limits: Limits | None = None,
        copy_variants: int = 2,
        staged: bool | None = None,
    ) -> None:
        self.settings = settings
        self.copy_variants = copy_variants
        self.staged = (model is None and not settings.llm_base_url) if staged is None else staged
        self._router: ToolRouter | None = None
        self._lock = threading.Lock()
        self.workspace = workspace
        self._model = model
        self._lazy = LazyChatModel(self._build_model)
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

    def router(self) -> ToolRouter | None:
        """The embedding router of staged (local-model) turns, built on first use."""
        if not self.staged:
            return None
        with self._lock:
            if self._router is None:
                from knowledge.embeddings import get_embedding_function

                self._router = ToolRouter(self.tools, get_embedding_function(self.settings).embed)
            return self._router

    @property
    def model(self) -> ChatModel:
        """The chat model, built from settings on first use (each turn's calls go to its session's log)."""
        return self._model if self._model is not None else self._lazy

    def _build_model(self) -> ChatModel:
        from agent.llm import build_chat_model

        log = CallLog(self.workspace.runs_dir / "llm_calls.jsonl", secrets=[self.settings.api_key])
        return build_chat_model(self.settings, call_log=log)

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
        with calls_logged_to(session.llm_log_file):
            if self.staged:
                policy = StagedPolicy(
                    self.model,
                    copy_variants=self.copy_variants,
                    fallback=lambda question, ctx: self._converse(session, question, ctx),
                )
                reply = policy.respond(text, context)
            elif looks_like_campaign(text):
                reply = plan_campaign(
                    read_request(text), context, model=self.model, copy_variants=self.copy_variants
                )
            else:
                reply = self._converse(session, text, context)
        context.state.save(session.folder)
        reply.seconds = round(time.monotonic() - started, 3)
        session.add("user", redact(text))
        session.add("assistant", reply.text)
        session.save()
        session.trace("reply", text=reply.text, seconds=reply.seconds, backend=reply.backend)
        return reply

    def _converse(self, session: Session, text: str, context: ToolContext) -> Reply:
        prompt = load_prompt("agent")
        system = prompt.render(
            "system",
            tools="\n".join(t.signature() for t in self.tools),
            currency=self.settings.currency,
        )
        messages: list[Message] = [Message(role="system", content=system)]
        messages += session.messages[-2 * _MEMORY_TURNS :]
        messages.append(Message(role="user", content=text))
        loop = AgentLoop(
            self.model,
            self.tools,
            context,
            limits=self.limits,
            answer_prompt=prompt.render("answer"),
            staged=self.staged,
            router=self.router(),
        )
        result = loop.run(messages)
        return Reply(
            text=result.answer,
            plots=[str(p) for p in context.plots],
            tool_calls=[name for name, _ in context.calls],
            stop_reason=result.stop_reason,
            backend=",".join(sorted(set(result.backends))),
        )


_MEMORY_TURNS = 6
_KEPT_STATES = 64


def plots_in(reply: Reply) -> list[Path]:
    """The reply's plot files that exist."""
    return [Path(p) for p in reply.plots if Path(p).exists()]


def event_summary(event: StepEvent) -> dict[str, Any]:
    """An event as one JSON-able dict (``mkt ask --json`` prints one per line)."""
    return {"event": event.kind, **event.data}
