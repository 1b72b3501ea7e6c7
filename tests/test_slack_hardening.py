"""The Slack HTTP server under attack: real sockets on 127.0.0.1 against the real Bolt app.

Slow-loris clients, connection floods, lying Content-Length headers, bad bodies, replayed signed
requests, a full queue and clicks by someone else on another person's approval.
"""

from __future__ import annotations

import hashlib
import hmac
import http.client
import json
import logging
import socket
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any
from urllib.parse import urlencode, urlsplit

import pytest
from pydantic import BaseModel

from agent.slack.app import NOT_YOURS
from agent.slack.blocks import APPROVE
from agent.slack.runner import BUSY_TEXT, session_id_for
from agent.slack.server import Limits
from agent.toolbox import AgentTool, ToolContext
from data.loader import load_files
from data.synth.generate import GeneratedData
from data.workspace import Workspace
from tests.fakes.slack_api import Call
from tests.fakes.slack_harness import (
    SIGNING_SECRET,
    Harness,
    copy_workspace,
    new_trigger,
    running_bot,
    sign,
)

pytestmark = pytest.mark.slow


def final(text: str) -> dict[str, Any]:
    return {"tool": "final_answer", "arguments": {"answer": text}}


@pytest.fixture(scope="module")
def loaded(sample_data: GeneratedData, tmp_path_factory: pytest.TempPathFactory) -> Path:
    home = tmp_path_factory.mktemp("slack-hardening")
    load_files(Workspace(home), sample_data.tables)
    return home


@pytest.fixture
def home(loaded: Path, tmp_path: Path) -> Path:
    return copy_workspace(loaded, tmp_path / "home").home


class ExportArgs(BaseModel):
    segment: str = "champions"


class ExportResult(BaseModel):
    exported: int


def export_tool() -> AgentTool:
    def run(args: BaseModel, ctx: ToolContext) -> ExportResult:
        return ExportResult(exported=412)

    return AgentTool(
        "export_audience",
        "Export a segment.",
        ExportArgs,
        run,
        side_effect=True,
        action=lambda args, ctx: "Export the champions audience (412 customers) to CSV",
    )


def _address(h: Harness) -> tuple[str, int]:
    url = urlsplit(h.server.url)
    return url.hostname or "127.0.0.1", int(url.port or 0)


def _raw(h: Harness, head: str, body: bytes = b"", timeout: float = 5.0) -> tuple[int, bytes]:
    """Send ``head`` + ``body`` on a fresh socket; the status and body of the answer."""
    with socket.create_connection(_address(h), timeout=timeout) as sock:
        sock.sendall(head.encode() + body)
        data = b""
        while chunk := sock.recv(65536):
            data += chunk
            if b"\r\n\r\n" in data and b"Connection: close" not in data:
                break
    status = int(data.split(b" ", 2)[1]) if data else 0
    return status, data.partition(b"\r\n\r\n")[2]


def _signed_post(h: Harness, body: bytes, content_type: str) -> tuple[int, bytes]:
    ts = str(int(time.time()))
    base = b"v0:" + ts.encode() + b":" + body
    signature = "v0=" + hmac.new(SIGNING_SECRET.encode(), base, hashlib.sha256).hexdigest()
    head = (
        f"POST {urlsplit(h.server.url).path} HTTP/1.1\r\nHost: x\r\nContent-Type: {content_type}\r\n"
        f"Content-Length: {len(body)}\r\nX-Slack-Request-Timestamp: {ts}\r\n"
        f"X-Slack-Signature: {signature}\r\nConnection: close\r\n\r\n"
    )
    return _raw(h, head, body)


def test_slow_loris_clients_are_capped_and_cut_while_real_requests_get_through(home: Path) -> None:
    limits = Limits(max_connections=8, read_timeout_s=5.0, connection_deadline_s=1.0)
    with running_bot(home, [final("never")], limits=limits) as h:
        loris = []
        for _ in range(30):  # each sends half a request line, then one byte now and then
            sock = socket.create_connection(_address(h), timeout=5)
            sock.sendall(b"POST /slack/events HTTP/1.1\r\nHost: x\r\n")
            loris.append(sock)
        time.sleep(0.2)
        status, _ = _raw(h, "GET /health HTTP/1.1\r\nHost: x\r\n\r\n")
        assert status == 503  # the cap holds: no thread per attacker
        time.sleep(1.3)  # past the connection deadline
        closed = 0
        for sock in loris:
            sock.settimeout(2.0)
            try:
                sock.sendall(b"X")
                data = sock.recv(1000)
            except OSError:
                data = b""
            closed += data == b"" or data.startswith(b"HTTP/1.1 503")
            sock.close()
        assert closed == 30  # every slow client was cut by its deadline or refused at the cap
        assert _raw(h, "GET /health HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")[0] == 200


def test_fifty_concurrent_requests_are_all_answered(home: Path) -> None:
    with running_bot(home, [final("never")]) as h:
        assert h.server._httpd.request_queue_size >= 128
        host, port = _address(h)

        def get(_: int) -> int:
            conn = http.client.HTTPConnection(host, port, timeout=10)
            try:
                conn.request("GET", "/health")
                return conn.getresponse().status
            finally:
                conn.close()

        with ThreadPoolExecutor(50) as pool:
            assert list(pool.map(get, range(50))) == [200] * 50


@pytest.mark.parametrize("length", ["-1", "abc", "1e3", " 12x", "99999999999999999999"])
def test_lying_content_length_is_400_and_nothing_is_read(home: Path, length: str) -> None:
    with running_bot(home, [final("never")]) as h:
        head = f"POST /slack/events HTTP/1.1\r\nHost: x\r\nContent-Length: {length}\r\n\r\n"
        status, _ = _raw(h, head, b"A" * 1000)
        assert status in (400, 413) and (status == 400 or length.startswith("9"))
        assert h.model.calls == []


def test_unsigned_bad_bodies_are_401_and_signed_bad_bodies_400_without_tracebacks(
    home: Path, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    with running_bot(home, [final("never")]) as h:
        marker = "UNSIGNED-MARKER-4711"
        for body in (b"{not json " + marker.encode(), b"\xff\xfe" + marker.encode(), marker.encode()):
            head = (
                f"POST /slack/events HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
                f"Content-Length: {len(body)}\r\nX-Slack-Signature: v0=00\r\nConnection: close\r\n\r\n"
            )
            assert _raw(h, head, body)[0] == 401
        for content_type, body in (
            ("application/json", b"{not json"),
            ("application/json", b"[1, 2]"),
            ("application/json", b"\xff\xfe{}"),
            ("application/x-www-form-urlencoded", b"payload=%7Bnot+json"),
            ("application/x-www-form-urlencoded", b"payload=%5B1%5D"),
            ("text/plain", b"hello"),
        ):
            assert _signed_post(h, body, content_type)[0] == 400, (content_type, body)
        time.sleep(0.2)
        assert h.model.calls == []
    logged = "\n".join(r.getMessage() + str(r.exc_text or "") for r in caplog.records)
    assert marker not in logged and "Traceback" not in logged


def _command_body(h: Harness, text: str) -> str:
    form = {
        "team_id": "T1",
        "channel_id": "C1",
        "user_id": "U1",
        "command": "/mkt",
        "text": text,
        "response_url": h.fake.response_url("replayed"),
        "trigger_id": new_trigger(),
        "api_app_id": "A1",
    }
    return urlencode(form)


def test_a_replayed_signed_slash_command_runs_the_agent_once(home: Path) -> None:
    with running_bot(home, [final("Once."), final("Twice?"), final("Thrice?")]) as h:
        body = _command_body(h, "how many customers?")
        ts = str(int(time.time()))
        signature = sign(body, ts)
        statuses = [
            h.post(body, "application/x-www-form-urlencoded", timestamp=ts, signature=signature).status
            for _ in range(3)
        ]
        assert statuses == [200, 200, 200]
        h.fake.wait_for("response_url", lambda c: "Once." in str(c.body.get("text")))
        time.sleep(0.5)
        assert len(h.model.calls) == 1
        assert not any("Twice" in str(c.body.get("text")) for c in h.fake.of("response_url"))


def _approval(h: Harness) -> tuple[str, Call]:
    ask = h.fake.wait_for("chat.postMessage", lambda c: "Approval needed" in str(c.body.get("text")))[0]
    for block in ask.body["blocks"]:
        for element in block.get("elements", []):
            if element.get("action_id") == APPROVE:
                return str(element["value"]), ask
    raise AssertionError("no approve button")


def _events(home: Path, ts: str) -> list[dict[str, Any]]:
    path = home / "runs" / "sessions" / session_id_for("C1", ts) / "trace.jsonl"
    return [json.loads(line) for line in path.read_text().splitlines()]


def test_only_the_requester_or_an_approver_may_approve(home: Path) -> None:
    script = [{"tool": "export_audience", "arguments": {}}, final("Exported.")] * 2
    with running_bot(home, script, tools=[export_tool()], approvers=["S_LEADS"]) as h:
        h.fake.user_groups["S_LEADS"] = ["U_LEAD"]
        ts, _ = h.mention("export the champions audience", user="U_ASK")
        approval_id, _ = _approval(h)
        # a stranger's click changes nothing and is told why
        h.click(APPROVE, approval_id, user="U_STRANGER", thread_ts=ts)
        h.fake.wait_for("response_url", lambda c: NOT_YOURS in str(c.body.get("text")))
        time.sleep(0.3)
        assert not any(e["event"] == "tool_result" for e in _events(home, ts))
        # the requester may approve their own
        h.click(APPROVE, approval_id, user="U_ASK", thread_ts=ts)
        h.fake.wait_for(
            "chat.postMessage",
            lambda c: c.body.get("thread_ts") == ts and "Exported." in str(c.body.get("text")),
        )
        approval = next(e for e in _events(home, ts) if e["event"] == "approval" and "approver" in e)
        assert approval["approver"] == "U_ASK" and approval["approved"] is True
        # a member of the approver group may approve someone else's
        ts2, _ = h.mention("export the champions audience", user="U_ASK")
        approval_id, _ = _approval_after(h, approval_id)
        h.click(APPROVE, approval_id, user="U_LEAD", thread_ts=ts2)
        h.fake.wait_for(
            "chat.postMessage",
            lambda c: c.body.get("thread_ts") == ts2 and "Exported." in str(c.body.get("text")),
        )
        approval = next(e for e in _events(home, ts2) if e["event"] == "approval" and "approver" in e)
        assert approval["approver"] == "U_LEAD"


def _approval_after(h: Harness, previous: str) -> tuple[str, Call]:
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        value, call = _approval_latest(h)
        if value != previous:
            return value, call
        time.sleep(0.05)
    raise AssertionError("no second approval")


def _approval_latest(h: Harness) -> tuple[str, Call]:
    asks = [c for c in h.fake.of("chat.postMessage") if "Approval needed" in str(c.body.get("text"))]
    for block in asks[-1].body["blocks"]:
        for element in block.get("elements", []):
            if element.get("action_id") == APPROVE:
                return str(element["value"]), asks[-1]
    raise AssertionError("no approve button")


@pytest.fixture
def busy_bot(home: Path) -> Iterator[Harness]:
    script = [{"tool": "export_audience", "arguments": {}}, final("Done.")]
    with running_bot(home, script, tools=[export_tool()], workers=1, max_queue=0) as h:
        yield h


def test_beyond_the_queue_the_bot_answers_busy(busy_bot: Harness) -> None:
    h = busy_bot
    first, _ = h.mention("export the champions audience")
    _approval(h)  # the only worker now waits for a button
    second, response = h.mention("how many customers?")
    assert response.status == 200 and response.seconds < 3
    h.fake.wait_for(
        "chat.postMessage", lambda c: c.body.get("thread_ts") == second and c.body.get("text") == BUSY_TEXT
    )
    slash = h.command("how many customers?")
    assert BUSY_TEXT in slash.body
    assert len(h.model.calls) == 1


def test_a_corrupt_thread_history_is_reported_and_the_thread_still_answers(home: Path) -> None:
    with running_bot(home, [final("Fresh answer.")]) as h:
        thread = "1710009999.000001"
        folder = home / "runs" / "sessions" / session_id_for("C1", thread)
        folder.mkdir(parents=True)
        (folder / "history.json").write_text('{"messages": [{"role": "user", "cont')
        h.mention("how many customers?", thread_ts=thread)
        h.fake.wait_for("chat.postMessage", lambda c: "could not be read" in str(c.body.get("text")))
        h.fake.wait_for("chat.postMessage", lambda c: "Fresh answer." in str(c.body.get("text")))
