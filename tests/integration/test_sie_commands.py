"""`ledgerbridge sie validate` and `ledgerbridge sie convert` on the corpus and on damage."""

from __future__ import annotations

import json
from pathlib import Path

import duckdb

from tests.conftest import run_cli


def test_validate_prints_one_line_per_diagnostic_and_a_summary(
    corpus: Path, tmp_path: Path
) -> None:
    files = sorted(str(p) for p in (corpus / "sie").iterdir())
    result = run_cli("sie", "validate", *files, home=tmp_path / "home")
    assert result.returncode == 1  # file 14 has an unbalanced voucher
    lines = result.stdout.strip().splitlines()
    assert lines[-1] == "6 files: 5 valid, 1 not valid; 1 error, 31 warnings"
    unbalanced = next(line for line in lines if line.startswith("unbalanced-voucher "))
    assert unbalanced.endswith(
        "14_barsoom_unknown_label_momskod.se:22 "
        "voucher A 1 on 2013-01-01 does not balance: off by -40.00"
    )
    assert all(line.split(" ", 1)[0] for line in lines[:-1])


def test_validate_exits_0_for_valid_files_and_speaks_json(corpus: Path, tmp_path: Path) -> None:
    good = str(corpus / "sie" / "01_SIE4_Exempelfil_sie-gruppen_2024.SE")
    result = run_cli(
        "sie", "validate", "--json", good, str(tmp_path / "missing.se"), home=tmp_path / "h"
    )
    assert result.returncode == 1
    report = json.loads(result.stdout)
    first, missing = report["files"]
    assert first["valid"] and first["kind"] == "4E" and first["vouchers"] == 295
    assert first["diagnostics"][0]["code"] == "already-imported"
    assert not missing["valid"] and missing["diagnostics"][0]["code"] == "unreadable"
    assert run_cli("sie", "validate", good, home=tmp_path / "h").returncode == 0
    strict = run_cli(
        "sie",
        "validate",
        "--strict",
        str(corpus / "sie" / "11_blblov_typ4I_iso8859-15.SI"),
        home=tmp_path / "h",
    )
    assert strict.returncode == 1 and strict.stdout.startswith("encoding-mismatch ")


def test_convert_writes_tables_a_person_can_query(corpus: Path, tmp_path: Path) -> None:
    out = tmp_path / "out"
    result = run_cli(
        "sie",
        "convert",
        str(corpus / "sie" / "04_BL0001_typ4_rtrans_btrans.SE"),
        "--to",
        str(out),
        home=tmp_path / "h",
    )
    assert result.returncode == 0, result.output
    kinds = dict(
        duckdb.sql(
            f"select row_kind, count(*) from '{out}/voucher_rows.parquet' group by 1"
        ).fetchall()
    )
    assert kinds == {"TRANS": 405, "RTRANS": 6, "BTRANS": 3}
    balances = duckdb.sql(
        f"select kind, year, account, amount from '{out}/balances.parquet' "
        "where kind = 'IB' and account = '1930'"
    ).fetchall()
    assert balances and all(str(row[3]).count(".") == 1 for row in balances)
    columns = [
        c[0] for c in duckdb.sql(f"describe select * from '{out}/voucher_rows.parquet'").fetchall()
    ]
    assert {
        "voucher_series",
        "voucher_number",
        "voucher_date",
        "row_kind",
        "account",
        "amount",
        "objects",
    } <= set(columns)


def test_convert_refuses_a_damaged_file_and_writes_nothing(corpus: Path, tmp_path: Path) -> None:
    out = tmp_path / "out"
    result = run_cli(
        "sie",
        "convert",
        str(corpus / "sie" / "14_barsoom_unknown_label_momskod.se"),
        "--to",
        str(out),
        home=tmp_path / "h",
    )
    assert result.returncode == 1
    assert "unbalanced-voucher" in result.stderr and "Traceback" not in result.output
    assert list(out.iterdir()) == []
