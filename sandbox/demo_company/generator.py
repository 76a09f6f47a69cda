"""Generate Demo AB: what its ERP and its accounting program would hand us.

Output, under the given folder::

    sie/demo_ab_<year>.se       the books, one SIE 4E export per fiscal year (CP437)
    erp/manifest.json, *.jsonl  the ERP export (ledgerbridge-erp-export/1, JSON Lines)
    accounting/*.jsonl          the accounting program's customer and supplier registers
    ground_truth.json           the planted discrepancies, for reconciliation to find
    summary.json                counts and what was booked per fiscal year and account

A seed gives byte-identical files; nothing depends on the clock.
"""

from __future__ import annotations

import json
import random
import shutil
from collections.abc import Callable
from dataclasses import asdict, dataclass, replace
from datetime import date, timedelta
from decimal import Decimal
from pathlib import Path

from ledgerbridge.formats.sie import DIM_COST_CENTRE, DIM_PROJECT, Account, Dimension, SieHeader
from sandbox.demo_company import chart
from sandbox.demo_company.bank_statements import write_statements
from sandbox.demo_company.budget_csv import write_budget_csv
from sandbox.demo_company.einvoices import write_einvoices
from sandbox.demo_company.master_data import (
    ARTICLES,
    COST_CENTRES,
    WAREHOUSES,
    Party,
    make_customers,
    make_projects,
    make_suppliers,
    orgnr,
)
from sandbox.demo_company.other_exports import write_price_list
from sandbox.demo_company.output import (
    ERP_ENTITIES,
    ERP_EXPORT_FORMAT,
    FiscalYearSpan,
    JsonLinesExport,
    SieBooks,
    money,
)
from sandbox.demo_company.simulation import DemoSimulation, Planted, add_months

#: The kinds of discrepancy the demo plants; reconciliation (issue 6) must find exactly these.
DISCREPANCY_KINDS = (
    "invoice_not_booked",
    "amount_mismatch",
    "dimension_mismatch",
    "master_data_mismatch",
    "duplicate_booking",
    "inventory_value_mismatch",
)
DEFAULT_SCALE = 6000
MIN_SCALE = 2000


@dataclass(frozen=True)
class DemoOptions:
    seed: int = 42
    #: Target number of general-ledger rows (voucher rows) over both fiscal years.
    scale: int = DEFAULT_SCALE
    #: Calendar year in which the first of the two fiscal years starts.
    first_year: int = 2024
    #: Fiscal years July–June instead of calendar years.
    broken_year: bool = False
    company_id: str = "demo_ab"
    company_name: str = "Demo AB"

    def company_orgnr(self) -> str:
        return _master(self)[1]

    def fiscal_years(self) -> list[FiscalYearSpan]:
        first = date(self.first_year, 7 if self.broken_year else 1, 1)
        spans = []
        for i in range(2):
            start = add_months(first, 12 * i)
            spans.append(FiscalYearSpan(start, add_months(start, 12) - timedelta(days=1)))
        return spans


def _master(options: DemoOptions) -> tuple[random.Random, str]:
    """The random stream master data is drawn from, after its first draw: the company's
    organisation number."""
    rng = random.Random(f"{options.seed}:master")
    return rng, orgnr(rng, "5569")


@dataclass
class DemoResult:
    folder: Path
    options: DemoOptions
    orgnr: str
    fiscal_years: list[FiscalYearSpan]
    sie_files: list[Path]
    erp_folder: Path
    accounting_folder: Path
    #: the business account's monthly camt.053 statements, and the supplier e-invoices
    bank_files: list[Path]
    einvoice_files: list[Path]
    #: an export from a system without a connector (a CSV price list) and its mapping
    other_files: list[Path]
    ground_truth_file: Path
    ground_truth: list[dict]
    gl_rows: int
    vouchers: int
    erp_records: dict[str, int]
    #: Σ #TRANS per fiscal year (start date) and account: what the accounting program booked.
    booked: dict[date, dict[str, Decimal]]


def generate(
    options: DemoOptions,
    folder: Path,
    *,
    progress: Callable[[int, int], None] | None = None,
) -> DemoResult:
    if options.scale < MIN_SCALE:
        raise ValueError(
            f"scale is the target number of general-ledger rows; use at least {MIN_SCALE} "
            "(two years of a company's fixed monthly bookings alone take about 2,000)"
        )
    folder.mkdir(parents=True, exist_ok=True)
    for sub in ("sie", "erp", "accounting", "bank", "einvoices", "other"):
        shutil.rmtree(folder / sub, ignore_errors=True)

    rng, company_orgnr = _master(options)
    customers = make_customers(rng, max(15, min(20000, options.scale // 150)))
    suppliers = make_suppliers(rng)
    projects = make_projects(customers)
    fiscal_years = options.fiscal_years()
    export_day = fiscal_years[-1].end + timedelta(days=1)

    erp = JsonLinesExport(folder / "erp", ERP_ENTITIES)
    _write_master_data(erp, customers, suppliers, projects)

    header = SieHeader(
        program="Demo Ekonomi",
        program_version="1.0",
        company_name=options.company_name,
        orgnr=company_orgnr,
        accounts={n: Account(n, name) for n, name in sorted(chart.ACCOUNTS.items())},
        dimensions={
            DIM_COST_CENTRE: Dimension(DIM_COST_CENTRE, "Resultatenhet"),
            DIM_PROJECT: Dimension(DIM_PROJECT, "Projekt"),
        },
        objects={(DIM_COST_CENTRE, c.code): c.name for c in COST_CENTRES}
        | {(DIM_PROJECT, p.number): p.name for p in projects},
    )
    planted = Planted()
    books = SieBooks(
        folder / "sie", file_stem=options.company_id, header=header, fiscal_years=fiscal_years
    )
    simulation = DemoSimulation(
        seed=options.seed,
        scale=options.scale,
        company_id=options.company_id,
        fiscal_years=fiscal_years,
        customers=customers,
        suppliers=suppliers,
        projects=projects,
        erp=erp,
        books=books,
        planted=planted,
        on_day=progress,
    )
    simulation.write_budget(options.seed)
    simulation.run()
    sie_files = books.finish(generated=export_day)
    erp_counts = erp.close(
        {
            "format": ERP_EXPORT_FORMAT,
            "system": "Demo ERP",
            "company": {"name": options.company_name, "orgnr": company_orgnr},
            "exported_at": f"{export_day.isoformat()}T01:00:00+00:00",
        }
    )

    bank_files = write_statements(
        folder / "bank",
        company_name=options.company_name,
        company_id=options.company_id,
        opening_balance=books.opening[0].get(chart.BANK, Decimal(0)),
        movements=books.bank,
        start=fiscal_years[0].start,
        end=fiscal_years[-1].end,
    )
    other_files = write_price_list(folder / "other", folder / "erp")
    # the controller's budget per fiscal year, as uploaded (CSV): how the demo ingests it
    write_budget_csv(folder / "budget", folder / "erp")
    einvoice_files = write_einvoices(
        folder / "einvoices",
        folder / "erp",
        company_name=options.company_name,
        company_orgnr=company_orgnr,
    )

    accounting = JsonLinesExport(folder / "accounting", ("customers", "suppliers"))
    for party in _accounting_view(customers, planted, options.company_id, "customer", 2):
        accounting.write("customers", _party_record(party))
    for party in _accounting_view(suppliers, planted, options.company_id, "supplier", 1):
        accounting.write("suppliers", _party_record(party))
    accounting.close()

    truth = sorted(planted.truth, key=lambda t: (DISCREPANCY_KINDS.index(t["kind"]), t["document"]))
    missing = set(DISCREPANCY_KINDS) - {t["kind"] for t in truth}
    not_booked = sum(1 for t in truth if t["kind"] == "invoice_not_booked")
    if missing or not_booked < planted.not_booked_count:
        raise AssertionError(
            f"the simulation failed to plant {sorted(missing) or 'both unbooked invoices'}"
        )
    truth_file = folder / "ground_truth.json"
    truth_file.write_text(json.dumps(truth, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")

    booked = {
        span.start: dict(sorted(books.booked[i].items())) for i, span in enumerate(fiscal_years)
    }
    summary = {
        "options": asdict(options),
        "company": {"id": options.company_id, "name": options.company_name, "orgnr": company_orgnr},
        "fiscal_years": [
            {"start": s.start.isoformat(), "end": s.end.isoformat(), "label": s.label}
            for s in fiscal_years
        ],
        "gl_rows": books.row_count,
        "vouchers": books.voucher_count,
        "sales_orders": simulation.sales_orders,
        "erp_records": erp_counts,
        "planted_discrepancies": len(truth),
        "booked": {
            start.isoformat(): {a: money(v) for a, v in accounts.items()}
            for start, accounts in booked.items()
        },
    }
    (folder / "summary.json").write_text(
        json.dumps(summary, ensure_ascii=False, indent=2) + "\n", encoding="utf-8"
    )
    return DemoResult(
        folder=folder,
        options=options,
        orgnr=company_orgnr,
        fiscal_years=fiscal_years,
        sie_files=sie_files,
        erp_folder=folder / "erp",
        accounting_folder=folder / "accounting",
        bank_files=bank_files,
        einvoice_files=einvoice_files,
        other_files=other_files,
        ground_truth_file=truth_file,
        ground_truth=truth,
        gl_rows=books.row_count,
        vouchers=books.voucher_count,
        erp_records=erp_counts,
        booked=booked,
    )


def _party_record(party: Party) -> dict:
    record = {
        "number": party.number,
        "name": party.name,
        "orgnr": party.orgnr,
        "street": party.street,
        "postal_code": party.postal_code,
        "city": party.city,
        "country": "SE",
        "email": party.email,
        "payment_terms_days": party.payment_terms_days,
    }
    if party.bankgiro is not None:
        record["bankgiro"] = party.bankgiro
    return record


def _write_master_data(
    erp: JsonLinesExport, customers: list[Party], suppliers: list[Party], projects: list
) -> None:
    for c in COST_CENTRES:
        erp.write("cost_centres", {"code": c.code, "name": c.name})
    for p in projects:
        erp.write(
            "projects",
            {
                "number": p.number,
                "name": p.name,
                "customer_number": p.customer,
                "cost_centre": p.cost_centre,
                "hourly_rate": money(p.hourly_rate),
                "planned_hours_per_month": p.planned_hours,
            },
        )
    for w in WAREHOUSES:
        erp.write(
            "warehouses",
            {
                "code": w.code,
                "name": w.name,
                "city": w.city,
                "inventory_account": w.inventory_account,
            },
        )
    for a in ARTICLES:
        erp.write(
            "articles",
            {
                "number": a.number,
                "name": a.name,
                "type": a.kind,
                "unit": a.unit,
                "vat_rate": a.vat_rate,
                "sales_price": money(a.price),
                "standard_cost": money(a.standard_cost),
                "supplier_number": a.supplier,
                "sales_account": (
                    chart.SERVICE_SALES_ACCOUNT
                    if a.kind == "service"
                    else chart.VAT_ACCOUNTS[a.vat_rate][0]
                ),
            },
        )
    for party in customers:
        erp.write("customers", _party_record(party))
    for party in suppliers:
        erp.write("suppliers", _party_record(party))


def _accounting_view(
    parties: list[Party], planted: Planted, company_id: str, role: str, index: int
) -> list[Party]:
    """The accounting program's copy of the register, with one planted difference: a customer
    who moved (the ERP has the new address) or a supplier whose bankgiro differs."""
    view = list(parties)
    party = view[index]
    if role == "customer":
        changed = replace(party, street="Gamla Vägen 3", postal_code="111 20", city="Stockholm")
        what = (
            f"address: ERP {party.street}, {party.postal_code} {party.city}; "
            f"accounting {changed.street}, {changed.postal_code} {changed.city}"
        )
    else:
        changed = replace(party, bankgiro="5050-1055")
        what = f"bankgiro: ERP {party.bankgiro}; accounting {changed.bankgiro}"
    view[index] = changed
    planted.truth.append(
        {
            "kind": "master_data_mismatch",
            "company_id": company_id,
            "document": party.number,
            "details": f"{role} {party.number} {party.name} differs in {what}",
        }
    )
    return view
