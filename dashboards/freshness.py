"""How fresh the data is, and the pages following a new publish by themselves.

The sidebar checks every few seconds whether a new snapshot was published (the serving file's
identity changed; a cheap ``stat``, no query) and reruns the page on it. A build writing the
warehouse meanwhile is not in the way: the pages only ever read the published snapshot.
"""

from __future__ import annotations

from datetime import UTC, datetime

import pandas as pd
import streamlit as st

from dashboards import queries
from ledgerbridge.warehouse import SOURCES_TABLE

CHECK_EVERY_SECONDS = 5
SEEN_KEY = "ledgerbridge_seen_snapshot"

SOURCE_LABELS = {
    "tryton": "Tryton (affärssystem)",
    "erp_files": "Affärssystemets export",
    "fortnox": "Fortnox",
    "sie": "SIE-fil",
    "bank": "Bankkonto (camt.053)",
    "einvoice": "E-fakturor (Peppol)",
    "budget": "Budget",
    "mapped": "Övriga exporter",
}


def sources(company_id: str) -> pd.DataFrame:
    """When each source was last read, for the company (newest read per source)."""
    if not queries.has_table(SOURCES_TABLE):
        return pd.DataFrame(columns=["source", "what", "loaded_at"])
    return queries.query(
        f"select source, arg_max(what, loaded_at) as what, max(loaded_at) as loaded_at "
        f"from {SOURCES_TABLE} where company_id = ? group by source order by source",
        [company_id],
    )


def age(moment: datetime) -> str:
    seconds = (datetime.now(UTC) - moment.replace(tzinfo=moment.tzinfo or UTC)).total_seconds()
    if seconds < 90:
        return "nyss"
    if seconds < 5400:
        return f"för {round(seconds / 60)} min sedan"
    if seconds < 172800:
        return f"för {round(seconds / 3600)} h sedan"
    return f"för {round(seconds / 86400)} dagar sedan"


@st.fragment(run_every=CHECK_EVERY_SECONDS)
def sidebar() -> None:
    version = queries.snapshot_version()
    seen = st.session_state.get(SEEN_KEY)
    st.session_state[SEEN_KEY] = version
    if seen is not None and version != seen:
        st.rerun()  # the whole page, on the new snapshot
    published = queries.published_at()
    if published is not None:
        st.caption(f"Publicerad {published:%Y-%m-%d %H:%M} UTC ({age(published)})")
