"""Driving the dashboards in Streamlit's AppTest: signed in as one of the demo's users, on one
page, against a published home."""

from __future__ import annotations

import shutil
from decimal import Decimal
from pathlib import Path

import duckdb
from streamlit.testing.v1 import AppTest

from dashboards.auth import USER_KEY
from tests.conftest import REPO

APP = REPO / "dashboards" / "app.py"


def open_app(user: str | None = "demo-admin", page: str | None = None) -> AppTest:
    """The app as ``user`` sees it (None: signed out), on ``page`` (a file under
    dashboards/app_pages/) or the default page; LEDGERBRIDGE_HOME must name the home."""
    test = AppTest.from_file(str(APP), default_timeout=120)
    if user is not None:
        test.session_state[USER_KEY] = user
    test.run()
    assert not test.exception, test.exception
    if page is not None:
        test.switch_page(f"app_pages/{page}")
        test.run()
        assert not test.exception, test.exception
    return test


def mart_value(home: Path, sql: str, params: list | None = None):
    """One value from the published snapshot, as the page should show it."""
    con = duckdb.connect(str(home / "serving.duckdb"), read_only=True)
    try:
        value = con.execute(sql, params or []).fetchone()[0]
    finally:
        con.close()
    return Decimal("0.00") if value is None else value


def sidebar_widget(test: AppTest, kind: str, label: str):
    return next(w for w in getattr(test.sidebar, kind) if w.label == label)


def metric(test: AppTest, label: str) -> str:
    return next(m.value for m in test.metric if m.label == label)


def small_copy(demo_home: Path, home: Path) -> Path:
    """What the dashboards and `plan` read of the demo home, copied (the sandbox databases
    left behind: nothing here may write to the demo's systems)."""
    home.mkdir()
    for name in ("serving.duckdb", "users.json", "state.sqlite", "ledgerbridge.toml"):
        shutil.copy2(demo_home / name, home / name)
    shutil.copytree(demo_home / "sandbox", home / "sandbox", ignore=shutil.ignore_patterns("*.db"))
    return home
