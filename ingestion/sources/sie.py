"""SIE 4E exports → ``raw_sie``.

One load per file: a file lands whole or not at all (the reader stops at the first damage and
dlt discards an extract that raised). A file is identified by its sha256, so loading it again
does nothing; a newer export of the same company and fiscal year replaces the vouchers,
accounts, dimensions and objects of that year.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime
from pathlib import Path

import pyarrow as pa
import pyarrow.compute as pc

from ingestion.arrow_tables import AMOUNT, QUANTITY, Batcher, RawTable, files_table, schema
from ingestion.files import find_files
from ledgerbridge.config import Company, orgnr_digits
from ledgerbridge.formats.sie import DIM_COST_CENTRE, DIM_PROJECT, Diagnostic, SieError, SieReader
from ledgerbridge.formats.sie.columnar import VoucherBatch
from ledgerbridge.formats.sie.model import object_in

DATASET = "raw_sie"
SIE_SUFFIXES = (".se", ".si", ".sie")
_S, _D, _I = pa.string(), pa.date32(), pa.int64()
_YEAR_KEY = ("company_id", "fiscal_year_start")

FILES = files_table(
    ("program", _S),
    ("program_version", _S),
    ("sie_type", _S),
    ("encoding", _S),
    ("company_name", _S),
    ("orgnr", _S),
    ("generated_on", _D),
    ("fiscal_year_start", _D),
    ("fiscal_year_end", _D),
    ("vouchers", _I),
    ("voucher_rows", _I),
    ("format_declared", _S),
    ("unknown_labels", _S),
    ("diagnostics", _S),
)


def _per_year(
    name: str,
    key: tuple[tuple[str, pa.DataType], ...],
    *fields: tuple[str, pa.DataType],
    replace: bool = True,
    lineage: bool = True,
) -> RawTable:
    """A raw table keyed by company, fiscal year and ``key``; with ``replace``, a newer export
    of the same company and year replaces all of that year's rows."""
    columns = [("company_id", _S, False), ("fiscal_year_start", _D, False)]
    columns += [(column, kind, False) for column, kind in key]
    columns += list(fields)
    if lineage:
        columns.append(("file_sha256", _S))
    return RawTable(
        name,
        schema(*columns),
        primary_key=(*_YEAR_KEY, *(column for column, _ in key)),
        replace_key=_YEAR_KEY if replace else (),
    )


FISCAL_YEARS = _per_year("fiscal_years", (), ("fiscal_year_end", _D), replace=False)
ACCOUNTS = _per_year(
    "accounts",
    (("account_number", _S),),
    ("account_name", _S),
    ("account_type", _S),
    ("unit", _S),
    ("sru", _S),
)
DIMENSIONS = _per_year(
    "dimensions", (("dimension", _S),), ("dimension_name", _S), ("parent_dimension", _S)
)
OBJECTS = _per_year("objects", (("dimension", _S), ("object_id", _S)), ("object_name", _S))
BALANCES = _per_year(
    "balances",
    (("balance_kind", _S), ("account_number", _S), ("object_key", _S)),
    ("objects", _S),
    ("amount", AMOUNT),
    ("quantity", QUANTITY),
)
PERIOD_BALANCES = _per_year(
    "period_balances",
    (("balance_kind", _S), ("period", _S), ("account_number", _S), ("object_key", _S)),
    ("objects", _S),
    ("amount", AMOUNT),
    ("quantity", QUANTITY),
)
# voucher_occurrence tells apart vouchers that share series and number (some programs give
# every automatic voucher the same "# 1"); it is 1 for all others.
VOUCHERS = _per_year(
    "vouchers",
    (("voucher_series", _S), ("voucher_number", _S), ("voucher_occurrence", _I)),
    ("voucher_date", _D),
    ("voucher_text", _S),
    ("registered_on", _D),
    ("source_line", _I),
)
VOUCHER_ROWS = _per_year(
    "voucher_rows",
    (
        ("voucher_series", _S),
        ("voucher_number", _S),
        ("voucher_occurrence", _I),
        ("row_number", _I),
    ),
    ("row_kind", _S),
    ("account_number", _S),
    ("cost_centre", _S),
    ("project", _S),
    ("objects", _S),
    ("amount", AMOUNT),
    ("transaction_date", _D),
    ("row_text", _S),
    ("quantity", QUANTITY),
    ("source_line", _I),
    lineage=False,
)
TABLES = (
    FILES,
    FISCAL_YEARS,
    ACCOUNTS,
    DIMENSIONS,
    OBJECTS,
    BALANCES,
    PERIOD_BALANCES,
    VOUCHERS,
    VOUCHER_ROWS,
)
_WITH_LINEAGE = frozenset(t.name for t in TABLES if "file_sha256" in t.schema.names)


@dataclass(frozen=True)
class SieFileRef:
    path: Path
    sha256: str


def find_sie_files(folder: Path) -> list[Path]:
    return find_files(folder, SIE_SUFFIXES)


def _object_key(objects: tuple[tuple[str, str], ...]) -> str:
    return " ".join(f"{d}:{o}" for d, o in objects)


def _objects_json(objects: tuple[tuple[str, str], ...]) -> str | None:
    return json.dumps([list(o) for o in objects], ensure_ascii=False) if objects else None


def _raw_vouchers(
    batch: VoucherBatch, company_id: str, year: date, sha: str
) -> tuple[pa.Table, pa.Table]:
    """A batch of the reader's vouchers and rows as ``raw_sie.vouchers`` and ``voucher_rows``."""
    v, r = batch.vouchers, batch.rows
    n, m = v.num_rows, r.num_rows
    # object lists are dictionary-encoded: derive each column once per distinct list
    objects = r.column("objects").combine_chunks()
    distinct = [
        tuple((o["dimension"], o["object_id"]) for o in x) for x in objects.dictionary.to_pylist()
    ]
    indices = objects.indices

    def per_list(values: list) -> pa.Array:
        return pc.take(pa.array(values, _S), indices)

    vouchers = pa.Table.from_arrays(
        [
            pa.array([company_id] * n, _S),
            pa.array([year] * n, _D),
            v.column("series"),
            v.column("number"),
            v.column("occurrence").cast(_I),
            v.column("date"),
            v.column("text"),
            v.column("registered"),
            v.column("line"),
            pa.array([sha] * n, _S),
        ],
        schema=VOUCHERS.schema,
    )
    rows = pa.Table.from_arrays(
        [
            pa.array([company_id] * m, _S),
            pa.array([year] * m, _D),
            batch.for_rows("series"),
            batch.for_rows("number"),
            batch.for_rows("occurrence").cast(_I),
            r.column("row_number").cast(_I),
            r.column("kind"),
            r.column("account"),
            per_list([object_in(o, DIM_COST_CENTRE) for o in distinct]),
            per_list([object_in(o, DIM_PROJECT) for o in distinct]),
            per_list([_objects_json(o) for o in distinct]),
            r.column("amount"),
            r.column("date"),
            r.column("text"),
            r.column("quantity"),
            r.column("line"),
        ],
        schema=VOUCHER_ROWS.schema,
    )
    return vouchers, rows


def sie_file_rows(ref: SieFileRef, company: Company, display_name: str) -> Iterator[object]:
    """Arrow tables for one SIE 4E file, after checking it belongs to ``company``."""
    sha = ref.sha256
    with SieReader(ref.path, display_name=display_name) as reader:
        header = reader.header

        def fail(code: str, message: str, line: int | None = None) -> None:
            raise SieError(Diagnostic(code, "error", display_name, line, message))

        current = header.fiscal_year(0)
        if current is None:
            fail(
                "not-books",
                "has no #RAR 0 (fiscal year): it is not a SIE 4E export of a company's books. "
                "Import files (4I) carry vouchers for another program to book, not books",
            )
        if (
            company.orgnr
            and header.orgnr
            and orgnr_digits(company.orgnr) != orgnr_digits(header.orgnr)
        ):
            fail(
                "wrong-company",
                f"belongs to organisation number {header.orgnr} ({header.company_name}), but "
                f"lies in the SIE folder of company '{company.id}' ({company.orgnr})",
            )
        start = current.start
        batch = Batcher(*TABLES)

        def add(table: RawTable, year: date = start, **fields: object) -> Iterator[object]:
            fields.update(company_id=company.id, fiscal_year_start=year)
            if table.name in _WITH_LINEAGE:
                fields["file_sha256"] = sha
            return batch.add(table.name, fields)

        for year in header.fiscal_years:
            yield from add(FISCAL_YEARS, year.start, fiscal_year_end=year.end)
        for number, account in header.accounts.items():
            yield from add(
                ACCOUNTS,
                account_number=number,
                account_name=account.name,
                account_type=account.account_type,
                unit=account.unit,
                sru=account.sru,
            )
        for number, dimension in header.dimensions.items():
            yield from add(
                DIMENSIONS,
                dimension=number,
                dimension_name=dimension.name,
                parent_dimension=dimension.parent,
            )
        for (dimension, object_id), name in header.objects.items():
            yield from add(OBJECTS, dimension=dimension, object_id=object_id, object_name=name)
        # Each fiscal year's own export is the authority on its balances: a file's year -1
        # figures would overwrite the previous year's file, so only year 0 lands.
        for balance in header.balances:
            if balance.year == 0:
                yield from add(
                    BALANCES,
                    balance_kind=balance.kind,
                    account_number=balance.account,
                    object_key=_object_key(balance.objects),
                    objects=_objects_json(balance.objects),
                    amount=balance.amount,
                    quantity=balance.quantity,
                )
        for period in header.period_balances:
            if period.year == 0:
                yield from add(
                    PERIOD_BALANCES,
                    balance_kind=period.kind,
                    period=period.period,
                    account_number=period.account,
                    object_key=_object_key(period.objects),
                    objects=_objects_json(period.objects),
                    amount=period.amount,
                    quantity=period.quantity,
                )
        vouchers = voucher_rows = 0
        for voucher_batch in reader.voucher_batches():
            v_table, r_table = _raw_vouchers(voucher_batch, company.id, start, sha)
            vouchers += v_table.num_rows
            voucher_rows += r_table.num_rows
            yield from batch.add_table(VOUCHERS.name, v_table)
            yield from batch.add_table(VOUCHER_ROWS.name, r_table)
        yield from batch.add(
            FILES.name,
            {
                "company_id": company.id,
                "file_sha256": sha,
                "file_name": ref.path.name,
                "program": header.program,
                "program_version": header.program_version,
                "sie_type": header.kind,
                "format_declared": header.format,
                "encoding": reader.encoding,
                "company_name": header.company_name,
                "orgnr": header.orgnr,
                "generated_on": header.generated,
                "fiscal_year_start": current.start,
                "fiscal_year_end": current.end,
                "vouchers": vouchers,
                "voucher_rows": voucher_rows,
                "unknown_labels": json.dumps(header.unknown_labels)
                if header.unknown_labels
                else None,
                "diagnostics": json.dumps(
                    [d.as_dict() for d in reader.diagnostics], ensure_ascii=False
                ),
                "loaded_at": datetime.now(UTC),
            },
        )
        yield from batch.flush()
