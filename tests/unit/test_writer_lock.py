"""The writer lock: exclusive across processes, re-entrant within one, gone with its holder."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from ledgerbridge.config import Paths
from ledgerbridge.errors import LockHeldError
from ledgerbridge.warehouse import holds_writer_lock, writer_lock

HOLDER = """
import sys, time
from pathlib import Path
from ledgerbridge.config import Paths
from ledgerbridge.warehouse import writer_lock
with writer_lock(Paths(Path(sys.argv[1])), "ledgerbridge ingest"):
    print("held", flush=True)
    time.sleep(60)
"""


def hold_lock_in_another_process(home: Path) -> subprocess.Popen:
    process = subprocess.Popen(
        [sys.executable, "-c", HOLDER, str(home)], stdout=subprocess.PIPE, text=True
    )
    assert process.stdout is not None and process.stdout.readline().strip() == "held"
    return process


def test_second_writer_is_told_who_holds_the_lock(tmp_path: Path) -> None:
    paths = Paths(tmp_path)
    holder = hold_lock_in_another_process(tmp_path)
    try:
        with pytest.raises(LockHeldError) as caught, writer_lock(paths, "ledgerbridge build"):
            pass
        message = str(caught.value)
        assert f"pid {holder.pid}" in message
        assert "`ledgerbridge ingest`" in message
    finally:
        holder.kill()
        holder.wait()


def test_lock_is_released_when_its_holder_is_killed(tmp_path: Path) -> None:
    holder = hold_lock_in_another_process(tmp_path)
    os.kill(holder.pid, signal.SIGKILL)
    holder.wait()
    with writer_lock(Paths(tmp_path), "ledgerbridge build"):
        assert holds_writer_lock(Paths(tmp_path))


def test_waiting_gives_up_after_the_timeout(tmp_path: Path) -> None:
    holder = hold_lock_in_another_process(tmp_path)
    try:
        started = time.monotonic()
        with pytest.raises(LockHeldError), writer_lock(Paths(tmp_path), "x", wait_seconds=0.6):
            pass
        assert time.monotonic() - started >= 0.6
    finally:
        holder.kill()
        holder.wait()


def test_reentrant_within_one_process(tmp_path: Path) -> None:
    paths = Paths(tmp_path)
    with writer_lock(paths, "ledgerbridge demo"):
        with writer_lock(paths, "ledgerbridge build"):
            assert holds_writer_lock(paths)
        assert holds_writer_lock(paths)
    assert not holds_writer_lock(paths)


# Takes the lock the way writer_lock does but, like a holder caught between taking the lock and
# writing its name (or between blanking it and letting go), leaves the file empty for a moment.
HOLDER_CAUGHT_MID_WAY = """
import fcntl, json, os, sys, time
fd = os.open(sys.argv[1], os.O_RDWR | os.O_CREAT, 0o644)
fcntl.flock(fd, fcntl.LOCK_EX)
os.ftruncate(fd, 0)
print("held", flush=True)
time.sleep(0.2)
if sys.argv[2] == "names-itself":
    info = {"pid": os.getpid(), "command": "ledgerbridge demo", "host": "h", "since": "now"}
    os.pwrite(fd, json.dumps(info).encode(), 0)
    time.sleep(60)
"""


def hold_lock_mid_way(paths: Paths, then: str) -> subprocess.Popen:
    paths.ensure()
    process = subprocess.Popen(
        [sys.executable, "-c", HOLDER_CAUGHT_MID_WAY, str(paths.writer_lock), then],
        stdout=subprocess.PIPE,
        text=True,
    )
    assert process.stdout is not None and process.stdout.readline().strip() == "held"
    return process


def test_a_writer_losing_the_race_by_a_moment_still_names_the_winner(tmp_path: Path) -> None:
    paths = Paths(tmp_path)
    holder = hold_lock_mid_way(paths, "names-itself")
    try:
        with pytest.raises(LockHeldError) as caught, writer_lock(paths, "ledgerbridge demo"):
            pass
        assert f"pid {holder.pid}" in str(caught.value), str(caught.value)
        assert "`ledgerbridge demo`" in str(caught.value)
    finally:
        holder.kill()
        holder.wait()


def test_a_lock_let_go_while_its_holder_was_looked_up_is_taken(tmp_path: Path) -> None:
    paths = Paths(tmp_path)
    holder = hold_lock_mid_way(paths, "lets-go")
    try:
        with writer_lock(paths, "ledgerbridge build"):
            assert holds_writer_lock(paths)
    finally:
        holder.kill()
        holder.wait()
