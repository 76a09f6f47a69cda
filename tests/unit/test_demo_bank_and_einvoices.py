"""The demo company's bank statements and e-invoices: valid by our own strict readers, and
the same story as its books and its ERP."""

from __future__ import annotations

import itertools
import json
from decimal import Decimal

import pytest

from ledgerbridge.config import orgnr_digits
from ledgerbridge.formats.camt import read_camt053
from ledgerbridge.formats.sie import SieReader
from ledgerbridge.formats.ubl import read_einvoice
from sandbox.demo_company import DemoOptions, DemoResult, generate


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> DemoResult:
    return generate(DemoOptions(scale=2000), tmp_path_factory.mktemp("demo"))


def test_each_month_opens_where_the_last_closed_and_the_year_closes_at_1930s_balance(
    demo: DemoResult,
) -> None:
    statements = [read_camt053(path) for path in demo.bank_files]
    assert len(statements) == 24 and all(d.warnings == [] for d in statements)
    chain = [d.statements[0] for d in statements]
    for previous, current in itertools.pairwise(chain):
        assert current.opening_balance == previous.closing_balance
        assert current.opening_date.month % 12 == (previous.closing_date.month + 1) % 12
    for path in demo.sie_files:
        with SieReader(path) as reader:
            year = reader.header.fiscal_year(0)
            (closing,) = [
                b.amount
                for b in reader.header.balances
                if b.kind == "UB" and b.year == 0 and b.account == "1930" and not b.objects
            ]
        (statement,) = [s for s in chain if s.closing_date == year.end]
        assert statement.closing_balance == closing


def test_customer_payments_carry_the_invoices_ocr_number(demo: DemoResult) -> None:
    payments = [
        json.loads(line)
        for line in (demo.erp_folder / "customer_payments.jsonl").read_text().splitlines()
    ]
    references = {
        detail.creditor_reference: entry.amount
        for path in demo.bank_files
        for entry in read_camt053(path).statements[0].entries
        for detail in entry.transactions
        if entry.amount > 0 and detail.creditor_reference
    }
    assert {p["reference"]: Decimal(p["amount"]) for p in payments} == references


def test_every_supplier_invoice_arrived_as_a_valid_e_invoice(demo: DemoResult) -> None:
    registered = [
        json.loads(line)
        for line in (demo.erp_folder / "supplier_invoices.jsonl").read_text().splitlines()
    ]
    received = [read_einvoice(path) for path in demo.einvoice_files]
    assert all(e.warnings == [] for e in received)
    assert sorted((e.document_id, e.payable_amount, e.payment_id) for e in received) == sorted(
        (i["supplier_invoice_number"], Decimal(i["total_amount"]), i["ocr"]) for i in registered
    )
    assert {e.buyer.orgnr for e in received} == {orgnr_digits(demo.orgnr)}
    assert {e.seller.key.split(":")[0] for e in received} == {"orgnr"}
