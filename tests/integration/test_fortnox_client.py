"""The Fortnox client against the Fortnox sandbox over real HTTP: tokens kept and refreshed
once under a lock, the rate limit kept, 429s and 500s ridden out, clear errors."""

from __future__ import annotations

import base64
import logging
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path

import pytest
import requests
from werkzeug.serving import make_server

from ledgerbridge.clients.fortnox import (
    FortnoxBadResponse,
    FortnoxClient,
    FortnoxError,
    FortnoxNotAuthorized,
    FortnoxUncertain,
    RateLimiter,
    check_url,
)
from ledgerbridge.clients.fortnox_tokens import TokenStore
from ledgerbridge.config import Paths
from sandbox.fortnox.app import RATE_LIMIT, Faults, FortnoxSandbox
from sandbox.fortnox.running import authorize_sandbox
from sandbox.fortnox.store import Store
from tests.integration.test_fortnox_sandbox import CLIENT, REDIRECT, SECRET, seed


class Clock:
    """Fortnox's clock: real time (the rate limit's window slides), moved ahead at will."""

    def __init__(self) -> None:
        self.ahead = 0.0

    def __call__(self) -> float:
        return time.time() + self.ahead


class Corrupting:
    """A proxy in front of the sandbox that cuts the JSON of chosen answers short, as a
    broken gateway would."""

    def __init__(self, app: FortnoxSandbox) -> None:
        self.app = app
        self.paths: set[str] = set()

    def __call__(self, environ: dict, start_response) -> list[bytes]:
        if environ["PATH_INFO"] not in self.paths:
            return self.app(environ, start_response)
        body = b"".join(self.app(environ, lambda *_a, **_k: None))
        start_response("200 OK", [("Content-Type", "application/json")])
        return [body[: len(body) // 2]]


@dataclass
class Sandbox:
    """A sandbox served on a free port, behind a proxy that can corrupt its answers."""

    url: str
    app: FortnoxSandbox
    clock: Clock
    store: Store
    proxy: Corrupting


@pytest.fixture
def faults() -> Faults:
    return Faults()


@pytest.fixture
def sandbox(tmp_path: Path, faults: Faults) -> Iterator[Sandbox]:
    store = Store(tmp_path / "fortnox.sqlite")
    seed(store)
    with store.transaction() as db:  # enough vouchers for several pages of 500
        for number in range(1, 1201):
            db.execute(
                "insert into vouchers values (2, 'A', ?, '2025-03-03', ?, null, 'MANUAL', "
                "null, null, null, '2025-03-03T10:00:00+00:00')",
                (number, f"Försäljning {number}"),
            )
            for index, (account, debit, credit) in enumerate(
                ((1510, "125.00", "0"), (2611, "0", "125.00")), start=1
            ):
                db.execute(
                    "insert into voucher_rows values (2, 'A', ?, ?, ?, ?, ?, null, null, null, "
                    "null, null)",
                    (number, index, account, debit, credit),
                )
    clock = Clock()
    app = FortnoxSandbox(store, clock=clock, faults=faults)
    proxy = Corrupting(app)
    http = make_server("127.0.0.1", 0, proxy, threaded=True)
    thread = threading.Thread(target=http.serve_forever, daemon=True)
    thread.start()
    sandbox = Sandbox(f"http://127.0.0.1:{http.server_port}", app, clock, store, proxy)
    try:
        yield sandbox
    finally:
        http.shutdown()
        store.close()


def client_for(sandbox: Sandbox, paths: Paths, **kw: object) -> FortnoxClient:
    return FortnoxClient(
        TokenStore(paths, "demo_ab"), CLIENT, SECRET, api_url=sandbox.url,
        auth_url=f"{sandbox.url}/oauth-v1", **kw,
    )  # fmt: skip


@pytest.fixture
def paths(tmp_path: Path) -> Paths:
    return Paths(tmp_path / "home").ensure()


@pytest.fixture
def client(sandbox: Sandbox, paths: Paths) -> FortnoxClient:
    client = client_for(sandbox, paths, backoff=0.01)
    authorize_sandbox(client, REDIRECT)
    return client


def all_vouchers(client: FortnoxClient) -> list[int]:
    return [
        v["VoucherNumber"]
        for page in client.pages("/3/vouchers", "Vouchers", {"financialyear": 2})
        for v in page
    ]


def test_authorization_keeps_the_tokens_in_state_sqlite_and_pages_read_everything(
    client: FortnoxClient, paths: Paths
) -> None:
    held = TokenStore(paths, "demo_ab").load()
    assert held is not None and held.access_token and held.refresh_token
    assert held.access_token not in repr(held) and held.refresh_token not in repr(held)
    assert all_vouchers(client) == list(range(1, 1201))
    assert client.stats.requests == 3  # three pages of at most 500
    body = client.get("/3/vouchers/A/7", {"financialyear": 2})["Voucher"]
    assert body["VoucherRows"][0]["Debit"] == Decimal("125.00")  # Decimal, never float
    assert isinstance(body["VoucherRows"][0]["Debit"], Decimal)


def test_an_access_token_that_expires_mid_run_is_refreshed_once(
    client: FortnoxClient, sandbox: Sandbox, paths: Paths
) -> None:
    first = TokenStore(paths, "demo_ab").load()
    seen = []
    for page in client.pages("/3/vouchers", "Vouchers", {"financialyear": 2}):
        seen += page
        sandbox.clock.ahead += 3601  # the hour is up while the run goes on (Fortnox's clock)
    assert len(seen) == 1200 and client.stats.refreshed == 2  # once per expiry, not per call
    second = TokenStore(paths, "demo_ab").load()
    assert second.refresh_token != first.refresh_token  # the rotated one was kept
    # the old refresh token is spent: only the saved one still works
    old = requests.post(
        f"{sandbox.url}/oauth-v1/token",
        data={"grant_type": "refresh_token", "refresh_token": first.refresh_token},
        headers={"Authorization": "Basic " + base64.b64encode(f"{CLIENT}:{SECRET}".encode())
                 .decode()},
        timeout=10,
    )  # fmt: skip
    assert old.status_code == 400


def test_two_processes_refreshing_at_once_spend_the_refresh_token_once(
    client: FortnoxClient, sandbox: Sandbox, paths: Paths
) -> None:
    sandbox.clock.ahead += 3601
    others = [client_for(sandbox, paths) for _ in range(4)]
    errors: list[Exception] = []

    def read(c: FortnoxClient) -> None:
        try:
            c.get("/3/financialyears")
        except Exception as exc:  # reported below
            errors.append(exc)

    threads = [threading.Thread(target=read, args=(c,)) for c in others]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    assert sum(c.stats.refreshed for c in others) == 1  # the others used the saved pair
    assert client.get("/3/financialyears")["FinancialYears"]


def test_a_spent_refresh_token_says_to_authorize_again(
    client: FortnoxClient, sandbox: Sandbox, paths: Paths
) -> None:
    store = TokenStore(paths, "demo_ab")
    spent = store.load()
    client.tokens.refresh(spent.access_token, client._refreshed)  # rotates it
    from ledgerbridge.clients.fortnox_tokens import Tokens

    store.save(Tokens("", spent.refresh_token, 0.0))  # as if the new pair had been lost
    fresh = client_for(sandbox, paths)
    with pytest.raises(FortnoxNotAuthorized) as caught:
        fresh.get("/3/financialyears")
    assert "authorize" in (caught.value.hint or "")
    assert spent.refresh_token not in str(caught.value)


def test_the_client_keeps_under_the_rate_limit_and_rides_out_a_429_storm(
    client: FortnoxClient, sandbox: Sandbox, paths: Paths
) -> None:
    token = TokenStore(paths, "demo_ab").load().access_token
    stop = threading.Event()

    def hammer() -> None:  # another process spending most of the same token's budget
        while not stop.wait(1.25):
            requests.get(
                f"{sandbox.url}/3/financialyears",
                headers={"Authorization": f"Bearer {token}"},
                timeout=10,
            )

    for _ in range(RATE_LIMIT):  # the other process's burst spent the window first
        requests.get(f"{sandbox.url}/3/financialyears",
                     headers={"Authorization": f"Bearer {token}"}, timeout=10)  # fmt: skip
    threads = [threading.Thread(target=hammer) for _ in range(4)]  # 16 of the 25 per 5 s
    for t in threads:
        t.start()
    try:
        numbers = all_vouchers(client) + all_vouchers(client)
        for number in range(1, 31):
            voucher = client.get(f"/3/vouchers/A/{number}", {"financialyear": 2})["Voucher"]
            assert voucher["VoucherNumber"] == number
    finally:
        stop.set()
        for t in threads:
            t.join()
    assert numbers == list(range(1, 1201)) * 2  # complete, nothing twice
    assert client.stats.rate_limited > 0 and client.stats.failed == 0


def test_alone_on_its_token_the_client_meets_no_429(client: FortnoxClient) -> None:
    for _ in range(RATE_LIMIT * 2 + 5):
        client.get("/3/financialyears")
    assert client.stats.rate_limited == 0
    assert client.limiter.waited > 4  # it waited for the window instead


@pytest.mark.parametrize("faults", [Faults(error_rate=0.2, seed=3)])
def test_a_fifth_of_answers_being_500_still_reads_everything_once(
    client: FortnoxClient, sandbox: Sandbox
) -> None:
    numbers = all_vouchers(client)
    for number in range(1, 40):
        voucher = client.get(f"/3/vouchers/A/{number}", {"financialyear": 2})["Voucher"]
        assert voucher["VoucherNumber"] == number
    assert numbers == list(range(1, 1201))
    assert client.stats.retried > 0 and client.stats.failed == 0


SALE = {"Voucher": {"Description": "Test", "TransactionDate": "2025-03-03", "Year": 2,
                    "VoucherSeries": "A", "VoucherRows": [
                        {"Account": 1510, "Debit": Decimal("10.00"), "Credit": 0},
                        {"Account": 2611, "Debit": 0, "Credit": Decimal("10.00")}]}}  # fmt: skip


def post_ten(client: FortnoxClient) -> tuple[list[int], list[FortnoxError]]:
    created, failed = [], []
    for _ in range(10):
        try:
            created.append(client.post("/3/vouchers", SALE)["Voucher"]["VoucherNumber"])
        except FortnoxError as exc:
            failed.append(exc)
    return created, failed


@pytest.mark.parametrize("faults", [Faults(error_rate=0.2, seed=3)])
def test_a_write_refused_with_500_is_not_sent_again(
    client: FortnoxClient, sandbox: Sandbox
) -> None:
    before = sandbox.app.requests
    _, failed = post_ten(client)
    assert failed and all("HTTP 500" in str(f) for f in failed)
    assert sandbox.app.requests - before == 10  # each write sent once, whatever the answer


@pytest.mark.parametrize("faults", [Faults(drop_after_rate=0.3, seed=5)])
def test_a_write_whose_answer_is_lost_is_reported_uncertain_and_not_resent(
    client: FortnoxClient, sandbox: Sandbox
) -> None:
    created, failed = post_ten(client)
    assert failed and all(isinstance(f, FortnoxUncertain) for f in failed)
    assert all("may or may not have carried it out" in str(f) for f in failed)
    # Fortnox did book each of them, once: sending one again would have booked it twice
    held = sandbox.store.one("select count(*) from vouchers where number > 1200")[0]
    assert held == 10 and len(created) == 10 - len(failed)


def test_malformed_json_is_a_clear_error(client: FortnoxClient, sandbox: Sandbox) -> None:
    sandbox.proxy.paths.add("/3/costcenters")
    with pytest.raises(FortnoxBadResponse) as caught:
        client.get("/3/costcenters")
    message = str(caught.value)
    assert "GET /3/costcenters" in message and "malformed JSON" in message
    assert "line 1 column" in message


def test_secrets_never_reach_logs_or_messages(
    sandbox: Sandbox, paths: Paths, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    client = client_for(sandbox, paths)
    authorize_sandbox(client, REDIRECT)
    client.get("/3/financialyears")
    tokens = TokenStore(paths, "demo_ab").load()
    logged = caplog.text + repr(client) + repr(tokens)
    for secret in (tokens.access_token, tokens.refresh_token, SECRET):
        assert secret not in logged


def test_a_broken_token_answer_is_never_quoted(
    client: FortnoxClient, sandbox: Sandbox, caplog: pytest.LogCaptureFixture
) -> None:
    """Its first bytes are the new access token: an error showing them would leak it."""
    caplog.set_level(logging.DEBUG)
    sandbox.clock.ahead += 3601
    sandbox.proxy.paths.add("/oauth-v1/token")
    with pytest.raises(FortnoxNotAuthorized) as caught:
        client.get("/3/financialyears")
    text = str(caught.value) + (caught.value.hint or "") + caplog.text
    assert "without a readable access_token" in text and 'access_token"' not in text
    assert "ledgerbridge fortnox authorize --company demo_ab" in caught.value.hint


def test_plain_http_is_refused_except_on_this_machine() -> None:
    assert check_url("http://localhost:8000/") == "http://localhost:8000"
    assert check_url("https://api.fortnox.se") == "https://api.fortnox.se"
    with pytest.raises(FortnoxError, match="not HTTPS"):
        check_url("http://api.fortnox.se")


def test_a_company_never_authorized_is_told_how(sandbox: Sandbox, paths: Paths) -> None:
    with pytest.raises(FortnoxNotAuthorized) as caught:
        client_for(sandbox, paths).get("/3/financialyears")
    assert "ledgerbridge fortnox authorize --company demo_ab" in caught.value.hint


def test_the_rate_limiter_never_lets_more_than_25_through_in_a_window() -> None:
    now = [0.0]
    limiter = RateLimiter(clock=lambda: now[0], sleep=lambda s: now.__setitem__(0, now[0] + s))
    sent = []
    for _ in range(100):
        limiter.acquire()
        sent.append(now[0])
    for i, moment in enumerate(sent):
        assert sum(1 for t in sent[i:] if t < moment + 5.0) <= 25
    assert sent[-1] < 4 * 5.1 + 0.01  # and close to the limit: 100 in four windows
