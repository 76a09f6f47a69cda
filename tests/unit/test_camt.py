"""camt.053 bank statements: the corpus file, both versions' shapes, and what a bad file says."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

import pytest

from ledgerbridge.formats.camt import OtherMessage, read_camt053
from ledgerbridge.formats.xmldoc import XmlInputError

NS = {2: "urn:iso:std:iso:20022:tech:xsd:camt.053.001.02",
      8: "urn:iso:std:iso:20022:tech:xsd:camt.053.001.08"}  # fmt: skip


def statement(
    version: int = 8,
    *,
    opening: str = "1000.00",
    closing: str = "1150.50",
    entries: str | None = None,
    account: str = "<Id><IBAN>SE4550000000058398257466</IBAN></Id><Ccy>SEK</Ccy>",
) -> str:
    status = "<Sts><Cd>BOOK</Cd></Sts>" if version >= 8 else "<Sts>BOOK</Sts>"
    party = (
        "<Dbtr><Pty><Nm>Göta Media AB</Nm></Pty></Dbtr>"
        if version >= 8
        else ("<Dbtr><Nm>Göta Media AB</Nm></Dbtr>")
    )
    if entries is None:
        entries = f"""
        <Ntry><NtryRef>1</NtryRef><Amt Ccy="SEK">250.50</Amt><CdtDbtInd>CRDT</CdtDbtInd>
          {status}<BookgDt><Dt>2025-03-03</Dt></BookgDt><ValDt><Dt>2025-03-03</Dt></ValDt>
          <AcctSvcrRef>A1</AcctSvcrRef>
          <BkTxCd><Domn><Cd>PMNT</Cd><Fmly><Cd>RCDT</Cd><SubFmlyCd>DMCT</SubFmlyCd></Fmly></Domn></BkTxCd>
          <NtryDtls><TxDtls><Refs><EndToEndId>E2E-1</EndToEndId></Refs>
            <RltdPties>{party}<DbtrAcct><Id><Othr><Id>5050-1055</Id></Othr></Id></DbtrAcct></RltdPties>
            <RmtInf><Strd><CdtrRefInf><Ref>100245</Ref></CdtrRefInf></Strd></RmtInf>
          </TxDtls></NtryDtls>
        </Ntry>
        <Ntry><Amt Ccy="SEK">100.00</Amt><CdtDbtInd>DBIT</CdtDbtInd>{status}
          <BookgDt><Dt>2025-03-04</Dt></BookgDt>
          <NtryDtls><TxDtls><RmtInf><Ustrd>Hyra</Ustrd><Ustrd>mars</Ustrd></RmtInf></TxDtls></NtryDtls>
        </Ntry>"""
    return f"""<?xml version="1.0" encoding="UTF-8"?>
<Document xmlns="{NS[version]}"><BkToCstmrStmt>
  <GrpHdr><MsgId>M1</MsgId><CreDtTm>2025-03-05T06:00:00</CreDtTm></GrpHdr>
  <Stmt><Id>S-2025-03</Id><CreDtTm>2025-03-05T06:00:00+01:00</CreDtTm>
    <Acct>{account}</Acct>
    <Bal><Tp><CdOrPrtry><Cd>OPBD</Cd></CdOrPrtry></Tp><Amt Ccy="SEK">{opening}</Amt>
      <CdtDbtInd>CRDT</CdtDbtInd><Dt><Dt>2025-03-01</Dt></Dt></Bal>
    <Bal><Tp><CdOrPrtry><Cd>CLBD</Cd></CdOrPrtry></Tp><Amt Ccy="SEK">{closing}</Amt>
      <CdtDbtInd>CRDT</CdtDbtInd><Dt><Dt>2025-03-31</Dt></Dt></Bal>
    {entries}
  </Stmt>
</BkToCstmrStmt></Document>
"""


def write(tmp_path: Path, text: str, name: str = "statement.xml") -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def test_the_corpus_statement_reads_with_its_currency_mix_reported(corpus: Path) -> None:
    document = read_camt053(corpus / "xml" / "camt053.001.02_minimal.xml", "camt.xml")
    assert document.version == "001.02" and document.message_id == "CAMT053RIB000000000001"
    (stmt,) = document.statements
    assert stmt.account_id == "NL26VAYB8060476890" and stmt.account_currency == "EUR"
    assert stmt.opening_balance == Decimal("18.15") and stmt.closing_balance == Decimal("-27.00")
    (entry,) = stmt.entries
    assert entry.amount == Decimal("8.85") and entry.booking_date.isoformat() == "2014-12-31"
    (detail,) = entry.transactions
    assert detail.counterparty_name == "NAME NAME"
    assert detail.creditor_reference == "4654654654654654"
    # its balances are in EUR and SEK: the add-up check cannot be made, and says so
    (warning,) = document.warnings
    assert warning.code == "mixed-currencies" and "EUR, SEK" in warning.message


@pytest.mark.parametrize("version", [2, 8])
def test_both_versions_give_signed_entries_counterparties_and_references(
    tmp_path: Path, version: int
) -> None:
    document = read_camt053(write(tmp_path, statement(version)), "s.xml")
    (stmt,) = document.statements
    assert document.warnings == []
    money_in, money_out = stmt.entries
    assert money_in.amount == Decimal("250.50") and money_out.amount == Decimal("-100.00")
    assert money_in.bank_transaction_code == "PMNT/RCDT/DMCT"
    assert money_in.transactions[0].counterparty_name == "Göta Media AB"
    assert money_in.transactions[0].counterparty_account == "5050-1055"
    assert money_in.transactions[0].creditor_reference == "100245"
    assert money_out.transactions[0].remittance_information == "Hyra mars"
    assert stmt.opening_balance + money_in.amount + money_out.amount == stmt.closing_balance


def test_entries_that_do_not_add_up_to_the_closing_balance_are_an_error(tmp_path: Path) -> None:
    with pytest.raises(XmlInputError) as caught:
        read_camt053(write(tmp_path, statement(closing="1200.00")), "s.xml")
    (diagnostic,) = caught.value.diagnostics
    assert diagnostic.code == "statement-does-not-add-up" and diagnostic.line == 4
    assert "gives 1150.50" in diagnostic.message and "1200.00" in diagnostic.message
    assert "s.xml:4" in str(caught.value)


@pytest.mark.parametrize(
    ("change", "code", "where"),
    [
        (('<Amt Ccy="SEK">250.50</Amt>', ""), "missing-element", "Stmt/Ntry[1]/Amt is missing"),
        (("250.50", "250,50"), "bad-amount", "Stmt/Ntry[1]/Amt is '250,50'"),
        (("250.50", "250.505"), "bad-amount", "more than two decimals"),
        (
            ("<CdtDbtInd>DBIT</CdtDbtInd>", "<CdtDbtInd>DEBIT</CdtDbtInd>"),
            "bad-indicator",
            "Stmt/Ntry[2]/CdtDbtInd is 'DEBIT'",
        ),
        (("<Dt>2025-03-04</Dt>", "<Dt>2025-02-30</Dt>"), "bad-date", "'2025-02-30'"),
        (("<Id>S-2025-03</Id>", ""), "missing-element", "Stmt/Id is missing"),
        (("<Cd>CLBD</Cd>", "<Cd>CLAV</Cd>"), "missing-element", "closing balance"),
    ],
)
def test_a_missing_or_malformed_element_is_named_with_its_line(
    tmp_path: Path, change: tuple[str, str], code: str, where: str
) -> None:
    text = statement().replace(*change, 1)
    with pytest.raises(XmlInputError) as caught:
        read_camt053(write(tmp_path, text), "s.xml")
    first = caught.value.diagnostics[0]
    assert first.code == code and where in first.message and first.line is not None


def test_malformed_xml_names_the_line(tmp_path: Path) -> None:
    broken = statement().replace("</Ntry>", "</Entry>", 1)
    line = broken[: broken.index("</Entry>")].count("\n") + 1
    with pytest.raises(XmlInputError) as caught:
        read_camt053(write(tmp_path, broken), "s.xml")
    (diagnostic,) = caught.value.diagnostics
    assert diagnostic.code == "xml-malformed" and diagnostic.line == line
    assert f"s.xml:{line}" in str(caught.value) and "Entry" in diagnostic.message


def test_other_documents_are_told_apart(tmp_path: Path, corpus: Path) -> None:
    with pytest.raises(XmlInputError, match=r"expected a camt\.053 Document"):
        read_camt053(corpus / "xml" / "peppol-bis3_base-example.xml", "invoice.xml")
    report = statement().replace("camt.053.001.08", "camt.054.001.08")
    with pytest.raises(OtherMessage, match=r"a debit/credit notification \(camt\.054\)"):
        read_camt053(write(tmp_path, report), "s.xml")
    old = statement().replace("camt.053.001.08", "camt.053.001.01")
    with pytest.raises(XmlInputError, match=r"001\.01 is not supported"):
        read_camt053(write(tmp_path, old), "s.xml")


def test_entities_are_not_expanded(tmp_path: Path) -> None:
    """A bank file is input from outside: no external entities, no entity expansion."""
    secret = tmp_path / "secret.txt"
    secret.write_text("top secret", encoding="utf-8")
    text = (
        statement()
        .replace(
            '<?xml version="1.0" encoding="UTF-8"?>',
            f'<?xml version="1.0"?><!DOCTYPE d [<!ENTITY x SYSTEM "file://{secret}">]>',
        )
        .replace("<MsgId>M1</MsgId>", "<MsgId>&x;</MsgId>")
    )
    try:
        document = read_camt053(write(tmp_path, text), "s.xml")
    except XmlInputError as exc:
        assert "top secret" not in str(exc)
    else:
        assert "top secret" not in document.message_id


def test_the_same_statement_twice_in_a_file_is_an_error(tmp_path: Path) -> None:
    text = statement()
    start, end = text.index("<Stmt>"), text.index("</Stmt>") + len("</Stmt>")
    doubled = text[:end] + text[start:end] + text[end:]
    with pytest.raises(XmlInputError) as caught:
        read_camt053(write(tmp_path, doubled), "s.xml")
    assert caught.value.diagnostics[0].code == "duplicate-statement"


def test_an_entry_in_another_currency_than_its_account_is_an_error(tmp_path: Path) -> None:
    text = statement().replace('<Amt Ccy="SEK">100.00</Amt>', '<Amt Ccy="EUR">100.00</Amt>')
    with pytest.raises(XmlInputError) as caught:
        read_camt053(write(tmp_path, text), "s.xml")
    (diagnostic,) = caught.value.diagnostics
    assert diagnostic.code == "entry-currency" and "entry 2" in diagnostic.message


@pytest.mark.parametrize("amount", ["99999999999999999.99", "١٠٠.٠٠", "1e3", "１００.００"])
def test_amounts_the_warehouse_cannot_hold_or_that_are_not_plain_digits_are_refused(
    tmp_path: Path, amount: str
) -> None:
    text = statement().replace("250.50", amount, 1)
    with pytest.raises(XmlInputError) as caught:
        read_camt053(write(tmp_path, text), "s.xml")
    assert caught.value.diagnostics[0].code == "bad-amount"


def test_proprietary_status_and_a_zero_debit_read_right(tmp_path: Path) -> None:
    entry = """<Ntry><Amt Ccy="SEK">0.00</Amt><CdtDbtInd>DBIT</CdtDbtInd>
      <Sts><Prtry>BOOK</Prtry></Sts><BookgDt><Dt>2025-03-05</Dt></BookgDt><RvslInd>1</RvslInd>
      <NtryDtls><TxDtls><RltdPties><Dbtr><Pty><Nm>Demo AB</Nm></Pty></Dbtr>
        <Cdtr><Pty><Nm>Banken</Nm></Pty></Cdtr></RltdPties></TxDtls></NtryDtls></Ntry>"""
    document = read_camt053(write(tmp_path, statement(closing="1000.00", entries=entry)), "s")
    (only,) = document.statements[0].entries
    assert only.status == "BOOK" and only.reversal is True
    assert only.transactions[0].counterparty_name == "Banken"  # whom a debit paid
