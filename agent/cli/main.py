"""The ``mkt`` command line: wires subcommands together and turns errors into exit codes."""

from __future__ import annotations

from typing import Any

import click
import typer
from typer.core import TyperGroup

from agent.cli import (
    abtest_cmd,
    channel_cmd,
    chat_cmd,
    churn_cmd,
    clv_cmd,
    copy_cmd,
    data_cmd,
    eval_cmd,
    forecast_cmd,
    insights_cmd,
    knowledge_cmd,
    recommend_cmd,
    roi_cmd,
    segment_cmd,
    slack_cmd,
)
from agent.cli.output import err_console
from data.errors import MktError


class _MktGroup(TyperGroup):
    """Turns any ``MktError`` raised below into a one-line message and its exit code."""

    def invoke(self, ctx: click.Context) -> Any:
        try:
            return super().invoke(ctx)
        except MktError as exc:
            err_console.print(f"[bold red]error:[/] {exc}", highlight=False, soft_wrap=True)
            raise typer.Exit(exc.exit_code) from None


app = typer.Typer(
    cls=_MktGroup,
    name="mkt",
    help="Marketing content assistant: customer analytics, grounded copy and evals, offline-first.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)
app.add_typer(data_cmd.app, name="data")
app.add_typer(knowledge_cmd.app, name="knowledge")
app.command("segment")(segment_cmd.segment)
app.add_typer(roi_cmd.app, name="roi")
app.command("insights")(insights_cmd.insights)
app.add_typer(channel_cmd.app, name="channel")
app.command(name="clv")(clv_cmd.clv)
app.add_typer(churn_cmd.app, name="churn")
app.add_typer(eval_cmd.app, name="eval")
app.command(name="forecast")(forecast_cmd.forecast_command)
app.command(name="recommend")(recommend_cmd.recommend_command)
app.command(name="abtest")(abtest_cmd.abtest_command)
app.command(name="copy")(copy_cmd.copy)
app.add_typer(slack_cmd.app, name="slack")
app.command("chat")(chat_cmd.chat)
app.command("ask")(chat_cmd.ask)


def main() -> None:
    """Console-script entry point."""
    app()


if __name__ == "__main__":
    main()
