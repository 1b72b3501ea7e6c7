"""The generator's screen of model lines: the faults a reader rejects, with lines a reader would send."""

from __future__ import annotations

import pytest

from tools.copy.screen import known_words, screen_line, sentence_case, spell_names, whole_sentences

KNOWN = known_words(["Ridgeback 3 trail shoe", "Trailhead Running Co.", "Trail Shell jacket"])
PROMPT = "Email subject line. one concrete product fact: aggressive grip, rock plate. runners who have not run with us"


@pytest.mark.parametrize(
    ("line", "reason"),
    [
        ("I'd be happy to help refine this answer so it meets your requirements.", "talks to the requester"),
        ("This afternoon may be overlooked but I'm ready to help", "talks to the requester"),
        ("The Trail Shoes are built to withstand the rigors of the market", "names Shoes"),
        ("Rebellion: a great brand for your run", "names Rebellion"),
        ("Amy's roadie's road to glory.", "names Amy's"),
        ("Voted best trail shoe of the year", "claim the brand never states"),
        ("Hi [Customer Name], your trail awaits", "placeholder"),
        ("Grip that holds on wet rock and", "stops mid-sentence"),
        ("Run run run, the trail trail trail", "repeats itself"),
        ("Runners who have not run with us deserve grip", "repeats the instructions"),
        ("They have missed the trail", "talks about the customer"),
        ("跑步更轻松", "Chinese characters"),
    ],
)
def test_lines_a_reader_rejects_are_caught_with_a_plain_reason(line: str, reason: str) -> None:
    problems = screen_line(line, known=KNOWN, language="en", prompt=PROMPT)
    assert any(reason in p for p in problems), problems


@pytest.mark.parametrize(
    "line",
    [
        "Fresh legs on every trail",
        "The Ridgeback 3 grips wet rock, so you can run the long way home.",
        "Rain or shine, the trail is calling",
    ],
)
def test_lines_a_marketer_would_send_pass(line: str) -> None:
    assert screen_line(line, known=KNOWN, language="en", sentences=2 if line.endswith(".") else 1) == []


def test_chinese_copy_must_be_chinese() -> None:
    assert screen_line("跑步更轻松。", known=KNOWN, language="zh") == []
    assert "it is not written in Chinese" in screen_line(
        "Fresh legs on every trail", known=KNOWN, language="zh"
    )


def test_title_case_and_unfinished_sentences_are_tidied() -> None:
    assert (
        sentence_case("Your Next Long Run With The Ridgeback 3", KNOWN)
        == "Your next long run with the Ridgeback 3"
    )
    assert whole_sentences("The trail misses you. It has been a while since") == "The trail misses you."
    assert whole_sentences("The trail misses you") == "The trail misses you"


def test_a_plural_product_with_a_singular_verb_is_screened_out() -> None:
    problems = screen_line("The running shoes is light and fast", known=KNOWN, language="en",
                           plural_names=["running shoes"])  # fmt: skip
    assert any("plural takes a singular verb" in p and "running shoes is" in p for p in problems), problems
    assert not screen_line("The running shoes are light and fast", known=KNOWN, language="en",
                           plural_names=["running shoes"])  # fmt: skip


def test_product_names_are_spelled_as_the_catalogue_spells_them() -> None:
    names = ["Commuter 7", "running shoes", "Trail Shell jacket"]
    assert spell_names("A great choice, commuter 7.", names) == "A great choice, Commuter 7."
    assert spell_names("The trail shell jacket packs small", names) == "The Trail Shell jacket packs small"
    assert (
        spell_names("Running shoes for the commuter 70 club", names)
        == "Running shoes for the commuter 70 club"
    )
