"""Fill the sandbox Tryton with Demo AB's business, through Tryton's own workflows.

Reads the demo company's ERP export (the generator's JSON Lines, the same story its SIE files
tell, planted discrepancies included) and replays it as a user would: customers, suppliers,
articles and projects here through proteus, Tryton's scripting library; opening stock by
inventory; then every dated document through replay.py: each sales order quoted, confirmed,
its delivery picked, packed and done, its invoice posted and paid; each purchase confirmed,
received, invoiced and paid; transfers between warehouses as internal shipments. Invoices
keep the demo's numbers (the books know them); orders keep theirs in the reference field.

Runs in its own process (``python -m sandbox.tryton.seed SPEC.json``); prints one JSON line
per finished document ({"done": n, "total": m}) for the caller's progress bar.
"""

from __future__ import annotations

import json
import sys
from collections import defaultdict
from datetime import date
from decimal import Decimal
from pathlib import Path

from sandbox.tryton.bootstrap import PAYMENT_TERM_DAYS, PAYMENT_TERM_NAME
from sandbox.tryton.replay import Replay, as_date

_UOM = {"st": "Unit", "kart": "Unit", "h": "Hour"}


def _records(folder: Path, entity: str) -> list[dict]:
    with open(folder / f"{entity}.jsonl", encoding="utf-8") as handle:
        return [json.loads(line) for line in handle if line.strip()]


class Seeder:
    def __init__(self, Model) -> None:
        self.Model = Model
        self.parties: dict[str, object] = {}
        self.products: dict[str, object] = {}
        self.terms: dict[int, object] = {}
        self.analytic: dict[str, object] = {}
        self.warehouses: dict[str, object] = {}
        self.done = 0
        self.total = 0

    # -- progress ----------------------------------------------------------------------------
    def step(self, what: str) -> None:
        self.done += 1
        print(json.dumps({"done": self.done, "total": self.total, "what": what}), flush=True)

    # -- master data -------------------------------------------------------------------------
    def load_references(self) -> None:
        Model = self.Model
        Term = Model.get("account.invoice.payment_term")
        for days in PAYMENT_TERM_DAYS:
            self.terms[days] = Term.find([("name", "=", PAYMENT_TERM_NAME.format(days=days))])[0]
        for account in Model.get("analytic_account.account").find([("type", "=", "normal")]):
            self.analytic[account.code] = account
        for location in Model.get("stock.location").find([("type", "=", "warehouse")]):
            self.warehouses[location.code] = location
        self.projects_root = Model.get("analytic_account.account").find(
            [("type", "=", "root"), ("code", "=", "6")]
        )[0]
        self.centres_root = Model.get("analytic_account.account").find(
            [("type", "=", "root"), ("code", "=", "1")]
        )[0]
        self.payment_method = Model.get("account.invoice.payment.method").find([])[0]
        self.company = Model.get("company.company").find([])[0]

    def term(self, days: int):
        best = min(PAYMENT_TERM_DAYS, key=lambda d: abs(d - days))
        return self.terms[best]

    def party(self, record: dict, customer: bool) -> None:
        Party = self.Model.get("party.party")
        party = Party(name=record["name"], code=record["number"])
        address = party.addresses[0] if party.addresses else party.addresses.new()
        address.street = record["street"]
        address.postal_code = record["postal_code"]
        address.city = record["city"]
        identifier = party.identifiers.new()
        identifier.code = record["orgnr"]
        if record.get("email"):
            party.contact_mechanisms.new(type="email", value=record["email"])
        term = self.term(int(record["payment_terms_days"]))
        if customer:
            party.customer_payment_term = term
        else:
            party.supplier_payment_term = term
        party.save()
        self.parties[record["number"]] = party

    def product(self, record: dict) -> None:
        Template = self.Model.get("product.template")
        Uom = self.Model.get("product.uom")
        Category = self.Model.get("product.category")
        service = record["type"] == "service"
        category_name = (
            f"Tjänster {record['vat_rate']} %" if service else (f"Varor {record['vat_rate']} %")
        )
        template = Template(name=record["name"], code=record["number"])
        template.type = "service" if service else "goods"
        template.default_uom = Uom.find([("name", "=", _UOM.get(record["unit"], "Unit"))])[0]
        template.list_price = Decimal(record["sales_price"])
        template.salable = True
        template.purchasable = not service
        template.account_category = Category.find([("name", "=", category_name)])[0]
        template.save()
        if not template.products:  # the variant Tryton makes by default, as root too
            self.Model.get("product.product")(template=template).save()
            template.reload()
        product = template.products[0]
        product.cost_price = Decimal(record["standard_cost"])
        product.save()
        self.products[record["number"]] = product

    def project(self, record: dict) -> None:
        Analytic = self.Model.get("analytic_account.account")
        Work = self.Model.get("project.work")
        account = Analytic(
            root=self.projects_root, parent=self.projects_root,
            name=record["name"], code=record["number"],
        )  # fmt: skip
        account.save()
        self.analytic[record["number"]] = account
        work = Work(name=f"{record['number']} {record['name']}", type="project")
        work.party = self.parties[record["customer_number"]]
        work.save()

    # -- stock -------------------------------------------------------------------------------
    def opening_stock(self, moves: list[dict]) -> None:
        Inventory = self.Model.get("stock.inventory")
        by_warehouse: dict[str, list[dict]] = defaultdict(list)
        for move in moves:
            by_warehouse[move["warehouse"]].append(move)
        for code, lines in by_warehouse.items():
            inventory = Inventory(location=self.warehouses[code].storage_location)
            inventory.date = as_date(lines[0]["move_date"])
            for move in lines:
                line = inventory.lines.new()
                line.product = self.products[move["article_number"]]  # assigned: on_change
                line.quantity = float(move["quantity"])
            inventory.click("confirm")
            self.step(f"opening stock {code}")


def seed(Model, database: str, folder: Path, until: date | None = None) -> int:
    """Replay the export in ``folder`` (up to and including ``until``, when given: a shorter
    story for tests); returns the number of steps."""
    seeder = Seeder(Model)
    seeder.load_references()
    for record in _records(folder, "customers"):
        seeder.party(record, customer=True)
    for record in _records(folder, "suppliers"):
        seeder.party(record, customer=False)
    for record in _records(folder, "articles"):
        seeder.product(record)
    for record in _records(folder, "projects"):
        seeder.project(record)
    replay = Replay(
        database,
        company=seeder.company.id,
        parties={number: party.id for number, party in seeder.parties.items()},
        products={number: product.id for number, product in seeder.products.items()},
        warehouses={code: location.id for code, location in seeder.warehouses.items()},
        analytic={code: account.id for code, account in seeder.analytic.items()},
        roots={"1": seeder.centres_root.id, "6": seeder.projects_root.id},
        payment_method=seeder.payment_method.id,
        step=seeder.step,
    )
    moves = _records(folder, "stock_moves")
    opening = [m for m in moves if m["move_type"] == "opening"]
    events = _events(folder, replay, moves)
    if until is not None:
        events = [e for e in events if as_date(e[0]) <= until]
    seeder.total = len({m["warehouse"] for m in opening}) + len(events)
    seeder.opening_stock(opening)
    for _, _, action, args in events:
        action(*args)
    return seeder.done


def _events(folder: Path, replay: Replay, moves: list[dict]) -> list[tuple]:
    """Every step on the day it happened, in the order a day runs: orders, goods in,
    transfers, deliveries, invoices, payments. Invoice numbers come from strict sequences,
    which refuse an invoice dated before one already numbered, so invoices go in date order."""
    transfers: dict[str, list[dict]] = defaultdict(list)
    for move in moves:
        if move["move_type"].startswith("transfer"):
            transfers[move["reference"]].append(move)
    supplier_invoices = _records(folder, "supplier_invoices")
    cost_centres = {i["purchase_order_number"]: i.get("cost_centre") for i in supplier_invoices}
    payments = [*_records(folder, "supplier_payments"), *_records(folder, "customer_payments")]
    events: list[tuple] = []
    events += [(o["order_date"], 0, replay.purchase_order, (o, cost_centres.get(o["number"])))
               for o in _records(folder, "purchase_orders")]  # fmt: skip
    events += [(o["order_date"], 0, replay.sales_order, (o,))
               for o in _records(folder, "sales_orders")]  # fmt: skip
    events += [(r["receipt_date"], 1, replay.goods_receipt, (r,))
               for r in _records(folder, "goods_receipts")]  # fmt: skip
    events += [(t[0]["move_date"], 2, replay.transfer, (ref, t)) for ref, t in transfers.items()]
    events += [(d["delivery_date"], 3, replay.delivery, (d,))
               for d in _records(folder, "deliveries")]  # fmt: skip
    events += [(i["invoice_date"], 4, replay.supplier_invoice, (i,)) for i in supplier_invoices]
    events += [(i["invoice_date"], 4, replay.customer_invoice, (i,))
               for i in _records(folder, "customer_invoices")]  # fmt: skip
    events += [(p["payment_date"], 5, replay.payment, (p,)) for p in payments]
    return sorted(events, key=lambda e: (e[0], e[1]))


def main(spec_path: str) -> None:
    spec = json.loads(Path(spec_path).read_text(encoding="utf-8"))
    from proteus import Model
    from proteus import config as proteus_config

    # The story happened in the past, so Tryton warns ("payment date in the past"): warnings
    # wait for a person to confirm them, and only the root user's calls skip them. Root works
    # in the company's context like any user of it would.
    config = proteus_config.set_trytond(
        spec["database"], user="root", config_file=spec["config_file"]
    )
    company = Model.get("company.company").find([])[0]
    config._context = {**config.context, "company": company.id, "companies": [company.id]}
    until = spec.get("until")
    seed(
        Model,
        spec["database"],
        Path(spec["erp_folder"]),
        date.fromisoformat(until) if until else None,
    )


if __name__ == "__main__":
    main(sys.argv[1])
