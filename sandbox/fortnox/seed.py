"""Fill a Fortnox sandbox with Demo AB, from what the demo generator wrote (its folder).

The sandbox plays Demo AB's accounting program, so it holds what the accounting side holds:

- the books, from the SIE 4E exports (``sie/*.se``): one financial year per file, its chart
  with each account's opening balance (#IB → BalanceBroughtForward), cost centres (dimension
  1) and projects (dimension 6), the voucher series used, and every voucher with its rows;
- the customer and supplier registers of the accounting program (``accounting/*.jsonl``),
  which differ from the ERP's where the demo planted a master-data mismatch — the difference
  the reverse ETL is to correct;
- articles (``erp/articles.jsonl``: the accounting program has no register of its own);
- the customer invoices that were booked (an ERP invoice with a "Kundfaktura <number>" voucher)
  with their payments, and the supplier invoices with theirs, each linked to its voucher
  (VoucherSeries/Number/Year, and the voucher's ReferenceType and ReferenceNumber). Invoices
  the demo left unbooked are not in the accounting program and are left out. The documents are
  as issued (the ERP's amounts, dimensions and rows); the ledger is as booked, so the demo's
  planted amount and dimension mismatches show between an invoice and its voucher, as they
  would where invoices were booked by hand. A duplicate booking's second voucher stays MANUAL.

Account settings are derived from the demo's own vouchers, so that all of them pass the
sandbox's rules — which the seeder checks, voucher by voucher, with the API's rule functions
(only the locked period is not applied: the books were closed after they were written).
Balance-sheet accounts (BAS classes 1–2) that never carry a cost centre (or project) get
NOTALLOWED, otherwise ALLOWED; result accounts get MANDATORY where every row in the demo carries
one, otherwise ALLOWED.

The locked period ends, unless told otherwise, on the last day of the month before the last
financial year's final month: at the demo's last date (a year end) that month's VAT return is
not yet filed, the months before are closed. Corrections of older periods must therefore be
new vouchers in the open period, as in a real company.

Everything goes in with ``executemany`` in one transaction: a demo of hundreds of thousands of
rows seeds in seconds. The store must hold no books yet (an OAuth client may be there already).
"""

from __future__ import annotations

import json
import re
import sqlite3
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal
from pathlib import Path

from ledgerbridge.formats.sie import (
    DIM_COST_CENTRE,
    DIM_PROJECT,
    SieError,
    SieHeader,
    SieReader,
    Voucher,
)
from sandbox.demo_company import chart as demo_chart
from sandbox.fortnox import rules
from sandbox.fortnox.documents import amount_text
from sandbox.fortnox.store import Store
from sandbox.fortnox.times import STOCKHOLM, utc_text
from sandbox.fortnox.wire import ApiError

#: Fortnox's standard voucher series; the demo books on the same letters.
SERIES = {
    "A": "Redovisning",
    "B": "Kundfakturor",
    "C": "Kundinbetalningar",
    "D": "Leverantörsfakturor",
    "E": "Leverantörsutbetalningar",
}
#: What the demo's voucher texts say a voucher books: (pattern, Fortnox ReferenceType).
REFERENCES = (
    (re.compile(r"^Kundfaktura (\S+) "), "INVOICE"),
    (re.compile(r"^Inbetalning faktura (\S+) "), "INVOICEPAYMENT"),
    (re.compile(r"^Leverantörsfaktura (\S+) "), "SUPPLIERINVOICE"),
    (re.compile(r"^Betalning leverantörsfaktura (\S+) "), "SUPPLIERPAYMENT"),
)
#: Documents booked by one voucher each (a second one is a mistake, left MANUAL).
ONCE_BOOKED = ("INVOICE", "SUPPLIERINVOICE")
PROJECT_DESCRIPTION_LENGTH = 50  # Fortnox's limit


class SeedError(Exception):
    """The demo folder cannot be seeded (missing, unreadable, or breaking a rule)."""


@dataclass
class SeedReport:
    financial_years: int = 0
    accounts: int = 0
    cost_centers: int = 0
    projects: int = 0
    vouchers: int = 0
    voucher_rows: int = 0
    customers: int = 0
    suppliers: int = 0
    articles: int = 0
    invoices: int = 0
    invoices_not_booked: int = 0
    invoice_payments: int = 0
    supplier_invoices: int = 0
    supplier_invoice_payments: int = 0
    locked_until: date | None = None
    #: (start date of the year, account) → Σ voucher rows, debit positive: the trial balance
    trial_balance: dict[tuple[date, str], Decimal] = field(default_factory=dict)


@dataclass
class _Book:
    """One financial year read from a SIE file."""

    id: int
    header: SieHeader
    vouchers: list[Voucher]

    @property
    def start(self) -> date:
        return self.header.fiscal_year(0).start

    @property
    def end(self) -> date:
        return self.header.fiscal_year(0).end


def seed_from_demo(
    store: Store,
    demo_folder: Path,
    *,
    client_id: str | None = None,
    client_secret: str | None = None,
    redirect_uri: str | None = None,
    locked_until: date | None = None,
    now: datetime | None = None,
) -> SeedReport:
    """Fill ``store`` from the demo generator's output in ``demo_folder``. With ``client_id``,
    ``client_secret`` and ``redirect_uri`` an OAuth client is made too. ``locked_until`` defaults
    as the module says; ``now`` (default: the present) stamps every record's ``modified_at``."""
    clients = (client_id, client_secret, redirect_uri)
    if any(clients) and not all(clients):
        raise SeedError("an OAuth client needs client_id, client_secret and redirect_uri")
    books = _read_books(demo_folder)
    stamp = utc_text(now or datetime.now(UTC))
    report = SeedReport()
    with store.transaction() as db:
        held = db.execute(
            "select (select count(*) from financial_years) + (select count(*) from customers)"
        ).fetchone()[0]
        if held:
            raise SeedError(f"{store.path} already holds books: seed a new sandbox file")
        if all(clients):
            db.execute("insert into clients values (?, ?, ?)", clients)
        _ledger(db, books, stamp, report)
        links = _vouchers(db, books, report)
        parties = _registers(db, demo_folder, stamp, report)
        _customer_invoices(db, demo_folder, parties, links, stamp, report)
        _supplier_invoices(db, demo_folder, parties, links, stamp, report)
        report.locked_until = locked_until or _default_lock(books[-1].end)
        db.executemany(
            "insert or replace into settings values (?, ?)",
            [("locked_until", report.locked_until.isoformat()),
             ("company_name", books[-1].header.company_name or "Demo AB"),
             ("organisation_number", books[-1].header.orgnr),
             ("account_supplier_debt", demo_chart.PAYABLES),
             ("account_input_vat", demo_chart.INPUT_VAT)],
        )  # fmt: skip
    return report


def _default_lock(last_day: date) -> date:
    return last_day.replace(day=1) - timedelta(days=1)


# -- the books ------------------------------------------------------------------------------
def _read_books(folder: Path) -> list[_Book]:
    paths = sorted((folder / "sie").glob("*.se"))
    if not paths:
        raise SeedError(f"{folder} holds no demo books (sie/*.se): generate the demo first")
    read = []
    for path in paths:
        try:
            with SieReader(path) as reader:
                vouchers = reader.read()
        except SieError as exc:
            raise SeedError(f"{path} cannot be read: {exc}") from None
        if reader.header.fiscal_year(0) is None:
            raise SeedError(f"{path}: no #RAR 0, so no financial year")
        read.append((reader.header, vouchers))
    read.sort(key=lambda book: book[0].fiscal_year(0).start)
    return [_Book(i, header, vouchers) for i, (header, vouchers) in enumerate(read, 1)]


def _settings(books: list[_Book]) -> dict[str, tuple[str, str]]:
    """Each account's (cost-centre, project) settings, derived from the demo's rows."""
    rows: dict[str, int] = defaultdict(int)
    carrying: dict[tuple[str, str], int] = defaultdict(int)
    for book in books:
        for voucher in book.vouchers:
            for row in voucher.rows:
                rows[row.account] += 1
                for dimension in (DIM_COST_CENTRE, DIM_PROJECT):
                    if row.object_id(dimension):
                        carrying[(row.account, dimension)] += 1

    def setting(account: str, dimension: str) -> str:
        used = carrying[(account, dimension)]
        if demo_chart.is_balance_account(account):
            return "ALLOWED" if used else "NOTALLOWED"
        return "MANDATORY" if used and used == rows[account] else "ALLOWED"

    accounts = {a for book in books for a in book.header.accounts} | set(rows)
    return {a: (setting(a, DIM_COST_CENTRE), setting(a, DIM_PROJECT)) for a in accounts}


def _ledger(db: sqlite3.Connection, books: list[_Book], stamp: str, report: SeedReport) -> None:
    """Financial years, accounts, cost centres, projects, voucher series."""
    settings = _settings(books)
    db.executemany(
        "insert into financial_years values (?, ?, ?, 'BAS 2024')",
        [(b.id, b.start.isoformat(), b.end.isoformat()) for b in books],
    )
    accounts = []
    for book in books:
        opening = {
            b.account: b.amount for b in book.header.balances if b.kind == "IB" and b.year == 0
        }
        used = {r.account for v in book.vouchers for r in v.rows}
        for number in sorted(set(book.header.accounts) | used | set(opening)):
            account = book.header.accounts.get(number)
            cost_center, project = settings[number]
            accounts.append((book.id, int(number), account.name if account else number,
                             cost_center, project,
                             int(account.sru) if account and account.sru else None, stamp,
                             amount_text(opening.get(number, Decimal(0)))))  # fmt: skip
    db.executemany(
        "insert into accounts (year_id, number, description, active, cost_center_settings, "
        "project_settings, sru, modified_at, balance_brought_forward) "
        "values (?, ?, ?, 1, ?, ?, ?, ?, ?)",
        accounts,
    )
    objects: dict[tuple[str, str], str] = {}
    for book in books:
        objects |= book.header.objects
        for voucher in book.vouchers:
            for row in voucher.rows:
                for dimension, value in row.objects:
                    objects.setdefault((dimension, value), value)
    cost_centers = sorted((o, n) for (d, o), n in objects.items() if d == DIM_COST_CENTRE)
    projects = sorted(
        (o, n[:PROJECT_DESCRIPTION_LENGTH]) for (d, o), n in objects.items() if d == DIM_PROJECT
    )
    db.executemany("insert into cost_centers values (?, ?, 1, null)", cost_centers)
    db.executemany("insert into projects values (?, ?, 'ONGOING', null, null)", projects)
    series = sorted({v.series for book in books for v in book.vouchers})
    db.executemany(
        "insert into voucher_series values (?, ?, 1)",
        [(code, SERIES.get(code, f"Serie {code}")) for code in series],
    )
    report.financial_years = len(books)
    report.accounts = len(accounts)
    report.cost_centers, report.projects = len(cost_centers), len(projects)


@dataclass(frozen=True)
class _VoucherRef:
    year_id: int
    series: str
    number: int


def _vouchers(db: sqlite3.Connection, books: list[_Book], report: SeedReport) -> dict:
    """Every voucher, held to the API's rules; answers the vouchers that book each document:
    (ReferenceType, document number) → [voucher, …] in booking order. A voucher's
    ReferenceNumber is its invoice's number; a payment's is set when the payment is numbered."""
    links: dict[tuple[str, str], list[_VoucherRef]] = defaultdict(list)
    for book in books:
        chart = rules.Chart.load(db, book.id)
        head, lines = [], []
        for voucher in book.vouchers:
            try:
                number = int(voucher.number)
            except ValueError:
                raise SeedError(f"{voucher.describe()}: Fortnox numbers vouchers with whole "
                                "numbers") from None  # fmt: skip
            rows = _checked(chart, book, voucher)
            reference_type, reference = "MANUAL", None
            for pattern, kind in REFERENCES:
                match = pattern.match(voucher.text)
                if match:
                    ref = _VoucherRef(book.id, voucher.series, number)
                    links[(kind, match.group(1))].append(ref)
                    reference_type = kind
                    reference = match.group(1) if kind in ONCE_BOOKED else None
                    break
            registered = datetime.combine(voucher.registered or voucher.date, time(12),
                                          STOCKHOLM)  # fmt: skip
            head.append([book.id, voucher.series, number, voucher.date.isoformat(),
                         voucher.text, None, reference_type, reference, None, None,
                         utc_text(registered)])  # fmt: skip
            lines += [(book.id, voucher.series, number, i, *row) for i, row in enumerate(rows, 1)]
            for row in voucher.rows:
                key = (book.start, row.account)
                report.trial_balance[key] = report.trial_balance.get(key, Decimal(0)) + row.amount
        for index, row in enumerate(head):
            # a document booked twice keeps its link on the first voucher only
            if row[6] in ONCE_BOOKED and links[(row[6], row[7])][0] != _VoucherRef(*row[:3]):
                head[index][6:8] = ["MANUAL", None]
        db.executemany("insert into vouchers values (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)", head)
        db.executemany(
            "insert into voucher_rows values (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)", lines
        )
        report.vouchers += len(head)
        report.voucher_rows += len(lines)
    return links


def _checked(chart: rules.Chart, book: _Book, voucher: Voucher) -> list[tuple]:
    """The voucher's rows as voucher_rows holds them (from ``account`` on), once the API's
    rules pass; a demo voucher they refuse stops the seeding."""
    rows = []
    debit_total = credit_total = Decimal(0)
    try:
        rules.check_date(voucher.date, book.start.isoformat(), book.end.isoformat(), None)
        for i, row in enumerate(voucher.rows, 1):
            debit, credit = rules.check_amounts(
                i, max(row.amount, Decimal(0)), max(-row.amount, Decimal(0))
            )
            cost_center = row.object_id(DIM_COST_CENTRE)
            project = row.object_id(DIM_PROJECT)
            rules.check_account(chart, i, int(row.account), cost_center, project)
            debit_total += debit
            credit_total += credit
            rows.append((int(row.account), str(debit), str(credit), cost_center, project,
                         row.text, None, str(row.quantity) if row.quantity else None))  # fmt: skip
        if len(rows) < 2:
            raise ApiError(400, 0, "En verifikation behöver minst två rader.")
        rules.check_balance(debit_total, credit_total)
    except ApiError as exc:
        message = f"the sandbox would refuse demo {voucher.describe()}: {exc.message}"
        raise SeedError(message) from None
    return rows


# -- registers ------------------------------------------------------------------------------
def _jsonl(path: Path) -> list[dict]:
    if not path.is_file():
        raise SeedError(f"{path} is missing: is this a demo folder?")
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line]


def _registers(db: sqlite3.Connection, folder: Path, stamp: str, report: SeedReport) -> dict:
    """Customers and suppliers (the accounting program's registers) and articles; answers the
    parties by number."""
    customers = {c["number"]: c for c in _jsonl(folder / "accounting" / "customers.jsonl")}
    suppliers = {s["number"]: s for s in _jsonl(folder / "accounting" / "suppliers.jsonl")}
    db.executemany(
        "insert into customers (number, name, organisation_number, type, address1, zip_code, "
        "city, country_code, email, active, currency, terms_of_payment, modified_at) "
        "values (?, ?, ?, 'COMPANY', ?, ?, ?, ?, ?, 1, 'SEK', ?, ?)",
        [(c["number"], c["name"], c.get("orgnr"), c.get("street"), c.get("postal_code"),
          c.get("city"), c.get("country"), c.get("email"),
          str(c["payment_terms_days"]) if c.get("payment_terms_days") else None, stamp)
         for c in customers.values()],
    )  # fmt: skip
    db.executemany(
        "insert into suppliers (number, name, organisation_number, address1, zip_code, city, "
        "country_code, email, active, currency, terms_of_payment, bg, modified_at) "
        "values (?, ?, ?, ?, ?, ?, ?, ?, 1, 'SEK', ?, ?, ?)",
        [(s["number"], s["name"], s.get("orgnr"), s.get("street"), s.get("postal_code"),
          s.get("city"), s.get("country"), s.get("email"),
          str(s["payment_terms_days"]) if s.get("payment_terms_days") else None,
          s.get("bankgiro"), stamp)
         for s in suppliers.values()],
    )  # fmt: skip
    articles = _jsonl(folder / "erp" / "articles.jsonl")
    db.executemany(
        "insert into articles (number, description, type, unit, sales_price, purchase_price, "
        "vat, active, stock_goods, supplier_number, sales_account, purchase_account, "
        "modified_at) values (?, ?, ?, ?, ?, ?, ?, 1, ?, ?, ?, ?, ?)",
        [(a["number"], a["name"], "SERVICE" if a["type"] == "service" else "STOCK", a["unit"],
          a["sales_price"], a["standard_cost"], str(a["vat_rate"]), int(a["type"] != "service"),
          a.get("supplier_number") if a.get("supplier_number") in suppliers else None,
          int(a["sales_account"]) if a.get("sales_account") else None,
          int(demo_chart.PURCHASES) if a["type"] != "service" else None, stamp)
         for a in articles],
    )  # fmt: skip
    report.customers, report.suppliers = len(customers), len(suppliers)
    report.articles = len(articles)
    return {"customers": customers, "suppliers": suppliers}


# -- documents ------------------------------------------------------------------------------
def _voucher_columns(ref: _VoucherRef | None) -> tuple:
    return (None, None, None) if ref is None else (ref.series, ref.number, ref.year_id)


def _paid(payments: list[dict], total: Decimal) -> tuple[str, str | None]:
    """The balance left after ``payments``, and the day the last one cleared it."""
    left = total - sum((Decimal(p["amount"]) for p in payments), Decimal(0))
    if left < 0:
        raise SeedError(f"payments {[p['number'] for p in payments]} pay more than {total}")
    final = max(p["payment_date"] for p in payments) if payments and left == 0 else None
    return amount_text(left), final


def _payments(
    db: sqlite3.Connection, table: str, payments: list[dict], links: dict, kind: str, stamp: str
) -> int:
    """Payments numbered 1, 2, … by date, each linked to the next voucher that books a payment
    of its invoice (the demo books one voucher per payment)."""
    taken: dict[str, int] = defaultdict(int)
    rows, references = [], []
    ordered = sorted(payments, key=lambda p: (p["payment_date"], p["number"]))
    for number, payment in enumerate(ordered, 1):
        invoice = payment["invoice_number"]
        booked = links.get((kind, invoice), [])
        ref = booked[taken[invoice]] if taken[invoice] < len(booked) else None
        taken[invoice] += 1
        rows.append((number, int(invoice), payment["amount"], payment["amount"], "SEK", "1",
                     payment["payment_date"], None, None, int(ref is not None),
                     *_voucher_columns(ref), stamp))  # fmt: skip
        if ref is not None:
            references.append((str(number), ref.year_id, ref.series, ref.number))
    db.executemany(
        f"insert into {table} (number, invoice_number, amount, amount_currency, currency, "
        "currency_rate, payment_date, mode_of_payment, information, booked, voucher_series, "
        "voucher_number, voucher_year, modified_at) "
        "values (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        rows,
    )
    db.executemany(
        "update vouchers set reference_number = ? where year_id = ? and series = ? and number = ?",
        references,
    )
    return len(rows)


def _customer_invoices(
    db: sqlite3.Connection, folder: Path, parties: dict, links: dict, stamp: str,
    report: SeedReport,
) -> None:  # fmt: skip
    customers = parties["customers"]
    invoices, rows = [], []
    booked_numbers = set()
    payments = _jsonl(folder / "erp" / "customer_payments.jsonl")
    paid_by: dict[str, list[dict]] = defaultdict(list)
    for payment in payments:
        paid_by[payment["invoice_number"]].append(payment)
    for invoice in _jsonl(folder / "erp" / "customer_invoices.jsonl"):
        refs = links.get(("INVOICE", invoice["number"]))
        if not refs:
            report.invoices_not_booked += 1
            continue
        customer = customers.get(invoice["customer_number"])
        if customer is None:
            raise SeedError(f"invoice {invoice['number']}: customer "
                            f"{invoice['customer_number']} is not in the register")  # fmt: skip
        booked_numbers.add(invoice["number"])
        balance, final = _paid(paid_by[invoice["number"]], Decimal(invoice["total_amount"]))
        invoices.append((
            int(invoice["number"]), customer["number"], customer["name"], customer.get("street"),
            customer.get("postal_code"), customer.get("city"), invoice["invoice_date"],
            invoice["due_date"], str(customer.get("payment_terms_days") or "") or None,
            invoice["currency"], "1", "INVOICE", invoice.get("cost_centre"),
            invoice.get("project"), None, None, invoice.get("sales_order_number"), None, None,
            None, invoice.get("ocr"), invoice["net_amount"], invoice["vat_amount"],
            invoice["total_amount"], balance, 1, 0, 1, final, *_voucher_columns(refs[0]), stamp,
        ))  # fmt: skip
        rows += [
            (int(invoice["number"]), line["line_no"], line["article_number"],
             line.get("description"), int(line["account"]), line["quantity"], None,
             line["unit_price"], line["vat_rate"], line["net_amount"], line["vat_amount"],
             line.get("cost_centre"), line.get("project"))
            for line in invoice["lines"]
        ]  # fmt: skip
    db.executemany(
        "insert into invoices (document_number, customer_number, customer_name, address1, "
        "zip_code, city, invoice_date, due_date, terms_of_payment, currency, currency_rate, "
        "invoice_type, cost_center, project, our_reference, your_reference, "
        "external_invoice_reference1, external_invoice_reference2, remarks, comments, ocr, net, "
        "total_vat, total, balance, booked, cancelled, sent, final_pay_date, voucher_series, "
        "voucher_number, voucher_year, modified_at) "
        f"values ({', '.join('?' * 33)})",
        invoices,
    )
    db.executemany("insert into invoice_rows values (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)", rows)
    db.execute(
        "update invoice_rows set unit = (select unit from articles "
        "where articles.number = invoice_rows.article_number)"
    )
    report.invoices = len(invoices)
    report.invoice_payments = _payments(
        db, "invoice_payments",
        [p for p in payments if p["invoice_number"] in booked_numbers], links,
        "INVOICEPAYMENT", stamp,
    )  # fmt: skip


def _supplier_invoices(
    db: sqlite3.Connection, folder: Path, parties: dict, links: dict, stamp: str,
    report: SeedReport,
) -> None:  # fmt: skip
    suppliers = parties["suppliers"]
    payments = _jsonl(folder / "erp" / "supplier_payments.jsonl")
    paid_by: dict[str, list[dict]] = defaultdict(list)
    for payment in payments:
        paid_by[payment["invoice_number"]].append(payment)
    invoices, rows = [], []
    for invoice in _jsonl(folder / "erp" / "supplier_invoices.jsonl"):
        supplier = suppliers.get(invoice["supplier_number"])
        if supplier is None:
            raise SeedError(f"supplier invoice {invoice['number']}: supplier "
                            f"{invoice['supplier_number']} is not in the register")  # fmt: skip
        refs = links.get(("SUPPLIERINVOICE", invoice["number"]))
        total = Decimal(invoice["total_amount"])
        balance, final = _paid(paid_by[invoice["number"]], total)
        given = int(invoice["number"])
        invoices.append((
            given, supplier["number"], supplier["name"], invoice.get("supplier_invoice_number"),
            invoice["invoice_date"], invoice["due_date"], invoice["currency"], "1",
            invoice.get("ocr"), None, None, None, invoice.get("cost_centre"),
            invoice.get("project"), invoice["vat_amount"], invoice["total_amount"], balance,
            int(bool(refs)), 0, 0, final, *_voucher_columns(refs[0] if refs else None), stamp,
        ))  # fmt: skip
        lines = [
            (int(line["account"]), None, line["net_amount"], "0.00", line.get("cost_centre"),
             line.get("project"), None, line["article_number"], str(line["quantity"]))
            for line in invoice["lines"]
        ]  # fmt: skip
        lines.append((int(demo_chart.INPUT_VAT), "VAT", invoice["vat_amount"], "0.00", None,
                      None, None, None, None))  # fmt: skip
        lines.append((int(demo_chart.PAYABLES), "TOT", "0.00", invoice["total_amount"], None,
                      None, None, None, None))  # fmt: skip
        rows += [(given, i, *line) for i, line in enumerate(lines, 1)]
    db.executemany(
        "insert into supplier_invoices (given_number, supplier_number, supplier_name, "
        "invoice_number, invoice_date, due_date, currency, currency_rate, ocr, comments, "
        "our_reference, your_reference, cost_center, project, vat, total, balance, booked, "
        "cancelled, credit, final_pay_date, voucher_series, voucher_number, voucher_year, "
        f"modified_at) values ({', '.join('?' * 25)})",
        invoices,
    )
    db.executemany(
        "insert into supplier_invoice_rows values (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)", rows
    )
    report.supplier_invoices = len(invoices)
    report.supplier_invoice_payments = _payments(
        db, "supplier_invoice_payments", payments, links, "SUPPLIERPAYMENT", stamp
    )
