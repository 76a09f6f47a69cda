"""Payments of customer invoices (invoicepayments) and of supplier invoices
(supplierinvoicepayments): listed, read, and created.

A payment names an existing invoice that is not cancelled, and may not exceed what is left of
it: the invoice's Balance goes down by the payment (in the invoice's currency) in the same
transaction, so two payments arriving at once cannot together pay more than the invoice. The
payment that clears the balance sets the invoice's FinalPayDate. A payment changes its invoice,
so the invoice's ``modified_at`` moves too (a ``lastmodified`` read of invoices sees the new
balance). A new payment is not booked.

The OpenAPI description numbers the two kinds differently: an invoice payment's Number is a
string and its InvoiceNumber an integer, a supplier invoice payment's the other way round.
"""

from __future__ import annotations

import sqlite3
from dataclasses import dataclass
from decimal import Decimal
from functools import partial

from werkzeug.routing import Rule
from werkzeug.wrappers import Request, Response

from sandbox.fortnox.documents import amount_text
from sandbox.fortnox.times import local_today, since, stamp
from sandbox.fortnox.wire import (
    INVALID,
    INVOICE_CANCELLED,
    INVOICE_UNKNOWN,
    NOT_FOUND,
    PAYMENT_ABOVE_BALANCE,
    ApiError,
    Context,
    body_of,
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


@dataclass(frozen=True)
class PaymentKind:
    path: str
    wrap: str
    list_key: str
    table: str
    invoice_table: str
    invoice_key: str
    invoice_what: str  # "fakturan", for messages
    number_as_text: bool
    invoice_number_as_text: bool
    #: (field, invoice column) of the party the invoice is for
    party_name: tuple[str, str]
    party_number: tuple[str, str]
    fields: frozenset[str]


_FIELDS = frozenset({"InvoiceNumber", "Amount", "AmountCurrency", "PaymentDate",
                     "ModeOfPayment", "Currency", "CurrencyRate"})  # fmt: skip
INVOICE_PAYMENTS = PaymentKind(
    path="invoicepayments", wrap="InvoicePayment", list_key="InvoicePayments",
    table="invoice_payments", invoice_table="invoices", invoice_key="document_number",
    invoice_what="fakturan", number_as_text=True, invoice_number_as_text=False,
    party_name=("InvoiceCustomerName", "customer_name"),
    party_number=("InvoiceCustomerNumber", "customer_number"), fields=_FIELDS,
)  # fmt: skip
SUPPLIER_PAYMENTS = PaymentKind(
    path="supplierinvoicepayments", wrap="SupplierInvoicePayment",
    list_key="SupplierInvoicePayments", table="supplier_invoice_payments",
    invoice_table="supplier_invoices", invoice_key="given_number",
    invoice_what="leverantörsfakturan", number_as_text=False, invoice_number_as_text=True,
    party_name=("InvoiceSupplierName", "supplier_name"),
    party_number=("InvoiceSupplierNumber", "supplier_number"),
    fields=_FIELDS | {"Information"},
)  # fmt: skip


def _numbered(value: int, as_text: bool) -> int | str:
    return str(value) if as_text else value


def _listed(kind: PaymentKind, r: sqlite3.Row) -> dict:
    return present({
        "@url": f"/3/{kind.path}/{r['number']}", "Amount": money(r["amount"]),
        "Booked": flag(r["booked"]), "Currency": r["currency"],
        "CurrencyRate": money(r["currency_rate"]), "CurrencyUnit": 1,
        "InvoiceNumber": _numbered(r["invoice_number"], kind.invoice_number_as_text),
        "Number": _numbered(r["number"], kind.number_as_text), "PaymentDate": r["payment_date"],
        "Source": "manual", "WriteOffExist": False,
    })  # fmt: skip


def render_payment(kind: PaymentKind, r: sqlite3.Row, invoice: sqlite3.Row) -> dict:
    body = _listed(kind, r)
    del body["WriteOffExist"]
    body.update(present({
        "AmountCurrency": money(r["amount_currency"]), "ModeOfPayment": r["mode_of_payment"],
        "Information": r["information"], "VoucherNumber": r["voucher_number"],
        "VoucherSeries": r["voucher_series"], "VoucherYear": r["voucher_year"],
        kind.party_name[0]: invoice[kind.party_name[1]],
        kind.party_number[0]: invoice[kind.party_number[1]],
        "InvoiceDueDate": invoice["due_date"], "InvoiceOCR": invoice["ocr"],
        "InvoiceTotal": invoice["total"], "WriteOffs": [],
    }))  # fmt: skip
    return body


def list_payments(kind: PaymentKind, ctx: Context, request: Request) -> Response:
    after = since(request)
    invoice = request.args.get("invoicenumber") or None
    return page(
        request, ctx.store, kind.list_key,
        f"select * from {kind.table} where (? is null or modified_at > ?) "
        "and (? is null or invoice_number = ?) order by number",
        (after, after, invoice, invoice),
        lambda r: _listed(kind, r),
    )  # fmt: skip


def get_payment(kind: PaymentKind, ctx: Context, request: Request, number: int) -> Response:
    with ctx.store.transaction() as db:
        payment = db.execute(f"select * from {kind.table} where number = ?", (number,)).fetchone()
        if payment is None:
            raise ApiError(404, NOT_FOUND, f"Inbetalning {number} finns inte.")
        invoice = _invoice(kind, db, payment["invoice_number"])
    return json_response({kind.wrap: render_payment(kind, payment, invoice)})


def _invoice(kind: PaymentKind, db: sqlite3.Connection, key: int) -> sqlite3.Row:
    invoice = db.execute(
        f"select * from {kind.invoice_table} where {kind.invoice_key} = ?", (key,)
    ).fetchone()
    if invoice is None:
        raise ApiError(400, INVOICE_UNKNOWN, f"{kind.invoice_what.capitalize()} {key} finns "
                       "inte.")  # fmt: skip
    return invoice


def create_payment(kind: PaymentKind, ctx: Context, request: Request) -> Response:
    body = body_of(request, kind.wrap)
    refuse_unknown(body, kind.fields, kind.wrap)
    invoice_number = integer(body, "InvoiceNumber", 1)
    if invoice_number is None:
        raise ApiError(400, INVALID, "InvoiceNumber krävs.")
    amount = number(body, "Amount", cents=True)
    if amount is None or amount <= 0:
        raise ApiError(400, INVALID, "Amount ska vara ett positivt belopp.")
    paid_on = day(body, "PaymentDate") or local_today(ctx.clock)
    with ctx.store.transaction() as db:
        invoice = _invoice(kind, db, invoice_number)
        if invoice["cancelled"]:
            raise ApiError(400, INVOICE_CANCELLED, f"{kind.invoice_what.capitalize()} "
                           f"{invoice_number} är makulerad och kan inte betalas.")  # fmt: skip
        currency = invoice["currency"]
        in_currency = number(body, "AmountCurrency", cents=True)
        if currency == "SEK":
            in_currency = amount
        elif in_currency is None:
            raise ApiError(400, INVALID, f"AmountCurrency krävs för en faktura i {currency}.")
        balance = Decimal(invoice["balance"])
        if in_currency > balance:
            raise ApiError(
                400, PAYMENT_ABOVE_BALANCE,
                f"Betalningen på {in_currency:.2f} är större än restbeloppet {balance:.2f} på "
                f"{kind.invoice_what} {invoice_number}.",
            )  # fmt: skip
        (payment_number,) = db.execute(
            f"select coalesce(max(number), 0) + 1 from {kind.table}"
        ).fetchone()
        now = stamp(ctx.clock)
        db.execute(
            f"insert into {kind.table} (number, invoice_number, amount, amount_currency, "
            "currency, currency_rate, payment_date, mode_of_payment, information, modified_at) "
            "values (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            (payment_number, invoice_number, amount_text(amount), amount_text(in_currency),
             currency, str(number(body, "CurrencyRate") or Decimal(invoice["currency_rate"])),
             paid_on.isoformat(), text(body, "ModeOfPayment", 50),
             text(body, "Information", 1024), now),
        )  # fmt: skip
        left = balance - in_currency
        db.execute(
            f"update {kind.invoice_table} set balance = ?, modified_at = ?, "
            "final_pay_date = case when ? then ? else final_pay_date end "
            f"where {kind.invoice_key} = ?",
            (amount_text(left), now, left == 0, paid_on.isoformat(), invoice_number),
        )
        payment = db.execute(
            f"select * from {kind.table} where number = ?", (payment_number,)
        ).fetchone()
        invoice = _invoice(kind, db, invoice_number)
    return json_response({kind.wrap: render_payment(kind, payment, invoice)}, 201)


ROUTES = [
    rule
    for kind in (INVOICE_PAYMENTS, SUPPLIER_PAYMENTS)
    for rule in (
        Rule(f"/3/{kind.path}", endpoint=partial(list_payments, kind), methods=["GET"]),
        Rule(f"/3/{kind.path}", endpoint=partial(create_payment, kind), methods=["POST"]),
        Rule(f"/3/{kind.path}/<int:number>", endpoint=partial(get_payment, kind), methods=["GET"]),
    )
]
