"""Suites, the runner, baselines and reports, and `mkt eval` as a user sees it."""

from __future__ import annotations

import json
import textwrap
import xml.etree.ElementTree as ET
from collections.abc import Sequence
from pathlib import Path

import pytest
from typer.testing import CliRunner

from agent.cli.main import app
from data.errors import ConfigError, DataValidationError
from evals import generators
from evals.baseline import baseline_from, compare, load_baseline
from evals.generators import GenerationRequest
from evals.reports.html import html_report
from evals.reports.junit import junit_xml
from evals.runner import run_suite
from evals.suite import load_suite
from evals.types import CopyDraft

runner = CliRunner()
BASELINE = Path(__file__).parents[1] / "evals" / "baselines" / "copy_regression.json"


def template_generator(request: GenerationRequest) -> Sequence[CopyDraft]:
    """A deterministic generator honouring the interface: copy filled from the offer facts only."""
    offer = request.offer
    product = str(offer.get("product", "our gear")).split(" trail")[0]
    deal = f"{offer['discount']} off with code {offer['code']}" if "code" in offer else "now in stock"
    openings = ["Fresh legs for the trail", "Your next long run starts here", "Rain or shine, keep going"]
    drafts = []
    for i in range(request.n_variants):
        line = f"{openings[i % 3]}. The {product}, {deal}. Find your fit today."
        if request.channel == "email":
            parts = {
                "subject": f"{openings[i % 3]}, {{{{first_name}}}}",
                "body": f"{line}\n\nUnsubscribe: {{{{unsubscribe_url}}}}\n{request.postal_address}",
            }
        elif request.channel == "sms":
            parts = {"text": f"{request.brand}: {line} Reply STOP to opt out"}
        elif request.channel == "ads":
            parts = {"headline": openings[i % 3][:30], "description": line[:90]}
        else:
            parts = {"title": openings[i % 3], "body": line[:100]}
        drafts.append(CopyDraft(channel=request.channel, parts=parts))
    return drafts


def shouting_generator(request: GenerationRequest) -> Sequence[dict[str, str]]:
    """A worse generator: the same copy, shouted and with an invented discount."""
    return [
        {k: v.upper().replace("15%", "50%") + "!!!" for k, v in d.parts.items()}
        for d in template_generator(request)
    ]


@pytest.fixture
def with_generator(monkeypatch: pytest.MonkeyPatch) -> pytest.MonkeyPatch:
    monkeypatch.setitem(generators._REGISTERED, "copy", template_generator)
    return monkeypatch


@pytest.fixture
def without_copy_tool(monkeypatch: pytest.MonkeyPatch) -> None:
    """As before the copy tool existed: its registry entry names a module that is not there."""
    monkeypatch.delitem(generators._REGISTERED, "copy", raising=False)  # registered by agent.copy_eval
    monkeypatch.setitem(generators.REGISTRY, "copy", "tools.no_such_copy_tool:generate_for_eval")


def test_generator_cases_are_skipped_clearly_when_the_generator_is_missing(without_copy_tool: None) -> None:
    suite = load_suite("copy_regression")
    result = run_suite(suite)
    counts = result.counts()
    generated = [c for c in result.cases if c.source == "generated"]
    assert counts["failed"] == 0 and counts["error"] == 0
    assert counts["passed"] == len(suite.cases) - len(generated) >= 10
    assert all(c.status == "skipped" and "generator 'copy' is not available" in c.reason for c in generated)
    assert "tools.no_such_copy_tool" in generated[0].reason
    rejected = {c.id: c.reason for c in result.cases if c.id.startswith("reject-")}
    assert "grounding" in rejected["reject-invented-discount"]
    assert "length" in rejected["reject-long-ucs2-sms"]


def test_packaged_suite_fixed_copy_holds_its_committed_baseline() -> None:
    suite = load_suite("copy_regression")
    baseline = load_baseline(BASELINE)
    assert baseline.suite == "copy_regression" and baseline.embeddings
    result = run_suite(suite, generate=False)
    generated = [c for c in result.cases if c.source == "generated"]
    assert generated and all(c.status == "skipped" and "generation disabled" in c.reason for c in generated)
    assert all(c.status == "passed" for c in result.cases if c.source == "fixed")
    assert compare(result, baseline, suite) == []


def test_generated_cases_run_through_the_registered_generator(with_generator: pytest.MonkeyPatch) -> None:
    suite = load_suite("copy_regression")
    result = run_suite(suite)
    generated = [c for c in result.cases if c.source == "generated"]
    assert generated and all(c.status == "passed" for c in generated), [c.reason for c in generated]
    assert all(len(c.variants) == 3 and c.self_similarity is not None for c in generated)


def test_a_worse_generator_fails_hard_checks_and_drops_below_the_baseline(
    with_generator: pytest.MonkeyPatch,
) -> None:
    suite = load_suite("copy_regression")
    baseline = baseline_from(run_suite(suite))
    with_generator.setitem(generators._REGISTERED, "copy", shouting_generator)
    worse = run_suite(suite)
    email = next(c for c in worse.cases if c.id == "gen-winback-email")
    assert email.status == "failed"
    assert "percentage '50%'" in email.reason and "ALL CAPS" in email.reason
    regressions = compare(worse, baseline, suite)
    assert {(r.case, r.metric) for r in regressions} >= {
        ("gen-winback-email", "grounding"),
        ("gen-winback-sms", "spam"),
    }
    assert all(c.id.startswith("gen-") for c in worse.cases if c.status == "failed")


SUITE = textwrap.dedent(
    """
    name: tiny
    brands:
      b:
        name: Trailhead Running Co.
        postal_address: "Trailhead Running Co., 120 Ridge Street, Boulder, CO 80302, USA"
    defaults: {brand: b}
    cases:
      - id: good-sms
        channel: sms
        offer: {discount: 15%, code: RUN15}
        variants:
          - text: "Trailhead Running Co.: 15% off with code RUN15. Shop now. Reply STOP to opt out"
      - id: {second_id}
        channel: sms
        offer: {discount: 15%, code: RUN15}
        variants:
          - text: "{second_text}"
    """
)


def _suite_file(tmp_path: Path, second_id: str = "also-good", second_text: str | None = None) -> Path:
    text = second_text or "Trailhead Running Co.: claim 15% off, code RUN15. Reply STOP to opt out"
    path = tmp_path / "tiny.yaml"
    path.write_text(SUITE.replace("{second_id}", second_id).replace("{second_text}", text))
    return path


def test_suite_errors_name_the_file_and_the_problem(tmp_path: Path) -> None:
    dupes = _suite_file(tmp_path, second_id="good-sms")
    with pytest.raises(DataValidationError, match="duplicate case ids: good-sms") as info:
        load_suite(dupes)
    assert str(dupes) in str(info.value)
    both = tmp_path / "both.yaml"
    both.write_text(
        "name: x\ncases:\n  - id: a\n    channel: sms\n    variants: [{text: hi}]\n    generate: {n_variants: 2}\n"
    )
    with pytest.raises(DataValidationError, match="exactly one of 'variants'"):
        load_suite(both)
    with pytest.raises(ConfigError, match="copy_regression"):
        load_suite("no_such_suite")


def test_reports_junit_and_html(tmp_path: Path) -> None:
    result = run_suite(load_suite(_suite_file(tmp_path, second_text="25% OFF NOW!!! Reply STOP to opt out")))
    root = ET.fromstring(junit_xml(result))
    suite = root.find("testsuite")
    assert suite is not None and suite.get("tests") == "2" and suite.get("failures") == "1"
    failure = root.find(".//testcase[@name='also-good']/failure")
    assert failure is not None and "percentage '25%'" in (failure.text or "")
    page = html_report(result)
    assert page.count("data:image/png;base64,") == len(result.metric_scores()) >= 8
    assert "also-good" in page and "failed" in page


def test_cli_run_writes_reports_and_exits_zero_when_all_pass(tmp_path: Path) -> None:
    suite = _suite_file(tmp_path)
    out = {k: tmp_path / f"report.{k}" for k in ("json", "xml", "html")}
    base = tmp_path / "baseline.json"
    args = ["eval", "run", str(suite), "--no-embeddings", "--json", str(out["json"])]
    args += ["--junit", str(out["xml"]), "--html", str(out["html"]), "--write-baseline", str(base)]
    result = runner.invoke(app, args)
    assert result.exit_code == 0, result.output
    assert "good-sms" in result.output and "2 passed" in result.output
    data = json.loads(out["json"].read_text())
    assert [c["status"] for c in data["cases"]] == ["passed", "passed"] and data["regressions"] == []
    assert ET.parse(out["xml"]).getroot().find("testsuite") is not None
    assert "<img" in out["html"].read_text()
    again = runner.invoke(app, ["eval", "run", str(suite), "--no-embeddings", "--baseline", str(base)])
    assert again.exit_code == 0, again.output


def test_cli_exits_nonzero_on_a_hard_failure(tmp_path: Path) -> None:
    suite = _suite_file(tmp_path, second_text="Trailhead Running Co.: 40% off, code RUN15. Shop now.")
    result = runner.invoke(app, ["eval", "run", str(suite), "--no-embeddings"])
    assert result.exit_code == 1
    assert "percentage '40%'" in result.output and "opt-out" in result.output


def test_cli_exits_nonzero_when_a_score_drops_below_the_baseline(tmp_path: Path) -> None:
    suite = _suite_file(tmp_path)
    base = tmp_path / "baseline.json"
    assert (
        runner.invoke(
            app, ["eval", "run", str(suite), "--no-embeddings", "--write-baseline", str(base)]
        ).exit_code
        == 0
    )
    data = json.loads(base.read_text())
    data["scores"]["also-good"]["sentiment"] = 0.9  # pretend the last good run read far warmer
    base.write_text(json.dumps(data))
    result = runner.invoke(app, ["eval", "run", str(suite), "--no-embeddings", "--baseline", str(base)])
    assert result.exit_code == 1
    assert "regression" in result.output and "also-good: sentiment" in result.output


def test_cli_strict_fails_on_skipped_generator_cases_and_lists_suites() -> None:
    args = ["eval", "run", "copy_regression", "--no-embeddings", "--no-generate", "--strict"]
    result = runner.invoke(app, args)
    assert result.exit_code == 1
    assert "skipped gen-winback-email: generation disabled" in result.output
    listed = runner.invoke(app, ["eval", "list", "--json"])
    assert listed.exit_code == 0
    assert any(s["name"] == "copy_regression" for s in json.loads(listed.stdout))


def test_cli_missing_suite_is_a_one_line_error() -> None:
    result = runner.invoke(app, ["eval", "run", "nope"])
    assert result.exit_code == 2
    assert "no suite 'nope'" in result.output and "Traceback" not in result.output
