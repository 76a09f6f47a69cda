"""What ``ledgerbridge status`` shows: runs, loaded sources and row counts, the published snapshot.

It never waits for or disturbs a writer: the warehouse is read only when the writer lock is
free (taken for the moment of reading), otherwise the run history says what is known.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path

import duckdb

from ledgerbridge import state
from ledgerbridge.build import RAW_DATASETS
from ledgerbridge.config import Paths
from ledgerbridge.errors import LockHeldError
from ledgerbridge.warehouse import (
    PUBLISH_INFO_TABLE,
    connect_warehouse,
    read_lock_holder,
    writer_lock,
)

#: every source's raw dataset (the list build uses to know which sources are present)
RAW_SCHEMAS = tuple(RAW_DATASETS)


@dataclass(frozen=True)
class RunLine:
    step: str
    status: str
    started_at: str
    finished_at: str | None
    brief: str


@dataclass
class StatusReport:
    runs: list[RunLine] = field(default_factory=list)
    raw_tables: list[tuple[str, str, int]] = field(default_factory=list)
    sources: list[tuple[str, str, str, str]] = field(default_factory=list)
    published_at: str | None = None
    published_tables: list[tuple[str, int]] = field(default_factory=list)
    lock_holder: str | None = None
    #: (company, file as it was named, where it is now, why) for every quarantined file
    quarantined: list[tuple[str, str, str, str]] = field(default_factory=list)
    #: "url (database), pid N" of the running sandbox ERP
    sandbox_erp: str | None = None
    #: "url, pid N" of the running Fortnox sandbox
    sandbox_fortnox: str | None = None
    #: (company, kind, document, severity, details) of each published reconciliation finding
    findings: list[tuple[str, str, str, str, str]] = field(default_factory=list)


def _brief(run: state.RunRow) -> str:
    s = run.summary
    if run.status == "failed":
        return "failed: " + str(s.get("error", ""))[:120].replace("\n", " ")
    if run.step == "ingest":
        return f"{len(s.get('loaded', []))} loaded, {len(s.get('unchanged', []))} unchanged"
    if run.step == "build":
        return f"{s.get('passed', 0)}/{s.get('nodes', 0)} nodes passed in {s.get('seconds', 0)} s"
    if run.step == "publish":
        return f"{len(s.get('tables', {}))} tables"
    return ""


def collect_status(paths: Paths) -> StatusReport:
    from sandbox.fortnox import running as fortnox_running
    from sandbox.tryton.server import running

    report = StatusReport()
    erp = running(paths)
    if erp is not None:
        report.sandbox_erp = f"{erp.url} (database {erp.database}), pid {erp.pid}"
    books = fortnox_running.running(paths)
    if books is not None:
        report.sandbox_fortnox = f"{books.url}, pid {books.pid}"
    for run in state.last_runs(paths).values():
        report.runs.append(
            RunLine(run.step, run.status, run.started_at, run.finished_at, _brief(run))
        )
    if paths.warehouse.exists():
        try:
            with writer_lock(paths, "ledgerbridge status"):
                _read_warehouse(paths, report)
        except LockHeldError:
            holder = read_lock_holder(paths)
            report.lock_holder = holder.describe() if holder else "another process"
    report.quarantined = quarantined_files(paths)
    if paths.serving.exists():
        con = duckdb.connect(str(paths.serving), read_only=True)
        try:
            published_at, tables = con.execute(
                f"select cast(published_at as varchar), tables from {PUBLISH_INFO_TABLE}"
            ).fetchone()
            report.published_at = published_at
            report.published_tables = sorted(json.loads(tables).items())
            if "rec_findings" in dict(report.published_tables):
                report.findings = con.execute(
                    "select company_id, kind, document, severity, details from rec_findings "
                    "order by company_id, case severity when 'high' then 0 when 'medium' "
                    "then 1 else 2 end, kind, document"
                ).fetchall()
        finally:
            con.close()
    return report


def quarantined_files(paths: Paths) -> list[tuple[str, str, str, str]]:
    """(company, original path, where it is now, why) for each file still in quarantine."""
    found = []
    for path in sorted(paths.quarantine.glob("*/*.report.json")):
        try:
            body = json.loads(path.read_text(encoding="utf-8"))
            entry = (body["company_id"], body["file"], body["moved_to"], body["reason"]["message"])
        except (OSError, ValueError, KeyError, TypeError):
            continue
        if Path(entry[2]).exists():  # a file put back for another try no longer counts
            found.append(entry)
    return found


def _read_warehouse(paths: Paths, report: StatusReport) -> None:
    con = connect_warehouse(paths, read_only=True)
    try:
        tables = con.execute(
            "select table_schema, table_name from information_schema.tables "
            "where table_schema in (select unnest(?)) "
            "and table_name not like '\\_dlt%' escape '\\' order by 1, 2",
            [list(RAW_SCHEMAS)],
        ).fetchall()
        for schema, table in tables:
            rows = con.execute(f'select count(*) from {schema}."{table}"').fetchone()[0]
            report.raw_tables.append((schema, table, rows))
        report.sources = source_freshness(con)
    finally:
        con.close()


def source_freshness(con, database: str | None = None) -> list[tuple[str, str, str, str]]:
    """(company, source, what was read, when: ISO text to the second) of every source the
    warehouse has data from; ``database`` names an attached warehouse."""
    prefix = f"{database}." if database else ""
    # loaded_at is a moment: spelled out in UTC, whatever zone the server runs in
    con.execute("set TimeZone = 'UTC'")
    names = set(
        con.execute(
            "select schema_name, table_name from duckdb_tables() "
            "where database_name = coalesce(?, current_database())",
            [database],
        ).fetchall()
    )
    sources: list[tuple[str, str, str, str]] = []
    if ("raw_sie", "files") in names:
        for company, name, loaded in con.execute(
            "select company_id, file_name, cast(loaded_at as varchar) "
            f"from {prefix}raw_sie.files order by company_id, file_name"
        ).fetchall():
            sources.append((company, "sie", name, loaded[:19]))
    if ("raw_erp_files", "exports") in names:
        for company, system, exported, loaded in con.execute(
            "select company_id, system, exported_at, cast(loaded_at as varchar) "
            f"from {prefix}raw_erp_files.exports order by loaded_at"
        ).fetchall():
            sources.append((company, "erp_files", f"{system} export of {exported}", loaded[:19]))
    if ("raw_tryton", "sync_state") in names:
        for company, changed, synced in con.execute(
            "select company_id, max(high_water_mark), cast(max(synced_at) as varchar) "
            f"from {prefix}raw_tryton.sync_state group by company_id order by company_id"
        ).fetchall():
            sources.append(
                (company, "tryton", f"changes up to {changed:%Y-%m-%d %H:%M}", synced[:19])
            )
    if ("raw_fortnox", "sync_state") in names:
        for company, synced, vouchers in con.execute(
            "select company_id, cast(max(synced_at) as varchar), "
            f"(select count(*) from {prefix}raw_fortnox.vouchers as v "
            "where v.company_id = s.company_id) "
            f"from {prefix}raw_fortnox.sync_state as s group by company_id order by company_id"
        ).fetchall():
            sources.append(
                (company, "fortnox", f"read through the API ({vouchers:,} vouchers)", synced[:19])
            )
    for schema, source in FILE_SOURCES.items():
        if (schema, "files") not in names:
            continue
        for company, latest, files, loaded in con.execute(
            "select company_id, arg_max(file_name, loaded_at), count(*), "
            f"cast(max(loaded_at) as varchar) from {prefix}{schema}.files "
            "group by company_id order by company_id"
        ).fetchall():
            sources.append((company, source, f"{files} files, the latest {latest}", loaded[:19]))
    return sources


#: sources that arrive as files, each listed in its schema's ``files`` table
FILE_SOURCES = {
    "raw_bank": "bank",
    "raw_einvoice": "einvoice",
    "raw_budget": "budget",
    "raw_mapped": "mapped",
}
