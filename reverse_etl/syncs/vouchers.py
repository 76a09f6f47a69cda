"""Voucher syncs: corrections for findings, the ERP's invoices as vouchers for SIE books, and
the monthly stock vouchers."""

from __future__ import annotations

from datetime import date

import duckdb

from ledgerbridge.config import Settings
from reverse_etl.outbox import NewItem
from reverse_etl.syncs.common import (
    booking_date,
    open_books,
    published,
    today_in_stockholm,
    voucher_item,
    voucher_row,
)


def correction_vouchers(
    con: duckdb.DuckDBPyConnection, settings: Settings, asked: date | None
) -> list[NewItem]:
    name = "sync_accounting__correction_vouchers"
    if not published(con, name):
        return []
    rows = con.execute(
        "select c.finding_id, c.company_id, c.corrects_voucher_id, c.voucher_role, "
        "c.corrects_voucher_date, c.kind, c.voucher_series, c.voucher_text, c.account_number, "
        "c.cost_centre_code, c.project_code, c.amount, f.details "
        f"from {name} c join rec_findings f using (finding_id) "
        # a correction's reversal is sent before its rebooking
        "order by c.company_id, c.corrects_voucher_id, c.voucher_role desc, c.row_number"
    ).fetchall()
    books = open_books(con)
    vouchers: dict[tuple[str, str, str, str], dict] = {}
    for (finding_id, company_id, corrects, role, corrects_date, kind, series, text, account,
         cost_centre, project, amount, details) in rows:  # fmt: skip
        voucher = vouchers.setdefault(
            (company_id, finding_id, corrects, role),
            {
                "kind": kind,
                "role": role,
                "series": series or "",
                "text": text,
                "date": booking_date(corrects_date, books.get(company_id), asked).isoformat(),
                "corrects_voucher_id": corrects,
                "finding": details,
                "rows": [],
            },
        )
        voucher["rows"].append(voucher_row(account, cost_centre, project, amount))
    return [
        voucher_item(
            name,
            settings,
            company_id,
            corrects,
            finding_id,
            voucher,
            before={"finding": voucher["finding"]},
        )
        for (company_id, finding_id, corrects, _), voucher in vouchers.items()
    ]


def invoice_vouchers(
    con: duckdb.DuckDBPyConnection, settings: Settings, asked: date | None
) -> list[NewItem]:
    name = "sync_accounting__invoice_vouchers"
    if not published(con, name):
        return []
    rows = con.execute(
        "select v.finding_id, v.company_id, v.invoice_kind, v.invoice_number, v.invoice_date, "
        "v.voucher_series, v.voucher_text, v.account_number, v.cost_centre_code, "
        f"v.project_code, v.amount, f.details from {name} v "
        "join rec_findings f using (finding_id) "
        "order by v.company_id, v.invoice_kind, v.invoice_number, v.row_number"
    ).fetchall()
    books = open_books(con)
    vouchers: dict[tuple[str, str, str, str], dict] = {}
    for (finding_id, company_id, kind, number, invoice_date, series, text, account, cost_centre,
         project, amount, details) in rows:  # fmt: skip
        voucher = vouchers.setdefault(
            (company_id, finding_id, kind, number),
            {
                "series": series or "",
                "text": text,
                # on the invoice's date, as it should have been booked
                "date": booking_date(invoice_date, books.get(company_id), asked).isoformat(),
                "finding": details,
                "rows": [],
            },
        )
        voucher["rows"].append(voucher_row(account, cost_centre, project, amount))
    return [
        voucher_item(
            name,
            settings,
            company_id,
            f"{kind} invoice {number}",
            finding_id,
            voucher,
            before={"finding": voucher["finding"]},
        )
        for (company_id, finding_id, kind, number), voucher in vouchers.items()
    ]


def inventory_vouchers(
    con: duckdb.DuckDBPyConnection, settings: Settings, asked: date | None
) -> list[NewItem]:
    name = "sync_accounting__inventory_vouchers"
    if not published(con, name):
        return []
    rows = con.execute(
        "select company_id, inventory_account, period_start, period_end, voucher_series, "
        f"voucher_text, account_number, cost_centre_code, project_code, amount from {name} "
        "order by company_id, inventory_account, period_start, row_number"
    ).fetchall()
    books = open_books(con)
    today = today_in_stockholm()
    vouchers: dict[tuple[str, str, date], dict] = {}
    for (company_id, inventory_account, month, month_end, series, text, account, cost_centre,
         project, amount) in rows:  # fmt: skip
        if month_end >= today:  # a month is booked once it has ended
            continue
        voucher = vouchers.setdefault(
            (company_id, inventory_account, month),
            {
                "series": series or "",
                "text": text,
                "date": booking_date(month_end, books.get(company_id), asked).isoformat(),
                "rows": [],
            },
        )
        voucher["rows"].append(voucher_row(account, cost_centre, project, amount))
    return [
        voucher_item(
            name,
            settings,
            company_id,
            f"inventory {account} {month:%Y-%m}",
            None,
            voucher,
            before={"ERP stock change": voucher["rows"][0]["amount"]},
        )
        for (company_id, account, month), voucher in vouchers.items()
    ]
