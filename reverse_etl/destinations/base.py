"""What every destination offers the push engine."""

from __future__ import annotations

from typing import Protocol

from ledgerbridge.config import Company
from reverse_etl.outbox import Item


class DestinationError(Exception):
    """Sending failed. ``retryable``: a later push may succeed (the target was unreachable,
    a file could not be written); otherwise the target refused the item, and its message
    says why."""

    def __init__(self, message: str, *, retryable: bool) -> None:
        super().__init__(message)
        self.retryable = retryable


class Destination(Protocol):
    def send(self, company: Company, items: list[Item]) -> dict[int, str]:
        """Write the items; item_id → where the target keeps it. Raises DestinationError."""
        ...

    def lookup(self, company: Company, items: list[Item]) -> dict[int, str]:
        """Of items whose send was interrupted, those the target has: item_id → target id."""
        ...
