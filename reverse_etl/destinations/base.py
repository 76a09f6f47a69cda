"""What every destination offers the push engine."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Protocol

from ledgerbridge.config import Company
from reverse_etl.outbox import Item, State


class DestinationError(Exception):
    """Sending a batch failed before any of it was sent. ``retryable``: a later push may
    succeed (the target was unreachable, a file could not be written)."""

    def __init__(self, message: str, *, retryable: bool) -> None:
        super().__init__(message)
        self.retryable = retryable


@dataclass(frozen=True)
class Outcome:
    """What became of one item: POSTED (``target_id`` says where), FAILED_TERMINAL (the
    target refused it; ``message`` is the target's), FAILED_RETRYABLE, or SENDING when it is
    not known whether the target has it: the next push looks it up before sending again."""

    state: State
    target_id: str | None = None
    message: str | None = None


class Destination(Protocol):
    def send(self, company: Company, items: list[Item]) -> Iterator[tuple[Item, Outcome]]:
        """Write the items, yielding each one's outcome as soon as it is known (the engine
        records it before the next is sent). Raises DestinationError if nothing was sent."""
        ...

    def lookup(self, company: Company, items: list[Item]) -> dict[int, str]:
        """Of items whose send was interrupted, those the target has: item_id → target id."""
        ...
