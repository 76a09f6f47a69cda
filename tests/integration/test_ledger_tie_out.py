"""The ledger's tie-outs can fail: a voucher changed in a closed year breaks the carry-forward
of opening balances, which the Fortnox books (opening balances only) are checked by."""

from __future__ import annotations

import shutil
from pathlib import Path

import duckdb

from tests.conftest import run_cli


def test_a_voucher_changed_in_a_closed_year_fails_the_build(
    demo_home: Path, tmp_path: Path
) -> None:
    home = tmp_path / "home"
    shutil.copytree(demo_home, home)
    con = duckdb.connect(str(home / "warehouse.duckdb"))
    try:
        # one row of the first year moved from the bank account to another balance sheet
        # account: the voucher still sums to zero, the trial balance still balances, but the
        # next year's opening balances no longer follow from this year's
        first_year = con.execute("select min(year_id) from raw_fortnox.voucher_rows").fetchone()[0]
        voucher = con.execute(
            "select company_id, year_id, voucher_series, voucher_number, row_number "
            "from raw_fortnox.voucher_rows where account_number = 1930 and year_id = ? "
            "order by voucher_series, voucher_number, row_number limit 1",
            [first_year],
        ).fetchone()
        changed = con.execute(
            "update raw_fortnox.voucher_rows set account_number = 1940 where company_id = ? "
            "and year_id = ? and voucher_series = ? and voucher_number = ? and row_number = ?",
            list(voucher),
        ).fetchone()[0]
        # as the connector would land a voucher read again: with the time it was read, which
        # is how the incremental fct_gl_entries knows to read it again too
        con.execute(
            "update raw_fortnox.vouchers set fetched_at = now() where company_id = ? "
            "and year_id = ? and voucher_series = ? and voucher_number = ?",
            list(voucher[:4]),
        )
    finally:
        con.close()
    assert changed == 1
    result = run_cli("build", home=home)
    assert result.returncode != 0
    assert "assert_opening_balances_carry_forward" in result.output
    # it is the only check that can see it (the progress line may name any node it passed)
    failures = [line for line in result.output.splitlines() if "FAIL" in line]
    assert failures and not [line for line in failures if "zero_sum" in line], failures
