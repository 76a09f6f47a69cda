"""Huvudbok: an account's voucher rows over a date range, with its opening and closing
balance; a click on a row opens the whole voucher. Drill-downs from other pages land here."""

from __future__ import annotations

import pandas as pd
import streamlit as st

from dashboards import drill, filters, queries, tables
from dashboards.formatting import kronor


def running_balance(opening, amounts):
    balance = opening
    for amount in amounts:
        balance += amount
        yield balance


st.title("Huvudbok")
sel = filters.selection()
accounts = queries.accounts(sel.company_id)
if accounts.empty:
    st.info("Bolaget har ingen kontoplan i den publicerade datan.")
    st.stop()
names = dict(zip(accounts["account_number"], accounts["account_name"], strict=True))

account_key = f"ledger_account:{sel.company_id}"
range_key = f"ledger_range:{sel.company_id}:{sel.year.start}"
target = drill.take_target()
if target is not None and target.account in names:
    # the drill-down's choices become this page's own widgets' values
    st.session_state[account_key] = target.account
    st.session_state[range_key] = (target.start, target.end)
    st.session_state[f"cost_centres:{sel.company_id}"] = list(target.dimensions.cost_centres)
    st.session_state[f"projects:{sel.company_id}"] = list(target.dimensions.projects)

dims = filters.dimensions(sel.company_id, cost_centre=True, project=True)
where, params = dims.where()

left, middle, right = st.columns([2, 2, 2])
account = left.selectbox(
    "Konto",
    list(names),
    format_func=lambda number: f"{number} {names[number]}",
    key=account_key,
)
if range_key not in st.session_state:
    st.session_state[range_key] = (sel.year.start, sel.period.end)
chosen_range = middle.date_input("Datum", key=range_key, format="YYYY-MM-DD")
text = right.text_input("Sök i text", key=f"ledger_text:{sel.company_id}", max_chars=100)
if not isinstance(chosen_range, tuple | list) or len(chosen_range) != 2:
    st.info("Välj både start- och slutdatum.")
    st.stop()
start, end = chosen_range

rows = queries.account_movements(sel.company_id, account, start, end, text.strip(), where, params)
opening = queries.account_opening_balance(sel.company_id, account, start, where, params)
truncated = len(rows) > queries.LEDGER_ROW_LIMIT
rows = rows.head(queries.LEDGER_ROW_LIMIT)

debit, credit = queries.account_totals(
    sel.company_id, account, start, end, text.strip(), where, params
)
movement = debit - credit
first, second, third, fourth = st.columns(4)
first.metric("Ingående saldo", kronor(opening))
second.metric("Debet", kronor(debit))
third.metric("Kredit", kronor(credit))
fourth.metric(
    "Utgående saldo" if not text.strip() else "Summa av träffarna",
    kronor(opening + movement if not text.strip() else movement),
)
if truncated:
    st.warning(
        f"Visar de första {queries.LEDGER_ROW_LIMIT:,} raderna; korta datumintervallet "
        "eller sök i texten för att se resten.".replace(",", "\u00a0")
    )
if rows.empty:
    st.info("Inga verifikationsrader för kontot i urvalet.")
    st.stop()

listing = pd.DataFrame(
    {
        "Datum": rows["voucher_date"],
        "Verifikation": rows["voucher_series"] + " " + rows["voucher_number"].astype(str),
        "Text": rows["row_text"].fillna(rows["voucher_text"]),
        "Resultatenhet": rows["cost_centre_code"].fillna(""),
        "Projekt": rows["project_code"].fillna(""),
        "Belopp": rows["amount"],
        "Underlag": rows["source_document_type"].fillna("")
        + " "
        + rows["source_document_number"].fillna(""),
    }
)
if not text.strip():  # a balance only adds up over every row
    listing.insert(6, "Saldo", list(running_balance(opening, rows["amount"])))
st.caption("Klicka på en rad för att se hela verifikationen.")
event = tables.show(
    listing,
    f"huvudbok-{sel.company_id}-{account}",
    # the key follows what is listed: a row chosen on another account must not stay chosen
    key=f"ledger_rows:{account}:{start}:{end}:{text.strip()}:{where}:{params}",
    selectable=True,
)
chosen = tables.selected_row(event, listing)
if chosen is not None:
    row = rows.iloc[listing.index.get_loc(chosen.name)]
    st.subheader(f"Verifikation {chosen['Verifikation']}, {row['voucher_date']:%Y-%m-%d}")
    st.write(row["voucher_text"] or "")
    voucher = queries.voucher_rows(sel.company_id, row["voucher_id"], row["voucher_date"]).rename(
        columns={
            "row_number": "Rad",
            "account_number": "Konto",
            "account_name": "Kontonamn",
            "cost_centre_code": "Resultatenhet",
            "project_code": "Projekt",
            "row_text": "Text",
            "amount": "Belopp",
        }
    )
    tables.show(voucher, f"verifikation-{chosen['Verifikation']}", key="voucher_rows")
    st.caption(
        f"Källa: {row['source_system']}"
        + (
            f" · underlag {row['source_document_type']} {row['source_document_number']}"
            if row["source_document_number"]
            else ""
        )
    )
