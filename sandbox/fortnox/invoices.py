"""Customer invoices (kundfakturor): listed, read with their rows, and created.

A new invoice names an existing, active customer and at least one row. A row's amounts are
computed with Decimal: its total excluding VAT is price × delivered quantity rounded to the
öre (half up), its VAT that total × the rate, rounded the same way; Net, TotalVAT and Total
are the sums, and Balance starts at Total. (Fortnox can also round the total to whole kronor
and take discounts, freight and fees; the sandbox refuses those fields rather than ignore
them.) A row's account, description, price, unit and VAT rate default from its article; its
account must be in the chart of the year the invoice date falls in, and the account's
cost-centre and project settings hold for the row's dimensions (the invoice's own, when the
row has none). A new invoice is neither booked nor sent; payments reduce its Balance
(payments.py). ``PUT …/bookkeep`` books it: a voucher in series B referring to it.
"""

from __future__ import annotations

import sqlite3
from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from werkzeug.routing import Rule
from werkzeug.wrappers import Request, Response

from sandbox.fortnox import rules
from sandbox.fortnox.documents import (
    BookingRow,
    amount_text,
    book_document,
    cents,
    currency_rate,
    due_date,
    list_where,
    year_of,
)
from sandbox.fortnox.times import local_today, stamp
from sandbox.fortnox.wire import (
    ARTICLE_UNKNOWN,
    CUSTOMER_UNKNOWN,
    DUPLICATE,
    INVALID,
    NOT_FOUND,
    UNSUPPORTED,
    ApiError,
    Context,
    body_of,
    boolean,
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

VAT_RATES = (25, 12, 6, 0)
#: The account a row without one (and without an article naming one) books on, by VAT rate:
#: the BAS sales accounts Fortnox predefines in a new company. The year's chart must hold it.
DEFAULT_SALES_ACCOUNTS = {25: 3001, 12: 3002, 6: 3003, 0: 3004}
INVOICE_TYPES = ("INVOICE", "AGREEMENTINVOICE", "INTRESTINVOICE", "SUMMARYINVOICE", "CASHINVOICE")
INVOICE_FIELDS = frozenset({
    "CustomerNumber", "DocumentNumber", "InvoiceDate", "DueDate", "TermsOfPayment", "Currency",
    "CurrencyRate", "InvoiceType", "CostCenter", "Project", "OurReference", "YourReference",
    "ExternalInvoiceReference1", "ExternalInvoiceReference2", "Remarks", "Comments", "OCR",
    "CustomerName", "Address1", "ZipCode", "City", "VATIncluded", "InvoiceRows",
})  # fmt: skip
ROW_FIELDS = frozenset({
    "ArticleNumber", "Description", "AccountNumber", "DeliveredQuantity", "Price", "VAT", "Unit",
    "CostCenter", "Project", "Discount",
})  # fmt: skip


@dataclass(frozen=True)
class InvoiceRow:
    article_number: str | None
    description: str | None
    account_number: int | None  # None: a text row
    delivered_quantity: Decimal
    unit: str | None
    price: Decimal
    vat: int
    total: Decimal  # excluding VAT
    vat_amount: Decimal
    cost_center: str | None
    project: str | None


def row_amounts(price: Decimal, quantity: Decimal, vat: int) -> tuple[Decimal, Decimal]:
    """A row's total excluding VAT and its VAT, each rounded to the öre."""
    total = cents(price * quantity)
    return total, cents(total * vat / 100)


# -- reading --------------------------------------------------------------------------------
def render_invoice(invoice: sqlite3.Row, rows: list[sqlite3.Row]) -> dict:
    body = _listed(invoice)
    body.update(present({
        "Address1": invoice["address1"], "ZipCode": invoice["zip_code"],
        "City": invoice["city"], "Comments": invoice["comments"],
        "ExternalInvoiceReference2": invoice["external_invoice_reference2"],
        "OurReference": invoice["our_reference"], "YourReference": invoice["your_reference"],
        "Remarks": invoice["remarks"], "Net": money(invoice["net"]),
        "TotalVAT": money(invoice["total_vat"]), "RoundOff": Decimal("0.00"),
        "VATIncluded": False, "AccountingMethod": "ACCRUAL",
        "InvoiceRows": [
            present({
                "RowId": r["row_id"], "ArticleNumber": r["article_number"],
                "Description": r["description"], "AccountNumber": r["account_number"],
                "DeliveredQuantity": r["delivered_quantity"], "Unit": r["unit"],
                "Price": money(r["price"]), "PriceExcludingVAT": money(r["price"]),
                "VAT": r["vat"], "Total": money(r["total"]),
                "TotalExcludingVAT": money(r["total"]), "CostCenter": r["cost_center"],
                "Project": r["project"],
            })
            for r in rows
        ],
    }))  # fmt: skip
    return body


def _listed(r: sqlite3.Row) -> dict:
    return present({
        "@url": f"/3/invoices/{r['document_number']}", "Balance": money(r["balance"]),
        "Booked": flag(r["booked"]), "Cancelled": flag(r["cancelled"]),
        "CostCenter": r["cost_center"], "Currency": r["currency"],
        "CurrencyRate": money(r["currency_rate"]), "CurrencyUnit": 1,
        "CustomerName": r["customer_name"], "CustomerNumber": r["customer_number"],
        "DocumentNumber": str(r["document_number"]), "DueDate": r["due_date"],
        "ExternalInvoiceReference1": r["external_invoice_reference1"],
        "FinalPayDate": r["final_pay_date"], "InvoiceDate": r["invoice_date"],
        "InvoiceType": r["invoice_type"], "OCR": r["ocr"], "Project": r["project"],
        "Sent": flag(r["sent"]), "TermsOfPayment": r["terms_of_payment"],
        "Total": money(r["total"]), "VoucherNumber": r["voucher_number"],
        "VoucherSeries": r["voucher_series"], "VoucherYear": r["voucher_year"],
    })  # fmt: skip


def list_invoices(ctx: Context, request: Request) -> Response:
    where, params = list_where(request, local_today(ctx.clock), "customer_number",
                               "customernumber")  # fmt: skip
    order = {"invoicedate": "invoice_date, document_number",
             "customernumber": "customer_number, document_number",
             }.get(request.args.get("sortby", ""), "document_number")  # fmt: skip
    return page(
        request,
        ctx.store,
        "Invoices",
        f"select * from invoices where {where} order by {order}",
        params,
        _listed,
    )


def get_invoice(ctx: Context, request: Request, document: int) -> Response:
    with ctx.store.transaction() as db:
        invoice, rows = _found(db, document)
    return json_response({"Invoice": render_invoice(invoice, rows)})


def _found(db: sqlite3.Connection, document: int) -> tuple[sqlite3.Row, list[sqlite3.Row]]:
    invoice = db.execute("select * from invoices where document_number = ?", (document,)).fetchone()
    if invoice is None:
        raise ApiError(404, NOT_FOUND, f"Faktura {document} finns inte.")
    rows = db.execute(
        "select * from invoice_rows where document_number = ? order by row_id", (document,)
    ).fetchall()
    return invoice, rows


# -- creating -------------------------------------------------------------------------------
def create_invoice(ctx: Context, request: Request) -> Response:
    body = body_of(request, "Invoice")
    refuse_unknown(body, INVOICE_FIELDS, "Invoice")
    customer_number = text(body, "CustomerNumber")
    if customer_number is None:
        raise ApiError(400, INVALID, "CustomerNumber krävs.")
    given_rows = body.get("InvoiceRows")
    if not isinstance(given_rows, list) or not given_rows:
        raise ApiError(400, INVALID, "En faktura behöver minst en rad (InvoiceRows).")
    if boolean(body, "VATIncluded"):
        raise ApiError(400, UNSUPPORTED, "Priser inklusive moms (VATIncluded) stöds inte av "
                       "sandlådan.")  # fmt: skip
    invoice_day = day(body, "InvoiceDate") or local_today(ctx.clock)
    cost_center, project = text(body, "CostCenter"), text(body, "Project")
    with ctx.store.transaction() as db:
        customer = db.execute(
            "select * from customers where number = ?", (customer_number,)
        ).fetchone()
        if customer is None:
            raise ApiError(400, CUSTOMER_UNKNOWN, f"Kunden {customer_number} finns inte.")
        if not customer["active"]:
            raise ApiError(400, CUSTOMER_UNKNOWN, f"Kunden {customer_number} är inaktiv.")
        chart = rules.Chart.load(db, year_of(db, invoice_day)["id"])
        if cost_center and cost_center not in chart.cost_centers:
            raise ApiError(400, INVALID, f"Kostnadsställe {cost_center} finns inte.")
        if project and project not in chart.projects:
            raise ApiError(400, INVALID, f"Projekt {project} finns inte.")
        rows = [
            _checked_row(db, chart, i, row, cost_center, project)
            for i, row in enumerate(given_rows, 1)
        ]
        terms = text(body, "TermsOfPayment", 50) or customer["terms_of_payment"]
        due = due_date(invoice_day, day(body, "DueDate"), terms)
        currency = (text(body, "Currency", 3) or customer["currency"] or "SEK").upper()
        rate = currency_rate(body, currency)
        document = _document_number(db, text(body, "DocumentNumber"))
        net = sum((r.total for r in rows), Decimal(0))
        vat = sum((r.vat_amount for r in rows), Decimal(0))
        db.execute(
            "insert into invoices (document_number, customer_number, customer_name, address1, "
            "zip_code, city, invoice_date, due_date, terms_of_payment, currency, currency_rate, "
            "invoice_type, cost_center, project, our_reference, your_reference, "
            "external_invoice_reference1, external_invoice_reference2, remarks, comments, ocr, "
            "net, total_vat, total, balance, modified_at) "
            "values (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            (document, customer_number, text(body, "CustomerName", 1024) or customer["name"],
             text(body, "Address1", 1024) or customer["address1"],
             text(body, "ZipCode", 1024) or customer["zip_code"],
             text(body, "City", 1024) or customer["city"], invoice_day.isoformat(),
             due.isoformat(), terms, currency, str(rate),
             choice(body, "InvoiceType", INVOICE_TYPES) or "INVOICE", cost_center, project,
             text(body, "OurReference", 50), text(body, "YourReference", 50),
             text(body, "ExternalInvoiceReference1", 80),
             text(body, "ExternalInvoiceReference2", 80), text(body, "Remarks", 1024),
             text(body, "Comments", 1024), text(body, "OCR", 30), amount_text(net),
             amount_text(vat), amount_text(net + vat), amount_text(net + vat),
             stamp(ctx.clock)),
        )  # fmt: skip
        db.executemany(
            "insert into invoice_rows values (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            [(document, i, r.article_number, r.description, r.account_number,
              str(r.delivered_quantity), r.unit, str(r.price), r.vat, amount_text(r.total),
              amount_text(r.vat_amount), r.cost_center, r.project)
             for i, r in enumerate(rows, 1)],
        )  # fmt: skip
        invoice, stored = _found(db, document)
    return json_response({"Invoice": render_invoice(invoice, stored)}, 201)


def _document_number(db: sqlite3.Connection, given: str | None) -> int:
    if given is None:
        (highest,) = db.execute("select max(document_number) from invoices").fetchone()
        return (highest or 0) + 1
    if not given.isdigit():
        raise ApiError(400, INVALID, f"DocumentNumber ska vara ett nummer, inte {given}.")
    if db.execute("select 1 from invoices where document_number = ?", (int(given),)).fetchone():
        raise ApiError(400, DUPLICATE, f"Fakturanummer {given} används redan.")
    return int(given)


def _checked_row(
    db: sqlite3.Connection,
    chart: rules.Chart,
    index: int,
    row: object,
    cost_center: str | None,
    project: str | None,
) -> InvoiceRow:
    if not isinstance(row, dict):
        raise ApiError(400, INVALID, f"Rad {index}: en fakturarad är ett objekt.")
    refuse_unknown(row, ROW_FIELDS, f"InvoiceRows rad {index}")
    if number(row, "Discount"):
        raise ApiError(400, UNSUPPORTED, f"Rad {index}: rabatt (Discount) stöds inte av "
                       "sandlådan.")  # fmt: skip
    article_number = text(row, "ArticleNumber")
    article = None
    if article_number is not None:
        article = db.execute(
            "select * from articles where number = ?", (article_number,)
        ).fetchone()
        if article is None:
            raise ApiError(400, ARTICLE_UNKNOWN, f"Rad {index}: artikel {article_number} "
                           "finns inte.")  # fmt: skip
    description = text(row, "Description", 255) or (article["description"] if article else None)
    price = number(row, "Price")
    if price is None and article is not None and article["sales_price"] is not None:
        price = Decimal(article["sales_price"])
    quantity = number(row, "DeliveredQuantity")
    if price is None and quantity is None and article is None:  # a row of text only
        return InvoiceRow(None, description, None, Decimal(0), None, Decimal(0), 0, Decimal(0),
                          Decimal(0), None, None)  # fmt: skip
    if quantity is None:
        raise ApiError(400, INVALID, f"Rad {index}: DeliveredQuantity saknas.")
    vat = integer(row, "VAT")
    if vat is None:
        vat = int(Decimal(article["vat"])) if article and article["vat"] is not None else 25
    if vat not in VAT_RATES:
        raise ApiError(400, INVALID, f"Rad {index}: momssatsen {vat} % finns inte (25, 12, 6 "
                       "eller 0).")  # fmt: skip
    account = (
        integer(row, "AccountNumber", 1000, 9999)
        or (article["sales_account"] if article is not None else None)
        or DEFAULT_SALES_ACCOUNTS[vat]
    )
    row_cost_center = text(row, "CostCenter") or cost_center
    row_project = text(row, "Project") or project
    rules.check_account(chart, index, account, row_cost_center, row_project)
    total, vat_amount = row_amounts(price or Decimal(0), quantity, vat)
    unit = text(row, "Unit", 20) or (article["unit"] if article is not None else None)
    return InvoiceRow(article_number, description, account, quantity, unit, price or Decimal(0),
                      vat, total, vat_amount, row_cost_center, row_project)  # fmt: skip


# -- booking ----------------------------------------------------------------------------------
#: What booking an invoice posts to besides its rows' accounts: the BAS accounts Fortnox
#: predefines for kundfordringar and utgående moms per rate, in series B (Kundfakturor).
RECEIVABLES_ACCOUNT = 1510
SALES_VAT_ACCOUNTS = {25: 2611, 12: 2621, 6: 2631}
INVOICE_SERIES = "B"


def bookkeep_invoice(ctx: Context, request: Request, document: int) -> Response:
    """PUT /3/invoices/{n}/bookkeep: the invoice's voucher, referring to it (INVOICE): its
    total on kundfordringar, each row's amount on its account and dimensions, the VAT per
    rate on the rate's account. A booked or cancelled invoice is refused."""
    with ctx.store.transaction() as db:
        invoice, rows = _found(db, document)
    if invoice["cancelled"]:
        raise ApiError(400, INVALID, f"Faktura {document} är makulerad och kan inte bokföras.")
    if invoice["booked"]:
        raise ApiError(400, INVALID, f"Faktura {document} är redan bokförd.")
    booked_on = date.fromisoformat(invoice["invoice_date"])
    with ctx.store.transaction() as db:
        year = year_of(db, booked_on)
    rules.check_date(
        booked_on, year["from_date"], year["to_date"], ctx.store.setting("locked_until")
    )
    lines: list[BookingRow] = [
        (RECEIVABLES_ACCOUNT, Decimal(invoice["total"]), Decimal(0), None, None)
    ]
    vat_by_rate: dict[int, Decimal] = {}
    for r in rows:
        if r["account_number"] is None:  # a row of text only
            continue
        lines.append((r["account_number"], Decimal(0), Decimal(r["total"]), r["cost_center"],
                      r["project"]))  # fmt: skip
        if r["vat"]:
            vat_by_rate[r["vat"]] = vat_by_rate.get(r["vat"], Decimal(0)) + Decimal(r["vat_amount"])
    lines += [(SALES_VAT_ACCOUNTS[rate], Decimal(0), amount, None, None)
              for rate, amount in sorted(vat_by_rate.items(), reverse=True)]  # fmt: skip
    with ctx.store.transaction() as db:
        number = book_document(
            db, year, INVOICE_SERIES, booked_on,
            f"Kundfaktura {document} {invoice['customer_name']}", ("INVOICE", str(document)),
            lines, stamp(ctx.clock),
        )  # fmt: skip
        db.execute(
            "update invoices set booked = 1, voucher_series = ?, voucher_number = ?, "
            "voucher_year = ?, modified_at = ? where document_number = ?",
            (INVOICE_SERIES, number, year["id"], stamp(ctx.clock), document),
        )
        invoice, rows = _found(db, document)
    return json_response({"Invoice": render_invoice(invoice, rows)})


ROUTES = [
    Rule("/3/invoices", endpoint=list_invoices, methods=["GET"]),
    Rule("/3/invoices", endpoint=create_invoice, methods=["POST"]),
    Rule("/3/invoices/<int:document>", endpoint=get_invoice, methods=["GET"]),
    Rule("/3/invoices/<int:document>/bookkeep", endpoint=bookkeep_invoice, methods=["PUT"]),
]
