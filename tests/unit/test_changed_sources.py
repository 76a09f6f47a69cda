"""Which raw tables changed since the last complete build, and what dbt then builds."""

from __future__ import annotations

import json
from pathlib import Path

import duckdb
import pytest

from ledgerbridge.changed_sources import (
    BUILT_FROM_FILE,
    MAX_CHANGED_PARTITIONS,
    BuiltFrom,
    Fingerprints,
    changed_partitions,
    changed_tables,
    ledger_source_tables,
    missing_models,
    raw_fingerprints,
    source_selectors,
)


@pytest.fixture
def con() -> duckdb.DuckDBPyConnection:
    con = duckdb.connect()
    con.execute("create schema raw_sie")
    con.execute("create schema raw_sie_staging")
    con.execute(
        "create table raw_sie.voucher_rows (voucher varchar, row_number int, amount decimal(18,2))"
    )
    con.execute(
        "insert into raw_sie.voucher_rows values "
        "('A1', 1, 100.00), ('A1', 2, -100.00), ('A2', 1, 50.00), ('A2', 2, -50.00)"
    )
    con.execute("create table raw_sie._dlt_loads (load_id varchar)")
    con.execute("create table raw_sie_staging.voucher_rows (voucher varchar)")
    return con


def fingerprint(con: duckdb.DuckDBPyConnection) -> str:
    return raw_fingerprints(con, ["raw_sie"]).tables["raw_sie.voucher_rows"]


def test_only_the_raw_datasets_data_tables_are_fingerprinted(con) -> None:
    assert list(raw_fingerprints(con, ["raw_sie"]).tables) == ["raw_sie.voucher_rows"]
    assert raw_fingerprints(con, []).tables == {}


@pytest.mark.parametrize(
    "change",
    [
        "insert into raw_sie.voucher_rows values ('A3', 1, 0.00)",
        "delete from raw_sie.voucher_rows where voucher = 'A2' and row_number = 2",
        "update raw_sie.voucher_rows set amount = 100.01 where voucher = 'A1' and row_number = 1",
        # two rows swap amounts: each column holds the same values as before
        "update raw_sie.voucher_rows set amount = case amount when 100.00 then 50.00 "
        "when 50.00 then 100.00 else amount end",
        "update raw_sie.voucher_rows set voucher = null where voucher = 'A2' and row_number = 1",
    ],
)
def test_any_row_inserted_deleted_or_altered_changes_the_fingerprint(con, change: str) -> None:
    before = fingerprint(con)
    con.execute(change)
    assert fingerprint(con) != before


def test_the_same_rows_in_another_order_keep_it(con) -> None:
    before = fingerprint(con)
    con.execute(
        "create or replace table raw_sie.voucher_rows as "
        "select * from raw_sie.voucher_rows order by amount desc"
    )
    assert fingerprint(con) == before


def test_an_empty_table_has_one_too(con) -> None:
    con.execute("delete from raw_sie.voucher_rows")
    assert fingerprint(con) == "0:0"


def test_changed_tables_are_the_added_removed_and_altered_ones() -> None:
    before = {"raw_sie.vouchers": "1:5", "raw_sie.voucher_rows": "2:7", "raw_bank.entries": "3:1"}
    now = {"raw_sie.vouchers": "1:5", "raw_sie.voucher_rows": "2:8", "raw_bank.files": "1:1"}
    assert changed_tables(before, now) == [
        "raw_bank.entries",
        "raw_bank.files",
        "raw_sie.voucher_rows",
    ]
    assert changed_tables(now, dict(now)) == []


def manifest(tmp_path: Path) -> Path:
    path = tmp_path / "manifest.json"
    path.write_text(
        json.dumps(
            {
                "sources": {
                    f"source.ledgerbridge.{source}.{table}": {
                        "source_name": source,
                        "name": table,
                        "schema": source,
                        "identifier": identifier,
                    }
                    for source, table, identifier in [
                        ("raw_sie", "voucher_rows", "voucher_rows"),
                        ("raw_sie", "vouchers", "vouchers"),
                        ("raw_fortnox", "cost_centres", "cost_centers"),
                    ]
                }
            }
        )
    )
    return path


def test_selectors_name_the_sources_that_read_the_changed_tables(tmp_path: Path) -> None:
    assert source_selectors(
        manifest(tmp_path), ["raw_fortnox.cost_centers", "raw_sie.voucher_rows"]
    ) == ["source:raw_fortnox.cost_centres+", "source:raw_sie.voucher_rows+"]


def test_a_table_no_model_reads_selects_nothing(tmp_path: Path) -> None:
    assert source_selectors(manifest(tmp_path), ["raw_sie.sync_marks"]) == []


def test_without_a_readable_manifest_there_is_no_selection(tmp_path: Path) -> None:
    assert source_selectors(tmp_path / "missing.json", ["raw_sie.vouchers"]) is None
    broken = tmp_path / "broken.json"
    broken.write_text("{")
    assert source_selectors(broken, ["raw_sie.vouchers"]) is None


def test_the_record_of_the_last_build_is_written_read_and_forgotten(tmp_path: Path) -> None:
    target = tmp_path / "target"
    assert BuiltFrom.read(target) is None
    record = BuiltFrom("abc", {"raw_sie.vouchers": "1:5"})
    record.write(target)
    assert BuiltFrom.read(target) == record
    with_partitions = BuiltFrom(
        "abc", {"raw_sie.vouchers": "1:5"}, {'["raw_fortnox.vouchers", "a", null]': "1:5"}
    )
    with_partitions.write(target)
    assert BuiltFrom.read(target) == with_partitions
    BuiltFrom.forget(target)
    assert BuiltFrom.read(target) is None
    BuiltFrom.forget(target)  # forgetting twice is fine


@pytest.mark.parametrize("content", ["", "{", "[]", '{"project": "abc"}', '{"raw": 1}'])
def test_an_unreadable_record_means_a_complete_build(tmp_path: Path, content: str) -> None:
    (tmp_path / BUILT_FROM_FILE).write_text(content)
    assert BuiltFrom.read(tmp_path) is None


def test_a_model_gone_from_the_warehouse_is_missing(tmp_path: Path) -> None:
    manifest = tmp_path / "manifest.json"
    node = {"resource_type": "model", "config": {"enabled": True, "materialized": "table"}}
    manifest.write_text(
        json.dumps(
            {
                "nodes": {
                    "model.x.fct_gl_entries": {
                        **node, "schema": "marts", "alias": "fct_gl_entries",
                        "name": "fct_gl_entries",
                    },
                    "model.x.stg_sie__vouchers": {
                        **node, "config": {"materialized": "view"}, "schema": "staging",
                        "alias": "stg_sie__vouchers", "name": "stg_sie__vouchers",
                    },
                    "model.x.eph": {
                        **node, "config": {"materialized": "ephemeral"}, "schema": "marts",
                        "alias": "eph", "name": "eph",
                    },
                    "test.x.unique_x": {"resource_type": "test", "schema": "t", "alias": "u"},
                }
            }
        )
    )  # fmt: skip
    everything = {("marts", "fct_gl_entries"), ("staging", "stg_sie__vouchers")}
    assert missing_models(manifest, everything) == []
    assert missing_models(manifest, {("staging", "stg_sie__vouchers")}) == ["fct_gl_entries"]
    assert missing_models(tmp_path / "none.json", everything) is None


@pytest.fixture
def ledger() -> duckdb.DuckDBPyConnection:
    """Two companies' SIE voucher rows over two fiscal years, and one company's Fortnox rows."""
    con = duckdb.connect()
    con.execute("create schema raw_sie")
    con.execute("create schema raw_fortnox")
    con.execute(
        "create table raw_sie.voucher_rows (company_id varchar, fiscal_year_start date, "
        "voucher_number varchar, row_number int, amount decimal(18,2))"
    )
    con.execute(
        "insert into raw_sie.voucher_rows values "
        "('a_ab', '2024-01-01', '1', 1, 10.00), ('a_ab', '2024-01-01', '1', 2, -10.00), "
        "('a_ab', '2025-01-01', '1', 1, 20.00), ('a_ab', '2025-01-01', '1', 2, -20.00), "
        "('b_ab', '2024-07-01', '1', 1, 30.00), ('b_ab', '2024-07-01', '1', 2, -30.00)"
    )
    con.execute(
        "create table raw_fortnox.vouchers (company_id varchar, year_id int, "
        "voucher_series varchar, voucher_number int)"
    )
    con.execute("insert into raw_fortnox.vouchers values ('c_ab', 1, 'A', 1)")
    return con


def test_the_ledgers_tables_have_a_fingerprint_per_fiscal_year(ledger) -> None:
    read = raw_fingerprints(ledger, ["raw_sie", "raw_fortnox"])
    assert sorted(json.loads(key)[1:] for key in read.partitions) == [
        ["a_ab", "2024-01-01"],
        ["a_ab", "2025-01-01"],
        ["b_ab", "2024-07-01"],
        ["c_ab", None],  # a Fortnox row names a year id: its company's every year
    ]
    # the table's fingerprint is the one a whole-table read gives
    whole = ledger.execute("select count(*), sum(hash(*columns(*))) from raw_sie.voucher_rows")
    rows, hashes = whole.fetchone()
    assert read.tables["raw_sie.voucher_rows"] == f"{rows}:{hashes}"


def test_the_changed_fiscal_years_are_those_whose_rows_changed(ledger) -> None:
    before = raw_fingerprints(ledger, ["raw_sie", "raw_fortnox"]).partitions
    ledger.execute(
        "update raw_sie.voucher_rows set amount = 11.00 "
        "where company_id = 'a_ab' and fiscal_year_start = '2025-01-01' and row_number = 1"
    )
    ledger.execute("delete from raw_sie.voucher_rows where company_id = 'b_ab'")
    ledger.execute("insert into raw_sie.voucher_rows values ('d_ab', '2025-01-01', '1', 1, 0.00)")
    now = raw_fingerprints(ledger, ["raw_sie", "raw_fortnox"]).partitions
    assert changed_partitions(before, now) == [
        ("a_ab", "2025-01-01"),
        ("b_ab", "2024-07-01"),  # gone
        ("d_ab", "2025-01-01"),  # new
    ]
    assert changed_partitions(now, dict(now)) == []


def test_a_change_to_every_year_of_a_company_covers_its_single_years() -> None:
    before = {
        '["raw_sie.vouchers", "a_ab", "2024-01-01"]': "1:1",
        '["raw_fortnox.vouchers", "a_ab", null]': "1:1",
    }
    now = {
        '["raw_sie.vouchers", "a_ab", "2024-01-01"]': "1:2",
        '["raw_fortnox.vouchers", "a_ab", null]': "2:2",
    }
    assert changed_partitions(before, now) == [("a_ab", None)]


def test_a_changed_row_without_a_company_means_every_row_is_tested(ledger) -> None:
    before = raw_fingerprints(ledger, ["raw_sie"]).partitions
    ledger.execute("insert into raw_sie.voucher_rows values (null, '2025-01-01', '9', 1, 0.00)")
    assert changed_partitions(before, raw_fingerprints(ledger, ["raw_sie"]).partitions) is None


def test_a_company_whose_fiscal_years_appear_or_go_changes_all_its_years(ledger) -> None:
    ledger.execute(
        "create table raw_sie.fiscal_years (company_id varchar, fiscal_year_start date, "
        "fiscal_year_end date, file_sha256 varchar)"
    )
    ledger.execute(
        "insert into raw_sie.fiscal_years values ('a_ab', '2025-01-01', '2025-12-31', 'f1')"
    )
    before = raw_fingerprints(ledger, ["raw_sie"]).partitions
    # a new export restates the year: its rows change, its company does not
    ledger.execute("update raw_sie.fiscal_years set file_sha256 = 'f2'")
    now = raw_fingerprints(ledger, ["raw_sie"]).partitions
    assert changed_partitions(before, now) == []
    ledger.execute(
        "insert into raw_sie.fiscal_years values ('e_ab', '2025-01-01', '2025-12-31', 'f3')"
    )
    assert changed_partitions(now, raw_fingerprints(ledger, ["raw_sie"]).partitions) == [
        ("e_ab", None)
    ]


def test_parts_that_cannot_be_named_mean_everything_is_read_and_tested() -> None:
    assert changed_partitions({"not json": "1:1"}, {}) is None
    count = MAX_CHANGED_PARTITIONS + 1
    many = {json.dumps(["raw_sie.vouchers", f"c{n}", "2025-01-01"]): "1:1" for n in range(count)}
    assert changed_partitions({}, many) is None


def test_a_ledger_table_without_its_part_columns_is_fingerprinted_whole(con) -> None:
    # the fixture's raw_sie.voucher_rows has no company_id or fiscal_year_start
    read = raw_fingerprints(con, ["raw_sie"])
    assert read.unpartitioned == {"raw_sie.voucher_rows"} and read.partitions == {}


def ledger_manifest(tmp_path: Path, extra_source: bool = False) -> Path:
    """The ledger layer reading SIE vouchers through staging (and, if asked, a raw table
    whose parts are not fingerprinted)."""
    sources = {
        "source.ledgerbridge.raw_sie.vouchers": {"schema": "raw_sie", "identifier": "vouchers"},
        "source.ledgerbridge.raw_sie.objects": {"schema": "raw_sie", "identifier": "objects"},
        "source.ledgerbridge.raw_bank.entries": {"schema": "raw_bank", "identifier": "entries"},
    }
    parents = {
        "model.ledgerbridge.int_ledger__vouchers": ["model.ledgerbridge.stg_sie__vouchers"],
        "model.ledgerbridge.int_ledger__voucher_rows": [],
        "model.ledgerbridge.stg_sie__vouchers": ["source.ledgerbridge.raw_sie.vouchers"]
        + (["source.ledgerbridge.raw_sie.objects"] if extra_source else []),
        "model.ledgerbridge.stg_bank__entries": ["source.ledgerbridge.raw_bank.entries"],
    }
    path = tmp_path / "manifest.json"
    path.write_text(json.dumps({"sources": sources, "parent_map": parents}))
    return path


def test_the_raw_tables_the_ledger_layer_reads_come_from_the_manifest(tmp_path: Path) -> None:
    assert ledger_source_tables(ledger_manifest(tmp_path)) == {"raw_sie.vouchers"}
    assert ledger_source_tables(ledger_manifest(tmp_path, extra_source=True)) == {
        "raw_sie.vouchers",
        "raw_sie.objects",
    }
    assert ledger_source_tables(tmp_path / "missing.json") is None


def test_a_changed_table_the_ledger_reads_without_known_parts_reads_everything(
    tmp_path: Path,
) -> None:
    from ledgerbridge.build import _changed_partitions

    key = json.dumps(["raw_sie.vouchers", "a_ab", "2025-01-01"])
    last = BuiltFrom("p", {}, {key: "1:1"})
    now = Fingerprints({}, {key: "2:2"})
    changed = ["raw_sie.objects", "raw_sie.vouchers"]
    # raw_sie.objects changed too, but nothing in the ledger layer reads it
    assert _changed_partitions(last, now, changed, ledger_manifest(tmp_path)) == [
        ("a_ab", "2025-01-01")
    ]
    # once a ledger model reads it, its parts are unknown: everything is read and tested
    assert _changed_partitions(last, now, changed, ledger_manifest(tmp_path, True)) is None
    # as when a ledger table lacks its part columns, or the record predates parts
    unpartitioned = Fingerprints({}, {key: "2:2"}, {"raw_sie.vouchers"})
    assert _changed_partitions(last, unpartitioned, changed, ledger_manifest(tmp_path)) is None
    assert _changed_partitions(BuiltFrom("p", {}), now, changed, ledger_manifest(tmp_path)) is None
