"""Bank statements and e-invoices through `ledgerbridge ingest`: the corpus files land, a bad
file is refused whole with its file and element named, and a re-sent document replaces."""

from __future__ import annotations

import shutil
from decimal import Decimal
from pathlib import Path

from tests.conftest import run_cli
from tests.conftest import warehouse_rows as rows
from tests.unit.test_camt import statement
from tests.unit.test_ubl import credit_note_of

ORGNR = "556677-8899"


def home_with(tmp_path: Path, corpus: Path, orgnr: str | None = None) -> Path:
    home = tmp_path / "home"
    (home / "bank").mkdir(parents=True)
    (home / "einvoices").mkdir()
    shutil.copy(corpus / "xml" / "camt053.001.02_minimal.xml", home / "bank")
    for name in ("peppol-bis3_base-example.xml", "peppol-bis3_vat-category-S.xml"):
        shutil.copy(corpus / "xml" / name, home / "einvoices")
    (home / "ledgerbridge.toml").write_text(
        '[companies.acme]\nname = "Acme AB"\n'
        + (f'orgnr = "{orgnr}"\n' if orgnr else "")
        + '[companies.acme.sources.bank]\nfolder = "bank"\n'
        '[companies.acme.sources.einvoice]\nfolder = "einvoices"\n',
        encoding="utf-8",
    )
    return home


def test_the_corpus_files_land(tmp_path: Path, corpus: Path) -> None:
    home = home_with(tmp_path, corpus)
    base = (corpus / "xml" / "peppol-bis3_base-example.xml").read_text(encoding="utf-8")
    (home / "einvoices" / "credit.xml").write_text(
        credit_note_of(base.replace("<cbc:ID>Snippet1</cbc:ID>", "<cbc:ID>CN1</cbc:ID>", 1)),
        encoding="utf-8",
    )
    result = run_cli("ingest", home=home)
    assert result.returncode == 0, result.output
    assert "1 statements, 1 entries" in result.output
    assert "mixed-currencies" in result.output  # the corpus statement's EUR/SEK balances
    assert rows(home, "select opening_balance, closing_balance from raw_bank.statements") == [
        (Decimal("18.15"), Decimal("-27.00"))
    ]
    assert rows(home, "select amount, booking_date::varchar from raw_bank.entries") == [
        (Decimal("8.85"), "2014-12-31")
    ]
    assert rows(home, "select creditor_reference from raw_bank.transactions") == [
        ("4654654654654654",)
    ]
    # both examples are invoice Snippet1 from the same seller: the second replaces the first
    assert rows(home, "select count(*) from raw_einvoice.files") == [(3,)]
    (document,) = rows(
        home,
        "select document_id, payable_amount, lines from raw_einvoice.documents "
        "where document_type = 'invoice'",
    )
    assert document[0] == "Snippet1" and document[1] in (Decimal("1656.25"), Decimal("8550.00"))
    (lines,) = rows(home, "select count(*) from raw_einvoice.lines where document_type = 'invoice'")
    assert lines == (document[2],)

    again = run_cli("ingest", home=home)
    assert again.returncode == 0 and again.output.count("unchanged") == 4

    # no SIE books here: dbt builds the bank and e-invoice models and leaves the ledger's out
    built = run_cli("build", home=home)
    assert built.returncode == 0, built.output
    assert rows(home, "select account_id, closing_balance from staging.stg_bank__statements") == [
        ("NL26VAYB8060476890", Decimal("-27.00"))
    ]
    assert rows(home, "select amount, creditor_references from staging.stg_bank__entries") == [
        (Decimal("8.85"), "4654654654654654")
    ]
    ((vat, breakdown),) = rows(
        home,
        "select d.vat_amount, (select sum(vat_amount) from staging.stg_einvoice__vat as v "
        "where v.document_id = d.document_id) "
        "from staging.stg_einvoice__documents as d where document_type = 'invoice'",
    )
    assert vat == breakdown and vat in (Decimal("331.25"), Decimal("1550.00"))
    # a credit note's amounts are negative from staging on
    assert rows(
        home,
        "select payable_amount, vat_amount, (select sum(net_amount) from "
        "staging.stg_einvoice__lines where document_id = 'CN1') "
        "from staging.stg_einvoice__documents where document_type = 'credit_note'",
    ) == [(Decimal("-1656.25"), Decimal("-331.25"), Decimal("-1300.00"))]


def test_a_statement_that_does_not_add_up_is_refused_whole(tmp_path: Path, corpus: Path) -> None:
    home = home_with(tmp_path, corpus)
    bad = home / "bank" / "march.xml"
    bad.write_text(statement(closing="1200.00"), encoding="utf-8")
    (home / "bank" / "broken.xml").write_text(
        statement().replace("</Ntry>", "</Entry>", 1), encoding="utf-8"
    )
    result = run_cli("ingest", home=home)
    assert result.returncode == 1
    assert "statement-does-not-add-up" in result.stderr and "march.xml:4" in result.stderr
    assert "xml-malformed" in result.stderr and "broken.xml" in result.stderr
    assert not bad.exists() and not (home / "bank" / "broken.xml").exists()
    reports = sorted(p.name for p in (home / "quarantine" / "acme").glob("*.report.txt"))
    assert len(reports) == 2
    # nothing of them landed; the good file beside them did
    assert rows(home, "select statement_id from raw_bank.statements") == [
        ("253EURNL26VAYB8060476890",)
    ]
    assert rows(home, "select count(*) from raw_bank.files") == [(1,)]


def test_a_statement_sent_again_replaces_its_entries(tmp_path: Path, corpus: Path) -> None:
    home = home_with(tmp_path, corpus)
    (home / "bank" / "march.xml").write_text(statement(), encoding="utf-8")
    assert run_cli("ingest", home=home).returncode == 0
    # the bank sends March again (a new message), one entry corrected
    again = (
        statement(closing="1100.50")
        .replace('<Amt Ccy="SEK">100.00</Amt>', '<Amt Ccy="SEK">150.00</Amt>')
        .replace("<MsgId>M1</MsgId>", "<MsgId>M2</MsgId>")
    )
    (home / "bank" / "march-again.xml").write_text(again, encoding="utf-8")
    result = run_cli("ingest", home=home)
    assert result.returncode == 0, result.output
    entries = rows(
        home,
        "select entry_index, amount from raw_bank.entries where statement_id = 'S-2025-03' "
        "order by 1",
    )
    assert entries == [(1, Decimal("250.50")), (2, Decimal("-150.00"))]
    assert rows(
        home, "select count(*), sum(closing_balance) from raw_bank.statements "
        "where statement_id = 'S-2025-03'"
    ) == [(1, Decimal("1100.50"))]  # fmt: skip


def test_within_one_run_the_later_file_of_a_statement_wins(tmp_path: Path, corpus: Path) -> None:
    home = home_with(tmp_path, corpus)
    corrected = statement(closing="1100.50").replace(
        '<Amt Ccy="SEK">100.00</Amt>', '<Amt Ccy="SEK">150.00</Amt>'
    )
    (home / "bank" / "2025-03_1.xml").write_text(statement(), encoding="utf-8")
    (home / "bank" / "2025-03_2.xml").write_text(corrected, encoding="utf-8")
    result = run_cli("ingest", home=home)
    assert result.returncode == 0, result.output
    assert rows(
        home,
        "select entry_index, amount from raw_bank.entries where statement_id = 'S-2025-03' "
        "order by 1",
    ) == [(1, Decimal("250.50")), (2, Decimal("-150.00"))]
    assert rows(home, "select count(*) from raw_bank.files") == [(3,)]  # all three recorded


def test_an_e_invoice_for_another_company_is_refused(tmp_path: Path, corpus: Path) -> None:
    home = home_with(tmp_path, corpus, orgnr=ORGNR)
    result = run_cli("ingest", home=home)
    assert result.returncode == 1
    assert "wrong-company" in result.stderr and "Buyer Official Name" in result.stderr
    assert "556677-8899" in result.stderr
    assert (
        rows(
            home,
            "select table_name from information_schema.tables where table_schema = 'raw_einvoice' "
            "and table_name not like '\\_dlt%' escape '\\'",
        )
        == []
    )
    assert len(list((home / "quarantine" / "acme").glob("*.report.json"))) == 2


def test_a_statement_sent_again_with_fewer_entries_keeps_none_of_the_old(
    tmp_path: Path, corpus: Path
) -> None:
    home = home_with(tmp_path, corpus)
    (home / "bank" / "march.xml").write_text(statement(), encoding="utf-8")
    assert run_cli("ingest", home=home).returncode == 0
    # corrected: only the rent left, without transaction details; then no entries at all
    only_rent = (
        '<Ntry><Amt Ccy="SEK">100.00</Amt><CdtDbtInd>DBIT</CdtDbtInd><Sts><Cd>BOOK</Cd></Sts>'
        "<BookgDt><Dt>2025-03-04</Dt></BookgDt></Ntry>"
    )
    (home / "bank" / "march-2.xml").write_text(
        statement(closing="900.00", entries=only_rent).replace("M1", "M2"), encoding="utf-8"
    )
    assert run_cli("ingest", home=home).returncode == 0
    march = "where statement_id = 'S-2025-03'"
    assert rows(home, f"select amount from raw_bank.entries {march}") == [(Decimal("-100.00"),)]
    assert rows(home, f"select count(*) from raw_bank.transactions {march}") == [(0,)]
    (home / "bank" / "march-3.xml").write_text(
        statement(closing="1000.00", entries="").replace("M1", "M3"), encoding="utf-8"
    )
    assert run_cli("ingest", home=home).returncode == 0
    assert rows(home, f"select count(*) from raw_bank.entries {march}") == [(0,)]


def test_a_notification_beside_the_statements_is_passed_over(tmp_path: Path, corpus: Path) -> None:
    home = home_with(tmp_path, corpus)
    notification = home / "bank" / "notification.xml"
    notification.write_text(
        statement().replace("camt.053.001.08", "camt.054.001.08"), encoding="utf-8"
    )
    result = run_cli("ingest", home=home)
    assert result.returncode == 0, result.output
    assert "skipped notification.xml" in result.output.replace("home/bank/", "")
    assert notification.exists()  # not quarantined: it is not broken, just not ours


def test_a_value_too_big_for_the_warehouse_is_refused_with_its_file(
    tmp_path: Path, corpus: Path
) -> None:
    home = home_with(tmp_path, corpus)
    (home / "bank" / "march.xml").write_text(
        statement(opening="99999999999999999.99"), encoding="utf-8"
    )
    result = run_cli("ingest", home=home)
    assert result.returncode == 1 and "Traceback" not in result.output
    assert "bad-amount" in result.stderr and "march.xml" in result.stderr
    # the good files beside it loaded
    assert rows(home, "select count(*) from raw_bank.statements") == [(1,)]
