"""Layers import one way: data -> knowledge -> evals (metrics) -> tools -> agent -> interfaces.

Every import statement counts, function-local ones too, and so does a module named to
``importlib.import_module``: no layer reaches up, however the import is written.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
PACKAGES = ("data", "knowledge", "evals", "prompts", "tools", "agent")
INTERFACES = ("agent.cli", "agent.slack")


def layer(module: str) -> int:
    """0 data, 1 knowledge, 2 evals and prompts, 3 tools, 4 agent, 5 the interfaces (CLI, Slack)."""
    if module.startswith(INTERFACES):
        return 5
    top = module.split(".")[0]
    return {"data": 0, "knowledge": 1, "evals": 2, "prompts": 2, "tools": 3, "agent": 4}[top]


def module_name(path: Path) -> str:
    parts = list(path.relative_to(REPO).with_suffix("").parts)
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def imported(tree: ast.AST) -> list[tuple[int, str]]:
    """(line, module) of every import of one of our packages in ``tree``."""
    found: list[tuple[int, str]] = []
    for node in ast.walk(tree):
        names: list[str] = []
        if isinstance(node, ast.Import):
            names = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names = [node.module]
        elif (
            isinstance(node, ast.Call)
            and getattr(node.func, "attr", getattr(node.func, "id", "")) == "import_module"
            and node.args
            and isinstance(node.args[0], ast.Constant)
            and isinstance(node.args[0].value, str)
        ):
            names = [node.args[0].value]
        found += [(node.lineno, n) for n in names if n.split(".")[0] in PACKAGES]
    return found


def sources() -> list[Path]:
    return sorted(p for pkg in PACKAGES for p in (REPO / pkg).rglob("*.py"))


def test_the_layers_cover_every_package() -> None:
    assert {module_name(p).split(".")[0] for p in sources()} == set(PACKAGES)


@pytest.mark.parametrize("path", sources(), ids=lambda p: str(p.relative_to(REPO)))
def test_no_module_imports_a_layer_above_its_own(path: Path) -> None:
    me = module_name(path)
    upward = [
        f"{path.relative_to(REPO)}:{line} imports {name}"
        for line, name in imported(ast.parse(path.read_text(encoding="utf-8")))
        if layer(name) > layer(me)
    ]
    assert upward == []


def test_the_checker_sees_function_local_and_importlib_imports() -> None:
    tree = ast.parse(
        "def f():\n    from agent.loop import run\n    importlib.import_module('agent.cli.main')\n"
    )
    assert [name for _, name in imported(tree)] == ["agent.loop", "agent.cli.main"]
