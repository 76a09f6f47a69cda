"""A newer export of the open year replaces it: the new vouchers arrive, nothing else moves.

The replacing load deletes the year through dlt's delete-insert on the replace key alone
(ingestion/dlt_merge.py); with dlt's "primary key OR merge key" it compared every held row with
every loaded one (two minutes and 11 GB for a 10,000-row year).
"""

from __future__ import annotations

import os
from pathlib import Path

import duckdb

import ingestion  # noqa: F401  # applies ingestion.dlt_merge
from ingestion.pipeline import ingest
from ingestion.sources import sie
from ledgerbridge.config import Paths, parse_settings
from sandbox.demo_company import DemoOptions, generate
from sandbox.demo_company.interim import write_interim_export


def test_replacing_delete_uses_the_replace_key_alone() -> None:
    from dlt.destinations.sql_jobs import SqlMergeFollowupJob

    table = sie.VOUCHER_ROWS
    [clause] = SqlMergeFollowupJob.gen_key_table_clauses(
        "d", "s", list(table.primary_key), list(table.replace_key), for_delete=True
    )
    assert " OR " not in clause
    assert clause.endswith(
        "WHERE d.company_id = s.company_id AND d.fiscal_year_start = s.fiscal_year_start)"
    )
    # keys that are not a subset keep dlt's own condition
    [other] = SqlMergeFollowupJob.gen_key_table_clauses("d", "s", ["a"], ["b"], for_delete=True)
    assert "d.a = s.a OR d.b = s.b" in other


def _rows_per_year(paths: Paths) -> dict:
    con = duckdb.connect(str(paths.warehouse), read_only=True)
    try:
        return dict(
            con.execute(
                "select fiscal_year_start, count(*) from raw_sie.voucher_rows group by 1"
            ).fetchall()
        )
    finally:
        con.close()


def test_final_export_replaces_the_interim_one(tmp_path: Path) -> None:
    paths = Paths(tmp_path / "home").ensure()
    demo = generate(DemoOptions(scale=6000), paths.demo)
    closed, open_year = demo.sie_files
    final_export = paths.home / open_year.name
    os.replace(open_year, final_export)
    interim = write_interim_export(final_export, open_year, later_rows=300)
    assert interim.later_rows >= 300 and interim.rows + interim.later_rows < demo.gl_rows
    settings = parse_settings(
        {
            "companies": {
                "demo_ab": {
                    "name": "Demo AB",
                    "sources": {"sie": {"folder": str(paths.demo / "sie")}},
                }
            }
        },
        paths.config_file,
    )

    ingest(paths, settings)  # the reader checks the interim export's balances against its rows
    first = _rows_per_year(paths)
    start = demo.fiscal_years[-1].start
    assert first[start] == interim.rows
    assert sum(first.values()) == demo.gl_rows - interim.later_rows

    os.replace(final_export, open_year)
    report = ingest(paths, settings)
    assert {o.item.rsplit("/", 1)[-1]: o.status for o in report.outcomes} == {
        closed.name: "unchanged",
        open_year.name: "loaded",
    }
    second = _rows_per_year(paths)
    assert second[start] == interim.rows + interim.later_rows
    assert {y: n for y, n in second.items() if y != start} == {
        y: n for y, n in first.items() if y != start
    }
    con = duckdb.connect(str(paths.warehouse), read_only=True)
    try:
        duplicates = con.execute(
            "select count(*) from (select company_id, fiscal_year_start, voucher_series, "
            "voucher_number, voucher_occurrence, row_number from raw_sie.voucher_rows "
            "group by all having count(*) > 1)"
        ).fetchone()[0]
        # the interim export's balances are gone with it: one UB per account, the final one's
        stated = con.execute(
            "select count(*), count(distinct account_number) from raw_sie.balances "
            "where fiscal_year_start = ? and balance_kind = 'UB'",
            [start],
        ).fetchone()
    finally:
        con.close()
    assert duplicates == 0
    assert stated[0] == stated[1] > 0
