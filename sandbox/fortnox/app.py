"""A local server that behaves like the Fortnox API v3 where ledgerbridge depends on it.

What it holds to, as Fortnox documents it (each family of resources in a module of its own):
- oauth.py: the OAuth2 authorization-code flow, one-hour access tokens, single-use refresh
  tokens that rotate.
- 25 requests per 5-second sliding window per access token, then HTTP 429 (here).
- ledger.py, vouchers.py, rules.py: financial years, the chart per year, cost centres,
  projects, voucher series, the locked period; vouchers that can only be created, and only
  when they balance, fall inside a financial year and after the locked period, and book on
  active accounts whose cost-centre and project settings allow (or demand) the dimensions.
- registers.py: customers, suppliers and articles (list, read, create, update; articles also
  delete).
- invoices.py, supplier_invoices.py, payments.py: customer and supplier invoices with their
  rows and amounts, and their payments, which may not exceed what is left to pay.
- sie_export.py: ``/3/sie/4``, a financial year as a SIE 4E file in CP437.
- Lists paged with ``page`` and ``limit`` (at most 500) and a ``MetaInformation`` block;
  ``lastmodified`` read as Stockholm time (times.py); errors as the OpenAPI description's
  ``ErrorInformation`` with Swedish messages (wire.py).

It can be told to misbehave (``Faults``): a share of 500 answers, slow answers, and dropped
connections — before the request is carried out, or after it (the client never learns that
its POST was booked).
"""

from __future__ import annotations

import contextlib
import random
import socket
import threading
import time
from collections import deque
from collections.abc import Callable, Iterable
from dataclasses import dataclass

from werkzeug.exceptions import HTTPException, MethodNotAllowed, NotFound
from werkzeug.routing import Map
from werkzeug.wrappers import Request, Response

from sandbox.fortnox import (
    invoices,
    ledger,
    oauth,
    payments,
    registers,
    sie_export,
    supplier_invoices,
    vouchers,
)
from sandbox.fortnox.store import Store
from sandbox.fortnox.wire import (
    INTERNAL,
    INVALID,
    NOT_FOUND,
    RATE_LIMITED,
    UNAUTHORIZED,
    ApiError,
    Context,
    error_response,
)

RATE_LIMIT = 25
RATE_WINDOW = 5.0
ROUTED = (oauth, ledger, vouchers, registers, invoices, supplier_invoices, payments, sie_export)
#: Endpoints outside the API proper: no bearer token, no rate limit, no faults.
OPEN_ENDPOINTS = (oauth.authorize, oauth.token)


@dataclass
class Faults:
    """How the sandbox misbehaves, for tests. Of the API requests: ``error_rate`` are answered
    500; ``drop_rate`` have their connection closed before anything is done; ``drop_after_rate``
    are carried out and then have their connection closed instead of the answer. ``delay``
    seconds pass before each answer. ``seed`` makes the draws repeatable."""

    error_rate: float = 0.0
    delay: float = 0.0
    seed: int = 0
    drop_rate: float = 0.0
    drop_after_rate: float = 0.0


class _Dropped(Exception):
    """The connection is to be closed without an answer."""


class RateLimiter:
    """25 requests per sliding 5 seconds per token, as Fortnox counts them."""

    def __init__(self, clock: Callable[[], float]) -> None:
        self._clock = clock
        self._seen: dict[str, deque[float]] = {}
        self._lock = threading.Lock()

    def allow(self, token: str) -> bool:
        now = self._clock()
        with self._lock:
            seen = self._seen.setdefault(token, deque())
            while seen and seen[0] <= now - RATE_WINDOW:
                seen.popleft()
            if len(seen) >= RATE_LIMIT:
                return False
            seen.append(now)
            return True


class FortnoxSandbox:
    """The WSGI application."""

    def __init__(
        self,
        store: Store,
        *,
        faults: Faults | None = None,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.store = store
        self.faults = faults or Faults()
        self.clock = clock
        self.context = Context(store, clock)
        self.limiter = RateLimiter(clock)
        self._random = random.Random(self.faults.seed)
        self.requests = 0
        self.rate_limited = 0
        self.dropped = 0
        # a rule binds to one map: each app gets unbound copies of the modules' rules
        self.url_map = Map([rule.empty() for module in ROUTED for rule in module.ROUTES])

    # -- WSGI ---------------------------------------------------------------------------------
    def __call__(self, environ: dict, start_response: Callable) -> Iterable[bytes]:
        request = Request(environ)
        try:
            response = self.dispatch(request)
        except _Dropped:
            self.dropped += 1
            # werkzeug's server hands the connection's socket to the app: shut it so the client
            # reads end-of-stream where the status line should be, and tell the server the
            # connection is gone (it passes over ConnectionError without answering or logging)
            connection = environ.get("werkzeug.socket")
            if connection is not None:
                with contextlib.suppress(OSError):  # the client may have gone already
                    connection.shutdown(socket.SHUT_RDWR)
            raise ConnectionAbortedError("the Fortnox sandbox dropped the connection") from None
        return response(environ, start_response)

    def _chance(self, rate: float) -> bool:
        return bool(rate) and self._random.random() < rate

    def dispatch(self, request: Request) -> Response:
        adapter = self.url_map.bind_to_environ(request.environ)
        try:
            endpoint, values = adapter.match()
        except MethodNotAllowed:
            return error_response(405, INVALID, "Metoden stöds inte för den här resursen.")
        except NotFound:
            return error_response(404, NOT_FOUND, "Resursen finns inte.")
        except HTTPException as exc:  # pragma: no cover - werkzeug's other routing errors
            return error_response(exc.code or 400, INVALID, exc.description or "Felaktig begäran.")
        if endpoint in OPEN_ENDPOINTS:
            return endpoint(self.context, request)
        self.requests += 1
        if self.faults.delay:
            time.sleep(self.faults.delay)
        token = oauth.bearer(self.context, request)
        if token is None:
            return error_response(401, UNAUTHORIZED, "Ogiltig eller utgången åtkomsttoken.")
        if not self.limiter.allow(token):
            self.rate_limited += 1
            return error_response(429, RATE_LIMITED, "För många anrop: högst 25 per 5 sekunder.")
        if self._chance(self.faults.error_rate):
            return error_response(500, INTERNAL, "Internt fel.")
        if self._chance(self.faults.drop_rate):
            raise _Dropped
        try:
            response = endpoint(self.context, request, **values)
        except ApiError as exc:
            response = error_response(exc.status, exc.code, exc.message)
        if self._chance(self.faults.drop_after_rate):
            raise _Dropped
        return response
