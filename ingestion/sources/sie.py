"""SIE 4E exports → ``raw_sie``.

One load per file: a file lands whole or not at all (the reader stops at the first damage and
dlt discards an extract that raised). A file is identified by its sha256, so loading it again
does nothing; a newer export of the same company and fiscal year replaces the vouchers,
accounts, dimensions and objects of that year.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import pyarrow as pa

from ingestion.arrow_tables import AMOUNT, QUANTITY, Batcher, RawTable, schema
from ledgerbridge.config import Company
from ledgerbridge.formats.sie import DIM_COST_CENTRE, DIM_PROJECT, Diagnostic, SieError, SieReader

DATASET = "raw_sie"
SIE_SUFFIXES = (".se", ".si", ".sie")
_S, _D, _I = pa.string(), pa.date32(), pa.int64()
_YEAR_KEY = ("company_id", "fiscal_year_start")

FILES = RawTable(
    "files",
    schema(
        ("company_id", _S, False),
        ("file_sha256", _S, False),
        ("file_name", _S),
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
        ("skipped_labels", _S),
        ("loaded_at", pa.timestamp("us", tz="UTC")),
    ),
    primary_key=("company_id", "file_sha256"),
)
FISCAL_YEARS = RawTable(
    "fiscal_years",
    schema(
        ("company_id", _S, False),
        ("fiscal_year_start", _D, False),
        ("fiscal_year_end", _D),
        ("file_sha256", _S),
    ),
    primary_key=_YEAR_KEY,
)
ACCOUNTS = RawTable(
    "accounts",
    schema(
        ("company_id", _S, False),
        ("fiscal_year_start", _D, False),
        ("account_number", _S, False),
        ("account_name", _S),
        ("file_sha256", _S),
    ),
    primary_key=(*_YEAR_KEY, "account_number"),
    replace_key=_YEAR_KEY,
)
DIMENSIONS = RawTable(
    "dimensions",
    schema(
        ("company_id", _S, False),
        ("fiscal_year_start", _D, False),
        ("dimension", _S, False),
        ("dimension_name", _S),
        ("file_sha256", _S),
    ),
    primary_key=(*_YEAR_KEY, "dimension"),
    replace_key=_YEAR_KEY,
)
OBJECTS = RawTable(
    "objects",
    schema(
        ("company_id", _S, False),
        ("fiscal_year_start", _D, False),
        ("dimension", _S, False),
        ("object_id", _S, False),
        ("object_name", _S),
        ("file_sha256", _S),
    ),
    primary_key=(*_YEAR_KEY, "dimension", "object_id"),
    replace_key=_YEAR_KEY,
)
BALANCES = RawTable(
    "balances",
    schema(
        ("company_id", _S, False),
        ("fiscal_year_start", _D, False),
        ("balance_kind", _S, False),
        ("account_number", _S, False),
        ("object_key", _S, False),
        ("objects", _S),
        ("amount", AMOUNT),
        ("quantity", QUANTITY),
        ("relative_year", _I),
        ("file_sha256", _S),
    ),
    primary_key=(*_YEAR_KEY, "balance_kind", "account_number", "object_key"),
)
VOUCHERS = RawTable(
    "vouchers",
    schema(
        ("company_id", _S, False),
        ("fiscal_year_start", _D, False),
        ("voucher_series", _S, False),
        ("voucher_number", _S, False),
        ("voucher_date", _D),
        ("voucher_text", _S),
        ("registered_on", _D),
        ("source_line", _I),
        ("file_sha256", _S),
    ),
    primary_key=(*_YEAR_KEY, "voucher_series", "voucher_number"),
    replace_key=_YEAR_KEY,
)
VOUCHER_ROWS = RawTable(
    "voucher_rows",
    schema(
        ("company_id", _S, False),
        ("fiscal_year_start", _D, False),
        ("voucher_series", _S, False),
        ("voucher_number", _S, False),
        ("row_number", _I, False),
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
    ),
    primary_key=(*_YEAR_KEY, "voucher_series", "voucher_number", "row_number"),
    replace_key=_YEAR_KEY,
)
TABLES = (FILES, FISCAL_YEARS, ACCOUNTS, DIMENSIONS, OBJECTS, BALANCES, VOUCHERS, VOUCHER_ROWS)


@dataclass(frozen=True)
class SieFileRef:
    path: Path
    sha256: str


def find_sie_files(folder: Path) -> list[Path]:
    return sorted(p for p in folder.iterdir() if p.is_file() and p.suffix.lower() in SIE_SUFFIXES)


def file_sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        while chunk := handle.read(1 << 20):
            digest.update(chunk)
    return digest.hexdigest()


def _digits(orgnr: str | None) -> str:
    return re.sub(r"\D", "", orgnr or "")[-10:]


def _objects_json(objects: tuple[tuple[str, str], ...]) -> str | None:
    return json.dumps([list(o) for o in objects], ensure_ascii=False) if objects else None


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
        if company.orgnr and header.orgnr and _digits(company.orgnr) != _digits(header.orgnr):
            fail(
                "wrong-company",
                f"belongs to organisation number {header.orgnr} ({header.company_name}), but "
                f"lies in the SIE folder of company '{company.id}' ({company.orgnr})",
            )
        year_start = {y.index: y.start for y in header.fiscal_years}
        start = current.start
        batch = Batcher(*TABLES)
        for year in header.fiscal_years:
            yield from batch.add(
                FISCAL_YEARS.name,
                {
                    "company_id": company.id,
                    "fiscal_year_start": year.start,
                    "fiscal_year_end": year.end,
                    "file_sha256": sha,
                },
            )
        for number, name in header.accounts.items():
            yield from batch.add(
                ACCOUNTS.name,
                {
                    "company_id": company.id,
                    "fiscal_year_start": start,
                    "account_number": number,
                    "account_name": name,
                    "file_sha256": sha,
                },
            )
        for dimension, name in header.dimensions.items():
            yield from batch.add(
                DIMENSIONS.name,
                {
                    "company_id": company.id,
                    "fiscal_year_start": start,
                    "dimension": dimension,
                    "dimension_name": name,
                    "file_sha256": sha,
                },
            )
        seen_objects: set[tuple[str, str]] = set()
        for dimension, object_id, name in header.objects:
            if (dimension, object_id) in seen_objects:
                continue
            seen_objects.add((dimension, object_id))
            yield from batch.add(
                OBJECTS.name,
                {
                    "company_id": company.id,
                    "fiscal_year_start": start,
                    "dimension": dimension,
                    "object_id": object_id,
                    "object_name": name,
                    "file_sha256": sha,
                },
            )
        for balance in header.balances:
            if balance.year not in year_start:
                fail(
                    "unknown-year",
                    f"has a #{balance.kind} for year {balance.year} but no #RAR {balance.year} "
                    "saying which dates that year covers",
                )
            yield from batch.add(
                BALANCES.name,
                {
                    "company_id": company.id,
                    "fiscal_year_start": year_start[balance.year],
                    "balance_kind": balance.kind,
                    "account_number": balance.account,
                    "object_key": " ".join(f"{d}:{o}" for d, o in balance.objects),
                    "objects": _objects_json(balance.objects),
                    "amount": balance.amount,
                    "quantity": balance.quantity,
                    "relative_year": balance.year,
                    "file_sha256": sha,
                },
            )
        seen_vouchers: dict[tuple[str, str], int] = {}
        voucher_rows = 0
        for voucher in reader.vouchers():
            if not current.start <= voucher.date <= current.end:
                fail(
                    "outside-year",
                    f"{voucher.describe()} lies outside the fiscal year "
                    f"{current.start}–{current.end} (#RAR 0)",
                    voucher.line,
                )
            key = (voucher.series, voucher.number)
            if key in seen_vouchers:
                fail(
                    "duplicate-voucher",
                    f"{voucher.describe()} has the same series and number as the voucher on "
                    f"line {seen_vouchers[key]}",
                    voucher.line,
                )
            seen_vouchers[key] = voucher.line
            yield from batch.add(
                VOUCHERS.name,
                {
                    "company_id": company.id,
                    "fiscal_year_start": start,
                    "voucher_series": voucher.series,
                    "voucher_number": voucher.number,
                    "voucher_date": voucher.date,
                    "voucher_text": voucher.text,
                    "registered_on": voucher.registered,
                    "source_line": voucher.line,
                    "file_sha256": sha,
                },
            )
            for number, row in enumerate(voucher.rows, start=1):
                voucher_rows += 1
                yield from batch.add(
                    VOUCHER_ROWS.name,
                    {
                        "company_id": company.id,
                        "fiscal_year_start": start,
                        "voucher_series": voucher.series,
                        "voucher_number": voucher.number,
                        "row_number": number,
                        "row_kind": row.kind,
                        "account_number": row.account,
                        "cost_centre": row.object_id(DIM_COST_CENTRE),
                        "project": row.object_id(DIM_PROJECT),
                        "objects": _objects_json(row.objects),
                        "amount": row.amount,
                        "transaction_date": row.date,
                        "row_text": row.text,
                        "quantity": row.quantity,
                        "source_line": row.line,
                    },
                )
        yield from batch.add(
            FILES.name,
            {
                "company_id": company.id,
                "file_sha256": sha,
                "file_name": ref.path.name,
                "program": header.program,
                "program_version": header.program_version,
                "sie_type": header.sie_type,
                "encoding": reader.encoding,
                "company_name": header.company_name,
                "orgnr": header.orgnr,
                "generated_on": header.generated,
                "fiscal_year_start": current.start,
                "fiscal_year_end": current.end,
                "vouchers": len(seen_vouchers),
                "voucher_rows": voucher_rows,
                "skipped_labels": json.dumps(header.unknown_labels)
                if header.unknown_labels
                else None,
                "loaded_at": datetime.now(UTC),
            },
        )
        yield from batch.flush()
