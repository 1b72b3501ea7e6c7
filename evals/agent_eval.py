"""Agent accuracy: does the assistant call the tools a request needs, and does its reply carry the facts?

Every request (``evals/agent_requests.py``: the packaged ``v2`` set, the ``v1`` regression set, or
a YAML file) runs through a real ``Assistant`` in a fresh ``Session``: its earlier ``turns``
first, then its text; every approval asked is answered with the request's ``approve`` and
recorded. Relative file paths (exports) land in a folder of its own under
``runs/agent-eval/files/<id>``. The eval records the tools the last turn called, the missing,
extra and forbidden ones, the approvals, the facts found and missing (``evals/agent_facts.py``,
truths from ``evals/agent_truth.py``), the time, stop reason and backend, and scores:

- tool-call rate: share of requests whose needed tools were all called (and no forbidden one);
  tool precision and recall over (request, tool) pairs;
- fact rate: share of facts that held (and the share of requests with all of their facts);

overall, per kind (campaign, question), per split (dev, test) and per intent within each split.

Run it on a prepared workspace (``mkt data generate``, ``mkt knowledge ingest``, ``mkt churn train``)::

    mkt eval agent --requests v2 --split test --copy-variants 0 --json runs/agent_eval.json
"""

from __future__ import annotations

import contextlib
import importlib
import os
import shutil
import time
from collections.abc import Callable, Iterator, Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol

from pydantic import BaseModel, Field

from evals.agent_facts import Evidence, FactResult, TruthSource, Value, check_fact, without
from evals.agent_requests import AgentRequest, Kind
from evals.agent_truth import WorkspaceTruth

if TYPE_CHECKING:
    from data.settings import Settings
    from data.workspace import Workspace


def _agent(module: str) -> Any:
    """A module of ``agent/``, imported by name.

    ``agent/`` is outside mypy's strict ``files`` (pyproject.toml); a plain import would make mypy
    check it, and report its errors, from here. The eval needs only the few names it uses.
    """
    return importlib.import_module(f"agent.{module}")


class Responder(Protocol):
    """What the eval needs of ``agent.assistant.Assistant``."""

    workspace: Workspace
    copy_variants: int

    def respond(
        self,
        session: Any,
        text: str,
        *,
        on_event: Callable[[Any], None] | None = None,
        approve: Callable[[str], bool] = ...,
    ) -> Any:
        """Answer ``text`` in ``session``; the reply has text, tool_calls, stop_reason, backend, seconds."""
        ...


# --- one request -------------------------------------------------------------------------------


class RequestOutcome(BaseModel):
    """What happened to one request (its last turn)."""

    id: str
    intent: str
    kind: Kind
    split: str | None = None
    text: str
    turns: list[str] = Field(default_factory=list)
    required: list[str]
    called: list[str] = Field(description="Tools the last turn called, in order (repeats kept).")
    missing: list[str]
    extra: list[str]
    forbidden: list[str] = Field(default_factory=list, description="Forbidden tools that were called.")
    approvals: list[str] = Field(default_factory=list, description="Actions the last turn asked to approve.")
    tools_ok: bool
    facts: list[FactResult]
    seconds: float
    stop_reason: str
    backend: str
    answer: str
    error: str | None = None

    @property
    def facts_found(self) -> int:
        """How many facts held."""
        return sum(f.found for f in self.facts)

    @property
    def passed(self) -> bool:
        """Right tools and every fact."""
        return self.tools_ok and self.facts_found == len(self.facts)


def required_tools(request: AgentRequest, copy_variants: int = 0) -> list[str]:
    """The tools the last turn must call: ``write_copy`` too for campaigns written with copy."""
    required = list(dict.fromkeys(request.tools))
    if request.kind == "campaign" and copy_variants > 0 and "write_copy" not in required:
        required.append("write_copy")  # the planner writes copy per channel when asked to
    return required


def judge(
    request: AgentRequest,
    called: list[str],
    answer: str,
    truth: TruthSource,
    *,
    copy_variants: int = 0,
    approvals: Sequence[str] = (),
    started: float = 0.0,
    folder: Path | None = None,
    seconds: float = 0.0,
    stop_reason: str = "",
    backend: str = "",
    error: str | None = None,
) -> RequestOutcome:
    """Score one reply: needed and forbidden tools, and every fact on the reply without the user's words."""
    required = required_tools(request, copy_variants)
    forbidden = [t for t in request.forbid_tools if t in called]
    evidence = Evidence(
        answer=without(answer, request.messages), approvals=tuple(approvals), started=started, folder=folder
    )
    return RequestOutcome(
        id=request.id,
        intent=request.intent,
        kind=request.kind or "question",
        split=request.split,
        text=request.text,
        turns=request.turns,
        required=required,
        called=called,
        missing=[t for t in required if t not in called],
        extra=sorted(set(called) - set(required)),
        forbidden=forbidden,
        approvals=list(approvals),
        tools_ok=all(t in called for t in required) and not forbidden,
        facts=[check_fact(f, evidence, truth) for f in request.facts],
        seconds=seconds,
        stop_reason=stop_reason,
        backend=backend,
        answer=answer,
        error=error,
    )


# --- scores ------------------------------------------------------------------------------------


class Scores(BaseModel):
    """Rates over a set of requests."""

    n: int
    tool_accuracy: float = Field(description="Tool-call rate: share of requests with every needed tool.")
    tool_precision: float = Field(description="Needed tools called / distinct tools called.")
    tool_recall: float = Field(description="Needed tools called / needed tools.")
    n_facts: int
    fact_accuracy: float = Field(description="Fact rate: share of facts that held.")
    all_facts: float = Field(description="Share of requests with every fact.")
    passed: float = Field(description="Share of requests with the right tools and every fact.")
    mean_seconds: float


def score(outcomes: Sequence[RequestOutcome]) -> Scores:
    """Rates over ``outcomes`` (zeros when empty)."""
    n = len(outcomes)
    hits = sum(len(set(o.required) & set(o.called)) for o in outcomes)
    distinct_called = sum(len(set(o.called)) for o in outcomes)
    required = sum(len(set(o.required)) for o in outcomes)
    n_facts = sum(len(o.facts) for o in outcomes)
    return Scores(
        n=n,
        tool_accuracy=_share(sum(o.tools_ok for o in outcomes), n),
        tool_precision=_share(hits, distinct_called),
        tool_recall=_share(hits, required),
        n_facts=n_facts,
        fact_accuracy=_share(sum(o.facts_found for o in outcomes), n_facts),
        all_facts=_share(sum(o.facts_found == len(o.facts) for o in outcomes), n),
        passed=_share(sum(o.passed for o in outcomes), n),
        mean_seconds=round(sum(o.seconds for o in outcomes) / n, 2) if n else 0.0,
    )


def _share(part: int, whole: int) -> float:
    return round(part / whole, 4) if whole else 0.0


def _grouped(outcomes: Sequence[RequestOutcome], key: Callable[[RequestOutcome], str]) -> dict[str, Scores]:
    keys = sorted({key(o) for o in outcomes})
    return {k: score([o for o in outcomes if key(o) == k]) for k in keys}


class BackendRun(BaseModel):
    """One pass over the requests with one backend."""

    backend: str = Field(description="'local' or 'endpoint' (as asked for).")
    models: list[str] = Field(description="Model names that answered, from the model events.")
    copy_variants: int
    seconds: float
    overall: Scores
    per_kind: dict[str, Scores]
    per_split: dict[str, Scores] = Field(default_factory=dict, description="dev / test / none.")
    per_intent: dict[str, dict[str, Scores]] = Field(
        default_factory=dict, description="split -> intent -> scores."
    )
    outcomes: list[RequestOutcome]


def _split_of(o: RequestOutcome) -> str:
    return o.split or "none"


def _run(
    backend: str, models: list[str], copy_variants: int, seconds: float, outcomes: list[RequestOutcome]
) -> BackendRun:
    splits = sorted({_split_of(o) for o in outcomes})
    return BackendRun(
        backend=backend,
        models=models,
        copy_variants=copy_variants,
        seconds=round(seconds, 1),
        overall=score(outcomes),
        per_kind=_grouped(outcomes, lambda o: o.kind),
        per_split=_grouped(outcomes, _split_of),
        per_intent={
            s: _grouped([o for o in outcomes if _split_of(o) == s], lambda o: o.intent) for s in splits
        },
        outcomes=outcomes,
    )


# --- running -----------------------------------------------------------------------------------

OnResult = Callable[[RequestOutcome], None]


@contextlib.contextmanager
def _working_dir(folder: Path) -> Iterator[Path]:
    """Run in ``folder`` (fresh), so relative paths a request names are written there."""
    shutil.rmtree(folder, ignore_errors=True)
    folder.mkdir(parents=True)
    before = Path.cwd()
    os.chdir(folder)
    try:
        yield folder
    finally:
        os.chdir(before)


def evaluate(
    assistant: Responder,
    requests: Sequence[AgentRequest],
    truth: TruthSource,
    *,
    backend: str = "local",
    on_result: OnResult | None = None,
) -> BackendRun:
    """Run every request through ``assistant`` (a fresh session each, earlier turns first) and score it."""
    session_type = _agent("session").Session
    runs_dir = assistant.workspace.runs_dir.resolve()
    started = time.monotonic()
    models: set[str] = set()
    outcomes: list[RequestOutcome] = []

    def on_event(event: Any) -> None:
        if event.kind == "model" and event.data.get("model"):
            models.add(f"{event.data.get('backend')}:{event.data['model']}")

    for request in requests:
        asked: list[str] = []

        def approve(action: str, answer: bool = request.approve, asked: list[str] = asked) -> bool:
            asked.append(action)
            return answer

        session = session_type.open(runs_dir / "agent-eval")
        with _working_dir(runs_dir / "agent-eval" / "files" / request.id) as folder:
            t0, wall0 = time.monotonic(), time.time()
            error: str | None = None
            try:
                for turn in request.turns:
                    assistant.respond(session, turn, on_event=on_event, approve=approve)
                asked.clear()
                t0, wall0 = time.monotonic(), time.time()
                reply = assistant.respond(session, request.text, on_event=on_event, approve=approve)
                answer, called = str(reply.text), [str(t) for t in reply.tool_calls]
                stop, used, seconds = str(reply.stop_reason), str(reply.backend), float(reply.seconds)
            except Exception as exc:  # noqa: BLE001 - a crash is a failed request, not a failed eval
                error = f"{type(exc).__name__}: {exc}"
                answer, called, stop, used = "", [], "error", ""
                seconds = round(time.monotonic() - t0, 3)
            outcome = judge(
                request,
                called,
                answer,
                truth,
                copy_variants=assistant.copy_variants,
                approvals=asked,
                started=wall0,
                folder=folder,
                seconds=seconds,
                stop_reason=stop,
                backend=used,
                error=error,
            )
        outcomes.append(outcome)
        if on_result is not None:
            on_result(outcome)
    return _run(backend, sorted(models), assistant.copy_variants, time.monotonic() - started, outcomes)


def rescore(run: BackendRun, requests: Sequence[AgentRequest], truth: TruthSource) -> BackendRun:
    """Check a saved run's answers and tool calls again, against ``requests`` as they are now.

    For a fixed fact or checker: the answers stay, the scores are recomputed (no model is run).
    Facts about files are checked against what is on disk now. Requests not in ``run`` are skipped.
    """
    by_id = {r.id: r for r in requests}
    outcomes = [
        judge(
            by_id[o.id],
            o.called,
            o.answer,
            truth,
            copy_variants=run.copy_variants,
            approvals=o.approvals,
            seconds=o.seconds,
            stop_reason=o.stop_reason,
            backend=o.backend,
            error=o.error,
        )
        for o in run.outcomes
        if o.id in by_id
    ]
    return _run(run.backend, run.models, run.copy_variants, run.seconds, outcomes)


def truth_names(requests: Sequence[AgentRequest]) -> list[str]:
    """Every truth the requests' facts need, in first-use order."""
    return list(dict.fromkeys(f.truth for r in requests for f in r.facts if f.truth))


def backends_for(settings: Settings, which: str) -> list[str]:
    """The backends to run: ``auto`` is local, plus the endpoint when one is configured."""
    if which == "auto":
        return ["local", "endpoint"] if settings.llm_base_url else ["local"]
    if which == "endpoint" and not settings.llm_base_url:
        from data.errors import ConfigError

        raise ConfigError("no endpoint is configured: set MKT_LLM_BASE_URL (and MKT_LLM_MODEL)")
    return [which]


class AgentEvalReport(BaseModel):
    """Every backend run of the agent eval, with the workspace it ran on."""

    date: str
    workspace: str
    n_customers: int
    requests: str = Field(default="", description="The request set: v2, v1 or a file.")
    split: str = Field(default="all", description="The split that ran: dev, test or all.")
    truths: dict[str, Value] = Field(default_factory=dict, description="The right values the facts used.")
    runs: list[BackendRun]


def run(
    settings: Settings,
    workspace: Workspace,
    requests: Sequence[AgentRequest],
    *,
    backends: Sequence[str] = ("local",),
    copy_variants: int = 0,
    model: Any = None,
    max_seconds: float | None = None,
    on_result: OnResult | None = None,
) -> AgentEvalReport:
    """Compute the truths, then run the requests once per backend.

    ``local`` uses the packaged local model (the endpoint setting removed); ``endpoint`` uses the
    configured endpoint with its local fallback, as users get it. ``model`` overrides both (tests).
    ``max_seconds`` caps each turn of the tool-calling loop.
    """
    assistant_type = _agent("assistant").Assistant
    home = workspace.home.resolve()  # the eval runs each request in a folder of its own
    settings = settings.model_copy(update={"home": home})
    workspace = type(workspace)(home)
    options: dict[str, Any] = {"model": model, "copy_variants": copy_variants}
    if max_seconds is not None:
        options["limits"] = _agent("loop").Limits(max_seconds=max_seconds)
    truth = WorkspaceTruth(settings, workspace)
    truths = {name: truth.value(name) for name in truth_names(requests)}
    runs: list[BackendRun] = []
    for backend in backends:
        chosen = settings if backend == "endpoint" else settings.model_copy(update={"llm_base_url": None})
        assistant = assistant_type(chosen, workspace, **options)
        runs.append(evaluate(assistant, requests, truth, backend=backend, on_result=on_result))
    return AgentEvalReport(
        date=datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC"),
        workspace=str(workspace.home),
        n_customers=int(float(truth.value("customers"))),
        truths=truths,
        runs=runs,
    )


# --- tables ------------------------------------------------------------------------------------

_HEADER = (
    "| backend | {group} | n | tool-call rate | tool precision | tool recall | facts | fact rate "
    "| all facts | passed | mean s |\n|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|"
)


def _row(backend: str, name: str, s: Scores) -> str:
    return (
        f"| {backend} | {name} | {s.n} | {s.tool_accuracy:.0%} | {s.tool_precision:.0%} | "
        f"{s.tool_recall:.0%} | {s.n_facts} | {s.fact_accuracy:.0%} | {s.all_facts:.0%} | "
        f"{s.passed:.0%} | {s.mean_seconds:.1f} |"
    )


def markdown_table(report: AgentEvalReport) -> str:
    """The rates as a Markdown table: one row per backend and kind, then all."""
    lines = [_HEADER.format(group="kind")]
    for r in report.runs:
        lines += [_row(r.backend, kind, s) for kind, s in [*r.per_kind.items(), ("all", r.overall)]]
    return "\n".join(lines)


def intent_table(report: AgentEvalReport) -> str:
    """Per split, one row per intent and a row for the whole split, as Markdown tables."""
    blocks: list[str] = []
    for r in report.runs:
        for split, intents in r.per_intent.items():
            lines = [f"**{r.backend}, split {split}**", "", _HEADER.format(group="intent")]
            lines += [_row(r.backend, intent, s) for intent, s in intents.items()]
            lines.append(_row(r.backend, f"**all {split}**", r.per_split[split]))
            blocks.append("\n".join(lines))
    return "\n\n".join(blocks)
