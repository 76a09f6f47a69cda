"""Build the warehouse models with dbt, as a subprocess under the writer lock.

dbt runs in its own process so that it is the only one holding warehouse.duckdb open while it
writes; we read its JSON log lines to show progress and to report failures in a few lines.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import re
import subprocess
import sys
from collections.abc import Callable
from dataclasses import dataclass, field
from importlib import metadata
from pathlib import Path

import duckdb

from ledgerbridge.changed_sources import (
    LEDGER_COMPANIES,
    LEDGER_PARTITIONS,
    BuiltFrom,
    Fingerprints,
    Partition,
    changed_partitions,
    changed_tables,
    ledger_source_tables,
    missing_models,
    raw_fingerprints,
    source_selectors,
)
from ledgerbridge.config import DBT_PROJECT_DIR, Paths, find_config_file, load_settings
from ledgerbridge.errors import BuildError, ConfigError, NotReadyError
from ledgerbridge.state import recorded_run
from ledgerbridge.warehouse import connect_warehouse, writer_lock

_ANSI = re.compile(r"\x1b\[[0-9;]*m")
_DBT = "from dbt.cli.main import cli; cli(prog_name='dbt')"


@dataclass
class BuildResult:
    nodes: int = 0
    passed: int = 0
    failed: int = 0
    skipped: int = 0
    seconds: float = 0.0
    errors: list[str] = field(default_factory=list)
    #: whether dbt's unit tests were left out (the code has not changed since they passed)
    unit_tests_skipped: bool = False
    #: when only what reads changed raw data was built: those raw tables (``dataset.table``);
    #: None for a complete build, or one limited by ``select``
    changed_tables: list[str] | None = None
    #: in such a build, the parts of the books (company, fiscal year start or None for all
    #: years) whose raw vouchers changed: the ledger layer rebuilt those alone, and the data
    #: tests that can check those alone did so
    changed_partitions: list[Partition] | None = None


Progress = Callable[[int, int, str], None]


#: set for a build after new data: the parts of the books whose raw vouchers changed, as JSON
#: (macros/changed_partitions.sql); unset, the ledger layer is rebuilt whole and every data
#: test checks every row
CHANGED_PARTITIONS_ENV = "LEDGERBRIDGE_CHANGED_PARTITIONS"


def dbt_environment(paths: Paths) -> dict[str, str]:
    """The environment dbt needs: where the warehouse is, where its own files go, no telemetry."""
    env = dict(os.environ)
    # only `ledgerbridge build` knows what changed since a build that passed
    env.pop(CHANGED_PARTITIONS_ENV, None)
    env.update(
        LEDGERBRIDGE_WAREHOUSE=str(paths.warehouse),
        DBT_PROFILES_DIR=str(DBT_PROJECT_DIR),
        DBT_PROJECT_DIR=str(DBT_PROJECT_DIR),
        DBT_LOG_PATH=str(paths.logs / "dbt"),
        DBT_TARGET_PATH=str(paths.dbt_target),
        DBT_SEND_ANONYMOUS_USAGE_STATS="false",
    )
    return env


def run_dbt(
    paths: Paths,
    args: list[str],
    progress: Progress | None = None,
    environment: dict[str, str] | None = None,
) -> BuildResult:
    """Run a dbt command and digest its JSON log. Does not take the lock: callers do."""
    command = [sys.executable, "-c", _DBT, *args, "--log-format", "json"]
    result = BuildResult()
    done = 0
    raw_errors: list[str] = []
    process = subprocess.Popen(
        command,
        cwd=DBT_PROJECT_DIR,
        env={**dbt_environment(paths), **(environment or {})},
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    assert process.stdout is not None
    for line in process.stdout:
        try:
            event = json.loads(line)
        except ValueError:
            if line.strip():
                raw_errors.append(_ANSI.sub("", line.rstrip()))
            continue
        info, data = event.get("info", {}), event.get("data", {})
        name = info.get("name", "")
        if name == "ConcurrencyLine":
            result.nodes = int(data.get("node_count", 0))
        elif name.endswith("Result") or name == "SkippingDetails":
            done += 1
            if progress:
                node = data.get("node_info", {}).get("node_name", "")
                progress(done, max(result.nodes, done), node)
        elif name == "StatsLine":
            stats = data.get("stats", {})
            result.passed = int(stats.get("pass", 0)) + int(stats.get("noop", 0))
            result.failed = int(stats.get("error", 0)) + int(stats.get("fail", 0))
            result.skipped = int(stats.get("skip", 0))
            result.nodes = int(stats.get("total", result.nodes))
        elif name == "FinishedRunningStats":
            result.seconds = float(data.get("execution_time", 0.0))
        if info.get("level") == "error":
            message = _ANSI.sub("", info.get("msg", "")).strip()
            if message and message not in result.errors:
                result.errors.append(message)
    process.wait()
    if process.returncode != 0 and not result.errors:
        result.errors = raw_errors[-20:] or [f"dbt exited with code {process.returncode}"]
    if process.returncode != 0:
        result.failed = max(result.failed, 1)
    return result


#: raw dataset → the name the dbt models test for (macro ledgerbridge_source)
RAW_DATASETS = {
    "raw_sie": "sie",
    "raw_erp_files": "erp_files",
    "raw_tryton": "tryton",
    "raw_bank": "bank",
    "raw_einvoice": "einvoice",
    "raw_mapped": "mapped",
    "raw_fortnox": "fortnox",
    "raw_budget": "budget",
}


def dbt_variables(paths: Paths, sources: list[str]) -> str:
    """The vars every dbt command of this home gets: the sources present (they enable
    models) and the field owners the configuration sets ([reverse_etl.field_owners]; the
    seed reverse_etl_field_owners holds the defaults)."""
    variables: dict[str, object] = {"ledgerbridge_sources": sources}
    try:
        config = find_config_file(paths)
    except ConfigError:  # a warehouse worked on without a configuration: the defaults
        return json.dumps(variables)
    owners = load_settings(paths, config).reverse_etl.field_owners
    if owners:
        variables["field_owners"] = [
            {"object": thing, "field": name, "owner": owner} for thing, name, owner in owners
        ]
    return json.dumps(variables)


def present_sources(paths: Paths) -> list[str]:
    """The sources whose raw data is in the warehouse: models of the others are disabled."""
    con = connect_warehouse(paths, read_only=True)
    try:
        return _present_sources(con)
    finally:
        con.close()


def _present_sources(con: duckdb.DuckDBPyConnection) -> list[str]:
    schemas = {
        schema
        for (schema,) in con.execute(
            # dlt's own tables alone (a first load that failed) are not data
            "select distinct table_schema from information_schema.tables "
            "where table_name not like '\\_dlt%' escape '\\'"
        ).fetchall()
    }
    return sorted(name for dataset, name in RAW_DATASETS.items() if dataset in schemas)


def _read_raw(paths: Paths) -> tuple[list[str], Fingerprints, set[tuple[str, str]]]:
    """The sources present, the fingerprint of each of their raw tables, and every
    (schema, table) the warehouse holds."""
    con = connect_warehouse(paths, read_only=True)
    try:
        sources = _present_sources(con)
        datasets = [dataset for dataset, name in RAW_DATASETS.items() if name in sources]
        relations = {
            (schema, table)
            for schema, table in con.execute(
                "select table_schema, table_name from information_schema.tables"
            ).fetchall()
        }
        return sources, raw_fingerprints(con, datasets), relations
    finally:
        con.close()


#: what a dbt unit test's outcome depends on: the project's code, not the warehouse's data
_CODE_FOLDERS = ("models", "macros", "tests", "seeds")
_CODE_FILES = ("dbt_project.yml", "profiles.yml")


def project_fingerprint(variables: str) -> str:
    """A hash of the dbt project's code, the vars it is built with (they enable models) and
    the versions of dbt, DuckDB and the adapters: what decides whether its unit tests pass
    and whether what an earlier build wrote is what this one would."""
    from dbt.version import __version__ as dbt_version

    # the engine and adapters too: the ledger layer keeps parts built by an earlier build
    engines = []
    for package in ("duckdb", "dbt-duckdb", "dbt-postgres"):
        with contextlib.suppress(metadata.PackageNotFoundError):
            engines.append(f"{package}={metadata.version(package)}")
    digest = hashlib.sha256(f"{dbt_version}\0{' '.join(engines)}\0{variables}\0".encode())
    files = [DBT_PROJECT_DIR / name for name in _CODE_FILES]
    for folder in _CODE_FOLDERS:
        files += sorted(p for p in (DBT_PROJECT_DIR / folder).rglob("*") if p.is_file())
    for path in files:
        if path.exists():
            digest.update(str(path.relative_to(DBT_PROJECT_DIR)).encode() + b"\0")
            digest.update(path.read_bytes() + b"\0")
    return digest.hexdigest()


def build(
    paths: Paths,
    *,
    select: str | None = None,
    everything: bool = False,
    progress: Progress | None = None,
    command: str = "ledgerbridge build",
) -> BuildResult:
    """``dbt build``: seeds, models and every data test, under the writer lock.

    When the dbt project is the one the last complete build ran, only the nodes that read raw
    tables changed since then are built (decision 0028); ``everything`` builds all of them
    again, ``select`` exactly what it selects. dbt's unit tests check the models' SQL on fixed
    inputs, so their outcome changes only with the code: they run when the project (or dbt, or
    the set of sources) changed since the last build that passed them (decision 0027).
    """
    with writer_lock(paths, command), recorded_run(paths, "build") as run:
        if not paths.warehouse.exists():
            raise NotReadyError(
                f"no warehouse at {paths.warehouse}", hint="run `ledgerbridge ingest` first"
            )
        sources, raw, relations = _read_raw(paths)
        variables = dbt_variables(paths, sources)
        fingerprint = project_fingerprint(variables)
        args = ["build", "--vars", variables]
        changed: list[str] | None = None
        partitions: list[Partition] | None = None
        environment: dict[str, str] = {}
        if select:
            args += ["--select", select]
        elif not everything:
            changed, selectors, partitions = _changed_since_last_build(
                paths, fingerprint, raw, relations
            )
            if partitions is not None:
                environment[CHANGED_PARTITIONS_ENV] = json.dumps(partitions)
            if changed is not None and not selectors:
                run.summary.update(nodes=0, changed_tables=changed, built="nothing changed")
                return BuildResult(changed_tables=changed)
            if selectors:
                args += ["--select", *selectors]
        passed_file = paths.dbt_target / "unit_tests_passed.sha256"
        unit_tests_known = passed_file.exists() and passed_file.read_text() == fingerprint
        if unit_tests_known:
            args += ["--exclude-resource-type", "unit_test"]
        # a build that fails part way leaves models built from data that neither the record
        # nor a later state of the raw tables describes: only a build that passed records
        BuiltFrom.forget(paths.dbt_target)
        result = run_dbt(paths, args, progress, environment)
        result.unit_tests_skipped = unit_tests_known
        result.changed_tables = changed
        result.changed_partitions = partitions
        if not result.failed and not select:
            BuiltFrom(fingerprint, raw.tables, raw.partitions).write(paths.dbt_target)
            if not unit_tests_known:
                passed_file.write_text(fingerprint)
        run.summary.update(
            nodes=result.nodes,
            passed=result.passed,
            failed=result.failed,
            seconds=round(result.seconds, 2),
            unit_tests="skipped: code unchanged" if unit_tests_known else "run",
            built="complete" if changed is None else f"what reads {len(changed)} changed tables",
            tested="every row"
            if partitions is None
            else f"the ledger layer and its tests: {len(partitions)} changed parts of the books",
        )
        if result.failed:
            log = Path(paths.logs / "dbt" / "dbt.log")
            records = failing_records(paths)
            raise BuildError(
                f"dbt build failed ({result.failed} of {result.nodes} nodes):\n  "
                + "\n  ".join(_summarise(result.errors))
                + "".join(
                    f"\n  {test} failed on:" + "".join(f"\n    {row}" for row in rows)
                    for test, rows in records.items()
                ),
                hint=f"the marts were not published; dbt's full log is in {log}",
            )
    return result


#: failing records shown per failed data test, and failed tests whose records are shown
_SHOWN = 3
_TESTS_SHOWN = 5


def failing_records(paths: Paths) -> dict[str, list[str]]:
    """The first records each failed data test of the last dbt run found, one line each
    (``voucher_id=… off_by=…``, then ``… and more`` if there are): the vouchers, invoices or
    periods to look at, without opening dbt's log. A test's compiled query selects exactly
    those records; it is run again on the warehouse now that dbt has finished. A test whose
    query no longer runs (a table its failure left unbuilt) shows none."""
    try:
        results = json.loads((paths.dbt_target / "run_results.json").read_text())["results"]
    except (OSError, ValueError, KeyError, TypeError):
        return {}
    failed = [
        result
        for result in results
        if str(result.get("unique_id", "")).startswith("test.")
        and result.get("status") == "fail"
        and result.get("compiled_code")
    ][:_TESTS_SHOWN]
    if not failed:
        return {}
    records: dict[str, list[str]] = {}
    con = connect_warehouse(paths, read_only=True)
    try:
        for result in failed:
            try:
                cursor = con.execute(
                    f"select * from ({result['compiled_code']}) as failing limit {_SHOWN + 1}"
                )
                columns = [column[0] for column in cursor.description]
                rows = cursor.fetchall()
            except duckdb.Error:
                continue
            shown = [
                " ".join(
                    f"{name}={_shown_value(value)}"
                    for name, value in zip(columns, row, strict=True)
                )
                for row in rows[:_SHOWN]
            ]
            records[result["unique_id"].split(".")[2]] = shown + (
                ["... and more"] if len(rows) > _SHOWN else []
            )
    finally:
        con.close()
    return records


def _shown_value(value: object) -> str:
    text = "null" if value is None else str(value)
    return text if len(text) <= 60 else text[:57] + "..."


def _changed_since_last_build(
    paths: Paths, fingerprint: str, raw: Fingerprints, relations: set[tuple[str, str]]
) -> tuple[list[str] | None, list[str], list[Partition] | None]:
    """The raw tables changed since the last complete build, the selectors of what reads
    them and the parts of the books whose ledger data changed; (None, [], None) when
    everything must be built and tested: no build passed yet, the project changed since, or
    a model's table is gone from the warehouse. The parts are None when the record predates
    them: the build's tests then check every row."""
    last = BuiltFrom.read(paths.dbt_target)
    if last is None or last.project != fingerprint:
        return None, [], None
    manifest = paths.dbt_target / "manifest.json"
    changed = changed_tables(last.raw, raw.tables)
    selectors = source_selectors(manifest, changed)
    missing = missing_models(manifest, relations)
    if selectors is None or missing is None or missing:
        return None, [], None
    return changed, selectors, _changed_partitions(last, raw, changed, manifest)


def _changed_partitions(
    last: BuiltFrom, raw: Fingerprints, changed: list[str], manifest: Path
) -> list[Partition] | None:
    """The parts of the books whose raw vouchers changed, when every changed table the
    ledger layer reads is one whose parts are known; None (read and test everything) when
    not: a record from before parts were kept, a ledger table without its part columns, or
    a model of the ledger layer that came to read another raw table."""
    if last.partitions is None:
        return None
    reads = ledger_source_tables(manifest)
    known = set(LEDGER_PARTITIONS) | set(LEDGER_COMPANIES)
    if reads is None or any(
        table in raw.unpartitioned or (table in reads and table not in known) for table in changed
    ):
        return None
    return changed_partitions(last.partitions, raw.partitions)


#: dbt commands that read the ``ledgerbridge_sources`` var (the others ignore or refuse it)
_TAKES_VARS = {"build", "run", "test", "compile", "seed", "show", "list", "ls", "snapshot", "docs"}


def dbt_command(paths: Paths, args: list[str], command: str = "ledgerbridge dbt") -> int:
    """Any dbt command on this home's warehouse, as an analytics engineer types it, under the
    writer lock and with the sources present (so that models of absent sources stay
    disabled, as in ``ledgerbridge build``); dbt's own output goes to the terminal."""
    if not args:
        raise BuildError(
            "no dbt command given", hint="for example: ledgerbridge dbt build -s fct_gl_entries+"
        )
    with writer_lock(paths, command):
        if not paths.warehouse.exists():
            raise NotReadyError(
                f"no warehouse at {paths.warehouse}", hint="run `ledgerbridge ingest` first"
            )
        # what dbt does by hand is not in the record of the last build: the next is complete
        BuiltFrom.forget(paths.dbt_target)
        full = list(args)
        if args[0] in _TAKES_VARS and "--vars" not in args:
            full += ["--vars", dbt_variables(paths, present_sources(paths))]
        completed = subprocess.run(
            [sys.executable, "-c", _DBT, *full],
            cwd=DBT_PROJECT_DIR,
            env=dbt_environment(paths),
            check=False,
        )
    return completed.returncode


def _summarise(errors: list[str]) -> list[str]:
    """dbt repeats each failure (once as it happens, once in the summary); keep the summary."""
    lines: list[str] = []
    for message in errors:
        first = message.splitlines()[0] if message else ""
        if (
            first.startswith(
                ("Failure in", "Error in", "Runtime Error", "Database Error", "Compilation Error")
            )
            or not lines
        ):
            lines.append(" ".join(message.split())[:400])
    return lines[:15]
