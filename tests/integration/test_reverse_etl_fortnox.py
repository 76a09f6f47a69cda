"""Pushing vouchers to Fortnox over real HTTP (the sandbox, seeded with Demo AB), exactly once:
through a push killed at each step, through 429 storms, 500s, dropped connections and answers
lost after the voucher was booked; refusals end the item with Fortnox's message and the others
go on."""

from __future__ import annotations

import contextlib
import shutil
import threading
from collections.abc import Iterator
from dataclasses import replace
from decimal import Decimal
from pathlib import Path

import pytest
import requests

from ingestion.pipeline import fortnox_client
from ledgerbridge.clients.fortnox_tokens import TokenStore
from ledgerbridge.config import Paths, Settings, load_settings
from ledgerbridge.warehouse import exclusive_lock
from reverse_etl.outbox import NewItem, Outbox, State
from reverse_etl.push import push
from sandbox.fortnox.app import Faults
from sandbox.fortnox.running import authorize_sandbox
from tests.conftest import fortnox_only_copy, run_cli, run_steps, warehouse_rows
from tests.integration import test_fortnox_ingest as fortnox_ingest
from tests.integration.test_fortnox_client import Sandbox
from tests.integration.test_fortnox_sandbox import CLIENT, REDIRECT, SECRET

SECRET_ENV = "LEDGERBRIDGE_TEST_FORTNOX_SECRET"
SYNC = "test_vouchers"  # items put in the outbox directly: the engine and Fortnox under test


# the Fortnox connector tests' fixtures: the demo at 2,000 GL rows, the sandbox seeded with it
demo = fortnox_ingest.demo
sandbox = fortnox_ingest.sandbox


@pytest.fixture
def home(sandbox: Sandbox, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Demo AB's books in the sandbox, configured as a real company's Fortnox is, authorized."""
    monkeypatch.setenv(SECRET_ENV, SECRET)
    home = tmp_path / "home"
    home.mkdir()
    (home / "ledgerbridge.toml").write_text(
        '[companies.demo_ab]\nname = "Demo AB"\n[companies.demo_ab.sources.fortnox]\n'
        f'client_id = "{CLIENT}"\nclient_secret_env = "{SECRET_ENV}"\n'
        f'redirect_uri = "{REDIRECT}"\napi_url = "{sandbox.url}"\n'
        f'auth_url = "{sandbox.url}/oauth-v1"\n',
        encoding="utf-8",
    )
    paths = Paths(home)
    authorize_sandbox(fortnox_client(paths, settings_of(home).company("demo_ab")), REDIRECT)
    return home


def settings_of(home: Path) -> Settings:
    return load_settings(Paths(home))


def voucher(n: int, day: str = "2025-12-15", cost_centre: str = "KONS") -> NewItem:
    amount = f"{100 + n}.00"
    rows = [
        {"account": "1930", "cost_centre": None, "project": None, "amount": amount},
        {"account": "3041", "cost_centre": cost_centre, "project": "P101", "amount": f"-{amount}"},
    ]
    payload = {"text": f"Insättning {n}", "date": day, "series": "A", "rows": rows}
    return NewItem(
        company_id="demo_ab", sync=SYNC, operation="create_voucher", destination="fortnox",
        source_document=f"test-{n}", finding_id=None, payload=payload,
        version_of={k: payload[k] for k in ("text", "series", "rows")}, needs_approval=True,
        before={}, after={},
    )  # fmt: skip


def invoice(n: int) -> NewItem:
    """An ERP invoice to create and book in Fortnox (number 9000n, customer 1001)."""
    number, net = str(90000 + n), Decimal(2 * (500 + n))
    rows = [{"article": None, "description": f"Konsult {n}", "account": "3041",
             "cost_centre": "KONS", "project": "P101", "quantity": "2",
             "price": f"{500 + n}.00", "amount": str(net)}]  # fmt: skip
    payload = {"document_number": number, "customer_number": "1001", "date": "2025-12-15",
               "text": f"Kundfaktura {number}", "total": str(net * Decimal("1.25")),
               "rows": rows}  # fmt: skip
    return NewItem(
        company_id="demo_ab", sync=SYNC, operation="create_invoice", destination="fortnox",
        source_document=f"invoice {number}", finding_id=None, payload=payload,
        version_of=payload, needs_approval=True, before={}, after={},
    )  # fmt: skip


def approved(home: Path, items: list[NewItem]) -> list[str]:
    """Put the items in the outbox and approve them; their key tokens."""
    with Outbox(Paths(home)) as outbox:
        _, added, _ = outbox.add_plan("anna", None, items, {SYNC})
        outbox.decide(added, "bertil", approve=True)
        return [item.token for item in added]


def booked(sandbox: Sandbox, tokens: list[str]) -> dict[str, int]:
    """How many vouchers in Fortnox carry each token."""
    counts = dict.fromkeys(tokens, 0)
    for (description,) in sandbox.store.rows("select description from vouchers"):
        for token in tokens:
            if description.endswith(f"[{token}]"):
                counts[token] += 1
    return counts


def states(home: Path) -> dict[str, int]:
    with Outbox(Paths(home)) as outbox:
        found: dict[str, int] = {}
        for item in outbox.items():
            found[item.state] = found.get(item.state, 0) + 1
        return found


def test_approved_vouchers_are_posted_once_each(home: Path, sandbox: Sandbox) -> None:
    tokens = approved(home, [voucher(n) for n in range(12)])
    result = push(Paths(home), settings_of(home), "anna")
    assert len(result.posted) == 12 and not result.failed and not result.uncertain
    assert booked(sandbox, tokens) == dict.fromkeys(tokens, 1)
    # the target says where: Fortnox's series and number
    assert all(item.target_id.startswith("A") for item in result.posted)
    rows = sandbox.store.rows(
        "select r.account, r.debit, r.credit, r.cost_center, r.project from voucher_rows r "
        "join vouchers v using (year_id, series, number) where v.description like ?",
        (f"Insättning 3 [{tokens[3]}]",),
    )
    assert sorted((r[0], Decimal(r[1]), Decimal(r[2]), r[3], r[4]) for r in rows) == [
        (1930, Decimal("103.00"), Decimal(0), None, None),
        (3041, Decimal(0), Decimal("103.00"), "KONS", "P101"),
    ]


@pytest.mark.parametrize("fault", ["after_claim", "after_send", "mid_batch"])
def test_a_push_killed_at_each_step_ends_with_every_voucher_once(
    home: Path, sandbox: Sandbox, fault: str
) -> None:
    tokens = approved(home, [voucher(n) for n in range(8)])
    env = {"LEDGERBRIDGE_FAULT": fault, SECRET_ENV: SECRET}
    killed = run_cli("push", "--as", "anna", home=home, env=env)
    assert killed.returncode == -9, killed.output  # SIGKILL: nothing was cleaned up
    sent = sum(booked(sandbox, tokens).values())
    assert sent == {"after_claim": 0, "after_send": 1, "mid_batch": 1}[fault]
    assert states(home).get("SENDING", 0) == 8 - (1 if fault == "mid_batch" else 0)

    restarted = run_cli("push", "--as", "anna", home=home, env={SECRET_ENV: SECRET})
    assert restarted.returncode == 0, restarted.output
    if fault == "after_send":
        assert "item 1: found written by an interrupted push" in restarted.output
    assert booked(sandbox, tokens) == dict.fromkeys(tokens, 1)
    assert states(home) == {"POSTED": 8}


def test_429_storms_500s_dropped_connections_and_lost_answers_still_post_once(
    home: Path, sandbox: Sandbox
) -> None:
    tokens = approved(home, [voucher(n) for n in range(30)] + [invoice(n) for n in range(5)])
    # a fifth of answers 500, some connections dropped before and some after the voucher
    # was booked (the answer lost), and another process spending the token's rate budget
    sandbox.app.faults = Faults(error_rate=0.2, drop_rate=0.05, drop_after_rate=0.1, seed=5)
    token = TokenStore(Paths(home), "demo_ab").load().access_token
    stop = threading.Event()

    def other_process() -> None:
        while not stop.wait(1.0):
            with contextlib.suppress(requests.ConnectionError):
                requests.get(f"{sandbox.url}/3/financialyears",
                             headers={"Authorization": f"Bearer {token}"}, timeout=10)  # fmt: skip

    spenders = [threading.Thread(target=other_process) for _ in range(4)]
    for thread in spenders:
        thread.start()
    try:
        runs = 0
        while states(home).get("POSTED", 0) < 35 and runs < 10:
            runs += 1
            push(Paths(home), settings_of(home), "anna")
    finally:
        stop.set()
        for thread in spenders:
            thread.join()
    assert states(home) == {"POSTED": 35}, f"after {runs} pushes"
    assert booked(sandbox, tokens[:30]) == dict.fromkeys(tokens[:30], 1)
    # each invoice created once, and booked once (a voucher referring to it)
    numbers = [str(90000 + n) for n in range(5)]
    invoices = sandbox.store.rows(
        "select document_number, booked from invoices where document_number >= 90000 order by 1"
    )
    assert [tuple(row) for row in invoices] == [(int(n), 1) for n in numbers]
    bookings = sandbox.store.rows(
        "select reference_number, count(*) from vouchers where reference_type = 'INVOICE' "
        "and reference_number >= '90000' group by 1 order by 1"
    )
    assert [tuple(row) for row in bookings] == [(n, 1) for n in numbers]
    assert sandbox.app.dropped > 0


def test_refused_vouchers_end_with_the_reason_and_the_others_go_through(
    home: Path, sandbox: Sandbox
) -> None:
    locked = sandbox.store.setting("locked_until")
    tokens = approved(
        home,
        [voucher(1), voucher(2, day=locked), voucher(3, cost_centre="NOSUCH"), voucher(4)],
    )
    result = push(Paths(home), settings_of(home), "anna")
    assert {item.payload["text"] for item in result.posted} == {"Insättning 1", "Insättning 4"}
    reasons = {item.payload["text"]: message for item, message in result.failed}
    assert set(reasons) == {"Insättning 2", "Insättning 3"}
    assert "locked period" in reasons["Insättning 2"] and locked in reasons["Insättning 2"]
    # Fortnox's own message, as it refused the voucher
    assert "HTTP 400" in reasons["Insättning 3"] and "NOSUCH finns inte" in reasons["Insättning 3"]
    assert booked(sandbox, tokens) == {tokens[0]: 1, tokens[1]: 0, tokens[2]: 0, tokens[3]: 1}
    assert states(home) == {"POSTED": 2, "FAILED_TERMINAL": 2}
    # a terminal failure is not tried again
    again = push(Paths(home), settings_of(home), "anna")
    assert again.nothing and "pushed already" in again.nothing[0]


def account(number: str, year_start: str = "2025-01-01") -> NewItem:
    payload = {"number": number, "description": f"Konto {number}", "year_start": year_start}
    return NewItem(
        company_id="demo_ab", sync=SYNC, operation="create_account", destination="fortnox",
        source_document=f"account {number} {year_start}", finding_id=None, payload=payload,
        version_of=payload, needs_approval=True, before={}, after={},
    )  # fmt: skip


def test_accounts_are_created_in_the_years_chart_once(home: Path, sandbox: Sandbox) -> None:
    """An account the year's chart lacks is created there; one it has is left as it is; a
    year Fortnox does not have is refused with the reason, before any request."""
    approved(home, [account("3099"), account("3001"), account("3098", "2031-01-01")])
    sandbox.app.faults = Faults(drop_after_rate=0.3, seed=3)  # answers lost after the work
    result = push(Paths(home), settings_of(home), "anna")
    assert {item.payload["number"] for item in result.posted} == {"3099", "3001"}
    [(refused, reason)] = result.failed
    assert refused.payload["number"] == "3098" and "no financial year from 2031" in reason
    year = sandbox.store.one("select id from financial_years where from_date = '2025-01-01'")
    rows = sandbox.store.rows(
        "select number, description from accounts where year_id = ? and number in (3001, 3099)",
        (year["id"],),
    )
    described = {row["number"]: row["description"] for row in rows}
    assert described[3099] == "Konto 3099"
    assert described[3001] != "Konto 3001"  # the chart's own account is left as it was


def supplier_invoice(n: int) -> NewItem:
    """An ERP supplier invoice (supplier 2001's number X-n) to create and book in Fortnox."""
    net = Decimal(800 + n)
    payload = {"supplier_number": "2001", "supplier_invoice_number": f"X-{n}",
               "date": "2025-12-15", "text": f"Leverantörsfaktura X-{n}",
               "vat": str(net / 4), "total": str(net * Decimal("1.25")),
               "rows": [{"account": "4010", "cost_centre": "LAGER", "project": None,
                         "amount": str(net)}]}  # fmt: skip
    return NewItem(
        company_id="demo_ab", sync=SYNC, operation="create_supplier_invoice",
        destination="fortnox", source_document=f"supplier invoice X-{n}", finding_id=None,
        payload=payload, version_of=payload, needs_approval=True, before={}, after={},
    )  # fmt: skip


def test_supplier_invoices_are_created_and_booked_once(home: Path, sandbox: Sandbox) -> None:
    """Fortnox numbers a supplier invoice itself: it is found by supplier and the supplier's
    number, so lost answers and a second push never create or book one twice."""
    approved(home, [supplier_invoice(n) for n in range(4)])
    sandbox.app.faults = Faults(error_rate=0.2, drop_after_rate=0.2, seed=11)
    for _ in range(6):
        if states(home).get("POSTED", 0) == 4:
            break
        push(Paths(home), settings_of(home), "anna")
    sandbox.app.faults = Faults()
    assert states(home) == {"POSTED": 4}
    invoices = sandbox.store.rows(
        "select invoice_number, booked, total, given_number from supplier_invoices "
        "where invoice_number like 'X-%' order by invoice_number"
    )
    assert [(r["invoice_number"], r["booked"]) for r in invoices] == [
        (f"X-{n}", 1) for n in range(4)
    ]
    bookings = sandbox.store.rows(
        "select reference_number, count(*) as vouchers from vouchers "
        "where reference_type = 'SUPPLIERINVOICE' and reference_number in "
        f"({', '.join(repr(str(r['given_number'])) for r in invoices)}) group by 1"
    )
    assert sorted(r["vouchers"] for r in bookings) == [1, 1, 1, 1]


def test_rows_the_years_chart_refuses_are_refused_before_sending(
    home: Path, sandbox: Sandbox
) -> None:
    """Account settings are checked before a voucher is sent: a cost centre on an account
    that allows none, an account the year's chart lacks. Nothing of them reaches Fortnox."""
    on_bank = voucher(1)
    on_bank.payload["rows"][0]["cost_centre"] = "KONS"  # 1930 allows no cost centre
    unknown = voucher(2)
    unknown.payload["rows"][1]["account"] = "3999"
    tokens = approved(home, [on_bank, unknown, voucher(3)])
    result = push(Paths(home), settings_of(home), "anna")
    reasons = {item.payload["text"]: message for item, message in result.failed}
    assert "account 1930 allows no cost centre in Fortnox (KONS given)" in reasons["Insättning 1"]
    assert "account 3999 is not in the year's chart" in reasons["Insättning 2"]
    assert [item.payload["text"] for item in result.posted] == ["Insättning 3"]
    assert booked(sandbox, tokens) == {tokens[0]: 0, tokens[1]: 0, tokens[2]: 1}


def test_a_correction_is_sent_whole_or_not_at_all(home: Path, sandbox: Sandbox) -> None:
    """A reversal and its rebooking mend one finding: when Fortnox would refuse one, neither
    is sent (a reversal alone would leave the invoice unbooked)."""
    reversal, rebooking = voucher(1), voucher(2)
    rebooking.payload["rows"][1]["account"] = "3999"  # not in the chart
    pair = [replace(v, finding_id="f1") for v in (reversal, rebooking)]
    tokens = approved(home, pair)
    result = push(Paths(home), settings_of(home), "anna")
    reasons = {item.payload["text"]: message for item, message in result.failed}
    assert "account 3999 is not in the year's chart" in reasons["Insättning 2"]
    assert "of the same correction was refused" in reasons["Insättning 1"]
    assert booked(sandbox, tokens) == dict.fromkeys(tokens, 0)


def test_two_pushes_at_once_are_refused(home: Path, sandbox: Sandbox) -> None:
    approved(home, [voucher(1)])
    paths = Paths(home)
    with exclusive_lock(paths, home / "push.lock", "ledgerbridge push", busy="x {who}", hint=""):
        # a second process: the lock is per process, so ask from another one
        other = run_cli("push", "--as", "anna", home=home, env={SECRET_ENV: SECRET})
    assert other.returncode == 1
    assert "another push is running" in other.stderr and "ledgerbridge push" in other.stderr
    assert states(home) == {"APPROVED": 1}


@pytest.fixture
def demo_copy(demo_home: Path, tmp_path: Path) -> Iterator[Path]:
    with fortnox_only_copy(demo_home, tmp_path / "demo-home") as home:
        yield home


def test_the_demos_findings_are_corrected_in_fortnox_and_read_back(demo_copy: Path) -> None:
    """Each planted booking error gets its correction vouchers, each ERP invoice the books
    lack is created and booked in Fortnox, and the customer whose address the ERP changed
    (master_data_mismatch) gets the ERP's address in Fortnox's register; read back by the
    next ingestion, every one of those findings is gone:

    - the duplicate booking: a reversal of the later booking;
    - the invoice booked at 90 % of the ERP's amount, and the two booked on another cost
      centre or project: a reversal plus a rebooking as the ERP has the invoice;
    - the two invoices never booked: in Fortnox's invoice register, booked from there."""
    home = demo_copy
    findings = (
        "select kind, document from marts.rec_findings "
        "where kind in ('duplicate_booking', 'master_data_mismatch', 'amount_mismatch', "
        "'dimension_mismatch', 'vat_mismatch', 'invoice_not_booked') order by 1, 2"
    )
    assert warehouse_rows(home, findings) == [
        ("amount_mismatch", "10091"),
        ("dimension_mismatch", "10116"),  # project P103, the ERP says P102
        ("dimension_mismatch", "10126"),  # cost centre LAGER, the ERP says SALJ
        ("duplicate_booking", "50013"),
        ("invoice_not_booked", "10153"),
        ("invoice_not_booked", "10154"),
        ("master_data_mismatch", "1003"),  # a customer: its address
        ("master_data_mismatch", "2002"),  # a supplier's bankgiro: no sync writes it yet
    ]
    planned = run_cli("plan", "--as", "anna", home=home)
    assert planned.returncode == 0, planned.output
    # a voucher for the duplicate, two for each of the three others, two invoices, a customer
    assert "10 items proposed, 10 new" in planned.output
    assert "Storgatan 13" in planned.output  # the customer's new street, shown before it goes
    with Outbox(Paths(home)) as outbox:
        items = outbox.items()
    vouchers = {i.payload["text"]: i.payload for i in items if "rows" in i.payload}
    rebooking = vouchers["Kundfaktura 10091 rättelse: ombokning enligt ERP av B 16"]
    reversal = vouchers["Kundfaktura 10091 rättelse: vänder B 16"]
    # the rebooking puts the ERP's gross on 1510; both net to zero
    assert {r["account"]: r["amount"] for r in rebooking["rows"]}["1510"] == "6545.77"
    assert sum(Decimal(r["amount"]) for r in rebooking["rows"]) == 0
    assert sum(Decimal(r["amount"]) for r in reversal["rows"]) == 0
    # dated on the booking they correct, but Fortnox has locked up to 2025-11-30
    assert rebooking["date"] == reversal["date"] == "2025-12-01"
    moved = vouchers["Kundfaktura 10126 rättelse: ombokning enligt ERP av B 51"]
    assert {r["cost_centre"] for r in moved["rows"]} == {"SALJ", None}

    # a correction's two vouchers are approved together: approving one approves both
    first = next(i for i in items if i.payload.get("text", "").endswith("vänder B 16"))
    approved = run_cli("approve", str(first.item_id), "--as", "bertil", home=home)
    assert approved.returncode == 0 and "2 items approved" in approved.output, approved.output
    assert run_cli("approve", "--all", "--as", "bertil", home=home).returncode == 0
    pushed = run_cli("push", "--as", "anna", home=home)
    assert pushed.returncode == 0, pushed.output
    assert "10 posted, 0 failed" in pushed.output
    with Outbox(Paths(home)) as outbox:
        targets = {item.target_id for item in outbox.items()}
    assert "customer 1003" in targets, targets
    # each invoice booked by a voucher of Fortnox's invoice series
    for number in ("10153", "10154"):
        assert any(t and t.startswith(f"invoice {number} (B") for t in targets), targets
    run_steps(home, "ingest", "build", "publish")
    # read back from Fortnox: the corrections are in the ledger, the register has the address.
    # The March invoice's VAT was corrected in December (March is locked): each period's VAT
    # return is now off by that much, which the VAT check says.
    assert warehouse_rows(home, findings) == [
        ("master_data_mismatch", "2002"),
        ("vat_mismatch", "2025-03"),
        ("vat_mismatch", "2025-12"),
    ]
    assert warehouse_rows(
        home,
        "select details from marts.rec_findings where kind = 'vat_mismatch' order by document",
    ) == [
        ("output VAT booked in 2025-03 is 111651.75; the customer invoices of the period carry "
         "111771.52; -119.77 is unexplained",),
        ("output VAT booked in 2025-12 is 92691.62; the customer invoices of the period carry "
         "92571.85; 119.77 is unexplained",),
    ]  # fmt: skip
    reversal_rows = warehouse_rows(
        home,
        "select sum(amount), count(*), min(voucher_series) from marts.fct_gl_entries "
        "where voucher_text like '%rättelse: vänder dubbelbokning D 14%'",
    )
    assert reversal_rows == [(0, 3, "D")]
    # the invoices are in the kundreskontra, booked at the ERP's amounts, not yet paid
    assert warehouse_rows(
        home,
        "select invoice_number, gross_amount, open_amount from marts.fct_ar_invoices "
        "where invoice_number in ('10153', '10154') order by 1",
    ) == [("10153", Decimal("7976.04"), Decimal("7976.04")),
          ("10154", Decimal("2449.66"), Decimal("2449.66"))]  # fmt: skip
    assert warehouse_rows(
        home,
        "select address1, zip_code, city from staging.stg_fortnox__customers "
        "where customer_number = '1003'",
    ) == [("Storgatan 13", "257 91", "Helsingborg")]
    replanned = run_cli("plan", "--as", "anna", home=home)
    assert "0 items proposed, 0 new" in replanned.output


def test_a_supplier_register_drift_is_written_back_approved_by_configuration(
    demo_copy: Path,
) -> None:
    """Someone changes supplier 2001's address in Fortnox; the ERP's is the one that counts
    (seed reverse_etl_field_owners). With the supplier sync approved by configuration, the
    plan approves it by itself (vouchers still wait for a person), push writes the ERP's
    address back, and read back the finding is gone."""
    home = demo_copy
    address = (
        "select zip_code, city from staging.stg_fortnox__suppliers where supplier_number = '2001'"
    )
    [erp_address] = warehouse_rows(home, address)
    with open(home / "ledgerbridge.toml", "a", encoding="utf-8") as config:
        config.write('\n[reverse_etl]\napprove_automatically = ["sync_accounting__suppliers"]\n')
    client = fortnox_client(Paths(home), settings_of(home).company("demo_ab"))
    client.put("/3/suppliers/2001", {"Supplier": {"ZipCode": "981 31", "City": "Kiruna"}})
    run_steps(home, "ingest", "build", "publish")
    supplier_findings = (
        "select document from marts.rec_findings "
        "where kind = 'master_data_mismatch' and document_type = 'supplier' order by 1"
    )
    assert warehouse_rows(home, supplier_findings) == [("2001",), ("2002",)]

    planned = run_cli("plan", "--as", "anna", home=home)
    assert planned.returncode == 0, planned.output
    assert "Approved by the configuration" in planned.output and "Kiruna" in planned.output
    with Outbox(Paths(home)) as outbox:
        items = outbox.items()
    [supplier] = [i for i in items if i.sync == "sync_accounting__suppliers"]
    assert (supplier.state, supplier.approved_by) == (State.APPROVED, "configuration")
    assert (supplier.before["ZipCode"], supplier.before["City"]) == ("981 31", "Kiruna")
    assert (supplier.after["ZipCode"], supplier.after["City"]) == erp_address
    assert {i.state for i in items if i.operation == "create_voucher"} == {State.PLANNED}

    pushed = run_cli("push", "--as", "anna", home=home)
    assert pushed.returncode == 0, pushed.output
    assert "1 posted, 0 failed" in pushed.output and "supplier 2001" in pushed.output
    run_steps(home, "ingest", "build", "publish")
    assert warehouse_rows(home, address) == [erp_address]
    assert warehouse_rows(home, supplier_findings) == [("2002",)]  # a bankgiro: never synced


@pytest.fixture
def demo_with_erp(demo_home: Path, tmp_path: Path) -> Iterator[Path]:
    """A copy of the demo home with its own sandboxes: Fortnox and the ERP (Tryton)."""
    home = tmp_path / "demo-erp"
    shutil.copytree(demo_home, home)
    for started in ("fortnox.json", "sandbox.json"):  # the original's: start this copy's own
        (home / "sandbox" / started).unlink(missing_ok=True)
    result = run_cli("sandbox", "up", home=home)
    assert result.returncode == 0, result.output
    try:
        yield home
    finally:
        run_cli("sandbox", "down", home=home)


def test_a_payment_booked_in_fortnox_reaches_the_erp(demo_with_erp: Path) -> None:
    from datetime import date, timedelta

    from ingestion.pipeline import tryton_client

    home = demo_with_erp
    paths = Paths(home)
    company = settings_of(home).company("demo_ab")
    fortnox = fortnox_client(paths, company)
    tryton = tryton_client(paths, company)
    open_in_erp = {
        invoice["number"]: invoice["amount_to_pay"]
        for invoice in tryton.search_read(
            "account.invoice", [("type", "=", "out"), ("state", "=", "posted")],
            ["number", "amount_to_pay"],
        )
    }  # fmt: skip
    unpaid = [
        invoice
        for invoice in fortnox.get("/3/invoices", {"filter": "unpaid"})["Invoices"]
        if invoice["DocumentNumber"] in open_in_erp
        and Decimal(str(invoice["Balance"])) == open_in_erp[invoice["DocumentNumber"]]
    ]
    assert unpaid, "the demo has no invoice open in both systems"
    invoice = unpaid[0]
    number = invoice["DocumentNumber"]
    locked = fortnox.get("/3/settings/lockedperiod")["LockedPeriod"]["EndDate"]
    paid_on = (date.fromisoformat(locked) + timedelta(days=1)).isoformat()
    fortnox.post("/3/invoicepayments", {"InvoicePayment": {
        "InvoiceNumber": int(number), "Amount": Decimal(str(invoice["Balance"])),
        "PaymentDate": paid_on}})  # fmt: skip
    run_steps(home, "ingest", "build", "publish")

    planned = run_cli("plan", "--as", "anna", home=home)
    assert planned.returncode == 0, planned.output
    with Outbox(paths) as outbox:
        [payment] = [i for i in outbox.items() if i.sync == "sync_erp__invoice_payments"]
    assert payment.payload["invoice_number"] == number and payment.destination == "tryton"
    assert Decimal(payment.payload["amount"]) == Decimal(str(invoice["Balance"]))
    approved = run_cli("approve", str(payment.item_id), "--as", "bertil", home=home)
    assert approved.returncode == 0, approved.output
    pushed = run_cli("push", "--as", "anna", home=home)
    assert pushed.returncode == 0, pushed.output
    assert f"invoice {number}" in pushed.output

    # the ERP has it: the invoice is paid, by one payment carrying the item's token
    [erp_invoice] = tryton.search_read("account.invoice", [("number", "=", number),
                                                          ("type", "=", "out")],
                                       ["state", "amount_to_pay"])  # fmt: skip
    assert erp_invoice["state"] == "paid" and erp_invoice["amount_to_pay"] == 0
    moves = tryton.search_ids("account.move", [("description", "like", f"%[{payment.token}]")])
    assert len(moves) == 1
    # and read back, nothing is left to write for it
    run_steps(home, "ingest", "build", "publish")
    replanned = run_cli("plan", "--as", "anna", home=home)
    assert replanned.returncode == 0, replanned.output
    with Outbox(paths) as outbox:
        again = [i for i in outbox.items() if i.sync == "sync_erp__invoice_payments"]
    assert [(i.item_id, i.state) for i in again] == [(payment.item_id, "POSTED")]
    assert "invoice " + number not in replanned.output


def test_a_new_erp_project_and_cost_centre_are_created_in_fortnox(demo_with_erp: Path) -> None:
    """The ERP gets a project and a cost centre Fortnox lacks (an invoice naming them would be
    refused there): the plan creates them in Fortnox, and once read back nothing is left."""
    from ingestion.pipeline import tryton_client

    home = demo_with_erp
    paths = Paths(home)
    tryton = tryton_client(paths, settings_of(home).company("demo_ab"))
    for root_code, code, name in (("6", "P199", "Lagerflytt Göteborg"), ("1", "MARK", "Marknad")):
        [root] = tryton.search_read(
            "analytic_account.account", [("code", "=", root_code), ("type", "=", "root")],
            ["id", "company"],
        )  # fmt: skip
        tryton.execute("analytic_account.account", "create", [{
            "root": root["id"], "parent": root["id"], "code": code, "name": name,
            "company": root["company"]}])  # fmt: skip
    run_steps(home, "ingest", "build", "publish")
    assert warehouse_rows(
        home,
        "select project_code, project_name, is_known_to_accounting from marts.dim_project "
        "where project_code = 'P199'",
    ) == [("P199", "Lagerflytt Göteborg", False)]

    planned = run_cli("plan", "--as", "anna", home=home)
    assert planned.returncode == 0, planned.output
    with Outbox(paths) as outbox:
        created = {
            item.source_document: item
            for item in outbox.items()
            if item.sync in ("sync_accounting__projects", "sync_accounting__cost_centres")
        }
    assert sorted(created) == ["cost centre MARK", "project P199"]
    ids = [str(item.item_id) for item in created.values()]
    assert run_cli("approve", *ids, "--as", "bertil", home=home).returncode == 0
    pushed = run_cli("push", "--as", "anna", home=home)
    assert pushed.returncode == 0 and "2 posted, 0 failed" in pushed.output, pushed.output
    fortnox = fortnox_client(paths, settings_of(home).company("demo_ab"))
    assert fortnox.get("/3/projects/P199")["Project"]["Description"] == "Lagerflytt Göteborg"
    assert fortnox.get("/3/costcenters/MARK")["CostCenter"]["Description"] == "Marknad"

    run_steps(home, "ingest", "build", "publish")
    assert warehouse_rows(
        home,
        "select count(*) from marts.dim_project where project_code = 'P199' "
        "and is_known_to_erp and is_known_to_accounting",
    ) == [(1,)]
    replanned = run_cli("plan", "--as", "anna", home=home)
    assert "P199" not in replanned.output and "MARK" not in replanned.output


def test_a_field_the_accounting_system_owns_is_written_to_the_erp(demo_with_erp: Path) -> None:
    """Configured so that the accounting system owns customers' addresses, a customer moved
    in Fortnox gets its new address in the ERP (Tryton); and customer 1003, whose address the
    ERP changed, gets Fortnox's back. Read back, both master-data findings are gone."""
    from ingestion.pipeline import tryton_client

    home = demo_with_erp
    paths = Paths(home)
    with open(home / "ledgerbridge.toml", "a", encoding="utf-8") as config:
        config.write('\n[reverse_etl.field_owners]\ncustomer = { address = "accounting" }\n')
    company = settings_of(home).company("demo_ab")
    moved = {"Address1": "Hamngatan 4", "ZipCode": "411 06", "City": "Göteborg"}
    fortnox_client(paths, company).put("/3/customers/1001", {"Customer": moved})
    run_steps(home, "ingest", "build", "publish")
    customer_findings = (
        "select document from marts.rec_findings "
        "where kind = 'master_data_mismatch' and document_type = 'customer' order by 1"
    )
    assert warehouse_rows(home, customer_findings) == [("1001",), ("1003",)]

    planned = run_cli("plan", "--as", "anna", home=home)
    assert planned.returncode == 0, planned.output
    with Outbox(paths) as outbox:
        items = outbox.items()
    parties = {i.source_document: i for i in items if i.sync == "sync_erp__parties"}
    assert sorted(parties) == ["customer 1001", "customer 1003"]
    assert parties["customer 1001"].after == {
        "street": "Hamngatan 4", "postal_code": "411 06", "city": "Göteborg",
    }  # fmt: skip
    # the ERP's address of 1003 is no longer written to Fortnox: Fortnox owns it now
    assert not [i for i in items if i.sync == "sync_accounting__customers"]
    ids = [str(item.item_id) for item in parties.values()]
    assert run_cli("approve", *ids, "--as", "bertil", home=home).returncode == 0
    pushed = run_cli("push", "--as", "anna", home=home)
    assert pushed.returncode == 0 and "2 posted, 0 failed" in pushed.output, pushed.output

    tryton = tryton_client(paths, company)
    [party] = tryton.search_read("party.party", [("code", "=", "1001")], ["id"])
    [address] = tryton.search_read(
        "party.address", [("party", "=", party["id"]), ("active", "=", True)],
        ["street", "postal_code", "city"], limit=1,
    )  # fmt: skip
    assert (address["street"], address["postal_code"], address["city"]) == (
        "Hamngatan 4", "411 06", "Göteborg",
    )  # fmt: skip
    run_steps(home, "ingest", "build", "publish")
    assert warehouse_rows(home, customer_findings) == []
    assert run_cli("plan", "--as", "anna", home=home).returncode == 0
    with Outbox(paths) as outbox:
        again = [(i.source_document, i.state) for i in outbox.items()
                 if i.sync == "sync_erp__parties"]  # fmt: skip
    assert again == [("customer 1001", "POSTED"), ("customer 1003", "POSTED")]


def test_erp_products_reach_fortnox_as_articles(demo_with_erp: Path) -> None:
    """A product renamed and repriced in the ERP is updated in Fortnox's article register,
    and a new product is created there with the VAT rate of its accounting category (12 %,
    food), which Fortnox then puts on invoice rows."""
    from ingestion.pipeline import tryton_client

    home = demo_with_erp
    paths = Paths(home)
    company = settings_of(home).company("demo_ab")
    tryton = tryton_client(paths, company)
    [renamed] = tryton.search_read("product.product", [("code", "=", "A1003")], ["template"])
    tryton.execute("product.template", "write", [renamed["template"]],
                   {"name": "Bildskärm 27 tum USB-C", "list_price": Decimal("3190")})  # fmt: skip
    [food] = tryton.search_read("product.product", [("code", "=", "A2001")], ["template"])
    [template] = tryton.search_read(
        "product.template", [("id", "=", food["template"])],
        ["default_uom", "account_category", "type"],
    )  # fmt: skip
    tryton.execute("product.template", "create", [{
        "name": "Kaffebönor mörkrost 1 kg", "type": template["type"],
        "default_uom": template["default_uom"], "account_category": template["account_category"],
        "list_price": Decimal("219"), "products": [["create", [{"suffix_code": "A2099"}]]],
    }])  # fmt: skip
    run_steps(home, "ingest", "build", "publish")

    planned = run_cli("plan", "--as", "anna", home=home)
    assert planned.returncode == 0, planned.output
    with Outbox(paths) as outbox:
        articles = {i.source_document: i for i in outbox.items()
                    if i.sync == "sync_accounting__articles"}  # fmt: skip
    assert sorted(articles) == ["article A1003", "article A2099"]
    assert articles["article A1003"].after == {
        "Description": "Bildskärm 27 tum USB-C", "SalesPrice": "3190.0000",
    }  # fmt: skip
    assert articles["article A1003"].before["SalesPrice"] == "2990.0000"
    assert articles["article A2099"].after == {
        "Description": "Kaffebönor mörkrost 1 kg", "SalesPrice": "219.0000", "Type": "STOCK",
        "VAT": "12",
    }  # fmt: skip
    ids = [str(item.item_id) for item in articles.values()]
    assert run_cli("approve", *ids, "--as", "bertil", home=home).returncode == 0
    pushed = run_cli("push", "--as", "anna", home=home)
    assert pushed.returncode == 0 and "2 posted, 0 failed" in pushed.output, pushed.output

    fortnox = fortnox_client(paths, company)
    created = fortnox.get("/3/articles/A2099")["Article"]
    assert (created["Description"], Decimal(str(created["SalesPrice"])), created["VAT"]) == (
        "Kaffebönor mörkrost 1 kg", Decimal("219"), 12,
    )  # fmt: skip
    assert Decimal(str(fortnox.get("/3/articles/A1003")["Article"]["SalesPrice"])) == 3190
    run_steps(home, "ingest", "build", "publish")
    assert warehouse_rows(home, "select count(*) from marts.sync_accounting__articles") == [(0,)]


def test_an_article_price_the_accounting_system_owns_reaches_the_erp(
    demo_with_erp: Path,
) -> None:
    """Configured so that Fortnox owns articles' sales prices, a price changed there is
    written to the product in Tryton, and no longer the other way."""
    from ingestion.pipeline import tryton_client

    home = demo_with_erp
    paths = Paths(home)
    with open(home / "ledgerbridge.toml", "a", encoding="utf-8") as config:
        config.write('\n[reverse_etl.field_owners]\narticle = { sales_price = "accounting" }\n')
    company = settings_of(home).company("demo_ab")
    fortnox_client(paths, company).put("/3/articles/A1004", {"Article": {"SalesPrice": 579}})
    run_steps(home, "ingest", "build", "publish")

    assert run_cli("plan", "--as", "anna", home=home).returncode == 0
    with Outbox(paths) as outbox:
        items = outbox.items()
    [product] = [i for i in items if i.sync == "sync_erp__products"]
    assert (product.source_document, product.after) == ("product A1004", {"list_price": "579.0000"})
    assert not [i for i in items if i.sync == "sync_accounting__articles"]
    assert run_cli("approve", str(product.item_id), "--as", "bertil", home=home).returncode == 0
    pushed = run_cli("push", "--as", "anna", home=home)
    assert pushed.returncode == 0 and "1 posted, 0 failed" in pushed.output, pushed.output
    tryton = tryton_client(paths, company)
    [variant] = tryton.search_read("product.product", [("code", "=", "A1004")], ["template"])
    [template] = tryton.search_read(
        "product.template", [("id", "=", variant["template"])], ["list_price"]
    )
    assert template["list_price"] == Decimal("579")
    run_steps(home, "ingest", "build", "publish")
    assert warehouse_rows(home, "select count(*) from marts.sync_erp__products") == [(0,)]
