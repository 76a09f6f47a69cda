"""Drill-down: from a figure on one page to the huvudbok rows behind it. The target travels
in the session (a page reload would sign the user out, so no URL parameters)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date

import streamlit as st

from dashboards.filters import Dimensions

DRILL_KEY = "ledgerbridge_drill"
GENERAL_LEDGER_PAGE = "app_pages/general_ledger.py"


@dataclass(frozen=True)
class LedgerTarget:
    account: str
    start: date
    end: date
    dimensions: Dimensions


def to_general_ledger(*, account: str, start: date, end: date, dimensions: Dimensions) -> None:
    st.session_state[DRILL_KEY] = LedgerTarget(account, start, end, dimensions)
    st.switch_page(GENERAL_LEDGER_PAGE)


def take_target() -> LedgerTarget | None:
    """The target a drill-down left for the huvudbok, once."""
    return st.session_state.pop(DRILL_KEY, None)


def account_table(
    frame,
    name: str,
    *,
    key: str,
    start: date,
    end: date,
    dimensions: Callable[[object], Dimensions] = lambda row: Dimensions(),
) -> None:
    """A table of accounts (a column "Konto") whose rows open the huvudbok from ``start``
    to ``end``; ``dimensions`` gives a row's cost centre and project filter."""
    from dashboards import tables

    event = tables.show(frame, name, key=key, selectable=True)
    chosen = tables.selected_row(event, frame)
    if chosen is not None:
        to_general_ledger(
            account=chosen["Konto"], start=start, end=end, dimensions=dimensions(chosen)
        )
