"""Where outbox items are written. Each destination sends a company's items and, after an
interrupted send, looks them up in the target by the key token written into each of them."""

from __future__ import annotations

from ledgerbridge.config import Settings
from reverse_etl.destinations.base import Destination, DestinationError, Outcome
from reverse_etl.destinations.fortnox import FortnoxDestination
from reverse_etl.destinations.sie4i import Sie4iDestination
from reverse_etl.destinations.tryton import TrytonDestination

__all__ = ["Destination", "DestinationError", "Outcome", "destination_of", "make_destination"]

#: the destinations there are, by the name an item records
DESTINATIONS: dict[str, type[Destination]] = {
    "fortnox": FortnoxDestination,
    "sie4i": Sie4iDestination,
    "tryton": TrytonDestination,
}


def destination_of(settings: Settings, company_id: str) -> str:
    """Where a company's vouchers go: its Fortnox when its books are read from Fortnox, else
    a SIE 4I file, which every Swedish accounting program imports (decision 0029)."""
    company = settings.company(company_id)
    return "fortnox" if company.fortnox is not None else "sie4i"


def make_destination(name: str, **kwargs: object) -> Destination:
    return DESTINATIONS[name](**kwargs)
