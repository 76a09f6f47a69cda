"""``ledgerbridge scheduler``: one process that runs the schedules when they are due.

Only one runs per home (``scheduler.lock``; a second is refused). It runs one job at a time,
so runs never overlap, and a pipeline job holds the warehouse's writer lock from ingest to
publish, so nothing else writes the warehouse in between. Each run is recorded in the run
history (step ``schedule``). A run that fails records why and alerts; the next run that
succeeds records and announces the recovery.
"""

from __future__ import annotations

import logging
import signal
import threading
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

from ledgerbridge.config import Paths, Settings, load_settings
from ledgerbridge.state import recorded_run
from ledgerbridge.warehouse import exclusive_lock, writer_lock
from reverse_etl.alerts import notify
from reverse_etl.schedules import Schedule, Schedules, now_utc

log = logging.getLogger("ledgerbridge.scheduler")

Say = Callable[[str], None]


@dataclass(frozen=True)
class RunOutcome:
    schedule: str
    ok: bool
    message: str
    recovered: bool = False


class JobFailed(Exception):
    """A job ran to its end, but left something a person must look at."""


def run_job(
    paths: Paths, settings: Settings, schedule: Schedule, *, now: datetime | None = None
) -> str:
    """Run one schedule's job (``now``: when it was due, default now); answers what it did,
    raises if it failed."""
    if schedule.job == "report_pack":
        return _write_report_packs(paths, now or now_utc())

    from reverse_etl.plan import plan
    from reverse_etl.push import push

    user = f"scheduler ({schedule.owner})"
    done = []
    if schedule.job == "pipeline":
        from ingestion.pipeline import ingest
        from ledgerbridge.build import build
        from ledgerbridge.warehouse import publish

        command = f"ledgerbridge scheduler: {schedule.name}"
        with writer_lock(paths, command):
            ingest(paths, settings, command=command)
            built = build(paths, command=command)
            publish(paths, command=command)
        done.append(f"built {built.nodes} nodes" if built.nodes else "nothing new to build")
        planned = plan(paths, settings, user)
        done.append(f"planned {len(planned.new)} new items, {len(planned.waiting)} wait")
    pushed = push(paths, settings, user)
    done.append(f"pushed {len(pushed.posted)}")
    if pushed.failed or pushed.uncertain:
        problems = [f"item {i.item_id}: {m}" for i, m in pushed.failed + pushed.uncertain]
        raise JobFailed("; ".join(done) + "; not pushed: " + "; ".join(problems))
    return "; ".join(done)


def _write_report_packs(paths: Paths, now: datetime) -> str:
    """The month-end report packs not yet written for months closed by ``now`` (a month has
    closed when its last day is over in Stockholm); one company's failure does not stop the
    others'. Reads the published snapshot only: it neither plans nor pushes."""
    from ledgerbridge.errors import LedgerbridgeError
    from ledgerbridge.report_pack import STOCKHOLM, due_report_packs, write_report_pack

    written, problems = [], []
    for company_id, month in due_report_packs(paths, now.astimezone(STOCKHOLM).date()):
        try:
            written.append(write_report_pack(paths, company_id, month))
        except LedgerbridgeError as exc:
            problems.append(f"{company_id} {month:%Y-%m}: {exc.message}")
    done = f"wrote {len(written)} report pack{'' if len(written) == 1 else 's'}" + (
        ": " + ", ".join(path.name for path in written) if written else ""
    )
    if problems:
        raise JobFailed(done + "; not written: " + "; ".join(problems))
    return done


def run_due(paths: Paths, *, now: datetime | None = None, say: Say = print) -> list[RunOutcome]:
    """Run every enabled schedule that is due, one after the other."""
    at = now or now_utc()
    outcomes = []
    with Schedules(paths) as schedules:
        due = [s for s in schedules.all() if s.due(at)]
    for schedule in due:
        outcomes.append(_run_one(paths, schedule, at, say))
    return outcomes


def _run_one(paths: Paths, schedule: Schedule, at: datetime, say: Say) -> RunOutcome:
    say(f"{at.isoformat()} {schedule.name}: {schedule.job} starts")
    settings: Settings | None = None
    try:
        with recorded_run(paths, "schedule") as run:
            run.summary.update(schedule=schedule.name, job=schedule.job)
            settings = load_settings(paths)
            message = run_job(paths, settings, schedule, now=at)
            run.summary.update(outcome=message)
        ok = True
    except Exception as exc:  # any failure is recorded and alerted, never fatal
        message = str(exc) or type(exc).__name__
        ok = False
    with Schedules(paths) as schedules:
        before = schedules.record(schedule.name, at, ok)
    alerts = settings.alerts if settings is not None else _alerts_anyway(paths)
    recovered = ok and before.last_status == "failed"
    event = {
        "schedule": schedule.name,
        "job": schedule.job,
        "owner": schedule.owner,
        "at": at.isoformat(),
        "message": message,
    }
    if not ok:
        notify(alerts, {**event, "kind": "failed", "failing_since": before.failing_since
                        or at.isoformat()})  # fmt: skip
    elif recovered:
        notify(alerts, {**event, "kind": "recovered", "failing_since": before.failing_since})
    say(f"{at.isoformat()} {schedule.name}: " + ("ok" if ok else "FAILED") + f" — {message}")
    return RunOutcome(schedule.name, ok, message, recovered)


def _alerts_anyway(paths: Paths):
    """The alert settings even when the configuration failed to load (then there are none
    beyond the log)."""
    from ledgerbridge.config import Alerts

    try:
        return load_settings(paths).alerts
    except Exception:  # the broken configuration is what is being reported
        return Alerts()


def serve(
    paths: Paths, *, poll_seconds: float = 30.0, once: bool = False, say: Say = print
) -> None:
    """Run schedules as they come due until stopped (SIGTERM or Ctrl-C), or once."""
    with exclusive_lock(
        paths,
        paths.home / "scheduler.lock",
        "ledgerbridge scheduler",
        busy="a scheduler is running already for this home: {who}",
        hint="one scheduler per home: it is the warehouse's only writer; stop that one first",
    ):
        _log_to_file(paths)
        stop = threading.Event()
        previous = signal.signal(signal.SIGTERM, lambda *_: stop.set())
        try:
            say(f"scheduler running for {paths.home} (every {poll_seconds:g} s; Ctrl-C stops)")
            while True:
                run_due(paths, say=say)
                if once or stop.wait(poll_seconds):
                    break
        except KeyboardInterrupt:
            pass
        finally:
            signal.signal(signal.SIGTERM, previous)
            say("scheduler stopped")


def _log_to_file(paths: Paths) -> None:
    paths.logs.mkdir(parents=True, exist_ok=True)
    handler = logging.FileHandler(paths.logs / "scheduler.log", encoding="utf-8")
    handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(message)s"))
    log.addHandler(handler)
    log.setLevel(logging.INFO)
