"""The lazy command table: every listed command loads, has help, and matches what ``--help`` lists."""

from __future__ import annotations

import pytest
from typer.testing import CliRunner

from agent.cli.main import COMMANDS, app, load_command

runner = CliRunner()


@pytest.mark.parametrize("name", list(COMMANDS))
def test_every_command_loads_with_help(name: str) -> None:
    command = load_command(name)
    assert command.name == name and (command.help or "").strip()
    result = runner.invoke(app, [name, "--help"])
    assert result.exit_code == 0, result.output
    assert f"mkt {name}" in result.output and "--install-completion" not in result.output


def test_top_level_help_lists_every_command_and_unknown_ones_fail() -> None:
    listed = runner.invoke(app, ["--help"])
    assert listed.exit_code == 0
    for name, entry in COMMANDS.items():
        assert name in listed.output and entry.help.split()[0] in listed.output
    unknown = runner.invoke(app, ["nosuch"])
    assert unknown.exit_code == 2 and "No such command" in unknown.output
