"""The registers: customers, suppliers and articles (master data the reverse ETL corrects).

Each is listed (paged, ``lastmodified``, ``filter=active|inactive``), read, created and
updated; articles can also be deleted while no invoice names them. One declarative
``Register`` per resource says which of the OpenAPI description's fields the sandbox keeps,
their types and limits, and which the list items carry. A field the sandbox does not keep is
refused by name rather than dropped. A create without a number gets the next free one, as
Fortnox numbers them; a PUT changes only the fields it sends, and an empty string clears one.
"""

from __future__ import annotations

import sqlite3
from dataclasses import dataclass, field
from decimal import Decimal
from functools import partial

from werkzeug.routing import Rule
from werkzeug.wrappers import Request, Response

from sandbox.fortnox.times import since, stamp
from sandbox.fortnox.wire import (
    DUPLICATE,
    IN_USE,
    INVALID,
    NOT_FOUND,
    ApiError,
    Context,
    body_of,
    boolean,
    choice,
    integer,
    json_response,
    number,
    page,
    present,
    refuse_unknown,
    text,
)


@dataclass(frozen=True)
class Field:
    name: str  # Fortnox's
    column: str
    kind: str = "text"  # text | bool | number | account
    max_length: int | None = None
    choices: tuple[str, ...] = ()
    #: (table, column, what) a value must name, e.g. an existing cost centre
    names: tuple[str, str, str] | None = None


@dataclass(frozen=True)
class Register:
    path: str  # /3/<path>
    wrap: str  # {"Customer": {...}}
    list_key: str
    table: str
    key: str  # the numbering field, e.g. CustomerNumber
    required: str  # the field the spec requires, e.g. Name
    what: str  # "kunden", for messages
    number_what: str  # "Kundnummer"
    fields: tuple[Field, ...]
    #: list item field → the field it shows (the list says Phone where the record says Phone1)
    listed: dict[str, str]
    #: list item fields the OpenAPI description types as strings although the record has numbers
    listed_as_text: frozenset[str] = frozenset()
    #: sortby value → order by; the first is the default. Customer and supplier numbers are
    #: numbers (1001 after 999); article numbers are text (A1001, T100).
    sort: dict[str, str] = field(default_factory=dict)

    @property
    def by_name(self) -> dict[str, Field]:
        return {f.name: f for f in self.fields}


_CC = ("cost_centers", "code", "kostnadsställe")
_PROJECT = ("projects", "number", "projekt")
_SUPPLIER = ("suppliers", "number", "leverantör")
_PARTY = (
    Field("Name", "name", max_length=1024),
    Field("OrganisationNumber", "organisation_number", max_length=30),
    Field("VATNumber", "vat_number", max_length=30),
    Field("Address1", "address1", max_length=1024),
    Field("Address2", "address2", max_length=1024),
    Field("ZipCode", "zip_code", max_length=10),
    Field("City", "city", max_length=1024),
    Field("CountryCode", "country_code", max_length=2),
    Field("Phone1", "phone1", max_length=1024),
    Field("Email", "email", max_length=1024),
    Field("Active", "active", "bool"),
    Field("Currency", "currency", max_length=3),
    Field("TermsOfPayment", "terms_of_payment", max_length=50),
    Field("CostCenter", "cost_center", names=_CC),
    Field("Project", "project", names=_PROJECT),
    Field("Comments", "comments", max_length=1024),
)

CUSTOMERS = Register(
    path="customers", wrap="Customer", list_key="Customers", table="customers",
    key="CustomerNumber", required="Name", what="kunden",
    number_what="Kundnummer",
    fields=(
        Field("CustomerNumber", "number", max_length=1024),
        *_PARTY,
        Field("Type", "type", choices=("PRIVATE", "COMPANY")),
        Field("EmailInvoice", "email_invoice", max_length=1024),
    ),
    listed={k: k for k in ("CustomerNumber", "Name", "OrganisationNumber", "Address1",
                           "Address2", "ZipCode", "City", "Email")} | {"Phone": "Phone1"},
    sort={"customernumber": "length(number), number", "name": "name, number"},
)  # fmt: skip

SUPPLIERS = Register(
    path="suppliers", wrap="Supplier", list_key="Suppliers", table="suppliers",
    key="SupplierNumber", required="Name", what="leverantören",
    number_what="Leverantörsnummer",
    fields=(
        Field("SupplierNumber", "number", max_length=1024),
        *_PARTY,
        Field("BG", "bg", max_length=20),
        Field("PG", "pg", max_length=20),
        Field("Bank", "bank", max_length=100),
        Field("BankAccountNumber", "bank_account_number", max_length=40),
        Field("ClearingNumber", "clearing_number", max_length=10),
        Field("IBAN", "iban", max_length=34),
        Field("BIC", "bic", max_length=11),
        Field("PreDefinedAccount", "pre_defined_account", max_length=4),
        Field("OurCustomerNumber", "our_customer_number", max_length=50),
    ),
    listed={k: k for k in ("SupplierNumber", "Name", "OrganisationNumber", "Address1",
                           "Address2", "ZipCode", "City", "CountryCode", "Email", "Active",
                           "Currency", "TermsOfPayment", "BG", "PG", "BankAccountNumber",
                           "IBAN", "BIC", "CostCenter", "Project", "PreDefinedAccount")}
           | {"Phone": "Phone1"},
    sort={"suppliernumber": "length(number), number", "name": "name, number"},
)  # fmt: skip

ARTICLES = Register(
    path="articles", wrap="Article", list_key="Articles", table="articles",
    key="ArticleNumber", required="Description", what="artikeln",
    number_what="Artikelnummer",
    fields=(
        Field("ArticleNumber", "number", max_length=50),
        Field("Description", "description", max_length=200),
        Field("Type", "type", choices=("STOCK", "SERVICE")),
        Field("Unit", "unit", max_length=20),
        Field("SalesPrice", "sales_price", "number"),
        Field("PurchasePrice", "purchase_price", "number"),
        Field("VAT", "vat", "number"),
        Field("Active", "active", "bool"),
        Field("StockGoods", "stock_goods", "bool"),
        Field("EAN", "ean", max_length=30),
        Field("SupplierNumber", "supplier_number", names=_SUPPLIER),
        Field("SalesAccount", "sales_account", "account"),
        Field("PurchaseAccount", "purchase_account", "account"),
        Field("QuantityInStock", "quantity_in_stock", "number"),
        Field("Note", "note", max_length=10000),
    ),
    listed={k: k for k in ("ArticleNumber", "Description", "EAN", "PurchasePrice",
                           "QuantityInStock", "SalesPrice", "Unit", "VAT")},
    listed_as_text=frozenset({"PurchasePrice", "SalesPrice", "VAT"}),
    sort={"articlenumber": "number"},
)  # fmt: skip

REGISTERS = (CUSTOMERS, SUPPLIERS, ARTICLES)


# -- reading and writing a record -------------------------------------------------------------
def _parsed(reg: Register, body: dict, db: sqlite3.Connection) -> dict[str, object]:
    """column → value for the fields ``body`` sends (None clears a field)."""
    refuse_unknown(body, set(reg.by_name), reg.wrap)
    values: dict[str, object] = {}
    for f in reg.fields:
        if f.name not in body:
            continue
        if f.kind == "bool":
            value: object = boolean(body, f.name)
            value = None if value is None else int(value)
        elif f.kind == "number":
            amount = number(body, f.name)
            value = None if amount is None else str(amount)
        elif f.kind == "account":
            value = integer(body, f.name, 1000, 9999)
        elif f.choices:
            value = choice(body, f.name, f.choices)
        else:
            value = text(body, f.name, f.max_length)
        if value is not None and f.names is not None:
            table, column, what = f.names
            if db.execute(f"select 1 from {table} where {column} = ?", (value,)).fetchone() is None:
                raise ApiError(400, INVALID, f"{f.name}: {what} {value} finns inte.")
        values[f.column] = value
    return values


def render(reg: Register, row: sqlite3.Row) -> dict:
    item: dict[str, object] = {"@url": f"/3/{reg.path}/{row['number']}"}
    for f in reg.fields:
        value = row[f.column]
        if value is not None and f.kind == "bool":
            value = bool(value)
        elif value is not None and f.kind == "number":
            value = Decimal(value)
        item[f.name] = value
    return present(item)


def _listed(reg: Register, row: sqlite3.Row) -> dict:
    whole = render(reg, row)
    item = {"@url": whole["@url"]}
    for name, source in reg.listed.items():
        value = whole.get(source)
        item[name] = str(value) if name in reg.listed_as_text and value is not None else value
    return present(item)


def _next_number(reg: Register, db: sqlite3.Connection) -> str:
    """The next free number after the highest numeric one, as Fortnox counts."""
    (highest,) = db.execute(
        f"select max(cast(number as integer)) from {reg.table} "
        "where number != '' and number not glob '*[^0-9]*'"
    ).fetchone()
    return str((highest or 0) + 1)


def _found(reg: Register, db: sqlite3.Connection, key: str) -> sqlite3.Row:
    row = db.execute(f"select * from {reg.table} where number = ?", (key,)).fetchone()
    if row is None:
        raise ApiError(404, NOT_FOUND, f"{reg.what.capitalize()} {key} finns inte.")
    return row


# -- handlers ---------------------------------------------------------------------------------
def list_records(reg: Register, ctx: Context, request: Request) -> Response:
    after = since(request)
    wanted = request.args.get("filter") or None
    if wanted not in (None, "active", "inactive"):
        raise ApiError(400, INVALID, "filter ska vara active eller inactive.")
    active = {"active": 1, "inactive": 0}.get(wanted or "")
    order = reg.sort.get(request.args.get("sortby", ""), next(iter(reg.sort.values())))
    return page(
        request, ctx.store, reg.list_key,
        f"select * from {reg.table} where (? is null or modified_at > ?) "
        f"and (? is null or active = ?) order by {order}",
        (after, after, active, active),
        lambda row: _listed(reg, row),
    )  # fmt: skip


def get_record(reg: Register, ctx: Context, request: Request, key: str) -> Response:
    with ctx.store.transaction() as db:
        row = _found(reg, db, key)
    return json_response({reg.wrap: render(reg, row)})


def create_record(reg: Register, ctx: Context, request: Request) -> Response:
    body = body_of(request, reg.wrap)
    with ctx.store.transaction() as db:
        values = _parsed(reg, body, db)
        if values.get(reg.by_name[reg.required].column) is None:
            raise ApiError(400, INVALID, f"{reg.required} krävs för {reg.what}.")
        key = values.get("number") or _next_number(reg, db)
        if db.execute(f"select 1 from {reg.table} where number = ?", (key,)).fetchone():
            raise ApiError(400, DUPLICATE, f"{reg.number_what} {key} används redan.")
        values.update(number=key, modified_at=stamp(ctx.clock))
        if values.get("active") is None:
            values["active"] = 1
        columns = ", ".join(values)
        db.execute(
            f"insert into {reg.table} ({columns}) values ({', '.join('?' * len(values))})",
            list(values.values()),
        )
        row = _found(reg, db, str(key))
    return json_response({reg.wrap: render(reg, row)}, 201)


def update_record(reg: Register, ctx: Context, request: Request, key: str) -> Response:
    body = body_of(request, reg.wrap)
    with ctx.store.transaction() as db:
        _found(reg, db, key)
        values = _parsed(reg, body, db)
        if "number" in values and values["number"] != key:
            raise ApiError(400, INVALID, f"{reg.number_what} kan inte ändras ({key}).")
        required = reg.by_name[reg.required].column
        if required in values and values[required] is None:
            raise ApiError(400, INVALID, f"{reg.required} krävs för {reg.what}.")
        if "active" in values and values["active"] is None:
            values["active"] = 1
        values["modified_at"] = stamp(ctx.clock)
        assignments = ", ".join(f"{column} = ?" for column in values)
        db.execute(
            f"update {reg.table} set {assignments} where number = ?", [*values.values(), key]
        )
        row = _found(reg, db, key)
    return json_response({reg.wrap: render(reg, row)})


def delete_article(ctx: Context, request: Request, key: str) -> Response:
    with ctx.store.transaction() as db:
        _found(ARTICLES, db, key)
        used = db.execute(
            "select document_number from invoice_rows where article_number = ? limit 1", (key,)
        ).fetchone()
        if used is not None:
            raise ApiError(400, IN_USE, f"Artikeln {key} används på faktura {used[0]} och kan "
                           "inte tas bort.")  # fmt: skip
        db.execute("delete from articles where number = ?", (key,))
    return Response(status=204)


ROUTES = [
    rule
    for reg in REGISTERS
    for rule in (
        Rule(f"/3/{reg.path}", endpoint=partial(list_records, reg), methods=["GET"]),
        Rule(f"/3/{reg.path}", endpoint=partial(create_record, reg), methods=["POST"]),
        Rule(f"/3/{reg.path}/<key>", endpoint=partial(get_record, reg), methods=["GET"]),
        Rule(f"/3/{reg.path}/<key>", endpoint=partial(update_record, reg), methods=["PUT"]),
    )
] + [Rule("/3/articles/<key>", endpoint=delete_article, methods=["DELETE"])]
