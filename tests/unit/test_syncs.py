"""What the syncs make of their models' rows: the vouchers they plan, grouped, dated and
sent where the company's books are (reverse_etl.syncs), on a snapshot made by hand."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from pathlib import Path

import duckdb
import pytest

from ledgerbridge.config import parse_settings
from reverse_etl.syncs import SYNCS


@pytest.fixture
def snapshot() -> duckdb.DuckDBPyConnection:
    con = duckdb.connect()
    con.execute(
        "create table dim_company as select 'acme' as company_id, "
        "date '2025-01-01' as last_fiscal_year_start, date '2025-02-28' as books_locked_until"
    )
    con.execute(
        "create table sync_accounting__inventory_vouchers as "
        "select * from (values "
        "('acme', '1460', date '2025-02-01', 1, date '2025-02-28', 'A', "
        " 'Lagerförändring A 2025-02', '1460', null, null, 50.00::decimal(18,2)), "
        "('acme', '1460', date '2025-02-01', 2, date '2025-02-28', 'A', "
        " 'Lagerförändring A 2025-02', '4960', 'LAGER', null, -50.00::decimal(18,2)), "
        "('acme', '1460', date '2025-03-01', 1, date '2025-03-31', 'A', "
        " 'Lagerförändring A 2025-03', '1460', null, null, -30.00::decimal(18,2)), "
        "('acme', '1460', date '2025-03-01', 2, date '2025-03-31', 'A', "
        " 'Lagerförändring A 2025-03', '4960', 'LAGER', null, 30.00::decimal(18,2))"
        ") as t(company_id, inventory_account, period_start, row_number, period_end, "
        "voucher_series, voucher_text, account_number, cost_centre_code, project_code, amount)"
    )
    yield con
    con.close()


def test_a_month_gets_one_inventory_voucher_dated_at_its_end_past_a_lock(
    snapshot: duckdb.DuckDBPyConnection, tmp_path: Path
) -> None:
    settings = parse_settings(
        {"companies": {"acme": {"name": "Acme AB", "sources": {"sie": {"folder": "books"}}}}},
        tmp_path / "ledgerbridge.toml",
    )
    [sync] = [s for s in SYNCS if s.name == "sync_accounting__inventory_vouchers"]
    items = sync.propose(snapshot, settings, None)
    assert [(i.source_document, i.payload["date"], i.destination) for i in items] == [
        ("inventory 1460 2025-02", "2025-03-01", "sie4i"),  # February is locked
        ("inventory 1460 2025-03", "2025-03-31", "sie4i"),
    ]
    february = items[0]
    assert february.payload["text"] == "Lagerförändring A 2025-02"
    assert february.payload["rows"] == [
        {"account": "1460", "cost_centre": None, "project": None, "amount": "50.00"},
        {"account": "4960", "cost_centre": "LAGER", "project": None, "amount": "-50.00"},
    ]
    assert sum(Decimal(r["amount"]) for i in items for r in i.payload["rows"]) == 0
    assert all(i.needs_approval and i.operation == "create_voucher" for i in items)
    # planned again on another day, asked for a later date: the same items (keys)
    later = sync.propose(snapshot, settings, date(2025, 6, 30))
    assert [i.key for i in later] == [i.key for i in items]
    assert [i.payload["date"] for i in later] == ["2025-06-30", "2025-06-30"]


def test_a_month_not_yet_ended_is_not_planned(
    snapshot: duckdb.DuckDBPyConnection, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from reverse_etl.syncs import vouchers

    settings = parse_settings(
        {"companies": {"acme": {"name": "Acme AB", "sources": {"sie": {"folder": "books"}}}}},
        tmp_path / "ledgerbridge.toml",
    )
    monkeypatch.setattr(vouchers, "today_in_stockholm", lambda: date(2025, 3, 31))
    items = vouchers.inventory_vouchers(snapshot, settings, None)
    assert [i.source_document for i in items] == ["inventory 1460 2025-02"]
