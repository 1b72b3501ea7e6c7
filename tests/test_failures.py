"""A bug never shows a traceback: one line with a reference, the traceback in runs/errors.log."""

from __future__ import annotations

from pathlib import Path

import pytest
from pydantic import BaseModel
from typer.testing import CliRunner

from agent.cli import audience_cmd
from agent.cli.main import app
from agent.toolbox import AgentTool, ToolContext, run_tool
from data.settings import load_settings
from data.workspace import Workspace


class NoArgs(BaseModel):
    pass


def _broken(_args: BaseModel, _ctx: ToolContext) -> BaseModel:
    raise ZeroDivisionError("secret=abc division by zero")


def test_a_tool_that_crashes_reports_a_reference_not_a_traceback(isolated_home: Path) -> None:
    context = ToolContext(settings=load_settings(), workspace=Workspace(isolated_home))
    call = run_tool(AgentTool("broken", "Fails.", NoArgs, _broken), {}, context)
    assert call.result is None and "failed unexpectedly (ZeroDivisionError)" in call.observation
    reference = call.observation.split("reference ")[1].split(",")[0]
    log = (isolated_home / "runs" / "errors.log").read_text()
    assert f"--- {reference}" in log and "Traceback" in log and "Traceback" not in call.observation


def test_a_command_that_crashes_prints_one_line(isolated_home: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    def crash(*_args: object, **_kwargs: object) -> None:
        raise KeyError("boom")

    monkeypatch.setattr(audience_cmd, "run_tool", crash)
    result = CliRunner().invoke(app, ["audience"])
    assert result.exit_code == 1 and "mkt audience failed unexpectedly (KeyError)" in result.output
    assert "Traceback" not in result.output and (isolated_home / "runs" / "errors.log").exists()
