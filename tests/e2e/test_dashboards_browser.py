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

from ledgerbridge.users import DEMO_LOGINS_FILENAME
from tests.conftest import ARTIFACTS, LEDGERBRIDGE, fortnox_only_copy

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


def demo_login(home: Path, name: str) -> str:
    for line in (home / DEMO_LOGINS_FILENAME).read_text(encoding="utf-8").splitlines():
        user, _, password = line.split("\t")
        if user == name:
            return password
    raise AssertionError(f"{name} is not among the demo's logins")


@contextlib.contextmanager
def browser_page(chromium: Path):
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(chromium), args=CHROMIUM_FLAGS)
        page = browser.new_page(viewport={"width": 1400, "height": 1000})
        try:
            yield page
        except BaseException:
            # what the page showed when the test failed, beside the other screenshots
            (ARTIFACTS / "dashboards").mkdir(parents=True, exist_ok=True)
            page.screenshot(path=str(ARTIFACTS / "dashboards" / "failure.png"), full_page=True)
            raise
        finally:
            browser.close()


def sign_in(page, url: str, name: str, password: str) -> None:
    page.goto(url)
    page.get_by_label("Användarnamn").fill(name)
    page.get_by_label("Lösenord").fill(password)
    page.get_by_role("button", name="Logga in").click()
    page.get_by_role("heading", name="Översikt").wait_for(timeout=60_000)


def open_page(page, title: str, heading: str | None = None) -> None:
    page.locator('[data-testid="stSidebarNav"] a', has_text=title).click()
    page.get_by_role("heading", name=heading or title).first.wait_for(timeout=60_000)
    wait_until_idle(page)


def wait_until_idle(page) -> None:
    """Until Streamlit has finished the run (its status widget gone) and nothing failed."""
    page.wait_for_timeout(300)
    page.locator('[data-testid="stStatusWidget"]').wait_for(state="hidden", timeout=60_000)
    page.wait_for_timeout(700)  # tables and charts draw after the run
    assert page.locator('[data-testid="stException"]').count() == 0, page.locator(
        '[data-testid="stException"]'
    ).first.inner_text()


def click_first_row(page, table_index: int) -> None:
    """Select a table's first row by its row marker (the grid is drawn on a canvas)."""
    table = page.locator('[data-testid="stDataFrame"]').nth(table_index)
    table.scroll_into_view_if_needed()
    page.wait_for_timeout(300)
    box = table.bounding_box()
    page.mouse.click(box["x"] + 12, box["y"] + 35 + 17)


PAGES = [
    ("Översikt", None),
    ("Resultaträkning", None),
    ("Balansräkning", None),
    ("Budget mot utfall", None),
    ("Prognos", None),
    ("Huvudbok", None),
    ("Kundreskontra", None),
    ("Leverantörsreskontra", None),
    ("Projekt", None),
    ("Lager", None),
    ("Avstämning", None),
    ("Attestera", None),
    ("Körhistorik", None),
    ("Scheman", None),
]


def test_signed_in_every_page_drill_down_approve_and_push(
    chromium: Path, demo_home: Path, tmp_path: Path
) -> None:
    """A finance user's morning: sign in, look through every page, follow a figure of the
    income statement down to its voucher, approve a planned correction, send it, and find it
    in the run history. A screenshot of each page goes to tests/artifacts/."""
    shots = ARTIFACTS / "dashboards"
    shots.mkdir(parents=True, exist_ok=True)
    # a home of its own, with its own Fortnox sandbox: the push writes to it
    with (
        fortnox_only_copy(demo_home, tmp_path / "home") as home,
        serving(home) as (url, _),
        browser_page(chromium) as page,
    ):
        page.goto(url)
        page.get_by_role("button", name="Logga in").wait_for(timeout=60_000)
        assert page.locator('[data-testid="stMetric"]').count() == 0
        page.screenshot(path=str(shots / "00-logga-in.png"), full_page=True)

        sign_in(page, url, "demo-admin", demo_login(home, "demo-admin"))
        for number, (title, heading) in enumerate(PAGES, start=1):
            open_page(page, title, heading)
            page.screenshot(path=str(shots / f"{number:02d}-{title}.png"), full_page=True)

        # the income statement's chart, and a drill-down from an account to a voucher
        open_page(page, "Resultaträkning")
        legend = page.locator(".js-plotly-plot .legendtext").all_text_contents()
        assert {"Intäkter", "Kostnader", "Resultat"} <= set(legend)
        click_first_row(page, 1)  # the table per account
        page.get_by_role("heading", name="Huvudbok").wait_for(timeout=60_000)
        wait_until_idle(page)
        click_first_row(page, 0)  # the account's first voucher row
        page.get_by_role("heading", name="Verifikation").wait_for(timeout=60_000)
        wait_until_idle(page)
        page.screenshot(path=str(shots / "drill-verifikation.png"), full_page=True)

        # plan, approve a correction (its rebooking comes along), send, see it sent
        open_page(page, "Attestera")
        page.get_by_role("button", name="Planera från publicerad data").click()
        page.get_by_text("väntar på attest").first.wait_for(timeout=60_000)
        wait_until_idle(page)
        page.locator('[data-testid="stMultiSelect"]').filter(
            has_text="Poster att besluta om"
        ).click()
        page.get_by_role("option").filter(has_text="rättelse: vänder B").first.click()
        page.keyboard.press("Escape")
        wait_until_idle(page)
        page.get_by_role("button", name="Attestera", exact=True).click()
        page.get_by_text("2 poster attesterade av demo-admin").wait_for(timeout=60_000)
        page.get_by_role("button", name="Skicka attesterade nu").click()
        page.get_by_text("2 skickade, 0 misslyckade").wait_for(timeout=120_000)
        page.screenshot(path=str(shots / "attest-skickad.png"), full_page=True)

        open_page(page, "Körhistorik")
        page.get_by_role("heading", name="Senaste skickningen").wait_for(timeout=60_000)
        assert page.get_by_text("2 skickad").is_visible()
        page.screenshot(path=str(shots / "korhistorik.png"), full_page=True)


def test_a_viewer_sees_no_integration_pages(chromium: Path, demo_home: Path, tmp_path: Path):
    home = tmp_path / "home"
    shutil.copytree(demo_home, home, ignore=shutil.ignore_patterns("sandbox"))
    with serving(home) as (url, _), browser_page(chromium) as page:
        sign_in(page, url, "demo-viewer", demo_login(home, "demo-viewer"))
        links = page.locator('[data-testid="stSidebarNav"] a').all_text_contents()
        assert any("Resultaträkning" in link for link in links)
        assert not any(
            name in link for link in links for name in ("Attestera", "Scheman", "Avstämning")
        )
        # the approvals page's address leads nowhere for a viewer
        page.goto(f"{url}/approvals")
        page.wait_for_timeout(2000)
        assert page.get_by_role("button", name="Attestera").count() == 0


def test_pages_keep_working_while_a_build_and_publish_run(
    chromium: Path, demo_home: Path, tmp_path: Path
) -> None:
    """The warehouse is written (build) and the snapshot swapped (publish) while someone
    clicks through the pages: no page shows an error, and the open page follows the new
    snapshot by itself."""
    home = tmp_path / "home"
    shutil.copytree(demo_home, home, ignore=shutil.ignore_patterns("sandbox"))
    with serving(home) as (url, _), browser_page(chromium) as page:
        sign_in(page, url, "demo-controller", demo_login(home, "demo-controller"))
        published = page.get_by_text("Publicerad ").first.inner_text()
        writer = subprocess.Popen(
            f"'{LEDGERBRIDGE}' build --all && '{LEDGERBRIDGE}' publish",
            shell=True,
            env=dict(os.environ, LEDGERBRIDGE_HOME=str(home)),
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
        )
        try:
            visits = 0
            while writer.poll() is None or visits < len(PAGES):
                title, heading = PAGES[visits % len(PAGES)]
                if title in ("Attestera", "Körhistorik", "Scheman"):
                    visits += 1
                    continue  # a controller's navigation has none of these
                open_page(page, title, heading)
                visits += 1
            output = writer.stdout.read() if writer.stdout else ""
            assert writer.wait() == 0, output
        finally:
            if writer.poll() is None:
                writer.kill()
        # the page reruns on the new snapshot without a reload
        deadline = time.monotonic() + 30
        while page.get_by_text("Publicerad ").first.inner_text() == published:
            assert time.monotonic() < deadline, "the page did not follow the new publish"
            page.wait_for_timeout(500)
        wait_until_idle(page)
        assert visits >= len(PAGES)
