"""Fortnox API v3 → ``raw_fortnox``, incrementally.

Each resource lands in a table of its own, merged on its natural key (customers on
CustomerNumber, accounts on financial year + number, vouchers on financial year + series +
number, …), with the typed columns the staging models use and the whole item as JSON
(``raw``), so nothing Fortnox sent is lost.

- **Incremental.** Where Fortnox offers ``lastmodified`` (customers, articles, invoices,
  invoice payments) a run asks for what changed since the previous run began, less
  ``overlap`` (the parameter has minute resolution and the clocks differ). The watermark is
  the run's start in Fortnox's time zone (Europe/Stockholm), kept in ``sync_state`` and landed
  with the rows; after a load that failed, the pipeline forgets the marks (dlt merges each
  table on its own, so they may have landed without the rows) and the next run reads whole.
  The overlap's re-reads of items the warehouse holds unchanged (same JSON) are dropped, so
  "changed" means changed. Resources without ``lastmodified`` (or whose changes it does not
  show: accounts' opening balances) are read whole each run, and merged the same way.
- **Vouchers.** The voucher list carries no rows, so vouchers come in bulk through
  ``GET /3/sie/4`` (one request for a whole financial year, read with the SIE codec); the list
  is then compared with what the warehouse holds and only the few vouchers missing are read
  one by one (``top up``). A year the locked period already covered when the previous run
  listed it cannot have got new vouchers since, and is not listed again.
"""

from __future__ import annotations

import functools
import json
import tempfile
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal, InvalidOperation
from pathlib import Path
from zoneinfo import ZoneInfo

import pyarrow as pa

from ingestion.arrow_tables import AMOUNT, QUANTITY, Batcher, RawTable, schema
from ledgerbridge.clients.fortnox import FortnoxBadResponse, FortnoxClient
from ledgerbridge.errors import InvalidInputError
from ledgerbridge.formats.sie import DIM_COST_CENTRE, DIM_PROJECT, SieReader
from ledgerbridge.formats.sie.model import Voucher, VoucherRow

DATASET = "raw_fortnox"
FORTNOX_ZONE = ZoneInfo("Europe/Stockholm")
#: More missing vouchers than this in a year are read through sie/4 rather than one by one.
TOP_UP_LIMIT = 25
_S, _I, _D, _B = pa.string(), pa.int64(), pa.date32(), pa.bool_()
_TS = pa.timestamp("us", tz="UTC")
_MONEY, _QTY = "money", "qty"


@dataclass(frozen=True)
class Field:
    fortnox: str
    column: str
    kind: object  # an Arrow type, or _MONEY / _QTY (read as Decimal from number or text)


@dataclass(frozen=True)
class Resource:
    """One Fortnox list resource and the raw table it lands in."""

    name: str
    path: str
    key: str  # the list's name in the answer
    fields: tuple[Field, ...]
    natural_key: tuple[str, ...]  # columns, after company_id (and year_id when per_year)
    lastmodified: bool = False
    per_year: bool = False  # listed once per financial year (financialyear=…)

    @property
    def table(self) -> RawTable:
        return _raw_table(self)

    @property
    def key_columns(self) -> tuple[str, ...]:
        return ("company_id", *(("year_id",) if self.per_year else ()), *self.natural_key)


def _f(spec: str) -> tuple[Field, ...]:
    """``"CustomerNumber>customer_number:s Total:money"`` → fields."""
    kinds = {"s": _S, "i": _I, "d": _D, "b": _B, "money": _MONEY, "qty": _QTY}
    out = []
    for item in spec.split():
        name, kind = item.rsplit(":", 1)
        fortnox, _, column = name.partition(">")
        out.append(Field(fortnox, column or fortnox.lower(), kinds[kind]))
    return tuple(out)


RESOURCES = (
    Resource("financial_years", "/3/financialyears", "FinancialYears", _f(
        "Id>year_id:i FromDate>from_date:d ToDate>to_date:d "
        "AccountChartType>account_chart_type:s AccountingMethod>accounting_method:s"),
        ("year_id",)),
    Resource("accounts", "/3/accounts", "Accounts", _f(
        "Number>account_number:i Description>description:s Active>active:b SRU>sru:i "
        "CostCenterSettings>cost_center_settings:s ProjectSettings>project_settings:s "
        "VATCode>vat_code:s BalanceBroughtForward>balance_brought_forward:money"),
        # read whole: an opening balance moves with the year before, not with the account's
        # lastmodified, and a new year's chart may carry the old year's timestamps
        ("account_number",), per_year=True),
    Resource("voucher_series", "/3/voucherseries", "VoucherSeriesCollection", _f(
        "Code>code:s Description>description:s Manual>manual:b"), ("code",), per_year=True),
    Resource("cost_centers", "/3/costcenters", "CostCenters", _f(
        "Code>code:s Description>description:s Active>active:b Note>note:s"), ("code",)),
    Resource("projects", "/3/projects", "Projects", _f(
        "ProjectNumber>project_number:s Description>description:s Status>status:s "
        "StartDate>start_date:d EndDate>end_date:d ProjectLeader>project_leader:s"),
        ("project_number",)),
    Resource("customers", "/3/customers", "Customers", _f(
        "CustomerNumber>customer_number:s Name>name:s OrganisationNumber>organisation_number:s "
        "Address1>address1:s Address2>address2:s ZipCode>zip_code:s City>city:s "
        "Email>email:s Phone>phone:s"), ("customer_number",), lastmodified=True),
    Resource("suppliers", "/3/suppliers", "Suppliers", _f(
        "SupplierNumber>supplier_number:s Name>name:s OrganisationNumber>organisation_number:s "
        "Active>active:b BG>bankgiro:s PG>plusgiro:s BankAccountNumber>bank_account:s "
        "IBAN>iban:s BIC>bic:s Currency>currency:s TermsOfPayment>terms_of_payment:s "
        "CountryCode>country_code:s City>city:s ZipCode>zip_code:s Email>email:s"),
        ("supplier_number",)),
    Resource("articles", "/3/articles", "Articles", _f(
        "ArticleNumber>article_number:s Description>description:s Unit>unit:s "
        "SalesPrice>sales_price:qty PurchasePrice>purchase_price:qty "
        "QuantityInStock>quantity_in_stock:qty StockValue>stock_value:money VAT>vat:s "
        "EAN>ean:s WebshopArticle>webshop_article:b"), ("article_number",), lastmodified=True),
    Resource("invoices", "/3/invoices", "Invoices", _f(
        "DocumentNumber>document_number:s CustomerNumber>customer_number:s "
        "CustomerName>customer_name:s InvoiceDate>invoice_date:d DueDate>due_date:d "
        "FinalPayDate>final_pay_date:d Total>total:money Balance>balance:money "
        "Booked>booked:b Cancelled>cancelled:b Sent>sent:b Currency>currency:s "
        "CurrencyRate>currency_rate:qty OCR>ocr:s CostCenter>cost_center:s Project>project:s "
        "InvoiceType>invoice_type:s TermsOfPayment>terms_of_payment:s "
        "VoucherSeries>voucher_series:s VoucherNumber>voucher_number:i "
        "VoucherYear>voucher_year:i"), ("document_number",), lastmodified=True),
    Resource("supplier_invoices", "/3/supplierinvoices", "SupplierInvoices", _f(
        "GivenNumber>given_number:s SupplierNumber>supplier_number:s "
        "SupplierName>supplier_name:s InvoiceNumber>invoice_number:s "
        "InvoiceDate>invoice_date:d DueDate>due_date:d FinalPayDate>final_pay_date:d "
        "Total>total:money Balance>balance:money Booked>booked:b Cancel>cancelled:b "
        "Credit>credit:b Currency>currency:s CurrencyRate>currency_rate:qty "
        "CostCenter>cost_center:s Project>project:s"), ("given_number",)),
    Resource("invoice_payments", "/3/invoicepayments", "InvoicePayments", _f(
        "Number>number:s InvoiceNumber>invoice_number:s Amount>amount:money "
        "PaymentDate>payment_date:d Booked>booked:b Currency>currency:s "
        "CurrencyRate>currency_rate:qty Source>source:s"), ("number",), lastmodified=True),
    Resource("supplier_invoice_payments", "/3/supplierinvoicepayments",
        "SupplierInvoicePayments", _f(
        "Number>number:s InvoiceNumber>invoice_number:s Amount>amount:money "
        "PaymentDate>payment_date:d Booked>booked:b Currency>currency:s "
        "CurrencyRate>currency_rate:qty Source>source:s"), ("number",)),
)  # fmt: skip
BY_NAME = {r.name: r for r in RESOURCES}

_VOUCHER_KEY = ("company_id", "year_id", "voucher_series", "voucher_number")
VOUCHERS = RawTable(
    "vouchers",
    schema(
        ("company_id", _S, False),
        ("year_id", _I, False),
        ("voucher_series", _S, False),
        ("voucher_number", _I, False),
        ("transaction_date", _D),
        ("description", _S),
        ("comments", _S),
        ("reference_type", _S),
        ("reference_number", _S),
        ("read_through", _S),  # sie | api: how it came
        ("fetched_at", _TS),
    ),
    primary_key=_VOUCHER_KEY,
)
VOUCHER_ROWS = RawTable(
    "voucher_rows",
    schema(
        ("company_id", _S, False),
        ("year_id", _I, False),
        ("voucher_series", _S, False),
        ("voucher_number", _I, False),
        ("row_number", _I, False),
        ("account_number", _I),
        ("amount", AMOUNT),  # debit-positive, as SIE #TRANS
        ("cost_center", _S),
        ("project", _S),
        ("description", _S),
        ("quantity", QUANTITY),
        ("removed", _B),
    ),
    # rows of a voucher read again replace the old ones whole (a SIE and an API read of one
    # voucher number its rows alike, but a replace cannot leave a stray row either way)
    primary_key=(*_VOUCHER_KEY, "row_number"),
    replace_key=_VOUCHER_KEY,
)
LOCKED_PERIOD = RawTable(
    "locked_period",
    schema(("company_id", _S, False), ("end_date", _D), ("fetched_at", _TS)),
    primary_key=("company_id",),
)
SYNC_STATE = RawTable(
    "sync_state",
    schema(
        ("company_id", _S, False),
        ("resource", _S, False),
        # Fortnox local time (Europe/Stockholm), as lastmodified takes it
        ("lastmodified_from", pa.timestamp("us")),
        ("records_fetched", _I),
        ("records_read", _I),
        ("synced_at", _TS),
    ),
    primary_key=("company_id", "resource"),
)


@functools.cache
def _raw_table(resource: Resource) -> RawTable:
    columns: list = [("company_id", _S, False)]
    if resource.per_year:
        columns.append(("year_id", _I, False))
    columns += [
        (f.column, _arrow(f.kind), f.column not in resource.natural_key)
        for f in resource.fields
        if f.column != "year_id" or not resource.per_year
    ]
    columns += [("raw", _S), ("fetched_at", _TS)]
    return RawTable(resource.name, schema(*columns), primary_key=resource.key_columns)


def _arrow(kind: object) -> pa.DataType:
    return {_MONEY: AMOUNT, _QTY: QUANTITY}.get(kind, kind)  # type: ignore[call-overload]


def _value(resource: Resource, field: Field, raw: object, record: str = "") -> object:
    if raw is None or raw == "":  # Fortnox sends an unset text as ""
        return None
    try:
        if field.kind in (_MONEY, _QTY):
            places = Decimal("0.01") if field.kind == _MONEY else Decimal("0.0001")
            return Decimal(str(raw)).quantize(places)
        if field.kind == _I:
            return int(raw)  # type: ignore[call-overload]
        if field.kind == _D:
            return date.fromisoformat(str(raw))
        if field.kind == _B:
            return bool(raw)
    except (ValueError, TypeError, InvalidOperation):
        raise FortnoxBadResponse(
            f"Fortnox sent {resource.path}{f' ({record})' if record else ''} with "
            f"{field.fortnox} = {raw!r}, which is not a "
            f"{'date' if field.kind == _D else 'number'}"
        ) from None
    return str(raw)


def _canonical(item: dict) -> str:
    return json.dumps(item, sort_keys=True, ensure_ascii=False, default=str)


def item_row(
    resource: Resource, item: dict, company_id: str, fetched_at: datetime, year_id: int | None
) -> dict:
    row: dict = {"company_id": company_id}
    if resource.per_year:
        row["year_id"] = year_id
    record = ", ".join(
        f"{f.fortnox} {item.get(f.fortnox)}" for f in resource.fields
        if f.column in resource.natural_key
    )  # fmt: skip
    if year_id is not None:
        record += f" of financial year {year_id}"
    for field in resource.fields:
        if field.column == "year_id" and resource.per_year:
            continue
        row[field.column] = _value(resource, field, item.get(field.fortnox), record)
    missing = [c for c in resource.natural_key if row.get(c) in (None, "")]
    if missing:
        raise FortnoxBadResponse(
            f"Fortnox sent an item of {resource.path} without its key "
            f"{', '.join(missing)}: {_canonical(item)[:200]}"
        )
    row["raw"] = _canonical(item)
    row["fetched_at"] = fetched_at
    return row


@dataclass
class SyncState:
    """What the warehouse holds, as the source needs it (read by the pipeline)."""

    #: resource → where the next lastmodified read starts (Fortnox local time, naive)
    lastmodified_from: dict[str, datetime]
    #: (resource, key tuple) → the raw JSON held, for the keys asked about
    held_raw: Callable[[Resource, list[tuple]], dict[tuple, str]]
    #: year id → (series, number) of the vouchers held
    held_vouchers: Callable[[int], set[tuple[str, int]]]
    #: the end of the locked period as the previous run saw it (after its voucher lists)
    previous_lock: date | None = None


def watermark(started: datetime, overlap: timedelta) -> datetime:
    """Where the next ``lastmodified`` read starts: ``started − overlap`` as Fortnox's local
    time (naive, Europe/Stockholm). Where that local time occurs twice (the autumn change) it
    is taken an hour earlier, so that whichever of the two Fortnox reads it as, the read is
    not after the mark. (A UTC instant never falls in spring's missing hour.)"""
    local = (started - overlap).astimezone(FORTNOX_ZONE)
    naive = local.replace(tzinfo=None)
    twin = naive.replace(tzinfo=FORTNOX_ZONE, fold=1 - local.fold)
    if twin.utcoffset() != local.utcoffset():
        naive -= timedelta(hours=1)
    return naive


@dataclass
class SyncCounts:
    fetched: dict[str, int]  # new or changed items, per table
    read: dict[str, int]  # items read over the wire, per table
    sie_exports: int = 0
    top_ups: int = 0


def fortnox_rows(
    client: FortnoxClient,
    company_id: str,
    state: SyncState,
    counts: SyncCounts,
    *,
    overlap: timedelta = timedelta(minutes=10),
    say: Callable[[str], None] = lambda _m: None,
    now: Callable[[], datetime] = lambda: datetime.now(UTC),
) -> Iterator[object]:
    """Arrow batches of every resource's changes, the vouchers missing from the warehouse,
    and the new watermarks."""
    started = now()
    batch = Batcher(*(r.table for r in RESOURCES), VOUCHERS, VOUCHER_ROWS, LOCKED_PERIOD)
    sync = Batcher(SYNC_STATE)

    years_body = client.get("/3/financialyears")
    years = [
        item_row(BY_NAME["financial_years"], y, company_id, started, None)
        for y in years_body.get("FinancialYears") or []
    ]
    locked_body = client.get("/3/settings/lockedperiod").get("LockedPeriod") or {}
    locked = _value(BY_NAME["financial_years"], Field("EndDate", "end_date", _D),
                    locked_body.get("EndDate"), "the locked period")  # fmt: skip
    yield from batch.add(
        LOCKED_PERIOD.name, {"company_id": company_id, "end_date": locked, "fetched_at": started}
    )

    for resource in RESOURCES:
        since = state.lastmodified_from.get(resource.name) if resource.lastmodified else None
        params = {"lastmodified": since.strftime("%Y-%m-%d %H:%M")} if since else {}
        fetched = read = 0
        say(f"{resource.path}: " + (f"changes since {params['lastmodified']}" if since else "all"))
        scopes = [(None, {})] if not resource.per_year else [
            (y["year_id"], {"financialyear": y["year_id"]}) for y in years
        ]  # fmt: skip
        for year_id, year_params in scopes:
            if resource.name == "financial_years":
                pages: Iterator[list[dict]] = iter([years_body.get("FinancialYears") or []])
            else:
                pages = client.pages(resource.path, resource.key, {**params, **year_params})
            for page in pages:
                rows = [item_row(resource, item, company_id, started, year_id) for item in page]
                read += len(rows)
                keys = [tuple(r[c] for c in resource.key_columns) for r in rows]
                held = state.held_raw(resource, keys)
                for key, row in zip(keys, rows, strict=True):
                    if held.get(key) != row["raw"]:
                        fetched += 1
                        yield from batch.add(resource.name, row)
        counts.fetched[resource.name] = fetched
        counts.read[resource.name] = read
        yield from sync.add(SYNC_STATE.name, {
            "company_id": company_id, "resource": resource.name,
            "lastmodified_from": watermark(started, overlap) if resource.lastmodified else None,
            "records_fetched": fetched, "records_read": read, "synced_at": started,
        })  # fmt: skip

    for year in sorted(years, key=lambda y: y["from_date"]):
        yield from _year_vouchers(client, company_id, year, state, counts, batch, say,
                                  started)  # fmt: skip
    yield from sync.add(SYNC_STATE.name, {
        "company_id": company_id, "resource": "vouchers", "lastmodified_from": None,
        "records_fetched": counts.fetched.get("vouchers", 0),
        "records_read": counts.read.get("vouchers", 0), "synced_at": started,
    })  # fmt: skip
    yield from batch.flush()
    yield from sync.flush()


def _year_vouchers(
    client: FortnoxClient,
    company_id: str,
    year: dict,
    state: SyncState,
    counts: SyncCounts,
    batch: Batcher,
    say: Callable[[str], None],
    fetched_at: datetime,
) -> Iterator[object]:
    year_id = year["year_id"]
    held = state.held_vouchers(year_id)
    lock = state.previous_lock
    if held and lock is not None and year["to_date"] <= lock:
        # the year was locked already when the previous run listed it: nothing can have been
        # added since (a lock set after that run, over closing entries booked after it, is
        # not seen here and the year is listed once more)
        return
    listed: dict[tuple[str, int], dict] = {}
    for page in client.pages("/3/vouchers", "Vouchers", {"financialyear": year_id}):
        for item in page:
            try:
                listed[(str(item["VoucherSeries"]), int(item["VoucherNumber"]))] = item
            except (KeyError, TypeError, ValueError):
                raise FortnoxBadResponse(
                    f"Fortnox listed a voucher of financial year {year_id} without a "
                    f"series and number: {_canonical(item)[:200]}"
                ) from None
    counts.read["vouchers"] = counts.read.get("vouchers", 0) + len(listed)
    missing = sorted(set(listed) - held)
    if not missing:
        return
    got: set[tuple[str, int]] = set()
    if len(missing) > TOP_UP_LIMIT:
        say(f"vouchers {year['from_date']:%Y}: {len(missing)} new, read through sie/4")
        counts.sie_exports += 1
        wanted = set(missing)
        for voucher, rows in _sie_vouchers(client, year_id, company_id, fetched_at):
            key = (voucher["voucher_series"], voucher["voucher_number"])
            if key not in wanted:
                continue
            voucher.update(_list_details(listed[key]))
            got.add(key)
            yield from batch.add(VOUCHERS.name, voucher)
            for row in rows:
                yield from batch.add(VOUCHER_ROWS.name, row)
    rest = [key for key in missing if key not in got]
    if rest:
        say(f"vouchers {year['from_date']:%Y}: reading {len(rest)} one by one")
    for series, number in rest:
        body = client.get(f"/3/vouchers/{series}/{number}", {"financialyear": year_id})
        voucher, rows = _api_voucher(body.get("Voucher") or {}, company_id, year_id, fetched_at)
        counts.top_ups += 1
        yield from batch.add(VOUCHERS.name, voucher)
        for row in rows:
            yield from batch.add(VOUCHER_ROWS.name, row)
    counts.fetched["vouchers"] = counts.fetched.get("vouchers", 0) + len(missing)


def _list_details(item: dict) -> dict:
    """What the voucher list knows that SIE does not say."""
    return {
        "comments": item.get("Comments") or None,
        "reference_type": item.get("ReferenceType") or None,
        "reference_number": item.get("ReferenceNumber") or None,
    }


def _sie_vouchers(
    client: FortnoxClient, year_id: int, company_id: str, fetched_at: datetime
) -> Iterator[tuple[dict, list[dict]]]:
    content = client.get_bytes("/3/sie/4", {"financialyear": year_id})
    with tempfile.TemporaryDirectory(prefix="ledgerbridge-fortnox-") as folder:
        path = Path(folder) / f"fortnox-{year_id}.se"
        path.write_bytes(content)
        name = f"Fortnox sie/4 export of financial year {year_id}"
        try:
            with SieReader(path, display_name=name) as reader:
                for voucher in reader.vouchers():
                    try:
                        number = int(voucher.number)
                    except ValueError:
                        raise InvalidInputError(
                            f"{name}, line {voucher.line}: voucher number {voucher.number!r} "
                            "is not a whole number, as Fortnox's are"
                        ) from None
                    head = {
                        "company_id": company_id, "year_id": year_id,
                        "voucher_series": voucher.series, "voucher_number": number,
                        "transaction_date": voucher.date, "description": voucher.text,
                        "read_through": "sie", "fetched_at": fetched_at,
                    }  # fmt: skip
                    rows = [
                        {
                            "company_id": company_id,
                            "year_id": year_id,
                            "voucher_series": voucher.series,
                            "voucher_number": number,
                            "row_number": i,
                            "account_number": _account(name, voucher, row),
                            "amount": row.amount,
                            "cost_center": row.object_id(DIM_COST_CENTRE),
                            "project": row.object_id(DIM_PROJECT),
                            "description": row.text,
                            "quantity": row.quantity,
                            "removed": row.kind == "BTRANS",
                        }
                        for i, row in enumerate(
                            (r for r in voucher.rows if r.kind != "RTRANS"), start=1
                        )
                    ]
                    yield head, rows
        except InvalidInputError as exc:
            raise FortnoxBadResponse(f"{exc.message}", hint=exc.hint) from None


def _account(name: str, voucher: Voucher, row: VoucherRow) -> int:
    try:
        return int(row.account)
    except ValueError:
        raise FortnoxBadResponse(
            f"{name}, line {row.line}: {voucher.describe()} books on account "
            f"{row.account!r}, which is not a number as Fortnox's accounts are"
        ) from None


def _api_voucher(
    body: dict, company_id: str, year_id: int, fetched_at: datetime
) -> tuple[dict, list[dict]]:
    try:
        series, number = str(body["VoucherSeries"]), int(body["VoucherNumber"])
        head = {
            "company_id": company_id, "year_id": int(body.get("Year") or year_id),
            "voucher_series": series, "voucher_number": number,
            "transaction_date": date.fromisoformat(body["TransactionDate"]),
            "description": body.get("Description"), **_list_details(body),
            "read_through": "api", "fetched_at": fetched_at,
        }  # fmt: skip
        rows = [
            {
                "company_id": company_id,
                "year_id": head["year_id"],
                "voucher_series": series,
                "voucher_number": number,
                "row_number": i,
                "account_number": int(r["Account"]),
                "amount": (
                    Decimal(str(r.get("Debit") or 0)) - Decimal(str(r.get("Credit") or 0))
                ).quantize(Decimal("0.01")),
                "cost_center": r.get("CostCenter") or None,
                "project": r.get("Project") or None,
                "description": r.get("Description") or r.get("TransactionInformation") or None,
                "quantity": Decimal(str(r["Quantity"])) if r.get("Quantity") else None,
                "removed": bool(r.get("Removed")),
            }
            for i, r in enumerate(body.get("VoucherRows") or [], start=1)
        ]
    except (KeyError, TypeError, ValueError, InvalidOperation) as exc:
        raise FortnoxBadResponse(
            f"Fortnox sent voucher {body.get('VoucherSeries')}{body.get('VoucherNumber')} of "
            f"financial year {year_id} without a readable {exc}"
        ) from None
    return head, rows
