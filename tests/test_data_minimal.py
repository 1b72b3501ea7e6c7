"""Minimal inputs (issue 15, item 1): a customers file of ids, or a transaction log alone."""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path

import pytest
from typer.testing import CliRunner

from agent.cli.main import app
from data.errors import DataValidationError
from data.loader import load_files, open_source
from data.workspace import Workspace

ORDERS = Path(__file__).parent / "data" / "exports" / "bare_orders.csv"
runner = CliRunner()


@pytest.fixture
def workspace(isolated_home: Path) -> Workspace:
    return Workspace(isolated_home)


def test_bare_log_derives_customers_with_signup_at_first_purchase(workspace: Workspace) -> None:
    result = load_files(workspace, {"transactions": ORDERS})
    assert result.rows == {"customers": 5, "transactions": 12}
    assert any("customers derived from the transactions" in n for n in result.notes)
    with workspace.connect(read_only=True) as con:
        got = con.execute(
            "SELECT customer_id, signup_date, consent_email, email FROM customers ORDER BY 1 LIMIT 2"
        ).fetchall()
    assert got == [("U01", date(2025, 1, 5), None, None), ("U02", date(2025, 1, 20), None, None)]


def test_a_later_log_rederives_but_never_replaces_loaded_customers(
    workspace: Workspace, tmp_path: Path
) -> None:
    load_files(workspace, {"transactions": ORDERS})
    more = tmp_path / "more.csv"
    more.write_text(ORDERS.read_text() + "U06,2025-08-09 10:00:00,5.00\n")
    assert load_files(workspace, {"transactions": more}).rows["customers"] == 6
    people = tmp_path / "people.csv"
    people.write_text("customer_id,plan\n" + "".join(f"U0{i},basic\n" for i in range(1, 7)))
    load_files(workspace, {"customers": people})
    newcomer = tmp_path / "newcomer.csv"
    newcomer.write_text(more.read_text() + "U07,2025-08-10 10:00:00,5.00\n")
    with pytest.raises(DataValidationError, match="customer 'U07' is not in the customers table"):
        load_files(workspace, {"transactions": newcomer})


def test_customers_of_ids_and_attributes_load_and_take_signup_from_purchases(
    workspace: Workspace, tmp_path: Path
) -> None:
    load_files(workspace, {"transactions": ORDERS})
    crm = tmp_path / "crm.csv"
    crm.write_text(
        "customer_id,plan,signup_date\nU01,gold,\nU02,basic,2024-12-01\nU03,gold,\nU04,basic,\nU05,gold,\n"
    )
    result = load_files(workspace, {"customers": crm})
    assert "signup_date missing for 4 customer(s): taken as their first purchase" in result.notes
    with workspace.connect(read_only=True) as con:
        got = con.execute(
            "SELECT customer_id, plan, signup_date FROM customers ORDER BY 1 LIMIT 2"
        ).fetchall()
    assert got == [("U01", "gold", date(2025, 1, 5)), ("U02", "basic", date(2024, 12, 1))]


def test_engagements_alone_need_customers_first(workspace: Workspace, tmp_path: Path) -> None:
    events = tmp_path / "e.csv"
    events.write_text("customer_id,campaign_id,channel,ts,event\nU01,K1,email,2025-06-01 08:00:00,sent\n")
    with pytest.raises(DataValidationError, match="there is no customers table yet"):
        load_files(workspace, {"engagements": events})


def test_open_source_with_only_a_log_is_usable(workspace: Workspace) -> None:
    con = open_source(workspace, {"transactions": ORDERS})
    assert con.execute("SELECT count(*) FROM customers").fetchone() == (5,)


def test_clv_on_a_bare_log_from_the_command_line() -> None:
    result = runner.invoke(app, ["clv", "--transactions", str(ORDERS), "--method", "simple", "--json"])
    assert result.exit_code == 0, result.output
    payload = json.loads(result.stdout)
    assert payload["n_customers"] == 5
    assert "Traceback" not in result.output


def test_show_on_a_derived_workspace_counts_nobody_reachable(workspace: Workspace) -> None:
    load_files(workspace, {"transactions": ORDERS})
    shown = runner.invoke(app, ["data", "show", "--json"])
    assert shown.exit_code == 0, shown.output
    assert json.loads(shown.stdout)["consent"] == {"email": 0, "sms": 0, "push": 0}
