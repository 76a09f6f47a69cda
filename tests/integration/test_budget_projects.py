"""Budgets and project financials on real data: the demo's budget lands through its CSV
upload whole; budget against actual and the project figures recompute from the ledger and the
generator's own files; SIE #PBUDGET over a broken fiscal year; bad budget files are refused
with file, line and what was expected, and nothing of them lands."""

from __future__ import annotations

import json
import shutil
from collections import defaultdict
from decimal import Decimal
from pathlib import Path

import pytest

from ledgerbridge.build import present_sources, run_dbt
from ledgerbridge.config import Paths
from ledgerbridge.warehouse import writer_lock
from sandbox.demo_company.budget_csv import write_budget_csv
from tests.conftest import run_cli
from tests.conftest import warehouse_rows as rows


def jsonl(path: Path) -> list[dict]:
    with open(path, encoding="utf-8") as handle:
        return [json.loads(line) for line in handle if line.strip()]


# -- the demo ------------------------------------------------------------------------------


def test_the_demo_budget_lands_whole_per_fiscal_year(demo_home: Path) -> None:
    expected: dict[str, Decimal] = defaultdict(Decimal)
    counts: dict[str, int] = defaultdict(int)
    for row in jsonl(demo_home / "demo" / "erp" / "budget.jsonl"):
        expected[row["fiscal_year"]] += Decimal(row["amount"])
        counts[row["fiscal_year"]] += 1
    landed = rows(
        demo_home,
        "select fiscal_year, budget_source, sum(budget_amount), count(*) "
        "from marts.fct_budget_vs_actual where has_budget group by 1, 2 order by 1",
    )
    assert landed == [(year, "csv", expected[year], counts[year]) for year in sorted(expected)]
    assert len(expected) == 2  # both fiscal years of the demo
    # each file is one fiscal year and names itself as the version
    assert rows(
        demo_home,
        "select distinct fiscal_year, budget_version from marts.fct_budget_vs_actual "
        "where has_budget order by 1",
    ) == [(year, f"budget_{year.replace('/', '-')}.csv") for year in sorted(expected)]


def test_actuals_recompute_from_the_ledger(demo_home: Path) -> None:
    """Per account, cost centre, project and month, the actual is the booked voucher rows of
    that month (int_ledger__voucher_rows by voucher date), on every result account."""
    ledger = {
        (account, cost_centre, project, month): amount
        for account, cost_centre, project, month, amount in rows(
            demo_home,
            "select r.account_number, r.cost_centre_code, r.project_code, "
            "date_trunc('month', v.voucher_date)::date, sum(r.amount) "
            "from intermediate.int_ledger__voucher_rows r "
            "join intermediate.int_ledger__vouchers v using (voucher_id) "
            "where left(r.account_number, 1) between '3' and '8' group by all",
        )
    }
    mart = {
        (account, cost_centre, project, month): amount
        for account, cost_centre, project, month, amount in rows(
            demo_home,
            "select account_number, cost_centre_code, project_code, period_start, actual_amount "
            "from marts.fct_budget_vs_actual where has_actual",
        )
    }
    assert mart == ledger
    assert len(mart) > 100


def test_budget_only_and_actual_only_rows_are_kept(demo_home: Path) -> None:
    kinds = dict(
        rows(
            demo_home,
            "select case when has_budget and has_actual then 'both' when has_budget "
            "then 'budget only' else 'actual only' end, count(*) "
            "from marts.fct_budget_vs_actual group by 1",
        )
    )
    assert kinds.keys() == {"both", "budget only", "actual only"}
    # the demo books inventory changes (4960) nobody budgets; its revenue accounts are budgeted
    assert rows(
        demo_home,
        "select bool_and(not has_budget) from marts.fct_budget_vs_actual "
        "where account_number = '4960'",
    ) == [(True,)]


def test_year_to_date_recomputes_within_each_fiscal_year(demo_home: Path) -> None:
    table = rows(
        demo_home,
        "select company_id, account_number, coalesce(cost_centre_code, ''), "
        "coalesce(project_code, ''), fiscal_year_start, period_start, budget_amount, "
        "actual_amount, ytd_budget_amount, ytd_actual_amount, variance_pct "
        "from marts.fct_budget_vs_actual order by 1, 2, 3, 4, 5, 6",
    )
    running: dict[tuple, tuple[Decimal, Decimal]] = {}
    for *key, _month, budget, actual, ytd_budget, ytd_actual, variance_pct in table:
        before = running.get(tuple(key), (Decimal(0), Decimal(0)))
        running[tuple(key)] = (before[0] + budget, before[1] + actual)
        assert (ytd_budget, ytd_actual) == running[tuple(key)], key
        if budget == 0:
            assert variance_pct is None
        else:
            # computed in floating point by the warehouse: a half-hundredth may round either way
            assert abs(variance_pct - 100 * (actual - budget) / budget) <= Decimal("0.005001")


def test_project_revenue_and_cost_are_the_ledger_rows_on_the_project(demo_home: Path) -> None:
    ledger = rows(
        demo_home,
        "select project_code, "
        "sum(amount) filter (where left(account_number, 1) = '3'), "
        "sum(amount) filter (where left(account_number, 1) between '4' and '7') "
        "from intermediate.int_ledger__voucher_rows where project_code is not null "
        "group by 1 order by 1",
    )
    mart = rows(
        demo_home,
        "select project_code, sum(revenue_amount), sum(cost_amount) "
        "from marts.fct_project_financials group by 1 order by 1",
    )
    assert mart == ledger
    assert [p for p, *_ in mart] == ["P101", "P102", "P103", "P104", "P105", "P106"]
    assert rows(
        demo_home,
        "select count(*) from marts.fct_project_financials "
        "where margin_amount <> revenue_amount + cost_amount",
    ) == [(0,)]


def test_project_hours_are_the_erp_invoiced_hours(demo_home: Path) -> None:
    """The generator's own ERP invoices (what it replayed into Tryton): hours per project are
    the quantities of the consulting article; all of it invoiced, so nothing uninvoiced."""
    hours: dict[str, Decimal] = defaultdict(Decimal)
    for invoice in jsonl(demo_home / "demo" / "erp" / "customer_invoices.jsonl"):
        for line in invoice["lines"]:
            if line["project"] and line["article_number"] == "T100":
                hours[line["project"]] += Decimal(line["quantity"])
    mart = rows(
        demo_home,
        "select project_code, sum(hours_invoiced), sum(hours_ordered), "
        "max(abs(uninvoiced_hours_to_date)) "
        "from marts.fct_project_financials group by 1 order by 1",
    )
    assert mart == [(p, hours[p], hours[p], Decimal(0)) for p in sorted(hours)]


def test_project_budget_is_the_budget_rows_on_the_project(demo_home: Path) -> None:
    expected: dict[str, Decimal] = defaultdict(Decimal)
    for row in jsonl(demo_home / "demo" / "erp" / "budget.jsonl"):
        if row["project"] and row["account"][0] in "34567":
            expected[row["project"]] += Decimal(row["amount"])
    mart = dict(
        rows(
            demo_home,
            "select project_code, sum(budget_margin_amount) from marts.fct_project_financials "
            "group by 1",
        )
    )
    assert mart == dict(expected)


def test_the_marts_are_published(demo_home: Path) -> None:
    import duckdb

    con = duckdb.connect(str(demo_home / "serving.duckdb"), read_only=True)
    try:
        published = {
            name for (name,) in con.execute("select table_name from duckdb_tables()").fetchall()
        }
    finally:
        con.close()
    assert {"fct_budget_vs_actual", "fct_project_financials"} <= published


# -- budget files through `ledgerbridge ingest` ----------------------------------------------

CONFIG = '[companies.acme]\nname = "Acme AB"\n[companies.acme.sources.budget]\nfolder = "budget"\n'
GOOD = "period;account;cost_centre;project;amount\n2024-01;5010;ADM;;24 000,00\n"


def budget_home(tmp_path: Path, files: dict[str, str]) -> Path:
    home = tmp_path / "home"
    (home / "budget").mkdir(parents=True)
    (home / "ledgerbridge.toml").write_text(CONFIG, encoding="utf-8")
    for name, content in files.items():
        (home / "budget" / name).write_text(content, encoding="utf-8")
    return home


BAD_FILES = {
    "wrong column": (
        "period;account;kostnad;amount\n2024-01;5010;ADM;100\n",
        "budget_2024.csv line 1: unknown column 'kostnad'",
    ),
    "bad amount": (
        GOOD + "2024-02;5010;ADM;;tjugo\n",
        "budget_2024.csv line 3: amount 'tjugo' is not an amount",
    ),
    "unknown period format": (
        "period;account;amount\n2024-01;5010;1\nFeb 2024;5010;2\n",
        "budget_2024.csv line 3: period 'Feb 2024' is not a month; expected YYYY-MM",
    ),
    "empty file": ("", "budget_2024.csv: is empty; expected a header line"),
    "duplicate rows": (
        GOOD + "2024-01;5010;ADM;;1 000,00\n",
        "budget_2024.csv line 3: repeats line 2",
    ),
}


@pytest.mark.parametrize("case", BAD_FILES)
def test_a_bad_budget_file_is_refused_and_nothing_lands(tmp_path: Path, case: str) -> None:
    content, message = BAD_FILES[case]
    home = budget_home(tmp_path, {"budget_2024.csv": content})
    result = run_cli("ingest", home=home)
    assert result.returncode == 1, result.output
    assert message in result.stderr
    assert "moved to" in result.stderr
    assert not (home / "budget" / "budget_2024.csv").exists()
    reports = list((home / "quarantine" / "acme").glob("*budget_2024.csv.report.txt"))
    assert len(reports) == 1 and message.split(": ", 1)[1] in reports[0].read_text("utf-8")
    # the only file failed: not a row of it, nor even a warehouse
    assert not (home / "warehouse.duckdb").exists()


def test_a_bad_file_beside_a_good_one_leaves_the_good_one_alone(tmp_path: Path) -> None:
    home = budget_home(
        tmp_path,
        {"budget_2024.csv": GOOD, "budget_2025.csv": "period;account;amount\n2025-01;5010;x\n"},
    )
    result = run_cli("ingest", home=home)
    assert result.returncode == 1
    assert rows(home, "select period, amount from raw_budget.entries") == [
        ("2024-01", Decimal("24000.00"))
    ]
    assert rows(home, "select count(*) from raw_budget.entries where period like '2025%'") == [(0,)]


def test_a_reuploaded_year_replaces_the_old_budget(tmp_path: Path) -> None:
    first = GOOD + "2024-02;5010;ADM;;24 000,00\n2024-03;6110;ADM;;500\n"
    home = budget_home(tmp_path, {"budget_2024.csv": first})
    assert run_cli("ingest", home=home).returncode == 0
    assert rows(home, "select sum(amount), count(*) from raw_budget.entries") == [
        (Decimal("48500.00"), 3)
    ]
    # the controller revises the year and saves it under another name: it replaces every
    # month from January to March, the dropped 6110 line in March included
    (home / "budget" / "budget_2024_rev2.csv").write_text(
        "period;account;cost_centre;project;amount\n"
        "2024-01;5010;ADM;;25 000\n2024-03;5010;ADM;;25 000\n",
        encoding="utf-8",
    )
    result = run_cli("ingest", home=home)
    assert result.returncode == 0, result.output
    assert rows(
        home, "select period, account_number, amount from raw_budget.entries order by 1"
    ) == [("2024-01", "5010", Decimal("25000.00")), ("2024-03", "5010", Decimal("25000.00"))]
    assert rows(home, "select distinct file_name from raw_budget.periods") == [
        ("budget_2024_rev2.csv",)
    ]
    # the same bytes again, under any name, change nothing
    shutil.copy(home / "budget" / "budget_2024_rev2.csv", home / "budget" / "copy.csv")
    again = run_cli("ingest", home=home)
    assert again.returncode == 0 and "unchanged" in again.output


def test_the_demo_budget_csv_reads_back_to_the_generator_budget(tmp_path: Path) -> None:
    """The demo's CSV (Swedish spreadsheet format) read through the real ingest gives the
    generator's budget to the öre, row by row."""
    erp = tmp_path / "erp"
    erp.mkdir()
    records = [
        {"fiscal_year": "2024/25", "period": "2024-07", "account": "3041",
         "cost_centre": "KONS", "project": "P101", "amount": "-1234567.50"},
        {"fiscal_year": "2024/25", "period": "2025-06", "account": "5010",
         "cost_centre": "ADM", "project": None, "amount": "24000.00"},
        {"fiscal_year": "2024/25", "period": "2024-09", "account": "6570",
         "cost_centre": "ADM", "project": None, "amount": "-395.00"},
    ]  # fmt: skip
    (erp / "budget.jsonl").write_text(
        "".join(json.dumps(r) + "\n" for r in records), encoding="utf-8"
    )
    home = budget_home(tmp_path, {})
    (written,) = write_budget_csv(home / "budget", erp)
    assert written.name == "budget_2024-25.csv"
    assert run_cli("ingest", home=home).returncode == 0
    assert rows(
        home,
        "select period, account_number, cost_centre, project, amount from raw_budget.entries "
        "order by period",
    ) == [
        ("2024-07", "3041", "KONS", "P101", Decimal("-1234567.50")),
        ("2024-09", "6570", "ADM", "", Decimal("-395.00")),
        ("2025-06", "5010", "ADM", "", Decimal("24000.00")),
    ]
    assert rows(home, "select count(*) from raw_budget.periods") == [(12,)]


# -- SIE #PBUDGET over a broken fiscal year ---------------------------------------------------


def test_sie_period_budgets_over_a_broken_year(tmp_path: Path, corpus: Path) -> None:
    """A real SIE file with #PBUDGET for its fiscal year July 2009 – June 2010: the budget
    lands as the file states it, and year to date runs from July."""
    source = corpus / "sie" / "04_BL0001_typ4_rtrans_btrans.SE"
    stated: dict[tuple[str, str], Decimal] = {}
    for raw in source.read_bytes().decode("cp437").splitlines():
        parts = raw.split()
        if parts[:2] == ["#PBUDGET", "0"]:
            period, account, amount = parts[2], parts[3], Decimal(parts[-1])
            stated[(f"{period[:4]}-{period[4:]}-01", account)] = amount
    assert len(stated) == 24
    home = tmp_path / "home"
    (home / "sie").mkdir(parents=True)
    shutil.copy(source, home / "sie")
    (home / "ledgerbridge.toml").write_text(
        '[companies.seee]\nname = "SEEE"\n[companies.seee.sources.sie]\nfolder = "sie"\n',
        encoding="utf-8",
    )
    ingest = run_cli("ingest", home=home)
    assert ingest.returncode == 0, ingest.output
    # the budget's models and their own tests only ("cautious": not the tests of other marts
    # that merely read a model on the way, which judge this corpus file by other rules)
    paths = Paths(home)
    with writer_lock(paths, "test"):
        result = run_dbt(
            paths,
            ["build", "--vars", json.dumps({"ledgerbridge_sources": present_sources(paths)}),
             "--select", "+fct_budget_vs_actual", "--indirect-selection", "cautious"],
        )  # fmt: skip
    assert result.failed == 0, result.errors
    mart = rows(
        home,
        "select cast(period_start as varchar), account_number, budget_amount, budget_source, "
        "fiscal_year, fiscal_period_number, ytd_budget_amount "
        "from marts.fct_budget_vs_actual where has_budget order by account_number, period_start",
    )
    assert {(p, a): b for p, a, b, *_ in mart} == stated
    assert {(source_, year) for *_, source_, year, _n, _y in mart} == {("sie", "2009/10")}
    revenue = [(p, n, ytd) for p, a, _b, _s, _y, n, ytd in mart if a == "3010"]
    # July is month 1 of the fiscal year, and the year to date builds from there
    assert revenue[0] == ("2009-07-01", 1, Decimal("-100000.00"))
    assert revenue[-1] == ("2010-06-01", 12, Decimal("-1200000.00"))
