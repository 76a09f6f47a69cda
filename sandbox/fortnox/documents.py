"""What customer and supplier invoices share: amounts kept to the öre, due dates from terms of
payment, the financial year an invoice date falls in, the filters of their lists, and booking
one (its voucher, referring to it)."""

from __future__ import annotations

import sqlite3
from datetime import date, timedelta
from decimal import ROUND_HALF_UP, Decimal

from werkzeug.wrappers import Request

from sandbox.fortnox import rules
from sandbox.fortnox.times import since
from sandbox.fortnox.wire import CENT, INVALID, OUTSIDE_YEAR, ApiError, number

#: Days to pay when neither the document nor the party names terms of payment.
DEFAULT_TERMS_DAYS = 30
#: Fortnox's list filters of invoices and supplier invoices, as SQL on the document's columns.
LIST_FILTERS = {
    "cancelled": "cancelled = 1",
    "fullypaid": "cancelled = 0 and balance = '0.00'",
    "unpaid": "cancelled = 0 and balance != '0.00'",
    "unpaidoverdue": "cancelled = 0 and balance != '0.00' and due_date < :today",
    "unbooked": "cancelled = 0 and booked = 0",
}


def cents(value: Decimal) -> Decimal:
    return value.quantize(CENT, rounding=ROUND_HALF_UP)


def amount_text(value: Decimal) -> str:
    """An amount as the tables keep it: two decimals, and zero always as ``0.00`` (the list
    filters compare balances with it)."""
    return "0.00" if value == 0 else f"{cents(value)}"


def due_date(invoice_day: date, given: date | None, terms: str | None) -> date:
    """The given due date, else the invoice date plus the terms of payment when they are a
    number of days (Fortnox's codes "10", "30", …), else plus 30 days."""
    if given is not None:
        if given < invoice_day:
            raise ApiError(400, INVALID, f"Förfallodatumet {given} ligger före fakturadatumet "
                           f"{invoice_day}.")  # fmt: skip
        return given
    days = int(terms) if terms and terms.isdigit() else DEFAULT_TERMS_DAYS
    return invoice_day + timedelta(days=days)


def currency_rate(body: dict, currency: str) -> Decimal:
    """The document's CurrencyRate: 1 for SEK unless given, required for another currency."""
    rate = number(body, "CurrencyRate")
    if rate is None:
        if currency != "SEK":
            raise ApiError(400, INVALID, f"CurrencyRate krävs för en faktura i {currency}.")
        return Decimal(1)
    if rate <= 0:
        raise ApiError(400, INVALID, "CurrencyRate ska vara större än noll.")
    return rate


def year_of(db: sqlite3.Connection, invoice_day: date) -> sqlite3.Row:
    """The financial year an invoice date falls in: its chart holds the rows' accounts."""
    year = db.execute(
        "select * from financial_years where from_date <= ? and to_date >= ?",
        (invoice_day.isoformat(), invoice_day.isoformat()),
    ).fetchone()
    if year is None:
        raise ApiError(400, OUTSIDE_YEAR, f"Inget räkenskapsår omfattar fakturadatumet "
                       f"{invoice_day}.")  # fmt: skip
    return year


def list_where(request: Request, today: date, party_column: str, party_param: str) -> tuple:
    """The where clause and named parameters of a document list's filters: ``lastmodified``,
    ``fromdate``/``todate`` (invoice date), the party's number and Fortnox's ``filter``."""
    clauses = ["1 = 1"]
    params: dict[str, object] = {"today": today.isoformat()}
    after = since(request)
    if after is not None:
        clauses.append("modified_at > :after")
        params["after"] = after
    for name, clause in (("fromdate", "invoice_date >= :fromdate"),
                         ("todate", "invoice_date <= :todate")):  # fmt: skip
        given = request.args.get(name)
        if given:
            try:
                params[name] = date.fromisoformat(given).isoformat()
            except ValueError:
                raise ApiError(400, INVALID, f"{name} ska vara ett datum ÅÅÅÅ-MM-DD.") from None
            clauses.append(clause)
    party = request.args.get(party_param)
    if party:
        clauses.append(f"{party_column} = :party")
        params["party"] = party
    wanted = request.args.get("filter")
    if wanted:
        if wanted not in LIST_FILTERS:
            raise ApiError(400, INVALID, f"filter ska vara ett av {', '.join(LIST_FILTERS)}.")
        clauses.append(LIST_FILTERS[wanted])
    return " and ".join(clauses), params


#: (account, debit, credit, cost centre, project) of a booking's voucher row
BookingRow = tuple[int, Decimal, Decimal, str | None, str | None]


def book_document(
    db: sqlite3.Connection,
    year: sqlite3.Row,
    series: str,
    booked_on: date,
    description: str,
    reference: tuple[str, str],
    rows: list[BookingRow],
    now: str,
) -> int:
    """Write the voucher that books an invoice (``reference``: its type and number) in the
    year's series, held to the year's chart and balanced; its number."""
    if not db.execute("select 1 from voucher_series where code = ?", (series,)).fetchone():
        raise ApiError(400, INVALID, f"Verifikationsserien {series} finns inte.")
    chart = rules.Chart.load(db, year["id"])
    for index, (account, _, _, cost_center, project) in enumerate(rows, 1):
        rules.check_account(chart, index, account, cost_center, project)
    rules.check_balance(sum(row[1] for row in rows), sum(row[2] for row in rows))
    (number_,) = db.execute(
        "select coalesce(max(number), 0) + 1 from vouchers where year_id = ? and series = ?",
        (year["id"], series),
    ).fetchone()
    db.execute(
        "insert into vouchers values (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        (year["id"], series, number_, booked_on.isoformat(), description, None, reference[0],
         reference[1], None, None, now),
    )  # fmt: skip
    db.executemany(
        "insert into voucher_rows values (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        [(year["id"], series, number_, i, account, str(debit), str(credit), cost_center,
          project, None, None, None)
         for i, (account, debit, credit, cost_center, project) in enumerate(rows, 1)],
    )  # fmt: skip
    return number_
