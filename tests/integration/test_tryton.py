"""The Tryton connector against a real trytond: the sandbox ERP seeded with the first month of
Demo AB's story through Tryton's workflows, ingested, changed, ingested again."""

from __future__ import annotations

import json
import socket
import subprocess
import threading
from collections.abc import Iterator
from decimal import Decimal
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import duckdb
import pytest
import requests

from ledgerbridge.clients.tryton import (
    TrytonClient,
    TrytonLoginRefused,
    TrytonModelMissing,
    TrytonNoDatabase,
    TrytonUnreachable,
)
from ledgerbridge.config import Paths
from sandbox.demo_company import DemoOptions, generate
from sandbox.tryton import REPLAY_SCALE, server, spec_for
from tests.conftest import run_cli

CUTOFF = "2024-05-31"  # the sandbox holds the story up to here: a few dozen documents
OPTIONS = DemoOptions(scale=REPLAY_SCALE)


def _config(home: Path, **tryton: object) -> None:
    # the default overlap (5 min) re-reads everything the fixture's replay wrote, which is
    # what shows that a re-read of a version already held is not fetched again
    body = {"sandbox": True, **tryton}
    lines = [f"{k} = {json.dumps(v)}" for k, v in body.items()]
    home.mkdir(parents=True, exist_ok=True)
    (home / "ledgerbridge.toml").write_text(
        '[companies.demo_ab]\nname = "Demo AB"\n[companies.demo_ab.sources.tryton]\n'
        + "\n".join(lines)
        + "\n",
        encoding="utf-8",
    )


@pytest.fixture(scope="module")
def story(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The demo company's ERP export the sandbox is seeded from."""
    return generate(OPTIONS, tmp_path_factory.mktemp("story")).folder / "erp"


@pytest.fixture(scope="module")
def sandbox(
    tmp_path_factory: pytest.TempPathFactory, story: Path
) -> Iterator[tuple[Path, server.SandboxInfo]]:
    home = tmp_path_factory.mktemp("tryton") / "home"
    paths = Paths(home).ensure()
    database, password = server.seeded_database(
        spec_for(OPTIONS), story, until=CUTOFF, report=lambda _s: None
    )
    info = server.up(paths, lambda: (database, password), report=lambda _s: None)
    _config(home)
    try:
        yield home, info
    finally:
        server.down(paths)


def client_of(info: server.SandboxInfo, **options: object) -> TrytonClient:
    return TrytonClient(info.url, info.database, info.user, info.password, **options)


def warehouse(home: Path) -> duckdb.DuckDBPyConnection:
    return duckdb.connect(str(home / "warehouse.duckdb"), read_only=True)


def erp_records(story: Path, entity: str) -> list[dict]:
    with open(story / f"{entity}.jsonl", encoding="utf-8") as handle:
        return [json.loads(line) for line in handle]


def ingest(home: Path, *args: str) -> dict[str, int]:
    result = run_cli("ingest", *args, home=home)
    assert result.returncode == 0, result.output
    with warehouse(home) as con:
        return dict(
            con.execute(
                "select entity, records_fetched from raw_tryton.sync_state "
                "where company_id = 'demo_ab'"
            ).fetchall()
        )


def test_first_load_lands_what_tryton_holds(sandbox, story: Path) -> None:
    home, info = sandbox
    fetched = ingest(home)
    client = client_of(info)
    with warehouse(home) as con:
        for model, table in (
            ("party.party", "parties"),
            ("sale.sale", "sales"),
            ("sale.line", "sale_lines"),
            ("account.invoice", "invoices"),
            ("stock.move", "stock_moves"),
            ("analytic_account.account", "analytic_accounts"),
        ):
            (held,) = con.execute(
                f"select count(*) from raw_tryton.{table} where deleted_at is null"
            ).fetchone()
            assert held == client.execute(model, "search_count", []) == fetched[table] > 0
        sales = erp_records(story, "sales_orders")
        invoices = [
            i for i in erp_records(story, "customer_invoices") if i["invoice_date"] <= CUTOFF
        ]
        # every sales order until the cutoff, by the demo's number kept in the reference
        references = {
            r for (r,) in con.execute("select reference from raw_tryton.sales").fetchall()
        }
        assert references == {s["number"] for s in sales if s["order_date"] <= CUTOFF}
        # Tryton's own invoice totals, computed by its tax engine, are the ERP's totals
        booked = dict(
            con.execute(
                "select number, total_amount from raw_tryton.invoices "
                "where type = 'out' and state in ('posted', 'paid')"
            ).fetchall()
        )
        assert booked == {i["number"]: Decimal(i["total_amount"]) for i in invoices}
        (paid,) = con.execute(
            "select count(*) from raw_tryton.invoices where type = 'out' and state = 'paid'"
        ).fetchone()
        payments = [
            p for p in erp_records(story, "customer_payments") if p["payment_date"] <= CUTOFF
        ]
        assert paid == len(payments) > 0
        (supplier_paid,) = con.execute(
            "select count(*) from raw_tryton.invoices where type = 'in' and state = 'paid'"
        ).fetchone()
        supplier_payments = erp_records(story, "supplier_payments")
        assert supplier_paid == len([p for p in supplier_payments if p["payment_date"] <= CUTOFF])
        assert supplier_paid > 0
        (warehouses,) = con.execute(
            "select count(*) from raw_tryton.locations where type = 'warehouse'"
        ).fetchone()
        assert warehouses == 3
        (company_ids,) = con.execute(
            "select count(distinct company_id) from raw_tryton.sale_lines"
        ).fetchone()
        assert company_ids == 1
    status = run_cli("status", home=home)
    assert "raw_tryton" in status.output and "changes up to" in status.output


def test_a_second_run_fetches_only_what_changed(sandbox) -> None:
    home, info = sandbox
    ingest(home)  # whatever came before, this run starts from the latest mark
    client = client_of(info)
    customer = client.search_read("party.party", [("code", "=", "1001")], ["id"])[0]["id"]
    client.execute("party.party", "write", [customer], {"name": "Göta Media AB (ny)"})
    product = client.search_read(
        "product.product", [("code", "=", "A1001")], ["id", "default_uom"]
    )[0]
    line = {
        "product": product["id"],
        "quantity": 2.0,
        "unit": product["default_uom"],
        "unit_price": Decimal("2490.00"),
    }
    (address,) = client.search_ids("party.address", [("party", "=", customer)])
    (warehouse_id,) = client.search_ids("stock.location", [("code", "=", "STO")])
    new_sale = {
        "party": customer,
        "warehouse": warehouse_id,
        "invoice_address": address,
        "shipment_address": address,
        "lines": [["create", [line]]],
    }
    (sale,) = client.execute("sale.sale", "create", [new_sale])
    client.execute("sale.sale", "quote", [sale])
    client.execute("sale.sale", "confirm", [sale])
    before = client.requests

    fetched = ingest(home)
    assert fetched["parties"] == 1
    assert fetched["sales"] == 1
    assert fetched["sale_lines"] == 1
    assert fetched["products"] == fetched["accounts"] == fetched["locations"] == 0
    assert sum(fetched.values()) < 20  # the sale's own moves and draft invoice, not the world
    assert client.requests == before  # (the ingest ran in its own process)
    with warehouse(home) as con:
        (name,) = con.execute(
            "select name from raw_tryton.parties where id = ?", [customer]
        ).fetchone()
        (state,) = con.execute("select state from raw_tryton.sales where id = ?", [sale]).fetchone()
    assert name == "Göta Media AB (ny)" and state == "processing"


def test_a_deleted_draft_disappears_after_the_deletion_check(sandbox) -> None:
    home, info = sandbox
    client = client_of(info)
    customer = client.search_read("party.party", [("code", "=", "1001")], ["id"])[0]["id"]
    (draft,) = client.execute("sale.sale", "create", [{"party": customer}])
    ingest(home)
    client.execute("sale.sale", "delete", [draft])
    ingest(home)  # the deletion check is not due yet: the draft is still held
    with warehouse(home) as con:
        (deleted,) = con.execute(
            "select deleted_at from raw_tryton.sales where id = ?", [draft]
        ).fetchone()
    assert deleted is None
    # an archived record is not a deleted one: it is read again, marked inactive
    (archived,) = client.execute("party.party", "create", [{"name": "Nedlagd AB"}])
    ingest(home)
    client.execute("party.party", "write", [archived], {"active": False})
    ingest(home, "--check-deletions")
    with warehouse(home) as con:
        (deleted,) = con.execute(
            "select deleted_at from raw_tryton.sales where id = ?", [draft]
        ).fetchone()
        (others,) = con.execute(
            "select count(*) from raw_tryton.sales where deleted_at is not null"
        ).fetchone()
        inactive = con.execute(
            "select active, deleted_at from raw_tryton.parties where id = ?", [archived]
        ).fetchone()
    assert deleted is not None and others == 1
    assert inactive == (False, None)


def _table_counts(home: Path) -> dict[str, int]:
    with warehouse(home) as con:
        names = [
            t for (t,) in con.execute(
                "select table_name from information_schema.tables "
                "where table_schema = 'raw_tryton' and table_name not like '_dlt%'"
            ).fetchall()
        ]  # fmt: skip
        return {t: con.execute(f"select count(*) from raw_tryton.{t}").fetchone()[0] for t in names}


def test_connection_failures_are_clear_and_load_nothing(
    sandbox, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    home, info = sandbox
    ingest(home)
    before = _table_counts(home)
    config = home / "ledgerbridge.toml"
    original = config.read_text(encoding="utf-8")
    port = server.free_port()
    monkeypatch.setenv("TRYTON_TEST_PASSWORD", "not-the-password")
    try:
        config.write_text(
            original.replace(
                "sandbox = true",
                f'url = "http://127.0.0.1:{port}/"\ndatabase = "demo"\nuser = "admin"\n'
                'password_env = "TRYTON_TEST_PASSWORD"',
            ),
            encoding="utf-8",
        )
        down = run_cli("ingest", home=home)
        assert down.returncode == 1
        assert f"cannot reach Tryton at http://127.0.0.1:{port}/: connection refused" in (
            down.output
        )
        config.write_text(
            original.replace(
                "sandbox = true",
                f'url = "{info.url}"\ndatabase = "demo"\nuser = "admin"\n'
                'password_env = "TRYTON_TEST_PASSWORD"',
            ),
            encoding="utf-8",
        )
        refused = run_cli("ingest", home=home)
        assert refused.returncode == 1
        assert "Tryton refused the login of user 'admin' on database 'demo'" in refused.output
    finally:
        config.write_text(original, encoding="utf-8")
    assert _table_counts(home) == before


def test_client_errors_name_the_problem(sandbox) -> None:
    _, info = sandbox
    with pytest.raises(TrytonModelMissing) as missing:
        client_of(info).search_read("sale.subscription", [], ["id"])
    assert "has no model sale.subscription" in str(missing.value)
    assert "sale_subscription" in (missing.value.hint or "")
    with pytest.raises(TrytonNoDatabase, match="has no database 'nodb'"):
        TrytonClient(info.url, "nodb", info.user, info.password).login()
    with pytest.raises(TrytonLoginRefused):
        TrytonClient(info.url, info.database, info.user, "wrong").login()


class _Flaky(BaseHTTPRequestHandler):
    """Answers 503 to the first ``failures`` requests, then passes them to trytond."""

    failures = 0
    target = ""
    seen = 0

    def do_POST(self) -> None:
        type(self).seen += 1
        body = self.rfile.read(int(self.headers["Content-Length"]))
        if type(self).seen <= type(self).failures:
            self.send_response(503)
            self.end_headers()
            return
        headers = {k: v for k, v in self.headers.items() if k.lower() != "host"}
        answer = requests.post(self.target + self.path.lstrip("/"), data=body, headers=headers)
        self.send_response(answer.status_code)
        self.send_header("Content-Type", "application/json")
        self.end_headers()
        self.wfile.write(answer.content)

    def log_message(self, *args: object) -> None:
        pass


def test_transient_failures_are_retried_with_backoff(sandbox) -> None:
    _, info = sandbox
    _Flaky.failures, _Flaky.target, _Flaky.seen = 2, info.url, 0
    proxy = ThreadingHTTPServer(("127.0.0.1", 0), _Flaky)
    thread = threading.Thread(target=proxy.serve_forever, daemon=True)
    thread.start()
    try:
        client = TrytonClient(
            f"http://127.0.0.1:{proxy.server_address[1]}/", info.database, info.user,
            info.password, backoff=0.05,
        )  # fmt: skip
        assert client.version() == "8.2"
        assert client.requests == 3 and _Flaky.seen == 3
    finally:
        proxy.shutdown()


def test_a_server_that_does_not_answer_times_out() -> None:
    silent = socket.socket()
    silent.bind(("127.0.0.1", 0))
    silent.listen(5)
    try:
        client = TrytonClient(
            f"http://127.0.0.1:{silent.getsockname()[1]}/", "demo", "admin", "x",
            timeout=0.3, retries=1, backoff=0.01,
        )  # fmt: skip
        with pytest.raises(TrytonUnreachable, match=r"did not answer common\.db\.login within"):
            client.login()
        assert client.requests == 2
    finally:
        silent.close()


def test_sandbox_up_and_down_through_the_cli(tmp_path: Path) -> None:
    home = tmp_path / "home"
    up = run_cli("sandbox", "up", "--empty", home=home)
    assert up.returncode == 0, up.output
    info = server.SandboxInfo.read(home / "sandbox" / "sandbox.json")
    assert info is not None and info.url in up.output
    try:
        again = run_cli("sandbox", "up", "--empty", home=home)
        assert "already running" in again.output
        status = run_cli("status", home=home)
        assert f"Sandbox ERP running at {info.url} (database demo), pid {info.pid}" in (
            status.output
        )
        found = client_of(info).search_read(
            "stock.location", [("type", "=", "warehouse")], ["code"], order=[("code", "ASC")]
        )
        assert [w["code"] for w in found] == ["GOT", "MMO", "STO"]
    finally:
        down = run_cli("sandbox", "down", home=home)
    assert down.returncode == 0 and "Stopped the Tryton sandbox" in down.output
    assert not (home / "sandbox" / "sandbox.json").exists()
    with pytest.raises(TrytonUnreachable):
        client_of(info, retries=0).login()


def test_a_stale_sandbox_file_never_stops_another_process(tmp_path: Path) -> None:
    """After a reboot sandbox.json may name a pid that now belongs to something else."""
    paths = Paths(tmp_path / "home").ensure()
    bystander = subprocess.Popen(["sleep", "60"], start_new_session=True)
    try:
        paths.sandbox.mkdir(parents=True, exist_ok=True)
        server.SandboxInfo(
            "http://127.0.0.1:1/", "demo", "admin", "x", bystander.pid, "log", "then"
        ).write(server.sandbox_file(paths))
        assert server.running(paths) is None
        run_cli("sandbox", "down", home=paths.home)
        assert bystander.poll() is None  # still running
        assert not server.sandbox_file(paths).exists()
    finally:
        bystander.kill()
        bystander.wait()


def test_discarding_the_sandbox_removes_sqlites_journal_too(tmp_path: Path) -> None:
    """A -wal file left by a stopped trytond would be replayed onto the next database copied
    to the same name, and corrupt it."""
    paths = Paths(tmp_path / "home").ensure()
    folder = server.tryton_folder(paths)
    folder.mkdir(parents=True)
    names = ["demo.sqlite", "demo.sqlite-wal", "demo.sqlite-shm", "password.json"]
    for name in names:
        (folder / name).write_text("x", encoding="utf-8")
    server.discard(paths)
    assert [n for n in names if (folder / n).exists()] == []


def test_paging_by_modification_time_reads_every_record_once(sandbox) -> None:
    _, info = sandbox
    client = client_of(info)
    every = set(client.search_ids("stock.move", []))
    pages = list(client.changed_since("stock.move", ["state"], None, page_size=7))
    seen = [record["id"] for page in pages for record in page]
    assert len(seen) == len(set(seen)) and set(seen) == every
    assert len(pages) >= len(every) // 7
    # a record changed after the mark is read again; one changed before is not
    parties = [r for page in client.changed_since("party.party", ["name"], None) for r in page]
    mark = max(record["_modified"] for record in parties)
    customer = client.search_read("party.party", [("code", "=", "1002")], ["id", "name"])[0]
    client.execute("party.party", "write", [customer["id"]], {"name": customer["name"] + "."})
    again = [r["id"] for page in client.changed_since("party.party", ["name"], mark) for r in page]
    assert again == [customer["id"]]


def test_the_erp_models_tell_the_exports_story(sandbox, story: Path) -> None:
    """With the books (SIE) and the ERP (Tryton) both loaded, dbt builds the ERP models in
    one shape; they hold the export's invoices, dimensions and stock, as Tryton computed them."""
    home, _ = sandbox
    config = home / "ledgerbridge.toml"
    original = config.read_text(encoding="utf-8")
    config.write_text(
        original + f'[companies.demo_ab.sources.sie]\nfolder = "{story.parent / "sie"}"\n',
        encoding="utf-8",
    )
    try:
        ingest(home)
        built = run_cli("build", home=home)
        assert built.returncode == 0, built.output
    finally:
        config.write_text(original, encoding="utf-8")
    with warehouse(home) as con:
        customer = con.execute(
            "select invoice_number, total_amount, cost_centre, project "
            "from intermediate.int_erp__invoices where invoice_kind = 'customer'"
        ).fetchall()
        supplier = con.execute(
            "select invoice_number, supplier_invoice_number, total_amount "
            "from intermediate.int_erp__invoices where invoice_kind = 'supplier'"
        ).fetchall()
        stock = con.execute(
            "select warehouse_code, item_number, sum(quantity) "
            "from intermediate.int_erp__stock_moves group by all having sum(quantity) <> 0"
        ).fetchall()
        (warehouses,) = con.execute(
            "select count(*) from intermediate.int_erp__warehouses"
        ).fetchone()
    exported = [i for i in erp_records(story, "customer_invoices") if i["invoice_date"] <= CUTOFF]
    assert sorted(customer) == sorted(
        (i["number"], Decimal(i["total_amount"]), i["cost_centre"], i["project"]) for i in exported
    )
    bought = [i for i in erp_records(story, "supplier_invoices") if i["invoice_date"] <= CUTOFF]
    assert sorted(supplier) == sorted(
        (i["number"], i["supplier_invoice_number"], Decimal(i["total_amount"])) for i in bought
    )
    expected: dict[tuple[str, str], Decimal] = {}
    for move in erp_records(story, "stock_moves"):
        if move["move_date"] <= CUTOFF:
            key = (move["warehouse"], move["article_number"])
            expected[key] = expected.get(key, Decimal(0)) + Decimal(str(move["quantity"]))
    assert {(w, i): q for w, i, q in stock} == {k: q for k, q in expected.items() if q}
    assert warehouses == 3
