"""Tryton ERP → ``raw_tryton``, incrementally.

Each entity is one Tryton model read by modification time (``TrytonClient.changed_since``):
a run asks only for records modified after the latest write_date the warehouse holds, and
for never-modified records created after the latest create_date it holds among those, less a
small overlap (a transaction that committed late carries an earlier timestamp), and merges
them on the record id. A record the overlap reads again in the version the warehouse already
holds (same id, same timestamp) is dropped, so only new versions are merged and counted.
The marks are read from the raw tables themselves, so a table whose load failed keeps its
old mark and the next run fetches the same records again; the two marks are kept apart
because a never-modified record can be changed while the other pass runs.
``raw_tryton.sync_state`` records what each run did (for ``status``).

Deleted records cannot be seen by modification time. On a slower cadence
(``deletion_check_hours``) each entity's full id list is compared with the ids in the
warehouse; those gone from Tryton are kept with ``deleted_at`` set, for the audit trail,
and the staging models leave them out.
"""

from __future__ import annotations

import functools
import json
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pyarrow as pa

from ingestion.arrow_tables import AMOUNT, QUANTITY, Batcher, RawTable, schema
from ledgerbridge.clients.tryton import TrytonClient

DATASET = "raw_tryton"
PAGE_SIZE = 1000
#: Tryton hides archived records (active = False) from searches by default: an archived
#: customer would never be read again, and the deletion check would take it for deleted.
EVERY_RECORD = {"active_test": False}
_S, _I, _D, _TS = pa.string(), pa.int64(), pa.date32(), pa.timestamp("us")
_BOOL = pa.bool_()
# Tryton field kinds that need converting; other kinds are Arrow types used as they are
_LINK, _LINKS, _MONEY, _PRICE, _QTY = "link", "links", "money", "price", "qty"


@dataclass(frozen=True)
class Field:
    tryton: str
    column: str
    kind: object  # an Arrow type, or _LINK (many2one id), _LINKS (id list), _MONEY, _QTY


@dataclass(frozen=True)
class Entity:
    """A raw table read from one Tryton model."""

    name: str
    model: str
    fields: tuple[Field, ...]
    domain: tuple = ()

    @property
    def table(self) -> RawTable:
        return _raw_table(self)


@functools.cache
def _raw_table(entity: Entity) -> RawTable:
    """The raw table of an entity, made once: every page of every run uses it."""
    columns: list = [("company_id", _S, False), ("id", _I, False)]
    columns += [(f.column, _arrow(f.kind)) for f in entity.fields]
    columns += [
        ("create_date", _TS),
        ("write_date", _TS),
        ("deleted_at", pa.timestamp("us", tz="UTC")),
        ("fetched_at", pa.timestamp("us", tz="UTC")),
        # the ERP's clock just before the read that fetched this version began: bounds the
        # next run's overlap (see tryton_rows)
        ("server_read_at", _TS),
    ]
    return RawTable(entity.name, schema(*columns), primary_key=("company_id", "id"))


def _arrow(kind: object) -> pa.DataType:
    if isinstance(kind, str):
        return {_LINK: _I, _LINKS: _S, _MONEY: AMOUNT, _PRICE: QUANTITY, _QTY: QUANTITY}[kind]
    return kind  # type: ignore[return-value]


def _f(spec: str) -> tuple[Field, ...]:
    """``"name:s party:link total_amount:money"`` → fields (column = Tryton field name, or
    ``tryton>column`` to rename)."""
    kinds = {"s": _S, "i": _I, "d": _D, "b": _BOOL, "link": _LINK, "links": _LINKS,
             "money": _MONEY, "price": _PRICE, "qty": _QTY}  # fmt: skip
    out = []
    for item in spec.split():
        name, kind = item.split(":")
        tryton, _, column = name.partition(">")
        out.append(Field(tryton, column or tryton, kinds[kind]))
    return tuple(out)


ENTITIES = (
    Entity("parties", "party.party", _f(
        "code:s name:s active:b customer_payment_term:link supplier_payment_term:link")),
    Entity("addresses", "party.address", _f(
        "party:link street:s postal_code:s city:s country:link active:b")),
    Entity("party_identifiers", "party.identifier", _f("party:link type:s code:s")),
    Entity("products", "product.product", _f("code:s template:link active:b cost_price:price")),
    Entity("product_categories", "product.category", _f(
        "name:s customer_taxes:links supplier_taxes:links")),
    Entity("taxes", "account.tax", _f("name:s type:s rate:price")),
    Entity("product_templates", "product.template", _f(
        "code:s name:s type:s list_price:price default_uom:link account_category:link active:b")),
    Entity("locations", "stock.location", _f("code:s name:s type:s parent:link active:b")),
    Entity("stock_moves", "stock.move", _f(
        "product:link quantity:qty unit:link from_location:link to_location:link "
        "effective_date:d planned_date:d state:s unit_price:price cost_price:price "
        "shipment:s origin:s")),
    Entity("sales", "sale.sale", _f(
        "number:s reference:s party:link sale_date:d state:s warehouse:link payment_term:link "
        "invoice_method:s shipment_state:s invoice_state:s untaxed_amount:money "
        "tax_amount:money total_amount:money")),
    Entity("sale_lines", "sale.line", _f(
        "sale:link sequence:i type:s product:link quantity:qty unit:link unit_price:price "
        "amount:money description:s")),
    Entity("purchases", "purchase.purchase", _f(
        "number:s reference:s party:link purchase_date:d state:s warehouse:link "
        "untaxed_amount:money tax_amount:money total_amount:money")),
    Entity("purchase_lines", "purchase.line", _f(
        "purchase:link sequence:i type:s product:link quantity:qty unit_price:price "
        "amount:money description:s")),
    Entity("invoices", "account.invoice", _f(
        "type:s number:s reference:s description:s party:link invoice_date:d "
        "accounting_date:d state:s payment_term:link untaxed_amount:money tax_amount:money "
        "total_amount:money amount_to_pay:money move:link payment_lines:links")),
    Entity("invoice_lines", "account.invoice.line", _f(
        "invoice:link sequence:i type:s product:link quantity:qty unit_price:price "
        "amount:money account:link description:s origin:s")),
    Entity("payments", "account.move.line", _f(
        "move:link account:link party:link debit:money credit:money date:d description:s "
        "reconciliation:link journal:link"), domain=(("journal.type", "=", "cash"),)),
    Entity("accounts", "account.account", _f("code:s name:s type:link parent:link")),
    Entity("analytic_accounts", "analytic_account.account", _f(
        "code:s name:s type:s root:link parent:link state:s")),
    Entity("analytic_entries", "analytic.account.entry", _f("origin:s root:link account:link")),
    Entity("projects", "project.work", _f("name:s type:s party:link parent:link")),
)  # fmt: skip
SYNC_STATE = RawTable(
    "sync_state",
    schema(
        ("company_id", _S, False),
        ("entity", _S, False),
        ("model", _S),
        ("high_water_mark", _TS),
        ("last_deletion_check", pa.timestamp("us", tz="UTC")),
        ("records_fetched", _I),
        ("synced_at", pa.timestamp("us", tz="UTC")),
        # the ERP's clock before a read that found nothing new: with nothing to land, no
        # failed load can make it wrong, and the next read's overlap starts from it
        ("quiet_read_at", _TS),
    ),
    primary_key=("company_id", "entity"),
)


@dataclass
class SyncState:
    written: datetime | None = None  # the latest write_date held
    created: datetime | None = None  # the latest create_date held among never-modified rows
    last_deletion_check: datetime | None = None
    #: the ERP's clock before the latest read whose records the warehouse holds
    read_at: datetime | None = None

    def start(self, mark: datetime | None, overlap: timedelta) -> datetime | None:
        """Where to read from for ``mark``: a little before it, for transactions that were
        still running at the last read (their records carry their start time, earlier than
        the read, but were not visible to it). Those began at most ``overlap`` before that
        read, so a mark older than that needs no overlap, and a database written in a burst
        long before the last read is not read again."""
        if mark is None:
            return None
        if self.read_at is None:
            return mark - overlap
        return min(mark, self.read_at - overlap)


@dataclass
class SyncCounts:
    """What one run fetched, per entity: records changed, records found deleted; and the
    calls made and records read in all (the overlap's re-reads of held versions included)."""

    fetched: dict[str, int]
    deleted: dict[str, int]
    requests: int
    read: int = 0


def _value(field: Field, raw: object) -> object:
    kind = field.kind
    if kind == _BOOL:
        return None if raw is None else bool(raw)
    if raw is None or raw is False:  # Tryton sends an empty value as null (or False)
        return None
    if kind == _LINKS:
        return json.dumps(sorted(raw)) if raw else None  # type: ignore[arg-type]
    if kind == _QTY:
        return Decimal(repr(raw)).quantize(Decimal("0.0001"))  # Tryton quantities are floats
    if kind in (_MONEY, _PRICE):
        return Decimal(raw).quantize(Decimal("0.01") if kind == _MONEY else Decimal("0.0001"))
    if kind == _S and not isinstance(raw, str):
        return str(raw)
    return raw


def entity_rows(
    entity: Entity,
    records: Sequence[dict],
    company_id: str,
    fetched_at: datetime,
    deleted_at: datetime | None = None,
    server_read_at: datetime | None = None,
) -> pa.Table:
    rows = []
    for record in records:
        row = {"company_id": company_id, "id": record["id"]}
        for field in entity.fields:
            row[field.column] = _value(field, record.get(field.tryton))
        row["create_date"] = record.get("create_date")
        row["write_date"] = record.get("write_date")
        row["deleted_at"] = deleted_at
        row["fetched_at"] = fetched_at
        row["server_read_at"] = server_read_at
        rows.append(row)
    return entity.table.table(rows)


def tryton_rows(
    client: TrytonClient,
    company_id: str,
    states: dict[str, SyncState],
    *,
    live_ids: Callable[[Entity], set[int] | None],
    last_copies: Callable[[Entity, list[int]], list[dict]],
    held_versions: Callable[[Entity, datetime], dict[int, datetime]] = lambda _e, _t: {},
    counts: SyncCounts,
    overlap: timedelta = timedelta(minutes=5),
    say: Callable[[str], None] = lambda _m: None,
) -> Iterator[object]:
    """Arrow batches of every entity's changes since its mark, its deletions when
    ``live_ids(entity)`` gives the ids the warehouse holds (None: not due), and the new
    marks. ``held_versions(entity, t)`` gives the timestamp of each record the warehouse
    holds modified at or after ``t``: the overlap's re-reads of those are not new."""
    now = datetime.now(UTC)
    batch = Batcher(SYNC_STATE)
    for entity in ENTITIES:
        state = states.get(entity.name, SyncState())
        since = state.start(state.written, overlap)
        created_since = state.start(state.created, overlap)
        # the answer before this read's first page was sent (a second less: its Date header
        # has whole seconds) is before the snapshot every page of it reads
        read_at = client.server_time - timedelta(seconds=1) if client.server_time else None
        wanted = [f.tryton for f in entity.fields]
        mark = max((m for m in (state.written, state.created) if m), default=None)
        starts = [t for t in (since, created_since) if t is not None]
        held = held_versions(entity, min(starts)) if starts else {}
        fetched = 0
        say(f"{entity.model}: " + (f"changes since {mark:%Y-%m-%d %H:%M}" if mark else "all"))
        for page in client.changed_since(
            entity.model,
            wanted,
            since,
            created_since=created_since,
            page_size=PAGE_SIZE,
            domain=list(entity.domain),
            context=EVERY_RECORD,
        ):
            page_mark = max(r["_modified"] for r in page)
            mark = page_mark if mark is None else max(mark, page_mark)
            new = [r for r in page if held.get(r["id"]) != r["_modified"]]
            fetched += len(new)
            if new:
                yield entity_rows(entity, new, company_id, now, server_read_at=read_at)
        counts.fetched[entity.name] = fetched
        if not fetched and state.written is None and state.created is None:
            # no records yet: the table still exists for the models that read it
            yield entity_rows(entity, [], company_id, now)
        checked = state.last_deletion_check
        live = live_ids(entity)
        if live is not None:
            present = client.search_ids(entity.model, list(entity.domain), context=EVERY_RECORD)
            gone = sorted(live - set(present))
            counts.deleted[entity.name] = len(gone)
            if gone:
                rows = last_copies(entity, gone)
                for row in rows:
                    row["deleted_at"] = now
                yield entity.table.table(rows)
            checked = now
        yield from batch.add(
            SYNC_STATE.name,
            {
                "company_id": company_id,
                "entity": entity.name,
                "model": entity.model,
                "high_water_mark": mark,
                "last_deletion_check": checked,
                "records_fetched": fetched,
                "synced_at": now,
                "quiet_read_at": read_at if fetched == 0 else None,
            },
        )
    counts.requests = client.requests
    counts.read = client.records_fetched
    yield from batch.flush()
