"""SIE → Parquet, for a person to look at a file's contents in DuckDB, pandas or a spreadsheet
tool: voucher rows, vouchers, balances, period balances and accounts, one table each."""

from __future__ import annotations

from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq

from ledgerbridge.formats.sie.reader import SieReader

_OBJECTS = pa.list_(pa.struct([("dimension", pa.string()), ("object", pa.string())]))
_AMOUNT = pa.decimal128(18, 2)
_QUANTITY = pa.decimal128(18, 4)

VOUCHER_ROWS = pa.schema(
    [
        ("voucher_series", pa.string()),
        ("voucher_number", pa.string()),
        ("voucher_date", pa.date32()),
        ("row_number", pa.int32()),
        ("row_kind", pa.string()),
        ("account", pa.string()),
        ("amount", _AMOUNT),
        ("objects", _OBJECTS),
        ("transaction_date", pa.date32()),
        ("text", pa.string()),
        ("quantity", _QUANTITY),
        ("line", pa.int64()),
    ]
)
VOUCHERS = pa.schema(
    [
        ("voucher_series", pa.string()),
        ("voucher_number", pa.string()),
        ("voucher_date", pa.date32()),
        ("text", pa.string()),
        ("registered", pa.date32()),
        ("signature", pa.string()),
        ("rows", pa.int32()),
        ("line", pa.int64()),
    ]
)
BALANCES = pa.schema(
    [
        ("kind", pa.string()),
        ("year", pa.int32()),
        ("account", pa.string()),
        ("amount", _AMOUNT),
        ("objects", _OBJECTS),
        ("quantity", _QUANTITY),
    ]
)
PERIOD_BALANCES = pa.schema(
    [
        ("kind", pa.string()),
        ("year", pa.int32()),
        ("period", pa.string()),
        ("account", pa.string()),
        ("amount", _AMOUNT),
        ("objects", _OBJECTS),
        ("quantity", _QUANTITY),
    ]
)
ACCOUNTS = pa.schema(
    [
        ("account", pa.string()),
        ("name", pa.string()),
        ("account_type", pa.string()),
        ("unit", pa.string()),
        ("sru", pa.string()),
    ]
)
_BATCH = 50_000


def _objects(objects: tuple[tuple[str, str], ...]) -> list[dict]:
    return [{"dimension": d, "object": o} for d, o in objects]


def convert(reader: SieReader, folder: Path) -> dict[str, int]:
    """Stream the file into Parquet files in ``folder``; returns rows written per table."""
    folder.mkdir(parents=True, exist_ok=True)
    counts = {"voucher_rows": 0, "vouchers": 0}
    rows_writer = pq.ParquetWriter(folder / "voucher_rows.parquet", VOUCHER_ROWS)
    vouchers_writer = pq.ParquetWriter(folder / "vouchers.parquet", VOUCHERS)
    rows: list[dict] = []
    vouchers: list[dict] = []
    try:
        for voucher in reader.vouchers():
            vouchers.append(
                {
                    "voucher_series": voucher.series,
                    "voucher_number": voucher.number,
                    "voucher_date": voucher.date,
                    "text": voucher.text,
                    "registered": voucher.registered,
                    "signature": voucher.signature,
                    "rows": len(voucher.rows),
                    "line": voucher.line,
                }
            )
            for number, row in enumerate(voucher.rows, start=1):
                rows.append(
                    {
                        "voucher_series": voucher.series,
                        "voucher_number": voucher.number,
                        "voucher_date": voucher.date,
                        "row_number": number,
                        "row_kind": row.kind,
                        "account": row.account,
                        "amount": row.amount,
                        "objects": _objects(row.objects),
                        "transaction_date": row.date,
                        "text": row.text,
                        "quantity": row.quantity,
                        "line": row.line,
                    }
                )
            if len(rows) >= _BATCH:
                rows_writer.write_table(pa.Table.from_pylist(rows, schema=VOUCHER_ROWS))
                counts["voucher_rows"] += len(rows)
                rows.clear()
            if len(vouchers) >= _BATCH:
                vouchers_writer.write_table(pa.Table.from_pylist(vouchers, schema=VOUCHERS))
                counts["vouchers"] += len(vouchers)
                vouchers.clear()
        rows_writer.write_table(pa.Table.from_pylist(rows, schema=VOUCHER_ROWS))
        vouchers_writer.write_table(pa.Table.from_pylist(vouchers, schema=VOUCHERS))
        counts["voucher_rows"] += len(rows)
        counts["vouchers"] += len(vouchers)
    finally:
        rows_writer.close()
        vouchers_writer.close()
    h = reader.header
    tables = {
        "balances": (
            BALANCES,
            [
                {
                    "kind": b.kind,
                    "year": b.year,
                    "account": b.account,
                    "amount": b.amount,
                    "objects": _objects(b.objects),
                    "quantity": b.quantity,
                }
                for b in h.balances
            ],
        ),
        "period_balances": (
            PERIOD_BALANCES,
            [
                {
                    "kind": p.kind,
                    "year": p.year,
                    "period": p.period,
                    "account": p.account,
                    "amount": p.amount,
                    "objects": _objects(p.objects),
                    "quantity": p.quantity,
                }
                for p in h.period_balances
            ],
        ),
        "accounts": (
            ACCOUNTS,
            [
                {
                    "account": a.number,
                    "name": a.name,
                    "account_type": a.account_type,
                    "unit": a.unit,
                    "sru": a.sru,
                }
                for a in h.accounts.values()
            ],
        ),
    }
    for name, (schema, records) in tables.items():
        pq.write_table(pa.Table.from_pylist(records, schema=schema), folder / f"{name}.parquet")
        counts[name] = len(records)
    return counts
