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
