"""What every resource of the sandbox shares: errors, JSON with Decimal amounts, paging, and
reading the fields of a request body.

Errors are the OpenAPI description's ``{"ErrorInformation": {"Error": 1, "Message": "...",
"Code": n}}`` with Swedish messages, as Fortnox's are. The codes are the sandbox's own, in
Fortnox's 2000000 range (Fortnox publishes no complete list).
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from decimal import Decimal, InvalidOperation
from typing import TYPE_CHECKING

from werkzeug.wrappers import Request, Response

if TYPE_CHECKING:
    import sqlite3

    from sandbox.fortnox.store import Store

MAX_LIMIT = 500
DEFAULT_LIMIT = 100
CENT = Decimal("0.01")

# the sandbox's error codes
INTERNAL = 2000000
INVALID = 2000106
UNAUTHORIZED = 2000311
RATE_LIMITED = 2000429
NOT_FOUND = 2000430
DUPLICATE = 2000431
IN_USE = 2000432
UNSUPPORTED = 2000433
NOT_BALANCED = 2000901
OUTSIDE_YEAR = 2000902
LOCKED_PERIOD = 2000903
ACCOUNT_UNKNOWN = 2000904
ACCOUNT_INACTIVE = 2000905
DIMENSION_REFUSED = 2000906
DIMENSION_MISSING = 2000907
VOUCHERS_IMMUTABLE = 2000908
BAD_LIMIT = 2000910
CUSTOMER_UNKNOWN = 2000920
SUPPLIER_UNKNOWN = 2000921
ARTICLE_UNKNOWN = 2000922
INVOICE_UNKNOWN = 2000923
INVOICE_CANCELLED = 2000924
PAYMENT_ABOVE_BALANCE = 2000925


class ApiError(Exception):
    def __init__(self, status: int, code: int, message: str) -> None:
        super().__init__(message)
        self.status, self.code, self.message = status, code, message


@dataclass
class Context:
    """What a resource handler works with: the books and the app's clock."""

    store: Store
    clock: Callable[[], float]


def dumps(body: object) -> bytes:
    """JSON with Decimal amounts written as JSON numbers, digit for digit (never floats)."""
    marked = json.dumps(body, ensure_ascii=False, default=lambda v: f"\x00{v}\x00")
    return re.sub(r'"\\u0000([-0-9.]+)\\u0000"', r"\1", marked).encode("utf-8")


def present(item: dict) -> dict:
    """The fields that have a value: Fortnox leaves an unset one out rather than null."""
    return {k: v for k, v in item.items() if v is not None}


def json_response(body: object, status: int = 200) -> Response:
    return Response(dumps(body), status=status, content_type="application/json")


def error_response(status: int, code: int, message: str) -> Response:
    body = {"ErrorInformation": {"Error": 1, "Message": message, "Code": code}}
    return json_response(body, status)


def money(text: str | None) -> Decimal | None:
    """A stored amount (kept as text) back as Decimal."""
    return None if text is None else Decimal(text)


def flag(value: int | None) -> bool | None:
    return None if value is None else bool(value)


# -- paging -----------------------------------------------------------------------------------
def page(
    request: Request,
    store: Store,
    key: str,
    sql: str,
    params: tuple | list | dict,
    render: Callable[[sqlite3.Row], dict],
) -> Response:
    """One page of ``sql`` (which must order its rows) with Fortnox's ``MetaInformation``.
    The page is cut in SQL: a list of 100,000 vouchers renders only the 500 asked for."""
    try:
        limit = int(request.args.get("limit", DEFAULT_LIMIT))
        number = int(request.args.get("page", 1))
    except ValueError:
        raise ApiError(400, BAD_LIMIT, "limit och page måste vara heltal.") from None
    if not 1 <= limit <= MAX_LIMIT or number < 1:
        raise ApiError(400, BAD_LIMIT, f"limit måste vara 1–{MAX_LIMIT} och page minst 1.")
    total = store.one(f"select count(*) from ({sql})", params)[0]
    offset = (number - 1) * limit
    if isinstance(params, dict):  # named parameters cannot be mixed with positional ones
        rows = store.rows(f"{sql} limit :_limit offset :_offset",
                          {**params, "_limit": limit, "_offset": offset})  # fmt: skip
    else:
        rows = store.rows(f"{sql} limit ? offset ?", (*params, limit, offset))
    return json_response(
        {
            "MetaInformation": {
                "@TotalResources": total,
                "@TotalPages": max(1, -(-total // limit)),
                "@CurrentPage": number,
            },
            key: [render(row) for row in rows],
        }
    )


# -- request bodies ---------------------------------------------------------------------------
def body_of(request: Request, wrap: str) -> dict:
    """The object a POST or PUT sends under ``wrap`` (``{"Customer": {...}}``), its numbers
    read as Decimal."""
    try:
        body = json.loads(request.get_data(as_text=True), parse_float=Decimal)
    except ValueError:
        raise ApiError(400, INVALID, "Begäran är inte giltig JSON.") from None
    inner = body.get(wrap) if isinstance(body, dict) else None
    if not isinstance(inner, dict):
        raise ApiError(400, INVALID, f"Begäran ska vara ett objekt under {wrap}.")
    return inner


def refuse_unknown(body: dict, known: set[str] | frozenset[str], where: str) -> None:
    """Fields the sandbox does not keep are refused by name: silently dropping them would let
    a client believe they were saved."""
    unknown = sorted(set(body) - set(known) - {"@url"})
    if unknown:
        raise ApiError(
            400, UNSUPPORTED, f"{where}: fältet {', '.join(unknown)} stöds inte av sandlådan."
        )


def text(body: dict, name: str, max_length: int | None = None) -> str | None:
    """A string field; an empty string clears it (None)."""
    value = body.get(name)
    if value is None:
        return None
    if not isinstance(value, str):
        raise ApiError(400, INVALID, f"{name} ska vara en textsträng.")
    value = value.strip()
    if max_length is not None and len(value) > max_length:
        raise ApiError(400, INVALID, f"{name} får vara högst {max_length} tecken.")
    return value or None


def boolean(body: dict, name: str) -> bool | None:
    value = body.get(name)
    if value is not None and not isinstance(value, bool):
        raise ApiError(400, INVALID, f"{name} ska vara true eller false.")
    return value


def number(body: dict, name: str, *, cents: bool = False) -> Decimal | None:
    """A JSON number (or a numeric string, as Fortnox's string-typed amounts are) as Decimal;
    ``cents``: an amount in whole öre."""
    value = body.get(name)
    if value is None or value == "":
        return None
    if isinstance(value, bool) or not isinstance(value, int | Decimal | str):
        raise ApiError(400, INVALID, f"{name} ska vara ett tal.")
    try:
        amount = Decimal(str(value).strip())
    except InvalidOperation:
        raise ApiError(400, INVALID, f"{name} ska vara ett tal, inte {value!r}.") from None
    if not amount.is_finite():
        raise ApiError(400, INVALID, f"{name} ska vara ett tal.")
    if cents:
        if amount != amount.quantize(CENT):
            raise ApiError(400, INVALID, f"{name} ska vara ett belopp i hela ören.")
        amount = amount.quantize(CENT)
    return amount


def integer(body: dict, name: str, low: int | None = None, high: int | None = None) -> int | None:
    value = body.get(name)
    if value is None or value == "":
        return None
    if isinstance(value, bool):
        raise ApiError(400, INVALID, f"{name} ska vara ett heltal.")
    try:
        whole = int(value) if not isinstance(value, Decimal) else int(value.to_integral_exact())
        if isinstance(value, Decimal) and value != whole:
            raise ValueError
    except (ValueError, TypeError, ArithmeticError):
        raise ApiError(400, INVALID, f"{name} ska vara ett heltal, inte {value!r}.") from None
    if (low is not None and whole < low) or (high is not None and whole > high):
        raise ApiError(400, INVALID, f"{name} ska ligga mellan {low} och {high}.")
    return whole


def day(body: dict, name: str) -> date | None:
    value = body.get(name)
    if value is None or value == "":
        return None
    try:
        return date.fromisoformat(str(value))
    except ValueError:
        raise ApiError(400, INVALID, f"{name} ska vara ett datum ÅÅÅÅ-MM-DD.") from None


def choice(body: dict, name: str, allowed: tuple[str, ...]) -> str | None:
    value = text(body, name)
    if value is not None and value not in allowed:
        raise ApiError(400, INVALID, f"{name} ska vara ett av {', '.join(allowed)}.")
    return value
