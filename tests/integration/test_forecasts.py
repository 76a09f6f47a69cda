"""The forecasts stored with the demo's publish: in serving.duckdb, 12 months ahead for
revenue, costs and cash flow of Demo AB, their history equal to the marts' monthly totals."""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Iterator
from datetime import date
from pathlib import Path

import duckdb
import pytest

from ledgerbridge.forecast import ACCURACY_TABLE, FORECAST_TABLE, HORIZON


@pytest.fixture(scope="module")
def serving(demo_home: Path) -> Iterator[duckdb.DuckDBPyConnection]:
    con = duckdb.connect(str(demo_home / "serving.duckdb"), read_only=True)
    yield con
    con.close()


def test_twelve_months_ahead_for_each_series(serving: duckdb.DuckDBPyConnection) -> None:
    last_month = serving.execute(
        "select max(period_start) from fct_gl_entries where company_id = 'demo_ab'"
    ).fetchone()[0]
    found = serving.execute(
        f"select series, count(*), min(period_start), max(period_start), "
        f"count(distinct model), bool_and(lo_95 <= lo_80 and lo_80 <= forecast "
        f"and forecast <= hi_80 and hi_80 <= hi_95) "
        f"from {FORECAST_TABLE} where company_id = 'demo_ab' and is_chosen "
        "and period_kind = 'forecast' group by series order by series"
    ).fetchall()
    first_ahead = date(last_month.year + last_month.month // 12, last_month.month % 12 + 1, 1)
    assert [row[0] for row in found] == ["cash_flow", "costs", "revenue"]
    for series, months, first, _last, models, nested in found:
        assert months == HORIZON, series
        assert first == first_ahead, series
        assert models == 1 and nested, series
    # every model's forecast is there too, not only the chosen one
    per_model = serving.execute(
        f"select count(*) from {FORECAST_TABLE} where company_id = 'demo_ab' "
        "and period_kind = 'forecast'"
    ).fetchone()[0]
    assert per_model == 3 * 3 * HORIZON


def test_history_equals_the_marts_monthly_totals(serving: duckdb.DuckDBPyConnection) -> None:
    mismatches = serving.execute(
        f"""
        with marts as (
            select period_start, 'revenue' as series, sum(report_amount) as amount
            from rpt_income_statement
            where company_id = 'demo_ab' and report_section = 'operating_income'
            group by period_start
            union all
            select period_start, 'costs', -sum(report_amount)
            from rpt_income_statement
            where company_id = 'demo_ab' and report_section = 'operating_expenses'
            group by period_start
            union all
            select period_start, 'cash_flow', closing_cash - opening_cash
            from rpt_cash_flow
            where company_id = 'demo_ab' and cash_flow_section = 'cash_flow'
        ),
        history as (
            select series, period_start, actual
            from {FORECAST_TABLE}
            where company_id = 'demo_ab' and is_chosen and period_kind <> 'forecast'
        )
        select history.series, history.period_start, history.actual, marts.amount
        from history
        full join marts
            on marts.series = history.series and marts.period_start = history.period_start
        where history.actual is distinct from coalesce(marts.amount, 0)
            and (history.actual is not null or marts.amount <> 0)
        """
    ).fetchall()
    assert mismatches == []
    months = serving.execute(
        f"select series, count(*) from {FORECAST_TABLE} where company_id = 'demo_ab' "
        "and is_chosen and period_kind <> 'forecast' group by series"
    ).fetchall()
    assert {count for _, count in months} == {24}  # Demo AB's two fiscal years, month by month


def test_accuracy_on_the_holdout(serving: duckdb.DuckDBPyConnection) -> None:
    rows = serving.execute(
        f"select series, model, holdout_months, mae, is_chosen, beats_baseline "
        f"from {ACCURACY_TABLE} where company_id = 'demo_ab' order by series, model"
    ).fetchall()
    assert len(rows) == 9
    for series in ("revenue", "costs", "cash_flow"):
        group = [r for r in rows if r[0] == series]
        assert {r[1] for r in group} == {"AutoETS", "AutoTheta", "SeasonalNaive"}
        assert all(r[2] == 6 and r[3] is not None for r in group)
        chosen = [r for r in group if r[4]]
        assert len(chosen) == 1 and chosen[0][3] == min(r[3] for r in group)


def test_the_publish_run_records_the_forecast_tables(demo_home: Path) -> None:
    con = sqlite3.connect(demo_home / "state.sqlite")
    try:
        summary = con.execute(
            "select summary from runs where step = 'publish' and status = 'ok' "
            "order by run_id desc limit 1"
        ).fetchone()[0]
    finally:
        con.close()
    recorded = json.loads(summary)
    assert recorded["tables"][FORECAST_TABLE] > 0
    assert recorded["tables"][ACCURACY_TABLE] == 9
    assert recorded["forecast_seconds"] < 30
