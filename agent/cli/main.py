"""The ``mkt`` command line: wires subcommands together and turns errors into exit codes.

Subcommands are imported only when they run: ``mkt data show`` never pays for torch, chromadb or
scikit-learn, and ``mkt --help`` lists every command from the table below without importing any.
"""

from __future__ import annotations

import importlib
from typing import Any, NamedTuple

import typer
from typer._click import Command, Context  # typer >= 0.29 vendors its own click
from typer._click.exceptions import ClickException
from typer.core import TyperCommand, TyperGroup

from agent.cli.output import err_console
from agent.failures import record
from data.errors import MktError


class _Entry(NamedTuple):
    module: str
    attribute: str
    help: str


COMMANDS: dict[str, _Entry] = {
    "demo": _Entry(
        "demo_cmd", "demo", "Run the demo campaign end to end: set-up if needed, plan, analytics, copy."
    ),
    "chat": _Entry(
        "chat_cmd", "chat", "Chat with the assistant in the terminal (campaigns, questions, tools)."
    ),
    "ask": _Entry("chat_cmd", "ask", "Ask the assistant one thing; --json prints events as JSON lines."),
    "data": _Entry("data_cmd", "app", "Load, generate and inspect customer data."),
    "knowledge": _Entry(
        "knowledge_cmd", "app", "Knowledge base: brand, products, campaigns, customer profiles."
    ),
    "segment": _Entry("segment_cmd", "segment", "Segment customers (KMeans on RFM) and name the segments."),
    "churn": _Entry("churn_cmd", "app", "Churn risk: train a model on labelled customers, score everyone."),
    "clv": _Entry("clv_cmd", "clv", "Customer lifetime value (BG/NBD + Gamma-Gamma)."),
    "audience": _Entry(
        "audience_cmd", "audience", "Select a campaign audience (risk, value, segments); --output exports it."
    ),
    "uplift": _Entry(
        "uplift_cmd", "app", "Uplift: who a campaign changes, learnt from past tests with control groups."
    ),
    "roi": _Entry("roi_cmd", "app", "Campaign ROI: actual from engagements, or a forecast."),
    "channel": _Entry("channel_cmd", "app", "Choose channels by expected value (Bayesian, consent, budget)."),
    "insights": _Entry("insights_cmd", "insights", "Sentiment and themes of customer feedback."),
    "forecast": _Entry(
        "forecast_cmd",
        "forecast_command",
        "Forecast weekly revenue, orders and active customers, overall or per category.",
    ),
    "recommend": _Entry(
        "recommend_cmd",
        "recommend_command",
        "Recommend next products from purchase history (item-item co-purchase).",
    ),
    "abtest": _Entry("abtest_cmd", "abtest_command", "Read out an A/B test: rates, P(best), lift, power."),
    "copy": _Entry("copy_cmd", "copy", "Write copy variants for an offer, each checked by the guardrail."),
    "eval": _Entry("eval_cmd", "app", "Evaluate generated copy and the agent: suites, reports, baselines."),
    "slack": _Entry("slack_cmd", "app", "Run the Slack bot (Socket Mode or HTTP Events API)."),
}


def load_command(name: str) -> Command:
    """Import subcommand ``name`` and return it as a click command (completion options stay on ``mkt``)."""
    entry = COMMANDS[name]
    target = getattr(importlib.import_module(f"agent.cli.{entry.module}"), entry.attribute)
    if not isinstance(target, typer.Typer):
        single = typer.Typer(add_completion=False)
        single.command(name=name)(target)
        target = single
    command = typer.main.get_command(target)
    command.name = name
    command.params = [p for p in command.params if p.name not in ("install_completion", "show_completion")]
    return command


class _MktGroup(TyperGroup):
    """Lazy subcommands; any ``MktError`` raised below becomes a one-line message and its exit code."""

    def list_commands(self, ctx: Context) -> list[str]:
        """Every command, in the order of ``COMMANDS``."""
        return list(COMMANDS)

    def get_command(self, ctx: Context, cmd_name: str) -> Command | None:
        """A placeholder with the command's help (for listings); the real one loads when it runs."""
        entry = COMMANDS.get(cmd_name)
        return None if entry is None else TyperCommand(cmd_name, help=entry.help, short_help=entry.help)

    def resolve_command(self, ctx: Context, args: list[str]) -> tuple[str | None, Command | None, list[str]]:
        """Load the command that is about to run."""
        if args and args[0] in COMMANDS:
            return args[0], load_command(args[0]), args[1:]
        return super().resolve_command(ctx, args)

    def invoke(self, ctx: Context) -> Any:
        """Run the command, turning ``MktError`` into its message and exit code."""
        try:
            return super().invoke(ctx)
        except MktError as exc:
            err_console.print(f"[bold red]error:[/] {exc}", highlight=False, soft_wrap=True)
            raise typer.Exit(exc.exit_code) from None
        except (ClickException, typer.Exit, typer.Abort, KeyboardInterrupt, SystemExit):
            raise
        except Exception as exc:  # never a traceback for the user
            from data.settings import load_settings  # only on this path: mkt --help stays light
            from data.workspace import Workspace

            runs = Workspace.from_settings(load_settings()).runs_dir
            line = record(exc, runs, f"mkt {ctx.invoked_subcommand}")
            err_console.print(f"[bold red]error:[/] {line}", highlight=False, soft_wrap=True)
            raise typer.Exit(1) from None


app = typer.Typer(
    cls=_MktGroup,
    name="mkt",
    help="Marketing content assistant: customer analytics, grounded copy and evals, offline-first.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)


@app.callback()
def _root() -> None:
    """Marketing content assistant: customer analytics, grounded copy and evals, offline-first."""


def main() -> None:
    """Console-script entry point."""
    app()


if __name__ == "__main__":
    main()
