"""What the syncs share: reading the published snapshot, the date a voucher is booked on,
and a voucher as an outbox item."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

import duckdb

from ledgerbridge.config import Settings
from reverse_etl.destinations import destination_of
from reverse_etl.outbox import NewItem

#: a sync's proposals from the published snapshot (its connection), for the date asked for
Propose = Callable[[duckdb.DuckDBPyConnection, Settings, date | None], list[NewItem]]


def published(con: duckdb.DuckDBPyConnection, table: str) -> bool:
    """Whether the snapshot holds the table (a sync model of sources the home lacks is not)."""
    return bool(
        con.execute(
            "select count(*) from information_schema.tables where table_name = ?", [table]
        ).fetchone()[0]
    )


def today_in_stockholm() -> date:
    return datetime.now(ZoneInfo("Europe/Stockholm")).date()


@dataclass(frozen=True)
class OpenBooks:
    """Where a company's books take new vouchers: from the start of its last fiscal year
    (earlier years are closed) and after the period its accounting system has locked."""

    last_year_start: date | None
    locked_until: date | None


def open_books(con: duckdb.DuckDBPyConnection) -> dict[str, OpenBooks]:
    return {
        company_id: OpenBooks(last_year_start, locked_until)
        for company_id, last_year_start, locked_until in con.execute(
            "select company_id, last_fiscal_year_start, books_locked_until from dim_company"
        ).fetchall()
    }


def booking_date(due: date, books: OpenBooks | None, asked: date | None) -> date:
    """The date a voucher is booked on: the date asked for, else the date it is due (that of
    the voucher a correction corrects, a month's end), so that the period's figures and VAT
    return come out right; but never before it is due, never in a closed fiscal year unless
    asked for, and never in a period the accounting system has locked."""
    day = max(asked or due, due)
    if books is not None:
        if asked is None and books.last_year_start is not None:
            day = max(day, books.last_year_start)
        if books.locked_until is not None and day <= books.locked_until:
            day = books.locked_until + timedelta(days=1)
    return day


def voucher_row(account: str, cost_centre: str | None, project: str | None, amount) -> dict:
    return {
        "account": account,
        "cost_centre": cost_centre,
        "project": project,
        "amount": str(Decimal(amount).quantize(Decimal("0.01"))),
    }


def voucher_item(
    sync: str,
    settings: Settings,
    company_id: str,
    source_document: str,
    finding_id: str | None,
    voucher: dict,
    before: dict,
) -> NewItem:
    """A voucher (text, date, series, rows, …) as an outbox item for the company's books."""
    return NewItem(
        company_id=company_id,
        sync=sync,
        operation="create_voucher",
        destination=destination_of(settings, company_id),
        source_document=source_document,
        finding_id=finding_id,
        payload=voucher,
        # the same voucher planned on another day is the same change
        version_of={k: voucher[k] for k in ("series", "text", "rows")},
        needs_approval=True,  # vouchers always need a person's approval
        before=before,
        after={"voucher": voucher["text"], "date": voucher["date"], "rows": voucher["rows"]},
    )


def dict_rows(con: duckdb.DuckDBPyConnection, sql: str) -> list[dict]:
    """A query's rows as column → value."""
    result = con.execute(sql)
    columns = [c[0] for c in result.description]
    return [dict(zip(columns, values, strict=True)) for values in result.fetchall()]
