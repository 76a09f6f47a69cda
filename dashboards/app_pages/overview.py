"""Översikt: the company's key figures at the period's end, what needs attention, when each
source was last read, and the month-end report packs."""

from __future__ import annotations

import pandas as pd
import streamlit as st

from dashboards import auth, filters, freshness, notices, queries, tables
from dashboards.formatting import kronor
from ledgerbridge.config import Paths
from ledgerbridge.errors import LedgerbridgeError
from ledgerbridge.report_pack import list_report_packs, write_report_pack
from ledgerbridge.users import Role

st.title("Översikt")
sel = filters.selection()
st.caption(f"{sel.company_name} · året till och med {sel.period.label}")

figures = queries.key_figures(sel.company_id, sel.year.start, sel.period.start)
NOT_BUILT = "Källan som ger talet är inte konfigurerad, så martens tabell finns inte i datan."


def figure(column, label: str, name: str) -> None:
    value = figures[name]
    if value is None:
        column.metric(label, "–", help=NOT_BUILT)
    elif name == "open_findings":
        column.metric(label, f"{value}")
    else:
        column.metric(label, kronor(queries.amount(value)))


row_one = st.columns(3)
figure(row_one[0], "Nettoomsättning (året till dato)", "revenue")
figure(row_one[1], "Resultat (året till dato)", "result")
figure(row_one[2], "Likvida medel", "cash")
row_two = st.columns(4)
figure(row_two[0], "Kundfordringar", "receivables")
figure(row_two[1], "Leverantörsskulder", "payables")
figure(row_two[2], "Lagervärde", "stock_value")
figure(row_two[3], "Öppna avvikelser", "open_findings")

left, right = st.columns(2)
with left:
    st.subheader("Avvikelser")
    findings = queries.findings_by_severity(sel.company_id)
    if findings.empty:
        st.success("Inga öppna avvikelser mellan systemen.")
    else:
        tables.show(
            findings.rename(
                columns={"severity": "Allvarlighet", "kind": "Slag", "findings": "Antal"}
            ),
            f"avvikelser-{sel.company_id}",
            key="findings_summary",
        )
with right:
    st.subheader("Källor")
    sources = freshness.sources(sel.company_id)
    if sources.empty:
        st.info("Den publicerade datan säger inte när källorna lästes.")
    else:
        tables.show(
            pd.DataFrame(
                {
                    "Källa": [freshness.SOURCE_LABELS.get(s, s) for s in sources["source"]],
                    "Senast läst": [
                        f"{t:%Y-%m-%d %H:%M} ({freshness.age(t)})" for t in sources["loaded_at"]
                    ],
                    "Vad": sources["what"],
                }
            ),
            f"kallor-{sel.company_id}",
            key="sources",
        )

st.subheader("Månadsrapporter")
user = auth.current_user()
if user is None or not user.may(Role.controller):
    # the pack's Avvikelser sheet holds what only a controller sees in the dashboards
    st.caption("Månadsrapporterna (med avvikelserna) är för controllers och uppåt.")
    st.stop()
paths = Paths.from_env()


def write_pack() -> None:
    if auth.still(Role.controller) is None:
        return
    try:
        written = write_report_pack(paths, sel.company_id, sel.period.start)
    except LedgerbridgeError as exc:
        notices.leave_error(exc)
        return
    notices.leave(f"Månadsrapporten skrevs: {written.name}", "success")


st.button(
    f"Skapa månadsrapport för {sel.period.label}",
    on_click=write_pack,
    key="write_report_pack",
    icon=":material/description:",
)
notices.show()
packs = list_report_packs(paths, sel.company_id)
if not packs:
    st.caption(
        "Inga månadsrapporter ännu. Ett schema med jobbet report_pack skriver en när "
        "varje månad har stängt; knappen ovan skriver en nu."
    )
for month, path in packs[:12]:
    st.download_button(
        f"Månadsrapport {month:%Y-%m}",
        data=path.read_bytes,
        file_name=path.name,
        mime="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        key=f"report_pack:{month}",
        icon=":material/download:",
        on_click="ignore",
    )
