"""The optional LLM judge: messages from the YAML rubric, strict parsing, a soft metric in suites."""

from __future__ import annotations

import json

import pytest

from data.errors import ModelAPIError
from evals.judge import judge_check, judge_messages, parse_verdict, rubric
from evals.runner import run_suite
from evals.suite import load_suite
from evals.types import CheckContext, CopyDraft

CTX = CheckContext(
    brand="Trailhead Running Co.", segment="at risk", offer={"product": "Ridgeback 3", "code": "RUN15"}
)
DRAFT = CopyDraft(
    channel="push", parts={"title": "Back on the trail", "body": "The Ridgeback 3 is back. Shop now."}
)


class ScriptedJudge:
    """A chat function with the judge's interface that records what it was sent and replies as told."""

    def __init__(self, scores: dict[str, int] | None = None, raw: str | None = None) -> None:
        names = [c["name"] for c in rubric()["criteria"]]
        self.reply = raw or json.dumps(
            {"scores": scores or dict.fromkeys(names, 4), "reasons": dict.fromkeys(names, "fine")}
        )
        self.sent: list[tuple[str, str]] = []

    def __call__(self, system: str, user: str) -> str:
        self.sent.append((system, user))
        return self.reply


def test_judge_prompt_comes_from_the_rubric_with_the_copy_and_offer() -> None:
    system, user = judge_messages(DRAFT, CTX)
    assert "copy editor" in system and "JSON" in system
    for needle in (
        "Trailhead Running Co.",
        "push",
        "at risk",
        "code: RUN15",
        "body: The Ridgeback 3 is back",
    ):
        assert needle in user
    assert all(c["name"] in user for c in rubric()["criteria"])


def test_judge_scores_become_a_soft_metric_with_the_weakest_reason() -> None:
    names = [c["name"] for c in rubric()["criteria"]]
    low = ScriptedJudge(scores=dict(zip(names, [2, 2, 3, 2], strict=True)))
    result = judge_check(DRAFT, CTX, low)
    assert not result.passed and not result.hard and result.score == pytest.approx(2.25)
    assert "weakest on_brief (2)" in result.reason
    assert judge_check(DRAFT, CTX, ScriptedJudge()).passed


@pytest.mark.parametrize("reply", ["no JSON here", '{"scores": {"on_brief": 4}}', '{"scores": {"on_brief": 9, '
                                   '"brand_voice": 4, "clarity": 4, "persuasion": 4}}'])  # fmt: skip
def test_unusable_judge_replies_raise_model_api_error(reply: str) -> None:
    with pytest.raises(ModelAPIError):
        parse_verdict(reply)


def test_suite_runs_the_judge_only_when_given_one() -> None:
    suite = load_suite("copy_regression")
    plain = run_suite(suite, generate=False)
    assert all("judge" not in c.scores for c in plain.cases)
    judge = ScriptedJudge()
    judged = run_suite(suite, judge=judge, generate=False)
    scored = [c for c in judged.cases if c.variants]
    assert all(c.scores["judge"] == 4.0 for c in scored)
    assert len(judge.sent) == sum(len(c.variants) for c in scored)
