"""The endpoint model reads copy in full (``agent.endpoint.tools.observation``).

Found by the scripted endpoint eval (v5 dev): run_tool's observation is the result's JSON cut at
1,500 characters, and a ``CopyResult``'s JSON is mostly check details, so the model behind the
endpoint never saw the second variant (nor all of a long email's first) and could not show it.
"""

from __future__ import annotations

from pathlib import Path

from pydantic import BaseModel

from agent.endpoint.tools import to_langchain
from agent.toolbox import AgentTool, ToolContext, run_tool
from data.settings import load_settings
from data.workspace import Workspace
from tools.copy.models import CopyResult, CopyVariant


class NoArgs(BaseModel):
    """No arguments."""


def _variant(index: int, body: str) -> CopyVariant:
    return CopyVariant(
        index=index,
        parts={"body": body},
        facts_used={"discount": "15%"},
        passed=True,
        warnings=[f"a long warning about variant {index}, number {n}" for n in range(40)],
        attempts=1,
        backend="test",
        model="test",
    )


def _copy(_args: BaseModel, _ctx: ToolContext) -> BaseModel:
    variants = [
        _variant(1, "Ridgeback 3: 15% off. STOP to opt out"),
        _variant(2, "Back on the trail? 15% off. STOP"),
    ]
    return CopyResult(
        channel="sms",
        language="en",
        variants=variants,
        passed=2,
        model_calls=2,
        completion_tokens=20,
        seconds=0.1,
    )


COPY = AgentTool("write_copy", "Copy variants for one channel.", NoArgs, _copy)


def test_the_model_reads_every_variant_of_the_copy(isolated_home: Path) -> None:
    context = ToolContext(settings=load_settings(), workspace=Workspace(isolated_home))
    cut = run_tool(COPY, {}, context).observation
    assert "Back on the trail?" not in cut  # the JSON cut at 1,500 characters: what the model read before
    (tool,) = to_langchain([COPY], context, lambda _e: None)
    seen = str(tool.invoke({}))
    assert seen.startswith("Result of write_copy: 2/2 sms variants")
    assert (
        "sms variant 1 (passed every check" in seen and "body: Ridgeback 3: 15% off. STOP to opt out" in seen
    )
    assert "sms variant 2 (passed every check" in seen and "body: Back on the trail? 15% off. STOP" in seen
    assert "<untrusted-data" in seen  # still fenced as tool output
