"""Load progress (issue 15, item 6): rows done rise to the total, naming the table being checked."""

from __future__ import annotations

from pathlib import Path

from data.exports import load_exports
from data.loader import load_files
from data.progress import LoadProgress
from data.workspace import Workspace

EXPORTS = Path(__file__).parent / "data" / "exports"


def test_load_reports_rows_done_up_to_the_total(isolated_home: Path, tmp_path: Path) -> None:
    calls: list[tuple[int, int, str]] = []
    customers = tmp_path / "c.csv"
    customers.write_text("customer_id,tier\n" + "".join(f"C{i},gold\n" for i in range(50)))
    orders = tmp_path / "t.csv"
    orders.write_text(
        "customer_id,ts,amount\n" + "".join(f"C{i % 50},2025-01-0{1 + i % 9} 10:00,{i}\n" for i in range(200))
    )
    load_files(
        Workspace(isolated_home),
        {"customers": customers, "transactions": orders},
        progress=lambda done, total, what: calls.append((done, total, what)),
    )
    assert {total for _, total, _ in calls} == {250}
    done = [d for d, _, _ in calls]
    assert done == sorted(done) and done[-1] == 250 and done[0] < 250
    assert any(w.startswith("customers: typing") for *_, w in calls)
    assert any(w == "transactions: replaced" for *_, w in calls)


def test_export_loads_report_progress_too(isolated_home: Path) -> None:
    calls: list[int] = []
    load_exports(
        Workspace(isolated_home),
        [EXPORTS / "uci_online_retail.csv"],
        progress=lambda d, t, w: calls.append(d),
    )
    assert calls and calls[-1] == 16  # 10 purchases and 6 customers


def test_steps_beyond_a_tables_count_do_not_overshoot() -> None:
    seen: list[int] = []
    tracker = LoadProgress(lambda d, t, w: seen.append(d), {"customers": 10}, {"customers": 2})
    for _ in range(5):
        tracker.step("customers", "checking")
    assert seen == [5, 10, 10, 10, 10]
