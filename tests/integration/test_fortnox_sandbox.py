"""The Fortnox sandbox over real HTTP: every answer and request held to Fortnox's published
OpenAPI description, and each documented rule tried (tokens, rate limit, voucher rules)."""

from __future__ import annotations

import base64
import json
import threading
from collections.abc import Iterator
from decimal import Decimal
from pathlib import Path
from urllib.parse import parse_qs, urlparse

import pytest
import requests
from openapi_core import OpenAPI
from openapi_core.contrib.requests import RequestsOpenAPIRequest, RequestsOpenAPIResponse
from openapi_schema_validator import OAS30Validator
from werkzeug.serving import make_server

from sandbox.fortnox.app import RATE_LIMIT, Faults, FortnoxSandbox
from sandbox.fortnox.store import Store

CLIENT, SECRET, REDIRECT = "ledgerbridge-test", "s3cret", "http://localhost/callback"


class Clock:
    def __init__(self) -> None:
        import time

        self.now = time.time()

    def __call__(self) -> float:
        return self.now


def seed(store: Store) -> None:
    with store.transaction() as db:
        db.execute("insert into clients values (?, ?, ?)", (CLIENT, SECRET, REDIRECT))
        db.execute("insert into financial_years values (1, '2024-01-01', '2024-12-31', 'BAS')")
        db.execute("insert into financial_years values (2, '2025-01-01', '2025-12-31', 'BAS')")
        for year in (1, 2):
            for number, text, active, cost_centre, project in (
                (1510, "Kundfordringar", 1, "NOTALLOWED", "NOTALLOWED"),
                (1930, "Företagskonto", 1, "ALLOWED", "ALLOWED"),
                (3001, "Försäljning 25 %", 1, "MANDATORY", "ALLOWED"),
                (2611, "Utgående moms 25 %", 1, "NOTALLOWED", "NOTALLOWED"),
                (8999, "Årets resultat (gammalt)", 0, "ALLOWED", "ALLOWED"),
            ):
                db.execute(
                    "insert into accounts values (?, ?, ?, ?, ?, ?, null, '2025-01-01T00:00')",
                    (year, number, text, active, cost_centre, project),
                )
        db.execute("insert into cost_centers values ('SALJ', 'Sälj', 1, null)")
        db.execute("insert into projects values ('P101', 'Kundportal', 'ONGOING', null, null)")
        db.execute("insert into voucher_series values ('A', 'Redovisning', 1)")
        db.execute("insert into settings values ('locked_until', '2025-01-31')")


def _spec(corpus: Path) -> dict:
    return json.loads((corpus / "fortnox" / "openapi-fortnox.json").read_text(encoding="utf-8"))


def _resolved(spec: dict, node: object) -> object:
    """A schema with its $refs into components written out (the voucher's have no cycles)."""
    if isinstance(node, dict):
        if "$ref" in node:
            return _resolved(spec, spec["components"]["schemas"][node["$ref"].rsplit("/", 1)[1]])
        return {k: _resolved(spec, v) for k, v in node.items()}
    if isinstance(node, list):
        return [_resolved(spec, v) for v in node]
    return node


def valid_request_body(corpus: Path, path: str, method: str, body: dict) -> None:
    """The spec declares request bodies as */*, which openapi-core does not parse: hold the
    JSON to the declared schema directly."""
    spec = _spec(corpus)
    declared = spec["paths"][path][method]["requestBody"]["content"]["*/*"]["schema"]
    OAS30Validator(
        _resolved(spec, declared), format_checker=OAS30Validator.FORMAT_CHECKER
    ).validate(body)


@pytest.fixture(scope="module")
def openapi(corpus: Path) -> OpenAPI:
    spec = _spec(corpus)
    # the sandbox listens on a free port: the spec's server, with the port a variable
    spec["servers"] = [{"url": "http://127.0.0.1:{port}", "variables": {"port": {"default": "80"}}}]
    return OpenAPI.from_dict(spec)


@pytest.fixture
def faults() -> Faults:
    return Faults()


@pytest.fixture
def server(tmp_path: Path, faults: Faults) -> Iterator[tuple[str, FortnoxSandbox, Clock]]:
    store = Store(tmp_path / "fortnox.sqlite")
    seed(store)
    clock = Clock()
    app = FortnoxSandbox(store, clock=clock, faults=faults)
    http = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=http.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{http.server_port}", app, clock
    finally:
        http.shutdown()
        store.close()


def basic() -> dict:
    return {"Authorization": "Basic " + base64.b64encode(f"{CLIENT}:{SECRET}".encode()).decode()}


def authorize(base: str) -> dict:
    consent = requests.get(
        f"{base}/oauth-v1/auth",
        params={"client_id": CLIENT, "redirect_uri": REDIRECT, "scope": "bookkeeping",
                "state": "xyz", "response_type": "code", "access_type": "offline"},
        allow_redirects=False,
        timeout=10,
    )  # fmt: skip
    assert consent.status_code == 302
    query = parse_qs(urlparse(consent.headers["Location"]).query)
    assert query["state"] == ["xyz"]
    tokens = requests.post(
        f"{base}/oauth-v1/token",
        data={"grant_type": "authorization_code", "code": query["code"][0],
              "redirect_uri": REDIRECT},
        headers=basic(),
        timeout=10,
    )  # fmt: skip
    assert tokens.status_code == 200, tokens.text
    return tokens.json()


def call(
    base: str, token: str, method: str, path: str, openapi: OpenAPI | None = None, **kwargs
) -> requests.Response:
    response = requests.request(
        method, base + path, headers={"Authorization": f"Bearer {token}"}, timeout=10, **kwargs
    )
    if openapi is not None:
        request = RequestsOpenAPIRequest(response.request)
        if method == "GET":  # bodies: see valid_request_body
            openapi.validate_request(request)
        openapi.validate_response(request, RequestsOpenAPIResponse(response))
    return response


def voucher(rows: list[dict], day: str = "2025-03-03", **extra: object) -> dict:
    """A voucher as the spec wants it (Year: the financial year's id)."""
    return {"Voucher": {"Description": "Försäljning", "TransactionDate": day, "Year": 2,
                        "VoucherSeries": "A", "VoucherRows": rows, **extra}}  # fmt: skip


SALE = [
    {"Account": 1510, "Debit": 1250.00, "Credit": 0},
    {"Account": 3001, "Debit": 0, "Credit": 1000.00, "CostCenter": "SALJ", "Project": "P101"},
    {"Account": 2611, "Debit": 0, "Credit": 250.00},
]


def test_every_operation_answers_as_the_openapi_description_says(
    server, openapi, corpus: Path
) -> None:
    base, _, _ = server
    token = authorize(base)["access_token"]
    for path in ("/3/financialyears", "/3/accounts?financialyear=2", "/3/costcenters",
                 "/3/projects", "/3/voucherseries", "/3/settings/lockedperiod",
                 "/3/vouchers?financialyear=2"):  # fmt: skip
        answer = call(base, token, "GET", path, openapi)
        assert answer.status_code == 200, (path, answer.text)
    valid_request_body(corpus, "/3/vouchers", "post", voucher(SALE))
    created = call(base, token, "POST", "/3/vouchers", openapi, json=voucher(SALE))
    assert created.status_code == 201, created.text
    body = json.loads(created.text, parse_float=Decimal)["Voucher"]
    assert body["VoucherNumber"] == 1 and body["Year"] == 2
    assert [r["Debit"] for r in body["VoucherRows"]] == [Decimal("1250.00"), 0, 0]
    fetched = call(base, token, "GET", "/3/vouchers/A/1?financialyear=2", openapi)
    assert fetched.json()["Voucher"]["VoucherRows"][1]["CostCenter"] == "SALJ"
    listed = call(base, token, "GET", "/3/vouchers?financialyear=2", openapi).json()
    assert listed["MetaInformation"]["@TotalResources"] == 1
    refused = call(base, token, "POST", "/3/vouchers", openapi, json=voucher(SALE[:2]))
    assert refused.status_code == 400  # and its error body matched the spec's shape


def test_refresh_tokens_are_single_use_and_rotate(server) -> None:
    base, _, clock = server
    first = authorize(base)
    refreshed = requests.post(
        f"{base}/oauth-v1/token",
        data={"grant_type": "refresh_token", "refresh_token": first["refresh_token"]},
        headers=basic(),
        timeout=10,
    )
    assert refreshed.status_code == 200
    second = refreshed.json()
    assert second["refresh_token"] != first["refresh_token"] and second["expires_in"] == 3600
    again = requests.post(
        f"{base}/oauth-v1/token",
        data={"grant_type": "refresh_token", "refresh_token": first["refresh_token"]},
        headers=basic(),
        timeout=10,
    )
    assert again.status_code == 400 and again.json()["error"] == "invalid_grant"
    # an access token lives one hour
    assert call(base, second["access_token"], "GET", "/3/financialyears").status_code == 200
    clock.now += 3601
    expired = call(base, second["access_token"], "GET", "/3/financialyears")
    assert expired.status_code == 401 and "ErrorInformation" in expired.json()
    # a code is good once, and only with the client's own secret
    wrong = requests.post(
        f"{base}/oauth-v1/token",
        data={"grant_type": "refresh_token", "refresh_token": second["refresh_token"]},
        headers={"Authorization": "Basic " + base64.b64encode(b"ledgerbridge-test:x").decode()},
        timeout=10,
    )
    assert wrong.status_code == 401


def test_the_26th_request_in_five_seconds_is_refused(server) -> None:
    base, app, clock = server
    token = authorize(base)["access_token"]
    codes = [call(base, token, "GET", "/3/financialyears").status_code for _ in range(RATE_LIMIT)]
    assert codes == [200] * RATE_LIMIT
    refused = call(base, token, "GET", "/3/financialyears")
    assert refused.status_code == 429 and app.rate_limited == 1
    clock.now += 5.01  # the window slides: the first requests have left it
    assert call(base, token, "GET", "/3/financialyears").status_code == 200


@pytest.mark.parametrize(
    ("rows", "day", "status", "message"),
    [
        (SALE[:2], "2025-03-03", 400, "inte balanserad: debet 1250.00 och kredit 1000.00"),
        (SALE, "2025-01-15", 400, "Perioden är låst till och med 2025-01-31"),
        (SALE, "2026-02-01", 400, "Datumet 2026-02-01 ligger utanför räkenskapsåret"),
        ([*SALE[:2], {"Account": 8999, "Credit": 250}], "2025-03-03", 400, "konto 8999 är "
                                                                            "inaktivt"),
        ([{**SALE[0], "CostCenter": "SALJ"}, *SALE[1:]], "2025-03-03", 400,
         "konto 1510 tillåter inte kostnadsställe"),
        ([SALE[0], {**SALE[1], "CostCenter": ""}, SALE[2]], "2025-03-03", 400,
         "konto 3001 kräver kostnadsställe"),
        ([*SALE[:2], {"Account": 4711, "Credit": 250}], "2025-03-03", 400, "konto 4711 finns "
                                                                           "inte"),
    ],
)  # fmt: skip
def test_vouchers_that_break_the_rules_are_refused_with_fortnoxs_kind_of_message(
    server, rows: list, day: str, status: int, message: str
) -> None:
    base, _, _ = server
    token = authorize(base)["access_token"]
    refused = call(base, token, "POST", "/3/vouchers", json=voucher(rows, day))
    assert refused.status_code == status, refused.text
    error = refused.json()["ErrorInformation"]
    assert message in error["Message"] and error["Error"] == 1 and error["Code"] > 2000000
    listed = call(base, token, "GET", "/3/vouchers?financialyear=2").json()
    assert listed["Vouchers"] == []  # nothing was booked


def test_a_voucher_can_be_neither_changed_nor_deleted(server) -> None:
    base, _, _ = server
    token = authorize(base)["access_token"]
    assert call(base, token, "POST", "/3/vouchers", json=voucher(SALE)).status_code == 201
    for method in ("PUT", "DELETE"):
        answer = call(base, token, method, "/3/vouchers/A/1", json=voucher(SALE))
        assert answer.status_code == 405
        assert "rättelseverifikation" in answer.json()["ErrorInformation"]["Message"]
    fetched = call(base, token, "GET", "/3/vouchers/A/1?financialyear=2").json()
    assert fetched["Voucher"]["Description"] == "Försäljning"


def test_lists_page_with_meta_information_and_refuse_a_limit_over_500(server) -> None:
    base, _, _ = server
    token = authorize(base)["access_token"]
    for _ in range(3):
        call(base, token, "POST", "/3/vouchers", json=voucher(SALE))
    page = call(base, token, "GET", "/3/vouchers?financialyear=2&limit=2&page=2").json()
    assert page["MetaInformation"] == {"@TotalResources": 3, "@TotalPages": 2, "@CurrentPage": 2}
    assert [v["VoucherNumber"] for v in page["Vouchers"]] == [3]
    too_many = call(base, token, "GET", "/3/vouchers?limit=501")
    assert too_many.status_code == 400 and "limit" in too_many.json()["ErrorInformation"]["Message"]
    changed = call(base, token, "GET", "/3/accounts?financialyear=2&lastmodified=2025-06-01")
    assert changed.json()["Accounts"] == []


@pytest.mark.parametrize("faults", [Faults(error_rate=0.2, seed=7)])
def test_it_can_be_told_to_fail_a_share_of_requests(server, faults: Faults) -> None:
    base, _, clock = server
    token = authorize(base)["access_token"]
    codes = []
    for _ in range(100):
        clock.now += 0.25  # under the rate limit
        codes.append(call(base, token, "GET", "/3/financialyears").status_code)
    assert set(codes) == {200, 500} and 10 <= codes.count(500) <= 30
