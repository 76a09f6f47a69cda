"""The month-end report pack: one Excel workbook per company and month, for the controller.

Read from the published snapshot (``serving.duckdb``, one read-only connection, closed before
the workbook is written) and written to ``$LEDGERBRIDGE_HOME/reports/<company>/
manadsrapport_<company>_<YYYY-MM>.xlsx`` under a temporary name and renamed into place, so a
half-written pack is never seen. Sheets: Sammanfattning, Resultaträkning, Balansräkning,
Budget mot utfall, Kundreskontra, Leverantörsreskontra, Projekt, Lager, Avvikelser.

Amounts stay ``Decimal`` from DuckDB to the cell (openpyxl writes them as numbers). Nothing
here depends on the day except which months have *closed*: a month has closed once its last
day is over in Europe/Stockholm (decision 0031).
"""

from __future__ import annotations

import contextlib
import os
import re
import tempfile
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from zoneinfo import ZoneInfo

import duckdb
from openpyxl import Workbook
from openpyxl.styles import Alignment, Border, Font, PatternFill, Side
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.worksheet import Worksheet

from ledgerbridge.config import Paths
from ledgerbridge.errors import LedgerbridgeError, NotReadyError
from ledgerbridge.warehouse import PUBLISH_INFO_TABLE, connect_serving

STOCKHOLM = ZoneInfo("Europe/Stockholm")
ZERO = Decimal("0.00")

MONEY = "#,##0.00"
QUANTITY = "#,##0.00"
COUNT = "#,##0"
PERCENT = "0.00"
DAY = "yyyy-mm-dd"

_MONTH_TEXT = re.compile(r"^(\d{4})-(\d{2})$")


# -- errors ---------------------------------------------------------------------------------
class ReportPackError(LedgerbridgeError):
    code = "report-pack"


class BadMonthError(ReportPackError):
    code = "bad-month"


class UnknownCompanyError(ReportPackError):
    code = "unknown-company"


class MonthNotInBooksError(ReportPackError):
    code = "month-not-in-books"


class NoClosedMonthError(ReportPackError):
    code = "no-closed-month"


# -- the books: companies and their months --------------------------------------------------
@dataclass(frozen=True)
class Period:
    start: date
    end: date
    fiscal_year_start: date
    fiscal_year: str
    number: int
    periods_in_year: int

    @property
    def label(self) -> str:
        return f"{self.start:%Y-%m}"


@dataclass(frozen=True)
class Books:
    """A company of the snapshot and the months of its books, in order."""

    company_id: str
    name: str
    orgnr: str | None
    currency: str | None
    locked_until: date | None
    periods: tuple[Period, ...]

    def period(self, month: date) -> Period | None:
        return next((p for p in self.periods if p.start == month), None)

    @property
    def span(self) -> str:
        if not self.periods:
            return "no months"
        return f"{self.periods[0].label} to {self.periods[-1].label}"

    def closed(self, today: date) -> list[Period]:
        """The months whose last day is over by ``today`` (a date in Europe/Stockholm)."""
        return [p for p in self.periods if p.end < today]

    def ytd(self, period: Period) -> list[Period]:
        """The months of ``period``'s fiscal year up to and including it."""
        return [
            p
            for p in self.periods
            if p.fiscal_year_start == period.fiscal_year_start and p.start <= period.start
        ]


def stockholm_today() -> date:
    return datetime.now(STOCKHOLM).date()


def parse_month(month: str | date) -> date:
    """The first day of the month named by ``YYYY-MM`` text or any date in it."""
    if isinstance(month, datetime):
        month = month.date()
    if isinstance(month, date):
        return month.replace(day=1)
    text = str(month).strip()
    found = _MONTH_TEXT.match(text)
    if not found or not 1 <= int(found.group(2)) <= 12 or int(found.group(1)) < 1:
        raise BadMonthError(
            f"month {text!r} is not a month", hint="write it as YYYY-MM, for example 2025-12"
        )
    return date(int(found.group(1)), int(found.group(2)), 1)


def _tables(con: duckdb.DuckDBPyConnection) -> set[str]:
    return {
        row[0]
        for row in con.execute(
            "select table_name from duckdb_tables() where schema_name = 'main'"
        ).fetchall()
    }


def _read_books(con: duckdb.DuckDBPyConnection, tables: set[str]) -> dict[str, Books]:
    if not {"dim_company", "dim_fiscal_period"} <= tables:
        raise NotReadyError(
            "the published snapshot has no books (dim_company, dim_fiscal_period)",
            hint="configure the company's books (SIE files or Fortnox), then `ledgerbridge "
            "build` and `ledgerbridge publish`",
        )
    periods: dict[str, list[Period]] = defaultdict(list)
    for company_id, *values in con.execute(
        "select company_id, period_start, period_end, fiscal_year_start, fiscal_year, "
        "fiscal_period_number, periods_in_year from dim_fiscal_period "
        "order by company_id, period_start"
    ).fetchall():
        periods[company_id].append(Period(*values))
    return {
        company_id: Books(
            company_id, name or company_id, orgnr, currency, locked, tuple(periods[company_id])
        )
        for company_id, name, orgnr, currency, locked in con.execute(
            "select company_id, company_name, orgnr, currency_code, books_locked_until "
            "from dim_company order by company_id"
        ).fetchall()
    }


def _company(books: dict[str, Books], company_id: str) -> Books:
    if company_id in books:
        return books[company_id]
    if not books:
        raise NotReadyError(
            "the published snapshot holds no company", hint="run `ledgerbridge build` first"
        )
    known = ", ".join(f"{b.company_id} ({b.name})" for b in books.values())
    raise UnknownCompanyError(
        f"no company {company_id!r} in the published snapshot; companies: {known}",
        hint="name one of those ids (as in ledgerbridge.toml)",
    )


def _period(books: Books, month: date) -> Period:
    period = books.period(month)
    if period is None:
        raise MonthNotInBooksError(
            f"{month:%Y-%m} is not in the books of {books.name} ({books.company_id}), which "
            f"run from {books.span}",
            hint=f"choose a month from {books.span}",
        )
    return period


def read_books(paths: Paths) -> dict[str, Books]:
    """Every company of the published snapshot with the months of its books."""
    con = connect_serving(paths)
    try:
        return _read_books(con, _tables(con))
    finally:
        con.close()


def last_closed_month(paths: Paths, company_id: str, today: date | None = None) -> date | None:
    """The last month of the company's books that has ended by ``today`` (Europe/Stockholm;
    default now), or None when none has."""
    books = _company(read_books(paths), company_id)
    closed = books.closed(today or stockholm_today())
    return closed[-1].start if closed else None


# -- where packs are ------------------------------------------------------------------------
def report_pack_path(paths: Paths, company_id: str, month: str | date) -> Path:
    start = parse_month(month)
    return paths.reports / company_id / f"manadsrapport_{company_id}_{start:%Y-%m}.xlsx"


def list_report_packs(paths: Paths, company_id: str) -> list[tuple[date, Path]]:
    """The packs written for a company, newest month first: (first day of month, file)."""
    folder = paths.reports / company_id
    name = re.compile(rf"^manadsrapport_{re.escape(company_id)}_(\d{{4}})-(\d{{2}})\.xlsx$")
    packs = []
    with contextlib.suppress(FileNotFoundError, NotADirectoryError):
        for entry in folder.iterdir():
            found = name.match(entry.name)
            if found and entry.is_file() and 1 <= int(found.group(2)) <= 12:
                packs.append((date(int(found.group(1)), int(found.group(2)), 1), entry))
    return sorted(packs, reverse=True)


def months_due(books: Books, today: date, written: dict[date, datetime]) -> list[date]:
    """The months a schedule should write a pack for: every closed month after the last one
    with a final pack (written after its month ended); with none yet, the last closed month
    alone. ``written`` maps each month with a pack to when the file was written."""
    closed = books.closed(today)
    if not closed:
        return []
    ends = {p.start: p.end for p in books.periods}
    final = [
        month
        for month, at in written.items()
        if month in ends and at.astimezone(STOCKHOLM).date() > ends[month]
    ]
    if not final:
        return [closed[-1].start]
    latest = max(final)
    return [p.start for p in closed if p.start > latest]


def due_report_packs(paths: Paths, today: date | None = None) -> list[tuple[str, date]]:
    """(company, month) of the packs not yet written for months closed by ``today``
    (Europe/Stockholm; default now): what the ``report_pack`` schedule job writes."""
    day = today or stockholm_today()
    due = []
    for company_id, books in read_books(paths).items():
        written = {
            month: datetime.fromtimestamp(path.stat().st_mtime, UTC)
            for month, path in list_report_packs(paths, company_id)
        }
        due += [(company_id, month) for month in months_due(books, day, written)]
    return due


# -- reading what the pack shows ------------------------------------------------------------
@dataclass
class Row:
    values: list
    style: str | None = None  # bold | indent | title | note


@dataclass
class Column:
    title: str
    fmt: str | None = None  # a number format, or None for text
    width: int | None = None  # fixed width (long text wraps)


@dataclass
class Block:
    """A table on a sheet: a header row, rows, and an optional note in place of rows."""

    columns: list[Column]
    rows: list[Row]
    title: str | None = None
    empty: str | None = None


@dataclass
class Sheet:
    name: str
    blocks: list[Block]


@dataclass
class PackData:
    books: Books
    period: Period
    published_at: datetime | None
    sheets: list[Sheet] = field(default_factory=list)
    totals: list[tuple[str, object, str | None]] = field(default_factory=list)


def _add(values: Iterable[Decimal | None]) -> Decimal:
    total = ZERO
    for value in values:
        if value is not None:
            total += value
    return total


def _neg(value: Decimal | None) -> Decimal | None:
    """The other sign (a ledger amount as the report reads it), never a negative zero."""
    return None if value is None else ZERO - value


def _note(*texts: str) -> Block:
    return Block([Column("Not")], [Row([text], "note") for text in texts])


def _missing(table: str) -> str:
    return (
        f"Ingen data: {table} finns inte i den publicerade ögonblicksbilden (bolagets källor "
        "ger den inte)."
    )


def _income_statement(
    con: duckdb.DuckDBPyConnection, tables: set[str], books: Books, period: Period
) -> tuple[Sheet, dict[str, Decimal | None]]:
    current = books.ytd(period)
    last_year = books.period(period.start.replace(year=period.start.year - 1))
    previous = books.ytd(last_year) if last_year else []
    wanted = [p.start for p in current + previous]
    actual: dict[tuple[date, str], Decimal] = {}
    for start, account, amount in con.execute(
        "select period_start, account_number, sum(report_amount) from rpt_income_statement "
        "where company_id = ? and period_start in (select unnest(?)) group by all",
        [books.company_id, wanted],
    ).fetchall():
        actual[(start, account)] = amount
    budget: dict[tuple[date, str], Decimal] = {}
    has_budget = False
    if "fct_budget_vs_actual" in tables:
        has_budget = bool(
            con.execute(
                "select count(*) from fct_budget_vs_actual where company_id = ? and has_budget "
                "and fiscal_year_start = ?",
                [books.company_id, period.fiscal_year_start],
            ).fetchone()[0]
        )
        for start, account, amount in con.execute(
            "select b.period_start, b.account_number, sum(b.budget_amount) "
            "from fct_budget_vs_actual as b inner join dim_account as a "
            "on a.company_id = b.company_id and a.account_number = b.account_number "
            "where b.company_id = ? and b.has_budget and a.statement = 'income_statement' "
            "and b.period_start in (select unnest(?)) group by all",
            [books.company_id, [p.start for p in current]],
        ).fetchall():
            budget[(start, account)] = _neg(amount)  # budgets are debit positive
    accounts = {
        number: (name, line or "Övrigt", ordinal or 0, bool(transfer))
        for number, name, line, ordinal, transfer in con.execute(
            "select account_number, account_name, report_line, report_line_ordinal, "
            "is_result_transfer from dim_account where company_id = ? "
            "and statement = 'income_statement'",
            [books.company_id],
        ).fetchall()
    }
    revenue_accounts = {
        row[0]
        for row in con.execute(
            "select account_number from dim_account where company_id = ? "
            "and statement = 'income_statement' and report_section = 'operating_income'",
            [books.company_id],
        ).fetchall()
    }
    # columns without figures: no month a year back in the books, no budget for the year
    absent = ({2, 3} if last_year is None else set()) | (set() if has_budget else {4, 5, 6, 7})

    def figures(account: str) -> list[Decimal | None]:
        month = actual.get((period.start, account), ZERO)
        ytd = _add(actual.get((p.start, account)) for p in current)
        ly_month = actual.get((last_year.start, account), ZERO) if last_year else ZERO
        ly_ytd = _add(actual.get((p.start, account)) for p in previous)
        b_month = budget.get((period.start, account), ZERO)
        b_ytd = _add(budget.get((p.start, account)) for p in current)
        values = [month, ytd, ly_month, ly_ytd, b_month, b_ytd, month - b_month, ytd - b_ytd]
        return [None if i in absent else v for i, v in enumerate(values)]

    shown = sorted(
        {account for (_, account) in actual} | {account for (_, account) in budget},
        key=lambda a: (accounts.get(a, ("", "Övrigt", 0, False))[2], a),
    )
    lines: dict[tuple[bool, int, str], list[tuple[str, list]]] = defaultdict(list)
    for account in shown:
        name, line, ordinal, transfer = accounts.get(account, (None, "Övrigt", 0, False))
        values = figures(account)
        if all(not v for v in values):
            continue
        lines[(transfer, ordinal, line)].append((f"{account} {name or ''}".strip(), values))

    def total(groups: Iterable[list[tuple[str, list]]]) -> list[Decimal | None]:
        rows = [values for group in groups for _, values in group]
        return [None if i in absent else _add(r[i] for r in rows) for i in range(8)]

    def block_rows(transfer: bool) -> list[Row]:
        rows = []
        for key in sorted(k for k in lines if k[0] is transfer):
            rows.append(Row([key[2], *total([lines[key]])], "bold"))
            rows += [Row([label, *values], "indent") for label, values in lines[key]]
        return rows

    rows = block_rows(False)
    result = total(group for key, group in lines.items() if not key[0])
    rows.append(Row(["Resultat", *result], "bold"))
    if any(key[0] for key in lines):
        rows += block_rows(True)
        rows.append(Row(["Resultat efter bokfört årets resultat", *total(lines.values())], "bold"))
    ytd_label = f"{current[0].label}–{period.label}"
    ly = last_year.label if last_year else "saknas"
    columns = [
        Column("Rad / konto", width=48),
        Column(period.label, MONEY),
        Column(f"Ack. {ytd_label}", MONEY),
        Column(f"{ly} (fjol)", MONEY),
        Column("Ack. fjol", MONEY),
        Column(f"Budget {period.label}", MONEY),
        Column("Budget ack.", MONEY),
        Column(f"Avvikelse {period.label}", MONEY),
        Column("Avvikelse ack.", MONEY),
    ]
    blocks = [Block(columns, rows)]
    notes = ["Intäkter positiva, kostnader negativa (summan är resultatet)."]
    if not has_budget:
        notes.append(f"Ingen budget för räkenskapsåret {period.fiscal_year}.")
    else:
        notes.append("Avvikelse = utfall − budget: positiv när resultatet blev bättre.")
    if not last_year:
        notes.append("Samma månad i fjol ligger före bokföringens första månad.")
    blocks.append(_note(*notes))
    revenue = _add(actual.get((period.start, a)) for a in revenue_accounts)
    return Sheet("Resultaträkning", blocks), {
        "result_month": result[0],
        "result_ytd": result[1],
        "budget_result_ytd": result[5],
        "revenue_month": revenue,
    }


def _balance_sheet(
    con: duckdb.DuckDBPyConnection, books: Books, period: Period
) -> tuple[Sheet, Decimal]:
    year_end = next(
        (p for p in books.periods if p.end == period.fiscal_year_start - timedelta(days=1)), None
    )
    last_year = books.period(period.start.replace(year=period.start.year - 1))
    compared: list[tuple[Period | None, str]] = [
        (period, f"{period.end:%Y-%m-%d}"),
        (year_end, f"Föregående års bokslut {year_end.end:%Y-%m-%d}" if year_end
         else "Föregående års bokslut (saknas)"),
    ]  # fmt: skip
    if last_year is not None and last_year != year_end:  # December of a calendar year is both
        compared.append((last_year, f"{last_year.end:%Y-%m-%d} (fjol)"))
    amounts: dict[tuple[date, str], Decimal] = {}
    lines: dict[str, tuple[int, int]] = {}
    for start, line, side, ordinal, amount in con.execute(
        "select period_start, report_line, balance_sheet_side, report_line_ordinal, "
        "report_amount from rpt_balance_sheet where company_id = ? "
        "and period_start in (select unnest(?))",
        [books.company_id, [p.start for p, _ in compared if p]],
    ).fetchall():
        amounts[(start, line)] = amount
        lines[line] = (0 if side == "assets" else 1, ordinal or 0)

    rows: list[Row] = []
    side_totals: list[list[Decimal | None]] = []
    for side, title, total_title in (
        (0, "Tillgångar", "Summa tillgångar"),
        (1, "Eget kapital och skulder", "Summa eget kapital och skulder"),
    ):
        rows.append(Row([title], "title"))
        side_lines = [
            line for _, line in sorted((o, ln) for ln, (s, o) in lines.items() if s == side)
        ]
        for line in side_lines:
            rows.append(
                Row([line, *(amounts.get((p.start, line), ZERO) if p else None
                             for p, _ in compared)], "indent")
            )  # fmt: skip
        total = [
            _add(amounts.get((p.start, line)) for line in side_lines) if p else None
            for p, _ in compared
        ]
        side_totals.append(total)
        rows.append(Row([total_title, *total], "bold"))
    columns = [Column("Rad", width=48), *(Column(title, MONEY) for _, title in compared)]
    note = _note(
        "Balanserat resultat och årets resultat på egna rader (årets resultat: "
        "räkenskapsårets resultat hittills); ett årsbokslut som redan bokförts räknas inte "
        "två gånger."
    )
    return Sheet("Balansräkning", [Block(columns, rows), note]), side_totals[0][0] or ZERO


def _budget_vs_actual(
    con: duckdb.DuckDBPyConnection, tables: set[str], books: Books, period: Period
) -> Sheet:
    columns = [
        Column("Konto"), Column("Kontonamn", width=32), Column("Resultatenhet"),
        Column("Projekt"), Column("Budget", MONEY), Column("Utfall", MONEY),
        Column("Avvikelse", MONEY), Column("Avvikelse %", PERCENT), Column("Budget ack.", MONEY),
        Column("Utfall ack.", MONEY), Column("Avvikelse ack.", MONEY),
    ]  # fmt: skip
    if "fct_budget_vs_actual" not in tables:
        return Sheet(
            "Budget mot utfall", [Block(columns, [], empty=_missing("fct_budget_vs_actual"))]
        )
    # the month's row of each account × cost centre × project, and the year to date summed
    # over the fiscal year's months (a key with no row this month keeps its year to date)
    rows = []
    for number, name, centre, project, *month, pct, y_budget, y_actual, y_var in con.execute(
        "select b.account_number, any_value(a.account_name), b.cost_centre_code, "
        "b.project_code, "
        "coalesce(sum(b.budget_amount) filter (where b.period_start = $month), 0), "
        "coalesce(sum(b.actual_amount) filter (where b.period_start = $month), 0), "
        "coalesce(sum(b.variance_amount) filter (where b.period_start = $month), 0), "
        "any_value(b.variance_pct) filter (where b.period_start = $month), "
        "sum(b.budget_amount), sum(b.actual_amount), sum(b.variance_amount) "
        "from fct_budget_vs_actual as b left join dim_account as a "
        "on a.company_id = b.company_id and a.account_number = b.account_number "
        "where b.company_id = $company and b.fiscal_year_start = $year "
        "and b.period_start <= $month group by b.account_number, b.cost_centre_code, "
        "b.project_code "
        "order by b.account_number, b.cost_centre_code nulls first, "
        "b.project_code nulls first",
        {"company": books.company_id, "year": period.fiscal_year_start, "month": period.start},
    ).fetchall():
        rows.append(
            Row(
                [
                    number,
                    name,
                    centre,
                    project,
                    *(_neg(v) for v in month),
                    pct,
                    _neg(y_budget),
                    _neg(y_actual),
                    _neg(y_var),
                ]
            )
        )
    if rows:
        sums = [_add(r.values[i] for r in rows) for i in (4, 5, 6)]
        ytd = [_add(r.values[i] for r in rows) for i in (8, 9, 10)]
        rows.append(Row(["Summa", None, None, None, *sums, None, *ytd], "bold"))
    note = _note(
        "Intäkter positiva, kostnader negativa, som i resultaträkningen; avvikelse "
        "= utfall − budget (positiv när resultatet blev bättre); avvikelse % i "
        "budgetens egen riktning (+10 = 10 % mer än budgeterat)."
    )
    return Sheet(
        "Budget mot utfall",
        [Block(columns, rows, empty=f"Ingen budget och inget utfall {period.label}."), note],
    )


AGING = [
    ("not_due", "Ej förfallet"),
    ("1-30", "1–30 dagar"),
    ("31-60", "31–60 dagar"),
    ("61-90", "61–90 dagar"),
    (">90", "Över 90 dagar"),
    ("no_due_date", "Utan förfallodag"),
]


def _reskontra(
    con: duckdb.DuckDBPyConnection,
    tables: set[str],
    books: Books,
    period: Period,
    *,
    customers: bool,
) -> tuple[Sheet, Decimal | None, Decimal | None]:
    if customers:
        table, dim, party, title = "fct_ar_open_items_monthly", "dim_customer", "customer", "Kund"
        sheet_name, number = "Kundreskontra", "o.invoice_number, null"
        invoice_columns = [Column("Faktura")]
    else:
        table, dim, party, title = (
            "fct_ap_open_items_monthly",
            "dim_supplier",
            "supplier",
            "Leverantör",
        )
        sheet_name = "Leverantörsreskontra"
        number = "o.supplier_invoice_number, o.document_number"
        invoice_columns = [Column("Leverantörens fakturanr"), Column("Löpnummer")]
    pivot_columns = [
        Column(title), Column("Namn", width=34),
        *(Column(label, MONEY) for _, label in AGING), Column("Summa", MONEY),
    ]  # fmt: skip
    if table not in tables:
        return Sheet(sheet_name, [Block(pivot_columns, [], empty=_missing(table))]), None, None
    names = (
        f"left join {dim} as d on d.company_id = o.company_id "
        f"and d.{party}_number = o.{party}_number"
        if dim in tables
        else f"left join (select null as {party}_name) as d on false"
    )
    items = con.execute(
        f"select o.{party}_number, d.{party}_name, {number}, o.invoice_date, o.due_date, "
        "o.days_overdue, o.aging_bucket, o.currency_code, o.gross_amount, o.paid_amount, "
        f"o.open_amount from {table} as o {names} "
        "where o.company_id = ? and o.period_end = ? "
        "order by 1, o.due_date, 3",
        [books.company_id, period.end],
    ).fetchall()
    if not customers:  # the payables account's sign (an invoice negative): debts positive
        items = [(*item[:9], *(_neg(v) for v in item[9:])) for item in items]
    by_party: dict[str, list] = {}
    for item in items:
        entry = by_party.setdefault(item[0], [item[0], item[1]] + [ZERO] * (len(AGING) + 1))
        bucket = next((i for i, (key, _) in enumerate(AGING) if key == item[7]), 0)
        entry[2 + bucket] += item[-1]
        entry[-1] += item[-1]
    rows = [Row(entry) for entry in by_party.values()]
    total = [_add(r.values[i] for r in rows) for i in range(2, 2 + len(AGING) + 1)]
    rows.append(Row(["Summa", None, *total], "bold"))
    detail_columns = [
        Column(title), Column("Namn", width=34), *invoice_columns, Column("Fakturadatum", DAY),
        Column("Förfallodatum", DAY), Column("Dagar efter förfall", COUNT),
        Column("Åldersgrupp"), Column("Valuta"), Column("Belopp", MONEY),
        Column("Betalt", MONEY), Column("Öppet", MONEY),
    ]  # fmt: skip
    labels = dict(AGING)
    detail = [
        Row([
            party_no, name, *([invoice] if customers else [invoice, document]),
            invoice_date, due_date, days, labels.get(bucket, bucket), currency,
            gross, paid, open_amount,
        ])
        for (party_no, name, invoice, document, invoice_date, due_date, days, bucket,
             currency, gross, paid, open_amount) in items
    ]  # fmt: skip
    what = "kundfakturor" if customers else "leverantörsfakturor"
    blocks = [
        Block(pivot_columns, rows),
        Block(
            detail_columns,
            detail,
            title=f"Öppna {what} per {period.end:%Y-%m-%d}",
            empty=f"Inga öppna {what} vid månadens slut.",
        ),
    ]
    if not customers:
        blocks.append(_note("Skulder positiva, en kreditnota negativ."))
    overdue = total[-1] - total[0] - total[-2]  # neither not yet due nor without a due date
    return (
        Sheet(sheet_name, blocks),
        total[-1],
        overdue,
    )


def _projects(
    con: duckdb.DuckDBPyConnection, tables: set[str], books: Books, period: Period
) -> Sheet:
    columns = [
        Column("Projekt"), Column("Namn", width=30), Column("Intäkter", MONEY),
        Column("Kostnader", MONEY), Column("Marginal", MONEY),
        Column("Budgeterad marginal", MONEY), Column("Avvikelse", MONEY),
        Column("Intäkter ack.", MONEY), Column("Kostnader ack.", MONEY),
        Column("Marginal ack.", MONEY), Column("Budgeterad marginal ack.", MONEY),
        Column("Avvikelse ack.", MONEY), Column("Timmar beställda", QUANTITY),
        Column("Timmar fakturerade", QUANTITY), Column("Ej fakturerade timmar t.o.m.", QUANTITY),
        Column("Ej fakturerat belopp t.o.m.", MONEY),
    ]  # fmt: skip
    if "fct_project_financials" not in tables:
        return Sheet("Projekt", [Block(columns, [], empty=_missing("fct_project_financials"))])
    names = dict(
        con.execute(
            "select project_code, project_name from dim_project where company_id = ?",
            [books.company_id],
        ).fetchall()
        if "dim_project" in tables
        else []
    )
    rows_by_project: dict[str, list] = defaultdict(list)
    for row in con.execute(
        "select project_code, period_start, fiscal_year_start, revenue_amount, cost_amount, "
        "margin_amount, budget_margin_amount, budget_variance_amount, hours_ordered, "
        "hours_invoiced, uninvoiced_hours_to_date, uninvoiced_amount_to_date "
        "from fct_project_financials where company_id = ? and period_start <= ? "
        "order by project_code, period_start",
        [books.company_id, period.start],
    ).fetchall():
        rows_by_project[row[0]].append(row)

    def sums(group: list, *index: int) -> list[Decimal]:
        return [_add(r[i] for r in group) for i in index]

    rows = []
    for project, history in rows_by_project.items():
        month = [r for r in history if r[1] == period.start]
        year = [r for r in history if r[2] == period.fiscal_year_start]
        latest = history[-1]
        if not year and not (latest[10] or latest[11]):
            continue

        # ledger amounts are debit positive: revenue shown positive, cost positive, margin
        # and variance positive when the project earns more
        m_rev, m_cost, m_margin, m_budget, m_var, m_hours_o, m_hours_i = sums(
            month, 3, 4, 5, 6, 7, 8, 9
        )
        y_rev, y_cost, y_margin, y_budget, y_var = sums(year, 3, 4, 5, 6, 7)
        rows.append(
            Row([
                project, names.get(project), _neg(m_rev), m_cost, _neg(m_margin),
                _neg(m_budget), _neg(m_var), _neg(y_rev), y_cost, _neg(y_margin),
                _neg(y_budget), _neg(y_var), m_hours_o, m_hours_i, latest[10], latest[11],
            ])
        )  # fmt: skip
    if rows:
        rows.append(
            Row(["Summa", None, *(_add(r.values[i] for r in rows) for i in range(2, 16))], "bold")
        )
    note = _note(
        "Intäkter och kostnader positiva; marginal = intäkter − kostnader; "
        "avvikelse = marginal − budgeterad marginal. Timmar: tjänster på "
        "bekräftade order och bokförda fakturor i ERP:t under månaden; ej "
        "fakturerat t.o.m. månadens slut."
    )
    return Sheet(
        "Projekt",
        [Block(columns, rows, empty=f"Inget på något projekt t.o.m. {period.label}."), note],
    )


def _inventory(
    con: duckdb.DuckDBPyConnection, tables: set[str], books: Books, period: Period
) -> tuple[Sheet, Decimal | None, Decimal | None]:
    columns = [
        Column("Lager"), Column("Namn", width=24), Column("Artiklar i lager", COUNT),
        Column("Kvantitet", QUANTITY), Column("Ingående värde", MONEY),
        Column("Värde in", MONEY), Column("Värde ut", MONEY), Column("Utgående värde", MONEY),
    ]  # fmt: skip
    ledger_columns = [
        Column("Konto"), Column("Lager"), Column("Lagervärde (ERP)", MONEY),
        Column("Saldo i bokföringen", MONEY), Column("Skillnad", MONEY),
        Column("Bokföringen når månadens slut"),
    ]  # fmt: skip
    blocks = []
    stock_value = ledger_value = None
    if "fct_stock_balance_monthly" in tables:
        names = (
            "left join dim_warehouse as w on w.company_id = s.company_id "
            "and w.warehouse_code = s.warehouse_code"
            if "dim_warehouse" in tables
            else "left join (select null as warehouse_name) as w on false"
        )
        rows = [
            Row(list(row))
            for row in con.execute(
                "select s.warehouse_code, any_value(w.warehouse_name), "
                "count(*) filter (where s.closing_quantity <> 0), sum(s.closing_quantity), "
                "sum(s.opening_value), sum(s.value_in), sum(s.value_out), sum(s.closing_value) "
                f"from fct_stock_balance_monthly as s {names} "
                "where s.company_id = ? and s.period_start = ? group by 1 order by 1",
                [books.company_id, period.start],
            ).fetchall()
        ]
        if rows:
            stock_value = _add(r.values[7] for r in rows)
            rows.append(
                Row(
                    ["Summa", None, *(_add(r.values[i] for r in rows) for i in range(2, 8))], "bold"
                )
            )
        blocks.append(Block(columns, rows, empty=f"Inget lager {period.label}."))
    else:
        blocks.append(Block(columns, [], empty=_missing("fct_stock_balance_monthly")))
    if "rpt_inventory_vs_ledger" in tables:
        rows = [
            Row([account, codes, stock, balance, difference, "ja" if reached else "nej"])
            for account, codes, stock, balance, difference, reached in con.execute(
                "select account_number, warehouse_codes, stock_value, account_balance, "
                "difference, books_reached from rpt_inventory_vs_ledger "
                "where company_id = ? and period_start = ? order by account_number",
                [books.company_id, period.start],
            ).fetchall()
        ]
        if rows:
            ledger_value = _add(r.values[3] for r in rows)
            rows.append(
                Row(
                    ["Summa", None, *(_add(r.values[i] for r in rows) for i in (2, 3, 4)), None],
                    "bold",
                )
            )
        blocks.append(
            Block(
                ledger_columns,
                rows,
                title="Lagervärde mot lagerkontona (14xx) i bokföringen",
                empty="Inga lagerkonton att jämföra.",
            )
        )
    return Sheet("Lager", blocks), stock_value, ledger_value


SEVERITY = {"high": "hög", "medium": "medel", "low": "låg"}
DOCUMENT_TYPES = {
    "customer_invoice": "kundfaktura",
    "supplier_invoice": "leverantörsfaktura",
    "customer": "kund",
    "supplier": "leverantör",
    "warehouse": "lager",
    "fiscal_year": "räkenskapsår",
    "account": "konto",
    "bank_account": "bankkonto",
    "period": "period",
}
KINDS = {
    "invoice_not_booked": "Faktura ej bokförd",
    "amount_mismatch": "Bokförd med annat belopp",
    "dimension_mismatch": "Bokförd på annan resultatenhet eller annat projekt",
    "duplicate_booking": "Bokförd två gånger",
    "master_data_mismatch": "Registeruppgifter skiljer",
    "inventory_value_mismatch": "Lagervärde mot bokföringen",
    "ar_control_mismatch": "Kundreskontra mot kontrollkonto",
    "ap_control_mismatch": "Leverantörsreskontra mot kontrollkonto",
    "bank_balance_mismatch": "Banksaldo mot 1930",
    "vat_mismatch": "Moms mot fakturornas moms",
    "books_year_not_used": "Räkenskapsår som inte läses",
    "account_not_in_books": "Konto saknas i kontoplanen",
}


def _findings(
    con: duckdb.DuckDBPyConnection, tables: set[str], books: Books
) -> tuple[Sheet, int | None, int | None]:
    columns = [
        Column("Allvarlighet"), Column("Avvikelse", width=34), Column("Dokumenttyp"),
        Column("Dokument"), Column("Beskrivning", width=80), Column("Föreslagen åtgärd", width=70),
        Column("Typ (kod)"), Column("Id"),
    ]  # fmt: skip
    if "rec_findings" not in tables:
        return Sheet("Avvikelser", [Block(columns, [], empty=_missing("rec_findings"))]), None, None
    found = con.execute(
        "select severity, kind, document_type, document, details, suggested_action, finding_id "
        "from rec_findings where company_id = ? order by case severity when 'high' then 0 "
        "when 'medium' then 1 else 2 end, kind, document",
        [books.company_id],
    ).fetchall()
    rows = [
        Row(
            [
                SEVERITY.get(sev, sev),
                KINDS.get(kind, kind),
                DOCUMENT_TYPES.get(doc_type, doc_type),
                doc,
                details,
                action,
                kind,
                finding_id,
            ]
        )
        for sev, kind, doc_type, doc, details, action, finding_id in found
    ]
    note = _note(
        "Avvikelserna som de står i den publicerade ögonblicksbilden (inte per "
        "månadens slut): det som en controller ska åtgärda."
    )
    return (
        Sheet("Avvikelser", [Block(columns, rows, empty="Inga öppna avvikelser."), note]),
        len(found),
        sum(1 for row in found if row[0] == "high"),
    )


def _read(con: duckdb.DuckDBPyConnection, company_id: str, month: date) -> PackData:
    tables = _tables(con)
    books = _company(_read_books(con, tables), company_id)
    period = _period(books, month)
    published = None
    if PUBLISH_INFO_TABLE in tables:
        published = con.execute(f"select max(published_at) from {PUBLISH_INFO_TABLE}").fetchone()[0]
        if published is not None and published.tzinfo is None:
            published = published.replace(tzinfo=UTC)
    data = PackData(books, period, published)
    totals: list[tuple[str, object, str | None]] = []
    if "rpt_income_statement" in tables:
        sheet, result = _income_statement(con, tables, books, period)
        data.sheets.append(sheet)
        totals += [
            (f"Intäkter (rörelsens) {period.label}", result["revenue_month"], MONEY),
            (f"Resultat {period.label}", result["result_month"], MONEY),
            ("Resultat hittills i år", result["result_ytd"], MONEY),
            ("Budgeterat resultat hittills i år", result["budget_result_ytd"], MONEY),
        ]
    else:
        data.sheets.append(
            Sheet(
                "Resultaträkning",
                [Block([Column("Not")], [], empty=_missing("rpt_income_statement"))],
            )
        )
    if "rpt_balance_sheet" in tables:
        sheet, assets = _balance_sheet(con, books, period)
        data.sheets.append(sheet)
        totals.append((f"Balansomslutning {period.end:%Y-%m-%d}", assets, MONEY))
    else:
        data.sheets.append(
            Sheet(
                "Balansräkning", [Block([Column("Not")], [], empty=_missing("rpt_balance_sheet"))]
            )
        )
    data.sheets.append(_budget_vs_actual(con, tables, books, period))
    sheet, ar_total, ar_overdue = _reskontra(con, tables, books, period, customers=True)
    data.sheets.append(sheet)
    totals += [("Kundfordringar, öppna", ar_total, MONEY), ("varav förfallna", ar_overdue, MONEY)]
    sheet, ap_total, ap_overdue = _reskontra(con, tables, books, period, customers=False)
    data.sheets.append(sheet)
    totals += [
        ("Leverantörsskulder, öppna", ap_total, MONEY),
        ("varav förfallna", ap_overdue, MONEY),
    ]
    data.sheets.append(_projects(con, tables, books, period))
    sheet, stock, ledger = _inventory(con, tables, books, period)
    data.sheets.append(sheet)
    totals += [("Lagervärde (ERP)", stock, MONEY), ("Lagerkonton i bokföringen", ledger, MONEY)]
    sheet, findings, high = _findings(con, tables, books)
    data.sheets.append(sheet)
    totals += [("Öppna avvikelser", findings, COUNT), ("varav allvarliga (hög)", high, COUNT)]
    data.totals = totals
    return data


# -- writing the workbook -------------------------------------------------------------------
_BOLD = Font(bold=True)
_TITLE = Font(bold=True, size=14)
_HEADER_FILL = PatternFill("solid", fgColor="DDE4EE")
_HEADER_BORDER = Border(bottom=Side(style="thin"))
_NOTE = Font(italic=True, color="555555")


def _write_block(ws: Worksheet, block: Block, start: int, widths: dict[int, int]) -> int:
    """Write ``block`` from row ``start``; answers the next free row."""
    row_no = start
    if block.title:
        ws.cell(row_no, 1, block.title).font = _BOLD
        row_no += 1
    header = row_no
    for col, column in enumerate(block.columns, start=1):
        cell = ws.cell(header, col, column.title)
        cell.font = _BOLD
        cell.fill = _HEADER_FILL
        cell.border = _HEADER_BORDER
        cell.alignment = Alignment(wrap_text=True, vertical="bottom")
        widths[col] = max(widths.get(col, 0), min(len(column.title) + 2, 28))
    row_no += 1
    if not block.rows and block.empty:
        ws.cell(row_no, 1, block.empty).font = _NOTE
        return row_no + 2
    for row in block.rows:
        for col, (column, value) in enumerate(zip(block.columns, row.values, strict=False), 1):
            cell = ws.cell(row_no, col, value)
            if column.fmt and isinstance(value, Decimal | int | float | date):
                cell.number_format = column.fmt
            if row.style == "bold" or row.style == "title":
                cell.font = _BOLD
            elif row.style == "note":
                cell.font = _NOTE
            if column.width:
                cell.alignment = Alignment(wrap_text=True, vertical="top")
            if col == 1 and row.style == "indent":
                cell.alignment = Alignment(indent=1)
            if row.style != "note":
                widths[col] = max(widths.get(col, 0), _shown_width(value, column))
        row_no += 1
    if block.rows and block.columns and len(block.rows) > 1 and block.rows[0].style is None:
        last = get_column_letter(len(block.columns))
        end = row_no - 2 if block.rows[-1].style == "bold" else row_no - 1  # not the sum
        if ws.auto_filter.ref is None:
            ws.auto_filter.ref = f"A{header}:{last}{end}"
    return row_no + 1


def _shown_width(value: object, column: Column) -> int:
    if column.width:
        return column.width
    if value is None:
        return 0
    if isinstance(value, Decimal):
        return len(f"{value:,.2f}") + 2
    if isinstance(value, date):
        return 12
    return min(len(str(value)) + 2, 60)


def _sheet(wb: Workbook, name: str) -> Worksheet:
    ws = wb.create_sheet(name)
    ws.page_setup.orientation = "landscape"
    ws.page_setup.fitToWidth = 1
    ws.page_setup.fitToHeight = 0
    ws.sheet_properties.pageSetUpPr.fitToPage = True
    return ws


def _fit(ws: Worksheet, widths: dict[int, int]) -> None:
    for col, width in widths.items():
        ws.column_dimensions[get_column_letter(col)].width = max(10, min(width, 80))


def _summary(wb: Workbook, data: PackData, written_at: datetime) -> None:
    ws = _sheet(wb, "Sammanfattning")
    books, period = data.books, data.period
    ws.cell(1, 1, f"Månadsrapport {books.name} {period.label}").font = _TITLE
    ws.freeze_panes = "A2"
    published = (
        f"{data.published_at.astimezone(STOCKHOLM):%Y-%m-%d %H:%M:%S} (Europe/Stockholm)"
        if data.published_at
        else "okänt"
    )
    closed = period.end < written_at.astimezone(STOCKHOLM).date()
    facts = [
        ("Företag", books.name),
        ("Företags-id", books.company_id),
        ("Organisationsnummer", books.orgnr or ""),
        ("Period", f"{period.start:%Y-%m-%d} – {period.end:%Y-%m-%d}"),
        ("Räkenskapsår", f"{period.fiscal_year} (period {period.number} av "
                         f"{period.periods_in_year})"),
        ("Månaden", "avslutad" if closed else "pågår: preliminära siffror"),
        ("Bokföringen låst t.o.m.",
         f"{books.locked_until:%Y-%m-%d}" if books.locked_until else "ej låst"),
        ("Valuta", books.currency or "SEK"),
        ("Data publicerad", published),
        ("Rapporten skapad",
         f"{written_at.astimezone(STOCKHOLM):%Y-%m-%d %H:%M:%S} (Europe/Stockholm)"),
    ]  # fmt: skip
    row_no = 3
    for label, value in facts:
        ws.cell(row_no, 1, label).font = _BOLD
        ws.cell(row_no, 2, value)
        row_no += 1
    row_no += 1
    ws.cell(row_no, 1, "Nyckeltal").font = _TITLE
    row_no += 1
    for label, value, fmt in data.totals:
        ws.cell(row_no, 1, label).font = _BOLD
        cell = ws.cell(row_no, 2, value if value is not None else "–")
        if fmt and value is not None:
            cell.number_format = fmt
        row_no += 1
    row_no += 1
    ws.cell(row_no, 1, "Flikar").font = _TITLE
    row_no += 1
    for name, what in (
        ("Resultaträkning", "månaden, ackumulerat, samma period i fjol och budget"),
        ("Balansräkning", "vid månadens slut, föregående års bokslut och i fjol"),
        ("Budget mot utfall", "per konto, resultatenhet och projekt"),
        ("Kundreskontra", "öppna kundfakturor vid månadens slut, efter ålder"),
        ("Leverantörsreskontra", "öppna leverantörsfakturor vid månadens slut, efter ålder"),
        ("Projekt", "intäkter, kostnader, marginal, budget och timmar per projekt"),
        ("Lager", "lagervärde per lager och mot lagerkontona i bokföringen"),
        ("Avvikelser", "öppna avvikelser mellan ERP och bokföring att åtgärda"),
    ):
        ws.cell(row_no, 1, name)
        ws.cell(row_no, 2, what)
        row_no += 1
    ws.column_dimensions["A"].width = 36
    ws.column_dimensions["B"].width = 60
    for row in ws.iter_rows(min_col=2, max_col=2):
        for cell in row:
            cell.alignment = Alignment(horizontal="left")


def _workbook(data: PackData, written_at: datetime) -> Workbook:
    wb = Workbook()
    wb.remove(wb.active)
    _summary(wb, data, written_at)
    for sheet in data.sheets:
        ws = _sheet(wb, sheet.name)
        ws.freeze_panes = "B2" if sheet.blocks and sheet.blocks[0].title is None else "A2"
        widths: dict[int, int] = {}
        row_no = 1
        for block in sheet.blocks:
            row_no = _write_block(ws, block, row_no, widths)
        _fit(ws, widths)
    wb.properties.title = f"Månadsrapport {data.books.name} {data.period.label}"
    wb.properties.creator = "ledgerbridge"
    return wb


def write_report_pack(paths: Paths, company_id: str, month: str | date) -> Path:
    """Write the company's report pack for ``month`` (``YYYY-MM`` or a date in it) from the
    published snapshot; answers the file. An existing pack for the month is replaced."""
    start = parse_month(month)
    con = connect_serving(paths)
    try:
        data = _read(con, company_id, start)
    finally:
        con.close()
    workbook = _workbook(data, datetime.now(UTC))
    target = report_pack_path(paths, company_id, start)
    target.parent.mkdir(parents=True, exist_ok=True)
    handle, tmp_name = tempfile.mkstemp(prefix=f".{target.stem}.", suffix=".tmp", dir=target.parent)
    os.close(handle)
    tmp = Path(tmp_name)
    try:
        workbook.save(tmp)
        with open(tmp, "rb") as written:
            os.fsync(written.fileno())
        os.chmod(tmp, 0o644)
        os.replace(tmp, target)
    finally:
        tmp.unlink(missing_ok=True)
    return target


def write_report_packs(
    paths: Paths, company_ids: Sequence[str] | None = None, month: str | date | None = None,
    *, today: date | None = None,
) -> list[Path]:  # fmt: skip
    """The CLI's defaults: every company (or those named), each for ``month`` or else its
    last closed month."""
    books = read_books(paths)
    chosen = list(company_ids) if company_ids else list(books)
    day = today or stockholm_today()
    plan: list[tuple[str, date]] = []
    for company_id in chosen:
        company = _company(books, company_id)
        if month is not None:  # every company's month checked before any pack is written
            plan.append((company_id, _period(company, parse_month(month)).start))
            continue
        closed = company.closed(day)
        if not closed:
            raise NoClosedMonthError(
                f"no month of the books of {company.name} ({company_id}) has ended yet "
                f"(they run from {company.span})",
                hint="name a month with --month YYYY-MM for a pack of a month still running",
            )
        plan.append((company_id, closed[-1].start))
    return [write_report_pack(paths, company_id, start) for company_id, start in plan]
