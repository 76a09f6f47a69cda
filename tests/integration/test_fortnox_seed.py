"""The Fortnox sandbox seeded from a small Demo AB: every voucher lands and passes the
sandbox's rules, the trial balance is the demo's, the registers and documents are the
accounting program's, and the seeded sandbox answers over HTTP as Fortnox's description says;
``python -m sandbox.fortnox`` seeds and serves."""

from __future__ import annotations

import json
import subprocess
import sys
import threading
from collections import defaultdict
from collections.abc import Iterator
from datetime import UTC, date, datetime
from decimal import Decimal
from pathlib import Path

import pytest
import requests
from openapi_core import OpenAPI
from werkzeug.serving import make_server

from ledgerbridge.formats.sie import SieReader
from sandbox.demo_company import DemoOptions, DemoResult, generate
from sandbox.fortnox.app import FortnoxSandbox
from sandbox.fortnox.seed import SeedError, SeedReport, seed_from_demo
from sandbox.fortnox.store import Store
from tests.integration.test_fortnox_sandbox import (
    CLIENT,
    REDIRECT,
    SECRET,
    Api,
    Clock,
    authorize,
    contract,
)

REPO = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> DemoResult:
    return generate(DemoOptions(scale=2000), tmp_path_factory.mktemp("demo"))


@pytest.fixture(scope="module")
def seeded(demo: DemoResult, tmp_path_factory: pytest.TempPathFactory) -> tuple[Store, SeedReport]:
    store = Store(tmp_path_factory.mktemp("fortnox") / "fortnox.sqlite")
    report = seed_from_demo(
        store,
        demo.folder,
        client_id=CLIENT,
        client_secret=SECRET,
        redirect_uri=REDIRECT,
        now=datetime(2026, 1, 1, tzinfo=UTC),
    )
    yield store, report
    store.close()


@pytest.fixture(scope="module")
def openapi(corpus: Path) -> OpenAPI:
    return contract(corpus)


@pytest.fixture
def api(demo: DemoResult, tmp_path: Path, openapi: OpenAPI, corpus: Path) -> Iterator[Api]:
    """A sandbox of its own (tests through it may book), seeded as ``seeded`` is."""
    store = Store(tmp_path / "fortnox.sqlite")
    seed_from_demo(store, demo.folder, client_id=CLIENT, client_secret=SECRET,
                   redirect_uri=REDIRECT)  # fmt: skip
    clock = Clock()
    app = FortnoxSandbox(store, clock=clock)
    http = make_server("127.0.0.1", 0, app, threaded=True)
    threading.Thread(target=http.serve_forever, daemon=True).start()
    base = f"http://127.0.0.1:{http.server_port}"
    try:
        yield Api(base, authorize(base)["access_token"], clock, app, openapi, corpus)
    finally:
        http.shutdown()
        store.close()


def demo_books(demo: DemoResult) -> list[tuple]:
    books = []
    for path in demo.sie_files:
        with SieReader(path) as reader:
            books.append((reader.header, reader.read()))
    return books


def jsonl(path: Path) -> list[dict]:
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()]


def test_every_demo_voucher_lands_as_booked(demo: DemoResult, seeded) -> None:
    store, report = seeded
    held = defaultdict(list)
    for r in store.rows(
        "select v.year_id, v.series, v.number, v.transaction_date, v.description, r.account, "
        "r.debit, r.credit, r.cost_center, r.project from vouchers v join voucher_rows r "
        "using (year_id, series, number) order by v.year_id, v.series, v.number, r.row_index"
    ):
        held[(r[0], r[1], r[2], r[3], r[4])].append(
            (str(r[5]), Decimal(r[6]) - Decimal(r[7]), r[8], r[9])
        )
    expected = {
        (year_id, v.series, int(v.number), v.date.isoformat(), v.text): [
            (row.account, row.amount, row.object_id("1"), row.object_id("6")) for row in v.rows
        ]
        for year_id, (_, vouchers) in enumerate(demo_books(demo), 1)
        for v in vouchers
    }
    assert held == expected
    assert report.vouchers == demo.vouchers and report.voucher_rows == demo.gl_rows


def test_the_trial_balance_per_year_and_account_is_the_demos(demo: DemoResult, seeded) -> None:
    store, report = seeded
    years = {r["id"]: date.fromisoformat(r["from_date"]) for r in store.rows(
        "select * from financial_years")}  # fmt: skip
    assert sorted(years.values()) == [span.start for span in demo.fiscal_years]
    balance: dict[date, dict[str, Decimal]] = defaultdict(lambda: defaultdict(Decimal))
    for year_id, account, debit, credit in store.rows(
        "select year_id, account, debit, credit from voucher_rows"
    ):
        balance[years[year_id]][str(account)] += Decimal(debit) - Decimal(credit)
    for start, booked in demo.booked.items():
        assert {a: v for a, v in balance[start].items() if v} == {
            a: v for a, v in booked.items() if v}  # fmt: skip
        assert {a: v for (s, a), v in report.trial_balance.items() if s == start and v} == {
            a: v for a, v in booked.items() if v}  # fmt: skip


def test_registers_and_documents_are_the_accounting_programs(demo: DemoResult, seeded) -> None:
    store, report = seeded
    accounting = {c["number"]: c for c in jsonl(demo.accounting_folder / "customers.jsonl")}
    moved = next(
        t["document"]
        for t in demo.ground_truth
        if t["kind"] == "master_data_mismatch" and t["document"] in accounting
    )
    held = store.one("select * from customers where number = ?", (moved,))
    assert held["address1"] == accounting[moved]["street"] == "Gamla Vägen 3"  # not the ERP's
    not_booked = {t["document"] for t in demo.ground_truth if t["kind"] == "invoice_not_booked"}
    erp = {i["number"]: i for i in jsonl(demo.erp_folder / "customer_invoices.jsonl")}
    invoices = {str(r["document_number"]): r for r in store.rows("select * from invoices")}
    assert set(invoices) == set(erp) - not_booked and report.invoices_not_booked == 2
    paid = defaultdict(Decimal)
    for p in jsonl(demo.erp_folder / "customer_payments.jsonl"):
        paid[p["invoice_number"]] += Decimal(p["amount"])
    for number, row in invoices.items():
        assert Decimal(row["total"]) == Decimal(erp[number]["total_amount"])
        assert Decimal(row["balance"]) == Decimal(row["total"]) - paid[number]
        voucher = store.one(
            "select * from vouchers where year_id = ? and series = ? and number = ?",
            (row["voucher_year"], row["voucher_series"], row["voucher_number"]),
        )
        assert voucher["reference_type"] == "INVOICE" and voucher["reference_number"] == number
    duplicate = next(t["document"] for t in demo.ground_truth if t["kind"] == "duplicate_booking")
    twice = store.rows(
        "select reference_type from vouchers where description like ? order by year_id, number",
        (f"Leverantörsfaktura {duplicate} %",),
    )
    assert [r[0] for r in twice] == ["SUPPLIERINVOICE", "MANUAL"]
    unlinked = (
        store.one("select count(*) from invoice_payments where voucher_number is null")[0]
        + store.one("select count(*) from supplier_invoice_payments where booked = 0")[0]
    )
    assert unlinked == 0 and report.supplier_invoices == len(
        jsonl(demo.erp_folder / "supplier_invoices.jsonl"))  # fmt: skip
    assert store.setting("locked_until") == f"{demo.fiscal_years[-1].end.year}-11-30"


def test_the_seeded_books_answer_over_http_as_fortnox_does(
    api: Api, demo: DemoResult, tmp_path: Path
) -> None:
    for path in ("/3/customers", "/3/suppliers", "/3/articles", "/3/invoices",
                 "/3/supplierinvoices", "/3/invoicepayments", "/3/supplierinvoicepayments",
                 "/3/accounts?financialyear=2", "/3/projects", "/3/costcenters",
                 "/3/vouchers?financialyear=1"):  # fmt: skip
        api.json("GET", path, params={"limit": 500})  # every item held to the description
    for path in (
        "/3/invoices/10001",
        "/3/invoicepayments/1",
        "/3/supplierinvoices/50001",
        "/3/supplierinvoicepayments/1",
        "/3/customers/1001",
        "/3/suppliers/2001",
    ):
        api.json("GET", path)
    for year_id, (path, (header, vouchers)) in enumerate(
        zip(demo.sie_files, demo_books(demo), strict=True), 1
    ):
        export = tmp_path / f"{year_id}.se"
        export.write_bytes(api("GET", f"/3/sie/4?financialyear={year_id}", checked=False).content)
        with SieReader(export, mode="strict") as reader:
            exported = reader.read()
            assert reader.diagnostics == []

        def year0(h) -> set:
            return {(b.kind, b.account, b.amount) for b in h.balances if b.year == 0}

        assert year0(reader.header) == year0(header), path
        assert [(v.series, v.number, v.date, v.text, [(r.account, r.amount, r.objects)
                                                      for r in v.rows]) for v in exported] == [
            (v.series, v.number, v.date, v.text, [(r.account, r.amount, r.objects)
                                                  for r in v.rows])
            for v in sorted(vouchers, key=lambda v: (v.series, int(v.number)))
        ]  # fmt: skip


def test_the_seeded_settings_take_new_vouchers_in_the_open_period_only(api: Api) -> None:
    fee = [{"Account": 6570, "Debit": 395.00, "CostCenter": "ADM"},
           {"Account": 1930, "Credit": 395.00}]  # fmt: skip
    body = {"Voucher": {"Description": "Bankavgift", "TransactionDate": "2025-12-30",
                        "Year": 2, "VoucherSeries": "A", "VoucherRows": fee}}  # fmt: skip
    booked = api.post("/3/vouchers", body)["Voucher"]
    assert booked["VoucherNumber"] > 1
    body["Voucher"]["TransactionDate"] = "2025-11-28"
    assert "låst" in api("POST", "/3/vouchers", json=body).json()["ErrorInformation"]["Message"]
    body["Voucher"]["TransactionDate"] = "2025-12-30"
    body["Voucher"]["VoucherRows"] = [{**fee[0], "CostCenter": ""}, fee[1]]
    refused = api("POST", "/3/vouchers", json=body)
    assert "konto 6570 kräver kostnadsställe" in refused.json()["ErrorInformation"]["Message"]


def test_a_sandbox_with_books_is_not_seeded_again(demo: DemoResult, seeded) -> None:
    store, _ = seeded
    with pytest.raises(SeedError, match="already holds books"):
        seed_from_demo(store, demo.folder)


def test_seed_and_serve_from_the_command_line(tmp_path: Path) -> None:
    database = tmp_path / "fortnox.sqlite"
    seeded = subprocess.run(
        [sys.executable, "-m", "sandbox.fortnox", "seed", "--db", str(database), "--demo",
         str(tmp_path / "demo"), "--generate", "--client-id", "cli", "--redirect-uri",
         "http://localhost/cb"],
        cwd=REPO, capture_output=True, text=True, timeout=120,
        env={"FORTNOX_SANDBOX_CLIENT_SECRET": "hemligt", "PATH": "/usr/bin:/bin"},
    )  # fmt: skip
    assert seeded.returncode == 0, seeded.stderr
    assert "invoices_not_booked=2" in seeded.stdout and "hemligt" not in seeded.stdout
    server = subprocess.Popen(
        [sys.executable, "-m", "sandbox.fortnox", "serve", "--db", str(database), "--port", "0"],
        cwd=REPO, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )  # fmt: skip
    try:
        url = server.stdout.readline().strip()
        assert url.startswith("http://127.0.0.1:")
        answer = requests.get(f"{url}/3/financialyears", timeout=10)
        assert answer.status_code == 401 and "ErrorInformation" in answer.json()
        consent = requests.get(
            f"{url}/oauth-v1/auth", allow_redirects=False, timeout=10,
            params={"client_id": "cli", "redirect_uri": "http://localhost/cb",
                    "response_type": "code"},
        )  # fmt: skip
        assert consent.status_code == 302  # the seeded OAuth client
    finally:
        server.terminate()
        assert server.wait(timeout=10) == 0
