"""``mkt audience``: select a campaign audience (risk, value, segments) and optionally export it.

The same ``select_audience`` tool the agent calls, run through ``run_tool``: the churn scores,
CLV and segments it needs are computed on the way and shown as they finish. ``--output`` writes the
audience's customer ids to the path you typed (a file you name on the command line is yours to
overwrite, and the command says when it does), with a randomised control group held out (a
``test_group`` column and a ``.control.json`` sidecar); without it nothing is written.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Literal

import typer

from agent.catalog import default_tools
from agent.cli._params import ControlOpt
from agent.cli.output import console, err_console, print_json, print_table
from agent.events import StepEvent
from agent.toolbox import ToolContext, run_tool
from data.errors import ToolError
from data.settings import load_settings
from data.workspace import Workspace
from tools.audience import AudienceSummary, audience_makeup, export_audience


def audience(
    risk: Annotated[
        Literal["any", "at_risk"], typer.Option(help="at_risk: customers likely to churn only.")
    ] = "any",
    value: Annotated[
        Literal["any", "high_value"], typer.Option(help="high_value: top spenders to date only.")
    ] = "any",
    segment: Annotated[
        list[str] | None, typer.Option("--segment", help="Keep this segment (repeat for several).")
    ] = None,
    churn_threshold: Annotated[float, typer.Option(help="P(churn) that counts as at risk.")] = 0.5,
    value_quantile: Annotated[float, typer.Option(help="Spend quantile that counts as high value.")] = 0.8,
    response: Annotated[
        Literal["any", "persuadable"],
        typer.Option(help="persuadable: only customers the campaign changes (needs `mkt uplift train`)."),
    ] = "any",
    output: Annotated[
        Path | None,
        typer.Option(
            help="Write the audience's customer ids and its control group (test_group column) to this CSV file.",
            dir_okay=False,
        ),
    ] = None,
    control: ControlOpt = None,
    as_json: Annotated[bool, typer.Option("--json", help="Machine-readable JSON on stdout.")] = False,
) -> None:
    """Select who a campaign targets: size, CLV, churn risk, segment mix and reach per channel."""
    settings = load_settings()
    tools = {t.name: t for t in default_tools()}

    def show(event: StepEvent) -> None:
        if event.kind == "tool_result" and not as_json:
            err_console.print(f"  {event.data['tool']}: {event.data['headline']}", highlight=False)

    context = ToolContext(
        settings=settings, workspace=Workspace.from_settings(settings), tools=tools, on_event=show
    )
    args = {
        "risk": risk,
        "value": value,
        "segments": segment or [],
        "churn_threshold": churn_threshold,
        "value_quantile": value_quantile,
        "response": response,
    }
    call = run_tool(tools["select_audience"], args, context)
    if not isinstance(call.result, AudienceSummary) or context.state.audience is None:
        raise ToolError(call.observation.removeprefix("Error from select_audience: "))
    summary = call.result
    with context.workspace.connect(read_only=True) as con:
        fairness = audience_makeup(con, context.state.audience.customer_ids, sensitive=settings.sensitive)
    written = None
    if output is not None:
        planned = run_tool(tools["select_channels"], {"control": control}, context)
        if context.state.control is None:
            raise ToolError(planned.observation.removeprefix("Error from select_channels: "))
        written = export_audience(context.state.audience, output, context.state.control)
    if as_json:
        print_json(
            {
                "audience": summary.model_dump(mode="json"),
                "fairness": fairness.model_dump(mode="json"),
                "export": written and written.model_dump(),
            }
        )
        return
    print_table(
        f"Audience: {summary.description}",
        ["customers", "total CLV", "mean CLV", "mean spend", "mean P(churn)", *summary.reachable],
        [
            (
                summary.size,
                summary.total_clv,
                summary.mean_clv,
                summary.mean_spend,
                summary.mean_churn_risk,
                *summary.reachable.values(),
            )
        ],
    )
    if summary.segments:
        console.print(
            "segments: " + ", ".join(f"{k} {v:,}" for k, v in summary.segments.items()), highlight=False
        )
    for note in summary.notes:
        console.print(f"note: {note}", highlight=False)
    if fairness.attributes:
        console.print(f"fair targeting: {fairness.summary()}", highlight=False)
    if written is not None:
        if context.state.control is not None:
            console.print(f"control group: {context.state.control.summary()}", highlight=False)
        console.print(written.summary(), highlight=False)
