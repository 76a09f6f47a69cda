"""Copy a DuckDB warehouse's raw data into a PostgreSQL database, so that the same dbt project
can be built there (`dbt build --target postgres`).

Only the raw datasets (``raw_<system>``, what dlt landed) are copied: seeds and every model are
dbt's to build. Each table is recreated with the PostgreSQL type of each column (decimal(p,s)
stays numeric(p,s), dates stay dates, timestamps with time zone stay timestamptz) and filled
with COPY, values written as text that PostgreSQL reads back exactly (a Decimal's digits, ISO
dates and times with their offset).

By hand::

    python -m ledgerbridge.warehouse_postgres .ledgerbridge/warehouse.duckdb \\
        "host=localhost dbname=ledgerbridge user=ledgerbridge"
"""

from __future__ import annotations

import argparse
import io
import json
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime, time
from decimal import Decimal
from pathlib import Path
from typing import Any

import duckdb

#: DuckDB's type names → PostgreSQL's, spelled as PostgreSQL's format_type() shows them
#: (decimal and varchar with their parameters are handled apart)
_TYPES = {
    "BOOLEAN": "boolean",
    "TINYINT": "smallint",
    "SMALLINT": "smallint",
    "INTEGER": "integer",
    "BIGINT": "bigint",
    "HUGEINT": "numeric(38,0)",
    "UTINYINT": "smallint",
    "USMALLINT": "integer",
    "UINTEGER": "bigint",
    "UBIGINT": "numeric(20,0)",
    "FLOAT": "real",
    "DOUBLE": "double precision",
    "VARCHAR": "text",
    "DATE": "date",
    "TIME": "time without time zone",
    "TIMESTAMP": "timestamp without time zone",
    "TIMESTAMP WITH TIME ZONE": "timestamp with time zone",
    "TIMESTAMP_NS": "timestamp without time zone",
    "TIMESTAMP_MS": "timestamp without time zone",
    "TIMESTAMP_S": "timestamp without time zone",
    "INTERVAL": "interval",
    "UUID": "uuid",
    "BLOB": "bytea",
    "JSON": "jsonb",
}
_DECIMAL = re.compile(r"DECIMAL\((\d+),\s*(\d+)\)")
_BATCH = 50_000


class UnsupportedColumnType(ValueError):
    """A raw column whose DuckDB type has no exact PostgreSQL counterpart here."""


@dataclass(frozen=True)
class CopiedTable:
    schema: str
    table: str
    rows: int


def postgres_type(duckdb_type: str) -> str:
    """The PostgreSQL type that holds a DuckDB column's values exactly."""
    decimal = _DECIMAL.fullmatch(duckdb_type)
    if decimal:
        return f"numeric({decimal.group(1)},{decimal.group(2)})"
    if duckdb_type.startswith("VARCHAR"):
        return "text"
    try:
        return _TYPES[duckdb_type]
    except KeyError:
        raise UnsupportedColumnType(
            f"no PostgreSQL type for DuckDB's {duckdb_type}; add it to _TYPES"
        ) from None


def raw_tables(con: duckdb.DuckDBPyConnection) -> list[tuple[str, str]]:
    """The (schema, table) of every raw table: dlt's datasets, not its staging datasets nor
    its own bookkeeping tables (_dlt_loads …)."""
    return [
        (schema, table)
        for schema, table in con.execute(
            "select table_schema, table_name from information_schema.tables "
            "where table_schema like 'raw\\_%' escape '\\' "
            "and table_schema not like '%\\_staging' escape '\\' "
            "and table_name not like '\\_dlt%' escape '\\' "
            "and table_type = 'BASE TABLE' "
            "order by table_schema, table_name"
        ).fetchall()
    ]


def _quote(identifier: str) -> str:
    return '"' + identifier.replace('"', '""') + '"'


def _csv_value(value: Any) -> str:
    """One field of COPY's CSV: NULL unquoted and empty, everything else quoted."""
    if value is None:
        return ""
    if isinstance(value, bool):
        text = "true" if value else "false"
    elif isinstance(value, (datetime, date, time)):
        text = value.isoformat()
    elif isinstance(value, Decimal):
        text = format(value, "f")
    elif isinstance(value, (bytes, bytearray, memoryview)):
        text = "\\x" + bytes(value).hex()
    elif isinstance(value, (dict, list)):
        text = json.dumps(value)
    else:
        text = str(value)
    return '"' + text.replace('"', '""') + '"'


def _csv(rows: Iterable[Sequence[Any]]) -> io.StringIO:
    buffer = io.StringIO()
    for row in rows:
        buffer.write(",".join(_csv_value(value) for value in row))
        buffer.write("\n")
    buffer.seek(0)
    return buffer


def copy_raw_tables(warehouse: Path, dsn: str) -> list[CopiedTable]:
    """Replace the raw schemas of the PostgreSQL database ``dsn`` with those of ``warehouse``
    (one transaction: the database has all of them or none)."""
    import psycopg2  # dbt-postgres's driver

    source = duckdb.connect(str(warehouse), read_only=True)
    target = psycopg2.connect(dsn)
    copied: list[CopiedTable] = []
    try:
        tables = raw_tables(source)
        with target, target.cursor() as cursor:
            for schema in sorted({schema for schema, _ in tables}):
                cursor.execute(f"drop schema if exists {_quote(schema)} cascade")
                cursor.execute(f"create schema {_quote(schema)}")
            for schema, table in tables:
                columns = source.execute(
                    "select column_name, data_type from information_schema.columns "
                    "where table_schema = ? and table_name = ? order by ordinal_position",
                    [schema, table],
                ).fetchall()
                name = f"{_quote(schema)}.{_quote(table)}"
                cursor.execute(
                    f"create table {name} ("
                    + ", ".join(f"{_quote(c)} {postgres_type(t)}" for c, t in columns)
                    + ")"
                )
                column_list = ", ".join(_quote(c) for c, _ in columns)
                result = source.execute(f"select {column_list} from {name}")
                rows = 0
                while batch := result.fetchmany(_BATCH):
                    cursor.copy_expert(
                        f"copy {name} ({column_list}) from stdin with (format csv)", _csv(batch)
                    )
                    rows += len(batch)
                copied.append(CopiedTable(schema, table, rows))
            cursor.execute("analyze")
    finally:
        target.close()
        source.close()
    return copied


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("warehouse", type=Path, help="the DuckDB warehouse to copy from")
    parser.add_argument("dsn", help='libpq connection string, e.g. "host=localhost dbname=x"')
    args = parser.parse_args(argv)
    copied = copy_raw_tables(args.warehouse, args.dsn)
    for table in copied:
        print(f"{table.schema}.{table.table}: {table.rows} rows")


if __name__ == "__main__":
    main()
