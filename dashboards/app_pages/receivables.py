"""Kundreskontra: open customer invoices aged at the period's end, per customer, the year's
invoices and DSO (the body is shared with leverantörsreskontran: dashboards.reskontra)."""

from __future__ import annotations

import streamlit as st

from dashboards import filters, reskontra

st.title("Kundreskontra")
sel = filters.selection()
reskontra.render(reskontra.RECEIVABLES, sel)
