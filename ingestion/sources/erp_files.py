"""ERP exports in ledgerbridge's JSON Lines format → ``raw_erp_files``.

For ERPs we have no connector for (yet): the ERP writes a folder with ``manifest.json`` and one
``<entity>.jsonl`` per entity (see docs/erp-export-format.md). Every record is checked against the
declared fields as it streams in; the first bad record stops the load with its file, line and
field, and dlt discards the whole extract, so an export lands whole or not at all. The manifest's
record counts and checksums catch a truncated or altered file.

A ``full`` export (the default) is the ERP's whole current state: loading it replaces what an
earlier export of the same company left. An ``incremental`` one upserts on each entity's key.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from decimal import Decimal, InvalidOperation
from pathlib import Path

import pyarrow as pa

from ingestion.arrow_tables import AMOUNT, QUANTITY, Batcher, RawTable, schema
from ledgerbridge.config import Company, orgnr_digits
from ledgerbridge.errors import InvalidInputError

DATASET = "raw_erp_files"
FORMAT = "ledgerbridge-erp-export/1"
MANIFEST = "manifest.json"

#: Field types: "text", "int", "amount" (2 decimals), "quantity" (4 decimals), "date";
#: a trailing "?" allows null or absence.
_ARROW = {
    "text": pa.string(),
    "int": pa.int64(),
    "amount": AMOUNT,
    "quantity": QUANTITY,
    "date": pa.date32(),
}


@dataclass(frozen=True)
class EntitySpec:
    name: str
    key: tuple[str, ...]
    fields: dict[str, str]
    lines: EntitySpec | None = None
    #: Line tables: their own table name and the column that names the parent document.
    table_name: str | None = None
    parent_column: str | None = None

    @property
    def table(self) -> str:
        return self.table_name or self.name

    def raw_table(self, mode: str, parent_key: tuple[str, ...] = ()) -> RawTable:
        columns: list[tuple] = [("company_id", pa.string(), False)]
        keys = set(parent_key) | set(self.key)
        for name in parent_key:
            columns.append((name, pa.string(), False))
        for name, kind in self.fields.items():
            if name in parent_key:
                continue
            base = kind.rstrip("?")
            columns.append((name, _ARROW[base], name not in keys))
        columns += [("source_line", pa.int64()), ("export_sha256", pa.string())]
        return RawTable(
            self.table,
            schema(*columns),
            primary_key=("company_id", *parent_key, *self.key),
            replace_key=("company_id",) if mode == "full" else (),
        )


def _lines(table: str, parent_column: str, **fields: str) -> EntitySpec:
    return EntitySpec(
        name="lines",
        key=("line_no",),
        fields={"line_no": "int", **fields},
        table_name=table,
        parent_column=parent_column,
    )


_PARTY = {
    "number": "text",
    "name": "text",
    "orgnr": "text?",
    "street": "text?",
    "postal_code": "text?",
    "city": "text?",
    "country": "text?",
    "email": "text?",
    "payment_terms_days": "int?",
}
_INVOICE_LINE = {
    "article_number": "text?",
    "description": "text?",
    "quantity": "quantity",
    "unit_price": "amount",
    "net_amount": "amount",
    "vat_rate": "int",
    "vat_amount": "amount",
    "account": "text?",
    "cost_centre": "text?",
    "project": "text?",
}
_INVOICE = {
    "number": "text",
    "invoice_date": "date",
    "due_date": "date",
    "ocr": "text?",
    "currency": "text",
    "cost_centre": "text?",
    "project": "text?",
    "net_amount": "amount",
    "vat_amount": "amount",
    "total_amount": "amount",
}

ENTITIES: dict[str, EntitySpec] = {
    spec.name: spec
    for spec in (
        EntitySpec("cost_centres", ("code",), {"code": "text", "name": "text"}),
        EntitySpec(
            "projects",
            ("number",),
            {
                "number": "text",
                "name": "text",
                "customer_number": "text?",
                "cost_centre": "text?",
                "hourly_rate": "amount?",
                "planned_hours_per_month": "quantity?",
            },
        ),
        EntitySpec(
            "warehouses",
            ("code",),
            {"code": "text", "name": "text", "city": "text?", "inventory_account": "text?"},
        ),
        EntitySpec(
            "articles",
            ("number",),
            {
                "number": "text",
                "name": "text",
                "type": "text",
                "unit": "text?",
                "vat_rate": "int",
                "sales_price": "amount?",
                "standard_cost": "amount?",
                "supplier_number": "text?",
                "sales_account": "text?",
            },
        ),
        EntitySpec("customers", ("number",), _PARTY),
        EntitySpec("suppliers", ("number",), {**_PARTY, "bankgiro": "text?"}),
        EntitySpec(
            "sales_orders",
            ("number",),
            {
                "number": "text",
                "order_date": "date",
                "customer_number": "text",
                "warehouse": "text?",
                "cost_centre": "text?",
                "project": "text?",
                "currency": "text",
            },
            lines=_lines(
                "sales_order_lines",
                "sales_order_number",
                article_number="text",
                quantity="quantity",
                unit_price="amount",
                vat_rate="int",
            ),
        ),
        EntitySpec(
            "deliveries",
            ("number",),
            {
                "number": "text",
                "sales_order_number": "text",
                "delivery_date": "date",
                "warehouse": "text",
            },
            lines=_lines(
                "delivery_lines", "delivery_number", article_number="text", quantity="quantity"
            ),
        ),
        EntitySpec(
            "customer_invoices",
            ("number",),
            {**_INVOICE, "customer_number": "text", "sales_order_number": "text?"},
            lines=_lines("customer_invoice_lines", "invoice_number", **_INVOICE_LINE),
        ),
        EntitySpec(
            "customer_payments",
            ("number",),
            {
                "number": "text",
                "payment_date": "date",
                "invoice_number": "text",
                "customer_number": "text?",
                "amount": "amount",
                "reference": "text?",
            },
        ),
        EntitySpec(
            "purchase_orders",
            ("number",),
            {
                "number": "text",
                "order_date": "date",
                "supplier_number": "text",
                "warehouse": "text?",
                "currency": "text",
            },
            lines=_lines(
                "purchase_order_lines",
                "purchase_order_number",
                article_number="text",
                quantity="quantity",
                unit_price="amount",
            ),
        ),
        EntitySpec(
            "goods_receipts",
            ("number",),
            {
                "number": "text",
                "purchase_order_number": "text",
                "receipt_date": "date",
                "warehouse": "text",
            },
            lines=_lines(
                "goods_receipt_lines",
                "goods_receipt_number",
                article_number="text",
                quantity="quantity",
            ),
        ),
        EntitySpec(
            "supplier_invoices",
            ("number",),
            {
                **_INVOICE,
                "supplier_invoice_number": "text?",
                "supplier_number": "text",
                "purchase_order_number": "text?",
            },
            lines=_lines("supplier_invoice_lines", "invoice_number", **_INVOICE_LINE),
        ),
        EntitySpec(
            "supplier_payments",
            ("number",),
            {
                "number": "text",
                "payment_date": "date",
                "invoice_number": "text",
                "supplier_number": "text?",
                "amount": "amount",
            },
        ),
        EntitySpec(
            "stock_moves",
            ("move_id",),
            {
                "move_id": "text",
                "move_date": "date",
                "article_number": "text",
                "warehouse": "text",
                "quantity": "quantity",
                "unit_cost": "amount",
                "value": "amount",
                "move_type": "text",
                "reference": "text?",
            },
        ),
        EntitySpec(
            "budget",
            ("fiscal_year", "period", "account", "cost_centre", "project"),
            {
                "fiscal_year": "text",
                "period": "text",
                "account": "text",
                "cost_centre": "text",
                "project": "text",
                "amount": "amount",
            },
        ),
    )
}
#: Budget rows may leave cost centre or project empty; they are stored as '' so that the
#: combination can serve as the key.
_EMPTY_AS_BLANK = {("budget", "cost_centre"), ("budget", "project")}

_PERIOD = re.compile(r"^\d{4}-(0[1-9]|1[0-2])$")


@dataclass
class Manifest:
    path: Path
    sha256: str
    system: str
    exported_at: str | None
    mode: str
    company_name: str | None
    orgnr: str | None
    entities: dict[str, dict] = field(default_factory=dict)
    ignored: list[str] = field(default_factory=list)


def read_manifest(folder: Path, company: Company) -> Manifest:
    path = folder / MANIFEST
    if not path.is_file():
        raise InvalidInputError(
            f"{folder}: no {MANIFEST}; an ERP export folder needs one listing its files",
            hint="see docs/erp-export-format.md",
        )
    raw_bytes = path.read_bytes()
    try:
        raw = json.loads(raw_bytes)
    except (ValueError, UnicodeDecodeError) as exc:
        raise InvalidInputError(f"{path}: not valid JSON ({exc})") from None
    if not isinstance(raw, dict):
        raise InvalidInputError(f"{path}: expected a JSON object")
    if raw.get("format") != FORMAT:
        raise InvalidInputError(
            f"{path}: format is {raw.get('format')!r}; this version reads {FORMAT!r}"
        )
    mode = raw.get("mode", "full")
    if mode not in ("full", "incremental"):
        raise InvalidInputError(f"{path}: mode is {mode!r}; expected 'full' or 'incremental'")
    company_info = raw.get("company") or {}
    if not isinstance(company_info, dict):
        raise InvalidInputError(f"{path}: 'company' must be an object with name and orgnr")
    orgnr = company_info.get("orgnr")
    if company.orgnr and orgnr and orgnr_digits(orgnr) != orgnr_digits(company.orgnr):
        raise InvalidInputError(
            f"{path}: the export belongs to organisation number {orgnr} "
            f"({company_info.get('name')}), not to company '{company.id}' ({company.orgnr})"
        )
    entities = raw.get("entities")
    if not isinstance(entities, dict) or not entities:
        raise InvalidInputError(f"{path}: 'entities' must list the exported files")
    manifest = Manifest(
        path=path,
        sha256=hashlib.sha256(raw_bytes).hexdigest(),
        system=str(raw.get("system") or "unknown ERP"),
        exported_at=raw.get("exported_at"),
        mode=mode,
        company_name=company_info.get("name"),
        orgnr=orgnr,
    )
    for name, body in entities.items():
        if name not in ENTITIES:
            manifest.ignored.append(name)
            continue
        if not isinstance(body, dict) or not isinstance(body.get("file"), str):
            raise InvalidInputError(f"{path}: entities.{name} needs a 'file'")
        if "records" in body and (
            not isinstance(body["records"], int) or isinstance(body["records"], bool)
        ):
            raise InvalidInputError(f"{path}: entities.{name}.records must be a whole number")
        if "sha256" in body and not isinstance(body["sha256"], str):
            raise InvalidInputError(f"{path}: entities.{name}.sha256 must be a text")
        file = folder / body["file"]
        if not file.is_file():
            raise InvalidInputError(f"{path}: lists {body['file']} for {name}, which is missing")
        manifest.entities[name] = body
    return manifest


#: amounts and quantities written with no more decimals than their column keeps, and no more
#: digits before the point than it holds
_FAST_DECIMAL = {
    "amount": re.compile(r"-?[0-9]{1,16}(?:\.[0-9]{1,2})?"),
    "quantity": re.compile(r"-?[0-9]{1,14}(?:\.[0-9]{1,4})?"),
}
_FAST_DATE = re.compile(r"[0-9]{4}-(?:0[1-9]|1[0-2])-(?:0[1-9]|[12][0-9]|3[01])")
_JSON = json.JSONDecoder(parse_float=Decimal)
_SPEC_FIELDS: dict[int, list[tuple[str, str, bool, bool]]] = {}


def _fields(spec: EntitySpec) -> list[tuple[str, str, bool, bool]]:
    """(name, type, optional, empty as blank) of each field of ``spec``, worked out once."""
    fields = _SPEC_FIELDS.get(id(spec))
    if fields is None:
        fields = [
            (name, kind.rstrip("?"), kind.endswith("?"), (spec.name, name) in _EMPTY_AS_BLANK)
            for name, kind in spec.fields.items()
        ]
        _SPEC_FIELDS[id(spec)] = fields
    return fields


class _RecordChecker:
    """Turns one JSON record into a typed row, or says precisely what is wrong with it."""

    def __init__(self, display: str) -> None:
        self.display = display

    def fail(self, line: int, record_id: str | None, message: str) -> None:
        which = f" (record {record_id})" if record_id else ""
        raise InvalidInputError(
            f"{self.display} line {line}{which}: {message}",
            hint="fix the ERP export and run the ingest again; nothing of this export was loaded",
        )

    def row(self, spec: EntitySpec, record: object, line: int, record_id: str | None) -> dict:
        if not isinstance(record, dict):
            self.fail(line, record_id, f"expected a JSON object, found {type(record).__name__}")
        row: dict = {}
        for name, base, optional, blank in _fields(spec):
            value = record.get(name)
            if value is None or value == "":
                if blank:
                    row[name] = ""
                    continue
                if optional:
                    row[name] = None
                    continue
                what = "missing required field" if name not in record else "empty required field"
                self.fail(line, record_id, f"{what} '{name}' ({_describe(base)})")
            # the values a well-formed export holds, taken as they are (the checks below would
            # pass them unchanged): a million records spent most of their time in them
            kind = type(value)
            if kind is str:
                if base == "text":
                    row[name] = value
                    continue
                fast = _FAST_DECIMAL.get(base)
                if fast is not None and fast.fullmatch(value):
                    row[name] = Decimal(value)
                    continue
                if base == "date" and _FAST_DATE.fullmatch(value):
                    row[name] = date.fromisoformat(value)
                    continue
            elif kind is int and base in ("int", "text"):
                row[name] = value if base == "int" else str(value)
                continue
            row[name] = self._value(base, value, name, line, record_id)
        if spec.name == "budget" and not _PERIOD.match(row["period"]):
            self.fail(line, record_id, f"'period' is {row['period']!r}; expected YYYY-MM")
        return row

    def _value(self, kind: str, value: object, name: str, line: int, record_id: str | None):
        if kind == "text":
            if isinstance(value, (str, int)) and not isinstance(value, bool):
                return str(value)
        elif kind == "int":
            if isinstance(value, int) and not isinstance(value, bool):
                return value
            if isinstance(value, str) and re.fullmatch(r"-?\d+", value):
                return int(value)
        elif kind in ("amount", "quantity"):
            places = 2 if kind == "amount" else 4
            try:
                number = Decimal(value) if isinstance(value, (str, int, Decimal)) else None
            except InvalidOperation:
                number = None
            if number is not None and number.is_finite() and not isinstance(value, bool):
                if -number.as_tuple().exponent > places and number != round(number, places):
                    self.fail(
                        line,
                        record_id,
                        f"'{name}' is {value}; expected at most {places} decimals",
                    )
                return round(number, places)
        elif kind == "date" and isinstance(value, str):
            try:
                return date.fromisoformat(value)
            except ValueError:
                pass
        self.fail(
            line,
            record_id,
            f"'{name}' is {json.dumps(value, default=str)}; expected {_describe(kind)}",
        )
        return None


def _describe(kind: str) -> str:
    return {
        "text": "a text",
        "int": "a whole number",
        "amount": "an amount like 1234.50",
        "quantity": "a quantity like 12 or 1.5",
        "date": "a date as YYYY-MM-DD",
    }[kind]


def export_rows(
    folder: Path, manifest: Manifest, company: Company, display_root: Path
) -> Iterator[object]:
    """Arrow tables for every entity of the export."""
    for name, body in manifest.entities.items():
        spec = ENTITIES[name]
        path = folder / body["file"]
        try:
            display = str(path.relative_to(display_root))
        except ValueError:
            display = str(path)
        checker = _RecordChecker(display)
        header_table = spec.raw_table(manifest.mode)
        line_table = (
            spec.lines.raw_table(manifest.mode, parent_key=(spec.lines.parent_column,))
            if spec.lines and spec.lines.parent_column
            else None
        )
        batch = Batcher(*(t for t in (header_table, line_table) if t is not None))
        digest = hashlib.sha256()
        records = 0
        with open(path, "rb") as handle:
            for line_no, raw in enumerate(handle, start=1):
                digest.update(raw)
                if not raw.strip():
                    continue
                records += 1
                try:
                    record = _JSON.decode(raw.decode("utf-8-sig"))
                except (ValueError, UnicodeDecodeError) as exc:
                    checker.fail(line_no, None, f"not a valid JSON record ({exc})")
                record_id = (
                    "/".join(str(record.get(k, "?")) for k in spec.key)
                    if isinstance(record, dict)
                    else None
                )
                row = checker.row(spec, record, line_no, record_id)
                row.update(
                    company_id=company.id, source_line=line_no, export_sha256=manifest.sha256
                )
                yield from batch.add(header_table.name, row)
                if spec.lines is not None and line_table is not None:
                    lines = record.get("lines")
                    if not isinstance(lines, list):
                        checker.fail(
                            line_no, record_id, "missing 'lines' (a list of the document's lines)"
                        )
                    for item in lines:
                        line_row = checker.row(spec.lines, item, line_no, record_id)
                        line_row[spec.lines.parent_column] = row[spec.key[0]]
                        line_row.update(
                            company_id=company.id,
                            source_line=line_no,
                            export_sha256=manifest.sha256,
                        )
                        yield from batch.add(line_table.name, line_row)
        expected = body.get("records")
        if isinstance(expected, int) and expected != records:
            raise InvalidInputError(
                f"{display}: holds {records} records but {MANIFEST} says {expected}: the export "
                "is incomplete or was changed after it was written",
                hint="export again from the ERP; nothing of this export was loaded",
            )
        if body.get("sha256") and body["sha256"] != digest.hexdigest():
            raise InvalidInputError(
                f"{display}: its checksum differs from the one in {MANIFEST}: the file was "
                "changed or damaged after the export",
                hint="export again from the ERP; nothing of this export was loaded",
            )
        yield from batch.flush()


EXPORTS = RawTable(
    "exports",
    schema(
        ("company_id", pa.string(), False),
        ("manifest_sha256", pa.string(), False),
        ("system", pa.string()),
        ("exported_at", pa.string()),
        ("mode", pa.string()),
        ("entities", pa.string()),
        ("loaded_at", pa.timestamp("us", tz="UTC")),
    ),
    primary_key=("company_id", "manifest_sha256"),
)


def export_record(manifest: Manifest, company: Company, counts: dict[str, int]) -> object:
    return EXPORTS.table(
        [
            {
                "company_id": company.id,
                "manifest_sha256": manifest.sha256,
                "system": manifest.system,
                "exported_at": manifest.exported_at,
                "mode": manifest.mode,
                "entities": json.dumps(counts),
                "loaded_at": datetime.now(UTC),
            }
        ]
    )
