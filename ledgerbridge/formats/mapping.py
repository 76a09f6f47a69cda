"""Exports from systems without a connector (CSV, JSON, XML), read through a declared mapping.

A mapping is a YAML file beside the exports (``<name>.mapping.yaml``) that says which files it
reads, what they are (customers, suppliers, articles, invoices or voucher rows) and which
column, key or element gives each field, with its type, date format and decimal mark:

    system: webshop              # the system the files come from
    entity: articles             # customers | suppliers | articles | invoices | vouchers
    files: "prislista_*.csv"     # which files of the folder (a glob)
    format: csv                  # csv | json | xml
    csv: {delimiter: ";", encoding: cp1252}
    decimal_comma: true          # 1 234,50
    date_format: "%Y-%m-%d"
    fields:
      article_number: Artikelnr  # a column (CSV), a key path (JSON: a.b), an element path (XML)
      name: Benämning
      sales_price: {from: Pris, type: money}

The mapping is checked first (unknown entity or field, a required field left out, a bad type),
then each file whole: a value that does not fit its type is reported with the file, line and
field, and nothing of the file lands.
"""

from __future__ import annotations

import csv
import fnmatch
import io
import json
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal, InvalidOperation
from pathlib import Path

import yaml
from lxml import etree

from ledgerbridge.errors import InvalidInputError
from ledgerbridge.formats.diagnostic import ERROR, Diagnostic
from ledgerbridge.formats.xmldoc import XmlInputError, parse

TYPES = ("text", "integer", "decimal", "money", "date")
FORMATS = ("csv", "json", "xml")


@dataclass(frozen=True)
class Target:
    """A field of a canonical entity."""

    name: str
    type: str = "text"
    required: bool = False


def _fields(*specs: str) -> dict[str, Target]:
    """``"name:type!"``: ``!`` marks a field every record must have."""
    targets = {}
    for spec in specs:
        name, _, kind = spec.partition(":")
        required = kind.endswith("!") or name.endswith("!")
        name, kind = name.rstrip("!"), (kind.rstrip("!") or "text")
        targets[name] = Target(name, kind, required)
    return targets


#: The entities a mapping can fill, their fields and the fields that identify a record.
ENTITIES: dict[str, tuple[dict[str, Target], tuple[str, ...]]] = {
    "customers": (
        _fields("customer_number!", "name!", "orgnr", "street", "postal_code", "city",
                "country", "email", "payment_terms_days:integer"),
        ("customer_number",),
    ),
    "suppliers": (
        _fields("supplier_number!", "name!", "orgnr", "street", "postal_code", "city",
                "country", "bankgiro", "plusgiro", "iban", "payment_terms_days:integer"),
        ("supplier_number",),
    ),
    "articles": (
        _fields("article_number!", "name!", "unit", "vat_rate:decimal", "sales_price:money",
                "purchase_price:money"),
        ("article_number",),
    ),
    "invoices": (
        _fields("invoice_number!", "kind!", "party_number!", "invoice_date:date!",
                "due_date:date", "currency", "net_amount:money", "vat_amount:money",
                "total_amount:money!", "ocr", "cost_centre", "project"),
        ("kind", "invoice_number"),
    ),
    "vouchers": (
        _fields("series!", "voucher_number!", "voucher_date:date!", "text",
                "account_number!", "amount:money!", "cost_centre", "project"),
        ("series", "voucher_number"),
    ),
}  # fmt: skip
_KEYS = {"system", "entity", "files", "format", "csv", "json", "xml", "decimal_comma",
         "date_format", "fields"}  # fmt: skip
_SYSTEM = re.compile(r"^[a-z][a-z0-9_]{0,39}$")
_NUMBER = re.compile(r"^[+-]?[0-9]+(\.[0-9]+)?$")
_HINT = "fix the file or the mapping named; nothing of the file was loaded"


class MappingError(InvalidInputError):
    code = "mapping-invalid"

    def __init__(self, diagnostics: list[Diagnostic], hint: str = _HINT) -> None:
        more = f" (and {len(diagnostics) - 1} more)" if len(diagnostics) > 1 else ""
        super().__init__(str(diagnostics[0]) + more, hint=hint)
        self.diagnostics = diagnostics


@dataclass(frozen=True)
class FieldRule:
    target: Target
    source: str  # column, key path or element path


@dataclass
class Mapping:
    path: Path
    system: str
    entity: str
    files: str
    format: str
    rules: list[FieldRule]
    decimal_comma: bool = False
    date_format: str = "%Y-%m-%d"
    delimiter: str = ","
    encoding: str = "utf-8"
    records: str | None = None  # JSON key path / XPath of the records
    namespaces: dict[str, str] = field(default_factory=dict)

    @property
    def key(self) -> tuple[str, ...]:
        return ENTITIES[self.entity][1]

    def matches(self, path: Path) -> bool:
        return fnmatch.fnmatch(path.name, self.files) and not path.name.endswith(".yaml")


def load_mapping(path: Path, display: str) -> Mapping:
    """The mapping in ``path``, checked; MappingError names every problem in it."""
    problems: list[Diagnostic] = []

    def problem(message: str, line: int | None = None) -> None:
        problems.append(Diagnostic("bad-mapping", ERROR, display, line, message))

    try:
        body = yaml.safe_load(path.read_text(encoding="utf-8"))
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        problem(f"not valid YAML: {getattr(exc, 'problem', exc)}", mark.line + 1 if mark else None)
        raise MappingError(problems) from None
    except (OSError, UnicodeDecodeError) as exc:
        problem(f"cannot be read as UTF-8 text: {exc}")
        raise MappingError(problems) from None
    if not isinstance(body, dict):
        problem("expected keys such as system, entity, files, format and fields")
        raise MappingError(problems)
    for key in sorted(set(body) - _KEYS):
        problem(f"unknown key '{key}'; known: {', '.join(sorted(_KEYS))}")
    system = body.get("system")
    if not isinstance(system, str) or not _SYSTEM.match(system):
        problem("'system' must name the source system in lower-case letters, digits and _")
    entity = body.get("entity")
    if entity not in ENTITIES:
        problem(f"'entity' is {entity!r}; expected one of {', '.join(ENTITIES)}")
    files = body.get("files")
    if not isinstance(files, str) or not files.strip():
        problem("'files' must be a file name pattern, such as \"kunder_*.csv\"")
    kind = body.get("format")
    if kind not in FORMATS:
        problem(f"'format' is {kind!r}; expected one of {', '.join(FORMATS)}")
    options = body.get(kind, {}) if kind in FORMATS else {}
    if not isinstance(options, dict):
        problem(f"'{kind}' must hold options such as delimiter or records")
        options = {}
    records = options.get("records")
    if kind in ("json", "xml") and not isinstance(records, str):
        problem(
            f"'{kind}.records' is required: "
            + ("the key path of the list of records (\"kunder\" or \"data.kunder\"; \".\" for a "
               "top-level list)" if kind == "json" else "the XPath of each record (\"//Kund\")")
        )  # fmt: skip
    date_format = body.get("date_format", "%Y-%m-%d")
    if not isinstance(date_format, str) or "%" not in date_format:
        problem("'date_format' must be a strftime pattern such as \"%d.%m.%Y\"")
    rules: list[FieldRule] = []
    fields_body = body.get("fields")
    if not isinstance(fields_body, dict) or not fields_body:
        problem("'fields' must map the entity's fields to columns, keys or elements")
    elif entity in ENTITIES:
        targets = ENTITIES[entity][0]
        for name, spec in fields_body.items():
            if name not in targets:
                problem(f"'{name}' is not a field of {entity}; its fields: {', '.join(targets)}")
                continue
            source, kind_name = spec, targets[name].type
            if isinstance(spec, dict):
                source, kind_name = spec.get("from"), spec.get("type", kind_name)
            if not isinstance(source, str) or not source:
                problem(f"fields.{name}: give the column, key or element it comes from")
                continue
            target = targets[name]
            if kind_name != target.type:
                # the warehouse column has one type whatever the system: a mapping states it
                # (and is held to it) but cannot change it
                problem(f"fields.{name}: type '{kind_name}', but {entity}.{name} is {target.type}")
                continue
            rules.append(FieldRule(target, source))
        for name, target in targets.items():
            if target.required and name not in fields_body:
                problem(f"fields.{name} is missing: every {entity} record needs it")
    if problems:
        raise MappingError(problems)
    delimiter = options.get("delimiter", ",") if kind == "csv" else ","
    if kind == "csv" and (not isinstance(delimiter, str) or len(delimiter) != 1):
        message = "'csv.delimiter' must be one character"
        raise MappingError([Diagnostic("bad-mapping", ERROR, display, None, message)])
    return Mapping(
        path=path,
        system=system,
        entity=entity,
        files=files,
        format=kind,
        rules=rules,
        decimal_comma=bool(body.get("decimal_comma", False)),
        date_format=date_format,
        delimiter=delimiter,
        encoding=str(options.get("encoding", "utf-8")) if kind == "csv" else "utf-8",
        records=records,
        namespaces=dict(options.get("namespaces", {})) if kind == "xml" else {},
    )


# -- reading records ----------------------------------------------------------------------------
Raw = tuple[int | None, dict[str, object]]  # (line, source → raw value)


def _csv_records(mapping: Mapping, path: Path, display: str) -> Iterator[Raw]:
    try:
        text = path.read_bytes().decode(mapping.encoding)
    except UnicodeDecodeError as exc:
        raise MappingError(
            [Diagnostic("bad-encoding", ERROR, display, None,
                        f"is not {mapping.encoding} text (byte {exc.start}); set csv.encoding "
                        "in the mapping")]
        ) from None  # fmt: skip
    except LookupError:
        raise MappingError(
            [Diagnostic("bad-mapping", ERROR, str(mapping.path), None,
                        f"csv.encoding '{mapping.encoding}' is not an encoding Python knows")]
        ) from None  # fmt: skip
    reader = csv.DictReader(io.StringIO(text.lstrip("\ufeff")), delimiter=mapping.delimiter)
    header = reader.fieldnames or []
    absent = [r.source for r in mapping.rules if r.source not in header]
    if absent:
        raise MappingError(
            [Diagnostic("missing-column", ERROR, display, 1,
                        f"has no column {', '.join(repr(a) for a in absent)} "
                        f"(its header: {', '.join(header) or 'empty'})")]
        )  # fmt: skip
    for row in reader:
        extra = row.pop(None, None)  # type: ignore[call-overload]
        if extra is not None or any(value is None for value in row.values()):
            count = len(header) + len(extra or ()) - sum(v is None for v in row.values())
            raise MappingError(
                [Diagnostic("bad-row", ERROR, display, reader.line_num,
                            f"has {count} fields, the header {len(header)}: a "
                            f"'{mapping.delimiter}' in a value, or one missing")]
            )  # fmt: skip
        yield reader.line_num, dict(row)


def _json_records(mapping: Mapping, path: Path, display: str) -> Iterator[Raw]:
    try:
        body = json.loads(path.read_text(encoding="utf-8"))
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        line = getattr(exc, "lineno", None)
        raise MappingError(
            [Diagnostic("bad-json", ERROR, display, line, f"is not JSON: {exc}")]
        ) from None
    records = body
    if mapping.records not in (None, "."):
        for step in mapping.records.split("."):
            records = records.get(step) if isinstance(records, dict) else None
    if not isinstance(records, list):
        raise MappingError(
            [Diagnostic("missing-records", ERROR, display, None,
                        f"has no list of records at '{mapping.records}'")]
        )  # fmt: skip
    for index, record in enumerate(records):
        values = {}
        for rule in mapping.rules:
            value: object = record
            for step in rule.source.split("."):
                value = value.get(step) if isinstance(value, dict) else None
            values[rule.source] = value
        yield index + 1, values  # the record's position: JSON has no useful line numbers


def _xml_records(mapping: Mapping, path: Path, display: str) -> Iterator[Raw]:
    try:
        root = parse(path, display).getroot()
    except XmlInputError as exc:
        raise MappingError(exc.diagnostics) from None
    try:
        found = root.xpath(mapping.records, namespaces=mapping.namespaces)
    except etree.XPathError as exc:
        raise MappingError(
            [Diagnostic("bad-mapping", ERROR, str(mapping.path), None,
                        f"xml.records '{mapping.records}' is not an XPath: {exc}")]
        ) from None  # fmt: skip
    for element in found:
        values = {}
        for rule in mapping.rules:
            hits = element.xpath(rule.source, namespaces=mapping.namespaces)
            hit = hits[0] if isinstance(hits, list) and hits else None
            values[rule.source] = hit.text if isinstance(hit, etree._Element) else hit
        yield element.sourceline, values


_READERS = {"csv": _csv_records, "json": _json_records, "xml": _xml_records}


def _convert(mapping: Mapping, target: Target, raw: object) -> object:
    """The value as its type; ValueError with what was expected."""
    if raw is None or (isinstance(raw, str) and not raw.strip()):
        return None
    if target.type == "text":
        return str(raw).strip()
    if target.type == "date":
        try:
            return datetime.strptime(str(raw).strip(), mapping.date_format).date()
        except ValueError:
            raise ValueError(f"a date as {mapping.date_format}") from None
    text = str(raw).strip().replace("\u00a0", "").replace(" ", "")
    if mapping.decimal_comma:
        text = text.replace(".", "").replace(",", ".") if "," in text else text
    if target.type == "integer":
        if not re.fullmatch(r"[+-]?[0-9]{1,18}", text):
            raise ValueError("a whole number")
        return int(text)
    if not _NUMBER.match(text):
        mark = "decimal comma (1 234,50)" if mapping.decimal_comma else "decimal point (1234.50)"
        raise ValueError(f"a number with a {mark}")
    try:
        value = Decimal(text)
    except InvalidOperation:  # pragma: no cover - the pattern admits only numbers
        raise ValueError("a number") from None
    places = 2 if target.type == "money" else 4  # decimal(18,2) and decimal(18,4)
    if len(text.lstrip("+-").split(".")[0].lstrip("0")) > 18 - places:
        raise ValueError(f"a number with at most {18 - places} digits before the decimal mark")
    if value != round(value, places):
        what = "an amount in whole öre (two decimals at most)"
        raise ValueError(what if places == 2 else "a number with at most four decimals")
    value = value.quantize(Decimal(1).scaleb(-places))
    return abs(value) if value == 0 else value


@dataclass
class MappedFile:
    records: list[dict]  # canonical field → value, plus "source_line"


def read_mapped(mapping: Mapping, path: Path, display: str) -> MappedFile:
    """Every record of a file through its mapping, checked whole."""
    problems: list[Diagnostic] = []
    records = []
    seen: dict[tuple, int | None] = {}
    for line, raw in _READERS[mapping.format](mapping, path, display):
        record: dict[str, object] = {"source_line": line}
        for rule in mapping.rules:
            value = raw.get(rule.source)
            try:
                record[rule.target.name] = _convert(mapping, rule.target, value)
            except ValueError as exc:
                problems.append(
                    Diagnostic("bad-value", ERROR, display, line,
                               f"{rule.target.name} ('{rule.source}') is '{str(value)[:40]}'; "
                               f"expected {exc}")
                )  # fmt: skip
                continue
            if rule.target.required and record[rule.target.name] is None:
                problems.append(
                    Diagnostic("missing-value", ERROR, display, line,
                               f"{rule.target.name} ('{rule.source}') is empty; every "
                               f"{mapping.entity} record needs it")
                )  # fmt: skip
        kind = record.get("kind")
        if mapping.entity == "invoices" and kind not in (None, "customer", "supplier"):
            problems.append(
                Diagnostic("bad-value", ERROR, display, line,
                           f"kind is '{record['kind']}'; expected customer or supplier")
            )  # fmt: skip
        if mapping.entity != "vouchers":
            key = tuple(record.get(k) for k in mapping.key)
            if key in seen:
                problems.append(
                    Diagnostic("duplicate-record", ERROR, display, line,
                               f"{'/'.join(map(str, key))} is given twice (first on line "
                               f"{seen[key]})")
                )  # fmt: skip
            seen.setdefault(key, line)
        records.append(record)
        if len(problems) >= 50:
            break
    if mapping.entity == "vouchers" and not problems:
        totals: dict[tuple, Decimal] = {}
        for record in records:
            key = (record["series"], record["voucher_number"])
            totals[key] = totals.get(key, Decimal(0)) + record["amount"]
        for (series, number), total in totals.items():
            if total:
                problems.append(
                    Diagnostic("unbalanced-voucher", ERROR, display, None,
                               f"voucher {series} {number}: its rows sum to {total}, not zero")
                )  # fmt: skip
    if problems:
        raise MappingError(problems)
    return MappedFile(records)
