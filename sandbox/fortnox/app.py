"""A local server that behaves like the Fortnox API v3 where ledgerbridge depends on it.

What it holds to, as Fortnox documents it:
- OAuth2 authorization-code flow: ``/oauth-v1/auth`` (the sandbox consents at once and
  redirects with a code), ``/oauth-v1/token`` with the client's Basic credentials; access
  tokens live one hour; refresh tokens are single-use and rotate: each refresh answers a new
  one and the old one is refused from then on.
- 25 requests per 5-second sliding window per access token, then HTTP 429.
- Lists paged with ``page`` and ``limit`` (at most 500) and a ``MetaInformation`` block.
- Vouchers can only be created (POST): never changed or deleted. One is refused unless it
  balances, is dated inside a financial year and after the locked period, and books on active
  accounts whose cost-centre and project settings allow (or demand) the dimensions given.
- Errors as ``{"ErrorInformation": {"Error": 1, "Message": "...", "Code": n}}`` (the
  OpenAPI description's shape), messages in Swedish as Fortnox's are. The codes are the
  sandbox's own, in Fortnox's 2000000 range.

It can be told to misbehave (``Faults``): a share of 500 answers, slow answers.
"""

from __future__ import annotations

import base64
import json
import random
import re
import secrets
import threading
import time
from collections import deque
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import UTC, date, datetime
from decimal import Decimal, InvalidOperation
from urllib.parse import urlencode

from werkzeug.exceptions import HTTPException, MethodNotAllowed, NotFound
from werkzeug.routing import Map, Rule
from werkzeug.wrappers import Request, Response

from sandbox.fortnox.store import Store

ACCESS_SECONDS = 3600
REFRESH_SECONDS = 45 * 24 * 3600
CODE_SECONDS = 600
RATE_LIMIT = 25
RATE_WINDOW = 5.0
MAX_LIMIT = 500
DEFAULT_LIMIT = 100

# the sandbox's error codes
UNAUTHORIZED = 2000311
RATE_LIMITED = 2000429
INVALID = 2000106
NOT_FOUND = 2000430
NOT_BALANCED = 2000901
OUTSIDE_YEAR = 2000902
LOCKED_PERIOD = 2000903
ACCOUNT_UNKNOWN = 2000904
ACCOUNT_INACTIVE = 2000905
DIMENSION_REFUSED = 2000906
DIMENSION_MISSING = 2000907
VOUCHERS_IMMUTABLE = 2000908
BAD_LIMIT = 2000910


class ApiError(Exception):
    def __init__(self, status: int, code: int, message: str) -> None:
        super().__init__(message)
        self.status, self.code, self.message = status, code, message


@dataclass
class Faults:
    """How the sandbox misbehaves, for tests: ``error_rate`` of API answers are 500s,
    ``delay`` seconds before each answer."""

    error_rate: float = 0.0
    delay: float = 0.0
    seed: int = 0


def _dumps(body: object) -> bytes:
    """JSON with Decimal amounts written as JSON numbers, digit for digit (never floats)."""
    marked = json.dumps(body, ensure_ascii=False, default=lambda v: f"\x00{v}\x00")
    return re.sub(r'"\\u0000([-0-9.]+)\\u0000"', r"\1", marked).encode("utf-8")


def _present(item: dict) -> dict:
    """The fields that have a value: Fortnox leaves an unset one out rather than null."""
    return {k: v for k, v in item.items() if v is not None}


def _json(body: object, status: int = 200) -> Response:
    return Response(_dumps(body), status=status, content_type="application/json")


def _error(status: int, code: int, message: str) -> Response:
    return _json({"ErrorInformation": {"Error": 1, "Message": message, "Code": code}}, status)


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
        self.limiter = RateLimiter(clock)
        self._random = random.Random(self.faults.seed)
        self.requests = 0
        self.rate_limited = 0
        self.url_map = Map(
            [
                Rule("/oauth-v1/auth", endpoint="authorize", methods=["GET"]),
                Rule("/oauth-v1/token", endpoint="token", methods=["POST"]),
                Rule("/3/financialyears", endpoint="financial_years", methods=["GET"]),
                Rule("/3/accounts", endpoint="accounts", methods=["GET"]),
                Rule("/3/costcenters", endpoint="cost_centers", methods=["GET"]),
                Rule("/3/projects", endpoint="projects", methods=["GET"]),
                Rule("/3/voucherseries", endpoint="voucher_series", methods=["GET"]),
                Rule("/3/settings/lockedperiod", endpoint="locked_period", methods=["GET"]),
                Rule("/3/vouchers", endpoint="vouchers", methods=["GET", "POST"]),
                Rule(
                    "/3/vouchers/<series>/<int:number>",
                    endpoint="voucher",
                    methods=["GET", "PUT", "DELETE"],
                ),
            ]
        )

    # -- WSGI ---------------------------------------------------------------------------------
    def __call__(self, environ: dict, start_response: Callable) -> Iterable[bytes]:
        request = Request(environ)
        response = self.dispatch(request)
        return response(environ, start_response)

    def dispatch(self, request: Request) -> Response:
        adapter = self.url_map.bind_to_environ(request.environ)
        try:
            endpoint, values = adapter.match()
        except MethodNotAllowed:
            return _error(405, INVALID, "Metoden stöds inte för den här resursen.")
        except NotFound:
            return _error(404, NOT_FOUND, "Resursen finns inte.")
        except HTTPException as exc:  # pragma: no cover - werkzeug's other routing errors
            return _error(exc.code or 400, INVALID, exc.description or "Felaktig begäran.")
        if endpoint in ("authorize", "token"):
            return getattr(self, endpoint)(request)
        self.requests += 1
        if self.faults.delay:
            time.sleep(self.faults.delay)
        token = self._bearer(request)
        if token is None:
            return _error(401, UNAUTHORIZED, "Ogiltig eller utgången åtkomsttoken.")
        if not self.limiter.allow(token):
            self.rate_limited += 1
            return _error(429, RATE_LIMITED, "För många anrop: högst 25 per 5 sekunder.")
        if self.faults.error_rate and self._random.random() < self.faults.error_rate:
            return _error(500, 2000000, "Internt fel.")
        try:
            if endpoint == "voucher" and request.method != "GET":  # routed, to say why
                return _error(405, VOUCHERS_IMMUTABLE,
                              "Verifikationer kan inte ändras eller tas bort. Bokför en "
                              "rättelseverifikation i stället.")  # fmt: skip
            return getattr(self, endpoint)(request, **values)
        except ApiError as exc:
            return _error(exc.status, exc.code, exc.message)

    # -- OAuth2 -------------------------------------------------------------------------------
    def _bearer(self, request: Request) -> str | None:
        header = request.headers.get("Authorization", "")
        if not header.startswith("Bearer "):
            return None
        token = header[len("Bearer ") :].strip()
        row = self.store.one("select expires_at from access_tokens where token = ?", (token,))
        if row is None or row["expires_at"] <= self.clock():
            return None
        return token

    def authorize(self, request: Request) -> Response:
        args = request.args
        client = self.store.one(
            "select * from clients where client_id = ?", (args.get("client_id", ""),)
        )
        if client is None or args.get("redirect_uri") != client["redirect_uri"]:
            return _json({"error": "invalid_client"}, 400)
        if args.get("response_type") != "code":
            return _json({"error": "unsupported_response_type"}, 400)
        code = secrets.token_urlsafe(24)
        with self.store.transaction() as db:
            db.execute(
                "insert into auth_codes values (?, ?, ?, ?, ?, 0)",
                (code, client["client_id"], args.get("scope", ""), client["redirect_uri"],
                 self.clock() + CODE_SECONDS),
            )  # fmt: skip
        query = urlencode({"code": code, "state": args.get("state", "")})
        return Response(status=302, headers={"Location": f"{client['redirect_uri']}?{query}"})

    def _client(self, request: Request) -> str | None:
        header = request.headers.get("Authorization", "")
        if not header.startswith("Basic "):
            return None
        try:
            client_id, _, secret = base64.b64decode(header[6:]).decode().partition(":")
        except (ValueError, UnicodeDecodeError):
            return None
        row = self.store.one("select client_secret from clients where client_id = ?", (client_id,))
        if row is None or not secrets.compare_digest(row["client_secret"], secret):
            return None
        return client_id

    def token(self, request: Request) -> Response:
        client_id = self._client(request)
        if client_id is None:
            return _json({"error": "invalid_client"}, 401)
        form = request.form
        now = self.clock()
        with self.store.transaction() as db:
            if form.get("grant_type") == "authorization_code":
                row = db.execute(
                    "select * from auth_codes where code = ?", (form.get("code", ""),)
                ).fetchone()
                if (
                    row is None
                    or row["used"]
                    or row["expires_at"] <= now
                    or row["client_id"] != client_id
                    or form.get("redirect_uri") != row["redirect_uri"]
                ):
                    return _json({"error": "invalid_grant"}, 400)
                db.execute("update auth_codes set used = 1 where code = ?", (row["code"],))
            elif form.get("grant_type") == "refresh_token":
                row = db.execute(
                    "select * from refresh_tokens where token = ?",
                    (form.get("refresh_token", ""),),
                ).fetchone()
                if (
                    row is None
                    or row["used"]
                    or row["expires_at"] <= now
                    or row["client_id"] != client_id
                ):
                    return _json(
                        {"error": "invalid_grant",
                         "error_description": "Invalid refresh token"}, 400
                    )  # fmt: skip
                db.execute("update refresh_tokens set used = 1 where token = ?", (row["token"],))
            else:
                return _json({"error": "unsupported_grant_type"}, 400)
            access, refresh = secrets.token_urlsafe(32), secrets.token_urlsafe(32)
            db.execute(
                "insert into access_tokens values (?, ?, ?, ?)",
                (access, client_id, row["scope"], now + ACCESS_SECONDS),
            )
            db.execute(
                "insert into refresh_tokens values (?, ?, ?, ?, 0)",
                (refresh, client_id, row["scope"], now + REFRESH_SECONDS),
            )
        return _json(
            {
                "access_token": access,
                "refresh_token": refresh,
                "scope": row["scope"],
                "expires_in": ACCESS_SECONDS,
                "token_type": "bearer",
            }
        )

    # -- paging -------------------------------------------------------------------------------
    def _page(self, request: Request, key: str, items: list[dict]) -> Response:
        try:
            limit = int(request.args.get("limit", DEFAULT_LIMIT))
            page = int(request.args.get("page", 1))
        except ValueError:
            raise ApiError(400, BAD_LIMIT, "limit och page måste vara heltal.") from None
        if not 1 <= limit <= MAX_LIMIT or page < 1:
            raise ApiError(400, BAD_LIMIT, f"limit måste vara 1–{MAX_LIMIT} och page minst 1.")
        pages = max(1, -(-len(items) // limit))
        return _json(
            {
                "MetaInformation": {
                    "@TotalResources": len(items),
                    "@TotalPages": pages,
                    "@CurrentPage": page,
                },
                key: items[(page - 1) * limit : page * limit],
            }
        )

    def _year(self, request: Request, on: date | None = None, wanted: object = None) -> dict:
        """The financial year asked for (``wanted``: a voucher's Year; else the
        ``financialyear`` parameter), else the one ``on`` (or today) falls in, else the
        latest."""
        wanted = wanted if wanted is not None else request.args.get("financialyear")
        if wanted is not None:
            row = self.store.one("select * from financial_years where id = ?", (wanted,))
            if row is None:
                raise ApiError(404, NOT_FOUND, f"Räkenskapsår {wanted} finns inte.")
            return dict(row)
        day = (on or datetime.fromtimestamp(self.clock(), UTC).date()).isoformat()
        row = self.store.one(
            "select * from financial_years where from_date <= ? and to_date >= ?", (day, day)
        ) or self.store.one("select * from financial_years order by to_date desc limit 1")
        if row is None:
            raise ApiError(404, NOT_FOUND, "Inget räkenskapsår finns.")
        return dict(row)

    # -- resources ----------------------------------------------------------------------------
    def financial_years(self, request: Request) -> Response:
        rows = self.store.rows("select * from financial_years order by from_date")
        wanted = request.args.get("Date")
        years = [
            {"@url": f"/3/financialyears/{r['id']}", "Id": r["id"], "FromDate": r["from_date"],
             "ToDate": r["to_date"], "AccountChartType": r["chart_type"],
             "AccountingMethod": "ACCRUAL"}
            for r in rows
            if wanted is None or r["from_date"] <= wanted <= r["to_date"]
        ]  # fmt: skip
        return _json({"FinancialYears": years})

    def accounts(self, request: Request) -> Response:
        year = self._year(request)
        since = request.args.get("lastmodified")
        rows = self.store.rows(
            "select * from accounts where year_id = ? and (? is null or modified_at > ?) "
            "order by number",
            (year["id"], since, since),
        )
        items = [
            _present({"@url": f"/3/accounts/{r['number']}", "Number": r["number"],
                      "Description": r["description"], "Active": bool(r["active"]),
                      "SRU": r["sru"], "Year": year["id"]})
            for r in rows
        ]  # fmt: skip
        return self._page(request, "Accounts", items)

    def cost_centers(self, request: Request) -> Response:
        rows = self.store.rows("select * from cost_centers order by code")
        items = [
            _present({"@url": f"/3/costcenters/{r['code']}", "Code": r["code"],
                      "Description": r["description"], "Active": bool(r["active"]),
                      "Note": r["note"]})
            for r in rows
        ]  # fmt: skip
        return self._page(request, "CostCenters", items)

    def projects(self, request: Request) -> Response:
        rows = self.store.rows("select * from projects order by number")
        items = [
            _present({"@url": f"/3/projects/{r['number']}", "ProjectNumber": r["number"],
                      "Description": r["description"], "Status": r["status"],
                      "StartDate": r["start_date"], "EndDate": r["end_date"]})
            for r in rows
        ]  # fmt: skip
        return self._page(request, "Projects", items)

    def voucher_series(self, request: Request) -> Response:
        year = self._year(request)
        rows = self.store.rows("select * from voucher_series order by code")
        items = [
            {"@url": f"/3/voucherseries/{r['code']}", "Code": r["code"],
             "Description": r["description"], "Manual": bool(r["manual"]), "Year": year["id"]}
            for r in rows
        ]  # fmt: skip
        return _json({"VoucherSeriesCollection": items})

    def locked_period(self, request: Request) -> Response:
        return _json({"LockedPeriod": _present({"EndDate": self.store.setting("locked_until")})})

    def vouchers(self, request: Request) -> Response:
        if request.method == "POST":
            return self._create_voucher(request)
        year = self._year(request)
        rows = self.store.rows(
            "select * from vouchers where year_id = ? order by series, number", (year["id"],)
        )
        items = [
            {"@url": f"/3/vouchers/{r['series']}/{r['number']}?financialyear={year['id']}",
             "Description": r["description"], "ReferenceNumber": r["reference_number"] or "",
             "ReferenceType": r["reference_type"] or "MANUAL",
             "TransactionDate": r["transaction_date"], "VoucherNumber": r["number"],
             "VoucherSeries": r["series"], "Year": year["id"], "ApprovalState": 0,
             "Comments": r["comments"] or ""}
            for r in rows
        ]  # fmt: skip
        return self._page(request, "Vouchers", items)

    def voucher(self, request: Request, series: str, number: int) -> Response:
        year = self._year(request)
        row = self.store.one(
            "select * from vouchers where year_id = ? and series = ? and number = ?",
            (year["id"], series, number),
        )
        if row is None:
            raise ApiError(404, NOT_FOUND, f"Verifikation {series}{number} finns inte.")
        return _json({"Voucher": self._voucher_body(dict(row))})

    def _voucher_body(self, row: dict) -> dict:
        lines = self.store.rows(
            "select * from voucher_rows where year_id = ? and series = ? and number = ? "
            "order by row_index",
            (row["year_id"], row["series"], row["number"]),
        )
        return {
            "@url": f"/3/vouchers/{row['series']}/{row['number']}?financialyear={row['year_id']}",
            "Comments": row["comments"] or "",
            "CostCenter": row["cost_center"] or "",
            "Description": row["description"],
            "Project": row["project"] or "",
            "ReferenceNumber": row["reference_number"] or "",
            "ReferenceType": row["reference_type"] or "MANUAL",
            "TransactionDate": row["transaction_date"],
            "VoucherNumber": row["number"],
            "VoucherSeries": row["series"],
            "Year": row["year_id"],
            "ApprovalState": 0,
            "VoucherRows": [
                {"Account": r["account"], "Debit": Decimal(r["debit"]),
                 "Credit": Decimal(r["credit"]), "CostCenter": r["cost_center"] or "",
                 "Project": r["project"] or "", "Description": r["description"] or "",
                 "TransactionInformation": r["transaction_information"] or "",
                 "Quantity": Decimal(r["quantity"] or "0"), "Removed": False}
                for r in lines
            ],
        }  # fmt: skip

    def _create_voucher(self, request: Request) -> Response:
        try:
            body = json.loads(request.get_data(as_text=True), parse_float=Decimal)
            voucher = body["Voucher"]
            description = str(voucher["Description"]).strip()
            day = date.fromisoformat(voucher["TransactionDate"])
            series = str(voucher["VoucherSeries"])
            rows = list(voucher["VoucherRows"])
        except (ValueError, KeyError, TypeError):
            raise ApiError(
                400, INVALID, "Verifikationen saknar Description, TransactionDate, "
                "VoucherSeries eller VoucherRows, eller har fel format."
            ) from None  # fmt: skip
        if not description or len(rows) < 2:
            raise ApiError(
                400, INVALID, "En verifikation behöver en beskrivning och minst två rader."
            )
        year = self._year(request, on=day, wanted=voucher.get("Year"))
        if not year["from_date"] <= day.isoformat() <= year["to_date"]:
            raise ApiError(
                400, OUTSIDE_YEAR,
                f"Datumet {day} ligger utanför räkenskapsåret "
                f"{year['from_date']} – {year['to_date']}.",
            )  # fmt: skip
        locked = self.store.setting("locked_until")
        if locked and day.isoformat() <= locked:
            raise ApiError(
                400, LOCKED_PERIOD,
                f"Perioden är låst till och med {locked}: verifikationer kan inte bokföras "
                f"på {day}.",
            )  # fmt: skip
        if self.store.one("select 1 from voucher_series where code = ?", (series,)) is None:
            raise ApiError(400, INVALID, f"Verifikationsserien {series} finns inte.")
        clean = [self._checked_row(year, i, row) for i, row in enumerate(rows, 1)]
        debit = sum((r["debit"] for r in clean), Decimal(0))
        credit = sum((r["credit"] for r in clean), Decimal(0))
        if debit != credit:
            raise ApiError(
                400, NOT_BALANCED,
                f"Verifikationen är inte balanserad: debet {debit:.2f} och kredit {credit:.2f} "
                f"skiljer {debit - credit:.2f}.",
            )  # fmt: skip
        now = datetime.fromtimestamp(self.clock(), UTC).isoformat(timespec="seconds")
        with self.store.transaction() as db:
            (number,) = db.execute(
                "select coalesce(max(number), 0) + 1 from vouchers where year_id = ? "
                "and series = ?",
                (year["id"], series),
            ).fetchone()
            db.execute(
                "insert into vouchers values (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                (year["id"], series, number, day.isoformat(), description,
                 voucher.get("Comments"), voucher.get("ReferenceType") or "MANUAL",
                 voucher.get("ReferenceNumber"), voucher.get("CostCenter") or None,
                 voucher.get("Project") or None, now),
            )  # fmt: skip
            for i, row in enumerate(clean, 1):
                db.execute(
                    "insert into voucher_rows values (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                    (year["id"], series, number, i, row["account"], str(row["debit"]),
                     str(row["credit"]), row["cost_center"], row["project"],
                     row["description"], row["transaction_information"], row["quantity"]),
                )  # fmt: skip
        created = self.store.one(
            "select * from vouchers where year_id = ? and series = ? and number = ?",
            (year["id"], series, number),
        )
        return _json({"Voucher": self._voucher_body(dict(created))}, 201)

    def _checked_row(self, year: dict, index: int, row: dict) -> dict:
        try:
            number = int(row["Account"])
            debit = Decimal(str(row.get("Debit", 0) or 0))
            credit = Decimal(str(row.get("Credit", 0) or 0))
        except (KeyError, ValueError, TypeError, InvalidOperation):
            raise ApiError(
                400, INVALID, f"Rad {index}: Account, Debit och Credit måste vara tal."
            ) from None
        cent = Decimal("0.01")
        if (
            debit < 0
            or credit < 0
            or debit != debit.quantize(cent)
            or credit != credit.quantize(cent)
        ):
            raise ApiError(
                400, INVALID, f"Rad {index}: debet och kredit är positiva belopp i hela ören."
            )
        debit, credit = debit.quantize(cent), credit.quantize(cent)
        account = self.store.one(
            "select * from accounts where year_id = ? and number = ?", (year["id"], number)
        )
        if account is None:
            raise ApiError(400, ACCOUNT_UNKNOWN, f"Rad {index}: konto {number} finns inte i "
                           "räkenskapsårets kontoplan.")  # fmt: skip
        if not account["active"]:
            raise ApiError(400, ACCOUNT_INACTIVE, f"Rad {index}: konto {number} är inaktivt.")
        dimensions = {}
        for field, setting, table, key in (
            ("CostCenter", "cost_center_settings", "cost_centers", "code"),
            ("Project", "project_settings", "projects", "number"),
        ):
            given = str(row.get(field) or "") or None
            rule = account[setting]
            what = "kostnadsställe" if field == "CostCenter" else "projekt"
            if given and rule == "NOTALLOWED":
                raise ApiError(400, DIMENSION_REFUSED, f"Rad {index}: konto {number} tillåter "
                               f"inte {what} ({given}).")  # fmt: skip
            if not given and rule == "MANDATORY":
                raise ApiError(400, DIMENSION_MISSING, f"Rad {index}: konto {number} kräver "
                               f"{what}.")  # fmt: skip
            if given and self.store.one(f"select 1 from {table} where {key} = ?", (given,)) is None:
                raise ApiError(400, INVALID, f"Rad {index}: {what} {given} finns inte.")
            dimensions[field] = given
        quantity = row.get("Quantity")
        return {
            "account": number,
            "debit": debit,
            "credit": credit,
            "cost_center": dimensions["CostCenter"],
            "project": dimensions["Project"],
            "description": row.get("Description"),
            "transaction_information": row.get("TransactionInformation"),
            "quantity": str(quantity) if quantity is not None else None,
        }
