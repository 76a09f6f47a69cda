"""Forecasts of revenue, costs and cash flow per company and month, stored with each publish.

``publish`` calls :func:`write_forecasts` on the new serving file, after the marts are copied and
before it is swapped in, so the dashboards read forecasts like any other table and never fit a
model on a page load (decision 0030). Two tables are written:

- ``fct_forecast_monthly``: one row per company, series, model and month: every history month
  (``period_kind`` ``actual``, or ``holdout`` with the model's hold-out forecast beside the
  actual) and the next 12 months (``forecast``), with the point forecast and the 80 % and 95 %
  prediction intervals, and which model was chosen for the series.
- ``rpt_forecast_accuracy``: one row per company, series and model: the hold-out months, MAE
  (the selection metric), sMAPE and MASE, whether the model beats the seasonal-naive baseline,
  and whether it was chosen, with a note saying why a series got fewer models or no hold-out.

The series, all in SEK and gap-free (a month without activity is 0):

- ``revenue``: ``rpt_income_statement.report_amount`` of ``operating_income`` (positive);
- ``costs``: ``operating_expenses`` with the sign turned, so costs are positive too (operating
  result = revenue - costs; financial items, appropriations and tax are not included);
- ``cash_flow``: the period's cash flow of ``rpt_cash_flow`` (the change of the cash and bank
  accounts, 19xx; inflow positive). The customer and supplier invoices open at the forecast's
  origin (``fct_ar_open_items_monthly``, ``fct_ap_open_items_monthly``) adjust it month by month
  by due date: what is due in a month minus what was typically due at that distance from a
  period end over the last 12 period ends (the model already expects the typical amount).

The history runs from each company's first to its last month with ledger activity (or to the
last whole month ending on or before ``as_of``); nothing here reads today's date, so the same
marts give the same forecasts.
"""

from __future__ import annotations

import hashlib
import importlib.metadata
import math
import warnings
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import ROUND_HALF_UP, Decimal
from pathlib import Path
from typing import Any

import duckdb

from ledgerbridge.errors import ForecastError

FORECAST_TABLE = "fct_forecast_monthly"
ACCURACY_TABLE = "rpt_forecast_accuracy"
#: the hash of the inputs the stored forecasts were made from (see write_forecasts)
INPUTS_TABLE = "_ledgerbridge_forecast_inputs"

SERIES = ("revenue", "costs", "cash_flow")
#: In order of preference when two models have the same hold-out MAE: the simplest first.
MODELS = ("SeasonalNaive", "AutoETS", "AutoTheta")
BASELINE = "SeasonalNaive"
HORIZON = 12
HOLDOUT_MONTHS = 6
SEASON_LENGTH = 12
#: From this many months of history: seasonal models (season length 12), a 6-month hold-out.
MIN_MONTHS_SEASONAL = 18
#: From this many months: a hold-out of at least 2 months with 7 left to fit (AutoETS refuses
#: fewer than 7 points); below it, only the baseline.
MIN_MONTHS_HOLDOUT = 9
MIN_MONTHS_ETS = 7
LEVELS = (80, 95)
#: How many period ends (up to the origin) make the typical amount of open items due.
OPEN_ITEMS_WINDOW = 12

CENT = Decimal("0.01")

FORECAST_COLUMNS: tuple[tuple[str, str], ...] = (
    # keys
    ("company_id", "varchar not null"),
    ("series", "varchar not null"),
    ("model", "varchar not null"),
    ("period_start", "date not null"),
    # dates
    ("period_end", "date not null"),
    ("forecast_origin", "date"),
    # dimensions
    ("period_kind", "varchar not null"),
    ("horizon", "integer"),
    ("season_length", "integer not null"),
    ("chosen_model", "varchar not null"),
    ("is_chosen", "boolean not null"),
    # amounts
    ("actual", "decimal(18,2)"),
    ("forecast", "decimal(18,2)"),
    ("lo_80", "decimal(18,2)"),
    ("hi_80", "decimal(18,2)"),
    ("lo_95", "decimal(18,2)"),
    ("hi_95", "decimal(18,2)"),
    ("open_ar_due", "decimal(18,2)"),
    ("open_ap_due", "decimal(18,2)"),
    ("open_items_adjustment", "decimal(18,2)"),
)

ACCURACY_COLUMNS: tuple[tuple[str, str], ...] = (
    # keys
    ("company_id", "varchar not null"),
    ("series", "varchar not null"),
    ("model", "varchar not null"),
    # dates
    ("holdout_start", "date"),
    ("holdout_end", "date"),
    # dimensions
    ("train_months", "integer not null"),
    ("holdout_months", "integer not null"),
    ("season_length", "integer not null"),
    ("is_baseline", "boolean not null"),
    ("is_chosen", "boolean not null"),
    ("beats_baseline", "boolean"),
    ("note", "varchar not null"),
    # measures
    ("mae", "decimal(18,2)"),
    ("smape", "decimal(9,2)"),
    ("mase", "decimal(12,4)"),
    ("mae_without_open_items", "decimal(18,2)"),
)


@dataclass(frozen=True)
class Series:
    """One company's monthly series, gap-free from ``start`` (a month's first day)."""

    company_id: str
    series: str
    start: date
    values: tuple[Decimal, ...]

    @property
    def months(self) -> int:
        return len(self.values)


@dataclass(frozen=True)
class Plan:
    """What a series of a given length gets: season length, models, hold-out months."""

    season_length: int
    models: tuple[str, ...]
    holdout: int
    note: str


def plan_for(months: int) -> Plan:
    if months >= MIN_MONTHS_SEASONAL:
        return Plan(
            SEASON_LENGTH,
            MODELS,
            HOLDOUT_MONTHS,
            f"{months} months of history: seasonal models (season length {SEASON_LENGTH}), "
            f"hold-out of the last {HOLDOUT_MONTHS} months",
        )
    if months >= MIN_MONTHS_HOLDOUT:
        holdout = min(HOLDOUT_MONTHS, months - MIN_MONTHS_ETS)
        return Plan(
            1,
            MODELS,
            holdout,
            f"{months} months of history, fewer than {MIN_MONTHS_SEASONAL}: non-seasonal "
            f"models (season length 1; the baseline is the naive forecast), hold-out of the "
            f"last {holdout} months",
        )
    return Plan(
        1,
        (BASELINE,),
        0,
        f"{months} months of history, fewer than {MIN_MONTHS_HOLDOUT}: too short for a "
        "hold-out; only the baseline (the naive forecast: the last month repeated)",
    )


@dataclass(frozen=True)
class OpenItemsDue:
    """Open items due per month after an origin: AR (inflow, positive), AP (outflow,
    negative), and the adjustment to a model's cash-flow forecast."""

    ar: tuple[Decimal, ...]
    ap: tuple[Decimal, ...]
    adjustment: tuple[Decimal, ...]


@dataclass
class _Prediction:
    point: list[Decimal]
    lo_80: list[Decimal | None]
    hi_80: list[Decimal | None]
    lo_95: list[Decimal | None]
    hi_95: list[Decimal | None]


@dataclass
class _Job:
    key: tuple[int, str]  # (series index, "holdout" | "final")
    start: date
    values: list[float]
    season_length: int
    models: tuple[str, ...]
    horizon: int
    result: dict[str, _Prediction] = field(default_factory=dict)


def write_forecasts(
    con: duckdb.DuckDBPyConnection,
    *,
    as_of: date | None = None,
    previous: Path | None = None,
) -> dict[str, int]:
    """Read the monthly series from the marts in ``con`` (the serving file being published),
    forecast them, and (re)create ``fct_forecast_monthly`` and ``rpt_forecast_accuracy`` there.
    Returns the row count of each table. Raises ForecastError if a model fails.

    ``previous``: the snapshot published before. If its forecasts were made from the same
    inputs (series, open items, this module's code and the statsforecast version, by a hash
    kept in ``_ledgerbridge_forecast_inputs``), they are copied instead of computed again:
    that saves loading statsforecast (2-3 s), most of what forecasting costs."""
    series = load_series(con, as_of=as_of)
    open_items = load_open_items(con)
    digest = inputs_digest(series, open_items)
    _create(
        con, FORECAST_TABLE, FORECAST_COLUMNS, ("company_id", "series", "model", "period_start")
    )
    _create(con, ACCURACY_TABLE, ACCURACY_COLUMNS, ("company_id", "series", "model"))
    con.execute(f"drop table if exists main.{INPUTS_TABLE}")
    con.execute(
        f"create table main.{INPUTS_TABLE} (inputs_sha256 varchar not null, "
        "series integer not null, reused boolean not null)"
    )
    reused = previous is not None and _copy_previous(con, previous, digest)
    if reused:
        counts = {
            table: con.execute(f"select count(*) from main.{table}").fetchone()[0]
            for table in (FORECAST_TABLE, ACCURACY_TABLE)
        }
    else:
        forecast_rows, accuracy_rows = forecast_series(series, open_items)
        _insert(con, FORECAST_TABLE, FORECAST_COLUMNS, forecast_rows)
        _insert(con, ACCURACY_TABLE, ACCURACY_COLUMNS, accuracy_rows)
        counts = {FORECAST_TABLE: len(forecast_rows), ACCURACY_TABLE: len(accuracy_rows)}
    con.execute(f"insert into main.{INPUTS_TABLE} values (?, ?, ?)", [digest, len(series), reused])
    return counts


def inputs_digest(series: Sequence[Series], open_items: OpenItems | None) -> str:
    """A hash of everything a forecast depends on: the series, the open items, this module's
    source and the statsforecast version."""
    digest = hashlib.sha256()
    digest.update(Path(__file__).read_bytes())
    digest.update(importlib.metadata.version("statsforecast").encode())
    for s in series:
        digest.update(f"|{s.company_id}|{s.series}|{s.start}|".encode())
        digest.update(",".join(str(v) for v in s.values).encode())
    if open_items is None:
        digest.update(b"|no open items")
    else:
        for company in sorted(open_items):
            digest.update(f"|{company}|".encode())
            digest.update(repr([tuple(map(str, item)) for item in open_items[company]]).encode())
    return digest.hexdigest()


def _copy_previous(con: duckdb.DuckDBPyConnection, previous: Path, digest: str) -> bool:
    """Copy the forecasts of ``previous`` if they were made from inputs with ``digest``."""
    if not previous.exists():
        return False
    path = str(previous).replace("'", "''")
    try:
        con.execute(f"attach '{path}' as _previous_snapshot (read_only)")
    except duckdb.Error:
        return False
    try:
        found = con.execute(
            f"select count(*) from _previous_snapshot.main.{INPUTS_TABLE} where inputs_sha256 = ?",
            [digest],
        ).fetchone()
        if not found or found[0] != 1:
            return False
        for table, columns in (
            (FORECAST_TABLE, FORECAST_COLUMNS),
            (ACCURACY_TABLE, ACCURACY_COLUMNS),
        ):
            names = ", ".join(name for name, _ in columns)
            con.execute(
                f"insert into main.{table} ({names}) "
                f"select {names} from _previous_snapshot.main.{table}"
            )
        return True
    except duckdb.Error:
        # an older snapshot without these tables, or with other columns: compute afresh
        for table in (FORECAST_TABLE, ACCURACY_TABLE):
            con.execute(f"delete from main.{table}")
        return False
    finally:
        con.execute("detach _previous_snapshot")


# --- reading the marts ---------------------------------------------------------------------


def _tables(con: duckdb.DuckDBPyConnection) -> set[str]:
    return {
        row[0]
        for row in con.execute(
            "select table_name from duckdb_tables() "
            "where database_name = current_database() and schema_name = 'main'"
        ).fetchall()
    }


def load_series(con: duckdb.DuckDBPyConnection, *, as_of: date | None = None) -> list[Series]:
    """Each company's revenue, costs and cash flow per month, gap-free, from its first to its
    last month with ledger activity (``fct_gl_entries``), or to the last whole month that ends
    on or before ``as_of`` if that is earlier. A series whose mart is not published is left
    out."""
    tables = _tables(con)
    if "fct_gl_entries" not in tables:
        return []
    spans = {
        company: (first, last)
        for company, first, last in con.execute(
            "select company_id, min(period_start), max(period_start) from fct_gl_entries "
            "group by company_id order by company_id"
        ).fetchall()
    }
    if as_of is not None:
        last_whole = _month_start(as_of + timedelta(days=1)) - timedelta(days=1)
        cap = _month_start(last_whole)
        spans = {
            company: (first, min(last, cap))
            for company, (first, last) in spans.items()
            if first <= min(last, cap)
        }
    queries = {}
    if "rpt_income_statement" in tables:
        queries["revenue"] = (
            "select company_id, period_start, sum(report_amount) from rpt_income_statement "
            "where report_section = 'operating_income' group by company_id, period_start"
        )
        queries["costs"] = (
            "select company_id, period_start, -sum(report_amount) from rpt_income_statement "
            "where report_section = 'operating_expenses' group by company_id, period_start"
        )
    if "rpt_cash_flow" in tables:
        queries["cash_flow"] = (
            "select company_id, period_start, sum(amount) from rpt_cash_flow "
            "where cash_flow_section = 'cash_flow' group by company_id, period_start"
        )
    result: list[Series] = []
    for name in SERIES:
        if name not in queries:
            continue
        amounts: dict[tuple[str, date], Decimal] = {
            (company, month): Decimal(amount)
            for company, month, amount in con.execute(queries[name]).fetchall()
        }
        for company, (first, last) in sorted(spans.items()):
            months = range(_index(first), _index(last) + 1)
            values = tuple(
                amounts.get((company, _from_index(i)), Decimal("0.00")).quantize(CENT)
                for i in months
            )
            result.append(Series(company, name, first, values))
    return sorted(result, key=lambda s: (s.company_id, SERIES.index(s.series)))


#: (period end month index, due month index, ar amount, ap amount) per company
OpenItems = dict[str, list[tuple[int, int, Decimal, Decimal]]]


def load_open_items(con: duckdb.DuckDBPyConnection) -> OpenItems | None:
    """The customer (AR, debit positive) and supplier (AP, credit negative) invoices open at
    each period end, summed by company, period end and due month; None if neither open-items
    mart is published."""
    tables = _tables(con)
    parts = [
        f"select company_id, period_end, due_date, open_amount as ar, 0 as ap from {table}"
        if table == "fct_ar_open_items_monthly"
        else f"select company_id, period_end, due_date, 0 as ar, open_amount as ap from {table}"
        for table in ("fct_ar_open_items_monthly", "fct_ap_open_items_monthly")
        if table in tables
    ]
    if not parts:
        return None
    items: OpenItems = defaultdict(list)
    for company, period_end, due_month, ar, ap in con.execute(
        "select company_id, period_end, date_trunc('month', due_date) as due_month, "
        "sum(ar), sum(ap) from (" + " union all ".join(parts) + ") "
        "where due_date is not null group by all order by all"
    ).fetchall():
        items[company].append(
            (_index(period_end), _index(due_month), Decimal(ar or 0), Decimal(ap or 0))
        )
    return dict(items)


def open_items_due(
    items: Sequence[tuple[int, int, Decimal, Decimal]], origin: int, first: int, horizon: int
) -> OpenItemsDue:
    """What the open items at the end of month ``origin`` (a month index) bring in each of the
    ``horizon`` months after it (overdue items in the first), and the adjustment: that net
    amount minus the mean net amount due at the same distance from the period ends of the last
    ``OPEN_ITEMS_WINDOW`` months up to the origin (not before ``first``)."""

    def due(period_end: int) -> tuple[list[Decimal], list[Decimal]]:
        ar = [Decimal("0")] * horizon
        ap = [Decimal("0")] * horizon
        for end, due_month, ar_amount, ap_amount in items:
            if end != period_end:
                continue
            step = max(1, due_month - end)
            if step <= horizon:
                ar[step - 1] += ar_amount
                ap[step - 1] += ap_amount
        return ar, ap

    ar_now, ap_now = due(origin)
    window = range(max(first, origin - OPEN_ITEMS_WINDOW + 1), origin + 1)
    typical = [Decimal("0")] * horizon
    for end in window:
        ar, ap = due(end)
        for step in range(horizon):
            typical[step] += ar[step] + ap[step]
    adjustment = tuple(
        _cents(ar_now[step] + ap_now[step] - typical[step] / len(window)) for step in range(horizon)
    )
    return OpenItemsDue(
        tuple(_cents(v) for v in ar_now), tuple(_cents(v) for v in ap_now), adjustment
    )


# --- forecasting ---------------------------------------------------------------------------


def forecast_series(
    series: Sequence[Series], open_items: OpenItems | None
) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """The rows of both tables for ``series``: one StatsForecast call per set of models and
    horizon (in practice: the hold-outs, and the final 12 months)."""
    plans = [plan_for(s.months) for s in series]
    jobs: list[_Job] = []
    for index, (s, plan) in enumerate(zip(series, plans, strict=True)):
        values = [float(v) for v in s.values]
        if plan.holdout:
            jobs.append(
                _Job(
                    (index, "holdout"),
                    s.start,
                    values[: -plan.holdout],
                    plan.season_length,
                    plan.models,
                    plan.holdout,
                )
            )
        jobs.append(
            _Job((index, "final"), s.start, values, plan.season_length, plan.models, HORIZON)
        )
    _run(jobs, series)
    results = {job.key: job.result for job in jobs}

    forecast_rows: list[dict[str, Any]] = []
    accuracy_rows: list[dict[str, Any]] = []
    for index, (s, plan) in enumerate(zip(series, plans, strict=True)):
        first = _index(s.start)
        last = first + s.months - 1
        train = s.months - plan.holdout
        company_items = None
        note = plan.note
        if s.series == "cash_flow":
            if open_items is None:
                note += "; no open-items marts are published: cash flow from the ledger alone"
            else:
                company_items = open_items.get(s.company_id, [])
                note += (
                    "; adjusted by the open customer and supplier invoices by due date "
                    "(due minus typically due)"
                )
        final_items = (
            open_items_due(company_items, last, first, HORIZON)
            if company_items is not None
            else None
        )
        holdout_items = (
            open_items_due(company_items, first + train - 1, first, plan.holdout)
            if company_items is not None and plan.holdout
            else None
        )

        final = {m: _adjusted(p, final_items) for m, p in results[(index, "final")].items()}
        holdout_raw = results.get((index, "holdout"), {})
        holdout = {m: _adjusted(p, holdout_items) for m, p in holdout_raw.items()}

        actual = list(s.values[train:])
        mae = {m: _mae(actual, p.point) for m, p in holdout.items()}
        chosen = min(plan.models, key=lambda m: (mae.get(m, Decimal(0)), MODELS.index(m)))

        for model in plan.models:
            forecast_rows.extend(
                _forecast_rows(
                    s,
                    model,
                    chosen,
                    plan,
                    holdout.get(model),
                    final[model],
                    holdout_items,
                    final_items,
                )
            )
            row: dict[str, Any] = {
                "company_id": s.company_id,
                "series": s.series,
                "model": model,
                "holdout_start": _from_index(first + train) if plan.holdout else None,
                "holdout_end": _from_index(last) if plan.holdout else None,
                "train_months": train,
                "holdout_months": plan.holdout,
                "season_length": plan.season_length,
                "is_baseline": model == BASELINE,
                "is_chosen": model == chosen,
                "beats_baseline": None,
                "note": note,
                "mae": None,
                "smape": None,
                "mase": None,
                "mae_without_open_items": None,
            }
            if plan.holdout:
                row["mae"] = mae[model]
                row["smape"] = _smape(actual, holdout[model].point)
                row["mase"] = _mase(s.values[:train], mae[model], plan.season_length)
                if model != BASELINE:
                    row["beats_baseline"] = mae[model] < mae[BASELINE]
                if holdout_items is not None:
                    row["mae_without_open_items"] = _mae(actual, holdout_raw[model].point)
            accuracy_rows.append(row)
    return forecast_rows, accuracy_rows


def _forecast_rows(
    s: Series,
    model: str,
    chosen: str,
    plan: Plan,
    holdout: _Prediction | None,
    final: _Prediction,
    holdout_items: OpenItemsDue | None,
    final_items: OpenItemsDue | None,
) -> Iterable[dict[str, Any]]:
    first = _index(s.start)
    train = s.months - plan.holdout
    common = {
        "company_id": s.company_id,
        "series": s.series,
        "model": model,
        "season_length": plan.season_length,
        "chosen_model": chosen,
        "is_chosen": model == chosen,
    }
    empty = dict.fromkeys(
        (
            "forecast_origin",
            "horizon",
            "forecast",
            "lo_80",
            "hi_80",
            "lo_95",
            "hi_95",
            "open_ar_due",
            "open_ap_due",
            "open_items_adjustment",
        ),
    )
    for offset, value in enumerate(s.values):
        row = {**common, **empty, "period_kind": "actual", "actual": value}
        if offset >= train and holdout is not None:
            step = offset - train
            row |= _predicted(holdout, holdout_items, step)
            row |= {
                "period_kind": "holdout",
                "forecast_origin": _from_index(first + train - 1),
                "horizon": step + 1,
            }
        yield _dated(row, first + offset)
    last = first + s.months - 1
    for step in range(HORIZON):
        row = {**common, **empty, "period_kind": "forecast", "actual": None}
        row |= _predicted(final, final_items, step)
        row |= {"forecast_origin": _from_index(last), "horizon": step + 1}
        yield _dated(row, last + 1 + step)


def _predicted(p: _Prediction, items: OpenItemsDue | None, step: int) -> dict[str, Any]:
    return {
        "forecast": p.point[step],
        "lo_80": p.lo_80[step],
        "hi_80": p.hi_80[step],
        "lo_95": p.lo_95[step],
        "hi_95": p.hi_95[step],
        "open_ar_due": items.ar[step] if items else None,
        "open_ap_due": items.ap[step] if items else None,
        "open_items_adjustment": items.adjustment[step] if items else None,
    }


def _dated(row: dict[str, Any], month: int) -> dict[str, Any]:
    row["period_start"] = _from_index(month)
    row["period_end"] = _from_index(month + 1) - timedelta(days=1)
    return row


def _adjusted(p: _Prediction, items: OpenItemsDue | None) -> _Prediction:
    """The prediction moved by the open items' adjustment (a known amount: the interval
    moves with the point)."""
    if items is None:
        return p

    def shift(values: list[Any]) -> list[Any]:
        return [None if v is None else v + items.adjustment[step] for step, v in enumerate(values)]

    return _Prediction(
        shift(p.point), shift(p.lo_80), shift(p.hi_80), shift(p.lo_95), shift(p.hi_95)
    )


def _run(jobs: list[_Job], series: Sequence[Series]) -> None:
    """Fill each job's result: one StatsForecast call per (season length, models, horizon)."""
    if not jobs:
        return
    import pandas as pd
    from statsforecast import StatsForecast
    from statsforecast.models import AutoETS, AutoTheta, SeasonalNaive

    factories = {"AutoETS": AutoETS, "AutoTheta": AutoTheta, "SeasonalNaive": SeasonalNaive}
    groups: dict[tuple[int, tuple[str, ...], int], list[_Job]] = defaultdict(list)
    for job in jobs:
        groups[(job.season_length, job.models, job.horizon)].append(job)
    for (season_length, models, horizon), group in sorted(groups.items()):
        frame = pd.concat(
            [
                pd.DataFrame(
                    {
                        "unique_id": str(number),
                        "ds": pd.date_range(job.start, periods=len(job.values), freq="MS"),
                        "y": job.values,
                    }
                )
                for number, job in enumerate(group)
            ],
            ignore_index=True,
        )
        engine = StatsForecast(
            models=[factories[name](season_length=season_length) for name in models],
            freq="MS",
            n_jobs=1,
        )
        try:
            with warnings.catch_warnings():
                # a constant series (no revenue at all) makes the models divide by zero on
                # their way to a flat forecast; that is an answer, not a problem
                warnings.simplefilter("ignore", RuntimeWarning)
                warnings.simplefilter("ignore", UserWarning)
                output = engine.forecast(df=frame, h=horizon, level=list(LEVELS))
        except Exception as exc:
            raise ForecastError(
                f"the forecasting models failed ({type(exc).__name__}: {exc}); "
                "nothing was published",
                hint="the published snapshot stays as it was; report this with the output of "
                "`ledgerbridge status`",
            ) from exc
        output = output.sort_values(["unique_id", "ds"])
        by_id = {str(uid): part for uid, part in output.groupby("unique_id", sort=False)}
        for number, job in enumerate(group):
            part = by_id.get(str(number))
            s = series[job.key[0]]
            if part is None or len(part) != horizon:
                raise ForecastError(
                    f"the forecast of {s.company_id} {s.series} came back incomplete",
                    hint="the published snapshot stays as it was",
                )
            for name in models:
                point = [_cents_of_float(v) for v in part[name]]
                if any(v is None for v in point):
                    raise ForecastError(
                        f"{name} gave no forecast for {s.company_id} {s.series} "
                        f"({len(job.values)} months of history)",
                        hint="the published snapshot stays as it was",
                    )
                # the seasonal naive forecast of a series no longer than one season has no
                # residuals to size an interval with: leave it empty rather than zero-wide
                no_interval = name == BASELINE and len(job.values) <= season_length
                bounds = {
                    column: [
                        None if no_interval else _cents_of_float(v)
                        for v in part[f"{name}-{column.replace('_', '-')}"]
                    ]
                    for column in ("lo_80", "hi_80", "lo_95", "hi_95")
                }
                job.result[name] = _nested(point, **bounds)


def _nested(
    point: list[Decimal | None],
    lo_80: list[Decimal | None],
    hi_80: list[Decimal | None],
    lo_95: list[Decimal | None],
    hi_95: list[Decimal | None],
) -> _Prediction:
    """lo_95 <= lo_80 <= point <= hi_80 <= hi_95, step by step. AutoTheta's intervals are
    quantiles of simulated paths, which can miss the point by a few öre; a step where any bound
    is missing gets none."""
    out = _Prediction([], [], [], [], [])
    for p, l80, h80, l95, h95 in zip(point, lo_80, hi_80, lo_95, hi_95, strict=True):
        assert p is not None
        out.point.append(p)
        if l80 is None or h80 is None or l95 is None or h95 is None:
            for bound in (out.lo_80, out.hi_80, out.lo_95, out.hi_95):
                bound.append(None)
            continue
        l80, h80 = min(l80, p), max(h80, p)
        out.lo_80.append(l80)
        out.hi_80.append(h80)
        out.lo_95.append(min(l95, l80))
        out.hi_95.append(max(h95, h80))
    return out


# --- measures ------------------------------------------------------------------------------


def _mae(actual: Sequence[Decimal], predicted: Sequence[Decimal | None]) -> Decimal:
    errors = [abs(a - p) for a, p in zip(actual, predicted, strict=True) if p is not None]
    return _cents(sum(errors, Decimal(0)) / len(errors))


def _smape(actual: Sequence[Decimal], predicted: Sequence[Decimal | None]) -> Decimal:
    """Symmetric MAPE in per cent (0 to 200); a month where both are 0 counts as 0."""
    terms = []
    for a, p in zip(actual, predicted, strict=True):
        assert p is not None
        scale = abs(a) + abs(p)
        terms.append(Decimal(0) if scale == 0 else 200 * abs(a - p) / scale)
    return _cents(sum(terms, Decimal(0)) / len(terms))


def _mase(train: Sequence[Decimal], mae: Decimal, season_length: int) -> Decimal | None:
    """MAE over the in-sample MAE of the seasonal naive forecast on the training months: below
    1 beats what repeating last season did in the past; None where that is 0 or undefined."""
    diffs = [abs(train[i] - train[i - season_length]) for i in range(season_length, len(train))]
    if not diffs:
        return None
    scale = sum(diffs, Decimal(0)) / len(diffs)
    if scale == 0:
        return None
    return (mae / scale).quantize(Decimal("0.0001"), rounding=ROUND_HALF_UP)


# --- writing -------------------------------------------------------------------------------


def _create(
    con: duckdb.DuckDBPyConnection,
    table: str,
    columns: Sequence[tuple[str, str]],
    key: Sequence[str],
) -> None:
    con.execute(f'drop table if exists main."{table}"')
    body = ", ".join(f"{name} {kind}" for name, kind in columns)
    con.execute(f'create table main."{table}" ({body}, primary key ({", ".join(key)}))')


def _insert(
    con: duckdb.DuckDBPyConnection,
    table: str,
    columns: Sequence[tuple[str, str]],
    rows: Sequence[dict[str, Any]],
) -> None:
    if not rows:
        return
    import pyarrow as pa

    types = {
        "varchar": pa.string(),
        "date": pa.date32(),
        "integer": pa.int32(),
        "boolean": pa.bool_(),
        "decimal(18,2)": pa.decimal128(18, 2),
        "decimal(9,2)": pa.decimal128(9, 2),
        "decimal(12,4)": pa.decimal128(12, 4),
    }
    schema = pa.schema([(name, types[kind.removesuffix(" not null")]) for name, kind in columns])
    arrow_rows = pa.Table.from_pylist(list(rows), schema=schema)
    con.register("_ledgerbridge_forecast_rows", arrow_rows)
    try:
        names = ", ".join(name for name, _ in columns)
        con.execute(
            f'insert into main."{table}" ({names}) select {names} from _ledgerbridge_forecast_rows'
        )
    finally:
        con.unregister("_ledgerbridge_forecast_rows")


# --- months and money ----------------------------------------------------------------------


def _index(day: date) -> int:
    return day.year * 12 + day.month - 1


def _from_index(index: int) -> date:
    return date(index // 12, index % 12 + 1, 1)


def _month_start(day: date) -> date:
    return day.replace(day=1)


def _cents(value: Decimal) -> Decimal:
    return value.quantize(CENT, rounding=ROUND_HALF_UP)


def _cents_of_float(value: Any) -> Decimal | None:
    number = float(value)
    if not math.isfinite(number):
        return None
    return _cents(Decimal(repr(number)))
