"""The ERP's customer and supplier invoices the books lack, created in Fortnox's registers."""

from __future__ import annotations

from datetime import date

import duckdb

from ledgerbridge.config import Settings
from reverse_etl.outbox import NewItem
from reverse_etl.syncs.common import dict_rows, published, voucher_row


def invoices(
    con: duckdb.DuckDBPyConnection, settings: Settings, asked: date | None
) -> list[NewItem]:
    name = "sync_accounting__invoices"
    if not published(con, name):
        return []
    rows = dict_rows(
        con,
        f"select s.*, f.details from {name} s join rec_findings f using (finding_id) "
        "order by s.company_id, s.invoice_number, s.row_number",
    )
    invoices: dict[tuple[str, str], dict] = {}
    for row in rows:
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


def supplier_invoices(
    con: duckdb.DuckDBPyConnection, settings: Settings, asked: date | None
) -> list[NewItem]:
    name = "sync_accounting__supplier_invoices"
    if not published(con, name):
        return []
    rows = dict_rows(
        con,
        f"select s.*, f.details from {name} s join rec_findings f using (finding_id) "
        "order by s.company_id, s.invoice_number, s.row_number",
    )
    invoices: dict[tuple[str, str], dict] = {}
    for row in rows:
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
            voucher_row(
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
