"""Leverantörsreskontra: open supplier invoices aged at the period's end, per supplier, the
year's invoices and DPO (the body is shared with kundreskontran: dashboards.reskontra)."""

from __future__ import annotations

import streamlit as st

from dashboards import filters, reskontra

st.title("Leverantörsreskontra")
sel = filters.selection()
reskontra.render(reskontra.PAYABLES, sel)
