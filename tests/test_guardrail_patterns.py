"""compile_alternatives: the same matches as a plain alternation, found faster."""

from __future__ import annotations

import re

import pytest

from evals.judgements import load_judgements
from evals.metrics.instruction_echo import ECHO
from evals.metrics.meta_talk import META
from evals.metrics.patterns import compile_alternatives, top_level_alternatives


def test_top_level_alternatives_split_outside_groups_and_classes_only() -> None:
    assert top_level_alternatives(r"\ba|b(?:c|d)|[|x]|\|e") == [r"\ba", "b(?:c|d)", "[|x]", r"\|e"]
    assert top_level_alternatives(r"[]|]x|y") == ["[]|]x", "y"]
    assert top_level_alternatives("plain") == ["plain"]


TEXTS = [t for v in load_judgements().variants for t in v.parts.values()]


@pytest.mark.parametrize(("patterns", "flags", "lower"), [(META, re.M, True), (ECHO, re.I | re.M, False)])
def test_grouped_alternatives_find_the_same_first_match_on_every_labelled_text(
    patterns: tuple[str, ...], flags: int, lower: bool
) -> None:
    plain = re.compile("|".join(f"(?:{p})" for p in patterns), flags)
    grouped = compile_alternatives(*patterns, flags=flags)
    for text in TEXTS:
        text = text.lower() if lower else text
        a, b = plain.search(text), grouped.search(text)
        assert (a is None) == (b is None) and (a is None or b is None or a.start() == b.start()), text
