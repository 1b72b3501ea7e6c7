"""Real export layouts (issue 15, item 2): each sample under tests/data/exports/ as a user loads it."""

from __future__ import annotations

import json
from datetime import date, datetime
from pathlib import Path

import pandas as pd
import pytest
from typer.testing import CliRunner

from agent.cli.main import app
from data.errors import DataValidationError
from data.exports import load_exports, mappings_path
from data.layouts import parse_map
from data.synth.generate import GeneratedData
from data.workspace import Workspace

EXPORTS = Path(__file__).parent / "data" / "exports"
runner = CliRunner()


@pytest.fixture
def workspace(isolated_home: Path) -> Workspace:
    return Workspace(isolated_home)


def query(workspace: Workspace, sql: str) -> list[tuple[object, ...]]:
    with workspace.connect(read_only=True) as con:
        return con.execute(sql).fetchall()


def test_shopify_orders_lines_refunds_and_guests(workspace: Workspace) -> None:
    loaded = load_exports(workspace, [EXPORTS / "shopify_orders.csv"])
    (f,) = loaded.files
    assert (f.mapping.layout, f.source) == ("shopify-orders", "recognised layout")
    assert "1 row(s) without a customer id skipped" in f.notes
    assert "1 cancellation/refund row(s) counted as returns, not purchases (value 89.90)" in f.notes
    assert loaded.result.rows == {"customers": 3, "transactions": 6}
    first = query(workspace, "SELECT order_id, ts, amount, product_id FROM transactions ORDER BY ts, amount")
    # 2 x 15.00 socks on the second line of #1001, the line's time copied down, +0100 converted to UTC
    assert first[:2] == [
        ("#1001", datetime(2025, 3, 2, 9, 14, 51), 30.0, "SOCK-M"),
        ("#1001", datetime(2025, 3, 2, 9, 14, 51), 89.9, "TR3-42"),
    ]
    people = query(
        workspace, "SELECT email, consent_email, signup_date, country FROM customers ORDER BY email"
    )
    assert people == [
        ("ana.silva@example.com", True, date(2025, 3, 2), "PT"),
        ("ben@example.org", False, date(2025, 3, 5), "PT"),
        ("carla@example.net", True, None, "PT"),  # refunded only: a customer, not a purchase
    ]
    ids = [r[0] for r in query(workspace, "SELECT customer_id FROM customers")]
    assert all(str(i).startswith("cu_") and "@" not in str(i) for i in ids)


def test_stripe_payments_failed_refunded_and_partial(workspace: Workspace) -> None:
    loaded = load_exports(workspace, [EXPORTS / "stripe_payments.csv"])
    notes = loaded.files[0].notes
    assert "1 failed or cancelled payment(s) skipped" in notes
    assert "1 cancellation/refund row(s) counted as returns, not purchases (value 49.00)" in notes
    assert "1 row(s) without a customer id skipped" in notes
    got = query(workspace, "SELECT customer_id, amount FROM transactions ORDER BY ts")
    assert got == [
        ("cus_QaA1b2C3d4E5f6", 29.0),
        ("cus_QaA1b2C3d4E5f6", 29.0),
        ("cus_QbZ9y8X7w6V5u4", 49.0),
        ("cus_QaA1b2C3d4E5f6", 29.0),
        ("cus_QcK4m5N6p7Q8r9", 50.0),  # 60.00 less 10.00 refunded
    ]


def test_uci_invoice_lines_cancellations_and_missing_ids(workspace: Workspace) -> None:
    loaded = load_exports(workspace, [EXPORTS / "uci_online_retail.csv"])
    notes = loaded.files[0].notes
    assert "2 row(s) without a customer id skipped" in notes
    assert "2 cancellation/refund row(s) counted as returns, not purchases (value 32.15)" in notes
    assert loaded.result.rows["transactions"] == 10
    first = query(workspace, "SELECT customer_id, ts, amount, order_id FROM transactions ORDER BY ts, amount")
    assert first[0] == ("17850", datetime(2010, 12, 1, 8, 26), pytest.approx(6 * 2.55), "536365")
    assert query(workspace, "SELECT country FROM customers WHERE customer_id = '12583'") == [("France",)]
    total = query(workspace, "SELECT round(sum(amount), 2) FROM transactions")[0][0]
    assert total == pytest.approx(15.3 + 20.34 + 22.0 + 11.1 + 54.08 + 12.6 + 90.0 + 54.0 + 15.0 + 10.2)


def test_crm_contacts_keep_attributes_and_drop_names(workspace: Workspace) -> None:
    loaded = load_exports(workspace, [EXPORTS / "crm_contacts.csv"])
    notes = loaded.files[0].notes
    assert "1 row(s) without a customer id skipped" in notes
    assert "not loaded (personal data the tools do not use): First Name, Last Name" in notes
    columns = [
        r[0]
        for r in query(
            workspace, "SELECT column_name FROM information_schema.columns WHERE table_name = 'customers'"
        )
    ]
    assert "Lifecycle Stage" in columns and "Number of Pageviews" in columns
    assert "First Name" not in columns and "Last Name" not in columns
    got = query(
        workspace,
        'SELECT customer_id, signup_date, consent_email, "Number of Pageviews" '
        "FROM customers ORDER BY customer_id LIMIT 2",
    )
    assert got == [("101", date(2024, 11, 2), True, 14.0), ("102", date(2024, 12, 15), False, 3.0)]


def test_custom_map_is_saved_and_reused(workspace: Workspace, tmp_path: Path) -> None:
    export = tmp_path / "orders.csv"
    export.write_text("Client,When,Qty,Each\nK1,2025-01-02 10:00,2,4.50\nK2,2025-01-03 11:00,1,10\n")
    with pytest.raises(DataValidationError, match="layout not recognised: give --map"):
        load_exports(workspace, [export])
    mapping = parse_map("customer_id=Client,ts=When,quantity=Qty,unit_price=Each")
    first = load_exports(workspace, [export], override=mapping)
    assert first.files[0].source == "--map" and first.result.rows["transactions"] == 2
    again = load_exports(workspace, [export])
    assert again.files[0].source == "saved mapping"
    assert query(workspace, "SELECT amount FROM transactions ORDER BY amount") == [(9.0,), (10.0,)]
    assert "Client" in mappings_path(workspace).read_text()


def test_bad_value_names_the_source_column_and_keeps_previous_data(
    workspace: Workspace, tmp_path: Path
) -> None:
    load_exports(workspace, [EXPORTS / "uci_online_retail.csv"])
    bad = tmp_path / "bad.csv"
    text = (EXPORTS / "uci_online_retail.csv").read_text().replace(",2.55,", ",two,")
    bad.write_text(text)
    with pytest.raises(DataValidationError) as info:
        load_exports(workspace, [bad])
    assert (info.value.row, info.value.column) == (1, "UnitPrice")
    assert query(workspace, "SELECT count(*) FROM transactions") == [(10,)]


def test_orders_export_and_crm_file_together_crm_wins_the_customers(
    workspace: Workspace, tmp_path: Path
) -> None:
    orders = tmp_path / "orders.csv"
    orders.write_text("Customer ID,Created (UTC),Amount,id\n101,2025-03-01 10:00:00,20.00,ch_1\n")
    loaded = load_exports(workspace, [orders, EXPORTS / "crm_contacts.csv"], override=None)
    assert loaded.result.rows["customers"] == 5


def test_map_errors_are_plain() -> None:
    with pytest.raises(ValueError, match="is not target=Column"):
        parse_map("customer_id")
    with pytest.raises(ValueError, match="not one of"):
        parse_map("client=Client")


def test_cli_shows_the_mapping(isolated_home: Path) -> None:
    result = runner.invoke(app, ["data", "load", str(EXPORTS / "uci_online_retail.csv"), "--json"])
    assert result.exit_code == 0, result.output
    payload = json.loads(result.stdout)
    (f,) = payload["files"]
    assert f["layout"] == "uci-online-retail" and f["columns"]["unit_price"] == "UnitPrice"
    human = runner.invoke(app, ["data", "load", str(EXPORTS / "uci_online_retail.csv")])
    assert human.exit_code == 0
    assert "uci-online-retail" in human.output and "UnitPrice" in human.output
    assert "counted as returns" in human.output


def test_only_an_orders_export_gives_segments_clv_and_a_forecast(
    isolated_home: Path, sample_data: GeneratedData, tmp_path: Path
) -> None:
    """The generator's purchases written as a Shopify export are all a new user has."""
    tx = pd.read_csv(sample_data.tables["transactions"])
    export = pd.DataFrame(
        {
            "Name": [f"#{1000 + i}" for i in range(len(tx))],
            "Email": tx["customer_id"].str.lower() + "@example.com",
            "Financial Status": "paid",
            "Created at": pd.to_datetime(tx["ts"]).dt.strftime("%Y-%m-%d %H:%M:%S +0000"),
            "Lineitem quantity": 1,
            "Lineitem name": tx["category"],
            "Lineitem price": tx["amount"].round(2),
            "Lineitem sku": tx["product_id"],
        }
    )
    path = tmp_path / "orders_export.csv"
    export.to_csv(path, index=False)
    loaded = runner.invoke(app, ["data", "load", str(path), "--json"])
    assert loaded.exit_code == 0, loaded.output
    assert json.loads(loaded.stdout)["rows"]["transactions"] == len(tx)
    segments = runner.invoke(app, ["segment", "--json"])
    assert segments.exit_code == 0, segments.output
    clv = runner.invoke(app, ["clv", "--json"])
    assert clv.exit_code == 0, clv.output
    assert json.loads(clv.stdout)["n_customers"] == tx["customer_id"].nunique()
    forecast = runner.invoke(app, ["forecast", "--horizon", "4", "--json"])
    assert forecast.exit_code == 0, forecast.output
