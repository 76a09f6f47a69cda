"""Bad input, through the real CLI: one clear message each, and nothing half-loaded."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import textwrap
from collections.abc import Callable
from pathlib import Path

import duckdb
import pytest

from sandbox.demo_company import DemoOptions, DemoResult, generate
from tests.conftest import run_cli


@pytest.fixture(scope="module")
def demo_files(tmp_path_factory: pytest.TempPathFactory) -> DemoResult:
    return generate(DemoOptions(scale=3000), tmp_path_factory.mktemp("files"))


def company_home(
    tmp_path: Path, sie: Path, erp: Path | None = None, orgnr: str | None = None
) -> Path:
    home = tmp_path / "home"
    home.mkdir()
    config = '[companies.acme]\nname = "Acme AB"\n'
    if orgnr:
        config += f'orgnr = "{orgnr}"\n'
    config += f'[companies.acme.sources.sie]\nfolder = "{sie}"\n'
    if erp is not None:
        config += f'[companies.acme.sources.erp_files]\nfolder = "{erp}"\n'
    (home / "ledgerbridge.toml").write_text(config, encoding="utf-8")
    return home


def sie_copy(demo_files: DemoResult, tmp_path: Path) -> Path:
    """A private copy of the demo's SIE folder: a failed load moves files to quarantine."""
    folder = tmp_path / "sie-copy"
    shutil.copytree(demo_files.sie_files[0].parent, folder)
    return folder


def raw_counts(home: Path) -> dict[str, int]:
    path = home / "warehouse.duckdb"
    if not path.exists():
        return {}
    con = duckdb.connect(str(path), read_only=True)
    try:
        tables = con.execute(
            "select schema_name, table_name from duckdb_tables() "
            "where schema_name in ('raw_sie', 'raw_erp_files')"
        ).fetchall()
        return {
            f"{s}.{t}": con.execute(f'select count(*) from {s}."{t}"').fetchone()[0]
            for s, t in tables
            if not t.startswith("_dlt")
        }
    finally:
        con.close()


def test_truncated_sie_file_loads_nothing_while_good_files_load(
    demo_files: DemoResult, tmp_path: Path
) -> None:
    sie = tmp_path / "sie"
    sie.mkdir()
    good, bad = demo_files.sie_files
    shutil.copy(good, sie / good.name)
    data = bad.read_bytes()
    (sie / bad.name).write_bytes(data[: len(data) * 2 // 3])
    home = company_home(tmp_path, sie)
    result = run_cli("ingest", home=home)
    assert result.returncode == 1
    assert "error[ingest-failed]" in result.stderr
    assert bad.name in result.stderr and "truncated" in result.stderr
    assert "Traceback" not in result.output
    counts = raw_counts(home)
    con = duckdb.connect(str(home / "warehouse.duckdb"), read_only=True)
    try:
        files = [r[0] for r in con.execute("select file_name from raw_sie.files").fetchall()]
        years = {
            r[0].year
            for r in con.execute(
                "select distinct fiscal_year_start from raw_sie.vouchers"
            ).fetchall()
        }
    finally:
        con.close()
    assert files == [good.name]  # the good file landed whole
    assert years == {2024}  # and nothing of the truncated one
    assert counts["raw_sie.voucher_rows"] > 0
    # the bad file was moved aside with its report; the good one stays where it was
    assert sorted(p.name for p in sie.iterdir()) == [good.name]
    (moved,) = (home / "quarantine" / "acme").glob(f"*_{bad.name}")
    report = moved.with_name(moved.name + ".report.txt").read_text(encoding="utf-8")
    assert "Nothing of this file was loaded" in report and "truncated" in report
    assert "moved to" in result.stderr and "quarantine" in result.stderr
    # the run history says it failed, and why; the quarantined file is listed
    status = run_cli("status", home=home)
    assert "failed" in status.stdout
    assert "Quarantined" in status.stdout and bad.name in status.stdout


def edited_erp_export(
    demo_files: DemoResult,
    tmp_path: Path,
    entity: str,
    edit: Callable[[list[str]], list[str]],
    *,
    keep_checksum: bool = False,
) -> Path:
    """A company home whose ERP export has one file edited (and no SIE files)."""
    erp = tmp_path / "erp"
    shutil.copytree(demo_files.erp_folder, erp)
    path = erp / f"{entity}.jsonl"
    lines = edit(path.read_text(encoding="utf-8").splitlines())
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    if not keep_checksum:  # as an ERP that writes no checksums, so the record checks speak
        manifest = json.loads((erp / "manifest.json").read_text(encoding="utf-8"))
        del manifest["entities"][entity]["sha256"]
        (erp / "manifest.json").write_text(json.dumps(manifest), encoding="utf-8")
    empty_sie = tmp_path / "sie"
    empty_sie.mkdir()
    return company_home(tmp_path, empty_sie, erp)


def nothing_of_the_export_loaded(home: Path) -> bool:
    return not any(k.startswith("raw_erp_files") and v for k, v in raw_counts(home).items())


def test_erp_export_with_a_missing_field_names_file_line_and_field(
    demo_files: DemoResult, tmp_path: Path
) -> None:
    removed: dict = {}

    def drop_due_date(lines: list[str]) -> list[str]:
        record = json.loads(lines[4])
        del record["due_date"]
        removed.update(record)
        return [*lines[:4], json.dumps(record, ensure_ascii=False), *lines[5:]]

    home = edited_erp_export(demo_files, tmp_path, "customer_invoices", drop_due_date)
    result = run_cli("ingest", home=home)
    assert result.returncode == 1
    assert "customer_invoices.jsonl line 5" in result.stderr
    assert f"(record {removed['number']})" in result.stderr
    assert "missing required field 'due_date'" in result.stderr
    assert nothing_of_the_export_loaded(home)


def test_erp_export_whose_file_was_cut_short_is_refused(
    demo_files: DemoResult, tmp_path: Path
) -> None:
    total = len((demo_files.erp_folder / "stock_moves.jsonl").read_text().splitlines())
    home = edited_erp_export(
        demo_files, tmp_path, "stock_moves", lambda lines: lines[:-10], keep_checksum=True
    )
    result = run_cli("ingest", home=home)
    assert result.returncode == 1
    assert f"holds {total - 10} records but manifest.json says {total}" in result.stderr
    assert nothing_of_the_export_loaded(home)


def test_erp_export_with_a_wrong_amount_says_what_was_expected(
    demo_files: DemoResult, tmp_path: Path
) -> None:
    def swedish_amount(lines: list[str]) -> list[str]:
        return [lines[0].replace('"amount":"', '"amount":"12 345,'), *lines[1:]]

    home = edited_erp_export(demo_files, tmp_path, "supplier_payments", swedish_amount)
    result = run_cli("ingest", home=home)
    assert result.returncode == 1
    assert "supplier_payments.jsonl line 1" in result.stderr
    assert "expected an amount like 1234.50" in result.stderr
    assert nothing_of_the_export_loaded(home)


def test_erp_export_edited_after_it_was_written_fails_its_checksum(
    demo_files: DemoResult, tmp_path: Path
) -> None:
    def change_a_name(lines: list[str]) -> list[str]:
        return [lines[0].replace('"name":"', '"name":"X'), *lines[1:]]

    home = edited_erp_export(demo_files, tmp_path, "customers", change_a_name, keep_checksum=True)
    result = run_cli("ingest", home=home)
    assert result.returncode == 1
    assert "customers.jsonl: its checksum differs" in result.stderr
    assert nothing_of_the_export_loaded(home)


def test_sie_file_of_another_company_is_refused(demo_files: DemoResult, tmp_path: Path) -> None:
    sie = sie_copy(demo_files, tmp_path)
    home = company_home(tmp_path, sie, orgnr="556000-0006")
    result = run_cli("ingest", home=home)
    assert result.returncode == 1
    assert f"belongs to organisation number {demo_files.orgnr}" in result.stderr
    assert raw_counts(home).get("raw_sie.vouchers", 0) == 0
    assert list(sie.iterdir()) == []  # both moved aside, each with its report
    assert len(list((home / "quarantine" / "acme").glob("*.report.json"))) == 2


def test_nonexistent_paths(tmp_path: Path) -> None:
    home = company_home(tmp_path, tmp_path / "no-such-folder")
    result = run_cli("ingest", home=home)
    assert result.returncode == 1
    assert "the SIE folder of company 'acme' does not exist" in result.stderr
    assert str(tmp_path / "no-such-folder") in result.stderr

    missing_config = run_cli("ingest", "--config", str(tmp_path / "nope.toml"), home=home)
    assert missing_config.returncode == 1
    assert "nope.toml does not exist" in missing_config.stderr

    empty = tmp_path / "empty-home"
    nothing = run_cli("build", home=empty)
    assert nothing.returncode == 1 and "no warehouse" in nothing.stderr
    not_published = run_cli("publish", home=empty)
    assert not_published.returncode == 1 and "no warehouse" in not_published.stderr
    for result in (missing_config, nothing, not_published):
        assert "Traceback" not in result.output


HOLD = textwrap.dedent(
    """
    import sys, time
    from pathlib import Path
    from ledgerbridge.config import Paths
    from ledgerbridge.warehouse import writer_lock
    with writer_lock(Paths(Path(sys.argv[1])), "ledgerbridge demo"):
        print("held", flush=True)
        time.sleep(120)
    """
)


def test_second_demo_while_one_is_running_is_told_who_holds_the_lock(tmp_path: Path) -> None:
    home = tmp_path / "home"
    holder = subprocess.Popen(
        [sys.executable, "-c", HOLD, str(home)], stdout=subprocess.PIPE, text=True
    )
    try:
        assert holder.stdout is not None and holder.stdout.readline().strip() == "held"
        result = run_cli("demo", "--no-serve", home=home)
        assert result.returncode == 1
        assert "error[lock-held]" in result.stderr
        assert f"pid {holder.pid}" in result.stderr and "`ledgerbridge demo`" in result.stderr
        assert not (home / "warehouse.duckdb").exists()
    finally:
        holder.kill()
        holder.wait()


def test_two_demos_started_together_one_wins(tmp_path: Path) -> None:
    home = tmp_path / "home"
    env_runs = [
        subprocess.Popen(
            [
                str(Path(sys.executable).parent / "ledgerbridge"),
                "demo",
                "--no-serve",
                "--erp",
                "files",  # the lock is the point here, not the ERP replay
            ],
            env={**os.environ, "LEDGERBRIDGE_HOME": str(home), "COLUMNS": "200"},
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for _ in range(2)
    ]
    try:
        errs = [p.communicate(timeout=600)[1] for p in env_runs]
        outcomes = [(p.returncode, err) for p, err in zip(env_runs, errs, strict=True)]
    finally:  # the winner's Fortnox sandbox keeps running otherwise
        run_cli("sandbox", "down", home=home)
    codes = sorted(code for code, _ in outcomes)
    assert codes == [0, 1], outcomes
    loser = next(err for code, err in outcomes if code == 1)
    winner = next(p for p in env_runs if p.returncode == 0)
    assert "error[lock-held]" in loser and "`ledgerbridge demo`" in loser
    assert f"pid {winner.pid}" in loser, loser
    assert (home / "serving.duckdb").exists()


def test_a_failing_data_test_stops_the_build_with_its_name(
    demo_files: DemoResult, tmp_path: Path
) -> None:
    home = company_home(tmp_path, sie_copy(demo_files, tmp_path))
    assert run_cli("ingest", home=home).returncode == 0
    assert run_cli("build", home=home).returncode == 0
    con = duckdb.connect(str(home / "warehouse.duckdb"))
    try:
        # an unbalanced voucher slipped into the raw data behind the reader's back
        con.execute(
            "update raw_sie.voucher_rows set amount = amount + 40 "
            "where voucher_series = 'A' and voucher_number = '1' and row_number = 1"
        )
    finally:
        con.close()
    result = run_cli("build", home=home)
    assert result.returncode == 1
    assert "error[build-failed]" in result.stderr
    assert "zero_sum" in result.stderr
    assert not (home / "serving.duckdb").exists()
    # and the marts that failed their tests are not published by hand either
    refused = run_cli("publish", home=home)
    assert refused.returncode == 1 and "the last build" in refused.stderr
    assert not (home / "serving.duckdb").exists()
    # the row put back as the first build read it: the failed build left models built from
    # the bad row, so the next build is a complete one, not "nothing changed"
    con = duckdb.connect(str(home / "warehouse.duckdb"))
    try:
        con.execute(
            "update raw_sie.voucher_rows set amount = amount - 40 "
            "where voucher_series = 'A' and voucher_number = '1' and row_number = 1"
        )
    finally:
        con.close()
    result = run_cli("build", home=home)
    assert result.returncode == 0, result.output
    assert "nothing" not in result.output and "only what reads" not in result.output
    assert run_cli("publish", home=home).returncode == 0


def test_an_export_with_balances_but_no_vouchers_builds(tmp_path: Path) -> None:
    sie = tmp_path / "sie"
    sie.mkdir()
    (sie / "balances.se").write_bytes(
        "\r\n".join(
            [
                "#FLAGGA 0",
                '#PROGRAM "Test" 1',
                "#FORMAT PC8",
                "#GEN 20250110",
                "#SIETYP 4",
                '#FNAMN "Acme AB"',
                "#RAR 0 20240101 20241231",
                '#KONTO 1930 "Bank"',
                '#KONTO 2081 "Aktiekapital"',
                "#IB 0 1930 500.00",
                "#IB 0 2081 -500.00",
                "#UB 0 1930 500.00",
                "#UB 0 2081 -500.00",
                "",
            ]
        ).encode("cp437")
    )
    home = company_home(tmp_path, sie)
    assert run_cli("ingest", home=home).returncode == 0
    built = run_cli("build", home=home)
    assert built.returncode == 0, built.output
    assert raw_counts(home)["raw_sie.voucher_rows"] == 0


def test_folder_without_sie_files_says_so(tmp_path: Path) -> None:
    sie = tmp_path / "sie"
    sie.mkdir()
    (sie / "books.txt").write_text("not a SIE file name", encoding="utf-8")
    result = run_cli("ingest", home=company_home(tmp_path, sie))
    assert result.returncode == 0
    assert "ignored in" in result.stdout and "books.txt" in result.stdout
    assert "no SIE files (.se, .si, .sie)" in result.stdout


OPEN_ELSEWHERE = textwrap.dedent(
    """
    import sys, time, duckdb
    con = duckdb.connect(sys.argv[1], read_only=True)
    print("open", flush=True)
    time.sleep(120)
    """
)


def test_warehouse_open_in_another_program_is_named(demo_files: DemoResult, tmp_path: Path) -> None:
    home = company_home(tmp_path, sie_copy(demo_files, tmp_path))
    assert run_cli("ingest", home=home).returncode == 0
    other = subprocess.Popen(
        [sys.executable, "-c", OPEN_ELSEWHERE, str(home / "warehouse.duckdb")],
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert other.stdout is not None and other.stdout.readline().strip() == "open"
        busy = run_cli("ingest", home=home)
        assert busy.returncode == 1, busy.output
        assert f"is open in process {other.pid}" in busy.stderr
        assert "Traceback" not in busy.output
    finally:
        other.kill()
        other.wait()


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"company": "Demo AB"}, "'company' must be an object"),
        (
            {"entities": {"customers": {"file": "customers.jsonl", "records": "many"}}},
            "records must be a whole number",
        ),
        ({"format": "something/2"}, "this version reads 'ledgerbridge-erp-export/1'"),
        ({"mode": "sometimes"}, "expected 'full' or 'incremental'"),
    ],
)
def test_manifest_mistakes(
    demo_files: DemoResult, tmp_path: Path, change: dict, message: str
) -> None:
    erp = tmp_path / "erp"
    shutil.copytree(demo_files.erp_folder, erp)
    manifest = json.loads((erp / "manifest.json").read_text(encoding="utf-8"))
    manifest.update(change)
    (erp / "manifest.json").write_text(json.dumps(manifest), encoding="utf-8")
    empty = tmp_path / "sie"
    empty.mkdir()
    result = run_cli("ingest", home=company_home(tmp_path, empty, erp))
    assert result.returncode == 1 and message in result.stderr, result.output
    assert "Traceback" not in result.output


def test_a_newer_export_of_the_same_year_replaces_the_older(
    demo_files: DemoResult, tmp_path: Path
) -> None:
    from ledgerbridge.formats.sie import SieReader, write_sie

    sie = tmp_path / "sie"
    sie.mkdir()
    first = demo_files.sie_files[0]
    shutil.copy(first, sie / "export-1.se")
    home = company_home(tmp_path, sie)
    assert run_cli("ingest", home=home).returncode == 0
    before = raw_counts(home)
    # the bookkeeper deletes nothing (vouchers are immutable) but the program re-exports the
    # year with a different chart name and the last voucher series dropped, as a partial
    # export would: the newer file is the truth for that year
    with SieReader(first) as reader:
        vouchers = [v for v in reader.read() if v.series != "E"]
        header = reader.header
    header.balances = []  # a re-export without balances, so nothing has to tie
    (sie / "export-1.se").unlink()
    write_sie(sie / "export-2.se", header, vouchers)
    result = run_cli("ingest", home=home)
    assert result.returncode == 0, result.output
    after = raw_counts(home)
    assert after["raw_sie.vouchers"] == len(vouchers) < before["raw_sie.vouchers"]
    # the older export's balances no longer count: the ledger-ties test would fail otherwise
    built = run_cli("build", home=home)
    assert built.returncode == 0, built.output
    con = duckdb.connect(str(home / "warehouse.duckdb"), read_only=True)
    try:
        files = con.execute("select count(*) from raw_sie.files").fetchone()[0]
        series = {
            r[0]
            for r in con.execute("select distinct voucher_series from raw_sie.vouchers").fetchall()
        }
    finally:
        con.close()
    assert files == 2 and "E" not in series


def test_an_older_export_arriving_after_a_newer_one_is_skipped(
    demo_files: DemoResult, tmp_path: Path
) -> None:
    from datetime import timedelta

    from ledgerbridge.formats.sie import SieReader, write_sie

    sie = tmp_path / "sie"
    sie.mkdir()
    first = demo_files.sie_files[0]
    with SieReader(first) as reader:
        vouchers = reader.read()
        header = reader.header
    header.generated = header.generated + timedelta(days=30)  # the newer re-export
    write_sie(sie / "b-newer.se", header, vouchers)
    home = company_home(tmp_path, sie)
    assert run_cli("ingest", home=home).returncode == 0
    shutil.copy(first, sie / "c-older.se")  # the older export turns up later
    result = run_cli("ingest", home=home)
    assert result.returncode == 0, result.output
    assert "skipped" in result.stdout and "c-older.se" in result.stdout
    con = duckdb.connect(str(home / "warehouse.duckdb"), read_only=True)
    try:
        files = [r[0] for r in con.execute("select file_name from raw_sie.files").fetchall()]
        rows = con.execute("select count(*) from raw_sie.voucher_rows").fetchone()[0]
    finally:
        con.close()
    assert files == ["b-newer.se"] and rows == sum(len(v.rows) for v in vouchers)
    assert run_cli("build", home=home).returncode == 0
