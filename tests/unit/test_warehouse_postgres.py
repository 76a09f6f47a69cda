"""The loader's type mapping and COPY encoding, without a server (the round trip through a
real PostgreSQL is in tests/integration/test_postgres_build.py)."""

from __future__ import annotations

from datetime import UTC, date, datetime
from decimal import Decimal

import pytest

from ledgerbridge.warehouse_postgres import UnsupportedColumnType, _csv, postgres_type


@pytest.mark.parametrize(
    ("duckdb_type", "expected"),
    [
        ("DECIMAL(18,2)", "numeric(18,2)"),
        ("DECIMAL(18, 4)", "numeric(18,4)"),
        ("VARCHAR", "text"),
        ("BIGINT", "bigint"),
        ("DATE", "date"),
        ("TIMESTAMP WITH TIME ZONE", "timestamp with time zone"),
        ("JSON", "jsonb"),
    ],
)
def test_each_duckdb_type_has_its_exact_postgres_type(duckdb_type: str, expected: str) -> None:
    assert postgres_type(duckdb_type) == expected


def test_a_type_without_an_exact_counterpart_is_refused_not_guessed() -> None:
    with pytest.raises(UnsupportedColumnType, match="STRUCT"):
        postgres_type("STRUCT(a INTEGER)")


def test_copy_text_tells_null_from_empty_and_keeps_digits() -> None:
    row = (
        None,
        "",
        'a "b", c',
        Decimal("-0.50"),
        Decimal("1E+2"),
        date(2024, 6, 30),
        datetime(2024, 6, 30, 22, 0, tzinfo=UTC),
        True,
    )
    assert _csv([row]).getvalue() == (
        ',"","a ""b"", c","-0.50","100","2024-06-30","2024-06-30T22:00:00+00:00","true"\n'
    )
