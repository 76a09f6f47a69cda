"""Every query the dashboards run, against serving.duckdb.

A connection is opened read-only for each query and closed right after: ``publish`` swaps in a
new file by rename, and the next query sees it. Parameters are always bound, never formatted
into the SQL. Amounts come back as ``Decimal`` (through Arrow), never as floats.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal

import duckdb
import pandas as pd

from ledgerbridge.config import Paths
from ledgerbridge.warehouse import PUBLISH_INFO_TABLE

NO_VALUE = "(ingen)"


def serving_path():
    return Paths.from_env().serving


def is_published() -> bool:
    return serving_path().exists()


def query(sql: str, params: list | None = None) -> pd.DataFrame:
    con = duckdb.connect(str(serving_path()), read_only=True)
    try:
        return con.sql(sql, params=params or []).to_arrow_table().to_pandas()
    finally:
        con.close()


def published_at() -> datetime | None:
    frame = query(f"select published_at from {PUBLISH_INFO_TABLE}")
    return frame.iloc[0, 0].to_pydatetime() if len(frame) else None


def companies() -> list[str]:
    return query("select distinct company_id from rpt_income_statement order by 1")[
        "company_id"
    ].tolist()


@dataclass(frozen=True)
class FiscalYear:
    start: date
    label: str


def fiscal_years(company_id: str) -> list[FiscalYear]:
    frame = query(
        "select distinct fiscal_year_start, fiscal_year from rpt_income_statement "
        "where company_id = ? order by fiscal_year_start desc",
        [company_id],
    )
    return [FiscalYear(row.fiscal_year_start, row.fiscal_year) for row in frame.itertuples()]


def dimension_values(company_id: str, fiscal_year_start: date, column: str) -> list[str]:
    """Cost centres or projects used in the year; ``NO_VALUE`` stands for rows without one."""
    if column not in ("cost_centre_code", "project_code"):
        raise ValueError(column)
    frame = query(
        f"select distinct coalesce({column}, ?) as value from rpt_income_statement "
        "where company_id = ? and fiscal_year_start = ? order by 1",
        [NO_VALUE, company_id, fiscal_year_start],
    )
    return frame["value"].tolist()


def income_statement(
    company_id: str,
    fiscal_year_start: date,
    cost_centres: list[str],
    projects: list[str],
) -> pd.DataFrame:
    """Rows of rpt_income_statement for the selection, summed per account and month."""
    return query(
        """
        select
            period_start,
            fiscal_period_number,
            report_section,
            report_line,
            report_line_ordinal,
            account_number,
            account_name,
            sum(report_amount) as report_amount
        from rpt_income_statement
        where company_id = ?
          and fiscal_year_start = ?
          and list_contains(?, coalesce(cost_centre_code, ?))
          and list_contains(?, coalesce(project_code, ?))
        group by all
        order by report_line_ordinal, account_number, period_start
        """,
        [company_id, fiscal_year_start, cost_centres, NO_VALUE, projects, NO_VALUE],
    )


def total(frame: pd.DataFrame, column: str = "report_amount") -> Decimal:
    return sum(frame[column], Decimal("0.00")) if len(frame) else Decimal("0.00")
