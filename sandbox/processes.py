"""The sandbox servers' processes: a free port, whether a pid still runs, stopping one.

Both sandbox servers (trytond, the Fortnox sandbox) run in sessions of their own, outliving
the command that started them until `ledgerbridge sandbox down`.
"""

from __future__ import annotations

import contextlib
import json
import os
import signal
import socket
import subprocess
import time
from collections.abc import Callable
from dataclasses import asdict
from pathlib import Path
from typing import Self

from ledgerbridge.errors import LedgerbridgeError


class SandboxError(LedgerbridgeError):
    code = "sandbox"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    # a zombie (exited, not yet reaped by us) is not alive
    with contextlib.suppress(OSError):
        stat = Path(f"/proc/{pid}/stat").read_text()
        if stat.rsplit(")", 1)[1].split()[0] == "Z":
            return False
    return True


def stop(pid: int) -> None:
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(pid, signal.SIGTERM)
    deadline = time.monotonic() + 10
    while alive(pid) and time.monotonic() < deadline:
        with contextlib.suppress(ChildProcessError):
            os.waitpid(pid, os.WNOHANG)
        time.sleep(0.1)
    if alive(pid):
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.killpg(pid, signal.SIGKILL)


class InfoFile:
    """A sandbox's dataclass of how to reach it, kept as JSON beside it: written whole and
    renamed into place, readable by its owner only (it holds a password or client secret)."""

    @classmethod
    def read(cls, path: Path) -> Self | None:
        try:
            return cls(**json.loads(path.read_text(encoding="utf-8")))
        except (FileNotFoundError, json.JSONDecodeError, TypeError):
            return None

    def write(self, path: Path) -> None:
        tmp = path.with_suffix(".tmp")
        tmp.write_text(json.dumps(asdict(self), indent=2) + "\n", encoding="utf-8")  # type: ignore[call-overload]
        os.chmod(tmp, 0o600)
        os.replace(tmp, path)


def wait_until_serving(
    process: subprocess.Popen,
    what: str,
    url: str,
    log_file: Path,
    answers: Callable[[], bool],
    timeout: float,
) -> None:
    """Wait until ``answers()`` (False while nothing listens; it raises when the server
    listens but is wrong), or fail with the log's tail if the process ends first."""
    deadline = time.monotonic() + timeout
    while True:
        if process.poll() is not None:
            tail = log_file.read_text(errors="replace").strip().splitlines()[-15:]
            raise SandboxError(f"{what} stopped while starting:\n" + "\n".join(tail))
        if answers():
            return
        if time.monotonic() > deadline:
            raise SandboxError(
                f"{what} did not answer on {url} within {timeout:.0f} s; its log is {log_file}"
            )
        time.sleep(0.2)
