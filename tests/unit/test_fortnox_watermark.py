"""Fortnox's lastmodified is local time (Europe/Stockholm) to the minute: the mark a run
leaves is never after the instant it stands for, on the days the clocks change included."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from ingestion.sources.fortnox import watermark

STOCKHOLM = ZoneInfo("Europe/Stockholm")


@pytest.mark.parametrize(
    ("started", "overlap", "expected"),
    [
        # winter (CET, UTC+1) and summer (CEST, UTC+2)
        (datetime(2025, 1, 15, 12, 0, tzinfo=UTC), 600, datetime(2025, 1, 15, 12, 50)),
        (datetime(2025, 7, 15, 12, 0, tzinfo=UTC), 600, datetime(2025, 7, 15, 13, 50)),
        # spring: 02:00 CET becomes 03:00 CEST; a run at 03:05 CEST (01:05 UTC) with ten
        # minutes of overlap stands for 00:55 UTC = 01:55 CET, a time that exists
        (datetime(2025, 3, 30, 1, 5, tzinfo=UTC), 600, datetime(2025, 3, 30, 1, 55)),
        # autumn: 02:00-03:00 happens twice; 00:40 UTC is 02:40 CEST (the first time), which
        # Fortnox might read as 02:40 CET an hour later: written an hour earlier instead
        (datetime(2025, 10, 26, 0, 50, tzinfo=UTC), 600, datetime(2025, 10, 26, 1, 40)),
        # and the second 02:40 (CET, 01:40 UTC) likewise
        (datetime(2025, 10, 26, 1, 50, tzinfo=UTC), 600, datetime(2025, 10, 26, 1, 40)),
    ],
)
def test_the_mark_is_local_time_and_never_after_the_instant(
    started: datetime, overlap: int, expected: datetime
) -> None:
    mark = watermark(started, timedelta(seconds=overlap))
    assert mark == expected
    instant = started - timedelta(seconds=overlap)
    for fold in (0, 1):  # however Fortnox resolves the local time, it is not later
        assert mark.replace(tzinfo=STOCKHOLM, fold=fold) <= instant
