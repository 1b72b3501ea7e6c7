"""`mkt chat` in a real terminal: a tmux pane runs the real command against a fake OpenAI-compatible
server; the test types keys and reads the pane back (`tmux capture-pane`).

This covers what typer's CliRunner cannot: a TTY (readline line history, the live spinner), a real
process talking to the model over HTTP, and Ctrl-C as a signal.
"""

from __future__ import annotations

import json
import os
import shlex
import shutil
import subprocess
import sys
import time
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from agent.session import Session
from data.loader import load_files
from data.synth.generate import GeneratedData
from data.workspace import Workspace
from tests.fakes.openai_server import FakeOpenAIServer
from tests.fakes.openai_tool_calls import calls, text

pytestmark = pytest.mark.skipif(shutil.which("tmux") is None, reason="tmux is not installed")

ROOT = Path(__file__).resolve().parents[1]
STARTUP_S = 90.0  # importing the CLI takes ~10 s on a busy 2-core machine
ANSWER = "We have 3,000 customers on file."


class Pane:
    """One tmux server (its own socket) with one pane running ``command``."""

    def __init__(self, command: str, env: dict[str, str], cwd: Path) -> None:
        self.socket = f"mkt-test-{uuid.uuid4().hex[:8]}"
        self.env = env
        self.cwd = cwd
        self._tmux("new-session", "-d", "-s", "chat", "-x", "140", "-y", "50", command)

    def _tmux(self, *args: str) -> str:
        done = subprocess.run(
            ["tmux", "-L", self.socket, *args],
            env=self.env,
            cwd=self.cwd,
            capture_output=True,
            text=True,
            check=True,
            timeout=10,
        )
        return done.stdout

    def keys(self, *keys: str) -> None:
        """Press tmux keys such as ``Enter``, ``Up``, ``C-c``."""
        self._tmux("send-keys", "-t", "chat", *keys)

    def type(self, text: str) -> None:
        """Type ``text`` literally, then Enter."""
        self._tmux("send-keys", "-t", "chat", "-l", text)
        self.keys("Enter")

    def text(self) -> str:
        """The pane and its scrollback, wrapped lines joined, trailing blanks dropped."""
        lines = self._tmux("capture-pane", "-p", "-J", "-S", "-500", "-t", "chat").splitlines()
        return "\n".join(line.rstrip() for line in lines).rstrip()

    def wait(self, ready: Callable[[str], bool], what: str, timeout: float = 30.0) -> str:
        """Poll the pane until ``ready(text)``; fail with the pane's text otherwise."""
        deadline = time.monotonic() + timeout
        while True:
            text = self.text()
            if ready(text):
                return text
            if time.monotonic() > deadline:
                pytest.fail(f"timed out waiting for {what}; the pane shows:\n{text}")
            time.sleep(0.2)

    def wait_for(self, needle: str, timeout: float = 30.0, count: int = 1) -> str:
        return self.wait(lambda t: t.count(needle) >= count, repr(needle), timeout)

    def prompt(self, count: int, timeout: float = 30.0) -> str:
        """Wait until the chat's ``count``-th prompt waits for input on the last line."""
        return self.wait(
            lambda t: t.count("you>") >= count and t.splitlines()[-1] == "you>", f"prompt {count}", timeout
        )

    def close(self) -> None:
        subprocess.run(["tmux", "-L", self.socket, "kill-server"], env=self.env, capture_output=True)


@pytest.fixture
def workspace(sample_data: GeneratedData, isolated_home: Path) -> Workspace:
    ws = Workspace(isolated_home).ensure()
    load_files(ws, sample_data.tables)
    return ws


@pytest.fixture
def server() -> Iterator[FakeOpenAIServer]:
    fake = FakeOpenAIServer(reply="Ok.")
    fake.say(calls(("workspace_summary", {})), text(ANSWER))  # native tool calls, as the endpoint path asks
    fake.start()
    try:
        yield fake
    finally:
        fake.stop()


def chat_pane(workspace: Workspace, server: FakeOpenAIServer | None, *args: str) -> Pane:
    """``mkt chat`` against ``server`` (the endpoint path), or with no endpoint (the packaged model's policy)."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("MKT_", "TMUX"))}
    env.update(MKT_HOME=str(workspace.home), TERM="xterm-256color", HOME=str(workspace.home))
    if server is not None:
        env.update(MKT_LLM_BASE_URL=server.base_url, MKT_LLM_MODEL="fake-model", MKT_LLM_MAX_RETRIES="0")
    mkt = " ".join(shlex.quote(a) for a in [sys.executable, "-m", "agent.cli.main", "chat", *args])
    # the shell survives Ctrl-C (a trap, not an ignore: the child gets the default SIGINT) to print
    # the exit status and keep the pane open for reading
    return Pane(f"sh -c 'trap : INT; {mkt}; echo \"[exit $?]\"; sleep 120'", env, ROOT)


def session_folder(workspace: Workspace) -> Path:
    (folder,) = (workspace.runs_dir / "sessions").iterdir()
    return folder


def test_chat_in_a_real_terminal(workspace: Workspace, server: FakeOpenAIServer) -> None:
    pane = chat_pane(workspace, server)
    try:
        banner = pane.prompt(1, timeout=STARTUP_S)
        assert "fake-model at http://127.0.0.1:" in banner and "/help for commands" in banner

        pane.type("how many customers do we have")
        text = pane.prompt(2)
        turn = text[text.index("how many customers do we have") : text.rindex("you>")]
        tool_line = next(line for line in turn.splitlines() if "workspace_summary" in line)
        assert tool_line.startswith("✓ workspace_summary ") and "3,000 customers" in tool_line
        assert ANSWER in turn
        assert "openai:fake-model · 2 model call(s)" in turn and "tools: workspace_summary" in turn
        assert "thinking" not in turn  # the spinner is transient: gone once the answer is shown

        pane.type("/help")
        pane.prompt(3)
        pane.type("/save")
        text = pane.prompt(4)
        folder = session_folder(workspace)
        assert f"saved session {folder.name} to {folder / 'history.json'}" in text

        pane.keys("Up")  # readline history: the last line comes back for editing
        pane.wait(lambda t: t.splitlines()[-1] == "you> /save", "the recalled line")
        pane.keys("C-u")
        pane.type("/exit")
        text = pane.wait_for("[exit 0]")
    finally:
        pane.close()

    help_text = text[text.index("you> /help") : text.index("you> /save")]
    for command in ("/help", "/reset", "/save", "/history", "/sessions", "/exit"):
        assert command in help_text
    assert f"resume with: mkt chat --resume {folder.name}" in text
    assert "Traceback" not in text
    history = json.loads((folder / "history.json").read_text())
    assert [m["content"] for m in history["messages"]] == ["how many customers do we have", ANSWER]
    assert len(server.requests) == 2  # one tool call, one answer; nothing went to a fallback
    sent = server.requests[0]["messages"]
    assert sent[0]["role"] == "system" and sent[-1]["content"] == "how many customers do we have"
    trace = [json.loads(line) for line in (folder / "trace.jsonl").read_text().splitlines()]
    models = [e for e in trace if e["event"] == "model"]
    assert [m["backend"] for m in models] == ["openai:fake-model"] * 2 and all(
        m["tokens"] > 0 for m in models
    )
    assert (workspace.runs_dir / "chat_history").read_text().split()[-3:] == ["/help", "/save", "/exit"]


def test_resume_then_ctrl_c_in_a_real_terminal(workspace: Workspace, server: FakeOpenAIServer) -> None:
    earlier = Session.open(workspace.runs_dir, "earlier")
    earlier.turns = 1
    earlier.add("user", "how many customers do we have")
    earlier.add("assistant", ANSWER)
    earlier.save()

    pane = chat_pane(workspace, server, "--resume", "last")
    try:
        text = pane.prompt(2, timeout=STARTUP_S)  # the resumed turn's line, then the prompt
        assert "session earlier" in text and "resumed 1 turn(s):" in text
        assert f"you> how many customers do we have\nassistant: {ANSWER}\nyou>" in text
        pane.keys("C-c")
        text = pane.wait_for("[exit 0]")
    finally:
        pane.close()
    assert "interrupted" in text and "Traceback" not in text
    assert text.endswith("resume with: mkt chat --resume earlier\n[exit 0]")
    assert json.loads((earlier.folder / "history.json").read_text())["messages"] == earlier.messages
    assert server.requests == []


def test_follow_ups_bind_to_the_conversation_in_a_real_terminal(workspace: Workspace) -> None:
    """No endpoint: the packaged model's policy. Neither turn needs the model, so none is loaded."""
    pane = chat_pane(workspace, None)
    try:
        pane.prompt(1, timeout=STARTUP_S)
        pane.type("how many high-value customers are at risk of churning?")
        first = pane.prompt(2, timeout=STARTUP_S)
        assert "select_audience" in first and "high-value customers at risk of churning" in first
        pane.type("ok, export that list to winback.csv")
        pane.wait_for("approve?", timeout=STARTUP_S)
        pane.type("y")
        text = pane.prompt(3, timeout=STARTUP_S)
        pane.type("What's CU0000042 worth to us?")
        pane.prompt(4, timeout=STARTUP_S)
        pane.type("what should we offer them next?")
        text = pane.prompt(5, timeout=STARTUP_S)
        pane.type("/exit")
        pane.wait_for("[exit 0]")
    finally:
        pane.close()
    exported = workspace.home / "exports" / "winback.csv"
    assert exported.exists() and exported.read_text().startswith("customer_id")
    assert f"to {exported}" in text  # the export bound to the audience of the turn before
    last = text[text.rindex("what should we offer them next?") :]
    assert "next products for CU0000042" in last  # "them" is the customer named a turn earlier
    assert "Traceback" not in text
