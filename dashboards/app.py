"""ledgerbridge dashboards: `ledgerbridge serve` runs this with Streamlit."""

from __future__ import annotations

import streamlit as st

from dashboards import queries

st.set_page_config(page_title="ledgerbridge", page_icon=":material/account_balance:", layout="wide")

pages = {
    "Rapporter": [
        st.Page(
            "app_pages/income_statement.py",
            title="Resultaträkning",
            icon=":material/query_stats:",
            default=True,
        ),
    ],
}
navigation = st.navigation(pages)

with st.sidebar:
    if queries.is_published():
        published = queries.published_at()
        if published is not None:
            st.caption(f"Data publicerad {published:%Y-%m-%d %H:%M} UTC")

navigation.run()
