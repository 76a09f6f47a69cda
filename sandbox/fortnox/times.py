"""Time in the sandbox: records are stamped in UTC, Fortnox's parameters speak Stockholm time.

Every record that can change (accounts, customers, suppliers, articles, invoices, supplier
invoices, payments) carries ``modified_at``, set on each create and update from the app's
clock, as UTC ISO 8601 with seconds and offset (``2025-03-03T09:15:00+00:00``): one fixed
shape, so that text order is time order and SQLite compares them as text.

Fortnox's ``lastmodified`` parameter is a local time without offset, ``YYYY-MM-DD HH:MM``, in
Fortnox's time zone, Europe/Stockholm (CET/CEST). It is read as such, turned into UTC, and a
list answers the records with ``modified_at`` strictly after it. A date alone means midnight;
a time with an explicit offset is taken as given. "Today" (an invoice's default date, the
financial year a request falls in) is the Stockholm date too.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, date, datetime
from zoneinfo import ZoneInfo

from werkzeug.wrappers import Request

from sandbox.fortnox.wire import INVALID, ApiError

STOCKHOLM = ZoneInfo("Europe/Stockholm")


def stamp(clock: Callable[[], float]) -> str:
    """The ``modified_at`` of a record changed now."""
    return utc_text(datetime.fromtimestamp(clock(), UTC))


def utc_text(moment: datetime) -> str:
    return moment.astimezone(UTC).isoformat(timespec="seconds")


def local_today(clock: Callable[[], float]) -> date:
    return datetime.fromtimestamp(clock(), STOCKHOLM).date()


def local_date(stamped: str) -> date:
    """The Stockholm date of a UTC stamp (a voucher's registration date in SIE)."""
    return datetime.fromisoformat(stamped).astimezone(STOCKHOLM).date()


def since(request: Request) -> str | None:
    """The ``lastmodified`` parameter as a UTC stamp to compare ``modified_at`` with."""
    given = request.args.get("lastmodified")
    if given is None or not given.strip():
        return None
    try:
        moment = datetime.fromisoformat(given.strip().replace(" ", "T", 1))
    except ValueError:
        raise ApiError(
            400, INVALID, f"lastmodified ({given}) ska skrivas ÅÅÅÅ-MM-DD TT:MM."
        ) from None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=STOCKHOLM)
    return utc_text(moment)
