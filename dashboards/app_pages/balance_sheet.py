"""Balansräkning at the period's end, beside the last year end and the same period last year;
balanserat resultat and årets resultat on lines of their own. A click on an account opens
its vouchers in the huvudbok."""

from __future__ import annotations

import streamlit as st

from dashboards import drill, filters, queries, tables
from dashboards.formatting import kronor

st.title("Balansräkning")
sel = filters.selection()

ends = {"Periodens slut": sel.period.end}
if sel.previous_year is not None:
    ends["Föregående årsskifte"] = sel.previous_year.end
# the same calendar month a year earlier, whatever shape last year's fiscal year had
a_year_back = sel.period.end.replace(day=1).replace(year=sel.period.end.year - 1)
same = queries.period_containing(sel.company_id, a_year_back)
if same is not None:
    if same.end in ends.values():  # at the year's last period the two are one date
        label = next(label for label, end in ends.items() if end == same.end)
        ends[f"{label} = samma period i fjol"] = ends.pop(label)
    else:
        ends["Samma period i fjol"] = same.end
rows = queries.balance_sheet(sel.company_id, list(ends.values()))
if rows.empty:
    st.info("Ingen balansräkning för perioden.")
    st.stop()

at_end = rows[rows["period_end"] == sel.period.end]
assets = queries.total(at_end[at_end["balance_sheet_side"] == "assets"])
equity_and_liabilities = queries.total(at_end[at_end["balance_sheet_side"] != "assets"])
first, second, third = st.columns(3)
first.metric("Summa tillgångar", kronor(assets))
second.metric("Summa eget kapital och skulder", kronor(equity_and_liabilities))
third.metric(
    "Årets resultat",
    kronor(queries.total(at_end[at_end["report_section"] == "result_of_the_year"])),
)
if assets != equity_and_liabilities:
    difference = kronor(assets - equity_and_liabilities)
    st.error(f"Balansräkningen balanserar inte: skillnad {difference}.")

table = rows.pivot_table(
    index=["balance_sheet_side", "report_line_ordinal", "report_line"],
    columns="period_end",
    values="report_amount",
    aggfunc="sum",
    fill_value=queries.ZERO,
).reset_index()
renamed = {end: label for label, end in ends.items()}
table = table.rename(columns=renamed)
table["balance_sheet_side"] = table["balance_sheet_side"].map(
    {"assets": "Tillgångar", "equity_and_liabilities": "Eget kapital och skulder"}
)
table = table.drop(columns="report_line_ordinal").rename(
    columns={"balance_sheet_side": "Sida", "report_line": "Rapportrad"}
)
table = table[["Sida", "Rapportrad", *[label for label in ends if label in table.columns]]]
tables.show(table, f"balansrakning-{sel.company_id}-{sel.period.label}", key="balance_sheet")

st.subheader("Per konto")
st.caption("Klicka på ett konto för att se verifikationerna bakom saldot i huvudboken.")
accounts = (
    queries.balance_sheet_accounts(sel.company_id, sel.period.start)
    .rename(
        columns={
            "account_number": "Konto",
            "account_name": "Kontonamn",
            "report_line": "Rapportrad",
            "opening_balance": "Ingående (perioden)",
            "period_change": "Förändring",
            "closing_balance": "Utgående",
        }
    )
    .drop(columns="report_line_ordinal")
)
drill.account_table(
    accounts,
    f"balansrakning-konton-{sel.company_id}-{sel.period.label}",
    key="balance_accounts",
    start=sel.year.start,
    end=sel.period.end,
)
st.caption(
    "Saldon per kontot i debet/kredit-tecken (skulder negativa) i tabellen per konto; "
    "rapportraderna i rapporttecken. Källa: rpt_balance_sheet och rpt_trial_balance."
)
