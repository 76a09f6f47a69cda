"""Lager: each warehouse's stock at the period's end and its movements during the period, and
the stock value against the inventory accounts of the books, month by month; filtered by
warehouse.

Quantities and values come from the ERP's stock moves (fct_stock_balance_monthly,
fct_stock_movements); the books' side from rpt_inventory_vs_ledger, which maps each inventory
account of the chart to the warehouses it holds (several warehouses may share one account).
"""

from __future__ import annotations

import plotly.graph_objects as go
import streamlit as st

from dashboards import filters, queries, tables
from dashboards.charts import CHART_LAYOUT, floats
from dashboards.formatting import kronor, month
from dashboards.queries import require_tables

#: how many of the period's movements the list shows (the sums above it cover them all)
MOVEMENT_ROWS = 5000

MOVE_TYPES = {
    "receipt": "Inleverans (inköp)",
    "delivery": "Utleverans (försäljning)",
    "internal_transfer": "Omföring mellan lager",
    "adjustment": "Inventering och justering",
}

st.title("Lager")
sel = filters.selection()
require_tables("fct_stock_balance_monthly", "fct_stock_movements")

dims = filters.dimensions(sel.company_id, warehouse=True)
dims_sql, dims_params = dims.where(prefix="s.")

per_warehouse = queries.query(
    f"""
select
    s.warehouse_code as "Lager",
    coalesce(w.warehouse_name, s.warehouse_code) as "Lagernamn",
    sum(s.opening_value) as "Ingående värde",
    sum(s.value_in) as "Värde in",
    sum(s.value_out) as "Värde ut",
    sum(s.closing_value) as "Utgående värde",
    sum(s.quantity_in) as "Antal in",
    sum(s.quantity_out) as "Antal ut",
    sum(s.closing_quantity) as "Antal vid periodens slut",
    count(*) filter (where s.closing_quantity <> 0) as "Artiklar i lager"
from fct_stock_balance_monthly as s
left join dim_warehouse as w
    on w.company_id = s.company_id and w.warehouse_code = s.warehouse_code
where s.company_id = ? and s.period_start = ? and {dims_sql}
group by all
order by 1
""",
    [sel.company_id, sel.period.start, *dims_params],
)
if per_warehouse.empty:
    st.info(
        f"Inget lagersaldo för {sel.company_name} per {sel.period.end:%Y-%m-%d} i det valda "
        "urvalet (affärssystemet har inga lagerrörelser till och med perioden)."
    )
    st.stop()


# the books' side: the inventory accounts whose warehouses include a chosen one
has_ledger = queries.has_table("rpt_inventory_vs_ledger")
ledger_sql = """
select
    l.period_start,
    l.account_number,
    coalesce(a.account_name, l.account_number) as account_name,
    l.warehouse_codes,
    l.books_reached,
    l.stock_value,
    l.account_balance,
    l.difference
from rpt_inventory_vs_ledger as l
left join dim_account as a
    on a.company_id = l.company_id and a.account_number = l.account_number
where l.company_id = ? and l.period_start between ? and ?
    and (len(?::varchar[]) = 0
        or list_has_any(string_split(l.warehouse_codes, ', '), ?::varchar[]))
order by l.period_start, l.account_number
"""
chosen = list(dims.warehouses)
ledger = (
    queries.query(ledger_sql, [sel.company_id, sel.year.start, sel.period.start, chosen, chosen])
    if has_ledger
    else None
)
ledger_now = None if ledger is None else ledger[ledger["period_start"] == sel.period.start]

st.caption(
    f"{sel.company_name} · lagret per {sel.period.end:%Y-%m-%d} och rörelserna under "
    f"{sel.period.label}"
)
first, second, third, fourth = st.columns(4)
stock_value = queries.total(per_warehouse, "Utgående värde")
first.metric("Lagervärde vid periodens slut", kronor(stock_value))
second.metric("Inleverans under perioden", kronor(queries.total(per_warehouse, "Värde in")))
third.metric("Utleverans under perioden", kronor(queries.total(per_warehouse, "Värde ut")))
if ledger_now is not None and len(ledger_now):
    fourth.metric(
        "Differens mot bokföringen",
        kronor(queries.total(ledger_now, "difference")),
        help="Lagervärdet enligt affärssystemet minus saldot på lagerkontona.",
    )

if ledger is not None and len(ledger):
    monthly = (
        ledger.groupby("period_start", sort=True)[["stock_value", "account_balance"]]
        .sum()
        .reset_index()
    )
    labels = [month(m) for m in monthly["period_start"]]
    figure = go.Figure()
    figure.add_bar(
        x=labels,
        y=floats(monthly["stock_value"]),
        name="Lagervärde (affärssystemet)",
        marker_color="#1565c0",
    )
    figure.add_scatter(
        x=labels,
        y=floats(monthly["account_balance"]),
        name="Bokfört värde (lagerkonton)",
        mode="lines+markers",
        line={"color": "#ef6c00"},
    )
    figure.update_layout(
        **CHART_LAYOUT, yaxis_title="kr", title="Lagervärde mot bokfört värde per månad"
    )
    st.plotly_chart(figure, key="inventory_vs_ledger_chart")

st.subheader("Per lager")
tables.show(
    per_warehouse, f"lager-{sel.company_id}-{sel.period.label}", key="inventory_by_warehouse"
)

if ledger_now is not None:
    st.subheader("Mot bokföringen")
    if ledger_now.empty:
        st.info("Inget lagerkonto i bokföringen hör till de valda lagren.")
    else:
        against = ledger_now.drop(columns="period_start").rename(
            columns={
                "account_number": "Konto",
                "account_name": "Kontonamn",
                "warehouse_codes": "Lager",
                "books_reached": "Bokfört t.o.m. periodens slut",
                "stock_value": "Lagervärde",
                "account_balance": "Bokfört värde",
                "difference": "Differens",
            }
        )
        tables.show(
            against,
            f"lager-mot-bokforing-{sel.company_id}-{sel.period.label}",
            key="inventory_vs_ledger",
        )
        if not ledger_now["books_reached"].all():
            st.caption(
                "Bokföringen har ännu inga verifikationer efter periodens slut: månadens "
                "lagerverifikation är kanske inte bokförd, så en differens är ännu ingen differens."
            )

st.subheader("Per artikel")
items = queries.query(
    f"""
select
    s.item_number as "Artikel",
    coalesce(i.item_name, s.item_number) as "Benämning",
    s.warehouse_code as "Lager",
    s.closing_quantity as "Antal",
    s.closing_value as "Värde",
    s.quantity_in as "Antal in",
    s.quantity_out as "Antal ut"
from fct_stock_balance_monthly as s
left join dim_item as i on i.company_id = s.company_id and i.item_code = s.item_number
where s.company_id = ? and s.period_start = ? and {dims_sql}
    and (s.closing_quantity <> 0 or s.quantity_in <> 0 or s.quantity_out <> 0)
order by s.item_number, s.warehouse_code
""",
    [sel.company_id, sel.period.start, *dims_params],
)
tables.show(items, f"lager-artiklar-{sel.company_id}-{sel.period.label}", key="inventory_by_item")

st.subheader("Rörelser under perioden")
movement_where = f"""
from fct_stock_movements as s
left join dim_item as i on i.company_id = s.company_id and i.item_code = s.item_number
where s.company_id = ? and s.move_date between ? and ? and {dims_sql}
"""
movement_params = [sel.company_id, sel.period.start, sel.period.end, *dims_params]
by_type = queries.query(
    f"""
select s.warehouse_code, s.move_type, count(*) as moves, sum(s.quantity) as quantity,
    sum(s.stock_value) as stock_value
{movement_where}
group by all
order by 1, 2
""",
    movement_params,
)
if by_type.empty:
    st.info(f"Inga lagerrörelser under {sel.period.label}.")
else:
    summary = by_type.rename(
        columns={
            "warehouse_code": "Lager",
            "move_type": "Rörelsetyp",
            "moves": "Rörelser",
            "quantity": "Antal",
            "stock_value": "Värde",
        }
    )
    summary["Rörelsetyp"] = summary["Rörelsetyp"].map(lambda t: MOVE_TYPES.get(t, t))
    tables.show(
        summary,
        f"lagerrorelser-summa-{sel.company_id}-{sel.period.label}",
        key="inventory_moves_by_type",
    )
    moves = queries.query(
        f"""
select
    s.move_date as "Datum",
    s.warehouse_code as "Lager",
    s.item_number as "Artikel",
    coalesce(i.item_name, s.item_number) as "Benämning",
    s.move_type as "Rörelsetyp",
    s.source_reference as "Underlag",
    s.quantity as "Antal",
    s.unit_cost as "Styckkostnad",
    s.stock_value as "Värde"
{movement_where}
order by s.move_date, s.move_id, s.warehouse_code
limit {MOVEMENT_ROWS + 1}
""",
        movement_params,
    )
    moves["Rörelsetyp"] = moves["Rörelsetyp"].map(lambda t: MOVE_TYPES.get(t, t))
    if len(moves) > MOVEMENT_ROWS:
        st.caption(f"Visar de första {MOVEMENT_ROWS} rörelserna; summorna ovan gäller alla.")
        moves = moves.head(MOVEMENT_ROWS)
    with st.expander(f"Alla rörelser ({min(len(moves), MOVEMENT_ROWS)})"):
        tables.show(
            moves, f"lagerrorelser-{sel.company_id}-{sel.period.label}", key="inventory_moves"
        )

st.caption(
    "Värden i kronor till den styckkostnad som gällde vid rörelsen; ut negativa. "
    "Källa: fct_stock_balance_monthly, fct_stock_movements och rpt_inventory_vs_ledger."
)
