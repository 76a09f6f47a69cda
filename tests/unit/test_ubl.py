"""Peppol BIS Billing 3.0 e-invoices: the corpus examples, credit notes, and what is missing."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

import pytest

from ledgerbridge.formats.ubl import read_einvoice
from ledgerbridge.formats.xmldoc import XmlInputError


@pytest.fixture
def base_example(corpus: Path) -> str:
    return (corpus / "xml" / "peppol-bis3_base-example.xml").read_text(encoding="utf-8")


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "invoice.xml"
    path.write_text(text, encoding="utf-8")
    return path


def test_the_corpus_examples_read_whole(corpus: Path) -> None:
    base = read_einvoice(corpus / "xml" / "peppol-bis3_base-example.xml", "base.xml")
    assert (base.document_type, base.document_id, base.currency) == ("invoice", "Snippet1", "EUR")
    assert base.issue_date.isoformat() == "2017-11-13" and base.due_date.isoformat() == "2017-12-01"
    assert base.seller.name == "SupplierOfficialName Ltd" and base.seller.vat_id == "GB1232434"
    assert base.buyer.vat_id == "SE4598375937" and base.buyer.country == "SE"
    assert base.payment_id == "Snippet1" and base.payee_account == "IBAN32423940"
    assert base.payable_amount == Decimal("1656.25") and base.tax_amount == Decimal("331.25")
    assert sum(line.amount for line in base.lines) == base.line_extension_amount
    assert base.warnings == []

    rates = read_einvoice(corpus / "xml" / "peppol-bis3_vat-category-S.xml", "s.xml")
    assert [(v.category, v.percent, v.tax_amount) for v in rates.vat] == [
        ("S", Decimal("25"), Decimal("1250.00")),
        ("S", Decimal("15"), Decimal("300.00")),
    ]
    assert rates.allowance_total_amount == Decimal("100.00") and len(rates.lines) == 3
    assert {line.vat_percent for line in rates.lines} == {Decimal("25.0"), Decimal("15.0")}


def credit_note_of(invoice: str) -> str:
    """The same document as a UBL CreditNote."""
    return (
        invoice.replace("xsd:Invoice-2", "xsd:CreditNote-2")
        .replace("<Invoice ", "<CreditNote ")
        .replace("</Invoice>", "</CreditNote>")
        .replace(
            "<cbc:InvoiceTypeCode>380</cbc:InvoiceTypeCode>",
            "<cbc:CreditNoteTypeCode>381</cbc:CreditNoteTypeCode>",
        )
        .replace("InvoiceLine>", "CreditNoteLine>")
        .replace("InvoicedQuantity", "CreditedQuantity")
    )


def test_a_credit_note_reads_as_one(tmp_path: Path, base_example: str) -> None:
    note = credit_note_of(base_example)
    document = read_einvoice(write(tmp_path, note), "note.xml")
    assert document.document_type == "credit_note" and document.type_code == "381"
    assert document.payable_amount == Decimal("1656.25") and len(document.lines) == 2


@pytest.mark.parametrize(
    ("change", "expected"),
    [
        (("<cbc:ID>Snippet1</cbc:ID>", ""), "ID is missing (BT-1 invoice number)"),
        (("<cbc:IssueDate>2017-11-13</cbc:IssueDate>", ""), "BT-2 issue date"),
        (("<cbc:DocumentCurrencyCode>EUR</cbc:DocumentCurrencyCode>", ""), "BT-5"),
        (
            ("<cbc:RegistrationName>SupplierOfficialName Ltd</cbc:RegistrationName>", ""),
            "AccountingSupplierParty/Party/PartyLegalEntity/RegistrationName is missing (BT-27",
        ),
        (("<cbc:Name>item name</cbc:Name>", ""), "InvoiceLine[1]/Item/Name is missing (BT-153"),
        (('<cbc:PayableAmount currencyID="EUR">1656.25</cbc:PayableAmount>', ""), "BT-115"),
    ],
)
def test_a_missing_required_element_is_named_with_its_business_term(
    tmp_path: Path, base_example: str, change: tuple[str, str], expected: str
) -> None:
    assert change[0] in base_example
    with pytest.raises(XmlInputError) as caught:
        read_einvoice(write(tmp_path, base_example.replace(*change, 1)), "invoice.xml")
    first = caught.value.diagnostics[0]
    assert first.code == "missing-element" and expected in first.message
    assert first.line is not None and f"invoice.xml:{first.line}" in str(caught.value)


def test_totals_that_contradict_the_lines_are_refused(tmp_path: Path, base_example: str) -> None:
    wrong = base_example.replace(
        '<cbc:PayableAmount currencyID="EUR">1656.25', '<cbc:PayableAmount currencyID="EUR">1665.25'
    )
    with pytest.raises(XmlInputError) as caught:
        read_einvoice(write(tmp_path, wrong), "invoice.xml")
    (diagnostic,) = caught.value.diagnostics
    assert diagnostic.code == "totals-disagree" and diagnostic.message.startswith("BR-CO-16")
    assert "1665.25" in diagnostic.message and "1656.25" in diagnostic.message


def test_everything_missing_is_listed_not_only_the_first(tmp_path: Path, base_example: str) -> None:
    text = base_example.replace("<cbc:ID>Snippet1</cbc:ID>", "", 1).replace(
        "<cbc:IssueDate>2017-11-13</cbc:IssueDate>", ""
    )
    with pytest.raises(XmlInputError) as caught:
        read_einvoice(write(tmp_path, text), "invoice.xml")
    assert len(caught.value.diagnostics) == 2 and "1 more" in str(caught.value)


def test_a_bank_statement_is_not_an_invoice(corpus: Path) -> None:
    with pytest.raises(XmlInputError, match=r"expected a UBL 2\.1 Invoice or CreditNote"):
        read_einvoice(corpus / "xml" / "camt053.001.02_minimal.xml", "camt.xml")


def test_a_seller_is_known_by_its_organisation_number_however_written(
    tmp_path: Path, base_example: str
) -> None:
    keys = set()
    for written in ("556677-8899", "5566778899", "SE556677889901", "165566778899"):
        text = base_example.replace("<cbc:CompanyID>GB983294</cbc:CompanyID>",
                                    f"<cbc:CompanyID>{written}</cbc:CompanyID>")  # fmt: skip
        keys.add(read_einvoice(write(tmp_path, text), "i.xml").seller.key)
    assert keys == {"orgnr:5566778899"}


def test_a_buyer_named_only_by_its_peppol_address_is_still_known(
    tmp_path: Path, base_example: str
) -> None:
    text = (
        base_example.replace('<cbc:EndpointID schemeID="0002">FR23342</cbc:EndpointID>',
                             '<cbc:EndpointID schemeID="0007">5560000001</cbc:EndpointID>')
        .replace('<cbc:CompanyID schemeID="0183">39937423947</cbc:CompanyID>', "")
        .replace("<cbc:CompanyID>SE4598375937</cbc:CompanyID>", "<cbc:CompanyID>X</cbc:CompanyID>")
    )  # fmt: skip
    assert read_einvoice(write(tmp_path, text), "i.xml").buyer.orgnr == "5560000001"


def test_an_invoice_in_its_access_points_envelope_reads(tmp_path: Path, base_example: str) -> None:
    body = base_example.split("?>", 1)[1]
    wrapped = (
        '<?xml version="1.0" encoding="UTF-8"?>\n<StandardBusinessDocument xmlns='
        '"http://www.unece.org/cefact/namespaces/StandardBusinessDocumentHeader">'
        "<StandardBusinessDocumentHeader><HeaderVersion>1.0</HeaderVersion>"
        f"</StandardBusinessDocumentHeader>{body}</StandardBusinessDocument>"
    )
    assert read_einvoice(write(tmp_path, wrapped), "i.xml").document_id == "Snippet1"
