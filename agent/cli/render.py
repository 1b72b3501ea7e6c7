"""Rich rendering shared by ``mkt chat``, ``mkt ask`` and ``mkt demo``: events live, replies, briefs.

``EventPrinter`` is the ``on_event`` callback of ``Assistant.respond``: a spinner line while a
model call, tool or campaign step runs, one line per finished tool call or step with its key
numbers, answer tokens printed as they stream. It is also the turn's approver (``approve``): it
stops the spinner and asks, or approves because of ``--yes``, or refuses when nobody can be asked.
``render_reply`` and ``render_brief`` print the answer itself.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any

from rich import box
from rich.console import Console, Group
from rich.markdown import Markdown
from rich.markup import escape
from rich.panel import Panel
from rich.prompt import Confirm
from rich.status import Status
from rich.table import Table
from rich.text import Text

if TYPE_CHECKING:
    from agent.campaign.brief import CampaignBrief, CopyCheck
    from agent.events import StepEvent
    from agent.reply import Reply

OK = "[green]✓[/]"
FAIL = "[red]✗[/]"
WARN = "[yellow]![/]"


def _money(value: float, currency: str) -> str:
    return f"{value:,.2f} {currency}"


def key_numbers(result: Any, limit: int = 4) -> str:
    """A few top-level numbers of a tool result (``rows=3,000 revenue=1,234.50``), when no headline came."""
    if not isinstance(result, Mapping):
        return ""
    parts: list[str] = []
    for key, value in result.items():
        if isinstance(value, bool) or not isinstance(value, int | float):
            continue
        shown = (
            f"{value:,}" if isinstance(value, int) else f"{value:,.4g}" if abs(value) < 1 else f"{value:,.2f}"
        )
        parts.append(f"{key}={shown}")
        if len(parts) == limit:
            break
    return " ".join(parts)


def _arguments(arguments: Any, width: int = 60) -> str:
    if not arguments:
        return ""
    if isinstance(arguments, Mapping):
        text = ", ".join(f"{k}={json.dumps(v, default=str)}" for k, v in arguments.items())
    else:
        text = str(arguments)
    return text if len(text) <= width else text[: width - 1] + "…"


class EventPrinter:
    """Shows a turn as it runs; pass it as ``on_event`` and its ``approve`` as ``approve``.

    Args:
        console: where everything is printed (``stderr`` when stdout carries JSON).
        yes: approve every side effect, saying so (``--yes``).
        interactive: whether the user can be asked; when not (and not ``yes``) side effects are refused.
        show_tokens: print streamed answer tokens (off when stdout is JSON).
    """

    def __init__(
        self, console: Console, *, yes: bool = False, interactive: bool = True, show_tokens: bool = True
    ) -> None:
        self.console = console
        self.yes = yes
        self.interactive = interactive
        self.show_tokens = show_tokens
        self.streamed = ""
        self.model_calls = 0
        self.tokens = 0
        self.backends: list[str] = []
        self.decisions: dict[str, bool] = {}
        self._running: dict[str, str] = {}
        self._status: Status | None = None

    # -- the spinner -------------------------------------------------------------------------
    def _spin(self, key: str, text: str) -> None:
        self._running[key] = text
        label = " · ".join(self._running.values())
        if self._status is None:
            self._status = self.console.status(label, spinner="dots")
            self._status.start()
        else:
            self._status.update(label)

    def _done(self, key: str) -> None:
        self._running.pop(key, None)
        if self._status is not None:
            if self._running:
                self._status.update(" · ".join(self._running.values()))
            else:
                self.pause()

    def begin(self, text: str = "thinking…") -> None:
        """Show the spinner at the start of a turn (loading the model can take a while)."""
        self._spin("model", text)

    def pause(self) -> None:
        """Stop the spinner (before prompting or printing streamed text)."""
        if self._status is not None:
            self._status.stop()
            self._status = None

    def close(self) -> None:
        """End the turn's display: stop the spinner, end a streamed line."""
        self._running.clear()
        self.pause()
        if self.streamed and not self.streamed.endswith("\n"):
            self.console.print()
            self.streamed += "\n"

    def _line(self, markup: str) -> None:
        self.console.print(markup, highlight=False, soft_wrap=True)

    # -- events ------------------------------------------------------------------------------
    def __call__(self, event: StepEvent) -> None:
        """Display one event."""
        handler = getattr(self, f"_on_{event.kind}", None)
        if handler is not None:
            handler(event.data)

    def _on_model(self, data: Mapping[str, Any]) -> None:
        self.model_calls += 1
        self.tokens += int(data.get("tokens") or 0)
        backend = str(data.get("backend") or "")
        if backend and backend not in self.backends:
            self.backends.append(backend)
        if self.streamed and not self.streamed.endswith("\n"):
            return  # the answer is streaming on this line: a spinner now would erase its start
        self._spin("model", "thinking…")

    def _on_tool_call(self, data: Mapping[str, Any]) -> None:
        self._done("model")
        tool = str(data.get("tool", "?"))
        self._spin(f"tool:{tool}", f"running {escape(tool)}({escape(_arguments(data.get('arguments')))})")

    def _on_tool_result(self, data: Mapping[str, Any]) -> None:
        tool = str(data.get("tool", "?"))
        self._done(f"tool:{tool}")
        if any(key.startswith("step:") for key in self._running):
            return  # inside a campaign step: the step's line carries the same numbers
        headline = data.get("headline") or key_numbers(data.get("result"))
        seconds = float(data.get("seconds") or 0.0)
        tail = f"  {escape(str(headline))}" if headline else ""
        self._line(f"{OK} [bold]{escape(tool)}[/] [dim]{seconds:.2f} s[/]{tail}")

    def _on_tool_error(self, data: Mapping[str, Any]) -> None:
        tool = str(data.get("tool", "?"))
        self._done(f"tool:{tool}")
        self._line(f"{FAIL} [bold]{escape(tool)}[/]: {escape(str(data.get('error', '')))}")

    def _on_invalid(self, _data: Mapping[str, Any]) -> None:
        self._line("[yellow]![/] [dim]the model's reply was not a valid action; asking again[/]")

    def _on_approval(self, data: Mapping[str, Any]) -> None:
        action = str(data.get("action", ""))
        if action not in self.decisions:  # decisions made here were shown when they were made
            verdict = f"{OK} approved" if data.get("approved") else f"{FAIL} refused"
            self._line(f"{verdict}: {escape(action)}")

    def _on_stop(self, data: Mapping[str, Any]) -> None:
        self._done("model")
        self._line(f"[yellow]stopped[/]: {escape(str(data.get('reason', '')))}")

    def _on_answer(self, _data: Mapping[str, Any]) -> None:
        self.close()

    def _on_token(self, data: Mapping[str, Any]) -> None:
        text = str(data.get("text", ""))
        if not self.show_tokens or not text:
            return
        if self._status is not None:
            self._running.clear()
            self.pause()
        self.console.print(text, end="", markup=False, highlight=False, soft_wrap=True)
        self.streamed += text

    def _on_step(self, data: Mapping[str, Any]) -> None:
        step = str(data.get("step", "?"))
        status = data.get("status")
        detail = str(data.get("detail") or "")
        if status == "start":
            self._spin(f"step:{step}", escape(step) + "…")
            return
        self._done(f"step:{step}")
        seconds = float(data.get("seconds") or 0.0)
        mark = OK if status == "done" else FAIL
        self._line(
            f"{mark} {escape(step)} [dim]{seconds:.2f} s[/]" + (f"  {escape(detail)}" if detail else "")
        )

    # -- approval ----------------------------------------------------------------------------
    def approve(self, action: str) -> bool:
        """Ask before a side effect (``approve=`` of ``Assistant.respond``); remembers the decision."""
        self.pause()
        if self.yes:
            self._line(f"{OK} approved by --yes: {escape(action)}")
            decision = True
        elif not self.interactive:
            self._line(f"{FAIL} refused: {escape(action)} (nobody to ask: pass --yes to approve in scripts)")
            decision = False
        else:
            try:
                decision = Confirm.ask(
                    f"[bold yellow]approve?[/] {escape(action)}", console=self.console, default=False
                )
            except EOFError:
                decision = False
            self._line(
                f"{OK} approved: {escape(action)}" if decision else f"{FAIL} refused: {escape(action)}"
            )
        self.decisions[action] = decision
        return decision


def render_reply(console: Console, reply: Reply, printer: EventPrinter | None = None) -> None:
    """Print a reply: its brief (tables) or its text, unless streamed already, then a dim footer."""
    streamed = printer.streamed.strip() if printer is not None else ""
    if reply.brief is not None:
        render_brief(console, reply.brief)
    elif reply.text.strip() and reply.text.strip() != streamed:
        console.print(Markdown(reply.text))
    for plot in reply.plots:
        console.print(f"plot: {escape(plot)}", highlight=False, soft_wrap=True)
    report = getattr(reply, "report", "")  # the HTML report of a brief (newer replies carry one)
    if report:
        console.print(f"report: {escape(report)}", highlight=False, soft_wrap=True)
    footer = [reply.backend or "no model", f"{reply.seconds:.1f} s"]
    if printer is not None and printer.model_calls:
        footer.insert(1, f"{printer.model_calls} model call(s), {printer.tokens:,} tokens")
    if reply.tool_calls:
        footer.append("tools: " + ", ".join(reply.tool_calls))
    if reply.stop_reason and reply.stop_reason != "answered":
        footer.append(reply.stop_reason)
    console.print(Text(" · ".join(footer), style="dim"), soft_wrap=True)


def _table(title: str, columns: Sequence[str], right: Sequence[str] = ()) -> Table:
    table = Table(title=title, title_justify="left", title_style="bold", box=box.SIMPLE_HEAD)
    for name in columns:
        numeric = name in right
        table.add_column(name, justify="right" if numeric else "left", no_wrap=numeric)
    return table


def _facts(title: str) -> Table:
    """A two-column table of labelled values whose labels never wrap away, whatever the width."""
    table = Table(
        title=title, title_justify="left", title_style="bold", box=box.SIMPLE_HEAD, show_header=False
    )
    table.add_column("", no_wrap=True, style="bold", max_width=34)
    table.add_column("", justify="left", overflow="fold", ratio=1)
    return table


def render_brief(console: Console, brief: CampaignBrief) -> None:
    """Print a campaign brief: audience, channels, ROI, copy variants with their checks, step timings."""
    head = [f"[bold]{escape(brief.goal)}[/]", f"[dim]request:[/] {escape(brief.request)}"]
    if brief.offer:
        head.append("[dim]offer:[/] " + escape(", ".join(f"{k}={v}" for k, v in brief.offer.items())))
    console.print(Panel("\n".join(head), title="campaign brief", title_align="left"), highlight=False)
    console.print(_audience_table(brief))
    console.print(_channels_table(brief))
    console.print(_roi_table(brief))
    if brief.control is not None:
        console.print(_control_table(brief))
    if brief.paying_options:
        console.print(_options_table(brief))
    if brief.idle_options:
        console.print(Text(brief.idle_options_line()))
    if brief.copy_variants:
        console.print(_copy_table(brief))
    if brief.steps:
        console.print(_steps_table(brief))
    extra: list[Text] = []
    if brief.context_sources:
        extra.append(Text("sources: " + ", ".join(brief.context_sources), style="dim"))
    extra += [Text(f"plot: {p}") for p in brief.plots]
    extra += [Text(f"note: {n}", style="yellow") for n in brief.notes]
    if brief.backend:
        extra.append(Text(f"backend: {brief.backend}", style="dim"))
    if extra:
        console.print(Group(*extra))


def _audience_table(brief: CampaignBrief) -> Table:
    aud, cur = brief.audience, brief.currency
    table = _facts("Audience")
    table.add_row("who", escape(aud.description))
    table.add_row("customers", f"{aud.size:,}")
    table.add_row("total CLV", _money(aud.total_clv, cur))
    table.add_row("mean CLV", _money(aud.mean_clv, cur))
    if aud.mean_spend:
        table.add_row("mean spend to date", _money(aud.mean_spend, cur))
    if aud.mean_churn_risk:
        table.add_row("mean P(churn)", f"{aud.mean_churn_risk:.0%}")
    if aud.segments:
        table.add_row("segments", ", ".join(f"{escape(k)} {v:,}" for k, v in aud.segments.items()))
    if aud.reachable:
        table.add_row("reachable", ", ".join(f"{escape(k)} {v:,}" for k, v in aud.reachable.items()))
    for note in aud.notes:
        table.add_row("note", f"[yellow]{escape(note)}[/]")
    return table


def _channels_table(brief: CampaignBrief) -> Table:
    numbers = ["sends of reachable", "P(convert) [90%]", "cost/send", "return/send"]
    table = _table("Channels", ["channel", *numbers], right=numbers)
    table.columns[0].no_wrap = True
    for ch in brief.channels:
        low, high = ch.conversion_interval
        table.add_row(
            escape(ch.channel),
            f"{ch.recipients:,} of {ch.reachable:,}",
            f"{ch.conversion_rate:.2%} [{low:.1%}–{high:.1%}]",
            f"{ch.cost_per_message:,.3f}",
            f"{ch.expected_value_per_message:,.3f}",
        )
    table.caption = "\n".join(f"{escape(ch.channel)}: {escape(ch.reason)}" for ch in brief.channels)
    table.caption_justify = "left"
    return table


def _roi_table(brief: CampaignBrief) -> Table:
    roi, cur = brief.roi, brief.currency
    table = _facts("Incremental ROI forecast")
    table.add_row("cost (sends + fixed)", _money(roi.cost, cur))
    if roi.budget is not None:
        table.add_row("budget", _money(roi.budget, cur) + ("" if roi.within_budget else " [red](over)[/]"))
    table.add_row("recipients", f"{roi.recipients:,}")
    table.add_row("conversions", f"{roi.expected_conversions:,.1f}")
    table.add_row("  would buy anyway", f"{roi.baseline_conversions:,.1f}")
    band = roi.incremental_conversions_interval
    table.add_row(
        "  caused by the campaign",
        f"{roi.incremental_conversions:,.1f}" + (f" [{band[0]:,.1f}–{band[1]:,.1f}]" if band else ""),
    )
    table.add_row("incremental margin", _money(roi.incremental_margin, cur))
    table.add_row("discount cost (all redemptions)", _money(roi.discount_cost, cur))
    net = roi.net_return_interval
    table.add_row(
        "net incremental return",
        _money(roi.net_return, cur) + (f" [{net[0]:,.0f} to {net[1]:,.0f}]" if net else ""),
    )
    table.add_row("[bold]incremental ROI[/]", f"[bold]{escape(roi.roi_text())}[/]")
    for note in roi.notes:
        table.add_row("note", f"[yellow]{escape(note)}[/]")
    return table


def _control_table(brief: CampaignBrief) -> Table:
    control = brief.control
    assert control is not None
    table = _facts("Control group (held out, not sent)")
    total = control.size + control.treatment_size
    table.add_row("held out", f"{control.size:,} of {total:,} ({control.fraction:.0%})")
    table.add_row("share chosen", escape(control.chosen_by))
    table.add_row(
        "expected rates", f"treatment {control.treatment_rate:.2%}, control {control.baseline_rate:.2%}"
    )
    table.add_row("power (5% two-sided)", f"{control.power:.0%}")
    if control.needed_per_group:
        table.add_row("for 80% power", f"about {control.needed_per_group:,} per group")
    table.caption = escape(control.summary())
    table.caption_justify = "left"
    return table


def _options_table(brief: CampaignBrief) -> Table:
    numbers = ["customers", "sends", "cost", "extra conv.", "return"]
    table = _table("What the rest of the budget would buy", ["option", *numbers], right=numbers)
    for o in brief.paying_options:
        table.add_row(
            escape(o.option),
            f"{o.audience_size:,}",
            f"{o.recipients:,}",
            f"{o.cost:,.2f}",
            f"{o.expected_incremental_conversions:,.1f}",
            f"{o.expected_incremental_return:+,.0f}",
        )
    table.caption = "return: expected incremental return after cost and discount; each option alone"
    table.caption_justify = "left"
    return table


def _check(check: CopyCheck) -> str:
    if check.skipped:
        return f"[dim]- {escape(check.name)}: not run ({escape(check.reason)})[/]"
    if check.passed:
        return f"{OK} {escape(check.name)}"
    mark = FAIL if check.hard else WARN
    return f"{mark} {escape(check.name)}" + (f": {escape(check.reason)}" if check.reason else "")


def _copy_table(brief: CampaignBrief) -> Table:
    table = _table("Copy variants", ["#", "channel", "copy", "checks"])
    for i, variant in enumerate(brief.copy_variants, 1):
        body = "\n".join(f"[bold]{escape(k)}[/]: {escape(v)}" for k, v in variant.parts.items() if v)
        verdict = f"{OK} sendable" if variant.passed else f"{FAIL} NOT SENDABLE"
        origin = [f"[dim]{escape(variant.origin)}[/]"] if variant.origin else []
        checks = "\n".join([verdict, *origin, *(_check(c) for c in variant.checks)])
        table.add_row(str(i), escape(variant.channel), body, checks)
    return table


def _steps_table(brief: CampaignBrief) -> Table:
    table = _table("Steps", ["step", "seconds", "", "detail"], right=["seconds"])
    for s in brief.steps:
        table.add_row(escape(s.step), f"{s.seconds:.2f}", OK if s.ok else FAIL, escape(s.detail))
    table.add_row("[bold]total[/]", f"{sum(s.seconds for s in brief.steps):.2f}", "", "")
    return table
