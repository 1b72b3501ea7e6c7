"""The Slack bot end to end: the real Bolt app over HTTP on 127.0.0.1, signed requests, the real
``WebClient`` against a fake Slack Web API, and the real ``Assistant`` driven by a scripted model."""

from __future__ import annotations

import json
import logging
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import pytest
from pydantic import BaseModel

from agent.catalog import default_tools
from agent.slack.app import NOT_ALLOWED
from agent.slack.blocks import APPROVE, REGENERATE, REJECT
from agent.slack.runner import session_id_for
from agent.toolbox import AgentTool, ToolContext
from data.loader import load_files
from data.synth.generate import GeneratedData
from data.workspace import Workspace
from tests.fakes.slack_api import Call, FakeSocketMode
from tests.fakes.slack_harness import BOT_TOKEN, SIGNING_SECRET, copy_workspace, new_ts, running_bot, sign

pytestmark = pytest.mark.slow

SUMMARY = {"tool": "workspace_summary", "arguments": {}}


def final(text: str) -> dict[str, Any]:
    return {"tool": "final_answer", "arguments": {"answer": text}}


@pytest.fixture(scope="module")
def loaded(sample_data: GeneratedData, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A workspace with the 3,000-customer sample loaded, copied per test."""
    home = tmp_path_factory.mktemp("slack-loaded")
    load_files(Workspace(home), sample_data.tables)
    return home


@pytest.fixture
def home(loaded: Path, tmp_path: Path) -> Path:
    return copy_workspace(loaded, tmp_path / "home").home


def in_thread(thread: str, contains: str = "") -> Any:
    return lambda c: c.body.get("thread_ts") == thread and contains in str(c.body.get("text", ""))


def trace(home: Path, session_id: str) -> list[dict[str, Any]]:
    path = home / "runs" / "sessions" / session_id / "trace.jsonl"
    return [json.loads(line) for line in path.read_text().splitlines()]


def test_mention_is_answered_in_its_thread_with_memory(home: Path) -> None:
    with running_bot(home, [SUMMARY, final("We have 3,000 customers."), final("Still 3,000.")]) as h:
        ts, response = h.mention("how many customers do we have?")
        assert response.status == 200 and response.seconds < 3
        answer = h.fake.wait_for("chat.postMessage", in_thread(ts, "We have 3,000 customers."))[0]
        placeholder = h.fake.of("chat.postMessage")[0]
        assert placeholder.body["text"].startswith("Working on it") and placeholder.body["thread_ts"] == ts
        assert placeholder.at < answer.at
        # the placeholder was updated as the tool completed, then marked done
        updates = [
            c.body["text"] for c in h.fake.of("chat.update") if c.body["ts"] == placeholder.body.get("ts")
        ]
        updates = [c.body["text"] for c in h.fake.of("chat.update")]
        assert any("✓ workspace_summary" in u and u.startswith("Working") for u in updates)
        assert updates[-1].startswith("Done in")
        blocks = answer.body["blocks"]
        assert blocks[0]["type"] == "section" and "We have 3,000 customers." in blocks[0]["text"]["text"]
        assert "workspace_summary" in blocks[-1]["elements"][0]["text"]
        assert answer.headers["authorization"] == f"Bearer {BOT_TOKEN}"
        sid = session_id_for("C1", ts)
        assert (home / "runs" / "sessions" / sid / "history.json").exists()

        # a reply in the thread continues the same conversation
        _, response = h.mention("and now?", thread_ts=ts)
        assert response.status == 200
        h.fake.wait_for("chat.postMessage", in_thread(ts, "Still 3,000."))
        remembered = [m["content"] for m in h.model.sent[-1]]
        assert "We have 3,000 customers." in remembered and "and now?" in remembered[-1]


def test_follow_ups_in_a_thread_bind_to_the_threads_conversation(home: Path) -> None:
    # The packaged model's policy (staged): code reads both turns, no model call is needed.
    with running_bot(home, [], staged=True) as h:
        ts = new_ts()
        h.mention("What's CU0000042 worth to us?", ts=ts)
        h.fake.wait_for("chat.postMessage", in_thread(ts, "CLV of CU0000042"))
        h.mention("what should we offer them next?", thread_ts=ts)
        h.fake.wait_for("chat.postMessage", in_thread(ts, "next products for CU0000042"))
        other = new_ts()  # another thread is another conversation: "them" means nobody there
        h.mention("what should we offer them next?", ts=other)
        reply = h.fake.wait_for("chat.postMessage", in_thread(other, ""), count=2)[-1]
        assert "CU0000042" not in str(reply.body.get("text"))


def test_direct_message_is_answered_in_thread(home: Path) -> None:
    with running_bot(home, [final("Hello from mkt.")]) as h:
        ts = new_ts()
        event = {
            "type": "message",
            "channel_type": "im",
            "channel": "D42",
            "user": "U7",
            "text": "hi",
            "ts": ts,
        }
        assert h.event(event).status == 200
        call = h.fake.wait_for("chat.postMessage", in_thread(ts, "Hello from mkt."))[0]
        assert call.body["channel"] == "D42"
        # the bot's own messages and edits in the DM are ignored
        own = {**event, "ts": new_ts(), "bot_id": "BBOT", "text": "Hello from mkt."}
        edit = {**event, "ts": new_ts(), "subtype": "message_changed"}
        assert h.event(own).status == 200 and h.event(edit).status == 200
        time.sleep(0.3)
        assert len(h.model.calls) == 1


def test_slash_command_acks_at_once_and_answers_through_response_url(home: Path) -> None:
    with running_bot(home, [SUMMARY, final("3,000 customers, 29,500 orders.")]) as h:
        response = h.command("how many customers?", name="slash1")
        assert response.status == 200 and response.seconds < 3
        assert "Working on: how many customers?" in response.body
        call = h.fake.wait_for("response_url", lambda c: "3,000 customers" in str(c.body.get("text")))[0]
        assert call.body["url"] == "/response/slash1" and call.body["response_type"] == "in_channel"
        assert call.body["blocks"][0]["type"] == "section"
        # help for an empty command, no agent turn
        assert "Ask me about" in h.command("").body


class ExportArgs(BaseModel):
    segment: str = "champions"


class ExportResult(BaseModel):
    approved: bool
    exported: int


def export_tool() -> AgentTool:
    """A side-effect tool: the agent loop asks for approval before it runs."""

    def run(args: BaseModel, ctx: ToolContext) -> ExportResult:
        assert isinstance(args, ExportArgs)
        return ExportResult(approved=True, exported=412)

    def describe(args: BaseModel, ctx: ToolContext) -> str:
        assert isinstance(args, ExportArgs)
        return f"Export the {args.segment} audience (412 customers) to CSV"

    return AgentTool(
        "export_audience", "Export a segment.", ExportArgs, run, side_effect=True, action=describe
    )


def summary_tool() -> list[AgentTool]:
    return [t for t in default_tools() if t.name == "workspace_summary"]


def approval_call(h: Any) -> Call:
    calls = h.fake.wait_for("chat.postMessage", lambda c: "Approval needed" in str(c.body.get("text")))
    return calls[0]


def button_value(call: Call, action_id: str) -> str:
    for block in call.body["blocks"]:
        for element in block.get("elements", []):
            if element.get("action_id") == action_id:
                return str(element["value"])
    raise AssertionError(f"no {action_id} button")


def test_approval_button_records_the_approver(home: Path) -> None:
    script = [{"tool": "export_audience", "arguments": {"segment": "champions"}}, final("Exported.")]
    with running_bot(home, script, tools=[*summary_tool(), export_tool()], approvers=["U_BOSS"]) as h:
        ts, _ = h.mention("export the champions audience", user="U_ASK")
        ask = approval_call(h)
        assert ask.body["thread_ts"] == ts and "Export the champions audience" in ask.body["text"]
        assert not h.fake.of("chat.postMessage", status=200)[-1].body["text"].startswith("Exported")
        approval_id = button_value(ask, APPROVE)
        assert button_value(ask, REJECT) == approval_id
        response = h.click(APPROVE, approval_id, user="U_BOSS", thread_ts=ts, message_ts="1710000999.000001")
        assert response.status == 200 and response.seconds < 3
        h.fake.wait_for("chat.postMessage", in_thread(ts, "Exported."))
        decided = h.fake.wait_for("chat.update", lambda c: c.body["ts"] == "1710000999.000001")[0]
        assert "Approved by <@U_BOSS>" in decided.body["text"]
        events = trace(home, session_id_for("C1", ts))
        approval = next(e for e in events if e["event"] == "approval" and "approver" in e)
        assert (
            approval["approved"] is True
            and approval["approver"] == "U_BOSS"
            and approval["requester"] == "U_ASK"
        )
        result = next(e for e in events if e["event"] == "tool_result")
        assert result["result"]["approved"] is True and result["result"]["exported"] == 412
        # a second click on a decided approval changes nothing and says so
        h.click(REJECT, approval_id, user="U_OTHER", thread_ts=ts)
        h.fake.wait_for("response_url", lambda c: "no longer open" in str(c.body.get("text")))
        approvers = [e["approver"] for e in trace(home, session_id_for("C1", ts)) if "approver" in e]
        assert approvers == ["U_BOSS"]


def test_unanswered_approval_is_rejected_after_the_timeout(home: Path) -> None:
    script = [{"tool": "export_audience", "arguments": {}}, final("Exported.")]
    with running_bot(home, script, tools=[export_tool()], approval_timeout_s=0.5) as h:
        ts, _ = h.mention("export the champions audience")
        ask = approval_call(h)
        h.fake.wait_for("chat.postMessage", in_thread(ts, "nothing was written"))
        expired = h.fake.wait_for(
            "chat.update", lambda c: c.body["ts"] == ask.body.get("ts") or "no answer" in c.body["text"]
        )
        assert any("no answer in time" in c.body["text"] for c in expired)
        events = trace(home, session_id_for("C1", ts))
        approval = next(e for e in events if e["event"] == "approval" and "approver" in e)
        assert (
            approval["approved"] is False and approval["timed_out"] is True and approval["approver"] is None
        )


def test_regenerate_button_runs_a_turn_in_the_thread(home: Path) -> None:
    with running_bot(home, [final("Here is a fresh email variant.")]) as h:
        thread = new_ts()
        value = json.dumps({"channel": "email", "variant": 1})
        response = h.click(f"{REGENERATE}:1", value, user="U9", thread_ts=thread)
        assert response.status == 200 and response.seconds < 3
        h.fake.wait_for("chat.postMessage", in_thread(thread, "Here is a fresh email variant."))
        assert h.model.sent[0][-1]["content"] == "regenerate the email copy (variant 2)"
        first = trace(home, session_id_for("C1", thread))[0]
        assert first["event"] == "slack" and first["origin"] == "regenerate" and first["user"] == "U9"


def test_bad_signature_is_refused(home: Path) -> None:
    with running_bot(home, [final("never")]) as h:
        body = json.dumps({"type": "event_callback", "event_id": "EvBAD", "event": {"type": "app_mention"}})
        now = str(int(time.time()))
        assert h.post(body, "application/json", signature="v0=" + "0" * 64).status == 401
        assert (
            h.post(body, "application/json", signature=sign(body, now, secret="wrong-secret")).status == 401
        )
        assert h.post(body, "application/json").status == 200  # the same body, correctly signed
        time.sleep(0.2)
        assert h.model.calls == []


def test_stale_timestamp_is_refused(home: Path) -> None:
    with running_bot(home, [final("never")]) as h:
        ts = new_ts()
        event = {"type": "app_mention", "user": "U1", "text": "<@UBOT> hi", "ts": ts, "channel": "C1"}
        body = json.dumps({"type": "event_callback", "event_id": "EvOLD", "event": event})
        old = str(int(time.time()) - 600)
        response = h.post(body, "application/json", timestamp=old, signature=sign(body, old))
        assert response.status == 401
        time.sleep(0.3)
        assert h.model.calls == [] and h.fake.of("chat.postMessage") == []


def test_retries_and_duplicate_event_ids_run_the_agent_once(home: Path) -> None:
    with running_bot(home, [SUMMARY, final("Once.")]) as h:
        ts = new_ts()
        event = {"type": "app_mention", "user": "U1", "text": "<@UBOT> count them", "ts": ts, "channel": "C1"}
        first = h.event(event, event_id="EvDUP1")
        retry = h.event(
            event,
            event_id="EvDUP1",
            headers={"X-Slack-Retry-Num": "1", "X-Slack-Retry-Reason": "http_timeout"},
        )
        again = h.event(event, event_id="EvDUP1")
        assert [first.status, retry.status, again.status] == [200, 200, 200]
        h.fake.wait_for("chat.postMessage", in_thread(ts, "Once."))
        time.sleep(0.5)
        assert len(h.fake.of("chat.postMessage")) == 2  # one placeholder, one answer
        assert len(h.model.calls) == 2  # one turn: tool call, answer
        assert len(h.bot.deduper) == 1
        # a new event id in the same thread is a new turn
        h.event({**event, "ts": new_ts(), "thread_ts": ts}, event_id="EvDUP2")
        h.fake.wait_for("chat.postMessage", in_thread(ts, "Once."), count=2)


def test_disallowed_channel_is_refused_and_user_groups_allowed(home: Path) -> None:
    with running_bot(home, [final("Allowed.")], allowed=["C_OK", "S_MKT"]) as h:
        h.fake.user_groups["S_MKT"] = ["U_TEAM"]
        ts, response = h.mention("hello", channel="C_BAD", user="U_OUT")
        assert response.status == 200
        refusal = h.fake.wait_for("chat.postEphemeral")[0]
        assert refusal.body["user"] == "U_OUT" and refusal.body["text"] == NOT_ALLOWED
        assert NOT_ALLOWED in h.command("hello", channel="C_BAD", user="U_OUT").body
        time.sleep(0.2)
        assert h.model.calls == []
        # a member of an allowed user group may use the bot anywhere; an allowed channel lets anyone in
        ts, _ = h.mention("hello", channel="C_BAD", user="U_TEAM")
        h.fake.wait_for("chat.postMessage", in_thread(ts, "Allowed."))
        ts, _ = h.mention("hello", channel="C_OK", user="U_ANY")
        h.fake.wait_for("chat.postMessage", in_thread(ts, "Allowed."))


def test_agent_failure_is_a_short_message_and_logs_hold_no_secrets(
    home: Path, caplog: pytest.LogCaptureFixture
) -> None:
    def explode(_messages: Any) -> str:
        raise RuntimeError(f"backend exploded holding {BOT_TOKEN} and {SIGNING_SECRET}")

    caplog.set_level(logging.DEBUG)
    with running_bot(home, [explode]) as h:
        ts, response = h.mention("how many customers?")
        assert response.status == 200
        bad = h.post("{}", "application/json", signature="v0=bad")  # a refused request is logged too
        assert bad.status == 401
        message = h.fake.wait_for("chat.postMessage", in_thread(ts, "something went wrong"))[0]
        text = message.body["text"]
        assert (
            len(text) < 200
            and "Traceback" not in text
            and "RuntimeError" not in text
            and "exploded" not in text
        )
        h.fake.wait_for("chat.update", lambda c: c.body["text"].startswith("Failed"))
    logged = "\n".join(r.getMessage() + (r.exc_text or "") for r in caplog.records)
    assert "RuntimeError" in logged and "[redacted" in logged  # the failure is logged, with details
    assert BOT_TOKEN not in logged and SIGNING_SECRET not in logged


def test_rate_limited_web_api_call_is_retried_after_retry_after(home: Path) -> None:
    with running_bot(home, [final("Posted despite the rate limit.")]) as h:
        h.fake.rate_limit("chat.postMessage", retry_after="1")
        ts, response = h.mention("hello")
        assert response.status == 200 and response.seconds < 3
        h.fake.wait_for("chat.postMessage", in_thread(ts, "Posted despite the rate limit."))
        limited = h.fake.of("chat.postMessage", status=429)
        placeholder = h.fake.of("chat.postMessage")[0]
        assert len(limited) == 1 and placeholder.body["text"].startswith("Working")
        assert placeholder.at - limited[0].at >= 1.0


class PlotArgs(BaseModel):
    pass


class PlotResult(BaseModel):
    path: str


def plot_tool() -> AgentTool:
    def run(_args: BaseModel, ctx: ToolContext) -> PlotResult:
        path = ctx.workspace.runs_dir / "segment_map.png"
        path.write_bytes(b"\x89PNG\r\n\x1a\n" + b"fake image bytes")
        ctx.plots.append(path)
        return PlotResult(path=str(path))

    return AgentTool("segment_map", "Plot the segments.", PlotArgs, run)


def test_plots_are_attached_to_the_thread(home: Path) -> None:
    with running_bot(
        home, [{"tool": "segment_map", "arguments": {}}, final("Here is the map.")], tools=[plot_tool()]
    ) as h:
        ts, _ = h.mention("show me the segment map")
        done = h.fake.wait_for("files.completeUploadExternal")[0]
        assert done.body["thread_ts"] == ts and done.body["channel_id"] == "C1"
        upload = h.fake.of("upload")[0]
        assert upload.data == (home / "runs" / "segment_map.png").read_bytes()
        assert h.fake.of("files.getUploadURLExternal")[0].body["filename"] == "segment_map.png"


@pytest.fixture
def twenty(home: Path) -> Iterator[Any]:
    def reply(messages: Any) -> str:
        last = messages[-1]["content"]
        if last.startswith("how many customers"):
            return json.dumps(SUMMARY)
        return json.dumps(final("We have 3,000 customers."))

    with running_bot(home, [reply], workers=4) as h:
        yield h


def test_twenty_mentions_at_once_are_all_acknowledged_and_answered(twenty: Any) -> None:
    h = twenty
    started = time.monotonic()
    threads = [new_ts() for _ in range(20)]
    with ThreadPoolExecutor(max_workers=20) as pool:
        responses = list(pool.map(lambda ts: h.mention("how many customers?", ts=ts)[1], threads))
    assert all(r.status == 200 for r in responses)
    max_ack = max(r.seconds for r in responses)
    assert max_ack < 3.0
    answers = h.fake.wait_for(
        "chat.postMessage", lambda c: "We have 3,000" in str(c.body.get("text")), count=20, timeout=60
    )
    total = time.monotonic() - started
    assert sorted(c.body["thread_ts"] for c in answers) == sorted(threads)
    print(f"\n20 mentions: max ack {max_ack:.3f} s, all 20 answered in {total:.2f} s")


def test_socket_mode_acks_envelopes_at_once_and_drops_retries(home: Path) -> None:
    pytest.importorskip("websockets.sync.server")
    with running_bot(home, [SUMMARY, final("Over the socket: 3,000.")]) as h:
        socket = FakeSocketMode()
        socket.start()
        h.fake.socket_url = socket.url
        handler = h.bot.socket_mode(h.fake.app_token)
        try:
            handler.connect()
            ts = new_ts()
            event = {"type": "app_mention", "user": "U1", "text": "<@UBOT> count", "ts": ts, "channel": "C1"}
            payload = {"type": "event_callback", "team_id": "T1", "event_id": "EvSOCK", "event": event}
            sent = socket.send("env-1", payload)
            assert socket.wait_ack("env-1") - sent < 3.0
            retry_sent = socket.send("env-2", payload, retry_attempt=1)
            assert socket.wait_ack("env-2") - retry_sent < 3.0
            h.fake.wait_for("chat.postMessage", in_thread(ts, "Over the socket: 3,000."))
            time.sleep(0.3)
            assert len(h.model.calls) == 2  # one turn despite the retry
            assert (
                h.fake.of("apps.connections.open")[0].headers["authorization"] == f"Bearer {h.fake.app_token}"
            )
        finally:
            handler.close()
            socket.stop()


def test_unknown_paths_and_oversized_bodies_are_refused(home: Path) -> None:
    import http.client
    from urllib.parse import urlsplit

    with running_bot(home, [final("never")]) as h:
        url = urlsplit(h.server.url)
        for method, path, headers, code in (
            ("GET", "/health", {}, 200),
            ("POST", "/other", {"Content-Length": "2"}, 404),
            ("POST", url.path, {"Content-Length": "2000000"}, 413),  # refused before the body is read
        ):
            conn = http.client.HTTPConnection(url.hostname or "", url.port, timeout=5)
            try:
                conn.putrequest(method, path)
                for key, value in headers.items():
                    conn.putheader(key, value)
                conn.endheaders(b"{}" if method == "POST" else None)
                assert conn.getresponse().status == code
            finally:
                conn.close()
        assert h.model.calls == []
