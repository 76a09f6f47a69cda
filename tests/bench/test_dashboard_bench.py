"""Page render times of the dashboards on a warehouse at benchmark scale.

Run with `make bench` (scales from LEDGERBRIDGE_BENCH_SCALES, as the warehouse benchmark; the
issue's aim is stated at 10 M GL rows: every page under 1 s warm and under 3 s cold, at the
median). The demo company of that scale is ingested, built and published once; then every
page is rendered in Streamlit's AppTest, signed in as an administrator:

- cold: the first render after a new snapshot (the query cache emptied), as a controller
  meets a page after each publish;
- warm: the same page again (its queries answered from the cache, the script still run).

Each figure is the median of LEDGERBRIDGE_BENCH_RENDERS renders (default 5), server side: the
Python script and its queries, not the browser's drawing. Prints the figures; asserts only
that each page rendered without an exception, never how fast.
"""

from __future__ import annotations

import os
import statistics
import time
from pathlib import Path

import pytest
import streamlit as st
from streamlit.testing.v1 import AppTest

from dashboards.auth import USER_KEY
from ledgerbridge.config import Paths
from ledgerbridge.users import Role, UserFile
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
    assert not app.exception, app.exception
    return seconds


@pytest.mark.parametrize("scale", SCALES)
def test_page_render_times(scale: int, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    paths = Paths(tmp_path / "home").ensure()
    demo, _ = generate_cached(DemoOptions(scale=scale), paths.demo)
    run_path(paths, bench_settings(paths))
    UserFile(paths).add("bench", Role.admin, password="bench password")
    monkeypatch.setenv("LEDGERBRIDGE_HOME", str(paths.home))

    lines = []
    for page in PAGES:
        cold, warm = [], []
        for _ in range(RENDERS):
            app = AppTest.from_file(str(REPO / "dashboards" / "app.py"), default_timeout=300)
            app.session_state[USER_KEY] = "bench"
            app.run()  # the app's own start, then the page opened as if first after a publish
            app.switch_page(f"app_pages/{page}")
            st.cache_data.clear()
            cold.append(render(app))
            warm.append(render(app))
        lines.append(
            f"  {page:<22} cold {statistics.median(cold):6.2f} s   "
            f"warm {statistics.median(warm):6.2f} s   "
            f"(slowest cold {max(cold):.2f} s, warm {max(warm):.2f} s)"
        )
    print(
        f"\ndashboard bench, scale {scale:,}: {demo.gl_rows:,} GL rows; median of {RENDERS} "
        "renders per page, AppTest (server side)\n" + "\n".join(lines)
    )
