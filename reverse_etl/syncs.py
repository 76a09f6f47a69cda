"""The syncs: what each ``sync_*`` model of dbt_project/models/marts/reverse_etl proposes to
write, turned into outbox items. They read the published snapshot (serving.duckdb), never the
warehouse, so planning never waits for a build.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from zoneinfo import ZoneInfo

import duckdb

from ledgerbridge.config import Paths, Settings
from ledgerbridge.warehouse import connect_serving
from reverse_etl.destinations import destination_of
from reverse_etl.outbox import NewItem

STOCKHOLM = ZoneInfo("Europe/Stockholm")


def today_in_stockholm() -> date:
    return datetime.now(STOCKHOLM).date()


@dataclass(frozen=True)
class Sync:
    name: str  # the sync model
    description: str
    propose: Callable[[duckdb.DuckDBPyConnection, Settings, date | None], list[NewItem]]


def _published(con: duckdb.DuckDBPyConnection, table: str) -> bool:
    return bool(
        con.execute(
            "select count(*) from information_schema.tables where table_name = ?", [table]
        ).fetchone()[0]
    )


def booking_dates(con: duckdb.DuckDBPyConnection, asked: date | None) -> dict[str, date]:
    """Per company, the date a new voucher is booked on: the date asked for, or today in
    Stockholm, but never after the last fiscal year the books know (a demo's books end
    before today; a real company's program has today's year open)."""
    day = asked or today_in_stockholm()
    return {
        company_id: min(day, last_day)
        for company_id, last_day in con.execute(
            "select company_id, max(period_end) from dim_fiscal_period group by company_id"
        ).fetchall()
    }


def _correction_vouchers(
    con: duckdb.DuckDBPyConnection, settings: Settings, asked: date | None
) -> list[NewItem]:
    name = "sync_accounting__correction_vouchers"
    if not _published(con, name):
        return []
    rows = con.execute(
        "select c.finding_id, c.company_id, c.corrects_voucher_id, c.corrects_voucher_date, "
        "c.kind, c.voucher_series, c.voucher_text, c.account_number, c.cost_centre_code, "
        "c.project_code, c.amount, f.details "
        f"from {name} c join rec_findings f using (finding_id) "
        "order by c.company_id, c.corrects_voucher_id, c.row_number"
    ).fetchall()
    days = booking_dates(con, asked)
    vouchers: dict[tuple[str, str, str], dict] = {}
    for (finding_id, company_id, corrects, corrects_date, kind, series, text, account,
         cost_centre, project, amount, details) in rows:  # fmt: skip
        voucher = vouchers.setdefault(
            (company_id, finding_id, corrects),
            {
                "kind": kind,
                "series": series or "",
                "text": text,
                # a correction is never dated before what it corrects
                "date": max(days.get(company_id, corrects_date), corrects_date).isoformat(),
                "corrects_voucher_id": corrects,
                "finding": details,
                "rows": [],
            },
        )
        voucher["rows"].append(
            {
                "account": account,
                "cost_centre": cost_centre,
                "project": project,
                "amount": str(Decimal(amount).quantize(Decimal("0.01"))),
            }
        )
    items = []
    for (company_id, finding_id, corrects), voucher in vouchers.items():
        items.append(
            NewItem(
                company_id=company_id,
                sync=name,
                operation="create_voucher",
                destination=destination_of(settings, company_id),
                source_document=corrects,
                finding_id=finding_id,
                payload=voucher,
                # the same correction planned on another day is the same change
                version_of={k: voucher[k] for k in ("series", "text", "rows")},
                needs_approval=True,  # vouchers always need a person's approval
                before={"finding": voucher["finding"]},
                after={
                    "voucher": voucher["text"],
                    "date": voucher["date"],
                    "rows": voucher["rows"],
                },
            )
        )
    return items


#: the register's field names for the sync model's columns
CUSTOMER_FIELDS = {
    "customer_name": ("Name", "before_name"),
    "organisation_number": ("OrganisationNumber", "before_orgnr"),
    "address1": ("Address1", "before_street"),
    "zip_code": ("ZipCode", "before_postal_code"),
    "city": ("City", "before_city"),
}


def _customers(
    con: duckdb.DuckDBPyConnection, settings: Settings, asked: date | None
) -> list[NewItem]:
    name = "sync_accounting__customers"
    if not _published(con, name):
        return []
    result = con.execute(f"select * from {name} order by company_id, customer_number")
    columns = [c[0] for c in result.description]
    items = []
    for values in result.fetchall():
        row = dict(zip(columns, values, strict=True))
        fields = {api: row[column] for column, (api, _) in CUSTOMER_FIELDS.items() if row[column]}
        before = {
            api: row[previous]
            for column, (api, previous) in CUSTOMER_FIELDS.items()
            if row[column] and row["operation"] == "update"
        }
        payload = {
            "customer_number": row["customer_number"],
            "operation": row["operation"],
            "fields": fields,
        }
        items.append(
            NewItem(
                company_id=row["company_id"],
                sync=name,
                operation="upsert_customer",
                destination="fortnox",  # the sync reads Fortnox's register: only its companies
                source_document=f"customer {row['customer_number']}",
                finding_id=row["finding_id"],
                payload=payload,
                version_of=payload,
                needs_approval=True,
                before=before,
                after=fields,
            )
        )
    return items


def _invoice_payments(
    con: duckdb.DuckDBPyConnection, settings: Settings, asked: date | None
) -> list[NewItem]:
    name = "sync_erp__invoice_payments"
    if not _published(con, name):
        return []
    rows = con.execute(
        "select company_id, invoice_number, erp_invoice_id, payment_date, payment_numbers, "
        f"amount_to_record, accounting_paid, erp_paid from {name} "
        "order by company_id, invoice_number"
    ).fetchall()
    items = []
    for (company_id, number, erp_id, paid_on, payments, amount, accounting_paid,
         erp_paid) in rows:  # fmt: skip
        payload = {
            "invoice_number": number,
            "erp_invoice_id": erp_id,
            "amount": str(amount),
            "date": paid_on.isoformat(),
            "text": f"Betalning {number} enligt bokföringen ({payments})"[:120],
        }
        items.append(
            NewItem(
                company_id=company_id,
                sync=name,
                operation="record_payment",
                destination="tryton",
                source_document=f"invoice {number}",
                finding_id=None,
                payload=payload,
                # a later payment of the same invoice is another change
                version_of={"invoice": number, "paid": str(accounting_paid)},
                needs_approval=True,
                before={"paid in the ERP": str(erp_paid)},
                after={"paid in the ERP": str(accounting_paid)},
            )
        )
    return items


SYNCS: tuple[Sync, ...] = (
    Sync(
        "sync_accounting__correction_vouchers",
        "correction vouchers for findings (a reversal of a duplicate booking, …)",
        _correction_vouchers,
    ),
    Sync(
        "sync_accounting__customers",
        "customers from the ERP to the accounting system's register (the fields it owns)",
        _customers,
    ),
    Sync(
        "sync_erp__invoice_payments",
        "payments the accounting system received, recorded against the ERP's invoices",
        _invoice_payments,
    ),
)


def proposals(paths: Paths, settings: Settings, asked: date | None = None) -> list[NewItem]:
    """Every item the syncs propose from the published snapshot."""
    con = connect_serving(paths)
    try:
        return [item for sync in SYNCS for item in sync.propose(con, settings, asked)]
    finally:
        con.close()
