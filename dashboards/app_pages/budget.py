"""Budget mot utfall: the period and the year to date against the budget, per report line and
per account × cost centre × project, filtered by cost centre and project.

fct_budget_vs_actual is debit positive like the ledger; the page shows report signs (revenue
positive, costs negative; a balance-sheet account a budget names in its normal sign), so a
positive variance is always better than budgeted.
"""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal

import pandas as pd
import plotly.graph_objects as go
import streamlit as st

from dashboards import drill, filters, queries, tables
from dashboards.charts import CHART_LAYOUT, floats
from dashboards.formatting import kronor, month
from dashboards.queries import ZERO, require_tables

TENTH = Decimal("0.1")
AMOUNTS = [
    "Budget perioden",
    "Utfall perioden",
    "Avvikelse perioden",
    "Budget ack.",
    "Utfall ack.",
    "Avvikelse ack.",
]

st.title("Budget mot utfall")
sel = filters.selection()
require_tables("fct_budget_vs_actual", "dim_account")

dims = filters.dimensions(sel.company_id, cost_centre=True, project=True)
dims_sql, dims_params = dims.where(prefix="b.")

# One row per budget/actual row of the year, in report sign. A result account is one the
# chart puts in the income statement (BAS classes 3–8 where the chart does not say).
ROWS = f"""
with signed as (
    select
        b.period_start,
        b.account_number,
        coalesce(a.account_name, b.account_number) as account_name,
        coalesce(a.report_line, 'Konto utanför kontoplanen') as report_line,
        coalesce(a.report_line_ordinal, 9999) as report_line_ordinal,
        coalesce(
            a.statement = 'income_statement', left(b.account_number, 1) between '3' and '8'
        ) and not coalesce(a.is_result_transfer, false) as is_result,
        case when is_result then -1 else coalesce(a.normal_sign, 1) end as report_sign,
        b.cost_centre_code,
        b.project_code,
        b.has_budget,
        b.budget_version,
        b.budget_amount,
        b.actual_amount
    from fct_budget_vs_actual as b
    left join dim_account as a
        on a.company_id = b.company_id and a.account_number = b.account_number
    where b.company_id = ? and b.fiscal_year_start = ? and {dims_sql}
),
rows as (
    select
        * exclude (budget_amount, actual_amount),
        period_start = ? as in_period,
        period_start <= ? as to_date,
        budget_amount * report_sign as budget_amount,
        actual_amount * report_sign as actual_amount
    from signed
)
"""
ROWS_PARAMS = [
    sel.company_id,
    sel.year.start,
    *dims_params,
    sel.period.start,
    sel.period.start,
]

# the report's columns: the selected period, and the year up to and including it
COLUMNS = """
    coalesce(sum(budget_amount) filter (where in_period), 0) as "Budget perioden",
    coalesce(sum(actual_amount) filter (where in_period), 0) as "Utfall perioden",
    coalesce(sum(actual_amount - budget_amount) filter (where in_period), 0)
        as "Avvikelse perioden",
    sum(budget_amount) as "Budget ack.",
    sum(actual_amount) as "Utfall ack.",
    sum(actual_amount - budget_amount) as "Avvikelse ack.",
    cast(round(100 * sum(actual_amount - budget_amount)
        / nullif(abs(sum(budget_amount)), 0), 1) as decimal(18, 1)) as "Avvikelse ack. %"
"""


def year_to_date(select: str, group_by: str, order_by: str) -> pd.DataFrame:
    sql = ROWS + (
        f"select {select}, {COLUMNS} from rows where to_date "
        f"group by {group_by} order by {order_by}"
    )
    return queries.query(sql, ROWS_PARAMS)


monthly = queries.query(
    ROWS
    + """
select
    period_start,
    sum(budget_amount) as budget_amount,
    sum(actual_amount) as actual_amount,
    bool_or(has_budget) as has_budget,
    string_agg(distinct budget_version, ', ' order by budget_version) as budget_versions
from rows
where is_result
group by period_start
order by period_start
""",
    ROWS_PARAMS,
)
if monthly.empty:
    st.info(
        f"Varken budget eller utfall på resultatkonton för {sel.company_name} "
        f"räkenskapsåret {sel.year.label} i det valda urvalet."
    )
    st.stop()

if not monthly["has_budget"].any():
    st.warning(
        f"Ingen budget är inläst för räkenskapsåret {sel.year.label}: hela utfallet visas "
        "som avvikelse."
    )

in_period = monthly[monthly["period_start"] == sel.period.start]
to_date = monthly[monthly["period_start"] <= sel.period.start]


period_budget, period_actual = (
    queries.total(in_period, "budget_amount"),
    queries.total(in_period, "actual_amount"),
)
ytd_budget = queries.total(to_date, "budget_amount")
ytd_actual = queries.total(to_date, "actual_amount")

st.caption(f"Resultat (intäkter minus kostnader), period {sel.period.label}")
first, second, third = st.columns(3)
first.metric("Utfall perioden", kronor(period_actual))
second.metric("Budget perioden", kronor(period_budget))
third.metric("Avvikelse perioden", kronor(period_actual - period_budget))
st.caption(f"Resultat hittills i år, {filters.month_range(sel.year.start, sel.period.end)}")
first, second, third = st.columns(3)
first.metric("Utfall hittills i år", kronor(ytd_actual))
second.metric("Budget hittills i år", kronor(ytd_budget))
third.metric("Avvikelse hittills i år", kronor(ytd_actual - ytd_budget))

# the year's budget month by month; the actual up to the selected period
months = [month(p.start) for p in sel.periods]
budget_by_month = dict(zip(monthly["period_start"], monthly["budget_amount"], strict=True))
actual_by_month = dict(zip(monthly["period_start"], monthly["actual_amount"], strict=True))
figure = go.Figure()
figure.add_bar(
    x=months,
    y=floats(
        actual_by_month.get(p.start, ZERO) if p.start <= sel.period.start else None
        for p in sel.periods
    ),
    name="Utfall",
    marker_color="#1565c0",
)
figure.add_scatter(
    x=months,
    y=floats(budget_by_month.get(p.start, ZERO) for p in sel.periods),
    name="Budget",
    mode="lines+markers",
    line={"color": "#ef6c00", "dash": "dash"},
)
figure.update_layout(**CHART_LAYOUT, yaxis_title="kr", title="Resultat per månad")
st.plotly_chart(figure, key="budget_monthly_chart")

st.subheader("Per rapportrad")
lines = year_to_date(
    'report_line as "Rapportrad", is_result',
    "report_line_ordinal, report_line, is_result",
    "report_line_ordinal, report_line",
)
result_lines = lines[lines["is_result"]]
total = {"Rapportrad": "Resultat", "is_result": True}
for column in AMOUNTS:
    total[column] = queries.total(result_lines, column)
budget_total = total["Budget ack."]
total["Avvikelse ack. %"] = (
    None
    if budget_total == ZERO
    else (100 * total["Avvikelse ack."] / abs(budget_total)).quantize(TENTH, ROUND_HALF_UP)
)
lines = pd.concat(
    [result_lines, pd.DataFrame([total]), lines[~lines["is_result"]]], ignore_index=True
)
tables.show(
    lines.drop(columns="is_result"),
    f"budget-{sel.company_id}-{sel.period.label}",
    key="budget_by_report_line",
)

st.subheader("Per konto, resultatenhet och projekt")
st.caption("Klicka på en rad för att se verifikationerna bakom utfallet i huvudboken.")
accounts = year_to_date(
    'account_number as "Konto", account_name as "Kontonamn", '
    'cost_centre_code as "Resultatenhet", project_code as "Projekt"',
    "report_line_ordinal, account_number, account_name, cost_centre_code, project_code",
    "report_line_ordinal, account_number, cost_centre_code nulls first, project_code nulls first",
)
accounts[["Resultatenhet", "Projekt"]] = accounts[["Resultatenhet", "Projekt"]].fillna(
    queries.NO_VALUE
)
drill.account_table(
    accounts,
    f"budget-konton-{sel.company_id}-{sel.period.label}",
    key="budget_by_account",
    start=sel.year.start,
    end=sel.period.end,
    dimensions=lambda row: filters.Dimensions(
        cost_centres=(row["Resultatenhet"],), projects=(row["Projekt"],)
    ),
)

versions = ", ".join(v for v in monthly["budget_versions"].dropna().unique())
st.caption(
    "Belopp i kronor; intäkter positiva, kostnader negativa; avvikelse = utfall − budget, "
    "positiv när utfallet är bättre än budget. "
    + (f"Budget: {versions}. " if versions else "")
    + "Källa: fct_budget_vs_actual."
)
