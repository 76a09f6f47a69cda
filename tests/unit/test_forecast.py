"""Forecasts stored with a publish (ledgerbridge.forecast): synthetic series in marts-shaped
tables of a real DuckDB file, forecast with the real statsforecast models."""

from __future__ import annotations

import math
from collections.abc import Iterator
from datetime import date, timedelta
from decimal import Decimal
from pathlib import Path

import duckdb
import pytest

from ledgerbridge.config import Paths
from ledgerbridge.errors import ForecastError
from ledgerbridge.forecast import (
    ACCURACY_TABLE,
    FORECAST_TABLE,
    HORIZON,
    INPUTS_TABLE,
    open_items_due,
    write_forecasts,
)

MONEY_COLUMNS = ("actual", "forecast", "lo_80", "hi_80", "lo_95", "hi_95")


def month(start: date, offset: int) -> date:
    index = start.year * 12 + start.month - 1 + offset
    return date(index // 12, index % 12 + 1, 1)


def month_end(start: date) -> date:
    return month(start, 1) - timedelta(days=1)


def seasonal(months: int, *, base: float, amplitude: float, trend: float, seed: int) -> list:
    """A seasonal series with a trend and a deterministic wobble, in whole öre."""
    values = []
    for m in range(months):
        wobble = ((m * 7919 + seed * 104729) % 1000 - 500) / 500 * amplitude * 0.2
        value = base + trend * m + amplitude * math.sin(2 * math.pi * m / 12) + wobble
        values.append(Decimal(str(round(value, 2))))
    return values


def make_marts(
    con: duckdb.DuckDBPyConnection,
    companies: dict[str, dict[str, list]],
    *,
    start: date = date(2023, 1, 1),
    open_items: list[tuple] | None = None,
) -> None:
    """Marts-shaped tables: fct_gl_entries (one row per month with activity),
    rpt_income_statement (revenue split over two accounts, costs negative as presented),
    rpt_cash_flow (a working-capital line and the period's total) and, if ``open_items`` is
    given, the open-items marts ((kind, company, period_end, due_date, open_amount))."""
    con.execute("create table fct_gl_entries (company_id varchar, period_start date)")
    con.execute(
        "create table rpt_income_statement (company_id varchar, period_start date, "
        "account_number varchar, report_section varchar, amount decimal(18,2), "
        "report_amount decimal(18,2))"
    )
    con.execute(
        "create table rpt_cash_flow (company_id varchar, period_start date, "
        "cash_flow_section varchar, amount decimal(18,2))"
    )
    for company, series in companies.items():
        months = max(len(v) for v in series.values())
        for m in range(months):
            con.execute("insert into fct_gl_entries values (?, ?)", [company, month(start, m)])
        for m, value in enumerate(series.get("revenue", [])):
            if value is None:  # a month without revenue: no rows at all
                continue
            half = (value / 2).quantize(Decimal("0.01"))
            for account, part in (("3001", half), ("3041", value - half)):
                con.execute(
                    "insert into rpt_income_statement values (?, ?, ?, 'operating_income', ?, ?)",
                    [company, month(start, m), account, -part, part],
                )
        for m, value in enumerate(series.get("costs", [])):
            con.execute(
                "insert into rpt_income_statement values (?, ?, '5010', 'operating_expenses', "
                "?, ?)",
                [company, month(start, m), value, -value],
            )
        for m, value in enumerate(series.get("cash_flow", [])):
            con.execute(
                "insert into rpt_cash_flow values (?, ?, 'working_capital', 1.00), "
                "(?, ?, 'cash_flow', ?)",
                [company, month(start, m), company, month(start, m), value],
            )
        # financial items are not costs: must not reach the costs series
        con.execute(
            "insert into rpt_income_statement values (?, ?, '8310', 'financial_items', "
            "-999.00, 999.00)",
            [company, start],
        )
    if open_items is not None:
        for kind in ("ar", "ap"):
            con.execute(
                f"create table fct_{kind}_open_items_monthly (company_id varchar, "
                "period_end date, due_date date, open_amount decimal(18,2))"
            )
        for kind, company, period_end, due, amount in open_items:
            con.execute(
                f"insert into fct_{kind}_open_items_monthly values (?, ?, ?, ?)",
                [company, period_end, due, amount],
            )


def three_series(months: int, seed: int = 1) -> dict[str, list]:
    return {
        "revenue": seasonal(months, base=400_000, amplitude=80_000, trend=2_000, seed=seed),
        "costs": seasonal(months, base=300_000, amplitude=20_000, trend=500, seed=seed + 1),
        "cash_flow": seasonal(months, base=50_000, amplitude=120_000, trend=0, seed=seed + 2),
    }


@pytest.fixture
def con(tmp_path: Path) -> Iterator[duckdb.DuckDBPyConnection]:
    connection = duckdb.connect(str(tmp_path / "serving.duckdb"))
    yield connection
    connection.close()


def rows(con: duckdb.DuckDBPyConnection, sql: str, params: list | None = None) -> list[dict]:
    cursor = con.execute(sql, params or [])
    names = [d[0] for d in cursor.description]
    return [dict(zip(names, row, strict=True)) for row in cursor.fetchall()]


def test_twelve_forecast_months_for_each_series_and_model(con) -> None:
    make_marts(con, {"acme": three_series(30)})
    counts = write_forecasts(con)
    assert counts == {FORECAST_TABLE: 3 * 3 * (30 + HORIZON), ACCURACY_TABLE: 9}
    found = rows(
        con,
        f"select series, model, count(*) as n, min(period_start) as first, "
        f"max(period_start) as last, list(horizon order by period_start) as horizons "
        f"from {FORECAST_TABLE} where period_kind = 'forecast' group by all",
    )
    assert len(found) == 9
    for row in found:
        assert row["n"] == HORIZON
        assert row["first"] == date(2025, 7, 1)  # the month after the last of 30 from 2023-01
        assert row["last"] == date(2026, 6, 1)
        assert row["horizons"] == list(range(1, 13))
    origins = rows(
        con, f"select distinct forecast_origin from {FORECAST_TABLE} where period_kind = 'forecast'"
    )
    assert origins == [{"forecast_origin": date(2025, 6, 1)}]


def test_intervals_are_nested_around_the_point(con) -> None:
    make_marts(con, {"acme": three_series(30)})
    write_forecasts(con)
    checked = rows(
        con,
        f"select * from {FORECAST_TABLE} where period_kind in ('forecast', 'holdout')",
    )
    assert len(checked) == 9 * (HORIZON + 6)
    for row in checked:
        assert None not in (row["lo_95"], row["lo_80"], row["hi_80"], row["hi_95"]), row
        assert row["lo_95"] <= row["lo_80"] <= row["forecast"] <= row["hi_80"] <= row["hi_95"]
    # intervals widen with the horizon (not zero-wide)
    widths = rows(
        con,
        f"select hi_95 - lo_95 as width from {FORECAST_TABLE} where series = 'revenue' "
        "and model = 'AutoETS' and period_kind = 'forecast' order by period_start",
    )
    assert widths[0]["width"] > 0 and widths[-1]["width"] >= widths[0]["width"]


def test_money_is_decimal_to_the_ore(con) -> None:
    make_marts(con, {"acme": three_series(30)})
    write_forecasts(con)
    types = dict(
        con.execute(
            "select column_name, data_type from duckdb_columns() where table_name = ?",
            [FORECAST_TABLE],
        ).fetchall()
    )
    for column in (*MONEY_COLUMNS, "open_ar_due", "open_ap_due", "open_items_adjustment"):
        assert types[column] == "DECIMAL(18,2)", column
    accuracy_types = dict(
        con.execute(
            "select column_name, data_type from duckdb_columns() where table_name = ?",
            [ACCURACY_TABLE],
        ).fetchall()
    )
    assert accuracy_types["mae"] == "DECIMAL(18,2)"
    for row in rows(
        con, f"select forecast, lo_95 from {FORECAST_TABLE} where period_kind = 'forecast'"
    ):
        assert isinstance(row["forecast"], Decimal)
        assert row["forecast"].as_tuple().exponent == -2


def test_history_rows_carry_the_marts_monthly_totals(con) -> None:
    series = three_series(30)
    make_marts(con, {"acme": series})
    write_forecasts(con)
    for name, values in series.items():
        actuals = [
            row["actual"]
            for row in rows(
                con,
                f"select actual from {FORECAST_TABLE} where series = ? and model = 'AutoETS' "
                "and period_kind <> 'forecast' order by period_start",
                [name],
            )
        ]
        assert actuals == values, name  # costs positive; financial items left out


def test_accuracy_rows_and_the_chosen_model_has_the_lowest_holdout_mae(con) -> None:
    make_marts(con, {"acme": three_series(30), "beta": three_series(30, seed=9)})
    write_forecasts(con)
    accuracy = rows(con, f"select * from {ACCURACY_TABLE} order by all")
    assert len(accuracy) == 2 * 3 * 3
    for company in ("acme", "beta"):
        for series in ("revenue", "costs", "cash_flow"):
            group = [a for a in accuracy if (a["company_id"], a["series"]) == (company, series)]
            assert {a["model"] for a in group} == {"AutoETS", "AutoTheta", "SeasonalNaive"}
            assert all(a["holdout_months"] == 6 and a["train_months"] == 24 for a in group)
            assert all(a["season_length"] == 12 for a in group)
            assert all(a["holdout_start"] == date(2025, 1, 1) for a in group)
            chosen = [a for a in group if a["is_chosen"]]
            assert len(chosen) == 1
            assert chosen[0]["mae"] == min(a["mae"] for a in group)
            baseline = next(a for a in group if a["is_baseline"])
            assert baseline["model"] == "SeasonalNaive" and baseline["beats_baseline"] is None
            for a in group:
                if not a["is_baseline"]:
                    assert a["beats_baseline"] == (a["mae"] < baseline["mae"])
                assert a["smape"] is not None and a["mase"] is not None
            # the forecast table names the same choice on every row of the series
            choice = rows(
                con,
                f"select distinct chosen_model from {FORECAST_TABLE} "
                "where company_id = ? and series = ?",
                [company, series],
            )
            assert choice == [{"chosen_model": chosen[0]["model"]}]
            # the stored MAE is the mean absolute error of the stored hold-out rows
            for a in group:
                errors = rows(
                    con,
                    f"select abs(actual - forecast) as e from {FORECAST_TABLE} "
                    "where company_id = ? and series = ? and model = ? "
                    "and period_kind = 'holdout'",
                    [company, series, a["model"]],
                )
                assert len(errors) == 6
                mean = sum(e["e"] for e in errors) / 6
                assert abs(mean - a["mae"]) <= Decimal("0.01")


def test_an_exactly_seasonal_series_chooses_the_baseline(con) -> None:
    pattern = [Decimal(v) for v in (100, 120, 150, 90, 80, 200, 210, 60, 70, 130, 140, 300)]
    make_marts(con, {"acme": {"revenue": [v * 1000 for v in pattern * 3]}})
    write_forecasts(con)
    accuracy = {a["model"]: a for a in rows(con, f"select * from {ACCURACY_TABLE}")}
    assert accuracy["SeasonalNaive"]["mae"] == 0
    assert accuracy["SeasonalNaive"]["is_chosen"]
    future = rows(
        con,
        f"select forecast from {FORECAST_TABLE} where is_chosen and series = 'revenue' "
        "and period_kind = 'forecast' order by period_start",
    )
    assert [f["forecast"] for f in future] == [v * 1000 for v in pattern]


def test_short_histories_fall_back_and_say_why(con) -> None:
    make_marts(
        con,
        {
            "twelve": three_series(12),
            "five": three_series(5),
            "one": {"revenue": [Decimal("1000.00")]},
        },
    )
    write_forecasts(con)
    accuracy = rows(con, f"select * from {ACCURACY_TABLE} order by all")
    twelve = [a for a in accuracy if a["company_id"] == "twelve"]
    assert len(twelve) == 9
    assert {a["season_length"] for a in twelve} == {1}
    assert {a["holdout_months"] for a in twelve} == {5}
    assert all("fewer than 18" in a["note"] and a["mae"] is not None for a in twelve)
    five = [a for a in accuracy if a["company_id"] == "five"]
    assert [(a["series"], a["model"]) for a in five] == [
        ("cash_flow", "SeasonalNaive"),
        ("costs", "SeasonalNaive"),
        ("revenue", "SeasonalNaive"),
    ]
    for a in five:
        assert a["holdout_months"] == 0 and a["mae"] is None and a["is_chosen"]
        assert "too short for a hold-out" in a["note"]
    # every series still has its 12 months ahead
    counts = rows(
        con,
        f"select company_id, series, count(*) as n from {FORECAST_TABLE} "
        "where is_chosen and period_kind = 'forecast' group by all order by all",
    )
    assert all(c["n"] == HORIZON for c in counts)
    assert len(counts) == 3 + 3 + 3  # "one" has revenue, and (zero) costs and cash flow
    # one month: the naive forecast, with no interval rather than a zero-wide one
    one = rows(
        con,
        f"select forecast, lo_95, hi_95 from {FORECAST_TABLE} where company_id = 'one' "
        "and series = 'revenue' and period_kind = 'forecast'",
    )
    assert all(r["forecast"] == Decimal("1000.00") and r["lo_95"] is None for r in one)


def test_a_month_without_activity_is_zero(con) -> None:
    series = three_series(30)
    series["revenue"][10] = None  # no revenue rows in month 11
    make_marts(con, {"acme": series})
    write_forecasts(con)
    history = rows(
        con,
        f"select period_start, actual from {FORECAST_TABLE} where series = 'revenue' "
        "and model = 'AutoETS' and period_kind <> 'forecast' order by period_start",
    )
    assert [h["period_start"] for h in history] == [month(date(2023, 1, 1), m) for m in range(30)]
    assert history[10]["actual"] == Decimal("0.00")
    assert history[9]["actual"] == series["revenue"][9]


def test_the_same_marts_give_the_same_forecasts(tmp_path: Path) -> None:
    results = []
    for name in ("a", "b"):
        con = duckdb.connect(str(tmp_path / f"{name}.duckdb"))
        make_marts(con, {"acme": three_series(30), "short": three_series(11)})
        write_forecasts(con)
        write_forecasts(con)  # rewriting in place replaces, never appends
        results.append(
            (
                con.execute(f"select * from {FORECAST_TABLE} order by all").fetchall(),
                con.execute(f"select * from {ACCURACY_TABLE} order by all").fetchall(),
            )
        )
        con.close()
    assert results[0] == results[1]
    assert len(results[0][0]) == 3 * 3 * (30 + 12) + 3 * 3 * (11 + 12)


def test_as_of_uses_only_months_that_have_ended(con) -> None:
    make_marts(con, {"acme": three_series(30)})
    write_forecasts(con, as_of=date(2024, 12, 15))  # December has not ended
    last = con.execute(
        f"select max(period_start) from {FORECAST_TABLE} where period_kind <> 'forecast'"
    ).fetchone()[0]
    assert last == date(2024, 11, 1)
    write_forecasts(con, as_of=date(2024, 12, 31))
    last = con.execute(
        f"select max(period_start) from {FORECAST_TABLE} where period_kind <> 'forecast'"
    ).fetchone()[0]
    assert last == date(2024, 12, 1)


def test_open_items_move_the_near_cash_flow_months(tmp_path: Path) -> None:
    start = date(2023, 1, 1)
    series = three_series(30)
    last_end = month_end(month(start, 29))  # 2025-06-30
    items = []
    # at every earlier period end: 100 000 of receivables due the next month
    for m in range(29):
        end = month_end(month(start, m))
        items.append(("ar", "acme", end, end + timedelta(days=15), Decimal("100000.00")))
    # at the last: 400 000 due next month (one overdue), 50 000 of payables in month 2
    items += [
        ("ar", "acme", last_end, last_end + timedelta(days=20), Decimal("300000.00")),
        ("ar", "acme", last_end, last_end - timedelta(days=40), Decimal("100000.00")),
        ("ap", "acme", last_end, last_end + timedelta(days=45), Decimal("-50000.00")),
    ]
    with_items = duckdb.connect(str(tmp_path / "with.duckdb"))
    make_marts(with_items, {"acme": series}, open_items=items)
    write_forecasts(with_items)
    without = duckdb.connect(str(tmp_path / "without.duckdb"))
    make_marts(without, {"acme": series})
    write_forecasts(without)
    query = (
        f"select forecast, lo_95, hi_95, open_ar_due, open_ap_due, open_items_adjustment "
        f"from {FORECAST_TABLE} where series = 'cash_flow' and model = 'AutoETS' "
        "and period_kind = 'forecast' order by period_start"
    )
    adjusted = rows(with_items, query)
    plain = rows(without, query)
    # typical at distance 1 over the last 12 period ends: (11 x 100 000 + 400 000) / 12 = 125 000
    assert adjusted[0]["open_ar_due"] == Decimal("400000.00")
    assert adjusted[0]["open_items_adjustment"] == Decimal("275000.00")
    assert adjusted[1]["open_ap_due"] == Decimal("-50000.00")
    # at distance 2 only the last period end had anything due: -50 000 / 12 typically
    assert adjusted[1]["open_items_adjustment"] == Decimal("-45833.33")
    assert adjusted[2]["open_items_adjustment"] == Decimal("0.00")
    for a, p in zip(adjusted, plain, strict=True):
        assert a["forecast"] == p["forecast"] + a["open_items_adjustment"]
        assert a["hi_95"] - a["lo_95"] == p["hi_95"] - p["lo_95"]
        assert p["open_items_adjustment"] is None
    # revenue and costs are not touched by open items
    untouched = rows(
        with_items,
        f"select count(*) as n from {FORECAST_TABLE} "
        "where series <> 'cash_flow' and open_items_adjustment is not null",
    )
    assert untouched == [{"n": 0}]
    note = rows(
        with_items,
        f"select distinct note, mae_without_open_items from {ACCURACY_TABLE} "
        "where series = 'cash_flow' and model = 'AutoETS'",
    )
    assert "open customer and supplier invoices" in note[0]["note"]
    assert note[0]["mae_without_open_items"] is not None
    with_items.close()
    without.close()


def test_open_items_due_counts_overdue_items_in_the_first_month() -> None:
    # month indexes: period end of month 100; a window from month 99
    items = [
        (99, 100, Decimal("10"), Decimal("0")),
        (100, 98, Decimal("5"), Decimal("0")),  # overdue at the origin
        (100, 101, Decimal("20"), Decimal("-8")),
        (100, 102, Decimal("0"), Decimal("-4")),
        (100, 130, Decimal("99"), Decimal("0")),  # beyond the horizon
    ]
    due = open_items_due(items, origin=100, first=99, horizon=3)
    assert due.ar == (Decimal("25.00"), Decimal("0.00"), Decimal("0.00"))
    assert due.ap == (Decimal("-8.00"), Decimal("-4.00"), Decimal("0.00"))
    # typical: period ends 99 (10 at distance 1) and 100 (17, -4): means 13.50 and -2.00
    assert due.adjustment == (Decimal("3.50"), Decimal("-2.00"), Decimal("0.00"))


def test_no_marts_give_empty_tables(con) -> None:
    assert write_forecasts(con) == {FORECAST_TABLE: 0, ACCURACY_TABLE: 0}
    assert con.execute(f"select count(*) from {FORECAST_TABLE}").fetchone() == (0,)


# --- publish ---------------------------------------------------------------------------


def make_warehouse(paths: Paths) -> None:
    paths.home.mkdir(parents=True, exist_ok=True)
    con = duckdb.connect(str(paths.warehouse))
    con.execute("create schema marts")
    con.execute("use marts")
    make_marts(con, {"acme": three_series(24)})
    con.close()


def test_publish_stores_the_forecasts(tmp_path: Path) -> None:
    from ledgerbridge.warehouse import publish

    paths = Paths(tmp_path / "home")
    make_warehouse(paths)
    result = publish(paths)
    assert result.tables[FORECAST_TABLE] == 9 * (24 + 12)
    assert result.tables[ACCURACY_TABLE] == 9
    con = duckdb.connect(str(paths.serving), read_only=True)
    try:
        assert con.execute(
            f"select count(*) from {FORECAST_TABLE} where is_chosen and period_kind = 'forecast'"
        ).fetchone() == (36,)
    finally:
        con.close()


def test_a_forecast_failure_keeps_the_old_snapshot(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from ledgerbridge import warehouse

    paths = Paths(tmp_path / "home")
    make_warehouse(paths)
    warehouse.publish(paths)
    before = paths.serving.read_bytes()

    def broken(*args, **kwargs):
        raise ForecastError("the forecasting models failed (test)")

    monkeypatch.setattr(warehouse, "write_forecasts", broken)
    with pytest.raises(ForecastError):
        warehouse.publish(paths)
    assert paths.serving.read_bytes() == before
    assert not [p for p in paths.home.iterdir() if p.name.startswith(".serving.")]


def test_a_model_error_becomes_a_forecast_error(con, monkeypatch: pytest.MonkeyPatch) -> None:
    from statsforecast import StatsForecast

    make_marts(con, {"acme": three_series(30)})

    def explode(self, **kwargs):
        raise ValueError("boom")

    monkeypatch.setattr(StatsForecast, "forecast", explode)
    with pytest.raises(ForecastError, match="boom") as caught:
        write_forecasts(con)
    assert caught.value.code == "forecast-failed"


# --- reusing the previous snapshot's forecasts -------------------------------------------


def forbid_models(monkeypatch: pytest.MonkeyPatch) -> None:
    from statsforecast import StatsForecast

    def refuse(self, **kwargs):
        raise AssertionError("the models ran although the inputs had not changed")

    monkeypatch.setattr(StatsForecast, "forecast", refuse)


def tables_of(path: Path) -> tuple[list, list]:
    con = duckdb.connect(str(path), read_only=True)
    try:
        return (
            con.execute(f"select * from {FORECAST_TABLE} order by all").fetchall(),
            con.execute(f"select * from {ACCURACY_TABLE} order by all").fetchall(),
        )
    finally:
        con.close()


def test_unchanged_inputs_reuse_the_previous_forecasts(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    first = tmp_path / "first.duckdb"
    con = duckdb.connect(str(first))
    make_marts(con, {"acme": three_series(30)})
    write_forecasts(con)
    con.close()

    forbid_models(monkeypatch)
    second = tmp_path / "second.duckdb"
    con = duckdb.connect(str(second))
    make_marts(con, {"acme": three_series(30)})
    counts = write_forecasts(con, previous=first)
    assert con.execute(f"select reused from {INPUTS_TABLE}").fetchone() == (True,)
    con.close()
    assert counts == {FORECAST_TABLE: 9 * 42, ACCURACY_TABLE: 9}
    assert tables_of(second) == tables_of(first)
    # the copy keeps the declared types and key
    con = duckdb.connect(str(second), read_only=True)
    try:
        assert con.execute(
            "select data_type from duckdb_columns() where table_name = ? and column_name = 'hi_95'",
            [FORECAST_TABLE],
        ).fetchone() == ("DECIMAL(18,2)",)
    finally:
        con.close()

    # one changed öre in the history: computed again (here: refused by the patched models)
    changed = three_series(30)
    changed["costs"][3] += Decimal("0.01")
    con = duckdb.connect(str(tmp_path / "third.duckdb"))
    make_marts(con, {"acme": changed})
    with pytest.raises(ForecastError, match="the models ran"):
        write_forecasts(con, previous=first)
    con.close()


def test_a_previous_snapshot_without_forecasts_is_not_a_problem(tmp_path: Path) -> None:
    old = tmp_path / "old.duckdb"
    duckdb.connect(str(old)).close()
    con = duckdb.connect(str(tmp_path / "new.duckdb"))
    make_marts(con, {"acme": three_series(20)})
    counts = write_forecasts(con, previous=old)
    assert counts[ACCURACY_TABLE] == 9
    assert con.execute(f"select reused from {INPUTS_TABLE}").fetchone() == (False,)
    con.close()
