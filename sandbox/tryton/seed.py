"""Fill the sandbox Tryton with Demo AB's business, through Tryton's own workflows.

Reads the demo company's ERP export (the generator's JSON Lines, the same story its SIE files
tell, planted discrepancies included) and replays it as a user would: customers, suppliers
and articles; opening stock by inventory; each sales order quoted, confirmed, its delivery
picked, packed and done, its invoice posted and paid; each purchase confirmed, received,
invoiced and paid; transfers between warehouses as internal shipments. Tryton assigns its own
document numbers; the demo's numbers are kept in the documents' reference fields so the two
sides can be matched.

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

_UOM = {"st": "Unit", "kart": "Unit", "h": "Hour"}


def _records(folder: Path, entity: str) -> list[dict]:
    with open(folder / f"{entity}.jsonl", encoding="utf-8") as handle:
        return [json.loads(line) for line in handle if line.strip()]


def _day(text: str) -> date:
    return date.fromisoformat(text)


class Seeder:
    def __init__(self, Model, Wizard, folder: Path) -> None:
        self.Model, self.Wizard, self.folder = Model, Wizard, folder
        self.parties: dict[str, object] = {}
        self.products: dict[str, object] = {}
        self.terms: dict[int, object] = {}
        self.analytic: dict[str, object] = {}
        self.warehouses: dict[str, object] = {}
        self.sales: dict[str, object] = {}  # demo number → Tryton record
        self.purchases: dict[str, object] = {}
        self.invoices: dict[str, object] = {}
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

    def _analytic_entries(self, line, cost_centre: str | None, project: str | None) -> None:
        for entry in line.analytic_accounts:
            code = cost_centre if entry.root == self.centres_root else project
            entry.account = self.analytic.get(code) if code else None

    # -- stock -------------------------------------------------------------------------------
    def opening_stock(self, moves: list[dict]) -> None:
        Inventory = self.Model.get("stock.inventory")
        by_warehouse: dict[str, list[dict]] = defaultdict(list)
        for move in moves:
            by_warehouse[move["warehouse"]].append(move)
        for code, lines in by_warehouse.items():
            inventory = Inventory(location=self.warehouses[code].storage_location)
            inventory.date = _day(lines[0]["move_date"])
            for move in lines:
                line = inventory.lines.new()
                line.product = self.products[move["article_number"]]  # assigned: on_change
                line.quantity = float(move["quantity"])
            inventory.click("confirm")
            self.step(f"opening stock {code}")

    def transfer(self, reference: str, moves: list[dict]) -> None:
        Shipment = self.Model.get("stock.shipment.internal")
        out = next(m for m in moves if m["move_type"] == "transfer_out")
        into = next(m for m in moves if m["move_type"] == "transfer_in")
        shipment = Shipment(reference=reference)
        shipment.planned_date = shipment.effective_date = _day(out["move_date"])
        shipment.from_location = self.warehouses[out["warehouse"]].storage_location
        shipment.to_location = self.warehouses[into["warehouse"]].storage_location
        for move in moves:
            if move["move_type"] != "transfer_out":
                continue
            line = shipment.moves.new()
            line.product = self.products[move["article_number"]]
            line.quantity = float(-move["quantity"])
            line.from_location = shipment.from_location
            line.to_location = shipment.to_location
        shipment.save()
        shipment.click("wait")
        shipment.click("assign_force")
        shipment.click("do")
        self.step(f"transfer {reference}")

    # -- sales -------------------------------------------------------------------------------
    def sales_order(self, order: dict) -> None:
        Sale = self.Model.get("sale.sale")
        party = self.parties[order["customer_number"]]
        sale = Sale(party=party)
        sale.sale_date = _day(order["order_date"])
        sale.reference = order["number"]
        sale.invoice_method = "order"
        sale.shipment_method = "order"
        if order.get("warehouse"):
            sale.warehouse = self.warehouses[order["warehouse"]]
        sale.payment_term = party.customer_payment_term
        for spec in order["lines"]:
            line = sale.lines.new()
            line.product = self.products[spec["article_number"]]  # on_change sets the taxes
            line.quantity = float(spec["quantity"])
            line.unit_price = Decimal(spec["unit_price"])
            self._analytic_entries(line, order.get("cost_centre"), order.get("project"))
        sale.click("quote")
        sale.click("confirm")
        self.sales[order["number"]] = sale
        self.step(f"sales order {order['number']}")

    def delivery(self, delivery: dict) -> None:
        sale = self.sales[delivery["sales_order_number"]]
        for shipment in sale.shipments:
            shipment.effective_date = _day(delivery["delivery_date"])
            shipment.reference = delivery["number"]
            shipment.save()
            shipment.click("assign_force")
            shipment.click("pick")
            shipment.click("pack")
            shipment.click("do")
        self.step(f"delivery {delivery['number']}")

    def customer_invoice(self, invoice: dict) -> None:
        sale = self.sales[invoice["sales_order_number"]]
        sale.reload()
        self.invoices[invoice["number"]] = self._post(sale.invoices[0], invoice)
        self.step(f"customer invoice {invoice['number']}")

    def _post(self, document, invoice: dict):
        document.invoice_date = _day(invoice["invoice_date"])
        document.accounting_date = document.invoice_date
        # the ERP's invoice numbers are the ones the books know (Tryton keeps a number it is
        # given and numbers only invoices without one); a supplier's own number is the reference
        document.reference = invoice.get("supplier_invoice_number") or invoice["number"]
        document.description = invoice["number"]
        document.save()
        # number is read-only in the client's forms, so proteus does not send it: write it
        Invoice = type(document)
        Invoice.write([document.id], {"number": invoice["number"]}, document._context)
        document.reload()
        document.click("post")
        return document

    def payment(self, payment: dict) -> None:
        document = self.invoices[payment["invoice_number"]]
        pay = document.click("pay")
        pay.form.date = _day(payment["payment_date"])
        pay.form.amount = Decimal(payment["amount"])
        pay.form.payment_method = self.payment_method
        pay.execute("choice")
        if pay.state != "end":  # a partial payment: keep the rest open
            pay.form.type = "partial"
            pay.execute("pay")
        self.step(f"payment {payment['number']}")

    # -- purchases ---------------------------------------------------------------------------
    def purchase_order(self, order: dict, cost_centre: str | None) -> None:
        Purchase = self.Model.get("purchase.purchase")
        party = self.parties[order["supplier_number"]]
        purchase = Purchase(party=party)
        purchase.purchase_date = _day(order["order_date"])
        purchase.reference = order["number"]
        purchase.invoice_method = "order"
        purchase.warehouse = self.warehouses[order["warehouse"]]
        purchase.payment_term = party.supplier_payment_term
        for spec in order["lines"]:
            line = purchase.lines.new()
            line.product = self.products[spec["article_number"]]
            line.quantity = float(spec["quantity"])
            line.unit_price = Decimal(spec["unit_price"])
            self._analytic_entries(line, cost_centre, None)
        purchase.click("quote")
        purchase.click("confirm")
        self.purchases[order["number"]] = purchase
        self.step(f"purchase order {order['number']}")

    def goods_receipt(self, receipt: dict) -> None:
        Move = self.Model.get("stock.move")
        Shipment = self.Model.get("stock.shipment.in")
        purchase = self.purchases[receipt["purchase_order_number"]]
        shipment = Shipment(supplier=purchase.party, reference=receipt["number"])
        shipment.warehouse = purchase.warehouse
        shipment.effective_date = _day(receipt["receipt_date"])
        for move in purchase.moves:
            shipment.incoming_moves.append(Move(move.id))
        shipment.save()
        shipment.click("receive")
        shipment.click("do")
        self.step(f"goods receipt {receipt['number']}")

    def supplier_invoice(self, invoice: dict) -> None:
        purchase = self.purchases[invoice["purchase_order_number"]]
        purchase.reload()
        self.invoices[invoice["number"]] = self._post(purchase.invoices[0], invoice)
        self.step(f"supplier invoice {invoice['number']}")


def seed(Model, Wizard, folder: Path, until: date | None = None) -> int:
    """Replay the export in ``folder`` (up to and including ``until``, when given: a shorter
    story for tests); returns the number of steps."""
    seeder = Seeder(Model, Wizard, folder)
    seeder.load_references()
    customers = _records(folder, "customers")
    suppliers = _records(folder, "suppliers")
    articles = _records(folder, "articles")
    projects = _records(folder, "projects")
    sales = _records(folder, "sales_orders")
    purchases = _records(folder, "purchase_orders")
    moves = _records(folder, "stock_moves")
    deliveries = _records(folder, "deliveries")
    receipts = _records(folder, "goods_receipts")
    customer_invoices = _records(folder, "customer_invoices")
    supplier_invoices = _records(folder, "supplier_invoices")
    customer_payments = _records(folder, "customer_payments")
    supplier_payments = _records(folder, "supplier_payments")
    opening = [m for m in moves if m["move_type"] == "opening"]
    transfers: dict[str, list[dict]] = defaultdict(list)
    for move in moves:
        if move["move_type"].startswith("transfer"):
            transfers[move["reference"]].append(move)
    cost_centres = {i["purchase_order_number"]: i.get("cost_centre") for i in supplier_invoices}
    # Every step on the day it happened, in the order a day runs: orders, goods in, transfers,
    # deliveries, invoices, payments. Invoice numbers come from strict sequences, which
    # refuse an invoice dated before one already numbered, so invoices go in date order.
    events: list[tuple[str, int, object, tuple]] = []
    events += [(o["order_date"], 0, seeder.purchase_order, (o, cost_centres.get(o["number"])))
               for o in purchases]  # fmt: skip
    events += [(o["order_date"], 0, seeder.sales_order, (o,)) for o in sales]
    events += [(r["receipt_date"], 1, seeder.goods_receipt, (r,)) for r in receipts]
    events += [(t[0]["move_date"], 2, seeder.transfer, (ref, t)) for ref, t in transfers.items()]
    events += [(d["delivery_date"], 3, seeder.delivery, (d,)) for d in deliveries]
    events += [(i["invoice_date"], 4, seeder.supplier_invoice, (i,)) for i in supplier_invoices]
    events += [(i["invoice_date"], 4, seeder.customer_invoice, (i,)) for i in customer_invoices]
    events += [(p["payment_date"], 5, seeder.payment, (p,))
               for p in (*supplier_payments, *customer_payments)]  # fmt: skip
    if until is not None:
        events = [e for e in events if _day(e[0]) <= until]
    seeder.total = len({m["warehouse"] for m in opening}) + len(events)
    for record in customers:
        seeder.party(record, customer=True)
    for record in suppliers:
        seeder.party(record, customer=False)
    for record in articles:
        seeder.product(record)
    for record in projects:
        seeder.project(record)
    seeder.opening_stock(opening)
    for _, _, action, args in sorted(events, key=lambda e: (e[0], e[1])):
        action(*args)
    return seeder.done


def main(spec_path: str) -> None:
    spec = json.loads(Path(spec_path).read_text(encoding="utf-8"))
    from proteus import Model, Wizard
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
    seed(Model, Wizard, Path(spec["erp_folder"]), date.fromisoformat(until) if until else None)


if __name__ == "__main__":
    main(sys.argv[1])
