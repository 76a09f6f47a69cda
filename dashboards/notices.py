"""A message a button's action leaves for the page it reruns: shown once, then gone."""

from __future__ import annotations

import streamlit as st

from dashboards.formatting import error_text

KEY = "ledgerbridge_notice"


def leave(text: str, kind: str = "info") -> None:
    """``kind``: info, success, warning or error."""
    st.session_state[KEY] = (kind, text)


def leave_error(exc) -> None:
    leave(error_text(exc), "error")


def show() -> None:
    notice = st.session_state.pop(KEY, None)
    if notice is not None:
        kind, text = notice
        {"info": st.info, "success": st.success, "warning": st.warning, "error": st.error}[kind](
            text
        )
