"""`mkt chat` and `mkt ask` as a user sees them, driven by a scripted model through typer's CliRunner.

Each test reads the transcript (what was printed), and where it matters the session's files
(history.json, trace.jsonl) and what the model was sent.
"""

from __future__ import annotations

import io
import json
import shutil
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import pytest
from pydantic import BaseModel
from rich.console import Console
from typer.testing import CliRunner

from agent.assistant import Assistant
from agent.assistant import Reply as ChatReply
from agent.campaign.brief import (
    AudienceSummary,
    CampaignBrief,
    ChannelPlan,
    CopyCheck,
    CopyVariant,
    RoiForecast,
    StepTiming,
)
from agent.catalog import default_tools
from agent.cli import chat_cmd
from agent.cli.main import app
from agent.cli.render import EventPrinter, render_brief
from agent.loop import StepEvent
from agent.session import Session
from agent.toolbox import AgentTool, ToolContext
from data.loader import load_files
from data.settings import Settings
from data.synth.generate import GeneratedData
from data.workspace import Workspace
from tests.fakes.scripted_model import Reply, ScriptedModel
from tools.chat_model import Message

runner = CliRunner()

SUMMARY_CALL = {"tool": "workspace_summary", "arguments": {}}


def final(answer: str) -> dict[str, object]:
    return {"tool": "final_answer", "arguments": {"answer": answer}}


@pytest.fixture(scope="module")
def warehouse(sample_data: GeneratedData, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The sample data loaded once; each test copies the DuckDB file into its own workspace."""
    home = tmp_path_factory.mktemp("chat-warehouse")
    workspace = Workspace(home)
    load_files(workspace, sample_data.tables)
    return workspace.warehouse


@pytest.fixture
def workspace(warehouse: Path, isolated_home: Path) -> Workspace:
    ws = Workspace(isolated_home).ensure()
    shutil.copy(warehouse, ws.warehouse)
    return ws


class ExportArgs(BaseModel):
    segment: str


class ExportResult(BaseModel):
    rows: int
    path: str | None = None


def _export(args: BaseModel, ctx: ToolContext) -> ExportResult:
    """Runs only once approved: the loop asks ``ctx.approve`` before any side-effect tool."""
    assert isinstance(args, ExportArgs)
    path = ctx.workspace.runs_dir / "audience.csv"
    path.write_text("customer_id\nCU1\n", encoding="utf-8")
    return ExportResult(rows=42, path=str(path))


def _describe(args: BaseModel, _ctx: ToolContext) -> str:
    assert isinstance(args, ExportArgs)
    return f"export segment '{args.segment}' (42 customers) to audience.csv"


EXPORT = AgentTool(
    name="export_audience",
    description="Write a segment's customer ids to a CSV file (needs approval).",
    args_model=ExportArgs,
    run=_export,
    side_effect=True,
    action=_describe,
)


def use_model(monkeypatch: pytest.MonkeyPatch, replies: Sequence[Reply]) -> ScriptedModel:
    """Make the commands talk to a scripted model (and the export tool besides the real ones)."""
    model = ScriptedModel(replies)

    def make(settings: Settings, workspace: Workspace) -> Assistant:
        return Assistant(settings, workspace, model=model, tools=[*default_tools(), EXPORT])

    monkeypatch.setattr(chat_cmd, "make_assistant", make)
    return model


def session_dirs(workspace: Workspace) -> list[Path]:
    return sorted((workspace.runs_dir / "sessions").iterdir())


def trace(folder: Path) -> list[dict[str, object]]:
    return [json.loads(line) for line in (folder / "trace.jsonl").read_text().splitlines()]


def user_texts(messages: Sequence[Message]) -> list[str]:
    return [m["content"] for m in messages if m["role"] == "user"]


def test_chat_turn_help_save_exit(workspace: Workspace, monkeypatch: pytest.MonkeyPatch) -> None:
    model = use_model(monkeypatch, [SUMMARY_CALL, final("There are 3,000 customers.")])
    result = runner.invoke(app, ["chat"], input="how many customers do we have\n/help\n/save\n/exit\n")
    assert result.exit_code == 0, result.output
    out = result.output
    assert "mkt chat · session" in out and "local model" in out
    assert "you> how many customers do we have" in out  # piped input is echoed into the transcript
    tool_line = next(line for line in out.splitlines() if "workspace_summary" in line)
    assert tool_line.startswith("✓ workspace_summary") and " s " in tool_line
    assert "3,000 customers" in tool_line  # the key numbers of the result
    assert "There are 3,000 customers." in out
    assert "scripted · 2 model call(s)" in out and "tools: workspace_summary" in out
    for command in ("/help", "/reset", "/save", "/exit", "/sessions"):
        assert command in out
    (folder,) = session_dirs(workspace)
    assert f"saved session {folder.name}" in out
    assert out.rstrip().endswith(f"resume with: mkt chat --resume {folder.name}")
    history = json.loads((folder / "history.json").read_text())
    assert [m["role"] for m in history["messages"]] == ["user", "assistant"]
    assert history["messages"][1]["content"] == "There are 3,000 customers."
    events = [e["event"] for e in trace(folder)]
    assert events[0] == "user" and events[-1] == "reply"
    assert {"model", "tool_call", "tool_result", "answer"} <= set(events)
    assert user_texts(model.sent[0])[-1] == "how many customers do we have"


def test_resume_shows_history_and_remembers(workspace: Workspace, monkeypatch: pytest.MonkeyPatch) -> None:
    use_model(monkeypatch, [final("Champions are your best customers.")])
    first = runner.invoke(app, ["chat"], input="who are the champions\n")  # ends at EOF, like Ctrl-D
    assert first.exit_code == 0, first.output
    (folder,) = session_dirs(workspace)

    model = use_model(monkeypatch, [final("They buy often and recently.")])
    again = runner.invoke(app, ["chat", "--resume", folder.name], input="tell me more\n/history\n/exit\n")
    assert again.exit_code == 0, again.output
    out = again.output
    assert f"session {folder.name}" in out and "resumed 1 turn(s):" in out
    # the earlier turn is shown before the first prompt
    shown = out.index("assistant: Champions are your best customers.")
    assert out.index("you> who are the champions") < shown < out.index("you> tell me more")
    assert "They buy often and recently." in out
    # memory: the model saw the earlier turn
    assert user_texts(model.sent[0])[-2:] == ["who are the champions", "tell me more"]
    # /history lists all four messages, after the second answer
    tail = out[out.index("you> /history") :]
    assert "you> tell me more" in tail and "assistant: They buy often and recently." in tail

    last = runner.invoke(app, ["chat", "--resume", "last"], input="/exit\n")
    assert last.exit_code == 0 and "resumed 2 turn(s):" in last.output


def test_resume_of_an_unknown_session_is_a_one_line_error(workspace: Workspace) -> None:
    result = runner.invoke(app, ["chat", "--resume", "nope"])
    assert result.exit_code == 2
    assert "no saved session 'nope'" in result.output and "Traceback" not in result.output


def test_reset_forgets_the_conversation(workspace: Workspace, monkeypatch: pytest.MonkeyPatch) -> None:
    model = use_model(monkeypatch, [final("Noted.")])
    result = runner.invoke(
        app, ["chat"], input="remember the word banana\n/reset\nwhat was the word\n/exit\n"
    )
    assert result.exit_code == 0, result.output
    assert "conversation forgotten" in result.output
    assert user_texts(model.sent[1]) == ["what was the word"]
    assert "remember the word banana" in user_texts(model.sent[0])


def test_unknown_slash_command(workspace: Workspace, monkeypatch: pytest.MonkeyPatch) -> None:
    model = use_model(monkeypatch, [final("unused")])
    result = runner.invoke(app, ["chat"], input="/frobnicate\n/sessions\n/quit\n")
    assert result.exit_code == 0
    assert "unknown command /frobnicate: /help lists them" in result.output
    assert "(no saved sessions)" in result.output
    assert model.calls == []


def test_ctrl_c_saves_and_exits_cleanly(workspace: Workspace, monkeypatch: pytest.MonkeyPatch) -> None:
    def interrupt(_messages: Sequence[Message]) -> str:
        raise KeyboardInterrupt

    use_model(monkeypatch, [final("First answer."), interrupt])
    result = runner.invoke(app, ["chat"], input="first question\nsecond question\n/exit\n")
    assert result.exit_code == 0, result.output
    (folder,) = session_dirs(workspace)
    assert "interrupted" in result.output
    assert f"session {folder.name} saved" in result.output
    assert "you> /exit" not in result.output  # the chat ended at Ctrl-C
    history = json.loads((folder / "history.json").read_text())
    assert [m["content"] for m in history["messages"]] == ["first question", "First answer."]


def test_ask_json_is_only_json_lines(workspace: Workspace, monkeypatch: pytest.MonkeyPatch) -> None:
    use_model(monkeypatch, [SUMMARY_CALL, final("Revenue is in the summary.")])
    result = runner.invoke(app, ["ask", "what is our revenue", "--json"])
    assert result.exit_code == 0, result.output
    lines = [json.loads(line) for line in result.stdout.splitlines()]
    kinds = [line["event"] for line in lines]
    assert kinds == ["turn", "model", "tool_call", "tool_result", "model", "answer", "reply"]
    tool_result = lines[3]
    assert tool_result["tool"] == "workspace_summary" and tool_result["result"]["revenue"] > 0
    reply = lines[-1]
    assert reply["text"] == "Revenue is in the summary."
    assert reply["tool_calls"] == ["workspace_summary"] and reply["backend"] == "scripted"
    (folder,) = session_dirs(workspace)
    assert reply["session"] == folder.name
    assert f"session {folder.name}" in result.stderr
    assert "✓ workspace_summary" in result.stderr  # progress goes to stderr


def test_ask_renders_the_answer(workspace: Workspace, monkeypatch: pytest.MonkeyPatch) -> None:
    use_model(monkeypatch, [SUMMARY_CALL, final("We have **3,000** customers.")])
    result = runner.invoke(app, ["ask", "how many customers"])
    assert result.exit_code == 0, result.output
    assert "We have 3,000 customers." in result.stdout  # Markdown rendered, not raw
    assert "**" not in result.stdout
    assert "session " in result.stdout


def test_ask_continues_a_named_session(workspace: Workspace, monkeypatch: pytest.MonkeyPatch) -> None:
    use_model(monkeypatch, [final("One.")])
    assert runner.invoke(app, ["ask", "first", "--session", "s1"]).exit_code == 0
    model = use_model(monkeypatch, [final("Two.")])
    assert runner.invoke(app, ["ask", "second", "--session", "s1"]).exit_code == 0
    assert user_texts(model.sent[0])[-2:] == ["first", "second"]
    bad = runner.invoke(app, ["ask", "x", "--session", "../etc"])
    assert bad.exit_code == 2 and "invalid session id" in bad.output


EXPORT_SCRIPT: list[Reply] = [
    {"tool": "export_audience", "arguments": {"segment": "at risk"}},
    final("Done."),
]


def test_yes_approves_side_effects(workspace: Workspace, monkeypatch: pytest.MonkeyPatch) -> None:
    use_model(monkeypatch, EXPORT_SCRIPT)
    result = runner.invoke(app, ["ask", "export the at risk customers", "--yes"])
    assert result.exit_code == 0, result.output
    assert "✓ approved by --yes: export segment 'at risk' (42 customers) to audience.csv" in result.output
    assert "rows=42" in result.output
    assert (workspace.runs_dir / "audience.csv").exists()


def test_without_yes_a_script_refuses(workspace: Workspace, monkeypatch: pytest.MonkeyPatch) -> None:
    use_model(monkeypatch, EXPORT_SCRIPT)
    result = runner.invoke(app, ["ask", "export the at risk customers", "--json"])
    assert result.exit_code == 0, result.output
    assert "✗ refused: export segment 'at risk'" in result.stderr and "pass --yes" in result.stderr
    events = [json.loads(line) for line in result.stdout.splitlines()]
    (approval,) = [e for e in events if e["event"] == "approval"]
    assert approval["approved"] is False and approval["tool"] == "export_audience"
    assert "tool_result" not in [e["event"] for e in events]
    assert not (workspace.runs_dir / "audience.csv").exists()


@pytest.mark.parametrize(("answer", "written"), [("y", True), ("n", False)])
def test_chat_asks_before_a_side_effect(
    workspace: Workspace, monkeypatch: pytest.MonkeyPatch, answer: str, written: bool
) -> None:
    use_model(monkeypatch, EXPORT_SCRIPT)
    monkeypatch.setattr(chat_cmd, "stdin_is_interactive", lambda: True)
    result = runner.invoke(app, ["chat"], input=f"export the at risk customers\n{answer}\n/exit\n")
    assert result.exit_code == 0, result.output
    assert "approve? export segment 'at risk' (42 customers) to audience.csv [y/n] (n):" in result.output
    verdict = "✓ approved:" if written else "✗ refused:"
    assert f"{verdict} export segment 'at risk'" in result.output
    assert (workspace.runs_dir / "audience.csv").exists() is written


def _record(width: int = 120) -> Console:
    return Console(file=io.StringIO(), width=width, record=True, color_system=None)


def sample_brief() -> CampaignBrief:
    return CampaignBrief(
        request="win back at-risk customers, email and SMS, 15% off, budget 2,000",
        goal="win back at-risk customers",
        offer={"discount": "15%", "code": "BACK15"},
        audience=AudienceSummary(
            description="at risk, high value",
            size=1234,
            total_clv=98765.4,
            mean_clv=80.04,
            mean_churn_risk=0.62,
            segments={"at risk": 1000, "hibernating": 234},
            reachable={"email": 1100, "sms": 700},
        ),
        channels=[
            ChannelPlan(
                channel="email",
                recipients=1100,
                reachable=1100,
                conversion_rate=0.031,
                conversion_interval=(0.022, 0.041),
                cost_per_message=0.002,
                value_per_conversion=40.3,
                expected_value_per_message=1.25,
                reason="best value per message",
            )
        ],
        roi=RoiForecast(
            cost=152.2,
            expected_conversions=34.1,
            expected_revenue=2730.0,
            roi=16.94,
            roi_interval=(11.2, 22.5),
            budget=2000.0,
        ),
        copy_variants=[
            CopyVariant(
                channel="email",
                parts={"subject": "We miss you: 15% off", "body": "Come back with BACK15."},
                passed=False,
                checks=[
                    CopyCheck(name="length", passed=True),
                    CopyCheck(name="grounding", passed=False, reason="price not in the facts"),
                    CopyCheck(name="voice", passed=False, hard=False, reason="too formal"),
                ],
            )
        ],
        steps=[StepTiming(step="audience", seconds=0.5), StepTiming(step="copy", seconds=2.25, ok=False)],
        currency="EUR",
    )


def test_render_brief_tables() -> None:
    brief = sample_brief()
    console = _record()
    render_brief(console, brief)
    text = console.export_text()
    for expected in (
        "campaign brief",
        "offer: discount=15%, code=BACK15",
        "1,234",
        "98,765.40 EUR",
        "62%",
        "at risk 1,000, hibernating 234",
        "1,100 of 1,100",
        "3.10% [2.2%–4.1%]",
        "email: best value per message",
        "+1694% (90% +1120% to +2250%)",
        "2,000.00 EUR",
        "subject: We miss you: 15% off",
        "✗ NOT SENDABLE",
        "✓ length",
        "✗ grounding: price not in the facts",
        "! voice: too formal",
    ):
        assert expected in text, expected
    steps = text[text.index("Steps") :]
    assert "copy" in steps and "2.25" in steps and "2.75" in steps  # per step and the total


class BriefAssistant:
    """Stands in for the campaign planner: step events, then a reply carrying a brief."""

    def respond(self, session: Session, text: str, **kwargs: Any) -> ChatReply:
        on_event = kwargs["on_event"]
        on_event(StepEvent("step", {"step": "audience", "status": "start"}))
        on_event(StepEvent("step", {"step": "audience", "status": "done", "seconds": 0.4, "detail": "1,234"}))
        brief = sample_brief()
        return ChatReply(text=brief.summary(), brief=brief, backend="local", report="runs/brief.html")


def test_ask_renders_a_campaign_brief(workspace: Workspace, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(chat_cmd, "make_assistant", lambda _s, _w: BriefAssistant())
    result = runner.invoke(app, ["ask", "plan a win-back campaign"])
    assert result.exit_code == 0, result.output
    out = result.stdout
    assert "✓ audience 0.40 s  1,234" in out
    assert (
        out.index("campaign brief") < out.index("Channels") < out.index("ROI forecast") < out.index("Steps")
    )
    assert "✗ grounding" in out and "! voice: too formal" in out and "report: runs/brief.html" in out
    as_json = runner.invoke(app, ["ask", "plan a win-back campaign", "--json"])
    reply = json.loads(as_json.stdout.splitlines()[-1])
    assert reply["event"] == "reply" and reply["brief"]["roi"]["roi"] == 16.94


def test_event_printer_steps_tokens_and_approvals() -> None:
    console = _record()
    printer = EventPrinter(console, interactive=False)
    emit: Callable[[str], Callable[..., None]] = lambda kind: lambda **data: printer(StepEvent(kind, data))  # noqa: E731
    emit("step")(step="audience", status="start")
    emit("step")(step="audience", status="done", seconds=0.42, detail="1,234 customers")
    emit("step")(step="copy", status="failed", seconds=1.5, detail="no variant passed")
    emit("model")(backend="local", tokens=30)
    emit("tool_call")(tool="roi", arguments={"budget": 2000})
    emit("tool_result")(tool="roi", seconds=0.1, result={"roi": 3.2}, headline="ROI 3.2x on 2,000")
    emit("tool_error")(tool="clv", error="no data")
    emit("approval")(action="send 700 SMS", approved=False)
    for word in ("Plan ", "ready."):
        emit("token")(text=word)
    emit("answer")(text="Plan ready.")
    text = console.export_text()
    assert "✓ audience 0.42 s  1,234 customers" in text
    assert "✗ copy 1.50 s  no variant passed" in text
    assert "✓ roi 0.10 s  ROI 3.2x on 2,000" in text
    assert "✗ clv: no data" in text
    assert "✗ refused: send 700 SMS" in text
    assert text.endswith("Plan ready.\n")
    assert printer.streamed == "Plan ready.\n" and printer.tokens == 30


def test_help_of_both_commands() -> None:
    chat = runner.invoke(app, ["chat", "--help"])
    assert chat.exit_code == 0 and "--resume" in chat.output and "--yes" in chat.output
    ask = runner.invoke(app, ["ask", "--help"])
    assert ask.exit_code == 0 and "--json" in ask.output and "JSON lines" in ask.output
