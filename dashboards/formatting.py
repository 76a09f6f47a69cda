"""Numbers as a Swedish controller reads them: 1 234 567 kr, a real minus sign, no öre;
29,3 dagar; 12,5 %."""

from __future__ import annotations

from datetime import date
from decimal import ROUND_HALF_UP, Decimal

import pandas as pd


def kronor(amount: Decimal) -> str:
    whole = amount.quantize(Decimal(1), rounding=ROUND_HALF_UP)
    text = f"{abs(whole):,.0f}".replace(",", "\u00a0")
    return f"{'−' if whole < 0 else ''}{text} kr"


def error_text(exc) -> str:
    """A LedgerbridgeError as a page shows it: the message, then what to do."""
    return exc.message + (f" — {exc.hint}" if exc.hint else "")


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
