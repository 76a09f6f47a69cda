"""The warehouse files: the writer lock, connections, and publishing the serving snapshot.

DuckDB lets one process write a database file, and even a read-only connection from another
process blocks that writer. So every write (dlt load, dbt build, publish) happens under one file
lock, and the dashboards never open ``warehouse.duckdb``: they read ``serving.duckdb``, a copy of
the marts that ``publish`` writes to a new file and renames into place.
"""

from __future__ import annotations

import contextlib
import fcntl
import json
import os
import re
import socket
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import duckdb

from ledgerbridge.config import Paths
from ledgerbridge.errors import LedgerbridgeError, LockHeldError, NotReadyError
from ledgerbridge.forecast import write_forecasts
from ledgerbridge.state import last_runs, recorded_run

#: Schemas whose tables are copied to serving.duckdb: what dashboards and syncs may read.
PUBLISHED_SCHEMAS = ("marts",)
PUBLISH_INFO_TABLE = "_ledgerbridge_publish"
#: tables published in an order that lets DuckDB skip row groups for the dashboards' most
#: common filters (a huvudbok account over a date range)
PUBLISH_ORDER = {"fct_gl_entries": "company_id, account_number, voucher_date"}
#: per company and source, when the data in the snapshot was read from it
SOURCES_TABLE = "_ledgerbridge_sources"

_local = threading.local()


@dataclass(frozen=True)
class LockHolder:
    pid: int
    command: str
    host: str
    since: str

    def describe(self) -> str:
        return f"pid {self.pid} on {self.host} (`{self.command}`, since {self.since})"


def read_lock_holder(paths: Paths, lock_file: Path | None = None) -> LockHolder | None:
    try:
        raw = json.loads((lock_file or paths.writer_lock).read_text(encoding="utf-8") or "{}")
        return LockHolder(raw["pid"], raw["command"], raw["host"], raw["since"])
    except (OSError, ValueError, KeyError, TypeError):
        return None


@contextlib.contextmanager
def writer_lock(paths: Paths, command: str, *, wait_seconds: float = 0.0) -> Iterator[None]:
    """Hold the single-writer lock for ``paths.home``.

    Re-entrant within a process, so ``demo`` can hold it across ingest, build and publish while
    each step also asks for it.
    """
    with exclusive_lock(
        paths,
        paths.writer_lock,
        command,
        busy=f"the warehouse in {paths.home} is being written by {{who}}",
        hint="wait for it to finish, or stop that process; only one ledgerbridge command may "
        "write at a time",
        wait_seconds=wait_seconds,
    ):
        yield


@contextlib.contextmanager
def exclusive_lock(
    paths: Paths,
    lock_file: Path,
    command: str,
    *,
    busy: str,
    hint: str,
    wait_seconds: float = 0.0,
) -> Iterator[None]:
    """Hold an exclusive lock on ``lock_file`` (re-entrant within a process), or raise
    LockHeldError with ``busy`` (``{who}`` names the holder). ``flock`` is released by the
    kernel when the process dies, so a crash never leaves a stale lock behind; the JSON inside
    only says who holds it."""
    held: dict[Path, tuple[int, int]] = getattr(_local, "held", {})
    _local.held = held
    key = lock_file
    if key in held:
        fd, depth = held[key]
        held[key] = (fd, depth + 1)
        try:
            yield
        finally:
            fd, depth = held[key]
            held[key] = (fd, depth - 1)
        return

    paths.ensure()
    fd = os.open(key, os.O_RDWR | os.O_CREAT, 0o644)
    deadline = time.monotonic() + wait_seconds
    while not _try_flock(fd):
        if time.monotonic() >= deadline:
            acquired, holder = _holder_or_free(paths, lock_file, fd)
            if not acquired:
                os.close(fd)
                who = holder.describe() if holder else "another process"
                raise LockHeldError(busy.format(who=who), hint=hint) from None
            break
        time.sleep(0.2)
    try:
        info = {
            "pid": os.getpid(),
            "command": command,
            "host": socket.gethostname(),
            "since": datetime.now(UTC).isoformat(timespec="seconds"),
        }
        os.ftruncate(fd, 0)
        os.pwrite(fd, json.dumps(info).encode(), 0)
        held[key] = (fd, 1)
        yield
    finally:
        held.pop(key, None)
        with contextlib.suppress(OSError):
            os.ftruncate(fd, 0)
        fcntl.flock(fd, fcntl.LOCK_UN)
        os.close(fd)


def _try_flock(fd: int) -> bool:
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        return True
    except BlockingIOError:
        return False


def _holder_or_free(paths: Paths, lock_file: Path, fd: int) -> tuple[bool, LockHolder | None]:
    """``(True, None)`` if the lock came free meanwhile (and is now ours), else who holds it.

    The holder writes its name just after taking the lock and blanks it just before letting go,
    so a process that loses the race by a few milliseconds can find the file empty; it looks
    again for a moment rather than report "another process" (or refuse a lock now free)."""
    for _ in range(10):
        holder = read_lock_holder(paths, lock_file)
        if holder is not None:
            return False, holder
        if _try_flock(fd):
            return True, None
        time.sleep(0.05)
    return False, None


def holds_writer_lock(paths: Paths) -> bool:
    return paths.writer_lock in getattr(_local, "held", {})


def connect_warehouse(paths: Paths, *, read_only: bool = False) -> duckdb.DuckDBPyConnection:
    """A connection to warehouse.duckdb. Writing requires the writer lock."""
    if not read_only and not holds_writer_lock(paths):
        raise RuntimeError("write connection to the warehouse without holding the writer lock")
    if read_only and not paths.warehouse.exists():
        raise NotReadyError(
            f"no warehouse yet at {paths.warehouse}", hint="run `ledgerbridge ingest` first"
        )
    try:
        return duckdb.connect(str(paths.warehouse), read_only=read_only)
    except duckdb.IOException as exc:
        raise warehouse_busy(paths, exc) or exc from None


def warehouse_busy(paths: Paths, exc: BaseException) -> LedgerbridgeError | None:
    """The clear error for DuckDB's "Could not set lock": someone outside ledgerbridge (a DuckDB
    shell, a notebook, a BI tool) has warehouse.duckdb open, which blocks every writer."""
    message = str(exc)
    if "Could not set lock" not in message and "Conflicting lock" not in message:
        return None
    pid = re.search(r"PID (\d+)", message)
    who = f"process {pid.group(1)}" if pid else "another process"
    return LockHeldError(
        f"{paths.warehouse} is open in {who}, which blocks writing it",
        hint="close that program (a DuckDB shell, a notebook, a BI tool); read the published "
        "serving.duckdb instead, which never blocks the warehouse",
    )


def connect_serving(paths: Paths) -> duckdb.DuckDBPyConnection:
    """A read-only connection to the published snapshot; open one per query, never cache it."""
    if not paths.serving.exists():
        raise NotReadyError(
            f"nothing published yet at {paths.serving}",
            hint="run `ledgerbridge demo`, or `ledgerbridge build` then `ledgerbridge publish`",
        )
    return duckdb.connect(str(paths.serving), read_only=True)


def published_at(paths: Paths) -> str | None:
    """When the snapshot in serving.duckdb was published (ISO text), if it says."""
    con = connect_serving(paths)
    try:
        row = con.execute(f"select max(published_at) from {PUBLISH_INFO_TABLE}").fetchone()
        return str(row[0]) if row and row[0] is not None else None
    except duckdb.CatalogException:  # a snapshot published before the info table existed
        return None
    finally:
        con.close()


@dataclass(frozen=True)
class PublishResult:
    path: Path
    tables: dict[str, int]
    published_at: datetime


def publish(
    paths: Paths,
    *,
    command: str = "ledgerbridge publish",
    on_table: Callable[[str, int, int], None] | None = None,
) -> PublishResult:
    """Copy every published mart into a new serving file, add the forecasts computed from
    them (``ledgerbridge.forecast``), and swap it in atomically.

    Readers that have the old file open keep reading it (the rename does not touch their inode);
    the next query opens the new one.
    """
    with writer_lock(paths, command), recorded_run(paths, "publish") as run:
        if not paths.warehouse.exists():
            raise NotReadyError(
                f"no warehouse at {paths.warehouse}", hint="run `ledgerbridge ingest` first"
            )
        last_build = last_runs(paths).get("build")
        if last_build is not None and last_build.status != "ok":
            raise NotReadyError(
                f"the last build ({last_build.started_at}) failed, so the marts in the "
                "warehouse have not passed their tests; the published snapshot stays as it was",
                hint="fix what the build reported and run `ledgerbridge build` again",
            )
        tmp = paths.serving.with_name(f".serving.{os.getpid()}.duckdb.tmp")
        tmp.unlink(missing_ok=True)
        published_at = datetime.now(UTC)
        counts: dict[str, int] = {}
        try:
            con = duckdb.connect(str(tmp))
            try:
                con.execute(f"attach '{_sql_path(paths.warehouse)}' as wh (read_only)")
                tables = [
                    row[0]
                    for row in con.execute(
                        "select table_name from duckdb_tables() where database_name = 'wh' "
                        "and schema_name in (select unnest(?)) order by table_name",
                        [list(PUBLISHED_SCHEMAS)],
                    ).fetchall()
                ]
                if not tables:
                    raise NotReadyError(
                        "the warehouse has no marts to publish",
                        hint="run `ledgerbridge build` first",
                    )
                for index, table in enumerate(tables, start=1):
                    order = _publish_order(con, table)
                    con.execute(
                        f'create table main."{table}" as select * from wh.marts."{table}"'
                        + (f" order by {order}" if order else "")
                    )
                    counts[table] = con.execute(f'select count(*) from main."{table}"').fetchone()[
                        0
                    ]
                    if on_table:
                        on_table(table, index, len(tables))
                # forecasts of revenue, costs and cash flow, computed on the marts just copied
                # (decision 0030); a failure raises, and the old snapshot stays in place
                started = time.perf_counter()
                counts.update(write_forecasts(con, previous=paths.serving))
                run.summary["forecast_seconds"] = round(time.perf_counter() - started, 2)
                con.execute(
                    f"create table {PUBLISH_INFO_TABLE} as "
                    "select ?::timestamptz as published_at, ? as tables",
                    [published_at, json.dumps(counts)],
                )
                _write_source_freshness(con)
                con.execute("detach wh")
                con.execute("checkpoint")
            finally:
                con.close()
            with open(tmp, "rb") as handle:
                os.fsync(handle.fileno())
            os.replace(tmp, paths.serving)
            run.summary["tables"] = counts
        finally:
            tmp.unlink(missing_ok=True)
            tmp.with_name(tmp.name + ".wal").unlink(missing_ok=True)
        return PublishResult(paths.serving, counts, published_at)


def _publish_order(con: duckdb.DuckDBPyConnection, table: str) -> str | None:
    """The order to publish ``table`` in, if it has the columns ``PUBLISH_ORDER`` names."""
    wanted = PUBLISH_ORDER.get(table)
    if wanted is None:
        return None
    columns = {
        row[0]
        for row in con.execute(
            "select column_name from duckdb_columns() where database_name = 'wh' "
            "and schema_name = 'marts' and table_name = ?",
            [table],
        ).fetchall()
    }
    return wanted if {c.strip() for c in wanted.split(",")} <= columns else None


def _write_source_freshness(con: duckdb.DuckDBPyConnection) -> None:
    """What the snapshot was built from, per source and company: the dashboards show it
    without touching the warehouse a build may be writing."""
    from ledgerbridge.status import source_freshness

    con.execute(
        f"create table {SOURCES_TABLE} (company_id varchar, source varchar, "
        "what varchar, loaded_at timestamp)"
    )
    rows = source_freshness(con, "wh")
    if rows:
        con.executemany(f"insert into {SOURCES_TABLE} values (?, ?, ?, ?)", rows)


def _sql_path(path: Path) -> str:
    return str(path).replace("'", "''")
