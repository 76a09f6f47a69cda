"""Set up Demo AB in a fresh Tryton database: company, BAS accounts, VAT, fiscal years,
warehouses, cost centres and projects as analytic accounts, payment terms.

Runs in its own process (``python -m sandbox.tryton.bootstrap SPEC.json``) because trytond's
configuration is global to a process. It talks to Tryton through proteus, Tryton's own
scripting library, so every record is created by Tryton's models with their checks, exactly
as a user of the Tryton client would.
"""

from __future__ import annotations

import json
import sys
from datetime import date
from decimal import Decimal
from pathlib import Path

from sandbox.demo_company import chart
from sandbox.demo_company.master_data import COST_CENTRES, WAREHOUSES

#: BAS account → the type it takes in Tryton's universal chart of account types (by the
#: type's flags or name), checked in order, first match wins.
_TYPE_OF = [
    ("146", "inventories"),
    ("1510", "receivable"),
    ("19", "cash"),
    ("20", "equity"),
    ("2440", "payable"),
    ("2", "tax"),
    ("83", "other revenue"),
    ("3", "revenue"),
    ("4", "cost of sales"),
    ("", "expense"),
]
_TYPE_NAMES = {
    "inventories": "Inventories",
    "cash": "Cash at bank, Petty Cash, Cash On Hand",
    "equity": "Issued capital and reserves attributable to equity holders of the parent "
    "company (controlling interest)",
    "tax": "Liabilities and assets for current tax",
    "other revenue": "Other revenues or gains",
    "cost of sales": "Cost of Sales",
    "expense": "Selling, General and Administrative expenses",
}
PAYMENT_TERM_DAYS = (10, 15, 20, 30)
PAYMENT_TERM_NAME = "{days} dagar netto"
SALES_TAX_NAME = "Utgående moms {rate} %"
PURCHASE_TAX_NAME = "Ingående moms {rate} %"


def main(spec_path: str) -> None:
    spec = json.loads(Path(spec_path).read_text(encoding="utf-8"))
    from proteus import Model
    from proteus import config as proteus_config

    proteus_config.set_trytond(spec["database"], config_file=spec["config_file"])
    company = _company(Model, spec)
    accounts = _accounts(Model, company)
    taxes = _taxes(Model, accounts)
    _configuration(Model, accounts)
    for start, end in spec["fiscal_years"]:
        _fiscal_year(Model, company, date.fromisoformat(start), date.fromisoformat(end))
    _categories(Model, accounts, taxes)
    _warehouses(Model)
    _analytic(Model, company)
    _payment_terms(Model)
    _payment_method(Model, accounts)
    print(json.dumps({"company": company.id}))


def _company(Model, spec: dict):
    from trytond.modules.company.tests.tools import create_company, get_company

    Currency = Model.get("currency.currency")
    Party = Model.get("party.party")
    sek = Currency(name="Svensk krona", symbol="kr", code="SEK", digits=2)
    sek.rounding = Decimal("0.01")
    sek.rates.new(date=date(2000, 1, 1), rate=Decimal(1))
    sek.save()
    party = Party(name=spec["company_name"])
    identifier = party.identifiers.new()
    identifier.code = spec["orgnr"]
    party.save()
    create_company(party, sek)
    return get_company()


def _accounts(Model, company) -> dict:
    from trytond.modules.account.tests.tools import create_chart

    create_chart(company)
    Account = Model.get("account.account")
    Type = Model.get("account.account.type")
    types = {t.name: t for t in Type.find([])}
    flagged = {
        "receivable": Type.find([("receivable", "=", True)])[0],
        "payable": Type.find([("payable", "=", True)])[0],
        "revenue": Type.find([("revenue", "=", True)])[0],
    }
    root = Account.find([("parent", "=", None), ("company", "=", company.id)])[0]
    created = {}
    for number, name in chart.ACCOUNTS.items():
        kind = next(kind for prefix, kind in _TYPE_OF if number.startswith(prefix))
        account = Account(name=name, code=number, parent=root)
        account.type = flagged.get(kind) or types[_TYPE_NAMES[kind]]
        account.party_required = kind in ("receivable", "payable")
        if kind in ("receivable", "payable"):
            account.reconcile = True
        account.save()
        created[number] = account
    return created


def _taxes(Model, accounts: dict) -> dict:
    Tax = Model.get("account.tax")
    taxes = {}
    for rate, (_, vat_account) in chart.VAT_ACCOUNTS.items():
        tax = Tax(
            name=SALES_TAX_NAME.format(rate=rate),
            description=SALES_TAX_NAME.format(rate=rate),
            type="percentage",
            rate=Decimal(rate) / 100,
            invoice_account=accounts[vat_account],
            credit_note_account=accounts[vat_account],
        )
        tax.save()
        taxes[("sale", rate)] = tax
    for rate in chart.VAT_ACCOUNTS:
        tax = Tax(
            name=PURCHASE_TAX_NAME.format(rate=rate),
            description=PURCHASE_TAX_NAME.format(rate=rate),
            type="percentage",
            rate=Decimal(rate) / 100,
            invoice_account=accounts[chart.INPUT_VAT],
            credit_note_account=accounts[chart.INPUT_VAT],
        )
        tax.save()
        taxes[("purchase", rate)] = tax
    return taxes


def _configuration(Model, accounts: dict) -> None:
    Configuration = Model.get("account.configuration")
    configuration = Configuration(1)
    configuration.default_account_receivable = accounts[chart.RECEIVABLES]
    configuration.default_account_payable = accounts[chart.PAYABLES]
    configuration.default_category_account_revenue = accounts["3001"]
    configuration.default_category_account_expense = accounts[chart.PURCHASES]
    configuration.save()


def _fiscal_year(Model, company, start: date, end: date) -> None:
    FiscalYear = Model.get("account.fiscalyear")
    Sequence = Model.get("ir.sequence.strict")
    SequenceType = Model.get("ir.sequence.type")
    name = str(start.year) if start.month == 1 else f"{start.year}/{end.year}"
    move_type = SequenceType.find([("name", "=", "Account Move")], limit=1)[0]
    moves = Sequence(name=f"Verifikationer {name}", sequence_type=move_type, company=company)
    moves.save()
    year = FiscalYear(name=name, start_date=start, end_date=end, company=company)
    year.move_sequence = moves
    # customer and supplier invoices numbered in series of their own, as Swedish companies do
    invoice_type = SequenceType.find([("name", "=", "Invoice")], limit=1)[0]
    series = year.invoice_sequences[0]
    for field, label in (
        ("out_invoice_sequence", "Kundfakturor"),
        ("out_credit_note_sequence", "Kundkreditfakturor"),
        ("in_invoice_sequence", "Leverantörsfakturor"),
        ("in_credit_note_sequence", "Leverantörskreditfakturor"),
    ):
        sequence = Sequence(name=f"{label} {name}", sequence_type=invoice_type, company=company)
        sequence.save()
        setattr(series, field, sequence)
    year.save()
    year.click("create_period")


def _categories(Model, accounts: dict, taxes: dict) -> None:
    """One accounting category per VAT rate for goods, and one for services."""
    Category = Model.get("product.category")
    for rate, (sales_account, _) in chart.VAT_ACCOUNTS.items():
        _category(Category, f"Varor {rate} %", accounts[sales_account], accounts, taxes, rate)
    _category(Category, "Tjänster 25 %", accounts[chart.SERVICE_SALES_ACCOUNT], accounts, taxes, 25)


def _category(Category, name: str, revenue, accounts: dict, taxes: dict, rate: int) -> None:
    category = Category(name=name, accounting=True)
    category.account_revenue = revenue
    category.account_expense = accounts[chart.PURCHASES]
    # proteus wants a record of its own in each list, hence Tax(id)
    Tax = taxes[("sale", rate)].__class__
    category.customer_taxes.append(Tax(taxes[("sale", rate)].id))
    category.supplier_taxes.append(Tax(taxes[("purchase", rate)].id))
    category.save()


def _warehouses(Model) -> None:
    """Tryton comes with one warehouse; Demo AB has three. The warehouse code is the demo's."""
    Location = Model.get("stock.location")
    first = Location.find([("type", "=", "warehouse")])[0]
    lost_found = Location.find([("type", "=", "lost_found")])[0]
    for i, spec in enumerate(WAREHOUSES):
        if i == 0:
            warehouse = first
        else:
            zones = {}
            for zone in ("input", "output", "storage"):
                zones[zone] = Location(name=f"{spec.name} {zone}", type="storage")
                zones[zone].save()
            warehouse = Location(type="warehouse")
            warehouse.input_location = zones["input"]
            warehouse.output_location = zones["output"]
            warehouse.storage_location = zones["storage"]
        warehouse.name = spec.name
        warehouse.code = spec.code
        warehouse.lost_found_location = lost_found  # inventories book differences there
        warehouse.save()
        for zone in (warehouse.input_location, warehouse.output_location):
            zone.parent = warehouse
            zone.save()
        storage = warehouse.storage_location
        storage.parent = warehouse
        storage.code = f"{spec.code}-L"
        storage.save()


def _analytic(Model, company) -> None:
    """Cost centres (SIE dimension 1) and projects (dimension 6) as two analytic roots."""
    Analytic = Model.get("analytic_account.account")
    centres = Analytic(type="root", name="Resultatenheter", code="1", company=company)
    centres.save()
    for centre in COST_CENTRES:
        Analytic(
            root=centres, parent=centres, name=centre.name, code=centre.code, company=company
        ).save()
    projects = Analytic(type="root", name="Projekt", code="6", company=company)
    projects.save()


def _payment_terms(Model) -> None:
    Term = Model.get("account.invoice.payment_term")
    for days in PAYMENT_TERM_DAYS:
        term = Term(name=PAYMENT_TERM_NAME.format(days=days))
        line = term.lines.new(type="remainder")
        line.relativedeltas.new(days=days)
        term.save()


def _payment_method(Model, accounts: dict) -> None:
    Journal = Model.get("account.journal")
    Method = Model.get("account.invoice.payment.method")
    cash = Journal.find([("type", "=", "cash")])[0]
    method = Method(name="Bankgiro", journal=cash)
    method.credit_account = accounts[chart.BANK]
    method.debit_account = accounts[chart.BANK]
    method.save()


if __name__ == "__main__":
    main(sys.argv[1])
