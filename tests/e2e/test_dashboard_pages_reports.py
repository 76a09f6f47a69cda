"""The report, ledger and integration pages in Streamlit's AppTest on the published demo:
each renders, shows the marts' figures, and follows its filters."""

from __future__ import annotations

import re
from pathlib import Path

import duckdb
import pytest
from streamlit.testing.v1 import AppTest

from dashboards.formatting import kronor
from ledgerbridge.config import Paths
from reverse_etl.outbox import Outbox, State
from tests.e2e.dashboard_app import mart_value, metric, open_app, sidebar_widget, small_copy

COMPANY = "demo_ab"


@pytest.fixture(autouse=True)
def home(demo_home: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("LEDGERBRIDGE_HOME", str(demo_home))
    return demo_home


def chosen_period(app: AppTest):
    year = sidebar_widget(app, "selectbox", "Räkenskapsår").value
    period = sidebar_widget(app, "selectbox", "Period").value
    return year, period


def test_overview_shows_the_key_figures_of_the_marts(home: Path) -> None:
    app = open_app(page=None)
    assert app.title[0].value == "Översikt"
    year, period = chosen_period(app)
    assert (year, period) == ("2025", "2025-12")
    revenue = mart_value(
        home,
        "select sum(report_amount) from rpt_income_statement where company_id = ? "
        "and fiscal_year = ? and report_section = 'operating_income'",
        [COMPANY, year],
    )
    assert metric(app, "Nettoomsättning (året till dato)") == kronor(revenue)
    findings = mart_value(home, "select count(*) from rec_findings where company_id = ?", [COMPANY])
    assert metric(app, "Öppna avvikelser") == str(findings)
    receivables = mart_value(
        home,
        "select sum(open_amount) from fct_ar_open_items_monthly where company_id = ? "
        "and period_start = date '2025-12-01'",
        [COMPANY],
    )
    assert metric(app, "Kundfordringar") == kronor(receivables)
    # when each source was read, from the snapshot (not the warehouse a build may hold)
    sources = set(app.dataframe[1].value["Källa"])
    assert {"Fortnox", "Tryton (affärssystem)", "Bankkonto (camt.053)"} <= sources

    # an earlier period changes the year-to-date figures to the mart's
    sidebar_widget(app, "selectbox", "Period").set_value("2025-06").run()
    assert not app.exception
    revenue_june = mart_value(
        home,
        "select sum(report_amount) from rpt_income_statement where company_id = ? "
        "and fiscal_year = ? and report_section = 'operating_income' "
        "and period_start <= date '2025-06-01'",
        [COMPANY, year],
    )
    assert (
        metric(app, "Nettoomsättning (året till dato)") == kronor(revenue_june) != kronor(revenue)
    )


def test_pages_of_a_company_without_stock_or_customer_register(
    demo_home: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # books as SIE files and the ERP as an export (the benchmark's company): no stock marts,
    # no customer register; the invoices carry their customers' names
    home = small_copy(demo_home, tmp_path / "home")
    con = duckdb.connect(str(home / "serving.duckdb"))
    try:
        for table in ("fct_stock_balance_monthly", "fct_stock_movements", "dim_customer"):
            con.execute(f"drop table {table}")
    finally:
        con.close()
    monkeypatch.setenv("LEDGERBRIDGE_HOME", str(home))

    app = open_app(page=None)
    assert metric(app, "Lagervärde") == "–"
    findings = mart_value(home, "select count(*) from rec_findings where company_id = ?", [COMPANY])
    assert metric(app, "Öppna avvikelser") == str(findings)
    inventory = open_app(page="inventory.py")
    assert "fct_stock_balance_monthly" in inventory.info[0].value

    receivables = open_app(page="receivables.py")
    by_customer = next(
        frame.value for frame in receivables.dataframe if "Namn" in frame.value.columns
    )
    named = mart_value(
        home,
        "select count(distinct customer_number) from fct_ar_invoices "
        "where company_id = ? and customer_name is not null",
        [COMPANY],
    )
    assert named > 0
    assert (by_customer["Namn"] != by_customer["Kund"]).any()


def test_income_statement_follows_period_cost_centre_and_project(home: Path) -> None:
    app = open_app(page="income_statement.py")
    assert app.title[0].value == "Resultaträkning"
    year, _ = chosen_period(app)
    everything = mart_value(
        home,
        "select sum(report_amount) from rpt_income_statement where company_id = ? "
        "and fiscal_year = ?",
        [COMPANY, year],
    )
    assert metric(app, "Resultat (året till dato)") == kronor(everything)

    sidebar_widget(app, "multiselect", "Resultatenhet").set_value(["SALJ"]).run()
    assert not app.exception
    sales = mart_value(
        home,
        "select sum(report_amount) from rpt_income_statement where company_id = ? "
        "and fiscal_year = ? and cost_centre_code = 'SALJ'",
        [COMPANY, year],
    )
    assert metric(app, "Resultat (året till dato)") == kronor(sales) != kronor(everything)

    sidebar_widget(app, "multiselect", "Resultatenhet").set_value(["KONS"])
    sidebar_widget(app, "multiselect", "Projekt").set_value(["P105"]).run()
    assert not app.exception
    one_project = mart_value(
        home,
        "select sum(report_amount) from rpt_income_statement where company_id = ? "
        "and fiscal_year = ? and cost_centre_code = 'KONS' and project_code = 'P105'",
        [COMPANY, year],
    )
    assert metric(app, "Resultat (året till dato)") == kronor(one_project)

    # the budget column is the budget mart's, in report sign
    budget = mart_value(
        home,
        "select -sum(b.budget_amount) from fct_budget_vs_actual as b join dim_account as a "
        "using (company_id, account_number) where b.company_id = ? and b.fiscal_year = ? "
        "and a.statement = 'income_statement' and b.cost_centre_code = 'KONS' "
        "and b.project_code = 'P105'",
        [COMPANY, year],
    )
    assert metric(app, "Budget (året till dato)") == kronor(budget)


def test_income_statement_of_the_previous_year_compares_with_nothing(home: Path) -> None:
    app = open_app(page="income_statement.py")
    sidebar_widget(app, "selectbox", "Räkenskapsår").set_value("2024").run()
    assert not app.exception
    result = mart_value(
        home,
        "select sum(report_amount) from rpt_income_statement where company_id = ? "
        "and fiscal_year = '2024'",
        [COMPANY],
    )
    assert metric(app, "Resultat (året till dato)") == kronor(result)
    lines = app.dataframe[0].value
    assert set(lines["Perioden i fjol"]) == {0}


def test_drill_down_from_an_account_to_its_vouchers(home: Path) -> None:
    app = open_app(page="income_statement.py")
    accounts = app.dataframe[1].value
    row = int(accounts.index[accounts["Konto"] == "3041"][0])
    # what a click on the row does: the selection reaches the page as the table's state
    app.session_state["by_account"] = {"selection": {"rows": [row], "columns": []}}
    app.run()
    assert not app.exception
    assert app.title[0].value == "Huvudbok"
    assert app.selectbox(key="ledger_account:demo_ab").value == "3041"
    booked = mart_value(
        home,
        "select sum(amount) from fct_gl_entries where company_id = ? and account_number = '3041' "
        "and voucher_date between date '2025-01-01' and date '2025-12-31'",
        [COMPANY],
    )
    movements = app.dataframe[0].value
    assert sum(movements["Belopp"]) == booked


def test_a_voucher_row_opens_the_whole_voucher(home: Path) -> None:
    app = open_app(page="general_ledger.py")
    app.selectbox(key="ledger_account:demo_ab").set_value("3041").run()
    listed = next(d for d in app.dataframe if (d.key or "").startswith("ledger_rows:"))
    app.session_state[listed.key] = {"selection": {"rows": [0], "columns": []}}
    app.run()
    assert not app.exception
    assert app.subheader[0].value.startswith("Verifikation ")
    voucher = app.dataframe[1].value
    assert "3041" in set(voucher["Konto"]) and len(voucher) >= 2
    assert sum(voucher["Belopp"]) == 0


def test_general_ledger_balances_and_text_search(home: Path) -> None:
    app = open_app(page="general_ledger.py")
    app.selectbox(key="ledger_account:demo_ab").set_value("1930").run()
    assert not app.exception
    closing = mart_value(
        home,
        "select sum(closing_balance) from fct_gl_balance_monthly where company_id = ? "
        "and account_number = '1930' and period_start = date '2025-12-01'",
        [COMPANY],
    )
    assert metric(app, "Utgående saldo") == kronor(closing)
    app.text_input(key="ledger_text:demo_ab").input("Lokalhyra").run()
    assert not app.exception
    matching = mart_value(
        home,
        "select sum(amount) from fct_gl_entries where company_id = ? and account_number = '1930' "
        "and voucher_date between date '2025-01-01' and date '2025-12-31' and "
        "contains(lower(coalesce(voucher_text, '') || ' ' || coalesce(row_text, '')), 'lokalhyra')",
        [COMPANY],
    )
    assert metric(app, "Summa av träffarna") == kronor(matching)


def test_balance_sheet_balances_and_equals_the_mart(home: Path) -> None:
    app = open_app(page="balance_sheet.py")
    assets = mart_value(
        home,
        "select sum(report_amount) from rpt_balance_sheet where company_id = ? "
        "and period_start = date '2025-12-01' and balance_sheet_side = 'assets'",
        [COMPANY],
    )
    assert metric(app, "Summa tillgångar") == kronor(assets)
    assert metric(app, "Summa eget kapital och skulder") == kronor(assets)
    assert not app.error
    sidebar_widget(app, "selectbox", "Period").set_value("2025-03").run()
    march = mart_value(
        home,
        "select sum(report_amount) from rpt_balance_sheet where company_id = ? "
        "and period_start = date '2025-03-01' and balance_sheet_side = 'assets'",
        [COMPANY],
    )
    assert metric(app, "Summa tillgångar") == kronor(march) != kronor(assets)


def test_findings_page_lists_and_filters_the_findings(home: Path) -> None:
    app = open_app("demo-controller", page="findings.py")
    total = mart_value(home, "select count(*) from rec_findings where company_id = ?", [COMPANY])
    assert metric(app, "Avvikelser") == str(total)
    app.multiselect(key="finding_severity:demo_ab").set_value(["medium"]).run()
    medium = mart_value(
        home,
        "select count(*) from rec_findings where company_id = ? and severity = 'medium'",
        [COMPANY],
    )
    assert metric(app, "Avvikelser") == str(medium) != str(total)
    assert set(app.dataframe[0].value["Allvarlighet"]) == {"Medel"}


def test_integration_pages_render_for_an_approver(home: Path) -> None:
    for page, title in (
        ("approvals.py", "Attestera"),
        ("runs.py", "Körhistorik"),
        ("schedules.py", "Scheman"),
    ):
        app = open_app("demo-approver", page=page)
        assert app.title[0].value == title
    # the run history is state.sqlite's: the demo's ingest, build and publish
    runs = open_app("demo-approver", page="runs.py").dataframe[0].value
    assert {"Publicering", "Bygge", "Inläsning"} <= set(runs["Steg"])


def test_approving_a_planned_voucher_records_the_signed_in_user(
    demo_home: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    home = small_copy(demo_home, tmp_path / "home")
    monkeypatch.setenv("LEDGERBRIDGE_HOME", str(home))
    app = open_app("demo-approver", page="approvals.py")
    app.button(key="plan_now").click().run()
    assert not app.exception
    assert re.match(r"Plan \d+: \d+ nya poster, [1-9]\d* väntar på attest", app.info[0].value)

    with Outbox(Paths(home)) as outbox:
        waiting = outbox.items(states=[State.PLANNED])
    # a correction: the reversal of a booking, with its rebooking beside it
    pairs = [i for i in waiting if sum(o.finding_id == i.finding_id for o in waiting) == 2]
    reversal = next(i for i in pairs if "vänder" in i.payload.get("text", ""))
    chooser = next(m for m in app.multiselect if m.label == "Poster att besluta om")
    chooser.set_value([reversal.item_id]).run()
    assert not app.exception
    # the preview shows the voucher's rows, which net to zero
    preview = app.dataframe[1].value
    assert sum(preview["Belopp"]) == 0 and len(preview) == len(reversal.payload["rows"])
    app.text_input(key="decision_comment").input("rättelse enligt ERP")
    app.button(key="FormSubmitter:decision-Attestera").click().run()
    assert not app.exception

    with Outbox(Paths(home)) as outbox:
        decided = {i.item_id: i for i in outbox.items(states=[State.APPROVED])}
    # the reversal and its rebooking were approved together, by the signed-in user
    assert reversal.item_id in decided and len(decided) == 2
    assert {i.approved_by for i in decided.values()} == {"demo-approver"}
    assert {i.decision_comment for i in decided.values()} == {"rättelse enligt ERP"}
    assert "2 poster attesterade av demo-approver" in app.info[0].value


def test_forecast_page_shows_the_stored_forecast_and_its_holdout_accuracy(home: Path) -> None:
    app = open_app(page="forecast.py")
    assert app.title[0].value == "Prognos"
    ahead = mart_value(
        home,
        "select sum(forecast) from fct_forecast_monthly where company_id = ? "
        "and series = 'revenue' and is_chosen and period_kind = 'forecast'",
        [COMPANY],
    )
    assert metric(app, "Prognos nästa 12 månader") == kronor(ahead)
    baseline = mart_value(
        home,
        "select mae from rpt_forecast_accuracy where company_id = ? and series = 'revenue' "
        "and is_baseline",
        [COMPANY],
    )
    assert metric(app, "Säsongsnaiv jämförelse (MAE)") == kronor(baseline)
    assert "säsongsnaiva jämförelse" in app.markdown[0].value
    accuracy = app.dataframe[0].value
    assert {"AutoETS", "AutoTheta", "SeasonalNaive"} <= set(accuracy["Modell"])

    app.segmented_control(key="forecast_series").set_value("cash_flow").run()
    assert not app.exception
    cash = mart_value(
        home,
        "select sum(forecast) from fct_forecast_monthly where company_id = ? "
        "and series = 'cash_flow' and is_chosen and period_kind = 'forecast'",
        [COMPANY],
    )
    assert metric(app, "Prognos nästa 12 månader") == kronor(cash)


def test_overview_writes_a_report_pack_and_offers_it(
    demo_home: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    home = small_copy(demo_home, tmp_path / "home")
    monkeypatch.setenv("LEDGERBRIDGE_HOME", str(home))
    # the pack holds the findings, which a viewer does not see
    viewer = open_app("demo-viewer")
    assert not [b for b in viewer.button if b.key == "write_report_pack"]
    assert not [b for b in viewer.get("download_button") if "Månadsrapport" in b.proto.label]

    app = open_app("demo-controller")
    app.button(key="write_report_pack").click().run()
    assert not app.exception
    assert "manadsrapport_demo_ab_2025-12.xlsx" in app.success[0].value
    assert (home / "reports" / "demo_ab" / "manadsrapport_demo_ab_2025-12.xlsx").stat().st_size
    app.run()
    labels = [b.proto.label for b in app.get("download_button")]
    assert "Månadsrapport 2025-12" in labels
