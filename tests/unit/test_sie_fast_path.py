"""The block-at-a-time fast path reads exactly what the careful line-by-line path reads."""

from __future__ import annotations

import random
from pathlib import Path

import pytest

from ledgerbridge.errors import InvalidInputError
from ledgerbridge.formats.sie import SieReader
from sandbox.demo_company import DemoOptions, generate
from tests.fuzz.fuzz_sie import mutate, seeds


def read(path: Path, fast: bool, mode: str) -> tuple:
    try:
        with SieReader(path, mode=mode, on_error="collect", fast=fast) as reader:
            vouchers = reader.read()
            return (
                [
                    (v.series, v.number, v.date, v.text, v.registered, v.signature, v.line, v.rows)
                    for v in vouchers
                ],
                reader.diagnostics,
                reader.header.balances,
            )
    except InvalidInputError as exc:
        return ("refused", str(exc))


def same(path: Path) -> None:
    for mode in ("lenient", "strict"):
        assert read(path, True, mode) == read(path, False, mode), (path, mode)


@pytest.mark.parametrize(
    "name",
    sorted(p.name for p in (Path(__file__).parents[3] / "shared" / "corpus" / "sie").glob("*")),
)
def test_corpus_files(corpus: Path, name: str) -> None:
    same(corpus / "sie" / name)


def test_a_demo_export_larger_than_one_chunk(tmp_path: Path) -> None:
    result = generate(DemoOptions(scale=200_000), tmp_path / "demo")
    path = max(result.sie_files, key=lambda p: p.stat().st_size)
    assert path.stat().st_size > 5 << 20  # more than one 4 MB chunk
    same(path)


def test_mutated_files(corpus: Path, tmp_path: Path) -> None:
    rng = random.Random(5)
    inputs = seeds(corpus)
    for i in range(150):
        path = tmp_path / f"m{i}.se"
        path.write_bytes(mutate(rng.choice(inputs), rng))
        same(path)


def test_tuple_rows_follow_the_schema_order() -> None:
    """sie_file_rows builds vouchers and rows as tuples; their order is the schema's."""
    from ingestion.sources.sie import VOUCHER_ROWS, VOUCHERS

    assert VOUCHERS.schema.names == [
        "company_id", "fiscal_year_start", "voucher_series", "voucher_number",
        "voucher_occurrence", "voucher_date", "voucher_text", "registered_on", "source_line",
        "file_sha256",
    ]  # fmt: skip
    assert VOUCHER_ROWS.schema.names == [
        "company_id", "fiscal_year_start", "voucher_series", "voucher_number",
        "voucher_occurrence", "row_number", "row_kind", "account_number", "cost_centre",
        "project", "objects", "amount", "transaction_date", "row_text", "quantity", "source_line",
    ]  # fmt: skip
