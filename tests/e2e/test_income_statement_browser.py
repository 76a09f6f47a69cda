"""The served dashboards in a real browser: Debian's chromium, driven by Playwright."""

from __future__ import annotations

import contextlib
import os
import shutil
import socket
import subprocess
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.conftest import ARTIFACTS, LEDGERBRIDGE

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_FLAGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]

pytestmark = pytest.mark.browser


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@pytest.fixture(scope="module")
def chromium() -> Path:
    if CHROMIUM.exists():
        return CHROMIUM
    message = (
        "browser tests need Debian's chromium at /usr/bin/chromium: `make test` installs it when "
        "run as root, otherwise run `sudo apt-get install chromium chromium-driver`"
    )
    if os.environ.get("CI"):
        pytest.fail(message)
    pytest.skip(message)


def _healthy(url: str) -> bool:
    try:
        with urllib.request.urlopen(f"{url}/_stcore/health", timeout=2) as response:
            return response.read().strip() == b"ok"
    except OSError:
        return False


@contextlib.contextmanager
def serving(home: Path) -> Iterator[tuple[str, subprocess.Popen]]:
    """`ledgerbridge serve` on a free port, until it answers; stopped afterwards."""
    port = free_port()
    server = subprocess.Popen(
        [str(LEDGERBRIDGE), "serve", "--port", str(port)],
        env=dict(os.environ, LEDGERBRIDGE_HOME=str(home)),
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    url = f"http://localhost:{port}"
    try:
        deadline = time.monotonic() + 60
        while not _healthy(url):
            if server.poll() is not None or time.monotonic() > deadline:
                output = server.stdout.read() if server.stdout else ""
                pytest.fail(f"`ledgerbridge serve` did not come up on {url}:\n{output}")
            time.sleep(0.3)
        yield url, server
    finally:
        server.terminate()
        try:
            server.wait(timeout=10)
        except subprocess.TimeoutExpired:
            server.kill()


@pytest.fixture(scope="module")
def served(demo_home: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    home = tmp_path_factory.mktemp("served") / "home"
    shutil.copytree(demo_home, home)
    with serving(home) as (url, _):
        yield url


def test_stopping_serve_stops_the_dashboards(demo_home: Path, tmp_path: Path) -> None:
    """A SIGTERM to `ledgerbridge serve` (a service manager's) leaves no server behind."""
    home = tmp_path / "home"
    shutil.copytree(demo_home, home)
    with serving(home) as (url, server):
        server.terminate()
        assert server.wait(timeout=15) is not None
        deadline = time.monotonic() + 10
        while _healthy(url) and time.monotonic() < deadline:
            time.sleep(0.2)
        assert not _healthy(url)


def test_served_income_statement_shows_its_chart(chromium: Path, served: str) -> None:
    from playwright.sync_api import sync_playwright

    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(chromium), args=CHROMIUM_FLAGS)
        try:
            page = browser.new_page(viewport={"width": 1400, "height": 1000})
            page.goto(served)
            page.get_by_role("heading", name="Resultaträkning").wait_for(timeout=60_000)
            chart = page.locator(".js-plotly-plot").first
            chart.wait_for(timeout=60_000)
            assert chart.is_visible()
            # the chart's bars carry the three series
            legend = page.locator(".js-plotly-plot .legendtext").all_text_contents()
            assert {"Intäkter", "Kostnader", "Resultat"} <= set(legend)
            assert page.get_by_text("Rörelsens intäkter").is_visible()
            page.screenshot(path=str(ARTIFACTS / "income_statement.png"), full_page=True)
        finally:
            browser.close()
