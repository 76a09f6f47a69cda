"""Exports read through a declared mapping (CSV, JSON, XML) → ``raw_mapped``.

One table per entity (customers, suppliers, articles, invoices, voucher_rows) in the
canonical fields of ``ledgerbridge/formats/mapping.py``, each row with the system it came
from, its file and line. Records are keyed by their own identity within their system (a
customer by its number, a voucher by series and number), so a newer export replaces them.
"""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pyarrow as pa

from ingestion.arrow_tables import AMOUNT, QUANTITY, RawTable, files_table, schema
from ingestion.files import FileRows
from ledgerbridge.config import Company
from ledgerbridge.formats.mapping import ENTITIES, Mapping, read_mapped

DATASET = "raw_mapped"
MAPPING_SUFFIX = ".mapping.yaml"
_S, _I, _D = pa.string(), pa.int64(), pa.date32()
_TS = pa.timestamp("us", tz="UTC")
_ARROW = {"text": _S, "integer": _I, "decimal": QUANTITY, "money": AMOUNT, "date": _D}
_TABLE_OF = {"vouchers": "voucher_rows"}


def _entity_table(entity: str) -> RawTable:
    targets, key = ENTITIES[entity]
    columns: list = [("company_id", _S, False), ("system", _S, False)]
    columns += [(name, _ARROW[t.type], not t.required) for name, t in targets.items()]
    columns += [("file_sha256", _S), ("source_line", _I)]
    identity = ("company_id", "system", *key)
    if entity == "vouchers":  # a voucher's rows are replaced together
        columns.insert(2, ("row_index", _I, False))
        return RawTable("voucher_rows", schema(*columns), (*identity, "row_index"), identity)
    return RawTable(entity, schema(*columns), identity)


ENTITY_TABLES = {entity: _entity_table(entity) for entity in ENTITIES}
FILES = files_table(
    ("mapping", _S),
    ("system", _S),
    ("entity", _S),
    ("records", _I),
    ("warnings", _S),
)
TABLES = (FILES, *ENTITY_TABLES.values())


def mapped_file_rows(
    mapping: Mapping, path: Path, sha256: str, company: Company, display: str
) -> FileRows:
    """The rows of one export file per raw table, read and checked whole."""
    read = read_mapped(mapping, path, display)
    table = ENTITY_TABLES[mapping.entity]
    rows = []
    for index, record in enumerate(read.records, 1):
        row = {"company_id": company.id, "system": mapping.system, "file_sha256": sha256}
        row.update(record)
        if mapping.entity == "vouchers":
            row["row_index"] = index
        rows.append(row)
    out: FileRows = {t.name: [] for t in TABLES}
    out[table.name] = rows
    out[FILES.name] = [
        {
            "company_id": company.id,
            "file_sha256": sha256,
            "file_name": path.name,
            "mapping": mapping.path.name,
            "system": mapping.system,
            "entity": mapping.entity,
            "records": len(rows),
            "warnings": None,
            "loaded_at": datetime.now(UTC),
        }
    ]
    return out
