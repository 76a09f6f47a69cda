"""The demo company generator: deterministic, balanced, and honest about what it planted."""

from __future__ import annotations

import hashlib
import json
from collections import Counter, defaultdict
from datetime import date
from decimal import Decimal
from pathlib import Path

import pytest

from ledgerbridge.formats.sie import SieReader
from sandbox.demo_company import DemoOptions, DemoResult, generate
from sandbox.demo_company.generator import DISCREPANCY_KINDS


def tree_digest(folder: Path) -> dict[str, str]:
    return {
        str(p.relative_to(folder)): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(folder.rglob("*"))
        if p.is_file()
    }


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> DemoResult:
    return generate(DemoOptions(), tmp_path_factory.mktemp("demo"))


def read_books(result: DemoResult):
    files = []
    for path in result.sie_files:
        with SieReader(path) as reader:
            files.append((reader.header, list(reader.vouchers())))
    return files


def jsonl(path: Path) -> list[dict]:
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()]


def test_same_seed_gives_byte_identical_output(demo: DemoResult, tmp_path: Path) -> None:
    again = generate(DemoOptions(), tmp_path / "again")
    assert tree_digest(again.folder) == tree_digest(demo.folder)
    other = generate(DemoOptions(seed=7), tmp_path / "other")
    assert tree_digest(other.folder) != tree_digest(demo.folder)


def test_company_shape(demo: DemoResult) -> None:
    erp = demo.erp_folder
    assert len(jsonl(erp / "warehouses.jsonl")) == 3
    assert len(jsonl(erp / "cost_centres.jsonl")) >= 4
    assert len(jsonl(erp / "projects.jsonl")) >= 6
    articles = jsonl(erp / "articles.jsonl")
    assert {a["vat_rate"] for a in articles} == {25, 12, 6}
    assert [s.label for s in demo.fiscal_years] == ["2024", "2025"]
    moves = Counter(m["move_type"] for m in jsonl(erp / "stock_moves.jsonl"))
    assert moves["transfer_out"] == moves["transfer_in"] > 0
    assert moves["delivery"] > 0 and moves["receipt"] > 0
    budget = jsonl(erp / "budget.jsonl")
    assert {b["period"][:4] for b in budget} == {"2024", "2025"}
    assert {b["cost_centre"] for b in budget} >= {"ADM", "SALJ", "LAGER", "KONS"}
    assert any(b["project"] for b in budget)
    manifest = json.loads((erp / "manifest.json").read_text(encoding="utf-8"))
    for entity, body in manifest["entities"].items():
        assert len(jsonl(erp / body["file"])) == body["records"], entity


def test_books_balance_and_carry_over(demo: DemoResult) -> None:
    (header1, vouchers1), (header2, vouchers2) = read_books(demo)
    for header, vouchers in ((header1, vouchers1), (header2, vouchers2)):
        assert all(v.imbalance() == 0 for v in vouchers)
        assert sum(b.amount for b in header.balances if b.kind == "IB" and b.year == 0) == 0
        assert {"2611", "2621", "2631", "2641"} <= {r.account for v in vouchers for r in v.rows}
        series = {v.series for v in vouchers}
        assert series == {"A", "B", "C", "D", "E"}
    # the second year opens where the first closed, with the result on 2099 (årets resultat)
    ub1 = {b.account: b.amount for b in header1.balances if b.kind == "UB" and b.year == 0}
    ib2 = {b.account: b.amount for b in header2.balances if b.kind == "IB" and b.year == 0}
    result1 = sum(b.amount for b in header1.balances if b.kind == "RES" and b.year == 0)
    assert ib2["2099"] == ub1.get("2099", Decimal(0)) + result1
    assert all(ib2.get(a, Decimal(0)) == v for a, v in ub1.items() if a != "2099")


def test_booked_totals_match_the_files(demo: DemoResult) -> None:
    for (header, vouchers), span in zip(read_books(demo), demo.fiscal_years, strict=True):
        totals: dict[str, Decimal] = defaultdict(Decimal)
        for voucher in vouchers:
            for row in voucher.rows:
                totals[row.account] += row.amount
        assert {a: v for a, v in totals.items() if v} == {
            a: v for a, v in demo.booked[span.start].items() if v
        }
        res = {b.account: b.amount for b in header.balances if b.kind == "RES" and b.year == 0}
        assert res == {a: v for a, v in totals.items() if a[0] not in "12" and v}


def test_ground_truth_names_every_kind_and_is_true(demo: DemoResult) -> None:
    truth = json.loads(demo.ground_truth_file.read_text(encoding="utf-8"))
    assert truth == demo.ground_truth
    assert {t["kind"] for t in truth} == set(DISCREPANCY_KINDS)
    assert all(t["company_id"] == "demo_ab" and t["document"] for t in truth)

    invoices = {i["number"]: i for i in jsonl(demo.erp_folder / "customer_invoices.jsonl")}
    supplier_invoices = {i["number"] for i in jsonl(demo.erp_folder / "supplier_invoices.jsonl")}
    vouchers = [v for _, vs in read_books(demo) for v in vs]
    texts = Counter(v.text.split(" ")[1] for v in vouchers if v.series in ("B", "D"))
    booked = {v.text.split(" ")[1]: v for v in vouchers if v.series == "B"}
    erp_customers = {c["number"]: c for c in jsonl(demo.erp_folder / "customers.jsonl")}
    acc_customers = {c["number"]: c for c in jsonl(demo.accounting_folder / "customers.jsonl")}
    erp_suppliers = {c["number"]: c for c in jsonl(demo.erp_folder / "suppliers.jsonl")}
    acc_suppliers = {c["number"]: c for c in jsonl(demo.accounting_folder / "suppliers.jsonl")}

    for item in truth:
        document = item["document"]
        if item["kind"] == "invoice_not_booked":
            assert document in invoices and document not in booked
        elif item["kind"] == "amount_mismatch":
            receivable = sum(r.amount for r in booked[document].rows if r.account == "1510")
            assert receivable != Decimal(invoices[document]["total_amount"])
        elif item["kind"] == "dimension_mismatch":
            erp = invoices[document]
            rows = [r for r in booked[document].rows if r.account[0] == "3"]
            assert any(
                r.object_id("1") != erp["cost_centre"] or r.object_id("6") != erp["project"]
                for r in rows
            )
        elif item["kind"] == "duplicate_booking":
            assert document in supplier_invoices and texts[document] == 2
        elif item["kind"] == "master_data_mismatch":
            if document in erp_customers:
                assert erp_customers[document] != acc_customers[document]
            else:
                assert erp_suppliers[document] != acc_suppliers[document]
        elif item["kind"] == "inventory_value_mismatch":
            assert document in {"STO", "GOT", "MMO"}
    # nothing else differs: every other ERP invoice is booked exactly once at its amount
    planted = {t["document"] for t in truth}
    for number, invoice in invoices.items():
        if number in planted:
            continue
        assert texts[number] == 1, number
        receivable = sum(r.amount for r in booked[number].rows if r.account == "1510")
        assert receivable == Decimal(invoice["total_amount"]), number
    for number in supplier_invoices - planted:
        assert texts[number] == 1, number
    assert sum(1 for n in erp_customers if erp_customers[n] != acc_customers[n]) == 1
    assert sum(1 for n in erp_suppliers if erp_suppliers[n] != acc_suppliers[n]) == 1


def test_broken_fiscal_year_runs_july_to_june(tmp_path: Path) -> None:
    result = generate(DemoOptions(broken_year=True, scale=3000), tmp_path)
    assert [(s.start, s.end) for s in result.fiscal_years] == [
        (date(2024, 7, 1), date(2025, 6, 30)),
        (date(2025, 7, 1), date(2026, 6, 30)),
    ]
    assert [s.label for s in result.fiscal_years] == ["2024/25", "2025/26"]
    with SieReader(result.sie_files[0]) as reader:
        assert reader.header.fiscal_year(0).start == date(2024, 7, 1)
        assert min(v.date for v in reader.vouchers()) >= date(2024, 7, 1)


@pytest.mark.parametrize("scale", [3000, 30000])
def test_scale_is_the_target_number_of_gl_rows(tmp_path: Path, scale: int) -> None:
    result = generate(DemoOptions(scale=scale), tmp_path)
    assert abs(result.gl_rows - scale) / scale < 0.15, result.gl_rows


def test_scale_below_the_minimum_is_refused(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="at least 2000"):
        generate(DemoOptions(scale=500), tmp_path)


@pytest.mark.parametrize("broken_year", [False, True])
@pytest.mark.parametrize("seed", range(1, 11))
def test_every_kind_is_planted_at_the_smallest_scale(
    seed: int, broken_year: bool, tmp_path: Path
) -> None:
    result = generate(DemoOptions(seed=seed, scale=2000, broken_year=broken_year), tmp_path)
    kinds = [t["kind"] for t in result.ground_truth]
    assert set(kinds) == set(DISCREPANCY_KINDS)
    assert kinds.count("invoice_not_booked") == 2 and len(kinds) == 9
