"""A Tryton client over JSON-RPC: login, sessions, retries, and paging by modification time.

Tryton serves JSON-RPC at ``<url>/<database>/rpc/``; ``common.db.login`` returns a user id
and a session key, sent back with every call as ``Authorization: Session
base64(login:user_id:session)``. Values that JSON lacks travel as objects with a ``__class__``
(``datetime``, ``date``, ``Decimal``, …), decoded here into Python's own types, so money stays
``Decimal``.

Errors are the user's to act on and say which: the server cannot be reached, the login is
refused, the database or a model does not exist (a module not activated), a call timed out.
Transient failures (connection reset, 502/503/504, 429, timeouts) are retried with
exponential backoff before they become errors.
"""

from __future__ import annotations

import base64
import time
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from email.utils import parsedate_to_datetime
from typing import Any

import requests

from ledgerbridge.errors import LedgerbridgeError

#: Where the models the connector reads come from, for the "activate module X" hint.
MODULE_OF = {
    "sale.sale": "sale",
    "sale.line": "sale",
    "purchase.purchase": "purchase",
    "purchase.line": "purchase",
    "stock.move": "stock",
    "stock.location": "stock",
    "stock.shipment.out": "stock",
    "stock.shipment.in": "stock",
    "stock.shipment.internal": "stock",
    "account.invoice": "account_invoice",
    "account.invoice.line": "account_invoice",
    "account.invoice.payment_term": "account_invoice",
    "analytic_account.account": "analytic_account",
    "analytic_account.line": "analytic_account",
    "analytic_account.entry": "analytic_account",
    "project.work": "project",
    "product.product": "product",
    "product.template": "product",
    "party.party": "party",
    "party.address": "party",
    "account.move.line": "account",
}
_RETRY_STATUS = {429, 502, 503, 504}


class TrytonError(LedgerbridgeError):
    code = "tryton"


class TrytonUnreachable(TrytonError):
    code = "tryton-unreachable"


class TrytonLoginRefused(TrytonError):
    code = "tryton-login"


class TrytonNoDatabase(TrytonError):
    code = "tryton-database"


class TrytonModelMissing(TrytonError):
    code = "tryton-model-missing"


class TrytonCallFailed(TrytonError):
    """Tryton answered with an error (a user error, access denied, a bad domain)."""

    code = "tryton-call"


@dataclass(frozen=True)
class Cursor:
    """Where a read by modification time got to: the last (timestamp, id) seen."""

    timestamp: datetime
    id: int


def _decode(value: dict) -> Any:
    kind = value.get("__class__")
    if kind == "datetime":
        return datetime(
            value["year"], value["month"], value["day"], value.get("hour", 0),
            value.get("minute", 0), value.get("second", 0), value.get("microsecond", 0),
        )  # fmt: skip
    if kind == "date":
        return date(value["year"], value["month"], value["day"])
    if kind == "Decimal":
        return Decimal(value["decimal"])
    if kind == "timedelta":
        return timedelta(seconds=value["seconds"])
    if kind == "bytes":
        return base64.b64decode(value["base64"])
    return value


def _encode(value: Any) -> Any:
    if isinstance(value, datetime):
        return {
            "__class__": "datetime", "year": value.year, "month": value.month,
            "day": value.day, "hour": value.hour, "minute": value.minute,
            "second": value.second, "microsecond": value.microsecond,
        }  # fmt: skip
    if isinstance(value, date):
        return {"__class__": "date", "year": value.year, "month": value.month, "day": value.day}
    if isinstance(value, Decimal):
        return {"__class__": "Decimal", "decimal": str(value)}
    if isinstance(value, list | tuple):
        return [_encode(v) for v in value]
    if isinstance(value, dict):
        return {k: _encode(v) for k, v in value.items()}
    return value


class TrytonClient:
    def __init__(
        self,
        url: str,
        database: str,
        user: str,
        password: str,
        *,
        timeout: float = 60,
        retries: int = 4,
        backoff: float = 0.5,
    ) -> None:
        self.base = url.rstrip("/") + "/"
        self.database = database
        self.user = user
        self._password = password
        self.timeout = timeout
        self.retries = retries
        self.backoff = backoff
        self._http = requests.Session()
        self._authorization: str | None = None
        self._context: dict = {}
        self._id = 0
        #: Calls and records fetched so far, for progress and for tests of incremental reads.
        self.requests = 0
        self.records_fetched = 0
        #: The server's clock at its latest answer (HTTP Date, whole seconds, naive UTC as
        #: Tryton's timestamps), or None if it sends none.
        self.server_time: datetime | None = None

    @property
    def rpc_url(self) -> str:
        return f"{self.base}{self.database}/rpc/"

    # -- transport ---------------------------------------------------------------------------
    def _post(self, url: str, method: str, params: Sequence, auth: bool) -> Any:
        self._id += 1
        body = {"id": self._id, "method": method, "params": _encode(list(params))}
        headers = {"Content-Type": "application/json"}
        if auth and self._authorization:
            headers["Authorization"] = self._authorization
        attempt = 0
        while True:
            attempt += 1
            self.requests += 1
            # a call that changes data may have been carried out when the answer was lost:
            # only reads are sent again then (a refused connection or a 429/502/503/504
            # answer means nothing was done, so anything is)
            maybe_done = False
            try:
                response = self._http.post(url, json=body, headers=headers, timeout=self.timeout)
            except requests.Timeout as exc:
                problem: TrytonError = TrytonUnreachable(
                    f"Tryton at {self.base} did not answer {method} within {self.timeout:.0f} s",
                    hint="the server may be overloaded; try again, or raise the timeout",
                )
                maybe_done = not isinstance(exc, requests.ConnectTimeout)
            except requests.ConnectionError as exc:
                problem = TrytonUnreachable(
                    f"cannot reach Tryton at {self.base}: {_reason(exc)}",
                    hint="is the server running and the URL right? For the sandbox ERP: "
                    "`ledgerbridge sandbox up`",
                )
                maybe_done = "refused" not in str(exc).lower()
            else:
                if response.status_code not in _RETRY_STATUS:
                    return self._answer(response, method)
                problem = TrytonUnreachable(
                    f"Tryton at {self.base} answered {response.status_code} to {method}"
                )
            if attempt > self.retries or (maybe_done and not _is_read(method)):
                raise problem
            time.sleep(self.backoff * 2 ** (attempt - 1))

    def _answer(self, response: requests.Response, method: str) -> Any:
        self.server_time = _server_time(response) or self.server_time
        status = response.status_code
        if status == 401:
            raise TrytonLoginRefused(
                f"Tryton refused the login of user '{self.user}' on database "
                f"'{self.database}' at {self.base}",
                hint="check the user and password (the sandbox's are in sandbox.json)",
            )
        if status == 403:
            raise TrytonCallFailed(f"user '{self.user}' may not call {method}")
        if status == 404:
            raise TrytonNoDatabase(
                f"Tryton at {self.base} has no database '{self.database}'",
                hint="check the database name; `trytond-admin --help` creates one",
            )
        if status != 200:
            raise TrytonCallFailed(f"Tryton answered HTTP {status} to {method}")
        try:
            payload = response.json(object_hook=_decode)
        except ValueError:
            raise TrytonCallFailed(
                f"{self.base} answered {method} with something that is not JSON-RPC: "
                "is this a Tryton server?"
            ) from None
        if payload.get("error"):
            raise self._error(method, payload["error"])
        return payload.get("result")

    def _error(self, method: str, error: Any) -> TrytonError:
        message = error[0] if isinstance(error, list) and error else str(error)
        detail = error[1] if isinstance(error, list) and len(error) > 1 else ""
        if isinstance(detail, list) and detail:  # ["UserError", [message, description, …]]
            kind, message = message, str(detail[0])
            detail = str(detail[1]) if len(detail) > 1 and detail[1] else ""
            del kind  # UserError, UserWarning, …: Tryton's message says what is wrong
        if method.startswith("model."):
            model = method[len("model.") :].rsplit(".", 1)[0]
            if message == repr(model):  # the pool's KeyError: no such model in this database
                module = MODULE_OF.get(model) or _module_guess(model)
                return TrytonModelMissing(
                    f"Tryton database '{self.database}' has no model {model}",
                    hint=f"activate the Tryton module '{module}' "
                    f"(trytond-admin -d {self.database} -u {module} --activate-dependencies)",
                )
        text = f"{message}: {detail}" if isinstance(detail, str) and detail else str(message)
        return TrytonCallFailed(f"Tryton refused {method}: {text}")

    # -- sessions ----------------------------------------------------------------------------
    def login(self) -> None:
        result = self._post(
            self.rpc_url, "common.db.login", [self.user, {"password": self._password}], False
        )
        if not result:
            raise TrytonLoginRefused(f"Tryton refused the login of user '{self.user}'")
        user_id, session = result[0], result[1]
        token = f"{self.user}:{user_id}:{session}".encode()
        self._authorization = "Session " + base64.b64encode(token).decode()
        # the user's company, language and so on travel as the context of every call, as
        # Tryton's own client sends them (rules such as "user in companies" depend on them)
        self._context = (
            self._post(self.rpc_url, "model.res.user.get_preferences", [True, {}], True) or {}
        )

    def call(self, method: str, *params: Any) -> Any:
        """A JSON-RPC call with the session; logs in first, and again once if the session
        expired."""
        if self._authorization is None:
            self.login()
        try:
            return self._post(self.rpc_url, method, params, True)
        except TrytonLoginRefused:
            self.login()
            return self._post(self.rpc_url, method, params, True)

    def execute(self, model: str, method: str, *args: Any, context: dict | None = None) -> Any:
        if self._authorization is None:
            self.login()
        return self.call(f"model.{model}.{method}", *args, {**self._context, **(context or {})})

    @property
    def context(self) -> dict:
        """The user's context (language, company, …) Tryton gave at login; wizards need it."""
        if self._authorization is None:
            self.login()
        return dict(self._context)

    def version(self) -> str:
        return self._post(f"{self.base}rpc/", "common.server.version", [], False)

    # -- reading -----------------------------------------------------------------------------
    def search_read(
        self,
        model: str,
        domain: list,
        fields: Sequence[str],
        *,
        order: Sequence[tuple[str, str]] | None = None,
        limit: int | None = None,
        offset: int = 0,
        context: dict | None = None,
    ) -> list[dict]:
        records = self.execute(
            model,
            "search_read",
            domain,
            offset,
            limit,
            [list(o) for o in order] if order else None,
            list(fields),
            context=context,
        )
        self.records_fetched += len(records)
        return records

    def search_ids(self, model: str, domain: list, context: dict | None = None) -> list[int]:
        return self.execute(model, "search", domain, 0, None, [["id", "ASC"]], context=context)

    def changed_since(
        self,
        model: str,
        fields: Sequence[str],
        since: datetime | None,
        *,
        created_since: datetime | None = None,
        page_size: int = 1000,
        domain: list | None = None,
        context: dict | None = None,
    ) -> Iterator[list[dict]]:
        """Pages of the records modified after ``since`` and of those never modified that
        were created after ``created_since`` (default: ``since``); all when None. Each record
        has ``_modified`` = write_date or, for a record never modified, create_date.

        Paging is keyset on (timestamp, id), not by offset, so records that change while the
        read runs can neither be skipped nor shift the pages. Tryton leaves write_date empty
        until a record is first modified, so two passes: modified records by write_date,
        then never-modified ones by create_date. "After" is strict: every record a
        transaction writes carries that transaction's one timestamp and they become visible
        together, so nothing at ``since`` itself can still be unseen (a caller worried about
        transactions that commit late reads from a little before its last mark).
        """
        wanted = sorted({*fields, "id", "write_date", "create_date"})
        base = list(domain or [])
        if created_since is None:
            created_since = since
        for column, extra, after_mark in (
            ("write_date", [("write_date", "!=", None)], since),
            ("create_date", [("write_date", "=", None)], created_since),
        ):
            after: Cursor | None = None
            while True:
                clauses = [*base, *extra]
                if after_mark is not None:
                    clauses.append((column, ">", after_mark))
                if after is not None:
                    clauses.append(
                        [
                            "OR",
                            (column, ">", after.timestamp),
                            [(column, "=", after.timestamp), ("id", ">", after.id)],
                        ]
                    )
                page = self.search_read(
                    model,
                    [list(c) if isinstance(c, tuple) else c for c in clauses],
                    wanted,
                    order=[(column, "ASC"), ("id", "ASC")],
                    limit=page_size,
                    context=context,
                )
                for record in page:
                    record["_modified"] = record[column]
                if page:
                    yield page
                if len(page) < page_size:
                    break
                after = Cursor(page[-1][column], page[-1]["id"])


def _server_time(response: requests.Response) -> datetime | None:
    try:
        sent = parsedate_to_datetime(response.headers["Date"])
    except (KeyError, TypeError, ValueError):
        return None
    if sent.tzinfo is None:
        return sent
    return sent.astimezone(UTC).replace(tzinfo=None)


_READS = ("search", "search_read", "search_count", "read", "get_preferences", "fields_get")


def _is_read(method: str) -> bool:
    return method.startswith("common.") or method.rsplit(".", 1)[-1] in _READS


def _module_guess(model: str) -> str:
    """Tryton names a module's main model after it: sale.subscription → sale_subscription."""
    parts = model.split(".")
    return parts[0] if len(parts) < 2 or parts[1] == parts[0] else f"{parts[0]}_{parts[1]}"


def _reason(exc: requests.ConnectionError) -> str:
    text = str(exc)
    for known in ("Connection refused", "Name or service not known", "timed out"):
        if known in text:
            return known.lower()
    return text.split(":")[-1].strip(" )'\"") or "connection failed"
