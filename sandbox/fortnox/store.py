"""The Fortnox sandbox's state, in SQLite: OAuth clients and tokens, and the books.

One file per sandbox (``$LEDGERBRIDGE_HOME/sandbox/fortnox/fortnox.sqlite``), so what a test or
a demo wrote survives a restart, as a real company's books do. Money is kept as text and read
back as Decimal.
"""

from __future__ import annotations

import sqlite3
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

SCHEMA = """
create table if not exists clients (
    client_id text primary key, client_secret text not null, redirect_uri text not null
);
create table if not exists auth_codes (
    code text primary key, client_id text not null, scope text not null,
    redirect_uri text not null, expires_at real not null, used integer not null default 0
);
create table if not exists access_tokens (
    token text primary key, client_id text not null, scope text not null, expires_at real not null
);
create table if not exists refresh_tokens (
    token text primary key, client_id text not null, scope text not null,
    expires_at real not null, used integer not null default 0
);
create table if not exists financial_years (
    id integer primary key, from_date text not null, to_date text not null,
    chart_type text not null default 'BAS 2024'
);
create table if not exists accounts (
    year_id integer not null, number integer not null, description text not null,
    active integer not null default 1,
    cost_center_settings text not null default 'ALLOWED',
    project_settings text not null default 'ALLOWED',
    sru integer, modified_at text not null,
    primary key (year_id, number)
);
create table if not exists cost_centers (
    code text primary key, description text not null, active integer not null default 1,
    note text
);
create table if not exists projects (
    number text primary key, description text not null, status text not null default 'ONGOING',
    start_date text, end_date text
);
create table if not exists voucher_series (
    code text primary key, description text not null, manual integer not null default 1
);
create table if not exists vouchers (
    year_id integer not null, series text not null, number integer not null,
    transaction_date text not null, description text not null, comments text,
    reference_type text, reference_number text, cost_center text, project text,
    created_at text not null,
    primary key (year_id, series, number)
);
create table if not exists voucher_rows (
    year_id integer not null, series text not null, number integer not null,
    row_index integer not null, account integer not null, debit text not null,
    credit text not null, cost_center text, project text, description text,
    transaction_information text, quantity text,
    primary key (year_id, series, number, row_index)
);
create table if not exists settings (key text primary key, value text);
"""


class Store:
    """A thread-safe handle on the sandbox database (the server answers on several threads)."""

    def __init__(self, path: Path) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        self.path = path
        self._lock = threading.RLock()
        self._db = sqlite3.connect(str(path), check_same_thread=False, isolation_level=None)
        self._db.row_factory = sqlite3.Row
        self._db.execute("pragma journal_mode = wal")
        self._db.executescript(SCHEMA)

    @contextmanager
    def transaction(self) -> Iterator[sqlite3.Connection]:
        with self._lock:
            self._db.execute("begin immediate")
            try:
                yield self._db
            except BaseException:
                self._db.execute("rollback")
                raise
            self._db.execute("commit")

    def rows(self, sql: str, params: tuple | list = ()) -> list[sqlite3.Row]:
        with self._lock:
            return self._db.execute(sql, params).fetchall()

    def one(self, sql: str, params: tuple | list = ()) -> sqlite3.Row | None:
        with self._lock:
            return self._db.execute(sql, params).fetchone()

    def setting(self, key: str) -> str | None:
        row = self.one("select value from settings where key = ?", (key,))
        return row["value"] if row else None

    def close(self) -> None:
        with self._lock:
            self._db.close()
