"""The copy generator: code-assembled structure, the guardrail loop, the real local model, ``mkt copy``."""

from __future__ import annotations

import json
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
from evals.metrics.grounding import offer_facts
from evals.metrics.length import sms_segments
from evals.types import CopyDraft
from prompts import load_prompt
from tests.fakes.openai_server import FakeOpenAIServer, fake_openai_server
from tests.fakes.scripted_model import ScriptedModel
from tools.chat_model import Message
from tools.copy import CopyRequest, OfferFacts, SegmentProfile, brand_from_text, check_context, generate_copy
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
        assert parts["text"].endswith("Find your fit. Reply STOP to opt out.")
        count = sms_segments(parts["text"])
        assert (count.encoding, count.segments) == ("GSM-7", 1)


def test_a_failing_variant_is_regenerated_with_the_failures_fed_back() -> None:
    model = ScriptedModel(["Save 50% today", "Fresh legs for the trail"])
    result = generate_copy(_request("push", max_attempts=3), model)
    variant = result.variants[0]
    assert variant.passed and variant.attempts == 2
    assert variant.parts["title"] == "Fresh legs for the trail"
    retry_prompt = model.calls[1]["messages"][-1]["content"]
    assert (
        "Save 50% today" in retry_prompt
        and "50%" in retry_prompt
        and "not in the offer facts" in retry_prompt
    )
    assert model.calls[0]["temperature"] == 0.0 and model.calls[1]["temperature"] > 0


def test_a_variant_that_keeps_failing_is_returned_marked_with_reasons() -> None:
    model = ScriptedModel(["CLICK HERE for a free gift"])
    result = generate_copy(_request("push", max_attempts=2), model)
    variant = result.variants[0]
    assert not variant.passed and variant.attempts == 2 and result.passed == 0
    assert any("spam" in f.lower() or "free gift" in f.lower() for f in variant.failures)
    assert len(model.calls) == 2


def test_variants_do_not_repeat_each_other() -> None:
    def echo_angle(messages: Sequence[Message]) -> str:
        task = messages[-1]["content"]
        return "Same line every time" if "Write a new one" not in task else "A different line now"

    result = generate_copy(_request("ads", variants=2), ScriptedModel([echo_angle]))
    first, second = (v.parts["headline"] for v in result.variants)
    assert first != second
    assert result.variants[1].attempts == 2


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


def test_real_local_model_writes_a_checked_sms(local: LocalChatModel) -> None:
    result = generate_copy(_request("sms", max_attempts=1), local)
    variant = result.variants[0]
    text = variant.parts["text"]
    assert variant.backend == "local" and result.model_calls >= 1
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
    args += ["--brand-file", str(guide), "--json"]
    result = CliRunner().invoke(app, args)
    assert result.exit_code == 0, result.output
    payload = json.loads(result.stdout)
    assert len(payload["variants"]) == 2
    first = payload["variants"][0]
    assert first["backend"] == "openai" and first["passed"] is True
    assert "RUN15" in first["parts"]["body"] and "{{unsubscribe_url}}" in first["parts"]["body"]
    assert first["facts_used"]["code"] == "RUN15"
    # The second variant's lines repeat the first (the fake always says the same): marked, not hidden.
    assert payload["variants"][1]["passed"] is False
    assert any("repeats" in f for f in payload["variants"][1]["failures"])
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
