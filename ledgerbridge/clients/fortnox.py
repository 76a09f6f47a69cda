"""A Fortnox API v3 client: OAuth2 tokens, the rate limit, paging, retries, clear errors.

- **Tokens.** An access token lives an hour; the client refreshes it shortly before its end,
  or once when Fortnox answers 401, through ``TokenStore`` (refresh tokens are single-use, so
  the new one is saved under a lock in the same transaction). The first pair comes from the
  one-time authorization step (``authorization_url`` then ``exchange_code``).
- **Rate limit.** Fortnox allows 25 requests per sliding 5 seconds per access token. The
  client keeps its own sliding window a little under that, so it runs close to the limit
  without meeting it; a 429 (another process on the same token) waits and sends again.
- **Retries.** Reads are sent again on 429, 5xx, dropped connections and timeouts, with
  exponential backoff. A write is sent again only when it surely was not carried out (429,
  a refused connection); otherwise ``FortnoxUncertain`` says it may have been.
- **Transport.** HTTPS with certificate checks for anything but localhost. Money arrives as
  JSON numbers and is read as ``Decimal`` (never float). Tokens and the client secret never
  appear in messages or logs.
"""

from __future__ import annotations

import base64
import json
import secrets
import threading
import time
from collections import deque
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from decimal import Decimal
from typing import Any
from urllib.parse import urlencode, urlsplit

import requests

from ledgerbridge.clients.fortnox_tokens import Tokens, TokenStore
from ledgerbridge.errors import LedgerbridgeError

API_URL = "https://api.fortnox.se"
AUTH_URL = "https://apps.fortnox.se/oauth-v1"
#: What ledgerbridge reads and (issue 7) writes back.
SCOPES = (
    "bookkeeping", "companyinformation", "costcenter", "customer", "supplier", "article",
    "invoice", "supplierinvoice", "payment", "project", "settings",
)  # fmt: skip
RATE_LIMIT = 25
RATE_WINDOW = 5.0
#: Added to the window: the server counts arrival times, a little later than send times.
WINDOW_MARGIN = 0.1
MAX_PAGE = 500
#: Seconds to wait for the token endpoint (a refresh holds state.sqlite's write lock, whose
#: other users wait up to 30 s).
TOKEN_TIMEOUT = 15.0
#: 429s met by one request before it gives up (about three minutes of waiting).
MAX_RATE_WAITS = 40
_LOCAL_HOSTS = {"localhost", "127.0.0.1", "::1"}
_RETRY_STATUS = {429, 500, 502, 503, 504}


class FortnoxError(LedgerbridgeError):
    code = "fortnox"


class FortnoxUnreachable(FortnoxError):
    code = "fortnox-unreachable"


class FortnoxNotAuthorized(FortnoxError):
    """No tokens, or Fortnox refused them: somebody must authorize the integration again."""

    code = "fortnox-authorization"


class FortnoxRefused(FortnoxError):
    """Fortnox answered with an error of its own (ErrorInformation)."""

    code = "fortnox-refused"

    def __init__(self, message: str, *, status: int, fortnox_code: int | None, **kw: Any):
        super().__init__(message, **kw)
        self.status = status
        self.fortnox_code = fortnox_code


class FortnoxBadResponse(FortnoxError):
    code = "fortnox-bad-response"


class FortnoxUncertain(FortnoxError):
    """A write whose answer was lost: it may or may not have been carried out."""

    code = "fortnox-uncertain"


def check_url(url: str, what: str = "Fortnox") -> str:
    """``url`` without its trailing slash, if it is HTTPS or on this machine."""
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise FortnoxError(f"{what} URL {url!r} is not an http(s) address")
    if parts.scheme != "https" and parts.hostname not in _LOCAL_HOSTS:
        raise FortnoxError(
            f"{what} URL {url} is not HTTPS: tokens would travel in clear text",
            hint="use https:// (plain http is accepted only for localhost, the sandbox)",
        )
    return url.rstrip("/")


class RateLimiter:
    """A sliding window of send times: at most ``limit`` in any ``window`` seconds."""

    def __init__(
        self,
        limit: int = RATE_LIMIT,
        window: float = RATE_WINDOW + WINDOW_MARGIN,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self.limit, self.window = limit, window
        self._clock, self._sleep = clock, sleep
        self._sent: deque[float] = deque()
        self._lock = threading.Lock()
        self.waited = 0.0

    def acquire(self) -> None:
        with self._lock:
            while True:
                now = self._clock()
                while self._sent and self._sent[0] <= now - self.window:
                    self._sent.popleft()
                if len(self._sent) < self.limit:
                    self._sent.append(now)
                    return
                pause = self._sent[0] + self.window - now
                self.waited += pause
                self._sleep(pause)


@dataclass
class Stats:
    """What a client did, for progress, benchmarks and tests."""

    requests: int = 0
    rate_limited: int = 0
    retried: int = 0
    refreshed: int = 0
    failed: int = 0


class FortnoxClient:
    def __init__(
        self,
        tokens: TokenStore,
        client_id: str,
        client_secret: str,
        *,
        api_url: str = API_URL,
        auth_url: str = AUTH_URL,
        timeout: float = 60.0,
        retries: int = 6,
        backoff: float = 0.25,
        limiter: RateLimiter | None = None,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.api_url = check_url(api_url)
        self.auth_url = check_url(auth_url, "Fortnox authorization")
        self.tokens = tokens
        self.client_id = client_id
        self._secret = client_secret
        self.timeout, self.retries, self.backoff = timeout, retries, backoff
        self.limiter = limiter or RateLimiter()
        self.clock = clock
        self.stats = Stats()
        self._http = requests.Session()
        self._current: Tokens | None = None

    def __repr__(self) -> str:
        return f"FortnoxClient({self.api_url}, company={self.tokens.company_id})"

    # -- authorization -----------------------------------------------------------------------
    def authorization_url(self, redirect_uri: str, state: str | None = None) -> tuple[str, str]:
        """Where the company's administrator approves the integration, and the ``state``
        that comes back with the code."""
        state = state or secrets.token_urlsafe(16)
        query = urlencode({
            "client_id": self.client_id, "redirect_uri": redirect_uri,
            "scope": " ".join(SCOPES), "state": state, "access_type": "offline",
            "response_type": "code", "account_type": "service",
        })  # fmt: skip
        return f"{self.auth_url}/auth?{query}", state

    def exchange_code(self, code: str, redirect_uri: str) -> Tokens:
        """The one-time step: trade the authorization code for the first pair, and keep it."""
        tokens = self._token_call(
            {"grant_type": "authorization_code", "code": code, "redirect_uri": redirect_uri}
        )
        self.tokens.save(tokens)
        self._current = tokens
        return tokens

    def _token_call(self, form: dict) -> Tokens:
        """One call to the token endpoint. Never retried, and its answers never quoted: a
        refresh that was carried out has spent the old refresh token, and its answer holds
        the new one."""
        basic = base64.b64encode(f"{self.client_id}:{self._secret}".encode()).decode()
        again = f"ledgerbridge fortnox authorize --company {self.tokens.company_id}"
        refreshing = form["grant_type"] == "refresh_token"
        try:
            response = self._http.post(
                f"{self.auth_url}/token",
                data=form,
                headers={"Authorization": f"Basic {basic}"},
                # short: a refresh holds state.sqlite's write lock while it waits
                timeout=TOKEN_TIMEOUT,
            )
        except requests.RequestException as exc:
            raise FortnoxUnreachable(
                f"Fortnox's token endpoint {self.auth_url}/token did not answer: {_reason(exc)}",
                hint=(
                    "try again; if Fortnox carried out the refresh before the answer was "
                    f"lost, the saved refresh token is spent and the next run says so: then "
                    f"run `{again}`"
                )
                if refreshing
                else None,
            ) from None
        status = response.status_code
        if status == 429 or status >= 500:
            raise FortnoxUnreachable(
                f"Fortnox's token endpoint answered HTTP {status}",
                hint="Fortnox is busy or down: try again later (nothing needs authorizing)",
            )
        if status != 200:
            reason = _oauth_error(response)
            if status == 401 or reason == "invalid_client":
                raise FortnoxNotAuthorized(
                    f"Fortnox refused the client id/secret of the integration ({reason})",
                    hint="check client_id and the client secret's environment variable",
                )
            if refreshing:
                raise FortnoxNotAuthorized(
                    f"Fortnox refused the saved refresh token ({reason})",
                    hint="a refresh token is single-use and lives 45 days unused; connect the "
                    f"company again: `{again}`",
                )
            raise FortnoxNotAuthorized(
                f"Fortnox refused the authorization code ({reason})",
                hint="a code is good once and for 10 minutes, with the redirect_uri it was "
                f"asked with; approve again and pass the new address: `{again}`",
            )
        try:
            body = _parse_json(response, "POST", "/oauth-v1/token", quote=False)
            return Tokens(
                access_token=str(body["access_token"]),
                refresh_token=str(body["refresh_token"]),
                expires_at=self.clock() + float(body.get("expires_in", 3600)),
                scope=str(body.get("scope", "")),
            )
        except (FortnoxBadResponse, KeyError, TypeError, ValueError):
            raise FortnoxNotAuthorized(
                f"Fortnox's token endpoint {self.auth_url}/token answered without a readable "
                "access_token and refresh_token",
                hint=f"if the next run is refused too, connect the company again: `{again}`",
            ) from None

    def _access(self, stale: str | None = None) -> str:
        """An access token to send: the held one while fresh, else a refreshed one."""
        if stale is None:
            if self._current is None:
                self._current = self.tokens.load()
            if self._current is not None and self._current.fresh(self.clock()):
                return self._current.access_token
            stale = self._current.access_token if self._current else None
        new = self.tokens.refresh(stale, self._refreshed)
        if new is None:
            raise FortnoxNotAuthorized(
                f"company '{self.tokens.company_id}' has not authorized ledgerbridge in Fortnox",
                hint="run `ledgerbridge fortnox authorize --company "
                f"{self.tokens.company_id}` once (see the README, 'Connecting Fortnox')",
            )
        # the window stays as it is: Fortnox counts per integration and company, not per token
        self._current = new
        return new.access_token

    def _refreshed(self, refresh_token: str) -> Tokens:
        self.stats.refreshed += 1
        return self._token_call({"grant_type": "refresh_token", "refresh_token": refresh_token})

    # -- requests ----------------------------------------------------------------------------
    def request(
        self, method: str, path: str, *, params: dict | None = None, body: Any = None
    ) -> requests.Response:
        """One API call, with the limiter, one refresh on 401, and retries where safe.
        ``path`` is under /3/ (e.g. ``/3/vouchers``). Answers the 2xx response."""
        read = method == "GET"
        where = f"{method} {path}" + (f"?{urlencode(params)}" if params else "")
        data = _dumps(body) if body is not None else None
        refreshed_after_401 = False
        failures = waits = 0
        access = self._access()
        while True:
            self.limiter.acquire()
            self.stats.requests += 1
            headers = {"Authorization": f"Bearer {access}", "Accept": "application/json"}
            if data is not None:
                headers["Content-Type"] = "application/json"
            try:
                response = self._http.request(
                    method, self.api_url + path, params=params, data=data, headers=headers,
                    timeout=self.timeout,
                )  # fmt: skip
            except requests.RequestException as exc:
                sent_nothing = isinstance(exc, requests.ConnectTimeout) or (
                    "refused" in str(exc).lower()
                )
                if not read and not sent_nothing:
                    self.stats.failed += 1
                    raise FortnoxUncertain(
                        f"the answer to {where} was lost ({_reason(exc)}): Fortnox may or may "
                        "not have carried it out",
                        hint="look it up in Fortnox before sending it again",
                    ) from None
                problem: FortnoxError = FortnoxUnreachable(
                    f"Fortnox at {self.api_url} did not answer {where}: {_reason(exc)}",
                    hint="check the network and api_url; for the sandbox, `ledgerbridge "
                    "sandbox up`",
                )
            else:
                status = response.status_code
                if status < 400:
                    return response
                if status == 401 and not refreshed_after_401:
                    # expired early or revoked: one refresh, then the same request again
                    refreshed_after_401 = True
                    access = self._access(stale=access)
                    continue
                if status == 429:
                    # somebody else spends this token's budget too (Fortnox counts per
                    # token): wait for the window to move, without giving up early
                    self.stats.rate_limited += 1
                    waits += 1
                    if waits <= MAX_RATE_WAITS:
                        self.stats.retried += 1
                        time.sleep(min(RATE_WINDOW, 0.5 * waits))
                        continue
                if status not in _RETRY_STATUS or (not read and status not in (429, 503)):
                    self.stats.failed += 1
                    raise self._refusal(response, where)
                problem = FortnoxUnreachable(f"Fortnox answered {status} to {where}")
            failures += 1
            if failures > self.retries:
                self.stats.failed += 1
                raise problem
            self.stats.retried += 1
            time.sleep(min(8.0, self.backoff * 2 ** (failures - 1)))

    def _refusal(self, response: requests.Response, where: str) -> FortnoxError:
        status = response.status_code
        message, code = _error_information(response)
        if status == 401:
            return FortnoxNotAuthorized(
                f"Fortnox refused the access token for {where}"
                + (f": {message}" if message else ""),
                hint="connect the company again: `ledgerbridge fortnox authorize --company "
                f"{self.tokens.company_id}`",
            )
        if status == 403:
            return FortnoxNotAuthorized(
                f"Fortnox denied {where}" + (f": {message}" if message else ""),
                hint="the integration lacks a scope, or the company's licence lacks the "
                "module; add the scopes the README lists and connect again: `ledgerbridge "
                f"fortnox authorize --company {self.tokens.company_id}`",
            )
        text = message or response.text[:200].strip() or response.reason
        return FortnoxRefused(
            f"Fortnox refused {where} (HTTP {status}"
            + (f", code {code}" if code is not None else "")
            + f"): {text}",
            status=status,
            fortnox_code=code,
        )

    def get(self, path: str, params: dict | None = None) -> dict:
        return _parse_json(self.request("GET", path, params=params), "GET", path)

    def post(self, path: str, body: Any) -> dict:
        return _parse_json(self.request("POST", path, body=body), "POST", path)

    def put(self, path: str, body: Any = None) -> dict:
        return _parse_json(self.request("PUT", path, body=body), "PUT", path)

    def get_bytes(self, path: str, params: dict | None = None) -> bytes:
        return self.request("GET", path, params=params).content

    def pages(self, path: str, key: str, params: dict | None = None) -> Iterator[list[dict]]:
        """Every page of a list resource (``key``: the list's name in the answer, e.g.
        ``Customers``), ``MAX_PAGE`` items at a time."""
        page = 1
        while True:
            body = self.get(path, {**(params or {}), "limit": MAX_PAGE, "page": page})
            items = body.get(key)
            if not isinstance(items, list):
                raise FortnoxBadResponse(
                    f"Fortnox answered GET {path} (page {page}) without a '{key}' list"
                )
            yield items
            meta = body.get("MetaInformation") or {}
            total = int(meta.get("@TotalPages", 1) or 1)
            if page >= total or not items:
                return
            page += 1


def _dumps(body: Any) -> bytes:
    """JSON with Decimal written digit for digit as a JSON number."""
    marked = json.dumps(body, ensure_ascii=False, default=_marked)
    return marked.replace('"\\u0000', "").replace('\\u0000"', "").encode("utf-8")


def _marked(value: Any) -> str:
    if isinstance(value, Decimal):
        return f"\x00{value}\x00"
    raise TypeError(f"cannot send {type(value).__name__} to Fortnox")


def _parse_json(response: requests.Response, method: str, path: str, *, quote: bool = True) -> dict:
    """The JSON object of an answer; ``quote``: an error may show how the answer begins."""
    try:
        body = json.loads(response.content, parse_float=Decimal)
    except (ValueError, UnicodeDecodeError) as exc:
        detail = (
            f"{exc.msg} at line {exc.lineno} column {exc.colno}"
            if isinstance(exc, json.JSONDecodeError)
            else str(exc)
        )
        start = response.content[:60].decode("utf-8", "replace")
        raise FortnoxBadResponse(
            f"Fortnox at {urlsplit(response.url).netloc} answered {method} {path} "
            f"(HTTP {response.status_code}) with malformed JSON: {detail}"
            + (f"; it begins {start!r}" if quote else ""),
            hint="nothing of this run was loaded; try again, and report it to Fortnox if it "
            "persists",
        ) from None
    if not isinstance(body, dict):
        raise FortnoxBadResponse(f"Fortnox answered {method} {path} with JSON that is no object")
    return body


def _error_information(response: requests.Response) -> tuple[str | None, int | None]:
    """Fortnox's ErrorInformation (its keys come capitalised or not, depending on the
    endpoint)."""
    try:
        body = json.loads(response.content)
        info = {k.lower(): v for k, v in body["ErrorInformation"].items()}
    except (ValueError, KeyError, TypeError, AttributeError):
        return None, None
    code = info.get("code")
    return (str(info.get("message") or "") or None, int(code) if str(code).isdigit() else None)


def _oauth_error(response: requests.Response) -> str:
    try:
        body = response.json()
        return str(body.get("error_description") or body.get("error") or response.status_code)
    except ValueError:
        return f"HTTP {response.status_code}"


def _reason(exc: requests.RequestException) -> str:
    if isinstance(exc, requests.Timeout):
        return "timed out"
    text = str(exc)
    for known in ("Connection refused", "Name or service not known", "Connection aborted",
                  "Connection reset", "RemoteDisconnected", "IncompleteRead"):  # fmt: skip
        if known in text:
            return known.lower()
    return type(exc).__name__
