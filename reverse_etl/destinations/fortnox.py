"""Vouchers posted to a company's Fortnox over its API, and customers written to its register.

Fortnox has no idempotency key, so each voucher's Description ends with its key token
(``[lb:…]``). When the answer to a POST is lost (a timeout, a dropped connection, a 500 that
may have come after the voucher was booked), the voucher is looked up among the vouchers of
its day before it is posted again. 429s wait in the client without spending attempts. A
refusal (HTTP 4xx: a locked period, an account that needs a cost centre, …) ends the item
FAILED_TERMINAL with Fortnox's message, and the other items go on.

Before sending, each voucher's date is checked against the company's financial years and
locked period: such a voucher is refused here, without a request, with the same kind of
message.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date
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


class FortnoxDestination:
    def __init__(self, paths: Paths, user: str = "ledgerbridge", client=None) -> None:
        self.paths = paths
        self.user = user
        self._client = client

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
        for item in items:
            if item.operation == "upsert_customer":
                yield item, self._upsert(client, item)
                continue
            if item.operation != "create_voucher":
                yield (
                    item,
                    Outcome(State.FAILED_TERMINAL, message=f"Fortnox cannot take {item.operation}"),
                )
                continue
            day = date.fromisoformat(item.payload["date"])
            year = _year_of(years, day.isoformat())
            if year is None:
                yield (
                    item,
                    Outcome(
                        State.FAILED_TERMINAL,
                        message=f"{day} is in no financial year of the company's Fortnox; "
                        "create the year in Fortnox, or plan again with another --date",
                    ),
                )
                continue
            if locked and day.isoformat() <= locked:
                yield (
                    item,
                    Outcome(
                        State.FAILED_TERMINAL,
                        message=f"{day} is in a locked period of the company's Fortnox (locked "
                        f"until {locked}); plan again with a later --date",
                    ),
                )
                continue
            yield item, self._post(client, item, year["Id"])

    def _post(self, client: FortnoxClient, item: Item, year_id: int) -> Outcome:
        problem = ""
        for _ in range(POSTS_PER_ITEM):
            try:
                answer = client.post("/3/vouchers", voucher_body(item, year_id))
            except FortnoxUncertain as exc:
                problem = str(exc)
            except FortnoxRefused as exc:
                if exc.status >= 500:  # it may have been booked before the error
                    problem = str(exc)
                else:
                    return Outcome(State.FAILED_TERMINAL, message=str(exc))
            except (FortnoxUnreachable, FortnoxNotAuthorized) as exc:
                return Outcome(State.FAILED_RETRYABLE, message=str(exc))  # nothing was sent
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
        """A customer written by its number: created if the register lacks it, else the
        given fields updated. Writing the same values again changes nothing, so after a
        lost answer the record is read back and written again if it differs."""
        number = item.payload["customer_number"]
        fields = item.payload["fields"]
        path = f"/3/customers/{quote(number, safe='')}"
        problem = ""
        for _ in range(POSTS_PER_ITEM):
            try:
                if item.payload["operation"] == "create" and _record(client, path) is None:
                    client.post("/3/customers", {"Customer": {"CustomerNumber": number, **fields}})
                else:
                    client.put(path, {"Customer": fields})
                return Outcome(State.POSTED, f"customer {number}")
            except FortnoxUncertain as exc:
                problem = str(exc)
            except FortnoxRefused as exc:
                if exc.status < 500:
                    return Outcome(State.FAILED_TERMINAL, message=str(exc))
                problem = str(exc)
            except (FortnoxUnreachable, FortnoxNotAuthorized) as exc:
                return Outcome(State.FAILED_RETRYABLE, message=str(exc))
            try:
                if _holds(client, path, fields):
                    return Outcome(State.POSTED, f"customer {number}")
            except FortnoxError as exc:
                return Outcome(State.SENDING, message=f"{problem}; the lookup failed too: {exc}")
        return Outcome(State.SENDING, message=f"{problem}; Fortnox does not hold it either")

    def lookup(self, company: Company, items: list[Item]) -> dict[int, str]:
        found = {}
        try:
            client = self.client(company)
            years = client.get("/3/financialyears").get("FinancialYears") or []
            for item in items:
                if item.operation == "upsert_customer":
                    number = item.payload["customer_number"]
                    path = f"/3/customers/{quote(number, safe='')}"
                    if _holds(client, path, item.payload["fields"]):
                        found[item.item_id] = f"customer {number}"
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


def _holds(client: FortnoxClient, path: str, fields: dict) -> bool:
    """Whether the register's record has these values."""
    body = _record(client, path)
    if body is None:
        return False
    record = next(iter(body.values()), {}) or {}
    return all(str(record.get(name) or "") == str(value or "") for name, value in fields.items())


def _target(voucher: dict, year_id: int) -> str:
    return f"{voucher.get('VoucherSeries', '')}{voucher.get('VoucherNumber', '')} (year {year_id})"
