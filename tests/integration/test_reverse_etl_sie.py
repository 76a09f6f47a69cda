"""The reverse ETL for a company whose books are SIE files: a planted duplicate booking becomes
a finding → a correction voucher is planned → approved → pushed as a SIE 4I file that our
strict reader accepts → the accounting program imports it and exports the year again → the
next ingestion reads it back → the finding is gone. And exactly once through crashes."""

from __future__ import annotations

import json
import os
import shutil
import sqlite3
import time
from collections.abc import Iterator
from datetime import date
from decimal import Decimal
from pathlib import Path

import pytest

from ledgerbridge.formats.sie import SieHeader, SieReader, Voucher, VoucherRow
from ledgerbridge.formats.sie.writer import write_sie
from sandbox.demo_company import DemoOptions, generate
from sandbox.demo_company.sie_import import import_sie4i, unbook
from tests.conftest import run_cli, run_steps, warehouse_rows


@pytest.fixture(scope="module")
def built_home(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Acme AB, books as the demo's SIE exports, ingested, built and published."""
    root = tmp_path_factory.mktemp("retl")
    demo = generate(DemoOptions(scale=3000), root / "files")
    home = root / "home"
    home.mkdir()
    (home / "ledgerbridge.toml").write_text(
        f'[companies.acme]\nname = "Acme AB"\norgnr = "{demo.orgnr}"\n'
        f'[companies.acme.sources.sie]\nfolder = "{demo.sie_files[0].parent}"\n',
        encoding="utf-8",
    )
    run_steps(home, "ingest", "build", "publish")
    return home


@pytest.fixture
def home(built_home: Path, tmp_path: Path) -> Path:
    """A private copy (with its own copy of the SIE folder) for a test that writes."""
    copy = tmp_path / "home"
    shutil.copytree(built_home, copy)
    config = (copy / "ledgerbridge.toml").read_text(encoding="utf-8")
    sie = Path(config.split('folder = "')[1].split('"')[0])
    shutil.copytree(sie, tmp_path / "sie")
    (copy / "ledgerbridge.toml").write_text(config.replace(str(sie), str(tmp_path / "sie")))
    return copy


def duplicate_findings(home: Path) -> list[tuple]:
    return warehouse_rows(
        home,
        "select document, details from marts.rec_findings where kind = 'duplicate_booking'",
    )


def outbox_files(home: Path) -> list[Path]:
    return sorted((home / "outbox" / "acme").glob("*.si"))


def state_rows(home: Path, sql: str) -> list[tuple]:
    con = sqlite3.connect(home / "state.sqlite")
    try:
        return con.execute(sql).fetchall()
    finally:
        con.close()


def plan_and_approve(home: Path) -> list[tuple]:
    planned = run_cli("plan", "--as", "anna", home=home)
    assert planned.returncode == 0, planned.output
    approved = run_cli("approve", "--all", "--as", "bertil", "--comment", "ok", home=home)
    assert approved.returncode == 0, approved.output
    return state_rows(home, "select item_id, state, payload from retl_items order by item_id")


def test_a_duplicate_booking_is_corrected_through_a_sie_4i_file(home: Path) -> None:
    findings = duplicate_findings(home)
    assert len(findings) == 1, findings
    _, details = findings[0]

    planned = run_cli("plan", "--as", "anna", home=home)
    assert planned.returncode == 0, planned.output
    assert "1 items proposed, 1 new" in planned.output
    assert "rättelse: vänder dubbelbokning" in planned.output
    items = state_rows(home, "select item_id, state, payload, finding_id from retl_items")
    assert [(i, s) for i, s, _, _ in items] == [(1, "PLANNED")]
    payload = json.loads(items[0][2])
    later = details.split("vouchers ")[1].split(", ")[1].split(" (")[0]  # e.g. "A 57"
    assert payload["text"].endswith(f"rättelse: vänder dubbelbokning {later}")
    assert sum(float(row["amount"]) for row in payload["rows"]) == 0

    # nothing is sent before a person approves it
    refused = run_cli("push", "--as", "anna", home=home)
    assert refused.returncode == 1
    assert "no approved items; 1 wait for approval" in refused.stderr
    assert outbox_files(home) == []

    assert run_cli("approve", "1", "--as", "bertil", "--comment", "ok", home=home).returncode == 0
    pushed = run_cli("push", "--as", "anna", home=home)
    assert pushed.returncode == 0, pushed.output
    assert "1 posted, 0 failed" in pushed.output
    [written] = outbox_files(home)
    sidecar = json.loads(written.with_name(written.name + ".json").read_text())
    assert [entry["item_id"] for entry in sidecar["items"]] == [1]

    # our strict reader accepts the file: one voucher, the duplicate's rows negated
    with SieReader(written, mode="strict") as reader:
        vouchers = list(reader.vouchers())
        assert reader.header.kind == "4I"
        assert reader.header.company_name == "Acme AB" and reader.header.orgnr
    assert len(vouchers) == 1 and vouchers[0].number == ""
    assert vouchers[0].text.startswith(payload["text"] + " [lb:")
    assert sorted((r.account, str(r.amount)) for r in vouchers[0].rows) == sorted(
        (r["account"], r["amount"]) for r in payload["rows"]
    )

    # not in the books yet: the accounting program has not imported the file
    pending = run_cli("verify", home=home)
    assert pending.returncode == 0, pending.output
    assert "1 items posted; 0 read back" in pending.output and "not_read_back" in pending.output

    # a second push finds nothing left to send
    again = run_cli("push", "--as", "anna", home=home)
    assert again.returncode == 1 and "was pushed already (1 POSTED)" in again.stderr
    assert len(outbox_files(home)) == 1

    # the accounting program imports the file and exports the year again; read back, the
    # duplicate is reversed and the finding is gone
    sie_folder = Path((home / "ledgerbridge.toml").read_text().split('folder = "')[1].split('"')[0])
    year_export = max(sie_folder.glob("*.se"))
    [booked] = import_sie4i(year_export, written)
    run_steps(home, "ingest", "build", "publish")
    assert duplicate_findings(home) == []
    reversal = warehouse_rows(
        home,
        "select voucher_text from marts.fct_gl_entries "
        f"where voucher_series = '{booked.series}' and voucher_number = '{booked.number}'",
    )
    assert reversal and all(text == booked.text for (text,) in reversal)
    verified = run_cli("verify", home=home)
    assert verified.returncode == 0, verified.output
    assert "1 items posted; 1 read back" in verified.output and "absent" not in verified.output
    # and planning again proposes nothing: the item stays POSTED, nothing new
    replanned = run_cli("plan", "--as", "anna", home=home)
    assert replanned.returncode == 0, replanned.output
    assert "0 items proposed, 0 new" in replanned.output
    assert state_rows(home, "select state from retl_items") == [("POSTED",)]

    # every step is in the append-only audit log with who did it
    audit = state_rows(home, "select user_name, action from retl_audit order by audit_id")
    assert audit == [("anna", "plan"), ("bertil", "approve"), ("anna", "send"), ("anna", "posted")]
    with pytest.raises(sqlite3.IntegrityError, match="append-only"):
        con = sqlite3.connect(home / "state.sqlite")
        try:
            con.execute("update retl_audit set user_name = 'mallory'")
        finally:
            con.close()
    history = run_cli("runs", home=home)
    assert history.returncode == 0 and "POSTED" in history.output


@pytest.mark.parametrize("fault", ["after_claim", "after_send"])
def test_a_push_killed_at_any_step_writes_each_voucher_once(home: Path, fault: str) -> None:
    plan_and_approve(home)
    killed = run_cli("push", "--as", "anna", home=home, env={"LEDGERBRIDGE_FAULT": fault})
    assert killed.returncode == -9, killed.output  # SIGKILL: no cleanup ran
    assert state_rows(home, "select state from retl_items") == [("SENDING",)]
    assert len(outbox_files(home)) == (1 if fault == "after_send" else 0)

    restarted = run_cli("push", "--as", "anna", home=home)
    assert restarted.returncode == 0, restarted.output
    if fault == "after_send":
        assert "found written by an interrupted push" in restarted.output
    assert state_rows(home, "select state from retl_items") == [("POSTED",)]
    files = outbox_files(home)
    assert len(files) == 1
    with SieReader(files[0], mode="strict") as reader:
        assert len(list(reader.vouchers())) == 1
    assert files[0].with_name(files[0].name + ".json").exists()


def test_an_approved_correction_no_longer_needed_is_not_sent(home: Path, tmp_path: Path) -> None:
    [(item_id, state, payload)] = plan_and_approve(home)
    assert state == "APPROVED"
    # meanwhile someone books the reversal by hand in the accounting program
    voucher = json.loads(payload)
    rows = [
        VoucherRow(
            "TRANS",
            r["account"],
            Decimal(r["amount"]),
            tuple((d, r[k]) for d, k in (("1", "cost_centre"), ("6", "project")) if r[k]),
        )
        for r in voucher["rows"]
    ]
    by_hand = Voucher(
        voucher["series"], "", date.fromisoformat(voucher["date"]), voucher["text"], rows=rows
    )
    manual = tmp_path / "manual.si"
    write_sie(manual, SieHeader(company_name="Acme AB", sie_type="4"), [by_hand], kind="4I")
    sie_folder = Path((home / "ledgerbridge.toml").read_text().split('folder = "')[1].split('"')[0])
    import_sie4i(max(sie_folder.glob("*.se")), manual)
    run_steps(home, "ingest", "build", "publish")
    assert duplicate_findings(home) == []

    pushed = run_cli("push", "--as", "anna", home=home)
    assert pushed.returncode == 1
    assert f"item {item_id}: no longer proposed by the published data, not sent" in pushed.output
    assert outbox_files(home) == []
    assert state_rows(home, "select state from retl_items") == [("SUPERSEDED",)]


def test_rejected_items_are_never_pushed_nor_planned_again(home: Path) -> None:
    assert run_cli("plan", "--as", "anna", home=home).returncode == 0
    rejected = run_cli("reject", "1", "--as", "bertil", "--comment", "not ours", home=home)
    assert rejected.returncode == 0, rejected.output
    assert "1 items rejected by bertil" in rejected.output
    refused = run_cli("approve", "1", "--as", "bertil", home=home)
    assert refused.returncode == 1 and "is REJECTED; it cannot become APPROVED" in refused.stderr
    again = run_cli("plan", "--as", "anna", home=home)
    assert "1 items proposed, 0 new" in again.output
    assert run_cli("push", "--as", "anna", home=home).returncode == 1
    assert outbox_files(home) == []
    decided = state_rows(home, "select approved_by, decision_comment, state from retl_items")
    assert decided == [("bertil", "not ours", "REJECTED")]


def test_plan_needs_a_published_snapshot(tmp_path: Path) -> None:
    empty = tmp_path / "home"
    empty.mkdir()
    (empty / "ledgerbridge.toml").write_text(
        f'[companies.acme]\nname = "Acme AB"\n[companies.acme.sources.sie]\nfolder = "{tmp_path}"\n'
    )
    result = run_cli("plan", "--as", "anna", home=empty)
    assert result.returncode == 1
    assert "nothing published yet" in result.stderr


def test_a_bad_date_or_missing_items_are_refused(home: Path) -> None:
    bad = run_cli("plan", "--date", "2025-13-01", home=home)
    assert bad.returncode == 1 and "is not a date" in bad.stderr
    nothing = run_cli("approve", home=home)
    assert nothing.returncode == 1 and "name the items to approve" in nothing.stderr
    unknown = run_cli("approve", "99", "--as", "bertil", home=home)
    assert unknown.returncode == 1 and "no outbox item 99" in unknown.stderr
    assert os.path.exists(home / "state.sqlite")


def test_verify_lists_what_was_sent_but_not_recorded_and_what_went_missing(home: Path) -> None:
    plan_and_approve(home)
    killed = run_cli("push", "--as", "anna", home=home, env={"LEDGERBRIDGE_FAULT": "after_send"})
    assert killed.returncode == -9
    # the accounting program imports the file the killed push wrote; it is read back
    sie_folder = Path((home / "ledgerbridge.toml").read_text().split('folder = "')[1].split('"')[0])
    import_sie4i(max(sie_folder.glob("*.se")), outbox_files(home)[0])
    run_steps(home, "ingest", "build", "publish")
    unrecorded = run_cli("verify", home=home)
    assert unrecorded.returncode == 1
    assert "present_unrecorded" in unrecorded.output and "SENDING" in unrecorded.output
    settled = run_cli("push", "--as", "anna", home=home)
    assert "found written by an interrupted push" in settled.output
    assert run_cli("verify", home=home).returncode == 0


def test_verify_says_when_a_posted_voucher_is_absent_after_a_later_publish(home: Path) -> None:
    plan_and_approve(home)
    assert run_cli("push", "--as", "anna", home=home).returncode == 0
    time.sleep(1.1)  # the publish below is later than the push, to the second
    run_steps(home, "publish")  # the file was never imported: the books lack the voucher
    absent = run_cli("verify", home=home)
    assert absent.returncode == 1
    assert "absent" in absent.output and "does not hold it" in absent.output


@pytest.fixture(scope="module")
def tryton_demo(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    """Demo AB with its books as SIE files and its ERP the sandbox Tryton (the demo with
    --accounting sie), built once; tests work on copies (its folders are relative)."""
    home = tmp_path_factory.mktemp("retl-tryton") / "home"
    demo = run_cli("demo", "--no-serve", "--accounting", "sie", home=home, timeout=900)
    assert demo.returncode == 0, demo.output
    try:
        yield home
    finally:
        run_cli("sandbox", "down", home=home)


def tryton_demo_copy(tryton_demo: Path, tmp_path: Path) -> Path:
    """A copy to write to; its ERP is the original's sandbox Tryton, which it only reads."""
    home = tmp_path / "home"
    shutil.copytree(tryton_demo, home)
    return home


@pytest.fixture(params=["erp export", "tryton"])
def books_with_erp(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory, tmp_path: Path
) -> tuple[Path, Path]:
    """A company whose books are SIE files, with its ERP beside them, so the invoice checks
    run: the ERP as a JSON Lines export, or Tryton. The home and its SIE folder."""
    if request.param == "tryton":
        home = tryton_demo_copy(request.getfixturevalue("tryton_demo"), tmp_path)
        return home, home / "demo" / "sie"
    root = tmp_path_factory.mktemp("retl-erp")
    home = root / "home"
    demo = generate(DemoOptions(scale=3000), root / "files")
    home.mkdir()
    (home / "ledgerbridge.toml").write_text(
        f'[companies.acme]\nname = "Acme AB"\norgnr = "{demo.orgnr}"\n'
        f'[companies.acme.sources.sie]\nfolder = "{demo.sie_files[0].parent}"\n'
        f'[companies.acme.sources.erp_files]\nfolder = "{demo.erp_folder}"\n',
        encoding="utf-8",
    )
    run_steps(home, "ingest", "build", "publish")
    return home, demo.sie_files[0].parent


INVOICE_KINDS = ("duplicate_booking", "amount_mismatch", "dimension_mismatch", "invoice_not_booked")


def test_invoice_findings_are_corrected_through_a_sie_4i_file(
    books_with_erp: tuple[Path, Path],
) -> None:
    """Every invoice finding of a company whose books are SIE files gets its vouchers in one
    SIE 4I file: reversals, rebookings as the ERP has the invoice, and the invoices the books
    lack, each dated in its own period (the last fiscal year is open). Imported and read
    back, none of those findings is left, and no new one appears."""
    home, sie_folder = books_with_erp
    every = "select kind, document from marts.rec_findings order by 1, 2"
    before = warehouse_rows(home, every)
    corrected = [(kind, document) for kind, document in before if kind in INVOICE_KINDS]
    assert {kind for kind, _ in corrected} == set(INVOICE_KINDS), before
    planned = run_cli("plan", "--as", "anna", home=home)
    assert planned.returncode == 0, planned.output
    assert run_cli("approve", "--all", "--as", "bertil", home=home).returncode == 0
    pushed = run_cli("push", "--as", "anna", home=home)
    assert pushed.returncode == 0 and ", 0 failed" in pushed.output, pushed.output
    [written] = sorted((home / "outbox").glob("*/*.si"))
    with SieReader(written, mode="strict") as reader:
        vouchers = list(reader.vouchers())
    not_booked = [d for k, d in corrected if k == "invoice_not_booked"]
    for number in not_booked:  # booked as the books book invoices, balancing
        [booking] = [v for v in vouchers if v.text.startswith(f"Kundfaktura {number} ")
                     or v.text.startswith(f"Leverantörsfaktura {number} ")]  # fmt: skip
        assert sum(row.amount for row in booking.rows) == 0

    import_sie4i(max(sie_folder.glob("*.se")), written)
    run_steps(home, "ingest", "build", "publish")
    after = warehouse_rows(home, every)
    assert after == [finding for finding in before if finding not in corrected]


def test_a_month_whose_stock_voucher_is_not_booked_gets_it(
    tryton_demo: Path, tmp_path: Path
) -> None:
    """December's stock vouchers (lagerförändring, one per inventory account) are not booked
    yet: the reverse ETL plans them from the ERP's stock values, as the bookkeeper books
    them, and once imported the books hold what they held with the bookkeeper's own."""
    home = tryton_demo_copy(tryton_demo, tmp_path)
    december = (
        "select account_number, account_balance from marts.rpt_inventory_vs_ledger "
        "where period_start = '2025-12-01' order by 1"
    )
    booked = warehouse_rows(home, december)
    export = max((home / "demo" / "sie").glob("*.se"))
    taken = unbook(
        export,
        lambda v: v.text.startswith("Lagerförändring") and v.date >= date(2025, 12, 1),
    )
    assert len(taken) >= 2  # one per warehouse whose stock changed in December
    run_steps(home, "ingest", "build", "publish")
    assert warehouse_rows(home, december) != booked

    planned = run_cli("plan", "--as", "anna", home=home)
    assert planned.returncode == 0, planned.output
    con = sqlite3.connect(home / "state.sqlite")
    try:
        stock = [
            (item_id, json.loads(payload))
            for item_id, payload in con.execute(
                "select item_id, payload from retl_items "
                "where sync = 'sync_accounting__inventory_vouchers' order by item_id"
            )
        ]
    finally:
        con.close()
    assert len(stock) == len(taken)
    # each the change in the ERP's value, as the bookkeeper's was, on the same accounts
    mine = sorted((row["account"], Decimal(row["amount"])) for _, p in stock for row in p["rows"])
    theirs = sorted((row.account, row.amount) for v in taken for row in v.rows)
    assert mine == theirs
    assert all(p["date"] == "2025-12-31" for _, p in stock)
    ids = [str(item_id) for item_id, _ in stock]
    assert run_cli("approve", *ids, "--as", "bertil", home=home).returncode == 0
    pushed = run_cli("push", "--as", "anna", home=home)
    assert pushed.returncode == 0, pushed.output
    assert f"{len(taken)} posted, 0 failed" in pushed.output
    import_sie4i(export, max((home / "outbox").glob("*/*.si")))
    run_steps(home, "ingest", "build", "publish")
    assert warehouse_rows(home, december) == booked
    assert warehouse_rows(
        home, "select count(*) from marts.sync_accounting__inventory_vouchers"
    ) == [(0,)]
