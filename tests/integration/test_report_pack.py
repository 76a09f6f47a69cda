"""The month-end report pack on the demo: every sheet there, its figures those of the published
marts, the errors a person can meet, the schedule job that writes each closed month once, and
`ledgerbridge report-pack`."""

from __future__ import annotations

import shutil
from datetime import date, datetime, timedelta
from decimal import Decimal
from pathlib import Path

import duckdb
import pytest
from openpyxl import load_workbook
from openpyxl.worksheet.worksheet import Worksheet

from ledgerbridge.config import Paths
from ledgerbridge.report_pack import (
    STOCKHOLM,
    BadMonthError,
    MonthNotInBooksError,
    UnknownCompanyError,
    list_report_packs,
    report_pack_path,
    write_report_pack,
)
from reverse_etl.scheduler import run_due
from reverse_etl.schedules import Schedules
from tests.conftest import run_cli

COMPANY = "demo_ab"
SHEETS = [
    "Sammanfattning", "Resultaträkning", "Balansräkning", "Budget mot utfall", "Kundreskontra",
    "Leverantörsreskontra", "Projekt", "Lager", "Avvikelser",
]  # fmt: skip


def _copy(demo_home: Path, home: Path) -> Path:
    """The demo home without what a pack never reads (the warehouse, dbt's and dlt's files,
    logs, the sandboxes' data): tests never write into the shared demo."""
    shutil.copytree(
        demo_home, home,
        ignore=shutil.ignore_patterns("warehouse.duckdb*", "dbt", "dlt", "logs", "sandbox"),
    )  # fmt: skip
    return home


def _serving(home: Path, sql: str, params: list | None = None) -> list[tuple]:
    con = duckdb.connect(str(home / "serving.duckdb"), read_only=True)
    try:
        return con.execute(sql, params or []).fetchall()
    finally:
        con.close()


def _closed_months(home: Path, today: date) -> list[date]:
    return [
        row[0]
        for row in _serving(
            home,
            "select period_start from dim_fiscal_period where company_id = ? and period_end < ? "
            "order by 1",
            [COMPANY, today],
        )
    ]


def _decimal(value: object) -> Decimal:
    assert isinstance(value, int | float) and not isinstance(value, bool), value
    return Decimal(str(value)).quantize(Decimal("0.01"))


def _row(sheet: Worksheet, label: str, *, after: int = 0) -> tuple:
    """The first row whose first cell is ``label`` (below row ``after``)."""
    for row in sheet.iter_rows(min_row=after + 1, values_only=True):
        if row[0] == label:
            return row
    raise AssertionError(f"no row {label!r} in {sheet.title}")


def _header(sheet: Worksheet, first: str, *, after: int = 0) -> tuple[int, list]:
    for cells in sheet.iter_rows(min_row=after + 1):
        if cells[0].value == first:
            return cells[0].row, [c.value for c in cells]
    raise AssertionError(f"no header {first!r} in {sheet.title}")


@pytest.fixture(scope="module")
def home(demo_home: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    return _copy(demo_home, tmp_path_factory.mktemp("report-pack") / "home")


@pytest.fixture(scope="module")
def december(home: Path) -> tuple[date, Path]:
    """The pack of the demo's last month (December of its second year), written once."""
    [(month,)] = _serving(
        home, "select max(period_start) from dim_fiscal_period where company_id = ?", [COMPANY]
    )
    return month, write_report_pack(Paths(home), COMPANY, month)


def test_every_sheet_is_there_with_numbers_as_numbers(december: tuple[date, Path]) -> None:
    month, path = december
    assert path.name == f"manadsrapport_{COMPANY}_{month:%Y-%m}.xlsx"
    book = load_workbook(path)
    assert book.sheetnames == SHEETS
    for name in SHEETS[1:]:
        sheet = book[name]
        assert sheet.freeze_panes == "B2", name
        assert all(cell.font.bold for cell in sheet[1] if cell.value is not None), name
    statement = book["Resultaträkning"]
    amounts = [cell for row in statement.iter_rows(min_row=2, min_col=2, max_col=9)
               for cell in row if cell.value is not None]  # fmt: skip
    assert len(amounts) > 50
    assert all(cell.data_type == "n" and cell.number_format == "#,##0.00" for cell in amounts)
    assert statement.column_dimensions["A"].width >= 40


def test_the_income_statement_is_the_marts(home: Path, december: tuple[date, Path]) -> None:
    month, path = december
    sheet = load_workbook(path)["Resultaträkning"]
    header = [cell.value for cell in sheet[1]]
    assert header[1] == f"{month:%Y-%m}"
    [(result, ytd, last_year)] = _serving(
        home,
        "select sum(report_amount) filter (where period_start = $month), "
        "sum(report_amount) filter (where fiscal_year_start = (select fiscal_year_start from "
        "dim_fiscal_period where company_id = $company and period_start = $month) "
        "and period_start <= $month), "
        "sum(report_amount) filter (where period_start = $month - interval 1 year) "
        "from rpt_income_statement where company_id = $company",
        {"company": COMPANY, "month": month},
    )
    row = _row(sheet, "Resultat")
    assert [_decimal(v) for v in row[1:4]] == [result, ytd, last_year]
    # each report line is the sum of its accounts
    for line, amount in _serving(
        home,
        "select report_line, sum(report_amount) from rpt_income_statement "
        "where company_id = ? and period_start = ? group by 1",
        [COMPANY, month],
    ):
        assert _decimal(_row(sheet, line)[1]) == amount, line
    # the budget columns are the budget mart's (debit positive there, revenue positive here)
    [(budget,)] = _serving(
        home,
        "select -sum(b.budget_amount) from fct_budget_vs_actual as b join dim_account as a "
        "using (company_id, account_number) where b.company_id = ? and b.period_start = ? "
        "and a.statement = 'income_statement'",
        [COMPANY, month],
    )
    assert _decimal(row[5]) == budget
    assert _decimal(row[7]) == result - budget


def test_the_balance_sheet_balances_as_the_mart_does(home: Path, december: tuple) -> None:
    month, path = december
    sheet = load_workbook(path)["Balansräkning"]
    lines = dict(
        _serving(
            home,
            "select report_line, report_amount from rpt_balance_sheet "
            "where company_id = ? and period_start = ?",
            [COMPANY, month],
        )
    )
    assert {"Balanserat resultat", "Årets resultat"} <= set(lines)
    for line, amount in lines.items():
        assert _decimal(_row(sheet, line)[1]) == amount, line
    assets = _decimal(_row(sheet, "Summa tillgångar")[1])
    assert assets == _decimal(_row(sheet, "Summa eget kapital och skulder")[1])
    [(expected,)] = _serving(
        home,
        "select sum(report_amount) from rpt_balance_sheet where company_id = ? "
        "and period_start = ? and balance_sheet_side = 'assets'",
        [COMPANY, month],
    )
    assert assets == expected
    # årets resultat at the year's end is the income statement's year to date
    statement = load_workbook(path)["Resultaträkning"]
    assert _decimal(_row(sheet, "Årets resultat")[1]) == _decimal(_row(statement, "Resultat")[2])


def test_budget_reskontra_projects_inventory_and_findings_are_the_marts(
    home: Path, december: tuple[date, Path]
) -> None:
    month, path = december
    book = load_workbook(path)
    [(period_end,)] = _serving(
        home,
        "select period_end from dim_fiscal_period where company_id = ? and period_start = ?",
        [COMPANY, month],
    )

    budget = book["Budget mot utfall"]
    [(b_month, a_month, keys)] = _serving(
        home,
        "select -sum(budget_amount) filter (where period_start = $month), "
        "-sum(actual_amount) filter (where period_start = $month), "
        "count(distinct (account_number, cost_centre_code, project_code)) "
        "from fct_budget_vs_actual where company_id = $company and period_start <= $month "
        "and fiscal_year_start = (select fiscal_year_start from dim_fiscal_period "
        "where company_id = $company and period_start = $month)",
        {"company": COMPANY, "month": month},
    )
    total = _row(budget, "Summa")
    assert (_decimal(total[4]), _decimal(total[5])) == (b_month, a_month)
    row_no, _ = _header(budget, "Konto")
    assert budget.cell(row_no + keys + 1, 1).value == "Summa"  # one row per key, then the sum

    ar = book["Kundreskontra"]
    _, header = _header(ar, "Kund")
    by_bucket = dict(
        _serving(
            home,
            "select aging_bucket, sum(open_amount) from fct_ar_open_items_monthly "
            "where company_id = ? and period_end = ? group by 1",
            [COMPANY, period_end],
        )
    )
    assert by_bucket, "the demo has receivables open at the year's end"
    ar_total = _row(ar, "Summa")
    assert _decimal(ar_total[header.index("Summa")]) == sum(by_bucket.values())
    assert _decimal(ar_total[header.index("Ej förfallet")]) == by_bucket.get(
        "not_due", Decimal("0.00")
    )
    [(invoices,)] = _serving(
        home,
        "select count(*) from fct_ar_open_items_monthly where company_id = ? and period_end = ?",
        [COMPANY, period_end],
    )
    detail_row, _ = _header(ar, "Kund", after=1)
    assert [ar.cell(detail_row + i, 3).value is not None for i in range(1, invoices + 2)] == [
        True
    ] * invoices + [False]

    projects = book["Projekt"]
    [(revenue, cost)] = _serving(
        home,
        "select -sum(revenue_amount), sum(cost_amount) from fct_project_financials "
        "where company_id = ? and period_start = ?",
        [COMPANY, month],
    )
    total = _row(projects, "Summa")
    assert (_decimal(total[2]), _decimal(total[3])) == (revenue, cost)

    stock = book["Lager"]
    [(closing, warehouses)] = _serving(
        home,
        "select sum(closing_value), count(distinct warehouse_code) "
        "from fct_stock_balance_monthly where company_id = ? and period_start = ?",
        [COMPANY, month],
    )
    assert _decimal(_row(stock, "Summa")[7]) == closing
    assert stock.cell(warehouses + 2, 1).value == "Summa"
    [(stock_value, balance, difference)] = _serving(
        home,
        "select sum(stock_value), sum(account_balance), sum(difference) "
        "from rpt_inventory_vs_ledger where company_id = ? and period_start = ?",
        [COMPANY, month],
    )
    ledger = _row(stock, "Summa", after=warehouses + 2)
    assert [_decimal(v) for v in ledger[2:5]] == [stock_value, balance, difference]
    assert difference != 0  # the demo's planted stock write-down the ERP never saw

    findings = book["Avvikelser"]
    [(count, high)] = _serving(
        home,
        "select count(*), count(*) filter (where severity = 'high') from rec_findings "
        "where company_id = ?",
        [COMPANY],
    )
    assert count > 0
    ids = [row[7] for row in findings.iter_rows(min_row=2, values_only=True) if row[7]]
    assert len(ids) == count
    assert sorted(ids) == sorted(
        r[0] for r in _serving(home, "select finding_id from rec_findings")
    )

    summary = {r[0]: r[1] for r in book["Sammanfattning"].iter_rows(values_only=True)}
    assert summary["Företag"] == "Demo AB"
    assert summary["Period"] == f"{month:%Y-%m-%d} – {period_end:%Y-%m-%d}"
    [(published,)] = _serving(home, "select max(published_at) from _ledgerbridge_publish")
    assert summary["Data publicerad"] == (
        f"{published.astimezone(STOCKHOLM):%Y-%m-%d %H:%M:%S} (Europe/Stockholm)"
    )
    assert (summary["Öppna avvikelser"], summary["varav allvarliga (hög)"]) == (count, high)
    assert _decimal(summary["Kundfordringar, öppna"]) == sum(by_bucket.values())


def test_a_month_with_open_supplier_invoices(home: Path, tmp_path: Path) -> None:
    """On demand, any month of the books: one with supplier invoices open at its end (as
    debts, positive; the mart has the payables account's sign)."""
    rows = _serving(
        home,
        "select period_end, -sum(open_amount), count(*) from fct_ap_open_items_monthly "
        "where company_id = ? group by 1 order by 3 desc, 1 limit 1",
        [COMPANY],
    )
    [(period_end, open_amount, count)] = rows
    path = write_report_pack(Paths(home), COMPANY, f"{period_end:%Y-%m}")
    sheet = load_workbook(path)["Leverantörsreskontra"]
    _, header = _header(sheet, "Leverantör")
    assert _decimal(_row(sheet, "Summa")[header.index("Summa")]) == open_amount
    detail_row, detail = _header(sheet, "Leverantör", after=1)
    assert detail[2:4] == ["Leverantörens fakturanr", "Löpnummer"]
    assert (
        sum(1 for r in sheet.iter_rows(min_row=detail_row + 1, values_only=True) if r[2]) == count
    )


def test_errors_say_what_is_wrong(home: Path) -> None:
    paths = Paths(home)
    with pytest.raises(UnknownCompanyError, match=r"no company 'acme'.*demo_ab \(Demo AB\)"):
        write_report_pack(paths, "acme", "2025-12")
    [(first, last)] = _serving(
        home,
        "select min(period_start), max(period_start) from dim_fiscal_period where company_id = ?",
        [COMPANY],
    )
    before = first.replace(year=first.year - 1)
    with pytest.raises(MonthNotInBooksError) as caught:
        write_report_pack(paths, COMPANY, before)
    assert caught.value.message == (
        f"{before:%Y-%m} is not in the books of Demo AB (demo_ab), which run from "
        f"{first:%Y-%m} to {last:%Y-%m}"
    )
    for text in ("2025-13", "december", "12/2025"):
        with pytest.raises(BadMonthError, match=f"month '{text}' is not a month"):
            write_report_pack(paths, COMPANY, text)
    assert report_pack_path(paths, COMPANY, before).exists() is False


def test_the_schedule_writes_each_closed_month_once(demo_home: Path, tmp_path: Path) -> None:
    home = _copy(demo_home, tmp_path / "home")
    paths = Paths(home)
    with Schedules(paths) as schedules:
        schedule = schedules.add("month-end", "report_pack", "0 6 3 * *", "anna")
    first = schedule.next_due(datetime.fromisoformat(schedule.created_at))
    today = first.astimezone(STOCKHOLM).date()
    closed = _closed_months(home, today)
    assert len(closed) >= 3
    # a pack written on demand earlier: the schedule goes on from there
    write_report_pack(paths, COMPANY, closed[-3])
    [outcome] = run_due(paths, now=first, say=lambda _: None)
    assert outcome.ok, outcome.message
    assert outcome.message.startswith("wrote 2 report packs")
    assert "planned" not in outcome.message and "pushed" not in outcome.message
    assert [month for month, _ in list_report_packs(paths, COMPANY)] == closed[:-4:-1]
    stamps = {p: p.stat().st_mtime_ns for _, p in list_report_packs(paths, COMPANY)}

    # next month: nothing new has closed within the books, nothing is written again
    second = schedule.next_due(first + timedelta(minutes=1))
    [again] = run_due(paths, now=second, say=lambda _: None)
    assert again.ok and again.message == "wrote 0 report packs", again.message
    assert {p: p.stat().st_mtime_ns for _, p in list_report_packs(paths, COMPANY)} == stamps
    listed = run_cli("schedule", "list", home=home)
    assert "report_pack" in listed.output and "ok" in listed.output
    assert not list((home / "reports" / COMPANY).glob(".*"))  # no temporary file left


def test_the_command(demo_home: Path, tmp_path: Path) -> None:
    home = _copy(demo_home, tmp_path / "home")
    closed = _closed_months(home, datetime.now(STOCKHOLM).date())
    result = run_cli("report-pack", home=home)
    assert result.returncode == 0, result.output
    expected = home / "reports" / COMPANY / f"manadsrapport_{COMPANY}_{closed[-1]:%Y-%m}.xlsx"
    assert result.stdout.strip() == f"wrote {expected}"
    assert load_workbook(expected).sheetnames == SHEETS

    earlier = closed[-10]
    chosen = run_cli("report-pack", "--company", COMPANY, "--month", f"{earlier:%Y-%m}", home=home)
    assert chosen.returncode == 0, chosen.output
    assert f"manadsrapport_{COMPANY}_{earlier:%Y-%m}.xlsx" in chosen.stdout

    unknown = run_cli("report-pack", "--company", "acme", home=home)
    assert unknown.returncode == 1
    assert "error[unknown-company]" in unknown.stderr and "demo_ab (Demo AB)" in unknown.stderr
    assert "Traceback" not in unknown.output
    bad = run_cli("report-pack", "--month", "2025-3", home=home)
    assert bad.returncode == 1 and "error[bad-month]" in bad.stderr
    assert "YYYY-MM" in bad.stderr
    outside = run_cli("report-pack", "--month", "1999-12", home=home)
    assert outside.returncode == 1 and "error[month-not-in-books]" in outside.stderr
    nothing = run_cli("report-pack", home=tmp_path / "empty")
    assert nothing.returncode == 1 and "nothing published" in nothing.stderr
    assert [m for m, _ in list_report_packs(Paths(home), COMPANY)] == sorted(
        {closed[-1], earlier}, reverse=True
    )
