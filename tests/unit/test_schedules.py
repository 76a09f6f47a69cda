"""Schedules: checked when made, due when their cron says in Stockholm time, and the
outcome of their runs (failing since when)."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from ledgerbridge.config import Paths
from ledgerbridge.errors import ConfigError
from reverse_etl.schedules import Schedules


@pytest.fixture
def schedules(tmp_path: Path) -> Schedules:
    box = Schedules(Paths(tmp_path / "home"))
    yield box
    box.close()


@pytest.mark.parametrize(
    ("name", "job", "cron", "zone", "says"),
    [
        ("nightly", "pipeline", "0 2 * *", "Europe/Stockholm", "cron expression '0 2 * *'"),
        ("nightly", "pipeline", "61 2 * * *", "Europe/Stockholm", "is not valid"),
        ("nightly", "export", "0 2 * * *", "Europe/Stockholm", "job 'export' is not one"),
        ("nightly", "pipeline", "0 2 * * *", "Europe/Stokholm", "time zone 'Europe/Stokholm'"),
        ("Nightly run", "pipeline", "0 2 * * *", "Europe/Stockholm", "schedule name"),
    ],
)
def test_a_bad_schedule_is_refused_naming_what_is_wrong(
    schedules: Schedules, name: str, job: str, cron: str, zone: str, says: str
) -> None:
    with pytest.raises(ConfigError, match=re.escape(says)):
        schedules.add(name, job, cron, "anna", timezone=zone)
    assert schedules.all() == []


def test_a_name_is_taken_once(schedules: Schedules) -> None:
    schedules.add("nightly", "pipeline", "0 2 * * *", "anna")
    with pytest.raises(ConfigError, match="exists already"):
        schedules.add("nightly", "push", "0 3 * * *", "bertil")


def test_the_cron_is_read_in_stockholm_time_across_summer_time(schedules: Schedules) -> None:
    schedule = schedules.add("morning", "pipeline", "0 6 * * *", "anna")
    winter = schedule.next_due(datetime(2026, 1, 15, 12, tzinfo=UTC))
    summer = schedule.next_due(datetime(2026, 7, 15, 12, tzinfo=UTC))
    assert winter == datetime(2026, 1, 16, 5, tzinfo=UTC)  # 06:00 CET
    assert summer == datetime(2026, 7, 16, 4, tzinfo=UTC)  # 06:00 CEST
    # the night the clocks go forward has no 02:30; the run comes at the first time after
    night = schedules.add("night", "push", "30 2 * * *", "anna")
    spring = night.next_due(datetime(2026, 3, 28, 23, tzinfo=UTC))
    assert spring.astimezone(UTC) >= datetime(2026, 3, 29, 1, tzinfo=UTC)


def test_due_once_its_time_has_come_and_missed_times_count_once(schedules: Schedules) -> None:
    schedule = schedules.add("hourly", "push", "0 * * * *", "anna")
    made = datetime.fromisoformat(schedule.created_at)
    first = schedule.next_due(made)
    assert not schedule.due(first - timedelta(seconds=1))
    assert schedule.due(first)
    # down for a day: one run when it is back, then the next at the next hour
    later = first + timedelta(days=1, minutes=5)
    schedules.record("hourly", later, ok=True)
    after = schedules.get("hourly")
    assert not after.due(later + timedelta(minutes=50))
    assert after.due(later + timedelta(minutes=55))


def test_a_paused_schedule_is_never_due(schedules: Schedules) -> None:
    schedules.add("hourly", "push", "0 * * * *", "anna")
    paused = schedules.edit("hourly", enabled=False)
    assert not paused.due(datetime.now(UTC) + timedelta(days=30))
    assert schedules.edit("hourly", enabled=True).due(datetime.now(UTC) + timedelta(days=30))


def test_failures_in_a_row_keep_when_they_began(schedules: Schedules) -> None:
    schedules.add("hourly", "push", "0 * * * *", "anna")
    one, two, three = (datetime(2026, 12, 1, h, tzinfo=UTC) for h in (1, 2, 3))
    schedules.record("hourly", one, ok=False)
    schedules.record("hourly", two, ok=False)
    assert schedules.get("hourly").failing_since == one.isoformat()
    before = schedules.record("hourly", three, ok=True)
    assert before.last_status == "failed"  # the caller tells a recovery by this
    now = schedules.get("hourly")
    assert (now.last_status, now.failing_since) == ("ok", None)


def test_editing_checks_again_and_unknown_names_are_clear(schedules: Schedules) -> None:
    schedules.add("hourly", "push", "0 * * * *", "anna")
    with pytest.raises(ConfigError, match="is not valid"):
        schedules.edit("hourly", cron="every hour")
    with pytest.raises(ConfigError, match="no schedule 'daily'"):
        schedules.remove("daily")
    assert schedules.edit("hourly", owner="bertil").owner == "bertil"
