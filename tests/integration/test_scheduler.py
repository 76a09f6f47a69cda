"""The scheduler: a pipeline schedule runs ingest → build → publish → plan → push of what is
approved; a failed run is recorded and alerted over a real webhook, the next good run
announces the recovery; a second scheduler is refused."""

from __future__ import annotations

import json
import os
import subprocess
import threading
import time
from datetime import datetime, timedelta
from http.server import BaseHTTPRequestHandler, HTTPServer
from pathlib import Path

import pytest

from ledgerbridge.config import Paths
from reverse_etl.scheduler import run_due
from reverse_etl.schedules import Schedules
from sandbox.demo_company import DemoOptions, generate
from tests.conftest import LEDGERBRIDGE, run_cli, warehouse_rows


class Webhook:
    """A real HTTP endpoint that keeps what is posted to it."""

    def __init__(self) -> None:
        self.received: list[dict] = []
        received = self.received

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:  # the name http.server calls
                length = int(self.headers["Content-Length"])
                received.append(json.loads(self.rfile.read(length)))
                self.send_response(204)
                self.end_headers()

            def log_message(self, *args: object) -> None:
                pass

        self.server = HTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_port}/alerts"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()


@pytest.fixture
def webhook() -> Webhook:
    hook = Webhook()
    yield hook
    hook.server.shutdown()


@pytest.fixture
def home(tmp_path: Path, webhook: Webhook) -> Path:
    demo = generate(DemoOptions(scale=3000), tmp_path / "files")
    home = tmp_path / "home"
    home.mkdir()
    (home / "ledgerbridge.toml").write_text(
        f'[alerts]\nwebhook = "{webhook.url}"\n\n'
        f'[companies.acme]\nname = "Acme AB"\norgnr = "{demo.orgnr}"\n'
        f'[companies.acme.sources.sie]\nfolder = "{demo.sie_files[0].parent}"\n',
        encoding="utf-8",
    )
    return home


def test_a_pipeline_schedule_runs_fails_with_an_alert_and_recovers(
    home: Path, webhook: Webhook
) -> None:
    added = run_cli("schedule", "add", "nightly", "--cron", "0 2 * * *", "--as", "anna", home=home)
    assert added.returncode == 0, added.output
    assert "Europe/Stockholm" in added.output
    paths = Paths(home)
    with Schedules(paths) as schedules:
        made = datetime.fromisoformat(schedules.get("nightly").created_at)
    day = made + timedelta(days=1)

    # nothing is due before 02:00 Stockholm time
    assert run_due(paths, now=made + timedelta(minutes=1), say=lambda _: None) == []
    # the first night: the whole pipeline, and the correction it plans waits for approval
    [first] = run_due(paths, now=day, say=lambda _: None)
    assert first.ok, first.message
    assert "planned 1 new items" in first.message and "pushed 0" in first.message
    assert warehouse_rows(home, "select count(*) from marts.fct_gl_entries")[0][0] > 0
    assert (home / "serving.duckdb").exists()

    # a person approves it; a broken file arrives
    assert run_cli("approve", "--all", "--as", "bertil", home=home).returncode == 0
    sie_folder = Path((home / "ledgerbridge.toml").read_text().split('folder = "')[1].split('"')[0])
    (sie_folder / "broken.se").write_bytes(b"#FLAGGA 0\r\n#SIETYP 4\r\n#VER A 1 2025")
    [second] = run_due(paths, now=day + timedelta(days=1), say=lambda _: None)
    assert not second.ok and "broken.se" in second.message
    [alert] = webhook.received
    assert alert["kind"] == "failed" and alert["schedule"] == "nightly"
    assert "broken.se" in alert["message"] and alert["owner"] == "anna"
    listed = run_cli("schedule", "list", home=home)
    assert "failed" in listed.output

    # the broken file was moved to quarantine: the next night goes through, pushes what was
    # approved, and the recovery is announced
    [third] = run_due(paths, now=day + timedelta(days=2), say=lambda _: None)
    assert third.ok and third.recovered, third.message
    assert "pushed 1" in third.message
    assert [event["kind"] for event in webhook.received] == ["failed", "recovered"]
    assert webhook.received[1]["failing_since"] == alert["failing_since"]
    assert len(list((home / "outbox" / "acme").glob("*.si"))) == 1
    runs = run_cli("runs", home=home)
    assert "schedule" in runs.output and "failed" in runs.output


def test_a_second_scheduler_is_refused_and_the_first_stops_on_sigterm(home: Path) -> None:
    env = dict(os.environ, LEDGERBRIDGE_HOME=str(home), COLUMNS="200")
    first = subprocess.Popen(
        [str(LEDGERBRIDGE), "scheduler", "--poll", "60"],
        cwd=home.parent, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
    )  # fmt: skip
    try:
        assert first.stdout is not None
        started = first.stdout.readline()
        assert "scheduler running" in started, started
        second = run_cli("scheduler", "--once", home=home)
        assert second.returncode == 1
        assert "a scheduler is running already" in second.stderr
        assert f"pid {first.pid}" in second.stderr
    finally:
        first.terminate()  # SIGTERM: it stops between jobs
        out, _ = first.communicate(timeout=30)
    assert first.returncode == 0 and "scheduler stopped" in out
    time.sleep(0.1)
    again = run_cli("scheduler", "--once", home=home)  # the lock went with the process
    assert again.returncode == 0, again.output
