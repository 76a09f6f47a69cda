"""Avstämning: what differs between the ERP, the books, the bank and the e-invoices, how
serious it is, what to do about it, and whether the reverse ETL already has a fix planned."""

from __future__ import annotations

import streamlit as st

from dashboards import auth, filters, outbox_view, queries, tables
from ledgerbridge.users import Role

auth.require(Role.controller)
st.title("Avstämning")
sel = filters.selection()

SEVERITIES = {"high": "Hög", "medium": "Medel", "low": "Låg"}
every = queries.findings(sel.company_id, [], [], "")
left, middle, right = st.columns([2, 3, 3])
severities = left.multiselect(
    "Allvarlighet",
    list(SEVERITIES),
    format_func=SEVERITIES.get,
    placeholder="Alla",
    key=f"finding_severity:{sel.company_id}",
)
kinds = middle.multiselect(
    "Slag",
    sorted(every["kind"].unique()),
    placeholder="Alla",
    key=f"finding_kind:{sel.company_id}",
)
text = right.text_input("Sök", key=f"finding_text:{sel.company_id}", max_chars=100)
rows = queries.findings(sel.company_id, severities, kinds, text.strip())

first, second, third = st.columns(3)
first.metric("Avvikelser", f"{len(rows)}")
second.metric("Varav höga", f"{int((rows['severity'] == 'high').sum())}")
planned = outbox_view.items_by_finding(sel.company_id)
third.metric("Med åtgärd i reverse ETL", f"{sum(1 for f in rows['finding_id'] if f in planned)}")

if rows.empty:
    st.success("Inga avvikelser i urvalet.")
    st.stop()

listing = rows.assign(
    severity=rows["severity"].map(SEVERITIES),
    reverse_etl=[planned.get(f, "") for f in rows["finding_id"]],
).rename(
    columns={
        "severity": "Allvarlighet",
        "kind": "Slag",
        "document_type": "Dokumenttyp",
        "document": "Dokument",
        "details": "Vad som skiljer",
        "suggested_action": "Att göra",
        "reverse_etl": "Reverse ETL",
    }
)
tables.show(
    listing.drop(columns="finding_id"),
    f"avvikelser-{sel.company_id}",
    key="findings",
    column_config={
        "Vad som skiljer": st.column_config.TextColumn(width="large"),
        "Att göra": st.column_config.TextColumn(width="large"),
    },
)
st.caption(
    "Källa: rec_findings. En avvikelse som reverse ETL kan rätta planeras med "
    "`ledgerbridge plan` och attesteras under Integration → Attestera."
)
