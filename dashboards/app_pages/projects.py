"""Projekt: each project's profitability for the year up to the selected period, against its
budget, and the work sold but not yet invoiced at the period's end; filtered by project.

fct_project_financials is debit positive like the ledger; the page shows report signs
(revenue positive, costs negative, täckningsbidrag = intäkter + kostnader).
"""

from __future__ import annotations

import plotly.graph_objects as go
import streamlit as st

from dashboards import filters, queries, tables
from dashboards.charts import CHART_LAYOUT, floats
from dashboards.formatting import kronor, month, number, percent
from dashboards.queries import ZERO, require_tables

st.title("Projekt")
sel = filters.selection()
require_tables("fct_project_financials", "dim_project")

dims = filters.dimensions(sel.company_id, project=True)
dims_sql, dims_params = dims.where(prefix="f.")

# The year's months up to the period (ERP work or a budget may fall on a month outside the
# books' fiscal years: the months are chosen by date, not by fiscal_year_start). Uninvoiced
# work is "to date": the project's latest month on or before the period, in any year.
PER_PROJECT = f"""
with facts as (
    select * from fct_project_financials as f
    where f.company_id = ? and f.period_start <= ? and {dims_sql}
),
year_to_date as (
    select
        project_code,
        -sum(revenue_amount) as revenue,
        -sum(cost_amount) as costs,
        -sum(margin_amount) as margin,
        -sum(budget_margin_amount) as budget_margin,
        -sum(budget_variance_amount) as budget_variance,
        sum(hours_ordered) as hours_ordered,
        sum(hours_invoiced) as hours_invoiced
    from facts
    where period_start >= ?
    group by project_code
),
to_date as (
    select
        project_code,
        arg_max(uninvoiced_hours_to_date, period_start) as uninvoiced_hours,
        arg_max(uninvoiced_amount_to_date, period_start) as uninvoiced_amount
    from facts
    group by project_code
)
select
    coalesce(y.project_code, t.project_code) as "Projekt",
    coalesce(p.project_name, y.project_code, t.project_code) as "Projektnamn",
    coalesce(y.revenue, 0) as "Intäkter",
    coalesce(y.costs, 0) as "Kostnader",
    coalesce(y.margin, 0) as "Täckningsbidrag",
    cast(round(100 * y.margin / nullif(y.revenue, 0), 1) as decimal(18, 1)) as "TG %",
    coalesce(y.budget_margin, 0) as "Budget TB",
    coalesce(y.budget_variance, 0) as "Avvikelse mot budget",
    coalesce(y.hours_ordered, 0) as "Sålda timmar",
    coalesce(y.hours_invoiced, 0) as "Fakturerade timmar",
    coalesce(t.uninvoiced_hours, 0) as "Ofakturerade timmar",
    coalesce(t.uninvoiced_amount, 0) as "Ofakturerat belopp"
from year_to_date as y
full outer join to_date as t on t.project_code = y.project_code
left join dim_project as p
    on p.company_id = ? and p.project_code = coalesce(y.project_code, t.project_code)
where y.project_code is not null or t.uninvoiced_amount <> 0 or t.uninvoiced_hours <> 0
order by 1
"""
projects = queries.query(
    PER_PROJECT,
    [sel.company_id, sel.period.start, *dims_params, sel.year.start, sel.company_id],
)
if projects.empty:
    st.info(
        f"Inget på några projekt för {sel.company_name} under "
        f"{filters.month_range(sel.year.start, sel.period.end)} i det valda urvalet."
    )
    st.stop()


def total(column: str):
    return queries.total(projects, column)


revenue, margin = total("Intäkter"), total("Täckningsbidrag")
st.caption(
    f"{sel.company_name} · året till och med perioden "
    f"({filters.month_range(sel.year.start, sel.period.end)}) · ofakturerat per "
    f"{sel.period.end:%Y-%m-%d}"
)
columns = st.columns(5)
columns[0].metric("Intäkter hittills i år", kronor(revenue))
columns[1].metric("Täckningsbidrag hittills i år", kronor(margin))
columns[2].metric("Täckningsgrad", percent(None if revenue == ZERO else 100 * margin / revenue))
columns[3].metric("Avvikelse mot budget-TB", kronor(total("Avvikelse mot budget")))
columns[4].metric(
    "Ofakturerat arbete",
    kronor(total("Ofakturerat belopp")),
    help=f"{number(total('Ofakturerade timmar'))} timmar sålda men inte fakturerade.",
)

figure = go.Figure()
labels = list(projects["Projekt"])
figure.add_bar(
    x=labels, y=floats(projects["Täckningsbidrag"]), name="Täckningsbidrag", marker_color="#1565c0"
)
figure.add_bar(x=labels, y=floats(projects["Budget TB"]), name="Budget TB", marker_color="#ef6c00")
figure.add_bar(
    x=labels,
    y=floats(projects["Ofakturerat belopp"]),
    name="Ofakturerat",
    marker_color="#9e9e9e",
)
figure.update_layout(
    **CHART_LAYOUT,
    barmode="group",
    yaxis_title="kr",
    title="Täckningsbidrag mot budget per projekt, hittills i år",
)
st.plotly_chart(figure, key="projects_margin_chart")

st.subheader("Per projekt")
tables.show(projects, f"projekt-{sel.company_id}-{sel.period.label}", key="projects_by_project")

st.subheader("Per månad")
by_month = queries.query(
    f"""
select
    f.period_start,
    -sum(f.revenue_amount) as "Intäkter",
    -sum(f.cost_amount) as "Kostnader",
    -sum(f.margin_amount) as "Täckningsbidrag",
    -sum(f.budget_margin_amount) as "Budget TB",
    -sum(f.budget_variance_amount) as "Avvikelse mot budget",
    sum(f.hours_ordered) as "Sålda timmar",
    sum(f.hours_invoiced) as "Fakturerade timmar"
from fct_project_financials as f
where f.company_id = ? and f.period_start between ? and ? and {dims_sql}
group by f.period_start
order by f.period_start
""",
    [sel.company_id, sel.year.start, sel.period.start, *dims_params],
)
by_month.insert(0, "Månad", [month(m) for m in by_month.pop("period_start")])
tables.show(
    by_month, f"projekt-per-manad-{sel.company_id}-{sel.period.label}", key="projects_by_month"
)

st.caption(
    "Belopp i kronor; intäkter positiva, kostnader negativa; TB = intäkter + kostnader, "
    "TG = TB / intäkter. Avvikelse = TB − budget-TB, positiv när projektet går bättre än "
    "budget. Timmar från affärssystemets order (sålda) och fakturor; ofakturerat = sålt "
    "men ännu inte fakturerat från projektets start till periodens slut. "
    "Källa: fct_project_financials."
)
