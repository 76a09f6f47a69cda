"""Fault injection for the crash-safety tests: ``LEDGERBRIDGE_FAULT=<point>`` makes the process
kill itself (SIGKILL: no cleanup, no finally) when a push reaches that point. Unset, nothing
happens; nobody sets it outside tests."""

from __future__ import annotations

import os
import signal

#: where a push can be killed: SENDING committed, nothing sent yet; an item sent, its outcome
#: not recorded; an item's outcome recorded, the next not sent yet
POINTS = ("after_claim", "after_send", "mid_batch")


def crash_point(name: str) -> None:
    if os.environ.get("LEDGERBRIDGE_FAULT") == name:
        os.kill(os.getpid(), signal.SIGKILL)
