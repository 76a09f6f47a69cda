"""Plotly charts the way every page draws them."""

from __future__ import annotations

from collections.abc import Iterable

import pandas as pd

#: the height and margins every chart uses
CHART_LAYOUT = {
    "height": 360,
    "margin": {"l": 10, "r": 10, "t": 30, "b": 10},
    "legend": {"orientation": "h", "y": 1.12},
}


def floats(values: Iterable) -> list[float | None]:
    """Amounts for Plotly, which draws floats (the tables keep the Decimals)."""
    return [None if v is None or pd.isna(v) else float(v) for v in values]
