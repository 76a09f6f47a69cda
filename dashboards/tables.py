"""Tables on a page, each with one click to download it as CSV or Excel."""

from __future__ import annotations

import io
from decimal import Decimal

import pandas as pd
import streamlit as st


def _is_amount(series: pd.Series) -> bool:
    sample = series.dropna()
    return len(sample) > 0 and isinstance(sample.iloc[0], Decimal)


def amount_columns(frame: pd.DataFrame) -> dict:
    """Decimal columns shown as Swedish-style numbers."""
    return {
        column: st.column_config.NumberColumn(str(column), format="localized")
        for column in frame.columns
        if _is_amount(frame[column])
    }


def csv_bytes(frame: pd.DataFrame) -> bytes:
    # UTF-8 with a byte-order mark so Excel reads å, ä, ö; Decimals print exactly
    return frame.to_csv(index=False).encode("utf-8-sig")


def excel_bytes(frame: pd.DataFrame, sheet: str) -> bytes:
    buffer = io.BytesIO()
    with pd.ExcelWriter(buffer, engine="openpyxl") as writer:
        # openpyxl writes Decimal values as numbers
        frame.to_excel(writer, sheet_name=sheet[:31], index=False)
        worksheet = writer.sheets[sheet[:31]]
        worksheet.freeze_panes = "A2"
        for cells in worksheet.columns:
            width = max(len(str(cell.value or "")) for cell in cells[:200])
            worksheet.column_dimensions[cells[0].column_letter].width = min(max(width + 2, 8), 60)
    return buffer.getvalue()


def show(
    frame: pd.DataFrame,
    name: str,
    *,
    key: str,
    column_config: dict | None = None,
    selectable: bool | str = False,
    height: int | str = "auto",
):
    """The table, and its CSV and Excel downloads (made only when clicked). With
    ``selectable`` a click on a row selects it (``"multi"``: several rows); the return
    value says which."""
    config = amount_columns(frame) | (column_config or {})
    mode = "multi-row" if selectable == "multi" else "single-row"
    options = {"on_select": "rerun", "selection_mode": mode} if selectable else {}
    event = st.dataframe(
        frame, key=key, column_config=config, hide_index=True, height=height, **options
    )
    # side by side at their own width, also in a narrow column
    buttons = st.container(horizontal=True, gap="small")
    buttons.download_button(
        "CSV",
        data=lambda: csv_bytes(frame),
        file_name=f"{name}.csv",
        mime="text/csv",
        key=f"{key}:csv",
        icon=":material/download:",
        on_click="ignore",
    )
    buttons.download_button(
        "Excel",
        data=lambda: excel_bytes(frame, name),
        file_name=f"{name}.xlsx",
        mime="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        key=f"{key}:xlsx",
        icon=":material/download:",
        on_click="ignore",
    )
    return event


def selected_rows(event, frame: pd.DataFrame) -> pd.DataFrame:
    rows = getattr(getattr(event, "selection", None), "rows", None) or []
    return frame.iloc[[row for row in rows if row < len(frame)]]


def selected_row(event, frame: pd.DataFrame) -> pd.Series | None:
    chosen = selected_rows(event, frame)
    return chosen.iloc[0] if len(chosen) else None
