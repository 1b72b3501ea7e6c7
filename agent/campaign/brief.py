"""The campaign brief: what the assistant answers a campaign request with, in one typed model."""

from __future__ import annotations

from pydantic import BaseModel, Field

from tools.audience.models import AudienceSummary, FairnessReport
from tools.budget import BudgetOption
from tools.campaign_roi import RoiForecast
from tools.channel.models import ChannelPlan
from tools.control import ControlGroup

__all__ = [
    "AudienceSummary",
    "CampaignBrief",
    "ChannelPlan",
    "CopyCheck",
    "CopyVariant",
    "RoiForecast",
    "StepTiming",
]


class StepTiming(BaseModel):
    """One step of the plan, as it ran."""

    step: str
    seconds: float
    detail: str = ""
    ok: bool = True


class CopyCheck(BaseModel):
    """One guardrail check of one copy variant."""

    name: str
    passed: bool
    hard: bool = Field(default=True, description="A failed hard check fails the variant; a soft one warns.")
    score: float | None = None
    reason: str = ""
    skipped: bool = Field(default=False, description="The check could not run here (shown as 'not run').")

    def verdict(self) -> str:
        """``passed``, ``failed``, ``warns`` or ``not run``."""
        if self.skipped:
            return "not run"
        if self.passed:
            return "passed"
        return "failed" if self.hard else "warns"


class CopyVariant(BaseModel):
    """A copy variant for one channel and its check results."""

    channel: str
    parts: dict[str, str]
    passed: bool
    checks: list[CopyCheck] = Field(default_factory=list)
    facts_used: list[str] = Field(default_factory=list)
    model: str = ""
    backend: str = ""
    origin: str = Field(
        default="", description="Which lines are the brand's templates (empty: all model-written)."
    )


class CampaignBrief(BaseModel):
    """Everything a marketer needs to approve a campaign."""

    request: str
    goal: str
    offer: dict[str, str] = Field(default_factory=dict)
    audience: AudienceSummary
    channels: list[ChannelPlan]
    roi: RoiForecast
    control: ControlGroup | None = Field(default=None, description="The randomised holdout (not sent to).")
    fairness: FairnessReport | None = Field(
        default=None, description="The audience's make-up on sensitive attributes (none in the data: None)."
    )
    budget_options: list[BudgetOption] = Field(
        default_factory=list,
        description="What the budget the plan leaves would buy: size, cost, return each.",
    )
    copy_variants: list[CopyVariant] = Field(default_factory=list)
    context_sources: list[str] = Field(default_factory=list)
    steps: list[StepTiming] = Field(default_factory=list)
    plots: list[str] = Field(default_factory=list)
    backend: str = ""
    engine: str = Field(default="duckdb", description="Engine of the customer analytics: duckdb or spark.")
    currency: str = "USD"
    notes: list[str] = Field(default_factory=list)

    def summary(self) -> str:
        """A few lines for chat, Slack and the agent trace."""
        sent = [c for c in self.channels if c.recipients > 0]
        lines = [
            f"Campaign: {self.goal}. Audience: {self.audience.summary()}.",
            "Channels: " + ("; ".join(f"{c.channel} to {c.recipients:,}" for c in sent) or "none pays"),
            f"Forecast ({self.currency}): {self.roi.summary()}.",
        ]
        if self.copy_variants:
            passed = sum(v.passed for v in self.copy_variants)
            lines.append(f"Copy: {len(self.copy_variants)} variants, {passed} passed every hard check.")
        return "\n".join(lines)

    @property
    def paying_options(self) -> list[BudgetOption]:
        """The budget options that send to someone and return more than they cost."""
        return [o for o in self.budget_options if o.recipients > 0 and o.expected_incremental_return > 0]

    @property
    def idle_options(self) -> list[BudgetOption]:
        """The options checked that would send nothing, or lose money (listed in one line)."""
        return [o for o in self.budget_options if o not in self.paying_options]

    def idle_options_line(self) -> str:
        """One line naming the options that were checked and do not pay."""
        return "Also checked, nothing there pays: " + "; ".join(o.option for o in self.idle_options) + "."

    def _options_markdown(self) -> list[str]:
        out: list[str] = []
        if self.paying_options:
            out += [
                "### What the rest of the budget would buy",
                "| option | customers | sends | cost | extra conversions | expected incremental return |",
                "|---|---:|---:|---:|---:|---:|",
                *[
                    f"| {o.option} | {o.audience_size:,} | {o.recipients:,} | {o.cost:,.2f} | "
                    f"{o.expected_incremental_conversions:,.1f} | {o.expected_incremental_return:+,.2f} |"
                    for o in self.paying_options
                ],
                "",
            ]
        if self.idle_options:
            out += [self.idle_options_line(), ""]
        return out

    def to_markdown(self) -> str:
        """The brief as Markdown: what the terminal prints and what ``mkt ask`` answers."""
        a, cur = self.audience, self.currency
        out = [f"## Campaign brief: {self.goal}", "", f"> {self.request}", ""]
        if self.offer:
            out += ["**Offer:** " + ", ".join(f"{k} {v}" for k, v in self.offer.items()), ""]
        out += [
            "### Audience",
            f"{a.size:,} {a.description}.",
            f"CLV (12 months): total {a.total_clv:,.2f} {cur}, mean {a.mean_clv:,.2f} {cur}; "
            f"mean spend to date {a.mean_spend:,.2f} {cur}"
            + (f"; mean P(churn) {a.mean_churn_risk:.0%}" if a.mean_churn_risk else "")
            + ".",
            "Reachable: " + ", ".join(f"{k} {v:,}" for k, v in a.reachable.items()) + ".",
        ]
        if a.segments:
            out.append("Segments: " + ", ".join(f"{k} {v:,}" for k, v in a.segments.items()) + ".")
        out += [
            "",
            "### Channels",
            "| channel | recipients | P(convert) [90%] | cost/send | return/send | why |",
            "|---|---:|---:|---:|---:|---|",
        ]
        for c in self.channels:
            low, high = c.conversion_interval
            out.append(
                f"| {c.channel} | {c.recipients:,} of {c.reachable:,} | {c.conversion_rate:.2%} "
                f"[{low:.1%}-{high:.1%}] | {c.cost_per_message:,.3f} | {c.expected_value_per_message:,.3f} | "
                f"{c.reason} |"
            )
        r = self.roi
        out += ["", "### Incremental ROI forecast", f"{r.summary()} ({cur}).", ""]
        out += [
            f"- would buy anyway: {r.baseline_conversions:,.1f}"
            + (f" ({r.baseline.summary()})" if r.baseline else ""),
            f"- incremental margin {r.incremental_margin:,.2f}, discount cost {r.discount_cost:,.2f} (every "
            f"redemption), cost {r.cost:,.2f} (sends {r.send_cost:,.2f} + fixed {r.fixed_cost:,.2f})",
            f"- returns are {r.value_basis}",
            "",
        ]
        if self.control is not None:
            out += ["### Control group", self.control.summary() + ".", ""]
        out += _fairness_markdown(self.fairness)
        out += self._options_markdown()
        if self.copy_variants:
            out.append("### Copy")
            for channel in dict.fromkeys(v.channel for v in self.copy_variants):
                if not any(v.passed for v in self.copy_variants if v.channel == channel):
                    out += [f"**No sendable {channel} copy**: no variant passed every check; the best "
                            "attempt is shown with its failed checks. Do not send it.", ""]  # fmt: skip
            for i, v in enumerate(self.copy_variants, 1):
                verdict = "sendable: passed every hard check" if v.passed else "NOT SENDABLE: failed a check"
                out.append(f"**{v.channel} variant {i}** ({verdict})" + (f"; {v.origin}" if v.origin else ""))
                out += ["", *[_quote(part, text) for part, text in v.parts.items() if text], ""]
                out.append("| check | verdict | reason |")
                out.append("|---|---|---|")
                out += [f"| {c.name} | {c.verdict()} | {c.reason.replace('|', '/')} |" for c in v.checks]
                out.append("")
        if self.notes:
            out += ["### Notes", *[f"- {n}" for n in self.notes], ""]
        if self.steps:
            total = sum(s.seconds for s in self.steps)
            out += ["### Steps", "| step | seconds | detail |", "|---|---:|---|"]
            out += [
                f"| {s.step}{'' if s.ok else ' (failed)'} | {s.seconds:.1f} | {s.detail} |"
                for s in self.steps
            ]
            out += [
                f"| total | {total:.1f} | backend {self.backend or 'n/a'}, analytics on {self.engine} |",
                "",
            ]
        return "\n".join(out)


def _quote(part: str, text: str) -> str:
    """A copy part as a Markdown quote that keeps its line breaks."""
    lines = text.split("\n")
    return "\n".join([f"> **{part}**: {lines[0]}", *[f"> {line}" if line else ">" for line in lines[1:]]])


def _fairness_markdown(report: FairnessReport | None) -> list[str]:
    """The Fair targeting section: the make-up line, then the groups (only the flagged ones if many)."""
    if report is None:
        return []
    line = f"Against the base on {', '.join(report.attributes)}: {report.summary()}."
    out = ["### Fair targeting", line + "".join(f" {n}" for n in report.notes), ""]
    shown = report.groups if len(report.groups) <= 12 else report.flagged
    if shown:
        out += ["| attribute | group | base | audience | selection vs base |", "|---|---|---:|---:|---:|"]
        out += [
            f"| {g.attribute} | {g.group} | {g.base_share:.1%} | {g.audience_share:.1%} | "
            f"{g.impact_ratio:.2f}{' (below 4/5)' if g.flagged else ''} |"
            for g in shown
        ]
        out.append("")
    return out
