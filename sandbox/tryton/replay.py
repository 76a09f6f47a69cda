"""The demo story's documents replayed through Tryton's workflows, in Tryton's own process.

The same steps a user clicks (sale quote → confirm, shipment assign → pick → pack → done,
invoice post, payment) called on Tryton's models directly, one transaction per step, instead
of through proteus: proteus reads every field of a record back after each change and runs
each call as a separate request, which made a replay of a few hundred documents take 7.5
minutes. The records, states and amounts are Tryton's either way; the integration tests hold
the result to the ERP export.

Runs as the root user: Tryton's warnings (a payment date in the past, on a replay of the
past) wait for a person, and root's context skips them.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from decimal import Decimal

from trytond.pool import Pool
from trytond.transaction import Transaction, TransactionError
from trytond.worker import run_task


def as_date(text: str) -> date:
    return date.fromisoformat(text)


class Replay:
    def __init__(
        self,
        database: str,
        *,
        company: int,
        parties: dict[str, int],
        products: dict[str, int],
        warehouses: dict[str, int],
        analytic: dict[str, int],
        roots: dict[str, int],
        payment_method: int,
        step: Callable[[str], None],
    ) -> None:
        self.database = database
        self.company = company
        self.parties, self.products, self.warehouses = parties, products, warehouses
        self.analytic, self.roots = analytic, roots
        self.payment_method = payment_method
        self.step = step
        self.sales: dict[str, int] = {}  # demo number → Tryton id
        self.purchases: dict[str, int] = {}
        self.invoices: dict[str, int] = {}

    def _run(self, body: Callable[[Pool], None]) -> None:
        """One step in a transaction of its own, then the tasks it queued (a confirmed sale's
        shipments and invoices are made by one), as Tryton's request dispatcher does: a step
        that asks for a table lock is rolled back and run again holding it."""
        context = {"company": self.company, "companies": [self.company], "_skip_warnings": True}
        extras: dict = {}
        while True:
            transaction = Transaction()
            with transaction.start(self.database, 0, context=context, **extras):
                pool = Pool()
                try:
                    body(pool)
                except TransactionError as retry:
                    transaction.rollback()
                    transaction.tasks.clear()
                    retry.fix(extras)
                    continue
            break
        while transaction.tasks:
            run_task(pool, transaction.tasks.pop())

    def _entries(self, pool: Pool, cost_centre: str | None, project: str | None) -> list:
        Entry = pool.get("analytic.account.entry")
        Account = pool.get("analytic_account.account")
        entries = []
        for root, code in (("1", cost_centre), ("6", project)):
            entry = Entry(root=Account(self.roots[root]))
            entry.account = Account(self.analytic[code]) if code else None
            entries.append(entry)
        return entries

    def _lines(
        self, pool: Pool, Line, field: str, order, specs: list[dict], cost_centre, project
    ) -> list:
        """An order's lines at the export's prices; the product's on_change fills in the
        unit, taxes and description as the form does."""
        Product = pool.get("product.product")
        lines = []
        for spec in specs:
            line = Line(type="line", quantity=float(spec["quantity"]), **{field: order})
            line.product = Product(self.products[spec["article_number"]])
            line.on_change_product()
            line.unit_price = Decimal(spec["unit_price"])
            line.analytic_accounts = self._entries(pool, cost_centre, project)
            lines.append(line)
        return lines

    # -- sales -------------------------------------------------------------------------------
    def sales_order(self, order: dict) -> None:
        def body(pool: Pool) -> None:
            Sale, Line = pool.get("sale.sale"), pool.get("sale.line")
            Party = pool.get("party.party")
            Location, Company = pool.get("stock.location"), pool.get("company.company")
            company = Company(self.company)
            party = Party(self.parties[order["customer_number"]])
            sale = Sale(company=company, currency=company.currency, party=party)
            sale.on_change_party()  # addresses and terms, as the form fills them in
            sale.sale_date = as_date(order["order_date"])
            sale.reference = order["number"]
            sale.invoice_method = sale.shipment_method = "order"
            warehouse = (
                self.warehouses[order["warehouse"]]
                if order.get("warehouse")
                else Sale.default_warehouse()
            )
            sale.warehouse = Location(warehouse) if warehouse else None
            sale.payment_term = party.customer_payment_term
            sale.lines = self._lines(
                pool, Line, "sale", sale, order["lines"], order.get("cost_centre"),
                order.get("project"),
            )  # fmt: skip
            sale.save()
            Sale.quote([sale])
            Sale.confirm([sale])
            self.sales[order["number"]] = sale.id

        self._run(body)
        self.step(f"sales order {order['number']}")

    def delivery(self, delivery: dict) -> None:
        def body(pool: Pool) -> None:
            Sale, Shipment = pool.get("sale.sale"), pool.get("stock.shipment.out")
            shipments = list(Sale(self.sales[delivery["sales_order_number"]]).shipments)
            for shipment in shipments:
                shipment.effective_date = as_date(delivery["delivery_date"])
                shipment.reference = delivery["number"]
            Shipment.save(shipments)
            Shipment.assign_force(shipments)
            Shipment.pick(shipments)
            Shipment.pack(shipments)
            Shipment.do(shipments)

        self._run(body)
        self.step(f"delivery {delivery['number']}")

    def customer_invoice(self, invoice: dict) -> None:
        def body(pool: Pool) -> None:
            sale = pool.get("sale.sale")(self.sales[invoice["sales_order_number"]])
            self.invoices[invoice["number"]] = self._post(pool, sale.invoices[0], invoice)

        self._run(body)
        self.step(f"customer invoice {invoice['number']}")

    def _post(self, pool: Pool, document, invoice: dict) -> int:
        Invoice = pool.get("account.invoice")
        document.invoice_date = document.accounting_date = as_date(invoice["invoice_date"])
        # the ERP's invoice numbers are the ones the books know (Tryton numbers only an
        # invoice that has none); a supplier's own number is the reference
        document.number = invoice["number"]
        document.reference = invoice.get("supplier_invoice_number") or invoice["number"]
        document.description = invoice["number"]
        document.save()
        Invoice.post([document])
        return document.id

    def payment(self, payment: dict) -> None:
        def body(pool: Pool) -> None:
            Invoice, Line = pool.get("account.invoice"), pool.get("account.move.line")
            Method = pool.get("account.invoice.payment.method")
            invoice = Invoice(self.invoices[payment["invoice_number"]])
            amount = Decimal(payment["amount"])
            # a supplier invoice's lines to pay are credits: matched against the negative
            # amount, as the pay wizard does
            reconcile, remainder = invoice.get_reconcile_lines_for_amount(
                -amount if invoice.type == "in" else amount, invoice.currency
            )
            lines = invoice.pay_invoice(
                amount, Method(self.payment_method), as_date(payment["payment_date"])
            )
            if not remainder:  # paid in full: the invoice is settled, as the pay wizard does
                Line.reconcile(list(reconcile) + list(lines))

        self._run(body)
        self.step(f"payment {payment['number']}")

    # -- purchases ---------------------------------------------------------------------------
    def purchase_order(self, order: dict, cost_centre: str | None) -> None:
        def body(pool: Pool) -> None:
            Purchase, Line = pool.get("purchase.purchase"), pool.get("purchase.line")
            Party = pool.get("party.party")
            Location, Company = pool.get("stock.location"), pool.get("company.company")
            company = Company(self.company)
            party = Party(self.parties[order["supplier_number"]])
            purchase = Purchase(company=company, currency=company.currency, party=party)
            purchase.on_change_party()
            purchase.purchase_date = as_date(order["order_date"])
            purchase.reference = order["number"]
            purchase.invoice_method = "order"
            purchase.warehouse = Location(self.warehouses[order["warehouse"]])
            purchase.payment_term = party.supplier_payment_term
            purchase.lines = self._lines(
                pool, Line, "purchase", purchase, order["lines"], cost_centre, None
            )
            purchase.save()
            Purchase.quote([purchase])
            Purchase.confirm([purchase])
            self.purchases[order["number"]] = purchase.id

        self._run(body)
        self.step(f"purchase order {order['number']}")

    def goods_receipt(self, receipt: dict) -> None:
        def body(pool: Pool) -> None:
            Purchase, Shipment = pool.get("purchase.purchase"), pool.get("stock.shipment.in")
            purchase = Purchase(self.purchases[receipt["purchase_order_number"]])
            shipment = Shipment(
                company=purchase.company,
                supplier=purchase.party,
                warehouse=purchase.warehouse,
                reference=receipt["number"],
                effective_date=as_date(receipt["receipt_date"]),
            )
            shipment.on_change_supplier()
            shipment.on_change_warehouse()  # its input and storage zones
            shipment.incoming_moves = list(purchase.moves)
            shipment.save()
            Shipment.receive([shipment])
            Shipment.do([shipment])

        self._run(body)
        self.step(f"goods receipt {receipt['number']}")

    def supplier_invoice(self, invoice: dict) -> None:
        def body(pool: Pool) -> None:
            purchase = pool.get("purchase.purchase")(
                self.purchases[invoice["purchase_order_number"]]
            )
            self.invoices[invoice["number"]] = self._post(pool, purchase.invoices[0], invoice)

        self._run(body)
        self.step(f"supplier invoice {invoice['number']}")

    # -- stock -------------------------------------------------------------------------------
    def transfer(self, reference: str, moves: list[dict]) -> None:
        def body(pool: Pool) -> None:
            Shipment, Move = pool.get("stock.shipment.internal"), pool.get("stock.move")
            Location, Product = pool.get("stock.location"), pool.get("product.product")
            out = next(m for m in moves if m["move_type"] == "transfer_out")
            into = next(m for m in moves if m["move_type"] == "transfer_in")
            source = Location(self.warehouses[out["warehouse"]]).storage_location
            target = Location(self.warehouses[into["warehouse"]]).storage_location
            day = as_date(out["move_date"])
            shipment = Shipment(
                company=self.company,
                reference=reference,
                planned_date=day,
                planned_start_date=day,
                effective_date=day,
                effective_start_date=day,
                from_location=source,
                to_location=target,
            )
            lines = []
            for move in moves:
                if move["move_type"] != "transfer_out":
                    continue
                product = Product(self.products[move["article_number"]])
                lines.append(
                    Move(
                        product=product,
                        unit=product.default_uom,
                        quantity=float(-move["quantity"]),
                        from_location=source,
                        to_location=target,
                        company=self.company,
                        planned_date=day,
                    )
                )
            shipment.moves = lines
            shipment.save()
            Shipment.wait([shipment])
            Shipment.assign_force([shipment])
            shipment = Shipment(shipment.id)  # read back: the transit zone is computed
            if shipment.transit_location:  # between warehouses: packed, out to transit, in
                Shipment.pack([shipment])
                Shipment.ship([shipment])
            Shipment.do([shipment])

        self._run(body)
        self.step(f"transfer {reference}")
