"""ledgerbridge dashboards: `ledgerbridge serve` runs this with Streamlit.

Sign-in first; then the pages the user's role may open, grouped by what controllers and
finance do, with the company, fiscal year and period chosen once in the sidebar.
"""

from __future__ import annotations

import streamlit as st

from dashboards import auth, filters, freshness, queries
from ledgerbridge.users import Role

st.set_page_config(page_title="ledgerbridge", page_icon=":material/account_balance:", layout="wide")


def page(path: str, title: str, icon: str, **options) -> st.Page:
    return st.Page(f"app_pages/{path}", title=title, icon=f":material/{icon}:", **options)


#: (section, minimum role, pages): the navigation a role sees
SECTIONS = [
    (
        "Rapporter",
        Role.viewer,
        [
            page("overview.py", "Översikt", "dashboard", default=True),
            page("income_statement.py", "Resultaträkning", "query_stats"),
            page("balance_sheet.py", "Balansräkning", "balance"),
            page("budget.py", "Budget mot utfall", "target"),
            page("forecast.py", "Prognos", "trending_up"),
        ],
    ),
    (
        "Huvudbok och reskontra",
        Role.viewer,
        [
            page("general_ledger.py", "Huvudbok", "menu_book"),
            page("receivables.py", "Kundreskontra", "call_received"),
            page("payables.py", "Leverantörsreskontra", "call_made"),
        ],
    ),
    (
        "Verksamhet",
        Role.viewer,
        [
            page("projects.py", "Projekt", "engineering"),
            page("inventory.py", "Lager", "inventory_2"),
        ],
    ),
    (
        "Integration",
        Role.controller,
        [page("findings.py", "Avstämning", "rule")],
    ),
    (
        "Integration",
        Role.approver,
        [
            page("approvals.py", "Attestera", "task_alt"),
            page("runs.py", "Körhistorik", "history"),
            page("schedules.py", "Scheman", "schedule"),
        ],
    ),
]

user = auth.current_user()
if user is None:
    st.navigation([st.Page(auth.sign_in_page, title="Logga in", icon=":material/login:")]).run()
    st.stop()

navigation_pages: dict[str, list[st.Page]] = {}
for section, role, pages in SECTIONS:
    if user.may(role):
        navigation_pages.setdefault(section, []).extend(pages)
navigation = st.navigation(navigation_pages, expanded=True)

with st.sidebar:
    st.caption(f"{user.display_name or user.name} · {auth.ROLE_LABELS[user.role]}")
    st.button("Logga ut", on_click=auth.sign_out, key="sign_out", icon=":material/logout:")

if not queries.is_published():
    st.title(navigation.title)
    st.info(
        "Inget är publicerat ännu. Kör `ledgerbridge demo` för demoföretaget, eller "
        "`ledgerbridge ingest`, `ledgerbridge build` och `ledgerbridge publish` för ert eget."
    )
    st.stop()

if filters.choose_company_and_period() is None:
    st.title(navigation.title)
    st.warning("Du har inte behörighet till något bolag i den publicerade datan.")
    st.stop()

with st.sidebar:
    freshness.sidebar()
navigation.run()
