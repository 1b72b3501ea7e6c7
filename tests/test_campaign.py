"""The campaign planner end to end: request reading, the plan under a schema, the tools, the brief.

Runs on real components (DuckDB warehouse, Chroma knowledge base with the packaged embedding model,
the real tools) with a scripted chat model; the packaged local model is used where the issue asks
for it (a plan and a tool call generated under a JSON-schema constraint).
"""

from __future__ import annotations

import json
import re
import subprocess
import sys
from collections.abc import Sequence
from pathlib import Path

import duckdb
import numpy as np
import pytest

from agent.assistant import Assistant
from agent.campaign.request import CampaignPlan, looks_like_campaign, merge_plan, read_request
from agent.loop import Limits, StepEvent
from agent.session import Session
from data.loader import load_files
from data.settings import Settings, load_settings
from data.synth.generate import GeneratedData
from data.workspace import Workspace
from tests.fakes.scripted_model import ScriptedModel
from tools.chat_model import Message

DEMO = (
    "plan a win-back campaign for high-value customers at risk of churning, email and SMS, "
    "15% off running shoes, budget 2,000"
)


def test_the_request_states_its_facts() -> None:
    req = read_request(DEMO)
    assert (req.goal, req.risk, req.value) == ("win_back", "at_risk", "high_value")
    assert req.channels == ["email", "sms"] and req.discount == "15%" and req.budget == 2000.0
    assert req.product == "running shoes"
    other = read_request(
        "Run a promo: $20 off the Ridgeback 3 trail shoe via email, budget $5k, code TRAIL20 until 2026-12-31"
    )
    assert other.discount == "$20" and other.budget == 5000.0 and other.code == "TRAIL20"
    assert other.product == "ridgeback 3 trail shoe" and str(other.deadline) == "2026-12-31"
    assert (other.risk, other.value) == ("any", "any") and other.goal == "promotion"
    bare = read_request("campaign for everyone")
    assert bare.channels == [] and bare.discount is None and bare.budget is None
    assert bare.stated == ["risk", "value"]  # "everyone": no churn or value filter, whatever the goal


def test_campaigns_and_questions_are_told_apart() -> None:
    assert looks_like_campaign(DEMO)
    assert looks_like_campaign("Set up a promo for apparel by push")
    assert not looks_like_campaign("how many customers do we have?")
    assert not looks_like_campaign("which campaign converted best?")


def test_the_model_chooses_only_the_goal_and_only_when_the_text_is_silent() -> None:
    stated = merge_plan(
        read_request("re-engage lapsed customers by email with 10% off apparel"), CampaignPlan(goal="launch")
    )
    assert (stated.goal, stated.risk, stated.value) == ("reactivation", "at_risk", "any")  # the text wins
    open_goal = read_request("a campaign by email")
    assert merge_plan(open_goal, CampaignPlan(goal="upsell")).goal == "upsell"
    # The audience is never the model's guess: a guessed win-back goal does not narrow it ...
    assert merge_plan(open_goal, CampaignPlan(goal="win_back")).risk == "any"
    # ... while a stated one targets customers at risk.
    assert read_request("a win-back campaign by email").risk == "at_risk"


def test_channels_and_products_are_not_confused() -> None:
    insta = read_request("Promo on Instagram for the Hydration vest 8L, budget 1,200")
    assert insta.channels == ["social"] and insta.product == "hydration vest 8l"
    texts = read_request(
        "We want to win back lapsed big spenders with 30% off via email and text messages, budget 2.5k"
    )
    assert texts.channels == ["email", "sms"] and texts.budget == 2500 and texts.value == "high_value"
    coded = read_request(
        "Campaign to keep at-risk customers: email plus SMS, 15% off with code STAY15 until 2026-11-30"
    )
    assert coded.product is None and coded.code == "STAY15" and str(coded.deadline) == "2026-11-30"
    social = read_request("Draft an offer for big spenders on social and paid ads, budget 10k")
    assert social.product is None and social.channels == ["social", "ads"] and social.budget == 10000


# --- end to end on a real workspace ---------------------------------------------------------


@pytest.fixture(scope="module")
def settings(sample_data: GeneratedData, tmp_path_factory: pytest.TempPathFactory) -> Settings:
    """A workspace with the sample data loaded and the brand guide and products ingested."""
    from knowledge.ingest import ingest
    from knowledge.store import KnowledgeStore

    home = tmp_path_factory.mktemp("campaign-home")
    settings = load_settings(home=home)
    load_files(Workspace(home).ensure(), sample_data.tables)
    docs = sample_data.knowledge_dir
    ingest(KnowledgeStore.open(settings), [docs / "brand_guide.md", docs / "products.csv"])
    return settings


HEADLINES = ["Lace up again", "Back on the trail", "Fresh legs, fresh miles", "Your route is waiting"]
OPENINGS = [
    "Your next long run is waiting for you. We kept your favourite trails warm.",
    "The season is turning and the trails are calling. Come back and run with us.",
    "Every comeback starts with one easy mile. Let us help you take it.",
    "Good shoes make the first step easier. Find a pair that feels like home.",
]


def copywriter(messages: Sequence[Message]) -> str:
    """Answers the copy prompts with plain on-brand lines (no numbers: the offer is added in code)."""
    prompt = messages[-1]["content"]
    lines = OPENINGS if "two short sentences" in prompt else HEADLINES
    return lines[sum(len(m["content"]) for m in messages) % len(lines)]


def run(
    settings: Settings, text: str, model: ScriptedModel, **kwargs: object
) -> tuple[object, list[StepEvent], Session]:
    workspace = Workspace.from_settings(settings)
    assistant = Assistant(settings, workspace, model=model, **kwargs)  # type: ignore[arg-type]
    session = Session.open(workspace.runs_dir, None)
    events: list[StepEvent] = []
    reply = assistant.respond(session, text, on_event=events.append)
    return reply, events, session


def independent_audience(settings: Settings, churn: dict[str, float]) -> set[str]:
    """The audience recomputed from the warehouse: top 20% by spend to date, P(churn) >= 0.5."""
    with duckdb.connect(str(Workspace.from_settings(settings).warehouse), read_only=True) as con:
        rows = con.execute("SELECT customer_id, sum(amount) FROM transactions GROUP BY 1").fetchall()
    spend = {cid: float(total) for cid, total in rows}
    cut = float(np.quantile(list(spend.values()), 0.8))
    return {cid for cid, total in spend.items() if total >= cut and churn.get(cid, 0.0) >= 0.5}


def test_demo_request_gives_a_consistent_brief(settings: Settings) -> None:
    model = ScriptedModel([copywriter])
    reply, events, session = run(settings, DEMO, model)
    brief = reply.brief  # type: ignore[attr-defined]
    assert brief is not None, reply.text  # type: ignore[attr-defined]
    # Every step ran, in order, and was reported as it started and ended.
    steps = [s.step for s in brief.steps]
    assert steps[:7] == [
        "plan",
        "segment customers",
        "score churn",
        "compute CLV",
        "select audience",
        "pick channels within budget",
        "forecast ROI",
    ]
    assert {"write email copy", "write sms copy"} <= set(steps) and all(s.ok for s in brief.steps)
    done = [e.data["step"] for e in events if e.kind == "step" and e.data["status"] == "done"]
    assert done == steps
    assert reply.tool_calls[:6] == [  # type: ignore[attr-defined]
        "segment_customers",
        "score_churn",
        "calculate_clv",
        "select_audience",
        "select_channels",
        "forecast_roi",
    ]
    # The audience (recomputed independently in the next test).
    assert brief.audience.size > 0 and "at risk" in brief.audience.description
    # Channels: only the requested ones, within consent and budget; ROI adds up.
    assert [c.channel for c in brief.channels] == ["email", "sms"]
    assert sum(c.recipients for c in brief.channels) <= brief.audience.size
    for c in brief.channels:
        assert c.recipients <= c.reachable <= brief.audience.size
    assert brief.roi.within_budget and brief.roi.cost <= 2000
    spend = sum(c.recipients * c.cost_per_message for c in brief.channels)
    assert brief.roi.cost == pytest.approx(spend, abs=0.02)
    base = brief.roi.baseline.rate if brief.roi.baseline else 0.0
    revenue = sum(
        c.recipients * max(c.conversion_rate, base) * c.value_per_conversion * 0.85 for c in brief.channels
    )
    assert brief.roi.expected_revenue == pytest.approx(revenue, rel=1e-3)
    # Economics: the SMS estimate borrows from the whole base (not the audience's few sends alone);
    # a randomised control group is held out and never sent to; ROI is incremental, as a percentage.
    sms = next(c for c in brief.channels if c.channel == "sms")
    assert sms.conversion_rate > 0.01 and sms.reason
    assert (
        brief.control is not None and brief.control.size + brief.control.treatment_size == brief.audience.size
    )
    assert sum(c.recipients for c in brief.channels) <= brief.control.treatment_size
    assert 0 <= brief.roi.incremental_conversions <= brief.roi.expected_conversions
    assert "MKT_MARGIN" in brief.roi.value_basis
    assert (
        brief.roi.roi_text().endswith("%)") if brief.roi.cost > 0 else brief.roi.roi_text().startswith("n/a")
    )
    assert brief.roi.cost + sum(o.cost for o in brief.budget_options if o.kind == "tier") <= 2000
    # Copy: two checked variants per requested channel, stating the offer as given.
    assert [v.channel for v in brief.copy_variants] == ["email", "email", "sms", "sms"]
    for variant in brief.copy_variants:
        assert variant.passed and {c.name for c in variant.checks} >= {"length", "grounding", "compliance"}
        assert "15%" in " ".join(variant.parts.values())
    # Plots and the HTML report are written under runs/, and the reply points at them.
    report = Path(reply.report)  # type: ignore[attr-defined]
    assert report.exists() and report.parent.parent.parent == Workspace.from_settings(settings).runs_dir
    html = report.read_text()
    assert html.count("data:image/png;base64") == len(brief.plots) == 4
    assert f"{brief.audience.size:,}" in html and "forecast ROI" in html
    saved = json.loads((report.parent / "brief.json").read_text())
    assert saved["roi"]["cost"] == brief.roi.cost
    assert saved["budget_options"] and all(
        {"audience_size", "cost", "expected_incremental_return"} <= set(o) for o in saved["budget_options"]
    )
    assert [Path(p).name for p in brief.plots] == [
        "segment_map.png",
        "audience_clv.png",
        "audience_churn.png",
        "channel_value.png",
    ]


def test_the_audience_matches_an_independent_computation(settings: Settings) -> None:
    from agent.catalog import default_tools
    from agent.toolbox import ToolContext, run_tool

    tools = {t.name: t for t in default_tools()}
    ctx = ToolContext(settings=settings, workspace=Workspace.from_settings(settings), tools=tools)
    call = run_tool(tools["select_audience"], {"risk": "at_risk", "value": "high_value"}, ctx)
    # The audience needed churn scores and CLV: both ran through run_tool, so both were recorded.
    assert [name for name, _ in ctx.calls] == ["select_audience", "score_churn", "calculate_clv"]
    assert ctx.state.churn is not None and ctx.state.audience is not None
    probs = ctx.state.churn.to_dict()
    assert call.result.size == len(independent_audience(settings, probs)) > 0  # type: ignore[union-attr]
    assert set(ctx.state.audience.customer_ids) == independent_audience(settings, probs)


def test_an_unusable_plan_falls_back_to_the_request_and_says_so(settings: Settings) -> None:
    model = ScriptedModel(["this is not json", copywriter])
    reply, _events, _session = run(settings, "set up a campaign by email", model, copy_variants=0)
    brief = reply.brief  # type: ignore[attr-defined]
    assert brief is not None and any("the model's plan was unusable" in n for n in brief.notes)
    assert brief.goal == "promotion" and [c.channel for c in brief.channels] == ["email"]
    assert "write_copy" not in reply.tool_calls  # type: ignore[attr-defined]


def test_a_plan_from_the_model_is_used_where_the_text_is_silent(settings: Settings) -> None:
    model = ScriptedModel([{"goal": "win_back"}])
    reply, _events, _session = run(settings, "set up a campaign by push and email", model, copy_variants=0)
    brief = reply.brief  # type: ignore[attr-defined]
    assert brief.goal == "win-back" and brief.audience.description.startswith("customers (everyone")
    schema = model.calls[0]["messages"]
    assert "Request: set up a campaign by push and email" in schema[-1]["content"]


def test_a_failing_essential_step_ends_with_an_answer_not_a_crash(tmp_path: Path) -> None:
    settings = load_settings(home=tmp_path / "empty")
    reply, events, _session = run(settings, DEMO, ScriptedModel([copywriter]))
    assert reply.brief is None and reply.stop_reason == "step failed"  # type: ignore[attr-defined]
    assert "could not finish the campaign plan" in reply.text and "mkt data" in reply.text  # type: ignore[attr-defined]
    assert any(e.kind == "step" and e.data["status"] == "failed" for e in events)


# --- approval and PII -----------------------------------------------------------------------


def test_exporting_an_audience_asks_first_and_stays_in_the_workspace(settings: Settings) -> None:
    # The model's path is only a name hint: the file lands under the workspace's exports/ folder.
    script = [
        {"tool": "select_audience", "arguments": {"risk": "any", "value": "high_value"}},
        {"tool": "export_audience", "arguments": {"name": "/etc/../../tmp/winback.csv"}},
        {"tool": "final_answer", "arguments": {"answer": "done"}},
    ]
    workspace = Workspace.from_settings(settings)
    exports = workspace.home / "exports"
    asked: list[str] = []
    for decision in (False, True, True):

        def approve(action: str, decision: bool = decision) -> bool:
            asked.append(action)
            return decision

        assistant = Assistant(settings, workspace, model=ScriptedModel(script))
        session = Session.open(workspace.runs_dir, None)
        reply = assistant.respond(session, "export the high-value customers", approve=approve)
        if not decision:
            assert not exports.exists() and "nothing was written" in reply.text
    # Refused, then approved twice: the second export never overwrites the first.
    assert sorted(p.name for p in exports.glob("*.csv")) == ["winback-2.csv", "winback.csv"]
    assert asked[0] == asked[1] and asked[0].endswith(f"to {exports / 'winback.csv'}")
    assert "customer ids, no contact details" in asked[0]
    # The randomised control group travels with the audience: a column and a sidecar with its power.
    rows = (exports / "winback.csv").read_text().splitlines()
    assert rows[0] == "customer_id,segment,test_group"
    held = [r for r in rows[1:] if r.endswith(",control")]
    sidecar = json.loads((exports / "winback.control.json").read_text())
    assert len(held) == sidecar["size"] > 0 and 0 <= sidecar["power"] <= 1
    assert sidecar["size"] + sidecar["treatment_size"] == len(rows) - 1


def test_exporting_without_an_audience_says_so_before_asking(settings: Settings) -> None:
    script = [
        {"tool": "export_audience", "arguments": {"name": "list"}},
        {"tool": "final_answer", "arguments": {"answer": "Exported."}},
    ]
    workspace = Workspace.from_settings(settings)
    before = set((workspace.home / "exports").glob("*"))
    asked: list[str] = []
    assistant = Assistant(settings, workspace, model=ScriptedModel(script))
    reply = assistant.respond(Session.open(workspace.runs_dir, None), "export it", approve=asked.append)
    assert asked == [] and set((workspace.home / "exports").glob("*")) == before
    assert "no audience is selected yet" in reply.text


def test_emails_and_phones_never_reach_the_model(settings: Settings, sample_data: GeneratedData) -> None:
    with duckdb.connect(str(Workspace.from_settings(settings).warehouse), read_only=True) as con:
        contacts = con.execute(
            "SELECT customer_id, email, phone FROM customers WHERE email IS NOT NULL LIMIT 1"
        ).fetchall()[0]
    cid, email, phone = contacts
    question = f"what do we know about {cid}? their email is {email} and phone {phone}"
    script = [
        {"tool": "customer_profile", "arguments": {"customer_id": cid}},
        {"tool": "final_answer", "arguments": {"answer": "ok"}},
    ]
    model = ScriptedModel(script)
    _reply, _events, session = run(settings, question, model)
    _reply2, _events2, _s = run(settings, DEMO, ScriptedModel([copywriter]))
    sent = json.dumps([c["messages"] for c in model.calls])
    assert cid in sent and "[email]" in sent or "redacted" in sent.lower()
    logged = session.trace_file.read_text() + (session.folder / "history.json").read_text()
    with duckdb.connect(str(Workspace.from_settings(settings).warehouse), read_only=True) as con:
        everyone = con.execute("SELECT email, phone FROM customers").fetchall()
    for text in (sent, logged):
        for mail, tel in everyone:
            assert not mail or mail not in text
            assert not tel or tel not in text
        assert not re.search(r"[\w.+-]+@[\w-]+\.[\w.]+", text)


def test_mkt_help_does_not_load_the_heavy_libraries() -> None:
    code = (
        "import sys; from agent.cli.main import app\n"
        "from typer.testing import CliRunner\n"
        "CliRunner().invoke(app, ['--help'])\n"
        "print(sorted(m for m in ('torch', 'transformers', 'chromadb', 'slack_bolt') if m in sys.modules))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"


def test_each_sessions_model_calls_go_to_its_own_log(settings: Settings) -> None:
    """One model serves parallel conversations (Slack); every call lands in its own session's log."""
    import threading

    from tests.fakes.openai_server import fake_openai_server

    with fake_openai_server() as server:
        endpoint = settings.model_copy(update={"llm_base_url": server.base_url, "llm_max_retries": 0})
        workspace = Workspace.from_settings(endpoint)
        assistant = Assistant(endpoint, workspace, limits=Limits(max_model_calls=2, max_errors=1))
        sessions = [Session.open(workspace.runs_dir, f"parallel-{i}") for i in range(2)]
        threads = [
            threading.Thread(target=assistant.respond, args=(s, f"question number {i} for the log"))
            for i, s in enumerate(sessions)
        ]
        for t in threads:
            t.start()
        for t in threads:
            t.join(timeout=60)
    for i, session in enumerate(sessions):
        records = [json.loads(line) for line in session.llm_log_file.read_text().splitlines()]
        assert records and all(f"question number {i} for" in json.dumps(r["request"]) for r in records)
        assert not any(f"question number {1 - i} for" in json.dumps(r["request"]) for r in records)


def test_the_brief_shows_the_audiences_make_up_on_sensitive_attributes(
    sample_data: GeneratedData, tmp_path: Path
) -> None:
    """Customers with little spend are planted as one gender: a high-value audience under-selects it."""
    import pandas as pd

    customers = pd.read_csv(sample_data.tables["customers"])
    spend = pd.read_csv(sample_data.tables["transactions"]).groupby("customer_id")["amount"].sum()
    low = customers["customer_id"].map(spend).fillna(0.0) < spend.median()
    customers["gender"] = np.where(low, "F", "M")
    customers["age"] = 30 + (np.arange(len(customers)) % 40)
    path = tmp_path / "customers.csv"
    customers.to_csv(path, index=False)
    settings = load_settings(home=tmp_path / "home")
    load_files(Workspace(settings.home).ensure(), {**sample_data.tables, "customers": path})

    reply, _, _ = run(settings, DEMO, ScriptedModel([copywriter]), copy_variants=0)
    fairness = reply.brief.fairness  # type: ignore[attr-defined]
    assert fairness is not None and fairness.attributes == ["age", "gender"]
    women = next(g for g in fairness.groups if (g.attribute, g.group) == ("gender", "F"))
    assert women.flagged and women.impact_ratio < 0.8
    text = reply.text  # type: ignore[attr-defined]
    assert "### Fair targeting" in text and "gender | F" in text and "(below 4/5)" in text
    html = (Path(reply.brief.plots[0]).parent / "report.html").read_text()  # type: ignore[attr-defined]
    assert "Fair targeting" in html


def test_the_control_group_is_drawn_from_the_customers_the_plan_would_send_to(
    settings: Settings, tmp_path: Path
) -> None:
    """Treatment (those sent) and control (held back) come from the same customers: no selection bias."""
    from agent.catalog import default_tools
    from agent.toolbox import ToolContext, run_tool
    from tools.channel.plan import plan_channels

    tools = {t.name: t for t in default_tools()}
    workspace = Workspace.from_settings(settings)
    ctx = ToolContext(settings=settings, workspace=workspace, tools=tools)
    run_tool(tools["select_audience"], {"value": "high_value"}, ctx)
    audience = ctx.state.audience
    assert audience is not None
    offered: list[str] = []

    def hold(_plan: object, recipients: list[str]) -> set[str]:
        offered.extend(recipients)
        return set(recipients[:5])

    with duckdb.connect(str(workspace.warehouse), read_only=True) as con:
        plan = plan_channels(
            con, audience, ["email", "sms"], budget=None, seed=7, folder=tmp_path, hold_out=hold
        )
        consenting = {
            str(r[0])
            for r in con.execute(
                "SELECT customer_id FROM customers WHERE consent_email OR consent_sms"
            ).fetchall()
        }
    assert offered and set(offered) <= set(audience.customer_ids) & consenting
    assert len(offered) < audience.summary.size, "customers nobody can reach are not in the pool"
    assert sum(c.recipients for c in plan.channels) == len(offered) - 5
