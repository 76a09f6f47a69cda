"""Vouchers posted to a company's Fortnox over its API; customers, suppliers, articles, cost
centres, projects and accounts written to its registers and charts; and the ERP's customer and
supplier invoices created in its invoice registers and booked.

Fortnox has no idempotency key, so each voucher's Description ends with its key token
(``[lb:…]``). When the answer to a POST is lost (a timeout, a dropped connection, a 500 that
may have come after the voucher was booked), the voucher is looked up among the vouchers of
its day before it is posted again. 429s wait in the client without spending attempts. A
refusal (HTTP 4xx: a locked period, an account that needs a cost centre, …) ends the item
FAILED_TERMINAL with Fortnox's message, and the other items go on.

Before sending, each voucher's and invoice's date is checked against the company's financial
years and locked period, and each voucher row against the year's chart (the account exists
and is active; its cost-centre and project settings allow the row's dimensions): such an item
is refused here, without a request, with the same kind of message. An invoice is known in
Fortnox by its number (the ERP's), so it needs no lookup by token: it is read before it is
created, and booked (``/bookkeep``) if it is not yet.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterator
from dataclasses import dataclass
from decimal import Decimal
from urllib.parse import quote

from ledgerbridge.clients.fortnox import (
    FortnoxClient,
    FortnoxError,
    FortnoxNotAuthorized,
    FortnoxRefused,
    FortnoxUncertain,
    FortnoxUnreachable,
    Stats,
)
from ledgerbridge.config import Company, Paths
from reverse_etl.destinations.base import DestinationError, Outcome
from reverse_etl.outbox import Item, State

#: how often one voucher is posted again after answers that were lost and a lookup that
#: did not find it, before it is left SENDING for the next push
POSTS_PER_ITEM = 3


@dataclass(frozen=True)
class Register:
    path: str  # /3/<path>
    wrap: str  # {"Customer": {...}}
    key: str  # the numbering field
    what: str  # for target ids: "customer 1003"


#: the operations whose date Fortnox holds to its financial years and locked period
DATED_OPERATIONS = ("create_voucher", "create_invoice", "create_supplier_invoice")

#: the register each upsert operation writes
REGISTER_OPERATIONS = {
    "upsert_customer": Register("customers", "Customer", "CustomerNumber", "customer"),
    "upsert_supplier": Register("suppliers", "Supplier", "SupplierNumber", "supplier"),
    "upsert_article": Register("articles", "Article", "ArticleNumber", "article"),
    "upsert_cost_centre": Register("costcenters", "CostCenter", "Code", "cost centre"),
    "upsert_project": Register("projects", "Project", "ProjectNumber", "project"),
}


def voucher_body(item: Item, year_id: int | None = None) -> dict:
    payload = item.payload
    rows = []
    for row in payload["rows"]:
        amount = Decimal(row["amount"])
        rows.append(
            {
                "Account": int(row["account"]),
                "Debit": amount if amount > 0 else Decimal("0"),
                "Credit": -amount if amount < 0 else Decimal("0"),
                "CostCenter": row.get("cost_centre") or "",
                "Project": row.get("project") or "",
            }
        )
    voucher = {
        "Description": f"{payload['text']} [{item.token}]",
        "TransactionDate": payload["date"],
        "VoucherSeries": payload.get("series") or "A",
        "VoucherRows": rows,
    }
    if year_id is not None:
        voucher["Year"] = year_id
    return {"Voucher": voucher}


def invoice_body(item: Item) -> dict:
    """An ERP invoice as Fortnox creates it: its number, customer, date and rows; Fortnox
    takes each row's VAT from its article. Comments carry the item's key token."""
    payload = item.payload
    rows = []
    for row in payload["rows"]:
        rows.append(
            {
                name: value
                for name, value in (
                    ("ArticleNumber", row.get("article")),
                    ("Description", row.get("description")),
                    ("AccountNumber", int(row["account"])),
                    ("DeliveredQuantity", Decimal(row["quantity"])),
                    ("Price", Decimal(row["price"])),
                    ("CostCenter", row.get("cost_centre")),
                    ("Project", row.get("project")),
                )
                if value not in (None, "")
            }
        )
    return {
        "Invoice": {
            "DocumentNumber": payload["document_number"],
            "CustomerNumber": payload["customer_number"],
            "InvoiceDate": payload["date"],
            "Comments": f"ERP invoice {payload['document_number']} [{item.token}]",
            "InvoiceRows": rows,
        }
    }


def supplier_invoice_body(item: Item) -> dict:
    """An ERP supplier invoice as Fortnox creates it: the lines' net amounts on their
    accounts, the total and VAT (Fortnox adds the VAT and payable rows). Comments carry the
    item's key token."""
    payload = item.payload
    rows = [
        {
            name: value
            for name, value in (
                ("Account", int(row["account"])),
                ("Debit", Decimal(row["amount"])),
                ("CostCenter", row.get("cost_centre")),
                ("Project", row.get("project")),
            )
            if value not in (None, "")
        }
        for row in payload["rows"]
    ]
    return {
        "SupplierInvoice": {
            "SupplierNumber": payload["supplier_number"],
            "InvoiceNumber": payload["supplier_invoice_number"],
            "InvoiceDate": payload["date"],
            "Total": Decimal(payload["total"]),
            "VAT": Decimal(payload["vat"]),
            "Comments": f"ERP invoice {payload['supplier_invoice_number']} [{item.token}]",
            "SupplierInvoiceRows": rows,
        }
    }


class FortnoxDestination:
    def __init__(self, paths: Paths, user: str = "ledgerbridge", client=None) -> None:
        self.paths = paths
        self.user = user
        self._client = client
        self._charts: dict[int, dict[int, dict]] = {}  # year id → its accounts, per push

    @property
    def stats(self) -> Stats | None:
        """The client's requests, 429s and retries so far."""
        return self._client.stats if self._client is not None else None

    def client(self, company: Company) -> FortnoxClient:
        if self._client is None:
            from ingestion.pipeline import fortnox_client

            self._client = fortnox_client(self.paths, company)
        return self._client

    def send(self, company: Company, items: list[Item]) -> Iterator[tuple[Item, Outcome]]:
        try:
            client = self.client(company)
            years = client.get("/3/financialyears").get("FinancialYears") or []
            locked = (client.get("/3/settings/lockedperiod").get("LockedPeriod") or {}).get(
                "EndDate"
            )
        except (FortnoxUnreachable, FortnoxNotAuthorized) as exc:
            raise DestinationError(str(exc), retryable=True) from exc
        except FortnoxError as exc:
            raise DestinationError(str(exc), retryable=False) from exc
        refusals = self._voucher_refusals(client, items, years, locked)
        for item in items:
            if item.operation in REGISTER_OPERATIONS:
                yield item, self._upsert(client, item)
                continue
            if item.operation == "create_account":
                yield item, self._account(client, item, years)
                continue
            if item.operation not in DATED_OPERATIONS:
                yield (
                    item,
                    Outcome(State.FAILED_TERMINAL, message=f"Fortnox cannot take {item.operation}"),
                )
                continue
            refused = refusals.get(item.item_id) or _date_refused(item, years, locked)
            if refused is not None:
                yield item, Outcome(State.FAILED_TERMINAL, message=refused)
            elif item.operation == "create_invoice":
                yield item, self._invoice(client, item)
            elif item.operation == "create_supplier_invoice":
                yield item, self._supplier_invoice(client, item)
            else:
                year = _year_of(years, item.payload["date"])
                yield item, self._post(client, item, year["Id"])

    def _voucher_refusals(
        self, client: FortnoxClient, items: list[Item], years: list[dict], locked: str | None
    ) -> dict[int, str]:
        """Why Fortnox would refuse each voucher (its date, its rows against the year's
        chart), worked out before anything is sent; and the vouchers of one correction go
        together: when one would be refused, none is sent, since a reversal without its
        rebooking would leave the invoice unbooked. Accounts this push creates count as there.
        A chart that cannot be read stops the push before it sends anything."""
        coming: dict[int, set[int]] = defaultdict(set)
        for item in items:
            year = _year_of(years, item.payload.get("year_start", ""))
            if item.operation == "create_account" and year is not None:
                coming[year["Id"]].add(int(item.payload["number"]))
        refusals: dict[int, str] = {}
        vouchers = [item for item in items if item.operation == "create_voucher"]
        try:
            for item in vouchers:
                refused = _date_refused(item, years, locked)
                if refused is None:
                    year_id = _year_of(years, item.payload["date"])["Id"]
                    refused = _rows_refused(item, self._chart(client, year_id), coming[year_id])
                if refused is not None:
                    refusals[item.item_id] = refused
        except REQUEST_FAILURES as exc:
            raise DestinationError(
                f"could not read the company's chart of accounts in Fortnox: {exc}",
                retryable=True,
            ) from exc
        for item in vouchers:
            if item.item_id in refusals or item.finding_id is None:
                continue
            partner = next(
                (other for other in vouchers
                 if other.finding_id == item.finding_id and other.item_id in refusals),
                None,
            )  # fmt: skip
            if partner is not None:
                refusals[item.item_id] = (
                    f"not sent: item {partner.item_id} of the same correction was refused "
                    f"({refusals[partner.item_id]})"
                )
        return refusals

    def _chart(self, client: FortnoxClient, year_id: int) -> dict[int, dict]:
        """The year's accounts (number → Fortnox's account), read once per push."""
        charts = self._charts
        if year_id not in charts:
            charts[year_id] = {
                int(account["Number"]): account
                for accounts in client.pages("/3/accounts", "Accounts", {"financialyear": year_id})
                for account in accounts
            }
        return charts[year_id]

    def _post(self, client: FortnoxClient, item: Item, year_id: int) -> Outcome:
        problem = ""
        for _ in range(POSTS_PER_ITEM):
            try:
                answer = client.post("/3/vouchers", voucher_body(item, year_id))
            except REQUEST_FAILURES as exc:
                if (settled := _settled_by(exc)) is not None:
                    return settled
                problem = str(exc)
            else:
                voucher = answer.get("Voucher") or {}
                return Outcome(State.POSTED, _target(voucher, year_id))
            try:
                found = self._find(client, item, year_id)
            except FortnoxError as exc:  # whether it was booked is not known: never post again
                return Outcome(State.SENDING, message=f"{problem}; the lookup failed too: {exc}")
            if found is not None:
                return Outcome(State.POSTED, found)
        return Outcome(State.SENDING, message=f"{problem}; not found in Fortnox either")

    def _upsert(self, client: FortnoxClient, item: Item) -> Outcome:
        """A customer or supplier written by its number: created if the register lacks it,
        else the given fields updated. Writing the same values again changes nothing, so
        after a lost answer the record is read back and written again if it differs."""
        register = REGISTER_OPERATIONS[item.operation]
        number, fields = item.payload["number"], _sent(item.payload["fields"])
        path = f"/3/{register.path}/{quote(number, safe='')}"
        target = f"{register.what} {number}"
        problem = ""
        for _ in range(POSTS_PER_ITEM):
            try:
                if item.payload["operation"] == "create" and _record(client, path) is None:
                    client.post(
                        f"/3/{register.path}", {register.wrap: {register.key: number, **fields}}
                    )
                else:
                    client.put(path, {register.wrap: fields})
                return Outcome(State.POSTED, target)
            except REQUEST_FAILURES as exc:
                if (settled := _settled_by(exc)) is not None:
                    return settled
                problem = str(exc)
            try:
                if _holds(client, path, fields):
                    return Outcome(State.POSTED, target)
            except FortnoxError as exc:
                return Outcome(State.SENDING, message=f"{problem}; the lookup failed too: {exc}")
        return Outcome(State.SENDING, message=f"{problem}; Fortnox does not hold it either")

    def _account(self, client: FortnoxClient, item: Item, years: list[dict]) -> Outcome:
        """An account created in the chart of the financial year the item names. The
        account's number is its key there: it is read before it is created, so a lost
        answer never creates it twice."""
        number = item.payload["number"]
        year = _year_of(years, item.payload["year_start"])
        if year is None:
            return Outcome(
                State.FAILED_TERMINAL,
                message=f"the company's Fortnox has no financial year from "
                f"{item.payload['year_start']}; create the year in Fortnox",
            )
        target = f"account {number} (year {year['Id']})"
        problem = ""
        for _ in range(POSTS_PER_ITEM):
            try:
                if _account_held(client, number, year["Id"]):
                    return Outcome(State.POSTED, target)
                self._charts.pop(year["Id"], None)  # read again when next needed
                client.post(
                    f"/3/accounts?financialyear={year['Id']}",
                    {"Account": {"Number": int(number),
                                 "Description": item.payload["description"]}},
                )  # fmt: skip
                return Outcome(State.POSTED, target)
            except REQUEST_FAILURES as exc:
                if (settled := _settled_by(exc)) is not None:
                    return settled
                problem = str(exc)
        return Outcome(State.SENDING, message=f"{problem}; not known whether Fortnox has it")

    def _invoice(self, client: FortnoxClient, item: Item) -> Outcome:
        """An ERP invoice created in the register under its own number and booked. The
        number is the invoice's key in Fortnox: after a lost answer the invoice is read
        again, so it is never created twice, and booked if it is not yet."""
        number = item.payload["document_number"]
        path = f"/3/invoices/{quote(number, safe='')}"
        problem = ""
        for _ in range(POSTS_PER_ITEM):
            try:
                invoice = (_record(client, path) or {}).get("Invoice")
                if invoice is None:
                    invoice = client.post("/3/invoices", invoice_body(item)).get("Invoice") or {}
                elif not _is_ours(invoice, item):
                    return Outcome(
                        State.FAILED_TERMINAL,
                        message=f"Fortnox has an invoice {number} already, to customer "
                        f"{invoice.get('CustomerNumber')} of {invoice.get('Total')}: not the "
                        "ERP's invoice; find out which is right before booking either",
                    )
                if not invoice.get("Booked"):
                    invoice = client.put(f"{path}/bookkeep").get("Invoice") or {}
                return Outcome(State.POSTED, _invoice_target(invoice, number))
            except REQUEST_FAILURES as exc:
                if (settled := _settled_by(exc)) is not None:
                    return settled
                problem = str(exc)
        return Outcome(State.SENDING, message=f"{problem}; not known whether Fortnox has it")

    def _supplier_invoice(self, client: FortnoxClient, item: Item) -> Outcome:
        """An ERP supplier invoice created in the register and booked. Fortnox numbers it
        itself, so it is found by the supplier and the supplier's invoice number: read before
        it is created, it is never created twice, and booked if it is not yet."""
        payload = item.payload
        problem = ""
        for _ in range(POSTS_PER_ITEM):
            try:
                invoice = _supplier_invoice_of(client, item)
                if invoice is None:
                    invoice = (
                        client.post("/3/supplierinvoices", supplier_invoice_body(item)).get(
                            "SupplierInvoice"
                        )
                        or {}
                    )
                elif not _is_ours(invoice, item, party="SupplierNumber"):
                    return Outcome(
                        State.FAILED_TERMINAL,
                        message=f"Fortnox has supplier {payload['supplier_number']}'s invoice "
                        f"{payload['supplier_invoice_number']} already, of {invoice.get('Total')}"
                        ": not the ERP's; find out which is right before booking either",
                    )
                given = invoice.get("GivenNumber")
                if given is None:  # an answer without the invoice: look again next push
                    return Outcome(State.SENDING, message="Fortnox's answer named no invoice")
                if not invoice.get("Booked"):
                    invoice = (
                        client.put(f"/3/supplierinvoices/{given}/bookkeep").get("SupplierInvoice")
                        or {}
                    )
                return Outcome(State.POSTED, _invoice_target(invoice, given, "supplier invoice"))
            except REQUEST_FAILURES as exc:
                if (settled := _settled_by(exc)) is not None:
                    return settled
                problem = str(exc)
        return Outcome(State.SENDING, message=f"{problem}; not known whether Fortnox has it")

    def lookup(self, company: Company, items: list[Item]) -> dict[int, str]:
        found = {}
        try:
            client = self.client(company)
            years = client.get("/3/financialyears").get("FinancialYears") or []
            for item in items:
                if item.operation in REGISTER_OPERATIONS:
                    register = REGISTER_OPERATIONS[item.operation]
                    number = item.payload["number"]
                    path = f"/3/{register.path}/{quote(number, safe='')}"
                    if _holds(client, path, item.payload["fields"]):
                        found[item.item_id] = f"{register.what} {number}"
                    continue
                if item.operation == "create_account":
                    year = _year_of(years, item.payload["year_start"])
                    number = item.payload["number"]
                    if year is not None and _account_held(client, number, year["Id"]):
                        found[item.item_id] = f"account {number} (year {year['Id']})"
                    continue
                if item.operation == "create_supplier_invoice":
                    invoice = _supplier_invoice_of(client, item)
                    if (
                        invoice
                        and invoice.get("Booked")
                        and _is_ours(invoice, item, party="SupplierNumber")
                    ):
                        given = invoice["GivenNumber"]
                        found[item.item_id] = _invoice_target(invoice, given, "supplier invoice")
                    continue
                if item.operation == "create_invoice":
                    number = item.payload["document_number"]
                    body = _record(client, f"/3/invoices/{quote(number, safe='')}") or {}
                    invoice = body.get("Invoice")
                    if invoice and invoice.get("Booked") and _is_ours(invoice, item):
                        found[item.item_id] = _invoice_target(invoice, number)
                    continue
                day = item.payload["date"]
                year = _year_of(years, day)
                target = self._find(client, item, year["Id"]) if year else None
                if target is not None:
                    found[item.item_id] = target
        except FortnoxError as exc:
            raise DestinationError(
                f"could not look up in Fortnox what an interrupted push sent: {exc}",
                retryable=True,
            ) from exc
        return found

    def _find(self, client: FortnoxClient, item: Item, year_id: int) -> str | None:
        """The voucher carrying this item's token, among those of its day and series; raises
        FortnoxError when Fortnox cannot be asked."""
        day = item.payload["date"]
        params = {
            "financialyear": year_id,
            "fromdate": day,
            "todate": day,
            "voucherseries": item.payload.get("series") or "A",
        }
        for vouchers in client.pages("/3/vouchers", "Vouchers", params):
            for voucher in vouchers:
                if str(voucher.get("Description", "")).endswith(f"[{item.token}]"):
                    return _target(voucher, year_id)
        return None


#: what a request can fail with, for _settled_by to sort
REQUEST_FAILURES = (FortnoxUncertain, FortnoxRefused, FortnoxUnreachable, FortnoxNotAuthorized)


def _settled_by(exc: FortnoxError) -> Outcome | None:
    """What a failed request settles for its item: a refusal (4xx) ends it with Fortnox's
    message; unreachable or not authorized, nothing was sent, so a later push may try again.
    None when Fortnox may have done it (a lost answer, a 5xx): the caller looks before
    sending again."""
    if isinstance(exc, FortnoxRefused) and exc.status < 500:
        return Outcome(State.FAILED_TERMINAL, message=str(exc))
    if isinstance(exc, FortnoxUnreachable | FortnoxNotAuthorized):
        return Outcome(State.FAILED_RETRYABLE, message=str(exc))
    return None


def _rows_refused(item: Item, chart: dict[int, dict], coming: set[int]) -> str | None:
    """Why Fortnox would refuse the voucher's rows, if it would: an account missing from the
    year's chart (and not ``coming``: created by this push) or inactive, or a cost centre or
    project its settings forbid or demand. Said before anything is sent."""
    for index, row in enumerate(item.payload["rows"], 1):
        number = int(row["account"])
        account = chart.get(number)
        if account is None and number in coming:
            continue
        if account is None:
            return f"row {index}: account {number} is not in the year's chart in Fortnox"
        if account.get("Active") is False:
            return f"row {index}: account {number} is inactive in Fortnox"
        for given, setting, what in (
            (row.get("cost_centre"), account.get("CostCenterSettings"), "cost centre"),
            (row.get("project"), account.get("ProjectSettings"), "project"),
        ):
            if given and setting == "NOTALLOWED":
                return (
                    f"row {index}: account {number} allows no {what} in Fortnox ({given} "
                    "given); change the account's setting in Fortnox, or the row"
                )
            if not given and setting == "MANDATORY":
                return (
                    f"row {index}: account {number} needs a {what} in Fortnox; change the "
                    "account's setting in Fortnox, or give the row one"
                )
    return None


def _date_refused(item: Item, years: list[dict], locked: str | None) -> str | None:
    """Why Fortnox would refuse the item's date, if it would: outside every financial year,
    or in the locked period. Said before anything is sent."""
    day = item.payload["date"]
    # a voucher's date was chosen when planning; an invoice's is the ERP's
    remedy = (
        "plan again with a later --date"
        if item.operation == "create_voucher"
        else "book the invoice by hand on an open date, or open the period"
    )
    if _year_of(years, day) is None:
        return (
            f"{day} is in no financial year of the company's Fortnox; create the year in "
            f"Fortnox, or {remedy}"
        )
    if locked and day <= locked:
        return (
            f"{day} is in a locked period of the company's Fortnox (locked until {locked}); "
            f"{remedy}"
        )
    return None


def _year_of(years: list[dict], day: str) -> dict | None:
    """The financial year (as /3/financialyears lists it) an ISO date falls in, if any."""
    return next((y for y in years if y["FromDate"] <= day <= y["ToDate"]), None)


def _record(client: FortnoxClient, path: str) -> dict | None:
    """A register record by its path, or None if the register has no such number."""
    try:
        return client.get(path)
    except FortnoxRefused as exc:
        if exc.status == 404:
            return None
        raise


#: register fields that are numbers: the outbox keeps them as text, Fortnox wants numbers
NUMBER_FIELDS = {"SalesPrice": Decimal, "PurchasePrice": Decimal, "VAT": int}


def _sent(fields: dict) -> dict:
    """A register record's fields as Fortnox takes them."""
    return {
        name: NUMBER_FIELDS[name](value) if name in NUMBER_FIELDS and value is not None else value
        for name, value in fields.items()
    }


def _holds(client: FortnoxClient, path: str, fields: dict) -> bool:
    """Whether the register's record has these values (numbers compared as numbers)."""
    body = _record(client, path)
    if body is None:
        return False
    record = next(iter(body.values()), {}) or {}
    return all(_same(name, record.get(name), value) for name, value in fields.items())


def _same(name: str, held: object, wanted: object) -> bool:
    if name in NUMBER_FIELDS and held not in (None, "") and wanted not in (None, ""):
        return Decimal(str(held)) == Decimal(str(wanted))
    return str(held or "") == str(wanted or "")


def _target(voucher: dict, year_id: int) -> str:
    return f"{voucher.get('VoucherSeries', '')}{voucher.get('VoucherNumber', '')} (year {year_id})"


def _is_ours(invoice: dict, item: Item, party: str = "CustomerNumber") -> bool:
    """Whether Fortnox's invoice is the one the item writes: it carries the token, or
    (created by hand) it is to or from the same party for the same total."""
    if str(invoice.get("Comments") or "").endswith(f"[{item.token}]"):
        return True
    wanted = item.payload["customer_number" if party == "CustomerNumber" else "supplier_number"]
    return str(invoice.get(party)) == wanted and Decimal(str(invoice.get("Total") or 0)) == Decimal(
        item.payload["total"]
    )


def _invoice_target(invoice: dict, number: str, what: str = "invoice") -> str:
    booked = f"{invoice.get('VoucherSeries') or ''}{invoice.get('VoucherNumber') or ''}"
    return f"{what} {number}" + (f" ({booked})" if booked else "")


def _supplier_invoice_of(client: FortnoxClient, item: Item) -> dict | None:
    """The supplier's invoice of the item's number in Fortnox's register (not cancelled), read
    in full, or None."""
    payload = item.payload
    params = {"suppliernumber": payload["supplier_number"]}
    for invoices in client.pages("/3/supplierinvoices", "SupplierInvoices", params):
        for listed in invoices:
            if (
                listed.get("InvoiceNumber") == payload["supplier_invoice_number"]
                and str(listed.get("SupplierNumber")) == payload["supplier_number"]
                and not listed.get("Cancel")
            ):
                return client.get(f"/3/supplierinvoices/{listed['GivenNumber']}").get(
                    "SupplierInvoice"
                )
    return None


def _account_held(client: FortnoxClient, number: str, year_id: int) -> bool:
    """Whether the year's chart has the account."""
    try:
        client.get(f"/3/accounts/{int(number)}", {"financialyear": year_id})
    except FortnoxRefused as exc:
        if exc.status == 404:
            return False
        raise
    return True
