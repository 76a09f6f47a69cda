"""Schedules finance defines: which job runs when (a cron expression, read in a time zone,
Europe/Stockholm unless told otherwise), whether it is enabled, and who owns it. Kept in
``state.sqlite`` with the outcome of each schedule's last run."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, datetime
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from croniter import croniter

from ledgerbridge.config import Paths
from ledgerbridge.errors import ConfigError
from ledgerbridge.state import connect as connect_state

#: what a schedule can run
JOBS = {
    "pipeline": "ingest → build → publish → plan → push what is approved",
    "push": "push what is approved",
    "report_pack": "write the month-end report pack of each company for every month that has "
    "closed since the last one",
}
DEFAULT_TIMEZONE = "Europe/Stockholm"  # also in ledgerbridge/cli_reverse_etl.py's help
_NAME = re.compile(r"^[a-z0-9][a-z0-9_-]{0,39}$")

_SCHEMA = """
create table if not exists schedules (
    name text primary key,
    job text not null,
    cron text not null,
    timezone text not null,
    enabled integer not null,
    owner text not null,
    created_at text not null,
    updated_at text not null,
    last_run_at text,       -- when its last run was due (UTC)
    last_status text,       -- ok | failed
    failing_since text      -- the first of the failures in a row (UTC), null when ok
);
"""


@dataclass(frozen=True)
class Schedule:
    name: str
    job: str
    cron: str
    timezone: str
    enabled: bool
    owner: str
    created_at: str
    updated_at: str
    last_run_at: str | None
    last_status: str | None
    failing_since: str | None

    def next_due(self, after: datetime) -> datetime:
        """The first time after ``after`` the expression names, in the schedule's zone."""
        local = after.astimezone(ZoneInfo(self.timezone))
        return croniter(self.cron, local).get_next(datetime).astimezone(UTC)

    def due(self, now: datetime) -> bool:
        """Whether a run is due: the expression named a time after the last run (or after
        the schedule was made) that has come. Missed times while nothing ran count once."""
        since = datetime.fromisoformat(self.last_run_at or self.created_at)
        return self.enabled and self.next_due(since) <= now


def now_utc() -> datetime:
    return datetime.now(UTC).replace(microsecond=0)


def check(name: str, job: str, cron: str, timezone: str) -> None:
    if not _NAME.match(name):
        raise ConfigError(
            f"schedule name {name!r}: lower-case letters, digits, - and _, up to 40 characters"
        )
    if job not in JOBS:
        raise ConfigError(
            f"job {job!r} is not one a schedule can run",
            hint="jobs: " + "; ".join(f"{k} ({v})" for k, v in JOBS.items()),
        )
    if not croniter.is_valid(cron) or len(cron.split()) != 5:
        raise ConfigError(
            f"cron expression {cron!r} is not valid",
            hint="five fields: minute hour day-of-month month day-of-week, e.g. "
            "'*/15 * * * *' (every quarter hour) or '0 6 * * 1-5' (weekdays at 06:00)",
        )
    try:
        ZoneInfo(timezone)
    except (ZoneInfoNotFoundError, ValueError):
        raise ConfigError(
            f"time zone {timezone!r} is not known", hint="for example Europe/Stockholm"
        ) from None


class Schedules:
    def __init__(self, paths: Paths) -> None:
        self.con = connect_state(paths)
        self.con.executescript(_SCHEMA)

    def close(self) -> None:
        self.con.close()

    def __enter__(self) -> Schedules:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def all(self) -> list[Schedule]:
        rows = self.con.execute(
            "select name, job, cron, timezone, enabled, owner, created_at, updated_at, "
            "last_run_at, last_status, failing_since from schedules order by name"
        ).fetchall()
        return [Schedule(*row[:4], bool(row[4]), *row[5:]) for row in rows]

    def get(self, name: str) -> Schedule:
        for schedule in self.all():
            if schedule.name == name:
                return schedule
        known = ", ".join(s.name for s in self.all()) or "none"
        raise ConfigError(f"no schedule {name!r} (schedules: {known})")

    def add(
        self, name: str, job: str, cron: str, owner: str, *,
        timezone: str = DEFAULT_TIMEZONE, enabled: bool = True,
    ) -> Schedule:  # fmt: skip
        check(name, job, cron, timezone)
        stamp = now_utc().isoformat()
        with self.con:
            if self.con.execute("select 1 from schedules where name = ?", [name]).fetchone():
                raise ConfigError(
                    f"a schedule {name!r} exists already",
                    hint="`ledgerbridge schedule edit` changes it",
                )
            self.con.execute(
                "insert into schedules (name, job, cron, timezone, enabled, owner, created_at, "
                "updated_at) values (?, ?, ?, ?, ?, ?, ?, ?)",
                [name, job, cron, timezone, int(enabled), owner, stamp, stamp],
            )
        return self.get(name)

    def edit(
        self, name: str, *, job: str | None = None, cron: str | None = None,
        timezone: str | None = None, enabled: bool | None = None, owner: str | None = None,
    ) -> Schedule:  # fmt: skip
        current = self.get(name)
        job, cron = job or current.job, cron or current.cron
        timezone = timezone or current.timezone
        check(name, job, cron, timezone)
        with self.con:
            self.con.execute(
                "update schedules set job = ?, cron = ?, timezone = ?, enabled = ?, owner = ?, "
                "updated_at = ? where name = ?",
                [
                    job, cron, timezone,
                    int(current.enabled if enabled is None else enabled),
                    owner or current.owner, now_utc().isoformat(), name,
                ],
            )  # fmt: skip
        return self.get(name)

    def remove(self, name: str) -> None:
        self.get(name)
        with self.con:
            self.con.execute("delete from schedules where name = ?", [name])

    def record(self, name: str, due_at: datetime, ok: bool) -> Schedule:
        """A run's outcome; answers the schedule as it was before (to tell a recovery)."""
        before = self.get(name)
        failing_since = None if ok else (before.failing_since or due_at.isoformat())
        with self.con:
            self.con.execute(
                "update schedules set last_run_at = ?, last_status = ?, failing_since = ? "
                "where name = ?",
                [due_at.isoformat(), "ok" if ok else "failed", failing_since, name],
            )
        return before
