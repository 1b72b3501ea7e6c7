"""The generic top-level import names must resolve to this repository, not another distribution."""

from __future__ import annotations

import importlib
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]


@pytest.mark.parametrize("name", ["agent", "tools", "prompts", "knowledge", "evals", "data"])
def test_top_level_package_is_ours(name: str) -> None:
    module = importlib.import_module(name)
    assert module.__file__ is not None
    assert Path(module.__file__).resolve().parent == REPO / name


def test_console_script_declared() -> None:
    text = (REPO / "pyproject.toml").read_text()
    assert 'mkt = "agent.cli.main:main"' in text
