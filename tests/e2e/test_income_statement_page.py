"""The income statement page, rendered by Streamlit's AppTest on the published demo."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

import duckdb
import pytest
from streamlit.testing.v1 import AppTest

from dashboards.formatting import kronor
from tests.conftest import REPO

APP = REPO / "dashboards" / "app.py"


def mart_total(home: Path, where: str, params: list) -> Decimal:
    con = duckdb.connect(str(home / "serving.duckdb"), read_only=True)
    try:
        return con.execute(
            f"select coalesce(sum(report_amount), 0) from rpt_income_statement where {where}",
            params,
        ).fetchone()[0]
    finally:
        con.close()


@pytest.fixture
def app(demo_home: Path, monkeypatch: pytest.MonkeyPatch) -> AppTest:
    monkeypatch.setenv("LEDGERBRIDGE_HOME", str(demo_home))
    test = AppTest.from_file(str(APP), default_timeout=60)
    test.run()
    assert not test.exception, test.exception
    return test


def multiselect(app: AppTest, label: str):
    return next(m for m in app.sidebar.multiselect if m.label == label)


def metric(app: AppTest, label: str) -> str:
    return next(m.value for m in app.metric if m.label == label)


def test_page_renders_the_latest_year_and_its_result(app: AppTest, demo_home: Path) -> None:
    assert app.title[0].value == "Resultaträkning"
    year = app.sidebar.selectbox(key="fiscal_year").value
    assert year.label == "2025"
    expected = mart_total(
        demo_home, "company_id = 'demo_ab' and fiscal_year_start = ?", [year.start]
    )
    assert metric(app, "Resultat") == kronor(expected)
    revenue = mart_total(
        demo_home,
        "company_id = 'demo_ab' and fiscal_year_start = ? and report_section = 'operating_income'",
        [year.start],
    )
    assert metric(app, "Rörelsens intäkter") == kronor(revenue)
    assert len(app.dataframe) >= 1


def test_cost_centre_and_project_filters_change_the_figures(app: AppTest, demo_home: Path) -> None:
    year = app.sidebar.selectbox(key="fiscal_year").value
    everything = metric(app, "Resultat")
    multiselect(app, "Resultatenhet").set_value(["SALJ"]).run()
    assert not app.exception
    sales_only = mart_total(
        demo_home,
        "company_id = 'demo_ab' and fiscal_year_start = ? and cost_centre_code = 'SALJ'",
        [year.start],
    )
    assert metric(app, "Resultat") == kronor(sales_only) != everything

    multiselect(app, "Resultatenhet").set_value(["KONS"])
    multiselect(app, "Projekt").set_value(["P105"]).run()
    assert not app.exception
    one_project = mart_total(
        demo_home,
        "company_id = 'demo_ab' and fiscal_year_start = ? "
        "and cost_centre_code = 'KONS' and project_code = 'P105'",
        [year.start],
    )
    assert metric(app, "Resultat") == kronor(one_project)


def test_switching_to_the_previous_fiscal_year(app: AppTest, demo_home: Path) -> None:
    selector = app.sidebar.selectbox(key="fiscal_year")
    assert len(selector.options) == 2
    selector.select_index(1).run()
    assert not app.exception
    year = app.sidebar.selectbox(key="fiscal_year").value
    assert year.label == "2024"
    expected = mart_total(
        demo_home, "company_id = 'demo_ab' and fiscal_year_start = ?", [year.start]
    )
    assert metric(app, "Resultat") == kronor(expected)


def test_without_a_published_snapshot_the_page_says_what_to_run(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("LEDGERBRIDGE_HOME", str(tmp_path))
    test = AppTest.from_file(str(APP), default_timeout=60)
    test.run()
    assert not test.exception
    assert "ledgerbridge demo" in test.info[0].value
