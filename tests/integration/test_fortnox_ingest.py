"""The Fortnox connector over real HTTP against the sandbox seeded with Demo AB: a full load
lands everything once, an incremental load fetches only what changed, and a run survives an
expiring token, a 429 storm, 500s and dropped connections; malformed JSON fails clearly with
nothing landed."""

from __future__ import annotations

import contextlib
import os
import threading
import time
from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from pathlib import Path

import duckdb
import pytest
import requests
from werkzeug.serving import make_server

from ingestion.pipeline import IngestFailed, fortnox_client, ingest
from ledgerbridge.clients.fortnox_tokens import TokenStore
from ledgerbridge.config import Paths, Settings, parse_settings
from sandbox.demo_company import DemoOptions, DemoResult, generate
from sandbox.fortnox.app import Faults, FortnoxSandbox
from sandbox.fortnox.running import FortnoxSandboxInfo, authorize_sandbox
from sandbox.fortnox.seed import seed_from_demo
from sandbox.fortnox.store import Store
from tests.conftest import run_cli, warehouse_rows
from tests.integration.test_fortnox_client import Clock, Corrupting, Sandbox
from tests.integration.test_fortnox_sandbox import CLIENT, REDIRECT, SECRET

SECRET_ENV = "LEDGERBRIDGE_TEST_FORTNOX_SECRET"


class Counting(Corrupting):
    """The corrupting proxy, which can also run something after the n-th API request."""

    def __init__(self, app: FortnoxSandbox) -> None:
        super().__init__(app)
        self.seen = 0
        self.after: tuple[int, object] | None = None
        self.asked: list[str] = []
        self.queries: list[str] = []

    def __call__(self, environ: dict, start_response):
        if environ["PATH_INFO"].startswith("/3/"):
            self.seen += 1
            self.asked.append(environ["PATH_INFO"])
            self.queries.append(environ.get("QUERY_STRING", ""))
            if self.after and self.seen == self.after[0]:
                self.after[1]()  # type: ignore[operator]
        return super().__call__(environ, start_response)


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> DemoResult:
    return generate(DemoOptions(scale=2000), tmp_path_factory.mktemp("demo"))


@pytest.fixture
def sandbox(demo: DemoResult, tmp_path: Path) -> Iterator[Sandbox]:
    """The sandbox seeded with the demo's books, served on a free port behind the counting
    proxy (the reverse-ETL tests use it too)."""
    store = Store(tmp_path / "fortnox.sqlite")
    # the books as they stood at the end of 2025, long before the runs below
    seed_from_demo(store, demo.folder, client_id=CLIENT, client_secret=SECRET,
                   redirect_uri=REDIRECT, now=datetime(2025, 12, 31, 18, tzinfo=UTC))  # fmt: skip
    clock = Clock()
    app = FortnoxSandbox(store, clock=clock)
    proxy = Counting(app)
    http = make_server("127.0.0.1", 0, proxy, threaded=True)
    threading.Thread(target=http.serve_forever, daemon=True).start()
    try:
        yield Sandbox(f"http://127.0.0.1:{http.server_port}", app, clock, store, proxy)
    finally:
        http.shutdown()
        store.close()


@pytest.fixture
def paths(tmp_path: Path) -> Paths:
    return Paths(tmp_path / "home").ensure()


@pytest.fixture
def settings(sandbox: Sandbox, paths: Paths, monkeypatch: pytest.MonkeyPatch) -> Settings:
    """Configured as a real company is (its own API and authorization addresses), then
    authorized once."""
    monkeypatch.setenv(SECRET_ENV, SECRET)
    settings = parse_settings(
        {"companies": {"demo_ab": {"name": "Demo AB", "sources": {"fortnox": {
            "client_id": CLIENT, "client_secret_env": SECRET_ENV, "redirect_uri": REDIRECT,
            "api_url": sandbox.url, "auth_url": f"{sandbox.url}/oauth-v1",
            "overlap_seconds": 600}}}}},
        paths.config_file,
    )  # fmt: skip
    authorize_sandbox(fortnox_client(paths, settings.company("demo_ab")), REDIRECT)
    return settings


def warehouse(paths: Paths) -> duckdb.DuckDBPyConnection:
    return duckdb.connect(str(paths.warehouse), read_only=True)


def count(paths: Paths, table: str) -> int:
    con = warehouse(paths)
    try:
        return con.execute(f"select count(*) from raw_fortnox.{table}").fetchone()[0]
    finally:
        con.close()


def assert_mirrors_the_sandbox(paths: Paths, store: Store) -> None:
    """Every record once, and the ledger as the sandbox holds it, account by account."""
    for table, sandbox_table in (
        ("customers", "customers"), ("suppliers", "suppliers"), ("articles", "articles"),
        ("invoices", "invoices"), ("supplier_invoices", "supplier_invoices"),
        ("invoice_payments", "invoice_payments"),
        ("supplier_invoice_payments", "supplier_invoice_payments"),
        ("vouchers", "vouchers"), ("voucher_rows", "voucher_rows"),
        ("financial_years", "financial_years"), ("cost_centers", "cost_centers"),
        ("projects", "projects"),
    ):  # fmt: skip
        expected = store.one(f"select count(*) from {sandbox_table}")[0]
        assert count(paths, table) == expected, table
    expected_totals: dict = {}
    for r in store.rows("select year_id, account, debit, credit from voucher_rows"):
        key = (r["year_id"], r["account"])
        expected_totals[key] = (
            expected_totals.get(key, Decimal(0)) + Decimal(r["debit"]) - Decimal(r["credit"])
        )
    con = warehouse(paths)
    try:
        landed = {
            (year, account): amount
            for year, account, amount in con.execute(
                "select year_id, account_number, sum(amount) from raw_fortnox.voucher_rows "
                "group by all"
            ).fetchall()
        }
        unbalanced = con.execute(
            "select count(*) from (select 1 from raw_fortnox.voucher_rows group by year_id, "
            "voucher_series, voucher_number having sum(amount) <> 0)"
        ).fetchone()[0]
        amount_type = con.execute(
            "select data_type from information_schema.columns where table_schema = "
            "'raw_fortnox' and table_name = 'invoices' and column_name = 'total'"
        ).fetchone()[0]
    finally:
        con.close()
    assert {k: v for k, v in landed.items() if v} == {k: v for k, v in expected_totals.items() if v}
    assert unbalanced == 0 and amount_type == "DECIMAL(18,2)"


def test_a_full_load_then_an_incremental_load_of_only_the_changes(
    sandbox: Sandbox, settings: Settings, paths: Paths
) -> None:
    full = ingest(paths, settings).outcomes[0]
    assert full.status == "loaded" and full.error is None
    assert_mirrors_the_sandbox(paths, sandbox.store)
    assert sandbox.proxy.asked.count("/3/sie/4") == 2  # one export per financial year
    assert full.client.rate_limited == 0 and full.client.failed == 0
    con = warehouse(paths)
    try:
        through = dict(con.execute(
            "select read_through, count(*) from raw_fortnox.vouchers group by all"
        ).fetchall())  # fmt: skip
    finally:
        con.close()
    assert set(through) == {"sie"}  # the bulk came through sie/4, not one by one

    # the accounting program changes: a customer renamed, two vouchers booked, a payment
    client = fortnox_client(paths, settings.company("demo_ab"))
    customer = client.get("/3/customers", {"limit": 1})["Customers"][0]
    client.put(f"/3/customers/{customer['CustomerNumber']}",
               {"Customer": {"Name": customer["Name"] + " (nytt namn)"}})  # fmt: skip
    year = max(client.get("/3/financialyears")["FinancialYears"], key=lambda y: y["FromDate"])
    open_day = client.get("/3/settings/lockedperiod")["LockedPeriod"]["EndDate"]
    day = (date.fromisoformat(open_day) + timedelta(days=1)).isoformat()
    other = free_account(sandbox.store, year["Id"])
    rows = [
        {"Account": 1930, "Debit": Decimal("100.00"), "Credit": 0},
        {"Account": other, "Debit": 0, "Credit": Decimal("100.00")},
    ]
    for text in ("Insättning", "Insättning igen"):
        client.post("/3/vouchers", {"Voucher": {
            "Description": text, "TransactionDate": day, "Year": year["Id"],
            "VoucherSeries": "A", "VoucherRows": rows}})  # fmt: skip

    sandbox.proxy.asked.clear()
    again = ingest(paths, settings).outcomes[0]
    assert again.status == "loaded"
    assert again.rows == {"customers changed": 1, "vouchers changed": 2}
    assert "/3/sie/4" not in sandbox.proxy.asked
    # lastmodified asked for the changes only: the one customer, nothing of the rest
    assert read_per_resource(paths) == {
        "customers": 1,
        "articles": 0,
        "invoices": 0,
        "invoice_payments": 0,
    }
    assert_mirrors_the_sandbox(paths, sandbox.store)
    con = warehouse(paths)
    try:
        name = con.execute(
            "select name from raw_fortnox.customers where customer_number = ?",
            [customer["CustomerNumber"]],
        ).fetchone()[0]
        topped = con.execute(
            "select count(*) from raw_fortnox.vouchers where read_through = 'api'"
        ).fetchone()[0]
    finally:
        con.close()
    assert name.endswith("(nytt namn)") and topped == 2  # read one by one, not via sie/4

    quiet = ingest(paths, settings).outcomes[0]
    assert quiet.status == "unchanged" and quiet.rows == {}


def free_account(store: Store, year_id: int) -> int:
    """A balance-sheet account of the year that takes no dimension by force."""
    return store.one(
        "select number from accounts where year_id = ? and number between 2000 and 2999 "
        "and active = 1 and cost_center_settings != 'MANDATORY' "
        "and project_settings != 'MANDATORY' order by number limit 1",
        (year_id,),
    )["number"]


def read_per_resource(paths: Paths) -> dict[str, int]:
    return dict(
        warehouse_rows(
            paths.home,
            "select resource, records_read from raw_fortnox.sync_state "
            "where lastmodified_from is not null",
        )
    )


def test_a_year_locked_after_the_last_run_is_read_once_more(
    sandbox: Sandbox, settings: Settings, paths: Paths
) -> None:
    """Closing entries booked into a year and the year locked right after, between two runs:
    the year is listed again (its lock is new), and only once it was locked at the previous
    run's read is it left alone."""
    with sandbox.store.transaction() as db:
        db.execute("update settings set value = '2024-06-30' where key = 'locked_until'")
    assert ingest(paths, settings).outcomes[0].status == "loaded"
    client = fortnox_client(paths, settings.company("demo_ab"))
    first = min(client.get("/3/financialyears")["FinancialYears"], key=lambda y: y["FromDate"])
    client.post("/3/vouchers", {"Voucher": {
        "Description": "Bokslut 2024", "TransactionDate": "2024-12-31", "Year": first["Id"],
        "VoucherSeries": "A", "VoucherRows": [
            {"Account": 1930, "Debit": Decimal("1.00"), "Credit": 0},
            {"Account": free_account(sandbox.store, first["Id"]), "Debit": 0,
             "Credit": Decimal("1.00")}]}})  # fmt: skip
    with sandbox.store.transaction() as db:
        db.execute("update settings set value = '2024-12-31' where key = 'locked_until'")
    sandbox.proxy.queries.clear()
    closing = ingest(paths, settings).outcomes[0]
    assert closing.rows.get("vouchers changed") == 1
    assert_mirrors_the_sandbox(paths, sandbox.store)
    assert any(f"financialyear={first['Id']}" in q for q in sandbox.proxy.queries)
    sandbox.proxy.queries.clear()
    assert ingest(paths, settings).outcomes[0].status == "unchanged"
    voucher_lists = [
        q for a, q in zip(sandbox.proxy.asked[-len(sandbox.proxy.queries):],
                          sandbox.proxy.queries, strict=True)
        if a == "/3/vouchers"
    ]  # fmt: skip
    assert voucher_lists and not any(f"financialyear={first['Id']}&" in q + "&"
                                     for q in voucher_lists)  # fmt: skip


def test_an_access_token_expiring_mid_run_is_refreshed_once_and_the_run_completes(
    sandbox: Sandbox, settings: Settings, paths: Paths
) -> None:
    def hour_passes() -> None:
        sandbox.clock.ahead += 3601

    sandbox.proxy.after = (12, hour_passes)
    outcome = ingest(paths, settings).outcomes[0]
    assert outcome.status == "loaded" and outcome.client.refreshed == 1
    assert_mirrors_the_sandbox(paths, sandbox.store)


def test_a_429_storm_and_a_fifth_of_500s_and_dropped_connections_still_load_once(
    sandbox: Sandbox, settings: Settings, paths: Paths
) -> None:
    sandbox.app.faults = Faults(error_rate=0.2, drop_rate=0.05, seed=11)
    token = TokenStore(paths, "demo_ab").load().access_token
    stop = threading.Event()

    def spend() -> None:
        with contextlib.suppress(requests.ConnectionError):  # the faults hit it too
            requests.get(f"{sandbox.url}/3/financialyears",
                         headers={"Authorization": f"Bearer {token}"}, timeout=10)  # fmt: skip

    def other_process() -> None:  # spends about 16 of the token's 25 per 5 s
        while not stop.wait(1.25):
            spend()

    for _ in range(25):  # and its burst used the window up first
        spend()
    threads = [threading.Thread(target=other_process) for _ in range(4)]
    for t in threads:
        t.start()
    started = time.monotonic()
    try:
        outcome = ingest(paths, settings).outcomes[0]
    finally:
        stop.set()
        for t in threads:
            t.join()
    assert outcome.status == "loaded", outcome.error
    stats = outcome.client
    assert stats.rate_limited > 0 and stats.retried > stats.rate_limited and stats.failed == 0
    assert time.monotonic() - started < 600
    assert_mirrors_the_sandbox(paths, sandbox.store)  # complete, and nothing twice


def test_malformed_json_fails_clearly_and_nothing_lands(
    sandbox: Sandbox, settings: Settings, paths: Paths
) -> None:
    sandbox.proxy.paths.add("/3/invoices")
    with pytest.raises(IngestFailed) as caught:
        ingest(paths, settings)
    message = str(caught.value)
    assert "GET /3/invoices" in message and "malformed JSON" in message
    if paths.warehouse.exists():  # nothing of the run landed: no customers, no watermark
        con = warehouse(paths)
        try:
            tables = con.execute(
                "select table_name from information_schema.tables "
                "where table_schema = 'raw_fortnox' and table_name not like '\\_dlt%' escape '\\'"
            ).fetchall()
        finally:
            con.close()
        assert tables == []
    sandbox.proxy.paths.clear()
    assert ingest(paths, settings).outcomes[0].status == "loaded"  # and the next run loads
    assert_mirrors_the_sandbox(paths, sandbox.store)


def test_the_cli_starts_the_fortnox_sandbox_and_connects_a_company(tmp_path: Path) -> None:
    home = tmp_path / "home"
    up = run_cli("sandbox", "up", "--no-tryton", home=home)
    assert up.returncode == 0, up.output
    info = FortnoxSandboxInfo.read(home / "sandbox" / "fortnox.json")
    assert info is not None and f"Fortnox sandbox running: {info.url}" in up.output
    try:
        # one company on the sandbox by name, one configured as a real company is (its own
        # client, secret in the environment, the one-time authorization through the CLI)
        (home / "ledgerbridge.toml").write_text(
            '[companies.demo_ab]\nname = "Demo AB"\n'
            "[companies.demo_ab.sources.fortnox]\nsandbox = true\n"
            '[companies.real_ab]\nname = "Real AB"\n'
            "[companies.real_ab.sources.fortnox]\n"
            f'client_id = "{info.client_id}"\nclient_secret_env = "{SECRET_ENV}"\n'
            f'redirect_uri = "{info.redirect_uri}"\napi_url = "{info.url}"\n'
            f'auth_url = "{info.url}/oauth-v1"\n',
            encoding="utf-8",
        )
        refused = run_cli("ingest", home=home, env={SECRET_ENV: info.client_secret})
        assert refused.returncode == 1
        assert "company 'real_ab' has not authorized ledgerbridge in Fortnox" in refused.output
        assert "ledgerbridge fortnox authorize --company real_ab" in refused.output

        consent = requests.get(
            f"{info.url}/oauth-v1/auth",
            params={"client_id": info.client_id, "redirect_uri": info.redirect_uri,
                    "scope": "bookkeeping", "state": "s", "response_type": "code"},
            allow_redirects=False, timeout=10,
        )  # fmt: skip
        authorized = run_cli(
            "fortnox", "authorize", "--company", "real_ab", "--code",
            consent.headers["Location"], home=home, env={SECRET_ENV: info.client_secret},
        )  # fmt: skip
        assert authorized.returncode == 0, authorized.output
        assert "connected to Fortnox" in authorized.output
        assert info.client_secret not in authorized.output

        loaded = run_cli("ingest", home=home, env={SECRET_ENV: info.client_secret})
        assert loaded.returncode == 0, loaded.output
        # the sandbox company loaded in the run that refused the other; only its changes now
        assert f"loaded    Fortnox (real_ab) at {info.url}" in loaded.output
        assert f"unchanged Fortnox (demo_ab) at {info.url}" in loaded.output
        status = run_cli("status", home=home)
        assert f"Fortnox sandbox running at {info.url}, pid {info.pid}" in status.output
        rows = warehouse_rows(
            home, "select company_id, count(*) from raw_fortnox.vouchers group by 1 order by 1"
        )
        assert [c for c, _ in rows] == ["demo_ab", "real_ab"] and rows[0][1] == rows[1][1] > 100
    finally:
        down = run_cli("sandbox", "down", home=home)
    assert down.returncode == 0 and "Stopped the Fortnox sandbox" in down.output
    assert not (home / "sandbox" / "fortnox.json").exists()


def test_a_stale_sandbox_file_says_the_sandbox_is_not_running(tmp_path: Path) -> None:
    """After a reboot fortnox.json may name a pid that is gone, or now somebody else's."""
    home = tmp_path / "home"
    paths = Paths(home).ensure()
    paths.sandbox.mkdir()
    for pid in (99999999, os.getpid()):  # gone, and a process that is no Fortnox sandbox
        FortnoxSandboxInfo(
            url="http://127.0.0.1:9", client_id="c", client_secret="s", redirect_uri="http://x",
            pid=pid, database="x", log_file="x", started_at="x",
        ).write(paths.sandbox / "fortnox.json")  # fmt: skip
        (home / "ledgerbridge.toml").write_text(
            '[companies.demo_ab]\nname = "Demo AB"\n'
            "[companies.demo_ab.sources.fortnox]\nsandbox = true\n",
            encoding="utf-8",
        )
        result = run_cli("ingest", home=home)
        assert result.returncode == 1
        assert "reads the Fortnox sandbox, which is not running" in result.output
        assert "ledgerbridge sandbox up" in result.output
