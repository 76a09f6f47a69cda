"""Numbers as a Swedish controller reads them: 1 234 567 kr, a real minus sign, no öre."""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal


def kronor(amount: Decimal) -> str:
    whole = amount.quantize(Decimal(1), rounding=ROUND_HALF_UP)
    text = f"{abs(whole):,.0f}".replace(",", "\u00a0")
    return f"{'−' if whole < 0 else ''}{text} kr"


def error_text(exc) -> str:
    """A LedgerbridgeError as a page shows it: the message, then what to do."""
    return exc.message + (f" — {exc.hint}" if exc.hint else "")
