"""`ledgerbridge demo --no-serve` end to end: what it publishes is right and reproducible."""

from __future__ import annotations

import hashlib
import json
import shutil
from collections import defaultdict
from decimal import Decimal
from pathlib import Path

import duckdb
import pytest

from ingestion.sources.tryton import ENTITIES
from ledgerbridge.config import Paths
from ledgerbridge.forecast import ACCURACY_TABLE, FORECAST_TABLE
from ledgerbridge.warehouse import publish
from sandbox.demo_company import DemoOptions, generate
from sandbox.tryton import REPLAY_SCALE
from tests.conftest import run_cli, warehouse_rows


def serving(home: Path) -> duckdb.DuckDBPyConnection:
    return duckdb.connect(str(home / "serving.duckdb"), read_only=True)


def test_trial_balance_sums_to_zero_per_company_and_period(demo_home: Path) -> None:
    con = serving(demo_home)
    try:
        periods = con.execute(
            "select company_id, period_start, sum(closing_balance), sum(opening_balance), count(*) "
            "from rpt_trial_balance group by all order by 1, 2"
        ).fetchall()
        types = dict(
            con.execute(
                "select column_name, column_type from (describe rpt_trial_balance)"
            ).fetchall()
        )
    finally:
        con.close()
    assert len(periods) == 24  # two fiscal years of months
    assert all(
        closing == 0 and opening == 0 and rows > 10 for _, _, closing, opening, rows in periods
    )
    assert types["closing_balance"] == "DECIMAL(18,2)"


@pytest.fixture(scope="module")
def sie_demo_home(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The demo with its books as SIE 4E files instead of Fortnox (and its ERP as files)."""
    home = tmp_path_factory.mktemp("sie-demo") / "home"
    result = run_cli(
        "demo", "--accounting", "sie", "--erp", "files", "--no-serve", home=home, timeout=900
    )
    assert result.returncode == 0, result.output
    return home


@pytest.mark.parametrize("books", ["fortnox", "sie"])
def test_income_statement_equals_what_the_generator_booked(
    books: str, request: pytest.FixtureRequest, tmp_path: Path
) -> None:
    """Whether the books are read from Fortnox or from SIE files, the marts say what the
    generator booked."""
    home = request.getfixturevalue("demo_home" if books == "fortnox" else "sie_demo_home")
    # The demo's generator is deterministic: regenerating with the same options gives the same
    # files, and its own record of what it booked is the independent side of this comparison.
    again = generate(DemoOptions(scale=REPLAY_SCALE), tmp_path / "again")
    for path in again.sie_files:
        shipped = home / "demo" / "sie" / path.name
        assert (
            hashlib.sha256(shipped.read_bytes()).digest()
            == hashlib.sha256(path.read_bytes()).digest()
        )
    con = serving(home)
    try:
        rows = con.execute(
            "select fiscal_year_start, account_number, sum(amount), sum(report_amount) "
            "from rpt_income_statement where company_id = 'demo_ab' group by all"
        ).fetchall()
        systems = con.execute("select distinct source_system from fct_gl_entries").fetchall()
    finally:
        con.close()
    marts: dict = defaultdict(dict)
    for year, account, amount, report_amount in rows:
        assert report_amount == -amount
        marts[year][account] = amount
    expected = {
        year: {a: v for a, v in accounts.items() if a[0] in "345678" and v}
        for year, accounts in again.booked.items()
    }
    assert {y: {a: v for a, v in accs.items() if v} for y, accs in marts.items()} == expected
    revenue = sum(v for v in expected[min(expected)].values() if v < 0)
    assert revenue < Decimal("-1000000")  # a real company's year, not an empty one
    assert systems == [(books,)]


def test_running_ingest_again_changes_nothing(demo_home: Path, tmp_path: Path) -> None:
    home = tmp_path / "home"
    shutil.copytree(demo_home, home)
    # the config names folders relative to itself, so the copy ingests its own copy of the data
    before = warehouse_fingerprint(home)
    result = run_cli("ingest", home=home)
    assert result.returncode == 0, result.output
    # the Fortnox books and the sandbox ERP (read again, from their marks: nothing new), the
    # bank's statements and the e-invoices (a line per folder), the webshop's price list, the
    # budget's two yearly files
    assert result.output.count("unchanged") == 7 and "loaded " not in result.output
    assert "unchanged 24 files in" in result.output
    assert "(no changes since the last read)" in result.output
    assert warehouse_fingerprint(home) == before


def warehouse_fingerprint(home: Path) -> dict[str, tuple[int, str]]:
    con = duckdb.connect(str(home / "warehouse.duckdb"), read_only=True)
    try:
        tables = con.execute(
            "select schema_name, table_name from duckdb_tables() "
            "where schema_name like 'raw_%' and schema_name not like '%staging' "
            "and table_name not like '\\_dlt%' escape '\\' "
            # when each Tryton and Fortnox read ran, not what it read
            "and (schema_name, table_name) not in (('raw_tryton', 'sync_state'), "
            "('raw_fortnox', 'sync_state'))"
        ).fetchall()
        out = {}
        for schema, table in tables:
            columns = [
                c
                for (c,) in con.execute(
                    "select column_name from duckdb_columns() "
                    "where schema_name = ? and table_name = ? "
                    "and column_name not in ('loaded_at', 'fetched_at') order by column_index",
                    [schema, table],
                ).fetchall()
            ]
            body = ", ".join(f'"{c}"' for c in columns)
            count, digest = con.execute(
                f'select count(*), coalesce(sum(hash({body})), 0)::varchar from {schema}."{table}"'
            ).fetchone()
            out[f"{schema}.{table}"] = (count, digest)
        return out
    finally:
        con.close()


def test_the_erp_side_is_the_sandbox_tryton_telling_the_same_story(demo_home: Path) -> None:
    """The demo's ERP data comes from the running Tryton, seeded from the same story the SIE
    files tell: every invoice of the export, with its amount and dimensions, as Tryton
    computed it."""
    info = json.loads((demo_home / "sandbox" / "sandbox.json").read_text(encoding="utf-8"))
    assert "sources.tryton" in (demo_home / "ledgerbridge.toml").read_text(encoding="utf-8")
    erp = demo_home / "demo" / "erp"

    def exported(entity: str) -> list[dict]:
        lines = (erp / f"{entity}.jsonl").read_text(encoding="utf-8").splitlines()
        return [json.loads(line) for line in lines if line.strip()]

    con = duckdb.connect(str(demo_home / "warehouse.duckdb"), read_only=True)
    try:
        customer = con.execute(
            "select invoice_number, total_amount, cost_centre, project "
            "from intermediate.int_erp__invoices where invoice_kind = 'customer'"
        ).fetchall()
        supplier = con.execute(
            "select invoice_number, total_amount "
            "from intermediate.int_erp__invoices where invoice_kind = 'supplier'"
        ).fetchall()
        (read_from,) = con.execute(
            "select count(*) from raw_tryton.sync_state where company_id = 'demo_ab'"
        ).fetchone()
    finally:
        con.close()
    assert sorted(customer) == sorted(
        (i["number"], Decimal(i["total_amount"]), i["cost_centre"], i["project"])
        for i in exported("customer_invoices")
    )
    assert sorted(supplier) == sorted(
        (i["number"], Decimal(i["total_amount"])) for i in exported("supplier_invoices")
    )
    assert read_from == len(ENTITIES) and info["url"].startswith("http://127.0.0.1:")


def test_the_bank_and_the_e_invoices_tell_the_books_story(demo_home: Path) -> None:
    """Each month's bank statement closes at what 1930 holds at that month's end, and every
    supplier invoice of the ERP arrived as an e-invoice with its total."""
    con = duckdb.connect(str(demo_home / "warehouse.duckdb"), read_only=True)
    try:
        differences = con.execute(
            """
            with months as (
                select closing_date, closing_balance from staging.stg_bank__statements
            ),
            opening as (
                select sum(amount) as amount from intermediate.int_ledger__balances
                where balance_kind = 'IB' and account_number = '1930'
                    and fiscal_year_start
                        = (select min(fiscal_year_start) from intermediate.int_ledger__balances)
            ),
            booked as (
                select months.closing_date, sum(gl.amount) as amount
                from months
                join marts.fct_gl_entries as gl
                    on gl.account_number = '1930' and gl.voucher_date <= months.closing_date
                group by all
            )
            select months.closing_date, months.closing_balance,
                   (select amount from opening) + booked.amount as ledger
            from months join booked using (closing_date)
            where months.closing_balance <> (select amount from opening) + booked.amount
            """
        ).fetchall()
        (statements,) = con.execute("select count(*) from staging.stg_bank__statements").fetchone()
        einvoiced = con.execute(
            "select document_id, payable_amount from staging.stg_einvoice__documents "
            "where direction = 'incoming'"
        ).fetchall()
        registered = con.execute(
            "select supplier_invoice_number, total_amount from intermediate.int_erp__invoices "
            "where invoice_kind = 'supplier'"
        ).fetchall()
    finally:
        con.close()
    assert statements == 24 and differences == []
    assert sorted(einvoiced) == sorted(registered) and len(registered) > 30


def test_status_shows_what_is_loaded_and_built(demo_home: Path, tmp_path: Path) -> None:
    home = tmp_path / "home"
    shutil.copytree(demo_home, home)
    result = run_cli("status", home=home)
    assert result.returncode == 0, result.output
    assert "voucher_rows" in result.output and "raw_fortnox" in result.output
    assert "read through the API" in result.output and "raw_bank" in result.output
    for step in ("ingest", "build", "publish"):
        assert step in result.output
    assert "rpt_income_statement" in result.output


def test_publish_swaps_while_a_reader_keeps_its_snapshot(demo_home: Path, tmp_path: Path) -> None:
    home = tmp_path / "home"
    shutil.copytree(demo_home, home)
    reader = serving(home)
    try:
        first = reader.execute("select published_at from _ledgerbridge_publish").fetchone()[0]
        result = publish(Paths(home))
        assert result.tables["rpt_income_statement"] > 0
        # the open connection still reads the old file, undisturbed
        assert (
            reader.execute("select published_at from _ledgerbridge_publish").fetchone()[0] == first
        )
        assert reader.execute("select count(*) from rpt_trial_balance").fetchone()[0] > 0
    finally:
        reader.close()
    fresh = serving(home)
    try:
        assert fresh.execute("select published_at from _ledgerbridge_publish").fetchone()[0] > first
        info = json.loads(fresh.execute("select tables from _ledgerbridge_publish").fetchone()[0])
        # every table the build made in the marts schema, the forecasts computed from them
        # (decision 0030), and nothing else
        built = warehouse_rows(
            home, "select table_name from information_schema.tables where table_schema = 'marts'"
        )
        assert set(info) == {name for (name,) in built} | {FORECAST_TABLE, ACCURACY_TABLE}
        assert info[FORECAST_TABLE] > 0 and info[ACCURACY_TABLE] > 0
        assert {"fct_gl_entries", "rec_findings", "rpt_income_statement"} <= set(info)
    finally:
        fresh.close()
    assert not list(home.glob(".serving*"))  # no temporary file left behind


def test_each_years_balances_land_from_its_own_export(sie_demo_home: Path) -> None:
    """Loading the 2025 file (which restates 2024 as year -1) must leave 2024's rows alone."""
    from ledgerbridge.formats.sie import SieReader

    con = duckdb.connect(str(sie_demo_home / "warehouse.duckdb"), read_only=True)
    try:
        for path in sorted((sie_demo_home / "demo" / "sie").glob("*.se")):
            with SieReader(path) as reader:
                start = reader.header.fiscal_year(0).start
                stated = sorted(
                    (b.kind, b.account, b.amount) for b in reader.header.balances if b.year == 0
                )
            landed = sorted(
                con.execute(
                    "select balance_kind, account_number, amount from raw_sie.balances "
                    "where company_id = 'demo_ab' and fiscal_year_start = ?",
                    [start],
                ).fetchall()
            )
            assert landed == stated and any(kind == "IB" for kind, _, _ in landed), path.name
    finally:
        con.close()
