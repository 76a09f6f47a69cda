"""Syncs to the ERP: the fields of parties and products the accounting system owns, and
payments."""

from __future__ import annotations

from datetime import date

import duckdb

from ledgerbridge.config import Settings
from reverse_etl.outbox import NewItem
from reverse_etl.syncs.common import dict_rows, published

#: the ERP's field names (what the Tryton destination writes) for sync_erp__parties' columns
ERP_PARTY_FIELDS = {
    "party_name": ("name", "before_name"),
    "organisation_number": ("orgnr", "before_orgnr"),
    "street": ("street", "before_street"),
    "postal_code": ("postal_code", "before_postal_code"),
    "city": ("city", "before_city"),
}


def erp_parties(
    con: duckdb.DuckDBPyConnection, settings: Settings, asked: date | None
) -> list[NewItem]:
    name = "sync_erp__parties"
    if not published(con, name):
        return []
    rows = dict_rows(con, f"select * from {name} order by company_id, party_role, party_number")
    items = []
    for row in rows:
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


def erp_products(
    con: duckdb.DuckDBPyConnection, settings: Settings, asked: date | None
) -> list[NewItem]:
    name = "sync_erp__products"
    if not published(con, name):
        return []
    rows = con.execute(
        "select company_id, item_number, erp_template_id, item_name, list_price, before_name, "
        f"before_list_price from {name} order by company_id, item_number"
    ).fetchall()
    items = []
    for company_id, number, template_id, item_name, price, before_name, before_price in rows:
        fields = {"name": item_name, "list_price": None if price is None else str(price)}
        fields = {k: v for k, v in fields.items() if v is not None}
        before = {
            "name": before_name,
            "list_price": None if before_price is None else str(before_price),
        }
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


def invoice_payments(
    con: duckdb.DuckDBPyConnection, settings: Settings, asked: date | None
) -> list[NewItem]:
    name = "sync_erp__invoice_payments"
    if not published(con, name):
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
