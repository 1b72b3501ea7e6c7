"""The copy generator: code-assembled structure, the guardrail loop, the real local model, ``mkt copy``."""

from __future__ import annotations

import json
import math
import time
from collections.abc import Iterator, Sequence
from datetime import date
from pathlib import Path

import pytest
from typer.testing import CliRunner

import agent.copy_eval  # noqa: F401 - registers the "copy" generator
from agent.cli.main import app
from agent.llm import LocalChatModel
from data.errors import ConfigError
from data.synth.documents import BRAND_GUIDE, POSTAL_ADDRESS
from evals.checks import check_copy
from evals.generators import GenerationRequest, resolve_generator
from evals.metrics.grammar import is_plural
from evals.metrics.grounding import offer_facts
from evals.metrics.length import sms_segments
from evals.types import CopyDraft
from prompts import load_prompt
from tests.fakes.openai_server import FakeOpenAIServer, fake_openai_server
from tests.fakes.scripted_model import ScriptedModel
from tools.chat_model import Message, chat_batch
from tools.copy import (
    CatalogueItem,
    CopyRequest,
    OfferFacts,
    SegmentProfile,
    brand_from_text,
    check_context,
    generate_copy,
    ground_offer,
)
from tools.copy.compose import CHANNEL_LINES, assemble, clean_line

OFFER = OfferFacts(
    product="Ridgeback 3 trail shoe",
    features="aggressive grip, rock plate",
    price=139,
    discount="15%",
    code="RUN15",
    deadline=date(2026, 12, 31),
)
BRAND = brand_from_text(BRAND_GUIDE)


def _request(channel: str, variants: int = 1, **extra: object) -> CopyRequest:
    return CopyRequest.model_validate(
        {
            "channel": channel,
            "offer": OFFER,
            "brand": BRAND,
            "segment": SegmentProfile(name="at risk", description="runners we have not seen for a while"),
            "variants": variants,
            **extra,
        }
    )


def test_brand_guide_gives_name_voice_examples_and_address() -> None:
    assert BRAND.name == "Trailhead Running Co."
    assert BRAND.postal_address == POSTAL_ADDRESS
    assert BRAND.voice.startswith("Warm, encouraging")
    assert len(BRAND.examples) == 5


def test_clean_line_keeps_only_the_usable_words() -> None:
    facts = offer_facts(check_context(_request("email")))
    subject = CHANNEL_LINES["email"][0]
    raw = 'Subject line: "Ridgeback 3: GRIP that lasts!!! 🏃 #trail [Your Name]"\n\nSubject: again'
    assert clean_line(raw, subject, facts).text == "Ridgeback 3: Grip that lasts"
    opening = CHANNEL_LINES["email"][1]
    raw = "Only 2 pairs left at $89. The Ridgeback 3 grips wet rock. You will love it."
    cleaned = clean_line(raw, opening, facts)
    assert cleaned.text == "The Ridgeback 3 grips wet rock. You will love it."
    assert "2" in cleaned.dropped[0] and "$89" in cleaned.dropped[0]
    assert clean_line("The trail goes on...", CHANNEL_LINES["sms"][0], facts).text == "The trail goes on."
    long = "Ridgeback " + "really " * 20 + "grippy"
    fitted = clean_line(long, subject, facts).text
    assert len(fitted) <= 60 and not fitted.endswith(" ")


def test_email_is_assembled_with_facts_verbatim_and_compliance_lines() -> None:
    request = _request("email")
    parts, used = assemble(request, {"subject": "Fresh legs for the trail", "opening": "We miss you."}, 0)
    assert parts["subject"] == "Fresh legs for the trail"
    body = parts["body"]
    assert body.startswith("Hi {{first_name}},")
    assert (
        "Take 15% off the Ridgeback 3 trail shoe (regular price $139) with code RUN15 until December 31, 2026."
        in body
    )
    assert "{{unsubscribe_url}}" in body and POSTAL_ADDRESS in body
    assert len(parts["preheader"]) <= 100 and "RUN15" in parts["preheader"]
    assert used == {
        "product": "Ridgeback 3 trail shoe",
        "discount": "15%",
        "price": "$139",
        "code": "RUN15",
        "deadline": "December 31, 2026",
    }
    report = check_copy(CopyDraft(channel="email", parts=parts), check_context(request))
    assert report.passed, report.failures


@pytest.mark.parametrize("channel", ["sms", "push", "ads", "social"])
def test_every_channel_fits_its_limits_and_passes_the_guardrail(channel: str) -> None:
    request = _request(channel)
    lines = {s.part: "Fresh legs for the trail" for s in CHANNEL_LINES[channel]}
    parts, used = assemble(request, lines, 1)
    report = check_copy(CopyDraft(channel=channel, parts=parts), check_context(request))
    assert report.passed, report.failures
    assert used["product"] == "Ridgeback 3 trail shoe" and used["discount"] == "15%"
    if channel == "sms":
        assert parts["text"].startswith("Trailhead Running Co.:")
        assert parts["text"].endswith("Claim your offer. Reply STOP to opt out.")
        count = sms_segments(parts["text"])
        assert (count.encoding, count.segments) == ("GSM-7", 1)


def _angle_of(messages: Sequence[Message]) -> str:
    return messages[-1]["content"].split("Angle: ", 1)[1].split(".", 1)[0]


LINES_BY_ANGLE = {
    "what the product does for the customer": "Fresh legs on every trail",
    "one concrete product fact": "Grip that holds on wet rock",
    "the offer ends soon, so now is the time": "Your trail season starts now",
    "the reader is one of the people who have not shopped with us for a while": "The trail has missed you",
}


def _by_angle(messages: Sequence[Message]) -> str:
    angle = _angle_of(messages)
    return next(line for key, line in LINES_BY_ANGLE.items() if angle.startswith(key))


def test_one_candidate_per_angle_and_the_variants_differ_in_angle_and_words() -> None:
    model = ScriptedModel([_by_angle])
    result = generate_copy(_request("push", variants=3), model)
    angles = [_angle_of(m) for m in model.sent]
    assert len(angles) == 4 and len(set(angles)) == 4  # benefit, detail, urgency (deadline), situation
    assert result.passed == 3 and result.candidates == 4
    titles = [v.parts["title"] for v in result.variants]
    assert len(set(titles)) == 3 and set(titles) <= set(LINES_BY_ANGLE.values())
    assert len({v.angle for v in result.variants}) == 3
    assert len({v.parts["body"].rsplit(". ", 1)[1] for v in result.variants}) == 3  # a CTA each
    no_deadline = _request("push", offer=OFFER.model_copy(update={"deadline": None}))
    model = ScriptedModel([_by_angle])
    generate_copy(no_deadline, model)
    assert not any("ends soon" in a for a in (_angle_of(m) for m in model.sent))


def test_lines_a_reader_rejects_are_never_chosen_and_template_lines_fill_in() -> None:
    bad = [
        "I'd be happy to help refine this answer so it meets your requirements",
        "The Trail Shoes are the best in the market",
        "Email subject line, at most 8 words",
        "Fresh legs for the trail and",
    ]
    model = ScriptedModel(bad)
    result = generate_copy(_request("push", variants=2), model)
    titles = [v.parts["title"] for v in result.variants]
    assert all(t not in bad for t in titles)
    assert result.passed == 2 and all(v.passed for v in result.variants)
    templates = load_prompt("copy_templates").raw("languages")["en"]["lines"]["headline"]
    expected = {t.format(product="Ridgeback 3 trail shoe", the="the") for t in templates.values()}
    assert set(titles) <= expected
    assert all(any("template line" in w for w in v.warnings) for v in result.variants)
    # Round two sampled with the failed lines and their reasons fed back.
    retry = model.calls[-1]
    assert retry["temperature"] > 0 and "talks to the requester" in retry["messages"][-1]["content"]


def test_no_later_round_starts_that_would_end_past_the_time_budget() -> None:
    def slow_and_bad(messages: Sequence[Message]) -> str:
        time.sleep(0.05)
        return "I'd be happy to help with this push for your customers."

    unbounded = ScriptedModel([slow_and_bad])
    two_rounds = generate_copy(_request("push", variants=2, max_seconds=math.inf), unbounded).seconds
    model = ScriptedModel([slow_and_bad])
    result = generate_copy(_request("push", variants=2, max_seconds=0.75 * two_rounds), model)
    assert len(model.sent) == len(unbounded.sent) // 2  # round one only: two would take ~4/3 of the budget
    assert any("budget" in n for n in result.notes)
    assert result.passed == 2 and all(v.template_parts for v in result.variants)  # template lines fill in


def test_a_later_round_writes_again_only_the_slots_that_failed() -> None:
    def subject_ok_opening_bad(messages: Sequence[Message]) -> str:
        if "two short sentences" in messages[-1]["content"]:
            return "I'd be happy to help with this email for your customers."
        return _by_angle(messages)

    model = ScriptedModel([subject_ok_opening_bad])
    result = generate_copy(_request("email", variants=2, max_attempts=2), model)
    tasks = [m[-1]["content"] for m in model.sent]
    openings = [t for t in tasks if "two short sentences" in t]
    subjects = [t for t in tasks if "two short sentences" not in t]
    assert len(subjects) == 4 and len(openings) == 8  # subjects once (4 angles), openings in both rounds
    assert result.model_calls == 12 and result.passed == 2


def test_when_nothing_passes_the_best_attempt_is_shown_as_not_sendable() -> None:
    no_address = BRAND.model_copy(update={"postal_address": None})
    result = generate_copy(_request("email", variants=2, brand=no_address), ScriptedModel([_by_angle]))
    assert result.passed == 0 and not result.sendable and len(result.variants) == 1
    variant = result.variants[0]
    assert not variant.passed and any("postal address" in f for f in variant.failures)
    assert "do not send" in result.summary() and any("do not send" in n for n in result.notes)


def test_the_product_name_and_facts_come_from_the_catalogue() -> None:
    catalogue = [
        CatalogueItem(
            name="Ridgeback 3 trail shoe", category="running shoes", description="rock plate, 4 mm drop"
        ),
        CatalogueItem(name="Cloudline 2 road shoe", category="running shoes", description="max cushioning"),
    ]
    model = ScriptedModel([_by_angle])
    offer = OfferFacts(product="ridgeback 3", discount="15%")
    result = generate_copy(_request("sms", offer=offer, catalogue=catalogue), model)
    text = result.variants[0].parts["text"]
    assert "Take 15% off the Ridgeback 3 trail shoe." in text
    assert "Product: Ridgeback 3 trail shoe (rock plate, 4 mm drop)" in model.sent[0][-1]["content"]
    category = ground_offer(OfferFacts(product="Running shoes"), catalogue)
    assert category.product == "Running shoes"
    assert category.features == "Ridgeback 3 trail shoe, Cloudline 2 road shoe"


def test_a_plural_product_never_gets_a_singular_verb() -> None:
    catalogue = [
        CatalogueItem(name="Ridgeback 3 trail shoe", category="running shoes", description="rock plate"),
        CatalogueItem(name="Cloudline 2 road shoe", category="running shoes", description="max cushioning"),
    ]
    offer = OfferFacts(product="running shoes", discount="15%", deadline=date(2026, 12, 31))
    model = ScriptedModel(["The running shoes is light and fast. It has a grip you will feel."])
    result = generate_copy(_request("email", variants=2, offer=offer, catalogue=catalogue), model)
    bodies = [v.parts["body"] for v in result.variants]
    assert result.passed == 2 and not any("shoes is" in b for b in bodies)
    assert all(v.passed for v in result.variants)
    assert not any("light and fast" in b for b in bodies)  # the model's line was screened out
    situation = load_prompt("copy_templates").raw("languages")["en"]["lines"]["opening"]["situation"]
    line = situation.format_map(
        {"product": offer.product, "is": "are" if is_plural(offer.product) else "is", "the": "our"}
    )
    assert "We think our running shoes are a good reason" in line
    assert all("Take 15% off our running shoes until" in b for b in bodies)  # a category: "our", not "the"


def test_brand_name_comes_from_the_brand_field_not_the_guide_title() -> None:
    guide = "# Brand guide: Cloudline Running\n\n## Voice\nCalm and clear.\n"
    brand = brand_from_text(guide, postal_address="1 Main St, Leeds LS1 1AA, UK")
    assert brand.name == "Cloudline Running"
    assert brand_from_text("# Style guide\n\nBrand: Nordlys Coffee\n").name == "Nordlys Coffee"
    request = _request("sms", brand=brand)
    result = generate_copy(request, ScriptedModel([_by_angle]))
    assert result.variants[0].parts["text"].startswith("Cloudline Running: ")


ZH_OFFER = OfferFacts(product="山脊3越野跑鞋", discount="15%", deadline=date(2026, 12, 31))


def test_chinese_copy_has_chinese_offer_cta_and_opt_out() -> None:
    model = ScriptedModel(["Fresh legs on every trail"])  # English: screened out for zh copy
    result = generate_copy(_request("email", variants=2, offer=ZH_OFFER, language="zh"), model)
    assert result.language == "zh"
    body = result.variants[0].parts["body"]
    assert "山脊3越野跑鞋现享15%优惠，截至2026年12月31日。" in body
    assert "立即选购。" in body and "你好" in body and "Fresh legs" not in body
    assert "Write only the line asked for, in Simplified Chinese" in model.sent[0][0]["content"]
    sms = generate_copy(_request("sms", offer=ZH_OFFER, language="zh"), ScriptedModel(["跑步更轻松。"]))
    assert "回复STOP退订" in sms.variants[0].parts["text"]


def test_a_chinese_sms_keeps_the_chinese_name_and_the_offer_within_two_ucs2_parts() -> None:
    catalogue = [CatalogueItem(name="Ridgeback 3 trail shoe", description="rock plate")]
    assert ground_offer(ZH_OFFER, catalogue).product == "山脊3越野跑鞋"  # only its "3" is shared
    request = _request("sms", variants=2, offer=ZH_OFFER, language="zh", catalogue=catalogue)
    result = generate_copy(request, ScriptedModel(["跑步更轻松。"]))
    assert result.passed == 2, [v.failures for v in result.variants]
    for v in result.variants:
        text = v.parts["text"]
        assert (
            "山脊3越野跑鞋现享15%优惠" in text and "Ridgeback" not in text and text.endswith("回复STOP退订。")
        )
        assert sms_segments(text).segments <= 2
    english = CopyDraft(channel="sms", parts={"text": "x" * 200}, language="en")
    assert not check_copy(english, check_context(_request("sms"))).passed  # 2 GSM-7 parts: still too long


def test_chinese_copy_passes_the_guardrail() -> None:
    result = generate_copy(_request("email", offer=ZH_OFFER, language="zh"), ScriptedModel(["跑步更轻松。"]))
    assert result.passed == 1, result.variants[0].failures


def test_chat_batch_falls_back_to_one_call_per_conversation() -> None:
    model = ScriptedModel(["one", "two"])
    convo: list[Message] = [{"role": "user", "content": "hi"}]
    results = chat_batch(model, [convo, convo], max_tokens=5)
    assert [r.text for r in results] == ["one", "two"] and len(model.calls) == 2


def test_prompt_templates_fail_loudly() -> None:
    with pytest.raises(ConfigError, match="no prompt named 'nope'"):
        load_prompt("nope")
    with pytest.raises(ConfigError, match="no value for placeholder"):
        load_prompt("copy").render("task", instruction="x")


@pytest.fixture(scope="module")
def local() -> LocalChatModel:
    model = LocalChatModel()
    model.loaded()
    return model


def test_local_batch_shares_the_prompt_prefix_and_answers_like_single_calls(local: LocalChatModel) -> None:
    system: Message = {"role": "system", "content": "You write short copy for a running shop."}
    convos: list[list[Message]] = [
        [system, {"role": "user", "content": "A subject line about trail shoes."}],
        [system, {"role": "user", "content": "A subject line about a rain jacket for winter runs."}],
    ]
    batched = local.chat_batch(convos, max_tokens=8, stop=["\n"])
    single = [local.chat(c, max_tokens=8, stop=["\n"]) for c in convos]
    assert [r.text for r in batched] == [r.text for r in single]
    assert batched[0].text != batched[1].text and all(r.backend == "local" for r in batched)
    # A later batch with the same system prompt reuses its cached prefix and answers the same.
    later: list[list[Message]] = [
        [system, {"role": "user", "content": "A subject line about socks."}],
        [system, {"role": "user", "content": "A subject line about a headlamp for dark mornings."}],
    ]
    before = local.prefixes.reused_tokens
    again = local.chat_batch(later, max_tokens=8, stop=["\n"])
    assert local.prefixes.reused_tokens > before
    assert [r.text for r in again] == [local.chat(c, max_tokens=8, stop=["\n"]).text for c in later]


def test_real_local_model_writes_a_checked_sms(local: LocalChatModel) -> None:
    result = generate_copy(_request("sms", max_attempts=1), local)
    variant = result.variants[0]
    text = variant.parts["text"]
    assert variant.backend == "local" and result.model_calls == 1 and result.candidates >= 4
    assert text.startswith("Trailhead Running Co.:") and text.endswith("Reply STOP to opt out.")
    assert "15%" in text and variant.facts_used["discount"] == "15%"
    report = check_copy(CopyDraft(channel="sms", parts=variant.parts), check_context(_request("sms")))
    assert report.passed == variant.passed
    assert variant.passed or variant.failures


@pytest.fixture
def endpoint(monkeypatch: pytest.MonkeyPatch) -> Iterator[FakeOpenAIServer]:
    with fake_openai_server(reply="Fresh legs for the trail") as server:
        monkeypatch.setenv("MKT_LLM_BASE_URL", server.base_url)
        monkeypatch.setenv("MKT_LLM_MODEL", "house-model")
        yield server


def test_mkt_copy_prints_checked_variants_and_logs_the_prompts(
    endpoint: FakeOpenAIServer, tmp_path: Path, isolated_home: Path
) -> None:
    guide = tmp_path / "brand_guide.md"
    guide.write_text(BRAND_GUIDE, encoding="utf-8")
    args = ["copy", "--channel", "email", "--product", "Ridgeback 3 trail shoe", "--discount", "15%"]
    args += ["--code", "RUN15", "--deadline", "2026-12-31", "--segment", "at risk", "--variants", "2"]
    args += ["--brand-file", str(guide), "--json", "--no-voice"]
    result = CliRunner().invoke(app, args)
    assert result.exit_code == 0, result.output
    payload = json.loads(result.stdout)
    assert len(payload["variants"]) == 2
    first = payload["variants"][0]
    assert first["backend"] == "openai" and first["passed"] is True
    assert "RUN15" in first["parts"]["body"] and "{{unsubscribe_url}}" in first["parts"]["body"]
    assert first["facts_used"]["code"] == "RUN15"
    # The fake always says the same: a second variant with the same lines would not differ, so it
    # takes the brand's template lines, and says so.
    second = payload["variants"][1]
    assert second["passed"] is True and second["parts"]["subject"] != first["parts"]["subject"]
    assert any("template line" in w for w in second["warnings"])
    brand_voice = next(c for c in first["checks"] if c["metric"] == "brand_voice")
    assert brand_voice["skipped"] is True and "no embedder" in brand_voice["reason"]
    log = [json.loads(line) for line in (isolated_home / "runs" / "llm_calls.jsonl").read_text().splitlines()]
    assert log[0]["request"]["messages"] == endpoint.requests[0]["messages"]
    assert list((isolated_home / "runs").glob("copy-email-*.json"))


def test_mkt_copy_without_a_brand_says_what_to_do(endpoint: FakeOpenAIServer) -> None:
    result = CliRunner().invoke(app, ["copy", "--product", "Ridgeback 3 trail shoe"])
    assert result.exit_code == 4
    assert "brand" in result.output and "--brand-file" in result.output


def test_the_eval_harness_runs_the_copy_tool(endpoint: FakeOpenAIServer) -> None:
    generator = resolve_generator("copy")
    request = GenerationRequest(
        channel="sms",
        offer={"product": "Ridgeback 3 trail shoe", "discount": "15%", "code": "RUN15"},
        brand="Trailhead Running Co.",
        n_variants=1,
    )
    drafts = generator(request)
    assert len(drafts) == 1
    text = drafts[0].parts["text"] if isinstance(drafts[0], CopyDraft) else ""
    assert "Fresh legs for the trail" in text and "RUN15" in text


def test_brand_voice_survives_knowledge_chunking() -> None:
    from knowledge.chunking import chunk_markdown
    from tools.copy.brand import guide_from_chunks

    chunks = [(str(c.metadata.get("heading_path", "")), c.text) for c in chunk_markdown(BRAND_GUIDE)]
    rebuilt = brand_from_text(guide_from_chunks(chunks))
    assert (rebuilt.name, rebuilt.postal_address) == (BRAND.name, POSTAL_ADDRESS)
    assert rebuilt.examples == BRAND.examples and rebuilt.voice == BRAND.voice


def test_mkt_copy_reads_brand_voice_from_the_knowledge_base(
    endpoint: FakeOpenAIServer, tmp_path: Path
) -> None:
    guide = tmp_path / "brand_guide.md"
    guide.write_text(BRAND_GUIDE, encoding="utf-8")
    runner = CliRunner()
    ingested = runner.invoke(app, ["knowledge", "ingest", str(guide)])
    assert ingested.exit_code == 0, ingested.output
    args = ["copy", "--channel", "sms", "--product", "Ridgeback 3 trail shoe", "--discount", "15%"]
    result = runner.invoke(app, [*args, "--variants", "1", "--json", "--no-save"])
    assert result.exit_code == 0, result.output
    variant = json.loads(result.stdout)["variants"][0]
    assert variant["parts"]["text"].startswith("Trailhead Running Co.:")
    system = endpoint.requests[0]["messages"][0]["content"]
    assert "Trailhead Running Co." in system and "plain-spoken" in system
