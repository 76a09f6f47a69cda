"""Resultaträkning: the period and the year to date, against budget and last year; a click
on an account opens its vouchers in the huvudbok."""

from __future__ import annotations

import pandas as pd
import plotly.graph_objects as go
import streamlit as st

from dashboards import drill, filters, queries, tables
from dashboards.charts import floats
from dashboards.formatting import kronor

st.title("Resultaträkning")
sel = filters.selection()
dims = filters.dimensions(sel.company_id, cost_centre=True, project=True)
where, params = dims.where()
rows = queries.income_statement(sel.company_id, sel.year.start, sel.period.start, where, params)
if rows.empty:
    st.info("Inga bokningar på resultatkonton för det valda urvalet.")
    st.stop()

# a booked result transfer (89xx against 2099) is shown after the result, not in it
transfer = rows[rows["is_result_transfer"]]
rows = rows[~rows["is_result_transfer"]]
income = rows[rows["report_section"] == "operating_income"]

st.caption(
    f"{sel.company_name} · period {sel.period.label} · året till och med perioden "
    f"({filters.month_range(sel.year.start, sel.period.end)})"
)
first, second, third, fourth = st.columns(4)
first.metric(
    "Intäkter (perioden)",
    kronor(queries.total(income, "period_amount")),
    delta=kronor(
        queries.total(income, "period_amount") - queries.total(income, "budget_period_amount")
    )
    + " mot budget",
    delta_arrow="off",
)
second.metric("Resultat (perioden)", kronor(queries.total(rows, "period_amount")))
third.metric("Resultat (året till dato)", kronor(queries.total(rows, "ytd_amount")))
fourth.metric(
    "Budget (året till dato)",
    kronor(queries.total(rows, "budget_ytd_amount")),
)

by_month = queries.income_statement_by_month(sel.company_id, sel.year.start, where, params)
if not by_month.empty:
    labels = [f"{m:%Y-%m}" for m in by_month["period_start"]]
    figure = go.Figure()
    figure.add_bar(x=labels, y=floats(by_month["income"]), name="Intäkter",
                   marker_color="#2e7d32")  # fmt: skip
    figure.add_bar(x=labels, y=floats(by_month["costs"]), name="Kostnader",
                   marker_color="#c62828")  # fmt: skip
    if any(by_month["financial"]):
        figure.add_bar(x=labels, y=floats(by_month["financial"]),
                       name="Finansiella poster", marker_color="#8d6e63")  # fmt: skip
    figure.add_scatter(x=labels, y=floats(by_month["result"]), name="Resultat",
                       mode="lines+markers", line_color="#1565c0")  # fmt: skip
    figure.update_layout(
        barmode="relative",
        height=340,
        margin={"l": 10, "r": 10, "t": 30, "b": 10},
        legend={"orientation": "h", "y": 1.12},
        yaxis_title="kr",
    )
    st.plotly_chart(figure, key="income_statement_chart")

COLUMNS = {
    "period_amount": "Perioden",
    "budget_period_amount": "Budget perioden",
    "last_year_period_amount": "Perioden i fjol",
    "ytd_amount": "Året till dato",
    "budget_ytd_amount": "Budget året",
    "last_year_ytd_amount": "Året i fjol",
}

lines = (
    rows.groupby(["report_line_ordinal", "report_line"], sort=True)[list(COLUMNS)]
    .sum()
    .reset_index()
    .drop(columns="report_line_ordinal")
)
result = {column: queries.total(rows, column) for column in COLUMNS}
lines.loc[len(lines)] = {"report_line": "Resultat", **result}
if not transfer.empty:
    booked = {column: queries.total(transfer, column) for column in COLUMNS}
    lines.loc[len(lines)] = {"report_line": "Bokfört årets resultat (89xx)", **booked}
lines = lines.rename(columns={"report_line": "Rapportrad", **COLUMNS})
st.subheader("Per rapportrad")
tables.show(lines, f"resultatrakning-{sel.company_id}-{sel.period.label}", key="by_report_line")

st.subheader("Per konto")
st.caption("Klicka på ett konto för att se verifikationerna bakom beloppet i huvudboken.")
accounts = pd.concat([rows, transfer])[
    ["account_number", "account_name", "report_line", *COLUMNS]
].rename(
    columns={
        "account_number": "Konto",
        "account_name": "Kontonamn",
        "report_line": "Rapportrad",
        **COLUMNS,
    }
)
drill.account_table(
    accounts,
    f"resultatrakning-konton-{sel.company_id}-{sel.period.label}",
    key="by_account",
    start=sel.year.start,
    end=sel.period.end,
    dimensions=lambda row: dims,
)

st.caption(
    "Belopp i kronor; intäkter positiva, kostnader negativa. Källa: rpt_income_statement "
    "(bokförda verifikationsrader) och fct_budget_vs_actual."
)
