"""Where outbox items are written. Each destination sends a company's items and, after an
interrupted send, looks them up in the target by the key token written into each of them."""

from __future__ import annotations

from ledgerbridge.config import Settings
from reverse_etl.destinations.base import Destination, DestinationError
from reverse_etl.destinations.sie4i import Sie4iDestination

__all__ = ["Destination", "DestinationError", "destination_of", "make_destination"]

#: the destinations there are, by the name an item records
DESTINATIONS: dict[str, type[Destination]] = {"sie4i": Sie4iDestination}


def destination_of(settings: Settings, company_id: str) -> str:
    """Where a company's vouchers go. A SIE 4I file for now: every Swedish accounting program
    (Fortnox, Visma, …) imports one (decision 0029)."""
    settings.company(company_id)  # a company the configuration no longer has is an error
    return "sie4i"


def make_destination(name: str, **kwargs: object) -> Destination:
    return DESTINATIONS[name](**kwargs)
