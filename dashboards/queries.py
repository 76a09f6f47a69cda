"""Every query the dashboards run, against serving.duckdb.

A connection is opened read-only for each query and closed right after: ``publish`` swaps in a
new file by rename, and the next query sees it. Results are cached per snapshot (the serving
file's inode and modification time), so a page that asks again is answered from memory until a
new snapshot is published. Parameters are always bound, never formatted into the SQL: a
column or table name that varies is picked from a fixed list in this module. Amounts come back
as ``Decimal`` (through Arrow), never as floats.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal

import duckdb
import pandas as pd
import streamlit as st

from ledgerbridge.config import Paths
from ledgerbridge.warehouse import PUBLISH_INFO_TABLE, _sql_path

NO_VALUE = "(ingen)"
ZERO = Decimal("0.00")


def serving_path():
    return Paths.from_env().serving


def is_published() -> bool:
    return serving_path().exists()


def snapshot_version() -> str | None:
    """Which snapshot is published: it changes with every publish (a new file renamed in)."""
    try:
        status = serving_path().stat()
    except FileNotFoundError:
        return None
    return f"{status.st_ino}:{status.st_mtime_ns}"


@st.cache_data(max_entries=2000, ttl=6 * 3600, show_spinner=False)
def _cached(version: str | None, sql: str, params: tuple, named: bool = False) -> pd.DataFrame:
    # attached to a fresh in-memory database rather than connected to: DuckDB hands a
    # second connect() to a path the instance it already has open, which after a publish
    # is the replaced file; an ATTACH opens the file that is there now
    con = duckdb.connect()
    try:
        con.execute(f"attach '{_sql_path(serving_path())}' as serving (read_only)")
        con.execute("use serving")
        bound = dict(params) if named else list(params)
        return con.sql(sql, params=bound).to_arrow_table().to_pandas()
    finally:
        con.close()


def query(sql: str, params: list | tuple | dict | None = None) -> pd.DataFrame:
    """``params`` bound to ``?`` in order, or a dict bound to ``$name``."""
    if isinstance(params, dict):
        return _cached(snapshot_version(), sql, tuple(sorted(params.items())), named=True)
    return _cached(snapshot_version(), sql, tuple(params or ()))


def scalar(sql: str, params: list | tuple | None = None):
    frame = query(sql, params)
    return frame.iloc[0, 0] if len(frame) else None


def total(frame: pd.DataFrame, column: str = "report_amount") -> Decimal:
    """A column's sum, exact; empty cells count as zero."""
    return sum((amount(value) for value in frame[column]), ZERO)


def published_at() -> datetime | None:
    value = scalar(f"select max(published_at) from {PUBLISH_INFO_TABLE}")
    return None if value is None or pd.isna(value) else value.to_pydatetime()


def has_table(name: str) -> bool:
    return bool(
        scalar("select count(*) from information_schema.tables where table_name = ?", [name])
    )


def require_tables(*names: str) -> None:
    """Stop the page with a clear note when the published snapshot lacks a mart it reads
    (a model is disabled when its sources are not configured, e.g. no ERP)."""
    missing = [name for name in names if not has_table(name)]
    if missing:
        st.info(
            "Den publicerade datan saknar "
            + ", ".join(f"`{name}`" for name in missing)
            + ": sidan behöver källor som inte är konfigurerade för något bolag "
            "(t.ex. affärssystemet), eller så har modellerna inte byggts och publicerats."
        )
        st.stop()


def amount(value) -> Decimal:
    """A summed amount from a query: ``Decimal``, with no value (NULL, NaN) as zero."""
    if value is None or (not isinstance(value, Decimal) and pd.isna(value)):
        return ZERO
    return value if isinstance(value, Decimal) else Decimal(str(value))


# -- companies and periods ---------------------------------------------------------------------


@dataclass(frozen=True)
class Company:
    company_id: str
    name: str


def companies() -> list[Company]:
    frame = query("select company_id, company_name from dim_company order by company_id")
    return [
        Company(row.company_id, row.company_name or row.company_id) for row in frame.itertuples()
    ]


@dataclass(frozen=True)
class FiscalYear:
    start: date
    end: date
    label: str


def fiscal_years(company_id: str) -> list[FiscalYear]:
    """The company's fiscal years, the latest first."""
    frame = query(
        "select fiscal_year_start, max(fiscal_year_end) as fiscal_year_end, "
        "max(fiscal_year) as fiscal_year from dim_fiscal_period where company_id = ? "
        "group by fiscal_year_start order by fiscal_year_start desc",
        [company_id],
    )
    return [
        FiscalYear(row.fiscal_year_start, row.fiscal_year_end, row.fiscal_year)
        for row in frame.itertuples()
    ]


@dataclass(frozen=True)
class Period:
    start: date
    end: date
    number: int

    @property
    def label(self) -> str:
        return f"{self.start:%Y-%m}"


def periods(company_id: str, fiscal_year_start: date) -> list[Period]:
    frame = query(
        "select period_start, period_end, fiscal_period_number from dim_fiscal_period "
        "where company_id = ? and fiscal_year_start = ? order by period_start",
        [company_id, fiscal_year_start],
    )
    return [
        Period(r.period_start, r.period_end, r.fiscal_period_number) for r in frame.itertuples()
    ]


def period_containing(company_id: str, day: date) -> Period | None:
    frame = query(
        "select period_start, period_end, fiscal_period_number from dim_fiscal_period "
        "where company_id = ? and ? between period_start and period_end",
        [company_id, day],
    )
    if frame.empty:
        return None
    row = frame.iloc[0]
    return Period(row["period_start"], row["period_end"], int(row["fiscal_period_number"]))


def last_booked_period(company_id: str, fiscal_year_start: date) -> date | None:
    """The year's last month with a booked voucher row: the period a report opens on."""
    value = scalar(
        "select max(period_start) from fct_gl_balance_monthly "
        "where company_id = ? and fiscal_year_start = ? and (debit <> 0 or credit <> 0)",
        [company_id, fiscal_year_start],
    )
    return None if value is None or pd.isna(value) else value


#: the dimension columns a filter may name, and the mart that lists their values
DIMENSIONS = {
    "cost_centre_code": ("dim_cost_centre", "cost_centre_name"),
    "project_code": ("dim_project", "project_name"),
    "warehouse_code": ("dim_warehouse", "warehouse_name"),
}


def dimension_values(company_id: str, column: str) -> pd.DataFrame:
    """Code and name of each cost centre, project or warehouse of the company."""
    table, name = DIMENSIONS[column]  # a KeyError here is a programming error, never user text
    return query(
        f"select {column} as code, coalesce({name}, {column}) as name from {table} "
        "where company_id = ? order by 1",
        [company_id],
    )


# -- income statement -------------------------------------------------------------------------


def income_statement(
    company_id: str, fiscal_year_start: date, period_start: date, where: str, params: list
) -> pd.DataFrame:
    """Per account: the period, the year to date, their budgets and the same calendar months
    a year earlier (whatever shape last year's fiscal year had), in report sign (income
    positive). ``where`` is a fixed condition on the cost-centre and project columns
    (``filters.Dimensions.where``), ``params`` its bound values."""
    return query(
        f"""
        with bounds as (
            select ?::date as year_start, ?::date as period_start,
                   (?::date - interval 1 year)::date as last_year_start,
                   (?::date - interval 1 year)::date as last_period_start
        ),
        actual as (
            select r.period_start, r.account_number, r.report_amount
            from rpt_income_statement as r, bounds as b
            where r.company_id = ? and {where}
              and (r.period_start between b.year_start and b.period_start
                   or r.period_start between b.last_year_start and b.last_period_start)
        ),
        budget as (
            select f.period_start, f.account_number, -f.budget_amount as report_amount
            from fct_budget_vs_actual as f
            join dim_account as a using (company_id, account_number), bounds as b
            where f.company_id = ? and a.statement = 'income_statement' and {where}
              and f.period_start between b.year_start and b.period_start
        ),
        per_account as (
            select
                account_number,
                sum(report_amount) filter (where a.period_start = b.period_start)
                    as period_amount,
                sum(report_amount) filter (where a.period_start >= b.year_start) as ytd_amount,
                sum(report_amount) filter (where a.period_start = b.last_period_start)
                    as last_year_period_amount,
                sum(report_amount) filter (where a.period_start < b.year_start)
                    as last_year_ytd_amount,
                null::decimal(18, 2) as budget_period_amount,
                null::decimal(18, 2) as budget_ytd_amount
            from actual as a, bounds as b
            group by account_number
            union all
            select
                account_number, null, null, null, null,
                sum(report_amount) filter (where g.period_start = b.period_start),
                sum(report_amount)
            from budget as g, bounds as b
            group by account_number
        )
        select
            a.report_section,
            a.report_line,
            a.report_line_ordinal,
            a.is_result_transfer,
            p.account_number,
            a.account_name,
            coalesce(sum(p.period_amount), 0)::decimal(18, 2) as period_amount,
            coalesce(sum(p.budget_period_amount), 0)::decimal(18, 2) as budget_period_amount,
            coalesce(sum(p.last_year_period_amount), 0)::decimal(18, 2)
                as last_year_period_amount,
            coalesce(sum(p.ytd_amount), 0)::decimal(18, 2) as ytd_amount,
            coalesce(sum(p.budget_ytd_amount), 0)::decimal(18, 2) as budget_ytd_amount,
            coalesce(sum(p.last_year_ytd_amount), 0)::decimal(18, 2) as last_year_ytd_amount
        from per_account as p
        join dim_account as a on a.company_id = ? and a.account_number = p.account_number
        group by all
        order by a.is_result_transfer, a.report_line_ordinal, p.account_number
        """,
        [
            fiscal_year_start, period_start, fiscal_year_start, period_start,
            company_id, *params,
            company_id, *params,
            company_id,
        ],
    )  # fmt: skip


def income_statement_by_month(
    company_id: str, fiscal_year_start: date, where: str, params: list
) -> pd.DataFrame:
    """Operating income, operating costs, financial items and the result per month of the
    year, in report sign; a booked result transfer (89xx) is not part of the result."""
    return query(
        f"""
        select
            r.period_start,
            coalesce(sum(r.report_amount) filter (
                where r.report_section = 'operating_income'), 0)::decimal(18, 2) as income,
            coalesce(sum(r.report_amount) filter (
                where r.report_section = 'operating_expenses'), 0)::decimal(18, 2) as costs,
            coalesce(sum(r.report_amount) filter (
                where r.report_section not in ('operating_income', 'operating_expenses')
                  and not a.is_result_transfer), 0)::decimal(18, 2) as financial,
            coalesce(sum(r.report_amount) filter (
                where not a.is_result_transfer), 0)::decimal(18, 2) as result
        from rpt_income_statement as r
        join dim_account as a using (company_id, account_number)
        where r.company_id = ? and r.fiscal_year_start = ? and {where}
        group by r.period_start
        order by r.period_start
        """,
        [company_id, fiscal_year_start, *params],
    )


# -- huvudbok ---------------------------------------------------------------------------------

#: at most this many voucher rows are listed at once; the downloads hold the same rows
LEDGER_ROW_LIMIT = 5000


def accounts(company_id: str) -> pd.DataFrame:
    return query(
        "select account_number, account_name from dim_account where company_id = ? order by 1",
        [company_id],
    )


def account_movements(
    company_id: str, account: str, start: date, end: date, text: str, where: str, params: list
) -> pd.DataFrame:
    """The account's voucher rows from ``start`` to ``end`` whose texts contain ``text``."""
    return query(
        f"""
        select
            voucher_date, voucher_series, voucher_number, voucher_text, row_text,
            cost_centre_code, project_code, amount, source_system, source_document_type,
            source_document_number, voucher_id
        from fct_gl_entries
        where company_id = ? and account_number = ? and voucher_date between ? and ?
          and (? = '' or contains(lower(coalesce(voucher_text, '') || ' ' ||
               coalesce(row_text, '')), lower(?)))
          and {where}
        order by voucher_date, voucher_series, voucher_number, row_number
        limit {LEDGER_ROW_LIMIT + 1}
        """,
        [company_id, account, start, end, text, text, *params],
    )


def account_totals(
    company_id: str, account: str, start: date, end: date, text: str, where: str, params: list
) -> tuple[Decimal, Decimal]:
    """Debit and credit of every row ``account_movements`` selects (not only those listed)."""
    frame = query(
        f"""
        select coalesce(sum(amount) filter (where amount > 0), 0)::decimal(18, 2) as debit,
               coalesce(-sum(amount) filter (where amount < 0), 0)::decimal(18, 2) as credit
        from fct_gl_entries
        where company_id = ? and account_number = ? and voucher_date between ? and ?
          and (? = '' or contains(lower(coalesce(voucher_text, '') || ' ' ||
               coalesce(row_text, '')), lower(?)))
          and {where}
        """,
        [company_id, account, start, end, text, text, *params],
    )
    return frame.iloc[0]["debit"], frame.iloc[0]["credit"]


def account_opening_balance(
    company_id: str, account: str, start: date, where: str, params: list
) -> Decimal:
    """The account's balance before ``start``: the opening balance of the month it falls in
    (balances are monthly) plus the rows of that month before it."""
    value = scalar(
        f"""
        select
            coalesce((select sum(opening_balance) from fct_gl_balance_monthly
                      where company_id = ? and account_number = ?
                        and period_start = date_trunc('month', ?::date) and {where}), 0)
            + coalesce((select sum(amount) from fct_gl_entries
                        where company_id = ? and account_number = ?
                          and voucher_date >= date_trunc('month', ?::date)
                          and voucher_date < ? and {where}), 0)
        """,
        [company_id, account, start, *params, company_id, account, start, start, *params],
    )
    return Decimal(value or 0).quantize(ZERO)


def voucher_rows(company_id: str, voucher_id: str, voucher_date: date) -> pd.DataFrame:
    """A voucher's rows; its date lets the scan skip the rest of the ledger."""
    return query(
        """
        select e.row_number, e.account_number, a.account_name, e.cost_centre_code,
               e.project_code, e.row_text, e.amount
        from fct_gl_entries as e
        left join dim_account as a using (company_id, account_number)
        where e.company_id = ? and e.voucher_date = ? and e.voucher_id = ?
        order by e.row_number
        """,
        [company_id, voucher_date, voucher_id],
    )


# -- balansräkning ----------------------------------------------------------------------------


def balance_sheet(company_id: str, period_ends: list[date]) -> pd.DataFrame:
    """Report lines at each of the period ends, in report sign (assets and equity and
    liabilities positive)."""
    return query(
        """
        select balance_sheet_side, report_section, report_line, report_line_ordinal, period_end,
               sum(report_amount)::decimal(18, 2) as report_amount
        from rpt_balance_sheet
        where company_id = ? and list_contains(?, period_end)
        group by all
        order by report_line_ordinal
        """,
        [company_id, period_ends],
    )


def balance_sheet_accounts(company_id: str, period_start: date) -> pd.DataFrame:
    return query(
        """
        select account_number, account_name, report_line, report_line_ordinal,
               opening_balance, period_change, closing_balance
        from rpt_trial_balance
        where company_id = ? and period_start = ? and statement = 'balance_sheet'
        order by report_line_ordinal, account_number
        """,
        [company_id, period_start],
    )


# -- översikt ---------------------------------------------------------------------------------


#: the overview's figures: the mart each reads, and its query for one company and period
_KEY_FIGURES = {
    "revenue": (
        "rpt_income_statement",
        "select coalesce(sum(report_amount), 0) from rpt_income_statement "
        "where company_id = $company and fiscal_year_start = $year and period_start <= $period "
        "and report_section = 'operating_income'",
    ),
    "result": (
        "rpt_income_statement",
        "select coalesce(sum(r.report_amount), 0) from rpt_income_statement as r "
        "join dim_account as a using (company_id, account_number) "
        "where r.company_id = $company and r.fiscal_year_start = $year "
        "and r.period_start <= $period and not a.is_result_transfer",
    ),
    "cash": (
        "rpt_trial_balance",
        "select coalesce(sum(closing_balance), 0) from rpt_trial_balance as t "
        "join dim_account as a using (company_id, account_number) "
        "where t.company_id = $company and t.period_start = $period and a.is_cash",
    ),
    "receivables": (
        "fct_ar_open_items_monthly",
        "select coalesce(sum(open_amount), 0) from fct_ar_open_items_monthly "
        "where company_id = $company and period_start = $period",
    ),
    "payables": (  # a debt, shown positive
        "fct_ap_open_items_monthly",
        "select -coalesce(sum(open_amount), 0) from fct_ap_open_items_monthly "
        "where company_id = $company and period_start = $period",
    ),
    "stock_value": (
        "fct_stock_balance_monthly",
        "select coalesce(sum(closing_value), 0) from fct_stock_balance_monthly "
        "where company_id = $company and period_start = $period",
    ),
    "open_findings": (
        "rec_findings",
        "select count(*) from rec_findings where company_id = $company",
    ),
}


def key_figures(company_id: str, fiscal_year_start: date, period_start: date) -> dict:
    """The overview's figures for the year to date and at the period's end; None for a figure
    whose mart the snapshot lacks (no stock without an ERP that keeps it, no reskontra without
    invoices)."""
    present = {name: sql for name, (table, sql) in _KEY_FIGURES.items() if has_table(table)}
    if not present:
        return dict.fromkeys(_KEY_FIGURES)
    frame = query(
        "select " + ", ".join(f"({sql}) as {name}" for name, sql in present.items()),
        {"company": company_id, "year": fiscal_year_start, "period": period_start},
    )
    figures = frame.iloc[0].to_dict()
    return {name: figures.get(name) for name in _KEY_FIGURES}


def findings_by_severity(company_id: str) -> pd.DataFrame:
    return query(
        "select severity, kind, count(*) as findings from rec_findings where company_id = ? "
        "group by severity, kind order by case severity when 'high' then 0 "
        "when 'medium' then 1 else 2 end, kind",
        [company_id],
    )


def findings(company_id: str, severities: list[str], kinds: list[str], text: str) -> pd.DataFrame:
    return query(
        """
        select finding_id, severity, kind, document_type, document, details, suggested_action
        from rec_findings
        where company_id = ?
          and (len(?) = 0 or list_contains(?, severity))
          and (len(?) = 0 or list_contains(?, kind))
          and (? = '' or contains(lower(details || ' ' || document), lower(?)))
        order by case severity when 'high' then 0 when 'medium' then 1 else 2 end,
                 kind, document
        """,
        [company_id, severities, severities, kinds, kinds, text, text],
    )


# -- prognos ----------------------------------------------------------------------------------

FORECAST_SERIES = {"revenue": "Intäkter", "costs": "Kostnader", "cash_flow": "Kassaflöde"}


def forecast(company_id: str, series: str) -> pd.DataFrame:
    """History and the chosen model's forecast with its 80 % and 95 % bands (computed at
    publish: fct_forecast_monthly)."""
    return query(
        """
        select period_start, period_kind, model, actual, forecast, lo_80, hi_80, lo_95, hi_95,
               open_items_adjustment
        from fct_forecast_monthly
        where company_id = ? and series = ? and is_chosen
        order by period_start
        """,
        [company_id, series],
    )


def forecast_accuracy(company_id: str, series: str) -> pd.DataFrame:
    return query(
        """
        select model, is_baseline, is_chosen, beats_baseline, holdout_start, holdout_end,
               holdout_months, train_months, mae, smape, mase, mae_without_open_items, note
        from rpt_forecast_accuracy
        where company_id = ? and series = ?
        order by is_chosen desc, mae
        """,
        [company_id, series],
    )


def forecast_holdout(company_id: str, series: str) -> pd.DataFrame:
    """Each model's forecast over the hold-out months, beside what happened."""
    return query(
        """
        select period_start, model, actual, forecast
        from fct_forecast_monthly
        where company_id = ? and series = ? and period_kind = 'holdout'
        order by period_start, model
        """,
        [company_id, series],
    )
