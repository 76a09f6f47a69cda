"""The general-ledger marts on the demo: the balance sheet balances, the reports say what the
books say (recomputed from the landed rows and from the generator's own SIE exports), a second
build changes nothing, and new vouchers are built incrementally into the same table a full
refresh gives."""

from __future__ import annotations

import hashlib
import json
import shutil
from collections import defaultdict
from datetime import date, timedelta
from decimal import Decimal
from pathlib import Path

import duckdb
import pytest

from ledgerbridge.build import present_sources, run_dbt
from ledgerbridge.config import Paths, load_settings
from ledgerbridge.formats.sie import SieReader
from tests.conftest import fortnox_only_copy, run_cli, warehouse_rows

#: the marts this slice builds (marts/core and marts/finance)
MARTS = (
    "dim_company",
    "dim_fiscal_period",
    "dim_account",
    "dim_cost_centre",
    "dim_project",
    "dim_customer",
    "dim_supplier",
    "dim_item",
    "dim_warehouse",
    "fct_gl_entries",
    "fct_gl_balance_monthly",
    "rpt_trial_balance",
    "rpt_income_statement",
    "rpt_balance_sheet",
    "rpt_cash_flow",
)


#: the ledger layer's tables, kept per company and fiscal year (decision 0035)
LEDGER_LAYER = ("int_ledger__voucher_rows", "int_ledger__vouchers")


def table(
    home: Path, name: str, exclude: tuple[str, ...] = (), schema: str = "marts"
) -> list[tuple]:
    """A table's rows in a stable order (every column but ``exclude``)."""
    columns = [
        column
        for (column,) in warehouse_rows(
            home,
            "select column_name from information_schema.columns "
            f"where table_schema = '{schema}' and table_name = '{name}' order by ordinal_position",
        )
        if column not in exclude
    ]
    assert columns, f"no table {schema}.{name}"
    listed = ", ".join(f'"{c}"' for c in columns)
    return warehouse_rows(home, f"select {listed} from {schema}.{name} order by {listed}")


def test_the_balance_sheet_balances_in_every_period_of_the_books(demo_home: Path) -> None:
    rows = warehouse_rows(
        demo_home,
        """
        select
            periods.company_id,
            periods.period_start,
            sum(case when sheet.balance_sheet_side = 'assets' then sheet.report_amount end),
            sum(case when sheet.balance_sheet_side = 'equity_and_liabilities'
                then sheet.report_amount end),
            count(distinct sheet.report_line)
        from marts.dim_fiscal_period as periods
        left join marts.rpt_balance_sheet as sheet
            on sheet.company_id = periods.company_id
            and sheet.period_start = periods.period_start
        group by all
        order by 1, 2
        """,
    )
    assert len(rows) == 24  # two fiscal years of months, none left out
    for company, period, assets, equity_and_liabilities, lines in rows:
        assert assets is not None and assets > Decimal("1000000"), (company, period)
        assert assets == equity_and_liabilities, (company, period)
        assert lines >= 6


def year_end_balances(home: Path) -> dict[tuple[date, str], Decimal]:
    """Per fiscal year and account, fct_gl_balance_monthly's closing balance at the year's
    last period (summed over cost centres and projects)."""
    return {
        (year, account): amount
        for year, account, amount in warehouse_rows(
            home,
            """
            select balances.fiscal_year_start, balances.account_number,
                sum(balances.closing_balance)
            from marts.fct_gl_balance_monthly as balances
            inner join marts.dim_fiscal_period as periods
                on periods.company_id = balances.company_id
                and periods.period_start = balances.period_start
            where periods.is_year_end
            group by all
            """,
        )
    }


def test_year_end_balances_equal_the_generators_sie_exports(demo_home: Path) -> None:
    """The demo's books are in the Fortnox sandbox; the generator also wrote them as SIE files,
    whose #UB (balance accounts) and #RES (result accounts) are the independent side: every
    account's closing balance at each year end equals them, and no account has a balance the
    export does not state."""
    ours = year_end_balances(demo_home)
    stated: dict[tuple[date, str], Decimal] = {}
    files = sorted((demo_home / "demo" / "sie").glob("*.se"))
    assert len(files) == 2
    for path in files:
        with SieReader(path) as reader:
            start = reader.header.fiscal_year(0).start
            for balance in reader.header.balances:
                if balance.year == 0 and balance.kind in ("UB", "RES"):
                    stated[(start, balance.account)] = balance.amount
    assert {k: v for k, v in stated.items() if v} == {k: v for k, v in ours.items() if v}
    assert len(stated) > 20


def test_income_statement_result_equals_what_is_booked(demo_home: Path) -> None:
    """The year's result, recomputed from the voucher rows as landed from Fortnox (accounts
    3000-8999, rows not removed), is the income statement's, the balance sheet's årets
    resultat at the year end and the cash-flow analysis' result for the year."""
    booked = dict(
        warehouse_rows(
            demo_home,
            """
            select years.from_date, -sum(rows.amount)
            from raw_fortnox.voucher_rows as rows
            inner join raw_fortnox.financial_years as years
                on years.company_id = rows.company_id and years.year_id = rows.year_id
            where cast(rows.account_number as integer) between 3000 and 8999
                and not coalesce(rows.removed, false)
            group by all
            """,
        )
    )
    assert len(booked) == 2 and all(booked.values())
    statement = dict(
        warehouse_rows(
            demo_home,
            "select fiscal_year_start, sum(report_amount) from marts.rpt_income_statement "
            "group by all",
        )
    )
    sheet = dict(
        warehouse_rows(
            demo_home,
            """
            select sheet.fiscal_year_start, sheet.report_amount
            from marts.rpt_balance_sheet as sheet
            inner join marts.dim_fiscal_period as periods
                on periods.company_id = sheet.company_id
                and periods.period_start = sheet.period_start
            where periods.is_year_end and sheet.report_line = 'Årets resultat'
            """,
        )
    )
    cash_flow = dict(
        warehouse_rows(
            demo_home,
            """
            select flow.fiscal_year_start, flow.ytd_amount
            from marts.rpt_cash_flow as flow
            inner join marts.dim_fiscal_period as periods
                on periods.company_id = flow.company_id
                and periods.period_start = flow.period_start
            where periods.is_year_end and flow.cash_flow_line_ordinal = 10
            """,
        )
    )
    booked = {start: amount for start, amount in booked.items()}
    assert statement == booked
    assert sheet == booked
    assert cash_flow == booked


def test_last_years_result_is_balanserat_not_this_years(demo_home: Path) -> None:
    """2024 ended in a loss that the books bring into 2025 in 2099 (IB) and then move to 2091
    at the annual meeting: in 2025 it is part of balanserat resultat, which is 2024's
    balanserat resultat plus 2024's result, while årets resultat starts again from zero."""
    lines = {
        (period, line): amount
        for period, line, amount in warehouse_rows(
            demo_home,
            "select period_start, report_line, report_amount from marts.rpt_balance_sheet "
            "where report_line in ('Balanserat resultat', 'Årets resultat')",
        )
    }
    last_2024, first_2025 = date(2024, 12, 1), date(2025, 1, 1)
    assert lines[(last_2024, "Årets resultat")] < 0  # the demo's 2024 is a loss
    assert (
        lines[(first_2025, "Balanserat resultat")]
        == lines[(last_2024, "Balanserat resultat")] + lines[(last_2024, "Årets resultat")]
    )
    january = warehouse_rows(
        demo_home,
        "select sum(report_amount) from marts.rpt_income_statement "
        "where period_start = '2025-01-01'",
    )[0][0]
    assert lines[(first_2025, "Årets resultat")] == january


def test_the_cash_flow_explains_the_bank_account_month_by_month(demo_home: Path) -> None:
    """The period's cash flow, summed from the indirect method's lines, equals what the
    Fortnox rows on the 19xx accounts moved in the month."""
    moved = dict(
        warehouse_rows(
            demo_home,
            """
            select cast(date_trunc('month', vouchers.transaction_date) as date), sum(rows.amount)
            from raw_fortnox.voucher_rows as rows
            inner join raw_fortnox.vouchers as vouchers
                using (company_id, year_id, voucher_series, voucher_number)
            where cast(rows.account_number as varchar) like '19%'
                and not coalesce(rows.removed, false)
            group by all
            """,
        )
    )
    lines = warehouse_rows(
        demo_home,
        "select period_start, cash_flow_line_ordinal, amount from marts.rpt_cash_flow",
    )
    per_period: dict[date, dict[int, Decimal]] = defaultdict(dict)
    for period, ordinal, amount in lines:
        per_period[period][ordinal] = amount
    assert len(per_period) == 24
    for period, amounts in per_period.items():
        total = amounts.pop(90)
        assert sum(amounts.values()) == total
        assert total == moved.get(period, Decimal(0)), period
    # the working capital moves: receivables and payables lines are not all zero
    assert any(amounts[31] for amounts in per_period.values())
    assert any(amounts[33] for amounts in per_period.values())


def test_every_gl_row_has_its_period_and_dimensions_in_the_dims(demo_home: Path) -> None:
    orphans = warehouse_rows(
        demo_home,
        """
        select count(*)
        from marts.fct_gl_entries as gl
        left join marts.dim_fiscal_period as periods
            on periods.company_id = gl.company_id and periods.period_start = gl.period_start
        left join marts.dim_cost_centre as cost_centres
            on cost_centres.company_id = gl.company_id
            and cost_centres.cost_centre_code = gl.cost_centre_code
        left join marts.dim_project as projects
            on projects.company_id = gl.company_id and projects.project_code = gl.project_code
        where periods.period_start is null
            or (gl.cost_centre_code is not null and cost_centres.cost_centre_code is null)
            or (gl.project_code is not null and projects.project_code is null)
        """,
    )
    assert orphans == [(0,)]
    # ERP and books agree on the demo's cost centres and projects: each is known to both
    for dim in ("dim_cost_centre", "dim_project", "dim_warehouse"):
        flags = warehouse_rows(
            demo_home,
            f"select bool_and(is_known_to_erp and is_known_to_accounting) from marts.{dim}",
        )
        assert flags == [(True,)], dim
    counts = dict(
        warehouse_rows(
            demo_home,
            "select 'customer', count(*) from marts.dim_customer union all "
            "select 'supplier', count(*) from marts.dim_supplier union all "
            "select 'item', count(*) from marts.dim_item",
        )
    )
    assert all(counts.values()), counts


def test_building_twice_gives_identical_marts(demo_home: Path, tmp_path: Path) -> None:
    home = tmp_path / "home"
    shutil.copytree(demo_home, home)
    before = {name: table(home, name) for name in MARTS}
    # nothing landed since the demo's build: nothing to build, dbt does not even start
    run_results = home / "dbt" / "target" / "run_results.json"
    last_run = run_results.read_bytes()
    result = run_cli("build", home=home)
    assert result.returncode == 0, result.output
    assert "built     nothing: no raw data the models read changed" in result.output
    assert run_results.read_bytes() == last_run
    # and building everything again on the same data gives the same marts
    result = run_cli("build", "--all", home=home)
    assert result.returncode == 0, result.output
    # the demo's build ran dbt's unit tests; with the code unchanged this one did not
    assert "unit tests not rerun" in result.output
    for name in MARTS:
        assert table(home, name) == before[name], name
    assert len(before["fct_gl_entries"]) > 1000
    # the demo's one build wrote every GL row; the second wrote none of them again
    batches = warehouse_rows(home, "select count(distinct _batch_id) from marts.fct_gl_entries")
    assert batches == [(1,)]


@pytest.fixture
def home_with_new_vouchers(demo_home: Path, tmp_path: Path):
    """A copy of the demo home reading Fortnox only, from its own sandbox, where two vouchers
    are booked after the demo's build."""
    with fortnox_only_copy(demo_home, tmp_path / "home") as home:
        yield home


def book_two_vouchers(home: Path) -> None:
    from ingestion.pipeline import fortnox_client

    paths = Paths(home)
    client = fortnox_client(paths, load_settings(paths).company("demo_ab"))
    year = max(client.get("/3/financialyears")["FinancialYears"], key=lambda y: y["FromDate"])
    open_day = client.get("/3/settings/lockedperiod")["LockedPeriod"]["EndDate"]
    day = (date.fromisoformat(open_day) + timedelta(days=1)).isoformat()
    for amount in (Decimal("1000.00"), Decimal("250.00")):
        rows = [
            {"Account": 1930, "Debit": amount, "Credit": 0},
            {
                "Account": 3041,
                "Debit": 0,
                "Credit": amount,
                "CostCenter": "KONS",
                "Project": "P101",
            },
        ]
        client.post("/3/vouchers", {"Voucher": {
            "Description": "Insättning", "TransactionDate": day, "Year": year["Id"],
            "VoucherSeries": "A", "VoucherRows": rows}})  # fmt: skip


def test_new_vouchers_are_built_incrementally_as_a_full_refresh_builds_them(
    home_with_new_vouchers: Path,
) -> None:
    home = home_with_new_vouchers
    before = table(home, "fct_gl_entries")
    batches_before = {
        batch
        for (batch,) in warehouse_rows(home, "select distinct _batch_id from marts.fct_gl_entries")
    }
    facts_batches = {
        batch
        for (batch,) in warehouse_rows(
            home, "select distinct _batch_id from intermediate.int_rec__voucher_facts"
        )
    }
    sheet_before = balance_sheet(home)
    book_two_vouchers(home)
    result = run_cli("ingest", home=home)
    assert result.returncode == 0, result.output
    result = run_cli("build", home=home)
    assert result.returncode == 0, result.output
    # only what reads the Fortnox tables that changed was built: not the bank's models
    assert "only what reads the raw tables changed since the last build" in result.output
    assert "raw_fortnox.voucher_rows" in result.output
    assert "raw_bank" not in result.output
    ran = {
        node["unique_id"].split(".")[2]
        for node in json.loads((home / "dbt" / "target" / "run_results.json").read_text())[
            "results"
        ]
    }
    assert {"stg_fortnox__voucher_rows", "fct_gl_entries", "rec_findings"} <= ran
    assert not ran & {"stg_bank__entries", "stg_einvoice__documents", "stg_tryton__invoices"}

    # the incremental build wrote the four rows of the two new vouchers, nothing else
    written = warehouse_rows(
        home,
        "select voucher_text, account_number, amount from marts.fct_gl_entries "
        f"where _batch_id not in ({', '.join(repr(b) for b in batches_before)}) "
        "order by amount",
    )
    assert written == [
        ("Insättning", "3041", Decimal("-1000.00")),
        ("Insättning", "3041", Decimal("-250.00")),
        ("Insättning", "1930", Decimal("250.00")),
        ("Insättning", "1930", Decimal("1000.00")),
    ]
    incremental = table(home, "fct_gl_entries", exclude=("_batch_id",))
    assert len(incremental) == len(before) + 4
    # every other mart, whether this build rebuilt it or left it as it was
    marts = [
        name
        for (name,) in warehouse_rows(
            home, "select table_name from information_schema.tables where table_schema = 'marts'"
        )
    ]
    assert len(marts) > 25 and set(MARTS) <= set(marts)
    others = {
        name: table(home, name, exclude=("_batch_id",))
        for name in marts
        if name != "fct_gl_entries"
    }
    # the reconciliation worked out the facts of the two new vouchers alone
    facts_written = warehouse_rows(
        home,
        "select count(*) from intermediate.int_rec__voucher_facts "
        f"where _batch_id not in ({', '.join(repr(b) for b in facts_batches)})",
    )
    assert facts_written == [(2,)]
    facts = table(home, "int_rec__voucher_facts", exclude=("_batch_id",), schema="intermediate")
    ledger = {name: table(home, name, schema="intermediate") for name in LEDGER_LAYER}

    # a full refresh of the same data gives the same tables
    paths = Paths(home)
    sources = present_sources(paths)
    full = run_dbt(
        paths,
        ["build", "--full-refresh", "--vars", json.dumps({"ledgerbridge_sources": sources})],
    )
    assert full.failed == 0, full.errors
    assert table(home, "fct_gl_entries", exclude=("_batch_id",)) == incremental
    assert (
        table(home, "int_rec__voucher_facts", exclude=("_batch_id",), schema="intermediate")
        == facts
    )
    for name, rows in others.items():
        assert table(home, name, exclude=("_batch_id",)) == rows, name
    for name, rows in ledger.items():
        assert table(home, name, schema="intermediate") == rows, name
    # and the new vouchers reached the balance sheet: from their month to the end of the
    # books, the bank and this year's result are 1 250 higher, nothing else moved
    booked_in = warehouse_rows(
        home,
        "select distinct period_start from marts.fct_gl_entries where voucher_text = 'Insättning'",
    )
    assert len(booked_in) == 1
    sheet_after = balance_sheet(home)
    moved = {
        key: sheet_after.get(key, Decimal(0)) - sheet_before.get(key, Decimal(0))
        for key in sheet_before.keys() | sheet_after.keys()
        if sheet_after.get(key) != sheet_before.get(key)
    }
    last = max(period for period, _ in sheet_before)
    months = {period for period, _ in sheet_before if period >= booked_in[0][0]}
    assert moved == {
        **{(period, "Kassa och bank"): Decimal("1250.00") for period in months},
        **{(period, "Årets resultat"): Decimal("1250.00") for period in months},
    }
    assert last in months


def balance_sheet(home: Path) -> dict[tuple[date, str], Decimal]:
    return {
        (period, line): amount
        for period, line, amount in warehouse_rows(
            home, "select period_start, report_line, report_amount from marts.rpt_balance_sheet"
        )
    }


def test_the_marts_are_published(demo_home: Path) -> None:
    con = duckdb.connect(str(demo_home / "serving.duckdb"), read_only=True)
    try:
        published = {name for (name,) in con.execute("show tables").fetchall()}
    finally:
        con.close()
    assert set(MARTS) <= published


def test_sie_exports_are_read_when_new_and_only_their_changes_when_replaced(
    demo_home: Path, tmp_path: Path
) -> None:
    """A second company whose books come as SIE files: its first export is read in one build,
    the next year's export in the next (and nothing else), and an export replaced by a newer
    one of the same year rewrites only the voucher that changed, every row now naming the new
    file; a full refresh then gives the same table. The Fortnox company's rows are never
    rewritten."""
    home = tmp_path / "home"
    shutil.copytree(demo_home, home)
    folder = home / "sie_ab"
    folder.mkdir()
    (home / "ledgerbridge.toml").write_text(
        '[companies.sie_ab]\nname = "SIE AB"\n\n[companies.sie_ab.sources.sie]\n'
        'folder = "sie_ab"\n',
        encoding="utf-8",
    )
    exports = home / "demo" / "sie"
    demo_ab_rows = table(home, "fct_gl_entries")

    def load_and_build() -> dict[str, int]:
        """Ingest and build; how many rows of which fiscal year the build wrote."""
        batches = {b for (b,) in warehouse_rows(home, "select _batch_id from marts.fct_gl_entries")}
        for command in ("ingest", "build"):
            result = run_cli(command, home=home)
            assert result.returncode == 0, result.output
        return dict(
            warehouse_rows(
                home,
                "select company_id || ' ' || fiscal_year, count(*) from marts.fct_gl_entries "
                f"where _batch_id not in ({', '.join(repr(b) for b in batches)}) group by all",
            )
        )

    shutil.copy(exports / "demo_ab_2024.se", folder)
    first = load_and_build()
    assert list(first) == ["sie_ab 2024"] and first["sie_ab 2024"] > 500

    shutil.copy(exports / "demo_ab_2025.se", folder)
    second = load_and_build()
    assert list(second) == ["sie_ab 2025"]
    assert warehouse_rows(
        home,
        "select count(*) from marts.fct_gl_entries "
        "where company_id = 'sie_ab' and fiscal_year = '2025'",
    ) == [(second["sie_ab 2025"],)]

    # a new export of 2024 (generated a day later, one voucher's text corrected) replaces the
    # first whole: the build rewrites that voucher's rows only, and every row of the year
    # now names the new file
    replaced = (
        (exports / "demo_ab_2024.se")
        .read_bytes()
        .replace(b"#GEN 20260101", b"#GEN 20260102")
        .replace(b'"Hyra lokaler 2024-01"', b'"Hyra lokaler januari 2024"', 1)
    )
    (folder / "demo_ab_2024.se").write_bytes(replaced)
    facts_batches = {
        b
        for (b,) in warehouse_rows(
            home, "select _batch_id from intermediate.int_rec__voucher_facts"
        )
    }
    corrected = warehouse_rows(
        home,
        "select count(*) from marts.fct_gl_entries where company_id = 'sie_ab' "
        "and voucher_text = 'Hyra lokaler 2024-01'",
    )[0][0]
    assert corrected > 1
    assert load_and_build() == {"sie_ab 2024": corrected}
    # its data tests checked what the new export can have made wrong (macros/tested_rows.sql):
    # the ledger's tests keyed on a voucher, sie_ab's fiscal year 2024 alone; the GL's, the
    # vouchers the build wrote
    tests = data_tests_run(home)
    sie_ab_2024 = "(company_id = 'sie_ab' and fiscal_year_start = cast('2024-01-01' as date))"
    for model in ("stg_sie__voucher_rows", "int_ledger__voucher_rows"):
        for test in ("unique_combination", "zero_sum", "relationships_composite"):
            status, compiled = next(
                value for name, value in tests.items() if name.startswith(f"{test}_{model}_")
            )
            assert status == "pass" and f"({sie_ab_2024})" in compiled, compiled
    # every row sharing a key with one written now, old or new (not the new rows alone)
    status, compiled = tests["unique_fct_gl_entries_gl_entry_id"]
    assert status == "pass", compiled
    assert "where gl_entry_id in (select gl_entry_id from " in compiled
    assert "where _batch_id = '" in compiled
    assert warehouse_rows(
        home,
        "select count(*) from marts.fct_gl_entries where company_id = 'sie_ab' "
        "and voucher_text = 'Hyra lokaler januari 2024'",
    ) == [(corrected,)]
    # and the reconciliation's per-voucher facts were worked out for that voucher alone
    assert warehouse_rows(
        home,
        "select facts.company_id, voucher_text from intermediate.int_rec__voucher_facts as facts "
        "join marts.fct_gl_entries using (voucher_id) "
        f"where facts._batch_id not in ({', '.join(repr(b) for b in facts_batches)}) "
        "group by all",
    ) == [("sie_ab", "Hyra lokaler januari 2024")]
    new_file = hashlib.sha256(replaced).hexdigest()
    assert warehouse_rows(
        home,
        "select distinct source_file_sha256 from marts.fct_gl_entries "
        "where company_id = 'sie_ab' and fiscal_year = '2024'",
    ) == [(new_file,)]

    # the Fortnox company's rows were never rewritten
    assert [row for row in table(home, "fct_gl_entries") if row[2] == "demo_ab"] == demo_ab_rows
    # each company's balance sheet balances on its own, every month
    sheets = warehouse_rows(
        home,
        "select company_id, period_start, sum(amount), count(*) from marts.rpt_balance_sheet "
        "group by all",
    )
    assert {company for company, *_ in sheets} == {"demo_ab", "sie_ab"}
    assert all(total == 0 and lines > 3 for _, _, total, lines in sheets)

    assert_built_as_a_full_refresh_builds_them(home)

    # a voucher of sie_ab 2024 that no longer nets to zero arrives: the tests of that year
    # alone still find it, the build fails and says which voucher
    con = duckdb.connect(str(home / "warehouse.duckdb"))
    try:
        series, number = con.execute(
            "update raw_sie.voucher_rows set amount = amount + 1 where rowid = ("
            "select min(rowid) from raw_sie.voucher_rows "
            "where company_id = 'sie_ab' and fiscal_year_start = '2024-01-01' "
            "and row_kind = 'TRANS') returning voucher_series, voucher_number"
        ).fetchone()
    finally:
        con.close()
    failed = run_cli("build", home=home)
    assert failed.returncode != 0
    said = " ".join(failed.output.split())
    assert "zero_sum_stg_sie__voucher_rows" in said
    assert f"failed on: voucher_id=sie_ab|2024-01-01|{series}|{number} off_by=1.00" in said
    status, compiled = next(
        value
        for name, value in data_tests_run(home).items()
        if name.startswith("zero_sum_stg_sie__voucher_rows_")
    )
    assert status == "fail" and f"({sie_ab_2024})" in compiled


def test_a_company_moving_from_sie_files_to_fortnox_is_built_as_a_full_refresh_builds_it(
    demo_home: Path, tmp_path: Path
) -> None:
    """Demo AB's books first come as its SIE exports alone, then its Fortnox vouchers arrive
    and Fortnox becomes its system of record (int_ledger__companies). The build after that
    keeps the ledger layer per part of the books: it rereads every year of the company. Then
    Fortnox opens the next financial year, which changes no voucher. Every table equals a
    full refresh."""
    home = tmp_path / "home"
    shutil.copytree(demo_home, home)
    (home / "ledgerbridge.toml").write_text(
        '[companies.demo_ab]\nname = "Demo AB"\n\n[companies.demo_ab.sources.sie]\n'
        'folder = "demo/sie"\n',
        encoding="utf-8",
    )
    # before Fortnox: every row landed from it kept aside (its tables stay, empty)
    con = duckdb.connect(str(home / "warehouse.duckdb"))
    try:
        fortnox_tables = [
            name
            for (name,) in con.execute(
                "select table_name from information_schema.tables "
                "where table_schema = 'raw_fortnox' and table_name not like '\\_dlt%' escape '\\'"
            ).fetchall()
        ]
        assert {"financial_years", "vouchers", "voucher_rows", "invoices"} <= set(fortnox_tables)
        con.execute("create schema kept_aside")
        for name in fortnox_tables:
            con.execute(f"create table kept_aside.{name} as select * from raw_fortnox.{name}")
            con.execute(f"delete from raw_fortnox.{name}")
    finally:
        con.close()
    for command in ("ingest", "build"):
        result = run_cli(command, home=home)
        assert result.returncode == 0, result.output
    from_sie = dict(
        warehouse_rows(
            home, "select source_system, count(*) from marts.fct_gl_entries group by all"
        )
    )
    assert list(from_sie) == ["sie"] and from_sie["sie"] > 1000

    # Fortnox's books arrive
    con = duckdb.connect(str(home / "warehouse.duckdb"))
    try:
        for name in fortnox_tables:
            con.execute(f"insert into raw_fortnox.{name} select * from kept_aside.{name}")
        con.execute("drop schema kept_aside cascade")
    finally:
        con.close()
    batches = {b for (b,) in warehouse_rows(home, "select _batch_id from marts.fct_gl_entries")}
    result = run_cli("build", home=home)
    assert result.returncode == 0, result.output
    said = " ".join(result.output.split())
    assert "only what reads the raw tables changed since the last build" in said
    rebuilt = "the ledger layer rebuilt and tested the fiscal years whose vouchers changed: "
    assert rebuilt + "demo_ab (every year)" in said
    lineage = warehouse_rows(
        home,
        "select source_system, count(source_file_sha256), count(*) from marts.fct_gl_entries "
        "group by all",
    )
    assert [(system, files) for system, files, _ in lineage] == [("fortnox", 0)]
    rewritten = warehouse_rows(
        home,
        "select count(*) from marts.fct_gl_entries "
        f"where _batch_id not in ({', '.join(repr(b) for b in batches)})",
    )[0][0]
    # Fortnox names every voucher's source document (MANUAL, INVOICE…), which an SIE export
    # does not: each voucher's content differs, and all of them were written again
    assert rewritten == lineage[0][2] > 1000

    # at the year end Fortnox opens the next financial year, with no voucher in it yet: its
    # periods appear, the balances run on into them, and no GL row is written again
    con = duckdb.connect(str(home / "warehouse.duckdb"))
    try:
        con.execute(
            "insert into raw_fortnox.financial_years select * replace ("
            "year_id + 1 as year_id, from_date + interval 1 year as from_date, "
            "to_date + interval 1 year as to_date) "
            "from raw_fortnox.financial_years order by from_date desc limit 1"
        )
    finally:
        con.close()
    batches = {b for (b,) in warehouse_rows(home, "select _batch_id from marts.fct_gl_entries")}
    result = run_cli("build", home=home)
    assert result.returncode == 0, result.output
    assert "demo_ab (every year)" in " ".join(result.output.split())
    assert {
        b for (b,) in warehouse_rows(home, "select _batch_id from marts.fct_gl_entries")
    } == batches
    last_month = warehouse_rows(home, "select max(period_start) from marts.fct_gl_balance_monthly")
    assert last_month == [(date(2026, 12, 1),)]
    # no IB is stated for the new year yet: 2025's result is balanserat resultat there, and
    # the balance sheet still balances (its zero-sum test passed in the build)
    sheet = balance_sheet(home)
    assert sheet[(date(2026, 1, 1), "Balanserat resultat")] == (
        sheet[(date(2025, 12, 1), "Balanserat resultat")]
        + sheet[(date(2025, 12, 1), "Årets resultat")]
    )
    assert sheet[(date(2026, 1, 1), "Årets resultat")] == 0

    assert_built_as_a_full_refresh_builds_them(home)


def assert_built_as_a_full_refresh_builds_them(home: Path) -> None:
    """The ledger layer, the per-voucher reconciliation facts and every mart equal what a
    full refresh of the ledger layer and all that reads it writes from the same data (the
    column naming the dbt invocation that wrote a row aside)."""
    kept = {
        ("intermediate", name): table(home, name, exclude=("_batch_id",), schema="intermediate")
        for name in (*LEDGER_LAYER, "int_rec__voucher_facts")
    }
    marts = warehouse_rows(
        home, "select table_name from information_schema.tables where table_schema = 'marts'"
    )
    assert len(marts) > 25
    for (name,) in marts:
        kept["marts", name] = table(home, name, exclude=("_batch_id",))
    paths = Paths(home)
    sources = json.dumps({"ledgerbridge_sources": present_sources(paths)})
    full = run_dbt(
        paths,
        [
            *("build", "--full-refresh", "--vars", sources),
            *("-s", *(f"{name}+" for name in LEDGER_LAYER)),
        ],
    )
    assert full.failed == 0, full.errors
    for (schema, name), rows in kept.items():
        assert table(home, name, exclude=("_batch_id",), schema=schema) == rows, name


def data_tests_run(home: Path) -> dict[str, tuple[str, str]]:
    """The data tests of the last dbt run: name → (status, compiled SQL on one line)."""
    results = json.loads((home / "dbt" / "target" / "run_results.json").read_text())["results"]
    return {
        result["unique_id"].split(".")[2]: (
            result["status"],
            " ".join((result.get("compiled_code") or "").split()),
        )
        for result in results
        if result["unique_id"].startswith("test.")
    }
