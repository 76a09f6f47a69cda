"""Two fiscal years of Demo AB, day by day.

A small discrete-event simulation: each working day brings sales orders; deliveries, invoices,
receipts and payments are scheduled events that happen on their own dates; weekly the central
warehouse buys and the regional warehouses are refilled from it; each month brings rent, payroll,
the VAT return and the inventory voucher. The ERP records what the ERP sees and the accounting
program books what the bookkeeper books — which is where the planted discrepancies live.

Everything random comes from ``random.Random`` streams seeded from the options, and nothing reads
the clock, so a seed gives byte-identical output.
"""

from __future__ import annotations

import calendar
import heapq
import random
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import ROUND_HALF_UP, Decimal
from itertools import accumulate, count

from sandbox.demo_company import chart
from sandbox.demo_company.master_data import (
    ARTICLES,
    CENTRAL_WAREHOUSE,
    COST_CENTRES,
    SERVICE_ARTICLE,
    WAREHOUSES,
    Article,
    Party,
    Project,
    luhn_digit,
)
from sandbox.demo_company.output import FiscalYearSpan, JsonLinesExport, SieBooks, money

CENT = Decimal("0.01")
SEASON = (0.9, 0.95, 1.05, 1.0, 1.05, 0.95, 0.6, 0.85, 1.1, 1.1, 1.15, 1.2)
#: Approximate GL rows per sales order (invoice voucher + payment voucher) and fixed rows per
#: month (payroll, VAT, rent, projects, purchasing…), used to turn --scale into an order rate.
ROWS_PER_ORDER = 6.2
FIXED_ROWS_PER_MONTH = 86
#: Monthly gross salaries per cost centre at the smallest scale (SEK).
BASE_PAYROLL = {"ADM": 38000, "SALJ": 42000, "LAGER": 34000, "KONS": 90000}

# Event priorities within a day: stock arrives before it is shipped, invoices follow deliveries.
P_RECEIPT, P_TRANSFER, P_DELIVERY, P_PAYMENT = 0, 1, 2, 3


def cents(value: Decimal) -> Decimal:
    return value.quantize(CENT, rounding=ROUND_HALF_UP)


def ocr(number: str) -> str:
    return number + luhn_digit(number)


def month_end(day: date) -> date:
    return day.replace(day=calendar.monthrange(day.year, day.month)[1])


def add_months(day: date, months: int) -> date:
    index = day.month - 1 + months
    return date(day.year + index // 12, index % 12 + 1, 1)


def last_working_day(day: date) -> date:
    while day.weekday() >= 5:
        day -= timedelta(days=1)
    return day


def next_working_day(day: date) -> date:
    while day.weekday() >= 5:
        day += timedelta(days=1)
    return day


@dataclass
class Planted:
    """The discrepancies the simulation plants, and what it planted (the ground truth)."""

    not_booked_window_days: int = 20
    not_booked_count: int = 2
    amount_mismatch_month: int = 14
    dimension_project_month: int = 17
    dimension_cost_centre_month: int = 19
    duplicate_month: int = 9
    inventory_month: int = 20
    inventory_warehouse: str = "GOT"
    truth: list[dict] = field(default_factory=list)
    _done: set[str] = field(default_factory=set)

    def once(self, key: str) -> bool:
        if key in self._done:
            return False
        self._done.add(key)
        return True


@dataclass
class _Invoice:
    number: str
    day: date
    customer: Party
    total: Decimal
    pay_on: date | None


class DemoSimulation:
    def __init__(
        self,
        *,
        seed: int,
        scale: int,
        company_id: str,
        fiscal_years: list[FiscalYearSpan],
        customers: list[Party],
        suppliers: list[Party],
        projects: list[Project],
        erp: JsonLinesExport,
        books: SieBooks,
        planted: Planted,
        on_day: Callable[[int, int], None] | None = None,
    ) -> None:
        self.rng = random.Random(f"{seed}:simulation")
        self.company_id = company_id
        self.start = fiscal_years[0].start
        self.end = fiscal_years[-1].end
        self.months = (self.end.year - self.start.year) * 12 + self.end.month - self.start.month + 1
        self.customers = customers
        self.customer_weights = [c.weight for c in customers]
        # random.choices sums the weights on every call unless given the running sums: with
        # 20,000 customers that was most of generating 10 M rows (same draws either way)
        self.customer_cum_weights = list(accumulate(self.customer_weights))
        self.suppliers = {s.number: s for s in suppliers}
        self.projects = projects
        self.erp = erp
        self.books = books
        self.planted = planted
        self.on_day = on_day
        self.articles = {a.number: a for a in ARTICLES}
        self.goods = [a for a in ARTICLES if a.kind == "goods"]
        self.goods_weights = [a.popularity for a in self.goods]
        self.goods_cum_weights = list(accumulate(self.goods_weights))
        fixed = FIXED_ROWS_PER_MONTH * self.months
        self.orders_per_month = max(3.0, (scale - fixed) / (self.months * ROWS_PER_ORDER))
        # Overheads grow with the business, more slowly than volume, so that Demo AB stays a
        # plausible, profitable company at every scale.
        self.size = 1.0 + 0.15 * max(0.0, self.orders_per_month / 21 - 1)
        self._queue: list[tuple[date, int, int, Callable, tuple]] = []
        self._seq = count()
        self._numbers: dict[str, count] = defaultdict(lambda: count(1))
        self.stock: dict[tuple[str, str], int] = defaultdict(int)
        self.on_order: dict[tuple[str, str], int] = defaultdict(int)
        self._targets = self._stock_targets()
        self._payroll_due: list[tuple[Decimal, Decimal]] = []
        self._vat_due: Decimal | None = None
        self._erp_stock_value: dict[str, Decimal] = {}
        #: ERP stock value per warehouse at the last inventory voucher (what 146x was adjusted to).
        self._inventory_booked_at: dict[str, Decimal] = {}
        self._month_hours: dict[str, Decimal] = {}
        books.open_books(self._opening_position())
        self.sales_orders = 0

    # -- numbering and scheduling ----------------------------------------------------------
    def _next(self, kind: str, start: int = 1) -> int:
        return next(self._numbers[kind]) + start - 1

    def _doc(self, prefix: str, width: int = 6) -> str:
        return f"{prefix}{self._next(prefix):0{width}d}"

    def _schedule(self, day: date, priority: int, action: Callable, *args: object) -> None:
        heapq.heappush(self._queue, (day, priority, next(self._seq), action, args))

    def _month_index(self, day: date) -> int:
        return (day.year - self.start.year) * 12 + day.month - self.start.month

    # -- opening position ------------------------------------------------------------------
    def _stock_targets(self) -> dict[tuple[str, str], tuple[int, int]]:
        """(reorder point, order-up-to level) per warehouse and article, from expected demand.

        Orders are lumpy (one order may take 30 bags of coffee), so every level also covers the
        largest single order line; the central warehouse holds more weeks than the regional ones.
        """
        weekly_orders = self.orders_per_month * 12 / 52
        total_weight = sum(self.goods_weights)
        share: dict[str | None, float] = defaultdict(float)
        for customer in self.customers:
            share[customer.warehouse] += customer.weight
        total_share = sum(share.values())
        targets = {}
        for warehouse in WAREHOUSES:
            central = warehouse.code == CENTRAL_WAREHOUSE
            for article in self.goods:
                mean_qty = sum(article.quantity_range) / 2
                weekly_total = weekly_orders * 2.1 * article.popularity / total_weight * mean_qty
                largest = article.quantity_range[1]
                if central:
                    reorder, target = weekly_total * 3 + largest, weekly_total * 6 + 2 * largest
                else:
                    weekly = weekly_total * share[warehouse.code] / total_share
                    reorder, target = weekly * 2 + largest, weekly * 4 + 2 * largest
                targets[(warehouse.code, article.number)] = (round(reorder), round(target))
        return targets

    def _opening_position(self) -> dict[str, Decimal]:
        """Fill the warehouses to their targets and open the books on that position."""
        balances: dict[str, Decimal] = defaultdict(Decimal)
        for warehouse in WAREHOUSES:
            for article in self.goods:
                qty = self._targets[(warehouse.code, article.number)][1]
                self.stock[(warehouse.code, article.number)] = qty
                balances[warehouse.inventory_account] += article.standard_cost * qty
        for warehouse in WAREHOUSES:
            self._erp_stock_value[warehouse.code] = balances[warehouse.inventory_account]
        self._inventory_booked_at = dict(self._erp_stock_value)
        balances[chart.BANK] = cents(Decimal(1_500_000) * Decimal(str(round(self.size, 2))))
        balances[chart.SHARE_CAPITAL] = Decimal("-100000.00")
        balances[chart.RETAINED_EARNINGS] = -sum(balances.values(), Decimal(0))
        return {a: cents(v) for a, v in balances.items()}

    def opening_stock_moves(self) -> None:
        for (warehouse, article_no), qty in sorted(self.stock.items()):
            self._write_move(self.start, self.articles[article_no], warehouse, qty, "opening", "IB")

    # -- the run ---------------------------------------------------------------------------
    def run(self) -> None:
        self.opening_stock_moves()
        day = self.start
        total_days = (self.end - self.start).days + 1
        while day <= self.end:
            self._morning(day)
            while self._queue and self._queue[0][0] <= day:
                _, _, _, action, args = heapq.heappop(self._queue)
                action(day, *args)
            self._evening(day)
            if self.on_day:
                self.on_day((day - self.start).days + 1, total_days)
            day += timedelta(days=1)

    def _morning(self, day: date) -> None:
        if day.day == 1:
            self._rent(day)
        if day == next_working_day(day.replace(day=12)):
            self._pay_taxes(day)
        if day.weekday() == 0:
            self._purchase(day)
            self._refill_regional_warehouses(day)
        if day.weekday() < 5:
            self._take_orders(day)

    def _evening(self, day: date) -> None:
        end = month_end(day)
        if day == last_working_day(end.replace(day=25)):
            self._payroll(day)
        if day == last_working_day(end):
            self._invoice_projects(day, self._month_hours)
        if day == end:
            self._month_end(day)
        if day == self._agm_day(day):
            self._transfer_result(day)

    # -- sales -----------------------------------------------------------------------------
    def _orders_today(self, day: date) -> int:
        working_days = sum(
            1
            for d in range(1, calendar.monthrange(day.year, day.month)[1] + 1)
            if date(day.year, day.month, d).weekday() < 5
        )
        growth = 1.0 + 0.08 * (self._month_index(day) // 12)
        expected = self.orders_per_month * SEASON[day.month - 1] * growth / working_days
        whole = int(expected)
        return whole + (1 if self.rng.random() < expected - whole else 0)

    def _take_orders(self, day: date) -> None:
        for _ in range(self._orders_today(day)):
            customer = self.rng.choices(self.customers, cum_weights=self.customer_cum_weights)[0]
            n_lines = self.rng.choices((1, 2, 3, 4), weights=(3, 4, 2, 1))[0]
            articles: list[Article] = []
            while len(articles) < n_lines:
                article = self.rng.choices(self.goods, cum_weights=self.goods_cum_weights)[0]
                if article not in articles:
                    articles.append(article)
            lines = [(a, self.rng.randint(*a.quantity_range)) for a in articles]
            number = self._doc("SO")
            self.sales_orders += 1
            self.erp.write(
                "sales_orders",
                {
                    "number": number,
                    "order_date": day.isoformat(),
                    "customer_number": customer.number,
                    "warehouse": customer.warehouse,
                    "cost_centre": "SALJ",
                    "project": None,
                    "currency": "SEK",
                    "lines": [
                        {
                            "line_no": i,
                            "article_number": a.number,
                            "quantity": q,
                            "unit_price": money(a.price),
                            "vat_rate": a.vat_rate,
                        }
                        for i, (a, q) in enumerate(lines, start=1)
                    ],
                },
            )
            ship = next_working_day(day + timedelta(days=self.rng.choice((0, 1, 1, 2))))
            if ship <= self.end:
                self._schedule(ship, P_DELIVERY, self._deliver, number, customer, lines)

    def _deliver(self, day: date, order: str, customer: Party, lines: list) -> None:
        warehouse = customer.warehouse
        # A regional warehouse that cannot ship the whole order hands it to the central one.
        if any(self.stock[(warehouse, a.number)] < q for a, q in lines) and all(
            self.stock[(CENTRAL_WAREHOUSE, a.number)] >= q for a, q in lines
        ):
            warehouse = CENTRAL_WAREHOUSE
        shipped = [(a, min(q, self.stock[(warehouse, a.number)])) for a, q in lines]
        shipped = [(a, q) for a, q in shipped if q > 0]
        if not shipped:
            return
        number = self._doc("DN")
        self.erp.write(
            "deliveries",
            {
                "number": number,
                "sales_order_number": order,
                "delivery_date": day.isoformat(),
                "warehouse": warehouse,
                "lines": [
                    {"line_no": i, "article_number": a.number, "quantity": q}
                    for i, (a, q) in enumerate(shipped, start=1)
                ],
            },
        )
        for article, qty in shipped:
            self._stock_move(day, article, warehouse, -qty, "delivery", number)
        self._invoice(day, customer, order, shipped, cost_centre="SALJ", project=None)

    def _invoice(
        self,
        day: date,
        customer: Party,
        order: str,
        lines: list[tuple[Article, Decimal | int]],
        *,
        cost_centre: str,
        project: Project | None,
        unit_price: Decimal | None = None,
    ) -> None:
        number = str(self._next("invoice", 10001))
        due = day + timedelta(days=customer.payment_terms_days)
        invoice_lines = []
        for i, (article, qty) in enumerate(lines, start=1):
            price = unit_price if unit_price is not None else article.price
            net = cents(price * Decimal(qty))
            vat = cents(net * article.vat_rate / 100)
            account = (
                chart.SERVICE_SALES_ACCOUNT
                if article.kind == "service"
                else chart.VAT_ACCOUNTS[article.vat_rate][0]
            )
            invoice_lines.append(
                {
                    "line_no": i,
                    "article_number": article.number,
                    "description": article.name,
                    "quantity": str(qty),
                    "unit_price": money(price),
                    "net_amount": money(net),
                    "vat_rate": article.vat_rate,
                    "vat_amount": money(vat),
                    "account": account,
                    "cost_centre": cost_centre,
                    "project": project.number if project else None,
                }
            )
        net_total = sum((Decimal(line["net_amount"]) for line in invoice_lines), Decimal(0))
        vat_total = sum((Decimal(line["vat_amount"]) for line in invoice_lines), Decimal(0))
        total = net_total + vat_total
        pay_on = self._payment_day(due)
        self.erp.write(
            "customer_invoices",
            {
                "number": number,
                "invoice_date": day.isoformat(),
                "due_date": due.isoformat(),
                "customer_number": customer.number,
                "sales_order_number": order,
                "ocr": ocr(number),
                "currency": "SEK",
                "cost_centre": cost_centre,
                "project": project.number if project else None,
                "net_amount": money(net_total),
                "vat_amount": money(vat_total),
                "total_amount": money(total),
                "lines": invoice_lines,
            },
        )
        invoice = _Invoice(number, day, customer, total, pay_on)
        self._book_customer_invoice(invoice, invoice_lines)
        if pay_on is not None:
            self._schedule(pay_on, P_PAYMENT, self._customer_payment, invoice)

    def _payment_day(self, due: date) -> date | None:
        delay = self.rng.choices(
            (
                self.rng.randint(-6, -1),
                self.rng.randint(0, 3),
                self.rng.randint(4, 20),
                self.rng.randint(21, 45),
            ),
            weights=(30, 45, 20, 5),
        )[0]
        day = next_working_day(due + timedelta(days=delay))
        return day if day <= self.end else None

    def _book_customer_invoice(self, invoice: _Invoice, lines: list[dict]) -> None:
        planted = self.planted
        month = self._month_index(invoice.day)
        text = f"Kundfaktura {invoice.number} {invoice.customer.name}"
        if (
            invoice.pay_on is None
            and invoice.day > self.end - timedelta(days=planted.not_booked_window_days)
            and sum(1 for t in planted.truth if t["kind"] == "invoice_not_booked")
            < planted.not_booked_count
        ):
            planted.truth.append(
                self._truth(
                    "invoice_not_booked",
                    invoice.number,
                    f"customer invoice {invoice.number} of {money(invoice.total)} dated "
                    f"{invoice.day} was never booked in the accounting system",
                )
            )
            return
        rows: list[tuple[str, Decimal, str | None, str | None]] = []
        factor = Decimal(1)
        if (
            month >= planted.amount_mismatch_month
            and lines[0]["project"] is None
            and invoice.pay_on is not None
            and planted.once("amount_mismatch")
        ):
            factor = Decimal("0.9")
        cost_centre_override = None
        project_override = None
        if (
            month >= planted.dimension_cost_centre_month
            and lines[0]["project"] is None
            and planted.once("dimension_cost_centre")
        ):
            cost_centre_override = "LAGER"
            planted.truth.append(
                self._truth(
                    "dimension_mismatch",
                    invoice.number,
                    f"customer invoice {invoice.number} is booked on cost centre LAGER; "
                    "the ERP says SALJ",
                )
            )
        if (
            month >= planted.dimension_project_month
            and lines[0]["project"] is not None
            and planted.once("dimension_project")
        ):
            current = [p.number for p in self.projects]
            wrong = current[(current.index(lines[0]["project"]) + 1) % len(current)]
            project_override = wrong
            planted.truth.append(
                self._truth(
                    "dimension_mismatch",
                    invoice.number,
                    f"customer invoice {invoice.number} is booked on project {wrong}; "
                    f"the ERP says {lines[0]['project']}",
                )
            )
        booked_total = Decimal(0)
        for line in lines:
            net = cents(Decimal(line["net_amount"]) * factor)
            vat = cents(Decimal(line["vat_amount"]) * factor)
            rate = line["vat_rate"]
            rows.append(
                (
                    line["account"],
                    -net,
                    cost_centre_override or line["cost_centre"],
                    project_override or line["project"],
                )
            )
            rows.append((chart.VAT_ACCOUNTS[rate][1], -vat, None, None))
            booked_total += net + vat
        rows.append((chart.RECEIVABLES, booked_total, None, None))
        if factor != 1:
            planted.truth.append(
                self._truth(
                    "amount_mismatch",
                    invoice.number,
                    f"customer invoice {invoice.number} is booked at {money(booked_total)}; "
                    f"the ERP invoice is {money(invoice.total)}",
                )
            )
        self.books.book("B", invoice.day, text, rows)

    def _customer_payment(self, day: date, invoice: _Invoice) -> None:
        number = self._doc("CP")
        self.erp.write(
            "customer_payments",
            {
                "number": number,
                "payment_date": day.isoformat(),
                "invoice_number": invoice.number,
                "customer_number": invoice.customer.number,
                "amount": money(invoice.total),
                "reference": ocr(invoice.number),
            },
        )
        self.books.book(
            "C",
            day,
            f"Inbetalning faktura {invoice.number} {invoice.customer.name}",
            [
                (chart.BANK, invoice.total, None, None),
                (chart.RECEIVABLES, -invoice.total, None, None),
            ],
            counterparty=invoice.customer.name,
            reference=ocr(invoice.number),
        )

    # -- projects --------------------------------------------------------------------------
    def _active_projects(self, day: date) -> list[Project]:
        month = self._month_index(day)
        return [p for p in self.projects if p.start_month <= month <= p.end_month]

    def _project_hours(self, day: date) -> dict[str, Decimal]:
        hours = {}
        for project in self._active_projects(day):
            factor = Decimal(str(round(self.rng.uniform(0.8, 1.2), 2)))
            hours[project.number] = (project.planned_hours * factor * 2).to_integral_value() / 2
        return hours

    def _invoice_projects(self, day: date, hours: dict[str, Decimal]) -> None:
        service = self.articles[SERVICE_ARTICLE]
        for project in self.projects:
            if project.number not in hours:
                continue
            customer = next(c for c in self.customers if c.number == project.customer)
            order = self._doc("SO")
            self.erp.write(
                "sales_orders",
                {
                    "number": order,
                    "order_date": day.isoformat(),
                    "customer_number": customer.number,
                    "warehouse": None,
                    "cost_centre": project.cost_centre,
                    "project": project.number,
                    "currency": "SEK",
                    "lines": [
                        {
                            "line_no": 1,
                            "article_number": service.number,
                            "quantity": str(hours[project.number]),
                            "unit_price": money(project.hourly_rate),
                            "vat_rate": service.vat_rate,
                        }
                    ],
                },
            )
            self._invoice(
                day,
                customer,
                order,
                [(service, hours[project.number])],
                cost_centre=project.cost_centre,
                project=project,
                unit_price=project.hourly_rate,
            )

    # -- purchasing and stock --------------------------------------------------------------
    def _stock_move(
        self, day: date, article: Article, warehouse: str, qty: int, kind: str, reference: str
    ) -> None:
        self.stock[(warehouse, article.number)] += qty
        self._erp_stock_value[warehouse] += cents(article.standard_cost * qty)
        self._write_move(day, article, warehouse, qty, kind, reference)

    def _write_move(
        self, day: date, article: Article, warehouse: str, qty: int, kind: str, reference: str
    ) -> None:
        value = cents(article.standard_cost * qty)
        self.erp.write(
            "stock_moves",
            {
                "move_id": self._next("move"),
                "move_date": day.isoformat(),
                "article_number": article.number,
                "warehouse": warehouse,
                "quantity": qty,
                "unit_cost": money(article.standard_cost),
                "value": money(value),
                "move_type": kind,
                "reference": reference,
            },
        )

    def _purchase(self, day: date) -> None:
        by_supplier: dict[str, list[tuple[Article, int]]] = defaultdict(list)
        for article in self.goods:
            key = (CENTRAL_WAREHOUSE, article.number)
            reorder, target = self._targets[key]
            position = self.stock[key] + self.on_order[key]
            if position < reorder:
                by_supplier[article.supplier].append((article, target - position))
        for supplier_no in sorted(by_supplier):
            lines = by_supplier[supplier_no]
            number = self._doc("PO")
            self.erp.write(
                "purchase_orders",
                {
                    "number": number,
                    "order_date": day.isoformat(),
                    "supplier_number": supplier_no,
                    "warehouse": CENTRAL_WAREHOUSE,
                    "currency": "SEK",
                    "lines": [
                        {
                            "line_no": i,
                            "article_number": a.number,
                            "quantity": q,
                            "unit_price": money(a.standard_cost),
                        }
                        for i, (a, q) in enumerate(lines, start=1)
                    ],
                },
            )
            for article, qty in lines:
                self.on_order[(CENTRAL_WAREHOUSE, article.number)] += qty
            arrival = next_working_day(day + timedelta(days=self.rng.randint(2, 6)))
            if arrival <= self.end:
                self._schedule(arrival, P_RECEIPT, self._receive, number, supplier_no, lines)

    def _receive(self, day: date, order: str, supplier_no: str, lines: list) -> None:
        number = self._doc("GR")
        self.erp.write(
            "goods_receipts",
            {
                "number": number,
                "purchase_order_number": order,
                "receipt_date": day.isoformat(),
                "warehouse": CENTRAL_WAREHOUSE,
                "lines": [
                    {"line_no": i, "article_number": a.number, "quantity": q}
                    for i, (a, q) in enumerate(lines, start=1)
                ],
            },
        )
        for article, qty in lines:
            self.on_order[(CENTRAL_WAREHOUSE, article.number)] -= qty
            self._stock_move(day, article, CENTRAL_WAREHOUSE, qty, "receipt", number)
        self._supplier_invoice(day, order, self.suppliers[supplier_no], lines)

    def _supplier_invoice(self, day: date, order: str, supplier: Party, lines: list) -> None:
        number = str(self._next("supplier_invoice", 50001))
        supplier_ref = f"{supplier.number[-2:]}{self._next('supplier_ref', 7001)}"
        invoice_lines = []
        for i, (article, qty) in enumerate(lines, start=1):
            net = cents(article.standard_cost * qty)
            invoice_lines.append(
                {
                    "line_no": i,
                    "article_number": article.number,
                    "quantity": qty,
                    "unit_price": money(article.standard_cost),
                    "net_amount": money(net),
                    "vat_rate": article.vat_rate,
                    "vat_amount": money(cents(net * article.vat_rate / 100)),
                    "account": chart.PURCHASES,
                    "cost_centre": "LAGER",
                    "project": None,
                }
            )
        net_total = sum((Decimal(x["net_amount"]) for x in invoice_lines), Decimal(0))
        vat_total = sum((Decimal(x["vat_amount"]) for x in invoice_lines), Decimal(0))
        total = net_total + vat_total
        due = day + timedelta(days=supplier.payment_terms_days)
        self.erp.write(
            "supplier_invoices",
            {
                "number": number,
                "supplier_invoice_number": supplier_ref,
                "invoice_date": day.isoformat(),
                "due_date": due.isoformat(),
                "supplier_number": supplier.number,
                "purchase_order_number": order,
                "ocr": ocr(supplier_ref),
                "currency": "SEK",
                "cost_centre": "LAGER",
                "project": None,
                "net_amount": money(net_total),
                "vat_amount": money(vat_total),
                "total_amount": money(total),
                "lines": invoice_lines,
            },
        )
        text = f"Leverantörsfaktura {number} {supplier.name}"
        rows = [
            (chart.PURCHASES, net_total, "LAGER", None),
            (chart.INPUT_VAT, vat_total, None, None),
            (chart.PAYABLES, -total, None, None),
        ]
        self.books.book("D", day, text, rows)
        if self._month_index(day) >= self.planted.duplicate_month and self.planted.once(
            "duplicate"
        ):
            again = next_working_day(day + timedelta(days=3))
            self._schedule(again, P_PAYMENT, self._book_duplicate, text, rows, number)
        pay_on = next_working_day(due + timedelta(days=self.rng.randint(-2, 0)))
        if pay_on <= self.end:
            self._schedule(
                pay_on, P_PAYMENT, self._supplier_payment, number, supplier, total,
                ocr(supplier_ref),
            )  # fmt: skip

    def _book_duplicate(self, day: date, text: str, rows: list, number: str) -> None:
        self.books.book("D", day, text, rows)
        self.planted.truth.append(
            self._truth(
                "duplicate_booking",
                number,
                f"supplier invoice {number} is booked twice (second time on {day})",
            )
        )

    def _supplier_payment(
        self, day: date, invoice: str, supplier: Party, total: Decimal, reference: str
    ) -> None:
        number = self._doc("SP")
        self.erp.write(
            "supplier_payments",
            {
                "number": number,
                "payment_date": day.isoformat(),
                "invoice_number": invoice,
                "supplier_number": supplier.number,
                "amount": money(total),
            },
        )
        self.books.book(
            "E",
            day,
            f"Betalning leverantörsfaktura {invoice} {supplier.name}",
            [(chart.PAYABLES, total, None, None), (chart.BANK, -total, None, None)],
            counterparty=supplier.name,
            reference=reference,
        )

    def _refill_regional_warehouses(self, day: date) -> None:
        for warehouse in WAREHOUSES:
            if warehouse.code == CENTRAL_WAREHOUSE:
                continue
            lines = []
            for article in self.goods:
                key = (warehouse.code, article.number)
                reorder, target = self._targets[key]
                available = self.stock[(CENTRAL_WAREHOUSE, article.number)]
                if self.stock[key] < reorder and available > 0:
                    lines.append((article, min(target - self.stock[key], available)))
            if not lines:
                continue
            number = self._doc("TR")
            for article, qty in lines:
                self._stock_move(day, article, CENTRAL_WAREHOUSE, -qty, "transfer_out", number)
                self._stock_move(day, article, warehouse.code, qty, "transfer_in", number)

    # -- monthly accounting ----------------------------------------------------------------
    def _rent(self, day: date) -> None:
        rent = cents(Decimal(24000) * Decimal(str(round(self.size**0.5, 3))))
        self.books.book(
            "A",
            day,
            f"Hyra lokaler {day:%Y-%m}",
            [
                (chart.RENT, rent, "ADM", None),
                (chart.INPUT_VAT, cents(rent / 4), None, None),
                (chart.BANK, -(rent + cents(rent / 4)), None, None),
            ],
        )

    def _payroll(self, day: date) -> None:
        base = BASE_PAYROLL
        hours = self._project_hours(day)
        self._month_hours = hours
        rows: list[tuple[str, Decimal, str | None, str | None]] = []
        gross_total = Decimal(0)
        fees_total = Decimal(0)
        for cost_centre in COST_CENTRES:
            scale = 1.0 if cost_centre.code == "KONS" else self.size
            gross = cents(Decimal(base[cost_centre.code]) * Decimal(str(round(scale, 3))))
            gross_total += gross
            for project, part in self._allocate(gross, hours if cost_centre.code == "KONS" else {}):
                fees = cents(part * chart.EMPLOYER_FEE_RATE)
                fees_total += fees
                rows.append((chart.SALARIES, part, cost_centre.code, project))
                rows.append((chart.EMPLOYER_FEES, fees, cost_centre.code, project))
        tax = cents(gross_total * chart.WITHHOLDING_RATE)
        rows += [
            (chart.PAYROLL_TAX, -tax, None, None),
            (chart.SOCIAL_FEES, -fees_total, None, None),
            (chart.BANK, -(gross_total - tax), None, None),
        ]
        self.books.book("A", day, f"Löner {day:%Y-%m}", rows)
        self._payroll_due.append((tax, fees_total))

    @staticmethod
    def _allocate(amount: Decimal, weights: dict[str, Decimal]) -> list[tuple[str | None, Decimal]]:
        """Split an amount by weights (consultants' salaries by project hours); the last share
        takes the rounding so the parts add up exactly."""
        if not weights:
            return [(None, amount)]
        total = sum(weights.values())
        parts: list[tuple[str | None, Decimal]] = []
        for key in sorted(weights)[:-1]:
            parts.append((key, cents(amount * weights[key] / total)))
        parts.append((sorted(weights)[-1], amount - sum((p for _, p in parts), Decimal(0))))
        return parts

    def _pay_taxes(self, day: date) -> None:
        rows: list[tuple[str, Decimal, str | None, str | None]] = []
        for tax, fees in self._payroll_due:
            rows += [(chart.PAYROLL_TAX, tax, None, None), (chart.SOCIAL_FEES, fees, None, None)]
        self._payroll_due = []
        if self._vat_due is not None:
            rows.append((chart.VAT_SETTLEMENT, -self._vat_due, None, None))
            self._vat_due = None
        if not rows:
            return
        total = sum((r[1] for r in rows), Decimal(0))
        rows.append((chart.BANK, -total, None, None))
        self.books.book("A", day, f"Skattekonto, betalning {day:%Y-%m}", rows)

    def _month_end(self, day: date) -> None:
        phone = cents(Decimal(1800) * Decimal(str(round(self.size**0.5, 3))))
        self.books.book(
            "A",
            day,
            f"Mobiltelefoni {day:%Y-%m}",
            [
                (chart.PHONE, phone, "ADM", None),
                (chart.INPUT_VAT, cents(phone / 4), None, None),
                (chart.BANK, -(phone + cents(phone / 4)), None, None),
            ],
        )
        self.books.book(
            "A",
            day,
            f"Bankavgifter {day:%Y-%m}",
            [
                (chart.BANK_FEES, Decimal("395.00"), "ADM", None),
                (chart.BANK, Decimal("-395.00"), None, None),
            ],
        )
        if day.month % 3 == 0:
            interest = cents(max(Decimal(0), self.books.balance(chart.BANK)) * Decimal("0.0025"))
            if interest:
                self.books.book(
                    "A",
                    day,
                    f"Ränta företagskonto {day:%Y-%m}",
                    [
                        (chart.BANK, interest, None, None),
                        (chart.INTEREST_INCOME, -interest, None, None),
                    ],
                )
        self._inventory_vouchers(day)
        self._vat_return(day)

    def _inventory_vouchers(self, day: date) -> None:
        planted = self.planted
        month = self._month_index(day)
        for warehouse in WAREHOUSES:
            # The bookkeeper books the change in the ERP's stock value, not the difference to the
            # ledger, so a write-down booked only in the ledger stays visible (as in real life).
            value = self._erp_stock_value[warehouse.code]
            change = value - self._inventory_booked_at[warehouse.code]
            self._inventory_booked_at[warehouse.code] = value
            if change:
                self.books.book(
                    "A",
                    day,
                    f"Lagerförändring {warehouse.name} {day:%Y-%m}",
                    [
                        (warehouse.inventory_account, change, None, None),
                        (chart.STOCK_CHANGE, -change, "LAGER", None),
                    ],
                )
            if (
                month >= planted.inventory_month
                and warehouse.code == planted.inventory_warehouse
                and planted.once("inventory")
            ):
                shrink = cents(value * Decimal("0.015")) or Decimal("1000.00")
                self.books.book(
                    "A",
                    day,
                    f"Inventeringsdifferens {warehouse.name}",
                    [
                        (chart.STOCK_CHANGE, shrink, "LAGER", None),
                        (warehouse.inventory_account, -shrink, None, None),
                    ],
                )
                planted.truth.append(
                    self._truth(
                        "inventory_value_mismatch",
                        warehouse.code,
                        f"account {warehouse.inventory_account} was written down by "
                        f"{money(shrink)} on {day} (stocktaking) but the ERP stock of "
                        f"{warehouse.code} was not adjusted",
                    )
                )

    def _vat_return(self, day: date) -> None:
        accounts = [chart.VAT_ACCOUNTS[r][1] for r in (25, 12, 6)] + [chart.INPUT_VAT]
        rows = []
        for account in accounts:
            balance = self.books.balance(account)
            if balance:
                rows.append((account, -balance, None, None))
        if not rows:
            return
        net = -sum((r[1] for r in rows), Decimal(0))
        rows.append((chart.VAT_SETTLEMENT, net, None, None))
        self.books.book("A", day, f"Momsredovisning {day:%Y-%m}", rows)
        self._vat_due = (self._vat_due or Decimal(0)) + net

    # -- year end --------------------------------------------------------------------------
    def _agm_day(self, day: date) -> date | None:
        """The annual general meeting decides on last year's result five months into the year."""
        years = self.books.fiscal_years
        for span in years[1:]:
            if day in span:
                return next_working_day(add_months(span.start, 4).replace(day=20))
        return None

    def _transfer_result(self, day: date) -> None:
        result = self.books.balance(chart.YEAR_RESULT)
        if result:
            self.books.book(
                "A",
                day,
                "Disposition av föregående års resultat enligt årsstämma",
                [
                    (chart.YEAR_RESULT, -result, None, None),
                    (chart.RETAINED_EARNINGS, result, None, None),
                ],
            )

    def _truth(self, kind: str, document: str, details: str) -> dict:
        return {
            "kind": kind,
            "company_id": self.company_id,
            "document": document,
            "details": details,
        }

    # -- budget ----------------------------------------------------------------------------
    def write_budget(self, seed: int) -> None:
        """The year's budget per account × cost centre × project × month, drawn up before the
        year from the plan (expected volumes), not from what happened."""
        rng = random.Random(f"{seed}:budget")
        mean_lines = Decimal("2.1")
        total_weight = sum(self.goods_weights)
        revenue_per_order: dict[int, Decimal] = defaultdict(Decimal)
        cost_per_order = Decimal(0)
        for article in self.goods:
            share = Decimal(str(article.popularity / total_weight))
            qty = Decimal(sum(article.quantity_range)) / 2
            revenue_per_order[article.vat_rate] += mean_lines * share * qty * article.price
            cost_per_order += mean_lines * share * qty * article.standard_cost

        def budget_round(value: Decimal) -> Decimal:
            noisy = value * Decimal(str(round(rng.uniform(0.97, 1.03), 3)))
            return (noisy / 100).quantize(Decimal(1), rounding=ROUND_HALF_UP) * 100

        for span in self.books.fiscal_years:
            month_start = span.start
            while month_start <= span.end:
                month = self._month_index(month_start)
                growth = Decimal(str(1.0 + 0.08 * (month // 12)))
                orders = (
                    Decimal(str(self.orders_per_month * SEASON[month_start.month - 1])) * growth
                )
                lines: list[tuple[str, str | None, str | None, Decimal]] = []
                for rate, per_order in sorted(revenue_per_order.items(), reverse=True):
                    lines.append((chart.VAT_ACCOUNTS[rate][0], "SALJ", None, -orders * per_order))
                lines.append((chart.PURCHASES, "LAGER", None, orders * cost_per_order))
                active = [p for p in self.projects if p.start_month <= month <= p.end_month]
                for project in active:
                    lines.append(
                        (
                            chart.SERVICE_SALES_ACCOUNT,
                            project.cost_centre,
                            project.number,
                            -project.hourly_rate * project.planned_hours,
                        )
                    )
                planned = {p.number: Decimal(p.planned_hours) for p in active}
                for code, base in BASE_PAYROLL.items():
                    scale = 1.0 if code == "KONS" else self.size
                    gross = Decimal(base) * Decimal(str(round(scale, 3)))
                    for project, part in self._allocate(
                        cents(gross), planned if code == "KONS" else {}
                    ):
                        lines.append((chart.SALARIES, code, project, part))
                        lines.append(
                            (chart.EMPLOYER_FEES, code, project, part * chart.EMPLOYER_FEE_RATE)
                        )
                lines.append(
                    (
                        chart.RENT,
                        "ADM",
                        None,
                        Decimal(24000) * Decimal(str(round(self.size**0.5, 3))),
                    )
                )
                lines.append(
                    (
                        chart.PHONE,
                        "ADM",
                        None,
                        Decimal(1800) * Decimal(str(round(self.size**0.5, 3))),
                    )
                )
                lines.append((chart.BANK_FEES, "ADM", None, Decimal(395)))
                for account, cost_centre, project, amount in lines:
                    self.erp.write(
                        "budget",
                        {
                            "fiscal_year": span.label,
                            "period": f"{month_start:%Y-%m}",
                            "account": account,
                            "cost_centre": cost_centre,
                            "project": project,
                            "amount": money(budget_round(amount)),
                        },
                    )
                month_start = add_months(month_start, 1)
