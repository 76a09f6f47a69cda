"""The Fortnox sandbox as a background server of this home: start, stop, authorize.

``up`` starts ``python -m sandbox.fortnox serve`` on a free localhost port over
``$LEDGERBRIDGE_HOME/sandbox/fortnox/fortnox.sqlite`` (seeded on its first start) and writes
where it listens and its OAuth client to ``$LEDGERBRIDGE_HOME/sandbox/fortnox.json``;
``down`` stops it. The books stay in the SQLite file between starts, as a real company's do.
"""

from __future__ import annotations

import json
import os
import secrets
import subprocess
import sys
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import requests

from ledgerbridge.config import Paths
from sandbox.fortnox.store import Store
from sandbox.processes import InfoFile, alive, free_port, stop, wait_until_serving

CLIENT_ID = "ledgerbridge-sandbox"
REDIRECT_URI = "http://localhost/ledgerbridge/fortnox-callback"


@dataclass(frozen=True)
class FortnoxSandboxInfo(InfoFile):
    """What fortnox.json holds: how to reach the running Fortnox sandbox."""

    url: str
    client_id: str
    client_secret: str
    redirect_uri: str
    pid: int
    database: str
    log_file: str
    started_at: str


def fortnox_file(paths: Paths) -> Path:
    return paths.sandbox / "fortnox.json"


def fortnox_folder(paths: Paths) -> Path:
    return paths.sandbox / "fortnox"


def database_file(paths: Paths) -> Path:
    return fortnox_folder(paths) / "fortnox.sqlite"


def running(paths: Paths) -> FortnoxSandboxInfo | None:
    info = FortnoxSandboxInfo.read(fortnox_file(paths))
    if info is None or not alive(info.pid) or not _serves_this_home(info.pid, paths):
        return None
    return info


def reachable(paths: Paths) -> FortnoxSandboxInfo | None:
    """The Fortnox sandbox fortnox.json names, if a Fortnox sandbox still runs as that pid:
    what a client may talk to (a home copied from another reads the other's sandbox, as the
    copy's configuration says), where ``running`` is what this home may stop."""
    info = FortnoxSandboxInfo.read(fortnox_file(paths))
    if info is None or not alive(info.pid) or not _is_a_fortnox_sandbox(info.pid):
        return None
    return info


def _is_a_fortnox_sandbox(pid: int) -> bool:
    try:
        command = Path(f"/proc/{pid}/cmdline").read_bytes().split(b"\0")
    except OSError:  # no /proc (not Linux): trust the pid
        return True
    return b"sandbox.fortnox" in command


def _serves_this_home(pid: int, paths: Paths) -> bool:
    """Whether ``pid`` is this home's sandbox (a stale pid must never get somebody else's
    process stopped)."""
    try:
        command = Path(f"/proc/{pid}/cmdline").read_bytes().split(b"\0")
    except OSError:  # no /proc (not Linux): trust the pid
        return True
    return b"sandbox.fortnox" in command and str(database_file(paths)).encode() in command


def up(
    paths: Paths,
    seed: Callable[[Store], None] | None = None,
    *,
    report: Callable[[str], None] = print,
    timeout: float = 30,
) -> FortnoxSandboxInfo:
    """Start the Fortnox sandbox (or return the one running). A first start creates its
    database and fills it with ``seed``; the OAuth client is made then, once."""
    current = running(paths)
    if current is not None:
        return current
    folder = fortnox_folder(paths)
    folder.mkdir(parents=True, exist_ok=True)
    database = database_file(paths)
    secret_file = folder / "client.json"
    if not database.exists() or not secret_file.exists():
        remove_database(paths)
        tmp = database.with_name("fortnox.seeding.sqlite")
        for suffix in ("", "-wal", "-shm"):
            Path(f"{tmp}{suffix}").unlink(missing_ok=True)
        store = Store(tmp)
        try:
            secret = secrets.token_urlsafe(24)
            with store.transaction() as db:
                db.execute(
                    "insert into clients values (?, ?, ?)", (CLIENT_ID, secret, REDIRECT_URI)
                )
            if seed is not None:
                seed(store)
        finally:
            store.close()  # the last connection's close folds SQLite's WAL into the file
        os.replace(tmp, database)
        secret_file.write_text(json.dumps({"client_secret": secret}), encoding="utf-8")
        os.chmod(secret_file, 0o600)
    secret = json.loads(secret_file.read_text(encoding="utf-8"))["client_secret"]
    port = free_port()
    log_file = folder / "server.log"
    with open(log_file, "ab") as log:
        process = subprocess.Popen(
            [sys.executable, "-m", "sandbox.fortnox", "serve", "--db", str(database),
             "--port", str(port)],
            stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
            start_new_session=True,  # outlives this command; `sandbox down` stops it
            cwd=str(Path(__file__).resolve().parents[2]),
        )  # fmt: skip
    info = FortnoxSandboxInfo(
        url=f"http://127.0.0.1:{port}",
        client_id=CLIENT_ID,
        client_secret=secret,
        redirect_uri=REDIRECT_URI,
        pid=process.pid,
        database=str(database),
        log_file=str(log_file),
        started_at=datetime.now(UTC).isoformat(timespec="seconds"),
    )
    report(f"starting the Fortnox sandbox on {info.url}")
    try:
        _wait_until_serving(info, process, log_file, timeout)
    except BaseException:
        stop(process.pid)
        raise
    info.write(fortnox_file(paths))
    return info


def _wait_until_serving(
    info: FortnoxSandboxInfo, process: subprocess.Popen, log_file: Path, timeout: float
) -> None:
    def answers() -> bool:
        try:  # any answer (401 without a token) means it listens
            requests.get(f"{info.url}/3/financialyears", timeout=2)
        except requests.ConnectionError:
            return False
        return True

    wait_until_serving(process, "the Fortnox sandbox", info.url, log_file, answers, timeout)


def down(paths: Paths) -> FortnoxSandboxInfo | None:
    """Stop the Fortnox sandbox; returns what was stopped (None when nothing ran)."""
    info = FortnoxSandboxInfo.read(fortnox_file(paths))
    if info is None:
        return None
    if alive(info.pid) and _serves_this_home(info.pid, paths):
        stop(info.pid)
    fortnox_file(paths).unlink(missing_ok=True)
    return info


def remove_database(paths: Paths) -> None:
    for suffix in ("", "-wal", "-shm", "-journal"):
        Path(f"{database_file(paths)}{suffix}").unlink(missing_ok=True)
    (fortnox_folder(paths) / "client.json").unlink(missing_ok=True)


def discard(paths: Paths) -> None:
    """Stop the sandbox and delete its books (a new demo company is a new Fortnox)."""
    down(paths)
    remove_database(paths)


def authorize_sandbox(client: object, redirect_uri: str) -> None:
    """The one-time authorization step, done by machine: the sandbox consents at once and
    redirects with the code, which is traded for the first token pair."""
    from ledgerbridge.clients.fortnox import FortnoxClient, FortnoxNotAuthorized

    assert isinstance(client, FortnoxClient)
    url, state = client.authorization_url(redirect_uri)
    try:
        answer = requests.get(url, allow_redirects=False, timeout=10)
    except requests.RequestException as exc:
        raise FortnoxNotAuthorized(
            f"the Fortnox sandbox at {client.auth_url} did not answer ({type(exc).__name__})",
            hint="is it running? `ledgerbridge sandbox up`",
        ) from None
    query = parse_qs(urlsplit(answer.headers.get("Location", "")).query)
    if answer.status_code != 302 or query.get("state") != [state] or "code" not in query:
        raise FortnoxNotAuthorized(
            f"the Fortnox sandbox did not authorize the client (HTTP {answer.status_code})",
            hint="run `ledgerbridge sandbox down` and `ledgerbridge sandbox up` again",
        )
    client.exchange_code(query["code"][0], redirect_uri)
