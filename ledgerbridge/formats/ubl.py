"""Peppol BIS Billing 3.0 e-invoices: UBL 2.1 ``Invoice`` and ``CreditNote``.

Reads the header, the seller and buyer, payment means (the payment reference a supplier
invoice is paid with), the VAT breakdown, the document totals and the lines, and holds the
document to what the standard requires: the elements EN 16931 and Peppol make mandatory
(each missing one is reported with its business term, e.g. BT-1 invoice number) and the
arithmetic of the totals (BR-CO-10, -13, -14, -15, -16). Amounts are as the document states
them, positive on a credit note too; ``document_type`` says which it is.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from pathlib import Path

from lxml import etree

from ledgerbridge.formats.xmldoc import XmlInputError, XmlReader, parse

_UBL = "urn:oasis:names:specification:ubl:schema:xsd:"
ROOTS = {
    f"{_UBL}Invoice-2": ("Invoice", "invoice"),
    f"{_UBL}CreditNote-2": ("CreditNote", "credit_note"),
}
_NS = {
    "cac": f"{_UBL}CommonAggregateComponents-2",
    "cbc": f"{_UBL}CommonBasicComponents-2",
}
_HINT = (
    "the e-invoice does not follow Peppol BIS Billing 3.0; ask the supplier (or their "
    "access point) to send it again; nothing of it was loaded"
)
_PRICE_PLACES = 6


@dataclass(frozen=True)
class Party:
    name: str | None  # BT-27 / BT-44: the registered name
    trading_name: str | None
    endpoint_id: str | None
    endpoint_scheme: str | None
    legal_id: str | None  # BT-30 / BT-47: in Sweden the organisation number
    vat_id: str | None  # BT-31 / BT-48
    street: str | None
    city: str | None
    postal_zone: str | None
    country: str | None

    @property
    def orgnr(self) -> str | None:
        """A Swedish party's organisation number (ten digits), however the document gives it:
        as its legal id (556677-8899, 165566778899), as a VAT id (SE556677889901), or as its
        Peppol address (scheme 0007, or 9955 with the VAT id)."""
        for value in (self.legal_id, self.vat_id):
            found = _orgnr_in(value)
            if found:
                return found
        if self.endpoint_scheme == "0007":
            return _orgnr_in(self.endpoint_id)
        if self.endpoint_scheme == "9955":
            return _orgnr_in(self.endpoint_id)
        return None

    @property
    def key(self) -> str:
        """What identifies the party across documents, written one way: its organisation
        number, else its VAT id, else its Peppol address, else its name."""
        if self.orgnr:
            return f"orgnr:{self.orgnr}"
        if self.vat_id:
            return "vat:" + re.sub(r"[^0-9A-Z]", "", self.vat_id.upper())
        if self.endpoint_id:
            return f"{self.endpoint_scheme or 'endpoint'}:{self.endpoint_id}"
        return f"name:{self.name or ''}"


def _orgnr_in(value: str | None) -> str | None:
    text = re.sub(r"[^0-9A-Z]", "", (value or "").upper())
    vat = re.fullmatch(r"SE([0-9]{10})01", text)
    if vat:
        return vat.group(1)
    if text.isdigit() and len(text) == 10:
        return text
    if text.isdigit() and len(text) == 12 and text[:2] in ("16", "19", "20"):
        return text[2:]
    return None


@dataclass(frozen=True)
class Line:
    line_id: str
    quantity: Decimal
    unit_code: str | None
    amount: Decimal  # BT-131, net
    item_name: str
    seller_item_id: str | None
    price: Decimal | None
    vat_category: str | None
    vat_percent: Decimal | None
    accounting_cost: str | None
    order_line_reference: str | None


@dataclass(frozen=True)
class VatSubtotal:
    category: str
    percent: Decimal | None
    taxable_amount: Decimal
    tax_amount: Decimal
    exemption_reason: str | None


@dataclass
class EInvoice:
    document_type: str  # "invoice" | "credit_note"
    document_id: str
    type_code: str
    customization_id: str
    profile_id: str | None
    issue_date: date
    due_date: date | None
    currency: str
    buyer_reference: str | None
    order_reference: str | None
    accounting_cost: str | None
    note: str | None
    seller: Party
    buyer: Party
    payment_means_code: str | None
    payment_id: str | None
    payee_account: str | None
    line_extension_amount: Decimal
    allowance_total_amount: Decimal | None
    charge_total_amount: Decimal | None
    tax_exclusive_amount: Decimal
    tax_amount: Decimal
    tax_inclusive_amount: Decimal
    prepaid_amount: Decimal | None
    payable_rounding_amount: Decimal | None
    payable_amount: Decimal
    lines: list[Line] = field(default_factory=list)
    vat: list[VatSubtotal] = field(default_factory=list)
    warnings: list = field(default_factory=list)


def read_einvoice(path: Path, display: str | None = None) -> EInvoice:
    """The e-invoice in a file; XmlInputError listing everything missing or wrong."""
    display = display or str(path)
    root = parse(path, display).getroot()
    if etree.QName(root).localname == "StandardBusinessDocument":
        # an access point's envelope (SBDH) around the document: the document is inside
        inner = [c for c in root if isinstance(c.tag, str) and etree.QName(c).namespace in ROOTS]
        if inner:
            root = inner[0]
    name = etree.QName(root)
    reader = XmlReader(name.namespace or "", display, namespaces={**_NS, "d": name.namespace or ""})
    kind = ROOTS.get(name.namespace or "")
    if kind is None or name.localname != kind[0]:
        reader.report(
            "not-ubl",
            root,
            f"the root element is {name.text}; expected a UBL 2.1 Invoice or CreditNote",
        )
        raise XmlInputError(reader.diagnostics, hint="is this a Peppol BIS Billing 3.0 e-invoice?")
    document_type = kind[1]
    line_tag = "cac:InvoiceLine" if document_type == "invoice" else "cac:CreditNoteLine"
    quantity_tag = "cbc:InvoicedQuantity" if document_type == "invoice" else "cbc:CreditedQuantity"
    type_tag = "cbc:InvoiceTypeCode" if document_type == "invoice" else "cbc:CreditNoteTypeCode"

    def need(under: etree._Element, path: str, term: str) -> str | None:
        return reader.need(under, path, term)

    customization = need(root, "cbc:CustomizationID", "BT-24 specification identifier")
    profile = need(root, "cbc:ProfileID", "BT-23 business process (Peppol requires it)")
    document_id = need(root, "cbc:ID", "BT-1 invoice number")
    issue_date = reader.day(root, "cbc:IssueDate", "BT-2 issue date")
    type_code = need(root, type_tag, "BT-3 invoice type code")
    currency = need(root, "cbc:DocumentCurrencyCode", "BT-5 invoice currency")
    buyer_reference = reader.text(root, "cbc:BuyerReference")
    order_reference = reader.text(root, "cac:OrderReference/cbc:ID")
    if buyer_reference is None and order_reference is None:
        reader.missing(
            root, "cbc:BuyerReference", "BT-10 buyer reference or BT-13 purchase order reference"
        )
    seller = _party(reader, root, "cac:AccountingSupplierParty", "seller", "BT-27", "BT-40")
    buyer = _party(reader, root, "cac:AccountingCustomerParty", "buyer", "BT-44", "BT-55")
    if seller is not None and seller.legal_id is None and seller.vat_id is None:
        reader.warn(
            "no-seller-id",
            root,
            "the seller has neither a legal registration id (BT-30, the organisation number) "
            "nor a VAT id (BT-31): it can only be matched to a supplier by name",
        )
    means = reader.find(root, "cac:PaymentMeans")
    payment_means_code = payment_id = payee_account = None
    if means is not None:
        payment_means_code = reader.text(means, "cbc:PaymentMeansCode")
        payment_id = reader.text(means, "cbc:PaymentID")
        payee_account = reader.text(means, "cac:PayeeFinancialAccount/cbc:ID")
    due_date = reader.day(root, "cbc:DueDate", "", required=False)
    if due_date is None and means is not None:
        due_date = reader.day(means, "cbc:PaymentDueDate", "", required=False)

    totals = reader.find(root, "cac:LegalMonetaryTotal")
    amounts: dict[str, Decimal | None] = {}
    if totals is None:
        reader.missing(root, "cac:LegalMonetaryTotal", "the document totals")
    else:
        for tag, term, required in (
            ("LineExtensionAmount", "BT-106 sum of line net amounts", True),
            ("AllowanceTotalAmount", "", False),
            ("ChargeTotalAmount", "", False),
            ("TaxExclusiveAmount", "BT-109 total without VAT", True),
            ("TaxInclusiveAmount", "BT-112 total with VAT", True),
            ("PrepaidAmount", "", False),
            ("PayableRoundingAmount", "", False),
            ("PayableAmount", "BT-115 amount due", True),
        ):
            amounts[tag] = reader.amount(totals, f"cbc:{tag}", term, required=required)
    tax_amount, vat = _vat(reader, root, currency)
    lines = [
        line
        for line in (_line(reader, element, quantity_tag) for element in reader.all(root, line_tag))
        if line is not None
    ]
    if not reader.all(root, line_tag):
        reader.missing(root, line_tag, "at least one invoice line (BG-25)")
    if not reader.errors:
        _check_totals(reader, totals, amounts, tax_amount, lines, vat)
    if reader.errors:
        raise XmlInputError(reader.diagnostics, hint=_HINT)
    assert document_id and issue_date and type_code and currency and customization
    assert seller is not None and buyer is not None and tax_amount is not None
    return EInvoice(
        document_type=document_type,
        document_id=document_id,
        type_code=type_code,
        customization_id=customization,
        profile_id=profile,
        issue_date=issue_date,
        due_date=due_date,
        currency=currency,
        buyer_reference=buyer_reference,
        order_reference=order_reference,
        accounting_cost=reader.text(root, "cbc:AccountingCost"),
        note=reader.text(root, "cbc:Note"),
        seller=seller,
        buyer=buyer,
        payment_means_code=payment_means_code,
        payment_id=payment_id,
        payee_account=payee_account,
        line_extension_amount=amounts["LineExtensionAmount"],
        allowance_total_amount=amounts["AllowanceTotalAmount"],
        charge_total_amount=amounts["ChargeTotalAmount"],
        tax_exclusive_amount=amounts["TaxExclusiveAmount"],
        tax_amount=tax_amount,
        tax_inclusive_amount=amounts["TaxInclusiveAmount"],
        prepaid_amount=amounts["PrepaidAmount"],
        payable_rounding_amount=amounts["PayableRoundingAmount"],
        payable_amount=amounts["PayableAmount"],
        lines=lines,
        vat=vat,
        warnings=reader.diagnostics,
    )


def _party(
    reader: XmlReader, root: etree._Element, path: str, role: str, name_term: str, country_term: str
) -> Party | None:
    holder = reader.find(root, path)
    party = reader.find(holder, "cac:Party") if holder is not None else None
    if party is None:
        reader.missing(root, f"{path}/cac:Party", f"the {role}")
        return None
    endpoint = reader.find(party, "cbc:EndpointID")
    if endpoint is None:
        reader.missing(party, "cbc:EndpointID", f"the {role}'s electronic address (Peppol)")
    name = reader.need(
        party, "cac:PartyLegalEntity/cbc:RegistrationName", f"{name_term} {role} name"
    )
    country = reader.need(
        party, "cac:PostalAddress/cac:Country/cbc:IdentificationCode", f"{country_term} country"
    )
    vat_ids = [
        reader.text(scheme, "cbc:CompanyID")
        for scheme in reader.all(party, "cac:PartyTaxScheme")
        if (reader.text(scheme, "cac:TaxScheme/cbc:ID") or "").upper() == "VAT"
    ]
    return Party(
        name=name,
        trading_name=reader.text(party, "cac:PartyName/cbc:Name"),
        endpoint_id=reader.text(party, "cbc:EndpointID"),
        endpoint_scheme=endpoint.get("schemeID") if endpoint is not None else None,
        legal_id=reader.text(party, "cac:PartyLegalEntity/cbc:CompanyID"),
        vat_id=next((v for v in vat_ids if v), None),
        street=reader.text(party, "cac:PostalAddress/cbc:StreetName"),
        city=reader.text(party, "cac:PostalAddress/cbc:CityName"),
        postal_zone=reader.text(party, "cac:PostalAddress/cbc:PostalZone"),
        country=country,
    )


def _vat(
    reader: XmlReader, root: etree._Element, currency: str | None
) -> tuple[Decimal | None, list[VatSubtotal]]:
    """The VAT total in the document currency and its breakdown (a second TaxTotal, in the
    accounting currency, holds only the total)."""
    totals = reader.all(root, "cac:TaxTotal")
    chosen = None
    for total in totals:
        amount = reader.find(total, "cbc:TaxAmount")
        if amount is not None and (
            currency is None or amount.get("currencyID") in (None, currency)
        ):
            chosen = total
            break
    if chosen is None:
        if totals:
            reader.missing(totals[0], "cbc:TaxAmount", "BT-110 total VAT amount")
        else:
            reader.missing(root, "cac:TaxTotal", "BT-110 total VAT amount in the invoice currency")
        return None, []
    tax_amount = reader.amount(chosen, "cbc:TaxAmount", "BT-110 total VAT amount")
    breakdown = []
    subtotals = reader.all(chosen, "cac:TaxSubtotal")
    if not subtotals:
        reader.missing(chosen, "cac:TaxSubtotal", "BG-23 VAT breakdown")
    for subtotal in subtotals:
        taxable = reader.amount(subtotal, "cbc:TaxableAmount", "BT-116 VAT category taxable amount")
        tax = reader.amount(subtotal, "cbc:TaxAmount", "BT-117 VAT category tax amount")
        category = reader.need(subtotal, "cac:TaxCategory/cbc:ID", "BT-118 VAT category code")
        percent = _percent(reader, subtotal, "cac:TaxCategory/cbc:Percent")
        if taxable is not None and tax is not None and category is not None:
            breakdown.append(
                VatSubtotal(
                    category,
                    percent,
                    taxable,
                    tax,
                    reader.text(subtotal, "cac:TaxCategory/cbc:TaxExemptionReason"),
                )
            )
    return tax_amount, breakdown


def _percent(reader: XmlReader, under: etree._Element, path: str) -> Decimal | None:
    if reader.find(under, path) is None:
        return None
    return reader.quantity(under, path, "VAT rate")


def _line(reader: XmlReader, element: etree._Element, quantity_tag: str) -> Line | None:
    errors_before = len(reader.errors)
    line_id = reader.need(element, "cbc:ID", "BT-126 line identifier")
    quantity = reader.quantity(element, quantity_tag, "BT-129 invoiced quantity")
    amount = reader.amount(element, "cbc:LineExtensionAmount", "BT-131 line net amount")
    item_name = reader.need(element, "cac:Item/cbc:Name", "BT-153 item name")
    category = reader.need(
        element, "cac:Item/cac:ClassifiedTaxCategory/cbc:ID", "BT-151 item VAT category"
    )
    price = None
    if reader.find(element, "cac:Price/cbc:PriceAmount") is None:
        reader.missing(element, "cac:Price/cbc:PriceAmount", "BT-146 item net price")
    else:
        price = reader.quantity(
            element, "cac:Price/cbc:PriceAmount", "BT-146 item net price", places=_PRICE_PLACES
        )
    if len(reader.errors) > errors_before:
        return None
    assert line_id and quantity is not None and amount is not None and item_name
    quantity_element = reader.find(element, quantity_tag)
    return Line(
        line_id=line_id,
        quantity=quantity,
        unit_code=quantity_element.get("unitCode") if quantity_element is not None else None,
        amount=amount,
        item_name=item_name,
        seller_item_id=reader.text(element, "cac:Item/cac:SellersItemIdentification/cbc:ID"),
        price=price,
        vat_category=category,
        vat_percent=_percent(reader, element, "cac:Item/cac:ClassifiedTaxCategory/cbc:Percent"),
        accounting_cost=reader.text(element, "cbc:AccountingCost"),
        order_line_reference=reader.text(element, "cac:OrderLineReference/cbc:LineID"),
    )


def _check_totals(
    reader: XmlReader,
    totals: etree._Element,
    amounts: dict[str, Decimal | None],
    tax_amount: Decimal | None,
    lines: list[Line],
    vat: list[VatSubtotal],
) -> None:
    """EN 16931's arithmetic on the totals (the rule ids are the standard's)."""
    zero = Decimal(0)

    def rule(rule_id: str, stated: Decimal | None, computed: Decimal, what: str) -> None:
        if stated is not None and stated != computed:
            reader.report(
                "totals-disagree",
                totals,
                f"{rule_id}: {what} is {stated} but {computed} by the document's own figures",
            )

    allowances = amounts["AllowanceTotalAmount"] or zero
    charges = amounts["ChargeTotalAmount"] or zero
    rule(
        "BR-CO-10",
        amounts["LineExtensionAmount"],
        sum((line.amount for line in lines), zero),
        "LineExtensionAmount (sum of line net amounts)",
    )
    if amounts["LineExtensionAmount"] is not None:
        rule(
            "BR-CO-13",
            amounts["TaxExclusiveAmount"],
            amounts["LineExtensionAmount"] - allowances + charges,
            "TaxExclusiveAmount (lines − allowances + charges)",
        )
    if tax_amount is not None:
        rule("BR-CO-14", tax_amount, sum((v.tax_amount for v in vat), zero), "TaxAmount")
        if amounts["TaxExclusiveAmount"] is not None:
            rule(
                "BR-CO-15",
                amounts["TaxInclusiveAmount"],
                amounts["TaxExclusiveAmount"] + tax_amount,
                "TaxInclusiveAmount (without VAT + VAT)",
            )
    if amounts["TaxInclusiveAmount"] is not None:
        rule(
            "BR-CO-16",
            amounts["PayableAmount"],
            amounts["TaxInclusiveAmount"]
            - (amounts["PrepaidAmount"] or zero)
            + (amounts["PayableRoundingAmount"] or zero),
            "PayableAmount (with VAT − prepaid + rounding)",
        )
