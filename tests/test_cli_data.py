"""`mkt data ...` as a user sees it: tables, JSON, one-line errors and exit codes."""

from __future__ import annotations

import json
from pathlib import Path

from typer.testing import CliRunner

from agent.cli.main import app

runner = CliRunner()


def test_generate_then_show(isolated_home: Path) -> None:
    result = runner.invoke(app, ["data", "generate", "--customers", "200", "--seed", "2"])
    assert result.exit_code == 0, result.output
    assert "transactions" in result.output and "planted truth" in result.output
    shown = runner.invoke(app, ["data", "show", "--json"])
    assert shown.exit_code == 0
    summary = json.loads(shown.stdout)
    assert {t["table"]: t["rows"] for t in summary["tables"]}["customers"] == 200
    assert summary["revenue"] > 0
    human = runner.invoke(app, ["data", "show"])
    assert "customers" in human.output and "revenue" in human.output


def test_validation_error_is_one_line_with_exit_code(tmp_path: Path) -> None:
    bad = tmp_path / "customers.csv"
    bad.write_text("id,email\nC1,a@x.com\n")
    result = runner.invoke(app, ["data", "load", "--customers", str(bad)])
    assert result.exit_code == 3
    assert "missing required column" in result.output and "Traceback" not in result.output
    assert str(bad) in result.output.replace("\n", "")


def test_show_without_data_says_what_to_do() -> None:
    result = runner.invoke(app, ["data", "show"])
    assert result.exit_code == 2
    assert "mkt data load" in result.output


def test_load_requires_a_file() -> None:
    result = runner.invoke(app, ["data", "load"])
    assert result.exit_code != 0
    assert "give at least one of" in result.output


def test_help_on_every_data_command() -> None:
    for cmd in ("load", "show", "generate", "reset"):
        result = runner.invoke(app, ["data", cmd, "--help"])
        assert result.exit_code == 0 and "Usage" in result.output
