"""Rows to Arrow tables, with the table hints dlt needs to merge them.

dlt normalises Arrow tables about forty times faster than Python dicts here (1.2 s against 44 s
for 200,000 voucher rows), so every source accumulates rows and hands dlt Arrow batches.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass

import dlt
import pyarrow as pa

AMOUNT = pa.decimal128(18, 2)
QUANTITY = pa.decimal128(18, 4)
BATCH_ROWS = 50_000


@dataclass(frozen=True)
class RawTable:
    """A raw table: its Arrow schema and how loads merge into it.

    ``replace_key`` names the columns whose values identify a complete set (a company's fiscal
    year of vouchers, a company's full ERP snapshot): a load deletes every existing row with
    those values before inserting, so rows that disappeared from the source disappear here.
    Without it, rows are upserted on ``primary_key``.
    """

    name: str
    schema: pa.Schema
    primary_key: tuple[str, ...]
    replace_key: tuple[str, ...] = ()

    def hints(self) -> dict:
        # Every table names its merge key explicitly: hints given to one table of a resource
        # otherwise carry over to the next (a replace key leaking onto an upsert table deletes
        # rows it should keep). delete-insert on the primary key is an upsert.
        return dlt.mark.make_hints(
            table_name=self.name,
            write_disposition={"disposition": "merge", "strategy": "delete-insert"},
            primary_key=list(self.primary_key),
            merge_key=list(self.replace_key or self.primary_key),
        )

    def table(self, rows: Sequence[dict] | Sequence[tuple]) -> object:
        """An Arrow table of ``rows``: dicts by column name, or tuples in schema order (three
        times faster to convert, for the tables that hold millions of rows)."""
        if rows and isinstance(rows[0], tuple):
            columns = list(zip(*rows, strict=True))
            arrays = [pa.array(c, type=f.type) for c, f in zip(columns, self.schema, strict=True)]
            table = pa.Table.from_arrays(arrays, schema=self.schema)
        else:
            table = pa.Table.from_pylist(list(rows), schema=self.schema)
        return dlt.mark.with_hints(table, self.hints())


def files_table(*columns: tuple[str, pa.DataType]) -> RawTable:
    """A file source's record of each file it loaded, known by its content: who, which file,
    ``columns`` (what was in it), and when."""
    return RawTable(
        "files",
        schema(
            ("company_id", pa.string(), False),
            ("file_sha256", pa.string(), False),
            ("file_name", pa.string()),
            *columns,
            ("loaded_at", pa.timestamp("us", tz="UTC")),
        ),
        primary_key=("company_id", "file_sha256"),
    )


def schema(*fields: tuple[str, pa.DataType] | tuple[str, pa.DataType, bool]) -> pa.Schema:
    """Fields as (name, type) or (name, type, nullable); key columns are declared not null."""
    return pa.schema([pa.field(f[0], f[1], nullable=f[2] if len(f) > 2 else True) for f in fields])


class Batcher:
    """Collects rows per raw table and yields an Arrow table whenever a batch is full."""

    def __init__(self, *tables: RawTable, batch_rows: int = BATCH_ROWS) -> None:
        self._tables = {t.name: t for t in tables}
        self._rows: dict[str, list[dict]] = {t.name: [] for t in tables}
        self.counts: dict[str, int] = {t.name: 0 for t in tables}
        self._batch_rows = batch_rows

    def add(self, table: str, row: dict | tuple) -> Iterator[object]:
        rows = self._rows[table]
        rows.append(row)
        self.counts[table] += 1
        if len(rows) >= self._batch_rows:
            yield self._tables[table].table(rows)
            rows.clear()

    def add_table(self, table: str, rows: pa.Table) -> Iterator[object]:
        """Rows already in Arrow form, in the table's schema; yielded as they are."""
        self.counts[table] += rows.num_rows
        if rows.num_rows:
            yield dlt.mark.with_hints(rows, self._tables[table].hints())

    def flush(self) -> Iterator[object]:
        """The remaining rows; a table that got none still gets an empty batch, so that it
        exists in the warehouse for the models that read it."""
        for name, rows in self._rows.items():
            if rows or not self.counts[name]:
                yield self._tables[name].table(rows)
                rows.clear()
