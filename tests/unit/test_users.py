"""The dashboards' user file: hashed passwords, roles, companies, and its errors."""

from __future__ import annotations

import json
import os
import stat
import subprocess
from pathlib import Path

import pytest

from ledgerbridge.config import Paths
from ledgerbridge.errors import ConfigError
from ledgerbridge.users import (
    Role,
    UserFile,
    create_demo_users,
    hash_password,
    password_matches,
)
from tests.conftest import LEDGERBRIDGE, run_cli


@pytest.fixture
def users(tmp_path: Path) -> UserFile:
    return UserFile(Paths(tmp_path))


def test_a_password_is_stored_only_as_a_salted_hash(users: UserFile) -> None:
    users.add("anna", Role.controller, password="correct horse battery")
    text = users.path.read_text(encoding="utf-8")
    assert "correct horse battery" not in text
    assert json.loads(text)["users"]["anna"]["password_hash"].startswith("scrypt$")
    assert stat.S_IMODE(users.path.stat().st_mode) == 0o600
    # the same password hashes differently each time (its salt)
    assert hash_password("same password") != hash_password("same password")
    assert password_matches("same password", hash_password("same password"))


def test_authenticate_accepts_the_password_and_nothing_else(users: UserFile) -> None:
    users.add("anna", Role.controller, password="correct horse battery")
    assert users.authenticate("anna", "correct horse battery").role is Role.controller
    assert users.authenticate("ANNA", "correct horse battery") is not None
    assert users.authenticate("anna", "correct horse batter") is None
    assert users.authenticate("bertil", "correct horse battery") is None
    assert users.authenticate("' or '1'='1", "' or '1'='1") is None


def test_an_sso_user_has_no_password_to_guess(users: UserFile) -> None:
    users.add("anna@example.se", Role.approver, password=None)
    assert users.get("Anna@Example.se").role is Role.approver
    assert users.authenticate("anna@example.se", "") is None


def test_roles_and_companies(users: UserFile) -> None:
    viewer = users.add("v", Role.viewer, password="0123456789", companies=("demo_ab",))
    assert viewer.may(Role.viewer) and not viewer.may(Role.controller)
    assert viewer.visible(["demo_ab", "demo_sie_ab"]) == ["demo_ab"]
    admin = users.add("a", Role.admin, password="0123456789")
    assert admin.may(Role.approver) and admin.visible(["x", "y"]) == ["x", "y"]


def test_bad_names_roles_and_passwords_are_refused_with_the_rule(users: UserFile) -> None:
    with pytest.raises(ConfigError, match="user name"):
        users.add("anna; drop", Role.viewer, password="0123456789")
    with pytest.raises(ConfigError, match="at least 10 characters"):
        users.add("anna", Role.viewer, password="short")
    with pytest.raises(ConfigError, match="role 'boss' is not known") as refused:
        Role.parse("boss")
    assert refused.value.hint == "roles: viewer, controller, approver, admin"
    users.add("anna", Role.viewer, password="0123456789")
    with pytest.raises(ConfigError, match="already exists"):
        users.add("Anna", Role.admin, password="0123456789")
    assert users.add("anna", Role.admin, password="0123456789", replace=True).role is Role.admin
    assert [u.name for u in users.all()] == ["anna"]
    users.remove("anna")
    assert users.all() == []
    with pytest.raises(ConfigError, match="no user 'anna'"):
        users.remove("anna")


def test_a_damaged_user_file_is_named(users: UserFile) -> None:
    users.path.write_text('{"users": {"anna": {"role": "boss"}}}', encoding="utf-8")
    with pytest.raises(ConfigError, match="role 'boss'"):
        users.all()
    users.path.write_text("not json", encoding="utf-8")
    with pytest.raises(ConfigError, match="is not a ledgerbridge user file"):
        users.all()


def test_demo_users_one_per_role(tmp_path: Path) -> None:
    logins = create_demo_users(Paths(tmp_path))
    assert [role for _, role, _ in logins] == list(Role)
    users = UserFile(Paths(tmp_path))
    for name, role, password in logins:
        assert users.authenticate(name, password).role is role
    assert (tmp_path / "demo-logins.txt").read_text(encoding="utf-8").count("\n") == 4


def test_users_command(tmp_path: Path) -> None:
    home = tmp_path / "home"
    added = subprocess.run(
        [str(LEDGERBRIDGE), "users", "add", "anna", "--role", "approver", "--company", "demo_ab",
         "--password-stdin"],
        input="a long password\n", capture_output=True, text=True,
        env={**os.environ, "LEDGERBRIDGE_HOME": str(home)}, check=False,
    )  # fmt: skip
    assert added.returncode == 0, added.stderr
    assert "anna: approver, sees demo_ab" in added.stdout
    listed = run_cli("users", "list", home=home)
    assert "anna" in listed.stdout and "password" in listed.stdout
    refused = run_cli("users", "add", "bertil", "--role", "boss", "--sso", home=home)
    assert refused.returncode != 0 and "role 'boss' is not known" in refused.output


def test_replacing_a_user_keeps_their_companies_unless_told(users: UserFile) -> None:
    users.add("anna", Role.viewer, password="0123456789", companies=("demo_ab",))
    promoted = users.add("anna", Role.approver, password="0123456789", replace=True)
    assert promoted.companies == ("demo_ab",)
    lifted = users.add("anna", Role.approver, password="0123456789", companies=(), replace=True)
    assert lifted.companies == ()


def test_a_file_left_with_a_wider_mode_is_made_private(users: UserFile) -> None:
    users.path.write_text('{"users": {}}', encoding="utf-8")
    users.path.chmod(0o644)
    users.path.with_suffix(".json.tmp").write_text("", encoding="utf-8")
    users.path.with_suffix(".json.tmp").chmod(0o666)
    users.add("anna", Role.viewer, password="0123456789")
    assert stat.S_IMODE(users.path.stat().st_mode) == 0o600
