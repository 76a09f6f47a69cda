"""Who sees what: nothing before signing in, the pages of one's role, the companies one may
see; and text typed into any input never reaches SQL as SQL."""

from __future__ import annotations

import shutil
from decimal import Decimal
from pathlib import Path

import duckdb
import pytest

from dashboards.formatting import kronor
from ledgerbridge.config import Paths
from ledgerbridge.users import DEMO_LOGINS_FILENAME, Role, UserFile
from reverse_etl.outbox import Outbox, State
from tests.conftest import run_cli
from tests.e2e.dashboard_app import mart_value, metric, open_app, small_copy

INJECTIONS = [
    "'; drop table rec_findings; --",
    "' or '1'='1",
    "1); delete from fct_gl_entries; --",
    "%' union select account_number, account_name from dim_account --",
    "\\'; select * from _ledgerbridge_publish; --",
]


def demo_password(home: Path, name: str) -> str:
    for line in (home / DEMO_LOGINS_FILENAME).read_text(encoding="utf-8").splitlines():
        user, _, password = line.split("\t")
        if user == name:
            return password
    raise AssertionError(f"{name} is not among the demo's logins")


def table_counts(home: Path) -> dict[str, int]:
    con = duckdb.connect(str(home / "serving.duckdb"), read_only=True)
    try:
        tables = [r[0] for r in con.execute("select table_name from duckdb_tables()").fetchall()]
        return {t: con.execute(f'select count(*) from "{t}"').fetchone()[0] for t in tables}
    finally:
        con.close()


@pytest.fixture
def home(demo_home: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("LEDGERBRIDGE_HOME", str(demo_home))
    return demo_home


def test_nothing_is_shown_before_signing_in(home: Path) -> None:
    app = open_app(user=None)
    assert app.title[0].value == "ledgerbridge"
    assert not app.metric and not app.dataframe
    assert any(button.label == "Logga in" for button in app.button)
    # no page but the sign-in is registered: none can be opened by its address
    with pytest.raises(ValueError, match="Could not find a navigation page"):
        app.switch_page("app_pages/income_statement.py")


def test_signing_in_with_the_demos_password(home: Path) -> None:
    app = open_app(user=None)
    app.text_input(key="sign_in_name").input("demo-viewer")
    app.text_input(key="sign_in_password").input("not the password")
    app.button[0].click().run()
    assert app.error and "Fel användarnamn eller lösenord" in app.error[0].value
    assert not app.metric

    app.text_input(key="sign_in_password").input(demo_password(home, "demo-viewer"))
    app.button[0].click().run()
    assert not app.exception
    assert app.title[0].value == "Översikt"
    assert metric(app, "Öppna avvikelser")


@pytest.mark.parametrize(
    ("user", "page", "allowed"),
    [
        ("demo-viewer", "approvals.py", False),
        ("demo-viewer", "schedules.py", False),
        ("demo-viewer", "findings.py", False),
        ("demo-controller", "findings.py", True),
        ("demo-controller", "approvals.py", False),
        ("demo-approver", "approvals.py", True),
        ("demo-admin", "schedules.py", True),
    ],
)
def test_a_role_reaches_only_its_pages(home: Path, user: str, page: str, allowed: bool) -> None:
    app = open_app(user)
    if allowed:
        app.switch_page(f"app_pages/{page}").run()
        assert not app.exception and not app.error
    else:
        # the navigation has no such page for the role: it cannot be opened
        with pytest.raises(ValueError, match="Could not find a navigation page"):
            app.switch_page(f"app_pages/{page}")


def test_the_page_itself_refuses_a_role_below_its_own(home: Path) -> None:
    """The second guard: a page run for a user without its role stops before any data."""
    from streamlit.testing.v1 import AppTest

    from dashboards.auth import USER_KEY
    from tests.conftest import REPO

    page = AppTest.from_file(str(REPO / "dashboards" / "app_pages" / "approvals.py"))
    page.session_state[USER_KEY] = "demo-viewer"
    page.run()
    assert page.error and "kräver rollen Attestant" in page.error[0].value
    assert not page.dataframe


@pytest.fixture
def two_company_copy(two_company_home: Path, tmp_path: Path, monkeypatch) -> Path:
    home = tmp_path / "home"
    home.mkdir()
    for name in ("serving.duckdb", "users.json", "state.sqlite"):
        shutil.copy2(two_company_home / name, home / name)
    monkeypatch.setenv("LEDGERBRIDGE_HOME", str(home))
    return home


def test_a_user_restricted_to_one_company_sees_only_that_one(two_company_copy: Path) -> None:
    users = UserFile(Paths(two_company_copy))
    users.add("sie-only", Role.admin, password="a long password", companies=("demo_sie_ab",))
    app = open_app("sie-only")
    company = next(s for s in app.sidebar.selectbox if s.label == "Bolag")
    assert len(company.options) == 1 and company.options[0].endswith("demo_sie_ab")
    findings = mart_value(
        two_company_copy, "select count(*) from rec_findings where company_id = 'demo_sie_ab'"
    )
    assert metric(app, "Öppna avvikelser") == str(findings)
    # choosing the other company by its key is refused: the selector has no such option
    with pytest.raises(Exception):  # noqa: B017
        company.set_value("demo_ab").run()

    users.add("nobody", Role.viewer, password="a long password", companies=("elsewhere_ab",))
    app = open_app("nobody")
    assert not app.metric
    assert "inte behörighet" in app.warning[0].value


def test_injection_strings_in_every_text_input_change_nothing(
    demo_home: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    home = small_copy(demo_home, tmp_path / "home")
    monkeypatch.setenv("LEDGERBRIDGE_HOME", str(home))
    before = table_counts(home)

    for text in INJECTIONS:
        # sign-in: refused like any wrong password
        app = open_app(user=None)
        app.text_input(key="sign_in_name").input(text)
        app.text_input(key="sign_in_password").input(text)
        app.button[0].click().run()
        assert not app.exception and not app.metric

        # the huvudbok's text search finds nothing, and fails on nothing
        app = open_app(page="general_ledger.py")
        app.selectbox(key="ledger_account:demo_ab").set_value("1930").run()
        app.text_input(key="ledger_text:demo_ab").input(text).run()
        assert not app.exception
        assert metric(app, "Summa av träffarna") == kronor(Decimal("0.00"))

        # the findings' search
        app = open_app(page="findings.py")
        app.text_input(key="finding_text:demo_ab").input(text).run()
        assert not app.exception
        assert metric(app, "Avvikelser") == "0"

        # a schedule's name and cron expression: refused with the rule, nothing stored
        app = open_app("demo-approver", page="schedules.py")
        app.text_input(key="new_name").input(text)
        app.text_input(key="new_cron").input(text)
        app.button(key="FormSubmitter:add_schedule-Lägg till").click().run()
        assert not app.exception
        assert "schedule name" in app.error[0].value

    # a decision's comment is stored as written, through the outbox's bound parameters
    result = run_cli("plan", home=home)
    assert result.returncode == 0, result.output
    with Outbox(Paths(home)) as outbox:
        waiting = outbox.items(states=[State.PLANNED])
        assert waiting
        outbox.decide(waiting[:1], "demo-approver", approve=False, comment=INJECTIONS[0])
        assert outbox.audit(item_id=waiting[0].item_id)[-1][9] == INJECTIONS[0]

    assert table_counts(home) == before
    with duckdb.connect(str(home / "serving.duckdb"), read_only=True) as con:
        assert con.execute("select count(*) from rec_findings").fetchone()[0] > 0


def test_an_identity_provider_in_the_secrets_adds_its_sign_in(home: Path) -> None:
    from streamlit.testing.v1 import AppTest

    from tests.e2e.dashboard_app import APP

    app = AppTest.from_file(str(APP), default_timeout=120)
    app.secrets["auth"] = {
        "redirect_uri": "http://localhost:8501/oauth2callback",
        "cookie_secret": "a secret of the company's",
        "client_id": "ledgerbridge",
        "client_secret": "from the provider",
        "server_metadata_url": "https://login.example.se/.well-known/openid-configuration",
    }
    app.run()
    assert not app.exception
    labels = [button.label for button in app.button]
    assert "Logga in med företagets konto" in labels and "Logga in" in labels
    assert not app.metric


def test_an_approver_of_one_company_decides_but_does_not_act_for_all(
    demo_home: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Planning, sending and schedules cover every company: an approver restricted to some
    companies approves their items, and leaves the rest to someone who sees them all."""
    home = small_copy(demo_home, tmp_path / "home")
    monkeypatch.setenv("LEDGERBRIDGE_HOME", str(home))
    UserFile(Paths(home)).add(
        "ab-only", Role.approver, password="a long password", companies=("demo_ab",)
    )
    approvals = open_app("ab-only", page="approvals.py")
    keys = {button.key for button in approvals.button}
    assert "plan_now" not in keys and "push_now" not in keys
    assert "bolagsbegränsning" in approvals.caption[0].value
    schedules = open_app("ab-only", page="schedules.py")
    assert not [button for button in schedules.button if button.label == "Lägg till"]
    full = open_app("demo-approver", page="approvals.py")
    assert {"plan_now", "push_now"} <= {button.key for button in full.button}
