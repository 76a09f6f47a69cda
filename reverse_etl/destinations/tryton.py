"""Payments recorded in the company's Tryton over JSON-RPC, as a person records them: the
invoice's pay wizard (``account.invoice.pay``), in full or in part; and customers' and
suppliers' names, addresses and organisation numbers written where the accounting system owns
them.

The payment's description ends with the item's key token; the move Tryton books carries it.
Before each payment, and after an answer that was lost, the moves are searched for the
token, so a payment is never recorded twice.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import date
from decimal import Decimal

from ledgerbridge.clients.tryton import TrytonCallFailed, TrytonClient, TrytonError
from ledgerbridge.config import Company, Paths
from reverse_etl.destinations.base import DestinationError, Outcome
from reverse_etl.outbox import Item, State

WIZARD = "wizard.account.invoice.pay"


class TrytonDestination:
    def __init__(self, paths: Paths, user: str = "ledgerbridge", client=None) -> None:
        self.paths = paths
        self.user = user
        self._client = client

    def client(self, company: Company) -> TrytonClient:
        if self._client is None:
            from ingestion.pipeline import tryton_client

            self._client = tryton_client(self.paths, company)
        return self._client

    def send(self, company: Company, items: list[Item]) -> Iterator[tuple[Item, Outcome]]:
        try:
            client = self.client(company)
            methods = (
                client.search_read("account.invoice.payment.method", [], ["id"], limit=1)
                if any(item.operation == "record_payment" for item in items)
                else []
            )
        except TrytonError as exc:
            raise DestinationError(str(exc), retryable=True) from exc
        for item in items:
            if item.operation == "update_party":
                yield item, self._update_party(client, item)
            elif item.operation == "update_product":
                yield item, self._update_product(client, item)
            elif item.operation != "record_payment":
                yield (
                    item,
                    Outcome(State.FAILED_TERMINAL, message=f"Tryton cannot take {item.operation}"),
                )
            elif not methods:
                yield (
                    item,
                    Outcome(
                        State.FAILED_TERMINAL,
                        message="the company's Tryton has no invoice payment method "
                        "(Accounting → Configuration → Payment Methods)",
                    ),
                )
            else:
                yield item, self._pay(client, item, methods[0]["id"])

    def _update_party(self, client: TrytonClient, item: Item) -> Outcome:
        """A party's name, address and organisation number written as the register has them:
        the fields of its record, its first active address, its Swedish identifier. Writing
        the same values again changes nothing, so a lost answer is simply tried again."""
        target = f"{item.payload['role']} {item.payload['number']}"
        try:
            _write_party(client, int(item.payload["party_id"]), item.payload["fields"])
            return Outcome(State.POSTED, target)
        except TrytonCallFailed as exc:  # Tryton refused it: its message says why
            return Outcome(State.FAILED_TERMINAL, message=str(exc))
        except TrytonError as exc:
            return Outcome(State.FAILED_RETRYABLE, message=str(exc))

    def _pay(self, client: TrytonClient, item: Item, method_id: int) -> Outcome:
        target = f"invoice {item.payload['invoice_number']}"
        try:
            if _booked(client, item):
                return Outcome(State.POSTED, target)
            _run_pay_wizard(client, item, method_id)
            return Outcome(State.POSTED, target)
        except TrytonCallFailed as exc:  # Tryton refused it: its message says why
            return Outcome(State.FAILED_TERMINAL, message=str(exc))
        except TrytonError as exc:  # the answer may have been lost after it was booked
            try:
                if _booked(client, item):
                    return Outcome(State.POSTED, target)
            except TrytonError as again:
                return Outcome(State.SENDING, message=f"{exc}; the lookup failed too: {again}")
            return Outcome(State.FAILED_RETRYABLE, message=str(exc))

    def _update_product(self, client: TrytonClient, item: Item) -> Outcome:
        """A product's template written as the accounting system's article has it (name, sales
        price). Idempotent: a lost answer is simply tried again."""
        try:
            client.execute(
                "product.template", "write", [int(item.payload["template_id"])],
                _template_values(item.payload["fields"]),
            )  # fmt: skip
            return Outcome(State.POSTED, f"product {item.payload['number']}")
        except TrytonCallFailed as exc:
            return Outcome(State.FAILED_TERMINAL, message=str(exc))
        except TrytonError as exc:
            return Outcome(State.FAILED_RETRYABLE, message=str(exc))

    def lookup(self, company: Company, items: list[Item]) -> dict[int, str]:
        try:
            client = self.client(company)
            found = {}
            for item in items:
                if item.operation == "update_party":
                    if _party_holds(client, int(item.payload["party_id"]), item.payload["fields"]):
                        found[item.item_id] = f"{item.payload['role']} {item.payload['number']}"
                elif item.operation == "update_product":
                    templates = client.search_read(
                        "product.template", [("id", "=", int(item.payload["template_id"]))],
                        ["name", "list_price"],
                    )  # fmt: skip
                    wanted = _template_values(item.payload["fields"])
                    if templates and all(templates[0].get(k) == v for k, v in wanted.items()):
                        found[item.item_id] = f"product {item.payload['number']}"
                elif _booked(client, item):
                    found[item.item_id] = f"invoice {item.payload['invoice_number']}"
            return found
        except TrytonError as exc:
            raise DestinationError(
                f"could not look up in Tryton what an interrupted push sent: {exc}",
                retryable=True,
            ) from exc


def _booked(client: TrytonClient, item: Item) -> bool:
    """Whether a move carrying the item's token is in Tryton."""
    return bool(client.search_ids("account.move", [("description", "like", f"%[{item.token}]")]))


def _run_pay_wizard(client: TrytonClient, item: Item, method_id: int) -> None:
    """The pay wizard as the client runs it: start (its defaults), our values, and for a
    part of what is due, the question it asks answered 'partial'."""
    payload = item.payload
    invoice_id = int(payload["erp_invoice_id"])
    context = {
        **client.context,
        "active_id": invoice_id,
        "active_ids": [invoice_id],
        "active_model": "account.invoice",
    }
    session = client.call(f"{WIZARD}.create", context)[0]
    try:
        shown = client.call(f"{WIZARD}.execute", session, {}, "start", context)
        start = {
            **_values(shown),
            "amount": Decimal(payload["amount"]),
            "description": f"{payload['text']} [{item.token}]",
            "payment_method": method_id,
            "date": date.fromisoformat(payload["date"]),
        }
        asked = client.call(f"{WIZARD}.execute", session, {"start": start}, "choice", context)
        if asked.get("view"):  # a part of what is due: pay that part, leave the rest open
            ask = {**_values(asked), "type": "partial"}
            client.call(f"{WIZARD}.execute", session, {"start": start, "ask": ask}, "pay", context)
    finally:
        client.call(f"{WIZARD}.delete", session, context)


def _values(answer: dict) -> dict:
    """A wizard view's default values, without the display names Tryton adds (``field.``)."""
    defaults = (answer.get("view") or {}).get("defaults") or {}
    return {k: v for k, v in defaults.items() if not k.endswith(".")}


ADDRESS_FIELDS = ("street", "postal_code", "city")


def _first_address(client: TrytonClient, party_id: int) -> list[int]:
    """The address the ERP's records show (its first active one, as staging reads it)."""
    return client.search_ids("party.address", [("party", "=", party_id), ("active", "=", True)])[:1]


def _write_party(client: TrytonClient, party_id: int, fields: dict) -> None:
    if "name" in fields:
        client.execute("party.party", "write", [party_id], {"name": fields["name"]})
    address = {name: fields[name] for name in ADDRESS_FIELDS if name in fields}
    if address:
        ids = _first_address(client, party_id)
        if ids:
            client.execute("party.address", "write", ids, address)
        else:
            client.execute("party.address", "create", [{"party": party_id, **address}])
    if "orgnr" in fields:
        ids = client.search_ids(
            "party.identifier", [("party", "=", party_id), ("type", "=", "se_orgnr")]
        )
        if ids:
            client.execute("party.identifier", "write", ids[:1], {"code": fields["orgnr"]})
        else:
            client.execute("party.identifier", "create", [
                {"party": party_id, "type": "se_orgnr", "code": fields["orgnr"]}])  # fmt: skip


def _party_holds(client: TrytonClient, party_id: int, fields: dict) -> bool:
    """Whether the ERP's party has these values."""
    parties = client.search_read("party.party", [("id", "=", party_id)], ["name"])
    if not parties:  # gone from the ERP: it does not hold the values
        return False
    if "name" in fields and parties[0]["name"] != fields["name"]:
        return False
    wanted = {name: fields[name] for name in ADDRESS_FIELDS if name in fields}
    if wanted:
        ids = _first_address(client, party_id)
        if not ids:
            return False
        [address] = client.search_read("party.address", [("id", "=", ids[0])], list(wanted)) or [{}]
        if any((address.get(name) or "") != (value or "") for name, value in wanted.items()):
            return False
    if "orgnr" in fields:
        codes = client.search_read(
            "party.identifier", [("party", "=", party_id), ("type", "=", "se_orgnr")], ["code"]
        )
        if not codes or _digits(codes[0]["code"]) != _digits(fields["orgnr"]):
            return False
    return True


def _digits(orgnr: str | None) -> str:
    """An organisation number as Tryton may store it (compacted) or a register writes it."""
    return re.sub(r"\D", "", orgnr or "")


def _template_values(fields: dict) -> dict:
    """A product template's values as Tryton takes them (the price a Decimal)."""
    return {
        name: Decimal(value) if name == "list_price" else value for name, value in fields.items()
    }
