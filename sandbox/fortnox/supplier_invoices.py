"""Supplier invoices (leverantörsfakturor): listed, read with their rows, and created.

A supplier invoice's rows are accounting rows, as Fortnox keeps them: cost rows (Debit, Credit,
or a debit-positive Total), a VAT row (Code ``VAT``) and the payable (Code ``TOT``). A new
invoice may send only its cost rows with ``Total`` and ``VAT``: the sandbox then adds the VAT
row on the input-VAT account and the TOT row on the supplier-debt account (settings
``account_input_vat`` and ``account_supplier_debt``, 2641 and 2440 as in a new BAS company),
and the rows must balance. Every row's account is held to the chart of the year the invoice
date falls in. The OpenAPI description types Total, VAT, Balance and CurrencyRate as strings;
they are written so, digit for digit. ``PUT …/bookkeep`` books one: a voucher in series D
referring to it.
"""

from __future__ import annotations

import sqlite3
from datetime import date
from decimal import Decimal

from werkzeug.routing import Rule
from werkzeug.wrappers import Request, Response

from sandbox.fortnox import rules
from sandbox.fortnox.documents import (
    amount_text,
    book_document,
    currency_rate,
    due_date,
    list_where,
    year_of,
)
from sandbox.fortnox.times import local_today, stamp
from sandbox.fortnox.wire import (
    DUPLICATE,
    INVALID,
    NOT_BALANCED,
    NOT_FOUND,
    SUPPLIER_UNKNOWN,
    ApiError,
    Context,
    body_of,
    choice,
    day,
    flag,
    integer,
    json_response,
    money,
    number,
    page,
    present,
    refuse_unknown,
    text,
)

ROW_CODES = ("TOT", "VAT", "FRT", "AFE", "ROV", "CND", "CNC", "PRD", "PRC", "SRD", "SRC", "PRE",
             "GWB", "ACC")  # fmt: skip
INVOICE_FIELDS = frozenset({
    "SupplierNumber", "GivenNumber", "InvoiceNumber", "InvoiceDate", "DueDate", "Currency",
    "CurrencyRate", "OCR", "Comments", "OurReference", "YourReference", "CostCenter", "Project",
    "Total", "VAT", "SupplierInvoiceRows",
})  # fmt: skip
ROW_FIELDS = frozenset({
    "Account", "Code", "Debit", "Credit", "Total", "CostCenter", "Project",
    "TransactionInformation", "ArticleNumber", "Quantity",
})  # fmt: skip
DEFAULT_ACCOUNTS = {"account_supplier_debt": 2440, "account_input_vat": 2641}


def _account(db: sqlite3.Connection, setting: str) -> int:
    row = db.execute("select value from settings where key = ?", (setting,)).fetchone()
    return int(row[0]) if row and row[0] else DEFAULT_ACCOUNTS[setting]


# -- reading --------------------------------------------------------------------------------
def _vouchers(r: sqlite3.Row) -> list[dict] | None:
    if r["voucher_number"] is None:
        return None
    return [{"Number": r["voucher_number"], "Series": r["voucher_series"],
             "Year": r["voucher_year"], "ReferenceType": "SUPPLIERINVOICE"}]  # fmt: skip


def _listed(r: sqlite3.Row) -> dict:
    return present({
        "@url": f"/3/supplierinvoices/{r['given_number']}", "Balance": r["balance"],
        "Booked": flag(r["booked"]), "Cancel": flag(r["cancelled"]),
        "CostCenter": r["cost_center"], "Credit": flag(r["credit"]), "Currency": r["currency"],
        "CurrencyRate": r["currency_rate"], "CurrencyUnit": 1, "DueDate": r["due_date"],
        "FinalPayDate": r["final_pay_date"], "GivenNumber": str(r["given_number"]),
        "InvoiceDate": r["invoice_date"], "InvoiceNumber": r["invoice_number"],
        "Project": r["project"], "SupplierName": r["supplier_name"],
        "SupplierNumber": r["supplier_number"], "Total": r["total"], "Vouchers": _vouchers(r),
    })  # fmt: skip


def render_supplier_invoice(r: sqlite3.Row, rows: list[sqlite3.Row]) -> dict:
    body = _listed(r)
    del body["Cancel"]  # the list item's name; the invoice says Cancelled
    body.update(present({
        "Cancelled": flag(r["cancelled"]), "OCR": r["ocr"], "Comments": r["comments"],
        "OurReference": r["our_reference"], "YourReference": r["your_reference"],
        "VAT": r["vat"], "AccountingMethod": "ACCRUAL", "VoucherNumber": r["voucher_number"],
        "VoucherSeries": r["voucher_series"], "VoucherYear": r["voucher_year"],
        "SupplierInvoiceRows": [
            present({
                "Account": row["account"], "Code": row["code"], "Debit": money(row["debit"]),
                "Credit": money(row["credit"]),
                "Total": Decimal(row["debit"]) - Decimal(row["credit"]),
                "CostCenter": row["cost_center"], "Project": row["project"],
                "TransactionInformation": row["transaction_information"],
                "ArticleNumber": row["article_number"],
                "Quantity": int(row["quantity"]) if row["quantity"] is not None else None,
            })
            for row in rows
        ],
    }))  # fmt: skip
    return body


def list_supplier_invoices(ctx: Context, request: Request) -> Response:
    where, params = list_where(request, local_today(ctx.clock), "supplier_number",
                               "suppliernumber")  # fmt: skip
    return page(
        request, ctx.store, "SupplierInvoices",
        f"select * from supplier_invoices where {where} order by given_number", params, _listed,
    )  # fmt: skip


def get_supplier_invoice(ctx: Context, request: Request, given: int) -> Response:
    with ctx.store.transaction() as db:
        invoice, rows = _found(db, given)
    return json_response({"SupplierInvoice": render_supplier_invoice(invoice, rows)})


def _found(db: sqlite3.Connection, given: int) -> tuple[sqlite3.Row, list[sqlite3.Row]]:
    invoice = db.execute(
        "select * from supplier_invoices where given_number = ?", (given,)
    ).fetchone()
    if invoice is None:
        raise ApiError(404, NOT_FOUND, f"Leverantörsfaktura {given} finns inte.")
    rows = db.execute(
        "select * from supplier_invoice_rows where given_number = ? order by row_id", (given,)
    ).fetchall()
    return invoice, rows


# -- creating -------------------------------------------------------------------------------
def create_supplier_invoice(ctx: Context, request: Request) -> Response:
    body = body_of(request, "SupplierInvoice")
    refuse_unknown(body, INVOICE_FIELDS, "SupplierInvoice")
    supplier_number = text(body, "SupplierNumber")
    if supplier_number is None:
        raise ApiError(400, INVALID, "SupplierNumber krävs.")
    given_rows = body.get("SupplierInvoiceRows")
    if not isinstance(given_rows, list) or not given_rows:
        raise ApiError(400, INVALID, "En leverantörsfaktura behöver minst en rad "
                       "(SupplierInvoiceRows).")  # fmt: skip
    invoice_day = day(body, "InvoiceDate") or local_today(ctx.clock)
    total, vat = number(body, "Total", cents=True), number(body, "VAT", cents=True)
    with ctx.store.transaction() as db:
        supplier = db.execute(
            "select * from suppliers where number = ?", (supplier_number,)
        ).fetchone()
        if supplier is None:
            raise ApiError(400, SUPPLIER_UNKNOWN, f"Leverantören {supplier_number} finns inte.")
        if not supplier["active"]:
            raise ApiError(400, SUPPLIER_UNKNOWN, f"Leverantören {supplier_number} är inaktiv.")
        chart = rules.Chart.load(db, year_of(db, invoice_day)["id"])
        cost_center, project = text(body, "CostCenter"), text(body, "Project")
        if cost_center and cost_center not in chart.cost_centers:
            raise ApiError(400, INVALID, f"Kostnadsställe {cost_center} finns inte.")
        if project and project not in chart.projects:
            raise ApiError(400, INVALID, f"Projekt {project} finns inte.")
        rows = [_row(i, row) for i, row in enumerate(given_rows, 1)]
        codes = [r[1] for r in rows]
        if "VAT" not in codes and vat:
            rows.append((_account(db, "account_input_vat"), "VAT", vat, Decimal(0),
                         None, None, None, None, None))  # fmt: skip
        if "TOT" not in codes:
            if total is None:
                raise ApiError(400, INVALID, "Total krävs när ingen rad har koden TOT.")
            rows.append((_account(db, "account_supplier_debt"), "TOT", Decimal(0), total,
                         None, None, None, None, None))  # fmt: skip
        stated_total = sum((r[3] - r[2] for r in rows if r[1] == "TOT"), Decimal(0))
        if total is not None and total != stated_total:
            raise ApiError(400, INVALID, f"Total {total:.2f} skiljer sig från TOT-raderna "
                           f"{stated_total:.2f}.")  # fmt: skip
        vat = sum((r[2] - r[3] for r in rows if r[1] == "VAT"), Decimal(0))
        debit = sum((r[2] for r in rows), Decimal(0))
        credit = sum((r[3] for r in rows), Decimal(0))
        if debit != credit:
            raise ApiError(400, NOT_BALANCED, f"Leverantörsfakturan balanserar inte: debet "
                           f"{debit:.2f} och kredit {credit:.2f}.")  # fmt: skip
        for i, r in enumerate(rows, 1):
            rules.check_account(chart, i, r[0], r[4], r[5])
        given = _given_number(db, body)
        currency = (text(body, "Currency", 3) or supplier["currency"] or "SEK").upper()
        rate = currency_rate(body, currency)
        db.execute(
            "insert into supplier_invoices (given_number, supplier_number, supplier_name, "
            "invoice_number, invoice_date, due_date, currency, currency_rate, ocr, comments, "
            "our_reference, your_reference, cost_center, project, vat, total, balance, "
            "modified_at) values (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            (given, supplier_number, supplier["name"], text(body, "InvoiceNumber", 64),
             invoice_day.isoformat(),
             due_date(invoice_day, day(body, "DueDate"), supplier["terms_of_payment"]).isoformat(),
             currency, str(rate), text(body, "OCR", 30), text(body, "Comments", 1000),
             text(body, "OurReference", 50), text(body, "YourReference", 50),
             cost_center, project, amount_text(vat),
             amount_text(stated_total), amount_text(stated_total), stamp(ctx.clock)),
        )  # fmt: skip
        db.executemany(
            "insert into supplier_invoice_rows values (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            [(given, i, r[0], r[1], amount_text(r[2]), amount_text(r[3]), *r[4:])
             for i, r in enumerate(rows, 1)],
        )  # fmt: skip
        invoice, stored = _found(db, given)
    return json_response({"SupplierInvoice": render_supplier_invoice(invoice, stored)}, 201)


def _row(index: int, row: object) -> tuple:
    """(account, code, debit, credit, cost centre, project, transaction information, article,
    quantity) of a row sent."""
    if not isinstance(row, dict):
        raise ApiError(400, INVALID, f"Rad {index}: en rad är ett objekt.")
    refuse_unknown(row, ROW_FIELDS, f"SupplierInvoiceRows rad {index}")
    account = integer(row, "Account", 1000, 9999)
    if account is None:
        raise ApiError(400, INVALID, f"Rad {index}: Account krävs.")
    debit, credit = number(row, "Debit", cents=True), number(row, "Credit", cents=True)
    if debit is None and credit is None:
        signed = number(row, "Total", cents=True)
        if signed is None:
            raise ApiError(400, INVALID, f"Rad {index}: Debit, Credit eller Total krävs.")
        debit, credit = (signed, Decimal(0)) if signed >= 0 else (Decimal(0), -signed)
    debit, credit = rules.check_amounts(index, debit or Decimal(0), credit or Decimal(0))
    quantity = integer(row, "Quantity")
    return (account, choice(row, "Code", ROW_CODES), debit, credit, text(row, "CostCenter"),
            text(row, "Project"), text(row, "TransactionInformation", 100),
            text(row, "ArticleNumber"), None if quantity is None else str(quantity))  # fmt: skip


def _given_number(db: sqlite3.Connection, body: dict) -> int:
    given = integer(body, "GivenNumber", 1)
    if given is None:
        (highest,) = db.execute("select max(given_number) from supplier_invoices").fetchone()
        return (highest or 0) + 1
    if db.execute("select 1 from supplier_invoices where given_number = ?", (given,)).fetchone():
        raise ApiError(400, DUPLICATE, f"Löpnummer {given} används redan.")
    return given


# -- booking ----------------------------------------------------------------------------------
#: Fortnox's series for supplier invoices (Leverantörsfakturor)
SUPPLIER_INVOICE_SERIES = "D"


def bookkeep_supplier_invoice(ctx: Context, request: Request, given: int) -> Response:
    """PUT /3/supplierinvoices/{n}/bookkeep: the invoice's voucher, its rows as the invoice
    keeps them (cost rows, VAT, the payable), referring to it (SUPPLIERINVOICE). A booked or
    cancelled invoice is refused."""
    with ctx.store.transaction() as db:
        invoice, rows = _found(db, given)
    if invoice["cancelled"]:
        raise ApiError(400, INVALID, f"Leverantörsfaktura {given} är makulerad.")
    if invoice["booked"]:
        raise ApiError(400, INVALID, f"Leverantörsfaktura {given} är redan bokförd.")
    booked_on = date.fromisoformat(invoice["invoice_date"])
    with ctx.store.transaction() as db:
        year = year_of(db, booked_on)
    rules.check_date(
        booked_on, year["from_date"], year["to_date"], ctx.store.setting("locked_until")
    )
    lines = [(r["account"], Decimal(r["debit"]), Decimal(r["credit"]), r["cost_center"],
              r["project"]) for r in rows]  # fmt: skip
    with ctx.store.transaction() as db:
        number = book_document(
            db, year, SUPPLIER_INVOICE_SERIES, booked_on,
            f"Leverantörsfaktura {given} {invoice['supplier_name']}",
            ("SUPPLIERINVOICE", str(given)), lines, stamp(ctx.clock),
        )  # fmt: skip
        db.execute(
            "update supplier_invoices set booked = 1, voucher_series = ?, voucher_number = ?, "
            "voucher_year = ?, modified_at = ? where given_number = ?",
            (SUPPLIER_INVOICE_SERIES, number, year["id"], stamp(ctx.clock), given),
        )
        invoice, rows = _found(db, given)
    return json_response({"SupplierInvoice": render_supplier_invoice(invoice, rows)})


ROUTES = [
    Rule("/3/supplierinvoices", endpoint=list_supplier_invoices, methods=["GET"]),
    Rule("/3/supplierinvoices", endpoint=create_supplier_invoice, methods=["POST"]),
    Rule("/3/supplierinvoices/<int:given>", endpoint=get_supplier_invoice, methods=["GET"]),
    Rule(
        "/3/supplierinvoices/<int:given>/bookkeep",
        endpoint=bookkeep_supplier_invoice,
        methods=["PUT"],
    ),
]
