"""The budget, project, inventory and reskontra pages, rendered by Streamlit's AppTest on the
published demo: each figure checked against the mart, computed here with SQL of its own, and
again after a filter or the period changes."""

from __future__ import annotations

import json
from datetime import date
from decimal import Decimal
from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from dashboards.formatting import kronor
from tests.e2e.dashboard_app import mart_value, metric, open_app, sidebar_widget

COMPANY = "demo_ab"


@pytest.fixture
def home(demo_home: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("LEDGERBRIDGE_HOME", str(demo_home))
    return demo_home


# -- helpers -----------------------------------------------------------------------------------


def year_start(test: AppTest, home: Path) -> date:
    label = sidebar_widget(test, "selectbox", "Räkenskapsår").value
    return mart_value(
        home,
        "select min(fiscal_year_start) from dim_fiscal_period "
        "where company_id = ? and fiscal_year = ?",
        [COMPANY, label],
    )


def period(test: AppTest, home: Path) -> tuple[date, date, date]:
    """The sidebar's fiscal year start, and the selected period's first and last day."""
    start_of_year = year_start(test, home)
    label = test.sidebar.selectbox(key=f"period:{COMPANY}:{start_of_year}").value
    start = date.fromisoformat(f"{label}-01")
    end = mart_value(
        home,
        "select period_end from dim_fiscal_period where company_id = ? and period_start = ?",
        [COMPANY, start],
    )
    return start_of_year, start, end


def choose_period(test: AppTest, home: Path, label: str) -> None:
    test.sidebar.selectbox(key=f"period:{COMPANY}:{year_start(test, home)}").set_value(label)
    test.run()
    assert not test.exception, test.exception


def choose(test: AppTest, label: str, values: list[str]) -> None:
    sidebar_widget(test, "multiselect", label).set_value(values)
    test.run()
    assert not test.exception, test.exception


def chart(test: AppTest, key: str) -> dict:
    element = next(c for c in test.get("plotly_chart") if c.proto.id.endswith(key))
    return json.loads(element.proto.spec)


def days_text(value: Decimal) -> str:
    return f"{value:.1f}".replace(".", ",") + " dagar"


# -- Budget mot utfall -------------------------------------------------------------------------

BUDGET = """
select {column} from fct_budget_vs_actual as b
join dim_account as a on a.company_id = b.company_id and a.account_number = b.account_number
where a.statement = 'income_statement' and b.company_id = ? and {where}
"""


def budget(home: Path, column: str, where: str, params: list) -> Decimal:
    return mart_value(home, BUDGET.format(column=column, where=where), [COMPANY, *params])


def test_budget_page_shows_the_result_against_the_budget(home: Path) -> None:
    test = open_app("demo-viewer", "budget.py")
    assert test.title[0].value == "Budget mot utfall"
    year, start, _ = period(test, home)
    actual = budget(home, "-sum(b.actual_amount)", "b.period_start = ?", [start])
    assert metric(test, "Utfall perioden") == kronor(actual)
    ytd_budget = budget(
        home, "-sum(b.budget_amount)", "b.period_start between ? and ?", [year, start]
    )
    ytd_actual = budget(
        home, "-sum(b.actual_amount)", "b.period_start between ? and ?", [year, start]
    )
    assert ytd_budget != Decimal("0.00")
    assert metric(test, "Budget hittills i år") == kronor(ytd_budget)
    assert metric(test, "Avvikelse hittills i år") == kronor(ytd_actual - ytd_budget)
    # the chart's bar for the period is the period's result, its line the year's budget
    figure = chart(test, "budget_monthly_chart")
    bars, line = figure["data"]
    assert bars["y"][bars["x"].index(f"{start:%Y-%m}")] == pytest.approx(float(actual))
    assert len(line["x"]) == 12
    # per report line (with the result line) and per account × cost centre × project
    lines = test.dataframe[0].value
    assert "Resultat" in list(lines["Rapportrad"])
    result = lines[lines["Rapportrad"] == "Resultat"].iloc[0]
    assert result["Utfall ack."] == ytd_actual
    assert len(test.dataframe[1].value) > 1


def test_budget_page_follows_the_project_filter_and_the_period(home: Path) -> None:
    test = open_app("demo-controller", "budget.py")
    year, start, _ = period(test, home)
    everything = metric(test, "Utfall hittills i år")
    choose(test, "Projekt", ["P105"])
    project_ytd = budget(
        home,
        "-sum(b.actual_amount)",
        "b.period_start between ? and ? and b.project_code = 'P105'",
        [year, start],
    )
    assert metric(test, "Utfall hittills i år") == kronor(project_ytd) != everything

    choose_period(test, home, "2025-06")
    june = date(2025, 6, 1)
    june_actual = budget(
        home, "-sum(b.actual_amount)", "b.period_start = ? and b.project_code = 'P105'", [june]
    )
    june_budget = budget(
        home, "-sum(b.budget_amount)", "b.period_start = ? and b.project_code = 'P105'", [june]
    )
    assert metric(test, "Utfall perioden") == kronor(june_actual)
    assert metric(test, "Budget perioden") == kronor(june_budget)
    assert metric(test, "Avvikelse perioden") == kronor(june_actual - june_budget)


# -- Projekt -----------------------------------------------------------------------------------


def projects(home: Path, column: str, where: str, params: list) -> Decimal:
    return mart_value(
        home,
        f"select {column} from fct_project_financials where company_id = ? and {where}",
        [COMPANY, *params],
    )


def test_projects_page_shows_profitability_and_budget_variance(home: Path) -> None:
    test = open_app("demo-viewer", "projects.py")
    assert test.title[0].value == "Projekt"
    year, start, _ = period(test, home)
    to_date = "period_start between ? and ?"
    assert metric(test, "Intäkter hittills i år") == kronor(
        projects(home, "-sum(revenue_amount)", to_date, [year, start])
    )
    assert metric(test, "Täckningsbidrag hittills i år") == kronor(
        projects(home, "-sum(margin_amount)", to_date, [year, start])
    )
    assert metric(test, "Avvikelse mot budget-TB") == kronor(
        projects(home, "-sum(budget_variance_amount)", to_date, [year, start])
    )
    uninvoiced = mart_value(
        home,
        "select sum(u) from (select arg_max(uninvoiced_amount_to_date, period_start) as u "
        "from fct_project_financials where company_id = ? and period_start <= ? "
        "group by project_code)",
        [COMPANY, start],
    )
    assert metric(test, "Ofakturerat arbete") == kronor(uninvoiced)
    table = test.dataframe[0].value
    active = mart_value(
        home,
        "select count(distinct project_code) from fct_project_financials "
        "where company_id = ? and period_start between ? and ?",
        [COMPANY, year, start],
    )
    assert len(table) == active
    assert test.get("plotly_chart")


def test_projects_page_follows_the_project_filter_and_the_period(home: Path) -> None:
    test = open_app("demo-viewer", "projects.py")
    year, start, _ = period(test, home)
    everything = metric(test, "Täckningsbidrag hittills i år")
    choose(test, "Projekt", ["P103"])
    one = "period_start between ? and ? and project_code = 'P103'"
    assert (
        metric(test, "Täckningsbidrag hittills i år")
        == kronor(projects(home, "-sum(margin_amount)", one, [year, start]))
        != everything
    )
    assert list(test.dataframe[0].value["Projekt"]) == ["P103"]

    choose_period(test, home, "2025-03")
    march = date(2025, 3, 1)
    assert metric(test, "Täckningsbidrag hittills i år") == kronor(
        projects(home, "-sum(margin_amount)", one, [year, march])
    )
    assert metric(test, "Intäkter hittills i år") == kronor(
        projects(home, "-sum(revenue_amount)", one, [year, march])
    )


# -- Lager -------------------------------------------------------------------------------------


def stock(home: Path, column: str, where: str, params: list) -> Decimal:
    return mart_value(
        home,
        f"select {column} from fct_stock_balance_monthly where company_id = ? and {where}",
        [COMPANY, *params],
    )


def test_inventory_page_shows_stock_against_the_books(home: Path) -> None:
    test = open_app("demo-viewer", "inventory.py")
    assert test.title[0].value == "Lager"
    year, start, _ = period(test, home)
    assert metric(test, "Lagervärde vid periodens slut") == kronor(
        stock(home, "sum(closing_value)", "period_start = ?", [start])
    )
    assert metric(test, "Utleverans under perioden") == kronor(
        stock(home, "sum(value_out)", "period_start = ?", [start])
    )
    difference = mart_value(
        home,
        "select sum(difference) from rpt_inventory_vs_ledger "
        "where company_id = ? and period_start = ?",
        [COMPANY, start],
    )
    assert metric(test, "Differens mot bokföringen") == kronor(difference)
    # the chart: stock value against book value for each month of the year so far
    bars, line = chart(test, "inventory_vs_ledger_chart")["data"]
    booked = mart_value(
        home,
        "select sum(account_balance) from rpt_inventory_vs_ledger "
        "where company_id = ? and period_start = ?",
        [COMPANY, year],
    )
    assert line["y"][0] == pytest.approx(float(booked))
    assert len(bars["x"]) == start.month - year.month + 1


def test_inventory_page_follows_the_warehouse_filter_and_the_period(home: Path) -> None:
    test = open_app("demo-viewer", "inventory.py")
    _, start, _ = period(test, home)
    everything = metric(test, "Lagervärde vid periodens slut")
    choose(test, "Lager", ["GOT"])
    gothenburg = "period_start = ? and warehouse_code = 'GOT'"
    assert (
        metric(test, "Lagervärde vid periodens slut")
        == kronor(stock(home, "sum(closing_value)", gothenburg, [start]))
        != everything
    )
    assert metric(test, "Differens mot bokföringen") == kronor(
        mart_value(
            home,
            "select sum(difference) from rpt_inventory_vs_ledger "
            "where company_id = ? and period_start = ? and warehouse_codes = 'GOT'",
            [COMPANY, start],
        )
    )
    assert set(test.dataframe[0].value["Lager"]) == {"GOT"}

    choose_period(test, home, "2025-06")
    june = date(2025, 6, 1)
    assert metric(test, "Lagervärde vid periodens slut") == kronor(
        stock(home, "sum(closing_value)", gothenburg, [june])
    )
    assert metric(test, "Inleverans under perioden") == kronor(
        stock(home, "sum(value_in)", gothenburg, [june])
    )
    moves = mart_value(
        home,
        "select count(*) from fct_stock_movements where company_id = ? "
        "and warehouse_code = 'GOT' and move_date between '2025-06-01' and '2025-06-30'",
        [COMPANY],
    )
    listed = next(d.value for d in test.dataframe if "Underlag" in d.value.columns)
    assert len(listed) == moves > 0


# -- Kundreskontra och leverantörsreskontra ------------------------------------------------------


def open_items(home: Path, kind: str, column: str, where: str, params: list) -> Decimal:
    return mart_value(
        home,
        f"select {column} from fct_{kind}_open_items_monthly "
        f"where company_id = ? and period_end = ? and {where}",
        [COMPANY, *params],
    )


def test_receivables_page_shows_aging_customers_invoices_and_dso(home: Path) -> None:
    test = open_app("demo-viewer", "receivables.py")
    assert test.title[0].value == "Kundreskontra"
    year, _, end = period(test, home)
    open_amount = open_items(home, "ar", "sum(open_amount)", "true", [end])
    assert open_amount > 0
    assert metric(test, "Öppna kundfordringar") == kronor(open_amount)
    assert metric(test, "Öppna fakturor") == str(open_items(home, "ar", "count(*)", "true", [end]))
    dso = mart_value(
        home,
        "select dso_days from rpt_dso_dpo_monthly where company_id = ? and period_end = ?",
        [COMPANY, end],
    )
    assert metric(test, "DSO") == days_text(dso)
    invoiced = mart_value(
        home,
        "select sum(gross_amount) from fct_ar_invoices "
        "where company_id = ? and invoice_date between ? and ?",
        [COMPANY, year, end],
    )
    assert metric(test, "Fakturerat hittills i år") == kronor(invoiced)
    # aging table, per customer (with the customers' names), the year's invoices
    aging = test.dataframe[0].value
    assert sum(aging["Öppet belopp"]) == open_amount
    customers = test.dataframe[1].value
    assert sum(customers["Öppet belopp"]) == open_amount
    assert customers["Namn"].str.contains("AB").all()
    assert {"ar_aging_chart", "ar_days_chart"} <= {
        c.proto.id.rsplit("-", 1)[-1] for c in test.get("plotly_chart")
    }


def test_receivables_page_follows_the_period_and_the_project_filter(home: Path) -> None:
    test = open_app("demo-viewer", "receivables.py")
    choose_period(test, home, "2025-11")
    november = date(2025, 11, 30)
    overdue = open_items(home, "ar", "sum(open_amount)", "days_overdue > 0", [november])
    assert overdue > 0
    assert metric(test, "Varav förfallet") == kronor(overdue)
    assert metric(test, "Öppna kundfordringar") == kronor(
        open_items(home, "ar", "sum(open_amount)", "true", [november])
    )

    choose(test, "Projekt", ["P102"])
    assert metric(test, "Öppna kundfordringar") == kronor(
        open_items(home, "ar", "sum(open_amount)", "project_code = 'P102'", [november])
    )
    customers = mart_value(
        home,
        "select string_agg(distinct customer_number, ',' order by customer_number) "
        "from fct_ar_open_items_monthly "
        "where company_id = ? and period_end = ? and project_code = 'P102'",
        [COMPANY, november],
    )
    assert ",".join(sorted(test.dataframe[1].value["Kund"])) == customers


def test_payables_page_shows_open_supplier_invoices_and_follows_the_period(home: Path) -> None:
    test = open_app("demo-viewer", "payables.py")
    assert test.title[0].value == "Leverantörsreskontra"
    year, _, end = period(test, home)
    assert metric(test, "Öppna leverantörsskulder") == kronor(
        -open_items(home, "ap", "sum(open_amount)", "true", [end])
    )
    invoiced = mart_value(
        home,
        "select -sum(gross_amount) from fct_ap_invoices "
        "where company_id = ? and invoice_date between ? and ?",
        [COMPANY, year, end],
    )
    assert invoiced > 0
    assert metric(test, "Fakturerat hittills i år") == kronor(invoiced)

    choose_period(test, home, "2025-11")
    november = date(2025, 11, 30)
    owed = -open_items(home, "ap", "sum(open_amount)", "true", [november])
    assert owed > 0
    assert metric(test, "Öppna leverantörsskulder") == kronor(owed)
    dpo = mart_value(
        home,
        "select dpo_days from rpt_dso_dpo_monthly where company_id = ? and period_end = ?",
        [COMPANY, november],
    )
    assert metric(test, "DPO") == days_text(dpo)
    suppliers = test.dataframe[1].value
    assert sum(suppliers["Öppet belopp"]) == owed


def test_payables_page_says_so_when_a_filter_leaves_nothing(home: Path) -> None:
    test = open_app("demo-viewer", "payables.py")
    choose_period(test, home, "2025-11")
    choose(test, "Resultatenhet", ["ADM"])
    assert metric(test, "Öppna leverantörsskulder") == kronor(Decimal("0.00"))
    assert any("Inga öppna poster" in info.value for info in test.info)
    assert any("Inga fakturor" in info.value for info in test.info)
