"""The dbt project on PostgreSQL: the demo's raw data copied into a real PostgreSQL server,
`dbt build --target postgres` passes every data and unit test, and the marts equal DuckDB's
row for row.

The server is started here, in a temporary folder (initdb + pg_ctl, as the postgres user when
run as root), and stopped at the end; `make test` installs PostgreSQL as root. Without it the
tests skip and say so, unless LEDGERBRIDGE_REQUIRE_POSTGRES=1 (set by .ci/run) makes that a
failure.
"""

from __future__ import annotations

import json
import math
import os
import pwd
import shutil
import socket
import subprocess
import sys
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

import duckdb
import pytest

from ledgerbridge.build import present_sources
from ledgerbridge.config import DBT_PROJECT_DIR, Paths
from ledgerbridge.warehouse_postgres import copy_raw_tables, postgres_type, raw_tables
from tests.conftest import run_cli

HOW_TO_ENABLE = (
    "install PostgreSQL's server (as root: apt-get install postgresql; `make test` does it "
    "when run as root)"
)
USER = "ledgerbridge"


def _unavailable(reason: str) -> None:
    message = f"no PostgreSQL server for the dbt-on-PostgreSQL tests: {reason}; {HOW_TO_ENABLE}"
    if os.environ.get("LEDGERBRIDGE_REQUIRE_POSTGRES") == "1":
        pytest.fail(message + " (LEDGERBRIDGE_REQUIRE_POSTGRES=1 requires it)")
    pytest.skip(message)


def _server_binaries() -> Path | None:
    """The folder of initdb and pg_ctl: on PATH, else Debian's /usr/lib/postgresql/<v>/bin."""
    on_path = shutil.which("pg_ctl")
    if on_path and shutil.which("initdb"):
        return Path(on_path).resolve().parent
    versions = sorted(
        Path("/usr/lib/postgresql").glob("*/bin/pg_ctl"),
        key=lambda p: int(p.parent.parent.name) if p.parent.parent.name.isdigit() else 0,
    )
    return versions[-1].parent if versions else None


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@dataclass
class PostgresServer:
    port: int

    def dsn(self, database: str = "postgres") -> str:
        return f"host=127.0.0.1 port={self.port} dbname={database} user={USER}"

    def create_database(self, name: str) -> str:
        """A new, empty database; byte-order collation (C), as DuckDB compares strings."""
        import psycopg2

        con = psycopg2.connect(self.dsn())
        try:
            con.autocommit = True
            with con.cursor() as cursor:
                cursor.execute(f'drop database if exists "{name}"')
                cursor.execute(
                    f"create database \"{name}\" template template0 encoding 'UTF8' "
                    "lc_collate 'C' lc_ctype 'C'"
                )
        finally:
            con.close()
        return self.dsn(name)


@pytest.fixture(scope="module")
def postgres() -> Iterator[PostgresServer]:
    """A PostgreSQL server of our own on a free localhost port, in a temporary folder."""
    binaries = _server_binaries()
    if binaries is None:
        _unavailable("initdb and pg_ctl were not found")
    assert binaries is not None
    run_as: list[str] = []
    folder = Path(tempfile.mkdtemp(prefix="ledgerbridge-pg-"))
    if os.geteuid() == 0:  # PostgreSQL refuses to run as root
        try:
            owner = pwd.getpwnam("postgres")
        except KeyError:
            shutil.rmtree(folder)
            _unavailable("running as root and there is no postgres user to run the server as")
        os.chown(folder, owner.pw_uid, owner.pw_gid)
        run_as = ["runuser", "-u", "postgres", "--"]
    data, log = folder / "data", folder / "server.log"

    def run(*command: str) -> None:
        done = subprocess.run(
            [*run_as, *command], capture_output=True, text=True, timeout=120, check=False
        )
        if done.returncode != 0:
            server_log = log.read_text(errors="replace")[-2000:] if log.exists() else ""
            raise RuntimeError(f"{command[0]} failed:\n{done.stdout}{done.stderr}{server_log}")

    run(
        str(binaries / "initdb"),
        "-D", str(data), "-U", USER, "--auth=trust", "-E", "UTF8", "--locale=C", "--no-sync",
    )  # fmt: skip
    for attempt in range(3):  # a free port may be taken before the server binds it
        port = _free_port()
        options = (
            f"-p {port} -k {folder} -c listen_addresses=127.0.0.1 "
            "-c fsync=off -c synchronous_commit=off -c full_page_writes=off"
        )
        try:
            run(str(binaries / "pg_ctl"), "-D", str(data), "-l", str(log), "-o", options,
                "-w", "start")  # fmt: skip
            break
        except RuntimeError:
            if attempt == 2:
                raise
    try:
        yield PostgresServer(port)
    finally:
        run(str(binaries / "pg_ctl"), "-D", str(data), "-m", "fast", "-w", "stop")
        shutil.rmtree(folder, ignore_errors=True)


# --- the loader ----------------------------------------------------------------------------


def _postgres_rows(dsn: str, sql: str) -> tuple[list[str], list[tuple]]:
    import psycopg2

    con = psycopg2.connect(dsn)
    try:
        with con.cursor() as cursor:
            cursor.execute(sql)
            return [column.name for column in cursor.description], cursor.fetchall()
    finally:
        con.close()


def test_copy_keeps_every_value_and_type_exactly(postgres: PostgresServer, tmp_path: Path) -> None:
    """Nulls stay nulls and empty strings empty; quotes, commas, new lines and Swedish letters,
    money with its scale, negative amounts, dates and instants with their zone arrive as
    they left; a copy again replaces the first one."""
    warehouse = tmp_path / "edge.duckdb"
    con = duckdb.connect(str(warehouse))
    con.execute("create schema raw_edge")
    con.execute(
        "create table raw_edge.items (id bigint, name varchar, amount decimal(18, 2), "
        "price decimal(18, 4), day date, booked_at timestamp with time zone, flag boolean)"
    )
    rows = [
        (1, "Åkesson, \"Bröd\" & Co\nrad två", Decimal("-1234.50"), Decimal("0.0001"),
         date(2024, 6, 30), datetime(2024, 6, 30, 22, 15, 1, 250000, tzinfo=UTC), True),
        (2, "", Decimal("0.00"), None, None, None, False),
        (3, None, None, Decimal("99999999999999.9999"), date(1999, 12, 31), None, None),
    ]  # fmt: skip
    con.executemany("insert into raw_edge.items values (?, ?, ?, ?, ?, ?, ?)", rows)
    con.execute("create schema raw_edge_staging")  # dlt's staging dataset: not copied
    con.execute("create table raw_edge_staging.items as select * from raw_edge.items")
    con.execute("create table raw_edge._dlt_loads (load_id varchar)")  # dlt's own: not copied
    con.close()

    dsn = postgres.create_database("edge")
    assert [(t.schema, t.table, t.rows) for t in copy_raw_tables(warehouse, dsn)] == [
        ("raw_edge", "items", 3)
    ]
    copy_raw_tables(warehouse, dsn)  # again: replaces, does not append

    _, copied = _postgres_rows(
        dsn, "select *, booked_at at time zone 'UTC' from raw_edge.items order by id"
    )
    assert [row[:6] for row in copied] == [row[:6] for row in rows]
    assert [row[6] for row in copied] == [row[6] for row in rows]
    assert copied[0][7] == datetime(2024, 6, 30, 22, 15, 1, 250000)  # the instant, in UTC
    assert str(copied[0][2]) == "-1234.50" and str(copied[1][2]) == "0.00"  # scale kept
    _, types = _postgres_rows(
        dsn,
        "select column_name, data_type, numeric_precision, numeric_scale "
        "from information_schema.columns where table_schema = 'raw_edge' "
        "and table_name = 'items' order by ordinal_position",
    )
    assert types == [
        ("id", "bigint", 64, 0),
        ("name", "text", None, None),
        ("amount", "numeric", 18, 2),
        ("price", "numeric", 18, 4),
        ("day", "date", None, None),
        ("booked_at", "timestamp with time zone", None, None),
        ("flag", "boolean", None, None),
    ]
    _, schemas = _postgres_rows(
        dsn, "select schema_name from information_schema.schemata where schema_name like 'raw%'"
    )
    assert schemas == [("raw_edge",)]


# --- the demo on PostgreSQL ----------------------------------------------------------------


@dataclass
class PostgresBuild:
    home: Path  # the DuckDB side: the demo home whose raw data was copied
    dsn: str
    returncode: int
    output: str
    results: dict[str, str]  # node unique_id → status
    incremental_returncode: int  # of the second build, of the incremental models only
    incremental_output: str


def _dbt_build(
    postgres: PostgresServer, database: str, sources: list[str], work: Path, *select: str
) -> Any:
    env = dict(
        os.environ,
        DBT_PROFILES_DIR=str(DBT_PROJECT_DIR),
        DBT_TARGET_PATH=str(work / "target"),
        DBT_LOG_PATH=str(work / "logs"),
        DBT_SEND_ANONYMOUS_USAGE_STATS="false",
        LEDGERBRIDGE_PG_HOST="127.0.0.1",
        LEDGERBRIDGE_PG_PORT=str(postgres.port),
        LEDGERBRIDGE_PG_USER=USER,
        LEDGERBRIDGE_PG_DATABASE=database,
    )
    env.pop("LEDGERBRIDGE_WAREHOUSE", None)  # the duckdb target is not the one used
    return subprocess.run(
        [sys.executable, "-c", "from dbt.cli.main import cli; cli()", "build",
         "--target", "postgres", "--vars", json.dumps({"ledgerbridge_sources": sources}),
         *(["--select", *select] if select else [])],
        cwd=DBT_PROJECT_DIR, env=env, capture_output=True, text=True, timeout=1200, check=False,
    )  # fmt: skip


def _statuses(run_results: Path) -> dict[str, str]:
    results = json.loads(run_results.read_text(encoding="utf-8"))["results"]
    return {result["unique_id"]: result["status"] for result in results}


@pytest.fixture(scope="module")
def sie_demo_home(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    """The demo with its books as SIE files and its ERP as export files, July–June years:
    the staging models of those sources, which the default demo leaves unbuilt."""
    home = tmp_path_factory.mktemp("sie-demo") / "home"
    try:
        result = run_cli(
            "demo", "--no-serve", "--erp", "files", "--accounting", "sie", "--broken-year",
            home=home, timeout=1500,
        )  # fmt: skip
        assert result.returncode == 0, result.output
        yield home
    finally:
        run_cli("sandbox", "down", home=home)


@pytest.fixture(scope="module", params=["tryton-fortnox", "files-sie"])
def demo_on_postgres(
    request: pytest.FixtureRequest,
    postgres: PostgresServer,
    tmp_path_factory: pytest.TempPathFactory,
) -> PostgresBuild:
    """A demo's raw data copied into a fresh database, and `dbt build --target postgres`:
    the default demo (Tryton and Fortnox) and the one of files and SIE. Then the incremental
    models once more, on unchanged data: their incremental branch runs on PostgreSQL too, and
    the marts compared afterwards are the ones it left."""
    home = request.getfixturevalue(
        "demo_home" if request.param == "tryton-fortnox" else "sie_demo_home"
    )
    database = request.param.replace("-", "_")
    work = tmp_path_factory.mktemp(f"postgres-build-{request.param}")
    dsn = postgres.create_database(database)
    copy_raw_tables(home / "warehouse.duckdb", dsn)
    sources = present_sources(Paths(home))
    completed = _dbt_build(postgres, database, sources, work)
    run_results = work / "target" / "run_results.json"
    results = _statuses(run_results) if run_results.exists() else {}
    again = _dbt_build(postgres, database, sources, work, "config.materialized:incremental")
    return PostgresBuild(
        home,
        dsn,
        completed.returncode,
        completed.stdout[-6000:] + completed.stderr[-2000:],
        results,
        again.returncode,
        again.stdout[-6000:] + again.stderr[-2000:],
    )


def test_dbt_build_on_postgres_passes_what_it_passes_on_duckdb(
    demo_on_postgres: PostgresBuild,
) -> None:
    """Every seed, model, data test and unit test that the demo's DuckDB build ran, the
    PostgreSQL build runs too, and each passes."""
    build = demo_on_postgres
    assert build.returncode == 0, build.output
    # the demo's own build, on DuckDB
    duckdb_nodes = _statuses(Paths(build.home).dbt_target / "run_results.json")
    assert set(build.results) == set(duckdb_nodes)
    failing = {
        node: status
        for node, status in build.results.items()
        if status not in ("success", "pass") and not node.startswith("exposure.")
    }
    assert failing == {}, build.output
    kinds = {node.split(".")[0] for node in build.results}
    assert {"seed", "model", "test", "unit_test"} <= kinds
    assert build.incremental_returncode == 0, build.incremental_output


def _comparable(value: Any) -> Any:
    """Money and every decimal by its digits and scale (1.50 is not 1.5); instants in UTC."""
    if isinstance(value, Decimal):
        return ("decimal", str(value))
    if isinstance(value, datetime) and value.tzinfo is not None:
        return value.astimezone(UTC)
    return value


def _sort_key(row: tuple) -> tuple:
    return tuple((value is None, type(value).__name__, str(value)) for value in row)


def _rows_equal(duck: list[tuple], pg: list[tuple]) -> bool:
    if len(duck) != len(pg):
        return False
    for left, right in zip(sorted(duck, key=_sort_key), sorted(pg, key=_sort_key), strict=True):
        for a, b in zip(left, right, strict=True):
            if isinstance(a, float) and isinstance(b, float):
                if not math.isclose(a, b, rel_tol=1e-12, abs_tol=1e-12):
                    return False
            elif a != b:
                return False
    return True


def test_marts_on_postgres_equal_the_duckdb_marts_row_for_row(
    demo_on_postgres: PostgresBuild,
) -> None:
    """Each table of the marts schema, its columns in order and every row, money compared as
    Decimal with its scale. Columns whose name starts with an underscore describe the build
    that wrote the row (fct_gl_entries' _batch_id is dbt's invocation id), not the books: they
    must exist on both, their values are not compared."""
    assert demo_on_postgres.returncode == 0, demo_on_postgres.output
    con = duckdb.connect(str(demo_on_postgres.home / "warehouse.duckdb"), read_only=True)
    try:
        tables = [
            table
            for (table,) in con.execute(
                "select table_name from information_schema.tables "
                "where table_schema = 'marts' order by table_name"
            ).fetchall()
        ]
        marts = {}
        for table in tables:
            result = con.execute(f'select * from marts."{table}"')
            marts[table] = ([c[0] for c in result.description], result.fetchall())
    finally:
        con.close()
    for table in ("fct_gl_entries", "rpt_trial_balance", "rpt_income_statement", "rec_findings"):
        assert marts[table][1], f"marts.{table} is empty on the demo: nothing compared"
    _, pg_tables = _postgres_rows(
        demo_on_postgres.dsn,
        "select table_name from information_schema.tables where table_schema = 'marts' "
        "order by table_name",
    )
    assert [table for (table,) in pg_tables] == tables
    differing = []
    for table, (columns, rows) in marts.items():
        pg_columns, pg_rows = _postgres_rows(demo_on_postgres.dsn, f'select * from marts."{table}"')
        assert pg_columns == columns, table
        compared = [i for i, column in enumerate(columns) if not column.startswith("_")]
        duck = [tuple(_comparable(row[i]) for i in compared) for row in rows]
        pg = [tuple(_comparable(row[i]) for i in compared) for row in pg_rows]
        if not _rows_equal(duck, pg):
            only_duck = set(map(str, duck)) - set(map(str, pg))
            only_pg = set(map(str, pg)) - set(map(str, duck))
            differing.append((table, sorted(only_duck)[:3], sorted(only_pg)[:3]))
    assert differing == []


def test_every_raw_table_of_the_demo_arrives_whole(
    demo_on_postgres: PostgresBuild,
) -> None:
    """Row counts and column types of every raw table, as the loader maps them."""
    con = duckdb.connect(str(demo_on_postgres.home / "warehouse.duckdb"), read_only=True)
    try:
        expected = {}
        for schema, table in raw_tables(con):
            types = con.execute(
                "select column_name, data_type from information_schema.columns "
                "where table_schema = ? and table_name = ? order by ordinal_position",
                [schema, table],
            ).fetchall()
            (count,) = con.execute(f'select count(*) from {schema}."{table}"').fetchone()
            expected[(schema, table)] = (count, [(c, postgres_type(t)) for c, t in types])
    finally:
        con.close()
    schemas = {schema for schema, _ in expected}
    assert schemas >= {"raw_bank", "raw_einvoice"}
    assert schemas >= {"raw_tryton", "raw_fortnox"} or schemas >= {"raw_sie", "raw_erp_files"}
    for (schema, table), (count, types) in expected.items():
        name = f'{schema}."{table}"'
        _, ((pg_count,),) = _postgres_rows(demo_on_postgres.dsn, f"select count(*) from {name}")
        _, pg_types = _postgres_rows(
            demo_on_postgres.dsn,
            "select attname, format_type(atttypid, atttypmod) from pg_attribute "
            f"where attrelid = '{name}'::regclass and attnum > 0 and not attisdropped "
            "order by attnum",
        )
        assert (pg_count, pg_types) == (count, types), name
