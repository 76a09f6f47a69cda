"""Two companies in one warehouse: Demo AB and Demo Sie AB build side by side, and nothing of
one reaches the other's figures.

Demo Sie AB (`ledgerbridge demo --second-company`) is told with the same account, customer,
supplier, article, invoice and voucher numbers as Demo AB on purpose: a join that forgets
``company_id`` pairs rows of the two companies, and Demo AB's figures then differ from those of
the demo that holds Demo AB alone (``demo_home``). That comparison runs over every table of the
marts and intermediate schemas, so models added later are held to it without a new test.
"""

from __future__ import annotations

import hashlib
import json
import shutil
from collections import defaultdict
from decimal import Decimal
from pathlib import Path

import duckdb
import pytest

from ledgerbridge.config import Paths, load_settings
from ledgerbridge.demo import SECOND_COMPANY_ID, run_demo, second_company_options
from sandbox.demo_company import DemoOptions, generate
from sandbox.tryton import REPLAY_SCALE
from tests.conftest import run_cli, warehouse_rows

COMPANIES = ("demo_ab", "demo_sie_ab")
#: The schemas whose tables are compared: what dashboards and syncs read, and what it is made of.
SCHEMAS = ("marts", "intermediate")
#: Tables that must be among those compared (so the comparison cannot pass by comparing none).
CORE_TABLES = {
    "marts.dim_account",
    "marts.fct_gl_entries",
    "marts.rec_findings",
    "marts.rpt_income_statement",
    "marts.rpt_trial_balance",
    "intermediate.int_ledger__voucher_rows",
}
#: Finding kinds a company with SIE books and an ERP export can show: the books alone show a
#: duplicate booking; the export's invoices (int_erp__invoices) against the SIE vouchers show
#: invoices not booked, booked at another amount or on another cost centre or project.
SIE_AND_ERP_FILES_KINDS = {
    "duplicate_booking",
    "invoice_not_booked",
    "amount_mismatch",
    "dimension_mismatch",
}
#: Planted kinds Demo Sie AB's sources cannot show. master_data_mismatch compares the ERP's
#: parties with the accounting program's registers, which Fortnox has and SIE files do not
#: carry (and int_erp__parties reads Tryton only). inventory_value_mismatch compares the ERP's
#: stock value with the inventory accounts, and int_erp__stock_moves reads Tryton only (the
#: export's stock moves have no staging model yet).
SIE_AND_ERP_FILES_UNSEEN_KINDS = {"master_data_mismatch", "inventory_value_mismatch"}


#: Lineage columns: when a row was fetched or loaded and by which dbt run. The two homes ran
#: their own demos at different times, so these differ by construction, not by a leak.
LINEAGE_COLUMNS = {"fetched_at", "loaded_at", "_loaded_at", "_batch_id"}


def attach_both(alone: Path, beside: Path) -> duckdb.DuckDBPyConnection:
    con = duckdb.connect()
    con.execute(f"attach '{alone / 'warehouse.duckdb'}' as alone (read_only)")
    con.execute(f"attach '{beside / 'warehouse.duckdb'}' as beside (read_only)")
    return con


def table_columns(con: duckdb.DuckDBPyConnection, database: str) -> dict[str, list[str]]:
    """Every table of the compared schemas, as "schema.table", with its columns in order."""
    rows = con.execute(
        "select schema_name, table_name, column_name from duckdb_columns() "
        "where database_name = ? and schema_name in (select unnest(?)) "
        "order by schema_name, table_name, column_index",
        [database, list(SCHEMAS)],
    ).fetchall()
    tables: dict[str, list[str]] = defaultdict(list)
    for schema, table, column in rows:
        if column not in LINEAGE_COLUMNS:
            tables[f"{schema}.{table}"].append(column)
    return dict(tables)


def compare_company_rows(
    alone_home: Path, beside_home: Path, company_id: str
) -> tuple[dict[str, str], dict[str, int]]:
    """A company's rows in every table of the compared schemas, alone in its warehouse and
    beside the other company: the tables where they differ (and how), and how many rows it
    has in each table. A table that exists in one warehouse only (a model enabled by the
    other company's sources) counts as empty in the other."""
    con = attach_both(alone_home, beside_home)
    try:
        alone = table_columns(con, "alone")
        beside = table_columns(con, "beside")
        differing = {}
        counts = {}
        for table in sorted(set(alone) | set(beside)):
            columns = beside.get(table) or alone[table]
            if "company_id" not in columns:
                continue  # test_every_row_belongs_to_one_of_the_two_companies says which
            if table in alone and table in beside and alone[table] != beside[table]:
                differing[table] = f"columns {alone[table]} alone, {beside[table]} beside"
                continue
            body = ", ".join(f'"{c}"' for c in columns)
            rows = {
                side: (
                    f"select {body} from {side}.{table} where company_id = '{company_id}'"
                    if table in tables
                    else f"select {body} from {other}.{table} where false"
                )
                for side, tables, other in (
                    ("alone", alone, "beside"),
                    ("beside", beside, "alone"),
                )
            }
            only_alone, only_beside, count = con.execute(
                f"select (select count(*) from ({rows['alone']} except all {rows['beside']})), "
                f"(select count(*) from ({rows['beside']} except all {rows['alone']})), "
                f"(select count(*) from ({rows['beside']}))"
            ).fetchone()
            counts[table] = count
            if only_alone or only_beside:
                sample = con.execute(
                    f"(select 'beside' as side, * from ({rows['beside']} except all "
                    f"{rows['alone']}) limit 2) union all (select 'alone' as side, * from "
                    f"({rows['alone']} except all {rows['beside']}) limit 2)"
                ).fetchall()
                differing[table] = (
                    f"{only_alone} of {company_id}'s rows missing and {only_beside} added "
                    f"beside the other company, e.g. {sample}"
                )
    finally:
        con.close()
    return differing, counts


def test_every_model_holds_the_same_demo_ab_rows_beside_a_second_company(
    demo_home: Path, two_company_home: Path
) -> None:
    """For every table of the marts and intermediate schemas, Demo AB's rows are identical
    whether Demo AB is alone in the warehouse or Demo Sie AB is built beside it. A model that
    only the second company's sources enable (one needing SIE and Fortnox data, say) exists
    in one warehouse only: it must hold no row of Demo AB's."""
    differing, counts = compare_company_rows(demo_home, two_company_home, "demo_ab")
    assert differing == {}
    assert set(counts) >= CORE_TABLES
    assert all(counts[table] > 0 for table in CORE_TABLES), counts


def test_every_model_holds_the_same_demo_sie_ab_rows_without_demo_ab(
    two_company_home: Path, tmp_path: Path
) -> None:
    """The other way round: Demo Sie AB's rows are the same in a copy of the warehouse from
    which everything Demo AB's was deleted before building again (the same sources present,
    so the same models)."""
    home = tmp_path / "home"
    shutil.copytree(two_company_home, home)
    con = duckdb.connect(str(home / "warehouse.duckdb"))
    try:
        raw = con.execute(
            "select distinct table_schema, table_name from information_schema.columns "
            "where starts_with(table_schema, 'raw_') and column_name = 'company_id'"
        ).fetchall()
        deleted = 0
        for schema, table in raw:
            (count,) = con.execute(
                f'delete from {schema}."{table}" where company_id <> ?', ["demo_sie_ab"]
            ).fetchone()
            deleted += count
    finally:
        con.close()
    assert deleted > 5000
    result = run_cli("build", home=home)
    assert result.returncode == 0, result.output
    assert warehouse_rows(home, "select distinct company_id from marts.fct_gl_entries") == [
        ("demo_sie_ab",)
    ]
    differing, counts = compare_company_rows(home, two_company_home, "demo_sie_ab")
    assert differing == {}
    assert set(counts) >= CORE_TABLES
    assert all(counts[table] > 0 for table in CORE_TABLES), counts


def test_every_row_belongs_to_one_of_the_two_companies(two_company_home: Path) -> None:
    """Every table of the marts (built and published) carries company_id, every row names one
    of the two companies, and the ledger and reports hold both."""
    published = duckdb.connect(str(two_company_home / "serving.duckdb"), read_only=True)
    try:
        serving = {
            table: [
                c
                for (c,) in published.execute(
                    "select column_name from duckdb_columns() where table_name = ?", [table]
                ).fetchall()
            ]
            for (table,) in published.execute(
                "select table_name from duckdb_tables() "
                "where table_name not like '\\_%' escape '\\'"
            ).fetchall()
        }
        published_companies = {
            table: {
                c
                for (c,) in published.execute(f"select distinct company_id from {table}").fetchall()
            }
            for table, columns in serving.items()
            if "company_id" in columns
        }
    finally:
        published.close()
    con = duckdb.connect(str(two_company_home / "warehouse.duckdb"), read_only=True)
    try:
        built = table_columns(con, "warehouse")
        built_companies = {
            table: {
                c for (c,) in con.execute(f"select distinct company_id from {table}").fetchall()
            }
            for table, columns in built.items()
            if "company_id" in columns
        }
    finally:
        con.close()
    marts = {table for table in built if table.startswith("marts.")}
    assert {t for t in marts if t not in built_companies} == set()
    assert {t for t in serving if t not in published_companies} == set()
    strangers = {
        table: companies - set(COMPANIES)
        for table, companies in (built_companies | published_companies).items()
        if companies - set(COMPANIES)
    }
    assert strangers == {}
    for table in CORE_TABLES:
        assert built_companies[table] == set(COMPANIES), table
    assert published_companies["rpt_income_statement"] == set(COMPANIES)
    assert len(serving) >= 5


def test_keys_never_collide_across_companies(two_company_home: Path) -> None:
    """The codes overlap on purpose (accounts, voucher numbers, invoice numbers), the keys
    made from them do not: no value of a model's ``*_id`` key serves both companies."""
    con = duckdb.connect(str(two_company_home / "warehouse.duckdb"), read_only=True)
    try:
        tables = table_columns(con, "warehouse")
        collisions = {}
        checked = set()
        for table, columns in tables.items():
            if "company_id" not in columns:
                continue
            # source_id is the ERP's own record id, which two ERPs may well share
            for key in (
                c for c in columns if c.endswith("_id") and c not in ("company_id", "source_id")
            ):
                checked.add(f"{table}.{key}")
                (shared,) = con.execute(
                    f'select count(*) from (select "{key}" from {table} '
                    f'where "{key}" is not null group by 1 '
                    "having count(distinct company_id) > 1)"
                ).fetchone()
                if shared:
                    collisions[f"{table}.{key}"] = shared

        def overlap(sql: str) -> int:
            (count,) = con.execute(
                f"select count(*) from ({sql} where company_id = 'demo_ab' "
                f"intersect {sql} where company_id = 'demo_sie_ab')"
            ).fetchone()
            return count

        shared_accounts = overlap("select account_number from marts.fct_gl_entries")
        shared_vouchers = overlap("select voucher_series, voucher_number from marts.fct_gl_entries")
        shared_invoices = overlap(
            "select invoice_kind, invoice_number from intermediate.int_rec__invoice_bookings"
        )
        shared_periods = overlap("select period_start from marts.rpt_trial_balance")
    finally:
        con.close()
    assert collisions == {}
    assert {
        "marts.fct_gl_entries.gl_entry_id",
        "marts.fct_gl_entries.voucher_id",
        "marts.rec_findings.finding_id",
    } <= checked
    # the test data is what makes the checks above mean something
    assert shared_accounts > 20 and shared_vouchers > 200 and shared_invoices > 100
    assert shared_periods >= 12


@pytest.mark.parametrize("company_id", COMPANIES)
def test_each_companys_income_statement_equals_what_its_generator_booked(
    company_id: str, two_company_home: Path, tmp_path: Path
) -> None:
    first = DemoOptions(scale=REPLAY_SCALE)
    options = first if company_id == "demo_ab" else second_company_options(first)
    folder = two_company_home / "demo" / ("" if company_id == "demo_ab" else SECOND_COMPANY_ID)
    # the generator is deterministic: its own record of what it booked is the independent
    # side of the comparison, and the files the demo shipped are the ones it writes again
    again = generate(options, tmp_path / "again")
    for path in again.sie_files:
        shipped = folder / "sie" / path.name
        assert hashlib.sha256(shipped.read_bytes()).digest() == (
            hashlib.sha256(path.read_bytes()).digest()
        )
    con = duckdb.connect(str(two_company_home / "serving.duckdb"), read_only=True)
    try:
        rows = con.execute(
            "select fiscal_year_start, account_number, sum(amount), sum(report_amount) "
            "from rpt_income_statement where company_id = ? group by all",
            [company_id],
        ).fetchall()
        systems = con.execute(
            "select distinct source_system from fct_gl_entries where company_id = ?",
            [company_id],
        ).fetchall()
    finally:
        con.close()
    marts: dict = defaultdict(dict)
    for year, account, amount, report_amount in rows:
        assert report_amount == -amount
        if amount:
            marts[year][account] = amount
    expected = {
        year: {a: v for a, v in accounts.items() if a[0] in "345678" and v}
        for year, accounts in again.booked.items()
    }
    assert dict(marts) == expected
    assert sum(v for v in expected[min(expected)].values() if v < 0) < Decimal("-1000000")
    assert systems == [("fortnox" if company_id == "demo_ab" else "sie",)]


def test_each_company_keeps_its_own_fiscal_years(two_company_home: Path) -> None:
    """Demo AB's calendar years and Demo Sie AB's July–June years, side by side: each trial
    balance sums to zero in each of its own 24 months."""
    con = duckdb.connect(str(two_company_home / "serving.duckdb"), read_only=True)
    try:
        periods = con.execute(
            "select company_id, fiscal_year_start, period_start, sum(closing_balance), "
            "sum(opening_balance) from rpt_trial_balance group by all order by 1, 2, 3"
        ).fetchall()
    finally:
        con.close()
    years: dict[str, set] = defaultdict(set)
    months: dict[str, int] = defaultdict(int)
    for company, year_start, _, closing, opening in periods:
        assert closing == 0 and opening == 0
        years[company].add(year_start.isoformat())
        months[company] += 1
    assert dict(months) == {"demo_ab": 24, "demo_sie_ab": 24}
    assert years == {
        "demo_ab": {"2024-01-01", "2025-01-01"},
        "demo_sie_ab": {"2024-07-01", "2025-07-01"},
    }


def test_rec_findings_of_each_company_are_its_own_planted_discrepancies(
    two_company_home: Path,
) -> None:
    """Demo AB's findings are its ground truth, every one; Demo Sie AB's are exactly those of
    its own ground truth that its sources can show (SIE_AND_ERP_FILES_KINDS), and nothing
    else: the receivables and output VAT its unbooked and short-booked invoices leave off
    are explained by those invoices' findings, so no control check reports them a second
    time (decision 0021). The invoices Demo AB left unbooked or booked wrongly are booked
    cleanly by Demo Sie AB under the same numbers: a check that looked across companies
    would lose or change Demo AB's findings."""
    con = duckdb.connect(str(two_company_home / "serving.duckdb"), read_only=True)
    try:
        found = con.execute("select company_id, kind, document from rec_findings").fetchall()
    finally:
        con.close()
    con = duckdb.connect(str(two_company_home / "warehouse.duckdb"), read_only=True)
    try:
        booked_beside = {
            number
            for (number,) in con.execute(
                "select invoice_number from intermediate.int_rec__invoice_bookings "
                "where company_id = 'demo_sie_ab' and invoice_kind = 'customer'"
            ).fetchall()
        }
    finally:
        con.close()
    truths = {
        "demo_ab": two_company_home / "demo" / "ground_truth.json",
        "demo_sie_ab": two_company_home / "demo" / SECOND_COMPANY_ID / "ground_truth.json",
    }
    planted = {
        company: [
            (t["company_id"], t["kind"], t["document"])
            for t in json.loads(path.read_text(encoding="utf-8"))
        ]
        for company, path in truths.items()
    }
    assert {c for c, _, _ in planted["demo_sie_ab"]} == {"demo_sie_ab"}
    invoice_kinds = {"invoice_not_booked", "amount_mismatch", "dimension_mismatch"}
    ours = {d for _, k, d in planted["demo_ab"] if k in invoice_kinds}
    theirs = {d for _, k, d in planted["demo_sie_ab"] if k in invoice_kinds}
    assert len(ours) == 5 and ours <= booked_beside and not ours & theirs
    # and the master-data and stock findings name the same documents in both companies
    shared = {(k, d) for _, k, d in planted["demo_ab"]} & {
        (k, d) for _, k, d in planted["demo_sie_ab"]
    }
    assert {k for k, _ in shared} == {"master_data_mismatch", "inventory_value_mismatch"}
    by_company: dict[str, list] = defaultdict(list)
    for row in found:
        by_company[row[0]].append(row)
    assert sorted(by_company) == sorted(COMPANIES)
    assert sorted(by_company["demo_ab"]) == sorted(planted["demo_ab"])
    visible = [p for p in planted["demo_sie_ab"] if p[1] in SIE_AND_ERP_FILES_KINDS]
    assert {k for _, k, _ in visible} == SIE_AND_ERP_FILES_KINDS
    assert {k for _, k, _ in planted["demo_sie_ab"]} - SIE_AND_ERP_FILES_KINDS == (
        SIE_AND_ERP_FILES_UNSEEN_KINDS
    )
    assert sorted(by_company["demo_sie_ab"]) == sorted(visible)


def test_status_shows_both_companies(two_company_home: Path, tmp_path: Path) -> None:
    home = tmp_path / "home"
    shutil.copytree(two_company_home, home)
    result = run_cli("status", home=home)
    assert result.returncode == 0, result.output
    lines = result.output.splitlines()
    for company in COMPANIES:
        assert any(line.strip("│ ").startswith(company) for line in lines), company
    assert "demo_sie_ab_2025-26.se" in result.output and "raw_erp_files" in result.output
    con = duckdb.connect(str(home / "serving.duckdb"), read_only=True)
    try:
        (findings,) = con.execute("select count(*) from rec_findings").fetchone()
    finally:
        con.close()
    assert findings > 9  # Demo AB's nine and Demo Sie AB's own
    assert f"Reconciliation: {findings} findings to act on" in result.output


def test_the_second_company_comes_and_goes_with_the_option(tmp_path: Path) -> None:
    """--second-company writes Demo Sie AB's files beside Demo AB's and configures it; the
    fiscal-year layouts differ, the codes overlap, the people do not. A demo run without the
    option removes it again. (Files only: no sandbox is started, nothing is ingested.)"""
    paths = Paths(tmp_path / "home").ensure()
    quiet = {"report": lambda _step: None}
    with run_demo(
        paths,
        seed=7,
        scale=2000,
        broken_year=True,
        erp="files",
        accounting="sie",
        second_company=True,
        **quiet,
    ) as session:
        first, second = session.generated, session.second
        companies = {c.id: c for c in session.settings.companies}
    assert second is not None and set(companies) == set(COMPANIES)
    folder = paths.demo / SECOND_COMPANY_ID
    assert companies["demo_sie_ab"].sie.folder == folder / "sie"
    assert companies["demo_sie_ab"].erp_files.folder == folder / "erp"
    assert companies["demo_sie_ab"].tryton is None and companies["demo_sie_ab"].fortnox is None
    assert companies["demo_ab"].sie.folder == paths.demo / "sie"
    assert (
        companies["demo_sie_ab"].orgnr == second.orgnr != first.orgnr == companies["demo_ab"].orgnr
    )
    assert [y.start.month for y in first.fiscal_years] == [7, 7]
    assert [y.start.month for y in second.fiscal_years] == [1, 1]
    assert second.options.seed == 9 and second.options.scale == first.options.scale

    def records(root: Path, entity: str) -> list[dict]:
        lines = (root / "erp" / f"{entity}.jsonl").read_text(encoding="utf-8").splitlines()
        return [json.loads(line) for line in lines]

    for entity, key in (("customers", "number"), ("suppliers", "number"), ("articles", "number")):
        ours, theirs = records(paths.demo, entity), records(folder, entity)
        assert {r[key] for r in theirs} == {r[key] for r in ours}, entity
    customers = zip(records(paths.demo, "customers"), records(folder, "customers"), strict=True)
    assert all(a["orgnr"] != b["orgnr"] for a, b in customers)
    invoices = [
        {r["number"] for r in records(root, "customer_invoices")} for root in (paths.demo, folder)
    ]
    assert len(invoices[0] & invoices[1]) > 100
    assert sorted(p.name for p in (folder / "sie").iterdir()) == [
        "demo_sie_ab_2024.se",
        "demo_sie_ab_2025.se",
    ]
    assert (folder / "ground_truth.json").is_file() and (folder / "bank").is_dir()
    with run_demo(
        paths, seed=7, scale=2000, broken_year=True, erp="files", accounting="sie", **quiet
    ) as session:
        assert session.second is None
    assert not folder.exists()
    assert [c.id for c in load_settings(paths, paths.config_file).companies] == ["demo_ab"]
