"""The Fortnox sandbox's state, in SQLite: OAuth clients and tokens, the books, the registers
(customers, suppliers, articles) and the documents (invoices, supplier invoices, payments).

One file per sandbox (``$LEDGERBRIDGE_HOME/sandbox/fortnox/fortnox.sqlite``), so what a test or
a demo wrote survives a restart, as a real company's books do. Money is kept as text and read
back as Decimal. ``modified_at`` is a UTC stamp of one fixed shape (see times.py). The
columns of ``vouchers`` and ``voucher_rows`` keep their order: tests fill them positionally.
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
    -- the account's opening balance in this year (ingående balans), debit positive
    balance_brought_forward text not null default '0.00',
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

create table if not exists customers (
    number text primary key, name text not null, organisation_number text, vat_number text,
    type text, address1 text, address2 text, zip_code text, city text, country_code text,
    phone1 text, email text, email_invoice text, active integer not null default 1,
    currency text, terms_of_payment text, cost_center text, project text, comments text,
    modified_at text not null
);
create table if not exists suppliers (
    number text primary key, name text not null, organisation_number text, vat_number text,
    address1 text, address2 text, zip_code text, city text, country_code text, phone1 text,
    email text, active integer not null default 1, currency text, terms_of_payment text,
    bg text, pg text, bank text, bank_account_number text, clearing_number text, iban text,
    bic text, pre_defined_account text, our_customer_number text, cost_center text,
    project text, comments text, modified_at text not null
);
create table if not exists articles (
    number text primary key, description text not null, type text, unit text,
    sales_price text, purchase_price text, vat text, active integer not null default 1,
    stock_goods integer, ean text, supplier_number text, sales_account integer,
    purchase_account integer, quantity_in_stock text, note text, modified_at text not null
);
create table if not exists invoices (
    document_number integer primary key, customer_number text not null,
    customer_name text not null, address1 text, zip_code text, city text,
    invoice_date text not null, due_date text not null, terms_of_payment text,
    currency text not null, currency_rate text not null,
    invoice_type text not null default 'INVOICE', cost_center text, project text,
    our_reference text, your_reference text, external_invoice_reference1 text,
    external_invoice_reference2 text, remarks text, comments text, ocr text,
    net text not null, total_vat text not null, total text not null, balance text not null,
    booked integer not null default 0, cancelled integer not null default 0,
    sent integer not null default 0, final_pay_date text,
    voucher_series text, voucher_number integer, voucher_year integer,
    modified_at text not null
);
create table if not exists invoice_rows (
    document_number integer not null, row_id integer not null, article_number text,
    description text, account_number integer, delivered_quantity text not null, unit text,
    price text not null, vat integer not null, total text not null, vat_amount text not null,
    cost_center text, project text,
    primary key (document_number, row_id)
);
create table if not exists invoice_payments (
    number integer primary key, invoice_number integer not null, amount text not null,
    amount_currency text not null, currency text not null, currency_rate text not null,
    payment_date text not null, mode_of_payment text, information text,
    booked integer not null default 0, voucher_series text, voucher_number integer,
    voucher_year integer, modified_at text not null
);
create table if not exists supplier_invoices (
    given_number integer primary key, supplier_number text not null,
    supplier_name text not null, invoice_number text, invoice_date text not null,
    due_date text not null, currency text not null, currency_rate text not null, ocr text,
    comments text, our_reference text, your_reference text, cost_center text, project text,
    vat text not null, total text not null, balance text not null,
    booked integer not null default 0, cancelled integer not null default 0,
    credit integer not null default 0, final_pay_date text,
    voucher_series text, voucher_number integer, voucher_year integer,
    modified_at text not null
);
create table if not exists supplier_invoice_rows (
    given_number integer not null, row_id integer not null, account integer not null,
    code text, debit text not null, credit text not null, cost_center text, project text,
    transaction_information text, article_number text, quantity text,
    primary key (given_number, row_id)
);
create table if not exists supplier_invoice_payments (
    number integer primary key, invoice_number integer not null, amount text not null,
    amount_currency text not null, currency text not null, currency_rate text not null,
    payment_date text not null, mode_of_payment text, information text,
    booked integer not null default 0, voucher_series text, voucher_number integer,
    voucher_year integer, modified_at text not null
);
create index if not exists customers_modified on customers (modified_at);
create index if not exists suppliers_modified on suppliers (modified_at);
create index if not exists articles_modified on articles (modified_at);
create index if not exists invoices_modified on invoices (modified_at);
create index if not exists invoices_customer on invoices (customer_number);
create index if not exists invoice_rows_article on invoice_rows (article_number);
create index if not exists invoice_payments_invoice on invoice_payments (invoice_number);
create index if not exists supplier_invoices_modified on supplier_invoices (modified_at);
create index if not exists supplier_invoice_payments_invoice
    on supplier_invoice_payments (invoice_number);
"""

#: Columns added to tables after their first version: (table, column, definition).
ADDED_COLUMNS = (("accounts", "balance_brought_forward", "text not null default '0.00'"),)


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
        self._add_missing_columns()

    def _add_missing_columns(self) -> None:
        """A sandbox file made by an earlier version gets the columns added since."""
        for table, column, definition in ADDED_COLUMNS:
            have = {r["name"] for r in self._db.execute(f"pragma table_info({table})")}
            if column not in have:
                self._db.execute(f"alter table {table} add column {column} {definition}")

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

    def rows(self, sql: str, params: tuple | list | dict = ()) -> list[sqlite3.Row]:
        with self._lock:
            return self._db.execute(sql, params).fetchall()

    def one(self, sql: str, params: tuple | list | dict = ()) -> sqlite3.Row | None:
        with self._lock:
            return self._db.execute(sql, params).fetchone()

    def setting(self, key: str) -> str | None:
        row = self.one("select value from settings where key = ?", (key,))
        return row["value"] if row else None

    def close(self) -> None:
        with self._lock:
            self._db.close()
