"""Who may use the dashboards: the user file, its hashed passwords, roles and companies.

``<home>/users.json`` (mode 0600) lists each user with a role and, optionally, the companies
they may see. A user signs in with a password checked here, or through the company's identity
provider (OpenID Connect via ``st.login``): then the provider's e-mail address names the user
here, and such a user has no password. Passwords are stored as scrypt hashes (the standard
library's, decision 0032); the file never holds one in clear.
"""

from __future__ import annotations

import functools
import hashlib
import hmac
import json
import os
import re
import secrets
from dataclasses import asdict, dataclass, field
from enum import IntEnum
from pathlib import Path

from ledgerbridge.config import Paths
from ledgerbridge.errors import ConfigError

USERS_FILENAME = "users.json"
MIN_PASSWORD_LENGTH = 10
_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._@+-]{0,99}$")
# scrypt's cost: 2**14 × 8 × 128 bytes = 16 MiB and about 50 ms a check; enough to make a
# stolen file slow to guess from, fast enough for a sign-in
_SCRYPT = {"n": 2**14, "r": 8, "p": 1}


class Role(IntEnum):
    """Each role may do what the ones before it may."""

    viewer = 1  # the reports
    controller = 2  # and the reconciliation findings
    approver = 3  # and the reverse ETL: approvals and schedules
    admin = 4  # everything

    @classmethod
    def parse(cls, text: str) -> Role:
        try:
            return cls[text]
        except KeyError:
            raise ConfigError(
                f"role {text!r} is not known",
                hint="roles: " + ", ".join(role.name for role in cls),
            ) from None


@dataclass(frozen=True)
class User:
    name: str
    role: Role
    #: the companies the user may see; empty means every company
    companies: tuple[str, ...] = ()
    display_name: str = ""
    password_hash: str | None = field(default=None, repr=False)

    def may(self, role: Role) -> bool:
        return self.role >= role

    def sees(self, company_id: str) -> bool:
        return not self.companies or company_id in self.companies

    def visible(self, company_ids: list[str]) -> list[str]:
        return [company for company in company_ids if self.sees(company)]


def hash_password(password: str) -> str:
    salt = secrets.token_bytes(16)
    digest = hashlib.scrypt(password.encode(), salt=salt, dklen=32, **_SCRYPT)
    return f"scrypt${_SCRYPT['n']}${_SCRYPT['r']}${_SCRYPT['p']}${salt.hex()}${digest.hex()}"


def password_matches(password: str, stored: str) -> bool:
    try:
        scheme, n, r, p, salt, digest = stored.split("$")
    except ValueError:
        return False
    if scheme != "scrypt":
        return False
    candidate = hashlib.scrypt(
        password.encode(), salt=bytes.fromhex(salt), n=int(n), r=int(r), p=int(p), dklen=32
    )
    return hmac.compare_digest(candidate, bytes.fromhex(digest))


@functools.cache
def _decoy_hash() -> str:
    return hash_password(secrets.token_urlsafe(16))


def users_file(paths: Paths) -> Path:
    return paths.home / USERS_FILENAME


class UserFile:
    """The users of one home, read on each use (a user added while the dashboards run can
    sign in at once)."""

    def __init__(self, paths: Paths) -> None:
        self.path = users_file(paths)

    def all(self) -> list[User]:
        if not self.path.exists():
            return []
        try:
            raw = json.loads(self.path.read_text(encoding="utf-8"))
            return [
                User(
                    name=name,
                    role=Role.parse(entry["role"]),
                    companies=tuple(entry.get("companies", ())),
                    display_name=entry.get("display_name", ""),
                    password_hash=entry.get("password_hash"),
                )
                for name, entry in raw["users"].items()
            ]
        except (ValueError, KeyError, TypeError, AttributeError) as exc:
            raise ConfigError(
                f"{self.path} is not a ledgerbridge user file ({exc})",
                hint="mend it, or move it away and add the users again with "
                "`ledgerbridge users add`",
            ) from None

    def get(self, name: str) -> User | None:
        # e-mail addresses from an identity provider differ in case from what was typed
        wanted = name.strip().casefold()
        return next((user for user in self.all() if user.name.casefold() == wanted), None)

    def authenticate(self, name: str, password: str) -> User | None:
        """The user if the password is theirs; None otherwise, the same for an unknown name
        and a wrong password (and as slow), so a guesser learns nothing of who exists."""
        user = self.get(name)
        if user is None or user.password_hash is None:
            password_matches(password, _decoy_hash())  # one scrypt, as for a real user
            return None
        return user if password_matches(password, user.password_hash) else None

    def add(
        self,
        name: str,
        role: Role,
        *,
        password: str | None,
        companies: tuple[str, ...] | None = None,
        display_name: str = "",
        replace: bool = False,
    ) -> User:
        """``companies``: the ones the user may see, () for every one; None keeps what a
        replaced user had (a new user: every one)."""
        if not _NAME.match(name):
            raise ConfigError(
                f"user name {name!r}: letters, digits and . _ @ + -, up to 100 characters"
            )
        if password is not None and len(password) < MIN_PASSWORD_LENGTH:
            raise ConfigError(f"a password needs at least {MIN_PASSWORD_LENGTH} characters")
        users = {user.name: user for user in self.all()}
        existing = self.get(name)
        if existing is not None and not replace:
            raise ConfigError(
                f"user {existing.name!r} already exists",
                hint="`ledgerbridge users add --replace` changes their role, companies or password",
            )
        if existing is not None:
            users.pop(existing.name)
        if companies is None:
            companies = existing.companies if existing is not None else ()
        user = User(
            name=name,
            role=role,
            companies=companies,
            display_name=display_name,
            password_hash=hash_password(password) if password is not None else None,
        )
        users[name] = user
        self._write(users.values())
        return user

    def remove(self, name: str) -> None:
        user = self.get(name)
        if user is None:
            raise ConfigError(f"no user {name!r}", hint="`ledgerbridge users list` shows them")
        self._write(other for other in self.all() if other.name != user.name)

    def _write(self, users) -> None:
        body = {
            "users": {
                user.name: {
                    key: value
                    for key, value in asdict(user).items()
                    if key != "name" and value not in (None, "", ())
                }
                | {"role": user.role.name, "companies": list(user.companies)}
                for user in sorted(users, key=lambda user: user.name)
            }
        }
        self.path.parent.mkdir(parents=True, exist_ok=True)
        temporary = self.path.with_suffix(".json.tmp")
        # written whole and renamed: a reader never sees half a file
        with _private(temporary) as handle:
            json.dump(body, handle, indent=2, ensure_ascii=False)
            handle.write("\n")
        os.replace(temporary, self.path)


DEMO_LOGINS_FILENAME = "demo-logins.txt"


def create_demo_users(paths: Paths) -> list[tuple[str, Role, str]]:
    """One demo user per role, each with a new random password: (name, role, password).
    The logins are also kept in ``<home>/demo-logins.txt`` (mode 0600) for the next look."""
    users = UserFile(paths)
    logins = []
    for role in Role:
        name = f"demo-{role.name}"
        password = secrets.token_urlsafe(9)
        users.add(name, role, password=password, display_name=f"Demo {role.name}", replace=True)
        logins.append((name, role, password))
    text = "".join(f"{name}\t{role.name}\t{password}\n" for name, role, password in logins)
    path = paths.home / DEMO_LOGINS_FILENAME
    with _private(path) as handle:
        handle.write(text)
    return logins


def _private(path: Path):
    """A text file only its owner may read, whatever mode a file left there had."""
    descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    os.fchmod(descriptor, 0o600)
    return os.fdopen(descriptor, "w", encoding="utf-8")
