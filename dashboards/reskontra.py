"""Kundreskontra and leverantörsreskontra: one page body for both, told which by a ``Kind``.

At the selected period's end: the open items aged into buckets (chart and table), per
customer or supplier, and item by item; the invoices of the fiscal year up to the period with
what was still open of each at its end; DSO or DPO month by month. Filtered by cost centre and
project (the invoices carry both); DSO and DPO are the whole company's.

Amounts are shown as a controller reads the ledger: a receivable positive, and a payable
positive too (the marts keep the payables account's sign, an unpaid invoice negative). Table
and column names come from the fixed ``Kind`` below, never from a user.
"""

from __future__ import annotations

from dataclasses import dataclass

import pandas as pd
import plotly.graph_objects as go
import streamlit as st

from dashboards import filters, queries, tables
from dashboards.charts import CHART_LAYOUT, floats
from dashboards.filters import Selection
from dashboards.formatting import days, kronor, month
from dashboards.queries import ZERO, amount, require_tables

#: the marts' aging buckets, in order, with their labels
BUCKETS = {
    "not_due": "Ej förfallet",
    "1-30": "1–30 dagar",
    "31-60": "31–60 dagar",
    "61-90": "61–90 dagar",
    ">90": "Mer än 90 dagar",
    "no_due_date": "Förfallodag saknas",
}
OVERDUE = ("1-30", "31-60", "61-90", ">90")
BUCKET_COLOURS = ["#2e7d32", "#f9a825", "#ef6c00", "#d84315", "#b71c1c", "#9e9e9e"]

#: how many open items and invoices a list shows (the sums cover them all)
LIST_ROWS = 5000


@dataclass(frozen=True)
class Kind:
    #: widget keys
    key: str
    #: download file names
    slug: str
    open_items: str
    invoices: str
    party_table: str
    party_key: str
    party_name: str
    party_label: str
    #: the columns that identify an invoice in both marts
    invoice_key: tuple[str, ...]
    #: the invoice number a person reads
    invoice_number: str
    #: +1 or -1: the mart's sign to the page's (amounts open positive)
    sign: int
    open_label: str
    days_column: str
    days_label: str
    days_help: str
    ledger_column: str
    flow_column: str


RECEIVABLES = Kind(
    key="ar",
    slug="kundreskontra",
    open_items="fct_ar_open_items_monthly",
    invoices="fct_ar_invoices",
    party_table="dim_customer",
    party_key="customer_number",
    party_name="customer_name",
    party_label="Kund",
    invoice_key=("invoice_number",),
    invoice_number="invoice_number",
    sign=1,
    open_label="Öppna kundfordringar",
    days_column="dso_days",
    days_label="DSO",
    days_help=(
        "Kundkredittid (days sales outstanding): öppna kundfordringar vid periodens slut "
        "delat med kundfakturerat (inkl. moms) de tre senaste perioderna, gånger deras dagar. "
        "Hela bolaget, oberoende av filtren."
    ),
    ledger_column="receivables",
    flow_column="sales_3_periods",
)

PAYABLES = Kind(
    key="ap",
    slug="leverantorsreskontra",
    open_items="fct_ap_open_items_monthly",
    invoices="fct_ap_invoices",
    party_table="dim_supplier",
    party_key="supplier_number",
    party_name="supplier_name",
    party_label="Leverantör",
    invoice_key=("supplier_number", "supplier_invoice_number"),
    invoice_number="supplier_invoice_number",
    sign=-1,
    open_label="Öppna leverantörsskulder",
    days_column="dpo_days",
    days_label="DPO",
    days_help=(
        "Leverantörskredittid (days payables outstanding): öppna leverantörsskulder vid "
        "periodens slut delat med leverantörsfakturerat (inkl. moms) de tre senaste "
        "perioderna, gånger deras dagar. "
        "Hela bolaget, oberoende av filtren."
    ),
    ledger_column="payables",
    flow_column="purchases_3_periods",
)


def _bucket_sums(kind: Kind) -> str:
    """One column per aging bucket (fixed names), amounts in the page's sign."""
    return ",\n".join(
        f"coalesce(sum(o.open_amount) filter (where o.aging_bucket = '{bucket}'), 0) "
        f'* {kind.sign} as "{label}"'
        for bucket, label in BUCKETS.items()
    )


def _parties(kind: Kind) -> str:
    """The register that names customers or suppliers: the dimension where an ERP or
    accounting system with a register is configured, else the names the invoices carry (a
    company whose ERP comes as an export and whose books are SIE files has no register)."""
    if queries.has_table(kind.party_table):
        return kind.party_table
    return (
        f"(select company_id, {kind.party_key}, any_value({kind.party_name}) as "
        f"{kind.party_name} from {kind.invoices} group by company_id, {kind.party_key})"
    )


def render(kind: Kind, sel: Selection) -> None:
    """The page below its title, for ``kind``, at the selection of the sidebar."""
    require_tables(kind.open_items, kind.invoices)
    parties = _parties(kind)
    dims = filters.dimensions(sel.company_id, cost_centre=True, project=True)
    where, where_params = dims.where(prefix="o.")
    at_end = f"o.company_id = ? and o.period_end = ? and {where}"
    at_end_params = [sel.company_id, sel.period.end, *where_params]
    party_join = (
        f"left join {parties} as p on p.company_id = o.company_id "
        f"and p.{kind.party_key} = o.{kind.party_key}"
    )

    _reach_note(kind, sel)

    aging = queries.query(
        f"""
select o.aging_bucket, count(*) as items, sum(o.open_amount) * {kind.sign} as open_amount
from {kind.open_items} as o
where {at_end}
group by o.aging_bucket
""",
        at_end_params,
    )
    by_bucket = {row.aging_bucket: row for row in aging.itertuples()}
    open_total = sum((amount(row.open_amount) for row in by_bucket.values()), ZERO)
    overdue = sum(
        (amount(by_bucket[b].open_amount) for b in OVERDUE if b in by_bucket),
        ZERO,
    )
    items = int(sum(row.items for row in by_bucket.values()))
    ratio = (
        queries.scalar(
            f"select {kind.days_column} from rpt_dso_dpo_monthly "
            "where company_id = ? and period_end = ?",
            [sel.company_id, sel.period.end],
        )
        if queries.has_table("rpt_dso_dpo_monthly")
        else None
    )

    st.caption(f"{sel.company_name} · öppna poster per {sel.period.end:%Y-%m-%d}")
    first, second, third, fourth = st.columns(4)
    first.metric(kind.open_label, kronor(open_total))
    second.metric("Varav förfallet", kronor(overdue))
    third.metric("Öppna fakturor", f"{items}")
    fourth.metric(
        kind.days_label,
        days(ratio),
        help=kind.days_help,
    )

    st.subheader("Åldersanalys")
    if not by_bucket:
        st.info(f"Inga öppna poster per {sel.period.end:%Y-%m-%d} i det valda urvalet.")
    else:
        buckets = pd.DataFrame(
            {
                "Förfallen": list(BUCKETS.values()),
                "Fakturor": [int(by_bucket[b].items) if b in by_bucket else 0 for b in BUCKETS],
                "Öppet belopp": [
                    amount(by_bucket[b].open_amount) if b in by_bucket else ZERO for b in BUCKETS
                ],
            }
        )
        figure = go.Figure(
            go.Bar(
                x=buckets["Förfallen"],
                y=floats(buckets["Öppet belopp"]),
                marker_color=BUCKET_COLOURS,
                text=[kronor(v) for v in buckets["Öppet belopp"]],
                textposition="outside",
            )
        )
        figure.update_layout(**CHART_LAYOUT, yaxis_title="kr", showlegend=False)
        left, right = st.columns([3, 2])
        with left:
            st.plotly_chart(figure, key=f"{kind.key}_aging_chart")
        with right:
            tables.show(
                buckets,
                f"{kind.slug}-aldersanalys-{sel.company_id}-{sel.period.label}",
                key=f"{kind.key}_aging",
            )

        st.subheader(f"Per {kind.party_label.lower()}")
        per_party = queries.query(
            f"""
select
    o.{kind.party_key} as "{kind.party_label}",
    coalesce(any_value(p.{kind.party_name}), o.{kind.party_key}) as "Namn",
    count(*) as "Fakturor",
    sum(o.open_amount) * {kind.sign} as "Öppet belopp",
    {_bucket_sums(kind)}
from {kind.open_items} as o
{party_join}
where {at_end}
group by o.{kind.party_key}
order by "Öppet belopp" desc, 1
""",
            at_end_params,
        )
        tables.show(
            per_party,
            f"{kind.slug}-per-{kind.party_label.lower()}-{sel.company_id}-{sel.period.label}",
            key=f"{kind.key}_by_party",
        )

        with st.expander(f"Öppna poster per {sel.period.end:%Y-%m-%d}"):
            open_items = queries.query(
                f"""
select
    o.{kind.invoice_number} as "Faktura",
    o.{kind.party_key} as "{kind.party_label}",
    coalesce(p.{kind.party_name}, o.{kind.party_key}) as "Namn",
    o.invoice_date as "Fakturadatum",
    o.due_date as "Förfallodatum",
    o.days_overdue as "Dagar efter förfallodag",
    o.aging_bucket as "Förfallen",
    o.cost_centre_code as "Resultatenhet",
    o.project_code as "Projekt",
    o.currency_code as "Valuta",
    o.gross_amount * {kind.sign} as "Fakturabelopp",
    o.paid_amount * {kind.sign} as "Betalt",
    o.open_amount * {kind.sign} as "Öppet belopp"
from {kind.open_items} as o
{party_join}
where {at_end}
order by o.days_overdue desc nulls last, o.due_date, 1
limit {LIST_ROWS}
""",
                at_end_params,
            )
            open_items["Förfallen"] = open_items["Förfallen"].map(lambda b: BUCKETS.get(b, b))
            tables.show(
                open_items,
                f"{kind.slug}-oppna-poster-{sel.company_id}-{sel.period.label}",
                key=f"{kind.key}_open_items",
            )

    _invoices(kind, sel, dims)
    _days_outstanding(kind, sel)


def _reach_note(kind: Kind, sel: Selection) -> None:
    """Say so when the period ends after the reskontra's last invoice or payment: the marts
    age items only up to that month, so later period ends show nothing open."""
    reach = queries.scalar(
        f"select max(greatest(invoice_date, coalesce(final_payment_date, invoice_date))) "
        f"from {kind.invoices} where company_id = ?",
        [sel.company_id],
    )
    if reach is None or pd.isna(reach):
        st.info("Reskontran har inga fakturor för bolaget.")
        st.stop()
    if (reach.year, reach.month) < (sel.period.end.year, sel.period.end.month):
        st.warning(
            f"Reskontran har inga fakturor eller betalningar efter {reach:%Y-%m-%d}: "
            f"öppna poster per {sel.period.end:%Y-%m-%d} är inte åldersanalyserade."
        )


def _invoices(kind: Kind, sel: Selection, dims: filters.Dimensions) -> None:
    """The fiscal year's invoices up to the period's end, with each one's open balance then."""
    where, where_params = dims.where(prefix="i.")
    st.subheader("Årets fakturor")
    joined = " and ".join(f"o.{column} = i.{column}" for column in kind.invoice_key)
    year_params = [sel.company_id, sel.year.start, sel.period.end, *where_params]
    invoices_of_the_year = (
        f"from {kind.invoices} as i "
        f"where i.company_id = ? and i.invoice_date between ? and ? and {where}"
    )
    # summed in SQL over every invoice; only the listing is cut (a year has hundreds of
    # thousands of invoices at ten million GL rows)
    summary = queries.query(
        f"select count(*) as invoices, sum(i.gross_amount) * {kind.sign} as invoiced "
        + invoices_of_the_year,
        year_params,
    ).iloc[0]
    if not summary["invoices"]:
        st.info(
            "Inga fakturor under "
            f"{filters.month_range(sel.year.start, sel.period.end)} i det valda urvalet."
        )
        return
    frame = queries.query(
        f"""
with i as (
    select i.* {invoices_of_the_year}
    order by i.invoice_date, i.{kind.invoice_number}
    limit {LIST_ROWS}
),
o as (
    select * from {kind.open_items} where company_id = ? and period_end = ?
)
select
    i.{kind.invoice_number} as "Faktura",
    i.{kind.party_key} as "{kind.party_label}",
    coalesce(i.{kind.party_name}, p.{kind.party_name}, i.{kind.party_key}) as "Namn",
    i.invoice_date as "Fakturadatum",
    i.due_date as "Förfallodatum",
    i.is_credit_note as "Kreditfaktura",
    i.cost_centre_code as "Resultatenhet",
    i.project_code as "Projekt",
    i.currency_code as "Valuta",
    i.net_amount * {kind.sign} as "Netto",
    i.vat_amount * {kind.sign} as "Moms",
    i.gross_amount * {kind.sign} as "Fakturabelopp",
    coalesce(o.open_amount, 0) * {kind.sign} as "Öppet vid periodens slut",
    case when i.final_payment_date <= ? then i.final_payment_date end as "Slutbetald"
from i
left join o on {joined}
left join {_parties(kind)} as p
    on p.company_id = i.company_id and p.{kind.party_key} = i.{kind.party_key}
order by i.invoice_date, 1
""",
        [*year_params, sel.company_id, sel.period.end, sel.period.end],
    )
    first, second, _ = st.columns([1, 1, 2])
    first.metric(
        "Fakturerat hittills i år", kronor(amount(summary["invoiced"])), help="Inklusive moms."
    )
    second.metric("Fakturor hittills i år", f"{summary['invoices']}")
    tables.show(
        frame,
        f"{kind.slug}-fakturor-{sel.company_id}-{sel.period.label}",
        key=f"{kind.key}_invoices",
    )
    if summary["invoices"] > LIST_ROWS:
        st.caption(f"Visar de första {LIST_ROWS} fakturorna; summan ovan gäller alla.")


def _days_outstanding(kind: Kind, sel: Selection) -> None:
    """DSO or DPO for the 24 periods up to the selected one (the whole company)."""
    if not queries.has_table("rpt_dso_dpo_monthly"):
        return
    st.subheader(f"{kind.days_label} per månad")
    frame = queries.query(
        f"""
select * from (
    select period_end, {kind.ledger_column} as balance, {kind.flow_column} as flow,
        days_3_periods, {kind.days_column} as days
    from rpt_dso_dpo_monthly
    where company_id = ? and period_end <= ?
    order by period_end desc
    limit 24
) order by period_end
""",
        [sel.company_id, sel.period.end],
    )
    if frame.empty:
        st.info(f"Inget {kind.days_label}-underlag till och med {sel.period.label}.")
        return
    labels = [month(d) for d in frame["period_end"]]
    figure = go.Figure()
    figure.add_scatter(
        x=labels,
        y=floats(frame["days"]),
        name=f"{kind.days_label} (dagar)",
        mode="lines+markers",
        line={"color": "#1565c0"},
    )
    figure.update_layout(**CHART_LAYOUT, yaxis_title="dagar", yaxis_rangemode="tozero")
    st.plotly_chart(figure, key=f"{kind.key}_days_chart")
    table = frame.rename(
        columns={
            "period_end": "Periodens slut",
            "balance": kind.open_label,
            "flow": "Fakturerat tre perioder",
            "days_3_periods": "Dagar",
            "days": f"{kind.days_label} (dagar)",
        }
    )
    with st.expander(f"{kind.days_label}-underlag"):
        tables.show(
            table,
            f"{kind.slug}-{kind.days_label.lower()}-{sel.company_id}-{sel.period.label}",
            key=f"{kind.key}_days",
        )
    st.caption(kind.days_help)
