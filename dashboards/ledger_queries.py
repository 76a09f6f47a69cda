"""Small helpers the budget, project, inventory and reskontra pages share: stopping a page
kindly when its mart is missing, figures as text (days, per cent), and Plotly's plain floats.

Everything here is presentation or a fixed question to ``queries``; no SQL text is built from
anything a user chose.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date
from decimal import Decimal

import pandas as pd
import streamlit as st

from dashboards import queries

ZERO = Decimal("0.00")

#: the height and margins every chart on these pages uses
CHART_LAYOUT = {
    "height": 360,
    "margin": {"l": 10, "r": 10, "t": 30, "b": 10},
    "legend": {"orientation": "h", "y": 1.12},
}


def require_tables(*names: str) -> None:
    """Stop the page with a clear note when the published snapshot lacks a mart it reads
    (a model is disabled when its sources are not configured, e.g. no ERP)."""
    missing = [name for name in names if not queries.has_table(name)]
    if missing:
        st.info(
            "Den publicerade datan saknar "
            + ", ".join(f"`{name}`" for name in missing)
            + ": sidan behöver källor som inte är konfigurerade för något bolag "
            "(t.ex. affärssystemet), eller så har modellerna inte byggts och publicerats."
        )
        st.stop()


def amount(value) -> Decimal:
    """A summed amount from a query: ``Decimal``, with no value (NULL, NaN) as zero."""
    if value is None or (not isinstance(value, Decimal) and pd.isna(value)):
        return ZERO
    return value if isinstance(value, Decimal) else Decimal(str(value))


def floats(values: Iterable) -> list[float | None]:
    """Amounts for Plotly, which draws floats (the tables keep the Decimals)."""
    return [None if v is None or pd.isna(v) else float(v) for v in values]


def number(value, decimals: int = 1) -> str:
    """A number the Swedish way (decimal comma, narrow space between thousands)."""
    if value is None or pd.isna(value):
        return "–"
    text = f"{abs(Decimal(value)):,.{decimals}f}".replace(",", "\u00a0").replace(".", ",")
    return f"{'−' if value < 0 else ''}{text}"


def days(value) -> str:
    return "–" if value is None or pd.isna(value) else f"{number(value)} dagar"


def percent(value) -> str:
    return "–" if value is None or pd.isna(value) else f"{number(value)} %"


def month(value: date) -> str:
    return f"{value:%Y-%m}"
