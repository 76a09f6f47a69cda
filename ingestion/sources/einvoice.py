"""E-invoices (Peppol BIS Billing 3.0, UBL Invoice and CreditNote) → ``raw_einvoice``.

One document per file, loaded whole or not at all. A document is known by its seller, its
type and its number: the same invoice sent again replaces the first copy. Where the company's
organisation number is configured, a document must name the company as buyer (an incoming
supplier invoice) or as seller (an outgoing one); one for another company is refused.
"""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pyarrow as pa

from ingestion.arrow_tables import AMOUNT, QUANTITY, RawTable, files_table, schema
from ingestion.files import FileRows
from ledgerbridge.config import Company, orgnr_digits
from ledgerbridge.formats.diagnostic import ERROR, Diagnostic
from ledgerbridge.formats.ubl import EInvoice, read_einvoice
from ledgerbridge.formats.xmldoc import XmlInputError

DATASET = "raw_einvoice"
SUFFIXES = (".xml",)
_S, _D, _I = pa.string(), pa.date32(), pa.int64()
_TS = pa.timestamp("us", tz="UTC")
PRICE = pa.decimal128(18, 6)
_DOCUMENT_KEY = ("company_id", "seller_key", "document_type", "document_id")


def _party_columns(role: str) -> list[tuple[str, pa.DataType]]:
    return [
        (f"{role}_{name}", _S)
        for name in (
            "name",
            "trading_name",
            "endpoint_id",
            "endpoint_scheme",
            "legal_id",
            "vat_id",
            "street",
            "city",
            "postal_zone",
            "country",
        )
    ]


FILES = files_table(
    ("seller_key", _S),
    ("document_type", _S),
    ("document_id", _S),
    ("lines", _I),
    ("warnings", _S),
)
DOCUMENTS = RawTable(
    "documents",
    schema(
        ("company_id", _S, False),
        ("seller_key", _S, False),
        ("document_type", _S, False),
        ("document_id", _S, False),
        ("file_sha256", _S),
        ("direction", _S),
        ("type_code", _S),
        ("customization_id", _S),
        ("profile_id", _S),
        ("issue_date", _D),
        ("due_date", _D),
        ("currency", _S),
        ("buyer_reference", _S),
        ("order_reference", _S),
        ("accounting_cost", _S),
        ("note", _S),
        *_party_columns("seller"),
        *_party_columns("buyer"),
        ("payment_means_code", _S),
        ("payment_id", _S),
        ("payee_account", _S),
        ("line_extension_amount", AMOUNT),
        ("allowance_total_amount", AMOUNT),
        ("charge_total_amount", AMOUNT),
        ("tax_exclusive_amount", AMOUNT),
        ("tax_amount", AMOUNT),
        ("tax_inclusive_amount", AMOUNT),
        ("prepaid_amount", AMOUNT),
        ("payable_rounding_amount", AMOUNT),
        ("payable_amount", AMOUNT),
        ("lines", _I),
    ),
    primary_key=_DOCUMENT_KEY,
)
LINES = RawTable(
    "lines",
    schema(
        ("company_id", _S, False),
        ("seller_key", _S, False),
        ("document_type", _S, False),
        ("document_id", _S, False),
        ("line_index", _I, False),
        ("line_id", _S),
        ("quantity", QUANTITY),
        ("unit_code", _S),
        ("amount", AMOUNT),
        ("item_name", _S),
        ("seller_item_id", _S),
        ("price", PRICE),
        ("vat_category", _S),
        ("vat_percent", QUANTITY),
        ("accounting_cost", _S),
        ("order_line_reference", _S),
    ),
    primary_key=(*_DOCUMENT_KEY, "line_index"),
    replace_key=_DOCUMENT_KEY,
)
VAT = RawTable(
    "vat_breakdown",
    schema(
        ("company_id", _S, False),
        ("seller_key", _S, False),
        ("document_type", _S, False),
        ("document_id", _S, False),
        ("subtotal_index", _I, False),
        ("vat_category", _S),
        ("vat_percent", QUANTITY),
        ("taxable_amount", AMOUNT),
        ("tax_amount", AMOUNT),
        ("exemption_reason", _S),
    ),
    primary_key=(*_DOCUMENT_KEY, "subtotal_index"),
    replace_key=_DOCUMENT_KEY,
)


TABLES = (FILES, DOCUMENTS, LINES, VAT)


def direction(document: EInvoice, company: Company, display: str) -> str | None:
    """'incoming' (the company buys), 'outgoing' (it sells); None when the company's
    organisation number is not configured. Refuses a document between two other parties."""
    if not company.orgnr:
        return None
    ours = orgnr_digits(company.orgnr)
    if document.buyer.orgnr == ours:
        return "incoming"
    if document.seller.orgnr == ours:
        return "outgoing"
    raise XmlInputError(
        [
            Diagnostic(
                "wrong-company",
                ERROR,
                display,
                None,
                f"{document.document_type.replace('_', ' ')} {document.document_id} is from "
                f"{document.seller.name} to {document.buyer.name} "
                f"({document.buyer.legal_id or document.buyer.vat_id or 'no id'}); neither is "
                f"company '{company.id}' ({company.orgnr})",
            )
        ],
        hint="move the file to the e-invoice folder of the company it is for",
    )


def einvoice_file_rows(path: Path, sha256: str, company: Company, display: str) -> FileRows:
    """The rows of one e-invoice file per raw table (read and checked whole first)."""
    document = read_einvoice(path, display)
    way = direction(document, company, display)
    key = {
        "company_id": company.id,
        "seller_key": document.seller.key,
        "document_type": document.document_type,
        "document_id": document.document_id,
    }
    row = {
        **key,
        "file_sha256": sha256,
        "direction": way,
        **{
            name: getattr(document, name)
            for name in (
                "type_code",
                "customization_id",
                "profile_id",
                "issue_date",
                "due_date",
                "currency",
                "buyer_reference",
                "order_reference",
                "accounting_cost",
                "note",
                "payment_means_code",
                "payment_id",
                "payee_account",
                "line_extension_amount",
                "allowance_total_amount",
                "charge_total_amount",
                "tax_exclusive_amount",
                "tax_amount",
                "tax_inclusive_amount",
                "prepaid_amount",
                "payable_rounding_amount",
                "payable_amount",
            )
        },
        "lines": len(document.lines),
    }
    for role in ("seller", "buyer"):
        party = getattr(document, role)
        for name, _ in _party_columns(role):
            row[name] = getattr(party, name[len(role) + 1 :])
    return {
        DOCUMENTS.name: [row],
        LINES.name: [
            {
                **key,
                "line_index": index,
                "line_id": line.line_id,
                "quantity": line.quantity,
                "unit_code": line.unit_code,
                "amount": line.amount,
                "item_name": line.item_name,
                "seller_item_id": line.seller_item_id,
                "price": line.price,
                "vat_category": line.vat_category,
                "vat_percent": line.vat_percent,
                "accounting_cost": line.accounting_cost,
                "order_line_reference": line.order_line_reference,
            }
            for index, line in enumerate(document.lines, 1)
        ],
        VAT.name: [
            {
                **key,
                "subtotal_index": index,
                "vat_category": vat.category,
                "vat_percent": vat.percent,
                "taxable_amount": vat.taxable_amount,
                "tax_amount": vat.tax_amount,
                "exemption_reason": vat.exemption_reason,
            }
            for index, vat in enumerate(document.vat, 1)
        ],
        FILES.name: [
            {
                **key,
                "file_sha256": sha256,
                "file_name": path.name,
                "lines": len(document.lines),
                "warnings": "\n".join(str(w) for w in document.warnings) or None,
                "loaded_at": datetime.now(UTC),
            }
        ],
    }
