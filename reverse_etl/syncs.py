"""The syncs: what each ``sync_*`` model of dbt_project/models/marts/reverse_etl proposes to
write, turned into outbox items. They read the published snapshot (serving.duckdb), never the
warehouse, so planning never waits for a build.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import date, datetime, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

import duckdb

from ledgerbridge.config import Paths, Settings
from ledgerbridge.errors import ConfigError
from ledgerbridge.warehouse import connect_serving
from reverse_etl.destinations import destination_of
from reverse_etl.outbox import NewItem

#: a sync's proposals from the published snapshot (its connection), for the date asked for
Propose = Callable[[duckdb.DuckDBPyConnection, Settings, date | None], list[NewItem]]


@dataclass(frozen=True)
class Sync:
    name: str  # the sync model
    description: str
    propose: Propose
    #: master data may be approved by configuration; vouchers and payments never are
    master_data: bool = False


def _published(con: duckdb.DuckDBPyConnection, table: str) -> bool:
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

    last_year_start: date
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
        if asked is None:
            day = max(day, books.last_year_start)
        if books.locked_until is not None and day <= books.locked_until:
            day = books.locked_until + timedelta(days=1)
    return day


def _voucher_row(account: str, cost_centre: str | None, project: str | None, amount) -> dict:
    return {
        "account": account,
        "cost_centre": cost_centre,
        "project": project,
        "amount": str(Decimal(amount).quantize(Decimal("0.01"))),
    }


def _voucher_item(
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


def _correction_vouchers(
    con: duckdb.DuckDBPyConnection, settings: Settings, asked: date | None
) -> list[NewItem]:
    name = "sync_accounting__correction_vouchers"
    if not _published(con, name):
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
        voucher["rows"].append(_voucher_row(account, cost_centre, project, amount))
    return [
        _voucher_item(
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


def _invoice_vouchers(
    con: duckdb.DuckDBPyConnection, settings: Settings, asked: date | None
) -> list[NewItem]:
    name = "sync_accounting__invoice_vouchers"
    if not _published(con, name):
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
        voucher["rows"].append(_voucher_row(account, cost_centre, project, amount))
    return [
        _voucher_item(
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


def _inventory_vouchers(
    con: duckdb.DuckDBPyConnection, settings: Settings, asked: date | None
) -> list[NewItem]:
    name = "sync_accounting__inventory_vouchers"
    if not _published(con, name):
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
        voucher["rows"].append(_voucher_row(account, cost_centre, project, amount))
    return [
        _voucher_item(
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


#: the register's field names for a register sync's columns ({role}: customer or supplier)
REGISTER_FIELDS = {
    "{role}_name": ("Name", "before_name"),
    "organisation_number": ("OrganisationNumber", "before_orgnr"),
    "address1": ("Address1", "before_street"),
    "zip_code": ("ZipCode", "before_postal_code"),
    "city": ("City", "before_city"),
}


def _register(role: str) -> Propose:
    """The proposals of sync_accounting__{role}s: parties written to the Fortnox register by
    their number, created or with the fields the ERP owns updated."""
    name = f"sync_accounting__{role}s"
    fields_of = {column.format(role=role): names for column, names in REGISTER_FIELDS.items()}

    def propose(
        con: duckdb.DuckDBPyConnection, settings: Settings, asked: date | None
    ) -> list[NewItem]:
        if not _published(con, name):
            return []
        result = con.execute(f"select * from {name} order by company_id, {role}_number")
        columns = [c[0] for c in result.description]
        items = []
        for values in result.fetchall():
            row = dict(zip(columns, values, strict=True))
            fields = {api: row[column] for column, (api, _) in fields_of.items() if row[column]}
            before = {
                api: row[previous]
                for column, (api, previous) in fields_of.items()
                if row[column] and row["operation"] == "update"
            }
            payload = {
                "register": f"{role}s",
                "number": row[f"{role}_number"],
                "operation": row["operation"],
                "fields": fields,
            }
            items.append(
                NewItem(
                    company_id=row["company_id"],
                    sync=name,
                    operation=f"upsert_{role}",
                    # the sync reads Fortnox's register: only its companies
                    destination="fortnox",
                    source_document=f"{role} {row[f'{role}_number']}",
                    finding_id=row["finding_id"],
                    payload=payload,
                    version_of=payload,
                    needs_approval=True,
                    before=before,
                    after=fields,
                )
            )
        return items

    return propose


#: the article register's field names for sync_accounting__articles' columns
ARTICLE_FIELDS = {
    "article_name": ("Description", "before_name"),
    "sales_price": ("SalesPrice", "before_sales_price"),
    "article_type": ("Type", None),
    "vat_percent": ("VAT", None),
}


def _articles(
    con: duckdb.DuckDBPyConnection, settings: Settings, asked: date | None
) -> list[NewItem]:
    name = "sync_accounting__articles"
    if not _published(con, name):
        return []
    result = con.execute(f"select * from {name} order by company_id, article_number")
    columns = [c[0] for c in result.description]
    items = []
    for values in result.fetchall():
        row = dict(zip(columns, values, strict=True))
        # numbers as text in the outbox (JSON); the destination sends them as numbers
        fields = {
            api: str(int(row[c])) if c == "vat_percent" else str(row[c])
            for c, (api, _) in ARTICLE_FIELDS.items()
            if row[c] is not None
        }
        before = {
            api: None if row[previous] is None else str(row[previous])
            for c, (api, previous) in ARTICLE_FIELDS.items()
            if previous and row[c] is not None and row["operation"] == "update"
        }
        payload = {"number": row["article_number"], "operation": row["operation"],
                   "fields": fields}  # fmt: skip
        items.append(
            NewItem(
                company_id=row["company_id"],
                sync=name,
                operation="upsert_article",
                destination="fortnox",  # the sync reads Fortnox's register: only its companies
                source_document=f"article {row['article_number']}",
                finding_id=None,
                payload=payload,
                version_of=payload,
                needs_approval=True,
                before=before,
                after=fields,
            )
        )
    return items


def _accounts(
    con: duckdb.DuckDBPyConnection, settings: Settings, asked: date | None
) -> list[NewItem]:
    name = "sync_accounting__accounts"
    if not _published(con, name):
        return []
    rows = con.execute(
        "select finding_id, company_id, account_number, fiscal_year_start, account_name "
        f"from {name} order by company_id, fiscal_year_start, account_number"
    ).fetchall()
    items = []
    for finding_id, company_id, number, year_start, account_name in rows:
        payload = {"number": number, "description": account_name,
                   "year_start": year_start.isoformat()}  # fmt: skip
        items.append(
            NewItem(
                company_id=company_id,
                sync=name,
                operation="create_account",
                destination="fortnox",  # only companies whose books are in Fortnox
                source_document=f"account {number} {year_start:%Y-%m-%d}",
                finding_id=finding_id,
                payload=payload,
                version_of=payload,
                needs_approval=True,
                before={},
                after={"account": number, "name": account_name, "year from": payload["year_start"]},
            )
        )
    return items


def _dimension(dimension: str) -> Propose:
    """The proposals of sync_accounting__{dimension}s: members Fortnox lacks, created."""
    name = f"sync_accounting__{dimension}s"

    def propose(
        con: duckdb.DuckDBPyConnection, settings: Settings, asked: date | None
    ) -> list[NewItem]:
        if not _published(con, name):
            return []
        rows = con.execute(
            f"select company_id, {dimension}_code, {dimension}_name from {name} "
            f"order by company_id, {dimension}_code"
        ).fetchall()
        items = []
        for company_id, code, member_name in rows:
            payload = {"number": code, "operation": "create",
                       "fields": {"Description": member_name or code}}  # fmt: skip
            items.append(
                NewItem(
                    company_id=company_id,
                    sync=name,
                    operation=f"upsert_{dimension}",
                    destination="fortnox",  # only companies whose books are in Fortnox
                    source_document=f"{dimension.replace('_', ' ')} {code}",
                    finding_id=None,
                    payload=payload,
                    version_of=payload,
                    needs_approval=True,
                    before={},
                    after=payload["fields"],
                )
            )
        return items

    return propose


def _invoices(
    con: duckdb.DuckDBPyConnection, settings: Settings, asked: date | None
) -> list[NewItem]:
    name = "sync_accounting__invoices"
    if not _published(con, name):
        return []
    result = con.execute(
        f"select s.*, f.details from {name} s join rec_findings f using (finding_id) "
        "order by s.company_id, s.invoice_number, s.row_number"
    )
    columns = [c[0] for c in result.description]
    invoices: dict[tuple[str, str], dict] = {}
    for values in result.fetchall():
        row = dict(zip(columns, values, strict=True))
        invoice = invoices.setdefault(
            (row["company_id"], row["invoice_number"]),
            {
                "finding_id": row["finding_id"],
                "document_number": row["invoice_number"],
                "customer_number": row["customer_number"],
                "text": f"Kundfaktura {row['invoice_number']} till kund {row['customer_number']}",
                # booked on its own date, as the ERP dated it
                "date": row["invoice_date"].isoformat(),
                "net": str(row["invoice_net_amount"]),
                "vat": str(row["invoice_vat_amount"]),
                "total": str(row["invoice_total_amount"]),
                "finding": row["details"],
                "rows": [],
            },
        )
        invoice["rows"].append(
            {
                "article": row["article_number"],
                "description": row["description"],
                "account": row["account_number"],
                "cost_centre": row["cost_centre_code"],
                "project": row["project_code"],
                "quantity": str(row["quantity"]),
                "price": str(row["unit_price"]),
                "amount": str(row["net_amount"]),
            }
        )
    items = []
    for (company_id, number), invoice in invoices.items():
        finding_id = invoice.pop("finding_id")
        items.append(
            NewItem(
                company_id=company_id,
                sync=name,
                operation="create_invoice",
                destination="fortnox",  # only companies whose books are in Fortnox
                source_document=f"invoice {number}",
                finding_id=finding_id,
                payload=invoice,
                version_of={k: invoice[k] for k in ("customer_number", "date", "rows")},
                needs_approval=True,  # it books a voucher
                before={"finding": invoice["finding"]},
                after={"invoice": number, "total": invoice["total"], "VAT": invoice["vat"]},
            )
        )
    return items


#: the ERP's field names (what the Tryton destination writes) for sync_erp__parties' columns
ERP_PARTY_FIELDS = {
    "party_name": ("name", "before_name"),
    "organisation_number": ("orgnr", "before_orgnr"),
    "street": ("street", "before_street"),
    "postal_code": ("postal_code", "before_postal_code"),
    "city": ("city", "before_city"),
}


def _supplier_invoices(
    con: duckdb.DuckDBPyConnection, settings: Settings, asked: date | None
) -> list[NewItem]:
    name = "sync_accounting__supplier_invoices"
    if not _published(con, name):
        return []
    result = con.execute(
        f"select s.*, f.details from {name} s join rec_findings f using (finding_id) "
        "order by s.company_id, s.invoice_number, s.row_number"
    )
    columns = [c[0] for c in result.description]
    invoices: dict[tuple[str, str], dict] = {}
    for values in result.fetchall():
        row = dict(zip(columns, values, strict=True))
        invoice = invoices.setdefault(
            (row["company_id"], row["invoice_number"]),
            {
                "finding_id": row["finding_id"],
                "supplier_number": row["supplier_number"],
                "supplier_invoice_number": row["supplier_invoice_number"],
                "text": f"Leverantörsfaktura {row['supplier_invoice_number']} från "
                f"leverantör {row['supplier_number']}",
                "date": row["invoice_date"].isoformat(),
                "vat": str(row["invoice_vat_amount"]),
                "total": str(row["invoice_total_amount"]),
                "finding": row["details"],
                "rows": [],
            },
        )
        invoice["rows"].append(
            _voucher_row(
                row["account_number"],
                row["cost_centre_code"],
                row["project_code"],
                row["net_amount"],
            )
        )
    items = []
    for (company_id, number), invoice in invoices.items():
        finding_id = invoice.pop("finding_id")
        items.append(
            NewItem(
                company_id=company_id,
                sync=name,
                operation="create_supplier_invoice",
                destination="fortnox",  # only companies whose books are in Fortnox
                source_document=f"supplier invoice {number}",
                finding_id=finding_id,
                payload=invoice,
                version_of={k: invoice[k] for k in ("supplier_number",
                                                    "supplier_invoice_number", "rows")},
                needs_approval=True,  # it books a voucher
                before={"finding": invoice["finding"]},
                after={"supplier invoice": invoice["supplier_invoice_number"],
                       "total": invoice["total"], "VAT": invoice["vat"]},
            )
        )  # fmt: skip
    return items


def _erp_parties(
    con: duckdb.DuckDBPyConnection, settings: Settings, asked: date | None
) -> list[NewItem]:
    name = "sync_erp__parties"
    if not _published(con, name):
        return []
    result = con.execute(f"select * from {name} order by company_id, party_role, party_number")
    columns = [c[0] for c in result.description]
    items = []
    for values in result.fetchall():
        row = dict(zip(columns, values, strict=True))
        fields = {erp: row[c] for c, (erp, _) in ERP_PARTY_FIELDS.items() if row[c] is not None}
        before = {
            erp: row[previous]
            for c, (erp, previous) in ERP_PARTY_FIELDS.items()
            if row[c] is not None
        }
        payload = {
            "party_id": row["erp_party_id"],
            "role": row["party_role"],
            "number": row["party_number"],
            "fields": fields,
        }
        items.append(
            NewItem(
                company_id=row["company_id"],
                sync=name,
                operation="update_party",
                destination="tryton",
                source_document=f"{row['party_role']} {row['party_number']}",
                finding_id=row["finding_id"],
                payload=payload,
                version_of=payload,
                needs_approval=True,
                before=before,
                after=fields,
            )
        )
    return items


def _erp_products(
    con: duckdb.DuckDBPyConnection, settings: Settings, asked: date | None
) -> list[NewItem]:
    name = "sync_erp__products"
    if not _published(con, name):
        return []
    rows = con.execute(
        "select company_id, item_number, erp_template_id, item_name, list_price, before_name, "
        f"before_list_price from {name} order by company_id, item_number"
    ).fetchall()
    items = []
    for company_id, number, template_id, item_name, price, before_name, before_price in rows:
        fields = {"name": item_name, "list_price": None if price is None else str(price)}
        fields = {k: v for k, v in fields.items() if v is not None}
        before = {"name": before_name, "list_price": str(before_price)}
        payload = {"template_id": template_id, "number": number, "fields": fields}
        items.append(
            NewItem(
                company_id=company_id,
                sync=name,
                operation="update_product",
                destination="tryton",
                source_document=f"product {number}",
                finding_id=None,
                payload=payload,
                version_of=payload,
                needs_approval=True,
                before={k: before[k] for k in fields},
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
        "select company_id, invoice_kind, invoice_number, erp_invoice_id, payment_date, "
        f"payment_numbers, amount_to_record, accounting_paid, erp_paid from {name} "
        "order by company_id, invoice_kind, invoice_number"
    ).fetchall()
    items = []
    for (company_id, kind, number, erp_id, paid_on, payments, amount, accounting_paid,
         erp_paid) in rows:  # fmt: skip
        payload = {
            "invoice_number": number,
            "erp_invoice_id": erp_id,
            "amount": str(amount),
            "date": paid_on.isoformat(),
            "text": f"Betalning {number} enligt bokföringen ({payments})"[:120],
        }
        # a later payment of the same invoice is another change
        version = {"invoice": number, "paid": str(accounting_paid)}
        if kind == "supplier":
            version["kind"] = kind
        items.append(
            NewItem(
                company_id=company_id,
                sync=name,
                operation="record_payment",
                destination="tryton",
                source_document=("" if kind == "customer" else "supplier ") + f"invoice {number}",
                finding_id=None,
                payload=payload,
                version_of=version,
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
        "sync_accounting__supplier_invoices",
        "ERP supplier invoices the books lack, created and booked in Fortnox's register",
        _supplier_invoices,
    ),
    Sync(
        "sync_accounting__invoice_vouchers",
        "ERP invoices the books lack, as vouchers (companies whose books are SIE files)",
        _invoice_vouchers,
    ),
    Sync(
        "sync_accounting__inventory_vouchers",
        "monthly inventory vouchers (lagerförändring) per inventory account the books lack",
        _inventory_vouchers,
    ),
    Sync(
        "sync_accounting__customers",
        "customers from the ERP to the accounting system's register (the fields it owns)",
        _register("customer"),
        master_data=True,
    ),
    Sync(
        "sync_accounting__suppliers",
        "suppliers from the ERP to the accounting system's register (never payment accounts)",
        _register("supplier"),
        master_data=True,
    ),
    Sync(
        "sync_accounting__articles",
        "articles from the ERP's products to the accounting system's register",
        _articles,
        master_data=True,
    ),
    Sync(
        "sync_accounting__accounts",
        "accounts the ERP books on that a year's chart in Fortnox lacks, created there",
        _accounts,
        master_data=True,
    ),
    Sync(
        "sync_accounting__cost_centres",
        "cost centres the ERP has and Fortnox lacks, created there",
        _dimension("cost_centre"),
        master_data=True,
    ),
    Sync(
        "sync_accounting__projects",
        "projects the ERP has and Fortnox lacks, created there",
        _dimension("project"),
        master_data=True,
    ),
    Sync(
        "sync_accounting__invoices",
        "ERP customer invoices the books lack, created and booked in Fortnox's register",
        _invoices,
    ),
    Sync(
        "sync_erp__parties",
        "customers and suppliers in the ERP, in the fields the accounting system owns",
        _erp_parties,
        master_data=True,
    ),
    Sync(
        "sync_erp__products",
        "products in the ERP, in the article fields the accounting system owns",
        _erp_products,
        master_data=True,
    ),
    Sync(
        "sync_erp__invoice_payments",
        "payments the accounting system received or made, recorded against the ERP's invoices",
        _invoice_payments,
    ),
)


def automatic_syncs(settings: Settings) -> set[str]:
    """The syncs whose items the configuration approves, once it is known they may be."""
    where = f"{settings.source_file}: [reverse_etl] approve_automatically"
    known = {sync.name: sync for sync in SYNCS}
    for name in settings.reverse_etl.approve_automatically:
        if name not in known:
            raise ConfigError(
                f"{where}: no sync {name!r}",
                hint="master-data syncs: " + ", ".join(s.name for s in SYNCS if s.master_data),
            )
        if not known[name].master_data:
            raise ConfigError(
                f"{where}: {name} writes vouchers or payments, which always need a person's "
                "approval",
                hint="name master-data syncs only",
            )
    return set(settings.reverse_etl.approve_automatically)


def proposals(paths: Paths, settings: Settings, asked: date | None = None) -> list[NewItem]:
    """Every item the syncs propose from the published snapshot; those of syncs the
    configuration approves need no person's approval."""
    automatic = automatic_syncs(settings)
    con = connect_serving(paths)
    try:
        return [
            replace(item, needs_approval=sync.name not in automatic)
            for sync in SYNCS
            for item in sync.propose(con, settings, asked)
        ]
    finally:
        con.close()
