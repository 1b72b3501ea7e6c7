"""The labelled requests of the agent eval: facts, requests, the dev/test split and the packaged sets.

Five packaged sets: ``v2`` (``agent_requests_v2.yaml``, issue 14: marketers' phrasings, intents,
follow-ups, approvals, a fixed dev/test split), ``v3`` (``agent_requests_v3.yaml``: the same
intents and format, written independently of the agent's parsing, never tuned on before its dev
split), ``v4`` (``agent_requests_v4.yaml``: a fresh blind set of the same intents and format, its
split drawn with seed 41), ``v5`` (``agent_requests_v5.yaml``: another fresh blind set, seed 42)
and ``v1`` (the first 32 requests, tuned on, as split ``dev``, plus the 8
of ``agent_requests_holdout.yaml`` as split ``test``), kept as a regression set. The format is
described at the top of ``agent_requests_v2.yaml``.
"""

from __future__ import annotations

import importlib.resources
import random
from collections import defaultdict
from collections.abc import Sequence
from pathlib import Path
from typing import Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, model_validator

Kind = Literal["campaign", "question"]
Split = Literal["dev", "test"]
Channel = Literal["email", "sms", "push", "social", "ads"]
SPLIT_SEED = 14
# The seed each packaged set's split was drawn with (``assign_splits(requests, seed)``).
SPLIT_SEEDS: dict[str, int] = {"v2": SPLIT_SEED, "v3": SPLIT_SEED, "v4": 41, "v5": 42}

# Truths: base name -> (what it is, "number" or "name", argument: "none" | "required" | "optional").
# A truth with an argument is written ``base:arg`` (``customer_clv:CU0000042``).
TRUTHS: dict[str, tuple[str, str, str]] = {
    "customers": ("customers in the customers table", "number", "none"),
    "buyers": ("customers with at least one transaction", "number", "none"),
    "transactions": ("rows of the transactions table", "number", "none"),
    "revenue": ("sum of transaction amounts", "number", "none"),
    "consent_email": ("customers who consent to email", "number", "none"),
    "consent_sms": ("customers who consent to SMS", "number", "none"),
    "consent_push": ("customers who consent to push", "number", "none"),
    "high_churn_risk": ("customers with P(churn) >= 0.5 (method auto)", "number", "none"),
    "high_churn_risk_share": ("share of customers with P(churn) >= 0.5", "number", "none"),
    "customer_churn": ("P(churn) of customer <id>", "number", "required"),
    "mean_clv": ("mean 12-month CLV (probabilistic)", "number", "none"),
    "median_clv": ("median 12-month CLV", "number", "none"),
    "total_clv": ("total 12-month CLV of the base", "number", "none"),
    "customer_clv": ("12-month CLV of customer <id>", "number", "required"),
    "customer_orders": ("transactions of customer <id>", "number", "required"),
    "customer_spend": ("total spend of customer <id>", "number", "required"),
    "segments": ("number of RFM segments (k chosen)", "number", "none"),
    "segment_size": ("customers in RFM segment <name>", "number", "required"),
    "largest_segment": ("name of the largest RFM segment", "name", "none"),
    "audience_any": ("size of the audience with no filter", "number", "none"),
    "audience_at_risk": ("size of the at-risk audience (P(churn) >= 0.5)", "number", "none"),
    "audience_high_value": ("size of the high-value audience (top 20% by spend)", "number", "none"),
    "audience_at_risk_high_value": ("size of the at-risk, high-value audience", "number", "none"),
    "audience_segment": ("size of the audience of RFM segment <name>", "number", "required"),
    "audience_reach": ("audience <any|at_risk|high_value|...>:<channel> reachable", "number", "required"),
    "best_channel": ("highest expected value per message for [audience[:ch+ch]]", "name", "optional"),
    "abtest_winner": ("'variant X' or 'no clear winner', A/B test of campaign <id>", "name", "required"),
    "feedback_texts": ("feedback texts analysed", "number", "none"),
    "feedback_negative_share": ("share of feedback texts classified negative", "number", "none"),
    "top_complaint_theme": ("the top theme of negative feedback", "name", "none"),
    "top_praise_theme": ("the top theme of positive feedback", "name", "none"),
    "fastest_category": ("category with the highest revenue growth % per week", "name", "none"),
    "next_product": ("name of the top next-product recommendation for customer <id>", "name", "required"),
    "segment_offer": ("name of the top offer candidate of RFM segment <name>", "name", "required"),
}


def truth_known(name: str, *, names: bool = False) -> bool:
    """Whether ``name`` (``customers``, ``abtest_winner:C004``) is a known truth of the right type.

    A name when ``names``, else a number; the argument must be given where one is required.
    """
    base, sep, arg = name.partition(":")
    if base not in TRUTHS:
        return False
    _, kind, takes = TRUTHS[base]
    has_arg = bool(sep and arg)
    if (takes == "required" and not has_arg) or (takes == "none" and sep):
        return False
    return (kind == "name") == names


class Fact(BaseModel):
    """Something the last reply must (or must not) contain; exactly one kind is set."""

    model_config = ConfigDict(extra="forbid")

    text: str | None = Field(default=None, min_length=1, description="A literal string.")
    any_text: list[str] | None = Field(default=None, min_length=1, description="One of these strings.")
    no_text: str | None = Field(default=None, min_length=1, description="A string that must not appear.")
    number_of: str | None = Field(default=None, description="A number computed from the workspace.")
    no_number_of: str | None = Field(default=None, description="A number that must not be stated.")
    name_of: str | None = Field(default=None, description="A name computed from the workspace.")
    channel: str | None = Field(default=None, description="A channel row in the brief's table.")
    not_channel: str | None = Field(default=None, description="No row for this channel.")
    audience: str | None = Field(default=None, description="The brief's audience size (audience_* truth).")
    copy_shown: Channel | None = Field(default=None, description="The reply shows copy for this channel.")
    refusal: Literal[True] | None = Field(default=None, description="The reply declines in plain words.")
    no_pii: Literal[True] | None = Field(default=None, description="No email address or phone number.")
    unknown_id: str | None = Field(default=None, description="The reply says this id is unknown.")
    approval_asked: bool | None = Field(default=None, description="An approval was (not) asked.")
    written: Literal[True] | None = Field(default=None, description="A .csv file it names was written.")
    nothing_written: Literal[True] | None = Field(default=None, description="Says nothing was written.")
    tolerance: float = Field(default=0.0, ge=0.0, lt=1.0, description="Relative error allowed (numbers).")
    percent: bool = Field(default=False, description="A share may be written as a percentage (numbers).")

    @model_validator(mode="after")
    def _one_kind(self) -> Fact:
        kinds = [k for k in FACT_KINDS if getattr(self, k) is not None]
        if len(kinds) != 1:
            raise ValueError(f"a fact has exactly one of {', '.join(FACT_KINDS)}; got {kinds or 'none'}")
        if self.audience is not None and not self.audience.startswith("audience_"):
            raise ValueError(f"audience: {self.audience!r} is not an audience_* truth")
        checks = (
            (self.number_of, False),
            (self.no_number_of, False),
            (self.name_of, True),
            (self.audience, False),
        )
        for name, names in checks:
            if name is not None and not truth_known(name, names=names):
                kind = "name_of" if names else "number_of"
                raise ValueError(f"{kind}: unknown truth {name!r}; known: {', '.join(TRUTHS)}")
        return self

    @property
    def kind(self) -> str:
        """The fact's kind, e.g. ``number_of``."""
        return next(k for k in FACT_KINDS if getattr(self, k) is not None)

    @property
    def truth(self) -> str | None:
        """The truth this fact needs, if any."""
        return self.number_of or self.no_number_of or self.name_of or self.audience

    def label(self) -> str:
        """The fact as one short line, e.g. ``number_of customers``."""
        value = getattr(self, self.kind)
        shown = " | ".join(value) if isinstance(value, list) else str(value).lower()
        return f"{self.kind} {shown}"


FACT_KINDS = (
    "text", "any_text", "no_text", "number_of", "no_number_of", "name_of", "channel", "not_channel",
    "audience", "copy_shown", "refusal", "no_pii", "unknown_id", "approval_asked", "written", "nothing_written",
)  # fmt: skip


class AgentRequest(BaseModel):
    """A request: its intent, earlier turns, the tools its last turn needs, the facts due, its split."""

    model_config = ConfigDict(extra="forbid")

    id: str = Field(min_length=1)
    intent: str = Field(default="", description="Per-intent tables; v1 requests use their kind.")
    kind: Kind | None = Field(default=None, description="campaign (the planner) or question; from intent.")
    text: str = Field(min_length=1, description="The last user message; facts are checked on its reply.")
    turns: list[str] = Field(default_factory=list, description="Earlier user messages, same session.")
    tools: list[str] = Field(default_factory=list, description="Tools the last turn must call.")
    forbid_tools: list[str] = Field(default_factory=list, description="Tools the last turn must not call.")
    approve: bool = Field(default=False, description="The answer to every approval asked (yes/no).")
    split: Split | None = Field(default=None, description="dev (tune on it) or test (report it).")
    facts: list[Fact] = Field(min_length=1, description="Facts the last reply must contain.")

    @model_validator(mode="after")
    def _derive(self) -> AgentRequest:
        if not self.intent and self.kind is None:
            raise ValueError(f"{self.id}: a request needs an intent or a kind")
        if self.kind is None:
            self.kind = "campaign" if self.intent == "campaign" else "question"
        if not self.intent:
            self.intent = self.kind
        return self

    @property
    def messages(self) -> list[str]:
        """Every user message of the conversation, the last one last."""
        return [*self.turns, self.text]


def assign_splits(requests: Sequence[AgentRequest], seed: int = SPLIT_SEED) -> dict[str, Split]:
    """The dev/test split by a seeded rule, stratified per intent: id -> split.

    Per intent, the ids sorted, then shuffled with ``random.Random(f"{seed}:{intent}")``; the first
    half (rounded down) is ``dev``, the rest ``test``. The rule sees only ids and intents.
    """
    by_intent: dict[str, list[str]] = defaultdict(list)
    for r in requests:
        by_intent[r.intent].append(r.id)
    splits: dict[str, Split] = {}
    for intent, ids in by_intent.items():
        order = sorted(ids)
        random.Random(f"{seed}:{intent}").shuffle(order)
        half = len(order) // 2
        for position, request_id in enumerate(order):
            splits[request_id] = "dev" if position < half else "test"
    return splits


def _parse(text: str, *, split: Split | None = None) -> list[AgentRequest]:
    raw = yaml.safe_load(text)
    requests = [AgentRequest.model_validate(r) for r in raw["requests"]]
    if split is not None:
        requests = [r.model_copy(update={"split": r.split or split}) for r in requests]
    return requests


def _packaged(name: str) -> str:
    return importlib.resources.files("evals").joinpath(name).read_text("utf-8")


def load_requests(source: str | Path | None = None) -> list[AgentRequest]:
    """The labelled requests: ``"v2"`` (default), ``"v3"``..``"v5"``, ``"v1"`` (32 tuned-on + 8 held out), or a path."""
    if source is None or source == "v2":
        requests = _parse(_packaged("agent_requests_v2.yaml"))
    elif source == "v3":
        requests = _parse(_packaged("agent_requests_v3.yaml"))
    elif source == "v4":
        requests = _parse(_packaged("agent_requests_v4.yaml"))
    elif source == "v5":
        requests = _parse(_packaged("agent_requests_v5.yaml"))
    elif source == "v1":
        requests = _parse(_packaged("agent_requests.yaml"), split="dev")
        requests += _parse(_packaged("agent_requests_holdout.yaml"), split="test")
    else:
        requests = _parse(Path(source).read_text(encoding="utf-8"))
    ids = [r.id for r in requests]
    if len(set(ids)) != len(ids):
        raise ValueError("request ids must be unique")
    return requests


def select(requests: Sequence[AgentRequest], split: str = "all") -> list[AgentRequest]:
    """The requests of ``split`` (dev, test; all keeps every request, with or without a split)."""
    if split not in ("dev", "test", "all"):
        raise ValueError(f"split must be dev, test or all, not {split!r}")
    return [r for r in requests if split == "all" or r.split == split]
