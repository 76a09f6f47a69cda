"""Transactional state in ``state.sqlite``: the run history every command appends to.

SQLite in WAL mode, not DuckDB: this is small, transactional bookkeeping that the dashboards and
the scheduler read while the warehouse is being written. Later issues add the reverse-ETL outbox,
approvals, schedules and tokens here.
"""

from __future__ import annotations

import contextlib
import json
import sqlite3
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime

from ledgerbridge.config import Paths

_SCHEMA = """
create table if not exists runs (
    run_id integer primary key autoincrement,
    step text not null,             -- ingest | build | publish | demo
    company_id text,
    started_at text not null,       -- ISO 8601, UTC
    finished_at text,
    status text not null,           -- running | ok | failed
    summary text not null default '{}'  -- JSON: what the step did (row counts, files, nodes)
);
create index if not exists runs_step on runs (step, run_id);
"""


def connect(paths: Paths) -> sqlite3.Connection:
    paths.ensure()
    con = sqlite3.connect(paths.state, timeout=30)
    con.execute("pragma journal_mode=wal")
    con.executescript(_SCHEMA)
    return con


def _now() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds")


@dataclass
class RunRecord:
    run_id: int
    summary: dict


@contextlib.contextmanager
def recorded_run(paths: Paths, step: str, company_id: str | None = None) -> Iterator[RunRecord]:
    """Record a run: 'running' on entry, then 'ok' with its summary or 'failed' with the reason."""
    con = connect(paths)
    try:
        with con:
            cursor = con.execute(
                "insert into runs (step, company_id, started_at, status) values (?, ?, ?, ?)",
                (step, company_id, _now(), "running"),
            )
        record = RunRecord(int(cursor.lastrowid), {})
        try:
            yield record
        except BaseException as exc:
            record.summary.setdefault("error", str(exc) or type(exc).__name__)
            with con:
                con.execute(
                    "update runs set finished_at = ?, status = 'failed', summary = ? "
                    "where run_id = ?",
                    (_now(), json.dumps(record.summary, default=str), record.run_id),
                )
            raise
        with con:
            con.execute(
                "update runs set finished_at = ?, status = 'ok', summary = ? where run_id = ?",
                (_now(), json.dumps(record.summary, default=str), record.run_id),
            )
    finally:
        con.close()


@dataclass(frozen=True)
class RunRow:
    run_id: int
    step: str
    company_id: str | None
    started_at: str
    finished_at: str | None
    status: str
    summary: dict


def last_runs(paths: Paths) -> dict[str, RunRow]:
    """The latest run of each step."""
    if not paths.state.exists():
        return {}
    con = connect(paths)
    try:
        rows = con.execute(
            "select run_id, step, company_id, started_at, finished_at, status, summary from runs "
            "where run_id in (select max(run_id) from runs group by step) order by run_id"
        ).fetchall()
    finally:
        con.close()
    return {row[1]: RunRow(*row[:6], json.loads(row[6] or "{}")) for row in rows}
