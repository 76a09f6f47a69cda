"""What a failed build says of its failed data tests: the records they found."""

from __future__ import annotations

import json
from pathlib import Path

import duckdb

from ledgerbridge.build import failing_records
from ledgerbridge.config import Paths


def home_with_results(tmp_path: Path, results: list[dict]) -> Paths:
    paths = Paths(tmp_path)
    con = duckdb.connect(str(paths.warehouse))
    try:
        con.execute("create schema staging")
        con.execute(
            "create table staging.voucher_rows as select * from (values "
            "('v1', 100.00), ('v1', -99.00), ('v2', 5.00), ('v3', 7.50), ('v4', 1.25), "
            "('v5', 0.00)) as t(voucher_id, amount)"
        )
    finally:
        con.close()
    paths.dbt_target.mkdir(parents=True)
    (paths.dbt_target / "run_results.json").write_text(json.dumps({"results": results}))
    return paths


ZERO_SUM = (
    'select voucher_id, sum(amount) as off_by from "warehouse"."staging"."voucher_rows" '
    "group by voucher_id having sum(amount) <> 0 order by voucher_id"
)


def test_the_first_records_of_each_failed_test_are_named(tmp_path: Path) -> None:
    paths = home_with_results(
        tmp_path,
        [
            {"unique_id": "test.lb.zero_sum_rows.abc", "status": "fail", "compiled_code": ZERO_SUM},
            # a passing test and a model are not failures
            {"unique_id": "test.lb.unique_rows.def", "status": "pass", "compiled_code": ZERO_SUM},
            {"unique_id": "model.lb.rows", "status": "error", "compiled_code": ZERO_SUM},
            # a test whose table its failure left unbuilt shows no records
            {
                "unique_id": "test.lb.zero_sum_gone.ghi",
                "status": "fail",
                "compiled_code": "select * from staging.not_built",
            },
        ],
    )
    assert failing_records(paths) == {
        "zero_sum_rows": [
            "voucher_id=v1 off_by=1.00",
            "voucher_id=v2 off_by=5.00",
            "voucher_id=v3 off_by=7.50",
            "... and more",
        ]
    }


def test_no_run_results_no_records(tmp_path: Path) -> None:
    assert failing_records(Paths(tmp_path)) == {}
