"""Demo AB's incoming e-invoices: every supplier invoice of the ERP export as the supplier's
Peppol BIS Billing 3.0 UBL Invoice, as an access point delivers them.

The supplier's own invoice number, dates, lines, VAT per rate and totals are those the ERP
registered; payment is by bankgiro with the OCR number the bank statement later shows. The
supplier invoice the books hold twice (a planted discrepancy) arrived once, as here.
"""

from __future__ import annotations

import json
from collections import defaultdict
from decimal import Decimal
from pathlib import Path

from lxml import etree

from ledgerbridge.config import orgnr_digits

_UBL = "urn:oasis:names:specification:ubl:schema:xsd:"
INVOICE = f"{_UBL}Invoice-2"
CAC = f"{_UBL}CommonAggregateComponents-2"
CBC = f"{_UBL}CommonBasicComponents-2"
CUSTOMIZATION = "urn:cen.eu:en16931:2017#compliant#urn:fdc:peppol.eu:2017:poacc:billing:3.0"
PROFILE = "urn:fdc:peppol.eu:2017:poacc:billing:01:1.0"
#: UN/ECE rec 20 units for the ERP's: piece, carton (as pieces), hour
_UNITS = {"st": "H87", "kart": "H87", "h": "HUR"}
COMPANY_ADDRESS = {"street": "Sveavägen 44", "postal_code": "111 34", "city": "Stockholm"}


def _records(folder: Path, entity: str) -> list[dict]:
    with open(folder / f"{entity}.jsonl", encoding="utf-8") as handle:
        return [json.loads(line) for line in handle if line.strip()]


def _cbc(parent: etree._Element, tag: str, text: str, **attrs: str) -> etree._Element:
    element = etree.SubElement(parent, f"{{{CBC}}}{tag}", attrs)
    element.text = text
    return element


def _cac(parent: etree._Element, tag: str) -> etree._Element:
    return etree.SubElement(parent, f"{{{CAC}}}{tag}")


def _money(parent: etree._Element, tag: str, amount: Decimal, currency: str) -> None:
    _cbc(parent, tag, f"{amount:.2f}", currencyID=currency)


def _vat_scheme(parent: etree._Element) -> None:
    _cbc(_cac(parent, "TaxScheme"), "ID", "VAT")


def _party(holder: etree._Element, name: str, orgnr: str, address: dict) -> None:
    party = _cac(holder, "Party")
    digits = orgnr_digits(orgnr)
    _cbc(party, "EndpointID", digits, schemeID="0007")  # 0007: Swedish organisation number
    _cbc(_cac(party, "PartyName"), "Name", name)
    postal = _cac(party, "PostalAddress")
    _cbc(postal, "StreetName", address["street"])
    _cbc(postal, "CityName", address["city"])
    _cbc(postal, "PostalZone", address["postal_code"])
    _cbc(_cac(postal, "Country"), "IdentificationCode", "SE")
    tax = _cac(party, "PartyTaxScheme")
    _cbc(tax, "CompanyID", f"SE{digits}01")
    _vat_scheme(tax)
    legal = _cac(party, "PartyLegalEntity")
    _cbc(legal, "RegistrationName", name)
    _cbc(legal, "CompanyID", digits)  # Peppol's Swedish rules want the ten digits


def _category(parent: etree._Element, tag: str, rate: int) -> None:
    category = _cac(parent, tag)
    _cbc(category, "ID", "S")
    _cbc(category, "Percent", str(rate))
    _vat_scheme(category)


def invoice_xml(
    invoice: dict, supplier: dict, articles: dict[str, dict], company: tuple[str, str]
) -> bytes:
    root = etree.Element(f"{{{INVOICE}}}Invoice", nsmap={None: INVOICE, "cac": CAC, "cbc": CBC})
    currency = invoice["currency"]
    _cbc(root, "CustomizationID", CUSTOMIZATION)
    _cbc(root, "ProfileID", PROFILE)
    _cbc(root, "ID", invoice["supplier_invoice_number"])
    _cbc(root, "IssueDate", invoice["invoice_date"])
    _cbc(root, "DueDate", invoice["due_date"])
    _cbc(root, "InvoiceTypeCode", "380")
    _cbc(root, "DocumentCurrencyCode", invoice["currency"])
    _cbc(root, "BuyerReference", invoice["purchase_order_number"])
    _cbc(_cac(root, "OrderReference"), "ID", invoice["purchase_order_number"])
    _party(_cac(root, "AccountingSupplierParty"), supplier["name"], supplier["orgnr"], supplier)
    _party(_cac(root, "AccountingCustomerParty"), company[0], company[1], COMPANY_ADDRESS)
    means = _cac(root, "PaymentMeans")
    _cbc(means, "PaymentMeansCode", "30", name="Credit transfer")
    _cbc(means, "PaymentID", invoice["ocr"])
    account = _cac(means, "PayeeFinancialAccount")
    _cbc(account, "ID", supplier["bankgiro"].replace("-", ""))
    _cbc(_cac(account, "FinancialInstitutionBranch"), "ID", "SE:BANKGIRO")
    _cbc(_cac(root, "PaymentTerms"), "Note", f"{supplier['payment_terms_days']} dagar netto")

    per_rate: dict[int, list[Decimal]] = defaultdict(lambda: [Decimal(0), Decimal(0)])
    for line in invoice["lines"]:
        per_rate[line["vat_rate"]][0] += Decimal(line["net_amount"])
        per_rate[line["vat_rate"]][1] += Decimal(line["vat_amount"])
    tax_total = _cac(root, "TaxTotal")
    _money(tax_total, "TaxAmount", Decimal(invoice["vat_amount"]), currency)
    for rate, (taxable, tax) in sorted(per_rate.items(), reverse=True):
        subtotal = _cac(tax_total, "TaxSubtotal")
        _money(subtotal, "TaxableAmount", taxable, currency)
        _money(subtotal, "TaxAmount", tax, currency)
        _category(subtotal, "TaxCategory", rate)
    totals = _cac(root, "LegalMonetaryTotal")
    _money(totals, "LineExtensionAmount", Decimal(invoice["net_amount"]), currency)
    _money(totals, "TaxExclusiveAmount", Decimal(invoice["net_amount"]), currency)
    _money(totals, "TaxInclusiveAmount", Decimal(invoice["total_amount"]), currency)
    _money(totals, "PayableAmount", Decimal(invoice["total_amount"]), currency)
    for line in invoice["lines"]:
        article = articles[line["article_number"]]
        element = _cac(root, "InvoiceLine")
        _cbc(element, "ID", str(line["line_no"]))
        _cbc(
            element,
            "InvoicedQuantity",
            str(line["quantity"]),
            unitCode=_UNITS.get(article["unit"], "H87"),
        )
        _money(element, "LineExtensionAmount", Decimal(line["net_amount"]), currency)
        item = _cac(element, "Item")
        _cbc(item, "Name", article["name"])
        _cbc(_cac(item, "SellersItemIdentification"), "ID", article["number"])
        _category(item, "ClassifiedTaxCategory", line["vat_rate"])
        _money(_cac(element, "Price"), "PriceAmount", Decimal(line["unit_price"]), currency)
    return etree.tostring(root, xml_declaration=True, encoding="UTF-8", pretty_print=True)


def write_einvoices(
    folder: Path, erp_folder: Path, *, company_name: str, company_orgnr: str
) -> list[Path]:
    """One file per supplier invoice in the ERP export; returns the files."""
    folder.mkdir(parents=True, exist_ok=True)
    suppliers = {s["number"]: s for s in _records(erp_folder, "suppliers")}
    articles = {a["number"]: a for a in _records(erp_folder, "articles")}
    files = []
    for invoice in _records(erp_folder, "supplier_invoices"):
        supplier = suppliers[invoice["supplier_number"]]
        path = folder / f"{supplier['number']}_{invoice['supplier_invoice_number']}.xml"
        path.write_bytes(invoice_xml(invoice, supplier, articles, (company_name, company_orgnr)))
        files.append(path)
    return files
