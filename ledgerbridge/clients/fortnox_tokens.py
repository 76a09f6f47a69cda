"""Where a company's Fortnox tokens live: ``state.sqlite``, one row per company.

Fortnox's refresh tokens are single-use: each refresh answers a new one and the old one is
refused from then on. A refresh whose new token is not saved therefore locks the company out
until somebody authorizes the integration again. So a refresh happens inside a SQLite
``BEGIN IMMEDIATE`` transaction (the write lock of the file, which every ledgerbridge process
on this machine respects): the row is read again under the lock (another process may have
refreshed meanwhile, and its access token is then used as it is), the token endpoint is
called, and the new pair is written in the same transaction before the lock is let go.

Tokens are secrets: ``Tokens`` never shows them in its repr, and nothing here logs them.
"""

from __future__ import annotations

import sqlite3
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field

from ledgerbridge.config import Paths
from ledgerbridge.errors import LedgerbridgeError
from ledgerbridge.state import connect

_SCHEMA = """
create table if not exists fortnox_tokens (
    company_id text primary key,
    access_token text,
    access_expires_at real,          -- unix time
    refresh_token text not null,
    scope text not null default '',
    updated_at real not null
);
"""
#: An access token this close to its end is refreshed before use rather than sent.
EARLY_SECONDS = 60.0


@dataclass(frozen=True)
class Tokens:
    access_token: str = field(repr=False)
    refresh_token: str = field(repr=False)
    expires_at: float
    scope: str = ""

    def fresh(self, now: float) -> bool:
        return bool(self.access_token) and self.expires_at - EARLY_SECONDS > now


class TokenStoreBusy(LedgerbridgeError):
    code = "fortnox-tokens"


#: Calls the token endpoint with a refresh token; answers the new pair (or raises).
Refresher = Callable[[str], Tokens]


class TokenStore:
    """A company's tokens in state.sqlite, refreshed under the file's write lock."""

    def __init__(self, paths: Paths, company_id: str, clock: Callable[[], float] = time.time):
        self.paths = paths
        self.company_id = company_id
        self.clock = clock
        self._thread_lock = threading.Lock()

    def _connect(self) -> sqlite3.Connection:
        con = connect(self.paths)
        con.executescript(_SCHEMA)
        con.isolation_level = None  # transactions are begun and ended here, explicitly
        return con

    def load(self) -> Tokens | None:
        con = self._connect()
        try:
            return self._read(con)
        finally:
            con.close()

    def _read(self, con: sqlite3.Connection) -> Tokens | None:
        row = con.execute(
            "select access_token, refresh_token, access_expires_at, scope "
            "from fortnox_tokens where company_id = ?",
            (self.company_id,),
        ).fetchone()
        if row is None:
            return None
        return Tokens(row[0] or "", row[1], row[2] or 0.0, row[3] or "")

    def save(self, tokens: Tokens) -> None:
        """Keep a pair from the authorization step (or from a refresh done elsewhere)."""
        con = self._connect()
        try:
            con.execute("begin immediate")
            self._write(con, tokens)
            con.execute("commit")
        finally:
            con.close()

    def _write(self, con: sqlite3.Connection, tokens: Tokens) -> None:
        con.execute(
            "insert into fortnox_tokens values (?, ?, ?, ?, ?, ?) on conflict (company_id) "
            "do update set access_token = excluded.access_token, "
            "access_expires_at = excluded.access_expires_at, "
            "refresh_token = excluded.refresh_token, scope = excluded.scope, "
            "updated_at = excluded.updated_at",
            (self.company_id, tokens.access_token, tokens.expires_at, tokens.refresh_token,
             tokens.scope, self.clock()),
        )  # fmt: skip

    def refresh(self, stale_access: str | None, refresher: Refresher) -> Tokens | None:
        """A fresh pair: the one another process saved since ``stale_access`` was read, or a
        new one from ``refresher``, saved before the lock is released. None if the company
        has no tokens (it was never authorized)."""
        with self._thread_lock:
            con = self._connect()
            try:
                try:
                    con.execute("begin immediate")
                except sqlite3.OperationalError as exc:  # another writer held it past 30 s
                    raise TokenStoreBusy(
                        f"{self.paths.state} stayed locked while refreshing the Fortnox token "
                        f"of company '{self.company_id}' ({exc})",
                        hint="another ledgerbridge run holds it; try again when it is done",
                    ) from None
                try:
                    held = self._read(con)
                    if held is None:
                        return None
                    if held.access_token != stale_access and held.fresh(self.clock()):
                        return held  # refreshed by somebody else while we waited
                    new = refresher(held.refresh_token)
                    self._write(con, new)
                except BaseException:
                    con.execute("rollback")
                    raise
                con.execute("commit")
                return new
            finally:
                con.close()

    def forget(self) -> None:
        con = self._connect()
        try:
            con.execute("delete from fortnox_tokens where company_id = ?", (self.company_id,))
        finally:
            con.close()
