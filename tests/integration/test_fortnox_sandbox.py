"""The Fortnox sandbox over real HTTP: every answer and request held to Fortnox's published
OpenAPI description, and each documented rule tried (tokens, rate limit, voucher rules,
invoices and their payments, lastmodified, paging, the SIE export, dropped connections)."""

from __future__ import annotations

import base64
import json
import threading
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path
from urllib.parse import parse_qs, urlparse
from zoneinfo import ZoneInfo

import pytest
import requests
from openapi_core import OpenAPI
from openapi_core.contrib.requests import RequestsOpenAPIRequest, RequestsOpenAPIResponse
from openapi_schema_validator import OAS30Validator
from werkzeug.serving import make_server

from ledgerbridge.formats.sie import SieReader
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
                    "insert into accounts (year_id, number, description, active, "
                    "cost_center_settings, project_settings, modified_at) "
                    "values (?, ?, ?, ?, ?, ?, '2025-01-01T00:00:00+00:00')",
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


def contract(corpus: Path) -> OpenAPI:
    spec = _spec(corpus)
    # the sandbox listens on a free port: the spec's server, with the port a variable
    spec["servers"] = [{"url": "http://127.0.0.1:{port}", "variables": {"port": {"default": "80"}}}]
    return OpenAPI.from_dict(spec)


@pytest.fixture(scope="module")
def openapi(corpus: Path) -> OpenAPI:
    return contract(corpus)


@pytest.fixture
def faults() -> Faults:
    return Faults()


def seed_trade(store: Store) -> None:
    """What invoices and supplier invoices book on, besides seed()'s chart: goods at 12 %,
    purchases, input VAT, supplier debt, equity; and opening balances in year 2."""
    with store.transaction() as db:
        for year in (1, 2):
            for number, text, cost_centre in (
                (2081, "Aktiekapital", "NOTALLOWED"),
                (2440, "Leverantörsskulder", "NOTALLOWED"),
                (2641, "Debiterad ingående moms", "NOTALLOWED"),
                (3002, "Försäljning 12 %", "ALLOWED"),
                (4010, "Inköp material och varor", "MANDATORY"),
            ):
                db.execute(
                    "insert into accounts (year_id, number, description, cost_center_settings, "
                    "project_settings, modified_at) values (?, ?, ?, ?, 'ALLOWED', "
                    "'2025-01-01T00:00:00+00:00')",
                    (year, number, text, cost_centre),
                )
        for number, opening in ((1930, "5000.00"), (2081, "-5000.00")):
            db.execute(
                "update accounts set balance_brought_forward = ? where year_id = 2 and number = ?",
                (opening, number),
            )
        db.execute("insert into cost_centers values ('LAGER', 'Lager', 1, null)")
        db.execute("insert into settings values ('company_name', 'Sandlåda AB')")
        db.execute("insert into settings values ('organisation_number', '556000-0006')")


@pytest.fixture
def server(tmp_path: Path, faults: Faults) -> Iterator[tuple[str, FortnoxSandbox, Clock]]:
    store = Store(tmp_path / "fortnox.sqlite")
    seed(store)
    seed_trade(store)
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
        if method in ("GET", "DELETE"):  # bodies: see valid_request_body
            openapi.validate_request(request)
        openapi.validate_response(request, RequestsOpenAPIResponse(response))
    return response


@dataclass
class Api:
    """An authorized client of the sandbox whose requests stay under the rate limit: the
    sandbox's clock moves 0.21 s before each one."""

    base: str
    token: str
    clock: Clock
    app: FortnoxSandbox
    openapi: OpenAPI
    corpus: Path

    def __call__(self, method: str, path: str, checked: bool = True, **kwargs) -> requests.Response:
        self.clock.now += 0.21
        return call(
            self.base, self.token, method, path, self.openapi if checked else None, **kwargs
        )

    def json(self, method: str, path: str, status: int = 200, **kwargs) -> dict:
        """The answer's JSON with amounts as Decimal, after checking its status."""
        answer = self(method, path, **kwargs)
        assert answer.status_code == status, answer.text
        return json.loads(answer.text, parse_float=Decimal) if answer.content else {}

    def post(self, path: str, body: dict, status: int = 201) -> dict:
        """POST a body that is first held to the spec's request schema."""
        valid_request_body(self.corpus, path, "post", body)
        return self.json("POST", path, status, json=body)

    def put(self, path: str, spec_path: str, body: dict) -> dict:
        valid_request_body(self.corpus, spec_path, "put", body)
        return self.json("PUT", path, json=body)


@pytest.fixture
def api(server, openapi: OpenAPI, corpus: Path) -> Api:
    base, app, clock = server
    return Api(base, authorize(base)["access_token"], clock, app, openapi, corpus)


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


# -- registers, invoices, payments, SIE ---------------------------------------------------------
CUSTOMER = {"Customer": {"Name": "Göta Media AB", "OrganisationNumber": "556588-9382",
                         "VATNumber": "SE556588938201", "Address1": "Drottninggatan 91",
                         "ZipCode": "558 95", "City": "Jönköping", "CountryCode": "SE",
                         "Email": "ekonomi@gota-media.se", "Active": True, "Currency": "SEK",
                         "TermsOfPayment": "30", "Type": "COMPANY"}}  # fmt: skip
SUPPLIER = {"Supplier": {"Name": "Kontorsgrossisten Norden AB", "OrganisationNumber":
                         "556291-8630", "BG": "7784-6326", "PG": "12345-6",
                         "BankAccountNumber": "1234567", "ClearingNumber": "8327",
                         "IBAN": "SE4550000000058398257466", "BIC": "ESSESESS",
                         "TermsOfPayment": "20", "Currency": "SEK"}}  # fmt: skip
ARTICLE = {"Article": {"ArticleNumber": "101", "Description": "Kaffe mellanrost 500 g",
                       "Type": "STOCK", "Unit": "st", "SalesPrice": 89.00, "PurchasePrice": 48.00,
                       "VAT": 12, "Active": True, "StockGoods": True, "SalesAccount": 3002,
                       "PurchaseAccount": 4010}}  # fmt: skip


def invoice(customer: str, **extra: object) -> dict:
    """An invoice of two rows: 3 × 19.99 at 25 % on 3001 (cost centre SALJ, from the invoice)
    and 4 bags of article 101 at its price and VAT rate."""
    return {"Invoice": {"CustomerNumber": customer, "InvoiceDate": "2025-03-10",
                        "CostCenter": "SALJ", "YourReference": "Anna Berg",
                        "InvoiceRows": [
                            {"Description": "Konsulttimme", "AccountNumber": 3001,
                             "DeliveredQuantity": "3", "Price": 19.99, "VAT": 25},
                            {"ArticleNumber": "101", "DeliveredQuantity": "4"},
                        ], **extra}}  # fmt: skip


def supplier_invoice(supplier: str, total: str = "1125.00", vat: str = "225.00") -> dict:
    return {"SupplierInvoice": {"SupplierNumber": supplier, "InvoiceNumber": "047001",
                                "InvoiceDate": "2025-03-12", "Total": total, "VAT": vat,
                                "SupplierInvoiceRows": [
                                    {"Account": 4010, "Debit": 900.00, "CostCenter": "LAGER"},
                                ]}}  # fmt: skip


def test_every_new_operation_answers_as_the_openapi_description_says(api: Api) -> None:
    customer = api.post("/3/customers", CUSTOMER)["Customer"]
    assert customer["CustomerNumber"] == "1" and customer["@url"] == "/3/customers/1"
    api.json("GET", "/3/customers")
    assert api.json("GET", "/3/customers/1")["Customer"]["Email"] == "ekonomi@gota-media.se"
    moved = {"Customer": {"Name": "Göta Media AB", "Address1": "Gamla Vägen 3"}}
    assert api.put("/3/customers/1", "/3/customers/{CustomerNumber}", moved)["Customer"][
        "City"] == "Jönköping"  # fmt: skip

    supplier = api.post("/3/suppliers", SUPPLIER)["Supplier"]
    assert supplier["BG"] == "7784-6326" and supplier["IBAN"].startswith("SE45")
    api.json("GET", "/3/suppliers")
    api.json("GET", f"/3/suppliers/{supplier['SupplierNumber']}")
    api.put(f"/3/suppliers/{supplier['SupplierNumber']}", "/3/suppliers/{SupplierNumber}",
            {"Supplier": {"Name": "Kontorsgrossisten Norden AB", "BG": "5050-1055"}})  # fmt: skip

    article = api.post("/3/articles", ARTICLE)["Article"]
    assert article["SalesPrice"] == Decimal("89.00") and article["StockGoods"] is True
    api.json("GET", "/3/articles")
    api.json("GET", "/3/articles/101")
    api.put(
        "/3/articles/101",
        "/3/articles/{ArticleNumber}",
        {"Article": {"Description": "Kaffe mellanrost 500 g", "SalesPrice": 92.50}},
    )
    api.post("/3/articles", {"Article": {"ArticleNumber": "102", "Description": "Te"}})
    api.json("DELETE", "/3/articles/102", status=204)

    created = api.post("/3/invoices", invoice("1"))["Invoice"]
    number = created["DocumentNumber"]
    api.json("GET", "/3/invoices")
    api.json("GET", f"/3/invoices/{number}")
    payment = api.post("/3/invoicepayments", {"InvoicePayment": {
        "InvoiceNumber": int(number), "Amount": 100.00, "PaymentDate": "2025-04-01"}})  # fmt: skip
    api.json("GET", "/3/invoicepayments")
    api.json("GET", f"/3/invoicepayments/{payment['InvoicePayment']['Number']}")

    given = api.post("/3/supplierinvoices", supplier_invoice(supplier["SupplierNumber"]))[
        "SupplierInvoice"]["GivenNumber"]  # fmt: skip
    api.json("GET", "/3/supplierinvoices")
    api.json("GET", f"/3/supplierinvoices/{given}")
    paid = api.post("/3/supplierinvoicepayments", {"SupplierInvoicePayment": {
        "InvoiceNumber": given, "Amount": 1125.00, "PaymentDate": "2025-04-02"}})  # fmt: skip
    api.json("GET", "/3/supplierinvoicepayments")
    api.json("GET", f"/3/supplierinvoicepayments/{paid['SupplierInvoicePayment']['Number']}")

    # the description says "204, no content" for sie/{Type}; Fortnox answers 200 with the file:
    # the request is held to the description, and a refusal's answer too
    export = api("GET", "/3/sie/4?financialYear=2", checked=False)
    api.openapi.validate_request(RequestsOpenAPIRequest(export.request))
    assert export.status_code == 200 and export.content.startswith(b"#FLAGGA 0\r\n")
    assert api("GET", "/3/sie/9").status_code == 400
    assert api.json("GET", "/3/accounts?financialyear=2")["Accounts"][0][
        "CostCenterSettings"] == "NOTALLOWED"  # fmt: skip


def test_cost_centres_projects_and_booking_an_invoice_answer_as_the_description_says(
    api: Api,
) -> None:
    """What the reverse ETL writes besides vouchers and registers: cost centres and projects
    created, read and changed; an account created in a year's chart; an invoice booked into
    a voucher that refers to it."""
    created = api.post("/3/costcenters", {"CostCenter": {"Code": "MARK", "Description": "Marknad"}})
    assert created["CostCenter"]["Active"] is True
    assert api.json("GET", "/3/costcenters/MARK")["CostCenter"]["Description"] == "Marknad"
    renamed_body = {"CostCenter": {"Code": "MARK", "Description": "Marknadsföring"}}
    renamed = api.put("/3/costcenters/MARK", "/3/costcenters/{Code}", renamed_body)
    assert renamed["CostCenter"]["Description"] == "Marknadsföring"
    taken = api("POST", "/3/costcenters", json={"CostCenter": {"Code": "MARK",
                                                               "Description": "x"}})  # fmt: skip
    assert taken.status_code == 400 and "MARK används redan" in taken.text
    assert api("GET", "/3/costcenters/NOPE").status_code == 404

    project = api.post("/3/projects", {"Project": {"ProjectNumber": "P900",
                                                   "Description": "Nytt projekt"}})  # fmt: skip
    assert project["Project"]["Status"] == "ONGOING"
    done = api.put("/3/projects/P900", "/3/projects/{ProjectNumber}",
                   {"Project": {"Description": "Nytt projekt", "Status": "COMPLETED",
                                "EndDate": "2025-06-30"}})  # fmt: skip
    assert (done["Project"]["Status"], done["Project"]["EndDate"]) == ("COMPLETED", "2025-06-30")
    nameless = api("POST", "/3/projects", json={"Project": {"ProjectNumber": "P901"}})
    assert nameless.status_code == 400 and "Description krävs" in nameless.text
    numbered = api.post("/3/projects", {"Project": {"Description": "Utan nummer"}})
    assert numbered["Project"]["ProjectNumber"].isdigit()

    new_account = {"Account": {"Number": 3099, "Description": "Försäljning övrigt"}}
    valid_request_body(api.corpus, "/3/accounts", "post", new_account)
    account = api.json("POST", "/3/accounts?financialyear=2", 201, json=new_account)["Account"]
    assert (account["Year"], account["Active"]) == (2, True)
    assert api.json("GET", "/3/accounts/3099?financialyear=2")["Account"]["Number"] == 3099
    assert api("GET", "/3/accounts/3099?financialyear=1").status_code == 404  # another year
    again = api("POST", "/3/accounts?financialyear=2",
                json={"Account": {"Number": 3099, "Description": "x"}})  # fmt: skip
    assert again.status_code == 400 and "finns redan" in again.text

    api.post("/3/customers", CUSTOMER)
    one_row = invoice("1")["Invoice"]["InvoiceRows"][:1]
    number = api.post("/3/invoices", invoice("1", InvoiceRows=one_row))["Invoice"][
        "DocumentNumber"]  # fmt: skip
    no_series = api("PUT", f"/3/invoices/{number}/bookkeep")
    assert no_series.status_code == 400 and "Verifikationsserien B finns inte" in no_series.text
    with api.app.store.transaction() as db:
        db.execute("insert into voucher_series values ('B', 'Kundfakturor', 0)")
    booked = api.json("PUT", f"/3/invoices/{number}/bookkeep")["Invoice"]
    assert booked["Booked"] is True and booked["VoucherSeries"] == "B"
    voucher = api.json("GET", f"/3/vouchers/B/{booked['VoucherNumber']}?financialyear=2")["Voucher"]
    assert (voucher["ReferenceType"], voucher["ReferenceNumber"]) == ("INVOICE", number)
    rows = {row["Account"]: row["Debit"] - row["Credit"] for row in voucher["VoucherRows"]}
    assert rows[1510] == Decimal(booked["Total"]) and sum(rows.values()) == 0
    again = api("PUT", f"/3/invoices/{number}/bookkeep")
    assert again.status_code == 400 and "redan bokförd" in again.text

    supplier = api.post("/3/suppliers", SUPPLIER)["Supplier"]["SupplierNumber"]
    with api.app.store.transaction() as db:
        db.execute("insert or ignore into accounts (year_id, number, description, modified_at) "
                   "values (2, 4010, 'Inköp', 'x'), (2, 2641, 'Ingående moms', 'x'), "
                   "(2, 2440, 'Leverantörsskulder', 'x')")  # fmt: skip
        db.execute("insert or ignore into cost_centers values ('LAGER', 'Lager', 1, null)")
        db.execute("insert into voucher_series values ('D', 'Leverantörsfakturor', 0)")
    given = api.post("/3/supplierinvoices", supplier_invoice(supplier))["SupplierInvoice"][
        "GivenNumber"]  # fmt: skip
    booked = api.json("PUT", f"/3/supplierinvoices/{given}/bookkeep")["SupplierInvoice"]
    assert booked["Booked"] is True and booked["Vouchers"][0]["ReferenceType"] == "SUPPLIERINVOICE"
    voucher = api.json("GET", f"/3/vouchers/D/{booked['VoucherNumber']}?financialyear=2")[
        "Voucher"]  # fmt: skip
    assert voucher["ReferenceNumber"] == given
    rows = {row["Account"]: row["Debit"] - row["Credit"] for row in voucher["VoucherRows"]}
    assert rows == {4010: Decimal("900.00"), 2641: Decimal("225.00"), 2440: Decimal("-1125.00")}


def test_an_invoice_is_computed_to_the_ore_with_decimal(api: Api) -> None:
    api.post("/3/customers", CUSTOMER)
    api.post("/3/articles", ARTICLE)
    body = api.post("/3/invoices", invoice("1"))["Invoice"]
    first, second = body["InvoiceRows"]
    # 3 × 19.99 = 59.97 and 25 % of it 14.9925 → 14.99; 4 × 89.00 = 356.00 and 12 % → 42.72
    assert (first["Total"], first["VAT"], first["CostCenter"]) == (Decimal("59.97"), 25, "SALJ")
    assert (second["AccountNumber"], second["Price"], second["VAT"], second["Unit"]) == (
        3002, Decimal("89.00"), 12, "st")  # fmt: skip
    assert body["Net"] == Decimal("415.97") and body["TotalVAT"] == Decimal("57.71")
    assert body["Total"] == body["Balance"] == Decimal("473.68")
    assert body["DueDate"] == "2025-04-09"  # the customer's 30 days
    assert body["Booked"] is False and body["Cancelled"] is False
    assert body["CustomerName"] == "Göta Media AB" and body["YourReference"] == "Anna Berg"


@pytest.mark.parametrize(
    ("change", "status", "message"),
    [
        ({"CustomerNumber": "4711"}, 400, "Kunden 4711 finns inte"),
        ({"InvoiceRows": []}, 400, "minst en rad"),
        ({"CostCenter": None}, 400, "konto 3001 kräver kostnadsställe"),
        ({"InvoiceDate": "2027-01-05"}, 400, "Inget räkenskapsår omfattar fakturadatumet"),
        ({"Freight": 49.00}, 400, "fältet Freight stöds inte av sandlådan"),
        ({"InvoiceRows": [{"ArticleNumber": "999", "DeliveredQuantity": "1"}]}, 400,
         "artikel 999 finns inte"),
    ],
)  # fmt: skip
def test_invoices_that_break_the_rules_are_refused(
    api: Api, change: dict, status: int, message: str
) -> None:
    api.post("/3/customers", CUSTOMER)
    api.post("/3/articles", ARTICLE)
    body = invoice("1")
    body["Invoice"].update(change)
    refused = api("POST", "/3/invoices", json=body)
    assert refused.status_code == status, refused.text
    error = refused.json()["ErrorInformation"]
    assert message in error["Message"] and error["Code"] > 2000000
    assert api.json("GET", "/3/invoices")["Invoices"] == []


def test_payments_reduce_the_balance_and_never_exceed_it(api: Api) -> None:
    api.post("/3/customers", CUSTOMER)
    api.post("/3/articles", ARTICLE)
    number = int(api.post("/3/invoices", invoice("1"))["Invoice"]["DocumentNumber"])

    def pay(amount: float, invoice_number: int = number) -> requests.Response:
        return api(
            "POST",
            "/3/invoicepayments",
            json={
                "InvoicePayment": {
                    "InvoiceNumber": invoice_number,
                    "Amount": amount,
                    "PaymentDate": "2025-04-01",
                }
            },
        )

    assert pay(400.00).status_code == 201
    assert api.json("GET", f"/3/invoices/{number}")["Invoice"]["Balance"] == Decimal("73.68")
    too_much = pay(73.69)
    assert too_much.status_code == 400
    error = too_much.json()["ErrorInformation"]
    assert "Betalningen på 73.69 är större än restbeloppet 73.68" in error["Message"]
    unknown = pay(10.00, invoice_number=9999)
    assert unknown.status_code == 400
    assert "Fakturan 9999 finns inte" in unknown.json()["ErrorInformation"]["Message"]
    assert pay(73.68).status_code == 201
    paid = api.json("GET", f"/3/invoices/{number}")["Invoice"]
    assert paid["Balance"] == 0 and paid["FinalPayDate"] == "2025-04-01"
    listed = api.json("GET", "/3/invoices?filter=fullypaid")["Invoices"]
    assert [i["DocumentNumber"] for i in listed] == [str(number)]
    assert (
        len(api.json("GET", f"/3/invoicepayments?invoicenumber={number}")["InvoicePayments"]) == 2
    )
    assert pay(0.01).status_code == 400  # nothing left to pay


def test_a_supplier_invoice_gets_its_vat_and_payable_rows_and_must_balance(api: Api) -> None:
    number = api.post("/3/suppliers", SUPPLIER)["Supplier"]["SupplierNumber"]
    body = api.post("/3/supplierinvoices", supplier_invoice(number))["SupplierInvoice"]
    rows = [(r["Account"], r.get("Code"), r["Debit"], r["Credit"]) for r in
            body["SupplierInvoiceRows"]]  # fmt: skip
    assert rows == [(4010, None, Decimal("900.00"), 0), (2641, "VAT", Decimal("225.00"), 0),
                    (2440, "TOT", 0, Decimal("1125.00"))]  # fmt: skip
    assert (body["Total"], body["VAT"], body["Balance"]) == ("1125.00", "225.00", "1125.00")
    assert body["DueDate"] == "2025-04-01"  # the supplier's 20 days
    refused = api("POST", "/3/supplierinvoices", json=supplier_invoice(number, total="1200.00"))
    assert refused.status_code == 400
    assert "balanserar inte" in refused.json()["ErrorInformation"]["Message"]
    over = api("POST", "/3/supplierinvoicepayments", json={"SupplierInvoicePayment": {
        "InvoiceNumber": body["GivenNumber"], "Amount": 1125.01}})  # fmt: skip
    assert over.status_code == 400 and "restbeloppet 1125.00" in over.text


def test_registers_change_only_what_a_put_sends_and_keep_their_numbers(api: Api) -> None:
    api.post("/3/customers", {"Customer": {**CUSTOMER["Customer"], "CustomerNumber": "1001"}})
    taken = api("POST", "/3/customers", json={"Customer": {"CustomerNumber": "1001",
                                                           "Name": "Annan AB"}})  # fmt: skip
    assert taken.status_code == 400 and "Kundnummer 1001 används redan" in taken.text
    assert api.post("/3/customers", {"Customer": {"Name": "Nästa AB"}})["Customer"][
        "CustomerNumber"] == "1002"  # fmt: skip
    changed = api.put("/3/customers/1001", "/3/customers/{CustomerNumber}",
                      {"Customer": {"Name": "Göta Media AB", "Email": ""}})["Customer"]  # fmt: skip
    assert "Email" not in changed and changed["City"] == "Jönköping"
    renumbered = api("PUT", "/3/customers/1001", json={"Customer": {"CustomerNumber": "7"}})
    assert renumbered.status_code == 400 and "kan inte ändras" in renumbered.text
    unknown = api("PUT", "/3/customers/1001", json={"Customer": {"Shoesize": 44}})
    assert unknown.status_code == 400 and "fältet Shoesize stöds inte" in unknown.text
    assert api("GET", "/3/customers/4711").status_code == 404
    api.post("/3/articles", ARTICLE)
    api.post("/3/invoices", invoice("1001"))
    in_use = api("DELETE", "/3/articles/101")
    assert in_use.status_code == 400 and "används på faktura 1" in in_use.text


def test_lastmodified_is_stockholm_time_and_answers_only_later_changes(api: Api) -> None:
    stockholm = ZoneInfo("Europe/Stockholm")
    api.clock.now = datetime(2025, 3, 10, 9, 0, 30, tzinfo=UTC).timestamp()
    api.post("/3/customers", CUSTOMER)  # 10:00 in Stockholm (CET)
    api.post("/3/articles", ARTICLE)
    first = api.post("/3/invoices", invoice("1"))["Invoice"]["DocumentNumber"]
    api.clock.now += 90 * 60  # 11:30 in Stockholm
    api.post("/3/customers", {"Customer": {"Name": "Nästa AB"}})
    api.post("/3/invoices", invoice("1"))
    boundary = datetime.fromtimestamp(api.clock.now - 60 * 60, stockholm)  # 10:30 local
    since = {"lastmodified": boundary.strftime("%Y-%m-%d %H:%M")}
    # were the parameter read as UTC, 10:30 would be 11:30 in Stockholm and nothing be later
    assert [c["Name"] for c in api.json("GET", "/3/customers", params=since)["Customers"]] == [
        "Nästa AB"]  # fmt: skip
    assert len(api.json("GET", "/3/invoices", params=since)["Invoices"]) == 1
    api.post("/3/invoicepayments", {"InvoicePayment": {"InvoiceNumber": int(first),
                                                       "Amount": 10.00}})  # fmt: skip
    # a payment changes its invoice: the invoice is listed as changed too
    assert len(api.json("GET", "/3/invoices", params=since)["Invoices"]) == 2
    assert len(api.json("GET", "/3/invoicepayments", params=since)["InvoicePayments"]) == 1
    assert api("GET", "/3/customers", params={"lastmodified": "igår"}).status_code == 400


def test_lists_of_more_than_one_page_hold_every_record_once(api: Api) -> None:
    for i in range(5):
        api.post("/3/customers", {"Customer": {"Name": f"Kund {i}"}})
    pages = [api.json("GET", f"/3/customers?limit=2&page={n}") for n in (1, 2, 3)]
    assert [p["MetaInformation"]["@TotalPages"] for p in pages] == [3, 3, 3]
    names = [c["Name"] for p in pages for c in p["Customers"]]
    assert names == [f"Kund {i}" for i in range(5)]
    assert api.json("GET", "/3/customers?limit=2&page=4")["Customers"] == []
    assert api("GET", "/3/invoices?limit=501").status_code == 400


def test_the_sie_export_reads_back_and_matches_the_vouchers(api: Api, tmp_path: Path) -> None:
    api.post("/3/vouchers", voucher(SALE))
    api.post("/3/vouchers", voucher([{"Account": 1930, "Debit": 1250.00},
                                     {"Account": 1510, "Credit": 1250.00}], "2025-04-01",
                                    Description="Inbetalning kund"))  # fmt: skip
    with api.app.store.transaction() as db:  # a voucher in the year before, while it was open
        db.execute("update settings set value = null where key = 'locked_until'")
    api.post("/3/vouchers", voucher(SALE, "2024-06-01", Year=1))
    with api.app.store.transaction() as db:
        db.execute("update settings set value = '2025-01-31' where key = 'locked_until'")
    export = api("GET", "/3/sie/4", checked=False, params={"financialyear": 2})
    assert export.headers["Content-Type"] == "text/plain; charset=IBM437"
    path = tmp_path / "export.se"
    path.write_bytes(export.content)
    assert "Sandlåda AB".encode("cp437") in export.content
    with SieReader(path, mode="strict") as reader:
        vouchers = reader.read()
        header = reader.header
        assert reader.diagnostics == []  # among them: IB + vouchers = UB for every account
    assert header.kind == "4E" and header.orgnr == "556000-0006"
    assert [(y.index, str(y.start)) for y in header.fiscal_years] == [
        (0, "2025-01-01"),
        (-1, "2024-01-01"),
    ]
    assert {b.account: b.amount for b in header.balances if b.kind == "IB" and b.year == 0} == {
        "1930": Decimal("5000.00"), "2081": Decimal("-5000.00")}  # fmt: skip
    assert header.objects[("1", "SALJ")] == "Sälj" and header.objects[("6", "P101")]
    assert all(v.imbalance() == 0 for v in vouchers)
    listed = api.json("GET", "/3/vouchers?financialyear=2")["Vouchers"]
    assert [(v.series, int(v.number)) for v in vouchers] == [
        (v["VoucherSeries"], v["VoucherNumber"]) for v in listed]  # fmt: skip
    for read in vouchers:
        body = api.json("GET", f"/3/vouchers/{read.series}/{read.number}?financialyear=2")[
            "Voucher"]  # fmt: skip
        assert (str(read.date), read.text) == (body["TransactionDate"], body["Description"])
        assert [(r.account, r.amount, r.object_id("1"), r.object_id("6")) for r in read.rows] == [
            (str(r["Account"]), r["Debit"] - r["Credit"], r["CostCenter"] or None,
             r["Project"] or None) for r in body["VoucherRows"]]  # fmt: skip
    summary = api("GET", "/3/sie/1", checked=False, params={"financialyear": 2}).content
    assert b"#SIETYP 1" in summary and b"#VER" not in summary and b"#UB 0 1930" in summary
    assert api("GET", "/3/sie/3").json()["ErrorInformation"]["Message"].startswith("SIE typ 3")


@pytest.mark.parametrize("faults", [Faults(drop_rate=1.0)])
def test_a_dropped_connection_reaches_the_client_as_a_connection_error(
    api: Api, faults: Faults
) -> None:
    with pytest.raises(requests.ConnectionError):
        api("GET", "/3/financialyears", checked=False)
    assert api.app.dropped == 1
    faults.drop_rate = 0.0
    assert api("GET", "/3/financialyears", checked=False).status_code == 200


@pytest.mark.parametrize("faults", [Faults(drop_after_rate=1.0)])
def test_a_connection_dropped_after_the_work_leaves_it_done(api: Api, faults: Faults) -> None:
    with pytest.raises(requests.ConnectionError):
        api("POST", "/3/customers", checked=False, json=CUSTOMER)
    faults.drop_after_rate = 0.0
    # the client never heard of it, but the customer was created: a retry must look first
    assert api.json("GET", "/3/customers")["Customers"][0]["Name"] == "Göta Media AB"


@pytest.mark.parametrize("faults", [Faults(drop_rate=0.3, seed=5)])
def test_it_can_be_told_to_drop_a_share_of_connections(api: Api, faults: Faults) -> None:
    outcomes = []
    for _ in range(40):
        try:
            outcomes.append(api("GET", "/3/costcenters", checked=False).status_code)
        except requests.ConnectionError:
            outcomes.append("dropped")
    assert 4 <= outcomes.count("dropped") <= 20 and set(outcomes) == {200, "dropped"}
    assert api.app.dropped == outcomes.count("dropped")
