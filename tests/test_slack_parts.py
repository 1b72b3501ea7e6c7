"""The Slack bot's parts on their own: Block Kit rendering, dedupe, allow-list, secret masking,
settings, and the ``mkt slack`` commands (``serve`` started for real in a subprocess)."""

from __future__ import annotations

import json
import logging
import os
import socket
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
from pathlib import Path
from typing import Any

import pytest
from slack_sdk.models.blocks import Block
from typer.testing import CliRunner

from agent.assistant import Reply
from agent.campaign.brief import (
    AudienceSummary,
    CampaignBrief,
    ChannelPlan,
    CopyCheck,
    CopyVariant,
    RoiForecast,
    StepTiming,
)
from agent.cli.main import app as cli
from agent.slack.blocks import REGENERATE, approval_blocks, brief_blocks, reply_blocks, to_mrkdwn
from agent.slack.guard import AllowList, Approvers, EventDeduper, SecretFilter, redact
from agent.slack.runner import session_id_for
from data.errors import ConfigError
from data.settings import load_settings
from tests.fakes.slack_api import fake_slack_api
from tests.fakes.slack_harness import BOT_TOKEN, SIGNING_SECRET, sign


def validate(blocks: list[dict[str, Any]]) -> None:
    """Every block parses as Block Kit and passes slack_sdk's limits (3,000 characters, ...)."""
    assert 0 < len(blocks) <= 50
    for raw in blocks:
        block = Block.parse(raw)
        assert block is not None, raw
        block.validate_json()


def make_brief(variants: int = 2, body: str = "Your next long run deserves better shoes.") -> CampaignBrief:
    checks = [
        CopyCheck(name="length", passed=True),
        CopyCheck(name="grounding", passed=False, reason="'20%' is not in the offer"),
    ]
    return CampaignBrief(
        request="plan a win-back campaign for high-value customers, email and SMS, 15% off running shoes",
        goal="win_back",
        offer={"discount": "15%", "product": "running shoes"},
        audience=AudienceSummary(
            description="high-value customers at risk",
            size=412,
            total_clv=123456.5,
            mean_clv=299.65,
            mean_churn_risk=0.62,
            segments={"at risk": 300, "big spenders": 112},
            reachable={"email": 380, "sms": 150},
        ),
        channels=[
            ChannelPlan(
                channel="email",
                recipients=380,
                conversion_rate=0.041,
                conversion_interval=(0.03, 0.05),
                cost_per_message=0.01,
                value_per_conversion=80.0,
                expected_value_per_message=3.27,
                reachable=380,
                reason="highest value per send",
            )
        ],
        roi=RoiForecast(
            cost=3.8, expected_conversions=15.6, expected_revenue=1248.0, roi=327.4, budget=2000.0
        ),
        copy_variants=[
            CopyVariant(
                channel="email" if i % 2 == 0 else "sms",
                parts={"subject": f"Come back <{i}> & run", "body": body},
                passed=i % 2 == 0,
                checks=checks,
            )
            for i in range(variants)
        ],
        steps=[StepTiming(step="audience", seconds=0.4), StepTiming(step="copy", seconds=3.1, ok=False)],
        notes=["Budget leaves room for a second wave."],
    )


def test_brief_renders_as_valid_block_kit_with_sections_and_buttons() -> None:
    blocks = brief_blocks(make_brief())
    validate(blocks)
    text = json.dumps(blocks, ensure_ascii=False)
    for expected in (
        "*Audience*",
        "*Channels*",
        "*Incremental ROI forecast*",
        "412 customers",
        "ROI +32740%",
        "email copy",
    ):
        assert expected in text
    assert "&lt;0&gt; &amp; run" in text  # user-visible text is escaped for mrkdwn
    assert "❌ grounding: '20%' is not in the offer" in text and "✅ length" in text
    buttons = [e for b in blocks if b["type"] == "actions" for e in b["elements"]]
    assert [b["action_id"] for b in buttons] == [f"{REGENERATE}:0", f"{REGENERATE}:1"]
    assert json.loads(buttons[1]["value"]) == {"channel": "sms", "variant": 1}


def test_huge_briefs_and_answers_stay_within_slack_limits() -> None:
    reply = Reply(
        text="", brief=make_brief(variants=30, body="word " * 1200), backend="scripted", seconds=1.0
    )
    blocks = reply_blocks(reply)
    validate(blocks)
    assert "shortened" in json.dumps(blocks[-1])
    long_answer = Reply(text="\n".join(f"line {i} " + "x" * 80 for i in range(200)), tool_calls=["clv"])
    blocks = reply_blocks(long_answer)
    validate(blocks)
    assert len(blocks) > 2 and "tools: clv" in json.dumps(blocks[-1])


def test_markdown_becomes_mrkdwn_and_approval_blocks_are_valid() -> None:
    assert to_mrkdwn("## Result\n**3,000** customers <b>") == "*Result*\n*3,000* customers &lt;b&gt;"
    blocks = approval_blocks("abc", "Export 412 customers to CSV", "U1")
    validate(blocks)
    assert [e["value"] for e in blocks[1]["elements"]] == ["abc", "abc"]


def test_session_ids_are_sanitised() -> None:
    assert session_id_for("C1", "1710000000.000100") == "slack-C1-1710000000.000100"
    assert session_id_for("C/1", "slash-U 2") == "slack-C_1-slash-U_2"


def test_deduper_is_bounded_and_thread_safe() -> None:
    dedupe = EventDeduper(max_events=100)
    wins: list[bool] = []
    lock = threading.Lock()

    def offer() -> None:
        for i in range(50):
            result = dedupe.first_time(f"Ev{i}")
            with lock:
                wins.append(result)

    threads = [threading.Thread(target=offer) for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert wins.count(True) == 50  # each id won exactly once across 8 threads
    for i in range(500):
        dedupe.first_time(f"Other{i}")
    assert len(dedupe) == 100
    assert dedupe.first_time("Ev0") is True  # forgotten once evicted
    ttl = EventDeduper(ttl_s=0.05)
    assert ttl.first_time("x") and not ttl.first_time("x")
    time.sleep(0.06)
    assert ttl.first_time("x")


def test_allow_list_channels_groups_and_direct_messages() -> None:
    lookups: list[str] = []

    def members(group: str) -> list[str]:
        lookups.append(group)
        if group == "S_BROKEN":
            raise RuntimeError("missing_scope")
        return ["U_TEAM"] if group == "S_MKT" else []

    allow = AllowList(["C_OK", " S_MKT", "S_BROKEN", "dm", ""], members=members)
    assert allow.allows("C_OK", "U_ANY")
    assert not allow.allows("C_BAD", "U_ANY")
    assert allow.allows("C_BAD", "U_TEAM")
    assert allow.allows("D123", "U_ANY")
    assert not allow.allows(None, None)
    assert lookups.count("S_MKT") == 1  # cached
    assert AllowList([]).allows("C_ANY", "U_ANY")
    assert not AllowList(["C_OK"]).allows("D123", "U_ANY")


def test_redaction_and_secret_filter() -> None:
    text = f"token {BOT_TOKEN} app xapp-1-A1-123-abc secret {SIGNING_SECRET}"
    clean = redact(text, [SIGNING_SECRET])
    assert BOT_TOKEN not in clean and "xapp-1" not in clean and SIGNING_SECRET not in clean
    record = logging.LogRecord("x", logging.ERROR, __file__, 1, "failed with %s", (BOT_TOKEN,), None)
    try:
        raise ValueError(SIGNING_SECRET)
    except ValueError:
        record.exc_info = sys.exc_info()
    assert SecretFilter([SIGNING_SECRET]).filter(record)
    assert BOT_TOKEN not in record.getMessage() and "failed with [redacted token]" == record.getMessage()
    assert record.exc_text and SIGNING_SECRET not in record.exc_text and "ValueError" in record.exc_text


def test_allowed_channels_setting_accepts_json_or_commas(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("MKT_SLACK_ALLOWED_CHANNELS", "C1, S2,dm")
    assert load_settings().slack_allowed_channels == ["C1", "S2", "dm"]
    monkeypatch.setenv("MKT_SLACK_ALLOWED_CHANNELS", '["C1", "C2"]')
    assert load_settings().slack_allowed_channels == ["C1", "C2"]
    monkeypatch.setenv("MKT_SLACK_ALLOWED_CHANNELS", '["C1",')
    with pytest.raises(ConfigError, match="slack_allowed_channels"):
        load_settings()


def test_cli_help_and_missing_tokens(monkeypatch: pytest.MonkeyPatch) -> None:
    runner = CliRunner()
    result = runner.invoke(cli, ["slack", "--help"])
    assert result.exit_code == 0 and "run" in result.output and "serve" in result.output
    for name in ("SLACK_BOT_TOKEN", "SLACK_APP_TOKEN", "SLACK_SIGNING_SECRET"):
        monkeypatch.delenv(name, raising=False)
    result = runner.invoke(cli, ["slack", "serve"])
    assert result.exit_code == 2 and "SLACK_BOT_TOKEN" in result.output
    result = runner.invoke(cli, ["slack", "run"])
    assert result.exit_code == 2 and "SLACK_APP_TOKEN" in result.output


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.mark.slow
def test_mkt_slack_serve_answers_signed_requests_only(isolated_home: Path) -> None:
    port = _free_port()
    with fake_slack_api(token=BOT_TOKEN) as fake:
        env = {
            **os.environ,
            "SLACK_BOT_TOKEN": BOT_TOKEN,
            "SLACK_SIGNING_SECRET": SIGNING_SECRET,
            "MKT_SLACK_API_URL": fake.api_url,
            "MKT_HOME": str(isolated_home),
        }
        cmd = [
            sys.executable,
            "-m",
            "agent.cli.main",
            "slack",
            "serve",
            "--host",
            "127.0.0.1",
            "--port",
            str(port),
        ]
        proc = subprocess.Popen(cmd, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
        try:
            url = f"http://127.0.0.1:{port}"
            deadline = time.monotonic() + 30
            while True:
                try:
                    with urllib.request.urlopen(url + "/health", timeout=1) as resp:
                        assert resp.read() == b"ok"
                        break
                except (urllib.error.URLError, ConnectionError):
                    assert proc.poll() is None, proc.stdout.read() if proc.stdout else ""
                    assert time.monotonic() < deadline, "server did not start"
                    time.sleep(0.2)
            body = json.dumps({"type": "url_verification", "challenge": "c-123", "token": "x"})
            ts = str(int(time.time()))
            request = urllib.request.Request(
                url + "/slack/events",
                data=body.encode(),
                headers={
                    "Content-Type": "application/json",
                    "X-Slack-Request-Timestamp": ts,
                    "X-Slack-Signature": sign(body, ts),
                },
            )
            with urllib.request.urlopen(request, timeout=5) as resp:
                assert resp.status == 200 and json.loads(resp.read())["challenge"] == "c-123"
            request.headers["X-slack-signature"] = "v0=" + "1" * 64
            with pytest.raises(urllib.error.HTTPError) as err:
                urllib.request.urlopen(request, timeout=5)
            with err.value:
                assert err.value.code == 401
            assert fake.of("auth.test")  # the token was checked at start
        finally:
            proc.terminate()
            output, _ = proc.communicate(timeout=10)
    assert "listening on" in output
    assert BOT_TOKEN not in output and SIGNING_SECRET not in output


def test_approvers_are_listed_users_and_group_members_only() -> None:
    lookups: list[str] = []

    def members(group: str) -> list[str]:
        lookups.append(group)
        return ["U_LEAD"] if group == "S_LEADS" else []

    approvers = Approvers(["U_BOSS", " S_LEADS "], members)
    assert [approvers(u) for u in ("U_BOSS", "U_LEAD", "U_OTHER", None, "")] == [
        True,
        True,
        False,
        False,
        False,
    ]
    assert Approvers([])("U_BOSS") is False  # none configured: only the requester decides
    assert lookups == ["S_LEADS"]  # cached
