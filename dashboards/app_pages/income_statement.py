"""Resultaträkning: the income statement by month, filtered by cost centre and project."""

from __future__ import annotations

from decimal import Decimal

import pandas as pd
import plotly.graph_objects as go
import streamlit as st

from dashboards import queries
from dashboards.formatting import kronor

st.title("Resultaträkning")

if not queries.is_published():
    st.info(
        "Inget är publicerat ännu. Kör `ledgerbridge demo` för demoföretaget, eller "
        "`ledgerbridge ingest`, `ledgerbridge build` och `ledgerbridge publish` för ert eget."
    )
    st.stop()

companies = queries.companies()
if not companies:
    st.info("Den publicerade ögonblicksbilden innehåller ingen resultaträkning.")
    st.stop()

with st.sidebar:
    company = st.selectbox("Bolag", companies, key="company")
    years = queries.fiscal_years(company)
    year = st.selectbox("Räkenskapsår", years, format_func=lambda y: y.label, key="fiscal_year")
    # Filters belong to one company and year (their options differ); empty means all.
    scope = f"{company}:{year.start}"
    cost_centre_options = queries.dimension_values(company, year.start, "cost_centre_code")
    cost_centres = (
        st.multiselect(
            "Resultatenhet", cost_centre_options, placeholder="Alla", key=f"cost_centres:{scope}"
        )
        or cost_centre_options
    )
    project_options = queries.dimension_values(company, year.start, "project_code")
    projects = (
        st.multiselect("Projekt", project_options, placeholder="Alla", key=f"projects:{scope}")
        or project_options
    )

rows = queries.income_statement(company, year.start, cost_centres, projects)
if rows.empty:
    st.warning("Inga bokningar för det valda urvalet.")
    st.stop()

revenue_rows = rows[rows["report_section"] == "operating_income"]
cost_rows = rows[rows["report_section"] == "operating_expenses"]
revenue = queries.total(revenue_rows)
costs = queries.total(cost_rows)
result = queries.total(rows)

first, second, third = st.columns(3)
first.metric("Rörelsens intäkter", kronor(revenue))
second.metric("Rörelsens kostnader", kronor(costs))
third.metric("Resultat", kronor(result))

months = sorted(rows["period_start"].unique())
labels = [f"{m:%Y-%m}" for m in months]


def per_month(frame: pd.DataFrame) -> list[Decimal]:
    sums = frame.groupby("period_start")["report_amount"].sum()
    return [sums.get(m, Decimal(0)) for m in months]


figure = go.Figure()
figure.add_bar(x=labels, y=per_month(revenue_rows), name="Intäkter", marker_color="#2e7d32")
figure.add_bar(x=labels, y=per_month(cost_rows), name="Kostnader", marker_color="#c62828")
figure.add_scatter(
    x=labels, y=per_month(rows), name="Resultat", mode="lines+markers", line_color="#1565c0"
)
figure.update_layout(
    barmode="relative",
    height=380,
    margin={"l": 10, "r": 10, "t": 30, "b": 10},
    legend={"orientation": "h", "y": 1.1},
    yaxis_title="kr",
)
st.plotly_chart(figure, key="income_statement_chart")


def by_month(index: list[str]) -> pd.DataFrame:
    """report_amount per ``index`` × month, with a total column."""
    table = rows.pivot_table(
        index=index,
        columns="period_start",
        values="report_amount",
        aggfunc="sum",
        fill_value=Decimal("0.00"),
    )
    table.columns = [f"{c:%Y-%m}" for c in table.columns]
    table["Totalt"] = table.sum(axis=1)
    # the ordinal only sorts the report lines; it is not for display
    return table.reset_index(level=0, drop=True)


lines = by_month(["report_line_ordinal", "report_line"])
lines.loc["Resultat"] = lines.sum(axis=0)
lines.index.name = "Rapportrad"
amount_columns = {
    column: st.column_config.NumberColumn(column, format="localized") for column in lines.columns
}
st.subheader("Per rapportrad")
st.dataframe(lines, key="by_report_line", column_config=amount_columns)

with st.expander("Per konto"):
    accounts = by_month(["report_line_ordinal", "account_number", "account_name"])
    st.dataframe(accounts, key="by_account", column_config=amount_columns)

st.caption(
    "Belopp i kronor; intäkter positiva, kostnader negativa. Källa: rpt_income_statement "
    "(bokförda verifikationsrader, #TRANS)."
)
