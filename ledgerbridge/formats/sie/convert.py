"""SIE → Parquet, for a person to look at a file's contents in DuckDB, pandas or a spreadsheet
tool: voucher rows, vouchers, balances, period balances and accounts, one table each."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

from ledgerbridge.formats.sie.columnar import OBJECT_LIST, VoucherBatch
from ledgerbridge.formats.sie.reader import SieReader

_OBJECTS = OBJECT_LIST
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


def _objects(objects: tuple[tuple[str, str], ...]) -> list[dict]:
    return [{"dimension": d, "object_id": o} for d, o in objects]


def _decoded(column: pa.ChunkedArray) -> pa.Array:
    # dictionary<list> has no cast to list in Arrow; take() expands it
    objects = column.combine_chunks()
    return pc.take(objects.dictionary, objects.indices)


def _tables(batch: VoucherBatch) -> tuple[pa.Table, pa.Table]:
    v, r = batch.vouchers, batch.rows
    first = v.column("voucher")[0].as_py() if v.num_rows else 0
    position = r.column("voucher").to_numpy() - first
    counts = np.bincount(position, minlength=v.num_rows).astype(np.int32)

    vouchers = pa.Table.from_arrays(
        [
            v.column("series"),
            v.column("number"),
            v.column("date"),
            v.column("text"),
            v.column("registered"),
            v.column("signature"),
            pa.array(counts),
            v.column("line"),
        ],
        schema=VOUCHERS,
    )
    rows = pa.Table.from_arrays(
        [
            batch.for_rows("series"),
            batch.for_rows("number"),
            batch.for_rows("date"),
            r.column("row_number"),
            r.column("kind"),
            r.column("account"),
            r.column("amount"),
            _decoded(r.column("objects")),
            r.column("date"),
            r.column("text"),
            r.column("quantity"),
            r.column("line"),
        ],
        schema=VOUCHER_ROWS,
    )
    return vouchers, rows


def convert(reader: SieReader, folder: Path) -> dict[str, int]:
    """Stream the file into Parquet files in ``folder``; returns rows written per table."""
    folder.mkdir(parents=True, exist_ok=True)
    counts = {"voucher_rows": 0, "vouchers": 0}
    rows_writer = pq.ParquetWriter(folder / "voucher_rows.parquet", VOUCHER_ROWS)
    vouchers_writer = pq.ParquetWriter(folder / "vouchers.parquet", VOUCHERS)
    try:
        for batch in reader.voucher_batches():
            vouchers, rows = _tables(batch)
            rows_writer.write_table(rows)
            vouchers_writer.write_table(vouchers)
            counts["voucher_rows"] += rows.num_rows
            counts["vouchers"] += vouchers.num_rows
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
