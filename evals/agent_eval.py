"""Agent accuracy: does the assistant call the right tools, and does its answer carry the facts?

The labelled set (``evals/agent_requests.yaml``) holds campaign requests (answered by the campaign
planner) and questions (answered by the tool-calling loop). Each request lists the ``tools`` it
must call and the ``facts`` its answer must contain. Every request runs through a real
``Assistant`` in a fresh ``Session``; the eval records the tools called, the missing and extra
tools, the facts found and missing, the time, stop reason and backend, and scores:

- tool-selection accuracy: share of requests whose required tools were all called; tool precision
  and recall over (request, tool) pairs;
- answer-fact accuracy: share of facts present in the answers (and the share of requests with all
  of their facts);

overall and per kind (campaign, question), for the local model and, when ``MKT_LLM_BASE_URL`` is
set, for the endpoint.

Facts (one kind per fact, all checked against the reply text with the request itself removed, so
an answer that only echoes the request earns nothing):

- ``text: "15%"``: the string appears (case-insensitive);
- ``any_text: ["STOP", "opt out"]``: at least one of the strings appears;
- ``number_of: customers``: a number in the answer equals the workspace's value, computed by code
  (``TRUTHS``) at the precision the answer shows it (``5,000``, ``123.5``, ``5k``); ``tolerance``
  allows a relative error on top;
- ``name_of: largest_segment``: the name computed by code appears as a word;
- ``channel: sms``: the answer's channel table has a row for the channel (a campaign brief plans it);
- ``not_channel: push``: no such row (a channel the request did not allow).
- ``audience: audience_at_risk``: the brief's Audience section starts with that size (any other
  number in the brief, e.g. the churn step's count of at-risk customers, does not count).

Run it on a prepared workspace (``mkt data generate``, ``mkt knowledge ingest``, ``mkt churn train``)::

    mkt eval agent --copy-variants 0 --json runs/agent_eval.json
"""

from __future__ import annotations

import importlib.resources
import math
import re
import time
from collections.abc import Callable, Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal, Protocol

import yaml
from pydantic import BaseModel, ConfigDict, Field, model_validator

if TYPE_CHECKING:
    from data.settings import Settings
    from data.workspace import Workspace

Kind = Literal["campaign", "question"]
Value = float | str


def _agent(module: str) -> Any:
    """A module of ``agent/``, imported by name.

    ``agent/`` is outside mypy's strict ``files`` (pyproject.toml); a plain import would make mypy
    check it, and report its errors, from here. The eval only needs the few names it uses.
    """
    return importlib.import_module(f"agent.{module}")


class Responder(Protocol):
    """What the eval needs of ``agent.assistant.Assistant``."""

    workspace: Workspace
    copy_variants: int

    def respond(self, session: Any, text: str, *, on_event: Callable[[Any], None] | None = None) -> Any:
        """Answer ``text`` in ``session``; the reply has text, tool_calls, stop_reason, backend, seconds."""
        ...


# --- the labelled requests -------------------------------------------------------------------

TRUTHS: dict[str, str] = {
    "customers": "customers in the customers table",
    "buyers": "customers with at least one transaction",
    "transactions": "rows of the transactions table",
    "revenue": "sum of transaction amounts",
    "consent_email": "customers who consent to email",
    "consent_sms": "customers who consent to SMS",
    "consent_push": "customers who consent to push",
    "high_churn_risk": "customers with P(churn) >= 0.5 (score_churn, method auto)",
    "mean_clv": "mean 12-month CLV (calculate_clv, probabilistic)",
    "segments": "number of RFM segments (segment_customers, k chosen)",
    "largest_segment": "name of the largest RFM segment",
    "audience_any": "size of the audience with no filter",
    "audience_at_risk": "size of the at-risk audience",
    "audience_high_value": "size of the high-value audience",
    "audience_at_risk_high_value": "size of the at-risk, high-value audience",
    "abtest_winner": "'variant X' when the A/B test of campaign <id> has a winner, else 'no clear winner'"
    " (abtest_winner:C004)",
}


NAME_TRUTHS = frozenset({"largest_segment", "abtest_winner"})


def truth_known(name: str, *, names: bool = False) -> bool:
    """Whether ``name`` (``customers``, ``abtest_winner:C004``) is a known truth of the right type.

    A name when ``names``, else a number.
    """
    base, _, arg = name.partition(":")
    return base in TRUTHS and (bool(arg) == (base == "abtest_winner")) and (base in NAME_TRUTHS) == names


class Fact(BaseModel):
    """Something the answer must contain; exactly one kind is set."""

    model_config = ConfigDict(extra="forbid")

    text: str | None = Field(default=None, min_length=1, description="A literal string.")
    any_text: list[str] | None = Field(default=None, min_length=1, description="One of these strings.")
    number_of: str | None = Field(default=None, description="A number computed from the workspace.")
    name_of: str | None = Field(default=None, description="A name computed from the workspace.")
    channel: str | None = Field(default=None, description="A channel row in the brief's table.")
    not_channel: str | None = Field(default=None, description="No row for this channel.")
    audience: str | None = Field(default=None, description="The brief's audience size (audience_* truth).")
    tolerance: float = Field(default=0.0, ge=0.0, lt=1.0, description="Relative error allowed (numbers).")

    @model_validator(mode="after")
    def _one_kind(self) -> Fact:
        kinds = [k for k in _FACT_KINDS if getattr(self, k) is not None]
        if len(kinds) != 1:
            raise ValueError(f"a fact has exactly one of {', '.join(_FACT_KINDS)}; got {kinds or 'none'}")
        if self.audience is not None and not self.audience.startswith("audience_"):
            raise ValueError(f"audience: {self.audience!r} is not an audience_* truth")
        for name, names in ((self.number_of, False), (self.name_of, True), (self.audience, False)):
            if name is not None and not truth_known(name, names=names):
                kind = "name_of" if names else "number_of"
                raise ValueError(f"{kind}: unknown truth {name!r}; known: {', '.join(TRUTHS)}")
        return self

    def label(self) -> str:
        """The fact as one short line, e.g. ``number_of customers``."""
        kind = next(k for k in _FACT_KINDS if getattr(self, k) is not None)
        value = getattr(self, kind)
        shown = " | ".join(value) if isinstance(value, list) else value
        return f"{kind} {shown}"


_FACT_KINDS = ("text", "any_text", "number_of", "name_of", "channel", "not_channel", "audience")


class AgentRequest(BaseModel):
    """A request, whether it is a campaign or a question, the tools it needs and the facts due."""

    model_config = ConfigDict(extra="forbid")

    id: str = Field(min_length=1)
    kind: Kind
    text: str = Field(min_length=1)
    tools: list[str] = Field(min_length=1, description="Tools that must be called.")
    facts: list[Fact] = Field(min_length=1, description="Facts the answer must contain.")


def load_requests(path: Path | None = None) -> list[AgentRequest]:
    """The labelled requests from ``path`` (default: the packaged ``agent_requests.yaml``)."""
    if path is None:
        text = importlib.resources.files("evals").joinpath("agent_requests.yaml").read_text("utf-8")
    else:
        text = path.read_text(encoding="utf-8")
    raw = yaml.safe_load(text)
    requests = [AgentRequest.model_validate(r) for r in raw["requests"]]
    ids = [r.id for r in requests]
    if len(set(ids)) != len(ids):
        raise ValueError("request ids must be unique")
    return requests


# --- fact checkers -----------------------------------------------------------------------------


class TruthSource(Protocol):
    """Where the right numbers and names come from (the workspace, or a dict in tests)."""

    def value(self, name: str) -> Value:
        """The value of truth ``name``."""
        ...


class FactResult(BaseModel):
    """Whether one fact was found, and what was expected."""

    fact: str
    found: bool
    expected: str = ""


_NUMBER = re.compile(r"(?<![\w.])(\d{1,3}(?:,\d{3})+|\d+)(?:\.(\d+))?(\s?[kK]\b)?")


def numbers_in(text: str) -> list[tuple[float, float]]:
    """Every number in ``text`` with the rounding its form implies.

    ``5,000`` -> (5000, 0.5), ``12.34`` -> (12.34, 0.005), ``5k`` -> (5000, 500). Digits inside
    words (ids such as CU0000042) are skipped.
    """
    found: list[tuple[float, float]] = []
    for m in _NUMBER.finditer(text):
        whole, decimals, k = m.group(1), m.group(2) or "", m.group(3)
        value = float(whole.replace(",", "") + ("." + decimals if decimals else ""))
        step = 0.5 * 10.0 ** -len(decimals)
        if k:
            value, step = value * 1000, step * 1000
        found.append((value, step))
    return found


def has_number(text: str, truth: float, tolerance: float = 0.0) -> bool:
    """Whether ``text`` states ``truth`` at the precision it shows (plus ``tolerance``, relative)."""
    if math.isnan(truth):
        return False
    return any(abs(value - truth) <= max(step, tolerance * abs(truth)) for value, step in numbers_in(text))


def _words(text: str) -> str:
    return re.sub(r"[\s_-]+", " ", text.lower())


def has_name(text: str, name: str) -> bool:
    """Whether ``name`` appears as whole words (case, '_', '-' and spacing ignored)."""
    return re.search(rf"(?<!\w){re.escape(_words(name))}(?!\w)", _words(text)) is not None


def has_channel_row(text: str, channel: str) -> bool:
    """Whether a Markdown table row starts with ``channel`` (the brief's channel table)."""
    return re.search(rf"^\|\s*{re.escape(channel)}\s*\|", text, re.I | re.M) is not None


_AUDIENCE_SIZE = re.compile(r"^#+\s*Audience\s*\n+\s*(\d[\d,]*)", re.I | re.M)


def audience_size(text: str) -> int | None:
    """The size the brief's Audience section starts with (``### Audience`` then ``2,198 customers ...``)."""
    m = _AUDIENCE_SIZE.search(text)
    return int(m.group(1).replace(",", "")) if m else None


def without_request(answer: str, request: str) -> str:
    """The answer with every verbatim copy of the request removed (the brief quotes it)."""
    return answer.replace(request, " ")


def check_fact(fact: Fact, answer: str, truth: TruthSource) -> FactResult:
    """Check one fact against an answer (the request already removed from it)."""
    label = fact.label()
    if fact.text is not None:
        return FactResult(fact=label, found=fact.text.lower() in answer.lower(), expected=fact.text)
    if fact.any_text is not None:
        found = any(t.lower() in answer.lower() for t in fact.any_text)
        return FactResult(fact=label, found=found, expected=" or ".join(fact.any_text))
    if fact.channel is not None:
        return FactResult(fact=label, found=has_channel_row(answer, fact.channel), expected=fact.channel)
    if fact.not_channel is not None:
        found = not has_channel_row(answer, fact.not_channel)
        return FactResult(fact=label, found=found, expected=f"no {fact.not_channel} row")
    if fact.audience is not None:
        expected = float(truth.value(fact.audience))
        size = audience_size(answer)
        return FactResult(fact=label, found=size is not None and size == expected, expected=f"{expected:g}")
    name = fact.number_of or fact.name_of
    assert name is not None
    value = truth.value(name)
    if fact.number_of is not None:
        number = float(value)
        return FactResult(
            fact=label, found=has_number(answer, number, fact.tolerance), expected=f"{number:g}"
        )
    return FactResult(fact=label, found=has_name(answer, str(value)), expected=str(value))


# --- truth from the workspace ------------------------------------------------------------------


class WorkspaceTruth:
    """The right values, computed by code from the workspace (cached; each tool runs at most once)."""

    def __init__(self, settings: Settings, workspace: Workspace) -> None:
        self.settings = settings
        self.workspace = workspace
        self._cache: dict[str, Value] = {}
        self._context: Any = None

    def value(self, name: str) -> Value:
        """The value of truth ``name`` (see ``TRUTHS``)."""
        if name not in self._cache:
            self._cache[name] = self._compute(name)
        return self._cache[name]

    def _ctx(self) -> Any:
        if self._context is None:
            toolbox = _agent("toolbox")
            self._context = toolbox.ToolContext(settings=self.settings, workspace=self.workspace)
        return self._context

    def _sql(self, query: str) -> float:
        with self.workspace.connect(read_only=True) as con:
            row = con.execute(query).fetchone()
        return float(row[0] or 0) if row else 0.0

    def _compute(self, name: str) -> Value:
        c = _agent("catalog")
        base, _, arg = name.partition(":")
        simple = {
            "customers": "SELECT count(*) FROM customers",
            "buyers": "SELECT count(DISTINCT customer_id) FROM transactions",
            "transactions": "SELECT count(*) FROM transactions",
            "revenue": "SELECT round(sum(amount), 2) FROM transactions",
            "consent_email": "SELECT count_if(consent_email) FROM customers",
            "consent_sms": "SELECT count_if(consent_sms) FROM customers",
            "consent_push": "SELECT count_if(consent_push) FROM customers",
        }
        if base in simple:
            return self._sql(simple[base])
        ctx = self._ctx()
        if base == "high_churn_risk":
            churn = c.churn.run(c.ChurnArgs(), ctx)
            assert isinstance(churn, c.ChurnOverview)
            return float(churn.high_risk)
        if base == "mean_clv":
            clv = c.clv.run(c.ClvArgs(), ctx)
            assert isinstance(clv, c.ClvOverview)
            return float(clv.mean_clv)
        if base in ("segments", "largest_segment"):
            seg = c.segment.run(c.SegmentArgs(), ctx)
            assert isinstance(seg, c.SegmentOverview)
            if base == "segments":
                return float(seg.k)
            return str(max(seg.segments, key=lambda s: s.size).segment)
        if base.startswith("audience_"):
            risk = "at_risk" if "at_risk" in base else "any"
            value = "high_value" if "high_value" in base else "any"
            chosen = c.audience.run(c.AudienceArgs(risk=risk, value=value), ctx)
            assert isinstance(chosen, c.AudienceSummary)
            return float(chosen.size)
        if base == "abtest_winner":
            from tools.abtest.models import AbTestParams

            readout = c.abtest.run(AbTestParams(campaign_id=arg), ctx)
            assert isinstance(readout, c.AbTestReadout)
            return f"variant {readout.winner}" if readout.winner else "no clear winner"
        raise KeyError(f"unknown truth {name!r}")


# --- running and scoring -----------------------------------------------------------------------


class RequestOutcome(BaseModel):
    """What happened to one request."""

    id: str
    kind: Kind
    text: str
    required: list[str]
    called: list[str] = Field(description="Tools called, in order (repeats kept).")
    missing: list[str]
    extra: list[str]
    tools_ok: bool
    facts: list[FactResult]
    seconds: float
    stop_reason: str
    backend: str
    answer: str
    error: str | None = None

    @property
    def facts_found(self) -> int:
        """How many facts the answer had."""
        return sum(f.found for f in self.facts)

    @property
    def passed(self) -> bool:
        """Right tools and every fact."""
        return self.tools_ok and self.facts_found == len(self.facts)


class Scores(BaseModel):
    """Accuracies over a set of requests."""

    n: int
    tool_accuracy: float = Field(description="Share of requests whose required tools were all called.")
    tool_precision: float = Field(description="Required tools called / distinct tools called.")
    tool_recall: float = Field(description="Required tools called / required tools.")
    n_facts: int
    fact_accuracy: float = Field(description="Share of facts present in the answers.")
    all_facts: float = Field(description="Share of requests with every fact present.")
    passed: float = Field(description="Share of requests with the right tools and every fact.")
    mean_seconds: float


def score(outcomes: Sequence[RequestOutcome]) -> Scores:
    """Accuracies over ``outcomes`` (zeros when empty)."""
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


class BackendRun(BaseModel):
    """One pass over the requests with one backend."""

    backend: str = Field(description="'local' or 'endpoint' (as asked for).")
    models: list[str] = Field(description="Model names that answered, from the model events.")
    copy_variants: int
    seconds: float
    overall: Scores
    per_kind: dict[str, Scores]
    outcomes: list[RequestOutcome]


class AgentEvalReport(BaseModel):
    """Every backend run of the agent eval, with the workspace it ran on."""

    date: str
    workspace: str
    n_customers: int
    truths: dict[str, Value] = Field(default_factory=dict, description="The right values the facts used.")
    runs: list[BackendRun]


OnResult = Callable[[RequestOutcome], None]


def evaluate(
    assistant: Responder,
    requests: Sequence[AgentRequest],
    truth: TruthSource,
    *,
    backend: str = "local",
    on_result: OnResult | None = None,
) -> BackendRun:
    """Run every request through ``assistant`` (a fresh session each) and score the replies."""
    session_type = _agent("session").Session
    started = time.monotonic()
    models: set[str] = set()
    outcomes: list[RequestOutcome] = []

    def on_event(event: Any) -> None:
        if event.kind == "model" and event.data.get("model"):
            models.add(f"{event.data.get('backend')}:{event.data['model']}")

    for request in requests:
        session = session_type.open(assistant.workspace.runs_dir / "agent-eval")
        t0 = time.monotonic()
        error: str | None = None
        try:
            reply = assistant.respond(session, request.text, on_event=on_event)
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
            seconds=seconds,
            stop_reason=stop,
            backend=used,
            error=error,
        )
        outcomes.append(outcome)
        if on_result is not None:
            on_result(outcome)
    return _run(backend, sorted(models), assistant.copy_variants, time.monotonic() - started, outcomes)


def judge(
    request: AgentRequest,
    called: list[str],
    answer: str,
    truth: TruthSource,
    *,
    copy_variants: int = 0,
    seconds: float = 0.0,
    stop_reason: str = "",
    backend: str = "",
    error: str | None = None,
) -> RequestOutcome:
    """Score one reply: required tools (``write_copy`` too for campaigns with copy) and facts."""
    required = list(dict.fromkeys(request.tools))
    if request.kind == "campaign" and copy_variants > 0 and "write_copy" not in required:
        required.append("write_copy")  # the planner writes copy per channel when asked to
    checked = without_request(answer, request.text)
    return RequestOutcome(
        id=request.id,
        kind=request.kind,
        text=request.text,
        required=required,
        called=called,
        missing=[t for t in required if t not in called],
        extra=sorted(set(called) - set(required)),
        tools_ok=all(t in called for t in required),
        facts=[check_fact(f, checked, truth) for f in request.facts],
        seconds=seconds,
        stop_reason=stop_reason,
        backend=backend,
        answer=answer,
        error=error,
    )


def _run(
    backend: str, models: list[str], copy_variants: int, seconds: float, outcomes: list[RequestOutcome]
) -> BackendRun:
    kinds = sorted({o.kind for o in outcomes})
    return BackendRun(
        backend=backend,
        models=models,
        copy_variants=copy_variants,
        seconds=round(seconds, 1),
        overall=score(outcomes),
        per_kind={k: score([o for o in outcomes if o.kind == k]) for k in kinds},
        outcomes=outcomes,
    )


def rescore(run: BackendRun, requests: Sequence[AgentRequest], truth: TruthSource) -> BackendRun:
    """Check a saved run's answers and tool calls again, against ``requests`` as they are now.

    For a fixed fact or checker: the answers stay, the scores are recomputed (no model is run).
    Requests not in ``run`` are skipped.
    """
    by_id = {r.id: r for r in requests}
    outcomes = [
        judge(
            by_id[o.id],
            o.called,
            o.answer,
            truth,
            copy_variants=run.copy_variants,
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
    names = [f.number_of or f.name_of or f.audience for r in requests for f in r.facts]
    return list(dict.fromkeys(n for n in names if n))


def backends_for(settings: Settings, which: str) -> list[str]:
    """The backends to run: ``auto`` is local, plus the endpoint when one is configured."""
    if which == "auto":
        return ["local", "endpoint"] if settings.llm_base_url else ["local"]
    if which == "endpoint" and not settings.llm_base_url:
        from data.errors import ConfigError

        raise ConfigError("no endpoint is configured: set MKT_LLM_BASE_URL (and MKT_LLM_MODEL)")
    return [which]


def run(
    settings: Settings,
    workspace: Workspace,
    requests: Sequence[AgentRequest],
    *,
    backends: Sequence[str] = ("local",),
    copy_variants: int = 0,
    model: Any = None,
    on_result: OnResult | None = None,
) -> AgentEvalReport:
    """Compute the truths, then run the requests once per backend.

    ``local`` uses the packaged local model (the endpoint setting removed); ``endpoint`` uses the
    configured endpoint with its local fallback, as users get it. ``model`` overrides both (tests).
    """
    assistant_type = _agent("assistant").Assistant
    truth = WorkspaceTruth(settings, workspace)
    truths = {name: truth.value(name) for name in truth_names(requests)}
    runs: list[BackendRun] = []
    for backend in backends:
        chosen = settings if backend == "endpoint" else settings.model_copy(update={"llm_base_url": None})
        assistant = assistant_type(chosen, workspace, model=model, copy_variants=copy_variants)
        runs.append(evaluate(assistant, requests, truth, backend=backend, on_result=on_result))
    return AgentEvalReport(
        date=datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC"),
        workspace=str(workspace.home),
        n_customers=int(float(truth.value("customers"))),
        truths=truths,
        runs=runs,
    )


def markdown_table(report: AgentEvalReport) -> str:
    """The accuracies as a Markdown table: one row per backend and kind."""
    lines = [
        "| backend | kind | n | tool accuracy | tool precision | tool recall | facts | fact accuracy "
        "| all facts | passed | mean s |",
        "|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for r in report.runs:
        for kind, s in [*r.per_kind.items(), ("all", r.overall)]:
            lines.append(
                f"| {r.backend} | {kind} | {s.n} | {s.tool_accuracy:.0%} | {s.tool_precision:.0%} | "
                f"{s.tool_recall:.0%} | {s.n_facts} | {s.fact_accuracy:.0%} | {s.all_facts:.0%} | "
                f"{s.passed:.0%} | {s.mean_seconds:.1f} |"
            )
    return "\n".join(lines)
