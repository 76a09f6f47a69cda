"""Page render times of the dashboards on a warehouse at benchmark scale.

Run with `make bench` (scales from LEDGERBRIDGE_BENCH_SCALES, as the warehouse benchmark; the
issue's aim is stated at 10 M GL rows: every page under 1 s warm and under 3 s cold, at the
median). The benchmark company of that scale (the warehouse benchmark's: books as SIE files,
the ERP as an export, bank statements, e-invoices and budgets) is ingested, built and
published once, and the syncs' proposals planned; then every page is rendered in Streamlit's
AppTest, signed in as an administrator:

- cold: the first render after a new snapshot (the query cache emptied), as a controller
  meets a page after each publish;
- warm: the same page again (its queries answered from the cache, the script still run).

LEDGERBRIDGE_BENCH_DASHBOARD_HOME names a home already published at that scale (a former run's,
kept under pytest's basetemp) to measure again without the quarter hour of ingest.

Each figure is the median of LEDGERBRIDGE_BENCH_RENDERS renders (default 5), server side: the
Python script and its queries, not the browser's drawing. Prints the figures; asserts only
that each page rendered without an exception, never how fast.
"""

from __future__ import annotations

import os
import statistics
import time
from collections.abc import Callable
from pathlib import Path

import duckdb
import pytest
import streamlit as st
from streamlit.testing.v1 import AppTest

from dashboards.auth import USER_KEY
from ledgerbridge.config import Paths
from ledgerbridge.users import Role, UserFile
from reverse_etl.plan import plan
from sandbox.demo_company import DemoOptions
from sandbox.demo_company.cache import generate_cached
from tests.bench.test_warehouse_bench import SCALES, bench_settings, run_path
from tests.conftest import REPO

RENDERS = int(os.environ.get("LEDGERBRIDGE_BENCH_RENDERS", "5"))
PAGES = sorted(
    p.name for p in (REPO / "dashboards" / "app_pages").glob("*.py") if p.stem != "__init__"
)


def render(app: AppTest) -> float:
    started = time.perf_counter()
    app.run()
    seconds = time.perf_counter() - started
    if app.exception:
        raise PageFailed(app.exception[0].message)
    return seconds


class PageFailed(Exception):
    pass


def busiest_account(paths: Paths) -> str:
    """The account with the most ledger rows in the latest fiscal year (1510 in the demo)."""
    con = duckdb.connect(str(paths.serving), read_only=True)
    try:
        return con.execute(
            "select account_number from fct_gl_entries "
            "where fiscal_year = (select max(fiscal_year) from fct_gl_entries) "
            "group by account_number order by count(*) desc limit 1"
        ).fetchone()[0]
    finally:
        con.close()


def choose_account(app: AppTest, account: str) -> None:
    next(box for box in app.selectbox if box.label == "Konto").set_value(account)


def search(app: AppTest, text: str) -> None:
    next(box for box in app.text_input if box.label == "Sök i text").input(text)


def published_home(scale: int, tmp_path: Path) -> tuple[Paths, int]:
    """A home published at ``scale`` and its GL rows: the one named by
    LEDGERBRIDGE_BENCH_DASHBOARD_HOME, else the cached demo ingested, built and published."""
    kept = os.environ.get("LEDGERBRIDGE_BENCH_DASHBOARD_HOME")
    if kept:
        paths = Paths(Path(kept))
        if not paths.serving.exists():
            pytest.fail(f"LEDGERBRIDGE_BENCH_DASHBOARD_HOME={kept} has no serving.duckdb")
        con = duckdb.connect(str(paths.serving), read_only=True)
        try:
            rows = con.execute("select count(*) from fct_gl_entries").fetchone()[0]
        finally:
            con.close()
        return paths, rows
    paths = Paths(tmp_path / "home").ensure()
    demo, _ = generate_cached(DemoOptions(scale=scale), paths.demo)
    run_path(paths, bench_settings(paths))
    return paths, demo.gl_rows


@pytest.mark.timeout(4 * 3600)  # the 10 M demo takes a quarter of an hour to ingest alone
@pytest.mark.parametrize("scale", SCALES)
def test_page_render_times(scale: int, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    paths, gl_rows = published_home(scale, tmp_path)
    # what the syncs propose at this scale, so that the approvals page has items to show
    planned = plan(paths, bench_settings(paths), "bench").waiting
    UserFile(paths).add("bench", Role.admin, password="bench password", replace=True)
    monkeypatch.setenv("LEDGERBRIDGE_HOME", str(paths.home))

    busiest = busiest_account(paths)
    views: list[tuple[str, str, Callable[[AppTest], None] | None]] = [
        (page, page, None) for page in PAGES
    ]
    # the one page whose cost grows with the ledger: its busiest account, and a text search
    views += [
        (f"  huvudbok {busiest}", "general_ledger.py", lambda app: choose_account(app, busiest)),
        (
            '  … + "faktura"',
            "general_ledger.py",
            lambda app: (choose_account(app, busiest), search(app, "faktura")),
        ),
    ]
    lines, failed = [], []
    for label, page, setup in views:
        cold, warm = [], []
        try:
            for _ in range(RENDERS):
                app = AppTest.from_file(str(REPO / "dashboards" / "app.py"), default_timeout=300)
                app.session_state[USER_KEY] = "bench"
                app.run()  # the app's own start, then the page opened as if first after a publish
                app.switch_page(f"app_pages/{page}")
                if setup is not None:
                    app.run()
                    setup(app)
                st.cache_data.clear()
                cold.append(render(app))
                warm.append(render(app))
        except PageFailed as exc:
            failed.append(label)
            lines.append(f"  {label:<22} failed: {exc}")
            continue
        lines.append(
            f"  {label:<22} cold {statistics.median(cold):6.2f} s   "
            f"warm {statistics.median(warm):6.2f} s   "
            f"(slowest cold {max(cold):.2f} s, warm {max(warm):.2f} s)"
        )
    print(
        f"\ndashboard bench, scale {scale:,}: {gl_rows:,} GL rows; median of {RENDERS} "
        f"renders per page, AppTest (server side); {len(planned)} items to approve\n"
        + "\n".join(lines)
        + "\n  (the stock marts come from Tryton, which this company has no server for: the "
        "inventory page says so and is measured on the demo by test_dashboard_pages_*)"
    )
    assert not failed, f"pages that failed to render: {', '.join(failed)}"
